/* SPDX-License-Identifier: MIT */
/* Bridge, veth pairs and the container side of them, through rtnetlink with
 * libnl-route-3. Every call opens its own netlink socket and closes it before
 * returning: a netlink socket belongs to the netns it was created in, and a
 * socket per call keeps that obvious when net_attach() works in two. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "macro.h"
#include "net/link.h"

#define PEER_NAME "eth0"

/* ---- libnl plumbing ---- */

struct nl {
    struct nl_sock *sk;
    /* The kernel's errno from the last NLMSG_ERROR (negative), or 0. */
    int kernel_errno;
};

static inline void rtnl_link_putp(struct rtnl_link **p)
{
    if (*p)
        rtnl_link_put(*p);
}

static inline void rtnl_addr_putp(struct rtnl_addr **p)
{
    if (*p)
        rtnl_addr_put(*p);
}

static inline void rtnl_route_putp(struct rtnl_route **p)
{
    if (*p)
        rtnl_route_put(*p);
}

static inline void nl_addr_putp(struct nl_addr **p)
{
    if (*p)
        nl_addr_put(*p);
}

static inline void nl_cache_freep(struct nl_cache **p)
{
    if (*p)
        nl_cache_free(*p);
}

static void nl_closep(struct nl *n)
{
    if (n->sk)
        nl_socket_free(n->sk); /* closes the fd too */
    n->sk = NULL;
}

/* libnl folds the kernel's errno into its own codes, losing detail callers
 * need (ENODEV and ENOENT both become NLE_OBJ_NOTFOUND); keep the original. */
static int on_nlmsgerr(struct sockaddr_nl *who, struct nlmsgerr *e, void *userdata)
{
    struct nl *n = userdata;

    n->kernel_errno = e->error;
    return NL_STOP;
}

/* For errors that never reached the kernel, or that a libnl helper (its
 * pickup of rtnl_link_get_kernel) caught with its own error callback. */
static int errno_from_nle(int nle)
{
    switch (nle < 0 ? -nle : nle) {
    case NLE_INTR:
        return EINTR;
    case NLE_BAD_SOCK:
        return EBADF;
    case NLE_AGAIN:
    case NLE_DUMP_INTR:
        return EAGAIN;
    case NLE_NOMEM:
        return ENOMEM;
    case NLE_EXIST:
        return EEXIST;
    case NLE_INVAL:
    case NLE_PARSE_ERR:
    case NLE_MISSING_ATTR:
    case NLE_NOATTR:
    case NLE_OBJ_MISMATCH:
    case NLE_NOCACHE:
    case NLE_AF_MISMATCH:
    case NLE_ATTRSIZE:
        return EINVAL;
    case NLE_RANGE:
        return ERANGE;
    case NLE_MSGSIZE:
        return EMSGSIZE;
    case NLE_OPNOTSUPP:
    case NLE_SRCRT_NOSUPPORT:
    case NLE_MSGTYPE_NOSUPPORT:
        return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:
        return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND:
        return ENOENT;
    case NLE_NODEV:
        return ENODEV;
    case NLE_NOACCESS:
        return EACCES;
    case NLE_PERM:
    case NLE_IMMUTABLE:
        return EPERM;
    case NLE_BUSY:
        return EBUSY;
    case NLE_PROTO_MISMATCH:
        return EPROTONOSUPPORT;
    case NLE_NOADDR:
        return EADDRNOTAVAIL;
    case NLE_MSG_TRUNC:
    case NLE_MSG_TOOSHORT:
    case NLE_MSG_OVERFLOW:
    case NLE_SEQ_MISMATCH:
        return EBADMSG;
    default:
        return EIO;
    }
}

static int nl_result(struct nl *n, int r)
{
    int k = n->kernel_errno;

    n->kernel_errno = 0;
    if (r >= 0)
        return r;
    return k < 0 ? k : -errno_from_nle(r);
}

/* Run one libnl request and turn its result into 0 or a negative errno. */
#define NL_DO(n, call) ((n)->kernel_errno = 0, nl_result((n), (call)))

