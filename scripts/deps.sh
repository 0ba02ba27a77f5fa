#!/usr/bin/env bash
# Install what corral needs to build, test and run its demo on Debian 12 /
# Ubuntu 22.04+ (as root). Safe to run again: apt-get skips what is there.
set -euo pipefail

build=(meson ninja-build pkg-config gcc libc6-dev
       libuv1-dev libinih-dev libcap-dev libseccomp-dev
       libnl-3-dev libnl-route-3-dev libnftables-dev libjansson-dev
       libarchive-dev nettle-dev)
runtime=(busybox-static util-linux iproute2 procps python3)
# Tests and benchmarks: crun for the side-by-side numbers, valgrind for
# the leak runs, nftables to inspect rules from the outside, clang and its
# runtime (libFuzzer, in libclang-rt-14-dev on Debian 12) for the fuzzers.
# mmdebstrap builds the Debian tree the image tests run (the stand-in for
# a foreign distribution; with the recommends it needs as root, and the
# Debian keyring an Ubuntu host lacks); zstd makes a .tar.zst for them.
testing=(crun valgrind nftables clang-format clang libclang-rt-14-dev
         mmdebstrap debian-archive-keyring libdpkg-perl gpg arch-test zstd)

want=("${build[@]}" "${runtime[@]}")
[ "${1:-}" = "--test" ] && want+=("${testing[@]}")

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
