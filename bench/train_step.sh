#!/usr/bin/env bash
# Examples per second of training steps, LabelSphere's trainer against the same models in PyTorch, on the same data and
# thread count, the two sides alternating repetition by repetition in this one invocation (the PyTorch side is a child
# process of the .NET one); writes OUT/train_step.tsv, OUT/ratios.md and the phases' load.
#
#   bench/train_step.sh [OUT] [THREADS] [REPS] [CONFIGS]   defaults: artifacts/bench-train 2 2 all
#
# CONFIGS is a comma-separated list among mlp-sigmoid-17355, mlp-embedding-17355, mlp-sigmoid-1000,
# mlp-embedding-1000, cnn-sigmoid-17355, cnn-embedding-17355, cnn-sigmoid-1000, cnn-embedding-1000. More options of
# `train-step` (--warmup W, --steps S: steps per repetition for every configuration) go in $TRAIN_STEP_ARGS.
# Needs the .NET 10 SDK and Debian's python3-torch, run with Debian's interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bench-train}
threads=${2:-2}
reps=${3:-2}
configs=${4:-}
python=/usr/bin/python3
project=bench/LabelSphere.Benchmarks

if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
    echo "train_step.sh: $python lacks torch/numpy; apt-get install -y python3-torch python3-numpy" >&2
    exit 1
fi
mkdir -p "$out"
. bench/phases.sh
phases_start "$out"

phase build dotnet build -c Release "$project" --nologo
phase steps dotnet run -c Release --no-build --project "$project" -- train-step --threads "$threads" --reps "$reps" \
    --python "$python" --work "$out/data" ${configs:+--configs "$configs"} ${TRAIN_STEP_ARGS:-}
grep -v '^train-step:' "$out/steps.log" | grep -P '^\S+\t\S+\t\d' > "$out/train_step.tsv" || true
"$python" bench/peer/train_step_report.py "$out/train_step.tsv" > "$out/ratios.md"
cat "$out/ratios.md" "$phases"
