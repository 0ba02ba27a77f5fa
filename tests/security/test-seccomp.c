/* SPDX-License-Identifier: MIT */
/* Unit test of supervisor/seccomp.c. Every filter is loaded in a forked
 * child (no_new_privs first, as in a container), which makes the syscall
 * and sends the result back through a pipe; the parent compares. Where the
 * kernel's own answer without a filter is known and differs (a bad pointer,
 * an invalid flag), the same probe also runs unfiltered, so an EPERM is
 * known to come from the filter. The probes' arguments are chosen so that
 * nothing would happen even if a filter let them through (reboot with a
 * wrong magic, kexec_load with invalid flags...): the test runs as root
 * in CI. Root is not needed. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/filter.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "supervisor/seccomp.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define X32_BIT 0x40000000L
#define CAPBIT(c) (UINT64_C(1) << (c))
/* in_child() could not tell: the child died or could not load the filter. */
#define CHILD_DIED LONG_MIN
#define LOAD_FAILED (LONG_MIN + 1)
#define NOT_RUN (LONG_MIN + 2) /* under valgrind */

static unsigned n_tests, n_failed;
static bool under_valgrind;
static char tmpdir[] = "/tmp/corral-seccomp-XXXXXX";
extern char **environ;

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

static void skip(const char *what, const char *why)
{
    printf("ok %u - %s # SKIP %s\n", ++n_tests, what, why);
    fflush(stdout);
}

/* A check on what a filtered syscall answered. valgrind answers many
 * syscalls itself (ENOSYS for those it does not know, EBADF before the
 * kernel sees a bad fd) and forked children report the heap they
 * inherited: under it no child runs, and these checks are skipped, while
 * everything seccomp.c does in the parent is still checked. */
static void ok_probe(bool cond, const char *fmt, ...) _printf_(2, 3);
static void ok_probe(bool cond, const char *fmt, ...)
{
    va_list ap;

    if (!under_valgrind) {
        printf("%sok %u - ", cond ? "" : "not ", ++n_tests);
        n_failed += !cond;
    } else
        printf("ok %u - ", ++n_tests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("%s\n", under_valgrind ? " # SKIP valgrind answers syscalls itself" : "");
    fflush(stdout);
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

/* "-EPERM", "3", "child died": for messages; a few rotating buffers. */
static const char *res(long v)
{
    static char bufs[8][32];
    static unsigned i;
    char *b = bufs[i++ % ELEMENTSOF(bufs)];
    const char *name;

    if (v == CHILD_DIED)
        return "child died";
    if (v == LOAD_FAILED)
        return "load failed";
    if (v == NOT_RUN)
        return "not run";
    name = v < 0 && v > -4096 ? strerrorname_np((int) -v) : NULL;
    if (name)
        snprintf(b, 32, "-%s", name);
    else
        snprintf(b, 32, "%ld", v);
    return b;
}

/* The raw syscall's result, -errno on failure. */
#define SC(...)                                                                                    \
    ({                                                                                             \
        long _r = syscall(__VA_ARGS__);                                                            \
        _r < 0 ? -(long) errno : _r;                                                               \
    })

typedef long (*probe_fn)(long arg);

/* fn(arg) in a child, after no_new_privs and f (NULL: no filter). */
static long in_child(const struct seccomp_filter *f, probe_fn fn, long arg)
{
    _cleanup_close_pair_ int p[2] = {-EBADF, -EBADF};
    long v = CHILD_DIED;
    pid_t pid;
    int status;

    if (under_valgrind)
        return NOT_RUN;
    if (pipe2(p, O_CLOEXEC) < 0)
        return CHILD_DIED;
    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return CHILD_DIED;
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_filter_load(f) < 0)
            v = LOAD_FAILED;
        else
            v = fn(arg);
        if (write(p[1], &v, sizeof(v)) != sizeof(v))
            _exit(2);
        _exit(0);
    }
    p[1] = safe_close(p[1]);
    if (read(p[0], &v, sizeof(v)) != sizeof(v))
        v = CHILD_DIED;
    if (waitpid(pid, &status, 0) == pid && v == CHILD_DIED && WIFSIGNALED(status))
        diag("child killed by signal %d", WTERMSIG(status));
    return v;
}

/* ---- probes ---- */

