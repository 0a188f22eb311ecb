/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Prefix-set files: one IPv4 or IPv6 prefix per line, '#' starts a
 * comment, blank lines are fine, a leading UTF-8 byte-order mark is
 * skipped. Linear in the size of the file (10^6-line block lists).
 */
#ifndef FLOWTAG_SETFILE_H
#define FLOWTAG_SETFILE_H

#include <stddef.h>

#include "diag.h"
#include "policy.h"

/* After this many bad lines a file is given up: a wrong file fed in by
 * mistake (10^6 lines of something else) must not bury every other message. */
#define FT_SET_FILE_MAX_ERRORS 10

/**
 * ft_set_file_parse() - the prefixes in the contents of a prefix-set file.
 * @buf, @len: the contents; a NUL byte is an error of its line
 * @name: the file's name in messages ("NAME:LINE: error: ...")
 * @pfx, @npfx: receive a malloc'ed array in file order (NULL, 0 when empty);
 *              left NULL, 0 unless 0 is returned
 * Returns 0, -EINVAL (errors reported in @diag) or -ENOMEM.
 */
int ft_set_file_parse(const char *buf, size_t len, const char *name, struct ft_prefix **pfx,
		      size_t *npfx, struct ft_diag *diag);

#endif /* FLOWTAG_SETFILE_H */
