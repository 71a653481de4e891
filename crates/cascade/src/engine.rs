//! The per-sample event-driven cascade (spec §4.3 steps 1–5).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::compiled::{CompiledModel, CompiledScenario, Exposure, IslandBuf, cell_of, islands};
use crate::dist::{Purpose, element_uniform};
use crate::results::SimConfig;

pub(crate) const NONE: u32 = u32::MAX;
pub(crate) const ROOT: u32 = u32::MAX - 1;
const EPS: f64 = 1e-9;

#[inline]
fn up(f: f64) -> bool {
    f >= 1.0 - EPS
}

// Edge states.
const OK: u8 = 0;
const BUFFERING: u8 = 1;
const CUT: u8 = 2;
const RECOVERING: u8 = 3;
const SWITCHING: u8 = 4;
const SWITCHING_CUT: u8 = 5;
const SUBSTITUTED: u8 = 6;

// Event kinds.
const EV_DAMAGE: u8 = 0;
const EV_REPAIR: u8 = 1;
const EV_BUFFER: u8 = 2;
const EV_SWITCH: u8 = 3;
const EV_RECOVERY: u8 = 4;
const EV_IMPROVE: u8 = 5;

#[derive(Debug, Clone, Copy)]
struct Event {
    t: f64,
    /// Damage level for damage events; promised supplier level for improvements.
    level: f64,
    seq: u32,
    target: u32,
    /// Generation for edge events.
    aux: u32,
    kind: u8,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest event first.
        other
            .t
            .total_cmp(&self.t)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Initial damage of one node in one sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Damage {
    pub node: u32,
    pub onset: f64,
    pub until: f64,
    pub level: f64,
    /// Component index, or `components + network index` for islanding.
    pub label: u32,
    /// Counts towards the origin Member States.
    pub origin: bool,
}

/// Per-group result of one sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupSample {
    pub group: u32,
    pub peak: f64,
    pub duration: f64,
    pub user_hours: f64,
}

/// Result of one sample.
#[derive(Debug, Clone, Default)]
pub(crate) struct SampleOutcome {
    pub user_hours: f64,
    pub peak_users: f64,
    pub events: u64,
    pub truncated: bool,
    pub initial_failures: u32,
    pub groups: Vec<GroupSample>,
    /// (member state index, user-hours, peak users)
    pub member_states: Vec<(u16, f64, f64)>,
    pub cross_border: bool,
    pub six_member_states: bool,
}

/// Per-node state of one sample (one record per node for cache locality).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeState {
    pub f: f64,
    pub own: f64,
    pub own_until: f64,
    pub first_t: f64,
    pub last_t: f64,
    pub uh: f64,
    pub peak: f64,
    pub dur: f64,
    pub spare_used: f64,
    pub cause: u32,
    pub first_cause: u32,
    pub root_label: u32,
    pub touched: bool,
}

impl Default for NodeState {
    fn default() -> Self {
        NodeState {
            f: 1.0,
            own: 1.0,
            own_until: 0.0,
            first_t: f64::INFINITY,
            last_t: 0.0,
            uh: 0.0,
            peak: 0.0,
            dur: 0.0,
            spare_used: 0.0,
            cause: NONE,
            first_cause: NONE,
            root_label: NONE,
            touched: false,
        }
    }
}

/// Per-dependency state of one sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeState {
    pub effect: f64,
    /// Time at which a recovering edge is due to resume.
    pub due: f64,
    pub generation: u32,
    /// Generation of pending improvement events (separate from `generation`).
    pub igen: u32,
    pub sub: u32,
    pub state: u8,
    pub touched: bool,
}

impl Default for EdgeState {
    fn default() -> Self {
        EdgeState {
            effect: 1.0,
            due: 0.0,
            generation: 0,
            igen: 0,
            sub: NONE,
            state: OK,
            touched: false,
        }
    }
}

/// Reusable per-thread state; reset sparsely after each sample.
pub(crate) struct Scratch {
    pub(crate) ns: Vec<NodeState>,
    pub(crate) touched_nodes: Vec<u32>,
    es: Vec<EdgeState>,
    touched_edges: Vec<u32>,
    g_aff: Vec<f64>,
    g_peak: Vec<f64>,
    g_cnt: Vec<u32>,
    g_since: Vec<f64>,
    g_dur: Vec<f64>,
    g_uh: Vec<f64>,
    g_touched: Vec<bool>,
    touched_groups: Vec<u32>,
    /// People affected now per area (region × Member State): the largest
    /// number of users affected of any one service there.
    a_aff: Vec<f64>,
    ms_aff: Vec<f64>,
    ms_peak: Vec<f64>,
    ms_uh: Vec<f64>,
    damaged: Vec<bool>,
    damaged_list: Vec<u32>,
    heap: BinaryHeap<Event>,
    island_buf: IslandBuf,
    hits: Vec<(u32, f64)>,
    damages: Vec<Damage>,
    seq: u32,
    total_aff: f64,
    total_peak: f64,
    events: u64,
    threshold: f64,
    sample_key: u64,
}

