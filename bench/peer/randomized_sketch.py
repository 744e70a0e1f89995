#!/usr/bin/python3
"""How accurate LabelSphere's randomized eigensolver is on the benchmark PMI matrices, and what would fix it.

Replays SymmetricEigensolver.Randomized in numpy (Gaussian sketch of k + p columns, q subspace iterations with
QR, Rayleigh-Ritz, the k largest Ritz values by value) and compares the k leading eigenvalues with numpy's exact
eigh. Variants: the library's defaults (p = 16, q = 8), a larger sketch (p = k), more iterations (q = 20) and a
shift by |λ_min| that makes "largest by value" the same as "largest by magnitude".

    /usr/bin/python3 bench/peer/randomized_sketch.py artifacts/bench/data
"""

import os
import sys

import numpy as np
from scipy.sparse.linalg import eigsh

sys.path.insert(0, os.path.dirname(__file__))
import peer  # noqa: E402


def subspace_iteration(a, k, oversampling=16, iterations=8, shift=0.0, seed=0):
    n = a.shape[0]
    width = min(n, k + oversampling)
    m = a + shift * np.eye(n) if shift else a
    q, _ = np.linalg.qr(m @ np.random.default_rng(seed).standard_normal((n, width)))
    for _ in range(iterations):
        q, _ = np.linalg.qr(m @ q)
    b = q.T @ a @ q
    return np.sort(np.linalg.eigvalsh((b + b.T) / 2))[::-1][:k]


def main():
    data = sys.argv[1]
    for n in (2000, 4000):
        y = peer.read_extreme_text(os.path.join(data, f"labels{n}.txt"))
        a = peer.pmi_from_nonzeros(peer.cooccurrence(y), y.shape[0])
        exact = np.sort(np.linalg.eigvalsh(a))[::-1]
        smallest = eigsh(a, k=1, which="SA", tol=1e-3)[0][0]
        print(f"{n} labels: λ1 = {exact[0]:.1f}, λmin = {exact[-1]:.1f}, {np.sum(exact < 0)} negative eigenvalues")
        for k in (64, 256):
            variants = [("p=16, q=8 (LabelSphere)", {}), ("p=k, q=8", {"oversampling": k}),
                        ("p=16, q=20", {"iterations": 20}), ("shift by |λmin|", {"shift": -smallest})]
            for name, options in variants:
                values, truth = subspace_iteration(a, k, **options), exact[:k]
                off = np.sum(np.abs(values - truth) > 1e-6 * np.abs(truth))
                print(f"  k={k:3d} {name:24s} max |Δλ|/λ1 {np.max(np.abs(values - truth)) / truth[0]:.1e}, "
                      f"{off} of {k} off by more than 1e-6 relative")


if __name__ == "__main__":
    main()
