/* SPDX-License-Identifier: MIT */
/* Addresses on the bridge's subnet: which container has which IPv4 address.
 *
 * Pure bookkeeping: no netlink, no root. A container with ip = A.B.C.D has
 * that address; any other bridge container gets a lease, stable per name
 * and persisted, so a container keeps its address across supervisor
 * restarts and while others come and go. Addresses are host byte order. */
#pragma once

#include <stdint.h>

#include "config/config.h"

struct ipam;

/* Load the leases persisted in path: a JSON object {"name": "10.88.0.5", ...},
 * written atomically (mode 0600) by the calls below; path's directory must
 * exist. A missing file is no leases. A lease is kept only if it is still
 * valid for net: a valid container name, an address inside the subnet that
 * is not its network, broadcast or gateway address, and not a duplicate
 * (the first in the file keeps it). Leases that collide with a static ip of
 * the config are found by ipam_assign*(), which is given the config.
 *
 * A file that is not such a JSON object (truncated, garbage) is moved aside
 * to PATH.corrupt and ipam starts with no leases: returns 1 instead of 0,
 * ipam_load_problem() says what was wrong, and the caller warns. Returns a
 * negative errno if the file cannot be read at all (permissions, EIO). */
int ipam_open(const char *path, const struct network_spec *net, struct ipam **ret);
void ipam_free(struct ipam *ipam);
static inline void ipam_freep(struct ipam **ipam)
{
    ipam_free(*ipam);
}
/* Why ipam_open() set the file aside, e.g. "line 1 column 7: ...", or NULL. */
const char *ipam_load_problem(const struct ipam *ipam);

/* The address of container name: its static ip if it has one (taking the
 * address from whoever leased it: that one moves when next assigned), else
 * its existing lease if that is still valid, else the lowest free address
 * (leased and static addresses of cfg are not free) as a new lease. The
 * leases are saved before it returns; nothing changes if that fails.
 * -ENOENT: no such container in cfg; -EINVAL: it has network = none, or a
 * static ip outside the subnet ipam was opened with; -ENOSPC: the pool is
 * exhausted. */
int ipam_assign(struct ipam *ipam, const struct corral_config *cfg, const char *name,
                uint32_t *ret_ip);
/* Assign every bridge container of cfg at once (start-up): static ones first,
 * then the others in file order. Leases of names no longer in cfg, or now
 * with network = none, are dropped. All or nothing: on failure nothing
 * changes and *ret_name (may be NULL) is the container that got no address:
 * -ENOSPC when the pool is exhausted, -EINVAL as for ipam_assign(). */
int ipam_assign_all(struct ipam *ipam, const struct corral_config *cfg, const char **ret_name);
/* The address assigned to name, static or leased; -ENOENT if none. */
int ipam_lookup(const struct ipam *ipam, const char *name, uint32_t *ret_ip);
