//! Validated, index-based forms of a model and a scenario used by the engine.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::CascadeError;
use crate::model::Model;
use crate::scenario::{Centrality, DamageRule, Footprint, NodeFilter, Scenario};

/// Key of an aggregation group: essential service × region × Member State
/// (spec §4.3 step 4 and "across samples").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupKey {
    /// Essential service.
    pub service: String,
    /// Region.
    pub region: String,
    /// Member State.
    pub member_state: String,
}

/// Compressed adjacency (CSR).
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    pub start: Vec<u32>,
    pub items: Vec<u32>,
}

impl Csr {
    fn build(n: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> Csr {
        let mut start = vec![0u32; n + 1];
        for (k, _) in pairs.clone() {
            start[k as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; start[n] as usize];
        for (k, v) in pairs {
            items[fill[k as usize] as usize] = v;
            fill[k as usize] += 1;
        }
        Csr { start, items }
    }

    #[inline]
    pub fn row(&self, k: u32) -> &[u32] {
        let k = k as usize;
        &self.items[self.start[k] as usize..self.start[k + 1] as usize]
    }
}

/// Network data prepared for the islanding check.
#[derive(Debug, Clone)]
pub(crate) struct CompiledNetwork {
    /// Local index of each model node in this network (`u32::MAX` = not a member).
    pub local: Vec<u32>,
    /// Baseline (undamaged) component of each member.
    pub base_comp: Vec<u32>,
    /// Baseline viability of each baseline component.
    pub base_viable: Vec<bool>,
    /// Links as (local a, local b).
    pub links_local: Vec<(u32, u32)>,
    /// Link indices per asset node.
    pub asset_links: Csr,
    /// Total supply and demand of the intact network.
    pub supply_total: f64,
    pub demand_total: f64,
}

/// Hot per-dependency data in a compact layout for the event loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DepHot {
    pub supplier: u32,
    pub dependent: u32,
    pub strength: f64,
    pub recovery_lag_hours: f64,
    pub switchover_hours: f64,
    pub load: f64,
}

/// A model checked and indexed for simulation.
#[derive(Debug, Clone)]
pub struct CompiledModel {
    pub(crate) model: Model,
    pub(crate) hot: Vec<DepHot>,
    pub(crate) subs: Csr,
    pub(crate) buffers: Vec<crate::dist::Dist>,
    pub(crate) users: Vec<f64>,
    pub(crate) spare: Vec<f64>,
    pub(crate) out_edges: Csr,
    pub(crate) in_edges: Csr,
    pub(crate) sub_edges: Csr,
    pub(crate) group_of: Vec<u32>,
    pub(crate) groups: Vec<GroupKey>,
    /// Per group: its area (region × Member State).
    pub(crate) area_of_group: Vec<u32>,
    /// Per area: the groups with users (one per essential service), for the
    /// people-affected count (see `Scratch::set_level`).
    pub(crate) area_groups: Csr,
    pub(crate) ms_of: Vec<u16>,
    pub(crate) member_states: Vec<String>,
    pub(crate) networks: Vec<CompiledNetwork>,
    /// Per node: bit mask of networks it touches (member, link asset or source).
    pub(crate) net_mask: Vec<u64>,
    pub(crate) index: HashMap<String, u32>,
}

impl CompiledModel {
    /// Validates and indexes a model.
    pub fn new(model: Model) -> Result<Self, CascadeError> {
        model.validate()?;
        if model.networks.len() > 64 {
            return Err(CascadeError::Invalid("at most 64 supply networks".into()));
        }
        let n = model.nodes.len();
        let deps = &model.dependencies;
        let out_edges = Csr::build(
            n,
            deps.iter().enumerate().map(|(e, d)| (d.supplier, e as u32)),
        );
        let in_edges = Csr::build(
            n,
            deps.iter()
                .enumerate()
                .map(|(e, d)| (d.dependent, e as u32)),
        );
        let sub_edges = Csr::build(
            n,
            deps.iter()
                .enumerate()
                .flat_map(|(e, d)| d.substitutes.iter().map(move |&s| (s, e as u32))),
        );
        let mut group_index: HashMap<GroupKey, u32> = HashMap::new();
        let mut groups = Vec::new();
        let mut ms_index: HashMap<String, u16> = HashMap::new();
        let mut member_states = Vec::new();
        let mut group_of = Vec::with_capacity(n);
        let mut ms_of = Vec::with_capacity(n);
        let mut index = HashMap::with_capacity(n);
        for (i, node) in model.nodes.iter().enumerate() {
            let key = GroupKey {
                service: node.service.clone(),
                region: node.region.clone(),
                member_state: node.member_state.clone(),
            };
            let g = *group_index.entry(key.clone()).or_insert_with(|| {
                groups.push(key);
                (groups.len() - 1) as u32
            });
            group_of.push(g);
            let next = member_states.len();
            let m = *ms_index
                .entry(node.member_state.clone())
                .or_insert_with(|| {
                    member_states.push(node.member_state.clone());
                    next as u16
                });
            ms_of.push(m);
            index.insert(node.id.clone(), i as u32);
        }
        if member_states.len() > 1024 {
            return Err(CascadeError::Invalid("at most 1024 Member States".into()));
        }
        // Areas (region × Member State) and, per area, the groups whose
        // provisions have users: people affected in an area are counted once
        // over its services.
        let mut area_index: HashMap<(&str, &str), u32> = HashMap::new();
        let mut area_of_group = Vec::with_capacity(groups.len());
        for key in &groups {
            let next = area_index.len() as u32;
            let a = *area_index
                .entry((key.region.as_str(), key.member_state.as_str()))
                .or_insert(next);
            area_of_group.push(a);
        }
        let mut group_has_users = vec![false; groups.len()];
        for (i, node) in model.nodes.iter().enumerate() {
            if node.users > 0.0 {
                group_has_users[group_of[i] as usize] = true;
            }
        }
        let area_groups = Csr::build(
            area_index.len(),
            (0..groups.len() as u32)
                .filter(|&g| group_has_users[g as usize])
                .map(|g| (area_of_group[g as usize], g)),
        );
        let mut net_mask = vec![0u64; n];
        let mut networks = Vec::with_capacity(model.networks.len());
        for (k, net) in model.networks.iter().enumerate() {
            let bit = 1u64 << k;
            let mut local = vec![u32::MAX; n];
            for (li, &m) in net.members.iter().enumerate() {
                local[m as usize] = li as u32;
                net_mask[m as usize] |= bit;
            }
            for l in &net.links {
                if let Some(a) = l.asset {
                    net_mask[a as usize] |= bit;
                }
            }
            for s in &net.sources {
                net_mask[s.node as usize] |= bit;
                if local[s.member as usize] == u32::MAX {
                    return Err(CascadeError::Invalid(format!(
                        "network {:?}: source feeds a non-member",
                        net.name
                    )));
                }
            }
            for l in &net.links {
                if local[l.a as usize] == u32::MAX || local[l.b as usize] == u32::MAX {
                    return Err(CascadeError::Invalid(format!(
                        "network {:?}: link end is not a member",
                        net.name
                    )));
                }
            }
            let supply_total: f64 = net.sources.iter().map(|s| s.capacity.max(0.0)).sum();
            let demand_total: f64 = net.demand.iter().map(|d| d.max(0.0)).sum();
            let links_local = net
                .links
                .iter()
                .map(|l| (local[l.a as usize], local[l.b as usize]))
                .collect();
            let asset_links = Csr::build(
                n,
                net.links
                    .iter()
                    .enumerate()
                    .filter_map(|(k, l)| l.asset.map(|a| (a, k as u32))),
            );
            let mut cn = CompiledNetwork {
                links_local,
                asset_links,
                local,
                base_comp: Vec::new(),
                base_viable: Vec::new(),
                supply_total,
                demand_total,
            };
            let none = vec![false; n];
            let mut buf = IslandBuf::default();
            islands(net, &cn, &none, &[], 1.0, &mut buf);
            cn.base_comp = buf.comp;
            cn.base_viable = buf.viable;
            networks.push(cn);
        }
        let hot = model
            .dependencies
            .iter()
            .map(|d| DepHot {
                supplier: d.supplier,
                dependent: d.dependent,
                strength: d.strength,
                recovery_lag_hours: d.recovery_lag_hours,
                switchover_hours: d.switchover_hours,
                load: d.load,
            })
            .collect();
        let subs = Csr::build(
            model.dependencies.len(),
            model
                .dependencies
                .iter()
                .enumerate()
                .flat_map(|(e, d)| d.substitutes.iter().map(move |&s| (e as u32, s))),
        );
        let buffers = model
            .dependencies
            .iter()
            .map(|d| d.buffer_hours.clone())
            .collect();
        let users = model.nodes.iter().map(|x| x.users).collect();
        let spare = model.nodes.iter().map(|x| x.spare_capacity).collect();
        Ok(CompiledModel {
            model,
            hot,
            subs,
            buffers,
            users,
            spare,
            out_edges,
            in_edges,
            sub_edges,
            group_of,
            groups,
            area_of_group,
            area_groups,
            ms_of,
            member_states,
            networks,
            net_mask,
            index,
        })
    }

