/* SPDX-License-Identifier: MIT */
/* The restart policy as a pure function: what a run's end means for the
 * container's future. No clock, no randomness of its own, no I/O; the
 * supervisor feeds it the facts and schedules a timer from its answer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

enum exit_kind { EXIT_NONE, EXIT_CODE, EXIT_SIGNAL, EXIT_OOM, EXIT_ERROR };

/* How a run ended, as the policy sees it. */
struct run_end {
    enum exit_kind kind; /* EXIT_ERROR: it never got past execve */
    int code;            /* exit code, or signal number */
    uint64_t uptime_ms;  /* from the start to the exit */
    bool stop_requested; /* corral ended it (CLI, shutdown): never restarted */
};

/* What the policy remembers between runs. */
struct restart_history {
    unsigned attempt;  /* restarts in a row since the last reset: the backoff exponent */
    unsigned failures; /* failed runs in a row: what restart_max limits */
};

enum restart_verdict {
    VERDICT_STOPPED, /* corral stopped it */
    VERDICT_EXITED,  /* the policy does not restart this exit */
    VERDICT_RESTART, /* start again after delay_ms */
    VERDICT_FATAL,   /* restart_max failed runs in a row: give up */
};

struct restart_decision {
    enum restart_verdict verdict;
    uint64_t delay_ms; /* VERDICT_RESTART only */
    bool failed;       /* the run counted as a failure */
    bool too_quick;    /* ... because it ended within start_grace */
};

/* Decide, updating h. rnd is a uniformly random 32-bit value for jitter. */
struct restart_decision restart_decide(const struct restart_spec *r,
                                       const uint8_t success_codes[32], const struct run_end *end,
                                       struct restart_history *h, uint32_t rnd);

/* The delay before restart number attempt (0-based): restart_delay doubled
 * attempt times, capped at restart_delay_max, then cut by up to 20% at
 * random so that containers that failed together do not restart in step.
 * Never above the cap, never below 80% of the uncut value. */
uint64_t restart_backoff_ms(const struct restart_spec *r, unsigned attempt, uint32_t rnd);

const char *restart_verdict_to_string(enum restart_verdict v);
