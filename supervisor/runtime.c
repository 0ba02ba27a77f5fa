/* SPDX-License-Identifier: MIT */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/sched.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "macro.h"
#include "seccomp.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *const step_names[_STEP_MAX] = {
    [STEP_NONE] = "spawn",
    [STEP_SYNC] = "wait for supervisor",
    [STEP_CGROUP] = "attach to cgroup",
    [STEP_NETWORK] = "network",
    [STEP_STDIO] = "set up stdio",
    [STEP_CGROUPNS] = "unshare cgroup namespace",
    [STEP_MOUNT_PRIVATE] = "make mounts private",
    [STEP_USERNS] = "enter user namespace",
    [STEP_ROOTFS] = "rootfs",
    [STEP_OVERLAY] = "mount overlay on",
    [STEP_OVERLAY_USERNS] = "mount overlay (of idmapped layers: Linux 5.19 or later; else "
                            "rootfs_mode = copy) on",
    [STEP_PIVOT_ROOT] = "pivot_root",
    [STEP_PROC] = "mount",
    [STEP_SYS] = "mount",
    [STEP_DEV] = "set up",
    [STEP_DEVPTS] = "mount",
    [STEP_SHM] = "mount",
    [STEP_MQUEUE] = "mount",
    [STEP_VOLUME] = "mount volume on",
    [STEP_VOLUME_ROOT] = "refuse to mount over the container's root (a symlink to /) through",
    [STEP_TMPFS] = "mount tmpfs on",
    [STEP_MASK] = "mask",
    [STEP_ETC] = "bind",
    [STEP_READONLY_ROOT] = "make the root read-only",
    [STEP_HOSTNAME] = "set hostname",
    [STEP_LOOPBACK] = "bring up",
    [STEP_WORKDIR] = "workdir",
    [STEP_SIGNALS] = "reset signals",
    [STEP_RLIMIT] = "set rlimit",
    [STEP_CAPS] = "set capabilities",
    [STEP_NO_NEW_PRIVS] = "set no_new_privs",
    [STEP_FDS] = "close fds",
    [STEP_SECCOMP] = "load seccomp filter",
    [STEP_EXEC] = "exec",
};

const char *spawn_step_to_string(int step)
{
    if (step < 0 || step >= _STEP_MAX || !step_names[step])
        return "spawn";
    return step_names[step];
}

/* ---- child side: raw syscalls, no stdio, no logging ---- */

/* The one exception is libcap's cap_iab_set_proc() and cap_set_proc() in
 * set_caps(), which may allocate; the supervisor is single-threaded, so
 * the child's copy of the heap is consistent. */

static _noreturn_ void child_fail(int errfd, int step, int err, const char *path)
{
    struct spawn_error e = {.step = step, .err = err};
    size_t i;

    for (i = 0; path && path[i] && i < sizeof(e.path) - 1; i++)
        e.path[i] = path[i];
    (void) !write(errfd, &e, sizeof(e));
    _exit(127);
}

#define CHECK(call, step, path)                                                                    \
    do {                                                                                           \
        if ((call) < 0)                                                                            \
            child_fail(errfd, (step), errno, (path));                                              \
    } while (0)

static int mkdir_if_missing(const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* The device nodes every container gets; nothing else from the host. */
static const struct {
    const char *path;
    unsigned major, minor;
} dev_nodes[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
    const char *target, *path;
} dev_links[] = {
    {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

/* A directory of the new root to mount on, refused if it is a symlink
 * (before pivot_root one could lead out of the tree). */
static void mount_point(int errfd, int step, const char *path, mode_t mode)
{
    struct stat st;

    CHECK(mkdir_if_missing(path, mode), step, path);
    CHECK(lstat(path, &st), step, path);
    if (!S_ISDIR(st.st_mode))
        child_fail(errfd, step, ENOTDIR, path);
}

/* /dev as a tmpfs with the safe nodes. dir is "/dev" after pivot_root, or
 * "dev" (relative to the new root) before it. In a user namespace mknod is
 * refused, so the host's nodes are bound instead; they must be bound
 * before pivot_root hides the host's /dev. */
static void dev_nodes_setup(int errfd, const char *dir, bool bind_host)
{
    char path[32];

    mount_point(errfd, STEP_DEV, dir, 0755);
    CHECK(mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
                "mode=755,size=65536k"),
          STEP_DEV, dir);
    for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
        const char *host = dev_nodes[i].path; /* "/dev/null" */
        int fd;

        snprintf(path, sizeof(path), "%s%s", dir, host + strlen("/dev"));
        if (!bind_host) {
            CHECK(mknod(path, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)),
                  STEP_DEV, host);
            continue;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd < 0)
            child_fail(errfd, STEP_DEV, errno, host);
        close(fd);
        CHECK(mount(host, path, "none", MS_BIND, NULL), STEP_DEV, host);
    }
}

