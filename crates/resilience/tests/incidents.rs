//! Incidents: CER Art. 15 and NIS2 Art. 23 clocks in parallel (time is
//! passed in, never waited for), significance (CER Art. 15(1), Implementing
//! Regulation (EU) 2024/2690), cross-border routing, stage rules.

mod common;

use std::collections::BTreeMap;

use bulwark_core::{Country, Timestamp};
use bulwark_resilience::import::{self, ImportFile};
use bulwark_resilience::incidents::{
    self, ClockStatus, NewIncident, Nis2Facts, StageReport, cer_clocks, cer_significance,
    nis2_clocks, nis2_significance, route,
};
use bulwark_resilience::thresholds::Thresholds;
use bulwark_resilience::{Nis2EntityType, ResilienceError, Stage};
use bulwark_store::{Actor, audit};

const DE: Country = Country::Germany;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn incident() -> NewIncident {
    NewIncident {
        entity: "DE-TSO-1".into(),
        aware_at: t("2027-03-10T08:00:00Z"),
        cer: true,
        nis2: false,
        affected_states: vec![],
        users_affected: None,
        users_total: None,
        duration_hours: None,
        isolated_area: false,
        nis2_facts: None,
    }
}

#[test]
fn cer_art_15_initial_notification_due_24h_after_awareness() {
    let aware = t("2027-03-10T08:00:00Z");
    let none = BTreeMap::new();
    let c = cer_clocks(aware, &none, t("2027-03-11T07:59:59Z"));
    assert_eq!(c[0].stage, Stage::InitialNotification);
    assert_eq!(c[0].due_at, t("2027-03-11T08:00:00Z"));
    assert_eq!(c[0].article, "CER Art. 15(1)");
    assert_eq!(c[0].status, ClockStatus::Pending);
    // Exactly at the deadline it is not yet overdue; one second later it is.
    assert_eq!(
        cer_clocks(aware, &none, t("2027-03-11T08:00:00Z"))[0].status,
        ClockStatus::Pending
    );
    assert_eq!(
        cer_clocks(aware, &none, t("2027-03-11T08:00:01Z"))[0].status,
        ClockStatus::Overdue
    );
    let late = BTreeMap::from([(Stage::InitialNotification, t("2027-03-11T09:00:00Z"))]);
    assert_eq!(
        cer_clocks(aware, &late, t("2027-03-12T00:00:00Z"))[0].status,
        ClockStatus::SubmittedLate
    );
}

#[test]
fn cer_art_15_detailed_report_due_one_month_after_initial_notification() {
    let aware = t("2027-01-30T12:00:00Z");
    // Before the initial notification: provisional, from its due time.
    let c = cer_clocks(aware, &BTreeMap::new(), aware);
    assert_eq!(c[1].stage, Stage::DetailedReport);
    assert!(c[1].provisional);
    assert_eq!(
        c[1].due_at,
        t("2027-02-28T12:00:00Z"),
        "31 Jan + 1 month = 28 Feb"
    );
    // After it: one month from the actual submission.
    let sent = BTreeMap::from([(Stage::InitialNotification, t("2027-01-30T20:00:00Z"))]);
    let c = cer_clocks(aware, &sent, aware);
    assert!(!c[1].provisional);
    assert_eq!(c[1].due_at, t("2027-02-28T20:00:00Z"));
    assert_eq!(c[0].status, ClockStatus::Submitted);
}

#[test]
fn nis2_art_23_4_early_warning_24h_notification_72h_final_report_one_month() {
    let aware = t("2027-03-10T08:00:00Z");
    let c = nis2_clocks(aware, false, &BTreeMap::new(), aware);
    let due: Vec<(Stage, Timestamp)> = c.iter().map(|c| (c.stage, c.due_at)).collect();
    assert_eq!(
        due,
        [
            (Stage::EarlyWarning, t("2027-03-11T08:00:00Z")),
            (Stage::IncidentNotification, t("2027-03-13T08:00:00Z")),
            (Stage::FinalReport, t("2027-04-13T08:00:00Z")),
        ]
    );
    assert_eq!(c[1].article, "NIS2 Art. 23(4)(b)");
    let sent = BTreeMap::from([(Stage::IncidentNotification, t("2027-03-12T10:00:00Z"))]);
    let c = nis2_clocks(aware, false, &sent, aware);
    assert_eq!(c[2].due_at, t("2027-04-12T10:00:00Z"));
    assert!(!c[2].provisional);
}

