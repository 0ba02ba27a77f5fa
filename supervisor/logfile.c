/* SPDX-License-Identifier: MIT */
/* The writer side of log_dir/NAME.log: line framing, CRI records, rotation
 * by size, and the record parsers the reader shares. Nothing here logs;
 * errors go back to the supervisor as negative errno. */
#include "logfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

#define NSEC_PER_SEC 1000000000ULL

struct logfile {
    int dir_fd; /* renames and re-creation stay in the directory we opened */
    int fd;     /* the current NAME.log, O_APPEND */
    char *name; /* NAME, for NAME.log.K */
    char *base; /* NAME.log */
    char *path; /* dir/NAME.log */
    uint64_t size;
    uint64_t max_size;
    unsigned max_files;
};

/* ---- the record format ---- */

void logfile_format_timestamp(uint64_t ts_ns, char ret[static LOG_TIMESTAMP_MAX])
{
    time_t sec = (time_t) (ts_ns / NSEC_PER_SEC);
    unsigned nsec = (unsigned) (ts_ns % NSEC_PER_SEC);
    struct tm tm;

    gmtime_r(&sec, &tm);
    /* Fixed width, so that records sort and line up. */
    strftime(ret, LOG_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ret + 19, LOG_TIMESTAMP_MAX - 19, ".%09uZ", nsec % 1000000000u);
}

static bool digits(const char *s, size_t n, unsigned *ret)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char) s[i]))
            return false;
        v = v * 10 + (unsigned) (s[i] - '0');
    }
    *ret = v;
    return true;
}

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no struct tm, no TZ, no normalisation of bad dates. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

int logfile_parse_timestamp(const char *s, size_t len, uint64_t *ret_ns)
{
    unsigned year, mon, day, hour, min, sec, nsec = 0;
    int64_t offset = 0, t;
    size_t i = 19;

    if (len < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
        !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &hour) ||
        s[13] != ':' || !digits(s + 14, 2, &min) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return -EINVAL;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 || min > 59 ||
        sec > 60)
        return -EINVAL;

    if (s[i] == '.') {
        size_t n = 0;
        for (i++; i < len && isdigit((unsigned char) s[i]); i++, n++)
            if (n < 9)
                nsec = nsec * 10 + (unsigned) (s[i] - '0');
        /* More than 9 digits is finer than we keep: cut, do not round. */
        if (n == 0)
            return -EINVAL;
        for (; n < 9; n++)
            nsec *= 10;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 <= len && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (!digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -EINVAL;
        offset = (int64_t) (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -EINVAL;
    }
    if (i != len)
        return -EINVAL;

    t = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
    if (t < 0 || (uint64_t) t > (UINT64_MAX - nsec) / NSEC_PER_SEC)
        return -EINVAL;
    *ret_ns = (uint64_t) t * NSEC_PER_SEC + nsec;
    return 0;
}

int logfile_parse_record(const char *line, size_t len, struct log_record *ret)
{
    const char *end = line + len, *p, *sp, *tag_end;
    struct log_record rec = {};

    sp = memchr(line, ' ', len);
    if (!sp || logfile_parse_timestamp(line, (size_t) (sp - line), &rec.ts_ns) < 0)
        return -EINVAL;
    p = sp + 1;
    if (end - p >= 7 && memcmp(p, "stdout ", 7) == 0)
        rec.is_stderr = false;
    else if (end - p >= 7 && memcmp(p, "stderr ", 7) == 0)
        rec.is_stderr = true;
    else
        return -EINVAL;
    p += 7;

    /* CRI allows more tags after the first, ':'-separated; only P/F matter. */
    tag_end = memchr(p, ' ', (size_t) (end - p)) ?: end;
    if (tag_end == p || (*p != 'P' && *p != 'F') || (tag_end - p > 1 && p[1] != ':'))
        return -EINVAL;
    rec.partial = *p == 'P';
    /* An empty line may come without the space before its (empty) text. */
    rec.text = tag_end < end ? tag_end + 1 : end;
    rec.len = (size_t) (end - rec.text);
    *ret = rec;
    return 0;
}

bool logfile_rotated_index(const char *name, const char *filename, unsigned *ret)
{
    size_t n = strlen(name);
    unsigned long k;
    char *e;

    if (strncmp(filename, name, n) != 0 || strncmp(filename + n, ".log.", 5) != 0)
        return false;
    filename += n + 5;
    /* Only the names we write: "NAME.log.01" or "NAME.log.+1" is not ours. */
    if (filename[0] < '1' || filename[0] > '9')
        return false;
    errno = 0;
    k = strtoul(filename, &e, 10);
    if (*e || errno == ERANGE || k > UINT_MAX)
        return false;
    *ret = (unsigned) k;
    return true;
}

/* ---- line framing ---- */

int linebuf_feed(struct linebuf *lb, const char *data, size_t n, line_cb cb, void *userdata)
{
    int r;

    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t k = nl ? (size_t) (nl - data) : n;

        /* Whatever does not fit beside the buffer pushes it out as a partial
         * record of exactly LOGLINE_MAX bytes. Waiting for that extra byte
         * keeps a line of exactly LOGLINE_MAX bytes in one F record. */
        while (lb->len + k > LOGLINE_MAX) {
            size_t fill = LOGLINE_MAX - lb->len;

            if (lb->len == 0) {
                r = cb(userdata, true, data, LOGLINE_MAX);
            } else {
                memcpy(lb->buf + lb->len, data, fill);
                lb->len = 0;
                r = cb(userdata, true, lb->buf, LOGLINE_MAX);
            }
            data += fill;
            n -= fill;
            k -= fill;
            if (r < 0)
                return r;
        }

        if (!nl) {
            memcpy(lb->buf + lb->len, data, k);
            lb->len += k;
            return 0;
        }
        if (lb->len == 0) {
            r = cb(userdata, false, data, k);
        } else {
            size_t l = lb->len + k;
            memcpy(lb->buf + lb->len, data, k);
            lb->len = 0;
            r = cb(userdata, false, lb->buf, l);
        }
        data = nl + 1;
        n -= k + 1;
        if (r < 0)
            return r;
    }
    return 0;
}

