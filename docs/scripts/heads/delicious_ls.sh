#!/usr/bin/env bash
# delicious in LabelSphere, three seeds, the fair protocol at today's defaults (--validation 0.1 --keep best and the
# joint head's fitted mix are compare's defaults), constant rate, 2,000 steps measured every 100; the delicious
# table of docs/results.md (docs/scripts/compare_seeds.py prints it). From the repository root:
#   docs/scripts/heads/delicious_ls.sh [labelsphere binary]
set -euo pipefail
ls=${1:-src/LabelSphere.Cli/bin/Debug/net10.0/LabelSphere.Cli}
d=../shared/datasets/mulan/delicious
mkdir -p out/ls-delicious
[ -f out/ls-delicious/emb-del/manifest.json ] || "$ls" embed $d/delicious-train.arff --dim 256 --out out/ls-delicious/emb-del
for s in 0 1 2; do
  [ -f out/ls-delicious/del-$s/curves.csv ] && continue
  "$ls" compare $d/delicious-train.arff $d/delicious-test.arff --embedding out/ls-delicious/emb-del --steps 2000 \
    --eval-every 100 --schedule constant --seed $s --threads 1 --json --heads sigmoid,embedding,cosine-logit,joint \
    --out out/ls-delicious/del-$s > out/ls-delicious/del-$s.json
done
/usr/bin/python3 docs/scripts/compare_seeds.py out/ls-delicious/del-0 out/ls-delicious/del-1 out/ls-delicious/del-2
# Raw inputs (--features none), the inputs validation picks for the sigmoid in the PyTorch reference: the tuned baseline.
for s in 0 1 2; do
  [ -f out/ls-delicious/del-raw3-$s/curves.csv ] && continue
  "$ls" compare $d/delicious-train.arff $d/delicious-test.arff --embedding out/ls-delicious/emb-del --steps 2000 \
    --eval-every 100 --schedule constant --seed $s --threads 1 --json --heads sigmoid,cosine-logit,joint --features none \
    --out out/ls-delicious/del-raw3-$s > out/ls-delicious/del-raw3-$s.json
done
/usr/bin/python3 docs/scripts/compare_seeds.py out/ls-delicious/del-raw3-0 out/ls-delicious/del-raw3-1 out/ls-delicious/del-raw3-2