static void setup_dev(int errfd)
{
    const unsigned long nodev = MS_NOSUID | MS_NODEV | MS_NOEXEC;

    CHECK(mkdir("/dev/pts", 0755), STEP_DEVPTS, "/dev/pts");
    CHECK(mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620,gid=5"),
          STEP_DEVPTS, "/dev/pts");
    for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
        CHECK(symlink(dev_links[i].target, dev_links[i].path), STEP_DEV, dev_links[i].path);
    CHECK(mkdir("/dev/shm", 01777), STEP_SHM, "/dev/shm");
    CHECK(mount("shm", "/dev/shm", "tmpfs", nodev, "mode=1777,size=65536k"), STEP_SHM, "/dev/shm");
    CHECK(mkdir("/dev/mqueue", 0755), STEP_MQUEUE, "/dev/mqueue");
    CHECK(mount("mqueue", "/dev/mqueue", "mqueue", nodev, NULL), STEP_MQUEUE, "/dev/mqueue");
}

/* What docker masks: kernel memory, keys, timers and hardware details no
 * container needs. A file gets /dev/null bound over it, a directory an
 * empty read-only tmpfs; a path this kernel lacks is skipped. */
static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

/* Kernel knobs that stay visible but not writable. */
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static void mask_paths(int errfd)
{
    struct stat st;

    for (size_t i = 0; i < ELEMENTSOF(masked_paths); i++) {
        const char *path = masked_paths[i];

        if (lstat(path, &st) < 0) {
            if (errno == ENOENT)
                continue;
            child_fail(errfd, STEP_MASK, errno, path);
        }
        if (S_ISDIR(st.st_mode))
            CHECK(mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "size=0"),
                  STEP_MASK, path);
        else
            CHECK(mount("/dev/null", path, "none", MS_BIND, NULL), STEP_MASK, path);
    }
    for (size_t i = 0; i < ELEMENTSOF(readonly_paths); i++) {
        const char *path = readonly_paths[i];

        if (mount(path, path, "none", MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT)
                continue;
            child_fail(errfd, STEP_MASK, errno, path);
        }
        CHECK(mount("none", path, "none",
                    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
              STEP_MASK, path);
    }
}

/* After every other mount under /: writable tmpfs on /tmp and /run, then
 * the root bind remounted read-only. */
static void readonly_root(int errfd, const struct spawn_plan *p)
{
    static const char *const scratch[] = {"/tmp", "/run"};

    for (size_t i = 0; i < ELEMENTSOF(scratch); i++) {
        bool mounted = false;

        /* A volume or tmpfs of the user's there stays as it is. */
        for (size_t k = 0; k < p->n_mounts; k++)
            mounted |= strcmp(p->mounts[k].target, scratch[i]) == 0;
        if (mounted)
            continue;
        CHECK(mkdir_if_missing(scratch[i], 01777), STEP_READONLY_ROOT, scratch[i]);
        CHECK(mount("tmpfs", scratch[i], "tmpfs", MS_NOSUID | MS_NODEV,
                    i == 0 ? "mode=1777,size=65536k" : "mode=755,size=65536k"),
              STEP_READONLY_ROOT, scratch[i]);
    }
    CHECK(mount("none", "/", "none", MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), STEP_READONLY_ROOT,
          "/");
}

static void seccomp_load(int errfd, const struct seccomp_filter *f)
{
    int r = seccomp_filter_load(f);

    if (r < 0)
        child_fail(errfd, STEP_SECCOMP, -r, NULL);
}

