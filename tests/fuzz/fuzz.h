/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the libFuzzer targets share: a check that every error line of a
 * rejected input carries FILE:LINE, and a failure that libFuzzer records
 * as a crash (with the input saved under build/fuzz/artifacts).
 */
#ifndef FLOWTAG_FUZZ_H
#define FLOWTAG_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define FUZZ_FAIL(...)                                           \
	do {                                                     \
		fprintf(stderr, "fuzz invariant: " __VA_ARGS__); \
		fputc('\n', stderr);                             \
		abort();                                         \
	} while (0)

/*
 * Every line of @d must read "FILE:LINE: error: " or "FILE:LINE: warning: "
 * with LINE >= 1 (the parsers take a buffer, never a file that cannot be
 * opened, so there is no line-less message), and the count must match.
 */
static inline void fuzz_check_diag(const struct ft_diag *d)
{
	const char *l, *nl, *p;
	int nerr = 0, nwarn = 0;

	if (!d->text) {
		if (d->nerrors || d->nwarnings)
			FUZZ_FAIL("%d errors counted, none written", d->nerrors);
		return;
	}
	for (l = d->text; *l; l = nl + 1) {
		long line;
		char *end;

		nl = strchr(l, '\n');
		if (!nl)
			FUZZ_FAIL("diagnostics do not end with a newline");
		/* the file name is ours ("fuzz.conf") or a path without ": " */
		p = strstr(l, ": ");
		if (!p || p > nl)
			FUZZ_FAIL("no FILE:LINE in: %.*s", (int)(nl - l), l);
		for (p--; p > l && *p >= '0' && *p <= '9'; p--)
			;
		if (*p != ':')
			FUZZ_FAIL("no :LINE in: %.*s", (int)(nl - l), l);
		line = strtol(p + 1, &end, 10);
		if (line < 1 || *end != ':')
			FUZZ_FAIL("bad LINE in: %.*s", (int)(nl - l), l);
		if (!strncmp(end, ": error: ", 9))
			nerr++;
		else if (!strncmp(end, ": warning: ", 11))
			nwarn++;
		else
			FUZZ_FAIL("neither error nor warning: %.*s", (int)(nl - l), l);
	}
	if (nerr != d->nerrors || nwarn != d->nwarnings)
		FUZZ_FAIL("counted %d/%d errors/warnings, wrote %d/%d", d->nerrors, d->nwarnings,
			  nerr, nwarn);
}

#endif /* FLOWTAG_FUZZ_H */
