/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Inside the policy text check (cfgtext.c), not for other modules: the
 * tokens, the stack of files being read, and the scanner cfgtext_scan.c
 * implements (libconfig 1.5's tokens and @include, see cfgtext.c); the
 * grammar in cfgtext.c drives it.
 */
#ifndef FLOWTAG_CFGTEXT_SCAN_H
#define FLOWTAG_CFGTEXT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cfgtext.h"
#include "diag.h"
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
	struct ft_file_log *log; /* every @include'd file read, NULL: not kept */
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


/* The name of file @file of the text, "?" for none. */
const char *lx_file_name(const struct lexer *lx, unsigned int file);

/* Whether the check stops: a fatal error, or out of memory. */
bool lx_stop(const struct lexer *lx);

/* Make *@p, of *@cap elements of @elem bytes, hold @need. Return: 0 or -ENOMEM. */
int lx_grow(void **p, size_t *cap, size_t need, size_t elem);

/*
 * Push @buf (owned by the caller or lx->bufs) as file @file, known as
 * @path on disk (NULL: not a file we know); an @include pushes one.
 */
void lx_push_src(struct lexer *lx, const char *buf, size_t len, unsigned int file,
		 const char *path);

/* Append @n bytes of @s to the rewritten text. */
void lx_out_bytes(struct lexer *lx, const char *s, size_t n);

/* Scan the next token into lx->cur. */
void lx_scan(struct lexer *lx);

/* Emit the current token and scan the next. */
void lx_advance(struct lexer *lx);

/* Record file @name (@n bytes) of the text; its index in *@idx. Return: 0 or -errno. */
int lx_add_file(struct lexer *lx, const char *name, size_t n, unsigned int *idx);

/* An error after which the check goes on (a bad literal, a duplicate). */
void lx_error(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* An error that stops the check (syntax, files). */
void lx_fatal(struct lexer *lx, unsigned int file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* FLOWTAG_CFGTEXT_SCAN_H */
