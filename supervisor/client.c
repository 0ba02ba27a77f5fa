/* SPDX-License-Identifier: MIT */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "macro.h"
#include "util.h"

int client_exit_code(const json_t *reply)
{
    const char *code = json_string_value(json_object_get(reply, "code"));

    if (json_is_true(json_object_get(reply, "ok")))
        return EXIT_OK;
    if (code && streq(code, "not_found"))
        return EXIT_NOT_FOUND;
    if (code && streq(code, "permission_denied"))
        return EXIT_DENIED;
    if (code && streq(code, "bad_request"))
        return EXIT_USAGE;
    return EXIT_FAILED;
}

/* Connect and send req (consumed). Returns an exit code; *ret_fd on OK. */
static int connect_and_send(const char *run_dir, json_t *req, int *ret_fd)
{
    _cleanup_free_ char *path = path_join(run_dir, "corral.sock");
    _cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
    _cleanup_close_ int fd = -EBADF;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    json_decref(req);
    if (!path || !text)
        return EXIT_FAILED;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "corral: socket path too long: %s\n", path);
        return EXIT_USAGE;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        if (errno == EACCES || errno == EPERM) {
            fprintf(stderr, "corral: permission denied on %s (corral needs root)\n", path);
            return EXIT_DENIED;
        }
        fprintf(stderr, "corral: supervisor not running (no answer on %s: %m)\n", path);
        return EXIT_NOT_RUNNING;
    }
    size_t tl = strlen(text);
    text[tl] = '\n'; /* json_dumps' NUL becomes the line end */
    for (size_t off = 0; off < tl + 1;) {
        ssize_t n = send(fd, text + off, tl + 1 - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "corral: Failed to send request: %m\n");
            return EXIT_NOT_RUNNING;
        }
        off += (size_t) n;
    }
    *ret_fd = TAKE_FD(fd);
    return EXIT_OK;
}

int client_stream(const char *run_dir, json_t *req, int (*cb)(json_t *msg, void *userdata),
                  void *userdata)
{
    _cleanup_close_ int fd = -EBADF;
    _cleanup_fclose_ FILE *f = NULL;
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    bool first = true;
    int r = connect_and_send(run_dir, req, &fd);

    if (r != EXIT_OK)
        return r;
    f = fdopen(fd, "r");
    if (!f)
        return EXIT_FAILED;
    fd = -EBADF; /* f owns it */
    for (;;) {
        json_error_t jerr;
        ssize_t n = getline(&line, &cap, f);
        json_t *msg;

        if (n < 0) {
            if (first) {
                fprintf(stderr, "corral: the supervisor closed the connection without "
                                "answering\n");
                return EXIT_FAILED;
            }
            return EXIT_OK; /* the supervisor went down */
        }
        msg = json_loadb(line, (size_t) n, 0, &jerr);
        if (!msg) {
            fprintf(stderr, "corral: malformed message from the supervisor: %s\n", jerr.text);
            return EXIT_FAILED;
        }
        if (first) {
            first = false;
            r = client_exit_code(msg);
            if (r != EXIT_OK)
                fprintf(stderr, "corral: %s\n",
                        json_string_value(json_object_get(msg, "error")) ?: "request refused");
            json_decref(msg);
            if (r != EXIT_OK)
                return r;
            continue;
        }
        r = cb(msg, userdata);
        json_decref(msg);
        if (r < 0)
            return EXIT_FAILED;
    }
}

int client_call(const char *run_dir, json_t *req, json_t **ret)
{
    _cleanup_free_ char *buf = NULL;
    _cleanup_close_ int fd = -EBADF;
    size_t len = 0, cap = 0;
    json_error_t jerr;
    int r = connect_and_send(run_dir, req, &fd);

    if (r != EXIT_OK)
        return r;
    for (;;) {
        if (len + 4096 > cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 16384);
            if (!nb)
                return EXIT_FAILED;
            buf = nb;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "corral: Failed to read the reply: %m\n");
            return EXIT_FAILED;
        }
        if (n == 0)
            break;
        len += (size_t) n;
        if (memchr(buf + len - n, '\n', (size_t) n))
            break;
    }
    if (len == 0) {
        fprintf(stderr, "corral: the supervisor closed the connection without answering\n");
        return EXIT_FAILED;
    }
    *ret = json_loadb(buf, len, 0, &jerr);
    if (!*ret) {
        fprintf(stderr, "corral: malformed reply from the supervisor: %s\n", jerr.text);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}
