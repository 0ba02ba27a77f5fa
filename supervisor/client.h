/* SPDX-License-Identifier: MIT */
/* The CLI side of the control socket: blocking, one request, one reply. */
#pragma once

#include <jansson.h>

/* Documented exit codes of every corral command. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,      /* the operation failed (a container did not start...) */
    EXIT_USAGE = 2,       /* bad arguments or an invalid config file */
    EXIT_NOT_RUNNING = 3, /* no supervisor answers on the control socket */
    EXIT_NOT_FOUND = 4,   /* no such container */
    EXIT_DENIED = 5,      /* not root */
};

/* Send req (consumed) to the supervisor at run_dir; on success *ret is the
 * reply. Returns one of the exit codes above; prints errors itself. */
int client_call(const char *run_dir, json_t *req, json_t **ret);
/* Send req (consumed) and hand each message after the first ("ok") to cb,
 * until the supervisor closes the stream (EXIT_OK) or cb returns < 0. */
int client_stream(const char *run_dir, json_t *req, int (*cb)(json_t *msg, void *userdata),
                  void *userdata);
/* Map a reply's "code" to an exit code. */
int client_exit_code(const json_t *reply);
