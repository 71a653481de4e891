//! `bulwark detect`: the authority's tools (keygen, sign), the provider's
//! (trust, import, declare a basis, scan), the reviewer's (review, decide),
//! retention and transparency, all through the real binary on a real
//! SQLite file.

mod common;

use common::{s, text};

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

fn bulwark(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("BULWARK_DB")
        .output()
        .unwrap()
}

/// Writes the 12 stand-in images and a voluntary basis file, sets up an
/// issuer key and a signed list of the first `n` images.
fn setup(dir: &Path, db: &str, n: usize) {
    let images = dir.join("images");
    let o = bulwark(&["detect", "demo-images", "--out", s(&images)]);
    assert!(o.status.success(), "{}", text(&o));
    let key = dir.join("issuer.json");
    let o = bulwark(&[
        "detect",
        "keygen",
        "--issuer",
        "EU Centre (test)",
        "--out",
        s(&key),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key file is readable by others");
    }
    let hashes = bulwark(&["hash", "--json", s(&images)]);
    assert!(hashes.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&hashes.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let add: Vec<serde_json::Value> = lines
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, l)| serde_json::json!({ "id": format!("ind-{i}"), "pdq": l["hash"], "quality": l["quality"] }))
        .collect();
    let payload = serde_json::json!({
        "list_id": "test-list", "issuer": "EU Centre (test)", "category": "test",
        "source": "tests", "version": 1, "issued_at": "2026-11-01T00:00:00Z", "add": add,
    });
    std::fs::write(dir.join("v1.json"), payload.to_string()).unwrap();
    let o = bulwark(&[
        "detect",
        "list",
        "sign",
        "--key",
        s(&key),
        s(&dir.join("v1.json")),
        "--out",
        s(&dir.join("v1.signed.json")),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // Whose indicators the key signs (CSA proposal Art. 10(1)): a role that
    // does not exist is refused and nothing is trusted.
    let o = bulwark(&[
        "detect",
        "list",
        "trust",
        "--db",
        db,
        "--role",
        "nobody",
        s(&key),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--role"), "{}", text(&o));
    // Without a role: refused (exit 2, naming the option): a key gets the
    // EU Centre's standing only when the operator says so.
    let o = bulwark(&["detect", "list", "trust", "--db", db, s(&key)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--role"), "{}", text(&o));
    let o = bulwark(&[
        "detect",
        "list",
        "trust",
        "--db",
        db,
        "--role",
        "eu_centre",
        s(&key),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("(eu_centre)"), "{}", text(&o));
    let o = bulwark(&[
        "detect",
        "list",
        "import",
        "--db",
        db,
        s(&dir.join("v1.signed.json")),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("{n} added")), "{}", text(&o));
}

fn declare_basis(dir: &Path, db: &str, from: &str, until: &str) -> String {
    let basis = serde_json::json!({
        "kind": "voluntary", "provider": "acme", "service": "photos", "content_types": ["known"],
        "valid_from": from, "valid_until": until,
        "voluntary": { "instrument": "2026/1881", "dpia_reference": "DPIA-7" },
    });
    let f = dir.join("basis.json");
    std::fs::write(&f, basis.to_string()).unwrap();
    let o = bulwark(&["detect", "basis", "declare", "--db", db, s(&f)]);
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn scan_needs_a_basis_then_matches_and_goes_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let db = s(&db);
    setup(dir.path(), db, 6);
    let img = dir.path().join("images/stand-in-02.png");
    let other = dir.path().join("images/stand-in-09.png");

    // No basis: refused, exit code 2, nothing recorded.
    let o = bulwark(&["detect", "scan", "--db", db, s(&img)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no basis in force"), "{}", text(&o));

    // A basis that already expired: still refused.
    declare_basis(
        dir.path(),
        db,
        "2026-08-01T00:00:00Z",
        "2026-09-01T00:00:00Z",
    );
    let o = bulwark(&["detect", "scan", "--db", db, s(&img)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let id = declare_basis(
        dir.path(),
        db,
        "2026-08-01T00:00:00Z",
        "2028-04-01T00:00:00Z",
    );
    let o = bulwark(&[
        "detect",
        "scan",
        "--db",
        db,
        "--basis",
        &id,
        "--json",
        s(&img),
        s(&other),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["path"], s(&img));
    assert_eq!(out[0]["matched"], true);
    assert_eq!(out[0]["matches"][0]["indicator_id"], "ind-2");
    assert_eq!(out[1]["matched"], false, "stand-in 9 is not on the list");
    assert_eq!(out[0]["hash"].as_str().unwrap().len(), 64);

    // A precomputed hash: the same.
    let hash = out[0]["hash"].as_str().unwrap();
    let o = bulwark(&[
        "detect",
        "scan",
        "--db",
        db,
        "--basis",
        &id,
        "--hash",
        hash,
        "--quality",
        "90",
    ]);
    assert!(text(&o).contains("MATCH"), "{}", text(&o));
    // Below the quality gate: said so, not "no match".
    let o = bulwark(&[
        "detect",
        "scan",
        "--db",
        db,
        "--basis",
        &id,
        "--hash",
        &"0".repeat(64),
        "--quality",
        "10",
    ]);
    assert!(text(&o).contains("quality below"), "{}", text(&o));

    // Review: two pending matches; reject one, confirm the other.
    let o = bulwark(&["detect", "review", "--db", db, "--json"]);
    let queue: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(queue.len(), 2);
    let m0 = queue[0]["id"].as_str().unwrap();
    let o = bulwark(&["detect", "decide", "--db", db, m0, "reject", "--reason", ""]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a decision needs a reason: {}",
        text(&o)
    );
    let o = bulwark(&[
        "detect", "decide", "--db", db, m0, "reject", "--reason", "benign",
    ]);
    assert!(text(&o).contains("rejected"), "{}", text(&o));
    // The rejected content is negative-listed from now on.
    let o = bulwark(&["detect", "scan", "--db", db, "--basis", &id, s(&img)]);
    assert!(text(&o).contains("known false positive"), "{}", text(&o));
    // The other match's content is removed: only after confirmation (exit 2
    // before), then preserved for 12 months (CSA proposal Art. 22(1)).
    let m1 = queue[1]["id"].as_str().unwrap();
    let o = bulwark(&["detect", "removal", "--db", db, m1, "removed"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("confirmed"), "{}", text(&o));
    let o = bulwark(&[
        "detect", "decide", "--db", db, m1, "confirm", "--reason", "known",
    ]);
    assert!(text(&o).contains("confirmed"), "{}", text(&o));
    let o = bulwark(&["detect", "removal", "--db", db, m1, "removed", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["removal"]["action"], "removed");
    let o = bulwark(&["detect", "removal", "--db", db, m1, "wiped"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // A court asks for longer preservation (TCO Art. 6(2), CSA Art. 22(2)).
    let preserve = |until: &str| {
        bulwark(&[
            "detect",
            "preservation",
            "--db",
            db,
            m1,
            "--until",
            until,
            "--requested-by",
            "Landgericht Berlin",
            "--reference",
            "LG-1",
            "--json",
        ])
    };
    let o = preserve(r["removal"]["preserve_until"].as_str().unwrap());
    assert_eq!(o.status.code(), Some(2), "not later: {}", text(&o));
    let o = preserve("2099-01-01T00:00:00Z");
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["removal"]["extended"]["reference"], "LG-1");
    // The court then finds the removal unjustified: the content is back
    // (TCO Art. 9, counted under Art. 7(3)(f)). A complaint ground needs a
    // complaint id.
    let reinstate = |ground: &str, reference: &str| {
        bulwark(&[
            "detect",
            "reinstatement",
            "--db",
            db,
            m1,
            ground,
            "--reference",
            reference,
            "--json",
        ])
    };
    let o = reinstate("complaint", "LG-1");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("reference"), "{}", text(&o));
    let o = reinstate("review", "LG-1 judgment");
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["removal"]["reinstated"]["ground"], "review", "{r}");

    // This year's figures (the scans above were recorded now).
    let year = chrono::Datelike::year(&chrono::Utc::now()).to_string();
    let o = bulwark(&[
        "detect",
        "transparency",
        "--db",
        db,
        "--year",
        &year,
        "--json",
    ]);
    let f: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(f["scans"].as_i64().unwrap() >= 4);
    assert_eq!(f["rejected"], 1);
    assert_eq!(f["low_quality"], 1);
    assert_eq!(f["by_basis_kind"][0]["removed"], 1, "{f}");
    assert_eq!(f["reinstated_after_review"], 1, "{f}");

    let o = bulwark(&["detect", "purge", "--db", db, "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = bulwark(&["audit", "verify", "--db", db]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn tampered_replayed_and_out_of_order_lists_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let db = s(&db);
    setup(dir.path(), db, 2);
    // Replay of version 1.
    let o = bulwark(&[
        "detect",
        "list",
        "import",
        "--db",
        db,
        s(&dir.path().join("v1.signed.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("replayed"), "{}", text(&o));
    // Tampered: one hash digit changed inside the signed payload.
    let signed = std::fs::read_to_string(dir.path().join("v1.signed.json")).unwrap();
    let mut env: serde_json::Value = serde_json::from_str(&signed).unwrap();
    let payload = env["payload"]
        .as_str()
        .unwrap()
        .replace("\"version\":1", "\"version\":2");
    env["payload"] = payload.into();
    std::fs::write(dir.path().join("bad.json"), env.to_string()).unwrap();
    let o = bulwark(&[
        "detect",
        "list",
        "import",
        "--db",
        db,
        s(&dir.path().join("bad.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("signature does not verify"),
        "{}",
        text(&o)
    );
    // Version 3 signed correctly but skipping version 2.
    let v3 = serde_json::json!({
        "list_id": "test-list", "issuer": "EU Centre (test)", "category": "test", "source": "tests",
        "version": 3, "previous_digest": "0".repeat(64), "issued_at": "2026-11-02T00:00:00Z",
    });
    std::fs::write(dir.path().join("v3.json"), v3.to_string()).unwrap();
    let key = dir.path().join("issuer.json");
    let o = bulwark(&[
        "detect",
        "list",
        "sign",
        "--key",
        s(&key),
        s(&dir.path().join("v3.json")),
        "--out",
        s(&dir.path().join("v3.signed.json")),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = bulwark(&[
        "detect",
        "list",
        "import",
        "--db",
        db,
        s(&dir.path().join("v3.signed.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("out of order"), "{}", text(&o));
    let o = bulwark(&["detect", "list", "show", "--db", db, "--json"]);
    let l: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(l["version"], 1);
}

#[test]
fn scanned_content_reaches_neither_the_database_nor_the_logs() {
    // CSA proposal Art. 10(3)(b); Regulation (EU) 2021/1232 Art. 3(1)(a).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let dbs = s(&db);
    setup(dir.path(), dbs, 12);
    let id = declare_basis(
        dir.path(),
        dbs,
        "2026-08-01T00:00:00Z",
        "2028-04-01T00:00:00Z",
    );
    // A PNG with a unique marker in a text chunk after IHDR.
    let marker = format!(
        "BULWARK-MARKER-{}-{}",
        std::process::id(),
        db.display().to_string().len()
    );
    let mut bytes = std::fs::read(dir.path().join("images/stand-in-04.png")).unwrap();
    let data = format!("Comment\0{marker}");
    let mut body = b"tEXt".to_vec();
    body.extend_from_slice(data.as_bytes());
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    bytes.splice(33..33, chunk);
    let file = dir.path().join("upload.png");
    std::fs::write(&file, &bytes).unwrap();
    let o = Command::new(BIN)
        .args([
            "detect",
            "scan",
            "--db",
            dbs,
            "--basis",
            &id,
            "--json",
            s(&file),
        ])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"matched\":true"));
    let logs = text(&o);
    assert!(!logs.contains(&marker));
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_dir_all(dir.path().join("images")).unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        // SQLite may remove its -wal/-shm files as the pool closes.
        let Ok(content) = std::fs::read(&p) else {
            continue;
        };
        assert!(
            !content
                .windows(marker.len())
                .any(|w| w == marker.as_bytes()),
            "marker found in {}",
            p.display()
        );
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Scans one stand-in image through a running server's API.
fn scan_via_server(
    client: &reqwest::blocking::Client,
    base: &str,
    token: &str,
    basis: &str,
    image: &[u8],
) -> serde_json::Value {
    let r = client
        .post(format!(
            "{base}/api/v1/detection/scan/image?basis_id={basis}&service=photos"
        ))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(image.to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().unwrap()
}

/// Scans until `matched` is as wanted (a change made by another process
/// reaches the server's matcher on its next catch-up, within about a
/// second); returns the last answer.
fn scan_until(
    client: &reqwest::blocking::Client,
    base: &str,
    token: &str,
    basis: &str,
    image: &[u8],
    matched: bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        last = scan_via_server(client, base, token, basis, image);
        if last["matched"] == matched {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    last
}

/// A disable or re-enable made with the CLI while a server runs on the same
/// database reaches the server's live matcher (safeguard: per-indicator
/// controls, spec detection.md 6.5 item 7), without a restart.
#[test]
fn indicator_changes_from_the_cli_reach_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let dbs = s(&db);
    setup(dir.path(), dbs, 12);
    let basis = declare_basis(
        dir.path(),
        dbs,
        "2026-08-01T00:00:00Z",
        "2028-04-01T00:00:00Z",
    );
    let o = bulwark(&[
        "token",
        "create",
        "--db",
        dbs,
        "--name",
        "scanner",
        "--role",
        "provider",
        "--organisation",
        "acme",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let (mut server, base) = common::serve(BIN, dbs, std::process::Stdio::null());
    let client = reqwest::blocking::Client::new();
    let image = std::fs::read(dir.path().join("images/stand-in-03.png")).unwrap();

    let first = scan_via_server(&client, &base, &token, &basis, &image);
    assert_eq!(first["matched"], true, "{first}");
    assert_eq!(first["matches"][0]["indicator_id"], "ind-3", "{first}");
    // ind-3 is the fourth indicator imported: index id 4.
    let o = bulwark(&[
        "detect",
        "indicator",
        "--db",
        dbs,
        "4",
        "disabled",
        "--reason",
        "false positives",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("ind-3"), "{}", text(&o));
    let after = scan_until(&client, &base, &token, &basis, &image, false);
    assert_eq!(
        after["matched"], false,
        "disabled by the CLI, still matches: {after}"
    );

    let o = bulwark(&[
        "detect",
        "indicator",
        "--db",
        dbs,
        "4",
        "active",
        "--reason",
        "reviewed",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let back = scan_until(&client, &base, &token, &basis, &image, true);
    assert_eq!(
        back["matched"], true,
        "re-enabled by the CLI, no match: {back}"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A mistyped override of an instrument's window (Regulation (EU) 2021/1232
/// and successors, spec detection.md 8.2.1) stops `serve` and `detect` before
/// they touch anything: exit 2, the variable named, no database created.
#[test]
fn mistyped_instrument_window_override_stops_serve_and_detect() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let images = dir.path().join("images");
    let runs = [
        vec!["serve", "--addr", "127.0.0.1:0", "--db", s(&db)],
        vec!["detect", "demo-images", "--out", s(&images)],
    ];
    for args in runs {
        let mut child = Command::new(BIN)
            .args(&args)
            .env_remove("BULWARK_DB")
            .env(
                "BULWARK_INSTRUMENT_WINDOW_2026_1881",
                "2026-07-31..2028-04-04",
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A server that starts anyway would run forever: give it a minute.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains("BULWARK_INSTRUMENT_WINDOW_2026_1881"), "{t}");
        assert!(t.contains("YYYY-MM-DD/YYYY-MM-DD"), "{t}");
    }
    assert!(!db.exists());
    assert!(!images.exists());
    // A well-formed override is accepted.
    let o = Command::new(BIN)
        .args(["detect", "demo-images", "--out", s(&images)])
        .env_remove("BULWARK_DB")
        .env(
            "BULWARK_INSTRUMENT_WINDOW_2026_1881",
            "2026-07-31/2028-04-04",
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

/// A specific measure against terrorist content (TCO Regulation Art. 5) is
/// declared from a JSON file like any basis; without the exposure decision it
/// is refused naming the field and the article (exit 2), and nothing is kept.
#[test]
fn a_tco_art_5_specific_measure_is_declared_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let db = s(&db);
    let mut measure = serde_json::json!({
        "kind": "specific_measure", "provider": "acme", "service": "video",
        "content_types": ["known"],
        "valid_from": "2026-11-02T00:00:00Z", "valid_until": "2027-11-02T00:00:00Z",
        "specific_measure": {
            "exposure_decision": "IE-EXP-7", "competent_authority": "Coimisiún na Meán",
            "member_state": "IE", "notified_at": "2026-11-01T09:00:00Z"
        },
    });
    let f = dir.path().join("measure.json");
    let declare = |body: &serde_json::Value| {
        std::fs::write(&f, body.to_string()).unwrap();
        bulwark(&["detect", "basis", "declare", "--db", db, s(&f)])
    };
    let mut bare = measure.clone();
    bare["specific_measure"] = serde_json::Value::Null;
    let o = declare(&bare);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("specific_measure") && text(&o).contains("Art. 5(4)"),
        "{}",
        text(&o)
    );
    measure["valid_from"] = "2026-10-31T00:00:00Z".into();
    let o = declare(&measure);
    assert_eq!(
        o.status.code(),
        Some(2),
        "before the decision: {}",
        text(&o)
    );
    assert!(text(&o).contains("valid_from"), "{}", text(&o));
    let o = bulwark(&["detect", "basis", "show", "--db", db]);
    assert!(!text(&o).contains("specific_measure"), "{}", text(&o));
    measure["valid_from"] = "2026-11-02T00:00:00Z".into();
    let o = declare(&measure);
    assert!(o.status.success(), "{}", text(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let o = bulwark(&["detect", "basis", "show", "--db", db]);
    assert!(
        text(&o).contains(&format!("{id}  specific_measure  active  provider acme")),
        "{}",
        text(&o)
    );
}
