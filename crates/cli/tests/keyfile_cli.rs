//! The key file of `bulwark serve` (`--key-file`, `BULWARK_KEY_FILE`) and
//! `bulwark key-file`, run as the real binary: created beside a SQLite
//! database when absent, required for PostgreSQL, refused with the file and
//! the rule named (and nothing written) when malformed or too open, and
//! checked against the keys sealed in the database before the server runs.

mod common;

use common::{s, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("BULWARK_DB")
        .env_remove("BULWARK_KEY_FILE");
    c
}

/// Runs `c` to its end; fails the test (killing it) if it is still running
/// after a minute, e.g. a server that started though it should not have.
fn finish(mut c: Command) -> Output {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after a minute: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn write_key_file(p: &Path, content: &[u8]) {
    std::fs::write(p, content).unwrap();
    #[cfg(unix)]
    set_mode(p, 0o600);
}

fn stop(child: std::process::Child) {
    let mut child = child;
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Waits until the server at `base` answers `/readyz` (its start-up work,
/// and so the key check, done; its signal handler installed).
fn ready(base: &str) {
    let ok = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        reqwest::blocking::get(format!("{base}/readyz"))
            .map(|r| r.status() == 200)
            .unwrap_or(false)
    });
    assert!(ok, "the server at {base} did not become ready");
}

fn is_key_file_text(t: &str) -> bool {
    t.len() == 65 && t.ends_with('\n') && t[..64].bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn a_sqlite_database_gets_its_key_file_beside_it_created_once_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("b.db");
    let key = PathBuf::from(format!("{}.key", s(&db)));
    assert!(!key.exists());
    let (child, base) = common::serve(BIN, s(&db), Stdio::null());
    ready(&base);
    stop(child);
    let first = std::fs::read_to_string(&key).unwrap();
    assert!(is_key_file_text(&first), "{first:?}");
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    // The next start reuses it: never overwritten.
    let (child, base) = common::serve(BIN, s(&db), Stdio::null());
    ready(&base);
    stop(child);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), first);
    // `key-file id` names it by its id, as `key-file new` does.
    let o = finish(command(&["key-file", "id", s(&key), "--json"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kek_id"].as_str().unwrap().len(), 16);
    assert!(!text(&o).contains(first.trim()), "the key was printed");
}

#[test]
fn bad_key_files_are_refused_naming_file_and_rule_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = "0123456789abcdef".repeat(4);
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("short", b"abcd\n".to_vec(), "64 hex digits"),
        (
            "long",
            format!("{good}{good}\n").into_bytes(),
            "64 hex digits",
        ),
        (
            "not-hex",
            format!("{}zz\n", &good[..62]).into_bytes(),
            "not a hex digit",
        ),
        ("raw", vec![0xA5; 32], "64 hex digits"),
        (
            "zeros",
            format!("{}\n", "0".repeat(64)).into_bytes(),
            "not all zeros",
        ),
        (
            "two-lines",
            format!("{good}\n\n").into_bytes(),
            "64 hex digits",
        ),
    ];
    #[cfg(unix)]
    cases.push(("open", format!("{good}\n").into_bytes(), "0600 or stricter"));
    #[cfg(target_os = "linux")]
    cases.push((
        "foreign-owner",
        format!("{good}\n").into_bytes(),
        "must be owned by the user running Bulwark",
    ));
    for (i, (name, content, rule)) in cases.into_iter().enumerate() {
        let key = dir.path().join(format!("{name}.key"));
        write_key_file(&key, &content);
        #[cfg(unix)]
        if name == "open" {
            set_mode(&key, 0o644);
        }
        // Only root may give a file to another user: elsewhere the case is skipped.
        #[cfg(unix)]
        if name == "foreign-owner" && std::os::unix::fs::chown(&key, Some(65534), None).is_err() {
            eprintln!("skipped {name}: not running as root");
            continue;
        }
        let db = dir.path().join(format!("{name}.db"));
        let mut c = command(&["serve", "--addr", "127.0.0.1:0", "--db", s(&db)]);
        // Both ways of naming the key file.
        if i % 2 == 0 {
            c.args(["--key-file", s(&key)]);
        } else {
            c.env("BULWARK_KEY_FILE", &key);
        }
        let o = finish(c);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(s(&key)),
            "{name}: the file is not named: {err}"
        );
        assert!(err.contains(rule), "{name}: the rule is not named: {err}");
        assert!(
            !err.contains(&good),
            "{name}: the content was printed: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!db.exists(), "{name}: a database was created");
        assert_eq!(
            std::fs::read(&key).unwrap(),
            content,
            "{name}: key file changed"
        );
        // `key-file id` applies the same rules.
        let o = finish(command(&["key-file", "id", s(&key)]));
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains(rule), "{name}: {}", text(&o));
    }
    // A directory is not a key file.
    let db = dir.path().join("dir.db");
    let o = finish(command(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--db",
        s(&db),
        "--key-file",
        s(dir.path()),
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("must be a regular file"), "{}", text(&o));
    assert!(!db.exists());
}

