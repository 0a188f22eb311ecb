// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ftsend: a small traffic source for the integration tests and the demo.
 * Sends UDP datagrams, TCP connection attempts, or TCP streams to one address
 * and port, at a rate, for a count or a duration, over one or several flows.
 *
 *   ftsend -d ADDR -p PORT [-u|-t|-c] [-n COUNT] [-r PPS] [-T SECONDS]
 *          [-f FLOWS] [-s SPORT] [-S SRCADDR] [-q DSCP] [-l BYTES]
 *
 * Prints "sent N" on exit. Stops on SIGTERM/SIGINT too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_FLOWS 1024

static void usage(FILE *f)
{
	fprintf(f, "usage: ftsend -d ADDR -p PORT [-u|-t|-c] [-n COUNT] [-r PPS] [-T SECONDS]\n"
		   "              [-f FLOWS] [-s SPORT] [-S SRCADDR] [-q DSCP] [-l BYTES]\n"
		   "  -u  UDP datagrams (default)   -t  TCP connection attempts (SYNs)\n"
		   "  -c  TCP streams: one connection per flow, -l bytes per write\n"
		   "  -n  packets to send (default 1; 0 = until -T or a signal)\n"
		   "  -r  packets per second (default: as fast as possible)\n"
		   "  -f  flows: distinct source ports, starting at -s (default: ephemeral)\n"
		   "  -S  source address to bind\n"
		   "  -q  DSCP value to send with (0..63)\n"
		   "  -l  UDP payload bytes (default 32)\n");
}

int main(int argc, char **argv)
{
	const char *dst = NULL, *src = NULL;
	int port = 0, sport = 0, flows = 1, dscp = -1, len = 32, opt, fam, i;
	long count = 1, sent = 0;
	double rate = 0, duration = 0, start, next;
	bool tcp = false, stream = false;
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	int fds[MAX_FLOWS];
	char payload[65536];

	while ((opt = getopt(argc, argv, "d:p:utcn:r:T:f:s:S:q:l:h")) != -1) {
		switch (opt) {
		case 'd': dst = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': tcp = false; break;
		case 't': tcp = true; break;
		case 'c': stream = true; break;
		case 'n': count = atol(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'T': duration = atof(optarg); break;
		case 'f': flows = atoi(optarg); break;
		case 's': sport = atoi(optarg); break;
		case 'S': src = optarg; break;
		case 'q': dscp = atoi(optarg); break;
		case 'l': len = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!dst || port <= 0 || port > 65535 || flows < 1 || flows > MAX_FLOWS ||
	    len < 0 || len > (int)sizeof(payload) || dscp > 63) {
		usage(stderr);
		return 2;
	}
	if (inet_pton(AF_INET, dst, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		fam = AF_INET;
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sslen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, dst, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		fam = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sslen = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "ftsend: bad address %s\n", dst);
		return 2;
	}
	stop_on_signals();
	memset(payload, 'f', sizeof(payload));

	for (i = 0; i < flows; i++)
		fds[i] = -1;
	start = next = now();
	while (!stop && (count == 0 || sent < count)) {
		int k = sent % flows, fd;

		if (duration > 0 && now() - start >= duration)
			break;
		if (tcp && fds[k] >= 0) {
			close(fds[k]);	/* a fresh connection attempt each time */
			fds[k] = -1;
		}
		if (fds[k] < 0) {
			int one = 1;

			fd = socket(fam, tcp || stream ? SOCK_STREAM : SOCK_DGRAM,  0);
			if (fd < 0) {
				perror("ftsend: socket");
				return 1;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (!stream) {
				fcntl(fd, F_SETFL, O_NONBLOCK);
			} else {
				/* a shaped stream blocks in send(): wake up to check -T */
				struct timeval tv = { 0, 200000 };

				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			}
			if (dscp >= 0) {
				int tos = dscp << 2;

				if (fam == AF_INET)
					setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
				else
					setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
			}
			if (sport || src) {
				struct sockaddr_storage b = { 0 };
				int bad = 0;

				b.ss_family = fam;
				if (fam == AF_INET) {
					struct sockaddr_in *b4 = (struct sockaddr_in *)&b;

					b4->sin_port = htons(sport ? sport + k : 0);
					if (src)
						bad = inet_pton(AF_INET, src, &b4->sin_addr) != 1;
				} else {
					struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&b;

					b6->sin6_port = htons(sport ? sport + k : 0);
					if (src)
						bad = inet_pton(AF_INET6, src, &b6->sin6_addr) != 1;
				}
				if (bad) {
					fprintf(stderr, "ftsend: bad source address %s\n", src);
					return 2;
				}
				if (bind(fd, (struct sockaddr *)&b, sslen)) {
					perror("ftsend: bind");
					return 1;
				}
			}
			fds[k] = fd;
			if (stream && connect(fd, (struct sockaddr *)&ss, sslen)) {
				perror("ftsend: connect");
				return 1;
			}
		}
		if (stream) {
			if (send(fds[k], payload, len, MSG_NOSIGNAL) < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				perror("ftsend: send");
				return 1;
			}
		} else if (tcp) {
			if (connect(fds[k], (struct sockaddr *)&ss, sslen) && errno != EINPROGRESS) {
				perror("ftsend: connect");
				return 1;
			}
		} else if (sendto(fds[k], payload, len, 0, (struct sockaddr *)&ss, sslen) < 0) {
			if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED) {
				perror("ftsend: sendto");
				return 1;
			}
			continue;	/* retry the same packet */
		}
		sent++;
		if (rate > 0) {
			double t;

			next += 1.0 / rate;
			t = next - now();
			if (t > 0) {
				struct timespec ts = { (time_t)t, (long)((t - (time_t)t) * 1e9) };

				nanosleep(&ts, NULL);
			}
		}
	}
	for (i = 0; i < flows; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("sent %ld\n", sent);
	return 0;
}
