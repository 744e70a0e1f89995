"""Pair counts of a long CSV (`image,label`) made by SQLite running docs/sql/cooccurrence.sql: an independent count
for the pair-counts file `embed` reads (tests/LabelSphere.Tests/TestData/sql/).

usage: sql_counts.py ANNOTATIONS.csv OUT.csv [--make-fixture]

With --make-fixture, ANNOTATIONS.csv is first written: 400 instances over 30 labels drawn with a fixed seed (label
popularity skewed, labels of an instance correlated by topic), one label name holding a comma and one a quote.
"""
import csv
import pathlib
import random
import sqlite3
import sys

annotations, out = sys.argv[1], sys.argv[2]
if "--make-fixture" in sys.argv:
    rng = random.Random(7)
    names = [f"tag{i:02d}" for i in range(28)] + ["red, white", 'say "cheese"']
    with open(annotations, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["image", "label"])
        for i in range(400):
            topic = rng.randrange(5)
            members = [names[j] for j in range(len(names)) if j % 5 == topic]
            size = 1 + min(int(rng.expovariate(0.6)), 5)
            chosen = {rng.choice(members) if rng.random() < 0.7 else rng.choice(names[: 10 + 3 * topic]) for _ in range(size)}
            for label in sorted(chosen, key=names.index):
                w.writerow([f"img{i:03d}", label])

db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE annotations (instance_id TEXT, label TEXT)")
with open(annotations, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))[1:]
db.executemany("INSERT INTO annotations VALUES (?, ?)", rows)
db.execute("CREATE TABLE instances AS SELECT DISTINCT instance_id FROM annotations")
query = (pathlib.Path(__file__).parent.parent / "sql" / "cooccurrence.sql").read_text()
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["label_a", "label_b", "count"])
    w.writerows(db.execute(query))
