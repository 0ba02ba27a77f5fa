/* SPDX-License-Identifier: MIT */
/* Host layout detection and the parts both backends share. */
#include "cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

/* dir is NULL where a handle's directory is gone (cg_destroy) or was
 * never made: like a missing file. */
int cg_write(const char *dir, const char *file, const char *value)
{
    _cleanup_free_ char *p = NULL;
    _cleanup_close_ int fd = -EBADF;
    size_t len = strlen(value);

    if (!dir)
        return -ENOENT;
    p = path_join(dir, file);
    if (!p)
        return -ENOMEM;
    fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return negative_errno();
    if (write(fd, value, len) != (ssize_t) len)
        return negative_errno();
    return 0;
}

int cg_read(const char *dir, const char *file, char **ret)
{
    _cleanup_free_ char *p = NULL;

    if (!dir)
        return -ENOENT;
    p = path_join(dir, file);
    if (!p)
        return -ENOMEM;
    return read_file(p, ret, 1 << 20);
}

int cg_mkdir_path(const char *mountpoint, const char *path, char **ret_dir)
{
    _cleanup_free_ char *dir = path_join(mountpoint, path);
    int r;

    if (!dir)
        return -ENOMEM;
    r = mkdir_p(dir, 0755);
    if (r < 0)
        return r;
    *ret_dir = TAKE_PTR(dir);
    return 0;
}

/* Signal every pid listed in cgroup.procs once; returns how many there were. */
int cg_procs_kill(const char *dir, int sig, size_t *ret_count)
{
    _cleanup_free_ char *procs = NULL;
    size_t n = 0;
    int r = cg_read(dir, "cgroup.procs", &procs);

    if (r < 0)
        return r;
    for (char *s = procs, *line; (line = strsep(&s, "\n"));) {
        int pid = atoi(line);
        if (pid <= 0)
            continue;
        n++;
        (void) kill(pid, sig);
    }
    if (ret_count)
        *ret_count = n;
    return 0;
}

bool cg_dir_populated(const char *dir)
{
    _cleanup_free_ char *procs = NULL;

    if (cg_read(dir, "cgroup.procs", &procs) < 0)
        return false;
    return procs[strspn(procs, " \n")] != 0;
}

int cg_attach_pid(const char *dir, pid_t pid)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%d", (int) pid);
    return cg_write(dir, "cgroup.procs", buf);
}

int cg_rmdir(const char *dir)
{
    if (rmdir(dir) < 0 && errno != ENOENT)
        return negative_errno();
    return 0;
}

bool cg_hier_has(const struct cg_hierarchy *hier, const char *controller)
{
    size_t n = strlen(controller);

    for (const char *c = hier->controllers; *c;) {
        size_t len = strcspn(c, ",");
        if (len == n && strncmp(c, controller, n) == 0)
            return true;
        c += len;
        c += *c == ',';
    }
    return false;
}

bool cg_file_exists(const char *dir, const char *file)
{
    _cleanup_free_ char *p = dir ? path_join(dir, file) : NULL;

    return p && access(p, F_OK) == 0;
}

int cg_write_u64(const char *dir, const char *file, uint64_t value)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRIu64, value);
    return cg_write(dir, file, buf);
}

int cg_set(const char *dir, const char *file, const char *value, const char **ret_file)
{
    int r = cg_write(dir, file, value);

    if (r < 0)
        *ret_file = file;
    return r;
}

int cg_set_u64(const char *dir, const char *file, uint64_t value, const char **ret_file)
{
    int r = cg_write_u64(dir, file, value);

    if (r < 0)
        *ret_file = file;
    return r;
}

