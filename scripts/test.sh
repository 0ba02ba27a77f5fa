#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs unit and root
# integration tests, and ends with one line "N passed, N failed[, N skipped]".
# Exit status: 0 only if nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test
builddir=${BUILDDIR:-build}
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" >/dev/null
fi
meson compile -C "$builddir" >/dev/null

set +e
meson test -C "$builddir" --print-errorlogs --num-processes "${JOBS:-2}" "$@"
status=$?
set -e

# meson's own summary is not the project's: count from its JSON log.
python3 scripts/count-tests.py "$builddir/meson-logs/testlog.json"
exit $status
