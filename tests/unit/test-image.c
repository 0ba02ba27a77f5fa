/* SPDX-License-Identifier: MIT */
/* Tests of image/: archives are built here with libarchive's writer (tar,
 * .tar.gz, .tar.xz, .tar.zst), imported into a store in a private scratch
 * directory, and the trees checked as a user of the container would see
 * them: owners, modes, set-user-ID, file capabilities, hard links,
 * symlinks verbatim, FIFOs, sparse files, times. Hostile archives are
 * refused or neutralised with nothing written outside the scratch
 * directory; an interrupted import leaves nothing a lookup returns. Root
 * only (chown, security.* xattrs, mounts); each test removes its scratch
 * directory. TAP. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "macro.h"
#include "util.h"
#include "check.h"

#define T0 1600000000 /* every entry's mtime */
#define SPARSE_SIZE (4 * 1024 * 1024)

/* ---- scratch directories -------------------------------------------------- */

struct scratch {
    char dir[64];
    char *state;
};

static void scratch_init(struct scratch *s)
{
    strcpy(s->dir, "/tmp/test-image-XXXXXX");
    ASSERT(mkdtemp(s->dir));
    ASSERT(asprintf(&s->state, "%s/state", s->dir) >= 0);
}

static void scratch_done(struct scratch *s)
{
    ASSERT_EQ(image_remove_tree_at(AT_FDCWD, s->dir), 0);
    ASSERT(access(s->dir, F_OK) < 0 && errno == ENOENT);
    free(s->state);
}

static char *at(const char *dir, const char *name)
{
    char *p;
    ASSERT(asprintf(&p, "%s/%s", dir, name) >= 0);
    return p;
}

static struct image_store *store_open(struct scratch *s)
{
    struct image_store *st = NULL;
    ASSERT_EQ(image_store_open(s->state, &st), 0);
    return st;
}

/* How many entries of dir start with prefix. */
static unsigned count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    unsigned n = 0;

    ASSERT(d);
    while ((de = readdir(d)))
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* Everything below a directory, one "path mode uid size" line each,
 * sorted: equal listings mean nothing was written or changed. */
static FILE *listing_f;
static size_t listing_skip;

