/* SPDX-License-Identifier: MIT */
#include "idpool.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "macro.h"
#include "util.h"

/* {"version": 1, "ranges": {"NAME": SLOT, ...}}: SLOT k is the pool's
 * k-th range. */
static int load(const char *path, json_t **ret)
{
    _cleanup_free_ char *text = NULL, *broken = NULL;
    json_t *root, *ranges;
    int r = read_file(path, &text, 1 << 20);

    if (r == -ENOENT) {
        *ret = json_object();
        return *ret ? 0 : -ENOMEM;
    }
    if (r < 0)
        return r;
    root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    ranges = json_object_get(root, "ranges");
    if (json_is_object(ranges) && json_integer_value(json_object_get(root, "version")) == 1) {
        *ret = json_incref(ranges);
        json_decref(root);
        return 0;
    }
    json_decref(root);
    if (asprintf(&broken, "%s.broken", path) < 0)
        return -ENOMEM;
    (void) rename(path, broken);
    *ret = json_object();
    return *ret ? 1 : -ENOMEM;
}

int idpool_assign(const struct corral_config *cfg, const char *path, uint32_t *ret_hosts,
                  const char **ret_who)
{
    const uint32_t n_slots = cfg->sup.userns_pool_count / IDPOOL_RANGE;
    _cleanup_free_ bool *used = calloc(n_slots ?: 1, sizeof(bool));
    _cleanup_free_ int64_t *slot = calloc(cfg->n_containers ?: 1, sizeof(int64_t));
    _cleanup_free_ char *text = NULL;
    json_t *old = NULL, *ranges = NULL, *root = NULL;
    int r, loaded;

    if (!used || !slot)
        return -ENOMEM;
    loaded = load(path, &old);
    if (loaded < 0)
        return loaded;
    ranges = json_object();
    if (!ranges) {
        r = -ENOMEM;
        goto out;
    }
    /* Keep what each name had, first; then the lowest free slots. */
    for (size_t i = 0; i < cfg->n_containers; i++) {
        const struct container_spec *c = &cfg->containers[i];
        json_t *v = json_object_get(old, c->name);

        slot[i] = -1;
        if (!c->userns.enabled || !c->userns.from_pool || !json_is_integer(v))
            continue;
        if (json_integer_value(v) >= 0 && json_integer_value(v) < n_slots &&
            !used[json_integer_value(v)]) {
            slot[i] = json_integer_value(v);
            used[slot[i]] = true;
        }
    }
    for (size_t i = 0, next = 0; i < cfg->n_containers; i++) {
        const struct container_spec *c = &cfg->containers[i];

        if (!c->userns.enabled || !c->userns.from_pool || slot[i] >= 0)
            continue;
        while (next < n_slots && used[next])
            next++;
        if (next >= n_slots) {
            if (ret_who)
                *ret_who = c->name;
            r = -ENOSPC;
            goto out;
        }
        slot[i] = (int64_t) next;
        used[next] = true;
    }
    for (size_t i = 0; i < cfg->n_containers; i++) {
        if (slot[i] < 0)
            continue;
        ret_hosts[i] = cfg->sup.userns_pool_start + (uint32_t) slot[i] * IDPOOL_RANGE;
        if (json_object_set_new(ranges, cfg->containers[i].name, json_integer(slot[i])) < 0) {
            r = -ENOMEM;
            goto out;
        }
    }
    root = json_pack("{s:i,s:O}", "version", 1, "ranges", ranges);
    text = root ? json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
    if (!text) {
        r = -ENOMEM;
        goto out;
    }
    r = write_file_atomic(path, text, 0600);
    if (r >= 0)
        r = loaded;
out:
    json_decref(root);
    json_decref(ranges);
    json_decref(old);
    return r;
}
