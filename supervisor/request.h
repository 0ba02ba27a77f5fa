/* SPDX-License-Identifier: MIT */
/* One control request line, parsed and validated: a pure function of its
 * bytes, with no daemon or libuv state, so that it can be unit-tested and
 * fuzzed on its own. Whether the names exist, and whether the daemon is in
 * a state to act, is the caller's to find out. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

struct json_t;

/* A request line and its newline fit in this many bytes. */
#define CONTROL_MAX_REQUEST (64 * 1024)

enum control_cmd {
    CONTROL_PS,
    CONTROL_STATS,
    CONTROL_INSPECT,
    CONTROL_EVENTS,
    CONTROL_STOP,
    CONTROL_START,
    CONTROL_RESTART,
    CONTROL_PAUSE,
    CONTROL_RESUME,
    CONTROL_DOWN,
    _CONTROL_CMD_MAX,
};

struct control_request {
    enum control_cmd cmd;
    /* As given: in order, repeats kept. stop, start, restart, pause and
     * resume have at least one; inspect may have none (every container);
     * the other commands ignore "names" and have none. */
    const char **names;
    size_t n_names;
    struct json_t *json; /* the parsed line: owns the strings in names */
};

const char *control_cmd_to_string(enum control_cmd cmd);

/* vsnprintf() for the "error" of a reply, which must be UTF-8 or the reply
 * cannot be encoded: a byte that is not part of a valid character becomes
 * '?', and a text cut short is cut between characters. Returns the length
 * written. */
int control_vformat_error(char *buf, size_t size, const char *fmt, va_list ap) _printf_(3, 0);

/* Parse one request line (no newline; it may hold any bytes) into *ret.
 * max_names bounds the names of the commands that act on containers. On
 * success returns 0 and *ret, to be released with control_request_done().
 * A request that is not valid returns -EINVAL with a one-line reason in err
 * (the "error" of a bad_request reply) and leaves *ret empty; -ENOMEM if
 * memory ran out. */
int control_request_parse(const char *buf, size_t len, size_t max_names,
                          struct control_request *ret, char *err, size_t errlen);
/* Release what a successful parse holds; a zeroed request is fine too. */
void control_request_done(struct control_request *req);
