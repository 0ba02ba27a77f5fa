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
    struct ipam *ipam;     /* addresses; NULL without bridge containers */
    struct nft_ctx *nft;   /* kept open: closing one costs a grace period */
    char *nft_text;        /* the ruleset as last loaded */
    bool net_on;           /* some container uses the bridge */
    uv_prepare_t net_sync; /* what a stop changed, once per loop turn */
    bool net_sync_open;
    bool nft_dirty;   /* the ruleset lags the attached containers */
    bool hosts_dirty; /* some running container's /etc/hosts may lag */
    struct container **ctrs;
    size_t n_ctrs;
    int sigfd;
    uv_poll_t sig_poll;
    uv_pipe_t server;
    bool server_open;
    struct list_head clients;
    struct list_head waiters;
    struct list_head workers;    /* forked for work that would block (worker.h) */
    struct image_store *images;  /* state_dir/images, opened when first needed */
    struct worker *trash_worker; /* deleting discarded layers, at most one */
    bool trash_again;            /* ... and more was discarded meanwhile */
    char *socket_path;
    char *ctr_state_dir; /* run_dir/containers */
    char *persist_dir;   /* state_dir/containers: what outlives a supervisor */
    bool scheduling;     /* daemon_schedule() is on the stack */
    bool reschedule;     /* ... and something changed meanwhile */
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
/* Stop every container, dependents first, then leave the loop. */
void daemon_shutdown(struct daemon *d, const char *why);
/* Start c, once its dependencies run; the ones that are down are started
 * too. */
void daemon_request_start(struct daemon *d, struct container *c);
/* Stop c, once the containers that depend on it and are stopping too are
 * down. */
void daemon_request_stop(struct daemon *d, struct container *c);
/* Carry out the start and stop requests whose turn has come. */
void daemon_schedule(struct daemon *d);
