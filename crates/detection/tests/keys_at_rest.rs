//! Providers' report-signing keys at rest (crates/detection/src/keys.rs), on
//! real databases (a SQLite file, and PostgreSQL when the suite has one):
//! sealed with the key file's key, never plain in the database files, plain
//! rows of older databases sealed on start, and refusals (wrong key file,
//! altered or moved sealed values) with clear errors and nothing changed.

mod common;

use std::path::PathBuf;

use bulwark_detection::scan::{self, ScanInput, ScanItem};
use bulwark_detection::signing::KeyPair;
use bulwark_detection::{Matcher, demo, keys, reports};
use bulwark_store::testing::TestDb;
use bulwark_store::{Backend, Kek, Store, audit};
use common::{actor, confirm, dbs, now, report_of};
use sqlx::Row;

/// The pillar's migrations from before keys were sealed (up to 2004).
fn migrations_before_sealing() -> sqlx::migrate::Migrator {
    let m = common::migrations_before(2005);
    assert_eq!(m.migrations.len(), 5, "migrations 2000-2004");
    m
}

/// Scans a demo stand-in, confirms the match and reports it.
async fn confirmed_report(store: &Store) -> reports::Report {
    let d = demo::seed(store, &actor(), now()).await.unwrap();
    let m = Matcher::load(store).await.unwrap();
    let png = demo::stand_in_png(7).unwrap();
    let r = scan::scan(
        store,
        &m,
        &actor(),
        demo::DEMO_PROVIDER,
        d.basis.id,
        None,
        &[ScanItem {
            content_ref: Some("upload-1".into()),
            input: ScanInput::Image(&png),
        }],
        now(),
        "test",
    )
    .await
    .unwrap()
    .remove(0);
    let id = r.matches[0].match_id;
    confirm(store, &m, id).await;
    reports::create(store, &actor(), report_of(id), None, now(), "t")
        .await
        .unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The SQLite database file, its -wal and -shm, as bytes (those present).
fn sqlite_files(db: &TestDb) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.location));
        if let Ok(bytes) = std::fs::read(&p) {
            v.push((p, bytes));
        }
    }
    assert!(!v.is_empty() && v[0].0.as_os_str() == db.location.as_str());
    v
}

/// Where in the SQLite files `secret` (hex, upper- or lowercase, or raw) is.
fn places_of(db: &TestDb, secret_hex: &str) -> Vec<String> {
    let raw = hex::decode(secret_hex).unwrap();
    let mut found = Vec::new();
    for (p, bytes) in sqlite_files(db) {
        for (form, needle) in [
            ("hex", secret_hex.to_ascii_lowercase().into_bytes()),
            ("HEX", secret_hex.to_ascii_uppercase().into_bytes()),
            ("raw bytes", raw.clone()),
        ] {
            if find(&bytes, &needle) {
                found.push(format!("{form} in {}", p.display()));
            }
        }
    }
    found
}

async fn audit_seq(store: &Store) -> i64 {
    audit::head(store).await.unwrap().seq
}

async fn key_row(store: &Store, provider: &str) -> Vec<Option<String>> {
    let r = sqlx::query(
        "SELECT key_id, public_key, sealed_secret, kek_id, plain_secret FROM det_provider_keys \
         WHERE provider = $1",
    )
    .bind(provider)
    .fetch_one(store.pool())
    .await
    .unwrap();
    (0..5).map(|i| r.try_get(i).unwrap()).collect()
}

