/* SPDX-License-Identifier: MIT */
/* Unit tests for container logs: line framing, the CRI record format,
 * rotation, --since parsing, and `corral logs` itself (tail, since,
 * timestamps, JSON, rotated files, follow across rotations). No root; each
 * test works in its own mkdtemp directory and removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "supervisor/logfile.h"
#include "supervisor/logread.h"
#include "util.h"
#include "check.h"

#define NSEC 1000000000ULL
/* 2026-11-23T18:21:12Z */
#define T0 (1795458072ULL * NSEC)

/* ---- helpers ---- */

static char *make_dir(void)
{
    char tmpl[] = "/tmp/corral-test-logs-XXXXXX";
    char *d;

    ASSERT(mkdtemp(tmpl));
    d = strdup(tmpl);
    ASSERT(d);
    return d;
}

/* Remove the directory and the files in it; the tests make no subdirs. */
static void remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    ASSERT(d);
    while ((de = readdir(d)))
        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
            ASSERT(unlinkat(dirfd(d), de->d_name, 0) == 0);
    closedir(d);
    ASSERT(rmdir(dir) == 0);
    free(dir);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    ASSERT(d);
    while ((de = readdir(d)))
        n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
    closedir(d);
    return n;
}

static char *path2(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    ASSERT(p);
    return p;
}

static bool exists(const char *dir, const char *name)
{
    _cleanup_free_ char *p = path2(dir, name);
    return access(p, F_OK) == 0;
}

static uint64_t file_size(const char *dir, const char *name)
{
    _cleanup_free_ char *p = path2(dir, name);
    struct stat st;

    ASSERT(stat(p, &st) == 0);
    return (uint64_t) st.st_size;
}

static char *slurp(const char *dir, const char *name)
{
    _cleanup_free_ char *p = path2(dir, name);
    char *s = NULL;

    ASSERT(read_file(p, &s, 64 << 20) >= 0);
    return s;
}

/* Append raw bytes to dir/name: torn records, files of an older corral. */
static void append_raw(const char *dir, const char *name, const char *text)
{
    _cleanup_free_ char *p = path2(dir, name);
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    ASSERT(fd >= 0);
    ASSERT(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
}

static char *repeat(char ch, size_t n)
{
    char *r = malloc(n + 1);
    ASSERT(r);
    memset(r, ch, n);
    r[n] = '\0';
    return r;
}

static struct logfile *open_log(const char *dir, const char *name, uint64_t max_size,
                                unsigned max_files)
{
    struct logfile *lf = NULL;
    ASSERT_EQ(logfile_open(dir, name, max_size, max_files, &lf), 0);
    ASSERT(lf);
    return lf;
}

static void write_rec(struct logfile *lf, uint64_t ts, const char *stream, bool partial,
                      const char *text)
{
    ASSERT_EQ(logfile_write(lf, ts, stream, partial, text, strlen(text)), 0);
}

/* Framing results, recorded by the callback. */
struct frames {
    size_t n;
    bool partial[16];
    size_t len[16];
    char *text[16];
};

static int on_frame(void *userdata, bool partial, const char *text, size_t len)
{
    struct frames *f = userdata;

    ASSERT(f->n < ELEMENTSOF(f->text));
    f->partial[f->n] = partial;
    f->len[f->n] = len;
    f->text[f->n] = strndup(text, len);
    ASSERT(f->text[f->n]);
    f->n++;
    return 0;
}

static void frames_clear(struct frames *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->text[i]);
    *f = (struct frames){};
}

/* What `corral logs` printed, and its exit code. */
struct run {
    int code;
    char *out, *err;
};

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

/* Where run_logs() keeps what it captures: not in a log directory. */
static char *capture_dir;

static struct run run_logs(const char *dir, const char *name, struct logs_opts o)
{
    _cleanup_free_ char *op = path2(capture_dir, "stdout"), *ep = path2(capture_dir, "stderr");
    int ofd, efd, saved_out, saved_err;
    struct run r = {};

