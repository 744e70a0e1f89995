#!/usr/bin/env python3
"""Golden PMI matrices and eigenvalues for tiny_annotations.json, computed independently with numpy.

Run from this folder with Debian's numpy (apt-get install python3-numpy):
    /usr/bin/python3 make_pmi_golden.py > pmi_golden.json
The C# implementation is never consulted; this follows the formulas in docs/embedding.md directly.
"""
import json
import numpy as np

data = json.load(open("tiny_annotations.json"))
labels = data["labels"]
n_labels = len(labels)
Y = np.zeros((len(data["instances"]), n_labels))
for r, row in enumerate(data["instances"]):
    Y[r, row] = 1
N = Y.shape[0]
C = Y.T @ Y                      # C[i, j] = instances with both; C[i, i] = count of i
c = np.diag(C).copy()


def pmi(measure="pmi", unseen="zero", diagonal="selfInformation", positive=False, shift=1.0, alpha=1.0):
    if alpha == 1.0:
        p = c / N
    else:
        p = c ** alpha * (c.sum() / (N * (c ** alpha).sum()))
    seen = c > 0
    P = np.zeros((n_labels, n_labels))
    observed = []
    for i in range(n_labels):
        for j in range(n_labels):
            if i == j or not (seen[i] and seen[j]):
                continue
            count = C[i, j]
            if count == 0 and unseen == "halfCount":
                count = 0.5
            if count == 0:
                continue
            pij = count / N
            v = np.log(pij / (p[i] * p[j]))
            if measure == "normalized":
                v = 1.0 if pij >= 1 else v / -np.log(pij)
            P[i, j] = v
            if C[i, j] > 0:
                observed.append(v)
    if unseen == "minObserved":
        floor = min(observed) if observed else 0.0
        for i in range(n_labels):
            for j in range(n_labels):
                if i != j and seen[i] and seen[j] and C[i, j] == 0:
                    P[i, j] = floor
    for i in range(n_labels):
        for j in range(n_labels):
            if i != j and seen[i] and seen[j]:
                P[i, j] -= np.log(shift)
                if positive:
                    P[i, j] = max(0.0, P[i, j])
    for i in range(n_labels):
        if not seen[i]:
            continue
        if diagonal == "selfInformation":
            P[i, i] = 1.0 if measure == "normalized" else -np.log(min(p[i], 1.0))
        elif diagonal == "zero":
            P[i, i] = 0.0
        elif diagonal == "rowMax":
            others = [P[i, j] for j in range(n_labels) if j != i]
            P[i, i] = max(others) if others else 0.0
    return P


cases = {
    "default": {},
    "halfCount": {"unseen": "halfCount"},
    "minObserved": {"unseen": "minObserved"},
    "diagonalZero": {"diagonal": "zero"},
    "diagonalRowMax": {"diagonal": "rowMax"},
    "positiveShift2": {"positive": True, "shift": 2.0},
    "alpha075": {"alpha": 0.75},
    "normalized": {"measure": "normalized"},
}
out = {"instances": N, "labels": labels, "cases": []}
for name, kwargs in cases.items():
    P = pmi(**kwargs)
    eig = np.sort(np.linalg.eigvalsh(P))[::-1]
    out["cases"].append({"name": name, "options": kwargs, "pmi": P.tolist(), "eigenvalues": eig.tolist()})
print(json.dumps(out, indent=1))
