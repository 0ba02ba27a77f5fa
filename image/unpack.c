/* SPDX-License-Identifier: MIT */
/* The tree writer and the archive unpacker (see image-internal.h).
 *
 * An archive is hostile until proven otherwise, and the proof is made
 * here rather than delegated to archive_write_disk: every entry is
 * created relative to a directory fd that was itself opened below the
 * root without following a symbolic link (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), and the leaf is created with O_EXCL / O_NOFOLLOW
 * semantics, so no name in the archive can reach outside the tree:
 *   - a ".." component refuses the whole import;
 *   - a leading '/' is removed (counted: the user is told);
 *   - a parent that is, or passes through, a symbolic link refuses the
 *     import: symlinks are stored verbatim and only ever followed inside
 *     the container, after pivot_root;
 *   - a hard link is made to the inode its target names, a symlink
 *     itself rather than what it points at;
 *   - device nodes are not made (counted), sockets are ignored.
 * Owners are the archive's numbers, never names looked up on the host. */
#include "image-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util.h"

#define RESOLVE_TREE                                                                               \
    (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define READ_BLOCK (1024 * 1024)
#define PROGRESS_INTERVAL_MS 250

struct dir_times {
    char *path; /* relative to the root; "" is the root */
    unsigned depth;
    size_t seq; /* order of appearance: of two entries for a directory, the later wins */
    struct timespec ts[2];
};

struct tree_writer {
    int rootfd;
    /* The last parent directory opened (O_PATH): entries come grouped by
     * directory, so most need no path resolution at all. */
    char *parent;
    int parent_fd;
    struct dir_times *dirs;
    size_t n_dirs, n_dirs_alloc;
    /* Device nodes not made, so that a hard link to one is skipped too. */
    char **skipped;
    size_t n_skipped;
    struct unpack_stats *stats;
    char *why;
    size_t whylen;
};

void image_why(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (!why || whylen == 0 || why[0])
        return;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

void image_progress(struct progress *p, uint64_t done, bool final)
{
    uint64_t now;

    if (!p->fn)
        return;
    now = now_monotonic_ms();
    if (!final && now < p->next_ms)
        return;
    p->next_ms = now + PROGRESS_INTERVAL_MS;
    p->fn(p->userdata, done, p->total);
}

/* ---- names and path resolution ------------------------------------------ */

/* Write name into buf as a relative path without empty, "." or ".."
 * components: 1 if a leading '/' was removed, 0 if not, -EPERM for a ".."
 * component (refused rather than resolved: "a/../b" is not worth the
 * proof that it stays inside), -ENAMETOOLONG. */
static int normalize(const char *name, char *buf, size_t size)
{
    size_t n = 0;

    for (const char *p = name; *p;) {
        const char *end = strchrnul(p, '/');
        size_t len = (size_t) (end - p);

        if (len == 2 && p[0] == '.' && p[1] == '.')
            return -EPERM;
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (n + 1 + len >= size)
                return -ENAMETOOLONG;
            if (n > 0)
                buf[n++] = '/';
            memcpy(buf + n, p, len);
            n += len;
        }
        p = *end ? end + 1 : end;
    }
    buf[n] = 0;
    return name[0] == '/';
}

static bool is_symlink_at(int dirfd, const char *name)
{
    struct stat st;

    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* openat2() is Linux 5.6, and valgrind 3.19 does not know it: without it
 * the same resolution is made one component at a time. */
static bool no_openat2;

/* A normalised path below rootfd, one O_NOFOLLOW openat() per component:
 * with no ".." to resolve, that is RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS. */
static int open_walk(int rootfd, const char *path, int flags)
{
    _cleanup_close_ int cur = -EBADF, fd = -EBADF;
    char buf[PATH_MAX];
    char *p = buf, *slash;
    struct stat st;

    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return negative_errno();
    while ((slash = strchr(p, '/'))) {
        int next;

        *slash = 0;
        next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            int r = negative_errno();
            return r == -ENOTDIR && is_symlink_at(cur, p) ? -ELOOP : r;
        }
        closep(&cur);
        cur = next;
        p = slash + 1;
    }
    fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int r = negative_errno();
        return (r == -ENOTDIR || r == -ELOOP) && is_symlink_at(cur, p) ? -ELOOP : r;
    }
    /* O_PATH opens a symlink itself: a refusal unless O_NOFOLLOW asked for it. */
    if (!(flags & O_NOFOLLOW) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode))
        return -ELOOP;
    return TAKE_FD(fd);
}