static long p_keyctl(long a)
{
    return SC(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* KEY_SPEC_SESSION_KEYRING */, 0);
}
static long p_add_key(long a)
{
    return SC(SYS_add_key, NULL, NULL, NULL, 0, 0);
}
static long p_request_key(long a)
{
    return SC(SYS_request_key, NULL, NULL, NULL, 0);
}
static long p_mount(long a)
{
    return SC(SYS_mount, NULL, NULL, NULL, 0, NULL);
}
static long p_umount2(long a)
{
    return SC(SYS_umount2, NULL, 0);
}
static long p_pivot_root(long a)
{
    return SC(SYS_pivot_root, NULL, NULL);
}
static long p_fsopen(long a)
{
    return SC(SYS_fsopen, NULL, 0);
}
static long p_open_tree(long a)
{
    return SC(SYS_open_tree, -1, NULL, 0);
}
static long p_move_mount(long a)
{
    return SC(SYS_move_mount, -1, NULL, -1, NULL, 0);
}
static long p_setns(long a)
{
    return SC(SYS_setns, -1, 0);
}
static long p_bpf(long a)
{
    return SC(SYS_bpf, -1, NULL, 0);
}
static long p_perf(long a)
{
    return SC(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}
static long p_userfaultfd(long a)
{
    return SC(SYS_userfaultfd, -1);
}
static long p_open_by_handle(long a)
{
    return SC(SYS_open_by_handle_at, -1, NULL, 0);
}
static long p_name_to_handle(long a)
{
    return SC(SYS_name_to_handle_at, -1, NULL, NULL, NULL, 0);
}
static long p_reboot(long a)
{
    return SC(SYS_reboot, 0, 0, 0, NULL); /* wrong magic: EINVAL even for root */
}
static long p_io_uring(long a)
{
    return SC(SYS_io_uring_setup, 0, NULL);
}
static long p_kexec(long a)
{
    return SC(SYS_kexec_load, 0, 0, NULL, -1L); /* invalid flags */
}
static long p_init_module(long a)
{
    return SC(SYS_init_module, NULL, 0, NULL);
}
static long p_delete_module(long a)
{
    return SC(SYS_delete_module, NULL, 0);
}
static long p_swapon(long a)
{
    return SC(SYS_swapon, NULL, 0);
}
static long p_syslog(long a)
{
    return SC(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
}
static long p_acct(long a)
{
    return SC(SYS_acct, (void *) 1);
}
static long p_clock_settime(long a)
{
    return SC(SYS_clock_settime, CLOCK_REALTIME, NULL);
}
static long p_iopl(long a)
{
    return SC(SYS_iopl, 4); /* no such level */
}
static long p_kcmp(long a)
{
    return SC(SYS_kcmp, getpid(), getpid(), -1, 0, 0);
}
static long p_quotactl(long a)
{
    return SC(SYS_quotactl, 0, NULL, 0, NULL);
}
static long p_fanotify(long a)
{
    return SC(SYS_fanotify_init, ~0u, 0);
}
static long p_ustat(long a)
{
    return SC(SYS_ustat, 0, NULL);
}
static long p_unshare(long flags)
{
    return SC(SYS_unshare, flags);
}
static long p_getpid(long a)
{
    return SC(SYS_getpid) == getpid() ? 1 : 0;
}

static const unsigned long ns_flags[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_NEWTIME,
};

/* unshare(flag | CLONE_VFORK) for every namespace flag: the kernel says
 * EINVAL (CLONE_VFORK is not for unshare). Bit i: flag i gave EPERM. */
static long p_unshare_each(long a)
{
    long mask = 0;

    for (size_t i = 0; i < ELEMENTSOF(ns_flags); i++)
        if (SC(SYS_unshare, ns_flags[i] | CLONE_VFORK) == -EPERM)
            mask |= 1L << i;
    return mask;
}

/* clone(flag | CLONE_SIGHAND): EINVAL from the kernel (CLONE_SIGHAND needs
 * CLONE_VM), for every flag but CLONE_NEWTIME, which clone(2) cannot
 * take. Bit i: flag i gave EPERM. */
static long p_clone_each(long a)
{
    long mask = 0;

    for (size_t i = 0; i < ELEMENTSOF(ns_flags) - 1; i++)
        if (SC(SYS_clone, ns_flags[i] | CLONE_SIGHAND, 0, NULL, NULL, 0) == -EPERM)
            mask |= 1L << i;
    return mask;
}

/* A fork-like clone into a new mount namespace. */
static long p_clone_newns(long a)
{
    long r = SC(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, NULL, NULL, 0);

    if (r == 0)
        _exit(0);
    if (r > 0)
        (void) waitpid((pid_t) r, NULL, 0);
    return r > 0 ? 0 : r;
}

static long p_clone3(long a)
{
    return SC(SYS_clone3, NULL, 0);
}

static long p_fork(long a)
{
    int status;
    pid_t pid = fork();

    if (pid == 0)
        _exit(7);
    if (pid < 0)
        return -errno;
    if (waitpid(pid, &status, 0) != pid)
        return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1000;
}

static void *thread_main(void *arg)
{
    return (void *) ((long) arg * 2);
}

static long p_pthread(long a)
{
    pthread_t t;
    void *v;
    int r = pthread_create(&t, NULL, thread_main, (void *) 21L);

    if (r != 0)
        return -r;
    r = pthread_join(t, &v);
    return r != 0 ? -r : (long) v;
}

static long p_spawn(long a)
{
    char *argv[] = {"sh", "-c", "exit 3", NULL};
    int status;
    pid_t pid;
    int r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);

    if (r != 0)
        return -r;
    if (waitpid(pid, &status, 0) != pid)
        return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1000;
}

static long p_personality(long v)
{
    return SC(SYS_personality, (unsigned long) v);
}

static bool persona_allowed(uint64_t v)
{
    return v == 0 || v == 0x8 || v == 0x20000 || v == 0x20008 || v == 0xffffffff;
}

/* personality(2) over single bits, all-but-one bits, the five allowed
 * values, small numbers, 64-bit ones and pseudo-random ones: how many
 * answered otherwise than "allowed, or EPERM". */
static long p_personality_sweep(long a)
{
    uint64_t vals[300], x = 0x9e3779b97f4a7c15u;
    size_t n = 0;
    long bad = 0, r;

    for (unsigned b = 0; b < 32; b++) {
        vals[n++] = UINT64_C(1) << b;
        vals[n++] = 0xffffffffu ^ (UINT64_C(1) << b);
        vals[n++] = (UINT64_C(1) << b) | 0x20008;
    }
    for (uint64_t v = 0; v <= 64; v++)
        vals[n++] = v;
    vals[n++] = 0x20000;
    vals[n++] = 0x20008;
    vals[n++] = 0xffffffff;
    vals[n++] = UINT64_C(1) << 32;
    vals[n++] = (UINT64_C(1) << 32) | 8;
    vals[n++] = UINT64_C(0x1ffffffff);
    vals[n++] = UINT64_MAX;
    while (n < ELEMENTSOF(vals)) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        vals[n] = n % 2 ? x : x & 0xffffffff;
        n++;
    }

    for (size_t i = 0; i < n; i++) {
        r = SC(SYS_personality, (unsigned long) vals[i]);
        if (persona_allowed(vals[i]) ? r < 0 : r != -EPERM)
            bad++;
        if (r >= 0)
            (void) syscall(SYS_personality, 0UL);
    }
    return bad;
}