#[tokio::test]
async fn a_signing_key_is_sealed_and_never_in_the_database_files() {
    for db in dbs().await {
        let s = &db.store;
        let rep = confirmed_report(s).await;
        // The report verifies with the provider's public key, as listed.
        rep.public_key.verify(&rep.signed).unwrap();
        let listed = reports::list(s, reports::ReportScope::All).await.unwrap();
        listed[0].public_key.verify(&listed[0].signed).unwrap();
        // The same key opens again from its sealed row.
        let kp = keys::provider_key(s, &actor(), demo::DEMO_PROVIDER, now())
            .await
            .unwrap();
        assert_eq!(kp.key_id, rep.signed.key_id, "{}", db.label);
        let row = key_row(s, demo::DEMO_PROVIDER).await;
        let sealed = row[2].clone().expect("sealed_secret");
        assert!(sealed.starts_with("s1."), "{}", db.label);
        assert!(!sealed.contains(&kp.secret_key));
        assert_eq!(row[3].as_deref(), Some(s.kek().unwrap().id()));
        assert_eq!(row[4], None, "no plain secret ({})", db.label);
        if s.backend() != Backend::Sqlite {
            continue;
        }
        // Neither the secret (hex or raw) nor the key file's key is in the
        // database file, its WAL or its shared-memory file: while open...
        let kek_hex = std::fs::read_to_string(&db.key_file).unwrap();
        let kek_hex = kek_hex.trim();
        assert_eq!(places_of(&db, &kp.secret_key), Vec::<String>::new());
        assert_eq!(places_of(&db, kek_hex), Vec::<String>::new());
        // ... and after a clean close.
        s.close().await;
        assert_eq!(places_of(&db, &kp.secret_key), Vec::<String>::new());
        assert_eq!(places_of(&db, kek_hex), Vec::<String>::new());
    }
}

#[tokio::test]
async fn plain_secrets_of_an_older_database_are_sealed_on_start_and_keep_signing() {
    let mut v = vec![bulwark_store::testing::sqlite().await];
    v.extend(bulwark_store::testing::postgres().await);
    for db in v {
        let s = &db.store;
        // The schema as it was, with plain secrets as the old code stored them.
        s.apply_migrations(migrations_before_sealing())
            .await
            .unwrap();
        let old = KeyPair::generate(demo::DEMO_PROVIDER);
        let other = KeyPair::generate("Another provider");
        for kp in [&old, &other] {
            sqlx::query(
                "INSERT INTO det_provider_keys (provider, key_id, secret_key, public_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&kp.issuer)
            .bind(&kp.key_id)
            .bind(&kp.secret_key)
            .bind(&kp.public_key)
            .bind(now().unix_micros())
            .execute(s.pool())
            .await
            .unwrap();
        }
        if s.backend() == Backend::Sqlite {
            // The search works: the plain secret is in the files now.
            assert!(!places_of(&db, &old.secret_key).is_empty());
        }
        let before = audit_seq(s).await;
        // The start: migration 2005, then sealing with the store's key.
        bulwark_detection::migrate(s).await.unwrap();
        let sealing = audit::page(s, before, 100).await.unwrap();
        let sealed_records: Vec<_> = sealing
            .iter()
            .filter(|r| r.action == "detection.key.seal")
            .collect();
        assert_eq!(sealed_records.len(), 1, "{}: {sealing:?}", db.label);
        assert_eq!(sealed_records[0].actor, "system");
        assert_eq!(
            sealed_records[0].details["providers"],
            serde_json::json!(["Another provider", demo::DEMO_PROVIDER])
        );
        assert_eq!(
            sealed_records[0].details["kek_id"],
            s.kek().unwrap().id(),
            "{}",
            db.label
        );
        for kp in [&old, &other] {
            let row = key_row(s, &kp.issuer).await;
            assert_eq!(row[0].as_deref(), Some(kp.key_id.as_str()));
            assert!(row[2].as_deref().unwrap().starts_with("s1."));
            assert_eq!(row[4], None, "{}: plain secret left", db.label);
        }
        // The purge after sealing works on this backend (WAL truncated or
        // table rewritten; a failure would only have been logged).
        assert!(
            s.purge_erased("det_provider_keys").await.unwrap(),
            "{}",
            db.label
        );
        if s.backend() == Backend::Sqlite {
            for kp in [&old, &other] {
                assert_eq!(
                    places_of(&db, &kp.secret_key),
                    Vec::<String>::new(),
                    "the plain secret survived sealing"
                );
            }
        }
        // Nothing more to seal at the next start: no write, no record.
        let after = audit_seq(s).await;
        bulwark_detection::migrate(s).await.unwrap();
        assert_eq!(audit_seq(s).await, after);
        assert_eq!(keys::seal_at_rest(s).await.unwrap(), 0);
        // The same key keeps signing: same key id, verifies with the old
        // public key.
        let rep = confirmed_report(s).await;
        assert_eq!(rep.signed.key_id, old.key_id, "{}", db.label);
        old.public().verify(&rep.signed).unwrap();
        let kp = keys::provider_key(s, &actor(), "Another provider", now())
            .await
            .unwrap();
        assert_eq!(kp.secret_key, other.secret_key);
        assert!(audit::verify(s, &Default::default()).await.unwrap().ok);
        if s.backend() == Backend::Sqlite {
            s.close().await;
            assert_eq!(places_of(&db, &old.secret_key), Vec::<String>::new());
        }
    }
}

#[tokio::test]
async fn a_wrong_key_file_is_named_and_changes_nothing() {
    for db in dbs().await {
        let s = &db.store;
        let right = s.kek().unwrap().id().to_string();
        let kp = keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        let row = key_row(s, "P1").await;
        let seq = audit_seq(s).await;
        let wrong_file = db.dir().join("other.key");
        let wrong = Kek::create(&wrong_file).unwrap();
        let wrong_id = wrong.id().to_string();
        let other = Store::open(&db.location).await.unwrap().with_kek(wrong);
        let expected = format!(
            "sealed with key {right}, key file {} is key {wrong_id}",
            wrong_file.display()
        );
        // On use...
        let e = keys::provider_key(&other, &actor(), "P1", now())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(&expected), "{}: {e}", db.label);
        assert!(e.contains("signing key of provider `P1`"), "{e}");
        assert!(!e.contains(&kp.secret_key));
        // ... and at start.
        let e = bulwark_detection::migrate(&other)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(&expected), "{}: {e}", db.label);
        // Without any key file: refused, naming the missing key.
        let bare = Store::open(&db.location).await.unwrap();
        let e = keys::provider_key(&bare, &actor(), "P1", now())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("no key-encryption key"), "{e}");
        // Nothing changed.
        assert_eq!(key_row(s, "P1").await, row);
        assert_eq!(audit_seq(s).await, seq);
        let again = keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        assert_eq!(again.secret_key, kp.secret_key);
    }
}

