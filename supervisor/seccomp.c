/* SPDX-License-Identifier: MIT */
/* The seccomp filter, built in the parent with libseccomp and exported to
 * classic BPF through a memfd (this libseccomp has no
 * seccomp_export_bpf_mem), so the child loads a plain sock_fprog with one
 * syscall.
 *
 * libseccomp (2.5) facts this file leans on:
 *   - seccomp_rule_add() takes the native syscall number and translates it
 *     per architecture through the name; a syscall an ABI lacks (vm86 on
 *     x86_64, kexec_file_load on i386) is left out of that ABI's section.
 *   - A name missing from libseccomp's table resolves to __NR_SCMP_ERROR,
 *     and a raw number it does not know is refused (-EFAULT): a syscall
 *     newer than the table cannot be denied at all. With Debian's 2.5.4
 *     that is everything from statmount (457, Linux 6.8) on; of those only
 *     open_tree_attr (6.15) belongs with what the default filter denies,
 *     and, as for open_tree, its cases that matter need CAP_SYS_ADMIN.
 *   - A rule holds at most one comparison per argument (-EINVAL
 *     otherwise); several rules for one syscall and action are ORed. Hence
 *     one rule per namespace flag, and the personality rules below.
 *   - A rule whose action is the filter's default is refused (-EACCES).
 */
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>
#include <seccomp.h>

#include "macro.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define CAPBIT(c) (UINT64_C(1) << (c))
#define PATH_LEN 128

struct seccomp_filter {
    struct sock_fprog prog; /* .filter points at insns */
    unsigned flags;         /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
    unsigned n_unknown;
    struct sock_filter insns[];
};

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- architectures ---- */

/* The other ABIs a host of this architecture runs natively. */
static const struct {
    uint32_t native;
    uint32_t compat[2]; /* 0-terminated when shorter */
} compat_arches[] = {
    {SCMP_ARCH_X86_64, {SCMP_ARCH_X86, SCMP_ARCH_X32}},
    {SCMP_ARCH_AARCH64, {SCMP_ARCH_ARM, 0}},
    {SCMP_ARCH_S390X, {SCMP_ARCH_S390, 0}},
};

/* The host's name in a profile's includes/excludes.arches: docker matches
 * Go's GOARCH there. */
static const char *host_goarch(uint32_t native)
{
    switch (native) {
    case SCMP_ARCH_X86_64:
        return "amd64";
    case SCMP_ARCH_X86:
        return "386";
    case SCMP_ARCH_AARCH64:
        return "arm64";
    case SCMP_ARCH_ARM:
        return "arm";
    case SCMP_ARCH_PPC64LE:
        return "ppc64le";
    case SCMP_ARCH_PPC64:
        return "ppc64";
    case SCMP_ARCH_S390X:
        return "s390x";
    case SCMP_ARCH_S390:
        return "s390";
    case SCMP_ARCH_RISCV64:
        return "riscv64";
    case SCMP_ARCH_MIPS64:
        return "mips64";
    case SCMP_ARCH_MIPSEL64:
        return "mips64le";
    default:
        return "";
    }
}

/* Where clone(2) keeps its flags: s390 swaps the first two arguments
 * (CLONE_BACKWARDS2). */
static unsigned clone_flags_arg(uint32_t native)
{
    return native == SCMP_ARCH_S390X || native == SCMP_ARCH_S390 ? 1 : 0;
}

static int arch_add(scmp_filter_ctx ctx, uint32_t arch)
{
    int r = seccomp_arch_add(ctx, arch);

    return r == -EEXIST ? 0 : r;
}

/* ---- the default filter ---- */

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

struct deny_group {
    const char *const *names;
    uint64_t unless_caps; /* holding any of these lifts the group, as in docker's profile */
};

/* Denied with EPERM (clone, unshare, clone3 and personality: further
 * down). Kept allowed, on purpose:
 *   ptrace, process_vm_readv/writev, pidfd_getfd: the pid namespace holds
 *     what they can reach, the kernel checks ptrace access, and since 4.8
 *     a tracer cannot change a syscall past the filter (docker allows them);
 *   get_mempolicy, set_mempolicy, mbind, migrate_pages, move_pages: NUMA
 *     placement of memory the caller may already touch, bounded by
 *     cpuset.mems; moving another user's pages needs CAP_SYS_NICE; the JVM
 *     and libnuma probe them;
 *   adjtimex, clock_adjtime: with modes = 0 they only read the clock
 *     (ntp_gettime), setting needs CAP_SYS_TIME, and the mode sits behind a
 *     pointer the filter cannot read;
 *   name_to_handle_at: see open_by_handle_at below;
 *   modify_ldt (wine, 16-bit code), sethostname/setdomainname (the
 *     container's own UTS namespace, and CAP_SYS_ADMIN). */
