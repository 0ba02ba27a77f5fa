/* SPDX-License-Identifier: MIT */
/* Copying a tree (rootfs_mode = copy) and removing one.
 *
 * The copy reads the source with *at() calls on directory fds opened
 * O_NOFOLLOW, checks that what it opened is what it looked at, and writes
 * through the unpack's tree writer, so that a copy gets exactly the
 * treatment an archive does (owners, modes, xattrs, hard links, symlinks
 * verbatim, no device nodes). Neither walk crosses a mount point: a copy
 * makes the mount point's directory and stops there; a removal refuses
 * (EXDEV), since what is mounted is not ours to delete. */
#include "image.h"

#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image-internal.h"
#include "macro.h"
#include "util.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

#define COPY_CHUNK (256 * 1024)

static dev_t statx_dev(const struct statx *stx)
{
    return makedev(stx->stx_dev_major, stx->stx_dev_minor);
}

/* A directory that is a mount's root (STATX_ATTR_MOUNT_ROOT, Linux 5.8,
 * also catches a bind mount of the same file system) or on another
 * device than its parent. */
static bool is_mount_point(const struct statx *stx, dev_t parent_dev)
{
    if ((stx->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
        (stx->stx_attributes & STATX_ATTR_MOUNT_ROOT))
        return true;
    return statx_dev(stx) != parent_dev;
}

static int statx_fd(int fd, struct statx *stx)
{
    if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, stx) < 0)
        return negative_errno();
    return 0;
}

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

/* The names in dirfd (not "." or ".."), read all at once so that the
 * directory stream is closed before the caller descends: one fd per
 * level of depth rather than two. */
static int read_names(int dirfd, char ***ret)
{
    _cleanup_(closedirp) DIR *d = NULL;
    _cleanup_strv_free_ char **names = NULL;
    struct dirent *de;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return negative_errno();
    d = fdopendir(fd);
    if (!d) {
        safe_close(fd);
        return negative_errno();
    }
    names = calloc(1, sizeof(char *));
    if (!names)
        return -ENOMEM;
    while ((errno = 0, de = readdir(d))) {
        char *copy;
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        copy = strdup(de->d_name);
        if (!copy || strv_push(&names, copy) < 0) {
            free(copy);
            return -ENOMEM;
        }
    }
    if (errno)
        return negative_errno();
    *ret = TAKE_PTR(names);
    return 0;
}

/* ---- removal ------------------------------------------------------------ */

static int remove_at(int dirfd, const char *name, dev_t parent_dev);