    ofd = open(op, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    efd = open(ep, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT(ofd >= 0 && efd >= 0);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    ASSERT(saved_out >= 0 && saved_err >= 0);
    ASSERT(dup2(ofd, STDOUT_FILENO) >= 0 && dup2(efd, STDERR_FILENO) >= 0);

    r.code = logs_print(dir, name, &o);

    fflush(stdout);
    fflush(stderr);
    ASSERT(dup2(saved_out, STDOUT_FILENO) >= 0 && dup2(saved_err, STDERR_FILENO) >= 0);
    close(saved_out);
    close(saved_err);
    close(ofd);
    close(efd);
    ASSERT(read_file(op, &r.out, 64 << 20) >= 0);
    ASSERT(read_file(ep, &r.err, 64 << 20) >= 0);
    ASSERT(unlink(op) == 0 && unlink(ep) == 0);
    return r;
}

static const struct logs_opts all = {.tail = -1};

/* ---- framing ---- */

static void test_linebuf_lines(void)
{
    struct linebuf lb = {};
    struct frames f = {};

    /* Lines across feeds, an empty line, a CR kept as it is. */
    ASSERT_EQ(linebuf_feed(&lb, "hel", 3, on_frame, &f), 0);
    ASSERT_EQ(f.n, 0);
    ASSERT_EQ(linebuf_feed(&lb, "lo\n\nwin\r\nta", 11, on_frame, &f), 0);
    ASSERT_EQ(f.n, 3);
    ASSERT_STREQ(f.text[0], "hello");
    ASSERT_STREQ(f.text[1], "");
    ASSERT_STREQ(f.text[2], "win\r");
    for (size_t i = 0; i < 3; i++)
        ASSERT(!f.partial[i]);
    ASSERT_EQ(lb.len, 2);

    /* The tail without a newline, flushed as a full line, once. */
    ASSERT_EQ(linebuf_flush(&lb, on_frame, &f), 0);
    ASSERT_EQ(f.n, 4);
    ASSERT_STREQ(f.text[3], "ta");
    ASSERT(!f.partial[3]);
    ASSERT_EQ(linebuf_flush(&lb, on_frame, &f), 0);
    ASSERT_EQ(f.n, 4);
    ASSERT_EQ(linebuf_feed(&lb, "", 0, on_frame, &f), 0);
    ASSERT_EQ(f.n, 4);
    frames_clear(&f);
}

static void test_linebuf_long_line(void)
{
    static struct linebuf lb;
    _cleanup_free_ char *line = malloc(40 * 1024 + 1);
    struct frames f = {};
    size_t off = 0, step = 1000;

    ASSERT(line);
    for (size_t i = 0; i < 40 * 1024; i++)
        line[i] = (char) ('a' + i % 26);
    line[40 * 1024] = '\n';
    /* Odd-sized pieces, as a pipe hands them over. */
    while (off < 40 * 1024 + 1) {
        size_t n = off + step > 40 * 1024 + 1 ? 40 * 1024 + 1 - off : step;
        ASSERT_EQ(linebuf_feed(&lb, line + off, n, on_frame, &f), 0);
        off += n;
        step = step * 7 % 9973 + 1;
    }
    ASSERT_EQ(f.n, 3);
    ASSERT(f.partial[0] && f.partial[1] && !f.partial[2]);
    ASSERT_EQ(f.len[0], LOGLINE_MAX);
    ASSERT_EQ(f.len[1], LOGLINE_MAX);
    ASSERT_EQ(f.len[2], 40 * 1024 - 2 * LOGLINE_MAX);
    ASSERT(memcmp(f.text[0], line, LOGLINE_MAX) == 0);
    ASSERT(memcmp(f.text[1], line + LOGLINE_MAX, LOGLINE_MAX) == 0);
    ASSERT(memcmp(f.text[2], line + 2 * LOGLINE_MAX, f.len[2]) == 0);
    ASSERT_EQ(lb.len, 0);
    frames_clear(&f);

    /* In one feed, the same three records. */
    ASSERT_EQ(linebuf_feed(&lb, line, 40 * 1024 + 1, on_frame, &f), 0);
    ASSERT_EQ(f.n, 3);
    ASSERT(f.partial[0] && f.partial[1] && !f.partial[2]);
    frames_clear(&f);
}

static void test_linebuf_exact_size(void)
{
    static struct linebuf lb;
    _cleanup_free_ char *line = repeat('x', LOGLINE_MAX);
    struct frames f = {};

    /* Exactly LOGLINE_MAX bytes: a full buffer waits for the next byte, so
     * the line stays one F record. */
    ASSERT_EQ(linebuf_feed(&lb, line, LOGLINE_MAX, on_frame, &f), 0);
    ASSERT_EQ(f.n, 0);
    ASSERT_EQ(linebuf_feed(&lb, "\n", 1, on_frame, &f), 0);
    ASSERT_EQ(f.n, 1);
    ASSERT(!f.partial[0]);
    ASSERT_EQ(f.len[0], LOGLINE_MAX);
    frames_clear(&f);

    /* One more byte makes it P + F. */
    ASSERT_EQ(linebuf_feed(&lb, line, LOGLINE_MAX, on_frame, &f), 0);
    ASSERT_EQ(linebuf_feed(&lb, "y\n", 2, on_frame, &f), 0);
    ASSERT_EQ(f.n, 2);
    ASSERT(f.partial[0] && !f.partial[1]);
    ASSERT_EQ(f.len[0], LOGLINE_MAX);
    ASSERT_STREQ(f.text[1], "y");
    frames_clear(&f);

    /* A full buffer at exit is flushed as a full line. */
    ASSERT_EQ(linebuf_feed(&lb, line, LOGLINE_MAX, on_frame, &f), 0);
    ASSERT_EQ(linebuf_flush(&lb, on_frame, &f), 0);
    ASSERT_EQ(f.n, 1);
    ASSERT(!f.partial[0]);
    ASSERT_EQ(f.len[0], LOGLINE_MAX);
    frames_clear(&f);
}

static int fail_second(void *userdata, bool partial, const char *text, size_t len)
{
    return ++*(int *) userdata == 2 ? -ENOSPC : 0;
}

static void test_linebuf_callback_error(void)
{
    struct linebuf lb = {};
    int calls = 0;

    ASSERT_EQ(linebuf_feed(&lb, "a\nb\nc\n", 6, fail_second, &calls), -ENOSPC);
    ASSERT_EQ(calls, 2);
    ASSERT_EQ(lb.len, 0);
}

/* ---- the record format ---- */

static void test_record_format(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    _cleanup_free_ char *expect_path = path2(dir, "web.log");
    _cleanup_free_ char *text = NULL;
    struct log_record rec;
    char *line, *save = NULL;
    size_t i = 0;

    ASSERT_STREQ(logfile_path(lf), expect_path);
    write_rec(lf, T0 + 123456789, "stdout", false, "the text");
    write_rec(lf, T0 + 123460000, "stderr", true, "first part");
    write_rec(lf, T0 + 123460001, "stderr", false, "");
    ASSERT_EQ(logfile_write(lf, T0 + 5, "stdout", false, "a\0b", 3), 0);
    logfile_free(lf);

    text = slurp(dir, "web.log");
    ASSERT(memcmp(text,
                  "2026-11-23T18:21:12.123456789Z stdout F the text\n"
                  "2026-11-23T18:21:12.123460000Z stderr P first part\n"
                  "2026-11-23T18:21:12.123460001Z stderr F \n"
                  "2026-11-23T18:21:12.000000005Z stdout F a\0b\n",
                  sizeof("2026-11-23T18:21:12.123456789Z stdout F the text\n"
                         "2026-11-23T18:21:12.123460000Z stderr P first part\n"
                         "2026-11-23T18:21:12.123460001Z stderr F \n"
                         "2026-11-23T18:21:12.000000005Z stdout F a\0b\n") -
                      1) == 0);

    /* And back. */
    static const struct {
        uint64_t ts;
        bool err, partial;
        const char *text;
    } expect[] = {
        {T0 + 123456789, false, false, "the text"},
        {T0 + 123460000, true, true, "first part"},
        {T0 + 123460001, true, false, ""},
    };
    for (line = strtok_r(text, "\n", &save); line && i < ELEMENTSOF(expect);
         line = strtok_r(NULL, "\n", &save), i++) {
        ASSERT_EQ(logfile_parse_record(line, strlen(line), &rec), 0);
        ASSERT_EQ(rec.ts_ns, expect[i].ts);
        ASSERT_EQ(rec.is_stderr, expect[i].err);
        ASSERT_EQ(rec.partial, expect[i].partial);
        ASSERT_EQ(rec.len, strlen(expect[i].text));
        ASSERT(memcmp(rec.text, expect[i].text, rec.len) == 0);
    }
    ASSERT_EQ(i, 3);

    /* 0 is now. */
    lf = open_log(dir, "now", 1 << 20, 5);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t before = (uint64_t) ts.tv_sec * NSEC + (uint64_t) ts.tv_nsec;
    write_rec(lf, 0, "stdout", false, "x");
    logfile_free(lf);
    free(text);
    text = slurp(dir, "now.log");
    ASSERT_EQ(logfile_parse_record(text, strlen(text) - 1, &rec), 0);
    ASSERT(rec.ts_ns >= before && rec.ts_ns < before + 60 * NSEC);

    /* Nothing half-written for what cannot be a record. */
    lf = open_log(dir, "bad", 1 << 20, 5);
    ASSERT_EQ(logfile_write(lf, T0, "stdin", false, "x", 1), -EINVAL);
    ASSERT_EQ(logfile_write(lf, T0, "stdout", false, "two\nlines", 9), -EINVAL);
    logfile_free(lf);
    ASSERT_EQ(file_size(dir, "bad.log"), 0);
    remove_dir(dir);
}

static void test_parse_timestamp(void)
{
    static const struct {
        const char *s;
        uint64_t ns;
    } good[] = {
        {"2026-11-23T18:21:12Z", T0},
        {"2026-11-23T18:21:12.123456789Z", T0 + 123456789},
        {"2026-11-23T18:21:12.5Z", T0 + 500000000},
        {"2026-11-23t18:21:12z", T0},
        {"2026-11-23T18:21:12.1234567891234Z", T0 + 123456789}, /* cut, not rounded */
        {"2026-11-23T19:21:12+01:00", T0},
        {"2026-11-23T13:51:12.25-04:30", T0 + 250000000},
        {"2024-02-29T12:00:00Z", 1709208000ULL * NSEC},
        {"2000-03-01T00:00:00Z", 951868800ULL * NSEC},
        {"1970-01-01T00:00:00Z", 0},
    };
    static const char *const bad[] = {
        "",
        "2026-11-23",
        "2026-11-23T18:21:12",
        "2026-11-23 18:21:12Z",
        "2026-11-23T18:21:12.Z",
        "2026-11-23T18:21:12ZZ",
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T18:60:00Z",
        "2026-11-23T18:21:12+1:00",
        "2026-11-23T18:21:12+01:60",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:30:00+01:00",
        "26-11-23T18:21:12Z",
        "2026-11-23T18:21:1xZ",
    };
    char buf[LOG_TIMESTAMP_MAX];
    uint64_t ns;

    for (size_t i = 0; i < ELEMENTSOF(good); i++) {
        ns = 1;
        if (logfile_parse_timestamp(good[i].s, strlen(good[i].s), &ns) != 0 || ns != good[i].ns) {
            fprintf(stderr, "'%s': got %" PRIu64 ", expected %" PRIu64 "\n", good[i].s, ns,
                    good[i].ns);
            ASSERT(false);
        }
    }
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        if (logfile_parse_timestamp(bad[i], strlen(bad[i]), &ns) != -EINVAL) {
            fprintf(stderr, "'%s' parsed\n", bad[i]);
            ASSERT(false);
        }
    }

    /* Fixed width, and the round trip is exact. */
    static const uint64_t values[] = {0, 1, T0, T0 + 999999999, 4102444800ULL * NSEC - 1};
    for (size_t i = 0; i < ELEMENTSOF(values); i++) {
        logfile_format_timestamp(values[i], buf);
        ASSERT_EQ(strlen(buf), LOG_TIMESTAMP_MAX - 1);
        ASSERT_EQ(logfile_parse_timestamp(buf, strlen(buf), &ns), 0);
        ASSERT_EQ(ns, values[i]);
    }
    logfile_format_timestamp(0, buf);
    ASSERT_STREQ(buf, "1970-01-01T00:00:00.000000000Z");
}

static void test_parse_record(void)
{
    static const char *const bad[] = {
        "",
        "hello world",
        "2026-11-23T18:21:12Z",
        "2026-11-23T18:21:12Z stdout",
        "2026-11-23T18:21:12Z stdout ",
        "2026-11-23T18:21:12Z stdin F x",
        "2026-11-23T18:21:12Z stdout X x",
        "2026-11-23T18:21:12Z stdout FF x",
        "2026-11-23T18:21:12Z  stdout F x",
        "2026-11-23T18:21:12 stdout F x",
    };
    struct log_record rec;
    const char *s;

    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        if (logfile_parse_record(bad[i], strlen(bad[i]), &rec) != -EINVAL) {
            fprintf(stderr, "'%s' parsed\n", bad[i]);
            ASSERT(false);
        }
    }

