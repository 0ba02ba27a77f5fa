/* SPDX-License-Identifier: MIT */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"
#include "network.h"
#include "seccomp.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* How long to keep retrying rmdir of a cgroup whose tasks are still being
 * torn down by the kernel after the container's init was reaped. */
#define CG_RETRY_MS 20
#define CG_RETRY_MAX 250
/* A line without its newline is written out after this long. */
#define LOG_FLUSH_MS 500
/* What one wake-up reads from one pipe at most, so that a container that
 * floods its output cannot starve the loop (or the other containers). */
#define LOG_READ_BUDGET (64 * 1024)
/* The last read after the exit: what the pipe holds, with room to spare for
 * a bigger pipe buffer; bounded in case a writer is somehow still alive. */
#define LOG_DRAIN_MAX (4 * 1024 * 1024)

static int start_run(struct container *c);
static void run_ended(struct container *c, uint64_t uptime_ms, bool was_stop);

static const char *const state_names[_CTR_STATE_MAX] = {
    [CTR_STOPPED] = "stopped", [CTR_STARTING] = "starting", [CTR_RUNNING] = "running",
    [CTR_PAUSED] = "paused",   [CTR_STOPPING] = "stopping", [CTR_EXITED] = "exited",
    [CTR_BACKOFF] = "backoff", [CTR_FATAL] = "fatal",
};

const char *ctr_state_to_string(enum ctr_state s)
{
    return s < _CTR_STATE_MAX ? state_names[s] : "unknown";
}

/* Signal a run's process. Where pidfd_send_signal is missing (valgrind,
 * some seccomp profiles), kill(2) is just as safe: the process is our
 * child and is only reaped through its pidfd, so its pid cannot have been
 * reused while the run exists. */
static int run_signal(const struct run *run, int sig)
{
    if (syscall(SYS_pidfd_send_signal, run->pidfd, sig, NULL, 0) == 0)
        return 0;
    if (errno != ENOSYS)
        return negative_errno();
    if (kill(run->pid, sig) < 0)
        return negative_errno();
    return 0;
}

static uint64_t oom_kills(struct cg_handle *cg)
{
    struct cg_stats st = {0};

    return cg_stats(cg, &st) == 0 ? st.oom_kills : 0;
}

static void describe_exit(const struct exit_status *e, char *buf, size_t len)
{
    switch (e->kind) {
    case EXIT_CODE:
        snprintf(buf, len, "code %d", e->code);
        break;
    case EXIT_SIGNAL:
        snprintf(buf, len, "signal %s", signal_to_string(e->code));
        break;
    case EXIT_OOM:
        snprintf(buf, len, "oom-killed");
        break;
    case EXIT_ERROR:
        snprintf(buf, len, "error: %s", e->error);
        break;
    case EXIT_NONE:
        snprintf(buf, len, "none");
        break;
    }
}

void container_status(const struct container *c, char *buf, size_t len)
{
    char why[600], when[32];
    uint64_t now = now_monotonic_ms();

    switch (c->state) {
    case CTR_EXITED:
        describe_exit(&c->last_exit, why, sizeof(why));
        snprintf(buf, len, "exited (%s)", why);
        break;
    case CTR_BACKOFF:
        describe_exit(&c->last_exit, why, sizeof(why));
        format_duration(c->backoff_due_ms > now ? c->backoff_due_ms - now : 0, when, sizeof(when));
        snprintf(buf, len, "backoff (%s; restart %u in %s)", why, c->history.attempt, when);
        break;
    case CTR_FATAL:
        snprintf(buf, len, "fatal (%s)", c->fatal_reason);
        break;
    case CTR_STARTING:
        if (!c->run && c->rootfs.worker) {
            snprintf(buf, len, "starting (%s)", c->rootfs.progress);
            break;
        }
        if (!c->run && c->waiting_for) {
            snprintf(buf, len, "starting (waiting for %s)", c->waiting_for);
            break;
        }
        _fallthrough_;
    default:
        snprintf(buf, len, "%s", ctr_state_to_string(c->state));
        break;
    }
}

void container_set_state(struct container *c, enum ctr_state s)
{
    enum ctr_state old = c->state;

    c->state = s;
    if (container_is_down(c))
        rootfs_down(c);
    if (old != s) {
        char status[700];
        container_status(c, status, sizeof(status));
        log_info("%s: %s -> %s", c->spec->name, ctr_state_to_string(old), status);
        control_event(c->d, c, old);
    }
    daemon_changed(c->d, c);
}

bool container_is_down(const struct container *c)
{
    return (c->state == CTR_STOPPED || c->state == CTR_EXITED || c->state == CTR_FATAL) &&
           !c->run && !c->restart_pending && !c->restart_planned && !c->want_start;
}

bool container_failed(const struct container *c)
{
    if (c->state == CTR_FATAL)
        return true;
    if (c->state != CTR_EXITED)
        return false;
    return c->last_exit.kind == EXIT_SIGNAL || c->last_exit.kind == EXIT_ERROR ||
           c->last_exit.kind == EXIT_OOM ||
           (c->last_exit.kind == EXIT_CODE && c->last_exit.code != 0);
}

/* ---- cgroup removal, retried while the kernel finishes tearing down ---- */

static void cg_try_remove(struct container *c);

static void on_cg_timer(uv_timer_t *t)
{
    cg_try_remove(container_of(t, struct container, cg_timer));
}

static void cg_try_remove(struct container *c)
{
    int r;

    if (!c->cg)
        return;
    if (cg_populated(c->cg))
        (void) cg_kill_all(c->cg);
    r = cg_destroy(c->cg);
    if (r == -EBUSY && ++c->cg_tries < CG_RETRY_MAX) {
        uv_timer_start(&c->cg_timer, on_cg_timer, CG_RETRY_MS, 0);
        return;
    }
    if (r < 0)
        log_warn("%s: Failed to remove cgroup '%s': %s, ignoring", c->spec->name, cg_path(c->cg),
                 strerror(-r));
    cg_handle_free(c->cg);
    c->cg = NULL;
    c->cg_tries = 0;
    daemon_changed(c->d, c);
}