int linebuf_flush(struct linebuf *lb, line_cb cb, void *userdata)
{
    size_t l = lb->len;

    if (l == 0)
        return 0;
    lb->len = 0;
    return cb(userdata, false, lb->buf, l);
}

/* ---- the file and its rotation ---- */

static uint64_t now_realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static int rotated_name(const struct logfile *lf, unsigned k, char buf[static NAME_MAX + 1])
{
    int n = snprintf(buf, NAME_MAX + 1, "%s.%u", lf->base, k);
    return n < 0 || n > NAME_MAX ? -ENAMETOOLONG : 0;
}

static int open_current(struct logfile *lf)
{
    struct stat st;
    int fd, r;

    fd = openat(lf->dir_fd, lf->base, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0)
        return negative_errno();
    /* Sizes carry on across supervisor restarts: rotation does not start
     * counting from zero on a file that is already big. */
    if (fstat(fd, &st) < 0) {
        r = negative_errno();
        close(fd);
        return r;
    }
    if (lf->fd >= 0)
        close(lf->fd);
    lf->fd = fd;
    lf->size = (uint64_t) st.st_size;
    return 0;
}

/* Unlink NAME.log.K for every K >= max_files - 1: the one the shift pushes
 * out, and any left from a larger max_files. */
static int remove_stale(struct logfile *lf)
{
    struct dirent *de;
    DIR *d;
    int fd, r = 0;

    fd = openat(lf->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return negative_errno();
    d = fdopendir(fd);
    if (!d) {
        r = negative_errno();
        close(fd);
        return r;
    }
    while ((errno = 0, de = readdir(d))) {
        unsigned k;
        if (!logfile_rotated_index(lf->name, de->d_name, &k) || k < lf->max_files - 1)
            continue;
        if (unlinkat(lf->dir_fd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
            r = negative_errno();
    }
    if (errno != 0 && r == 0)
        r = negative_errno();
    closedir(d);
    return r;
}

static int rotate(struct logfile *lf)
{
    char from[NAME_MAX + 1], to[NAME_MAX + 1];
    int r;

    r = remove_stale(lf);
    if (r < 0)
        return r;
    if (lf->max_files == 1) {
        /* No room for history: start over in place. O_APPEND puts the next
         * write at the new end, and a reader sees the size drop. */
        if (ftruncate(lf->fd, 0) < 0)
            return negative_errno();
        lf->size = 0;
        return 0;
    }
    /* Oldest first, so that no rename lands on a file still to be moved. */
    for (unsigned k = lf->max_files - 2; k >= 1; k--) {
        if ((r = rotated_name(lf, k, from)) < 0 || (r = rotated_name(lf, k + 1, to)) < 0)
            return r;
        if (renameat(lf->dir_fd, from, lf->dir_fd, to) < 0 && errno != ENOENT)
            return negative_errno();
    }
    if ((r = rotated_name(lf, 1, to)) < 0)
        return r;
    /* ENOENT: someone removed NAME.log under us; just start a new one. */
    if (renameat(lf->dir_fd, lf->base, lf->dir_fd, to) < 0 && errno != ENOENT)
        return negative_errno();
    return open_current(lf);
}

int logfile_open(const char *dir, const char *name, uint64_t max_size, unsigned max_files,
                 struct logfile **ret)
{
    _cleanup_(logfile_freep) struct logfile *lf = NULL;
    int r;

    if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, "..") ||
        max_size == 0 || max_files == 0)
        return -EINVAL;
    lf = calloc(1, sizeof(*lf));
    if (!lf)
        return -ENOMEM;
    lf->dir_fd = lf->fd = -EBADF;
    lf->max_size = max_size;
    lf->max_files = max_files;
    lf->name = strdup(name);
    if (!lf->name || asprintf(&lf->base, "%s.log", name) < 0) {
        lf->base = NULL;
        return -ENOMEM;
    }
    lf->path = path_join(dir, lf->base);
    if (!lf->path)
        return -ENOMEM;
    if (strlen(lf->base) + 11 > NAME_MAX) /* room for ".<max_files>" */
        return -ENAMETOOLONG;

    lf->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lf->dir_fd < 0)
        return negative_errno();
    r = open_current(lf);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(lf);
    return 0;
}