static const struct deny_group deny_groups[] = {
    /* Keyrings are not namespaced: the host's keys, and its key quota. */
    {NAMES("keyctl", "add_key", "request_key"), 0},
    /* Replacing the running kernel. */
    {NAMES("kexec_load", "kexec_file_load"), 0},
    /* Code into the host's kernel. */
    {NAMES("init_module", "finit_module", "delete_module"), CAPBIT(CAP_SYS_MODULE)},
    /* Mounts: corral set the container's mount table up, and the new mount
     * API (fsopen...) is where recent escapes went. */
    {NAMES("mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
           "fsconfig", "fsmount", "fspick", "mount_setattr"),
     CAPBIT(CAP_SYS_ADMIN)},
    /* Entering other namespaces (new ones: the clone/unshare rules below). */
    {NAMES("setns"), CAPBIT(CAP_SYS_ADMIN)},
    /* Host-wide facilities behind CAP_SYS_ADMIN: swap, disk quotas,
     * fanotify marks on any mount, profiling cookies. */
    {NAMES("swapon", "swapoff", "quotactl", "quotactl_fd", "fanotify_init", "lookup_dcookie"),
     CAPBIT(CAP_SYS_ADMIN)},
    /* Kernel attack surface of their own: eBPF programs and the perf
     * subsystem. */
    {NAMES("bpf"), CAPBIT(CAP_SYS_ADMIN) | CAPBIT(CAP_BPF)},
    {NAMES("perf_event_open"), CAPBIT(CAP_SYS_ADMIN) | CAPBIT(CAP_PERFMON)},
    /* io_uring: a large surface whose operations never pass through
     * seccomp (docker and most distributions now deny it). */
    {NAMES("io_uring_setup", "io_uring_enter", "io_uring_register"), 0},
    /* Lets an exploit stall the kernel in the middle of a copy from user
     * memory; the kernel itself asks CAP_SYS_PTRACE when the
     * vm.unprivileged_userfaultfd sysctl is off. */
    {NAMES("userfaultfd"), CAPBIT(CAP_SYS_PTRACE)},
    /* Compares kernel objects of two processes: a pointer-order oracle. */
    {NAMES("kcmp"), CAPBIT(CAP_SYS_PTRACE)},
    /* Files by handle, from any directory of the filesystem: out of the
     * container's root ("shocker"). name_to_handle_at stays allowed, as in
     * docker: a handle is of no use without this, and systemd reads mount
     * ids with it. */
    {NAMES("open_by_handle_at"), CAPBIT(CAP_DAC_READ_SEARCH)},
    /* The host's clock. */
    {NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"), CAPBIT(CAP_SYS_TIME)},
    /* The host's kernel log. */
    {NAMES("syslog"), CAPBIT(CAP_SYSLOG) | CAPBIT(CAP_SYS_ADMIN)},
    /* Process accounting into a file of the host's choosing. */
    {NAMES("acct"), CAPBIT(CAP_SYS_PACCT)},
    /* Raw I/O ports. */
    {NAMES("iopl", "ioperm"), CAPBIT(CAP_SYS_RAWIO)},
    /* In a pid namespace, reboot ends the container's init. */
    {NAMES("reboot"), CAPBIT(CAP_SYS_BOOT)},
    /* Obsolete interfaces, nothing current uses them, some with a history
     * of bugs; most are gone from the kernel already. */
    {NAMES("vm86", "vm86old", "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl", "create_module",
           "get_kernel_syms", "query_module"),
     0},
};

/* unshare(2) flags that make a namespace; clone(2) takes the same except
 * CLONE_NEWTIME, whose bit is part of CSIGNAL there (the exit signal). */
static const uint64_t ns_flags[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_NEWTIME,
};

/* personality(2) values that pass, as in docker: */
#define PERSONA_KEEP_BITS 0x20008u /* PER_LINUX32 (0x8), UNAME26 (0x20000), both, or neither */
#define PERSONA_QUERY 0xffffffffu  /* reads the current one */

/* Every other value is EPERM: ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the
 * foreign personalities weaken the process. With one comparison per
 * argument and per rule, the complement of those five values is a union of
 * single MASKED_EQ rules: a value over 32 bits (the kernel would truncate
 * it); else, along a cycle through the 30 bits outside KEEP_BITS, "this
 * bit set and the next one clear" (a value with some of them set and some
 * clear has such a pair); else all 30 are set and bit 3 or 17 is clear:
 * "bit 0 set, bit 3 clear" and "bit 0 set, bit 17 clear". No rule matches
 * a value with no bit outside KEEP_BITS (each needs one set), nor
 * PERSONA_QUERY (each needs one clear). */
static int add_personality_rules(scmp_filter_ctx ctx, int nr)
{
    unsigned bits[32], n = 0;
    int r;

    for (unsigned b = 0; b < 32; b++)
        if (!(PERSONA_KEEP_BITS & (1u << b)))
            bits[n++] = b;

    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                         SCMP_A0(SCMP_CMP_GT, (scmp_datum_t) PERSONA_QUERY));
    for (unsigned i = 0; r >= 0 && i < n + 2; i++) {
        uint64_t set = UINT64_C(1) << bits[i < n ? i : 0];
        uint64_t clear = UINT64_C(1) << (i < n ? bits[(i + 1) % n] : i == n ? 3 : 17);

        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, set | clear, set));
    }
    return r;
}

