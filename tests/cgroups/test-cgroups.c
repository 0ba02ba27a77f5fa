/* SPDX-License-Identifier: MIT */
/* Root integration test of cgroups/: limits, freezer, statistics, OOM
 * accounting and killing, on whatever layout the host has (pure v2, or v1
 * controllers with a controller-less cgroup2 mount). Real processes are
 * forked into a uniquely named parent cgroup, which is removed at the end
 * whatever happened; the last subtest checks that nothing is left. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup-internal.h"
#include "macro.h"
#include "util.h"

#define MB (1024ull * 1024)

static unsigned n_tests, n_failed;
static volatile uint64_t *counter; /* shared with the spinning child */
static char parent[128], parent_v1[160], parent_busy[160];

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

static void skip(const char *name, const char *why)
{
    printf("ok %u - %s # SKIP %s\n", ++n_tests, name, why);
    fflush(stdout);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    (void) nanosleep(&ts, NULL);
}

/* ---- payloads, run in forked children ---- */

static void spin(void)
{
    /* Memory is charged where it is touched: some, after the attach. */
    char *p = malloc(4 * MB);

    for (size_t i = 0; p && i < 4 * MB; i += 4096)
        p[i] = 1;
    for (;;)
        (*counter)++;
}

static void allocate(void)
{
    char *p = malloc(100 * MB);

    if (!p)
        _exit(2);
    for (size_t i = 0; i < 100 * MB; i += 4096)
        p[i] = 1;
    _exit(0);
}

/* Fork without end; pids.max is the only bound, as with a fork bomb. */
static void fork_tree(void)
{
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        else if (pid < 0)
            sleep_ms(1);
    }
}

/* Fork a child that waits until it is attached to h, then runs fn. */
static pid_t spawn(struct cg_handle *h, void (*fn)(void))
{
    int p[2], r;
    pid_t pid;
    char c = 'x';

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(p[1]);
        if (read(p[0], &c, 1) != 1)
            _exit(1);
        fn();
        _exit(0);
    }
    close(p[0]);
    r = cg_attach(h, pid, false);
    if (r < 0) {
        kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        close(p[1]);
        return r;
    }
    if (write(p[1], &c, 1) != 1)
        r = -errno;
    close(p[1]);
    return r < 0 ? r : pid;
}

/* waitpid with a bound; the child is killed if it is not done in time. */
static int wait_child(pid_t pid, long ms, int *ret_status)
{
    for (long t = 0; t < ms; t += 5) {
        pid_t r = waitpid(pid, ret_status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0)
            return -errno;
        sleep_ms(5);
    }
    kill(pid, SIGKILL);
    (void) waitpid(pid, ret_status, 0);
    return -ETIMEDOUT;
}

static bool wait_state(struct cg_handle *h, int want, long ms)
{
    for (long t = 0; t < ms; t += 5) {
        if (cg_freezer_state(h) == want)
            return true;
        sleep_ms(5);
    }
    return false;
}

static bool wait_empty(struct cg_handle *h, long ms)
{
    for (long t = 0; t < ms; t += 5) {
        if (!cg_populated(h))
            return true;
        sleep_ms(5);
    }
    return false;
}

/* Does the counter move within ms? */
static bool counter_moves(long ms)
{
    uint64_t before = *counter;

    for (long t = 0; t < ms; t += 10) {
        sleep_ms(10);
        if (*counter != before)
            return true;
    }
    return false;
}

/* rmdir, retrying while the kernel releases killed tasks. */
static int destroy(struct cg_handle *h)
{
    int r = 0;

    for (int i = 0; i < 400; i++) {
        r = cg_destroy(h);
        if (r != -EBUSY)
            return r;
        sleep_ms(5);
    }
    return r;
}

