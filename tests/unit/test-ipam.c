/* SPDX-License-Identifier: MIT */
/* Unit tests for net/ipam.c: addresses are stable per name across
 * supervisor restarts, never shared, static ones respected, the pool's end
 * is a clear error, and a damaged leases file does not stop anything. Each
 * test works in its own temporary directory and removes it. No root. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "macro.h"
#include "net/ipam.h"
#include "util.h"
#include "check.h"

#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (d))
#define CTR(name) "[container " name "]\nrootfs = /r\ncommand = x\n"
#define STATIC_CTR(name, ip) CTR(name) "ip = " ip "\n"
#define SMALL_NET "[network]\nsubnet = 10.0.0.0/29\n" /* .2 to .6: five addresses */

/* A scratch directory and the leases file in it. */
struct scratch {
    char dir[64];
    char *path;
};

static void scratch_init(struct scratch *s)
{
    strcpy(s->dir, "/tmp/test-ipam-XXXXXX");
    ASSERT(mkdtemp(s->dir));
    ASSERT(asprintf(&s->path, "%s/leases.json", s->dir) >= 0);
}

/* Remove what the test expects there, then the directory: rmdir() fails
 * if ipam left anything else behind (a temporary file, say). */
static void scratch_done(struct scratch *s)
{
    _cleanup_free_ char *corrupt = NULL;

    ASSERT(asprintf(&corrupt, "%s.corrupt", s->path) >= 0);
    (void) unlink(s->path);
    (void) unlink(corrupt);
    ASSERT(rmdir(s->dir) == 0);
    free(s->path);
}

static void write_text(const char *path, const char *text)
{
    ASSERT(write_file_atomic(path, text, 0600) == 0);
}

static char *read_text(const char *path)
{
    char *text = NULL;
    ASSERT(read_file(path, &text, 1 << 20) >= 0);
    return text;
}

static struct corral_config *load_cfg(const char *text)
{
    struct config_diag d = {};
    struct corral_config *c = NULL;

    if (config_load_string("/etc/corral/corral.ini", text, &c, &d) != 0) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "  diag: %s\n", d.lines[i]);
        exit(1);
    }
    return c;
}

static struct ipam *open_ok(const char *path, const struct corral_config *c)
{
    struct ipam *ipam = NULL;

    ASSERT_EQ(ipam_open(path, &c->net, &ipam), 0);
    ASSERT(ipam);
    ASSERT(ipam_load_problem(ipam) == NULL);
    return ipam;
}

static void assign_all_ok(struct ipam *ipam, const struct corral_config *c)
{
    const char *name = NULL;
    int r = ipam_assign_all(ipam, c, &name);

    if (r != 0) {
        fprintf(stderr, "ipam_assign_all: %s (at '%s')\n", strerror(-r), name ?: "?");
        exit(1);
    }
}

#define assert_lookup(ipam, name, want) assert_lookup_at(__LINE__, ipam, name, want)
static void assert_lookup_at(int line, const struct ipam *ipam, const char *name, uint32_t want)
{
    uint32_t ip = 0;
    int r = ipam_lookup(ipam, name, &ip);

    if (r != 0 || ip != want) {
        fprintf(stderr, "%s:%d: %s: got %d.%d.%d.%d (%s), expected %d.%d.%d.%d\n", __FILE__, line,
                name, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
                r < 0 ? strerror(-r) : "ok", want >> 24, (want >> 16) & 0xff, (want >> 8) & 0xff,
                want & 0xff);
        exit(1);
    }
}

static void assert_no_lease(const struct ipam *ipam, const char *name)
{
    uint32_t ip = 7;
    ASSERT_EQ(ipam_lookup(ipam, name, &ip), -ENOENT);
    ASSERT_EQ(ip, 7);
}

/* ---- basics -------------------------------------------------------------- */