    /* What others write: RFC 3339 with fewer digits, more tags, no space
     * before an empty text; the text keeps its spaces. */
    s = "2026-11-23T18:21:12.5Z stderr P:x  two spaces ";
    ASSERT_EQ(logfile_parse_record(s, strlen(s), &rec), 0);
    ASSERT_EQ(rec.ts_ns, T0 + 500000000);
    ASSERT(rec.is_stderr && rec.partial);
    ASSERT_EQ(rec.len, strlen(" two spaces "));
    ASSERT(memcmp(rec.text, " two spaces ", rec.len) == 0);
    s = "2026-11-23T18:21:12Z stdout F";
    ASSERT_EQ(logfile_parse_record(s, strlen(s), &rec), 0);
    ASSERT(!rec.is_stderr && !rec.partial);
    ASSERT_EQ(rec.len, 0);
}

static void test_rotated_index(void)
{
    unsigned k = 0;

    ASSERT(logfile_rotated_index("web", "web.log.1", &k) && k == 1);
    ASSERT(logfile_rotated_index("web", "web.log.42", &k) && k == 42);
    ASSERT(!logfile_rotated_index("web", "web.log", &k));
    ASSERT(!logfile_rotated_index("web", "web.log.", &k));
    ASSERT(!logfile_rotated_index("web", "web.log.0", &k));
    ASSERT(!logfile_rotated_index("web", "web.log.01", &k));
    ASSERT(!logfile_rotated_index("web", "web.log.+1", &k));
    ASSERT(!logfile_rotated_index("web", "web.log.1x", &k));
    ASSERT(!logfile_rotated_index("web", "web.log.99999999999", &k));
    ASSERT(!logfile_rotated_index("web", "webx.log.1", &k));
    ASSERT(!logfile_rotated_index("we", "web.log.1", &k));
}

/* ---- rotation ---- */

/* The records of dir/name, in file order: their texts, joined by '|'. */
static void read_seqs(const char *dir, const char *name, long *seq, size_t *n, size_t max)
{
    _cleanup_free_ char *text = slurp(dir, name);
    char *save = NULL;

    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        struct log_record rec;
        ASSERT_EQ(logfile_parse_record(l, strlen(l), &rec), 0);
        ASSERT(*n < max);
        seq[(*n)++] = strtol(rec.text + 7, NULL, 10); /* "record NNNN ..." */
    }
}

static void test_rotation(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 4096, 3);
    static long seq[1000];
    size_t n = 0;
    mode_t old = umask(022);
    struct stat st;

    for (int i = 0; i < 1000; i++) {
        char text[64];
        snprintf(text, sizeof(text), "record %04d %s", i, i % 2 ? "odd" : "even and longer");
        write_rec(lf, T0 + (uint64_t) i, i % 3 ? "stdout" : "stderr", false, text);
    }
    logfile_free(lf);
    umask(old);

    /* Exactly the current file and max_files - 1 rotated ones. */
    ASSERT_EQ(count_files(dir), 3);
    ASSERT(exists(dir, "web.log") && exists(dir, "web.log.1") && exists(dir, "web.log.2"));
    ASSERT(file_size(dir, "web.log") <= 4096);
    ASSERT(file_size(dir, "web.log.1") <= 4096 && file_size(dir, "web.log.1") > 4096 - 100);
    ASSERT(file_size(dir, "web.log.2") <= 4096 && file_size(dir, "web.log.2") > 4096 - 100);
    _cleanup_free_ char *p = path2(dir, "web.log");
    ASSERT(stat(p, &st) == 0);
    ASSERT_EQ(st.st_mode & 07777, 0640);

    /* Oldest first, no gap, no reordering, ending with the last. */
    read_seqs(dir, "web.log.2", seq, &n, ELEMENTSOF(seq));
    read_seqs(dir, "web.log.1", seq, &n, ELEMENTSOF(seq));
    read_seqs(dir, "web.log", seq, &n, ELEMENTSOF(seq));
    ASSERT(n > 50);
    for (size_t i = 1; i < n; i++)
        ASSERT_EQ(seq[i], seq[i - 1] + 1);
    ASSERT_EQ(seq[n - 1], 999);
    remove_dir(dir);
}

