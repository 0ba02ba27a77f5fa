/* SPDX-License-Identifier: MIT */
/* Container output in log_dir/NAME.log, one Kubernetes CRI record a line:
 *
 *   2026-11-23T18:21:12.123456789Z stdout F the text
 *
 * TIMESTAMP (UTC, 9-digit nanoseconds) STREAM (stdout|stderr) TAG (F: a
 * full line, P: the line goes on in the stream's next record) TEXT (the
 * line's bytes without its newline). The file is rotated by size the way
 * docker's json-file driver does it: NAME.log, NAME.log.1 (the newest
 * rotated), ..., NAME.log.(max_files-1). The writer side lives here, with
 * the parsers the reader (logread.c) shares. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line written as one record; a longer one becomes P records
 * of exactly this size and a final F with the rest. */
#define LOGLINE_MAX (16 * 1024)

/* "2026-11-23T18:21:12.123456789Z" and its NUL. */
#define LOG_TIMESTAMP_MAX 31

struct logfile;

/* Open (create, append to) dir/NAME.log. The directory must exist. max_files
 * counts every file, the current one included; both limits must be > 0. */
int logfile_open(const char *dir, const char *name, uint64_t max_size, unsigned max_files,
                 struct logfile **ret);
void logfile_free(struct logfile *lf);
const char *logfile_path(const struct logfile *lf);
/* Append one record with one write; rotates first if it would not fit (a
 * failed rotation fails the write). ts_ns is CLOCK_REALTIME in ns (0: now);
 * stream is "stdout" or "stderr"; text must not contain '\n' (-EINVAL).
 * Nothing is logged: the caller decides. */
int logfile_write(struct logfile *lf, uint64_t ts_ns, const char *stream, bool partial,
                  const char *text, size_t len);

static inline void logfile_freep(struct logfile **lf)
{
    logfile_free(*lf);
}

/* Line framing for one stream: no I/O, no allocation. */
struct linebuf {
    char buf[LOGLINE_MAX];
    size_t len;
};

typedef int (*line_cb)(void *userdata, bool partial, const char *text, size_t len);

/* Complete lines go to cb(partial=false). Bytes that do not fit beside a
 * full buffer push it out as cb(partial=true), so a line of exactly
 * LOGLINE_MAX bytes stays one record. Stops at, and returns, the first
 * negative cb result. */
int linebuf_feed(struct linebuf *lb, const char *data, size_t n, line_cb cb, void *userdata);
/* The pending bytes, if any, as a full line (the stream ended). */
int linebuf_flush(struct linebuf *lb, line_cb cb, void *userdata);

/* The record format, for the reader and the tests. */
struct log_record {
    uint64_t ts_ns;
    bool is_stderr;
    bool partial;
    const char *text; /* into the parsed line */
    size_t len;
};

/* "NAME.log.K" -> K (>= 1, no leading zeros); false for any other file. */
bool logfile_rotated_index(const char *name, const char *filename, unsigned *ret);

void logfile_format_timestamp(uint64_t ts_ns, char ret[static LOG_TIMESTAMP_MAX]);
/* RFC 3339 with a zone: "...T18:21:12Z", "...T18:21:12.5+01:00"; digits
 * past nanoseconds are cut. len bytes of s, no NUL needed. */
int logfile_parse_timestamp(const char *s, size_t len, uint64_t *ret_ns);
/* One line without its '\n'; -EINVAL if it is not a record. */
int logfile_parse_record(const char *line, size_t len, struct log_record *ret);