#if defined(__x86_64__)
/* A syscall through the i386 ABI from this 64-bit process. */
static long int80(long nr, long a, long b, long c)
{
    long r;

    __asm__ volatile("int $0x80"
                     : "=a"(r)
                     : "a"(nr), "b"(a), "c"(b), "d"(c)
                     : "memory", "r8", "r9", "r10", "r11");
    return (long) (int) r;
}

static long p_i386_getpid(long a)
{
    return int80(20, 0, 0, 0) == getpid() ? 1 : int80(20, 0, 0, 0);
}
static long p_i386_keyctl(long a)
{
    return int80(288, 0, -3, 0);
}
static long p_i386_unshare(long a)
{
    return int80(310, CLONE_NEWUSER | CLONE_VFORK, 0, 0);
}
static long p_i386_personality(long a)
{
    return int80(136, ADDR_NO_RANDOMIZE, 0, 0);
}
static long p_i386_vm86old(long a)
{
    return int80(113, 0, 0, 0); /* i386 only: no such syscall on x86_64 */
}
static long p_x32_keyctl(long a)
{
    return SC(X32_BIT | SYS_keyctl, 0, -3, 0);
}
static long p_x32_getpid(long a)
{
    return SC(X32_BIT | SYS_getpid);
}
#endif

/* ---- the default filter ---- */

struct check {
    const char *what;
    probe_fn fn;
    long arg;
    long want;    /* under the default filter */
    bool control; /* without it the kernel's answer is known to differ: asserted */
};

static const struct check denied[] = {
    {"keyctl", p_keyctl, 0, -EPERM, true},
    {"add_key", p_add_key, 0, -EPERM, true},
    {"request_key", p_request_key, 0, -EPERM, true},
    {"mount", p_mount, 0, -EPERM, true},
    {"umount2", p_umount2, 0, -EPERM, false},
    {"pivot_root", p_pivot_root, 0, -EPERM, false},
    {"fsopen", p_fsopen, 0, -EPERM, false},
    {"open_tree", p_open_tree, 0, -EPERM, false},
    {"move_mount", p_move_mount, 0, -EPERM, false},
    {"setns", p_setns, 0, -EPERM, true},
    {"unshare(CLONE_NEWUSER)", p_unshare, CLONE_NEWUSER, -EPERM, false},
    {"bpf", p_bpf, 0, -EPERM, false},
    {"perf_event_open", p_perf, 0, -EPERM, false},
    {"userfaultfd", p_userfaultfd, 0, -EPERM, false},
    {"open_by_handle_at", p_open_by_handle, 0, -EPERM, false},
    {"reboot", p_reboot, 0, -EPERM, false},
    {"io_uring_setup", p_io_uring, 0, -EPERM, false},
    {"kexec_load", p_kexec, 0, -EPERM, false},
    {"init_module", p_init_module, 0, -EPERM, false},
    {"delete_module", p_delete_module, 0, -EPERM, false},
    {"swapon", p_swapon, 0, -EPERM, false},
    {"syslog", p_syslog, 0, -EPERM, false},
    {"acct", p_acct, 0, -EPERM, false},
    {"clock_settime", p_clock_settime, 0, -EPERM, false},
    {"iopl", p_iopl, 0, -EPERM, false},
    {"kcmp", p_kcmp, 0, -EPERM, false},
    {"quotactl", p_quotactl, 0, -EPERM, false},
    {"fanotify_init", p_fanotify, 0, -EPERM, false},
    {"ustat", p_ustat, 0, -EPERM, false},
    {"clone(CLONE_NEWNS | SIGCHLD)", p_clone_newns, 0, -EPERM, false},
    {"clone3", p_clone3, 0, -ENOSYS, true},
    {"personality(PER_BSD)", p_personality, PER_BSD, -EPERM, true},
    {"personality(ADDR_NO_RANDOMIZE)", p_personality, ADDR_NO_RANDOMIZE, -EPERM, true},
    {"personality(READ_IMPLIES_EXEC)", p_personality, READ_IMPLIES_EXEC, -EPERM, true},
};

static const struct check allowed[] = {
    {"unshare(CLONE_FS)", p_unshare, CLONE_FS, 0, false},
    {"unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM)", p_unshare,
     CLONE_FILES | CLONE_FS | CLONE_SYSVSEM, 0, false},
    {"fork", p_fork, 0, 7, false},
    {"pthread_create (clone3, then clone)", p_pthread, 0, 42, false},
    {"posix_spawn /bin/sh", p_spawn, 0, 3, false},
    {"personality(0xffffffff), the query", p_personality, 0xffffffffL, 0, false},
    {"personality(PER_LINUX32)", p_personality, PER_LINUX32, 0, false},
    {"personality(UNAME26 | PER_LINUX32)", p_personality, UNAME26 | PER_LINUX32, 0, false},
    {"getpid", p_getpid, 0, 1, false},
    {"name_to_handle_at (as in docker)", p_name_to_handle, 0, -EFAULT, false},
};

