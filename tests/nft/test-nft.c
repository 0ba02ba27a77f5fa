/* SPDX-License-Identifier: MIT */
/* net/nft: the ruleset. TAP.
 *
 *   test-nft render   pure: the text for several states, no kernel.
 *   test-nft kernel   in a network namespace of its own (in-netns.sh):
 *                     nft's own parser and the kernel accept each text
 *                     (dry run), apply, list back as JSON, replace, a failed
 *                     transaction keeps the old ruleset, remove. Refuses to
 *                     run anywhere else. */
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nftables/libnftables.h>

#include "macro.h"
#include "net/nft.h"
#include "netns-guard.h"

#define IP4(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (d))

static unsigned n_tests, n_failed;

static void ok(bool cond, const char *fmt, ...) _printf_(2, 3);
static void ok(bool cond, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %u - ", cond ? "" : "not ", ++n_tests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!cond)
        n_failed++;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- sample states ---- */

static const struct nft_member three[] = {
    {.name = "web", .veth = "cr-web", .ip = IP4(10, 88, 0, 2), .mac = {2, 0, 0, 0, 0, 0x0a}},
    {.name = "db", .veth = "cr-db", .ip = IP4(10, 88, 0, 3), .mac = {2, 0, 0, 0, 0, 0x0b}},
    {.name = "cache", .veth = "cr-cache", .ip = IP4(10, 88, 0, 4), .mac = {2, 0, 0, 0, 0, 0x0c}},
};
/* The same members in another order: indexes 0 1 2 -> 2 0 1. */
static const struct nft_member three_shuffled[] = {three[1], three[2], three[0]};

static const struct nft_pair web_db[] = {{0, 1}, {1, 0}}; /* a duplicate, reversed */
static const struct nft_pair web_db_shuffled[] = {{0, 2}};

static const struct nft_port two_ports[] = {
    {.ip = IP4(10, 88, 0, 3), .host_port = 5353, .port = 53, .proto = IPPROTO_UDP},
    {.ip = IP4(10, 88, 0, 2), .host_port = 8080, .port = 80, .proto = IPPROTO_TCP},
};
static const struct nft_port two_ports_shuffled[] = {two_ports[1], two_ports[0]};

static struct nft_state base(void)
{
    return (struct nft_state){
        .bridge = "corral0",
        .subnet = IP4(10, 88, 0, 0),
        .prefix = 24,
        .gateway = IP4(10, 88, 0, 1),
        .nat = true,
        .icc = true,
    };
}

static struct nft_state full(bool nat, bool icc)
{
    struct nft_state st = base();

    st.nat = nat;
    st.icc = icc;
    st.members = three;
    st.n_members = ELEMENTSOF(three);
    st.pairs = web_db;
    st.n_pairs = ELEMENTSOF(web_db);
    st.ports = two_ports;
    st.n_ports = ELEMENTSOF(two_ports);
    return st;
}

static char *render_or_null(const struct nft_state *st)
{
    char *text = NULL;

    return nft_render(st, &text) == 0 ? text : NULL;
}

/* ---- pure ---- */

static void test_render_empty(void)
{
    struct nft_state st = base();
    _cleanup_free_ char *t = render_or_null(&st);

    ok(t, "zero members: renders");
    if (!t)
        return;
    ok(strstr(t, "ip saddr 10.88.0.0/24 oifname != \"corral0\" masquerade\n"),
       "zero members, nat: masquerade for the subnet");
    ok(strstr(t, "oifname \"corral0\" ct status dnat ip saddr { 127.0.0.0/8, 10.88.0.0/24 } "
                 "masquerade\n"),
       "zero members: 127/8 and hairpin DNAT masqueraded onto the bridge");
    ok(count(t, "elements") == 0, "zero members: no set has elements");
    ok(!strstr(t, "dnat ip to"), "zero members: no DNAT rule");
    ok(!strstr(t, "allowed_ports"), "icc: no pair sets");
    ok(count(t, "add table inet corral\ndelete table inet corral\ntable inet corral {") == 1 &&
           count(t, "add table bridge corral\ndelete table bridge corral\ntable bridge corral {") ==
               1,
       "each table: add, delete, define, once");
}

static void test_render_nat(void)
{
    struct nft_state on = full(true, true), off = full(false, true);
    _cleanup_free_ char *a = render_or_null(&on), *b = render_or_null(&off);

    ok(a && b, "nat on and off: render");
    if (!a || !b)
        return;
    ok(strstr(a, "\t\toifname \"corral0\" drop\n"),
       "nat: forwarded traffic into the bridge that is neither a reply nor DNAT is dropped");
    ok(!strstr(b, "oifname != \"corral0\" masquerade"), "no nat: no masquerade of the subnet");
    ok(!strstr(b, "\t\toifname \"corral0\" drop\n"), "no nat: the subnet stays routed");
    ok(strstr(b, "ct status dnat ip saddr { 127.0.0.0/8"),
       "no nat: 127.0.0.1 and hairpin still masqueraded");
}

static void test_render_ports(void)
{
    struct nft_state st = full(true, true);
    _cleanup_free_ char *t = render_or_null(&st);
    const char *tcp, *udp;

    ok(t, "ports: renders");
    if (!t)
        return;
    tcp = strstr(t, "\t\ttcp dport 8080 dnat ip to 10.88.0.2:80 comment \"web\"\n");
    udp = strstr(t, "\t\tudp dport 5353 dnat ip to 10.88.0.3:53 comment \"db\"\n");
    ok(tcp && udp, "ports: one DNAT rule per published port, named after its container");
    ok(tcp && udp && tcp < udp, "ports: tcp before udp");
    ok(count(t, "fib daddr type local jump published") == 2,
       "ports: reached from other hosts (prerouting) and from the host (output)");
}

static void test_render_members(void)
{
    struct nft_state st = full(true, true);
    _cleanup_free_ char *t = render_or_null(&st);

    ok(t, "members: renders");
    if (!t)
        return;
    ok(strstr(t, "\"cr-web\" . 02:00:00:00:00:0a") && strstr(t, "\"cr-db\" . 10.88.0.3 comment "
                                                                "\"db\""),
       "members: each port's MAC and address");
    ok(strstr(t, "elements = { \"cr-cache\",\n\t\t\t     \"cr-db\",\n\t\t\t     \"cr-web\" }"),
       "members: ports sorted by name");
    ok(strstr(t, "ether type != { ip, arp } drop") &&
           strstr(t, "iifname . ether saddr != @port_mac drop") &&
           strstr(t, "iifname . arp saddr ether != @port_mac drop") &&
           strstr(t, "iifname . ip saddr != @port_ip drop") &&
           strstr(t, "iifname . arp saddr ip != @port_ip drop"),
       "members: anti-spoofing on MAC, IPv4 and ARP; nothing else passes");
    ok(strstr(t, "ip daddr 127.0.0.0/8 drop"), "members: no frame to the host's loopback");
}

static void test_render_icc(void)
{
    struct nft_state no = full(true, false);
    _cleanup_free_ char *t = render_or_null(&no);

    ok(t, "icc = no: renders");
    if (!t)
        return;
    ok(count(t, "\"cr-web\" . \"cr-db\"") == 1 && count(t, "\"cr-db\" . \"cr-web\"") == 1,
       "icc = no: the pair both ways, once (duplicate dropped)");
    ok(count(t, "\"cr-cache\" . \"cr-cache\"") == 1 && count(t, "\"cr-cache\" . \"") == 1 &&
           count(t, ". \"cr-cache\"") == 2,
       "icc = no: cache may talk to itself only");
    ok(strstr(t, "10.88.0.2 . \"cr-db\"") && strstr(t, "10.88.0.3 . \"cr-web\""),
       "icc = no: routed-back traffic allowed by source address for the pair");
    ok(strstr(t, "10.88.0.2 . 10.88.0.3") && strstr(t, "10.88.0.3 . 10.88.0.2") &&
           strstr(t, "10.88.0.4 . 10.88.0.4") && !strstr(t, "10.88.0.4 . 10.88.0.2"),
       "icc = no: address pairs for published ports reached through the host");
    ok(strstr(t, "iifname \"corral0\" oifname \"corral0\" ct direction original ct status dnat "
                 "ip saddr . ip daddr != @allowed_pairs drop\n\t\tct state established"),
       "icc = no: hairpin to a published port judged first");
    ok(strstr(t, "iifname . oifname @allowed_ports accept\n\t\tiifname @ports oifname @ports "
                 "drop\n"),
       "icc = no: allowed pairs, then nothing else between ports");
    ok(strstr(t, "oifname @ports ip saddr 10.88.0.0/24 ip saddr != 10.88.0.1 ip saddr . oifname "
                 "!= @allowed_sources drop"),
       "icc = no: no routing around the policy through the gateway");
}

static void test_render_stable(void)
{
    struct nft_state a = full(true, false), b = full(true, false);
    _cleanup_free_ char *ta = NULL, *tb = NULL;

    b.members = three_shuffled;
    b.pairs = web_db_shuffled;
    b.n_pairs = ELEMENTSOF(web_db_shuffled);
    b.ports = two_ports_shuffled;
    ta = render_or_null(&a);
    tb = render_or_null(&b);
    ok(ta && tb && streq(ta, tb), "the same state in another order renders the same text");
}

static void test_render_invalid(void)
{
    struct nft_member bad_members[2];
    struct nft_port bad_ports[2];
    struct nft_pair bad_pair = {0, 3};
    struct nft_state st;
    char err[256] = "";
    char *t = NULL;

    st = base();
    st.bridge = "cor\"ral";
    ok(nft_render(&st, &t) == -EINVAL && !t, "invalid: a quote in the bridge name");
    ok(nft_apply(NULL, &st, err, sizeof(err)) == -EINVAL && strstr(err, "bridge name"),
       "invalid: nft_apply says why without touching the kernel: %s", err);
    st.bridge = "corral*";
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a wildcard in the bridge name");
    st.bridge = "a-sixteen-chars!";
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a bridge name over 15 characters");

    st = base();
    st.subnet = IP4(10, 88, 0, 5);
    ok(nft_render(&st, &t) == -EINVAL, "invalid: host bits in the subnet");
    st = base();
    st.gateway = IP4(10, 89, 0, 1);
    ok(nft_render(&st, &t) == -EINVAL, "invalid: gateway outside the subnet");

    st = full(true, true);
    memcpy(bad_members, three, sizeof(bad_members));
    st.members = bad_members;
    st.n_members = 2;
    st.n_ports = 0;
    st.n_pairs = 0;
    bad_members[1].ip = bad_members[0].ip;
    ok(nft_render(&st, &t) == -EINVAL, "invalid: two members with one address");
    bad_members[1] = three[1];
    memcpy(bad_members[1].mac, three[0].mac, 6);
    ok(nft_render(&st, &t) == -EINVAL, "invalid: two members with one MAC");
    bad_members[1] = three[1];
    bad_members[1].mac[0] = 1;
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a multicast MAC");
    bad_members[1] = three[1];
    bad_members[1].ip = IP4(192, 168, 1, 2);
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a member outside the subnet");
    bad_members[1] = three[1];
    bad_members[1].ip = st.gateway;
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a member on the gateway address");
    bad_members[1].ip = IP4(10, 88, 0, 255);
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a member on the broadcast address");
    bad_members[1] = three[1];
    bad_members[1].name = "d\"b";
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a quote in a container name");
    bad_members[1] = three[1];
    st.pairs = &bad_pair;
    st.n_pairs = 1;
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a pair out of range");

    st = full(true, true);
    memcpy(bad_ports, two_ports, sizeof(bad_ports));
    st.ports = bad_ports;
    bad_ports[1].host_port = bad_ports[0].host_port;
    bad_ports[1].proto = bad_ports[0].proto;
    ok(nft_render(&st, &t) == -EINVAL, "invalid: one port published twice");
    bad_ports[1] = two_ports[1];
    bad_ports[1].proto = IPPROTO_SCTP;
    ok(nft_render(&st, &t) == -EINVAL, "invalid: a protocol other than tcp or udp");
    ok(!t, "invalid: nothing rendered");
}

/* ---- in a namespace of our own ---- */

static void nft_ctx_freep(struct nft_ctx **ctx)
{
    if (*ctx)
        nft_ctx_free(*ctx);
}

/* Run one nft command through libnftables (never the nft binary);
 * output into *ret_out when given. */
static int nft_cmd(const char *cmd, bool json, bool dry_run, char **ret_out)
{
    _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    int r;

    if (!ctx)
        return -ENOMEM;
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    if (json)
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
    nft_ctx_set_dry_run(ctx, dry_run);
    r = nft_run_cmd_from_buffer(ctx, cmd);
    if (r != 0)
        printf("# %s", nft_ctx_get_error_buffer(ctx));
    if (ret_out)
        *ret_out = strdup(nft_ctx_get_output_buffer(ctx));
    return r == 0 ? 0 : -EIO;
}

struct shape {
    int tables, chains, rules, sets, elements;
};

/* What the kernel holds of corral's tables, from the JSON listing. */
static struct shape ruleset_shape(void)
{
    _cleanup_free_ char *out = NULL;
    struct shape s = {};
    json_t *root, *list, *item;
    size_t i;

    if (nft_cmd("list ruleset", true, false, &out) < 0 || !out)
        return (struct shape){-1, -1, -1, -1, -1};
    root = json_loads(out, 0, NULL);
    list = json_object_get(root, "nftables");
    json_array_foreach(list, i, item)
    {
        json_t *o;
        const char *table;

        if ((o = json_object_get(item, "table")))
            table = json_string_value(json_object_get(o, "name"));
        else if ((o = json_object_get(item, "chain")) || (o = json_object_get(item, "rule")) ||
                 (o = json_object_get(item, "set")))
            table = json_string_value(json_object_get(o, "table"));
        else
            continue;
        if (!table || !streq(table, "corral"))
            continue;
        if (json_object_get(item, "table"))
            s.tables++;
        else if (json_object_get(item, "chain"))
            s.chains++;
        else if (json_object_get(item, "rule"))
            s.rules++;
        else {
            s.sets++;
            s.elements += (int) json_array_size(json_object_get(o, "elem"));
        }
    }
    json_decref(root);
    return s;
}

static bool has_rule(const char *listing, const char *line)
{
    return strstr(listing, line) != NULL;
}

static void test_kernel_dry_run(void)
{
    const struct {
        bool nat, icc, empty;
    } cases[] = {
        {true, true, true}, {true, false, false}, {false, true, false}, {false, false, false}};

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct nft_state st = cases[i].empty ? base() : full(cases[i].nat, cases[i].icc);
        _cleanup_free_ char *t = NULL;

        st.nat = cases[i].nat;
        st.icc = cases[i].icc;
        t = render_or_null(&st);
        ok(t && nft_cmd(t, false, true, NULL) == 0,
           "dry run: nft and the kernel accept nat=%d icc=%d%s", st.nat, st.icc,
           cases[i].empty ? " zero members" : "");
    }
}

