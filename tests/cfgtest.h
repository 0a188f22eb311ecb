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
 * Whether @d has a message about @file:@line (@line 0: the file as a whole)
 * of severity @sev ("error" or "warning") whose line contains @substr.
 */
static inline bool diag_has(const struct ft_diag *d, const char *file, int line, const char *sev,
			    const char *substr)
{
	enum ft_severity want = strcmp(sev, "error") ? FT_SEVERITY_WARNING : FT_SEVERITY_ERROR;
	char one[4096];
	size_t i;

	for (i = 0; i < d->nentries; i++) {
		const struct ft_diag_entry *e = &d->entries[i];

		if (e->line == (line > 0 ? line : 0) && e->severity == want &&
		    !strcmp(e->file, file) && strstr(ft_diag_line(d, i, one, sizeof(one)), substr))
			return true;
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
