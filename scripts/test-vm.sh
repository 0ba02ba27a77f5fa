#!/usr/bin/env bash
# The root test suite on a pure cgroup v2 host: boots tests/vm's QEMU guest
# (cgroup_no_v1=all) once, runs every root test file inside it against the
# host's build, and writes their TAP to FILE (default BUILD/vm-tap.log).
# A guest that does not boot or finish is recorded as a failure there.
# Usage: scripts/test-vm.sh [FILE]    (build first: scripts/test.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."

builddir=${BUILDDIR:-build}
out=${1:-$builddir/vm-tap.log}
src=$PWD
# Software emulation is 5-10x slower: stretch the tests' waits to match.
slow=${CORRAL_TEST_SLOW:-8}

set +e
tests/vm/run-in-vm.sh --timeout "${VM_TIMEOUT:-3600}" \
    --env CORRAL="$src/$builddir/corral" \
    --env PAYLOAD="$src/$builddir/tests/payload" \
    --env SRCDIR="$src" \
    --env CORRAL_TEST_SLOW="$slow" \
    --env PYTHONDONTWRITEBYTECODE=1 \
    -- /bin/sh -c '
        echo "# guest: $(uname -r), cgroup controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
        for t in tests/integration/test_*.py tests/security/test_*.py; do
            echo "#### corral-test: $t"
            /usr/bin/python3 -u "$t"
        done
        echo "#### corral-test: cgroups-lib"
        '"$builddir"'/tests/cgroups/test-cgroups
        exit 0' 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    printf '#### corral-test: vm\n1..1\nnot ok 1 - the cgroup v2 VM did not finish (status %s)\n' \
        "$status" | tee -a "$out"
fi
exit 0
