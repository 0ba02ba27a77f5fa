#!/usr/bin/env bash
# The whole test suite, as root: installs what it needs, builds, and runs
#   1. every meson test of the normal build (unit, root integration, and the
#      valgrind runs of the unit tests and of supervisor scenarios);
#   2. the root integration tests again against an ASan+UBSan build;
#   3. the fuzz targets of tests/fuzz, built with clang and libFuzzer, each
#      fuzzed for FUZZ_SECONDS (30): one test, failed by any crash;
#   4. every root test again on a pure cgroup v2 host: a QEMU guest booted
#      once by scripts/test-vm.sh (this host may be hybrid v1, as CI's is).
# Ends with one line "N passed, N failed[, N skipped]" counting TAP subtests
# of all four; exits non-zero if anything failed. SANITIZE=0 skips step 2,
# FUZZ=0 step 3, VM=0 step 4.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test
jobs=${JOBS:-2}
status=0
logs=()

build() { # DIR [meson options...]
    local dir=$1
    shift
    [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
    meson compile -C "$dir" >/dev/null
}

echo "==> build"
build build
set +e
meson test -C build --print-errorlogs --num-processes "$jobs" "$@"
status=$((status | $?))
set -e
logs+=(build/meson-logs/testlog.json)

if [ "${SANITIZE:-1}" != 0 ]; then
    echo "==> build-asan (AddressSanitizer + UndefinedBehaviorSanitizer)"
    build build-asan -Db_sanitize=address,undefined -Db_lundef=false
    set +e
    meson test -C build-asan --print-errorlogs --num-processes "$jobs" --suite integration "$@"
    status=$((status | $?))
    set -e
    logs+=(build-asan/meson-logs/testlog.json)
fi

if [ "${FUZZ:-1}" != 0 ]; then
    echo "==> build-fuzz (libFuzzer + ASan + UBSan): each target for ${FUZZ_SECONDS:-30}s"
    [ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz >/dev/null
    meson compile -C build-fuzz fuzz-request fuzz-config >/dev/null
    set +e
    FUZZ_SECONDS=${FUZZ_SECONDS:-30} meson test -C build-fuzz --no-rebuild --print-errorlogs \
        --suite fuzz-run
    status=$((status | $?))
    set -e
    logs+=(build-fuzz/meson-logs/testlog.json)
fi

tap=()
if [ "${VM:-1}" != 0 ]; then
    echo "==> the root suite on a pure cgroup v2 host (QEMU, software emulation)"
    scripts/test-vm.sh build/vm-tap.log >/dev/null
    grep -E '^(not ok|#### corral-test)' build/vm-tap.log || true
    tap=(--tap build/vm-tap.log)
fi

# meson's own summary is not the project's: count TAP subtests.
summary=$(python3 scripts/count-tests.py "${logs[@]}" "${tap[@]}")
case "$summary" in
*" 0 failed"*) ;;
*) status=1 ;;
esac
echo "$summary"
exit $status
