/* SPDX-License-Identifier: MIT */
/*
 * payload: a tiny static program that gives containers predictable
 * behaviour for corral's tests (the idea of crun's tests/init.c).
 *
 *   payload ACTION [ARGS] [ACTION [ARGS]]...
 *
 * Actions run in sequence; run without arguments for the list. It is linked
 * statically so it runs in any rootfs, which is why nothing here may use NSS
 * (getaddrinfo, getpwnam): "connect" reads /etc/hosts itself.
 *
 * By default SIGTERM and SIGINT print "payload: got SIG..." and exit 0. As
 * PID 1 of a pid namespace a process without a handler never sees them, so
 * the handler is what makes a graceful stop observable. SIGKILL from the
 * parent namespace always works.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/if_ether.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

struct action {
    const char *name;
    const char *usage;
    int nargs;     /* required arguments */
    bool optional; /* one more, numeric, argument may follow */
    void (*run)(char **argv, int argc);
};

/* Set by fork-bomb: with nothing left to do, main waits instead of exiting
 * so the bomb's parent (and with it the container) keeps running. */
static bool keep_running;

/* Usage errors (status 2) go to stderr. Runtime failures go to stdout, next
 * to the action's normal output, so a test reading the log sees them in order. */
static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
    FILE *f = status == 2 ? stderr : stdout;
    va_list ap;

    if (status == 2)
        fputs("payload: ", f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    exit(status);
}

/* Async-signal-safe: used from the signal handler as well. */
static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

static void on_stop_signal(int sig)
{
    static const char term[] = "payload: got SIGTERM\n";
    static const char intr[] = "payload: got SIGINT\n";

    if (sig == SIGTERM)
        write_all(STDOUT_FILENO, term, sizeof(term) - 1);
    else
        write_all(STDOUT_FILENO, intr, sizeof(intr) - 1);
    _exit(0);
}

