/* SPDX-License-Identifier: MIT */
/* Protocol: one JSON object a line each way.
 *   {"cmd":"ps"}                          -> {"ok":true,"containers":[...]}
 *   {"cmd":"stop|start|restart","names":[...]}
 *                                         -> {"ok":B,"results":[{"name","ok","status"[,"error"]}]}
 *   {"cmd":"pause|resume","names":[...]}  -> as above, once the freezer confirms
 *   {"cmd":"stats"}                       -> as ps; "stats" per container
 *   {"cmd":"down"}                        -> {"ok":true} once everything is down
 *   {"cmd":"inspect"[,"names":[...]]}     -> {"ok":true,"containers":[{...,"spec":{...}}]}
 *   {"cmd":"events"}                      -> {"ok":true}, then one event a line:
 *       {"time","time_ms","time_us","name","from","to","status","pid","restarts"
 *        [,"exit"][,"delay_ms"][,"reason"]}, until either side closes
 * Errors: {"ok":false,"code":"bad_request|not_found|permission_denied|
 * shutting_down","error":"one line"}. A request is validated whole before
 * anything changes: its syntax by control_request_parse() (request.c), then
 * here the names against the containers and the daemon's state. */
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "daemon.h"
#include "log.h"
#include "macro.h"

struct client {
    struct list_head link;
    struct daemon *d;
    uv_pipe_t pipe;
    char *buf;
    size_t len;
    bool busy; /* a request is being answered: stop reading meanwhile */
    bool closing;
    bool reject;     /* not root: answer once, then close */
    bool in_process; /* process_buffer() is on the stack */
    bool events;     /* subscribed to events: no further requests */
};

/* An events client that lets this much pile up unread is dropped rather
 * than allowed to grow the supervisor without bound. */
#define EVENTS_MAX_QUEUED (256 * 1024)

enum wait_op { WAIT_STOP, WAIT_START, WAIT_RESTART, WAIT_PAUSE, WAIT_RESUME, WAIT_DOWN };

struct waiter {
    struct list_head link;
    struct client *client; /* NULL once the client went away */
    enum wait_op op;
    size_t n;
    struct container **ctrs;
    unsigned *starts_before; /* c->starts, or c->freeze.done, at request time */
};

struct write_req {
    uv_write_t req;
    char *data;
};

static void client_close(struct client *cl);

static void on_client_closed(uv_handle_t *h)
{
    struct client *cl = h->data;
    struct waiter *w;
    struct list_head *pos, *tmp;

    LIST_FOREACH(pos, tmp, &cl->d->waiters) {
        w = list_entry(pos, struct waiter, link);
        if (w->client == cl)
            w->client = NULL;
    }
    list_del(&cl->link);
    free(cl->buf);
    free(cl);
}

