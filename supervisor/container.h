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
    CTR_PAUSED,   /* every process frozen, confirmed by the freezer */
    CTR_STOPPING, /* stop signal sent, waiting for the exit */
    CTR_EXITED,   /* its process ended on its own (or never started) */
    _CTR_STATE_MAX,
};

const char *ctr_state_to_string(enum ctr_state s);

enum exit_kind { EXIT_NONE, EXIT_CODE, EXIT_SIGNAL, EXIT_OOM, EXIT_ERROR };

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
    uint64_t oom_kills_before; /* the cgroup's count when the run began */
};

/* A pause or resume in progress, confirmed by the freezer: through an
 * inotify watch on cgroup2's cgroup.events where there is one, else by
 * re-reading v1's freezer.state on a short timer; bounded by pause_timeout. */
struct freeze_op {
    bool active;
    bool freeze;         /* the target: frozen (pause) or thawed (resume) */
    bool watching;       /* for the whole run, once started */
    unsigned quick_ms;   /* the last quick re-read's delay */
    uv_fs_event_t watch; /* cgroup.events */
    uv_timer_t recheck;  /* v1 freezer.state */
    uv_timer_t deadline; /* pause_timeout */
    unsigned done;       /* completed operations, for waiters */
    char error[256];     /* why the last one failed; "" if it did not */
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
    struct freeze_op freeze;
    uint64_t cpu_sample_ns;    /* last CPU usage read, for cpu % */
    uint64_t cpu_sample_at_ms; /* monotonic time of that read, 0 if none */
};

int container_new(struct daemon *d, const struct container_spec *spec, struct container **ret);
/* Close the handles; the container is freed from the last close callback. */
void container_close(struct container *c);

int container_start(struct container *c);
int container_stop(struct container *c);
int container_restart(struct container *c);
/* Freeze or thaw every process; the state changes once the freezer
 * confirms it. 0 if started (or already there), else a negative errno. */
int container_pause(struct container *c);
int container_resume(struct container *c);
/* Drop a pending pause/resume and thaw (before a stop, after an exit). */
void container_freeze_cancel(struct container *c);
/* The freezer's handles; part of the container's life (open_timers). */
void container_freeze_init(struct container *c);
void container_freeze_close(struct container *c, uv_close_cb cb);
/* The one place a state changes. */
void container_set_state(struct container *c, enum ctr_state s);

/* Stopped or exited, with nothing left to clean up. */
bool container_is_down(const struct container *c);
/* Its last run ended in failure (non-zero code, signal, spawn error). */
bool container_failed(const struct container *c);
/* "running", "exited (code 3)", "exited (signal SIGKILL)"... */
void container_status(const struct container *c, char *buf, size_t len);
json_t *container_to_json(const struct container *c);
/* Memory, CPU % since the previous call (or the start), pids; null when
 * not running. Updates the CPU sample. */
json_t *container_stats_json(struct container *c);
