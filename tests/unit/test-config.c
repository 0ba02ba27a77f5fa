/* SPDX-License-Identifier: MIT */
/* Unit tests for config/: every default, every accepted form, every error
 * message with its line, the dump round-trip and the host checks. No root,
 * no framework: a failed check prints file:line and exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "macro.h"
#include "util.h"
#include "check.h"

/* Absolute, so that relative paths resolve without depending on the cwd. */
#define NAME "/etc/corral/corral.ini"
#define MIN_CTR "[container web]\nrootfs = /srv/web\ncommand = /bin/true\n"
#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (d))

static struct corral_config *const untouched = (struct corral_config *) (uintptr_t) 0x1;

static void print_diag(const struct config_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "  diag: %s\n", d->lines[i]);
}

#define load_ok(text) load_ok_at(__FILE__, __LINE__, NAME, (text))
#define load_ok_name(name, text) load_ok_at(__FILE__, __LINE__, (name), (text))
static struct corral_config *load_ok_at(const char *file, int line, const char *name,
                                        const char *text)
{
    struct config_diag d = {};
    struct corral_config *c = NULL;
    int r = config_load_string(name, text, &c, &d);

    if (r != 0 || d.n != 0 || !c) {
        fprintf(stderr, "%s:%d: expected the config to load, got %d (%s)\n", file, line, r,
                strerror(r < 0 ? -r : 0));
        print_diag(&d);
        exit(1);
    }
    config_diag_clear(&d);
    return c;
}

/* Load text, expect -EINVAL, *ret untouched, and return the diagnostics. */
static struct config_diag load_fail_at(const char *file, int line, const char *text)
{
    struct config_diag d = {};
    struct corral_config *c = untouched;
    int r = config_load_string(NAME, text, &c, &d);

    if (r != -EINVAL || c != untouched || d.n == 0 || d.lines[d.n] != NULL) {
        fprintf(stderr, "%s:%d: expected -EINVAL with diagnostics, got %d, %zu lines\n", file, line,
                r, d.n);
        print_diag(&d);
        exit(1);
    }
    return d;
}

/* Some diagnostic is "NAME:LINE: " followed by text containing substr. */
static bool diag_has(const struct config_diag *d, unsigned line, const char *substr)
{
    char prefix[256];
    size_t n = (size_t) snprintf(prefix, sizeof(prefix), "%s:%u: ", NAME, line);

    for (size_t i = 0; i < d->n; i++)
        if (strncmp(d->lines[i], prefix, n) == 0 && strstr(d->lines[i] + n, substr))
            return true;
    return false;
}

#define expect_error(text, line, substr) expect_error_at(__FILE__, __LINE__, text, line, substr)
static void expect_error_at(const char *file, int fline, const char *text, unsigned line,
                            const char *substr)
{
    struct config_diag d = load_fail_at(file, fline, text);

    if (!diag_has(&d, line, substr)) {
        fprintf(stderr, "%s:%d: no diagnostic at line %u containing \"%s\"\n", file, fline, line,
                substr);
        print_diag(&d);
        exit(1);
    }
    config_diag_clear(&d);
}

/* Exactly one diagnostic, and it is this one (NAME: prepended). */
#define expect_only(text, msg) expect_only_at(__FILE__, __LINE__, text, msg)
static void expect_only_at(const char *file, int fline, const char *text, const char *msg)
{
    struct config_diag d = load_fail_at(file, fline, text);
    char want[1024];

    snprintf(want, sizeof(want), "%s:%s", NAME, msg);
    if (d.n != 1 || strcmp(d.lines[0], want) != 0) {
        fprintf(stderr, "%s:%d: expected exactly\n  %s\n", file, fline, want);
        print_diag(&d);
        exit(1);
    }
    config_diag_clear(&d);
}

static char *repeat(char ch, size_t n)
{
    char *r = malloc(n + 1);
    ASSERT(r);
    memset(r, ch, n);
    r[n] = '\0';
    return r;
}

/* A container whose command is `command`, for the splitter tests. */
static struct corral_config *load_command(const char *command)
{
    _cleanup_free_ char *text = NULL;
    ASSERT(asprintf(&text, "[container c]\nrootfs = /r\ncommand = %s\n", command) >= 0);
    return load_ok(text);
}

/* argv equals the NULL-terminated list of words that follows. */
#define assert_argv(argv, ...) assert_argv_at(__FILE__, __LINE__, argv, __VA_ARGS__)
static void assert_argv_at(const char *file, int line, char *const *argv, ...)
{
    va_list ap;
    size_t i = 0;
    const char *w;
    bool ok = true;

    va_start(ap, argv);
    while ((w = va_arg(ap, const char *))) {
        if (ok && (!argv[i] || !streq(argv[i], w)))
            ok = false;
        i += ok;
    }
    va_end(ap);
    if (ok && !argv[i])
        return;
    fprintf(stderr, "%s:%d: unexpected vector, word %zu differs:\n", file, line, i);
    for (i = 0; argv[i]; i++)
        fprintf(stderr, "  [%zu] '%s'\n", i, argv[i]);
    exit(1);
}

#define check_command(command, ...)                                                                \
    do {                                                                                           \
        struct corral_config *_c = load_command(command);                                          \
        assert_argv_at(__FILE__, __LINE__, _c->containers[0].argv, __VA_ARGS__, NULL);             \
        config_free(_c);                                                                           \
    } while (0)

static void expect_command_error_at(const char *file, int line, const char *command,
                                    const char *substr)
{
    _cleanup_free_ char *text = NULL;
    ASSERT(asprintf(&text, "[container c]\nrootfs = /r\ncommand = %s\n", command) >= 0);
    expect_error_at(file, line, text, 3, substr);
}
#define expect_command_error(command, substr)                                                      \
    expect_command_error_at(__FILE__, __LINE__, command, substr)

static bool strv_equal(char *const *a, char *const *b)
{
    size_t i;

    for (i = 0; a[i] && b[i]; i++)
        if (!streq(a[i], b[i]))
            return false;
    return !a[i] && !b[i];
}

/* Equal strings, or both NULL. */
static bool opt_streq(const char *a, const char *b)
{
    return a && b ? streq(a, b) : a == b;
}

/* The effective settings; max_explicit is how the limit was written, which
 * the dump (restart_max spelled out) does not preserve and need not. */
static bool policy_equal(const struct restart_spec *r, const struct log_spec *l,
                         const struct restart_spec *s, const struct log_spec *m)
{
    return r->policy == s->policy && r->max == s->max && r->delay_ms == s->delay_ms &&
           r->delay_max_ms == s->delay_max_ms && r->reset_after_ms == s->reset_after_ms &&
           r->start_grace_ms == s->start_grace_ms && l->max_size == m->max_size &&
           l->max_files == m->max_files;
}

static bool depends_on_equal(const struct container_spec *x, const struct container_spec *y)
{
    if (x->n_depends_on != y->n_depends_on || !x->depends_on != !y->depends_on)
        return false;
    if (x->depends_on && !strv_equal(x->depends_on, y->depends_on))
        return false;
    for (size_t k = 0; k < x->n_depends_on; k++)
        if (x->depends_on_idx[k] != y->depends_on_idx[k])
            return false;
    return true;
}

static bool network_equal(const struct container_spec *x, const struct container_spec *y)
{
    if (x->network_none != y->network_none || x->ip != y->ip || x->has_mac != y->has_mac ||
        memcmp(x->mac, y->mac, sizeof(x->mac)) != 0 || x->n_publish != y->n_publish ||
        x->n_connect != y->n_connect || !x->connect != !y->connect)
        return false;
    for (size_t k = 0; k < x->n_publish; k++)
        if (x->publish[k].host_port != y->publish[k].host_port ||
            x->publish[k].port != y->publish[k].port || x->publish[k].proto != y->publish[k].proto)
            return false;
    if (x->connect && !strv_equal(x->connect, y->connect))
        return false;
    for (size_t k = 0; k < x->n_connect; k++)
        if (x->connect_idx[k] != y->connect_idx[k])
            return false;
    return true;
}

static bool security_equal(const struct container_spec *x, const struct container_spec *y)
{
    if (x->caps != y->caps || x->seccomp != y->seccomp ||
        !opt_streq(x->seccomp_file, y->seccomp_file) ||
        x->no_new_privileges != y->no_new_privileges || x->mask_paths != y->mask_paths ||
        x->readonly_rootfs != y->readonly_rootfs || x->n_rlimits != y->n_rlimits)
        return false;
    for (size_t k = 0; k < x->n_rlimits; k++)
        if (x->rlimits[k].resource != y->rlimits[k].resource ||
            x->rlimits[k].soft != y->rlimits[k].soft || x->rlimits[k].hard != y->rlimits[k].hard)
            return false;
    return true;
}

/* The mapping; the line is where it was written, which the dump moves. */
static bool userns_equal(const struct userns_spec *u, const struct userns_spec *v)
{
    return u->enabled == v->enabled && u->from_pool == v->from_pool &&
           u->host_start == v->host_start && u->count == v->count && u->n_uid_map == v->n_uid_map &&
           u->n_gid_map == v->n_gid_map &&
           memcmp(u->uid_map, v->uid_map, u->n_uid_map * sizeof(*u->uid_map)) == 0 &&
           memcmp(u->gid_map, v->gid_map, u->n_gid_map * sizeof(*u->gid_map)) == 0;
}

/* rootfs or image, the mode, and every mount; lines move in a dump. */
static bool root_equal(const struct container_spec *x, const struct container_spec *y)
{
    if (!opt_streq(x->rootfs, y->rootfs) || !opt_streq(x->image, y->image) ||
        x->rootfs_mode != y->rootfs_mode || x->ephemeral != y->ephemeral ||
        x->n_volumes != y->n_volumes || x->n_tmpfs != y->n_tmpfs)
        return false;
    for (size_t k = 0; k < x->n_volumes; k++)
        if (!streq(x->volumes[k].source, y->volumes[k].source) ||
            !streq(x->volumes[k].target, y->volumes[k].target) ||
            x->volumes[k].readonly != y->volumes[k].readonly)
            return false;
    for (size_t k = 0; k < x->n_tmpfs; k++)
        if (!streq(x->tmpfs[k].target, y->tmpfs[k].target) ||
            x->tmpfs[k].size != y->tmpfs[k].size || x->tmpfs[k].mode != y->tmpfs[k].mode)
            return false;
    return true;
}

static bool config_equal(const struct corral_config *a, const struct corral_config *b)
{
    if (!streq(a->sup.state_dir, b->sup.state_dir) || !streq(a->sup.run_dir, b->sup.run_dir) ||
        !streq(a->sup.log_dir, b->sup.log_dir) ||
        !streq(a->sup.cgroup_parent, b->sup.cgroup_parent) ||
        a->sup.stop_timeout_ms != b->sup.stop_timeout_ms ||
        a->sup.pause_timeout_ms != b->sup.pause_timeout_ms ||
        !policy_equal(&a->sup.restart, &a->sup.log, &b->sup.restart, &b->sup.log) ||
        a->sup.userns_pool_start != b->sup.userns_pool_start ||
        a->sup.userns_pool_count != b->sup.userns_pool_count)
        return false;
    if (!streq(a->net.bridge, b->net.bridge) || a->net.subnet != b->net.subnet ||
        a->net.prefix_len != b->net.prefix_len || a->net.gateway != b->net.gateway ||
        a->net.nat != b->net.nat || a->net.icc != b->net.icc ||
        a->net.dns_host != b->net.dns_host || a->net.n_dns_servers != b->net.n_dns_servers)
        return false;
    for (size_t i = 0; i < a->net.n_dns_servers; i++)
        if (a->net.dns_servers[i] != b->net.dns_servers[i])
            return false;
    if (a->n_containers != b->n_containers)
        return false;
    for (size_t i = 0; i < a->n_containers; i++) {
        const struct container_spec *x = &a->containers[i], *y = &b->containers[i];
        if (!streq(x->name, y->name) || !root_equal(x, y) || !strv_equal(x->argv, y->argv) ||
            !streq(x->hostname, y->hostname) || !strv_equal(x->env, y->env) ||
            !streq(x->workdir, y->workdir) || x->stop_signal != y->stop_signal ||
            x->stop_timeout_ms != y->stop_timeout_ms ||
            x->pause_timeout_ms != y->pause_timeout_ms || x->memory != y->memory ||
            x->memory_swap != y->memory_swap || x->cpu_millis != y->cpu_millis ||
            x->cpu_weight != y->cpu_weight || x->pids != y->pids || x->io_weight != y->io_weight ||
            !opt_streq(x->cpuset_cpus, y->cpuset_cpus) ||
            !opt_streq(x->cpuset_mems, y->cpuset_mems) ||
            !policy_equal(&x->restart, &x->log, &y->restart, &y->log) ||
            memcmp(x->success_codes, y->success_codes, sizeof(x->success_codes)) != 0 ||
            !depends_on_equal(x, y) || !network_equal(x, y) || !security_equal(x, y) ||
            !userns_equal(&x->userns, &y->userns))
            return false;
    }
    return true;
}

static char *dump(const struct corral_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ASSERT(f);
    config_dump(c, f);
    ASSERT(fclose(f) == 0);
    return buf;
}

/* Dump, load the dump, compare, and check the second dump is identical. */
static void assert_round_trip(const struct corral_config *c)
{
    _cleanup_free_ char *text = dump(c), *again = NULL;
    struct corral_config *d = load_ok_name(c->path, text);

    if (!config_equal(c, d)) {
        fprintf(stderr, "round-trip changed the config; dump was:\n%s", text);
        exit(1);
    }
    again = dump(d);
    ASSERT_STREQ(again, text);
    config_free(d);
}

/* The built-in restart and log settings. */
#define assert_default_policy(r, l) assert_default_policy_at(__FILE__, __LINE__, (r), (l))
static void assert_default_policy_at(const char *file, int line, const struct restart_spec *r,
                                     const struct log_spec *l)
{
    if (r->policy != RESTART_NO || r->max != 0 || r->max_explicit || r->delay_ms != 100 ||
        r->delay_max_ms != 60000 || r->reset_after_ms != 10000 || r->start_grace_ms != 1000 ||
        l->max_size != 10 << 20 || l->max_files != 5) {
        fprintf(stderr,
                "%s:%d: not the default policy: restart %s, max %u%s, delay %" PRIu64 "ms..%" PRIu64
                "ms, reset after %" PRIu64 "ms, grace %" PRIu64 "ms, log %" PRIu64 " x %u\n",
                file, line, restart_policy_to_string(r->policy), r->max,
                r->max_explicit ? " (explicit)" : "", r->delay_ms, r->delay_max_ms,
                r->reset_after_ms, r->start_grace_ms, l->max_size, l->max_files);
        exit(1);
    }
}

/* ---- defaults ---------------------------------------------------------- */

static void test_empty_file_defaults(void)
{
    struct corral_config *c = load_ok("");

    ASSERT_STREQ(c->path, NAME);
    ASSERT_STREQ(c->sup.state_dir, "/var/lib/corral");
    ASSERT_STREQ(c->sup.run_dir, "/run/corral");
    ASSERT_STREQ(c->sup.log_dir, "/var/log/corral");
    ASSERT_STREQ(c->sup.cgroup_parent, "corral");
    ASSERT_EQ(c->sup.stop_timeout_ms, 10000);
    ASSERT_EQ(c->sup.pause_timeout_ms, 10000);
    assert_default_policy(&c->sup.restart, &c->sup.log);
    /* 100 ranges of 65536 host ids from 100000, as useradd's subuid does. */
    ASSERT_EQ(c->sup.userns_pool_start, 100000);
    ASSERT_EQ(c->sup.userns_pool_count, 6553600);
    ASSERT_EQ(c->sup.userns_pool_line, 0);
    ASSERT_STREQ(c->net.bridge, "corral0");
    ASSERT_EQ(c->net.subnet, IP(10, 88, 0, 0));
    ASSERT_EQ(c->net.prefix_len, 24);
    ASSERT_EQ(c->net.gateway, IP(10, 88, 0, 1));
    ASSERT(c->net.nat);
    ASSERT(c->net.icc);
    ASSERT(c->net.dns_host);
    ASSERT(c->net.dns_servers == NULL);
    ASSERT_EQ(c->net.n_dns_servers, 0);
    ASSERT_EQ(c->n_containers, 0);
    config_free(c);
}

static void test_empty_sections_defaults(void)
{
    struct corral_config *c = load_ok("[supervisor]\n[network]\n");

    ASSERT_STREQ(c->sup.state_dir, "/var/lib/corral");
    ASSERT_EQ(c->sup.stop_timeout_ms, 10000);
    ASSERT_EQ(c->sup.pause_timeout_ms, 10000);
    assert_default_policy(&c->sup.restart, &c->sup.log);
    ASSERT_STREQ(c->net.bridge, "corral0");
    ASSERT_EQ(c->net.gateway, IP(10, 88, 0, 1));
    config_free(c);
}

static void test_container_defaults(void)
{
    struct corral_config *c = load_ok("# comment\n" MIN_CTR);
    const struct container_spec *w;

    ASSERT_EQ(c->n_containers, 1);
    w = &c->containers[0];
    ASSERT_STREQ(w->name, "web");
    ASSERT_EQ(w->line, 2);
    ASSERT_STREQ(w->rootfs, "/srv/web");
    ASSERT_EQ(w->rootfs_line, 3);
    /* A directory under an overlay, kept across runs; no image, no mount. */
    ASSERT(w->image == NULL);
    ASSERT_EQ(w->image_line, 0);
    ASSERT_EQ(w->rootfs_mode, ROOTFS_OVERLAY);
    ASSERT_EQ(w->rootfs_mode_line, 0);
    ASSERT(!w->ephemeral);
    ASSERT(w->volumes == NULL);
    ASSERT_EQ(w->n_volumes, 0);
    ASSERT(w->tmpfs == NULL);
    ASSERT_EQ(w->n_tmpfs, 0);
    assert_argv(w->argv, "/bin/true", NULL);
    ASSERT_STREQ(w->hostname, "web");
    assert_argv(w->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOSTNAME=web", "HOME=/root", "container=corral", NULL);
    ASSERT_STREQ(w->workdir, "/");
    ASSERT_EQ(w->workdir_line, 2);
    ASSERT_EQ(w->stop_signal, SIGTERM);
    ASSERT_EQ(w->stop_timeout_ms, 10000);
    ASSERT_EQ(w->pause_timeout_ms, 10000);
    /* No limit is set unless asked for. */
    ASSERT_EQ(w->memory, 0);
    ASSERT_EQ(w->memory_swap, 0);
    ASSERT_EQ(w->cpu_millis, 0);
    ASSERT_EQ(w->cpu_weight, 0);
    ASSERT(w->cpuset_cpus == NULL);
    ASSERT(w->cpuset_mems == NULL);
    ASSERT_EQ(w->io_weight, 0);
    ASSERT_EQ(w->pids, 0);
    /* [supervisor]'s restart and log settings, only 0 a success, no dependency. */
    assert_default_policy(&w->restart, &w->log);
    for (int code = 0; code < 256; code++)
        ASSERT_EQ(container_spec_success_code(w, code), code == 0);
    ASSERT(!container_spec_success_code(w, -1));
    ASSERT(!container_spec_success_code(w, 256));
    ASSERT(w->depends_on == NULL);
    ASSERT(w->depends_on_idx == NULL);
    ASSERT_EQ(w->n_depends_on, 0);
    /* On the bridge, with an address leased at start and nothing else. */
    ASSERT(!w->network_none);
    ASSERT_EQ(w->ip, 0);
    ASSERT_EQ(w->ip_line, 0);
    ASSERT(!w->has_mac);
    ASSERT(w->publish == NULL);
    ASSERT_EQ(w->n_publish, 0);
    ASSERT(w->connect == NULL);
    ASSERT(w->connect_idx == NULL);
    ASSERT_EQ(w->n_connect, 0);
    /* The strict security defaults: config.h's capability set (docker's,
     * less what breaks the isolation), the built-in seccomp filter,
     * no_new_privileges, masked paths. */
    ASSERT_EQ_U(w->caps, CONFIG_DEFAULT_CAPS);
    ASSERT(w->caps & (1ULL << CAP_CHOWN));
    ASSERT(!(w->caps & (1ULL << CAP_NET_RAW)));
    ASSERT(!(w->caps & (1ULL << CAP_SYS_ADMIN)));
    ASSERT_EQ(w->caps_line, 0);
    ASSERT_EQ(w->seccomp, SECCOMP_DEFAULT);
    ASSERT(w->seccomp_file == NULL);
    ASSERT_EQ(w->seccomp_line, 0);
    ASSERT(w->no_new_privileges);
    ASSERT(w->mask_paths);
    ASSERT(!w->readonly_rootfs);
    ASSERT(w->rlimits == NULL);
    ASSERT_EQ(w->n_rlimits, 0);
    /* No user namespace: the container's root is the host's. */
    ASSERT(!w->userns.enabled);
    ASSERT(!w->userns.from_pool);
    ASSERT_EQ(w->userns.host_start, 0);
    ASSERT_EQ(w->userns.count, 0);
    ASSERT_EQ(w->userns.line, 0);
    config_free(c);
}

/* ---- accepted values --------------------------------------------------- */

static void test_supervisor_values(void)
{
    struct corral_config *c = load_ok("[supervisor]\n"
                                      "state_dir = /data/state\n"
                                      "run_dir = /tmp/run\n"
                                      "log_dir = /data/log\n"
                                      "cgroup_parent = machine.slice/corral-1_x\n"
                                      "stop_timeout = 1.5s\n"
                                      "pause_timeout = 250ms\n");

    ASSERT_STREQ(c->sup.state_dir, "/data/state");
    ASSERT_STREQ(c->sup.run_dir, "/tmp/run");
    ASSERT_STREQ(c->sup.log_dir, "/data/log");
    ASSERT_STREQ(c->sup.cgroup_parent, "machine.slice/corral-1_x");
    ASSERT_EQ(c->sup.stop_timeout_ms, 1500);
    ASSERT_EQ(c->sup.pause_timeout_ms, 250);
    config_free(c);
}

static void test_durations(void)
{
    static const struct {
        const char *in;
        uint64_t ms;
    } cases[] = {
        {"10", 10000}, {"500ms", 500}, {"2m", 120000}, {"1h", 3600000}, {"0", 0}, {"3min", 180000},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&text, "[supervisor]\nstop_timeout = %s\n", cases[i].in) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->sup.stop_timeout_ms, cases[i].ms);
        config_free(c);
    }
}

static void test_stop_timeout_inherited(void)
{
    /* [supervisor] after the containers still provides their default. */
    struct corral_config *c = load_ok(MIN_CTR "[container api]\nrootfs = /r\ncommand = x\n"
                                              "stop_timeout = 3s\n"
                                              "[supervisor]\nstop_timeout = 42s\n");

    ASSERT_EQ(c->containers[0].stop_timeout_ms, 42000);
    ASSERT_EQ(c->containers[1].stop_timeout_ms, 3000);
    ASSERT_EQ(c->sup.stop_timeout_ms, 42000);
    config_free(c);
}

static void test_pause_timeout_inherited(void)
{
    /* 0 is allowed: the supervisor uses it to exercise the rollback. */
    struct corral_config *c = load_ok(MIN_CTR "[container api]\nrootfs = /r\ncommand = x\n"
                                              "pause_timeout = 0\n"
                                              "[supervisor]\npause_timeout = 1.5s\n"
                                              "stop_timeout = 7s\n");

    ASSERT_EQ(c->containers[0].pause_timeout_ms, 1500);
    ASSERT_EQ(c->containers[0].stop_timeout_ms, 7000);
    ASSERT_EQ(c->containers[1].pause_timeout_ms, 0);
    ASSERT_EQ(c->containers[1].stop_timeout_ms, 7000);
    ASSERT_EQ(c->sup.pause_timeout_ms, 1500);
    config_free(c);
}

static void test_network_values(void)
{
    struct corral_config *c = load_ok("[network]\n"
                                      "bridge = br-corral.1\n"
                                      "subnet = 172.20.0.0/16\n"
                                      "gateway = 172.20.255.254\n"
                                      "nat = no\n"
                                      "icc = off\n"
                                      "dns = 1.1.1.1  9.9.9.9\t8.8.8.8\n");

    ASSERT_STREQ(c->net.bridge, "br-corral.1");
    ASSERT_EQ(c->net.subnet, IP(172, 20, 0, 0));
    ASSERT_EQ(c->net.prefix_len, 16);
    ASSERT_EQ(c->net.gateway, IP(172, 20, 255, 254));
    ASSERT(!c->net.nat);
    ASSERT(!c->net.icc);
    ASSERT(!c->net.dns_host);
    ASSERT_EQ(c->net.n_dns_servers, 3);
    ASSERT_EQ(c->net.dns_servers[0], IP(1, 1, 1, 1));
    ASSERT_EQ(c->net.dns_servers[1], IP(9, 9, 9, 9));
    ASSERT_EQ(c->net.dns_servers[2], IP(8, 8, 8, 8));
    config_free(c);
}

static void test_network_gateway_default(void)
{
    struct corral_config *c = load_ok("[network]\nsubnet = 192.168.7.0/30\ndns = host\n"
                                      "nat = true\nicc = 1\n");

    ASSERT_EQ(c->net.subnet, IP(192, 168, 7, 0));
    ASSERT_EQ(c->net.prefix_len, 30);
    ASSERT_EQ(c->net.gateway, IP(192, 168, 7, 1));
    ASSERT(c->net.dns_host);
    ASSERT(c->net.nat && c->net.icc);
    config_free(c);

    /* The prefix bounds themselves are accepted. */
    c = load_ok("[network]\nsubnet = 10.0.0.0/8\ngateway = 10.255.255.254\n");
    ASSERT_EQ(c->net.prefix_len, 8);
    ASSERT_EQ(c->net.gateway, IP(10, 255, 255, 254));
    config_free(c);
}

static void test_bridge_name_limits(void)
{
    struct corral_config *c = load_ok("[network]\nbridge = abcdefghijklmno\n");
    ASSERT_STREQ(c->net.bridge, "abcdefghijklmno");
    config_free(c);
    c = load_ok("[network]\nbridge = ...\n");
    ASSERT_STREQ(c->net.bridge, "...");
    config_free(c);
}

static void test_container_values(void)
{
    struct corral_config *c = load_ok("[container db-1.x_y]\n"
                                      "rootfs = /srv/db\n"
                                      "command = [\"/usr/bin/postgres\", \"-D\", \"/data\"]\n"
                                      "hostname = Db-1.example.com\n"
                                      "workdir = /var//lib/db/\n"
                                      "stop_signal = SIGINT\n"
                                      "stop_timeout = 2m\n");
    const struct container_spec *d = &c->containers[0];

    ASSERT_STREQ(d->name, "db-1.x_y");
    assert_argv(d->argv, "/usr/bin/postgres", "-D", "/data", NULL);
    ASSERT_STREQ(d->hostname, "Db-1.example.com");
    ASSERT_STREQ(d->workdir, "/var/lib/db");
    ASSERT_EQ(d->workdir_line, 5);
    ASSERT_EQ(d->stop_signal, SIGINT);
    ASSERT_EQ(d->stop_timeout_ms, 120000);
    ASSERT_STREQ(d->env[1], "HOSTNAME=Db-1.example.com");
    config_free(c);
}

static void test_stop_signal_forms(void)
{
    static const struct {
        const char *in;
        int sig;
    } cases[] = {
        {"KILL", SIGKILL}, {"SIGQUIT", SIGQUIT}, {"sigusr1", SIGUSR1},
        {"9", 9},          {"34", 34},           {"64", 64},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&text, MIN_CTR "stop_signal = %s\n", cases[i].in) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->containers[0].stop_signal, cases[i].sig);
        config_free(c);
    }
}

static void test_multiple_containers_and_find(void)
{
    struct corral_config *c = load_ok(MIN_CTR "[container b]\nrootfs = /b\ncommand = b\n"
                                              "[container a]\nrootfs = /a\ncommand = a\n");

    ASSERT_EQ(c->n_containers, 3);
    ASSERT_STREQ(c->containers[0].name, "web");
    ASSERT_STREQ(c->containers[1].name, "b");
    ASSERT_STREQ(c->containers[2].name, "a");
    ASSERT(config_find_container(c, "a") == &c->containers[2]);
    ASSERT(config_find_container(c, "web") == &c->containers[0]);
    ASSERT(config_find_container(c, "nope") == NULL);
    config_free(c);
}

static void test_long_container_name(void)
{
    /* Longer than the 49 bytes inih keeps of a section name. */
    _cleanup_free_ char *name = repeat('n', 63), *text = NULL;
    struct corral_config *c;

    ASSERT(asprintf(&text,
                    "[container %s]\nrootfs = /r\ncommand = x\n"
                    "hostname = h\n[container %.49s]\nrootfs = /r\ncommand = x\n",
                    name, name) >= 0);
    c = load_ok(text);
    ASSERT_EQ(c->n_containers, 2);
    ASSERT_STREQ(c->containers[0].name, name);
    ASSERT_EQ(strlen(c->containers[1].name), 49);
    config_free(c);
}

static void test_name_is_valid(void)
{
    _cleanup_free_ char *n63 = repeat('a', 63), *n64 = repeat('a', 64);

    ASSERT(config_name_is_valid("web"));
    ASSERT(config_name_is_valid("0"));
    ASSERT(config_name_is_valid("a_b.c-d"));
    ASSERT(config_name_is_valid("a-"));
    ASSERT(config_name_is_valid(n63));
    ASSERT(!config_name_is_valid(n64));
    ASSERT(!config_name_is_valid(""));
    ASSERT(!config_name_is_valid("Web"));
    ASSERT(!config_name_is_valid("-a"));
    ASSERT(!config_name_is_valid("_a"));
    ASSERT(!config_name_is_valid(".a"));
    ASSERT(!config_name_is_valid("a b"));
    ASSERT(!config_name_is_valid("a/b"));
    ASSERT(!config_name_is_valid("é"));
}

/* ---- INI syntax ---------------------------------------------------------- */

static void test_syntax_forms(void)
{
    /* Colon form, both comment styles, inline " ;" comments, blank lines,
     * CRLF, a BOM, indentation and spacing in the header. */
    struct corral_config *c = load_ok("\xef\xbb\xbf; leading comment\r\n"
                                      "# another\n"
                                      "\n"
                                      "   \t\n"
                                      "[supervisor] ; trailing comment\n"
                                      "stop_timeout: 5s\r\n"
                                      "  [ container   web ]  # also a comment\n"
                                      "\trootfs=/srv/web ; the root\n"
                                      "    command = /bin/echo hi ;bye\n"
                                      "env=A=b;c\n");
    const struct container_spec *w = &c->containers[0];

    ASSERT_EQ(c->sup.stop_timeout_ms, 5000);
    ASSERT_STREQ(w->name, "web");
    ASSERT_EQ(w->line, 7);
    ASSERT_STREQ(w->rootfs, "/srv/web");
    ASSERT_EQ(w->rootfs_line, 8);
    assert_argv(w->argv, "/bin/echo", "hi", NULL);
    ASSERT_STREQ(w->env[4], "A=b;c");
    config_free(c);
}

