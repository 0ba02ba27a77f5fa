/* SPDX-License-Identifier: MIT */
/* v1 controllers, one hierarchy each (hybrid hosts included). Where a
 * cgroup2 hierarchy is also mounted (hybrid), the child is born into its
 * cgroup there, and cgroup.kill is used from it. */
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

static int v1_kill_all(struct cg_handle *h)
{
    const char *dir;
    size_t n;
    int r;

    if (h->m->unified >= 0 && h->dirs[h->m->unified])
        return cg_unified_kill(h->dirs[h->m->unified]);
    dir = first_v1_dir(h);
    if (!dir)
        return 0;
    do {
        r = cg_procs_kill(dir, SIGKILL, &n);
    } while (r == 0 && n > 0 && cg_dir_populated(dir));
    return r;
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
    .create = v1_create,
    .attach = v1_attach,
    .kill_all = v1_kill_all,
    .populated = v1_populated,
    .destroy = v1_destroy,
};