static int build_default(uint64_t caps, scmp_filter_ctx *ret_ctx, unsigned *ret_unknown, char *err,
                         size_t errlen)
{
    _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
    uint32_t native = seccomp_arch_native();
    unsigned unknown = 0, fa;
    const char *what = "";
    int r, nr;

    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        set_err(err, errlen, "default filter: out of memory");
        return -ENOMEM;
    }
    /* An ABI left out of the filter must not be a way around it. */
    r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
    if (r < 0) {
        what = "bad-architecture action";
        goto fail;
    }
    for (size_t i = 0; i < ELEMENTSOF(compat_arches); i++)
        for (size_t j = 0; compat_arches[i].native == native && j < 2; j++)
            if (compat_arches[i].compat[j] != 0) {
                r = arch_add(ctx, compat_arches[i].compat[j]);
                if (r < 0) {
                    what = "architecture";
                    goto fail;
                }
            }

    for (size_t i = 0; i < ELEMENTSOF(deny_groups); i++) {
        if (deny_groups[i].unless_caps & caps)
            continue;
        for (const char *const *n = deny_groups[i].names; *n; n++) {
            /* An older libseccomp than the list: nothing to deny it by. */
            nr = seccomp_syscall_resolve_name(*n);
            if (nr == __NR_SCMP_ERROR) {
                unknown++;
                continue;
            }
            r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
            if (r < 0) {
                what = *n;
                goto fail;
            }
        }
    }

    /* New namespaces, above all user namespaces, reach kernel code that
     * otherwise only root does. clone3 hides its flags in a struct the
     * filter cannot read: ENOSYS makes glibc fall back to clone. */
    if (!(caps & CAPBIT(CAP_SYS_ADMIN))) {
        fa = clone_flags_arg(native);
        for (size_t i = 0; i < ELEMENTSOF(ns_flags); i++) {
            struct scmp_arg_cmp c = SCMP_CMP(0, SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);

            what = "unshare";
            r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1, &c);
            if (r < 0)
                goto fail;
            if (ns_flags[i] == CLONE_NEWTIME)
                continue;
            c.arg = fa;
            what = "clone";
            r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, &c);
            if (r < 0)
                goto fail;
        }
        nr = seccomp_syscall_resolve_name("clone3");
        if (nr != __NR_SCMP_ERROR) {
            what = "clone3";
            r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
            if (r < 0)
                goto fail;
        }
    }

    what = "personality";
    r = add_personality_rules(ctx, SCMP_SYS(personality));
    if (r < 0)
        goto fail;

    *ret_ctx = TAKE_PTR(ctx);
    *ret_unknown = unknown;
    return 0;

fail:
    set_err(err, errlen, "default filter: %s: libseccomp: %s", what, strerror(-r));
    return r;
}

/* ---- docker JSON profiles ---- */

struct profile {
    const char *file;
    char *err;
    size_t errlen;
    uint64_t caps;
    uint32_t native;
    unsigned kernel[2]; /* the host's major.minor */
    scmp_filter_ctx ctx;
    uint32_t def_action;
    unsigned flags;
    unsigned n_unknown;
};

static int bad(struct profile *p, const char *path, const char *fmt, ...) _printf_(3, 4);
static int bad(struct profile *p, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (path && *path)
        set_err(p->err, p->errlen, "profile %s: %s: %s", p->file, path, msg);
    else
        set_err(p->err, p->errlen, "profile %s: %s", p->file, msg);
    return -EINVAL;
}

static const char *type_str(json_type t)
{
    switch (t) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static const char *type_name(const json_t *j)
{
    return type_str(json_typeof(j));
}

/* JSON paths ("syscalls[3].args[0].op") for messages; a long one is cut. */
static void pathf(char ret[PATH_LEN], const char *fmt, ...) _printf_(2, 3);
static void pathf(char ret[PATH_LEN], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ret, PATH_LEN, fmt, ap);
    va_end(ap);
}