static void test_first_assignment_and_file(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("web") CTR("db") CTR("cache"));
    _cleanup_free_ char *text = NULL;
    struct ipam *ipam;
    struct stat st;
    uint32_t ip;

    scratch_init(&s);
    /* No file yet: no leases, and nothing written until there is one. */
    ipam = open_ok(s.path, c);
    assert_no_lease(ipam, "web");
    ASSERT(access(s.path, F_OK) < 0 && errno == ENOENT);

    /* In file order, from the first host after the gateway. */
    assign_all_ok(ipam, c);
    assert_lookup(ipam, "web", IP(10, 88, 0, 2));
    assert_lookup(ipam, "db", IP(10, 88, 0, 3));
    assert_lookup(ipam, "cache", IP(10, 88, 0, 4));
    ASSERT(ipam_lookup(ipam, "web", NULL) == 0);

    /* Assigning again changes nothing. */
    ASSERT_EQ(ipam_assign(ipam, c, "db", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 3));

    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"cache\": \"10.88.0.4\",\n  \"db\": \"10.88.0.3\",\n"
                       "  \"web\": \"10.88.0.2\"\n}\n");
    ASSERT(stat(s.path, &st) == 0);
    ASSERT_EQ(st.st_mode & 07777, 0600);

    ipam_free(ipam);
    ipam_free(NULL);
    config_free(c);
    scratch_done(&s);
}

static void test_assign_one(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b") CTR("off") "network = none\n");
    struct ipam *ipam;
    uint32_t ip = 7;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    /* Whoever asks first gets the lowest free address. */
    ASSERT_EQ(ipam_assign(ipam, c, "b", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 2));
    ASSERT_EQ(ipam_assign(ipam, c, "a", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 3));
    ASSERT_EQ(ipam_assign(ipam, c, "b", NULL), 0);
    assert_lookup(ipam, "b", IP(10, 88, 0, 2));

    /* No such container; one that has no network to be on. */
    ip = 7;
    ASSERT_EQ(ipam_assign(ipam, c, "nope", &ip), -ENOENT);
    ASSERT_EQ(ipam_assign(ipam, c, "off", &ip), -EINVAL);
    ASSERT_EQ(ip, 7);
    assert_no_lease(ipam, "off");
    assert_no_lease(ipam, "nope");

    ipam_free(ipam);
    config_free(c);
    scratch_done(&s);
}

/* ---- stability ----------------------------------------------------------- */

static void test_stable_across_reopen(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b") CTR("c"));
    struct corral_config *c2 = load_cfg(CTR("x") CTR("c") CTR("a") CTR("y"));
    struct ipam *ipam;
    uint32_t ip;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    ipam_free(ipam);

    /* A restarted supervisor reads the same leases back... */
    ipam = open_ok(s.path, c);
    assert_lookup(ipam, "a", IP(10, 88, 0, 2));
    assert_lookup(ipam, "b", IP(10, 88, 0, 3));
    assert_lookup(ipam, "c", IP(10, 88, 0, 4));
    ASSERT_EQ(ipam_assign(ipam, c, "c", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 4));
    ipam_free(ipam);

    /* ...and keeps them when containers come before them in the file or go:
     * x and y get b's old address and the next free one. */
    ipam = open_ok(s.path, c2);
    assign_all_ok(ipam, c2);
    assert_lookup(ipam, "a", IP(10, 88, 0, 2));
    assert_lookup(ipam, "c", IP(10, 88, 0, 4));
    assert_lookup(ipam, "x", IP(10, 88, 0, 3));
    assert_lookup(ipam, "y", IP(10, 88, 0, 5));
    ipam_free(ipam);

    ipam = open_ok(s.path, c2);
    assign_all_ok(ipam, c2);
    assert_lookup(ipam, "x", IP(10, 88, 0, 3));
    assert_lookup(ipam, "y", IP(10, 88, 0, 5));
    ipam_free(ipam);

    config_free(c);
    config_free(c2);
    scratch_done(&s);
}

/* Many rounds of containers added and removed, each round a supervisor
 * restart: no address twice, none outside the pool, and every container
 * that stays keeps its address. */
