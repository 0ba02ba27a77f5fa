#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# debian-rootfs.sh [OUT.tar]
#
# Prints the path of a Debian trixie minbase root file system, plus procps
# (ps), as a tar archive (default /var/cache/corral-test/trixie-procps.tar),
# building it with mmdebstrap from the Debian mirror apt uses if it is not
# there yet. The image tests run a container on it.
#
# A cached archive is reused as it is. The build holds a flock on the
# cache directory and writes to a temporary name that is renamed into
# place, so concurrent runs wait for one build and never see half a file.
#
# Exit status: 0 with the path on stdout; 77 (the tests' "skip") with the
# reason on stderr when it cannot be built here (no mmdebstrap, no mirror);
# 2 for a usage error.
set -euo pipefail

prog=${0##*/}
suite=trixie

usage() {
    echo "usage: $prog [OUT.tar]" >&2
    exit 2
}

skip() {
    echo "$prog: $*" >&2
    exit 77
}

case $# in
0) out=/var/cache/corral-test/$suite-procps.tar ;;
1) out=$1 ;;
*) usage ;;
esac
case $out in
-*) usage ;;
*.tar) ;;
*) skip "'$out': the output must be a .tar file" ;;
esac

if [ -s "$out" ]; then
    echo "$out"
    exit 0
fi

command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (apt-get install mmdebstrap)"

# The mirror apt already uses for Debian (not its security archive).
mirror=
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources |
        tr ' ' '\n' | grep -v -e '^$' -e 'security' | head -n1 || true)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ { print $2; exit }' \
        /etc/apt/sources.list || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

dir=$(dirname "$out")
mkdir -p "$dir" || skip "cannot create '$dir'"
exec 9<"$dir"
flock 9
# Someone else may have built it while we waited for the lock.
if [ -s "$out" ]; then
    echo "$out"
    exit 0
fi

tmp="$dir/.$suite.tmp.$$.tar"
log="$dir/.$suite.tmp.$$.log"
cleanup() {
    rm -f -- "$tmp" "$log"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if ! mmdebstrap --variant=minbase --include=procps --quiet --format=tar "$suite" "$tmp" "$mirror" \
    >"$log" 2>&1; then
    tail -n 3 "$log" >&2 || true
    skip "mmdebstrap $suite from $mirror failed"
fi
[ -s "$tmp" ] || skip "mmdebstrap $suite from $mirror made no archive"
chmod 0644 "$tmp"
mv -f -- "$tmp" "$out"
echo "$out"
