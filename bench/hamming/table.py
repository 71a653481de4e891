#!/usr/bin/env python3
"""Markdown table from bench/hamming/out/results.jsonl (see run.sh)."""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
sets = []
for r in rows:
    if r["data"] not in sets:
        sets.append(r["data"])

NAMES = {
    ("bulwark", "build"): "Bulwark MIH (built in memory)",
    ("bulwark", "serve"): "Bulwark MIH (opened from file, mmap)",
    ("faiss", "flat"): "faiss IndexBinaryFlat",
    ("faiss", "mih16"): "faiss IndexBinaryMultiHash(256,16,16) nflip=1 (HMA)",
    ("faiss", "mih8"): "faiss IndexBinaryMultiHash(256,8,32) nflip=3",
}

for d in sets:
    rs = [r for r in rows if r["data"] == d]
    faiss_best = max((r["qps_2t"] for r in rs if r["engine"] == "faiss" and r.get("recall", 0) >= 1.0), default=None)
    bw = next((r for r in rs if r["engine"] == "bulwark" and r.get("mode") == "build"), None)
    n = rs[0]["n"]
    print(f"\n### {d} (n = {n:,}, radius {rs[0]['radius']})\n")
    print("| index | build s | index RSS MB | q/s 1 thread | q/s 2 threads | recall vs brute force | Bulwark 1-thread q/s ÷ this 2-thread q/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rs:
        key = (r["engine"], r.get("mode") if r["engine"] == "bulwark" else r["index"])
        name = NAMES.get(key, str(key))
        build = r.get("build_s", r.get("open_s"))
        build_txt = f"{build:.2f}" if key != ("bulwark", "serve") else f"open {build:.2f}"
        rss = r.get("index_rss_mb", "")
        q1 = r["qps_1t"]
        q1cpu = r.get("qps_1t_cpu")
        q1_txt = f"{q1:,.0f}" + (f" (CPU-time: {q1cpu:,.0f})" if q1cpu else "")
        rec = r.get("recall")
        if r["engine"] == "bulwark" and key[1] == "build":
            rec_txt = f"{rec:.4f} ({r['recall_queries']} q, {r['truth_pairs']} pairs); planted {r['planted_found']}/{r['planted']}"
        elif rec is not None:
            rec_txt = f"{rec:.4f} ({r['truth_pairs']} pairs)"
        else:
            rec_txt = "same answers as build" if r.get("same_2t") else "-"
        ratio = ""
        if r["engine"] == "faiss" and bw and r["qps_2t"]:
            ratio = f"{bw['qps_1t'] / r['qps_2t']:,.0f}x"
        print(f"| {name} | {build_txt} | {rss} | {q1_txt} | {r['qps_2t']:,.0f} | {rec_txt} | {ratio} |")