static void test_rotation_big_record(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "big", 4096, 3);
    _cleanup_free_ char *big = repeat('b', 10000);

    write_rec(lf, T0, "stdout", false, "small");
    /* Larger than max_size: whole, in a fresh file of its own. */
    write_rec(lf, T0 + 1, "stdout", false, big);
    ASSERT_EQ(file_size(dir, "big.log"), 10000 + 41);
    ASSERT_EQ(file_size(dir, "big.log.1"), 5 + 41);
    write_rec(lf, T0 + 2, "stdout", false, "after");
    ASSERT_EQ(file_size(dir, "big.log"), 5 + 41);
    ASSERT_EQ(file_size(dir, "big.log.1"), 10000 + 41);
    ASSERT_EQ(file_size(dir, "big.log.2"), 5 + 41);
    logfile_free(lf);

    /* An empty file takes it too, without rotating. */
    lf = open_log(dir, "empty", 4096, 3);
    write_rec(lf, T0, "stdout", false, big);
    logfile_free(lf);
    ASSERT(!exists(dir, "empty.log.1"));
    ASSERT_EQ(file_size(dir, "empty.log"), 10000 + 41);
    remove_dir(dir);
}

static void test_rotation_one_file(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "one", 4096, 1);
    _cleanup_free_ char *text = NULL;

    for (int i = 0; i < 500; i++) {
        char t[32];
        snprintf(t, sizeof(t), "line %d", i);
        write_rec(lf, T0, "stdout", false, t);
    }
    logfile_free(lf);
    /* Truncated in place: no history, never over the limit. */
    ASSERT_EQ(count_files(dir), 1);
    ASSERT(file_size(dir, "one.log") <= 4096);
    text = slurp(dir, "one.log");
    ASSERT(strstr(text, "stdout F line 499\n"));
    ASSERT(strncmp(text, "2026-11-23T18:21:12.000000000Z stdout F line ", 45) == 0);
    remove_dir(dir);
}

static void test_rotation_removes_stale(void)
{
    char *dir = make_dir();
    struct logfile *lf;

    /* Left from max_files = 8, and names that are not ours. */
    static const char *const stale[] = {"web.log.3", "web.log.5", "web.log.7"};
    static const char *const other[] = {"web.log.01", "web.log.x", "other.log.4", "web.log.old"};
    append_raw(dir, "web.log", "");
    append_raw(dir, "web.log.1", "one\n");
    append_raw(dir, "web.log.2", "two\n");
    for (size_t i = 0; i < ELEMENTSOF(stale); i++)
        append_raw(dir, stale[i], "stale\n");
    for (size_t i = 0; i < ELEMENTSOF(other); i++)
        append_raw(dir, other[i], "other\n");

    lf = open_log(dir, "web", 4096, 3);
    _cleanup_free_ char *big = repeat('x', 3000);
    write_rec(lf, T0, "stdout", false, big);
    for (size_t i = 0; i < ELEMENTSOF(stale); i++)
        ASSERT(exists(dir, stale[i])); /* only at rotation */
    write_rec(lf, T0, "stdout", false, big);
    logfile_free(lf);

    for (size_t i = 0; i < ELEMENTSOF(stale); i++)
        ASSERT(!exists(dir, stale[i]));
    for (size_t i = 0; i < ELEMENTSOF(other); i++)
        ASSERT(exists(dir, other[i]));
    _cleanup_free_ char *two = slurp(dir, "web.log.2");
    ASSERT_STREQ(two, "one\n");
    ASSERT_EQ(count_files(dir), 3 + ELEMENTSOF(other));

    /* max_files 1 clears every rotated file. */
    lf = open_log(dir, "web", 4096, 1);
    write_rec(lf, T0, "stdout", false, big);
    logfile_free(lf);
    ASSERT(!exists(dir, "web.log.1") && !exists(dir, "web.log.2"));
    ASSERT_EQ(count_files(dir), 1 + ELEMENTSOF(other));
    remove_dir(dir);
}

static void test_reopen_continues_size(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 4096, 3);
    _cleanup_free_ char *text = repeat('x', 1500);

    write_rec(lf, T0, "stdout", false, text);
    write_rec(lf, T0, "stdout", false, text);
    logfile_free(lf);
    ASSERT_EQ(file_size(dir, "web.log"), 2 * 1541);

    /* A new supervisor: the size is the file's, not zero. */
    lf = open_log(dir, "web", 4096, 3);
    write_rec(lf, T0, "stdout", false, text);
    logfile_free(lf);
    ASSERT_EQ(file_size(dir, "web.log"), 1541);
    ASSERT_EQ(file_size(dir, "web.log.1"), 2 * 1541);
    remove_dir(dir);
}

static void test_open_errors(void)
{
    char *dir = make_dir();
    _cleanup_free_ char *missing = path2(dir, "missing");
    struct logfile *lf = NULL;

    ASSERT_EQ(logfile_open(dir, "", 4096, 3, &lf), -EINVAL);
    ASSERT_EQ(logfile_open(dir, "a/b", 4096, 3, &lf), -EINVAL);
    ASSERT_EQ(logfile_open(dir, "..", 4096, 3, &lf), -EINVAL);
    ASSERT_EQ(logfile_open(dir, "web", 0, 3, &lf), -EINVAL);
    ASSERT_EQ(logfile_open(dir, "web", 4096, 0, &lf), -EINVAL);
    ASSERT_EQ(logfile_open(missing, "web", 4096, 3, &lf), -ENOENT);
    ASSERT(!lf);
    ASSERT_EQ(count_files(dir), 0);
    logfile_free(NULL);
    remove_dir(dir);
}

/* ---- --since ---- */

static void test_parse_since(void)
{
    const uint64_t now = T0 + 250000000;
    static const struct {
        const char *s;
        uint64_t ns;
    } good[] = {
        {"2026-11-23T18:00:00Z", 1795456800ULL * NSEC},
        {"2026-11-23T18:00:00.5Z", 1795456800ULL * NSEC + 500000000},
        {"2026-11-23T18:00:00+01:00", 1795453200ULL * NSEC},
        {"2026-11-23", 1795392000ULL * NSEC},
        {"90s", T0 + 250000000 - 90 * NSEC},
        {"10m", T0 + 250000000 - 600 * NSEC},
        {"1h30m", T0 + 250000000 - 5400 * NSEC},
        {"1m30s", T0 + 250000000 - 90 * NSEC},
        {"250ms", T0},
        {"1.5h", T0 + 250000000 - 5400 * NSEC},
        {"0s", T0 + 250000000},
        {"42", T0 + 250000000 - 42 * NSEC},
    };
    static const char *const bad[] = {
        "",       "yesterday", "-10m",      "10x",        "1h30",           "h",
        "1h 30m", "10m ago",   "2026-11",   "2026-13-01", "2026-11-23T18Z", "2026-11-23T18:00:00",
        "1e3s",   "100000d",   "60000000h",
    };
    uint64_t ns;

    for (size_t i = 0; i < ELEMENTSOF(good); i++) {
        ns = 1;
        if (logs_parse_since(good[i].s, now, &ns) != 0 || ns != good[i].ns) {
            fprintf(stderr, "'%s': got %" PRIu64 ", expected %" PRIu64 "\n", good[i].s, ns,
                    good[i].ns);
            ASSERT(false);
        }
    }
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        ns = 7;
        if (logs_parse_since(bad[i], now, &ns) != -EINVAL || ns != 7) {
            fprintf(stderr, "'%s' parsed\n", bad[i]);
            ASSERT(false);
        }
    }
    /* Before the epoch. */
    ASSERT_EQ(logs_parse_since("10m", 5 * NSEC, &ns), -EINVAL);
}