static const char *rlimit_name(int resource)
{
    static const char *const names[RLIM_NLIMITS] = {
        [RLIMIT_AS] = "rlimit_as",
        [RLIMIT_CORE] = "rlimit_core",
        [RLIMIT_CPU] = "rlimit_cpu",
        [RLIMIT_DATA] = "rlimit_data",
        [RLIMIT_FSIZE] = "rlimit_fsize",
        [RLIMIT_LOCKS] = "rlimit_locks",
        [RLIMIT_MEMLOCK] = "rlimit_memlock",
        [RLIMIT_MSGQUEUE] = "rlimit_msgqueue",
        [RLIMIT_NICE] = "rlimit_nice",
        [RLIMIT_NOFILE] = "rlimit_nofile",
        [RLIMIT_NPROC] = "rlimit_nproc",
        [RLIMIT_RSS] = "rlimit_rss",
        [RLIMIT_RTPRIO] = "rlimit_rtprio",
        [RLIMIT_RTTIME] = "rlimit_rttime",
        [RLIMIT_SIGPENDING] = "rlimit_sigpending",
        [RLIMIT_STACK] = "rlimit_stack",
    };

    return resource >= 0 && resource < RLIM_NLIMITS && names[resource] ? names[resource] : NULL;
}

/* Bounding set first (it needs CAP_SETPCAP, which may be about to go),
 * with inheritable and ambient; then permitted and effective. */
static void set_caps(int errfd, const struct spawn_plan *p)
{
    if (!p->cap_iab || !p->caps)
        return;
    CHECK(cap_iab_set_proc(p->cap_iab), STEP_CAPS, NULL);
    CHECK(cap_set_proc(p->caps), STEP_CAPS, NULL);
}

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

/* A detached bind of the supervisor's file at path, taken while the host's
 * mounts are still in our namespace (pivot_root detaches them, and a bind
 * from a detached mount is refused). -1 if there is nothing to bind, or the
 * kernel (or valgrind) lacks the new mount API. */
static int clone_file_mount(int errfd, const char *path)
{
    int t;

    if (!path)
        return -1;
    t = (int) syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC);
    if (t < 0 && errno != ENOSYS)
        child_fail(errfd, STEP_ETC, errno, path);
    return t;
}

/* Attach that copy over target, created if missing. After pivot_root, so
 * the target resolves inside the container's tree: a symlink there cannot
 * lead to the host. Opened read-only: a mount point need not be writable,
 * and opening the image's file for writing would copy it up into the
 * container's overlay layer, to be hidden at once. */
static void attach_file_mount(int errfd, int tree, const char *target)
{
    int t;

    if (tree < 0)
        return;
    CHECK(mkdir_if_missing("/etc", 0755), STEP_ETC, "/etc");
    t = open(target, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (t < 0)
        child_fail(errfd, STEP_ETC, errno, target);
    close(t);
    CHECK(syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), STEP_ETC,
          target);
    close(tree);
}

/* Detached copies of the volumes' sources, taken while the host is still
 * in view (pivot_root hides it); read-only ones are made so here, whole
 * (AT_RECURSIVE: a mount below the source comes along, as with docker). */
