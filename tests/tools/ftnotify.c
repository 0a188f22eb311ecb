// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ftnotify: stands in for systemd's notification socket in the tests.
 * Binds a unix datagram socket at PATH and prints every message it gets,
 * one line per message with newlines shown as '|', until SIGTERM or
 * SECONDS pass.
 *
 *   ftnotify PATH [SECONDS]
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	time_t end;
	char buf[4096];
	int fd;

	if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: ftnotify PATH [SECONDS]\n");
		return 2;
	}
	end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 60);
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("ftnotify");
		return 1;
	}
	stop_on_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop && time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *c;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (c = buf; *c; c++)
			if (*c == '\n')
				*c = '|';
		printf("%s\n", buf);
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