/* ---- corral logs ---- */

/* web.log.2 .. web.log, each record "NNN" (stdout, stderr for multiples of
 * 5) at T0 + NNN seconds. Returns how many records survive. */
static void write_numbered(const char *dir, int n, uint64_t max_size)
{
    struct logfile *lf = open_log(dir, "web", max_size, 3);

    for (int i = 0; i < n; i++) {
        char t[32];
        snprintf(t, sizeof(t), "%03d", i);
        write_rec(lf, T0 + (uint64_t) i * NSEC, i % 5 ? "stdout" : "stderr", false, t);
    }
    logfile_free(lf);
}

static void test_print_plain(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    struct run r;

    write_rec(lf, T0, "stdout", false, "out one");
    write_rec(lf, T0 + 1, "stderr", true, "err ");
    write_rec(lf, T0 + 2, "stdout", true, "out ");
    write_rec(lf, T0 + 3, "stderr", false, "two");
    write_rec(lf, T0 + 4, "stdout", true, "two ");
    write_rec(lf, T0 + 5, "stdout", false, "joined");
    write_rec(lf, T0 + 6, "stdout", false, "");
    write_rec(lf, T0 + 7, "stdout", false, "cr\r");
    logfile_free(lf);

    r = run_logs(dir, "web", all);
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "out one\nout two joined\n\ncr\r\n");
    ASSERT_STREQ(r.err, "err two\n");
    run_free(&r);

    /* -t: each line with its final record's time. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = -1, .timestamps = true});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "2026-11-23T18:21:12.000000000Z out one\n"
                        "2026-11-23T18:21:12.000000005Z out two joined\n"
                        "2026-11-23T18:21:12.000000006Z \n"
                        "2026-11-23T18:21:12.000000007Z cr\r\n");
    ASSERT_STREQ(r.err, "2026-11-23T18:21:12.000000003Z err two\n");
    run_free(&r);
    remove_dir(dir);
}

/* Each line a number: in order within the stream, marked in seen. */
static void check_numbers(char *text, bool err, bool *seen)
{
    char *save = NULL;
    long prev = -1;

    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long v = atol(l);
        ASSERT(v >= 0 && v < 600 && v > prev && (v % 5 == 0) == err && !seen[v]);
        seen[v] = true;
        prev = v;
    }
}

static void test_print_rotated(void)
{
    char *dir = make_dir();
    bool seen[600] = {};
    size_t first = 0;
    struct run r;

    write_numbered(dir, 600, 4096);
    ASSERT_EQ(count_files(dir), 3);

    /* Every surviving record, oldest file first, in order, each once. */
    r = run_logs(dir, "web", all);
    ASSERT_EQ(r.code, 0);
    check_numbers(r.out, false, seen);
    check_numbers(r.err, true, seen);
    while (!seen[first])
        first++;
    ASSERT(first > 100 && first < 500);
    for (size_t i = first; i < 600; i++)
        ASSERT(seen[i]);
    run_free(&r);
    remove_dir(dir);
}

static void test_print_tail(void)
{
    char *dir = make_dir();
    struct run r;

    write_numbered(dir, 600, 4096);

    r = run_logs(dir, "web", (struct logs_opts){.tail = 3});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "597\n598\n599\n");
    ASSERT_STREQ(r.err, "");
    run_free(&r);

    /* Across the streams: 594..599 is six lines, one of them stderr. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = 6});
    ASSERT_STREQ(r.out, "594\n596\n597\n598\n599\n");
    ASSERT_STREQ(r.err, "595\n");
    run_free(&r);

    /* -t with the tail. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = 1, .timestamps = true});
    ASSERT_STREQ(r.out, "2026-11-23T18:31:11.000000000Z 599\n");
    run_free(&r);

    /* Back through every file: the same as printing all. */
    struct run whole = run_logs(dir, "web", all);
    r = run_logs(dir, "web", (struct logs_opts){.tail = 100000});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, whole.out);
    ASSERT_STREQ(r.err, whole.err);
    run_free(&r);

    /* A tail that reaches into web.log.1 (about 90 records a file). */
    r = run_logs(dir, "web", (struct logs_opts){.tail = 150});
    ASSERT_EQ(r.code, 0);
    ASSERT(strncmp(r.out, "451\n452\n453\n454\n456\n", 20) == 0);
    ASSERT(strncmp(r.err, "450\n455\n", 8) == 0);
    ASSERT(strstr(whole.out, r.out));
    run_free(&r);
    run_free(&whole);

    r = run_logs(dir, "web", (struct logs_opts){.tail = 0});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "");
    ASSERT_STREQ(r.err, "");
    run_free(&r);
    remove_dir(dir);
}

/* The tail is in the newest file: the older ones are not read. A directory
 * in place of web.log.2 fails any read of it. */
static void test_print_tail_reads_newest_only(void)
{
    char *dir = make_dir();
    _cleanup_free_ char *old = path2(dir, "web.log.2");
    struct run r;

    write_numbered(dir, 600, 4096);
    ASSERT(unlink(old) == 0 && mkdir(old, 0700) == 0);

    r = run_logs(dir, "web", (struct logs_opts){.tail = 5});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "596\n597\n598\n599\n");
    ASSERT_STREQ(r.err, "595\n");
    run_free(&r);

    /* Reading everything does read it, and says so. */
    r = run_logs(dir, "web", all);
    ASSERT_EQ(r.code, 1);
    ASSERT(strstr(r.err, "corral: Failed to read the log of 'web' in "));
    ASSERT(strstr(r.err, "Is a directory"));
    run_free(&r);
    ASSERT(rmdir(old) == 0);
    remove_dir(dir);
}

