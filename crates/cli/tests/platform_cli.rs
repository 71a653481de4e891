//! The `bulwark` binary: tokens, audit verification with exit codes, usage
//! errors, graceful shutdown.

mod common;

use common::text;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

fn bulwark(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("BULWARK_DB")
        .output()
        .unwrap()
}

fn create_admin(db: &str) -> String {
    let o = bulwark(&[
        "token",
        "create",
        "--db",
        db,
        "--name",
        "ops",
        "--role",
        "admin",
        "--organisation",
        "CERT-EU",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["secret"].as_str().unwrap().to_string()
}

#[test]
fn help_and_usage_errors_exit_as_documented() {
    let o = bulwark(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("serve"));
    for sub in [
        &["token", "--help"][..],
        &["audit", "verify", "--help"],
        &["serve", "--help"],
    ] {
        assert_eq!(bulwark(sub).status.code(), Some(0), "{sub:?}");
    }
    let o = bulwark(&["token", "create", "--name", "x"]);
    assert_eq!(o.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let o = bulwark(&[
        "token",
        "create",
        "--db",
        db.to_str().unwrap(),
        "--name",
        "x",
        "--role",
        "boss",
        "--organisation",
        "o",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let msg = text(&o);
    assert!(msg.contains("boss") && msg.contains("auditor"), "{msg}");
    let o = bulwark(&[
        "token",
        "create",
        "--db",
        db.to_str().unwrap(),
        "--name",
        " ",
        "--role",
        "admin",
        "--organisation",
        "o",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`name`"));
    let o = bulwark(&[
        "audit",
        "verify",
        "--db",
        db.to_str().unwrap(),
        "--anchor",
        "nonsense",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn tokens_round_trip_and_tampering_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let db = db.to_str().unwrap();
    let secret = create_admin(db);
    assert!(secret.starts_with("bwk_"));
    let o = bulwark(&["token", "list", "--db", db, "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!String::from_utf8_lossy(&o.stdout).contains(&secret));
    let id = list[0]["id"].as_str().unwrap();
    let o = bulwark(&["token", "revoke", "--db", db, id, "--purpose", "rotation"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = bulwark(&["token", "revoke", "--db", db, id]);
    assert_eq!(o.status.code(), Some(1), "revoking twice must fail");

    let o = bulwark(&["audit", "verify", "--db", db]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let head = String::from_utf8(bulwark(&["audit", "head", "--db", db]).stdout).unwrap();
    let o = bulwark(&["audit", "verify", "--db", db, "--anchor", head.trim()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let export = bulwark(&["audit", "export", "--db", db]);
    let lines: Vec<serde_json::Value> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["purpose"], "rotation");

    // Tamper with record 1 behind Bulwark's back.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = bulwark_store::Store::open(db).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'cli:someone-else' WHERE seq = 1")
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    });
    let o = bulwark(&["audit", "verify", "--db", db]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("BROKEN at record 1"), "{}", text(&o));
    let o = bulwark(&["audit", "verify", "--db", db, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["first_break"]["seq"], 1);
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let (child, base) = common::serve(BIN, db.to_str().unwrap(), Stdio::piped());
    let r = reqwest::blocking::get(format!("{base}/readyz")).unwrap();
    assert_eq!(r.status(), 200);
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped cleanly"));
}

#[test]
fn demo_serves_a_seeded_registry_and_prints_working_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("BULWARK_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..5 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line.trim().to_string());
    }
    let value = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
            .to_string()
    };
    let base = value("listening on ");
    let admin = value("admin token (shown once): ");
    let analyst = value("analyst token (shown once): ");
    let c = reqwest::blocking::Client::new();
    let me: serde_json::Value = c
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(me["role"], "admin");
    let r = c
        .get(format!("{base}/api/v1/resilience/DE/entities"))
        .bearer_auth(&analyst)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    assert!(
        body.contains("DE-TSO-1"),
        "the demo registry is not there: {body}"
    );
    assert!(dir.path().join("bulwark-demo.db").exists());
    // No --key-file needed: the demo database's key file sits beside it.
    let key = dir.path().join("bulwark-demo.db.key");
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions())
            & 0o777,
        0o600
    );
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
