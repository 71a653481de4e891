//! `kill -9` of a real server during a stream of writes loses no
//! acknowledged write, and the audit chain still verifies.

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

#[test]
fn sigkill_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let db = db.to_str().unwrap().to_string();
    let o = Command::new(BIN)
        .args([
            "token",
            "create",
            "--db",
            &db,
            "--name",
            "ops",
            "--role",
            "admin",
            "--organisation",
            "o",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let admin = String::from_utf8(o.stdout).unwrap().trim().to_string();

    let (mut child, base) = common::serve(BIN, &db, Stdio::null());

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..3 {
        let (base, admin, acked) = (base.clone(), admin.clone(), acked.clone());
        writers.push(std::thread::spawn(move || {
            let c = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            // Bounded: stops at the first failed request (the server died)
            // or after 2,000 writes.
            for i in 0..2000 {
                let r = c
                    .post(format!("{base}/api/v1/tokens"))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({"name": format!("w{w}-{i}"), "role": "analyst", "organisation": "o", "scope": "DE"}))
                    .send();
                match r {
                    Ok(r) if r.status() == 201 => {
                        let v: serde_json::Value = match r.json() {
                            Ok(v) => v,
                            Err(_) => return,
                        };
                        acked.lock().unwrap().push(v["token"]["id"].as_str().unwrap().to_string());
                    }
                    _ => return,
                }
            }
        }));
    }
    // Let a stream of writes get going, then kill -9 mid-stream.
    loop {
        std::thread::sleep(Duration::from_millis(20));
        if acked.lock().unwrap().len() >= 150 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150);

    let o = Command::new(BIN)
        .args(["token", "list", "--db", &db, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let list: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let stored: std::collections::HashSet<&str> =
        list.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !stored.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );

    let o = Command::new(BIN)
        .args(["audit", "verify", "--db", &db])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