static void run_checks(const struct seccomp_filter *f, const struct check *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        long got, bare = 0;

        if (c[i].fn == p_spawn && access("/bin/sh", X_OK) < 0) {
            skip(c[i].what, "no /bin/sh");
            continue;
        }
        got = in_child(f, c[i].fn, c[i].arg);
        if (c[i].control)
            bare = in_child(NULL, c[i].fn, c[i].arg);
        if (c[i].control)
            ok_probe(got == c[i].want && bare != c[i].want && bare != CHILD_DIED,
                     "default filter: %s -> %s (want %s; without the filter %s)", c[i].what,
                     res(got), res(c[i].want), res(bare));
        else
            ok_probe(got == c[i].want, "default filter: %s -> %s (want %s)", c[i].what, res(got),
                     res(c[i].want));
    }
}

static struct seccomp_filter *build_default(uint64_t caps)
{
    struct seccomp_filter *f = NULL;
    char err[256] = "";
    int r = seccomp_filter_build(SECCOMP_DEFAULT, NULL, caps, &f, err, sizeof(err));

    if (r < 0)
        diag("building the default filter: %s (%s)", err, strerror(-r));
    return f;
}

static void test_default(void)
{
    struct seccomp_filter *f = build_default(CONFIG_DEFAULT_CAPS);
    const struct sock_fprog *prog = seccomp_filter_prog(f);
    long got, bare;

    ok(f && prog && prog->len > 0 && prog->len <= BPF_MAXINSNS && prog->filter,
       "default filter builds: %u BPF instructions", prog ? prog->len : 0);
    ok(f && seccomp_filter_unknown(f) == 0, "default filter: libseccomp knows every name (%u not)",
       seccomp_filter_unknown(f));
    if (!f) {
        printf("Bail out! no default filter\n");
        exit(1);
    }

    run_checks(f, denied, ELEMENTSOF(denied));
    run_checks(f, allowed, ELEMENTSOF(allowed));

    got = in_child(f, p_unshare_each, 0);
    bare = in_child(NULL, p_unshare_each, 0);
    ok_probe(got == 0xff && bare == 0,
             "default filter: unshare with each of the 8 CLONE_NEW* flags -> EPERM (mask %#lx; "
             "without the filter %#lx)",
             got, bare);
    got = in_child(f, p_clone_each, 0);
    bare = in_child(NULL, p_clone_each, 0);
    ok_probe(got == 0x7f && bare == 0,
             "default filter: clone with each of the 7 CLONE_NEW* flags -> EPERM (mask %#lx; "
             "without the filter %#lx)",
             got, bare);
    got = in_child(f, p_personality_sweep, 0);
    ok_probe(got == 0,
             "default filter: personality over 300 values: only docker's five pass (%ld wrong)",
             got);

    seccomp_filter_free(f);
}

/* The capabilities a container keeps lift the groups they govern. */
static void test_default_caps(void)
{
    struct seccomp_filter *admin = build_default(CONFIG_DEFAULT_CAPS | CAPBIT(CAP_SYS_ADMIN));
    struct seccomp_filter *all = build_default(~UINT64_C(0));
    long got;

    got = in_child(admin, p_unshare_each, 0);
    ok_probe(admin && got == 0,
             "with CAP_SYS_ADMIN: unshare(CLONE_NEW*) reaches the kernel (mask %#lx)", got);
    got = in_child(admin, p_mount, 0);
    ok_probe(admin && got == -EFAULT, "with CAP_SYS_ADMIN: mount reaches the kernel (%s)",
             res(got));
    got = in_child(admin, p_clone3, 0);
    ok_probe(admin && got == -EINVAL, "with CAP_SYS_ADMIN: clone3 reaches the kernel (%s)",
             res(got));
    got = in_child(all, p_keyctl, 0);
    ok_probe(all && got == -EPERM, "with every capability: keyctl still EPERM (%s)", res(got));
    got = in_child(all, p_io_uring, 0);
    ok_probe(all && got == -EPERM, "with every capability: io_uring_setup still EPERM (%s)",
             res(got));
    got = in_child(all, p_personality, ADDR_NO_RANDOMIZE);
    ok_probe(all && got == -EPERM,
             "with every capability: personality(ADDR_NO_RANDOMIZE) still EPERM (%s)", res(got));
    seccomp_filter_free(admin);
    seccomp_filter_free(all);
}

