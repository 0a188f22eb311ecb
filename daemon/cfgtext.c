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

#include "cfgtext.h"
#include "textfile.h"

enum tok_type {
	T_EOF,
	T_NAME,
	T_EQUALS, /* '=' or ':' */
	T_COMMA,
	T_SEMI,
	T_GROUP_START,
	T_GROUP_END,
	T_ARRAY_START,
	T_ARRAY_END,
	T_LIST_START,
	T_LIST_END,
	T_BOOL,
	T_INT,
	T_INT64,
	T_HEX,
	T_HEX64,
	T_FLOAT,
	T_STRING,
};

struct tok {
	enum tok_type type;
	const char *text; /* in the source buffer; for T_STRING the quoted source */
	size_t len;
	unsigned int file;
	int line;
};

/* One file being scanned; an @include pushes one. */
struct src {
	const char *buf;
	size_t len;
	size_t pos;
	unsigned int file;
	int line;
	bool bol; /* at the start of a line: an @include may begin here */
	dev_t dev; /* the file's identity, to catch include cycles; 0, 0: unknown */
	ino_t ino;
};

struct lexer {
	const char *dir;
	unsigned int flags;
	struct ft_diag *diag;
	struct ft_cfgtext *out;
	size_t text_cap, lines_cap, files_cap;
	struct src stack[FT_CFG_MAX_INCLUDE + 1];
	int depth; /* index of the top of stack */
	char **bufs; /* every file read, alive until the end: tokens point here */
	size_t nbufs, bufs_cap;
	size_t total; /* bytes read, @includes included */
	struct tok cur; /* the lookahead token */
	char *str; /* cur's decoded string (T_STRING) */
	size_t str_len, str_cap;
	int nerrors;
	bool fatal; /* stop: a syntax or file error */
	int rc; /* -ENOMEM once memory ran out */
	bool emitted; /* the output has a line */
};

/* ---- small helpers -------------------------------------------------- */

static const char *file_name(const struct lexer *lx, unsigned int file)
{
	return file < lx->out->nfiles ? lx->out->files[file] : "?";
}

static void lx_verr(struct lexer *lx, unsigned int file, int line, bool fatal, const char *fmt,
		    va_list ap)
{
	if (ft_diag_vadd(lx->diag, file_name(lx, file), line, true, fmt, ap))
		lx->rc = -ENOMEM;
	lx->nerrors++;
	if (fatal)
		lx->fatal = true;
}

