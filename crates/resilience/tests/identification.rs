//! Identification: CER Art. 6(2) cumulative tests, the six Art. 7(1)
//! criteria with national thresholds, the Art. 8 carve-out and the Art. 17
//! six-Member-State test.

mod common;

use std::path::Path;

use bulwark_core::{Country, Sector, Subsector, Timestamp};
use bulwark_resilience::identification::{self, Identification, SimulatedOutage, assess};
use bulwark_resilience::import::{self, ImportFile};
use bulwark_resilience::registry::{AssetRecord, DependencyRecord, EntityRecord, ProvisionRecord};
use bulwark_resilience::simulations::{
    self, NewSimulation, Quantiles, SimulationSummary, StateSummary,
};
use bulwark_resilience::thresholds::{self, Thresholds};
use bulwark_resilience::{DependencyKind, Resource};
use bulwark_store::Actor;

const DE: Country = Country::Germany;

fn entity(sector: Sector, subsector: Option<Subsector>) -> EntityRecord {
    EntityRecord {
        key: "E".into(),
        name: "Entity".into(),
        member_state: DE,
        sector,
        subsector,
        category: "operator".into(),
    }
}

fn provision(users: i64, share: f64, subst: f64) -> ProvisionRecord {
    ProvisionRecord {
        key: format!("P{users}"),
        entity: "E".into(),
        service: "electricity.distribution".into(),
        member_state: DE,
        region: "DE300".into(),
        users_served: users,
        market_share: share,
        served_states: vec![],
        substitutability: subst,
        isolated_area: false,
    }
}

fn asset() -> AssetRecord {
    AssetRecord {
        key: "A".into(),
        entity: "E".into(),
        kind: "substation".into(),
        name: "x".into(),
        member_state: DE,
        region: "DE300".into(),
        latitude: None,
        longitude: None,
        backup_hours: 0.0,
    }
}

fn dependent(sector: Sector) -> (DependencyRecord, Sector) {
    (
        DependencyRecord {
            key: format!("D-{sector}"),
            supplier: "E".into(),
            dependent: format!("X-{sector}"),
            kind: DependencyKind::Physical,
            resource: Resource::Electricity,
            strength: 1.0,
            buffer_hours: 0.0,
            recovery_lag_hours: 0.0,
            alternatives: vec![],
        },
        sector,
    )
}

fn run(
    e: &EntityRecord,
    p: &[ProvisionRecord],
    a: &[AssetRecord],
    d: &[(DependencyRecord, Sector)],
    t: &Thresholds,
) -> Identification {
    let known = |code: &str| code.starts_with("electricity.") || code == "health.healthcare";
    assess(e, p, a, d, &known, DE, t, None)
}

fn fired(r: &Identification) -> Vec<&str> {
    r.criteria
        .iter()
        .filter(|c| c.fired)
        .map(|c| c.article.as_str())
        .collect()
}

/// A provision that fires nothing under the defaults.
fn quiet() -> ProvisionRecord {
    provision(1000, 0.01, 0.9)
}

fn energy() -> EntityRecord {
    entity(Sector::Energy, Some(Subsector::Electricity))
}

#[test]
fn cer_art_7_1_a_users_criterion_fires_at_the_national_threshold() {
    let t = Thresholds::default();
    let below = run(
        &energy(),
        &[provision(499_999, 0.01, 0.9)],
        &[asset()],
        &[],
        &t,
    );
    assert!(!below.criteria[0].fired);
    let at = run(
        &energy(),
        &[provision(500_000, 0.01, 0.9)],
        &[asset()],
        &[],
        &t,
    );
    assert!(at.criteria[0].fired);
    assert_eq!(at.criteria[0].article, "CER Art. 7(1)(a)");
    assert_eq!(at.criteria[0].value, 500_000.0);
    assert!(
        at.criteria[0].explanation.contains("500000 users"),
        "{}",
        at.criteria[0].explanation
    );
}

#[test]
fn cer_art_7_1_b_dependence_of_other_sectors_counts_distinct_other_sectors() {
    let t = Thresholds::default();
    let deps = [dependent(Sector::Health), dependent(Sector::Energy)];
    let r = run(&energy(), &[quiet()], &[asset()], &deps, &t);
    assert!(!r.criteria[1].fired, "own sector does not count");
    assert_eq!(r.criteria[1].value, 1.0);
    let deps = [dependent(Sector::Health), dependent(Sector::DrinkingWater)];
    let r = run(&energy(), &[quiet()], &[asset()], &deps, &t);
    assert!(r.criteria[1].fired);
    assert!(r.criteria[1].explanation.contains("health"));
}