#[tokio::test]
async fn altered_or_moved_sealed_secrets_are_refused() {
    for db in dbs().await {
        let s = &db.store;
        keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        keys::provider_key(s, &actor(), "P2", now()).await.unwrap();
        let p1 = key_row(s, "P1").await;
        let p2 = key_row(s, "P2").await;
        let set = |provider: &'static str, row: Vec<Option<String>>| async move {
            sqlx::query(
                "UPDATE det_provider_keys SET key_id = $1, public_key = $2, sealed_secret = $3, \
                 kek_id = $4 WHERE provider = $5",
            )
            .bind(row[0].clone())
            .bind(row[1].clone())
            .bind(row[2].clone())
            .bind(row[3].clone())
            .bind(provider)
            .execute(s.pool())
            .await
            .unwrap();
        };
        let refused = |provider: &'static str| async move {
            keys::provider_key(s, &actor(), provider, now())
                .await
                .unwrap_err()
                .to_string()
        };
        // One hex digit of the sealed value changed.
        let blob = p1[2].clone().unwrap();
        let last = blob.len() - 1;
        let flipped = if &blob[last..] == "0" { "1" } else { "0" };
        let mut tampered = p1.clone();
        tampered[2] = Some(format!("{}{flipped}", &blob[..last]));
        set("P1", tampered).await;
        let e = refused("P1").await;
        assert!(e.contains("does not authenticate"), "{}: {e}", db.label);
        assert!(e.contains("signing key of provider `P1`"), "{e}");
        // Cut short, or not the sealed form.
        let mut short = p1.clone();
        short[2] = Some(blob[..20].to_string());
        set("P1", short).await;
        assert!(refused("P1").await.contains("not in the sealed form"));
        set("P1", p1.clone()).await;
        keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        // P1's sealed secret moved into P2's row, alone or with P1's key id
        // and public key: it does not open there.
        let mut moved = p2.clone();
        moved[2] = p1[2].clone();
        set("P2", moved).await;
        assert!(refused("P2").await.contains("does not authenticate"));
        set("P2", p1.clone()).await;
        let e = refused("P2").await;
        assert!(e.contains("does not authenticate"), "{}: {e}", db.label);
        // Put back, it opens again.
        set("P2", p2.clone()).await;
        keys::provider_key(s, &actor(), "P2", now()).await.unwrap();
    }
}