static void test_print_tail_partial_lines(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    _cleanup_free_ char *noise = repeat('n', 100);
    struct run r;

    /* A stdout line whose P records come long before its end, with stderr
     * lines in between: the tail of one line still prints it whole. */
    write_rec(lf, T0, "stdout", false, "before");
    write_rec(lf, T0 + 1, "stdout", true, "AAA");
    for (int i = 0; i < 20; i++)
        write_rec(lf, T0 + 2, "stderr", false, noise);
    write_rec(lf, T0 + 3, "stdout", true, "BBB");
    write_rec(lf, T0 + 4, "stderr", false, "last err");
    write_rec(lf, T0 + 5, "stdout", false, "CCC");
    logfile_free(lf);

    r = run_logs(dir, "web", (struct logs_opts){.tail = 1});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "AAABBBCCC\n");
    ASSERT_STREQ(r.err, "");
    run_free(&r);

    r = run_logs(dir, "web", (struct logs_opts){.tail = 2});
    ASSERT_STREQ(r.out, "AAABBBCCC\n");
    ASSERT_STREQ(r.err, "last err\n");
    run_free(&r);

    /* A line not finished when the log ends is printed as it is, and
     * counts as the last line. */
    lf = open_log(dir, "web", 1 << 20, 5);
    write_rec(lf, T0 + 6, "stderr", true, "unfinished ");
    write_rec(lf, T0 + 7, "stderr", true, "prompt> ");
    logfile_free(lf);
    r = run_logs(dir, "web", (struct logs_opts){.tail = 1});
    ASSERT_STREQ(r.out, "");
    ASSERT_STREQ(r.err, "unfinished prompt> \n");
    run_free(&r);
    r = run_logs(dir, "web", all);
    _cleanup_free_ char *want = malloc(21 * 101 + 64);
    ASSERT(want);
    want[0] = 0;
    for (int i = 0; i < 20; i++)
        strcat(strcat(want, noise), "\n");
    strcat(want, "last err\nunfinished prompt> \n");
    ASSERT_STREQ(r.err, want);
    ASSERT_STREQ(r.out, "before\nAAABBBCCC\n");
    run_free(&r);
    remove_dir(dir);
}

static void test_print_since(void)
{
    char *dir = make_dir();
    struct run r;

    write_numbered(dir, 600, 4096);

    /* At or after: 590 is in, 589 is out. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = -1, .since_ns = T0 + 590 * NSEC});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "591\n592\n593\n594\n596\n597\n598\n599\n");
    ASSERT_STREQ(r.err, "590\n595\n");
    run_free(&r);

    /* --tail after --since. */
    r = run_logs(dir, "web",
                 (struct logs_opts){.tail = 3, .since_ns = T0 + 590 * NSEC, .timestamps = true});
    ASSERT_STREQ(r.out, "2026-11-23T18:31:09.000000000Z 597\n"
                        "2026-11-23T18:31:10.000000000Z 598\n"
                        "2026-11-23T18:31:11.000000000Z 599\n");
    ASSERT_STREQ(r.err, "");
    run_free(&r);
    r = run_logs(dir, "web", (struct logs_opts){.tail = 50, .since_ns = T0 + 597 * NSEC});
    ASSERT_STREQ(r.out, "597\n598\n599\n");
    run_free(&r);

    /* Into the rotated files, and past everything. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = -1, .since_ns = T0 + 450 * NSEC});
    ASSERT(strncmp(r.out, "451\n", 4) == 0);
    ASSERT(strncmp(r.err, "450\n455\n", 8) == 0);
    run_free(&r);
    r = run_logs(dir, "web", (struct logs_opts){.tail = -1, .since_ns = T0 + 600 * NSEC});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "");
    ASSERT_STREQ(r.err, "");
    run_free(&r);
    remove_dir(dir);
}

static void test_print_json(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    struct run r;

    write_rec(lf, T0 + 1, "stdout", false, "say \"hi\"\t\\");
    write_rec(lf, T0 + 2, "stderr", true, "caf\xc3\xa9 ");
    write_rec(lf, T0 + 3, "stderr", false, "bad \xff\xc3 end");
    ASSERT_EQ(logfile_write(lf, T0 + 4, "stdout", false, "nul\0byte", 8), 0);
    logfile_free(lf);
    append_raw(dir, "web.log", "not a record\n");

    /* Every object on stdout, in log order; invalid UTF-8 as U+FFFD. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = -1, .json = true});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out,
                 "{\"time\":\"2026-11-23T18:21:12.000000001Z\",\"stream\":\"stdout\",\"line\":"
                 "\"say \\\"hi\\\"\\t\\\\\"}\n"
                 "{\"time\":\"2026-11-23T18:21:12.000000003Z\",\"stream\":\"stderr\",\"line\":"
                 "\"caf\xc3\xa9 bad \xef\xbf\xbd\xef\xbf\xbd end\"}\n"
                 "{\"time\":\"2026-11-23T18:21:12.000000004Z\",\"stream\":\"stdout\",\"line\":"
                 "\"nul\\u0000byte\"}\n"
                 "{\"time\":null,\"stream\":\"stdout\",\"line\":\"not a record\"}\n");
    ASSERT_STREQ(r.err, "");

    /* Each line parses back. */
    char *save = NULL;
    for (char *l = strtok_r(r.out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *o = json_loads(l, JSON_ALLOW_NUL, &e);
        ASSERT(o && json_is_string(json_object_get(o, "line")));
        json_decref(o);
    }
    run_free(&r);

    r = run_logs(dir, "web", (struct logs_opts){.tail = 1, .json = true});
    ASSERT_STREQ(r.out, "{\"time\":null,\"stream\":\"stdout\",\"line\":\"not a record\"}\n");
    run_free(&r);
    remove_dir(dir);
}

static void test_print_malformed(void)
{
    char *dir = make_dir();
    struct logfile *lf;
    struct run r;

    /* A file from before the format, then records appended to it. */
    append_raw(dir, "web.log", "plain old line\n\n2026-11-23T18:21:12Z stdin F odd\n");
    lf = open_log(dir, "web", 1 << 20, 5);
    write_rec(lf, T0, "stderr", false, "new");
    logfile_free(lf);

    r = run_logs(dir, "web", (struct logs_opts){.tail = -1, .timestamps = true});
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "plain old line\n\n2026-11-23T18:21:12Z stdin F odd\n");
    ASSERT_STREQ(r.err, "2026-11-23T18:21:12.000000000Z new\n");
    run_free(&r);

    /* --since keeps what has no time to compare. */
    r = run_logs(dir, "web", (struct logs_opts){.tail = 2, .since_ns = T0});
    ASSERT_STREQ(r.out, "2026-11-23T18:21:12Z stdin F odd\n");
    ASSERT_STREQ(r.err, "new\n");
    run_free(&r);
    remove_dir(dir);
}

static void test_print_incomplete(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    struct run r;

    write_rec(lf, T0, "stdout", false, "done");
    logfile_free(lf);
    /* The writer is still on this one: it is not shown yet. */
    append_raw(dir, "web.log", "2026-11-23T18:21:13.000000000Z stdout F half of it");
    r = run_logs(dir, "web", all);
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "done\n");
    run_free(&r);
    r = run_logs(dir, "web", (struct logs_opts){.tail = 1});
    ASSERT_STREQ(r.out, "done\n");
    run_free(&r);

    /* Rotated away, a fragment is as complete as it will get: shown. */
    _cleanup_free_ char *from = path2(dir, "web.log"), *to = path2(dir, "web.log.1");
    ASSERT(rename(from, to) == 0);
    append_raw(dir, "web.log", "2026-11-23T18:21:14.000000000Z stdout F new\n");
    r = run_logs(dir, "web", all);
    ASSERT_STREQ(r.out, "done\nhalf of it\nnew\n");
    run_free(&r);
    r = run_logs(dir, "web", (struct logs_opts){.tail = 2});
    ASSERT_STREQ(r.out, "half of it\nnew\n");
    run_free(&r);
    remove_dir(dir);
}

