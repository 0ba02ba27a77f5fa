/* SPDX-License-Identifier: MIT */
/* corral: the supervisor (`corral up`) and its command-line client. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config/config.h"
#include "daemon.h"
#include "imagecmd.h"
#include "log.h"
#include "logread.h"
#include "macro.h"
#include "util.h"

#define DEFAULT_CONFIG "corral.ini"
#define DEFAULT_RUN_DIR "/run/corral"
#define DEFAULT_STATE_DIR "/var/lib/corral"

struct options {
    const char *file;
    const char *run_dir;
    const char *log_dir;
    const char *state_dir;
    const char *image_name;
    bool json;
    bool exit_when_done;
    bool verbose;
    struct logs_opts logs;
};

static void usage(FILE *f)
{
    fputs("Usage: corral [OPTIONS] COMMAND [ARGS...]\n"
          "\n"
          "Supervisor:\n"
          "  up [--exit-when-done]      run the containers of the config file (foreground)\n"
          "  check                      validate the config file and print it with defaults\n"
          "\n"
          "Client (talks to a running supervisor):\n"
          "  ps                         list containers: name, status, pid, uptime, last exit\n"
          "  start NAME...              start containers, wait until running\n"
          "  stop NAME...               stop containers (stop_signal, then SIGKILL)\n"
          "  restart NAME...            stop, then start\n"
          "  pause NAME...              freeze every process; returns once confirmed\n"
          "  resume NAME...             thaw them; returns once confirmed\n"
          "  stats [NAME...]            memory, peak, cpu %, pids, OOM kills\n"
          "  inspect [NAME...]          the spec and the runtime details (pid, restarts,\n"
          "                             last exit, backoff, cgroup)\n"
          "  events                     follow state changes as they happen\n"
          "  down                       stop everything and end the supervisor\n"
          "\n"
          "Images (state_dir/images; work with or without a supervisor):\n"
          "  image import FILE [--name NAME]\n"
          "                             unpack a root file system archive (.tar, .tar.gz,\n"
          "                             .tar.xz, .tar.zst) into the store, once\n"
          "  image ls                   list the images: name, id, size, in use\n"
          "  image rm NAME|ID...        remove images no container is running on (one of\n"
          "                             several names: only that name)\n"
          "\n"
          "Logs (read from log_dir; work with or without a supervisor):\n"
          "  logs [-f] [-n N] [--since TIME] [-t] NAME\n"
          "                             -f, --follow: keep printing new lines\n"
          "                             -n, --tail N: only the last N lines\n"
          "                             --since TIME: 2026-11-23T18:00:00Z, or 10m ago\n"
          "                             -t, --timestamps: prefix each line with its time\n"
          "\n"
          "Options:\n"
          "  -f, --file FILE            config file (default ./corral.ini)\n"
          "      --run-dir DIR          find the supervisor here (default: the config's\n"
          "                             run_dir, else /run/corral)\n"
          "      --log-dir DIR          read logs here (default: the config's log_dir)\n"
          "      --state-dir DIR        the image store's state_dir (default: the config's,\n"
          "                             else /var/lib/corral)\n"
          "      --json                 machine-readable output\n"
          "  -v, --verbose              debug logging (up)\n"
          "  -h, --help                 this text\n"
          "      --version              print the version\n"
          "\n"
          "(-f is --file before the command, and for every command but logs.)\n"
          "\n"
          "Exit codes: 0 ok, 1 operation failed, 2 usage or config error,\n"
          "3 supervisor not running, 4 no such container, 5 permission denied.\n",
          f);
}

static void print_diag(const struct config_diag *diag)
{
    for (size_t i = 0; i < diag->n; i++)
        fprintf(stderr, "%s\n", diag->lines[i]);
}

/* Load and validate, host checks included; prints every problem. */
static int load_config(const char *file, struct corral_config **ret)
{
    struct config_diag diag = {0};
    int r = config_load_file(file, ret, &diag);

    if (r == 0 && (config_check_host(*ret, &diag) < 0) | (image_check_config(*ret, &diag) < 0)) {
        config_free(*ret);
        *ret = NULL;
        r = -EINVAL;
    }
    print_diag(&diag);
    config_diag_clear(&diag);
    return r;
}

