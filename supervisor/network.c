/* SPDX-License-Identifier: MIT */
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"
#include "net/etcfiles.h"
#include "net/ipam.h"
#include "net/link.h"
#include "net/nft.h"
#include "util.h"

static bool uses_bridge(const struct container *c)
{
    return !c->spec->network_none;
}

/* docker's scheme: 02:42 and the address, so a MAC is stable per address
 * and known before the container exists (the ruleset needs it). */
static void mac_from_ip(uint32_t ip, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0x42;
    mac[2] = (uint8_t) (ip >> 24);
    mac[3] = (uint8_t) (ip >> 16);
    mac[4] = (uint8_t) (ip >> 8);
    mac[5] = (uint8_t) ip;
}

/* The ruleset from the whole current state: every attached container is a
 * member; its connect list gives the pairs; its publish list the ports. */
static int network_refresh(struct daemon *d)
{
    const struct network_spec *net = &d->cfg->net;
    _cleanup_free_ struct nft_member *members = calloc(d->n_ctrs ?: 1, sizeof(*members));
    _cleanup_free_ size_t *index = calloc(d->n_ctrs ?: 1, sizeof(*index));
    _cleanup_free_ struct nft_pair *pairs = NULL;
    _cleanup_free_ struct nft_port *ports = NULL;
    size_t n_members = 0, n_pairs = 0, n_ports = 0, max_pairs = 0, max_ports = 0;
    char err[512] = "";
    int r;

    if (!members || !index)
        return -ENOMEM;
    d->nft_dirty = false;
    for (size_t i = 0; i < d->n_ctrs; i++) {
        const struct container *c = d->ctrs[i];
        index[i] = SIZE_MAX;
        if (!c->net_attached)
            continue;
        index[i] = n_members;
        members[n_members++] =
            (struct nft_member){.name = c->spec->name, .veth = c->veth, .ip = c->ip};
        memcpy(members[n_members - 1].mac, c->mac, 6);
        max_pairs += c->spec->n_connect;
        max_ports += c->spec->n_publish;
    }
    pairs = calloc(max_pairs ?: 1, sizeof(*pairs));
    ports = calloc(max_ports ?: 1, sizeof(*ports));
    if (!pairs || !ports)
        return -ENOMEM;
    for (size_t i = 0; i < d->n_ctrs; i++) {
        const struct container *c = d->ctrs[i];
        if (index[i] == SIZE_MAX)
            continue;
        for (size_t k = 0; k < c->spec->n_connect; k++) {
            size_t j = c->spec->connect_idx[k];
            if (index[j] != SIZE_MAX)
                pairs[n_pairs++] = (struct nft_pair){index[i], index[j]};
        }
        for (size_t k = 0; k < c->spec->n_publish; k++) {
            const struct publish_spec *p = &c->spec->publish[k];
            ports[n_ports++] = (struct nft_port){
                .ip = c->ip, .host_port = p->host_port, .port = p->port, .proto = p->proto};
        }
    }
    struct nft_state st = {
        .bridge = net->bridge,
        .subnet = net->subnet,
        .prefix = net->prefix_len,
        .gateway = net->gateway,
        .nat = net->nat,
        .icc = net->icc,
        .members = members,
        .n_members = n_members,
        .pairs = pairs,
        .n_pairs = n_pairs,
        .ports = ports,
        .n_ports = n_ports,
    };
    r = nft_apply_changed(d->nft, &st, &d->nft_text, err, sizeof(err));
    if (r < 0)
        log_error("network: Failed to install the nftables ruleset: %s",
                  err[0] ? err : strerror(-r));
    return r;
}

static bool may_talk(const struct daemon *d, const struct container *a, const struct container *b)
{
    if (d->cfg->net.icc)
        return true;
    for (size_t k = 0; k < a->spec->n_connect; k++)
        if (streq(a->spec->connect[k], b->spec->name))
            return true;
    for (size_t k = 0; k < b->spec->n_connect; k++)
        if (streq(b->spec->connect[k], a->spec->name))
            return true;
    return false;
}

static char *etc_path(const struct container *c, const char *suffix)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s.%s", c->d->ctr_state_dir, c->spec->name, suffix) < 0)
        return NULL;
    return p;
}

/* The container's /etc/hosts: itself and the running peers it may reach,
 * by name. A file in run_dir bound over the container's own at start and
 * rewritten in place (the bind follows the inode) as peers come and go. */
static int write_hosts(struct daemon *d, struct container *c)
{
    _cleanup_free_ struct hosts_entry *peers = calloc(d->n_ctrs ?: 1, sizeof(*peers));
    _cleanup_free_ char *hosts = NULL, *hp = etc_path(c, "hosts");
    struct hosts_entry self = {.ip = c->ip, .name = c->spec->name, .hostname = c->spec->hostname};
    size_t n = 0;

    if (!peers || !hp)
        return -ENOMEM;
    for (size_t i = 0; uses_bridge(c) && d->net_on && i < d->n_ctrs; i++) {
        const struct container *x = d->ctrs[i];
        if (x != c && x->net_attached && may_talk(d, c, x))
            peers[n++] = (struct hosts_entry){x->ip, x->spec->name, x->spec->hostname};
    }
    hosts = etc_hosts_render(&self, peers, n);
    if (!hosts)
        return -ENOMEM;
    return write_file_in_place(hp, hosts, 0644);
}

