//! `keygen` of both binaries: known answers (rippled's Seed_test values, overlay-wire.md §4.4) and its error path.
use std::process::Command;

use rstest::rstest;

#[derive(Debug, Clone, Copy)]
enum Rt {
    Tokio,
    AsyncStd,
}

fn keygen(rt: Rt, args: &[&str]) -> std::process::Output {
    let exe = match rt {
        Rt::Tokio => env!("CARGO_BIN_EXE_test-node-tokio"),
        Rt::AsyncStd => env!("CARGO_BIN_EXE_test-node-asyncstd"),
    };
    Command::new(exe).arg("keygen").args(args).output().expect("run binary")
}

#[rstest]
fn seed_gives_rippled_node_key(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let out = keygen(rt, &["--seed", "snoPBrXtMeMyMHUVTgbuqAfg1SUTb"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["node_public_key"], "n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9");
    assert_eq!(v["node_private_key"], "pnen77YEeUd4fFKG7iycBWcwKpTaeFRkW2WFostaATy1DSupwXe");
    assert_eq!(
        v["node_public_key_hex"],
        "03D49C56E1B185F1BE899AE66A02EFC17F78EA6FC53AF85E0FE54C6E8B7F8C71A8"
    );
    assert_eq!(v["seed"], "snoPBrXtMeMyMHUVTgbuqAfg1SUTb");
}

#[rstest]
fn passphrase_and_swtc_alphabet(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let out = keygen(rt, &["--passphrase", "masterpassphrase", "--network", "swtc"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["seed"], "snoPBjXtMeMyMHUVTgbuqAfg1SUTb");
    assert_eq!(v["node_public_key"], "n94a1u4rAz288pZLtw6yFWVbi89YamiC6JBXPVUr5zmExe5fTVg9");
}

#[rstest]
fn random_seed_is_fresh(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a: serde_json::Value = serde_json::from_slice(&keygen(rt, &[]).stdout).expect("json");
    let b: serde_json::Value = serde_json::from_slice(&keygen(rt, &[]).stdout).expect("json");
    assert_ne!(a["seed"], b["seed"]);
    assert!(a["node_public_key"].as_str().is_some_and(|k| k.starts_with('n')));
}

#[rstest]
fn bad_seed_is_one_line_and_exit_2(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let out = keygen(rt, &["--seed", "sspUXGrmjQhq6mgc24jiRuevZiwK"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: bad seed"), "{err}");
}
