// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The per-network-namespace pid file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

int ft_run_path(const char *ext, char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	if (snprintf(buf, len, "%s/flowtagd.%llu.%s", FT_RUN_DIR,
		     (unsigned long long)st.st_ino, ext) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int ft_pidfile_path(char *buf, size_t len)
{
	return ft_run_path("pid", buf, len);
}

static int read_fd(int fd, pid_t *pid, char *pin_dir, size_t len)
{
	char buf[PATH_MAX + 32], *nl;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long v;

	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	buf[n] = '\0';
	v = strtol(buf, &nl, 10);
	if (v <= 0 || v > INT_MAX || *nl != '\n')
		return -EINVAL;
	*pid = (pid_t)v;
	if (pin_dir && len) {
		char *end = strchr(nl + 1, '\n');

		if (end)
			*end = '\0';
		snprintf(pin_dir, len, "%s", nl + 1);
	}
	return 0;
}

int ft_pidfile_update(int fd, const char *pin_dir)
{
	char buf[PATH_MAX + 32];
	int n = snprintf(buf, sizeof(buf), "%d\n%s\n", (int)getpid(), pin_dir);

	if (n >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

int ft_pidfile_lock(const char *pin_dir, int *fd_out, pid_t *holder)
{
	char path[PATH_MAX];
	int fd, err;

	*fd_out = -1;
	*holder = 0;
	err = ft_pidfile_path(path, sizeof(path));
	if (err)
		return err;
	if (mkdir(FT_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		if (err == -EWOULDBLOCK) {
			read_fd(fd, holder, NULL, 0);
			err = -EBUSY;
		}
		close(fd);
		return err;
	}
	err = ft_pidfile_update(fd, pin_dir);
	if (err) {
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

void ft_pidfile_remove(int fd)
{
	char path[PATH_MAX];

	if (fd < 0)
		return;
	if (!ft_pidfile_path(path, sizeof(path)))
		unlink(path);
	close(fd);
}

int ft_pidfile_read(pid_t *pid, char *pin_dir, size_t len)
{
	char path[PATH_MAX];
	int fd, err;

	err = ft_pidfile_path(path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_fd(fd, pid, pin_dir, len);
	close(fd);
	return err;
}
