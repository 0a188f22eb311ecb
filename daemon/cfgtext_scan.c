// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The scanner of the policy text check (see cfgtext.c for the tokens and
 * the grammar it serves): files and @include, tokens, number and string
 * literals, and the rewritten text with its line map.
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
#include "strparse.h"
#include "textfile.h"

/* ---- small helpers -------------------------------------------------- */

const char *lx_file_name(const struct lexer *lx, unsigned int file)
{
	return file < lx->out->nfiles ? lx->out->files[file] : "?";
}

static void lx_verr(struct lexer *lx, unsigned int file, int line, bool fatal, const char *fmt,
		    va_list ap)
{
	if (ft_diag_vadd(lx->diag, lx_file_name(lx, file), line, true, fmt, ap))
		lx->rc = -ENOMEM;
	lx->nerrors++;
	if (fatal)
		lx->fatal = true;
}

void lx_fatal(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
{
	va_list ap;

	if (lx->fatal)
		return; /* one is enough: what follows would be noise */
	va_start(ap, fmt);
	lx_verr(lx, file, line, true, fmt, ap);
	va_end(ap);
}

void lx_error(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lx_verr(lx, file, line, false, fmt, ap);
	va_end(ap);
}

bool lx_stop(const struct lexer *lx)
{
	return lx->fatal || lx->rc;
}

int lx_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool name_start(char c)
{
	return is_alpha(c) || c == '*';
}

static bool name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '*';
}

/*
 * Names and the other strings of a policy end up in JSON (flowtagctl -j,
 * the diagnostics of check -j) and in the metrics file, which are UTF-8:
 * refuse a string (@what, @n bytes at @s, decoded) that is not. The message
 * shows what comes before the bad byte, itself valid UTF-8.
 */
static bool utf8_ok(struct lexer *lx, unsigned int file, int line, const char *what,
		    const char *s, size_t n, bool fatal)
{
	size_t bad = ft_utf8_check(s, n), from = bad > 40 ? bad - 40 : 0;
	char where[64];

	if (bad == n)
		return true;
	while (from < bad && (s[from] & 0xc0) == 0x80)
		from++; /* not in the middle of a character */
	if (bad)
		snprintf(where, sizeof(where), "after \"%s%.*s\"", from ? "..." : "",
			 (int)(bad - from), s + from);
	else
		snprintf(where, sizeof(where), "at its start");
	(fatal ? lx_fatal : lx_error)(
		lx, file, line,
		"%s is not valid UTF-8: byte 0x%02x %s (names and other strings must be UTF-8 "
		"text)",
		what, (unsigned char)s[bad], where);
	return false;
}

/* ---- output --------------------------------------------------------- */

void lx_out_bytes(struct lexer *lx, const char *s, size_t n)
{
	struct ft_cfgtext *o = lx->out;

	if (lx->rc)
		return;
	if (lx_grow((void **)&o->text, &lx->text_cap, o->len + n + 1, 1)) {
		lx->rc = -ENOMEM;
		return;
	}
	memcpy(o->text + o->len, s, n);
	o->len += n;
	o->text[o->len] = '\0';
}

/*
 * Start the output line for a token of @file:@line: tokens of one source
 * line share one output line, so libconfig's idea of "the line of a
 * setting" (which may be that of the token after it) maps back exactly.
 */
static void out_line(struct lexer *lx, unsigned int file, int line)
{
	struct ft_cfgtext *o = lx->out;
	struct ft_src_pos *last = o->nlines ? &o->lines[o->nlines - 1] : NULL;

	if (lx->rc)
		return;
	if (last && last->file == file && last->line == line) {
		lx_out_bytes(lx, " ", 1);
		return;
	}
	if (lx_grow((void **)&o->lines, &lx->lines_cap, o->nlines + 1, sizeof(*o->lines))) {
		lx->rc = -ENOMEM;
		return;
	}
	o->lines[o->nlines].file = file;
	o->lines[o->nlines].line = line;
	o->nlines++;
	if (lx->emitted)
		lx_out_bytes(lx, "\n", 1);
	lx->emitted = true;
}

