/* SPDX-License-Identifier: MIT */
/* Unit tests for supervisor/idpool.c: user-namespace id ranges are handed
 * out 65536 at a time from userns_pool, stable per name across supervisor
 * restarts, never shared, given up by names that left the config, and a
 * damaged file is set aside. Each test uses its own temporary directory.
 * No root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "macro.h"
#include "supervisor/idpool.h"
#include "util.h"
#include "check.h"

#define CTR(name, userns) "[container " name "]\nrootfs = /r\ncommand = x\nuserns = " userns "\n"
#define POOL(start, count) "[supervisor]\nuserns_pool = " start ":" count "\n"

struct scratch {
    char dir[64];
    char *path;
};

static void scratch_init(struct scratch *s)
{
    strcpy(s->dir, "/tmp/test-idpool-XXXXXX");
    ASSERT(mkdtemp(s->dir));
    ASSERT(asprintf(&s->path, "%s/userns.json", s->dir) >= 0);
}

/* rmdir() fails if idpool left anything else (a temporary file). */
static void scratch_done(struct scratch *s)
{
    _cleanup_free_ char *broken = NULL;

    ASSERT(asprintf(&broken, "%s.broken", s->path) >= 0);
    (void) unlink(s->path);
    (void) unlink(broken);
    ASSERT(rmdir(s->dir) == 0);
    free(s->path);
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

/* Assign for text; hosts[i] per container (0 where none). */
static int assign(const struct scratch *s, const char *text, uint32_t hosts[8], const char **who)
{
    _cleanup_(config_freep) struct corral_config *c = load_cfg(text);

    memset(hosts, 0, 8 * sizeof(*hosts));
    return idpool_assign(c, s->path, hosts, who);
}

static void test_stable_and_distinct(void)
{
    struct scratch s;
    uint32_t h[8], again[8];

    scratch_init(&s);
    ASSERT_EQ(assign(&s, CTR("a", "yes") CTR("b", "yes") CTR("c", "no"), h, NULL), 0);
    ASSERT_EQ_U(h[0], 100000u);
    ASSERT_EQ_U(h[1], 100000u + 65536u);
    ASSERT_EQ_U(h[2], 0u);
    /* A new container in front does not move the others. */
    ASSERT_EQ(assign(&s, CTR("z", "yes") CTR("a", "yes") CTR("b", "yes"), again, NULL), 0);
    ASSERT_EQ_U(again[1], h[0]);
    ASSERT_EQ_U(again[2], h[1]);
    ASSERT_EQ_U(again[0], 100000u + 2 * 65536u);
    scratch_done(&s);
}

static void test_left_names_give_up_their_range(void)
{
    struct scratch s;
    uint32_t h[8];

    scratch_init(&s);
    ASSERT_EQ(assign(&s, CTR("a", "yes") CTR("b", "yes"), h, NULL), 0);
    ASSERT_EQ(assign(&s, CTR("b", "yes"), h, NULL), 0);
    ASSERT_EQ_U(h[0], 100000u + 65536u);
    /* a's range is free again: the next new name takes it. */
    ASSERT_EQ(assign(&s, CTR("b", "yes") CTR("n", "yes"), h, NULL), 0);
    ASSERT_EQ_U(h[1], 100000u);
    scratch_done(&s);
}

static void test_pool_end_and_explicit(void)
{
    struct scratch s;
    const char *who = NULL;
    uint32_t h[8];

    scratch_init(&s);
    /* Two ranges; a and b hold them. */
    ASSERT_EQ(assign(&s, POOL("200000", "131072") CTR("a", "yes") CTR("b", "yes"), h, NULL), 0);
    ASSERT_EQ_U(h[0], 200000u);
    ASSERT_EQ_U(h[1], 265536u);
    /* A file from a bigger pool: b's remembered slot 5 is outside this one. */
    ASSERT(write_file_atomic(s.path, "{\"version\": 1, \"ranges\": {\"b\": 5}}", 0600) == 0);
    ASSERT_EQ(assign(&s, POOL("200000", "131072") CTR("a", "yes") CTR("b", "yes"), h, &who), 0);
    ASSERT_EQ_U(h[1], 265536u);
    /* Explicit ranges are not the pool's business. */
    ASSERT_EQ(assign(&s, POOL("200000", "131072") CTR("x", "9000000:10"), h, NULL), 0);
    ASSERT_EQ_U(h[0], 0u);
    scratch_done(&s);
}

static void test_damaged_file_set_aside(void)
{
    struct scratch s;
    _cleanup_free_ char *broken = NULL;
    uint32_t h[8];
    struct stat st;

    scratch_init(&s);
    ASSERT(write_file_atomic(s.path, "{not json", 0600) == 0);
    ASSERT_EQ(assign(&s, CTR("a", "yes"), h, NULL), 1);
    ASSERT_EQ_U(h[0], 100000u);
    ASSERT(asprintf(&broken, "%s.broken", s.path) >= 0);
    ASSERT(stat(broken, &st) == 0);
    ASSERT_EQ(assign(&s, CTR("a", "yes"), h, NULL), 0);
    scratch_done(&s);
}

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
    {"a range per name, stable when others are added", test_stable_and_distinct},
    {"a name that left gives its range up", test_left_names_give_up_their_range},
    {"a remembered slot outside the pool is replaced; explicit ranges untouched",
     test_pool_end_and_explicit},
    {"a damaged file is set aside, not fatal", test_damaged_file_set_aside},
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
