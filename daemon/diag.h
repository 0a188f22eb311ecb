/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Diagnostics of a policy load: a list of {file, line, severity, message},
 * and the same as one "FILE:LINE: error: ..." or "FILE:LINE: warning: ..."
 * line each, collected in one buffer so that flowtagd logs them, `--check`
 * prints them and tests look into them.
 */
#ifndef FLOWTAG_DIAG_H
#define FLOWTAG_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum ft_severity {
	FT_SEVERITY_WARNING,
	FT_SEVERITY_ERROR,
};

/* One message. */
struct ft_diag_entry {
	char *file;		/* the file it is about */
	int line;		/* its line, 0 for the file as a whole */
	enum ft_severity severity;
	char *message;		/* one line, without "FILE:LINE: error: " */
	size_t offset;		/* the whole "FILE:LINE: ...: message" line in */
	size_t length;		/* struct ft_diag.text, without its newline */
};

struct ft_diag {
	char *text; /* NUL-terminated, newline-separated; NULL when empty */
	size_t len;
	int nerrors; /* lines starting "FILE:LINE: error: " count here */
	int nwarnings; /* "FILE:LINE: warning: " */
	struct ft_diag_entry *entries; /* in the order they were added */
	size_t nentries;
};

/**
 * ft_diag_vadd() - append one message to @d.
 * @file: the file the message is about
 * @line: its line, or 0 for the file as a whole ("FILE: error: ...")
 * @error: an error (counted in nerrors) rather than a warning
 * Control characters in the message become spaces: one message, one line.
 * Returns 0 or -ENOMEM (the message is then lost, the counters unchanged).
 */
int ft_diag_vadd(struct ft_diag *d, const char *file, int line, bool error, const char *fmt,
		 va_list ap) __attribute__((format(printf, 5, 0)));

/**
 * ft_diag_add() - ft_diag_vadd() with the arguments inline.
 */
int ft_diag_add(struct ft_diag *d, const char *file, int line, bool error, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/**
 * ft_diag_line() - entry @i of @d as its whole line ("FILE:LINE: error: ..."),
 * copied to @buf of @len bytes (cut when longer). Returns @buf.
 */
const char *ft_diag_line(const struct ft_diag *d, size_t i, char *buf, size_t len);

void ft_diag_free(struct ft_diag *d);

#endif /* FLOWTAG_DIAG_H */
