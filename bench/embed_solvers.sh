#!/usr/bin/env bash
# LabelSphere's sparse eigensolvers against each other at the paper's scale, in one invocation, one after the other:
# for every k and every solver, `labelsphere embed --dim K --solver S --storage sparse` on the generate embedding
# preset, its wall time, user CPU and peak RSS by /usr/bin/time, and the largest error of its eigenvalues relative to
# λ₁ against a reference (numpy's dense `eigh`, the peer.json that `PEER=eigh bench/embed_scale.sh 4096` writes).
#
#   bench/embed_solvers.sh REFERENCE_JSON [OUT]      e.g. bench/embed_solvers.sh artifacts/scale/k4096-eigh/peer.json
#
# KS (default "256 1024") and SOLVERS (default "lanczos chebyshev") choose the runs. OUT defaults to artifacts/scale,
# whose paper/ preset bench/embed_scale.sh generates; the Markdown rows are appended to OUT/solvers.md.
# Needs the .NET 10 SDK and Debian's /usr/bin/python3 with numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
reference=${1:?usage: bench/embed_solvers.sh REFERENCE_JSON [OUT]}
out=${2:-artifacts/scale}
cli=src/LabelSphere.Cli/bin/Release/net10.0/LabelSphere.Cli
data=$out/paper/train_data.txt
[ -f "$data" ] || { echo "no $data: run bench/embed_scale.sh first, which generates it" >&2; exit 1; }
dotnet build -c Release src/LabelSphere.Cli --nologo > "$out/build.log" 2>&1 || { tail -20 "$out/build.log" >&2; exit 1; }
for k in ${KS:-256 1024}; do
  for solver in ${SOLVERS:-lanczos chebyshev}; do
    run="$out/solvers/k$k-$solver"
    rm -rf "$run" && mkdir -p "$run"
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -f "%e %U %M" -o "$run/time" "$cli" embed "$data" --dim "$k" --solver "$solver" --storage sparse \
      --out "$run/embedding" > /dev/null
    /usr/bin/python3 - "$run" "$k" "$solver" "$reference" "$load" >> "$out/solvers.md" <<'PY'
import json, sys
import numpy as np
run, k, solver, reference, load = sys.argv[1:6]
wall, user, peak = open(run + "/time").read().split()
values = np.load(run + "/embedding/eigenvalues.npy")
truth = np.array(json.load(open(reference))["eigenvalues"])[:int(k)]
error = np.max(np.abs(values - truth)) / truth[0]
print(f"| {k} | {solver} | {float(wall):.1f} s | {float(user):.1f} s | {int(peak) / 2**20:.2f} GiB | {error:.1e} | {load} |")
PY
    tail -1 "$out/solvers.md"
  done
done
