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

/* Controllers the manager found usable for the containers' cgroups. */
enum {
    CG_CTRL_CPU = 1u << 0,
    CG_CTRL_CPUACCT = 1u << 1, /* v1 only: v2's cpu.stat is always there */
    CG_CTRL_MEMORY = 1u << 2,
    CG_CTRL_MEMSW = 1u << 3, /* swap accounting: memory.swap.max / memory.memsw.* */
    CG_CTRL_PIDS = 1u << 4,
    CG_CTRL_IO = 1u << 5, /* with a weight file: io.weight, blkio.weight or blkio.bfq.weight */
    CG_CTRL_CPUSET = 1u << 6,
    CG_CTRL_FREEZER = 1u << 7, /* cgroup.freeze, or v1's freezer.state */
};

struct cg_ops {
    const char *name;
    /* Create the parent cgroup(s) and fill m->controllers. */
    int (*setup)(struct cg_manager *m);
    int (*create)(struct cg_manager *m, struct cg_handle *h);
    int (*attach)(struct cg_handle *h, pid_t pid, bool born_unified);
    int (*kill_all)(struct cg_handle *h);
    bool (*populated)(struct cg_handle *h);
    int (*destroy)(struct cg_handle *h);
    /* Limits are validated by the caller, and every set one is supported. */
    int (*set_limits)(struct cg_handle *h, const struct cg_limits *l, const char **ret_file);
    int (*freeze)(struct cg_handle *h, bool freeze);
    int (*freezer_state)(struct cg_handle *h);
    int (*stats)(struct cg_handle *h, struct cg_stats *ret);
};

struct cg_manager {
    const struct cg_ops *ops;
    char *parent;
    struct cg_hierarchy hier[CG_MAX_HIERARCHIES];
    size_t n_hier;
    int unified;            /* index of the cgroup2 hierarchy in hier[], or -1 */
    unsigned controllers;   /* CG_CTRL_* */
    const char *v1_io_file; /* "blkio.weight" or "blkio.bfq.weight" */
    char describe[512];
};

struct cg_handle {
    struct cg_manager *m;
    char *path; /* parent/name */
    /* one directory per hierarchy, NULL where not created */
    char *dirs[CG_MAX_HIERARCHIES];
    int unified_fd;
    char *events_path; /* cgroup.events on the unified hierarchy, or NULL */
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
/* Does the hierarchy carry this controller? ("cpu" is not "cpuacct") */
bool cg_hier_has(const struct cg_hierarchy *hier, const char *controller);
bool cg_file_exists(const char *dir, const char *file);
int cg_write_u64(const char *dir, const char *file, uint64_t value);
/* For set_limits: write, and on failure name the file in *ret_file. */
int cg_set(const char *dir, const char *file, const char *value, const char **ret_file);
int cg_set_u64(const char *dir, const char *file, uint64_t value, const char **ret_file);
/* A number, or "max" (UINT64_MAX). */
int cg_read_u64(const char *dir, const char *file, uint64_t *ret);
/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events). */
int cg_read_key_u64(const char *dir, const char *file, const char *key, uint64_t *ret);
/* Read into *ret, leaving 0 where the file or key is missing; fails only
 * on ENOMEM. key may be NULL for single-value files. */
int cg_stat_u64(const char *dir, const char *file, const char *key, uint64_t *ret);
/* The cgroup2 freezer: cgroup.freeze and cgroup.events. It needs no
 * controller, so hybrid hosts use it on their unified hierarchy too. */
int cg_unified_freeze(const char *dir, bool freeze);
int cg_unified_freezer_state(const char *dir);