#[test]
fn cer_art_7_1_c_impact_in_degree_and_duration_is_unsubstituted_user_hours() {
    let t = Thresholds::default(); // 24 h assumed, 12 000 000 user-hours
    let r = run(
        &energy(),
        &[provision(1_000_000, 0.01, 0.5)],
        &[asset()],
        &[],
        &t,
    );
    assert_eq!(r.criteria[2].value, 12_000_000.0);
    assert!(r.criteria[2].fired);
    let r = run(
        &energy(),
        &[provision(1_000_000, 0.01, 0.51)],
        &[asset()],
        &[],
        &t,
    );
    assert!(!r.criteria[2].fired);
}

#[test]
fn cer_art_7_1_d_market_share_criterion() {
    let t = Thresholds::default();
    assert!(run(&energy(), &[provision(10, 0.25, 0.9)], &[asset()], &[], &t).criteria[3].fired);
    assert!(!run(&energy(), &[provision(10, 0.24, 0.9)], &[asset()], &[], &t).criteria[3].fired);
}

#[test]
fn cer_art_7_1_e_geographic_area_cross_border_and_isolated_areas() {
    let t = Thresholds::default();
    assert!(fired(&run(&energy(), &[quiet()], &[asset()], &[], &t)).is_empty());
    let mut abroad = quiet();
    abroad.served_states = vec![Country::Austria];
    let r = run(&energy(), &[abroad.clone()], &[asset()], &[], &t);
    assert_eq!(fired(&r), ["CER Art. 7(1)(e)"]);
    assert!(r.criteria[4].explanation.contains("AT"));
    let mut island = quiet();
    island.isolated_area = true;
    assert!(run(&energy(), &[island.clone()], &[asset()], &[], &t).criteria[4].fired);
    let regions: Vec<ProvisionRecord> = ["DE300", "DE400", "DE500"]
        .iter()
        .map(|r| ProvisionRecord {
            key: (*r).into(),
            region: (*r).into(),
            ..quiet()
        })
        .collect();
    assert!(run(&energy(), &regions, &[asset()], &[], &t).criteria[4].fired);
    // National choice: cross-border and isolation need not count.
    let strict = Thresholds {
        cross_border_fires: false,
        isolated_area_fires: false,
        ..Thresholds::default()
    };
    assert!(!run(&energy(), &[abroad], &[asset()], &[], &strict).criteria[4].fired);
    assert!(!run(&energy(), &[island], &[asset()], &[], &strict).criteria[4].fired);
}

#[test]
fn cer_art_7_1_f_substitutability_fires_when_few_alternatives() {
    let t = Thresholds::default();
    assert!(run(&energy(), &[provision(10, 0.01, 0.2)], &[asset()], &[], &t).criteria[5].fired);
    assert!(!run(&energy(), &[provision(10, 0.01, 0.21)], &[asset()], &[], &t).criteria[5].fired);
}

#[test]
fn cer_art_6_2_tests_are_cumulative() {
    let t = Thresholds::default();
    let big = provision(600_000, 0.5, 0.1);
    let ok = run(&energy(), std::slice::from_ref(&big), &[asset()], &[], &t);
    assert!(ok.critical);
    assert!(ok.tests.iter().all(|t| t.passed));
    // (a) no essential service.
    let mut other = big.clone();
    other.service = "food.logistics".into();
    let r = run(&energy(), &[other], &[asset()], &[], &t);
    assert!(!r.tests[0].passed && !r.critical);
    // (b) no critical infrastructure on the territory.
    let mut abroad = asset();
    abroad.member_state = Country::Austria;
    abroad.region = "AT130".into();
    let r = run(&energy(), std::slice::from_ref(&big), &[abroad], &[], &t);
    assert!(r.tests[0].passed && !r.tests[1].passed && !r.critical);
    assert_eq!(r.tests[1].article, "CER Art. 6(2)(b)");
    // (c) no significant disruptive effect.
    let r = run(&energy(), &[quiet()], &[asset()], &[], &t);
    assert!(r.tests[0].passed && r.tests[1].passed && !r.tests[2].passed && !r.critical);
    // The number of criteria needed is national.
    let two = Thresholds {
        min_criteria: 2,
        ..Thresholds::default()
    };
    let only_users = provision(600_000, 0.01, 0.9);
    assert!(
        run(
            &energy(),
            std::slice::from_ref(&only_users),
            &[asset()],
            &[],
            &t
        )
        .critical
    );
    assert!(!run(&energy(), &[only_users], &[asset()], &[], &two).critical);
}