impl Scratch {
    pub(crate) fn new(cm: &CompiledModel) -> Scratch {
        let n = cm.model.nodes.len();
        let e = cm.model.dependencies.len();
        let g = cm.groups.len();
        let m = cm.member_states.len();
        Scratch {
            ns: vec![NodeState::default(); n],
            touched_nodes: Vec::new(),
            es: vec![EdgeState::default(); e],
            touched_edges: Vec::new(),
            g_aff: vec![0.0; g],
            g_peak: vec![0.0; g],
            g_cnt: vec![0; g],
            g_since: vec![0.0; g],
            g_dur: vec![0.0; g],
            g_uh: vec![0.0; g],
            g_touched: vec![false; g],
            touched_groups: Vec::new(),
            a_aff: vec![0.0; cm.area_groups.start.len().saturating_sub(1)],
            ms_aff: vec![0.0; m],
            ms_peak: vec![0.0; m],
            ms_uh: vec![0.0; m],
            damaged: vec![false; n],
            damaged_list: Vec::new(),
            heap: BinaryHeap::new(),
            island_buf: IslandBuf::default(),
            hits: Vec::new(),
            damages: Vec::new(),
            seq: 0,
            total_aff: 0.0,
            total_peak: 0.0,
            events: 0,
            threshold: 0.5,
            sample_key: 0,
        }
    }

    fn reset(&mut self, cm: &CompiledModel) {
        for &i in &self.touched_nodes {
            self.ns[i as usize] = NodeState::default();
        }
        self.touched_nodes.clear();
        for &e in &self.touched_edges {
            self.es[e as usize] = EdgeState::default();
        }
        self.touched_edges.clear();
        for &g in &self.touched_groups {
            let g = g as usize;
            self.g_aff[g] = 0.0;
            self.g_peak[g] = 0.0;
            self.g_cnt[g] = 0;
            self.g_since[g] = 0.0;
            self.g_dur[g] = 0.0;
            self.g_uh[g] = 0.0;
            self.g_touched[g] = false;
            if let Some(a) = self.a_aff.get_mut(cm.area_of_group[g] as usize) {
                *a = 0.0;
            }
        }
        self.touched_groups.clear();
        for v in self
            .ms_aff
            .iter_mut()
            .chain(self.ms_peak.iter_mut())
            .chain(self.ms_uh.iter_mut())
        {
            *v = 0.0;
        }
        for &i in &self.damaged_list {
            self.damaged[i as usize] = false;
        }
        self.damaged_list.clear();
        self.heap.clear();
        self.seq = 0;
        self.total_aff = 0.0;
        self.total_peak = 0.0;
        self.events = 0;
    }

    #[inline]
    fn touch_node(&mut self, i: u32) {
        if !self.ns[i as usize].touched {
            self.ns[i as usize].touched = true;
            self.touched_nodes.push(i);
        }
    }

    #[inline]
    fn touch_edge(&mut self, e: u32) {
        if !self.es[e as usize].touched {
            self.es[e as usize].touched = true;
            self.touched_edges.push(e);
        }
    }

    #[inline]
    fn push(&mut self, t: f64, kind: u8, target: u32, aux: u32) {
        self.push_level(t, kind, target, aux, 1.0);
    }

    #[inline]
    fn push_level(&mut self, t: f64, kind: u8, target: u32, aux: u32, level: f64) {
        self.seq = self.seq.wrapping_add(1);
        self.heap.push(Event {
            t,
            seq: self.seq,
            kind,
            target,
            aux,
            level,
        });
    }

    /// Integrates node `i`'s impact from its last change up to `t`.
    #[inline]
    fn account(&mut self, cm: &CompiledModel, i: u32, t: f64) {
        let iu = i as usize;
        let dt = t - self.ns[iu].last_t;
        if dt > 0.0 {
            let users = cm.users[iu];
            self.ns[iu].uh += users * (1.0 - self.ns[iu].f) * dt;
            if self.ns[iu].f < self.threshold {
                self.ns[iu].dur += dt;
            }
        }
        self.ns[iu].last_t = t;
    }

    fn buffer_of(&self, cm: &CompiledModel, e: u32) -> f64 {
        let u = element_uniform(self.sample_key, e as u64, Purpose::Buffer);
        cm.buffers[e as usize].sample(u)
    }

