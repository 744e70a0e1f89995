#!/usr/bin/python3
"""The screen table of docs/results.md: every config of jobs_screen.txt next to the two references it is screened
against, on the same seeds: the tuned sigmoid (sig_tf_d5, chosen on validation on all three sets) and the joint head
at LabelSphere's defaults (joint100_tf_d5) and with raw inputs, w = 10 (joint10_raw_d0; p = 0: joint10p0_raw_d0),
all ranked by the validation-fitted mix `zsel`.

    /usr/bin/python3 docs/scripts/heads/screen.py [seeds, default 0]

Per config and data set: the best validation score (what the screen picks by), the test score at that step (early
stopping), the test score at step 100, and the test score relative to the same seeds' tuned sigmoid. Joint configs
are ranked by zsel, the others by their one score."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze as A  # noqa: E402

DATAS = ['bibtex', 'corel5k', 'stackex_cooking']
REFS = ['sig_tf_d5', 'joint100_tf_d5', 'joint10_raw_d0', 'joint10p0_raw_d0']


def rule(cfg):
    return 'zsel' if cfg.startswith('joint') else 'main'


def main():
    seeds = [int(s) for s in sys.argv[1].split(',')] if len(sys.argv) > 1 else [0]
    runs = A.load_runs()
    by = {}
    for name, r in runs.items():
        d, c, s = A.parse(name)
        by.setdefault((d, c), {})[s] = r
    jobs = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'jobs_screen.txt')
    cfgs = []
    for line in open(jobs):
        if line.startswith('#') or not line.strip():
            continue
        d, c, s = A.parse(line.split()[0])
        if c not in cfgs:
            cfgs.append(c)
    print(f'seeds {seeds}; val = best validation score, test = test at that step, @100 = test at step 100, '
          'vs sig = test / tuned sigmoid test - 1\n')
    head = '| config | rule | ' + ' | '.join(f'{d}: val / test / @100 / vs sig' for d in DATAS) + ' | mean vs sig |'
    print(head)
    print('|' + '---|' * (3 + len(DATAS)))
    for c in REFS + cfgs:
        cells, gains = [], []
        for d in DATAS:
            rs = by.get((d, c), {})
            base = by.get((d, 'sig_tf_d5'), {})
            if not all(s in rs for s in seeds) or not all(s in base for s in seeds):
                cells.append('-')
                continue
            ss = [A.summary(rs[s], rule(c)) for s in seeds]
            bs = [A.summary(base[s], 'main') for s in seeds]
            val = np.mean([x['val_best'] for x in ss])
            fin = np.mean([x['final'] for x in ss])
            s100 = np.mean([x['s100'] for x in ss])
            g = fin / np.mean([x['final'] for x in bs]) - 1
            gains.append(g)
            cells.append(f'{val:.4f} / {fin:.4f} / {s100:.4f} / {g * 100:+.1f}%')
        mean = f'{np.mean(gains) * 100:+.1f}%' if len(gains) == len(DATAS) else '-'
        print(f'| {c} | {rule(c)} | ' + ' | '.join(cells) + f' | {mean} |')


if __name__ == '__main__':
    main()
