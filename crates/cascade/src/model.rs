//! The cascade model: nodes (assets and service provisions), dependencies and
//! supply networks. All types are plain data with serde so that the pillar can
//! store them and the server can render them.

use serde::{Deserialize, Serialize};

use crate::dist::Dist;
use crate::error::CascadeError;

/// Interdependency type after Rinaldi, Peerenboom & Kelly (2001), adopted as
/// `dependency.kind` in spec §3.5 / §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyKind {
    /// Material output of one is input of the other (power, water, gas).
    Physical,
    /// Information / data dependency.
    Cyber,
    /// Co-location: a local event affects both.
    Geographic,
    /// Any other mechanism (markets, policy, staff).
    Logical,
}

/// The resource that flows along a dependency (spec §4.2 `Dependency.resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Electric power.
    Electricity,
    /// Natural gas.
    Gas,
    /// Liquid fuels.
    Fuel,
    /// Drinking or process water.
    Water,
    /// Telecommunications.
    Telecom,
    /// Data / ICT services (cloud, data centres, DNS).
    Data,
    /// Transport of goods or people.
    Transport,
    /// Payment services.
    Payment,
    /// Staff availability.
    Staff,
}

/// A node: a critical-infrastructure asset or a service provision.
///
/// A node with `users > 0` is a *provision* in the sense of spec §4.2
/// (`ServiceProvision`): its disruption counts towards user impact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Stable identifier, unique in the model.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Essential service identifier (e.g. `electricity-supply`).
    pub service: String,
    /// Asset class used by fragility and repair rules (e.g. `substation`).
    pub asset_class: String,
    /// Region identifier (NUTS or another regional code).
    pub region: String,
    /// ISO 3166-1 alpha-2 code of the Member State where the node operates.
    pub member_state: String,
    /// Member States the provision serves (empty = only `member_state`);
    /// used for the six-Member-State test (CER Art. 17, spec §1.10).
    #[serde(default)]
    pub served_member_states: Vec<String>,
    /// Users relying on this provision (persons); 0 for pure assets.
    #[serde(default)]
    pub users: f64,
    /// Spare capacity this node can lend to dependents of a failed supplier,
    /// in the same load units as [`Dependency::load`].
    #[serde(default)]
    pub spare_capacity: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
}

/// A dependency: `dependent` needs `supplier` (spec §4.2 `Dependency`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// Index of the supplier in [`Model::nodes`].
    pub supplier: u32,
    /// Index of the dependent in [`Model::nodes`].
    pub dependent: u32,
    /// Rinaldi interdependency type.
    pub kind: DependencyKind,
    /// What flows along the dependency.
    pub resource: Resource,
    /// Share of the dependent's function lost if the supplier is fully down, in `[0, 1]`.
    pub strength: f64,
    /// Autonomy time in hours before a supplier outage reaches the dependent.
    pub buffer_hours: Dist,
    /// Hours the dependent needs to resume after the supplier is restored.
    pub recovery_lag_hours: f64,
    /// Alternative suppliers (indices into [`Model::nodes`]) that can take
    /// over when they are up and have spare capacity for [`Dependency::load`].
    #[serde(default)]
    pub substitutes: Vec<u32>,
    /// Hours needed to switch to a substitute.
    #[serde(default)]
    pub switchover_hours: f64,
    /// Load this dependency places on a substitute (capacity units).
    #[serde(default)]
    pub load: f64,
}

/// A link of a supply network (an electric line, a pipeline segment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkLink {
    /// First end (node index of a network member).
    pub a: u32,
    /// Second end (node index of a network member).
    pub b: u32,
    /// Node that represents the link as an asset (it can be damaged), if any.
    #[serde(default)]
    pub asset: Option<u32>,
}

/// A source feeding a supply network (a generator, an import point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSource {
    /// Node index of the source asset.
    pub node: u32,
    /// Node index of the network member it feeds.
    pub member: u32,
    /// Capacity (MW, GW or any unit consistent within the network).
    pub capacity: f64,
}

/// A supply network checked for islanding at the onset of each event
/// (spec §4.3 step 3, "capacity-aware grids", simplified to a connectivity
/// model): after the initial damage, each connected component whose share of
/// the network's supply is below `min_supply_ratio` × its share of demand is
/// de-energised, and its members are restored after `restoration_hours`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyNetwork {
    /// Name (e.g. `electricity-transmission`).
    pub name: String,
    /// Member nodes (buses, gas nodes).
    pub members: Vec<u32>,
    /// Demand at each member, parallel to `members`.
    pub demand: Vec<f64>,
    /// Links between members.
    pub links: Vec<NetworkLink>,
    /// Sources attached to members.
    pub sources: Vec<NetworkSource>,
    /// Island viability threshold (supply share / demand share); a modelling
    /// assumption, therefore a parameter.
    pub min_supply_ratio: f64,
    /// Time to restore a de-energised island member (black start, re-synchronisation).
    pub restoration_hours: Dist,
}