    fn set_level(&mut self, cm: &CompiledModel, i: u32, nf: f64, cause: u32, t: f64) {
        self.touch_node(i);
        self.account(cm, i, t);
        let iu = i as usize;
        let old = self.ns[iu].f;
        self.ns[iu].f = nf;
        self.ns[iu].cause = cause;
        if up(old) && !up(nf) && self.ns[iu].first_cause == NONE {
            self.ns[iu].first_cause = cause;
        }
        let users = cm.users[iu];
        let g = cm.group_of[iu];
        let gu = g as usize;
        let was_dis = old < self.threshold;
        let is_dis = nf < self.threshold;
        if (users > 0.0 || was_dis != is_dis) && !self.g_touched[gu] {
            self.g_touched[gu] = true;
            self.touched_groups.push(g);
        }
        if users > 0.0 {
            let delta = users * (old - nf);
            let aff = users * (1.0 - nf);
            if aff > self.ns[iu].peak {
                self.ns[iu].peak = aff;
            }
            self.g_aff[gu] += delta;
            if self.g_aff[gu] > self.g_peak[gu] {
                self.g_peak[gu] = self.g_aff[gu];
            }
            // People affected (distinct persons, not person-services): in an
            // area (region × Member State) the number of people without an
            // essential service is at least the largest number of users
            // affected of any single service there, and equals it when the
            // affected users of the services are nested (a power cut takes
            // water, telecom and payments from the same people). Each person
            // uses one provision per service, so this never exceeds the
            // area's largest user base, and summed over areas never exceeds
            // the population. Member State and total counts are sums over
            // areas; their peaks are maxima over time.
            let a = cm.area_of_group[gu] as usize;
            let people = cm
                .area_groups
                .row(a as u32)
                .iter()
                .map(|&h| self.g_aff[h as usize])
                .fold(0.0f64, f64::max);
            let delta_people = people - self.a_aff[a];
            self.a_aff[a] = people;
            let m = cm.ms_of[iu] as usize;
            self.ms_aff[m] += delta_people;
            if self.ms_aff[m] > self.ms_peak[m] {
                self.ms_peak[m] = self.ms_aff[m];
            }
            self.total_aff += delta_people;
            if self.total_aff > self.total_peak {
                self.total_peak = self.total_aff;
            }
        }
        if !was_dis && is_dis {
            if self.ns[iu].first_t.is_infinite() {
                self.ns[iu].first_t = t;
            }
            if self.g_cnt[gu] == 0 {
                self.g_since[gu] = t;
            }
            self.g_cnt[gu] += 1;
        } else if was_dis && !is_dis {
            self.g_cnt[gu] -= 1;
            if self.g_cnt[gu] == 0 {
                self.g_dur[gu] += t - self.g_since[gu];
            }
        }
        if (old - nf).abs() <= EPS {
            return;
        }
        let (os, oe) = (
            cm.out_edges.start[iu] as usize,
            cm.out_edges.start[iu + 1] as usize,
        );
        for k in os..oe {
            let e = cm.out_edges.items[k];
            self.on_supplier_change(cm, e, old, nf, t);
        }
        if up(old) && !up(nf) {
            let (ss, se) = (
                cm.sub_edges.start[iu] as usize,
                cm.sub_edges.start[iu + 1] as usize,
            );
            for k in ss..se {
                let e = cm.sub_edges.items[k];
                self.on_substitute_lost(cm, e, i, t);
            }
        }
    }

    /// True when `i` is on the current causal chain of `supplier`.
    fn in_chain(&self, cm: &CompiledModel, supplier: u32, i: u32) -> bool {
        let mut x = supplier;
        for _ in 0..1_000_000 {
            if x == i {
                return true;
            }
            let c = self.ns[x as usize].cause;
            if c == NONE || c == ROOT {
                return false;
            }
            x = cm.hot[c as usize].supplier;
        }
        true
    }

    fn reevaluate(&mut self, cm: &CompiledModel, i: u32, t: f64) {
        let iu = i as usize;
        let mut nf = self.ns[iu].own;
        let mut cause = if up(nf) { NONE } else { ROOT };
        let (s, en) = (
            cm.in_edges.start[iu] as usize,
            cm.in_edges.start[iu + 1] as usize,
        );
        for k in s..en {
            let e = cm.in_edges.items[k];
            let st = self.es[e as usize].state;
            if st == CUT || st == SWITCHING_CUT || st == RECOVERING {
                let eff = self.es[e as usize].effect;
                if eff < nf - EPS {
                    let sup = cm.hot[e as usize].supplier;
                    if self.in_chain(cm, sup, i) {
                        continue;
                    }
                    nf = eff;
                    cause = e;
                }
            }
        }
        if (nf - self.ns[iu].f).abs() > EPS || (cause != self.ns[iu].cause && !up(nf)) {
            self.set_level(cm, i, nf, cause, t);
        }
    }

