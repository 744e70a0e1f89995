#!/usr/bin/python3
"""Tables for FINDINGS.md from runs/*.json.

A ranking rule of a run is either a fixed score name ('sig', 'cos', 'zmix0.3', ...) or a rule chosen on validation
at each measurement: 'zsel' picks alpha in {0 (sig), 0.1, ..., 0.9, 1 (cos)} of the per-label z-scored mix,
'calsel' the same over the calibrated mixes. Everything that is chosen is chosen on the validation split; the test
score is read at the chosen variant / step.

final  = test score at the step of the best validation score (early stopping, `--keep best`)
end    = test score at the last step (no early stopping)
"""
import glob
import json
import os
import sys
from collections import defaultdict

import numpy as np

RUNS = os.environ.get('LABELSPHERE_REFERENCE_RUNS', 'out/heads-reference/runs')


def load_runs():
    runs = {}
    for p in sorted(glob.glob(f'{RUNS}/*.json')):
        name = os.path.basename(p)[:-5]
        if name.startswith('t'):
            continue
        with open(p) as f:
            runs[name] = json.load(f)
    return runs


def parse(name):
    data, rest = name.split('_', 1) if not name.startswith('stackex_cooking') else ('stackex_cooking', name[len('stackex_cooking_'):])
    cfg, seed = rest.rsplit('_s', 1)
    return data, cfg, int(seed)


Z_ORDER = ['sig'] + [f'zmix{a / 10:.1f}' for a in range(1, 10)] + ['cos']
C_ORDER = ['sig', 'cal0.3', 'cal0.5', 'cal0.7', 'cos']


def series(run, rule):
    """(steps, val, test) arrays for a rule."""
    steps, val, test = [], [], []
    for row in run['curve']:
        v, t = row['val'], row['test']
        if rule in ('zsel', 'calsel', 'best2'):
            order = {'zsel': Z_ORDER, 'calsel': C_ORDER, 'best2': ['sig', 'cos']}[rule]
            cands = [k for k in order if k in v]
            if not cands:
                return None
            k = max(cands, key=lambda c: (v[c], -order.index(c)))  # ties -> the sigmoid end
            steps.append(row['step']); val.append(v[k]); test.append(t[k])
        elif rule == 'main':
            k = 'sig' if 'sig' in v else 'cos'
            steps.append(row['step']); val.append(v[k]); test.append(t[k])
        else:
            if rule not in v:
                return None
            steps.append(row['step']); val.append(v[rule]); test.append(t[rule])
    return np.array(steps), np.array(val), np.array(test)


def summary(run, rule, stop_at=None):
    s = series(run, rule)
    if s is None:
        return None
    steps, val, test = s
    if stop_at is not None:
        keep = steps <= stop_at
        steps, val, test = steps[keep], val[keep], test[keep]
    b = int(np.argmax(val))  # first best
    return {'s100': test[0], 'final': test[b], 'best_step': int(steps[b]), 'end': test[-1], 'val_best': val[b],
            'steps': steps, 'test': test, 'val': val, 'best_test': test.max(), 'best_test_step': int(steps[np.argmax(test)])}


def first_reach(steps, test, target):
    hit = np.nonzero(test >= target - 1e-12)[0]
    return int(steps[hit[0]]) if len(hit) else None


def main():
    runs = load_runs()
    by = defaultdict(dict)  # (data, cfg) -> seed -> run
    for name, r in runs.items():
        d, c, s = parse(name)
        by[(d, c)][s] = r
    datas = ['bibtex', 'delicious', 'corel5k', 'stackex_cooking']
    rules = sys.argv[1].split(',') if len(sys.argv) > 1 else ['main', 'sig', 'cos', 'zsel', 'calsel', 'pmix0.5']
    seeds_filter = None
    for d in datas:
        cfgs = sorted(c for (dd, c) in by if dd == d)
        if not cfgs:
            continue
        # tuned baseline: the sigmoid config with the best mean validation score (best over steps), seed 0 set
        sig_cfgs = [c for c in cfgs if c.startswith('sig_')]  # plain sigmoid configs (sigasl_, sigsm0.1_: candidates)
        def mean_val(c, rule):
            vals = [summary(r, rule)['val_best'] for r in by[(d, c)].values() if summary(r, rule)]
            return np.mean(vals) if vals else -1
        base_cfg = max(sig_cfgs, key=lambda c: mean_val(c, 'sig')) if sig_cfgs else None
        print(f'\n### {d}\n')
        bfin = b100 = bneed = None
        if base_cfg:
            bs = [summary(r, 'sig') for r in by[(d, base_cfg)].values()]
            b100 = np.mean([x['s100'] for x in bs]); bfin = np.mean([x['final'] for x in bs])
            # steps the baseline needed to reach its own final score (mean curve)
            bsteps = bs[0]['steps']; btest = np.mean([x['test'] for x in bs], 0)
            bneed = first_reach(bsteps, btest, bfin)
            b100max = max(np.mean([summary(r, 'sig')['s100'] for r in by[(d, c)].values()]) for c in sig_cfgs)
            orc = max(sig_cfgs, key=lambda c: np.mean([summary(r, 'sig')['final'] for r in by[(d, c)].values()]))
            orcf = np.mean([summary(r, 'sig')['final'] for r in by[(d, orc)].values()])
            print(f'(stricter check: best sigmoid config by TEST final: {orc}, {orcf:.4f})\n')
            print(f'tuned baseline (by validation): {base_cfg}, seeds {sorted(by[(d, base_cfg)])}: step 100 {b100:.4f}, '
                  f'final {bfin:.4f} (needed {bneed} steps); best step-100 of any sigmoid config: {b100max:.4f}\n')
        print('| config | rule | seeds | step 100 | best val step | final (early stop) | end | vs base final | reach base final at | ratio | lead@100 | target |')
        print('|---|---|---|---|---|---|---|---|---|---|---|---|')
        for c in cfgs:
            for rule in rules:
                ss = [summary(r, rule) for r in by[(d, c)].values()]
                if any(x is None for x in ss):
                    continue
                single = ('sig', 'emb', 'cl', 'lowrank', 'lowres', 'resid')  # heads with one score: ranked by it
                if rule == 'main' and not c.startswith(single):
                    continue
                if rule != 'main' and c.startswith(single):
                    continue
                n = len(ss)
                s100 = np.array([x['s100'] for x in ss]); fin = np.array([x['final'] for x in ss]); end = np.array([x['end'] for x in ss])
                steps = ss[0]['steps']; mtest = np.mean([x['test'] for x in ss], 0)
                fmt = lambda a: f'{a.mean():.4f}' + (f' ± {a.std(ddof=1):.4f}' if len(a) > 1 else '')
                reach = first_reach(steps, mtest, bfin) if base_cfg else None
                ratio = (bneed / reach) if (reach and bneed) else None
                gain = fin.mean() / bfin - 1 if base_cfg else float('nan')
                lead = s100.mean() > b100 if base_cfg else False
                ok = lead and gain >= 0 and ratio is not None and ratio >= 3
                print(f'| {c} | {rule} | {n} | {fmt(s100)} | {"/".join(str(x["best_step"]) for x in ss)} | {fmt(fin)} | {fmt(end)} | '
                      f'{gain * 100:+.1f}% | {reach if reach else "never"} | {f"{ratio:.1f}x" if ratio else "-"} | {"yes" if lead else "no"} | {"MET" if ok else ""} |')


if __name__ == '__main__':
    main()
