/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "config/config.h"

struct image_cmd {
    const char *state_dir; /* where the store is: state_dir/images */
    const char *name;      /* import --name */
    bool json;
};

/* `corral image import FILE [--name NAME] | ls | rm NAME...`: args[0] is
 * the subcommand. Returns the exit status. */
int cmd_image(const struct image_cmd *o, char **args, int n);

/* The checks of a config that need the image store: every image = NAME is
 * in it, every archive rootfs is one the store can read. Lines go to diag
 * as config's own do; -EINVAL if any. */
int image_check_config(const struct corral_config *c, struct config_diag *diag);
