/* SPDX-License-Identifier: MIT */
/* Root integration test of net/link.c: veth names, the bridge, attaching
 * forked children that hold network namespaces of their own, reachability
 * between them, rollback on failure, detach and the crash sweep. Runs only
 * inside a private network namespace (meson wraps it in `unshare -n`) and
 * refuses PID 1's; every packet stays within namespaces made here. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "macro.h"
#include "net/link.h"
#include "util.h"

#define BRIDGE "ctest0"
#define GW 0x0a580001u       /* 10.88.0.1 */
#define OTHER_GW 0x0a630001u /* 10.99.0.1 */
#define IP_A 0x0a580002u
#define IP_B 0x0a580003u
#define IP_C 0x0a580004u
#define PROC_NET_INIT_INO 0xeffffff9u

static unsigned n_tests, n_failed;
static int self_ns = -EBADF;

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

static void diag(const char *fmt, ...) _printf_(1, 2);
static void diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* ---- safety: never in the host's network namespace ---- */

static bool same_file(const char *a, const char *b, bool *ret_known)
{
    struct stat sa, sb;

    *ret_known = stat(a, &sa) == 0 && stat(b, &sb) == 0;
    return *ret_known && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Refuse PID 1's netns. Where PID 1's is unreadable (it may not be ptraceable
 * by us), refuse the initial netns, whose inode number is fixed, and our
 * parent's: `unshare -n` execs us, so our parent is outside. */
static bool in_private_netns(void)
{
    struct stat self;
    char parent[64];
    bool known, same;

    if (stat("/proc/self/ns/net", &self) < 0 || self.st_ino == PROC_NET_INIT_INO)
        return false;
    same = same_file("/proc/self/ns/net", "/proc/1/ns/net", &known);
    if (known)
        return !same;
    snprintf(parent, sizeof(parent), "/proc/%d/ns/net", (int) getppid());
    same = same_file("/proc/self/ns/net", parent, &known);
    return known && !same;
}

/* ---- helpers ---- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* A child that enters a new netns and waits to be killed. */
static pid_t child_start(void)
{
    int p[2];
    pid_t pid;
    char c = 'n';

    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
        if (write(p[1], &c, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        c = 'n';
    close(p[0]);
    if (c != 'y') {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void child_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    (void) waitpid(pid, NULL, 0);
}

static int open_netns(pid_t pid)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static bool enter(pid_t pid)
{
    _cleanup_close_ int fd = open_netns(pid);

    return fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
}

static void leave(void)
{
    if (setns(self_ns, CLONE_NEWNET) < 0) {
        printf("Bail out! cannot return to the test's netns: %m\n");
        exit(1);
    }
}

/* Interface state through ioctls, getifaddrs() and /proc, not libnl. */
static bool if_flags(const char *name, short *ret)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {};

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return false;
    *ret = ifr.ifr_flags;
    return true;
}

static bool if_up(const char *name)
{
    short f;

    return if_flags(name, &f) && (f & IFF_UP);
}

static bool if_hwaddr(const char *name, uint8_t mac[6])
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {};

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        return false;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return true;
}

static int count_addrs(const char *name, uint32_t ip, unsigned prefix)
{
    struct ifaddrs *all, *i;
    int n = 0;

    if (getifaddrs(&all) < 0)
        return -1;
    for (i = all; i; i = i->ifa_next) {
        struct sockaddr_in *a = (struct sockaddr_in *) i->ifa_addr;
        struct sockaddr_in *m = (struct sockaddr_in *) i->ifa_netmask;

        if (!a || a->sin_family != AF_INET || !streq(i->ifa_name, name) ||
            ntohl(a->sin_addr.s_addr) != ip || !m)
            continue;
        if ((unsigned) __builtin_popcount(m->sin_addr.s_addr) == prefix)
            n++;
    }
    freeifaddrs(all);
    return n;
}

static bool has_default_route(const char *dev, uint32_t gw)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/route", "re");
    char line[256], name[IFNAMSIZ];
    unsigned dst, via, flags, mask;

    if (!f)
        return false;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%15s %x %x %x %*d %*d %*d %x", name, &dst, &via, &flags, &mask) == 5 &&
            streq(name, dev) && dst == 0 && mask == 0 && via == htonl(gw))
            return true;
    return false;
}

