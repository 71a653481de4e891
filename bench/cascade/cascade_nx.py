#!/usr/bin/env python3
"""Straightforward Python + NetworkX implementation of the Bulwark cascade model.

Reads the model and one scenario exported as JSON by
`crates/europe/examples/cascade_bench.rs` (`--export-model`, `--export-scenario`)
and simulates the same semantics as `bulwark-cascade`:

* hazard components (area, circle, one-of footprints; certain, fixed-probability
  and log-normal fragility; log-normal / uniform / constant repair times);
* islanding of supply networks at event onset with NetworkX connected
  components on a MultiGraph (parallel lines kept);
* the event-driven cascade over a NetworkX MultiDiGraph of dependencies:
  substitutes with spare capacity and switch-over time, buffers, weakest-link
  strength, recovery lags, loop exclusion along the causal chain;
* users x (1 - f) integrated to user-hours, peak users, per group
  (service x region x Member State) and per Member State.

Per-element random draws (buffers, fragility, repair, restoration) use the
same counter-based SplitMix64 hash as the Rust engine; event-level draws
(intensity, storm centre) use Python's `random`, so individual samples differ
from the Rust ones but the distributions are the same.

Usage:
    python cascade_nx.py --model model.json --scenario scenario.json --samples 50 --seed 42
"""

import argparse
import heapq
import json
import math
import random
import sys
import time
from statistics import NormalDist

import networkx as nx

M64 = (1 << 64) - 1
ND = NormalDist()
EPS = 1e-9
NONE = -1
ROOT = -2

OK, BUFFERING, CUT, RECOVERING, SWITCHING, SWITCHING_CUT, SUBSTITUTED = range(7)
EV_DAMAGE, EV_REPAIR, EV_BUFFER, EV_SWITCH, EV_RECOVERY, EV_IMPROVE = range(6)
P_BUFFER, P_FRAGILITY, P_REPAIR, P_RESTORATION = 1, 2, 3, 4


