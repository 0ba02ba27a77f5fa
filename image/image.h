/* SPDX-License-Identifier: MIT */
/* The image store: root file systems unpacked once from archives (.tar,
 * .tar.gz, .tar.xz, .tar.zst, .tar.bz2) into state_dir/images, keyed by
 * the sha256 of the archive's bytes, shared read-only by every container
 * that runs on them (as the lower layer of its overlay).
 *
 * Layout (every name below is made only by this module):
 *   images/.lock                 flock: LOCK_EX to commit, rename or remove;
 *                                LOCK_SH to look an image up and take a use
 *   images/sha256-HEX/rootfs/    the tree; never written after the commit
 *   images/sha256-HEX/image.json id, source, sizes, counts, created
 *   images/names/NAME            symlink -> ../sha256-HEX
 *   images/sources/DEV-INO-SIZE-MTIMENS  symlink -> ../sha256-HEX: an archive
 *                                file already hashed, so a start does not
 *                                read it again
 *   images/tmp-XXXXXX/           an import in progress (its importer holds
 *                                a flock on it); swept when nobody does
 *   images/trash-XXXXXX/         a removal in progress; swept likewise
 *
 * A container's use of an image is a LOCK_SH flock on the image's
 * directory, held by the supervisor while the container is not stopped;
 * `image rm` takes LOCK_EX|LOCK_NB and refuses (-EBUSY) when it cannot.
 *
 * Functions return 0 or a negative errno. Where a `why` buffer is given,
 * a failure also writes one line a person can act on into it (no
 * trailing newline), e.g. "'../../etc/x': the path leaves the image
 * (a '..' component)". Nothing is logged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_ID_LEN 64 /* hex digits of a sha256 */
#define IMAGE_NAME_MAX 128

struct image_store;

struct image_info {
    char id[IMAGE_ID_LEN + 1]; /* sha256 of the archive, hex */
    char *name;                /* its name, or NULL (a `rootfs = FILE` import) */
    char *source;              /* the archive's path when it was imported */
    char *rootfs;              /* absolute path of the unpacked tree */
    uint64_t archive_bytes;    /* size of the archive file */
    uint64_t bytes;            /* sum of the regular files' sizes */
    uint64_t entries;          /* archive entries written */
    int64_t created_ms;        /* CLOCK_REALTIME of the commit */
    bool in_use;               /* image_list() only: some container holds it */
};
void image_info_clear(struct image_info *info);

/* What an unpack or a copy did beyond the plain writing: reported to the
 * user as a warning line, never silently. */
struct unpack_stats {
    uint64_t entries, files, dirs, symlinks, hardlinks, bytes;
    uint64_t skipped_devices;   /* char/block nodes not created: a container
                                   gets its own /dev, and a node in the image
                                   could reach a host device */
    uint64_t stripped_absolute; /* entries whose leading '/' was removed */
    uint64_t xattrs_skipped;    /* xattrs not written: trusted.* (overlayfs's
                                   own), or refused by the file system */
};

/* done/total in bytes of the archive read so far / its size (total 0 when
 * unknown, e.g. a copy). Called at most a few times a second. */
typedef void (*image_progress_fn)(void *userdata, uint64_t done, uint64_t total);

/* Open (creating it, 0700) state_dir/images. */
int image_store_open(const char *state_dir, struct image_store **ret);
void image_store_free(struct image_store *s);
const char *image_store_path(const struct image_store *s);

/* Remove tmp-* and trash-* directories nobody holds (an import or removal
 * interrupted by a crash), and sources/ and names/ links to images that
 * are gone. */
int image_store_sweep(struct image_store *s);

/* Import an archive. If an image with the same content is in the store,
 * it is returned and nothing is unpacked (a name, if given, is (re)pointed
 * to it). Otherwise it is unpacked into a tmp-* directory, synced, and
 * renamed into place under the store lock: an interrupted or failed import
 * never leaves anything that a lookup returns. name NULL: none (a name
 * that exists is moved to this image). ret and stats may be NULL.
 * Returns 0 when it unpacked, 1 when the image was there already. The
 * archive is hashed as it is unpacked too: an archive that changed in
 * between fails the import (-ESTALE), never stored under the wrong id. */
int image_import(struct image_store *s, const char *archive, const char *name,
                 image_progress_fn progress, void *userdata, struct image_info *ret,
                 struct unpack_stats *stats, char *why, size_t whylen);

/* The image imported from this archive file, if its identity (device,
 * inode, size, mtime) is unchanged since it was hashed: cheap, reads no
 * archive data. -ENOENT otherwise (then image_import() it). */
int image_lookup_archive(struct image_store *s, const char *archive, struct image_info *ret);
/* By name, or by id (full, or a unique prefix of at least 12 digits).
 * -ENOENT: no such image; -EINVAL: an ambiguous prefix. */
int image_lookup(struct image_store *s, const char *name_or_id, struct image_info *ret);

/* Every image, sorted by name (unnamed ones last, by creation). An image
 * with several names is listed once under each. */
int image_list(struct image_store *s, struct image_info **ret, size_t *ret_n);
void image_list_free(struct image_info *list, size_t n);

/* Remove an image (by name or id): 0. -EBUSY if a container holds it;
 * -ENOENT if there is none. The tree is renamed to trash-* under the lock
 * and deleted after; its names and sources links go with it. Given one of
 * several names of an image, only that name is removed (1), in use or not,
 * as docker's rmi of one tag. */
int image_remove(struct image_store *s, const char *name_or_id, char *why, size_t whylen);

/* Take a use of the image (a LOCK_SH flock on its directory): returns an
 * O_CLOEXEC fd to keep while the container runs on it; close it to drop
 * the use. -ENOENT if the image is gone. */
int image_use(struct image_store *s, const char *id);

/* Does this file look like an archive the store can import (reads its
 * first header)? 0, or -EINVAL with why ("not a tar archive (or a
 * compressed one): ..."); a file that cannot be opened gives open's
 * error (-ENOENT, ...), with why too. For config checks. */
int image_probe_archive(const char *path, char *why, size_t whylen);

/* Copy a directory tree (an image's rootfs or a user's directory) into
 * dst, which must not exist; made as dst.tmp-* and renamed, so that a
 * partial copy is never at dst. Owners, modes, times, xattrs, hard links,
 * symlinks, fifos; device nodes as for an unpack. Used for
 * rootfs_mode = copy. */
int image_copy_tree(const char *src, const char *dst, image_progress_fn progress, void *userdata,
                    struct unpack_stats *stats, char *why, size_t whylen);

/* rm -rf at dirfd/name, never following a symlink or crossing a mount
 * point (EXDEV: something is mounted below). 0 if it did not exist. */
int image_remove_tree_at(int dirfd, const char *name);
