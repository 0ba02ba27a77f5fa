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
#include "logfile.h"
#include "restart.h"
#include "rootfs.h"
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
    CTR_BACKOFF,  /* waiting out the restart delay */
    CTR_FATAL,    /* failed restart_max times in a row: given up until `start` */
    _CTR_STATE_MAX,
};

const char *ctr_state_to_string(enum ctr_state s);

struct exit_status {
    enum exit_kind kind;
    int code; /* exit code, or signal number */
    char error[512];
    uint64_t at_ms; /* realtime */
};

/* One of a run's output pipes, read on the loop into the container's log. */
struct run_log {
    struct run *run;
    const char *stream; /* "stdout" or "stderr" */
    int fd;
    bool open;
    uv_poll_t poll;
    struct linebuf lb;
};

/* One process lifetime. Owns the pidfd, the error pipe, the output pipes
 * and their polls; it frees itself from the last close callback, so a
 * container can start a new run while the old one's handles are still
 * closing. */
struct run {
    struct container *c;
    pid_t pid;
    int pidfd;
    int errfd;
    int syncfd;                 /* until released: the child waits on it (network_sync) */
    int trees[SPAWN_TREES_MAX]; /* ... and these go with "go" (runtime_release) */
    uv_poll_t exit_poll;
    uv_poll_t err_poll;
    bool err_open;
    bool exec_ok;
    bool have_error;
    struct spawn_error error;
    int open_handles;
    uint64_t oom_kills_before; /* the cgroup's count when the run began */
    struct run_log out, err;
    uv_timer_t flush_timer; /* writes out a line that has waited for its newline */
    bool log_failed;        /* a log write failed: said once */
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
    uv_timer_t backoff_timer;
    unsigned cg_tries;
    int open_timers;
    uint64_t started_at_ms; /* realtime, of the current/last run */
    uint64_t started_mono_ms;
    unsigned starts;
    bool stop_requested;     /* the coming exit is one corral asked for */
    bool restart_pending;    /* start again once stopped */
    bool restart_planned;    /* the policy is about to restart or give up */
    bool want_start;         /* start once the dependencies run */
    bool want_stop;          /* stop once the dependents are down */
    bool manual_stop;        /* stopped from the CLI: kept in state_dir */
    const char *waiting_for; /* the dependency a start waits for */
    struct restart_history history;
    unsigned restarts;         /* automatic restarts since the supervisor started */
    uint64_t backoff_delay_ms; /* the current (or last) restart delay */
    uint64_t backoff_due_ms;   /* monotonic time of the pending restart */
    char fatal_reason[256];
    struct exit_status last_exit;
    char *path_env; /* the container's PATH, for argv[0] lookup */
    struct freeze_op freeze;
    uint64_t cpu_sample_ns;    /* last CPU usage read, for cpu % */
    uint64_t cpu_sample_at_ms; /* monotonic time of that read, 0 if none */
    struct logfile *log;       /* log_dir/NAME.log, open from the first start */
    uint32_t ip;               /* on the bridge (host byte order); 0: none */
    uint8_t mac[6];
    char veth[16];     /* host side of its veth pair */
    bool net_attached; /* the veth exists and the ruleset knows it */
    cap_iab_t cap_iab; /* from spec->caps, made at the first start */
    cap_t caps;
    struct seccomp_filter *seccomp; /* built at the first start; NULL: unconfined */
    uint32_t userns_host;           /* userns: the first host id (pool or explicit) */
    bool seccomp_built;
    struct ctr_rootfs rootfs;   /* what it runs on (rootfs.h) */
    struct spawn_mount *mounts; /* its volumes and tmpfs mounts, parents first */
    char **tmpfs_opts;          /* the tmpfs mounts' option strings */
    struct container **deps;    /* depends_on */
    size_t n_deps;
    struct container **rdeps; /* the containers that depend on this one */
    size_t n_rdeps;
};

int container_new(struct daemon *d, const struct container_spec *spec, struct container **ret);
/* Close the handles; the container is freed from the last close callback. */
void container_close(struct container *c);

/* Start now, as a person would: the restart history and a fatal state are
 * cleared. Dependencies are the daemon's business (daemon_request_start). */
/* A run spawned and attached to the bridge waits for this: released (err
 * 0) or, when the ruleset could not take its port, failed (err < 0; what
 * names the step). Nothing if c has no such run. */
void container_release(struct container *c, int err, const char *what);
bool container_awaits_release(const struct container *c);
int container_start(struct container *c);
/* The import or copy a start waited for is over (rootfs.c): go on with
 * the start, or fail it with msg. */
void container_rootfs_ready(struct container *c, int err, const char *msg);
/* Stop; a container in backoff or waiting to start just becomes stopped. */
int container_stop(struct container *c);
/* Stop, then start again once the process is gone. */
int container_restart(struct container *c);
/* Give up a start because dependency dep will not come up. */
void container_dependency_failed(struct container *c, const struct container *dep);
/* Remember (or forget) a stop made from the CLI, in state_dir. */
void container_set_manual_stop(struct container *c, bool stopped);
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
/* The spec and the runtime details, for `corral inspect`. */
json_t *container_inspect_json(const struct container *c);
/* A state change as an event: {"time","name","from","to","status",...}. */
json_t *container_event_json(const struct container *c, enum ctr_state from);
/* Memory, CPU % since the previous call (or the start), pids; null when
 * not running. Updates the CPU sample. */
json_t *container_stats_json(struct container *c);
