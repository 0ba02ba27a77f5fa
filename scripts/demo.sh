#!/usr/bin/env bash
# The demo, from a fresh Debian 12 / Ubuntu 22.04+ machine, as root:
# installs the build dependencies, builds corral, makes the embedded busybox
# root file system, starts examples/demo.ini and shows the containers.
# With --keep the supervisor stays up (stop it with: build/corral -f
# examples/demo.ini down); otherwise everything is torn down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=no
[ "${1:-}" = "--keep" ] && keep=yes
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: run as root (containers need namespaces and cgroups)" >&2
    exit 1
fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "installing build dependencies (apt)"
scripts/deps.sh
step "building"
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
echo "build/corral $(build/corral --version)"

step "making the busybox rootfs"
mkdir -p build/demo
rm -rf build/demo/rootfs
scripts/mkrootfs.sh build/demo/rootfs --payload build/tests/payload

ini=examples/demo.ini
step "checking $ini"
build/corral check -f "$ini" >/dev/null && echo "$ini: ok"

# Each demo shows its own run: the containers' logs start afresh.
rm -rf build/demo/log
step "starting the supervisor: corral up -f $ini"
# In a network namespace of its own: the bridge, the NAT rules and the
# containers' traffic stay off this host's real network.
unshare -n build/corral up -f "$ini" >build/demo/supervisor.log 2>&1 &
sup=$!
cleanup() {
    if kill -0 "$sup" 2>/dev/null; then
        build/corral -f "$ini" down >/dev/null || kill "$sup"
        wait "$sup" || true
    fi
}
[ "$keep" = yes ] || trap cleanup EXIT
for _ in $(seq 100); do
    [ -S build/demo/run/corral.sock ] && break
    sleep 0.05
done
sleep 1.5

step "corral ps (web waited for db: depends_on)"
build/corral -f "$ini" ps

step "what each container sees: corral logs NAME"
for c in web db worker; do
    echo "--- $c"
    build/corral -f "$ini" logs --tail 6 "$c"
done

step "flaky crashes: restarted with growing delays, then fatal (corral logs -t flaky)"
for _ in $(seq 100); do
    build/corral -f "$ini" ps | grep -q '^flaky  *fatal' && break
    sleep 0.1
done
build/corral -f "$ini" logs -t flaky
grep 'flaky:' build/demo/supervisor.log | sed 's/^/    /'

step "the bridge network: db reaches web at its address (from db's network namespace)"
read -r dbpid webip < <(build/corral -f "$ini" ps --json | python3 -c '
import json, sys
c = {x["name"]: x for x in json.load(sys.stdin)["containers"]}
print(c["db"]["pid"], c["web"]["ip"])')
nsenter --net="/proc/$dbpid/ns/net" build/tests/payload connect "$webip" 8080

step "corral restart db"
build/corral -f "$ini" restart db
build/corral -f "$ini" ps

if [ "$keep" = yes ]; then
    step "left running; try: build/corral -f $ini ps | stop | start | down"
    exit 0
fi
step "corral down"
build/corral -f "$ini" down
wait "$sup" || true
echo "supervisor exited; the supervisor's own log is in build/demo/supervisor.log"
