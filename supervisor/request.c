/* SPDX-License-Identifier: MIT */
#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "macro.h"

static const char *const cmd_names[_CONTROL_CMD_MAX] = {
    [CONTROL_PS] = "ps",           [CONTROL_STATS] = "stats", [CONTROL_INSPECT] = "inspect",
    [CONTROL_EVENTS] = "events",   [CONTROL_STOP] = "stop",   [CONTROL_START] = "start",
    [CONTROL_RESTART] = "restart", [CONTROL_PAUSE] = "pause", [CONTROL_RESUME] = "resume",
    [CONTROL_DOWN] = "down",
};

const char *control_cmd_to_string(enum control_cmd cmd)
{
    if ((unsigned) cmd >= _CONTROL_CMD_MAX)
        return NULL;
    return cmd_names[cmd];
}

/* The length of the UTF-8 character at s (n bytes left), or 0 if there is
 * none: RFC 3629, with no overlong forms, surrogates or code points above
 * U+10FFFF, which is what jansson accepts in a string. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    if (len > n)
        return 0;
    cp = s[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
        cp > 0x10ffff)
        return 0;
    return len;
}

/* How many bytes of s hold whole characters, up to max. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s), n = 0;

    while (n < len) {
        size_t k = utf8_char((const unsigned char *) s + n, len - n) ?: 1;
        if (n + k > max)
            break;
        n += k;
    }
    return n;
}

/* Whether s (n bytes) is the start of a character cut short. */
static bool utf8_cut(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xc2 && s[0] <= 0xf4 ? (s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4) : 0;

    if (n >= len)
        return false;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return false;
    return true;
}

int control_vformat_error(char *buf, size_t size, const char *fmt, va_list ap)
{
    unsigned char *u = (unsigned char *) buf;
    size_t len;
    int n;

    if (size == 0)
        return 0;
    n = vsnprintf(buf, size, fmt, ap);
    if (n < 0) {
        buf[0] = 0;
        return 0;
    }
    /* A reply that is not UTF-8 cannot be encoded, and the client would
     * get no answer at all. Jansson's own messages quote a byte of the
     * input, which may be part of a character; a text cut short may end
     * inside one. The first become '?', the last is dropped. */
    len = strlen(buf);
    for (size_t i = 0; i < len;) {
        size_t k = utf8_char(u + i, len - i);
        if (k > 0) {
            i += k;
        } else if ((size_t) n >= size && utf8_cut(u + i, len - i)) {
            buf[i] = 0;
            len = i;
        } else {
            buf[i++] = '?';
        }
    }
    return (int) len;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    control_vformat_error(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Whether cmd acts on the containers it names. */
static bool acts_on_names(enum control_cmd cmd)
{
    return cmd == CONTROL_STOP || cmd == CONTROL_START || cmd == CONTROL_RESTART ||
           cmd == CONTROL_PAUSE || cmd == CONTROL_RESUME;
}

/* "names" as an array of strings. Every element is checked before any is
 * taken, so a request is refused whole or taken whole. */
static int parse_names(json_t *names, struct control_request *req, char *err, size_t errlen)
{
    json_t *v;
    size_t i;

    json_array_foreach(names, i, v)
    {
        if (!json_is_string(v))
            return fail(err, errlen, "'names' must hold strings");
    }
    if (json_array_size(names) == 0)
        return 0;
    req->names = calloc(json_array_size(names), sizeof(*req->names));
    if (!req->names)
        return -ENOMEM;
    json_array_foreach(names, i, v)
    {
        req->names[req->n_names++] = json_string_value(v);
    }
    return 0;
}

int control_request_parse(const char *buf, size_t len, size_t max_names,
                          struct control_request *ret, char *err, size_t errlen)
{
    _cleanup_(control_request_done) struct control_request req = {};
    json_error_t jerr;
    json_t *names;
    const char *cmd;
    size_t i;
    int r;

    *ret = (struct control_request){};
    if (errlen > 0)
        err[0] = 0;

    /* A line and its newline fit in CONTROL_MAX_REQUEST, or the daemon
     * would not have read it; other callers get the same answer. */
    if (len >= CONTROL_MAX_REQUEST)
        return fail(err, errlen, "request longer than %d bytes", CONTROL_MAX_REQUEST);
    /* A key given twice would make the request mean whichever one a
     * reader happened to pick: refused. Jansson also refuses invalid
     * UTF-8, \u0000 and nesting deeper than JSON_PARSER_MAX_DEPTH. */
    req.json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req.json)
        return fail(err, errlen, "malformed request: %s", jerr.text);
    cmd = json_string_value(json_object_get(req.json, "cmd"));
    if (!json_is_object(req.json) || !cmd)
        return fail(err, errlen, "a request is an object with a \"cmd\" string");
    for (i = 0; i < _CONTROL_CMD_MAX; i++)
        if (streq(cmd, cmd_names[i]))
            break;
    if (i == _CONTROL_CMD_MAX)
        return fail(err, errlen, "unknown command '%.*s'", (int) utf8_prefix(cmd, 64), cmd);
    req.cmd = (enum control_cmd) i;

    /* Other keys are ignored, as is "names" where a command takes none. */
    names = json_object_get(req.json, "names");
    if (req.cmd == CONTROL_INSPECT) {
        /* None, or an empty array, means every container. */
        if (names && !json_is_array(names))
            return fail(err, errlen, "'names' must be an array of names");
    } else if (acts_on_names(req.cmd)) {
        if (!json_is_array(names) || json_array_size(names) == 0)
            return fail(err, errlen, "'names' must be a non-empty array of names");
        if (json_array_size(names) > max_names)
            return fail(err, errlen, "too many names");
    } else {
        names = NULL;
    }
    r = parse_names(names, &req, err, errlen);
    if (r < 0)
        return r;

    *ret = req;
    req = (struct control_request){};
    return 0;
}

void control_request_done(struct control_request *req)
{
    free(req->names);
    json_decref(req->json);
    *req = (struct control_request){};
}
