//! The suite run against in-process doubles: a reference target built from protocol-core must
//! pass every must-case; deliberately broken targets must fail exactly the right case ids.

mod support;

use std::time::Duration;

use conformance::cases::{run, RunConfig};
use conformance::report::{Outcome, Report};
use protocol_core::Network;
use support::{Double, Mode};

fn run_against(d: &Double) -> Report {
    let mut rc = RunConfig::new(d.addr, Network::Xrpl);
    rc.network_id = Some(d.network_id);
    rc.target_seed = Some(d.seed.clone());
    rc.io_timeout = Duration::from_secs(2);
    rc.flood = 60;
    rc.slowloris_wait = Duration::from_secs(8);
    let report = run(&rc).expect("double reachable");
    println!("{}", report.to_table());
    report
}

#[test]
fn reference_double_passes_every_case() {
    let d = Double::start(Mode::Reference);
    let r = run_against(&d);
    assert_eq!(r.failed_ids(), Vec::<&str>::new());
    assert_eq!(r.exit_code(), 0);
    // Responder and slow cases are not run without --listen / --slow.
    assert!(matches!(r.outcome_of("HR-001"), Some(Outcome::Skipped(_))));
    assert!(matches!(r.outcome_of("PP-004"), Some(Outcome::Skipped(_))));
    assert_eq!(r.outcome_of("HS-014"), Some(&Outcome::Pass));
}

#[test]
fn accept_all_double_fails_the_refusal_and_framing_cases() {
    let d = Double::start(Mode::AcceptAll);
    let r = run_against(&d);
    let failed = r.failed_ids();
    let must_fail = [
        "HS-003", "HS-004", "HS-005", "HS-006", "HS-007", "HS-008", "HS-009", "HS-010", "HS-011", "HS-012",
        "HS-013", "HS-014", "HS-015", "HS-016", "HS-018", "FR-001", "FR-002", "FR-003", "FR-004", "FR-007",
        "FR-008", "PV-001", "RD-001", "RS-002", "RS-003",
    ];
    for id in must_fail {
        assert!(
            failed.contains(&id),
            "{id} should fail against a 101-to-anything target; failed: {failed:?}"
        );
    }
    for id in ["HS-001", "PP-001", "HT-001", "HT-002", "RS-001", "RS-005"] {
        assert_eq!(r.outcome_of(id), Some(&Outcome::Pass), "{id}");
    }
    assert_eq!(r.exit_code(), 1);
    let junit = support::validate_junit(&r.to_junit()).unwrap();
    assert_eq!(junit.failures, failed.len());
}

#[test]
fn double_without_signature_checks_fails_exactly_the_signature_cases() {
    let d = Double::start(Mode::NoSignatureCheck);
    let r = run_against(&d);
    assert_eq!(r.failed_ids(), vec!["HS-004", "HS-005", "HS-006"]);
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn unreachable_target_is_a_connection_error() {
    let port = conformance::runtime::free_port().unwrap();
    let mut rc = RunConfig::new(format!("127.0.0.1:{port}").parse().unwrap(), Network::Xrpl);
    rc.io_timeout = Duration::from_secs(1);
    assert!(run(&rc).is_err());
}

fn responder_run(verify_response: bool) -> Report {
    let d = Double::start(Mode::Reference);
    let listen: std::net::SocketAddr =
        format!("127.0.0.1:{}", conformance::runtime::free_port().unwrap()).parse().unwrap();
    let dialer = support::dial_twice(listen, verify_response);
    let mut rc = RunConfig::new(d.addr, Network::Xrpl);
    rc.listen = Some(listen);
    rc.only = vec!["HR".into()];
    rc.io_timeout = Duration::from_secs(3);
    rc.peer_wait = Duration::from_secs(20);
    let r = run(&rc).unwrap();
    println!("{}", r.to_table());
    drop(dialer);
    r
}

#[test]
fn responder_cases_pass_against_a_correct_dialer() {
    let r = responder_run(true);
    assert_eq!(r.results.len(), 4);
    assert_eq!(r.failed_ids(), Vec::<&str>::new());
    assert!(r.results.iter().all(|c| c.outcome == Outcome::Pass), "{}", r.to_table());
}

#[test]
fn responder_cases_catch_a_dialer_that_ignores_our_signature() {
    let r = responder_run(false);
    assert_eq!(r.failed_ids(), vec!["HR-004"]);
}
