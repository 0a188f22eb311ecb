// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ftsink: a traffic sink for the demo and the tests. Listens on TCP ports
 * (IPv4 and IPv6), accepts any number of connections, reads and discards,
 * and binds UDP ports so datagrams do not provoke ICMP errors. On SIGTERM
 * or after -T seconds it prints, per TCP port, the bytes received and the
 * rate over the time data flowed:
 *
 *   tcp PORT BYTES bytes SECONDS s MBITS Mbit/s
 *
 *   ftsink [-t PORT]... [-u PORT]... [-T SECONDS]
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_PORTS	16
#define MAX_FDS		512

/* An IPv6 socket with V6ONLY off takes IPv4 too. */
static int listen_on(int type, int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK, 0), one = 1, zero = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		perror("ftsink: bind");
		close(fd);
		return -1;
	}
	return fd;
}

struct slot {
	int fd;
	int port_idx;		/* which TCP port, -1: a listener or UDP */
	int listener;		/* port index of a listener, -1 otherwise */
};

int main(int argc, char **argv)
{
	int tports[MAX_PORTS], nt = 0, nu = 0, opt, i;
	unsigned long long bytes[MAX_PORTS] = { 0 };
	double first[MAX_PORTS] = { 0 }, last[MAX_PORTS] = { 0 }, duration = 0, start;
	struct pollfd pfd[MAX_FDS];
	struct slot slot[MAX_FDS];
	int n = 0;
	static char buf[65536];

	while ((opt = getopt(argc, argv, "t:u:T:h")) != -1) {
		switch (opt) {
		case 't':
		case 'u': {
			int port = atoi(optarg), fd;

			if (port <= 0 || port > 65535 || n >= MAX_FDS || nt >= MAX_PORTS) {
				fprintf(stderr, "ftsink: bad port %s\n", optarg);
				return 2;
			}
			fd = listen_on(opt == 't' ? SOCK_STREAM : SOCK_DGRAM, port);
			if (fd < 0)
				return 1;
			slot[n] = (struct slot){ fd, -1, opt == 't' ? nt : -1 };
			pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			if (opt == 't')
				tports[nt++] = port;
			else
				nu++;
			break;
		}
		case 'T':
			duration = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: ftsink [-t PORT]... [-u PORT]... [-T SECONDS]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	stop_on_signals();
	start = now();

	while (!stop && (duration <= 0 || now() - start < duration)) {
		if (poll(pfd, n, 200) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (slot[i].listener >= 0) {
				int c = accept(pfd[i].fd, NULL, NULL);

				if (c < 0)
					continue;
				if (n == MAX_FDS) {
					close(c);
					continue;
				}
				slot[n] = (struct slot){ c, slot[i].listener, -1 };
				pfd[n++] = (struct pollfd){ .fd = c, .events = POLLIN };
			} else if (slot[i].port_idx >= 0) {
				ssize_t r = read(pfd[i].fd, buf, sizeof(buf));
				int p = slot[i].port_idx;

				if (r > 0) {
					double t = now();

					if (!first[p])
						first[p] = t;
					last[p] = t;
					bytes[p] += r;
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					close(pfd[i].fd);
					pfd[i] = pfd[n - 1];
					slot[i] = slot[n - 1];
					n--;
					i--;
				}
			} else {
				/* UDP: drain */
				while (recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
					;
			}
		}
	}
	for (i = 0; i < nt; i++) {
		double secs = last[i] > first[i] ? last[i] - first[i] : 0;

		printf("tcp %d %llu bytes %.2f s %.2f Mbit/s\n", tports[i], bytes[i], secs,
		       secs > 0 ? bytes[i] * 8 / secs / 1e6 : 0.0);
	}
	(void)nu;
	return 0;
}