    /// The underlying model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Index of the node with this id.
    pub fn node_index(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Aggregation groups (service × region × Member State), indexed as in results.
    pub fn groups(&self) -> &[GroupKey] {
        &self.groups
    }

    /// Member States present in the model, indexed as in results.
    pub fn member_states(&self) -> &[String] {
        &self.member_states
    }
}

/// Union-find with path halving.
pub(crate) fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[parent[x as usize] as usize];
        parent[x as usize] = p;
        x = p;
    }
    x
}

/// Reusable buffers for [`islands`].
#[derive(Debug, Clone, Default)]
pub(crate) struct IslandBuf {
    pub parent: Vec<u32>,
    pub supply: Vec<f64>,
    pub demand: Vec<f64>,
    pub comp: Vec<u32>,
    pub viable: Vec<bool>,
    pub member_dead: Vec<bool>,
    pub link_dead: Vec<bool>,
}

/// Connected components of a network given damaged nodes (`damaged` flags
/// and the list of damaged node indices), and the viability of each
/// component. Fills `buf.comp` (component root per member) and `buf.viable`
/// (viability indexed by root); damaged members are isolated singletons
/// without demand.
pub(crate) fn islands(
    net: &crate::model::SupplyNetwork,
    cn: &CompiledNetwork,
    damaged: &[bool],
    damaged_list: &[u32],
    stress: f64,
    buf: &mut IslandBuf,
) {
    let m = net.members.len();
    buf.member_dead.clear();
    buf.member_dead.resize(m, false);
    buf.link_dead.clear();
    buf.link_dead.resize(cn.links_local.len(), false);
    for &d in damaged_list {
        let li = cn.local[d as usize];
        if li != u32::MAX {
            buf.member_dead[li as usize] = true;
        }
        for &k in cn.asset_links.row(d) {
            buf.link_dead[k as usize] = true;
        }
    }
    buf.parent.clear();
    buf.parent.extend(0..m as u32);
    let parent = &mut buf.parent;
    for (k, &(la, lb)) in cn.links_local.iter().enumerate() {
        if buf.link_dead[k] || buf.member_dead[la as usize] || buf.member_dead[lb as usize] {
            continue;
        }
        let a = find(parent, la);
        let b = find(parent, lb);
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    buf.supply.clear();
    buf.supply.resize(m, 0.0);
    buf.demand.clear();
    buf.demand.resize(m, 0.0);
    for s in &net.sources {
        if damaged[s.node as usize] || damaged[s.member as usize] {
            continue;
        }
        let r = find(parent, cn.local[s.member as usize]);
        buf.supply[r as usize] += s.capacity.max(0.0);
    }
    for (li, &node) in net.members.iter().enumerate() {
        if damaged[node as usize] {
            continue;
        }
        let r = find(parent, li as u32);
        buf.demand[r as usize] += net.demand[li].max(0.0);
    }
    let ratio = net.min_supply_ratio * stress;
    let s_tot = cn.supply_total.max(f64::MIN_POSITIVE);
    let d_tot = cn.demand_total.max(f64::MIN_POSITIVE);
    buf.comp.clear();
    buf.comp.resize(m, 0);
    buf.viable.clear();
    buf.viable.resize(m, true);
    for li in 0..m {
        let r = find(parent, li as u32);
        buf.comp[li] = r;
        if li as u32 == r {
            let d = buf.demand[li];
            buf.viable[li] = d <= 0.0 || buf.supply[li] / s_tot >= ratio * d / d_tot;
        }
    }
}

/// Uniform grid of candidate nodes for circle footprints.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellGrid {
    pub a0: i32,
    pub b0: i32,
    pub rows: i32,
    pub cols: i32,
    pub cells: Vec<Vec<(u32, f64, f64)>>,
}