#[test]
fn nis2_art_23_4_b_trust_service_provider_notification_due_24h() {
    let aware = t("2027-03-10T08:00:00Z");
    let c = nis2_clocks(aware, true, &BTreeMap::new(), aware);
    assert_eq!(c[1].due_at, t("2027-03-11T08:00:00Z"));
}

#[test]
fn cer_art_15_3_cross_border_incident_routed_to_affected_single_points_of_contact() {
    let mut i = incident();
    let r = route(DE, &i);
    assert!(!r.cross_border && r.single_points_of_contact.is_empty() && !r.commission);
    i.affected_states = vec![DE, Country::Austria, Country::Poland, Country::Switzerland];
    let r = route(DE, &i);
    assert!(r.cross_border);
    assert_eq!(
        r.single_points_of_contact,
        [Country::Austria, Country::Poland],
        "Switzerland has no CER SPOC"
    );
    assert!(!r.enisa, "CER only");
    assert!(r.reasons[0].contains("CER Art. 15(3)"));
}

#[test]
fn cer_art_15_1_commission_notified_when_six_or_more_member_states_affected() {
    let mut i = incident();
    i.affected_states = vec![
        DE,
        Country::Austria,
        Country::Poland,
        Country::France,
        Country::Italy,
    ];
    assert!(!route(DE, &i).commission);
    i.affected_states.push(Country::Spain);
    let r = route(DE, &i);
    assert!(r.commission);
    assert!(r.reasons.iter().any(|x| x.contains("6 Member States")));
    // The Commission rule is CER's: a NIS2-only incident does not trigger it.
    i.cer = false;
    i.nis2 = true;
    assert!(!route(DE, &i).commission);
}

#[test]
fn nis2_art_23_6_other_member_states_and_enisa_informed_of_cross_border_incident() {
    let mut i = incident();
    i.cer = false;
    i.nis2 = true;
    i.affected_states = vec![DE, Country::Netherlands];
    let r = route(DE, &i);
    assert!(r.enisa);
    assert_eq!(r.single_points_of_contact, [Country::Netherlands]);
    i.affected_states = vec![DE];
    assert!(!route(DE, &i).enisa);
}

#[test]
fn cer_art_15_1_significance_from_users_proportion_duration_and_isolation() {
    let th = Thresholds::default();
    let mut i = incident();
    assert!(!cer_significance(&i, &th).significant);
    i.users_affected = Some(99_999);
    assert!(!cer_significance(&i, &th).significant);
    i.users_affected = Some(100_000);
    let s = cer_significance(&i, &th);
    assert!(s.significant && s.reasons[0].contains("15(1)(a)"));
    i.users_affected = Some(5_000);
    i.users_total = Some(40_000);
    let s = cer_significance(&i, &th);
    assert!(s.significant && s.reasons[0].contains("12.5 %"), "{s:?}");
    i.users_total = None;
    i.duration_hours = Some(4.0);
    assert!(cer_significance(&i, &th).reasons[0].contains("15(1)(b)"));
    i.duration_hours = None;
    i.isolated_area = true;
    assert!(cer_significance(&i, &th).reasons[0].contains("15(1)(c)"));
}

#[test]
fn ir_2024_2690_art_3_1_a_financial_loss_above_lower_of_500k_or_5_percent_turnover() {
    let f = |loss: f64, turnover: Option<f64>| Nis2Facts {
        entity_type: Nis2EntityType::Cloud,
        financial_loss_eur: Some(loss),
        turnover_eur: turnover,
        ..Nis2Facts::default()
    };
    assert!(!nis2_significance(&f(500_000.0, None)).significant);
    assert!(nis2_significance(&f(500_001.0, None)).significant);
    // 5 % of EUR 2 m = EUR 100 000 is lower than EUR 500 000.
    assert!(!nis2_significance(&f(100_000.0, Some(2_000_000.0))).significant);
    assert!(nis2_significance(&f(100_001.0, Some(2_000_000.0))).significant);
}

#[test]
fn ir_2024_2690_art_3_2_scheduled_maintenance_is_not_significant() {
    let mut f = Nis2Facts {
        entity_type: Nis2EntityType::Cloud,
        unavailable_minutes: Some(120.0),
        ..Nis2Facts::default()
    };
    assert!(nis2_significance(&f).significant);
    f.scheduled_maintenance = true;
    assert!(!nis2_significance(&f).significant);
    // Other criteria still count during maintenance.
    f.death = true;
    assert!(nis2_significance(&f).significant);
}