    fn edge_effect(&self, cm: &CompiledModel, e: u32) -> f64 {
        let d = &cm.hot[e as usize];
        1.0 - d.strength * (1.0 - self.ns[d.supplier as usize].f)
    }

    fn start_outage(&mut self, cm: &CompiledModel, e: u32, t: f64) {
        self.touch_edge(e);
        let eu = e as usize;
        // A new outage episode: improvements pending from an earlier one are void.
        self.es[eu].igen = self.es[eu].igen.wrapping_add(1);
        let d = cm.hot[eu];
        for &k in cm.subs.row(e) {
            let ku = k as usize;
            if up(self.ns[ku].f) && cm.spare[ku] - self.ns[ku].spare_used >= d.load - EPS {
                self.touch_node(k);
                self.ns[ku].spare_used += d.load;
                self.es[eu].sub = k;
                self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
                if d.switchover_hours <= 0.0 {
                    self.es[eu].state = SUBSTITUTED;
                    return;
                }
                self.es[eu].state = SWITCHING;
                let g = self.es[eu].generation;
                self.push(t + d.switchover_hours, EV_SWITCH, e, g);
                let b = self.buffer_of(cm, e);
                if b < d.switchover_hours {
                    if b <= 0.0 {
                        self.cut(cm, e, t);
                    } else {
                        self.push(t + b, EV_BUFFER, e, g);
                    }
                }
                return;
            }
        }
        self.es[eu].state = BUFFERING;
        self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
        let b = self.buffer_of(cm, e);
        if b <= 0.0 {
            self.cut(cm, e, t);
        } else {
            let g = self.es[eu].generation;
            self.push(t + b, EV_BUFFER, e, g);
        }
    }

    fn cut(&mut self, cm: &CompiledModel, e: u32, t: f64) {
        let eu = e as usize;
        self.es[eu].state = if self.es[eu].state == SWITCHING {
            SWITCHING_CUT
        } else {
            CUT
        };
        self.es[eu].effect = self.edge_effect(cm, e);
        let dep = cm.hot[eu].dependent;
        self.reevaluate(cm, dep, t);
    }

    fn recovering(&mut self, cm: &CompiledModel, e: u32, t: f64) {
        let eu = e as usize;
        let d = &cm.hot[eu];
        self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
        self.es[eu].due = t + d.recovery_lag_hours.max(0.0);
        if d.recovery_lag_hours <= 0.0 {
            self.es[eu].state = OK;
            self.es[eu].effect = 1.0;
            let dep = d.dependent;
            self.reevaluate(cm, dep, t);
        } else {
            self.es[eu].state = RECOVERING;
            let g = self.es[eu].generation;
            let lag = d.recovery_lag_hours;
            self.push(t + lag, EV_RECOVERY, e, g);
        }
    }

    fn release(&mut self, cm: &CompiledModel, e: u32) {
        let eu = e as usize;
        let k = self.es[eu].sub;
        if k != NONE {
            self.ns[k as usize].spare_used -= cm.hot[eu].load;
            self.es[eu].sub = NONE;
        }
    }

    fn on_supplier_change(&mut self, cm: &CompiledModel, e: u32, old: f64, new: f64, t: f64) {
        let eu = e as usize;
        let st = self.es[eu].state;
        if up(old) && !up(new) {
            match st {
                OK => self.start_outage(cm, e, t),
                RECOVERING => {
                    // Supplier failed again before the dependent resumed: the
                    // buffer has not refilled, and the dependent keeps the
                    // lower level until its recovery was due.
                    self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
                    self.es[eu].state = CUT;
                    let eff = self.edge_effect(cm, e);
                    if eff < self.es[eu].effect {
                        self.es[eu].effect = eff;
                    }
                    let due = self.es[eu].due.max(t);
                    let g = self.es[eu].igen;
                    self.push_level(due, EV_IMPROVE, e, g, 1.0);
                    let dep = cm.hot[eu].dependent;
                    self.reevaluate(cm, dep, t);
                }
                _ => {}
            }
        } else if !up(old) && !up(new) {
            if st == CUT || st == SWITCHING_CUT {
                let d = &cm.hot[eu];
                let dep = d.dependent;
                let lag = d.recovery_lag_hours;
                let eff = self.edge_effect(cm, e);
                if new < old {
                    // Worse: immediately (never above a level still held by a lag).
                    if eff < self.es[eu].effect {
                        self.es[eu].effect = eff;
                        self.reevaluate(cm, dep, t);
                    }
                } else if lag <= 0.0 {
                    self.es[eu].effect = eff;
                    self.reevaluate(cm, dep, t);
                } else {
                    // Better: the dependent follows after the recovery lag,
                    // to at most the promised level.
                    let g = self.es[eu].igen;
                    self.push_level(t + lag, EV_IMPROVE, e, g, new);
                }
            }
        } else if !up(old) && up(new) {
            match st {
                BUFFERING => {
                    self.es[eu].state = OK;
                    self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
                }
                SWITCHING => {
                    self.release(cm, e);
                    self.es[eu].state = OK;
                    self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
                }
                SUBSTITUTED => {
                    self.release(cm, e);
                    self.es[eu].state = OK;
                }
                SWITCHING_CUT => {
                    self.release(cm, e);
                    self.recovering(cm, e, t);
                }
                CUT => self.recovering(cm, e, t),
                _ => {}
            }
        }
    }