static int nl_open(struct nl *n)
{
    int r;

    n->kernel_errno = 0;
    n->sk = nl_socket_alloc();
    if (!n->sk)
        return -ENOMEM;
    r = nl_socket_modify_err_cb(n->sk, NL_CB_CUSTOM, on_nlmsgerr, n);
    if (r >= 0)
        r = nl_connect(n->sk, NETLINK_ROUTE); /* SOCK_CLOEXEC */
    if (r < 0) {
        nl_closep(n);
        return -errno_from_nle(r);
    }
    return 0;
}

static bool is_gone(int r)
{
    return r == -ENODEV || r == -ENOENT;
}

/* -ENODEV if there is no such link. */
static int link_get(struct nl *n, const char *name, int ifindex, struct rtnl_link **ret)
{
    int r = NL_DO(n, rtnl_link_get_kernel(n->sk, ifindex, name, ret));

    return is_gone(r) ? -ENODEV : r;
}

static bool link_is(struct rtnl_link *link, const char *kind)
{
    const char *t = rtnl_link_get_type(link);

    return t && streq(t, kind);
}

static int link_set_up(struct nl *n, struct rtnl_link *link)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *change = rtnl_link_alloc();

    if (!change)
        return -ENOMEM;
    rtnl_link_set_flags(change, IFF_UP);
    return NL_DO(n, rtnl_link_change(n->sk, link, change, 0));
}

/* Hairpin mode on a bridge port: a frame may leave by the port it came
 * in by. With br_netfilter, a container's packet to its own published port
 * (DNATed back to it) is bridged, not routed, and needs it. An AF_BRIDGE
 * RTM_SETLINK with IFLA_PROTINFO, which libnl has no object for. */
static int port_set_hairpin(struct nl *n, int ifindex)
{
    struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = ifindex};
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST);
    struct nlattr *info;

    if (!msg)
        return -ENOMEM;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
        !(info = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
        nla_put_u8(msg, IFLA_BRPORT_MODE, 1) < 0 || nla_nest_end(msg, info) < 0) {
        nlmsg_free(msg);
        return -ENOMEM;
    }
    return NL_DO(n, nl_send_sync(n->sk, msg)); /* frees msg */
}

static int link_delete(struct nl *n, const struct rtnl_link *link)
{
    int r = NL_DO(n, rtnl_link_delete(n->sk, link));

    return is_gone(r) ? -ENODEV : r;
}

static int link_delete_by_name(struct nl *n, const char *name)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();

    if (!link)
        return -ENOMEM;
    rtnl_link_set_name(link, name);
    return link_delete(n, link);
}

/* ---- small pure helpers ---- */

/* The kernel's dev_valid_name(): also keeps the name safe in /proc/sys paths. */
static bool ifname_valid(const char *s)
{
    size_t len;

    if (!s)
        return false;
    len = strlen(s);
    if (len == 0 || len >= NET_IFNAMSIZ || streq(s, ".") || streq(s, ".."))
        return false;
    for (; *s; s++)
        if (*s == '/' || *s == ':' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
            return false;
    return true;
}

static bool mac_valid(const uint8_t *mac)
{
    static const uint8_t zero[ETH_ALEN];

    /* Unicast and not all-zero, as the kernel's is_valid_ether_addr(). */
    return !(mac[0] & 1) && memcmp(mac, zero, ETH_ALEN) != 0;
}

static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++) {
        h ^= (uint8_t) *s;
        h *= 16777619u;
    }
    return h;
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* room = 12 characters after the prefix; a hashed name keeps 5 of them. */
#define VETH_ROOM (NET_IFNAMSIZ - 1 - (sizeof(NET_VETH_PREFIX) - 1))
#define VETH_KEEP (VETH_ROOM - 7)

static bool looks_hashed(const char *s, size_t len)
{
    if (len != VETH_ROOM || s[VETH_KEEP] != '-')
        return false;
    for (size_t i = VETH_KEEP + 1; i < len; i++)
        if (!is_lower_hex(s[i]))
            return false;
    return true;
}

