/* SPDX-License-Identifier: MIT */
/* What a fuzz target is: libFuzzer's entry point, called with one input
 * (never NULL, exactly size bytes: ASan sees a read past the end). The
 * same targets link with fuzz-main.c to replay a corpus where libFuzzer is
 * not available. A broken promise aborts, which libFuzzer reports as a
 * crash with the input that caused it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(expr)                                                                           \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #expr);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