static void test_no_collisions_under_churn(void)
{
    enum { NAMES = 120, ROUNDS = 40 };
    struct scratch s;
    uint32_t last[NAMES] = {};
    uint64_t seed = 42;

    scratch_init(&s);
    for (int round = 0; round < ROUNDS; round++) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        bool present[NAMES] = {};
        struct corral_config *c;
        struct ipam *ipam;
        uint8_t seen[256] = {};

        ASSERT(f);
        for (int i = 0; i < NAMES; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            present[i] = (seed >> 33) % 3 != 0;
            if (present[i])
                fprintf(f, CTR("c%d"), i);
            if (present[i] && i % 17 == 0)
                fprintf(f, "ip = 10.88.0.%d\n", 200 + i / 17);
        }
        ASSERT(fclose(f) == 0);
        c = load_cfg(text);
        ipam = open_ok(s.path, c);
        assign_all_ok(ipam, c);
        for (int i = 0; i < NAMES; i++) {
            char name[16];
            uint32_t ip;

            snprintf(name, sizeof(name), "c%d", i);
            if (!present[i]) {
                assert_no_lease(ipam, name);
                last[i] = 0;
                continue;
            }
            ASSERT_EQ(ipam_lookup(ipam, name, &ip), 0);
            ASSERT_EQ(ip >> 8, IP(10, 88, 0, 0) >> 8);
            ASSERT((ip & 0xff) >= 2 && (ip & 0xff) <= 254);
            ASSERT(!seen[ip & 0xff]);
            seen[ip & 0xff] = 1;
            if (i % 17 == 0)
                ASSERT_EQ(ip, IP(10, 88, 0, 200 + i / 17));
            else if (last[i])
                ASSERT_EQ(ip, last[i]);
            last[i] = ip;
        }
        ipam_free(ipam);
        config_free(c);
    }
    scratch_done(&s);
}

/* ---- static addresses ---------------------------------------------------- */

static void test_statics_respected(void)
{
    struct scratch s;
    struct corral_config *c =
        load_cfg(CTR("a") STATIC_CTR("db", "10.88.0.3") CTR("b") STATIC_CTR("web", "10.88.0.2"));
    _cleanup_free_ char *text = NULL;
    struct ipam *ipam;
    uint32_t ip;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    /* Before the statics are placed, a lone assignment already skips them. */
    ASSERT_EQ(ipam_assign(ipam, c, "b", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 4));
    assign_all_ok(ipam, c);
    assert_lookup(ipam, "web", IP(10, 88, 0, 2));
    assert_lookup(ipam, "db", IP(10, 88, 0, 3));
    assert_lookup(ipam, "b", IP(10, 88, 0, 4));
    assert_lookup(ipam, "a", IP(10, 88, 0, 5));
    ASSERT_EQ(ipam_assign(ipam, c, "db", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 3));

    /* The config is the record of static addresses: never written as leases. */
    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"a\": \"10.88.0.5\",\n  \"b\": \"10.88.0.4\"\n}\n");
    ipam_free(ipam);
    config_free(c);
    scratch_done(&s);
}

static void test_lease_on_new_static_is_moved(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b") CTR("c"));
    struct corral_config *c2 = load_cfg(CTR("a") CTR("b") CTR("c") STATIC_CTR("new", "10.88.0.3"));
    _cleanup_free_ char *text = NULL;
    struct ipam *ipam;
    uint32_t ip;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    ipam_free(ipam);

    /* At start-up: b's lease is on new's static address, so b moves to the
     * lowest free one; a and c stay. */
    ipam = open_ok(s.path, c2);
    assert_lookup(ipam, "b", IP(10, 88, 0, 3));
    assign_all_ok(ipam, c2);
    assert_lookup(ipam, "new", IP(10, 88, 0, 3));
    assert_lookup(ipam, "b", IP(10, 88, 0, 5));
    assert_lookup(ipam, "a", IP(10, 88, 0, 2));
    assert_lookup(ipam, "c", IP(10, 88, 0, 4));
    ipam_free(ipam);

    /* One at a time: the static takes its address at once, and the lease
     * holder moves when it is next assigned. */
    ASSERT(unlink(s.path) == 0);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    ASSERT_EQ(ipam_assign(ipam, c2, "b", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 5));
    ASSERT_EQ(ipam_assign(ipam, c2, "new", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 3));
    ipam_free(ipam);
    ASSERT(unlink(s.path) == 0);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    ASSERT_EQ(ipam_assign(ipam, c2, "new", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 3));
    assert_no_lease(ipam, "b");
    ASSERT_EQ(ipam_assign(ipam, c2, "b", &ip), 0);
    ASSERT_EQ(ip, IP(10, 88, 0, 5));
    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"a\": \"10.88.0.2\",\n  \"b\": \"10.88.0.5\",\n"
                       "  \"c\": \"10.88.0.4\"\n}\n");
    ipam_free(ipam);

    config_free(c);
    config_free(c2);
    scratch_done(&s);
}