/* A decoded string, quoted so that libconfig decodes it to the same bytes. */
static void out_string(struct lexer *lx, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	lx_out_bytes(lx, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			lx_out_bytes(lx, esc, 2);
		} else if (c < ' ' || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			lx_out_bytes(lx, esc, 4);
		} else {
			lx_out_bytes(lx, (const char *)&s[i], 1);
		}
	}
	lx_out_bytes(lx, "\"", 1);
}

static void emit(struct lexer *lx, const struct tok *t)
{
	out_line(lx, t->file, t->line);
	if (t->type == T_STRING)
		out_string(lx, lx->str, lx->str_len);
	else if (t->type == T_EQUALS)
		lx_out_bytes(lx, "=", 1);
	else
		lx_out_bytes(lx, t->text, t->len);
}

/* ---- files ---------------------------------------------------------- */

int lx_add_file(struct lexer *lx, const char *name, size_t n, unsigned int *idx)
{
	struct ft_cfgtext *o = lx->out;
	char *copy;

	if (lx_grow((void **)&o->files, &lx->files_cap, o->nfiles + 1, sizeof(*o->files)))
		return -ENOMEM;
	copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, n);
	copy[n] = '\0';
	o->files[o->nfiles] = copy;
	*idx = (unsigned int)o->nfiles++;
	return 0;
}

/*
 * Push @buf (owned by the caller or lx->bufs) as file @file, known as
 * @path on disk (NULL: not a file we know).
 */
void lx_push_src(struct lexer *lx, const char *buf, size_t len, unsigned int file,
		 const char *path)
{
	struct stat st = { 0 };
	struct src *s;
	size_t bom = ft_text_bom_len(buf, len);
	int nul = ft_text_nul_line(buf, len);

	if (nul) {
		lx_fatal(lx, file, nul,
			 "NUL byte in the file (a policy is text; nothing after it would be read)");
		return;
	}
	if (path && stat(path, &st))
		memset(&st, 0, sizeof(st));
	s = &lx->stack[++lx->depth];
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->buf = buf + bom;
	s->len = len - bom;
	s->pos = 0;
	s->file = file;
	s->line = 1;
	s->bol = true;
}

/* Whether the file on top of the stack is also below it. */
static bool cycle(const struct lexer *lx)
{
	const struct src *top = &lx->stack[lx->depth];
	int i;

	if (!top->dev && !top->ino)
		return false;
	for (i = 0; i < lx->depth; i++)
		if (lx->stack[i].dev == top->dev && lx->stack[i].ino == top->ino)
			return true;
	return false;
}

/* Resolve, read and push the file named by an @include on @line of @s. */
static void do_include(struct lexer *lx, const struct src *s, int line, const char *name)
{
	char path[4096 + 256], why[4096 + 512];
	unsigned int idx;
	size_t len = 0;
	char *buf = NULL;
	int rc;

	if (!*name) {
		lx_fatal(lx, s->file, line, "@include \"\": empty file name");
		return;
	}
	if (name[0] == '/' || !lx->dir || !*lx->dir)
		rc = snprintf(path, sizeof(path), "%s", name);
	else
		rc = snprintf(path, sizeof(path), "%s/%s", lx->dir, name);
	if (rc < 0 || (size_t)rc >= sizeof(path)) {
		lx_fatal(lx, s->file, line, "@include \"%.64s...\": file name too long", name);
		return;
	}
	if (lx->depth >= FT_CFG_MAX_INCLUDE) {
		lx_fatal(lx, s->file, line,
			 "@include \"%s\": nested more than %d deep (does a file include itself?)",
			 name, FT_CFG_MAX_INCLUDE);
		return;
	}
	if (lx_grow((void **)&lx->bufs, &lx->bufs_cap, lx->nbufs + 1, sizeof(*lx->bufs))) {
		lx->rc = -ENOMEM;
		return;
	}
	rc = ft_file_read_logged(path, lx->flags, lx->log, &buf, &len, why, sizeof(why));
	if (rc == -ENOMEM) {
		lx->rc = rc;
		return;
	}
	if (rc) {
		lx_fatal(lx, s->file, line, "@include \"%s\": %s%s", name, why,
			 rc == -EPERM ? " (see 'File permissions' in flowtag.conf(5))" : "");
		return;
	}
	lx->bufs[lx->nbufs++] = buf;
	lx->total += len;
	if (lx->total > FT_FILE_MAX) {
		lx_fatal(lx, s->file, line,
			 "@include \"%s\": the policy with its includes is larger than %u MiB",
			 name, FT_FILE_MAX >> 20);
		return;
	}
	if (lx_add_file(lx, path, strlen(path), &idx)) {
		lx->rc = -ENOMEM;
		return;
	}
	lx_push_src(lx, buf, len, idx, path);
	if (!lx_stop(lx) && cycle(lx))
		lx_fatal(lx, s->file, line,
			 "@include \"%s\": the file includes itself, directly or through others",
			 name);
}

