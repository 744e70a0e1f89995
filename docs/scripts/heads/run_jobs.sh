#!/usr/bin/env bash
# run_jobs.sh JOBS: runs each line of JOBS (an output name, then reference.py's arguments) two at a time (RUN_JOBS_PARALLEL
# at a time when set), from the repository root, into out/heads-reference/runs/NAME.json; a run whose output exists is skipped.
set -euo pipefail
here=$(dirname "$0")
mkdir -p out/heads-reference/runs out/heads-reference/logs
grep -v '^#' "$1" | grep -v '^$' | xargs -P "${RUN_JOBS_PARALLEL:-2}" -L 1 bash -c 'name=$0; [ -f out/heads-reference/runs/$name.json ] && exit 0;
  /usr/bin/python3 '"$here"'/reference.py "$@" --out out/heads-reference/runs/$name.json > out/heads-reference/logs/$name.log 2>&1'