static void test_switch_between_static_and_auto(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b"));
    struct corral_config *c_static = load_cfg(STATIC_CTR("a", "10.88.0.10") CTR("b"));
    _cleanup_free_ char *text = NULL;
    struct ipam *ipam;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    /* a's lease goes: its static address is its record now. */
    assign_all_ok(ipam, c_static);
    assert_lookup(ipam, "a", IP(10, 88, 0, 10));
    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"b\": \"10.88.0.3\"\n}\n");
    /* Back to auto: the address it had becomes its lease. */
    assign_all_ok(ipam, c);
    assert_lookup(ipam, "a", IP(10, 88, 0, 10));
    ipam_free(ipam);
    ipam = open_ok(s.path, c);
    assert_lookup(ipam, "a", IP(10, 88, 0, 10));
    ipam_free(ipam);

    config_free(c);
    config_free(c_static);
    scratch_done(&s);
}

/* ---- exhaustion ---------------------------------------------------------- */

static void test_exhaustion(void)
{
    struct scratch s;
    struct corral_config *five = load_cfg(SMALL_NET CTR("a") CTR("b") CTR("c") CTR("d") CTR("e"));
    struct corral_config *six =
        load_cfg(SMALL_NET CTR("a") CTR("b") CTR("c") CTR("d") CTR("e") CTR("f"));
    struct corral_config *statics = load_cfg(SMALL_NET CTR("a") CTR("b") CTR("c") CTR("d")
                                                 STATIC_CTR("s", "10.0.0.6") CTR("e"));
    _cleanup_free_ char *before = NULL, *after = NULL;
    const char *name = NULL;
    struct ipam *ipam;
    uint32_t ip = 7;

    scratch_init(&s);
    ipam = open_ok(s.path, six);
    ASSERT_EQ(ipam_assign_all(ipam, six, &name), -ENOSPC);
    ASSERT_STREQ(name, "f");
    /* All or nothing: no one got an address, nothing was written. */
    assert_no_lease(ipam, "a");
    ASSERT(access(s.path, F_OK) < 0 && errno == ENOENT);
    ASSERT_EQ(ipam_assign_all(ipam, six, NULL), -ENOSPC);

    /* Five fit exactly: .2 to .6, the gateway .1 being taken. */
    assign_all_ok(ipam, five);
    assert_lookup(ipam, "a", IP(10, 0, 0, 2));
    assert_lookup(ipam, "e", IP(10, 0, 0, 6));
    before = read_text(s.path);
    ASSERT_EQ(ipam_assign(ipam, six, "f", &ip), -ENOSPC);
    ASSERT_EQ(ip, 7);
    assert_no_lease(ipam, "f");
    after = read_text(s.path);
    ASSERT_STREQ(after, before);
    ipam_free(ipam);

    /* A static address counts against the pool: s takes .6 from e's lease,
     * and e, last in the file, is left without. All or nothing again: e
     * keeps .6 in the table until a start-up succeeds. */
    ipam = open_ok(s.path, statics);
    name = NULL;
    ASSERT_EQ(ipam_assign_all(ipam, statics, &name), -ENOSPC);
    ASSERT_STREQ(name, "e");
    assert_lookup(ipam, "e", IP(10, 0, 0, 6));
    ipam_free(ipam);

    config_free(five);
    config_free(six);
    config_free(statics);
    scratch_done(&s);
}

