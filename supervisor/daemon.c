/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "control.h"
#include "log.h"
#include "idpool.h"
#include "image/image.h"
#include "macro.h"
#include "network.h"
#include "rootfs.h"
#include "util.h"
#include "worker.h"

struct container *daemon_find(struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->n_ctrs; i++)
        if (streq(d->ctrs[i]->spec->name, name))
            return d->ctrs[i];
    return NULL;
}

/* Runtime state for the CLI and for a later supervisor: one small JSON file
 * a container, replaced atomically. */
static void persist(struct daemon *d, struct container *c)
{
    _cleanup_free_ char *path = NULL, *text = NULL;
    json_t *o;
    int r;

    if (asprintf(&path, "%s/%s.json", d->ctr_state_dir, c->spec->name) < 0)
        return;
    o = container_to_json(c);
    if (!o)
        return;
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return;
    r = write_file_atomic(path, text, 0600);
    if (r < 0)
        log_warn("%s: Failed to write '%s': %s, ignoring", c->spec->name, path, strerror(-r));
}

/* depends_on as pointers both ways; config/ has checked names and cycles. */
static int link_dependencies(struct daemon *d)
{
    for (size_t i = 0; i < d->n_ctrs; i++) {
        struct container *c = d->ctrs[i];

        if (!c->spec->n_depends_on)
            continue;
        c->deps = calloc(c->spec->n_depends_on, sizeof(*c->deps));
        if (!c->deps)
            return -ENOMEM;
        for (size_t k = 0; k < c->spec->n_depends_on; k++) {
            struct container *dep = d->ctrs[c->spec->depends_on_idx[k]];
            struct container **n = realloc(dep->rdeps, (dep->n_rdeps + 1) * sizeof(*n));
            if (!n)
                return -ENOMEM;
            dep->rdeps = n;
            dep->rdeps[dep->n_rdeps++] = c;
            c->deps[c->n_deps++] = dep;
        }
    }
    return 0;
}

/* A stop made from the CLI outlives the supervisor (unless-stopped). */
static void load_manual_stops(struct daemon *d)
{
    for (size_t i = 0; i < d->n_ctrs; i++) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (asprintf(&path, "%s/%s.json", d->persist_dir, d->ctrs[i]->spec->name) < 0)
            continue;
        d->ctrs[i]->manual_stop = stat(path, &st) == 0;
    }
}

static bool all_down(struct daemon *d)
{
    for (size_t i = 0; i < d->n_ctrs; i++)
        if (!container_is_down(d->ctrs[i]) || d->ctrs[i]->cg)
            return false;
    return true;
}

/* Each container's first host id in its user namespace: given, or a
 * range of the pool kept by name in state_dir. */
static int assign_userns(struct daemon *d)
{
    const struct corral_config *cfg = d->cfg;
    _cleanup_free_ uint32_t *hosts = calloc(cfg->n_containers ?: 1, sizeof(*hosts));
    _cleanup_free_ char *path = path_join(cfg->sup.state_dir, "userns.json");
    const char *who = NULL;
    bool pool = false;
    int r;

    if (!hosts || !path)
        return -ENOMEM;
    for (size_t i = 0; i < d->n_ctrs; i++) {
        const struct userns_spec *u = &d->ctrs[i]->spec->userns;
        d->ctrs[i]->userns_host = u->host_start;
        pool |= u->enabled && u->from_pool;
    }
    if (!pool)
        return 0;
    r = idpool_assign(cfg, path, hosts, &who);
    if (r == -ENOSPC) {
        log_error("userns: no free range of %u ids in userns_pool %" PRIu32 ":%" PRIu32
                  " for container '%s'",
                  IDPOOL_RANGE, cfg->sup.userns_pool_start, cfg->sup.userns_pool_count,
                  who ? who : "?");
        return r;
    }
    if (r < 0) {
        log_error("userns: Failed to read or write '%s': %s", path, strerror(-r));
        return r;
    }
    if (r > 0)
        log_warn("userns: '%s' was unreadable, set aside; ranges are handed out afresh", path);
    for (size_t i = 0; i < d->n_ctrs; i++) {
        const struct userns_spec *u = &d->ctrs[i]->spec->userns;
        if (u->enabled && u->from_pool)
            d->ctrs[i]->userns_host = hosts[i];
    }
    return 0;
}

static void on_sig_closed(uv_handle_t *h)
{
    struct daemon *d = h->data;
    close(d->sigfd);
    d->sigfd = -EBADF;
}

