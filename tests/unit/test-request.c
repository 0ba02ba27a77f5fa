/* SPDX-License-Identifier: MIT */
/* Unit tests for supervisor/request.c: every command, every error message
 * the control socket answers a bad request with, and hostile input (deep
 * nesting, huge numbers, NULs, invalid UTF-8, duplicate keys). The parser
 * is a pure function, so every case is a call and a comparison. No root,
 * no framework: a failed check prints file:line and exits 1. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "macro.h"
#include "supervisor/request.h"
#include "check.h"

/* What the daemon allows with one container: 1 * 4 + 16. */
#define MAX_NAMES 20

/* A reply's "error" must encode as JSON, or the client gets no answer. */
static void assert_packs(const char *msg)
{
    json_t *o = json_pack("{s:s}", "error", msg);

    ASSERT(o);
    json_decref(o);
}

#define parse_ok(s) parse_ok_at(__FILE__, __LINE__, (s), strlen(s))
#define parse_ok_n(s, n) parse_ok_at(__FILE__, __LINE__, (s), (n))
static struct control_request parse_ok_at(const char *file, int line, const char *buf, size_t len)
{
    struct control_request req;
    char err[512];
    int r = control_request_parse(buf, len, MAX_NAMES, &req, err, sizeof(err));

    if (r != 0) {
        fprintf(stderr, "%s:%d: expected the request to parse, got %d: %s\n", file, line, r, err);
        exit(1);
    }
    return req;
}

/* Expect -EINVAL with exactly this message, and *ret left empty. */
#define parse_fail(s, msg) parse_fail_at(__FILE__, __LINE__, (s), strlen(s), MAX_NAMES, (msg))
#define parse_fail_n(s, n, msg) parse_fail_at(__FILE__, __LINE__, (s), (n), MAX_NAMES, (msg))
static void parse_fail_at(const char *file, int line, const char *buf, size_t len, size_t max_names,
                          const char *msg)
{
    struct control_request req;
    char err[512];
    int r;

    memset(&req, 0xaa, sizeof(req));
    r = control_request_parse(buf, len, max_names, &req, err, sizeof(err));
    if (r != -EINVAL || strcmp(err, msg) != 0) {
        fprintf(stderr, "%s:%d: expected -EINVAL '%s'\n  got %d '%s'\n", file, line, msg, r,
                r < 0 ? err : "");
        if (r == 0)
            control_request_done(&req);
        exit(1);
    }
    if (req.names || req.n_names || req.json) {
        fprintf(stderr, "%s:%d: a failed parse left something in *ret\n", file, line);
        exit(1);
    }
    assert_packs(err);
}

/* The message starts with prefix (jansson's own wording follows). */
#define parse_fail_prefix(s, n, prefix) parse_fail_prefix_at(__FILE__, __LINE__, (s), (n), (prefix))
static void parse_fail_prefix_at(const char *file, int line, const char *buf, size_t len,
                                 const char *prefix)
{
    struct control_request req;
    char err[512];
    int r = control_request_parse(buf, len, MAX_NAMES, &req, err, sizeof(err));

    if (r != -EINVAL || strncmp(err, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "%s:%d: expected -EINVAL '%s...'\n  got %d '%s'\n", file, line, prefix, r,
                r < 0 ? err : "");
        if (r == 0)
            control_request_done(&req);
        exit(1);
    }
    ASSERT(req.json == NULL && req.names == NULL && req.n_names == 0);
    assert_packs(err);
}

static void assert_names(const struct control_request *req, size_t n, ...)
{
    va_list ap;

    ASSERT_EQ(req->n_names, n);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        ASSERT_STREQ(req->names[i], va_arg(ap, const char *));
    va_end(ap);
}

/* A buffer that lives exactly as long as the test needs it, so that ASan
 * and valgrind see any read past its end. */
static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t h = strlen(head), u = strlen(unit), t = strlen(tail);
    char *s = malloc(h + u * times + t + 1), *p;

    ASSERT(s);
    p = mempcpy(s, head, h);
    for (size_t i = 0; i < times; i++)
        p = mempcpy(p, unit, u);
    p = mempcpy(p, tail, t);
    *p = 0;
    return s;
}