static void test_indented_keys_are_not_continuations(void)
{
    /* inih would read the indented lines as continuations of rootfs. */
    struct corral_config *c = load_ok("[container web]\n"
                                      "  rootfs = /srv/web\n"
                                      "  command = /bin/true\n"
                                      "  workdir = /tmp\n");

    ASSERT_STREQ(c->containers[0].rootfs, "/srv/web");
    assert_argv(c->containers[0].argv, "/bin/true", NULL);
    ASSERT_STREQ(c->containers[0].workdir, "/tmp");
    config_free(c);
}

static void test_error_syntax(void)
{
    expect_only("[supervisor]\nstate_dir\n",
                "2: syntax error: expected '[section]' or 'key = value'");
    expect_error("[supervisor]\n= /x\n", 2, "syntax error");
    expect_error("[supervisor\n", 1, "syntax error: expected '[section]' or 'key = value'");
    expect_error("[supervisor] junk\n", 1, "syntax error");
    expect_error("[super ;visor]\n", 1, "syntax error");
    expect_error("[supervisor]\nstate_dir ;= /x\n", 2, "syntax error");
    /* After a broken header its keys are not blamed on the previous section. */
    expect_only("[supervisor]\nstop_timeout = 1s\n[container web\nstop_timeout = 2s\n",
                "3: syntax error: expected '[section]' or 'key = value'");
}

static void test_error_every_syntax_error_reported(void)
{
    /* inih itself stops reporting after the first. */
    struct config_diag d = load_fail_at(__FILE__, __LINE__, "a\n[supervisor]\nb\n\nc\n");

    ASSERT_EQ(d.n, 3);
    ASSERT(diag_has(&d, 1, "syntax error"));
    ASSERT(diag_has(&d, 3, "syntax error"));
    ASSERT(diag_has(&d, 5, "syntax error"));
    config_diag_clear(&d);
}

static void test_error_nul_byte(void)
{
    char path[] = "/tmp/test-config-nul-XXXXXX";
    static const char text[] = "[supervisor]\nstate_dir = /a\0b\nstop_timeout = x\n";
    struct config_diag d = {};
    struct corral_config *c = untouched;
    char want[128];
    int fd = mkstemp(path);

    ASSERT(fd >= 0);
    ASSERT(write(fd, text, sizeof(text) - 1) == (ssize_t) sizeof(text) - 1);
    close(fd);
    ASSERT_EQ(config_load_file(path, &c, &d), -EINVAL);
    ASSERT(c == untouched);
    ASSERT_EQ(d.n, 2);
    snprintf(want, sizeof(want), "%s:2: syntax error", path);
    ASSERT(strncmp(d.lines[0], want, strlen(want)) == 0);
    snprintf(want, sizeof(want), "%s:3: [supervisor] stop_timeout: invalid", path);
    ASSERT(strncmp(d.lines[1], want, strlen(want)) == 0);
    config_diag_clear(&d);
    unlink(path);
}

static void test_error_line_too_long(void)
{
    _cleanup_free_ char *long_value = repeat('a', config_line_max() + 100), *text = NULL,
                        *fits = NULL, *too_long = NULL, *hdr = NULL;
    struct config_diag d;
    unsigned max = 0;
    char want[128];
    struct corral_config *c;

    ASSERT(asprintf(&text, "[supervisor]\nstate_dir = /%s\nrun_dir = 5\nstop_timeout = x\n",
                    long_value) >= 0);
    d = load_fail_at(__FILE__, __LINE__, text);
    ASSERT_EQ(d.n, 2);
    ASSERT(sscanf(d.lines[0], NAME ":2: line too long (at most %u characters)", &max) == 1);
    snprintf(want, sizeof(want), NAME ":2: line too long (at most %u characters)", max);
    ASSERT_STREQ(d.lines[0], want);
    ASSERT_EQ(max, config_line_max());
    /* The rest of the long line was consumed, not read as more lines. */
    ASSERT(diag_has(&d, 4, "stop_timeout: invalid duration"));
    config_diag_clear(&d);

    /* Exactly at the limit is fine, one more is not. */
    ASSERT(asprintf(&fits, "[supervisor]\nstate_dir = /%.*s\n", (int) max - 13, long_value) >= 0);
    c = load_ok(fits);
    ASSERT_EQ(strlen(c->sup.state_dir), max - 12);
    config_free(c);
    ASSERT(asprintf(&too_long, "[supervisor]\nstate_dir = /%.*s\r\n", (int) max - 12, long_value) >=
           0);
    expect_error(too_long, 2, "line too long");

    /* A header too long to read: its keys are ignored, not misfiled. */
    ASSERT(asprintf(&hdr, "[supervisor]\nstop_timeout = 1s\n[container %s]\nstop_timeout = 2s\n",
                    long_value) >= 0);
    d = load_fail_at(__FILE__, __LINE__, hdr);
    ASSERT_EQ(d.n, 1);
    ASSERT(diag_has(&d, 3, "line too long"));
    config_diag_clear(&d);
}

/* Real commands are longer than inih's default 200-byte line. */
static void test_long_command(void)
{
    _cleanup_free_ char *arg = NULL, *text = NULL;
    struct corral_config *c;

    if (config_line_max() < 4200) {
        printf("# libinih without runtime options: limit %zu\n", config_line_max());
        return;
    }
    arg = repeat('x', 4000);
    ASSERT(asprintf(&text, "[container web]\nrootfs = /r\ncommand = /bin/echo %s\n", arg) >= 0);
    c = load_ok(text);
    ASSERT_STREQ(c->containers[0].argv[1], arg);
    config_free(c);
}

/* ---- sections ---------------------------------------------------------------- */

static void test_error_unknown_section(void)
{
    expect_only("[bogus]\nfoo = bar\n",
                "1: [bogus]: unknown section (expected [supervisor], [network] or "
                "[container NAME])");
    expect_error("\n[]\n", 2, "[]: unknown section");
    expect_error("[supervisor x]\n", 1, "[supervisor x]: unknown section");
    expect_error("[Container web]\n", 1, "[Container web]: unknown section");
}

static void test_error_container_without_name(void)
{
    expect_only("[container]\nrootfs = /x\n",
                "1: [container]: missing container name (expected [container NAME])");
}

static void test_error_container_two_names(void)
{
    expect_only("[container a b]\n",
                "1: [container a b]: more than one container name (expected [container NAME])");
}

static void test_error_container_invalid_name(void)
{
    _cleanup_free_ char *n64 = repeat('a', 64), *text = NULL;

    expect_error("[container Web]\nrootfs = /r\ncommand = x\n", 1,
                 "[container Web]: invalid container name 'Web' (expected 1 to 63 characters of "
                 "a-z, 0-9, '_', '.' or '-', starting with a letter or digit)");
    ASSERT(asprintf(&text, "[container %s]\nrootfs = /r\ncommand = x\n", n64) >= 0);
    expect_error(text, 1, "invalid container name");
    /* Its keys are still checked. */
    expect_error("[container -x]\nrootfs = /r\ncommand = x\nstop_timeout = never\n", 4,
                 "[container -x] stop_timeout: invalid duration 'never'");
}

static void test_error_duplicate_container(void)
{
    struct config_diag d =
        load_fail_at(__FILE__, __LINE__, MIN_CTR "\n" MIN_CTR "stop_signal = NOPE\n");

    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 5, "[container web]: duplicate container 'web' (first at line 1)"));
    /* The duplicate's keys are checked, too. */
    ASSERT(diag_has(&d, 8, "[container web] stop_signal: invalid signal 'NOPE'"));
    config_diag_clear(&d);
}

static void test_error_duplicate_supervisor(void)
{
    expect_only("[supervisor]\n\n[supervisor]\n",
                "3: [supervisor]: duplicate section (first at line 1)");
    expect_error("[supervisor]\nstop_timeout = 1s\n[supervisor]\nstop_timeout = bad\n", 4,
                 "[supervisor] stop_timeout: invalid duration 'bad'");
}

static void test_error_duplicate_network(void)
{
    expect_only("[network]\n[network]\n", "2: [network]: duplicate section (first at line 1)");
}

/* ---- keys ---------------------------------------------------------------- */

#define SUP_KEYS                                                                                   \
    "state_dir, run_dir, log_dir, cgroup_parent, stop_timeout, pause_timeout, restart, "           \
    "restart_max, restart_delay, restart_delay_max, restart_reset_after, start_grace, "            \
    "log_max_size, log_max_files, userns_pool"

static void test_error_key_outside_section(void)
{
    expect_only("state_dir = /x\n[supervisor]\n",
                "1: state_dir: key outside of any section (expected [supervisor], [network] or "
                "[container NAME] above it)");
}

static void test_error_unknown_key(void)
{
    expect_only(
        MIN_CTR "bogus = 1\n",
        "4: [container web] bogus: unknown key (expected one of: rootfs, image, rootfs_mode, "
        "ephemeral, volume, tmpfs, command, "
        "hostname, env, workdir, stop_signal, stop_timeout, pause_timeout, memory, "
        "memory_swap, cpus, cpu_weight, cpuset_cpus, cpuset_mems, io_weight, pids, "
        "restart, restart_max, restart_delay, restart_delay_max, restart_reset_after, "
        "start_grace, success_exit_codes, depends_on, log_max_size, log_max_files, network, "
        "ip, mac, publish, connect, cap_add, cap_drop, seccomp, no_new_privileges, mask_paths, "
        "readonly_rootfs, rlimit_NAME, userns, uid_map, gid_map)");
    expect_only("[supervisor]\nRun_dir = /x\n",
                "2: [supervisor] Run_dir: unknown key (expected one of: " SUP_KEYS ")");
    /* Limits belong to containers. */
    expect_only("[supervisor]\nmemory = 1G\n",
                "2: [supervisor] memory: unknown key (expected one of: " SUP_KEYS ")");
    /* So do exit codes and dependencies: they make no sense as defaults. */
    expect_only("[supervisor]\nsuccess_exit_codes = 3\n",
                "2: [supervisor] success_exit_codes: unknown key (expected one of: " SUP_KEYS ")");
    expect_only("[supervisor]\ndepends_on = web\n" MIN_CTR,
                "2: [supervisor] depends_on: unknown key (expected one of: " SUP_KEYS ")");
    /* Key names are exact: no case folding, no dashes for underscores. */
    expect_only(
        MIN_CTR "Restart = always\n",
        "4: [container web] Restart: unknown key (expected one of: rootfs, image, rootfs_mode, "
        "ephemeral, volume, tmpfs, command, "
        "hostname, env, workdir, stop_signal, stop_timeout, pause_timeout, memory, "
        "memory_swap, cpus, cpu_weight, cpuset_cpus, cpuset_mems, io_weight, pids, "
        "restart, restart_max, restart_delay, restart_delay_max, restart_reset_after, "
        "start_grace, success_exit_codes, depends_on, log_max_size, log_max_files, network, "
        "ip, mac, publish, connect, cap_add, cap_drop, seccomp, no_new_privileges, mask_paths, "
        "readonly_rootfs, rlimit_NAME, userns, uid_map, gid_map)");
    expect_error("[supervisor]\nrestart-max = 3\n", 2, "restart-max: unknown key");
    expect_only("[network]\ngw = 1.2.3.4\n",
                "2: [network] gw: unknown key (expected one of: bridge, subnet, gateway, nat, "
                "icc, dns)");
}

static void test_error_duplicate_key(void)
{
    expect_only(MIN_CTR "\nrootfs = /other\n",
                "5: [container web] rootfs: duplicate key (first at line 2)");
    expect_only("[network]\nnat = yes\nnat = no\n",
                "3: [network] nat: duplicate key (first at line 2)");
}

static void test_error_missing_rootfs(void)
{
    expect_only("\n[container web]\ncommand = x\n",
                "2: [container web] rootfs: missing required key (expected rootfs = PATH or "
                "image = NAME)");
}

static void test_error_missing_command(void)
{
    expect_only("[container web]\nrootfs = /r\n",
                "1: [container web] command: missing required key (expected command = PROGRAM "
                "ARG... or a JSON array of strings)");
}

static void test_error_missing_both(void)
{
    struct config_diag d = load_fail_at(__FILE__, __LINE__, "[container a]\n[container b]\n");

    ASSERT_EQ(d.n, 4);
    ASSERT(diag_has(&d, 1, "[container a] rootfs: missing"));
    ASSERT(diag_has(&d, 1, "[container a] command: missing"));
    ASSERT(diag_has(&d, 2, "[container b] rootfs: missing"));
    ASSERT(diag_has(&d, 2, "[container b] command: missing"));
    config_diag_clear(&d);
}

/* ---- [supervisor] values ----------------------------------------------- */

static void test_error_duration(void)
{
    expect_only("[supervisor]\nstop_timeout = soon\n",
                "2: [supervisor] stop_timeout: invalid duration 'soon' (expected e.g. 10s, "
                "500ms, 2m)");
    expect_only(MIN_CTR "stop_timeout = -1s\n",
                "4: [container web] stop_timeout: invalid duration '-1s' (expected e.g. 10s, "
                "500ms, 2m)");
    expect_error("[supervisor]\nstop_timeout =\n", 2, "invalid duration ''");
    expect_error("[supervisor]\nstop_timeout = 10 s\n", 2, "invalid duration");
    expect_only("[supervisor]\npause_timeout = 5x\n",
                "2: [supervisor] pause_timeout: invalid duration '5x' (expected e.g. 10s, "
                "500ms, 2m)");
    expect_only(MIN_CTR "pause_timeout = -1\n",
                "4: [container web] pause_timeout: invalid duration '-1' (expected e.g. 10s, "
                "500ms, 2m)");
    expect_error(MIN_CTR "pause_timeout =\n", 4, "pause_timeout: invalid duration ''");
    expect_only(MIN_CTR "pause_timeout = 1s\npause_timeout = 2s\n",
                "5: [container web] pause_timeout: duplicate key (first at line 4)");
}

static void test_error_cgroup_parent(void)
{
    expect_only("[supervisor]\ncgroup_parent = /corral\n",
                "2: [supervisor] cgroup_parent: invalid cgroup path '/corral': must be relative "
                "(expected a relative path like corral or machine/corral, components of A-Z, "
                "a-z, 0-9, '_', '.' or '-')");
    expect_error("[supervisor]\ncgroup_parent = a/../b\n", 2, "'.' or '..' component");
    expect_error("[supervisor]\ncgroup_parent = ..\n", 2, "'.' or '..' component");
    expect_error("[supervisor]\ncgroup_parent = ./a\n", 2, "'.' or '..' component");
    expect_error("[supervisor]\ncgroup_parent = a//b\n", 2, "empty component");
    expect_error("[supervisor]\ncgroup_parent = a/\n", 2, "empty component");
    expect_error("[supervisor]\ncgroup_parent =\n", 2, "invalid cgroup path '': empty");
    expect_error("[supervisor]\ncgroup_parent = my corral\n", 2, "invalid character");
}

static void test_error_empty_path(void)
{
    expect_only("[supervisor]\nlog_dir =\n",
                "2: [supervisor] log_dir: empty path (expected a directory, e.g. /srv/web)");
    expect_error("[container web]\nrootfs =\ncommand = x\n", 2,
                 "[container web] rootfs: empty path");
}

/* ---- [network] values ---------------------------------------------------- */

static void test_error_bridge(void)
{
    expect_only("[network]\nbridge = abcdefghijklmnop\n",
                "2: [network] bridge: invalid bridge name 'abcdefghijklmnop' (expected 1 to 15 "
                "characters of A-Z, a-z, 0-9, '_', '.' or '-')");
    expect_error("[network]\nbridge = .\n", 2, "invalid bridge name '.'");
    expect_error("[network]\nbridge = ..\n", 2, "invalid bridge name '..'");
    expect_error("[network]\nbridge =\n", 2, "invalid bridge name ''");
    expect_error("[network]\nbridge = br 0\n", 2, "invalid bridge name 'br 0'");
    expect_error("[network]\nbridge = br/0\n", 2, "invalid bridge name 'br/0'");
}

static void test_error_subnet_syntax(void)
{
    static const char *const bad[] = {
        "10.88.0.0",     "10.88.0/24",    "10.88.0.0/",     "10.88.0.0/33",  "256.0.0.0/8",
        "010.0.0.0/8",   "10.88.0.0/024", "10.88.0.0/24x",  "ten/8",         "",
        "10.88.0.0 /24", "10.88.0.0/2 4", "10.88.0.0.0/24", "10.88.0.0/-24", "1.2.3.4/100",
    };

    expect_only("[network]\nsubnet = 10.88.0.0\n",
                "2: [network] subnet: invalid subnet '10.88.0.0' (expected an IPv4 network like "
                "10.88.0.0/24)");
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        _cleanup_free_ char *text = NULL;
        ASSERT(asprintf(&text, "[network]\nsubnet = %s\n", bad[i]) >= 0);
        expect_error(text, 2, "invalid subnet");
    }
}

/* Found by fuzz-config: an invalid prefix was kept, and the gateway and
 * address checks shifted by a negative count. Now only the subnet is
 * reported (UBSan in the fuzz build would catch the shift). */
static void test_error_subnet_prefix_not_used(void)
{
    expect_only("[container web]\nrootfs = /w\ncommand = x\nip = 172.20.3.4\n"
                "[network]\nsubnet = 10.0.0.0/37\ngateway = 10.0.0.1\n",
                "6: [network] subnet: invalid subnet '10.0.0.0/37' (expected an IPv4 network "
                "like 10.88.0.0/24)");
}

/* Found by fuzz-config: "/a /" normalized to "/a ", which `check` printed
 * as a value the parser reads back as "/a". */
static void test_error_path_ends_in_space(void)
{
    expect_only("[supervisor]\nstate_dir = /a /\n",
                "2: [supervisor] state_dir: '/a ' ends in a space (expected a directory, e.g. "
                "/srv/web)");
    expect_error("[container web]\nrootfs = /srv/x /\ncommand = x\n", 2, "ends in a space");
}

static void test_error_subnet_prefix(void)
{
    expect_only("[network]\nsubnet = 10.88.0.0/31\n",
                "2: [network] subnet: prefix length /31 out of range (expected /8 to /30)");
    expect_error("[network]\nsubnet = 10.0.0.0/7\n", 2, "prefix length /7 out of range");
    expect_error("[network]\nsubnet = 0.0.0.0/0\n", 2, "prefix length /0 out of range");
}

static void test_error_subnet_host_bits(void)
{
    expect_only("[network]\nsubnet = 10.88.0.1/24\n",
                "2: [network] subnet: host bits set in '10.88.0.1/24' (expected the network "
                "address, 10.88.0.0/24)");
    expect_error("[network]\nsubnet = 172.16.5.0/12\n", 2,
                 "expected the network address, 172.16.0.0/12");
}

static void test_error_gateway(void)
{
    expect_only("[network]\ngateway = 10.88.0\n",
                "2: [network] gateway: invalid IPv4 address '10.88.0' (expected e.g. 10.88.0.1)");
    expect_only("[network]\ngateway = 10.89.0.1\n",
                "2: [network] gateway: 10.89.0.1 is outside 10.88.0.0/24 (expected 10.88.0.1 "
                "to 10.88.0.254)");
    expect_only("[network]\nsubnet = 192.168.0.0/16\ngateway = 192.168.0.0\n",
                "3: [network] gateway: 192.168.0.0 is the network address of 192.168.0.0/16 "
                "(expected 192.168.0.1 to 192.168.255.254)");
    expect_only("[network]\ngateway = 10.88.0.255\n",
                "2: [network] gateway: 10.88.0.255 is the broadcast address of 10.88.0.0/24 "
                "(expected 10.88.0.1 to 10.88.0.254)");
    /* Against an invalid subnet only the subnet is reported. */
    expect_only("[network]\nsubnet = 10.88.0.1/24\ngateway = 99.0.0.1\n",
                "2: [network] subnet: host bits set in '10.88.0.1/24' (expected the network "
                "address, 10.88.0.0/24)");
}

static void test_error_bool(void)
{
    expect_only("[network]\nnat = maybe\n",
                "2: [network] nat: invalid boolean 'maybe' (expected yes/no, true/false, on/off "
                "or 1/0)");
    expect_error("[network]\nicc = 2\n", 2, "[network] icc: invalid boolean '2'");
}

static void test_error_dns(void)
{
    expect_only("[network]\ndns = 1.1.1.1 one.one\n",
                "2: [network] dns: invalid DNS server 'one.one' (expected host, or IPv4 "
                "addresses separated by spaces)");
    expect_error("[network]\ndns = host 1.1.1.1\n", 2, "invalid DNS server 'host'");
    expect_error("[network]\ndns = 1.1.1.1,8.8.8.8\n", 2, "invalid DNS server '1.1.1.1,8.8.8.8'");
    expect_error("[network]\ndns = 1.1.1.1 2001:db8::1\n", 2, "invalid DNS server '2001:db8::1'");
    expect_only("[network]\ndns =\n",
                "2: [network] dns: empty value (expected host or a list of IPv4 addresses, e.g. "
                "1.1.1.1 9.9.9.9)");
}

/* ---- [container] values --------------------------------------------------- */

static void test_command_words(void)
{
    check_command("/bin/echo  a\tb   c", "/bin/echo", "a", "b", "c");
    check_command("sh -c 'echo hi;  exit 3'", "sh", "-c", "echo hi;  exit 3");
    check_command("echo 'a \"b\" \\n'", "echo", "a \"b\" \\n");
    check_command("echo \"a 'b' \\\" \\\\ \\$ \\` \\n \\x\"", "echo", "a 'b' \" \\ $ ` \\n \\x");
    check_command("echo a\\ b \\'c\\' \\\\ \\\"", "echo", "a b", "'c'", "\\", "\"");
    check_command("echo a'b c'\"d e\"f", "echo", "ab cd ef");
    check_command("echo $HOME * ~ | a;b && # x", "echo", "$HOME", "*", "~", "|", "a;b", "&&", "#",
                  "x");
    /* " ;" starts an inline comment (inih), even in a command. */
    check_command("echo a ;b", "echo", "a");
    check_command("{\"not\": \"json\"}", "{not:", "json}");
    check_command("x", "x");
}

static void test_command_json(void)
{
    check_command("[\"/bin/sh\", \"-c\", \"echo hi; exit 3\"]", "/bin/sh", "-c", "echo hi; exit 3");
    check_command("[\"a b\",\"\\\"q\\\"\",\"\\u00e9\\t\",\"\\\\\"]", "a b", "\"q\"", "\xc3\xa9\t",
                  "\\");
    check_command("[ \"x\" ]", "x");
}

static void test_error_command_empty(void)
{
    expect_only("[container c]\nrootfs = /r\ncommand =\n",
                "3: [container c] command: empty command (expected a program and its arguments, "
                "or a JSON array of strings)");
    expect_command_error(" ;only a comment", "empty command");
}

static void test_error_command_unterminated_quote(void)
{
    expect_only("[container c]\nrootfs = /r\ncommand = echo 'hi\n",
                "3: [container c] command: unterminated quote (expected a closing ')");
    expect_command_error("echo \"hi", "unterminated quote (expected a closing \")");
    expect_command_error("echo \"hi\\\"", "unterminated quote");
    expect_command_error("echo \"it's", "unterminated quote (expected a closing \")");
}

static void test_error_command_trailing_backslash(void)
{
    expect_command_error("echo hi\\", "trailing backslash (expected a character after it)");
}

static void test_error_command_empty_argument(void)
{
    expect_command_error("printf '%s' ''",
                         "empty argument ('' or \"\") (expected non-empty words)");
    expect_command_error("\"\" x", "empty argument");
}

static void test_error_command_json(void)
{
    expect_only("[container c]\nrootfs = /r\ncommand = [\"a\", 1]\n",
                "3: [container c] command: invalid JSON command: element [1] is not a string "
                "(expected a non-empty array of non-empty strings, e.g. [\"/bin/sh\", \"-c\", "
                "\"echo hi\"])");
    expect_command_error("[\"a\",]", "invalid JSON: ");
    expect_command_error("[\"a\"", "invalid JSON: ");
    expect_command_error("[\"a\"] x", "invalid JSON: ");
    expect_command_error("[]", "invalid JSON command: empty array");
    expect_command_error("[\"a\", \"\"]", "invalid JSON command: element [1] is empty");
    expect_command_error("[[\"a\"]]", "element [0] is not a string");
    expect_command_error("[\"a\\u0000b\"]", "invalid JSON: ");
}

static void test_error_hostname(void)
{
    _cleanup_free_ char *h64 = repeat('h', 64), *text = NULL;

    expect_only(MIN_CTR "hostname = -web\n",
                "4: [container web] hostname: invalid hostname '-web' (expected at most 63 "
                "characters: labels of letters, digits and '-' separated by '.', not starting "
                "or ending with '-')");
    expect_error(MIN_CTR "hostname = web-\n", 4, "invalid hostname 'web-'");
    expect_error(MIN_CTR "hostname = a..b\n", 4, "invalid hostname 'a..b'");
    expect_error(MIN_CTR "hostname = a.b.\n", 4, "invalid hostname 'a.b.'");
    expect_error(MIN_CTR "hostname = my_host\n", 4, "invalid hostname 'my_host'");
    expect_error(MIN_CTR "hostname =\n", 4, "invalid hostname ''");
    ASSERT(asprintf(&text, MIN_CTR "hostname = %s\n", h64) >= 0);
    expect_error(text, 4, "invalid hostname");
}

static void test_error_default_hostname(void)
{
    struct corral_config *c;

    /* '_' is fine in a name but not in a hostname: the default fails. */
    expect_only("[container my_app]\nrootfs = /r\ncommand = x\n",
                "1: [container my_app] hostname: the container name 'my_app' is not a valid "
                "hostname, set hostname = NAME (expected at most 63 characters: labels of "
                "letters, digits and '-' separated by '.', not starting or ending with '-')");
    c = load_ok("[container my_app]\nrootfs = /r\ncommand = x\nhostname = my-app\n");
    ASSERT_STREQ(c->containers[0].hostname, "my-app");
    ASSERT_STREQ(c->containers[0].env[1], "HOSTNAME=my-app");
    config_free(c);
}

static void test_env_order(void)
{
    struct corral_config *c = load_ok(MIN_CTR "env = FOO=1\n"
                                              "env = PATH=/bin\n"
                                              "env = EMPTY=\n"
                                              "env = URL=http://x/?a=b\n"
                                              "env = FOO=2\n"
                                              "env = _x1=y\n"
                                              "env = HOSTNAME=custom\n"
                                              "env = container=other\n");

    /* Defaults first; an override keeps its place; the last one wins. */
    assert_argv(c->containers[0].env, "PATH=/bin", "HOSTNAME=custom", "HOME=/root",
                "container=other", "FOO=2", "EMPTY=", "URL=http://x/?a=b", "_x1=y", NULL);
    config_free(c);
}

static void test_env_is_repeatable_per_container(void)
{
    struct corral_config *c = load_ok(MIN_CTR "env = A=1\n[container b]\nrootfs = /r\n"
                                              "command = x\nenv = B=2\n");

    ASSERT_EQ(strv_length(c->containers[0].env), 5);
    ASSERT_STREQ(c->containers[0].env[4], "A=1");
    ASSERT_EQ(strv_length(c->containers[1].env), 5);
    ASSERT_STREQ(c->containers[1].env[4], "B=2");
    config_free(c);
}

static void test_error_env(void)
{
    expect_only(MIN_CTR "env = FOO\n",
                "4: [container web] env: invalid environment entry 'FOO' (expected KEY=VALUE)");
    expect_only(MIN_CTR "env = 1X=y\n",
                "4: [container web] env: invalid variable name '1X' (expected KEY=VALUE with KEY "
                "of A-Z, a-z, 0-9 and '_', not starting with a digit)");
    expect_error(MIN_CTR "env = A-B=c\n", 4, "invalid variable name 'A-B'");
    expect_error(MIN_CTR "env = =x\n", 4, "invalid variable name ''");
    expect_error(MIN_CTR "env = A B=x\n", 4, "invalid variable name 'A B'");
    expect_error(MIN_CTR "env =\n", 4, "invalid environment entry ''");
}

static void test_error_workdir(void)
{
    expect_only(MIN_CTR "workdir = srv/app\n",
                "4: [container web] workdir: relative path 'srv/app' (expected an absolute path, "
                "e.g. /srv/app)");
    expect_error(MIN_CTR "workdir =\n", 4, "relative path ''");
}

static void test_error_stop_signal(void)
{
    char want[256];

    snprintf(want, sizeof(want),
             "4: [container web] stop_signal: invalid signal 'SIGFOO' (expected a name like "
             "SIGTERM or TERM, or a number from 1 to %d)",
             NSIG - 1);
    expect_only(MIN_CTR "stop_signal = SIGFOO\n", want);
    expect_error(MIN_CTR "stop_signal = 0\n", 4, "invalid signal '0'");
    expect_error(MIN_CTR "stop_signal = 65\n", 4, "invalid signal '65'");
    expect_error(MIN_CTR "stop_signal =\n", 4, "invalid signal ''");
}

/* ---- cgroup limits ------------------------------------------------------- */

static void test_limit_values(void)
{
    struct corral_config *c = load_ok(MIN_CTR "memory = 256M\n"
                                              "memory_swap = 512M\n"
                                              "cpus = 1.5\n"
                                              "cpu_weight = 100\n"
                                              "cpuset_cpus = 0-1,3\n"
                                              "cpuset_mems = 0\n"
                                              "io_weight = 10000\n"
                                              "pids = 256\n"
                                              "[container other]\nrootfs = /o\ncommand = o\n");
    const struct container_spec *w = &c->containers[0], *o = &c->containers[1];

    ASSERT_EQ(w->memory, 256ULL << 20);
    ASSERT_EQ(w->memory_swap, 512ULL << 20);
    ASSERT_EQ(w->cpu_millis, 1500);
    ASSERT_EQ(w->cpu_weight, 100);
    ASSERT_STREQ(w->cpuset_cpus, "0-1,3");
    ASSERT_STREQ(w->cpuset_mems, "0");
    ASSERT_EQ(w->io_weight, 10000);
    ASSERT_EQ(w->pids, 256);
    /* Limits are per container: nothing leaks into the next one. */
    ASSERT_EQ(o->memory, 0);
    ASSERT_EQ(o->cpu_millis, 0);
    ASSERT(o->cpuset_cpus == NULL);
    ASSERT_EQ(o->pids, 0);
    config_free(c);
}

static void test_memory_forms(void)
{
    static const struct {
        const char *in;
        uint64_t bytes;
    } cases[] = {
        {"4M", 4ULL << 20},    {"4194304", 4ULL << 20}, {"4096K", 4ULL << 20},
        {"4096k", 4ULL << 20}, {"256M", 256ULL << 20},  {"256mb", 256ULL << 20},
        {"1G", 1ULL << 30},    {"2g", 2ULL << 30},      {"1.5G", 3ULL << 29},
        {"0.5G", 1ULL << 29},  {"1T", 1ULL << 40},      {"5000000b", 5000000},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&text, MIN_CTR "memory = %s\nmemory_swap = %s\n", cases[i].in,
                        cases[i].in) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->containers[0].memory, cases[i].bytes);
        /* Equal to memory: allowed, and means no swap. */
        ASSERT_EQ(c->containers[0].memory_swap, cases[i].bytes);
        config_free(c);
    }
}