/* ---- the file ------------------------------------------------------------ */

static void test_removed_containers_dropped(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b") CTR("c") CTR("d"));
    struct corral_config *c2 = load_cfg(CTR("a") CTR("c") CTR("d") "network = none\n");
    _cleanup_free_ char *text = NULL;
    struct ipam *ipam;
    uint32_t ip;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    ipam_free(ipam);

    ipam = open_ok(s.path, c2);
    /* A lone assignment keeps every lease: only start-up sees the whole set. */
    ASSERT_EQ(ipam_assign(ipam, c2, "a", &ip), 0);
    assert_lookup(ipam, "b", IP(10, 88, 0, 3));
    /* Gone from the file, or with network = none: dropped. */
    assign_all_ok(ipam, c2);
    assert_no_lease(ipam, "b");
    assert_no_lease(ipam, "d");
    assert_lookup(ipam, "a", IP(10, 88, 0, 2));
    assert_lookup(ipam, "c", IP(10, 88, 0, 4));
    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"a\": \"10.88.0.2\",\n  \"c\": \"10.88.0.4\"\n}\n");
    ipam_free(ipam);

    config_free(c);
    config_free(c2);
    scratch_done(&s);
}

/* ipam_open() on damaged content, expecting the file set aside. */
static void expect_set_aside(const char *content, const char *problem)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a"));
    _cleanup_free_ char *corrupt = NULL, *kept = NULL, *text = NULL;
    struct ipam *ipam = NULL;

    scratch_init(&s);
    ASSERT(asprintf(&corrupt, "%s.corrupt", s.path) >= 0);
    write_text(s.path, content);
    ASSERT_EQ(ipam_open(s.path, &c->net, &ipam), 1);
    if (!strstr(ipam_load_problem(ipam), problem)) {
        fprintf(stderr, "problem '%s' does not contain '%s'\n", ipam_load_problem(ipam), problem);
        exit(1);
    }
    /* Kept for a human; ipam starts empty and writes a good file. */
    kept = read_text(corrupt);
    ASSERT_STREQ(kept, content);
    ASSERT(access(s.path, F_OK) < 0 && errno == ENOENT);
    assert_no_lease(ipam, "a");
    assign_all_ok(ipam, c);
    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"a\": \"10.88.0.2\"\n}\n");
    ipam_free(ipam);
    ipam = open_ok(s.path, c);
    assert_lookup(ipam, "a", IP(10, 88, 0, 2));
    ipam_free(ipam);
    config_free(c);
    scratch_done(&s);
}

static void test_corrupt_file(void)
{
    expect_set_aside("garbage{", "line 1 column 7: ");
    /* A write torn short. */
    expect_set_aside("{\n  \"a\": \"10.88.0.7\",\n  \"b\": \"10.", "line 3");
    expect_set_aside("", "line 1");
    expect_set_aside("[\"a\", \"10.88.0.2\"]\n", "not a JSON object");
    expect_set_aside("\"10.88.0.2\"\n", "line 1 column 11: ");
}