static int remove_children(int fd, dev_t dev)
{
    _cleanup_strv_free_ char **names = NULL;
    int r = read_names(fd, &names), q;

    if (r < 0)
        return r;
    for (char **n = names; *n; n++) {
        /* Most entries are not directories: one unlinkat() settles them. */
        if (unlinkat(fd, *n, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR) {
            if (r == 0)
                r = negative_errno();
            continue;
        }
        q = remove_at(fd, *n, dev);
        /* EXDEV says more than the ENOTEMPTY it causes above. */
        if (q < 0 && (r == 0 || q == -EXDEV))
            r = q;
    }
    return r;
}

/* A directory is opened (1, *ret_fd); anything else is unlinked (0), never
 * followed or opened: O_DIRECTORY|O_NOFOLLOW. 0 too if name is gone. */
static int open_dir_or_unlink(int dirfd, const char *name, int *ret_fd)
{
    *ret_fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*ret_fd >= 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    if (errno != ENOTDIR && errno != ELOOP)
        return negative_errno();
    return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? negative_errno() : 0;
}

static int remove_at(int dirfd, const char *name, dev_t parent_dev)
{
    _cleanup_close_ int fd = -EBADF;
    struct statx stx;
    int r;

    r = open_dir_or_unlink(dirfd, name, &fd);
    if (r <= 0)
        return r;
    /* Checked on what was opened, not on the name: a mount made between
     * a look and the open is still seen. */
    r = statx_fd(fd, &stx);
    if (r < 0)
        return r;
    if (is_mount_point(&stx, parent_dev))
        return -EXDEV;
    /* Write and search permission, which an unprivileged caller needs. */
    if ((stx.stx_mode & 0700) != 0700)
        (void) fchmod(fd, (stx.stx_mode & 07777) | 0700);
    r = remove_children(fd, statx_dev(&stx));
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
        r = negative_errno();
    return r;
}

int image_remove_tree_at(int dirfd, const char *name)
{
    _cleanup_close_ int fd = -EBADF, parent = -EBADF;
    struct statx stx;
    int r;

    r = open_dir_or_unlink(dirfd, name, &fd);
    if (r <= 0)
        return r;
    /* The device to stay on is the one name is on, which is its real
     * parent's, whatever dirfd and name look like ("/a/b", AT_FDCWD). */
    parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
        return negative_errno();
    r = statx_fd(parent, &stx);
    if (r < 0)
        return r;
    fd = safe_close(fd);
    return remove_at(dirfd, name, statx_dev(&stx));
}

/* ---- copy --------------------------------------------------------------- */

struct link_node {
    dev_t dev;
    ino_t ino;
    char path[]; /* the first copy's, relative */
};

struct copy {
    struct tree_writer *w;
    struct archive_entry *e;
    struct progress progress;
    uint64_t done;
    void *links; /* tsearch() tree of link_node: inodes with more than one link */
    char path[PATH_MAX];
    int datafd;      /* the regular file being copied */
    bool no_cfr;     /* copy_file_range() refused: read and write */
    char *buf;       /* for read and write */
    dev_t dev;       /* the source's file system */
    const char *src; /* for messages */
    char *why;
    size_t whylen;
};

static int cmp_link(const void *a, const void *b)
{
    const struct link_node *x = a, *y = b;

    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int fail(struct copy *c, int r)
{
    image_why(c->why, c->whylen, "'%s/%s': %s", c->src, c->path, strerror(-r));
    return r;
}

/* The first path of this inode copied, or NULL (then remember this one). */
static int seen_link(struct copy *c, const struct statx *stx, const char **ret)
{
    size_t len = strlen(c->path);
    struct link_node *node = malloc(sizeof(*node) + len + 1), **found;

    if (!node)
        return -ENOMEM;
    node->dev = statx_dev(stx);
    node->ino = stx->stx_ino;
    memcpy(node->path, c->path, len + 1);
    found = tsearch(node, &c->links, cmp_link);
    if (!found) {
        free(node);
        return -ENOMEM;
    }
    if (*found != node) {
        free(node);
        *ret = (*found)->path;
        return 0;
    }
    *ret = NULL;
    return 0;
}

static int read_xattrs(struct copy *c, int fd)
{
    _cleanup_free_ char *names = NULL;
    ssize_t n = flistxattr(fd, NULL, 0);

    if (n < 0)
        return errno == EOPNOTSUPP ? 0 : fail(c, negative_errno());
    if (n == 0)
        return 0;
    names = malloc((size_t) n);
    if (!names)
        return -ENOMEM;
    n = flistxattr(fd, names, (size_t) n);
    if (n < 0)
        return fail(c, negative_errno());
    for (char *p = names; p < names + n; p += strlen(p) + 1) {
        _cleanup_free_ void *value = NULL;
        ssize_t m = fgetxattr(fd, p, NULL, 0);

        if (m < 0 && errno == ENODATA)
            continue; /* removed since the listing */
        if (m < 0)
            return fail(c, negative_errno());
        value = malloc((size_t) m + 1);
        if (!value)
            return -ENOMEM;
        m = fgetxattr(fd, p, value, (size_t) m);
        if (m < 0)
            return fail(c, negative_errno());
        archive_entry_xattr_add_entry(c->e, p, value, (size_t) m);
    }
    return 0;
}

/* Copy [start, stop) of the source; returns how much (less at its end). */
static int64_t copy_range(struct copy *c, int fd, off_t start, off_t stop)
{
    off_t in = start, out = start;

    while (in < stop) {
        size_t want = (size_t) (stop - in < (1 << 30) ? stop - in : (1 << 30));
        ssize_t n = -1;

        if (!c->no_cfr) {
            n = copy_file_range(c->datafd, &in, fd, &out, want, 0);
            if (n < 0 && errno == EINTR)
                continue;
            /* Across file systems, or one that cannot: read and write. */
            if (n < 0 &&
                (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
                c->no_cfr = true;
            else if (n < 0)
                return negative_errno();
        }
        if (c->no_cfr) {
            if (!c->buf && !(c->buf = malloc(COPY_CHUNK)))
                return -ENOMEM;
            n = pread(c->datafd, c->buf, want < COPY_CHUNK ? want : COPY_CHUNK, in);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return negative_errno();
            for (ssize_t done = 0; done < n;) {
                ssize_t w = pwrite(fd, c->buf + done, (size_t) (n - done), out + done);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    return w < 0 ? negative_errno() : -EIO;
                done += w;
            }
            in += n;
            out += n;
        }
        if (n == 0)
            break; /* the end of the file, sooner than its size said */
        c->done += (uint64_t) n;
        image_progress(&c->progress, c->done, false);
    }
    return in - start;
}

/* The data regions only (SEEK_DATA / SEEK_HOLE): holes stay holes. */
static int64_t copy_data(void *userdata, int fd)
{
    struct copy *c = userdata;
    off_t off = 0;
    int64_t end = 0;

    for (;;) {
        off_t data = lseek(c->datafd, off, SEEK_DATA), hole;
        int64_t n;

        if (data < 0 && errno == ENXIO)
            return end; /* only a hole left */
        if (data < 0 && errno != EINVAL && errno != EOPNOTSUPP)
            return negative_errno();
        if (data < 0)
            data = off; /* no SEEK_DATA here: it is all data */
        hole = lseek(c->datafd, data, SEEK_HOLE);
        if (hole < 0)
            hole = INT64_MAX;
        n = copy_range(c, fd, data, hole);
        if (n < 0)
            return n;
        if (n > 0)
            end = data + n;
        if (n < hole - data)
            return end;
        off = hole;
    }
}

/* What was opened is what was looked at: not swapped for something else
 * (a symlink, a FIFO) in between. */
static int check_same(struct copy *c, int fd, const struct statx *stx)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return fail(c, negative_errno());
    if (st.st_ino != stx->stx_ino || st.st_dev != statx_dev(stx) ||
        (st.st_mode & S_IFMT) != (stx->stx_mode & S_IFMT)) {
        image_why(c->why, c->whylen, "'%s/%s': changed while being copied", c->src, c->path);
        return -EAGAIN;
    }
    return 0;
}

static void entry_from_statx(struct archive_entry *e, const char *path, const struct statx *stx)
{
    archive_entry_clear(e);
    archive_entry_copy_pathname(e, path);
    archive_entry_set_mode(e, stx->stx_mode);
    archive_entry_set_uid(e, stx->stx_uid);
    archive_entry_set_gid(e, stx->stx_gid);
    archive_entry_set_atime(e, stx->stx_atime.tv_sec, stx->stx_atime.tv_nsec);
    archive_entry_set_mtime(e, stx->stx_mtime.tv_sec, stx->stx_mtime.tv_nsec);
    if (S_ISREG(stx->stx_mode))
        archive_entry_set_size(e, (la_int64_t) stx->stx_size);
}

static int copy_dir(struct copy *c, int fd);

static int copy_entry(struct copy *c, int dirfd, const char *name)
{
    _cleanup_close_ int fd = -EBADF;
    mode_t type;
    struct statx stx;
    const char *first = NULL;
    int r;

    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &stx) < 0)
        return errno == ENOENT ? 0 : fail(c, negative_errno()); /* gone since the listing */
    type = stx.stx_mode & S_IFMT;
    if (type == S_IFSOCK)
        return 0;
    entry_from_statx(c->e, c->path, &stx);

    /* A second name of an inode is a hard link to the first one copied. */
    if (type != S_IFDIR && stx.stx_nlink > 1) {
        r = seen_link(c, &stx, &first);
        if (r < 0)
            return r;
        if (first) {
            archive_entry_copy_hardlink(c->e, first);
            return tree_writer_put(c->w, c->e, NULL, NULL);
        }
    }
    switch (type) {
    case S_IFDIR:
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        break;
    case S_IFREG:
        /* O_NONBLOCK: should a FIFO be swapped in, the open does not hang. */
        fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        break;
    case S_IFIFO:
        fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        break;
    case S_IFLNK: {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return fail(c, negative_errno());
        target[n] = 0;
        archive_entry_copy_symlink(c->e, target);
        return tree_writer_put(c->w, c->e, NULL, NULL);
    }
    default: /* a device node: the writer counts it and makes nothing */
        return tree_writer_put(c->w, c->e, NULL, NULL);
    }
    if (fd < 0)
        return fail(c, negative_errno());
    r = check_same(c, fd, &stx);
    if (r < 0)
        return r;
    r = read_xattrs(c, fd);
    if (r < 0)
        return r;
    c->datafd = fd;
    r = tree_writer_put(c->w, c->e, type == S_IFREG ? copy_data : NULL, c);
    c->datafd = -EBADF;
    if (r < 0 || type != S_IFDIR)
        return r;
    /* One file system: a mount point is copied as an empty directory. */
    if (is_mount_point(&stx, c->dev))
        return 0;
    return copy_dir(c, fd);
}

static int copy_dir(struct copy *c, int fd)
{
    _cleanup_strv_free_ char **names = NULL;
    size_t len = strlen(c->path);
    int r = read_names(fd, &names);

    if (r < 0)
        return fail(c, r);
    for (char **n = names; *n; n++) {
        int k = snprintf(c->path + len, sizeof(c->path) - len, "%s%s", len ? "/" : "", *n);
        if (k < 0 || (size_t) k >= sizeof(c->path) - len)
            return fail(c, -ENAMETOOLONG);
        r = copy_entry(c, fd, *n);
        c->path[len] = 0;
        if (r < 0)
            return r;
    }
    return 0;
}

static void tree_writer_freep(struct tree_writer **w)
{
    tree_writer_free(*w);
}

static int copy_into(struct copy *c, int srcfd, int rootfd, struct unpack_stats *stats)
{
    struct statx stx;
    int r;

    r = statx_fd(srcfd, &stx);
    if (r < 0)
        return fail(c, r);
    c->dev = statx_dev(&stx);
    r = tree_writer_new(rootfd, stats, c->why, c->whylen, &c->w);
    if (r < 0)
        return r;
    /* The root's owner, mode, times and xattrs, as an archive's "." entry. */
    entry_from_statx(c->e, ".", &stx);
    r = read_xattrs(c, srcfd);
    if (r < 0)
        return r;
    r = tree_writer_put(c->w, c->e, NULL, NULL);
    if (r < 0)
        return r;
    r = copy_dir(c, srcfd);
    if (r < 0)
        return r;
    r = tree_writer_finish(c->w);
    if (r < 0)
        return r;
    /* On disk before it is at dst: a crash never leaves a copy with holes there. */
    if (syncfs(rootfd) < 0)
        return fail(c, negative_errno());
    return 0;
}

int image_copy_tree(const char *src, const char *dst, image_progress_fn progress, void *userdata,
                    struct unpack_stats *stats, char *why, size_t whylen)
{
    _cleanup_close_ int srcfd = -EBADF, pfd = -EBADF, rootfd = -EBADF;
    _cleanup_free_ char *parent = NULL, *tmp_path = NULL;
    struct copy c = {
        .progress = {.fn = progress, .userdata = userdata},
        .datafd = -EBADF,
        .src = src,
        .why = why,
        .whylen = whylen,
    };
    struct unpack_stats local;
    const char *base, *tmp;
    struct stat st;
    char *slash;
    int r;

    if (why && whylen > 0)
        why[0] = 0;
    if (!stats)
        stats = &local;
    *stats = (struct unpack_stats){};
    srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (srcfd < 0) {
        r = negative_errno();
        image_why(why, whylen, "'%s': %s", src, strerror(-r));
        return r;
    }
    parent = strdup(dst);
    if (!parent)
        return -ENOMEM;
    base = strrchr(dst, '/') ? strrchr(dst, '/') + 1 : dst;
    if (!*base || streq(base, ".") || streq(base, "..")) {
        image_why(why, whylen, "'%s': not a name for a new directory", dst);
        return -EINVAL;
    }
    slash = strrchr(parent, '/');
    if (slash)
        slash[slash == parent ? 1 : 0] = 0; /* "/x": the parent is "/" */
    pfd = open(slash ? parent : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
        r = negative_errno();
        image_why(why, whylen, "'%s': %s", slash ? parent : ".", strerror(-r));
        return r;
    }
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        image_why(why, whylen, "'%s': already exists", dst);
        return -EEXIST;
    }
    if (errno != ENOENT) {
        r = negative_errno();
        image_why(why, whylen, "'%s': %s", dst, strerror(-r));
        return r;
    }
    /* Made beside dst and renamed: a partial copy is never at dst. */
    if (asprintf(&tmp_path, "%s.tmp-XXXXXX", dst) < 0)
        return -ENOMEM;
    if (!mkdtemp(tmp_path)) {
        r = negative_errno();
        image_why(why, whylen, "'%s': %s", tmp_path, strerror(-r));
        return r;
    }
    tmp = strrchr(tmp_path, '/') ? strrchr(tmp_path, '/') + 1 : tmp_path;
    rootfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    c.e = archive_entry_new();
    if (rootfd < 0 || !c.e)
        r = rootfd < 0 ? fail(&c, negative_errno()) : -ENOMEM;
    else
        r = copy_into(&c, srcfd, rootfd, stats);
    if (r >= 0 && renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE) < 0) {
        r = negative_errno();
        image_why(why, whylen, "'%s': %s", dst, strerror(-r));
    }
    if (r >= 0)
        image_progress(&c.progress, c.done, true);
    else
        (void) image_remove_tree_at(pfd, tmp);
    tree_writer_freep(&c.w);
    if (c.e)
        archive_entry_free(c.e);
    tdestroy(c.links, free);
    free(c.buf);
    return r < 0 ? r : 0;
}
