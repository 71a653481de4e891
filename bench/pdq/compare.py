"""Summarise one benchmark run: per-image median times of the Rust engine and the reference
side by side, ratios, and a check that both produced identical hashes and qualities.

usage: compare.py RESULTS_DIR  (files written by run.sh: {rust,ref}-{pixels,jpg,png}.tsv,
rust-fast.tsv)"""

import os
import statistics
import sys
from collections import defaultdict


def load(path):
    rows = {}
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            p, w, h, hx, q, ms = line.rstrip("\n").split("\t")
            rows[p] = (f"{w}x{h}", hx, int(q), float(ms))
    return rows


def distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def main():
    d = sys.argv[1]
    mismatches = 0
    print("| Input | Size | Images | Reference ms/img | Bulwark ms/img | Ratio (img/s) | Identical output |")
    print("|---|---|---|---|---|---|---|")
    for mode, label in [("pixels", "decoded pixels"), ("jpg", "JPEG file, end to end"), ("png", "PNG file, end to end")]:
        rust, ref = load(f"{d}/rust-{mode}.tsv"), load(f"{d}/ref-{mode}.tsv")
        by_size = defaultdict(list)
        for p, (size, hx, q, ms) in rust.items():
            if p not in ref:
                continue
            rsize, rhx, rq, rms = ref[p]
            same = hx == rhx and q == rq
            mismatches += not same
            by_size[size].append((rms, ms, same))
        for size in sorted(by_size, key=lambda s: [int(x) for x in s.split("x")]):
            v = by_size[size]
            r = statistics.median(x[0] for x in v)
            b = statistics.median(x[1] for x in v)
            ok = sum(x[2] for x in v)
            print(f"| {label} | {size} | {len(v)} | {r:.2f} | {b:.2f} | {r / b:.1f}x | {ok}/{len(v)} |")
    fast, exact = load(f"{d}/rust-fast.tsv"), load(f"{d}/rust-jpg.tsv")
    if fast:
        print()
        print("| Fast reduced-DCT JPEG mode (min side 256) | Size | ms/img | Distance to exact hash: mean / max |")
        print("|---|---|---|---|")
        by_size = defaultdict(list)
        for p, (size, hx, q, ms) in fast.items():
            if p in exact:
                by_size[exact[p][0]].append((ms, distance(hx, exact[p][1])))
        for size in sorted(by_size, key=lambda s: [int(x) for x in s.split("x")]):
            v = by_size[size]
            ms = statistics.median(x[0] for x in v)
            ds = [x[1] for x in v]
            print(f"| | {size} | {ms:.2f} | {statistics.mean(ds):.1f} / {max(ds)} |")
    print()
    print(f"hash/quality mismatches between Bulwark and the reference: {mismatches}")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
