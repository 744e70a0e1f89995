#!/usr/bin/env python3
"""Mean and spread over seeds of `labelsphere compare --json` outputs, one table row per model.

    python3 docs/scripts/heads/compare_table.py RUN-s0.json RUN-s1.json RUN-s2.json

Each file is what `compare ... --json` printed for one seed. For every model: the class-weighted MAP@100 of the
weights it kept (mean ± sample sd over the files, and each seed's), its first measurement, the setting the tuning grid
chose (when there was one), the step it first reaches the baseline's final score against the step the baseline first
reached it, and its gain over the baseline of the same seed.
"""
import json
import statistics
import sys


def score(point):
    return point['weightedPaperMap'] if point.get('weightedPaperMap') is not None else point['paperMap']


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    names = [m['name'] for m in runs[0]['models']]
    print(f'| model (n = {len(runs)}) | kept: mean ± sd | seeds | vs baseline | first measurement (step) | reaches baseline final / baseline reached it | setting chosen |')
    print('|---|---|---|---|---|---|---|')
    for name in names:
        models = [next(m for m in r['models'] if m['name'] == name) for r in runs]
        base = [r['models'][0] for r in runs]
        finals = [score(m['final']) for m in models]
        gains = [(score(m['final']) - score(b['final'])) / score(b['final']) for m, b in zip(models, base)]
        first = [score(m['convergence']['first']) for m in models]
        sd = statistics.stdev(finals) if len(finals) > 1 else 0.0
        reach = ', '.join(f"{m['convergence']['reachesBaseline'] or 'never'}/{m['convergence']['baselineReaches']}" for m in models)
        settings = '; '.join(str(m.get('setting')) for m in models) if any(m.get('setting') for m in models) else '-'
        gain = '-' if name == names[0] else f'{statistics.mean(gains):+.1%} ({", ".join(f"{g:+.1%}" for g in gains)})'
        print(f"| {name} | {statistics.mean(finals):.4f} ± {sd:.4f} | {' / '.join(f'{f:.4f}' for f in finals)} | {gain} | "
              f"{statistics.mean(first):.4f} ({models[0]['convergence']['first']['step']}) | {reach} | {settings} |")


if __name__ == '__main__':
    main(sys.argv[1:])