/* The other ABIs of an x86_64 host. */
static void test_foreign_abis(void)
{
#if defined(__x86_64__)
    struct seccomp_filter *f = build_default(CONFIG_DEFAULT_CAPS);
    long got, bare;

    if (under_valgrind) {
        skip("i386 ABI under the default filter", "valgrind does not run int $0x80");
        skip("x32 ABI under the default filter", "valgrind answers x32 syscalls itself");
        seccomp_filter_free(f);
        return;
    }

    if (in_child(NULL, p_i386_getpid, 0) != 1) {
        skip("i386 ABI under the default filter", "no i386 emulation in this kernel");
    } else {
        got = in_child(f, p_i386_keyctl, 0);
        bare = in_child(NULL, p_i386_keyctl, 0);
        ok(got == -EPERM && bare != -EPERM,
           "i386 ABI: keyctl via int $0x80 -> %s (without the filter %s)", res(got), res(bare));
        got = in_child(f, p_i386_unshare, 0);
        bare = in_child(NULL, p_i386_unshare, 0);
        ok(got == -EPERM && bare == -EINVAL,
           "i386 ABI: unshare(CLONE_NEWUSER) via int $0x80 -> %s (without the filter %s)", res(got),
           res(bare));
        got = in_child(f, p_i386_personality, 0);
        ok(got == -EPERM, "i386 ABI: personality(ADDR_NO_RANDOMIZE) via int $0x80 -> %s", res(got));
        got = in_child(f, p_i386_vm86old, 0);
        bare = in_child(NULL, p_i386_vm86old, 0);
        ok(got == -EPERM && bare != -EPERM,
           "i386 ABI: vm86old, an i386-only syscall -> %s (without the filter %s)", res(got),
           res(bare));
        got = in_child(f, p_i386_getpid, 0);
        ok(got == 1, "i386 ABI: getpid via int $0x80 still works (%s)", res(got));
    }

    /* The filter answers before the kernel looks at the number, so EPERM
     * whether or not this kernel runs x32 (without the filter: ENOSYS, or
     * a keyring id). */
    got = in_child(f, p_x32_keyctl, 0);
    bare = in_child(NULL, p_x32_keyctl, 0);
    ok(got == -EPERM && bare != -EPERM,
       "x32 ABI: keyctl | 0x40000000 -> %s (without the filter %s)", res(got), res(bare));
    got = in_child(f, p_x32_getpid, 0);
    bare = in_child(NULL, p_x32_getpid, 0);
    ok(got != CHILD_DIED && (got == bare || (got > 0 && bare > 0)),
       "x32 ABI: getpid | 0x40000000 reaches the kernel -> %s (without the filter %s)", res(got),
       res(bare));
    seccomp_filter_free(f);
#else
    skip("i386 and x32 ABIs", "not an x86_64 host");
#endif
}

static void test_unconfined(void)
{
    struct seccomp_filter *f = (struct seccomp_filter *) 1;
    char err[64] = "";
    int r = seccomp_filter_build(SECCOMP_UNCONFINED, "/nonexistent", 0, &f, err, sizeof(err));

    ok(r == 0 && !f && !seccomp_filter_prog(f) && seccomp_filter_load(NULL) == 0,
       "unconfined: no filter, and loading none is a no-op (%d)", r);
    seccomp_filter_free(NULL);
}

/* ---- docker JSON profiles ---- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "we");

    if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0) {
        printf("Bail out! cannot write %s: %m\n", path);
        exit(1);
    }
}

/* Write text to tmpdir/name and build it; the path in ret_path. */
static int build_text(const char *name, const char *text, uint64_t caps, char ret_path[PATH_MAX],
                      struct seccomp_filter **ret, char *err, size_t errlen)
{
    snprintf(ret_path, PATH_MAX, "%s/%s", tmpdir, name);
    write_file(ret_path, text);
    return seccomp_filter_build(SECCOMP_FILE, ret_path, caps, ret, err, errlen);
}

static char probe_path[PATH_MAX];