static int listing_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    fprintf(listing_f, "%s %o %u %lld\n", path + listing_skip, st->st_mode, st->st_uid,
            S_ISDIR(st->st_mode) ? 0LL : (long long) st->st_size);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *listing(const char *dir)
{
    char *buf = NULL, *sorted = NULL, **lines = NULL;
    size_t len = 0, n = 0, slen = 0;
    FILE *f;

    listing_f = open_memstream(&buf, &len);
    listing_skip = strlen(dir);
    ASSERT(listing_f);
    ASSERT(nftw(dir, listing_one, 16, FTW_PHYS) == 0);
    ASSERT(fclose(listing_f) == 0);
    for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
        lines = reallocarray(lines, n + 1, sizeof(*lines));
        ASSERT(lines);
        lines[n++] = p;
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    f = open_memstream(&sorted, &slen);
    ASSERT(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    ASSERT(fclose(f) == 0);
    free(lines);
    free(buf);
    return sorted;
}

static char *read_text(const char *path)
{
    char *text = NULL;
    ASSERT(read_file(path, &text, SPARSE_SIZE + 1) >= 0);
    return text;
}

/* ---- archives ------------------------------------------------------------ */

enum filter { F_NONE, F_GZIP, F_XZ, F_ZSTD };

struct ent {
    const char *path;
    mode_t type; /* AE_IFREG, ...; 0 with hardlink */
    mode_t perm;
    int64_t uid, gid;
    const char *data;     /* a regular file's content */
    const char *link;     /* a symlink's target */
    const char *hardlink; /* a hard link's target */
    long mtime_nsec;
    bool caps;    /* security.capability (CAP_NET_RAW) and user.test */
    bool trusted; /* trusted.overlay.opaque: overlayfs's, never written */
    bool sparse;  /* SPARSE_SIZE bytes: 4K of 'A', a hole, 4K of 'B' */
    dev_t rdev;
    const char *uname;
    size_t size; /* generated content of that size, when no data */
};

/* A valid VFS_CAP_REVISION_2 blob: the kernel checks it on setxattr. */
static void cap_blob(uint8_t buf[XATTR_CAPS_SZ_2])
{
    struct vfs_cap_data c = {};

    c.magic_etc = htole32(VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE);
    c.data[0].permitted = htole32(1u << CAP_NET_RAW);
    memcpy(buf, &c, XATTR_CAPS_SZ_2);
}

static void write_archive(const char *path, enum filter f, const struct ent *v, size_t n)
{
    struct archive *a = archive_write_new();
    uint8_t caps[XATTR_CAPS_SZ_2];

    ASSERT(a);
    cap_blob(caps);
    ASSERT_EQ(archive_write_set_format_pax(a), ARCHIVE_OK);
    if (f == F_GZIP)
        ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    else if (f == F_XZ)
        ASSERT_EQ(archive_write_add_filter_xz(a), ARCHIVE_OK);
    else if (f == F_ZSTD)
        ASSERT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    ASSERT_EQ(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        const struct ent *x = &v[i];
        size_t size = x->data ? strlen(x->data) : x->sparse ? SPARSE_SIZE : x->size;

        archive_entry_set_pathname(e, x->path);
        archive_entry_set_filetype(e, x->hardlink ? AE_IFREG : x->type);
        archive_entry_set_perm(e, x->perm ?: 0644);
        archive_entry_set_uid(e, x->uid);
        archive_entry_set_gid(e, x->gid);
        if (x->uname)
            archive_entry_set_uname(e, x->uname);
        archive_entry_set_mtime(e, T0, x->mtime_nsec);
        if (x->hardlink)
            archive_entry_set_hardlink(e, x->hardlink);
        if (x->link)
            archive_entry_set_symlink(e, x->link);
        if (x->rdev)
            archive_entry_set_rdev(e, x->rdev);
        if (x->type == AE_IFREG && !x->hardlink)
            archive_entry_set_size(e, (la_int64_t) size);
        if (x->sparse) {
            archive_entry_sparse_add_entry(e, 0, 4096);
            archive_entry_sparse_add_entry(e, SPARSE_SIZE - 4096, 4096);
        }
        if (x->caps) {
            archive_entry_xattr_add_entry(e, "security.capability", caps, sizeof(caps));
            archive_entry_xattr_add_entry(e, "user.test", "hello", 5);
        }
        if (x->trusted)
            archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
        ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
        if (x->data)
            ASSERT_EQ(archive_write_data(a, x->data, size), (ssize_t) size);
        else if (x->sparse || x->size) {
            /* The whole file: the pax writer leaves out the holes. */
            char *buf = calloc(1, size);
            uint32_t seed = (uint32_t) i * 2654435761u + 1;
            ASSERT(buf);
            if (x->sparse) {
                memset(buf, 'A', 4096);
                memset(buf + SPARSE_SIZE - 4096, 'B', 4096);
            } else
                for (size_t k = 0; k < size; k++) { /* incompressible, to make the archive big */
                    seed = seed * 1103515245u + 12345u;
                    buf[k] = (char) (seed >> 16);
                }
            ASSERT_EQ(archive_write_data(a, buf, size), (ssize_t) size);
            free(buf);
        }
        archive_entry_free(e);
    }
    ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
    ASSERT_EQ(archive_write_free(a), ARCHIVE_OK);
}

#define DIR_(p, perm_)                                                                             \
    {                                                                                              \
        p, AE_IFDIR, perm_                                                                         \
    }
#define FILE_(p, perm_, d)                                                                         \
    {                                                                                              \
        p, AE_IFREG, perm_, .data = d                                                              \
    }

static const struct ent normal_tree[] = {
    DIR_("./", 0755),
    DIR_("./etc/", 0755),
    {"./etc/passwd", AE_IFREG, 0644, .data = "root:x:0:0::/root:/bin/sh\n",
     .mtime_nsec = 123456789},
    FILE_("./etc/shadow", 0600, "root:*:1::::::\n"),
    DIR_("./usr/", 0755),
    DIR_("./usr/bin/", 0755),
    {"./usr/bin/ping", AE_IFREG, 04755, .data = "\177ELF ping", .caps = true},
    {"./usr/bin/ping-hard", .hardlink = "./usr/bin/ping"},
    {"./bin", AE_IFLNK, 0777, .link = "/usr/bin"},
    DIR_("./home/", 0755),
    {"./home/user/", AE_IFDIR, 0700, 1000, 1000},
    /* A name that the host would map to 0: the number is what counts. */
    {"./home/user/notes", AE_IFREG, 0640, 1000, 1000, .data = "mine\n", .uname = "root"},
    DIR_("./run/", 0755),
    {"./run/fifo", AE_IFIFO, 0620},
    DIR_("./var/", 0755),
    {"./var/sparse", AE_IFREG, 0644, .sparse = true},
    DIR_("./empty/", 0711),
    FILE_("./opt/deep/file", 0644, "x"), /* no entries for opt/ and opt/deep/ */
};

static void assert_mode(const char *root, const char *name, mode_t type, mode_t perm, uid_t uid,
                        gid_t gid)
{
    _cleanup_free_ char *p = at(root, name);
    struct stat st;

    if (lstat(p, &st) < 0) {
        fprintf(stderr, "%s: %s\n", p, strerror(errno));
        exit(1);
    }
    if ((st.st_mode & S_IFMT) != type || (type != S_IFLNK && (st.st_mode & 07777) != perm) ||
        st.st_uid != uid || st.st_gid != gid) {
        fprintf(stderr, "%s: mode 0%o %u:%u, expected 0%o 0%o %u:%u\n", p, st.st_mode, st.st_uid,
                st.st_gid, type, perm, uid, gid);
        exit(1);
    }
}

static void assert_mtime(const char *root, const char *name, time_t sec, long nsec)
{
    _cleanup_free_ char *p = at(root, name);
    struct stat st;

    ASSERT(lstat(p, &st) == 0);
    ASSERT_EQ(st.st_mtim.tv_sec, sec);
    ASSERT_EQ(st.st_mtim.tv_nsec, nsec);
}

static void assert_absent(const char *root, const char *name)
{
    _cleanup_free_ char *p = at(root, name);
    struct stat st;

    ASSERT(lstat(p, &st) < 0 && errno == ENOENT);
}

static void check_normal_tree(const char *root)
{
    _cleanup_free_ char *passwd = at(root, "etc/passwd"), *ping = at(root, "usr/bin/ping");
    _cleanup_free_ char *hard = at(root, "usr/bin/ping-hard"), *bin = at(root, "bin");
    _cleanup_free_ char *sparse = at(root, "var/sparse"), *empty = at(root, "empty");
    _cleanup_free_ char *text = NULL, *data = NULL;
    uint8_t caps[XATTR_CAPS_SZ_2], got[64];
    char target[64];
    struct stat a, b;
    DIR *d;

    assert_mode(root, "", S_IFDIR, 0755, 0, 0);
    assert_mode(root, "etc", S_IFDIR, 0755, 0, 0);
    assert_mode(root, "etc/passwd", S_IFREG, 0644, 0, 0);
    text = read_text(passwd);
    ASSERT_STREQ(text, "root:x:0:0::/root:/bin/sh\n");
    assert_mode(root, "etc/shadow", S_IFREG, 0600, 0, 0);

    /* Set-user-ID and the capability survive the chown that clears them. */
    assert_mode(root, "usr/bin/ping", S_IFREG, 04755, 0, 0);
    cap_blob(caps);
    ASSERT_EQ(getxattr(ping, "security.capability", got, sizeof(got)), sizeof(caps));
    ASSERT(memcmp(got, caps, sizeof(caps)) == 0);
    ASSERT_EQ(getxattr(ping, "user.test", got, sizeof(got)), 5);
    ASSERT(memcmp(got, "hello", 5) == 0);
    ASSERT(stat(ping, &a) == 0 && stat(hard, &b) == 0);
    ASSERT_EQ(a.st_ino, b.st_ino);
    ASSERT_EQ(a.st_nlink, 2);

    assert_mode(root, "bin", S_IFLNK, 0, 0, 0);
    ASSERT_EQ(readlink(bin, target, sizeof(target)), 8);
    ASSERT(memcmp(target, "/usr/bin", 8) == 0);

    assert_mode(root, "home/user", S_IFDIR, 0700, 1000, 1000);
    assert_mode(root, "home/user/notes", S_IFREG, 0640, 1000, 1000);
    assert_mode(root, "run/fifo", S_IFIFO, 0620, 0, 0);

    assert_mode(root, "var/sparse", S_IFREG, 0644, 0, 0);
    ASSERT(stat(sparse, &a) == 0);
    ASSERT_EQ(a.st_size, SPARSE_SIZE);
    ASSERT(a.st_blocks * 512 < SPARSE_SIZE / 2); /* the hole is a hole */
    ASSERT(read_file(sparse, &data, SPARSE_SIZE + 1) == SPARSE_SIZE);
    for (size_t i = 0; i < SPARSE_SIZE; i++)
        ASSERT(data[i] == (i < 4096 ? 'A' : i >= SPARSE_SIZE - 4096 ? 'B' : 0));

    assert_mode(root, "empty", S_IFDIR, 0711, 0, 0);
    d = opendir(empty);
    ASSERT(d);
    for (struct dirent *de; (de = readdir(d));)
        ASSERT(streq(de->d_name, ".") || streq(de->d_name, ".."));
    closedir(d);
    /* Directories the archive did not list: root's, 0755, whatever the umask. */
    assert_mode(root, "opt", S_IFDIR, 0755, 0, 0);
    assert_mode(root, "opt/deep", S_IFDIR, 0755, 0, 0);

    /* Times, directories' too, though files were written into them after. */
    assert_mtime(root, "etc/passwd", T0, 123456789);
    assert_mtime(root, "usr/bin/ping", T0, 0);
    assert_mtime(root, "bin", T0, 0);
    assert_mtime(root, "run/fifo", T0, 0);
    assert_mtime(root, "", T0, 0);
    assert_mtime(root, "etc", T0, 0);
    assert_mtime(root, "usr/bin", T0, 0);
    assert_mtime(root, "home/user", T0, 0);
}

/* 0: unpacked; 1: it was in the store already. */
static int import_ok(struct image_store *st, const char *archive, const char *name,
                     struct image_info *info, struct unpack_stats *stats)
{
    char why[512] = "";
    int r = image_import(st, archive, name, NULL, NULL, info, stats, why, sizeof(why));

    if (r < 0) {
        fprintf(stderr, "image_import('%s'): %s: %s\n", archive, strerror(-r), why);
        exit(1);
    }
    return r;
}

/* An import that must fail: its error line, and nothing left behind. */
static int import_fails(struct image_store *st, const char *archive, char *why, size_t len)
{
    struct image_info info = {};
    int r = image_import(st, archive, NULL, NULL, NULL, &info, NULL, why, len);

    ASSERT(r < 0);
    ASSERT(why[0]);
    ASSERT(info.rootfs == NULL);
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 0);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 0);
    return r;
}

