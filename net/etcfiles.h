/* SPDX-License-Identifier: MIT */
/* The text of a container's /etc/hosts and /etc/resolv.conf: pure
 * functions, so they are unit-tested without a container. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct hosts_entry {
    uint32_t ip; /* host byte order */
    const char *name;
    const char *hostname; /* may equal name, or be NULL */
};

/* localhost lines, then self (127.0.1.1 when self->ip is 0), then peers.
 * Caller frees. NULL on ENOMEM. */
char *etc_hosts_render(const struct hosts_entry *self, const struct hosts_entry *peers,
                       size_t n_peers);

/* servers given (dns = ADDR...): just those. Otherwise the host's
 * resolv.conf (host_text); when it points at systemd-resolved's stub
 * (127.0.0.53), the upstream list (resolved_text, from
 * /run/systemd/resolve/resolv.conf) instead. Loopback name servers are
 * unreachable from a container and dropped; search/domain/options lines
 * are kept. Either text may be NULL. Caller frees. */
char *etc_resolv_render(const char *host_text, const char *resolved_text, const uint32_t *servers,
                        size_t n_servers);
