#!/usr/bin/python3
"""Both sides tuned on validation: per data set, the sigmoid config and the joint(+zsel) config with the best mean
validation score (best over steps, early stopping); test figures at the early-stopping steps. Seed means."""
import sys
import numpy as np
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
import analyze as A
from collections import defaultdict
runs = A.load_runs()
by = defaultdict(dict)
for n, r in runs.items():
    d, c, s = A.parse(n)
    by[(d, c)][s] = r
def stats(d, c, rule):
    ss = [A.summary(r, rule) for r in by[(d, c)].values()]
    return ss
print('| data set | tuned sigmoid (val) | seeds | step 100 | final | needed | tuned joint+zsel (val) | seeds | step 100 | final | gain | reaches base final at | ratio |')
print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
gains = []
for d in ['bibtex', 'delicious', 'corel5k', 'stackex_cooking']:
    sig = [c for (dd, c) in by if dd == d and c.startswith('sig_')]
    jn = [c for (dd, c) in by if dd == d and c.startswith('joint') and c.count('_') == 2]  # the earlier joint grid; screen variants (joint100_tf_d5_asl, ...) are compared in analyze.py
    mv = lambda c, rule: np.mean([x['val_best'] for x in stats(d, c, rule)])
    bs = max(sig, key=lambda c: mv(c, 'sig')); bj = max(jn, key=lambda c: mv(c, 'zsel'))
    S = stats(d, bs, 'sig'); J = stats(d, bj, 'zsel')
    bf = np.mean([x['final'] for x in S]); jf = np.mean([x['final'] for x in J])
    bt = np.mean([x['test'] for x in S], 0); steps = S[0]['steps']
    need = A.first_reach(steps, bt, bf)
    jt = np.mean([x['test'] for x in J], 0)
    reach = A.first_reach(J[0]['steps'], jt, bf)
    g = jf / bf - 1; gains.append(g)
    print(f'| {d} | {bs} | {len(S)} | {np.mean([x["s100"] for x in S]):.4f} | {bf:.4f} | {need} | {bj} | {len(J)} | '
          f'{np.mean([x["s100"] for x in J]):.4f} | {jf:.4f} | {g*100:+.1f}% | {reach or "never"} | {f"{need/reach:.1f}x" if reach else "-"} |')
print(f'\nmean gain {np.mean(gains)*100:+.1f}%')
