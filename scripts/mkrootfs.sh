#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mkrootfs.sh DEST [--payload FILE]
#
# Builds a small busybox root file system for corral's tests and examples,
# offline, from the host's statically linked busybox (Debian package
# busybox-static). The tree is built next to DEST and renamed into place, so
# a concurrent reader sees either no DEST or a complete one.
set -euo pipefail

prog=${0##*/}
busybox=${BUSYBOX:-/bin/busybox}

die() {
    echo "$prog: $*" >&2
    exit 1
}

usage() {
    echo "usage: $prog DEST [--payload FILE]" >&2
    exit 2
}

dest=
payload=
while [ $# -gt 0 ]; do
    case $1 in
    --payload)
        [ $# -ge 2 ] || usage
        payload=$2
        shift 2
        ;;
    --payload=*)
        payload=${1#--payload=}
        shift
        ;;
    -h | --help) usage ;;
    -*) die "unknown option '$1'" ;;
    *)
        [ -z "$dest" ] || usage
        dest=$1
        shift
        ;;
    esac
done
[ -n "$dest" ] || usage
# "a/b/" and "a/b" are the same DEST; the temp dir must be its sibling.
while [ "${dest%/}" != "$dest" ] && [ "$dest" != / ]; do dest=${dest%/}; done

# A dynamically linked busybox (package "busybox") would not run inside a
# root without the host's libc, so insist on the static build.
if [ ! -x "$busybox" ]; then
    die "$busybox not found: run 'apt-get install busybox-static'"
fi
if ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked: run 'apt-get install busybox-static'"
fi
if [ -n "$payload" ] && [ ! -f "$payload" ]; then
    die "payload '$payload' not found"
fi

if [ -e "$dest" ] || [ -L "$dest" ]; then
    if [ ! -d "$dest" ] || [ -L "$dest" ] || [ -n "$(ls -A "$dest")" ]; then
        die "'$dest' exists and is not an empty directory, refusing to overwrite it"
    fi
fi
parent=$(dirname "$dest")
[ -d "$parent" ] || die "parent directory '$parent' does not exist"

version=$("$busybox" 2>/dev/null | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
[ -n "$version" ] || die "cannot tell the version of $busybox"

umask 022
tmp="$dest.tmp.$$"
mkdir "$tmp"
cleanup() {
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var/log,home}
chmod 1777 "$tmp/tmp"
chmod 0700 "$tmp/root"

cp "$busybox" "$tmp/bin/busybox"
chmod 0755 "$tmp/bin/busybox"

# Relative targets: seen from the host, "readlink -f DEST/usr/bin/awk"
# stays inside DEST instead of resolving to the host's /bin/busybox.
applets=0
while IFS= read -r path; do
    case $path in
    "" | bin/busybox) continue ;;
    esac
    case $path in
    */*) dir=${path%/*} ;;
    *) dir=. ;;
    esac
    # One "../" per directory level above the link, then down to bin/.
    slashes=${path//[!\/]/}
    up=
    for ((i = 0; i < ${#slashes}; i++)); do up="../$up"; done
    if [ "$dir" = bin ]; then up=; else up="${up}bin/"; fi
    [ -d "$tmp/$dir" ] || mkdir -p "$tmp/$dir"
    ln -s "${up}busybox" "$tmp/$path"
    applets=$((applets + 1))
done < <("$busybox" --list-full)
# The process substitution's exit status is lost; an empty list is not.
[ "$applets" -gt 0 ] || die "$busybox --list-full listed no applets"

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$tmp/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
cat >"$tmp/etc/os-release" <<EOF
NAME="corral busybox"
ID=busybox
VERSION_ID=$version
PRETTY_NAME="corral busybox $version"
EOF
: >"$tmp/etc/resolv.conf"

if [ -n "$payload" ]; then
    cp "$payload" "$tmp/usr/bin/payload"
    chmod 0755 "$tmp/usr/bin/payload"
fi

# rename(2) also replaces an empty directory, and fails rather than merge
# if someone filled DEST in the meantime.
mv -T "$tmp" "$dest"
trap - EXIT
echo "rootfs: $dest (busybox $version, $applets applets)"
