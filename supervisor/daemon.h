/* SPDX-License-Identifier: MIT */
/* The supervisor: a libuv loop that owns the container table. */
#pragma once

#include <stdbool.h>
#include <uv.h>

#include "common/list.h"
#include "config/config.h"

struct container;
struct cg_manager;

struct daemon_options {
    bool exit_when_done; /* exit once every container is down */
};

struct daemon {
    uv_loop_t loop;
    const struct corral_config *cfg;
    struct daemon_options opts;
    struct cg_manager *cg;
    struct container **ctrs;
    size_t n_ctrs;
    int sigfd;
    uv_poll_t sig_poll;
    uv_pipe_t server;
    bool server_open;
    struct list_head clients;
    struct list_head waiters;
    char *socket_path;
    char *ctr_state_dir; /* run_dir/containers */
    int lock_fd;
    bool started; /* the start-up loop is over */
    bool shutting_down;
    bool finished;
    int exit_status;
};

/* Run the supervisor until it is told to go down; returns the exit status. */
int daemon_run(const struct corral_config *cfg, const struct daemon_options *opts);

struct container *daemon_find(struct daemon *d, const char *name);
/* Something about c changed: persist it, wake waiters, maybe finish. */
void daemon_changed(struct daemon *d, struct container *c);
/* Stop every container, then leave the loop. */
void daemon_shutdown(struct daemon *d, const char *why);