/* Everything is down: close every handle so uv_run() returns. */
static void finish(struct daemon *d)
{
    if (d->finished)
        return;
    d->finished = true;
    log_info("all containers are down, exiting");
    control_close(d);
    network_close(d);
    workers_close(d);
    uv_close((uv_handle_t *) &d->sig_poll, on_sig_closed);
    for (size_t i = 0; i < d->n_ctrs; i++)
        container_close(d->ctrs[i]);
}

static bool is_up(const struct container *x)
{
    return x->state == CTR_RUNNING || x->state == CTR_PAUSED;
}

static void try_start(struct daemon *d, struct container *c)
{
    const struct container *waiting = NULL;

    if (d->shutting_down) {
        c->want_start = false;
        c->waiting_for = NULL;
        if (c->state == CTR_STARTING && !c->run)
            container_set_state(c, CTR_STOPPED);
        return;
    }
    for (size_t i = 0; i < c->n_deps; i++) {
        const struct container *dep = c->deps[i];
        if (is_up(dep))
            continue;
        /* Down, and nothing under way will bring it up. */
        if (container_is_down(dep)) {
            container_dependency_failed(c, dep);
            return;
        }
        if (!waiting)
            waiting = dep;
    }
    if (!waiting) {
        if (c->waiting_for)
            log_info("%s: its dependencies are running, starting", c->spec->name);
        (void) container_start(c);
        return;
    }
    if (c->state != CTR_STARTING || c->waiting_for != waiting->spec->name) {
        c->waiting_for = waiting->spec->name;
        container_set_state(c, CTR_STARTING);
    }
}

static void try_stop(struct container *c)
{
    /* Dependents that are going down go first. */
    for (size_t i = 0; i < c->n_rdeps; i++) {
        const struct container *x = c->rdeps[i];
        if (!container_is_down(x) && (x->want_stop || x->state == CTR_STOPPING))
            return;
    }
    (void) container_stop(c);
}

void daemon_schedule(struct daemon *d)
{
    if (d->scheduling) {
        d->reschedule = true;
        return;
    }
    d->scheduling = true;
    do {
        d->reschedule = false;
        for (size_t i = 0; i < d->n_ctrs; i++)
            if (d->ctrs[i]->want_start)
                try_start(d, d->ctrs[i]);
        for (size_t i = d->n_ctrs; i-- > 0;)
            if (d->ctrs[i]->want_stop)
                try_stop(d->ctrs[i]);
    } while (d->reschedule);
    d->scheduling = false;
}

static void mark_start(struct container *c)
{
    if (c->want_start || c->run)
        return;
    c->want_start = true;
    c->want_stop = false;
    for (size_t i = 0; i < c->n_deps; i++)
        /* A dependency in backoff comes back by itself. */
        if (c->deps[i]->state != CTR_BACKOFF)
            mark_start(c->deps[i]);
}

void daemon_request_start(struct daemon *d, struct container *c)
{
    mark_start(c);
    daemon_schedule(d);
}

void daemon_request_stop(struct daemon *d, struct container *c)
{
    c->want_start = false;
    c->want_stop = true;
    daemon_schedule(d);
}

void daemon_changed(struct daemon *d, struct container *c)
{
    if (!d->finished)
        persist(d, c);
    control_notify(d);
    if (!d->finished)
        daemon_schedule(d);

    if (d->finished)
        return;
    /* Before start-up is over, containers not started yet look down. */
    if (d->started && !d->shutting_down && d->opts.exit_when_done && all_down(d)) {
        for (size_t i = 0; i < d->n_ctrs; i++)
            if (container_failed(d->ctrs[i]))
                d->exit_status = 1;
        daemon_shutdown(d, "every container has exited");
        return;
    }
    if (d->shutting_down && all_down(d))
        finish(d);
}

void daemon_shutdown(struct daemon *d, const char *why)
{
    if (d->shutting_down)
        return;
    d->shutting_down = true;
    log_info("shutting down: %s", why);
    /* Dependents first, then what they depend on. */
    for (size_t i = 0; i < d->n_ctrs; i++) {
        d->ctrs[i]->want_start = false;
        d->ctrs[i]->want_stop = true;
    }
    daemon_schedule(d);
    if (all_down(d))
        finish(d);
}