/* ---- imports ------------------------------------------------------------- */

static void test_formats(void)
{
    static const struct {
        const char *name;
        enum filter f;
    } formats[] = {
        {"root.tar", F_NONE},
        {"root.tar.gz", F_GZIP},
        {"root.tar.xz", F_XZ},
        {"root.tar.zst", F_ZSTD},
    };
    struct scratch s;
    struct image_store *st;
    char ids[ELEMENTSOF(formats)][IMAGE_ID_LEN + 1];

    scratch_init(&s);
    st = store_open(&s);
    for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
        _cleanup_free_ char *archive = at(s.dir, formats[i].name);
        struct image_info info = {};
        struct unpack_stats stats;
        char why[512];

        write_archive(archive, formats[i].f, normal_tree, ELEMENTSOF(normal_tree));
        ASSERT_EQ(image_probe_archive(archive, why, sizeof(why)), 0);
        import_ok(st, archive, NULL, &info, &stats);
        check_normal_tree(info.rootfs);
        ASSERT_EQ(stats.entries, ELEMENTSOF(normal_tree));
        ASSERT_EQ(stats.files, 6);
        ASSERT_EQ(stats.dirs, 9);
        ASSERT_EQ(stats.symlinks, 1);
        ASSERT_EQ(stats.hardlinks, 1);
        ASSERT_EQ(stats.bytes, 26 + 15 + 9 + 5 + SPARSE_SIZE + 1);
        ASSERT_EQ(stats.skipped_devices + stats.stripped_absolute + stats.xattrs_skipped, 0);
        ASSERT_EQ(info.entries, stats.entries);
        ASSERT_EQ(info.bytes, stats.bytes);
        ASSERT(info.name == NULL);
        ASSERT(strstr(info.source, formats[i].name));
        ASSERT(info.created_ms > 0);
        strcpy(ids[i], info.id);
        for (size_t k = 0; k < i; k++) /* another file, another id */
            ASSERT(!streq(ids[k], info.id));
        image_info_clear(&info);
    }
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 0);
    image_store_free(st);
    scratch_done(&s);
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    char buf[65536];
    ssize_t n;

    ASSERT(in >= 0 && out >= 0);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        ASSERT(write(out, buf, (size_t) n) == n);
    ASSERT(n == 0);
    close(in);
    close(out);
}

static void test_import_twice(void)
{
    struct scratch s;
    struct image_store *st;
    struct image_info a = {}, b = {}, c = {};
    struct unpack_stats stats;
    char *archive, *copy, *passwd;
    struct stat before, after;

    scratch_init(&s);
    st = store_open(&s);
    archive = at(s.dir, "root.tar.gz");
    copy = at(s.dir, "copy.tar.gz");
    write_archive(archive, F_GZIP, normal_tree, ELEMENTSOF(normal_tree));
    ASSERT_EQ(import_ok(st, archive, NULL, &a, &stats), 0);
    ASSERT(stats.entries > 0);
    passwd = at(a.rootfs, "etc/passwd");
    ASSERT(stat(passwd, &before) == 0);

    /* The same file: found by its identity, nothing read or unpacked. */
    ASSERT_EQ(import_ok(st, archive, NULL, &b, &stats), 1);
    ASSERT_STREQ(b.id, a.id);
    ASSERT_STREQ(b.rootfs, a.rootfs);
    ASSERT_EQ(stats.entries, 0);
    ASSERT(stat(passwd, &after) == 0);
    ASSERT_EQ(after.st_ino, before.st_ino);
    ASSERT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);

    /* Another file, the same bytes: hashed, and the same image. */
    copy_file(archive, copy);
    image_info_clear(&b);
    ASSERT_EQ(image_lookup_archive(st, copy, &b), -ENOENT);
    ASSERT_EQ(import_ok(st, copy, NULL, &c, &stats), 1);
    ASSERT_STREQ(c.id, a.id);
    ASSERT_EQ(stats.entries, 0);
    ASSERT(stat(passwd, &after) == 0);
    ASSERT_EQ(after.st_ino, before.st_ino);
    image_info_clear(&c);
    /* ...and now known by that file's identity too. */
    ASSERT_EQ(image_lookup_archive(st, copy, &c), 0);
    ASSERT_STREQ(c.id, a.id);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 1);

    image_info_clear(&a);
    image_info_clear(&b);
    image_info_clear(&c);
    free(archive);
    free(copy);
    free(passwd);
    image_store_free(st);
    scratch_done(&s);
}

static void test_names_lookup_list(void)
{
    static const struct ent other[] = {DIR_("./", 0755), FILE_("./other", 0644, "b")};
    static const struct ent third[] = {DIR_("./", 0755), FILE_("./third", 0644, "c")};
    struct scratch s;
    struct image_store *st;
    struct image_info a = {}, b = {}, c = {}, x = {};
    struct image_info *list = NULL;
    size_t n = 0;
    char *pa, *pb, *pc, prefix[32];
    char why[512];

    scratch_init(&s);
    st = store_open(&s);
    pa = at(s.dir, "a.tar");
    pb = at(s.dir, "b.tar.xz");
    pc = at(s.dir, "c.tar.zst");
    write_archive(pa, F_NONE, normal_tree, ELEMENTSOF(normal_tree));
    write_archive(pb, F_XZ, other, ELEMENTSOF(other));
    write_archive(pc, F_ZSTD, third, ELEMENTSOF(third));

    import_ok(st, pa, "base", &a, NULL);
    ASSERT_STREQ(a.name, "base");
    ASSERT_EQ(image_lookup(st, "base", &x), 0);
    ASSERT_STREQ(x.id, a.id);
    ASSERT_STREQ(x.name, "base");
    image_info_clear(&x);

    /* The name moves to the image imported under it. */
    import_ok(st, pb, "base", &b, NULL);
    ASSERT_EQ(image_lookup(st, "base", &x), 0);
    ASSERT_STREQ(x.id, b.id);
    image_info_clear(&x);

    /* By id: whole, "sha256:" in front, a prefix of 12; 11 is too short. */
    ASSERT_EQ(image_lookup(st, a.id, &x), 0);
    ASSERT_STREQ(x.id, a.id);
    ASSERT(x.name == NULL);
    ASSERT_STREQ(x.rootfs, a.rootfs);
    image_info_clear(&x);
    snprintf(prefix, sizeof(prefix), "sha256:%.12s", a.id);
    ASSERT_EQ(image_lookup(st, prefix, &x), 0);
    ASSERT_STREQ(x.id, a.id);
    image_info_clear(&x);
    snprintf(prefix, sizeof(prefix), "%.12s", b.id);
    ASSERT_EQ(image_lookup(st, prefix, &x), 0);
    ASSERT_STREQ(x.id, b.id);
    ASSERT_STREQ(x.name, "base");
    image_info_clear(&x);
    snprintf(prefix, sizeof(prefix), "%.11s", a.id);
    ASSERT_EQ(image_lookup(st, prefix, &x), -ENOENT);
    ASSERT_EQ(image_lookup(st, "nosuch", &x), -ENOENT);
    ASSERT_EQ(image_lookup(st, "../etc", &x), -ENOENT);

    /* Names are checked as config checks image = NAME. */
    ASSERT_EQ(image_import(st, pc, "../x", NULL, NULL, &x, NULL, why, sizeof(why)), -EINVAL);
    ASSERT(strstr(why, "invalid image name '../x'"));

    /* Sorted by name, the unnamed last. */
    import_ok(st, pc, "alpha", &c, NULL);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT_EQ(n, 3);
    ASSERT_STREQ(list[0].name, "alpha");
    ASSERT_STREQ(list[0].id, c.id);
    ASSERT_STREQ(list[1].name, "base");
    ASSERT_STREQ(list[1].id, b.id);
    ASSERT(list[2].name == NULL);
    ASSERT_STREQ(list[2].id, a.id);
    for (size_t i = 0; i < n; i++)
        ASSERT(!list[i].in_use);
    ASSERT(strstr(list[2].source, "/a.tar"));
    ASSERT_EQ(list[2].entries, ELEMENTSOF(normal_tree));
    image_list_free(list, n);

    image_info_clear(&a);
    image_info_clear(&b);
    image_info_clear(&c);
    free(pa);
    free(pb);
    free(pc);
    image_store_free(st);
    scratch_done(&s);
}

