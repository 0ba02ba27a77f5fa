/* SPDX-License-Identifier: MIT */
/* Test driver for functional.sh: build an nft_state from the command line
 * and apply it (or print it, or remove the tables). Refuses to touch
 * nftables outside a network namespace of its own.
 *
 *   nft-apply [print] bridge=corral0 subnet=10.88.0.0/24 gateway=10.88.0.1
 *             nat=1 icc=0 member=NAME,VETH,IP,MAC... pair=NAME,NAME...
 *             port=tcp|udp,HOSTPORT,IP,PORT...
 *   nft-apply remove
 *   nft-apply list          the whole ruleset of this namespace
 *   nft-apply exec TEXT     any nft script, through libnftables */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "macro.h"
#include "net/nft.h"
#include "netns-guard.h"

#define MAX 64

static int parse_ip(const char *s, uint32_t *ret)
{
    struct in_addr a;

    if (inet_pton(AF_INET, s, &a) != 1)
        return -EINVAL;
    *ret = ntohl(a.s_addr);
    return 0;
}

static int usage(const char *arg)
{
    fprintf(stderr, "nft-apply: cannot parse '%s'\n", arg);
    return 2;
}

int main(int argc, char **argv)
{
    static struct nft_member members[MAX];
    static struct nft_pair pairs[MAX];
    static struct nft_port ports[MAX];
    static char names[MAX][64], veths[MAX][16];
    struct nft_state st = {.bridge = "corral0", .nat = true, .icc = true};
    bool print = false;
    char err[512];
    const char *why;
    int r;

    for (int i = 1; i < argc; i++) {
        char *a = argv[i], *v = strchr(a, '=');
        char f[4][64];

        if (streq(a, "print")) {
            print = true;
            continue;
        }
        if (streq(a, "remove") || streq(a, "list") || streq(a, "exec")) {
            why = netns_guard(false);
            if (why) {
                fprintf(stderr, "nft-apply: refusing: %s\n", why);
                return 77;
            }
            if (streq(a, "list")) {
                struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

                r = ctx ? nft_run_cmd_from_buffer(ctx, "list ruleset") : -1;
                if (ctx)
                    nft_ctx_free(ctx);
                return r == 0 ? 0 : 1;
            }
            if (streq(a, "exec"))
                r = i + 1 < argc ? nft_apply_text(NULL, argv[i + 1], err, sizeof(err)) : -EINVAL;
            else
                r = nft_remove(NULL, err, sizeof(err));
            if (r < 0)
                fprintf(stderr, "nft-apply: %s: %s\n", a, err);
            return r < 0 ? 1 : 0;
        }
        if (!v)
            return usage(a);
        *v++ = '\0';
        if (streq(a, "bridge"))
            st.bridge = v;
        else if (streq(a, "subnet")) {
            char *slash = strchr(v, '/');

            if (!slash)
                return usage(v);
            *slash = '\0';
            if (parse_ip(v, &st.subnet) < 0)
                return usage(v);
            st.prefix = (unsigned) atoi(slash + 1);
        } else if (streq(a, "gateway")) {
            if (parse_ip(v, &st.gateway) < 0)
                return usage(v);
        } else if (streq(a, "nat"))
            st.nat = atoi(v);
        else if (streq(a, "icc"))
            st.icc = atoi(v);
        else if (streq(a, "member") && st.n_members < MAX) {
            struct nft_member *m = &members[st.n_members];
            unsigned mac[6];

            if (sscanf(v, "%63[^,],%15[^,],%63[^,],%x:%x:%x:%x:%x:%x", names[st.n_members],
                       veths[st.n_members], f[0], &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
                       &mac[5]) != 9 ||
                parse_ip(f[0], &m->ip) < 0)
                return usage(v);
            m->name = names[st.n_members];
            m->veth = veths[st.n_members];
            for (int k = 0; k < 6; k++)
                m->mac[k] = (uint8_t) mac[k];
            st.n_members++;
        } else if (streq(a, "pair") && st.n_pairs < MAX) {
            size_t ia = SIZE_MAX, ib = SIZE_MAX;

            if (sscanf(v, "%63[^,],%63s", f[0], f[1]) != 2)
                return usage(v);
            for (size_t k = 0; k < st.n_members; k++) {
                if (streq(names[k], f[0]))
                    ia = k;
                if (streq(names[k], f[1]))
                    ib = k;
            }
            pairs[st.n_pairs++] = (struct nft_pair){ia, ib};
        } else if (streq(a, "port") && st.n_ports < MAX) {
            struct nft_port *p = &ports[st.n_ports];
            unsigned hp, cp;

            if (sscanf(v, "%3[a-z],%u,%63[^,],%u", f[0], &hp, f[1], &cp) != 4 ||
                parse_ip(f[1], &p->ip) < 0)
                return usage(v);
            p->proto = streq(f[0], "udp") ? IPPROTO_UDP : IPPROTO_TCP;
            p->host_port = (uint16_t) hp;
            p->port = (uint16_t) cp;
            st.n_ports++;
        } else
            return usage(a);
    }
    st.members = members;
    st.pairs = pairs;
    st.ports = ports;

    if (print) {
        _cleanup_free_ char *text = NULL;

        r = nft_render(&st, &text);
        if (r < 0) {
            fprintf(stderr, "nft-apply: render: %s\n", strerror(-r));
            return 1;
        }
        fputs(text, stdout);
        return 0;
    }

    why = netns_guard(false);
    if (why) {
        fprintf(stderr, "nft-apply: refusing: %s\n", why);
        return 77;
    }
    r = nft_apply(NULL, &st, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "nft-apply: %s: %s\n", strerror(-r), err);
        return 1;
    }
    return 0;
}