static void reap_all(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

/* ---- reading back what the kernel holds ---- */

static bool is_v2(const struct cg_manager *m)
{
    return streq(m->ops->name, "v2");
}

static const char *dir_of(const struct cg_handle *h, const char *controller)
{
    const struct cg_manager *m = h->m;

    if (is_v2(m))
        return h->dirs[m->unified];
    for (size_t i = 0; i < m->n_hier; i++)
        if (h->dirs[i] && !m->hier[i].unified && cg_hier_has(&m->hier[i], controller))
            return h->dirs[i];
    return NULL;
}

static bool has_file(const struct cg_handle *h, const char *controller, const char *file)
{
    const char *dir = dir_of(h, controller);

    return dir && cg_file_exists(dir, file);
}

static void check_file(const struct cg_handle *h, const char *controller, const char *file,
                       const char *want)
{
    _cleanup_free_ char *got = NULL;
    const char *dir = dir_of(h, controller);
    int r = dir ? cg_read(dir, file, &got) : -ENOENT;

    if (r >= 0)
        got[strcspn(got, "\n")] = 0;
    ok(r >= 0 && streq(got, want), "%s reads back '%s' (got '%s')", file, want,
       r >= 0 ? got : strerror(-r));
}

/* ---- cleanup, whatever happened before ---- */

#define MAX_HANDLES 8
static struct cg_handle *handles[MAX_HANDLES];

static struct cg_handle *track(struct cg_handle *h)
{
    for (size_t i = 0; i < MAX_HANDLES; i++)
        if (!handles[i]) {
            handles[i] = h;
            return h;
        }
    abort();
}

static void release(struct cg_handle *h)
{
    for (size_t i = 0; i < MAX_HANDLES; i++)
        if (handles[i] == h) {
            (void) cg_kill_all(h);
            (void) wait_empty(h, 5000);
            (void) destroy(h);
            cg_handle_free(h);
            handles[i] = NULL;
        }
}

/* Every cgroup mount point, from mountinfo: independent of the module. */
static size_t cgroup_mounts(char mounts[][256], size_t max)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    size_t n = 0;

    while (f && n < max && fgets(line, sizeof(line), f)) {
        char mnt[256], fstype[32];
        char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*d %*d %*s %*s %255s", mnt) != 1 ||
            sscanf(dash + 3, "%31s", fstype) != 1)
            continue;
        if (streq(fstype, "cgroup") || streq(fstype, "cgroup2"))
            snprintf(mounts[n++], 256, "%s", mnt);
    }
    return n;
}

static void remove_everywhere(const char *name)
{
    char mounts[32][256];
    size_t n = cgroup_mounts(mounts, 32);

    for (size_t i = 0; i < n; i++) {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/%s/_supervisor", mounts[i], name);
        (void) rmdir(dir);
        snprintf(dir, sizeof(dir), "%s/%s", mounts[i], name);
        (void) rmdir(dir);
    }
}

static bool left_anywhere(const char *name)
{
    char mounts[32][256];
    size_t n = cgroup_mounts(mounts, 32);
    bool left = false;

    for (size_t i = 0; i < n; i++) {
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/%s", mounts[i], name);
        if (access(dir, F_OK) == 0) {
            printf("# left behind: %s\n", dir);
            left = true;
        }
    }
    return left;
}

/* ---- the subtests ---- */