static char *read_sysctl(const char *path)
{
    char *s = NULL;

    if (read_file(path, &s, 4096) < 0)
        return NULL;
    s[strcspn(s, "\n")] = '\0';
    return s;
}

/* ICMP echo through a datagram socket: what ping does without CAP_NET_RAW.
 * 0, or the errno of socket() (EACCES outside ping_group_range) or
 * ETIMEDOUT. */
static int ping(uint32_t dst)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(dst)};
    struct icmphdr h = {.type = ICMP_ECHO};
    struct pollfd p;
    char buf[256];

    if (fd < 0)
        return errno;
    h.un.echo.sequence = htons(1);
    if (sendto(fd, &h, sizeof(h), 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return errno;
    p = (struct pollfd){.fd = fd, .events = POLLIN};
    for (;;) {
        ssize_t k;

        if (poll(&p, 1, 3000) <= 0)
            return ETIMEDOUT;
        k = recv(fd, buf, sizeof(buf), 0);
        if (k >= (ssize_t) sizeof(h) && ((struct icmphdr *) buf)->type == ICMP_ECHOREPLY)
            return 0;
    }
}

static int ping_from(pid_t pid, uint32_t dst)
{
    int r;

    if (!enter(pid))
        return errno;
    r = ping(dst);
    leave();
    return r;
}

/* A listener in `to`'s netns, a client in `from`'s; some bytes across. */
static bool tcp_reach(pid_t from, pid_t to, uint32_t to_ip, uint16_t port)
{
    _cleanup_close_ int l = -EBADF, c = -EBADF, a = -EBADF;
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(to_ip)};
    struct pollfd p;
    int err = 0, one = 1;
    socklen_t len = sizeof(err);
    char buf[8] = {};

    if (!enter(to))
        return false;
    l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    leave();
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(l, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(l, 4) < 0)
        return false;

    if (!enter(from))
        return false;
    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    leave();
    if (c < 0 || (connect(c, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS))
        return false;
    p = (struct pollfd){.fd = c, .events = POLLOUT};
    if (poll(&p, 1, 5000) != 1 || getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
        return false;
    a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    if (a < 0 || write(c, "hello", 5) != 5)
        return false;
    p = (struct pollfd){.fd = a, .events = POLLIN};
    return poll(&p, 1, 5000) == 1 && read(a, buf, sizeof(buf)) == 5 && streq(buf, "hello");
}

/* Links the module under test should refuse or sweep, made here with libnl. */
static int make_link(const char *name, const char *kind, const char *peer)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct rtnl_link *link = NULL;
    int r = -1;

    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
        goto out;
    if (streq(kind, "veth")) {
        r = rtnl_link_veth_add(sk, name, peer, getpid());
        goto out;
    }
    link = streq(kind, "bridge") ? rtnl_link_bridge_alloc() : rtnl_link_alloc();
    if (!link)
        goto out;
    if (!streq(kind, "bridge") && rtnl_link_set_type(link, kind) < 0)
        goto out;
    rtnl_link_set_name(link, name);
    r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
out:
    if (link)
        rtnl_link_put(link);
    if (sk)
        nl_socket_free(sk);
    return r;
}

static void del_link(const char *name)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct rtnl_link *link = rtnl_link_alloc();

    if (sk && link && nl_connect(sk, NETLINK_ROUTE) >= 0) {
        rtnl_link_set_name(link, name);
        (void) rtnl_link_delete(sk, link);
    }
    if (link)
        rtnl_link_put(link);
    if (sk)
        nl_socket_free(sk);
}

static bool link_exists(const char *name)
{
    bool exists = false;

    return net_link_info(name, &exists, NULL) == 0 && exists;
}

/* ---- tests ---- */

