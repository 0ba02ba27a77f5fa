/* SPDX-License-Identifier: MIT */
#include "etcfiles.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "util.h"

static void put_ip(FILE *f, uint32_t a)
{
    char buf[16];

    format_ipv4(a, buf);
    fputs(buf, f);
}

static void put_entry(FILE *f, uint32_t ip, const struct hosts_entry *e)
{
    put_ip(f, ip);
    if (e->hostname && !streq(e->hostname, e->name))
        fprintf(f, "\t%s %s\n", e->hostname, e->name);
    else
        fprintf(f, "\t%s\n", e->name);
}

char *etc_hosts_render(const struct hosts_entry *self, const struct hosts_entry *peers,
                       size_t n_peers)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    fputs("# Written by corral; rewritten when the container starts.\n"
          "127.0.0.1\tlocalhost\n"
          "::1\tlocalhost ip6-localhost ip6-loopback\n",
          f);
    put_entry(f, self->ip ? self->ip : 0x7f000101, self);
    for (size_t i = 0; i < n_peers; i++)
        put_entry(f, peers[i].ip, &peers[i]);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The stub resolver's address, and loopback in general. */
static bool is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || streq(addr, "::1");
}

static bool uses_stub(const char *text)
{
    for (const char *p = text; p && *p;) {
        const char *end = strchrnul(p, '\n');
        char server[64];
        if (sscanf(p, " nameserver %63s", server) == 1 && streq(server, "127.0.0.53"))
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

/* Copy text's lines, but not its loopback name servers. */
static size_t copy_resolv(FILE *f, const char *text)
{
    size_t servers = 0;

    for (const char *p = text; p && *p;) {
        const char *end = strchrnul(p, '\n');
        char server[64];
        int n = (int) (end - p);

        if (sscanf(p, " nameserver %63s", server) == 1) {
            if (is_loopback(server)) {
                p = *end ? end + 1 : end;
                continue;
            }
            servers++;
        }
        fprintf(f, "%.*s\n", n, p);
        p = *end ? end + 1 : end;
    }
    return servers;
}

char *etc_resolv_render(const char *host_text, const char *resolved_text, const uint32_t *servers,
                        size_t n_servers)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    fputs("# Written by corral.\n", f);
    if (n_servers > 0) {
        for (size_t i = 0; i < n_servers; i++) {
            fputs("nameserver ", f);
            put_ip(f, servers[i]);
            fputc('\n', f);
        }
    } else if (host_text && uses_stub(host_text) && resolved_text) {
        (void) copy_resolv(f, resolved_text);
    } else {
        (void) copy_resolv(f, host_text);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
