/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Policy file -> struct ft_policy: parse (libconfig) and validate, with no
 * side effects on the system. Every problem is reported as
 * "FILE:LINE: message"; a policy is returned only when it is valid as a
 * whole, so a bad file can never be half-applied.
 */
#ifndef FLOWTAG_CONFIG_H
#define FLOWTAG_CONFIG_H

#include <stddef.h>

#include "policy.h"

#define FT_DEFAULT_CONFIG	"/etc/flowtag/flowtag.conf"

/* Diagnostics collected while loading: one "FILE:LINE: ..." line each. */
struct ft_diag {
	char *text;		/* NUL-terminated, newline-separated; NULL when empty */
	size_t len;
	int nerrors;		/* lines starting "FILE:LINE: error: " count here */
	int nwarnings;		/* "FILE:LINE: warning: " */
};

void ft_diag_free(struct ft_diag *d);

/**
 * ft_config_load() - read, parse and validate the policy file @path.
 * @pol:  zeroed by the caller; filled in only when 0 is returned
 * @diag: zeroed by the caller; receives every error and warning
 * Returns 0, -EINVAL when the file is not a valid policy (details in @diag),
 * or another -errno when it cannot be read.
 */
int ft_config_load(const char *path, struct ft_policy *pol, struct ft_diag *diag);

/**
 * ft_config_parse() - as ft_config_load(), from a string; @name stands for
 * the file name in messages, relative prefix-set files resolve against @dir.
 */
int ft_config_parse(const char *text, const char *name, const char *dir,
		    struct ft_policy *pol, struct ft_diag *diag);

#endif /* FLOWTAG_CONFIG_H */
