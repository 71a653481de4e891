//! Group commit of scans (`bulwark_detection::recorder`): many concurrent
//! scan requests recorded by one writer, every scan with its row, its
//! matches and its audit record, the chain intact; and a basis suspended
//! after the request's check refuses the scans still waiting.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use sqlx::Row;

use bulwark_detection::basis::{self, Basis, BasisCache};
use bulwark_detection::recorder::{Recorder, ScanJob, record_batch};
use bulwark_detection::scan::{self, Outcome, ScanInput, ScanItem};
use bulwark_detection::vocab::BasisStatus;
use bulwark_detection::{DetectionError, Matcher, demo};
use bulwark_store::audit::{self, VerifyOptions};
use bulwark_store::testing::all;
use bulwark_store::{Actor, Store};
use common::now;

fn actor(id: &str, org: &str) -> Actor {
    Actor {
        id: id.into(),
        organisation: org.into(),
    }
}

/// A PDQ hash of a demo image (matches) or a fixed unrelated one (does not).
fn hash_for(i: usize) -> (String, u8) {
    if i.is_multiple_of(4) {
        let img = demo::stand_in_image(i % demo::DEMO_IMAGES);
        let out = bulwark_pdq::hash_rgb8(256, 256, img.as_raw()).unwrap();
        (out.hash.to_hex(), out.quality)
    } else {
        (format!("{:064x}", 0x5a5a_5a5a_u128 * (i as u128 + 1)), 100)
    }
}

fn evaluate(m: &Matcher, b: &Basis, i: usize) -> Vec<scan::Evaluated> {
    let (h, q) = hash_for(i);
    let items = [ScanItem {
        content_ref: Some(format!("item-{i}")),
        input: ScanInput::Hash {
            pdq: &h,
            quality: q,
        },
    }];
    scan::evaluate_all(m, b, &items).unwrap()
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Every scan id named by the `detection.scan` audit records, with the actor.
async fn audited_scans(store: &Store) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = audit::page(store, after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for r in &page {
            if r.action == "detection.scan" {
                for s in r.details["scans"].as_array().unwrap() {
                    out.push((s.as_str().unwrap().to_string(), r.actor.clone()));
                }
            }
        }
    }
    out
}

async fn second_basis(store: &Store) -> Basis {
    let new = basis::demo_voluntary("Second provider", "second-service", now(), 30).unwrap();
    basis::create(
        store,
        &actor("token:second", "Second provider"),
        new,
        now(),
        "test",
    )
    .await
    .unwrap()
}