static long p_mkdir(long a)
{
    return SC(SYS_mkdirat, AT_FDCWD, probe_path, 0700);
}
#ifdef SYS_mkdir
static long p_mkdir_old(long a)
{
    return SC(SYS_mkdir, probe_path, 0700);
}
#endif
static long p_open_existing(long a)
{
    long r = SC(SYS_openat, AT_FDCWD, tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    return r < 0 ? r : 0;
}
static long p_create(long a)
{
    long r = SC(SYS_openat, AT_FDCWD, probe_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

    return r < 0 ? r : 0;
}

static void test_profile_mkdir(void)
{
    static const char text[] = "{\n"
                               "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                               "  \"syscalls\": [\n"
                               "    {\n"
                               "      \"names\": [\"mkdir\", \"mkdirat\", \"no_such_syscall\"],\n"
                               "      \"action\": \"SCMP_ACT_ERRNO\",\n"
                               "      \"errnoRet\": 30\n"
                               "    }\n"
                               "  ]\n"
                               "}\n";
    struct seccomp_filter *f = NULL;
    char path[PATH_MAX], err[256] = "";
    long got;
    int r = build_text("mkdir.json", text, 0, path, &f, err, sizeof(err));

    ok(r == 0 && f, "profile: allow all but mkdir builds (%s)", r < 0 ? err : "ok");
    ok(seccomp_filter_unknown(f) == 1, "profile: the unknown name is skipped and counted (%u)",
       seccomp_filter_unknown(f));
    snprintf(probe_path, sizeof(probe_path), "%s/made", tmpdir);
    got = in_child(f, p_mkdir, 0);
    ok_probe(got == -EROFS, "profile: mkdirat -> %s, the errnoRet (want -EROFS)", res(got));
#ifdef SYS_mkdir
    got = in_child(f, p_mkdir_old, 0);
    ok_probe(got == -EROFS, "profile: mkdir -> %s (want -EROFS)", res(got));
#endif
    got = in_child(f, p_open_existing, 0);
    ok_probe(got == 0, "profile: the rest is allowed: openat -> %s", res(got));
    got = in_child(f, p_keyctl, 0);
    ok_probe(got >= 0, "profile: the default filter is not in it: keyctl -> %s", res(got));
    ok(access(probe_path, F_OK) < 0, "profile: nothing was made");
    seccomp_filter_free(f);
}

/* args: MASKED_EQ on the open flags (create nothing, open anything), and
 * two conditions on one argument, which docker takes as an OR. */
static void test_profile_args(void)
{
    static const char text[] =
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
        " {\"names\": [\"openat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,\n"
        "  \"args\": [{\"index\": 2, \"value\": 64, \"valueTwo\": 64, \"op\": "
        "\"SCMP_CMP_MASKED_EQ\"}]},\n"
        " {\"names\": [\"creat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},\n"
        " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 95,\n"
        "  \"args\": [{\"index\": 0, \"value\": 6, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"},\n"
        "           {\"index\": 0, \"value\": 7, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"}]}\n"
        "]}\n";
    struct seccomp_filter *f = NULL;
    char path[PATH_MAX], err[256] = "";
    long got;
    int r = build_text("args.json", text, 0, path, &f, err, sizeof(err));

    ok(r == 0 && f, "profile with args builds (%s)", r < 0 ? err : "ok");
    snprintf(probe_path, sizeof(probe_path), "%s/created", tmpdir);
    got = in_child(f, p_create, 0);
    ok_probe(got == -EACCES, "MASKED_EQ: openat(O_CREAT) -> %s (want -EACCES)", res(got));
    got = in_child(f, p_open_existing, 0);
    ok_probe(got == 0, "MASKED_EQ: openat(O_RDONLY) -> %s", res(got));
    got = in_child(f, p_personality, 6);
    ok_probe(got == -EOPNOTSUPP, "two conditions on arg 0 (an OR): personality(6) -> %s", res(got));
    got = in_child(f, p_personality, 7);
    ok_probe(got == -EOPNOTSUPP, "two conditions on arg 0 (an OR): personality(7) -> %s", res(got));
    got = in_child(f, p_personality, 8);
    ok_probe(got == 0, "two conditions on arg 0: personality(8) passes -> %s", res(got));
    seccomp_filter_free(f);
}

/* A docker-shaped allow-list with archMap, includes and excludes. */
static const char allowlist[] =
    "{\n"
    "  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
    "  \"defaultErrnoRet\": 1,\n"
    "  \"archMap\": [\n"
    "    {\"architecture\": \"SCMP_ARCH_X86_64\",\n"
    "     \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},\n"
    "    {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},\n"
    "    {\"architecture\": \"SCMP_ARCH_LOONGARCH64\", \"subArchitectures\": null}\n"
    "  ],\n"
    "  \"syscalls\": [\n"
    "    {\"names\": [\"read\", \"write\", \"close\", \"exit\", \"exit_group\", \"getpid\",\n"
    "               \"rt_sigreturn\", \"rt_sigprocmask\", \"brk\", \"mmap\", \"munmap\",\n"
    "               \"futex\", \"wait4\", \"getgid\"],\n"
    "     \"action\": \"SCMP_ACT_ALLOW\", \"args\": [], \"comment\": \"\",\n"
    "     \"includes\": {}, \"excludes\": {}},\n"
    "    {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
    "    {\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"minKernel\": \"999.0\"}},\n"
    "    {\"names\": [\"getresuid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"minKernel\": \"3.10\"}},\n"
    "    {\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"arches\": [\"s390x\"]}},\n"
    "    {\"names\": [\"getegid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"excludes\": {\"arches\": [\"s390\", \"s390x\"]}},\n"
    "    {\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
    "    {\"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"excludes\": {\"minKernel\": \"3.0\"}},\n"
    "    {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,\n"
    "     \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
    "    {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"args\": [{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 0,\n"
    "                \"op\": \"SCMP_CMP_EQ\"}]},\n"
    "    {\"names\": [\"getrusage\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}\n"
    "  ]\n"
    "}\n";

/* What the allow-list gives, one bit per syscall that answered as
 * expected; arg: the profile was built with CAP_SYS_ADMIN. */
static long p_allowlist(long admin)
{
    struct {
        long got, want;
    } c[] = {
        {SC(SYS_getpid) > 0, 1},
        {SC(SYS_getgid) >= 0, 1},
        {SC(SYS_getppid), admin ? getppid() : -EPERM},
        {SC(SYS_getuid), -EPERM},
        {SC(SYS_getresuid, NULL, NULL, NULL), -EFAULT},
        {SC(SYS_geteuid), -EPERM},
        {SC(SYS_getegid) >= 0, 1},
        {SC(SYS_getpgid, 0) >= 0 ? 1 : SC(SYS_getpgid, 0), admin ? -EPERM : 1},
        {SC(SYS_getsid, 0), -EPERM},
        {SC(SYS_clone3, NULL, 0), admin ? -EPERM : -ENOSYS},
        {SC(SYS_personality, 0xffffffffUL) >= 0, 1},
        {SC(SYS_personality, 8UL), -EPERM},
        {SC(SYS_mkdirat, AT_FDCWD, "/", 0), -EPERM},
        {SC(SYS_getrusage, 0, NULL), -EPERM},
    };
    long mask = 0;

    for (size_t i = 0; i < ELEMENTSOF(c); i++)
        if (c[i].got == c[i].want)
            mask |= 1L << i;
    return mask;
}
#define ALLOWLIST_ALL ((1L << 14) - 1)

