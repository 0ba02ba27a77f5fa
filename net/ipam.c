/* SPDX-License-Identifier: MIT */
/* IPv4 address management for the bridge (see ipam.h).
 *
 * The table maps a container name to its address. Leases (auto addresses)
 * are persisted; static addresses are kept in the table too, so that
 * ipam_lookup() answers for every container, but never written: the config
 * is their record. If a container switches from a static ip to auto, the
 * address it had becomes its lease, which keeps it where it was.
 *
 * Every change is made on a copy of the table, saved, and only then
 * swapped in: a failed write leaves memory and disk as they were, so what
 * ipam hands out is always what a restarted supervisor will read back.
 *
 * A corrupt leases file is set aside and ipam starts empty rather than
 * failing: the file records preferences, not truth, and the worst a lost
 * file does is move containers to new addresses (their /etc/hosts entries
 * are rewritten anyway), while refusing to start would turn a torn write
 * into an outage. The bad file is kept as PATH.corrupt for a human. */
#include "ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "macro.h"
#include "util.h"

/* One lease is ~90 bytes; 16 MiB is far beyond a /16 of containers. */
#define LEASES_FILE_MAX (16 * 1024 * 1024)

struct lease {
    char *name;
    uint32_t ip;
    bool is_static; /* the container's own ip = ...: in memory only */
};

struct lease_table {
    struct lease *v;
    size_t n;
};

struct ipam {
    char *path;
    uint32_t subnet, broadcast, gateway;
    struct lease_table table;
    /* The text last written or read back verbatim; NULL when the file on
     * disk differs from the table (entries dropped, corrupt, never saved). */
    char *saved;
    char *load_problem;
};

static void table_done(struct lease_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static ssize_t table_find_name(const struct lease_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (streq(t->v[i].name, name))
            return (ssize_t) i;
    return -1;
}

static ssize_t table_find_ip(const struct lease_table *t, uint32_t ip)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].ip == ip)
            return (ssize_t) i;
    return -1;
}

static void table_remove(struct lease_table *t, size_t i)
{
    free(t->v[i].name);
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
    t->n--;
}

/* Give name the address ip, replacing its entry if it has one. The caller
 * has made sure no other name holds ip. */
static int table_set(struct lease_table *t, const char *name, uint32_t ip, bool is_static)
{
    ssize_t i = table_find_name(t, name);
    struct lease *v;
    char *n;

    if (i >= 0) {
        t->v[i].ip = ip;
        t->v[i].is_static = is_static;
        return 0;
    }
    n = strdup(name);
    if (!n)
        return -ENOMEM;
    v = realloc(t->v, (t->n + 1) * sizeof(*v));
    if (!v) {
        free(n);
        return -ENOMEM;
    }
    t->v = v;
    t->v[t->n++] = (struct lease){.name = n, .ip = ip, .is_static = is_static};
    return 0;
}

static int table_copy(const struct lease_table *from, struct lease_table *ret)
{
    struct lease_table t = {};

    for (size_t i = 0; i < from->n; i++) {
        int r = table_set(&t, from->v[i].name, from->v[i].ip, from->v[i].is_static);
        if (r < 0) {
            table_done(&t);
            return r;
        }
    }
    *ret = t;
    return 0;
}

/* A host of the subnet that the host side does not hold. */
static bool address_usable(const struct ipam *ipam, uint32_t ip)
{
    uint32_t mask = ~(ipam->broadcast - ipam->subnet);

    return (ip & mask) == ipam->subnet && ip != ipam->subnet && ip != ipam->broadcast &&
           ip != ipam->gateway;
}

/* Some container of cfg other than name has ip as its static address. */
static bool static_of_other(const struct corral_config *cfg, uint32_t ip, const char *name)
{
    for (size_t i = 0; i < cfg->n_containers; i++) {
        const struct container_spec *c = &cfg->containers[i];
        if (!c->network_none && c->ip == ip && !streq(c->name, name))
            return true;
    }
    return false;
}

/* The file's text for table t: the leases only, sorted by name, so that
 * the same table always gives the same bytes. */
static char *serialize(const struct lease_table *t)
{
    _cleanup_(json_decrefp) json_t *o = json_object();
    _cleanup_free_ char *text = NULL;
    char *r;

    if (!o)
        return NULL;
    for (size_t i = 0; i < t->n; i++) {
        char buf[16];
        if (t->v[i].is_static)
            continue;
        format_ipv4(t->v[i].ip, buf);
        if (json_object_set_new(o, t->v[i].name, json_string(buf)) < 0)
            return NULL;
    }
    text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text || asprintf(&r, "%s\n", text) < 0)
        return NULL;
    return r;
}