/* ---- commands ---------------------------------------------------------- */

static void test_commands_without_names(void)
{
    static const struct {
        const char *text;
        enum control_cmd cmd;
    } cases[] = {
        {"{\"cmd\":\"ps\"}", CONTROL_PS},
        {"{\"cmd\":\"stats\"}", CONTROL_STATS},
        {"{\"cmd\":\"events\"}", CONTROL_EVENTS},
        {"{\"cmd\":\"down\"}", CONTROL_DOWN},
        {"{\"cmd\":\"inspect\"}", CONTROL_INSPECT},
        /* Whitespace anywhere JSON allows it. */
        {" \t{ \"cmd\" : \"ps\" }\r ", CONTROL_PS},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct control_request req = parse_ok(cases[i].text);
        ASSERT_EQ(req.cmd, cases[i].cmd);
        ASSERT_EQ(req.n_names, 0);
        ASSERT(req.names == NULL);
        control_request_done(&req);
    }
}

static void test_commands_with_names(void)
{
    static const struct {
        const char *name;
        enum control_cmd cmd;
    } cases[] = {
        {"stop", CONTROL_STOP},   {"start", CONTROL_START},   {"restart", CONTROL_RESTART},
        {"pause", CONTROL_PAUSE}, {"resume", CONTROL_RESUME}, {"inspect", CONTROL_INSPECT},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char text[128];
        struct control_request req;

        snprintf(text, sizeof(text), "{\"cmd\":\"%s\",\"names\":[\"web\",\"db\"]}", cases[i].name);
        req = parse_ok(text);
        ASSERT_EQ(req.cmd, cases[i].cmd);
        assert_names(&req, 2, "web", "db");
        control_request_done(&req);

        /* The keys in any order. */
        snprintf(text, sizeof(text), "{\"names\":[\"web\"],\"cmd\":\"%s\"}", cases[i].name);
        req = parse_ok(text);
        ASSERT_EQ(req.cmd, cases[i].cmd);
        assert_names(&req, 1, "web");
        control_request_done(&req);
    }
}

/* Names are taken as given: repeats kept (the daemon folds them into one
 * container), and whether they exist is the daemon's to say. */
static void test_names_as_given(void)
{
    struct control_request req;

    req = parse_ok("{\"cmd\":\"stop\",\"names\":[\"a\",\"b\",\"a\",\"\"]}");
    assert_names(&req, 4, "a", "b", "a", "");
    control_request_done(&req);

    req = parse_ok("{\"cmd\":\"inspect\",\"names\":[\"x\",\"x\"]}");
    assert_names(&req, 2, "x", "x");
    control_request_done(&req);

    /* Escapes are decoded: the name is what the client meant. */
    req = parse_ok("{\"cmd\":\"start\",\"names\":[\"w\\u00e9b\",\"a\\/b\",\"\\\"\"]}");
    assert_names(&req, 3,
                 "w\xc3\xa9"
                 "b",
                 "a/b", "\"");
    control_request_done(&req);
}

/* inspect: no names, or an empty array, is every container. */
static void test_inspect_all(void)
{
    struct control_request req = parse_ok("{\"cmd\":\"inspect\",\"names\":[]}");

    ASSERT_EQ(req.cmd, CONTROL_INSPECT);
    ASSERT_EQ(req.n_names, 0);
    control_request_done(&req);
}

/* Keys a command does not take are ignored, "names" included. */
static void test_ignored_keys(void)
{
    static const char *const cases[] = {
        "{\"cmd\":\"ps\",\"names\":[1,{}]}",
        "{\"cmd\":\"stats\",\"names\":\"all\"}",
        "{\"cmd\":\"events\",\"names\":null}",
        "{\"cmd\":\"down\",\"names\":[\"a\"],\"force\":true}",
        "{\"cmd\":\"stop\",\"names\":[\"a\"],\"timeout\":3,\"x\":{\"y\":[null]}}",
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct control_request req = parse_ok(cases[i]);
        ASSERT(req.n_names <= 1);
        control_request_done(&req);
    }
}