void net_veth_name(const char *container, char ret[NET_IFNAMSIZ])
{
    size_t len = strlen(container);
    uint32_t h;

    if (len <= VETH_ROOM && !looks_hashed(container, len)) {
        snprintf(ret, NET_IFNAMSIZ, "%s%s", NET_VETH_PREFIX, container);
        return;
    }
    /* 24 bits, xor-folded as FNV's authors advise for short hashes. */
    h = fnv1a32(container);
    h = (h >> 24) ^ (h & 0xffffff);
    snprintf(ret, NET_IFNAMSIZ, "%s%.*s-%06x", NET_VETH_PREFIX, (int) VETH_KEEP, container,
             (unsigned) h);
}

static uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : ~(uint32_t) 0 << (32 - prefix);
}

static struct nl_addr *ipv4_addr(uint32_t ip, unsigned prefix)
{
    uint32_t be = htonl(ip);
    struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

    if (a)
        nl_addr_set_prefixlen(a, (int) prefix);
    return a;
}

/* ---- requests ---- */

static int addr_add(struct nl *n, int ifindex, uint32_t ip, unsigned prefix)
{
    _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *local = ipv4_addr(ip, prefix);
    _cleanup_(nl_addr_putp) struct nl_addr *bcast = NULL;
    int r;

    if (!a || !local)
        return -ENOMEM;
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_family(a, AF_INET);
    r = rtnl_addr_set_local(a, local); /* takes its own reference */
    if (r < 0)
        return -errno_from_nle(r);
    rtnl_addr_set_prefixlen(a, (int) prefix);
    /* What `ip addr add ... brd +` gives; /31 and /32 have none. */
    if (prefix <= 30) {
        bcast = ipv4_addr(ip | ~prefix_mask(prefix), 32);
        if (!bcast)
            return -ENOMEM;
        r = rtnl_addr_set_broadcast(a, bcast);
        if (r < 0)
            return -errno_from_nle(r);
    }
    /* NLM_F_CREATE without NLM_F_REPLACE: -EEXIST if it is already there. */
    return NL_DO(n, rtnl_addr_add(n->sk, a, 0));
}

static int route_add_default(struct nl *n, int ifindex, uint32_t gw)
{
    _cleanup_(rtnl_route_putp) struct rtnl_route *rt = rtnl_route_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *dst = ipv4_addr(0, 0);
    _cleanup_(nl_addr_putp) struct nl_addr *via = ipv4_addr(gw, 32);
    struct rtnl_nexthop *nh;
    int r;

    if (!rt || !dst || !via)
        return -ENOMEM;
    rtnl_route_set_family(rt, AF_INET);
    rtnl_route_set_table(rt, RT_TABLE_MAIN);
    rtnl_route_set_protocol(rt, RTPROT_BOOT);
    rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(rt, RTN_UNICAST);
    r = rtnl_route_set_dst(rt, dst);
    if (r < 0)
        return -errno_from_nle(r);
    nh = rtnl_route_nh_alloc();
    if (!nh)
        return -ENOMEM;
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_nh_set_gateway(nh, via);
    rtnl_route_add_nexthop(rt, nh); /* the route owns it now */
    return NL_DO(n, rtnl_route_add(n->sk, rt, NLM_F_EXCL));
}

static int bridge_create(struct nl *n, const char *name)
{
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_bridge_alloc();
    _cleanup_(nl_addr_putp) struct nl_addr *lladdr = NULL;
    uint8_t mac[ETH_ALEN];
    uint32_t h = fnv1a32(name);

    if (!link)
        return -ENOMEM;
    /* A bridge without a MAC of its own takes the lowest of its ports' and
     * changes it as containers come and go, leaving stale gateway entries in
     * every container's ARP cache. An address given at creation is "set by
     * the user" and never recalculated. Locally administered, unicast, and
     * the same for the same name, so an adopted bridge looks the same. */
    mac[0] = 0x02;
    mac[1] = 0x63; /* 'c' */
    mac[2] = (uint8_t) (h >> 24);
    mac[3] = (uint8_t) (h >> 16);
    mac[4] = (uint8_t) (h >> 8);
    mac[5] = (uint8_t) h;
    lladdr = nl_addr_build(AF_LLC, mac, sizeof(mac));
    if (!lladdr)
        return -ENOMEM;
    rtnl_link_set_name(link, name);
    rtnl_link_set_addr(link, lladdr);
    return NL_DO(n, rtnl_link_add(n->sk, link, NLM_F_CREATE | NLM_F_EXCL));
}

