/* SPDX-License-Identifier: MIT */
/* What a container runs on: its rootfs (a directory, or an image unpacked
 * once into the store from an archive or imported by name), and the way it
 * is mounted (rootfs_mode): an overlay with a layer of its own in
 * state_dir/containers/NAME (the default), the tree itself (bind), or a
 * private copy. Preparing may take a worker (an import, a copy); the
 * container waits in `starting` meanwhile. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image/image.h"

struct container;
struct daemon;
struct spawn_plan;
struct worker;

struct ctr_rootfs {
    char *dir;   /* state_dir/containers/NAME: layer, copy, mount points */
    char *lower; /* the tree it runs on: an image's rootfs, or the user's directory */
    char *root;  /* what becomes /: dir/root (overlay), dir/copy, or lower (bind) */
    char *overlay_opts;
    char *rw; /* dir/rw: the overlay's upper and work directories */
    char image_id[IMAGE_ID_LEN + 1];
    int image_fd;          /* the use of that image, held until the container is down */
    struct worker *worker; /* the import or copy this start waits for */
    char progress[160];    /* "unpacking 'x.tar.xz': 45% of 120 MB", for the status */
    bool swept;            /* what an earlier supervisor left half done is gone */
};

/* Ready c's root for a run: 0 when ready (then rootfs_plan()); 1 when a
 * worker must finish first, after which container_rootfs_ready() is
 * called; < 0 on failure, with a line for the user in msg. */
int rootfs_prepare(struct container *c, char *msg, size_t len);
/* The plan's rootfs fields. */
void rootfs_plan(const struct container *c, struct spawn_plan *plan);
/* A run ended: an ephemeral container's layer (or copy) goes now. */
void rootfs_run_ended(struct container *c);
/* The container is down: it stops using its image; a start it was
 * preparing is called off. */
void rootfs_down(struct container *c);
void rootfs_free(struct container *c);

/* At start-up: sweep what a crash left (layers being deleted, an
 * interrupted import) in a worker. */
void rootfs_sweep(struct daemon *d);
