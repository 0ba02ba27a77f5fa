/* SPDX-License-Identifier: MIT */
/* A container's seccomp filter: built in the supervisor with libseccomp and
 * exported to classic BPF there, so that the child, between clone3 and
 * execve, only makes one syscall to install it (no allocation, no library).
 *
 * Two sources:
 *   - corral's built-in filter (SECCOMP_DEFAULT): a deny-list, default
 *     allow. Everything a container may need keeps working (busybox, glibc
 *     userlands, python3); what is denied is kernel surface a container has
 *     no business with: keyrings, kexec and modules, mounts and the new
 *     mount API, new namespaces (unshare, clone with CLONE_NEW*, setns),
 *     bpf, perf_event_open, io_uring, userfaultfd, open_by_handle_at, the
 *     host's clock and kernel log, obsolete syscalls, personality flags
 *     beyond docker's five. It answers EPERM (clone3: ENOSYS, so glibc
 *     falls back to clone, whose flags the filter can read). As in docker's
 *     profile, a capability the container holds lifts the groups it governs
 *     (CAP_SYS_ADMIN: mounts and namespaces, CAP_SYS_TIME: the clock...);
 *     keyrings, kexec, io_uring and the obsolete syscalls stay denied
 *     whatever the capabilities. The list and the reason for each entry is
 *     in seccomp.c.
 *     A deny-list rather than docker's allow-list: an allow-list breaks
 *     whatever new syscall a userland adopts before corral lists it; the
 *     price is that a syscall newer than libseccomp's table cannot be
 *     denied by name (see seccomp.c).
 *   - a docker-format JSON profile (SECCOMP_FILE), read with jansson.
 *
 * Architectures. On x86_64 the default filter covers the i386 ABI (int
 * $0x80) and the x32 ABI (syscall numbers | 0x40000000) with the same
 * rules, translated per ABI by libseccomp: 32-bit programs keep working,
 * and neither ABI reaches a denied syscall under another number. Any other
 * ABI (none exists on x86_64 today; on other hosts, any not listed) gets
 * ENOSYS for every syscall. aarch64 adds arm, s390x adds s390 likewise. A
 * JSON profile names its own architectures; ABIs it leaves out get ENOSYS
 * too. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* A JSON profile larger than this is refused: docker's own is ~20 KiB. */
#define SECCOMP_PROFILE_SIZE_MAX (4u << 20)

struct sock_fprog;
struct seccomp_filter; /* a classic BPF program, ready to load */

/* Build the filter for a container. mode SECCOMP_UNCONFINED: *ret = NULL
 * and 0. SECCOMP_FILE: the docker-format profile at `file` (otherwise
 * ignored). caps: bit (1 << CAP_X) per capability the container keeps
 * (container_spec.caps); it lifts the default filter's groups as described
 * above, and decides a profile's includes.caps (applied only if every
 * listed capability is held) and excludes.caps (skipped if any is).
 *
 * Profiles as docker reads them: names libseccomp does not know are
 * skipped (seccomp_filter_unknown() counts them); a rule whose action is
 * the default action is skipped; several conditions on one argument make
 * one rule each (an OR), as runc does. A profile that is not valid JSON,
 * that has a field of the wrong type, an unknown action, comparison,
 * architecture or flag, is refused. Values are integers 0..2^63-1.
 *
 * 0, or a negative errno with one line in err (may be NULL): -EINVAL for a
 * malformed profile ("profile FILE: syscalls[3].action: unknown action
 * 'SCMP_ACT_FOO'"), -EFBIG for one over SECCOMP_PROFILE_SIZE_MAX,
 * -E2BIG for a filter over the kernel's 4096 instructions, the errno of a
 * failed open or read, -ENOMEM. */
int seccomp_filter_build(enum seccomp_mode mode, const char *file, uint64_t caps,
                         struct seccomp_filter **ret, char *err, size_t errlen);

const struct sock_fprog *seccomp_filter_prog(const struct seccomp_filter *f);
/* Names in the profile that libseccomp does not know, skipped (0 for the
 * default filter). */
unsigned seccomp_filter_unknown(const struct seccomp_filter *f);
/* Accepts NULL. */
void seccomp_filter_free(struct seccomp_filter *f);

/* Install f on the calling thread (NULL: nothing to do, 0). For the
 * child, as the very last step before execve: one seccomp(2) (prctl(2)
 * where seccomp(2) is missing and the profile asks for no flags), no
 * allocation. The kernel requires no_new_privs, or CAP_SYS_ADMIN at this
 * point: a container run with no_new_privileges = no must load the filter
 * before it drops its capabilities (capset stays allowed). 0 or -errno. */
int seccomp_filter_load(const struct seccomp_filter *f);
