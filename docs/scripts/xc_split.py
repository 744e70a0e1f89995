#!/usr/bin/env python3
"""Seeded instance-level split of an Extreme Classification text file into train and test files.

The input is PREFIX_data.txt: a first line 'N F L' (instances, features, labels), then N lines 'labels features'.
Each output keeps F and L (label and feature ids are unchanged) and states its own instance count; instances keep
their order. LabelSphere finds label names in PREFIX_labels.txt beside PREFIX_data.txt, so the names file (and the
feature names file, if any) is copied beside each output. The held-out instances are the first round(N * test)
of range(N) shuffled by Python's random.Random(seed): the same input, share and seed give the same files.

    python3 docs/scripts/xc_split.py ../shared/datasets/xc/stackex_cooking_data.txt --out /tmp/xc
    # writes /tmp/xc/stackex_cooking_train_data.txt, _train_labels.txt, _test_data.txt, _test_labels.txt, ...
"""
import argparse
import os
import random
import shutil
import sys

SUFFIX = '_data.txt'


def read(path):
    with open(path, encoding='utf-8', newline='') as f:
        header = f.readline()
        fields = header.split()
        if len(fields) != 3 or not all(x.isdigit() for x in fields):
            sys.exit(f'{path}:1: expected a header "N F L" (three non-negative integers), got {header.strip()!r}')
        n, features, labels = map(int, fields)
        # Only the line ending is removed: a line starting with a space (no labels) or a blank line is an instance.
        lines = [line.rstrip('\r\n') for line in f]
    if len(lines) != n:
        sys.exit(f'{path}: the header announces {n} instances but {len(lines)} lines follow')
    return features, labels, lines


def split(n, test_share, seed):
    """Sorted train and test instance indices: round(n * test_share) held out after a seeded shuffle."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    held = round(n * test_share)
    if held == 0 or held == n:
        sys.exit(f'--test {test_share} of {n} instances leaves {"no test" if held == 0 else "no training"} instances')
    return sorted(order[held:]), sorted(order[:held])


def write(path, features, labels, lines):
    temporary = path + '.tmp'
    with open(temporary, 'w', encoding='utf-8', newline='\n') as f:
        f.write(f'{len(lines)} {features} {labels}\n')
        for line in lines:
            f.write(line + '\n')
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('data', help='Extreme Classification text file, named PREFIX_data.txt')
    parser.add_argument('--out', required=True, help='output folder (created if absent)')
    parser.add_argument('--test', type=float, default=0.2, help='share of the instances held out for testing (default 0.2)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the shuffle (default 0)')
    args = parser.parse_args()
    if not 0 < args.test < 1:
        sys.exit(f'--test must be between 0 and 1, got {args.test}')
    name = os.path.basename(args.data)
    if not name.endswith(SUFFIX):
        sys.exit(f'{args.data}: expected a file named PREFIX{SUFFIX}, beside which PREFIX_labels.txt holds the label names')
    prefix = name[:-len(SUFFIX)]
    source = os.path.dirname(os.path.abspath(args.data))
    if os.path.abspath(args.out) == source:
        sys.exit(f'--out {args.out} is the input folder; write the split elsewhere')

    features, labels, lines = read(args.data)
    train, test = split(len(lines), args.test, args.seed)
    os.makedirs(args.out, exist_ok=True)
    for part, rows in (('train', train), ('test', test)):
        write(os.path.join(args.out, f'{prefix}_{part}{SUFFIX}'), features, labels, [lines[i] for i in rows])
        for names in ('labels', 'features'):
            names_path = os.path.join(source, f'{prefix}_{names}.txt')
            if os.path.exists(names_path):
                shutil.copyfile(names_path, os.path.join(args.out, f'{prefix}_{part}_{names}.txt'))
    print(f'{len(lines)} instances: {len(train)} train, {len(test)} test ({prefix}_train{SUFFIX}, {prefix}_test{SUFFIX} in {args.out})')


if __name__ == '__main__':
    main()