static int write_sysctl(const char *path, const char *value)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    size_t len = strlen(value);
    ssize_t k;

    if (fd < 0)
        return negative_errno();
    k = write(fd, value, len);
    if (k < 0)
        return negative_errno();
    return (size_t) k == len ? 0 : -EIO;
}

/* ---- public ---- */

int net_bridge_ensure(const char *name, uint32_t gw, unsigned prefix)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    bool created = false;
    int r;

    if (!ifname_valid(name) || prefix < 1 || prefix > 32)
        return -EINVAL;
    r = nl_open(&n);
    if (r < 0)
        return r;

    r = link_get(&n, name, 0, &link);
    if (r == -ENODEV) {
        r = bridge_create(&n, name);
        created = r >= 0;
        /* -EEXIST: made by someone else since we looked; judge it below. */
        if (r < 0 && r != -EEXIST)
            return r;
        r = link_get(&n, name, 0, &link);
    }
    if (r < 0)
        goto fail;
    if (!link_is(link, "bridge")) {
        r = -EEXIST;
        goto fail;
    }

    r = addr_add(&n, rtnl_link_get_ifindex(link), gw, prefix);
    if (r < 0 && r != -EEXIST)
        goto fail;
    r = link_set_up(&n, link);
    if (r < 0)
        goto fail;
    return 0;

fail:
    if (created)
        (void) link_delete_by_name(&n, name);
    return r;
}

int net_bridge_remove(const char *name)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    int r;

    if (!ifname_valid(name))
        return -EINVAL;
    r = nl_open(&n);
    if (r < 0)
        return r;
    r = link_get(&n, name, 0, &link);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    if (!link_is(link, "bridge"))
        return -EMEDIUMTYPE;
    r = link_delete(&n, link);
    return r == -ENODEV ? 0 : r;
}

int net_enable_forwarding(const char *bridge)
{
    char path[96];
    int r;

    if (!ifname_valid(bridge))
        return -EINVAL;
    /* /proc/sys/net/ shows the netns of whoever opens the file. */
    r = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
    if (r < 0)
        return r;
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
    return write_sysctl(path, "1");
}

/* IFLA_NET_NS_FD takes only a namespace fd, while setns() also takes a
 * pidfd: accept both, turning a pidfd into the netns fd it leads to by
 * entering that netns once. */
static int open_target_netns(int fd, int self_ns, int *ret)
{
    int type = ioctl(fd, NS_GET_NSTYPE);
    int nsfd, r = 0;

    if (type == CLONE_NEWNET) {
        nsfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (nsfd < 0)
            return negative_errno();
        *ret = nsfd;
        return 0;
    }
    if (type >= 0)
        return -EINVAL; /* a namespace, but not a network one */

    if (setns(fd, CLONE_NEWNET) < 0)
        return negative_errno();
    nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        r = negative_errno();
    if (setns(self_ns, CLONE_NEWNET) < 0) {
        safe_close(nsfd);
        return negative_errno();
    }
    if (r < 0)
        return r;
    *ret = nsfd;
    return 0;
}

static int same_netns(int a, int b)
{
    struct stat sa, sb;

    if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
        return negative_errno();
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Runs inside the container's netns, with a netlink socket opened there. */
static int configure_container_side(uint32_t ip, unsigned prefix, uint32_t gw,
                                    const char **ret_step)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL, *eth = NULL;
    int r;

    /* Docker's choice: every group may open ICMP datagram sockets, so ping
     * works although CAP_NET_RAW is dropped. The range is read in the
     * writer's user namespace; all of it maps. */
    *ret_step = "ping_group_range";
    r = write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
    if (r < 0)
        return r;

    *ret_step = "netlink in container";
    r = nl_open(&n);
    if (r < 0)
        return r;

    *ret_step = "loopback";
    r = link_get(&n, "lo", 0, &lo);
    if (r >= 0)
        r = link_set_up(&n, lo);
    if (r < 0)
        return r;

    *ret_step = "find eth0";
    r = link_get(&n, PEER_NAME, 0, &eth);
    if (r < 0)
        return r;

    /* Address before up and up before the route: the kernel refuses a
     * gateway that no up interface's prefix reaches (-ENETUNREACH or
     * -ENETDOWN). */
    *ret_step = "address";
    r = addr_add(&n, rtnl_link_get_ifindex(eth), ip, prefix);
    if (r < 0)
        return r;

    *ret_step = "link up";
    r = link_set_up(&n, eth);
    if (r < 0)
        return r;

    *ret_step = "route";
    return route_add_default(&n, rtnl_link_get_ifindex(eth), gw);
}