/// A complete cascade model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Model {
    /// Model name.
    pub name: String,
    /// Free-text description, provenance and attribution.
    pub description: String,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Dependencies.
    pub dependencies: Vec<Dependency>,
    /// Supply networks checked for islanding.
    #[serde(default)]
    pub networks: Vec<SupplyNetwork>,
}

impl Model {
    /// Looks up a node index by id (linear scan; use [`CompiledModel`] for repeated look-ups).
    pub fn node_index(&self, id: &str) -> Option<u32> {
        self.nodes.iter().position(|n| n.id == id).map(|i| i as u32)
    }

    /// Checks all references and parameter ranges.
    pub fn validate(&self) -> Result<(), CascadeError> {
        let n = self.nodes.len();
        if n >= u32::MAX as usize - 2 {
            return Err(CascadeError::Invalid("too many nodes".into()));
        }
        let mut seen = std::collections::HashSet::with_capacity(n);
        for (i, node) in self.nodes.iter().enumerate() {
            if !seen.insert(node.id.as_str()) {
                return Err(CascadeError::Invalid(format!(
                    "duplicate node id {:?} at index {i}",
                    node.id
                )));
            }
            if !(node.users.is_finite() && node.users >= 0.0) {
                return Err(CascadeError::Invalid(format!(
                    "node {:?}: users must be finite and >= 0",
                    node.id
                )));
            }
            if !((-90.0..=90.0).contains(&node.lat) && (-180.0..=180.0).contains(&node.lon)) {
                return Err(CascadeError::Invalid(format!(
                    "node {:?}: coordinates out of range ({}, {})",
                    node.id, node.lat, node.lon
                )));
            }
            if !(node.spare_capacity.is_finite() && node.spare_capacity >= 0.0) {
                return Err(CascadeError::Invalid(format!(
                    "node {:?}: spare_capacity must be finite and >= 0",
                    node.id
                )));
            }
        }
        let check = |idx: u32, what: &str, e: usize| -> Result<(), CascadeError> {
            if (idx as usize) < n {
                Ok(())
            } else {
                Err(CascadeError::Invalid(format!(
                    "dependency {e}: {what} index {idx} out of range ({n} nodes)"
                )))
            }
        };
        for (e, d) in self.dependencies.iter().enumerate() {
            check(d.supplier, "supplier", e)?;
            check(d.dependent, "dependent", e)?;
            if d.supplier == d.dependent {
                return Err(CascadeError::Invalid(format!(
                    "dependency {e}: a node cannot depend on itself"
                )));
            }
            for &s in &d.substitutes {
                check(s, "substitute", e)?;
            }
            if !(0.0..=1.0).contains(&d.strength) {
                return Err(CascadeError::Invalid(format!(
                    "dependency {e}: strength {} outside [0, 1]",
                    d.strength
                )));
            }
            if !d.buffer_hours.is_valid() {
                return Err(CascadeError::Invalid(format!(
                    "dependency {e}: invalid buffer distribution"
                )));
            }
            for (v, name) in [
                (d.recovery_lag_hours, "recovery_lag_hours"),
                (d.switchover_hours, "switchover_hours"),
                (d.load, "load"),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(CascadeError::Invalid(format!(
                        "dependency {e}: {name} must be finite and >= 0"
                    )));
                }
            }
        }
        for net in &self.networks {
            if net.demand.len() != net.members.len() {
                return Err(CascadeError::Invalid(format!(
                    "network {:?}: demand and members differ in length",
                    net.name
                )));
            }
            let in_range = |i: u32| (i as usize) < n;
            if !net.members.iter().all(|&m| in_range(m))
                || !net
                    .links
                    .iter()
                    .all(|l| in_range(l.a) && in_range(l.b) && l.asset.is_none_or(in_range))
                || !net
                    .sources
                    .iter()
                    .all(|s| in_range(s.node) && in_range(s.member))
            {
                return Err(CascadeError::Invalid(format!(
                    "network {:?}: node index out of range",
                    net.name
                )));
            }
            if !net.restoration_hours.is_valid() || !net.min_supply_ratio.is_finite() {
                return Err(CascadeError::Invalid(format!(
                    "network {:?}: invalid parameters",
                    net.name
                )));
            }
        }
        Ok(())
    }
}
