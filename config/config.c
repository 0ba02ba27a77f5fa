/* SPDX-License-Identifier: MIT */
/* The INI configuration.
 *
 * Two passes. inih walks the file and we only collect raw strings per
 * section, with their line numbers; validation and defaults come after the
 * whole file has been read, because one section's defaults depend on
 * another wherever it appears (a container's stop_timeout defaults to
 * [supervisor]'s even when [supervisor] comes last). Every problem is
 * collected, sorted by line and handed back at once, so a user fixes a file
 * in one round instead of one error per run.
 *
 * Lines. We feed inih through our own reader, which is where the line
 * numbers come from (inih calls the handler for the line it read last) and
 * where every raw line is checked, because inih reports only its first
 * syntax error. A line the reader rejects is handed on as an empty line.
 * The reader also strips indentation: inih would otherwise take an
 * indented line as the continuation of the previous key, and an indented
 * "key = value" below another key would silently become part of that
 * key's value. We also track the current section ourselves: inih cuts
 * section names at 49 bytes, shorter than "container " plus a 63-byte name.
 *
 * command accepts two forms:
 *   1. A JSON array of strings, when the value starts with '[':
 *        command = ["/bin/sh", "-c", "echo hi; exit 3"]
 *      It must be a non-empty array of non-empty strings.
 *   2. Otherwise shell-like words:
 *        command = /bin/sh -c 'echo hi; exit 3'
 *      Words are split on whitespace. '...' is literal; inside "..." a
 *      backslash escapes only " \ $ and ` (and is kept before anything
 *      else); outside quotes a backslash makes the next character literal.
 *      There is no variable expansion, globbing, comment or operator: $HOME,
 *      *, #, | and ; are ordinary characters. An unterminated quote, a
 *      trailing backslash and an empty word ('' or "") are errors; empty
 *      words are refused so that both forms accept the same argv and the
 *      dump, which writes form 1, round-trips.
 *   In both forms inih has already cut the value at a ';' that follows
 *   whitespace (an inline comment), so write "a;b", not "a ;b".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <jansson.h>

#include "macro.h"
#include "util.h"

/* A corral.ini is a few kilobytes; refuse to slurp anything absurd. */
#define CONFIG_FILE_MAX (1024 * 1024)

enum section_kind {
    SECTION_SUPERVISOR,
    SECTION_NETWORK,
    SECTION_CONTAINER,
    _SECTION_KIND_MAX,
};

enum {
    SUP_STATE_DIR,
    SUP_RUN_DIR,
    SUP_LOG_DIR,
    SUP_CGROUP_PARENT,
    SUP_STOP_TIMEOUT,
    SUP_PAUSE_TIMEOUT,
    SUP_RESTART,
    SUP_RESTART_MAX,
    SUP_RESTART_DELAY,
    SUP_RESTART_DELAY_MAX,
    SUP_RESTART_RESET_AFTER,
    SUP_START_GRACE,
    SUP_LOG_MAX_SIZE,
    SUP_LOG_MAX_FILES,
    SUP_USERNS_POOL,
    _SUP_KEY_MAX,
};
enum { NET_BRIDGE, NET_SUBNET, NET_GATEWAY, NET_NAT, NET_ICC, NET_DNS, _NET_KEY_MAX };
enum {
    CTR_ROOTFS,
    CTR_IMAGE,
    CTR_ROOTFS_MODE,
    CTR_EPHEMERAL,
    CTR_VOLUME,
    CTR_TMPFS,
    CTR_COMMAND,
    CTR_HOSTNAME,
    CTR_ENV,
    CTR_WORKDIR,
    CTR_STOP_SIGNAL,
    CTR_STOP_TIMEOUT,
    CTR_PAUSE_TIMEOUT,
    CTR_MEMORY,
    CTR_MEMORY_SWAP,
    CTR_CPUS,
    CTR_CPU_WEIGHT,
    CTR_CPUSET_CPUS,
    CTR_CPUSET_MEMS,
    CTR_IO_WEIGHT,
    CTR_PIDS,
    CTR_RESTART,
    CTR_RESTART_MAX,
    CTR_RESTART_DELAY,
    CTR_RESTART_DELAY_MAX,
    CTR_RESTART_RESET_AFTER,
    CTR_START_GRACE,
    CTR_SUCCESS_EXIT_CODES,
    CTR_DEPENDS_ON,
    CTR_LOG_MAX_SIZE,
    CTR_LOG_MAX_FILES,
    CTR_NETWORK,
    CTR_IP,
    CTR_MAC,
    CTR_PUBLISH,
    CTR_CONNECT,
    CTR_CAP_ADD,
    CTR_CAP_DROP,
    CTR_SECCOMP,
    CTR_NO_NEW_PRIVILEGES,
    CTR_MASK_PATHS,
    CTR_READONLY_ROOTFS,
    /* rlimit_NAME, one key each, in the order of rlimit_resources[]. */
    CTR_RLIMIT_AS,
    CTR_RLIMIT_CORE,
    CTR_RLIMIT_CPU,
    CTR_RLIMIT_DATA,
    CTR_RLIMIT_FSIZE,
    CTR_RLIMIT_LOCKS,
    CTR_RLIMIT_MEMLOCK,
    CTR_RLIMIT_MSGQUEUE,
    CTR_RLIMIT_NICE,
    CTR_RLIMIT_NOFILE,
    CTR_RLIMIT_NPROC,
    CTR_RLIMIT_RSS,
    CTR_RLIMIT_RTPRIO,
    CTR_RLIMIT_RTTIME,
    CTR_RLIMIT_SIGPENDING,
    CTR_RLIMIT_STACK,
    CTR_USERNS,
    CTR_UID_MAP,
    CTR_GID_MAP,
    _CTR_KEY_MAX,
};
#define N_RLIMITS (CTR_RLIMIT_STACK - CTR_RLIMIT_AS + 1)
/* The longest list plus its NULL. */
#define KEYS_MAX (_CTR_KEY_MAX + 1)
_Static_assert(_SUP_KEY_MAX < KEYS_MAX && _NET_KEY_MAX < KEYS_MAX, "KEYS_MAX too small");

/* NULL-terminated, in the order the messages and the dump list them. */
static const char *const section_keys[_SECTION_KIND_MAX][KEYS_MAX] = {
    [SECTION_SUPERVISOR] =
        {
            [SUP_STATE_DIR] = "state_dir",
            [SUP_RUN_DIR] = "run_dir",
            [SUP_LOG_DIR] = "log_dir",
            [SUP_CGROUP_PARENT] = "cgroup_parent",
            [SUP_STOP_TIMEOUT] = "stop_timeout",
            [SUP_PAUSE_TIMEOUT] = "pause_timeout",
            [SUP_RESTART] = "restart",
            [SUP_RESTART_MAX] = "restart_max",
            [SUP_RESTART_DELAY] = "restart_delay",
            [SUP_RESTART_DELAY_MAX] = "restart_delay_max",
            [SUP_RESTART_RESET_AFTER] = "restart_reset_after",
            [SUP_START_GRACE] = "start_grace",
            [SUP_LOG_MAX_SIZE] = "log_max_size",
            [SUP_LOG_MAX_FILES] = "log_max_files",
            [SUP_USERNS_POOL] = "userns_pool",
        },
    [SECTION_NETWORK] =
        {
            [NET_BRIDGE] = "bridge",
            [NET_SUBNET] = "subnet",
            [NET_GATEWAY] = "gateway",
            [NET_NAT] = "nat",
            [NET_ICC] = "icc",
            [NET_DNS] = "dns",
        },
    [SECTION_CONTAINER] =
        {
            [CTR_ROOTFS] = "rootfs",
            [CTR_IMAGE] = "image",
            [CTR_ROOTFS_MODE] = "rootfs_mode",
            [CTR_EPHEMERAL] = "ephemeral",
            [CTR_VOLUME] = "volume",
            [CTR_TMPFS] = "tmpfs",
            [CTR_COMMAND] = "command",
            [CTR_HOSTNAME] = "hostname",
            [CTR_ENV] = "env",
            [CTR_WORKDIR] = "workdir",
            [CTR_STOP_SIGNAL] = "stop_signal",
            [CTR_STOP_TIMEOUT] = "stop_timeout",
            [CTR_PAUSE_TIMEOUT] = "pause_timeout",
            [CTR_MEMORY] = "memory",
            [CTR_MEMORY_SWAP] = "memory_swap",
            [CTR_CPUS] = "cpus",
            [CTR_CPU_WEIGHT] = "cpu_weight",
            [CTR_CPUSET_CPUS] = "cpuset_cpus",
            [CTR_CPUSET_MEMS] = "cpuset_mems",
            [CTR_IO_WEIGHT] = "io_weight",
            [CTR_PIDS] = "pids",
            [CTR_RESTART] = "restart",
            [CTR_RESTART_MAX] = "restart_max",
            [CTR_RESTART_DELAY] = "restart_delay",
            [CTR_RESTART_DELAY_MAX] = "restart_delay_max",
            [CTR_RESTART_RESET_AFTER] = "restart_reset_after",
            [CTR_START_GRACE] = "start_grace",
            [CTR_SUCCESS_EXIT_CODES] = "success_exit_codes",
            [CTR_DEPENDS_ON] = "depends_on",
            [CTR_LOG_MAX_SIZE] = "log_max_size",
            [CTR_LOG_MAX_FILES] = "log_max_files",
            [CTR_NETWORK] = "network",
            [CTR_IP] = "ip",
            [CTR_MAC] = "mac",
            [CTR_PUBLISH] = "publish",
            [CTR_CONNECT] = "connect",
            [CTR_CAP_ADD] = "cap_add",
            [CTR_CAP_DROP] = "cap_drop",
            [CTR_SECCOMP] = "seccomp",
            [CTR_NO_NEW_PRIVILEGES] = "no_new_privileges",
            [CTR_MASK_PATHS] = "mask_paths",
            [CTR_READONLY_ROOTFS] = "readonly_rootfs",
            [CTR_RLIMIT_AS] = "rlimit_as",
            [CTR_RLIMIT_CORE] = "rlimit_core",
            [CTR_RLIMIT_CPU] = "rlimit_cpu",
            [CTR_RLIMIT_DATA] = "rlimit_data",
            [CTR_RLIMIT_FSIZE] = "rlimit_fsize",
            [CTR_RLIMIT_LOCKS] = "rlimit_locks",
            [CTR_RLIMIT_MEMLOCK] = "rlimit_memlock",
            [CTR_RLIMIT_MSGQUEUE] = "rlimit_msgqueue",
            [CTR_RLIMIT_NICE] = "rlimit_nice",
            [CTR_RLIMIT_NOFILE] = "rlimit_nofile",
            [CTR_RLIMIT_NPROC] = "rlimit_nproc",
            [CTR_RLIMIT_RSS] = "rlimit_rss",
            [CTR_RLIMIT_RTPRIO] = "rlimit_rtprio",
            [CTR_RLIMIT_RTTIME] = "rlimit_rttime",
            [CTR_RLIMIT_SIGPENDING] = "rlimit_sigpending",
            [CTR_RLIMIT_STACK] = "rlimit_stack",
            [CTR_USERNS] = "userns",
            [CTR_UID_MAP] = "uid_map",
            [CTR_GID_MAP] = "gid_map",
        },
};

/* The resource of each rlimit_NAME key, from CTR_RLIMIT_AS on. */
static const int rlimit_resources[] = {
    RLIMIT_AS,      RLIMIT_CORE,     RLIMIT_CPU,        RLIMIT_DATA,   RLIMIT_FSIZE, RLIMIT_LOCKS,
    RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE,       RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS,
    RLIMIT_RTPRIO,  RLIMIT_RTTIME,   RLIMIT_SIGPENDING, RLIMIT_STACK,
};
_Static_assert(ELEMENTSOF(rlimit_resources) == N_RLIMITS, "one resource per rlimit_ key");

#define SECTIONS_EXPECTED "expected [supervisor], [network] or [container NAME]"
#define DURATION_EXPECTED "expected e.g. 10s, 500ms, 2m"
#define BOOL_EXPECTED "expected yes/no, true/false, on/off or 1/0"
#define HOSTNAME_EXPECTED                                                                          \
    "expected at most 63 characters: labels of letters, digits and '-' separated by '.', "         \
    "not starting or ending with '-'"
#define JSON_EXPECTED                                                                              \
    "expected a non-empty array of non-empty strings, e.g. [\"/bin/sh\", \"-c\", \"echo hi\"]"
#define SIZE_EXPECTED "expected e.g. 256M, 1G, 512K"
#define CPU_LIST_EXPECTED                                                                          \
    "expected numbers below 4096 or ascending ranges, separated by commas, e.g. 0-3,5"

/* Resource limits. cgroup v2 takes a memory.max of a few pages, but then the
 * OOM killer ends the container before it does anything; refuse such values
 * here rather than leave the user puzzling over an OOM kill. */
#define MEMORY_MIN (UINT64_C(4) << 20)
#define CPUS_MAX 1024
/* cpu.max needs a quota of at least 1 ms; with the 100 ms period corral
 * uses, that is 0.01 CPU. Refusing less here beats failing at start. */
#define CPU_MILLIS_MIN 10
#define WEIGHT_MAX 10000
/* The kernel's PID_MAX_LIMIT on 64-bit: pids.max refuses anything above. */
#define PIDS_MAX 4194304
#define CPUSET_MAX 4096
#define RESTART_MAX_MAX 1000000
#define LOG_MAX_SIZE_MIN 4096
#define LOG_MAX_FILES_MAX 1000
#define RESTART_EXPECTED "expected no, always, on-failure, on-failure:N or unless-stopped"

/* User namespaces. The pool is cut into ranges of 65536 ids, the whole
 * 16-bit space a distribution's images use, one per container with
 * userns = yes. The last host id is 4294967294: (uid_t) -1 is the
 * kernel's INVALID_UID (setresuid() and chown() read it as "leave
 * unchanged"), so a range must end below it. Id 0 is the host's root,
 * which no range may hand out. */
#define USERNS_RANGE UINT32_C(65536)
#define USERNS_POOL_START UINT32_C(100000)
#define USERNS_POOL_COUNT (100 * USERNS_RANGE)
#define USERNS_POOL_EXPECTED "expected START:COUNT, e.g. 100000:6553600"
#define USERNS_EXPECTED "expected no, yes or HOSTID:COUNT, e.g. 1000000:65536"

/* The keys the restart and log settings have in a section kind: the same
 * names in [supervisor] (defaults) and [container NAME] (overrides). */
struct policy_keys {
    int restart, max, delay, delay_max, reset_after, start_grace, log_max_size, log_max_files;
};
static const struct policy_keys sup_policy_keys = {
    SUP_RESTART,           SUP_RESTART_MAX,         SUP_RESTART_DELAY,
    SUP_RESTART_DELAY_MAX, SUP_RESTART_RESET_AFTER, SUP_START_GRACE,
    SUP_LOG_MAX_SIZE,      SUP_LOG_MAX_FILES,
};
static const struct policy_keys ctr_policy_keys = {
    CTR_RESTART,           CTR_RESTART_MAX,         CTR_RESTART_DELAY,
    CTR_RESTART_DELAY_MAX, CTR_RESTART_RESET_AFTER, CTR_START_GRACE,
    CTR_LOG_MAX_SIZE,      CTR_LOG_MAX_FILES,
};

static const char *const restart_policy_names[_RESTART_POLICY_MAX] = {
    [RESTART_NO] = "no",
    [RESTART_ALWAYS] = "always",
    [RESTART_ON_FAILURE] = "on-failure",
    [RESTART_UNLESS_STOPPED] = "unless-stopped",
};

const char *restart_policy_to_string(enum restart_policy p)
{
    return p < _RESTART_POLICY_MAX ? restart_policy_names[p] : "unknown";
}

static const char *const rootfs_mode_names[] = {
    [ROOTFS_OVERLAY] = "overlay",
    [ROOTFS_BIND] = "bind",
    [ROOTFS_COPY] = "copy",
};

const char *rootfs_mode_to_string(enum rootfs_mode m)
{
    return (size_t) m < ELEMENTSOF(rootfs_mode_names) ? rootfs_mode_names[m] : "unknown";
}

static const char *const default_path_env =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct raw_value {
    char *value;
    unsigned line;
};

struct raw_section {
    enum section_kind kind;
    char *title; /* "container web": what messages show between brackets */
    char *name;  /* the container's name */
    unsigned line;
    /* The header was already reported (a duplicate or a bad name): its keys
     * are still checked, so that all problems show, but it is dropped. */
    bool discard;
    struct raw_value values[KEYS_MAX];
    /* The repeatable keys (see raw_list()): every line, in file order. */
    struct raw_value *env;
    size_t n_env;
    struct raw_value *publish;
    size_t n_publish;
    struct raw_value *volume;
    size_t n_volume;
    struct raw_value *tmpfs;
    size_t n_tmpfs;
};

struct diag_entry {
    unsigned line;
    size_t seq;
    char *text;
};

struct diag_list {
    const char *file;
    struct diag_entry *entries;
    size_t n;
    bool oom;
};

struct parser {
    const char *name; /* the file as given: messages and relative paths */
    const char *text;
    size_t len, pos;
    unsigned lineno; /* the line read last, i.e. the one inih is handling */
    struct raw_section **sections;
    size_t n_sections;
    struct raw_section *cur; /* NULL: no section yet, or one we ignore */
    bool seen_header;
    char *base_dir; /* resolved lazily: only relative paths need getcwd() */
    struct diag_list diags;
};

_printf_(5, 0) static void diag_addv(struct diag_list *l, unsigned line, const char *title,
                                     const char *key, const char *fmt, va_list ap)
{
    _cleanup_free_ char *problem = NULL;
    char *text;
    char where[16] = "";
    struct diag_entry *n;

    if (vasprintf(&problem, fmt, ap) < 0)
        goto oom;
    if (line > 0)
        snprintf(where, sizeof(where), ":%u", line);
    if (asprintf(&text, "%s%s: %s%s%s%s%s%s%s", l->file, where, title ? "[" : "", title ?: "",
                 title ? "]" : "", title && key ? " " : "", key ?: "", title || key ? ": " : "",
                 problem) < 0)
        goto oom;
    n = realloc(l->entries, (l->n + 1) * sizeof(*n));
    if (!n) {
        free(text);
        goto oom;
    }
    l->entries = n;
    l->entries[l->n] = (struct diag_entry){.line = line, .seq = l->n, .text = text};
    l->n++;
    return;
oom:
    l->oom = true;
}

_printf_(5, 6) static void diag_add(struct diag_list *l, unsigned line, const char *title,
                                    const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_addv(l, line, title, key, fmt, ap);
    va_end(ap);
}

/* A problem with a key of section s (or with s itself if key < 0). */
_printf_(5, 6) static void section_error(struct parser *p, const struct raw_section *s,
                                         unsigned line, int key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_addv(&p->diags, line, s->title, key >= 0 ? section_keys[s->kind][key] : NULL, fmt, ap);
    va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
    const struct diag_entry *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void diag_list_done(struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->entries[i].text);
    free(l->entries);
    l->entries = NULL;
    l->n = 0;
}