#[test]
fn cer_art_8_banking_fmi_digital_identified_without_chapter_iii() {
    let t = Thresholds::default();
    let bank = entity(Sector::Banking, None);
    let r = run(&bank, &[quiet()], &[asset()], &[], &t);
    assert!(!r.chapter_iii_applies);
    assert!(run(&energy(), &[quiet()], &[asset()], &[], &t).chapter_iii_applies);
    assert!(
        !run(
            &entity(Sector::DigitalInfrastructure, None),
            &[quiet()],
            &[asset()],
            &[],
            &t
        )
        .chapter_iii_applies
    );
}

#[test]
fn cer_art_17_1_cepes_candidate_needs_six_member_states_and_critical_status() {
    let t = Thresholds::default();
    let states = [
        Country::Austria,
        Country::France,
        Country::Italy,
        Country::Spain,
    ];
    let mut p = provision(600_000, 0.5, 0.1);
    p.served_states = states.to_vec();
    let five = run(&energy(), std::slice::from_ref(&p), &[asset()], &[], &t);
    assert_eq!(five.cepes.member_states.len(), 5);
    assert!(!five.cepes.six_or_more && !five.cepes.candidate);
    // A non-member country does not count.
    p.served_states.push(Country::Switzerland);
    assert!(
        !run(&energy(), std::slice::from_ref(&p), &[asset()], &[], &t)
            .cepes
            .six_or_more
    );
    p.served_states.push(Country::Poland);
    let six = run(&energy(), std::slice::from_ref(&p), &[asset()], &[], &t);
    assert!(six.cepes.six_or_more && six.cepes.candidate);
    assert_eq!(
        six.cepes.service.as_deref(),
        Some("electricity.distribution")
    );
    // Six Member States but not critical: no candidate.
    let mut small = quiet();
    small.served_states = p.served_states.clone();
    let t_strict = Thresholds {
        cross_border_fires: false,
        ..Thresholds::default()
    };
    let r = run(&energy(), &[small], &[asset()], &[], &t_strict);
    assert!(r.cepes.six_or_more && !r.critical && !r.cepes.candidate);
}

#[tokio::test]
async fn cer_art_7_2_thresholds_are_configurable_per_member_state_and_drive_identification() {
    for db in common::all().await {
        let s = &db.store;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let files: Vec<ImportFile> = ["entities", "provisions", "assets", "dependencies"]
            .iter()
            .map(|k| {
                let name = format!("{k}.csv");
                ImportFile::from_name(&name, std::fs::read_to_string(dir.join(&name)).unwrap())
                    .unwrap()
            })
            .collect();
        import::import(s, &Actor::cli("t"), &files, None, "seed")
            .await
            .unwrap();

        let tso = identification::identify(s, DE, "DE-TSO-1").await.unwrap();
        assert!(tso.critical, "{tso:#?}");
        assert_eq!(tso.criteria_fired, 6, "{}", db.label);
        assert_eq!(tso.criteria[0].value, 6_000_000.0);
        assert_eq!(
            tso.criteria[1].value, 3.0,
            "health, digital, drinking water depend on it"
        );
        assert!(!tso.cepes.six_or_more);

        let cloud = identification::identify(s, DE, "DE-CLOUD-1").await.unwrap();
        assert!(cloud.critical);
        assert!(
            !cloud.chapter_iii_applies,
            "digital infrastructure: CER Art. 8"
        );
        assert_eq!(cloud.cepes.member_states.len(), 7);
        assert!(cloud.cepes.candidate);

        let hospital = identification::identify(s, DE, "DE-HOSP-1").await.unwrap();
        assert!(!hospital.critical);
        assert_eq!(hospital.criteria_fired, 0);

        // Germany requires two criteria: the cloud provider (only 7(1)(e)) drops out.
        let t = Thresholds {
            min_criteria: 2,
            ..Thresholds::default()
        };
        thresholds::set(s, &Actor::cli("t"), DE, &t, "national thresholds")
            .await
            .unwrap();
        assert!(
            !identification::identify(s, DE, "DE-CLOUD-1")
                .await
                .unwrap()
                .critical
        );
        assert_eq!(
            thresholds::get(s, Country::France).await.unwrap(),
            Thresholds::default()
        );
        let bad = Thresholds {
            market_share: 1.5,
            ..Thresholds::default()
        };
        let e = thresholds::set(s, &Actor::cli("t"), DE, &bad, "x")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("market_share"), "{e}");
        assert_eq!(thresholds::get(s, DE).await.unwrap().min_criteria, 2);
        // An entity is identified only by its own Member State.
        assert!(
            identification::identify(s, Country::France, "DE-TSO-1")
                .await
                .is_err()
        );
    }
}