impl CellGrid {
    fn build(items: &[(u32, (i32, i32), f64, f64)]) -> CellGrid {
        if items.is_empty() {
            return CellGrid::default();
        }
        let a0 = items.iter().map(|x| x.1.0).min().unwrap_or(0);
        let a1 = items.iter().map(|x| x.1.0).max().unwrap_or(0);
        let b0 = items.iter().map(|x| x.1.1).min().unwrap_or(0);
        let b1 = items.iter().map(|x| x.1.1).max().unwrap_or(0);
        let (rows, cols) = (a1 - a0 + 1, b1 - b0 + 1);
        let mut cells = vec![Vec::new(); (rows as usize) * (cols as usize)];
        for &(i, (a, b), lat, lon) in items {
            cells[((a - a0) * cols + (b - b0)) as usize].push((i, lat, lon));
        }
        CellGrid {
            a0,
            b0,
            rows,
            cols,
            cells,
        }
    }

    /// Candidates in cells overlapping `[a_lo, a_hi] × [b_lo, b_hi]`, in cell order.
    pub fn visit(
        &self,
        a_lo: i32,
        a_hi: i32,
        b_lo: i32,
        b_hi: i32,
        mut f: impl FnMut(u32, f64, f64),
    ) {
        let a_lo = a_lo.max(self.a0);
        let a_hi = a_hi.min(self.a0 + self.rows - 1);
        let b_lo = b_lo.max(self.b0);
        let b_hi = b_hi.min(self.b0 + self.cols - 1);
        for a in a_lo..=a_hi {
            for b in b_lo..=b_hi {
                for &(i, lat, lon) in
                    &self.cells[((a - self.a0) * self.cols + (b - self.b0)) as usize]
                {
                    f(i, lat, lon);
                }
            }
        }
    }
}