/* ---- a run: one process lifetime ---- */

static void on_flush_timer(uv_timer_t *t);

static void run_unref(struct run *run)
{
    if (--run->open_handles > 0)
        return;
    if (run->pidfd >= 0)
        close(run->pidfd);
    if (run->errfd >= 0)
        close(run->errfd);
    if (run->out.fd >= 0)
        close(run->out.fd);
    if (run->err.fd >= 0)
        close(run->err.fd);
    free(run);
}

static void on_run_handle_closed(uv_handle_t *h)
{
    run_unref(h->data);
}

static void on_run_log_closed(uv_handle_t *h)
{
    run_unref(((struct run_log *) h->data)->run);
}

/* ---- a run's output: pipes -> lines -> log_dir/NAME.log ---- */

static int write_record(void *userdata, bool partial, const char *text, size_t len)
{
    struct run_log *rl = userdata;
    struct run *run = rl->run;
    int r = logfile_write(run->c->log, 0, rl->stream, partial, text, len);

    if (r < 0 && !run->log_failed) {
        run->log_failed = true;
        log_warn("%s: Failed to write to '%s': %s, dropping output", run->c->spec->name,
                 logfile_path(run->c->log), strerror(-r));
    }
    return 0;
}

static void run_log_close(struct run_log *rl)
{
    if (!rl->open)
        return;
    (void) linebuf_flush(&rl->lb, write_record, rl);
    uv_close((uv_handle_t *) &rl->poll, on_run_log_closed);
    rl->open = false;
}

/* Read what is there, up to budget bytes. Returns true at EOF or on an
 * error: the pipe is done. */
static bool run_log_read(struct run_log *rl, size_t budget)
{
    char buf[16384];
    size_t total = 0;

    while (total < budget) {
        ssize_t n = read(rl->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno != EAGAIN;
        if (n == 0)
            return true;
        (void) linebuf_feed(&rl->lb, buf, (size_t) n, write_record, rl);
        total += (size_t) n;
    }
    return false;
}

static void on_log_readable(uv_poll_t *p, int status, int events)
{
    struct run_log *rl = p->data;
    struct run *run = rl->run;

    if (run_log_read(rl, LOG_READ_BUDGET)) {
        run_log_close(rl);
        return;
    }
    /* A prompt or a progress bar may never get its newline. */
    if (rl->lb.len > 0 && !uv_is_active((uv_handle_t *) &run->flush_timer))
        uv_timer_start(&run->flush_timer, on_flush_timer, LOG_FLUSH_MS, 0);
}

/* Write out what has waited for a newline, marked as continuing. */
static void on_flush_timer(uv_timer_t *t)
{
    struct run *run = t->data;
    struct run_log *logs[] = {&run->out, &run->err};

    for (size_t i = 0; i < ELEMENTSOF(logs); i++)
        if (logs[i]->open && logs[i]->lb.len > 0) {
            (void) write_record(logs[i], true, logs[i]->lb.buf, logs[i]->lb.len);
            logs[i]->lb.len = 0;
        }
}

static void run_log_init(struct run *run, struct run_log *rl, const char *stream, int fd)
{
    struct container *c = run->c;

    rl->run = run;
    rl->stream = stream;
    rl->fd = fd;
    uv_poll_init(&c->d->loop, &rl->poll, fd);
    rl->poll.data = rl;
    rl->open = true;
    run->open_handles++;
    uv_poll_start(&rl->poll, UV_READABLE, on_log_readable);
}

static void run_close(struct run *run)
{
    /* The container's processes are all gone, so are the pipes' writers:
     * what is left in them is bounded, and read now, to the last byte. */
    struct run_log *logs[] = {&run->out, &run->err};

    run->syncfd = safe_close(run->syncfd);
    spawn_trees_close(run->trees);
    for (size_t i = 0; i < ELEMENTSOF(logs); i++)
        if (logs[i]->open) {
            (void) run_log_read(logs[i], LOG_DRAIN_MAX);
            run_log_close(logs[i]);
        }
    uv_close((uv_handle_t *) &run->flush_timer, on_run_handle_closed);
    if (run->err_open) {
        uv_close((uv_handle_t *) &run->err_poll, on_run_handle_closed);
        run->err_open = false;
    }
    uv_close((uv_handle_t *) &run->exit_poll, on_run_handle_closed);
}

static void format_spawn_error(const struct run *run, char *buf, size_t len)
{
    const struct spawn_error *e = &run->error;

    if (e->path[0] && e->err == 0) /* the step says it all */
        snprintf(buf, len, "%s '%s'", spawn_step_to_string(e->step), e->path);
    else if (e->path[0])
        snprintf(buf, len, "%s '%s': %s", spawn_step_to_string(e->step), e->path, strerror(e->err));
    else
        snprintf(buf, len, "%s: %s", spawn_step_to_string(e->step), strerror(e->err));
}

/* Read the child's error record, if it wrote one. EOF without a record
 * means execve succeeded (the pipe was close-on-exec). */
static int read_spawn_error(struct run *run)
{
    struct spawn_error e;
    ssize_t n = read(run->errfd, &e, sizeof(e));

    if (n < 0)
        return errno == EAGAIN ? -EAGAIN : negative_errno();
    if (n == (ssize_t) sizeof(e)) {
        run->error = e;
        run->have_error = true;
        return 1;
    }
    return 0;
}

static void log_spawn_error(const struct run *run)
{
    char msg[512];

    format_spawn_error(run, msg, sizeof(msg));
    log_error("%s: %s", run->c->spec->name, msg);
}

static void close_err_poll(struct run *run)
{
    if (!run->err_open)
        return;
    uv_close((uv_handle_t *) &run->err_poll, on_run_handle_closed);
    run->err_open = false;
}

static void on_err_readable(uv_poll_t *p, int status, int events)
{
    struct run *run = p->data;
    struct container *c = run->c;
    int r = read_spawn_error(run);

    if (r == -EAGAIN)
        return;
    close_err_poll(run);
    if (r == 1) {
        log_spawn_error(run);
        return; /* the exit follows */
    }
    run->exec_ok = true;
    if (c->run == run && c->state == CTR_STARTING)
        container_set_state(c, CTR_RUNNING);
}

static void on_exit_readable(uv_poll_t *p, int status, int events)
{
    struct run *run = p->data;
    struct container *c = run->c;
    siginfo_t si = {0};
    bool was_stop;

    if (waitid((idtype_t) P_PIDFD, (id_t) run->pidfd, &si, WEXITED | WNOHANG) < 0) {
        log_error("%s: Failed to wait for pid %d: %m", c->spec->name, (int) run->pid);
        return;
    }
    if (si.si_pid == 0)
        return; /* not yet */

    /* A record the loop has not read yet still says why it failed. */
    if (run->err_open && !run->have_error && read_spawn_error(run) == 1)
        log_spawn_error(run);
    /* No record: execve worked, even if the exit was seen before the EOF
     * on the error pipe. Say so, so every run passes through running. */
    if (!run->have_error && c->state == CTR_STARTING)
        container_set_state(c, CTR_RUNNING);

    c->last_exit = (struct exit_status){.at_ms = now_realtime_ms()};
    if (run->have_error) {
        c->last_exit.kind = EXIT_ERROR;
        format_spawn_error(run, c->last_exit.error, sizeof(c->last_exit.error));
    } else if (si.si_code == CLD_EXITED) {
        c->last_exit.kind = EXIT_CODE;
        c->last_exit.code = si.si_status;
    } else {
        c->last_exit.kind = EXIT_SIGNAL;
        c->last_exit.code = si.si_status;
        /* A SIGKILL while this run's cgroup counted a new OOM kill is the
         * kernel's OOM killer, not a person: say so. (The count is compared
         * with the run's start: a restart may reuse a cgroup.) */
        if (si.si_status == SIGKILL && c->cg && oom_kills(c->cg) > run->oom_kills_before)
            c->last_exit.kind = EXIT_OOM;
    }

    uv_timer_stop(&c->stop_timer);
    container_freeze_cancel(c);
    run_close(run);
    c->run = NULL;
    network_detach(c);
    rootfs_run_ended(c);
    was_stop = c->stop_requested;
    c->stop_requested = false;

    /* The namespace's init is gone, so the kernel has killed the rest; the
     * cgroup may still need a moment before it can be removed. */
    cg_try_remove(c);

    if (c->restart_pending && !c->d->shutting_down) {
        c->restart_pending = false;
        container_set_state(c, was_stop ? CTR_STOPPED : CTR_EXITED);
        (void) container_start(c);
        return;
    }
    c->restart_pending = false;
    run_ended(c, now_monotonic_ms() - c->started_mono_ms, was_stop);
}

static uint32_t random_u32(void)
{
    uint32_t v;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t) sizeof(v))
        return v;
    return (uint32_t) now_monotonic_ms() * 2654435761u;
}