/// A migrated store with the demo dataset (its basis for `first`) and a second
/// provider's basis.
async fn two_bases(store: &Store) -> (Actor, demo::DemoDetection, Basis) {
    bulwark_detection::migrate(store).await.unwrap();
    let first = actor("token:first", demo::DEMO_PROVIDER);
    let d = demo::seed(store, &first, now()).await.unwrap();
    let b2 = second_basis(store).await;
    (first, d, b2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_scans_are_all_recorded_and_audited() {
    for db in all().await {
        let (first, d, b2) = two_bases(&db.store).await;
        let m = Arc::new(Matcher::load(&db.store).await.unwrap());
        let cache = Arc::new(BasisCache::new());
        // A small batch limit, so that the 96 requests need several transactions.
        let recorder = Arc::new(Recorder::new(db.store.clone(), cache, 16));
        let mut tasks = Vec::new();
        for i in 0..96usize {
            let (who, b) = if i.is_multiple_of(3) {
                (actor("token:second", "Second provider"), b2.clone())
            } else {
                (first.clone(), d.basis.clone())
            };
            let scans = evaluate(&m, &b, i);
            let recorder = recorder.clone();
            tasks.push(tokio::spawn(async move {
                recorder
                    .record(ScanJob {
                        actor: who,
                        basis: b,
                        purpose: format!("purpose {}", i % 2),
                        scans,
                        now: now(),
                    })
                    .await
            }));
        }
        let mut ids = BTreeSet::new();
        let mut matched = 0;
        for t in tasks {
            let r = t.await.unwrap().unwrap();
            assert_eq!(r.len(), 1);
            if r[0].outcome == Outcome::Matched {
                matched += r[0].matches.len();
            }
            ids.insert(r[0].scan_id.to_string());
        }
        assert_eq!(ids.len(), 96, "{}", db.label);
        assert!(matched >= 24, "{}: {matched} matches", db.label);
        assert_eq!(
            count(&db.store, "SELECT COUNT(*) AS n FROM det_scans").await,
            96,
            "{}",
            db.label
        );
        assert_eq!(
            count(
                &db.store,
                "SELECT COUNT(*) AS n FROM det_matches WHERE state = 'pending_review'"
            )
            .await,
            matched as i64,
            "{}",
            db.label
        );
        // Each scan is named by exactly one audit record, of its own actor.
        let audited = audited_scans(&db.store).await;
        assert_eq!(audited.len(), 96, "{}", db.label);
        let named: BTreeSet<String> = audited.iter().map(|(s, _)| s.clone()).collect();
        assert_eq!(named, ids, "{}", db.label);
        let second_actor = count(
            &db.store,
            "SELECT COUNT(*) AS n FROM det_scans WHERE provider = 'Second provider'",
        )
        .await;
        assert_eq!(second_actor, 32);
        assert_eq!(
            audited.iter().filter(|(_, a)| a == "token:second").count(),
            32
        );
        let report = audit::verify(&db.store, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(report.ok, "{}: {:?}", db.label, report.first_break);
    }
}

#[tokio::test]
async fn a_basis_suspended_after_the_check_refuses_the_waiting_scans() {
    for db in all().await {
        let (first, d, b2) = two_bases(&db.store).await;
        let m = Matcher::load(&db.store).await.unwrap();
        let cache = BasisCache::new();
        // Both bases pass the request-time check (and are cached)...
        let cached = cache
            .require_active(&db.store, d.basis.id, demo::DEMO_PROVIDER, None, now())
            .await
            .unwrap();
        cache
            .require_active(&db.store, b2.id, "Second provider", None, now())
            .await
            .unwrap();
        // ... then the first is suspended (as by another process).
        basis::set_status(
            &db.store,
            &first,
            d.basis.id,
            BasisStatus::Suspended,
            None,
            now(),
            "test",
        )
        .await
        .unwrap();
        let jobs = vec![
            ScanJob {
                actor: first.clone(),
                basis: cached.clone(),
                purpose: "t".into(),
                scans: evaluate(&m, &cached, 0),
                now: now(),
            },
            ScanJob {
                actor: actor("token:second", "Second provider"),
                basis: b2.clone(),
                purpose: "t".into(),
                scans: evaluate(&m, &b2, 1),
                now: now(),
            },
        ];
        let out = record_batch(&db.store, &jobs, Some(&cache)).await.unwrap();
        let e = out[0].as_ref().unwrap_err();
        assert!(matches!(e, DetectionError::Refused(_)), "{e}");
        assert!(e.to_string().contains("suspended"), "{e}");
        assert_eq!(out[1].as_ref().unwrap().len(), 1);
        assert_eq!(
            count(&db.store, "SELECT COUNT(*) AS n FROM det_scans").await,
            1,
            "{}",
            db.label
        );
        assert_eq!(audited_scans(&db.store).await.len(), 1);
        // The cache learnt the status: the next request is refused up front.
        let e = cache
            .require_active(&db.store, d.basis.id, demo::DEMO_PROVIDER, None, now())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("suspended"), "{e}");
        // Another provider cannot use a cached basis.
        let e = cache
            .require_active(&db.store, b2.id, demo::DEMO_PROVIDER, None, now())
            .await
            .unwrap_err();
        assert!(matches!(e, DetectionError::Refused(_)), "{e}");
        // A batch whose every job is refused writes nothing at all.
        let head = audit::head(&db.store).await.unwrap();
        let out = record_batch(&db.store, &jobs[..1], Some(&cache))
            .await
            .unwrap();
        assert!(out[0].is_err());
        assert_eq!(audit::head(&db.store).await.unwrap(), head);
        assert!(
            audit::verify(&db.store, &VerifyOptions::default())
                .await
                .unwrap()
                .ok
        );
    }
}

#[tokio::test]
async fn a_large_batch_is_recorded_in_order_across_multi_row_statements() {
    for db in all().await {
        bulwark_detection::migrate(&db.store).await.unwrap();
        let first = actor("token:first", demo::DEMO_PROVIDER);
        let d = demo::seed(&db.store, &first, now()).await.unwrap();
        let m = Matcher::load(&db.store).await.unwrap();
        // 250 scans (a quarter matching) in one job: more rows than one
        // INSERT statement carries, for scans and for matches.
        let scans: Vec<_> = (0..250).flat_map(|i| evaluate(&m, &d.basis, i)).collect();
        let matching = scans.iter().filter(|s| !s.candidates.is_empty()).count();
        assert!(matching >= 60);
        let job = ScanJob {
            actor: first.clone(),
            basis: d.basis.clone(),
            purpose: "t".into(),
            scans: scans.clone(),
            now: now(),
        };
        let out = record_batch(&db.store, &[job], None).await.unwrap();
        let results = out.into_iter().next().unwrap().unwrap();
        assert_eq!(results.len(), 250);
        for (r, s) in results.iter().zip(&scans) {
            assert_eq!(r.scan_id, s.scan_id);
            assert_eq!(r.matches.len(), s.candidates.len());
            assert_eq!(r.matched, !s.candidates.is_empty());
        }
        let n = count(&db.store, "SELECT COUNT(*) AS n FROM det_scans").await;
        assert_eq!(n, 250, "{}", db.label);
        let matches: usize = scans.iter().map(|s| s.candidates.len()).sum();
        let stored = count(&db.store, "SELECT COUNT(*) AS n FROM det_matches").await;
        assert_eq!(stored, matches as i64, "{}", db.label);
        // Each stored match points at its own scan.
        let linked = count(
            &db.store,
            "SELECT COUNT(*) AS n FROM det_matches m JOIN det_scans s ON s.id = m.scan_id",
        )
        .await;
        assert_eq!(linked, matches as i64);
        assert_eq!(audited_scans(&db.store).await.len(), 250);
        assert!(
            audit::verify(&db.store, &VerifyOptions::default())
                .await
                .unwrap()
                .ok
        );
    }
}

/// Backpressure: while the writer is held up, at most the queue's capacity
/// of requests wait; the rest are refused at once with `Busy` and leave
/// nothing behind; the waiting ones are recorded once the writer moves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_with_busy_and_records_only_what_waited() {
    for db in all().await {
        bulwark_detection::migrate(&db.store).await.unwrap();
        let first = actor("token:first", demo::DEMO_PROVIDER);
        let d = demo::seed(&db.store, &first, now()).await.unwrap();
        let m = Matcher::load(&db.store).await.unwrap();
        let before = count(&db.store, "SELECT COUNT(*) AS n FROM det_scans").await;
        // One scan per transaction, two jobs may wait.
        let recorder = Arc::new(Recorder::with_queue(
            db.store.clone(),
            Arc::new(BasisCache::new()),
            1,
            2,
        ));
        // Another write holds the store: the writer blocks on its first batch.
        let held = db.store.write().await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..6usize {
            let scans = evaluate(&m, &d.basis, i);
            let (recorder, who, basis) = (recorder.clone(), first.clone(), d.basis.clone());
            tasks.push(tokio::spawn(async move {
                recorder
                    .record(ScanJob {
                        actor: who,
                        basis,
                        purpose: "backpressure".into(),
                        scans,
                        now: now(),
                    })
                    .await
            }));
        }
        // The refused answer at once; wait for the first of them.
        while !tasks.iter().any(|t| t.is_finished()) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        drop(held);
        let (mut busy, mut recorded) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(r) => recorded += r.len() as i64,
                Err(DetectionError::Busy(why)) => {
                    assert!(why.contains("retry"), "{why}");
                    busy += 1;
                }
                Err(e) => panic!("{}: {e}", db.label),
            }
        }
        // At most one job in the writer and two in the queue.
        assert!(busy >= 3, "{}: {busy} refused", db.label);
        assert!((1..=3).contains(&recorded), "{}: {recorded}", db.label);
        assert_eq!(
            count(&db.store, "SELECT COUNT(*) AS n FROM det_scans").await - before,
            recorded,
            "{}: only the scans that waited are recorded",
            db.label
        );
    }
}