/// Exposure of one component, prepared for sampling.
#[derive(Debug, Clone)]
pub(crate) enum Exposure {
    /// Fixed list of exposed nodes (Area, MostCentral).
    Fixed(Vec<u32>),
    /// Spatial grid of candidate nodes for circle footprints.
    Circle {
        grid: CellGrid,
        centres: Vec<(f64, f64)>,
    },
    /// One random candidate per sample.
    OneOf(Vec<u32>),
}

/// Per-component preparation.
#[derive(Debug, Clone)]
pub(crate) struct CompiledComponent {
    pub exposure: Exposure,
    /// Damage rule index per node (`u16::MAX` = no rule).
    pub rule_of: Vec<u16>,
}

/// A scenario prepared against a compiled model.
#[derive(Debug, Clone)]
pub struct CompiledScenario {
    pub(crate) scenario: Scenario,
    pub(crate) components: Vec<CompiledComponent>,
}

/// Cell size of the spatial grid for circle footprints, degrees.
pub(crate) const CELL_DEG: f64 = 0.5;

pub(crate) fn cell_of(lat: f64, lon: f64) -> (i32, i32) {
    (
        (lat / CELL_DEG).floor() as i32,
        (lon / CELL_DEG).floor() as i32,
    )
}

fn rule_index(rules: &[DamageRule], class: &str) -> u16 {
    for (k, r) in rules.iter().enumerate() {
        let hit = match r.asset_class.strip_suffix('*') {
            Some(prefix) => class.starts_with(prefix),
            None => r.asset_class == class,
        };
        if hit {
            return k as u16;
        }
    }
    u16::MAX
}