/* Sort by line (messages were found in two passes) and append to out. */
static int diag_list_flush(struct diag_list *l, struct config_diag *out)
{
    char **lines;

    if (l->oom)
        return -ENOMEM;
    if (!out || l->n == 0)
        return 0;
    qsort(l->entries, l->n, sizeof(*l->entries), diag_cmp);
    lines = realloc(out->lines, (out->n + l->n + 1) * sizeof(char *));
    if (!lines)
        return -ENOMEM;
    out->lines = lines;
    for (size_t i = 0; i < l->n; i++)
        out->lines[out->n++] = TAKE_PTR(l->entries[i].text);
    out->lines[out->n] = NULL;
    return 0;
}

static void raw_section_free(struct raw_section *s)
{
    if (!s)
        return;
    free(s->title);
    free(s->name);
    for (size_t i = 0; i < KEYS_MAX; i++)
        free(s->values[i].value);
    for (size_t i = 0; i < s->n_env; i++)
        free(s->env[i].value);
    free(s->env);
    for (size_t i = 0; i < s->n_publish; i++)
        free(s->publish[i].value);
    free(s->publish);
    for (size_t i = 0; i < s->n_volume; i++)
        free(s->volume[i].value);
    free(s->volume);
    for (size_t i = 0; i < s->n_tmpfs; i++)
        free(s->tmpfs[i].value);
    free(s->tmpfs);
    free(s);
}

static void parser_done(struct parser *p)
{
    for (size_t i = 0; i < p->n_sections; i++)
        raw_section_free(p->sections[i]);
    free(p->sections);
    free(p->base_dir);
    diag_list_done(&p->diags);
}

static const struct raw_section *find_section(const struct parser *p, enum section_kind kind,
                                              const char *name)
{
    for (size_t i = 0; i < p->n_sections; i++) {
        const struct raw_section *s = p->sections[i];
        if (s->kind == kind && !s->discard && (!name || streq(s->name, name)))
            return s;
    }
    return NULL;
}

static struct raw_section *new_section(struct parser *p, enum section_kind kind, const char *title,
                                       const char *name)
{
    struct raw_section *s, **n;

    s = calloc(1, sizeof(*s));
    if (!s)
        goto oom;
    s->kind = kind;
    s->line = p->lineno;
    s->title = strdup(title);
    s->name = name ? strdup(name) : NULL;
    if (!s->title || (name && !s->name))
        goto oom;
    n = realloc(p->sections, (p->n_sections + 1) * sizeof(*n));
    if (!n)
        goto oom;
    p->sections = n;
    p->sections[p->n_sections++] = s;
    return s;
oom:
    raw_section_free(s);
    p->diags.oom = true;
    return NULL;
}

/* header is the text between the brackets. */
static void open_section(struct parser *p, const char *header)
{
    _cleanup_free_ char *title = NULL, *name = NULL;
    const char *kind_word = NULL, *h = header;
    const struct raw_section *first;
    struct raw_section *s;
    enum section_kind kind;
    size_t n_words = 0, len = 0;

    p->cur = NULL;
    p->seen_header = true;

    /* The canonical title has its words separated by one space. */
    title = malloc(strlen(header) + 1);
    if (!title) {
        p->diags.oom = true;
        return;
    }
    for (;;) {
        size_t w;

        while (isspace((unsigned char) *h))
            h++;
        if (!*h)
            break;
        w = strcspn(h, " \t\v\f\r");
        if (len > 0)
            title[len++] = ' ';
        if (n_words == 0)
            kind_word = title + len;
        else if (n_words == 1 && !(name = strndup(h, w))) {
            p->diags.oom = true;
            return;
        }
        memcpy(title + len, h, w);
        len += w;
        h += w;
        n_words++;
    }
    title[len] = '\0';

    if (streq(title, "supervisor"))
        kind = SECTION_SUPERVISOR;
    else if (streq(title, "network"))
        kind = SECTION_NETWORK;
    else if (kind_word && strncmp(kind_word, "container", 9) == 0 &&
             (kind_word[9] == '\0' || kind_word[9] == ' '))
        kind = SECTION_CONTAINER;
    else {
        diag_add(&p->diags, p->lineno, title, NULL, "unknown section (" SECTIONS_EXPECTED ")");
        return;
    }

    if (kind != SECTION_CONTAINER) {
        first = find_section(p, kind, NULL);
        s = new_section(p, kind, title, NULL);
        if (s && first) {
            diag_add(&p->diags, p->lineno, title, NULL, "duplicate section (first at line %u)",
                     first->line);
            s->discard = true;
        }
        p->cur = s;
        return;
    }

    if (n_words == 1) {
        diag_add(&p->diags, p->lineno, title, NULL,
                 "missing container name (expected [container NAME])");
        return;
    }
    if (n_words > 2) {
        diag_add(&p->diags, p->lineno, title, NULL,
                 "more than one container name (expected [container NAME])");
        return;
    }
    first = find_section(p, kind, name);
    s = new_section(p, kind, title, name);
    if (!s)
        return;
    if (!config_name_is_valid(name)) {
        diag_add(&p->diags, p->lineno, title, NULL,
                 "invalid container name '%s' (expected 1 to %d characters of a-z, 0-9, '_', "
                 "'.' or '-', starting with a letter or digit)",
                 name, CONFIG_NAME_MAX);
        s->discard = true;
    } else if (first) {
        diag_add(&p->diags, p->lineno, title, NULL, "duplicate container '%s' (first at line %u)",
                 name, first->line);
        s->discard = true;
    }
    p->cur = s;
}

/* inih's find_chars_or_comment(): the first of chars, or a ';' that follows
 * whitespace (an inline comment), or the end. */
static const char *find_delim(const char *s, const char *chars)
{
    bool was_space = false;

    while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char) *s);
        s++;
    }
    return s;
}

/* Classify a line (indentation already gone) the way inih will, and accept
 * only what inih parses without complaint. Opens sections as they come. */
static bool check_line(struct parser *p, const char *s)
{
    const char *end;

    if (*s == '\0' || *s == ';' || *s == '#')
        return true;

    if (*s == '[') {
        _cleanup_free_ char *header = NULL;
        const char *rest = NULL;

        end = find_delim(s + 1, "]");
        if (*end == ']') {
            rest = end + 1;
            while (isspace((unsigned char) *rest))
                rest++;
        }
        /* inih ignores whatever follows ']'; we allow only a comment. */
        if (!rest || (*rest && *rest != ';' && *rest != '#')) {
            /* Keep the keys below a broken header out of the previous section. */
            p->cur = NULL;
            p->seen_header = true;
            return false;
        }
        header = strndup(s + 1, (size_t) (end - s - 1));
        if (!header) {
            p->diags.oom = true;
            return false;
        }
        open_section(p, header);
        return true;
    }

    end = find_delim(s, "=:");
    /* s starts with a non-space, so end > s means a non-empty key. */
    return (*end == '=' || *end == ':') && end > s;
}

static char *read_line(char *str, int num, void *stream)
{
    struct parser *p = stream;
    const char *line, *nl;
    size_t n, max;

    if (p->pos >= p->len)
        return NULL;
    line = p->text + p->pos;
    nl = memchr(line, '\n', p->len - p->pos);
    n = nl ? (size_t) (nl - line) : p->len - p->pos;
    p->pos += n + (nl ? 1 : 0);
    p->lineno++;
    str[0] = '\0';
    if (num < 2)
        return str;
    max = (size_t) num - 1;

    /* A UTF-8 BOM from a Windows editor is not part of the first line. */
    if (p->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
        line += 3;
        n -= 3;
    }
    if (n > 0 && line[n - 1] == '\r')
        n--;

    if (n > max) {
        size_t i = 0;
        diag_add(&p->diags, p->lineno, NULL, NULL, "line too long (at most %zu characters)", max);
        while (i < n && isspace((unsigned char) line[i]))
            i++;
        if (i < n && line[i] == '[') {
            p->cur = NULL;
            p->seen_header = true;
        }
        return str;
    }
    while (n > 0 && isspace((unsigned char) *line)) {
        line++;
        n--;
    }
    memcpy(str, line, n);
    str[n] = '\0';
    /* strlen() < n: a NUL byte in the line, which inih would cut at. */
    if (strlen(str) < n || !check_line(p, str)) {
        diag_add(&p->diags, p->lineno, NULL, NULL,
                 "syntax error: expected '[section]' or 'key = value'");
        str[0] = '\0';
    }
    return str;
}

static int key_index(enum section_kind kind, const char *name)
{
    for (int i = 0; i < KEYS_MAX && section_keys[kind][i]; i++)
        if (streq(section_keys[kind][i], name))
            return i;
    return -1;
}

static bool is_rlimit_key(enum section_kind kind, int key)
{
    return kind == SECTION_CONTAINER && key >= CTR_RLIMIT_AS && key <= CTR_RLIMIT_STACK;
}

static void unknown_key(struct parser *p, const struct raw_section *s, const char *name)
{
    static const char rlimit_prefix[] = "rlimit_";
    char list[1024] = "";
    size_t len = 0;

    /* Sixteen rlimit_ keys would drown the others: they are one entry in
     * the list, and a misspelt one gets the list of resources instead. */
    if (s->kind == SECTION_CONTAINER && strncmp(name, rlimit_prefix, strlen(rlimit_prefix)) == 0) {
        for (int i = CTR_RLIMIT_AS; i <= CTR_RLIMIT_STACK; i++)
            len += (size_t) snprintf(list + len, sizeof(list) - len, "%s%s",
                                     i > CTR_RLIMIT_AS ? ", " : "",
                                     section_keys[s->kind][i] + strlen(rlimit_prefix));
        diag_add(&p->diags, p->lineno, s->title, name,
                 "unknown resource limit (expected rlimit_ followed by one of: %s)", list);
        return;
    }
    for (int i = 0; i < KEYS_MAX && section_keys[s->kind][i]; i++) {
        if (is_rlimit_key(s->kind, i) && i > CTR_RLIMIT_AS)
            continue;
        len +=
            (size_t) snprintf(list + len, sizeof(list) - len, "%s%s", i > 0 ? ", " : "",
                              is_rlimit_key(s->kind, i) ? "rlimit_NAME" : section_keys[s->kind][i]);
    }
    diag_add(&p->diags, p->lineno, s->title, name, "unknown key (expected one of: %s)", list);
}

/* The keys that may be given more than once, each line adding an entry:
 * their lists in s, or false for a key that is set once. */
static bool raw_list(struct raw_section *s, int key, struct raw_value ***ret_list, size_t **ret_n)
{
    if (s->kind != SECTION_CONTAINER)
        return false;
    if (key == CTR_ENV) {
        *ret_list = &s->env;
        *ret_n = &s->n_env;
        return true;
    }
    if (key == CTR_PUBLISH) {
        *ret_list = &s->publish;
        *ret_n = &s->n_publish;
        return true;
    }
    if (key == CTR_VOLUME) {
        *ret_list = &s->volume;
        *ret_n = &s->n_volume;
        return true;
    }
    if (key == CTR_TMPFS) {
        *ret_list = &s->tmpfs;
        *ret_n = &s->n_tmpfs;
        return true;
    }
    return false;
}

/* inih's callback. section is ignored: see the top of the file. */
static int handle_key(void *user, const char *section, const char *name, const char *value)
{
    struct parser *p = user;
    struct raw_section *s = p->cur;
    struct raw_value v = {.line = p->lineno}, **list = NULL;
    size_t *n_list = NULL;
    bool repeatable;
    int i;

    if (!s) {
        if (!p->seen_header)
            diag_add(&p->diags, p->lineno, NULL, name,
                     "key outside of any section (" SECTIONS_EXPECTED " above it)");
        return 1;
    }
    i = key_index(s->kind, name);
    if (i < 0) {
        unknown_key(p, s, name);
        return 1;
    }
    repeatable = raw_list(s, i, &list, &n_list);
    if (!repeatable && s->values[i].value) {
        section_error(p, s, p->lineno, i, "duplicate key (first at line %u)", s->values[i].line);
        return 1;
    }
    v.value = strdup(value);
    if (!v.value) {
        p->diags.oom = true;
        return 1;
    }
    if (repeatable) {
        struct raw_value *n = realloc(*list, (*n_list + 1) * sizeof(*n));
        if (!n) {
            free(v.value);
            p->diags.oom = true;
            return 1;
        }
        *list = n;
        n[(*n_list)++] = v;
    } else
        s->values[i] = v;
    return 1;
}

static bool ascii_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const struct raw_value *raw_get(const struct raw_section *s, int key)
{
    return s && s->values[key].value ? &s->values[key] : NULL;
}

/* Lexical clean-up: no duplicate or trailing slashes, no "." components.
 * ".." stays: resolving it lexically would be wrong across symlinks. */
static char *normalize_path(const char *path)
{
    bool absolute = path[0] == '/';
    char *r = malloc(strlen(path) + 2), *o = r;

    if (!r)
        return NULL;
    for (const char *s = path;;) {
        const char *e;
        while (*s == '/')
            s++;
        if (!*s)
            break;
        e = strchrnul(s, '/');
        if (!(e - s == 1 && s[0] == '.')) {
            if (o > r || absolute)
                *o++ = '/';
            memcpy(o, s, (size_t) (e - s));
            o += e - s;
        }
        s = e;
    }
    if (o == r)
        *o++ = absolute ? '/' : '.';
    *o = '\0';
    return r;
}

/* The directory relative paths are resolved against: the INI file's, as
 * docker compose does, so a config and its rootfs can move together. */
static int get_base_dir(struct parser *p, const char **ret)
{
    if (!p->base_dir) {
        const char *slash = strrchr(p->name, '/');
        _cleanup_free_ char *dir = NULL;

        if (slash) {
            dir = slash == p->name ? strdup("/") : strndup(p->name, (size_t) (slash - p->name));
            if (!dir)
                return -ENOMEM;
        }
        if (!dir || dir[0] != '/') {
            _cleanup_free_ char *cwd = getcwd(NULL, 0);
            char *joined;
            if (!cwd)
                return negative_errno();
            joined = dir ? path_join(cwd, dir) : strdup(cwd);
            if (!joined)
                return -ENOMEM;
            free(dir);
            dir = joined;
        }
        p->base_dir = TAKE_PTR(dir);
    }
    *ret = p->base_dir;
    return 0;
}

/* A path on line; relative ones are resolved against the INI's directory.
 * what tells an empty value what is expected, e.g. "a directory, e.g.
 * /srv/web". *ret is replaced only on success; -ENOMEM is the only error
 * returned, the others are reported. */
static int resolve_path(struct parser *p, const struct raw_section *s, int key, unsigned line,
                        const char *value, const char *what, char **ret)
{
    _cleanup_free_ char *joined = NULL;
    const char *base;
    char *r;
    int k;

    if (!*value) {
        section_error(p, s, line, key, "empty path (expected %s)", what);
        return 0;
    }
    if (value[0] != '/') {
        k = get_base_dir(p, &base);
        if (k == -ENOMEM)
            return k;
        if (k < 0) {
            section_error(p, s, line, key, "cannot resolve relative path '%s': %s", value,
                          strerror(-k));
            return 0;
        }
        joined = path_join(base, value);
        if (!joined)
            return -ENOMEM;
    }
    r = normalize_path(joined ?: value);
    if (!r)
        return -ENOMEM;
    /* "/srv/a /" is the directory "a ": an INI value cannot end in a space,
     * so `corral check` could not print it back. */
    if (isspace((unsigned char) r[strlen(r) - 1])) {
        section_error(p, s, line, key, "'%s' ends in a space (expected %s)", r, what);
        free(r);
        return 0;
    }
    free(*ret);
    *ret = r;
    return 0;
}

static int parse_path(struct parser *p, const struct raw_section *s, int key,
                      const struct raw_value *v, const char *what, char **ret)
{
    return resolve_path(p, s, key, v->line, v->value, what, ret);
}

static int parse_dir(struct parser *p, const struct raw_section *s, int key,
                     const struct raw_value *v, char **ret)
{
    return parse_path(p, s, key, v, "a directory, e.g. /srv/web", ret);
}

static void parse_duration(struct parser *p, const struct raw_section *s, int key, uint64_t *ret)
{
    const struct raw_value *v = raw_get(s, key);

    if (v && parse_duration_ms(v->value, ret) < 0)
        section_error(p, s, v->line, key, "invalid duration '%s' (" DURATION_EXPECTED ")",
                      v->value);
}

static void parse_flag(struct parser *p, const struct raw_section *s, int key, bool *ret)
{
    const struct raw_value *v = raw_get(s, key);

    if (v && parse_bool(v->value, ret) < 0)
        section_error(p, s, v->line, key, "invalid boolean '%s' (" BOOL_EXPECTED ")", v->value);
}

static int set_string(char **ret, const char *value)
{
    char *d = strdup(value);

    if (!d)
        return -ENOMEM;
    free(*ret);
    *ret = d;
    return 0;
}

/* An integer from min to max; hint ends the expectation (may be ""). */
static void parse_integer(struct parser *p, const struct raw_section *s, int key, uint64_t min,
                          uint64_t max, const char *hint, uint64_t *ret)
{
    const struct raw_value *v = raw_get(s, key);
    uint64_t n;
    int r;

    if (!v)
        return;
    r = parse_uint64(v->value, &n);
    if (r == -EINVAL)
        section_error(p, s, v->line, key,
                      "invalid integer '%s' (expected a whole number from %" PRIu64 " to %" PRIu64
                      "%s)",
                      v->value, min, max, hint);
    else if (r < 0 || n < min || n > max)
        section_error(p, s, v->line, key,
                      "'%s' out of range (expected %" PRIu64 " to %" PRIu64 "%s)", v->value, min,
                      max, hint);
    else
        *ret = n;
}

/* A size in bytes; false if it is not one (reported). */
static bool parse_size_value(struct parser *p, const struct raw_section *s, int key,
                             const struct raw_value *v, uint64_t *ret)
{
    if (parse_size(v->value, ret) == 0)
        return true;
    section_error(p, s, v->line, key, "invalid size '%s' (" SIZE_EXPECTED ")", v->value);
    return false;
}

/* "0.5", "1", "1.25", ".5" -> thousandths of a CPU, rounded half up. Our
 * own digits rather than strtod(), which would also take "1e3", "0x1p4",
 * "inf" and the locale's decimal comma. */