static void test_cmd_to_string(void)
{
    for (int i = 0; i < _CONTROL_CMD_MAX; i++) {
        char text[64];
        struct control_request req;

        ASSERT(control_cmd_to_string(i));
        snprintf(text, sizeof(text), "{\"cmd\":\"%s\",\"names\":[\"a\"]}",
                 control_cmd_to_string(i));
        req = parse_ok(text);
        ASSERT_EQ(req.cmd, i);
        control_request_done(&req);
    }
    ASSERT(control_cmd_to_string(_CONTROL_CMD_MAX) == NULL);
    ASSERT(control_cmd_to_string((enum control_cmd) - 1) == NULL);
}

/* ---- errors: the request's shape ---------------------------------------- */

static void test_not_json(void)
{
    parse_fail("not json", "malformed request: '[' or '{' expected near 'not'");
    parse_fail("", "malformed request: '[' or '{' expected near end of file");
    parse_fail(" ", "malformed request: '[' or '{' expected near end of file");
    parse_fail("{", "malformed request: string or '}' expected near end of file");
    parse_fail("{\"cmd\":\"ps\"", "malformed request: '}' expected near end of file");
    parse_fail("{\"cmd\":\"ps\",}", "malformed request: string or '}' expected near '}'");
    parse_fail("{'cmd':'ps'}", "malformed request: string or '}' expected near '''");
    parse_fail("{\"cmd\":\"ps\"} {}", "malformed request: end of file expected near '{'");
    parse_fail("{\"cmd\":\"ps\"}\n{\"cmd\":\"ps\"}",
               "malformed request: end of file expected near '{'");
}

static void test_top_level_not_object(void)
{
    parse_fail("[1,2]", "a request is an object with a \"cmd\" string");
    parse_fail("[\"cmd\",\"ps\"]", "a request is an object with a \"cmd\" string");
    /* Jansson wants an array or an object at the top. */
    parse_fail("\"cmd\"", "malformed request: '[' or '{' expected near '\"cmd\"'");
    parse_fail("null", "malformed request: '[' or '{' expected near 'null'");
    parse_fail("3", "malformed request: '[' or '{' expected near '3'");
    parse_fail("true", "malformed request: '[' or '{' expected near 'true'");
}

