/* SPDX-License-Identifier: MIT */
#pragma once

#include "cgroup.h"

#include <stddef.h>

#define CG_MAX_HIERARCHIES 16

/* A mounted hierarchy: a v1 controller mount (possibly co-mounted
 * controllers) or the cgroup2 mount. */
struct cg_hierarchy {
    char *mountpoint;
    char *controllers; /* "memory", "cpu,cpuacct", "" for cgroup2 */
    bool unified;
};

struct cg_ops {
    const char *name;
    int (*create)(struct cg_manager *m, struct cg_handle *h);
    int (*attach)(struct cg_handle *h, pid_t pid, bool born_unified);
    int (*kill_all)(struct cg_handle *h);
    bool (*populated)(struct cg_handle *h);
    int (*destroy)(struct cg_handle *h);
};

struct cg_manager {
    const struct cg_ops *ops;
    char *parent;
    struct cg_hierarchy hier[CG_MAX_HIERARCHIES];
    size_t n_hier;
    int unified; /* index of the cgroup2 hierarchy in hier[], or -1 */
    char describe[512];
};

struct cg_handle {
    struct cg_manager *m;
    char *path; /* parent/name */
    /* one directory per hierarchy, NULL where not created */
    char *dirs[CG_MAX_HIERARCHIES];
    int unified_fd;
};

extern const struct cg_ops cg_v2_ops;
extern const struct cg_ops cg_v1_ops;

/* Shared by both backends. */
int cg_write(const char *dir, const char *file, const char *value);
int cg_read(const char *dir, const char *file, char **ret);
int cg_mkdir_path(const char *mountpoint, const char *path, char **ret_dir);
int cg_procs_kill(const char *dir, int sig, size_t *ret_count);
bool cg_dir_populated(const char *dir);
int cg_rmdir(const char *dir);
/* cgroup.kill on a cgroup2 directory, with a signal loop on old kernels. */
int cg_unified_kill(const char *dir);
int cg_attach_pid(const char *dir, pid_t pid);