    fn on_substitute_lost(&mut self, cm: &CompiledModel, e: u32, k: u32, t: f64) {
        let eu = e as usize;
        if self.es[eu].sub != k {
            return;
        }
        let st = self.es[eu].state;
        if !(st == SWITCHING || st == SWITCHING_CUT || st == SUBSTITUTED) {
            return;
        }
        self.release(cm, e);
        self.es[eu].generation = self.es[eu].generation.wrapping_add(1);
        if st == SWITCHING_CUT {
            self.es[eu].state = CUT;
            self.es[eu].effect = self.es[eu].effect.min(self.edge_effect(cm, e));
            let dep = cm.hot[eu].dependent;
            self.reevaluate(cm, dep, t);
        } else {
            self.es[eu].state = OK;
            self.start_outage(cm, e, t);
        }
    }

    /// Draws the initial damage of one sample (spec §4.3 steps 1–2).
    fn initial_damage(&mut self, cs: &CompiledScenario, rng: &mut ChaCha8Rng) -> Vec<Damage> {
        let mut out = Vec::new();
        for (ci, (comp, cc)) in cs
            .scenario
            .components
            .iter()
            .zip(&cs.components)
            .enumerate()
        {
            let intensity = comp
                .intensity
                .sample(rng.random::<f64>().clamp(1e-12, 1.0 - 1e-12));
            let salt = (ci as u64) << 40;
            let expose = |i: u32, local: f64, out: &mut Vec<Damage>| {
                let r = cc.rule_of[i as usize];
                if r == u16::MAX {
                    return;
                }
                let rule = &comp.damage[r as usize];
                let p = rule.fragility.probability(local);
                let key = salt ^ i as u64;
                if p >= 1.0 || element_uniform(self.sample_key, key, Purpose::Fragility) < p {
                    let u = element_uniform(self.sample_key, key, Purpose::Repair);
                    let repair = rule.repair_hours.sample(u);
                    out.push(Damage {
                        node: i,
                        onset: comp.onset_hours,
                        until: comp.onset_hours + repair,
                        level: rule.residual_function,
                        label: ci as u32,
                        origin: comp.counts_as_origin,
                    });
                }
            };
            match &cc.exposure {
                Exposure::Fixed(v) => {
                    for &i in v {
                        expose(i, intensity, &mut out);
                    }
                }
                Exposure::OneOf(v) => {
                    let k = rng.random_range(0..v.len());
                    expose(v[k], intensity, &mut out);
                }
                Exposure::Circle { grid, centres } => {
                    let crate::scenario::Footprint::Circle {
                        radius_km,
                        jitter_km,
                        ..
                    } = &comp.footprint
                    else {
                        continue;
                    };
                    let (clat, clon) = centres[rng.random_range(0..centres.len())];
                    let radius = radius_km.sample(rng.random::<f64>().clamp(1e-12, 1.0 - 1e-12));
                    let ang = rng.random::<f64>() * std::f64::consts::TAU;
                    let dist = jitter_km * rng.random::<f64>().sqrt();
                    let lat0 = clat + dist * ang.cos() / 111.0;
                    let coslat = lat0.to_radians().cos().max(0.05);
                    let lon0 = clon + dist * ang.sin() / (111.0 * coslat);
                    if radius <= 0.0 {
                        continue;
                    }
                    let dlat = radius / 111.0;
                    let dlon = radius / (111.0 * coslat);
                    let (a0, b0) = cell_of(lat0 - dlat, lon0 - dlon);
                    let (a1, b1) = cell_of(lat0 + dlat, lon0 + dlon);
                    let mut hits = std::mem::take(&mut self.hits);
                    hits.clear();
                    grid.visit(a0, a1, b0, b1, |i, lat, lon| {
                        if (lat - lat0).abs() > dlat || (lon - lon0).abs() > dlon {
                            return;
                        }
                        let d = local_distance_km(coslat, lat - lat0, lon - lon0);
                        if d <= radius {
                            hits.push((i, intensity * (1.0 - 0.5 * d / radius)));
                        }
                    });
                    hits.sort_unstable_by_key(|h| h.0);
                    for &(i, local) in &hits {
                        expose(i, local, &mut out);
                    }
                    self.hits = hits;
                }
            }
        }
        out
    }