static void on_signal(uv_poll_t *p, int status, int events)
{
    struct daemon *d = p->data;
    struct signalfd_siginfo si;

    while (read(d->sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            daemon_shutdown(d, signal_to_string((int) si.ssi_signo));
            break;
        case SIGHUP:
            log_warn("SIGHUP: reload is not supported yet, ignoring");
            break;
        default:
            break;
        }
    }
}

static int setup_signals(struct daemon *d)
{
    sigset_t mask;

    /* Writing to a client that went away must fail with EPIPE, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
        return negative_errno();
    d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (d->sigfd < 0)
        return negative_errno();
    uv_poll_init(&d->loop, &d->sig_poll, d->sigfd);
    d->sig_poll.data = d;
    uv_poll_start(&d->sig_poll, UV_READABLE, on_signal);
    return 0;
}

/* One supervisor per run_dir: an flock on run_dir/corral.lock, released by
 * the kernel however the holder dies. */
static int take_lock(struct daemon *d, const char *run_dir)
{
    _cleanup_free_ char *path = path_join(run_dir, "corral.lock");
    _cleanup_free_ char *pid = NULL;
    char buf[32];

    if (!path)
        return -ENOMEM;
    d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0)
        return negative_errno();
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int r = negative_errno();
        _cleanup_free_ char *pidpath = path_join(run_dir, "corral.pid");
        if (pidpath && read_file(pidpath, &pid, 64) > 0)
            log_error("another supervisor (pid %s) is already running with run_dir '%s'",
                      strtok(pid, "\n"), run_dir);
        else
            log_error("another supervisor is already running with run_dir '%s'", run_dir);
        return r == -EWOULDBLOCK ? -EBUSY : r;
    }
    snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
    _cleanup_free_ char *pidpath = path_join(run_dir, "corral.pid");
    if (!pidpath)
        return -ENOMEM;
    return write_file_atomic(pidpath, buf, 0644);
}

/* Leave nothing behind in run_dir but what we did not create. */
static void remove_runtime_files(struct daemon *d, const char *run_dir)
{
    _cleanup_free_ char *pidpath = path_join(run_dir, "corral.pid");
    _cleanup_free_ char *lockpath = path_join(run_dir, "corral.lock");

    DIR *dir = d->ctr_state_dir ? opendir(d->ctr_state_dir) : NULL;
    struct dirent *de;

    while (dir && (de = readdir(dir)))
        if (de->d_name[0] != '.')
            (void) unlinkat(dirfd(dir), de->d_name, 0);
    if (dir)
        closedir(dir);
    if (d->ctr_state_dir)
        (void) rmdir(d->ctr_state_dir);
    if (pidpath)
        (void) unlink(pidpath);
    /* Unlinked while still held, so a racing supervisor cannot lock a file
     * that is about to vanish and think it is alone. */
    if (lockpath)
        (void) unlink(lockpath);
    (void) rmdir(run_dir);
}

static int prepare_dirs(const struct supervisor_spec *sup)
{
    int r;

    if ((r = mkdir_p(sup->run_dir, 0700)) < 0) {
        log_error("Failed to create run_dir '%s': %s", sup->run_dir, strerror(-r));
        return r;
    }
    if ((r = mkdir_p(sup->log_dir, 0755)) < 0) {
        log_error("Failed to create log_dir '%s': %s", sup->log_dir, strerror(-r));
        return r;
    }
    if ((r = mkdir_p(sup->state_dir, 0700)) < 0) {
        log_error("Failed to create state_dir '%s': %s", sup->state_dir, strerror(-r));
        return r;
    }
    return 0;
}

