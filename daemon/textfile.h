/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Reading the text files a policy is made of (the policy, its @includes,
 * its prefix-set files): whole, bounded in size, regular files only, and —
 * like sshd's StrictModes — only when no one but root (or the user running
 * us) can have written them.
 */
#ifndef FLOWTAG_TEXTFILE_H
#define FLOWTAG_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Largest file we read, in bytes: a 10^6-line prefix set is ~40 MB. */
#define FT_FILE_MAX (256u << 20)

/* ft_file_read() flags */
#define FT_FILE_INSECURE (1u << 0) /* skip the ownership and mode checks */

/**
 * ft_file_read() - read the whole file @path into memory.
 * @flags: FT_FILE_INSECURE accepts files and directories others can write
 * @buf:   receives a malloc'ed copy, NUL-terminated after @len bytes (the
 *         contents themselves may hold NULs: see ft_text_nul_line())
 * @why:   on error, what is wrong, naming the file (or directory) and,
 *         for a permission problem, its owner and mode
 *
 * Refused: anything but a regular file (a directory, a FIFO, a device);
 * unless FT_FILE_INSECURE, a file owned by someone other than root or the
 * effective user, or writable by group or others, and the same for every
 * directory above it — along the path as given and along its resolved
 * path — except that a sticky directory owned by root (/tmp) may be
 * world-writable.
 *
 * Returns 0, -EISDIR, -EINVAL (not a regular file), -EPERM (unsafe owner or
 * mode), -EFBIG (over FT_FILE_MAX), -ENOMEM, or the -errno of open()/read().
 */
int ft_file_read(const char *path, unsigned int flags, char **buf, size_t *len, char *why,
		 size_t whylen);

/*
 * Which version of a file was read: what stat(2) says of it. A file
 * replaced (a rename over it, a ConfigMap's `..data` symlink swapped) has
 * another inode; one rewritten in place another size, mtime or ctime.
 */
struct ft_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

/* Every file one policy load read, in the order it read them. */
struct ft_file_rec {
	char *path; /* as opened: symlinks not resolved */
	struct ft_file_id id; /* of the file read, taken before reading it */
};

struct ft_file_log {
	struct ft_file_rec *recs;
	size_t nrecs, cap;
};

/**
 * ft_file_read_logged() - ft_file_read(), and when it succeeds, @path with
 * the identity of the file read appended to @log (unless @log is NULL).
 * Returns what ft_file_read() returns; -ENOMEM also when @log cannot grow.
 */
int ft_file_read_logged(const char *path, unsigned int flags, struct ft_file_log *log,
			char **buf, size_t *len, char *why, size_t whylen);

/**
 * ft_file_log_changed() - the first path in @log that no longer names the
 * file read from it (stat(2) now, following symlinks as open(2) did, gives
 * another identity, or fails), or NULL when every one still does: then
 * there was a moment at which all of them held what was read.
 */
const char *ft_file_log_changed(const struct ft_file_log *log);

void ft_file_log_free(struct ft_file_log *log);

/**
 * ft_text_bom_len() - 3 when @buf starts with a UTF-8 byte-order mark, else 0.
 */
size_t ft_text_bom_len(const char *buf, size_t len);

/**
 * ft_text_nul_line() - the line (from 1) of the first NUL byte in @buf, or
 * 0 when there is none.
 */
int ft_text_nul_line(const char *buf, size_t len);

#endif /* FLOWTAG_TEXTFILE_H */