static void on_backoff_timer(uv_timer_t *t)
{
    struct container *c = container_of(t, struct container, backoff_timer);

    if (c->state != CTR_BACKOFF || c->run)
        return;
    c->restarts++;
    (void) start_run(c);
}

/* A run is over (or a start failed): ask the restart policy what now. */
static void run_ended(struct container *c, uint64_t uptime_ms, bool was_stop)
{
    const struct container_spec *s = c->spec;
    struct run_end end = {
        .kind = c->last_exit.kind,
        .code = c->last_exit.code,
        .uptime_ms = uptime_ms,
        .stop_requested = was_stop || c->d->shutting_down,
    };
    struct restart_decision dec =
        restart_decide(&s->restart, s->success_codes, &end, &c->history, random_u32());
    char why[600];

    if (dec.verdict == VERDICT_STOPPED || dec.verdict == VERDICT_EXITED) {
        container_set_state(c, dec.verdict == VERDICT_STOPPED ? CTR_STOPPED : CTR_EXITED);
        return;
    }
    /* Through exited, so that the exit itself is seen (and logged) too;
     * restart_planned keeps it from counting as down meanwhile. */
    c->restart_planned = true;
    container_set_state(c, CTR_EXITED);
    c->restart_planned = false;
    /* Whatever ran in between (a client's start, a shutdown) wins. */
    if (c->state != CTR_EXITED || c->run || c->d->shutting_down) {
        daemon_changed(c->d, c);
        return;
    }
    describe_exit(&c->last_exit, why, sizeof(why));
    if (dec.verdict == VERDICT_FATAL) {
        snprintf(c->fatal_reason, sizeof(c->fatal_reason),
                 "%u failed runs in a row, restart_max = %u; last: %.150s%s", c->history.failures,
                 s->restart.max, why, dec.too_quick ? ", within start_grace" : "");
        container_set_state(c, CTR_FATAL);
        return;
    }
    c->backoff_delay_ms = dec.delay_ms;
    c->backoff_due_ms = now_monotonic_ms() + dec.delay_ms;
    /* From now, not from the loop's cached time, which this turn's work
     * (reaping, cgroup and network clean-up) has already left behind. */
    uv_update_time(&c->d->loop);
    uv_timer_start(&c->backoff_timer, on_backoff_timer, dec.delay_ms, 0);
    container_set_state(c, CTR_BACKOFF);
}

static void on_stop_timeout(uv_timer_t *t)
{
    struct container *c = container_of(t, struct container, stop_timer);

    if (!c->run)
        return;
    log_warn("%s: did not stop within %.1fs, killing", c->spec->name,
             (double) c->spec->stop_timeout_ms / 1000.0);
    if (c->cg)
        (void) cg_kill_all(c->cg);
    (void) run_signal(c->run, SIGKILL);
}

