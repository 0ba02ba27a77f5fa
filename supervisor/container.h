/* SPDX-License-Identifier: MIT */
/* One container's life: its state machine and the runs (processes) it goes
 * through. All transitions go through ctr_set_state(). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "config/config.h"
#include "runtime.h"

struct daemon;
struct cg_handle;

enum ctr_state {
    CTR_STOPPED,  /* never started, or stopped by corral */
    CTR_STARTING, /* cloned, not yet past execve */
    CTR_RUNNING,
    CTR_STOPPING, /* stop signal sent, waiting for the exit */
    CTR_EXITED,   /* its process ended on its own (or never started) */
    _CTR_STATE_MAX,
};

const char *ctr_state_to_string(enum ctr_state s);

enum exit_kind { EXIT_NONE, EXIT_CODE, EXIT_SIGNAL, EXIT_ERROR };

struct exit_status {
    enum exit_kind kind;
    int code; /* exit code, or signal number */
    char error[512];
    uint64_t at_ms; /* realtime */
};

/* One process lifetime. Owns the pidfd, the error pipe and their polls; it
 * frees itself from the last close callback, so a container can start a new
 * run while the old one's handles are still closing. */
struct run {
    struct container *c;
    pid_t pid;
    int pidfd;
    int errfd;
    uv_poll_t exit_poll;
    uv_poll_t err_poll;
    bool err_open;
    bool exec_ok;
    bool have_error;
    struct spawn_error error;
    int open_handles;
};

struct container {
    struct daemon *d;
    const struct container_spec *spec;
    enum ctr_state state;
    struct run *run;       /* NULL when no process is alive */
    struct cg_handle *cg;  /* NULL once removed */
    uv_timer_t stop_timer; /* stop_timeout, then SIGKILL */
    uv_timer_t cg_timer;   /* retry removing a lingering cgroup */
    unsigned cg_tries;
    int open_timers;
    uint64_t started_at_ms; /* realtime, of the current/last run */
    uint64_t started_mono_ms;
    unsigned starts;
    bool stop_requested;  /* the coming exit is one corral asked for */
    bool restart_pending; /* start again once stopped */
    struct exit_status last_exit;
    char *path_env; /* the container's PATH, for argv[0] lookup */
};

int container_new(struct daemon *d, const struct container_spec *spec, struct container **ret);
/* Close the handles; the container is freed from the last close callback. */
void container_close(struct container *c);

int container_start(struct container *c);
int container_stop(struct container *c);
int container_restart(struct container *c);

/* Stopped or exited, with nothing left to clean up. */
bool container_is_down(const struct container *c);
/* Its last run ended in failure (non-zero code, signal, spawn error). */
bool container_failed(const struct container *c);
/* "running", "exited (code 3)", "exited (signal SIGKILL)"... */
void container_status(const struct container *c, char *buf, size_t len);
json_t *container_to_json(const struct container *c);