/* On the bridge, /etc/resolv.conf: the same for the supervisor's life. */
static int write_resolv(struct daemon *d, struct container *c, const char *host_resolv,
                        const char *resolved)
{
    const struct network_spec *net = &d->cfg->net;
    _cleanup_free_ char *resolv = NULL, *rp = etc_path(c, "resolv.conf");

    if (!rp)
        return -ENOMEM;
    resolv = etc_resolv_render(host_resolv, resolved, net->dns_host ? NULL : net->dns_servers,
                               net->dns_host ? 0 : net->n_dns_servers);
    if (!resolv)
        return -ENOMEM;
    return write_file_atomic(rp, resolv, 0644);
}

int network_etc_paths(struct container *c, char **ret_hosts, char **ret_resolv)
{
    _cleanup_free_ char *hp = etc_path(c, "hosts"), *rp = etc_path(c, "resolv.conf");
    int r;

    if (!hp || !rp)
        return -ENOMEM;
    /* The peers running now; the ones that come later are added. */
    r = write_hosts(c->d, c);
    if (r < 0)
        return r;
    *ret_hosts = TAKE_PTR(hp);
    *ret_resolv = uses_bridge(c) && c->d->net_on ? TAKE_PTR(rp) : NULL;
    return 0;
}

static int write_all_etc(struct daemon *d)
{
    _cleanup_free_ char *host = NULL, *resolved = NULL;

    if (read_file("/etc/resolv.conf", &host, 1 << 20) < 0)
        host = NULL;
    if (read_file("/run/systemd/resolve/resolv.conf", &resolved, 1 << 20) < 0)
        resolved = NULL;
    for (size_t i = 0; i < d->n_ctrs; i++) {
        struct container *c = d->ctrs[i];
        int r = write_hosts(d, c);

        if (r >= 0 && uses_bridge(c) && d->net_on)
            r = write_resolv(d, c, host, resolved);
        if (r < 0) {
            log_error("%s: Failed to write its /etc/hosts and /etc/resolv.conf in '%s': %s",
                      c->spec->name, d->ctr_state_dir, strerror(-r));
            return r;
        }
    }
    return 0;
}

/* What starts and stops changed, brought up to date once per loop turn
 * (a prepare handle runs after the turn's timers and callbacks): a crash
 * restarted at once costs one ruleset load, not two, and ten containers
 * stopping together one in all. */
static void on_net_sync(uv_prepare_t *h)
{
    struct daemon *d = h->data;
    int nft_r = 0;

    uv_prepare_stop(h);
    if (d->finished)
        return;
    if (d->nft_dirty)
        nft_r = network_refresh(d);
    if (d->hosts_dirty) {
        d->hosts_dirty = false;
        for (size_t i = 0; i < d->n_ctrs; i++) {
            struct container *c = d->ctrs[i];
            int r = c->net_attached ? write_hosts(d, c) : 0;

            if (r < 0)
                log_warn("%s: Failed to update its /etc/hosts: %s", c->spec->name, strerror(-r));
        }
    }
    /* After the hosts files: a container released now sees every peer
     * started with it. */
    for (size_t i = 0; i < d->n_ctrs; i++)
        if (container_awaits_release(d->ctrs[i]))
            container_release(d->ctrs[i], nft_r, "nftables ruleset");
}

static void net_sync_later(struct daemon *d, bool nft, bool hosts)
{
    d->nft_dirty |= nft;
    d->hosts_dirty |= hosts;
    if (d->net_sync_open && !d->finished)
        uv_prepare_start(&d->net_sync, on_net_sync);
}

