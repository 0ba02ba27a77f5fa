/* SPDX-License-Identifier: MIT */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "macro.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* One record; a pipe write of at most PIPE_BUF bytes is atomic. */
struct worker_msg {
    int32_t final; /* 1: the result; 0: progress */
    int32_t err;
    uint64_t done, total;
    char why[WORKER_TEXT_MAX];
};
_Static_assert(sizeof(struct worker_msg) <= PIPE_BUF, "a record must be written atomically");

#define PROGRESS_EVERY_MS 250

void worker_child_progress(struct worker_child *wc, uint64_t done, uint64_t total)
{
    struct worker_msg m = {.done = done, .total = total};
    uint64_t now = now_monotonic_ms();

    if (done < total && now - wc->last_ms < PROGRESS_EVERY_MS)
        return;
    wc->last_ms = now;
    (void) !write(wc->fd, &m, sizeof(m));
}

static _noreturn_ void child_run(int fd, worker_fn fn, void *arg)
{
    struct worker_child wc = {.fd = 3};
    struct worker_msg m = {.final = 1};
    sigset_t none;

    /* It dies with the supervisor: whatever it leaves half done is swept
     * at the next start, never used. */
    (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(1);
    sigemptyset(&none);
    (void) sigprocmask(SIG_SETMASK, &none, NULL);
    (void) signal(SIGPIPE, SIG_DFL);
    /* Nothing of the supervisor's but the report pipe and stdio: a
     * container's sync socket held open here would hide its EOF. */
    if (fd != 3 && dup2(fd, 3) < 0)
        _exit(1);
    (void) syscall(SYS_close_range, 4U, ~0U, 0U);
    m.err = fn(&wc, arg, m.why, sizeof(m.why));
    (void) !write(3, &m, sizeof(m));
    _exit(0);
}

static void worker_unref(struct worker *w)
{
    if (--w->open_handles > 0)
        return;
    if (w->pidfd >= 0)
        close(w->pidfd);
    if (w->fd >= 0)
        close(w->fd);
    free(w->key);
    free(w);
}

static void on_worker_closed(uv_handle_t *h)
{
    worker_unref(h->data);
}

static void read_records(struct worker *w)
{
    struct worker_msg m;

    for (;;) {
        ssize_t n = read(w->fd, &m, sizeof(m));

        if (n != (ssize_t) sizeof(m))
            return;
        if (m.final) {
            w->reported = true;
            w->err = m.err;
            m.why[sizeof(m.why) - 1] = '\0';
            snprintf(w->why, sizeof(w->why), "%s", m.why);
        } else if (w->on_progress && !w->finished)
            w->on_progress(w, m.done, m.total);
    }
}

static void on_msg(uv_poll_t *p, int status, int events)
{
    read_records(p->data);
}

static void worker_close(struct worker *w)
{
    list_del(&w->link);
    if (w->msg_open) {
        uv_close((uv_handle_t *) &w->msg_poll, on_worker_closed);
        w->msg_open = false;
    }
    uv_close((uv_handle_t *) &w->exit_poll, on_worker_closed);
}

static void on_exit_readable(uv_poll_t *p, int status, int events)
{
    struct worker *w = p->data;
    siginfo_t si = {0};

    if (waitid((idtype_t) P_PIDFD, (id_t) w->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
        return;
    read_records(w); /* what it wrote before it went */
    w->finished = true;
    if (!w->reported) {
        w->err = -EINTR;
        if (si.si_code == CLD_EXITED)
            snprintf(w->why, sizeof(w->why), "the worker exited with code %d before it finished",
                     si.si_status);
        else
            snprintf(w->why, sizeof(w->why), "the worker was killed by %s",
                     signal_to_string(si.si_status));
    }
    worker_close(w);
    if (w->on_done)
        w->on_done(w, w->err, w->why);
}

int worker_start(struct daemon *d, const char *key, worker_fn fn, void *arg,
                 worker_progress_cb on_progress, worker_done_cb on_done, void *data,
                 struct worker **ret)
{
    _cleanup_free_ struct worker *w = calloc(1, sizeof(*w));
    int p[2], pidfd = -EBADF;
    long pid;

    if (!w)
        return -ENOMEM;
    w->key = strdup(key);
    if (!w->key)
        return -ENOMEM;
    if (pipe2(p, O_CLOEXEC) < 0) {
        free(w->key);
        return negative_errno();
    }
    /* clone(2) for the pidfd in one step (pidfd_open is missing under
     * valgrind); the supervisor is single-threaded, so the child's copy
     * of the heap and of libc is consistent, as after fork(). */
    pid = syscall(SYS_clone, (unsigned long) (CLONE_PIDFD | SIGCHLD), NULL, &pidfd, NULL, 0UL);
    if (pid < 0) {
        int r = negative_errno();
        close(p[0]);
        close(p[1]);
        free(w->key);
        return r;
    }
    if (pid == 0) {
        close(p[0]);
        child_run(p[1], fn, arg);
    }
    close(p[1]);
    (void) fcntl(p[0], F_SETFL, O_NONBLOCK);
    w->d = d;
    w->pid = (pid_t) pid;
    w->pidfd = pidfd;
    w->fd = p[0];
    w->started_ms = now_monotonic_ms();
    w->on_progress = on_progress;
    w->on_done = on_done;
    w->data = data;
    uv_poll_init(&d->loop, &w->exit_poll, pidfd);
    uv_poll_init(&d->loop, &w->msg_poll, w->fd);
    w->exit_poll.data = w->msg_poll.data = w;
    w->open_handles = 2;
    w->msg_open = true;
    uv_poll_start(&w->exit_poll, UV_READABLE, on_exit_readable);
    uv_poll_start(&w->msg_poll, UV_READABLE, on_msg);
    list_add_tail(&w->link, &d->workers);
    *ret = TAKE_PTR(w);
    return 0;
}

struct worker *worker_find(struct daemon *d, const char *key)
{
    struct list_head *pos, *tmp;

    LIST_FOREACH(pos, tmp, &d->workers) {
        struct worker *w = list_entry(pos, struct worker, link);
        if (streq(w->key, key))
            return w;
    }
    return NULL;
}

void workers_close(struct daemon *d)
{
    struct list_head *pos, *tmp;

    LIST_FOREACH(pos, tmp, &d->workers) {
        struct worker *w = list_entry(pos, struct worker, link);

        if (!w->wait_at_exit && syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0) < 0)
            (void) kill(w->pid, SIGKILL); /* not reaped yet: still ours */
        /* Reaped here: nothing will watch its pidfd any more. */
        (void) waitid((idtype_t) P_PIDFD, (id_t) w->pidfd, &(siginfo_t){0}, WEXITED);
        w->finished = true;
        worker_close(w);
        /* Its owner frees what it gave it; its waiters are gone. */
        if (w->on_done)
            w->on_done(w, -ECANCELED, "");
    }
}