/*
 * At the start of a line: an @include directive? Consumes it and pushes the
 * file when there is one; returns whether there was.
 */
static bool try_include(struct lexer *lx, struct src *s)
{
	size_t p = s->pos, start;
	char name[4096];
	size_t n = 0;
	int line = s->line;

	while (p < s->len && (s->buf[p] == ' ' || s->buf[p] == '\t'))
		p++;
	if (s->len - p < 8 || memcmp(s->buf + p, "@include", 8))
		return false;
	p += 8;
	start = p;
	while (p < s->len && (s->buf[p] == ' ' || s->buf[p] == '\t'))
		p++;
	if (p == start || p >= s->len || s->buf[p] != '"')
		return false; /* not libconfig's include either: '@' is a syntax error */
	for (p++;; p++) {
		char c;

		if (p >= s->len || s->buf[p] == '\n') {
			lx_fatal(lx, s->file, line,
				 "@include: the file name has no closing '\"' on its line");
			return true;
		}
		c = s->buf[p];
		if (c == '"')
			break;
		if (c == '\\') {
			if (p + 1 < s->len && (s->buf[p + 1] == '\\' || s->buf[p + 1] == '"')) {
				c = s->buf[++p];
			} else {
				lx_fatal(
					lx, s->file, line,
					"@include: only \\\\ and \\\" may follow a backslash in a file name");
				return true;
			}
		}
		if (n + 1 >= sizeof(name)) {
			lx_fatal(lx, s->file, line, "@include: file name too long");
			return true;
		}
		name[n++] = c;
	}
	name[n] = '\0';
	s->pos = p + 1;
	s->bol = false;
	if (utf8_ok(lx, s->file, line, "@include file name", name, n, true))
		do_include(lx, s, line, name);
	return true;
}

/* ---- tokens --------------------------------------------------------- */

static size_t digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

static size_t xdigits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_xdigit(s[i]))
		i++;
	return i;
}

/* [eE][-+]?[0-9]+ at @s: its length, or 0 */
static size_t exponent(const char *s, size_t n)
{
	size_t i = 1, d;

	if (!n || (s[0] != 'e' && s[0] != 'E'))
		return 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	d = digits(s + i, n - i);
	return d ? i + d : 0;
}

static size_t float_len(const char *s, size_t n)
{
	size_t i = 0, a = 0, b = 0, d;

	if (n && (s[0] == '-' || s[0] == '+'))
		i = 1;
	/* [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)? */
	d = i + digits(s + i, n - i);
	if (d < n && s[d] == '.') {
		a = d + 1;
		a += digits(s + a, n - a);
		a += exponent(s + a, n - a);
	}
	/* [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+ */
	if (d > i) {
		size_t j = d, e;

		if (j < n && s[j] == '.') {
			j++;
			j += digits(s + j, n - j);
		}
		e = exponent(s + j, n - j);
		if (e)
			b = j + e;
	}
	return a > b ? a : b;
}

/* "L" or "LL" at @s */
static size_t long_suffix(const char *s, size_t n)
{
	if (!n || s[0] != 'L')
		return 0;
	return n > 1 && s[1] == 'L' ? 2 : 1;
}

/* The longest number token at @s, 0 when there is none. */
static size_t number(const char *s, size_t n, enum tok_type *type)
{
	size_t best = float_len(s, n), i = 0, d, l;

	*type = T_FLOAT;
	if (n && (s[0] == '-' || s[0] == '+'))
		i = 1;
	d = digits(s + i, n - i);
	if (d) {
		if (i + d > best) {
			best = i + d;
			*type = T_INT;
		}
		l = long_suffix(s + i + d, n - i - d);
		if (l && i + d + l > best) {
			best = i + d + l;
			*type = T_INT64;
		}
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		d = xdigits(s + 2, n - 2);
		if (d && 2 + d > best) {
			best = 2 + d;
			*type = T_HEX;
		}
		l = d ? long_suffix(s + 2 + d, n - 2 - d) : 0;
		if (l && 2 + d + l > best) {
			best = 2 + d + l;
			*type = T_HEX64;
		}
	}
	return best;
}