static void test_memory_swap_forms(void)
{
    /* memory_swap may come first: it is checked once the section is read. */
    struct corral_config *c = load_ok(MIN_CTR "memory_swap = 1G\nmemory = 1023M\n");

    ASSERT_EQ(c->containers[0].memory, 1023ULL << 20);
    ASSERT_EQ(c->containers[0].memory_swap, 1ULL << 30);
    config_free(c);

    c = load_ok(MIN_CTR "memory = 64M\n");
    ASSERT_EQ(c->containers[0].memory, 64ULL << 20);
    ASSERT_EQ(c->containers[0].memory_swap, 0);
    config_free(c);
}

static void test_cpus_forms(void)
{
    static const struct {
        const char *in;
        uint64_t millis;
    } cases[] = {
        {"0.5", 500},      {"1", 1000},         {"1.25", 1250},         {"2", 2000},
        {".5", 500},       {"3.", 3000},        {"007", 7000},          {"0.01", 10},
        {"0.0095", 10},    {"1.2345", 1235},    {"1.23449", 1234},      {"0.9999", 1000},
        {"1024", 1024000}, {"1024.0", 1024000}, {"1024.0004", 1024000},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&text, MIN_CTR "cpus = %s\n", cases[i].in) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->containers[0].cpu_millis, cases[i].millis);
        config_free(c);
    }
}

static void test_weight_and_pids_forms(void)
{
    static const struct {
        const char *key;
        const char *in;
        uint64_t value;
    } cases[] = {
        {"cpu_weight", "1", 1},       {"cpu_weight", "10000", 10000}, {"cpu_weight", "0100", 100},
        {"io_weight", "1", 1},        {"io_weight", "10000", 10000},  {"pids", "1", 1},
        {"pids", "4194304", 4194304},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        const struct container_spec *w;
        ASSERT(asprintf(&text, MIN_CTR "%s = %s\n", cases[i].key, cases[i].in) >= 0);
        c = load_ok(text);
        w = &c->containers[0];
        ASSERT_EQ(streq(cases[i].key, "cpu_weight")  ? w->cpu_weight
                  : streq(cases[i].key, "io_weight") ? w->io_weight
                                                     : w->pids,
                  cases[i].value);
        config_free(c);
    }
}

static void test_cpu_list_forms(void)
{
    static const char *const cases[] = {
        "0", "0-3", "0-3,5", "3-3", "5,0-3", "1,1", "4095", "0-4095", "0,2,4,6-7", "00-01",
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&text, MIN_CTR "cpuset_cpus = %s\ncpuset_mems = %s\n", cases[i],
                        cases[i]) >= 0);
        c = load_ok(text);
        /* Kept as written: the kernel reads the same syntax. */
        ASSERT_STREQ(c->containers[0].cpuset_cpus, cases[i]);
        ASSERT_STREQ(c->containers[0].cpuset_mems, cases[i]);
        config_free(c);
    }
}

static void test_error_memory(void)
{
    expect_only(MIN_CTR "memory = 12Q\n",
                "4: [container web] memory: invalid size '12Q' (expected e.g. 256M, 1G, 512K)");
    expect_only(MIN_CTR "memory = 0\n",
                "4: [container web] memory: '0' is too small (expected at least 4M: with less, "
                "the kernel's OOM killer ends the container as it starts)");
    expect_error(MIN_CTR "memory = 4194303\n", 4, "memory: '4194303' is too small");
    expect_error(MIN_CTR "memory = 3.9M\n", 4, "memory: '3.9M' is too small");
    expect_error(MIN_CTR "memory =\n", 4, "memory: invalid size ''");
    expect_error(MIN_CTR "memory = -1\n", 4, "memory: invalid size '-1'");
    expect_error(MIN_CTR "memory = 1 G\n", 4, "memory: invalid size '1 G'");
    expect_error(MIN_CTR "memory = max\n", 4, "memory: invalid size 'max'");
    expect_error(MIN_CTR "memory = 99999999T\n", 4, "memory: invalid size '99999999T'");
    expect_only(MIN_CTR "memory = 1G\nmemory = 2G\n",
                "5: [container web] memory: duplicate key (first at line 4)");
}

static void test_error_memory_swap(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "memory_swap = 1G\n",
                "4: [container web] memory_swap: set without memory (expected memory = SIZE as "
                "well: memory_swap is the limit of memory plus swap)");
    expect_only(MIN_CTR "memory = 512M\nmemory_swap = 256M\n",
                "5: [container web] memory_swap: '256M' is less than memory = 512M (expected at "
                "least memory: memory_swap is memory plus swap, and equal to memory means no "
                "swap)");
    expect_error(MIN_CTR "memory = 512M\nmemory_swap = 0\n", 5,
                 "memory_swap: '0' is less than memory = 512M");
    expect_error(MIN_CTR "memory = 512M\nmemory_swap = 536870911\n", 5,
                 "memory_swap: '536870911' is less than memory = 512M");
    expect_only(MIN_CTR "memory = 512M\nmemory_swap = lots\n",
                "5: [container web] memory_swap: invalid size 'lots' (expected e.g. 256M, 1G, "
                "512K)");
    /* An invalid size is reported once, not also as missing memory. */
    expect_only(MIN_CTR "memory_swap = -1\n",
                "4: [container web] memory_swap: invalid size '-1' (expected e.g. 256M, 1G, "
                "512K)");
    /* A bad memory is reported; memory_swap has nothing to be compared with. */
    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "memory = 1K\nmemory_swap = 2K\n");
    ASSERT_EQ(d.n, 1);
    ASSERT(diag_has(&d, 4, "memory: '1K' is too small"));
    config_diag_clear(&d);
}

static void test_error_cpus(void)
{
    expect_only(MIN_CTR "cpus = half\n",
                "4: [container web] cpus: invalid number of CPUs 'half' (expected a decimal "
                "number like 0.5, 1 or 2.25)");
    expect_only(MIN_CTR "cpus = 0\n",
                "4: [container web] cpus: '0' out of range (expected 0.010 to 1024)");
    expect_error(MIN_CTR "cpus = -1\n", 4, "cpus: invalid number of CPUs '-1'");
    expect_error(MIN_CTR "cpus = +1\n", 4, "cpus: invalid number of CPUs '+1'");
    expect_error(MIN_CTR "cpus =\n", 4, "cpus: invalid number of CPUs ''");
    expect_error(MIN_CTR "cpus = .\n", 4, "cpus: invalid number of CPUs '.'");
    expect_error(MIN_CTR "cpus = 1.2.3\n", 4, "cpus: invalid number of CPUs '1.2.3'");
    expect_error(MIN_CTR "cpus = 1,5\n", 4, "cpus: invalid number of CPUs '1,5'");
    expect_error(MIN_CTR "cpus = 1e3\n", 4, "cpus: invalid number of CPUs '1e3'");
    expect_error(MIN_CTR "cpus = 0x10\n", 4, "cpus: invalid number of CPUs '0x10'");
    expect_error(MIN_CTR "cpus = inf\n", 4, "cpus: invalid number of CPUs 'inf'");
    expect_error(MIN_CTR "cpus = 2 cpus\n", 4, "cpus: invalid number of CPUs '2 cpus'");
    expect_error(MIN_CTR "cpus = 0.000\n", 4, "cpus: '0.000' out of range");
    expect_error(MIN_CTR "cpus = 0.0004\n", 4, "cpus: '0.0004' out of range");
    expect_error(MIN_CTR "cpus = 0.009\n", 4, "cpus: '0.009' out of range");
    expect_error(MIN_CTR "cpus = 1025\n", 4, "cpus: '1025' out of range");
    expect_error(MIN_CTR "cpus = 1024.001\n", 4, "cpus: '1024.001' out of range");
    expect_error(MIN_CTR "cpus = 99999999999999999999999\n", 4,
                 "cpus: '99999999999999999999999' out of range");
}

static void test_error_weights(void)
{
    expect_only(MIN_CTR "cpu_weight = 0\n",
                "4: [container web] cpu_weight: '0' out of range (expected 1 to 10000)");
    expect_only(MIN_CTR "cpu_weight = high\n",
                "4: [container web] cpu_weight: invalid integer 'high' (expected a whole number "
                "from 1 to 10000)");
    expect_error(MIN_CTR "cpu_weight = 10001\n", 4, "cpu_weight: '10001' out of range");
    expect_error(MIN_CTR "cpu_weight = 99999999999999999999999\n", 4,
                 "cpu_weight: '99999999999999999999999' out of range");
    expect_error(MIN_CTR "cpu_weight = -5\n", 4, "cpu_weight: invalid integer '-5'");
    expect_error(MIN_CTR "cpu_weight = 1.5\n", 4, "cpu_weight: invalid integer '1.5'");
    expect_error(MIN_CTR "cpu_weight =\n", 4, "cpu_weight: invalid integer ''");
    expect_only(MIN_CTR "io_weight = 0\n",
                "4: [container web] io_weight: '0' out of range (expected 1 to 10000)");
    expect_only(MIN_CTR "io_weight = 1k\n",
                "4: [container web] io_weight: invalid integer '1k' (expected a whole number "
                "from 1 to 10000)");
    expect_error(MIN_CTR "io_weight = 10001\n", 4, "io_weight: '10001' out of range");
}

static void test_error_pids(void)
{
    expect_only(MIN_CTR "pids = max\n",
                "4: [container web] pids: invalid integer 'max' (expected a whole number from 1 "
                "to 4194304; leave pids unset for no limit)");
    expect_only(MIN_CTR "pids = 0\n",
                "4: [container web] pids: '0' out of range (expected 1 to 4194304; leave pids "
                "unset for no limit)");
    expect_error(MIN_CTR "pids = 4194305\n", 4, "pids: '4194305' out of range");
    expect_error(MIN_CTR "pids = -1\n", 4, "pids: invalid integer '-1'");
    expect_error(MIN_CTR "pids = 1k\n", 4, "pids: invalid integer '1k'");
    expect_error(MIN_CTR "pids =\n", 4, "pids: invalid integer ''");
}

static void test_error_cpu_list(void)
{
    static const struct {
        const char *in, *problem;
    } cases[] = {
        {"", "empty"},
        {"0-3,,5", "empty element"},
        {"0,", "empty element"},
        {",0", "empty element"},
        {"a", "'a' is not a number or a range"},
        {"0-3,x-y", "'x-y' is not a number or a range"},
        {"1-", "'1-' is not a number or a range"},
        {"-1", "'-1' is not a number or a range"},
        {"1-2-3", "'1-2-3' is not a number or a range"},
        {"0-7:2", "'0-7:2' is not a number or a range"},
        {"0, 1", "' 1' is not a number or a range"},
        {"0 - 3", "'0 - 3' is not a number or a range"},
        {"4096", "'4096' is too large"},
        {"1,0-99999999999999999999", "'0-99999999999999999999' is too large"},
        {"0-3,3-1", "descending range '3-1'"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, MIN_CTR "cpuset_cpus = %s\n", cases[i].in) >= 0);
        ASSERT(asprintf(&want,
                        "4: [container web] cpuset_cpus: invalid CPU list '%s': %s (expected "
                        "numbers below 4096 or ascending ranges, separated by commas, e.g. "
                        "0-3,5)",
                        cases[i].in, cases[i].problem) >= 0);
        expect_only(text, want);
    }
    expect_only(MIN_CTR "cpuset_mems = 1-0\n",
                "4: [container web] cpuset_mems: invalid memory node list '1-0': descending "
                "range '1-0' (expected numbers below 4096 or ascending ranges, separated by "
                "commas, e.g. 0-3,5)");
    expect_error(MIN_CTR "cpuset_mems = all\n", 4,
                 "cpuset_mems: invalid memory node list 'all': 'all' is not");
}

/* Every limit problem at once, each on its own line, in order. */
static void test_error_limits_all_reported(void)
{
    struct config_diag d = load_fail_at(__FILE__, __LINE__,
                                        MIN_CTR                /* 1-3 */
                                        "memory = 1\n"         /* 4 */
                                        "memory_swap = x\n"    /* 5 */
                                        "cpus = 0\n"           /* 6 */
                                        "cpu_weight = 0\n"     /* 7 */
                                        "cpuset_cpus = 9999\n" /* 8 */
                                        "cpuset_mems = ,\n"    /* 9 */
                                        "io_weight = 0\n"      /* 10 */
                                        "pids = 0\n"           /* 11 */
                                        "pause_timeout = ?\n"  /* 12 */
                                        "cpus = 1\n");         /* 13 */
    static const char *const want[] = {
        ":4: [container web] memory: '1' is too small",
        ":5: [container web] memory_swap: invalid size 'x'",
        ":6: [container web] cpus: '0' out of range",
        ":7: [container web] cpu_weight: '0' out of range",
        ":8: [container web] cpuset_cpus: invalid CPU list '9999': '9999' is too large",
        ":9: [container web] cpuset_mems: invalid memory node list ',': empty element",
        ":10: [container web] io_weight: '0' out of range",
        ":11: [container web] pids: '0' out of range",
        ":12: [container web] pause_timeout: invalid duration '?'",
        ":13: [container web] cpus: duplicate key (first at line 6)",
    };

    if (d.n != ELEMENTSOF(want))
        print_diag(&d);
    ASSERT_EQ(d.n, ELEMENTSOF(want));
    for (size_t i = 0; i < ELEMENTSOF(want); i++) {
        ASSERT(strncmp(d.lines[i], NAME, strlen(NAME)) == 0);
        ASSERT(strncmp(d.lines[i] + strlen(NAME), want[i], strlen(want[i])) == 0);
    }
    config_diag_clear(&d);
}

/* ---- restart, logs, exit codes, dependencies ------------------------------ */

#define assert_restart(r, pol, n, explicit_)                                                       \
    do {                                                                                           \
        ASSERT_STREQ(restart_policy_to_string((r)->policy), restart_policy_to_string(pol));        \
        ASSERT_EQ((r)->max, (n));                                                                  \
        ASSERT_EQ((r)->max_explicit, (explicit_));                                                 \
    } while (0)

static void test_policy_values(void)
{
    struct corral_config *c =
        load_ok("[supervisor]\n"
                "restart = always\n"
                "restart_max = 3\n"
                "restart_delay = 250ms\n"
                "restart_delay_max = 2m\n"
                "restart_reset_after = 30s\n"
                "start_grace = 1.5s\n"
                "log_max_size = 1G\n"
                "log_max_files = 10\n" MIN_CTR "[container api]\nrootfs = /r\ncommand = x\n"
                "restart = unless-stopped\n"
                "restart_max = unlimited\n"
                "restart_delay = 0\n"
                "restart_delay_max = 0\n"
                "restart_reset_after = 1h\n"
                "start_grace = 0\n"
                "log_max_size = 4K\n"
                "log_max_files = 1\n");
    const struct restart_spec *s = &c->sup.restart, *w = &c->containers[0].restart,
                              *a = &c->containers[1].restart;

    assert_restart(s, RESTART_ALWAYS, 3, true);
    ASSERT_EQ(s->delay_ms, 250);
    ASSERT_EQ(s->delay_max_ms, 120000);
    ASSERT_EQ(s->reset_after_ms, 30000);
    ASSERT_EQ(s->start_grace_ms, 1500);
    ASSERT_EQ(c->sup.log.max_size, 1ULL << 30);
    ASSERT_EQ(c->sup.log.max_files, 10);
    /* [container web] sets nothing: all of it comes from [supervisor]. */
    assert_restart(w, RESTART_ALWAYS, 3, true);
    ASSERT_EQ(w->delay_ms, 250);
    ASSERT_EQ(w->delay_max_ms, 120000);
    ASSERT_EQ(w->reset_after_ms, 30000);
    ASSERT_EQ(w->start_grace_ms, 1500);
    ASSERT_EQ(c->containers[0].log.max_size, 1ULL << 30);
    ASSERT_EQ(c->containers[0].log.max_files, 10);
    /* [container api] overrides every one, with the smallest values allowed. */
    assert_restart(a, RESTART_UNLESS_STOPPED, 0, true);
    ASSERT_EQ(a->delay_ms, 0);
    ASSERT_EQ(a->delay_max_ms, 0);
    ASSERT_EQ(a->reset_after_ms, 3600000);
    ASSERT_EQ(a->start_grace_ms, 0);
    ASSERT_EQ(c->containers[1].log.max_size, 4096);
    ASSERT_EQ(c->containers[1].log.max_files, 1);
    config_free(c);
}

static void test_restart_policy_forms(void)
{
    static const struct {
        const char *in;
        enum restart_policy policy;
        unsigned max;
    } cases[] = {
        {"no", RESTART_NO, 0},
        {"always", RESTART_ALWAYS, 0},
        {"on-failure", RESTART_ON_FAILURE, 0},
        {"unless-stopped", RESTART_UNLESS_STOPPED, 0},
        {"on-failure:1", RESTART_ON_FAILURE, 1},
        {"on-failure:5", RESTART_ON_FAILURE, 5},
        {"on-failure:007", RESTART_ON_FAILURE, 7},
        {"on-failure:1000000", RESTART_ON_FAILURE, 1000000},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *sup = NULL, *own = NULL;
        struct corral_config *c;

        /* As the default: containers inherit policy and limit. */
        ASSERT(asprintf(&sup, "[supervisor]\nrestart = %s\n" MIN_CTR, cases[i].in) >= 0);
        c = load_ok(sup);
        assert_restart(&c->sup.restart, cases[i].policy, cases[i].max, false);
        assert_restart(&c->containers[0].restart, cases[i].policy, cases[i].max, false);
        config_free(c);

        /* As a container's own: [supervisor] keeps the built-in default. */
        ASSERT(asprintf(&own, MIN_CTR "restart = %s\n", cases[i].in) >= 0);
        c = load_ok(own);
        assert_restart(&c->containers[0].restart, cases[i].policy, cases[i].max, false);
        assert_default_policy(&c->sup.restart, &c->sup.log);
        config_free(c);
    }

    ASSERT_STREQ(restart_policy_to_string(RESTART_NO), "no");
    ASSERT_STREQ(restart_policy_to_string(RESTART_ALWAYS), "always");
    ASSERT_STREQ(restart_policy_to_string(RESTART_ON_FAILURE), "on-failure");
    ASSERT_STREQ(restart_policy_to_string(RESTART_UNLESS_STOPPED), "unless-stopped");
    ASSERT_STREQ(restart_policy_to_string(_RESTART_POLICY_MAX), "unknown");
}

static void test_restart_max_forms(void)
{
    static const struct {
        const char *in;
        unsigned max;
    } cases[] = {
        {"1", 1}, {"3", 3}, {"03", 3}, {"1000000", 1000000}, {"unlimited", 0},
    };
    struct corral_config *c;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *sup = NULL, *own = NULL;

        ASSERT(asprintf(&sup, "[supervisor]\nrestart_max = %s\n" MIN_CTR, cases[i].in) >= 0);
        c = load_ok(sup);
        assert_restart(&c->sup.restart, RESTART_NO, cases[i].max, true);
        assert_restart(&c->containers[0].restart, RESTART_NO, cases[i].max, true);
        config_free(c);

        ASSERT(asprintf(&own, MIN_CTR "restart_max = %s\n", cases[i].in) >= 0);
        c = load_ok(own);
        assert_restart(&c->containers[0].restart, RESTART_NO, cases[i].max, true);
        config_free(c);
    }

    /* on-failure without N and restart_max go together, in either order. */
    c = load_ok("[supervisor]\nrestart = on-failure\nrestart_max = 3\n" MIN_CTR
                "restart_max = 2\nrestart = always\n");
    assert_restart(&c->sup.restart, RESTART_ON_FAILURE, 3, true);
    assert_restart(&c->containers[0].restart, RESTART_ALWAYS, 2, true);
    config_free(c);
}

static void test_restart_delay_forms(void)
{
    struct corral_config *c;

    /* restart_delay may equal restart_delay_max: a fixed delay. */
    c = load_ok("[supervisor]\nrestart_delay = 5s\nrestart_delay_max = 5s\n" MIN_CTR);
    ASSERT_EQ(c->sup.restart.delay_ms, 5000);
    ASSERT_EQ(c->sup.restart.delay_max_ms, 5000);
    ASSERT_EQ(c->containers[0].restart.delay_ms, 5000);
    ASSERT_EQ(c->containers[0].restart.delay_max_ms, 5000);
    config_free(c);

    /* A container may move both above [supervisor]'s cap... */
    c = load_ok(MIN_CTR "restart_delay = 2m\nrestart_delay_max = 5m\n");
    ASSERT_EQ(c->containers[0].restart.delay_ms, 120000);
    ASSERT_EQ(c->containers[0].restart.delay_max_ms, 300000);
    config_free(c);

    /* ...or lower its cap down to the inherited delay. */
    c = load_ok("[supervisor]\nrestart_delay = 1s\n" MIN_CTR "restart_delay_max = 1000ms\n");
    ASSERT_EQ(c->containers[0].restart.delay_ms, 1000);
    ASSERT_EQ(c->containers[0].restart.delay_max_ms, 1000);
    config_free(c);

    /* Each duration on its own, as [supervisor]'s and as a container's. */
    c = load_ok("[supervisor]\nrestart_reset_after = 2m\nstart_grace = 250ms\n" MIN_CTR
                "[container api]\nrootfs = /r\ncommand = x\n"
                "restart_reset_after = 0\nstart_grace = 5s\n");
    ASSERT_EQ(c->sup.restart.reset_after_ms, 120000);
    ASSERT_EQ(c->sup.restart.start_grace_ms, 250);
    ASSERT_EQ(c->containers[0].restart.reset_after_ms, 120000);
    ASSERT_EQ(c->containers[0].restart.start_grace_ms, 250);
    ASSERT_EQ(c->containers[1].restart.reset_after_ms, 0);
    ASSERT_EQ(c->containers[1].restart.start_grace_ms, 5000);
    /* The untouched ones keep the built-in defaults. */
    ASSERT_EQ(c->containers[1].restart.delay_ms, 100);
    ASSERT_EQ(c->containers[1].restart.delay_max_ms, 60000);
    config_free(c);
}

static void test_log_forms(void)
{
    static const struct {
        const char *key, *in;
        uint64_t value;
    } cases[] = {
        {"log_max_size", "4K", 4096},
        {"log_max_size", "4096", 4096},
        {"log_max_size", "4097", 4097},
        {"log_max_size", "10m", 10ULL << 20},
        {"log_max_size", "1.5G", 3ULL << 29},
        {"log_max_size", "1T", 1ULL << 40},
        {"log_max_files", "1", 1},
        {"log_max_files", "1000", 1000},
        {"log_max_files", "007", 7},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        bool size = streq(cases[i].key, "log_max_size");
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;

        ASSERT(asprintf(&text,
                        "[supervisor]\n%s = %s\n" MIN_CTR "[container api]\nrootfs = /r\n"
                        "command = x\n%s = %s\n",
                        cases[i].key, cases[i].in, cases[i].key, cases[i].in) >= 0);
        c = load_ok(text);
        ASSERT_EQ(size ? c->sup.log.max_size : c->sup.log.max_files, cases[i].value);
        ASSERT_EQ(size ? c->containers[0].log.max_size : c->containers[0].log.max_files,
                  cases[i].value);
        ASSERT_EQ(size ? c->containers[1].log.max_size : c->containers[1].log.max_files,
                  cases[i].value);
        /* The other key keeps its default. */
        ASSERT_EQ(size ? c->containers[1].log.max_files : c->containers[1].log.max_size,
                  size ? 5 : 10ULL << 20);
        config_free(c);
    }
}

/* [supervisor] -> container: what is inherited, and what a container's own
 * restart does to the inherited limit. */
static void test_policy_inheritance(void)
{
    struct corral_config *c;

    /* [supervisor] after the containers still provides their defaults. */
    c = load_ok(MIN_CTR "[supervisor]\nrestart = on-failure:3\nrestart_delay = 1s\n"
                        "restart_delay_max = 10s\nrestart_reset_after = 1m\nstart_grace = 2s\n"
                        "log_max_size = 1M\nlog_max_files = 2\n");
    assert_restart(&c->containers[0].restart, RESTART_ON_FAILURE, 3, false);
    ASSERT_EQ(c->containers[0].restart.delay_ms, 1000);
    ASSERT_EQ(c->containers[0].restart.delay_max_ms, 10000);
    ASSERT_EQ(c->containers[0].restart.reset_after_ms, 60000);
    ASSERT_EQ(c->containers[0].restart.start_grace_ms, 2000);
    ASSERT_EQ(c->containers[0].log.max_size, 1ULL << 20);
    ASSERT_EQ(c->containers[0].log.max_files, 2);
    config_free(c);

    /* The limit came with on-failure:3: a container's own policy brings
     * its own limit, and restart_max alone keeps the inherited policy. */
    c = load_ok("[supervisor]\nrestart = on-failure:3\n"
                "[container a]\nrootfs = /r\ncommand = x\n"
                "[container b]\nrootfs = /r\ncommand = x\nrestart = always\n"
                "[container c]\nrootfs = /r\ncommand = x\nrestart = on-failure\n"
                "[container d]\nrootfs = /r\ncommand = x\nrestart = on-failure:7\n"
                "[container e]\nrootfs = /r\ncommand = x\nrestart_max = 2\n"
                "[container f]\nrootfs = /r\ncommand = x\nrestart_max = unlimited\n"
                "[container g]\nrootfs = /r\ncommand = x\nrestart = no\n");
    assert_restart(&c->sup.restart, RESTART_ON_FAILURE, 3, false);
    assert_restart(&c->containers[0].restart, RESTART_ON_FAILURE, 3, false);
    assert_restart(&c->containers[1].restart, RESTART_ALWAYS, 0, false);
    assert_restart(&c->containers[2].restart, RESTART_ON_FAILURE, 0, false);
    assert_restart(&c->containers[3].restart, RESTART_ON_FAILURE, 7, false);
    assert_restart(&c->containers[4].restart, RESTART_ON_FAILURE, 2, true);
    assert_restart(&c->containers[5].restart, RESTART_ON_FAILURE, 0, true);
    assert_restart(&c->containers[6].restart, RESTART_NO, 0, false);
    config_free(c);

    /* The limit came from restart_max: it stays whatever policy a
     * container picks, until the container sets its own restart_max. */
    c = load_ok("[supervisor]\nrestart = on-failure\nrestart_max = 5\n"
                "[container a]\nrootfs = /r\ncommand = x\n"
                "[container b]\nrootfs = /r\ncommand = x\nrestart = always\n"
                "[container c]\nrootfs = /r\ncommand = x\nrestart = unless-stopped\n"
                "[container d]\nrootfs = /r\ncommand = x\nrestart_max = unlimited\n"
                "[container e]\nrootfs = /r\ncommand = x\nrestart_max = 9\nrestart = always\n");
    assert_restart(&c->sup.restart, RESTART_ON_FAILURE, 5, true);
    assert_restart(&c->containers[0].restart, RESTART_ON_FAILURE, 5, true);
    assert_restart(&c->containers[1].restart, RESTART_ALWAYS, 5, true);
    assert_restart(&c->containers[2].restart, RESTART_UNLESS_STOPPED, 5, true);
    assert_restart(&c->containers[3].restart, RESTART_ON_FAILURE, 0, true);
    assert_restart(&c->containers[4].restart, RESTART_ALWAYS, 9, true);
    config_free(c);

    /* One container's settings never leak into the next. */
    c = load_ok(MIN_CTR "restart = always\nrestart_delay = 1s\nlog_max_files = 9\n"
                        "success_exit_codes = 3\n"
                        "[container api]\nrootfs = /r\ncommand = x\n");
    assert_restart(&c->containers[1].restart, RESTART_NO, 0, false);
    assert_default_policy(&c->containers[1].restart, &c->containers[1].log);
    ASSERT(container_spec_success_code(&c->containers[0], 3));
    ASSERT(!container_spec_success_code(&c->containers[1], 3));
    config_free(c);
}

static void test_success_exit_codes_forms(void)
{
    /* Each list ends with -1; 0 is always in it. */
    static const struct {
        const char *in;
        int codes[5];
    } cases[] = {
        {"0", {0, -1}},
        {"3", {0, 3, -1}},
        {"0 3", {0, 3, -1}},
        {"3,42", {0, 3, 42, -1}},
        {"3, 42\t255", {0, 3, 42, 255, -1}},
        {"255 1 255 1", {0, 1, 255, -1}},
        {"003", {0, 3, -1}},
        {"", {0, -1}},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;
        bool want[256] = {};

        for (const int *k = cases[i].codes; *k >= 0; k++)
            want[*k] = true;
        ASSERT(asprintf(&text, MIN_CTR "success_exit_codes = %s\n", cases[i].in) >= 0);
        c = load_ok(text);
        for (int code = 0; code < 256; code++)
            if (container_spec_success_code(&c->containers[0], code) != want[code]) {
                fprintf(stderr, "success_exit_codes = %s: code %d is%s a success\n", cases[i].in,
                        code, want[code] ? " not" : "");
                exit(1);
            }
        ASSERT(!container_spec_success_code(&c->containers[0], -1));
        ASSERT(!container_spec_success_code(&c->containers[0], 256));
        config_free(c);
    }
}

#define DEP_CTR(name, deps)                                                                        \
    "[container " name "]\nrootfs = /r\ncommand = x\ndepends_on = " deps "\n"
#define PLAIN_CTR(name) "[container " name "]\nrootfs = /r\ncommand = x\n"

static void test_depends_on_forms(void)
{
    static const char *const lists[] = {
        "db cache", "db,cache", "db, cache", "db\tcache", "db cache db db", "db cache cache, db",
    };
    struct corral_config *c;

    for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
        _cleanup_free_ char *text = NULL;
        const struct container_spec *w;

        /* Before and after the containers it names; duplicates collapse,
         * the first mention keeps its place. */
        ASSERT(asprintf(&text,
                        PLAIN_CTR("cache") "[container web]\nrootfs = /r\ncommand = x\n"
                                           "depends_on = %s\n" PLAIN_CTR("db"),
                        lists[i]) >= 0);
        c = load_ok(text);
        w = &c->containers[1];
        ASSERT_STREQ(w->name, "web");
        assert_argv(w->depends_on, "db", "cache", NULL);
        ASSERT_EQ(w->n_depends_on, 2);
        ASSERT_EQ(w->depends_on_idx[0], 2);
        ASSERT_EQ(w->depends_on_idx[1], 0);
        ASSERT_EQ(w->depends_on_line, 7);
        ASSERT_EQ(c->containers[0].n_depends_on, 0);
        ASSERT(c->containers[0].depends_on == NULL);
        config_free(c);
    }

    /* A diamond shares a dependency: no cycle. */
    c = load_ok(DEP_CTR("a", "b c") DEP_CTR("b", "d") DEP_CTR("c", "d") PLAIN_CTR("d"));
    ASSERT_EQ(c->containers[0].n_depends_on, 2);
    ASSERT_EQ(c->containers[0].depends_on_idx[0], 1);
    ASSERT_EQ(c->containers[0].depends_on_idx[1], 2);
    ASSERT_EQ(c->containers[1].depends_on_idx[0], 3);
    ASSERT_EQ(c->containers[2].depends_on_idx[0], 3);
    ASSERT_EQ(c->containers[2].depends_on_line, 12);
    config_free(c);

    /* An empty list is no list. */
    c = load_ok(MIN_CTR "depends_on =\n");
    ASSERT(c->containers[0].depends_on == NULL);
    ASSERT_EQ(c->containers[0].n_depends_on, 0);
    config_free(c);
}

