// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Whole-file reads with sshd-StrictModes-like checks: see textfile.h.
 *
 * The file itself is checked with fstat() on the descriptor we read from,
 * so the checked file is the read file. The directories above it are
 * checked by name (stat), along the path as given (made absolute) and along
 * realpath(): whoever can write a directory on either chain can swap the
 * file or a symlink to it (Kubernetes ConfigMaps swap a `..data` symlink).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* "group", "others" or "group and others" for the write bits of @mode */
static const char *writers(mode_t mode)
{
	if ((mode & S_IWGRP) && (mode & S_IWOTH))
		return "group and others";
	return (mode & S_IWGRP) ? "group" : "others";
}

/*
 * Whether @st (of @name, a file or one of the directories above @file) is
 * safe; fills @why when not.
 */
static bool safe_stat(const struct stat *st, const char *name, const char *file, char *why,
		      size_t whylen)
{
	bool dir = S_ISDIR(st->st_mode);
	const char *what = dir ? "directory" : "file";

	if (!trusted_owner(st->st_uid)) {
		if (dir)
			snprintf(
				why, whylen,
				"refusing '%s': directory '%s' above it is owned by uid %u, not root",
				file, name, (unsigned int)st->st_uid);
		else
			snprintf(why, whylen, "refusing '%s': owned by uid %u, not root", name,
				 (unsigned int)st->st_uid);
		return false;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	/* others cannot rename or delete what they do not own in a sticky directory */
	if (dir && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return true;
	if (dir)
		snprintf(why, whylen,
			 "refusing '%s': %s '%s' above it is writable by %s (mode %04o)", file,
			 what, name, writers(st->st_mode), (unsigned int)(st->st_mode & 07777));
	else
		snprintf(why, whylen, "refusing '%s': writable by %s (mode %04o)", name,
			 writers(st->st_mode), (unsigned int)(st->st_mode & 07777));
	return false;
}

/* Check every directory above the absolute path @abs, up to "/". */
static int safe_dirs(const char *abs, const char *file, char *why, size_t whylen)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (snprintf(dir, sizeof(dir), "%s", abs) >= (int)sizeof(dir)) {
		snprintf(why, whylen, "'%s': path too long", file);
		return -ENAMETOOLONG;
	}
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash)
			return 0;
		if (slash == dir)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		if (stat(dir, &st)) {
			int err = errno;

			snprintf(why, whylen, "'%s': cannot check directory '%s': %s", file, dir,
				 strerror(err));
			return -err;
		}
		if (!safe_stat(&st, dir, file, why, whylen))
			return -EPERM;
		if (!strcmp(dir, "/"))
			return 0;
	}
}