/*
 * Refuse integer literals that libconfig 1.5 would silently wrap: plain
 * decimals keep 32 signed bits (atoi), hex 32 bits (strtoul into an int),
 * L-suffixed ones 64 bits.
 */
static void check_int(struct lexer *lx, const struct tok *t)
{
	const char *s = t->text;
	size_t n = t->len, i = 0, nd;
	bool neg = false, fits;
	uint64_t v = 0;
	int shown = n > 40 ? 40 : (int)n;

	while (n && s[n - 1] == 'L')
		n--;
	if (t->type == T_HEX || t->type == T_HEX64) {
		for (i = 2; i < n && s[i] == '0'; i++)
			;
		nd = n - i;
		if (nd > (t->type == T_HEX ? 8u : 16u))
			lx_error(lx, t->file, t->line,
				 "hex integer %.*s%s does not fit in %d bits%s", shown, s,
				 (int)t->len > shown ? "..." : "", t->type == T_HEX ? 32 : 64,
				 t->type == T_HEX ? " (0xffffffff at most)" : "");
		return;
	}
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
	}
	fits = true;
	for (; i < n; i++) {
		if (v > (UINT64_MAX - 9) / 10) {
			fits = false;
			break;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (t->type == T_INT) {
		if (fits && (neg ? v <= 2147483648u : v <= 2147483647u))
			return;
		if (fits && !neg && v <= UINT32_MAX)
			lx_error(
				lx, t->file, t->line,
				"integer %.*s does not fit: decimal integers are 32-bit signed (-2147483648..2147483647); write it in hex (0x%" PRIx64
				")",
				shown, s, v);
		else
			lx_error(
				lx, t->file, t->line,
				"integer %.*s%s does not fit: decimal integers are 32-bit signed (-2147483648..2147483647)",
				shown, s, (int)t->len > shown ? "..." : "");
		return;
	}
	if (fits && (neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX))
		return;
	lx_error(lx, t->file, t->line, "integer %.*s%s does not fit in 64 bits", shown, s,
		 (int)t->len > shown ? "..." : "");
}

static void str_add(struct lexer *lx, char c)
{
	if (lx_grow((void **)&lx->str, &lx->str_cap, lx->str_len + 1, 1)) {
		lx->rc = -ENOMEM;
		return;
	}
	lx->str[lx->str_len++] = c;
}

static int hexval(char c)
{
	return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* A string from the opening quote at s->pos; decoded into lx->str. */
static void lex_string(struct lexer *lx, struct src *s, struct tok *t)
{
	size_t p = s->pos + 1;

	lx->str_len = 0;
	for (;;) {
		char c;

		if (p >= s->len) {
			lx_fatal(lx, s->file, t->line, "unterminated string");
			return;
		}
		c = s->buf[p];
		if (c == '"')
			break;
		if (c == '\n')
			s->line++;
		if (c == '\\' && p + 1 < s->len) {
			char e = s->buf[p + 1];

			if (e == 'n' || e == 'r' || e == 't' || e == 'f' || e == '\\' || e == '"') {
				str_add(lx, e == 'n' ? '\n' :
					    e == 'r' ? '\r' :
					    e == 't' ? '\t' :
					    e == 'f' ? '\f' :
						       e);
				p += 2;
				continue;
			}
			if ((e == 'x' || e == 'X') && p + 3 < s->len && is_xdigit(s->buf[p + 2]) &&
			    is_xdigit(s->buf[p + 3])) {
				c = (char)(hexval(s->buf[p + 2]) * 16 + hexval(s->buf[p + 3]));
				if (!c)
					lx_error(lx, s->file, s->line,
						 "\\x00 in a string: a string cannot hold a NUL");
				str_add(lx, c);
				p += 4;
				continue;
			}
			/* any other backslash stands for itself, as in libconfig */
		}
		str_add(lx, c);
		p++;
	}
	t->type = T_STRING;
	t->text = s->buf + s->pos;
	t->len = p + 1 - s->pos;
	s->pos = p + 1;
	utf8_ok(lx, s->file, t->line, "string", lx->str, lx->str_len, false);
}

static void garbage(struct lexer *lx, const struct src *s, char c)
{
	if (c == '@')
		lx_fatal(lx, s->file, s->line,
			 "syntax error: unexpected '@' (an @include \"FILE\" starts its own line)");
	else if ((unsigned char)c > ' ' && (unsigned char)c < 0x7f)
		lx_fatal(lx, s->file, s->line, "syntax error: unexpected character '%c'", c);
	else
		lx_fatal(lx, s->file, s->line, "syntax error: unexpected byte 0x%02x",
			 (unsigned char)c);
}

/* Scan the next token into lx->cur (T_EOF on a fatal error). */
void lx_scan(struct lexer *lx)
{
	struct tok *t = &lx->cur;

	for (;;) {
		struct src *s = &lx->stack[lx->depth];
		const char *b = s->buf;
		size_t n, p;
		char c;

		t->type = T_EOF;
		if (lx_stop(lx))
			return;
		if (s->bol && try_include(lx, s))
			continue;
		s->bol = false;
		if (s->pos >= s->len) {
			if (lx->depth == 0) {
				/* "the end of the file" is on its last line, not after it */
				t->file = s->file;
				t->line = s->line;
				if (s->line > 1 && s->len && s->buf[s->len - 1] == '\n')
					t->line--;
				return;
			}
			lx->depth--; /* back in the including file, after the directive */
			continue;
		}
		p = s->pos;
		c = b[p];
		t->file = s->file;
		t->line = s->line;
		t->text = b + p;
		if (c == '\n') {
			s->line++;
			s->bol = true;
			s->pos++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			s->pos++;
			continue;
		}
		if (c == '#' || (c == '/' && p + 1 < s->len && b[p + 1] == '/')) {
			while (s->pos < s->len && b[s->pos] != '\n')
				s->pos++;
			continue;
		}
		if (c == '/' && p + 1 < s->len && b[p + 1] == '*') {
			for (p += 2; p + 1 < s->len && !(b[p] == '*' && b[p + 1] == '/'); p++)
				if (b[p] == '\n')
					s->line++;
			if (p + 1 >= s->len) {
				lx_fatal(lx, s->file, t->line, "unterminated /* comment");
				return;
			}
			s->pos = p + 2;
			continue;
		}
		if (c == '"') {
			lex_string(lx, s, t);
			if (lx_stop(lx))
				t->type = T_EOF;
			return;
		}
		if (name_start(c)) {
			for (n = 1; p + n < s->len && name_char(b[p + n]); n++)
				;
			t->len = n;
			t->type = T_NAME;
			if ((n == 4 && !strncasecmp(b + p, "true", 4)) ||
			    (n == 5 && !strncasecmp(b + p, "false", 5)))
				t->type = T_BOOL;
			s->pos += n;
			return;
		}
		if (is_digit(c) || c == '-' || c == '+' || c == '.') {
			n = number(b + p, s->len - p, &t->type);
			if (n) {
				t->len = n;
				s->pos += n;
				if (t->type != T_FLOAT)
					check_int(lx, t);
				return;
			}
		}
		t->len = 1;
		s->pos++;
		switch (c) {
		case '=':
		case ':':
			t->type = T_EQUALS;
			return;
		case ',':
			t->type = T_COMMA;
			return;
		case ';':
			t->type = T_SEMI;
			return;
		case '{':
			t->type = T_GROUP_START;
			return;
		case '}':
			t->type = T_GROUP_END;
			return;
		case '[':
			t->type = T_ARRAY_START;
			return;
		case ']':
			t->type = T_ARRAY_END;
			return;
		case '(':
			t->type = T_LIST_START;
			return;
		case ')':
			t->type = T_LIST_END;
			return;
		}
		garbage(lx, s, c);
		t->type = T_EOF;
		return;
	}
}

/* Emit the current token and scan the next. */
void lx_advance(struct lexer *lx)
{
	emit(lx, &lx->cur);
	lx_scan(lx);
}

