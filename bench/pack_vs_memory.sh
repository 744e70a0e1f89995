#!/usr/bin/env bash
# Examples per second of `train` on the same synthetic data in memory and from packs (docs/scale.md, "Training data
# larger than memory"): the three runs alternate, in an order that rotates every round, in this one invocation, each
# under /usr/bin/time -v; writes DIR/results.txt (round, data, load average before the run, examples/s, wall, peak RSS).
#
#   bench/pack_vs_memory.sh DIR [ROUNDS]   default 4 rounds
#
# DIR holds (made once, as docs/scale.md says): g1mtext/ (generate --instances 1000000 --feature-dim 64), p1m/ (pack of
# g1mtext/train_data.txt) and g10m/ (generate --instances 10000000 --feature-dim 64 --pack). Uses the Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
labelsphere=$PWD/src/LabelSphere.Cli/bin/Release/net10.0/LabelSphere.Cli
dir=${1:?usage: bench/pack_vs_memory.sh DIR [ROUNDS]}
rounds=${2:-4}
args=(--head sigmoid --validation 0 --steps 200 --batch-size 128 --checkpoint-every 0 --seed 0 --json)
orders=("mem p1m p10m" "p10m mem p1m" "p1m p10m mem" "mem p10m p1m" "p1m mem p10m" "p10m p1m mem")
cd "$dir"
for r in $(seq 1 "$rounds"); do
  for d in ${orders[$(( (r - 1) % 6 ))]}; do
    case $d in mem) data=g1mtext/train_data.txt;; p1m) data=p1m;; p10m) data=g10m/train;; esac
    run=run-$d-$r
    rm -rf "$run"
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -v -o "$d-$r.time" "$labelsphere" train "$data" --out "$run" "${args[@]}" > "$d-$r.json"
    eps=$(grep '"examplesPerSecond"' "$d-$r.json" | tr -dc '0-9.')
    echo "$r $d load[$load] eps $eps wall $(grep Elapsed "$d-$r.time" | awk '{print $NF}') rss_kB $(grep Maximum "$d-$r.time" | awk '{print $NF}')" >> results.txt
    rm -rf "$run"
  done
done