static void test_cmd_missing_or_not_string(void)
{
    static const char *const cases[] = {
        "{}",
        "{\"names\":[\"a\"]}",
        "{\"cmd\":3}",
        "{\"cmd\":null}",
        "{\"cmd\":true}",
        "{\"cmd\":[\"ps\"]}",
        "{\"cmd\":{\"ps\":1}}",
        "{\"CMD\":\"ps\"}",
        "{\"cmd \":\"ps\"}",
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        parse_fail(cases[i], "a request is an object with a \"cmd\" string");
}

static void test_unknown_command(void)
{
    _cleanup_free_ char *long_cmd = repeat("{\"cmd\":\"", "x", 200, "\"}");
    _cleanup_free_ char *want = repeat("unknown command '", "x", 64, "'");

    parse_fail("{\"cmd\":\"explode\"}", "unknown command 'explode'");
    parse_fail("{\"cmd\":\"STOP\"}", "unknown command 'STOP'");
    parse_fail("{\"cmd\":\" ps\"}", "unknown command ' ps'");
    parse_fail("{\"cmd\":\"\"}", "unknown command ''");
    /* A prefix of a command is not the command. */
    parse_fail("{\"cmd\":\"p\"}", "unknown command 'p'");
    parse_fail("{\"cmd\":\"pss\"}", "unknown command 'pss'");
    /* Echoed back to at most 64 bytes. */
    parse_fail(long_cmd, want);
}

/* The echo is cut at 64 bytes, but never inside a character: a reply that
 * is not valid UTF-8 cannot be encoded, and the client got no answer. */
static void test_unknown_command_utf8_cut(void)
{
    /* "x" then 40 two-byte characters: byte 64 is inside one. */
    _cleanup_free_ char *two = repeat("{\"cmd\":\"x", "\xc3\xa9", 40, "\"}");
    _cleanup_free_ char *two_want = repeat("unknown command 'x", "\xc3\xa9", 31, "'");
    /* Three-byte characters (€): 64 = 21 * 3 + 1. */
    _cleanup_free_ char *three = repeat("{\"cmd\":\"", "\xe2\x82\xac", 30, "\"}");
    _cleanup_free_ char *three_want = repeat("unknown command '", "\xe2\x82\xac", 21, "'");
    /* Four-byte characters (U+1F600), after two bytes: 64 = 2 + 15 * 4 + 2. */
    _cleanup_free_ char *four = repeat("{\"cmd\":\"ab", "\xf0\x9f\x98\x80", 20, "\"}");
    _cleanup_free_ char *four_want = repeat("unknown command 'ab", "\xf0\x9f\x98\x80", 15, "'");
    /* Exactly 64 bytes of two-byte characters: nothing to drop. */
    _cleanup_free_ char *even = repeat("{\"cmd\":\"", "\xc3\xa9", 40, "\"}");
    _cleanup_free_ char *even_want = repeat("unknown command '", "\xc3\xa9", 32, "'");

    parse_fail(two, two_want);
    parse_fail(three, three_want);
    parse_fail(four, four_want);
    parse_fail(even, even_want);
}

static void test_names_errors(void)
{
    static const char *const actions[] = {"stop", "start", "restart", "pause", "resume"};

    for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
        static const struct {
            const char *names; /* the rest of the object, after "cmd" */
            const char *msg;
        } cases[] = {
            {"", "'names' must be a non-empty array of names"},
            {",\"names\":[]", "'names' must be a non-empty array of names"},
            {",\"names\":\"web\"", "'names' must be a non-empty array of names"},
            {",\"names\":null", "'names' must be a non-empty array of names"},
            {",\"names\":{\"web\":1}", "'names' must be a non-empty array of names"},
            {",\"names\":7", "'names' must be a non-empty array of names"},
            {",\"names\":[1]", "'names' must hold strings"},
            {",\"names\":[null]", "'names' must hold strings"},
            {",\"names\":[true]", "'names' must hold strings"},
            {",\"names\":[{}]", "'names' must hold strings"},
            {",\"names\":[[]]", "'names' must hold strings"},
            {",\"names\":[[\"web\"]]", "'names' must hold strings"},
            {",\"names\":[\"web\",1]", "'names' must hold strings"},
            {",\"names\":[1,\"web\"]", "'names' must hold strings"},
            {",\"names\":[\"web\",\"db\",1.5]", "'names' must hold strings"},
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
            char text[256];

            snprintf(text, sizeof(text), "{\"cmd\":\"%s\"%s}", actions[i], cases[k].names);
            parse_fail(text, cases[k].msg);
        }
    }
}

static void test_inspect_names_errors(void)
{
    parse_fail("{\"cmd\":\"inspect\",\"names\":\"web\"}", "'names' must be an array of names");
    parse_fail("{\"cmd\":\"inspect\",\"names\":null}", "'names' must be an array of names");
    parse_fail("{\"cmd\":\"inspect\",\"names\":{}}", "'names' must be an array of names");
    parse_fail("{\"cmd\":\"inspect\",\"names\":0}", "'names' must be an array of names");
    parse_fail("{\"cmd\":\"inspect\",\"names\":[1]}", "'names' must hold strings");
    parse_fail("{\"cmd\":\"inspect\",\"names\":[\"a\",null]}", "'names' must hold strings");
}

/* max_names bounds the commands that act, and is checked before the
 * elements (as the daemon always did): a flood is refused unread. */
static void test_too_many_names(void)
{
    _cleanup_free_ char *at_max =
        repeat("{\"cmd\":\"stop\",\"names\":[\"a\"", ",\"a\"", MAX_NAMES - 1, "]}");
    _cleanup_free_ char *over =
        repeat("{\"cmd\":\"stop\",\"names\":[\"a\"", ",\"a\"", MAX_NAMES, "]}");
    _cleanup_free_ char *over_ints =
        repeat("{\"cmd\":\"start\",\"names\":[1", ",1", MAX_NAMES, "]}");
    _cleanup_free_ char *inspect =
        repeat("{\"cmd\":\"inspect\",\"names\":[\"a\"", ",\"a\"", MAX_NAMES * 10, "]}");
    struct control_request req;

    req = parse_ok(at_max);
    ASSERT_EQ(req.n_names, MAX_NAMES);
    control_request_done(&req);
    parse_fail(over, "too many names");
    parse_fail(over_ints, "too many names");
    parse_fail_at(__FILE__, __LINE__, at_max, strlen(at_max), MAX_NAMES - 1, "too many names");
    /* inspect only reads: bounded by the request's size alone. */
    req = parse_ok(inspect);
    ASSERT_EQ(req.n_names, MAX_NAMES * 10 + 1);
    control_request_done(&req);
}

