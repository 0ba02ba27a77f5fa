/* SPDX-License-Identifier: MIT */
/* Cleanup helpers and small macros shared by every module. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))
#endif

#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _fallthrough_ __attribute__((__fallthrough__))
#define _noreturn_ __attribute__((noreturn))
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
    free(*(void **) p);
}

/* fds start life as -EBADF so that a cleanup never closes fd 0 by mistake. */
static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void close_pairp(int (*p)[2])
{
    closep(&(*p)[0]);
    closep(&(*p)[1]);
}

/* Close if open; returns -EBADF to store back: fd = safe_close(fd). */
static inline int safe_close(int fd)
{
    if (fd >= 0)
        closep(&fd);
    return -EBADF;
}

static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

/* Free a NULL-terminated vector of strings, and the vector. */
static inline void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static inline void strv_freep(char ***v)
{
    strv_free(*v);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_pair_ _cleanup_(close_pairp)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hand ownership on: return the value and leave the variable empty. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _p = (p);                                                                    \
        (p) = NULL;                                                                                \
        _p;                                                                                        \
    })

#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _fd = (fd);                                                                            \
        (fd) = -EBADF;                                                                             \
        _fd;                                                                                       \
    })

/* Negative errno from the last failed libc call, never 0. */
static inline int negative_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

#define streq(a, b) (strcmp((a), (b)) == 0)
