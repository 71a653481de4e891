//! Small cascades whose results are computed by hand (spec §4.6).

mod common;

use bulwark_cascade::*;
use common::*;

#[test]
fn buffer_shorter_than_outage_disrupts_for_the_difference() {
    // A down 0..5 h; B has a 2 h buffer: B is down 2..5 h -> 100 users x 3 h.
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![dep(0, 1, 2.0, 0.0)],
    );
    let d = run_one(&m, &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 300.0), "{}", d.user_hours);
    let b = provision(&d, "B").expect("B disrupted");
    assert!(close(b.first_disrupted_hours, 2.0));
    assert!(close(b.duration_hours, 3.0));
    assert!(close(b.peak_users, 100.0));
    assert_eq!(b.path.len(), 2);
    assert_eq!(b.path[0].id, "A");
    assert_eq!(b.path[0].origin.as_deref(), Some("attack"));
    assert_eq!(
        b.path[1].via,
        Some((DependencyKind::Physical, Resource::Electricity))
    );
}

#[test]
fn buffer_longer_than_outage_absorbs_it() {
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![dep(0, 1, 10.0, 0.0)],
    );
    let d = run_one(&m, &outage(&["A"], 5.0));
    assert_eq!(d.user_hours, 0.0);
    assert!(d.provisions.is_empty());
}

#[test]
fn recovery_lag_extends_the_disruption() {
    // Down 2..5 h, plus 1.5 h lag -> 2..6.5 h = 4.5 h x 100 users.
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![dep(0, 1, 2.0, 1.5)],
    );
    let d = run_one(&m, &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 450.0), "{}", d.user_hours);
    assert!(close(provision(&d, "B").expect("B").duration_hours, 4.5));
}

fn substitute_model(spare: f64, switchover: f64) -> Model {
    let mut c = node("C", "ES", 0.0);
    c.spare_capacity = spare;
    let mut e = dep(0, 1, 2.0, 0.0);
    e.substitutes = vec![2];
    e.load = 5.0;
    e.switchover_hours = switchover;
    model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0), c],
        vec![e],
    )
}

#[test]
fn substitute_with_spare_capacity_takes_over() {
    let d = run_one(&substitute_model(10.0, 0.0), &outage(&["A"], 5.0));
    assert_eq!(d.user_hours, 0.0);
}

#[test]
fn substitute_without_enough_capacity_does_not_help() {
    let d = run_one(&substitute_model(4.0, 0.0), &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 300.0), "{}", d.user_hours);
}

#[test]
fn slow_switchover_leaves_a_gap_after_the_buffer() {
    // Buffer 2 h, switch-over 3 h: B is down 2..3 h.
    let d = run_one(&substitute_model(10.0, 3.0), &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 100.0), "{}", d.user_hours);
}

#[test]
fn substitute_capacity_is_shared_between_dependents() {
    // Two dependents of A each need 5 units; C has 6 spare: only one is saved.
    let mut c = node("C", "ES", 0.0);
    c.spare_capacity = 6.0;
    let mut e1 = dep(0, 1, 0.0, 0.0);
    e1.substitutes = vec![3];
    e1.load = 5.0;
    let mut e2 = dep(0, 2, 0.0, 0.0);
    e2.substitutes = vec![3];
    e2.load = 5.0;
    let m = model(
        vec![
            node("A", "ES", 0.0),
            node("B1", "ES", 10.0),
            node("B2", "ES", 10.0),
            c,
        ],
        vec![e1, e2],
    );
    let d = run_one(&m, &outage(&["A"], 4.0));
    assert!(close(d.user_hours, 40.0), "{}", d.user_hours);
    assert_eq!(d.provisions_total, 1);
}

#[test]
fn partial_strength_affects_a_share_of_users() {
    // Strength 0.4: 40 of 100 users lose service 2..5 h; f = 0.6 stays above
    // the 0.5 disruption threshold, so no duration is counted.
    let mut e = dep(0, 1, 2.0, 0.0);
    e.strength = 0.4;
    let m = model(vec![node("A", "ES", 0.0), node("B", "ES", 100.0)], vec![e]);
    let d = run_one(&m, &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 120.0), "{}", d.user_hours);
    assert!(close(d.peak_users, 40.0));
    assert!(d.provisions.is_empty());
}

