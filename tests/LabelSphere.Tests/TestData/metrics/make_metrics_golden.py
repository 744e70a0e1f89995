#!/usr/bin/env python3
"""Golden values for every ranking metric of docs/metrics.md, computed independently with numpy and scikit-learn.

Run from this folder with Debian's packages (apt-get install python3-numpy python3-sklearn):
    /usr/bin/python3 make_metrics_golden.py > metrics_golden.json
The C# implementation is never consulted: the paper's MAP@K, AP@K, P@k, nDCG@k and PSP@k follow the formulas in
docs/metrics.md with plain numpy loops over full sorts, and per-class AP is sklearn.metrics.average_precision_score.
Tie rules (docs/metrics.md): a class ranks equal scores by instance order, an instance ranks equal scores by class
id; a stable argsort of the negated scores gives both. The "ties" case exercises them.
"""
import json
import math

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, ndcg_score


def f32_list(values):
    # Shortest decimal that reads back as the same float32, so that the C# side rebuilds the exact scores.
    return [float(repr(np.float32(v))) for v in values]


def class_wise(S, Y, depth, weights):
    M, C = S.shape
    paper = np.full(C, np.nan)
    at_depth = np.full(C, np.nan)
    sk = np.full(C, np.nan)
    for c in range(C):
        positives = int(Y[:, c].sum())
        if positives == 0:
            continue
        order = np.argsort(-S[:, c], kind="stable")
        m = min(depth, M)
        rel = Y[order[:m], c].astype(float)
        precision = np.cumsum(rel) / np.arange(1, m + 1)
        paper[c] = precision.sum() / m
        at_depth[c] = (precision * rel).sum() / min(positives, depth)
        sk[c] = average_precision_score(Y[:, c], S[:, c])
    e = ~np.isnan(paper)
    # The loop agrees with scikit-learn's own macro average over the classes evaluated.
    assert abs(sk[e].mean() - average_precision_score(Y[:, e], S[:, e], average="macro")) < 1e-12
    return {
        "paperMap": float(paper[e].mean()),
        "weightedPaperMap": float((weights[e] * paper[e]).sum() / weights[e].sum()),
        "meanApAtDepth": float(at_depth[e].mean()),
        "sklearnMap": float(sk[e].mean()),
        "classesEvaluated": int(e.sum()),
        "classesWithoutPositives": int((~e).sum()),
        "paperAp": [None if math.isnan(v) else float(v) for v in paper],
        "apAtDepth": [None if math.isnan(v) else float(v) for v in at_depth],
        "sklearnAp": [None if math.isnan(v) else float(v) for v in sk],
        "positives": [int(v) for v in Y.sum(axis=0)],
    }


def instance_wise(S, Y, cutoffs, inv, empty):
    M, C = S.shape
    rows = []
    for i in range(M):
        y = Y[i]
        n_true = int(y.sum())
        if n_true == 0 and empty == "skip":
            continue
        order = np.argsort(-S[i], kind="stable")
        best_gains = np.sort(inv[y])[::-1]
        values = []
        for k in cutoffs:
            top = order[:k]
            hits = y[top].astype(float)
            dcg = (hits / np.log2(np.arange(1, k + 1) + 1)).sum()
            ideal = (1 / np.log2(np.arange(1, min(k, n_true) + 1) + 1)).sum()
            values.append((hits.sum() / k,
                           dcg / ideal if n_true > 0 else 0.0,
                           (hits * inv[top]).sum() / k,
                           best_gains[:k].sum() / k))
        rows.append(values)
    v = np.array(rows)  # [instances counted, cutoffs, 4]
    if empty == "countAsZero" and all(len(np.unique(row)) == C for row in S):
        # With binary labels and no tie in any row, scikit-learn's ndcg_score (which averages the gains of tied
        # labels, and scores an instance without labels 0) coincides with the repository's nDCG: a cross-check.
        for j, k in enumerate(cutoffs):
            assert abs(v[:, j, 1].mean() - ndcg_score(Y.astype(int), S, k=k)) < 1e-12
    return {
        "instancesCounted": len(rows),
        "instancesWithoutLabels": int((Y.sum(axis=1) == 0).sum()),
        "precision": v[:, :, 0].mean(axis=0).tolist(),
        "ndcg": v[:, :, 1].mean(axis=0).tolist(),
        "psp": v[:, :, 2].mean(axis=0).tolist(),
        "normalisedPsp": (v[:, :, 2].sum(axis=0) / v[:, :, 3].sum(axis=0)).tolist(),
    }