static void test_profile_allowlist(void)
{
    struct seccomp_filter *f = NULL, *admin = NULL;
    char path[PATH_MAX], err[256] = "";
    long got;
    int r;

    r = build_text("allow.json", allowlist, CONFIG_DEFAULT_CAPS, path, &f, err, sizeof(err));
    ok(r == 0 && f, "docker-shaped allow-list builds (%s)", r < 0 ? err : "ok");
    r = build_text("allow.json", allowlist, CONFIG_DEFAULT_CAPS | CAPBIT(CAP_SYS_ADMIN), path,
                   &admin, err, sizeof(err));
    ok(r == 0 && admin, "docker-shaped allow-list builds with CAP_SYS_ADMIN (%s)",
       r < 0 ? err : "ok");

    if (under_valgrind) {
        /* valgrind's own syscalls are not on the list */
        skip("allow-list: defaults, includes and excludes", "valgrind needs more syscalls");
        skip("allow-list with CAP_SYS_ADMIN", "valgrind needs more syscalls");
        skip("allow-list: i386 ABI via archMap", "valgrind does not run int $0x80");
    } else {
        got = in_child(f, p_allowlist, 0);
        ok(got == ALLOWLIST_ALL,
           "allow-list: default errno, includes (caps, minKernel, arches), excludes (mask %#lx, "
           "want %#lx)",
           got, ALLOWLIST_ALL);
        got = in_child(admin, p_allowlist, 1);
        ok(got == ALLOWLIST_ALL,
           "allow-list with CAP_SYS_ADMIN: includes.caps met, excludes.caps hit (mask %#lx)", got);
#if defined(__x86_64__)
        if (in_child(NULL, p_i386_getpid, 0) == 1) {
            got = in_child(f, p_i386_getpid, 0);
            ok(got == 1, "allow-list: archMap's subArchitectures let i386 getpid through (%s)",
               res(got));
        } else {
            skip("allow-list: i386 ABI via archMap", "no i386 emulation in this kernel");
        }
#else
        skip("allow-list: i386 ABI via archMap", "not an x86_64 host");
#endif
    }
    seccomp_filter_free(f);
    seccomp_filter_free(admin);
}

/* An ABI the profile does not name: ENOSYS for everything. */
static void test_profile_native_only(void)
{
    static const char text[] =
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
        " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"],\n"
        " \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\n"
        " \"syscalls\": null}\n";
    struct seccomp_filter *f = NULL;
    char path[PATH_MAX], err[256] = "";
    long got;
    int r = build_text("native.json", text, 0, path, &f, err, sizeof(err));

    ok(r == 0 && f, "profile with architectures and flags builds (%s)", r < 0 ? err : "ok");
    got = in_child(f, p_getpid, 0);
    ok_probe(got == 1, "profile with SECCOMP_FILTER_FLAG_SPEC_ALLOW loads; getpid works (%s)",
             res(got));
#if defined(__x86_64__)
    if (under_valgrind)
        skip("an ABI the profile leaves out", "valgrind does not run int $0x80");
    else if (in_child(NULL, p_i386_getpid, 0) != 1)
        skip("an ABI the profile leaves out", "no i386 emulation in this kernel");
    else {
        got = in_child(f, p_i386_getpid, 0);
        ok(got == -ENOSYS, "an ABI the profile leaves out: i386 getpid -> %s (want -ENOSYS)",
           res(got));
    }
#endif
    seccomp_filter_free(f);
}

struct bad_profile {
    const char *what, *text;
    int err;
    const char *msg; /* after "profile PATH: " */
};

static const struct bad_profile bad_profiles[] = {
    {"bad JSON", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}\n", -EINVAL,
     "line 2 column 16: unexpected token near '}'"},
    {"not an object", "[]", -EINVAL, "expected an object at the top, got an array"},
    {"no defaultAction", "{\"syscalls\": []}", -EINVAL, "defaultAction: missing"},
    {"unknown action",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"},\n"
     " {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_FOO\"}]}",
     -EINVAL,
     "syscalls[1].action: unknown action 'SCMP_ACT_FOO' (SCMP_ACT_ALLOW, _ERRNO, _KILL, "
     "_KILL_THREAD, _KILL_PROCESS, _TRAP, _TRACE or _LOG)"},
    {"names not an array",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": \"mkdir\", \"action\": \"SCMP_ACT_ERRNO\"}]}",
     -EINVAL, "syscalls[0].names: expected an array, got a string"},
    {"a name not a string",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\", 83], \"action\": \"SCMP_ACT_ERRNO\"}]}",
     -EINVAL, "syscalls[0].names[1]: expected a string, got an integer"},
    {"unknown comparison",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
     "  \"args\": [{\"index\": 1, \"value\": 0, \"op\": \"SCMP_CMP_FOO\"}]}]}",
     -EINVAL,
     "syscalls[0].args[0].op: unknown comparison 'SCMP_CMP_FOO' (SCMP_CMP_NE, _LT, _LE, _EQ, "
     "_GE, _GT or _MASKED_EQ)"},
    {"argument index out of range",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
     "  \"args\": [{\"index\": 6, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
     -EINVAL, "syscalls[0].args[0].index: 6 is out of range (0-5)"},
    {"a negative value",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
     "  \"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
     -EINVAL, "syscalls[0].args[0].value: -1 is out of range (0-9223372036854775807)"},
    {"errnoRet with SCMP_ACT_ALLOW",
     "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
     -EINVAL,
     "syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not "
     "SCMP_ACT_ALLOW"},
    {"both name and names",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"name\": \"mkdir\", \"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
     -EINVAL, "syscalls[0]: both 'name' and 'names' (use 'names')"},
    {"unknown architecture",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
     "\"SCMP_ARCH_VAX\"]}",
     -EINVAL, "architectures[1]: unknown architecture 'SCMP_ARCH_VAX'"},
    {"architectures and archMap",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
     " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
     -EINVAL, "both 'architectures' and 'archMap' (use one)"},
    {"a bad minKernel",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
     "  \"includes\": {\"minKernel\": \"four\"}}]}",
     -EINVAL, "syscalls[0].includes.minKernel: 'four' is not a kernel version (like \"4.8\")"},
    {"SCMP_ACT_NOTIFY",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
     " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
     -EINVAL,
     "syscalls[0].action: SCMP_ACT_NOTIFY is not supported (corral runs no seccomp agent)"},
    {"an unknown flag",
     "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
     -EINVAL,
     "flags[0]: unsupported flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER' (SECCOMP_FILTER_FLAG_LOG, "
     "_SPEC_ALLOW or _TSYNC)"},
    {"syscalls not an array", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", -EINVAL,
     "syscalls: expected an array, got an object"},
    {"an empty file", "", -EINVAL, "line 1 column 0: '[' or '{' expected near end of file"},
};