static void client_close(struct client *cl)
{
    if (cl->closing)
        return;
    cl->closing = true;
    uv_close((uv_handle_t *) &cl->pipe, on_client_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct client *cl = req->handle->data;
    free(req);
    client_close(cl);
}

/* Close after the pending replies have been written. */
static void client_finish(struct client *cl)
{
    uv_shutdown_t *req;

    if (cl->closing)
        return;
    cl->reject = true; /* no further requests */
    req = calloc(1, sizeof(*req));
    if (!req || uv_shutdown(req, (uv_stream_t *) &cl->pipe, on_shutdown) < 0) {
        free(req);
        client_close(cl);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void process_buffer(struct client *cl);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

static void on_written(uv_write_t *req, int status)
{
    struct write_req *wr = container_of(req, struct write_req, req);
    struct client *cl = req->handle->data;

    free(wr->data);
    free(wr);
    if (status < 0) {
        client_close(cl);
        return;
    }
    if (cl->reject)
        client_finish(cl);
}

static void reply(struct client *cl, json_t *o)
{
    struct write_req *wr;
    char *text;
    uv_buf_t b;

    if (!cl || cl->closing) {
        json_decref(o);
        return;
    }
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    wr = calloc(1, sizeof(*wr));
    if (!text || !wr) {
        free(text);
        free(wr);
        client_close(cl);
        return;
    }
    wr->data = realloc(text, strlen(text) + 2);
    if (!wr->data) {
        free(text);
        free(wr);
        client_close(cl);
        return;
    }
    strcat(wr->data, "\n");
    b = uv_buf_init(wr->data, (unsigned) strlen(wr->data));
    if (uv_write(&wr->req, (uv_stream_t *) &cl->pipe, &b, 1, on_written) < 0) {
        free(wr->data);
        free(wr);
        client_close(cl);
        return;
    }
    /* Ready for the next request on this connection, which may already
     * be waiting in the buffer. */
    if (cl->busy && !cl->reject) {
        cl->busy = false;
        process_buffer(cl);
    }
}

static json_t *error_reply(const char *code, const char *fmt, ...) _printf_(2, 3);
static json_t *error_reply(const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    /* Names in messages come from the client: cut them cleanly. */
    va_start(ap, fmt);
    control_vformat_error(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg);
}

static void waiter_free(struct waiter *w)
{
    list_del(&w->link);
    free(w->ctrs);
    free(w->starts_before);
    free(w);
}

/* Whether the request's goal is reached for c: 0 pending, 1 ok, -1 failed. */
static int goal(const struct waiter *w, size_t i)
{
    const struct container *c = w->ctrs[i];

    switch (w->op) {
    case WAIT_STOP:
    case WAIT_DOWN:
        return container_is_down(c) ? 1 : 0;
    case WAIT_START:
    case WAIT_RESTART:
        if (c->starts == w->starts_before[i] || c->restart_pending)
            return 0;
        if (c->state == CTR_RUNNING)
            return 1;
        if (c->state == CTR_STARTING || c->run)
            return 0;
        return -1;
    case WAIT_PAUSE:
    case WAIT_RESUME:
        if (c->freeze.done == w->starts_before[i])
            return 0;
        if (c->state == (w->op == WAIT_PAUSE ? CTR_PAUSED : CTR_RUNNING))
            return 1;
        return -1;
    }
    return 0;
}

static void waiter_check(struct waiter *w)
{
    json_t *results, *o;
    bool all_ok = true;

    for (size_t i = 0; i < w->n; i++)
        if (goal(w, i) == 0)
            return;

    if (w->op == WAIT_DOWN) {
        reply(w->client, json_pack("{s:b}", "ok", 1));
        waiter_free(w);
        return;
    }
    results = json_array();
    for (size_t i = 0; i < w->n; i++) {
        const struct container *c = w->ctrs[i];
        char status[700];
        int g = goal(w, i);

        container_status(c, status, sizeof(status));
        o = json_pack("{s:s, s:b, s:s}", "name", c->spec->name, "ok", g > 0, "status", status);
        if (g < 0) {
            const char *why = status;
            if ((w->op == WAIT_PAUSE || w->op == WAIT_RESUME) && c->freeze.error[0])
                why = c->freeze.error;
            else if (c->last_exit.kind == EXIT_ERROR)
                why = c->last_exit.error;
            all_ok = false;
            json_object_set_new(o, "error", json_string(why));
        }
        json_array_append_new(results, o);
    }
    reply(w->client, json_pack("{s:b, s:o}", "ok", all_ok, "results", results));
    waiter_free(w);
}

void control_notify(struct daemon *d)
{
    struct list_head *pos, *tmp;

    LIST_FOREACH(pos, tmp, &d->waiters)
        waiter_check(list_entry(pos, struct waiter, link));
}

void control_event(struct daemon *d, struct container *c, enum ctr_state from)
{
    struct list_head *pos, *tmp;
    json_t *ev = NULL;

    LIST_FOREACH(pos, tmp, &d->clients) {
        struct client *cl = list_entry(pos, struct client, link);

        if (!cl->events || cl->closing)
            continue;
        if (uv_stream_get_write_queue_size((uv_stream_t *) &cl->pipe) > EVENTS_MAX_QUEUED) {
            log_warn("control: dropping an events client that does not read");
            client_close(cl);
            continue;
        }
        if (!ev)
            ev = container_event_json(c, from);
        if (!ev)
            return;
        reply(cl, json_incref(ev));
    }
    json_decref(ev);
}

static json_t *do_inspect(struct daemon *d, const struct control_request *req)
{
    json_t *arr;

    for (size_t i = 0; i < req->n_names; i++)
        if (!daemon_find(d, req->names[i]))
            return error_reply("not_found", "no such container: '%s'", req->names[i]);
    arr = json_array();
    if (req->n_names > 0)
        for (size_t i = 0; i < req->n_names; i++)
            json_array_append_new(arr, container_inspect_json(daemon_find(d, req->names[i])));
    else
        for (size_t i = 0; i < d->n_ctrs; i++)
            json_array_append_new(arr, container_inspect_json(d->ctrs[i]));
    return json_pack("{s:b, s:o}", "ok", 1, "containers", arr);
}

static json_t *do_ps(struct daemon *d)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < d->n_ctrs; i++) {
        json_t *o = container_to_json(d->ctrs[i]);
        json_object_set_new(o, "stats", container_stats_json(d->ctrs[i]));
        json_array_append_new(arr, o);
    }
    return json_pack("{s:b, s:o}", "ok", 1, "containers", arr);
}

/* Resolve the names whole before acting, so one bad name changes nothing. */
static json_t *collect(struct daemon *d, const struct control_request *req, struct waiter *w)
{
    w->ctrs = calloc(req->n_names, sizeof(*w->ctrs));
    w->starts_before = calloc(req->n_names, sizeof(*w->starts_before));
    if (!w->ctrs || !w->starts_before)
        return error_reply("internal", "out of memory");
    for (size_t i = 0; i < req->n_names; i++) {
        struct container *c = daemon_find(d, req->names[i]);
        if (!c)
            return error_reply("not_found", "no such container: '%s'", req->names[i]);
        /* The same name twice is one container. */
        bool dup = false;
        for (size_t k = 0; k < w->n; k++)
            dup |= w->ctrs[k] == c;
        if (dup)
            continue;
        w->starts_before[w->n] = c->starts;
        w->ctrs[w->n++] = c;
    }
    return NULL;
}

static void handle_request(struct client *cl, const char *line, size_t len)
{
    _cleanup_(control_request_done) struct control_request req = {};
    struct daemon *d = cl->d;
    char msg[512];
    struct waiter *w;
    enum wait_op op;
    json_t *err;
    int r;

    /* Up to four names a container: a few repeats are fine, a flood not. */
    r = control_request_parse(line, len, d->n_ctrs * 4 + 16, &req, msg, sizeof(msg));
    if (r == -ENOMEM) {
        reply(cl, error_reply("internal", "out of memory"));
        return;
    }
    if (r < 0) {
        reply(cl, error_reply("bad_request", "%s", msg));
        return;
    }

    switch (req.cmd) {
    case CONTROL_PS:
    case CONTROL_STATS:
        reply(cl, do_ps(d));
        return;
    case CONTROL_INSPECT:
        reply(cl, do_inspect(d, &req));
        return;
    case CONTROL_EVENTS:
        /* Set first: the reply would otherwise go on to the next request. */
        cl->events = true;
        cl->len = 0;
        reply(cl, json_pack("{s:b}", "ok", 1));
        uv_read_start((uv_stream_t *) &cl->pipe, on_alloc, on_read);
        return;
    case CONTROL_STOP:
        op = WAIT_STOP;
        break;
    case CONTROL_START:
        op = WAIT_START;
        break;
    case CONTROL_RESTART:
        op = WAIT_RESTART;
        break;
    case CONTROL_PAUSE:
        op = WAIT_PAUSE;
        break;
    case CONTROL_RESUME:
        op = WAIT_RESUME;
        break;
    case CONTROL_DOWN:
        op = WAIT_DOWN;
        break;
    default: /* none that control_request_parse() returns */
        reply(cl, error_reply("internal", "unhandled command"));
        return;
    }

    if (d->shutting_down && op != WAIT_STOP && op != WAIT_DOWN) {
        reply(cl, error_reply("shutting_down", "the supervisor is shutting down"));
        return;
    }

    w = calloc(1, sizeof(*w));
    if (!w) {
        reply(cl, error_reply("internal", "out of memory"));
        return;
    }
    list_init(&w->link);
    w->client = cl;
    w->op = op;
    if (op == WAIT_DOWN) {
        w->ctrs = calloc(d->n_ctrs ? d->n_ctrs : 1, sizeof(*w->ctrs));
        w->starts_before = calloc(d->n_ctrs ? d->n_ctrs : 1, sizeof(*w->starts_before));
        for (size_t i = 0; w->ctrs && i < d->n_ctrs; i++)
            w->ctrs[w->n++] = d->ctrs[i];
        err = w->ctrs && w->starts_before ? NULL : error_reply("internal", "out of memory");
    } else {
        err = collect(d, &req, w);
    }
    /* Pause and resume only make sense for a live container: refuse the
     * whole request, before acting, if one named is not. */
    for (size_t i = 0; !err && (op == WAIT_PAUSE || op == WAIT_RESUME) && i < w->n; i++) {
        const struct container *c = w->ctrs[i];
        if (c->state != CTR_RUNNING && c->state != CTR_PAUSED) {
            char status[700];
            container_status(c, status, sizeof(status));
            err = error_reply("not_running", "container '%s' is not running (%s)", c->spec->name,
                              status);
        }
        w->starts_before[i] = c->freeze.done;
    }
    if (err) {
        waiter_free(w);
        reply(cl, err);
        return;
    }

    /* Act first, register after: an action can complete synchronously and
     * notify waiters, and this request's own must not be answered (and
     * freed) while we still walk its containers. */
    for (size_t i = 0; i < w->n; i++) {
        struct container *c = w->ctrs[i];
        switch (op) {
        case WAIT_STOP:
            /* All marked first, so that dependents in the set go first. */
            container_set_manual_stop(c, true);
            c->want_start = false;
            c->want_stop = true;
            break;
        case WAIT_START:
            container_set_manual_stop(c, false);
            if (c->state == CTR_STOPPING)
                c->restart_pending = true;
            else if (c->run)
                w->starts_before[i] = c->starts - 1; /* already running: done */
            else
                daemon_request_start(d, c);
            break;
        case WAIT_RESTART:
            container_set_manual_stop(c, false);
            if (c->run)
                (void) container_restart(c);
            else
                daemon_request_start(d, c);
            break;
        case WAIT_PAUSE:
        case WAIT_RESUME:
            /* Already there: answered at once. */
            if (c->state == (op == WAIT_PAUSE ? CTR_PAUSED : CTR_RUNNING) && !c->freeze.active)
                w->starts_before[i] = c->freeze.done - 1;
            else
                (void) (op == WAIT_PAUSE ? container_pause(c) : container_resume(c));
            break;
        case WAIT_DOWN:
            break;
        }
    }
    if (op == WAIT_STOP)
        daemon_schedule(d);
    list_add_tail(&w->link, &d->waiters);
    if (op == WAIT_DOWN)
        daemon_shutdown(d, "requested by client"); /* answers it once all is down */
    else
        waiter_check(w); /* everything may already be where it was asked */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct client *cl = h->data;

    if (!cl->buf)
        cl->buf = malloc(CONTROL_MAX_REQUEST + 1);
    if (!cl->buf || cl->len >= CONTROL_MAX_REQUEST) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init(cl->buf + cl->len, (unsigned) (CONTROL_MAX_REQUEST - cl->len));
}

/* Answer every complete line in the buffer, one at a time: a request that
 * waits (stop, start...) holds the rest back until it is answered. A reply
 * given synchronously re-enters here through reply(); the guard turns that
 * into another turn of this loop instead of recursion. */
static void process_buffer(struct client *cl)
{
    if (cl->in_process)
        return;
    cl->in_process = true;
    while (!cl->busy && !cl->closing && !cl->reject && !cl->events) {
        char *nl = cl->buf ? memchr(cl->buf, '\n', cl->len) : NULL;
        size_t line_len;
        char *line;

        if (!nl) {
            uv_read_start((uv_stream_t *) &cl->pipe, on_alloc, on_read);
            break;
        }
        line_len = (size_t) (nl - cl->buf);
        line = malloc(line_len + 1);
        if (!line) {
            client_close(cl);
            break;
        }
        memcpy(line, cl->buf, line_len);
        line[line_len] = 0;
        cl->len -= line_len + 1;
        memmove(cl->buf, nl + 1, cl->len);
        uv_read_stop((uv_stream_t *) &cl->pipe);
        cl->busy = true;
        handle_request(cl, line, line_len);
        free(line);
    }
    cl->in_process = false;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct client *cl = s->data;

    if (nread == UV_ENOBUFS) {
        uv_read_stop(s);
        cl->busy = true;
        cl->reject = true;
        reply(cl, error_reply("bad_request", "request longer than %d bytes", CONTROL_MAX_REQUEST));
        return;
    }
    if (nread < 0) {
        client_close(cl);
        return;
    }
    if (cl->events)
        return; /* a subscriber has nothing more to ask: read only for EOF */
    cl->len += (size_t) nread;
    process_buffer(cl);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct daemon *d = server->data;
    struct client *cl;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uv_os_fd_t fd;

    if (status < 0)
        return;
    cl = calloc(1, sizeof(*cl));
    if (!cl)
        return;
    cl->d = d;
    uv_pipe_init(&d->loop, &cl->pipe, 0);
    cl->pipe.data = cl;
    list_add_tail(&cl->link, &d->clients);
    if (uv_accept(server, (uv_stream_t *) &cl->pipe) < 0) {
        client_close(cl);
        return;
    }
    /* The socket is 0600 already; the credential check also holds if
     * someone loosens the mode or passes the fd on. */
    if (uv_fileno((uv_handle_t *) &cl->pipe, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
        log_warn("control: refused a client with uid %d", len ? (int) cred.uid : -1);
        cl->busy = true;
        cl->reject = true;
        reply(cl, error_reply("permission_denied", "the control socket is for root only"));
        return;
    }
    uv_read_start((uv_stream_t *) &cl->pipe, on_alloc, on_read);
}

int control_listen(struct daemon *d, const char *path)
{
    mode_t old;
    int r;

    uv_pipe_init(&d->loop, &d->server, 0);
    d->server.data = d;
    d->server_open = true;
    /* We hold the run_dir lock, so any socket file there is stale. */
    (void) unlink(path);
    old = umask(0077);
    r = uv_pipe_bind(&d->server, path);
    umask(old);
    if (r < 0)
        return r;
    if (chmod(path, 0600) < 0)
        return negative_errno();
    return uv_listen((uv_stream_t *) &d->server, 16, on_connection);
}

void control_close(struct daemon *d)
{
    struct list_head *pos, *tmp;

    if (d->server_open) {
        uv_close((uv_handle_t *) &d->server, NULL);
        d->server_open = false;
    }
    /* Answer what is done (a "down" is, by now) before failing the rest. */
    control_notify(d);
    LIST_FOREACH(pos, tmp, &d->waiters) {
        struct waiter *w = list_entry(pos, struct waiter, link);
        reply(w->client, error_reply("shutting_down", "the supervisor went down"));
        waiter_free(w);
    }
    LIST_FOREACH(pos, tmp, &d->clients)
        client_finish(list_entry(pos, struct client, link));
}
