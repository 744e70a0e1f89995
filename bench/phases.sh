# Sourced by the bench scripts: `phases_start OUT` opens OUT/phases.tsv, then `phase NAME COMMAND...` runs COMMAND,
# logs it to OUT/NAME.log and records its duration and the load average around it.
phases_start() {
    out=$1
    phases=$out/phases.tsv
    printf 'phase\tstart\tend\tseconds\tloadavg at start\tloadavg at end\n' > "$phases"
}
phase() {
    local name=$1 start load end
    shift
    start=$(date +%s) load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "== $name: $*"
    "$@" > "$out/$name.log" 2>&1 || { echo "$(basename "$0"): $name failed, see $out/$name.log" >&2; tail -20 "$out/$name.log" >&2; exit 1; }
    end=$(date +%s)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(date -d @"$start" +%T)" "$(date -d @"$end" +%T)" $((end - start)) \
        "$load" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$phases"
}
