/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

int parse_uint64(const char *s, uint64_t *ret)
{
    char *end;
    unsigned long long v;

    if (!s || !isdigit((unsigned char) *s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* Parse "<digits>[.<digits>]<unit>" into a value scaled by the unit table. */
struct unit {
    const char *suffix;
    uint64_t factor;
};

static int parse_scaled(const char *s, const struct unit *units, size_t n_units, uint64_t *ret)
{
    char *end;
    double v;

    if (!s || !(isdigit((unsigned char) *s) || *s == '.'))
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (errno == ERANGE || end == s)
        return -EINVAL;
    for (size_t i = 0; i < n_units; i++) {
        if (strcasecmp(end, units[i].suffix) == 0) {
            double r = v * (double) units[i].factor;
            if (r >= 18446744073709551615.0)
                return -ERANGE;
            /* Fractions below the unit's resolution make no sense. */
            if (r != (double) (uint64_t) r && r < 1.0)
                return -EINVAL;
            *ret = (uint64_t) r;
            return 0;
        }
    }
    return -EINVAL;
}

int parse_duration_ms(const char *s, uint64_t *ret_ms)
{
    static const struct unit units[] = {
        {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000},
    };
    return parse_scaled(s, units, ELEMENTSOF(units), ret_ms);
}

int parse_size(const char *s, uint64_t *ret_bytes)
{
    static const struct unit units[] = {
        {"", 1},           {"b", 1},           {"k", 1ULL << 10}, {"kb", 1ULL << 10},
        {"m", 1ULL << 20}, {"mb", 1ULL << 20}, {"g", 1ULL << 30}, {"gb", 1ULL << 30},
        {"t", 1ULL << 40}, {"tb", 1ULL << 40},
    };
    return parse_scaled(s, units, ELEMENTSOF(units), ret_bytes);
}

int parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

static const char *const signal_names[] = {
    [SIGHUP] = "HUP",   [SIGINT] = "INT",       [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
    [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",   [SIGFPE] = "FPE",
    [SIGKILL] = "KILL", [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
    [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",     [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
    [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",     [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
    [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",     [SIGURG] = "URG",   [SIGXCPU] = "XCPU",
    [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
    [SIGIO] = "IO",     [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
};

int signal_from_string(const char *s)
{
    uint64_t n;

    if (parse_uint64(s, &n) == 0)
        return n >= 1 && n < (uint64_t) NSIG ? (int) n : -EINVAL;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 1; i < ELEMENTSOF(signal_names); i++)
        if (signal_names[i] && strcasecmp(s, signal_names[i]) == 0)
            return (int) i;
    return -EINVAL;
}

const char *signal_to_string(int sig)
{
    static const char *const full[] = {
#define S(x) [SIG##x] = "SIG" #x
        S(HUP),  S(INT),    S(QUIT), S(ILL),   S(TRAP), S(ABRT), S(BUS),  S(FPE),
        S(KILL), S(USR1),   S(SEGV), S(USR2),  S(PIPE), S(ALRM), S(TERM), S(STKFLT),
        S(CHLD), S(CONT),   S(STOP), S(TSTP),  S(TTIN), S(TTOU), S(URG),  S(XCPU),
        S(XFSZ), S(VTALRM), S(PROF), S(WINCH), S(IO),   S(PWR),  S(SYS),
#undef S
    };
    if (sig > 0 && (size_t) sig < ELEMENTSOF(full) && full[sig])
        return full[sig];
    return "SIG?";
}

size_t strv_length(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int strv_push(char ***v, char *s)
{
    size_t n = strv_length(*v);
    char **nv = realloc(*v, (n + 2) * sizeof(char *));
    if (!nv)
        return -ENOMEM;
    nv[n] = s;
    nv[n + 1] = NULL;
    *v = nv;
    return 0;
}

char **strv_copy(char *const *v)
{
    size_t n = strv_length(v);
    char **c = calloc(n + 1, sizeof(char *));
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        c[i] = strdup(v[i]);
        if (!c[i]) {
            strv_free(c);
            return NULL;
        }
    }
    return c;
}

static uint64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

uint64_t now_realtime_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

uint64_t now_monotonic_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

void format_duration(uint64_t ms, char *buf, size_t len)
{
    uint64_t s = ms / 1000;

    if (s >= 86400)
        snprintf(buf, len, "%" PRIu64 "d%" PRIu64 "h", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(buf, len, "%" PRIu64 "h%" PRIu64 "m", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, len, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
    else if (s >= 10)
        snprintf(buf, len, "%" PRIu64 "s", s);
    else if (ms >= 1000)
        snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
    else
        snprintf(buf, len, "%" PRIu64 "ms", ms);
}

void format_ipv4(uint32_t a, char buf[static 16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char units[] = "KMGTP";
    double v = (double) bytes;
    int u = -1;

    while (v >= 1024 && u < (int) sizeof(units) - 2) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, len, "%" PRIu64 "B", bytes);
    else
        snprintf(buf, len, "%.1f%c", v, units[u]);
}

char *path_join(const char *a, const char *b)
{
    char *r;
    size_t la = strlen(a);

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (asprintf(&r, "%.*s%s%s", (int) la, a, (la == 1 && a[0] == '/') ? "" : "/", b) < 0)
        return NULL;
    return r;
}

int mkdir_p(const char *path, mode_t mode)
{
    _cleanup_free_ char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return negative_errno();
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return negative_errno();
    return 0;
}

int write_file_atomic(const char *path, const char *content, mode_t mode)
{
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = -EBADF;
    size_t len = strlen(content), off = 0;

    if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
        return -ENOMEM;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return negative_errno();
    while (off < len) {
        ssize_t n = write(fd, content + off, len - off);
        if (n < 0) {
            int r = negative_errno();
            unlink(tmp);
            return r;
        }
        off += (size_t) n;
    }
    if (rename(tmp, path) < 0) {
        int r = negative_errno();
        unlink(tmp);
        return r;
    }
    return 0;
}

int write_file_in_place(const char *path, const char *content, mode_t mode)
{
    _cleanup_free_ char *old = NULL;
    _cleanup_close_ int fd = -EBADF;
    size_t len = strlen(content), off = 0;

    if (read_file(path, &old, len + 1) >= 0 && streq(old, content))
        return 0;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return negative_errno();
    while (off < len) {
        ssize_t n = write(fd, content + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return negative_errno();
        off += (size_t) n;
    }
    return 1;
}

int read_file(const char *path, char **ret, size_t max)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;

    if (fd < 0)
        return negative_errno();
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *nb;
            if (ncap > max + 1)
                ncap = max + 1;
            if (len + 1 >= ncap)
                return -EFBIG;
            nb = realloc(buf, ncap);
            if (!nb)
                return -ENOMEM;
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return negative_errno();
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    buf[len] = 0;
    *ret = TAKE_PTR(buf);
    return (int) len;
}
