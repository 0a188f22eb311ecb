/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * systemd readiness notification (sd_notify protocol) without libsystemd:
 * one datagram to $NOTIFY_SOCKET. A no-op when not started by systemd.
 */
#ifndef FLOWTAG_NOTIFY_H
#define FLOWTAG_NOTIFY_H

/**
 * ft_notify() - send @state ("READY=1", "RELOADING=1\nSTATUS=...", ...).
 * Returns 1 when sent, 0 when there is no $NOTIFY_SOCKET, -errno on error.
 */
int ft_notify(const char *state);

/** ft_notifyf() - ft_notify() with printf formatting. */
int ft_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FLOWTAG_NOTIFY_H */