    /// Adds de-energised islands of each supply network to the damage list.
    fn islanding(&mut self, cm: &CompiledModel, cs: &CompiledScenario, damage: &mut Vec<Damage>) {
        if cm.networks.is_empty() {
            return;
        }
        let stress = cs.scenario.network_stress;
        let mut touched_mask = 0u64;
        let mut onset = [f64::INFINITY; 64];
        for d in damage.iter() {
            let i = d.node as usize;
            if !self.damaged[i] && d.level < 1.0 - EPS {
                self.damaged[i] = true;
                self.damaged_list.push(d.node);
            }
            let mask = cm.net_mask[i];
            touched_mask |= mask;
            for (k, o) in onset.iter_mut().enumerate().take(cm.networks.len()) {
                if mask & (1 << k) != 0 && d.onset < *o {
                    *o = d.onset;
                }
            }
        }
        let n_comp = cs.scenario.components.len() as u32;
        for (k, (net, cn)) in cm.model.networks.iter().zip(&cm.networks).enumerate() {
            if touched_mask & (1 << k) == 0 && (stress - 1.0).abs() < 1e-12 {
                continue;
            }
            let t0 = if onset[k].is_finite() { onset[k] } else { 0.0 };
            let mut buf = std::mem::take(&mut self.island_buf);
            islands(net, cn, &self.damaged, &self.damaged_list, stress, &mut buf);
            for (li, &node) in net.members.iter().enumerate() {
                if self.damaged[node as usize] {
                    continue;
                }
                let base_ok = cn.base_viable[cn.base_comp[li] as usize];
                if base_ok && !buf.viable[buf.comp[li] as usize] {
                    let u = element_uniform(self.sample_key, node as u64, Purpose::Restoration);
                    let r = net.restoration_hours.sample(u);
                    damage.push(Damage {
                        node,
                        onset: t0,
                        until: t0 + r,
                        level: 0.0,
                        label: n_comp + k as u32,
                        origin: false,
                    });
                }
            }
            self.island_buf = buf;
        }
    }

