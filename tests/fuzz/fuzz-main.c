/* SPDX-License-Identifier: MIT */
/* A stand-in for libFuzzer where it is not available (gcc builds): runs a
 * fuzz target once over every file named, or every file in a directory
 * named, so that the seed corpora, and every input that once crashed, are
 * a regression test in every build. One TAP result an argument. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "macro.h"
#include "util.h"

/* Larger than any target reads. */
#define MAX_FILE (4 * 1024 * 1024)

static int run_file(const char *path)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ uint8_t *copy = NULL;
    int r;

    r = read_file(path, &text, MAX_FILE);
    if (r < 0)
        return r;
    /* An exact copy, so that a read past the end is caught. */
    copy = malloc(r > 0 ? (size_t) r : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, text, (size_t) r);
    (void) LLVMFuzzerTestOneInput(copy, (size_t) r);
    return 0;
}

static int no_dot(const struct dirent *de)
{
    return de->d_name[0] != '.';
}

/* In name order, so that a failure is the same input on every run. */
static int run_dir(const char *path, unsigned *ret_n)
{
    struct dirent **list = NULL;
    int n, r = 0;

    n = scandir(path, &list, no_dot, alphasort);
    if (n < 0)
        return negative_errno();
    *ret_n = 0;
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *file = path_join(path, list[i]->d_name);

        if (r == 0 && !file)
            r = -ENOMEM;
        if (r == 0) {
            printf("# %s\n", file);
            fflush(stdout); /* the last one named is the one that crashed */
            r = run_file(file);
            if (r < 0)
                fprintf(stderr, "cannot read '%s': %s\n", file, strerror(-r));
            else
                (*ret_n)++;
        }
        free(list[i]);
    }
    free(list);
    return r;
}

int main(int argc, char **argv)
{
    int failed = 0;

    printf("1..%d\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        unsigned n = 1;
        int r;

        if (stat(argv[i], &st) < 0)
            r = negative_errno();
        else if (S_ISDIR(st.st_mode))
            r = run_dir(argv[i], &n);
        else
            r = run_file(argv[i]);
        if (r < 0) {
            printf("not ok %d - %s: %s\n", i, argv[i], strerror(-r));
            failed = 1;
        } else {
            printf("ok %d - %s (%u input%s)\n", i, argv[i], n, n == 1 ? "" : "s");
        }
        fflush(stdout);
    }
    return failed;
}
