/* SPDX-License-Identifier: MIT */
/* The unit tests' assertions: no framework; a failed check prints
 * file:line and what it compared, and exits 1. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(expr)                                                                               \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr);           \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define ASSERT_STREQ(a, b)                                                                         \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                                   \
            fprintf(stderr,                                                                        \
                    "%s:%d: assertion failed: %s == %s\n  got:      '%s'\n  expected: '%s'\n",     \
                    __FILE__, __LINE__, #a, #b, _a ?: "(null)", _b ?: "(null)");                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long _a = (long long) (a), _b = (long long) (b);                                      \
        if (_a != _b) {                                                                            \
            fprintf(stderr, "%s:%d: assertion failed: %s == %s (%lld != %lld)\n", __FILE__,        \
                    __LINE__, #a, #b, _a, _b);                                                     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Unsigned, for values up to UINT64_MAX (delays). */
#define ASSERT_EQ_U(a, b)                                                                          \
    do {                                                                                           \
        unsigned long long _a = (unsigned long long) (a), _b = (unsigned long long) (b);           \
        if (_a != _b) {                                                                            \
            fprintf(stderr, "%s:%d: assertion failed: %s == %s (%llu != %llu)\n", __FILE__,        \
                    __LINE__, #a, #b, _a, _b);                                                     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
