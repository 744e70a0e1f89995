"""Reads the TSV of `LabelSphere.Benchmarks layer-step` (round, layer, side, forward_ms, backward_ms, loadavg) and prints
a Markdown table: per layer, each side's median forward and backward milliseconds over the rounds and the time ratios
LabelSphere/PyTorch (above 1: LabelSphere is slower), then the totals over the layers and the load average.

    /usr/bin/python3 bench/peer/layer_step_report.py OUT/layer_step.tsv
"""
import statistics, sys
from collections import defaultdict

times, loads = defaultdict(lambda: defaultdict(lambda: ([], []))), []
with open(sys.argv[1]) as f:
    for line in f:
        round_, layer, side, forward, backward, load = line.rstrip('\n').split('\t')
        if side not in ('labelsphere', 'pytorch'):
            continue
        times[layer][side][0].append(float(forward))
        times[layer][side][1].append(float(backward))
        loads.append(float(load))
print('| layer | LabelSphere forward ms | PyTorch forward ms | ratio | LabelSphere backward ms | PyTorch backward ms | ratio |')
print('|---|---:|---:|---:|---:|---:|---:|')
total = defaultdict(float)
for layer, sides in times.items():
    (of, ob), (tf, tb) = [[statistics.median(v) for v in sides[s]] for s in ('labelsphere', 'pytorch')]
    total['of'] += of; total['ob'] += ob; total['tf'] += tf; total['tb'] += tb
    print(f'| {layer} | {of:.1f} | {tf:.1f} | {of / tf:.2f} | {ob:.1f} | {tb:.1f} | {ob / tb:.2f} |')
print(f"| **all layers** | {total['of']:.0f} | {total['tf']:.0f} | **{total['of'] / total['tf']:.2f}** | {total['ob']:.0f} | "
      f"{total['tb']:.0f} | **{total['ob'] / total['tb']:.2f}** |")
print(f'\nload average {min(loads):.1f}–{max(loads):.1f}')
