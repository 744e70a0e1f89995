#!/usr/bin/python3
"""Issue 13: a frequency-dependent mix for the joint head, post hoc, on the outputs the joint head saved
(reference.py --save-scores; the joint100_tf_d5 runs of jobs_posthoc.txt, seed 0). Nothing is retrained.

    /usr/bin/python3 docs/scripts/heads/freqmix.py [runs, default: every *_posthoc-joint*.npz]

The joint head ranks label j by alpha_j * zc_j + (1 - alpha_j) * zl_j, zc and zl its cosine and logit z-scored per
label with the validation rows' statistics (analyze.py's zsel, posthoc.py's base). The rules for alpha, each fitted
on validation class-weighted MAP@100 and read once on test:

  global    one alpha in {0, 0.1, ..., 1} for every label (what LabelSphere does; 1 parameter)
  line      alpha_j = clip(a + b * log10(n_j / median n), 0, 1), n_j the label's training count (at least 1),
            a in {0, 0.1, ..., 1}, b in +-{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1} (2 parameters; b = 0 is global)
  terciles  one alpha from the grid per third of the labels by training count (3 parameters)
  per-label one alpha from the grid per label that has validation positives, the global alpha for the others
            (L parameters: the over-fitting check)

Ties go to the simpler setting (b = 0, then smaller |b|; the smaller alpha). The metric is a weighted sum of
per-label average precisions, and label j's ranking depends on alpha_j only, so terciles and per-label are fitted
exactly, one group or label at a time. The outputs exist at two measurements: the first (step 100) and the one the
global rule keeps (the best validation score of analyze.py's zsel); each rule is read at both, so its kept step is
the global rule's. 'half-val' is an estimate that does not touch test: fit on one half of the validation rows,
score on the other, both ways, mean; the gap to the global rule fitted and scored the same way says whether a
rule's validation gain is more than fitting noise.
"""
import glob
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze as A  # noqa: E402
import posthoc as PH  # noqa: E402
import reference as R  # noqa: E402

ALPHAS = np.array(R.ALPHAS)
BS = [0.0, -0.1, 0.1, -0.2, 0.2, -0.3, 0.3, -0.4, 0.4, -0.5, 0.5, -0.75, 0.75, -1.0, 1.0]
# the tuned sigmoid of the same set and seed (the inputs and dropout validation chose for it, analyze.py)
SIGMOID = {'bibtex': 'sig_tf_d5', 'corel5k': 'sig_tf_d5', 'stackex_cooking': 'sig_tf_d5', 'delicious': 'sig_raw_d5'}


def ap_per_label(s, Y):
    """Per-label paper AP@100 as reference.weighted_map100 computes it: (ap [C], labels with positives [C])."""
    st = torch.as_tensor(np.ascontiguousarray(s), dtype=torch.float32)
    Yt = torch.as_tensor(Y, dtype=torch.float32)
    m = min(100, st.shape[0])
    idx = torch.topk(st.T.contiguous(), m, dim=1, sorted=True)[1].T
    rel = torch.gather(Yt, 0, idx)
    prec = rel.cumsum(0) / torch.arange(1, m + 1, dtype=rel.dtype).unsqueeze(1)
    return prec.mean(0).double().numpy(), (Yt.sum(0) > 0).numpy()


def metric(ap, ev, w):
    return float((ap[ev] * w[ev]).sum() / w[ev].sum())


def mix(zc, zl, alpha):
    return alpha * zc + (1 - alpha) * zl


class Scores:
    """The z-scored cosine and logit of some rows and their labels; per-label AP at every grid alpha, cached."""

    def __init__(self, zc, zl, Y, w):
        self.zc, self.zl, self.Y, self.w = zc, zl, Y, w
        tab = [ap_per_label(mix(zc, zl, a), Y) for a in ALPHAS]
        self.T = np.array([t[0] for t in tab])      # [alphas, C]
        self.ev = tab[0][1]

    def rows(self, r):
        return Scores(self.zc[r], self.zl[r], self.Y[r], self.w)

    def score(self, alpha):
        """Class-weighted MAP@100 at a per-label alpha vector (or one alpha)."""
        alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), self.zc.shape[1:])
        on = np.isclose(alpha[:, None], ALPHAS[None, :], atol=1e-9)
        if on.any(1).all():   # every alpha on the grid: from the table
            ap = self.T[on.argmax(1), np.arange(len(alpha))]
        else:
            ap = ap_per_label(mix(self.zc, self.zl, alpha[None, :]), self.Y)[0]
        return metric(ap, self.ev, self.w)


def fit_global(S):
    v = [metric(S.T[i], S.ev, S.w) for i in range(len(ALPHAS))]
    i = int(np.argmax(v))          # first maximum: ties -> the smaller alpha
    return np.full(S.zc.shape[1], ALPHAS[i]), f'alpha {ALPHAS[i]:.1f}'


def fit_line(S, x):
    best = None
    for b in BS:
        for a in ALPHAS:
            al = np.clip(a + b * x, 0.0, 1.0)
            v = S.score(al)
            if best is None or v > best[0] + 1e-12:
                best = (v, al, f'a {a:.1f}, b {b:+.2f}')
    return best[1], best[2]


def fit_groups(S, group, ngroups):
    """One grid alpha per group, each the argmax of the group's weighted AP sum (exact: the metric is separable)."""
    al = np.zeros(S.zc.shape[1])
    chosen = []
    for g in range(ngroups):
        m = (group == g) & S.ev
        v = (S.T[:, m] * S.w[m]).sum(1)
        i = int(np.argmax(v))
        al[group == g] = ALPHAS[i]
        chosen.append(f'{ALPHAS[i]:.1f}')
    return al, 'alphas ' + ' / '.join(chosen) + ' (rare to frequent)'