#[test]
fn two_step_chain_and_causal_path() {
    // A 0..5; B buffer 1 -> down 1..5; C buffer 1 after B -> down 2..5, lag 1 -> 2..6.
    let m = model(
        vec![
            node("A", "ES", 0.0),
            node("B", "ES", 0.0),
            node("C", "PT", 50.0),
        ],
        vec![dep(0, 1, 1.0, 0.0), dep(1, 2, 1.0, 1.0)],
    );
    let d = run_one(&m, &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 200.0), "{}", d.user_hours);
    let c = provision(&d, "C").expect("C");
    let ids: Vec<&str> = c.path.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["A", "B", "C"]);
    assert!(d.cross_border, "impact in PT from an event in ES");
    assert!(!d.six_member_states);
}

#[test]
fn a_loop_does_not_sustain_a_disruption() {
    // A and B depend on each other without buffers; A is repaired at 5 h and
    // both come back: the loop does not keep them down.
    let mut a = node("A", "ES", 10.0);
    a.asset_class = "plant".into();
    let m = model(
        vec![a, node("B", "ES", 20.0)],
        vec![dep(0, 1, 0.0, 0.0), dep(1, 0, 0.0, 0.0)],
    );
    let d = run_one(&m, &outage(&["A"], 5.0));
    assert!(close(d.user_hours, 150.0), "{}", d.user_hours);
}

#[test]
fn islanding_deenergises_a_component_without_supply() {
    // Buses 0-1-2 in a line; link 1-2 is asset 3; source at bus 0. Cutting the
    // link leaves bus 2 without supply: it is restored after 4 h. Node 4
    // depends on bus 2 without buffer.
    let mut nodes = vec![
        node("bus0", "ES", 0.0),
        node("bus1", "ES", 0.0),
        node("bus2", "ES", 0.0),
        node("line12", "ES", 0.0),
        node("town", "ES", 10.0),
        node("gen", "ES", 0.0),
    ];
    nodes[3].asset_class = "line".into();
    let mut m = model(nodes, vec![dep(2, 4, 0.0, 0.0)]);
    m.networks.push(SupplyNetwork {
        name: "grid".into(),
        members: vec![0, 1, 2],
        demand: vec![1.0, 1.0, 1.0],
        links: vec![
            NetworkLink {
                a: 0,
                b: 1,
                asset: None,
            },
            NetworkLink {
                a: 1,
                b: 2,
                asset: Some(3),
            },
        ],
        sources: vec![NetworkSource {
            node: 5,
            member: 0,
            capacity: 100.0,
        }],
        min_supply_ratio: 0.5,
        restoration_hours: Dist::constant(4.0),
    });
    let d = run_one(&m, &outage(&["line12"], 24.0));
    assert!(close(d.user_hours, 40.0), "{}", d.user_hours);
    let town = provision(&d, "town").expect("town");
    assert_eq!(town.path[0].id, "bus2");
    assert_eq!(town.path[0].origin.as_deref(), Some("islanded from grid"));
}

#[test]
fn six_member_state_flag() {
    let mut nodes = vec![node("cloud", "IE", 0.0)];
    let mut deps = Vec::new();
    for (k, ms) in ["DE", "FR", "IT", "ES", "NL", "PL"].iter().enumerate() {
        nodes.push(node(&format!("bank-{ms}"), ms, 1000.0));
        deps.push(dep(0, k as u32 + 1, 0.5, 0.0));
    }
    let d = run_one(&model(nodes, deps), &outage(&["cloud"], 3.0));
    assert!(close(d.user_hours, 6.0 * 1000.0 * 2.5));
    assert_eq!(d.affected_member_states.len(), 6);
    assert!(d.six_member_states);
    assert!(d.cross_border);
}

