//! Helpers to build tiny models by hand.
#![allow(dead_code)]

use bulwark_cascade::*;

pub fn node(id: &str, ms: &str, users: f64) -> Node {
    Node {
        id: id.to_string(),
        name: id.to_string(),
        service: format!("svc-{id}"),
        asset_class: "asset".to_string(),
        region: format!("{ms}-R"),
        member_state: ms.to_string(),
        served_member_states: vec![],
        users,
        spare_capacity: 0.0,
        lat: 0.0,
        lon: 0.0,
    }
}

pub fn dep(supplier: u32, dependent: u32, buffer: f64, lag: f64) -> Dependency {
    Dependency {
        supplier,
        dependent,
        kind: DependencyKind::Physical,
        resource: Resource::Electricity,
        strength: 1.0,
        buffer_hours: Dist::constant(buffer),
        recovery_lag_hours: lag,
        substitutes: vec![],
        switchover_hours: 0.0,
        load: 0.0,
    }
}

pub fn model(nodes: Vec<Node>, dependencies: Vec<Dependency>) -> Model {
    Model {
        name: "test".into(),
        description: String::new(),
        nodes,
        dependencies,
        networks: vec![],
    }
}

/// Scenario that knocks out the listed nodes for `repair` hours.
pub fn outage(ids: &[&str], repair: f64) -> Scenario {
    Scenario {
        id: "outage".into(),
        name: "outage".into(),
        description: "targeted outage".into(),
        hazard: HazardClass::Sabotage,
        annual_frequency: None,
        components: vec![HazardComponent {
            label: "attack".into(),
            footprint: Footprint::Area {
                filter: NodeFilter {
                    ids: ids.iter().map(|s| s.to_string()).collect(),
                    ..Default::default()
                },
            },
            intensity: Dist::constant(1.0),
            damage: vec![DamageRule {
                asset_class: "*".into(),
                fragility: Fragility::Certain,
                repair_hours: Dist::constant(repair),
                residual_function: 0.0,
            }],
            onset_hours: 0.0,
            counts_as_origin: true,
        }],
        network_stress: 1.0,
    }
}

pub fn config() -> SimConfig {
    SimConfig {
        horizon_hours: 48.0,
        significant_users: 1.0,
        ..Default::default()
    }
}

/// Runs one sample and returns the detail.
pub fn run_one(m: &Model, s: &Scenario) -> SampleDetail {
    let cm = CompiledModel::new(m.clone()).expect("valid model");
    let cs = CompiledScenario::new(&cm, s.clone()).expect("valid scenario");
    replay_sample(&cm, &cs, 7, 0, &config()).expect("runs")
}

pub fn provision<'a>(d: &'a SampleDetail, id: &str) -> Option<&'a DisruptedProvision> {
    d.provisions.iter().find(|p| p.id == id)
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}
