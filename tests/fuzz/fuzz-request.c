/* SPDX-License-Identifier: MIT */
/* The control socket's request parser over arbitrary bytes. Beyond not
 * crashing, it keeps the socket's promise: every request is either taken,
 * with what the daemon relies on, or refused with a message the reply can
 * carry (a message that is not UTF-8 cannot be encoded, and the client
 * would get no answer at all). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "macro.h"
#include "supervisor/request.h"

/* What the daemon passes with one container: 1 * 4 + 16. */
#define MAX_NAMES 20

static bool packs(const char *s)
{
    json_t *o = json_pack("{s:s}", "error", s);

    json_decref(o);
    return o != NULL;
}

/* The daemon's not_found reply, for a name the client chose. */
static void format_not_found(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);
static void format_not_found(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    control_vformat_error(buf, size, fmt, ap);
    va_end(ap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct control_request req;
    char err[512], msg[512];
    int r;

    memset(err, 0xaa, sizeof(err));
    r = control_request_parse((const char *) data, size, MAX_NAMES, &req, err, sizeof(err));
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL);
        FUZZ_CHECK(memchr(err, 0, sizeof(err)) != NULL);
        FUZZ_CHECK(err[0] != 0);
        FUZZ_CHECK(packs(err));
        FUZZ_CHECK(!req.json && !req.names && req.n_names == 0);
        return 0;
    }

    FUZZ_CHECK(r == 0);
    FUZZ_CHECK(err[0] == 0);
    FUZZ_CHECK(req.json != NULL);
    FUZZ_CHECK(control_cmd_to_string(req.cmd) != NULL);
    switch (req.cmd) {
    case CONTROL_STOP:
    case CONTROL_START:
    case CONTROL_RESTART:
    case CONTROL_PAUSE:
    case CONTROL_RESUME:
        FUZZ_CHECK(req.n_names >= 1 && req.n_names <= MAX_NAMES);
        break;
    case CONTROL_INSPECT:
        break;
    default:
        FUZZ_CHECK(req.n_names == 0);
    }
    FUZZ_CHECK((req.n_names == 0) == (req.names == NULL));
    for (size_t i = 0; i < req.n_names; i++) {
        FUZZ_CHECK(req.names[i] != NULL);
        FUZZ_CHECK(strlen(req.names[i]) < size);
        format_not_found(msg, sizeof(msg), "no such container: '%s'", req.names[i]);
        FUZZ_CHECK(packs(msg));
    }
    control_request_done(&req);
    FUZZ_CHECK(!req.json && !req.names && req.n_names == 0);
    return 0;
}
