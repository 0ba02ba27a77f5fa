/* SPDX-License-Identifier: MIT */
/* corral's nftables ruleset: NAT, published ports and the layer-2 policy
 * between containers on the bridge. Two tables are corral's alone,
 * `inet corral` and `bridge corral`; each is rebuilt from the whole state in
 * one transaction whenever anything changes, never edited rule by rule, so
 * what the kernel holds is always exactly what the state says (or, when a
 * transaction fails, exactly what it said before).
 *
 * Addresses are IPv4 in host byte order. IPv6 is not routed for containers:
 * the bridge drops every frame from a container that is neither IPv4 nor
 * ARP (link-local IPv6 would otherwise go around the icc policy). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nft_port {
    uint32_t ip;        /* the container's address */
    uint16_t host_port; /* on every local address of the host, 127.0.0.1 included */
    uint16_t port;      /* in the container */
    uint8_t proto;      /* IPPROTO_TCP or IPPROTO_UDP */
};

/* One running container on the bridge. */
struct nft_member {
    const char *name; /* container name: a comment in the ruleset; may be NULL */
    const char *veth; /* host side of its veth pair, i.e. its bridge port */
    uint32_t ip;
    uint8_t mac[6]; /* of the container side (its eth0): the source of its frames */
};

/* Indexes into members: a and b may talk, both ways (used when !icc). */
struct nft_pair {
    size_t a, b;
};

struct nft_state {
    const char *bridge;
    uint32_t subnet; /* network address: no host bits set */
    unsigned prefix; /* 1..32 */
    uint32_t gateway;
    bool nat; /* masquerade the subnet leaving by any other interface */
    bool icc; /* every member may talk to every other */
    const struct nft_member *members;
    size_t n_members;
    const struct nft_pair *pairs;
    size_t n_pairs;
    const struct nft_port *ports;
    size_t n_ports;
};

/* The ruleset text for st, in one piece that replaces both tables (caller
 * frees). Pure: no kernel involved. The output depends only on the content
 * of st, not on the order of its arrays. -EINVAL when st is inconsistent
 * (a name nft cannot quote, an address outside the subnet, a duplicate veth,
 * MAC, address or published port, a pair out of range). */
int nft_render(const struct nft_state *st, char **ret_text);

struct nft_ctx; /* libnftables' */

/* A libnftables context for loading rulesets, kept open by whoever loads
 * often: closing its netlink socket costs the kernel a grace period
 * (15-35 ms measured here, ten times the load itself). NULL and -ENOMEM
 * when out of memory. */
int nft_open(struct nft_ctx **ret);
void nft_close(struct nft_ctx *ctx);

/* Render st and load it in one transaction through ctx (NULL: a context
 * of its own for this call alone). On failure the previous ruleset
 * stays as it was, and err (may be NULL) says why: -EINVAL for a state
 * nft_render rejects, otherwise the errno the library reports (-EPERM
 * without CAP_NET_ADMIN, -EOPNOTSUPP for a kernel without a needed
 * feature) or -EIO. */
int nft_apply(struct nft_ctx *ctx, const struct nft_state *st, char *err, size_t errlen);

/* nft_apply, skipped when the text st renders to equals *last, the text
 * of the last load that succeeded through this function (NULL at first;
 * kept up to date here; the caller frees it in the end). A container that
 * restarts with the same veth, address and MAC leaves the ruleset as it
 * was. 1 when loaded, 0 when unchanged, or a negative errno as nft_apply
 * (then *last is dropped: the next call loads whatever it renders). */
int nft_apply_changed(struct nft_ctx *ctx, const struct nft_state *st, char **last, char *err,
                      size_t errlen);

/* Load text nft_render made (or any nft script) in one transaction: what
 * nft_apply does after rendering. For callers that render once and keep the
 * text for a diagnostic. */
int nft_apply_text(struct nft_ctx *ctx, const char *text, char *err, size_t errlen);

/* Delete both tables if they exist: at `corral down`, and at start-up for
 * whatever a crashed supervisor left. 0 when there was nothing to delete. */
int nft_remove(struct nft_ctx *ctx, char *err, size_t errlen);

/* What the ruleset relies on from whoever owns the bridge and the veths:
 * - net.ipv4.ip_forward = 1 (or conf.<bridge>.forwarding and that of the
 *   uplink);
 * - net.ipv4.conf.<bridge>.route_localnet = 1, so that 127.0.0.1:HOSTPORT,
 *   DNATed to a container, may leave by the bridge. It would also let a
 *   container address the host's loopback services: the bridge table drops
 *   frames from containers to 127.0.0.0/8 for that reason;
 * - each container's bridge port in hairpin mode (IFLA_BRPORT_MODE): with
 *   br_netfilter active, a container reaching its own published port is
 *   bridged back out of the port it came in by;
 * - a container is in the applied state before its veth carries traffic:
 *   frames from a port the ruleset does not list are not checked at all
 *   (the rules touch only corral's ports, never another bridge's). */