/* ---- errors: hostile input -------------------------------------------- */

static void test_size_bound(void)
{
    /* The longest line the daemon reads (its newline makes it
     * CONTROL_MAX_REQUEST bytes), padded with whitespace, is fine... */
    size_t n = CONTROL_MAX_REQUEST - 1;
    _cleanup_free_ char *buf = malloc(CONTROL_MAX_REQUEST + 1);
    _cleanup_free_ char *msg = NULL;
    struct control_request req;

    ASSERT(buf);
    memset(buf, ' ', CONTROL_MAX_REQUEST + 1);
    memcpy(buf + n - 12, "{\"cmd\":\"ps\"}", 12);
    req = parse_ok_n(buf, n);
    ASSERT_EQ(req.cmd, CONTROL_PS);
    control_request_done(&req);

    /* ... one byte more is refused before it is parsed. */
    ASSERT(asprintf(&msg, "request longer than %d bytes", CONTROL_MAX_REQUEST) > 0);
    memcpy(buf + n + 1 - 12, "{\"cmd\":\"ps\"}", 12);
    parse_fail_n(buf, n + 1, msg);
    parse_fail_n(buf, SIZE_MAX, msg);
}

/* Jansson stops at JSON_PARSER_MAX_DEPTH: no recursion without end. */
static void test_deep_nesting(void)
{
    _cleanup_free_ char *arrays = repeat("", "[", 5000, "");
    _cleanup_free_ char *objects = repeat("{\"cmd\":\"ps\",\"x\":", "{\"a\":", 5000, "");
    _cleanup_free_ char *names = repeat("{\"cmd\":\"stop\",\"names\":", "[", 100, "");
    _cleanup_free_ char *names_closed = NULL;
    size_t n = strlen(names);

    parse_fail(arrays, "malformed request: maximum parsing depth reached near '['");
    parse_fail(objects, "malformed request: maximum parsing depth reached near '{'");
    /* Nested well within the limit, but not a name. */
    names_closed = realloc(TAKE_PTR(names), n + 100 + 2);
    ASSERT(names_closed);
    memset(names_closed + n, ']', 99);
    strcpy(names_closed + n + 99, "]}");
    parse_fail(names_closed, "'names' must hold strings");
}

static void test_huge_numbers(void)
{
    _cleanup_free_ char *digits = repeat("{\"cmd\":\"ps\",\"n\":1", "0", 5000, "}");

    parse_fail("{\"cmd\":\"ps\",\"n\":100000000000000000000000000000000000000000}",
               "malformed request: too big integer");
    parse_fail("{\"cmd\":\"ps\",\"n\":-100000000000000000000000000000000000000000}",
               "malformed request: too big negative integer");
    parse_fail("{\"cmd\":\"ps\",\"n\":1e999}",
               "malformed request: real number overflow near '1e999'");
    parse_fail_prefix(digits, strlen(digits), "malformed request: too big integer");
    /* In range: fine, and ignored. */
    json_decref(parse_ok("{\"cmd\":\"ps\",\"n\":9223372036854775807,\"r\":1e-999}").json);
    /* As a name, a number is not a name. */
    parse_fail("{\"cmd\":\"stop\",\"names\":[18446744073709551615e0]}",
               "'names' must hold strings");
}