/// The jobs of one transaction share their INSERT statements (scans and
/// matches of all jobs in the same multi-row statements, of every cached
/// size: 92 scans and 37 matches), yet each job gets back exactly its own
/// results, in its own order, and each stored row carries its own job's
/// basis and provider and its own scan's values.
#[tokio::test]
async fn jobs_of_different_bases_share_statements_and_keep_their_own_rows() {
    for db in all().await {
        let (first, d, b2) = two_bases(&db.store).await;
        let m = Matcher::load(&db.store).await.unwrap();
        let second = actor("token:second", "Second provider");
        // Items 0 and 4 match a demo indicator; 1, 2 and 5 do not.
        let job = |who: &Actor, b: &Basis, items: &[usize]| ScanJob {
            actor: who.clone(),
            basis: b.clone(),
            purpose: "t".into(),
            scans: items.iter().flat_map(|&i| evaluate(&m, b, i)).collect(),
            now: now(),
        };
        let jobs = vec![
            job(&first, &d.basis, &[1, 0]),
            job(&second, &b2, &[4]),
            job(&first, &d.basis, &[2]),
            job(&second, &b2, &[5, 0, 1]),
            // 85 more: the statements of 64 rows and the smaller ones follow.
            job(&first, &d.basis, &[0, 1, 2, 4, 5].repeat(17)),
        ];
        let out = record_batch(&db.store, &jobs, None).await.unwrap();
        assert_eq!(out.len(), jobs.len());
        for (j, o) in jobs.iter().zip(&out) {
            let results = o.as_ref().unwrap();
            let want: Vec<_> = j.scans.iter().map(|s| s.scan_id).collect();
            let got: Vec<_> = results.iter().map(|r| r.scan_id).collect();
            assert_eq!(got, want, "{}", db.label);
            for (r, s) in results.iter().zip(&j.scans) {
                assert_eq!(r.matched, !s.candidates.is_empty(), "{}", db.label);
                let row = sqlx::query(
                    "SELECT basis_id, provider, content_ref, pdq, outcome FROM det_scans WHERE id = $1",
                )
                .bind(r.scan_id.to_string())
                .fetch_one(db.store.pool())
                .await
                .unwrap();
                let get = |c: &str| row.try_get::<String, _>(c).unwrap();
                assert_eq!(get("basis_id"), j.basis.id.to_string(), "{}", db.label);
                assert_eq!(get("provider"), j.basis.facts.provider);
                assert_eq!(Some(get("content_ref")), r.content_ref);
                assert_eq!(get("pdq"), r.hash);
                assert_eq!(
                    serde_json::Value::String(get("outcome")),
                    serde_json::to_value(r.outcome).unwrap()
                );
                assert_eq!(r.matches.len(), s.candidates.len());
                for mt in &r.matches {
                    let row = sqlx::query(
                        "SELECT m.basis_id AS mb, m.provider AS mp, m.scan_id AS ms, s.basis_id AS sb, s.provider AS sp, m.list_id AS ml, m.variant AS mv, m.state AS mst, m.distance AS md FROM det_matches m JOIN det_scans s ON s.id = m.scan_id WHERE m.id = $1",
                    )
                    .bind(mt.match_id.to_string())
                    .fetch_one(db.store.pool())
                    .await
                    .unwrap();
                    let get = |c: &str| row.try_get::<String, _>(c).unwrap();
                    assert_eq!(get("ms"), r.scan_id.to_string());
                    assert_eq!(get("mb"), j.basis.id.to_string());
                    assert_eq!(get("sb"), j.basis.id.to_string());
                    assert_eq!(get("mp"), j.basis.facts.provider);
                    assert_eq!(get("sp"), j.basis.facts.provider);
                    assert_eq!(get("ml"), mt.list_id);
                    assert_eq!(get("mv"), mt.variant);
                    assert_eq!(get("mst"), "pending_review");
                    let distance: i64 = row.try_get("md").unwrap();
                    assert_eq!(distance, i64::from(mt.distance));
                }
            }
        }
        // Items 0 (twice) and 4 matched; every scan has its row.
        assert!(out[0].as_ref().unwrap()[1].matched && out[1].as_ref().unwrap()[0].matched);
        assert!(!out[0].as_ref().unwrap()[0].matched && !out[2].as_ref().unwrap()[0].matched);
        assert_eq!(
            count(&db.store, "SELECT COUNT(*) AS n FROM det_scans").await,
            92,
            "{}",
            db.label
        );
        // One audit record per (actor, basis, purpose), naming its jobs' scans.
        let audited = audited_scans(&db.store).await;
        assert_eq!(audited.len(), 92);
        for (j, o) in jobs.iter().zip(&out) {
            for r in o.as_ref().unwrap() {
                assert!(audited.contains(&(r.scan_id.to_string(), j.actor.id.clone())));
            }
        }
        assert!(
            audit::verify(&db.store, &VerifyOptions::default())
                .await
                .unwrap()
                .ok
        );
    }
}
