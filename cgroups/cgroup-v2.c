/* SPDX-License-Identifier: MIT */
/* Pure cgroup v2: one hierarchy, children born into their cgroup through
 * clone3(CLONE_INTO_CGROUP), killed through cgroup.kill. */
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

/* What containers can be limited by, in the order they are enabled:
 * the domain controllers first (see enable_controllers). */
static const struct {
    const char *name;
    unsigned ctrl;
} wanted[] = {
    {"memory", CG_CTRL_MEMORY}, {"io", CG_CTRL_IO},         {"cpu", CG_CTRL_CPU},
    {"pids", CG_CTRL_PIDS},     {"cpuset", CG_CTRL_CPUSET},
};

static bool word_in(const char *list, const char *word)
{
    struct cg_hierarchy fake = {0};
    _cleanup_free_ char *copy = strdup(list);

    /* cgroup.controllers is space-separated; cg_hier_has wants commas. */
    if (!copy)
        return false;
    for (char *c = copy; *c; c++)
        if (*c == ' ' || *c == '\n')
            *c = ',';
    fake.controllers = copy;
    return cg_hier_has(&fake, word);
}

/* Is this process in the cgroup at path (relative to the root)? */
static bool self_in(const char *path)
{
    _cleanup_free_ char *content = NULL;
    char *line;

    if (read_file("/proc/self/cgroup", &content, 1 << 16) < 0)
        return false;
    line = strstr(content, "0::");
    if (line != content && (!line || line[-1] != '\n'))
        return false;
    line += 3;
    line[strcspn(line, "\n")] = 0;
    line += strspn(line, "/");
    return streq(line, path);
}

/* The no-internal-process rule: a cgroup with processes cannot hand
 * controllers to its children. If the supervisor itself sits in the parent
 * (a service manager put it there), it moves into a leaf of its own; the
 * name starts with '_', which no container name can. */
static int evacuate_self(const char *dir)
{
    _cleanup_free_ char *leaf = path_join(dir, "_supervisor");

    if (!leaf)
        return -ENOMEM;
    if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
        return negative_errno();
    return cg_attach_pid(leaf, getpid());
}

/* Enable every wanted controller the level offers in dir's
 * subtree_control, one at a time so that one the kernel refuses (a
 * threaded subtree, a realtime task for cpu) does not cost the others.
 * Below the root, a level with processes is refused up front: the kernel
 * would accept the threaded controllers (cpu, pids, cpuset), which makes
 * the level a thread root, and then refuse memory and io with EOPNOTSUPP,
 * an error that would not say what is wrong. */
static int enable_controllers(const char *dir, const char *offered, bool root)
{
    if (!root && cg_dir_populated(dir))
        return -EBUSY;
    for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
        char buf[16];
        int r;
        if (!word_in(offered, wanted[i].name))
            continue;
        snprintf(buf, sizeof(buf), "+%s", wanted[i].name);
        r = cg_write(dir, "cgroup.subtree_control", buf);
        if (r == -EBUSY || r == -ENOMEM)
            return r;
    }
    return 0;
}

/* Create the parent from the root down, enabling the controllers in every
 * level's subtree_control (the parent's included), so that the containers'
 * cgroups get cpu.max, memory.max, ... A level that holds processes makes
 * this fail with EBUSY: move them out (or choose another cgroup_parent). */
static int v2_setup(struct cg_manager *m)
{
    const char *root = m->hier[m->unified].mountpoint;
    _cleanup_free_ char *dir = strdup(root), *path = strdup(m->parent);
    _cleanup_free_ char *offered = NULL, *enabled = NULL;
    char *s = path, *comp;
    int r;

    if (!dir || !path)
        return -ENOMEM;
    r = cg_read(root, "cgroup.controllers", &offered);
    if (r < 0)
        return r;
    while ((comp = strsep(&s, "/"))) {
        char *next;
        if (!*comp)
            continue;
        r = enable_controllers(dir, offered, streq(dir, root));
        if (r < 0)
            return r;
        next = path_join(dir, comp);
        if (!next)
            return -ENOMEM;
        free(dir);
        dir = next;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return negative_errno();
    }
    if (self_in(m->parent)) {
        r = evacuate_self(dir);
        if (r < 0)
            return r;
    }
    free(offered);
    offered = NULL;
    r = cg_read(dir, "cgroup.controllers", &offered);
    if (r < 0)
        return r;
    r = enable_controllers(dir, offered, false);
    if (r < 0)
        return r;

    /* What the containers get is what the parent hands down. */
    r = cg_read(dir, "cgroup.subtree_control", &enabled);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(wanted); i++)
        if (word_in(enabled, wanted[i].name))
            m->controllers |= wanted[i].ctrl;
    /* The parent is itself a child, so it shows the files a container's
     * cgroup will have: swap accounting can be off (swapaccount=0), and
     * io.weight needs the iocost controller. */
    if (!cg_file_exists(dir, "memory.swap.max"))
        m->controllers &= ~CG_CTRL_MEMSW;
    else if (m->controllers & CG_CTRL_MEMORY)
        m->controllers |= CG_CTRL_MEMSW;
    if (!cg_file_exists(dir, "io.weight"))
        m->controllers &= ~CG_CTRL_IO;
    if (cg_file_exists(dir, "cgroup.freeze"))
        m->controllers |= CG_CTRL_FREEZER;
    return 0;
}

static int v2_create(struct cg_manager *m, struct cg_handle *h)
{
    int u = m->unified;
    int r = cg_mkdir_path(m->hier[u].mountpoint, h->path, &h->dirs[u]);

    if (r < 0)
        return r;
    h->unified_fd = open(h->dirs[u], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->unified_fd < 0)
        return negative_errno();
    return 0;
}

