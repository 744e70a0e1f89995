#!/usr/bin/env bash
# `labelsphere embed` at the paper's scale against its Python peer, both in this one invocation, one after the
# other: the generate embedding preset (17,355 labels, 2.8M instances), k leading eigenpairs, wall time and peak RSS
# of each side by /usr/bin/time -v, and the largest error of LabelSphere's leading eigenvalues relative to λ₁ against
# the peer's. The peer is scipy counting + ARPACK `eigsh` on the sparse PMI (PEER=eigsh, the default) or numpy's
# dense `eigh` (PEER=eigh, every eigenpair).
#
#   bench/embed_scale.sh K [OUT]              e.g. bench/embed_scale.sh 256; PEER=eigh bench/embed_scale.sh 4096
#
# OUT defaults to artifacts/scale; the Markdown rows are appended to OUT/results.md. Extra `embed` options go in
# EMBED_ARGS (e.g. EMBED_ARGS="--solver exact"). Needs the .NET 10 SDK and Debian's /usr/bin/python3 with numpy and scipy.
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:?usage: bench/embed_scale.sh K [OUT]}
out=${2:-artifacts/scale}
peer=${PEER:-eigsh}
python=/usr/bin/python3
cli=src/LabelSphere.Cli/bin/Release/net10.0/LabelSphere.Cli
mkdir -p "$out"
dotnet build -c Release src/LabelSphere.Cli --nologo > "$out/build.log" 2>&1 || { tail -20 "$out/build.log" >&2; exit 1; }
data=$out/paper/train_data.txt
[ -f "$data" ] || "$cli" generate --preset embedding --out "$out/paper" > "$out/generate.log"

run="$out/k$k-$peer"
rm -rf "$run" && mkdir -p "$run"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086
/usr/bin/time -v -o "$run/labelsphere.time" "$cli" embed "$data" --dim "$k" --out "$run/embedding" --json ${EMBED_ARGS:-} > "$run/labelsphere.json"
load_middle=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -v -o "$run/peer.time" "$python" bench/peer/embed_peer.py "$data" "$k" "$peer" "$run/peer.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$python" - "$run" "$k" "$peer" "$load_before" "$load_middle" "$load_after" "${EMBED_ARGS:-}" >> "$out/results.md" <<'PY'
import json, re, sys
import numpy as np
run, k, peer, before, middle, after, extra = sys.argv[1:8]

def timed(path):
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) * 1024
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    return seconds, user, rss

ls_seconds, ls_user, ls_rss = timed(f"{run}/labelsphere.time")
peer_seconds, peer_user, peer_rss = timed(f"{run}/peer.time")
summary = json.load(open(f"{run}/labelsphere.json"))
ours = np.load(f"{run}/embedding/eigenvalues.npy")
theirs = np.array(json.load(open(f"{run}/peer.json"))["eigenvalues"])
error = np.max(np.abs(ours - theirs)) / abs(theirs[0])
plan = summary["plan"]
print(f"| {k} | {plan['storage']}, {plan['solver']}{' (' + extra + ')' if extra else ''} | {ls_seconds:.1f} s ({ls_user:.1f} s user) | {ls_rss / 2**30:.2f} GiB "
      f"| {peer} | {peer_seconds:.1f} s ({peer_user:.1f} s user) | {peer_rss / 2**30:.2f} GiB | **{ls_seconds / peer_seconds:.2f}** "
      f"| **{ls_rss / peer_rss:.2f}** | {error:.1e} | {before} / {middle} / {after} |")
PY
tail -1 "$out/results.md"
