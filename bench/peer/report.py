#!/usr/bin/python3
"""Merges BenchmarkDotNet's JSON results and peer.py's timings into one Markdown table (bench/run.sh calls it)."""

import argparse
import glob
import json
import os
import re

# (BenchmarkDotNet type.method, Labels parameter or None, peer timing key, stage, input, peer implementation)
ROWS = [
    ("CooccurrenceBenchmarks.Count", 1000, "cooccurrence/1000", "co-occurrence", "1,000 labels × 200,000 instances, 8 labels each", "scipy.sparse `Y.T @ Y`"),
    ("CooccurrenceBenchmarks.Count", 5000, "cooccurrence/5000", "co-occurrence", "5,000 labels × 200,000 instances, 8 labels each", "scipy.sparse `Y.T @ Y`"),
    ("PmiBenchmarks.Compute", 2000, "pmi/2000", "PMI", "2,000 labels", "numpy on the nonzero counts"),
    ("PmiBenchmarks.Compute", 2000, "pmi-dense/2000", "PMI", "2,000 labels", "numpy over the dense count matrix"),
    ("PmiBenchmarks.Compute", 5000, "pmi/5000", "PMI", "5,000 labels", "numpy on the nonzero counts"),
    ("PmiBenchmarks.Compute", 5000, "pmi-dense/5000", "PMI", "5,000 labels", "numpy over the dense count matrix"),
    ("EigenBenchmarks.Exact", 2000, "eigen-exact/2000", "eigen, exact", "2,000 × 2,000 PMI", "`numpy.linalg.eigh`"),
    ("EigenBenchmarks.Exact", 4000, "eigen-exact/4000", "eigen, exact", "4,000 × 4,000 PMI", "`numpy.linalg.eigh`"),
    ("EigenBenchmarks.Randomized64", 2000, "eigen-randomized64/2000", "eigen, randomized k=64", "2,000 × 2,000 PMI", "sklearn `randomized_svd`"),
    ("EigenBenchmarks.Randomized64", 2000, "eigen-lanczos64/2000", "eigen, randomized k=64", "2,000 × 2,000 PMI", "scipy `eigsh` (Lanczos)"),
    ("EigenBenchmarks.Randomized256", 2000, "eigen-randomized256/2000", "eigen, randomized k=256", "2,000 × 2,000 PMI", "sklearn `randomized_svd`"),
    ("EigenBenchmarks.Randomized256", 2000, "eigen-lanczos256/2000", "eigen, randomized k=256", "2,000 × 2,000 PMI", "scipy `eigsh` (Lanczos)"),
    ("EigenBenchmarks.Randomized64", 4000, "eigen-randomized64/4000", "eigen, randomized k=64", "4,000 × 4,000 PMI", "sklearn `randomized_svd`"),
    ("EigenBenchmarks.Randomized64", 4000, "eigen-lanczos64/4000", "eigen, randomized k=64", "4,000 × 4,000 PMI", "scipy `eigsh` (Lanczos)"),
    ("EigenBenchmarks.Randomized256", 4000, "eigen-randomized256/4000", "eigen, randomized k=256", "4,000 × 4,000 PMI", "sklearn `randomized_svd`"),
    ("EigenBenchmarks.Randomized256", 4000, "eigen-lanczos256/4000", "eigen, randomized k=256", "4,000 × 4,000 PMI", "scipy `eigsh` (Lanczos)"),
    ("DecodeBenchmarks.Decode", None, "decode/5000", "top-10 decoding", "10,000 vectors × 5,000 labels, k=256", "torch `normalize`, matmul, `topk`"),
]


def seconds(value):
    return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"


def mebibytes(value):
    return f"{value / 2**20:,.1f} MiB"


