#!/usr/bin/env python3
"""faiss side of the Hamming benchmark (bench/hamming/run.sh).

Reads codes.bin / queries.bin (raw 32-byte records written by the Rust example's
--dump), builds one faiss binary index, and prints one JSON line: build time, resident
memory, queries per second on 1 and 2 OpenMP threads, and recall against faiss'
IndexBinaryFlat (brute force) on the same queries.

faiss' binary range_search reports distances strictly below the radius, so radius r is
searched as r + 1.
"""
import argparse
import json
import time

import faiss
import numpy as np


def rss_mb(field="VmRSS:"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) // 1024
    return 0


def make(kind):
    if kind == "flat":
        return faiss.IndexBinaryFlat(256), None
    if kind == "mih16":  # HMA's configuration: nhash=16, b=16, nflip = 31 // 16 = 1
        idx = faiss.IndexBinaryMultiHash(256, 16, 16)
        idx.nflip = 1
        return idx, None
    if kind == "mih8":  # faiss' fastest exact setting at 10M (spec 3.3): nflip = 31 // 8 = 3
        idx = faiss.IndexBinaryMultiHash(256, 8, 32)
        idx.nflip = 3
        return idx, None
    raise SystemExit(f"unknown index kind {kind}")


def pairs(lims, labels):
    out = set()
    for q in range(len(lims) - 1):
        for j in labels[lims[q]:lims[q + 1]]:
            out.add((q, int(j)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--index", required=True, choices=["flat", "mih16", "mih8"])
    ap.add_argument("--radius", type=int, default=31)
    ap.add_argument("--max-queries", type=int, default=2000)
    args = ap.parse_args()

    codes = np.fromfile(f"{args.dir}/codes.bin", dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(f"{args.dir}/queries.bin", dtype=np.uint8).reshape(-1, 32)
    queries = np.ascontiguousarray(queries[: args.max_queries])
    rss_data = rss_mb()

    idx, _ = make(args.index)
    t = time.perf_counter()
    idx.add(codes)
    build_s = time.perf_counter() - t
    rss_built = rss_mb()

    res = {}
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        t = time.perf_counter()
        lims, _, labels = idx.range_search(queries, args.radius + 1)
        res[threads] = (len(queries) / (time.perf_counter() - t), lims, labels)
    got = pairs(res[1][1], res[1][2])
    hwm = rss_mb("VmHWM:")

    # ground truth: brute force on the same queries
    flat = faiss.IndexBinaryFlat(256) if args.index != "flat" else None
    if flat is not None:
        flat.add(codes)
        faiss.omp_set_num_threads(2)
        lims, _, labels = flat.range_search(queries, args.radius + 1)
        truth = pairs(lims, labels)
    else:
        truth = got
    recall = 1.0 if not truth else len(got & truth) / len(truth)
    print(json.dumps({
        "engine": "faiss",
        "index": args.index,
        "faiss": faiss.__version__,
        "n": int(codes.shape[0]),
        "queries": int(queries.shape[0]),
        "radius": args.radius,
        "build_s": round(build_s, 3),
        "rss_data_mb": rss_data,
        "rss_built_mb": rss_built,
        "index_rss_mb": rss_built - rss_data,
        "hwm_mb": hwm,
        "qps_1t": round(res[1][0], 1),
        "qps_2t": round(res[2][0], 1),
        "pairs": len(got),
        "truth_pairs": len(truth),
        "recall": round(recall, 6),
    }))


if __name__ == "__main__":
    main()
