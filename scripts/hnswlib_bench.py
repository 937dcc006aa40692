#!/usr/bin/env python3
"""hnswlib (C++) on the same .fvecs/.ivecs files and parameters as Fossil.Kv.Vectors.Benchmarks.

Single thread throughout (index.set_num_threads(1)); prints one JSON object with the same fields.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import hnswlib
except ImportError:  # Debian's package lives in the system interpreter's dist-packages.
    sys.path.append("/usr/lib/python3/dist-packages")
    import hnswlib


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        raise SystemExit(f"{path}: empty")
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    if not np.all(rows[:, 0] == dim):
        raise SystemExit(f"{path}: rows of different dimensions")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)


def exact_truth(data, queries, metric, k):
    out = np.empty((len(queries), k), dtype=np.int32)
    if metric == "cosine":
        data = data / np.linalg.norm(data, axis=1, keepdims=True)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    norms = (data * data).sum(axis=1)
    for start in range(0, len(queries), 256):
        q = queries[start:start + 256]
        if metric == "l2":
            d = norms[None, :] - 2.0 * (q @ data.T)
        else:
            d = -(q @ data.T)
        idx = np.argpartition(d, k, axis=1)[:, :k]
        part = np.take_along_axis(d, idx, axis=1)
        order = np.argsort(part, axis=1)
        out[start:start + 256] = np.take_along_axis(idx, order, axis=1)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--query", required=True)
    p.add_argument("--gt")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="16,32,64,128,256")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--metric", default="l2", choices=["l2", "cosine", "ip"])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--min-seconds", type=float, default=1.0)
    a = p.parse_args()

    data = read_vecs(a.base, np.float32)
    queries = read_vecs(a.query, np.float32)
    if a.gt and os.path.exists(a.gt):
        truth = read_vecs(a.gt, np.int32)
    else:
        truth = exact_truth(data, queries, a.metric, max(a.k, 100))
    truth = truth[:, :a.k]

    index = hnswlib.Index(space=a.metric, dim=data.shape[1])
    index.init_index(max_elements=len(data), ef_construction=a.ef_construction, M=a.m, random_seed=a.seed)
    index.set_num_threads(1)
    ids = np.arange(len(data))
    # Wall clock is the headline; process CPU time is reported too because the machine is shared.
    cpu0 = time.process_time()
    start = time.perf_counter()
    index.add_items(data, ids, num_threads=1)
    build = time.perf_counter() - start
    build_cpu = time.process_time() - cpu0

    results = []
    for ef in [int(x) for x in a.ef.split(",")]:
        index.set_ef(ef)
        labels, _ = index.knn_query(queries, k=a.k, num_threads=1)  # warm-up and recall pass
        hits = sum(len(set(labels[i]) & set(truth[i])) for i in range(len(queries)))
        done = 0
        c0 = time.process_time()
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < a.min_seconds:
            index.knn_query(queries, k=a.k, num_threads=1)
            done += len(queries)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        results.append({"ef": ef, "recall": round(hits / (len(queries) * a.k), 4),
                        "qps": round(done / elapsed, 1), "qps_cpu": round(done / cpu, 1)})

    print(json.dumps({
        "implementation": f"hnswlib {getattr(hnswlib, '__version__', '')}".strip(),
        "n": len(data), "dim": int(data.shape[1]), "queries": len(queries), "metric": a.metric,
        "m": a.m, "ef_construction": a.ef_construction, "k": a.k,
        "build_seconds": round(build, 3), "build_vectors_per_second": round(len(data) / build, 1),
        "build_cpu_vectors_per_second": round(len(data) / build_cpu, 1),
        "results": results,
    }))


if __name__ == "__main__":
    main()
