/* SPDX-License-Identifier: MIT */
/* `corral image import|ls|rm`: the image store, worked on directly (with or
 * without a supervisor; the store's locks keep the two apart). */
#include "imagecmd.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "image/image.h"
#include "macro.h"
#include "util.h"

struct progress {
    const char *what;
    bool tty;
    int last_step; /* without a terminal: the last quarter printed */
    bool shown;
};

static void on_progress(void *userdata, uint64_t done, uint64_t total)
{
    struct progress *p = userdata;
    char d[32], t[32];
    int pct = total ? (int) (done * 100 / total) : 0;

    format_size(done, d, sizeof(d));
    format_size(total, t, sizeof(t));
    if (p->tty) {
        fprintf(stderr, "\rUnpacking %s: %3d%% (%s of %s)", p->what, pct, d, t);
        p->shown = true;
    } else if (pct / 25 > p->last_step) {
        /* A log, not a terminal: a line a quarter. */
        p->last_step = pct / 25;
        fprintf(stderr, "Unpacking %s: %d%% (%s of %s)\n", p->what, pct, d, t);
    }
}

static json_t *info_json(const struct image_info *i)
{
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I, s:b}", "id", i->id, "name",
                     i->name, "source", i->source, "rootfs", i->rootfs, "archive_bytes",
                     (json_int_t) i->archive_bytes, "bytes", (json_int_t) i->bytes, "entries",
                     (json_int_t) i->entries, "created_ms", (json_int_t) i->created_ms, "in_use",
                     i->in_use);
}