/* A start that fails before there is a process: record why, as an exit. */
static int start_failed_msg(struct container *c, const char *msg, int r)
{
    c->last_exit = (struct exit_status){.kind = EXIT_ERROR, .at_ms = now_realtime_ms()};
    snprintf(c->last_exit.error, sizeof(c->last_exit.error), "%s", msg);
    log_error("%s: %s", c->spec->name, c->last_exit.error);
    c->restart_pending = false;
    /* Undo what this start made: without a process, nothing else will. */
    cg_try_remove(c);
    /* A start that failed is a failed run as far as the policy goes. */
    run_ended(c, 0, false);
    return r;
}

static int start_failed(struct container *c, const char *what, const char *path, int r)
{
    char msg[sizeof(c->last_exit.error)];

    if (path)
        snprintf(msg, sizeof(msg), "%s '%s': %s", what, path, strerror(-r));
    else
        snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-r));
    return start_failed_msg(c, msg, r);
}

/* The spec's limits in cgroups' terms. */
static void spec_limits(const struct container_spec *s, struct cg_limits *l)
{
    *l = (struct cg_limits){
        .memory = s->memory,
        .memory_swap = s->memory_swap,
        .cpu_weight = s->cpu_weight,
        .pids = s->pids,
        .io_weight = s->io_weight,
        .cpuset_cpus = s->cpuset_cpus,
        .cpuset_mems = s->cpuset_mems,
    };
    if (s->cpu_millis) {
        l->cpu_period_us = 100000;
        l->cpu_quota_us = s->cpu_millis * 100; /* thousandths of 100 ms */
    }
}

/* A limit the host cannot enforce fails the start: never a silent no-op. */
static int apply_limits(struct container *c)
{
    struct cg_limits l;
    const char *missing, *file = NULL;
    int r;

    spec_limits(c->spec, &l);
    missing = cg_limits_unsupported(c->d->cg, &l);
    if (missing) {
        char msg[160];
        snprintf(msg, sizeof(msg), "limits: this host has no %s controller (%s)", missing,
                 cg_manager_describe(c->d->cg));
        return start_failed_msg(c, msg, -EOPNOTSUPP);
    }
    r = cg_set_limits(c->cg, &l, &file);
    if (r < 0)
        return start_failed(c, "set cgroup limit", file ? file : cg_path(c->cg), r);
    return 0;
}

static int prepare_and_spawn(struct container *c);

static int start_run(struct container *c)
{
    if (c->run)
        return c->state == CTR_STOPPING ? -EBUSY : -EALREADY;
    if (c->d->shutting_down)
        return -ESHUTDOWN;

    uv_timer_stop(&c->cg_timer);
    uv_timer_stop(&c->backoff_timer);
    c->cg_tries = 0;
    c->stop_requested = false;
    c->want_start = false;
    c->waiting_for = NULL;
    /* Counted before anything can fail, so that a waiter sees an attempt
     * even when it ends before there is a process. */
    c->starts++;
    return prepare_and_spawn(c);
}

static size_t path_depth(const char *path)
{
    size_t n = 0;

    for (; *path; path++)
        n += *path == '/';
    return n;
}

/* Volumes and tmpfs mounts for the plan, made at the first start: a
 * mount's target parents first, so that one below another lands on it. */
static int plan_mounts(struct container *c)
{
    const struct container_spec *s = c->spec;
    size_t n = s->n_volumes + s->n_tmpfs, k = 0;

    if (c->mounts || n == 0)
        return 0;
    c->mounts = calloc(n, sizeof(*c->mounts));
    c->tmpfs_opts = calloc(s->n_tmpfs + 1, sizeof(*c->tmpfs_opts));
    if (!c->mounts || !c->tmpfs_opts)
        return -ENOMEM;
    for (size_t i = 0; i < s->n_volumes; i++)
        c->mounts[k++] = (struct spawn_mount){.source = s->volumes[i].source,
                                              .target = s->volumes[i].target,
                                              .readonly = s->volumes[i].readonly};
    for (size_t i = 0; i < s->n_tmpfs; i++) {
        if (asprintf(&c->tmpfs_opts[i], "mode=%o,size=%" PRIu64 "k", (unsigned) s->tmpfs[i].mode,
                     (s->tmpfs[i].size ?: UINT64_C(64) << 20) / 1024) < 0) {
            c->tmpfs_opts[i] = NULL;
            return -ENOMEM;
        }
        c->mounts[k++] =
            (struct spawn_mount){.target = s->tmpfs[i].target, .tmpfs_opts = c->tmpfs_opts[i]};
    }
    /* Fewer components first; a stable insertion sort keeps the file's
     * order among equals. */
    for (size_t i = 1; i < n; i++) {
        struct spawn_mount m = c->mounts[i];
        size_t depth = path_depth(m.target), j = i;

        while (j > 0 && path_depth(c->mounts[j - 1].target) > depth) {
            c->mounts[j] = c->mounts[j - 1];
            j--;
        }
        c->mounts[j] = m;
    }
    return 0;
}

/* Whether each volume's source is a file, as it is now. */
static void stat_volumes(struct container *c)
{
    size_t n = c->spec->n_volumes + c->spec->n_tmpfs;
    struct stat st;

    for (size_t i = 0; i < n && c->mounts; i++)
        if (c->mounts[i].source)
            c->mounts[i].file = stat(c->mounts[i].source, &st) == 0 && !S_ISDIR(st.st_mode);
}

void container_rootfs_ready(struct container *c, int err, const char *msg)
{
    /* Stopped (or going down) while it waited. */
    if (c->state != CTR_STARTING || c->run || c->d->shutting_down)
        return;
    if (err < 0) {
        (void) start_failed_msg(c, msg, err);
        return;
    }
    (void) prepare_and_spawn(c);
}

