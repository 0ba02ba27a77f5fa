/* SPDX-License-Identifier: MIT */
/* Host id ranges for user namespaces: [supervisor] userns_pool cut into
 * ranges of 65536 ids, one per container with `userns = yes`, kept by
 * name in state_dir (so a container's files keep their owner across
 * restarts of it and of the supervisor). */
#pragma once

#include <stdint.h>

struct corral_config;

#define IDPOOL_RANGE 65536u

/* For every container with userns = yes, its range's first host id in
 * ret_hosts[i] (i: its index in cfg->containers; others untouched): the
 * one path (a JSON file) remembers for its name if still in the pool,
 * else the lowest free one. Names no longer in cfg give theirs up. Writes
 * path back. -ENOSPC (and *ret_who, the container left without) when the
 * pool is too small; an unreadable file is set aside as path.broken and
 * counted as empty (returns 1 then, 0 otherwise). */
int idpool_assign(const struct corral_config *cfg, const char *path, uint32_t *ret_hosts,
                  const char **ret_who);