static void test_error_restart(void)
{
    static const char *const bad_policy[] = {
        "", "Always", "yes", "on_failure", "on-failure3", "unless_stopped", "no:3", "always:3",
    };
    static const char *const bad_count[] = {
        "on-failure:",
        "on-failure:-1",
        "on-failure:+1",
        "on-failure: 3",
        "on-failure:3x",
        "on-failure:1000001",
        "on-failure:99999999999999999999999",
        "on-failure:0x3",
    };

    expect_only("[supervisor]\nrestart = sometimes\n",
                "2: [supervisor] restart: invalid restart policy 'sometimes' (expected no, "
                "always, on-failure, on-failure:N or unless-stopped)");
    expect_only(MIN_CTR "restart = on-failure:0\n",
                "4: [container web] restart: invalid retry count in 'on-failure:0' (expected "
                "on-failure:N with N from 1 to 1000000, or on-failure for no limit)");
    expect_only("[supervisor]\nrestart = on-failure:x\n",
                "2: [supervisor] restart: invalid retry count in 'on-failure:x' (expected "
                "on-failure:N with N from 1 to 1000000, or on-failure for no limit)");
    for (size_t i = 0; i < ELEMENTSOF(bad_policy); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, MIN_CTR "restart = %s\n", bad_policy[i]) >= 0);
        ASSERT(asprintf(&want, "restart: invalid restart policy '%s'", bad_policy[i]) >= 0);
        expect_error(text, 4, want);
    }
    for (size_t i = 0; i < ELEMENTSOF(bad_count); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, "[supervisor]\nrestart = %s\n", bad_count[i]) >= 0);
        ASSERT(asprintf(&want, "restart: invalid retry count in '%s'", bad_count[i]) >= 0);
        expect_error(text, 2, want);
    }
    expect_only(MIN_CTR "restart = no\nrestart = always\n",
                "5: [container web] restart: duplicate key (first at line 4)");
}

static void test_error_restart_max(void)
{
    static const char *const bad[] = {
        "-1", "x", "1000001", "", "Unlimited", "3.5", "99999999999999999999999", "none", "inf",
    };
    struct corral_config *c;
    struct config_diag d;

    expect_only("[supervisor]\nrestart_max = 0\n",
                "2: [supervisor] restart_max: invalid value '0' (expected a number of restarts "
                "from 1 to 1000000, or unlimited)");
    expect_only(MIN_CTR "restart_max = 0\n",
                "4: [container web] restart_max: invalid value '0' (expected a number of "
                "restarts from 1 to 1000000, or unlimited)");
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, MIN_CTR "restart_max = %s\n", bad[i]) >= 0);
        ASSERT(asprintf(&want, "restart_max: invalid value '%s'", bad[i]) >= 0);
        expect_error(text, 4, want);
    }

    /* on-failure:N is restart_max = N: the two in one section conflict,
     * whichever comes first and whatever restart_max says. */
    expect_only("[supervisor]\nrestart = on-failure:3\nrestart_max = 5\n",
                "3: [supervisor] restart_max: set together with restart = on-failure:3 "
                "(expected one of the two: on-failure:N is restart_max = N)");
    expect_only(MIN_CTR "restart_max = unlimited\nrestart = on-failure:2\n",
                "4: [container web] restart_max: set together with restart = on-failure:2 "
                "(expected one of the two: on-failure:N is restart_max = N)");
    expect_only(MIN_CTR "restart = on-failure:2\nrestart_max = 2\n",
                "5: [container web] restart_max: set together with restart = on-failure:2 "
                "(expected one of the two: on-failure:N is restart_max = N)");
    /* In different sections they do not: the container's restart_max wins. */
    c = load_ok("[supervisor]\nrestart = on-failure:3\n" MIN_CTR "restart_max = 5\n");
    assert_restart(&c->containers[0].restart, RESTART_ON_FAILURE, 5, true);
    config_free(c);

    /* A bad count is not also a conflict; a bad restart_max is still reported. */
    d = load_fail_at(__FILE__, __LINE__, "[supervisor]\nrestart = on-failure:0\nrestart_max = 0\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 2, "[supervisor] restart: invalid retry count in 'on-failure:0'"));
    ASSERT(diag_has(&d, 3, "[supervisor] restart_max: invalid value '0'"));
    config_diag_clear(&d);
}

static void test_error_restart_durations(void)
{
    static const char *const keys[] = {
        "restart_delay",
        "restart_delay_max",
        "restart_reset_after",
        "start_grace",
    };

    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        _cleanup_free_ char *sup = NULL, *sup_want = NULL, *ctr = NULL, *ctr_want = NULL,
                            *empty = NULL;

        ASSERT(asprintf(&sup, "[supervisor]\n%s = soon\n", keys[i]) >= 0);
        ASSERT(asprintf(&sup_want,
                        "2: [supervisor] %s: invalid duration 'soon' (expected e.g. 10s, 500ms, "
                        "2m)",
                        keys[i]) >= 0);
        expect_only(sup, sup_want);
        ASSERT(asprintf(&ctr, MIN_CTR "%s = -1s\n", keys[i]) >= 0);
        ASSERT(asprintf(&ctr_want,
                        "4: [container web] %s: invalid duration '-1s' (expected e.g. 10s, 500ms, "
                        "2m)",
                        keys[i]) >= 0);
        expect_only(ctr, ctr_want);
        ASSERT(asprintf(&empty, MIN_CTR "%s =\n", keys[i]) >= 0);
        expect_error(empty, 4, "invalid duration ''");
    }
}

static void test_error_restart_delay_max(void)
{
    /* Both in one section: reported at restart_delay_max, wherever it is. */
    expect_only("[supervisor]\nrestart_delay = 2s\nrestart_delay_max = 1s\n",
                "3: [supervisor] restart_delay_max: restart_delay_max (1000ms) is below "
                "restart_delay (2000ms) (expected restart_delay <= restart_delay_max)");
    expect_only(MIN_CTR "restart_delay_max = 1s\nrestart_delay = 2s\n",
                "4: [container web] restart_delay_max: restart_delay_max (1000ms) is below "
                "restart_delay (2000ms) (expected restart_delay <= restart_delay_max)");
    /* Only one set: the other is the default, or [supervisor]'s. */
    expect_only("[supervisor]\nrestart_delay = 2m\n",
                "2: [supervisor] restart_delay: restart_delay_max (60000ms) is below "
                "restart_delay (120000ms) (expected restart_delay <= restart_delay_max)");
    expect_only("[supervisor]\nrestart_delay_max = 50ms\n",
                "2: [supervisor] restart_delay_max: restart_delay_max (50ms) is below "
                "restart_delay (100ms) (expected restart_delay <= restart_delay_max)");
    expect_only("[supervisor]\nrestart_delay = 5s\n" MIN_CTR "restart_delay_max = 1s\n",
                "6: [container web] restart_delay_max: restart_delay_max (1000ms) is below "
                "restart_delay (5000ms) (expected restart_delay <= restart_delay_max)");
    expect_only("[supervisor]\nrestart_delay_max = 1s\n" MIN_CTR "restart_delay = 2s\n",
                "6: [container web] restart_delay: restart_delay_max (1000ms) is below "
                "restart_delay (2000ms) (expected restart_delay <= restart_delay_max)");
    /* A bad [supervisor] pair is reported once, not again per container. */
    expect_only("[supervisor]\nrestart_delay = 2m\n" MIN_CTR PLAIN_CTR("api"),
                "2: [supervisor] restart_delay: restart_delay_max (60000ms) is below "
                "restart_delay (120000ms) (expected restart_delay <= restart_delay_max)");
}

static void test_error_log(void)
{
    expect_only("[supervisor]\nlog_max_size = 1K\n",
                "2: [supervisor] log_max_size: '1K' is too small (expected at least 4K)");
    expect_only(MIN_CTR "log_max_size = 4095\n",
                "4: [container web] log_max_size: '4095' is too small (expected at least 4K)");
    expect_error(MIN_CTR "log_max_size = 0\n", 4, "log_max_size: '0' is too small");
    expect_error(MIN_CTR "log_max_size = 3.99K\n", 4, "log_max_size: '3.99K' is too small");
    expect_only(MIN_CTR "log_max_size = lots\n",
                "4: [container web] log_max_size: invalid size 'lots' (expected e.g. 256M, 1G, "
                "512K)");
    expect_error(MIN_CTR "log_max_size =\n", 4, "log_max_size: invalid size ''");
    expect_error(MIN_CTR "log_max_size = -1\n", 4, "log_max_size: invalid size '-1'");
    expect_error(MIN_CTR "log_max_size = 99999999T\n", 4, "log_max_size: invalid size '99999999T'");

    expect_only("[supervisor]\nlog_max_files = 0\n",
                "2: [supervisor] log_max_files: '0' out of range (expected 1 to 1000, the "
                "current file included)");
    expect_only(MIN_CTR "log_max_files = 1001\n",
                "4: [container web] log_max_files: '1001' out of range (expected 1 to 1000, the "
                "current file included)");
    expect_only(MIN_CTR "log_max_files = x\n",
                "4: [container web] log_max_files: invalid integer 'x' (expected a whole number "
                "from 1 to 1000, the current file included)");
    expect_error(MIN_CTR "log_max_files = -1\n", 4, "log_max_files: invalid integer '-1'");
    expect_error(MIN_CTR "log_max_files =\n", 4, "log_max_files: invalid integer ''");
    expect_error(MIN_CTR "log_max_files = 99999999999999999999999\n", 4,
                 "log_max_files: '99999999999999999999999' out of range");
}

static void test_error_success_exit_codes(void)
{
    static const char *const bad[] = {
        "256", "-1", "x", "1e2", "0x10", "+3", "3.0", "3-5", "3;4", "99999999999999999999",
    };
    _cleanup_free_ char *long_word = repeat('9', 40), *text = NULL, *want = NULL;

    expect_only(MIN_CTR "success_exit_codes = 256\n",
                "4: [container web] success_exit_codes: invalid exit code '256' (expected "
                "numbers from 0 to 255, e.g. 0 3)");
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        _cleanup_free_ char *t = NULL, *w = NULL;
        ASSERT(asprintf(&t, MIN_CTR "success_exit_codes = 0 %s 4\n", bad[i]) >= 0);
        ASSERT(asprintf(&w, "success_exit_codes: invalid exit code '%s'", bad[i]) >= 0);
        expect_error(t, 4, w);
    }
    /* The first bad word is reported, once. */
    expect_only(MIN_CTR "success_exit_codes = 3 x 300\n",
                "4: [container web] success_exit_codes: invalid exit code 'x' (expected "
                "numbers from 0 to 255, e.g. 0 3)");
    /* A word of any length is named in full. */
    ASSERT(asprintf(&text, MIN_CTR "success_exit_codes = %s\n", long_word) >= 0);
    ASSERT(asprintf(&want,
                    "4: [container web] success_exit_codes: invalid exit code '%s' (expected "
                    "numbers from 0 to 255, e.g. 0 3)",
                    long_word) >= 0);
    expect_only(text, want);
}

static void test_error_depends_on(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "depends_on = db\n",
                "4: [container web] depends_on: no container named 'db' (expected names of "
                "[container NAME] sections in this file)");
    expect_only(MIN_CTR "depends_on = web\n",
                "4: [container web] depends_on: 'web' depends on itself");
    /* Itself among others that exist: only that is wrong. */
    expect_only(MIN_CTR "depends_on = db web\n" PLAIN_CTR("db"),
                "4: [container web] depends_on: 'web' depends on itself");
    expect_only(MIN_CTR "depends_on = DB\n",
                "4: [container web] depends_on: invalid container name 'DB' (expected names of "
                "[container NAME] sections, separated by spaces)");
    expect_error(MIN_CTR "depends_on = a/b\n", 4, "depends_on: invalid container name 'a/b'");
    expect_error(MIN_CTR "depends_on = -x\n", 4, "depends_on: invalid container name '-x'");

    /* Every unknown name, each once, in the order written. */
    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "depends_on = db cache db\n");
    ASSERT_EQ(d.n, 2);
    ASSERT_STREQ(d.lines[0], NAME ":4: [container web] depends_on: no container named 'db' "
                                  "(expected names of [container NAME] sections in this file)");
    ASSERT_STREQ(d.lines[1], NAME ":4: [container web] depends_on: no container named 'cache' "
                                  "(expected names of [container NAME] sections in this file)");
    config_diag_clear(&d);

    /* Cycles are named in full, once, at the depends_on that closes them. */
    expect_only(DEP_CTR("a", "b") DEP_CTR("b", "a"),
                "8: [container b] depends_on: dependency cycle: a -> b -> a");
    expect_only(DEP_CTR("a", "b") DEP_CTR("b", "c") DEP_CTR("c", "a"),
                "12: [container c] depends_on: dependency cycle: a -> b -> c -> a");
    expect_only(PLAIN_CTR("x") DEP_CTR("a", "b") DEP_CTR("b", "c") DEP_CTR("c", "b"),
                "15: [container c] depends_on: dependency cycle: b -> c -> b");
    expect_only(DEP_CTR("a", "b b") DEP_CTR("b", "a a"),
                "8: [container b] depends_on: dependency cycle: a -> b -> a");

    /* An unknown name and a cycle: both. */
    d = load_fail_at(__FILE__, __LINE__, DEP_CTR("a", "b nope") DEP_CTR("b", "a"));
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 4, "[container a] depends_on: no container named 'nope'"));
    ASSERT(diag_has(&d, 8, "[container b] depends_on: dependency cycle: a -> b -> a"));
    config_diag_clear(&d);
}

/* ---- per-container network ------------------------------------------------ */

#define NET_CTR(name, keys) "[container " name "]\nrootfs = /r\ncommand = x\n" keys
#define IP_RANGE "expected auto or an address from 10.88.0.1 to 10.88.0.254"

static void test_network_mode_forms(void)
{
    struct corral_config *c = load_ok(NET_CTR("a", "network = bridge\n") NET_CTR(
        "b", "network = none\n") NET_CTR("c", "network = none\nip = auto\n"
                                              "connect =\n"));

    ASSERT(!c->containers[0].network_none);
    ASSERT(c->containers[1].network_none);
    /* The defaults spelled out ask for nothing, so none allows them. */
    ASSERT(c->containers[2].network_none);
    ASSERT_EQ(c->containers[2].ip, 0);
    ASSERT(c->containers[2].connect == NULL);
    ASSERT_EQ(c->containers[2].n_connect, 0);
    config_free(c);
}

static void test_ip_forms(void)
{
    struct corral_config *c;

    c = load_ok(NET_CTR("a", "ip = 10.88.0.2\n") NET_CTR("b", "ip = auto\n")
                    NET_CTR("c", "ip = 10.88.0.254\n"));
    ASSERT_EQ(c->containers[0].ip, IP(10, 88, 0, 2));
    ASSERT_EQ(c->containers[0].ip_line, 4);
    ASSERT_EQ(c->containers[1].ip, 0);
    ASSERT_EQ(c->containers[1].ip_line, 8);
    ASSERT_EQ(c->containers[2].ip, IP(10, 88, 0, 254));
    config_free(c);

    /* Checked against [network] wherever it stands; with the gateway at the
     * top, the first host is free for a container. */
    c = load_ok(NET_CTR("a", "ip = 172.20.0.1\n") NET_CTR(
        "b",
        "ip = 172.20.255.253\n") "[network]\nsubnet = 172.20.0.0/16\ngateway = 172.20.255.254\n");
    ASSERT_EQ(c->containers[0].ip, IP(172, 20, 0, 1));
    ASSERT_EQ(c->containers[1].ip, IP(172, 20, 255, 253));
    config_free(c);

    /* The smallest subnet: /30 has two hosts, one of them the gateway. */
    c = load_ok("[network]\nsubnet = 192.168.7.0/30\n" NET_CTR("a", "ip = 192.168.7.2\n"));
    ASSERT_EQ(c->containers[0].ip, IP(192, 168, 7, 2));
    config_free(c);
}

static void test_mac_forms(void)
{
    struct corral_config *c = load_ok(NET_CTR("a", "mac = 02:42:AC:11:00:02\n") NET_CTR(
        "b", "mac = 00:16:3e:ff:fe:01\n") NET_CTR("c", ""));
    static const uint8_t a[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
    static const uint8_t b[6] = {0x00, 0x16, 0x3e, 0xff, 0xfe, 0x01};
    static const uint8_t zero[6] = {};

    ASSERT(c->containers[0].has_mac);
    ASSERT(memcmp(c->containers[0].mac, a, 6) == 0);
    ASSERT_EQ(c->containers[0].mac_line, 4);
    ASSERT(c->containers[1].has_mac);
    ASSERT(memcmp(c->containers[1].mac, b, 6) == 0);
    ASSERT(!c->containers[2].has_mac);
    ASSERT(memcmp(c->containers[2].mac, zero, 6) == 0);
    ASSERT_EQ(c->containers[2].mac_line, 0);
    config_free(c);
}

#define assert_publish(pub, hp, p, proto_, line_)                                                  \
    do {                                                                                           \
        ASSERT_EQ((pub).host_port, hp);                                                            \
        ASSERT_EQ((pub).port, p);                                                                  \
        ASSERT_EQ((pub).proto, proto_);                                                            \
        ASSERT_EQ((pub).line, line_);                                                              \
    } while (0)

static void test_publish_forms(void)
{
    struct corral_config *c =
        load_ok(NET_CTR("web", "publish = 8080:80\n"
                               "env = A=1\n"
                               "publish = 8443:443/tcp\n"
                               "publish = 5353:53/udp\n"
                               "publish = 5353:53\n"
                               "publish = 1:65535\n"
                               "publish = 00081:081\n") NET_CTR("dns", "publish = 53:53/udp\n"
                                                                       "publish = 53:53/tcp\n"
                                                                       "publish = 8081:80/udp\n"));
    const struct container_spec *w = &c->containers[0], *d = &c->containers[1];

    /* In file order; the same host port under the other protocol is another
     * port, in one container or across two. */
    ASSERT_EQ(w->n_publish, 6);
    assert_publish(w->publish[0], 8080, 80, IPPROTO_TCP, 4);
    assert_publish(w->publish[1], 8443, 443, IPPROTO_TCP, 6);
    assert_publish(w->publish[2], 5353, 53, IPPROTO_UDP, 7);
    assert_publish(w->publish[3], 5353, 53, IPPROTO_TCP, 8);
    assert_publish(w->publish[4], 1, 65535, IPPROTO_TCP, 9);
    assert_publish(w->publish[5], 81, 81, IPPROTO_TCP, 10);
    ASSERT_EQ(d->n_publish, 3);
    assert_publish(d->publish[0], 53, 53, IPPROTO_UDP, 14);
    assert_publish(d->publish[1], 53, 53, IPPROTO_TCP, 15);
    assert_publish(d->publish[2], 8081, 80, IPPROTO_UDP, 16);
    config_free(c);

    c = load_ok(MIN_CTR);
    ASSERT(c->containers[0].publish == NULL);
    ASSERT_EQ(c->containers[0].n_publish, 0);
    config_free(c);
}

static void test_connect_forms(void)
{
    static const char *const lists[] = {
        "db cache", "db,cache", "db, cache", "db\tcache", "db cache db db", "db cache cache, db",
    };
    struct corral_config *c;

    for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
        _cleanup_free_ char *text = NULL;
        const struct container_spec *w;

        ASSERT(asprintf(&text,
                        PLAIN_CTR("cache") "[container web]\nrootfs = /r\ncommand = x\n"
                                           "connect = %s\n" PLAIN_CTR("db"),
                        lists[i]) >= 0);
        c = load_ok(text);
        w = &c->containers[1];
        assert_argv(w->connect, "db", "cache", NULL);
        ASSERT_EQ(w->n_connect, 2);
        ASSERT_EQ(w->connect_idx[0], 2);
        ASSERT_EQ(w->connect_idx[1], 0);
        ASSERT_EQ(w->connect_line, 7);
        ASSERT(c->containers[0].connect == NULL);
        ASSERT(c->containers[0].connect_idx == NULL);
        ASSERT_EQ(c->containers[0].n_connect, 0);
        config_free(c);
    }

    /* Both directions may be listed, and connect is no dependency: a loop
     * is fine. An empty list is no list. */
    c = load_ok(NET_CTR("a", "connect = b\n") NET_CTR("b", "connect = a\n")
                    NET_CTR("c", "connect =\n"));
    ASSERT_EQ(c->containers[0].connect_idx[0], 1);
    ASSERT_EQ(c->containers[1].connect_idx[0], 0);
    ASSERT(c->containers[2].connect == NULL);
    config_free(c);
}

static void test_error_network_mode(void)
{
    expect_only(
        MIN_CTR "network = host\n",
        "4: [container web] network: invalid network mode 'host' (expected bridge or none)");
    expect_only(MIN_CTR "network = Bridge\n", "4: [container web] network: invalid network mode "
                                              "'Bridge' (expected bridge or none)");
    expect_only(MIN_CTR "network =\n",
                "4: [container web] network: invalid network mode '' (expected bridge or none)");
}

static void test_error_network_none(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "network = none\nip = 10.88.0.5\n",
                "5: [container web] ip: needs network = bridge (network = none at line 4)");
    /* The key may come before network. */
    expect_only(MIN_CTR "mac = 02:00:00:00:00:01\nnetwork = none\n",
                "4: [container web] mac: needs network = bridge (network = none at line 5)");
    expect_only(MIN_CTR "network = none\nconnect = db\n" PLAIN_CTR("db"),
                "5: [container web] connect: needs network = bridge (network = none at line 4)");
    /* Even values that would be wrong anyway: the mode is the problem. */
    expect_only(MIN_CTR "network = none\nip = bogus\n",
                "5: [container web] ip: needs network = bridge (network = none at line 4)");

    d = load_fail_at(__FILE__, __LINE__,
                     MIN_CTR "network = none\npublish = 80:80\npublish = 81:81\n");
    ASSERT_EQ(d.n, 2);
    ASSERT_STREQ(d.lines[0], NAME ":5: [container web] publish: needs network = bridge "
                                  "(network = none at line 4)");
    ASSERT_STREQ(d.lines[1], NAME ":6: [container web] publish: needs network = bridge "
                                  "(network = none at line 4)");
    config_diag_clear(&d);
}

static void test_error_ip(void)
{
    static const char *const invalid[] = {
        "10.88.0", "10.88.0.256", "10.88.0.05", "10.88.0.5/24", "10.88.0.5 x", "AUTO",
        "",        "::1",         "10.88.0.-1", "0x0a.88.0.5",  "10.88.0.5.1", "10.88..5",
    };

    for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, MIN_CTR "ip = %s\n", invalid[i]) >= 0);
        ASSERT(asprintf(&want,
                        "4: [container web] ip: invalid IPv4 address '%s' (expected auto or an "
                        "address like 10.88.0.5)",
                        invalid[i]) >= 0);
        expect_only(text, want);
    }

    expect_only(MIN_CTR "ip = 10.89.0.5\n",
                "4: [container web] ip: 10.89.0.5 is outside 10.88.0.0/24 (" IP_RANGE ")");
    expect_only(MIN_CTR "ip = 10.88.0.0\n", "4: [container web] ip: 10.88.0.0 is the network "
                                            "address of 10.88.0.0/24 (" IP_RANGE ")");
    expect_only(MIN_CTR "ip = 10.88.0.255\n", "4: [container web] ip: 10.88.0.255 is the "
                                              "broadcast address of 10.88.0.0/24 (" IP_RANGE ")");
    expect_only(MIN_CTR "ip = 10.88.0.1\n",
                "4: [container web] ip: 10.88.0.1 is the gateway's address (expected auto or "
                "another address from 10.88.0.1 to 10.88.0.254)");
    /* Against the [network] in the file, even below the container. */
    expect_only(MIN_CTR "ip = 10.88.0.5\n[network]\nsubnet = 192.168.1.0/24\n",
                "4: [container web] ip: 10.88.0.5 is outside 192.168.1.0/24 (expected auto or "
                "an address from 192.168.1.1 to 192.168.1.254)");
    expect_only("[network]\ngateway = 10.88.0.9\n" MIN_CTR "ip = 10.88.0.9\n",
                "6: [container web] ip: 10.88.0.9 is the gateway's address (expected auto or "
                "another address from 10.88.0.1 to 10.88.0.254)");
    /* A broken subnet is reported once; nothing is checked against it. */
    expect_only("[network]\nsubnet = 10.0.0.0/31\n" MIN_CTR "ip = 10.88.0.5\n",
                "2: [network] subnet: prefix length /31 out of range (expected /8 to /30)");
}

static void test_error_ip_duplicate(void)
{
    struct config_diag d;

    expect_only(NET_CTR("db", "ip = 10.88.0.5\n") NET_CTR("web", "ip = 10.88.0.5\n"),
                "8: [container web] ip: 10.88.0.5 is already the address of container 'db' "
                "(line 4)");
    /* A third on the same address names the first; auto never clashes. */
    d = load_fail_at(__FILE__, __LINE__,
                     NET_CTR("db", "\nip = 10.88.0.5\n") NET_CTR("a", "ip = auto\n")
                         NET_CTR("web", "ip = 10.88.0.5\n") NET_CTR("x", "ip = 10.88.0.5\n"));
    ASSERT_EQ(d.n, 2);
    ASSERT_STREQ(d.lines[0], NAME ":13: [container web] ip: 10.88.0.5 is already the address "
                                  "of container 'db' (line 5)");
    ASSERT_STREQ(d.lines[1], NAME ":17: [container x] ip: 10.88.0.5 is already the address "
                                  "of container 'db' (line 5)");
    config_diag_clear(&d);
}

static void test_error_mac(void)
{
    static const char *const invalid[] = {
        "02:42:ac:11:00",
        "02:42:ac:11:00:02:03",
        "2:42:ac:11:00:02",
        "02-42-ac-11-00-02",
        "0242.ac11.0002",
        "02:42:ac:11:00:0g",
        "",
        "02:42:ac:11:00:002",
        "02:42:ac:11:00:02:",
        " 02:42:ac:11:00:02x",
    };

    for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, MIN_CTR "mac = %s\n", invalid[i]) >= 0);
        ASSERT(asprintf(&want,
                        "4: [container web] mac: invalid MAC address '%s' (expected six pairs of "
                        "hex digits separated by ':', e.g. 02:42:ac:11:00:02)",
                        /* inih strips the value's surrounding space */
                        invalid[i][0] == ' ' ? invalid[i] + 1 : invalid[i]) >= 0);
        expect_only(text, want);
    }
    expect_only(MIN_CTR "mac = 01:00:5e:00:00:01\n",
                "4: [container web] mac: 01:00:5e:00:00:01 is a multicast address (expected a "
                "unicast MAC: an even first octet, e.g. 02:42:ac:11:00:02)");
    expect_only(MIN_CTR "mac = FF:FF:FF:FF:FF:FF\n",
                "4: [container web] mac: FF:FF:FF:FF:FF:FF is a multicast address (expected a "
                "unicast MAC: an even first octet, e.g. 02:42:ac:11:00:02)");
    expect_only(MIN_CTR "mac = 00:00:00:00:00:00\n",
                "4: [container web] mac: 00:00:00:00:00:00 is not a usable address (expected a "
                "unicast MAC other than all zeros, e.g. 02:42:ac:11:00:02)");
    /* Duplicates compare the address, not its spelling. */
    expect_only(NET_CTR("db", "mac = 02:42:ac:11:00:0a\n")
                    NET_CTR("web", "mac = 02:42:AC:11:00:0A\n"),
                "8: [container web] mac: 02:42:ac:11:00:0a is already the MAC address of "
                "container 'db' (line 4)");
}

static void test_error_publish(void)
{
    static const char *const invalid[] = {
        "8080",  "8080:",  ":80",      "8080:80/", "a:80",      "8080:b",    "8080:80:80",
        "-1:80", "+80:80", "8080 :80", "",         "123456:80", "80:123456", "0x50:80",
    };
    struct config_diag d;

    for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;
        ASSERT(asprintf(&text, MIN_CTR "publish = %s\n", invalid[i]) >= 0);
        ASSERT(asprintf(&want,
                        "4: [container web] publish: invalid port mapping '%s' (expected "
                        "HOSTPORT:PORT, HOSTPORT:PORT/tcp or HOSTPORT:PORT/udp, e.g. 8080:80)",
                        invalid[i]) >= 0);
        expect_only(text, want);
    }
    expect_only(MIN_CTR "publish = 0:80\n", "4: [container web] publish: port 0 out of range in "
                                            "'0:80' (expected ports from 1 to 65535)");
    expect_only(MIN_CTR "publish = 8080:65536\n",
                "4: [container web] publish: port 65536 out of range in '8080:65536' (expected "
                "ports from 1 to 65535)");
    expect_only(MIN_CTR "publish = 8080:00000/udp\n",
                "4: [container web] publish: port 00000 out of range in '8080:00000/udp' "
                "(expected ports from 1 to 65535)");
    expect_only(MIN_CTR "publish = 8080:80/sctp\n",
                "4: [container web] publish: unknown protocol 'sctp' in '8080:80/sctp' (expected "
                "tcp or udp)");
    expect_only(MIN_CTR "publish = 8080:80/TCP\n",
                "4: [container web] publish: unknown protocol 'TCP' in '8080:80/TCP' (expected "
                "tcp or udp)");

    /* One host port per protocol in the whole file, whoever publishes it. */
    expect_only(NET_CTR("db", "publish = 8080:5432\n") NET_CTR("web", "publish = 8080:80/tcp\n"),
                "8: [container web] publish: host port 8080/tcp is already published by "
                "container 'db' (line 4)");
    expect_only(MIN_CTR "publish = 53:53/udp\npublish = 53:5353/udp\n",
                "5: [container web] publish: host port 53/udp is already published by "
                "container 'web' (line 4)");
    d = load_fail_at(__FILE__, __LINE__,
                     NET_CTR("a", "publish = 80:80\npublish = 81:81\n")
                         NET_CTR("b", "publish = 81:80\npublish = 80:80\npublish = 82:80\n"));
    ASSERT_EQ(d.n, 2);
    ASSERT_STREQ(d.lines[0], NAME ":9: [container b] publish: host port 81/tcp is already "
                                  "published by container 'a' (line 5)");
    ASSERT_STREQ(d.lines[1], NAME ":10: [container b] publish: host port 80/tcp is already "
                                  "published by container 'a' (line 4)");
    config_diag_clear(&d);
}