static void set_signal(int sig, void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};
    sigset_t set;

    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    /* The supervisor may hand us a blocked mask; we want it delivered. */
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Forked helpers die quietly on SIGTERM: only the main process reports. */
static pid_t fork_child(void)
{
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        set_signal(SIGTERM, SIG_DFL);
        set_signal(SIGINT, SIG_DFL);
    }
    return pid;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool parse_ull(const char *s, unsigned long long *ret)
{
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *ret = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static bool parse_seconds(const char *s, double *ret)
{
    char *end;

    if ((*s < '0' || *s > '9') && *s != '.')
        return false;
    errno = 0;
    *ret = strtod(s, &end);
    /* Also rejects NaN; 1e9 s is "forever" for any test. */
    return errno == 0 && *end == '\0' && *ret >= 0 && *ret < 1e9;
}

static unsigned long long arg_ull(const char *action, const char *s, unsigned long long max)
{
    unsigned long long v;

    if (!parse_ull(s, &v) || v > max)
        die(2, "%s: '%s' is not a number in 0-%llu", action, s, max);
    return v;
}

static double arg_seconds(const char *action, const char *s)
{
    double v;

    if (!parse_seconds(s, &v))
        die(2, "%s: invalid duration '%s'", action, s);
    return v;
}

/* Sleeps against an absolute deadline, so an interruption (a signal, a
 * freeze and thaw) neither cuts the sleep short nor adds to it. */
static void sleep_seconds(double secs)
{
    double end = now_seconds() + secs;
    struct timespec deadline = {.tv_sec = (time_t) end};

    deadline.tv_nsec = (long) ((end - (double) deadline.tv_sec) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
        ;
}

static void act_hostname(char **argv, int argc)
{
    struct utsname u;

    uname(&u);
    printf("hostname %s\n", u.nodename);
}

static void act_pid(char **argv, int argc)
{
    printf("pid %d\nppid %d\n", (int) getpid(), (int) getppid());
}

static void act_echo(char **argv, int argc)
{
    printf("%s\n", argv[0]);
}

static void act_env(char **argv, int argc)
{
    const char *v = getenv(argv[0]);

    if (v)
        printf("%s=%s\n", argv[0], v);
    else
        printf("%s unset\n", argv[0]);
}

static void act_cwd(char **argv, int argc)
{
    char buf[4096];

    if (!getcwd(buf, sizeof(buf)))
        die(1, "cwd: %s", strerror(errno));
    printf("cwd %s\n", buf);
}

static void act_sleep(char **argv, int argc)
{
    sleep_seconds(arg_seconds("sleep", argv[0]));
}

static void act_exit(char **argv, int argc)
{
    exit((int) arg_ull("exit", argv[0], 255));
}

static void act_kill_self(char **argv, int argc)
{
    const char *name = argv[0];
    unsigned long long num;
    int sig = 0;

    if (parse_ull(name, &num)) {
        if (num > 0 && num <= (unsigned long long) SIGRTMAX)
            sig = (int) num;
    } else {
        if (strncasecmp(name, "SIG", 3) == 0)
            name += 3;
        for (int i = 1; i < SIGRTMIN; i++)
            if (sigabbrev_np(i) && strcasecmp(name, sigabbrev_np(i)) == 0)
                sig = i;
    }
    if (sig == 0)
        die(2, "kill-self: unknown signal '%s'", argv[0]);

    /* Fails for SIGKILL/SIGSTOP, whose action is always the default. */
    set_signal(sig, SIG_DFL);
    fflush(NULL);
    raise(sig);

    /* The kernel drops signals a pid namespace's init sends itself unless
     * it has a handler, so as PID 1 we are still here. */
    sleep_seconds(0.1);
    if (getpid() == 1)
        printf("kill-self: ignored as pid 1\n");
    else
        printf("kill-self: still alive after signal %d\n", sig);
    exit(125);
}

static void act_ignore_term(char **argv, int argc)
{
    signal(SIGTERM, SIG_IGN);
}

static void act_alloc(char **argv, int argc)
{
    /* Each chunk links to the previous one and the head is volatile, so
     * the compiler cannot prove the memory unused and drop the memset. */
    static void *volatile keep;
    unsigned long long mb = arg_ull("alloc", argv[0], ULLONG_MAX);

    for (unsigned long long i = 1; i <= mb; i++) {
        char *p = malloc(MIB);
        if (!p)
            die(1, "alloc failed at %llu: %s", i, strerror(errno));
        memset(p, 0x5a, MIB);
        *(void **) p = keep;
        keep = p;
        if (i % 10 == 0)
            printf("alloc %llu\n", i);
    }
    printf("alloc done %llu\n", mb);
}

static void act_spin(char **argv, int argc)
{
    double end = argc > 0 ? now_seconds() + arg_seconds("spin", argv[0]) : -1;
    volatile unsigned long n = 0;

    for (;;) {
        for (int i = 0; i < 1000000; i++)
            n++;
        if (end >= 0 && now_seconds() >= end)
            return;
    }
}

static void act_listen(char **argv, int argc)
{
    unsigned port = (unsigned) arg_ull("listen", argv[0], 65535);
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t) port),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    socklen_t len = sizeof(sin);
    char msg[128];
    struct utsname u;
    int one = 1, fd, n;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *) &sin, &len) < 0)
        die(1, "listen %u: %s", port, strerror(errno));
    /* Port 0 picks a free one; report the real port so tests can use it. */
    printf("listening %u\n", (unsigned) ntohs(sin.sin_port));

    uname(&u);
    n = snprintf(msg, sizeof(msg), "hello from %s\n", u.nodename);
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die(1, "listen %u: accept: %s", port, strerror(errno));
        }
        /* A peer that hung up must not kill us with SIGPIPE. */
        (void) !send(c, msg, (size_t) n, MSG_NOSIGNAL);
        close(c);
    }
}

/* An IPv4 literal, or the first IPv4 entry of /etc/hosts naming host. */
static int resolve_ipv4(const char *host, struct in_addr *ret)
{
    char line[1024];
    FILE *f;
    int r = -ENOENT;

    if (inet_pton(AF_INET, host, ret) == 1)
        return 0;
    f = fopen("/etc/hosts", "re");
    if (!f)
        return -errno;
    while (r < 0 && fgets(line, sizeof(line), f)) {
        char *save, *addr, *name, *hash = strchr(line, '#');
        struct in_addr a;

        if (hash)
            *hash = '\0';
        addr = strtok_r(line, " \t\r\n", &save);
        if (!addr || inet_pton(AF_INET, addr, &a) != 1)
            continue;
        while ((name = strtok_r(NULL, " \t\r\n", &save)))
            if (strcasecmp(name, host) == 0) {
                *ret = a;
                r = 0;
                break;
            }
    }
    fclose(f);
    return r;
}