static void test_veth_name(void)
{
    char a[NET_IFNAMSIZ], b[NET_IFNAMSIZ], c[NET_IFNAMSIZ];
    char long63[64];
    bool clean = true;

    net_veth_name("web", a);
    ok(streq(a, "crlweb"), "veth name: short name kept (%s)", a);

    net_veth_name("abcdefghijkl", a);
    ok(streq(a, "crlabcdefghijkl") && strlen(a) == 15, "veth name: 12 characters fill 15 (%s)", a);

    net_veth_name("abcdefghijklm", a);
    ok(strlen(a) == 15 && strncmp(a, "crlabcde-", 9) == 0, "veth name: 13 characters hashed (%s)",
       a);

    net_veth_name("database-primary", a);
    net_veth_name("database-replica", b);
    ok(strlen(a) == 15 && strlen(b) == 15 && !streq(a, b),
       "veth name: long names with a shared prefix differ (%s, %s)", a, b);

    net_veth_name("database-primary", c);
    ok(streq(a, c), "veth name: deterministic");
    /* Pinned: a restarted supervisor must derive the same names. */
    ok(streq(a, "crldatab-34e3f6"), "veth name: stable hash (%s)", a);

    /* A short name in the hashed shape is hashed too, so it cannot take the
     * name of a long one. */
    net_veth_name("datab-34e3f6", b);
    ok(!streq(b, "crldatab-34e3f6") && strlen(b) == 15,
       "veth name: hashed-looking short name re-hashed (%s)", b);

    memset(long63, 'x', 63);
    long63[63] = '\0';
    for (size_t len = 1; len <= 63; len++) {
        long63[len - 1] = (char) ('a' + len % 26);
        char save = long63[len];
        long63[len] = '\0';
        net_veth_name(long63, a);
        long63[len] = save;
        if (strlen(a) >= NET_IFNAMSIZ || strncmp(a, NET_VETH_PREFIX, 3) != 0)
            clean = false;
    }
    ok(clean, "veth name: always a prefixed name under 16 characters, 1..63 characters in");
}

static void test_bridge(uint8_t ret_mac[6])
{
    uint8_t mac[6];
    int r;
    char *s;

    ok(net_bridge_ensure("bad/name", GW, 24) == -EINVAL, "bridge: invalid name refused");

    r = net_bridge_ensure(BRIDGE, OTHER_GW, 24);
    ok(r == 0, "bridge: created (%s)", strerror(-r));
    ok(link_exists(BRIDGE) && if_up(BRIDGE), "bridge: exists and is up");
    ok(count_addrs(BRIDGE, OTHER_GW, 24) == 1, "bridge: holds its address");
    ok(if_hwaddr(BRIDGE, mac) && mac[0] == 0x02, "bridge: fixed locally administered MAC");
    memcpy(ret_mac, mac, 6);

    r = net_bridge_ensure(BRIDGE, GW, 24);
    ok(r == 0, "bridge: adopted with a second address (%s)", strerror(-r));
    ok(count_addrs(BRIDGE, GW, 24) == 1 && count_addrs(BRIDGE, OTHER_GW, 24) == 1,
       "bridge: new address alongside the old");
    r = net_bridge_ensure(BRIDGE, GW, 24);
    ok(r == 0 && count_addrs(BRIDGE, GW, 24) == 1, "bridge: third call is a no-op");

    /* An existing bridge made elsewhere, with no address, is adopted too. */
    r = make_link("ctestbr2", "bridge", NULL);
    ok(r >= 0 && net_bridge_ensure("ctestbr2", OTHER_GW, 16) == 0 &&
           count_addrs("ctestbr2", OTHER_GW, 16) == 1 && if_up("ctestbr2"),
       "bridge: foreign bridge adopted, given the address and set up");
    ok(net_bridge_remove("ctestbr2") == 0 && !link_exists("ctestbr2"), "bridge: removed");
    ok(net_bridge_remove("ctestbr2") == 0, "bridge: removing a missing bridge is fine");

    r = make_link("ctestdummy", "dummy", NULL);
    if (r < 0) {
        diag("no dummy links here (%s); a veth stands in", nl_geterror(r));
        r = make_link("ctestdummy", "veth", "ctestdummyp");
    }
    ok(r >= 0, "not a bridge: made");
    ok(net_bridge_ensure("ctestdummy", GW, 24) == -EEXIST, "bridge: -EEXIST for a non-bridge");
    ok(net_bridge_remove("ctestdummy") == -EMEDIUMTYPE && link_exists("ctestdummy"),
       "bridge: remove leaves a non-bridge alone");
    ok(count_addrs("ctestdummy", GW, 24) == 0, "bridge: non-bridge got no address");
    del_link("ctestdummy");
    ok(!link_exists("ctestdummy"), "not a bridge: gone");

    r = net_enable_forwarding(BRIDGE);
    ok(r == 0, "forwarding: enabled (%s)", strerror(-r));
    s = read_sysctl("/proc/sys/net/ipv4/ip_forward");
    ok(s && streq(s, "1"), "forwarding: ip_forward = 1 in this netns");
    free(s);
    s = read_sysctl("/proc/sys/net/ipv4/conf/" BRIDGE "/route_localnet");
    ok(s && streq(s, "1"), "forwarding: route_localnet = 1 on the bridge");
    free(s);
    ok(net_enable_forwarding("nosuchbr") == -ENOENT, "forwarding: missing bridge is -ENOENT");
}

