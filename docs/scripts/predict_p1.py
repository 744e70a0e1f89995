# P@1 of `predict --top 1` output against COCO instance annotations: python3 predict_p1.py instances_val2017.json predict.tsv...
import csv, json, sys
coco = json.load(open(sys.argv[1]))
names = {c['id']: c['name'] for c in coco['categories']}
files = {i['id']: i['file_name'] for i in coco['images']}
truth = {}
for a in coco['annotations']: truth.setdefault(files[a['image_id']], set()).add(names[a['category_id']])
for path in sys.argv[2:]:
    rows = [r for r in csv.DictReader(open(path), delimiter='\t') if r['rank'] == '1']
    hits = sum(r['label'] in truth.get(r['instance'], ()) for r in rows)
    top = {}
    for r in rows: top[r['label']] = top.get(r['label'], 0) + 1
    print(path, f"P@1 {hits}/{len(rows)} = {hits/len(rows):.4f}", sorted(top.items(), key=lambda kv: -kv[1])[:5])
