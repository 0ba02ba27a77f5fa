/* SPDX-License-Identifier: MIT */
/* `corral logs`: read NAME.log.K (oldest first) and NAME.log, join P records
 * with the rest of their line, print, and optionally follow.
 *
 * Positions. Every line read has a place, (file index, offset), in the list
 * of files being read. --tail and --since are answered by a scan from the
 * end backwards that finds `start`, the first line to print, and `from`,
 * where reading must begin so that the P records of those lines are there
 * too; then one pass forwards from `from` prints the lines that end at or
 * after `start`. The scan stops as soon as it has its lines, so a short
 * tail of a large log costs a chunk or two of the newest file.
 *
 * Rotation while reading. Files are opened NAME.log first, then NAME.log.1,
 * .2, ... (newest first), and told apart by inode: a rotation in between
 * only makes a file show up twice, never go missing. A follower holds the
 * fd of the file it reads; once NAME.log is another inode, the writer is
 * done with the old one (it renames only after its last write), so it is
 * read to its end, then the files rotated after it, then the new NAME.log
 * from offset 0. */
#include "logread.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "logfile.h"
#include "macro.h"
#include "util.h"

#define CHUNK (64 * 1024)
/* Records are at most LOGLINE_MAX plus a header; a longer line comes from
 * an older, unframed file and is cut here rather than held whole. */
#define LINE_READ_MAX (1024 * 1024)
/* A line joined from P records is printed in pieces past this size. */
#define PENDING_MAX (1024 * 1024)
/* --tail: how many bytes of other output to look through, past the first
 * line printed, for the P records it begins with. Past it, the line is
 * printed from where it was found: a stream that wrote nothing for a long
 * time must not make a short tail read the whole log. */
#define LOOKBACK_MAX (1024 * 1024)

struct pos {
    size_t file;
    uint64_t off;
};

static int pos_cmp(struct pos a, struct pos b)
{
    if (a.file != b.file)
        return a.file < b.file ? -1 : 1;
    return a.off < b.off ? -1 : a.off > b.off;
}

/* One file of the log. */
struct src {
    int fd;
    dev_t dev;
    ino_t ino;
    uint64_t end; /* the size when opened: the first pass reads up to here */
    bool rotated; /* renamed away: complete, a trailing fragment is a line */
};

static void srcs_free(struct src *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].fd >= 0)
            close(s[i].fd);
    free(s);
}

/* A line of one stream being put together from P records. */
struct pending {
    char *buf;
    size_t len, cap;
    uint64_t ts_ns;
    struct pos pos; /* of the last record */
};

struct reader {
    const struct logs_opts *o;
    struct pos start;       /* lines ending before it are read, not printed */
    struct pending pend[2]; /* stdout, stderr */
    char *out;              /* one output line */
    size_t out_cap;
    /* The file being read forwards: its bytes not yet split into lines. */
    char *buf;
    size_t len, cap;
    size_t file;       /* its index, for positions */
    uint64_t off;      /* the next byte to read */
    bool write_failed; /* the error is ours to print, not the log's */
};

static void reader_done(struct reader *r)
{
    free(r->pend[0].buf);
    free(r->pend[1].buf);
    free(r->out);
    free(r->buf);
}