static void test_lookup_archive_after_touch(void)
{
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {T0, 5}};
    struct scratch s;
    struct image_store *st;
    struct image_info a = {}, x = {};
    struct unpack_stats stats;
    char *archive;

    scratch_init(&s);
    st = store_open(&s);
    archive = at(s.dir, "root.tar");
    write_archive(archive, F_NONE, normal_tree, ELEMENTSOF(normal_tree));
    ASSERT_EQ(image_lookup_archive(st, archive, &x), -ENOENT);
    import_ok(st, archive, NULL, &a, NULL);
    ASSERT_EQ(image_lookup_archive(st, archive, &x), 0);
    ASSERT_STREQ(x.id, a.id);
    image_info_clear(&x);

    /* A changed mtime: maybe other bytes, so no longer trusted unread. */
    ASSERT(utimensat(AT_FDCWD, archive, ts, 0) == 0);
    ASSERT_EQ(image_lookup_archive(st, archive, &x), -ENOENT);
    /* Imported again, it is hashed, found, and not unpacked. */
    import_ok(st, archive, NULL, &x, &stats);
    ASSERT_STREQ(x.id, a.id);
    ASSERT_EQ(stats.entries, 0);
    image_info_clear(&x);
    ASSERT_EQ(image_lookup_archive(st, archive, &x), 0);
    image_info_clear(&x);

    image_info_clear(&a);
    free(archive);
    image_store_free(st);
    scratch_done(&s);
}

static void test_remove_and_use(void)
{
    struct scratch s;
    struct image_store *st;
    struct image_info a = {}, x = {};
    struct image_info *list = NULL;
    _cleanup_free_ char *names = NULL, *sources = NULL;
    size_t n = 0;
    char *archive, why[512];
    int use;

    scratch_init(&s);
    st = store_open(&s);
    names = at(image_store_path(st), "names");
    sources = at(image_store_path(st), "sources");
    archive = at(s.dir, "centos.tar.gz");
    write_archive(archive, F_GZIP, normal_tree, ELEMENTSOF(normal_tree));
    import_ok(st, archive, "centos", &a, NULL);

    /* A container holds it: in use, and not removable. */
    use = image_use(st, a.id);
    ASSERT(use >= 0);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT_EQ(n, 1);
    ASSERT(list[0].in_use);
    image_list_free(list, n);
    ASSERT_EQ(image_remove(st, "centos", why, sizeof(why)), -EBUSY);
    ASSERT_STREQ(why, "image 'centos' is in use by a running container");
    ASSERT_EQ(image_lookup(st, "centos", &x), 0);
    image_info_clear(&x);

    /* Released: removed, with its name and source links. */
    close(use);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT(!list[0].in_use);
    image_list_free(list, n);
    ASSERT_EQ(image_remove(st, "centos", why, sizeof(why)), 0);
    ASSERT_EQ(image_lookup(st, "centos", &x), -ENOENT);
    ASSERT_EQ(image_lookup(st, a.id, &x), -ENOENT);
    ASSERT_EQ(image_lookup_archive(st, archive, &x), -ENOENT);
    ASSERT_EQ(image_use(st, a.id), -ENOENT);
    ASSERT_EQ(count_prefix(names, ""), 2); /* "." and ".." */
    ASSERT_EQ(count_prefix(sources, ""), 2);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 0);
    ASSERT_EQ(count_prefix(image_store_path(st), "trash-"), 0);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT_EQ(n, 0);
    image_list_free(list, n);
    ASSERT_EQ(image_remove(st, "centos", why, sizeof(why)), -ENOENT);
    ASSERT_STREQ(why, "no image 'centos'");

    image_info_clear(&a);
    free(archive);
    image_store_free(st);
    scratch_done(&s);
}

/* An image with several names: removing one by name only takes the name
 * away (as docker's rmi of a tag), even while the image is in use; the
 * last name, or the id, removes the image. */
static void test_remove_one_name(void)
{
    struct scratch s;
    struct image_store *st;
    struct image_info a = {}, x = {};
    struct image_info *list = NULL;
    size_t n = 0;
    char *archive, why[512];
    int use;

    scratch_init(&s);
    st = store_open(&s);
    archive = at(s.dir, "centos.tar");
    write_archive(archive, F_NONE, normal_tree, ELEMENTSOF(normal_tree));
    import_ok(st, archive, "centos", &a, NULL);
    import_ok(st, archive, "centos7", &x, NULL);
    image_info_clear(&x);
    import_ok(st, archive, "web", &x, NULL);
    image_info_clear(&x);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT_EQ(n, 3);
    image_list_free(list, n);

    use = image_use(st, a.id);
    ASSERT(use >= 0);
    ASSERT_EQ(image_remove(st, "centos7", why, sizeof(why)), 1);
    ASSERT_EQ(image_lookup(st, "centos7", &x), -ENOENT);
    ASSERT_EQ(image_lookup(st, "centos", &x), 0);
    ASSERT_STREQ(x.id, a.id);
    image_info_clear(&x);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 1);
    /* By id it is the whole image: refused while in use. */
    ASSERT_EQ(image_remove(st, a.id, why, sizeof(why)), -EBUSY);
    close(use);

    ASSERT_EQ(image_remove(st, "web", why, sizeof(why)), 1);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT_EQ(n, 1);
    ASSERT_STREQ(list[0].name, "centos");
    image_list_free(list, n);
    /* The last name goes with the image. */
    ASSERT_EQ(image_remove(st, "centos", why, sizeof(why)), 0);
    ASSERT_EQ(image_lookup(st, a.id, &x), -ENOENT);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 0);

    image_info_clear(&a);
    free(archive);
    image_store_free(st);
    scratch_done(&s);
}

/* ---- hostile archives ------------------------------------------------------- */

/* Import v, which must be refused with exactly want, leaving the scratch
 * directory as it was. */
