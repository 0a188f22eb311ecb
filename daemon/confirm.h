/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtagd's side of reload --confirm, confirm and rollback: requests on
 * the control socket (control.h), the confirm window and its automatic
 * rollback, and a pending confirm lost across a restart. Part of flowtagd
 * alone (daemon.h).
 */
#ifndef FLOWTAG_CONFIRM_H
#define FLOWTAG_CONFIRM_H

struct daemon;

/**
 * control_request() - answer one request on the control socket
 * @d: the daemon; d->ctl_fd is readable
 *
 * "reload" reloads and answers with that reload's outcome; "reload
 * SECONDS" reloads and keeps the connection as the waiter, told the
 * outcome later; "confirm" and "rollback" are answered at once.
 */
void control_request(struct daemon *d);

/**
 * confirm_expired() - the confirm window ran out: roll back, and tell the
 * waiting reload --confirm
 * @d: the daemon; d->confirm_at (monotonic ms) has passed
 */
void confirm_expired(struct daemon *d);

/**
 * control_close() - close the control socket and any waiting client
 * @d: the daemon
 */
void control_close(struct daemon *d);

/**
 * lost_confirm() - at start: a previous flowtagd stopped while a reload
 * --confirm waited; say so and record it in d->confirm (FT_CONFIRM_LOST)
 * @d: the daemon, its loader open on the adopted pins
 */
void lost_confirm(struct daemon *d);

#endif /* FLOWTAG_CONFIRM_H */