static void test_print_no_log(void)
{
    char *dir = make_dir();
    _cleanup_free_ char *missing = path2(dir, "missing"), *want = NULL;
    struct run r;

    r = run_logs(dir, "web", all);
    ASSERT_EQ(r.code, 4);
    ASSERT(asprintf(&want, "corral: no log for 'web' in %s\n", dir) > 0);
    ASSERT_STREQ(r.err, want);
    ASSERT_STREQ(r.out, "");
    run_free(&r);

    r = run_logs(missing, "web", all);
    ASSERT_EQ(r.code, 4);
    ASSERT(strstr(r.err, "no log for 'web'"));
    run_free(&r);

    r = run_logs(dir, "../etc", all);
    ASSERT_EQ(r.code, 4);
    run_free(&r);

    /* Only rotated files (between a rename and the new NAME.log) is a log. */
    append_raw(dir, "db.log.1", "2026-11-23T18:21:14.000000000Z stdout F kept\n");
    r = run_logs(dir, "db", all);
    ASSERT_EQ(r.code, 0);
    ASSERT_STREQ(r.out, "kept\n");
    run_free(&r);
    remove_dir(dir);
}

/* ---- follow ---- */

/* This test binary, run again as the follower. */
static const char *self_path;

struct follower {
    pid_t pid;
    int fd, err_fd; /* its stdout and stderr */
};

static struct follower start_follow(const char *dir, const char *name, long tail)
{
    struct follower f = {};
    int p[2], e[2];

    ASSERT(pipe2(p, O_CLOEXEC) == 0 && pipe2(e, O_CLOEXEC) == 0);
    fflush(stdout);
    fflush(stderr);
    f.pid = fork();
    ASSERT(f.pid >= 0);
    if (f.pid == 0) {
        char tail_arg[32];
        /* A process of its own, as `corral logs -f` is: under valgrind
         * (--trace-children) its leak check sees only its own memory. */
        snprintf(tail_arg, sizeof(tail_arg), "%ld", tail);
        if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(e[1], STDERR_FILENO) < 0)
            _exit(100);
        execl(self_path, self_path, "--follow", dir, name, tail_arg, (char *) NULL);
        _exit(101);
    }
    close(p[1]);
    close(e[1]);
    f.fd = p[0];
    f.err_fd = e[0];
    return f;
}

/* Read from fd until what came is exactly `want`. */
#define expect_output(f, want) expect_read_at(__LINE__, (f)->fd, (want))
#define expect_errors(f, want) expect_read_at(__LINE__, (f)->err_fd, (want))
static void expect_read_at(int line, int fd, const char *want)
{
    static char buf[65536];
    size_t n = strlen(want), len = 0;

    ASSERT(n < sizeof(buf));
    while (len < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t k;

        if (poll(&p, 1, 20000) <= 0) {
            fprintf(stderr, "line %d: timed out; got '%.*s', expected '%s'\n", line, (int) len, buf,
                    want);
            exit(1);
        }
        /* No more than wanted: what comes after is the next check's. */
        k = read(fd, buf + len, n - len);
        ASSERT(k > 0);
        len += (size_t) k;
    }
    buf[len] = 0;
    if (memcmp(buf, want, n) != 0) {
        fprintf(stderr, "line %d: got '%s', expected '%s'\n", line, buf, want);
        exit(1);
    }
}

/* Nothing more within ms. */
static void expect_quiet(struct follower *f, int ms)
{
    struct pollfd p[] = {{.fd = f->fd, .events = POLLIN}, {.fd = f->err_fd, .events = POLLIN}};
    ASSERT_EQ(poll(p, 2, ms), 0);
}

static int stop_follow(struct follower *f, int sig)
{
    int status;

    if (sig)
        ASSERT(kill(f->pid, sig) == 0);
    ASSERT(waitpid(f->pid, &status, 0) == f->pid);
    if (f->fd >= 0)
        close(f->fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* What it said, valgrind's report included. */
        char buf[4096];
        ssize_t n;
        fcntl(f->err_fd, F_SETFL, O_NONBLOCK);
        while ((n = read(f->err_fd, buf, sizeof(buf))) > 0)
            fwrite(buf, 1, (size_t) n, stderr);
    }
    close(f->err_fd);
    ASSERT(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_follow(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1024, 5);
    _cleanup_free_ char *pad = repeat('p', 200);
    struct follower f;
    char want[65536];
    size_t wl = 0;

    write_rec(lf, T0, "stdout", false, "old 1");
    write_rec(lf, T0, "stdout", false, "old 2");
    f = start_follow(dir, "web", 1);
    expect_output(&f, "old 2\n");

    write_rec(lf, T0, "stdout", false, "new 1");
    expect_output(&f, "new 1\n");

    /* A P record waits for its F. */
    write_rec(lf, T0, "stdout", true, "begun ");
    expect_quiet(&f, 200);
    write_rec(lf, T0, "stdout", false, "and ended");
    expect_output(&f, "begun and ended\n");

    /* Through rotations, 4 records a file: batches of two rotations, so
     * that no file is rotated out of existence before it is read. */
    for (int b = 0; b < 5; b++) {
        wl = 0;
        for (int i = 0; i < 8; i++) {
            char t[300];
            snprintf(t, sizeof(t), "r%d%d %s", b, i, pad);
            write_rec(lf, T0, "stdout", false, t);
            wl += (size_t) snprintf(want + wl, sizeof(want) - wl, "%s\n", t);
        }
        expect_output(&f, want);
    }
    ASSERT(exists(dir, "web.log.4"));

    /* A record torn in two by a slow writer waits until it is whole. */
    append_raw(dir, "web.log", "2026-11-23T18:21:12.000000000Z stdout F to");
    expect_quiet(&f, 200);
    append_raw(dir, "web.log", "rn\n");
    expect_output(&f, "torn\n");

    /* Several rotations while the follower cannot run: it reads the old
     * file to its end, the ones rotated in between, then the new one. */
    ASSERT(kill(f.pid, SIGSTOP) == 0);
    wl = 0;
    size_t el = 0;
    char want_err[4096];
    for (int i = 0; i < 10; i++) {
        char t[300];
        snprintf(t, sizeof(t), "s%02d %s", i, pad);
        write_rec(lf, T0, i % 2 ? "stdout" : "stderr", false, t);
        if (i % 2)
            wl += (size_t) snprintf(want + wl, sizeof(want) - wl, "%s\n", t);
        else
            el += (size_t) snprintf(want_err + el, sizeof(want_err) - el, "%s\n", t);
    }
    ASSERT(kill(f.pid, SIGCONT) == 0);
    expect_output(&f, want);
    expect_errors(&f, want_err);

    ASSERT_EQ(stop_follow(&f, SIGTERM), 0);
    logfile_free(lf);
    remove_dir(dir);
}

static void test_follow_waits_for_log(void)
{
    char *dir = make_dir();
    struct follower f = start_follow(dir, "late", -1);
    struct logfile *lf;

    expect_quiet(&f, 200);
    lf = open_log(dir, "late", 4096, 2);
    write_rec(lf, T0, "stdout", false, "here now");
    expect_output(&f, "here now\n");

    /* max_files = 1: truncated in place, read from the top again. */
    logfile_free(lf);
    lf = open_log(dir, "late", 4096, 1);
    _cleanup_free_ char *big = repeat('z', 4000), *want = NULL;
    ASSERT(asprintf(&want, "%s\n", big) > 0);
    write_rec(lf, T0 + 1, "stdout", false, "x");
    expect_output(&f, "x\n");
    write_rec(lf, T0 + 2, "stdout", false, big);
    ASSERT_EQ(file_size(dir, "late.log"), 4041);
    expect_output(&f, want);
    write_rec(lf, T0 + 3, "stdout", false, "y");
    expect_output(&f, "y\n");
    write_rec(lf, T0 + 4, "stdout", false, "after truncation");
    ASSERT_EQ(file_size(dir, "late.log"), 57);
    expect_output(&f, "after truncation\n");
    ASSERT_EQ(count_files(dir), 1);

    ASSERT_EQ(stop_follow(&f, SIGINT), 0);
    logfile_free(lf);
    remove_dir(dir);
}

static void test_follow_stdout_closed(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 4096, 2);
    struct follower f;

    write_rec(lf, T0, "stdout", false, "one");
    f = start_follow(dir, "web", -1);
    expect_output(&f, "one\n");
    /* `corral logs -f | head -1`: the reader goes, we go, quietly. */
    close(f.fd);
    f.fd = -EBADF;
    ASSERT_EQ(stop_follow(&f, 0), 0);
    logfile_free(lf);
    remove_dir(dir);
}

