// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The control socket between flowtagctl and flowtagd. See control.h.
 */
#define _GNU_SOURCE	/* accept4, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "pidfile.h"

int ft_control_path(char *buf, size_t len)
{
	return ft_run_path("sock", buf, len);
}

static int make_addr(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return ft_control_path(sa->sun_path, sizeof(sa->sun_path));
}

int ft_control_listen(void)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, err;

	err = make_addr(&sa);
	if (err)
		return err;
	if (mkdir(FT_RUN_DIR, 0700) && errno != EEXIST)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the pid file lock makes us the only flowtagd of this namespace:
	 * a socket file left here is a dead daemon's */
	unlink(sa.sun_path);
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!err && listen(fd, 8))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

void ft_control_unlink(void)
{
	struct sockaddr_un sa;

	if (!make_addr(&sa))
		unlink(sa.sun_path);
}

/* Read up to a newline from @fd within @timeout_ms; NUL-terminated, no newline. */
static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int k = poll(&p, 1, timeout_ms);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (!k)
			return -ETIMEDOUT;
		r = read(fd, buf + n, 1);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ECONNRESET;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

int ft_control_accept(int lfd, char *req, size_t len)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd, err;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || cred.uid != 0) {
		ft_control_reply(fd, "error only root may control flowtagd");
		close(fd);
		return -EPERM;
	}
	err = read_line(fd, req, len, 1000);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int ft_control_reply(int fd, const char *fmt, ...)
{
	char buf[FT_CONTROL_LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* MSG_NOSIGNAL: a client that went away must not kill the daemon */
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
		return -errno;
	return 0;
}

int ft_control_connect(const char *req, uint32_t pid, int *peer)
{
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	struct sockaddr_un sa;
	size_t len = strlen(req);
	int fd, err;

	*peer = 0;
	err = make_addr(&sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		*peer = cred.pid;
	if (pid && (uint32_t)*peer != pid) {
		close(fd);
		return -ESRCH;
	}
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ft_control_read(int fd, char *buf, size_t len, int timeout_ms)
{
	return read_line(fd, buf, len, timeout_ms);
}
