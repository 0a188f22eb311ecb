/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The arguments of flowtagctl set, parsed without touching the kernel (so
 * the unit tests can hold every error message to account).
 */
#ifndef FLOWTAG_SETARGS_H
#define FLOWTAG_SETARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum ft_set_op {
	FT_SET_ADD,
	FT_SET_DEL,
	FT_SET_LIST,
	FT_SET_FLUSH,
};

struct ft_set_args {
	enum ft_set_op op;
	const char *name;		/* the set (points into argv) */
	struct ft_prefix *pfx;		/* PREFIX... in order, malloc'ed */
	size_t npfx;
	bool has_timeout;		/* "timeout SECONDS" given (add only) */
	uint64_t timeout;		/* seconds, 0 = never */
	const char *file;		/* -f FILE (add, del), NULL without */
};

/**
 * ft_set_args_parse() - "add NAME PREFIX... [timeout SECONDS]", "add NAME
 * -f FILE [timeout SECONDS]", "del NAME PREFIX...", "del NAME -f FILE",
 * "list NAME", "flush NAME" (@argv[0] is the subcommand; -f FILE was taken
 * out of argv by the option parser and comes as @file).
 * @err: what is wrong, on -EINVAL.
 * Return: 0, -EINVAL or -ENOMEM. Free @a with ft_set_args_free() either way.
 */
int ft_set_args_parse(int argc, char **argv, const char *file, struct ft_set_args *a, char *err,
		      size_t errlen);

void ft_set_args_free(struct ft_set_args *a);

#endif /* FLOWTAG_SETARGS_H */