int net_attach(const char *bridge, const char *host_name, int target_netns_fd, uint32_t ip,
               unsigned prefix, uint32_t gw, const uint8_t *mac, const char **ret_step)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *br = NULL, *veth = NULL, *made = NULL;
    _cleanup_(nl_addr_putp) struct nl_addr *lladdr = NULL;
    _cleanup_close_ int self_ns = -EBADF, target_ns = -EBADF;
    const char *step = "arguments";
    struct rtnl_link *peer;
    int r;

    if (!ifname_valid(bridge) || !ifname_valid(host_name) || target_netns_fd < 0 || prefix < 1 ||
        prefix > 32 || (mac && !mac_valid(mac))) {
        r = -EINVAL;
        goto fail;
    }

    step = "open own netns";
    self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self_ns < 0) {
        r = negative_errno();
        goto fail;
    }

    step = "open container netns";
    r = open_target_netns(target_netns_fd, self_ns, &target_ns);
    if (r < 0)
        goto fail;
    /* Our own netns by mistake (a container without a netns of its own)
     * would get "eth0", an address and a default route on the host. */
    r = same_netns(self_ns, target_ns);
    if (r != 0) {
        r = r > 0 ? -EINVAL : r;
        goto fail;
    }

    step = "netlink";
    r = nl_open(&n);
    if (r < 0)
        goto fail;

    step = "find bridge";
    r = link_get(&n, bridge, 0, &br);
    if (r < 0)
        goto fail;

    /* One RTM_NEWLINK makes the pair with the host side enslaved and up and
     * the peer already named eth0 inside the container's netns: the kernel
     * does it all or nothing, so no half-made pair needs undoing and no
     * temporary name can clash. */
    step = "create veth";
    veth = rtnl_link_veth_alloc();
    if (!veth) {
        r = -ENOMEM;
        goto fail;
    }
    rtnl_link_set_name(veth, host_name);
    rtnl_link_set_master(veth, rtnl_link_get_ifindex(br));
    rtnl_link_set_flags(veth, IFF_UP);
    peer = rtnl_link_veth_get_peer(veth); /* a new reference */
    rtnl_link_set_name(peer, PEER_NAME);
    rtnl_link_set_ns_fd(peer, target_ns);
    if (mac) {
        lladdr = nl_addr_build(AF_LLC, mac, ETH_ALEN);
        if (lladdr)
            rtnl_link_set_addr(peer, lladdr);
    }
    rtnl_link_put(peer);
    if (mac && !lladdr) {
        r = -ENOMEM;
        goto fail;
    }
    r = NL_DO(&n, rtnl_link_add(n.sk, veth, NLM_F_CREATE | NLM_F_EXCL));
    if (r < 0)
        goto fail;

    step = "hairpin mode";
    r = link_get(&n, host_name, 0, &made);
    if (r >= 0)
        r = port_set_hairpin(&n, rtnl_link_get_ifindex(made));
    if (r < 0)
        goto undo;

    step = "enter container netns";
    if (setns(target_ns, CLONE_NEWNET) < 0) {
        r = negative_errno();
        goto undo;
    }
    r = configure_container_side(ip, prefix, gw, &step);
    /* Back whatever happened. Should this fail the thread is stranded in the
     * container's netns; the undo below still acts on the host, since `n`
     * was opened there. */
    if (setns(self_ns, CLONE_NEWNET) < 0 && r >= 0) {
        r = negative_errno();
        step = "leave container netns";
    }
    if (r >= 0)
        return 0;