int daemon_run(const struct corral_config *cfg, const struct daemon_options *opts)
{
    struct daemon d = {.cfg = cfg, .sigfd = -EBADF, .lock_fd = -EBADF};
    const struct supervisor_spec *sup = &cfg->sup;
    int r, status = 1;

    if (opts)
        d.opts = *opts;
    list_init(&d.clients);
    list_init(&d.waiters);
    list_init(&d.workers);

    r = prepare_dirs(sup);
    if (r < 0)
        return 1;
    r = take_lock(&d, sup->run_dir);
    if (r < 0) {
        if (r != -EBUSY)
            log_error("Failed to lock run_dir '%s': %s", sup->run_dir, strerror(-r));
        if (d.lock_fd >= 0)
            close(d.lock_fd);
        return 1;
    }

    d.ctr_state_dir = path_join(sup->run_dir, "containers");
    d.persist_dir = path_join(sup->state_dir, "containers");
    d.socket_path = path_join(sup->run_dir, "corral.sock");
    if (!d.ctr_state_dir || !d.socket_path || !d.persist_dir)
        goto out_unlock;
    if ((r = mkdir_p(d.ctr_state_dir, 0700)) < 0) {
        log_error("Failed to create '%s': %s", d.ctr_state_dir, strerror(-r));
        goto out_unlock;
    }
    if ((r = mkdir_p(d.persist_dir, 0700)) < 0) {
        log_error("Failed to create '%s': %s", d.persist_dir, strerror(-r));
        goto out_unlock;
    }

    r = cg_manager_new(sup->cgroup_parent, &d.cg);
    if (r < 0) {
        log_error("Failed to prepare cgroup parent '%s': %s%s", sup->cgroup_parent, strerror(-r),
                  r == -EBUSY ? " (processes sit in it or above it: choose another "
                                "cgroup_parent, or move them out)"
                              : "");
        goto out_unlock;
    }
    log_info("cgroups: %s", cg_manager_describe(d.cg));
    r = cg_manager_sweep(d.cg);
    if (r > 0)
        log_info("removed %d stale cgroup(s) under '%s'", r, sup->cgroup_parent);

    r = uv_loop_init(&d.loop);
    if (r < 0) {
        log_error("Failed to initialise the event loop: %s", uv_strerror(r));
        goto out_cg;
    }
    r = setup_signals(&d);
    if (r < 0) {
        log_error("Failed to set up signal handling: %s", strerror(-r));
        goto out_loop;
    }
    r = control_listen(&d, d.socket_path);
    if (r < 0) {
        log_error("Failed to listen on '%s': %s", d.socket_path, strerror(-r));
        goto out_loop;
    }

    d.ctrs = calloc(cfg->n_containers ? cfg->n_containers : 1, sizeof(*d.ctrs));
    if (!d.ctrs)
        goto out_loop;
    for (size_t i = 0; i < cfg->n_containers; i++) {
        r = container_new(&d, &cfg->containers[i], &d.ctrs[i]);
        if (r < 0)
            goto out_loop;
        d.n_ctrs++;
    }
    if (link_dependencies(&d) < 0)
        goto out_loop;
    load_manual_stops(&d);
    if (assign_userns(&d) < 0)
        goto out_loop;
    if (network_init(&d) < 0)
        goto out_loop;
    rootfs_sweep(&d);

    log_info("corral %s supervising %zu container(s), control socket %s", CORRAL_VERSION, d.n_ctrs,
             d.socket_path);
    for (size_t i = 0; i < d.n_ctrs && !d.shutting_down; i++) {
        struct container *c = d.ctrs[i];
        if (c->manual_stop && c->spec->restart.policy == RESTART_UNLESS_STOPPED) {
            log_info("%s: not started: stopped by hand earlier (restart = unless-stopped; "
                     "`corral start %s` starts it)",
                     c->spec->name, c->spec->name);
            continue;
        }
        mark_start(c);
    }
    daemon_schedule(&d);
    d.started = true;
    if (d.opts.exit_when_done && d.n_ctrs > 0)
        daemon_changed(&d, d.ctrs[0]); /* every start may have failed already */
    else if (d.opts.exit_when_done)
        daemon_shutdown(&d, "no containers");

    uv_run(&d.loop, UV_RUN_DEFAULT);
    status = d.exit_status;

out_loop:
    if (!d.finished) {
        /* An error before the loop ran: close what was opened, then let
         * the close callbacks run. */
        d.finished = true;
        control_close(&d);
        network_close(&d);
        workers_close(&d);
        if (d.sigfd >= 0)
            uv_close((uv_handle_t *) &d.sig_poll, on_sig_closed);
        for (size_t i = 0; i < d.n_ctrs; i++)
            container_close(d.ctrs[i]);
        uv_run(&d.loop, UV_RUN_DEFAULT);
    }
    network_fini(&d);
    if (uv_loop_close(&d.loop) != 0)
        log_warn("event loop still had handles open at exit");
    free(d.ctrs);
    image_store_free(d.images);
    d.ctrs = NULL;
out_cg:
    (void) cg_manager_remove_parent(d.cg);
    cg_manager_free(d.cg);
out_unlock:
    remove_runtime_files(&d, sup->run_dir);
    if (d.socket_path)
        (void) unlink(d.socket_path);
    close(d.lock_fd);
    free(d.ctr_state_dir);
    free(d.persist_dir);
    free(d.socket_path);
    return status;
}