static void test_limits(struct cg_manager *m, struct cg_handle *h)
{
    bool v2 = is_v2(m);
    bool swap = has_file(h, "memory", v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
    bool io = v2 ? has_file(h, "io", "io.weight")
                 : has_file(h, "blkio", "blkio.weight") || has_file(h, "blkio", "blkio.bfq.weight");
    const char *io_file = v2                                     ? "io.weight"
                          : has_file(h, "blkio", "blkio.weight") ? "blkio.weight"
                                                                 : "blkio.bfq.weight";
    struct cg_limits l = {
        .memory = 64 * MB,
        .memory_swap = swap ? 128 * MB : 0,
        .cpu_quota_us = 50000,
        .cpu_period_us = 100000,
        .cpu_weight = 200,
        .pids = 32,
        .io_weight = io ? 200 : 0,
        .cpuset_cpus = "0",
        .cpuset_mems = "0",
    };
    const char *file = NULL;
    unsigned saved;
    int r;

    ok(!cg_limits_unsupported(m, &(struct cg_limits){.memory = 1}), "memory is supported");
    ok(!cg_limits_unsupported(m, &(struct cg_limits){.cpu_weight = 1}), "cpu is supported");
    ok(!cg_limits_unsupported(m, &(struct cg_limits){.pids = 1}), "pids is supported");
    ok(!cg_limits_unsupported(m, &(struct cg_limits){.cpuset_cpus = "0"}), "cpuset is supported");
    {
        const char *got = cg_limits_unsupported(m, &(struct cg_limits){.io_weight = 1});
        ok(io ? !got : got && streq(got, "io"), "io weight: %s (host has the weight file: %s)",
           got ?: "supported", io ? "yes" : "no");
        got = cg_limits_unsupported(m, &(struct cg_limits){.memory = 1, .memory_swap = 2});
        ok(swap ? !got : got && streq(got, "memory swap accounting"),
           "memory_swap: %s (host accounts swap: %s)", got ?: "supported", swap ? "yes" : "no");
    }
    /* The names, as a host without any controller would get them. */
    saved = m->controllers;
    m->controllers = 0;
    {
        const char *a = cg_limits_unsupported(m, &(struct cg_limits){.memory = 1});
        const char *b = cg_limits_unsupported(m, &(struct cg_limits){.cpu_quota_us = 1});
        const char *c = cg_limits_unsupported(m, &(struct cg_limits){.pids = 1});
        const char *d = cg_limits_unsupported(m, &(struct cg_limits){.cpuset_mems = "0"});
        const char *e = cg_limits_unsupported(m, &(struct cg_limits){0});
        ok(a && streq(a, "memory") && b && streq(b, "cpu") && c && streq(c, "pids") && d &&
               streq(d, "cpuset") && !e,
           "without controllers: memory, cpu, pids, cpuset named; nothing set is fine");
        r = cg_set_limits(h, &(struct cg_limits){.pids = 5}, &file);
        ok(r == -EOPNOTSUPP && file && streq(file, "pids"),
           "set_limits refuses an unsupported limit (%d, %s)", r, file ?: "(null)");
    }
    m->controllers = saved;

    r = cg_set_limits(h, &(struct cg_limits){.memory = 64 * MB, .memory_swap = 32 * MB}, NULL);
    ok(r == -EINVAL, "memory_swap below memory is -EINVAL (%d)", r);

    r = cg_set_limits(h, &l, &file);
    ok(r == 0, "cg_set_limits (%s%s%s)", r < 0 ? strerror(-r) : "ok", r < 0 ? " on " : "",
       r < 0 && file ? file : "");
    if (v2) {
        check_file(h, "memory", "memory.max", "67108864");
        if (swap)
            check_file(h, "memory", "memory.swap.max", "67108864");
        check_file(h, "cpu", "cpu.max", "50000 100000");
        check_file(h, "cpu", "cpu.weight", "200");
        check_file(h, "pids", "pids.max", "32");
    } else {
        check_file(h, "memory", "memory.limit_in_bytes", "67108864");
        if (swap)
            check_file(h, "memory", "memory.memsw.limit_in_bytes", "134217728");
        check_file(h, "cpu", "cpu.cfs_quota_us", "50000");
        check_file(h, "cpu", "cpu.cfs_period_us", "100000");
        /* 2 + (200 - 1) * 262142 / 9999 */
        check_file(h, "cpu", "cpu.shares", "5219");
        check_file(h, "pids", "pids.max", "32");
    }
    if (io)
        /* v1: 10 + (200 - 1) * 990 / 9999 */
        check_file(h, v2 ? "io" : "blkio", io_file, v2 ? "default 200" : "29");
    else
        skip("io weight reads back", "no io weight file on this host");
    check_file(h, "cpuset", "cpuset.cpus", "0");
    check_file(h, "cpuset", "cpuset.mems", "0");
}

static void test_freezer(struct cg_manager *m, struct cg_handle *h)
{
    const char *watch = cg_freezer_watch_path(h);
    _cleanup_close_ int ifd = -EBADF;
    int r;

    ok(counter_moves(2000), "the child runs before freezing");
    if (m->unified >= 0) {
        ok(watch != NULL, "watch path on a host with cgroup2: %s", watch ?: "(null)");
        ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        ok(ifd >= 0 && watch && inotify_add_watch(ifd, watch, IN_MODIFY) >= 0,
           "inotify watch on the watch path");
    } else {
        ok(watch == NULL, "no watch path without cgroup2 (v1 freezer.state)");
    }

    r = cg_freeze(h, true);
    ok(r == 0, "cg_freeze(true) (%s)", r < 0 ? strerror(-r) : "ok");
    ok(wait_state(h, CG_FROZEN, 5000), "state reaches CG_FROZEN");
    if (ifd >= 0) {
        struct pollfd p = {.fd = ifd, .events = POLLIN};
        ok(poll(&p, 1, 2000) == 1, "inotify fires on freeze");
    }
    ok(!counter_moves(300), "the child does not run while frozen");
    {
        struct cg_stats st;
        r = cg_stats(h, &st);
        ok(r == 0 && st.pids_current >= 1, "stats while frozen: pids_current = %" PRIu64,
           st.pids_current);
    }

    r = cg_freeze(h, false);
    ok(r == 0, "cg_freeze(false) (%s)", r < 0 ? strerror(-r) : "ok");
    ok(wait_state(h, CG_THAWED, 5000), "state reaches CG_THAWED");
    ok(counter_moves(2000), "the child runs again after thaw");
}

static void test_stats(struct cg_handle *h)
{
    struct cg_stats st;
    int r = cg_stats(h, &st);

    printf("# stats: memory_current %" PRIu64 " memory_peak %" PRIu64 " cpu_usage_ns %" PRIu64
           " pids_current %" PRIu64 " oom_kills %" PRIu64 "\n",
           st.memory_current, st.memory_peak, st.cpu_usage_ns, st.pids_current, st.oom_kills);
    ok(r == 0, "cg_stats");
    ok(st.pids_current >= 1, "stats: pids_current >= 1");
    ok(st.memory_current > 0, "stats: memory_current > 0");
    ok(st.cpu_usage_ns > 0, "stats: cpu_usage_ns > 0");
}

static void test_oom(struct cg_manager *m)
{
    struct cg_handle *h = NULL;
    bool swap = (m->controllers & CG_CTRL_MEMSW) != 0;
    struct cg_stats st = {0};
    int r = cg_create(m, "oom", &h), status = 0;
    pid_t pid;

    ok(r == 0, "create 'oom'");
    if (r < 0)
        return;
    track(h);
    /* With swap accounting, no swap either: the OOM killer must act. */
    r = cg_set_limits(h, &(struct cg_limits){.memory = 32 * MB, .memory_swap = swap ? 32 * MB : 0},
                      NULL);
    ok(r == 0, "memory = 32M");
    pid = spawn(h, allocate);
    r = pid > 0 ? wait_child(pid, 120000, &status) : pid;
    ok(r == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
       "a child touching 100M is killed by SIGKILL (status 0x%x)", status);
    r = cg_stats(h, &st);
    ok(r == 0 && st.oom_kills >= 1, "stats: oom_kills = %" PRIu64, st.oom_kills);
    ok(destroy(h) == 0, "destroy 'oom'");
    release(h);
}

static void test_kill(struct cg_manager *m, const char *name, bool frozen)
{
    struct cg_handle *h = NULL;
    struct cg_stats st = {0};
    int r = cg_create(m, name, &h), status;
    pid_t pid;

    ok(r == 0, "create '%s'", name);
    if (r < 0)
        return;
    track(h);
    (void) cg_set_limits(h, &(struct cg_limits){.pids = 64}, NULL);
    pid = spawn(h, fork_tree);
    for (int i = 0; i < 1000 && cg_stats(h, &st) == 0 && st.pids_current < 16; i++)
        sleep_ms(5);
    ok(pid > 0 && st.pids_current >= 16, "a forking tree grows (%" PRIu64 " tasks)",
       st.pids_current);
    if (frozen) {
        (void) cg_freeze(h, true);
        ok(wait_state(h, CG_FROZEN, 5000), "the tree is frozen");
    }
    r = cg_kill_all(h);
    ok(r == 0, "cg_kill_all%s (%s)", frozen ? " on a frozen cgroup" : "",
       r < 0 ? strerror(-r) : "ok");
    ok(wait_empty(h, 5000), "the cgroup is empty after the kill");
    if (pid > 0)
        (void) wait_child(pid, 5000, &status);
    r = destroy(h);
    ok(r == 0, "cg_destroy '%s' (%s)", name, r < 0 ? strerror(-r) : "ok");
    release(h);
    reap_all();
}

/* v1 hosts without a cgroup2 mount: the manager is told there is none, so
 * the v1 freezer and the freeze-kill-thaw loop are what is used. */
static void test_v1_freezer(void)
{
    struct cg_manager *m = NULL;
    struct cg_handle *h = NULL;
    int r = cg_manager_new(parent_v1, &m), saved;
    pid_t pid;

    ok(r == 0, "manager for '%s' (v1, unified hierarchy hidden)", parent_v1);
    if (r < 0)
        return;
    saved = m->unified;
    m->unified = -1;
    r = cg_create(m, "v1", &h);
    ok(r == 0, "create 'v1'");
    if (r == 0) {
        track(h);
        pid = spawn(h, spin);
        ok(pid > 0, "spinning child attached");
        test_freezer(m, h);
        ok(spawn(h, fork_tree) > 0, "forking tree attached next to it");
        sleep_ms(200);
        r = cg_kill_all(h);
        ok(r == 0, "cg_kill_all through the freezer (%s)", r < 0 ? strerror(-r) : "ok");
        ok(wait_empty(h, 5000), "the cgroup is empty after the kill");
        ok(cg_freezer_state(h) == CG_THAWED, "left thawed");
        r = destroy(h);
        ok(r == 0, "cg_destroy 'v1' (%s)", r < 0 ? strerror(-r) : "ok");
        release(h);
        reap_all();
    }
    m->unified = saved;
    (void) cg_manager_remove_parent(m);
    cg_manager_free(m);
}

/* The no-internal-process rule on v2: another process in the parent makes
 * the manager fail with EBUSY; the supervisor itself moves to a leaf. */
static void test_v2_internal_process(struct cg_manager *m)
{
    const char *root = m->hier[m->unified].mountpoint;
    _cleanup_free_ char *dir = path_join(root, parent_busy), *own = NULL, *mine = NULL;
    struct cg_manager *m2 = NULL;
    pid_t pid;
    int r;

    if (!dir || mkdir(dir, 0755) < 0) {
        ok(false, "mkdir %s", dir ?: "");
        return;
    }
    pid = fork();
    if (pid == 0) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        pause();
        _exit(0);
    }
    r = cg_attach_pid(dir, pid);
    ok(r == 0, "a process in '%s'", parent_busy);
    r = cg_manager_new(parent_busy, &m2);
    ok(r == -EBUSY, "cg_manager_new fails with -EBUSY (%d)", r);
    if (r == 0)
        cg_manager_free(TAKE_PTR(m2));
    kill(pid, SIGKILL);
    (void) waitpid(pid, NULL, 0);

    /* Now the test itself, as a supervisor started in its parent. */
    if (read_file("/proc/self/cgroup", &own, 4096) < 0) {
        ok(false, "read /proc/self/cgroup");
        return;
    }
    r = cg_attach_pid(dir, getpid());
    r = r < 0 ? r : cg_manager_new(parent_busy, &m2);
    ok(r == 0, "cg_manager_new with the supervisor in the parent (%s)",
       r < 0 ? strerror(-r) : "ok");
    (void) read_file("/proc/self/cgroup", &mine, 4096);
    {
        bool leaf = mine && strstr(mine, "/_supervisor\n");
        ok(leaf, "the supervisor moved to a leaf: %s", mine ? strtok(mine, "\n") : "?");
    }
    {
        _cleanup_free_ char *sc = NULL;
        (void) cg_read(dir, "cgroup.subtree_control", &sc);
        ok(sc && strstr(sc, "memory"), "memory enabled in the parent's subtree_control");
    }
    /* Back where the test started. */
    {
        char *p = strstr(own, "0::");
        _cleanup_free_ char *back = NULL;
        p = p ? p + 3 : (char *) "/";
        p[strcspn(p, "\n")] = 0;
        back = path_join(root, p);
        r = back ? cg_attach_pid(back, getpid()) : -ENOMEM;
        ok(r == 0, "moved back to '%s'", p);
    }
    if (m2)
        cg_manager_free(m2);
}