undo:
    (void) link_delete_by_name(&n, host_name);
fail:
    if (ret_step)
        *ret_step = step;
    return r;
}

int net_detach(const char *host_name)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
    int r;

    if (!ifname_valid(host_name))
        return -EINVAL;
    r = nl_open(&n);
    if (r < 0)
        return r;
    r = link_get(&n, host_name, 0, &link);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    if (!link_is(link, "veth"))
        return -EMEDIUMTYPE;
    r = link_delete(&n, link);
    return r == -ENODEV ? 0 : r;
}

int net_retire(const char *host_name)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL, *down = rtnl_link_alloc(),
                                               *rename = rtnl_link_alloc();
    char name[NET_IFNAMSIZ];
    int r;

    if (!ifname_valid(host_name))
        return -EINVAL;
    if (!down || !rename)
        return -ENOMEM;
    r = nl_open(&n);
    if (r < 0)
        return r;
    r = link_get(&n, host_name, 0, &link);
    if (r == -ENODEV)
        return 0;
    if (r < 0)
        return r;
    if (!link_is(link, "veth"))
        return -EMEDIUMTYPE;
    /* The kernel renames only a link that is down; and down, the port
     * forwards nothing. Container names have no '~': no clash with one. */
    rtnl_link_unset_flags(down, IFF_UP);
    r = NL_DO(&n, rtnl_link_change(n.sk, link, down, 0));
    if (r < 0)
        return is_gone(r) ? 0 : r;
    snprintf(name, sizeof(name), "%s~%x", NET_VETH_PREFIX, (unsigned) rtnl_link_get_ifindex(link));
    rtnl_link_set_name(rename, name);
    r = NL_DO(&n, rtnl_link_change(n.sk, link, rename, 0));
    if (r < 0)
        return is_gone(r) ? 0 : r;
    return 1;
}

static bool strv_has(const char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (streq(*v, s))
            return true;
    return false;
}

static int sweep(const char *prefix, const char *const *keep)
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
    const size_t plen = strlen(prefix);
    int r, removed = 0, first_error = 0;

    r = nl_open(&n);
    if (r < 0)
        return r;
    /* A dump that raced with a link change is flagged interrupted: retry. */
    for (unsigned attempt = 0; attempt < 5; attempt++) {
        r = NL_DO(&n, rtnl_link_alloc_cache(n.sk, AF_UNSPEC, &cache));
        if (r != -EAGAIN)
            break;
    }
    if (r < 0)
        return r;

    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *link = (struct rtnl_link *) o;
        const char *name = rtnl_link_get_name(link);

        if (!name || strncmp(name, prefix, plen) != 0 || !link_is(link, "veth") ||
            strv_has(keep, name))
            continue;
        r = link_delete(&n, link);
        if (r == -ENODEV)
            continue; /* went with its peer, deleted just before */
        if (r < 0) {
            if (first_error == 0)
                first_error = r;
            continue;
        }
        removed++;
    }
    return first_error < 0 ? first_error : removed;
}

int net_sweep(const char *const *keep)
{
    return sweep(NET_VETH_PREFIX, keep);
}

int net_sweep_retired(void)
{
    return sweep(NET_VETH_PREFIX "~", NULL);
}

int net_link_info(const char *name, bool *ret_exists, char master[NET_IFNAMSIZ])
{
    _cleanup_(nl_closep) struct nl n = {};
    _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL, *m = NULL;
    int r, mi;

    if (!ifname_valid(name))
        return -EINVAL;
    if (master)
        master[0] = '\0';
    r = nl_open(&n);
    if (r < 0)
        return r;
    r = link_get(&n, name, 0, &link);
    if (r == -ENODEV) {
        *ret_exists = false;
        return 0;
    }
    if (r < 0)
        return r;
    *ret_exists = true;
    mi = rtnl_link_get_master(link);
    if (master && mi > 0) {
        r = link_get(&n, NULL, mi, &m);
        if (r < 0)
            return r;
        snprintf(master, NET_IFNAMSIZ, "%s", rtnl_link_get_name(m));
    }
    return 0;
}