def mix64(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def element_uniform(key, element, purpose):
    inner = ((element * 0xD6E8FEB86659FD93) & M64) ^ ((purpose << 56) & M64)
    h = mix64(key ^ mix64(inner))
    return ((h >> 11) + 0.5) / float(1 << 53)


def sample_dist(d, u):
    kind = d["kind"]
    if kind == "const":
        v = d["value"]
    elif kind == "uniform":
        v = d["lo"] + (d["hi"] - d["lo"]) * u
    elif kind == "log_normal":
        u = min(max(u, 1e-300), 1.0 - 1e-16)
        v = d["median"] * math.exp(d["sigma"] * ND.inv_cdf(u))
    elif kind == "at_least":
        v = max(d["floor"], sample_dist(d["dist"], u))
    else:
        raise ValueError(f"unknown distribution {kind}")
    return max(v, 0.0) if math.isfinite(v) else 0.0


def fragility_probability(f, intensity):
    kind = f["kind"]
    if kind == "certain":
        return 1.0
    if kind == "probability":
        return min(max(f["p"], 0.0), 1.0)
    if intensity <= 0 or f["median"] <= 0:
        return 0.0
    if f["beta"] <= 0:
        return 1.0 if intensity >= f["median"] else 0.0
    return ND.cdf(math.log(intensity / f["median"]) / f["beta"])


def class_matches(pattern, cls):
    if pattern.endswith("*"):
        return cls.startswith(pattern[:-1])
    return pattern == cls


def filter_matches(flt, n):
    return (
        (not flt.get("member_states") or n["member_state"] in flt["member_states"])
        and (not flt.get("regions") or n["region"] in flt["regions"])
        and (not flt.get("asset_classes") or any(class_matches(p, n["asset_class"]) for p in flt["asset_classes"]))
        and (not flt.get("services") or n["service"] in flt["services"])
        and (not flt.get("ids") or n["id"] in flt["ids"])
        and max(len(n.get("served_member_states", [])), 1) >= flt.get("min_served_member_states", 0)
    )


def local_distance_km(coslat, dlat, dlon):
    """Equirectangular distance around the footprint centre (as in the Rust engine)."""
    return 111.195 * math.sqrt(dlat * dlat + (coslat * dlon) ** 2)


class Model:
    def __init__(self, model, scenario):
        self.nodes = model["nodes"]
        self.deps = model["dependencies"]
        n = len(self.nodes)
        # Dependency graph: supplier -> dependent, key = dependency index.
        self.g = nx.MultiDiGraph()
        self.g.add_nodes_from(range(n))
        for e, d in enumerate(self.deps):
            self.g.add_edge(d["supplier"], d["dependent"], key=e)
        self.sub_edges = [[] for _ in range(n)]
        for e, d in enumerate(self.deps):
            for s in d.get("substitutes", []):
                self.sub_edges[s].append(e)
        self.groups = {}
        self.group_of = []
        for nd in self.nodes:
            key = (nd["service"], nd["region"], nd["member_state"])
            self.group_of.append(self.groups.setdefault(key, len(self.groups)))
        self.ms = {}
        self.ms_of = [self.ms.setdefault(nd["member_state"], len(self.ms)) for nd in self.nodes]
        # Supply networks as NetworkX multigraphs.
        self.networks = []
        for k, net in enumerate(model.get("networks", [])):
            g = nx.MultiGraph()
            g.add_nodes_from(net["members"])
            asset_edge = {}
            for li, link in enumerate(net["links"]):
                g.add_edge(link["a"], link["b"], key=li)
                if link.get("asset") is not None:
                    asset_edge.setdefault(link["asset"], []).append((link["a"], link["b"], li))
            demand = dict(zip(net["members"], net["demand"]))
            supply_at = {}
            for s in net["sources"]:
                supply_at.setdefault(s["member"], []).append((s["node"], max(s["capacity"], 0.0)))
            touch = set(net["members"]) | set(asset_edge) | {s["node"] for s in net["sources"]}
            info = {
                "net": net,
                "graph": g,
                "asset_edge": asset_edge,
                "demand": demand,
                "supply_at": supply_at,
                "touch": touch,
                "s_tot": max(sum(max(s["capacity"], 0.0) for s in net["sources"]), 1e-300),
                "d_tot": max(sum(max(x, 0.0) for x in net["demand"]), 1e-300),
            }
            base_viable = {}
            for comp in nx.connected_components(g):
                ok = self.viable(info, comp, set(), 1.0)
                for m in comp:
                    base_viable[m] = ok
            info["base_viable"] = base_viable
            self.networks.append(info)
        # Scenario footprints.
        self.scenario = scenario
        self.components = []
        for c in scenario["components"]:
            fp = c["footprint"]
            cands = [i for i, nd in enumerate(self.nodes) if filter_matches(fp["filter"], nd)]
            rule_of = {}
            for i in cands:
                for r_idx, r in enumerate(c["damage"]):
                    if class_matches(r["asset_class"], self.nodes[i]["asset_class"]) or r["asset_class"] == "*":
                        rule_of[i] = r_idx
                        break
            if fp["kind"] == "most_central":
                raise NotImplementedError("most_central footprints are not implemented in the Python reference")
            self.components.append({"comp": c, "cands": cands, "rule_of": rule_of})

    def viable(self, info, comp, damaged, stress):
        supply = 0.0
        demand = 0.0
        for m in comp:
            if m in damaged:
                continue
            demand += max(info["demand"][m], 0.0)
            for node, cap in info["supply_at"].get(m, ()):
                if node not in damaged:
                    supply += cap
        ratio = info["net"]["min_supply_ratio"] * stress
        return demand <= 0 or supply / info["s_tot"] >= ratio * demand / info["d_tot"]


def up(f):
    return f >= 1.0 - EPS


class Sample:
    """State of one sample (fresh dictionaries: the straightforward way)."""

    def __init__(self, m, horizon, threshold):
        self.m = m
        self.horizon = horizon
        self.threshold = threshold
        self.f = {}
        self.own = {}
        self.own_until = {}
        self.cause = {}
        self.last_t = {}
        self.uh = {}
        self.peak = {}
        self.spare_used = {}
        self.e_state = {}
        self.e_gen = {}
        self.e_effect = {}
        self.e_sub = {}
        self.e_igen = {}
        self.e_due = {}
        self.g_aff = {}
        self.g_peak = {}
        self.ms_aff = {}
        self.ms_peak = {}
        self.heap = []
        self.seq = 0
        self.events = 0
        self.key = 0

    def fl(self, i):
        return self.f.get(i, 1.0)

    def push(self, t, kind, target, aux, level=1.0):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, target, aux, level))

    def account(self, i, t):
        dt = t - self.last_t.get(i, 0.0)
        if dt > 0:
            self.uh[i] = self.uh.get(i, 0.0) + self.m.nodes[i]["users"] * (1.0 - self.fl(i)) * dt
        self.last_t[i] = t

    def buffer_of(self, e):
        return sample_dist(self.m.deps[e]["buffer_hours"], element_uniform(self.key, e, P_BUFFER))

    def set_level(self, i, nf, cause, t):
        self.account(i, t)
        old = self.fl(i)
        self.f[i] = nf
        self.cause[i] = cause
        users = self.m.nodes[i]["users"]
        if users > 0:
            delta = users * (old - nf)
            self.peak[i] = max(self.peak.get(i, 0.0), users * (1 - nf))
            g = self.m.group_of[i]
            self.g_aff[g] = self.g_aff.get(g, 0.0) + delta
            self.g_peak[g] = max(self.g_peak.get(g, 0.0), self.g_aff[g])
            ms = self.m.ms_of[i]
            self.ms_aff[ms] = self.ms_aff.get(ms, 0.0) + delta
            self.ms_peak[ms] = max(self.ms_peak.get(ms, 0.0), self.ms_aff[ms])
        if abs(old - nf) <= EPS:
            return
        for _, _, e in self.m.g.out_edges(i, keys=True):
            self.on_supplier_change(e, old, nf, t)
        if up(old) and not up(nf):
            for e in self.m.sub_edges[i]:
                self.on_substitute_lost(e, i, t)

    def in_chain(self, supplier, i):
        x = supplier
        for _ in range(1_000_000):
            if x == i:
                return True
            c = self.cause.get(x, NONE)
            if c in (NONE, ROOT):
                return False
            x = self.m.deps[c]["supplier"]
        return True

    def reevaluate(self, i, t):
        nf = self.own.get(i, 1.0)
        cause = NONE if up(nf) else ROOT
        for sup, _, e in self.m.g.in_edges(i, keys=True):
            st = self.e_state.get(e, OK)
            if st in (CUT, SWITCHING_CUT, RECOVERING):
                eff = self.e_effect.get(e, 1.0)
                if eff < nf - EPS:
                    if self.in_chain(sup, i):
                        continue
                    nf = eff
                    cause = e
        if abs(nf - self.fl(i)) > EPS or (cause != self.cause.get(i, NONE) and not up(nf)):
            self.set_level(i, nf, cause, t)

    def edge_effect(self, e):
        d = self.m.deps[e]
        return 1.0 - d["strength"] * (1.0 - self.fl(d["supplier"]))

    def start_outage(self, e, t):
        self.e_igen[e] = self.e_igen.get(e, 0) + 1
        d = self.m.deps[e]
        load = d.get("load", 0.0)
        sw = d.get("switchover_hours", 0.0)
        for k in d.get("substitutes", []):
            if up(self.fl(k)) and self.m.nodes[k].get("spare_capacity", 0.0) - self.spare_used.get(k, 0.0) >= load - EPS:
                self.spare_used[k] = self.spare_used.get(k, 0.0) + load
                self.e_sub[e] = k
                self.e_gen[e] = self.e_gen.get(e, 0) + 1
                if sw <= 0:
                    self.e_state[e] = SUBSTITUTED
                    return
                self.e_state[e] = SWITCHING
                g = self.e_gen[e]
                self.push(t + sw, EV_SWITCH, e, g)
                b = self.buffer_of(e)
                if b < sw:
                    if b <= 0:
                        self.cut(e, t)
                    else:
                        self.push(t + b, EV_BUFFER, e, g)
                return
        self.e_state[e] = BUFFERING
        self.e_gen[e] = self.e_gen.get(e, 0) + 1
        b = self.buffer_of(e)
        if b <= 0:
            self.cut(e, t)
        else:
            self.push(t + b, EV_BUFFER, e, self.e_gen[e])

    def cut(self, e, t):
        self.e_state[e] = SWITCHING_CUT if self.e_state.get(e, OK) == SWITCHING else CUT
        self.e_effect[e] = self.edge_effect(e)
        self.reevaluate(self.m.deps[e]["dependent"], t)

    def recovering(self, e, t):
        d = self.m.deps[e]
        self.e_gen[e] = self.e_gen.get(e, 0) + 1
        self.e_due[e] = t + max(d["recovery_lag_hours"], 0.0)
        if d["recovery_lag_hours"] <= 0:
            self.e_state[e] = OK
            self.e_effect[e] = 1.0
            self.reevaluate(d["dependent"], t)
        else:
            self.e_state[e] = RECOVERING
            self.push(t + d["recovery_lag_hours"], EV_RECOVERY, e, self.e_gen[e])

    def release(self, e):
        k = self.e_sub.get(e, NONE)
        if k != NONE:
            self.spare_used[k] -= self.m.deps[e].get("load", 0.0)
            self.e_sub[e] = NONE

    def on_supplier_change(self, e, old, new, t):
        st = self.e_state.get(e, OK)
        if up(old) and not up(new):
            if st == OK:
                self.start_outage(e, t)
            elif st == RECOVERING:
                self.e_gen[e] = self.e_gen.get(e, 0) + 1
                self.e_state[e] = CUT
                self.e_effect[e] = min(self.e_effect.get(e, 1.0), self.edge_effect(e))
                self.push(max(self.e_due.get(e, 0.0), t), EV_IMPROVE, e, self.e_igen.get(e, 0), 1.0)
                self.reevaluate(self.m.deps[e]["dependent"], t)
        elif not up(old) and not up(new):
            if st in (CUT, SWITCHING_CUT):
                d = self.m.deps[e]
                eff = self.edge_effect(e)
                if new < old:
                    if eff < self.e_effect.get(e, 1.0):
                        self.e_effect[e] = eff
                        self.reevaluate(d["dependent"], t)
                elif d["recovery_lag_hours"] <= 0:
                    self.e_effect[e] = eff
                    self.reevaluate(d["dependent"], t)
                else:
                    self.push(t + d["recovery_lag_hours"], EV_IMPROVE, e, self.e_igen.get(e, 0), new)
        elif not up(old) and up(new):
            if st == BUFFERING:
                self.e_state[e] = OK
                self.e_gen[e] = self.e_gen.get(e, 0) + 1
            elif st == SWITCHING:
                self.release(e)
                self.e_state[e] = OK
                self.e_gen[e] = self.e_gen.get(e, 0) + 1
            elif st == SUBSTITUTED:
                self.release(e)
                self.e_state[e] = OK
            elif st == SWITCHING_CUT:
                self.release(e)
                self.recovering(e, t)
            elif st == CUT:
                self.recovering(e, t)

    def on_substitute_lost(self, e, k, t):
        if self.e_sub.get(e, NONE) != k:
            return
        st = self.e_state.get(e, OK)
        if st not in (SWITCHING, SWITCHING_CUT, SUBSTITUTED):
            return
        self.release(e)
        self.e_gen[e] = self.e_gen.get(e, 0) + 1
        if st == SWITCHING_CUT:
            self.e_state[e] = CUT
            self.e_effect[e] = min(self.e_effect.get(e, 1.0), self.edge_effect(e))
            self.reevaluate(self.m.deps[e]["dependent"], t)
        else:
            self.e_state[e] = OK
            self.start_outage(e, t)

    def initial_damage(self, rng):
        out = []
        nodes = self.m.nodes
        for ci, cc in enumerate(self.m.components):
            comp = cc["comp"]
            fp = comp["footprint"]
            intensity = sample_dist(comp["intensity"], min(max(rng.random(), 1e-12), 1 - 1e-12))
            exposed = []
            if fp["kind"] == "area":
                exposed = [(i, intensity) for i in cc["cands"]]
            elif fp["kind"] == "one_of":
                exposed = [(cc["cands"][rng.randrange(len(cc["cands"]))], intensity)]
            elif fp["kind"] == "circle":
                clat, clon = fp["centres"][rng.randrange(len(fp["centres"]))]
                radius = sample_dist(fp["radius_km"], min(max(rng.random(), 1e-12), 1 - 1e-12))
                ang = rng.random() * 2 * math.pi
                dist = fp["jitter_km"] * math.sqrt(rng.random())
                lat0 = clat + dist * math.cos(ang) / 111.0
                coslat = max(math.cos(math.radians(lat0)), 0.05)
                lon0 = clon + dist * math.sin(ang) / (111.0 * coslat)
                if radius <= 0:
                    continue
                dlat = radius / 111.0
                dlon = radius / (111.0 * coslat)
                for i in cc["cands"]:
                    n = nodes[i]
                    if abs(n["lat"] - lat0) > dlat or abs(n["lon"] - lon0) > dlon:
                        continue
                    d = local_distance_km(coslat, n["lat"] - lat0, n["lon"] - lon0)
                    if d <= radius:
                        exposed.append((i, intensity * (1.0 - 0.5 * d / radius)))
            salt = ci << 40
            for i, local in exposed:
                r = cc["rule_of"].get(i)
                if r is None:
                    continue
                rule = comp["damage"][r]
                p = fragility_probability(rule["fragility"], local)
                key = salt ^ i
                if p >= 1.0 or element_uniform(self.key, key, P_FRAGILITY) < p:
                    repair = sample_dist(rule["repair_hours"], element_uniform(self.key, key, P_REPAIR))
                    onset = comp.get("onset_hours", 0.0)
                    out.append((i, onset, onset + repair, rule.get("residual_function", 0.0)))
        return out

    def islanding(self, damage):
        damaged = {i for (i, _, _, level) in damage if level < 1.0 - EPS}
        stress = self.m.scenario.get("network_stress", 1.0)
        extra = []
        for info in self.m.networks:
            hit = [d for d in damage if d[0] in info["touch"]]
            if not hit and abs(stress - 1.0) < 1e-12:
                continue
            t0 = min((d[1] for d in hit), default=0.0)
            g = info["graph"]
            hidden_nodes = [i for i in damaged if i in g]
            hidden_edges = [edge for a in damaged for edge in info["asset_edge"].get(a, ())]
            view = nx.restricted_view(g, hidden_nodes, hidden_edges)
            for comp in nx.connected_components(view):
                if self.m.viable(info, comp, damaged, stress):
                    continue
                for node in comp:
                    if node in damaged or not info["base_viable"][node]:
                        continue
                    u = element_uniform(self.key, node, P_RESTORATION)
                    r = sample_dist(info["net"]["restoration_hours"], u)
                    extra.append((node, t0, t0 + r, 0.0))
        return extra

    def run(self, seed, index):
        rng = random.Random(seed * 1_000_003 + index)
        self.key = rng.getrandbits(64)
        damage = self.initial_damage(rng)
        damage += self.islanding(damage)
        for k, (node, onset, until, level) in enumerate(damage):
            self.push(onset, EV_DAMAGE, node, k, level)
            if math.isfinite(until):
                self.push(until, EV_REPAIR, node, 0)
        while self.heap:
            t, _, kind, target, aux, level = heapq.heappop(self.heap)
            if t > self.horizon:
                break
            if kind == EV_DAMAGE:
                until = damage[aux][2]
                self.own_until[target] = max(self.own_until.get(target, 0.0), until)
                if level < self.own.get(target, 1.0):
                    self.events += 1
                    self.own[target] = level
                    self.reevaluate(target, t)
            elif kind == EV_REPAIR:
                if t >= self.own_until.get(target, 0.0) - EPS and self.own.get(target, 1.0) < 1.0:
                    self.events += 1
                    self.own[target] = 1.0
                    self.reevaluate(target, t)
            elif kind == EV_BUFFER:
                if self.e_gen.get(target, 0) == aux and self.e_state.get(target, OK) in (BUFFERING, SWITCHING):
                    self.events += 1
                    self.cut(target, t)
            elif kind == EV_SWITCH:
                st = self.e_state.get(target, OK)
                if self.e_gen.get(target, 0) == aux and st in (SWITCHING, SWITCHING_CUT):
                    self.events += 1
                    self.e_state[target] = SUBSTITUTED
                    self.e_effect[target] = 1.0
                    if st == SWITCHING_CUT:
                        self.reevaluate(self.m.deps[target]["dependent"], t)
            elif kind == EV_IMPROVE:
                st = self.e_state.get(target, OK)
                if self.e_igen.get(target, 0) == aux and st in (CUT, SWITCHING_CUT, RECOVERING):
                    self.events += 1
                    d = self.m.deps[target]
                    lv = min(level, self.fl(d["supplier"]))
                    eff = 1.0 - d["strength"] * (1.0 - lv)
                    if eff > self.e_effect.get(target, 1.0):
                        self.e_effect[target] = eff
                        self.reevaluate(d["dependent"], t)
            elif kind == EV_RECOVERY:
                if self.e_gen.get(target, 0) == aux and self.e_state.get(target, OK) == RECOVERING:
                    self.events += 1
                    self.e_state[target] = OK
                    self.e_effect[target] = 1.0
                    self.reevaluate(self.m.deps[target]["dependent"], t)
        for i in list(self.last_t):
            self.account(i, self.horizon)
        ms_uh = {}
        for i, v in self.uh.items():
            ms = self.m.ms_of[i]
            ms_uh[ms] = ms_uh.get(ms, 0.0) + v
        return sum(self.uh.values()), sum(self.g_peak.values()), self.events, ms_uh


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--horizon", type=float, default=168.0)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    with open(args.model) as fh:
        model = json.load(fh)
    with open(args.scenario) as fh:
        scenario = json.load(fh)
    t0 = time.perf_counter()
    m = Model(model, scenario)
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    c1 = time.process_time()
    totals = []
    events = 0
    for i in range(args.samples):
        s = Sample(m, args.horizon, args.threshold)
        uh, _, ev, _ = s.run(args.seed, i)
        totals.append(uh)
        events += ev
    secs = time.perf_counter() - t1
    cpu = time.process_time() - c1
    mean = sum(totals) / max(len(totals), 1)
    print(json.dumps({
        "scenario": scenario["id"],
        "samples": args.samples,
        "setup_seconds": round(setup, 3),
        "seconds": round(secs, 3),
        "cpu_seconds": round(cpu, 3),
        "samples_per_second": args.samples / secs,
        "events": events,
        "events_per_second": events / secs,
        "mean_user_hours": mean,
        "networkx": nx.__version__,
        "python": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
