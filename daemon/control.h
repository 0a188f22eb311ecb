/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The control channel from flowtagctl to flowtagd, for the requests that
 * must be answered by the daemon itself: reload, reload --confirm, confirm
 * and rollback.
 *
 * Why a unix socket, /run/flowtag/flowtagd.<netns inode>.sock, mode 0600,
 * and not SIGHUP plus a record in the pins:
 *  - a request gets an answer of its own: no race between two operators,
 *    no polling of ft_info. A SIGHUP says nothing about who sent it, so a
 *    client watching ft_info after its SIGHUP took the first reload that
 *    ended for its own, though it may have read the file before the
 *    client's change (another flowtagctl reload, systemctl reload); each
 *    "reload" request is a reload of its own, started after it arrived,
 *    and answered with its outcome. SIGHUP still reloads, for systemd;
 *  - a request can carry an argument (the confirm window);
 *  - `reload --confirm` can stay connected and learn the outcome (confirmed
 *    or rolled back) when it happens, and its exit code says which; when
 *    the operator's link dies, the connection just closes: the timer lives
 *    in flowtagd and does not depend on it;
 *  - only root may ask: the file is root's with mode 0600 in a root-only
 *    directory, and flowtagd checks SO_PEERCRED besides;
 *  - one per network namespace, named like the pid file (pidfile.h): /run
 *    is shared by `ip netns exec`, so flowtagctl finds the daemon of its
 *    namespace, as it finds its pid file.
 * Status stays in the pinned maps (ft_confirm): nothing here is needed to
 * read flowtag's state.
 *
 * Protocol: one request line, answered by lines "WORD ARGS...":
 *   "reload"         -> "reloaded GEN_BEFORE GEN" or "rejected GEN WHY"
 *                       (WHY: the first error the reload logged)
 *   "reload SECONDS" -> "applied GEN_BEFORE GEN SECONDS" then, later,
 *                       "confirmed GEN" or "rolledback GEN_FROM GEN_TO WHY";
 *                       or "error WHY"
 *   "confirm"        -> "confirmed GEN" or "error WHY"
 *   "rollback"       -> "rolledback GEN_FROM GEN_TO WHY" or "error WHY"
 */
#ifndef FLOWTAG_CONTROL_H
#define FLOWTAG_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define FT_CONFIRM_MAX_S	3600	/* longest reload --confirm window */
#define FT_CONTROL_LINE		512	/* longest request or answer line */

/**
 * ft_control_path() - the control socket of this process's network
 * namespace. Return: 0 or -errno.
 */
int ft_control_path(char *buf, size_t len);

/**
 * ft_control_listen() - create the control socket (a stale one of a dead
 * daemon is replaced), mode 0600. Return: the listening fd (non-blocking,
 * close-on-exec), or -errno.
 */
int ft_control_listen(void);

/** ft_control_unlink() - remove the control socket file (at exit). */
void ft_control_unlink(void);

/**
 * ft_control_accept() - accept one client of @lfd and read its request
 * line (at most 1 s: a client that sends nothing is dropped).
 * @req: the line without its newline, NUL-terminated
 * Return: the client fd, or -errno (-EPERM: not root, already answered).
 */
int ft_control_accept(int lfd, char *req, size_t len);

/**
 * ft_control_reply() - send one answer line (a newline is appended) to
 * @fd; a client that went away is no error worth more than -EPIPE.
 * Return: 0 or -errno.
 */
int ft_control_reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * ft_control_connect() - connect to the flowtagd of this network namespace
 * and send @req.
 * @pid: the flowtagd meant, 0 for whichever: the request is sent only when
 *       the socket's peer (SO_PEERCRED) is that process
 * @peer: out, the pid at the other end (0 if not connected)
 * Return: the connected fd, or -errno (-ENOENT or -ECONNREFUSED: no
 * flowtagd listens; -ESRCH: another process than @pid, nothing sent).
 */
int ft_control_connect(const char *req, uint32_t pid, int *peer);

/**
 * ft_control_read() - the next answer line from @fd, waiting at most
 * @timeout_ms (-1: for ever). Return: 0; -ETIMEDOUT; -ECONNRESET when
 * flowtagd closed the connection without answering; other -errno.
 */
int ft_control_read(int fd, char *buf, size_t len, int timeout_ms);

#endif /* FLOWTAG_CONTROL_H */
