# Seeded image-level split of the emoji keywords: 10% of the images held out.
import csv, random
rows = list(csv.reader(open('/work/shared/datasets/emoji/labels.csv')))
header, rows = rows[0], rows[1:]
images = sorted({r[0] for r in rows})
random.Random(0).shuffle(images)
held = set(images[:round(len(images) * 0.1)])
for name, keep in (('train.csv', lambda r: r[0] not in held), ('test.csv', lambda r: r[0] in held)):
    with open(name, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n'); w.writerow(header); w.writerows(r for r in rows if keep(r))
print(len(images), len(images) - len(held), len(held))
