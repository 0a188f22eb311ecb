// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Prefix-set file contents -> prefixes: see setfile.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setfile.h"
#include "strparse.h"
#include "textfile.h"

/* longer than any prefix ("ffff:...:ffff/128" is 43 characters) */
#define TOKEN_MAX 128

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int push_prefix(struct ft_prefix **a, size_t *n, size_t *cap, const struct ft_prefix *p)
{
	struct ft_prefix *na;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;

		na = realloc(*a, ncap * sizeof(*na));
		if (!na)
			return -ENOMEM;
		*a = na;
		*cap = ncap;
	}
	(*a)[(*n)++] = *p;
	return 0;
}

/*
 * One line, [s, e) without its newline: 0 with @p filled, 1 for nothing on
 * it, -EINVAL with @err filled.
 */
static int parse_line(const char *s, const char *e, struct ft_prefix *p, char *err, size_t errlen)
{
	char tok[TOKEN_MAX];
	const char *t, *te, *hash;
	size_t n;

	if (memchr(s, '\0', (size_t)(e - s))) {
		snprintf(err, errlen, "NUL byte on the line (a prefix-set file is text)");
		return -EINVAL;
	}
	hash = memchr(s, '#', (size_t)(e - s));
	if (hash)
		e = hash;
	for (t = s; t < e && is_blank(*t); t++)
		;
	while (e > t && is_blank(e[-1]))
		e--;
	if (t == e)
		return 1;
	for (te = t; te < e && !is_blank(*te); te++)
		;
	if (te < e) {
		const char *rest = te;

		while (is_blank(*rest))
			rest++;
		snprintf(err, errlen, "unexpected '%.*s' after the prefix (one per line)",
			 (int)(e - rest > 64 ? 64 : e - rest), rest);
		return -EINVAL;
	}
	n = (size_t)(te - t);
	if (n >= sizeof(tok)) {
		snprintf(err, errlen, "'%.40s...' is not an IPv4 or IPv6 prefix", t);
		return -EINVAL;
	}
	memcpy(tok, t, n);
	tok[n] = '\0';
	return ft_parse_prefix(tok, p, err, errlen) ? -EINVAL : 0;
}

int ft_set_file_parse(const char *buf, size_t len, const char *name, struct ft_prefix **pfx,
		      size_t *npfx, struct ft_diag *diag)
{
	const char *s = buf, *end = buf + len, *nl;
	struct ft_prefix *a = NULL, p;
	size_t n = 0, cap = 0;
	int nerr = 0, line = 0, rc = 0;
	char err[256];

	*pfx = NULL;
	*npfx = 0;
	s += ft_text_bom_len(buf, len);
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		rc = parse_line(s, nl, &p, err, sizeof(err));
		s = nl + 1;
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (!rc) {
			rc = push_prefix(&a, &n, &cap, &p);
			if (rc)
				goto out;
			continue;
		}
		if (++nerr > FT_SET_FILE_MAX_ERRORS) {
			if (ft_diag_add(diag, name, line, true,
					"too many errors, giving up on this file"))
				rc = -ENOMEM;
			break;
		}
		if (ft_diag_add(diag, name, line, true, "%s", err)) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (!rc && nerr)
		rc = -EINVAL;
out:
	if (rc) {
		free(a);
		return rc;
	}
	*pfx = a;
	*npfx = n;
	return 0;
}