    /// Runs one sample; the scratch keeps the per-node state until the next call
    /// so that causal paths can be read.
    pub(crate) fn run(
        &mut self,
        cm: &CompiledModel,
        cs: &CompiledScenario,
        cfg: &SimConfig,
        seed: u64,
        index: u64,
    ) -> SampleOutcome {
        self.reset(cm);
        self.threshold = cfg.disruption_threshold;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        self.sample_key = rng.next_u64();
        // Spec §4.3 step 1: one event for what-if runs; Poisson(λ) events at
        // uniform times within the horizon for annualised runs.
        let n_events = match (cfg.annualised, cs.scenario.annual_frequency) {
            (true, Some(lambda)) => poisson(&mut rng, lambda * cfg.horizon_hours / 8760.0),
            (true, None) => 0,
            (false, _) => 1,
        };
        let mut damage = Vec::new();
        let mut hazard_damage = 0u32;
        let n_ms = cm.member_states.len();
        let mut origin = vec![false; n_ms];
        for _ in 0..n_events {
            let offset = if cfg.annualised {
                rng.random::<f64>() * cfg.horizon_hours
            } else {
                0.0
            };
            let mut event = self.initial_damage(cs, &mut rng);
            for d in &mut event {
                d.onset += offset;
                d.until += offset;
                if d.origin {
                    origin[cm.ms_of[d.node as usize] as usize] = true;
                }
            }
            hazard_damage += event.len() as u32;
            self.islanding(cm, cs, &mut event);
            // Each event is checked for islanding on its own damage.
            for &i in &self.damaged_list {
                self.damaged[i as usize] = false;
            }
            self.damaged_list.clear();
            damage.extend(event);
        }
        for (k, d) in damage.iter().enumerate() {
            let iu = d.node as usize;
            self.touch_node(d.node);
            if self.ns[iu].root_label == NONE {
                self.ns[iu].root_label = d.label;
            }
            self.push_level(d.onset, EV_DAMAGE, d.node, k as u32, d.level);
            if d.until.is_finite() {
                self.push(d.until, EV_REPAIR, d.node, 0);
            }
        }
        self.damages = damage;
        let horizon = cfg.horizon_hours;
        let mut truncated = false;
        while let Some(ev) = self.heap.pop() {
            if ev.t > horizon {
                break;
            }
            if self.events >= cfg.max_events_per_sample {
                truncated = true;
                break;
            }
            match ev.kind {
                EV_DAMAGE => {
                    let iu = ev.target as usize;
                    let level = ev.level;
                    // A damage holds the asset down until its own repair time;
                    // overlapping damages extend it.
                    let until = self.damages.get(ev.aux as usize).map_or(0.0, |d| d.until);
                    if until > self.ns[iu].own_until {
                        self.ns[iu].own_until = until;
                    }
                    if level < self.ns[iu].own {
                        self.events += 1;
                        self.ns[iu].own = level;
                        self.reevaluate(cm, ev.target, ev.t);
                    }
                }
                EV_REPAIR => {
                    let iu = ev.target as usize;
                    if ev.t >= self.ns[iu].own_until - EPS && self.ns[iu].own < 1.0 {
                        self.events += 1;
                        self.ns[iu].own = 1.0;
                        self.reevaluate(cm, ev.target, ev.t);
                    }
                }
                EV_BUFFER => {
                    let eu = ev.target as usize;
                    if self.es[eu].generation == ev.aux {
                        let st = self.es[eu].state;
                        if st == BUFFERING || st == SWITCHING {
                            self.events += 1;
                            self.cut(cm, ev.target, ev.t);
                        }
                    }
                }
                EV_SWITCH => {
                    let eu = ev.target as usize;
                    if self.es[eu].generation == ev.aux {
                        let st = self.es[eu].state;
                        if st == SWITCHING || st == SWITCHING_CUT {
                            self.events += 1;
                            self.es[eu].state = SUBSTITUTED;
                            self.es[eu].effect = 1.0;
                            if st == SWITCHING_CUT {
                                let dep = cm.hot[eu].dependent;
                                self.reevaluate(cm, dep, ev.t);
                            }
                        }
                    }
                }
                EV_RECOVERY => {
                    let eu = ev.target as usize;
                    if self.es[eu].generation == ev.aux && self.es[eu].state == RECOVERING {
                        self.events += 1;
                        self.es[eu].state = OK;
                        self.es[eu].effect = 1.0;
                        let dep = cm.hot[eu].dependent;
                        self.reevaluate(cm, dep, ev.t);
                    }
                }
                EV_IMPROVE => {
                    let eu = ev.target as usize;
                    let st = self.es[eu].state;
                    if self.es[eu].igen == ev.aux
                        && (st == CUT || st == SWITCHING_CUT || st == RECOVERING)
                    {
                        self.events += 1;
                        let d = &cm.hot[eu];
                        let level = ev.level.min(self.ns[d.supplier as usize].f);
                        let eff = 1.0 - d.strength * (1.0 - level);
                        if eff > self.es[eu].effect {
                            self.es[eu].effect = eff;
                            let dep = cm.hot[eu].dependent;
                            self.reevaluate(cm, dep, ev.t);
                        }
                    }
                }
                _ => {}
            }
        }
        self.finish(cm, cfg, &origin, hazard_damage, truncated)
    }

    fn finish(
        &mut self,
        cm: &CompiledModel,
        cfg: &SimConfig,
        origin: &[bool],
        initial: u32,
        truncated: bool,
    ) -> SampleOutcome {
        let horizon = cfg.horizon_hours;
        let mut total_uh = 0.0;
        for k in 0..self.touched_nodes.len() {
            let i = self.touched_nodes[k];
            self.account(cm, i, horizon);
            let iu = i as usize;
            if self.ns[iu].uh > 0.0 {
                let g = cm.group_of[iu] as usize;
                self.g_uh[g] += self.ns[iu].uh;
                self.ms_uh[cm.ms_of[iu] as usize] += self.ns[iu].uh;
                total_uh += self.ns[iu].uh;
            }
        }
        let mut groups = Vec::with_capacity(self.touched_groups.len());
        let mut tg = self.touched_groups.clone();
        tg.sort_unstable();
        for g in tg {
            let gu = g as usize;
            if self.g_cnt[gu] > 0 {
                self.g_dur[gu] += horizon - self.g_since[gu];
                self.g_cnt[gu] = 0;
            }
            if self.g_uh[gu] > 0.0 || self.g_dur[gu] > 0.0 {
                groups.push(GroupSample {
                    group: g,
                    peak: self.g_peak[gu],
                    duration: self.g_dur[gu],
                    user_hours: self.g_uh[gu],
                });
            }
        }
        let mut member_states = Vec::new();
        let mut affected = 0u32;
        let mut cross = false;
        for (m, &from_origin) in origin.iter().enumerate() {
            if self.ms_uh[m] > 0.0 || self.ms_peak[m] > 0.0 {
                member_states.push((m as u16, self.ms_uh[m], self.ms_peak[m]));
            }
            if self.ms_peak[m] >= cfg.significant_users && self.ms_peak[m] > 0.0 {
                affected += 1;
                if !from_origin {
                    cross = true;
                }
            }
        }
        SampleOutcome {
            user_hours: total_uh,
            peak_users: self.total_peak,
            events: self.events,
            truncated,
            initial_failures: initial,
            groups,
            member_states,
            cross_border: cross,
            six_member_states: affected >= 6,
        }
    }

