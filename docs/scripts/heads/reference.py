#!/usr/bin/python3
"""Independent PyTorch reference of LabelSphere's setup (Chollet 2016), for issue 13.

PMI label embedding from the training label co-occurrences, an MLP body (one hidden layer of 1,024, ReLU, optional
dropout) and one of several heads; RMSprop, batch 128; class-weighted MAP@100 (docs/metrics.md) on a seeded 10%
validation split carved from the training file and on the test file, every --eval-every steps.

    /usr/bin/python3 reference.py --data bibtex --head joint --k 64 --steps 1200 --out runs/x.json

Heads:
  sigmoid    linear to L, BCE (the baseline)
  embedding  linear to k, cosine proximity loss against normalize(E^T v); rank by cos(e~, E_j) (the paper's)
  coslogit   logits_j = s*cos(e~, E_j) + b_j, s learned (init 10), b_j init prior log-odds, BCE
  joint      both a sigmoid head and an embedding head on one body; loss = cos + w*BCE
  resid      logits_j = s*cos(e~,E_j) + W_j.h + b_j (W init 0), BCE (+ optional --aux * cosine loss)
  lowrank    logits_j = E_j . (A h) + b_j (W = E_k A), BCE
  lowres     logits_j = E_j . (A h) + W_j.h + b_j (the low-rank head as a residual next to a full sigmoid head; W
             starts at 0, so training starts as the low-rank head), BCE
--loss asl|focal replaces every binary cross-entropy (the sigmoid heads', the joint head's BCE half) by the
asymmetric loss (Ridnik et al. 2021: gamma- 4, gamma+ 0, probability margin 0.05) or the focal loss (gamma 2).
Every ranking a run can produce (sigmoid logit, cosine, mixes) is scored at each measurement, on validation and
test, and written to the JSON; tools/analysis choose among them on validation only.
--save-scores also writes OUT.npz with the model's outputs at the first measurement and at the best validation score
(the run's main ranking: the sigmoid logit, or for the joint head the best z-scored mix, as analyze.py's zsel): the
logits and cosines of the validation and test rows, and the hidden layer h and the embedding output e of the
training, validation and test rows (float16), for post-hoc rankings (posthoc.py).
"""
import argparse
import json
import os
import random
import re
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Run from the repository root: the data sets are beside it, the cache and the runs below the current folder.
DATA = os.environ.get('LABELSPHERE_DATASETS', '../shared/datasets')
CACHE = os.environ.get('LABELSPHERE_REFERENCE_CACHE', 'out/heads-reference/cache')


# ----------------------------------------------------------------------------------------------------------- data
def read_arff(path, label_names):
    """Sparse or dense Mulan ARFF -> (X float32 [n, f] dense, Y uint8 [n, L]) with labels in label_names order."""
    attrs = []
    rows = []
    in_data = False
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith('%'):
                continue
            if not in_data:
                low = s.lower()
                if low.startswith('@attribute'):
                    m = re.match(r"@attribute\s+('([^']*)'|\"([^\"]*)\"|(\S+))", s, re.I)
                    name = m.group(2) or m.group(3) or m.group(4)
                    attrs.append(name)
                elif low.startswith('@data'):
                    in_data = True
                continue
            rows.append(s)
    index = {a: i for i, a in enumerate(attrs)}
    lab_idx = [index[n] for n in label_names]
    lab_set = set(lab_idx)
    feat_idx = [i for i in range(len(attrs)) if i not in lab_set]
    feat_pos = {a: j for j, a in enumerate(feat_idx)}
    lab_pos = {a: j for j, a in enumerate(lab_idx)}
    X = np.zeros((len(rows), len(feat_idx)), np.float32)
    Y = np.zeros((len(rows), len(lab_idx)), np.uint8)
    for r, s in enumerate(rows):
        if s.startswith('{'):
            body = s.strip('{}').strip()
            if not body:
                continue
            for item in body.split(','):
                a, v = item.strip().split(None, 1)
                a = int(a)
                v = float(v) if v != '?' else 0.0
                if a in lab_pos:
                    Y[r, lab_pos[a]] = 1 if v != 0 else 0
                else:
                    X[r, feat_pos[a]] = v
        else:
            vals = s.split(',')
            for a, v in enumerate(vals):
                v = 0.0 if v.strip() == '?' else float(v)
                if a in lab_pos:
                    Y[r, lab_pos[a]] = 1 if v != 0 else 0
                else:
                    X[r, feat_pos[a]] = v
    return X, Y