static void test_kernel_apply(void)
{
    struct nft_state a = full(true, false), b = full(false, true);
    _cleanup_free_ char *listing = NULL, *before = NULL, *after = NULL, *text = NULL,
                        *foreign = NULL;
    struct shape s1, s2, s3;
    char err[512] = "";
    int r;

    ok(nft_cmd("table inet other { chain c { type filter hook input priority 0; }; }", false, false,
               NULL) == 0,
       "a table that is not corral's");

    r = nft_apply(NULL, &a, err, sizeof(err));
    ok(r == 0, "apply (nat, icc = no, 3 members, 2 ports): %d %s", r, err);
    s1 = ruleset_shape();
    ok(s1.tables == 2, "apply: both tables (%d)", s1.tables);
    ok(s1.chains == 5 + 4, "apply: 5 inet + 4 bridge chains (%d)", s1.chains);
    ok(s1.sets == 6, "apply: 6 sets (%d)", s1.sets);
    ok(s1.elements == 3 + 3 + 3 + 3 * (3 + 2), "apply: set elements (%d)", s1.elements);
    nft_cmd("list table inet corral", false, false, &listing);
    ok(listing && has_rule(listing, "tcp dport 8080 dnat ip to 10.88.0.2:80") &&
           has_rule(listing, "udp dport 5353 dnat ip to 10.88.0.3:53"),
       "apply: DNAT rules listed back");
    free(TAKE_PTR(listing));
    nft_cmd("list table bridge corral", false, false, &listing);
    ok(listing && has_rule(listing, "iifname . oifname @allowed_ports accept"),
       "apply: the bridge policy listed back");

    r = nft_apply(NULL, &a, err, sizeof(err));
    s2 = ruleset_shape();
    ok(r == 0 && memcmp(&s1, &s2, sizeof(s1)) == 0,
       "apply again: replaced, not duplicated (%d rules, then %d)", s1.rules, s2.rules);

    /* The daemon keeps one context: loads through it behave the same and
     * it keeps no output between them. */
    {
        struct nft_ctx *kept = NULL;

        r = nft_open(&kept);
        for (int i = 0; i < 5 && r == 0; i++)
            r = nft_apply(kept, &a, err, sizeof(err));
        s2 = ruleset_shape();
        ok(r == 0 && memcmp(&s1, &s2, sizeof(s1)) == 0,
           "a kept context, 5 applies: the same ruleset (%d rules)", s2.rules);
        b.bridge = "cor\"ral0";
        r = nft_apply(kept, &b, err, sizeof(err));
        b.bridge = "corral0";
        ok(r == -EINVAL, "a kept context: a refused state");
        r = nft_apply(kept, &a, err, sizeof(err));
        ok(r == 0 && err[0] == '\0', "a kept context: usable after a failure, no stale error");

        /* Loading only what changed: a restart renders the same text. */
        char *last = NULL;
        r = nft_apply_changed(kept, &a, &last, err, sizeof(err));
        ok(r == 1 && last, "apply_changed: the first load happens (%d)", r);
        nft_cmd("delete table bridge corral", false, false, NULL);
        r = nft_apply_changed(kept, &a, &last, err, sizeof(err));
        s2 = ruleset_shape();
        ok(r == 0 && s2.tables == 1,
           "apply_changed: the same state again is not loaded (%d, %d tables)", r, s2.tables);
        r = nft_apply_changed(kept, &b, &last, err, sizeof(err));
        s2 = ruleset_shape();
        ok(r == 1 && s2.tables == 2 && s2.sets == 3, "apply_changed: another state is (%d)", r);
        b.bridge = "cor\"ral0";
        r = nft_apply_changed(kept, &b, &last, err, sizeof(err));
        b.bridge = "corral0";
        ok(r == -EINVAL && last, "apply_changed: a refused state keeps the last text");
        r = nft_apply_changed(kept, &b, &last, err, sizeof(err));
        ok(r == 0, "apply_changed: ... so the same state after it is still not loaded");
        nft_cmd("delete table inet corral", false, false, NULL);
        free(last);
        last = NULL;
        r = nft_apply_changed(kept, &a, &last, err, sizeof(err));
        s2 = ruleset_shape();
        ok(r == 1 && memcmp(&s1, &s2, sizeof(s1)) == 0,
           "apply_changed: with no last text, loads (%d)", r);
        free(last);
        nft_close(kept);
    }

    r = nft_apply(NULL, &b, err, sizeof(err));
    s3 = ruleset_shape();
    ok(r == 0 && s3.tables == 2 && s3.chains == 5 + 2 && s3.sets == 3,
       "apply another state (no nat, icc): %d chains, %d sets", s3.chains, s3.sets);
    ok(s3.rules == s1.rules - 1 - 1 - 1 - 2 - 1, "another state: exactly its rules (%d, was %d)",
       s3.rules, s1.rules);

    /* A failing transaction: the state is refused before the kernel... */
    nft_cmd("list ruleset", false, false, &before);
    b.bridge = "cor\"ral0";
    r = nft_apply(NULL, &b, err, sizeof(err));
    ok(r == -EINVAL && strstr(err, "bridge name"), "broken state: %d, %s", r, err);
    b.bridge = "corral0";
    /* ...and one the kernel refuses at the end of the batch, after the
     * deletes: dnat is not allowed in a postrouting chain. */
    text = render_or_null(&a);
    if (text) {
        _cleanup_free_ char *bad = NULL;

        if (asprintf(&bad, "%sadd rule inet corral postrouting tcp dport 1 dnat ip to 10.88.0.2\n",
                     text) < 0)
            bad = NULL;
        err[0] = '\0';
        r = bad ? nft_apply_text(NULL, bad, err, sizeof(err)) : -ENOMEM;
        ok(r == -EOPNOTSUPP && strstr(err, "Operation not supported") &&
               strstr(err, "dnat ip to 10.88.0.2") && strncmp(err, "line ", 5) == 0,
           "kernel refuses the last command: %d, %s", r, err);
    }
    nft_cmd("list ruleset", false, false, &after);
    ok(before && after && streq(before, after), "after both failures: the previous ruleset");

    r = nft_remove(NULL, err, sizeof(err));
    s1 = ruleset_shape();
    ok(r == 0 && s1.tables == 0 && s1.chains == 0 && s1.rules == 0, "remove: tables gone (%d)", r);
    r = nft_remove(NULL, err, sizeof(err));
    ok(r == 0, "remove when absent: %d %s", r, err);
    nft_cmd("list table inet other", false, false, &foreign);
    ok(foreign && strstr(foreign, "chain c"), "the other table was never touched");
    nft_cmd("delete table inet other", false, false, NULL);
}