static void assert_refused(const struct ent *v, size_t n, const char *want)
{
    _cleanup_free_ char *archive = NULL, *before = NULL, *after = NULL;
    struct scratch s;
    struct image_store *st;
    char why[512] = "";

    scratch_init(&s);
    archive = at(s.dir, "evil.tar");
    write_archive(archive, F_NONE, v, n);
    st = store_open(&s);
    before = listing(s.dir);
    import_fails(st, archive, why, sizeof(why));
    ASSERT_STREQ(why, want);
    after = listing(s.dir);
    ASSERT_STREQ(after, before);
    image_store_free(st);
    scratch_done(&s);
}

static void test_refuse_dotdot(void)
{
    char name[192], outside[128];
    struct ent v[] = {
        DIR_("./", 0755),
        FILE_("./fine", 0644, "x"),
        FILE_(name, 0644, "pwned"),
    };
    char want[256];

    /* Far enough up to leave any scratch directory, and named to be found. */
    snprintf(outside, sizeof(outside), "/tmp/corral-test-escaped-%d", (int) getpid());
    snprintf(name, sizeof(name), "../../../../../../../..%s", outside);
    snprintf(want, sizeof(want), "'%s': the path leaves the image (a '..' component)", name);
    assert_refused(v, ELEMENTSOF(v), want);
    ASSERT(access(outside, F_OK) < 0 && errno == ENOENT);

    v[2].path = "./a/../../x";
    assert_refused(v, ELEMENTSOF(v), "'./a/../../x': the path leaves the image (a '..' component)");
}

static void test_absolute_neutralised(void)
{
    static const struct ent v[] = {
        DIR_("./", 0755),
        FILE_("/etc/x", 0644, "inside"),
        FILE_("//etc/./y", 0644, "too"),
    };
    _cleanup_free_ char *archive = NULL, *x = NULL, *y = NULL, *tx = NULL, *ty = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {};
    struct unpack_stats stats;

    scratch_init(&s);
    archive = at(s.dir, "abs.tar");
    write_archive(archive, F_NONE, v, ELEMENTSOF(v));
    st = store_open(&s);
    import_ok(st, archive, NULL, &info, &stats);
    ASSERT_EQ(stats.stripped_absolute, 2);
    x = at(info.rootfs, "etc/x");
    y = at(info.rootfs, "etc/y");
    tx = read_text(x);
    ty = read_text(y);
    ASSERT_STREQ(tx, "inside");
    ASSERT_STREQ(ty, "too");
    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);
}

static void test_refuse_symlink_parent(void)
{
    char outside[128], name[192], want[320];
    struct ent v[] = {
        DIR_("./", 0755),
        {"./evil", AE_IFLNK, 0777, .link = "/"},
        FILE_(name, 0644, "pwned"),
    };
    struct ent w[] = {
        DIR_("./", 0755),
        DIR_("./a/", 0755),
        {"./a/evil", AE_IFLNK, 0777, .link = "../../../../../../../../.."},
        FILE_(name, 0644, "pwned"),
    };

    snprintf(outside, sizeof(outside), "tmp/corral-test-escaped-%d", (int) getpid());
    snprintf(name, sizeof(name), "./evil/%s", outside);
    snprintf(want, sizeof(want),
             "'evil/%s': refused: the path passes through the symbolic link 'evil'", outside);
    assert_refused(v, ELEMENTSOF(v), want);
    snprintf(name, sizeof(name), "./a/evil/%s", outside);
    snprintf(want, sizeof(want),
             "'a/evil/%s': refused: the path passes through the symbolic link 'a/evil'", outside);
    assert_refused(w, ELEMENTSOF(w), want);
    /* Straight in: "evil/x" with evil -> / would be /x. */
    v[2].path = "evil/x";
    assert_refused(v, ELEMENTSOF(v),
                   "'evil/x': refused: the path passes through the symbolic link 'evil'");
    snprintf(name, sizeof(name), "/%s", outside);
    ASSERT(access(name, F_OK) < 0 && errno == ENOENT);
}

static void test_refuse_hardlink_out(void)
{
    static const struct ent v[] = {
        DIR_("./", 0755),
        {"./h", .hardlink = "../../outside"},
    };
    static const struct ent w[] = {
        DIR_("./", 0755),
        {"./evil", AE_IFLNK, 0777, .link = "/etc"},
        {"./h", .hardlink = "evil/passwd"},
    };

    assert_refused(v, ELEMENTSOF(v),
                   "'h': refused: its hard link target '../../outside' leaves the image (a '..' "
                   "component)");
    assert_refused(w, ELEMENTSOF(w),
                   "'h': refused: its hard link target 'evil/passwd' passes through the symbolic "
                   "link 'evil'");
}

/* A hard link to a symlink that points out is a link to the symlink
 * itself; an entry over a symlink replaces it: the outside file is never
 * linked to nor written. */
static void test_hardlink_to_symlink(void)
{
    _cleanup_free_ char *archive = NULL, *canary = NULL, *text = NULL, *p = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {};
    struct stat a, b;

    scratch_init(&s);
    canary = at(s.dir, "canary");
    ASSERT_EQ(write_file_atomic(canary, "canary\n", 0644), 0);
    {
        const struct ent v[] = {
            DIR_("./", 0755),
            {"./s", AE_IFLNK, 0777, .link = canary},
            {"./h", .hardlink = "./s"},
            {"./h2", .hardlink = "./s"},
            FILE_("./h2", 0644, "pwned via h2"),
            {"./s2", AE_IFLNK, 0777, .link = canary},
            FILE_("./s2", 0644, "pwned via s2"),
        };
        archive = at(s.dir, "links.tar");
        write_archive(archive, F_NONE, v, ELEMENTSOF(v));
    }
    st = store_open(&s);
    import_ok(st, archive, NULL, &info, NULL);

    assert_mode(info.rootfs, "h", S_IFLNK, 0, 0, 0);
    p = at(info.rootfs, "s");
    ASSERT(lstat(p, &a) == 0);
    free(p);
    p = at(info.rootfs, "h");
    ASSERT(lstat(p, &b) == 0);
    ASSERT_EQ(a.st_ino, b.st_ino);
    free(p);
    p = at(info.rootfs, "h2");
    free(text);
    text = read_text(p);
    ASSERT_STREQ(text, "pwned via h2");
    free(p);
    p = at(info.rootfs, "s2");
    free(text);
    text = read_text(p);
    ASSERT_STREQ(text, "pwned via s2");

    free(text);
    text = read_text(canary);
    ASSERT_STREQ(text, "canary\n");
    ASSERT(stat(canary, &a) == 0);
    ASSERT_EQ(a.st_nlink, 1);

    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);
}

static void test_devices_skipped(void)
{
    static const struct ent v[] = {
        DIR_("./", 0755),
        DIR_("./dev/", 0755),
        {"./dev/null", AE_IFCHR, 0666, .rdev = 0x0103},
        {"./dev/sda", AE_IFBLK, 0660, .rdev = 0x0800},
        {"./dev/null2", .hardlink = "./dev/null"},
        FILE_("./dev/.keep", 0644, ""),
    };
    _cleanup_free_ char *archive = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {};
    struct unpack_stats stats;

    scratch_init(&s);
    archive = at(s.dir, "dev.tar");
    write_archive(archive, F_NONE, v, ELEMENTSOF(v));
    st = store_open(&s);
    import_ok(st, archive, NULL, &info, &stats);
    ASSERT_EQ(stats.skipped_devices, 3);
    ASSERT_EQ(stats.entries, 3);
    assert_absent(info.rootfs, "dev/null");
    assert_absent(info.rootfs, "dev/sda");
    assert_absent(info.rootfs, "dev/null2");
    assert_mode(info.rootfs, "dev/.keep", S_IFREG, 0644, 0, 0);
    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);
}