static const char *config_file(const struct options *o)
{
    return o->file ? o->file : DEFAULT_CONFIG;
}

static int cmd_check(const struct options *o)
{
    struct config_diag diag = {0};
    struct corral_config *c = NULL;
    int r = config_load_file(config_file(o), &c, &diag);

    if (r == 0 && (config_check_host(c, &diag) < 0) | (image_check_config(c, &diag) < 0))
        r = -EINVAL;
    if (o->json) {
        json_t *errs = json_array();
        for (size_t i = 0; i < diag.n; i++)
            json_array_append_new(errs, json_string(diag.lines[i]));
        json_t *out = json_pack("{s:b, s:o}", "ok", r == 0, "errors", errs);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    } else if (r == 0) {
        config_dump(c, stdout);
    } else {
        print_diag(&diag);
    }
    config_diag_clear(&diag);
    config_free(c);
    return r == 0 ? EXIT_OK : EXIT_USAGE;
}

static int cmd_up(const struct options *o)
{
    struct corral_config *c = NULL;
    struct daemon_options dopts = {.exit_when_done = o->exit_when_done};
    int status;

    if (load_config(config_file(o), &c) < 0)
        return EXIT_USAGE;
    if (geteuid() != 0) {
        fprintf(stderr, "corral: up needs root (namespaces, cgroups, mounts)\n");
        config_free(c);
        return EXIT_DENIED;
    }
    if (o->verbose)
        log_set_level(LOG_DEBUG);
    status = daemon_run(c, &dopts);
    config_free(c);
    return status;
}

/* --run-dir, else the config file's run_dir, else the default. */
static int resolve_run_dir(const struct options *o, char **ret)
{
    struct corral_config *c = NULL;
    struct config_diag diag = {0};
    struct stat st;
    int r;

    if (o->run_dir) {
        *ret = strdup(o->run_dir);
        return *ret ? 0 : -ENOMEM;
    }
    if (!o->file && stat(DEFAULT_CONFIG, &st) < 0) {
        *ret = strdup(DEFAULT_RUN_DIR);
        return *ret ? 0 : -ENOMEM;
    }
    r = config_load_file(config_file(o), &c, &diag);
    if (r < 0) {
        print_diag(&diag);
        config_diag_clear(&diag);
        return r;
    }
    *ret = strdup(c->sup.run_dir);
    config_free(c);
    return *ret ? 0 : -ENOMEM;
}

static void print_ps(json_t *reply)
{
    json_t *arr = json_object_get(reply, "containers"), *c;
    size_t i, wn = 4, ws = 6;

    json_array_foreach(arr, i, c)
    {
        size_t ln = strlen(json_string_value(json_object_get(c, "name")));
        size_t ls = strlen(json_string_value(json_object_get(c, "status")));
        wn = ln > wn ? ln : wn;
        ws = ls > ws ? ls : ws;
    }
    if (ws > 40)
        ws = 40;
    printf("%-*s  %-*s  %7s  %-15s  %8s  %9s  %6s  %6s  %s\n", (int) wn, "NAME", (int) ws, "STATUS",
           "PID", "IP", "UPTIME", "MEM", "CPU", "STARTS", "LAST EXIT");
    json_array_foreach(arr, i, c)
    {
        json_t *e = json_object_get(c, "last_exit");
        int pid = (int) json_integer_value(json_object_get(c, "pid"));
        char uptime[32] = "-", pidbuf[16] = "-", last[600] = "-", mem[32] = "-", cpu[16] = "-";
        const char *kind = json_string_value(json_object_get(e, "kind"));
        json_t *st = json_object_get(c, "stats");

        if (pid > 0) {
            snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
            format_duration((uint64_t) json_integer_value(json_object_get(c, "uptime_ms")), uptime,
                            sizeof(uptime));
        }
        if (kind && streq(kind, "code"))
            snprintf(last, sizeof(last), "code %d",
                     (int) json_integer_value(json_object_get(e, "code")));
        else if (kind && streq(kind, "signal"))
            snprintf(last, sizeof(last), "signal %s",
                     json_string_value(json_object_get(e, "signal")));
        else if (kind && streq(kind, "error"))
            snprintf(last, sizeof(last), "error: %s",
                     json_string_value(json_object_get(e, "error")));
        else if (kind && streq(kind, "oom"))
            snprintf(last, sizeof(last), "oom-killed");
        if (json_is_object(st)) {
            format_size((uint64_t) json_integer_value(json_object_get(st, "memory_bytes")), mem,
                        sizeof(mem));
            snprintf(cpu, sizeof(cpu), "%.1f%%",
                     json_real_value(json_object_get(st, "cpu_percent")));
        }
        const char *ip = json_string_value(json_object_get(c, "ip"));
        printf("%-*s  %-*s  %7s  %-15s  %8s  %9s  %6s  %6d  %s\n", (int) wn,
               json_string_value(json_object_get(c, "name")), (int) ws,
               json_string_value(json_object_get(c, "status")), pidbuf, ip ? ip : "-", uptime, mem,
               cpu, (int) json_integer_value(json_object_get(c, "starts")), last);
    }
}

