#!/usr/bin/env bash
# The whole test suite, as root: installs what it needs, builds, and runs
#   1. every meson test of the normal build (unit, root integration, and the
#      valgrind runs of the unit tests and of supervisor scenarios);
#   2. the root integration tests again against an ASan+UBSan build.
# Ends with one line "N passed, N failed[, N skipped]" counting TAP subtests;
# exits non-zero if anything failed. SANITIZE=0 skips step 2.
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

# meson's own summary is not the project's: count TAP subtests.
python3 scripts/count-tests.py "${logs[@]}"
exit $status
