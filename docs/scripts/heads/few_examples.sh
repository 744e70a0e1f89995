#!/usr/bin/env bash
# few_examples.sh OUT: the heads on training sets cut to a share of their instances (every label with fewer examples),
# the test sets unchanged, as docs/results.md's "Where the label embedding pays" section ran them; then its tables.
# Run from the repository root; LABELSPHERE (default: the CLI's Release build) runs labelsphere.
#   TUNE=1 docs/scripts/heads/few_examples.sh OUT   also runs bibtex 10% and stackex_cooking 25% under the tuning grid.
set -euo pipefail
out=$1
ls=${LABELSPHERE:-dotnet src/LabelSphere.Cli/bin/Release/net10.0/LabelSphere.Cli.dll}
here=$(dirname "$0")
data=../shared/datasets
mkdir -p "$out"
[ -d "$out/bib0.1" ] || python3 "$here/../arff_subsample.py" $data/mulan/bibtex/bibtex-train.arff 0.1 --seed 0 --out "$out/bib0.1"
[ -d "$out/bib0.25" ] || python3 "$here/../arff_subsample.py" $data/mulan/bibtex/bibtex-train.arff 0.25 --seed 0 --out "$out/bib0.25"
[ -d "$out/corel0.25" ] || python3 "$here/../arff_subsample.py" $data/mulan/corel5k/Corel5k-train-sparse.arff 0.25 --seed 0 --out "$out/corel0.25"
[ -d "$out/del0.1" ] || python3 "$here/../arff_subsample.py" $data/mulan/delicious/delicious-train.arff 0.1 --seed 0 --out "$out/del0.1"
[ -d "$out/xc" ] || python3 "$here/../xc_split.py" $data/xc/stackex_cooking_data.txt --out "$out/xc"
[ -d "$out/cook0.25" ] || python3 "$here/../xc_split.py" "$out/xc/stackex_cooking_train_data.txt" --test 0.75 --out "$out/cook0.25"

run() { # folder train test k steps [tuned]
  local d=$1 train=$2 test=$3 k=$4 steps=$5 tuned=${6:-}
  [ -d "$d/emb" ] || $ls embed "$train" --dim "$k" --out "$d/emb" --json > /dev/null
  for s in 0 1 2; do
    if [ -n "$tuned" ]; then name=tuned-$s; extra=(--heads joint --tune-lr 3e-4,1e-3,3e-3 --tune-features none,tf-idf)
    else name=cmp-$s; extra=(--heads cosine-logit,joint); fi
    [ -f "$d/$name/results.md" ] && continue
    nice -n 5 $ls compare "$train" "$test" --embedding "$d/emb" "${extra[@]}" --steps "$steps" --eval-every 50 --schedule constant \
      --seed $s --out "$d/$name" --json > "$d/$name.json"
  done
  echo "## $d${tuned:+ (tuned)}"
  python3 "$here/../compare_seeds.py" "$d/${name%-*}-0" "$d/${name%-*}-1" "$d/${name%-*}-2"
}
run "$out/bib0.1" "$out/bib0.1/bibtex-train.arff" $data/mulan/bibtex/bibtex-test.arff 64 800
run "$out/bib0.25" "$out/bib0.25/bibtex-train.arff" $data/mulan/bibtex/bibtex-test.arff 64 800
run "$out/corel0.25" "$out/corel0.25/Corel5k-train-sparse.arff" $data/mulan/corel5k/Corel5k-test-sparse.arff 128 1000
run "$out/cook0.25" "$out/cook0.25/stackex_cooking_train_train_data.txt" "$out/xc/stackex_cooking_test_data.txt" 128 1000
run "$out/del0.1" "$out/del0.1/delicious-train.arff" $data/mulan/delicious/delicious-test.arff 256 1000
if [ -n "${TUNE:-}" ]; then
  run "$out/bib0.1" "$out/bib0.1/bibtex-train.arff" $data/mulan/bibtex/bibtex-test.arff 64 800 tuned
  run "$out/cook0.25" "$out/cook0.25/stackex_cooking_train_train_data.txt" "$out/xc/stackex_cooking_test_data.txt" 128 1000 tuned
fi
echo "## examples per label"
/usr/bin/python3 "$here/label_regime.py" $data/mulan/bibtex/bibtex-train.arff "$out/bib0.25/bibtex-train.arff" "$out/bib0.1/bibtex-train.arff" \
  $data/mulan/corel5k/Corel5k-train-sparse.arff "$out/corel0.25/Corel5k-train-sparse.arff" "$out/xc/stackex_cooking_train_data.txt" \
  "$out/cook0.25/stackex_cooking_train_train_data.txt" $data/mulan/delicious/delicious-train.arff "$out/del0.1/delicious-train.arff"