static int parse_value(const char *s, uint64_t *ret)
{
    char *end;

    s += strspn(s, " \t");
    if (strncmp(s, "max", 3) == 0 && strchr(" \t\n", s[3])) {
        *ret = UINT64_MAX;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    *ret = strtoull(s, &end, 10);
    if (errno != 0)
        return -errno;
    if (*end && !strchr(" \t\n", *end))
        return -EINVAL;
    return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *ret)
{
    _cleanup_free_ char *content = NULL;
    int r = cg_read(dir, file, &content);

    if (r < 0)
        return r;
    return parse_value(content, ret);
}

int cg_read_key_u64(const char *dir, const char *file, const char *key, uint64_t *ret)
{
    _cleanup_free_ char *content = NULL;
    size_t n = strlen(key);
    int r = cg_read(dir, file, &content);

    if (r < 0)
        return r;
    for (char *s = content, *line; (line = strsep(&s, "\n"));)
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            return parse_value(line + n + 1, ret);
    return -ENOENT;
}

int cg_stat_u64(const char *dir, const char *file, const char *key, uint64_t *ret)
{
    int r;

    *ret = 0;
    if (!dir)
        return 0;
    r = key ? cg_read_key_u64(dir, file, key, ret) : cg_read_u64(dir, file, ret);
    if (r < 0)
        *ret = 0;
    return r == -ENOMEM ? r : 0;
}

static int add_hierarchy(struct cg_manager *m, const char *mountpoint, const char *controllers,
                         bool unified)
{
    for (size_t i = 0; i < m->n_hier; i++)
        if (m->hier[i].unified == unified && streq(m->hier[i].controllers, controllers))
            return 0; /* the same hierarchy mounted twice */
    if (m->n_hier >= CG_MAX_HIERARCHIES)
        return 0;
    m->hier[m->n_hier].mountpoint = strdup(mountpoint);
    m->hier[m->n_hier].controllers = strdup(controllers);
    if (!m->hier[m->n_hier].mountpoint || !m->hier[m->n_hier].controllers)
        return -ENOMEM;
    m->hier[m->n_hier].unified = unified;
    if (unified)
        m->unified = (int) m->n_hier;
    m->n_hier++;
    return 0;
}

/* v1 super options are "rw,memory" or "rw,cpu,cpuacct"; keep the
 * controller names. Named hierarchies (name=systemd) have no controllers
 * and are left to their owners. */
static void v1_controllers(const char *superopts, char *buf, size_t len)
{
    _cleanup_free_ char *opts = strdup(superopts);
    char *s = opts, *o;

    buf[0] = 0;
    if (!opts)
        return;
    while ((o = strsep(&s, ","))) {
        if (streq(o, "rw") || streq(o, "ro") || strchr(o, '=') || streq(o, "clone_children") ||
            streq(o, "noprefix") || streq(o, "xattr") || streq(o, "cpuset_v2_mode"))
            continue;
        if (buf[0])
            strncat(buf, ",", len - strlen(buf) - 1);
        strncat(buf, o, len - strlen(buf) - 1);
    }
}

static int detect(struct cg_manager *m)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    bool pure_v2 = false;

    if (!f)
        return negative_errno();
    while (getline(&line, &cap, f) > 0) {
        char root[4096], mnt[4096], fstype[64], source[256], superopts[1024];
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        if (sscanf(line, "%*d %*d %*s %4095s %4095s", root, mnt) != 2)
            continue;
        if (sscanf(dash + 3, "%63s %255s %1023s", fstype, source, superopts) != 3)
            continue;
        if (!streq(root, "/"))
            continue;
        if (streq(fstype, "cgroup2")) {
            int r = add_hierarchy(m, mnt, "", true);
            if (r < 0)
                return r;
            if (streq(mnt, "/sys/fs/cgroup"))
                pure_v2 = true;
        } else if (streq(fstype, "cgroup")) {
            char ctrls[256];
            v1_controllers(superopts, ctrls, sizeof(ctrls));
            if (!ctrls[0])
                continue;
            int r = add_hierarchy(m, mnt, ctrls, false);
            if (r < 0)
                return r;
        }
    }

    if (pure_v2 || (m->unified >= 0 && m->n_hier == 1)) {
        m->ops = &cg_v2_ops;
        snprintf(m->describe, sizeof(m->describe), "cgroup v2 (unified) at %s",
                 m->hier[m->unified].mountpoint);
        return 0;
    }
    if (m->n_hier == 0)
        return -ENOMEDIUM;

    m->ops = &cg_v1_ops;
    size_t off = (size_t) snprintf(m->describe, sizeof(m->describe), "cgroup v1 controllers:");
    for (size_t i = 0; i < m->n_hier && off < sizeof(m->describe); i++)
        if (!m->hier[i].unified)
            off += (size_t) snprintf(m->describe + off, sizeof(m->describe) - off, " %s",
                                     m->hier[i].controllers);
    if (m->unified >= 0 && off < sizeof(m->describe))
        snprintf(m->describe + off, sizeof(m->describe) - off,
                 "; unified hierarchy at %s used for kill and freeze",
                 m->hier[m->unified].mountpoint);
    return 0;
}

