#!/bin/bash
# SPDX-License-Identifier: MIT
# The ruleset against real traffic, all of it inside namespaces this script
# creates (in-netns.sh runs it in a fresh one, "the host"). Test scaffolding
# builds the plumbing with `ip` in those namespaces only: a bridge, three
# "containers" (plain processes in namespaces of their own: a, b, c) and an
# "uplink" namespace standing for the internet. The ruleset itself goes in
# through nft-apply (the net/nft.c API). TAP.
#
#   functional.sh NFT-APPLY PROBE.PY
set -u
APPLY=$1
PROBE=$2
PY=${PYTHON:-python3}
TMO=1

# ---- never anywhere but a namespace of our own ----
self=$(readlink /proc/self/ns/net)
init=$(readlink /proc/1/ns/net 2>/dev/null || true)
if [ -z "${CORRAL_HOST_NETNS:-}" ] || [ "$self" = "$CORRAL_HOST_NETNS" ] || [ "$self" = "$init" ]
then
    echo "1..0 # SKIP not in a network namespace of its own (run through in-netns.sh)"
    exit 0
fi
if [ "$(ip -o link show | grep -vc ': lo:')" != 0 ]; then
    echo "1..0 # SKIP not a fresh network namespace"
    exit 0
fi
for tool in ip nsenter unshare "$PY"; do
    if ! command -v "$tool" >/dev/null; then
        echo "1..0 # SKIP $tool not found"
        exit 0
    fi
done