static void test_nul_bytes(void)
{
    /* NUL is not JSON, inside a string or out; \u0000 is refused too. */
    parse_fail_prefix("{\"cmd\":\"ps\0\"}", 13, "malformed request: ");
    parse_fail_prefix("{\"cmd\":\0\"ps\"}", 13, "malformed request: ");
    parse_fail_n("{\"cmd\":\"ps\"}\0", 13,
                 "malformed request: end of file expected near end of file");
    parse_fail_prefix("\0{\"cmd\":\"ps\"}", 13, "malformed request: ");
    parse_fail("{\"cmd\":\"ps\\u0000\"}", "malformed request: \\u0000 is not allowed without "
                                          "JSON_ALLOW_NUL near '\"ps\\u0000\"'");
    parse_fail(
        "{\"cmd\":\"stop\",\"names\":[\"a\\u0000b\"]}",
        "malformed request: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'");
    /* The length is what counts, not a terminating NUL: a buffer cut
     * short of its closing brace is incomplete. */
    parse_fail_n("{\"cmd\":\"ps\"}", 11, "malformed request: '}' expected near end of file");
}

static void test_invalid_utf8(void)
{
    static const char *const cases[] = {
        "{\"cmd\":\"ps\",\"x\":\"\xff\"}",
        "{\"cmd\":\"p\xc3\"}",                          /* cut short */
        "{\"cmd\":\"\xc0\xaf\"}",                       /* overlong '/' */
        "{\"cmd\":\"\xed\xa0\x80\"}",                   /* a UTF-16 surrogate */
        "{\"cmd\":\"\xf4\x90\x80\x80\"}",               /* above U+10FFFF */
        "{\"cmd\":\"stop\",\"names\":[\"w\xe9\x62\"]}", /* Latin-1 */
        "{\"\xfe\":1,\"cmd\":\"ps\"}",                  /* in a key */
        "\xef\xbb\xbf{\"cmd\":\"ps\"}",                 /* a byte order mark */
        /* Nor is a lone surrogate, or a broken escape. */
        "{\"cmd\":\"\\ud800\"}",
        "{\"cmd\":\"stop\",\"names\":[\"\\udfff\"]}",
        "{\"cmd\":\"\\ud800\\u0041\"}",
        "{\"cmd\":\"\\uZZZZ\"}",
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        parse_fail_prefix(cases[i], strlen(cases[i]), "malformed request: ");
}

/* Jansson's message for a bad escape quotes the next byte alone, which may
 * be the first of a character: the answer must still encode as JSON (it
 * did not, and the client got no answer at all). Found by fuzz-request. */
static void test_jansson_message_not_utf8(void)
{
    parse_fail("{\"cmd\":\"restart\",\"names\":[\"w\\\xf0\x9f\x98\x80"
               "b\"]}",
               "malformed request: invalid escape near '\"w\\?'");
    parse_fail("{\"cmd\":\"ps\",\"x\":\"\\u\xc3\xa9\"}",
               "malformed request: invalid escape near '\"\\u?'");
    /* A whole character is quoted as it is. */
    parse_fail("{\"cmd\":\xc3\xa9}", "malformed request: invalid token near '\xc3\xa9'");
}

/* A key twice would mean whichever a reader picked: refused everywhere. */
static void test_duplicate_keys(void)
{
    parse_fail("{\"cmd\":\"stop\",\"cmd\":\"down\"}",
               "malformed request: duplicate object key near '\"cmd\"'");
    parse_fail("{\"cmd\":\"stop\",\"names\":[\"ghost\"],\"names\":[\"one\"]}",
               "malformed request: duplicate object key near '\"names\"'");
    parse_fail("{\"cmd\":\"ps\",\"x\":{\"a\":1,\"a\":2}}",
               "malformed request: duplicate object key near '\"a\"'");
    /* The same key spelt two ways is the same key. */
    parse_fail("{\"cmd\":\"ps\",\"\\u0063md\":\"down\"}",
               "malformed request: duplicate object key near '\"\\u0063md\"'");
}

/* A message cut to fit the caller's buffer stays a string, and one with
 * no room at all is not written. */
static void test_small_error_buffer(void)
{
    struct control_request req;
    char err[8];

    memset(err, 'z', sizeof(err));
    ASSERT_EQ(control_request_parse("[]", 2, MAX_NAMES, &req, err, sizeof(err)), -EINVAL);
    ASSERT_STREQ(err, "a reque");
    ASSERT_EQ(control_request_parse("[]", 2, MAX_NAMES, &req, NULL, 0), -EINVAL);
    ASSERT_EQ(control_request_parse("{\"cmd\":\"ps\"}", 12, MAX_NAMES, &req, NULL, 0), 0);
    control_request_done(&req);
    /* The message is cleared on success. */
    ASSERT_EQ(control_request_parse("{\"cmd\":\"ps\"}", 12, MAX_NAMES, &req, err, sizeof(err)), 0);
    ASSERT_STREQ(err, "");
    control_request_done(&req);
}

static void test_done_twice(void)
{
    struct control_request req = parse_ok("{\"cmd\":\"stop\",\"names\":[\"a\"]}");
    struct control_request zero = {};

    control_request_done(&req);
    ASSERT(req.json == NULL && req.names == NULL && req.n_names == 0);
    control_request_done(&req);
    control_request_done(&zero);
}

/* ---- the reply's error text ---------------------------------------------- */

static _printf_(3, 4) int format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = control_vformat_error(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_format_error_cut(void)
{
    char buf[8];

    ASSERT_EQ(format(buf, sizeof(buf), "%s", "abc"), 3);
    ASSERT_STREQ(buf, "abc");
    ASSERT_EQ(format(buf, sizeof(buf), "%s", "abcdefghij"), 7);
    ASSERT_STREQ(buf, "abcdefg");
    /* "abcde" + é: exactly 7 bytes, kept whole. */
    ASSERT_EQ(format(buf, sizeof(buf), "abcde%s!", "\xc3\xa9"), 7);
    ASSERT_STREQ(buf, "abcde\xc3\xa9");
    /* "abcdef" + é: the é would be cut in half, so it goes. */
    ASSERT_EQ(format(buf, sizeof(buf), "abcdef%s", "\xc3\xa9"), 6);
    ASSERT_STREQ(buf, "abcdef");
    /* € (3 bytes) with one or two of its bytes left. */
    ASSERT_EQ(format(buf, sizeof(buf), "abcdef%s", "\xe2\x82\xac"), 6);
    ASSERT_STREQ(buf, "abcdef");
    ASSERT_EQ(format(buf, sizeof(buf), "abcde%s", "\xe2\x82\xac"), 5);
    ASSERT_STREQ(buf, "abcde");
    ASSERT_EQ(format(buf, sizeof(buf), "abcd%s", "\xe2\x82\xac"), 7);
    ASSERT_STREQ(buf, "abcd\xe2\x82\xac");
    /* U+1F600 (4 bytes) with 1, 2 or 3 of them left. */
    for (int lead = 4; lead <= 6; lead++) {
        ASSERT_EQ(format(buf, sizeof(buf), "%.*s%s", lead, "abcdef", "\xf0\x9f\x98\x80"), lead);
        ASSERT_EQ(strlen(buf), lead);
    }
    ASSERT_EQ(format(buf, sizeof(buf), "abc%s", "\xf0\x9f\x98\x80"), 7);
    /* All characters, none of them ASCII. */
    ASSERT_EQ(format(buf, sizeof(buf), "%s", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), 6);
    ASSERT_EQ(format(buf, 1, "%s", "abc"), 0);
    ASSERT_STREQ(buf, "");
    ASSERT_EQ(format(NULL, 0, "%s", "abc"), 0);
}

/* What is not UTF-8 becomes '?', byte by byte; what is, stays. */
static void test_format_error_not_utf8(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\xff"
         "b",
         "a?b"},
        {"\xc0\xaf", "??"},           /* overlong */
        {"\xe0\x80\xaf", "???"},      /* overlong, three bytes */
        {"\xed\xa0\x80", "???"},      /* a surrogate */
        {"\xf4\x90\x80\x80", "????"}, /* above U+10FFFF */
        {"\xf8\x88\x80\x80\x80", "?????"},
        {"\xc3(", "?("},    /* cut short, then more */
        {"\xe2\x82", "??"}, /* cut short at the end, but not by the cut */
        {"\x80\xbf", "??"}, /* continuation bytes alone */
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf",
         "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char buf[64];

        ASSERT_EQ(format(buf, sizeof(buf), "%s", cases[i].in), strlen(cases[i].out));
        ASSERT_STREQ(buf, cases[i].out);
        assert_packs(buf);
    }
}

