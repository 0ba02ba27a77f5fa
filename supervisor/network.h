/* SPDX-License-Identifier: MIT */
/* The bridge network as the supervisor runs it: the bridge and forwarding
 * at start-up, addresses from net/ipam, a veth per running container, and
 * one nftables ruleset rebuilt from the whole state on every change. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct daemon;
struct container;

/* Before any container starts: if a container uses the bridge, make (or
 * adopt) the bridge, enable forwarding, give every container its address,
 * sweep veths a crashed supervisor left, install the ruleset. 0 or -errno,
 * logged. */
int network_init(struct daemon *d);
/* Between clone and "go": the container's veth, configured inside its
 * network namespace. On failure msg names the step that failed. */
int network_attach(struct container *c, pid_t pid, char *msg, size_t msglen);
/* The files for its /etc/hosts and (on the bridge) /etc/resolv.conf, for
 * the spawn plan; NULL where there is none. Caller frees. */
int network_etc_paths(struct container *c, char **ret_hosts, char **ret_resolv);
/* Its process is gone: the veth goes with its namespace; the ruleset and
 * its peers' /etc/hosts forget it before the loop next waits. */
void network_detach(struct container *c);
/* Every container is down (at finish): close the loop handle network_init
 * opened, delete veths still going away. */
void network_close(struct daemon *d);
/* After the last container: the ruleset and the bridge go. */
void network_fini(struct daemon *d);