static int prepare_and_spawn(struct container *c)
{
    const struct container_spec *s = c->spec;
    const struct supervisor_spec *sup = &c->d->cfg->sup;
    _cleanup_close_ int null_fd = -EBADF;
    _cleanup_free_ char *hosts_path = NULL, *resolv_path = NULL;
    _cleanup_close_pair_ int out[2] = {-EBADF, -EBADF}, err[2] = {-EBADF, -EBADF};
    struct spawn_result res;
    struct spawn_plan plan;
    struct run *run;
    char msg[sizeof(c->last_exit.error)];
    int r;

    r = rootfs_prepare(c, msg, sizeof(msg));
    if (r > 0) {
        /* An import or a copy first; it calls container_rootfs_ready(). */
        container_set_state(c, CTR_STARTING);
        return 0;
    }
    if (r < 0)
        return msg[0] ? start_failed_msg(c, msg, r) : start_failed(c, "prepare rootfs", NULL, r);
    r = plan_mounts(c);
    if (r < 0)
        return start_failed(c, "plan volumes", NULL, r);
    stat_volumes(c);

    if (!c->log) {
        r = logfile_open(sup->log_dir, s->name, s->log.max_size, s->log.max_files, &c->log);
        if (r < 0) {
            _cleanup_free_ char *path = NULL;
            if (asprintf(&path, "%s/%s.log", sup->log_dir, s->name) < 0)
                path = NULL;
            return start_failed(c, "open log", path ?: s->name, r);
        }
    }
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (null_fd < 0)
        return start_failed(c, "open", "/dev/null", negative_errno());
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        return start_failed(c, "create output pipes", NULL, negative_errno());
    r = network_etc_paths(c, &hosts_path, &resolv_path);
    if (r < 0)
        return start_failed(c, "open /etc/hosts and /etc/resolv.conf files in", c->d->ctr_state_dir,
                            r);

    if (!c->cg) {
        r = cg_create(c->d->cg, s->name, &c->cg);
        if (r < 0)
            return start_failed(c, "create cgroup", s->name, r);
    }
    r = apply_limits(c);
    if (r < 0)
        return r;
    if (!c->caps) {
        r = runtime_caps_prepare(s->caps, &c->cap_iab, &c->caps);
        if (r < 0)
            return start_failed(c, "prepare capabilities", NULL, r);
    }
    if (!c->seccomp_built) {
        char why[512] = "";

        r = seccomp_filter_build(s->seccomp, s->seccomp_file, s->caps, &c->seccomp, why,
                                 sizeof(why));
        if (r < 0 && why[0]) {
            snprintf(msg, sizeof(msg), "seccomp: %.500s", why);
            return start_failed_msg(c, msg, r);
        }
        if (r < 0)
            return start_failed(c, "build seccomp filter", NULL, r);
        c->seccomp_built = true;
        if (c->seccomp && seccomp_filter_unknown(c->seccomp) > 0)
            log_warn("%s: seccomp profile '%s': %u syscall name(s) unknown to libseccomp, "
                     "skipped",
                     s->name, s->seccomp_file, seccomp_filter_unknown(c->seccomp));
    }

    plan = (struct spawn_plan){
        .mounts = c->mounts,
        .n_mounts = s->n_volumes + s->n_tmpfs,
        .argv = s->argv,
        .envp = s->env,
        .path_env = c->path_env,
        .hostname = s->hostname,
        .workdir = s->workdir,
        .stdin_fd = null_fd,
        .stdout_fd = out[1],
        .stderr_fd = err[1],
        .cgroup_fd = cg_clone_fd(c->cg),
        .hosts_path = hosts_path,
        .resolv_path = resolv_path,
        .mask_paths = s->mask_paths,
        .readonly_rootfs = s->readonly_rootfs,
        .rlimits = s->rlimits,
        .n_rlimits = s->n_rlimits,
        .cap_iab = c->cap_iab,
        .caps = c->caps,
        .no_new_privs = s->no_new_privileges,
        .seccomp = c->seccomp,
        .userns = s->userns.enabled,
        .userns_host = c->userns_host,
        .userns_count = s->userns.count,
        .uid_map = s->userns.uid_map,
        .n_uid_map = s->userns.n_uid_map,
        .gid_map = s->userns.gid_map,
        .n_gid_map = s->userns.n_gid_map,
    };
    rootfs_plan(c, &plan);
    r = runtime_spawn(&plan, &res);
    if (r < 0)
        return start_failed(c, res.fail_step ?: "clone", res.fail_path[0] ? res.fail_path : NULL,
                            r);

    run = calloc(1, sizeof(*run));
    if (!run) {
        /* EOF on its sync socket makes the child exit before doing anything. */
        close(res.syncfd);
        spawn_trees_close(res.trees);
        (void) waitid((idtype_t) P_PIDFD, (id_t) res.pidfd, &(siginfo_t){0}, WEXITED);
        close(res.pidfd);
        close(res.errfd);
        return start_failed(c, "spawn", NULL, -ENOMEM);
    }
    run->c = c;
    run->syncfd = run->trees[0] = run->trees[1] = -EBADF;
    run->out.fd = run->err.fd = -EBADF;
    run->pid = res.pid;
    run->oom_kills_before = oom_kills(c->cg);
    run->pidfd = res.pidfd;
    run->errfd = res.errfd;
    (void) fcntl(run->errfd, F_SETFL, O_NONBLOCK);
    uv_poll_init(&c->d->loop, &run->exit_poll, run->pidfd);
    uv_poll_init(&c->d->loop, &run->err_poll, run->errfd);
    uv_timer_init(&c->d->loop, &run->flush_timer);
    run->exit_poll.data = run->err_poll.data = run->flush_timer.data = run;
    run->open_handles = 3;
    run->err_open = true;
    uv_poll_start(&run->exit_poll, UV_READABLE, on_exit_readable);
    uv_poll_start(&run->err_poll, UV_READABLE, on_err_readable);
    /* The child has its copies of the write ends: ours would keep the
     * pipes from ever reaching EOF. */
    out[1] = safe_close(out[1]);
    err[1] = safe_close(err[1]);
    (void) fcntl(out[0], F_SETFL, O_NONBLOCK);
    (void) fcntl(err[0], F_SETFL, O_NONBLOCK);
    run_log_init(run, &run->out, "stdout", TAKE_FD(out[0]));
    run_log_init(run, &run->err, "stderr", TAKE_FD(err[0]));
    c->run = run;

    r = cg_attach(c->cg, res.pid, res.in_cgroup);
    if (r < 0) {
        /* Never released: EOF on the sync socket makes the child exit, and
         * the exit path reports this error and cleans up. */
        run->have_error = true;
        run->error = (struct spawn_error){.step = STEP_CGROUP, .err = -r};
        snprintf(run->error.path, sizeof(run->error.path), "%s", cg_path(c->cg));
        log_spawn_error(run);
        close(res.syncfd);
        spawn_trees_close(res.trees);
    } else {
        char step[128] = "";
        r = network_attach(c, res.pid, step, sizeof(step));
        if (r < 0) {
            run->have_error = true;
            run->error = (struct spawn_error){.step = STEP_NETWORK, .err = -r};
            snprintf(run->error.path, sizeof(run->error.path), "%s", step);
            log_spawn_error(run);
            close(res.syncfd);
            spawn_trees_close(res.trees);
        } else if (c->net_attached) {
            /* Released with the others that start this loop turn, once
             * the ruleset has their ports (network.c). */
            run->syncfd = res.syncfd;
            memcpy(run->trees, res.trees, sizeof(run->trees));
        } else {
            (void) runtime_release(&res);
        }
    }

    c->started_at_ms = now_realtime_ms();
    c->started_mono_ms = now_monotonic_ms();
    c->cpu_sample_at_ms = 0;
    container_set_state(c, CTR_STARTING);
    return 0;
}

