/* SPDX-License-Identifier: MIT */
#include "restart.h"

/* Jitter takes at most this share (in 1/1000) off a delay. */
#define JITTER_PERMILLE 200

uint64_t restart_backoff_ms(const struct restart_spec *r, unsigned attempt, uint32_t rnd)
{
    uint64_t d = r->delay_ms, cut;

    /* Doubling stops as soon as the cap is reached, which also keeps the
     * shift from overflowing. */
    for (unsigned i = 0; i < attempt && d > 0 && d < r->delay_max_ms; i++)
        d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
    if (d > r->delay_max_ms)
        d = r->delay_max_ms;
    /* d * 20% * rnd / 2^32, in 128 bits so no delay can overflow it. */
    cut = (uint64_t) ((unsigned __int128) d * JITTER_PERMILLE * rnd / 1000 >> 32);
    return d - cut;
}

struct restart_decision restart_decide(const struct restart_spec *r,
                                       const uint8_t success_codes[32], const struct run_end *end,
                                       struct restart_history *h, uint32_t rnd)
{
    struct restart_decision d = {0};
    bool success, wanted;

    if (end->stop_requested) {
        d.verdict = VERDICT_STOPPED;
        return d;
    }
    /* A run that stayed up long enough proves the container healthy:
     * whatever came before is forgotten. */
    d.too_quick = end->kind == EXIT_ERROR || end->uptime_ms < r->start_grace_ms;
    /* A too quick run proves nothing, even if reset_after is shorter. */
    if (!d.too_quick && end->uptime_ms >= r->reset_after_ms)
        *h = (struct restart_history){0};

    success = end->kind == EXIT_CODE &&
              (end->code == 0 || (end->code > 0 && end->code < 256 &&
                                  (success_codes[end->code / 8] & (1u << (end->code % 8)))));
    d.failed = !success || d.too_quick;

    switch (r->policy) {
    case RESTART_ALWAYS:
    case RESTART_UNLESS_STOPPED:
        wanted = true;
        break;
    case RESTART_ON_FAILURE:
        /* A quick success is still a success: a one-shot job that is done. */
        wanted = !success;
        break;
    case RESTART_NO:
    default:
        wanted = false;
        break;
    }
    if (!wanted) {
        d.verdict = VERDICT_EXITED;
        return d;
    }

    h->failures = d.failed ? h->failures + 1 : 0;
    if (r->max && h->failures > r->max) {
        d.verdict = VERDICT_FATAL;
        return d;
    }
    d.verdict = VERDICT_RESTART;
    d.delay_ms = restart_backoff_ms(r, h->attempt, rnd);
    if (h->attempt < UINT32_MAX)
        h->attempt++;
    return d;
}

const char *restart_verdict_to_string(enum restart_verdict v)
{
    switch (v) {
    case VERDICT_STOPPED:
        return "stopped";
    case VERDICT_EXITED:
        return "exited";
    case VERDICT_RESTART:
        return "restart";
    case VERDICT_FATAL:
        return "fatal";
    }
    return "unknown";
}