static void join(char ret[PATH_LEN], const char *path, const char *key)
{
    pathf(ret, "%s%s%s", path, *path ? "." : "", key);
}

/* obj.key of the given type; absent or null: *ret = NULL (Go's decoder,
 * which docker uses, takes null as absent too). */
static int get(struct profile *p, json_t *obj, const char *path, const char *key, json_type type,
               json_t **ret)
{
    json_t *v = json_object_get(obj, key);
    char sub[PATH_LEN];

    *ret = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_typeof(v) != type) {
        join(sub, path, key);
        return bad(p, sub, "expected %s, got %s", type_str(type), type_name(v));
    }
    *ret = v;
    return 0;
}

/* obj.key, an integer in 0..max: 1 if there, 0 if absent (*ret untouched). */
static int get_uint(struct profile *p, json_t *obj, const char *path, const char *key, uint64_t max,
                    uint64_t *ret)
{
    char sub[PATH_LEN];
    json_int_t v;
    json_t *j;
    int r;

    r = get(p, obj, path, key, JSON_INTEGER, &j);
    if (r < 0 || !j)
        return r;
    v = json_integer_value(j);
    if (v < 0 || (uint64_t) v > max) {
        join(sub, path, key);
        return bad(p, sub, "%" JSON_INTEGER_FORMAT " is out of range (0-%" PRIu64 ")", v, max);
    }
    *ret = (uint64_t) v;
    return 1;
}

/* obj.key, an array of strings, or NULL. */
static int get_strings(struct profile *p, json_t *obj, const char *path, const char *key,
                       json_t **ret)
{
    char sub[PATH_LEN], elem[PATH_LEN];
    json_t *v;
    size_t i;
    int r;

    r = get(p, obj, path, key, JSON_ARRAY, ret);
    if (r < 0 || !*ret)
        return r;
    for (i = 0; i < json_array_size(*ret); i++) {
        v = json_array_get(*ret, i);
        if (!json_is_string(v)) {
            join(sub, path, key);
            pathf(elem, "%s[%zu]", sub, i);
            return bad(p, elem, "expected a string, got %s", type_name(v));
        }
    }
    return 0;
}

static bool strings_contain(json_t *arr, const char *s)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (streq(json_string_value(json_array_get(arr, i)), s))
            return true;
    return false;
}

static const struct {
    const char *name;
    uint32_t action;
    bool takes_errno; /* errnoRet becomes the return value (TRACE: the tracer's message) */
} actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
};

/* obj.<action_key> and obj.<errno_key>: the action with its errno (EPERM
 * when not given, as in docker). */
static int parse_action(struct profile *p, json_t *obj, const char *path, const char *action_key,
                        const char *errno_key, uint32_t *ret)
{
    char sub[PATH_LEN];
    uint64_t e = EPERM;
    const char *name;
    json_t *j;
    int r, has_errno;

    r = get(p, obj, path, action_key, JSON_STRING, &j);
    if (r < 0)
        return r;
    join(sub, path, action_key);
    if (!j)
        return bad(p, sub, "missing");
    name = json_string_value(j);
    has_errno = get_uint(p, obj, path, errno_key, 4095 /* MAX_ERRNO */, &e);
    if (has_errno < 0)
        return has_errno;

    for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
        if (!streq(actions[i].name, name))
            continue;
        if (has_errno && !actions[i].takes_errno) {
            join(sub, path, errno_key);
            return bad(p, sub, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not %s", name);
        }
        *ret = actions[i].action | (actions[i].takes_errno ? (uint32_t) e : 0);
        return 0;
    }
    if (streq(name, "SCMP_ACT_NOTIFY"))
        return bad(p, sub, "SCMP_ACT_NOTIFY is not supported (corral runs no seccomp agent)");
    return bad(p, sub,
               "unknown action '%s' (SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_THREAD, "
               "_KILL_PROCESS, _TRAP, _TRACE or _LOG)",
               name);
}