/* Both streams into one file, as with 2>&1: the log's order is kept. */
static void test_print_streams_meet(void)
{
    char *dir = make_dir();
    _cleanup_free_ char *op = path2(capture_dir, "both"), *text = NULL;
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    int fd, saved_out, saved_err;

    for (int i = 0; i < 6; i++) {
        char t[16];
        snprintf(t, sizeof(t), "line %d", i);
        write_rec(lf, T0, i % 3 ? "stdout" : "stderr", false, t);
    }
    logfile_free(lf);

    fd = open(op, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    ASSERT(dup2(fd, STDOUT_FILENO) >= 0 && dup2(fd, STDERR_FILENO) >= 0);
    int code = logs_print(dir, "web", &all);
    fflush(stdout);
    ASSERT(dup2(saved_out, STDOUT_FILENO) >= 0 && dup2(saved_err, STDERR_FILENO) >= 0);
    close(saved_out);
    close(saved_err);
    close(fd);
    ASSERT_EQ(code, 0);
    ASSERT(read_file(op, &text, 1 << 20) >= 0);
    ASSERT_STREQ(text, "line 0\nline 1\nline 2\nline 3\nline 4\nline 5\n");
    ASSERT(unlink(op) == 0);
    remove_dir(dir);
}

/* `corral logs web | head -1`: the reader has gone; no noise, exit 0. */
static void test_print_reader_gone(void)
{
    char *dir = make_dir();
    _cleanup_free_ char *ep = path2(capture_dir, "stderr"), *err = NULL;
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    int p[2], efd, saved_out, saved_err, code;
    struct sigaction sa;

    for (int i = 0; i < 2000; i++)
        write_rec(lf, T0, "stdout", false, "a line of text that goes nowhere");
    logfile_free(lf);

    ASSERT(pipe2(p, O_CLOEXEC) == 0);
    close(p[0]);
    efd = open(ep, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT(efd >= 0);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    ASSERT(dup2(p[1], STDOUT_FILENO) >= 0 && dup2(efd, STDERR_FILENO) >= 0);
    code = logs_print(dir, "web", &all);
    ASSERT(dup2(saved_out, STDOUT_FILENO) >= 0 && dup2(saved_err, STDERR_FILENO) >= 0);
    /* Whatever stdio still holds for the pipe has nowhere to go. */
    clearerr(stdout);
    close(saved_out);
    close(saved_err);
    close(p[1]);
    close(efd);
    ASSERT_EQ(code, 0);
    ASSERT(read_file(ep, &err, 1 << 20) >= 0);
    ASSERT_STREQ(err, "");
    /* SIGPIPE is back as it was. */
    ASSERT(sigaction(SIGPIPE, NULL, &sa) == 0);
    ASSERT(sa.sa_handler == SIG_DFL);
    ASSERT(unlink(ep) == 0);
    remove_dir(dir);
}

/* Following a log that ends mid-line: the line, once ended, is whole. */
static void test_follow_from_partial(void)
{
    char *dir = make_dir();
    struct logfile *lf = open_log(dir, "web", 1 << 20, 5);
    struct follower f;

    write_rec(lf, T0, "stdout", false, "old");
    write_rec(lf, T0, "stdout", true, "begun ");
    write_rec(lf, T0, "stderr", false, "err");
    /* The tail says when it is following. */
    f = start_follow(dir, "web", 1);
    expect_errors(&f, "err\n");
    expect_quiet(&f, 200);
    write_rec(lf, T0, "stdout", false, "ended");
    expect_output(&f, "begun ended\n");
    write_rec(lf, T0, "stderr", false, "err 2");
    expect_errors(&f, "err 2\n");
    ASSERT_EQ(stop_follow(&f, SIGTERM), 0);
    logfile_free(lf);
    remove_dir(dir);
}

#define T(f)                                                                                       \
    {                                                                                              \
#f, f                                                                                      \
    }
static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    T(test_linebuf_lines),
    T(test_linebuf_long_line),
    T(test_linebuf_exact_size),
    T(test_linebuf_callback_error),
    T(test_record_format),
    T(test_parse_timestamp),
    T(test_parse_record),
    T(test_rotated_index),
    T(test_rotation),
    T(test_rotation_big_record),
    T(test_rotation_one_file),
    T(test_rotation_removes_stale),
    T(test_reopen_continues_size),
    T(test_open_errors),
    T(test_parse_since),
    T(test_print_plain),
    T(test_print_rotated),
    T(test_print_tail),
    T(test_print_tail_reads_newest_only),
    T(test_print_tail_partial_lines),
    T(test_print_since),
    T(test_print_json),
    T(test_print_malformed),
    T(test_print_incomplete),
    T(test_print_no_log),
    T(test_print_streams_meet),
    T(test_print_reader_gone),
    T(test_follow),
    T(test_follow_waits_for_log),
    T(test_follow_from_partial),
    T(test_follow_stdout_closed),
};

int main(int argc, char **argv)
{
    self_path = argv[0];
    if (argc == 5 && streq(argv[1], "--follow")) {
        struct logs_opts o = {.follow = true, .tail = strtol(argv[4], NULL, 10)};
        return logs_print(argv[2], argv[3], &o);
    }

    capture_dir = make_dir();
    printf("1..%zu\n", ELEMENTSOF(tests));
    for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
        tests[i].fn();
        printf("ok %zu - %s\n", i + 1, tests[i].name);
        fflush(stdout);
    }
    remove_dir(capture_dir);
    return 0;
}