void container_release(struct container *c, int err, const char *what)
{
    struct run *run = c->run;
    struct spawn_result res;

    if (!run || run->syncfd < 0)
        return;
    if (err < 0) {
        /* EOF on its sync socket makes the child exit; the exit path
         * reports this and cleans up. */
        run->have_error = true;
        run->error = (struct spawn_error){.step = STEP_NETWORK, .err = -err};
        snprintf(run->error.path, sizeof(run->error.path), "%s", what);
        log_spawn_error(run);
        run->syncfd = safe_close(run->syncfd);
        spawn_trees_close(run->trees);
        return;
    }
    res = (struct spawn_result){.syncfd = run->syncfd};
    memcpy(res.trees, run->trees, sizeof(res.trees));
    run->syncfd = run->trees[0] = run->trees[1] = -EBADF;
    (void) runtime_release(&res);
}

bool container_awaits_release(const struct container *c)
{
    return c->run && c->run->syncfd >= 0;
}

int container_start(struct container *c)
{
    if (c->run)
        return c->state == CTR_STOPPING ? -EBUSY : -EALREADY;
    /* A person's start is a fresh start. */
    c->history = (struct restart_history){0};
    c->fatal_reason[0] = 0;
    c->want_stop = false;
    return start_run(c);
}

void container_dependency_failed(struct container *c, const struct container *dep)
{
    char status[700];

    container_status(dep, status, sizeof(status));
    c->want_start = false;
    c->waiting_for = NULL;
    c->starts++; /* an attempt, for whoever waits on this start */
    c->last_exit = (struct exit_status){.kind = EXIT_ERROR, .at_ms = now_realtime_ms()};
    snprintf(c->last_exit.error, sizeof(c->last_exit.error), "dependency '%s' is %.400s",
             dep->spec->name, status);
    log_error("%s: not started: %s", c->spec->name, c->last_exit.error);
    container_set_state(c, CTR_EXITED);
}

int container_stop(struct container *c)
{
    c->restart_pending = false;
    c->want_stop = false;
    c->want_start = false;
    c->waiting_for = NULL;
    if (!c->run) {
        /* A pending restart or a start waiting for its dependencies is
         * called off; an exit stays on record. */
        uv_timer_stop(&c->backoff_timer);
        if (c->state != CTR_EXITED && c->state != CTR_FATAL)
            container_set_state(c, CTR_STOPPED);
        return 0;
    }
    if (c->state == CTR_STOPPING)
        return 0;
    /* A frozen process cannot act on its stop signal: thaw it first. */
    container_freeze_cancel(c);
    c->stop_requested = true;
    if (c->state == CTR_STARTING && !c->run->exec_ok) {
        /* Nothing of the user's runs yet: no grace period to give. */
        (void) run_signal(c->run, SIGKILL);
    } else {
        int r = run_signal(c->run, c->spec->stop_signal);
        if (r < 0 && r != -ESRCH)
            log_warn("%s: Failed to send %s: %s, killing after stop_timeout", c->spec->name,
                     signal_to_string(c->spec->stop_signal), strerror(-r));
        uv_timer_start(&c->stop_timer, on_stop_timeout, c->spec->stop_timeout_ms, 0);
    }
    container_set_state(c, CTR_STOPPING);
    return 0;
}

int container_restart(struct container *c)
{
    if (!c->run) {
        uv_timer_stop(&c->backoff_timer);
        return container_start(c);
    }
    container_stop(c);
    c->restart_pending = true;
    return 0;
}

static void on_container_timer_closed(uv_handle_t *h)
{
    struct container *c = h->data;

    /* libuv runs close callbacks in no promised order: count them. */
    if (--c->open_timers > 0)
        return;
    logfile_free(c->log);
    cap_free(c->cap_iab);
    cap_free(c->caps);
    seccomp_filter_free(c->seccomp);
    free(c->deps);
    free(c->rdeps);
    free(c->path_env);
    rootfs_free(c);
    free(c->mounts);
    for (char **o = c->tmpfs_opts; o && *o; o++)
        free(*o);
    free(c->tmpfs_opts);
    free(c);
}

void container_close(struct container *c)
{
    uv_close((uv_handle_t *) &c->stop_timer, on_container_timer_closed);
    uv_close((uv_handle_t *) &c->cg_timer, on_container_timer_closed);
    uv_close((uv_handle_t *) &c->backoff_timer, on_container_timer_closed);
    container_freeze_close(c, on_container_timer_closed);
}