def xml_labels(path):
    root = ET.parse(path).getroot()
    return [e.get('name') for e in root.iter() if e.tag.endswith('label') and e.get('name') is not None]


def read_xc(path):
    with open(path, encoding='utf-8') as f:
        n, nf, nl = map(int, f.readline().split())
        lines = [line.rstrip('\r\n') for line in f]
    X = np.zeros((n, nf), np.float32)
    Y = np.zeros((n, nl), np.uint8)
    for r, line in enumerate(lines):
        parts = line.split(' ')
        if parts[0] and ':' not in parts[0]:
            for l in parts[0].split(','):
                Y[r, int(l)] = 1
            parts = parts[1:]
        for p in parts:
            if p:
                a, v = p.split(':')
                X[r, int(a)] = float(v)
    return X, Y


def xc_split(n, test=0.2, seed=0):
    """Same as docs/scripts/xc_split.py: first round(n*test) of range(n) shuffled by random.Random(seed) held out."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    held = round(n * test)
    return sorted(order[held:]), sorted(order[:held])


def load(name):
    os.makedirs(CACHE, exist_ok=True)
    cache = os.path.join(CACHE, name + '.npz')
    if os.path.exists(cache):
        z = np.load(cache)
        return z['Xtr'], z['Ytr'], z['Xte'], z['Yte']
    if name == 'bibtex':
        d = f'{DATA}/mulan/bibtex'
        names = xml_labels(f'{d}/bibtex.xml')
        Xtr, Ytr = read_arff(f'{d}/bibtex-train.arff', names)
        Xte, Yte = read_arff(f'{d}/bibtex-test.arff', names)
    elif name == 'delicious':
        d = f'{DATA}/mulan/delicious'
        names = xml_labels(f'{d}/delicious.xml')
        Xtr, Ytr = read_arff(f'{d}/delicious-train.arff', names)
        Xte, Yte = read_arff(f'{d}/delicious-test.arff', names)
    elif name == 'corel5k':
        d = f'{DATA}/mulan/corel5k'
        names = xml_labels(f'{d}/Corel5k.xml')
        Xtr, Ytr = read_arff(f'{d}/Corel5k-train-sparse.arff', names)
        Xte, Yte = read_arff(f'{d}/Corel5k-test-sparse.arff', names)
    elif name == 'stackex_cooking':
        X, Y = read_xc(f'{DATA}/xc/stackex_cooking_data.txt')
        tr, te = xc_split(len(X), 0.2, 0)
        Xtr, Ytr, Xte, Yte = X[tr], Y[tr], X[te], Y[te]
    else:
        raise SystemExit(f'unknown data set {name}')
    np.savez_compressed(cache, Xtr=Xtr, Ytr=Ytr, Xte=Xte, Yte=Yte)
    return Xtr, Ytr, Xte, Yte


def tfidf_fit(X):
    n = X.shape[0]
    df = (X != 0).sum(0)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def tfidf_apply(X, idf):
    out = np.zeros_like(X)
    nz = X > 0
    out[nz] = 1.0 + np.log(X[nz])
    out *= idf[None, :]
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return (out / norm).astype(np.float32)


# ------------------------------------------------------------------------------------------------------ embedding
def pmi_embedding(Y, k, p=0.5, cds=1.0):
    """E = U_k |Sigma_k|^p with negative eigenvalues zeroed (p = 0.5 is the paper's sqrt)."""
    Y = Y.astype(np.float64)
    n = Y.shape[0]
    C = Y.T @ Y
    c = np.diag(C).copy()
    pi = c / n
    if cds != 1.0:  # context-distribution smoothing (Levy et al.): p_j^a / sum p^a for the context side
        ctx = c ** cds
        ctx = ctx / ctx.sum() * (c.sum() / n) if ctx.sum() > 0 else ctx
        pj = ctx
    else:
        pj = pi
    with np.errstate(divide='ignore', invalid='ignore'):
        P = np.log((C / n) / np.outer(pi, pj))
    P[~np.isfinite(P)] = 0.0
    P[C == 0] = 0.0
    with np.errstate(divide='ignore'):
        d = -np.log(pi)
    d[~np.isfinite(d)] = 0.0
    np.fill_diagonal(P, d)
    P = 0.5 * (P + P.T)
    w, U = np.linalg.eigh(P)
    order = np.argsort(-w)[:k]
    w, U = w[order], U[:, order]
    w = np.maximum(w, 0.0)
    E = U * (w ** p)[None, :]
    return E.astype(np.float32), P.astype(np.float32)


# ---------------------------------------------------------------------------------------------------------- metric
def class_weights(counts, C):
    f = counts / max(counts.sum(), 1)
    return np.clip(f, 0.1 / C, 10.0 / C)


def weighted_map100(scores, Y, w, depth=100):
    """Class-weighted paper MAP@100 (docs/metrics.md). scores [M, C] (torch float), Y [M, C] (torch float 0/1).
    Class ranking = stable sort of the negated scores (ties: earlier instance first); AP_paper = mean_{k<=m} P(k);
    classes without positives are left out and the weights renormalised over the rest."""
    M = scores.shape[0]
    m = min(depth, M)
    # top m per class; torch.topk orders exactly equal scores arbitrarily (docs/metrics.md: earlier instance first).
    # Scores here are continuous (logits, cosines), so exact ties do not occur in practice.
    idx = torch.topk(scores.T.contiguous(), m, dim=1, sorted=True)[1].T   # [m, C]
    rel = torch.gather(Y, 0, idx)                                    # [m, C]
    prec = rel.cumsum(0) / torch.arange(1, m + 1, dtype=rel.dtype).unsqueeze(1)
    ap = prec.mean(0).double().numpy()
    ev = (Y.sum(0) > 0).numpy()
    ww = w[ev]
    return float((ap[ev] * ww).sum() / ww.sum()), float(ap[ev].mean())


# ---------------------------------------------------------------------------------------------------------- model
class Net(nn.Module):
    def __init__(self, nf, L, E, head, hidden=1024, dropout=0.0, prior=None, s0=10.0):
        super().__init__()
        self.head = head
        self.body = nn.Sequential(nn.Linear(nf, hidden), nn.ReLU(), nn.Dropout(dropout))
        k = E.shape[1]
        self.register_buffer('E', E)
        self.register_buffer('En', F.normalize(E, dim=1, eps=1e-12))
        if head in ('sigmoid', 'joint', 'resid', 'jcl', 'lowres'):
            self.sig = nn.Linear(hidden, L)
            if head in ('resid', 'lowres'):
                nn.init.zeros_(self.sig.weight)
            if prior is not None and head in ('resid', 'lowres'):
                with torch.no_grad():
                    self.sig.bias.copy_(prior)
        if head in ('embedding', 'joint', 'coslogit', 'resid', 'lowrank', 'jcl', 'lowres'):
            self.emb = nn.Linear(hidden, k)
        if head in ('coslogit', 'resid', 'jcl'):
            self.s = nn.Parameter(torch.tensor(float(s0)))
        if head in ('coslogit', 'lowrank', 'jcl'):
            self.b = nn.Parameter(prior.clone() if prior is not None else torch.zeros(L))

    def forward(self, x):
        h = self.body(x)
        out = {}
        if hasattr(self, 'emb'):
            e = self.emb(h)
            out['e'] = e
            if self.head in ('embedding', 'joint', 'coslogit', 'resid', 'jcl'):
                out['cos'] = F.normalize(e, dim=1, eps=1e-12) @ self.En.T
        if self.head in ('sigmoid', 'joint', 'jcl'):
            out['logit'] = self.sig(h)
        if self.head == 'jcl':
            out['cl_logit'] = self.s * out['cos'] + self.b
        elif self.head == 'coslogit':
            out['logit'] = self.s * out['cos'] + self.b
        elif self.head == 'resid':
            out['logit'] = self.s * out['cos'] + self.sig(h)
        elif self.head == 'lowrank':
            out['logit'] = out['e'] @ self.E.T + self.b
        elif self.head == 'lowres':
            out['logit'] = out['e'] @ self.E.T + self.sig(h)
        return out


def cos_loss(e, target):
    t = F.normalize(target, dim=1, eps=1e-12)
    has = (target.abs().sum(1) > 0).float()
    c = (F.normalize(e, dim=1, eps=1e-12) * t).sum(1)
    return ((1.0 - c) * has).sum() / has.sum().clamp(min=1.0)


def asymmetric_loss(z, y, gamma_pos, gamma_neg, clip):
    """Mean over [batch, labels] of the asymmetric loss (Ridnik et al. 2021) for logits z and (soft) targets y:
    -(y (1-p)^g+ log p + (1-y) p_m^g- log(1-p_m)), p = sigmoid(z), p_m = max(p - clip, 0). gamma 0 and clip 0 give
    the binary cross-entropy; gamma+ = gamma- = 2, clip 0 the focal loss."""
    p = torch.sigmoid(z)
    log_p = F.logsigmoid(z)
    if clip > 0:
        pm = (p - clip).clamp(min=0.0)
        log_1m = torch.log((1.0 - pm).clamp(min=1e-8))
    else:
        pm = p
        log_1m = F.logsigmoid(-z)
    pos = y * log_p * ((1.0 - p) ** gamma_pos if gamma_pos else 1.0)
    neg = (1.0 - y) * log_1m * (pm ** gamma_neg if gamma_neg else 1.0)
    return -(pos + neg).mean()


# ---------------------------------------------------------------------------------------------------------- main
ALPHAS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def rankings(out, stats):
    """Every ranking the outputs allow: name -> [M, C] scores. stats: per-label (mean, std) of logit and cos on the
    validation split at this measurement (None when scoring the validation split itself: computed from it)."""
    r = {}
    if 'logit' in out:
        r['sig'] = out['logit']
    if 'cos' in out:
        r['cos'] = out['cos']
    if 'logit' in out and 'cos' in out and stats is not None:
        l, c = out['logit'], out['cos']
        lm, ls, cm, cs, a = stats
        zl = (l - lm) / ls
        zc = (c - cm) / cs
        # per-label calibration: cos mapped through the affine a_j*cos that best fits the logit (least squares)
        cl = a * c
        pr = torch.sigmoid(l)
        for al in ALPHAS[1:-1]:
            r[f'zmix{al:.1f}'] = al * zc + (1 - al) * zl
        for al in (0.3, 0.5, 0.7):
            r[f'cal{al:.1f}'] = al * cl + (1 - al) * l
        r['pmix0.5'] = 0.5 * c + 0.5 * pr   # the plain sum of probability and cosine
    return r


def label_stats(out):
    l, c = out['logit'], out['cos']
    lm, ls = l.mean(0, keepdim=True), l.std(0, keepdim=True).clamp(min=1e-6)
    cm, cs = c.mean(0, keepdim=True), c.std(0, keepdim=True).clamp(min=1e-6)
    cov = ((l - lm) * (c - cm)).mean(0, keepdim=True)
    a = (cov / (cs ** 2)).clamp(min=0.0)
    return lm, ls, cm, cs, a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--head', default='sigmoid')
    ap.add_argument('--k', type=int, default=64)
    ap.add_argument('--p', type=float, default=0.5, help='eigenvalue weighting E = U Sigma^p (0.5: paper)')
    ap.add_argument('--cds', type=float, default=1.0, help='context-distribution smoothing exponent (1: none)')
    ap.add_argument('--steps', type=int, default=1200)
    ap.add_argument('--eval-every', type=int, default=100)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--dropout', type=float, default=0.0)
    ap.add_argument('--wd', type=float, default=0.0)
    ap.add_argument('--features', default='raw', choices=['raw', 'tfidf'])
    ap.add_argument('--w', type=float, default=10.0, help='joint: loss = cos + w*BCE')
    ap.add_argument('--aux', type=float, default=0.0, help='resid/coslogit: + aux * cosine loss')
    ap.add_argument('--loss', default='bce', choices=['bce', 'asl', 'focal'], help='the binary loss of every sigmoid output')
    ap.add_argument('--smooth', type=float, default=0.0, help='BCE targets (1-a) v + a * PMI-neighbourhood of v')
    ap.add_argument('--prior-bias', type=int, default=1, help='sigmoid/joint: start b_j at the prior log-odds (LabelSphere default)')
    ap.add_argument('--schedule', default='constant', choices=['constant', 'cosine'])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--val-seed', type=int, default=0)
    ap.add_argument('--save-scores', type=int, default=0, help='1: write OUT.npz (outputs at the first and the best measurement)')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()

    Xtr_all, Ytr_all, Xte, Yte = load(a.data)
    n = len(Xtr_all)
    perm = np.random.RandomState(a.val_seed).permutation(n)
    nv = int(round(0.1 * n))
    vi, ti = np.sort(perm[:nv]), np.sort(perm[nv:])
    Xtr, Ytr, Xva, Yva = Xtr_all[ti], Ytr_all[ti], Xtr_all[vi], Ytr_all[vi]
    if a.features == 'tfidf':
        idf = tfidf_fit(Xtr)
        Xtr, Xva, Xte = tfidf_apply(Xtr, idf), tfidf_apply(Xva, idf), tfidf_apply(Xte, idf)
    L = Ytr.shape[1]
    counts = Ytr.sum(0).astype(np.float64)
    w = class_weights(counts, L)
    E, P = pmi_embedding(Ytr, a.k, a.p, a.cds)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    prior_p = np.clip((counts + 0.5) / (len(Ytr) + 1.0), 1e-6, 1 - 1e-6)
    prior = torch.tensor(np.log(prior_p / (1 - prior_p)), dtype=torch.float32)
    Et = torch.tensor(E)
    net = Net(Xtr.shape[1], L, Et, a.head, dropout=a.dropout, prior=prior)
    if a.prior_bias and hasattr(net, 'sig') and a.head in ('sigmoid', 'joint', 'jcl'):
        with torch.no_grad():
            net.sig.bias.copy_(prior)
    # Keras's RMSprop (rho 0.9, eps 1e-7), as LabelSphere and the paper use
    opt = torch.optim.RMSprop(net.parameters(), lr=a.lr, alpha=0.9, eps=1e-7, weight_decay=a.wd)
    sched = None
    if a.schedule == 'cosine':
        import math
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, a.steps) / a.steps)))

    Xtr_t, Ytr_t = torch.tensor(Xtr), torch.tensor(Ytr, dtype=torch.float32)
    Xva_t, Yva_t = torch.tensor(Xva), torch.tensor(Yva, dtype=torch.float32)
    Xte_t, Yte_t = torch.tensor(Xte), torch.tensor(Yte, dtype=torch.float32)
    if a.loss == 'asl':
        bce = lambda z, y: asymmetric_loss(z, y, 0.0, 4.0, 0.05)
    elif a.loss == 'focal':
        bce = lambda z, y: asymmetric_loss(z, y, 2.0, 2.0, 0.0)
    else:
        bce = F.binary_cross_entropy_with_logits
    S = None
    if a.smooth > 0:  # PMI-neighbourhood along the embedding: positive cosine between label rows, no self
        En = F.normalize(Et, dim=1, eps=1e-12)
        S = (En @ En.T).clamp(min=0.0)
        S.fill_diagonal_(0.0)

    def predict(X, keys=('logit', 'cos')):
        net.eval()
        outs = {}
        with torch.no_grad():
            for i in range(0, len(X), 2048):
                xb = X[i:i + 2048]
                o = net(xb)
                if 'h' in keys:
                    o['h'] = net.body(xb)
                for key in keys:
                    if key in o:
                        outs.setdefault(key, []).append(o[key])
        net.train()
        return {key: torch.cat(v) for key, v in outs.items()}

    curve = []
    saved = {}   # 'first' / 'best' -> arrays for OUT.npz
    best_val = [-1.0]

    def snapshot(tag, ov, ot):
        snap = {}
        for part, o in (('val', ov), ('test', ot)):
            for key, v in o.items():
                snap[f'{tag}_{part}_{key}'] = v.numpy().astype(np.float32)
        for part, X in (('train', Xtr_t), ('val', Xva_t), ('test', Xte_t)):
            for key, v in predict(X, ('h', 'e')).items():
                snap[f'{tag}_{part}_{key}'] = v.numpy().astype(np.float16)
        saved.update(snap)

    def main_key_of(row):
        return 'sig' if 'sig' in row['val'] else 'cos'

    def measure(step):
        ov, ot = predict(Xva_t), predict(Xte_t)
        stats = label_stats(ov) if ('logit' in ov and 'cos' in ov and a.head != 'coslogit') else None
        rv, rt = rankings(ov, stats), rankings(ot, stats)
        row = {'step': step, 'val': {}, 'test': {}}
        for name in rv:
            row['val'][name] = round(weighted_map100(rv[name], Yva_t, w)[0], 5)
            row['test'][name] = round(weighted_map100(rt[name], Yte_t, w)[0], 5)
        if 's' in dict(net.named_parameters()):
            row['s'] = round(float(net.s), 3)
        curve.append(row)
        if a.save_scores:
            # the main ranking's validation score: the sigmoid logit, else the cosine; for the joint head the best
            # of its z-scored mixes (analyze.py's zsel); the first best is kept, like analyze.summary
            zs = [k for k in row['val'] if k in ('sig', 'cos') or k.startswith('zmix')] if stats is not None else []
            v = max(row['val'][k] for k in zs) if zs else row['val'][main_key_of(row)]
            if len(curve) == 1:
                snapshot('first', ov, ot)
            if v > best_val[0]:
                best_val[0] = v
                snapshot('best', ov, ot)
                saved['best_step'] = np.array(step)
        main_key = main_key_of(row)
        print(f"step {step}: val {row['val'][main_key]:.4f} test {row['test'][main_key]:.4f}"
              + (f"  cos val {row['val']['cos']:.4f} test {row['test']['cos']:.4f}" if 'cos' in row['val'] and main_key != 'cos' else ''),
              flush=True)

    g = torch.Generator().manual_seed(a.seed)
    ntr = len(Xtr_t)
    order = torch.randperm(ntr, generator=g)
    pos = 0
    for step in range(1, a.steps + 1):
        if pos + a.batch > ntr:
            order = torch.randperm(ntr, generator=g)
            pos = 0
        b = order[pos:pos + a.batch]
        pos += a.batch
        x, y = Xtr_t[b], Ytr_t[b]
        out = net(x)
        yt = y
        if S is not None:
            nb = y @ S
            nb = nb / nb.max(1, keepdim=True)[0].clamp(min=1e-12)
            yt = ((1 - a.smooth) * y + a.smooth * torch.maximum(y, nb)).clamp(0, 1)
        loss = 0.0
        if a.head == 'embedding':
            loss = cos_loss(out['e'], y @ Et)
        elif a.head == 'joint':
            loss = cos_loss(out['e'], y @ Et) + a.w * bce(out['logit'], yt)
        elif a.head == 'jcl':  # two BCE heads on one body: full sigmoid + cosine-logit (+ aux cosine loss)
            loss = bce(out['logit'], yt) + bce(out['cl_logit'], yt)
            if a.aux > 0:
                loss = loss + a.aux * cos_loss(out['e'], y @ Et)
        else:
            loss = bce(out['logit'], yt)
            if a.aux > 0 and 'e' in out:
                loss = loss + a.aux * cos_loss(out['e'], y @ Et)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if step % a.eval_every == 0:
            measure(step)

    res = {'args': vars(a), 'n_train': int(ntr), 'n_val': int(len(Xva)), 'n_test': int(len(Xte)), 'labels': int(L),
           'seconds': round(time.time() - t0, 1), 'curve': curve}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out + '.tmp', 'w') as f:
        json.dump(res, f)
    if a.save_scores:
        with open(a.out + '.npz.tmp', 'wb') as f:
            np.savez_compressed(f, **saved)
        os.replace(a.out + '.npz.tmp', a.out[:-5] + '.npz' if a.out.endswith('.json') else a.out + '.npz')
    os.replace(a.out + '.tmp', a.out)
    print(f'done in {res["seconds"]} s -> {a.out}')


if __name__ == '__main__':
    main()
