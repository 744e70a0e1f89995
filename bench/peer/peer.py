#!/usr/bin/python3
"""Python peer of the LabelSphere benchmarks (docs/benchmarks.md).

Reads the synthetic annotation sets written by `LabelSphere.Benchmarks generate` and times the same stages the
way a Python user would: co-occurrence with scipy.sparse (Y.T @ Y), PMI with numpy, eigendecomposition with
numpy.linalg.eigh (exact), scipy.sparse.linalg.eigsh (Lanczos, partial) and sklearn's randomized_svd (the same
Halko algorithm LabelSphere's randomized solver runs), and top-k decoding with torch matmul + topk. Each stage
is timed as the median of several repeats after one warm-up. It then checks its results against the ones
`LabelSphere.Benchmarks reference` wrote and prints the agreement.

Run with Debian's interpreter and packages:
    apt-get install -y python3-numpy python3-scipy python3-sklearn python3-torch libopenblas0-pthread
    /usr/bin/python3 bench/peer/peer.py artifacts/bench/data --out artifacts/bench/peer.json
"""

import argparse
import json
import os
import platform
import resource
import statistics
import time
import tracemalloc

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import sklearn
import threadpoolctl
import torch
from sklearn.utils.extmath import randomized_svd

OVERSAMPLING = 16       # the same sketch as LabelSphere's randomized solver: k + 16 columns,
POWER_ITERATIONS = 8    # 8 subspace iterations, QR re-orthonormalisation
DECODE_TOP = 10