    /// Provisions disrupted in the last sample (users > 0 and below threshold at some time).
    pub(crate) fn disrupted_provisions(&self, cm: &CompiledModel) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .touched_nodes
            .iter()
            .copied()
            .filter(|&i| cm.users[i as usize] > 0.0 && self.ns[i as usize].first_t.is_finite())
            .collect();
        v.sort_unstable();
        v
    }

    /// Cross-border flows of the last sample for Member State `focus`
    /// (index): per other Member State `y`, the user-hours of provisions in
    /// `focus` whose causal chain passes through a node in `y` (inbound), and
    /// the user-hours of provisions in `y` whose causal chain passes through
    /// a node in `focus` (outbound). Returns `(y, inbound, outbound)` rows with
    /// a non-zero entry, in Member State index order.
    pub(crate) fn cross_border_flows(
        &self,
        cm: &CompiledModel,
        focus: u16,
    ) -> Vec<(u16, f64, f64)> {
        let n_ms = cm.member_states.len();
        let mut flows = vec![(0.0f64, 0.0f64); n_ms];
        let mut on_chain: Vec<u16> = Vec::new();
        for &i in &self.touched_nodes {
            let iu = i as usize;
            let uh = self.ns[iu].uh;
            if cm.users[iu] <= 0.0 || uh <= 0.0 {
                continue;
            }
            on_chain.clear();
            let mut x = i;
            for _ in 0..100_000 {
                let c = self.ns[x as usize].first_cause;
                if c == NONE || c == ROOT {
                    break;
                }
                x = cm.hot[c as usize].supplier;
                let m = cm.ms_of[x as usize];
                if !on_chain.contains(&m) {
                    on_chain.push(m);
                }
            }
            let own = cm.ms_of[iu];
            if own == focus {
                for &m in &on_chain {
                    if m != focus {
                        flows[m as usize].0 += uh;
                    }
                }
            } else if on_chain.contains(&focus) {
                flows[own as usize].1 += uh;
            }
        }
        flows
            .into_iter()
            .enumerate()
            .filter(|(_, (a, b))| *a > 0.0 || *b > 0.0)
            .map(|(m, (a, b))| (m as u16, a, b))
            .collect()
    }

    /// Causal chain of `i` as recorded at its first degradation: (node, edge
    /// leading into the node or NONE for the root), root first.
    pub(crate) fn chain(&self, cm: &CompiledModel, i: u32) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut x = i;
        for _ in 0..100_000 {
            let c = self.ns[x as usize].first_cause;
            if c == NONE || c == ROOT {
                out.push((x, NONE));
                break;
            }
            out.push((x, c));
            x = cm.hot[c as usize].supplier;
        }
        out.reverse();
        out
    }
}

/// Poisson draw by inversion (λ capped at 1000).
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    let lambda = lambda.min(1000.0);
    let u: f64 = rng.random();
    let mut k = 0u32;
    let mut p = (-lambda).exp();
    let mut cdf = p;
    while u > cdf && k < 10_000 {
        k += 1;
        p *= lambda / k as f64;
        cdf += p;
        if p < 1e-300 && cdf >= 1.0 - 1e-15 {
            break;
        }
    }
    k
}

/// Distance in km in the equirectangular projection centred on a footprint
/// (`coslat` = cosine of the centre latitude); within 500 km of the centre it
/// differs from the great-circle distance by well under 1 %.
#[inline]
pub(crate) fn local_distance_km(coslat: f64, dlat: f64, dlon: f64) -> f64 {
    111.195 * (dlat * dlat + (coslat * dlon) * (coslat * dlon)).sqrt()
}