/* Say at start-up what limits this host can enforce, and what it lacks. */
static void describe_controllers(struct cg_manager *m)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {CG_CTRL_CPU, "cpu"},         {CG_CTRL_MEMORY, "memory"}, {CG_CTRL_MEMSW, "swap"},
        {CG_CTRL_PIDS, "pids"},       {CG_CTRL_IO, "io"},         {CG_CTRL_CPUSET, "cpuset"},
        {CG_CTRL_FREEZER, "freezer"},
    };
    size_t off = strlen(m->describe);

    for (int missing = 0; missing < 2; missing++) {
        bool first = true;
        for (size_t i = 0; i < ELEMENTSOF(names) && off < sizeof(m->describe); i++) {
            bool have = (m->controllers & names[i].bit) != 0;
            if (have == (bool) missing)
                continue;
            off += (size_t) snprintf(m->describe + off, sizeof(m->describe) - off, "%s %s",
                                     first ? (missing ? "; missing:" : "; usable:") : "",
                                     names[i].name);
            first = false;
        }
    }
}

int cg_manager_new(const char *parent, struct cg_manager **ret)
{
    struct cg_manager *m = calloc(1, sizeof(*m));
    int r;

    if (!m)
        return -ENOMEM;
    m->unified = -1;
    m->parent = strdup(parent);
    if (!m->parent) {
        cg_manager_free(m);
        return -ENOMEM;
    }
    r = detect(m);
    if (r >= 0)
        r = m->ops->setup(m);
    if (r < 0) {
        cg_manager_free(m);
        return r;
    }
    describe_controllers(m);
    *ret = m;
    return 0;
}

void cg_manager_free(struct cg_manager *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_hier; i++) {
        free(m->hier[i].mountpoint);
        free(m->hier[i].controllers);
    }
    free(m->parent);
    free(m);
}

const char *cg_manager_describe(const struct cg_manager *m)
{
    return m->describe;
}

int cg_manager_sweep(struct cg_manager *m)
{
    int removed = 0;

    for (size_t i = 0; i < m->n_hier; i++) {
        _cleanup_free_ char *dir = path_join(m->hier[i].mountpoint, m->parent);
        DIR *d;
        struct dirent *de;

        if (!dir)
            return -ENOMEM;
        d = opendir(dir);
        if (!d)
            continue;
        while ((de = readdir(d))) {
            _cleanup_free_ char *sub = NULL;
            if (de->d_type != DT_DIR || de->d_name[0] == '.')
                continue;
            sub = path_join(dir, de->d_name);
            if (sub && !cg_dir_populated(sub) && rmdir(sub) == 0)
                removed++;
        }
        closedir(d);
    }
    return removed;
}

int cg_manager_remove_parent(struct cg_manager *m)
{
    int ret = 0;

    for (size_t i = 0; i < m->n_hier; i++) {
        _cleanup_free_ char *dir = path_join(m->hier[i].mountpoint, m->parent);
        int r;
        if (!dir)
            return -ENOMEM;
        /* Remove the parent and any directories above it we may have made,
         * stopping at the first one that is still in use. */
        r = cg_rmdir(dir);
        if (r < 0 && ret == 0 && r != -EBUSY && r != -ENOTEMPTY)
            ret = r;
    }
    return ret;
}