/* What one apply costs, for the benchmark's sake: a diagnostic, not a test. */
static void measure_apply(void)
{
    enum { N = 100 };
    struct nft_member m[N];
    char veth[N][16];
    struct nft_state st = base();
    struct timespec t0, t1;
    int r = 0;

    for (int i = 0; i < N; i++) {
        snprintf(veth[i], sizeof(veth[i]), "cr-%d", i);
        m[i] = (struct nft_member){
            .veth = veth[i], .ip = IP4(10, 88, 0, 10 + i), .mac = {2, 0, 0, 0, 1, (uint8_t) i}};
    }
    st.members = m;
    for (int kept = 0; kept <= 1; kept++) {
        struct nft_ctx *ctx = NULL;

        if (kept && nft_open(&ctx) < 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 1; i <= N && r == 0; i++) {
            st.n_members = (size_t) i;
            r = nft_apply(ctx, &st, NULL, 0);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        nft_close(ctx);
        ok(r == 0, "100 applies, growing to 100 members (%s context)", kept ? "kept" : "one-off");
        printf("# mean apply time over 1..100 members, %s context: %.2f ms\n",
               kept ? "kept" : "one-off",
               ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / N);
    }
    nft_remove(NULL, NULL, 0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "render";

    if (streq(mode, "render")) {
        test_render_empty();
        test_render_nat();
        test_render_ports();
        test_render_members();
        test_render_icc();
        test_render_stable();
        test_render_invalid();
    } else if (streq(mode, "kernel")) {
        const char *why = netns_guard(true);

        if (why) {
            printf("1..0 # SKIP %s\n", why);
            return 0;
        }
        test_kernel_dry_run();
        test_kernel_apply();
        measure_apply();
    } else {
        fprintf(stderr, "usage: %s render|kernel\n", argv[0]);
        return 2;
    }
    printf("1..%u\n", n_tests);
    return n_failed ? 1 : 0;
}
