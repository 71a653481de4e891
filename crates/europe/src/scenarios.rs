//! The scenario library for the European model, with stable ids, and a
//! small library of what-if measures.

use bulwark_cascade::{
    Centrality, DamageRule, DependencyFilter, Dist, Footprint, Fragility, HazardClass,
    HazardComponent, Measure, MeasureChange, NodeFilter, Resource, Scenario,
};
use serde::{Deserialize, Serialize};

use crate::build::EuropeModel;

/// Catalogue entry of a scenario (listing does not need the model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Stable id.
    pub id: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Hazard class.
    pub hazard: HazardClass,
    /// What is modelled and why.
    pub description: &'static str,
}

/// Stable scenario ids with documentation.
pub const CATALOGUE: [ScenarioInfo; 9] = [
    ScenarioInfo {
        id: "iberia-2025-system-split",
        name: "Iberia-2025-like system split",
        hazard: HazardClass::TechnicalFailure,
        description: "Replay in the spirit of the Iberian blackout of 28 Apr 2025 (spec §4.4): the AC and HVDC ties of Spain and Portugal to France and Morocco trip, generation in the Iberian island trips (certain), the island is de-energised by the grid islanding check and restored after the calibrated restoration time (median 9 h). Substations in south-west France within ~150 km of the border have a 30 % chance of a short (median 0.5 h) outage, as reported for SW France. Expected orders of magnitude: tens of millions of people without electricity, restoration within about a day, cross-border impact.",
    },
    ScenarioInfo {
        id: "windstorm-north-west",
        name: "Winter windstorm, north-west Europe",
        hazard: HazardClass::Windstorm,
        description: "A storm footprint (radius log-normal, median 200 km) centred near Brittany, southern England, the Netherlands, northern Germany, Denmark or southern Sweden. Overhead lines, distribution grids and base stations fail along log-normal fragility curves of the normalised gust intensity; repairs take about a day for lines and half a day for base stations [assumption]. Annual frequency 1.",
    },
    ScenarioInfo {
        id: "river-flood-central",
        name: "River flood, central Europe",
        hazard: HazardClass::Flood,
        description: "A flood footprint (radius median 60 km) on the Rhine, Elbe, Danube, Oder or Po. Substations, water and waste-water plants and distribution grids in the footprint fail along fragility curves; repairs take days (median 72 h) [assumption]. Annual frequency 0.3.",
    },
    ScenarioInfo {
        id: "heatwave-south",
        name: "Heatwave, southern Europe",
        hazard: HazardClass::Heat,
        description: "A heatwave over ES, PT, FR, IT, GR, HR, SI, CY and MT: thermal and nuclear plants curtail for lack of cooling water, some lines fail from sag/derating, water utilities run at reduced function. Fragilities and repairs are assumptions. Annual frequency 0.5.",
    },
    ScenarioInfo {
        id: "drought-hydro",
        name: "Drought, hydro and water",
        hazard: HazardClass::Drought,
        description: "A prolonged drought: hydro plants in FR, ES, PT, IT, AT, CH and NO lose output (probability 0.35 each) for the whole horizon, water utilities in southern Member States run at reduced function. Assumption-based.",
    },
    ScenarioInfo {
        id: "sabotage-top10-interconnectors",
        name: "Sabotage of the 10 most central interconnectors",
        hazard: HazardClass::Sabotage,
        description: "An adversary cuts the k = 10 electricity interconnectors with the highest (sampled) betweenness on the grid graph; repairs take days (median 72 h). Targets are deterministic given the model (spec §4.3 step 2).",
    },
    ScenarioInfo {
        id: "sabotage-top20-substations",
        name: "Sabotage of the 20 most central substations",
        hazard: HazardClass::Sabotage,
        description: "An adversary destroys the k = 20 substations with the highest sampled betweenness; repairs take days (median 48 h).",
    },
    ScenarioInfo {
        id: "cyber-cloud-provider",
        name: "Cyber attack on a cloud provider serving several Member States",
        hazard: HazardClass::CyberAttack,
        description: "One of the synthetic cloud providers serving ≥ 6 Member States (CEPES candidates, spec §1.10) is taken down by a cyber attack (median 18 h). Payment processors fail over to a second provider after 6 h; card payments and, partially, mobile cores are affected across Member States.",
    },
    ScenarioInfo {
        id: "hybrid-baltic",
        name: "Hybrid campaign, Baltic Sea region",
        hazard: HazardClass::HybridCampaign,
        description: "Coordinated physical and cyber actions: subsea/cross-border electricity interconnectors and gas interconnection pipelines of FI, EE, LV, LT, SE and PL are cut (repairs weeks), and the mobile core networks of EE, LV and LT are hit by a cyber attack (median 24 h).",
    },
];

