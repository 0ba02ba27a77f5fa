/* SPDX-License-Identifier: MIT */
/* INI text -> validated, immutable specs. No side effects beyond reading the
 * file; config_check_host() is the one pass that looks at the host (rootfs
 * paths) and is kept apart so the parser stays a pure function. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define CONFIG_NAME_MAX 63
/* The longest line we ask inih to accept where the library lets us choose
 * (Debian/Ubuntu builds); elsewhere inih's compiled-in limit applies. */
#define CONFIG_LINE_MAX 65536

enum restart_policy {
    RESTART_NO,             /* never restart on its own */
    RESTART_ALWAYS,         /* whatever the exit */
    RESTART_ON_FAILURE,     /* a non-success code, a signal, an OOM kill, a failed start */
    RESTART_UNLESS_STOPPED, /* always, and a manual stop is remembered across supervisors */
    _RESTART_POLICY_MAX,
};

const char *restart_policy_to_string(enum restart_policy p);

/* How a container comes back after its process ends. [supervisor] holds
 * the defaults; each container may override every field. */
struct restart_spec {
    enum restart_policy policy; /* default no */
    unsigned max;               /* restart_max: restarts in a row after failures; 0 = no limit */
    bool max_explicit;          /* max came from restart_max (not from on-failure:N) */
    uint64_t delay_ms;          /* restart_delay: 100 ms, doubled per restart in a row */
    uint64_t delay_max_ms;      /* restart_delay_max: 60 s */
    uint64_t reset_after_ms;    /* restart_reset_after: 10 s up forgets the history */
    uint64_t start_grace_ms;    /* start_grace: 1 s; a shorter run is a failed start */
};

/* log_dir/NAME.log, rotated by size. */
struct log_spec {
    uint64_t max_size;  /* log_max_size: 10M */
    unsigned max_files; /* log_max_files: 5, the current file included */
};

struct supervisor_spec {
    char *state_dir;           /* default /var/lib/corral */
    char *run_dir;             /* default /run/corral */
    char *log_dir;             /* default /var/log/corral */
    char *cgroup_parent;       /* default "corral": a relative cgroup path */
    uint64_t stop_timeout_ms;  /* default 10 s; containers inherit it */
    uint64_t pause_timeout_ms; /* default 10 s; containers inherit it */
    struct restart_spec restart;
    struct log_spec log;
    /* userns_pool = START:COUNT: host ids handed out 65536 at a time to
     * containers with userns = yes. Default 100000:6553600 (100 ranges). */
    uint32_t userns_pool_start;
    uint32_t userns_pool_count; /* a multiple of 65536 */
    unsigned userns_pool_line;
};

#define USERNS_MAP_MAX 8

/* One line of a uid or gid map: container ids inside..inside+count-1 are
 * host ids host..host+count-1. */
struct id_range {
    uint32_t inside, host, count;
};

/* userns = no | yes | HOSTID:COUNT, or explicit uid_map/gid_map. With a
 * user namespace the container's ids 0..count-1 are host ids
 * host_start..; its root is not the host's. */