int cg_create(struct cg_manager *m, const char *name, struct cg_handle **ret)
{
    struct cg_handle *h = calloc(1, sizeof(*h));
    int r;

    if (!h)
        return -ENOMEM;
    h->m = m;
    h->unified_fd = -EBADF;
    h->path = path_join(m->parent, name);
    if (!h->path) {
        free(h);
        return -ENOMEM;
    }
    r = m->ops->create(m, h);
    /* Both backends: cgroup2's freezer needs no controller, so its
     * cgroup.events is the watch path wherever a unified directory exists. */
    if (r >= 0 && m->unified >= 0 && h->dirs[m->unified]) {
        h->events_path = path_join(h->dirs[m->unified], "cgroup.events");
        if (!h->events_path)
            r = -ENOMEM;
    }
    if (r < 0) {
        (void) cg_destroy(h);
        cg_handle_free(h);
        return r;
    }
    *ret = h;
    return 0;
}

int cg_clone_fd(const struct cg_handle *h)
{
    return h->unified_fd;
}

int cg_attach(struct cg_handle *h, pid_t pid, bool born_unified)
{
    return h->m->ops->attach(h, pid, born_unified);
}

int cg_kill_all(struct cg_handle *h)
{
    return h->m->ops->kill_all(h);
}

bool cg_populated(struct cg_handle *h)
{
    return h->m->ops->populated(h);
}

int cg_destroy(struct cg_handle *h)
{
    return h->m->ops->destroy(h);
}

const char *cg_path(const struct cg_handle *h)
{
    return h->path;
}

void cg_handle_free(struct cg_handle *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < CG_MAX_HIERARCHIES; i++)
        free(h->dirs[i]);
    if (h->unified_fd >= 0)
        close(h->unified_fd);
    free(h->events_path);
    free(h->path);
    free(h);
}

const char *cg_limits_unsupported(const struct cg_manager *m, const struct cg_limits *l)
{
    static const struct {
        unsigned ctrl;
        const char *name;
    } needs[] = {
        {CG_CTRL_MEMORY, "memory"}, {CG_CTRL_MEMSW, "memory swap accounting"},
        {CG_CTRL_CPU, "cpu"},       {CG_CTRL_PIDS, "pids"},
        {CG_CTRL_IO, "io"},         {CG_CTRL_CPUSET, "cpuset"},
    };
    bool set[] = {
        l->memory || l->memory_swap,
        l->memory_swap,
        l->cpu_quota_us || l->cpu_period_us || l->cpu_weight,
        l->pids,
        l->io_weight,
        l->cpuset_cpus || l->cpuset_mems,
    };

    for (size_t i = 0; i < ELEMENTSOF(needs); i++)
        if (set[i] && !(m->controllers & needs[i].ctrl))
            return needs[i].name;
    return NULL;
}

int cg_set_limits(struct cg_handle *h, const struct cg_limits *l, const char **ret_file)
{
    const char *file = NULL, *missing;
    int r;

    /* memory_swap is docker's memory + swap: it needs the memory limit it
     * adds to, and cannot be below it. */
    if ((l->memory_swap && (!l->memory || l->memory_swap < l->memory)) ||
        (l->cpu_weight && l->cpu_weight > 10000) || (l->io_weight && l->io_weight > 10000) ||
        (l->cpu_quota_us && l->cpu_quota_us < 1000)) {
        if (ret_file)
            *ret_file = NULL;
        return -EINVAL;
    }
    missing = cg_limits_unsupported(h->m, l);
    if (missing) {
        if (ret_file)
            *ret_file = missing;
        return -EOPNOTSUPP;
    }
    r = h->m->ops->set_limits(h, l, &file);
    if (ret_file)
        *ret_file = r < 0 ? file : NULL;
    return r;
}

int cg_freeze(struct cg_handle *h, bool freeze)
{
    if (!(h->m->controllers & CG_CTRL_FREEZER))
        return -EOPNOTSUPP;
    return h->m->ops->freeze(h, freeze);
}

int cg_freezer_state(struct cg_handle *h)
{
    if (!(h->m->controllers & CG_CTRL_FREEZER))
        return -EOPNOTSUPP;
    return h->m->ops->freezer_state(h);
}

const char *cg_freezer_watch_path(const struct cg_handle *h)
{
    return h->events_path;
}

int cg_stats(struct cg_handle *h, struct cg_stats *ret)
{
    *ret = (struct cg_stats){0};
    return h->m->ops->stats(h, ret);
}
