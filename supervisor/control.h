/* SPDX-License-Identifier: MIT */
/* The control socket: JSON lines from root clients, one request at a time
 * per connection. Requests that change state answer once done. */
#pragma once

#include "container.h"
#include "request.h"

struct daemon;

int control_listen(struct daemon *d, const char *path);
/* Re-evaluate pending requests after a state change. */
void control_notify(struct daemon *d);
/* c went from one state to another: tell every events subscriber. */
void control_event(struct daemon *d, struct container *c, enum ctr_state from);
/* Close the listener and every client (after flushing replies). */
void control_close(struct daemon *d);
