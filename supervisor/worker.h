/* SPDX-License-Identifier: MIT */
/* Work that would block the loop for seconds (unpacking an image, copying
 * or deleting a tree) runs in a forked process. The loop sees its progress
 * as fixed-size records on a pipe and its end through its pidfd; the
 * supervisor stays single-threaded. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "common/list.h"

struct daemon;
struct worker;

#define WORKER_TEXT_MAX 480

/* The child's side: what fn may report while it runs. */
struct worker_child {
    int fd;
    uint64_t last_ms;
};
/* Progress (throttled to a few records a second, the last one always). */
void worker_child_progress(struct worker_child *wc, uint64_t done, uint64_t total);

/* Runs in the child; returns 0 or a negative errno, and may fill why (a
 * line for the log: the failure, or what the success should say). */
typedef int (*worker_fn)(struct worker_child *wc, void *arg, char *why, size_t whylen);
typedef void (*worker_progress_cb)(struct worker *w, uint64_t done, uint64_t total);
/* In the loop, once the child has exited: err 0, or its error (-EINTR and
 * a why naming the signal if it died without reporting). */
typedef void (*worker_done_cb)(struct worker *w, int err, const char *why);

struct worker {
    struct daemon *d;
    struct list_head link; /* in d->workers */
    char *key;             /* what it works on, so that a second user joins it */
    pid_t pid;
    int pidfd, fd;
    uv_poll_t exit_poll, msg_poll;
    int open_handles;
    bool msg_open, finished;
    int err;
    char why[WORKER_TEXT_MAX];
    bool reported;
    uint64_t started_ms;
    uint64_t progress_done, progress_total; /* the last report */
    bool wait_at_exit;                      /* workers_close() waits for it instead of killing it */
    worker_progress_cb on_progress;
    worker_done_cb on_done;
    void *data;
};

/* Fork a worker running fn(arg). key: its identity for worker_find(). */
int worker_start(struct daemon *d, const char *key, worker_fn fn, void *arg,
                 worker_progress_cb on_progress, worker_done_cb on_done, void *data,
                 struct worker **ret);
/* A running worker with this key, or NULL. */
struct worker *worker_find(struct daemon *d, const char *key);
/* Kill every worker (SIGKILL) and close their handles: the supervisor is
 * going down. What they left half done is swept at the next start. */
void workers_close(struct daemon *d);
