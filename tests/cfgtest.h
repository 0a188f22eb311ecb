/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the policy unit tests share: looking into the diagnostics of a
 * policy load, and telling an untouched policy struct.
 */
#ifndef FLOWTAG_TEST_CFGTEST_H
#define FLOWTAG_TEST_CFGTEST_H

#include <ftw.h> /* nftw(): the including file defines _GNU_SOURCE */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static inline bool policy_is_zero(const struct ft_policy *p)
{
	static const struct ft_policy zero;

	return !memcmp(p, &zero, sizeof(zero));
}

/*
 * Whether @d has a line that starts with "@file:@line: @sev: " (with
 * @line 0: "@file: @sev: ") and contains @substr.
 */
static inline bool diag_has(const struct ft_diag *d, const char *file, int line, const char *sev,
			    const char *substr)
{
	char head[PATH_MAX + 64];
	const char *l, *nl;

	if (!d->text)
		return false;
	if (line > 0)
		snprintf(head, sizeof(head), "%s:%d: %s: ", file, line, sev);
	else
		snprintf(head, sizeof(head), "%s: %s: ", file, sev);
	for (l = d->text; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			return false;
		if (!strncmp(l, head, strlen(head))) {
			char one[4096];
			size_t n = (size_t)(nl - l) < sizeof(one) - 1 ? (size_t)(nl - l) :
									sizeof(one) - 1;

			memcpy(one, l, n);
			one[n] = '\0';
			if (strstr(one, substr))
				return true;
		}
	}
	return false;
}

static inline int cfgtest_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf @dir, for the temporary trees the tests build. */
static inline int rm_tree(const char *dir)
{
	return nftw(dir, cfgtest_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* FLOWTAG_TEST_CFGTEST_H */
