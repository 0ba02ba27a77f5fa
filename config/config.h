/* SPDX-License-Identifier: MIT */
/* INI text -> validated, immutable specs. No side effects beyond reading the
 * file; config_check_host() is the one pass that looks at the host (rootfs
 * paths) and is kept apart so the parser stays a pure function. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_NAME_MAX 63
/* The longest line we ask inih to accept where the library lets us choose
 * (Debian/Ubuntu builds); elsewhere inih's compiled-in limit applies. */
#define CONFIG_LINE_MAX 65536

struct supervisor_spec {
    char *state_dir;           /* default /var/lib/corral */
    char *run_dir;             /* default /run/corral */
    char *log_dir;             /* default /var/log/corral */
    char *cgroup_parent;       /* default "corral": a relative cgroup path */
    uint64_t stop_timeout_ms;  /* default 10 s; containers inherit it */
    uint64_t pause_timeout_ms; /* default 10 s; containers inherit it */
};

struct network_spec {
    char *bridge;          /* default corral0, <= 15 bytes */
    uint32_t subnet;       /* host byte order, default 10.88.0.0 */
    unsigned prefix_len;   /* default 24 */
    uint32_t gateway;      /* host byte order, default first host */
    bool nat;              /* default yes */
    bool icc;              /* default yes */
    bool dns_host;         /* dns = host (default) */
    uint32_t *dns_servers; /* dns = ADDR ..., host byte order */
    size_t n_dns_servers;
};

struct container_spec {
    char *name;
    unsigned line; /* line of the [container NAME] header */
    char *rootfs;  /* absolute; relative paths resolved against the INI's dir */
    unsigned rootfs_line;
    char **argv;    /* NULL-terminated, at least one element */
    char *hostname; /* default: the name */
    char **env;     /* NULL-terminated KEY=VALUE, defaults first, user's last wins */
    char *workdir;  /* default "/" */
    unsigned workdir_line;
    int stop_signal; /* default SIGTERM */
    uint64_t stop_timeout_ms;
    /* cgroup limits; 0 / NULL = not set (see struct cg_limits) */
    uint64_t memory;           /* memory = 256M */
    uint64_t memory_swap;      /* memory_swap = 512M: memory + swap; needs memory */
    uint64_t cpu_millis;       /* cpus = 0.5 -> 500 (thousandths of a CPU) */
    uint64_t cpu_weight;       /* cpu_weight = 1..10000 */
    uint64_t pids;             /* pids = 256 */
    uint64_t io_weight;        /* io_weight = 1..10000 */
    char *cpuset_cpus;         /* cpuset_cpus = 0-1,3 */
    char *cpuset_mems;         /* cpuset_mems = 0 */
    uint64_t pause_timeout_ms; /* default from [supervisor]: 10 s */
};

struct corral_config {
    char *path; /* the file as given */
    struct supervisor_spec sup;
    struct network_spec net;
    struct container_spec *containers;
    size_t n_containers;
};

/* Problems found, each one line "FILE:LINE: [section] key: problem". */
struct config_diag {
    char **lines; /* NULL-terminated */
    size_t n;
};

/* Parse and validate. On success returns 0 and *ret; on any problem returns
 * -EINVAL with every problem in diag (all of them, not just the first) and
 * *ret untouched. -ENOENT etc. if the file cannot be read (also in diag).
 * Messages are appended to diag, sorted by line; diag may be NULL. */
int config_load_file(const char *path, struct corral_config **ret, struct config_diag *diag);
/* The same from a string; name is used in messages and to resolve relative
 * paths (its directory). */
int config_load_string(const char *name, const char *text, struct corral_config **ret,
                       struct config_diag *diag);
/* Host checks that a pure parser cannot do: every rootfs exists and is a
 * directory. Problems go to diag in the same format; returns -EINVAL if any. */
int config_check_host(const struct corral_config *c, struct config_diag *diag);

void config_free(struct corral_config *c);
static inline void config_freep(struct corral_config **c)
{
    config_free(*c);
}
void config_diag_clear(struct config_diag *diag);

const struct container_spec *config_find_container(const struct corral_config *c, const char *name);
/* Print the effective configuration (every default filled in) as INI. */
void config_dump(const struct corral_config *c, FILE *f);
/* Join argv for display, quoting words that need it. Caller frees. */
char *config_argv_to_string(char *const *argv);
/* The longest line accepted, in characters. */
size_t config_line_max(void);
/* True if name matches [a-z0-9][a-z0-9_.-]{0,62}. */
bool config_name_is_valid(const char *name);
