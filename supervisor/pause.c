/* SPDX-License-Identifier: MIT */
/* Pause and resume through the cgroup freezer, confirmed, never assumed:
 * "paused" is shown only once the kernel says every task is frozen. The
 * confirmation is event-driven where cgroup2 offers cgroup.events (an
 * inotify watch through uv_fs_event); v1's freezer.state has no
 * notification and is re-read on a short timer. pause_timeout bounds both:
 * a freeze that does not complete in time is rolled back (thawed).
 *
 * The kernel rate-limits cgroup.events notifications (a second one within
 * 10 ms of the last is deferred), and a freeze of sleeping tasks usually
 * completes within a millisecond; so the state is also re-read a few times
 * right after the write (next loop turn, then 1, 2, 4, 8 ms) before the
 * watch alone is relied on. The watch lives as long as the run: adding and
 * removing an inotify watch costs milliseconds on cgroupfs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"

/* How often v1's freezer.state is re-read while a freeze is pending. */
#define RECHECK_MS 5
/* The quick re-reads after a write stop at this delay; the watch (or, on
 * v1, RECHECK_MS) takes over. */
#define QUICK_MAX_MS 8

static void stop_timers(struct freeze_op *f)
{
    uv_timer_stop(&f->deadline);
    uv_timer_stop(&f->recheck);
}

/* The operation is over: record how, wake waiters through the state. */
static void finish(struct container *c, const char *error)
{
    struct freeze_op *f = &c->freeze;

    stop_timers(f);
    f->active = false;
    f->done++;
    snprintf(f->error, sizeof(f->error), "%s", error ? error : "");
    if (error) {
        log_error("%s: %s", c->spec->name, error);
        daemon_changed(c->d, c);
        return;
    }
    container_set_state(c, f->freeze ? CTR_PAUSED : CTR_RUNNING);
}

static void on_recheck(uv_timer_t *t);

static void check(struct container *c)
{
    struct freeze_op *f = &c->freeze;
    int st;

    if (!f->active)
        return;
    st = cg_freezer_state(c->cg);
    if (st < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Failed to read the freezer state of '%s': %s", cg_path(c->cg),
                 strerror(-st));
        finish(c, msg);
        return;
    }
    if (st == (f->freeze ? CG_FROZEN : CG_THAWED)) {
        finish(c, NULL);
        return;
    }
    /* Quick re-reads, doubling; then the watch, or v1's steady re-read. */
    if (f->quick_ms < QUICK_MAX_MS) {
        f->quick_ms = f->quick_ms ? f->quick_ms * 2 : 1;
        uv_timer_start(&f->recheck, on_recheck, f->quick_ms, 0);
    } else if (!f->watching) {
        uv_timer_start(&f->recheck, on_recheck, RECHECK_MS, 0);
    }
}

static void on_recheck(uv_timer_t *t)
{
    check(container_of(t, struct container, freeze.recheck));
}

static void on_watch(uv_fs_event_t *h, const char *filename, int events, int status)
{
    check(container_of(h, struct container, freeze.watch));
}

static void on_deadline(uv_timer_t *t)
{
    struct container *c = container_of(t, struct container, freeze.deadline);
    struct freeze_op *f = &c->freeze;
    char msg[160];
    int r;

    if (!f->active)
        return;
    if (!f->freeze) {
        snprintf(msg, sizeof(msg), "did not thaw within %.1fs",
                 (double) c->spec->pause_timeout_ms / 1000.0);
        finish(c, msg);
        return;
    }
    /* Half-frozen is the worst state to leave a service in: roll back. */
    r = cg_freeze(c->cg, false);
    snprintf(msg, sizeof(msg), "did not freeze within %.1fs, %s",
             (double) c->spec->pause_timeout_ms / 1000.0,
             r < 0 ? "and could not be thawed" : "thawed again");
    finish(c, msg);
}

static int begin(struct container *c, bool freeze)
{
    struct freeze_op *f = &c->freeze;
    const char *watch;
    int r;

    if (f->active) {
        if (f->freeze == freeze)
            return 0;
        stop_timers(f);
        f->active = false;
    }
    f->active = true;
    f->freeze = freeze;
    f->quick_ms = 0;
    f->error[0] = 0;
    /* Watch before writing, so the change cannot slip between the two. */
    watch = cg_freezer_watch_path(c->cg);
    if (watch && !f->watching) {
        r = uv_fs_event_start(&f->watch, on_watch, watch, 0);
        if (r < 0)
            log_warn("%s: Failed to watch '%s': %s, re-reading on a timer instead", c->spec->name,
                     watch, uv_strerror(r));
        f->watching = r == 0;
    }
    r = cg_freeze(c->cg, freeze);
    if (r < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Failed to %s '%s': %s", freeze ? "freeze" : "thaw",
                 cg_path(c->cg), strerror(-r));
        finish(c, msg);
        return r;
    }
    /* No synchronous check: the answer comes from the loop. The deadline is
     * started first, and libuv runs timers due together in start order, so
     * a pause_timeout of 0 deterministically exercises the rollback. */
    uv_timer_start(&f->deadline, on_deadline, c->spec->pause_timeout_ms, 0);
    uv_timer_start(&f->recheck, on_recheck, 0, 0);
    return 0;
}

static int change(struct container *c, bool freeze)
{
    if (c->state == (freeze ? CTR_PAUSED : CTR_RUNNING) && !c->freeze.active)
        return 0; /* already there */
    if (c->state != CTR_RUNNING && c->state != CTR_PAUSED)
        return -ESRCH;
    return begin(c, freeze);
}

int container_pause(struct container *c)
{
    return change(c, true);
}

int container_resume(struct container *c)
{
    return change(c, false);
}

void container_freeze_cancel(struct container *c)
{
    struct freeze_op *f = &c->freeze;
    bool was_frozen = c->state == CTR_PAUSED || (f->active && f->freeze);

    if (f->active) {
        stop_timers(f);
        f->active = false;
        f->done++;
        snprintf(f->error, sizeof(f->error), "cancelled: the container is stopping");
    }
    /* The run's cgroup is about to go: so does the watch on it. */
    if (f->watching) {
        uv_fs_event_stop(&f->watch);
        f->watching = false;
    }
    if (was_frozen && c->cg)
        (void) cg_freeze(c->cg, false);
}

void container_freeze_init(struct container *c)
{
    uv_fs_event_init(&c->d->loop, &c->freeze.watch);
    uv_timer_init(&c->d->loop, &c->freeze.recheck);
    uv_timer_init(&c->d->loop, &c->freeze.deadline);
    c->freeze.watch.data = c->freeze.recheck.data = c->freeze.deadline.data = c;
}

void container_freeze_close(struct container *c, uv_close_cb cb)
{
    uv_close((uv_handle_t *) &c->freeze.watch, cb);
    uv_close((uv_handle_t *) &c->freeze.recheck, cb);
    uv_close((uv_handle_t *) &c->freeze.deadline, cb);
}