/* eth0 as net_attach() leaves it, seen from inside. */
static void check_inside(pid_t pid, const char *what, uint32_t ip, const uint8_t *mac)
{
    uint8_t got[6];
    bool in, eth_up, lo_up, addr, route, hw = true;
    char *pgr;

    in = enter(pid);
    eth_up = if_up("eth0");
    lo_up = if_up("lo");
    addr = count_addrs("eth0", ip, 24) == 1;
    route = has_default_route("eth0", GW);
    if (mac)
        hw = if_hwaddr("eth0", got) && memcmp(got, mac, 6) == 0;
    pgr = read_sysctl("/proc/sys/net/ipv4/ping_group_range");
    leave();

    ok(in && eth_up, "%s: eth0 exists and is up", what);
    ok(addr, "%s: eth0 has its address", what);
    ok(route, "%s: default route via the gateway", what);
    ok(lo_up, "%s: lo is up", what);
    ok(pgr && streq(pgr, "0\t2147483647"), "%s: ping_group_range = '%s'", what, pgr ? pgr : "?");
    if (mac)
        ok(hw, "%s: eth0 has the requested MAC", what);
    free(pgr);
}

/* A bridge port's hairpin flag, from the kernel's AF_BRIDGE link dump
 * (sysfs would show the host's netns, not ours): 1, 0, or -1. */
static int hairpin(const char *name)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    int r = -1;

    if (sk && nl_connect(sk, NETLINK_ROUTE) >= 0 &&
        rtnl_link_alloc_cache(sk, AF_BRIDGE, &cache) >= 0) {
        struct rtnl_link *link = rtnl_link_get_by_name(cache, name);

        if (link && rtnl_link_is_bridge(link))
            r = (rtnl_link_bridge_get_flags(link) & RTNL_BRIDGE_HAIRPIN_MODE) ? 1 : 0;
        if (link)
            rtnl_link_put(link);
    }
    if (cache)
        nl_cache_free(cache);
    if (sk)
        nl_socket_free(sk);
    return r;
}

static bool has_eth0(pid_t pid)
{
    bool r;

    if (!enter(pid))
        return true; /* cannot tell: fail the check */
    r = if_nametoindex("eth0") != 0;
    leave();
    return r;
}