/// Whether any SQLite file of `db` holds `text`'s bytes.
fn in_sqlite_files(db: &TestDb, text: &str) -> bool {
    sqlite_files(db)
        .iter()
        .any(|(_, bytes)| find(bytes, text.as_bytes()))
}

#[tokio::test]
async fn a_rotation_reseals_every_key_with_the_new_key_and_the_old_key_opens_nothing() {
    for db in dbs().await {
        let s = &db.store;
        let p1 = keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        keys::provider_key(s, &actor(), "P2", now()).await.unwrap();
        let before = [key_row(s, "P1").await, key_row(s, "P2").await];
        let old_id = s.kek().unwrap().id().to_string();
        // The same key again is no rotation: refused, nothing written.
        let seq = audit_seq(s).await;
        let same = Kek::load(&db.key_file).unwrap();
        let e = keys::rotate(s, &actor(), &same)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds the same key"), "{}: {e}", db.label);
        assert_eq!(audit_seq(s).await, seq);

        let new_file = db.dir().join("new.key");
        let new = Kek::create(&new_file).unwrap();
        let new_id = new.id().to_string();
        assert_eq!(keys::rotate(s, &actor(), &new).await.unwrap(), 2);
        for (provider, old) in [("P1", &before[0]), ("P2", &before[1])] {
            let row = key_row(s, provider).await;
            assert_eq!(row[..2], old[..2], "same key id and public key");
            assert_ne!(row[2], old[2], "sealed anew ({})", db.label);
            assert_eq!(row[3].as_deref(), Some(new_id.as_str()));
            assert_eq!(row[4], None, "no plain secret");
        }
        // One audit record, naming both keys and the providers.
        assert_eq!(audit_seq(s).await, seq + 1);
        let rec = audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(rec.action, "detection.key.rotate");
        assert_eq!(rec.details["from_kek_id"], old_id.as_str());
        assert_eq!(rec.details["to_kek_id"], new_id.as_str());
        assert_eq!(rec.details["providers"], serde_json::json!(["P1", "P2"]));
        // The old key file opens nothing now, naming the key it needs...
        let e = keys::provider_key(s, &actor(), "P1", now())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("sealed with key {new_id}")), "{e}");
        // ... and the new one opens the same signing key.
        let with_new = Store::open(&db.location)
            .await
            .unwrap()
            .with_kek(Kek::load(&new_file).unwrap());
        bulwark_detection::migrate(&with_new).await.unwrap();
        let again = keys::provider_key(&with_new, &actor(), "P1", now())
            .await
            .unwrap();
        assert_eq!(again.secret_key, p1.secret_key);
        // Running it again changes nothing.
        assert_eq!(keys::rotate(s, &actor(), &new).await.unwrap(), 0);
        assert_eq!(audit_seq(s).await, seq + 1);
        // The values sealed with the old key are gone from the SQLite files.
        if s.backend() == Backend::Sqlite {
            for old in &before {
                let blob = old[2].as_deref().unwrap();
                assert!(!in_sqlite_files(&db, blob), "{}", db.label);
            }
        }
    }
}

