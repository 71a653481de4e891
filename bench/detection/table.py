"""Markdown tables from bench/detection/out/results.jsonl (run.sh's output)."""

import json
import sys

GOAL_SCANS, GOAL_IMAGES, GOAL_P99 = 20000, 500, 50.0


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    for r in rows:
        if r.get("kind") == "setup":
            print(f"Setup: {r['indicators']:,} indicators in {r['versions']} signed list versions, "
                  f"imported in {r['import_s']:.0f} s; {r['images']} JPEGs ({r['matching_images']} on the list).\n")
    for r in rows:
        if r.get("kind") == "server":
            print(f"Server [{r.get('tag', 'default')}]: ready (matcher loaded) {r['startup_s']:.1f} s after start, "
                  f"RSS {r['rss_kb_ready'] / 1024:,.0f} MiB.")
        if r.get("kind") == "server-end":
            print(f"Server [{r.get('tag', 'default')}] at the end: RSS {r['rss_kb_end'] / 1024:,.0f} MiB, "
                  f"peak {r['rss_kb_peak'] / 1024:,.0f} MiB, {r['scans_recorded']:,} scans recorded.")
    print()
    print("| build | load | connections | items/request | requests/s | scans/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | goal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "label" not in r or r.get("kind"):
            continue
        scans = r.get("scans_per_s", r["rps"] * r["batch"])
        if r["label"].startswith("image"):
            goal = f"{scans / GOAL_IMAGES:.2f}x of 500/s" + ("" if r["p99_ms"] < GOAL_P99 else ", p99 over 50 ms")
        else:
            goal = f"{scans / GOAL_SCANS:.2f}x of 20k/s" + ("" if r["p99_ms"] < GOAL_P99 else ", p99 over 50 ms")
        print(f"| {r.get('tag', 'default')} | {r['label']} | {r['connections']} | {r['batch']} | {r['rps']:,.0f} | "
              f"{scans:,.0f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} | "
              f"{r['non_2xx']} | {goal} |")
    summaries = [r for r in rows if r.get("kind") == "summary"]
    if summaries:
        print()
        print("| run | load | connections | items/request | runs | scans/s median (min-max) | p99 ms median | runs meeting the goal |")
        print("|---|---|---|---|---|---|---|---|")
        for r in summaries:
            print(f"| {r['run']} | {r['label']} | {r['connections']} | {r['batch']} | {r['runs']} | "
                  f"{r['scans_per_s_median']:,.0f} ({r['scans_per_s_min']:,.0f}-{r['scans_per_s_max']:,.0f}) | "
                  f"{r['p99_ms_median']:.1f} | {r['runs_meeting_goal']} of {r['runs']} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/detection/out/results.jsonl")