fn outage(hours: f64) -> SimulatedOutage {
    SimulatedOutage {
        hours,
        run: "0190c7d2-9f1e-7cc0-8a4f-3c2b1d0e9f8a".into(),
        scenario: "cyber-cloud-provider".into(),
    }
}

#[test]
fn cer_art_7_1_c_uses_the_simulated_duration_when_present_and_the_placeholder_otherwise() {
    // 1 000 000 users, 60 % could be served by others: 400 000 without a
    // substitute. Defaults: 12 000 000 user-hours, 24 h assumed outage.
    let p = provision(1_000_000, 0.01, 0.6);
    let t = Thresholds::default();
    let known = |code: &str| code.starts_with("electricity.");
    let placeholder = assess(
        &energy(),
        std::slice::from_ref(&p),
        &[asset()],
        &[],
        &known,
        DE,
        &t,
        None,
    );
    let c = &placeholder.criteria[2];
    assert_eq!(c.article, "CER Art. 7(1)(c)");
    assert_eq!(c.value, 400_000.0 * 24.0);
    assert!(!c.fired);
    assert!(c.explanation.contains("placeholder"), "{}", c.explanation);
    assert!(c.explanation.contains("assumed 24 h"), "{}", c.explanation);
    assert_eq!(placeholder.simulated_outage, None);

    // A stored simulation disrupts the Member State for 48 h on average.
    let sim = outage(48.0);
    let simulated = assess(
        &energy(),
        std::slice::from_ref(&p),
        &[asset()],
        &[],
        &known,
        DE,
        &t,
        Some(&sim),
    );
    let c = &simulated.criteria[2];
    assert_eq!(c.value, 400_000.0 * 48.0);
    assert!(c.fired, "19 200 000 user-hours reach the threshold");
    assert!(c.explanation.contains("simulated"), "{}", c.explanation);
    assert!(
        c.explanation.contains(&sim.run),
        "names the run: {}",
        c.explanation
    );
    assert!(
        c.explanation.contains("cyber-cloud-provider"),
        "{}",
        c.explanation
    );
    assert_eq!(simulated.simulated_outage, Some(sim));

    // A figure that is not a positive duration counts as none.
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = assess(
            &energy(),
            std::slice::from_ref(&p),
            &[asset()],
            &[],
            &known,
            DE,
            &t,
            Some(&outage(bad)),
        );
        assert_eq!(r.criteria[2].value, 400_000.0 * 24.0, "{bad}");
        assert!(r.criteria[2].explanation.contains("placeholder"));
        assert_eq!(r.simulated_outage, None);
    }
}

fn summary(states: &[(&str, f64)]) -> SimulationSummary {
    let q = Quantiles::default();
    SimulationSummary {
        horizon_hours: 168.0,
        significant_users: 10_000.0,
        user_hours: q.clone(),
        peak_users: q.clone(),
        expected_annual_user_hours: None,
        cross_border_probability: 0.0,
        six_member_states_probability: 0.0,
        member_states: states
            .iter()
            .map(|(ms, hours)| StateSummary {
                member_state: (*ms).to_string(),
                probability_significant: 0.5,
                peak_users: q.clone(),
                user_hours: q.clone(),
                max_duration_hours: hours * 2.0,
                mean_duration_hours: *hours,
            })
            .collect(),
        exceedance: vec![],
        tail_quantile: 0.99,
        top_entities: vec![],
        top_dependencies: vec![],
        worst_sample: None,
        events: 0,
        truncated_samples: 0,
    }
}

