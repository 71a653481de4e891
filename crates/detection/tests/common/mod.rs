//! Helpers shared by the detection pillar's integration tests (each test
//! binary uses some of them).
#![allow(dead_code)]

use bulwark_core::Timestamp;
use bulwark_detection::review::{self, ReviewDecision};
use bulwark_detection::vocab::Decision;
use bulwark_detection::{Matcher, demo, reports, scan};
use bulwark_store::testing::{TestDb, all};
use bulwark_store::{Actor, Store};

/// The tests' clock: a time inside Regulation (EU) 2026/1881's window and the
/// demo basis's period.
pub fn now() -> Timestamp {
    Timestamp::from_datetime(
        chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .to_utc(),
    )
}

/// A token of the demo provider.
pub fn actor() -> Actor {
    Actor {
        id: "token:test".into(),
        organisation: demo::DEMO_PROVIDER.into(),
    }
}

/// A SQLite database, and a PostgreSQL one when the suite has one, with the
/// pillar's migrations applied.
pub async fn dbs() -> Vec<TestDb> {
    let v = all().await;
    for db in &v {
        bulwark_detection::migrate(&db.store).await.unwrap();
    }
    v
}

/// A report of match `id` with the Annex III fields a test does not set
/// left empty.
pub fn report_of(id: scan::MatchId) -> reports::NewReport {
    reports::NewReport {
        match_id: id,
        provider_contact: "trust@demo.example".into(),
        urgent: false,
        service_type: "hosting".into(),
        service_url: None,
        location: Default::default(),
        user: Default::default(),
        third_country: None,
        removed: true,
        user_decision: None,
        other: None,
        recipient: None,
        marking: None,
        attachment: None,
    }
}

/// Confirms match `id` by human review, as the demo provider's reviewer.
pub async fn confirm(store: &Store, m: &Matcher, id: scan::MatchId) {
    let dec = ReviewDecision {
        decision: Decision::Confirm,
        reason: "matches the indicator".into(),
        negative_radius: None,
    };
    review::decide(store, m, &actor(), id, &dec, None, now(), "t")
        .await
        .unwrap();
}

/// The pillar's migrations before `version` (the schema an older release
/// left), to test upgrades.
pub fn migrations_before(version: i64) -> sqlx::migrate::Migrator {
    let mut m = sqlx::migrate!("./migrations");
    let old: Vec<_> = m
        .migrations
        .iter()
        .filter(|x| x.version < version)
        .cloned()
        .collect();
    m.migrations = std::borrow::Cow::Owned(old);
    m
}
