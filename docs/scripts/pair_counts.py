"""The counts file of a new label defined as two labels together, from a Mulan ARFF (docs/deploy.md's POST /labels).

usage: pair_counts.py DATA.arff LABEL_A LABEL_B NEW_NAME > counts.json

The new label is carried by the instances that carry both LABEL_A and LABEL_B; its count is theirs, and its
co-occurrence with every label is how many of them carry that label. Printed as the JSON body of POST /labels
({"label": NEW_NAME, "counts": {...}}); labels it never meets are left out (they count 0).
"""
import json
import sys

path, a, b, name = sys.argv[1:5]
attributes, rows, data = [], [], False
with open(path, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if not line or line.startswith("%"):
            continue
        if not data:
            if line.lower().startswith("@attribute"):
                attributes.append(line.split()[1])
            elif line.lower().startswith("@data"):
                data = True
            continue
        # Sparse rows: {index value, ...}; only the label columns (TAG_...) matter here.
        cells = line.strip("{}").split(",")
        rows.append({attributes[int(c.split()[0])] for c in cells if c.strip() and c.split()[1] != "0"})
labels = [x for x in attributes if x.startswith("TAG_")]
both = [r for r in rows if a in r and b in r]
counts = {name: len(both)}
for label in labels:
    n = sum(label in r for r in both)
    if n:
        counts[label] = n
json.dump({"label": name, "counts": counts}, sys.stdout)
print()
