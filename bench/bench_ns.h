/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Network namespaces for the L1/L2 benchmarks.
 *
 * Every namespace is anonymous: unshare(CLONE_NEWNET), keep an fd to it,
 * go back. Nothing is named in /run/netns, and a namespace disappears with
 * the last fd, i.e. with this process at the latest, on every exit path
 * (kill -9 included), taking its veths, routes, rules and attached
 * programs along. The host's own interfaces are never touched: commands
 * run in a child that first enters the namespace.
 */
#ifndef FLOWTAG_BENCH_NS_H
#define FLOWTAG_BENCH_NS_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ftb_host_ns = -1;

/* Remember the namespace we started in. */
static inline int ftb_ns_init(void)
{
	ftb_host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return ftb_host_ns < 0 ? -errno : 0;
}

/* A new, empty network namespace; returns its fd (the caller closes it). */
static inline int ftb_ns_new(void)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	if (setns(ftb_host_ns, CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd;
}

static inline int ftb_ns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

static inline int ftb_ns_leave(void)
{
	return ftb_ns_enter(ftb_host_ns);
}

/*
 * Run argv[0] (searched in PATH) inside namespace @ns with stdout and
 * stderr going to /dev/null unless @verbose. Returns 0 when it exited 0,
 * -ENOENT when it could not be run, -EIO on another exit status.
 */
static inline int ftb_ns_run(int ns, char *const argv[], int verbose)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);

		if (setns(ns, CLONE_NEWNET))
			_exit(126);
		if (dn >= 0) {
			dup2(dn, 0);
			if (!verbose) {
				dup2(dn, 1);
				dup2(dn, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOENT;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		if (verbose) {
			int i;

			fprintf(stderr, "command failed (status %d):", st);
			for (i = 0; argv[i]; i++)
				fprintf(stderr, " %s", argv[i]);
			fprintf(stderr, "\n");
		}
		return -EIO;
	}
	return 0;
}

/* As ftb_ns_run() with the arguments given as one string, split at spaces. */
static inline int ftb_ns_sh(int ns, int verbose, const char *cmd)
{
	char buf[512], *argv[32], *save = NULL, *t;
	int n = 0;

	if (snprintf(buf, sizeof(buf), "%s", cmd) >= (int)sizeof(buf))
		return -E2BIG;
	for (t = strtok_r(buf, " ", &save); t && n < 31; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	return ftb_ns_run(ns, argv, verbose);
}

/* Is @prog in PATH? */
static inline int ftb_have(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096], dir[512], *p;

	if (!path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok(buf, ":"); p; p = strtok(NULL, ":")) {
		snprintf(dir, sizeof(dir), "%s/%s", p, prog);
		if (access(dir, X_OK) == 0)
			return 1;
	}
	return 0;
}

/*
 * A counter of /proc/net/snmp ("Ip", "InReceives") or /proc/net/netstat
 * ("IpExt", ...) of the namespace the calling thread is in (the process
 * is single-threaded: /proc/self/net follows it). Returns 0 or -errno.
 */
static inline int ftb_snmp(const char *file, const char *group, const char *name, uint64_t *val)
{
	char head[4096], vals[4096];
	FILE *f = fopen(file, "re");
	size_t gl = strlen(group);
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		char *hs = NULL, *vs = NULL, *h, *v;

		if (strncmp(head, group, gl) || head[gl] != ':')
			continue;
		h = strtok_r(head + gl + 1, " \n", &hs);
		v = strtok_r(vals + gl + 1, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, name)) {
				*val = strtoull(v, NULL, 10);
				err = 0;
				break;
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return err;
}

#endif /* FLOWTAG_BENCH_NS_H */
