#!/usr/bin/env bash
# Milliseconds of each layer of the small CNN, forward and backward, LabelSphere's libtorch against PyTorch on the same
# shapes, threads and oneDNN instruction set limit, the two sides alternating layer by layer in this one invocation (the
# PyTorch side is a child process of the .NET one); writes OUT/layer_step.tsv and OUT/layers.md.
#
#   bench/layer_step.sh [OUT] [THREADS] [ROUNDS] [-- MORE OPTIONS]   defaults: artifacts/bench-layers 2 3
#
# MORE OPTIONS of `layer-step`: --reps R (passes per measurement, 5), --channels-last (NHWC inputs on both sides),
# --ours-channels-last (on LabelSphere's side only), --peer-isa ISA (another oneDNN limit for the peer).
# The oneDNN limit is LabelSphere's (AVX2) unless ONEDNN_MAX_CPU_ISA is set before starting (ALL lifts it); the peer
# gets the same. Needs the .NET 10 SDK and Debian's python3-torch, run with Debian's interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bench-layers}
threads=${2:-2}
rounds=${3:-3}
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
python=/usr/bin/python3
project=bench/LabelSphere.Benchmarks

if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "layer_step.sh: $python lacks torch; apt-get install -y python3-torch" >&2
    exit 1
fi
mkdir -p "$out"
. bench/phases.sh
phases_start "$out"

phase build dotnet build -c Release "$project" --nologo
phase layers dotnet run -c Release --no-build --project "$project" -- layer-step --threads "$threads" --rounds "$rounds" \
    --python "$python" "$@"
grep -P '^\d+\t' "$out/layers.log" > "$out/layer_step.tsv"
"$python" bench/peer/layer_step_report.py "$out/layer_step.tsv" > "$out/layers.md"
grep '^layer-step:' "$out/layers.log"
cat "$out/layers.md" "$phases"
