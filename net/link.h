/* SPDX-License-Identifier: MIT */
/* Links of the bridge network: the bridge with the gateway address, one veth
 * pair per container whose container side is configured from inside the
 * container's netns, and a sweep for what a crashed supervisor left behind.
 * Everything goes through rtnetlink (libnl-route-3); no program is run.
 * IPv4 addresses are uint32_t in host byte order. Functions return 0 (or a
 * count) on success and a negative errno on failure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Every host-side veth corral makes starts with this; net_sweep() relies on
 * it, so it must never change. */
#define NET_VETH_PREFIX "crl"
/* IFNAMSIZ, without <net/if.h>, which conflicts with <linux/if.h>. */
#define NET_IFNAMSIZ 16

/* Host-side veth name for a container: "crl" + name when that fits in 15
 * characters, else "crl" + the first 5 characters + "-" + 6 hex digits of a
 * hash of the whole name. A short name that already has the hashed shape is
 * hashed too, so two different names collide only if their hashes do. Pure;
 * the result is stable across versions (a restarted supervisor finds its
 * veths by it). */
void net_veth_name(const char *container, char ret[NET_IFNAMSIZ]);

/* Create the bridge `name` (with a fixed MAC derived from the name, so the
 * gateway's MAC does not change as ports come and go) or adopt an existing
 * bridge of that name; add gw/prefix unless it is there (other addresses are
 * kept); set it up. -EEXIST if `name` exists and is not a bridge. A bridge
 * created by this call is removed again if a later step fails. */
int net_bridge_ensure(const char *name, uint32_t gw, unsigned prefix);
/* Delete the bridge; 0 if it does not exist, -EMEDIUMTYPE (and nothing
 * deleted) if `name` is not a bridge. Its ports are released, not deleted. */
int net_bridge_remove(const char *name);

/* In the current netns: net.ipv4.ip_forward = 1, and
 * net.ipv4.conf.<bridge>.route_localnet = 1 so that 127.0.0.1 can be DNATed
 * to a container. The bridge must exist. */
int net_enable_forwarding(const char *bridge);

/* Make the veth pair host_name <-> eth0: host_name is enslaved to `bridge`
 * and up; eth0 is created directly inside the target netns
 * (target_netns_fd: an fd of /proc/PID/ns/net, or a pidfd), with `mac` if
 * not NULL (else the kernel's random one); -EINVAL if that netns is the
 * caller's own. Then, from inside that netns (the
 * caller must be single-threaded while this runs): lo up,
 * net.ipv4.ping_group_range = "0 2147483647" (ping without CAP_NET_RAW),
 * ip/prefix on eth0, eth0 up, default route via gw. On failure nothing is
 * left behind (the peer goes with the host side), the calling thread is back
 * in its own netns, and *ret_step (if ret_step) names the step that failed:
 * "arguments", "open own netns", "open container netns", "netlink",
 * "find bridge", "create veth", "hairpin mode", "enter container netns", "ping_group_range",
 * "netlink in container", "loopback", "find eth0", "address", "link up",
 * "route", "leave container netns". */
int net_attach(const char *bridge, const char *host_name, int target_netns_fd, uint32_t ip,
               unsigned prefix, uint32_t gw, const uint8_t *mac, const char **ret_step);
/* Delete the host-side veth (its peer goes with it). 0 if it does not exist;
 * -EMEDIUMTYPE (and nothing deleted) if host_name is not a veth. */
int net_detach(const char *host_name);

/* Put the host-side veth of a container whose process is gone out of the
 * way without waiting for its deletion (~20 ms of the kernel's time): down,
 * and renamed NET_VETH_PREFIX "~" + its ifindex in hex, it goes when the
 * kernel tears down the peer's namespace, in the background. Its name is
 * free at once for the next run. 1 when retired, 0 if it does not exist,
 * -EMEDIUMTYPE if host_name is not a veth. */
int net_retire(const char *host_name);

/* Delete every veth whose name starts with NET_VETH_PREFIX and is not in
 * keep (NULL-terminated; NULL means none), for start-up after a crash. Other
 * link types are never touched, even with the prefix. Returns how many were
 * deleted (a pair whose both ends matched counts once), or the first error
 * after trying them all. */
int net_sweep(const char *const *keep);

/* Delete the veths net_retire() renamed that are still there (their
 * namespaces are still being torn down): at `corral down`. */
int net_sweep_retired(void);

/* Whether link `name` exists in the current netns and the name of its
 * master ("" if none; master may be NULL). */
int net_link_info(const char *name, bool *ret_exists, char master[NET_IFNAMSIZ]);
