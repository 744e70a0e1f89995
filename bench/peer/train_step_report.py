"""Reads the TSV of `LabelSphere.Benchmarks train-step` (config, side, rep, examples_per_second, steps_timed, loadavg)
and prints a Markdown table: each side's median examples per second over the repetitions, the ratio of the medians
LabelSphere/PyTorch (above 1 is faster than PyTorch), the range of the per-repetition ratios and the load average.

    /usr/bin/python3 bench/peer/train_step_report.py OUT/train_step.tsv
"""
import statistics, sys
from collections import defaultdict

rates, loads = defaultdict(lambda: defaultdict(dict)), defaultdict(list)
with open(sys.argv[1]) as f:
    for line in f:
        config, side, rep, rate, _, load = line.rstrip('\n').split('\t')
        if side not in ('labelsphere', 'pytorch'):
            continue
        rates[config][side][int(rep)] = float(rate)
        loads[config].append(float(load))
print('| configuration | LabelSphere ex/s | PyTorch ex/s | LabelSphere/PyTorch | per-rep ratios | load average |')
print('|---|---:|---:|---:|---|---:|')
for config, sides in rates.items():
    ours, theirs = sides['labelsphere'], sides['pytorch']
    pairs = [ours[r] / theirs[r] for r in sorted(ours) if r in theirs]
    o, t = statistics.median(ours.values()), statistics.median(theirs.values())
    print(f'| {config} | {o:.0f} | {t:.0f} | {o / t:.2f} | {min(pairs):.2f}–{max(pairs):.2f} | '
          f'{min(loads[config]):.1f}–{max(loads[config]):.1f} |')
