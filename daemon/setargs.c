// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl set's arguments (setargs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setargs.h"
#include "strparse.h"

static int fail(char *err, size_t len, const char *fmt, const char *a, const char *b)
{
	snprintf(err, len, fmt, a, b);
	return -EINVAL;
}

/* "SECONDS": 0 .. FT_SET_MAX_TIMEOUT, decimal digits only */
static int parse_seconds(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > (uint64_t)FT_SET_MAX_TIMEOUT)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int ft_set_args_parse(int argc, char **argv, const char *file, struct ft_set_args *a, char *err,
		      size_t errlen)
{
	static const char *const ops[] = { "add", "del", "list", "flush" };
	const char *op;
	int i, n = -1;

	memset(a, 0, sizeof(*a));
	if (argc < 1)
		return fail(err, errlen, "set needs a subcommand: add, del, list or flush%s%s", "",
			    "");
	op = argv[0];
	for (i = 0; i < 4; i++)
		if (!strcmp(op, ops[i]))
			n = i;
	if (n < 0)
		return fail(err, errlen, "unknown set subcommand '%s' (add, del, list, flush)%s", op,
			    "");
	a->op = (enum ft_set_op)n;
	if (argc < 2)
		return fail(err, errlen, "set %s needs the name of a set%s", op, "");
	a->name = argv[1];
	if (!*a->name || strlen(a->name) >= FT_SET_NAME_LEN || strchr(a->name, '/') ||
	    a->name[0] == '.')
		return fail(err, errlen, "'%s' is not a set name%s", a->name, "");
	if (a->op == FT_SET_LIST || a->op == FT_SET_FLUSH) {
		if (argc > 2)
			return fail(err, errlen, "set %s takes only the set name, not '%s'", op,
				    argv[2]);
		if (file)
			return fail(err, errlen, "set %s takes no -f FILE%s", op, "");
		return 0;
	}
	a->file = file;
	a->pfx = calloc((size_t)argc, sizeof(*a->pfx));
	if (!a->pfx)
		return -ENOMEM;
	for (i = 2; i < argc; i++) {
		char why[128];

		if (!strcmp(argv[i], "timeout")) {
			if (a->op != FT_SET_ADD)
				return fail(err, errlen, "set %s takes no timeout%s", op, "");
			if (i + 1 >= argc)
				return fail(err, errlen, "timeout needs SECONDS (0 = never)%s%s", "",
					    "");
			if (parse_seconds(argv[i + 1], &a->timeout))
				return fail(err, errlen,
					    "timeout '%s': not a number of seconds (0..4294967295)%s",
					    argv[i + 1], "");
			if (i + 2 < argc)
				return fail(err, errlen, "'%s' after the timeout: the timeout comes last%s",
					    argv[i + 2], "");
			a->has_timeout = true;
			break;
		}
		if (ft_parse_prefix(argv[i], &a->pfx[a->npfx], why, sizeof(why)))
			return fail(err, errlen, "'%s': %s", argv[i], why);
		a->npfx++;
	}
	if (a->file && a->npfx)
		return fail(err, errlen, "set %s: either PREFIX... or -f FILE, not both%s", op, "");
	if (!a->file && !a->npfx)
		return fail(err, errlen, "set %s %s needs at least one PREFIX (or -f FILE)", op,
			    a->name);
	return 0;
}

void ft_set_args_free(struct ft_set_args *a)
{
	free(a->pfx);
	a->pfx = NULL;
	a->npfx = 0;
}