static void print_stats(json_t *reply, char **names, int n_names)
{
    json_t *c;
    size_t i;

    printf("%-20s  %9s  %9s  %7s  %6s  %s\n", "NAME", "MEM", "MEM PEAK", "CPU", "PIDS",
           "OOM KILLS");
    json_array_foreach(json_object_get(reply, "containers"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *st = json_object_get(c, "stats");
        char mem[32], peak[32];
        bool wanted = n_names == 0;

        for (int k = 0; k < n_names; k++)
            wanted |= streq(names[k], name);
        if (!wanted || !json_is_object(st))
            continue;
        format_size((uint64_t) json_integer_value(json_object_get(st, "memory_bytes")), mem,
                    sizeof(mem));
        format_size((uint64_t) json_integer_value(json_object_get(st, "memory_peak_bytes")), peak,
                    sizeof(peak));
        printf("%-20s  %9s  %9s  %6.1f%%  %6d  %d\n", name, mem, peak,
               json_real_value(json_object_get(st, "cpu_percent")),
               (int) json_integer_value(json_object_get(st, "pids")),
               (int) json_integer_value(json_object_get(st, "oom_kills")));
    }
}

static void print_inspect(json_t *reply);

static int cmd_client(const struct options *o, const char *cmd, char **names, int n_names)
{
    _cleanup_free_ char *run_dir = NULL;
    json_t *req, *reply = NULL, *arr;
    int r;

    if (resolve_run_dir(o, &run_dir) < 0)
        return EXIT_USAGE;
    req = json_pack("{s:s}", "cmd", cmd);
    if (n_names > 0) {
        arr = json_array();
        for (int i = 0; i < n_names; i++)
            json_array_append_new(arr, json_string(names[i]));
        json_object_set_new(req, "names", arr);
    }
    r = client_call(run_dir, req, &reply);
    if (r != EXIT_OK)
        return r;

    r = client_exit_code(reply);
    if (o->json) {
        json_dumpf(reply, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (r != EXIT_OK && json_object_get(reply, "error")) {
        fprintf(stderr, "corral: %s\n", json_string_value(json_object_get(reply, "error")));
    } else if (streq(cmd, "ps")) {
        print_ps(reply);
    } else if (streq(cmd, "stats")) {
        print_stats(reply, names, n_names);
    } else if (streq(cmd, "inspect")) {
        print_inspect(reply);
    } else {
        json_t *res;
        size_t i;
        json_array_foreach(json_object_get(reply, "results"), i, res)
        {
            const char *name = json_string_value(json_object_get(res, "name"));
            if (json_is_true(json_object_get(res, "ok")))
                printf("%s: %s\n", name, json_string_value(json_object_get(res, "status")));
            else
                fprintf(stderr, "corral: %s: %s\n", name,
                        json_string_value(json_object_get(res, "error")));
        }
    }
    json_decref(reply);
    return r;
}

/* --log-dir, else the config file's log_dir. */
static int resolve_log_dir(const struct options *o, char **ret)
{
    struct corral_config *c = NULL;
    struct config_diag diag = {0};

    if (o->log_dir) {
        *ret = strdup(o->log_dir);
        return *ret ? 0 : -ENOMEM;
    }
    if (config_load_file(config_file(o), &c, &diag) < 0) {
        print_diag(&diag);
        config_diag_clear(&diag);
        fprintf(stderr, "corral: logs needs the config file (--file) or --log-dir\n");
        return -EINVAL;
    }
    *ret = strdup(c->sup.log_dir);
    config_free(c);
    return *ret ? 0 : -ENOMEM;
}

/* --state-dir, else the config file's state_dir, else the default. */
static int resolve_state_dir(const struct options *o, char **ret)
{
    struct corral_config *c = NULL;
    struct config_diag diag = {0};
    struct stat st;

    if (o->state_dir) {
        *ret = strdup(o->state_dir);
        return *ret ? 0 : -ENOMEM;
    }
    if (!o->file && stat(DEFAULT_CONFIG, &st) < 0) {
        *ret = strdup(DEFAULT_STATE_DIR);
        return *ret ? 0 : -ENOMEM;
    }
    if (config_load_file(config_file(o), &c, &diag) < 0) {
        print_diag(&diag);
        config_diag_clear(&diag);
        return -EINVAL;
    }
    *ret = strdup(c->sup.state_dir);
    config_free(c);
    return *ret ? 0 : -ENOMEM;
}

static int cmd_logs(const struct options *o, const char *name)
{
    _cleanup_free_ char *log_dir = NULL;

    if (!config_name_is_valid(name)) {
        fprintf(stderr, "corral: invalid container name '%s'\n", name);
        return EXIT_USAGE;
    }
    if (resolve_log_dir(o, &log_dir) < 0)
        return EXIT_USAGE;
    return logs_print(log_dir, name, &o->logs);
}

static void print_event(json_t *ev, bool json)
{
    if (json) {
        json_dumpf(ev, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    } else {
        printf("%s  %s: %s -> %s\n", json_string_value(json_object_get(ev, "time")),
               json_string_value(json_object_get(ev, "name")),
               json_string_value(json_object_get(ev, "from")),
               json_string_value(json_object_get(ev, "status")));
    }
    fflush(stdout);
}

static int event_cb(json_t *ev, void *userdata)
{
    const struct options *o = userdata;

    print_event(ev, o->json);
    return 0;
}

static int cmd_events(const struct options *o)
{
    _cleanup_free_ char *run_dir = NULL;

    if (resolve_run_dir(o, &run_dir) < 0)
        return EXIT_USAGE;
    return client_stream(run_dir, json_pack("{s:s}", "cmd", "events"), event_cb, (void *) o);
}

static void print_kv(const char *key, const char *fmt, ...) _printf_(2, 3);
static void print_kv(const char *key, const char *fmt, ...)
{
    va_list ap;

    printf("  %-18s ", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static const char *jstr(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "-";
}

static long long jint(json_t *o, const char *key)
{
    return (long long) json_integer_value(json_object_get(o, key));
}

static void print_inspect(json_t *reply)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(reply, "containers"), i, c)
    {
        json_t *spec = json_object_get(c, "spec"), *r = json_object_get(spec, "restart");
        char *cmd = NULL, buf[64];
        json_t *v;
        size_t k;

        if (i > 0)
            putchar('\n');
        printf("%s\n", jstr(c, "name"));
        print_kv("status", "%s", jstr(c, "status"));
        print_kv("pid", "%lld", jint(c, "pid"));
        if (jint(c, "started_at_ms")) {
            time_t t = (time_t) (jint(c, "started_at_ms") / 1000);
            struct tm tm;
            strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&t, &tm));
            print_kv("started", "%s", buf);
        }
        print_kv("starts", "%lld", jint(c, "starts"));
        print_kv("restarts", "%lld (automatic)", jint(c, "restarts"));
        if (json_is_object(json_object_get(c, "last_exit"))) {
            json_t *e = json_object_get(c, "last_exit");
            const char *kind = jstr(e, "kind");
            if (streq(kind, "code"))
                print_kv("last exit", "code %lld", jint(e, "code"));
            else if (streq(kind, "signal"))
                print_kv("last exit", "signal %s", jstr(e, "signal"));
            else if (streq(kind, "error"))
                print_kv("last exit", "error: %s", jstr(e, "error"));
            else
                print_kv("last exit", "%s", kind);
        }
        format_duration((uint64_t) jint(c, "backoff_delay_ms"), buf, sizeof(buf));
        print_kv("backoff", "%s (restart attempt %lld, failures in a row %lld)", buf,
                 jint(c, "restart_attempt"), jint(c, "failures_in_a_row"));
        print_kv("cgroup", "%s", jstr(c, "cgroup"));
        print_kv("ip", "%s", jstr(c, "ip"));
        printf("  %-18s", "published");
        json_array_foreach(json_object_get(c, "ports"), k, v) printf(" %s", json_string_value(v));
        if (json_array_size(json_object_get(c, "ports")) == 0)
            printf(" -");
        putchar('\n');
        print_kv("manual stop", "%s",
                 json_is_true(json_object_get(c, "manual_stop")) ? "yes" : "no");
        if (json_is_string(json_object_get(spec, "image")))
            print_kv("image", "%s", jstr(spec, "image"));
        else
            print_kv("rootfs", "%s", jstr(spec, "rootfs"));
        print_kv("rootfs mode", "%s%s", jstr(spec, "rootfs_mode"),
                 json_is_true(json_object_get(spec, "ephemeral")) ? " (ephemeral)" : "");
        if (json_is_string(json_object_get(json_object_get(c, "root"), "layer")))
            print_kv("layer", "%s", jstr(json_object_get(c, "root"), "layer"));
        json_array_foreach(json_object_get(spec, "volumes"), k, v)
            print_kv(k == 0 ? "volumes" : "", "%s:%s%s", jstr(v, "source"), jstr(v, "target"),
                     json_is_true(json_object_get(v, "readonly")) ? ":ro" : "");
        json_array_foreach(json_object_get(spec, "tmpfs"), k, v)
            print_kv(k == 0 ? "tmpfs" : "", "%s", jstr(v, "target"));
        cmd = json_dumps(json_object_get(spec, "command"), JSON_COMPACT);
        print_kv("command", "%s", cmd ? cmd : "-");
        free(cmd);
        print_kv("restart", "%s (max %lld, delay %lldms..%lldms, reset after %lldms, grace %lldms)",
                 jstr(r, "policy"), jint(r, "max"), jint(r, "delay_ms"), jint(r, "delay_max_ms"),
                 jint(r, "reset_after_ms"), jint(r, "start_grace_ms"));
        printf("  %-18s", "depends on");
        json_array_foreach(json_object_get(spec, "depends_on"), k, v)
            printf(" %s", json_string_value(v));
        if (json_array_size(json_object_get(spec, "depends_on")) == 0)
            printf(" -");
        putchar('\n');
        print_kv("log", "%s", jstr(spec, "log"));
    }
}

int main(int argc, char **argv)
{
    enum {
        OPT_RUN_DIR = 256,
        OPT_LOG_DIR,
        OPT_JSON,
        OPT_VERSION,
        OPT_EXIT_WHEN_DONE,
        OPT_SINCE,
        OPT_STATE_DIR,
        OPT_NAME,
    };
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"run-dir", required_argument, NULL, OPT_RUN_DIR},
        {"log-dir", required_argument, NULL, OPT_LOG_DIR},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"name", required_argument, NULL, OPT_NAME},
        {"json", no_argument, NULL, OPT_JSON},
        {"exit-when-done", no_argument, NULL, OPT_EXIT_WHEN_DONE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"follow", no_argument, NULL, 'F'},
        {"tail", required_argument, NULL, 'n'},
        {"since", required_argument, NULL, OPT_SINCE},
        {"timestamps", no_argument, NULL, 't'},
        {0},
    };
    struct options o = {.logs = {.tail = -1}};
    const char *cmd = NULL;
    bool logs = false;
    int c;

    /* Options may come before and after the command: the options before
     * it first, then the command's arguments parsed afresh (optind = 0
     * restarts glibc's getopt), where only logs reads -f as --follow
     * (docker's and tail's spelling). */
    for (;;) {
        c = getopt_long(argc, argv, !cmd ? "+f:vh" : logs ? "fn:tvh" : "f:vh", longopts, NULL);
        if (c == -1 && !cmd && optind < argc) {
            cmd = argv[optind];
            logs = streq(cmd, "logs");
            argc -= optind;
            argv += optind; /* argv[0] is now the command */
            optind = 0;
            continue;
        }
        if (c == -1)
            break;
        switch (c) {
        case 'f':
            if (logs && cmd && !optarg) {
                o.logs.follow = true;
                break;
            }
            o.file = optarg;
            break;
        case 'F':
            o.logs.follow = true;
            break;
        case 'n': {
            uint64_t n;
            if (parse_uint64(optarg, &n) < 0 || n > (uint64_t) LONG_MAX) {
                fprintf(stderr, "corral: invalid --tail '%s' (expected a number of lines)\n",
                        optarg);
                return EXIT_USAGE;
            }
            o.logs.tail = (long) n;
            break;
        }
        case OPT_SINCE: {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            if (logs_parse_since(optarg,
                                 (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec,
                                 &o.logs.since_ns) < 0) {
                fprintf(stderr,
                        "corral: invalid --since '%s' (expected e.g. 2026-11-23T18:00:00Z, "
                        "2026-11-23, or a duration back from now like 10m)\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 't':
            o.logs.timestamps = true;
            break;
        case OPT_RUN_DIR:
            o.run_dir = optarg;
            break;
        case OPT_LOG_DIR:
            o.log_dir = optarg;
            break;
        case OPT_STATE_DIR:
            o.state_dir = optarg;
            break;
        case OPT_NAME:
            o.image_name = optarg;
            break;
        case OPT_JSON:
            o.json = true;
            o.logs.json = true;
            break;
        case OPT_EXIT_WHEN_DONE:
            o.exit_when_done = true;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case OPT_VERSION:
            printf("corral %s\n", CORRAL_VERSION);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (!cmd) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!streq(cmd, "logs") &&
        (o.logs.follow || o.logs.tail >= 0 || o.logs.since_ns || o.logs.timestamps)) {
        fprintf(stderr, "corral: --follow, --tail, --since and --timestamps are for logs\n");
        return EXIT_USAGE;
    }

    if (streq(cmd, "up") || streq(cmd, "check")) {
        if (optind < argc) {
            fprintf(stderr, "corral: %s takes no arguments\n", cmd);
            return EXIT_USAGE;
        }
        return streq(cmd, "up") ? cmd_up(&o) : cmd_check(&o);
    }
    if (streq(cmd, "ps") || streq(cmd, "down") || streq(cmd, "events")) {
        if (optind < argc) {
            fprintf(stderr, "corral: %s takes no arguments\n", cmd);
            return EXIT_USAGE;
        }
        return streq(cmd, "events") ? cmd_events(&o) : cmd_client(&o, cmd, NULL, 0);
    }
    if (streq(cmd, "logs")) {
        if (argc - optind != 1) {
            fprintf(stderr, "corral: logs needs exactly one container name\n");
            return EXIT_USAGE;
        }
        return cmd_logs(&o, argv[optind]);
    }
    if (streq(cmd, "stats") || streq(cmd, "inspect"))
        return cmd_client(&o, cmd, argv + optind, argc - optind);
    if (streq(cmd, "stop") || streq(cmd, "start") || streq(cmd, "restart") || streq(cmd, "pause") ||
        streq(cmd, "resume")) {
        if (optind >= argc) {
            fprintf(stderr, "corral: %s needs at least one container name\n", cmd);
            return EXIT_USAGE;
        }
        return cmd_client(&o, cmd, argv + optind, argc - optind);
    }
    if (streq(cmd, "image")) {
        _cleanup_free_ char *state_dir = NULL;
        struct image_cmd ic = {.name = o.image_name, .json = o.json};

        if (resolve_state_dir(&o, &state_dir) < 0)
            return EXIT_USAGE;
        ic.state_dir = state_dir;
        return cmd_image(&ic, argv + optind, argc - optind);
    }
    if (o.image_name) {
        fprintf(stderr, "corral: --name is for image import\n");
        return EXIT_USAGE;
    }
    if (streq(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "corral: unknown command '%s' (see corral --help)\n", cmd);
    return EXIT_USAGE;
}