static void test_error_connect(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "connect = db\n", "4: [container web] connect: no container named 'db' "
                                          "(expected names of [container NAME] sections in this "
                                          "file)");
    expect_only(MIN_CTR "connect = web\n", "4: [container web] connect: 'web' connects to itself "
                                           "(expected other containers)");
    expect_only(MIN_CTR "connect = DB\n",
                "4: [container web] connect: invalid container name 'DB' (expected names of "
                "[container NAME] sections, separated by spaces)");
    expect_only(MIN_CTR "connect = db\n" NET_CTR("db", "network = none\n"),
                "4: [container web] connect: container 'db' has network = none (expected "
                "containers with network = bridge)");

    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "connect = db cache db\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 4, "connect: no container named 'db'"));
    ASSERT(diag_has(&d, 4, "connect: no container named 'cache'"));
    config_diag_clear(&d);
}

/* ---- security ------------------------------------------------------------ */

#define CAP(x) (1ULL << CAP_##x)
#define CAP_LIST_EXPECTED                                                                          \
    "(expected capability names like net_admin or CAP_NET_ADMIN, or ALL, separated by spaces; "    \
    "see capabilities(7))"
#define RLIMIT_EXPECTED                                                                            \
    "(expected SOFT or SOFT:HARD, each a whole number or unlimited, e.g. 1024:4096)"

/* What ALL means: every capability the running kernel has. */
static uint64_t all_caps(void)
{
    int n = cap_max_bits();

    ASSERT(n > CAP_SETFCAP && n <= 64);
    return n == 64 ? UINT64_MAX : (1ULL << n) - 1;
}

/* " chown dac_override ...": libcap's names without "cap_", by number. */
static char *cap_names(uint64_t bits)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ASSERT(f);
    for (int cap = 0; cap < 64; cap++)
        if (bits & (1ULL << cap)) {
            char *name = cap_to_name(cap);
            ASSERT(name);
            fprintf(f, " %s", strncmp(name, "cap_", 4) == 0 ? name + 4 : name);
            cap_free(name);
        }
    ASSERT(fclose(f) == 0);
    return buf;
}

static void test_cap_forms(void)
{
    const uint64_t def = CONFIG_DEFAULT_CAPS;
    const struct {
        const char *keys;
        uint64_t caps;
    } cases[] = {
        /* Any case, with or without CAP_, spaces and/or commas. */
        {"cap_add = net_admin", def | CAP(NET_ADMIN)},
        {"cap_add = NET_ADMIN", def | CAP(NET_ADMIN)},
        {"cap_add = CAP_NET_ADMIN", def | CAP(NET_ADMIN)},
        {"cap_add = Cap_Net_Admin", def | CAP(NET_ADMIN)},
        {"cap_add = net_admin, SYS_TIME\tcap_sys_ptrace,,",
         def | CAP(NET_ADMIN) | CAP(SYS_TIME) | CAP(SYS_PTRACE)},
        {"cap_add = net_raw net_raw", def | CAP(NET_RAW)},
        /* The number, for a capability libcap cannot name yet. */
        {"cap_add = 12", def | CAP(NET_ADMIN)},
        {"cap_add = chown", def},
        {"cap_add =", def},
        {"cap_drop = chown,cap_kill SETUID", def & ~(CAP(CHOWN) | CAP(KILL) | CAP(SETUID))},
        {"cap_drop = sys_admin", def},
        {"cap_drop = ALL", 0},
        {"cap_drop = all", 0},
        {"cap_drop = ALL\ncap_add = chown NET_BIND_SERVICE", CAP(CHOWN) | CAP(NET_BIND_SERVICE)},
        {"cap_add = chown\ncap_drop = ALL", CAP(CHOWN)},
        {"cap_drop = chown ALL", 0},
        {"cap_add = ALL", all_caps()},
        {"cap_add = All sys_admin", all_caps()},
        {"cap_add = ALL\ncap_drop = sys_admin, net_raw",
         all_caps() & ~(CAP(SYS_ADMIN) | CAP(NET_RAW))},
        {"cap_drop = mknod chown\ncap_add = net_admin",
         (def & ~(CAP(MKNOD) | CAP(CHOWN))) | CAP(NET_ADMIN)},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;

        ASSERT(asprintf(&text, MIN_CTR "%s\n", cases[i].keys) >= 0);
        c = load_ok(text);
        if (c->containers[0].caps != cases[i].caps) {
            fprintf(stderr, "\"%s\": caps %#" PRIx64 ", expected %#" PRIx64 "\n", cases[i].keys,
                    c->containers[0].caps, cases[i].caps);
            exit(1);
        }
        /* The first of the two keys, whichever it is. */
        ASSERT_EQ(c->containers[0].caps_line, 4);
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_error_cap_unknown(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "cap_add = net_admin bogus\n",
                "4: [container web] cap_add: unknown capability 'bogus' " CAP_LIST_EXPECTED);
    expect_only(MIN_CTR "cap_drop = CAP_BOGUS\n",
                "4: [container web] cap_drop: unknown capability 'CAP_BOGUS' " CAP_LIST_EXPECTED);
    /* libcap would take the name up to the first odd character: these
     * are not chown. */
    expect_error(MIN_CTR "cap_add = chown2\n", 4, "unknown capability 'chown2'");
    expect_error(MIN_CTR "cap_add = chown-x\n", 4, "unknown capability 'chown-x'");
    expect_error(MIN_CTR "cap_add = cap_\n", 4, "unknown capability 'cap_'");
    expect_error(MIN_CTR "cap_add = cap_all\n", 4, "unknown capability 'cap_all'");
    expect_error(MIN_CTR "cap_add = 0x10\n", 4, "unknown capability '0x10'");
    expect_error(MIN_CTR "cap_add = 64\n", 4, "unknown capability '64'");
    expect_error(MIN_CTR "cap_add = 99999999999999999999999\n", 4,
                 "unknown capability '99999999999999999999999'");
    expect_error(MIN_CTR "cap_add = net_admin;x\n", 4, "unknown capability 'net_admin;x'");
    /* A number libcap accepts but the kernel has no capability for. */
    expect_error(MIN_CTR "cap_add = 63\n", 4,
                 "cap_add: capability '63' is not known to the running kernel (expected one "
                 "from chown to ");

    /* Every unknown name, in both keys. */
    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "cap_add = foo net_admin bar\ncap_drop = baz\n");
    ASSERT_EQ(d.n, 3);
    ASSERT(diag_has(&d, 4, "cap_add: unknown capability 'foo'"));
    ASSERT(diag_has(&d, 4, "cap_add: unknown capability 'bar'"));
    ASSERT(diag_has(&d, 5, "cap_drop: unknown capability 'baz'"));
    config_diag_clear(&d);

    /* Per container only; twice is a duplicate. */
    expect_error("[supervisor]\ncap_add = net_admin\n", 2,
                 "[supervisor] cap_add: unknown key (expected one of: ");
    expect_only(MIN_CTR "cap_drop = chown\ncap_drop = kill\n",
                "5: [container web] cap_drop: duplicate key (first at line 4)");
}

static void test_error_cap_add_and_drop(void)
{
    struct config_diag d;

    /* Reported on the later key, naming the earlier. */
    expect_only(MIN_CTR "cap_add = net_admin\ncap_drop = CAP_NET_ADMIN\n",
                "5: [container web] cap_drop: 'net_admin' is also in cap_add (line 4) (expected "
                "each capability in only one of cap_add and cap_drop)");
    expect_only(MIN_CTR "cap_drop = chown\nhostname = h\ncap_add = CHOWN\n",
                "6: [container web] cap_add: 'chown' is also in cap_drop (line 4) (expected "
                "each capability in only one of cap_add and cap_drop)");
    expect_only(MIN_CTR "cap_add = ALL\ncap_drop = all\n",
                "5: [container web] cap_drop: ALL is also in cap_add (line 4) (expected ALL in "
                "only one of cap_add and cap_drop)");

    /* Each one. */
    d = load_fail_at(__FILE__, __LINE__,
                     MIN_CTR "cap_add = sys_time kill net_admin\ncap_drop = net_admin sys_time\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 5, "cap_drop: 'sys_time' is also in cap_add (line 4)"));
    ASSERT(diag_has(&d, 5, "cap_drop: 'net_admin' is also in cap_add (line 4)"));
    config_diag_clear(&d);
}

static void test_seccomp_forms(void)
{
    struct corral_config *c = load_ok(NET_CTR("a", "seccomp = default\n")            /* 1 */
                                      NET_CTR("b", "seccomp = unconfined\n")         /* 5 */
                                      NET_CTR("c", "seccomp = /etc/corral/p.json\n") /* 9 */
                                      NET_CTR("d", "seccomp = profiles/web.json\n")
                                          NET_CTR("e", "seccomp = ./x/../p.json\n")
                                              NET_CTR("f", "seccomp = ./default\n"));

    ASSERT_EQ(c->containers[0].seccomp, SECCOMP_DEFAULT);
    ASSERT(c->containers[0].seccomp_file == NULL);
    ASSERT_EQ(c->containers[0].seccomp_line, 4);
    ASSERT_EQ(c->containers[1].seccomp, SECCOMP_UNCONFINED);
    ASSERT(c->containers[1].seccomp_file == NULL);
    ASSERT_EQ(c->containers[1].seccomp_line, 8);
    ASSERT_EQ(c->containers[2].seccomp, SECCOMP_FILE);
    ASSERT_STREQ(c->containers[2].seccomp_file, "/etc/corral/p.json");
    ASSERT_EQ(c->containers[2].seccomp_line, 12);
    /* Relative to the INI's directory, as rootfs is; ".." is kept. */
    ASSERT_STREQ(c->containers[3].seccomp_file, "/etc/corral/profiles/web.json");
    ASSERT_STREQ(c->containers[4].seccomp_file, "/etc/corral/x/../p.json");
    /* A profile called "default" is spelled as a path. */
    ASSERT_EQ(c->containers[5].seccomp, SECCOMP_FILE);
    ASSERT_STREQ(c->containers[5].seccomp_file, "/etc/corral/default");
    assert_round_trip(c);
    config_free(c);

    /* The parser only names the file: it need not exist to load. */
    c = load_ok_name("/nonexistent/corral.ini", MIN_CTR "seccomp = nothing-here.json\n");
    ASSERT_STREQ(c->containers[0].seccomp_file, "/nonexistent/nothing-here.json");
    config_free(c);
}

static void test_error_seccomp(void)
{
    expect_only(MIN_CTR "seccomp =\n",
                "4: [container web] seccomp: empty value (expected default, unconfined or the "
                "path of a JSON profile)");
    expect_only(MIN_CTR "seccomp = default\nseccomp = unconfined\n",
                "5: [container web] seccomp: duplicate key (first at line 4)");
    expect_error("[supervisor]\nseccomp = unconfined\n", 2, "[supervisor] seccomp: unknown key");
}

static void test_security_flags(void)
{
    const struct {
        const char *keys;
        bool nnp, mask, ro;
    } cases[] = {
        {"", true, true, false},
        {"no_new_privileges = no", false, true, false},
        {"no_new_privileges = yes", true, true, false},
        {"mask_paths = false", true, false, false},
        {"mask_paths = ON", true, true, false},
        {"readonly_rootfs = yes", true, true, true},
        {"readonly_rootfs = 0", true, true, false},
        {"no_new_privileges = off\nmask_paths = 0\nreadonly_rootfs = true", false, false, true},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;

        ASSERT(asprintf(&text, MIN_CTR "%s\n", cases[i].keys) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->containers[0].no_new_privileges, cases[i].nnp);
        ASSERT_EQ(c->containers[0].mask_paths, cases[i].mask);
        ASSERT_EQ(c->containers[0].readonly_rootfs, cases[i].ro);
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_error_security_flags(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "no_new_privileges = maybe\n",
                "4: [container web] no_new_privileges: invalid boolean 'maybe' (expected "
                "yes/no, true/false, on/off or 1/0)");
    expect_only(MIN_CTR "mask_paths =\n", "4: [container web] mask_paths: invalid boolean '' "
                                          "(expected yes/no, true/false, on/off or 1/0)");
    expect_only(MIN_CTR "readonly_rootfs = ro\n",
                "4: [container web] readonly_rootfs: invalid boolean 'ro' (expected yes/no, "
                "true/false, on/off or 1/0)");
    d = load_fail_at(__FILE__, __LINE__,
                     MIN_CTR "no_new_privileges = 2\nmask_paths = y\nreadonly_rootfs = n\n");
    ASSERT_EQ(d.n, 3);
    ASSERT(diag_has(&d, 4, "no_new_privileges: invalid boolean '2'"));
    ASSERT(diag_has(&d, 5, "mask_paths: invalid boolean 'y'"));
    ASSERT(diag_has(&d, 6, "readonly_rootfs: invalid boolean 'n'"));
    config_diag_clear(&d);
}

static void test_rlimit_forms(void)
{
    static const struct {
        const char *name;
        int resource;
    } names[] = {
        {"as", RLIMIT_AS},
        {"core", RLIMIT_CORE},
        {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},
        {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE},
        {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},
        {"nproc", RLIMIT_NPROC},
        {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},
        {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
    };
    static const struct {
        const char *value;
        uint64_t soft, hard;
    } values[] = {
        {"1024", 1024, 1024},
        {"1024:4096", 1024, 4096},
        {"0", 0, 0},
        {"0:0", 0, 0},
        {"007:08", 7, 8},
        {"unlimited", RLIM_INFINITY, RLIM_INFINITY},
        {"0:unlimited", 0, RLIM_INFINITY},
        {"unlimited:unlimited", RLIM_INFINITY, RLIM_INFINITY},
        {"18446744073709551614", UINT64_MAX - 1, UINT64_MAX - 1},
        {"18446744073709551615", RLIM_INFINITY, RLIM_INFINITY},
    };
    _cleanup_free_ char *all = NULL;
    struct corral_config *c;
    size_t len = 0;
    FILE *f;

    ASSERT(RLIM_INFINITY == UINT64_MAX);
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        for (size_t k = 0; k < ELEMENTSOF(values); k++) {
            _cleanup_free_ char *text = NULL;
            const struct rlimit_spec *rl;

            ASSERT(asprintf(&text, MIN_CTR "rlimit_%s = %s\n", names[i].name, values[k].value) >=
                   0);
            c = load_ok(text);
            ASSERT_EQ(c->containers[0].n_rlimits, 1);
            rl = &c->containers[0].rlimits[0];
            ASSERT_EQ(rl->resource, names[i].resource);
            ASSERT_EQ_U(rl->soft, values[k].soft);
            ASSERT_EQ_U(rl->hard, values[k].hard);
            assert_round_trip(c);
            config_free(c);
        }

    /* All at once, in reverse: kept one per resource, in the keys' order. */
    f = open_memstream(&all, &len);
    ASSERT(f);
    fputs(MIN_CTR, f);
    for (size_t i = ELEMENTSOF(names); i-- > 0;)
        fprintf(f, "rlimit_%s = %zu:%zu\n", names[i].name, i, i + 1);
    ASSERT(fclose(f) == 0);
    c = load_ok(all);
    ASSERT_EQ(c->containers[0].n_rlimits, ELEMENTSOF(names));
    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        ASSERT_EQ(c->containers[0].rlimits[i].resource, names[i].resource);
        ASSERT_EQ_U(c->containers[0].rlimits[i].soft, i);
        ASSERT_EQ_U(c->containers[0].rlimits[i].hard, i + 1);
    }
    assert_round_trip(c);
    config_free(c);
}

static void test_error_rlimit(void)
{
    static const struct {
        const char *value, *msg;
    } cases[] = {
        {"", "invalid soft limit '' in '' " RLIMIT_EXPECTED},
        {"abc", "invalid soft limit 'abc' in 'abc' " RLIMIT_EXPECTED},
        {"-1", "invalid soft limit '-1' in '-1' " RLIMIT_EXPECTED},
        {"+1", "invalid soft limit '+1' in '+1' " RLIMIT_EXPECTED},
        {"1.5", "invalid soft limit '1.5' in '1.5' " RLIMIT_EXPECTED},
        {"64M", "invalid soft limit '64M' in '64M' " RLIMIT_EXPECTED},
        {"infinity", "invalid soft limit 'infinity' in 'infinity' " RLIMIT_EXPECTED},
        {"Unlimited", "invalid soft limit 'Unlimited' in 'Unlimited' " RLIMIT_EXPECTED},
        {"1024 4096", "invalid soft limit '1024 4096' in '1024 4096' " RLIMIT_EXPECTED},
        {":5", "invalid soft limit '' in ':5' " RLIMIT_EXPECTED},
        {"5:", "invalid hard limit '' in '5:' " RLIMIT_EXPECTED},
        {"1:2:3", "invalid hard limit '2:3' in '1:2:3' " RLIMIT_EXPECTED},
        {"1: 2", "invalid hard limit ' 2' in '1: 2' " RLIMIT_EXPECTED},
        {"18446744073709551616", "soft limit '18446744073709551616' is too large (expected at most "
                                 "18446744073709551615, or unlimited)"},
        {"1:99999999999999999999999999999999999999",
         "hard limit '99999999999999999999999999999999999999' is too large (expected at most "
         "18446744073709551615, or unlimited)"},
        {"4096:1024", "soft limit 4096 is above the hard limit 1024 (expected SOFT <= HARD)"},
        {"unlimited:1024",
         "soft limit unlimited is above the hard limit 1024 (expected SOFT <= HARD)"},
    };
    struct config_diag d;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;

        ASSERT(asprintf(&text, MIN_CTR "rlimit_nofile = %s\n", cases[i].value) >= 0);
        ASSERT(asprintf(&want, "4: [container web] rlimit_nofile: %s", cases[i].msg) >= 0);
        expect_only(text, want);
    }

    /* Both halves, and every key. */
    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "rlimit_core = a:b\nrlimit_cpu = 2:1\n");
    ASSERT_EQ(d.n, 3);
    ASSERT(diag_has(&d, 4, "rlimit_core: invalid soft limit 'a' in 'a:b'"));
    ASSERT(diag_has(&d, 4, "rlimit_core: invalid hard limit 'b' in 'a:b'"));
    ASSERT(diag_has(&d, 5, "rlimit_cpu: soft limit 2 is above the hard limit 1"));
    config_diag_clear(&d);

    expect_only(MIN_CTR "rlimit_nofile = 1\nrlimit_nofile = 2\n",
                "5: [container web] rlimit_nofile: duplicate key (first at line 4)");
}

static void test_error_rlimit_unknown(void)
{
#define RLIMIT_NAMES                                                                               \
    "(expected rlimit_ followed by one of: as, core, cpu, data, fsize, locks, memlock, "           \
    "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)"
    expect_only(MIN_CTR "rlimit_files = 1\n",
                "4: [container web] rlimit_files: unknown resource limit " RLIMIT_NAMES);
    /* Key names are exact, as everywhere. */
    expect_only(MIN_CTR "rlimit_NOFILE = 1\n",
                "4: [container web] rlimit_NOFILE: unknown resource limit " RLIMIT_NAMES);
    expect_only(MIN_CTR "rlimit_ = 1\n",
                "4: [container web] rlimit_: unknown resource limit " RLIMIT_NAMES);
    expect_only(MIN_CTR "rlimit_rtprio_x = 1\n",
                "4: [container web] rlimit_rtprio_x: unknown resource limit " RLIMIT_NAMES);
    /* Not a limit: the ordinary list, with rlimit_NAME standing for them. */
    expect_error(MIN_CTR "rlimit = 1\n", 4,
                 "rlimit: unknown key (expected one of: rootfs, image, ");
    expect_error(MIN_CTR "rlimit = 1\n", 4,
                 "readonly_rootfs, rlimit_NAME, userns, uid_map, gid_map)");
    /* Per container only. */
    expect_only("[supervisor]\nrlimit_nofile = 1\n",
                "2: [supervisor] rlimit_nofile: unknown key (expected one of: " SUP_KEYS ")");
#undef RLIMIT_NAMES
}

static void test_error_security_all_reported(void)
{
    struct config_diag d = load_fail_at(__FILE__, __LINE__,
                                        MIN_CTR "cap_add = nope\n"     /* 4 */
                                                "seccomp =\n"          /* 5 */
                                                "mask_paths = sure\n"  /* 6 */
                                                "rlimit_stack = x\n"   /* 7 */
                                                "rlimit_bogus = 1\n"   /* 8 */
                                                "cap_drop = nope2\n"); /* 9 */

    if (d.n != 6)
        print_diag(&d);
    ASSERT_EQ(d.n, 6);
    ASSERT(diag_has(&d, 4, "cap_add: unknown capability 'nope'"));
    ASSERT(diag_has(&d, 5, "seccomp: empty value"));
    ASSERT(diag_has(&d, 6, "mask_paths: invalid boolean 'sure'"));
    ASSERT(diag_has(&d, 7, "rlimit_stack: invalid soft limit 'x'"));
    ASSERT(diag_has(&d, 8, "rlimit_bogus: unknown resource limit"));
    ASSERT(diag_has(&d, 9, "cap_drop: unknown capability 'nope2'"));
    config_diag_clear(&d);
}

/* ---- user namespaces ----------------------------------------------------- */

#define POOL_EXPECTED "(expected START:COUNT, e.g. 100000:6553600)"
#define USERNS_EXPECTED "(expected no, yes or HOSTID:COUNT, e.g. 1000000:65536)"