int network_init(struct daemon *d)
{
    const struct corral_config *cfg = d->cfg;
    const struct network_spec *net = &cfg->net;
    _cleanup_free_ char *path = NULL;
    const char *who = NULL;
    char gw[16];
    int r;

    d->net_on = false;
    for (size_t i = 0; i < d->n_ctrs; i++)
        d->net_on |= uses_bridge(d->ctrs[i]);
    if (!d->net_on) {
        /* Nothing of ours should linger from an earlier configuration. */
        (void) nft_remove(NULL, NULL, 0);
        return write_all_etc(d);
    }

    r = nft_open(&d->nft);
    if (r < 0)
        return r;
    r = uv_prepare_init(&d->loop, &d->net_sync);
    if (r < 0)
        return r;
    d->net_sync.data = d;
    d->net_sync_open = true;
    path = path_join(cfg->sup.state_dir, "ipam.json");
    if (!path)
        return -ENOMEM;
    r = ipam_open(path, net, &d->ipam);
    if (r < 0) {
        log_error("network: Failed to read the address leases '%s': %s", path, strerror(-r));
        return r;
    }
    if (r > 0)
        log_warn("network: '%s' was unreadable (%s), set aside; addresses are handed out afresh",
                 path, ipam_load_problem(d->ipam));
    r = ipam_assign_all(d->ipam, cfg, &who);
    if (r == -ENOSPC) {
        char sub[16];
        format_ipv4(net->subnet, sub);
        log_error("network: no free address in %s/%u for container '%s' (choose a bigger "
                  "subnet in [network])",
                  sub, net->prefix_len, who ? who : "?");
        return r;
    }
    if (r < 0) {
        log_error("network: Failed to assign addresses: %s", strerror(-r));
        return r;
    }
    for (size_t i = 0; i < d->n_ctrs; i++) {
        struct container *c = d->ctrs[i];
        if (!uses_bridge(c))
            continue;
        (void) ipam_lookup(d->ipam, c->spec->name, &c->ip);
        if (c->spec->has_mac)
            memcpy(c->mac, c->spec->mac, 6);
        else
            mac_from_ip(c->ip, c->mac);
        net_veth_name(c->spec->name, c->veth);
    }
    r = write_all_etc(d);
    if (r < 0)
        return r;

    r = net_bridge_ensure(net->bridge, net->gateway, net->prefix_len);
    if (r < 0) {
        log_error("network: Failed to set up bridge '%s': %s", net->bridge, strerror(-r));
        return r;
    }
    r = net_enable_forwarding(net->bridge);
    if (r < 0) {
        log_error("network: Failed to enable IPv4 forwarding: %s", strerror(-r));
        return r;
    }
    /* No container runs yet: every veth of ours is a crashed supervisor's. */
    r = net_sweep(NULL);
    if (r > 0)
        log_info("network: removed %d stale veth(s)", r);
    r = network_refresh(d);
    if (r < 0)
        return r;
    format_ipv4(net->gateway, gw);
    log_info("network: bridge %s, gateway %s/%u, nat %s, icc %s", net->bridge, gw, net->prefix_len,
             net->nat ? "yes" : "no", net->icc ? "yes" : "no");
    return 0;
}

int network_attach(struct container *c, pid_t pid, char *msg, size_t msglen)
{
    const struct network_spec *net = &c->d->cfg->net;
    _cleanup_close_ int nsfd = -EBADF;
    const char *step = "open network namespace";
    char path[64];
    int r;

    if (!uses_bridge(c) || !c->d->net_on)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
        r = negative_errno();
        snprintf(msg, msglen, "%s", step);
        return r;
    }
    /* A veth of the same name from a run whose namespace is still going
     * away would make the creation fail. */
    (void) net_detach(c->veth);
    r = net_attach(net->bridge, c->veth, nsfd, c->ip, net->prefix_len, net->gateway, c->mac, &step);
    if (r < 0) {
        snprintf(msg, msglen, "%s", step ? step : "attach");
        return r;
    }
    c->net_attached = true;
    /* Its port must be in the ruleset before it sends a frame: it waits
     * (container_release) for the load that the end of this loop turn
     * makes for every container started in it, with its peers' hosts. */
    net_sync_later(c->d, true, true);
    return 0;
}

void network_detach(struct container *c)
{
    int r;

    if (!c->net_attached)
        return;
    c->net_attached = false;
    /* The veth goes with the container's namespace, which the kernel tears
     * down in the background once its last process is gone. Deleting it
     * here would wait for that; a restart needs only its name. */
    r = net_retire(c->veth);
    if (r < 0)
        log_warn("%s: Failed to take down its veth %s: %s", c->spec->name, c->veth, strerror(-r));
    net_sync_later(c->d, true, true);
}

void network_close(struct daemon *d)
{
    if (!d->net_sync_open || uv_is_closing((uv_handle_t *) &d->net_sync))
        return;
    uv_close((uv_handle_t *) &d->net_sync, NULL);
    /* Every container is down; these are veths of namespaces the kernel is
     * still tearing down. */
    for (size_t i = 0; i < d->n_ctrs; i++)
        if (uses_bridge(d->ctrs[i]))
            (void) net_detach(d->ctrs[i]->veth);
    (void) net_sweep_retired();
}

void network_fini(struct daemon *d)
{
    char err[512] = "";
    int r;

    if (d->ipam) {
        ipam_free(d->ipam);
        d->ipam = NULL;
    }
    if (!d->net_on)
        return;
    r = nft_remove(d->nft, err, sizeof(err));
    if (r < 0)
        log_warn("network: Failed to remove the nftables tables: %s", err[0] ? err : strerror(-r));
    nft_close(d->nft);
    d->nft = NULL;
    free(d->nft_text);
    d->nft_text = NULL;
    r = net_bridge_remove(d->cfg->net.bridge);
    if (r < 0)
        log_warn("network: Failed to remove bridge '%s': %s", d->cfg->net.bridge, strerror(-r));
}
