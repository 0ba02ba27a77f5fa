/* SPDX-License-Identifier: MIT */
/* Small helpers with no state: parsing numbers, durations, sizes and signal
 * names, string vectors, paths and files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "10s", "500ms", "2m", "1h"; a bare number means seconds. */
int parse_duration_ms(const char *s, uint64_t *ret_ms);
/* "512", "64K", "256M", "2G", "1T" (powers of 1024). */
int parse_size(const char *s, uint64_t *ret_bytes);
int parse_uint64(const char *s, uint64_t *ret);
/* "yes/no", "true/false", "on/off", "1/0". */
int parse_bool(const char *s, bool *ret);

/* "TERM", "SIGTERM", "sigterm" or "15"; returns the signal number or -EINVAL. */
int signal_from_string(const char *s);
/* "SIGTERM"; a static string, "SIG?" for an unknown number. */
const char *signal_to_string(int sig);

size_t strv_length(char *const *v);
/* Append s (taken over) to the NULL-terminated vector *v. */
int strv_push(char ***v, char *s);
char **strv_copy(char *const *v);

uint64_t now_realtime_ms(void);
uint64_t now_monotonic_ms(void);
/* "3d4h", "5m12s", "42s": a short human duration. */
void format_duration(uint64_t ms, char *buf, size_t len);
/* "512B", "1.5K", "23.4M", "2.0G" (powers of 1024). */
void format_size(uint64_t bytes, char *buf, size_t len);
/* An IPv4 address in host byte order as a.b.c.d. */
void format_ipv4(uint32_t addr, char buf[static 16]);

/* Join two path parts with exactly one slash; NULL on ENOMEM. */
char *path_join(const char *a, const char *b);
int mkdir_p(const char *path, mode_t mode);
/* Write content to path through a temp file and rename(2). */
int write_file_atomic(const char *path, const char *content, mode_t mode);
/* Replace path's content in place, keeping its inode (a file bind-mounted
 * elsewhere shows the change), unless it already holds exactly content.
 * 1 when written, 0 when unchanged. Not atomic for readers: they may see
 * an empty file for a moment. */
int write_file_in_place(const char *path, const char *content, mode_t mode);
/* Read a whole (small) file into a NUL-terminated string. */
int read_file(const char *path, char **ret, size_t max);