n=0
failed=0
ok() { # ok COND-EXIT-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

pids=()
tmp=$(mktemp -d)
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# newns VAR: a process sleeping in a new network namespace; its pid in VAR.
newns() {
    unshare -n sleep 120 &
    local _p=$!
    pids+=("$_p")
    for _ in $(seq 100); do
        [ "$(readlink "/proc/$_p/ns/net" 2>/dev/null)" != "$self" ] && break
        sleep 0.01
    done
    printf -v "$1" '%s' "$_p"
}
in_ns() { local p=$1; shift; nsenter -t "$p" -n "$@"; }

# serve NS NAME PROTO PORT: a probe server in that namespace, ready on return.
serve() {
    local ready="$tmp/ready.$2.$3.$4"
    if [ "$1" = host ]; then
        "$PY" "$PROBE" serve "$2" "$3" "$4" "$ready" &
    else
        nsenter -t "$1" -n "$PY" "$PROBE" serve "$2" "$3" "$4" "$ready" &
    fi
    pids+=($!)
    for _ in $(seq 300); do [ -e "$ready" ] && return; sleep 0.01; done
    echo "# server $2 $3/$4 never came up"
}

# expect FROM PROTO ADDR PORT WANT DESCRIPTION: WANT is the answer ("a saw
# 10.88.0.1"), or "-" for no answer within TMO seconds. An answer that is
# wanted may take longer on a loaded machine (a lost first SYN is sent again
# after a second): it is waited for up to TMO_ANSWER seconds, which costs
# nothing when it comes at once. A failure says what the probe saw.
TMO_ANSWER=5
expect() {
    local from=$1 proto=$2 addr=$3 port=$4 want=$5 got why tmo=$TMO
    [ "$want" != - ] && tmo=$TMO_ANSWER
    if [ "$from" = host ]; then
        got=$("$PY" "$PROBE" connect "$proto" "$addr" "$port" "$tmo" 2>"$tmp/why")
    else
        got=$(nsenter -t "$from" -n "$PY" "$PROBE" connect "$proto" "$addr" "$port" "$tmo" \
            2>"$tmp/why")
    fi
    [ -z "$got" ] && got=-
    if [ "$got" = "$want" ]; then
        [ "$want" != - ] && [ -s "$tmp/why" ] && echo "# $6: $(tr '\n' ' ' <"$tmp/why")"
        ok 0 "$6 (got: $got)"
    else
        why=$(tr '\n' ' ' <"$tmp/why")
        ok 1 "$6 (got: $got${why:+; probe: $why})"
    fi
}

# ---- plumbing ----
ip link set lo up
echo 1 >/proc/sys/net/ipv4/ip_forward
ip link add corral0 type bridge
ip addr add 10.88.0.1/24 dev corral0
ip link set corral0 up
# What net/link.c must do for 127.0.0.1:HOSTPORT (see net/nft.h).
echo 1 >/proc/sys/net/ipv4/conf/corral0/route_localnet

newns U
ip link add up0 type veth peer name up1
ip link set up1 netns "$U"
ip addr add 192.0.2.1/24 dev up0
ip link set up0 up
in_ns "$U" ip link set lo up
in_ns "$U" ip addr add 192.0.2.2/24 dev up1
in_ns "$U" ip link set up1 up

# container NAME VAR IP MAC
container() {
    local ns
    newns ns
    ip link add "ve-$1" type veth peer name "tmp-$1"
    ip link set "tmp-$1" netns "$ns"
    ip link set "ve-$1" master corral0 up
    # With br_netfilter, a container reaching its own published port is
    # bridged back out of the port it came in by: needs hairpin mode.
    ip link set "ve-$1" type bridge_slave hairpin on
    in_ns "$ns" ip link set "tmp-$1" name eth0
    in_ns "$ns" ip link set eth0 address "$4"
    in_ns "$ns" ip addr add "$3/24" dev eth0
    in_ns "$ns" ip -6 addr add "fd00::${3##*.}/64" dev eth0 nodad
    in_ns "$ns" ip link set eth0 up
    in_ns "$ns" ip link set lo up
    in_ns "$ns" ip route add default via 10.88.0.1
    printf -v "$2" '%s' "$ns"
}
container a A 10.88.0.2 02:00:00:00:00:0a
container b B 10.88.0.3 02:00:00:00:00:0b
container c C 10.88.0.4 02:00:00:00:00:0c
MEMBERS="member=a,ve-a,10.88.0.2,02:00:00:00:00:0a member=b,ve-b,10.88.0.3,02:00:00:00:00:0b
member=c,ve-c,10.88.0.4,02:00:00:00:00:0c"
NET="bridge=corral0 subnet=10.88.0.0/24 gateway=10.88.0.1"
PORTS="port=tcp,8080,10.88.0.2,80 port=udp,5353,10.88.0.3,53"

serve "$A" a tcp 80
serve "$B" b tcp 80
serve "$B" b udp 53
serve "$C" c tcp 80
serve "$U" uplink tcp 7000

# c takes another address (and MAC) as a container with CAP_NET_ADMIN could.
c_as() { # c_as IP [MAC]
    in_ns "$C" ip addr flush dev eth0 scope global
    in_ns "$C" ip addr add "$1/24" dev eth0
    [ -n "${2:-}" ] && in_ns "$C" ip link set eth0 address "$2"
    in_ns "$C" ip route replace default via 10.88.0.1
}
c_restore() { c_as 10.88.0.4 02:00:00:00:00:0c; in_ns "$C" ip neigh flush all; }

apply() {
    # shellcheck disable=SC2086
    "$APPLY" $NET $MEMBERS $PORTS "$@"
}

# ---- icc = no, nat, published ports; with and without br_netfilter ----
for brnf in 0 1; do
    echo $brnf >/proc/sys/net/bridge/bridge-nf-call-iptables
    m="[br_netfilter $brnf]"
    apply nat=1 icc=0 pair=a,b
    ok $? "$m apply nat=1 icc=0 pair=a,b"

    expect "$A" tcp 10.88.0.3 80 "b saw 10.88.0.2" "$m icc=no: listed pair a -> b"
    expect "$B" tcp 10.88.0.2 80 "a saw 10.88.0.3" "$m icc=no: listed pair b -> a"
    expect "$A" tcp 10.88.0.4 80 - "$m icc=no: a -> c blocked"
    expect "$C" tcp 10.88.0.2 80 - "$m icc=no: c -> a blocked"
    expect "$C" tcp 10.88.0.3 80 - "$m icc=no: c -> b blocked"

    expect "$A" tcp 192.0.2.2 7000 "uplink saw 192.0.2.1" "$m nat: uplink sees the host's address"
    expect "$U" tcp 192.0.2.1 8080 "a saw 192.0.2.2" "$m publish tcp: uplink -> host:8080 -> a:80"
    expect "$U" udp 192.0.2.1 5353 "b saw 192.0.2.2" "$m publish udp: uplink -> host:5353 -> b:53"
    expect host tcp 127.0.0.1 8080 "a saw 10.88.0.1" "$m publish: host 127.0.0.1:8080 -> a"
    expect host tcp 192.0.2.1 8080 "a saw 192.0.2.1" "$m publish: host's own address -> a"
    # Hairpin: a container through the host's address to a published port.
    expect "$B" tcp 192.0.2.1 8080 "a saw 10.88.0.1" "$m hairpin: b -> host:8080 -> a (a pair)"
    expect "$A" udp 10.88.0.1 5353 "b saw 10.88.0.1" "$m hairpin: a -> gateway:5353 -> b (a pair)"
    expect "$C" tcp 192.0.2.1 8080 - "$m hairpin: c -> host:8080 -> a blocked (not a pair)"
    expect "$C" udp 10.88.0.1 5353 - "$m hairpin: c -> gateway:5353 -> b blocked (not a pair)"
    expect "$A" tcp 192.0.2.1 8080 "a saw 10.88.0.1" "$m hairpin: a -> host:8080 -> a itself"

    # Spoofing: c as a's address, then with a's MAC too, then a free address.
    c_as 10.88.0.2
    expect "$C" tcp 10.88.0.3 80 - "$m spoof: c with a's address cannot reach b"
    c_as 10.88.0.2 02:00:00:00:00:0a
    expect "$C" tcp 10.88.0.3 80 - "$m spoof: c with a's address and MAC cannot reach b"
    c_restore
    c_as 10.88.0.9
    expect "$C" tcp 10.88.0.3 80 - "$m spoof: c on a free address cannot reach b"
    expect "$C" tcp 192.0.2.2 7000 - "$m spoof: ... nor the uplink"
    c_restore
    expect "$A" tcp 10.88.0.3 80 "b saw 10.88.0.2" "$m spoof: a still reaches b afterwards"

    # Around the bridge: a /32 route through the gateway makes the host route
    # the packet back onto the bridge.
    in_ns "$C" ip route add 10.88.0.3/32 via 10.88.0.1
    in_ns "$A" ip route add 10.88.0.3/32 via 10.88.0.1
    expect "$C" tcp 10.88.0.3 80 - "$m routed via the gateway: c -> b still blocked"
    expect "$A" tcp 10.88.0.3 80 "b saw 10.88.0.2" "$m routed via the gateway: a -> b allowed"
    in_ns "$C" ip route del 10.88.0.3/32
    in_ns "$A" ip route del 10.88.0.3/32

    expect "$A" tcp fd00::3 80 - "$m IPv6 between the allowed pair is dropped (IPv4 only)"

    in_ns "$U" ip route add 10.88.0.0/24 via 192.0.2.1
    expect "$U" tcp 10.88.0.2 80 - "$m nat: uplink cannot route to a container directly"
    in_ns "$U" ip route del 10.88.0.0/24
done

# ---- icc = yes, no nat ----
apply nat=0 icc=1
ok $? "apply nat=0 icc=1"
expect "$C" tcp 10.88.0.3 80 "b saw 10.88.0.4" "icc=yes: c -> b"
expect "$C" tcp 10.88.0.2 80 "a saw 10.88.0.4" "icc=yes: c -> a"
in_ns "$C" ip route add 10.88.0.3/32 via 10.88.0.1
expect "$C" tcp 10.88.0.3 80 "b saw 10.88.0.4" "icc=yes: c -> b routed via the gateway"
in_ns "$C" ip route del 10.88.0.3/32
c_as 10.88.0.2
expect "$C" tcp 10.88.0.3 80 - "icc=yes: c with a's address cannot reach b"
c_restore
expect "$A" tcp 192.0.2.2 7000 - "nat=no: no masquerade (the uplink has no route back)"
in_ns "$U" ip route add 10.88.0.0/24 via 192.0.2.1
expect "$A" tcp 192.0.2.2 7000 "uplink saw 10.88.0.2" "nat=no: the subnet is routed as is"
expect "$U" tcp 10.88.0.2 80 "a saw 192.0.2.2" "nat=no: the uplink reaches a directly"
in_ns "$U" ip route del 10.88.0.0/24
expect "$U" tcp 192.0.2.1 8080 "a saw 192.0.2.2" "nat=no: published ports still work"

# ---- what corral's table cannot do: another table's drop wins ----
apply nat=1 icc=1
"$APPLY" exec 'table inet hostfw { chain forward { type filter hook forward priority 0; policy drop; }; }'
expect "$A" tcp 192.0.2.2 7000 - \
    "limit: a forward policy drop in another table blocks containers despite corral's accepts"
"$APPLY" exec 'delete table inet hostfw'
expect "$A" tcp 192.0.2.2 7000 "uplink saw 192.0.2.1" "limit: ...and only that table"

# ---- another bridge on the same host is none of corral's business ----
apply nat=1 icc=0
ip link add other0 type bridge
ip addr add 10.99.0.1/24 dev other0
ip link set other0 up
for x in d e; do
    newns ns
    ip link add "vo-$x" type veth peer name eth0 netns "$ns"
    ip link set "vo-$x" master other0 up
    in_ns "$ns" ip link set eth0 up
    printf -v "${x^^}" '%s' "$ns"
done
in_ns "$D" ip addr add 10.99.0.2/24 dev eth0
in_ns "$E" ip addr add 10.99.0.3/24 dev eth0
in_ns "$D" ip -6 addr add fd01::2/64 dev eth0 nodad
in_ns "$E" ip -6 addr add fd01::3/64 dev eth0 nodad
serve "$E" e tcp 80
expect "$D" tcp 10.99.0.3 80 "e saw 10.99.0.2" "other bridge: IPv4 untouched by icc=no"
expect "$D" tcp fd01::3 80 "e saw fd01::2" "other bridge: IPv6 untouched"

# ---- remove ----
"$APPLY" remove
ok $? "remove"
left=$("$APPLY" list | grep -c corral)
[ "$left" = 0 ]
ok $? "remove: no corral table left ($left lines)"
"$APPLY" remove
ok $? "remove again: nothing to do"

echo "1..$n"
[ "$failed" = 0 ]