/* An error that stops the check (syntax, files). */
static void lx_fatal(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void lx_fatal(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
{
	va_list ap;

	if (lx->fatal)
		return; /* one is enough: what follows would be noise */
	va_start(ap, fmt);
	lx_verr(lx, file, line, true, fmt, ap);
	va_end(ap);
}

/* An error after which the check goes on (a bad literal, a duplicate). */
static void lx_error(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void lx_error(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lx_verr(lx, file, line, false, fmt, ap);
	va_end(ap);
}

static bool stop(const struct lexer *lx)
{
	return lx->fatal || lx->rc;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
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

/* ---- output --------------------------------------------------------- */

static void out_bytes(struct lexer *lx, const char *s, size_t n)
{
	struct ft_cfgtext *o = lx->out;

	if (lx->rc)
		return;
	if (grow((void **)&o->text, &lx->text_cap, o->len + n + 1, 1)) {
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
		out_bytes(lx, " ", 1);
		return;
	}
	if (grow((void **)&o->lines, &lx->lines_cap, o->nlines + 1, sizeof(*o->lines))) {
		lx->rc = -ENOMEM;
		return;
	}
	o->lines[o->nlines].file = file;
	o->lines[o->nlines].line = line;
	o->nlines++;
	if (lx->emitted)
		out_bytes(lx, "\n", 1);
	lx->emitted = true;
}

/* A decoded string, quoted so that libconfig decodes it to the same bytes. */
static void out_string(struct lexer *lx, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	out_bytes(lx, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out_bytes(lx, esc, 2);
		} else if (c < ' ' || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			out_bytes(lx, esc, 4);
		} else {
			out_bytes(lx, (const char *)&s[i], 1);
		}
	}
	out_bytes(lx, "\"", 1);
}

static void emit(struct lexer *lx, const struct tok *t)
{
	out_line(lx, t->file, t->line);
	if (t->type == T_STRING)
		out_string(lx, lx->str, lx->str_len);
	else if (t->type == T_EQUALS)
		out_bytes(lx, "=", 1);
	else
		out_bytes(lx, t->text, t->len);
}

/* ---- files ---------------------------------------------------------- */

static int add_file(struct lexer *lx, const char *name, size_t n, unsigned int *idx)
{
	struct ft_cfgtext *o = lx->out;
	char *copy;

	if (grow((void **)&o->files, &lx->files_cap, o->nfiles + 1, sizeof(*o->files)))
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
static void push_src(struct lexer *lx, const char *buf, size_t len, unsigned int file,
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
	if (grow((void **)&lx->bufs, &lx->bufs_cap, lx->nbufs + 1, sizeof(*lx->bufs))) {
		lx->rc = -ENOMEM;
		return;
	}
	rc = ft_file_read(path, lx->flags, &buf, &len, why, sizeof(why));
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
	if (add_file(lx, path, strlen(path), &idx)) {
		lx->rc = -ENOMEM;
		return;
	}
	push_src(lx, buf, len, idx, path);
	if (!stop(lx) && cycle(lx))
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
	if (grow((void **)&lx->str, &lx->str_cap, lx->str_len + 1, 1)) {
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
static void lex(struct lexer *lx)
{
	struct tok *t = &lx->cur;

	for (;;) {
		struct src *s = &lx->stack[lx->depth];
		const char *b = s->buf;
		size_t n, p;
		char c;

		t->type = T_EOF;
		if (stop(lx))
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
			if (stop(lx))
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
static void advance(struct lexer *lx)
{
	emit(lx, &lx->cur);
	lex(lx);
}

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

	advance(lx);
	/* "a" "b" is one string, "ab" */
	while (str && lx->cur.type == T_STRING && !stop(lx))
		advance(lx);
}

static void value(struct lexer *lx, int nesting);

static void array(struct lexer *lx)
{
	int kind = -1;

	advance(lx); /* [ */
	if (lx->cur.type == T_ARRAY_END) {
		advance(lx);
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
		if (stop(lx))
			return;
		if (lx->cur.type == T_ARRAY_END) {
			advance(lx);
			return;
		}
		if (lx->cur.type != T_COMMA) {
			syntax_error(lx, "',' or ']'");
			return;
		}
		advance(lx);
	}
}

static void list(struct lexer *lx, int nesting)
{
	advance(lx); /* ( */
	if (lx->cur.type == T_LIST_END) {
		advance(lx);
		return;
	}
	for (;;) {
		value(lx, nesting);
		if (stop(lx))
			return;
		if (lx->cur.type == T_LIST_END) {
			advance(lx);
			return;
		}
		if (lx->cur.type != T_COMMA) {
			syntax_error(lx, "',' or ')'");
			return;
		}
		advance(lx);
	}
}

static void settings(struct lexer *lx, int nesting, enum tok_type end);

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
	case T_GROUP_START:
		advance(lx);
		settings(lx, nesting + 1, T_GROUP_END);
		if (stop(lx))
			return;
		if (lx->cur.type != T_GROUP_END) {
			syntax_error(lx, "a setting name or '}'");
			return;
		}
		advance(lx);
		return;
	default:
		if (is_scalar(lx->cur.type)) {
			scalar(lx);
			return;
		}
		syntax_error(lx, "a value");
	}
}

/* Settings up to @end (T_EOF at the top, T_GROUP_END in a group). */
static void settings(struct lexer *lx, int nesting, enum tok_type end)
{
	struct tok *seen = NULL; /* the settings of this group so far */
	size_t nseen = 0, cap = 0, i;

	while (!stop(lx) && lx->cur.type != end) {
		if (lx->cur.type != T_NAME) {
			syntax_error(lx, end == T_EOF ? "a setting name" : "a setting name or '}'");
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
					 file_name(lx, seen[i].file), seen[i].line);
		} else {
			if (grow((void **)&seen, &cap, nseen + 1, sizeof(*seen))) {
				lx->rc = -ENOMEM;
				break;
			}
			seen[nseen++] = lx->cur;
		}
		advance(lx);
		if (stop(lx))
			break;
		if (lx->cur.type != T_EQUALS) {
			syntax_error(lx, "'=' after the setting name");
			break;
		}
		advance(lx);
		value(lx, nesting);
		if (stop(lx))
			break;
		if (lx->cur.type == T_SEMI || lx->cur.type == T_COMMA)
			advance(lx);
	}
	free(seen);
}

/* ---- the whole text ------------------------------------------------- */

int ft_cfgtext_build(const char *buf, size_t len, const char *name, const char *dir,
		     unsigned int flags, struct ft_cfgtext *out, struct ft_diag *diag)
{
	struct ft_cfgtext t = { 0 };
	struct lexer lx = { .dir = dir, .flags = flags, .diag = diag, .out = &t, .depth = -1 };
	unsigned int idx;
	size_t i;
	int rc;

	if (add_file(&lx, name, strlen(name), &idx)) {
		rc = -ENOMEM;
		goto out;
	}
	lx.total = len;
	/* @name may be a file: then a policy that includes itself is caught at once */
	push_src(&lx, buf, len, idx, name);
	if (!stop(&lx)) {
		lex(&lx);
		settings(&lx, 0, T_EOF);
	}
	if (lx.rc)
		rc = lx.rc;
	else if (lx.nerrors)
		rc = -EINVAL;
	else
		rc = 0;
	if (!rc && !t.text) {
		/* an empty policy: still a text libconfig can read */
		out_bytes(&lx, "", 0);
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