def inverse_propensities(train_counts, train_instances, a, b):
    c = (np.log(train_instances) - 1) * (b + 1) ** a
    return 1 + c * (train_counts + b) ** (-a)


def class_weights(counts, minimum, maximum):
    n = len(counts)
    lo = 0.1 / n if minimum is None else minimum
    hi = 10 / n if maximum is None else maximum
    w = np.clip(counts / counts.sum(), lo, hi)
    return w / w.sum()


def make_case(name, rng, instances, classes, *, depth=100, cutoffs=(1, 3, 5), empty="countAsZero", a=0.55, b=1.5,
              weight_minimum=None, weight_maximum=None, without_positives=(), empty_rows=10, ties=False):
    # Class frequencies from 0.6 down to 0.01, so that some classes have more than `depth` positives and some few.
    p = np.geomspace(0.6, 0.01, classes)
    rng.shuffle(p)
    Y = rng.random((instances, classes)) < p
    Y[rng.choice(instances, empty_rows, replace=False)] = False
    Y[:, list(without_positives)] = False
    if ties:
        # Multiples of 1/4: large groups of equal scores, positives and negatives mixed, in every row and column,
        # so that the tie rules decide which instances make a class's top K and which classes an instance's top k.
        S32 = (np.floor((0.5 * Y + rng.random((instances, classes))) * 4) / 4).astype(np.float32)
    else:
        S32 = (1.0 * Y + rng.normal(0, 1, (instances, classes))).astype(np.float32)
    S = S32.astype(np.float64)
    train_instances = 5000
    train_counts = rng.binomial(train_instances, rng.choice(np.geomspace(0.3, 0.0005, 50), classes))
    train_counts[0] = 0  # a class never seen in training
    # The weighting annotation set spans four decades and has unseen classes, so both clips bite.
    weight_counts = np.floor(10 ** rng.uniform(0, 4, classes)).astype(np.int64)
    weight_counts[rng.choice(classes, 2, replace=False)] = 0
    inv = inverse_propensities(train_counts.astype(float), train_instances, a, b)
    weights = class_weights(weight_counts.astype(float), weight_minimum, weight_maximum)
    expected = {"inversePropensities": inv.tolist(), "classWeights": weights.tolist()}
    expected.update(class_wise(S, Y, depth, weights))
    expected.update(instance_wise(S, Y, cutoffs, inv, empty))
    return {
        "name": name,
        "instances": instances,
        "classes": classes,
        "options": {"depth": depth, "cutoffs": list(cutoffs), "emptyInstances": empty, "a": a, "b": b,
                    "weightMinimum": weight_minimum, "weightMaximum": weight_maximum},
        "scores": [f32_list(row) for row in S32],
        "labels": [np.flatnonzero(row).tolist() for row in Y],
        "trainInstances": train_instances,
        "trainCounts": train_counts.tolist(),
        "weightCounts": weight_counts.tolist(),
        "expected": expected,
    }


rng = np.random.default_rng(20160916)
cases = [
    make_case("random", rng, 300, 40),
    make_case("classesWithoutPositives", rng, 150, 25, without_positives=(3, 17), empty="skip", cutoffs=(1, 2, 5, 10),
              weight_minimum=0.01, weight_maximum=0.08),
    make_case("fewerInstancesThanDepth", rng, 60, 12, a=0.5, b=0.4),
    make_case("ties", rng, 200, 15, ties=True),
    make_case("shallow", rng, 120, 30, depth=10, cutoffs=(1, 2, 3, 4, 5, 10, 20)),
]
print(json.dumps({"madeWith": {"numpy": np.__version__, "scikit-learn": sklearn.__version__}, "cases": cases}, separators=(",", ":")))