static void open_volume_trees(int errfd, const struct spawn_plan *p, int *trees)
{
    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct spawn_mount *m = &p->mounts[i];

        trees[i] = -1;
        if (!m->source)
            continue;
        trees[i] = (int) syscall(SYS_open_tree, AT_FDCWD, m->source,
                                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (trees[i] < 0)
            child_fail(errfd, STEP_VOLUME, errno, m->source);
        if (m->readonly) {
            struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
            CHECK(syscall(SYS_mount_setattr, trees[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                          sizeof(attr)),
                  STEP_VOLUME, m->source);
        }
    }
}

/* openat2() with RESOLVE_IN_ROOT answers EAGAIN when a mount or a rename
 * anywhere on the host raced its resolution of "..": try again. */
static int openat2_retry(int dirfd, const char *path, struct open_how *how)
{
    int fd, tries = 0;

    do
        fd = (int) syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
    while (fd < 0 && errno == EAGAIN && ++tries < 64);
    return fd;
}

/* The target of a volume or tmpfs as an O_PATH fd, resolved after
 * pivot_root inside the container's root: RESOLVE_IN_ROOT keeps an
 * absolute or '..' symlink of the image inside it, and no magic link
 * (/proc/self/...) is followed. Missing components are made: directories,
 * and an empty file last for a file volume. */
static int open_mount_target(int errfd, int step, int rootfd, const char *target, bool file)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    char prefix[PATH_MAX];
    size_t len = strlen(target);
    struct stat st, root_st;
    int cur, next;

    if (len >= sizeof(prefix))
        child_fail(errfd, step, ENAMETOOLONG, target);
    cur = (int) fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        child_fail(errfd, step, errno, target);
    for (size_t start = 0; start < len;) {
        size_t end;
        bool last;

        while (target[start] == '/')
            start++;
        if (start >= len)
            break;
        end = start;
        while (end < len && target[end] != '/')
            end++;
        last = end >= len || target[end + strspn(target + end, "/")] == '\0';
        memcpy(prefix, target, end);
        prefix[end] = '\0';
        next = openat2_retry(rootfd, prefix, &how);
        if (next < 0 && errno == ENOENT) {
            /* cur is the resolved parent: make the component there. */
            const char *name = prefix + start;

            if (last && file) {
                int t =
                    openat(cur, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (t < 0)
                    child_fail(errfd, step, errno, target);
                close(t);
            } else if (mkdirat(cur, name, 0755) < 0)
                child_fail(errfd, step, errno == EEXIST ? ENOENT : errno, target);
            next = openat2_retry(rootfd, prefix, &how);
        }
        if (next < 0)
            child_fail(errfd, step, errno, target);
        close(cur);
        cur = next;
        start = end;
    }
    CHECK(fstat(cur, &st), step, target);
    CHECK(fstat(rootfd, &root_st), step, target);
    /* A symlink to / in the image: mounting there would cover the root. */
    if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino)
        child_fail(errfd, STEP_VOLUME_ROOT, 0, target);
    if (file && S_ISDIR(st.st_mode))
        child_fail(errfd, step, EISDIR, target);
    if (!file && !S_ISDIR(st.st_mode))
        child_fail(errfd, step, ENOTDIR, target);
    return cur;
}

/* Volumes and tmpfs mounts, in the plan's order (parents before what is
 * mounted below them). */
static void mount_volumes(int errfd, const struct spawn_plan *p, const int *trees)
{
    char fdpath[32];
    int rootfd;

    if (p->n_mounts == 0)
        return;
    rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        child_fail(errfd, STEP_VOLUME, errno, "/");
    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct spawn_mount *m = &p->mounts[i];
        int step = m->source ? STEP_VOLUME : STEP_TMPFS;
        int t = open_mount_target(errfd, step, rootfd, m->target, m->file);

        if (m->source) {
            CHECK(syscall(SYS_move_mount, trees[i], "", t, "",
                          MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
                  step, m->target);
            close(trees[i]);
        } else {
            /* mount(2) follows the magic link to the resolved target. */
            snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", t);
            CHECK(mount("tmpfs", fdpath, "tmpfs", MS_NOSUID | MS_NODEV, m->tmpfs_opts), step,
                  m->target);
        }
        close(t);
    }
    close(rootfd);
}

static int loopback_up(void)
{
    struct ifreq ifr = {0};
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int r = -1;

    if (s < 0)
        return -1;
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return r;
}

/* execvpe() would search the supervisor's PATH, not the container's, so
 * search the planned PATH here, building candidates on the stack. */
static _noreturn_ void exec_command(int errfd, const struct spawn_plan *p)
{
    const char *file = p->argv[0];
    char buf[4096];
    int saved = ENOENT;

    if (strchr(file, '/')) {
        execve(file, p->argv, p->envp);
        child_fail(errfd, STEP_EXEC, errno, file);
    }
    for (const char *dir = p->path_env; dir && *dir;) {
        const char *end = strchrnul(dir, ':');
        size_t dl = (size_t) (end - dir), fl = strlen(file);

        if (dl == 0) {
            dl = 1;
            dir = ".";
        }
        if (dl + 1 + fl < sizeof(buf)) {
            memcpy(buf, dir, dl);
            buf[dl] = '/';
            memcpy(buf + dl + 1, file, fl + 1);
            execve(buf, p->argv, p->envp);
            /* Keep looking past missing entries, but remember a real
             * failure (EACCES, ENOEXEC...) to report it if nothing runs. */
            if (errno != ENOENT && errno != ENOTDIR)
                saved = errno;
        }
        dir = *end ? end + 1 : end;
    }
    child_fail(errfd, STEP_EXEC, saved, file);
}

