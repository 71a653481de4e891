//! Stored simulation runs on both stores: the request is checked field by
//! field and a refused request writes nothing; a run goes queued -> running
//! -> done (or failed) with one audit record per write; a finished run does
//! not change; runs a stopped server left are failed at the next start.
//! (The engine itself runs on the real model in `crates/server/tests/simulations.rs`.)

mod common;

use bulwark_core::Timestamp;
use bulwark_resilience::ResilienceError;
use bulwark_resilience::simulations::{
    self, MAX_SAMPLES, NewSimulation, Quantiles, RunStatus, SimulationSummary, StateSummary,
};
use bulwark_store::{Actor, audit};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn request(samples: u64) -> NewSimulation {
    NewSimulation {
        scenario: "cyber-cloud-provider".into(),
        samples,
        seed: 42,
    }
}

fn summary() -> SimulationSummary {
    SimulationSummary {
        horizon_hours: 168.0,
        significant_users: 10_000.0,
        user_hours: Quantiles {
            mean: 10.0,
            p50: 5.0,
            p90: 20.0,
            p99: 30.0,
            max: 40.0,
        },
        peak_users: Quantiles::default(),
        expected_annual_user_hours: None,
        cross_border_probability: 0.25,
        six_member_states_probability: 0.0,
        member_states: vec![StateSummary {
            member_state: "DE".into(),
            probability_significant: 0.5,
            peak_users: Quantiles::default(),
            user_hours: Quantiles::default(),
            max_duration_hours: 12.0,
            mean_duration_hours: 3.0,
        }],
        exceedance: vec![],
        tail_quantile: 0.99,
        top_entities: vec![],
        top_dependencies: vec![],
        worst_sample: None,
        events: 7,
        truncated_samples: 0,
    }
}

#[tokio::test]
async fn a_run_is_recorded_progresses_and_finishes_with_audit_records() {
    for db in common::all().await {
        let store = &db.store;
        let actor = Actor::cli("authority");
        let run = simulations::start(
            store,
            &actor,
            &request(100),
            t("2027-01-01T10:00:00Z"),
            "study",
        )
        .await
        .unwrap();
        assert_eq!(run.status, RunStatus::Queued, "{}", db.label);
        assert_eq!((run.samples_done, run.progress), (0, 0.0));
        assert!(run.started_at.is_none() && run.summary.is_none());
        assert_eq!(run.created_by, actor.id);

        assert!(
            simulations::progress(store, &actor, run.id, 40, t("2027-01-01T10:00:05Z"))
                .await
                .unwrap()
        );
        let running = simulations::get(store, run.id).await.unwrap();
        assert_eq!(running.status, RunStatus::Running);
        assert_eq!(running.samples_done, 40);
        assert_eq!(running.progress, 0.4);
        assert_eq!(running.started_at, Some(t("2027-01-01T10:00:05Z")));

        let s = summary();
        assert!(
            simulations::finish(store, &actor, run.id, Ok(&s), t("2027-01-01T10:01:00Z"))
                .await
                .unwrap()
        );
        let done = simulations::get(store, run.id).await.unwrap();
        assert_eq!(done.status, RunStatus::Done, "{}", db.label);
        assert_eq!(done.samples_done, 100);
        assert_eq!(done.progress, 1.0);
        assert_eq!(done.summary.as_ref(), Some(&s));
        assert_eq!(done.finished_at, Some(t("2027-01-01T10:01:00Z")));

        // Final: neither progress nor another end changes it.
        assert!(
            !simulations::progress(store, &actor, run.id, 10, t("2027-01-01T10:02:00Z"))
                .await
                .unwrap()
        );
        assert!(
            !simulations::finish(
                store,
                &actor,
                run.id,
                Err("late"),
                t("2027-01-01T10:02:00Z")
            )
            .await
            .unwrap()
        );
        assert_eq!(simulations::get(store, run.id).await.unwrap(), done);

        let listed = simulations::list(store, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].summary.is_none(), "listings leave summaries out");

        let records = audit::recent(store, 10).await.unwrap();
        let object = format!("simulation:{}", run.id);
        let actions: Vec<&str> = records
            .iter()
            .filter(|r| r.object == object)
            .map(|r| r.action.as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "resilience.simulation.finish",
                "resilience.simulation.progress",
                "resilience.simulation.start"
            ],
            "{}",
            db.label
        );
        let start = records
            .iter()
            .find(|r| r.action == "resilience.simulation.start")
            .unwrap();
        assert_eq!(start.purpose, "study");
        assert_eq!(start.details["scenario"], "cyber-cloud-provider");
        assert!(audit::verify(store, &Default::default()).await.unwrap().ok);
    }
}

#[tokio::test]
async fn bad_requests_name_the_field_and_write_nothing() {
    for db in common::all().await {
        let store = &db.store;
        let actor = Actor::cli("authority");
        let before = audit::recent(store, 1000).await.unwrap().len();
        for (req, field) in [
            (
                NewSimulation {
                    scenario: "atlantis-flood".into(),
                    ..request(10)
                },
                "scenario",
            ),
            (request(0), "samples"),
            (request(MAX_SAMPLES + 1), "samples"),
            (
                NewSimulation {
                    seed: u64::MAX,
                    ..request(10)
                },
                "seed",
            ),
        ] {
            match simulations::start(store, &actor, &req, Timestamp::now(), "x").await {
                Err(ResilienceError::Invalid { field: f, .. }) => {
                    assert_eq!(f, field, "{}", db.label)
                }
                other => panic!("{}: expected a field error, got {other:?}", db.label),
            }
        }
        assert!(simulations::list(store, 10).await.unwrap().is_empty());
        assert_eq!(audit::recent(store, 1000).await.unwrap().len(), before);
    }
}

#[tokio::test]
async fn runs_left_unfinished_are_failed_as_interrupted() {
    for db in common::all().await {
        let store = &db.store;
        let actor = Actor::cli("authority");
        let queued = simulations::start(store, &actor, &request(5), Timestamp::now(), "x")
            .await
            .unwrap();
        let running = simulations::start(store, &actor, &request(5), Timestamp::now(), "x")
            .await
            .unwrap();
        simulations::progress(store, &actor, running.id, 2, Timestamp::now())
            .await
            .unwrap();
        let done = simulations::start(store, &actor, &request(5), Timestamp::now(), "x")
            .await
            .unwrap();
        simulations::finish(store, &actor, done.id, Ok(&summary()), Timestamp::now())
            .await
            .unwrap();

        let n = simulations::interrupt_unfinished(store, &Actor::system(), Timestamp::now())
            .await
            .unwrap();
        assert_eq!(n, 2, "{}", db.label);
        for id in [queued.id, running.id] {
            let r = simulations::get(store, id).await.unwrap();
            assert_eq!(r.status, RunStatus::Failed);
            assert!(r.error.as_deref().unwrap().contains("interrupted"));
            assert!(r.summary.is_none());
        }
        assert_eq!(
            simulations::get(store, done.id).await.unwrap().status,
            RunStatus::Done
        );
        match simulations::get(store, bulwark_resilience::simulations::SimulationId::new()).await {
            Err(ResilienceError::NotFound { kind, .. }) => assert_eq!(kind, "simulation"),
            other => panic!("expected not found, got {other:?}"),
        }
    }
}
