#!/usr/bin/env bash
# grid_ls.sh OUT SET...: LabelSphere's fair protocol in one command per seed: the sigmoid baseline and the joint head,
# each tuned on the validation split over the same grid (learning rate 3e-4, 1e-3, 3e-3 × feature scaling none, tf-idf),
# three seeds, as docs/results.md's "Tuning every side alike" section ran them; then the table (compare_seeds.py).
# SET: bibtex (k = 64), enron, medical (k = the embedding's default: every label). Run from the repository root;
# LABELSPHERE (default: the CLI's Release build) runs labelsphere.
set -euo pipefail
out=$1; shift
ls=${LABELSPHERE:-dotnet src/LabelSphere.Cli/bin/Release/net10.0/LabelSphere.Cli.dll}
here=$(dirname "$0")
m=../shared/datasets/mulan
mkdir -p "$out"
for set in "$@"; do
  case $set in
    bibtex) train=$m/bibtex/bibtex-train.arff; test=$m/bibtex/bibtex-test.arff; dim=(--dim 64);;
    enron) train=$m/enron/enron-train.arff; test=$m/enron/enron-test.arff; dim=();;
    medical) train=$m/medical/medical-train.arff; test=$m/medical/medical-test.arff; dim=();;
    *) echo "grid_ls.sh: unknown set $set (bibtex, enron, medical)" >&2; exit 2;;
  esac
  [ -d "$out/emb-$set" ] || $ls embed "$train" "${dim[@]}" --out "$out/emb-$set" --json > /dev/null
  for s in 0 1 2; do
    [ -f "$out/$set-$s/results.md" ] && continue
    nice -n 5 $ls compare "$train" "$test" --embedding "$out/emb-$set" --heads joint --steps 1200 --eval-every 100 --schedule constant --seed $s \
      --tune-lr 3e-4,1e-3,3e-3 --tune-features none,tf-idf --out "$out/$set-$s" --json > "$out/$set-$s.json"
  done
  echo "## $set"
  python3 "$here/../compare_seeds.py" "$out/$set-0" "$out/$set-1" "$out/$set-2"
done
