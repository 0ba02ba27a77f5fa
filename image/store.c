/* SPDX-License-Identifier: MIT */
/* The image store (see image.h for its layout).
 *
 * Locks, and why each is there:
 *   - images/.lock, LOCK_EX: a commit, a removal and a sweep each see and
 *     change the set of images, names and sources as one step;
 *   - images/.lock, LOCK_SH: a lookup, a use, and the making of a tmp-*
 *     directory (made and flocked under it, so that a sweep, which takes
 *     it exclusively, never finds a live import's directory unlocked);
 *   - a flock on tmp-* / trash-*: held by whoever works in it, for as long
 *     as it does; what nobody holds was left by a crash, and is swept;
 *   - LOCK_SH on sha256-HEX: a container's use. A removal tries LOCK_EX
 *     without blocking, under the store's LOCK_EX, so that no use can
 *     start between its check and its rename.
 * An unpack is long and holds only its tmp-* lock; the store's lock is
 * held for renames and links only. */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image-internal.h"
#include "macro.h"
#include "config/config.h"
#include "util.h"

#define HASH_BLOCK (1024 * 1024)
#define ID_PREFIX_MIN 12
#define DIR_NAME_MAX (sizeof("sha256-") + IMAGE_ID_LEN)
#define SOURCE_KEY_MAX 96
#define NAME_EXPECTED                                                                              \
    "expected 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-', starting with a "        \
    "letter or digit"

struct image_store {
    char *path; /* state_dir/images */
    int fd;
    int names_fd, sources_fd;
};

static void why_reset(char *why, size_t whylen)
{
    if (why && whylen > 0)
        why[0] = 0;
}

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

static bool is_hex(const char *s, size_t n)
{
    return strspn(s, "0123456789abcdef") == n && !s[n];
}

static void dir_name(const char *id, char buf[static DIR_NAME_MAX])
{
    snprintf(buf, DIR_NAME_MAX, "sha256-%s", id);
}

/* An entry of the store's directory that is an image: its id, or NULL. */
static const char *id_of_dir_name(const char *name)
{
    return strncmp(name, "sha256-", 7) == 0 && is_hex(name + 7, IMAGE_ID_LEN) ? name + 7 : NULL;
}

