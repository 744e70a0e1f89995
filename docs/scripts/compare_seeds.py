# Mean and sample sd over seeds of `compare --json` runs (each <out>.json beside its <out> folder): python3 compare_seeds.py cmp-emoji-r18-0 cmp-emoji-r18-1 cmp-emoji-r18-2
# Prints per model: first measurement, step 100, final, mean ± sd, P@1 mean ± sd, kept step, best (step), reaches, baseline reaches, both ratios, ends below, relative,
# and, for runs with a tuning grid (compare --tune-*), the setting each seed chose.
import csv, json, statistics, sys, os
runs = sys.argv[1:]
models = {}
for run in runs:
    d = json.load(open(run + '.json'))
    curves = {}
    for r in csv.DictReader(open(os.path.join(run, 'curves.csv'))):
        curves[(r['model'], int(r['step']))] = r
    for m in d['models']:
        c = m['convergence']
        row = models.setdefault(m['name'], [])
        row.append(dict(final=m['final']['weightedPaperMap'], p1=m['final']['precisionAt1'], kept=m['keptStep'],
                        first=c['first']['weightedPaperMap'], firstStep=c['first']['step'],
                        s100=float(curves[(m['name'], 100)]['map100_paper_weighted']),
                        best=c['best']['weightedPaperMap'], bestStep=c['best']['step'],
                        reaches=c['reachesBaseline'], baseReaches=c['baselineReaches'], baseLast=c['baselineLastStep'],
                        r1=c['ratioToBaselineReach'], r2=c['ratioToBaselineLast'], below=c['endsBelow'], rel=c['relative'],
                        setting=m.get('setting')))
def ms(xs): return f"{statistics.mean(xs):.4f} ± {statistics.stdev(xs):.4f}" if len(xs) > 1 else f"{xs[0]:.4f}"
for name, rows in models.items():
    j = lambda k, f='{:.4f}': ' / '.join(f.format(r[k]) if r[k] is not None else '—' for r in rows)
    print(f"| {name} | {j('first')} | {j('s100')} | {j('final')} | {ms([r['final'] for r in rows])} | {ms([r['p1'] for r in rows])} | {j('kept','{}')} | {j('best')} ({j('bestStep','{}')}) | {j('reaches','{}')} | {j('baseReaches','{}')} | {j('r1','{:.1f}')} | {j('r2','{:.1f}')} | {j('below','{}')} | {j('rel','{:+.3f}')} |" +
          (f" {'; '.join(str(r['setting']) for r in rows)} |" if any(r['setting'] for r in rows) else ""))