#[tokio::test]
async fn cer_art_7_1_c_takes_the_duration_from_the_stored_simulation_runs() {
    for db in common::all().await {
        let s = &db.store;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let files: Vec<ImportFile> = ["entities", "provisions", "assets", "dependencies"]
            .iter()
            .map(|k| {
                let name = format!("{k}.csv");
                ImportFile::from_name(&name, std::fs::read_to_string(dir.join(&name)).unwrap())
                    .unwrap()
            })
            .collect();
        let actor = Actor::cli("t");
        import::import(s, &actor, &files, None, "seed")
            .await
            .unwrap();
        let crit_c = |r: &Identification| r.criteria[2].clone();

        // No run yet: the placeholder (24 h) fires for the TSO.
        let tso = identification::identify(s, DE, "DE-TSO-1").await.unwrap();
        let placeholder = crit_c(&tso);
        assert!(placeholder.fired, "{}", db.label);
        assert!(placeholder.explanation.contains("placeholder"));
        let per_hour = placeholder.value / 24.0;

        let mut t = Timestamp::from_unix_micros(1_800_000_000_000_000).unwrap();
        let mut run = |scenario: &'static str, outcome: Result<SimulationSummary, &'static str>| {
            t = Timestamp::from_unix_micros(t.unix_micros() + 1_000_000).unwrap();
            let at = t;
            let actor = actor.clone();
            async move {
                let request = NewSimulation {
                    scenario: scenario.into(),
                    samples: 10,
                    seed: 1,
                };
                let r = simulations::start(s, &actor, &request, at, "test")
                    .await
                    .unwrap();
                let outcome = outcome.as_ref().map_err(|e| *e);
                simulations::finish(s, &actor, r.id, outcome, at)
                    .await
                    .unwrap();
                r.id.to_string()
            }
        };

        // A failed run and a run that leaves Germany untouched: still the placeholder.
        run("cyber-cloud-provider", Err("engine stopped")).await;
        run(
            "iberia-2025-system-split",
            Ok(summary(&[("ES", 30.0), ("PT", 20.0)])),
        )
        .await;
        assert_eq!(simulations::outage_in(s, DE).await.unwrap(), None);
        let c = crit_c(&identification::identify(s, DE, "DE-TSO-1").await.unwrap());
        assert_eq!(c, placeholder);

        // A run disrupting Germany for 1.5 h on average: the simulated
        // duration replaces the 24 h, and (c) no longer fires.
        let id = run(
            "cyber-cloud-provider",
            Ok(summary(&[("DE", 1.5), ("FR", 9.0)])),
        )
        .await;
        let r = identification::identify(s, DE, "DE-TSO-1").await.unwrap();
        let c = crit_c(&r);
        assert!((c.value - per_hour * 1.5).abs() < 1e-6, "{}", c.value);
        assert!(!c.fired);
        assert!(c.explanation.contains("simulated") && c.explanation.contains(&id));
        assert_eq!(r.simulated_outage.as_ref().unwrap().run, id);
        // Greece appears as GR in the model and EL in the registry.
        let gr = simulations::outage_in(s, Country::Greece).await.unwrap();
        assert_eq!(gr, None);

        // The worst scenario wins: a second scenario with 3 h in Germany.
        let id2 = run("hybrid-baltic", Ok(summary(&[("DE", 3.0), ("GR", 2.0)]))).await;
        let o = simulations::outage_in(s, DE).await.unwrap().unwrap();
        assert_eq!((o.hours, o.run.as_str()), (3.0, id2.as_str()));
        assert_eq!(
            simulations::outage_in(s, Country::Greece)
                .await
                .unwrap()
                .unwrap()
                .hours,
            2.0
        );

        // Only the newest run of a scenario counts: a newer baltic run
        // leaving Germany untouched brings back the cloud run's 1.5 h.
        run("hybrid-baltic", Ok(summary(&[("LT", 8.0)]))).await;
        let o = simulations::outage_in(s, DE).await.unwrap().unwrap();
        assert_eq!((o.hours, o.run.as_str()), (1.5, id.as_str()));
    }
}