/* The parent's "go": one byte, with the idmapped trees attached in a user
 * namespace (ret_trees[i], else -1). -1 on EOF: the parent gave up on us. */
static int recv_go(int syncfd, int ret_trees[SPAWN_TREES_MAX])
{
    char go, control[CMSG_SPACE(sizeof(int) * SPAWN_TREES_MAX)];
    struct iovec iov = {.iov_base = &go, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control,
                         .msg_controllen = sizeof(control)};
    struct cmsghdr *cm;

    for (size_t i = 0; i < SPAWN_TREES_MAX; i++)
        ret_trees[i] = -1;
    if (recvmsg(syncfd, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    cm = CMSG_FIRSTHDR(&msg);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(ret_trees, CMSG_DATA(cm), (n < SPAWN_TREES_MAX ? n : SPAWN_TREES_MAX) * sizeof(int));
    }
    return 0;
}

static _noreturn_ void child_main(const struct spawn_plan *p, int syncfd, int errfd)
{
    sigset_t all;
    int hosts_tree, resolv_tree, trees[SPAWN_TREES_MAX], volume_trees[SPAWN_MOUNTS_MAX];

    /* The container dies with the supervisor: never an orphan that nobody
     * will stop. Checked before waiting, so an early death is seen as EOF. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_fail(errfd, STEP_SYNC, errno, NULL);
    if (recv_go(syncfd, trees) < 0)
        _exit(1);
    close(syncfd);

    CHECK(dup2(p->stdin_fd, 0), STEP_STDIO, NULL);
    CHECK(dup2(p->stdout_fd, 1), STEP_STDIO, NULL);
    CHECK(dup2(p->stderr_fd, 2), STEP_STDIO, NULL);

    /* Unshared only now, after the parent moved us into our cgroups, so the
     * namespace's root is the container's own cgroup on v1 hosts too. */
    CHECK(unshare(CLONE_NEWCGROUP), STEP_CGROUPNS, NULL);

    CHECK(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL), STEP_MOUNT_PRIVATE, "/");
    hosts_tree = clone_file_mount(errfd, p->hosts_path);
    resolv_tree = clone_file_mount(errfd, p->resolv_path);
    if (p->n_mounts > SPAWN_MOUNTS_MAX)
        child_fail(errfd, STEP_VOLUME, E2BIG, NULL);
    open_volume_trees(errfd, p, volume_trees);
    if (p->overlay && p->userns) {
        /* The parent's idmapped lower and rw layers, attached in our mount
         * namespace; the overlay is mounted as the namespace's root, so
         * that what the container makes in the upper layer is stored with
         * its ids mapped back. That root cannot walk the supervisor's
         * 0700 directories: from here on, paths are relative to the
         * container's layer directory (0711). */
        CHECK(chdir(p->layer_dir), STEP_OVERLAY, p->layer_dir);
        CHECK(syscall(SYS_move_mount, trees[0], "", AT_FDCWD, "lower", MOVE_MOUNT_F_EMPTY_PATH),
              STEP_OVERLAY, p->overlay_lower);
        CHECK(syscall(SYS_move_mount, trees[1], "", AT_FDCWD, "rwmnt", MOVE_MOUNT_F_EMPTY_PATH),
              STEP_OVERLAY, p->overlay_rw);
        close(trees[0]);
        close(trees[1]);
    } else if (p->overlay) {
        CHECK(mount("overlay", p->rootfs, "overlay", 0, p->overlay_opts), STEP_OVERLAY, p->rootfs);
    } else if (trees[0] >= 0) {
        /* The parent's idmapped copy of the rootfs: files owned by host
         * root show as the container's root, and what it makes is stored
         * as host root's. */
        CHECK(syscall(SYS_move_mount, trees[0], "", AT_FDCWD, p->rootfs, MOVE_MOUNT_F_EMPTY_PATH),
              STEP_ROOTFS, p->rootfs);
        close(trees[0]);
    } else
        CHECK(mount(p->rootfs, p->rootfs, "none", MS_BIND | MS_REC, NULL), STEP_ROOTFS, p->rootfs);
    umask(0);
    if (p->userns) {
        /* Until now our credentials were still the host root's, which let
         * us reach the supervisor's files (run_dir is 0700) as their
         * owner; the new namespace cannot map them, so nothing could be
         * created in it. Become its root: the first mapped id. */
        if (!p->overlay)
            CHECK(chdir(p->rootfs), STEP_ROOTFS, p->rootfs);
        CHECK(setgroups(0, NULL), STEP_USERNS, NULL);
        CHECK(setresgid(0, 0, 0), STEP_USERNS, NULL);
        CHECK(setresuid(0, 0, 0), STEP_USERNS, NULL);
        if (p->overlay) {
            /* userxattr: the namespace's root may not write trusted.*
             * xattrs, so the overlay keeps its own in user.overlay.*. */
            CHECK(mount("overlay", "root", "overlay", 0,
                        "lowerdir=lower,upperdir=rwmnt/upper,workdir=rwmnt/work,userxattr"),
                  STEP_OVERLAY_USERNS, p->rootfs);
            CHECK(chdir("root"), STEP_ROOTFS, p->rootfs);
        }
        /* In a user namespace the kernel mounts a new proc or sysfs only
         * while the host's are visible (the "fully visible" rule), and
         * device nodes can only be bound from the host's: all before
         * pivot_root, on the new root's own directories. */
        mount_point(errfd, STEP_PROC, "proc", 0555);
        CHECK(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), STEP_PROC,
              "/proc");
        mount_point(errfd, STEP_SYS, "sys", 0555);
        CHECK(mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
              STEP_SYS, "/sys");
        dev_nodes_setup(errfd, "dev", true);
    } else
        CHECK(chdir(p->rootfs), STEP_ROOTFS, p->rootfs);
    /* pivot_root(".", ".") stacks the old root on top of the new one; the
     * lazy unmount then drops it without needing a directory for it. */
    CHECK(syscall(SYS_pivot_root, ".", "."), STEP_PIVOT_ROOT, p->rootfs);
    CHECK(umount2(".", MNT_DETACH), STEP_PIVOT_ROOT, p->rootfs);
    CHECK(chdir("/"), STEP_PIVOT_ROOT, "/");

    /* Mounts happen after pivot_root so that every target resolves inside
     * the container's tree: a symlink there cannot point at the host. */
    if (!p->userns) {
        CHECK(mkdir_if_missing("/proc", 0555), STEP_PROC, "/proc");
        CHECK(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), STEP_PROC,
              "/proc");
        CHECK(mkdir_if_missing("/sys", 0555), STEP_SYS, "/sys");
        CHECK(mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
              STEP_SYS, "/sys");
        dev_nodes_setup(errfd, "/dev", false);
    }
    setup_dev(errfd);
    umask(022);
    mount_volumes(errfd, p, volume_trees);
    if (p->mask_paths)
        mask_paths(errfd);
    attach_file_mount(errfd, hosts_tree, "/etc/hosts");
    attach_file_mount(errfd, resolv_tree, "/etc/resolv.conf");
    if (p->readonly_rootfs)
        readonly_root(errfd, p);

    CHECK(sethostname(p->hostname, strlen(p->hostname)), STEP_HOSTNAME, p->hostname);
    CHECK(loopback_up(), STEP_LOOPBACK, "lo");
    CHECK(chdir(p->workdir), STEP_WORKDIR, p->workdir);

    /* Handlers do not survive execve, but ignored signals and the blocked
     * mask do: the supervisor blocks its signalfd signals and ignores
     * SIGPIPE, and the container must start clean. */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void) signal(sig, SIG_DFL);
    sigemptyset(&all);
    CHECK(sigprocmask(SIG_SETMASK, &all, NULL), STEP_SIGNALS, NULL);

    /* Without no_new_privs the kernel takes a filter only from a process
     * with CAP_SYS_ADMIN: then it goes in before the capabilities go (and
     * must let capset and prctl through, as the default one does). */
    if (p->seccomp && !p->no_new_privs)
        seccomp_load(errfd, p->seccomp);
    set_caps(errfd, p);
    if (p->no_new_privs)
        CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), STEP_NO_NEW_PRIVS, NULL);

    /* No supervisor fd may reach the container; the error pipe is closed
     * by execve itself. */
    CHECK(syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC), STEP_FDS, NULL);
    /* Last: from here on only execve (and the error report) must pass. */
    if (p->seccomp && p->no_new_privs)
        seccomp_load(errfd, p->seccomp);
    exec_command(errfd, p);
}