#[test]
fn key_file_new_makes_a_0600_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("shared.key");
    let o = finish(command(&["key-file", "new", s(&key), "--json"]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let made: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let content = std::fs::read_to_string(&key).unwrap();
    assert!(is_key_file_text(&content), "{content:?}");
    assert!(!text(&o).contains(content.trim()), "the key was printed");
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    let o = finish(command(&["key-file", "new", s(&key)]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), content);
    let o = finish(command(&["key-file", "id", s(&key), "--json"]));
    let id: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(id["kek_id"], made["kek_id"]);
    // Two new key files are two different keys.
    let other = dir.path().join("other.key");
    let o = finish(command(&["key-file", "new", s(&other), "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_ne!(v["kek_id"], made["kek_id"]);
}

#[test]
fn a_postgres_database_requires_an_existing_key_file() {
    // Refused before any connection: nothing needs to listen there.
    let url = "postgres://bulwark:secret@127.0.0.1:1/nowhere";
    let o = finish(command(&["serve", "--addr", "127.0.0.1:0", "--db", url]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("--key-file") && t.contains("BULWARK_KEY_FILE"),
        "{t}"
    );
    assert!(t.contains("postgres://"), "{t}");
    assert!(!t.contains("secret"), "the password was printed: {t}");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("absent.key");
    let o = finish(command(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--db",
        url,
        "--key-file",
        s(&key),
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("bulwark key-file new"), "{}", text(&o));
    assert!(!key.exists(), "a key file was made for a shared database");
}

/// A database whose provider key was sealed with `key_file`'s key (through
/// the library, as a running server would have done).
async fn seal_a_provider_key(location: &str, key_file: &Path) {
    let kek = bulwark_store::Kek::load(key_file).unwrap();
    let store = bulwark_store::Store::open(location)
        .await
        .unwrap()
        .with_kek(kek);
    bulwark_detection::migrate(&store).await.unwrap();
    bulwark_detection::keys::provider_key(
        &store,
        &bulwark_store::Actor::system(),
        "Some provider",
        bulwark_core::Timestamp::now(),
    )
    .await
    .unwrap();
    store.close().await;
}

/// A SQLite database, and a PostgreSQL one when the suite has one, each
/// holding a provider key sealed with its key file.
fn sealed_dbs() -> Vec<bulwark_store::testing::TestDb> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut dbs = vec![rt.block_on(bulwark_store::testing::sqlite())];
    dbs.extend(rt.block_on(bulwark_store::testing::postgres()));
    for db in &dbs {
        rt.block_on(seal_a_provider_key(&db.location, &db.key_file));
    }
    dbs
}

/// A SQLite database holding a provider key sealed with its key file.
fn sealed_sqlite() -> bulwark_store::testing::TestDb {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(bulwark_store::testing::sqlite());
    rt.block_on(seal_a_provider_key(&db.location, &db.key_file));
    db
}

/// The key id of a key file, through `bulwark key-file id --json`.
fn key_id(key_file: &Path) -> String {
    let o = finish(command(&["key-file", "id", s(key_file), "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["kek_id"].as_str().unwrap().to_string()
}

/// `bulwark serve` on `location` with `key_file`, expected to stop by itself.
fn serve_once(location: &str, key_file: &Path) -> Output {
    finish(serve_command(location, key_file))
}

/// `bulwark serve` on a free loopback port over `location` with `key_file`.
fn serve_command(location: &str, key_file: &Path) -> Command {
    command(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--db",
        location,
        "--key-file",
        s(key_file),
    ])
}

#[test]
fn serve_refuses_a_key_file_other_than_the_one_keys_were_sealed_with() {
    for db in sealed_dbs() {
        let right = key_id(&db.key_file);
        let wrong = db.dir().join("wrong.key");
        let o = finish(command(&["key-file", "new", s(&wrong), "--json"]));
        let wrong_id: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let o = serve_once(&db.location, &wrong);
        assert_eq!(o.status.code(), Some(2), "{}: {}", db.label, text(&o));
        // Refused before the server listens.
        assert!(
            !text(&o).contains("listening on"),
            "{}: {}",
            db.label,
            text(&o)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        let expected = format!(
            "sealed with key {}, key file {} is key {}",
            right,
            s(&wrong),
            wrong_id["kek_id"].as_str().unwrap()
        );
        assert!(err.contains(&expected), "{}: {err}", db.label);
        assert!(!err.contains("panicked"), "{err}");
        // With the right key file it serves.
        serves(&db.location, &db.key_file);
    }
}

/// `bulwark serve` on `location` with `key_file` starts, becomes ready and
/// stops cleanly on SIGTERM.
fn serves(location: &str, key_file: &Path) {
    let mut c = serve_command(location, key_file);
    c.stderr(Stdio::null());
    let (child, base) = common::spawn_serve(c);
    ready(&base);
    stop(child);
}

/// A SQLite database whose keys are sealed, started without its key file:
/// refused with the missing file and the key id named (exit 2), and no new
/// key file is made in its place (a new key could not open the keys).
#[test]
fn a_lost_key_file_is_not_replaced_by_a_new_one() {
    let db = sealed_sqlite();
    let id = key_id(&db.key_file);
    std::fs::remove_file(&db.key_file).unwrap();
    let o = serve_once(&db.location, &db.key_file);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("does not exist"), "{err}");
    assert!(err.contains(&id), "{err}");
    assert!(!db.key_file.exists(), "a new key file was made");
    assert!(!text(&o).contains("listening on"), "{}", text(&o));
}

/// `bulwark key-file rotate` on `location` from `from` to `to`, as JSON.
fn rotate(location: &str, from: &Path, to: &Path) -> Output {
    finish(command(&[
        "key-file",
        "rotate",
        "--db",
        location,
        "--key-file",
        s(from),
        "--to",
        s(to),
        "--json",
    ]))
}

#[test]
fn key_file_rotate_reseals_with_the_new_key_and_serve_then_needs_the_new_file() {
    for db in sealed_dbs() {
        let old_id = key_id(&db.key_file);
        let new = db.dir().join("rotated.key");
        let o = rotate(&db.location, &db.key_file, &new);
        assert_eq!(o.status.code(), Some(0), "{}: {}", db.label, text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let new_id = key_id(&new);
        assert_eq!(v["resealed"], 1, "{v}");
        assert_eq!(v["from_kek_id"], old_id.as_str());
        assert_eq!(v["to_kek_id"], new_id.as_str());
        assert_eq!(v["created"], true);
        #[cfg(unix)]
        assert_eq!(mode(&new), 0o600);
        // The old key file no longer starts the server, naming the new key...
        let o = serve_once(&db.location, &db.key_file);
        assert_eq!(o.status.code(), Some(2), "{}: {}", db.label, text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("sealed with key {new_id}")), "{err}");
        // ... the new one does.
        serves(&db.location, &new);
        // Again: nothing left to re-seal, the existing new file is read.
        let o = rotate(&db.location, &db.key_file, &new);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!((&v["resealed"], &v["created"]), (&0.into(), &false.into()));
    }
}

#[test]
fn a_refused_rotation_names_the_reason_and_leaves_no_new_key_file() {
    let db = sealed_sqlite();
    let right = key_id(&db.key_file);
    let new = db.dir().join("new.key");
    let refused = |o: Output, why: &str| {
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(why), "{why}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!new.exists(), "a new key file was left behind ({why})");
    };
    // The same key is no rotation.
    refused(
        rotate(&db.location, &db.key_file, &db.key_file),
        "holds the same key",
    );
    // The current key file must exist.
    refused(
        rotate(&db.location, &db.dir().join("gone.key"), &new),
        "does not exist",
    );
    // A key file other than the one the keys are sealed with.
    let wrong = db.dir().join("wrong.key");
    finish(command(&["key-file", "new", s(&wrong)]));
    refused(
        rotate(&db.location, &wrong, &new),
        &format!("sealed with key {right}"),
    );
    // No such database: none is made.
    let none = db.dir().join("none.db");
    refused(
        rotate(s(&none), &db.key_file, &new),
        "no such database file",
    );
    assert!(!none.exists());
    // Nothing changed: the right key file still serves.
    serves(&db.location, &db.key_file);
}

#[test]
fn detect_signing_key_replace_retires_the_key_and_needs_the_right_key_file() {
    for db in sealed_dbs() {
        let show = || signing_keys_shown(&db.location);
        let before = show();
        assert_eq!(before.len(), 1, "{before:?}");
        let old_id = before[0]["key_id"].as_str().unwrap().to_string();
        let replace = |key_file: &Path, reason: &str| {
            finish(command(&[
                "detect",
                "signing-key",
                "replace",
                "--db",
                &db.location,
                "--key-file",
                s(key_file),
                "--provider",
                "Some provider",
                "--reason",
                reason,
                "--json",
            ]))
        };
        // Another key file than the one the keys are sealed with: exit 2,
        // naming both keys; nothing changed.
        let other = db.dir().join("other.key");
        bulwark_store::Kek::create(&other).unwrap();
        let o = replace(&other, "scheduled");
        assert_eq!(o.status.code(), Some(2), "{}: {}", db.label, text(&o));
        assert!(
            text(&o).contains(&format!("sealed with key {}", key_id(&db.key_file))),
            "{}",
            text(&o)
        );
        // No reason: exit 2 naming the field.
        let o = replace(&db.key_file, " ");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("`reason`"), "{}", text(&o));
        // A key file that does not exist: exit 2, and none is made.
        let missing = db.dir().join("missing.key");
        let o = replace(&missing, "scheduled");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(!missing.exists());
        assert_eq!(show(), before, "nothing changed ({})", db.label);

        let o = replace(&db.key_file, "staff change");
        assert!(o.status.success(), "{}: {}", db.label, text(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["retired"]["key_id"], old_id.as_str());
        let after = show();
        assert_eq!(after.len(), 2);
        assert_eq!(after[0]["key_id"], old_id.as_str());
        assert_eq!(after[0]["reason"], "staff change");
        assert_eq!(after[1]["key_id"], r["current"]["key_id"]);
        assert!(after[1].get("retired_at").is_none());
    }
}

/// The signing keys `bulwark detect signing-key show --json` lists.
fn signing_keys_shown(location: &str) -> Vec<serde_json::Value> {
    let o = finish(command(&[
        "detect",
        "signing-key",
        "show",
        "--db",
        location,
        "--json",
    ]));
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect()
}

/// A lost key file: `bulwark key-file recover` retires every signing key it
/// sealed (reports signed with them still verify with the public keys) and
/// makes new ones under a new key file, which then opens them. Refused while
/// the key file still opens the keys; a failed recovery leaves no new file.
#[test]
fn key_file_recover_replaces_every_signing_key_after_a_lost_key_file() {
    for db in sealed_dbs() {
        let new = db.dir().join("new.key");
        let recover = |reason: &str| {
            finish(command(&[
                "key-file",
                "recover",
                "--db",
                &db.location,
                "--key-file",
                s(&db.key_file),
                "--to",
                s(&new),
                "--reason",
                reason,
                "--json",
            ]))
        };
        let show = || signing_keys_shown(&db.location);
        let before = show();
        // The key file is still there and opens the keys: nothing is lost.
        let o = recover("lost");
        assert_eq!(o.status.code(), Some(2), "{}: {}", db.label, text(&o));
        assert!(text(&o).contains("key-file rotate"), "{}", text(&o));
        assert!(!new.exists());
        // Lost. Without a reason: exit 2 naming the field, no new file left.
        std::fs::remove_file(&db.key_file).unwrap();
        let o = recover(" ");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("`reason`"), "{}", text(&o));
        assert!(!new.exists(), "{}", db.label);
        assert_eq!(show(), before, "nothing changed ({})", db.label);

        let o = recover("key file lost with the old server's disk");
        assert!(o.status.success(), "{}: {}", db.label, text(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["to_kek_id"], key_id(&new).as_str(), "{r}");
        assert_eq!(r["replaced"].as_array().unwrap().len(), 1, "{r}");
        assert_eq!(r["replaced"][0]["retired"]["key_id"], before[0]["key_id"]);
        let after = show();
        assert_eq!(after.len(), 2, "{after:?}");
        assert_eq!(after[0]["key_id"], before[0]["key_id"]);
        assert_eq!(
            after[0]["reason"], "key file lost with the old server's disk",
            "{after:?}"
        );
        // The new key file opens the new keys: a replacement under it works.
        let o = finish(command(&[
            "detect",
            "signing-key",
            "replace",
            "--db",
            &db.location,
            "--key-file",
            s(&new),
            "--provider",
            "Some provider",
            "--reason",
            "scheduled",
        ]));
        assert!(o.status.success(), "{}: {}", db.label, text(&o));
    }
}