static void test_repeated_names(void)
{
    static const struct ent v[] = {
        DIR_("./", 0755),
        FILE_("./a", 0644, "first"),
        FILE_("./a", 0600, "second"),
        FILE_("./d", 0644, "a file first"),
        DIR_("./d/", 0750),
        FILE_("./d/x", 0644, "in d"),
        DIR_("./e/", 0755),
        {"./e", AE_IFLNK, 0777, .link = "target"},
    };
    static const struct ent w[] = {
        DIR_("./", 0755),
        DIR_("./full/", 0755),
        FILE_("./full/x", 0644, "x"),
        FILE_("./full", 0644, "over a directory that is not empty"),
    };
    _cleanup_free_ char *archive = NULL, *p = NULL, *text = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {};

    scratch_init(&s);
    archive = at(s.dir, "twice.tar");
    write_archive(archive, F_NONE, v, ELEMENTSOF(v));
    st = store_open(&s);
    import_ok(st, archive, NULL, &info, NULL);
    p = at(info.rootfs, "a");
    text = read_text(p);
    ASSERT_STREQ(text, "second");
    assert_mode(info.rootfs, "a", S_IFREG, 0600, 0, 0);
    assert_mode(info.rootfs, "d", S_IFDIR, 0750, 0, 0);
    assert_mode(info.rootfs, "d/x", S_IFREG, 0644, 0, 0);
    assert_mode(info.rootfs, "e", S_IFLNK, 0, 0, 0);
    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);

    assert_refused(w, ELEMENTSOF(w),
                   "'full': refused: the archive names it again as a non-directory, but it is a "
                   "directory that is not empty");
}

static void test_truncated(void)
{
    const struct ent v[] = {
        DIR_("./", 0755),
        {"./big", AE_IFREG, 0644, .size = 1 << 20},
        FILE_("./after", 0644, "after"),
    };
    _cleanup_free_ char *archive = NULL;
    struct scratch s;
    struct image_store *st;
    struct stat sb;
    char why[512] = "";
    int r;

    scratch_init(&s);
    archive = at(s.dir, "cut.tar.gz");
    write_archive(archive, F_GZIP, v, ELEMENTSOF(v));
    ASSERT(stat(archive, &sb) == 0);
    ASSERT(truncate(archive, sb.st_size / 2) == 0);
    st = store_open(&s);
    r = import_fails(st, archive, why, sizeof(why));
    ASSERT_EQ(r, -EINVAL);
    ASSERT(strncmp(why, "'", 1) == 0 && strstr(why, archive));
    ASSERT(strstr(why, "damaged or truncated archive"));
    image_store_free(st);
    scratch_done(&s);
}

static void test_not_an_archive(void)
{
    _cleanup_free_ char *path = NULL, *want = NULL, *empty = NULL;
    struct scratch s;
    struct image_store *st;
    char why[512] = "";

    scratch_init(&s);
    path = at(s.dir, "notes.txt");
    ASSERT_EQ(write_file_atomic(path, "just some text, not a tar archive at all\n", 0644), 0);
    ASSERT_EQ(image_probe_archive(path, why, sizeof(why)), -EINVAL);
    ASSERT(asprintf(&want, "'%s': not a tar archive (or a compressed one): ", path) >= 0);
    ASSERT(strncmp(why, want, strlen(want)) == 0);
    ASSERT(strlen(why) > strlen(want));
    st = store_open(&s);
    why[0] = 0;
    ASSERT_EQ(import_fails(st, path, why, sizeof(why)), -EINVAL);
    ASSERT(strncmp(why, want, strlen(want)) == 0);

    /* A directory, a missing file: said so. */
    ASSERT_EQ(image_probe_archive(s.dir, why, sizeof(why)), -EINVAL);
    ASSERT(strstr(why, "not a regular file"));
    empty = at(s.dir, "missing.tar");
    ASSERT_EQ(image_probe_archive(empty, why, sizeof(why)), -ENOENT);
    ASSERT(strstr(why, "No such file or directory"));
    image_store_free(st);
    scratch_done(&s);
}

/* Slow enough that progress is reported in the middle, then killed there
 * (or at the 100% call, which still comes before the commit). */
static void die_at_half(void *userdata, uint64_t done, uint64_t total)
{
    if (total > 0 && done * 2 >= total)
        kill(getpid(), SIGKILL);
    usleep(260 * 1000); /* past the quarter second between two reports */
}

static void test_interrupted(void)
{
    struct ent v[10] = {DIR_("./", 0755)};
    char names[8][16];
    _cleanup_free_ char *archive = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info *list = NULL, x = {};
    size_t n = 0;
    pid_t pid;
    int status;

    for (size_t i = 0; i < 8; i++) {
        snprintf(names[i], sizeof(names[i]), "./f%zu", i);
        v[i + 1] = (struct ent){names[i], AE_IFREG, 0644, .size = 1 << 20};
    }
    v[9] = (struct ent) DIR_("./last/", 0755);
    scratch_init(&s);
    archive = at(s.dir, "big.tar");
    write_archive(archive, F_NONE, v, ELEMENTSOF(v));

    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        struct image_store *cst = NULL;
        char why[256];
        if (image_store_open(s.state, &cst) < 0)
            _exit(2);
        (void) image_import(cst, archive, "big", die_at_half, NULL, NULL, NULL, why, sizeof(why));
        _exit(3); /* not killed: the test fails */
    }
    ASSERT(waitpid(pid, &status, 0) == pid);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    st = store_open(&s);
    ASSERT_EQ(image_list(st, &list, &n), 0);
    ASSERT_EQ(n, 0);
    image_list_free(list, n);
    ASSERT_EQ(image_lookup(st, "big", &x), -ENOENT);
    ASSERT_EQ(image_lookup_archive(st, archive, &x), -ENOENT);
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 1);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 0);
    ASSERT_EQ(image_store_sweep(st), 0);
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 0);
    image_store_free(st);
    scratch_done(&s);
}

/* An image is an overlay's lower layer: overlayfs's own xattrs in an
 * archive (an opaque directory hiding the container's layer, a redirect)
 * are not written. */
static void test_trusted_xattrs_skipped(void)
{
    static const struct ent v[] = {
        DIR_("./", 0755),
        {"./etc/", AE_IFDIR, 0755, .trusted = true},
        {"./etc/hostname", AE_IFREG, 0644, .data = "x\n", .trusted = true},
    };
    _cleanup_free_ char *archive = NULL, *etc = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {};
    struct unpack_stats stats;
    char got[8];

    scratch_init(&s);
    archive = at(s.dir, "trusted.tar");
    write_archive(archive, F_NONE, v, ELEMENTSOF(v));
    st = store_open(&s);
    ASSERT_EQ(import_ok(st, archive, NULL, &info, &stats), 0);
    /* libarchive's pax writer records an xattr twice (LIBARCHIVE. and
     * SCHILY.), and the reader hands both over. */
    ASSERT(stats.xattrs_skipped >= 2);
    etc = at(info.rootfs, "etc");
    ASSERT(getxattr(etc, "trusted.overlay.opaque", got, sizeof(got)) < 0 && errno == ENODATA);
    free(etc);
    etc = at(info.rootfs, "etc/hostname");
    ASSERT(getxattr(etc, "trusted.overlay.opaque", got, sizeof(got)) < 0 && errno == ENODATA);
    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);
}