static void test_userns_pool_forms(void)
{
    static const struct {
        const char *value;
        uint32_t start, count;
    } cases[] = {
        {"100000:6553600", 100000, 6553600},
        {"1:65536", 1, 65536},
        {"0200000:0131072", 200000, 131072},
        /* Ends at 4294967294, the last id the kernel takes. */
        {"4294901759:65536", 4294901759u, 65536},
        {"1:4294901760", 1, 4294901760u},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        struct corral_config *c;

        ASSERT(asprintf(&text, "[supervisor]\nstop_timeout = 1s\nuserns_pool = %s\n",
                        cases[i].value) >= 0);
        c = load_ok(text);
        ASSERT_EQ_U(c->sup.userns_pool_start, cases[i].start);
        ASSERT_EQ_U(c->sup.userns_pool_count, cases[i].count);
        ASSERT_EQ(c->sup.userns_pool_line, 3);
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_error_userns_pool(void)
{
    static const struct {
        const char *value, *msg;
    } cases[] = {
        {"", "invalid value '' " POOL_EXPECTED},
        {"100000", "invalid value '100000' " POOL_EXPECTED},
        {"yes", "invalid value 'yes' " POOL_EXPECTED},
        {":65536", "invalid START '' in ':65536' " POOL_EXPECTED},
        {"x:65536", "invalid START 'x' in 'x:65536' " POOL_EXPECTED},
        {"-1:65536", "invalid START '-1' in '-1:65536' " POOL_EXPECTED},
        {"100000:", "invalid COUNT '' in '100000:' " POOL_EXPECTED},
        {"100000:64K", "invalid COUNT '64K' in '100000:64K' " POOL_EXPECTED},
        {"100000: 65536", "invalid COUNT ' 65536' in '100000: 65536' " POOL_EXPECTED},
        {"1:2:3", "invalid COUNT '2:3' in '1:2:3' " POOL_EXPECTED},
        {"0:65536", "START must be at least 1, not 0: id 0 is the host's root " POOL_EXPECTED},
        {"100000:0", "COUNT must be a positive multiple of 65536, not 0 (expected e.g. 6553600 "
                     "for 100 ranges)"},
        {"100000:100000", "COUNT must be a multiple of 65536, not 100000 (expected e.g. 6553600 "
                          "for 100 ranges)"},
        {"100000:65535", "COUNT must be a multiple of 65536, not 65535 (expected e.g. 6553600 "
                         "for 100 ranges)"},
        /* One past the last valid id; far past; past any number. */
        {"4294901760:65536", "'4294901760:65536' ends past id 4294967294, the last valid one "
                             "(expected START+COUNT at most 4294967295)"},
        {"1:4294967296", "'1:4294967296' ends past id 4294967294, the last valid one (expected "
                         "START+COUNT at most 4294967295)"},
        {"4294967296:65536", "'4294967296:65536' ends past id 4294967294, the last valid one "
                             "(expected START+COUNT at most 4294967295)"},
        {"99999999999999999999999:65536",
         "'99999999999999999999999:65536' ends past id 4294967294, the last valid one "
         "(expected START+COUNT at most 4294967295)"},
    };
    struct config_diag d;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;

        ASSERT(asprintf(&text, "[supervisor]\nuserns_pool = %s\n", cases[i].value) >= 0);
        ASSERT(asprintf(&want, "2: [supervisor] userns_pool: %s", cases[i].msg) >= 0);
        expect_only(text, want);
    }

    /* Every problem of the value. */
    d = load_fail_at(__FILE__, __LINE__, "[supervisor]\nuserns_pool = 0:1\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 2, "userns_pool: START must be at least 1, not 0"));
    ASSERT(diag_has(&d, 2, "userns_pool: COUNT must be a multiple of 65536, not 1"));
    config_diag_clear(&d);
    d = load_fail_at(__FILE__, __LINE__, "[supervisor]\nuserns_pool = a:b\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 2, "userns_pool: invalid START 'a' in 'a:b'"));
    ASSERT(diag_has(&d, 2, "userns_pool: invalid COUNT 'b' in 'a:b'"));
    config_diag_clear(&d);
    d = load_fail_at(__FILE__, __LINE__, "[supervisor]\nuserns_pool = 4294967295:1\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 2, "userns_pool: COUNT must be a multiple of 65536, not 1"));
    ASSERT(diag_has(&d, 2, "userns_pool: '4294967295:1' ends past id 4294967294"));
    config_diag_clear(&d);

    expect_only("[supervisor]\nuserns_pool = 1:65536\nuserns_pool = 2:65536\n",
                "3: [supervisor] userns_pool: duplicate key (first at line 2)");
    /* The pool is the supervisor's. */
    expect_error(MIN_CTR "userns_pool = 1:65536\n", 4,
                 "[container web] userns_pool: unknown key (expected one of: ");
}

static void test_userns_forms(void)
{
    static const struct {
        const char *value;
        bool enabled, from_pool;
        uint32_t host_start, count;
    } cases[] = {
        /* Booleans as everywhere else. */
        {"no", false, false, 0, 0},
        {"false", false, false, 0, 0},
        {"off", false, false, 0, 0},
        {"0", false, false, 0, 0},
        {"NO", false, false, 0, 0},
        /* A range of the pool, picked at start. */
        {"yes", true, true, 0, 65536},
        {"true", true, true, 0, 65536},
        {"on", true, true, 0, 65536},
        {"1", true, true, 0, 65536},
        {"Yes", true, true, 0, 65536},
        /* The container's own range, outside the default pool. */
        {"1:1", true, false, 1, 1},
        {"1000:1000", true, false, 1000, 1000},
        {"99999:1", true, false, 99999, 1},
        {"6653600:65536", true, false, 6653600, 65536},
        {"007000000:0100", true, false, 7000000, 100},
        {"4294967294:1", true, false, 4294967294u, 1},
        {"6653600:4288313695", true, false, 6653600, 4288313695u},
    };
    struct corral_config *c;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;
        const struct userns_spec *u;

        ASSERT(asprintf(&text, MIN_CTR "userns = %s\n", cases[i].value) >= 0);
        c = load_ok(text);
        u = &c->containers[0].userns;
        if (u->enabled != cases[i].enabled || u->from_pool != cases[i].from_pool ||
            u->host_start != cases[i].host_start || u->count != cases[i].count) {
            fprintf(stderr,
                    "\"%s\": enabled %d, from_pool %d, %" PRIu32 ":%" PRIu32
                    ", expected %d, %d, %" PRIu32 ":%" PRIu32 "\n",
                    cases[i].value, u->enabled, u->from_pool, u->host_start, u->count,
                    cases[i].enabled, cases[i].from_pool, cases[i].host_start, cases[i].count);
            exit(1);
        }
        ASSERT_EQ(u->line, 4);
        assert_round_trip(c);
        config_free(c);
    }

    /* As many pool ranges as the pool has; ranges that touch but share no
     * id; explicit ranges around a pool moved out of their way. */
    c = load_ok("[supervisor]\nuserns_pool = 1000000:131072\n"   /* 1 */
                NET_CTR("a", "userns = yes\n")                   /* 3 */
                NET_CTR("b", "userns = 200000:65536\n")          /* 7 */
                NET_CTR("c", "userns = 265536:65536\n")          /* 11 */
                NET_CTR("d", "userns = on\n")                    /* 15 */
                NET_CTR("e", "userns = 1131072:1\n")             /* 19 */
                NET_CTR("f", "userns = 999999:1\n")              /* 23 */
                NET_CTR("g", "userns = no\n") NET_CTR("h", "")); /* 27, 31 */

    ASSERT_EQ(c->sup.userns_pool_line, 2);
    ASSERT(c->containers[0].userns.from_pool);
    ASSERT_EQ(c->containers[0].userns.line, 6);
    ASSERT_EQ(c->containers[1].userns.host_start, 200000);
    ASSERT_EQ(c->containers[2].userns.host_start, 265536);
    ASSERT(c->containers[3].userns.from_pool);
    ASSERT_EQ(c->containers[4].userns.host_start, 1131072);
    ASSERT_EQ(c->containers[5].userns.host_start, 999999);
    ASSERT(!c->containers[6].userns.enabled);
    ASSERT_EQ(c->containers[6].userns.line, 30);
    ASSERT(!c->containers[7].userns.enabled);
    ASSERT_EQ(c->containers[7].userns.line, 0);
    assert_round_trip(c);
    config_free(c);
}

static void test_error_userns(void)
{
    static const struct {
        const char *value, *msg;
    } cases[] = {
        {"", "invalid value '' " USERNS_EXPECTED},
        {"maybe", "invalid value 'maybe' " USERNS_EXPECTED},
        {"y", "invalid value 'y' " USERNS_EXPECTED},
        {"2", "invalid value '2' " USERNS_EXPECTED},
        {"pool", "invalid value 'pool' " USERNS_EXPECTED},
        {":65536", "invalid HOSTID '' in ':65536' " USERNS_EXPECTED},
        {"yes:65536", "invalid HOSTID 'yes' in 'yes:65536' " USERNS_EXPECTED},
        {"0x1000:5", "invalid HOSTID '0x1000' in '0x1000:5' " USERNS_EXPECTED},
        {"+1:5", "invalid HOSTID '+1' in '+1:5' " USERNS_EXPECTED},
        {"7000000:", "invalid COUNT '' in '7000000:' " USERNS_EXPECTED},
        {"7000000:-1", "invalid COUNT '-1' in '7000000:-1' " USERNS_EXPECTED},
        {"7000000:65536:1", "invalid COUNT '65536:1' in '7000000:65536:1' " USERNS_EXPECTED},
        {"0:65536", "HOSTID must be at least 1, not 0: id 0 is the host's root " USERNS_EXPECTED},
        {"000:1", "HOSTID must be at least 1, not 0: id 0 is the host's root " USERNS_EXPECTED},
        {"7000000:0", "COUNT must be at least 1, not 0 (expected e.g. 65536 for the container's "
                      "ids 0 to 65535)"},
        {"4294967295:1", "'4294967295:1' ends past id 4294967294, the last valid one (expected "
                         "HOSTID+COUNT at most 4294967295)"},
        {"4294967000:65536", "'4294967000:65536' ends past id 4294967294, the last valid one "
                             "(expected HOSTID+COUNT at most 4294967295)"},
        {"7000000:4294967295", "'7000000:4294967295' ends past id 4294967294, the last valid one "
                               "(expected HOSTID+COUNT at most 4294967295)"},
        {"7000000:99999999999999999999999",
         "'7000000:99999999999999999999999' ends past id 4294967294, the last valid one "
         "(expected HOSTID+COUNT at most 4294967295)"},
    };
    struct config_diag d;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL, *want = NULL;

        ASSERT(asprintf(&text, MIN_CTR "userns = %s\n", cases[i].value) >= 0);
        ASSERT(asprintf(&want, "4: [container web] userns: %s", cases[i].msg) >= 0);
        expect_only(text, want);
    }

    /* Both halves at once; every container. */
    d = load_fail_at(__FILE__, __LINE__,
                     NET_CTR("a", "userns = 0:0\n") NET_CTR("b", "userns = x:y\n"));
    ASSERT_EQ(d.n, 4);
    ASSERT(diag_has(&d, 4, "[container a] userns: HOSTID must be at least 1, not 0"));
    ASSERT(diag_has(&d, 4, "[container a] userns: COUNT must be at least 1, not 0"));
    ASSERT(diag_has(&d, 8, "[container b] userns: invalid HOSTID 'x' in 'x:y'"));
    ASSERT(diag_has(&d, 8, "[container b] userns: invalid COUNT 'y' in 'x:y'"));
    config_diag_clear(&d);

    expect_only(MIN_CTR "userns = yes\nuserns = no\n",
                "5: [container web] userns: duplicate key (first at line 4)");
    /* Per container; the supervisor has the pool. */
    expect_error("[supervisor]\nuserns = yes\n", 2,
                 "[supervisor] userns: unknown key (expected one of: ");
}

static void test_error_userns_overlap(void)
{
    struct config_diag d;

    /* Reported on the later container, naming the earlier. */
    expect_only(NET_CTR("db", "userns = 7000000:65536\n") NET_CTR("web", "userns = 7065535:2\n"),
                "8: [container web] userns: 7065535:2 overlaps 7000000:65536 of container 'db' "
                "(line 4) (expected host ids no other container maps)");
    /* Inside, around, identical; one message per container, naming the
     * first it overlaps, as for addresses. Pool ranges never clash here. */
    d = load_fail_at(__FILE__, __LINE__,
                     NET_CTR("a", "\nuserns = 7000000:65536\n") /* 5 */
                     NET_CTR("p", "userns = yes\n")             /* 9 */
                     NET_CTR("b", "userns = 7000100:10\n")      /* 13 */
                     NET_CTR("c", "userns = 6999999:1000000\n") /* 17 */
                     NET_CTR("d", "userns = 8000000:1\n")       /* 21 */
                     NET_CTR("e", "userns = 8000000:1\n"));     /* 25 */
    ASSERT_EQ(d.n, 3);
    ASSERT_STREQ(d.lines[0], NAME ":13: [container b] userns: 7000100:10 overlaps 7000000:65536 "
                                  "of container 'a' (line 5) (expected host ids no other "
                                  "container maps)");
    ASSERT_STREQ(d.lines[1], NAME ":17: [container c] userns: 6999999:1000000 overlaps "
                                  "7000000:65536 of container 'a' (line 5) (expected host ids "
                                  "no other container maps)");
    ASSERT_STREQ(d.lines[2], NAME ":25: [container e] userns: 8000000:1 overlaps 8000000:1 of "
                                  "container 'd' (line 21) (expected host ids no other "
                                  "container maps)");
    config_diag_clear(&d);
    /* A range already reported as invalid clashes with nothing. */
    expect_only(NET_CTR("a", "userns = 7000000:0\n") NET_CTR("b", "userns = 7000000:1\n"),
                "4: [container a] userns: COUNT must be at least 1, not 0 (expected e.g. 65536 "
                "for the container's ids 0 to 65535)");
}

static void test_error_userns_pool_overlap(void)
{
    struct config_diag d;

    /* The default pool is 100000 to 6653599. */
    expect_only(MIN_CTR "userns = 200000:65536\n",
                "4: [container web] userns: 200000:65536 overlaps the default pool "
                "100000:6553600 (expected host ids outside 100000 to 6653599, or a userns_pool "
                "elsewhere)");
    expect_only(MIN_CTR "userns = 99999:2\n",
                "4: [container web] userns: 99999:2 overlaps the default pool 100000:6553600 "
                "(expected host ids outside 100000 to 6653599, or a userns_pool elsewhere)");
    expect_error(MIN_CTR "userns = 6653599:1\n", 4, "overlaps the default pool 100000:6553600");
    expect_error(MIN_CTR "userns = 1:4294967294\n", 4, "overlaps the default pool");
    /* A pool that is given is named with its line, wherever it is. */
    expect_only(MIN_CTR "userns = 7000000:65536\n[supervisor]\nuserns_pool = 6000000:1048576\n",
                "4: [container web] userns: 7000000:65536 overlaps userns_pool 6000000:1048576 "
                "(line 6) (expected host ids outside 6000000 to 7048575, or a userns_pool "
                "elsewhere)");
    /* Both clashes of one container. */
    d = load_fail_at(__FILE__, __LINE__,
                     NET_CTR("a", "userns = 150000:10\n") NET_CTR("b", "userns = 150005:10\n"));
    ASSERT_EQ(d.n, 3);
    ASSERT(diag_has(&d, 4, "[container a] userns: 150000:10 overlaps the default pool"));
    ASSERT(diag_has(&d, 8,
                    "[container b] userns: 150005:10 overlaps 150000:10 of container 'a' "
                    "(line 4)"));
    ASSERT(diag_has(&d, 8, "[container b] userns: 150005:10 overlaps the default pool"));
    config_diag_clear(&d);
    /* A broken pool is reported once; nothing is checked against it. */
    expect_only("[supervisor]\nuserns_pool = 200000:1000\n" MIN_CTR "userns = 200000:65536\n",
                "2: [supervisor] userns_pool: COUNT must be a multiple of 65536, not 1000 "
                "(expected e.g. 6553600 for 100 ranges)");
}

static void test_error_userns_pool_too_small(void)
{
    _cleanup_free_ char *many = NULL;
    struct corral_config *c;
    size_t len = 0;
    FILE *f;

    /* Reported once, on the first container that finds no range left. */
    expect_only("[supervisor]\nuserns_pool = 100000:65536\n" NET_CTR("a", "userns = yes\n")
                    NET_CTR("b", "userns = no\n") NET_CTR("c", "userns = yes\n")
                        NET_CTR("d", "userns = true\n"),
                "14: [container c] userns: userns_pool 100000:65536 (line 2) has 1 range of "
                "65536 ids, and 3 containers ask for one (expected a larger userns_pool, or "
                "fewer containers with userns = yes)");
    /* Exactly full is fine. */
    c = load_ok("[supervisor]\nuserns_pool = 100000:131072\n" NET_CTR("a", "userns = yes\n")
                    NET_CTR("b", "userns = yes\n"));
    config_free(c);

    /* The default pool's 100 ranges, and one container too many. */
    f = open_memstream(&many, &len);
    ASSERT(f);
    for (int i = 0; i < 101; i++)
        fprintf(f, "[container c%d]\nrootfs = /r\ncommand = x\nuserns = yes\n", i);
    ASSERT(fclose(f) == 0);
    expect_only(many, "404: [container c100] userns: the default pool 100000:6553600 has 100 "
                      "ranges of 65536 ids, and 101 containers ask for one (expected a larger "
                      "userns_pool, or fewer containers with userns = yes)");
    many[strlen(many) - strlen("[container c100]\nrootfs = /r\ncommand = x\nuserns = yes\n")] =
        '\0';
    c = load_ok(many);
    ASSERT_EQ(c->n_containers, 100);
    config_free(c);
}

static void test_dump_round_trip_mounts(void)
{
    struct corral_config *c = load_ok("[container img]\n"
                                      "image = base:1.0\n"
                                      "rootfs_mode = copy\n"
                                      "ephemeral = yes\n"
                                      "command = x\n"
                                      "volume = data:/data\n"
                                      "volume = /srv/logs/://var//log/./app:ro\n"
                                      "tmpfs = /cache\n"
                                      "tmpfs = /run/x:size=1536K,mode=755\n"
                                      "tmpfs = /t:mode=0,size=1073741824\n"
                                      "tmpfs = /u:size=4097\n"
                                      "[container dir]\n"
                                      "rootfs = ../web.tar.zst\n"
                                      "rootfs_mode = bind\n"
                                      "command = x\n"
                                      "volume = /a:/b:rw\n"
                                      "volume = /a b:/c d\n");
    _cleanup_free_ char *text = dump(c);

    ASSERT(strstr(text, "\n[container img]\nimage = base:1.0\nrootfs_mode = copy\n"
                        "ephemeral = yes\nvolume = /etc/corral/data:/data:rw\n"
                        "volume = /srv/logs:/var/log/app:ro\n"
                        "tmpfs = /cache:mode=1777\n"
                        "tmpfs = /run/x:size=1536K,mode=0755\n"
                        "tmpfs = /t:size=1G,mode=0000\n"
                        "tmpfs = /u:size=4097,mode=1777\n"
                        "command = [\"x\"]\n"));
    ASSERT(strstr(text, "\n[container dir]\nrootfs = /etc/corral/../web.tar.zst\n"
                        "rootfs_mode = bind\nephemeral = no\nvolume = /a:/b:rw\n"
                        "volume = /a b:/c d:rw\ncommand = [\"x\"]\n"));
    /* An image has no rootfs line to write. */
    ASSERT(!strstr(text, "rootfs = (null)"));
    assert_round_trip(c);
    config_free(c);
}

static void test_id_maps(void)
{
    struct corral_config *c =
        load_ok(MIN_CTR "uid_map = 0:7000000:1000 1000:1000:1, 1001:7001001:64535\n");
    const struct userns_spec *u = &c->containers[0].userns;
    _cleanup_free_ char *text = dump(c);

    ASSERT(u->enabled && !u->from_pool);
    ASSERT_EQ_U(u->n_uid_map, 3u);
    ASSERT_EQ_U(u->uid_map[1].inside, 1000u);
    ASSERT_EQ_U(u->uid_map[1].host, 1000u);
    ASSERT_EQ_U(u->uid_map[2].count, 64535u);
    /* gid_map defaults to uid_map */
    ASSERT_EQ_U(u->n_gid_map, 3u);
    ASSERT_EQ_U(u->gid_map[2].host, 7001001u);
    ASSERT(strstr(text, "uid_map = 0:7000000:1000 1000:1000:1 1001:7001001:64535\n"
                        "gid_map = 0:7000000:1000 1000:1000:1 1001:7001001:64535\n"));
    ASSERT(!strstr(text, "userns ="));
    assert_round_trip(c);
    config_free(c);

    c = load_ok(MIN_CTR "gid_map = 0:7100000:65536\nuid_map = 0:7000000:65536\n");
    ASSERT_EQ_U(c->containers[0].userns.gid_map[0].host, 7100000u);
    ASSERT_EQ_U(c->containers[0].userns.uid_map[0].host, 7000000u);
    assert_round_trip(c);
    config_free(c);
}

static void test_error_id_maps(void)
{
    expect_error(MIN_CTR "uid_map = 1:7000000:10\n", 4, "container id 0 is not mapped");
    expect_error(MIN_CTR "uid_map = 0:7000000\n", 4, "invalid range '0:7000000'");
    expect_error(MIN_CTR "uid_map = 0:7000000:10:1\n", 4, "invalid range '0:7000000:10:1'");
    expect_error(MIN_CTR "uid_map = 0:x:10\n", 4, "invalid range '0:x:10'");
    expect_error(MIN_CTR "uid_map = 0:0:10\n", 4, "maps the host's root");
    expect_error(MIN_CTR "uid_map = 0:7000000:0\n", 4, "is empty or ends past");
    expect_error(MIN_CTR "uid_map = 0:4294967290:10\n", 4, "is empty or ends past");
    expect_error(MIN_CTR "uid_map = 0:7000000:10 5:8000000:10\n", 4,
                 "range '5:8000000:10' overlaps 0:7000000:10");
    expect_error(MIN_CTR "uid_map = 0:7000000:10 20:7000005:10\n", 4,
                 "range '20:7000005:10' overlaps 0:7000000:10");
    expect_error(MIN_CTR "uid_map = 0:7000000:1 1:7000001:1 2:7000002:1 3:7000003:1 "
                         "4:7000004:1 5:7000005:1 6:7000006:1 7:7000007:1 8:7000008:1\n",
                 4, "more than 8 ranges");
    expect_error(MIN_CTR "userns = yes\nuid_map = 0:7000000:10\n", 5, "given with userns (line 4)");
    expect_error(MIN_CTR "userns = no\ngid_map = 0:7000000:10\n", 5, "given with userns (line 4)");
    /* Host ids are one container's alone, and not the pool's. */
    expect_error(MIN_CTR "uid_map = 0:150000:10\n", 4, "overlaps the default pool");
    expect_error("[container a]\nrootfs = /a\ncommand = x\nuserns = 7000000:65536\n"
                 "[container b]\nrootfs = /b\ncommand = x\nuid_map = 0:8000000:10\n"
                 "gid_map = 0:7000100:10\n",
                 9, "7000100:10 overlaps 7000000:65536 of container 'a' (line 4)");
}

static void test_dump_userns(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "readonly_rootfs = no\nuserns = no\n"},
        {"userns = off", "readonly_rootfs = no\nuserns = no\n"},
        {"userns = 1", "readonly_rootfs = no\nuserns = yes\n"},
        {"userns = 0007000000:065536", "readonly_rootfs = no\nuserns = 7000000:65536\n"},
        {"rlimit_nofile = 5\nuserns = 7000000:1", "rlimit_nofile = 5:5\nuserns = 7000000:1\n"},
        {"[supervisor]\nuserns_pool = 01:0131072", "log_max_files = 5\nuserns_pool = 1:131072\n\n"},
    };
    struct corral_config *c = load_ok(MIN_CTR);
    _cleanup_free_ char *text = dump(c);

    /* Always written: the pool last in [supervisor], userns last in a container. */
    ASSERT(strstr(text, "log_max_files = 5\nuserns_pool = 100000:6553600\n\n[network]\n"));
    ASSERT(strstr(text, "readonly_rootfs = no\nuserns = no\n"));
    config_free(c);

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *in = NULL, *out = NULL;
        ASSERT(asprintf(&in, MIN_CTR "%s\n", cases[i].in) >= 0);
        c = load_ok(in);
        out = dump(c);
        if (!strstr(out, cases[i].out)) {
            fprintf(stderr, "no \"%s\" in the dump of \"%s\":\n%s", cases[i].out, cases[i].in, out);
            exit(1);
        }
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_dump_round_trip_network(void)
{
    struct corral_config *c = load_ok("[network]\nsubnet = 172.20.0.0/16\nicc = no\n"
                                      "[container web]\nrootfs = /w\ncommand = x\n"
                                      "publish = 8080:80\npublish = 05353:53/udp\n"
                                      "ip = 172.20.3.4\nmac = 02:42:AC:14:03:04\n"
                                      "connect = db, job db\n"
                                      "[container db]\nrootfs = /d\ncommand = x\n"
                                      "network = bridge\nmemory = 64M\nconnect = web\n"
                                      "[container cache]\nrootfs = /c\ncommand = x\n"
                                      "network = none\nip = auto\n"
                                      "[container job]\nrootfs = /j\ncommand = x\n"
                                      "publish = 8080:80/udp\n");
    _cleanup_free_ char *text = dump(c);

    /* Defaults filled in, the protocol spelled out, the MAC in lower case. */
    ASSERT(strstr(text, "success_exit_codes = 0\nnetwork = bridge\nip = 172.20.3.4\n"
                        "mac = 02:42:ac:14:03:04\npublish = 8080:80/tcp\n"
                        "publish = 5353:53/udp\nconnect = db job\n# capabilities: "));
    ASSERT(
        strstr(text, "memory = 64M\nnetwork = bridge\nip = auto\nconnect = web\n# capabilities: "));
    /* none has nothing else to say; the security settings come next. */
    ASSERT(strstr(text, "success_exit_codes = 0\nnetwork = none\n# capabilities: "));
    ASSERT(strstr(text, "network = bridge\nip = auto\npublish = 8080:80/udp\n"));
    assert_round_trip(c);
    config_free(c);
}

/* ---- root file system and mounts (issue 7) ------------------------------- */

#define IMG_CTR(keys) "[container web]\nimage = base\ncommand = x\n" keys

static void test_image_forms(void)
{
    _cleanup_free_ char *long_name = repeat('a', 128), *text = NULL;
    struct corral_config *c =
        load_ok("[container web]\ncommand = x\n\nimage = Base_1.0:latest-2\n");
    const struct container_spec *w = &c->containers[0];

    ASSERT_STREQ(w->image, "Base_1.0:latest-2");
    ASSERT_EQ(w->image_line, 4);
    /* No rootfs beside an image. */
    ASSERT(w->rootfs == NULL);
    ASSERT_EQ(w->rootfs_line, 0);
    ASSERT_EQ(w->rootfs_mode, ROOTFS_OVERLAY);
    ASSERT(!w->ephemeral);
    config_free(c);

    ASSERT(asprintf(&text, "[container web]\nimage = %s\ncommand = x\n", long_name) >= 0);
    c = load_ok(text);
    ASSERT_STREQ(c->containers[0].image, long_name);
    config_free(c);
    /* A digit first, or a full id. */
    c = load_ok("[container web]\nimage = 0abc\ncommand = x\n");
    ASSERT_STREQ(c->containers[0].image, "0abc");
    config_free(c);
}

static void test_error_image(void)
{
    _cleanup_free_ char *long_name = repeat('a', 129), *text = NULL;

    expect_only("[container web]\nimage = .hidden\ncommand = x\n",
                "2: [container web] image: invalid image name '.hidden' (expected the name given "
                "to corral image import FILE --name NAME: 1 to 128 characters of A-Z, a-z, 0-9, "
                "'.', '_', ':' or '-', starting with a letter or digit)");
    expect_error("[container web]\nimage =\ncommand = x\n", 2, "invalid image name ''");
    expect_error("[container web]\nimage = a/b\ncommand = x\n", 2, "invalid image name 'a/b'");
    expect_error("[container web]\nimage = a b\ncommand = x\n", 2, "invalid image name 'a b'");
    expect_error("[container web]\nimage = -a\ncommand = x\n", 2, "invalid image name '-a'");
    ASSERT(asprintf(&text, "[container web]\nimage = %s\ncommand = x\n", long_name) >= 0);
    expect_error(text, 2, "invalid image name");
    expect_only(IMG_CTR("image = other\n"),
                "4: [container web] image: duplicate key (first at line 2)");
}

static void test_error_rootfs_and_image(void)
{
    /* Reported on the later of the two, whichever it is. */
    expect_only("[container web]\nrootfs = /r\ncommand = x\nimage = base\n",
                "4: [container web] image: rootfs and image are exclusive (one root file system "
                "per container)");
    expect_only(IMG_CTR("rootfs = /r\n"),
                "4: [container web] rootfs: rootfs and image are exclusive (one root file system "
                "per container)");
    /* Neither: the missing-key message names both. */
    expect_only("[container web]\ncommand = x\nrootfs_mode = copy\nephemeral = yes\n",
                "1: [container web] rootfs: missing required key (expected rootfs = PATH or "
                "image = NAME)");
    /* Each one's own problem still shows. */
    expect_error("[container web]\nrootfs =\ncommand = x\nimage = -\n", 2, "rootfs: empty path");
    expect_error("[container web]\nrootfs =\ncommand = x\nimage = -\n", 4, "invalid image name");
    expect_error("[container web]\nrootfs =\ncommand = x\nimage = -\n", 4, "are exclusive");
}

static void test_rootfs_archive_forms(void)
{
    struct corral_config *c = load_ok("[container a]\nrootfs = web.tar.gz\ncommand = x\n"
                                      "[container b]\nrootfs = /srv//web.tar.zst\ncommand = x\n"
                                      "[container c]\nrootfs = ./images/../web.tar\ncommand = x\n");

    /* Resolved and normalised as a directory would be: the parser cannot
     * tell a file from a directory, config_check_host() can. */
    ASSERT_STREQ(c->containers[0].rootfs, "/etc/corral/web.tar.gz");
    ASSERT_STREQ(c->containers[1].rootfs, "/srv/web.tar.zst");
    ASSERT_STREQ(c->containers[2].rootfs, "/etc/corral/images/../web.tar");
    ASSERT(c->containers[0].image == NULL);
    config_free(c);

    expect_only("[container web]\nrootfs =\ncommand = x\n",
                "2: [container web] rootfs: empty path (expected a directory or an archive, e.g. "
                "/srv/web or /srv/web.tar.gz)");
    expect_only("[container web]\nrootfs = /srv/x /\ncommand = x\n",
                "2: [container web] rootfs: '/srv/x ' ends in a space (expected a directory or an "
                "archive, e.g. /srv/web or /srv/web.tar.gz)");
}

static void test_rootfs_mode_forms(void)
{
    static const struct {
        const char *value;
        enum rootfs_mode mode;
    } cases[] = {
        {"overlay", ROOTFS_OVERLAY},
        {"bind", ROOTFS_BIND},
        {"copy", ROOTFS_COPY},
    };
    struct corral_config *c;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;

        ASSERT(asprintf(&text, MIN_CTR "rootfs_mode = %s\n", cases[i].value) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->containers[0].rootfs_mode, cases[i].mode);
        ASSERT_EQ(c->containers[0].rootfs_mode_line, 4);
        ASSERT_STREQ(rootfs_mode_to_string(cases[i].mode), cases[i].value);
        config_free(c);
    }
    ASSERT_STREQ(rootfs_mode_to_string((enum rootfs_mode) 3), "unknown");
    ASSERT_STREQ(rootfs_mode_to_string((enum rootfs_mode) - 1), "unknown");

    /* An image may be under an overlay or copied, never bound. */
    c = load_ok(IMG_CTR("rootfs_mode = copy\n"));
    ASSERT_EQ(c->containers[0].rootfs_mode, ROOTFS_COPY);
    config_free(c);
}

static void test_error_rootfs_mode(void)
{
    expect_only(MIN_CTR "rootfs_mode = Overlay\n",
                "4: [container web] rootfs_mode: invalid rootfs mode 'Overlay' (expected overlay, "
                "bind or copy)");
    expect_error(MIN_CTR "rootfs_mode =\n", 4, "invalid rootfs mode ''");
    expect_error(MIN_CTR "rootfs_mode = overlay,copy\n", 4, "invalid rootfs mode");
    expect_only(MIN_CTR "rootfs_mode = bind\nrootfs_mode = copy\n",
                "5: [container web] rootfs_mode: duplicate key (first at line 4)");
    /* bind with an image: on the later of the two lines. */
    expect_only(IMG_CTR("rootfs_mode = bind\n"),
                "4: [container web] rootfs_mode: rootfs_mode = bind would let the container write "
                "into the shared image; use overlay or copy");
    expect_only("[container web]\nrootfs_mode = bind\ncommand = x\nimage = base\n",
                "4: [container web] image: rootfs_mode = bind would let the container write into "
                "the shared image; use overlay or copy");
}

static void test_ephemeral_forms(void)
{
    static const struct {
        const char *keys;
        bool ephemeral;
    } cases[] = {
        {"", false},
        {"ephemeral = yes\n", true},
        {"ephemeral = no\n", false},
        {"ephemeral = on\n", true},
        {"ephemeral = 0\n", false},
        {"ephemeral = yes\nrootfs_mode = overlay\n", true},
        {"ephemeral = yes\nrootfs_mode = copy\n", true},
        /* Nothing to throw away, nothing to refuse. */
        {"ephemeral = no\nrootfs_mode = bind\n", false},
    };
    struct corral_config *c;

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *text = NULL;

        ASSERT(asprintf(&text, MIN_CTR "%s", cases[i].keys) >= 0);
        c = load_ok(text);
        ASSERT_EQ(c->containers[0].ephemeral, cases[i].ephemeral);
        config_free(c);
    }
    c = load_ok(IMG_CTR("ephemeral = yes\n"));
    ASSERT(c->containers[0].ephemeral);
    config_free(c);
}

static void test_error_ephemeral(void)
{
    struct config_diag d;

    expect_only(MIN_CTR "ephemeral = sometimes\n",
                "4: [container web] ephemeral: invalid boolean 'sometimes' (expected yes/no, "
                "true/false, on/off or 1/0)");
    expect_only(MIN_CTR "ephemeral = yes\nrootfs_mode = bind\n",
                "5: [container web] rootfs_mode: ephemeral = yes needs rootfs_mode = overlay or "
                "copy (bind writes into the rootfs itself)");
    expect_only(MIN_CTR "rootfs_mode = bind\nephemeral = true\n",
                "5: [container web] ephemeral: ephemeral = yes needs rootfs_mode = overlay or "
                "copy (bind writes into the rootfs itself)");
    /* Both contradictions of bind, each once. */
    d = load_fail_at(__FILE__, __LINE__, IMG_CTR("ephemeral = yes\nrootfs_mode = bind\n"));
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 5, "rootfs_mode: rootfs_mode = bind would let"));
    ASSERT(diag_has(&d, 5, "rootfs_mode: ephemeral = yes needs"));
    config_diag_clear(&d);
}

static void test_volume_forms(void)
{
    struct corral_config *c = load_ok(MIN_CTR "volume = /srv/data:/data\n"
                                              "volume = data//x/:/var//lib/./app/:ro\n"
                                              "volume = .:/cfg:rw\n"
                                              "volume = /srv/data:/data2:ro\n"
                                              "volume = /h:/procfs\n"
                                              "volume = /h:/a b\n"
                                              "volume = /etc/passwd:/etc/passwd:ro\n");
    const struct container_spec *w = &c->containers[0];

    ASSERT_EQ(w->n_volumes, 7);
    ASSERT_STREQ(w->volumes[0].source, "/srv/data");
    ASSERT_STREQ(w->volumes[0].target, "/data");
    ASSERT(!w->volumes[0].readonly);
    ASSERT_EQ(w->volumes[0].line, 4);
    /* A relative host path is the INI's directory's, as rootfs is. */
    ASSERT_STREQ(w->volumes[1].source, "/etc/corral/data/x");
    ASSERT_STREQ(w->volumes[1].target, "/var/lib/app");
    ASSERT(w->volumes[1].readonly);
    ASSERT_EQ(w->volumes[1].line, 5);
    ASSERT_STREQ(w->volumes[2].source, "/etc/corral");
    ASSERT_STREQ(w->volumes[2].target, "/cfg");
    ASSERT(!w->volumes[2].readonly);
    /* One host path may serve two targets. */
    ASSERT_STREQ(w->volumes[3].source, "/srv/data");
    ASSERT(w->volumes[3].readonly);
    /* Only /proc itself and below it are the kernel's. */
    ASSERT_STREQ(w->volumes[4].target, "/procfs");
    ASSERT_STREQ(w->volumes[5].target, "/a b");
    ASSERT_STREQ(w->volumes[6].target, "/etc/passwd");
    ASSERT_EQ(w->volumes[6].line, 10);
    config_free(c);

    /* Per container, and only where given. */
    c = load_ok(MIN_CTR "volume = /a:/a\n[container b]\nrootfs = /r\ncommand = x\n"
                        "volume = /b:/b\nvolume = /c:/a\n");
    ASSERT_EQ(c->containers[0].n_volumes, 1);
    ASSERT_EQ(c->containers[1].n_volumes, 2);
    ASSERT_STREQ(c->containers[1].volumes[1].target, "/a");
    config_free(c);
}

/* MIN_CTR and n lines "BEFORE<index>AFTER". */
static char *repeated_keys(const char *before, const char *after, int n)
{
    char *text = strdup(MIN_CTR), *more;

    ASSERT(text);
    for (int i = 0; i < n; i++) {
        ASSERT(asprintf(&more, "%s%s%d%s\n", text, before, i, after) >= 0);
        free(text);
        text = more;
    }
    return text;
}

static void test_volume_limit(void)
{
    _cleanup_free_ char *ok = repeated_keys("volume = /h:/v", "", 64);
    _cleanup_free_ char *over = repeated_keys("volume = /h:/v", "", 66);
    struct corral_config *c = load_ok(ok);

    ASSERT_EQ(c->containers[0].n_volumes, 64);
    config_free(c);
    /* Once, on the first line past the limit. */
    expect_only(over, "68: [container web] volume: more than 64 volumes (expected at most 64 per "
                      "container)");
}

#define VOL_EXPECTED                                                                               \
    "(expected HOST:CONTAINER, HOST:CONTAINER:ro or HOST:CONTAINER:rw, e.g. "                      \
    "/srv/data:/data:ro; a HOST or CONTAINER path with ':' cannot be written)"

