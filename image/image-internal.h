/* SPDX-License-Identifier: MIT */
/* What the image module's files share: the tree writer (unpack.c), which
 * makes entries below a root directory with *at() calls only and is fed by
 * an archive (an import) or by a directory walk (image_copy_tree()); the
 * rate-limited progress report; the `why` line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "macro.h"

struct archive_entry;
struct tree_writer;

/* Writes a regular file's data into fd (just created, empty, opened for
 * writing): returns the offset just past the last byte written (the
 * writer truncates to the entry's size from there), or a negative errno.
 * It may write its own why first (a read error says more than strerror);
 * otherwise the writer's names the file. */
typedef int64_t (*tree_data_fn)(void *userdata, int fd);

/* rootfd: the tree's root, an O_RDONLY|O_DIRECTORY fd (its owner, mode
 * and xattrs are set by a "." entry), kept open by the caller until
 * tree_writer_free(). stats is zeroed. */
int tree_writer_new(int rootfd, struct unpack_stats *stats, char *why, size_t whylen,
                    struct tree_writer **ret);
/* Write one entry: its pathname ("./a/b", "/a/b" or "a/b"; "." is the
 * root), type, numeric owner, permissions, times, xattrs, symlink or hard
 * link target. data is called for a regular file (not a hard link).
 * 0: written; 1: skipped (a device node, counted; a socket). */
int tree_writer_put(struct tree_writer *w, struct archive_entry *e, tree_data_fn data,
                    void *userdata);
/* Set the directories' times, deepest first: writing into a directory
 * changes its mtime, so they go last. */
int tree_writer_finish(struct tree_writer *w);
void tree_writer_free(struct tree_writer *w);

/* Unpack the archive open at fd (read from its current offset; label is
 * its path, for messages) into rootfd. total: the file's size, for
 * progress. ret_id (may be NULL): the sha256 of every byte read from fd,
 * to its end. */
int image_unpack(int fd, const char *label, uint64_t total, int rootfd, image_progress_fn progress,
                 void *userdata, struct unpack_stats *stats, char *ret_id, char *why,
                 size_t whylen);

struct stat;
/* Open an archive file to read: a regular file, or an error with why. */
int image_open_archive(const char *path, struct stat *ret_st, char *why, size_t whylen);

struct sha256_ctx;
/* The digest as IMAGE_ID_LEN hex digits. */
void image_hex_digest(struct sha256_ctx *ctx, char id[static IMAGE_ID_LEN + 1]);

/* A libarchive reader for what an import accepts: tar (ustar, pax, GNU)
 * through gzip, bzip2, xz, lzma, zstd or no compression. NULL on ENOMEM. */
struct archive *image_reader_new(void);

struct progress {
    image_progress_fn fn;
    void *userdata;
    uint64_t total;
    uint64_t next_ms; /* CLOCK_MONOTONIC: no call before then */
};
/* Report done unless the last report was under a quarter of a second ago;
 * final: report regardless (the 100% call). */
void image_progress(struct progress *p, uint64_t done, bool final);

/* Write a line into why, unless one is there already: the first failure
 * is the one the user can act on, the callers above it only add noise. */
void image_why(char *why, size_t whylen, const char *fmt, ...) _printf_(3, 4);
