/* SPDX-License-Identifier: MIT */
/* The nftables ruleset, rendered as one nft script from the whole state
 * and loaded through libnftables in a single transaction:
 *
 *   add table T; delete table T; table T { ... }
 *
 * for T = inet corral and bridge corral, in one buffer. The add makes the
 * delete valid on a first run; the kernel applies the batch all or nothing,
 * so a failure anywhere leaves the previous tables untouched, and a second
 * apply replaces instead of appending.
 *
 * inet corral: masquerade, published ports (DNAT), and a forward chain.
 * bridge corral: the policy between containers, at layer 2 on the bridge
 * ports, so it holds whether or not br_netfilter passes bridged frames to
 * the IP hooks, and anti-spoofing on every frame a container sends. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "macro.h"
#include "net/nft.h"

#define IFNAME_MAX 15  /* IFNAMSIZ - 1 */
#define COMMENT_MAX 64 /* nft's own limit is 128 bytes */
#define LOOPBACK_NET "127.0.0.0/8"

static void nft_ctx_freep(struct nft_ctx **ctx)
{
    if (*ctx)
        nft_ctx_free(*ctx);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Interface names go into nft scripts between quotes, where '*' is a
 * wildcard and '"' or '\' would end or escape the string: accept only the
 * characters corral itself uses for names. */
static bool ifname_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > IFNAME_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char) *p) && !strchr("_.-", *p))
            return false;
    return true;
}

static bool comment_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > COMMENT_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!isprint((unsigned char) *p) || *p == '"' || *p == '\\')
            return false;
    return true;
}

static uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : ~UINT32_C(0) << (32 - prefix);
}

static bool in_subnet(const struct nft_state *st, uint32_t ip)
{
    return (ip & prefix_mask(st->prefix)) == st->subnet;
}

/* In the subnet, and neither its network nor its broadcast address (a /31
 * or /32 has neither) nor the gateway. */
static bool host_address(const struct nft_state *st, uint32_t ip)
{
    uint32_t broadcast = st->subnet | ~prefix_mask(st->prefix);

    if (!in_subnet(st, ip) || ip == st->gateway)
        return false;
    return st->prefix > 30 || (ip != st->subnet && ip != broadcast);
}

/* Formatted into a struct returned by value: its array lives until the end
 * of the full expression, so several fit in one printf, with no static
 * buffer. */
struct addr_str {
    char s[INET_ADDRSTRLEN];
};
struct mac_str {
    char s[18];
};

static struct addr_str ip_fmt(uint32_t ip)
{
    struct addr_str b;
    struct in_addr a = {.s_addr = htonl(ip)};

    inet_ntop(AF_INET, &a, b.s, sizeof(b.s));
    return b;
}

static struct mac_str mac_fmt(const uint8_t m[6])
{
    struct mac_str b;

