#!/usr/bin/env bash
# Runs LabelSphere's BenchmarkDotNet suite and the Python peer on the same synthetic data, one after the other in
# this one invocation, and writes one Markdown table comparing them (docs/benchmarks.md quotes it).
#
#   bench/run.sh [OUT]        OUT defaults to artifacts/bench; the table is OUT/benchmarks.md
#
# Needs the .NET 10 SDK and Debian's Python stack, run with Debian's interpreter (not a pyenv python3):
#   apt-get install -y python3-numpy python3-scipy python3-sklearn python3-torch libopenblas0-pthread
# Without libopenblas0-pthread, Debian's numpy falls back to the single-threaded reference BLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bench}
data=$out/data
python=/usr/bin/python3
project=bench/LabelSphere.Benchmarks

if ! "$python" -c 'import numpy, scipy, sklearn, torch, threadpoolctl' 2>/dev/null; then
    echo "run.sh: $python lacks numpy/scipy/sklearn/torch; apt-get install -y python3-numpy python3-scipy python3-sklearn python3-torch libopenblas0-pthread" >&2
    exit 1
fi
rm -rf "$out/bdn" "$out/bdn-passive" && mkdir -p "$data"
. bench/phases.sh
phases_start "$out"

phase build dotnet build -c Release "$project" --nologo
phase generate dotnet run -c Release --no-build --project "$project" -- generate "$data"
phase reference dotnet run -c Release --no-build --project "$project" -- reference "$data"
phase csharp dotnet run -c Release --no-build --project "$project" -- \
    --filter 'LabelSphere.Benchmarks.*' --exporters json --artifacts "$out/bdn"
phase peer "$python" bench/peer/peer.py "$data" --out "$out/peer.json"
# libtorch's OpenMP threads spin while they wait for work; on a busy machine that costs the eigensolvers dearly.
# The same eigen benchmarks with passive waiting tell how much of their time that is.
phase csharp-passive dotnet run -c Release --no-build --project "$project" -- \
    --filter 'LabelSphere.Benchmarks.EigenBenchmarks.*' --envVars OMP_WAIT_POLICY:PASSIVE --exporters json --artifacts "$out/bdn-passive"
"$python" bench/peer/report.py --bdn "$out/bdn/results" --passive "$out/bdn-passive/results" --peer "$out/peer.json" \
    --csharp-env "$data/csharp-env.json" --phases "$phases" > "$out/benchmarks.md"
cat "$out/benchmarks.md"