static bool image_exists(struct image_store *s, const char *id)
{
    char dir[DIR_NAME_MAX];
    struct stat st;

    dir_name(id, dir);
    return fstatat(s->fd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* A fresh descriptor for each lock, so that locks taken by one process
 * through two store calls never convert each other. */
static int lock_store(struct image_store *s, int op)
{
    _cleanup_close_ int fd =
        openat(s->fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return negative_errno();
    while (flock(fd, op) < 0)
        if (errno != EINTR)
            return negative_errno();
    return TAKE_FD(fd);
}

static DIR *opendir_at(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0)
        return NULL;
    d = fdopendir(fd);
    if (!d)
        safe_close(fd);
    return d;
}

/* names/NAME and sources/KEY are symlinks to "../sha256-HEX". */
static int read_link_id(int dirfd, const char *name, char id[static IMAGE_ID_LEN + 1])
{
    char target[DIR_NAME_MAX + 8];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

    if (n < 0)
        return negative_errno();
    target[n] = 0;
    if (strncmp(target, "../", 3) != 0 || !id_of_dir_name(target + 3))
        return -EINVAL;
    memcpy(id, target + 3 + 7, IMAGE_ID_LEN + 1);
    return 0;
}

/* Point dirfd/name at the image, replacing what it pointed at, in one
 * rename: a reader sees the old link or the new one. Under the store's
 * LOCK_EX, which keeps the temporary name ours. */
static int set_link(int dirfd, const char *name, const char *id)
{
    char target[DIR_NAME_MAX + 3], tmp[NAME_MAX + 1];
    int r;

    snprintf(target, sizeof(target), "../sha256-%s", id);
    snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
    (void) unlinkat(dirfd, tmp, 0); /* left by a crash */
    if (symlinkat(target, dirfd, tmp) < 0)
        return negative_errno();
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        r = negative_errno();
        (void) unlinkat(dirfd, tmp, 0);
        return r;
    }
    return 0;
}

/* Remove the links in dirfd that point at id (NULL: at no image, or
 * hidden temporaries). */
static int drop_links(struct image_store *s, int dirfd, const char *id)
{
    _cleanup_(closedirp) DIR *d = opendir_at(dirfd);
    struct dirent *de;
    int r = 0;

    if (!d)
        return negative_errno();
    while ((de = readdir(d))) {
        char target[IMAGE_ID_LEN + 1];
        bool drop;

        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        if (id)
            drop = read_link_id(dirfd, de->d_name, target) == 0 && streq(target, id);
        else
            drop = de->d_name[0] == '.' || read_link_id(dirfd, de->d_name, target) < 0 ||
                   !image_exists(s, target);
        if (drop && unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
            r = negative_errno();
    }
    return r;
}

/* Whether names/name is a name of the image (not a hidden temporary). */
static bool is_name_of(struct image_store *s, const char *name, const char *id)
{
    char target[IMAGE_ID_LEN + 1];

    return name[0] != '.' && read_link_id(s->names_fd, name, target) == 0 && streq(target, id);
}

/* The image's first name in sort order, or NULL (not an error). */
static char *first_name(struct image_store *s, const char *id)
{
    _cleanup_(closedirp) DIR *d = opendir_at(s->names_fd);
    const char *best = NULL;
    _cleanup_free_ char *copy = NULL;
    struct dirent *de;

    if (!d)
        return NULL;
    while ((de = readdir(d))) {
        if (!is_name_of(s, de->d_name, id))
            continue;
        if (!best || strcmp(de->d_name, best) < 0) {
            free(copy);
            copy = strdup(de->d_name);
            best = copy;
        }
    }
    return TAKE_PTR(copy);
}

/* Whether a name other than name points at the image. */
static bool has_other_name(struct image_store *s, const char *id, const char *name)
{
    _cleanup_(closedirp) DIR *d = opendir_at(s->names_fd);
    struct dirent *de;

    while (d && (de = readdir(d)))
        if (!streq(de->d_name, name) && is_name_of(s, de->d_name, id))
            return true;
    return false;
}

static uint64_t json_u64(json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));

    return v > 0 ? (uint64_t) v : 0;
}

/* name: the one it was found by; NULL: its first, if find_name. */
static int read_info(struct image_store *s, const char *id, const char *name, bool find_name,
                     struct image_info *ret)
{
    _cleanup_(json_decrefp) json_t *o = NULL;
    _cleanup_close_ int fd = -EBADF;
    struct image_info info = {};
    char file[DIR_NAME_MAX + 16];
    json_error_t err;
    const char *source;