static int v2_attach(struct cg_handle *h, pid_t pid, bool born_unified)
{
    if (born_unified)
        return 0;
    return cg_attach_pid(h->dirs[h->m->unified], pid);
}

/* cgroup.kill (5.14+) kills the whole subtree atomically, so a forking
 * process cannot outrun it. Older kernels get a signal loop. */
int cg_unified_kill(const char *dir)
{
    int r = cg_write(dir, "cgroup.kill", "1");
    size_t n;

    if (r != -ENOENT)
        return r;
    do {
        r = cg_procs_kill(dir, SIGKILL, &n);
    } while (r == 0 && n > 0 && cg_dir_populated(dir));
    return r;
}

int cg_unified_freeze(const char *dir, bool freeze)
{
    return cg_write(dir, "cgroup.freeze", freeze ? "1" : "0");
}

int cg_unified_freezer_state(const char *dir)
{
    _cleanup_free_ char *events = NULL, *want = NULL;
    int r = cg_read(dir, "cgroup.events", &events);

    if (r < 0)
        return r;
    if (strstr(events, "frozen 1"))
        return CG_FROZEN;
    r = cg_read(dir, "cgroup.freeze", &want);
    if (r < 0)
        return r;
    return want[0] == '1' ? CG_FREEZING : CG_THAWED;
}

static int v2_set_limits(struct cg_handle *h, const struct cg_limits *l, const char **ret_file)
{
    const char *dir = h->dirs[h->m->unified];
    char buf[64];
    int r;

    if (l->memory) {
        if ((r = cg_set_u64(dir, "memory.max", l->memory, ret_file)) < 0)
            return r;
    }
    if (l->memory_swap) {
        /* v2 limits swap alone; docker's figure is memory + swap. */
        if ((r = cg_set_u64(dir, "memory.swap.max", l->memory_swap - l->memory, ret_file)) < 0)
            return r;
    }
    if (l->cpu_quota_us || l->cpu_period_us) {
        uint64_t period = l->cpu_period_us ? l->cpu_period_us : 100000;
        if (l->cpu_quota_us)
            snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64, l->cpu_quota_us, period);
        else
            snprintf(buf, sizeof(buf), "max %" PRIu64, period);
        if ((r = cg_set(dir, "cpu.max", buf, ret_file)) < 0)
            return r;
    }
    if (l->cpu_weight) {
        if ((r = cg_set_u64(dir, "cpu.weight", l->cpu_weight, ret_file)) < 0)
            return r;
    }
    if (l->pids) {
        if ((r = cg_set_u64(dir, "pids.max", l->pids, ret_file)) < 0)
            return r;
    }
    if (l->io_weight) {
        snprintf(buf, sizeof(buf), "default %" PRIu64, l->io_weight);
        if ((r = cg_set(dir, "io.weight", buf, ret_file)) < 0)
            return r;
    }
    if (l->cpuset_cpus && (r = cg_set(dir, "cpuset.cpus", l->cpuset_cpus, ret_file)) < 0)
        return r;
    if (l->cpuset_mems && (r = cg_set(dir, "cpuset.mems", l->cpuset_mems, ret_file)) < 0)
        return r;
    return 0;
}

static int v2_freeze(struct cg_handle *h, bool freeze)
{
    return cg_unified_freeze(h->dirs[h->m->unified], freeze);
}

static int v2_freezer_state(struct cg_handle *h)
{
    return cg_unified_freezer_state(h->dirs[h->m->unified]);
}

static int v2_stats(struct cg_handle *h, struct cg_stats *ret)
{
    const char *dir = h->dirs[h->m->unified];
    uint64_t usec;
    int r = 0;

    r |= cg_stat_u64(dir, "memory.current", NULL, &ret->memory_current);
    r |= cg_stat_u64(dir, "memory.peak", NULL, &ret->memory_peak);
    r |= cg_stat_u64(dir, "cpu.stat", "usage_usec", &usec);
    r |= cg_stat_u64(dir, "pids.current", NULL, &ret->pids_current);
    r |= cg_stat_u64(dir, "memory.events", "oom_kill", &ret->oom_kills);
    ret->cpu_usage_ns = usec * 1000;
    return r ? -ENOMEM : 0;
}

static int v2_kill_all(struct cg_handle *h)
{
    if (!h->dirs[h->m->unified])
        return 0; /* destroyed */
    return cg_unified_kill(h->dirs[h->m->unified]);
}

static bool v2_populated(struct cg_handle *h)
{
    _cleanup_free_ char *events = NULL;
    const char *dir = h->dirs[h->m->unified];

    if (!dir)
        return false;
    if (cg_read(dir, "cgroup.events", &events) < 0)
        return cg_dir_populated(dir);
    return strstr(events, "populated 1") != NULL;
}

static int v2_destroy(struct cg_handle *h)
{
    int u = h->m->unified;
    int r;

    if (!h->dirs[u])
        return 0;
    r = cg_rmdir(h->dirs[u]);
    if (r < 0)
        return r;
    free(h->dirs[u]);
    h->dirs[u] = NULL;
    return 0;
}

const struct cg_ops cg_v2_ops = {
    .name = "v2",
    .setup = v2_setup,
    .create = v2_create,
    .attach = v2_attach,
    .kill_all = v2_kill_all,
    .populated = v2_populated,
    .destroy = v2_destroy,
    .set_limits = v2_set_limits,
    .freeze = v2_freeze,
    .freezer_state = v2_freezer_state,
    .stats = v2_stats,
};