int main(void)
{
    struct cg_manager *m = NULL;
    struct cg_handle *h = NULL;
    int r;

    if (geteuid() != 0) {
        printf("1..0 # SKIP needs root\n");
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
    srand((unsigned) (time(NULL) ^ getpid()));
    snprintf(parent, sizeof(parent), "corral-cgtest-%d-%d", (int) getpid(), rand() % 100000);
    snprintf(parent_v1, sizeof(parent_v1), "%s-v1", parent);
    snprintf(parent_busy, sizeof(parent_busy), "%s-busy", parent);
    counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counter == MAP_FAILED) {
        printf("Bail out! mmap: %s\n", strerror(errno));
        return 1;
    }

    r = cg_manager_new(parent, &m);
    ok(r == 0, "cg_manager_new('%s') (%s)", parent, r < 0 ? strerror(-r) : "ok");
    if (r < 0)
        goto finish;
    printf("# %s; backend %s, controllers 0x%x\n", cg_manager_describe(m), m->ops->name,
           m->controllers);

    r = cg_create(m, "spin", &h);
    ok(r == 0, "cg_create('spin')");
    if (r == 0) {
        pid_t pid;
        track(h);
        test_limits(m, h);
        pid = spawn(h, spin);
        ok(pid > 0, "a spinning child, attached with cg_attach");
        if (pid > 0) {
            test_freezer(m, h);
            test_stats(h);
            (void) cg_kill_all(h);
            (void) wait_child(pid, 5000, NULL);
        }
        r = destroy(h);
        ok(r == 0, "cg_destroy('spin') (%s)", r < 0 ? strerror(-r) : "ok");
        release(h);
    }
    test_oom(m);
    test_kill(m, "tree", false);
    test_kill(m, "frozen-tree", true);

    if (!is_v2(m))
        test_v1_freezer();
    else
        skip("v1 freezer and freeze-kill loop", "not a v1 host");
    if (is_v2(m))
        test_v2_internal_process(m);
    else
        skip("v2 no-internal-process rule", "not a v2 host");

finish:
    for (size_t i = 0; i < MAX_HANDLES; i++)
        if (handles[i])
            release(handles[i]);
    if (m) {
        r = cg_manager_remove_parent(m);
        ok(r == 0, "cg_manager_remove_parent (%s)", r < 0 ? strerror(-r) : "ok");
        cg_manager_free(m);
    }
    reap_all();
    remove_everywhere(parent_busy);
    remove_everywhere(parent_v1);
    remove_everywhere(parent);
    ok(!left_anywhere(parent) && !left_anywhere(parent_v1) && !left_anywhere(parent_busy),
       "nothing left under any hierarchy");
    printf("1..%u\n", n_tests);
    return n_failed ? 1 : 0;
}
