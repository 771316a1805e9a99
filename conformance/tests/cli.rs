//! The `conformance` binary end to end: modes, report files and exit codes.

mod support;

use std::process::Command;

use support::{Double, Mode};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
}

fn quick_args(d: &Double) -> Vec<String> {
    vec![
        "--target".into(),
        d.addr.to_string(),
        "--network-id".into(),
        d.network_id.to_string(),
        "--timeout".into(),
        "2".into(),
        "--flood".into(),
        "20".into(),
        "--slowloris-wait".into(),
        "6".into(),
        "--only".into(),
        "HS,FR-001,PP-001,HT".into(),
    ]
}

#[test]
fn passing_target_exits_0_and_writes_both_reports() {
    let d = Double::start(Mode::Reference);
    let dir = tempfile::tempdir().unwrap();
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let out =
        bin().args(quick_args(&d)).arg("--json").arg(&json).arg("--junit").arg(&junit).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("HS-001") && stdout.contains("pass"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["schema"], conformance::report::JSON_SCHEMA);
    let counts = support::validate_junit(&std::fs::read_to_string(&junit).unwrap()).unwrap();
    assert_eq!(counts.failures, 0);
    assert!(counts.cases > 10);
}

#[test]
fn broken_target_exits_1_naming_the_failed_ids() {
    let d = Double::start(Mode::NoSignatureCheck);
    let out = bin().args(quick_args(&d)).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let failed: Vec<&str> =
        stdout.lines().filter(|l| l.contains(" FAIL ")).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(failed, ["HS-004", "HS-005", "HS-006"]);
}

#[test]
fn usage_and_connection_errors_exit_2() {
    assert_eq!(bin().output().unwrap().status.code(), Some(2));
    assert_eq!(bin().args(["--target", "no-such-host.invalid:1"]).output().unwrap().status.code(), Some(2));
    let port = conformance::runtime::free_port().unwrap();
    let out = bin().args(["--target", &format!("127.0.0.1:{port}"), "--timeout", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unreachable"));
    let out = bin().args(["--runtime", "tokio", "--node-bin", "/nonexistent/node"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn replay_mode_and_list() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/sessions");
    let out = bin().args(["--replay", dir]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = bin().arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for c in conformance::catalogue::CATALOGUE {
        assert!(text.contains(c.id));
    }
}