static void test_error_volume(void)
{
    struct corral_config *c;
    struct config_diag d;

    expect_only(MIN_CTR "volume = /srv/data\n",
                "4: [container web] volume: invalid volume '/srv/data' " VOL_EXPECTED);
    expect_only(MIN_CTR "volume =\n", "4: [container web] volume: invalid volume '' " VOL_EXPECTED);
    expect_only(MIN_CTR "volume = /a:b:/c:ro\n",
                "4: [container web] volume: too many ':' in '/a:b:/c:ro' " VOL_EXPECTED);
    expect_only(MIN_CTR "volume = :/data\n",
                "4: [container web] volume: empty host path in ':/data' " VOL_EXPECTED);
    expect_only(MIN_CTR "volume = /a :/data\n",
                "4: [container web] volume: '/a ' ends in a space (expected a host path, e.g. "
                "/srv/data:/data)");
    expect_only(MIN_CTR "volume = /srv/data:\n",
                "4: [container web] volume: empty container path in '/srv/data:' (expected an "
                "absolute path inside the container, e.g. /data)");
    expect_only(MIN_CTR "volume = /srv/data::ro\n",
                "4: [container web] volume: empty container path in '/srv/data::ro' (expected "
                "an absolute path inside the container, e.g. /data)");
    expect_only(MIN_CTR "volume = /srv/data:data\n",
                "4: [container web] volume: container path 'data' is relative (expected an "
                "absolute path inside the container, e.g. /data)");
    expect_only(MIN_CTR "volume = /srv/data:/data/../../etc\n",
                "4: [container web] volume: container path '/data/../../etc' has a '..' "
                "component (expected a path that stays inside the container, e.g. /data)");
    expect_error(MIN_CTR "volume = /h:/..\n", 4, "has a '..' component");
    expect_error(MIN_CTR "volume = /h:/a/..\n", 4, "has a '..' component");
    /* "..." and "..a" are names, not a way up. */
    c = load_ok(MIN_CTR "volume = /h:/.../..a/a..\n");
    ASSERT_STREQ(c->containers[0].volumes[0].target, "/.../..a/a..");
    config_free(c);
    expect_only(MIN_CTR "volume = /srv/data:/\n",
                "4: [container web] volume: cannot mount over the container's root (expected a "
                "path below /, e.g. /data)");
    expect_error(MIN_CTR "volume = /h://.//\n", 4, "cannot mount over the container's root");
    expect_only(MIN_CTR "volume = /srv/data:/proc\n",
                "4: [container web] volume: '/proc' would hide the kernel's files (expected a "
                "path outside /proc and /sys)");
    expect_error(MIN_CTR "volume = /h://proc/\n", 4, "'/proc' would hide the kernel's files");
    expect_error(MIN_CTR "volume = /h:/proc/sys/kernel\n", 4,
                 "'/proc/sys/kernel' would hide the kernel's files");
    expect_error(MIN_CTR "volume = /h:/sys\n", 4, "'/sys' would hide the kernel's files");
    expect_error(MIN_CTR "volume = /h:/sys/./fs/cgroup\n", 4,
                 "'/sys/fs/cgroup' would hide the kernel's files");
    expect_only(MIN_CTR "volume = /srv/data:/data:RO\n",
                "4: [container web] volume: invalid mode 'RO' in '/srv/data:/data:RO' (expected "
                "ro or rw, e.g. /srv/data:/data:ro)");
    expect_error(MIN_CTR "volume = /h:/d:\n", 4, "invalid mode '' in '/h:/d:'");
    expect_error(MIN_CTR "volume = /h:/d:ro,z\n", 4, "invalid mode 'ro,z'");
    /* Every problem of one entry at once. */
    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "volume = :proc:x\n");
    ASSERT_EQ(d.n, 3);
    ASSERT(diag_has(&d, 4, "empty host path"));
    ASSERT(diag_has(&d, 4, "container path 'proc' is relative"));
    ASSERT(diag_has(&d, 4, "invalid mode 'x'"));
    config_diag_clear(&d);
}

static void test_error_volume_host_colon(void)
{
    struct config_diag d = {};
    struct corral_config *c = untouched;

    /* The INI's directory has a ':', so a relative HOST would: the dump
     * could not write it back. An absolute one is fine. */
    ASSERT_EQ(config_load_string("/etc/a:b/corral.ini",
                                 "[container web]\nrootfs = /r\ncommand = x\nvolume = data:/data\n",
                                 &c, &d),
              -EINVAL);
    ASSERT(c == untouched);
    ASSERT_EQ(d.n, 1);
    ASSERT_STREQ(d.lines[0], "/etc/a:b/corral.ini:4: [container web] volume: host path "
                             "'/etc/a:b/data' contains ':' " VOL_EXPECTED);
    config_diag_clear(&d);
    c = load_ok_name("/etc/a:b/corral.ini",
                     "[container web]\nrootfs = /r\ncommand = x\nvolume = /data:/data\n");
    config_free(c);
}

static void test_error_volume_duplicate_target(void)
{
    struct corral_config *c;
    struct config_diag d;

    expect_only(MIN_CTR "volume = /a:/data\nvolume = /b:/data/\n",
                "5: [container web] volume: '/data' is already mounted by the volume at line 4 "
                "(expected one mount per container path)");
    /* Normalised first; the mode does not matter. */
    expect_only(MIN_CTR "volume = /a://x/./y:ro\nenv = A=1\nvolume = /a:/x/y:rw\n",
                "6: [container web] volume: '/x/y' is already mounted by the volume at line 4 "
                "(expected one mount per container path)");
    /* Three on one path: each later one names the first. */
    d = load_fail_at(__FILE__, __LINE__,
                     MIN_CTR "volume = /a:/d\nvolume = /b:/d\nvolume = /c:/d\n");
    ASSERT_EQ(d.n, 2);
    ASSERT(diag_has(&d, 5, "by the volume at line 4"));
    ASSERT(diag_has(&d, 6, "by the volume at line 4"));
    config_diag_clear(&d);
    /* Other containers may use the same path. */
    c = load_ok(MIN_CTR "volume = /a:/d\n[container b]\nrootfs = /r\n"
                        "command = x\nvolume = /a:/d\n");
    config_free(c);
}

static void test_tmpfs_forms(void)
{
    _cleanup_free_ char *ok = repeated_keys("tmpfs = /t", "", 16);
    _cleanup_free_ char *over = repeated_keys("tmpfs = /t", ":size=1M", 17);
    struct corral_config *c = load_ok(MIN_CTR "tmpfs = /cache\n"
                                              "tmpfs = //run//x/:size=16M\n"
                                              "tmpfs = /a:mode=755\n"
                                              "tmpfs = /b:mode=0,size=1G\n"
                                              "tmpfs = /c:size=4K,mode=07777\n"
                                              "tmpfs = /d:size=4096,mode=01777\n");
    const struct container_spec *w = &c->containers[0];

    ASSERT_EQ(w->n_tmpfs, 6);
    /* Defaults: the runtime's size (64M) and a sticky world-writable dir. */
    ASSERT_STREQ(w->tmpfs[0].target, "/cache");
    ASSERT_EQ_U(w->tmpfs[0].size, 0);
    ASSERT_EQ(w->tmpfs[0].mode, 01777);
    ASSERT_EQ(w->tmpfs[0].line, 4);
    ASSERT_STREQ(w->tmpfs[1].target, "/run/x");
    ASSERT_EQ_U(w->tmpfs[1].size, 16 << 20);
    ASSERT_EQ(w->tmpfs[1].mode, 01777);
    ASSERT_EQ(w->tmpfs[2].mode, 0755);
    ASSERT_EQ_U(w->tmpfs[2].size, 0);
    ASSERT_EQ(w->tmpfs[3].mode, 0);
    ASSERT_EQ_U(w->tmpfs[3].size, UINT64_C(1) << 30);
    ASSERT_EQ_U(w->tmpfs[4].size, 4096);
    ASSERT_EQ(w->tmpfs[4].mode, 07777);
    ASSERT_EQ_U(w->tmpfs[5].size, 4096);
    ASSERT_EQ(w->tmpfs[5].mode, 01777);
    ASSERT_EQ(w->tmpfs[5].line, 9);
    config_free(c);

    c = load_ok(ok);
    ASSERT_EQ(c->containers[0].n_tmpfs, 16);
    config_free(c);
    expect_only(over, "20: [container web] tmpfs: more than 16 tmpfs mounts (expected at most 16 "
                      "per container)");
}

#define TMPFS_OPTS_EXPECTED                                                                        \
    "(expected PATH or PATH:OPTIONS, OPTIONS being size=SIZE and mode=OCTAL separated by "         \
    "commas, e.g. /cache:size=64M,mode=1777)"

static void test_error_tmpfs(void)
{
    struct config_diag d;

    expect_only(
        MIN_CTR "tmpfs = /t:uid=0\n",
        "4: [container web] tmpfs: unknown option 'uid=0' in '/t:uid=0' " TMPFS_OPTS_EXPECTED);
    expect_error(MIN_CTR "tmpfs = /t:size\n", 4, "unknown option 'size' in '/t:size'");
    expect_error(MIN_CTR "tmpfs = /t:Size=1M\n", 4, "unknown option 'Size=1M'");
    expect_only(MIN_CTR "tmpfs = /t:\n",
                "4: [container web] tmpfs: empty option in '/t:' " TMPFS_OPTS_EXPECTED);
    expect_error(MIN_CTR "tmpfs = /t:size=1M,\n", 4, "empty option in '/t:size=1M,'");
    expect_error(MIN_CTR "tmpfs = /t:,mode=1\n", 4, "empty option");
    expect_only(MIN_CTR "tmpfs = /t:size=lots\n",
                "4: [container web] tmpfs: invalid size 'lots' in '/t:size=lots' (expected e.g. "
                "size=16M or size=1G)");
    expect_error(MIN_CTR "tmpfs = /t:size=\n", 4, "invalid size ''");
    expect_error(MIN_CTR "tmpfs = /t:size=-1M\n", 4, "invalid size '-1M'");
    expect_only(MIN_CTR "tmpfs = /t:size=4095\n",
                "4: [container web] tmpfs: size '4095' is too small (expected at least 4K)");
    expect_error(MIN_CTR "tmpfs = /t:size=0\n", 4, "size '0' is too small");
    expect_only(MIN_CTR "tmpfs = /t:mode=8\n",
                "4: [container web] tmpfs: invalid mode '8' in '/t:mode=8' (expected an octal "
                "mode up to 7777, e.g. mode=1777 or mode=755)");
    expect_error(MIN_CTR "tmpfs = /t:mode=10000\n", 4, "invalid mode '10000'");
    expect_error(MIN_CTR "tmpfs = /t:mode=\n", 4, "invalid mode ''");
    expect_error(MIN_CTR "tmpfs = /t:mode=0x1ff\n", 4, "invalid mode '0x1ff'");
    expect_error(MIN_CTR "tmpfs = /t:mode=-1\n", 4, "invalid mode '-1'");
    expect_error(MIN_CTR "tmpfs = /t:mode=777777777777777777777777\n", 4, "invalid mode");
    expect_only(
        MIN_CTR "tmpfs = /t:size=1M,size=2M\n",
        "4: [container web] tmpfs: size given twice in '/t:size=1M,size=2M' " TMPFS_OPTS_EXPECTED);
    expect_error(MIN_CTR "tmpfs = /t:mode=1,mode=1\n", 4, "mode given twice");
    /* PATH is checked as a volume's CONTAINER side. */
    expect_only(MIN_CTR "tmpfs =\n",
                "4: [container web] tmpfs: empty container path in '' (expected an absolute path "
                "inside the container, e.g. /data)");
    expect_error(MIN_CTR "tmpfs = :size=1M\n", 4, "empty container path in ':size=1M'");
    expect_error(MIN_CTR "tmpfs = tmp\n", 4, "container path 'tmp' is relative");
    expect_error(MIN_CTR "tmpfs = /tmp/../etc\n", 4, "has a '..' component");
    expect_error(MIN_CTR "tmpfs = /\n", 4, "cannot mount over the container's root");
    expect_error(MIN_CTR "tmpfs = /proc/acpi\n", 4, "'/proc/acpi' would hide the kernel's files");
    expect_error(MIN_CTR "tmpfs = /sys:size=1M\n", 4, "'/sys' would hide the kernel's files");
    /* Every problem of one entry at once. */
    d = load_fail_at(__FILE__, __LINE__, MIN_CTR "tmpfs = t:size=1,mode=9,x\n");
    ASSERT_EQ(d.n, 4);
    ASSERT(diag_has(&d, 4, "container path 't' is relative"));
    ASSERT(diag_has(&d, 4, "size '1' is too small"));
    ASSERT(diag_has(&d, 4, "invalid mode '9'"));
    ASSERT(diag_has(&d, 4, "unknown option 'x'"));
    config_diag_clear(&d);
}

static void test_error_mount_duplicate_target(void)
{
    struct corral_config *c;

    expect_only(MIN_CTR "tmpfs = /t\ntmpfs = /t:size=1M\n",
                "5: [container web] tmpfs: '/t' is already mounted by the tmpfs at line 4 "
                "(expected one mount per container path)");
    /* A volume and a tmpfs, in either order: the later is reported. */
    expect_only(MIN_CTR "volume = /h:/data\ntmpfs = /data\n",
                "5: [container web] tmpfs: '/data' is already mounted by the volume at line 4 "
                "(expected one mount per container path)");
    expect_only(MIN_CTR "tmpfs = /data/\nvolume = /h:/data:ro\n",
                "5: [container web] volume: '/data' is already mounted by the tmpfs at line 4 "
                "(expected one mount per container path)");
    /* A mount below another is not the same path. */
    c = load_ok(MIN_CTR "tmpfs = /data\nvolume = /h:/data/sub\n");
    ASSERT_EQ(c->containers[0].n_tmpfs, 1);
    ASSERT_EQ(c->containers[0].n_volumes, 1);
    config_free(c);
}

/* ---- all problems at once ------------------------------------------------ */

static void test_error_many_in_one_run(void)
{
    struct config_diag d = load_fail_at(__FILE__, __LINE__,
                                        "[container web]\n"      /* 1: rootfs missing */
                                        "command = 'x\n"         /* 2 */
                                        "stop_timeout = soon\n"  /* 3 */
                                        "garbage\n"              /* 4 */
                                        "[network]\n"            /* 5 */
                                        "subnet = 10.0.0.0/31\n" /* 6 */
                                        "nat = perhaps\n"        /* 7 */
                                        "[bogus]\n"              /* 8 */
                                        "[supervisor]\n"         /* 9 */
                                        "stop_timeout = later\n" /* 10 */
                                        "whatever = 1\n"         /* 11 */
                                        "stop_timeout = 1s\n");  /* 12 */
    static const char *const want[] = {
        ":1: [container web] rootfs: missing required key",
        ":2: [container web] command: unterminated quote",
        ":3: [container web] stop_timeout: invalid duration 'soon'",
        ":4: syntax error",
        ":6: [network] subnet: prefix length /31",
        ":7: [network] nat: invalid boolean 'perhaps'",
        ":8: [bogus]: unknown section",
        ":10: [supervisor] stop_timeout: invalid duration 'later'",
        ":11: [supervisor] whatever: unknown key",
        ":12: [supervisor] stop_timeout: duplicate key (first at line 10)",
    };

    if (d.n != ELEMENTSOF(want))
        print_diag(&d);
    ASSERT_EQ(d.n, ELEMENTSOF(want));
    /* Sorted by line even though they were found in two passes. */
    for (size_t i = 0; i < ELEMENTSOF(want); i++) {
        ASSERT(strncmp(d.lines[i], NAME, strlen(NAME)) == 0);
        ASSERT(strncmp(d.lines[i] + strlen(NAME), want[i], strlen(want[i])) == 0);
    }
    ASSERT(d.lines[d.n] == NULL);
    config_diag_clear(&d);
    ASSERT(d.lines == NULL && d.n == 0);
}

static void test_diag_appends_and_may_be_null(void)
{
    struct config_diag d = {};
    struct corral_config *c = untouched;

    ASSERT_EQ(config_load_string(NAME, "x\n", &c, &d), -EINVAL);
    ASSERT_EQ(config_load_string(NAME, "[bogus]\n", &c, &d), -EINVAL);
    ASSERT_EQ(d.n, 2);
    ASSERT(strstr(d.lines[0], "syntax error"));
    ASSERT(strstr(d.lines[1], "unknown section"));
    config_diag_clear(&d);
    ASSERT_EQ(config_load_string(NAME, "x\n", &c, NULL), -EINVAL);
    ASSERT(c == untouched);
    ASSERT_EQ(config_load_string(NAME, "", &c, NULL), 0);
    ASSERT(c != untouched && c);
    config_free(c);
    config_free(NULL);
}

/* ---- paths --------------------------------------------------------------- */

static void test_relative_paths(void)
{
    struct corral_config *c = load_ok("[supervisor]\n"
                                      "state_dir = state\n"
                                      "run_dir = ./run//x/\n"
                                      "log_dir = ../log\n"
                                      "[container a]\nrootfs = rootfs/a\ncommand = x\n"
                                      "[container b]\nrootfs = .\ncommand = x\n"
                                      "[container c]\nrootfs = //abs///path//\ncommand = x\n"
                                      "[container d]\nrootfs = /\ncommand = x\n"
                                      "[container e]\nrootfs = /a/./b/.\ncommand = x\n");

    ASSERT_STREQ(c->sup.state_dir, "/etc/corral/state");
    ASSERT_STREQ(c->sup.run_dir, "/etc/corral/run/x");
    /* ".." is kept: lexical resolution would be wrong across symlinks. */
    ASSERT_STREQ(c->sup.log_dir, "/etc/corral/../log");
    ASSERT_STREQ(c->containers[0].rootfs, "/etc/corral/rootfs/a");
    ASSERT_STREQ(c->containers[1].rootfs, "/etc/corral");
    ASSERT_STREQ(c->containers[2].rootfs, "/abs/path");
    ASSERT_STREQ(c->containers[3].rootfs, "/");
    ASSERT_STREQ(c->containers[4].rootfs, "/a/b");
    config_free(c);

    c = load_ok_name("/corral.ini", "[container a]\nrootfs = r\ncommand = x\n");
    ASSERT_STREQ(c->containers[0].rootfs, "/r");
    config_free(c);
    c = load_ok_name("//etc//corral.ini", "[container a]\nrootfs = r/\ncommand = x\n");
    ASSERT_STREQ(c->containers[0].rootfs, "/etc/r");
    config_free(c);
}

static void test_relative_paths_relative_name(void)
{
    _cleanup_free_ char *cwd = getcwd(NULL, 0), *want_a = NULL, *want_b = NULL;
    struct corral_config *c;

    ASSERT(cwd);
    ASSERT(asprintf(&want_a, "%s/rootfs", streq(cwd, "/") ? "" : cwd) >= 0);
    ASSERT(asprintf(&want_b, "%s/conf/sub/rootfs", streq(cwd, "/") ? "" : cwd) >= 0);

    c = load_ok_name("corral.ini", "[container a]\nrootfs = rootfs\ncommand = x\n");
    ASSERT_STREQ(c->containers[0].rootfs, want_a);
    ASSERT_STREQ(c->path, "corral.ini");
    config_free(c);
    c = load_ok_name("conf/sub/corral.ini", "[container a]\nrootfs = ./rootfs\ncommand = x\n");
    ASSERT_STREQ(c->containers[0].rootfs, want_b);
    config_free(c);
    c = load_ok_name("./conf//sub/corral.ini", "[container a]\nrootfs = rootfs\ncommand = x\n");
    ASSERT_STREQ(c->containers[0].rootfs, want_b);
    config_free(c);
}

static void test_error_cannot_resolve_relative_path(void)
{
    char dir[] = "/tmp/test-config-XXXXXX";
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    struct config_diag d = {};
    struct corral_config *c = untouched;

    /* Relative name, relative path, and no cwd to resolve them against. */
    ASSERT(cwd);
    ASSERT(mkdtemp(dir));
    ASSERT(chdir(dir) == 0);
    ASSERT(rmdir(dir) == 0);
    ASSERT_EQ(config_load_string("corral.ini", "[container a]\nrootfs = r\ncommand = x\n", &c, &d),
              -EINVAL);
    ASSERT(chdir(cwd) == 0);
    ASSERT(c == untouched);
    ASSERT_EQ(d.n, 1);
    ASSERT_STREQ(d.lines[0], "corral.ini:2: [container a] rootfs: cannot resolve relative path "
                             "'r': No such file or directory");
    config_diag_clear(&d);

    /* Absolute paths need no cwd. */
    strcpy(dir, "/tmp/test-config-XXXXXX");
    ASSERT(mkdtemp(dir));
    ASSERT(chdir(dir) == 0);
    ASSERT(rmdir(dir) == 0);
    ASSERT_EQ(config_load_string("corral.ini", "[container a]\nrootfs = /r\ncommand = x\n", &c, &d),
              0);
    ASSERT(chdir(cwd) == 0);
    config_free(c);
}

/* ---- files --------------------------------------------------------------- */

static void test_load_file(void)
{
    char dir[] = "/tmp/test-config-XXXXXX";
    _cleanup_free_ char *path = NULL, *want = NULL;
    struct corral_config *c = NULL;
    struct config_diag d = {};
    FILE *f;

    ASSERT(mkdtemp(dir));
    ASSERT(asprintf(&path, "%s/corral.ini", dir) >= 0);
    ASSERT(asprintf(&want, "%s/rootfs", dir) >= 0);
    f = fopen(path, "we");
    ASSERT(f);
    fputs("[container web]\nrootfs = rootfs\ncommand = /bin/true\n", f);
    ASSERT(fclose(f) == 0);

    ASSERT_EQ(config_load_file(path, &c, &d), 0);
    ASSERT_EQ(d.n, 0);
    ASSERT_STREQ(c->path, path);
    ASSERT_STREQ(c->containers[0].rootfs, want);
    config_free(c);
    ASSERT(unlink(path) == 0);
    ASSERT(rmdir(dir) == 0);
}

static void test_error_cannot_read(void)
{
    struct config_diag d = {};
    struct corral_config *c = untouched;

    ASSERT_EQ(config_load_file("/nonexistent/corral.ini", &c, &d), -ENOENT);
    ASSERT(c == untouched);
    ASSERT_EQ(d.n, 1);
    ASSERT_STREQ(d.lines[0], "/nonexistent/corral.ini: cannot read: No such file or directory");
    config_diag_clear(&d);

    ASSERT_EQ(config_load_file("/tmp", &c, &d), -EISDIR);
    ASSERT_STREQ(d.lines[0], "/tmp: cannot read: Is a directory");
    config_diag_clear(&d);
    ASSERT(c == untouched);
}

static void test_check_host(void)
{
    char dir[] = "/tmp/test-config-XXXXXX";
    _cleanup_free_ char *good = NULL, *file = NULL, *text = NULL;
    struct config_diag d = {};
    struct corral_config *c;
    char want[512];
    int fd;

    ASSERT(mkdtemp(dir));
    ASSERT(asprintf(&good, "%s/good", dir) >= 0);
    ASSERT(asprintf(&file, "%s/file", dir) >= 0);
    ASSERT(mkdir(good, 0755) == 0);
    fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT(fd >= 0);
    close(fd);

    /* A regular file is an archive to unpack: opened, not read, here. */
    ASSERT(asprintf(&text,
                    "[container ok]\ncommand = x\nrootfs = %s\n"
                    "[container missing]\ncommand = x\nrootfs = %s/missing\n"
                    "[container file]\ncommand = x\n\nrootfs = %s\n"
                    "[container under-file]\nrootfs = %s/x\ncommand = x\n",
                    good, dir, file, file) >= 0);
    c = load_ok(text);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    ASSERT_EQ(d.n, 2);
    snprintf(want, sizeof(want), NAME ":6: [container missing] rootfs: '%s/missing' does not exist",
             dir);
    ASSERT_STREQ(d.lines[0], want);
    snprintf(want, sizeof(want), NAME ":12: [container under-file] rootfs: '%s/x' does not exist",
             file);
    ASSERT_STREQ(d.lines[1], want);
    config_diag_clear(&d);
    config_free(c);

    free(text);
    text = NULL;
    ASSERT(asprintf(&text, "[container ok]\ncommand = x\nrootfs = %s//\n", good) >= 0);
    c = load_ok(text);
    ASSERT_EQ(config_check_host(c, &d), 0);
    ASSERT_EQ(d.n, 0);
    ASSERT_EQ(config_check_host(c, NULL), 0);
    config_free(c);

    /* Any other stat() failure is reported with its reason. */
    free(text);
    text = NULL;
    ASSERT(asprintf(&text, "%s/loop", dir) >= 0);
    ASSERT(symlink(text, text) == 0);
    free(text);
    text = NULL;
    ASSERT(asprintf(&text, "[container l]\ncommand = x\nrootfs = %s/loop\n", dir) >= 0);
    c = load_ok(text);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    snprintf(want, sizeof(want),
             NAME ":3: [container l] rootfs: cannot access '%s/loop': Too many levels of symbolic "
                  "links",
             dir);
    ASSERT_EQ(d.n, 1);
    ASSERT_STREQ(d.lines[0], want);
    config_diag_clear(&d);
    config_free(c);
    free(text);
    text = NULL;
    ASSERT(asprintf(&text, "%s/loop", dir) >= 0);
    ASSERT(unlink(text) == 0);

    ASSERT(unlink(file) == 0);
    ASSERT(rmdir(good) == 0);
    ASSERT(rmdir(dir) == 0);
}