impl CompiledScenario {
    /// Validates a scenario and resolves its footprints against a model.
    pub fn new(cm: &CompiledModel, scenario: Scenario) -> Result<Self, CascadeError> {
        if !(scenario.network_stress.is_finite() && scenario.network_stress >= 0.0) {
            return Err(CascadeError::Invalid(format!(
                "scenario {:?}: network_stress must be finite and >= 0",
                scenario.id
            )));
        }
        if scenario.components.len() > 1000 {
            return Err(CascadeError::Invalid("at most 1000 components".into()));
        }
        let nodes = &cm.model.nodes;
        let mut components = Vec::with_capacity(scenario.components.len());
        for c in &scenario.components {
            if !(c.intensity.is_valid() && c.onset_hours.is_finite() && c.onset_hours >= 0.0) {
                return Err(CascadeError::Invalid(format!(
                    "scenario {:?} component {:?}: invalid intensity or onset",
                    scenario.id, c.label
                )));
            }
            if c.damage.len() >= u16::MAX as usize {
                return Err(CascadeError::Invalid("too many damage rules".into()));
            }
            for r in &c.damage {
                if !r.repair_hours.is_valid() || !(0.0..=1.0).contains(&r.residual_function) {
                    return Err(CascadeError::Invalid(format!(
                        "scenario {:?} component {:?}: invalid damage rule for {:?}",
                        scenario.id, c.label, r.asset_class
                    )));
                }
            }
            let rule_of: Vec<u16> = nodes
                .iter()
                .map(|n| rule_index(&c.damage, &n.asset_class))
                .collect();
            let select = |f: &NodeFilter| -> Vec<u32> {
                (0..nodes.len() as u32)
                    .filter(|&i| f.matches(&nodes[i as usize]))
                    .collect()
            };
            let exposure = match &c.footprint {
                Footprint::Area { filter } => Exposure::Fixed(select(filter)),
                Footprint::OneOf { filter } => {
                    let cands = select(filter);
                    if cands.is_empty() {
                        return Err(CascadeError::Invalid(format!(
                            "scenario {:?} component {:?}: no candidate matches the filter",
                            scenario.id, c.label
                        )));
                    }
                    Exposure::OneOf(cands)
                }
                Footprint::MostCentral {
                    filter,
                    k,
                    centrality,
                } => {
                    let cands = select(filter);
                    let score = centrality_scores(cm, *centrality);
                    let mut ranked: Vec<u32> = cands;
                    ranked.sort_by(|&a, &b| {
                        score[b as usize]
                            .total_cmp(&score[a as usize])
                            .then_with(|| nodes[a as usize].id.cmp(&nodes[b as usize].id))
                    });
                    ranked.truncate(*k);
                    Exposure::Fixed(ranked)
                }
                Footprint::Circle {
                    filter,
                    centres,
                    radius_km,
                    jitter_km,
                } => {
                    if centres.is_empty() || !radius_km.is_valid() || !jitter_km.is_finite() {
                        return Err(CascadeError::Invalid(format!(
                            "scenario {:?} component {:?}: circle needs centres and a valid radius",
                            scenario.id, c.label
                        )));
                    }
                    let items: Vec<(u32, (i32, i32), f64, f64)> = select(filter)
                        .into_iter()
                        .filter(|&i| {
                            let n = &nodes[i as usize];
                            n.lat.is_finite() && n.lon.is_finite()
                        })
                        .map(|i| {
                            let n = &nodes[i as usize];
                            (i, cell_of(n.lat, n.lon), n.lat, n.lon)
                        })
                        .collect();
                    Exposure::Circle {
                        grid: CellGrid::build(&items),
                        centres: centres.clone(),
                    }
                }
            };
            components.push(CompiledComponent { exposure, rule_of });
        }
        Ok(CompiledScenario {
            scenario,
            components,
        })
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Nodes that a fixed footprint exposes in component `c` (for inspection and tests).
    pub fn fixed_targets(&self, c: usize) -> Option<&[u32]> {
        match &self.components.get(c)?.exposure {
            Exposure::Fixed(v) => Some(v),
            _ => None,
        }
    }
}

/// Centrality score of every node.
pub fn centrality_scores(cm: &CompiledModel, c: Centrality) -> Vec<f64> {
    let model = &cm.model;
    let n = model.nodes.len();
    match c {
        Centrality::Degree => {
            let mut s: Vec<f64> = (0..n as u32)
                .map(|i| cm.out_edges.row(i).len() as f64)
                .collect();
            for net in &model.networks {
                for l in &net.links {
                    s[l.a as usize] += 1.0;
                    s[l.b as usize] += 1.0;
                    if let Some(a) = l.asset {
                        s[a as usize] += 2.0;
                    }
                }
            }
            s
        }
        Centrality::DownstreamUsers => {
            let mut s = vec![0.0; n];
            let mut seen = vec![u32::MAX; n];
            let mut stack = Vec::new();
            for i in 0..n as u32 {
                if cm.out_edges.row(i).is_empty() {
                    continue;
                }
                stack.clear();
                stack.push(i);
                seen[i as usize] = i;
                let mut total = 0.0;
                let mut visited = 0usize;
                while let Some(x) = stack.pop() {
                    visited += 1;
                    if visited > 20_000 {
                        break;
                    }
                    for &e in cm.out_edges.row(x) {
                        let d = model.dependencies[e as usize].dependent;
                        if seen[d as usize] != i {
                            seen[d as usize] = i;
                            total += model.nodes[d as usize].users;
                            stack.push(d);
                        }
                    }
                }
                s[i as usize] = total;
            }
            s
        }
        Centrality::Betweenness { pivots } => betweenness(cm, pivots.max(1)),
    }
}

/// Brandes betweenness on the undirected supply-network graph where each link
/// asset is a vertex between its two ends, estimated from evenly spaced pivots.
fn betweenness(cm: &CompiledModel, pivots: usize) -> Vec<f64> {
    let model = &cm.model;
    let n = model.nodes.len();
    let mut adj_pairs: Vec<(u32, u32)> = Vec::new();
    let mut vertices: Vec<u32> = Vec::new();
    let mut is_vertex = vec![false; n];
    let mut add_v = |v: u32, vertices: &mut Vec<u32>| {
        if !is_vertex[v as usize] {
            is_vertex[v as usize] = true;
            vertices.push(v);
        }
    };
    for net in &model.networks {
        for l in &net.links {
            add_v(l.a, &mut vertices);
            add_v(l.b, &mut vertices);
            match l.asset {
                Some(a) => {
                    add_v(a, &mut vertices);
                    adj_pairs.extend([(l.a, a), (a, l.a), (a, l.b), (l.b, a)]);
                }
                None => adj_pairs.extend([(l.a, l.b), (l.b, l.a)]),
            }
        }
    }
    let adj = Csr::build(n, adj_pairs.iter().copied());
    vertices.sort_unstable();
    let mut score = vec![0.0; n];
    if vertices.is_empty() {
        return score;
    }
    let step = (vertices.len() / pivots).max(1);
    let mut dist = vec![-1i64; n];
    let mut sigma = vec![0.0f64; n];
    let mut delta = vec![0.0f64; n];
    let mut order = Vec::new();
    let mut queue = VecDeque::new();
    for &s in vertices.iter().step_by(step).take(pivots) {
        order.clear();
        dist[s as usize] = 0;
        sigma[s as usize] = 1.0;
        queue.push_back(s);
        while let Some(v) = queue.pop_front() {
            order.push(v);
            for &w in adj.row(v) {
                if dist[w as usize] < 0 {
                    dist[w as usize] = dist[v as usize] + 1;
                    queue.push_back(w);
                }
                if dist[w as usize] == dist[v as usize] + 1 {
                    sigma[w as usize] += sigma[v as usize];
                }
            }
        }
        for &w in order.iter().rev() {
            for &v in adj.row(w) {
                if dist[v as usize] == dist[w as usize] - 1 && sigma[w as usize] > 0.0 {
                    delta[v as usize] +=
                        sigma[v as usize] / sigma[w as usize] * (1.0 + delta[w as usize]);
                }
            }
            if w != s {
                score[w as usize] += delta[w as usize];
            }
        }
        for &v in &order {
            dist[v as usize] = -1;
            sigma[v as usize] = 0.0;
            delta[v as usize] = 0.0;
        }
    }
    score
}