void logfile_free(struct logfile *lf)
{
    if (!lf)
        return;
    if (lf->fd >= 0)
        close(lf->fd);
    if (lf->dir_fd >= 0)
        close(lf->dir_fd);
    free(lf->name);
    free(lf->base);
    free(lf->path);
    free(lf);
}

const char *logfile_path(const struct logfile *lf)
{
    return lf->path;
}

/* All of iov, through short writes and signals. */
static int write_all(int fd, struct iovec *iov, int n, size_t *ret_written)
{
    *ret_written = 0;
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return negative_errno();
        if (w == 0)
            return -EIO;
        size_t left = (size_t) w;
        *ret_written += left;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *) iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int logfile_write(struct logfile *lf, uint64_t ts_ns, const char *stream, bool partial,
                  const char *text, size_t len)
{
    char ts[LOG_TIMESTAMP_MAX], head[LOG_TIMESTAMP_MAX + 16];
    size_t hlen, total, written;
    int r;

    if (!streq(stream, "stdout") && !streq(stream, "stderr"))
        return -EINVAL;
    /* A newline in the text would end the record early: the rest would read
     * back as a malformed line. */
    if (len > 0 && memchr(text, '\n', len))
        return -EINVAL;

    logfile_format_timestamp(ts_ns ?: now_realtime_ns(), ts);
    hlen = (size_t) snprintf(head, sizeof(head), "%s %s %c ", ts, stream, partial ? 'P' : 'F');
    total = hlen + len + 1;
    if (lf->size > 0 && lf->size + total > lf->max_size) {
        r = rotate(lf);
        if (r < 0)
            return r;
    }

    /* One writev: a reader never sees two records' bytes interleaved, and
     * sees a half record only at the end of the file, where it waits. */
    struct iovec iov[] = {
        {.iov_base = head, .iov_len = hlen},
        {.iov_base = (void *) text, .iov_len = len},
        {.iov_base = (void *) "\n", .iov_len = 1},
    };
    r = write_all(lf->fd, iov, (int) ELEMENTSOF(iov), &written);
    if (r < 0) {
        /* Cut a half-written record off (ENOSPC, EIO), so that the next
         * record starts a line of its own. */
        if (written > 0 && ftruncate(lf->fd, (off_t) lf->size) < 0) {
            struct stat st;
            if (fstat(lf->fd, &st) == 0)
                lf->size = (uint64_t) st.st_size;
        }
        return r;
    }
    lf->size += total;
    return 0;
}
