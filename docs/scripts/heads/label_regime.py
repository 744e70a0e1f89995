#!/usr/bin/python3
"""How many training examples each label has, as the class-weighted MAP@100 sees it.

    /usr/bin/python3 docs/scripts/heads/label_regime.py TRAIN [TRAIN ...]

TRAIN is a Mulan ARFF file (its label XML beside it), a long CSV `image,label` (emoji_split.py's train.csv) or an
Extreme Classification text file. For each: instances,
labels with at least one positive, the median positives per label, and the positives per label weighted by the class
weights of the class-weighted MAP@100 (training frequency clipped to [0.1/C, 10/C], docs/metrics.md), i.e. how many
examples the labels that carry the metric have.
"""
import csv
import glob
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402


def labels_of(path):
    if path.endswith('.arff'):
        xml = glob.glob(os.path.join(os.path.dirname(path), '*.xml'))
        if len(xml) != 1:
            raise SystemExit(f'{path}: expected one label XML beside it, found {len(xml)}')
        return R.read_arff(path, R.xml_labels(xml[0]))[1]
    if path.endswith('.csv'):
        with open(path, encoding='utf-8', newline='') as f:
            rows = list(csv.reader(f))[1:]
        images = {name: i for i, name in enumerate(sorted({r[0] for r in rows}))}
        labels = {name: j for j, name in enumerate(sorted({r[1] for r in rows}))}
        Y = np.zeros((len(images), len(labels)), np.uint8)
        for image, label in rows:
            Y[images[image], labels[label]] = 1
        return Y
    return R.read_xc(path)[1]


def main(paths):
    print('| training file | instances | labels (with a positive) | median positives per label | class-weighted mean positives per label |')
    print('|---|---|---|---|---|')
    for path in paths:
        Y = labels_of(path)
        counts = Y.sum(0).astype(np.float64)
        present = counts[counts > 0]
        w = R.class_weights(present, len(present))
        print(f'| {path} | {len(Y):,} | {len(present):,} | {np.median(present):.0f} | {(w * present).sum() / w.sum():.1f} |')


if __name__ == '__main__':
    main(sys.argv[1:])
