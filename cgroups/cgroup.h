/* SPDX-License-Identifier: MIT */
/* One interface over two host layouts: pure cgroup v2, and v1 controllers
 * (hybrid hosts, possibly with a cgroup2 mount at /sys/fs/cgroup/unified).
 * The layout is detected once; each backend is an ops table. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct cg_manager;
struct cg_handle;

/* Detect the host's layout and prepare the corral parent cgroup
 * (parent is relative to each hierarchy's root, e.g. "corral"). */
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