/* Open path ("" is the root) below rootfd, never following a symbolic
 * link nor leaving the tree: -ELOOP if a component is a symlink. */
static int open_beneath(int rootfd, const char *path, int flags)
{
    if (!path[0])
        path = ".";
    if (!no_openat2) {
        struct open_how how = {.flags = (uint64_t) (flags | O_CLOEXEC), .resolve = RESOLVE_TREE};

        for (int tries = 0; tries < 8; tries++) {
            int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
            if (fd >= 0)
                return fd;
            /* EAGAIN: a rename raced the resolution; try again. */
            if (errno != EAGAIN)
                break;
        }
        if (errno != ENOSYS)
            return negative_errno();
        no_openat2 = true;
    }
    return open_walk(rootfd, path, flags);
}

/* The first component of path (below rootfd) that is a symbolic link, for
 * the message only: every component before it is a real directory, so
 * fstatat() on the prefixes follows nothing. */
static void find_symlink(int rootfd, const char *path, char *ret, size_t size)
{
    char buf[PATH_MAX];

    snprintf(ret, size, "%s", path);
    if (strlen(path) >= sizeof(buf))
        return;
    strcpy(buf, path);
    for (char *p = buf;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (is_symlink_at(rootfd, buf)) {
                snprintf(ret, size, "%s", buf);
                return;
            }
            if (!c)
                return;
            *p = c;
        }
    }
}

/* ---- the writer ------------------------------------------------------------ */

int tree_writer_new(int rootfd, struct unpack_stats *stats, char *why, size_t whylen,
                    struct tree_writer **ret)
{
    struct tree_writer *w = calloc(1, sizeof(*w));

    if (!w)
        return -ENOMEM;
    w->rootfd = rootfd;
    w->parent_fd = -EBADF;
    *stats = (struct unpack_stats){};
    w->stats = stats;
    w->why = why;
    w->whylen = whylen;
    *ret = w;
    return 0;
}

static void forget_parent(struct tree_writer *w)
{
    free(w->parent);
    w->parent = NULL;
    w->parent_fd = safe_close(w->parent_fd);
}

void tree_writer_free(struct tree_writer *w)
{
    if (!w)
        return;
    forget_parent(w);
    for (size_t i = 0; i < w->n_dirs; i++)
        free(w->dirs[i].path);
    free(w->dirs);
    for (size_t i = 0; i < w->n_skipped; i++)
        free(w->skipped[i]);
    free(w->skipped);
    free(w);
}

static int fail(struct tree_writer *w, const char *path, int r)
{
    image_why(w->why, w->whylen, "'%s': %s", path, strerror(-r));
    return r;
}

static int fail_errno(struct tree_writer *w, const char *path)
{
    return fail(w, path, negative_errno());
}

/* The directory at path is gone: the cached parent may be it or below it. */
static void removed_dir(struct tree_writer *w, const char *path)
{
    size_t n = strlen(path);

    if (w->parent && strncmp(w->parent, path, n) == 0 && (!w->parent[n] || w->parent[n] == '/'))
        forget_parent(w);
}

/* One component below dirfd, as an O_PATH fd; -ELOOP for a symlink. */
static int open_component(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOTDIR && is_symlink_at(dirfd, name))
        return -ELOOP;
    return fd < 0 ? negative_errno() : fd;
}

/* A directory the archive does not list but needs (it names "a/b/c"
 * without "a/"): root's and 0755, as tar makes them, whatever the umask or
 * a set-group-ID parent would give. */
static int make_implicit_dir(int dirfd, const char *name)
{
    _cleanup_close_ int fd = -EBADF;

    if (mkdirat(dirfd, name, 0700) < 0)
        return errno == EEXIST ? 0 : negative_errno();
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchown(fd, 0, 0) < 0 || fchmod(fd, 0755) < 0)
        return negative_errno();
    return 0;
}

/* Make parent's missing directories, one mkdirat() per component, none
 * through a symlink; returns an O_PATH fd of parent. */