/* ---- parent side ---- */

int runtime_caps_prepare(uint64_t keep, cap_iab_t *ret_iab, cap_t *ret_caps)
{
    cap_value_t max = cap_max_bits(); /* also cached for the child */
    cap_iab_t iab = cap_iab_init();
    cap_t caps = cap_init();

    if (!iab || !caps)
        goto fail;
    for (cap_value_t v = 0; v < max; v++) {
        bool kept = v < 64 && (keep & (1ULL << v));

        if (!kept && cap_iab_set_vector(iab, CAP_IAB_BOUND, v, CAP_SET) < 0)
            goto fail;
        if (kept && (cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
                     cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0))
            goto fail;
    }
    *ret_iab = iab;
    *ret_caps = caps;
    return 0;
fail:
    cap_free(iab);
    cap_free(caps);
    return -ENOMEM;
}

/* A map in one write (the kernel takes it whole or not at all): the given
 * lines, or "0 HOST COUNT". */
static int write_id_map(pid_t pid, const char *which, const struct id_range *r, size_t n,
                        uint32_t host, uint32_t count)
{
    char path[64], map[USERNS_MAP_MAX * 36 + 1];
    int len = 0;
    _cleanup_close_ int fd = -EBADF;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, which);
    if (n == 0)
        len = snprintf(map, sizeof(map), "0 %" PRIu32 " %" PRIu32 "\n", host, count);
    for (size_t i = 0; i < n && i < USERNS_MAP_MAX; i++)
        len +=
            snprintf(map + len, sizeof(map) - (size_t) len, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
                     r[i].inside, r[i].host, r[i].count);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return negative_errno();
    if (write(fd, map, (size_t) len) != len)
        return errno ? negative_errno() : -EIO;
    return 0;
}