#[test]
fn measures_with_common_random_numbers() {
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![Dependency {
            buffer_hours: Dist::uniform(0.0, 4.0),
            ..dep(0, 1, 0.0, 0.0)
        }],
    );
    let s = outage(&["A"], 5.0);
    let measure = Measure {
        id: "generator".into(),
        name: "72 h generator".into(),
        description: "buffer floor".into(),
        changes: vec![MeasureChange::BufferFloor {
            filter: DependencyFilter::default(),
            hours: 72.0,
        }],
    };
    let c = compare(&m, &s, &[measure], 20, 3, &config()).expect("compare");
    assert!(c.baseline.user_hours.mean > 0.0);
    let mc = &c.measures[0];
    assert_eq!(mc.result.user_hours.max, 0.0);
    assert!(close(
        mc.mean_difference_user_hours,
        -c.baseline.user_hours.mean
    ));
    assert_eq!(mc.share_worsened, 0.0);
}

#[test]
fn invalid_model_is_rejected_with_a_reason() {
    let m = model(vec![node("A", "ES", 0.0)], vec![dep(0, 5, 1.0, 0.0)]);
    let err = CompiledModel::new(m).expect_err("out of range");
    assert!(err.to_string().contains("dependent index 5"), "{err}");
}

#[test]
fn model_and_results_round_trip_through_json() {
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![dep(0, 1, 2.0, 0.0)],
    );
    let json = serde_json::to_string(&m).expect("serialise");
    let back: Model = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, m);
    let cm = CompiledModel::new(m).expect("valid");
    let cs = CompiledScenario::new(&cm, outage(&["A"], 5.0)).expect("valid");
    let r = simulate(&cm, &cs, 4, 1, &config()).expect("runs");
    let json = serde_json::to_string(&r).expect("serialise");
    let back: SimulationResult = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, r);
    // Groups: B's service with user impact first, then the asset A (duration only).
    assert_eq!(r.groups.len(), 2);
    assert_eq!(r.groups[0].service, "svc-B");
    assert!(close(r.groups[0].mean_user_hours, 300.0));
    assert!(close(r.groups[0].mean_duration_hours, 3.0));
    assert!(close(r.groups[1].mean_duration_hours, 5.0));
}

#[test]
fn recovery_lag_also_delays_partial_improvements() {
    // A is down 0..1 h. B depends on A twice: strength 1 (lag 1 h) and 0.5
    // (lag 3 h), so B is at 0 until 2 h, at 0.5 until 4 h, then up. C depends
    // on B with a 2 h recovery lag: the partial improvement of B at 2 h
    // reaches C at 4 h, full recovery at 4 h reaches it at 6 h.
    // C: level 0 for 0..4 h, 0.5 for 4..6 h -> 100 x 4 + 50 x 2 = 500.
    let mut strong = dep(0, 1, 0.0, 1.0);
    strong.strength = 1.0;
    let mut weak = dep(0, 1, 0.0, 3.0);
    weak.strength = 0.5;
    let m = model(
        vec![
            node("A", "ES", 0.0),
            node("B", "ES", 0.0),
            node("C", "ES", 100.0),
        ],
        vec![strong, weak, dep(1, 2, 0.0, 2.0)],
    );
    let d = run_one(&m, &outage(&["A"], 1.0));
    assert!(close(d.user_hours, 500.0), "{}", d.user_hours);
    assert!(close(provision(&d, "C").expect("C").duration_hours, 4.0));
}