static int grow(char **buf, size_t *cap, size_t need)
{
    size_t n;
    char *p;

    if (need <= *cap)
        return 0;
    n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    p = realloc(*buf, n);
    if (!p)
        return -ENOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

/* ---- output ---- */

/* Length of the valid UTF-8 sequence at s, 0 if there is none: no
 * overlong forms, surrogates or code points past U+10FFFF, as jansson
 * checks. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0)
        len = 2, cp = c & 0x1f;
    else if (c < 0xf0)
        len = 3, cp = c & 0x0f;
    else if (c < 0xf5)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* JSON strings are UTF-8, container output need not be: each invalid byte
 * becomes U+FFFD, as docker's JSON logs do. Returns text itself if valid,
 * else a copy in r->out. */
static const char *utf8_sanitize(struct reader *r, const char *text, size_t len, size_t *ret_len)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t i = 0, o = 0, k;

    while (i < len && (k = utf8_seq(s + i, len - i)) > 0)
        i += k;
    if (i == len) {
        *ret_len = len;
        return text;
    }
    if (grow(&r->out, &r->out_cap, len * 3) < 0)
        return NULL;
    memcpy(r->out, text, i);
    o = i;
    while (i < len) {
        k = utf8_seq(s + i, len - i);
        if (k == 0) {
            memcpy(r->out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(r->out + o, text + i, k);
            o += k;
            i += k;
        }
    }
    *ret_len = o;
    return r->out;
}

static int write_out(struct reader *r, FILE *f, const char *s, size_t n)
{
    if (fwrite(s, 1, n, f) != n) {
        r->write_failed = true;
        return negative_errno();
    }
    return 0;
}

static int emit_json(struct reader *r, bool is_stderr, uint64_t ts_ns, const char *text, size_t len)
{
    _cleanup_free_ char *s = NULL;
    char ts[LOG_TIMESTAMP_MAX];
    const char *t;
    size_t tl;
    json_t *o;

    t = utf8_sanitize(r, text, len, &tl);
    if (!t)
        return -ENOMEM;
    if (ts_ns)
        logfile_format_timestamp(ts_ns, ts);
    /* A line that was not a record has no time: null, not a made-up one. */
    o = json_pack("{s:o, s:s, s:s%}", "time", ts_ns ? json_string(ts) : json_null(), "stream",
                  is_stderr ? "stderr" : "stdout", "line", t, tl);
    if (!o)
        return -ENOMEM;
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return -ENOMEM;
    /* The NUL's place takes the newline: one fwrite a line. */
    tl = strlen(s);
    s[tl] = '\n';
    return write_out(r, stdout, s, tl + 1);
}

/* One output line. ts_ns 0: the line was not a record, there is no time. */
static int emit(struct reader *r, bool is_stderr, uint64_t ts_ns, const char *text, size_t len)
{
    size_t n = 0;

    if (r->o->json)
        return emit_json(r, is_stderr, ts_ns, text, len);
    if (grow(&r->out, &r->out_cap, LOG_TIMESTAMP_MAX + len + 1) < 0)
        return -ENOMEM;
    if (r->o->timestamps && ts_ns) {
        logfile_format_timestamp(ts_ns, r->out);
        n = strlen(r->out);
        r->out[n++] = ' ';
    }
    memcpy(r->out + n, text, len);
    n += len;
    r->out[n++] = '\n';
    /* Where the two streams meet (a terminal, 2>&1), they keep the log's
     * order: what stdout holds goes out before a stderr line. */
    if (is_stderr && fflush(stdout) != 0) {
        r->write_failed = true;
        return negative_errno();
    }
    /* Composed first: stderr is unbuffered, and one write keeps the line whole. */
    return write_out(r, is_stderr ? stderr : stdout, r->out, n);
}

static bool shown(const struct reader *r, struct pos pos, uint64_t ts_ns)
{
    if (pos_cmp(pos, r->start) < 0)
        return false;
    /* A line that is not a record has no time to compare: shown. */
    return !r->o->since_ns || !ts_ns || ts_ns >= r->o->since_ns;
}

/* ---- records -> lines ---- */

static int record(struct reader *r, const struct log_record *rec, struct pos pos)
{
    struct pending *p = &r->pend[rec->is_stderr];
    int k;

    if (rec->partial) {
        if (p->len > 0 && p->len + rec->len > PENDING_MAX) {
            if (shown(r, p->pos, p->ts_ns) &&
                (k = emit(r, rec->is_stderr, p->ts_ns, p->buf, p->len)) < 0)
                return k;
            p->len = 0;
        }
        if (grow(&p->buf, &p->cap, p->len + rec->len + 1) < 0)
            return -ENOMEM;
        memcpy(p->buf + p->len, rec->text, rec->len);
        p->len += rec->len;
        p->ts_ns = rec->ts_ns;
        p->pos = pos;
        return 0;
    }

    /* A line has its final record's time and place. */
    if (!shown(r, pos, rec->ts_ns)) {
        p->len = 0;
        return 0;
    }
    if (p->len == 0)
        return emit(r, rec->is_stderr, rec->ts_ns, rec->text, rec->len);
    if (grow(&p->buf, &p->cap, p->len + rec->len) < 0)
        return -ENOMEM;
    memcpy(p->buf + p->len, rec->text, rec->len);
    k = emit(r, rec->is_stderr, rec->ts_ns, p->buf, p->len + rec->len);
    p->len = 0;
    return k;
}

/* A line that is not a record (a file from before the format, a torn
 * write) is stdout text, shown as it is rather than dropped. */
static struct log_record parse_line(const char *line, size_t len)
{
    struct log_record rec;

    if (logfile_parse_record(line, len, &rec) < 0)
        rec = (struct log_record){.text = line, .len = len};
    return rec;
}

/* Lines that never got their F record (the log ends mid-line). */
static int flush_pending(struct reader *r)
{
    for (size_t s = 0; s < ELEMENTSOF(r->pend); s++) {
        struct pending *p = &r->pend[s];
        int k;

        if (p->len > 0 && shown(r, p->pos, p->ts_ns) &&
            (k = emit(r, s == 1, p->ts_ns, p->buf, p->len)) < 0)
            return k;
        p->len = 0;
    }
    return 0;
}

/* Hand the complete lines in r->buf on; final: the file is done, a
 * fragment at its end is a line too. */
static int split(struct reader *r, bool final)
{
    uint64_t base = r->off - r->len; /* the offset of buf[0] */
    char *p = r->buf, *end = r->buf + r->len, *nl;
    int k = 0;

    if (r->len == 0)
        return 0;

    while (k >= 0 && (nl = memchr(p, '\n', (size_t) (end - p)))) {
        struct log_record rec = parse_line(p, (size_t) (nl - p));
        k = record(r, &rec, (struct pos){r->file, base + (uint64_t) (p - r->buf)});
        p = nl + 1;
    }
    if (k >= 0 && p < end && (final || end - p >= LINE_READ_MAX)) {
        struct log_record rec = parse_line(p, (size_t) (end - p));
        k = record(r, &rec, (struct pos){r->file, base + (uint64_t) (p - r->buf)});
        p = end;
    }
    r->len = (size_t) (end - p);
    memmove(r->buf, p, r->len);
    return k;
}

/* The first bytes of the followed NAME.log. With max_files = 1 the writer
 * truncates it in place, and by the time we look it may have grown past
 * where we were: only a change here tells. A record's timestamp in
 * nanoseconds and the start of its text make a match by chance unlikely. */
struct head {
    char buf[64];
    size_t len;
};

/* 1 if the file no longer begins as it did; remembers how it begins now. */
static int head_changed(int fd, struct head *h)
{
    char b[sizeof(h->buf)];
    ssize_t n;
    bool changed;

    do
        n = pread(fd, b, sizeof(b), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return negative_errno();
    changed = (size_t) n < h->len || memcmp(b, h->buf, h->len) != 0;
    memcpy(h->buf, b, (size_t) n);
    h->len = (size_t) n;
    return changed;
}

/* Read fd from r->off up to limit (or its end), printing as lines complete.
 * head: the file is live and may be truncated under us; check each chunk. */
static int pump(struct reader *r, int fd, uint64_t limit, bool final, struct head *head)
{
    int k;

    while (r->off < limit) {
        size_t want = limit - r->off < CHUNK ? (size_t) (limit - r->off) : CHUNK;
        ssize_t n;

        if (grow(&r->buf, &r->cap, r->len + want) < 0)
            return -ENOMEM;
        n = pread(fd, r->buf + r->len, want, (off_t) r->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return negative_errno();
        if (n == 0)
            break;
        /* Checked after the read: a truncation before it shows here, and
         * the bytes read are not the middle of some new record. */
        if (head && (k = head_changed(fd, head)) != 0) {
            if (k < 0)
                return k;
            r->off = 0;
            r->len = 0;
            continue;
        }
        r->len += (size_t) n;
        r->off += (uint64_t) n;
        if ((k = split(r, false)) < 0)
            return k;
    }
    return split(r, final);
}

/* ---- the files ---- */

static bool same_file(const struct src *a, dev_t dev, ino_t ino)
{
    return a->dev == dev && a->ino == ino;
}

static int open_src(int dir_fd, const char *fname, bool rotated, struct src *ret)
{
    struct stat st;
    int fd = openat(dir_fd, fname, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return negative_errno();
    if (fstat(fd, &st) < 0) {
        int k = negative_errno();
        close(fd);
        return k;
    }
    *ret = (struct src){.fd = fd,
                        .dev = st.st_dev,
                        .ino = st.st_ino,
                        .end = (uint64_t) st.st_size,
                        .rotated = rotated};
    return 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
    return x < y ? -1 : x > y;
}

/* The K of every NAME.log.K, ascending. */
static int rotated_indexes(int dir_fd, const char *name, unsigned **ret, size_t *ret_n)
{
    _cleanup_free_ unsigned *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d;
    int fd, k = 0;

    fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return negative_errno();
    d = fdopendir(fd);
    if (!d) {
        k = negative_errno();
        close(fd);
        return k;
    }
    while ((errno = 0, de = readdir(d))) {
        unsigned idx;
        if (!logfile_rotated_index(name, de->d_name, &idx))
            continue;
        if (n == cap) {
            unsigned *nv = realloc(v, (cap ? cap * 2 : 8) * sizeof(*v));
            if (!nv) {
                k = -ENOMEM;
                break;
            }
            v = nv;
            cap = cap ? cap * 2 : 8;
        }
        v[n++] = idx;
    }
    if (k == 0 && errno != 0)
        k = negative_errno();
    closedir(d);
    if (k < 0)
        return k;
    if (n > 0)
        qsort(v, n, sizeof(*v), cmp_unsigned);
    *ret = TAKE_PTR(v);
    *ret_n = n;
    return 0;
}

/* Append s to v, keeping a slot free for NAME.log. */
static int srcs_push(struct src **v, size_t *n, size_t *cap, struct src s)
{
    if (*n + 2 > *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct src *nv = realloc(*v, nc * sizeof(**v));
        if (!nv)
            return -ENOMEM;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

/* The files of the log newer than `after` (NULL: all), oldest first,
 * NAME.log last if it exists. */
static int collect(int dir_fd, const char *name, const struct src *after, struct src **ret,
                   size_t *ret_n)
{
    _cleanup_free_ unsigned *idx = NULL;
    _cleanup_free_ char *base = NULL;
    struct src live = {.fd = -EBADF}, *v = NULL;
    size_t n_idx = 0, n = 0, cap = 0;
    int k;

    if (asprintf(&base, "%s.log", name) < 0)
        return -ENOMEM;
    /* NAME.log first: whatever rotates after this is newer than it, and
     * shows up below as a second name of a file already seen. */
    k = open_src(dir_fd, base, false, &live);
    if (k < 0 && k != -ENOENT)
        return k;
    k = rotated_indexes(dir_fd, name, &idx, &n_idx);
    if (k < 0)
        goto fail;

    /* Newest first. Past the last index listed, go on while files exist:
     * a rotation since the listing has moved the oldest one up. */
    for (size_t i = 0;; i++) {
        unsigned want =
            i < n_idx ? idx[i] : (n_idx ? idx[n_idx - 1] : 0) + (unsigned) (i - n_idx) + 1;
        char fname[NAME_MAX + 1];
        bool dup = false;
        struct src s;

        if (snprintf(fname, sizeof(fname), "%s.%u", base, want) >= (int) sizeof(fname))
            break;
        k = open_src(dir_fd, fname, true, &s);
        if (k == -ENOENT && i < n_idx)
            continue;
        if (k == -ENOENT)
            break;
        if (k < 0)
            goto fail;
        if (after && same_file(after, s.dev, s.ino)) {
            close(s.fd);
            break;
        }
        if (live.fd >= 0 && same_file(&live, s.dev, s.ino)) {
            /* NAME.log was rotated since we opened it: what we have so far
             * is newer than it, for a later round. */
            close(s.fd);
            for (size_t j = 0; j < n; j++)
                close(v[j].fd);
            n = 0;
            continue;
        }
        for (size_t j = 0; j < n && !dup; j++)
            dup = same_file(&v[j], s.dev, s.ino);
        if (dup) {
            close(s.fd);
            continue;
        }
        k = srcs_push(&v, &n, &cap, s);
        if (k < 0) {
            close(s.fd);
            goto fail;
        }
    }

    /* Oldest first, then NAME.log. */
    for (size_t i = 0; i < n / 2; i++) {
        struct src t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
    if (live.fd >= 0) {
        if (!v && !(v = malloc(sizeof(*v)))) {
            k = -ENOMEM;
            goto fail;
        }
        v[n++] = live;
    }
    *ret = v;
    *ret_n = n;
    return 0;

fail:
    if (live.fd >= 0)
        close(live.fd);
    srcs_free(v, n);
    return k;
}

/* ---- --tail and --since: from the end backwards ---- */

/* A file's lines, last first. */
struct rev {
    int fd;
    uint64_t pos; /* the offset of buf[0] */
    char *buf;
    size_t len, cap;
    bool at_end; /* nothing returned yet: the last line may lack its '\n' */
};

/* The line before those returned so far: 1, or 0 at the start of the file.
 * *ret_line stays valid until the next call. */
static int rev_prev(struct rev *it, const char **ret_line, size_t *ret_len, uint64_t *ret_off,
                    bool *ret_complete)
{
    for (;;) {
        bool nl_end = it->len > 0 && it->buf[it->len - 1] == '\n';
        size_t cend = it->len - nl_end, want;
        const char *nl;

        if (it->len == 0 && it->pos == 0)
            return 0;
        nl = cend > 0 ? memrchr(it->buf, '\n', cend) : NULL;
        if (nl || it->pos == 0 || cend >= LINE_READ_MAX) {
            size_t b = nl ? (size_t) (nl - it->buf) + 1 : 0;

            *ret_line = it->buf + b;
            *ret_len = cend - b;
            *ret_off = it->pos + b;
            *ret_complete = nl_end || !it->at_end;
            it->len = b;
            it->at_end = false;
            return 1;
        }

        /* The chunk before, in front of the line begun. */
        want = it->pos < CHUNK ? (size_t) it->pos : CHUNK;
        if (grow(&it->buf, &it->cap, it->len + want) < 0)
            return -ENOMEM;
        memmove(it->buf + want, it->buf, it->len);
        for (size_t got = 0; got < want;) {
            ssize_t n = pread(it->fd, it->buf + got, want - got, (off_t) (it->pos - want + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return negative_errno();
            if (n == 0) {
                /* Truncated under us (max_files = 1): nothing before. */
                it->len = 0;
                it->pos = 0;
                return 0;
            }
            got += (size_t) n;
        }
        it->pos -= want;
        it->len += want;
    }
}

/* Set r->start, the first line to print, and *ret_from, where to begin
 * reading so that the P records those lines begin with are read too. */
static int find_start(struct reader *r, const struct src *files, size_t n, struct pos *ret_from)
{
    const struct logs_opts *o = r->o;
    /* Nothing printed yet: start after the last complete line. */
    struct pos start = {n - 1, files[n - 1].end}, from = start;
    bool counting = o->tail != 0, need[2] = {}, seen[2] = {};
    uint64_t skipped = 0;
    struct rev it = {};
    long count = 0;
    int k = 0;

    for (size_t i = n; i-- > 0;) {
        const char *line;
        size_t len;
        uint64_t off;
        bool complete;

        it = (struct rev){
            .fd = files[i].fd, .pos = files[i].end, .buf = it.buf, .cap = it.cap, .at_end = true};
        while ((k = rev_prev(&it, &line, &len, &off, &complete)) > 0) {
            struct pos pos = {i, off};
            struct log_record rec;
            bool s;

            if (!complete && !files[i].rotated) {
                /* A record the writer has not finished: it comes later, if
                 * we follow. */
                start = from = pos;
                continue;
            }
            rec = parse_line(line, len);
            s = rec.is_stderr;

            if (o->follow && rec.partial && !seen[s]) {
                /* The log ends mid-line; its F record is still to come,
                 * and the line will need its beginning. */
                seen[s] = need[s] = true;
                from = pos;
                continue;
            }
            if (counting) {
                if (rec.partial && seen[s]) {
                    /* The beginning of a line counted already. */
                    from = pos;
                    continue;
                }
                /* A line end, or the last P of a line never finished. */
                if (o->since_ns && rec.ts_ns && rec.ts_ns < o->since_ns) {
                    /* Logs are in time order: nothing before is shown. */
                    counting = false;
                    seen[s] = true;
                    need[s] = false;
                } else {
                    seen[s] = need[s] = true;
                    start = from = pos;
                    if (++count == o->tail)
                        counting = false;
                }
            } else if (need[s]) {
                /* Before the first line printed: its P records, up to the
                 * previous line of its stream. */
                if (rec.partial)
                    from = pos;
                else
                    need[s] = false;
            } else {
                seen[s] = true;
                skipped += len + 1;
                if (skipped > LOOKBACK_MAX)
                    goto done;
            }
            if (!counting && !need[0] && !need[1] && (!o->follow || (seen[0] && seen[1])))
                goto done;
        }
        if (k < 0)
            goto done;
    }
done:
    free(it.buf);
    if (k < 0)
        return k;
    r->start = start;
    *ret_from = from;
    return 0;
}

/* ---- following ---- */

struct follower {
    int dir_fd;
    const char *name;
    char *base;       /* NAME.log */
    struct src cur;   /* the file being read; fd -EBADF: none yet */
    bool cur_done;    /* rotated away and read to its end */
    struct head head; /* of cur, while it is NAME.log */
};

static int follow_step(struct reader *r, struct follower *f)
{
    struct src *v = NULL;
    struct stat st;
    size_t n = 0;
    int k = 0;

    if (f->cur.fd >= 0 && !f->cur_done && (k = pump(r, f->cur.fd, UINT64_MAX, false, &f->head)) < 0)
        return k;
    if (fstatat(f->dir_fd, f->base, &st, 0) < 0) {
        if (errno != ENOENT)
            return negative_errno();
    } else if (f->cur.fd >= 0 && same_file(&f->cur, st.st_dev, st.st_ino)) {
        if (fstat(f->cur.fd, &st) < 0)
            return negative_errno();
        if ((uint64_t) st.st_size < r->off) {
            /* Truncated in place (max_files = 1): from the top again. */
            r->off = 0;
            r->len = 0;
            f->head.len = 0;
        } else if (!f->cur_done) {
            return 0;
        }
        f->cur_done = false;
        return pump(r, f->cur.fd, UINT64_MAX, false, &f->head);
    }

    /* NAME.log is another file, or none: the writer is done with ours (it
     * renames only after its last write), so it ends where it ends now. */
    if (f->cur.fd >= 0 && !f->cur_done) {
        k = pump(r, f->cur.fd, UINT64_MAX, true, NULL);
        if (k < 0)
            return k;
        f->cur_done = true;
    }
    k = collect(f->dir_fd, f->name, f->cur.fd >= 0 ? &f->cur : NULL, &v, &n);
    if (k < 0)
        return k;
    f->head.len = 0;
    for (size_t i = 0; i < n && k >= 0; i++) {
        r->file++;
        r->off = 0;
        r->len = 0;
        k = pump(r, v[i].fd, UINT64_MAX, v[i].rotated, v[i].rotated ? NULL : &f->head);
    }
    if (k >= 0 && n > 0) {
        if (f->cur.fd >= 0)
            close(f->cur.fd);
        f->cur = v[n - 1];
        f->cur_done = f->cur.rotated;
        v[n - 1].fd = -EBADF;
    }
    srcs_free(v, n);
    return k;
}

/* Drain the inotify fd: > 0 if an event was about this log. */
static int log_changed(int ifd, const char *name, const char *base)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int changed = 0;

    for (;;) {
        ssize_t n = read(ifd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return changed;
        if (n < 0)
            return negative_errno();
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *) p;
            unsigned idx;

            /* The directory is shared with every other container's log. */
            if ((e->mask & IN_Q_OVERFLOW) ||
                (e->len > 0 &&
                 (streq(e->name, base) || logfile_rotated_index(name, e->name, &idx))))
                changed = 1;
            p += sizeof(*e) + e->len;
        }
    }
}

static int follow(struct reader *r, struct follower *f, int ifd, int sfd)
{
    int k;

    for (;;) {
        struct pollfd p[] = {
            {.fd = ifd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            /* No events asked: POLLERR alone says the reader of our pipe
             * is gone, even while nothing is written. */
            {.fd = STDOUT_FILENO, .events = 0},
        };

        k = follow_step(r, f);
        if (k < 0)
            return k;
        /* Per batch of records, before waiting: nothing read sits in the
         * buffer while we sleep. */
        if (fflush(stdout) != 0) {
            r->write_failed = true;
            return negative_errno();
        }
        k = 0;
        do {
            if (poll(p, ELEMENTSOF(p), -1) < 0) {
                if (errno == EINTR)
                    continue;
                return negative_errno();
            }
            if (p[1].revents) {
                struct signalfd_siginfo si;
                /* Taken off the queue, so it is not delivered once the
                 * mask is restored. */
                (void) !read(sfd, &si, sizeof(si));
                return 0;
            }
            if (p[2].revents & (POLLERR | POLLHUP | POLLNVAL))
                return -EPIPE;
            k = p[0].revents ? log_changed(ifd, f->name, f->base) : 0;
            if (k < 0)
                return k;
        } while (k == 0);
    }
}

/* ---- the command ---- */

static bool name_is_valid(const char *name)
{
    return name && *name && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

static int report(const struct reader *r, int k, const char *log_dir, const char *name)
{
    /* The reader of our output went away: that is how `| head` ends. */
    if (k == -EPIPE)
        return EXIT_OK;
    if (r->write_failed)
        fprintf(stderr, "corral: Failed to write the log of '%s': %s\n", name, strerror(-k));
    else
        fprintf(stderr, "corral: Failed to read the log of '%s' in %s: %s\n", name, log_dir,
                strerror(-k));
    return EXIT_FAILED;
}

static int print_log(const char *log_dir, const char *name, const struct logs_opts *o)
{
    _cleanup_close_ int dir_fd = -EBADF, ifd = -EBADF, sfd = -EBADF;
    _cleanup_(reader_done) struct reader r = {.o = o};
    struct follower f = {.name = name, .cur = {.fd = -EBADF}};
    struct pos from = {0, 0};
    struct src *files = NULL;
    size_t n = 0;
    int k;

    dir_fd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
        goto no_log;
    if (dir_fd < 0)
        return report(&r, negative_errno(), log_dir, name);

    if (o->follow) {
        sigset_t mask;

        /* Watch before the first read, so that nothing written in between
         * goes unnoticed. */
        ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd < 0 ||
            inotify_add_watch(ifd, log_dir,
                              IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE) < 0)
            return report(&r, negative_errno(), log_dir, name);
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
            return report(&r, negative_errno(), log_dir, name);
    }

    k = collect(dir_fd, name, NULL, &files, &n);
    if (k < 0)
        return report(&r, k, log_dir, name);
    if (n == 0 && !o->follow)
        goto no_log;

    if (n > 0 && (o->tail >= 0 || o->since_ns > 0))
        k = find_start(&r, files, n, &from);
    for (size_t i = from.file; i < n && k >= 0; i++) {
        r.file = i;
        r.off = i == from.file ? from.off : 0;
        r.len = 0;
        k = pump(&r, files[i].fd, files[i].end, files[i].rotated, NULL);
    }
    if (k >= 0 && o->follow && n > 0) {
        f.cur = files[n - 1];
        f.cur_done = f.cur.rotated;
        files[n - 1].fd = -EBADF;
        if (!f.cur_done)
            k = head_changed(f.cur.fd, &f.head);
    }
    srcs_free(files, n);
    if (k < 0)
        return report(&r, k, log_dir, name);

    if (o->follow) {
        f.dir_fd = dir_fd;
        if (asprintf(&f.base, "%s.log", name) < 0)
            k = -ENOMEM;
        else
            k = follow(&r, &f, ifd, sfd);
        free(f.base);
        if (f.cur.fd >= 0)
            close(f.cur.fd);
    } else {
        k = flush_pending(&r);
    }
    if (k >= 0 && fflush(stdout) != 0) {
        r.write_failed = true;
        k = negative_errno();
    }
    return k < 0 ? report(&r, k, log_dir, name) : EXIT_OK;

no_log:
    fprintf(stderr, "corral: no log for '%s' in %s\n", name, log_dir);
    return EXIT_NOT_FOUND;
}

int logs_print(const char *log_dir, const char *name, const struct logs_opts *o)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigset_t mask, old_mask;
    int ret;

    if (!name_is_valid(name)) {
        fprintf(stderr, "corral: no log for '%s' in %s\n", name ?: "", log_dir);
        return EXIT_NOT_FOUND;
    }
    /* A reader that goes away (| head) ends us through EPIPE, quietly. */
    sigaction(SIGPIPE, &ign, &old_pipe);
    /* Following ends on SIGINT/SIGTERM, read from a signalfd. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (o->follow)
        sigprocmask(SIG_BLOCK, &mask, &old_mask);

    ret = print_log(log_dir, name, o);

    if (o->follow)
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return ret;
}

/* "1h30m": parse_duration_ms's units, one after the other. */
static int parse_ago(const char *s, uint64_t *ret_ms)
{
    uint64_t total = 0;
    size_t parts = 0;

    for (const char *p = s; *p;) {
        const char *q = p;
        char part[32];
        uint64_t ms;

        while (isdigit((unsigned char) *q) || *q == '.')
            q++;
        if (q == p)
            return -EINVAL;
        if (!isalpha((unsigned char) *q) && (parts > 0 || *q))
            return -EINVAL; /* a bare number only alone: "1h30" is not clear */
        while (isalpha((unsigned char) *q))
            q++;
        if ((size_t) (q - p) >= sizeof(part))
            return -EINVAL;
        memcpy(part, p, (size_t) (q - p));
        part[q - p] = 0;
        if (parse_duration_ms(part, &ms) < 0 || ms > UINT64_MAX - total)
            return -EINVAL;
        total += ms;
        parts++;
        p = q;
    }
    if (parts == 0)
        return -EINVAL;
    *ret_ms = total;
    return 0;
}

int logs_parse_since(const char *s, uint64_t now_ns, uint64_t *ret_ns)
{
    size_t len = s ? strlen(s) : 0;
    uint64_t ms;

    if (len >= 10 && isdigit((unsigned char) s[0]) && isdigit((unsigned char) s[1]) &&
        isdigit((unsigned char) s[2]) && isdigit((unsigned char) s[3]) && s[4] == '-') {
        char day[32];

        if (len != 10)
            return logfile_parse_timestamp(s, len, ret_ns);
        /* A date alone is its first instant, in UTC like everything here. */
        snprintf(day, sizeof(day), "%.10sT00:00:00Z", s);
        return logfile_parse_timestamp(day, strlen(day), ret_ns);
    }
    if (len == 0 || parse_ago(s, &ms) < 0 || ms > UINT64_MAX / 1000000 || ms * 1000000 > now_ns)
        return -EINVAL;
    *ret_ns = now_ns - ms * 1000000;
    return 0;
}