    snprintf(file, sizeof(file), "sha256-%s/image.json", id);
    fd = openat(s->fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return negative_errno();
    o = json_loadfd(fd, 0, &err);
    if (!o || !json_is_object(o))
        return -EBADMSG;
    memcpy(info.id, id, IMAGE_ID_LEN + 1);
    source = json_string_value(json_object_get(o, "source"));
    info.source = strdup(source ?: "");
    info.name = name ? strdup(name) : find_name ? first_name(s, id) : NULL;
    info.archive_bytes = json_u64(o, "archive_bytes");
    info.bytes = json_u64(o, "bytes");
    info.entries = json_u64(o, "entries");
    info.created_ms = json_integer_value(json_object_get(o, "created_ms"));
    if (asprintf(&info.rootfs, "%s/sha256-%s/rootfs", s->path, id) < 0)
        info.rootfs = NULL;
    if (!info.source || !info.rootfs || (name && !info.name)) {
        image_info_clear(&info);
        return -ENOMEM;
    }
    *ret = info;
    return 0;
}

/* A name, a full id or a unique prefix of one (12 digits or more,
 * "sha256:" allowed in front). Under the store's lock. */
static int resolve(struct image_store *s, const char *name_or_id, char id[static IMAGE_ID_LEN + 1],
                   char **ret_name)
{
    _cleanup_(closedirp) DIR *d = NULL;
    const char *p = name_or_id;
    struct dirent *de;
    unsigned found = 0;
    size_t n;

    *ret_name = NULL;
    if (config_image_name_is_valid(p) && read_link_id(s->names_fd, p, id) == 0 &&
        image_exists(s, id)) {
        *ret_name = strdup(p);
        return *ret_name ? 0 : -ENOMEM;
    }
    if (strncmp(p, "sha256:", 7) == 0 || strncmp(p, "sha256-", 7) == 0)
        p += 7;
    n = strlen(p);
    if (n < ID_PREFIX_MIN || n > IMAGE_ID_LEN || !is_hex(p, n))
        return -ENOENT;
    d = opendir_at(s->fd);
    if (!d)
        return negative_errno();
    while ((de = readdir(d))) {
        const char *candidate = id_of_dir_name(de->d_name);
        if (candidate && strncmp(candidate, p, n) == 0) {
            memcpy(id, candidate, IMAGE_ID_LEN + 1);
            found++;
        }
    }
    return found == 0 ? -ENOENT : found > 1 ? -EINVAL : 0;
}

/* ---- opening ------------------------------------------------------------ */

static void image_store_freep(struct image_store **s)
{
    image_store_free(*s);
}

static int open_subdir(int dirfd, const char *name)
{
    int fd;

    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return negative_errno();
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? negative_errno() : fd;
}

int image_store_open(const char *state_dir, struct image_store **ret)
{
    _cleanup_(image_store_freep) struct image_store *s = calloc(1, sizeof(*s));
    int r;

    if (!s)
        return -ENOMEM;
    s->fd = s->names_fd = s->sources_fd = -EBADF;
    s->path = path_join(state_dir, "images");
    if (!s->path)
        return -ENOMEM;
    r = mkdir_p(s->path, 0700);
    if (r < 0)
        return r;
    s->fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->fd < 0)
        return negative_errno();
    s->names_fd = open_subdir(s->fd, "names");
    if (s->names_fd < 0)
        return s->names_fd;
    s->sources_fd = open_subdir(s->fd, "sources");
    if (s->sources_fd < 0)
        return s->sources_fd;
    r = lock_store(s, LOCK_SH); /* made now: the layout is complete from the start */
    if (r < 0)
        return r;
    safe_close(r);
    *ret = TAKE_PTR(s);
    return 0;
}

void image_store_free(struct image_store *s)
{
    if (!s)
        return;
    safe_close(s->fd);
    safe_close(s->names_fd);
    safe_close(s->sources_fd);
    free(s->path);
    free(s);
}

const char *image_store_path(const struct image_store *s)
{
    return s->path;
}

void image_info_clear(struct image_info *info)
{
    if (!info)
        return;
    free(info->name);
    free(info->source);
    free(info->rootfs);
    *info = (struct image_info){};
}

/* ---- import ------------------------------------------------------------- */

/* What identifies an archive file without reading it. */
static void source_key(const struct stat *st, char buf[static SOURCE_KEY_MAX])
{
    snprintf(buf, SOURCE_KEY_MAX, "%llu-%llu-%llu-%llu", (unsigned long long) st->st_dev,
             (unsigned long long) st->st_ino, (unsigned long long) st->st_size,
             (unsigned long long) st->st_mtim.tv_sec * 1000000000ULL +
                 (unsigned long long) st->st_mtim.tv_nsec);
}

