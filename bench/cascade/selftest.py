#!/usr/bin/env python3
"""Checks the Python reference against the hand-computed cascades of
crates/cascade/tests/hand_computed.rs (same expected values)."""

import cascade_nx as cx


def node(i, users):
    return {"id": i, "name": i, "service": "svc-" + i, "asset_class": "asset", "region": "ES-R",
            "member_state": "ES", "served_member_states": [], "users": users, "spare_capacity": 0.0,
            "lat": 0.0, "lon": 0.0}


def dep(s, d, buf, lag, strength=1.0):
    return {"supplier": s, "dependent": d, "kind": "physical", "resource": "electricity",
            "strength": strength, "buffer_hours": {"kind": "const", "value": buf},
            "recovery_lag_hours": lag, "substitutes": [], "switchover_hours": 0.0, "load": 0.0}


def outage(ids, repair):
    return {"id": "outage", "name": "o", "description": "", "hazard": "sabotage", "annual_frequency": None,
            "network_stress": 1.0,
            "components": [{"label": "attack", "footprint": {"kind": "area", "filter": {"ids": ids}},
                            "intensity": {"kind": "const", "value": 1.0},
                            "damage": [{"asset_class": "*", "fragility": {"kind": "certain"},
                                        "repair_hours": {"kind": "const", "value": repair},
                                        "residual_function": 0.0}],
                            "onset_hours": 0.0, "counts_as_origin": True}]}


def run(nodes, deps, ids, repair):
    m = cx.Model({"nodes": nodes, "dependencies": deps, "networks": []}, outage(ids, repair))
    return cx.Sample(m, 48.0, 0.5).run(7, 0)[0]


def check(name, got, want):
    ok = abs(got - want) < 1e-6
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {got} (expected {want})")
    return ok


def main():
    results = []
    results.append(check("buffer shorter than outage", run([node("A", 0), node("B", 100)], [dep(0, 1, 2, 0)], ["A"], 5), 300))
    results.append(check("buffer longer than outage", run([node("A", 0), node("B", 100)], [dep(0, 1, 10, 0)], ["A"], 5), 0))
    results.append(check("recovery lag", run([node("A", 0), node("B", 100)], [dep(0, 1, 2, 1.5)], ["A"], 5), 450))
    c = node("C", 0)
    c["spare_capacity"] = 10.0
    e = dep(0, 1, 2, 0)
    e.update(substitutes=[2], load=5.0, switchover_hours=3.0)
    results.append(check("slow switch-over", run([node("A", 0), node("B", 100), c], [e], ["A"], 5), 100))
    results.append(check("partial strength", run([node("A", 0), node("B", 100)], [dep(0, 1, 2, 0, 0.4)], ["A"], 5), 120))
    results.append(check("loop", run([node("A", 10), node("B", 20)], [dep(0, 1, 0, 0), dep(1, 0, 0, 0)], ["A"], 5), 150))
    results.append(check("partial improvement with lag",
                         run([node("A", 0), node("B", 0), node("C", 100)],
                             [dep(0, 1, 0, 1.0, 1.0), dep(0, 1, 0, 3.0, 0.5), dep(1, 2, 0, 2.0)], ["A"], 1), 500))
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    raise SystemExit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
