/* SPDX-License-Identifier: MIT */
/* Creating a container process: clone3 into new namespaces, then the child
 * side between clone3 and execve. Everything the child needs is computed in
 * the parent (struct spawn_plan); the child only makes syscalls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/types.h>

struct id_range;
struct rlimit_spec;
struct seccomp_filter;

enum spawn_step {
    STEP_NONE,
    STEP_SYNC,
    STEP_CGROUP,  /* parent side: attaching the child to its cgroups */
    STEP_NETWORK, /* parent side: its veth, address and route */
    STEP_STDIO,
    STEP_CGROUPNS,
    STEP_USERNS, /* become the namespace's root */
    STEP_MOUNT_PRIVATE,
    STEP_ROOTFS,
    STEP_OVERLAY,
    STEP_OVERLAY_USERNS, /* on idmapped layers, which need Linux 5.19 */
    STEP_PIVOT_ROOT,
    STEP_PROC,
    STEP_SYS,
    STEP_DEV,
    STEP_DEVPTS,
    STEP_SHM,
    STEP_MQUEUE,
    STEP_VOLUME,
    STEP_VOLUME_ROOT, /* a volume's target resolves to the container's root */
    STEP_TMPFS,
    STEP_MASK, /* masked and read-only /proc, /sys paths */
    STEP_ETC,  /* bind /etc/hosts, /etc/resolv.conf */
    STEP_READONLY_ROOT,
    STEP_HOSTNAME,
    STEP_LOOPBACK,
    STEP_WORKDIR,
    STEP_SIGNALS,
    STEP_RLIMIT,
    STEP_CAPS,
    STEP_NO_NEW_PRIVS,
    STEP_FDS,
    STEP_SECCOMP,
    STEP_EXEC,
    _STEP_MAX,
};

/* What the child reports when a step fails; fixed size so the child
 * neither allocates nor formats. */
struct spawn_error {
    int32_t step;
    int32_t err;
    char path[256];
};

/* A volume (source set) or a tmpfs (tmpfs_opts set), mounted after /dev
 * on a target resolved inside the container's root (created if missing,
 * a directory or, for a file volume, an empty file). */
struct spawn_mount {
    const char *source;     /* host path, or NULL for a tmpfs */
    const char *target;     /* absolute, inside the container */
    const char *tmpfs_opts; /* "mode=1777,size=65536k" */
    bool readonly;
    bool file; /* the source is not a directory */
};

#define SPAWN_MOUNTS_MAX 96 /* config: 64 volumes + 16 tmpfs */
#define SPAWN_TREES_MAX 2   /* detached mounts the parent sends with "go" */

struct spawn_plan {
    const char *rootfs; /* the directory that becomes / (the overlay's mount point) */
    /* rootfs_mode = overlay: mount an overlay on rootfs first. Without a
     * user namespace, with these options; with one, from layer_dir, where
     * the parent's idmapped lower and rw trees are attached on lower/ and
     * rwmnt/ and rootfs is layer_dir/root. */
    bool overlay;
    const char *overlay_opts;               /* "lowerdir=...,upperdir=...,workdir=..." (escaped) */
    const char *overlay_lower, *overlay_rw; /* userns: what the parent idmaps */
    const char *layer_dir;
    const struct spawn_mount *mounts;
    size_t n_mounts;
    char *const *argv;
    char *const *envp;
    const char *path_env; /* PATH used to find argv[0] if it has no slash */
    const char *hostname;
    const char *workdir;
    int stdin_fd, stdout_fd, stderr_fd;
    int cgroup_fd;           /* clone3 CLONE_INTO_CGROUP target, or < 0 */
    const char *hosts_path;  /* a file to bind on /etc/hosts, or NULL */
    const char *resolv_path; /* ... on /etc/resolv.conf, or NULL */
    /* Security, applied after every mount, in this order: */
    bool mask_paths;      /* /proc/kcore & co. masked, /proc/sys & co. read-only */
    bool readonly_rootfs; /* / read-only, tmpfs on /tmp and /run */
    const struct rlimit_spec *rlimits;
    size_t n_rlimits;
    cap_iab_t cap_iab; /* inheritable, ambient, bounding (runtime_caps_prepare) */
    cap_t caps;        /* permitted and effective */
    bool no_new_privs;
    const struct seccomp_filter *seccomp; /* the last step before execve; NULL: none */
    /* A user namespace: container ids 0..count-1 are host ids host.. */
    bool userns;
    uint32_t userns_host, userns_count;
    /* ... or, when n_uid_map > 0, these maps (uid_map/gid_map) */
    const struct id_range *uid_map, *gid_map;
    size_t n_uid_map, n_gid_map;
};

/* The capability state for plan->cap_iab and plan->caps: exactly the
 * capabilities in `keep` (bit 1 << CAP_X) bounding, permitted and
 * effective; inheritable and ambient empty. Built in the parent (libcap
 * allocates); free both with cap_free(). */
int runtime_caps_prepare(uint64_t keep, cap_iab_t *ret_iab, cap_t *ret_caps);

struct spawn_result {
    pid_t pid;
    int pidfd;      /* readable when the process exits */
    int errfd;      /* read end of the error pipe: EOF means execve succeeded */
    int syncfd;     /* write one byte to let the child go on */
    bool in_cgroup; /* born into plan->cgroup_fd (CLONE_INTO_CGROUP) */
    /* User namespace: idmapped detached mounts sent with "go": the rootfs,
     * or an overlay's lower and rw layers. -EBADF when unused. */
    int trees[SPAWN_TREES_MAX];
    /* When runtime_spawn fails after the clone: what it was doing. */
    const char *fail_step;
    char fail_path[64];
};

/* Clone the child; it waits for runtime_release() before doing anything. */
int runtime_spawn(const struct spawn_plan *plan, struct spawn_result *ret);
/* Let the child go (after cgroup attach etc.); closes syncfd and the
 * trees. */
int runtime_release(struct spawn_result *res);
/* "mount /proc", "exec"... for messages. */
const char *spawn_step_to_string(int step);
/* Close and reset the trees of a result that will not be released. */
void spawn_trees_close(int trees[SPAWN_TREES_MAX]);