static int hash_file(int fd, char id[static IMAGE_ID_LEN + 1])
{
    _cleanup_free_ uint8_t *buf = malloc(HASH_BLOCK);
    struct sha256_ctx ctx;
    off_t off = 0;

    if (!buf)
        return -ENOMEM;
    (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    sha256_init(&ctx);
    for (;;) {
        /* pread: the unpack reads the same fd from offset 0 afterwards. */
        ssize_t n = pread(fd, buf, HASH_BLOCK, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return negative_errno();
        if (n == 0)
            break;
        sha256_update(&ctx, (size_t) n, buf);
        off += n;
    }
    image_hex_digest(&ctx, id);
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? negative_errno() : -EIO;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

static int write_info(int dirfd, const char *id, const char *name, const char *source,
                      uint64_t archive_bytes, const struct unpack_stats *st)
{
    _cleanup_(json_decrefp) json_t *o = NULL;
    _cleanup_free_ char *text = NULL;
    _cleanup_close_ int fd = -EBADF;
    int r;

    o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
                  "id", id, "archive_bytes", (json_int_t) archive_bytes, "bytes",
                  (json_int_t) st->bytes, "entries", (json_int_t) st->entries, "created_ms",
                  (json_int_t) now_realtime_ms(), "stats", "entries", (json_int_t) st->entries,
                  "files", (json_int_t) st->files, "dirs", (json_int_t) st->dirs, "symlinks",
                  (json_int_t) st->symlinks, "hardlinks", (json_int_t) st->hardlinks, "bytes",
                  (json_int_t) st->bytes, "skipped_devices", (json_int_t) st->skipped_devices,
                  "stripped_absolute", (json_int_t) st->stripped_absolute, "xattrs_skipped",
                  (json_int_t) st->xattrs_skipped);
    if (!o)
        return -ENOMEM;
    /* A path is bytes, JSON is UTF-8: a path that is not stays unrecorded. */
    if (json_object_set_new(o, "source", json_string(source) ?: json_string("?")) < 0 ||
        (name && json_object_set_new(o, "name", json_string(name)) < 0))
        return -ENOMEM;
    text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text)
        return -ENOMEM;
    fd = openat(dirfd, "image.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return negative_errno();
    r = write_all(fd, text, strlen(text));
    return r < 0 ? r : write_all(fd, "\n", 1);
}

static int set_links(struct image_store *s, const char *id, const char *name, const char *key)
{
    int r = name ? set_link(s->names_fd, name, id) : 0;

    return r < 0 ? r : set_link(s->sources_fd, key, id);
}

struct import {
    struct image_store *s;
    int fd; /* the archive */
    const char *archive, *source, *name, *key;
    uint64_t size;
    char id[IMAGE_ID_LEN + 1];
    char tmp[32]; /* tmp-XXXXXX */
};

static int store_failed(struct image_store *s, int r, char *why, size_t whylen)
{
    image_why(why, whylen, "'%s': %s", s->path, strerror(-r));
    return r;
}

/* The image is in the store already: give it its name and source. 1 if
 * so, 0 if not. */
static int adopt(struct import *im, char *why, size_t whylen)
{
    _cleanup_close_ int lock = lock_store(im->s, LOCK_EX);
    int r;

    if (lock < 0)
        return store_failed(im->s, lock, why, whylen);
    if (!image_exists(im->s, im->id))
        return 0;
    r = set_links(im->s, im->id, im->name, im->key);
    if (r < 0) {
        image_why(why, whylen, "'%s': cannot link image %.12s: %s", im->s->path, im->id,
                  strerror(-r));
        return r;
    }
    return 1;
}

/* Into tmpfd/rootfs, then image.json, then to disk. */
static int unpack_into(struct import *im, int tmpfd, image_progress_fn progress, void *userdata,
                       struct unpack_stats *stats, char *why, size_t whylen)
{
    _cleanup_close_ int rootfd = -EBADF;
    char read_id[IMAGE_ID_LEN + 1];
    int r;

    if (mkdirat(tmpfd, "rootfs", 0755) < 0)
        return negative_errno();
    rootfd = openat(tmpfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* 0755 whatever the umask, for an archive without a "." entry. */
    if (rootfd < 0 || fchmod(rootfd, 0755) < 0)
        return negative_errno();
    r = image_unpack(im->fd, im->archive, im->size, rootfd, progress, userdata, stats, read_id, why,
                     whylen);
    if (r < 0)
        return r;
    if (!streq(read_id, im->id)) {
        image_why(why, whylen,
                  "'%s' changed while it was imported (its sha256 was %.12s, then %.12s); import "
                  "it again",
                  im->archive, im->id, read_id);
        return -ESTALE;
    }
    r = write_info(tmpfd, im->id, im->name, im->source, im->size, stats);
    if (r < 0)
        return r;
    /* Everything on disk before the rename makes it an image: a crash
     * after it must not leave a committed image with holes. */
    if (syncfs(tmpfd) < 0)
        return negative_errno();
    return 0;
}

/* Make and lock tmp-XXXXXX, under the store's lock: a sweep, which takes
 * it exclusively, never finds it unlocked. Returns its fd. */
static int make_tmp(struct import *im, char *why, size_t whylen)
{
    struct image_store *s = im->s;
    _cleanup_close_ int lock = lock_store(s, LOCK_SH), fd = -EBADF;
    _cleanup_free_ char *path = NULL;
    int r;

    if (lock < 0)
        return store_failed(s, lock, why, whylen);
    if (asprintf(&path, "%s/tmp-XXXXXX", s->path) < 0)
        return -ENOMEM;
    if (!mkdtemp(path))
        return store_failed(s, negative_errno(), why, whylen);
    snprintf(im->tmp, sizeof(im->tmp), "%s", strrchr(path, '/') + 1);
    fd = openat(s->fd, im->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        r = negative_errno();
        (void) unlinkat(s->fd, im->tmp, AT_REMOVEDIR);
        image_why(why, whylen, "'%s': %s", path, strerror(-r));
        return r;
    }
    return TAKE_FD(fd);
}

/* Rename tmp-* to sha256-HEX under the store's LOCK_EX, unless a
 * concurrent import of the same content won: then ours goes. */
static int commit(struct import *im, int *tmpfd, char *why, size_t whylen)
{
    struct image_store *s = im->s;
    _cleanup_close_ int lock = lock_store(s, LOCK_EX);
    char dir[DIR_NAME_MAX];
    bool discard;
    int r;

    if (lock < 0)
        return store_failed(s, lock, why, whylen);
    dir_name(im->id, dir);
    discard = image_exists(s, im->id);
    if (!discard && renameat(s->fd, im->tmp, s->fd, dir) < 0)
        return store_failed(s, negative_errno(), why, whylen);
    /* The rename is made and visible: a failed fsync cannot take it back. */
    if (!discard)
        (void) fsync(s->fd);
    r = set_links(s, im->id, im->name, im->key);
    if (r < 0)
        image_why(why, whylen, "'%s': cannot link image %.12s: %s", s->path, im->id, strerror(-r));
    /* Unlocked before the store is: a use may be taken from then on. A
     * discarded tmp-* stays locked while the caller removes it. */
    if (!discard)
        *tmpfd = safe_close(*tmpfd);
    return r;
}

static int import_new(struct import *im, image_progress_fn progress, void *userdata,
                      struct unpack_stats *stats, char *why, size_t whylen)
{
    _cleanup_close_ int tmpfd = make_tmp(im, why, whylen);
    int r;

    if (tmpfd < 0)
        return tmpfd;
    r = unpack_into(im, tmpfd, progress, userdata, stats, why, whylen);
    if (r < 0) {
        image_why(why, whylen, "'%s/%s': %s", im->s->path, im->tmp, strerror(-r));
        (void) image_remove_tree_at(im->s->fd, im->tmp);
        return r;
    }
    r = commit(im, &tmpfd, why, whylen);
    /* Not renamed (discarded, or the rename failed): nothing must stay. */
    if (tmpfd >= 0)
        (void) image_remove_tree_at(im->s->fd, im->tmp);
    return r;
}

int image_import(struct image_store *s, const char *archive, const char *name,
                 image_progress_fn progress, void *userdata, struct image_info *ret,
                 struct unpack_stats *stats, char *why, size_t whylen)
{
    _cleanup_close_ int fd = -EBADF, lock = -EBADF;
    _cleanup_free_ char *source = NULL;
    struct import im = {.s = s, .archive = archive, .name = name};
    struct unpack_stats local;
    char key[SOURCE_KEY_MAX];
    struct stat st;
    bool existed;
    int r;

    why_reset(why, whylen);
    if (!stats)
        stats = &local;
    *stats = (struct unpack_stats){};
    if (name && !config_image_name_is_valid(name)) {
        image_why(why, whylen, "invalid image name '%s' (" NAME_EXPECTED ")", name);
        return -EINVAL;
    }
    fd = image_open_archive(archive, &st, why, whylen);
    if (fd < 0)
        return fd;
    source = realpath(archive, NULL) ?: strdup(archive);
    if (!source)
        return -ENOMEM;
    source_key(&st, key);
    im.fd = fd;
    im.source = source;
    im.key = key;
    im.size = (uint64_t) st.st_size;

    /* An archive file hashed before and unchanged since is not read again. */
    lock = lock_store(s, LOCK_SH);
    if (lock < 0) {
        image_why(why, whylen, "'%s': %s", s->path, strerror(-lock));
        return lock;
    }
    r = read_link_id(s->sources_fd, key, im.id);
    if (r == 0 && !image_exists(s, im.id))
        r = -ENOENT;
    lock = safe_close(lock);
    if (r < 0) {
        r = hash_file(fd, im.id);
        if (r < 0) {
            image_why(why, whylen, "'%s': %s", archive, strerror(-r));
            return r;
        }
    }

    r = adopt(&im, why, whylen);
    existed = r > 0;
    if (r == 0)
        r = import_new(&im, progress, userdata, stats, why, whylen);
    if (r < 0)
        return r;
    if (ret) {
        lock = lock_store(s, LOCK_SH);
        if (lock < 0)
            return lock;
        r = read_info(s, im.id, name, true, ret);
        if (r < 0) {
            image_why(why, whylen, "'%s/sha256-%s/image.json': %s", s->path, im.id, strerror(-r));
            return r;
        }
    }
    return existed ? 1 : 0;
}

/* ---- lookups ------------------------------------------------------------ */

int image_lookup_archive(struct image_store *s, const char *archive, struct image_info *ret)
{
    _cleanup_close_ int lock = -EBADF;
    char key[SOURCE_KEY_MAX], id[IMAGE_ID_LEN + 1];
    struct stat st;
    int r;

    if (stat(archive, &st) < 0)
        return negative_errno();
    source_key(&st, key);
    lock = lock_store(s, LOCK_SH);
    if (lock < 0)
        return lock;
    r = read_link_id(s->sources_fd, key, id);
    if (r < 0 || !image_exists(s, id))
        return -ENOENT;
    return read_info(s, id, NULL, true, ret);
}

int image_lookup(struct image_store *s, const char *name_or_id, struct image_info *ret)
{
    _cleanup_close_ int lock = lock_store(s, LOCK_SH);
    _cleanup_free_ char *name = NULL;
    char id[IMAGE_ID_LEN + 1];
    int r;

    if (lock < 0)
        return lock;
    r = resolve(s, name_or_id, id, &name);
    if (r < 0)
        return r;
    return read_info(s, id, name, true, ret);
}

/* A use is a LOCK_SH someone holds: an exclusive try on a descriptor of
 * our own fails exactly then, and is released at once. */
static bool probe_in_use(struct image_store *s, const char *id)
{
    char dir[DIR_NAME_MAX];
    _cleanup_close_ int fd = -EBADF;

    dir_name(id, dir);
    fd = openat(s->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        return errno == EWOULDBLOCK;
    (void) flock(fd, LOCK_UN);
    return false;
}

static int cmp_info(const void *a, const void *b)
{
    const struct image_info *x = a, *y = b;

    if (x->name && y->name)
        return strcmp(x->name, y->name);
    if (x->name || y->name)
        return x->name ? -1 : 1;
    if (x->created_ms != y->created_ms)
        return x->created_ms < y->created_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

struct row {
    char id[IMAGE_ID_LEN + 1];
    char *name;
    bool named;
};

static int push_row(struct row **rows, size_t *n, const char *id, const char *name)
{
    struct row *v = reallocarray(*rows, *n + 1, sizeof(*v));

    if (!v)
        return -ENOMEM;
    *rows = v;
    v[*n] = (struct row){};
    memcpy(v[*n].id, id, IMAGE_ID_LEN + 1);
    if (name && !(v[*n].name = strdup(name)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

static void rows_free(struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].name);
    free(rows);
}

/* Each image once per name (an image named twice is listed twice), and
 * once if it has none. */
static int collect_rows(struct image_store *s, struct row **ret, size_t *ret_n)
{
    _cleanup_(closedirp) DIR *d = opendir_at(s->fd);
    _cleanup_(closedirp) DIR *names = opendir_at(s->names_fd);
    struct row *ids = NULL, *rows = NULL;
    size_t n_ids = 0, n_rows = 0;
    struct dirent *de;
    int r = 0;

    if (!d || !names)
        return negative_errno();
    while (r >= 0 && (de = readdir(d)))
        if (id_of_dir_name(de->d_name))
            r = push_row(&ids, &n_ids, de->d_name + 7, NULL);
    while (r >= 0 && (de = readdir(names))) {
        char id[IMAGE_ID_LEN + 1];

        if (de->d_name[0] == '.' || read_link_id(s->names_fd, de->d_name, id) < 0)
            continue;
        for (size_t i = 0; i < n_ids && r >= 0; i++)
            if (streq(ids[i].id, id)) {
                ids[i].named = true;
                r = push_row(&rows, &n_rows, id, de->d_name);
            }
    }
    for (size_t i = 0; i < n_ids && r >= 0; i++)
        if (!ids[i].named)
            r = push_row(&rows, &n_rows, ids[i].id, NULL);
    rows_free(ids, n_ids);
    if (r < 0) {
        rows_free(rows, n_rows);
        return r;
    }
    *ret = rows;
    *ret_n = n_rows;
    return 0;
}

int image_list(struct image_store *s, struct image_info **ret, size_t *ret_n)
{
    _cleanup_close_ int lock = lock_store(s, LOCK_SH);
    struct image_info *list = NULL;
    struct row *rows = NULL;
    size_t n_rows = 0, n = 0;
    int r;

    if (lock < 0)
        return lock;
    r = collect_rows(s, &rows, &n_rows);
    if (r < 0)
        return r;
    list = calloc(n_rows ?: 1, sizeof(*list));
    if (!list)
        r = -ENOMEM;
    for (size_t i = 0; i < n_rows && r >= 0; i++) {
        r = read_info(s, rows[i].id, rows[i].name, false, &list[n]);
        if (r < 0)
            break;
        list[n++].in_use = probe_in_use(s, rows[i].id);
    }
    rows_free(rows, n_rows);
    if (r < 0) {
        image_list_free(list, n);
        return r;
    }
    qsort(list, n, sizeof(*list), cmp_info);
    *ret = list;
    *ret_n = n;
    return 0;
}

void image_list_free(struct image_info *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        image_info_clear(&list[i]);
    free(list);
}

/* ---- uses, removal, sweeping -------------------------------------------- */

int image_use(struct image_store *s, const char *id)
{
    _cleanup_close_ int lock = lock_store(s, LOCK_SH), fd = -EBADF;
    _cleanup_free_ char *name = NULL;
    char found[IMAGE_ID_LEN + 1], dir[DIR_NAME_MAX];
    int r;

    if (lock < 0)
        return lock;
    r = resolve(s, id, found, &name);
    if (r < 0)
        return r;
    dir_name(found, dir);
    fd = openat(s->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return negative_errno();
    while (flock(fd, LOCK_SH) < 0)
        if (errno != EINTR)
            return negative_errno();
    return TAKE_FD(fd);
}

/* Rename dir to a fresh trash-XXXXXXXX: gone for lookups in one step. */
static int rename_to_trash(struct image_store *s, const char *dir, char trash[static 32])
{
    for (int tries = 0; tries < 32; tries++) {
        uint32_t v;

        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t) sizeof(v))
            v = (uint32_t) now_monotonic_ms() ^ ((uint32_t) getpid() << 16) ^ (uint32_t) tries;
        snprintf(trash, 32, "trash-%08x", v);
        if (renameat2(s->fd, dir, s->fd, trash, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno != EEXIST)
            return negative_errno();
    }
    return -EEXIST;
}

int image_remove(struct image_store *s, const char *name_or_id, char *why, size_t whylen)
{
    _cleanup_close_ int lock = -EBADF, dfd = -EBADF;
    _cleanup_free_ char *name = NULL;
    char id[IMAGE_ID_LEN + 1], dir[DIR_NAME_MAX], trash[32];
    int r;

    why_reset(why, whylen);
    lock = lock_store(s, LOCK_EX);
    if (lock < 0) {
        image_why(why, whylen, "'%s': %s", s->path, strerror(-lock));
        return lock;
    }
    r = resolve(s, name_or_id, id, &name);
    if (r == -ENOENT)
        image_why(why, whylen, "no image '%s'", name_or_id);
    else if (r == -EINVAL)
        image_why(why, whylen, "'%s' is the start of several images' ids: give more of it",
                  name_or_id);
    if (r < 0)
        return r;
    if (name && has_other_name(s, id, name)) {
        /* Only the name goes; the image stays under its others. */
        if (unlinkat(s->names_fd, name, 0) < 0) {
            r = negative_errno();
            image_why(why, whylen, "'%s/names/%s': %s", s->path, name, strerror(-r));
            return r;
        }
        (void) fsync(s->names_fd);
        return 1;
    }
    dir_name(id, dir);
    dfd = openat(s->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || flock(dfd, LOCK_EX | LOCK_NB) < 0) {
        r = errno == EWOULDBLOCK ? -EBUSY : negative_errno();
        if (r == -EBUSY)
            image_why(why, whylen, "image '%s' is in use by a running container", name_or_id);
        else
            image_why(why, whylen, "'%s/%s': %s", s->path, dir, strerror(-r));
        return r;
    }
    r = rename_to_trash(s, dir, trash);
    if (r < 0) {
        image_why(why, whylen, "'%s/%s': %s", s->path, dir, strerror(-r));
        return r;
    }
    r = drop_links(s, s->names_fd, id);
    if (r >= 0)
        r = drop_links(s, s->sources_fd, id);
    (void) fsync(s->fd);
    lock = safe_close(lock);
    if (r >= 0)
        /* Still under the trash's flock (dfd): a sweep leaves it to us. */
        r = image_remove_tree_at(s->fd, trash);
    if (r < 0)
        image_why(why, whylen,
                  "image '%s' is removed, but deleting its files failed (the next sweep retries): "
                  "%s",
                  name_or_id, strerror(-r));
    return r;
}

struct abandoned {
    char name[NAME_MAX + 1];
    int fd; /* holds its flock */
};

int image_store_sweep(struct image_store *s)
{
    _cleanup_close_ int lock = lock_store(s, LOCK_EX);
    _cleanup_(closedirp) DIR *d = NULL;
    struct abandoned *v = NULL;
    size_t n = 0;
    struct dirent *de;
    int r = 0, q;

    if (lock < 0)
        return lock;
    d = opendir_at(s->fd);
    if (!d)
        return negative_errno();
    while ((de = readdir(d))) {
        struct abandoned *nv;
        int fd;

        if (strncmp(de->d_name, "tmp-", 4) != 0 && strncmp(de->d_name, "trash-", 6) != 0)
            continue;
        fd = openat(s->fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        /* Held: an import or a removal at work. */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0 || !(nv = reallocarray(v, n + 1, sizeof(*v)))) {
            safe_close(fd);
            continue;
        }
        v = nv;
        snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
        v[n++].fd = fd;
    }
    q = drop_links(s, s->names_fd, NULL);
    if (q < 0)
        r = q;
    q = drop_links(s, s->sources_fd, NULL);
    if (q < 0 && r == 0)
        r = q;
    /* The removals can be long: done with only their flocks held. */
    lock = safe_close(lock);
    for (size_t i = 0; i < n; i++) {
        q = image_remove_tree_at(s->fd, v[i].name);
        if (q < 0 && r == 0)
            r = q;
        safe_close(v[i].fd);
    }
    free(v);
    return r;
}
