// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy text check and rewrite for libconfig: see cfgtext.h.
 *
 * The tokens are libconfig 1.5's (lib/scanner.l), longest match first, ties
 * to the earlier rule:
 *   name      [A-Za-z*][-A-Za-z0-9_*]*    (exactly true/false, any case: a boolean)
 *   float     [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)? | [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+
 *   integer   [-+]?[0-9]+       integer64 the same + L or LL
 *   hex       0[Xx][0-9A-Fa-f]+ hex64     the same + L or LL
 *   string    "..." with \n \r \t \f \\ \" \xHH; any other backslash is itself
 *   comments  # and // to the end of the line, slash-star ... star-slash
 *   include   ^[ \t]*@include[ \t]+"FILE"  (at the start of a line only)
 * and the grammar is lib/grammar.y's:
 *   config  := setting*
 *   setting := NAME ('=' | ':') value [';' | ',']
 *   value   := scalar | '[' [scalar {',' scalar}] ']' | '(' [value {',' value}] ')'
 *            | '{' setting* '}'
 *   scalar  := BOOL | INT | INT64 | HEX | HEX64 | FLOAT | STRING {STRING}
 * What libconfig would refuse we refuse too, with our own FILE:LINE message;
 * what it would get wrong (wrapped integers, NULs, include paths) we refuse
 * or do right. Differences on purpose: a '#' comment may end the file
 * without a newline; an @include name may not span lines or hold other
 * escapes than \\ and \"; a string may not hold \x00; a file may not end
 * inside a string or a comment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cfgtext_scan.h"
#include "textfile.h"

/* ---- grammar -------------------------------------------------------- */

static const char *describe(const struct tok *t, char *buf, size_t len)
{
	int n = t->len > 40 ? 40 : (int)t->len;

	switch (t->type) {
	case T_EOF:
		return "the end of the file";
	case T_NAME:
		snprintf(buf, len, "name '%.*s'", n, t->text);
		return buf;
	case T_STRING:
		snprintf(buf, len, "string %.*s%s", n, t->text, (int)t->len > n ? "...\"" : "");
		return buf;
	case T_BOOL:
	case T_INT:
	case T_INT64:
	case T_HEX:
	case T_HEX64:
	case T_FLOAT:
		snprintf(buf, len, "value %.*s", n, t->text);
		return buf;
	default:
		snprintf(buf, len, "'%c'", t->text[0]);
		return buf;
	}
}

static void syntax_error(struct lexer *lx, const char *expected)
{
	char buf[96];

	lx_fatal(lx, lx->cur.file, lx->cur.line, "syntax error: expected %s, found %s", expected,
		 describe(&lx->cur, buf, sizeof(buf)));
}

/* libconfig's setting types, for array elements */
static int scalar_kind(enum tok_type t)
{
	switch (t) {
	case T_HEX:
		return T_INT;
	case T_HEX64:
		return T_INT64;
	default:
		return t;
	}
}

static const char *kind_name(int k)
{
	switch (k) {
	case T_BOOL:
		return "a boolean";
	case T_INT:
		return "an integer";
	case T_INT64:
		return "a 64-bit integer";
	case T_FLOAT:
		return "a float";
	default:
		return "a string";
	}
}

static bool is_scalar(enum tok_type t)
{
	return t >= T_BOOL && t <= T_STRING;
}

static void scalar(struct lexer *lx)
{
	bool str = lx->cur.type == T_STRING;

	lx_advance(lx);
	/* "a" "b" is one string, "ab" */
	while (str && lx->cur.type == T_STRING && !lx_stop(lx))
		lx_advance(lx);
}

static void value(struct lexer *lx, int nesting);

static void array(struct lexer *lx)
{
	int kind = -1;

	lx_advance(lx); /* [ */
	if (lx->cur.type == T_ARRAY_END) {
		lx_advance(lx);
		return;
	}
	for (;;) {
		if (!is_scalar(lx->cur.type)) {
			syntax_error(lx,
				     "a scalar value in an array (arrays hold no lists or groups)");
			return;
		}
		if (kind < 0)
			kind = scalar_kind(lx->cur.type);
		else if (scalar_kind(lx->cur.type) != kind)
			lx_error(
				lx, lx->cur.file, lx->cur.line,
				"mismatched element type in array: %s after %s (a list ( ) may mix types)",
				kind_name(scalar_kind(lx->cur.type)), kind_name(kind));
		scalar(lx);
		if (lx_stop(lx))
			return;
		if (lx->cur.type == T_ARRAY_END) {
			lx_advance(lx);
			return;
		}
		if (lx->cur.type != T_COMMA) {
			syntax_error(lx, "',' or ']'");
			return;
		}
		lx_advance(lx);
	}
}

static void list(struct lexer *lx, int nesting)
{
	lx_advance(lx); /* ( */
	if (lx->cur.type == T_LIST_END) {
		lx_advance(lx);
		return;
	}
	for (;;) {
		value(lx, nesting);
		if (lx_stop(lx))
			return;
		if (lx->cur.type == T_LIST_END) {
			lx_advance(lx);
			return;
		}
		if (lx->cur.type != T_COMMA) {
			syntax_error(lx, "',' or ')'");
			return;
		}
		lx_advance(lx);
	}
}

static void settings(struct lexer *lx, int nesting, const struct tok *open);

static void value(struct lexer *lx, int nesting)
{
	if (nesting >= FT_CFG_MAX_NESTING &&
	    (lx->cur.type == T_ARRAY_START || lx->cur.type == T_LIST_START ||
	     lx->cur.type == T_GROUP_START)) {
		lx_fatal(lx, lx->cur.file, lx->cur.line,
			 "groups, lists and arrays nested more than %d deep", FT_CFG_MAX_NESTING);
		return;
	}
	switch (lx->cur.type) {
	case T_ARRAY_START:
		array(lx);
		return;
	case T_LIST_START:
		list(lx, nesting + 1);
		return;
	case T_GROUP_START: {
		struct tok open = lx->cur;

		lx_advance(lx);
		settings(lx, nesting + 1, &open);
		if (lx_stop(lx))
			return;
		if (lx->cur.type != T_GROUP_END) {
			syntax_error(lx, "a setting name or '}'");
			return;
		}
		lx_advance(lx);
		return;
	}
	default:
		if (is_scalar(lx->cur.type)) {
			scalar(lx);
			return;
		}
		syntax_error(lx, "a value");
	}
}

/* The settings of a group up to its '}' (@open: its '{'; NULL: the top level, up to T_EOF). */
static void settings(struct lexer *lx, int nesting, const struct tok *open)
{
	enum tok_type end = open ? T_GROUP_END : T_EOF;
	struct tok *seen = NULL; /* the settings of this group so far */
	size_t nseen = 0, cap = 0, count = 0, i;

	while (!lx_stop(lx) && lx->cur.type != end) {
		if (lx->cur.type != T_NAME) {
			syntax_error(lx, end == T_EOF ? "a setting name" : "a setting name or '}'");
			break;
		}
		/* before libconfig (and the duplicate check below) spend n^2 on them */
		if (++count > FT_CFG_MAX_SETTINGS) {
			if (open)
				lx_fatal(lx, lx->cur.file, lx->cur.line,
					 "more than %d settings in the group opened at %s:%d",
					 FT_CFG_MAX_SETTINGS, lx_file_name(lx, open->file),
					 open->line);
			else
				lx_fatal(lx, lx->cur.file, lx->cur.line,
					 "more than %d settings at the top level of the policy",
					 FT_CFG_MAX_SETTINGS);
			break;
		}
		for (i = 0; i < nseen; i++)
			if (seen[i].len == lx->cur.len &&
			    !memcmp(seen[i].text, lx->cur.text, lx->cur.len))
				break;
		if (i < nseen) {
			if (seen[i].file == lx->cur.file)
				lx_error(lx, lx->cur.file, lx->cur.line,
					 "duplicate setting '%.*s' (first set at line %d)",
					 (int)lx->cur.len, lx->cur.text, seen[i].line);
			else
				lx_error(lx, lx->cur.file, lx->cur.line,
					 "duplicate setting '%.*s' (first set at %s:%d)",
					 (int)lx->cur.len, lx->cur.text,
					 lx_file_name(lx, seen[i].file), seen[i].line);
		} else {
			if (lx_grow((void **)&seen, &cap, nseen + 1, sizeof(*seen))) {
				lx->rc = -ENOMEM;
				break;
			}
			seen[nseen++] = lx->cur;
		}
		lx_advance(lx);
		if (lx_stop(lx))
			break;
		if (lx->cur.type != T_EQUALS) {
			syntax_error(lx, "'=' after the setting name");
			break;
		}
		lx_advance(lx);
		value(lx, nesting);
		if (lx_stop(lx))
			break;
		if (lx->cur.type == T_SEMI || lx->cur.type == T_COMMA)
			lx_advance(lx);
	}
	free(seen);
}

/* ---- the whole text ------------------------------------------------- */

int ft_cfgtext_build(const char *buf, size_t len, const char *name, const char *dir,
		     unsigned int flags, struct ft_file_log *log, struct ft_cfgtext *out,
		     struct ft_diag *diag)
{
	struct ft_cfgtext t = { 0 };
	struct lexer lx = {
		.dir = dir, .flags = flags, .log = log, .diag = diag, .out = &t, .depth = -1
	};
	unsigned int idx;
	size_t i;
	int rc;

	if (lx_add_file(&lx, name, strlen(name), &idx)) {
		rc = -ENOMEM;
		goto out;
	}
	lx.total = len;
	/* @name may be a file: then a policy that includes itself is caught at once */
	lx_push_src(&lx, buf, len, idx, name);
	if (!lx_stop(&lx)) {
		lx_scan(&lx);
		settings(&lx, 0, NULL);
	}
	if (lx.rc)
		rc = lx.rc;
	else if (lx.nerrors)
		rc = -EINVAL;
	else
		rc = 0;
	if (!rc && !t.text) {
		/* an empty policy: still a text libconfig can read */
		lx_out_bytes(&lx, "", 0);
		rc = lx.rc;
	}
	if (!rc) {
		*out = t;
		memset(&t, 0, sizeof(t));
	}
out:
	for (i = 0; i < lx.nbufs; i++)
		free(lx.bufs[i]);
	free(lx.bufs);
	free(lx.str);
	ft_cfgtext_free(&t);
	return rc;
}

void ft_cfgtext_free(struct ft_cfgtext *t)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->text);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

const struct ft_src_pos *ft_cfgtext_pos(const struct ft_cfgtext *t, int line)
{
	if (line < 1 || (size_t)line > t->nlines)
		return NULL;
	return &t->lines[line - 1];
}