#[tokio::test]
async fn a_rotation_stops_at_a_key_sealed_with_a_third_key_and_changes_nothing() {
    for db in dbs().await {
        let s = &db.store;
        keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        let third_file = db.dir().join("third.key");
        let third = Kek::create(&third_file).unwrap();
        let third_id = third.id().to_string();
        let other = Store::open(&db.location).await.unwrap().with_kek(third);
        keys::provider_key(&other, &actor(), "P3", now())
            .await
            .unwrap();
        let before = [key_row(s, "P1").await, key_row(s, "P3").await];
        let seq = audit_seq(s).await;
        let new = Kek::create(&db.dir().join("new.key")).unwrap();
        let e = keys::rotate(s, &actor(), &new)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("signing key of provider `P3`"),
            "{}: {e}",
            db.label
        );
        assert!(e.contains(&format!("sealed with key {third_id}")), "{e}");
        assert_eq!([key_row(s, "P1").await, key_row(s, "P3").await], before);
        assert_eq!(audit_seq(s).await, seq);
        assert!(!keys::any_sealed_with(s, new.id()).await.unwrap());
    }
}

#[tokio::test]
async fn a_replaced_signing_key_signs_later_reports_and_earlier_ones_still_verify() {
    for db in dbs().await {
        let s = &db.store;
        // No key yet: nothing to replace.
        let e = keys::replace(s, &actor(), "nobody", "scheduled", now(), "t")
            .await
            .unwrap_err();
        assert!(
            matches!(e, bulwark_detection::DetectionError::NotFound { .. }),
            "{}: {e}",
            db.label
        );
        let first = confirmed_report(s).await;
        let old = keys::provider_key(s, &actor(), demo::DEMO_PROVIDER, now())
            .await
            .unwrap();
        let old_row = key_row(s, demo::DEMO_PROVIDER).await;
        // A reason is required and bounded; refused, nothing written.
        let seq = audit_seq(s).await;
        for reason in ["", "   ", &"x".repeat(keys::MAX_REASON_CHARS + 1)] {
            let e = keys::replace(s, &actor(), demo::DEMO_PROVIDER, reason, now(), "t")
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("`reason`"), "{}: {e}", db.label);
        }
        assert_eq!(audit_seq(s).await, seq);
        assert_eq!(key_row(s, demo::DEMO_PROVIDER).await, old_row);

        let r = keys::replace(
            s,
            &actor(),
            demo::DEMO_PROVIDER,
            "suspected exposure of a backup",
            now(),
            "t",
        )
        .await
        .unwrap();
        assert_eq!(r.retired.key_id, old.key_id);
        assert_eq!(r.retired.public_key, old.public_key);
        assert_eq!(
            r.retired.reason.as_deref(),
            Some("suspected exposure of a backup")
        );
        assert_ne!(r.current.key_id, old.key_id);
        // One audit record naming both keys and the reason.
        assert_eq!(audit_seq(s).await, seq + 1);
        let rec = audit::recent(s, 1).await.unwrap().remove(0);
        assert_eq!(rec.action, "detection.key.replace");
        assert_eq!(rec.details["retired_key_id"], old.key_id.as_str());
        assert_eq!(rec.details["key_id"], r.current.key_id.as_str());
        // The new key is sealed with the key file's key and signs from now on.
        let row = key_row(s, demo::DEMO_PROVIDER).await;
        assert_eq!(row[0].as_deref(), Some(r.current.key_id.as_str()));
        assert_eq!(row[3].as_deref(), Some(s.kek().unwrap().id()));
        assert_eq!(row[4], None, "no plain secret");
        let new = keys::provider_key(s, &actor(), demo::DEMO_PROVIDER, now())
            .await
            .unwrap();
        assert_eq!(new.key_id, r.current.key_id);
        assert_ne!(new.secret_key, old.secret_key);
        // Both keys are listed, the retired one first with its reason.
        let listed = keys::signing_keys(s, Some(demo::DEMO_PROVIDER))
            .await
            .unwrap();
        assert_eq!(listed, vec![r.retired.clone(), r.current.clone()]);
        assert!(
            keys::signing_keys(s, Some("another provider"))
                .await
                .unwrap()
                .is_empty()
        );
        // The earlier report still verifies, with the retired key, as listed.
        let reports = reports::list(s, reports::ReportScope::All).await.unwrap();
        let earlier = reports.iter().find(|x| x.id == first.id).unwrap();
        assert_eq!(earlier.public_key.key_id, old.key_id);
        assert_eq!(earlier.public_key.public_key, old.public_key);
        earlier.public_key.verify(&earlier.signed).unwrap();
        // The old secret is gone from the SQLite files, hex and raw, and so is
        // its sealed value.
        if s.backend() == Backend::Sqlite {
            assert_eq!(places_of(&db, &old.secret_key), Vec::<String>::new());
            assert!(!in_sqlite_files(&db, old_row[2].as_deref().unwrap()));
        }
    }
}