static void print_json(json_t *o)
{
    json_dumpf(o, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(o);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int cmd_import(struct image_store *s, const struct image_cmd *o, const char *file)
{
    struct progress p = {.what = base_name(file), .tty = isatty(STDERR_FILENO) && !o->json};
    struct image_info info = {0};
    struct unpack_stats st = {0};
    char why[512] = "", size[32];
    uint64_t t0 = now_monotonic_ms();
    int r;

    r = image_import(s, file, o->name, on_progress, &p, &info, &st, why, sizeof(why));
    if (p.shown)
        fputc('\n', stderr);
    if (r < 0) {
        fprintf(stderr, "corral: Failed to import '%s': %s\n", file, why[0] ? why : strerror(-r));
        return EXIT_FAILED;
    }
    if (o->json) {
        json_t *j = info_json(&info);
        json_object_set_new(j, "unpacked", json_boolean(r == 0));
        json_object_set_new(j, "skipped_devices", json_integer((json_int_t) st.skipped_devices));
        json_object_set_new(j, "stripped_absolute",
                            json_integer((json_int_t) st.stripped_absolute));
        json_object_set_new(j, "xattrs_skipped", json_integer((json_int_t) st.xattrs_skipped));
        print_json(j);
    } else if (r > 0) {
        printf("Image %.12s is already in the store%s%s%s: nothing unpacked\n", info.id,
               info.name ? " (as '" : "", info.name ? info.name : "", info.name ? "')" : "");
    } else {
        format_size(st.bytes, size, sizeof(size));
        printf("Imported '%s' as image %.12s%s%s%s: %" PRIu64 " entries, %s in %.1fs\n", file,
               info.id, info.name ? " ('" : "", info.name ? info.name : "", info.name ? "')" : "",
               st.entries, size, (double) (now_monotonic_ms() - t0) / 1000.0);
        if (st.skipped_devices)
            fprintf(stderr,
                    "note: %" PRIu64 " device node(s) not created (a container gets its own "
                    "/dev, and a node in an image could reach a host device)\n",
                    st.skipped_devices);
        if (st.stripped_absolute)
            fprintf(stderr, "note: leading '/' removed from %" PRIu64 " member name(s)\n",
                    st.stripped_absolute);
        if (st.xattrs_skipped)
            fprintf(stderr,
                    "note: %" PRIu64 " extended attribute(s) not written (trusted.*, "
                    "or refused by the file system)\n",
                    st.xattrs_skipped);
    }
    image_info_clear(&info);
    return EXIT_OK;
}

static int cmd_ls(struct image_store *s, const struct image_cmd *o)
{
    struct image_info *list = NULL;
    size_t n = 0, wn = 4;
    int r = image_list(s, &list, &n);

    if (r < 0) {
        fprintf(stderr, "corral: Failed to list images in '%s': %s\n", image_store_path(s),
                strerror(-r));
        return EXIT_FAILED;
    }
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, info_json(&list[i]));
        print_json(a);
        image_list_free(list, n);
        return EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (list[i].name && strlen(list[i].name) > wn)
            wn = strlen(list[i].name);
    printf("%-*s  %-12s  %9s  %8s  %-16s  %-6s  %s\n", (int) wn, "NAME", "ID", "SIZE", "FILES",
           "CREATED", "IN USE", "SOURCE");
    for (size_t i = 0; i < n; i++) {
        char size[32], when[32] = "-";
        time_t t = (time_t) (list[i].created_ms / 1000);
        struct tm tm;

        format_size(list[i].bytes, size, sizeof(size));
        if (localtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        printf("%-*s  %.12s  %9s  %8" PRIu64 "  %-16s  %-6s  %s\n", (int) wn,
               list[i].name ? list[i].name : "-", list[i].id, size, list[i].entries, when,
               list[i].in_use ? "yes" : "no", list[i].source ? list[i].source : "-");
    }
    image_list_free(list, n);
    return EXIT_OK;
}

static int cmd_rm(struct image_store *s, const struct image_cmd *o, char **names, int n)
{
    int status = EXIT_OK;
    json_t *removed = json_array(), *untagged = json_array();

    for (int i = 0; i < n; i++) {
        struct image_info info = {0};
        char why[512] = "";
        int r = image_lookup(s, names[i], &info);

        if (r == 0)
            r = image_remove(s, names[i], why, sizeof(why));
        if (r == -ENOENT)
            snprintf(why, sizeof(why), "no image '%s' in '%s' (see corral image ls)", names[i],
                     image_store_path(s));
        else if (r == -EINVAL && !why[0])
            snprintf(why, sizeof(why), "'%s' matches more than one image: give more of the id",
                     names[i]);
        if (r < 0) {
            fprintf(stderr, "corral: Failed to remove image '%s': %s\n", names[i],
                    why[0] ? why : strerror(-r));
            status = r == -ENOENT ? EXIT_NOT_FOUND : EXIT_FAILED;
        } else if (r > 0 && o->json)
            json_array_append_new(untagged, json_string(names[i]));
        else if (r > 0)
            printf("Removed the name '%s' (image %.12s keeps its other names)\n", names[i],
                   info.id);
        else if (o->json)
            json_array_append_new(removed, json_string(info.id));
        else
            printf("Removed image %.12s%s%s%s\n", info.id, info.name ? " ('" : "",
                   info.name ? info.name : "", info.name ? "')" : "");
        image_info_clear(&info);
    }
    if (o->json)
        print_json(json_pack("{s:o, s:o}", "removed", removed, "untagged", untagged));
    else {
        json_decref(removed);
        json_decref(untagged);
    }
    return status;
}

int cmd_image(const struct image_cmd *o, char **args, int n)
{
    struct image_store *s = NULL;
    const char *sub = n > 0 ? args[0] : NULL;
    int r, status;

    if (!sub || !(streq(sub, "import") || streq(sub, "ls") || streq(sub, "rm"))) {
        fprintf(stderr, "corral: image needs import FILE [--name NAME], ls or rm NAME...\n");
        return EXIT_USAGE;
    }
    if (streq(sub, "import") && n != 2) {
        fprintf(stderr, "corral: image import needs exactly one archive file\n");
        return EXIT_USAGE;
    }
    if (streq(sub, "ls") && n != 1) {
        fprintf(stderr, "corral: image ls takes no arguments\n");
        return EXIT_USAGE;
    }
    if (streq(sub, "rm") && n < 2) {
        fprintf(stderr, "corral: image rm needs at least one image name or id\n");
        return EXIT_USAGE;
    }
    if (o->name && !streq(sub, "import")) {
        fprintf(stderr, "corral: --name is for image import\n");
        return EXIT_USAGE;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "corral: image %s needs root (the store keeps files' owners)\n", sub);
        return EXIT_DENIED;
    }
    r = image_store_open(o->state_dir, &s);
    if (r < 0) {
        fprintf(stderr, "corral: Failed to open the image store in '%s': %s\n", o->state_dir,
                strerror(-r));
        return EXIT_FAILED;
    }
    /* Leftovers of an import or a removal that was interrupted. */
    (void) image_store_sweep(s);
    if (streq(sub, "import"))
        status = cmd_import(s, o, args[1]);
    else if (streq(sub, "ls"))
        status = cmd_ls(s, o);
    else
        status = cmd_rm(s, o, args + 1, n - 1);
    image_store_free(s);
    return status;
}

int image_check_config(const struct corral_config *c, struct config_diag *diag)
{
    _cleanup_free_ char *images = path_join(c->sup.state_dir, "images");
    struct image_store *s = NULL;
    bool have_store = images && access(images, F_OK) == 0;
    int bad = 0;

    /* Opened only where it exists: a check changes nothing. */
    if (have_store && image_store_open(c->sup.state_dir, &s) < 0)
        s = NULL;
    for (size_t i = 0; i < c->n_containers; i++) {
        const struct container_spec *ctr = &c->containers[i];
        struct image_info info = {0};
        char why[512] = "";
        struct stat st;

        if (ctr->image && (!s || image_lookup(s, ctr->image, &info) < 0)) {
            config_diag_container(diag, c, ctr, "image",
                                  "image '%s' is not in the image store '%s' (import it: corral "
                                  "image import FILE --name %s)",
                                  ctr->image, images ? images : c->sup.state_dir, ctr->image);
            bad++;
        }
        image_info_clear(&info);
        if (ctr->rootfs && stat(ctr->rootfs, &st) == 0 && S_ISREG(st.st_mode) &&
            image_probe_archive(ctr->rootfs, why, sizeof(why)) < 0) {
            config_diag_container(diag, c, ctr, "rootfs", "%s", why);
            bad++;
        }
    }
    image_store_free(s);
    return bad ? -EINVAL : 0;
}