/* The file grows while it is unpacked: what was unpacked is not what was
 * hashed first, so it is not stored under that id. */
static const char *grow_path;

static void grow_once(void *userdata, uint64_t done, uint64_t total)
{
    static const char tail[1024];
    int fd;

    if (!grow_path)
        return;
    fd = open(grow_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    ASSERT(fd >= 0);
    ASSERT(write(fd, tail, sizeof(tail)) == (ssize_t) sizeof(tail));
    close(fd);
    grow_path = NULL;
}

static void test_changed_while_imported(void)
{
    struct ent v[4] = {DIR_("./", 0755)};
    _cleanup_free_ char *archive = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info x = {};
    char why[512] = "";

    v[1] = (struct ent){"./a", AE_IFREG, 0644, .size = 1 << 20};
    v[2] = (struct ent){"./b", AE_IFREG, 0644, .size = 1 << 20};
    v[3] = (struct ent){"./c", AE_IFREG, 0644, .size = 1 << 20};
    scratch_init(&s);
    archive = at(s.dir, "grows.tar");
    write_archive(archive, F_NONE, v, ELEMENTSOF(v));
    st = store_open(&s);
    grow_path = archive;
    ASSERT_EQ(image_import(st, archive, "grows", grow_once, NULL, &x, NULL, why, sizeof(why)),
              -ESTALE);
    ASSERT(strstr(why, "changed while it was imported"));
    ASSERT_EQ(image_lookup(st, "grows", &x), -ENOENT);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 0);
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 0);
    image_store_free(st);
    scratch_done(&s);
}

/* A sweep leaves alone a tmp-* an importer holds. */
static void test_sweep_spares_live_import(void)
{
    _cleanup_free_ char *tmp = NULL;
    struct scratch s;
    struct image_store *st;
    int fd;

    scratch_init(&s);
    st = store_open(&s);
    tmp = at(image_store_path(st), "tmp-live00");
    ASSERT(mkdir(tmp, 0700) == 0);
    fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT(fd >= 0);
    ASSERT(flock(fd, LOCK_EX) == 0);
    ASSERT_EQ(image_store_sweep(st), 0);
    ASSERT(access(tmp, F_OK) == 0);
    close(fd);
    ASSERT_EQ(image_store_sweep(st), 0);
    ASSERT(access(tmp, F_OK) < 0 && errno == ENOENT);
    image_store_free(st);
    scratch_done(&s);
}

/* A second importer of the same archive commits while the first is
 * unpacking: the first finds the image there at its commit, and discards
 * its own copy. */
static const char *self; /* this program: the second importer is a fresh one */
static const char *concurrent_args[2];

static void import_meanwhile(void *userdata, uint64_t done, uint64_t total)
{
    bool *once = userdata;
    pid_t pid;
    int status;

    if (*once)
        return;
    *once = true;
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        execl(self, self, "--import", concurrent_args[0], concurrent_args[1], (char *) NULL);
        _exit(127);
    }
    ASSERT(waitpid(pid, &status, 0) == pid);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_concurrent_import(void)
{
    _cleanup_free_ char *archive = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {}, x = {};
    struct unpack_stats stats;
    bool once = false;
    char why[512] = "";

    scratch_init(&s);
    archive = at(s.dir, "root.tar");
    write_archive(archive, F_NONE, normal_tree, ELEMENTSOF(normal_tree));
    concurrent_args[0] = s.state;
    concurrent_args[1] = archive;
    st = store_open(&s);
    ASSERT_EQ(
        image_import(st, archive, "mine", import_meanwhile, &once, &info, &stats, why, sizeof(why)),
        0);
    ASSERT(once);
    ASSERT_EQ(stats.entries, ELEMENTSOF(normal_tree)); /* it did unpack, then discarded */
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 1);
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 0);
    ASSERT_EQ(image_lookup(st, "theirs", &x), 0);
    ASSERT_STREQ(x.id, info.id);
    ASSERT_STREQ(info.name, "mine");
    check_normal_tree(info.rootfs);
    image_info_clear(&x);
    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);
}

/* A full disk: the file it happened to is named, and nothing is left. */
static int no_space_child(struct scratch *s, const char *archive)
{
    struct image_store *st = NULL;
    char why[512] = "";
    int r;

    if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return 2;
    ASSERT(mkdir(s->state, 0700) == 0);
    ASSERT(mount("tmpfs", s->state, "tmpfs", 0, "size=1m") == 0);
    st = store_open(s);
    r = image_import(st, archive, NULL, NULL, NULL, NULL, NULL, why, sizeof(why));
    ASSERT_EQ(r, -ENOSPC);
    ASSERT_STREQ(why, "'var/big': No space left on device");
    ASSERT_EQ(count_prefix(image_store_path(st), "tmp-"), 0);
    ASSERT_EQ(count_prefix(image_store_path(st), "sha256-"), 0);
    image_store_free(st);
    ASSERT(umount(s->state) == 0);
    return 0;
}

static void test_no_space(void)
{
    const struct ent v[] = {
        DIR_("./", 0755),
        DIR_("./var/", 0755),
        {"./var/big", AE_IFREG, 0644, .size = 4 << 20},
    };
    _cleanup_free_ char *archive = NULL;
    struct scratch s;
    pid_t pid;
    int status;

    scratch_init(&s);
    archive = at(s.dir, "big.tar.zst");
    write_archive(archive, F_ZSTD, v, ELEMENTSOF(v));
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int r = no_space_child(&s, archive);
        free(s.state);
        free(archive);
        _exit(r);
    }
    ASSERT(waitpid(pid, &status, 0) == pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    scratch_done(&s);
}

/* ---- copy and removal ---------------------------------------------------- */

static void test_copy_tree(void)
{
    _cleanup_free_ char *archive = NULL, *dst = NULL, *src = NULL, *p = NULL, *dst2 = NULL;
    struct scratch s;
    struct image_store *st;
    struct image_info info = {};
    struct unpack_stats stats;
    char why[512] = "";
    int r;

    scratch_init(&s);
    archive = at(s.dir, "root.tar.gz");
    write_archive(archive, F_GZIP, normal_tree, ELEMENTSOF(normal_tree));
    st = store_open(&s);
    import_ok(st, archive, NULL, &info, NULL);

    dst = at(s.dir, "copy");
    r = image_copy_tree(info.rootfs, dst, NULL, NULL, &stats, why, sizeof(why));
    if (r < 0)
        fprintf(stderr, "image_copy_tree: %s\n", why);
    ASSERT_EQ(r, 0);
    check_normal_tree(dst);
    ASSERT_EQ(stats.hardlinks, 1);
    ASSERT_EQ(stats.files, 6);
    ASSERT_EQ(stats.symlinks, 1);
    ASSERT_EQ(stats.skipped_devices, 0);
    ASSERT_EQ(count_prefix(s.dir, "copy.tmp-"), 0);

    /* dst must not exist. */
    ASSERT_EQ(image_copy_tree(info.rootfs, dst, NULL, NULL, NULL, why, sizeof(why)), -EEXIST);
    ASSERT(strstr(why, "already exists"));

    /* A user's directory with a device node in it: not copied, counted. */
    src = at(s.dir, "src");
    ASSERT(mkdir(src, 0755) == 0);
    p = at(src, "null");
    ASSERT(mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0);
    free(p);
    p = at(src, "file");
    ASSERT_EQ(write_file_atomic(p, "data", 0644), 0);
    ASSERT(chmod(p, 0644) == 0); /* whatever the umask */
    dst2 = at(s.dir, "copy2");
    ASSERT_EQ(image_copy_tree(src, dst2, NULL, NULL, &stats, why, sizeof(why)), 0);
    ASSERT_EQ(stats.skipped_devices, 1);
    assert_absent(dst2, "null");
    assert_mode(dst2, "file", S_IFREG, 0644, 0, 0);

    image_info_clear(&info);
    image_store_free(st);
    scratch_done(&s);
}