def read_extreme_text(path):
    """The label matrix of an Extreme Classification text file without features, as a CSR 0/1 int32 matrix."""
    with open(path) as f:
        instances, _, labels = map(int, f.readline().split())
        lines = f.read().split("\n")[:instances]
    fields = [line.split(" ", 1)[0] for line in lines]
    lengths = np.fromiter((field.count(",") + 1 if field else 0 for field in fields), np.int64, instances)
    indptr = np.zeros(instances + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.array(",".join(field for field in fields if field).split(","), dtype=np.int32)
    return sp.csr_matrix((np.ones(len(indices), np.int32), indices, indptr), shape=(instances, labels))


def cooccurrence(y):
    """C = YᵀY: pair counts off the diagonal, label counts on it (scipy.sparse, int32)."""
    return y.T @ y


def pmi_from_nonzeros(c, instances):
    """PMI = log(c_ij N / (c_i c_j)) on the observed pairs, 0 elsewhere; the diagonal is log(N / c_i) = −log p(i)."""
    counts = c.diagonal().astype(np.float64)
    coo = c.tocoo()
    pmi = np.zeros(c.shape)
    pmi[coo.row, coo.col] = np.log(coo.data.astype(np.float64) * instances / (counts[coo.row] * counts[coo.col]))
    return pmi


def pmi_dense(c, instances):
    """The same PMI, written over the whole dense count matrix with numpy broadcasting."""
    counts = c.diagonal().astype(np.float64)
    dense = c.toarray().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(dense * instances / np.outer(counts, counts))
    pmi[dense == 0] = 0.0
    return pmi


def eigen_exact(pmi):
    """Every eigenpair, eigenvalues ascending (LAPACK syevd, as torch.linalg.eigh)."""
    return np.linalg.eigh(pmi)


def eigen_lanczos(pmi, k):
    """The k largest eigenvalues by value (ARPACK implicitly restarted Lanczos)."""
    return spla.eigsh(pmi, k=k, which="LA")


def eigen_randomized(pmi, k):
    """The k largest singular values (|λ|) and vectors by randomized subspace iteration."""
    return randomized_svd(pmi, n_components=k, n_oversamples=OVERSAMPLING, n_iter=POWER_ITERATIONS,
                          power_iteration_normalizer="QR", random_state=0)


def decode(units, predictions):
    """Top-10 labels of each prediction by cosine: normalise, one matmul against the unit label vectors, topk."""
    with torch.no_grad():
        scores = torch.nn.functional.normalize(predictions, p=2.0, dim=1) @ units.T
        values, ids = torch.topk(scores, DECODE_TOP, dim=1, largest=True, sorted=True)
        return values.numpy(), ids.numpy()


def measure(name, repeats, function, *args):
    """Median wall time of `repeats` calls after one warm-up, then the tracemalloc peak of one more call."""
    function(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
        del result
    tracemalloc.start()
    result = function(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median = statistics.median(times)
    print(f"{name}: median {median * 1000:.1f} ms over {repeats} runs "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}), tracemalloc peak {peak / 2**20:.1f} MiB",
          flush=True)
    return {"seconds": times, "median": median, "tracemalloc_peak": peak}, result


def relative(a, b):
    """Largest relative difference of a from b, element by element."""
    return float(np.max(np.abs(a - b) / np.abs(b)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="folder written by `generate` and `reference`")
    parser.add_argument("--out", required=True, help="JSON file for the timings and agreement")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of counting, PMI and decoding, as in the C# jobs")
    parser.add_argument("--eigen-repeats", type=int, default=3, help="timed runs of each eigensolver, as in the C# job")
    args = parser.parse_args()
    path = lambda name: os.path.join(args.data, name)

    # Debian's torch defaults to one thread; LabelSphere's libtorch uses one per core, so both get every core.
    torch.set_num_threads(os.cpu_count())
    environment = {
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "sklearn": sklearn.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "blas": [{k: v for k, v in pool.items() if k in ("internal_api", "num_threads", "version", "filepath")}
                 for pool in threadpoolctl.threadpool_info()],
    }
    print(json.dumps(environment), flush=True)
    fast, slow = args.repeats, args.eigen_repeats
    timings, agreement = {}, []

    def agree(what, ok, detail):
        agreement.append({"check": what, "ok": bool(ok), "detail": detail})
        print(f"agreement: {what}: {'OK' if ok else 'DIFFERS'} ({detail})", flush=True)

    def accuracy(what, results):
        """Approximate solvers are not expected to agree to rounding: how far each is from the exact spectrum."""
        parts = []
        for name, values, truth in results:
            off = int(np.count_nonzero(np.abs(values - truth) > 1e-6 * np.abs(truth)))
            parts.append(f"{name}: max |Δλ|/λ₁ {np.max(np.abs(values - truth)) / abs(truth[0]):.1e}, "
                         f"{off} of {len(truth)} off by more than 1e-6 relative")
        agreement.append({"check": what, "ok": None, "detail": "; ".join(parts)})
        print(f"accuracy: {what}: {'; '.join(parts)}", flush=True)

    matrices = {n: read_extreme_text(path(f"labels{n}.txt")) for n in (1000, 2000, 4000, 5000)}
    counts = {}
    for n in (1000, 5000):
        timings[f"cooccurrence/{n}"], counts[n] = measure(f"cooccurrence {n}", fast, cooccurrence, matrices[n])
        reference = np.load(path(f"counts{n}.npy"))
        differing = int(np.count_nonzero(counts[n].toarray() != reference))
        agree(f"counts, {n} labels", differing == 0, f"{differing} of {n * n} cells differ")
    for n in (2000, 4000):
        counts[n] = cooccurrence(matrices[n])

    pmis = {}
    for n in (2000, 5000):
        instances = matrices[n].shape[0]
        timings[f"pmi/{n}"], pmis[n] = measure(f"pmi (nonzeros) {n}", fast, pmi_from_nonzeros, counts[n], instances)
        timings[f"pmi-dense/{n}"], dense = measure(f"pmi (dense) {n}", fast, pmi_dense, counts[n], instances)
        reference = np.load(path(f"pmi{n}.npy"))
        err = float(np.max(np.abs(pmis[n] - reference)))
        agree(f"PMI, {n} labels", err <= 1e-12 * np.max(np.abs(reference)), f"max |Δ| = {err:.2e}, max |PMI| = {np.max(np.abs(reference)):.2f}")
        agree(f"PMI dense variant, {n} labels", np.array_equal(dense, pmis[n]) or float(np.max(np.abs(dense - pmis[n]))) <= 1e-12,
              f"max |Δ| to the nonzero variant = {float(np.max(np.abs(dense - pmis[n]))):.2e}")
        del dense
    pmis[4000] = pmi_from_nonzeros(counts[4000], matrices[4000].shape[0])

    for n in (2000, 4000):
        timings[f"eigen-exact/{n}"], (values, vectors) = measure(f"eigh {n}", slow, eigen_exact, pmis[n])
        exact = values[::-1]
        reference = np.load(path(f"eigen{n}-exact-values.npy"))
        err = relative(exact[:256], reference[:256])
        agree(f"exact eigenvalues, {n} labels", err <= 1e-8, f"max relative |Δλ| over the leading 256 = {err:.2e}")
        reference_vectors = np.load(path(f"eigen{n}-exact-vectors8.npy"))
        cosines = np.abs(np.sum(vectors[:, ::-1][:, :8] * reference_vectors, axis=0))
        agree(f"exact leading 8 eigenvectors, {n} labels", np.min(cosines) >= 1 - 1e-8, f"min |cos| = {np.min(cosines):.10f}")
        by_magnitude = np.sort(np.abs(exact))[::-1]
        for k in (64, 256):
            timings[f"eigen-lanczos{k}/{n}"], (lanczos, _) = measure(f"eigsh k={k} {n}", slow, eigen_lanczos, pmis[n], k)
            timings[f"eigen-randomized{k}/{n}"], (_, singular, _) = measure(f"randomized_svd k={k} {n}", slow, eigen_randomized, pmis[n], k)
            csharp = np.load(path(f"eigen{n}-randomized{k}-values.npy"))
            accuracy(f"partial eigenvalues k={k}, {n} labels, against exact eigh", [
                ("LabelSphere randomized (largest λ)", csharp, exact[:k]),
                ("eigsh (largest λ)", np.sort(lanczos)[::-1], exact[:k]),
                ("randomized_svd (largest |λ|)", singular, by_magnitude[:k]),
            ])
        del vectors

    units = torch.from_numpy(np.load(path("decode-units.npy")))
    predictions = torch.from_numpy(np.load(path("decode-predictions.npy")))
    timings["decode/5000"], (scores, ids) = measure("decode 10000 x 5000, k=256, top 10", fast, decode, units, predictions)
    reference_ids = np.load(path("decode-top-ids.npy"))
    reference_scores = np.load(path("decode-top-scores.npy"))
    same_rows = float(np.mean(np.all(ids == reference_ids, axis=1)))
    same_sets = float(np.mean([set(a) == set(b) for a, b in zip(ids.tolist(), reference_ids.tolist())]))
    score_err = float(np.max(np.abs(scores - reference_scores)))
    agree("decoding top-10", same_sets >= 0.999 and score_err <= 1e-5,
          f"identical ranked lists {same_rows:.2%}, identical sets {same_sets:.2%}, max |Δscore| {score_err:.1e}")

    environment["ru_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(args.out, "w") as f:
        json.dump({"environment": environment, "timings": timings, "agreement": agreement}, f, indent=1)
    return 1 if any(a["ok"] is False for a in agreement) else 0


if __name__ == "__main__":
    raise SystemExit(main())