static int make_parents(struct tree_writer *w, const char *parent)
{
    _cleanup_close_ int cur = -EBADF;
    char buf[PATH_MAX];
    char *p = buf;

    if (strlen(parent) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, parent);
    cur = openat(w->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return negative_errno();
    for (;;) {
        char *slash = strchr(p, '/');
        int fd, r;

        if (slash)
            *slash = 0;
        fd = open_component(cur, p);
        if (fd == -ENOENT) {
            r = make_implicit_dir(cur, p);
            if (r < 0)
                return r;
            fd = open_component(cur, p);
        }
        if (fd < 0)
            return fd;
        closep(&cur);
        cur = fd;
        if (!slash)
            return TAKE_FD(cur);
        p = slash + 1;
    }
}

static int refuse_symlink(struct tree_writer *w, const char *path, const char *through)
{
    char link[PATH_MAX];

    find_symlink(w->rootfd, through, link, sizeof(link));
    image_why(w->why, w->whylen, "'%s': refused: the path passes through the symbolic link '%s'",
              path, link);
    return -EPERM;
}

/* The directory that will hold path's leaf, created if missing. */
static int get_parent(struct tree_writer *w, const char *parent, const char *path, int *ret)
{
    _cleanup_free_ char *copy = NULL;
    int fd;

    if (w->parent && streq(w->parent, parent)) {
        *ret = w->parent_fd;
        return 0;
    }
    forget_parent(w);
    copy = strdup(parent);
    if (!copy)
        return -ENOMEM;
    fd = open_beneath(w->rootfd, parent, O_PATH | O_DIRECTORY);
    if (fd == -ENOENT)
        fd = make_parents(w, parent);
    if (fd == -ELOOP)
        return refuse_symlink(w, path, parent);
    if (fd < 0)
        return fail(w, path, fd);
    w->parent = TAKE_PTR(copy);
    w->parent_fd = fd;
    *ret = fd;
    return 0;
}

/* Clear dfd/leaf for a non-directory: an archive may name a path twice,
 * and the later entry wins. Never a directory that is not empty: it would
 * take entries written before with it. */
static int make_room(struct tree_writer *w, int dfd, const char *leaf, const char *path)
{
    if (unlinkat(dfd, leaf, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR)
        return fail_errno(w, path);
    if (unlinkat(dfd, leaf, AT_REMOVEDIR) < 0) {
        if (errno == ENOTEMPTY || errno == EEXIST) {
            image_why(w->why, w->whylen,
                      "'%s': refused: the archive names it again as a non-directory, but it is a "
                      "directory that is not empty",
                      path);
            return -ENOTEMPTY;
        }
        return fail_errno(w, path);
    }
    removed_dir(w, path);
    return 0;
}

/* ---- metadata ------------------------------------------------------------ */

static int entry_owner(struct tree_writer *w, struct archive_entry *e, const char *path, uid_t *uid,
                       gid_t *gid)
{
    int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);

    /* (uid_t) -1 is chown's "leave it": never an owner. */
    if (u < 0 || u >= (int64_t) UINT32_MAX || g < 0 || g >= (int64_t) UINT32_MAX) {
        image_why(w->why, w->whylen, "'%s': owner %lld:%lld out of range", path, (long long) u,
                  (long long) g);
        return -ERANGE;
    }
    *uid = (uid_t) u;
    *gid = (gid_t) g;
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[0] = (struct timespec){.tv_nsec = UTIME_OMIT};
    ts[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
    if (archive_entry_atime_is_set(e))
        ts[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
    if (archive_entry_mtime_is_set(e))
        ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
}

/* user.* xattrs: the kernel takes them on files and directories only. */
static int set_xattrs(struct tree_writer *w, int fd, struct archive_entry *e, const char *path,
                      bool user_ok)
{
    const char *name;
    const void *value;
    size_t size;

    if (archive_entry_xattr_reset(e) == 0)
        return 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        /* trusted.* is the kernel's and root's own: overlayfs keeps its
         * redirects, whiteouts and origins there, and an image is an
         * overlay's lower layer. Nothing of a container's needs one. */
        if (strncmp(name, "trusted.", 8) == 0) {
            w->stats->xattrs_skipped++;
            continue;
        }
        if (!user_ok && strncmp(name, "user.", 5) == 0) {
            w->stats->xattrs_skipped++;
            continue;
        }
        if (fsetxattr(fd, name, value, size, 0) == 0)
            continue;
        if (errno == EOPNOTSUPP) {
            w->stats->xattrs_skipped++;
            continue;
        }
        image_why(w->why, w->whylen, "'%s': cannot set the extended attribute '%s': %s", path, name,
                  strerror(errno));
        return negative_errno();
    }
    return 0;
}

/* Owner first; then the mode, since chown clears set-user-ID; then the
 * xattrs, since chown also clears security.capability. */
static int set_meta(struct tree_writer *w, int fd, struct archive_entry *e, const char *path,
                    bool user_xattrs)
{
    uid_t uid;
    gid_t gid;
    int r = entry_owner(w, e, path, &uid, &gid);

    if (r < 0)
        return r;
    if (fchown(fd, uid, gid) < 0 || fchmod(fd, archive_entry_perm(e) & 07777) < 0)
        return fail_errno(w, path);
    return set_xattrs(w, fd, e, path, user_xattrs);
}

static int remember_dir(struct tree_writer *w, const char *path, struct archive_entry *e)
{
    struct dir_times *d;

    if (!archive_entry_mtime_is_set(e) && !archive_entry_atime_is_set(e))
        return 0;
    if (w->n_dirs == w->n_dirs_alloc) {
        size_t n = w->n_dirs_alloc ? w->n_dirs_alloc * 2 : 64;
        struct dir_times *v = reallocarray(w->dirs, n, sizeof(*v));
        if (!v)
            return -ENOMEM;
        w->dirs = v;
        w->n_dirs_alloc = n;
    }
    d = &w->dirs[w->n_dirs];
    d->path = strdup(path);
    if (!d->path)
        return -ENOMEM;
    d->depth = 0;
    for (const char *p = path; *p; p++)
        d->depth += *p == '/';
    d->depth += path[0] != 0;
    d->seq = w->n_dirs++;
    entry_times(e, d->ts);
    return 0;
}

/* ---- entries ------------------------------------------------------------- */

static int put_root(struct tree_writer *w, struct archive_entry *e, const char *name)
{
    int r;

    if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e)) {
        image_why(w->why, w->whylen, "'%s': refused: the image's root must be a directory", name);
        return -EPERM;
    }
    r = set_meta(w, w->rootfd, e, ".", true);
    if (r < 0)
        return r;
    w->stats->dirs++;
    return remember_dir(w, "", e);
}

