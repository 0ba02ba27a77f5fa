#!/bin/sh
# SPDX-License-Identifier: MIT
# Run a test in a network namespace of its own, never the machine's: the
# test itself checks that it is not in the namespace recorded here.
CORRAL_HOST_NETNS=$(readlink /proc/self/ns/net) || exit 1
export CORRAL_HOST_NETNS
if ! unshare -n true 2>/dev/null; then
    echo "1..0 # SKIP cannot create a network namespace (needs root)"
    exit 0
fi
exec unshare -n "$@"