static void test_attach(const uint8_t bridge_mac[6])
{
    static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
    static const uint8_t bad_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    pid_t a = child_start(), b = child_start(), c = child_start();
    _cleanup_close_ int fd_a = -EBADF, fd_b = -EBADF, fd_c = -EBADF;
    const char *step = NULL;
    char master[NET_IFNAMSIZ];
    bool exists = false;
    uint8_t mac[6];
    int r;

    ok(a > 0 && b > 0 && c > 0, "children in their own netns");
    if (a <= 0 || b <= 0 || c <= 0)
        goto out;
    fd_a = open_netns(a);
    /* B by pidfd: the supervisor holds one from clone3(). */
    fd_b = (int) syscall(SYS_pidfd_open, b, 0);
    if (fd_b < 0) {
        diag("pidfd_open: %m; using /proc/PID/ns/net for B too");
        fd_b = open_netns(b);
    }
    fd_c = open_netns(c);

    ok(ping_from(c, GW) == EACCES, "before attach: ICMP sockets refused (ping_group_range)");

    r = net_attach(BRIDGE, "crla", fd_a, IP_A, 24, GW, NULL, &step);
    ok(r == 0, "attach A by netns fd (%s%s%s)", r < 0 ? step : "", r < 0 ? ": " : "", strerror(-r));
    r = net_attach(BRIDGE, "crlb", fd_b, IP_B, 24, GW, mac_b, &step);
    ok(r == 0, "attach B by pidfd, with a MAC (%s%s%s)", r < 0 ? step : "", r < 0 ? ": " : "",
       strerror(-r));

    ok(net_link_info("crla", &exists, master) == 0 && exists && streq(master, BRIDGE),
       "host side of A enslaved to the bridge (master '%s')", master);
    ok(if_up("crla") && if_up("crlb"), "host sides up");
    ok(hairpin("crla") == 1 && hairpin("crlb") == 1, "host sides in hairpin mode");
    ok(if_hwaddr(BRIDGE, mac) && memcmp(mac, bridge_mac, 6) == 0,
       "bridge MAC unchanged by new ports");
    check_inside(a, "A", IP_A, NULL);
    check_inside(b, "B", IP_B, mac_b);

    r = ping_from(a, IP_B);
    ok(r == 0, "ping A -> B without CAP_NET_RAW (%s)", strerror(r));
    r = ping_from(b, GW);
    ok(r == 0, "ping B -> gateway (%s)", strerror(r));
    ok(tcp_reach(a, b, IP_B, 5555), "TCP A -> B");
    ok(tcp_reach(b, a, IP_A, 5556), "TCP B -> A");

    /* Failures: each says where, and leaves nothing behind. */
    r = net_attach(BRIDGE, "crla", fd_c, IP_C, 24, GW, NULL, &step);
    ok(r == -EEXIST && streq(step, "create veth") && !has_eth0(c),
       "attach: taken host name -> -EEXIST at '%s'", step);
    r = net_attach("nosuchbr", "crlc", fd_c, IP_C, 24, GW, NULL, &step);
    ok(r == -ENODEV && streq(step, "find bridge"), "attach: missing bridge -> -ENODEV at '%s'",
       step);
    r = net_attach(BRIDGE, "crlc", self_ns, IP_C, 24, GW, NULL, &step);
    ok(r == -EINVAL && streq(step, "open container netns") && !link_exists("crlc") &&
           !link_exists("eth0"),
       "attach: own netns as the target -> -EINVAL, nothing made");
    r = net_attach(BRIDGE, "crlc", fd_c, IP_C, 24, GW, bad_mac, &step);
    ok(r == -EINVAL && streq(step, "arguments"), "attach: multicast MAC -> -EINVAL");
    r = net_attach(BRIDGE, "crlc", fd_c, IP_C, 24, 0x0a4d0001u /* 10.77.0.1 */, NULL, &step);
    ok(r < 0 && streq(step, "route"), "attach: unreachable gateway fails at '%s' (%s)", step,
       strerror(-r));
    ok(!link_exists("crlc") && !has_eth0(c), "attach: rolled back on both sides");
    ok(ping_from(a, IP_B) == 0, "A and B unaffected");

    r = net_detach("crla");
    ok(r == 0 && !link_exists("crla") && !has_eth0(a), "detach A: host veth and eth0 gone");
    ok(net_detach("crla") == 0, "detach A again: fine");
    ok(net_detach(BRIDGE) == -EMEDIUMTYPE && link_exists(BRIDGE), "detach refuses a non-veth");
    ok(net_link_info("crla", &exists, master) == 0 && !exists && master[0] == '\0',
       "link info: missing link");

    /* The sweep: B stays (kept), a stray pair and a prefixed bridge. */
    r = make_link("crlstray", "veth", "crlstray-p");
    ok(r >= 0, "stray veth pair made");
    r = make_link("crlbr0", "bridge", NULL);
    ok(r >= 0, "prefixed bridge made");
    {
        const char *const keep[] = {"crlb", NULL};

        r = net_sweep(keep);
        ok(r == 1, "sweep: one pair removed (%d)", r);
        ok(!link_exists("crlstray") && !link_exists("crlstray-p"), "sweep: stray pair gone");
        ok(link_exists("crlb") && has_eth0(b), "sweep: kept veth still there");
        ok(link_exists("crlbr0"), "sweep: non-veth with the prefix untouched");
        ok(net_sweep(keep) == 0, "sweep: nothing left to do");
    }
    r = net_sweep(NULL);
    ok(r == 1 && !link_exists("crlb") && !has_eth0(b), "sweep with nothing kept: B's veth gone");
    ok(net_bridge_remove("crlbr0") == 0, "prefixed bridge removed");

out:
    child_stop(a);
    child_stop(b);
    child_stop(c);
}