static int put_dir(struct tree_writer *w, int dfd, const char *leaf, const char *path,
                   struct archive_entry *e)
{
    _cleanup_close_ int fd = -EBADF;
    struct stat st;
    int r;

    /* 0700 until its own mode is set, after its owner. */
    if (mkdirat(dfd, leaf, 0700) < 0) {
        if (errno != EEXIST || fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return fail_errno(w, path);
        /* A directory named twice is updated; anything else is replaced. */
        if (!S_ISDIR(st.st_mode) && (unlinkat(dfd, leaf, 0) < 0 || mkdirat(dfd, leaf, 0700) < 0))
            return fail_errno(w, path);
    }
    fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(w, path);
    r = set_meta(w, fd, e, path, true);
    if (r < 0)
        return r;
    w->stats->dirs++;
    return remember_dir(w, path, e);
}

static int put_file(struct tree_writer *w, int dfd, const char *leaf, const char *path,
                    struct archive_entry *e, tree_data_fn data, void *userdata)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    _cleanup_close_ int fd = -EBADF;
    int64_t size = archive_entry_size(e), end = 0;
    struct timespec ts[2];
    int r;

    /* O_EXCL|O_NOFOLLOW: a file is always new, never written through
     * whatever (a symlink, say) an earlier entry left at its name. */
    fd = openat(dfd, leaf, flags, 0600);
    if (fd < 0 && errno == EEXIST) {
        r = make_room(w, dfd, leaf, path);
        if (r < 0)
            return r;
        fd = openat(dfd, leaf, flags, 0600);
    }
    if (fd < 0)
        return fail_errno(w, path);
    if (data) {
        end = data(userdata, fd);
        if (end < 0)
            return fail(w, path, (int) end);
    }
    /* The data ends at its last block: a trailing hole is ftruncate's. */
    if (size >= 0 && end != size && ftruncate(fd, size) < 0)
        return fail_errno(w, path);
    r = set_meta(w, fd, e, path, true);
    if (r < 0)
        return r;
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return fail_errno(w, path);
    w->stats->files++;
    w->stats->bytes += size > 0 ? (uint64_t) size : 0;
    return 0;
}