/* A detached copy of path, idmapped into the child's user namespace. */
static int idmapped_tree(const char *path, int userns, struct spawn_result *ret, int *ret_tree)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns};
    _cleanup_close_ int t = -EBADF;
    int r;

    ret->fail_step = "make an idmapped mount of";
    snprintf(ret->fail_path, sizeof(ret->fail_path), "%s", path);
    t = (int) syscall(SYS_open_tree, AT_FDCWD, path,
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (t < 0)
        return negative_errno();
    if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
        r = negative_errno();
        /* EINVAL: the file system (or one mounted under it) cannot be
         * idmapped, e.g. 9p, or overlayfs before Linux 5.19. */
        if (r == -EINVAL)
            ret->fail_step = "make an idmapped mount (its file system does not support "
                             "them) of";
        return r;
    }
    *ret_tree = TAKE_FD(t);
    return 0;
}

/* The parent's part between clone and "go", for what the child cannot do
 * itself: in a user namespace, the id maps and the idmapped copy of the
 * rootfs (mount_setattr wants CAP_SYS_ADMIN over the original mount);
 * and the rlimits, since raising a hard limit takes CAP_SYS_RESOURCE in
 * the host's user namespace. On failure ret->fail_step says where. */
static int prepare_child(const struct spawn_plan *p, struct spawn_result *ret)
{
    _cleanup_close_ int userns = -EBADF;
    char path[64];
    int r;

    if (p->userns) {
        ret->fail_step = "write the user namespace's id maps";
        r = write_id_map(ret->pid, "uid_map", p->uid_map, p->n_uid_map, p->userns_host,
                         p->userns_count);
        if (r >= 0)
            r = write_id_map(ret->pid, "gid_map", p->gid_map, p->n_gid_map, p->userns_host,
                             p->userns_count);
        if (r < 0)
            return r;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) ret->pid);
        userns = open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
            return negative_errno();
        /* The rootfs; or an overlay's layers, which the child stacks
         * itself (an overlay cannot be idmapped, its layers can). */
        if (p->overlay) {
            r = idmapped_tree(p->overlay_lower, userns, ret, &ret->trees[0]);
            if (r >= 0)
                r = idmapped_tree(p->overlay_rw, userns, ret, &ret->trees[1]);
        } else
            r = idmapped_tree(p->rootfs, userns, ret, &ret->trees[0]);
        if (r < 0)
            return r;
        ret->fail_path[0] = '\0';
    }

    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};

        ret->fail_step = "set rlimit";
        snprintf(ret->fail_path, sizeof(ret->fail_path), "%s",
                 rlimit_name(p->rlimits[i].resource) ?: "?");
        if (prlimit(ret->pid, (enum __rlimit_resource) p->rlimits[i].resource, &rl, NULL) < 0)
            return negative_errno();
    }
    ret->fail_step = NULL;
    ret->fail_path[0] = '\0';
    return 0;
}

