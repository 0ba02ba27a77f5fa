/* SPDX-License-Identifier: MIT */
#include "rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"
#include "runtime.h"
#include "util.h"
#include "worker.h"

#define TRASH_PREFIX ".trash-"

static struct image_store *store(struct daemon *d, int *ret)
{
    if (!d->images)
        *ret = image_store_open(d->cfg->sup.state_dir, &d->images);
    else
        *ret = 0;
    return d->images;
}

/* ---- discarded layers: renamed aside at once, deleted by a worker ---- */

static int trash_fn(struct worker_child *wc, void *arg, char *why, size_t len)
{
    struct daemon *d = arg;
    _cleanup_close_ int dfd = open(d->persist_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir;
    struct dirent *de;
    int r = 0;

    if (dfd < 0)
        return negative_errno();
    dir = fdopendir(dup(dfd));
    if (!dir)
        return negative_errno();
    while ((de = readdir(dir)))
        if (strncmp(de->d_name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0) {
            int k = image_remove_tree_at(dfd, de->d_name);
            if (k < 0 && r == 0) {
                r = k;
                snprintf(why, len, "Failed to remove '%s/%s': %s", d->persist_dir, de->d_name,
                         strerror(-k));
            }
        }
    closedir(dir);
    /* And an import or removal a crash interrupted: through a store of
     * its own, the supervisor's fds are closed here. */
    if (d->images) {
        struct image_store *s = NULL;

        if (image_store_open(d->cfg->sup.state_dir, &s) == 0)
            (void) image_store_sweep(s);
        image_store_free(s);
    }
    return r;
}

static void trash_kick(struct daemon *d);

static void on_trash_done(struct worker *w, int err, const char *why)
{
    struct daemon *d = w->d;

    d->trash_worker = NULL;
    if (err < 0 && err != -ECANCELED)
        log_warn("%s, ignoring", why[0] ? why : "Failed to remove discarded layers");
    if (d->trash_again && !d->finished) {
        d->trash_again = false;
        trash_kick(d);
    }
}

static void trash_kick(struct daemon *d)
{
    int r;

    if (d->trash_worker) {
        d->trash_again = true;
        return;
    }
    r = worker_start(d, "trash", trash_fn, d, NULL, on_trash_done, NULL, &d->trash_worker);
    if (r < 0) {
        log_warn("Failed to start removing discarded layers: %s, ignoring", strerror(-r));
        return;
    }
    /* `down` waits for it: nothing half deleted is left behind. */
    d->trash_worker->wait_at_exit = true;
}

/* Move dir/name out of the way (a rename: instant, whatever its size). */
static int discard(struct container *c, const char *name)
{
    _cleanup_free_ char *from = path_join(c->rootfs.dir, name), *to = NULL;
    uint32_t rnd = 0;

    if (!from)
        return -ENOMEM;
    if (access(from, F_OK) < 0)
        return errno == ENOENT ? 0 : negative_errno();
    (void) !getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
    if (asprintf(&to, "%s/" TRASH_PREFIX "%s-%s-%08x", c->d->persist_dir, c->spec->name, name,
                 rnd) < 0)
        return -ENOMEM;
    if (rename(from, to) < 0)
        return negative_errno();
    trash_kick(c->d);
    return 0;
}

void rootfs_sweep(struct daemon *d)
{
    int r;

    if (access(d->cfg->sup.state_dir, F_OK) == 0) {
        _cleanup_free_ char *images = path_join(d->cfg->sup.state_dir, "images");
        if (images && access(images, F_OK) == 0)
            (void) store(d, &r);
    }
    trash_kick(d);
}

/* ---- imports and copies ---- */

struct import_job {
    char *archive;
    char *state_dir;
};

static int import_fn(struct worker_child *wc, void *arg, char *why, size_t len)
{
    struct import_job *job = arg;
    struct image_store *s = NULL;
    struct image_info info = {0};
    struct unpack_stats st = {0};
    char size[32];
    int r;

    r = image_store_open(job->state_dir, &s);
    if (r < 0) {
        snprintf(why, len, "open the image store in '%s': %s", job->state_dir, strerror(-r));
        return r;
    }
    r = image_import(s, job->archive, NULL, (image_progress_fn) worker_child_progress, wc, &info,
                     &st, why, len);
    if (r > 0) /* imported meanwhile, by `corral image import` say */
        snprintf(why, len, "image %.12s: in the store already", info.id);
    if (r > 0)
        r = 0;
    else if (r == 0) {
        format_size(st.bytes, size, sizeof(size));
        snprintf(why, len, "image %.12s: %" PRIu64 " entries, %s", info.id, st.entries, size);
        if (st.skipped_devices)
            snprintf(why + strlen(why), len - strlen(why),
                     "; %" PRIu64 " device node(s) not created (a container gets its own /dev)",
                     st.skipped_devices);
        if (st.stripped_absolute)
            snprintf(why + strlen(why), len - strlen(why),
                     "; leading '/' removed from %" PRIu64 " name(s)", st.stripped_absolute);
    }
    image_info_clear(&info);
    image_store_free(s);
    return r;
}

struct copy_job {
    char *from, *to;
};

static int copy_fn(struct worker_child *wc, void *arg, char *why, size_t len)
{
    struct copy_job *job = arg;
    struct unpack_stats st = {0};
    char size[32];
    int r = image_copy_tree(job->from, job->to, (image_progress_fn) worker_child_progress, wc, &st,
                            why, len);

    if (r == 0) {
        format_size(st.bytes, size, sizeof(size));
        snprintf(why, len, "%" PRIu64 " entries, %s", st.entries, size);
    }
    return r;
}

static void each_waiter(struct worker *w, void (*fn)(struct container *c, struct worker *w))
{
    struct daemon *d = w->d;

    for (size_t i = 0; i < d->n_ctrs; i++)
        if (d->ctrs[i]->rootfs.worker == w)
            fn(d->ctrs[i], w);
}

static bool is_import(const struct worker *w)
{
    return strncmp(w->key, "import:", 7) == 0;
}

/* The archive or directory a worker works on. */
static const char *subject(const struct worker *w)
{
    return w->key + strcspn(w->key, ":") + 1;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void show_progress(struct container *c, struct worker *w)
{
    const char *verb = is_import(w) ? "unpacking" : "copying";
    char size[32];
    uint64_t done = w->progress_done, total = w->progress_total;

    if (total) {
        format_size(total, size, sizeof(size));
        snprintf(c->rootfs.progress, sizeof(c->rootfs.progress), "%s '%s': %u%% of %s", verb,
                 base_name(subject(w)), (unsigned) (done * 100 / total), size);
    } else {
        format_size(done, size, sizeof(size));
        snprintf(c->rootfs.progress, sizeof(c->rootfs.progress), "%s '%s': %s", verb,
                 base_name(subject(w)), size);
    }
    daemon_changed(c->d, c);
}

static void on_progress(struct worker *w, uint64_t done, uint64_t total)
{
    w->progress_done = done;
    w->progress_total = total;
    each_waiter(w, show_progress);
}

static void ready(struct container *c, struct worker *w)
{
    char msg[WORKER_TEXT_MAX + 64];

    c->rootfs.worker = NULL;
    c->rootfs.progress[0] = '\0';
    if (w->err < 0)
        snprintf(msg, sizeof(msg), "%s '%s': %s", is_import(w) ? "unpack" : "copy", subject(w),
                 w->why);
    container_rootfs_ready(c, w->err, w->err < 0 ? msg : NULL);
}

static void on_done(struct worker *w, int err, const char *why)
{
    uint64_t ms = now_monotonic_ms() - w->started_ms;

    if (err == -ECANCELED && is_import(w)) {
        /* The supervisor is going down, and killed the import: what it
         * unpacked so far goes now, not at the next start. */
        int r;
        struct image_store *st = store(w->d, &r);
        if (st)
            (void) image_store_sweep(st);
    } else if (err == -ECANCELED)
        ; /* the supervisor is going down */
    else if (err < 0)
        log_error("Failed to %s '%s': %s", is_import(w) ? "unpack" : "copy", subject(w), why);
    else
        log_info("%s '%s' in %.1fs: %s", is_import(w) ? "unpacked" : "copied", subject(w),
                 (double) ms / 1000.0, why);
    each_waiter(w, ready);
    if (is_import(w)) {
        struct import_job *job = w->data;
        free(job->archive);
        free(job->state_dir);
        free(job);
    } else {
        struct copy_job *job = w->data;
        free(job->from);
        free(job->to);
        free(job);
    }
}

static int start_import(struct container *c, const char *archive)
{
    _cleanup_free_ char *key = NULL;
    struct import_job *job;
    struct worker *w;
    int r;

    if (asprintf(&key, "import:%s", archive) < 0)
        return -ENOMEM;
    w = worker_find(c->d, key);
    if (!w) {
        job = calloc(1, sizeof(*job));
        if (!job)
            return -ENOMEM;
        job->archive = strdup(archive);
        job->state_dir = strdup(c->d->cfg->sup.state_dir);
        if (!job->archive || !job->state_dir)
            r = -ENOMEM;
        else
            r = worker_start(c->d, key, import_fn, job, on_progress, on_done, job, &w);
        if (r < 0) {
            free(job->archive);
            free(job->state_dir);
            free(job);
            return r;
        }
        log_info("%s: unpacking '%s' into the image store", c->spec->name, archive);
    }
    c->rootfs.worker = w;
    snprintf(c->rootfs.progress, sizeof(c->rootfs.progress), "unpacking '%s'", base_name(archive));
    return 1;
}

static int start_copy(struct container *c, const char *to)
{
    _cleanup_free_ char *key = NULL;
    struct copy_job *job;
    struct worker *w;
    int r;

    if (asprintf(&key, "copy:%s", c->rootfs.lower) < 0)
        return -ENOMEM;
    job = calloc(1, sizeof(*job));
    if (!job)
        return -ENOMEM;
    job->from = strdup(c->rootfs.lower);
    job->to = strdup(to);
    if (!job->from || !job->to)
        r = -ENOMEM;
    else
        r = worker_start(c->d, key, copy_fn, job, on_progress, on_done, job, &w);
    if (r < 0) {
        free(job->from);
        free(job->to);
        free(job);
        return r;
    }
    log_info("%s: copying '%s' (rootfs_mode = copy)", c->spec->name, c->rootfs.lower);
    c->rootfs.worker = w;
    snprintf(c->rootfs.progress, sizeof(c->rootfs.progress), "copying '%s'",
             base_name(c->rootfs.lower));
    return 1;
}

/* ---- the layer directory ---- */

/* Escape what overlayfs's option parser splits on. */
static char *escape_opt(const char *s)
{
    char *r = malloc(strlen(s) * 2 + 1), *o = r;

    if (!r)
        return NULL;
    for (; *s; s++) {
        if (*s == ',' || *s == ':' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return r;
}

static int mkdir_mode(const char *dir, const char *name, mode_t mode)
{
    _cleanup_free_ char *p = path_join(dir, name);

    if (!p)
        return -ENOMEM;
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return negative_errno();
    return 0;
}

/* The layer was made on one tree, in one way; on another it would show a
 * mix of two roots. What it was made for is kept next to it. */
static int check_identity(struct container *c, const char *want)
{
    _cleanup_free_ char *path = path_join(c->rootfs.dir, "source"), *have = NULL;
    int r;

    if (!path)
        return -ENOMEM;
    r = read_file(path, &have, 4096);
    if (r >= 0 && streq(have, want))
        return 0;
    if (r >= 0) {
        log_warn("%s: its rootfs is not the one its layer was made on; starting from a fresh "
                 "layer (the old one is deleted)",
                 c->spec->name);
        if ((r = discard(c, "rw")) < 0 || (r = discard(c, "copy")) < 0)
            return r;
    }
    return write_file_atomic(path, want, 0600);
}

static int sweep_layer(struct container *c)
{
    _cleanup_close_ int fd = open(c->rootfs.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir;
    struct dirent *de;
    int r = 0;

    if (c->spec->ephemeral && ((r = discard(c, "rw")) < 0 || (r = discard(c, "copy")) < 0))
        return r;
    if (fd < 0)
        return negative_errno();
    dir = fdopendir(TAKE_FD(fd));
    if (!dir)
        return negative_errno();
    /* image_copy_tree() makes copy.tmp-XXXXXX and renames it. */
    while (r >= 0 && (de = readdir(dir)))
        if (strncmp(de->d_name, "copy.tmp-", 9) == 0)
            r = discard(c, de->d_name);
    closedir(dir);
    return r;
}

/* The overlay's upper directory gives the merged root its owner and mode:
 * the lower root's. */
static int prepare_overlay(struct container *c)
{
    _cleanup_free_ char *upper = NULL, *work = NULL, *l = NULL, *u = NULL, *w = NULL;
    struct stat st;
    int r;

    if ((r = mkdir_mode(c->rootfs.dir, "rw", 0700)) < 0 ||
        (r = mkdir_mode(c->rootfs.dir, "root", 0755)) < 0)
        return r;
    if (c->spec->userns.enabled && ((r = mkdir_mode(c->rootfs.dir, "lower", 0755)) < 0 ||
                                    (r = mkdir_mode(c->rootfs.dir, "rwmnt", 0755)) < 0))
        return r;
    free(c->rootfs.rw);
    c->rootfs.rw = path_join(c->rootfs.dir, "rw");
    upper = path_join(c->rootfs.dir, "rw/upper");
    work = path_join(c->rootfs.dir, "rw/work");
    if (!c->rootfs.rw || !upper || !work)
        return -ENOMEM;
    if (stat(c->rootfs.lower, &st) < 0)
        return negative_errno();
    if (mkdir(upper, 0755) == 0) {
        if (chown(upper, st.st_uid, st.st_gid) < 0 || chmod(upper, st.st_mode & 07777) < 0)
            return negative_errno();
    } else if (errno != EEXIST)
        return negative_errno();
    if (mkdir(work, 0700) < 0 && errno != EEXIST)
        return negative_errno();

    l = escape_opt(c->rootfs.lower);
    u = escape_opt(upper);
    w = escape_opt(work);
    free(c->rootfs.overlay_opts);
    c->rootfs.overlay_opts = NULL;
    /* index=off: a layer is only ever used on the tree it was made on
     * (check_identity), and a restart may mount it again before the
     * kernel has quite let go of the last mount. */
    if (!l || !u || !w ||
        asprintf(&c->rootfs.overlay_opts, "lowerdir=%s,upperdir=%s,workdir=%s,index=off", l, u, w) <
            0)
        return -ENOMEM;
    free(c->rootfs.root);
    c->rootfs.root = path_join(c->rootfs.dir, "root");
    return c->rootfs.root ? 0 : -ENOMEM;
}

static int set_lower(struct container *c, const char *lower, const char *id)
{
    char *l = strdup(lower);

    if (!l)
        return -ENOMEM;
    free(c->rootfs.lower);
    c->rootfs.lower = l;
    if (!id) {
        c->rootfs.image_id[0] = '\0';
        c->rootfs.image_fd = safe_close(c->rootfs.image_fd);
        return 0;
    }
    if (c->rootfs.image_fd >= 0 && streq(c->rootfs.image_id, id))
        return 0;
    c->rootfs.image_fd = safe_close(c->rootfs.image_fd);
    c->rootfs.image_fd = image_use(c->d->images, id);
    if (c->rootfs.image_fd < 0)
        return c->rootfs.image_fd;
    snprintf(c->rootfs.image_id, sizeof(c->rootfs.image_id), "%s", id);
    return 0;
}

/* The tree c runs on: 1 while an import is under way. */
static int find_lower(struct container *c, char *msg, size_t len)
{
    const struct container_spec *s = c->spec;
    struct image_info info = {0};
    struct image_store *st;
    struct stat sb;
    int r;

    if (!s->image && stat(s->rootfs, &sb) == 0 && S_ISDIR(sb.st_mode))
        return set_lower(c, s->rootfs, NULL);
    if (!s->image && stat(s->rootfs, &sb) < 0) {
        r = negative_errno();
        snprintf(msg, len, "rootfs '%s': %s", s->rootfs, strerror(-r));
        return r;
    }
    st = store(c->d, &r);
    if (!st) {
        snprintf(msg, len, "open the image store in '%s': %s", c->d->cfg->sup.state_dir,
                 strerror(-r));
        return r;
    }
    if (s->image) {
        r = image_lookup(st, s->image, &info);
        if (r == -ENOENT)
            snprintf(msg, len,
                     "image '%s' is not in the image store '%s' (import it: corral image import "
                     "FILE --name %s)",
                     s->image, image_store_path(st), s->image);
        else if (r < 0)
            snprintf(msg, len, "look up image '%s': %s", s->image, strerror(-r));
    } else {
        r = image_lookup_archive(st, s->rootfs, &info);
        if (r == -ENOENT)
            return start_import(c, s->rootfs);
        if (r < 0)
            snprintf(msg, len, "look up '%s' in the image store: %s", s->rootfs, strerror(-r));
    }
    if (r == 0) {
        r = set_lower(c, info.rootfs, info.id);
        if (r == -ENOENT) /* removed between the lookup and the use */
            r = s->image ? -ENOENT : start_import(c, s->rootfs);
        if (r < 0 && !msg[0])
            snprintf(msg, len, "use image %.12s: %s", info.id, strerror(-r));
    }
    image_info_clear(&info);
    return r;
}

int rootfs_prepare(struct container *c, char *msg, size_t len)
{
    const struct container_spec *s = c->spec;
    _cleanup_free_ char *want = NULL, *copy = NULL;
    int r;

    msg[0] = '\0';
    if (c->rootfs.worker)
        return 1;
    r = find_lower(c, msg, len);
    if (r != 0)
        return r;

    if (s->rootfs_mode == ROOTFS_BIND) {
        free(c->rootfs.root);
        c->rootfs.root = strdup(c->rootfs.lower);
        return c->rootfs.root ? 0 : -ENOMEM;
    }

    if (!c->rootfs.dir && !(c->rootfs.dir = path_join(c->d->persist_dir, s->name)))
        return -ENOMEM;
    /* 0711: in a user namespace, the container's root reaches its
     * mount points here by name, not by listing. */
    if (mkdir(c->rootfs.dir, 0711) < 0 && errno != EEXIST)
        goto fail;
    if (chmod(c->rootfs.dir, 0711) < 0)
        goto fail;
    if (asprintf(&want, "%s %s\nmode %s\nuserns %s\n", c->rootfs.image_id[0] ? "image" : "dir",
                 c->rootfs.image_id[0] ? c->rootfs.image_id : c->rootfs.lower,
                 rootfs_mode_to_string(s->rootfs_mode), s->userns.enabled ? "yes" : "no") < 0)
        return -ENOMEM;
    r = check_identity(c, want);
    if (r < 0) {
        errno = -r;
        goto fail;
    }
    if (!c->rootfs.swept) {
        /* Once a supervisor: an ephemeral layer an earlier one could not
         * discard (it crashed), a copy it left half made. From then on,
         * each run's end discards its own. */
        r = sweep_layer(c);
        if (r < 0) {
            errno = -r;
            goto fail;
        }
        c->rootfs.swept = true;
    }

    if (s->rootfs_mode == ROOTFS_OVERLAY) {
        r = prepare_overlay(c);
        if (r < 0) {
            errno = -r;
            goto fail;
        }
        return 0;
    }
    copy = path_join(c->rootfs.dir, "copy");
    if (!copy)
        return -ENOMEM;
    if (access(copy, F_OK) < 0)
        return start_copy(c, copy);
    free(c->rootfs.root);
    c->rootfs.root = TAKE_PTR(copy);
    return 0;
fail:
    r = negative_errno();
    snprintf(msg, len, "prepare the container's layer in '%s': %s", c->rootfs.dir, strerror(-r));
    return r;
}

void rootfs_plan(const struct container *c, struct spawn_plan *plan)
{
    plan->rootfs = c->rootfs.root;
    plan->overlay = c->spec->rootfs_mode == ROOTFS_OVERLAY;
    plan->overlay_opts = c->rootfs.overlay_opts;
    plan->overlay_lower = c->rootfs.lower;
    plan->overlay_rw = c->rootfs.rw;
    plan->layer_dir = c->rootfs.dir;
}

void rootfs_run_ended(struct container *c)
{
    int r = 0;

    if (!c->spec->ephemeral || !c->rootfs.dir)
        return;
    if (c->spec->rootfs_mode == ROOTFS_OVERLAY)
        r = discard(c, "rw");
    else if (c->spec->rootfs_mode == ROOTFS_COPY)
        r = discard(c, "copy");
    if (r < 0)
        log_warn("%s: Failed to discard its ephemeral layer in '%s': %s, ignoring", c->spec->name,
                 c->rootfs.dir, strerror(-r));
}

void rootfs_down(struct container *c)
{
    c->rootfs.worker = NULL;
    c->rootfs.progress[0] = '\0';
    c->rootfs.image_fd = safe_close(c->rootfs.image_fd);
    c->rootfs.image_id[0] = '\0';
}

void rootfs_free(struct container *c)
{
    safe_close(c->rootfs.image_fd);
    free(c->rootfs.dir);
    free(c->rootfs.lower);
    free(c->rootfs.root);
    free(c->rootfs.overlay_opts);
    free(c->rootfs.rw);
}
