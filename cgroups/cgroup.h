/* SPDX-License-Identifier: MIT */
/* One interface over two host layouts: pure cgroup v2, and v1 controllers
 * (hybrid hosts, possibly with a cgroup2 mount at /sys/fs/cgroup/unified).
 * The layout is detected once; each backend is an ops table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cg_manager;
struct cg_handle;

/* Detect the host's layout and prepare the corral parent cgroup
 * (parent is relative to each hierarchy's root, e.g. "corral"): it is
 * created in every hierarchy, and the controllers it can hand down are
 * recorded (cg_limits_unsupported).
 * On cgroup v2, cpu, memory, pids, io and cpuset (those offered) are
 * enabled in cgroup.subtree_control of every level from the root down to
 * the parent itself. A level below the root that holds processes cannot
 * do that (the no-internal-process rule): -EBUSY. The one exception is the
 * supervisor itself sitting in the parent (a service manager put it
 * there): it moves into the leaf "<parent>/_supervisor" ('_' starts no
 * container name), which then keeps the parent from being removed at exit.
 * For any other -EBUSY, move those processes out of the way, or choose a
 * cgroup_parent under a cgroup delegated to corral (systemd: Delegate=yes,
 * with the supervisor in a child such as "<unit>/supervisor"). */
int cg_manager_new(const char *parent, struct cg_manager **ret);
void cg_manager_free(struct cg_manager *m);
/* One line a person can read: what was found on this host. */
const char *cg_manager_describe(const struct cg_manager *m);
/* Remove empty cgroups a crashed supervisor left under the parent; returns
 * how many were removed, or a negative errno. */
int cg_manager_sweep(struct cg_manager *m);
/* Remove the (empty) parent cgroups themselves, at shutdown. */
int cg_manager_remove_parent(struct cg_manager *m);

/* Create (or reuse, if a previous run's is still there) the cgroup of one
 * container. */
int cg_create(struct cg_manager *m, const char *name, struct cg_handle **ret);
/* A directory fd on the unified hierarchy for clone3(CLONE_INTO_CGROUP),
 * or -EBADF where there is none to use. Owned by the handle. */
int cg_clone_fd(const struct cg_handle *h);
/* Move pid into every hierarchy it was not born into; born_unified says
 * whether clone3 already put it into cg_clone_fd()'s cgroup. */
int cg_attach(struct cg_handle *h, pid_t pid, bool born_unified);
/* SIGKILL every process in the container's cgroup. */
int cg_kill_all(struct cg_handle *h);
/* True while any process is in the cgroup. */
bool cg_populated(struct cg_handle *h);
/* rmdir every directory of the handle; -EBUSY while tasks linger. */
int cg_destroy(struct cg_handle *h);
void cg_handle_free(struct cg_handle *h);
/* The cgroup path relative to the hierarchy root, for display. */
const char *cg_path(const struct cg_handle *h);

/* ---- limits ---- */

/* Zero (or NULL) means "not set": the container inherits its parent's. */
struct cg_limits {
    uint64_t memory;         /* hard limit, bytes */
    uint64_t memory_swap;    /* memory + swap, bytes (docker's --memory-swap); >= memory */
    uint64_t cpu_quota_us;   /* CPU time per period, e.g. 50000 for cpus = 0.5 */
    uint64_t cpu_period_us;  /* 100000 when a quota is set */
    uint64_t cpu_weight;     /* 1..10000, the v2 scale (v1 shares are converted) */
    uint64_t pids;           /* max tasks */
    uint64_t io_weight;      /* 1..10000, the v2 scale (v1 blkio.weight is converted) */
    const char *cpuset_cpus; /* "0-1,3" */
    const char *cpuset_mems;
};

/* The name of the first controller a set limit needs that this host does
 * not offer ("memory", "memory swap accounting", "cpu", "pids", "io",
 * "cpuset"), or NULL if every set limit can be enforced. */
const char *cg_limits_unsupported(const struct cg_manager *m, const struct cg_limits *l);
/* Apply every set limit. A write the kernel refuses is an error naming the
 * file: ret_file (optional) gets a static string like "memory.max".
 * -EINVAL (ret_file NULL) for limits that make no sense: memory_swap
 * without memory or below it, a weight above 10000, a quota under 1000 us;
 * -EOPNOTSUPP with ret_file = cg_limits_unsupported()'s name. Limits are
 * written in the struct's order; an error leaves the earlier ones set. */
int cg_set_limits(struct cg_handle *h, const struct cg_limits *l, const char **ret_file);

/* ---- freezer ---- */

enum cg_freezer_state { CG_THAWED, CG_FREEZING, CG_FROZEN };

/* Ask the kernel to freeze (true) or thaw (false) the whole cgroup; this
 * returns at once: watch for the state to be reached. cgroup2's
 * cgroup.freeze wherever the container has a cgroup2 directory (pure v2,
 * and hybrid hosts' unified hierarchy: it needs no controller), else v1's
 * freezer.state; -EOPNOTSUPP where neither exists. */
int cg_freeze(struct cg_handle *h, bool freeze);
/* The current state (an enum cg_freezer_state), or a negative errno. */
int cg_freezer_state(struct cg_handle *h);
/* A file whose modification (inotify IN_MODIFY) signals that the freezer
 * state may have changed (cgroup2's cgroup.events), or NULL where the state
 * must be re-read on a timer (v1 freezer.state). Owned by the handle. */
const char *cg_freezer_watch_path(const struct cg_handle *h);

/* ---- statistics ---- */

struct cg_stats {
    uint64_t memory_current; /* bytes */
    uint64_t memory_peak;    /* bytes, 0 where the kernel does not say */
    uint64_t cpu_usage_ns;   /* total CPU time */
    uint64_t pids_current;
    uint64_t oom_kills; /* processes the OOM killer killed in this cgroup */
};

/* What the host can tell; fields it cannot are 0. */
int cg_stats(struct cg_handle *h, struct cg_stats *ret);