static int put_symlink(struct tree_writer *w, int dfd, const char *leaf, const char *path,
                       struct archive_entry *e)
{
    const char *target = archive_entry_symlink(e) ?: archive_entry_symlink_utf8(e);
    struct timespec ts[2];
    uid_t uid;
    gid_t gid;
    int r;

    if (!target || !target[0]) {
        image_why(w->why, w->whylen, "'%s': a symbolic link without a target", path);
        return -EINVAL;
    }
    r = entry_owner(w, e, path, &uid, &gid);
    if (r < 0)
        return r;
    /* Stored as it is: only the container, after pivot_root, follows it. */
    if (symlinkat(target, dfd, leaf) < 0) {
        if (errno != EEXIST)
            return fail_errno(w, path);
        r = make_room(w, dfd, leaf, path);
        if (r < 0)
            return r;
        if (symlinkat(target, dfd, leaf) < 0)
            return fail_errno(w, path);
    }
    /* Linux keeps no user.* xattrs on a symlink, and a container needs
     * none on one: counted, so that the user hears of them. */
    w->stats->xattrs_skipped += (uint64_t) archive_entry_xattr_count(e);
    entry_times(e, ts);
    if (fchownat(dfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno(w, path);
    w->stats->symlinks++;
    return 0;
}

static int put_fifo(struct tree_writer *w, int dfd, const char *leaf, const char *path,
                    struct archive_entry *e)
{
    _cleanup_close_ int fd = -EBADF;
    struct timespec ts[2];
    int r;

    if (mknodat(dfd, leaf, S_IFIFO | 0600, 0) < 0) {
        if (errno != EEXIST)
            return fail_errno(w, path);
        r = make_room(w, dfd, leaf, path);
        if (r < 0)
            return r;
        if (mknodat(dfd, leaf, S_IFIFO | 0600, 0) < 0)
            return fail_errno(w, path);
    }
    /* O_NONBLOCK: opening a FIFO to read would otherwise wait for a writer. */
    fd = openat(dfd, leaf, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(w, path);
    r = set_meta(w, fd, e, path, false);
    if (r < 0)
        return r;
    entry_times(e, ts);
    if (futimens(fd, ts) < 0)
        return fail_errno(w, path);
    return 0;
}

static bool was_skipped(struct tree_writer *w, const char *path)
{
    for (size_t i = 0; i < w->n_skipped; i++)
        if (streq(w->skipped[i], path))
            return true;
    return false;
}

static int skip_device(struct tree_writer *w, const char *path)
{
    char **v = reallocarray(w->skipped, w->n_skipped + 1, sizeof(*v));

    if (!v)
        return -ENOMEM;
    w->skipped = v;
    v[w->n_skipped] = strdup(path);
    if (!v[w->n_skipped])
        return -ENOMEM;
    w->n_skipped++;
    w->stats->skipped_devices++;
    return 1;
}

/* 1: not made (a link to a device node that was not made either). */
static int put_hardlink(struct tree_writer *w, int dfd, const char *leaf, const char *path,
                        const char *target_name)
{
    _cleanup_close_ int tfd = -EBADF;
    char target[PATH_MAX];
    struct stat st, old;
    int r;

    r = normalize(target_name, target, sizeof(target));
    if (r == -EPERM) {
        image_why(w->why, w->whylen,
                  "'%s': refused: its hard link target '%s' leaves the image (a '..' component)",
                  path, target_name);
        return r;
    }
    if (r < 0)
        return fail(w, path, r);
    if (!target[0]) {
        image_why(w->why, w->whylen, "'%s': refused: a hard link to the image's root", path);
        return -EPERM;
    }
    /* O_PATH|O_NOFOLLOW: a link to a symlink is to the symlink itself,
     * never to what it points at. */
    tfd = open_beneath(w->rootfd, target, O_PATH | O_NOFOLLOW);
    if (tfd == -ELOOP) {
        char link[PATH_MAX];
        find_symlink(w->rootfd, target, link, sizeof(link));
        image_why(w->why, w->whylen,
                  "'%s': refused: its hard link target '%s' passes through the symbolic link '%s'",
                  path, target, link);
        return -EPERM;
    }
    if (tfd == -ENOENT && was_skipped(w, target))
        return skip_device(w, path);
    if (tfd == -ENOENT) {
        image_why(w->why, w->whylen,
                  "'%s': its hard link target '%s' is not in the archive before it", path, target);
        return -ENOENT;
    }
    if (tfd < 0)
        return fail(w, path, tfd);
    if (fstat(tfd, &st) < 0)
        return fail_errno(w, path);
    if (S_ISDIR(st.st_mode)) {
        image_why(w->why, w->whylen, "'%s': refused: a hard link to the directory '%s'", path,
                  target);
        return -EPERM;
    }
    /* AT_EMPTY_PATH links the inode tfd holds, with nothing to resolve. */
    if (linkat(tfd, "", dfd, leaf, AT_EMPTY_PATH) < 0) {
        if (errno != EEXIST)
            return fail_errno(w, path);
        /* Already this very file: an archive that names the link twice. */
        if (fstatat(dfd, leaf, &old, AT_SYMLINK_NOFOLLOW) == 0 && old.st_dev == st.st_dev &&
            old.st_ino == st.st_ino)
            goto done;
        r = make_room(w, dfd, leaf, path);
        if (r < 0)
            return r;
        if (linkat(tfd, "", dfd, leaf, AT_EMPTY_PATH) < 0)
            return fail_errno(w, path);
    }
done:
    w->stats->hardlinks++;
    return 0;
}

int tree_writer_put(struct tree_writer *w, struct archive_entry *e, tree_data_fn data,
                    void *userdata)
{
    const char *name = archive_entry_pathname(e) ?: archive_entry_pathname_utf8(e);
    const char *hardlink = archive_entry_hardlink(e) ?: archive_entry_hardlink_utf8(e);
    mode_t type = archive_entry_filetype(e);
    char path[PATH_MAX], parent[PATH_MAX];
    const char *leaf;
    char *slash;
    int dfd, r;

    if (!name) {
        image_why(w->why, w->whylen, "an entry without a name");
        return -EINVAL;
    }
    r = normalize(name, path, sizeof(path));
    if (r == -EPERM) {
        image_why(w->why, w->whylen, "'%s': the path leaves the image (a '..' component)", name);
        return r;
    }
    if (r < 0)
        return fail(w, name, r);
    if (r > 0)
        w->stats->stripped_absolute++;

    if (!path[0])
        r = put_root(w, e, name);
    else if (!hardlink && (type == AE_IFCHR || type == AE_IFBLK))
        return skip_device(w, path);
    else if (!hardlink && type == AE_IFSOCK)
        return 1; /* made by whoever listens on it, not by an image */
    else if (!hardlink && type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK &&
             type != AE_IFIFO) {
        image_why(w->why, w->whylen, "'%s': an entry of unknown type (0%o)", path, type);
        return -EINVAL;
    } else {
        slash = strrchr(path, '/');
        leaf = slash ? slash + 1 : path;
        snprintf(parent, sizeof(parent), "%.*s", slash ? (int) (slash - path) : 0, path);
        r = get_parent(w, parent, path, &dfd);
        if (r < 0)
            return r;
        if (hardlink)
            r = put_hardlink(w, dfd, leaf, path, hardlink);
        else if (type == AE_IFDIR)
            r = put_dir(w, dfd, leaf, path, e);
        else if (type == AE_IFREG)
            r = put_file(w, dfd, leaf, path, e, data, userdata);
        else if (type == AE_IFLNK)
            r = put_symlink(w, dfd, leaf, path, e);
        else
            r = put_fifo(w, dfd, leaf, path, e);
    }
    if (r == 0)
        w->stats->entries++;
    return r;
}

static int cmp_dirs(const void *a, const void *b)
{
    const struct dir_times *x = a, *y = b;

    if (x->depth != y->depth)
        return x->depth > y->depth ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int tree_writer_finish(struct tree_writer *w)
{
    forget_parent(w);
    qsort(w->dirs, w->n_dirs, sizeof(*w->dirs), cmp_dirs);
    for (size_t i = 0; i < w->n_dirs; i++) {
        const struct dir_times *d = &w->dirs[i];
        _cleanup_close_ int fd = open_beneath(w->rootfd, d->path, O_RDONLY | O_DIRECTORY);

        /* Replaced by a later entry (a file, a symlink): its times went with it. */
        if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
            continue;
        if (fd < 0)
            return fail(w, d->path[0] ? d->path : ".", fd);
        if (futimens(fd, d->ts) < 0)
            return fail_errno(w, d->path[0] ? d->path : ".");
    }
    return 0;
}

/* ---- archives ------------------------------------------------------------ */

struct archive *image_reader_new(void)
{
    struct archive *a = archive_read_new();

    if (!a)
        return NULL;
    /* Tar only: the formats a root file system comes in, and the smallest
     * parser to trust. */
    if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_support_format_gnutar(a) != ARCHIVE_OK ||
        archive_read_support_filter_none(a) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    /* Never archive_read_support_filter_all(): a filter whose library
     * libarchive was built without falls back to running an external
     * program. So each is registered only if its library is there. */
    if (archive_zlib_version())
        (void) archive_read_support_filter_gzip(a);
    if (archive_bzlib_version())
        (void) archive_read_support_filter_bzip2(a);
    if (archive_liblzma_version()) {
        (void) archive_read_support_filter_xz(a);
        (void) archive_read_support_filter_lzma(a);
    }
    if (archive_libzstd_version())
        (void) archive_read_support_filter_zstd(a);
    return a;
}

struct unpack {
    struct archive *a;
    const char *label;
    const char *entry; /* the entry being read, for messages */
    struct progress progress;
    char *why;
    size_t whylen;
};

static int not_a_tar(struct archive *a, const char *label, char *why, size_t whylen)
{
    image_why(why, whylen, "'%s': not a tar archive (or a compressed one): %s", label,
              archive_error_string(a) ?: "unrecognized data");
    return -EINVAL;
}

static int not_an_archive(struct unpack *u)
{
    return not_a_tar(u->a, u->label, u->why, u->whylen);
}

static int damaged(struct unpack *u, const char *where)
{
    int e = archive_errno(u->a);

    image_why(u->why, u->whylen, "'%s': damaged or truncated archive (%s '%s'): %s", u->label,
              where, u->entry ?: "?", archive_error_string(u->a) ?: "read error");
    /* A format error (libarchive's EILSEQ, or its -1) is the archive's
     * fault; an I/O error is the system's. */
    return e > 0 && e != EILSEQ ? -e : -EINVAL;
}

static int64_t write_data(void *userdata, int fd)
{
    struct unpack *u = userdata;
    int64_t end = 0;

    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t offset;
        int r = archive_read_data_block(u->a, &buf, &size, &offset);

        if (r == ARCHIVE_EOF)
            return end;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return damaged(u, "at");
        /* At the block's offset: a sparse file's holes stay holes. */
        for (size_t done = 0; done < size;) {
            ssize_t n = pwrite(fd, (const char *) buf + done, size - done, offset + (off_t) done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? negative_errno() : -EIO;
            done += (size_t) n;
        }
        if (offset + (int64_t) size > end)
            end = offset + (int64_t) size;
        image_progress(&u->progress, (uint64_t) archive_filter_bytes(u->a, -1), false);
    }
}

static void archive_freep(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}

static void tree_writer_freep(struct tree_writer **w)
{
    tree_writer_free(*w);
}

/* The archive's bytes as libarchive reads them, hashed on the way: the id
 * an import stores is that of what was unpacked, not of what an earlier
 * read of the file saw. */
struct hashing_reader {
    int fd;
    struct sha256_ctx ctx;
    uint8_t *buf;
};

static la_ssize_t hashing_read(struct archive *a, void *userdata, const void **ret)
{
    struct hashing_reader *h = userdata;
    ssize_t n;

    do
        n = read(h->fd, h->buf, READ_BLOCK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "read: %s", strerror(errno));
        return -1;
    }
    sha256_update(&h->ctx, (size_t) n, h->buf);
    *ret = h->buf;
    return n;
}

void image_hex_digest(struct sha256_ctx *ctx, char id[static IMAGE_ID_LEN + 1])
{
    uint8_t digest[SHA256_DIGEST_SIZE];

    sha256_digest(ctx, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++)
        snprintf(id + 2 * i, 3, "%02x", digest[i]);
}

/* What follows the archive's end marker (tar pads to a record) is part of
 * the file's hash too. */
static int hash_rest(struct hashing_reader *h)
{
    for (;;) {
        ssize_t n = read(h->fd, h->buf, READ_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return negative_errno();
        if (n == 0)
            return 0;
        sha256_update(&h->ctx, (size_t) n, h->buf);
    }
}

int image_unpack(int fd, const char *label, uint64_t total, int rootfd, image_progress_fn progress,
                 void *userdata, struct unpack_stats *stats, char *ret_id, char *why, size_t whylen)
{
    _cleanup_(archive_freep) struct archive *a = image_reader_new();
    _cleanup_(tree_writer_freep) struct tree_writer *w = NULL;
    _cleanup_free_ uint8_t *buf = malloc(READ_BLOCK);
    struct hashing_reader h = {.fd = fd, .buf = buf};
    struct unpack u = {
        .a = a,
        .label = label,
        .progress = {.fn = progress, .userdata = userdata, .total = total},
        .why = why,
        .whylen = whylen,
    };
    struct archive_entry *e;
    int r;

    if (!a || !buf)
        return -ENOMEM;
    sha256_init(&h.ctx);
    if (archive_read_open(a, &h, NULL, hashing_read, NULL) != ARCHIVE_OK)
        return not_an_archive(&u);
    r = tree_writer_new(rootfd, stats, why, whylen, &w);
    if (r < 0)
        return r;
    for (uint64_t n = 0;; n++) {
        r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF && n == 0) {
            image_why(why, whylen, "'%s': an empty archive", label);
            return -EINVAL;
        }
        if (r == ARCHIVE_EOF)
            break;
        /* ARCHIVE_WARN: a name not in the locale's charset, say. */
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return n == 0 ? not_an_archive(&u) : damaged(&u, "after");
        u.entry = archive_entry_pathname(e) ?: archive_entry_pathname_utf8(e);
        r = tree_writer_put(w, e, write_data, &u);
        if (r < 0)
            return r;
        image_progress(&u.progress, (uint64_t) archive_filter_bytes(a, -1), false);
    }
    r = tree_writer_finish(w);
    if (r < 0)
        return r;
    if (ret_id) {
        r = hash_rest(&h);
        if (r < 0) {
            image_why(why, whylen, "'%s': %s", label, strerror(-r));
            return r;
        }
        image_hex_digest(&h.ctx, ret_id);
    }
    image_progress(&u.progress, total, true);
    return 0;
}

int image_open_archive(const char *path, struct stat *ret_st, char *why, size_t whylen)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    int r;

    if (fd < 0 || fstat(fd, ret_st) < 0) {
        r = negative_errno();
        image_why(why, whylen, "'%s': %s", path, strerror(-r));
        return r;
    }
    if (!S_ISREG(ret_st->st_mode)) {
        image_why(why, whylen, "'%s': not a regular file (expected a tar archive)", path);
        return -EINVAL;
    }
    return TAKE_FD(fd);
}

int image_probe_archive(const char *path, char *why, size_t whylen)
{
    _cleanup_(archive_freep) struct archive *a = NULL;
    _cleanup_close_ int fd = -EBADF;
    struct archive_entry *e;
    struct stat st;
    int r;

    if (why && whylen > 0)
        why[0] = 0;
    fd = image_open_archive(path, &st, why, whylen);
    if (fd < 0)
        return fd;
    a = image_reader_new();
    if (!a)
        return -ENOMEM;
    if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK)
        return not_a_tar(a, path, why, whylen);
    r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) {
        image_why(why, whylen, "'%s': an empty archive", path);
        return -EINVAL;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return not_a_tar(a, path, why, whylen);
    return 0;
}