def fit_per_label(S):
    g, _ = fit_global(S)
    gi = int(np.argmin(np.abs(ALPHAS - g[0])))
    al = g.copy()
    for j in np.nonzero(S.ev)[0]:
        col = S.T[:, j]
        top = np.nonzero(col >= col.max() - 1e-12)[0]
        al[j] = ALPHAS[top[np.argmin(np.abs(top - gi))]]   # ties -> the alpha nearest the global one
    return al, f'{int(S.ev.sum())} labels fitted'


def rules(Ytr):
    n = np.maximum(Ytr.sum(0).astype(np.float64), 1.0)
    x = np.log10(n / np.median(n))
    rank = np.argsort(np.argsort(n, kind='stable'), kind='stable')
    terc = (3 * rank) // len(n)
    return [('global', 1, fit_global),
            ('line', 2, lambda S: fit_line(S, x)),
            ('terciles', 3, lambda S: fit_groups(S, terc, 3)),
            ('per-label', len(n), fit_per_label)]


def half_val(Sv, fit, seed=0):
    """Fit on one half of the validation rows, score on the other, both ways: the mean held-out score."""
    perm = np.random.RandomState(seed).permutation(Sv.zc.shape[0])
    h = len(perm) // 2
    a, b = np.sort(perm[:h]), np.sort(perm[h:])
    Sa, Sb = Sv.rows(a), Sv.rows(b)
    return 0.5 * (Sb.score(fit(Sa)[0]) + Sa.score(fit(Sb)[0]))


def main():
    paths = sys.argv[1:] or sorted(glob.glob(f'{PH.RUNS}/*_posthoc-joint*.npz'))
    runs = A.load_runs()
    print('Test class-weighted MAP@100 of the joint head (w = 100, TF-IDF + L2, dropout 0.5, seed 0) with alpha fitted '
          'on validation by each rule; the tuned sigmoid of the same seed at its first measurement / kept step.\n')
    print('| data set | snapshot (step) | rule | parameters | chosen on validation | val | half-val vs global | test | '
          'test vs global | test vs sigmoid |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    terc = []
    for path in paths:
        args = json.load(open(path[:-4] + '.json'))['args']
        d = args['data']
        Ytr, Yva, Yte, w = PH.labels(args)
        z = np.load(path)
        sig = A.summary(runs[f'{d}_{SIGMOID[d]}_s{args["seed"]}'], 'sig')
        for tag in ('first', 'best'):
            step = int(z['best_step']) if tag == 'best' else args['eval_every']
            lv, lt = z[f'{tag}_val_logit'].astype(np.float64), z[f'{tag}_test_logit'].astype(np.float64)
            cv, ct = z[f'{tag}_val_cos'].astype(np.float64), z[f'{tag}_test_cos'].astype(np.float64)
            lm, ls = PH.zstats(lv)
            cm, cs = PH.zstats(cv)
            Sv = Scores((cv - cm) / cs, (lv - lm) / ls, Yva, w)
            St = Scores((ct - cm) / cs, (lt - lm) / ls, Yte, w)
            sref = sig['s100'] if tag == 'first' else sig['final']
            base_t = base_h = None
            for name, npar, fit in rules(Ytr):
                al, desc = fit(Sv)
                v, t = Sv.score(al), St.score(al)
                hv = half_val(Sv, fit)
                if name == 'global':
                    base_t, base_h = t, hv
                    # the global rule must reproduce the run's own zsel figure
                    row = next(r for r in runs[os.path.basename(path)[:-4]]['curve'] if r['step'] == step)
                    k = 'sig' if al[0] == 0 else 'cos' if al[0] == 1 else f'zmix{al[0]:.1f}'
                    assert abs(row['test'][k] - t) < 2e-4, (row['test'][k], t)
                print(f'| {d} | {tag} ({step}) | {name} | {npar} | {desc} | {v:.4f} | {(hv / base_h - 1) * 100:+.2f}% | '
                      f'{t:.4f} | {(t / base_t - 1) * 100:+.2f}% | {(t / sref - 1) * 100:+.1f}% (sigmoid {sref:.4f}) |',
                      flush=True)
                if name == 'global':
                    ga = al[0]
            terc.append((d, tag, step, ga, by_tercile(St, Ytr, ga)))
    print('\nWhere each third of the labels (by training count) stands on test: its share of the class weights and its '
          'weighted MAP@100 ranked by the logit (alpha 0), the global alpha and the cosine (alpha 1).\n')
    print('| data set | snapshot (step) | global alpha | rare third: weight, logit / global / cosine | middle third | '
          'frequent third |')
    print('|---|---|---|---|---|---|')
    for d, tag, step, ga, cells in terc:
        print(f'| {d} | {tag} ({step}) | {ga:.1f} | ' + ' | '.join(cells) + ' |')


def by_tercile(St, Ytr, ga):
    n = Ytr.sum(0)
    rank = np.argsort(np.argsort(n, kind='stable'), kind='stable')
    terc = (3 * rank) // len(n)
    gi = int(np.argmin(np.abs(ALPHAS - ga)))
    cells = []
    for g in range(3):
        m = (terc == g) & St.ev
        share = St.w[m].sum() / St.w[St.ev].sum()
        f = lambda i: (St.T[i, m] * St.w[m]).sum() / St.w[m].sum()
        cells.append(f'{share * 100:.0f}%, {f(0):.4f} / {f(gi):.4f} / {f(len(ALPHAS) - 1):.4f}')
    return cells


if __name__ == '__main__':
    main()