/* The name of a link "crl~..." in this netns, or "" (if_nameindex). */
static void find_retired(char ret[NET_IFNAMSIZ])
{
    struct if_nameindex *all = if_nameindex();

    ret[0] = '\0';
    for (struct if_nameindex *i = all; i && i->if_index; i++)
        if (strncmp(i->if_name, NET_VETH_PREFIX "~", strlen(NET_VETH_PREFIX "~")) == 0)
            snprintf(ret, NET_IFNAMSIZ, "%s", i->if_name);
    if (all)
        if_freenameindex(all);
}

static void test_retire(void)
{
    pid_t a = child_start(), b = child_start();
    _cleanup_close_ int fd_a = -EBADF, fd_b = -EBADF;
    const char *step = NULL;
    char retired[NET_IFNAMSIZ] = "";
    int r;

    ok(a > 0 && b > 0, "retire: children in their own netns");
    if (a <= 0 || b <= 0)
        goto out;
    fd_a = open_netns(a);
    fd_b = open_netns(b);
    ok(net_retire("crlr") == 0, "retire a missing veth: 0");
    ok(net_retire(BRIDGE) == -EMEDIUMTYPE && link_exists(BRIDGE), "retire refuses a non-veth");

    r = net_attach(BRIDGE, "crlr", fd_a, IP_A, 24, GW, NULL, &step);
    ok(r == 0, "retire: attach A as crlr (%s)", r < 0 ? step : "ok");
    r = net_retire("crlr");
    find_retired(retired);
    ok(r == 1 && !link_exists("crlr") && retired[0] && !if_up(retired),
       "retire: crlr is now '%s', down", retired);
    ok(has_eth0(a), "retire: A's side is still there (it goes with A's netns)");
    /* The name is free at once for the next run. */
    r = net_attach(BRIDGE, "crlr", fd_b, IP_B, 24, GW, NULL, &step);
    ok(r == 0 && link_exists("crlr") && link_exists(retired),
       "retire: crlr taken again by B beside the retired one (%s)", r < 0 ? step : "ok");
    ok(ping_from(b, GW) == 0, "retire: B reaches the gateway through the new crlr");

    /* The retired veth goes by itself when A's namespace does. */
    safe_close(fd_a);
    fd_a = -EBADF;
    child_stop(a);
    a = 0;
    for (int i = 0; i < 200 && link_exists(retired); i++)
        usleep(10 * 1000);
    ok(!link_exists(retired), "retire: '%s' gone with A's namespace", retired);

    /* One whose namespace lives on is deleted by the sweep. */
    ok(net_retire("crlr") == 1, "retire B");
    find_retired(retired);
    r = net_sweep_retired();
    ok(r == 1 && !link_exists(retired) && !has_eth0(b), "sweep retired: '%s' deleted (%d)", retired,
       r);
    ok(net_sweep_retired() == 0, "sweep retired: nothing left");

out:
    if (a > 0)
        child_stop(a);
    child_stop(b);
}

int main(void)
{
    uint8_t bridge_mac[6] = {};
    int fds_before, fds_after;

    if (geteuid() != 0) {
        printf("1..0 # SKIP needs root\n");
        return 0;
    }
    if (!in_private_netns()) {
        printf("1..0 # SKIP not in a private network namespace (run under unshare -n)\n");
        return 0;
    }
    self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self_ns < 0) {
        printf("Bail out! /proc/thread-self/ns/net: %m\n");
        return 1;
    }
    fds_before = count_fds();

    test_veth_name();
    test_bridge(bridge_mac);
    test_attach(bridge_mac);
    test_retire();

    ok(net_bridge_remove(BRIDGE) == 0 && !link_exists(BRIDGE), "bridge removed at the end");
    ok(net_bridge_remove(BRIDGE) == 0, "bridge: second remove is fine");
    fds_after = count_fds();
    ok(fds_before == fds_after, "no fd leaked (%d before, %d after)", fds_before, fds_after);

    safe_close(self_ns);
    printf("1..%u\n", n_tests);
    return n_failed ? 1 : 0;
}