/* The daemon's not_found message: "no such container: '<name>'" in 512
 * bytes, for a name as long as a request can hold. */
static void test_format_error_long_name(void)
{
    _cleanup_free_ char *name = repeat("", "\xc3\xa9", 2000, "");
    _cleanup_free_ char *odd = repeat("x", "\xc3\xa9", 2000, "");
    char msg[512];

    /* 20 bytes of text, then 245 é and half of one: the half goes. */
    ASSERT_EQ(format(msg, sizeof(msg), "no such container: '%s'", name), 510);
    assert_packs(msg);
    /* With "x" first, 245 é fill the 511 bytes exactly. */
    ASSERT_EQ(format(msg, sizeof(msg), "no such container: '%s'", odd), 511);
    assert_packs(msg);
}

/* ---- the parser's promises, over many mutations of valid requests ---- */

static uint32_t rng = 2463534242u;
static uint32_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void test_mutations(void)
{
    static const char *const seeds[] = {
        "{\"cmd\":\"stop\",\"names\":[\"web\",\"db\"]}",
        "{\"cmd\":\"inspect\",\"names\":[]}",
        "{\"cmd\":\"ps\"}",
        "{\"cmd\":\"pause\",\"names\":[\"w\\u00e9b\"]}",
    };
    static const char bytes[] = "{}[]\",:\\u0 1e-9aZ\xc3\xa9\xff\0";

    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[xorshift() % ELEMENTSOF(seeds)];
        size_t len = strlen(seed);
        _cleanup_free_ char *buf = malloc(len + 8);
        struct control_request req;
        char err[512];
        int r;

        ASSERT(buf);
        memcpy(buf, seed, len);
        for (int k = xorshift() % 4; k >= 0; k--) {
            size_t at = xorshift() % (len + 1);
            char c = bytes[xorshift() % (sizeof(bytes) - 1)];
            switch (xorshift() % 3) {
            case 0: /* replace */
                if (at < len)
                    buf[at] = c;
                break;
            case 1: /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
                break;
            default: /* delete */
                if (at < len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
            }
        }
        r = control_request_parse(buf, len, 4, &req, err, sizeof(err));
        if (r < 0) {
            ASSERT_EQ(r, -EINVAL);
            ASSERT(err[0]);
            assert_packs(err);
            continue;
        }
        ASSERT(control_cmd_to_string(req.cmd));
        ASSERT(req.n_names <= len / 2);
        for (size_t i = 0; i < req.n_names; i++)
            ASSERT(req.names[i]);
        control_request_done(&req);
    }
}