/* Waits for events on fd until the monotonic deadline; -ETIMEDOUT after. */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        double left = deadline - now_seconds();
        int r;

        if (left <= 0)
            return -ETIMEDOUT;
        r = poll(&p, 1, (int) (left * 1000) + 1);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

static int connect_read_line(struct in_addr addr, unsigned port, double timeout, char *line,
                             size_t size)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    double deadline = now_seconds() + timeout;
    socklen_t len = sizeof(int);
    size_t used = 0;
    int fd, r, err = 0;

    sin.sin_addr = addr;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
        r = -errno;
        goto out;
    }
    r = wait_fd(fd, POLLOUT, deadline);
    if (r < 0)
        goto out;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        r = err ? -err : -errno;
        goto out;
    }

    /* Read up to the first newline or EOF; a silent peer times out. */
    while (used < size - 1 && !memchr(line, '\n', used)) {
        ssize_t n = read(fd, line + used, size - 1 - used);
        if (n > 0) {
            used += (size_t) n;
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN) {
            r = wait_fd(fd, POLLIN, deadline);
            if (r < 0)
                goto out;
        } else if (errno != EINTR) {
            r = -errno;
            goto out;
        }
    }
    line[used] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    r = 0;
out:
    close(fd);
    return r;
}

static void act_connect(char **argv, int argc)
{
    const char *host = argv[0];
    unsigned port = (unsigned) arg_ull("connect", argv[1], 65535);
    double timeout = argc > 2 ? arg_seconds("connect", argv[2]) : 2.0;
    struct in_addr addr;
    char line[512];
    int r;

    if (resolve_ipv4(host, &addr) < 0)
        die(1, "connect %s:%u: unknown host", host, port);
    r = connect_read_line(addr, port, timeout, line, sizeof(line));
    if (r < 0)
        die(1, "connect %s:%u: %s", host, port, strerror(-r));
    printf("connected %s:%u: %s\n", host, port, line);
}

static void act_counter(char **argv, int argc)
{
    for (unsigned long long n = 1;; n++) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%llu\n", n);
        int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write_all(fd, buf, (size_t) len) < 0)
            die(1, "counter %s: %s", argv[0], strerror(errno));
        close(fd);
        sleep_seconds(0.01);
    }
}

/* Never gives up: a fork bomb must be held by the pids limit, not by its
 * own restraint. The pause after a failure only spares the host's CPU. */
static void bomb(void)
{
    time_t last_report = 0;

    for (;;) {
        if (fork_child() >= 0)
            continue;
        if (time(NULL) != last_report) {
            printf("fork failed: %s\n", strerror(errno));
            last_report = time(NULL);
        }
        sleep_seconds(0.01);
    }
}

static void act_fork_bomb(char **argv, int argc)
{
    pid_t pid = fork_child();

    if (pid < 0)
        die(1, "fork-bomb: %s", strerror(errno));
    if (pid == 0)
        bomb();
    printf("fork-bomb started\n");
    keep_running = true;
}

static void act_children(char **argv, int argc)
{
    unsigned long long n = arg_ull("children", argv[0], ULLONG_MAX);

    for (unsigned long long i = 0; i < n; i++) {
        pid_t pid = fork_child();
        if (pid < 0)
            die(1, "children: fork: %s", strerror(errno));
        if (pid == 0)
            for (;;)
                pause();
    }
    printf("children %llu\n", n);
}

static void act_write(char **argv, int argc)
{
    int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0 || write_all(fd, argv[1], strlen(argv[1])) < 0 || write_all(fd, "\n", 1) < 0)
        die(1, "write %s: %s", argv[0], strerror(errno));
    close(fd);
    printf("wrote %s\n", argv[0]);
}

static void act_cat(char **argv, int argc)
{
    char buf[4096], last = '\n';
    int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;

    fflush(stdout);
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
        write_all(STDOUT_FILENO, buf, (size_t) n);
        last = buf[n - 1];
    }
    if (n < 0)
        die(1, "cat %s: %s", argv[0], strerror(errno));
    close(fd);
    /* Keep the log line-oriented even for a file without a final newline. */
    if (last != '\n')
        putchar('\n');
}