static int parse_cpus(const char *s, uint64_t *ret_millis)
{
    static const unsigned place[] = {100, 10, 1};
    uint64_t whole = 0, millis = 0;
    size_t digits = 0;

    for (; *s >= '0' && *s <= '9'; s++, digits++)
        /* Stop growing past the maximum, but keep checking the syntax. */
        if (whole <= CPUS_MAX)
            whole = whole * 10 + (uint64_t) (*s - '0');
    if (*s == '.')
        for (size_t i = 0; *++s >= '0' && *s <= '9'; i++, digits++) {
            if (i < ELEMENTSOF(place))
                millis += place[i] * (uint64_t) (*s - '0');
            else if (i == ELEMENTSOF(place))
                millis += *s >= '5';
        }
    if (digits == 0 || *s)
        return -EINVAL;
    if (whole > CPUS_MAX)
        return -ERANGE;
    *ret_millis = whole * 1000 + millis;
    return 0;
}

enum list_problem {
    LIST_OK,
    LIST_EMPTY,
    LIST_EMPTY_ELEMENT,
    LIST_SYNTAX,
    LIST_TOO_LARGE,
    LIST_DESCENDING
};

/* Digits up to end; the value saturates at CPUSET_MAX. NULL if none. */
static const char *parse_list_number(const char *s, const char *end, unsigned *ret)
{
    const char *start = s;
    unsigned v = 0;

    for (; s < end && *s >= '0' && *s <= '9'; s++)
        v = v >= CPUSET_MAX ? v : v * 10 + (unsigned) (*s - '0');
    *ret = v;
    return s > start ? s : NULL;
}

/* The cpuset list syntax "0-3,5". The kernel also takes strides ("0-7:2");
 * we accept the plain form, which the cpuset files of both cgroup versions
 * read alike. On a problem, *ret_elem and *ret_len say where. */
static enum list_problem cpu_list_problem(const char *s, const char **ret_elem, int *ret_len)
{
    if (!*s)
        return LIST_EMPTY;
    for (;;) {
        const char *end = s + strcspn(s, ","), *e;
        unsigned a, b;

        *ret_elem = s;
        *ret_len = (int) (end - s);
        if (end == s)
            return LIST_EMPTY_ELEMENT;
        e = parse_list_number(s, end, &a);
        b = a;
        if (e && e < end && *e == '-')
            e = parse_list_number(e + 1, end, &b);
        if (e != end)
            return LIST_SYNTAX;
        if (a >= CPUSET_MAX || b >= CPUSET_MAX)
            return LIST_TOO_LARGE;
        if (b < a)
            return LIST_DESCENDING;
        if (!*end)
            return LIST_OK;
        s = end + 1;
    }
}

static int parse_cpu_list(struct parser *p, const struct raw_section *s, int key, const char *what,
                          char **ret)
{
    /* The problem is before, the element, after. */
    static const char *const problems[][2] = {
        [LIST_EMPTY] = {"empty", ""},
        [LIST_EMPTY_ELEMENT] = {"empty element", ""},
        [LIST_SYNTAX] = {"'", "' is not a number or a range"},
        [LIST_TOO_LARGE] = {"'", "' is too large"},
        [LIST_DESCENDING] = {"descending range '", "'"},
    };
    const struct raw_value *v = raw_get(s, key);
    const char *elem = NULL;
    int len = 0;
    enum list_problem k;

    if (!v)
        return 0;
    k = cpu_list_problem(v->value, &elem, &len);
    if (k == LIST_OK)
        return set_string(ret, v->value);
    if (k == LIST_EMPTY || k == LIST_EMPTY_ELEMENT)
        len = 0;
    section_error(p, s, v->line, key, "invalid %s '%s': %s%.*s%s (" CPU_LIST_EXPECTED ")", what,
                  v->value, problems[k][0], len, elem ?: "", problems[k][1]);
    return 0;
}

/* Why a cgroup path is unusable, or NULL. */
static const char *cgroup_path_problem(const char *path)
{
    if (!*path)
        return "empty";
    if (*path == '/')
        return "must be relative";
    for (const char *c = path; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 0)
            return "empty component";
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return "'.' or '..' component";
        for (size_t i = 0; i < n; i++)
            if (!ascii_alnum(c[i]) && !strchr("_.-", c[i]))
                return "invalid character";
        c += n;
        if (*c == '/' && !*++c)
            return "empty component";
    }
    return NULL;
}

/* "no", "always", "unless-stopped", "on-failure" or "on-failure:N". */
static void parse_restart(struct parser *p, const struct raw_section *s, int key,
                          const struct raw_value *v, struct restart_spec *r, unsigned *ret_n)
{
    *ret_n = 0;
    for (int i = 0; i < _RESTART_POLICY_MAX; i++)
        if (streq(v->value, restart_policy_names[i])) {
            r->policy = (enum restart_policy) i;
            return;
        }
    if (strncmp(v->value, "on-failure:", 11) == 0) {
        uint64_t n;
        int k = parse_uint64(v->value + 11, &n);
        if (k == 0 && n >= 1 && n <= RESTART_MAX_MAX) {
            r->policy = RESTART_ON_FAILURE;
            *ret_n = (unsigned) n;
            return;
        }
        section_error(p, s, v->line, key,
                      "invalid retry count in '%s' (expected on-failure:N with N from 1 to %d, "
                      "or on-failure for no limit)",
                      v->value, RESTART_MAX_MAX);
        return;
    }
    section_error(p, s, v->line, key, "invalid restart policy '%s' (" RESTART_EXPECTED ")",
                  v->value);
}

/* The restart and log settings of a section; inherit holds the defaults
 * ([supervisor]'s for a container, the built-in ones for [supervisor]). */
static void build_policy(struct parser *p, const struct raw_section *s, const struct policy_keys *k,
                         const struct restart_spec *inherit_r, const struct log_spec *inherit_l,
                         struct restart_spec *r, struct log_spec *l)
{
    const struct raw_value *pol = raw_get(s, k->restart), *max = raw_get(s, k->max), *v;
    unsigned n = 0;
    uint64_t u;

    *r = *inherit_r;
    *l = *inherit_l;
    if (pol) {
        parse_restart(p, s, k->restart, pol, r, &n);
        /* on-failure:N is this section's own limit and wins; otherwise a
         * policy of its own brings no limit, unless the inherited one was
         * set on purpose with restart_max. */
        if (n > 0 || !r->max_explicit)
            r->max = n;
    }
    if (max) {
        if (n > 0)
            section_error(p, s, max->line, k->max,
                          "set together with restart = %s (expected one of the two: "
                          "on-failure:N is restart_max = N)",
                          pol->value);
        else if (streq(max->value, "unlimited")) {
            r->max = 0;
            r->max_explicit = true;
        } else if (parse_uint64(max->value, &u) < 0 || u < 1 || u > RESTART_MAX_MAX)
            section_error(p, s, max->line, k->max,
                          "invalid value '%s' (expected a number of restarts from 1 to %d, or "
                          "unlimited)",
                          max->value, RESTART_MAX_MAX);
        else {
            r->max = (unsigned) u;
            r->max_explicit = true;
        }
    }
    parse_duration(p, s, k->delay, &r->delay_ms);
    parse_duration(p, s, k->delay_max, &r->delay_max_ms);
    parse_duration(p, s, k->reset_after, &r->reset_after_ms);
    parse_duration(p, s, k->start_grace, &r->start_grace_ms);
    v = raw_get(s, k->delay_max) ?: raw_get(s, k->delay);
    if (v && r->delay_max_ms < r->delay_ms)
        section_error(p, s, v->line, v == raw_get(s, k->delay) ? k->delay : k->delay_max,
                      "restart_delay_max (%" PRIu64 "ms) is below restart_delay (%" PRIu64
                      "ms) (expected restart_delay <= restart_delay_max)",
                      r->delay_max_ms, r->delay_ms);

    v = raw_get(s, k->log_max_size);
    if (v && parse_size_value(p, s, k->log_max_size, v, &u)) {
        if (u < LOG_MAX_SIZE_MIN)
            section_error(p, s, v->line, k->log_max_size,
                          "'%s' is too small (expected at least 4K)", v->value);
        else
            l->max_size = u;
    }
    u = l->max_files;
    parse_integer(p, s, k->log_max_files, 1, LOG_MAX_FILES_MAX, ", the current file included", &u);
    l->max_files = (unsigned) u;
}

/* One half of START:COUNT or HOSTID:COUNT. -EINVAL / -ERANGE. */
static int id_from_string(const char *s, size_t n, uint64_t *ret)
{
    char buf[32];

    if (n >= sizeof(buf))
        return strspn(s, "0123456789") >= n ? -ERANGE : -EINVAL;
    snprintf(buf, sizeof(buf), "%.*s", (int) n, s);
    return parse_uint64(buf, ret);
}

/* userns_pool = START:COUNT (pool) or userns = HOSTID:COUNT: two whole
 * numbers, a first id of at least 1, a COUNT of at least 1 (a multiple of
 * 65536 for the pool), ending below 4294967295. Every problem is reported;
 * false if there was one. */
static bool parse_id_range(struct parser *p, const struct raw_section *s, int key,
                           const struct raw_value *v, bool pool, uint32_t *ret_start,
                           uint32_t *ret_count)
{
    const char *first = pool ? "START" : "HOSTID";
    const char *expected = pool ? USERNS_POOL_EXPECTED : USERNS_EXPECTED;
    const char *str = v->value, *colon = strchr(str, ':');
    uint64_t start = 0, count = 0;
    int n_start, a, b;
    bool ok = true;

    if (!colon) {
        section_error(p, s, v->line, key, "invalid value '%s' (%s)", str, expected);
        return false;
    }
    n_start = (int) (colon - str);
    a = id_from_string(str, (size_t) n_start, &start);
    b = id_from_string(colon + 1, strlen(colon + 1), &count);
    if (a == -EINVAL)
        section_error(p, s, v->line, key, "invalid %s '%.*s' in '%s' (%s)", first, n_start, str,
                      str, expected);
    if (b == -EINVAL)
        section_error(p, s, v->line, key, "invalid COUNT '%s' in '%s' (%s)", colon + 1, str,
                      expected);
    if (a == -EINVAL || b == -EINVAL)
        return false;

    if (a == 0 && start == 0) {
        section_error(p, s, v->line, key,
                      "%s must be at least 1, not 0: id 0 is the host's root (%s)", first,
                      expected);
        ok = false;
    }
    if (b == 0 && count == 0) {
        if (pool)
            section_error(p, s, v->line, key,
                          "COUNT must be a positive multiple of 65536, not 0 (expected e.g. "
                          "6553600 for 100 ranges)");
        else
            section_error(p, s, v->line, key,
                          "COUNT must be at least 1, not 0 (expected e.g. 65536 for the "
                          "container's ids 0 to 65535)");
        ok = false;
    } else if (pool && b == 0 && count % USERNS_RANGE != 0) {
        section_error(p, s, v->line, key,
                      "COUNT must be a multiple of 65536, not %" PRIu64
                      " (expected e.g. 6553600 for 100 ranges)",
                      count);
        ok = false;
    }
    /* The sum is taken only once both halves fit 32 bits: it cannot wrap. */
    if (a < 0 || b < 0 || start > UINT32_MAX || count > UINT32_MAX || start + count > UINT32_MAX) {
        section_error(p, s, v->line, key,
                      "'%s' ends past id 4294967294, the last valid one (expected %s+COUNT at "
                      "most 4294967295)",
                      str, first);
        ok = false;
    }
    if (ok) {
        *ret_start = (uint32_t) start;
        *ret_count = (uint32_t) count;
    }
    return ok;
}

/* *ret_pool_ok: the pool (given or default) is usable, so containers'
 * ranges can be checked against it. */
static int build_supervisor(struct parser *p, const struct raw_section *s,
                            struct supervisor_spec *sup, bool *ret_pool_ok)
{
    static const struct restart_spec restart_defaults = {
        .policy = RESTART_NO,
        .delay_ms = 100,
        .delay_max_ms = 60000,
        .reset_after_ms = 10000,
        .start_grace_ms = 1000,
    };
    static const struct log_spec log_defaults = {.max_size = 10 << 20, .max_files = 5};
    static const struct {
        int key;
        size_t offset;
        const char *def;
    } dirs[] = {
        {SUP_STATE_DIR, offsetof(struct supervisor_spec, state_dir), "/var/lib/corral"},
        {SUP_RUN_DIR, offsetof(struct supervisor_spec, run_dir), "/run/corral"},
        {SUP_LOG_DIR, offsetof(struct supervisor_spec, log_dir), "/var/log/corral"},
    };
    const struct raw_value *v;
    int r;

    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        char **field = (char **) ((char *) sup + dirs[i].offset);
        r = set_string(field, dirs[i].def);
        if (r < 0)
            return r;
        v = raw_get(s, dirs[i].key);
        if (v) {
            r = parse_dir(p, s, dirs[i].key, v, field);
            if (r < 0)
                return r;
        }
    }

    r = set_string(&sup->cgroup_parent, "corral");
    if (r < 0)
        return r;
    v = raw_get(s, SUP_CGROUP_PARENT);
    if (v) {
        const char *problem = cgroup_path_problem(v->value);
        if (problem)
            section_error(p, s, v->line, SUP_CGROUP_PARENT,
                          "invalid cgroup path '%s': %s (expected a relative path like corral "
                          "or machine/corral, components of A-Z, a-z, 0-9, '_', '.' or '-')",
                          v->value, problem);
        else if ((r = set_string(&sup->cgroup_parent, v->value)) < 0)
            return r;
    }

    sup->stop_timeout_ms = 10000;
    parse_duration(p, s, SUP_STOP_TIMEOUT, &sup->stop_timeout_ms);
    sup->pause_timeout_ms = 10000;
    parse_duration(p, s, SUP_PAUSE_TIMEOUT, &sup->pause_timeout_ms);
    build_policy(p, s, &sup_policy_keys, &restart_defaults, &log_defaults, &sup->restart,
                 &sup->log);

    sup->userns_pool_start = USERNS_POOL_START;
    sup->userns_pool_count = USERNS_POOL_COUNT;
    sup->userns_pool_line = 0;
    v = raw_get(s, SUP_USERNS_POOL);
    if (v) {
        uint32_t start, count;
        bool ok;

        sup->userns_pool_line = v->line;
        ok = parse_id_range(p, s, SUP_USERNS_POOL, v, true, &start, &count);
        if (ok) {
            sup->userns_pool_start = start;
            sup->userns_pool_count = count;
        }
        if (ret_pool_ok)
            *ret_pool_ok = ok;
    }
    return 0;
}

static bool bridge_name_is_valid(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 15 || streq(s, ".") || streq(s, ".."))
        return false;
    for (; *s; s++)
        if (!ascii_alnum(*s) && !strchr("_.-", *s))
            return false;
    return true;
}

/* Strict dotted quad: four decimal octets, no leading zeros (which some
 * parsers read as octal). Parses up to the end or a '/'. */
static const char *parse_ipv4(const char *s, uint32_t *ret)
{
    uint32_t a = 0;

    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        if (i > 0 && *s++ != '.')
            return NULL;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
            if (digits == 3 || (digits == 1 && v == 0))
                return NULL;
            v = v * 10 + (unsigned) (*s - '0');
        }
        if (digits == 0 || v > 255)
            return NULL;
        a = a << 8 | v;
    }
    *ret = a;
    return s;
}

static bool ipv4_from_string(const char *s, uint32_t *ret)
{
    const char *e = parse_ipv4(s, ret);
    return e && !*e;
}

static uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}

/* *ret_subnet_ok: the subnet (given or default) is usable, so addresses
 * can be checked against it. */
static int build_network(struct parser *p, const struct raw_section *s, struct network_spec *net,
                         bool *ret_subnet_ok)
{
    const struct raw_value *v;
    bool subnet_ok = true;
    int r;

    r = set_string(&net->bridge, "corral0");
    if (r < 0)
        return r;
    v = raw_get(s, NET_BRIDGE);
    if (v) {
        if (!bridge_name_is_valid(v->value))
            section_error(p, s, v->line, NET_BRIDGE,
                          "invalid bridge name '%s' (expected 1 to 15 characters of A-Z, a-z, "
                          "0-9, '_', '.' or '-')",
                          v->value);
        else if ((r = set_string(&net->bridge, v->value)) < 0)
            return r;
    }

    net->subnet = 0x0a580000; /* 10.88.0.0 */
    net->prefix_len = 24;
    v = raw_get(s, NET_SUBNET);
    if (v) {
        const char *e = parse_ipv4(v->value, &net->subnet);
        unsigned prefix = 0;
        size_t digits = 0;
        bool ok = e && *e == '/';

        /* One or two digits, no leading zero, nothing after. */
        if (ok) {
            digits = strspn(e + 1, "0123456789");
            ok = digits >= 1 && digits <= 2 && !e[1 + digits] && !(digits == 2 && e[1] == '0');
        }
        if (ok) {
            prefix = (unsigned) strtoul(e + 1, NULL, 10);
            ok = prefix <= 32;
        }
        subnet_ok = false;
        if (!ok)
            section_error(p, s, v->line, NET_SUBNET,
                          "invalid subnet '%s' (expected an IPv4 network like 10.88.0.0/24)",
                          v->value);
        else if (prefix < 8 || prefix > 30)
            section_error(p, s, v->line, NET_SUBNET,
                          "prefix length /%u out of range (expected /8 to /30)", prefix);
        else if (net->subnet & ~prefix_mask(prefix)) {
            char buf[16];
            format_ipv4(net->subnet & prefix_mask(prefix), buf);
            section_error(p, s, v->line, NET_SUBNET,
                          "host bits set in '%s' (expected the network address, %s/%u)", v->value,
                          buf, prefix);
        } else {
            subnet_ok = true;
            /* Only a valid one: masks computed from it must be defined
             * (a /37 would shift by a negative count). */
            net->prefix_len = prefix;
        }
    }

    v = raw_get(s, NET_GATEWAY);
    if (subnet_ok)
        net->gateway = net->subnet + 1;
    if (v) {
        uint32_t mask = prefix_mask(net->prefix_len), gw;
        uint32_t bcast = net->subnet | ~mask;
        char lo[16], hi[16], sub[16];

        format_ipv4(net->subnet + 1, lo);
        format_ipv4(bcast - 1, hi);
        format_ipv4(net->subnet, sub);
        if (!ipv4_from_string(v->value, &gw))
            section_error(p, s, v->line, NET_GATEWAY,
                          "invalid IPv4 address '%s' (expected e.g. 10.88.0.1)", v->value);
        else if (!subnet_ok)
            ; /* already reported; there is nothing to check it against */
        else if ((gw & mask) != net->subnet)
            section_error(p, s, v->line, NET_GATEWAY, "%s is outside %s/%u (expected %s to %s)",
                          v->value, sub, net->prefix_len, lo, hi);
        else if (gw == net->subnet || gw == bcast)
            section_error(p, s, v->line, NET_GATEWAY,
                          "%s is the %s address of %s/%u (expected %s to %s)", v->value,
                          gw == net->subnet ? "network" : "broadcast", sub, net->prefix_len, lo,
                          hi);
        else
            net->gateway = gw;
    }

    net->nat = net->icc = true;
    parse_flag(p, s, NET_NAT, &net->nat);
    parse_flag(p, s, NET_ICC, &net->icc);

    net->dns_host = true;
    v = raw_get(s, NET_DNS);
    if (v && !streq(v->value, "host")) {
        const char *w = v->value;
        net->dns_host = false;
        if (!*w)
            section_error(p, s, v->line, NET_DNS,
                          "empty value (expected host or a list of IPv4 addresses, e.g. 1.1.1.1 "
                          "9.9.9.9)");
        for (;;) {
            char word[16];
            size_t n;
            uint32_t addr, *d;

            while (isspace((unsigned char) *w))
                w++;
            if (!*w)
                break;
            n = strcspn(w, " \t\v\f\r");
            snprintf(word, sizeof(word), "%.*s", (int) n, w);
            w += n;
            if (n >= sizeof(word) || !ipv4_from_string(word, &addr)) {
                section_error(p, s, v->line, NET_DNS,
                              "invalid DNS server '%.*s' (expected host, or IPv4 addresses "
                              "separated by spaces)",
                              (int) n, w - n);
                continue;
            }
            d = realloc(net->dns_servers, (net->n_dns_servers + 1) * sizeof(*d));
            if (!d)
                return -ENOMEM;
            net->dns_servers = d;
            d[net->n_dns_servers++] = addr;
        }
    }
    if (ret_subnet_ok)
        *ret_subnet_ok = subnet_ok;
    return 0;
}

