// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Diagnostics buffer: see diag.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define DIAG_MIN_CAP 256

/*
 * ft_diag has no capacity field: every buffer we allocate is a power of two
 * of at least DIAG_MIN_CAP, so the capacity follows from the length.
 */
static size_t diag_cap(size_t len)
{
	size_t cap = DIAG_MIN_CAP;

	while (cap < len + 1)
		cap *= 2;
	return cap;
}

int ft_diag_vadd(struct ft_diag *d, const char *file, int line, bool error, const char *fmt,
		 va_list ap)
{
	char msg[1024], head[PATH_MAX + 64], *ch;
	struct ft_diag_entry *entries, *e;
	size_t need, cap;
	char *text;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one line per message, whatever a quoted name contains ("a\nb") */
	for (ch = msg; *ch; ch++)
		if ((unsigned char)*ch < ' ')
			*ch = ' ';
	if (line > 0)
		snprintf(head, sizeof(head), "%s:%d: %s: ", file, line,
			 error ? "error" : "warning");
	else
		snprintf(head, sizeof(head), "%s: %s: ", file, error ? "error" : "warning");
	for (ch = head; *ch; ch++)
		if ((unsigned char)*ch < ' ')
			*ch = ' ';

	need = d->len + strlen(head) + strlen(msg) + 1;
	cap = d->text ? diag_cap(d->len) : 0;
	if (need + 1 > cap) {
		text = realloc(d->text, diag_cap(need));
		if (!text)
			return -ENOMEM;
		d->text = text;
	}
	/* the list grows in powers of two, too */
	if (!(d->nentries & (d->nentries - 1))) {
		entries = realloc(d->entries, (d->nentries ? 2 * d->nentries : 1) * sizeof(*entries));
		if (!entries)
			return -ENOMEM;
		d->entries = entries;
	}
	e = &d->entries[d->nentries];
	e->file = strdup(file);
	e->message = strdup(msg);
	if (!e->file || !e->message) {
		free(e->file);
		free(e->message);
		return -ENOMEM;
	}
	e->line = line > 0 ? line : 0;
	e->severity = error ? FT_SEVERITY_ERROR : FT_SEVERITY_WARNING;
	e->offset = d->len;
	e->length = strlen(head) + strlen(msg);
	d->nentries++;
	d->len += (size_t)sprintf(d->text + d->len, "%s%s\n", head, msg);
	if (error)
		d->nerrors++;
	else
		d->nwarnings++;
	return 0;
}

int ft_diag_add(struct ft_diag *d, const char *file, int line, bool error, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ft_diag_vadd(d, file, line, error, fmt, ap);
	va_end(ap);
	return rc;
}

const char *ft_diag_line(const struct ft_diag *d, size_t i, char *buf, size_t len)
{
	const struct ft_diag_entry *e = &d->entries[i];

	snprintf(buf, len, "%.*s", (int)e->length, d->text + e->offset);
	return buf;
}

void ft_diag_free(struct ft_diag *d)
{
	size_t i;

	for (i = 0; i < d->nentries; i++) {
		free(d->entries[i].file);
		free(d->entries[i].message);
	}
	free(d->entries);
	free(d->text);
	memset(d, 0, sizeof(*d));
}