struct userns_spec {
    bool enabled;
    bool from_pool;      /* yes: a 65536-id range from the pool, stable per name */
    uint32_t host_start; /* HOSTID:COUNT only (the pool's is found at start) */
    uint32_t count;      /* 65536 with the pool */
    unsigned line;       /* of the userns key, 0 if not given */
    /* uid_map = INSIDE:HOST:COUNT... (and gid_map; each defaults to the
     * other): explicit maps instead of one range. n_uid_map == 0 when not
     * given; then host_start and count hold 0 and the whole range. */
    struct id_range uid_map[USERNS_MAP_MAX], gid_map[USERNS_MAP_MAX];
    size_t n_uid_map, n_gid_map;
    unsigned uid_map_line, gid_map_line; /* 0 when the map is the other one's */
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

/* publish = 8080:80/tcp: the host's port HOSTPORT leads to the container's PORT. */
struct publish_spec {
    uint16_t host_port;
    uint16_t port;
    uint8_t proto; /* IPPROTO_TCP (default) or IPPROTO_UDP, from <netinet/in.h> */
    unsigned line;
};

enum seccomp_mode {
    SECCOMP_DEFAULT,    /* corral's built-in filter */
    SECCOMP_UNCONFINED, /* no filter */
    SECCOMP_FILE,       /* a docker-format JSON profile: container_spec.seccomp_file */
};

/* rlimit_NAME = SOFT[:HARD] (HARD defaults to SOFT; "unlimited" allowed). */
struct rlimit_spec {
    int resource;        /* RLIMIT_NOFILE, ... */
    uint64_t soft, hard; /* RLIM_INFINITY for unlimited; soft <= hard */
};

/* How a container's root file system is made from rootfs or image (issue 7). */
enum rootfs_mode {
    ROOTFS_OVERLAY, /* default: an overlay whose lower layer is never written */
    ROOTFS_BIND,    /* the rootfs directory itself, written in place; not with an image */
    ROOTFS_COPY,    /* a private copy made at start */
};

const char *rootfs_mode_to_string(enum rootfs_mode m);

#define CONFIG_VOLUMES_MAX 64
#define CONFIG_TMPFS_MAX 16

/* volume = HOST:CONTAINER[:ro|:rw], repeatable. */
struct volume_spec {
    char *source;  /* host path, absolute (relative ones resolved against the INI's dir) */
    char *target;  /* absolute, normalised, inside the container; never "/" */
    bool readonly; /* :ro */
    unsigned line;
};

/* tmpfs = PATH[:size=SIZE,mode=OCTAL], repeatable. No two volumes or
 * tmpfs mounts of a container share a target. */
struct tmpfs_spec {
    char *target;  /* as a volume's */
    uint64_t size; /* bytes; 0: the runtime's default, 64M */
    uint32_t mode; /* default 01777 */
    unsigned line;
};

/* docker's default capability set minus CAP_NET_RAW (raw frames defeat the
 * bridge's isolation) and CAP_MKNOD (docker relies on the devices cgroup to
 * make a block device node useless; corral does not program device access
 * yet, so it does not let the node be made): the bits a container keeps
 * before cap_add/cap_drop. */
#define CONFIG_DEFAULT_CAPS                                                                        \
    ((1ULL << 0 /* CHOWN */) | (1ULL << 1 /* DAC_OVERRIDE */) | (1ULL << 3 /* FOWNER */) |         \
     (1ULL << 4 /* FSETID */) | (1ULL << 5 /* KILL */) | (1ULL << 6 /* SETGID */) |                \
     (1ULL << 7 /* SETUID */) | (1ULL << 8 /* SETPCAP */) | (1ULL << 10 /* NET_BIND_SERVICE */) |  \
     (1ULL << 18 /* SYS_CHROOT */) | (1ULL << 29 /* AUDIT_WRITE */) | (1ULL << 31 /* SETFCAP */))

struct container_spec {
    char *name;
    unsigned line; /* line of the [container NAME] header */
    /* Exactly one of rootfs and image. rootfs is a directory or an archive
     * file (.tar, .tar.gz, ...), absolute (relative paths resolved against
     * the INI's dir); NULL when image is set. */
    char *rootfs;
    unsigned rootfs_line;
    char *image; /* image = NAME: imported with `corral image import FILE --name NAME`, or NULL */
    unsigned image_line;
    enum rootfs_mode rootfs_mode; /* default overlay */
    unsigned rootfs_mode_line;    /* 0 if not given */
    bool ephemeral;               /* default no; yes: the container's writes do not outlive a run */
    struct volume_spec *volumes;  /* at most CONFIG_VOLUMES_MAX, in file order */
    size_t n_volumes;
    struct tmpfs_spec *tmpfs; /* at most CONFIG_TMPFS_MAX, in file order */
    size_t n_tmpfs;
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
    struct restart_spec restart;
    uint8_t success_codes[32]; /* bit per exit code that counts as success; 0 always does */
    struct log_spec log;
    char **depends_on;      /* NULL-terminated names, or NULL; no cycles, all defined */
    size_t *depends_on_idx; /* their indexes in corral_config.containers */
    size_t n_depends_on;
    unsigned depends_on_line;
    /* Networking (DESIGN.md §6). With network_none every field below is
     * unset: the container has loopback only. */
    bool network_none;            /* network = none; default bridge */
    uint32_t ip;                  /* ip = A.B.C.D, host byte order; 0 = auto (a lease) */
    unsigned ip_line;             /* line of the ip key, 0 if not given */
    uint8_t mac[6];               /* mac = 02:42:ac:11:00:02: unicast, not all zero */
    bool has_mac;                 /* false: the kernel picks a random MAC */
    unsigned mac_line;            /* line of the mac key, 0 if not given */
    struct publish_spec *publish; /* repeatable; no two in the file share host port + proto */
    size_t n_publish;
    char **connect;      /* NULL-terminated peer names, or NULL; used when icc = no */
    size_t *connect_idx; /* their indexes in corral_config.containers */
    size_t n_connect;
    unsigned connect_line;
    /* Security (issue 6); every default is the strict one. */
    uint64_t caps;      /* bit (1 << CAP_X) per capability kept in every set */
    unsigned caps_line; /* line of cap_add or cap_drop, 0 if neither */
    enum seccomp_mode seccomp;
    char *seccomp_file; /* absolute (relative to the INI's dir) with SECCOMP_FILE */
    unsigned seccomp_line;
    bool no_new_privileges;      /* default yes */
    bool mask_paths;             /* default yes: /proc and /sys paths masked or read-only */
    bool readonly_rootfs;        /* default no; yes also mounts tmpfs on /tmp and /run */
    struct rlimit_spec *rlimits; /* rlimit_nofile = 1024:4096 ...; at most one per resource */
    size_t n_rlimits;
    struct userns_spec userns;
};

static inline bool container_spec_success_code(const struct container_spec *c, int code)
{
    return code >= 0 && code < 256 && (c->success_codes[code / 8] & (1u << (code % 8)));
}

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
 * directory or a regular file we can open (an archive, not parsed here),
 * every volume's host side exists, every seccomp profile is a regular file
 * we can open (not parsed here). Images are the image store's to check.
 * Problems go to diag in the same format; returns -EINVAL if any. */
int config_check_host(const struct corral_config *c, struct config_diag *diag);
/* Append "FILE:LINE: [container NAME] KEY: PROBLEM" to diag, as config's
 * own checks do (for checks made outside config, e.g. the image store).
 * LINE is that key's: image_line for "image", rootfs_line for "rootfs",
 * rootfs_mode_line for "rootfs_mode" (when given), else the section's.
 * key may be NULL. Does nothing if diag is NULL; a line lost to ENOMEM is
 * dropped. */
_printf_(5, 6) void config_diag_container(struct config_diag *diag, const struct corral_config *c,
                                          const struct container_spec *ctr, const char *key,
                                          const char *fmt, ...);

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
/* An image's name (image = NAME, corral image import --name): 1 to 128
 * of [A-Za-z0-9._:-], starting with a letter or a digit. */
bool config_image_name_is_valid(const char *name);