/* RFC 1123: dot-separated labels of letters, digits and '-', neither
 * starting nor ending with '-'; the whole at most 63 (what the kernel's
 * 64-byte utsname field leaves room for). */
static bool hostname_is_valid(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 63)
        return false;
    for (const char *l = s;;) {
        size_t len = strcspn(l, ".");
        if (len == 0 || l[0] == '-' || l[len - 1] == '-')
            return false;
        for (size_t i = 0; i < len; i++)
            if (!ascii_alnum(l[i]) && l[i] != '-')
                return false;
        l += len;
        if (!*l)
            return true;
        l++;
    }
}

static bool env_name_is_valid(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ascii_alnum(s[i]) && s[i] != '_')
            return false;
    return true;
}

/* Set KEY=VALUE (taken over), replacing an earlier KEY where it stands. */
static int env_set(char ***env, char *entry)
{
    _cleanup_free_ char *e = entry;
    size_t klen = strcspn(e, "=");
    int r;

    for (char **i = *env; i && *i; i++)
        if (strncmp(*i, e, klen) == 0 && (*i)[klen] == '=') {
            free(*i);
            *i = TAKE_PTR(e);
            return 0;
        }
    r = strv_push(env, e);
    if (r < 0)
        return r;
    TAKE_PTR(e);
    return 0;
}

static int command_from_json(const char *value, char ***ret, char *problem, size_t size)
{
    _cleanup_(json_decrefp) json_t *a = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    json_error_t err;
    size_t i;

    a = json_loads(value, 0, &err);
    if (!a && json_error_code(&err) == json_error_out_of_memory)
        return -ENOMEM;
    if (!a) {
        snprintf(problem, size, "invalid JSON: %s", err.text);
        return -EINVAL;
    }
    if (!json_is_array(a) || json_array_size(a) == 0) {
        snprintf(problem, size, "invalid JSON command: %s",
                 json_is_array(a) ? "empty array" : "not an array");
        return -EINVAL;
    }
    for (i = 0; i < json_array_size(a); i++) {
        json_t *el = json_array_get(a, i);
        char *w;
        int r;
        if (!json_is_string(el) || json_string_length(el) == 0) {
            snprintf(problem, size, "invalid JSON command: element [%zu] is %s", i,
                     json_is_string(el) ? "empty" : "not a string");
            return -EINVAL;
        }
        w = strdup(json_string_value(el));
        if (!w)
            return -ENOMEM;
        r = strv_push(&argv, w);
        if (r < 0) {
            free(w);
            return r;
        }
    }
    *ret = TAKE_PTR(argv);
    return 0;
}

static int command_from_words(const char *s, char ***ret, const char **problem)
{
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *word = malloc(strlen(s) + 1);
    size_t n = 0;
    bool in_word = false;

    if (!word)
        return -ENOMEM;
    for (;;) {
        char c = *s;

        if (c == '\0' || isspace((unsigned char) c)) {
            if (in_word) {
                char *w;
                int r;
                if (n == 0) {
                    *problem = "empty argument ('' or \"\") (expected non-empty words)";
                    return -EINVAL;
                }
                w = strndup(word, n);
                if (!w)
                    return -ENOMEM;
                r = strv_push(&argv, w);
                if (r < 0) {
                    free(w);
                    return r;
                }
                n = 0;
                in_word = false;
            }
            if (!c)
                break;
            s++;
            continue;
        }

        in_word = true;
        if (c == '\\') {
            if (!s[1]) {
                *problem = "trailing backslash (expected a character after it)";
                return -EINVAL;
            }
            word[n++] = s[1];
            s += 2;
        } else if (c == '\'') {
            const char *e = strchr(s + 1, '\'');
            if (!e) {
                *problem = "unterminated quote (expected a closing ')";
                return -EINVAL;
            }
            memcpy(word + n, s + 1, (size_t) (e - s - 1));
            n += (size_t) (e - s - 1);
            s = e + 1;
        } else if (c == '"') {
            for (s++;; s++) {
                if (!*s) {
                    *problem = "unterminated quote (expected a closing \")";
                    return -EINVAL;
                }
                if (*s == '"')
                    break;
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    s++;
                word[n++] = *s;
            }
            s++;
        } else {
            word[n++] = c;
            s++;
        }
    }
    if (!argv) {
        *problem = "empty command (expected a program and its arguments, or a JSON array of "
                   "strings)";
        return -EINVAL;
    }
    *ret = TAKE_PTR(argv);
    return 0;
}

static int parse_command(struct parser *p, const struct raw_section *s, const struct raw_value *v,
                         char ***ret)
{
    char problem[256];
    const char *msg = problem;
    int r;

    if (v->value[0] == '[') {
        r = command_from_json(v->value, ret, problem, sizeof(problem));
        if (r == -EINVAL)
            section_error(p, s, v->line, CTR_COMMAND, "%s (" JSON_EXPECTED ")", problem);
    } else {
        r = command_from_words(v->value, ret, &msg);
        if (r == -EINVAL)
            section_error(p, s, v->line, CTR_COMMAND, "%s", msg);
    }
    return r == -EINVAL ? 0 : r;
}

/* The cgroup limits; each stays 0 / NULL ("not set") unless given and valid. */
static int build_limits(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    const struct raw_value *v, *mem = raw_get(s, CTR_MEMORY);
    uint64_t n;
    int r;

    if (mem && parse_size_value(p, s, CTR_MEMORY, mem, &n)) {
        if (n < MEMORY_MIN)
            section_error(p, s, mem->line, CTR_MEMORY,
                          "'%s' is too small (expected at least 4M: with less, the kernel's OOM "
                          "killer ends the container as it starts)",
                          mem->value);
        else
            c->memory = n;
    }

    v = raw_get(s, CTR_MEMORY_SWAP);
    if (v && parse_size_value(p, s, CTR_MEMORY_SWAP, v, &n)) {
        if (!mem)
            section_error(p, s, v->line, CTR_MEMORY_SWAP,
                          "set without memory (expected memory = SIZE as well: memory_swap is "
                          "the limit of memory plus swap)");
        else if (c->memory == 0)
            ; /* memory's own problem is reported; nothing to compare with */
        else if (n < c->memory)
            section_error(p, s, v->line, CTR_MEMORY_SWAP,
                          "'%s' is less than memory = %s (expected at least memory: memory_swap "
                          "is memory plus swap, and equal to memory means no swap)",
                          v->value, mem->value);
        else
            c->memory_swap = n;
    }

    v = raw_get(s, CTR_CPUS);
    if (v) {
        r = parse_cpus(v->value, &n);
        if (r == -EINVAL)
            section_error(p, s, v->line, CTR_CPUS,
                          "invalid number of CPUs '%s' (expected a decimal number like 0.5, 1 "
                          "or 2.25)",
                          v->value);
        else if (r < 0 || n < CPU_MILLIS_MIN || n > CPUS_MAX * 1000)
            section_error(p, s, v->line, CTR_CPUS, "'%s' out of range (expected %d.%03d to %d)",
                          v->value, CPU_MILLIS_MIN / 1000, CPU_MILLIS_MIN % 1000, CPUS_MAX);
        else
            c->cpu_millis = n;
    }

    parse_integer(p, s, CTR_CPU_WEIGHT, 1, WEIGHT_MAX, "", &c->cpu_weight);
    r = parse_cpu_list(p, s, CTR_CPUSET_CPUS, "CPU list", &c->cpuset_cpus);
    if (r < 0)
        return r;
    r = parse_cpu_list(p, s, CTR_CPUSET_MEMS, "memory node list", &c->cpuset_mems);
    if (r < 0)
        return r;
    parse_integer(p, s, CTR_IO_WEIGHT, 1, WEIGHT_MAX, "", &c->io_weight);
    parse_integer(p, s, CTR_PIDS, 1, PIDS_MAX, "; leave pids unset for no limit", &c->pids);
    return 0;
}

/* success_exit_codes = 0 3 42: codes that count as success besides 0. */
static void parse_success_codes(struct parser *p, const struct raw_section *s,
                                struct container_spec *c)
{
    const struct raw_value *v = raw_get(s, CTR_SUCCESS_EXIT_CODES);
    const char *w;

    c->success_codes[0] = 1; /* 0 is always a success */
    if (!v)
        return;
    w = v->value;
    for (;;) {
        char word[32];
        size_t n;
        uint64_t code;

        w += strspn(w, " \t,");
        if (!*w)
            break;
        n = strcspn(w, " \t,");
        snprintf(word, sizeof(word), "%.*s", (int) (n < 31 ? n : 31), w);
        if (n >= sizeof(word) || parse_uint64(word, &code) < 0 || code > 255) {
            section_error(p, s, v->line, CTR_SUCCESS_EXIT_CODES,
                          "invalid exit code '%.*s' (expected numbers from 0 to 255, e.g. 0 3)",
                          (int) n, w);
            return;
        }
        c->success_codes[code / 8] |= (uint8_t) (1u << (code % 8));
        w += n;
    }
}

/* depends_on = db cache, connect = web db: names only here; build_config()
 * resolves them. Duplicates collapse, the first mention keeping its place;
 * self_problem is the message for the container's own name. */
