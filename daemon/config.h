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

#include "diag.h"
#include "policy.h"

#define FT_DEFAULT_CONFIG	"/etc/flowtag/flowtag.conf"

/*
 * How many times in a row a load reads the policy and its files before it
 * gives up on them changing meanwhile (see ft_config_load()).
 */
#define FT_CONFIG_READS	4

/* ft_config_*_flags() flags */
#define FT_CONFIG_INSECURE_FILES	(1u << 0)	/* accept files others can write: see textfile.h */

/**
 * ft_config_load() - read, parse and validate the policy file @path.
 * @pol:  zeroed by the caller; filled in only when 0 is returned
 * @diag: zeroed by the caller; receives every error and warning
 * The policy, its @include'd files and its prefix-set files must be
 * regular files that only root (or the caller) can have written: see
 * ft_file_read().
 * They are one version of the files: once all are read and checked, each
 * path is looked up again (symlinks followed, as when it was opened), and
 * when one names another file than the one read, or the same one changed,
 * everything is read again, up to FT_CONFIG_READS times. @pol's file_ino
 * and file_mtime say which policy file was read.
 * Returns 0, -EINVAL when the file is not a valid policy (details in @diag),
 * -EPROTO when libconfig refused a text cfgtext.c had passed (a bug, also in
 * @diag), -EAGAIN when the files kept changing while being read ("policy
 * files changed while being read: PATH" in @diag), or another -errno when
 * it cannot be read (also in @diag).
 */
int ft_config_load(const char *path, struct ft_policy *pol, struct ft_diag *diag);

/**
 * ft_config_load_flags() - ft_config_load() with FT_CONFIG_* @flags.
 */
int ft_config_load_flags(const char *path, unsigned int flags, struct ft_policy *pol,
			 struct ft_diag *diag);

/**
 * ft_config_parse() - as ft_config_load(), from a string; @name stands for
 * the file name in messages, relative prefix-set files resolve against @dir.
 * The files the text names are read as one version as ft_config_load()
 * reads them.
 */
int ft_config_parse(const char *text, const char *name, const char *dir,
		    struct ft_policy *pol, struct ft_diag *diag);

/**
 * ft_config_parse_buf() - as ft_config_parse(), from @len bytes at @buf
 * (which may hold NULs: they are errors), with FT_CONFIG_* @flags.
 */
int ft_config_parse_buf(const char *buf, size_t len, const char *name, const char *dir,
			unsigned int flags, struct ft_policy *pol, struct ft_diag *diag);

#endif /* FLOWTAG_CONFIG_H */