#[test]
fn ir_2024_2690_art_7_cloud_unavailability_30_min_and_users_lower_of_5_percent_or_1m() {
    let base = Nis2Facts {
        entity_type: Nis2EntityType::Cloud,
        ..Nis2Facts::default()
    };
    let down = |m| Nis2Facts {
        unavailable_minutes: Some(m),
        ..base.clone()
    };
    assert!(!nis2_significance(&down(30.0)).significant);
    assert!(nis2_significance(&down(31.0)).significant);
    // Limited for more than 1 h for more than 5 % of 10 m users = 500 000 (< 1 m).
    let limited = |users, minutes| Nis2Facts {
        limited_minutes: Some(minutes),
        users_limited: Some(users),
        users_total: Some(10_000_000),
        ..base.clone()
    };
    assert!(!nis2_significance(&limited(500_000, 61.0)).significant);
    assert!(nis2_significance(&limited(500_001, 61.0)).significant);
    assert!(!nis2_significance(&limited(900_000, 60.0)).significant);
    let s = nis2_significance(&limited(500_001, 61.0));
    assert!(s.reasons[0].starts_with("Art. 7:"), "{s:?}");
}

#[test]
fn ir_2024_2690_art_8_and_14_data_centre_and_trust_service_thresholds() {
    let dc = Nis2Facts {
        entity_type: Nis2EntityType::DataCentre,
        physical_access_compromised: true,
        ..Nis2Facts::default()
    };
    assert!(nis2_significance(&dc).significant);
    let trust = |m| Nis2Facts {
        entity_type: Nis2EntityType::TrustService,
        unavailable_minutes: Some(m),
        ..Nis2Facts::default()
    };
    assert!(!nis2_significance(&trust(20.0)).significant);
    assert!(nis2_significance(&trust(21.0)).significant);
    // Compromise affecting more than 0.1 % or 100 users, whichever is smaller.
    let comp = |users| Nis2Facts {
        entity_type: Nis2EntityType::TrustService,
        compromised_users: Some(users),
        users_total: Some(50_000),
        ..Nis2Facts::default()
    };
    assert!(!nis2_significance(&comp(50)).significant);
    assert!(nis2_significance(&comp(51)).significant);
}

#[test]
fn nis2_art_23_3_applies_to_entities_outside_ir_2024_2690() {
    let mut f = Nis2Facts::default();
    assert!(!nis2_significance(&f).significant);
    f.unavailable_minutes = Some(600.0);
    assert!(
        !nis2_significance(&f).significant,
        "no numeric thresholds for other entities"
    );
    f.severe_operational_disruption = true;
    let s = nis2_significance(&f);
    assert!(s.significant && s.article == "NIS2 Art. 23(3)");
}

async fn seeded() -> Vec<common::TestDb> {
    let mut out = Vec::new();
    for db in common::all().await {
        let entities = "key,name,member_state,sector,subsector,category\n\
            DE-TSO-1,Nordnetz,DE,energy,electricity,TSO\nDE-CLOUD-1,Wolke,DE,digital_infrastructure,,cloud\n";
        import::import(
            &db.store,
            &Actor::cli("t"),
            &[ImportFile::from_name("entities.csv", entities.into()).unwrap()],
            None,
            "seed",
        )
        .await
        .unwrap();
        out.push(db);
    }
    out
}