#[test]
fn annualised_runs_draw_a_poisson_number_of_events() {
    // Each event costs 300 user-hours (buffer 2 h, outage 5 h, 100 users).
    // With λ = 2 per year over a one-year horizon the mean is about 600.
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![dep(0, 1, 2.0, 0.0)],
    );
    let mut s = outage(&["A"], 5.0);
    s.annual_frequency = Some(2.0);
    let cfg = SimConfig {
        horizon_hours: 8760.0,
        annualised: true,
        ..config()
    };
    let cm = CompiledModel::new(m).expect("valid");
    let cs = CompiledScenario::new(&cm, s.clone()).expect("valid");
    let r = simulate(&cm, &cs, 400, 11, &cfg).expect("runs");
    assert!(
        (500.0..700.0).contains(&r.user_hours.mean),
        "{}",
        r.user_hours.mean
    );
    // Some years have no event, some several.
    assert!(r.sample_user_hours.contains(&0.0));
    assert!(r.sample_user_hours.iter().any(|&u| u > 650.0));
    // Without λ an annualised run has no events.
    s.annual_frequency = None;
    let cs = CompiledScenario::new(&cm, s).expect("valid");
    let r = simulate(&cm, &cs, 20, 11, &cfg).expect("runs");
    assert_eq!(r.user_hours.max, 0.0);
}

#[test]
fn peak_people_count_a_person_once_over_services() {
    // One power outage takes two services (100 and 60 users) from the same
    // region, and a third service (50 users) from another region of the same
    // Member State. People affected: max(100, 60) in the first region plus 50
    // in the second = 150, not the 210 person-services of the old sum.
    let mut w = node("W", "ES", 60.0);
    w.region = "ES-R".into();
    let mut x = node("X", "ES", 50.0);
    x.region = "ES-OTHER".into();
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0), w, x],
        vec![
            dep(0, 1, 0.0, 0.0),
            dep(0, 2, 0.0, 0.0),
            dep(0, 3, 0.0, 0.0),
        ],
    );
    let s = outage(&["A"], 5.0);
    let d = run_one(&m, &s);
    assert!(close(d.peak_users, 150.0), "{}", d.peak_users);
    // User-hours still add up over services (a person-service measure).
    assert!(close(d.user_hours, 5.0 * 210.0), "{}", d.user_hours);
    let cm = CompiledModel::new(m).expect("valid model");
    let cs = CompiledScenario::new(&cm, s).expect("valid scenario");
    let r = simulate(&cm, &cs, 4, 7, &config()).expect("runs");
    let es = &r.member_states[0];
    assert!(close(es.peak_users.max, 150.0), "{:?}", es.peak_users);
    assert!(close(r.peak_users.max, 150.0));
}

#[test]
fn peak_people_follow_the_largest_service_over_time() {
    // B (100 users) is down 0..2 h, W (60 users, same region) 3..6 h: the
    // people peak is 100, reached while only B is down.
    let w = node("W", "ES", 60.0);
    let m = model(
        vec![
            node("A", "ES", 0.0),
            node("B", "ES", 100.0),
            node("A2", "ES", 0.0),
            w,
        ],
        vec![dep(0, 1, 0.0, 0.0), dep(2, 3, 3.0, 0.0)],
    );
    let mut s = outage(&["A"], 2.0);
    let mut late = s.components[0].clone();
    late.footprint = Footprint::Area {
        filter: NodeFilter {
            ids: vec!["A2".into()],
            ..Default::default()
        },
    };
    late.damage[0].repair_hours = Dist::constant(6.0);
    s.components.push(late);
    let d = run_one(&m, &s);
    assert!(close(d.peak_users, 100.0), "{}", d.peak_users);
}

#[test]
fn progress_reports_every_sample_and_leaves_the_result_unchanged() {
    let m = model(
        vec![node("A", "ES", 0.0), node("B", "ES", 100.0)],
        vec![dep(0, 1, 2.0, 0.0)],
    );
    let cm = CompiledModel::new(m).unwrap();
    let cs = CompiledScenario::new(&cm, outage(&["A"], 5.0)).unwrap();
    let samples = 300;
    let plain = simulate(&cm, &cs, samples, 9, &config()).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let with = simulate_with_progress(&cm, &cs, samples, 9, &config(), &|n| {
        seen.lock().unwrap().push(n);
    })
    .unwrap();
    assert_eq!(plain, with);
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    assert_eq!(seen.last(), Some(&samples));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen.len() > 1, "progress is reported per chunk, not once");
}