int container_new(struct daemon *d, const struct container_spec *spec, struct container **ret)
{
    struct container *c = calloc(1, sizeof(*c));
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    if (!c)
        return -ENOMEM;
    c->d = d;
    c->spec = spec;
    c->state = CTR_STOPPED;
    c->rootfs.image_fd = -EBADF;
    for (char **e = spec->env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    c->path_env = strdup(path);
    if (!c->path_env) {
        free(c);
        return -ENOMEM;
    }
    uv_timer_init(&d->loop, &c->stop_timer);
    uv_timer_init(&d->loop, &c->cg_timer);
    uv_timer_init(&d->loop, &c->backoff_timer);
    c->stop_timer.data = c->cg_timer.data = c->backoff_timer.data = c;
    container_freeze_init(c);
    c->open_timers = 6; /* three timers here, three freezer handles */
    *ret = c;
    return 0;
}

static json_t *exit_to_json(const struct exit_status *e)
{
    json_t *exit = NULL;

    switch (e->kind) {
    case EXIT_CODE:
        exit = json_pack("{s:s, s:i}", "kind", "code", "code", e->code);
        break;
    case EXIT_SIGNAL:
        exit = json_pack("{s:s, s:s, s:i}", "kind", "signal", "signal", signal_to_string(e->code),
                         "signo", e->code);
        break;
    case EXIT_OOM:
        exit = json_pack("{s:s}", "kind", "oom");
        break;
    case EXIT_ERROR:
        exit = json_pack("{s:s, s:s}", "kind", "error", "error", e->error);
        break;
    case EXIT_NONE:
        break;
    }
    if (!exit)
        return json_null();
    json_object_set_new(exit, "at_ms", json_integer((json_int_t) e->at_ms));
    return exit;
}

static uint64_t backoff_left_ms(const struct container *c)
{
    uint64_t now = now_monotonic_ms();

    if (c->state != CTR_BACKOFF)
        return 0;
    return c->backoff_due_ms > now ? c->backoff_due_ms - now : 0;
}

json_t *container_to_json(const struct container *c)
{
    char status[700];
    json_t *o, *exit = exit_to_json(&c->last_exit);

    container_status(c, status, sizeof(status));
    o = json_pack("{s:s, s:s, s:s, s:i, s:I, s:i}", "name", c->spec->name, "state",
                  ctr_state_to_string(c->state), "status", status, "pid",
                  c->run ? (int) c->run->pid : 0, "started_at_ms",
                  (json_int_t) (c->run ? c->started_at_ms : 0), "starts", (int) c->starts);
    if (!o) {
        json_decref(exit);
        return NULL;
    }
    json_object_set_new(
        o, "uptime_ms",
        json_integer(c->run ? (json_int_t) (now_monotonic_ms() - c->started_mono_ms) : 0));
    json_object_set_new(o, "last_exit", exit);
    json_object_set_new(o, "cgroup", c->cg ? json_string(cg_path(c->cg)) : json_null());
    json_object_set_new(o, "restarts", json_integer(c->restarts));
    json_object_set_new(o, "backoff_ms", json_integer((json_int_t) backoff_left_ms(c)));
    json_object_set_new(o, "fatal_reason",
                        c->state == CTR_FATAL ? json_string(c->fatal_reason) : json_null());
    json_object_set_new(o, "manual_stop", json_boolean(c->manual_stop));
    if (c->ip) {
        char ip[16];
        json_t *ports = json_array();
        format_ipv4(c->ip, ip);
        json_object_set_new(o, "ip", json_string(ip));
        for (size_t i = 0; i < c->spec->n_publish; i++) {
            const struct publish_spec *p = &c->spec->publish[i];
            char buf[32];
            snprintf(buf, sizeof(buf), "%u:%u/%s", p->host_port, p->port,
                     p->proto == IPPROTO_UDP ? "udp" : "tcp");
            json_array_append_new(ports, json_string(buf));
        }
        json_object_set_new(o, "ports", ports);
    } else {
        json_object_set_new(o, "ip", json_null());
        json_object_set_new(o, "ports", json_array());
    }
    return o;
}

static json_t *strv_to_json(char *const *v)
{
    json_t *a = json_array();

    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *spec_to_json(const struct container_spec *s, const struct supervisor_spec *sup)
{
    const struct restart_spec *r = &s->restart;
    json_t *codes = json_array(), *limits, *o;
    char *log_path = NULL;

    for (int i = 0; i < 256; i++)
        if (container_spec_success_code(s, i))
            json_array_append_new(codes, json_integer(i));
    limits = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:s?}", "memory", (json_int_t) s->memory,
        "memory_swap", (json_int_t) s->memory_swap, "cpu_millis", (json_int_t) s->cpu_millis,
        "cpu_weight", (json_int_t) s->cpu_weight, "pids", (json_int_t) s->pids, "io_weight",
        (json_int_t) s->io_weight, "cpuset_cpus", s->cpuset_cpus, "cpuset_mems", s->cpuset_mems);
    if (asprintf(&log_path, "%s/%s.log", sup->log_dir, s->name) < 0)
        log_path = NULL;
    o = json_pack(
        "{s:s?, s:o, s:s, s:o, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:s?}", "rootfs", s->rootfs,
        "command", strv_to_json(s->argv), "hostname", s->hostname, "env", strv_to_json(s->env),
        "workdir", s->workdir, "stop_signal", signal_to_string(s->stop_signal), "stop_timeout_ms",
        (json_int_t) s->stop_timeout_ms, "pause_timeout_ms", (json_int_t) s->pause_timeout_ms,
        "depends_on", strv_to_json(s->depends_on), "limits", limits ? limits : json_null(),
        "success_exit_codes", codes, "log", log_path);
    free(log_path);
    if (!o)
        return json_null();
    json_object_set_new(
        o, "restart",
        json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "policy", restart_policy_to_string(r->policy),
                  "max", (int) r->max, "delay_ms", (json_int_t) r->delay_ms, "delay_max_ms",
                  (json_int_t) r->delay_max_ms, "reset_after_ms", (json_int_t) r->reset_after_ms,
                  "start_grace_ms", (json_int_t) r->start_grace_ms));
    json_object_set_new(o, "image", s->image ? json_string(s->image) : json_null());
    json_object_set_new(o, "rootfs_mode", json_string(rootfs_mode_to_string(s->rootfs_mode)));
    json_object_set_new(o, "ephemeral", json_boolean(s->ephemeral));
    json_t *vols = json_array(), *tmps = json_array();
    for (size_t i = 0; i < s->n_volumes; i++)
        json_array_append_new(vols,
                              json_pack("{s:s, s:s, s:b}", "source", s->volumes[i].source, "target",
                                        s->volumes[i].target, "readonly", s->volumes[i].readonly));
    for (size_t i = 0; i < s->n_tmpfs; i++)
        json_array_append_new(tmps, json_pack("{s:s, s:I, s:i}", "target", s->tmpfs[i].target,
                                              "size", (json_int_t) s->tmpfs[i].size, "mode",
                                              (int) s->tmpfs[i].mode));
    json_object_set_new(o, "volumes", vols);
    json_object_set_new(o, "tmpfs", tmps);
    json_object_set_new(o, "log_max_size", json_integer((json_int_t) s->log.max_size));
    json_object_set_new(o, "log_max_files", json_integer(s->log.max_files));
    return o;
}

