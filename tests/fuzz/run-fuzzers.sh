#!/usr/bin/env bash
# Fuzz each target for FUZZ_SECONDS (default 10) from its seed corpus and
# dictionary; print one TAP result for the whole run, with each target's
# executions, speed and coverage as diagnostics, and on stderr (which meson
# shows for a failed test) the end of the log of a target that failed.
#   run-fuzzers.sh SRCDIR BUILDDIR TARGET...
# Inputs found along the way are kept in BUILDDIR/corpus-TARGET (the next
# run starts from them too); a crashing input goes to
# BUILDDIR/artifacts/TARGET-crash-*, and libFuzzer prints it in the log.
set -uo pipefail
src=$1 build=$2
shift 2
secs=${FUZZ_SECONDS:-10}
failed=()
# libFuzzer reads -max_total_time=0 as "no limit": 0 here is the corpus only.
if [ "$secs" -gt 0 ]; then
    limit=(-max_total_time="$secs")
else
    limit=(-runs=0)
fi

echo "1..1"
mkdir -p "$build/artifacts"
for t in "$@"; do
    work=$build/corpus-$t log=$build/fuzz-$t.log
    mkdir -p "$work"
    # -timeout: one input taking longer is a hang; -rss_limit_mb: and one
    # that needs more memory than this (ASan's quarantine included) is a
    # leak or a blow-up.
    "$build/fuzz-$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -dict="$src/$t.dict" -artifact_prefix="$build/artifacts/$t-" \
        "$work" "$src/corpus-$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    corp=$(find "$work" -type f | wc -l)
    echo "# $t: ${runs:-?} runs in ${secs}s (${speed:-?}/s), ${cov:-no coverage}, corpus $corp"
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        echo "# $t: libFuzzer exited with $rc; see $log"
        {
            echo "==> $t: libFuzzer exited with $rc; the end of $log:"
            tail -n 40 "$log"
        } >&2
    fi
done

if [ ${#failed[@]} -eq 0 ]; then
    echo "ok 1 - fuzzed $* for ${secs}s each"
else
    echo "not ok 1 - fuzzing found a problem in: ${failed[*]}"
    exit 1
fi
