//! Property tests (spec §4.6): monotonicity and reproducibility.

mod common;

use bulwark_cascade::*;
use common::*;
use proptest::prelude::*;

/// A random directed acyclic model: edges go from lower to higher index.
fn dag_model() -> impl Strategy<Value = (Model, Vec<usize>)> {
    (3usize..9).prop_flat_map(|n| {
        let edges = proptest::collection::vec(
            (0..n, 0..n, 0.0f64..6.0, 0.0f64..3.0, 0.1f64..1.0),
            1..(2 * n),
        );
        let users = proptest::collection::vec(0.0f64..100.0, n);
        let targets = proptest::collection::vec(0..n, 1..3);
        (Just(n), edges, users, targets).prop_map(|(n, edges, users, targets)| {
            let nodes = (0..n)
                .map(|i| {
                    node(
                        &format!("n{i}"),
                        if i % 2 == 0 { "ES" } else { "PT" },
                        users[i],
                    )
                })
                .collect();
            let mut deps = vec![dep(0, n as u32 - 1, 1.0, 0.5)];
            for (a, b, buf, lag, s) in edges {
                let (a, b) = (a.min(b), a.max(b));
                if a == b {
                    continue;
                }
                let mut d = dep(a as u32, b as u32, buf, lag);
                d.strength = s;
                deps.push(d);
            }
            (model(nodes, deps), targets)
        })
    })
}

fn total_user_hours(m: &Model, targets: &[usize], repair: f64) -> f64 {
    let ids: Vec<String> = targets.iter().map(|t| format!("n{t}")).collect();
    let refs: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
    run_one(m, &outage(&refs, repair)).user_hours
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn longer_buffers_never_increase_user_hours(
        (m, targets) in dag_model(),
        which in 0usize..64,
        extra in 0.0f64..10.0,
        repair in 0.5f64..12.0,
    ) {
        let base = total_user_hours(&m, &targets, repair);
        let mut longer = m.clone();
        let k = which % longer.dependencies.len();
        let b = longer.dependencies[k].buffer_hours.sample(0.5);
        longer.dependencies[k].buffer_hours = Dist::constant(b + extra);
        let after = total_user_hours(&longer, &targets, repair);
        prop_assert!(after <= base + 1e-6, "base {base}, after {after}");
        // All buffers longer at once.
        let mut all = m.clone();
        for d in &mut all.dependencies {
            d.buffer_hours = d.buffer_hours.scaled(1.0 + extra);
        }
        let after_all = total_user_hours(&all, &targets, repair);
        prop_assert!(after_all <= base + 1e-6, "base {base}, after all {after_all}");
    }

    #[test]
    fn removing_a_dependency_never_worsens_a_single_supplier_cascade(
        (m, targets) in dag_model(),
        which in 0usize..64,
        repair in 0.5f64..12.0,
    ) {
        // Keep one supplier per dependent (a tree of single-supplier chains).
        let mut single = m.clone();
        let mut has_supplier = vec![false; single.nodes.len()];
        single.dependencies.retain(|d| {
            let keep = !has_supplier[d.dependent as usize];
            has_supplier[d.dependent as usize] = true;
            keep
        });
        let base = total_user_hours(&single, &targets, repair);
        let mut removed = single.clone();
        let k = which % removed.dependencies.len();
        removed.dependencies.remove(k);
        let after = total_user_hours(&removed, &targets, repair);
        prop_assert!(after <= base + 1e-6, "base {base}, after {after}");
    }
}

/// A larger random model with stochastic buffers, substitutes and a circle hazard.
fn random_model(n: usize, seed: u64) -> Model {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as f64 / (1u64 << 31) as f64
    };
    let states = ["ES", "PT", "FR", "DE", "IT", "PL", "NL"];
    let mut nodes = Vec::new();
    for i in 0..n {
        let mut nd = node(
            &format!("n{i}"),
            states[i % states.len()],
            (next() * 1000.0).floor(),
        );
        nd.lat = 36.0 + next() * 20.0;
        nd.lon = -9.0 + next() * 30.0;
        nd.spare_capacity = (next() * 3.0).floor();
        nd.asset_class = if i % 3 == 0 {
            "substation".into()
        } else {
            "service".into()
        };
        nodes.push(nd);
    }
    let mut deps = Vec::new();
    for i in 1..n {
        for _ in 0..2 {
            let j = (next() * n as f64) as usize % n;
            if j == i {
                continue;
            }
            let mut d = dep(j as u32, i as u32, 0.0, next() * 2.0);
            d.buffer_hours = Dist::lognormal(1.0 + next() * 4.0, 0.7);
            d.strength = 0.3 + 0.7 * next();
            if next() < 0.3 {
                d.substitutes = vec![((next() * n as f64) as usize % n) as u32];
                d.load = 1.0;
                d.switchover_hours = next();
            }
            deps.push(d);
        }
    }
    model(nodes, deps)
}

fn storm() -> Scenario {
    Scenario {
        id: "storm".into(),
        name: "storm".into(),
        description: "random windstorm".into(),
        hazard: HazardClass::Windstorm,
        annual_frequency: Some(0.5),
        components: vec![HazardComponent {
            label: "windstorm".into(),
            footprint: Footprint::Circle {
                filter: NodeFilter::default(),
                centres: vec![(40.0, -3.0), (48.0, 2.0), (52.0, 13.0)],
                radius_km: Dist::lognormal(250.0, 0.4),
                jitter_km: 200.0,
            },
            intensity: Dist::lognormal(1.0, 0.5),
            damage: vec![DamageRule {
                asset_class: "substation".into(),
                fragility: Fragility::LogNormal {
                    median: 1.2,
                    beta: 0.5,
                },
                repair_hours: Dist::lognormal(8.0, 0.8),
                residual_function: 0.0,
            }],
            onset_hours: 0.0,
            counts_as_origin: true,
        }],
        network_stress: 1.0,
    }
}

fn run_with_threads(threads: usize, m: &Model, seed: u64) -> SimulationResult {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let cm = CompiledModel::new(m.clone()).expect("valid");
    let cs = CompiledScenario::new(&cm, storm()).expect("valid");
    pool.install(|| simulate(&cm, &cs, 150, seed, &config()).expect("runs"))
}

#[test]
fn same_seed_same_result_across_thread_counts() {
    let m = random_model(600, 11);
    let one = run_with_threads(1, &m, 99);
    let two = run_with_threads(2, &m, 99);
    let three = run_with_threads(3, &m, 99);
    assert!(one.user_hours.mean > 0.0, "the test must exercise cascades");
    assert!(one.tail.samples > 0);
    assert_eq!(one, two);
    assert_eq!(one, three);
    let json1 = serde_json::to_string(&one).expect("json");
    let json2 = serde_json::to_string(&two).expect("json");
    assert_eq!(json1, json2);
    let other_seed = run_with_threads(2, &m, 100);
    assert_ne!(one.sample_user_hours, other_seed.sample_user_hours);
}

#[test]
fn replay_matches_the_simulated_sample() {
    let m = random_model(300, 5);
    let r = run_with_threads(2, &m, 7);
    let worst = r.worst_sample.as_ref().expect("some impact");
    let idx = worst.index as usize;
    assert_eq!(worst.user_hours, r.sample_user_hours[idx]);
    assert!(!worst.provisions.is_empty());
    for p in &worst.provisions {
        assert_eq!(p.path.last().map(|s| s.id.as_str()), Some(p.id.as_str()));
        assert!(p.path[0].origin.is_some());
    }
    // Exceedance is non-increasing.
    for w in r.exceedance.windows(2) {
        assert!(w[1].probability <= w[0].probability);
    }
}