json_t *container_inspect_json(const struct container *c)
{
    json_t *o = container_to_json(c);

    if (!o)
        return NULL;
    json_object_set_new(o, "spec", spec_to_json(c->spec, &c->d->cfg->sup));
    /* What it runs on now: the tree, the image, where its layer is. */
    json_object_set_new(o, "root",
                        json_pack("{s:s?, s:s?, s:s?, s:s?}", "lower", c->rootfs.lower, "image_id",
                                  c->rootfs.image_id[0] ? c->rootfs.image_id : NULL, "layer",
                                  c->rootfs.dir, "root", c->rootfs.root));
    json_object_set_new(o, "restart_attempt", json_integer(c->history.attempt));
    json_object_set_new(o, "failures_in_a_row", json_integer(c->history.failures));
    json_object_set_new(o, "backoff_delay_ms", json_integer((json_int_t) c->backoff_delay_ms));
    json_object_set_new(o, "started_at_ms", json_integer((json_int_t) c->started_at_ms));
    return o;
}

json_t *container_event_json(const struct container *c, enum ctr_state from)
{
    char status[700], ts[LOG_TIMESTAMP_MAX];
    struct timespec now_ts;
    uint64_t now_ns, now;
    json_t *o;

    clock_gettime(CLOCK_REALTIME, &now_ts);
    now_ns = (uint64_t) now_ts.tv_sec * 1000000000u + (uint64_t) now_ts.tv_nsec;
    now = now_ns / 1000000;
    logfile_format_timestamp(now_ns, ts);
    container_status(c, status, sizeof(status));
    o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:i}", "time", ts, "time_ms",
                  (json_int_t) now, "name", c->spec->name, "from", ctr_state_to_string(from), "to",
                  ctr_state_to_string(c->state), "status", status, "pid",
                  c->run ? (int) c->run->pid : 0, "restarts", (int) c->restarts);
    if (!o)
        return NULL;
    json_object_set_new(o, "time_us", json_integer((json_int_t) (now_ns / 1000)));
    if (c->state == CTR_EXITED || c->state == CTR_BACKOFF || c->state == CTR_FATAL ||
        c->state == CTR_STOPPED)
        json_object_set_new(o, "exit", exit_to_json(&c->last_exit));
    if (c->state == CTR_BACKOFF)
        json_object_set_new(o, "delay_ms", json_integer((json_int_t) c->backoff_delay_ms));
    if (c->state == CTR_FATAL)
        json_object_set_new(o, "reason", json_string(c->fatal_reason));
    return o;
}

void container_set_manual_stop(struct container *c, bool stopped)
{
    _cleanup_free_ char *path = NULL;
    char text[64];
    int r;

    if (c->manual_stop == stopped)
        return;
    c->manual_stop = stopped;
    if (asprintf(&path, "%s/%s.json", c->d->persist_dir, c->spec->name) < 0)
        return;
    if (!stopped) {
        if (unlink(path) < 0 && errno != ENOENT)
            log_warn("%s: Failed to remove '%s': %m, ignoring", c->spec->name, path);
        return;
    }
    snprintf(text, sizeof(text), "{\"manual_stop\":true,\"at_ms\":%" PRIu64 "}\n",
             now_realtime_ms());
    r = write_file_atomic(path, text, 0600);
    if (r < 0)
        log_warn("%s: Failed to remember the stop in '%s': %s", c->spec->name, path, strerror(-r));
}

json_t *container_stats_json(struct container *c)
{
    struct cg_stats st = {0};
    uint64_t now = now_monotonic_ms();
    double cpu = 0;

    if (!c->run || !c->cg || cg_stats(c->cg, &st) < 0)
        return json_null();
    /* CPU % over the time since the previous sample, or since the start
     * when there is none recent enough to mean something. */
    if (c->cpu_sample_at_ms && now - c->cpu_sample_at_ms >= 100 &&
        st.cpu_usage_ns >= c->cpu_sample_ns)
        cpu = (double) (st.cpu_usage_ns - c->cpu_sample_ns) / 1e4 /
              (double) (now - c->cpu_sample_at_ms);
    else if (now > c->started_mono_ms)
        cpu = (double) st.cpu_usage_ns / 1e4 / (double) (now - c->started_mono_ms);
    if (!c->cpu_sample_at_ms || now - c->cpu_sample_at_ms >= 100) {
        c->cpu_sample_ns = st.cpu_usage_ns;
        c->cpu_sample_at_ms = now;
    }
    return json_pack("{s:I, s:I, s:f, s:I, s:I}", "memory_bytes", (json_int_t) st.memory_current,
                     "memory_peak_bytes", (json_int_t) st.memory_peak, "cpu_percent", cpu, "pids",
                     (json_int_t) st.pids_current, "oom_kills", (json_int_t) st.oom_kills);
}