/* Drop or take back the capabilities that let root read any file. */
static void set_dac_bypass(cap_flag_value_t value)
{
    static const cap_value_t dac[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
    cap_t caps = cap_get_proc();

    ASSERT(caps);
    ASSERT(cap_set_flag(caps, CAP_EFFECTIVE, ELEMENTSOF(dac), dac, value) == 0);
    ASSERT(cap_set_proc(caps) == 0);
    cap_free(caps);
}

/* dir/name made as a file of that mode (for the host checks). */
static void touch_at(const char *dir, const char *name, mode_t mode)
{
    char path[256];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
    ASSERT(fd >= 0);
    close(fd);
}

static void test_check_host_seccomp(void)
{
    char dir[] = "/tmp/test-config-XXXXXX";
    _cleanup_free_ char *text = NULL, *want = NULL;
    struct config_diag d = {};
    struct corral_config *c;
    char path[256];

    ASSERT(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/rootfs", dir);
    ASSERT(mkdir(path, 0755) == 0);
    touch_at(dir, "ok.json", 0644);
    touch_at(dir, "secret.json", 0);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ASSERT(mkfifo(path, 0644) == 0);
    snprintf(path, sizeof(path), "%s/corral.ini", dir);

    /* Found and opened, not read: a FIFO would block, and is refused. The
     * built-in filter and unconfined have no file to check. */
    ASSERT(asprintf(&text,
                    "[container ok]\nrootfs = rootfs\ncommand = x\nseccomp = ok.json\n"
                    "[container missing]\nrootfs = rootfs\ncommand = x\nseccomp = no.json\n"
                    "[container dir]\nrootfs = rootfs\ncommand = x\nseccomp = .\n"
                    "[container fifo]\nrootfs = rootfs\ncommand = x\nseccomp = fifo\n"
                    "[container under]\nrootfs = rootfs\ncommand = x\nseccomp = ok.json/x\n"
                    "[container loop]\nrootfs = rootfs\ncommand = x\nseccomp = loop\n"
                    "[container def]\nrootfs = rootfs\ncommand = x\nseccomp = default\n"
                    "[container unc]\nrootfs = rootfs\ncommand = x\nseccomp = unconfined\n") >= 0);
    snprintf(path, sizeof(path), "%s/loop", dir);
    ASSERT(symlink(path, path) == 0);
    snprintf(path, sizeof(path), "%s/corral.ini", dir);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    if (d.n != 5)
        print_diag(&d);
    ASSERT_EQ(d.n, 5);
#define EXPECT_LINE(i, fmt, ...)                                                                   \
    do {                                                                                           \
        free(want);                                                                                \
        ASSERT(asprintf(&want, "%s" fmt, path, __VA_ARGS__) >= 0);                                 \
        ASSERT_STREQ(d.lines[i], want);                                                            \
    } while (0)
    EXPECT_LINE(0, ":8: [container missing] seccomp: '%s/no.json' does not exist", dir);
    EXPECT_LINE(1,
                ":12: [container dir] seccomp: '%s' is a directory (expected a JSON seccomp "
                "profile)",
                dir);
    EXPECT_LINE(2,
                ":16: [container fifo] seccomp: '%s/fifo' is not a regular file (expected a "
                "JSON seccomp profile)",
                dir);
    EXPECT_LINE(3, ":20: [container under] seccomp: '%s/ok.json/x' does not exist", dir);
    EXPECT_LINE(4,
                ":24: [container loop] seccomp: cannot access '%s/loop': Too many levels of "
                "symbolic links",
                dir);
    config_diag_clear(&d);
    config_free(c);

    /* A file we may not read; as root, only without the DAC bypass. */
    free(text);
    ASSERT(asprintf(&text,
                    "[container s]\nrootfs = rootfs\ncommand = x\nseccomp = secret.json\n") >= 0);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    if (geteuid() == 0)
        set_dac_bypass(CAP_CLEAR);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    if (geteuid() == 0)
        set_dac_bypass(CAP_SET);
    ASSERT_EQ(d.n, 1);
    EXPECT_LINE(0, ":4: [container s] seccomp: cannot read '%s/secret.json': Permission denied",
                dir);
#undef EXPECT_LINE
    config_diag_clear(&d);
    ASSERT_EQ(config_check_host(c, NULL), geteuid() == 0 ? 0 : -EINVAL);
    config_free(c);

    /* A good profile passes, and the check left it unread and unchanged. */
    free(text);
    ASSERT(asprintf(&text, "[container ok]\nrootfs = rootfs\ncommand = x\nseccomp = ok.json\n") >=
           0);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    ASSERT_EQ(config_check_host(c, &d), 0);
    ASSERT_EQ(d.n, 0);
    config_free(c);

    snprintf(path, sizeof(path), "%s/ok.json", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/secret.json", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/loop", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/rootfs", dir);
    ASSERT(rmdir(path) == 0);
    ASSERT(rmdir(dir) == 0);
}

static void test_check_host_rootfs_archive(void)
{
    char dir[] = "/tmp/test-config-XXXXXX";
    _cleanup_free_ char *text = NULL, *want = NULL;
    struct config_diag d = {};
    struct corral_config *c;
    char path[256];

    ASSERT(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/rootfs", dir);
    ASSERT(mkdir(path, 0755) == 0);
    touch_at(dir, "web.tar.gz", 0644);
    touch_at(dir, "secret.tar", 0);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ASSERT(mkfifo(path, 0644) == 0);
    snprintf(path, sizeof(path), "%s/corral.ini", dir);

    /* A directory in any mode; an archive under an overlay or copied, not
     * bound (its tree is the image store's); an image is not ours to
     * check; a FIFO is neither. */
    ASSERT(asprintf(&text,
                    "[container dir]\nrootfs = rootfs\ncommand = x\nrootfs_mode = bind\n"
                    "[container tar]\nrootfs = web.tar.gz\ncommand = x\n"
                    "[container tar-copy]\nrootfs = web.tar.gz\ncommand = x\nrootfs_mode = copy\n"
                    "[container tar-bind]\nrootfs = web.tar.gz\ncommand = x\nrootfs_mode = bind\n"
                    "[container img]\nimage = nowhere\ncommand = x\n"
                    "[container fifo]\nrootfs = fifo\ncommand = x\n") >= 0);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    if (d.n != 2)
        print_diag(&d);
    ASSERT_EQ(d.n, 2);
#define EXPECT_LINE(i, fmt, ...)                                                                   \
    do {                                                                                           \
        free(want);                                                                                \
        ASSERT(asprintf(&want, "%s" fmt, path, __VA_ARGS__) >= 0);                                 \
        ASSERT_STREQ(d.lines[i], want);                                                            \
    } while (0)
    EXPECT_LINE(0,
                ":15: [container tar-bind] rootfs_mode: rootfs_mode = bind would let the "
                "container write into the image unpacked from '%s/web.tar.gz'; use overlay or "
                "copy",
                dir);
    EXPECT_LINE(1,
                ":20: [container fifo] rootfs: '%s/fifo' is neither a directory nor an archive "
                "file",
                dir);
    config_diag_clear(&d);
    config_free(c);

    /* An archive we may not read; as root, only without the DAC bypass. */
    free(text);
    ASSERT(asprintf(&text, "[container s]\nrootfs = secret.tar\ncommand = x\n") >= 0);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    if (geteuid() == 0)
        set_dac_bypass(CAP_CLEAR);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    if (geteuid() == 0)
        set_dac_bypass(CAP_SET);
    ASSERT_EQ(d.n, 1);
    EXPECT_LINE(0, ":2: [container s] rootfs: cannot read '%s/secret.tar': Permission denied", dir);
#undef EXPECT_LINE
    config_diag_clear(&d);
    config_free(c);

    snprintf(path, sizeof(path), "%s/web.tar.gz", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/secret.tar", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/rootfs", dir);
    ASSERT(rmdir(path) == 0);
    ASSERT(rmdir(dir) == 0);
}

static void test_check_host_volumes(void)
{
    char dir[] = "/tmp/test-config-XXXXXX";
    _cleanup_free_ char *text = NULL, *want = NULL;
    struct config_diag d = {};
    struct corral_config *c;
    char path[256];

    ASSERT(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/data", dir);
    ASSERT(mkdir(path, 0755) == 0);
    touch_at(dir, "file", 0644);
    snprintf(path, sizeof(path), "%s/loop", dir);
    ASSERT(symlink(path, path) == 0);
    snprintf(path, sizeof(path), "%s/corral.ini", dir);

    /* Directories and files are bound; a device node would reach the host's
     * device; the rest must exist first. Each entry on its own line. */
    ASSERT(asprintf(&text, "[container web]\nrootfs = data\ncommand = x\n"
                           "volume = data:/data\n"
                           "volume = file:/etc/f:ro\n"
                           "volume = missing:/m\n"
                           "volume = file/x:/x\n"
                           "volume = loop:/l\n"
                           "volume = /dev/null:/n\n"
                           "[container img]\nimage = base\ncommand = x\nvolume = data:/d\n"
                           "volume = gone:/g\n") >= 0);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    if (d.n != 5)
        print_diag(&d);
    ASSERT_EQ(d.n, 5);
#define EXPECT_LINE(i, fmt, ...)                                                                   \
    do {                                                                                           \
        free(want);                                                                                \
        ASSERT(asprintf(&want, "%s" fmt, path, __VA_ARGS__) >= 0);                                 \
        ASSERT_STREQ(d.lines[i], want);                                                            \
    } while (0)
    EXPECT_LINE(0,
                ":6: [container web] volume: '%s/missing' does not exist (a volume's host side "
                "must exist; create it first)",
                dir);
    EXPECT_LINE(1,
                ":7: [container web] volume: '%s/file/x' does not exist (a volume's host side "
                "must exist; create it first)",
                dir);
    EXPECT_LINE(2,
                ":8: [container web] volume: cannot access '%s/loop': Too many levels of "
                "symbolic links",
                dir);
    EXPECT_LINE(3, "%s",
                ":9: [container web] volume: '/dev/null' is a device node (expected a directory "
                "or a file: a container gets no host devices)");
    EXPECT_LINE(4,
                ":14: [container img] volume: '%s/gone' does not exist (a volume's host side "
                "must exist; create it first)",
                dir);
#undef EXPECT_LINE
    config_diag_clear(&d);
    config_free(c);

    free(text);
    ASSERT(asprintf(&text, "[container web]\nrootfs = data\ncommand = x\nvolume = data:/data\n"
                           "volume = file:/f:ro\ntmpfs = /t\n") >= 0);
    ASSERT(config_load_string(path, text, &c, &d) == 0);
    ASSERT_EQ(config_check_host(c, &d), 0);
    ASSERT_EQ(d.n, 0);
    config_free(c);

    snprintf(path, sizeof(path), "%s/loop", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/file", dir);
    ASSERT(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/data", dir);
    ASSERT(rmdir(path) == 0);
    ASSERT(rmdir(dir) == 0);
}

static void test_diag_container(void)
{
    struct corral_config *c = load_ok("[container a]\nimage = base\nrootfs_mode = copy\n"
                                      "command = x\n"
                                      "[container b]\ncommand = x\nrootfs = /r.tar\n");
    struct config_diag d = {};

    /* Each key's own line; a key with no line of its own, the header's. */
    config_diag_container(&d, c, &c->containers[0], "image", "no image named '%s' (expected %s)",
                          "base", "corral image import FILE --name base");
    config_diag_container(&d, c, &c->containers[0], "rootfs_mode", "%s", "x");
    config_diag_container(&d, c, &c->containers[0], "rootfs", "%d", 1);
    config_diag_container(&d, c, &c->containers[1], "rootfs", "not a tar archive");
    config_diag_container(&d, c, &c->containers[1], "volume", "v");
    config_diag_container(&d, c, &c->containers[1], "rootfs_mode", "m");
    config_diag_container(&d, c, &c->containers[1], NULL, "whole");
    config_diag_container(NULL, c, &c->containers[1], "image", "dropped");
    /* Appended in the order given, after what was there. */
    ASSERT_EQ(d.n, 7);
    ASSERT(d.lines[7] == NULL);
    ASSERT_STREQ(d.lines[0], NAME ":2: [container a] image: no image named 'base' (expected "
                                  "corral image import FILE --name base)");
    ASSERT_STREQ(d.lines[1], NAME ":3: [container a] rootfs_mode: x");
    ASSERT_STREQ(d.lines[2], NAME ":1: [container a] rootfs: 1");
    ASSERT_STREQ(d.lines[3], NAME ":7: [container b] rootfs: not a tar archive");
    ASSERT_STREQ(d.lines[4], NAME ":5: [container b] volume: v");
    ASSERT_STREQ(d.lines[5], NAME ":5: [container b] rootfs_mode: m");
    ASSERT_STREQ(d.lines[6], NAME ":5: [container b]: whole");
    config_diag_clear(&d);

    /* After config_check_host()'s lines, in the same format. */
    ASSERT_EQ(config_check_host(c, &d), -EINVAL);
    ASSERT_EQ(d.n, 1);
    ASSERT_STREQ(d.lines[0], NAME ":7: [container b] rootfs: '/r.tar' does not exist");
    config_diag_container(&d, c, &c->containers[0], "image", "no image named 'base'");
    ASSERT_EQ(d.n, 2);
    ASSERT_STREQ(d.lines[1], NAME ":2: [container a] image: no image named 'base'");
    config_diag_clear(&d);
    config_free(c);
}

/* ---- dump ---------------------------------------------------------------- */

static void test_dump_round_trip_defaults(void)
{
    struct corral_config *c = load_ok(MIN_CTR);
    _cleanup_free_ char *text = dump(c);

    /* Every default is written out. */
    ASSERT(strstr(text, "\n[supervisor]\nstate_dir = /var/lib/corral\nrun_dir = /run/corral\n"
                        "log_dir = /var/log/corral\ncgroup_parent = corral\n"
                        "stop_timeout = 10s\npause_timeout = 10s\n"));
    ASSERT(strstr(text, "\n[network]\nbridge = corral0\nsubnet = 10.88.0.0/24\n"
                        "gateway = 10.88.0.1\nnat = yes\nicc = yes\ndns = host\n"));
    ASSERT(strstr(text, "\n[container web]\nrootfs = /srv/web\nrootfs_mode = overlay\n"
                        "ephemeral = no\ncommand = [\"/bin/true\"]\n"
                        "hostname = web\n"
                        "env = PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
                        "env = HOSTNAME=web\nenv = HOME=/root\nenv = container=corral\n"
                        "workdir = /\nstop_signal = SIGTERM\nstop_timeout = 10s\n"
                        "pause_timeout = 10s\n"));
    /* The restart and log defaults, in [supervisor] and in the container;
     * 0 is the only success, and there is no dependency to write. */
#define POLICY_DEFAULTS                                                                            \
    "pause_timeout = 10s\nrestart = no\nrestart_max = unlimited\nrestart_delay = 100ms\n"          \
    "restart_delay_max = 60s\nrestart_reset_after = 10s\nstart_grace = 1s\n"                       \
    "log_max_size = 10M\nlog_max_files = 5\n"
    ASSERT(strstr(text, "cgroup_parent = corral\nstop_timeout = 10s\n" POLICY_DEFAULTS
                        "userns_pool = 100000:6553600\n\n[network]\n"));
    ASSERT(strstr(text, "stop_signal = SIGTERM\nstop_timeout = 10s\n" POLICY_DEFAULTS
                        "success_exit_codes = 0\n"));
    ASSERT(!strstr(text, "depends_on"));
#undef POLICY_DEFAULTS
    /* Unset limits are not written: there is nothing to write for them. */
    ASSERT(!strstr(text, "memory"));
    ASSERT(!strstr(text, "cpu"));
    ASSERT(!strstr(text, "pids"));
    /* On the bridge with a leased address; no MAC, port or peer to write. */
    ASSERT(strstr(text, "success_exit_codes = 0\nnetwork = bridge\nip = auto\n"));
    ASSERT(!strstr(text, "mac"));
    ASSERT(!strstr(text, "publish"));
    ASSERT(!strstr(text, "connect"));
    assert_round_trip(c);
    config_free(c);

    c = load_ok("");
    assert_round_trip(c);
    config_free(c);
}

static void test_dump_round_trip_everything(void)
{
    struct corral_config *c = load_ok("[supervisor]\n"
                                      "state_dir = state\n"
                                      "run_dir = /run/x\n"
                                      "log_dir = /log\n"
                                      "cgroup_parent = a/b\n"
                                      "stop_timeout = 1500ms\n"
                                      "pause_timeout = 2s\n"
                                      "userns_pool = 65536:655360\n"
                                      "[network]\n"
                                      "bridge = br0\n"
                                      "subnet = 192.168.0.0/16\n"
                                      "gateway = 192.168.3.4\n"
                                      "nat = off\n"
                                      "icc = false\n"
                                      "dns = 1.1.1.1 9.9.9.9\n"
                                      "[container web]\n"
                                      "rootfs = ../web\n"
                                      "command = sh -c 'echo \"hi\"; exit 3' a\\'b \\\\\n"
                                      "hostname = www\n"
                                      "env = FOO=bar baz\n"
                                      "env = PATH=/bin\n"
                                      "workdir = /srv\n"
                                      "stop_signal = 40\n"
                                      "stop_timeout = 1m\n"
                                      "pause_timeout = 0\n"
                                      "memory = 1.5G\n"
                                      "memory_swap = 4G\n"
                                      "cpus = .25\n"
                                      "cpu_weight = 200\n"
                                      "cpuset_cpus = 0-3,5\n"
                                      "cpuset_mems = 0\n"
                                      "io_weight = 50\n"
                                      "pids = 128\n"
                                      "userns = 1000:1000\n"
                                      "[container json]\n"
                                      "rootfs = /j\n"
                                      "command = [\"a\\u0020;b\", \"\\u00e9\", \"tab\\there\"]\n"
                                      "stop_signal = KILL\n"
                                      "userns = yes\n"
                                      "[container raw]\n"
                                      "rootfs = /r\n"
                                      "command = /bin/\xff\xfe arg\n");
    _cleanup_free_ char *text = NULL;

    assert_argv(c->containers[1].argv, "a ;b", "\xc3\xa9", "tab\there", NULL);
    text = dump(c);
    /* " ;" would start an inline comment: it must be escaped. */
    ASSERT(strstr(text, "command = [\"a \\u003bb\""));
    /* Not UTF-8, so not JSON: written as shell words instead. */
    ASSERT(strstr(text, "command = '/bin/\xff\xfe' arg\n"));
    ASSERT(strstr(text, "stop_signal = 40\n"));
    ASSERT(strstr(text, "stop_timeout = 1500ms\n"));
    ASSERT(strstr(text, "dns = 1.1.1.1 9.9.9.9\n"));
    ASSERT(strstr(text, "[supervisor]\n"));
    ASSERT(strstr(text, "stop_timeout = 1500ms\npause_timeout = 2s\n"));
    /* The restart and log settings sit between the timeouts and the limits. */
    ASSERT(strstr(text, "stop_timeout = 60s\npause_timeout = 0s\nrestart = no\n"));
    ASSERT(strstr(text, "log_max_files = 5\nsuccess_exit_codes = 0\nmemory = 1536M\n"
                        "memory_swap = 4G\ncpus = 0.25\ncpu_weight = 200\n"
                        "cpuset_cpus = 0-3,5\ncpuset_mems = 0\nio_weight = 50\npids = 128\n"));
    /* [container json] inherits [supervisor]'s pause_timeout. */
    ASSERT(strstr(text, "stop_signal = SIGKILL\nstop_timeout = 1500ms\npause_timeout = 2s\n"));
    ASSERT(strstr(text, "userns_pool = 65536:655360\n"));
    ASSERT(strstr(text, "userns = 1000:1000\n"));
    ASSERT(strstr(text, "userns = yes\n"));
    ASSERT(strstr(text, "userns = no\n"));
    assert_round_trip(c);
    config_free(c);
}

static void test_dump_limits(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"memory = 256m", "memory = 256M\n"},
        {"memory = 4.5M", "memory = 4608K\n"},
        {"memory = 4194305", "memory = 4194305\n"},
        {"memory = 1024M", "memory = 1G\n"},
        {"memory = 2048G", "memory = 2T\n"},
        {"memory = 4M\nmemory_swap = 5000000b", "memory_swap = 5000000\n"},
        {"cpus = .5", "cpus = 0.5\n"},
        {"cpus = 1.250", "cpus = 1.25\n"},
        {"cpus = 0.0095", "cpus = 0.01\n"},
        {"cpus = 0.12", "cpus = 0.12\n"},
        {"cpus = 0.0625", "cpus = 0.063\n"},
        {"cpus = 2.000", "cpus = 2\n"},
        {"cpus = 1024", "cpus = 1024\n"},
        {"cpu_weight = 0100", "cpu_weight = 100\n"},
        {"io_weight = 7", "io_weight = 7\n"},
        {"pids = 4194304", "pids = 4194304\n"},
        {"cpuset_cpus = 5,0-3", "cpuset_cpus = 5,0-3\n"},
        {"cpuset_mems = 0-1", "cpuset_mems = 0-1\n"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *in = NULL, *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&in, MIN_CTR "%s\n", cases[i].in) >= 0);
        c = load_ok(in);
        text = dump(c);
        if (!strstr(text, cases[i].out)) {
            fprintf(stderr, "no \"%s\" in the dump of \"%s\":\n%s", cases[i].out, cases[i].in,
                    text);
            exit(1);
        }
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_dump_round_trip_policies(void)
{
    struct corral_config *c = load_ok("[supervisor]\n"
                                      "restart = on-failure:4\n"
                                      "restart_delay = 250ms\n"
                                      "restart_delay_max = 2m\n"
                                      "restart_reset_after = 30s\n"
                                      "start_grace = 1500ms\n"
                                      "log_max_size = 1G\n"
                                      "log_max_files = 10\n"
                                      "[container web]\n"
                                      "rootfs = /w\n"
                                      "command = x\n"
                                      "restart = always\n"
                                      "restart_max = 7\n"
                                      "restart_delay = 1s\n"
                                      "restart_delay_max = 1h\n"
                                      "restart_reset_after = 0\n"
                                      "start_grace = 0\n"
                                      "success_exit_codes = 255, 3 42 3\n"
                                      "depends_on = db cache db\n"
                                      "log_max_size = 4097\n"
                                      "log_max_files = 1000\n"
                                      "memory = 64M\n"
                                      "[container db]\n"
                                      "rootfs = /d\n"
                                      "command = x\n"
                                      "restart = unless-stopped\n"
                                      "[container cache]\n"
                                      "rootfs = /c\n"
                                      "command = x\n"
                                      "restart = on-failure:2\n"
                                      "depends_on = db\n"
                                      "[container job]\n"
                                      "rootfs = /j\n"
                                      "command = x\n");
    _cleanup_free_ char *text = dump(c);

    /* on-failure:N is written as its two halves, which read back the same. */
    ASSERT(strstr(text, "pause_timeout = 10s\nrestart = on-failure\nrestart_max = 4\n"
                        "restart_delay = 250ms\nrestart_delay_max = 120s\n"
                        "restart_reset_after = 30s\nstart_grace = 1500ms\nlog_max_size = 1G\n"
                        "log_max_files = 10\nuserns_pool = 100000:6553600\n\n[network]\n"));
    ASSERT(strstr(text, "pause_timeout = 10s\nrestart = always\nrestart_max = 7\n"
                        "restart_delay = 1s\nrestart_delay_max = 3600s\n"
                        "restart_reset_after = 0s\nstart_grace = 0s\nlog_max_size = 4097\n"
                        "log_max_files = 1000\nsuccess_exit_codes = 0 3 42 255\n"
                        "depends_on = db cache\nmemory = 64M\n"));
    /* db's own policy has no limit of its own: [supervisor]'s 4 is not inherited. */
    ASSERT(strstr(text, "[container db]\n"));
    ASSERT(strstr(text, "restart = unless-stopped\nrestart_max = unlimited\n"
                        "restart_delay = 250ms\nrestart_delay_max = 120s\n"
                        "restart_reset_after = 30s\nstart_grace = 1500ms\nlog_max_size = 1G\n"
                        "log_max_files = 10\nsuccess_exit_codes = 0\nnetwork = bridge\nip = auto\n"
                        "# capabilities: "));
    ASSERT(strstr(text, "restart = on-failure\nrestart_max = 2\n"));
    ASSERT(strstr(text, "success_exit_codes = 0\ndepends_on = db\nnetwork = bridge\nip = auto\n"
                        "# capabilities: "));
    /* job inherits everything; it has no depends_on line. */
    ASSERT(strstr(text, "[container job]\n"));
    ASSERT(strstr(strstr(text, "[container job]\n"),
                  "restart = on-failure\nrestart_max = 4\nrestart_delay = 250ms\n"));
    ASSERT(!strstr(strstr(text, "[container job]\n"), "depends_on"));
    assert_round_trip(c);
    config_free(c);
}

static void test_dump_policy_forms(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"restart = on-failure:3", "restart = on-failure\nrestart_max = 3\n"},
        {"restart = on-failure", "restart = on-failure\nrestart_max = unlimited\n"},
        {"restart = always\nrestart_max = 1000000", "restart = always\nrestart_max = 1000000\n"},
        {"restart_max = unlimited", "restart = no\nrestart_max = unlimited\n"},
        {"restart_delay = 1500ms", "restart_delay = 1500ms\n"},
        {"restart_delay = 0\nrestart_delay_max = 0",
         "restart_delay = 0s\nrestart_delay_max = 0s\n"},
        {"restart_delay = 2m\nrestart_delay_max = 1h",
         "restart_delay = 120s\nrestart_delay_max = 3600s\n"},
        {"restart_reset_after = 0.5s", "restart_reset_after = 500ms\n"},
        {"start_grace = 0", "start_grace = 0s\n"},
        {"log_max_size = 4096", "log_max_size = 4K\n"},
        {"log_max_size = 4097", "log_max_size = 4097\n"},
        {"log_max_size = 1.5G", "log_max_size = 1536M\n"},
        {"log_max_files = 007", "log_max_files = 7\n"},
        {"success_exit_codes = 0", "success_exit_codes = 0\n"},
        {"success_exit_codes = 255,3 3", "success_exit_codes = 0 3 255\n"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *in = NULL, *text = NULL;
        struct corral_config *c;
        ASSERT(asprintf(&in, MIN_CTR "%s\n", cases[i].in) >= 0);
        c = load_ok(in);
        text = dump(c);
        if (!strstr(strstr(text, "[container web]\n"), cases[i].out)) {
            fprintf(stderr, "no \"%s\" in the dump of \"%s\":\n%s", cases[i].out, cases[i].in,
                    text);
            exit(1);
        }
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_dump_security(void)
{
    _cleanup_free_ char *def = cap_names(CONFIG_DEFAULT_CAPS), *want = NULL, *text = NULL;
    _cleanup_free_ char *all = cap_names(all_caps());
    _cleanup_free_ char *extra = cap_names(all_caps() & ~CONFIG_DEFAULT_CAPS);
    struct corral_config *c = load_ok(MIN_CTR);
    const struct {
        const char *in, *out;
    } cases[] = {
        {"cap_add = NET_ADMIN", "cap_add = net_admin\n"},
        {"cap_drop = chown, kill", "cap_drop = chown kill\n"},
        {"cap_add = sys_time net_admin\ncap_drop = kill CHOWN",
         "cap_add = net_admin sys_time\ncap_drop = chown kill\nseccomp = default\n"},
        {"seccomp = unconfined", "seccomp = unconfined\n"},
        {"seccomp = p.json", "seccomp = /etc/corral/p.json\n"},
        {"seccomp = ./a//b/", "seccomp = /etc/corral/a/b\n"},
        {"no_new_privileges = off", "no_new_privileges = no\nmask_paths = yes\n"},
        {"mask_paths = 0", "no_new_privileges = yes\nmask_paths = no\nreadonly_rootfs = no\n"},
        {"readonly_rootfs = on", "readonly_rootfs = yes\n"},
        {"rlimit_nofile = 1024", "rlimit_nofile = 1024:1024\n"},
        {"rlimit_core = 0:unlimited", "rlimit_core = 0:unlimited\n"},
        {"rlimit_stack = 18446744073709551615", "rlimit_stack = unlimited:unlimited\n"},
        {"rlimit_stack = 8388608\nrlimit_nofile = 01:2\nrlimit_as = unlimited",
         "readonly_rootfs = no\nrlimit_as = unlimited:unlimited\nrlimit_nofile = 1:2\n"
         "rlimit_stack = 8388608:8388608\n"},
    };

    /* Defaults: the set in full as a comment, no cap_add or cap_drop, and
     * every other security setting spelled out; no rlimit. */
    text = dump(c);
    ASSERT(asprintf(&want,
                    "ip = auto\n# capabilities:%s\nseccomp = default\nno_new_privileges = yes\n"
                    "mask_paths = yes\nreadonly_rootfs = no\n",
                    def) >= 0);
    ASSERT(strstr(text, want));
    ASSERT(strstr(text, "# capabilities: chown dac_override "));
    ASSERT(!strstr(text, "cap_add"));
    ASSERT(!strstr(text, "cap_drop"));
    ASSERT(!strstr(text, "rlimit"));
    config_free(c);

    /* Nothing kept; or everything, which is written name by name. */
    c = load_ok(MIN_CTR "cap_drop = ALL\n");
    free(text);
    text = dump(c);
    free(want);
    ASSERT(asprintf(&want, "# capabilities: none\ncap_drop =%s\nseccomp = default\n", def) >= 0);
    ASSERT(strstr(text, want));
    assert_round_trip(c);
    config_free(c);
    c = load_ok(MIN_CTR "cap_add = ALL\n");
    free(text);
    text = dump(c);
    free(want);
    ASSERT(asprintf(&want, "# capabilities:%s\ncap_add =%s\nseccomp = default\n", all, extra) >= 0);
    ASSERT(strstr(text, want));
    ASSERT(strstr(text, " sys_admin "));
    assert_round_trip(c);
    config_free(c);

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_free_ char *in = NULL, *out = NULL;
        ASSERT(asprintf(&in, MIN_CTR "%s\n", cases[i].in) >= 0);
        c = load_ok(in);
        out = dump(c);
        if (!strstr(out, cases[i].out)) {
            fprintf(stderr, "no \"%s\" in the dump of \"%s\":\n%s", cases[i].out, cases[i].in, out);
            exit(1);
        }
        assert_round_trip(c);
        config_free(c);
    }
}

static void test_argv_to_string(void)
{
    char *argv[] = {"/bin/sh", "-c", "echo hi; exit 3", "it's", "", "a=b,c:d@e%f+g", "$x", NULL};
    char *none[] = {NULL};
    _cleanup_free_ char *s = config_argv_to_string(argv), *e = config_argv_to_string(none);
    _cleanup_free_ char *text = NULL;
    struct corral_config *c;

    ASSERT_STREQ(s, "/bin/sh -c 'echo hi; exit 3' 'it'\\''s' '' a=b,c:d@e%f+g '$x'");
    ASSERT_STREQ(e, "");

    /* What it prints, the splitter reads back (minus the empty word,
     * which commands may not contain). */
    argv[4] = "tab\there";
    free(s);
    s = config_argv_to_string(argv);
    ASSERT(asprintf(&text, "[container c]\nrootfs = /r\ncommand = %s\n", s) >= 0);
    c = load_ok(text);
    ASSERT(strv_equal(c->containers[0].argv, argv));
    config_free(c);
}

/* ---- known bugs ---------------------------------------------------------- */

/* Last in the list: a failure here stops only itself. */
static void test_error_success_exit_code_long_word(void)
{
    /* 32 characters: longer than the 31 parse_success_codes() copies out
     * of each word. The word must be read whole: "0...03" is 3 (as "003"
     * is) or an error, never 0; "0...0x" is not a number at all. */
    _cleanup_free_ char *zeros = repeat('0', 31), *three = NULL, *x = NULL, *want = NULL;
    struct config_diag d = {};
    struct corral_config *c = NULL;
    int r;

    ASSERT(asprintf(&three, MIN_CTR "success_exit_codes = %s3\n", zeros) >= 0);
    r = config_load_string(NAME, three, &c, &d);
    ASSERT(r == 0 || r == -EINVAL);
    ASSERT(r == -EINVAL || container_spec_success_code(&c->containers[0], 3));
    config_free(c);
    config_diag_clear(&d);

    ASSERT(asprintf(&x, MIN_CTR "success_exit_codes = %sx\n", zeros) >= 0);
    ASSERT(asprintf(&want,
                    "4: [container web] success_exit_codes: invalid exit code '%sx' (expected "
                    "numbers from 0 to 255, e.g. 0 3)",
                    zeros) >= 0);
    expect_only(x, want);
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
    T(test_empty_file_defaults),
    T(test_empty_sections_defaults),
    T(test_container_defaults),
    T(test_supervisor_values),
    T(test_durations),
    T(test_stop_timeout_inherited),
    T(test_pause_timeout_inherited),
    T(test_network_values),
    T(test_network_gateway_default),
    T(test_bridge_name_limits),
    T(test_container_values),
    T(test_stop_signal_forms),
    T(test_multiple_containers_and_find),
    T(test_long_container_name),
    T(test_name_is_valid),
    T(test_syntax_forms),
    T(test_indented_keys_are_not_continuations),
    T(test_error_syntax),
    T(test_error_every_syntax_error_reported),
    T(test_error_nul_byte),
    T(test_error_line_too_long),
    T(test_long_command),
    T(test_error_unknown_section),
    T(test_error_container_without_name),
    T(test_error_container_two_names),
    T(test_error_container_invalid_name),
    T(test_error_duplicate_container),
    T(test_error_duplicate_supervisor),
    T(test_error_duplicate_network),
    T(test_error_key_outside_section),
    T(test_error_unknown_key),
    T(test_error_duplicate_key),
    T(test_error_missing_rootfs),
    T(test_error_missing_command),
    T(test_error_missing_both),
    T(test_error_duration),
    T(test_error_cgroup_parent),
    T(test_error_empty_path),
    T(test_error_bridge),
    T(test_error_subnet_syntax),
    T(test_error_subnet_prefix_not_used),
    T(test_error_path_ends_in_space),
    T(test_error_subnet_prefix),
    T(test_error_subnet_host_bits),
    T(test_error_gateway),
    T(test_error_bool),
    T(test_error_dns),
    T(test_command_words),
    T(test_command_json),
    T(test_error_command_empty),
    T(test_error_command_unterminated_quote),
    T(test_error_command_trailing_backslash),
    T(test_error_command_empty_argument),
    T(test_error_command_json),
    T(test_error_hostname),
    T(test_error_default_hostname),
    T(test_env_order),
    T(test_env_is_repeatable_per_container),
    T(test_error_env),
    T(test_error_workdir),
    T(test_error_stop_signal),
    T(test_limit_values),
    T(test_memory_forms),
    T(test_memory_swap_forms),
    T(test_cpus_forms),
    T(test_weight_and_pids_forms),
    T(test_cpu_list_forms),
    T(test_error_memory),
    T(test_error_memory_swap),
    T(test_error_cpus),
    T(test_error_weights),
    T(test_error_pids),
    T(test_error_cpu_list),
    T(test_error_limits_all_reported),
    T(test_policy_values),
    T(test_restart_policy_forms),
    T(test_restart_max_forms),
    T(test_restart_delay_forms),
    T(test_log_forms),
    T(test_policy_inheritance),
    T(test_success_exit_codes_forms),
    T(test_depends_on_forms),
    T(test_error_restart),
    T(test_error_restart_max),
    T(test_error_restart_durations),
    T(test_error_restart_delay_max),
    T(test_error_log),
    T(test_error_success_exit_codes),
    T(test_error_depends_on),
    T(test_network_mode_forms),
    T(test_ip_forms),
    T(test_mac_forms),
    T(test_publish_forms),
    T(test_connect_forms),
    T(test_error_network_mode),
    T(test_error_network_none),
    T(test_error_ip),
    T(test_error_ip_duplicate),
    T(test_error_mac),
    T(test_error_publish),
    T(test_error_connect),
    T(test_cap_forms),
    T(test_error_cap_unknown),
    T(test_error_cap_add_and_drop),
    T(test_seccomp_forms),
    T(test_error_seccomp),
    T(test_security_flags),
    T(test_error_security_flags),
    T(test_rlimit_forms),
    T(test_error_rlimit),
    T(test_error_rlimit_unknown),
    T(test_error_security_all_reported),
    T(test_userns_pool_forms),
    T(test_error_userns_pool),
    T(test_userns_forms),
    T(test_error_userns),
    T(test_error_userns_overlap),
    T(test_error_userns_pool_overlap),
    T(test_error_userns_pool_too_small),
    T(test_image_forms),
    T(test_error_image),
    T(test_error_rootfs_and_image),
    T(test_rootfs_archive_forms),
    T(test_rootfs_mode_forms),
    T(test_error_rootfs_mode),
    T(test_ephemeral_forms),
    T(test_error_ephemeral),
    T(test_volume_forms),
    T(test_volume_limit),
    T(test_error_volume),
    T(test_error_volume_host_colon),
    T(test_error_volume_duplicate_target),
    T(test_tmpfs_forms),
    T(test_error_tmpfs),
    T(test_error_mount_duplicate_target),
    T(test_error_many_in_one_run),
    T(test_diag_appends_and_may_be_null),
    T(test_relative_paths),
    T(test_relative_paths_relative_name),
    T(test_error_cannot_resolve_relative_path),
    T(test_load_file),
    T(test_error_cannot_read),
    T(test_check_host),
    T(test_check_host_seccomp),
    T(test_check_host_rootfs_archive),
    T(test_check_host_volumes),
    T(test_diag_container),
    T(test_dump_round_trip_defaults),
    T(test_dump_round_trip_everything),
    T(test_dump_limits),
    T(test_dump_round_trip_policies),
    T(test_dump_policy_forms),
    T(test_dump_round_trip_network),
    T(test_dump_security),
    T(test_dump_round_trip_mounts),
    T(test_id_maps),
    T(test_error_id_maps),
    T(test_dump_userns),
    T(test_argv_to_string),
    T(test_error_success_exit_code_long_word),
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
