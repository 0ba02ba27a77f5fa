/* SPDX-License-Identifier: MIT */
/* The one check every nftables test makes before it loads a rule: it must
 * be in a network namespace of its own, never the machine's. The wrapper
 * (in-netns.sh) records the namespace it started from in CORRAL_HOST_NETNS
 * before `unshare -n`; PID 1's namespace is compared too where readable
 * (a VM's init may hide it: EACCES). */
#pragma once

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline bool netns_link(const char *path, char *buf, size_t len)
{
    ssize_t n = readlink(path, buf, len - 1);

    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* NULL when it is safe to touch nftables here, else why not. With
 * require_fresh, also refuse a namespace that has any interface but lo (the
 * unit-style tests create none, so anything else means someone else's). */
static inline const char *netns_guard(bool require_fresh)
{
    static char why[256];
    char self[64], init[64];
    const char *outer = getenv("CORRAL_HOST_NETNS");
    bool have_init;

    if (!netns_link("/proc/self/ns/net", self, sizeof(self)))
        return "cannot read /proc/self/ns/net";
    have_init = netns_link("/proc/1/ns/net", init, sizeof(init));
    if (have_init && strcmp(self, init) == 0)
        return "in PID 1's network namespace (run under unshare -n)";
    if (outer && strcmp(self, outer) == 0)
        return "in the namespace the wrapper started from (run under unshare -n)";
    if (!have_init && !outer)
        return "cannot tell this namespace from the host's: /proc/1/ns/net unreadable and "
               "CORRAL_HOST_NETNS unset";

    if (require_fresh) {
        struct if_nameindex *ifs = if_nameindex();

        if (!ifs)
            return "if_nameindex failed";
        for (struct if_nameindex *i = ifs; i->if_index != 0; i++)
            if (strcmp(i->if_name, "lo") != 0) {
                snprintf(why, sizeof(why), "not a fresh network namespace: interface %s",
                         i->if_name);
                if_freenameindex(ifs);
                return why;
            }
        if_freenameindex(ifs);
    }
    return NULL;
}