def load_bdn(folder):
    results = {}
    for path in glob.glob(os.path.join(folder, "*-report-full-compressed.json")):
        with open(path) as f:
            for benchmark in json.load(f)["Benchmarks"]:
                match = re.search(r"Labels=(\d+)", benchmark["Parameters"] or "")
                key = (f"{benchmark['Type']}.{benchmark['Method']}", int(match.group(1)) if match else None)
                statistics = benchmark["Statistics"]
                results[key] = {"median": statistics["Median"] / 1e9, "min": statistics["Min"] / 1e9, "n": statistics["N"],
                                "allocated": benchmark["Memory"]["BytesAllocatedPerOperation"]}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bdn", required=True, help="BenchmarkDotNet's results folder")
    parser.add_argument("--peer", required=True, help="peer.py's JSON output")
    parser.add_argument("--csharp-env", required=True, help="csharp-env.json written by the reference verb")
    parser.add_argument("--passive", help="BenchmarkDotNet's results of the eigen benchmarks run with OMP_WAIT_POLICY=PASSIVE")
    parser.add_argument("--phases", help="run.sh's phase log (TSV)")
    args = parser.parse_args()
    csharp = load_bdn(args.bdn)
    with open(args.peer) as f:
        peer = json.load(f)
    with open(args.csharp_env) as f:
        csharp_env = json.load(f)

    print("| stage | input | LabelSphere median (min), n | LabelSphere allocated¹ | Python peer | peer median (min), n | peer tracemalloc peak² | peer / LabelSphere³ |")
    print("|---|---|---|---|---|---|---|---|")
    for bdn_key, labels, peer_key, stage, shape, implementation in ROWS:
        c = csharp.get((bdn_key, labels))
        p = peer["timings"].get(peer_key)
        c_text = f"{seconds(c['median'])} ({seconds(c['min'])}), {c['n']}" if c else "not run"
        c_memory = mebibytes(c["allocated"]) if c else ""
        p_text = f"{seconds(p['median'])} ({seconds(min(p['seconds']))}), {len(p['seconds'])}" if p else "not run"
        p_memory = mebibytes(p["tracemalloc_peak"]) if p else ""
        ratio = f"**{p['median'] / c['median']:.2f}**" if c and p else ""
        print(f"| {stage} | {shape} | {c_text} | {c_memory} | {implementation} | {p_text} | {p_memory} | {ratio} |")
    print()
    print("¹ BenchmarkDotNet's managed bytes allocated per operation; memory libtorch allocates natively is not counted.  ")
    print("² Peak of Python-heap and numpy allocations during one extra run; torch tensors are not traced.  ")
    print("³ Ratio of medians: above 1, LabelSphere is faster.")
    if args.passive:
        passive = load_bdn(args.passive)
        print()
        print("The eigensolvers again, with libtorch's OpenMP threads waiting passively (`OMP_WAIT_POLICY=PASSIVE`):")
        print()
        print("| stage | input | LabelSphere median, default | LabelSphere median, passive wait (min), n | default / passive |")
        print("|---|---|---|---|---|")
        seen = set()
        for bdn_key, labels, _, stage, shape, _ in ROWS:
            if (bdn_key, labels) in seen or (bdn_key, labels) not in passive:
                continue
            seen.add((bdn_key, labels))
            c, q = csharp.get((bdn_key, labels)), passive[(bdn_key, labels)]
            c_text = seconds(c["median"]) if c else "not run"
            ratio = f"{c['median'] / q['median']:.2f}" if c else ""
            print(f"| {stage} | {shape} | {c_text} | {seconds(q['median'])} ({seconds(q['min'])}), {q['n']} | {ratio} |")
    print()
    env = peer["environment"]
    blas = ", ".join(f"{b['internal_api']} {b.get('version') or ''} {b['num_threads']} threads".replace("  ", " ") for b in env["blas"])
    print(f"LabelSphere: {csharp_env['runtime']}, TorchSharp {csharp_env['torchSharp']}, "
          f"{csharp_env['processorCount']} processors for Parallel.For, libtorch {csharp_env['torchThreads']} threads.  ")
    print(f"Peer: Python {env['python']}, numpy {env['numpy']}, scipy {env['scipy']}, scikit-learn {env['sklearn']}, "
          f"torch {env['torch']} ({env['torch_threads']} threads); thread pools: {blas}; "
          f"peak RSS of the peer process {mebibytes(env['ru_maxrss_bytes'])}.")
    print()
    print("Agreement of the peer's results with LabelSphere's:")
    print()
    for a in peer["agreement"]:
        verdict = "accuracy" if a["ok"] is None else "agrees" if a["ok"] else "DIFFERS"
        print(f"- {a['check']}: {verdict} ({a['detail']})")
    if args.phases:
        print()
        print("| phase | start | end | seconds | load average at start | at end |")
        print("|---|---|---|---|---|---|")
        with open(args.phases) as f:
            next(f)
            for line in f:
                print("| " + " | ".join(line.rstrip("\n").split("\t")) + " |")


if __name__ == "__main__":
    main()
