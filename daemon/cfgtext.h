/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Policy text -> text libconfig cannot choke on.
 *
 * Debian 12's libconfig 1.5 exits the process from its scanner on an
 * @include of a directory, prepends the include directory to absolute
 * include paths, wraps integer literals that do not fit 32 bits, stops at a
 * NUL byte, rejects a UTF-8 byte-order mark and leaks a string token on some
 * syntax errors. So libconfig never sees a policy file as written: this
 * module reads the policy and its @include'd files itself (textfile.h
 * rules), tokenizes them the way libconfig 1.5's scanner does, checks the
 * grammar, duplicate settings, array element types and every integer
 * literal, and only when all of that holds, writes the tokens out again as
 * a text that config_read_string() is sure to accept: no @include, no
 * comment, one output line per source line, plus a map from output lines
 * back to FILE:LINE.
 */
#ifndef FLOWTAG_CFGTEXT_H
#define FLOWTAG_CFGTEXT_H

#include <stddef.h>

#include "diag.h"
#include "textfile.h"

#define FT_CFG_MAX_INCLUDE 10 /* @include nesting, as libconfig */
#define FT_CFG_MAX_NESTING 32 /* groups, lists and arrays inside each other */
/*
 * Settings in one group, the policy's top level included. The largest group
 * of the language (an interface's) has 8 keys; libconfig looks every new
 * setting up among its group's earlier ones, so a group of 10^5 settings
 * would take minutes to read (and a SIGHUP as long to answer).
 */
#define FT_CFG_MAX_SETTINGS 1024

/* Where a line of the checked text comes from. */
struct ft_src_pos {
	unsigned int file; /* index into ft_cfgtext.files */
	int line; /* from 1 */
};

struct ft_cfgtext {
	char *text; /* for config_read_string() */
	size_t len;
	char **files; /* [0]: the policy as named; then @include'd files as opened */
	size_t nfiles;
	struct ft_src_pos *lines; /* lines[i]: origin of line i + 1 of text */
	size_t nlines;
};

/**
 * ft_cfgtext_build() - check a policy and the files it includes.
 * @buf, @len: the policy's contents (may hold NULs, which are errors)
 * @name:  the policy's name in messages
 * @dir:   where relative @include names resolve; NULL: the working directory
 * @flags: FT_FILE_* flags for reading @include'd files
 * @log:   each @include'd file read is added here (textfile.h); may be NULL
 * @out:   zeroed by the caller; filled on success, free with ft_cfgtext_free()
 * @diag:  receives every error as FILE:LINE
 * Returns 0, -EINVAL (reported in @diag) or -ENOMEM.
 */
int ft_cfgtext_build(const char *buf, size_t len, const char *name, const char *dir,
		     unsigned int flags, struct ft_file_log *log, struct ft_cfgtext *out,
		     struct ft_diag *diag);

void ft_cfgtext_free(struct ft_cfgtext *t);

/**
 * ft_cfgtext_pos() - the origin of line @line (from 1) of the checked text,
 * or NULL when there is no such line.
 */
const struct ft_src_pos *ft_cfgtext_pos(const struct ft_cfgtext *t, int line);

#endif /* FLOWTAG_CFGTEXT_H */