static void act_flood(char **argv, int argc)
{
    /* A whole number of 81-byte lines, so chunks join into clean lines. */
    static char buf[81 * 800];
    unsigned long long left = arg_ull("flood", argv[0], ULLONG_MAX);

    memset(buf, 'x', sizeof(buf));
    for (size_t i = 80; i < sizeof(buf); i += 81)
        buf[i] = '\n';
    fflush(stdout);
    while (left > 0) {
        size_t n = left < sizeof(buf) ? (size_t) left : sizeof(buf);
        int r = write_all(STDOUT_FILENO, buf, n);
        if (r < 0)
            die(1, "flood: %s", strerror(-r));
        left -= n;
    }
}

static void act_nonewline(char **argv, int argc)
{
    fputs(argv[0], stdout);
    fflush(stdout);
}

static void act_stderr(char **argv, int argc)
{
    fprintf(stderr, "%s\n", argv[0]);
}

static void act_ns(char **argv, int argc)
{
    static const char *const names[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[64], target[256];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0) {
            printf("ns %s: %s\n", names[i], strerror(errno));
            continue;
        }
        target[n] = '\0';
        printf("ns %s -> %s\n", names[i], target);
    }
}

/* ---- escape attempts (tests/security/test_escapes.py) ---- */

static long raw_int80(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
    long ret;

    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
#else
    (void) nr, (void) a, (void) b, (void) c;
    return -ENOSYS;
#endif
}

/* 0 or an errno: what one escape attempt came to. */
static int try_one(const char *what)
{
    char buf[256];
    int fd, r;

    errno = 0;
    if (strcmp(what, "mount") == 0)
        return mount("tmpfs", "/tmp", "tmpfs", 0, NULL) < 0 ? errno : 0;
    if (strcmp(what, "umount") == 0)
        return umount2("/proc", MNT_DETACH) < 0 ? errno : 0;
    if (strcmp(what, "pivot_root") == 0)
        return syscall(SYS_pivot_root, ".", ".") < 0 ? errno : 0;
    if (strcmp(what, "userns") == 0)
        return unshare(CLONE_NEWUSER) < 0 ? errno : 0;
    if (strcmp(what, "mntns") == 0)
        return unshare(CLONE_NEWNS) < 0 ? errno : 0;
    if (strcmp(what, "keyctl") == 0)
        return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) < 0 ? errno : 0;
    if (strcmp(what, "module") == 0)
        return syscall(SYS_finit_module, 0, "", 0) < 0 ? errno : 0;
    if (strcmp(what, "reboot") == 0)
        return syscall(SYS_reboot, 0xfee1dead, 672274793, 0x1234567 /* RESTART */, NULL) < 0 ? errno
                                                                                             : 0;
    if (strcmp(what, "sysrq") == 0 || strcmp(what, "sysctl") == 0) {
        fd = open(what[3] == 'r' ? "/proc/sysrq-trigger" : "/proc/sys/kernel/domainname",
                  O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return errno;
        close(fd);
        return 0;
    }
    if (strcmp(what, "mknod") == 0) {
        /* /dev/sda's numbers, then reading it */
        if (mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)) < 0)
            return errno;
        fd = open("/tmp/sda", O_RDONLY | O_CLOEXEC);
        unlink("/tmp/sda");
        if (fd < 0)
            return errno;
        r = read(fd, buf, sizeof(buf)) < 0 ? errno : 0;
        close(fd);
        return r;
    }
    if (strcmp(what, "kcore") == 0) {
        ssize_t n;

        fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return errno;
        n = read(fd, buf, sizeof(buf));
        close(fd);
        return n < 0 ? errno : n == 0 ? ENODATA : 0; /* masked: empty */
    }
    if (strcmp(what, "rawsock") == 0) {
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return errno;
        close(fd);
        return 0;
    }
    if (strcmp(what, "clone3") == 0) {
        struct {
            uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        } args = {.exit_signal = SIGCHLD};
        long pid = syscall(SYS_clone3, &args, sizeof(args));

        if (pid == 0)
            _exit(0);
        return pid < 0 ? errno : 0;
    }
    if (strcmp(what, "x32") == 0) /* keyctl through the x32 ABI */
        return syscall(0x40000000 | 250, 0, -3, 0) < 0 ? errno : 0;
    if (strcmp(what, "int80") == 0) { /* keyctl through the i386 ABI */
        long ret = raw_int80(288, 0, -3, 0);

        return ret < 0 && ret > -4096 ? (int) -ret : 0;
    }
    if (strcmp(what, "ptrace1") == 0) /* our own init, the only pid 1 we see */
        return syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0) < 0 ? errno : 0;
    if (strcmp(what, "bpf") == 0)
        return syscall(SYS_bpf, 0, NULL, 0) < 0 ? errno : 0;
    if (strcmp(what, "killall") == 0) /* kill -9 -1: everything we can see but us */
        return kill(-1, SIGKILL) < 0 ? errno : 0;
    if (strcmp(what, "exe-write") == 0) { /* the binary that runs us, for writing */
        fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return errno;
        close(fd);
        return 0;
    }
    if (strncmp(what, "kill:", 5) == 0) /* signal 0 to a pid: can we reach it? */
        return kill((pid_t) atoi(what + 5), 0) < 0 ? errno : 0;
    if (strncmp(what, "ptrace:", 7) == 0)
        return syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, atoi(what + 7), 0, 0) < 0 ? errno : 0;
    if (strncmp(what, "stat:", 5) == 0) { /* a path: is it there? */
        struct stat st;

        return stat(what + 5, &st) < 0 ? errno : 0;
    }
    if (strcmp(what, "nnp") == 0) /* 1 when no_new_privs is set: reported as EPERM */
        return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? EPERM : 0;
    die(2, "try: unknown attempt '%s'", what);
}