static void test_profile_errors(void)
{
    char path[PATH_MAX], err[512], want[PATH_MAX + 256];
    struct seccomp_filter *f;
    int r;

    for (size_t i = 0; i < ELEMENTSOF(bad_profiles); i++) {
        const struct bad_profile *b = &bad_profiles[i];

        f = NULL;
        err[0] = '\0';
        r = build_text("bad.json", b->text, 0, path, &f, err, sizeof(err));
        snprintf(want, sizeof(want), "profile %s: %s", path, b->msg);
        ok(r == b->err && !f && streq(err, want), "malformed profile, %s: %s", b->what, err);
        if (!streq(err, want))
            diag("want: %s", want);
        seccomp_filter_free(f);
    }

    /* err may be NULL */
    f = NULL;
    r = build_text("bad.json", "[]", 0, path, &f, NULL, 0);
    ok(r == -EINVAL && !f, "malformed profile without an error buffer: %d", r);

    snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
    r = seccomp_filter_build(SECCOMP_FILE, path, 0, &f, err, sizeof(err));
    snprintf(want, sizeof(want), "profile %s: No such file or directory", path);
    ok(r == -ENOENT && !f && streq(err, want), "missing profile: %s", err);

    r = seccomp_filter_build(SECCOMP_FILE, tmpdir, 0, &f, err, sizeof(err));
    snprintf(want, sizeof(want), "profile %s: not a regular file", tmpdir);
    ok(r == -EINVAL && !f && streq(err, want), "a directory as profile: %s", err);
}

/* Exactly SECCOMP_PROFILE_SIZE_MAX bytes is fine; one more is not. */
static void test_profile_size(void)
{
    static const char head[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}";
    _cleanup_free_ char *text = malloc(SECCOMP_PROFILE_SIZE_MAX + 2);
    struct seccomp_filter *f = NULL;
    char path[PATH_MAX], err[512] = "", want[PATH_MAX + 64];
    int r;

    if (!text) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    memset(text, ' ', SECCOMP_PROFILE_SIZE_MAX + 1);
    memcpy(text, head, sizeof(head) - 1);
    text[SECCOMP_PROFILE_SIZE_MAX] = '\0';
    r = build_text("big.json", text, 0, path, &f, err, sizeof(err));
    ok(r == 0 && f, "a profile of exactly %u bytes builds (%s)", SECCOMP_PROFILE_SIZE_MAX,
       r < 0 ? err : "ok");
    seccomp_filter_free(f);

    f = NULL;
    text[SECCOMP_PROFILE_SIZE_MAX] = ' ';
    text[SECCOMP_PROFILE_SIZE_MAX + 1] = '\0';
    r = build_text("big.json", text, 0, path, &f, err, sizeof(err));
    snprintf(want, sizeof(want), "profile %s: larger than 4 MiB", path);
    ok(r == -EFBIG && !f && streq(err, want), "a profile one byte larger: %s", err);
}

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

static void cleanup_tmpdir(void)
{
    static const char *const names[] = {"mkdir.json", "args.json", "allow.json", "native.json",
                                        "bad.json",   "big.json",  "made",       "created"};
    char path[PATH_MAX];

    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
        (void) unlink(path);
        (void) rmdir(path);
    }
    (void) rmdir(tmpdir);
}

int main(void)
{
    int fds;

    under_valgrind = getenv("CORRAL_TEST_VALGRIND") != NULL;
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp: %m\n");
        return 1;
    }
    fds = count_fds();

    test_unconfined();
    test_default();
    test_default_caps();
    test_foreign_abis();
    test_profile_mkdir();
    test_profile_args();
    test_profile_allowlist();
    test_profile_native_only();
    test_profile_errors();
    test_profile_size();

    ok(count_fds() == fds, "no fd left open (%d before, %d after)", fds, count_fds());
    cleanup_tmpdir();
    ok(access(tmpdir, F_OK) < 0, "temporary files removed");
    printf("1..%u\n", n_tests);
    return n_failed ? 1 : 0;
}