int runtime_spawn(const struct spawn_plan *plan, struct spawn_result *ret)
{
    _cleanup_close_ int sync_parent = -EBADF, sync_child = -EBADF;
    _cleanup_close_ int err_read = -EBADF, err_write = -EBADF;
    int sv[2], ep[2], pidfd = -EBADF, r;
    struct clone_args args = {0};
    long pid;

    /* What a failure says: nothing more than the errno until the clone. */
    *ret = (struct spawn_result){
        .pidfd = -EBADF, .errfd = -EBADF, .syncfd = -EBADF, .trees = {-EBADF, -EBADF}};
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return negative_errno();
    sync_parent = sv[0];
    sync_child = sv[1];
    if (pipe2(ep, O_CLOEXEC) < 0)
        return negative_errno();
    err_read = ep[0];
    err_write = ep[1];

    args.flags =
        CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
    if (plan->userns)
        args.flags |= CLONE_NEWUSER;
    args.pidfd = (uint64_t) (uintptr_t) &pidfd;
    args.exit_signal = SIGCHLD;
    if (plan->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t) plan->cgroup_fd;
    }

    pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid < 0 && errno == ENOSYS) {
        /* No clone3 (valgrind, old kernels, seccomp profiles that hide it):
         * clone(2) has CLONE_PIDFD too, but no CLONE_INTO_CGROUP, so the
         * caller attaches the child to its cgroup before releasing it. */
        args.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
        pid = syscall(SYS_clone, (unsigned long) args.flags | SIGCHLD, NULL, &pidfd, NULL, 0UL);
    }
    if (pid < 0)
        return negative_errno();
    if (pid == 0) {
        close(sync_parent);
        close(err_read);
        child_main(plan, sync_child, err_write);
    }

    ret->pid = (pid_t) pid;
    ret->in_cgroup = (args.flags & CLONE_INTO_CGROUP) != 0;
    ret->pidfd = pidfd;
    ret->fail_step = NULL;
    ret->fail_path[0] = '\0';
    r = prepare_child(plan, ret);
    if (r < 0) {
        /* EOF on its sync socket: the child exits before doing anything. */
        sync_parent = safe_close(sync_parent);
        (void) waitid((idtype_t) P_PIDFD, (id_t) pidfd, &(siginfo_t){0}, WEXITED);
        close(pidfd);
        spawn_trees_close(ret->trees);
        return r;
    }
    ret->errfd = TAKE_FD(err_read);
    ret->syncfd = TAKE_FD(sync_parent);
    return 0;
}

void spawn_trees_close(int trees[SPAWN_TREES_MAX])
{
    for (size_t i = 0; i < SPAWN_TREES_MAX; i++)
        trees[i] = safe_close(trees[i]);
}

int runtime_release(struct spawn_result *res)
{
    char go = 1, control[CMSG_SPACE(sizeof(int) * SPAWN_TREES_MAX)] = {0};
    struct iovec iov = {.iov_base = &go, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    size_t n_trees = 0;
    ssize_t n;
    int r;

    /* In order: the child takes the first as trees[0]. */
    while (n_trees < SPAWN_TREES_MAX && res->trees[n_trees] >= 0)
        n_trees++;
    if (n_trees > 0) {
        struct cmsghdr *cm;

        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_trees);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * n_trees);
        memcpy(CMSG_DATA(cm), res->trees, sizeof(int) * n_trees);
    }
    n = sendmsg(res->syncfd, &msg, MSG_NOSIGNAL);
    r = n == 1 ? 0 : negative_errno();
    res->syncfd = safe_close(res->syncfd);
    spawn_trees_close(res->trees);
    return r;
}