#[tokio::test]
async fn cer_art_15_and_nis2_art_23_clocks_run_in_parallel_and_flag_overdue() {
    for db in seeded().await {
        let s = &db.store;
        let a = Actor::cli("t");
        let mut i = incident();
        i.nis2 = true;
        i.affected_states = vec![DE, Country::Austria];
        let created = t("2027-03-10T09:00:00Z");
        let v = incidents::report(s, &a, DE, i, None, created, "test")
            .await
            .unwrap();
        assert_eq!(v.clocks.len(), 5, "two CER and three NIS2 clocks");
        assert!(!v.overdue);
        assert!(v.routing.enisa && v.routing.single_points_of_contact == [Country::Austria]);

        // 25 h after awareness: CER initial notification and NIS2 early warning overdue.
        let later = t("2027-03-11T09:00:00Z");
        let v = incidents::get(s, DE, v.id, later).await.unwrap();
        let overdue: Vec<Stage> = v
            .clocks
            .iter()
            .filter(|c| c.status == ClockStatus::Overdue)
            .map(|c| c.stage)
            .collect();
        assert_eq!(
            overdue,
            [Stage::InitialNotification, Stage::EarlyWarning],
            "{}",
            db.label
        );
        assert!(v.overdue);

        // Submitting stops the clock, late.
        let v = incidents::submit(
            s,
            &a,
            DE,
            v.id,
            StageReport {
                stage: Stage::InitialNotification,
                submitted_at: None,
            },
            None,
            later,
            "test",
        )
        .await
        .unwrap();
        let c = v
            .clocks
            .iter()
            .find(|c| c.stage == Stage::InitialNotification)
            .unwrap();
        assert_eq!(c.status, ClockStatus::SubmittedLate);
        let d = v
            .clocks
            .iter()
            .find(|c| c.stage == Stage::DetailedReport)
            .unwrap();
        assert_eq!(
            d.due_at,
            t("2027-04-11T09:00:00Z"),
            "one month after the actual initial notification"
        );
        let listed = incidents::list(s, DE, later).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(
            incidents::list(s, Country::France, later)
                .await
                .unwrap()
                .is_empty()
        );
        let actions: Vec<String> = audit::recent(s, 3)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(
            actions[..2],
            ["resilience.incident.stage", "resilience.incident.report"]
        );
    }
}

#[tokio::test]
async fn incident_rules_regime_stage_order_future_times_and_own_entity() {
    for db in seeded().await {
        let s = &db.store;
        let a = Actor::cli("t");
        let now = t("2027-03-10T09:00:00Z");
        let invalid_field = |r: Result<_, ResilienceError>| match r {
            Err(ResilienceError::Invalid { field, .. }) => field,
            Err(e) => panic!("unexpected {e}"),
            Ok(_) => panic!("accepted"),
        };
        let mut neither = incident();
        neither.cer = false;
        assert_eq!(
            invalid_field(incidents::report(s, &a, DE, neither, None, now, "t").await),
            "cer"
        );
        let mut future = incident();
        future.aware_at = t("2027-03-10T09:00:01Z");
        assert_eq!(
            invalid_field(incidents::report(s, &a, DE, future, None, now, "t").await),
            "aware_at"
        );
        // Registered in DE, not FR.
        assert!(matches!(
            incidents::report(s, &a, Country::France, incident(), None, now, "t").await,
            Err(ResilienceError::NotFound { .. })
        ));
        // A token of role `entity` reports only for itself.
        assert_eq!(
            invalid_field(
                incidents::report(s, &a, DE, incident(), Some("DE-CLOUD-1"), now, "t").await
            ),
            "entity"
        );
        let v = incidents::report(s, &a, DE, incident(), Some("DE-TSO-1"), now, "t")
            .await
            .unwrap();
        let stage = |st| StageReport {
            stage: st,
            submitted_at: None,
        };
        // CER only: NIS2 stages refused; detailed report before the initial one refused.
        assert_eq!(
            invalid_field(
                incidents::submit(s, &a, DE, v.id, stage(Stage::EarlyWarning), None, now, "t")
                    .await
            ),
            "stage"
        );
        assert_eq!(
            invalid_field(
                incidents::submit(
                    s,
                    &a,
                    DE,
                    v.id,
                    stage(Stage::DetailedReport),
                    None,
                    now,
                    "t"
                )
                .await
            ),
            "stage"
        );
        assert_eq!(
            invalid_field(
                incidents::submit(
                    s,
                    &a,
                    DE,
                    v.id,
                    StageReport {
                        stage: Stage::InitialNotification,
                        submitted_at: Some(t("2027-03-10T07:00:00Z"))
                    },
                    None,
                    now,
                    "t"
                )
                .await
            ),
            "submitted_at",
            "before awareness"
        );
        incidents::submit(
            s,
            &a,
            DE,
            v.id,
            stage(Stage::InitialNotification),
            None,
            now,
            "t",
        )
        .await
        .unwrap();
        assert_eq!(
            invalid_field(
                incidents::submit(
                    s,
                    &a,
                    DE,
                    v.id,
                    stage(Stage::InitialNotification),
                    None,
                    now,
                    "t"
                )
                .await
            ),
            "stage",
            "twice"
        );
        let v = incidents::submit(
            s,
            &a,
            DE,
            v.id,
            stage(Stage::DetailedReport),
            None,
            now,
            "t",
        )
        .await
        .unwrap();
        assert!(v.clocks.iter().all(|c| c.status == ClockStatus::Submitted));
    }
}
