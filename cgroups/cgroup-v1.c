/* SPDX-License-Identifier: MIT */
/* v1 controllers, one hierarchy each (hybrid hosts included). Where a
 * cgroup2 hierarchy is also mounted (hybrid), the child is born into its
 * cgroup there, and cgroup.kill is used from it. */
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

/* A new cpuset cgroup starts with empty cpus/mems and refuses tasks
 * (ENOSPC) until they are filled; copy them from the parent. */
static int cpuset_inherit(const char *dir, const char *parent)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        _cleanup_free_ char *cur = NULL, *up = NULL;
        int r = cg_read(dir, files[i], &cur);
        if (r < 0)
            return r;
        if (cur[strspn(cur, " \n")])
            continue;
        r = cg_read(parent, files[i], &up);
        if (r < 0)
            return r;
        r = cg_write(dir, files[i], up);
        if (r < 0)
            return r;
    }
    return 0;
}

static int mkdir_walk(const struct cg_hierarchy *hier, const char *path, char **ret_dir)
{
    _cleanup_free_ char *dir = strdup(hier->mountpoint);
    _cleanup_free_ char *p = strdup(path);
    bool cpuset = strstr(hier->controllers, "cpuset") != NULL;
    char *s = p, *comp;

    if (!dir || !p)
        return -ENOMEM;
    while ((comp = strsep(&s, "/"))) {
        char *next;
        if (!*comp)
            continue;
        next = path_join(dir, comp);
        if (!next)
            return -ENOMEM;
        if (mkdir(next, 0755) < 0 && errno != EEXIST) {
            int r = negative_errno();
            free(next);
            return r;
        }
        if (cpuset) {
            int r = cpuset_inherit(next, dir);
            if (r < 0) {
                free(next);
                return r;
            }
        }
        free(dir);
        dir = next;
    }
    *ret_dir = TAKE_PTR(dir);
    return 0;
}

/* Create the parent in every hierarchy, and see what its directories offer:
 * some files exist only below the root (blkio.bfq.weight). */
static int v1_setup(struct cg_manager *m)
{
    static const struct {
        const char *name;
        unsigned ctrl;
    } known[] = {
        {"cpu", CG_CTRL_CPU},         {"cpuacct", CG_CTRL_CPUACCT}, {"memory", CG_CTRL_MEMORY},
        {"pids", CG_CTRL_PIDS},       {"blkio", CG_CTRL_IO},        {"cpuset", CG_CTRL_CPUSET},
        {"freezer", CG_CTRL_FREEZER},
    };

    for (size_t i = 0; i < m->n_hier; i++) {
        _cleanup_free_ char *dir = NULL;
        int r = mkdir_walk(&m->hier[i], m->parent, &dir);
        if (r < 0)
            return r;
        for (size_t k = 0; k < ELEMENTSOF(known); k++)
            if (!m->hier[i].unified && cg_hier_has(&m->hier[i], known[k].name))
                m->controllers |= known[k].ctrl;
        if (cg_hier_has(&m->hier[i], "memory") &&
            cg_file_exists(dir, "memory.memsw.limit_in_bytes"))
            m->controllers |= CG_CTRL_MEMSW;
        if (cg_hier_has(&m->hier[i], "blkio")) {
            /* CFQ's blkio.weight went with the legacy block layer (5.0);
             * BFQ's own file is what remains. */
            if (cg_file_exists(dir, "blkio.weight"))
                m->v1_io_file = "blkio.weight";
            else if (cg_file_exists(dir, "blkio.bfq.weight"))
                m->v1_io_file = "blkio.bfq.weight";
            else
                m->controllers &= ~CG_CTRL_IO;
        }
        /* The cgroup2 freezer needs no controller: a hybrid host's unified
         * hierarchy is enough. */
        if (m->hier[i].unified && cg_file_exists(dir, "cgroup.freeze"))
            m->controllers |= CG_CTRL_FREEZER;
    }
    return 0;
}