struct test {
    const char *name;
    void (*fn)(void);
};

#define T(f)                                                                                       \
    {                                                                                              \
#f, f                                                                                      \
    }
static const struct test tests[] = {
    T(test_commands_without_names),
    T(test_commands_with_names),
    T(test_names_as_given),
    T(test_inspect_all),
    T(test_ignored_keys),
    T(test_cmd_to_string),
    T(test_not_json),
    T(test_top_level_not_object),
    T(test_cmd_missing_or_not_string),
    T(test_unknown_command),
    T(test_unknown_command_utf8_cut),
    T(test_names_errors),
    T(test_inspect_names_errors),
    T(test_too_many_names),
    T(test_size_bound),
    T(test_deep_nesting),
    T(test_huge_numbers),
    T(test_nul_bytes),
    T(test_invalid_utf8),
    T(test_jansson_message_not_utf8),
    T(test_duplicate_keys),
    T(test_small_error_buffer),
    T(test_done_twice),
    T(test_format_error_cut),
    T(test_format_error_not_utf8),
    T(test_format_error_long_name),
    T(test_mutations),
};

int main(void)
{
    printf("1..%zu\n", ELEMENTSOF(tests));
    for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
        tests[i].fn();
        printf("ok %zu - %s\n", i + 1, tests[i].name);
        fflush(stdout);
    }
    return 0;
}