fn filter_ms(ms: &[&str], classes: &[&str]) -> NodeFilter {
    NodeFilter {
        member_states: ms.iter().map(|s| s.to_string()).collect(),
        asset_classes: classes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn rule(class: &str, fragility: Fragility, repair: Dist, residual: f64) -> DamageRule {
    DamageRule {
        asset_class: class.to_string(),
        fragility,
        repair_hours: repair,
        residual_function: residual,
    }
}

fn ln(median: f64, beta: f64) -> Fragility {
    Fragility::LogNormal { median, beta }
}

/// Builds the scenario with this id for the model, if the id is known.
pub fn scenario(model: &EuropeModel, id: &str) -> Option<Scenario> {
    let info = CATALOGUE.iter().find(|s| s.id == id)?;
    let mut components = Vec::new();
    let mut annual = None;
    match id {
        "iberia-2025-system-split" => {
            let ties: Vec<String> = model
                .interconnectors
                .iter()
                .filter(|ic| {
                    let iberian = |c: &str| c == "ES" || c == "PT";
                    iberian(&ic.from) != iberian(&ic.to)
                })
                .map(|ic| ic.id.clone())
                .collect();
            components.push(HazardComponent {
                label: "system split: Iberian ties trip".into(),
                footprint: Footprint::Area {
                    filter: NodeFilter {
                        ids: ties,
                        ..Default::default()
                    },
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Certain,
                    Dist::lognormal(9.0, 0.53),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: false,
            });
            components.push(HazardComponent {
                label: "generation trips in the Iberian island".into(),
                footprint: Footprint::Area {
                    filter: filter_ms(&["ES", "PT"], &["generator-*"]),
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "generator-*",
                    Fragility::Certain,
                    Dist::lognormal(9.0, 0.53),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
            components.push(HazardComponent {
                label: "disturbance in south-west France".into(),
                footprint: Footprint::Circle {
                    filter: filter_ms(&["FR"], &["substation*"]),
                    centres: vec![(43.3, -0.5)],
                    radius_km: Dist::constant(150.0),
                    jitter_km: 0.0,
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "substation*",
                    Fragility::Probability { p: 0.3 },
                    Dist::lognormal(0.5, 0.5),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: false,
            });
        }
        "windstorm-north-west" => {
            annual = Some(1.0);
            components.push(HazardComponent {
                label: "windstorm".into(),
                footprint: Footprint::Circle {
                    filter: NodeFilter {
                        asset_classes: vec![
                            "line".into(),
                            "line-interconnector".into(),
                            "distribution".into(),
                            "base-station".into(),
                        ],
                        ..Default::default()
                    },
                    centres: vec![
                        (48.2, -3.0),
                        (51.0, -1.5),
                        (52.5, 5.0),
                        (53.5, 9.0),
                        (56.0, 9.5),
                        (57.5, 14.0),
                    ],
                    radius_km: Dist::lognormal(200.0, 0.35),
                    jitter_km: 150.0,
                },
                intensity: Dist::lognormal(1.0, 0.3),
                damage: vec![
                    rule("line*", ln(1.3, 0.4), Dist::lognormal(24.0, 0.7), 0.0),
                    rule(
                        "distribution",
                        ln(1.1, 0.4),
                        Dist::lognormal(12.0, 0.8),
                        0.0,
                    ),
                    rule(
                        "base-station",
                        ln(1.6, 0.4),
                        Dist::lognormal(12.0, 0.6),
                        0.0,
                    ),
                ],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "river-flood-central" => {
            annual = Some(0.3);
            components.push(HazardComponent {
                label: "river flood".into(),
                footprint: Footprint::Circle {
                    filter: NodeFilter {
                        asset_classes: vec![
                            "substation*".into(),
                            "water-utility".into(),
                            "waste-water-plant".into(),
                            "distribution".into(),
                        ],
                        ..Default::default()
                    },
                    centres: vec![
                        (50.94, 6.96),
                        (51.05, 13.74),
                        (48.21, 16.37),
                        (47.50, 19.04),
                        (51.11, 17.03),
                        (45.07, 7.69),
                    ],
                    radius_km: Dist::lognormal(60.0, 0.4),
                    jitter_km: 40.0,
                },
                intensity: Dist::lognormal(1.0, 0.4),
                damage: vec![
                    rule("substation*", ln(1.5, 0.5), Dist::lognormal(72.0, 0.6), 0.0),
                    rule(
                        "water-utility",
                        ln(1.2, 0.5),
                        Dist::lognormal(72.0, 0.6),
                        0.0,
                    ),
                    rule(
                        "waste-water-plant",
                        ln(1.0, 0.5),
                        Dist::lognormal(96.0, 0.6),
                        0.0,
                    ),
                    rule(
                        "distribution",
                        ln(1.3, 0.5),
                        Dist::lognormal(48.0, 0.6),
                        0.0,
                    ),
                ],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "heatwave-south" => {
            annual = Some(0.5);
            let ms = ["ES", "PT", "FR", "IT", "GR", "HR", "SI", "CY", "MT"];
            components.push(HazardComponent {
                label: "heatwave".into(),
                footprint: Footprint::Area {
                    filter: filter_ms(
                        &ms,
                        &[
                            "generator-nuclear",
                            "generator-fossil*",
                            "generator-hard-coal",
                            "generator-brown-coal-lignite",
                            "line",
                            "water-utility",
                        ],
                    ),
                },
                intensity: Dist::lognormal(1.0, 0.25),
                damage: vec![
                    rule("generator-*", ln(1.6, 0.4), Dist::lognormal(48.0, 0.5), 0.0),
                    rule("line", ln(3.0, 0.4), Dist::lognormal(8.0, 0.5), 0.0),
                    rule(
                        "water-utility",
                        ln(1.4, 0.5),
                        Dist::lognormal(72.0, 0.5),
                        0.7,
                    ),
                ],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "drought-hydro" => {
            annual = Some(0.2);
            components.push(HazardComponent {
                label: "drought".into(),
                footprint: Footprint::Area {
                    filter: filter_ms(
                        &["FR", "ES", "PT", "IT", "AT", "CH", "NO"],
                        &["generator-hydro*", "water-utility"],
                    ),
                },
                intensity: Dist::constant(1.0),
                damage: vec![
                    rule(
                        "generator-hydro*",
                        Fragility::Probability { p: 0.35 },
                        Dist::constant(10_000.0),
                        0.0,
                    ),
                    rule(
                        "water-utility",
                        Fragility::Probability { p: 0.1 },
                        Dist::constant(10_000.0),
                        0.8,
                    ),
                ],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "sabotage-top10-interconnectors" => {
            components.push(HazardComponent {
                label: "sabotage of interconnectors".into(),
                footprint: Footprint::MostCentral {
                    filter: NodeFilter {
                        asset_classes: vec![
                            "line-interconnector".into(),
                            "hvdc-interconnector".into(),
                        ],
                        ..Default::default()
                    },
                    k: 10,
                    centrality: Centrality::Betweenness { pivots: 48 },
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Certain,
                    Dist::lognormal(72.0, 0.5),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "sabotage-top20-substations" => {
            components.push(HazardComponent {
                label: "sabotage of substations".into(),
                footprint: Footprint::MostCentral {
                    filter: NodeFilter {
                        asset_classes: vec!["substation*".into()],
                        ..Default::default()
                    },
                    k: 20,
                    centrality: Centrality::Betweenness { pivots: 48 },
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Certain,
                    Dist::lognormal(48.0, 0.5),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "cyber-cloud-provider" => {
            components.push(HazardComponent {
                label: "cyber attack on cloud provider".into(),
                footprint: Footprint::OneOf {
                    filter: NodeFilter {
                        asset_classes: vec!["cloud-provider".into()],
                        min_served_member_states: 6,
                        ..Default::default()
                    },
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Certain,
                    Dist::lognormal(18.0, 0.7),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
        }
        "hybrid-baltic" => {
            let baltic = ["FI", "EE", "LV", "LT", "SE", "PL"];
            let ties: Vec<String> = model
                .interconnectors
                .iter()
                .filter(|ic| baltic.contains(&ic.from.as_str()) && baltic.contains(&ic.to.as_str()))
                .map(|ic| ic.id.clone())
                .collect();
            components.push(HazardComponent {
                label: "sabotage of Baltic interconnectors".into(),
                footprint: Footprint::Area {
                    filter: NodeFilter {
                        ids: ties,
                        ..Default::default()
                    },
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Certain,
                    Dist::lognormal(700.0, 0.4),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
            components.push(HazardComponent {
                label: "sabotage of Baltic gas interconnection".into(),
                footprint: Footprint::Area {
                    filter: filter_ms(&["FI", "EE", "LV", "LT"], &["pipeline-interconnector"]),
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Probability { p: 0.5 },
                    Dist::lognormal(2000.0, 0.4),
                    0.0,
                )],
                onset_hours: 0.0,
                counts_as_origin: true,
            });
            components.push(HazardComponent {
                label: "cyber attack on mobile cores".into(),
                footprint: Footprint::Area {
                    filter: filter_ms(&["EE", "LV", "LT"], &["telecom-core"]),
                },
                intensity: Dist::constant(1.0),
                damage: vec![rule(
                    "*",
                    Fragility::Probability { p: 0.6 },
                    Dist::lognormal(24.0, 0.6),
                    0.0,
                )],
                onset_hours: 2.0,
                counts_as_origin: true,
            });
        }
        _ => return None,
    }
    Some(Scenario {
        id: info.id.to_string(),
        name: info.name.to_string(),
        description: info.description.to_string(),
        hazard: info.hazard,
        annual_frequency: annual,
        components,
        network_stress: 1.0,
    })
}

/// All scenarios of the catalogue for the model.
pub fn scenarios(model: &EuropeModel) -> Vec<Scenario> {
    CATALOGUE
        .iter()
        .filter_map(|s| scenario(model, s.id))
        .collect()
}

fn dep_filter(dependent_classes: &[&str], resources: &[Resource]) -> DependencyFilter {
    DependencyFilter {
        dependent: NodeFilter {
            asset_classes: dependent_classes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
        supplier: NodeFilter::default(),
        resources: resources.to_vec(),
    }
}

/// A library of what-if measures (spec §4.2 `Measure`, Art. 13 options).
pub fn measures() -> Vec<Measure> {
    vec![
        Measure {
            id: "base-stations-8h".into(),
            name: "8 h backup power at base stations".into(),
            description: "Every base station gets at least 8 h of battery or generator autonomy (the FCC 2007 proposal for cell sites, spec §4.4).".into(),
            changes: vec![MeasureChange::BufferFloor {
                filter: dep_filter(&["base-station"], &[Resource::Electricity]),
                hours: 8.0,
            }],
        },
        Measure {
            id: "water-72h".into(),
            name: "72 h emergency power for water utilities".into(),
            description: "Drinking-water and waste-water plants get 72 h of emergency power (BBK recommendation of ≥ 72 h, spec §4.4).".into(),
            changes: vec![MeasureChange::BufferFloor {
                filter: dep_filter(&["water-utility", "waste-water-plant"], &[Resource::Electricity]),
                hours: 72.0,
            }],
        },
        Measure {
            id: "payments-offline".into(),
            name: "Offline card payments for 24 h".into(),
            description: "Card terminals and ATMs can operate offline for 24 h when telecom or the processor is down.".into(),
            changes: vec![MeasureChange::BufferFloor {
                filter: dep_filter(&["payment-terminal"], &[Resource::Telecom, Resource::Payment]),
                hours: 24.0,
            }],
        },
        Measure {
            id: "faster-grid-restoration".into(),
            name: "Faster grid repair".into(),
            description: "Repair crews and spares halve repair times of lines and substations.".into(),
            changes: vec![
                MeasureChange::RepairScale { asset_class: "line*".into(), factor: 0.5 },
                MeasureChange::RepairScale { asset_class: "substation*".into(), factor: 0.5 },
            ],
        },
    ]
}
