#!/usr/bin/python3
"""The peer of `labelsphere embed` at scale: count co-occurrences with scipy, build the same PMI (unseen pairs 0,
the diagonal −log p(i)) and take its k leading eigenvalues by value, either sparse with ARPACK (`eigsh`, which="LA")
or dense with numpy's `eigh` (every eigenpair, LAPACK syevd). Prints one JSON object: the seconds of each step and
the k leading eigenvalues, descending. bench/embed_scale.sh runs it under /usr/bin/time -v for the peak RSS.

    /usr/bin/python3 bench/peer/embed_peer.py DATA.txt K {eigsh,eigh} OUT.json
"""

import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, os.path.dirname(__file__))
import peer  # noqa: E402


def sparse_pmi(y):
    """PMI on the nonzero counts of C = YᵀY (the diagonal included: log(c_i N / c_i²) = −log p(i)), 0 elsewhere."""
    c = peer.cooccurrence(y).tocoo()
    counts = np.asarray(y.sum(axis=0)).ravel().astype(np.float64)
    values = np.log(c.data.astype(np.float64) * y.shape[0] / (counts[c.row] * counts[c.col]))
    return sp.csr_matrix((values, (c.row, c.col)), shape=c.shape)


def main():
    path, k, solver, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    times = {}
    start = time.perf_counter()
    y = peer.read_extreme_text(path)
    times["read"] = time.perf_counter() - start
    start = time.perf_counter()
    pmi = sparse_pmi(y)
    times["count_and_pmi"] = time.perf_counter() - start
    start = time.perf_counter()
    if solver == "eigsh":
        values = np.sort(spla.eigsh(pmi, k=k, which="LA")[0])[::-1]
    elif solver == "eigh":
        dense = pmi.toarray()
        del pmi
        values = np.linalg.eigh(dense)[0][::-1][:k]
    else:
        raise SystemExit(f"solver must be eigsh or eigh, got {solver}")
    times["eigen"] = time.perf_counter() - start
    with open(out, "w") as f:
        json.dump({"solver": solver, "k": k, "labels": int(y.shape[1]), "seconds": times, "eigenvalues": values.tolist()}, f)


if __name__ == "__main__":
    main()
