//! The pillar's demo: a registry of a few fictional entities, provisions,
//! assets and dependencies (the files in `demo/`, seeded by
//! `bulwark serve --demo` and `bulwark resilience demo`), and the European
//! cascade model built from the open data ([`build_model`], summarised by
//! [`ModelOverview`]). Seeding is idempotent: records are keyed, so a
//! re-import updates them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use bulwark_core::Country;
use bulwark_europe::{BuildParams, EuropeError, EuropeModel};
use bulwark_store::{Actor, Store};

use crate::Result;
use crate::import::{self, ImportFile, ImportSummary};

const FILES: [(&str, &str); 4] = [
    ("demo/entities.csv", include_str!("../demo/entities.csv")),
    (
        "demo/provisions.csv",
        include_str!("../demo/provisions.csv"),
    ),
    ("demo/assets.csv", include_str!("../demo/assets.csv")),
    (
        "demo/dependencies.csv",
        include_str!("../demo/dependencies.csv"),
    ),
];

/// Applies the pillar's migrations and imports the demo registry (one
/// audited, all-or-nothing import).
pub async fn seed(store: &Store) -> Result<ImportSummary> {
    crate::migrate(store).await?;
    let files = FILES
        .iter()
        .map(|(name, text)| ImportFile::from_name(name, (*text).to_string()))
        .collect::<Result<Vec<_>>>()?;
    import::import(
        store,
        &Actor::system(),
        &files,
        None,
        "demo registry (bulwark serve --demo, bulwark resilience demo)",
    )
    .await
}

/// What the European cascade model built from the open data holds: the
/// counts `bulwark resilience demo` prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelOverview {
    /// Nodes (assets and service provisions) in the model.
    pub nodes: usize,
    /// Dependencies in the model.
    pub dependencies: usize,
    /// Nodes per layer (the node's essential service, e.g. `electricity-supply`).
    pub nodes_by_layer: BTreeMap<String, usize>,
    /// Dependencies per layer of the dependent node.
    pub dependencies_by_layer: BTreeMap<String, usize>,
    /// Dependencies per resource flowing along them (`electricity`, `data`, ...).
    pub dependencies_by_resource: BTreeMap<String, usize>,
    /// Nodes per country, as coded in the model (ISO 3166-1, e.g. `GR`).
    pub nodes_by_country: BTreeMap<String, usize>,
    /// The EU Member States among those countries, in the EU's own codes (`EL`).
    pub member_states: Vec<Country>,
    /// Supply networks checked for islanding (electricity, gas).
    pub networks: Vec<String>,
}

impl ModelOverview {
    /// Counts the model's nodes and dependencies per layer, resource and country.
    pub fn of(em: &EuropeModel) -> ModelOverview {
        let m = &em.model;
        let mut o = ModelOverview {
            nodes: m.nodes.len(),
            dependencies: m.dependencies.len(),
            networks: m.networks.iter().map(|n| n.name.clone()).collect(),
            ..ModelOverview::default()
        };
        for n in &m.nodes {
            *o.nodes_by_layer.entry(n.service.clone()).or_default() += 1;
            *o.nodes_by_country
                .entry(n.member_state.clone())
                .or_default() += 1;
        }
        for d in &m.dependencies {
            if let Some(n) = m.nodes.get(d.dependent as usize) {
                *o.dependencies_by_layer
                    .entry(n.service.clone())
                    .or_default() += 1;
            }
            let resource = serde_json::to_value(d.resource)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| format!("{:?}", d.resource));
            *o.dependencies_by_resource.entry(resource).or_default() += 1;
        }
        let states: BTreeSet<Country> = o
            .nodes_by_country
            .keys()
            .filter_map(|c| c.parse::<Country>().ok())
            .filter(|c| c.is_member_state())
            .collect();
        o.member_states = states.into_iter().collect();
        o
    }
}

/// Builds the European cascade model from the open-data folder (`grid/`,
/// `geo/`, as the project's `shared/data`) with the default parameters, as
/// the simulation runner does. File reading only; takes seconds.
pub fn build_model(data_root: &Path) -> std::result::Result<EuropeModel, EuropeError> {
    bulwark_europe::build_model(data_root, &BuildParams::default())
}
