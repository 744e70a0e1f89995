#!/usr/bin/env python3
"""Seeded subsample of the instances of a Mulan ARFF file (header and label XML unchanged).

Keeps round(N * share) of the N data lines, chosen by Python's random.Random(seed), in their original order, and
copies the label XML beside the output so that LabelSphere finds it. Used by docs/results.md to ask how the heads
compare when every label has fewer training examples.

    python3 docs/scripts/arff_subsample.py ../shared/datasets/mulan/bibtex/bibtex-train.arff 0.1 --seed 0 --out /tmp/bib10
    # writes /tmp/bib10/bibtex-train.arff and /tmp/bib10/bibtex.xml
"""
import argparse
import glob
import os
import random
import shutil
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('arff')
    ap.add_argument('share', type=float)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    if not 0 < a.share <= 1:
        sys.exit(f'share: {a.share} is not in (0, 1]')
    with open(a.arff, encoding='utf-8', newline='') as f:
        lines = f.readlines()
    at = next((i for i, line in enumerate(lines) if line.strip().lower() == '@data'), None)
    if at is None:
        sys.exit(f'{a.arff}: no @data line')
    data = [i for i in range(at + 1, len(lines)) if lines[i].strip() and not lines[i].lstrip().startswith('%')]
    keep = set(random.Random(a.seed).sample(data, round(len(data) * a.share)))
    os.makedirs(a.out, exist_ok=True)
    out = os.path.join(a.out, os.path.basename(a.arff))
    if os.path.abspath(out) == os.path.abspath(a.arff):
        sys.exit('--out: the output would replace the input')
    with open(out, 'w', encoding='utf-8', newline='') as f:
        f.writelines(lines[:at + 1])
        f.writelines(lines[i] for i in range(at + 1, len(lines)) if i in keep)
    for xml in glob.glob(os.path.join(os.path.dirname(a.arff), '*.xml')):
        shutil.copy(xml, a.out)
    print(f'{out}: {len(keep)} of {len(data)} instances')


if __name__ == '__main__':
    main()
