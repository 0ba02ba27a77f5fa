/* SPDX-License-Identifier: MIT */
/* Pure cgroup v2: one hierarchy, children born into their cgroup through
 * clone3(CLONE_INTO_CGROUP), killed through cgroup.kill. */
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

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

static int v2_kill_all(struct cg_handle *h)
{
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
    .create = v2_create,
    .attach = v2_attach,
    .kill_all = v2_kill_all,
    .populated = v2_populated,
    .destroy = v2_destroy,
};