    snprintf(b.s, sizeof(b.s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

#define IP_STR(ip) (ip_fmt(ip).s)
#define MAC_STR(m) (mac_fmt(m).s)

static const char *proto_str(uint8_t proto)
{
    return proto == IPPROTO_TCP ? "tcp" : "udp";
}

static int validate(const struct nft_state *st, char *err, size_t errlen)
{
    if (!st->bridge || !ifname_ok(st->bridge)) {
        set_err(err, errlen,
                "bridge name '%s' is not an interface name corral can use "
                "(1-15 of [A-Za-z0-9_.-])",
                st->bridge ? st->bridge : "");
        return -EINVAL;
    }
    if (st->prefix < 1 || st->prefix > 32) {
        set_err(err, errlen, "subnet prefix /%u is not between /1 and /32", st->prefix);
        return -EINVAL;
    }
    if ((st->subnet & ~prefix_mask(st->prefix)) != 0) {
        set_err(err, errlen, "subnet %s/%u has host bits set", IP_STR(st->subnet), st->prefix);
        return -EINVAL;
    }
    if (!in_subnet(st, st->gateway) ||
        (st->prefix <= 30 &&
         (st->gateway == st->subnet || st->gateway == (st->subnet | ~prefix_mask(st->prefix))))) {
        set_err(err, errlen, "gateway %s is not a host address of %s/%u", IP_STR(st->gateway),
                IP_STR(st->subnet), st->prefix);
        return -EINVAL;
    }

    for (size_t i = 0; i < st->n_members; i++) {
        const struct nft_member *m = &st->members[i];
        static const uint8_t zero[6];

        if (!ifname_ok(m->veth)) {
            set_err(err, errlen, "veth name '%s' is not an interface name corral can use",
                    m->veth ? m->veth : "");
            return -EINVAL;
        }
        if (m->name && !comment_ok(m->name)) {
            set_err(err, errlen, "%s: container name cannot be a comment", m->veth);
            return -EINVAL;
        }
        if (!host_address(st, m->ip)) {
            set_err(err, errlen, "%s: address %s is not a host address of %s/%u", m->veth,
                    IP_STR(m->ip), IP_STR(st->subnet), st->prefix);
            return -EINVAL;
        }
        if ((m->mac[0] & 1) || memcmp(m->mac, zero, 6) == 0) {
            set_err(err, errlen, "%s: MAC %s is not a unicast address", m->veth, MAC_STR(m->mac));
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++) {
            const struct nft_member *o = &st->members[j];
            const char *what = streq(m->veth, o->veth)          ? "veth name"
                               : m->ip == o->ip                 ? "address"
                               : memcmp(m->mac, o->mac, 6) == 0 ? "MAC"
                                                                : NULL;
            if (what) {
                set_err(err, errlen, "%s and %s: same %s", o->veth, m->veth, what);
                return -EINVAL;
            }
        }
    }

    for (size_t i = 0; i < st->n_pairs; i++) {
        const struct nft_pair *p = &st->pairs[i];

        if (p->a >= st->n_members || p->b >= st->n_members || p->a == p->b) {
            set_err(err, errlen, "pair (%zu, %zu) does not name two of the %zu members", p->a, p->b,
                    st->n_members);
            return -EINVAL;
        }
    }

    for (size_t i = 0; i < st->n_ports; i++) {
        const struct nft_port *p = &st->ports[i];

        if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) {
            set_err(err, errlen, "published port %u: protocol %u is neither tcp nor udp",
                    p->host_port, p->proto);
            return -EINVAL;
        }
        if (p->host_port == 0 || p->port == 0) {
            set_err(err, errlen, "published port %u:%u: port 0", p->host_port, p->port);
            return -EINVAL;
        }
        if (!host_address(st, p->ip)) {
            set_err(err, errlen, "published port %u/%s: %s is not a host address of %s/%u",
                    p->host_port, proto_str(p->proto), IP_STR(p->ip), IP_STR(st->subnet),
                    st->prefix);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (st->ports[j].proto == p->proto && st->ports[j].host_port == p->host_port) {
                set_err(err, errlen, "port %u/%s is published twice", p->host_port,
                        proto_str(p->proto));
                return -EINVAL;
            }
    }
    return 0;
}

/* ---- stable ordering: the text depends on the state's content only ---- */

static int cmp_member(const void *a, const void *b, void *userdata)
{
    const struct nft_member *m = userdata;

    return strcmp(m[*(const size_t *) a].veth, m[*(const size_t *) b].veth);
}

static int cmp_pair(const void *a, const void *b)
{
    const struct nft_pair *x = a, *y = b;

    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static int cmp_port(const void *a, const void *b)
{
    const struct nft_port *x = a, *y = b;

    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return x->host_port < y->host_port ? -1 : x->host_port > y->host_port;
}

/* Sort and drop duplicates; returns the new count. */
static size_t sort_unique(struct nft_pair *v, size_t n)
{
    size_t k = 0;

    qsort(v, n, sizeof(*v), cmp_pair);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || cmp_pair(&v[k - 1], &v[i]) != 0)
            v[k++] = v[i];
    return k;
}

struct plan {
    const struct nft_member **members; /* sorted by veth name */
    /* Who may talk to whom when !icc, as ranks into members: each member
     * with itself, each pair both ways; sorted, unique. */
    struct nft_pair *allowed;
    size_t n_allowed;
    struct nft_port *ports; /* sorted by protocol, then host port */
};

static void plan_done(struct plan *p)
{
    free(p->members);
    free(p->allowed);
    free(p->ports);
}

static int plan_make(const struct nft_state *st, struct plan *ret)
{
    _cleanup_free_ size_t *order = NULL, *rank = NULL;
    struct plan p = {};
    size_t n = st->n_members;

    order = calloc(n + 1, sizeof(*order));
    rank = calloc(n + 1, sizeof(*rank));
    p.members = calloc(n + 1, sizeof(*p.members));
    p.allowed = calloc(n + 2 * st->n_pairs + 1, sizeof(*p.allowed));
    p.ports = calloc(st->n_ports + 1, sizeof(*p.ports));
    if (!order || !rank || !p.members || !p.allowed || !p.ports) {
        plan_done(&p);
        return -ENOMEM;
    }

    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof(*order), cmp_member, (void *) st->members);
    for (size_t i = 0; i < n; i++) {
        p.members[i] = &st->members[order[i]];
        rank[order[i]] = i;
    }

    for (size_t i = 0; i < n; i++)
        p.allowed[p.n_allowed++] = (struct nft_pair){i, i};
    for (size_t i = 0; i < st->n_pairs; i++) {
        size_t a = rank[st->pairs[i].a], b = rank[st->pairs[i].b];

        p.allowed[p.n_allowed++] = (struct nft_pair){a, b};
        p.allowed[p.n_allowed++] = (struct nft_pair){b, a};
    }
    p.n_allowed = sort_unique(p.allowed, p.n_allowed);

    if (st->n_ports > 0)
        memcpy(p.ports, st->ports, st->n_ports * sizeof(*p.ports));
    qsort(p.ports, st->n_ports, sizeof(*p.ports), cmp_port);

    *ret = p;
    return 0;
}

/* ---- rendering ---- */

/* "\t\telements = { a,\n\t\t\t     b }\n", or nothing for an empty set (nft
 * rejects "elements = { }"). Element i is printed by elem(f, p, i). */
static void put_elements(FILE *f, size_t n, void (*elem)(FILE *, const struct plan *, size_t),
                         const struct plan *p)
{
    if (n == 0)
        return;
    fputs("\t\telements = { ", f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputs(",\n\t\t\t     ", f);
        elem(f, p, i);
    }
    fputs(" }\n", f);
}

static void elem_port(FILE *f, const struct plan *p, size_t i)
{
    fprintf(f, "\"%s\"", p->members[i]->veth);
}

static void elem_port_mac(FILE *f, const struct plan *p, size_t i)
{
    fprintf(f, "\"%s\" . %s", p->members[i]->veth, MAC_STR(p->members[i]->mac));
}

static void elem_port_ip(FILE *f, const struct plan *p, size_t i)
{
    const struct nft_member *m = p->members[i];

    fprintf(f, "\"%s\" . %s", m->veth, IP_STR(m->ip));
    if (m->name)
        fprintf(f, " comment \"%s\"", m->name);
}

static void elem_allowed_port(FILE *f, const struct plan *p, size_t i)
{
    fprintf(f, "\"%s\" . \"%s\"", p->members[p->allowed[i].a]->veth,
            p->members[p->allowed[i].b]->veth);
}

static void elem_allowed_source(FILE *f, const struct plan *p, size_t i)
{
    fprintf(f, "%s . \"%s\"", IP_STR(p->members[p->allowed[i].a]->ip),
            p->members[p->allowed[i].b]->veth);
}

static void elem_allowed_pair(FILE *f, const struct plan *p, size_t i)
{
    fprintf(f, "%s . %s", IP_STR(p->members[p->allowed[i].a]->ip),
            IP_STR(p->members[p->allowed[i].b]->ip));
}

static void render_set(FILE *f, const char *name, const char *type, size_t n,
                       void (*elem)(FILE *, const struct plan *, size_t), const struct plan *p)
{
    fprintf(f, "\tset %s {\n\t\ttype %s\n", name, type);
    put_elements(f, n, elem, p);
    fputs("\t}\n", f);
}

static void render_inet(FILE *f, const struct nft_state *st, const struct plan *p)
{
    const char *br = st->bridge;
    char subnet[INET_ADDRSTRLEN + 4];

    snprintf(subnet, sizeof(subnet), "%s/%u", IP_STR(st->subnet), st->prefix);

    fputs("add table inet corral\n"
          "delete table inet corral\n"
          "table inet corral {\n",
          f);
    if (!st->icc)
        render_set(f, "allowed_pairs", "ipv4_addr . ipv4_addr", p->n_allowed, elem_allowed_pair, p);

    /* Published ports answer on every local address: from other hosts
     * (prerouting) and from the host itself, 127.0.0.1 included (output). */
    fputs("\tchain prerouting {\n"
          "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
          "\t\tfib daddr type local jump published\n"
          "\t}\n"
          "\tchain output {\n"
          "\t\ttype nat hook output priority -100; policy accept;\n"
          "\t\tfib daddr type local jump published\n"
          "\t}\n"
          "\tchain published {\n",
          f);
    for (size_t i = 0; i < st->n_ports; i++) {
        const struct nft_port *q = &p->ports[i];
        const char *name = NULL;

        for (size_t j = 0; j < st->n_members && !name; j++)
            if (st->members[j].ip == q->ip)
                name = st->members[j].name;
        fprintf(f, "\t\t%s dport %u dnat ip to %s:%u", proto_str(q->proto), q->host_port,
                IP_STR(q->ip), q->port);
        if (name)
            fprintf(f, " comment \"%s\"", name);
        fputc('\n', f);
    }
    fputs("\t}\n", f);

    /* A published port reached through the bridge from 127.0.0.1 (needs
     * route_localnet) or from a container (hairpin) must be answered through
     * the host too: masquerade both to the gateway address. */
    fputs("\tchain postrouting {\n"
          "\t\ttype nat hook postrouting priority srcnat; policy accept;\n",
          f);
    if (st->nat)
        fprintf(f, "\t\tip saddr %s oifname != \"%s\" masquerade\n", subnet, br);
    fprintf(f, "\t\toifname \"%s\" ct status dnat ip saddr { %s, %s } masquerade\n", br,
            LOOPBACK_NET, subnet);
    fputs("\t}\n", f);

    /* An accept here does not override a drop in another table's forward
     * chain (every base chain on a hook runs; only drop is final), so a host
     * firewall that drops forwarded traffic must let the bridge through
     * itself. What this chain does decide: behind NAT, only replies and
     * published ports come in from outside; without NAT the subnet is
     * routed and reachable. */
    fputs("\tchain forward {\n"
          "\t\ttype filter hook forward priority filter; policy accept;\n",
          f);
    /* With icc = no, a container may not reach a published port of one it
     * is not connected to through the host's address either. Judged before
     * masquerade hides the source; replies pass (reversed, they show the
     * published address). With br_netfilter the frame is bridged after
     * DNAT instead of routed, and the bridge table drops it as well. */
    if (!st->icc)
        fprintf(f,
                "\t\tiifname \"%s\" oifname \"%s\" ct direction original ct status dnat "
                "ip saddr . ip daddr != @allowed_pairs drop\n",
                br, br);
    fprintf(f,
            "\t\tct state established,related accept\n"
            "\t\tiifname \"%s\" accept\n"
            "\t\toifname \"%s\" ct status dnat accept\n",
            br, br);
    if (st->nat)
        fprintf(f, "\t\toifname \"%s\" drop\n", br);
    fputs("\t}\n}\n", f);
}

static void render_bridge(FILE *f, const struct nft_state *st, const struct plan *p)
{
    size_t n = st->n_members;

    fputs("add table bridge corral\n"
          "delete table bridge corral\n"
          "table bridge corral {\n",
          f);
    render_set(f, "ports", "ifname", n, elem_port, p);
    render_set(f, "port_mac", "ifname . ether_addr", n, elem_port_mac, p);
    render_set(f, "port_ip", "ifname . ipv4_addr", n, elem_port_ip, p);
    if (!st->icc) {
        render_set(f, "allowed_ports", "ifname . ifname", p->n_allowed, elem_allowed_port, p);
        render_set(f, "allowed_sources", "ipv4_addr . ifname", p->n_allowed, elem_allowed_source,
                   p);
    }

    /* Every frame a container sends, whether bridged to another port or
     * delivered to the host: only IPv4 and ARP (a VLAN tag or IPv6 would
     * carry traffic past the checks below), only from its own MAC and
     * address, never to the host's loopback (route_localnet is on). */
    fputs("\tchain prerouting {\n"
          "\t\ttype filter hook prerouting priority filter; policy accept;\n"
          "\t\tiifname @ports jump from_container\n"
          "\t}\n"
          "\tchain from_container {\n"
          "\t\tether type != { ip, arp } drop\n"
          "\t\tiifname . ether saddr != @port_mac drop\n"
          "\t\tiifname . arp saddr ether != @port_mac drop\n"
          "\t\tiifname . ip saddr != @port_ip drop\n"
          "\t\tiifname . arp saddr ip != @port_ip drop\n"
          "\t\tip daddr " LOOPBACK_NET " drop\n"
          "\t}\n",
          f);

    if (!st->icc) {
        /* Between two ports, each flooded copy (ARP requests included) is
         * judged on its own output port: allowed pairs resolve each other,
         * nobody else sees them. */
        fputs("\tchain forward {\n"
              "\t\ttype filter hook forward priority filter; policy accept;\n"
              "\t\tiifname . oifname @allowed_ports accept\n"
              "\t\tiifname @ports oifname @ports drop\n"
              "\t}\n",
              f);
        /* A container can also send to the gateway's MAC with a peer's
         * address and have the host route it back onto the bridge; that
         * leaves through the output hook. Source addresses are trustworthy
         * here because of from_container; published ports reached by
         * hairpin arrive masqueraded to the gateway. */
        fprintf(f,
                "\tchain output {\n"
                "\t\ttype filter hook output priority filter; policy accept;\n"
                "\t\toifname @ports ip saddr %s/%u ip saddr != %s ip saddr . oifname != "
                "@allowed_sources drop\n"
                "\t}\n",
                IP_STR(st->subnet), st->prefix, IP_STR(st->gateway));
    }
    fputs("}\n", f);
}

static int render(const struct nft_state *st, char **ret_text, char *err, size_t errlen)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_fclose_ FILE *f = NULL;
    struct plan p;
    size_t size;
    int r;

    r = validate(st, err, errlen);
    if (r < 0)
        return r;
    r = plan_make(st, &p);
    if (r < 0) {
        set_err(err, errlen, "out of memory");
        return r;
    }

    f = open_memstream(&text, &size);
    if (!f) {
        plan_done(&p);
        set_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    fputs("# corral: generated from the whole state and replaced as a whole\n", f);
    render_inet(f, st, &p);
    render_bridge(f, st, &p);
    plan_done(&p);

    r = ferror(f) ? -ENOMEM : 0;
    if (fclose(TAKE_PTR(f)) != 0 || r < 0) {
        set_err(err, errlen, "out of memory");
        return -ENOMEM;
    }
    *ret_text = TAKE_PTR(text);
    return 0;
}

int nft_render(const struct nft_state *st, char **ret_text)
{
    return render(st, ret_text, NULL, 0);
}

/* ---- loading ---- */

/* libnftables reports errors as text: "<file>:<line>:<columns>: Error:
 * Could not process rule: Operation not supported\n<the line>\n<carets>\n";
 * the kernel's errno is in it as strerror() text. Recover the errno, and
 * make one line: "line 6: Could not process rule: ...: <the line>". */
static int error_from_text(const char *text, char *err, size_t errlen)
{
    static const int known[] = {EPERM, EACCES, EOPNOTSUPP, ENOENT, ENOMEM, EBUSY, EEXIST, ENOBUFS};
    const char *line_end, *msg, *cmd, *cmd_end;
    unsigned line = 0;
    int r = -EIO;

    if (!text || !*text) {
        set_err(err, errlen, "libnftables failed without saying why");
        return -EIO;
    }
    if (strstr(text, "syntax error"))
        r = -EINVAL;
    else
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
            if (strstr(text, strerror(known[i]))) {
                r = -known[i];
                break;
            }

    line_end = strchrnul(text, '\n');
    msg = strstr(text, "Error: ");
    if (msg && msg < line_end) {
        const char *colon = strchr(text, ':');

        if (colon && colon < msg && sscanf(colon + 1, "%u:", &line) != 1)
            line = 0;
        msg += strlen("Error: ");
    } else
        msg = text;
    cmd = *line_end ? line_end + 1 : line_end;
    cmd += strspn(cmd, " \t");
    cmd_end = strchrnul(cmd, '\n');
    if (line > 0 && cmd_end > cmd)
        set_err(err, errlen, "line %u: %.*s: %.*s", line, (int) (line_end - msg), msg,
                (int) (cmd_end - cmd), cmd);
    else
        set_err(err, errlen, "%.*s", (int) (line_end - msg), msg);
    return r;
}

/* libnftables 1.0 points every error in a buffer at its first line; read
 * from a file it names the right one. So the text goes through a memfd. */
static int run_text(struct nft_ctx *ctx, const char *text)
{
    _cleanup_close_ int fd = -EBADF;
    size_t len = strlen(text);
    char path[64];

    fd = memfd_create("corral-nft", MFD_CLOEXEC);
    if (fd < 0)
        return nft_run_cmd_from_buffer(ctx, text);
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return nft_run_cmd_from_buffer(ctx, text);
        done += (size_t) n;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (access(path, R_OK) < 0) /* no /proc */
        return nft_run_cmd_from_buffer(ctx, text);
    return nft_run_cmd_from_filename(ctx, path);
}

int nft_open(struct nft_ctx **ret)
{
    _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

    if (!ctx)
        return -ENOMEM;
    /* Nothing on stdout/stderr: the caller decides what to log. */
    if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(ctx);
    return 0;
}

void nft_close(struct nft_ctx *ctx)
{
    if (ctx)
        nft_ctx_free(ctx);
}

int nft_apply_text(struct nft_ctx *ctx, const char *text, char *err, size_t errlen)
{
    _cleanup_(nft_ctx_freep) struct nft_ctx *own = NULL;
    int r;

    set_err(err, errlen, "%s", "");
    if (!ctx) {
        if (nft_open(&own) < 0) {
            set_err(err, errlen, "out of memory");
            return -ENOMEM;
        }
        ctx = own;
    }
    r = run_text(ctx, text);
    /* Reading a buffer rewinds it: a kept context does not accumulate. */
    (void) nft_ctx_get_output_buffer(ctx);
    if (r != 0)
        return error_from_text(nft_ctx_get_error_buffer(ctx), err, errlen);
    (void) nft_ctx_get_error_buffer(ctx);
    return 0;
}

int nft_apply(struct nft_ctx *ctx, const struct nft_state *st, char *err, size_t errlen)
{
    _cleanup_free_ char *text = NULL;
    int r;

    r = render(st, &text, err, errlen);
    if (r < 0)
        return r;
    return nft_apply_text(ctx, text, err, errlen);
}

int nft_apply_changed(struct nft_ctx *ctx, const struct nft_state *st, char **last, char *err,
                      size_t errlen)
{
    _cleanup_free_ char *text = NULL;
    int r;

    set_err(err, errlen, "%s", "");
    r = render(st, &text, err, errlen);
    if (r < 0)
        return r;
    if (*last && streq(*last, text))
        return 0;
    free(*last);
    *last = NULL;
    r = nft_apply_text(ctx, text, err, errlen);
    if (r < 0)
        return r;
    *last = TAKE_PTR(text);
    return 1;
}

int nft_remove(struct nft_ctx *ctx, char *err, size_t errlen)
{
    /* add-then-delete: one transaction that succeeds whether or not the
     * tables exist. */
    return nft_apply_text(ctx,
                          "add table inet corral\n"
                          "delete table inet corral\n"
                          "add table bridge corral\n"
                          "delete table bridge corral\n",
                          err, errlen);
}