static int v1_create(struct cg_manager *m, struct cg_handle *h)
{
    for (size_t i = 0; i < m->n_hier; i++) {
        int r = mkdir_walk(&m->hier[i], h->path, &h->dirs[i]);
        if (r < 0)
            return r;
    }
    if (m->unified >= 0) {
        h->unified_fd = open(h->dirs[m->unified], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (h->unified_fd < 0)
            return negative_errno();
    }
    return 0;
}

static int v1_attach(struct cg_handle *h, pid_t pid, bool born_unified)
{
    for (size_t i = 0; i < h->m->n_hier; i++) {
        int r;
        if (!h->dirs[i] || ((int) i == h->m->unified && born_unified))
            continue;
        r = cg_attach_pid(h->dirs[i], pid);
        if (r < 0)
            return r;
    }
    return 0;
}

static const char *first_v1_dir(struct cg_handle *h)
{
    for (size_t i = 0; i < h->m->n_hier; i++)
        if (h->dirs[i] && (int) i != h->m->unified)
            return h->dirs[i];
    return NULL;
}

/* The directory of the hierarchy that carries controller, or NULL. */
static const char *ctrl_dir(const struct cg_handle *h, const char *controller)
{
    for (size_t i = 0; i < h->m->n_hier; i++)
        if (h->dirs[i] && !h->m->hier[i].unified && cg_hier_has(&h->m->hier[i], controller))
            return h->dirs[i];
    return NULL;
}

static const char *unified_dir(const struct cg_handle *h)
{
    return h->m->unified >= 0 ? h->dirs[h->m->unified] : NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    (void) nanosleep(&ts, NULL);
}

static int v1_freeze(struct cg_handle *h, bool freeze)
{
    const char *dir = unified_dir(h);

    if (dir)
        return cg_unified_freeze(dir, freeze);
    dir = ctrl_dir(h, "freezer");
    if (!dir)
        return -EOPNOTSUPP;
    return cg_write(dir, "freezer.state", freeze ? "FROZEN" : "THAWED");
}

static int v1_freezer_state(struct cg_handle *h)
{
    _cleanup_free_ char *state = NULL;
    const char *dir = unified_dir(h);
    int r;

    if (dir)
        return cg_unified_freezer_state(dir);
    dir = ctrl_dir(h, "freezer");
    if (!dir)
        return -EOPNOTSUPP;
    r = cg_read(dir, "freezer.state", &state);
    if (r < 0)
        return r;
    if (strncmp(state, "FROZEN", 6) == 0)
        return CG_FROZEN;
    if (strncmp(state, "FREEZING", 8) == 0)
        return CG_FREEZING;
    return CG_THAWED;
}

/* Without cgroup.kill, a plain signal loop can lose to a process that
 * forks faster than cgroup.procs is re-read. Frozen tasks cannot fork:
 * freeze, SIGKILL every task (delivered on thaw), thaw, until empty. The
 * final state is thawed even if the cgroup was paused before. */
static int freezer_kill(const char *freezer, const char *procs)
{
    for (int round = 0; round < 100; round++) {
        size_t n = 0;
        int r;

        if (!cg_dir_populated(procs))
            return 0;
        r = cg_write(freezer, "freezer.state", "FROZEN");
        if (r < 0)
            return r;
        /* Bounded: a task stuck in the kernel (D state) can hold FREEZING
         * indefinitely; kill what there is then. */
        for (int i = 0; i < 200; i++) {
            _cleanup_free_ char *state = NULL;
            if (cg_read(freezer, "freezer.state", &state) < 0 || strncmp(state, "FROZEN", 6) == 0)
                break;
            sleep_ms(1);
        }
        r = cg_procs_kill(procs, SIGKILL, &n);
        if (r < 0) {
            (void) cg_write(freezer, "freezer.state", "THAWED");
            return r;
        }
        r = cg_write(freezer, "freezer.state", "THAWED");
        if (r < 0)
            return r;
        /* Give the killed tasks a moment to leave. */
        for (int i = 0; i < 50 && cg_dir_populated(procs); i++)
            sleep_ms(1);
    }
    return cg_dir_populated(procs) ? -EBUSY : 0;
}

static int v1_kill_all(struct cg_handle *h)
{
    const char *dir, *freezer;
    size_t n;
    int r;

    if (unified_dir(h))
        return cg_unified_kill(unified_dir(h));
    dir = first_v1_dir(h);
    if (!dir)
        return 0;
    freezer = ctrl_dir(h, "freezer");
    if (freezer)
        return freezer_kill(freezer, freezer);
    do {
        r = cg_procs_kill(dir, SIGKILL, &n);
    } while (r == 0 && n > 0 && cg_dir_populated(dir));
    return r;
}

static int v1_set_limits(struct cg_handle *h, const struct cg_limits *l, const char **ret_file)
{
    const char *dir;
    int r;

    dir = ctrl_dir(h, "memory");
    if (l->memory) {
        r = cg_set_u64(dir, "memory.limit_in_bytes", l->memory, ret_file);
        /* memsw must stay >= memory: raising memory above an existing
         * (reused cgroup's) memsw needs memsw raised first. */
        if (r == -EINVAL && l->memory_swap) {
            r = cg_set_u64(dir, "memory.memsw.limit_in_bytes", l->memory_swap, ret_file);
            if (r >= 0)
                r = cg_set_u64(dir, "memory.limit_in_bytes", l->memory, ret_file);
        }
        if (r < 0)
            return r;
    }
    if (l->memory_swap &&
        (r = cg_set_u64(dir, "memory.memsw.limit_in_bytes", l->memory_swap, ret_file)) < 0)
        return r;

    dir = ctrl_dir(h, "cpu");
    if (l->cpu_quota_us || l->cpu_period_us) {
        uint64_t period = l->cpu_period_us ? l->cpu_period_us : 100000;
        if ((r = cg_set_u64(dir, "cpu.cfs_period_us", period, ret_file)) < 0)
            return r;
        if (l->cpu_quota_us &&
            (r = cg_set_u64(dir, "cpu.cfs_quota_us", l->cpu_quota_us, ret_file)) < 0)
            return r;
    }
    if (l->cpu_weight) {
        /* systemd's and crun's mapping: 1..10000 onto 2..262144, with the
         * v2 default 100 close to v1's default 1024. */
        uint64_t shares = 2 + ((l->cpu_weight - 1) * 262142) / 9999;
        if ((r = cg_set_u64(dir, "cpu.shares", shares, ret_file)) < 0)
            return r;
    }

    if (l->pids && (r = cg_set_u64(ctrl_dir(h, "pids"), "pids.max", l->pids, ret_file)) < 0)
        return r;

    if (l->io_weight) {
        /* 1..10000 linearly onto blkio's 10..1000. */
        uint64_t w = 10 + ((l->io_weight - 1) * 990) / 9999;
        if ((r = cg_set_u64(ctrl_dir(h, "blkio"), h->m->v1_io_file, w, ret_file)) < 0)
            return r;
    }

    dir = ctrl_dir(h, "cpuset");
    if (l->cpuset_cpus && (r = cg_set(dir, "cpuset.cpus", l->cpuset_cpus, ret_file)) < 0)
        return r;
    if (l->cpuset_mems && (r = cg_set(dir, "cpuset.mems", l->cpuset_mems, ret_file)) < 0)
        return r;
    return 0;
}

static int v1_stats(struct cg_handle *h, struct cg_stats *ret)
{
    const char *mem = ctrl_dir(h, "memory");
    int r = 0;

    r |= cg_stat_u64(mem, "memory.usage_in_bytes", NULL, &ret->memory_current);
    r |= cg_stat_u64(mem, "memory.max_usage_in_bytes", NULL, &ret->memory_peak);
    r |= cg_stat_u64(ctrl_dir(h, "cpuacct"), "cpuacct.usage", NULL, &ret->cpu_usage_ns);
    r |= cg_stat_u64(ctrl_dir(h, "pids"), "pids.current", NULL, &ret->pids_current);
    r |= cg_stat_u64(mem, "memory.oom_control", "oom_kill", &ret->oom_kills);
    return r ? -ENOMEM : 0;
}

static bool v1_populated(struct cg_handle *h)
{
    for (size_t i = 0; i < h->m->n_hier; i++)
        if (h->dirs[i] && cg_dir_populated(h->dirs[i]))
            return true;
    return false;
}

static int v1_destroy(struct cg_handle *h)
{
    int ret = 0;

    for (size_t i = 0; i < h->m->n_hier; i++) {
        int r;
        if (!h->dirs[i])
            continue;
        r = cg_rmdir(h->dirs[i]);
        if (r < 0) {
            if (ret == 0)
                ret = r;
            continue;
        }
        free(h->dirs[i]);
        h->dirs[i] = NULL;
    }
    return ret;
}

const struct cg_ops cg_v1_ops = {
    .name = "v1",
    .setup = v1_setup,
    .create = v1_create,
    .attach = v1_attach,
    .kill_all = v1_kill_all,
    .populated = v1_populated,
    .destroy = v1_destroy,
    .set_limits = v1_set_limits,
    .freeze = v1_freeze,
    .freezer_state = v1_freezer_state,
    .stats = v1_stats,
};