static void test_invalid_entries_dropped(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b") CTR("new"));
    _cleanup_free_ char *text = NULL;
    struct ipam *ipam;

    scratch_init(&s);
    write_text(s.path, "{\"a\": \"10.88.0.5\", \"num\": 5, \"Bad\": \"10.88.0.6\","
                       " \"gw\": \"10.88.0.1\", \"net\": \"10.88.0.0\", \"bcast\": \"10.88.0.255\","
                       " \"out\": \"10.89.0.7\", \"dup\": \"10.88.0.5\", \"zero\": \"010.88.0.8\","
                       " \"b\": \"10.88.0.9\", \"junk\": \"x\", \"obj\": {}}");
    ipam = open_ok(s.path, c);
    assert_lookup(ipam, "a", IP(10, 88, 0, 5));
    assert_lookup(ipam, "b", IP(10, 88, 0, 9));
    /* The first in the file keeps a duplicated address. */
    assert_no_lease(ipam, "dup");
    assert_no_lease(ipam, "num");
    assert_no_lease(ipam, "Bad");
    assert_no_lease(ipam, "gw");
    assert_no_lease(ipam, "net");
    assert_no_lease(ipam, "bcast");
    assert_no_lease(ipam, "out");
    assert_no_lease(ipam, "zero");
    assert_no_lease(ipam, "junk");
    assert_no_lease(ipam, "obj");
    /* The file is rewritten with what was kept, even when nothing changes. */
    ASSERT_EQ(ipam_assign(ipam, c, "a", NULL), 0);
    text = read_text(s.path);
    ASSERT_STREQ(text, "{\n  \"a\": \"10.88.0.5\",\n  \"b\": \"10.88.0.9\"\n}\n");
    ipam_free(ipam);
    config_free(c);
    scratch_done(&s);
}

/* A lease valid for one subnet is dropped under another. */
static void test_subnet_change(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a") CTR("b"));
    struct corral_config *c2 =
        load_cfg("[network]\nsubnet = 10.88.0.0/25\ngateway = 10.88.0.3\n" CTR("a") CTR("b"));
    struct ipam *ipam;

    scratch_init(&s);
    ipam = open_ok(s.path, c);
    assign_all_ok(ipam, c);
    ipam_free(ipam);
    ipam = open_ok(s.path, c2);
    assert_lookup(ipam, "a", IP(10, 88, 0, 2));
    assert_no_lease(ipam, "b"); /* .3 is the gateway now */
    assign_all_ok(ipam, c2);
    /* With the gateway elsewhere, the first host is free. */
    assert_lookup(ipam, "b", IP(10, 88, 0, 1));
    ipam_free(ipam);

    /* A static address outside the subnet ipam was opened for. */
    ipam = open_ok(s.path, c2);
    {
        struct corral_config *c3 = load_cfg(STATIC_CTR("a", "10.88.0.200"));
        const char *name = NULL;
        ASSERT_EQ(ipam_assign(ipam, c3, "a", NULL), -EINVAL);
        ASSERT_EQ(ipam_assign_all(ipam, c3, &name), -EINVAL);
        ASSERT_STREQ(name, "a");
        config_free(c3);
    }
    ipam_free(ipam);
    config_free(c);
    config_free(c2);
    scratch_done(&s);
}

static void test_errors(void)
{
    struct scratch s;
    struct corral_config *c = load_cfg(CTR("a"));
    _cleanup_free_ char *missing = NULL;
    struct ipam *ipam = NULL;
    uint32_t ip = 7;

    scratch_init(&s);
    /* A file that cannot be read at all is an error, not corruption. */
    ASSERT_EQ(ipam_open(s.dir, &c->net, &ipam), -EISDIR);
    ASSERT(ipam == NULL);

    /* A failed save changes nothing: what was handed out is on disk. */
    ASSERT(asprintf(&missing, "%s/no-such-dir/leases.json", s.dir) >= 0);
    ipam = open_ok(missing, c);
    ASSERT_EQ(ipam_assign(ipam, c, "a", &ip), -ENOENT);
    ASSERT_EQ(ip, 7);
    assert_no_lease(ipam, "a");
    ASSERT_EQ(ipam_assign_all(ipam, c, NULL), -ENOENT);
    assert_no_lease(ipam, "a");
    ipam_free(ipam);

    config_free(c);
    scratch_done(&s);
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
    T(test_first_assignment_and_file),
    T(test_assign_one),
    T(test_stable_across_reopen),
    T(test_no_collisions_under_churn),
    T(test_statics_respected),
    T(test_lease_on_new_static_is_moved),
    T(test_switch_between_static_and_auto),
    T(test_exhaustion),
    T(test_removed_containers_dropped),
    T(test_corrupt_file),
    T(test_invalid_entries_dropped),
    T(test_subnet_change),
    T(test_errors),
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