static int safe_path(const char *path, const struct stat *st, char *why, size_t whylen)
{
	char abs[PATH_MAX], *real;
	int rc;

	if (!safe_stat(st, path, path, why, whylen))
		return -EPERM;
	if (path[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", path);
	} else {
		if (!getcwd(abs, sizeof(abs))) {
			rc = -errno;
			snprintf(why, whylen, "'%s': cannot get the working directory: %s", path,
				 strerror(-rc));
			return rc;
		}
		if (strlen(abs) + 1 + strlen(path) >= sizeof(abs)) {
			snprintf(why, whylen, "'%s': path too long", path);
			return -ENAMETOOLONG;
		}
		if (strcmp(abs, "/"))
			strcat(abs, "/");
		strcat(abs, path);
	}
	rc = safe_dirs(abs, path, why, whylen);
	if (rc)
		return rc;
	real = realpath(path, NULL);
	if (!real) {
		rc = -errno;
		snprintf(why, whylen, "'%s': cannot resolve: %s", path, strerror(-rc));
		return rc;
	}
	rc = strcmp(real, abs) ? safe_dirs(real, path, why, whylen) : 0;
	free(real);
	return rc;
}

static int read_fd(int fd, const char *path, char **out, size_t *outlen, char *why, size_t whylen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int rc;

	for (;;) {
		if (cap - len < 2) {
			size_t ncap = cap ? cap * 2 : 65536;

			if (cap > FT_FILE_MAX) {
				snprintf(why, whylen, "'%s' is larger than %u MiB", path,
					 FT_FILE_MAX >> 20);
				rc = -EFBIG;
				goto fail;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				rc = -ENOMEM;
				snprintf(why, whylen, "cannot read '%s': %s", path, strerror(-rc));
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(why, whylen, "cannot read '%s': %s", path, strerror(-rc));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FT_FILE_MAX) {
		snprintf(why, whylen, "'%s' is larger than %u MiB", path, FT_FILE_MAX >> 20);
		rc = -EFBIG;
		goto fail;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return rc;
}

static void file_id_of(const struct stat *st, struct ft_file_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Read @path; its identity (fstat of what is read, before reading) in *@id. */
static int read_file(const char *path, unsigned int flags, char **buf, size_t *len,
		     struct ft_file_id *id, char *why, size_t whylen)
{
	struct stat st;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO or /proc/kmsg must not hang a reload before fstat says no */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot open '%s': %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(why, whylen, "cannot stat '%s': %s", path, strerror(-rc));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "'%s' is a directory", path);
		rc = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "'%s' is not a regular file", path);
		rc = -EINVAL;
		goto out;
	}
	if (!(flags & FT_FILE_INSECURE)) {
		rc = safe_path(path, &st, why, whylen);
		if (rc)
			goto out;
	}
	file_id_of(&st, id);
	rc = read_fd(fd, path, buf, len, why, whylen);
out:
	close(fd);
	return rc;
}

int ft_file_read(const char *path, unsigned int flags, char **buf, size_t *len, char *why,
		 size_t whylen)
{
	struct ft_file_id id;

	return read_file(path, flags, buf, len, &id, why, whylen);
}

int ft_file_read_logged(const char *path, unsigned int flags, struct ft_file_log *log, char **buf,
			size_t *len, char *why, size_t whylen)
{
	struct ft_file_rec *r;
	struct ft_file_id id;
	size_t n;
	int rc;

	rc = read_file(path, flags, buf, len, &id, why, whylen);
	if (rc || !log)
		return rc;
	if (log->nrecs == log->cap) {
		n = log->cap ? log->cap * 2 : 8;
		r = realloc(log->recs, n * sizeof(*r));
		if (!r)
			goto oom;
		log->recs = r;
		log->cap = n;
	}
	r = &log->recs[log->nrecs];
	n = strlen(path) + 1;
	r->path = malloc(n);
	if (!r->path)
		goto oom;
	memcpy(r->path, path, n);
	r->id = id;
	log->nrecs++;
	return 0;
oom:
	free(*buf);
	*buf = NULL;
	*len = 0;
	snprintf(why, whylen, "cannot read '%s': %s", path, strerror(ENOMEM));
	return -ENOMEM;
}

const char *ft_file_log_changed(const struct ft_file_log *log)
{
	struct ft_file_id now;
	struct stat st;
	size_t i;

	for (i = 0; i < log->nrecs; i++) {
		const struct ft_file_rec *r = &log->recs[i];

		if (stat(r->path, &st))
			return r->path;
		file_id_of(&st, &now);
		if (now.dev != r->id.dev || now.ino != r->id.ino || now.size != r->id.size ||
		    !same_time(&now.mtime, &r->id.mtime) || !same_time(&now.ctime, &r->id.ctime))
			return r->path;
	}
	return NULL;
}

void ft_file_log_free(struct ft_file_log *log)
{
	size_t i;

	for (i = 0; i < log->nrecs; i++)
		free(log->recs[i].path);
	free(log->recs);
	memset(log, 0, sizeof(*log));
}

size_t ft_text_bom_len(const char *buf, size_t len)
{
	return len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
}

int ft_text_nul_line(const char *buf, size_t len)
{
	const char *nul = memchr(buf, '\0', len), *p;
	int line = 1;

	if (!nul)
		return 0;
	for (p = buf; p < nul; p++)
		line += *p == '\n';
	return line;
}
