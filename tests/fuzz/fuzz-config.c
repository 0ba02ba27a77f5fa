/* SPDX-License-Identifier: MIT */
/* The config parser over arbitrary text. Beyond not crashing: a refusal
 * comes with diagnostics in the "FILE:LINE: ..." form and leaves *ret
 * alone; an accepted config dumps to INI that loads again and dumps the
 * same (what `corral check` prints is a config corral accepts). */
#include <errno.h>
#include <string.h>

#include "config/config.h"
#include "fuzz.h"
#include "macro.h"

/* Absolute, so that relative paths resolve without the cwd. */
#define NAME "/etc/corral/corral.ini"

/* Longer inputs only make each run slower: the line limit is tested by
 * the unit tests. */
#define MAX_INPUT (256 * 1024)

static char *dump(const struct corral_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    FUZZ_CHECK(f);
    config_dump(c, f);
    FUZZ_CHECK(fclose(f) == 0);
    return buf;
}

static void check_diag(const struct config_diag *d)
{
    FUZZ_CHECK(d->n > 0);
    FUZZ_CHECK(d->lines[d->n] == NULL);
    for (size_t i = 0; i < d->n; i++)
        FUZZ_CHECK(strncmp(d->lines[i], NAME ":", strlen(NAME ":")) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct corral_config *const untouched = (struct corral_config *) (uintptr_t) 0x1;
    _cleanup_free_ char *text = NULL, *first = NULL, *second = NULL;
    struct config_diag diag = {};
    struct corral_config *c = untouched, *again = untouched;
    int r;

    if (size > MAX_INPUT)
        return 0;
    /* The string API stops at a NUL, as a file with one would not. */
    text = malloc(size + 1);
    FUZZ_CHECK(text);
    memcpy(text, data, size);
    text[size] = 0;

    r = config_load_string(NAME, text, &c, &diag);
    if (r < 0) {
        FUZZ_CHECK(r == -EINVAL);
        FUZZ_CHECK(c == untouched);
        check_diag(&diag);
        config_diag_clear(&diag);
        return 0;
    }
    FUZZ_CHECK(r == 0 && c && c != untouched);
    config_diag_clear(&diag);

    first = dump(c);
    r = config_load_string(NAME, first, &again, &diag);
    if (r < 0) {
        fprintf(stderr, "the dump does not load again:\n%s\n", first);
        for (size_t i = 0; i < diag.n; i++)
            fprintf(stderr, "  %s\n", diag.lines[i]);
    }
    FUZZ_CHECK(r == 0);
    second = dump(again);
    if (!streq(first, second))
        fprintf(stderr, "the dump changed on a second round:\n%s\n---\n%s\n", first, second);
    FUZZ_CHECK(streq(first, second));

    config_diag_clear(&diag);
    config_free(again);
    config_free(c);
    return 0;
}