static int parse_name_list(struct parser *p, const struct raw_section *s, int key,
                           const char *self_problem, char ***list, size_t *n_list,
                           unsigned *ret_line)
{
    const struct raw_value *v = raw_get(s, key);
    const char *w;

    if (!v)
        return 0;
    *ret_line = v->line;
    w = v->value;
    for (;;) {
        _cleanup_free_ char *name = NULL;
        size_t n;
        bool dup = false;

        w += strspn(w, " \t,");
        if (!*w)
            break;
        n = strcspn(w, " \t,");
        name = strndup(w, n);
        if (!name)
            return -ENOMEM;
        w += n;
        if (!config_name_is_valid(name)) {
            section_error(p, s, v->line, key,
                          "invalid container name '%s' (expected names of [container NAME] "
                          "sections, separated by spaces)",
                          name);
            continue;
        }
        if (streq(name, s->name)) {
            section_error(p, s, v->line, key, "'%s' %s", name, self_problem);
            continue;
        }
        for (size_t i = 0; i < *n_list; i++)
            dup |= streq((*list)[i], name);
        if (dup)
            continue;
        char **nv = realloc(*list, (*n_list + 2) * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        *list = nv;
        nv[(*n_list)++] = TAKE_PTR(name);
        nv[*n_list] = NULL;
    }
    return 0;
}

#define IP_EXPECTED "expected auto or an address from %s to %s"
#define MAC_EXPECTED "expected six pairs of hex digits separated by ':', e.g. 02:42:ac:11:00:02"
#define PUBLISH_EXPECTED                                                                           \
    "expected HOSTPORT:PORT, HOSTPORT:PORT/tcp or HOSTPORT:PORT/udp, e.g. 8080:80"

/* ip = auto | A.B.C.D: a static address must be a host of the subnet the
 * bridge serves, and not the one the host holds as the gateway. */
static void parse_static_ip(struct parser *p, const struct raw_section *s,
                            const struct raw_value *v, const struct network_spec *net,
                            bool subnet_ok, struct container_spec *c)
{
    uint32_t mask = prefix_mask(net->prefix_len), bcast = net->subnet | ~mask, a;
    char lo[16], hi[16], sub[16];

    if (streq(v->value, "auto"))
        return;
    format_ipv4(net->subnet + 1, lo);
    format_ipv4(bcast - 1, hi);
    format_ipv4(net->subnet, sub);
    if (!ipv4_from_string(v->value, &a))
        section_error(p, s, v->line, CTR_IP,
                      "invalid IPv4 address '%s' (expected auto or an address like 10.88.0.5)",
                      v->value);
    else if (!subnet_ok)
        ; /* [network] subnet is reported; there is nothing to check it against */
    else if ((a & mask) != net->subnet)
        section_error(p, s, v->line, CTR_IP, "%s is outside %s/%u (" IP_EXPECTED ")", v->value, sub,
                      net->prefix_len, lo, hi);
    else if (a == net->subnet || a == bcast)
        section_error(p, s, v->line, CTR_IP, "%s is the %s address of %s/%u (" IP_EXPECTED ")",
                      v->value, a == net->subnet ? "network" : "broadcast", sub, net->prefix_len,
                      lo, hi);
    else if (a == net->gateway)
        section_error(p, s, v->line, CTR_IP,
                      "%s is the gateway's address (expected auto or another address from %s "
                      "to %s)",
                      v->value, lo, hi);
    else
        c->ip = a;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Exactly six pairs of hex digits separated by ':'. */
static bool mac_from_string(const char *s, uint8_t ret[static 6])
{
    uint8_t mac[6];

    for (size_t i = 0; i < 6; i++) {
        int h, l;
        if (i > 0 && *s++ != ':')
            return false;
        if ((h = hex_digit(s[0])) < 0 || (l = hex_digit(s[1])) < 0)
            return false;
        mac[i] = (uint8_t) (h << 4 | l);
        s += 2;
    }
    if (*s)
        return false;
    memcpy(ret, mac, sizeof(mac));
    return true;
}

static void format_mac(const uint8_t mac[static 6], char buf[static 18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

static void parse_mac(struct parser *p, const struct raw_section *s, const struct raw_value *v,
                      struct container_spec *c)
{
    static const uint8_t zero[6] = {};
    uint8_t mac[6];

    c->mac_line = v->line;
    if (!mac_from_string(v->value, mac))
        section_error(p, s, v->line, CTR_MAC, "invalid MAC address '%s' (" MAC_EXPECTED ")",
                      v->value);
    /* The low bit of the first octet marks a group address: the bridge
     * would flood frames to it, and the kernel refuses it for a device. */
    else if (mac[0] & 1)
        section_error(p, s, v->line, CTR_MAC,
                      "%s is a multicast address (expected a unicast MAC: an even first octet, "
                      "e.g. 02:42:ac:11:00:02)",
                      v->value);
    else if (memcmp(mac, zero, sizeof(mac)) == 0)
        section_error(p, s, v->line, CTR_MAC,
                      "%s is not a usable address (expected a unicast MAC other than all "
                      "zeros, e.g. 02:42:ac:11:00:02)",
                      v->value);
    else {
        memcpy(c->mac, mac, sizeof(mac));
        c->has_mac = true;
    }
}

/* A port: 1 to 5 digits. -EINVAL if not a number, -ERANGE outside 1..65535. */
static int port_from_string(const char *s, size_t n, uint16_t *ret)
{
    unsigned v = 0;

    if (n == 0 || n > 5 || strspn(s, "0123456789") < n)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned) (s[i] - '0');
    if (v < 1 || v > 65535)
        return -ERANGE;
    *ret = (uint16_t) v;
    return 0;
}

static const char *proto_to_string(uint8_t proto)
{
    return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* publish = HOSTPORT:PORT[/tcp|/udp]; false if reported. */
static bool parse_publish(struct parser *p, const struct raw_section *s, const struct raw_value *v,
                          struct publish_spec *ret)
{
    const char *str = v->value, *colon = strchr(str, ':'), *slash;
    struct publish_spec pub = {.proto = IPPROTO_TCP, .line = v->line};
    int a, b;

    if (!colon) {
        section_error(p, s, v->line, CTR_PUBLISH,
                      "invalid port mapping '%s' (" PUBLISH_EXPECTED ")", str);
        return false;
    }
    slash = strchrnul(colon + 1, '/');
    if (*slash && !slash[1]) {
        section_error(p, s, v->line, CTR_PUBLISH,
                      "invalid port mapping '%s' (" PUBLISH_EXPECTED ")", str);
        return false;
    }
    if (*slash) {
        if (streq(slash + 1, "udp"))
            pub.proto = IPPROTO_UDP;
        else if (!streq(slash + 1, "tcp")) {
            section_error(p, s, v->line, CTR_PUBLISH,
                          "unknown protocol '%s' in '%s' (expected tcp or udp)", slash + 1, str);
            return false;
        }
    }
    a = port_from_string(str, (size_t) (colon - str), &pub.host_port);
    b = port_from_string(colon + 1, (size_t) (slash - colon - 1), &pub.port);
    if (a == -EINVAL || b == -EINVAL) {
        section_error(p, s, v->line, CTR_PUBLISH,
                      "invalid port mapping '%s' (" PUBLISH_EXPECTED ")", str);
        return false;
    }
    if (a < 0 || b < 0) {
        section_error(p, s, v->line, CTR_PUBLISH,
                      "port %.*s out of range in '%s' (expected ports from 1 to 65535)",
                      a < 0 ? (int) (colon - str) : (int) (slash - colon - 1),
                      a < 0 ? str : colon + 1, str);
        return false;
    }
    *ret = pub;
    return true;
}

/* A key that makes no sense without the bridge. */
static void needs_bridge(struct parser *p, const struct raw_section *s, int key, unsigned line,
                         unsigned none_line)
{
    section_error(p, s, line, key, "needs network = bridge (network = none at line %u)", none_line);
}

/* network, ip, mac, publish and connect: what one section says. The checks
 * across containers (one address, MAC or host port each) come later, in
 * resolve_network(). */
static int build_container_network(struct parser *p, const struct raw_section *s,
                                   const struct network_spec *net, bool subnet_ok,
                                   struct container_spec *c)
{
    const struct raw_value *mode = raw_get(s, CTR_NETWORK), *v;

    if (mode) {
        if (streq(mode->value, "none"))
            c->network_none = true;
        else if (!streq(mode->value, "bridge"))
            section_error(p, s, mode->line, CTR_NETWORK,
                          "invalid network mode '%s' (expected bridge or none)", mode->value);
    }

    if (c->network_none) {
        /* "ip = auto" and an empty connect spell out the defaults and ask
         * for nothing, so they are allowed; anything else would be ignored
         * silently, which is worse than an error. */
        v = raw_get(s, CTR_IP);
        if (v && !streq(v->value, "auto"))
            needs_bridge(p, s, CTR_IP, v->line, mode->line);
        v = raw_get(s, CTR_MAC);
        if (v)
            needs_bridge(p, s, CTR_MAC, v->line, mode->line);
        for (size_t i = 0; i < s->n_publish; i++)
            needs_bridge(p, s, CTR_PUBLISH, s->publish[i].line, mode->line);
        v = raw_get(s, CTR_CONNECT);
        if (v && v->value[strspn(v->value, " \t,")])
            needs_bridge(p, s, CTR_CONNECT, v->line, mode->line);
        return 0;
    }

    v = raw_get(s, CTR_IP);
    if (v) {
        c->ip_line = v->line;
        parse_static_ip(p, s, v, net, subnet_ok, c);
    }
    v = raw_get(s, CTR_MAC);
    if (v)
        parse_mac(p, s, v, c);

    if (s->n_publish > 0) {
        c->publish = calloc(s->n_publish, sizeof(*c->publish));
        if (!c->publish)
            return -ENOMEM;
    }
    for (size_t i = 0; i < s->n_publish; i++)
        if (parse_publish(p, s, &s->publish[i], &c->publish[c->n_publish]))
            c->n_publish++;

    return parse_name_list(p, s, CTR_CONNECT, "connects to itself (expected other containers)",
                           &c->connect, &c->n_connect, &c->connect_line);
}

#define CAP_EXPECTED                                                                               \
    "expected capability names like net_admin or CAP_NET_ADMIN, or ALL, separated by spaces; "     \
    "see capabilities(7)"
#define SECCOMP_EXPECTED "expected default, unconfined or the path of a JSON profile"
#define RLIMIT_EXPECTED                                                                            \
    "expected SOFT or SOFT:HARD, each a whole number or unlimited, e.g. 1024:4096"

/* The capabilities the running kernel has: what ALL means, and the only
 * ones a container can be given. */
static uint64_t kernel_caps(void)
{
    int n = cap_max_bits();

    if (n <= 0)
        return 0;
    return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/* "net_admin": libcap's name without "cap_"; a number where the kernel
 * knows a capability that the installed libcap cannot name. */
static void format_cap(int cap, char buf[static 32])
{
    char *name = cap_to_name(cap);

    if (name && strncmp(name, "cap_", 4) == 0)
        snprintf(buf, 32, "%s", name + 4);
    else if (name)
        snprintf(buf, 32, "%s", name);
    else
        snprintf(buf, 32, "%d", cap);
    cap_free(name);
}

/* One word of cap_add or cap_drop: "net_admin", "NET_ADMIN", "CAP_NET_ADMIN"
 * or the capability's number. -EINVAL if libcap does not know it. */
static int cap_from_word(const char *w, size_t n, int *ret)
{
    char name[64] = "cap_";
    cap_value_t cap;
    uint64_t u;

    if (n >= 4 && strncasecmp(w, "cap_", 4) == 0) {
        w += 4;
        n -= 4;
    }
    if (n == 0 || n >= sizeof(name) - 4)
        return -EINVAL;
    /* A number: how the dump writes a capability the kernel has but the
     * installed libcap cannot name. */
    if (strspn(w, "0123456789") == n) {
        snprintf(name, sizeof(name), "%.*s", (int) n, w);
        if (parse_uint64(name, &u) < 0 || u > 63)
            return -EINVAL;
        *ret = (int) u;
        return 0;
    }
    /* cap_from_name() must get a name and nothing else: it stops at the
     * first character that cannot be in one and takes what came before, so
     * "chown2" would be chown. Its names are lower case. */
    for (size_t i = 0; i < n; i++) {
        char ch = (char) tolower((unsigned char) w[i]);
        if (!(ch >= 'a' && ch <= 'z') && ch != '_')
            return -EINVAL;
        name[4 + i] = ch;
    }
    name[4 + n] = '\0';
    if (cap_from_name(name, &cap) < 0 || cap < 0 || cap > 63)
        return -EINVAL;
    *ret = cap;
    return 0;
}

/* cap_add or cap_drop: the capabilities named in *ret_bits, and ALL in
 * *ret_all. Repeats are harmless. */
static void parse_cap_list(struct parser *p, const struct raw_section *s, int key, uint64_t known,
                           uint64_t *ret_bits, bool *ret_all)
{
    const struct raw_value *v = raw_get(s, key);
    const char *w;

    *ret_bits = 0;
    *ret_all = false;
    if (!v)
        return;
    for (w = v->value;;) {
        size_t n;
        int cap;

        w += strspn(w, " \t,");
        if (!*w)
            break;
        n = strcspn(w, " \t,");
        if (n == 3 && strncasecmp(w, "all", 3) == 0)
            *ret_all = true;
        else if (cap_from_word(w, n, &cap) < 0)
            section_error(p, s, v->line, key, "unknown capability '%.*s' (" CAP_EXPECTED ")",
                          (int) n, w);
        else if (!(known & UINT64_C(1) << cap)) {
            char last[32] = "";
            if (known)
                format_cap(63 - __builtin_clzll(known), last);
            section_error(p, s, v->line, key,
                          "capability '%.*s' is not known to the running kernel (expected one "
                          "from chown to %s)",
                          (int) n, w, last);
        } else
            *ret_bits |= UINT64_C(1) << cap;
        w += n;
    }
}

/* docker's rules: ALL in cap_add starts from every capability, ALL in
 * cap_drop from none, otherwise from the default set; then the named drops
 * go and the named adds come. A name in both lists is a contradiction. */
static void build_caps(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    const struct raw_value *add = raw_get(s, CTR_CAP_ADD), *drop = raw_get(s, CTR_CAP_DROP);
    uint64_t known = kernel_caps(), add_bits, drop_bits, both;
    bool add_all, drop_all;

    parse_cap_list(p, s, CTR_CAP_ADD, known, &add_bits, &add_all);
    parse_cap_list(p, s, CTR_CAP_DROP, known, &drop_bits, &drop_all);
    if (add && drop) {
        /* A contradiction is reported on the later key, naming the earlier. */
        bool drop_later = drop->line > add->line;
        int key = drop_later ? CTR_CAP_DROP : CTR_CAP_ADD;
        unsigned line = drop_later ? drop->line : add->line;
        unsigned other_line = drop_later ? add->line : drop->line;
        const char *other = drop_later ? "cap_add" : "cap_drop";

        c->caps_line = other_line;
        if (add_all && drop_all)
            section_error(p, s, line, key,
                          "ALL is also in %s (line %u) (expected ALL in only one of cap_add and "
                          "cap_drop)",
                          other, other_line);
        both = add_bits & drop_bits;
        for (int cap = 0; cap < 64; cap++)
            if (both & UINT64_C(1) << cap) {
                char name[32];
                format_cap(cap, name);
                section_error(p, s, line, key,
                              "'%s' is also in %s (line %u) (expected each capability in only "
                              "one of cap_add and cap_drop)",
                              name, other, other_line);
            }
    } else if (add || drop)
        c->caps_line = (add ?: drop)->line;

    c->caps = add_all ? known : CONFIG_DEFAULT_CAPS;
    if (drop_all)
        c->caps = 0;
    c->caps = (c->caps & ~drop_bits) | add_bits;
}

/* seccomp = default | unconfined | PATH. The profile is only named here:
 * config_check_host() looks for it and the runtime reads it at start. */
static int build_seccomp(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    const struct raw_value *v = raw_get(s, CTR_SECCOMP);

    c->seccomp = SECCOMP_DEFAULT;
    if (!v)
        return 0;
    c->seccomp_line = v->line;
    if (streq(v->value, "default"))
        return 0;
    if (streq(v->value, "unconfined")) {
        c->seccomp = SECCOMP_UNCONFINED;
        return 0;
    }
    if (!*v->value) {
        section_error(p, s, v->line, CTR_SECCOMP, "empty value (" SECCOMP_EXPECTED ")");
        return 0;
    }
    c->seccomp = SECCOMP_FILE;
    return parse_path(p, s, CTR_SECCOMP, v, "the path of a JSON profile", &c->seccomp_file);
}

/* One side of an rlimit: a whole number or "unlimited". -EINVAL / -ERANGE. */
static int rlimit_from_string(const char *s, size_t n, uint64_t *ret)
{
    char buf[32];

    if (n == 9 && strncmp(s, "unlimited", 9) == 0) {
        *ret = RLIM_INFINITY;
        return 0;
    }
    if (n >= sizeof(buf))
        return strspn(s, "0123456789") >= n ? -ERANGE : -EINVAL;
    snprintf(buf, sizeof(buf), "%.*s", (int) n, s);
    return parse_uint64(buf, ret);
}

/* What is wrong with one side ("soft" or "hard") of an rlimit. */
static void rlimit_error(struct parser *p, const struct raw_section *s, int key,
                         const struct raw_value *v, const char *side, const char *str, int n, int r)
{
    if (r == -ERANGE)
        section_error(p, s, v->line, key,
                      "%s limit '%.*s' is too large (expected at most %" PRIu64 ", or unlimited)",
                      side, n, str, UINT64_MAX);
    else
        section_error(p, s, v->line, key, "invalid %s limit '%.*s' in '%s' (" RLIMIT_EXPECTED ")",
                      side, n, str, v->value);
}

/* rlimit_NAME = SOFT[:HARD]; false if reported. */
static bool parse_rlimit(struct parser *p, const struct raw_section *s, int key,
                         const struct raw_value *v, struct rlimit_spec *ret)
{
    const char *str = v->value, *colon = strchrnul(str, ':');
    struct rlimit_spec rl = {.resource = rlimit_resources[key - CTR_RLIMIT_AS]};
    int n_soft = (int) (colon - str), r;
    bool ok = true;

    /* Both sides are checked, so that both problems show at once. */
    r = rlimit_from_string(str, (size_t) n_soft, &rl.soft);
    if (r < 0) {
        rlimit_error(p, s, key, v, "soft", str, n_soft, r);
        ok = false;
    }
    rl.hard = rl.soft;
    if (*colon) {
        r = rlimit_from_string(colon + 1, strlen(colon + 1), &rl.hard);
        if (r < 0) {
            rlimit_error(p, s, key, v, "hard", colon + 1, (int) strlen(colon + 1), r);
            ok = false;
        }
    }
    if (!ok)
        return false;
    /* setrlimit() would refuse it, but only when the container starts. */
    if (rl.soft > rl.hard) {
        section_error(p, s, v->line, key,
                      "soft limit %.*s is above the hard limit %s (expected SOFT <= HARD)", n_soft,
                      str, colon + 1);
        return false;
    }
    *ret = rl;
    return true;
}

/* cap_add, cap_drop, seccomp, the three switches and the rlimits. Every
 * default is the strict one: a container gets less unless it asks. */
static int build_security(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    size_t n = 0;
    int r;

    build_caps(p, s, c);
    r = build_seccomp(p, s, c);
    if (r < 0)
        return r;

    c->no_new_privileges = true;
    parse_flag(p, s, CTR_NO_NEW_PRIVILEGES, &c->no_new_privileges);
    c->mask_paths = true;
    parse_flag(p, s, CTR_MASK_PATHS, &c->mask_paths);
    c->readonly_rootfs = false;
    parse_flag(p, s, CTR_READONLY_ROOTFS, &c->readonly_rootfs);

    /* Each rlimit_ key is set at most once (a second is a duplicate key),
     * so the array holds one entry per resource, in key order. */
    for (int key = CTR_RLIMIT_AS; key <= CTR_RLIMIT_STACK; key++)
        n += raw_get(s, key) != NULL;
    if (n == 0)
        return 0;
    c->rlimits = calloc(n, sizeof(*c->rlimits));
    if (!c->rlimits)
        return -ENOMEM;
    for (int key = CTR_RLIMIT_AS; key <= CTR_RLIMIT_STACK; key++) {
        const struct raw_value *v = raw_get(s, key);
        if (v && parse_rlimit(p, s, key, v, &c->rlimits[c->n_rlimits]))
            c->n_rlimits++;
    }
    return 0;
}

#define ID_MAP_EXPECTED                                                                            \
    "expected INSIDE:HOST:COUNT ranges separated by spaces, e.g. 0:7000000:65536, mapping "        \
    "container id 0"

/* uid_map / gid_map: up to USERNS_MAP_MAX ranges INSIDE:HOST:COUNT, no
 * two overlapping inside or on the host, HOST never 0 (the host's root),
 * and container id 0 (its root) mapped. false after reporting. */
static bool parse_id_map(struct parser *p, const struct raw_section *s, int key,
                         const struct raw_value *v, struct id_range *ret, size_t *ret_n)
{
    const char *w = v->value;
    size_t n = 0;
    bool root = false;

    while (*w) {
        size_t len = strcspn(w, " \t,");
        uint64_t f[3];
        const char *q = w, *end = w + len;
        int got = 0;

        if (len == 0) {
            w++;
            continue;
        }
        while (got < 3) {
            size_t part = strcspn(q, ":");
            if (part > (size_t) (end - q))
                part = (size_t) (end - q);
            if (id_from_string(q, part, &f[got]) < 0 || f[got] > UINT32_MAX)
                break;
            got++;
            q += part;
            if (got < 3) {
                if (q >= end || *q != ':')
                    break;
                q++;
            }
        }
        if (got != 3 || q != end) {
            section_error(p, s, v->line, key, "invalid range '%.*s' (" ID_MAP_EXPECTED ")",
                          (int) len, w);
            return false;
        }
        if (f[2] == 0 || f[0] + f[2] > UINT32_MAX || f[1] + f[2] > UINT32_MAX) {
            section_error(p, s, v->line, key,
                          "range '%.*s' is empty or ends past id 4294967294 (" ID_MAP_EXPECTED ")",
                          (int) len, w);
            return false;
        }
        if (f[1] == 0) {
            section_error(p, s, v->line, key,
                          "range '%.*s' maps the host's root, id 0 (expected host ids of at "
                          "least 1)",
                          (int) len, w);
            return false;
        }
        if (n == USERNS_MAP_MAX) {
            section_error(p, s, v->line, key, "more than %d ranges", USERNS_MAP_MAX);
            return false;
        }
        for (size_t i = 0; i < n; i++)
            if ((f[0] < (uint64_t) ret[i].inside + ret[i].count && ret[i].inside < f[0] + f[2]) ||
                (f[1] < (uint64_t) ret[i].host + ret[i].count && ret[i].host < f[1] + f[2])) {
                section_error(p, s, v->line, key,
                              "range '%.*s' overlaps %" PRIu32 ":%" PRIu32 ":%" PRIu32
                              " (expected ranges apart inside and on the host)",
                              (int) len, w, ret[i].inside, ret[i].host, ret[i].count);
                return false;
            }
        ret[n++] = (struct id_range){(uint32_t) f[0], (uint32_t) f[1], (uint32_t) f[2]};
        root |= f[0] == 0;
        w += len;
    }
    if (n == 0 || !root) {
        section_error(p, s, v->line, key, "container id 0 is not mapped (" ID_MAP_EXPECTED ")");
        return false;
    }
    *ret_n = n;
    return true;
}

/* uid_map and gid_map: each defaults to the other; either means a user
 * namespace, so userns = ... beside them is a contradiction. */
static void build_id_maps(struct parser *p, const struct raw_section *s, struct userns_spec *u)
{
    const struct raw_value *um = raw_get(s, CTR_UID_MAP), *gm = raw_get(s, CTR_GID_MAP);
    bool ok = true;

    if (!um && !gm)
        return;
    if (u->line > 0) {
        section_error(p, s, um ? um->line : gm->line, um ? CTR_UID_MAP : CTR_GID_MAP,
                      "given with userns (line %u) (expected one or the other: uid_map and "
                      "gid_map imply a user namespace)",
                      u->line);
        *u = (struct userns_spec){};
        return;
    }
    if (um)
        ok &= parse_id_map(p, s, CTR_UID_MAP, um, u->uid_map, &u->n_uid_map);
    if (gm)
        ok &= parse_id_map(p, s, CTR_GID_MAP, gm, u->gid_map, &u->n_gid_map);
    if (!ok) {
        *u = (struct userns_spec){};
        return;
    }
    if (!um) {
        memcpy(u->uid_map, u->gid_map, sizeof(u->uid_map));
        u->n_uid_map = u->n_gid_map;
    }
    if (!gm) {
        memcpy(u->gid_map, u->uid_map, sizeof(u->gid_map));
        u->n_gid_map = u->n_uid_map;
    }
    u->uid_map_line = um ? um->line : 0;
    u->gid_map_line = gm ? gm->line : 0;
    u->enabled = true;
}

/* userns = no | yes | HOSTID:COUNT. A pool range is only counted here;
 * which one a container gets is decided by name at start. The checks
 * across containers come in resolve_userns(). */
static void build_userns(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    const struct raw_value *v = raw_get(s, CTR_USERNS);
    struct userns_spec *u = &c->userns;
    uint32_t start, count;
    bool yes;

    *u = (struct userns_spec){};
    if (v) {
        u->line = v->line;
        if (parse_bool(v->value, &yes) == 0) {
            u->enabled = u->from_pool = yes;
            u->count = yes ? USERNS_RANGE : 0;
        } else if (parse_id_range(p, s, CTR_USERNS, v, false, &start, &count)) {
            u->enabled = true;
            u->host_start = start;
            u->count = count;
        }
    }
    build_id_maps(p, s, u);
}

/* The root file system and the mounts (issue 7). The parser only reads
 * them: whether a rootfs or a volume's host side is there is
 * config_check_host()'s question, whether an image is, the image store's. */

#define ROOTFS_WHAT "a directory or an archive, e.g. /srv/web or /srv/web.tar.gz"
#define IMAGE_NAME_MAX 128
#define IMAGE_EXPECTED                                                                             \
    "expected the name given to corral image import FILE --name NAME: 1 to 128 characters of "     \
    "A-Z, a-z, 0-9, '.', '_', ':' or '-', starting with a letter or digit"
#define ROOTFS_MODE_EXPECTED "expected overlay, bind or copy"
#define VOLUME_EXPECTED                                                                            \
    "expected HOST:CONTAINER, HOST:CONTAINER:ro or HOST:CONTAINER:rw, e.g. /srv/data:/data:ro; "   \
    "a HOST or CONTAINER path with ':' cannot be written"
#define TARGET_EXPECTED "expected an absolute path inside the container, e.g. /data"
#define TMPFS_EXPECTED                                                                             \
    "expected PATH or PATH:OPTIONS, OPTIONS being size=SIZE and mode=OCTAL separated by commas, "  \
    "e.g. /cache:size=64M,mode=1777"
#define TMPFS_SIZE_MIN 4096
#define TMPFS_MODE_DEFAULT 01777

bool config_image_name_is_valid(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > IMAGE_NAME_MAX || !ascii_alnum(name[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!ascii_alnum(name[i]) && !strchr("._:-", name[i]))
            return false;
    return true;
}

/* Of two keys that contradict each other, the one written later is
 * reported (as cap_add and cap_drop are). */
static const struct raw_value *later(const struct raw_value *a, const struct raw_value *b,
                                     int key_a, int key_b, int *ret_key)
{
    bool b_later = b->line > a->line;

    *ret_key = b_later ? key_b : key_a;
    return b_later ? b : a;
}

/* rootfs or image (exactly one), rootfs_mode and ephemeral. */
static int build_rootfs(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    const struct raw_value *rootfs = raw_get(s, CTR_ROOTFS), *image = raw_get(s, CTR_IMAGE);
    const struct raw_value *mode = raw_get(s, CTR_ROOTFS_MODE), *eph = raw_get(s, CTR_EPHEMERAL);
    const struct raw_value *v;
    bool mode_ok;
    int r, key;

    if (!rootfs && !image)
        section_error(p, s, s->line, CTR_ROOTFS,
                      "missing required key (expected rootfs = PATH or image = NAME)");
    else if (rootfs && image) {
        v = later(rootfs, image, CTR_ROOTFS, CTR_IMAGE, &key);
        section_error(p, s, v->line, key,
                      "rootfs and image are exclusive (one root file system per container)");
    }
    if (rootfs) {
        c->rootfs_line = rootfs->line;
        r = parse_path(p, s, CTR_ROOTFS, rootfs, ROOTFS_WHAT, &c->rootfs);
        if (r < 0)
            return r;
    }
    if (image) {
        c->image_line = image->line;
        if (!config_image_name_is_valid(image->value))
            section_error(p, s, image->line, CTR_IMAGE,
                          "invalid image name '%s' (" IMAGE_EXPECTED ")", image->value);
        else if ((r = set_string(&c->image, image->value)) < 0)
            return r;
    }

    c->rootfs_mode = ROOTFS_OVERLAY;
    if (mode) {
        c->rootfs_mode_line = mode->line;
        mode_ok = false;
        for (size_t i = 0; i < ELEMENTSOF(rootfs_mode_names); i++)
            if (streq(mode->value, rootfs_mode_names[i])) {
                c->rootfs_mode = (enum rootfs_mode) i;
                mode_ok = true;
            }
        if (!mode_ok)
            section_error(p, s, mode->line, CTR_ROOTFS_MODE,
                          "invalid rootfs mode '%s' (" ROOTFS_MODE_EXPECTED ")", mode->value);
    }
    c->ephemeral = false;
    parse_flag(p, s, CTR_EPHEMERAL, &c->ephemeral);

    /* An image is shared by every container that runs on it: written in
     * place, one container would change the others' root. */
    if (c->rootfs_mode == ROOTFS_BIND && image) {
        v = later(mode, image, CTR_ROOTFS_MODE, CTR_IMAGE, &key);
        section_error(p, s, v->line, key,
                      "rootfs_mode = bind would let the container write into the shared image; "
                      "use overlay or copy");
    }
    if (c->rootfs_mode == ROOTFS_BIND && c->ephemeral) {
        v = later(mode, eph, CTR_ROOTFS_MODE, CTR_EPHEMERAL, &key);
        section_error(p, s, v->line, key,
                      "ephemeral = yes needs rootfs_mode = overlay or copy (bind writes into the "
                      "rootfs itself)");
    }
    return 0;
}

/* A mount point inside the container: a volume's CONTAINER side or a
 * tmpfs's PATH, given as text of length n from the value whole. Absolute,
 * normalised, staying inside (no ".."), not the root, not over the
 * kernel's file systems. *ret is set only if it is usable. */
static int parse_target(struct parser *p, const struct raw_section *s, int key,
                        const struct raw_value *v, const char *text, size_t n, char **ret)
{
    _cleanup_free_ char *raw = strndup(text, n), *t = NULL;

    if (!raw)
        return -ENOMEM;
    if (!*raw) {
        section_error(p, s, v->line, key, "empty container path in '%s' (" TARGET_EXPECTED ")",
                      v->value);
        return 0;
    }
    if (raw[0] != '/') {
        section_error(p, s, v->line, key, "container path '%s' is relative (" TARGET_EXPECTED ")",
                      raw);
        return 0;
    }
    t = normalize_path(raw);
    if (!t)
        return -ENOMEM;
    /* The runtime mounts below the new root: ".." would climb out of it
     * before the pivot, and resolving it here would be wrong across the
     * image's symlinks. */
    for (const char *c = t; *c;) {
        size_t len = strcspn(++c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            section_error(p, s, v->line, key,
                          "container path '%s' has a '..' component (expected a path that stays "
                          "inside the container, e.g. /data)",
                          raw);
            return 0;
        }
        c += len;
    }
    if (streq(t, "/")) {
        section_error(p, s, v->line, key,
                      "cannot mount over the container's root (expected a path below /, e.g. "
                      "/data)");
        return 0;
    }
    /* The runtime mounts proc and sysfs there, and masks parts of them:
     * a mount over or below them would undo that or hide what the
     * container's tools read. */
    if (streq(t, "/proc") || strncmp(t, "/proc/", 6) == 0 || streq(t, "/sys") ||
        strncmp(t, "/sys/", 5) == 0) {
        section_error(p, s, v->line, key,
                      "'%s' would hide the kernel's files (expected a path outside /proc and "
                      "/sys)",
                      t);
        return 0;
    }
    *ret = TAKE_PTR(t);
    return 0;
}

/* volume = HOST:CONTAINER[:ro|:rw]. Paths are split at ':', so neither
 * may hold one. *ret_ok: the entry is whole in *ret; otherwise whatever
 * it holds is freed by the caller. Every problem of the entry is reported. */
static int parse_volume(struct parser *p, const struct raw_section *s, const struct raw_value *v,
                        struct volume_spec *ret, bool *ret_ok)
{
    const char *str = v->value, *c1 = strchr(str, ':'), *c2, *mode = NULL;
    _cleanup_free_ char *host = NULL;
    bool ok = true;
    int r;

    *ret = (struct volume_spec){.line = v->line};
    *ret_ok = false;
    if (!c1) {
        section_error(p, s, v->line, CTR_VOLUME, "invalid volume '%s' (" VOLUME_EXPECTED ")", str);
        return 0;
    }
    c2 = strchr(c1 + 1, ':');
    if (c2 && strchr(c2 + 1, ':')) {
        section_error(p, s, v->line, CTR_VOLUME, "too many ':' in '%s' (" VOLUME_EXPECTED ")", str);
        return 0;
    }
    if (c2)
        mode = c2 + 1;
    else
        c2 = c1 + strlen(c1);

    host = strndup(str, (size_t) (c1 - str));
    if (!host)
        return -ENOMEM;
    if (!*host) {
        section_error(p, s, v->line, CTR_VOLUME, "empty host path in '%s' (" VOLUME_EXPECTED ")",
                      str);
        ok = false;
    } else {
        r = resolve_path(p, s, CTR_VOLUME, v->line, host, "a host path, e.g. /srv/data:/data",
                         &ret->source);
        if (r < 0)
            return r;
        /* A relative HOST takes the INI file's directory, which could
         * hold a ':' that the dump could not write back. */
        if (ret->source && strchr(ret->source, ':')) {
            section_error(p, s, v->line, CTR_VOLUME,
                          "host path '%s' contains ':' (" VOLUME_EXPECTED ")", ret->source);
            ok = false;
        }
        ok &= ret->source != NULL;
    }

    r = parse_target(p, s, CTR_VOLUME, v, c1 + 1, (size_t) (c2 - c1 - 1), &ret->target);
    if (r < 0)
        return r;
    ok &= ret->target != NULL;

    if (mode && streq(mode, "ro"))
        ret->readonly = true;
    else if (mode && !streq(mode, "rw")) {
        section_error(p, s, v->line, CTR_VOLUME,
                      "invalid mode '%s' in '%s' (expected ro or rw, e.g. /srv/data:/data:ro)",
                      mode, str);
        ok = false;
    }
    *ret_ok = ok;
    return 0;
}

/* One tmpfs option, text of length n: size=SIZE or mode=OCTAL. */
static int parse_tmpfs_option(struct parser *p, const struct raw_section *s,
                              const struct raw_value *v, const char *text, size_t n,
                              struct tmpfs_spec *t, bool *seen_size, bool *seen_mode)
{
    _cleanup_free_ char *opt = strndup(text, n);
    const char *val;
    uint64_t u;

    if (!opt)
        return -ENOMEM;
    if (!*opt) {
        section_error(p, s, v->line, CTR_TMPFS, "empty option in '%s' (" TMPFS_EXPECTED ")",
                      v->value);
        return -EINVAL;
    }
    if (strncmp(opt, "size=", 5) == 0) {
        val = opt + 5;
        if (*seen_size) {
            section_error(p, s, v->line, CTR_TMPFS, "size given twice in '%s' (" TMPFS_EXPECTED ")",
                          v->value);
            return -EINVAL;
        }
        *seen_size = true;
        if (parse_size(val, &u) < 0) {
            section_error(p, s, v->line, CTR_TMPFS,
                          "invalid size '%s' in '%s' (expected e.g. size=16M or size=1G)", val,
                          v->value);
            return -EINVAL;
        }
        if (u < TMPFS_SIZE_MIN) {
            section_error(p, s, v->line, CTR_TMPFS, "size '%s' is too small (expected at least 4K)",
                          val);
            return -EINVAL;
        }
        t->size = u;
        return 0;
    }
    if (strncmp(opt, "mode=", 5) == 0) {
        val = opt + 5;
        if (*seen_mode) {
            section_error(p, s, v->line, CTR_TMPFS, "mode given twice in '%s' (" TMPFS_EXPECTED ")",
                          v->value);
            return -EINVAL;
        }
        *seen_mode = true;
        /* Octal, as chmod takes it; counting stops past 07777, so that
         * no number of digits can wrap. */
        u = 0;
        for (const char *d = val; *d >= '0' && *d <= '7' && u <= 07777; d++)
            u = u * 8 + (uint64_t) (*d - '0');
        if (!*val || strspn(val, "01234567") != strlen(val) || u > 07777) {
            section_error(p, s, v->line, CTR_TMPFS,
                          "invalid mode '%s' in '%s' (expected an octal mode up to 7777, e.g. "
                          "mode=1777 or mode=755)",
                          val, v->value);
            return -EINVAL;
        }
        t->mode = (uint32_t) u;
        return 0;
    }
    section_error(p, s, v->line, CTR_TMPFS, "unknown option '%s' in '%s' (" TMPFS_EXPECTED ")", opt,
                  v->value);
    return -EINVAL;
}

/* tmpfs = PATH[:OPTIONS]; as parse_volume(). */
static int parse_tmpfs(struct parser *p, const struct raw_section *s, const struct raw_value *v,
                       struct tmpfs_spec *ret, bool *ret_ok)
{
    const char *str = v->value, *colon = strchrnul(str, ':');
    bool ok = true, seen_size = false, seen_mode = false;
    int r;

    *ret = (struct tmpfs_spec){.mode = TMPFS_MODE_DEFAULT, .line = v->line};
    *ret_ok = false;
    r = parse_target(p, s, CTR_TMPFS, v, str, (size_t) (colon - str), &ret->target);
    if (r < 0)
        return r;
    ok &= ret->target != NULL;
    if (*colon)
        for (const char *o = colon + 1;;) {
            size_t n = strcspn(o, ",");
            r = parse_tmpfs_option(p, s, v, o, n, ret, &seen_size, &seen_mode);
            if (r == -ENOMEM)
                return r;
            ok &= r == 0;
            if (!o[n])
                break;
            o += n + 1;
        }
    *ret_ok = ok;
    return 0;
}

/* A mount point, for the check that no two share one. */
struct mount_ref {
    const char *target;
    unsigned line;
    int key;
};

static int mount_ref_cmp(const void *a, const void *b)
{
    const struct mount_ref *x = a, *y = b;

    return x->line < y->line ? -1 : x->line > y->line;
}

/* volume and tmpfs: every entry, then no two on the same container path
 * (the later one is reported, naming the earlier). */
static int build_mounts(struct parser *p, const struct raw_section *s, struct container_spec *c)
{
    _cleanup_free_ struct mount_ref *refs = NULL;
    size_t n_refs = 0;
    bool ok;
    int r;

    if (s->n_volume > CONFIG_VOLUMES_MAX)
        section_error(p, s, s->volume[CONFIG_VOLUMES_MAX].line, CTR_VOLUME,
                      "more than %d volumes (expected at most %d per container)",
                      CONFIG_VOLUMES_MAX, CONFIG_VOLUMES_MAX);
    if (s->n_tmpfs > CONFIG_TMPFS_MAX)
        section_error(p, s, s->tmpfs[CONFIG_TMPFS_MAX].line, CTR_TMPFS,
                      "more than %d tmpfs mounts (expected at most %d per container)",
                      CONFIG_TMPFS_MAX, CONFIG_TMPFS_MAX);

    if (s->n_volume > 0) {
        c->volumes = calloc(s->n_volume, sizeof(*c->volumes));
        if (!c->volumes)
            return -ENOMEM;
    }
    for (size_t i = 0; i < s->n_volume; i++) {
        struct volume_spec *vol = &c->volumes[c->n_volumes];

        /* Counted first, so that container_spec_done() frees what it holds. */
        c->n_volumes++;
        r = parse_volume(p, s, &s->volume[i], vol, &ok);
        if (r < 0)
            return r;
        if (!ok) {
            free(vol->source);
            free(vol->target);
            c->n_volumes--;
        }
    }
    if (s->n_tmpfs > 0) {
        c->tmpfs = calloc(s->n_tmpfs, sizeof(*c->tmpfs));
        if (!c->tmpfs)
            return -ENOMEM;
    }
    for (size_t i = 0; i < s->n_tmpfs; i++) {
        struct tmpfs_spec *t = &c->tmpfs[c->n_tmpfs];

        c->n_tmpfs++;
        r = parse_tmpfs(p, s, &s->tmpfs[i], t, &ok);
        if (r < 0)
            return r;
        if (!ok) {
            free(t->target);
            c->n_tmpfs--;
        }
    }

    if (c->n_volumes + c->n_tmpfs < 2)
        return 0;
    refs = calloc(c->n_volumes + c->n_tmpfs, sizeof(*refs));
    if (!refs)
        return -ENOMEM;
    for (size_t i = 0; i < c->n_volumes; i++)
        refs[n_refs++] = (struct mount_ref){c->volumes[i].target, c->volumes[i].line, CTR_VOLUME};
    for (size_t i = 0; i < c->n_tmpfs; i++)
        refs[n_refs++] = (struct mount_ref){c->tmpfs[i].target, c->tmpfs[i].line, CTR_TMPFS};
    /* One key per line, so the lines are distinct: file order. */
    qsort(refs, n_refs, sizeof(*refs), mount_ref_cmp);
    for (size_t i = 1; i < n_refs; i++)
        for (size_t j = 0; j < i; j++)
            if (streq(refs[i].target, refs[j].target)) {
                section_error(p, s, refs[i].line, refs[i].key,
                              "'%s' is already mounted by the %s at line %u (expected one mount "
                              "per container path)",
                              refs[i].target, section_keys[SECTION_CONTAINER][refs[j].key],
                              refs[j].line);
                break;
            }
    return 0;
}

static int build_container(struct parser *p, const struct raw_section *s,
                           const struct supervisor_spec *sup, const struct network_spec *net,
                           bool subnet_ok, struct container_spec *c)
{
    const char *const defaults[] = {default_path_env, NULL, "HOME=/root", "container=corral"};
    _cleanup_free_ char *hostname_env = NULL;
    const struct raw_value *v;
    int r;

    c->name = strdup(s->name);
    if (!c->name)
        return -ENOMEM;
    c->line = s->line;

    r = build_rootfs(p, s, c);
    if (r < 0)
        return r;
    r = build_mounts(p, s, c);
    if (r < 0)
        return r;

    v = raw_get(s, CTR_COMMAND);
    if (!v)
        section_error(p, s, s->line, CTR_COMMAND,
                      "missing required key (expected command = PROGRAM ARG... or a JSON array "
                      "of strings)");
    else if ((r = parse_command(p, s, v, &c->argv)) < 0)
        return r;

    v = raw_get(s, CTR_HOSTNAME);
    if (v && !hostname_is_valid(v->value))
        section_error(p, s, v->line, CTR_HOSTNAME, "invalid hostname '%s' (" HOSTNAME_EXPECTED ")",
                      v->value);
    else if (!v && !s->discard && !hostname_is_valid(s->name))
        section_error(p, s, s->line, CTR_HOSTNAME,
                      "the container name '%s' is not a valid hostname, set hostname = NAME "
                      "(" HOSTNAME_EXPECTED ")",
                      s->name);
    else if ((r = set_string(&c->hostname, v ? v->value : s->name)) < 0)
        return r;

    /* The defaults go first so that the user's entries replace them in place. */
    if (asprintf(&hostname_env, "HOSTNAME=%s", c->hostname ?: s->name) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
        char *d = defaults[i] ? strdup(defaults[i]) : TAKE_PTR(hostname_env);
        if (!d)
            return -ENOMEM;
        r = env_set(&c->env, d);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < s->n_env; i++) {
        const struct raw_value *e = &s->env[i];
        const char *eq = strchr(e->value, '=');

        if (!eq)
            section_error(p, s, e->line, CTR_ENV,
                          "invalid environment entry '%s' (expected KEY=VALUE)", e->value);
        else if (!env_name_is_valid(e->value, (size_t) (eq - e->value)))
            section_error(p, s, e->line, CTR_ENV,
                          "invalid variable name '%.*s' (expected KEY=VALUE with KEY of "
                          "A-Z, a-z, 0-9 and '_', not starting with a digit)",
                          (int) (eq - e->value), e->value);
        else {
            char *d = strdup(e->value);
            if (!d)
                return -ENOMEM;
            r = env_set(&c->env, d);
            if (r < 0)
                return r;
        }
    }

    r = set_string(&c->workdir, "/");
    if (r < 0)
        return r;
    c->workdir_line = s->line;
    v = raw_get(s, CTR_WORKDIR);
    if (v) {
        c->workdir_line = v->line;
        if (v->value[0] != '/')
            section_error(p, s, v->line, CTR_WORKDIR,
                          "relative path '%s' (expected an absolute path, e.g. /srv/app)",
                          v->value);
        else {
            char *n = normalize_path(v->value);
            if (!n)
                return -ENOMEM;
            free(c->workdir);
            c->workdir = n;
        }
    }

    c->stop_signal = SIGTERM;
    v = raw_get(s, CTR_STOP_SIGNAL);
    if (v) {
        r = signal_from_string(v->value);
        if (r < 0)
            section_error(p, s, v->line, CTR_STOP_SIGNAL,
                          "invalid signal '%s' (expected a name like SIGTERM or TERM, or a "
                          "number from 1 to %d)",
                          v->value, NSIG - 1);
        else
            c->stop_signal = r;
    }

    c->stop_timeout_ms = sup->stop_timeout_ms;
    parse_duration(p, s, CTR_STOP_TIMEOUT, &c->stop_timeout_ms);
    c->pause_timeout_ms = sup->pause_timeout_ms;
    parse_duration(p, s, CTR_PAUSE_TIMEOUT, &c->pause_timeout_ms);

    build_policy(p, s, &ctr_policy_keys, &sup->restart, &sup->log, &c->restart, &c->log);
    parse_success_codes(p, s, c);
    r = parse_name_list(p, s, CTR_DEPENDS_ON, "depends on itself", &c->depends_on, &c->n_depends_on,
                        &c->depends_on_line);
    if (r < 0)
        return r;

    r = build_limits(p, s, c);
    if (r < 0)
        return r;
    r = build_container_network(p, s, net, subnet_ok, c);
    if (r < 0)
        return r;
    r = build_security(p, s, c);
    if (r < 0)
        return r;
    build_userns(p, s, c);
    return 0;
}

static void supervisor_spec_done(struct supervisor_spec *s)
{
    free(s->state_dir);
    free(s->run_dir);
    free(s->log_dir);
    free(s->cgroup_parent);
}

static void network_spec_done(struct network_spec *n)
{
    free(n->bridge);
    free(n->dns_servers);
}

static void container_spec_done(struct container_spec *c)
{
    free(c->name);
    free(c->rootfs);
    free(c->image);
    for (size_t i = 0; i < c->n_volumes; i++) {
        free(c->volumes[i].source);
        free(c->volumes[i].target);
    }
    free(c->volumes);
    for (size_t i = 0; i < c->n_tmpfs; i++)
        free(c->tmpfs[i].target);
    free(c->tmpfs);
    strv_free(c->argv);
    free(c->hostname);
    strv_free(c->env);
    free(c->workdir);
    free(c->cpuset_cpus);
    free(c->cpuset_mems);
    strv_free(c->depends_on);
    free(c->depends_on_idx);
    free(c->publish);
    strv_free(c->connect);
    free(c->connect_idx);
    free(c->seccomp_file);
    free(c->rlimits);
}

void config_free(struct corral_config *c)
{
    if (!c)
        return;
    free(c->path);
    supervisor_spec_done(&c->sup);
    network_spec_done(&c->net);
    for (size_t i = 0; i < c->n_containers; i++)
        container_spec_done(&c->containers[i]);
    free(c->containers);
    free(c);
}

/* Depth-first walk from container i; color 0 new, 1 on the path, 2 done.
 * path holds the walk so a cycle can be named in full. */
static void find_cycle(struct parser *p, const struct corral_config *c, size_t i, uint8_t *color,
                       size_t *path, size_t depth)
{
    const struct container_spec *ctr = &c->containers[i];

    color[i] = 1;
    path[depth] = i;
    for (size_t k = 0; k < ctr->n_depends_on; k++) {
        size_t j = ctr->depends_on_idx[k];

        if (j == SIZE_MAX || color[j] == 2)
            continue;
        if (color[j] == 1) {
            char msg[1024] = "";
            size_t start = 0, len = 0;
            while (path[start] != j)
                start++;
            for (size_t d = start; d <= depth && len < sizeof(msg); d++)
                len += (size_t) snprintf(msg + len, sizeof(msg) - len, "%s -> ",
                                         c->containers[path[d]].name);
            if (len < sizeof(msg))
                snprintf(msg + len, sizeof(msg) - len, "%s", c->containers[j].name);
            section_error(p, find_section(p, SECTION_CONTAINER, ctr->name), ctr->depends_on_line,
                          CTR_DEPENDS_ON, "dependency cycle: %s", msg);
            continue;
        }
        find_cycle(p, c, j, color, path, depth + 1);
    }
    color[i] = 2;
}

/* Look up the names of a depends_on or connect list; an unknown one is
 * reported and gets SIZE_MAX. */
static int resolve_names(struct parser *p, const struct corral_config *c,
                         const struct container_spec *ctr, int key, char *const *names, size_t n,
                         unsigned line, size_t **ret_idx)
{
    size_t *idx;

    if (n == 0)
        return 0;
    idx = calloc(n, sizeof(size_t));
    if (!idx)
        return -ENOMEM;
    for (size_t k = 0; k < n; k++) {
        const struct container_spec *other = config_find_container(c, names[k]);

        idx[k] = other ? (size_t) (other - c->containers) : SIZE_MAX;
        if (!other)
            section_error(p, find_section(p, SECTION_CONTAINER, ctr->name), line, key,
                          "no container named '%s' (expected names of [container NAME] "
                          "sections in this file)",
                          names[k]);
    }
    *ret_idx = idx;
    return 0;
}

/* Every depends_on name must be a container; the graph must have no cycle. */
static int resolve_dependencies(struct parser *p, struct corral_config *c)
{
    _cleanup_free_ uint8_t *color = NULL;
    _cleanup_free_ size_t *path = NULL;
    int r;

    for (size_t i = 0; i < c->n_containers; i++) {
        struct container_spec *ctr = &c->containers[i];

        r = resolve_names(p, c, ctr, CTR_DEPENDS_ON, ctr->depends_on, ctr->n_depends_on,
                          ctr->depends_on_line, &ctr->depends_on_idx);
        if (r < 0)
            return r;
    }
    color = calloc(c->n_containers ?: 1, 1);
    path = calloc(c->n_containers ?: 1, sizeof(*path));
    if (!color || !path)
        return -ENOMEM;
    for (size_t i = 0; i < c->n_containers; i++)
        if (color[i] == 0)
            find_cycle(p, c, i, color, path, 0);
    return 0;
}

/* What must be unique across the file: a static address, a MAC, a host port
 * per protocol. The later one is reported, naming the earlier; one message
 * per clash, so three containers on one address give two. Also resolves
 * connect, whose peers must be on the bridge. */
static int resolve_network(struct parser *p, struct corral_config *c)
{
    int r;

    for (size_t i = 0; i < c->n_containers; i++) {
        struct container_spec *ctr = &c->containers[i];
        const struct raw_section *s = find_section(p, SECTION_CONTAINER, ctr->name);

        for (size_t j = 0; ctr->ip && j < i; j++)
            if (c->containers[j].ip == ctr->ip) {
                char buf[16];
                format_ipv4(ctr->ip, buf);
                section_error(p, s, ctr->ip_line, CTR_IP,
                              "%s is already the address of container '%s' (line %u)", buf,
                              c->containers[j].name, c->containers[j].ip_line);
                break;
            }

        for (size_t j = 0; ctr->has_mac && j < i; j++)
            if (c->containers[j].has_mac && memcmp(c->containers[j].mac, ctr->mac, 6) == 0) {
                char buf[18];
                format_mac(ctr->mac, buf);
                section_error(p, s, ctr->mac_line, CTR_MAC,
                              "%s is already the MAC address of container '%s' (line %u)", buf,
                              c->containers[j].name, c->containers[j].mac_line);
                break;
            }

        for (size_t k = 0; k < ctr->n_publish; k++) {
            const struct publish_spec *pub = &ctr->publish[k];
            bool found = false;

            /* Every earlier entry: other containers', then this one's own. */
            for (size_t j = 0; j <= i && !found; j++) {
                const struct container_spec *o = &c->containers[j];
                for (size_t m = 0; m < (j < i ? o->n_publish : k) && !found; m++)
                    if (o->publish[m].host_port == pub->host_port &&
                        o->publish[m].proto == pub->proto) {
                        section_error(p, s, pub->line, CTR_PUBLISH,
                                      "host port %u/%s is already published by container '%s' "
                                      "(line %u)",
                                      pub->host_port, proto_to_string(pub->proto), o->name,
                                      o->publish[m].line);
                        found = true;
                    }
            }
        }

        r = resolve_names(p, c, ctr, CTR_CONNECT, ctr->connect, ctr->n_connect, ctr->connect_line,
                          &ctr->connect_idx);
        if (r < 0)
            return r;
        for (size_t k = 0; k < ctr->n_connect; k++)
            if (ctr->connect_idx[k] != SIZE_MAX && c->containers[ctr->connect_idx[k]].network_none)
                section_error(p, s, ctr->connect_line, CTR_CONNECT,
                              "container '%s' has network = none (expected containers with "
                              "network = bridge)",
                              ctr->connect[k]);
    }
    return 0;
}

/* Two containers mapped onto the same host ids would share their users:
 * root in one would own the other's files. So no explicit range may
 * overlap another or the pool, and the pool must have a range for every
 * container that asks for one. As with addresses, a clash is reported
 * on the later container, naming the first earlier one it overlaps. */
/* The host ids a container's namespace takes, but a pool range's (not
 * known yet): its HOSTID:COUNT, or every line of its uid and gid maps. */
static size_t host_ranges(const struct userns_spec *u, struct id_range out[2 * USERNS_MAP_MAX])
{
    size_t n = 0;

    if (!u->enabled || u->from_pool)
        return 0;
    if (u->n_uid_map == 0) {
        out[0] = (struct id_range){0, u->host_start, u->count};
        return 1;
    }
    for (size_t i = 0; i < u->n_uid_map; i++)
        out[n++] = u->uid_map[i];
    for (size_t i = 0; i < u->n_gid_map; i++)
        out[n++] = u->gid_map[i];
    return n;
}

/* Where the i-th of host_ranges() was written: its line, and its key. */
static unsigned range_origin(const struct userns_spec *u, size_t i, int *ret_key)
{
    bool uid = i < u->n_uid_map;
    int key = u->n_uid_map == 0 ? CTR_USERNS : uid ? CTR_UID_MAP : CTR_GID_MAP;
    unsigned line = u->n_uid_map == 0 ? u->line : uid ? u->uid_map_line : u->gid_map_line;

    /* A map that defaulted to the other was written as the other. */
    if (key != CTR_USERNS && line == 0) {
        key = key == CTR_UID_MAP ? CTR_GID_MAP : CTR_UID_MAP;
        line = key == CTR_UID_MAP ? u->uid_map_line : u->gid_map_line;
    }
    if (ret_key)
        *ret_key = key;
    return line;
}

static void resolve_userns(struct parser *p, const struct corral_config *c, bool pool_ok)
{
    const struct supervisor_spec *sup = &c->sup;
    uint64_t pool_start = sup->userns_pool_start;
    uint64_t pool_end = pool_start + sup->userns_pool_count;
    size_t ranges = sup->userns_pool_count / USERNS_RANGE, asking = 0;
    const struct container_spec *over = NULL;
    char pool[96];

    if (sup->userns_pool_line > 0)
        snprintf(pool, sizeof(pool), "userns_pool %" PRIu32 ":%" PRIu32 " (line %u)",
                 sup->userns_pool_start, sup->userns_pool_count, sup->userns_pool_line);
    else
        snprintf(pool, sizeof(pool), "the default pool %" PRIu32 ":%" PRIu32,
                 sup->userns_pool_start, sup->userns_pool_count);

    for (size_t i = 0; i < c->n_containers; i++) {
        const struct container_spec *ctr = &c->containers[i];
        const struct userns_spec *u = &ctr->userns;
        const struct raw_section *s = find_section(p, SECTION_CONTAINER, ctr->name);
        struct id_range mine[2 * USERNS_MAP_MAX], theirs[2 * USERNS_MAP_MAX];
        size_t n_mine = host_ranges(u, mine);
        bool reported = false;

        if (!u->enabled)
            continue;
        if (u->from_pool) {
            if (++asking == ranges + 1)
                over = ctr;
            continue;
        }
        for (size_t j = 0; j < i && !reported; j++) {
            const struct userns_spec *o = &c->containers[j].userns;
            size_t n_theirs = host_ranges(o, theirs);

            for (size_t a = 0; a < n_mine && !reported; a++)
                for (size_t b = 0; b < n_theirs && !reported; b++)
                    if (mine[a].host < (uint64_t) theirs[b].host + theirs[b].count &&
                        theirs[b].host < (uint64_t) mine[a].host + mine[a].count) {
                        int key;
                        unsigned line = range_origin(u, a, &key);

                        section_error(p, s, line, key,
                                      "%" PRIu32 ":%" PRIu32 " overlaps %" PRIu32 ":%" PRIu32
                                      " of container '%s' (line %u) (expected host ids no "
                                      "other container maps)",
                                      mine[a].host, mine[a].count, theirs[b].host, theirs[b].count,
                                      c->containers[j].name, range_origin(o, b, NULL));
                        reported = true;
                    }
        }
        for (size_t a = 0; pool_ok && a < n_mine; a++)
            if (mine[a].host < pool_end && pool_start < (uint64_t) mine[a].host + mine[a].count) {
                int key;
                unsigned line = range_origin(u, a, &key);

                section_error(p, s, line, key,
                              "%" PRIu32 ":%" PRIu32 " overlaps %s (expected host ids outside "
                              "%" PRIu64 " to %" PRIu64 ", or a userns_pool elsewhere)",
                              mine[a].host, mine[a].count, pool, pool_start, pool_end - 1);
                break;
            }
    }
    /* Once, on the first container the pool cannot serve. */
    if (pool_ok && over)
        section_error(p, find_section(p, SECTION_CONTAINER, over->name), over->userns.line,
                      CTR_USERNS,
                      "%s has %zu range%s of 65536 ids, and %zu containers ask for one "
                      "(expected a larger userns_pool, or fewer containers with userns = yes)",
                      pool, ranges, ranges == 1 ? "" : "s", asking);
}

/* Validate everything collected; discarded sections are checked too, so
 * that their problems are reported, and then thrown away. */
static int build_config(struct parser *p, struct corral_config **ret)
{
    _cleanup_(config_freep) struct corral_config *c = NULL;
    const struct raw_section *sup, *net;
    bool subnet_ok = true, pool_ok = true;
    size_t n = 0;
    int r;

    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->path = strdup(p->name);
    if (!c->path)
        return -ENOMEM;

    /* Build [supervisor] first: containers inherit its timeouts. */
    sup = find_section(p, SECTION_SUPERVISOR, NULL);
    r = build_supervisor(p, sup, &c->sup, &pool_ok);
    if (r < 0)
        return r;
    net = find_section(p, SECTION_NETWORK, NULL);
    r = build_network(p, net, &c->net, &subnet_ok);
    if (r < 0)
        return r;

    for (size_t i = 0; i < p->n_sections; i++)
        n += p->sections[i]->kind == SECTION_CONTAINER && !p->sections[i]->discard;
    c->containers = calloc(n ?: 1, sizeof(*c->containers));
    if (!c->containers)
        return -ENOMEM;

    for (size_t i = 0; i < p->n_sections; i++) {
        const struct raw_section *s = p->sections[i];

        if (s == sup || s == net)
            continue;
        if (!s->discard && s->kind == SECTION_CONTAINER) {
            /* Counted as soon as it holds anything, so config_free() sees it. */
            r = build_container(p, s, &c->sup, &c->net, subnet_ok,
                                &c->containers[c->n_containers++]);
        } else {
            union {
                struct supervisor_spec sup;
                struct network_spec net;
                struct container_spec ctr;
            } tmp = {};
            if (s->kind == SECTION_SUPERVISOR) {
                r = build_supervisor(p, s, &tmp.sup, NULL);
                supervisor_spec_done(&tmp.sup);
            } else if (s->kind == SECTION_NETWORK) {
                r = build_network(p, s, &tmp.net, NULL);
                network_spec_done(&tmp.net);
            } else {
                r = build_container(p, s, &c->sup, &c->net, subnet_ok, &tmp.ctr);
                container_spec_done(&tmp.ctr);
            }
        }
        if (r < 0)
            return r;
    }

    r = resolve_dependencies(p, c);
    if (r < 0)
        return r;
    r = resolve_network(p, c);
    if (r < 0)
        return r;
    resolve_userns(p, c, pool_ok);

    if (p->diags.oom)
        return -ENOMEM;
    if (p->diags.n > 0)
        return -EINVAL;
    *ret = TAKE_PTR(c);
    return 0;
}

/* inih reads lines into a 200-byte buffer by default, shorter than many
 * real commands. Debian's and Ubuntu's libinih turn the compile-time knobs
 * into variables; where they exist, ask for one heap buffer big enough for
 * any sane line (no realloc: the reader hands over whole lines). */
static void lift_line_limit(void)
{
#ifdef HAVE_INIH_RUNTIME_OPTIONS
    ini_use_stack = false;
    ini_allow_realloc = false;
    ini_initial_alloc = CONFIG_LINE_MAX;
    ini_max_line = CONFIG_LINE_MAX;
#endif
}

size_t config_line_max(void)
{
#ifdef HAVE_INIH_RUNTIME_OPTIONS
    return CONFIG_LINE_MAX - 1;
#else
    return INI_MAX_LINE - 1;
#endif
}

static int load(const char *name, const char *text, size_t len, struct corral_config **ret,
                struct config_diag *diag)
{
    _cleanup_(parser_done) struct parser p = {
        .name = name,
        .text = text,
        .len = len,
        .diags.file = name,
    };
    struct corral_config *c = NULL;
    int r, k;

    lift_line_limit();
    r = ini_parse_stream(read_line, &p, handle_key, &p);
    if (r == -2)
        return -ENOMEM;
    /* A safety net: the reader should have caught whatever inih dislikes. */
    if (r > 0 && p.diags.n == 0)
        diag_add(&p.diags, (unsigned) r, NULL, NULL,
                 "syntax error: expected '[section]' or 'key = value'");

    r = build_config(&p, &c);
    /* Losing a message to ENOMEM must not look like a clean -EINVAL. */
    k = diag_list_flush(&p.diags, diag);
    if (k < 0) {
        config_free(c);
        return k;
    }
    if (r < 0)
        return r;
    *ret = c;
    return 0;
}

int config_load_string(const char *name, const char *text, struct corral_config **ret,
                       struct config_diag *diag)
{
    return load(name, text, strlen(text), ret, diag);
}

int config_load_file(const char *path, struct corral_config **ret, struct config_diag *diag)
{
    _cleanup_free_ char *text = NULL;
    int r;

    r = read_file(path, &text, CONFIG_FILE_MAX);
    if (r < 0) {
        struct diag_list l = {.file = path};
        int k;

        diag_add(&l, 0, NULL, NULL, "cannot read: %s", strerror(-r));
        k = diag_list_flush(&l, diag);
        diag_list_done(&l);
        return k < 0 ? k : r;
    }
    return load(path, text, (size_t) r, ret, diag);
}

/* A seccomp profile must be a regular file we can open: found now, not
 * when the container starts. Opened but not read; the runtime parses it. */
static void check_seccomp_file(struct diag_list *l, const char *title,
                               const struct container_spec *ctr)
{
    const char *path = ctr->seccomp_file;
    struct stat st;
    int fd;

    if (stat(path, &st) < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            diag_add(l, ctr->seccomp_line, title, "seccomp", "'%s' does not exist", path);
        else
            diag_add(l, ctr->seccomp_line, title, "seccomp", "cannot access '%s': %s", path,
                     strerror(e));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_add(l, ctr->seccomp_line, title, "seccomp",
                 "'%s' is %s (expected a JSON seccomp profile)", path,
                 S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
        return;
    }
    /* O_NONBLOCK: the file could be swapped for a FIFO after stat(). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        diag_add(l, ctr->seccomp_line, title, "seccomp", "cannot read '%s': %s", path,
                 strerror(errno));
    else
        close(fd);
}

/* rootfs = PATH: a directory, or a regular file we can open (an archive;
 * the image store reads it, not us). An archive is unpacked into the
 * store, which must never be written through: bind is refused for it. */
static void check_rootfs(struct diag_list *l, const char *title, const struct container_spec *ctr)
{
    const char *path = ctr->rootfs;
    struct stat st;
    int fd;

    if (stat(path, &st) < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            diag_add(l, ctr->rootfs_line, title, "rootfs", "'%s' does not exist", path);
        else
            diag_add(l, ctr->rootfs_line, title, "rootfs", "cannot access '%s': %s", path,
                     strerror(e));
        return;
    }
    if (S_ISDIR(st.st_mode))
        return;
    if (!S_ISREG(st.st_mode)) {
        diag_add(l, ctr->rootfs_line, title, "rootfs",
                 "'%s' is neither a directory nor an archive file", path);
        return;
    }
    /* O_NONBLOCK: the file could be swapped for a FIFO after stat(). */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        diag_add(l, ctr->rootfs_line, title, "rootfs", "cannot read '%s': %s", path,
                 strerror(errno));
        return;
    }
    close(fd);
    if (ctr->rootfs_mode == ROOTFS_BIND)
        diag_add(l, ctr->rootfs_mode_line ?: ctr->rootfs_line, title,
                 ctr->rootfs_mode_line ? "rootfs_mode" : "rootfs",
                 "rootfs_mode = bind would let the container write into the image unpacked "
                 "from '%s'; use overlay or copy",
                 path);
}

/* A volume's host side must be there: bind-mounting a missing path
 * fails at start, and creating it would guess at its owner and mode. */
static void check_volume(struct diag_list *l, const char *title, const struct volume_spec *vol)
{
    struct stat st;

    if (stat(vol->source, &st) < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            diag_add(l, vol->line, title, "volume",
                     "'%s' does not exist (a volume's host side must exist; create it first)",
                     vol->source);
        else
            diag_add(l, vol->line, title, "volume", "cannot access '%s': %s", vol->source,
                     strerror(e));
        return;
    }
    /* A device node would reach the host's device past the container's
     * own /dev (corral programs no device access control). */
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        diag_add(l, vol->line, title, "volume",
                 "'%s' is a device node (expected a directory or a file: a container gets no "
                 "host devices)",
                 vol->source);
}

int config_check_host(const struct corral_config *c, struct config_diag *diag)
{
    struct diag_list l = {.file = c->path};
    int r;

    for (size_t i = 0; i < c->n_containers; i++) {
        const struct container_spec *ctr = &c->containers[i];
        _cleanup_free_ char *title = NULL;

        if (asprintf(&title, "container %s", ctr->name) < 0) {
            l.oom = true;
            break;
        }
        if (ctr->rootfs)
            check_rootfs(&l, title, ctr);
        for (size_t k = 0; k < ctr->n_volumes; k++)
            check_volume(&l, title, &ctr->volumes[k]);
        if (ctr->seccomp == SECCOMP_FILE)
            check_seccomp_file(&l, title, ctr);
    }
    r = l.n > 0 ? -EINVAL : 0;
    if (diag_list_flush(&l, diag) < 0)
        r = -ENOMEM;
    diag_list_done(&l);
    return r;
}

void config_diag_container(struct config_diag *diag, const struct corral_config *c,
                           const struct container_spec *ctr, const char *key, const char *fmt, ...)
{
    struct diag_list l = {.file = c->path};
    _cleanup_free_ char *title = NULL;
    unsigned line = ctr->line;
    va_list ap;

    if (!diag)
        return;
    if (key && streq(key, "image") && ctr->image_line > 0)
        line = ctr->image_line;
    else if (key && streq(key, "rootfs") && ctr->rootfs_line > 0)
        line = ctr->rootfs_line;
    else if (key && streq(key, "rootfs_mode") && ctr->rootfs_mode_line > 0)
        line = ctr->rootfs_mode_line;
    if (asprintf(&title, "container %s", ctr->name) < 0)
        return;
    va_start(ap, fmt);
    diag_addv(&l, line, title, key, fmt, ap);
    va_end(ap);
    (void) diag_list_flush(&l, diag);
    diag_list_done(&l);
}

void config_diag_clear(struct config_diag *diag)
{
    strv_free(diag->lines);
    diag->lines = NULL;
    diag->n = 0;
}

const struct container_spec *config_find_container(const struct corral_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_containers; i++)
        if (streq(c->containers[i].name, name))
            return &c->containers[i];
    return NULL;
}

bool config_name_is_valid(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > CONFIG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        bool ok =
            (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (i > 0 && strchr("_.-", ch));
        if (!ok)
            return false;
    }
    return true;
}

static bool shell_safe(const char *w)
{
    if (!*w)
        return false;
    for (; *w; w++) {
        char ch = *w;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("@%+=:,./_-", ch)))
            return false;
    }
    return true;
}

char *config_argv_to_string(char *const *argv)
{
    size_t size = 1;
    char *r, *o;

    for (char *const *a = argv; a && *a; a++)
        size += 4 * strlen(*a) + 3; /* each ' may become '\'' */
    r = o = malloc(size);
    if (!r)
        return NULL;
    for (char *const *a = argv; a && *a; a++) {
        if (a != argv)
            *o++ = ' ';
        if (shell_safe(*a)) {
            o = stpcpy(o, *a);
            continue;
        }
        /* Single quotes keep everything literal; a ' closes them, is escaped
         * and reopens them, as in sh. */
        *o++ = '\'';
        for (const char *c = *a; *c; c++)
            o = *c == '\'' ? stpcpy(o, "'\\''") : (*o = *c, o + 1);
        *o++ = '\'';
    }
    *o = '\0';
    return r;
}

/* The JSON form, except that ';' after a space is written \u003b: inih
 * would take " ;" for the start of a comment. Outside strings jansson only
 * writes ", " before '"', so the substitution never touches the syntax.
 * Strings that are not UTF-8 cannot be JSON; those commands are written as
 * shell words, which the splitter reads back to the same argv. */
static void dump_command(char *const *argv, FILE *f)
{
    _cleanup_(json_decrefp) json_t *a = json_array();
    _cleanup_free_ char *text = NULL;

    for (char *const *w = argv; a && w && *w; w++)
        if (json_array_append_new(a, json_string(*w)) < 0) {
            json_decref(a);
            a = NULL;
        }
    text = a ? json_dumps(a, 0) : NULL;
    if (!text)
        text = config_argv_to_string(argv);
    if (!text)
        return;
    fputs("command = ", f);
    for (const char *c = text; *c; c++) {
        if (*c == ';' && c > text && c[-1] == ' ')
            fputs("\\u003b", f);
        else
            fputc(*c, f);
    }
    fputc('\n', f);
}

static void dump_duration(const char *key, uint64_t ms, FILE *f)
{
    if (ms % 1000 == 0)
        fprintf(f, "%s = %" PRIu64 "s\n", key, ms / 1000);
    else
        fprintf(f, "%s = %" PRIu64 "ms\n", key, ms);
}

/* In the largest unit that keeps it exact: 1G, 1536K, 4194305. */
static void size_to_string(uint64_t bytes, char buf[static 32])
{
    static const char *const units[] = {"", "K", "M", "G", "T"};
    size_t u = 0;

    while (u + 1 < ELEMENTSOF(units) && bytes > 0 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, 32, "%" PRIu64 "%s", bytes, units[u]);
}

static void dump_size(const char *key, uint64_t bytes, FILE *f)
{
    char buf[32];

    size_to_string(bytes, buf);
    fprintf(f, "%s = %s\n", key, buf);
}

/* The root file system and the mounts. A tmpfs of the default size has
 * no size= to write: 0 is not a size one may give. */
static void dump_root(const struct container_spec *ctr, FILE *f)
{
    if (ctr->image)
        fprintf(f, "image = %s\n", ctr->image);
    else
        fprintf(f, "rootfs = %s\n", ctr->rootfs);
    fprintf(f, "rootfs_mode = %s\n", rootfs_mode_to_string(ctr->rootfs_mode));
    fprintf(f, "ephemeral = %s\n", ctr->ephemeral ? "yes" : "no");
    for (size_t i = 0; i < ctr->n_volumes; i++)
        fprintf(f, "volume = %s:%s:%s\n", ctr->volumes[i].source, ctr->volumes[i].target,
                ctr->volumes[i].readonly ? "ro" : "rw");
    for (size_t i = 0; i < ctr->n_tmpfs; i++) {
        const struct tmpfs_spec *t = &ctr->tmpfs[i];
        char size[32];

        fprintf(f, "tmpfs = %s:", t->target);
        if (t->size) {
            size_to_string(t->size, size);
            fprintf(f, "size=%s,", size);
        }
        fprintf(f, "mode=%04" PRIo32 "\n", t->mode);
    }
}

/* 500 -> 0.5, 1250 -> 1.25, 2000 -> 2. */
static void dump_cpus(uint64_t millis, FILE *f)
{
    unsigned frac = (unsigned) (millis % 1000), digits = 3;

    fprintf(f, "cpus = %" PRIu64, millis / 1000);
    if (frac > 0) {
        for (; frac % 10 == 0; frac /= 10)
            digits--;
        fprintf(f, ".%0*u", (int) digits, frac);
    }
    fputc('\n', f);
}

/* Only the limits that are set: "not set" has no INI spelling. */
static void dump_limits(const struct container_spec *ctr, FILE *f)
{
    if (ctr->memory)
        dump_size("memory", ctr->memory, f);
    if (ctr->memory_swap)
        dump_size("memory_swap", ctr->memory_swap, f);
    if (ctr->cpu_millis)
        dump_cpus(ctr->cpu_millis, f);
    if (ctr->cpu_weight)
        fprintf(f, "cpu_weight = %" PRIu64 "\n", ctr->cpu_weight);
    if (ctr->cpuset_cpus)
        fprintf(f, "cpuset_cpus = %s\n", ctr->cpuset_cpus);
    if (ctr->cpuset_mems)
        fprintf(f, "cpuset_mems = %s\n", ctr->cpuset_mems);
    if (ctr->io_weight)
        fprintf(f, "io_weight = %" PRIu64 "\n", ctr->io_weight);
    if (ctr->pids)
        fprintf(f, "pids = %" PRIu64 "\n", ctr->pids);
}

static void dump_container_network(const struct container_spec *ctr, FILE *f)
{
    char buf[18];

    if (ctr->network_none) {
        fprintf(f, "network = none\n");
        return;
    }
    fprintf(f, "network = bridge\n");
    if (ctr->ip) {
        format_ipv4(ctr->ip, buf);
        fprintf(f, "ip = %s\n", buf);
    } else
        fprintf(f, "ip = auto\n");
    if (ctr->has_mac) {
        format_mac(ctr->mac, buf);
        fprintf(f, "mac = %s\n", buf);
    }
    for (size_t i = 0; i < ctr->n_publish; i++)
        fprintf(f, "publish = %u:%u/%s\n", ctr->publish[i].host_port, ctr->publish[i].port,
                proto_to_string(ctr->publish[i].proto));
    if (ctr->connect) {
        fprintf(f, "connect =");
        for (char **n = ctr->connect; *n; n++)
            fprintf(f, " %s", *n);
        fputc('\n', f);
    }
}

/* The capabilities in bits, by number: " chown dac_override ...". */
static void dump_caps(uint64_t bits, FILE *f)
{
    for (int cap = 0; cap < 64; cap++)
        if (bits & UINT64_C(1) << cap) {
            char name[32];
            format_cap(cap, name);
            fprintf(f, " %s", name);
        }
}

/* The effective set in full, as a comment, then what reads back to it:
 * cap_add and cap_drop relative to the default set (absolute lists would
 * turn every default into a wall of names). */
static void dump_security(const struct container_spec *ctr, FILE *f)
{
    uint64_t add = ctr->caps & ~CONFIG_DEFAULT_CAPS, drop = CONFIG_DEFAULT_CAPS & ~ctr->caps;

    fprintf(f, "# capabilities:");
    if (ctr->caps)
        dump_caps(ctr->caps, f);
    else
        fprintf(f, " none");
    fputc('\n', f);
    if (add) {
        fprintf(f, "cap_add =");
        dump_caps(add, f);
        fputc('\n', f);
    }
    if (drop) {
        fprintf(f, "cap_drop =");
        dump_caps(drop, f);
        fputc('\n', f);
    }
    if (ctr->seccomp == SECCOMP_FILE)
        fprintf(f, "seccomp = %s\n", ctr->seccomp_file);
    else
        fprintf(f, "seccomp = %s\n", ctr->seccomp == SECCOMP_UNCONFINED ? "unconfined" : "default");
    fprintf(f, "no_new_privileges = %s\n", ctr->no_new_privileges ? "yes" : "no");
    fprintf(f, "mask_paths = %s\n", ctr->mask_paths ? "yes" : "no");
    fprintf(f, "readonly_rootfs = %s\n", ctr->readonly_rootfs ? "yes" : "no");
    for (size_t i = 0; i < ctr->n_rlimits; i++) {
        const struct rlimit_spec *rl = &ctr->rlimits[i];
        const char *key = NULL;

        for (size_t k = 0; k < N_RLIMITS && !key; k++)
            if (rlimit_resources[k] == rl->resource)
                key = section_keys[SECTION_CONTAINER][CTR_RLIMIT_AS + k];
        if (!key)
            continue;
        fprintf(f, "%s = ", key);
        if (rl->soft == RLIM_INFINITY)
            fprintf(f, "unlimited:");
        else
            fprintf(f, "%" PRIu64 ":", rl->soft);
        if (rl->hard == RLIM_INFINITY)
            fprintf(f, "unlimited\n");
        else
            fprintf(f, "%" PRIu64 "\n", rl->hard);
    }
}

static void dump_id_map(const char *key, const struct id_range *r, size_t n, FILE *f)
{
    fprintf(f, "%s =", key);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %" PRIu32 ":%" PRIu32 ":%" PRIu32, r[i].inside, r[i].host, r[i].count);
    fputc('\n', f);
}

static void dump_userns(const struct userns_spec *u, FILE *f)
{
    if (u->n_uid_map > 0) {
        dump_id_map("uid_map", u->uid_map, u->n_uid_map, f);
        dump_id_map("gid_map", u->gid_map, u->n_gid_map, f);
        return;
    }
    if (!u->enabled)
        fprintf(f, "userns = no\n");
    else if (u->from_pool)
        fprintf(f, "userns = yes\n");
    else
        fprintf(f, "userns = %" PRIu32 ":%" PRIu32 "\n", u->host_start, u->count);
}

static void dump_policy(const struct restart_spec *r, const struct log_spec *l, FILE *f)
{
    fprintf(f, "restart = %s\n", restart_policy_to_string(r->policy));
    if (r->max)
        fprintf(f, "restart_max = %u\n", r->max);
    else
        fprintf(f, "restart_max = unlimited\n");
    dump_duration("restart_delay", r->delay_ms, f);
    dump_duration("restart_delay_max", r->delay_max_ms, f);
    dump_duration("restart_reset_after", r->reset_after_ms, f);
    dump_duration("start_grace", r->start_grace_ms, f);
    dump_size("log_max_size", l->max_size, f);
    fprintf(f, "log_max_files = %u\n", l->max_files);
}

void config_dump(const struct corral_config *c, FILE *f)
{
    const struct network_spec *n = &c->net;
    char buf[16];

    if (!strchr(c->path, '\n'))
        fprintf(f, "# Effective configuration of %s\n", c->path);
    fprintf(f, "[supervisor]\n");
    fprintf(f, "state_dir = %s\n", c->sup.state_dir);
    fprintf(f, "run_dir = %s\n", c->sup.run_dir);
    fprintf(f, "log_dir = %s\n", c->sup.log_dir);
    fprintf(f, "cgroup_parent = %s\n", c->sup.cgroup_parent);
    dump_duration("stop_timeout", c->sup.stop_timeout_ms, f);
    dump_duration("pause_timeout", c->sup.pause_timeout_ms, f);
    dump_policy(&c->sup.restart, &c->sup.log, f);
    fprintf(f, "userns_pool = %" PRIu32 ":%" PRIu32 "\n", c->sup.userns_pool_start,
            c->sup.userns_pool_count);

    fprintf(f, "\n[network]\n");
    fprintf(f, "bridge = %s\n", n->bridge);
    format_ipv4(n->subnet, buf);
    fprintf(f, "subnet = %s/%u\n", buf, n->prefix_len);
    format_ipv4(n->gateway, buf);
    fprintf(f, "gateway = %s\n", buf);
    fprintf(f, "nat = %s\n", n->nat ? "yes" : "no");
    fprintf(f, "icc = %s\n", n->icc ? "yes" : "no");
    if (n->dns_host)
        fprintf(f, "dns = host\n");
    else {
        fprintf(f, "dns =");
        for (size_t i = 0; i < n->n_dns_servers; i++) {
            format_ipv4(n->dns_servers[i], buf);
            fprintf(f, " %s", buf);
        }
        fputc('\n', f);
    }

    for (size_t i = 0; i < c->n_containers; i++) {
        const struct container_spec *ctr = &c->containers[i];
        const char *sig = signal_to_string(ctr->stop_signal);

        fprintf(f, "\n[container %s]\n", ctr->name);
        dump_root(ctr, f);
        dump_command(ctr->argv, f);
        fprintf(f, "hostname = %s\n", ctr->hostname);
        for (char **e = ctr->env; e && *e; e++)
            fprintf(f, "env = %s\n", *e);
        fprintf(f, "workdir = %s\n", ctr->workdir);
        /* Real-time signals have no name here: write the number. */
        if (streq(sig, "SIG?"))
            fprintf(f, "stop_signal = %d\n", ctr->stop_signal);
        else
            fprintf(f, "stop_signal = %s\n", sig);
        dump_duration("stop_timeout", ctr->stop_timeout_ms, f);
        dump_duration("pause_timeout", ctr->pause_timeout_ms, f);
        dump_policy(&ctr->restart, &ctr->log, f);
        fprintf(f, "success_exit_codes = 0");
        for (int code = 1; code < 256; code++)
            if (container_spec_success_code(ctr, code))
                fprintf(f, " %d", code);
        fputc('\n', f);
        if (ctr->depends_on) {
            fprintf(f, "depends_on =");
            for (char **d = ctr->depends_on; *d; d++)
                fprintf(f, " %s", *d);
            fputc('\n', f);
        }
        dump_limits(ctr, f);
        dump_container_network(ctr, f);
        dump_security(ctr, f);
        dump_userns(&ctr->userns, f);
    }
}
