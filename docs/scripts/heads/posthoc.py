#!/usr/bin/python3
"""Post-hoc rankings for issue 13: the label structure used at ranking time, on the outputs a trained model saved
(reference.py --save-scores; the runs of jobs_posthoc.txt). Nothing is retrained; every weight is fitted on the
validation split, the test score is read once at the chosen one.

    /usr/bin/python3 docs/scripts/heads/posthoc.py [runs, default: every *_posthoc-*.npz]

Base score b (per instance and label): the sigmoid head's logit; for the joint head the per-label z-scored mix of
logit and cosine with alpha chosen on validation (analyze.py's zsel). z = b z-scored per label with the validation
rows' mean and standard deviation, so labels are on one scale before scores cross between them.

  prop-pmi   z' = z + beta * z P^T, P the positive PMI of the training labels (diagonal 0), rows normalised to sum 1:
             a label's score rises with its co-occurring labels' scores (score propagation over the label graph).
  prop-emb   the same with P the k-nearest-neighbour graph (10) of the rows of E_k by cosine, positive part, rows
             normalised: the graph zero-shot labels have too.
  knn-e/h    z' = z + g * zk, zk the per-label z-score (validation statistics, sd at least 0.01) of the average label
             vector of the K nearest training instances by cosine of the embedding output e (joint head) or of the
             hidden layer h, weighted by the cosines.
beta, g in a grid (0 = the base), K in {10, 30}: each family's setting and the overall best are picked on
validation class-weighted MAP@100.
"""
import glob
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

RUNS = os.environ.get('LABELSPHERE_REFERENCE_RUNS', 'out/heads-reference/runs')
BETAS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
GAINS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]


def labels(args):
    """The run's training, validation and test label matrices and class weights, split as reference.py split them."""
    Xtr_all, Ytr_all, Xte, Yte = R.load(args['data'])
    n = len(Xtr_all)
    perm = np.random.RandomState(args['val_seed']).permutation(n)
    nv = int(round(0.1 * n))
    vi, ti = np.sort(perm[:nv]), np.sort(perm[nv:])
    Ytr, Yva = Ytr_all[ti], Ytr_all[vi]
    counts = Ytr.sum(0).astype(np.float64)
    w = R.class_weights(counts, Ytr.shape[1])
    return Ytr, Yva, Yte, w


def setup(args):
    """labels(args) and the run's label embedding and PMI matrix, rebuilt as reference.py built them."""
    Ytr, Yva, Yte, w = labels(args)
    E, P = R.pmi_embedding(Ytr, args['k'], args['p'], args['cds'])
    return Ytr, Yva, Yte, w, E, P


def score(s, Y, w):
    return R.weighted_map100(torch.as_tensor(np.ascontiguousarray(s), dtype=torch.float32), torch.as_tensor(Y, dtype=torch.float32), w)[0]


def zstats(v):
    return v.mean(0, keepdims=True), np.maximum(v.std(0, keepdims=True), 1e-6)


def base_scores(z, tag, Yva, w):
    """(val, test) base scores and their name: the logit, or the joint head's validation-chosen z-scored mix."""
    lv, lt = z[f'{tag}_val_logit'].astype(np.float64), z[f'{tag}_test_logit'].astype(np.float64)
    if f'{tag}_val_cos' not in z.files:
        return lv, lt, 'sig'
    cv, ct = z[f'{tag}_val_cos'].astype(np.float64), z[f'{tag}_test_cos'].astype(np.float64)
    lm, ls = zstats(lv)
    cm, cs = zstats(cv)
    best = None
    for i, al in enumerate(R.ALPHAS):  # ties -> the sigmoid end, as analyze.py
        sv = al * (cv - cm) / cs + (1 - al) * (lv - lm) / ls
        st = al * (ct - cm) / cs + (1 - al) * (lt - lm) / ls
        v = score(sv, Yva, w)
        if best is None or v > best[0] + 1e-12:
            best = (v, sv, st, al)
    return best[1], best[2], f'zmix{best[3]:.1f}'


def row_normalise(G):
    s = G.sum(1, keepdims=True)
    s[s == 0] = 1.0
    return G / s


