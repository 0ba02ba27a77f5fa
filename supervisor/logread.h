/* SPDX-License-Identifier: MIT */
/* `corral logs`: print a container's log (log_dir/NAME.log and its rotated
 * files, see logfile.h) the way `docker logs` does, and follow it across
 * rotations. Reads the files directly: no supervisor needed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct logs_opts {
    bool follow;       /* -f: keep printing new records until SIGINT/SIGTERM or stdout closes */
    long tail;         /* --tail N: only the last N lines (after --since); -1 = all */
    uint64_t since_ns; /* --since: only records at or after this time; 0 = all */
    bool timestamps;   /* -t: prefix each line with its timestamp */
    bool json;         /* --json: {"time":..,"stream":..,"line":..} a line, all on stdout */
};

/* Print NAME's log from log_dir: stdout records to stdout, stderr records to
 * stderr, a line split into P records joined again and given its last
 * record's time (for -t, --json and --since). A record still being written
 * (no '\n' yet at the end of NAME.log) is left for later. Following ends
 * with exit 0 on SIGINT/SIGTERM or when stdout's reader goes; SIGPIPE is
 * ignored while this runs. Returns an exit code: 0, 4 (no log for NAME;
 * with follow it waits for one instead) or 1 (I/O error); says why on
 * stderr. */
int logs_print(const char *log_dir, const char *name, const struct logs_opts *o);

/* "2026-11-23T18:00:00Z", "2026-11-23T18:00:00.5Z", "2026-11-23T18:00:00+01:00",
 * "2026-11-23" (midnight UTC), or a duration back from now_ns: "90s", "10m",
 * "1h30m" (units of parse_duration_ms; a bare number is seconds). */
int logs_parse_since(const char *s, uint64_t now_ns, uint64_t *ret_ns);