static void test_remove_tree(void)
{
    _cleanup_free_ char *canary = NULL, *tree = NULL, *text = NULL;
    char path[4096];
    struct scratch s;
    size_t len;
    int dfd;

    scratch_init(&s);
    canary = at(s.dir, "canary");
    ASSERT(mkdir(canary, 0755) == 0);
    free(canary);
    canary = at(s.dir, "canary/file");
    ASSERT_EQ(write_file_atomic(canary, "keep", 0444), 0);
    tree = at(s.dir, "tree");

    /* 30 levels of read-only directories, each with a read-only file, a
     * symlink out and a FIFO. */
    len = (size_t) snprintf(path, sizeof(path), "%s", tree);
    for (int i = 0; i < 30; i++) {
        char *f;
        ASSERT(mkdir(path, 0755) == 0);
        f = at(path, "file");
        ASSERT_EQ(write_file_atomic(f, "x", 0444), 0);
        free(f);
        f = at(path, "out");
        ASSERT(symlink(s.dir, f) == 0);
        free(f);
        f = at(path, "fifo");
        ASSERT(mkfifo(f, 0600) == 0);
        free(f);
        len += (size_t) snprintf(path + len, sizeof(path) - len, "/d%d", i);
    }
    for (int i = 30; i > 0; i--) {
        *strrchr(path, '/') = 0;
        ASSERT(chmod(path, 0555) == 0);
    }
    dfd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT(dfd >= 0);
    ASSERT_EQ(image_remove_tree_at(dfd, "tree"), 0);
    ASSERT(access(tree, F_OK) < 0 && errno == ENOENT);
    text = read_text(canary);
    ASSERT_STREQ(text, "keep");
    ASSERT_EQ(image_remove_tree_at(dfd, "tree"), 0); /* nothing there: fine */

    /* A symlink at the top is removed, not followed. */
    ASSERT(symlink("canary", tree) == 0);
    ASSERT_EQ(image_remove_tree_at(dfd, "tree"), 0);
    ASSERT(access(canary, F_OK) == 0);
    close(dfd);
    scratch_done(&s);
}

/* In a private mount namespace, so that nothing is seen by the host. */
static int mount_child(const char *dir)
{
    _cleanup_free_ char *tree = at(dir, "tree"), *mnt = at(dir, "tree/a/mnt");
    _cleanup_free_ char *bind = at(dir, "tree/c/bind"), *other = at(dir, "other");
    _cleanup_free_ char *inside = at(dir, "tree/a/mnt/inside"), *b = at(dir, "tree/b");
    _cleanup_free_ char *c = at(dir, "tree/c"), *a = at(dir, "tree/a");
    int dfd;

    if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return 2;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT(dfd >= 0);
    ASSERT(mkdir(tree, 0755) == 0 && mkdir(a, 0755) == 0 && mkdir(mnt, 0755) == 0);
    ASSERT(mkdir(b, 0755) == 0 && mkdir(c, 0755) == 0 && mkdir(bind, 0755) == 0);
    ASSERT(mkdir(other, 0755) == 0);
    ASSERT(mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0);
    ASSERT_EQ(write_file_atomic(inside, "mounted", 0644), 0);

    /* Another file system below: refused, and what is mounted is kept. */
    ASSERT_EQ(image_remove_tree_at(dfd, "tree"), -EXDEV);
    ASSERT(access(inside, F_OK) == 0);
    ASSERT(access(b, F_OK) < 0 && errno == ENOENT); /* the rest went */
    ASSERT(umount(mnt) == 0);

    /* A bind mount of the same file system: a mount point all the same. */
    ASSERT(mkdir(c, 0755) == 0 && mkdir(bind, 0755) == 0);
    ASSERT(mount(other, bind, "none", MS_BIND, NULL) == 0);
    ASSERT_EQ(image_remove_tree_at(dfd, "tree"), -EXDEV);
    ASSERT(access(other, F_OK) == 0);
    ASSERT(umount(bind) == 0);

    ASSERT_EQ(image_remove_tree_at(dfd, "tree"), 0);
    ASSERT(access(tree, F_OK) < 0 && errno == ENOENT);
    close(dfd);
    return 0;
}

static void test_remove_tree_mount(void)
{
    struct scratch s;
    pid_t pid;
    int status;

    scratch_init(&s);
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int r = mount_child(s.dir);
        free(s.state);
        _exit(r);
    }
    ASSERT(waitpid(pid, &status, 0) == pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    scratch_done(&s);
}

struct test {
    const char *name;
    void (*fn)(void);
};

#define T(f)                                                                                       \
    {                                                                                              \
#f, f                                                                                      \
    }
static const struct test tests[] = {
    T(test_formats),
    T(test_import_twice),
    T(test_changed_while_imported),
    T(test_trusted_xattrs_skipped),
    T(test_names_lookup_list),
    T(test_lookup_archive_after_touch),
    T(test_remove_and_use),
    T(test_remove_one_name),
    T(test_refuse_dotdot),
    T(test_absolute_neutralised),
    T(test_refuse_symlink_parent),
    T(test_refuse_hardlink_out),
    T(test_hardlink_to_symlink),
    T(test_devices_skipped),
    T(test_repeated_names),
    T(test_truncated),
    T(test_not_an_archive),
    T(test_interrupted),
    T(test_sweep_spares_live_import),
    T(test_concurrent_import),
    T(test_no_space),
    T(test_copy_tree),
    T(test_remove_tree),
    T(test_remove_tree_mount),
};

/* The second importer of test_concurrent_import(). */
static int import_main(const char *state, const char *archive)
{
    struct image_store *st = NULL;
    char why[512] = "";
    int r;

    if (image_store_open(state, &st) < 0)
        return 1;
    r = image_import(st, archive, "theirs", NULL, NULL, NULL, NULL, why, sizeof(why));
    if (r < 0)
        fprintf(stderr, "import: %s\n", why);
    image_store_free(st);
    return r < 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && streq(argv[1], "--import"))
        return import_main(argv[2], argv[3]);
    self = argv[0];
    if (geteuid() != 0) {
        printf("1..0 # SKIP needs root (chown, security.* xattrs, mounts)\n");
        return 0;
    }
    /* The store must not depend on the caller's umask. */
    umask(077);
    printf("1..%zu\n", ELEMENTSOF(tests));
    for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
        tests[i].fn();
        printf("ok %zu - %s\n", i + 1, tests[i].name);
        fflush(stdout);
    }
    return 0;
}