def graphs(E, P):
    pp = np.maximum(P.astype(np.float64), 0.0)
    np.fill_diagonal(pp, 0.0)
    En = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    C = En @ En.T
    np.fill_diagonal(C, -np.inf)
    G = np.zeros_like(C)
    top = np.argsort(-C, axis=1)[:, :10]
    rows = np.arange(len(C))[:, None]
    G[rows, top] = np.maximum(C[rows, top], 0.0)
    return {'prop-pmi': row_normalise(pp), 'prop-emb': row_normalise(G)}


def knn_scores(rtr, rq, Ytr, K):
    """[queries, labels]: the cosine-weighted average label vector of each query's K nearest training rows."""
    a = rtr.astype(np.float32)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    q = rq.astype(np.float32)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    S = q @ a.T
    idx = np.argpartition(-S, K, axis=1)[:, :K]
    sims = np.maximum(np.take_along_axis(S, idx, 1), 0.0)
    lab = Ytr[idx].astype(np.float32)               # [q, K, L]
    out = (sims[:, :, None] * lab).sum(1) / np.maximum(sims.sum(1, keepdims=True), 1e-12)
    return out.astype(np.float64)


def candidates(z, tag, Ytr, Yva, w, E, P):
    """family -> list of (setting, val scores, test scores); the base under 'base'."""
    bv, bt, bname = base_scores(z, tag, Yva, w)
    m, s = zstats(bv)
    zv, zt = (bv - m) / s, (bt - m) / s
    out = {'base': [(bname, zv, zt)]}
    for fam, G in graphs(E, P).items():
        out[fam] = [(f'{bname} beta={b}', zv + b * zv @ G.T, zt + b * zt @ G.T) for b in BETAS]
    for rep in ('e', 'h'):
        if f'{tag}_train_{rep}' not in z.files:
            continue
        rtr = z[f'{tag}_train_{rep}']
        for K in (10, 30):
            kv = knn_scores(rtr, z[f'{tag}_val_{rep}'], Ytr, K)
            kt = knn_scores(rtr, z[f'{tag}_test_{rep}'], Ytr, K)
            km = kv.mean(0, keepdims=True)
            ks = np.maximum(kv.std(0, keepdims=True), 1e-2)
            kzv, kzt = (kv - km) / ks, (kt - km) / ks
            out.setdefault(f'knn-{rep}', []).extend(
                (f'{bname} K={K} g={g}', zv + g * kzv, zt + g * kzt) for g in GAINS)
    return out


def pick(cands, Yva, Yte, w):
    """The validation-best candidate (ties -> the earlier, smaller setting): (name, val, test)."""
    best = None
    for name, sv, st in cands:
        v = score(sv, Yva, w)
        if best is None or v > best[1] + 1e-12:
            best = (name, v, st)
    return best[0], best[1], score(best[2], Yte, w)


def main():
    paths = sys.argv[1:] or sorted(glob.glob(f'{RUNS}/*_posthoc-*.npz'))
    import json
    print('| run | snapshot (step) | family | chosen on validation | val | test | test vs base |')
    print('|---|---|---|---|---|---|---|')
    for path in paths:
        name = os.path.basename(path)[:-4]
        args = json.load(open(path[:-4] + '.json'))['args']
        Ytr, Yva, Yte, w, E, P = setup(args)
        z = np.load(path)
        for tag in ('first', 'best'):
            step = int(z['best_step']) if tag == 'best' else args['eval_every']
            fams = candidates(z, tag, Ytr, Yva, w, E, P)
            base = pick(fams['base'], Yva, Yte, w)
            rows = [('base', base)] + [(f, pick(c, Yva, Yte, w)) for f, c in fams.items() if f != 'base']
            everything = [c for f, cs in fams.items() for c in cs]
            rows.append(('any (picked on val)', pick(everything, Yva, Yte, w)))
            for fam, (chosen, v, t) in rows:
                print(f'| {name} | {tag} ({step}) | {fam} | {chosen} | {v:.4f} | {t:.4f} | {(t / base[2] - 1) * 100:+.1f}% |', flush=True)


if __name__ == '__main__':
    main()