#[tokio::test]
async fn a_signing_key_that_no_longer_opens_can_still_be_replaced() {
    for db in dbs().await {
        let s = &db.store;
        keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        // The sealed value altered (or sealed under a lost key file): the key
        // cannot sign any more...
        sqlx::query("UPDATE det_provider_keys SET sealed_secret = 's1.AAAA' WHERE provider = 'P1'")
            .execute(s.pool())
            .await
            .unwrap();
        assert!(keys::provider_key(s, &actor(), "P1", now()).await.is_err());
        // ... but it can be replaced, without being opened, and then signs again.
        let r = keys::replace(s, &actor(), "P1", "the sealed key was damaged", now(), "t")
            .await
            .unwrap();
        let kp = keys::provider_key(s, &actor(), "P1", now()).await.unwrap();
        assert_eq!(kp.key_id, r.current.key_id, "{}", db.label);
    }
}

/// After a lost key file, every provider's key is replaced under a new key
/// in one transaction (`bulwark key-file recover`): one audit record per
/// provider, the old public keys kept, the new keys signing under the new
/// key file; nothing to replace is no error.
#[tokio::test]
async fn every_signing_key_is_replaced_under_a_new_key_file() {
    for db in dbs().await {
        let s = &db.store;
        assert!(
            keys::replace_all(s, &actor(), "lost", now(), "t")
                .await
                .unwrap()
                .is_empty()
        );
        let old: Vec<String> = {
            let mut v = Vec::new();
            for p in ["P1", "P2"] {
                v.push(
                    keys::provider_key(s, &actor(), p, now())
                        .await
                        .unwrap()
                        .key_id,
                );
            }
            v
        };
        let new_file = db.dir().join("new.key");
        let fresh = bulwark_store::Store::open(&db.location)
            .await
            .unwrap()
            .with_kek(bulwark_store::Kek::create(&new_file).unwrap());
        let done = keys::replace_all(&fresh, &actor(), "key file lost", now(), "t")
            .await
            .unwrap();
        let retired: Vec<_> = done.iter().map(|r| r.retired.key_id.clone()).collect();
        assert_eq!(retired, old, "{}", db.label);
        let audit = bulwark_store::audit::recent(s, 2).await.unwrap();
        assert!(
            audit
                .iter()
                .all(|r| r.action == "detection.key.replace"
                    && r.details["reason"] == "key file lost"),
            "{}",
            db.label
        );
        for (p, r) in ["P1", "P2"].iter().zip(&done) {
            let kp = keys::provider_key(&fresh, &actor(), p, now())
                .await
                .unwrap();
            assert_eq!(kp.key_id, r.current.key_id, "{}", db.label);
            // The old key file opens none of them any more.
            assert!(keys::provider_key(s, &actor(), p, now()).await.is_err());
        }
        let listed = keys::signing_keys(s, None).await.unwrap();
        assert_eq!(listed.iter().filter(|k| k.retired_at.is_some()).count(), 2);
        fresh.close().await;
    }
}