/* Save t, then make it the table; t is consumed either way. */
static int commit(struct ipam *ipam, struct lease_table *t)
{
    _cleanup_free_ char *text = serialize(t);
    int r;

    if (!text) {
        table_done(t);
        return -ENOMEM;
    }
    if (!ipam->saved || !streq(ipam->saved, text)) {
        r = write_file_atomic(ipam->path, text, 0600);
        if (r < 0) {
            table_done(t);
            return r;
        }
        free(ipam->saved);
        ipam->saved = TAKE_PTR(text);
    }
    table_done(&ipam->table);
    ipam->table = *t;
    *t = (struct lease_table){};
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/* The lowest address of the subnet that is not the gateway, a static
 * address of cfg or held by an entry of t. */
static int lowest_free(const struct ipam *ipam, const struct lease_table *t,
                       const struct corral_config *cfg, uint32_t *ret)
{
    _cleanup_free_ uint32_t *taken = malloc((1 + cfg->n_containers + t->n) * sizeof(uint32_t));
    uint64_t candidate = (uint64_t) ipam->subnet + 1;
    size_t n = 0;

    if (!taken)
        return -ENOMEM;
    taken[n++] = ipam->gateway;
    for (size_t i = 0; i < cfg->n_containers; i++)
        if (!cfg->containers[i].network_none && cfg->containers[i].ip)
            taken[n++] = cfg->containers[i].ip;
    for (size_t i = 0; i < t->n; i++)
        taken[n++] = t->v[i].ip;
    qsort(taken, n, sizeof(*taken), cmp_u32);
    for (size_t i = 0; i < n && taken[i] <= candidate; i++)
        if (taken[i] == candidate)
            candidate++;
    if (candidate >= ipam->broadcast)
        return -ENOSPC;
    *ret = (uint32_t) candidate;
    return 0;
}

/* Decide ctr's address in t (see ipam_assign()). */
static int place(const struct ipam *ipam, struct lease_table *t, const struct corral_config *cfg,
                 const struct container_spec *ctr, uint32_t *ret_ip)
{
    ssize_t i = table_find_name(t, ctr->name), j;
    uint32_t ip;
    int r;

    if (ctr->network_none)
        return -EINVAL;

    if (ctr->ip) {
        /* The config was checked against its own [network]; a different
         * one means ipam was opened for another subnet. */
        if (!address_usable(ipam, ctr->ip))
            return -EINVAL;
        /* The static address wins over a lease on it: that container is
         * moved when it is next assigned. */
        j = table_find_ip(t, ctr->ip);
        if (j >= 0 && j != i) {
            table_remove(t, (size_t) j);
            i = table_find_name(t, ctr->name);
        }
        r = table_set(t, ctr->name, ctr->ip, true);
        if (r < 0)
            return r;
        *ret_ip = ctr->ip;
        return 0;
    }

    if (i >= 0) {
        if (address_usable(ipam, t->v[i].ip) && !static_of_other(cfg, t->v[i].ip, ctr->name)) {
            /* Kept; a former static address becomes a lease. */
            t->v[i].is_static = false;
            *ret_ip = t->v[i].ip;
            return 0;
        }
        table_remove(t, (size_t) i);
    }
    r = lowest_free(ipam, t, cfg, &ip);
    if (r < 0)
        return r;
    r = table_set(t, ctr->name, ip, false);
    if (r < 0)
        return r;
    *ret_ip = ip;
    return 0;
}

static int set_aside(struct ipam *ipam, const char *problem)
{
    _cleanup_free_ char *aside = NULL;

    ipam->load_problem = strdup(problem);
    if (!ipam->load_problem || asprintf(&aside, "%s.corrupt", ipam->path) < 0)
        return -ENOMEM;
    /* Best effort: if it cannot be moved, the next save overwrites it. */
    (void) rename(ipam->path, aside);
    return 1;
}

/* Fill the table from the file's text; 1 if it was set aside. */
static int load(struct ipam *ipam, const char *text)
{
    _cleanup_(json_decrefp) json_t *o = NULL;
    json_error_t err;
    const char *name;
    json_t *value;
    bool dropped = false;

    /* A repeated name is not worth setting the file aside: as jansson
     * does, the last one counts. */
    o = json_loads(text, 0, &err);
    if (!o && json_error_code(&err) == json_error_out_of_memory)
        return -ENOMEM;
    if (!o) {
        char problem[256];
        snprintf(problem, sizeof(problem), "line %d column %d: %s", err.line, err.column, err.text);
        return set_aside(ipam, problem);
    }
    if (!json_is_object(o))
        return set_aside(ipam, "not a JSON object of names and addresses");

    /* Objects keep their file order: on a duplicate address the first wins. */
    json_object_foreach(o, name, value)
    {
        struct in_addr a;
        uint32_t ip;
        int r;

        if (!config_name_is_valid(name) || !json_is_string(value) ||
            inet_pton(AF_INET, json_string_value(value), &a) != 1) {
            dropped = true;
            continue;
        }
        ip = ntohl(a.s_addr);
        if (!address_usable(ipam, ip) || table_find_ip(&ipam->table, ip) >= 0) {
            dropped = true;
            continue;
        }
        r = table_set(&ipam->table, name, ip, false);
        if (r < 0)
            return r;
    }
    /* The file says exactly what the table does: no need to rewrite it. */
    if (!dropped) {
        ipam->saved = serialize(&ipam->table);
        if (!ipam->saved)
            return -ENOMEM;
        if (!streq(ipam->saved, text)) {
            free(ipam->saved);
            ipam->saved = NULL;
        }
    }
    return 0;
}

int ipam_open(const char *path, const struct network_spec *net, struct ipam **ret)
{
    _cleanup_(ipam_freep) struct ipam *ipam = NULL;
    _cleanup_free_ char *text = NULL;
    uint32_t mask = net->prefix_len == 0 ? 0 : UINT32_MAX << (32 - net->prefix_len);
    int r;

    if (net->prefix_len > 32)
        return -EINVAL;
    ipam = calloc(1, sizeof(*ipam));
    if (!ipam)
        return -ENOMEM;
    ipam->path = strdup(path);
    if (!ipam->path)
        return -ENOMEM;
    ipam->subnet = net->subnet & mask;
    ipam->broadcast = ipam->subnet | ~mask;
    ipam->gateway = net->gateway;

    r = read_file(path, &text, LEASES_FILE_MAX);
    if (r == -ENOENT)
        r = 0;
    else if (r == -EFBIG)
        r = set_aside(ipam, "larger than 16 MiB");
    else if (r >= 0)
        r = load(ipam, text);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(ipam);
    return r;
}

void ipam_free(struct ipam *ipam)
{
    if (!ipam)
        return;
    free(ipam->path);
    table_done(&ipam->table);
    free(ipam->saved);
    free(ipam->load_problem);
    free(ipam);
}

const char *ipam_load_problem(const struct ipam *ipam)
{
    return ipam->load_problem;
}

int ipam_assign(struct ipam *ipam, const struct corral_config *cfg, const char *name,
                uint32_t *ret_ip)
{
    const struct container_spec *ctr = config_find_container(cfg, name);
    struct lease_table t;
    uint32_t ip;
    int r;

    if (!ctr)
        return -ENOENT;
    r = table_copy(&ipam->table, &t);
    if (r < 0)
        return r;
    r = place(ipam, &t, cfg, ctr, &ip);
    if (r < 0) {
        table_done(&t);
        return r;
    }
    r = commit(ipam, &t);
    if (r < 0)
        return r;
    if (ret_ip)
        *ret_ip = ip;
    return 0;
}

int ipam_assign_all(struct ipam *ipam, const struct corral_config *cfg, const char **ret_name)
{
    struct lease_table t;
    int r;

    r = table_copy(&ipam->table, &t);
    if (r < 0)
        return r;
    for (size_t i = t.n; i-- > 0;) {
        const struct container_spec *ctr = config_find_container(cfg, t.v[i].name);
        if (!ctr || ctr->network_none)
            table_remove(&t, i);
    }
    /* Statics first, so that a lease on a static address is moved rather
     * than kept; then the others in file order, the earlier getting the
     * lower of the new addresses. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < cfg->n_containers; i++) {
            const struct container_spec *ctr = &cfg->containers[i];
            uint32_t ip;

            if (ctr->network_none || (pass == 0) != (ctr->ip != 0))
                continue;
            r = place(ipam, &t, cfg, ctr, &ip);
            if (r < 0) {
                if (ret_name)
                    *ret_name = ctr->name;
                table_done(&t);
                return r;
            }
        }
    return commit(ipam, &t);
}

int ipam_lookup(const struct ipam *ipam, const char *name, uint32_t *ret_ip)
{
    ssize_t i = table_find_name(&ipam->table, name);

    if (i < 0)
        return -ENOENT;
    if (ret_ip)
        *ret_ip = ipam->table.v[i].ip;
    return 0;
}