static void act_try(char **argv, int argc)
{
    int err = try_one(argv[0]);

    printf("try %s: %s\n", argv[0], err ? strerrorname_np(err) : "OK");
}

static void act_wait(char **argv, int argc)
{
    for (;;)
        pause();
}

static const struct action actions[] = {
    {"hostname", "", 0, false, act_hostname},
    {"pid", "", 0, false, act_pid},
    {"echo", "TEXT", 1, false, act_echo},
    {"env", "NAME", 1, false, act_env},
    {"cwd", "", 0, false, act_cwd},
    {"sleep", "SECONDS", 1, false, act_sleep},
    {"exit", "N", 1, false, act_exit},
    {"kill-self", "SIGNAME|NUM", 1, false, act_kill_self},
    {"ignore-term", "", 0, false, act_ignore_term},
    {"alloc", "MB", 1, false, act_alloc},
    {"spin", "[SECONDS]", 0, true, act_spin},
    {"listen", "PORT", 1, false, act_listen},
    {"connect", "HOST PORT [TIMEOUT_S]", 2, true, act_connect},
    {"counter", "FILE", 1, false, act_counter},
    {"fork-bomb", "", 0, false, act_fork_bomb},
    {"children", "N", 1, false, act_children},
    {"write", "FILE TEXT", 2, false, act_write},
    {"cat", "FILE", 1, false, act_cat},
    {"flood", "BYTES", 1, false, act_flood},
    {"nonewline", "TEXT", 1, false, act_nonewline},
    {"stderr", "TEXT", 1, false, act_stderr},
    {"ns", "", 0, false, act_ns},
    {"try", "ESCAPE", 1, false, act_try},
    {"wait", "", 0, false, act_wait},
};

static void usage(void)
{
    fputs("usage: payload ACTION [ARGS] [ACTION [ARGS]]...\nactions:\n", stderr);
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        fprintf(stderr, "  %s %s\n", actions[i].name, actions[i].usage);
    exit(2);
}

int main(int argc, char **argv)
{
    /* Line-buffered even into a pipe, so the supervisor's log shows each
     * line as it happens and nothing is lost when a signal ends us. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    set_signal(SIGTERM, on_stop_signal);
    set_signal(SIGINT, on_stop_signal);
    /* Reap our children and, as PID 1, the orphans handed to us, so tests
     * never count zombies. */
    signal(SIGCHLD, SIG_IGN);

    if (argc < 2)
        usage();

    for (int i = 1; i < argc;) {
        const struct action *a = NULL;
        int avail = argc - i - 1, n;
        double unused;

        for (size_t j = 0; j < sizeof(actions) / sizeof(actions[0]); j++)
            if (strcmp(argv[i], actions[j].name) == 0)
                a = &actions[j];
        if (!a)
            die(2, "unknown action '%s'", argv[i]);
        if (avail < a->nargs)
            die(2, "%s: missing argument (usage: %s %s)", a->name, a->name, a->usage);
        n = a->nargs;
        if (a->optional && n < avail && parse_seconds(argv[i + 1 + n], &unused))
            n++;
        a->run(argv + i + 1, n);
        i += 1 + n;
    }

    while (keep_running)
        pause();
    return 0;
}