static const struct {
    const char *name;
    enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* {index, value, valueTwo, op}. MASKED_EQ: (arg & value) == valueTwo,
 * libseccomp's order and docker's. */
static int parse_arg(struct profile *p, json_t *a, const char *path, struct scmp_arg_cmp *ret)
{
    char sub[PATH_LEN];
    uint64_t index = 0, value = 0, value2 = 0;
    const char *name;
    json_t *j;
    int r;

    if (!json_is_object(a))
        return bad(p, path, "expected an object, got %s", type_name(a));
    r = get_uint(p, a, path, "index", 5, &index);
    if (r == 0) {
        join(sub, path, "index");
        return bad(p, sub, "missing");
    }
    if (r < 0 || (r = get_uint(p, a, path, "value", INT64_MAX, &value)) < 0 ||
        (r = get_uint(p, a, path, "valueTwo", INT64_MAX, &value2)) < 0 ||
        (r = get(p, a, path, "op", JSON_STRING, &j)) < 0)
        return r;
    join(sub, path, "op");
    if (!j)
        return bad(p, sub, "missing");
    name = json_string_value(j);
    for (size_t i = 0; i < ELEMENTSOF(ops); i++)
        if (streq(ops[i].name, name)) {
            *ret = (struct scmp_arg_cmp){
                .arg = (unsigned) index, .op = ops[i].op, .datum_a = value, .datum_b = value2};
            return 0;
        }
    return bad(p, sub,
               "unknown comparison '%s' (SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT or _MASKED_EQ)",
               name);
}

/* "4.8" (more may follow: "5.10.0"). */
static bool parse_kernel(const char *s, unsigned ret[2])
{
    int n = 0;

    if (sscanf(s, "%u.%u%n", &ret[0], &ret[1], &n) != 2 || n == 0)
        return false;
    return s[n] == '\0' || s[n] == '.' || s[n] == '-' || s[n] == '+';
}

static bool kernel_at_least(const struct profile *p, const unsigned k[2])
{
    return p->kernel[0] != k[0] ? p->kernel[0] > k[0] : p->kernel[1] >= k[1];
}

/* An unknown capability name is one no container of ours holds. */
static bool cap_held(const struct profile *p, const char *name)
{
    cap_value_t c;

    return cap_from_name(name, &c) == 0 && c >= 0 && c < 64 && (p->caps & CAPBIT(c));
}

/* includes / excludes: {caps, arches, minKernel}; empty lists constrain
 * nothing, as in docker. */
struct when {
    json_t *caps, *arches;
    bool has_kernel;
    unsigned kernel[2];
};

static int parse_when(struct profile *p, json_t *entry, const char *path, const char *key,
                      struct when *ret)
{
    char sub[PATH_LEN], sub2[PATH_LEN];
    json_t *o, *k;
    int r;

    *ret = (struct when){};
    r = get(p, entry, path, key, JSON_OBJECT, &o);
    if (r < 0 || !o)
        return r;
    join(sub, path, key);
    if ((r = get_strings(p, o, sub, "caps", &ret->caps)) < 0 ||
        (r = get_strings(p, o, sub, "arches", &ret->arches)) < 0 ||
        (r = get(p, o, sub, "minKernel", JSON_STRING, &k)) < 0)
        return r;
    if (k && *json_string_value(k)) {
        if (!parse_kernel(json_string_value(k), ret->kernel)) {
            join(sub2, sub, "minKernel");
            return bad(p, sub2, "'%s' is not a kernel version (like \"4.8\")",
                       json_string_value(k));
        }
        ret->has_kernel = true;
    }
    return 0;
}

static bool included(const struct profile *p, const struct when *w)
{
    if (json_array_size(w->arches) > 0 && !strings_contain(w->arches, host_goarch(p->native)))
        return false;
    for (size_t i = 0; i < json_array_size(w->caps); i++)
        if (!cap_held(p, json_string_value(json_array_get(w->caps, i))))
            return false;
    return !w->has_kernel || kernel_at_least(p, w->kernel);
}

static bool excluded(const struct profile *p, const struct when *w)
{
    if (strings_contain(w->arches, host_goarch(p->native)))
        return true;
    for (size_t i = 0; i < json_array_size(w->caps); i++)
        if (cap_held(p, json_string_value(json_array_get(w->caps, i))))
            return true;
    return w->has_kernel && kernel_at_least(p, w->kernel);
}

/* One element of syscalls[]: validated whole, then applied if its
 * includes and excludes say so. */
static int add_entry(struct profile *p, json_t *e, size_t idx)
{
    _cleanup_free_ struct scmp_arg_cmp *conds = NULL;
    char path[PATH_LEN], sub[PATH_LEN], elem[PATH_LEN];
    json_t *names, *name, *args, *v;
    struct when inc, exc;
    bool one_per_rule = false;
    uint32_t action;
    size_t n_conds = 0, i;
    int r, nr;

    pathf(path, "syscalls[%zu]", idx);
    if (!json_is_object(e))
        return bad(p, path, "expected an object, got %s", type_name(e));

    if ((r = get_strings(p, e, path, "names", &names)) < 0 ||
        (r = get(p, e, path, "name", JSON_STRING, &name)) < 0)
        return r;
    if (names && name)
        return bad(p, path, "both 'name' and 'names' (use 'names')");
    if (!names && !name)
        return bad(p, path, "neither 'names' nor 'name'");

    r = parse_action(p, e, path, "action", "errnoRet", &action);
    if (r < 0)
        return r;

    r = get(p, e, path, "args", JSON_ARRAY, &args);
    if (r < 0)
        return r;
    if (json_array_size(args) > 0) {
        unsigned per_arg[6] = {};

        conds = calloc(json_array_size(args), sizeof(*conds));
        if (!conds)
            return -ENOMEM;
        join(sub, path, "args");
        for (i = 0; i < json_array_size(args); i++) {
            v = json_array_get(args, i);
            pathf(elem, "%s[%zu]", sub, i);
            r = parse_arg(p, v, elem, &conds[n_conds]);
            if (r < 0)
                return r;
            /* libseccomp takes one comparison per argument in a rule:
             * like runc, make each condition a rule of its own (an OR). */
            if (++per_arg[conds[n_conds].arg] > 1)
                one_per_rule = true;
            n_conds++;
        }
    }

    if ((r = parse_when(p, e, path, "includes", &inc)) < 0 ||
        (r = parse_when(p, e, path, "excludes", &exc)) < 0)
        return r;
    if (!included(p, &inc) || excluded(p, &exc))
        return 0;
    /* libseccomp refuses a rule that changes nothing. */
    if (action == p->def_action)
        return 0;

    for (i = 0; i < (names ? json_array_size(names) : 1); i++) {
        const char *s = json_string_value(names ? json_array_get(names, i) : name);

        nr = seccomp_syscall_resolve_name(s);
        if (nr == __NR_SCMP_ERROR) {
            /* Not in libseccomp's table, so not in this kernel as far as
             * we can tell: docker skips these too. */
            p->n_unknown++;
            continue;
        }
        if (one_per_rule)
            for (size_t c = 0; r >= 0 && c < n_conds; c++)
                r = seccomp_rule_add_array(p->ctx, action, nr, 1, &conds[c]);
        else
            r = seccomp_rule_add_array(p->ctx, action, nr, (unsigned) n_conds, conds);
        if (r < 0) {
            if (names)
                pathf(sub, "%s.names[%zu]", path, i);
            else
                join(sub, path, "name");
            bad(p, sub, "libseccomp refused the rule for '%s': %s", s, strerror(-r));
            return r;
        }
    }
    return 0;
}

/* docker name (SCMP_ARCH_X86_64) -> libseccomp token; 0 if unknown. */
static uint32_t arch_token(const char *name)
{
    char low[32];
    size_t n;

    if (strncmp(name, "SCMP_ARCH_", 10) != 0)
        return 0;
    name += 10;
    n = strlen(name);
    if (n == 0 || n >= sizeof(low))
        return 0;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char) (name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    return seccomp_arch_resolve_name(low);
}

static int add_arches(struct profile *p, json_t *list, const char *path)
{
    char elem[PATH_LEN];
    json_t *v;
    uint32_t t;
    size_t i;
    int r;

    for (i = 0; i < json_array_size(list); i++) {
        v = json_array_get(list, i);
        pathf(elem, "%s[%zu]", path, i);
        t = arch_token(json_string_value(v));
        if (t == 0)
            return bad(p, elem, "unknown architecture '%s'", json_string_value(v));
        r = arch_add(p->ctx, t);
        if (r < 0)
            return bad(p, elem, "libseccomp refused '%s': %s", json_string_value(v), strerror(-r));
    }
    return 0;
}

/* architectures: every one listed. archMap: the host's entry, i.e. its
 * architecture and subArchitectures; the others are only checked for
 * shape. Neither: the native ABI alone. */
static int parse_arches(struct profile *p, json_t *root)
{
    char path[PATH_LEN], sub[PATH_LEN];
    json_t *list, *map, *v, *a, *subs;
    size_t i;
    int r;

    if ((r = get_strings(p, root, "", "architectures", &list)) < 0 ||
        (r = get(p, root, "", "archMap", JSON_ARRAY, &map)) < 0)
        return r;
    if (json_array_size(list) > 0 && json_array_size(map) > 0)
        return bad(p, NULL, "both 'architectures' and 'archMap' (use one)");
    if (json_array_size(list) > 0)
        return add_arches(p, list, "architectures");

    for (i = 0; i < json_array_size(map); i++) {
        v = json_array_get(map, i);
        pathf(path, "archMap[%zu]", i);
        if (!json_is_object(v))
            return bad(p, path, "expected an object, got %s", type_name(v));
        if ((r = get(p, v, path, "architecture", JSON_STRING, &a)) < 0 ||
            (r = get_strings(p, v, path, "subArchitectures", &subs)) < 0)
            return r;
        if (!a) {
            join(sub, path, "architecture");
            return bad(p, sub, "missing");
        }
        if (arch_token(json_string_value(a)) != p->native)
            continue;
        join(sub, path, "subArchitectures");
        r = add_arches(p, subs, sub);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_flags(struct profile *p, json_t *root)
{
    char elem[PATH_LEN];
    json_t *list, *v;
    const char *s;
    size_t i;
    int r;

    r = get_strings(p, root, "", "flags", &list);
    if (r < 0)
        return r;
    for (i = 0; i < json_array_size(list); i++) {
        v = json_array_get(list, i);
        s = json_string_value(v);
        pathf(elem, "flags[%zu]", i);
        if (streq(s, "SECCOMP_FILTER_FLAG_LOG"))
            p->flags |= SECCOMP_FILTER_FLAG_LOG;
        else if (streq(s, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
            p->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        else if (!streq(s, "SECCOMP_FILTER_FLAG_TSYNC")) /* the child has one thread */
            return bad(p, elem,
                       "unsupported flag '%s' (SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW or _TSYNC)", s);
    }
    return 0;
}

/* The whole file, at most SECCOMP_PROFILE_SIZE_MAX bytes. */
static int read_profile(const char *file, char **ret, size_t *ret_len, char *err, size_t errlen)
{
    _cleanup_close_ int fd = -EBADF;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap;
    struct stat st;
    ssize_t n;
    int r;

    /* O_NONBLOCK: a FIFO put there must not hang the supervisor. */
    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0) {
        r = negative_errno();
        set_err(err, errlen, "profile %s: %s", file, strerror(-r));
        return r;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "profile %s: not a regular file", file);
        return -EINVAL;
    }
    if ((uint64_t) st.st_size > SECCOMP_PROFILE_SIZE_MAX)
        goto too_big;

    /* st_size is a hint (the file may change under us): the bound is
     * checked on what is read. */
    cap = (size_t) st.st_size + 1;
    buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {
            char *nbuf;

            if (cap > SECCOMP_PROFILE_SIZE_MAX)
                goto too_big;
            cap = cap * 2 > SECCOMP_PROFILE_SIZE_MAX + 1 ? SECCOMP_PROFILE_SIZE_MAX + 1 : cap * 2;
            nbuf = realloc(buf, cap);
            if (!nbuf)
                return -ENOMEM;
            buf = nbuf;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = negative_errno();
            set_err(err, errlen, "profile %s: %s", file, strerror(-r));
            return r;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    if (len > SECCOMP_PROFILE_SIZE_MAX)
        goto too_big;
    *ret = TAKE_PTR(buf);
    *ret_len = len;
    return 0;

too_big:
    set_err(err, errlen, "profile %s: larger than %u MiB", file, SECCOMP_PROFILE_SIZE_MAX >> 20);
    return -EFBIG;
}

static int build_profile(const char *file, uint64_t caps, scmp_filter_ctx *ret_ctx,
                         unsigned *ret_flags, unsigned *ret_unknown, char *err, size_t errlen)
{
    _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
    json_auto_t *root = NULL;
    _cleanup_free_ char *text = NULL;
    struct profile p = {.file = file, .err = err, .errlen = errlen, .caps = caps};
    struct utsname u;
    json_error_t jerr;
    json_t *listener, *calls, *v;
    size_t len, i;
    int r;

    if (!file) {
        set_err(err, errlen, "seccomp profile: no file given");
        return -EINVAL;
    }
    r = read_profile(file, &text, &len, err, errlen);
    if (r < 0)
        return r;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        set_err(err, errlen, "profile %s: line %d column %d: %s", file, jerr.line, jerr.column,
                jerr.text);
        return -EINVAL;
    }
    if (!json_is_object(root))
        return bad(&p, NULL, "expected an object at the top, got %s", type_name(root));

    p.native = seccomp_arch_native();
    if (uname(&u) < 0 || !parse_kernel(u.release, p.kernel))
        p.kernel[0] = p.kernel[1] = 0;

    r = parse_action(&p, root, "", "defaultAction", "defaultErrnoRet", &p.def_action);
    if (r < 0)
        return r;
    ctx = seccomp_init(p.def_action);
    if (!ctx) {
        set_err(err, errlen, "profile %s: libseccomp: cannot make a filter", file);
        return -ENOMEM;
    }
    p.ctx = ctx;
    r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
    if (r < 0) {
        set_err(err, errlen, "profile %s: libseccomp: %s", file, strerror(-r));
        return r;
    }
    /* Large allow-lists: a binary search on the syscall number. */
    (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

    if ((r = parse_arches(&p, root)) < 0 || (r = parse_flags(&p, root)) < 0 ||
        (r = get(&p, root, "", "listenerPath", JSON_STRING, &listener)) < 0)
        return r;
    if (listener && *json_string_value(listener))
        return bad(&p, "listenerPath", "not supported (corral runs no seccomp agent)");

    r = get(&p, root, "", "syscalls", JSON_ARRAY, &calls);
    if (r < 0)
        return r;
    for (i = 0; i < json_array_size(calls); i++) {
        v = json_array_get(calls, i);
        r = add_entry(&p, v, i);
        if (r < 0)
            return r;
    }

    *ret_ctx = TAKE_PTR(ctx);
    *ret_flags = p.flags;
    *ret_unknown = p.n_unknown;
    return 0;
}

/* ---- export and load ---- */

static int export_bpf(scmp_filter_ctx ctx, const char *what, struct seccomp_filter **ret, char *err,
                      size_t errlen)
{
    _cleanup_close_ int fd = -EBADF;
    struct seccomp_filter *f;
    struct stat st;
    size_t size, n, done = 0;
    ssize_t k;
    int r;

    fd = memfd_create("corral-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        r = negative_errno();
        set_err(err, errlen, "%s: memfd: %s", what, strerror(-r));
        return r;
    }
    r = seccomp_export_bpf(ctx, fd);
    if (r < 0) {
        set_err(err, errlen, "%s: libseccomp cannot export it: %s", what, strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0) {
        r = negative_errno();
        set_err(err, errlen, "%s: memfd: %s", what, strerror(-r));
        return r;
    }
    size = (size_t) st.st_size;
    n = size / sizeof(struct sock_filter);
    if (n == 0 || size % sizeof(struct sock_filter) != 0) {
        set_err(err, errlen, "%s: libseccomp exported %zu bytes, not a BPF program", what, size);
        return -EIO;
    }
    if (n > BPF_MAXINSNS) {
        set_err(err, errlen, "%s: %zu BPF instructions, more than the kernel's %d", what, n,
                BPF_MAXINSNS);
        return -E2BIG;
    }

    f = malloc(offsetof(struct seccomp_filter, insns) + size);
    if (!f)
        return -ENOMEM;
    while (done < size) {
        k = pread(fd, (char *) f->insns + done, size - done, (off_t) done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            r = k < 0 ? negative_errno() : -EIO;
            free(f);
            set_err(err, errlen, "%s: memfd: %s", what, strerror(-r));
            return r;
        }
        done += (size_t) k;
    }
    f->prog = (struct sock_fprog){.len = (unsigned short) n, .filter = f->insns};
    f->flags = 0;
    f->n_unknown = 0;
    *ret = f;
    return 0;
}

int seccomp_filter_build(enum seccomp_mode mode, const char *file, uint64_t caps,
                         struct seccomp_filter **ret, char *err, size_t errlen)
{
    _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
    _cleanup_free_ char *what = NULL;
    struct seccomp_filter *f;
    unsigned flags = 0, unknown = 0;
    int r;

    *ret = NULL;
    switch (mode) {
    case SECCOMP_UNCONFINED:
        return 0;
    case SECCOMP_DEFAULT:
        r = build_default(caps, &ctx, &unknown, err, errlen);
        break;
    case SECCOMP_FILE:
        r = build_profile(file, caps, &ctx, &flags, &unknown, err, errlen);
        break;
    default:
        set_err(err, errlen, "seccomp: unknown mode %d", (int) mode);
        return -EINVAL;
    }
    if (r < 0)
        return r;

    if (mode == SECCOMP_FILE && asprintf(&what, "profile %s", file) < 0)
        return -ENOMEM;
    r = export_bpf(ctx, what ?: "default filter", &f, err, errlen);
    if (r < 0)
        return r;
    f->flags = flags;
    f->n_unknown = unknown;
    *ret = f;
    return 0;
}

const struct sock_fprog *seccomp_filter_prog(const struct seccomp_filter *f)
{
    return f ? &f->prog : NULL;
}

unsigned seccomp_filter_unknown(const struct seccomp_filter *f)
{
    return f ? f->n_unknown : 0;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
    free(f);
}

int seccomp_filter_load(const struct seccomp_filter *f)
{
    if (!f)
        return 0;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog) == 0)
        return 0;
    /* Kernels before 3.17 (and some emulators) only have the prctl. */
    if (errno == ENOSYS && f->flags == 0 &&
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog, 0, 0) == 0)
        return 0;
    return negative_errno();
}
