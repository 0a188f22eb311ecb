// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * One printing path for text and JSON (see output.h).
 *
 * Text is buffered per block so columns can be aligned: a block is printed
 * when it ends, or when something that must come after it (a nested titled
 * block, a free text line) is printed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "output.h"
#include "strparse.h"

#define MAX_COLS	16
#define MAX_DEPTH	8
#define COL_GAP		2

/* A block of aligned text: rows of cells; fields are rows of (label, value). */
struct tblock {
	int indent;
	size_t ncols;
	bool head;			/* row 0 holds the column heads */
	char **cells;			/* nrows * ncols, NULL for an empty cell */
	size_t nrows, cap;
	size_t col;			/* next cell of the last row (tables) */
	bool num[MAX_COLS];		/* the column has a numeric cell */
	bool txt[MAX_COLS];		/* ... and a non-numeric one */
};

enum frame_kind { FR_FIELDS, FR_TABLE, FR_ROW };

struct frame {
	enum frame_kind kind;
	struct json_object *obj;	/* fields/row: object, table: array; the tree owns it */
	struct tblock *tb;		/* where text values of this frame go */
	bool owns_tb;
};

struct ft_out {
	FILE *f;
	bool json, pretty;
	int err;
	struct json_object *root;
	struct json_object *warnings;	/* the "warnings" array, added at the end */
	struct frame fr[MAX_DEPTH];
	int depth;			/* fr[depth] is the innermost frame */
	int overflow;			/* begins beyond MAX_DEPTH, matched by ends */
	struct tblock roottb;
	bool printed;			/* text is out: a titled block starts with a blank line */
	bool sep;			/* a titled block ended: blank line before what follows */
	char **deferred;		/* text warnings raised inside a table, shown after it */
	size_t ndeferred;
	char *error;			/* "error", added at the end (JSON) */
	int exit_code;			/* "exit_code", added at the end when has_exit */
	bool has_exit;
};

/* JSON documents printed by this process (ft_out_json_printed()) */
static unsigned int json_documents;

static void tb_free_cells(struct tblock *tb)
{
	size_t i;

	for (i = 0; i < tb->nrows * tb->ncols; i++)
		free(tb->cells[i]);
	free(tb->cells);
	tb->cells = NULL;
	tb->nrows = tb->cap = tb->col = 0;
}

static struct tblock *tb_new(struct ft_out *o, int indent, size_t ncols)
{
	struct tblock *tb = calloc(1, sizeof(*tb));

	if (!tb) {
		o->err = -ENOMEM;
		return NULL;
	}
	tb->indent = indent;
	tb->ncols = ncols;
	return tb;
}

/* Append an empty row; false when out of memory. */
static bool tb_add_row(struct ft_out *o, struct tblock *tb)
{
	if (tb->nrows == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 16;
		char **cells = realloc(tb->cells, cap * tb->ncols * sizeof(*cells));

		if (!cells) {
			o->err = -ENOMEM;
			return false;
		}
		tb->cells = cells;
		tb->cap = cap;
	}
	memset(&tb->cells[tb->nrows * tb->ncols], 0, tb->ncols * sizeof(*tb->cells));
	tb->nrows++;
	tb->col = 0;
	return true;
}

static void tb_set(struct ft_out *o, struct tblock *tb, size_t col, const char *text, bool numeric)
{
	char **cell;

	if (!tb->nrows || col >= tb->ncols)
		return;
	cell = &tb->cells[(tb->nrows - 1) * tb->ncols + col];
	free(*cell);
	*cell = strdup(text ? text : "-");
	if (!*cell) {
		o->err = -ENOMEM;
		return;
	}
	/* "-" (nothing to show) fits either alignment */
	if (!(tb->head && tb->nrows == 1) && strcmp(*cell, "-")) {
		if (numeric)
			tb->num[col] = true;
		else
			tb->txt[col] = true;
	}
}

static void put_spaces(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static void blank_line_if_due(struct ft_out *o)
{
	if (o->sep) {
		fputc('\n', o->f);
		o->sep = false;
	}
}

static bool in_table(const struct ft_out *o)
{
	int i;

	for (i = 1; i <= o->depth; i++)
		if (o->fr[i].kind != FR_FIELDS)
			return true;
	return false;
}

/* Print the warnings held back while a block was being filled. */
static void print_deferred(struct ft_out *o, int indent)
{
	size_t i;

	if (!o->ndeferred)
		return;
	blank_line_if_due(o);
	for (i = 0; i < o->ndeferred; i++) {
		put_spaces(o->f, indent);
		fprintf(o->f, "warning: %s\n", o->deferred[i]);
		free(o->deferred[i]);
	}
	free(o->deferred);
	o->deferred = NULL;
	o->ndeferred = 0;
	o->printed = true;
}

/* Print and empty @tb. */
static void tb_flush(struct ft_out *o, struct tblock *tb)
{
	size_t width[MAX_COLS] = { 0 };
	size_t r, c;

	if (!tb || !tb->nrows)
		return;
	for (r = 0; r < tb->nrows; r++)
		for (c = 0; c < tb->ncols; c++) {
			const char *s = tb->cells[r * tb->ncols + c];
			size_t len = s ? strlen(s) : 0;

			if (len > width[c])
				width[c] = len;
		}
	blank_line_if_due(o);
	for (r = 0; r < tb->nrows; r++) {
		size_t pending = tb->indent;	/* spaces owed before the next non-empty text */

		for (c = 0; c < tb->ncols; c++) {
			const char *s = tb->cells[r * tb->ncols + c];
			size_t len = s ? strlen(s) : 0;
			bool right = tb->num[c] && !tb->txt[c];

			if (right)
				pending += width[c] - len;
			if (len) {
				put_spaces(o->f, pending);
				fputs(s, o->f);
				pending = 0;
			}
			if (!right)
				pending += width[c] - len;
			pending += COL_GAP;
		}
		fputc('\n', o->f);
	}
	if (tb->head && tb->nrows == 1) {
		put_spaces(o->f, tb->indent);
		fputs("(none)\n", o->f);
	}
	o->printed = true;
	tb_free_cells(tb);
	memset(tb->num, 0, sizeof(tb->num));
	memset(tb->txt, 0, sizeof(tb->txt));
	if (!in_table(o))
		print_deferred(o, tb->indent);
}

static struct frame *top(struct ft_out *o)
{
	return &o->fr[o->depth];
}

struct ft_out *ft_out_new(FILE *f, bool json, bool pretty)
{
	struct ft_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->f = f;
	o->json = json;
	o->pretty = pretty;
	o->roottb.ncols = 2;
	o->fr[0].kind = FR_FIELDS;
	o->fr[0].tb = &o->roottb;
	if (json) {
		o->root = json_object_new_object();
		if (!o->root) {
			free(o);
			return NULL;
		}
		o->fr[0].obj = o->root;
	}
	return o;
}

bool ft_out_is_json(const struct ft_out *o)
{
	return o->json;
}

/* Push a frame; false (and the overflow counted) when too deep. */
static bool push(struct ft_out *o, enum frame_kind kind, struct json_object *obj,
		 struct tblock *tb, bool owns_tb)
{
	if (o->overflow || o->depth == MAX_DEPTH - 1) {
		o->overflow++;
		o->err = o->err ? o->err : -EINVAL;
		if (owns_tb) {
			tb_free_cells(tb);
			free(tb);
		}
		return false;
	}
	o->depth++;
	o->fr[o->depth] = (struct frame){ .kind = kind, .obj = obj, .tb = tb, .owns_tb = owns_tb };
	return true;
}

static void pop(struct ft_out *o)
{
	struct frame *fr;
	bool owned;
	int indent;

	if (o->overflow) {
		o->overflow--;
		return;
	}
	if (!o->depth)
		return;
	fr = top(o);
	indent = fr->tb ? fr->tb->indent : 0;
	owned = fr->owns_tb && fr->tb;
	if (owned) {
		tb_flush(o, fr->tb);
		tb_free_cells(fr->tb);
		free(fr->tb);
		fr->tb = NULL;
	}
	o->depth--;
	if (owned) {
		/* warnings raised inside the block belong to it */
		if (!in_table(o))
			print_deferred(o, indent);
		o->sep = o->printed;
	}
}

/* Add @jv under @key to the current JSON object, or drop it. */
static void json_put(struct ft_out *o, const char *key, struct json_object *jv)
{
	struct frame *fr = top(o);

	if (!key || o->overflow || !fr->obj || fr->kind == FR_TABLE) {
		json_object_put(jv);
		return;
	}
	if (json_object_object_add(fr->obj, key, jv)) {
		/* json-c leaves @jv to us when it cannot add it */
		json_object_put(jv);
		o->err = -ENOMEM;
	}
}

static struct json_object *json_child(struct ft_out *o, const char *key, bool array)
{
	struct json_object *jv = array ? json_object_new_array() : json_object_new_object();

	if (!jv) {
		o->err = -ENOMEM;
		return NULL;
	}
	json_object_get(jv);	/* keep a reference across json_put's failure paths */
	json_put(o, key, jv);
	/* the tree holds it now, unless json_put dropped it */
	if (json_object_put(jv))
		return NULL;
	return jv;
}

/* Start a titled text block: what came before is printed first. */
static void titled_start(struct ft_out *o, const char *title)
{
	struct frame *fr = top(o);

	tb_flush(o, fr->tb);
	o->sep = false;
	if (o->printed)
		fputc('\n', o->f);
	put_spaces(o->f, fr->tb ? fr->tb->indent : 0);
	fprintf(o->f, "%s:\n", title);
	o->printed = true;
}

void ft_out_begin_fields(struct ft_out *o, const char *key, const char *title)
{
	struct json_object *obj = NULL;
	struct tblock *tb = top(o)->tb;

	if (o->json) {
		if (key)
			obj = json_child(o, key, false);
		else if (top(o)->kind != FR_TABLE)
			obj = top(o)->obj;
		push(o, FR_FIELDS, obj, NULL, false);
		return;
	}
	if (!title || o->overflow) {
		push(o, FR_FIELDS, NULL, tb, false);
		return;
	}
	titled_start(o, title);
	tb = tb_new(o, (tb ? tb->indent : 0) + 2, 2);
	push(o, FR_FIELDS, NULL, tb, tb != NULL);
}

void ft_out_end_fields(struct ft_out *o)
{
	pop(o);
}

void ft_out_begin_table(struct ft_out *o, const char *key, const char *title,
			const char *const *heads)
{
	struct tblock *tb = NULL;
	int indent = top(o)->tb ? top(o)->tb->indent : 0;
	size_t n = 0, c;

	if (o->json) {
		push(o, FR_TABLE, json_child(o, key, true), NULL, false);
		return;
	}
	while (heads && heads[n] && n < MAX_COLS)
		n++;
	if (title && !o->overflow) {
		titled_start(o, title);
		indent += 2;
	} else {
		tb_flush(o, top(o)->tb);
		blank_line_if_due(o);
	}
	tb = n ? tb_new(o, indent, n) : NULL;
	if (tb) {
		tb->head = true;
		if (tb_add_row(o, tb))
			for (c = 0; c < n; c++)
				tb_set(o, tb, c, heads[c], false);
	}
	push(o, FR_TABLE, NULL, tb, tb != NULL);
}

void ft_out_begin_row(struct ft_out *o)
{
	struct frame *fr = top(o);
	struct json_object *row = NULL;

	if (o->json) {
		if (!o->overflow && fr->kind == FR_TABLE && fr->obj) {
			row = json_object_new_object();
			if (!row || json_object_array_add(fr->obj, row)) {
				json_object_put(row);
				row = NULL;
				o->err = -ENOMEM;
			}
		}
		push(o, FR_ROW, row, NULL, false);
		return;
	}
	if (!o->overflow && fr->kind == FR_TABLE && fr->tb)
		tb_add_row(o, fr->tb);
	push(o, FR_ROW, NULL, fr->kind == FR_TABLE ? fr->tb : NULL, false);
}

void ft_out_end_row(struct ft_out *o)
{
	pop(o);
}

void ft_out_end_table(struct ft_out *o)
{
	pop(o);
}

/*
 * A value: @jv (ownership taken; NULL is JSON null) in JSON, @text in text
 * (NULL: "-"). @numeric right-aligns it in text.
 */
static void put_value(struct ft_out *o, const char *key, const char *label,
		      struct json_object *jv, const char *text, bool numeric)
{
	struct frame *fr = top(o);
	char head[128];

	if (o->json) {
		if (key)
			json_put(o, key, jv);
		else
			json_object_put(jv);
		return;
	}
	json_object_put(jv);
	if (!label || o->overflow || !fr->tb)
		return;
	if (fr->kind == FR_ROW) {
		tb_set(o, fr->tb, fr->tb->col++, text, numeric);
		return;
	}
	if (!tb_add_row(o, fr->tb))
		return;
	snprintf(head, sizeof(head), "%s:", label);
	tb_set(o, fr->tb, 0, head, false);
	tb_set(o, fr->tb, 1, text, numeric);
}

void ft_out_u64(struct ft_out *o, const char *key, const char *label, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	put_value(o, key, label, o->json ? json_object_new_uint64(v) : NULL, buf, true);
}

void ft_out_hex(struct ft_out *o, const char *key, const char *label, uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%x", v);
	put_value(o, key, label, o->json ? json_object_new_uint64(v) : NULL, buf, false);
}

/*
 * A JSON string of @s. JSON is UTF-8 and json-c copies other bytes as they
 * are; the policy's strings are UTF-8 (cfgtext.c), but names pinned by an
 * older flowtagd, interface names (the kernel takes any byte but '/', ':'
 * and whitespace), file names and messages cut at a buffer's end need not
 * be: their stray bytes become U+FFFD.
 */
static struct json_object *json_str(const char *s)
{
	struct json_object *js;
	size_t n = strlen(s);
	char *fixed;

	if (ft_utf8_check(s, n) == n)
		return json_object_new_string(s);
	fixed = ft_utf8_fix(s);
	if (!fixed)
		return NULL;
	js = json_object_new_string(fixed);
	free(fixed);
	return js;
}

void ft_out_str(struct ft_out *o, const char *key, const char *label, const char *s)
{
	put_value(o, key, label, o->json && s ? json_str(s) : NULL, s, false);
}

void ft_out_bool(struct ft_out *o, const char *key, const char *label, bool v, const char *yes,
		 const char *no)
{
	put_value(o, key, label, o->json ? json_object_new_boolean(v) : NULL, v ? yes : no,
		     false);
}

void ft_out_opt_u64(struct ft_out *o, const char *key, const char *label, bool has, uint64_t v,
		    const char *text, bool numeric)
{
	char buf[32];

	if (!text && has) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
		text = buf;
	}
	put_value(o, key, label, o->json && has ? json_object_new_uint64(v) : NULL, text, numeric);
}

void ft_out_opt_double(struct ft_out *o, const char *key, const char *label, bool has, double v,
		       const char *text, bool numeric)
{
	put_value(o, key, label, o->json && has ? json_object_new_double(v) : NULL, text, numeric);
}

void ft_out_opt_bool(struct ft_out *o, const char *key, const char *label, bool has, bool v,
		     const char *yes, const char *no)
{
	put_value(o, key, label, o->json && has ? json_object_new_boolean(v) : NULL,
		  has ? (v ? yes : no) : NULL, false);
}

void ft_out_strv(struct ft_out *o, const char *key, const char *const *v, size_t n)
{
	struct json_object *arr, *js;
	size_t i;

	if (!o->json || !key)
		return;
	arr = json_object_new_array();
	if (!arr) {
		o->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		js = json_str(v[i]);
		if (!js || json_object_array_add(arr, js)) {
			json_object_put(js);
			o->err = -ENOMEM;
		}
	}
	put_value(o, key, NULL, arr, NULL, false);
}

void ft_out_text(struct ft_out *o, const char *fmt, ...)
{
	struct frame *fr = top(o);
	va_list ap;

	if (o->json)
		return;
	tb_flush(o, fr->tb);
	blank_line_if_due(o);
	put_spaces(o->f, fr->tb ? fr->tb->indent : 0);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
	o->printed = true;
}

void ft_out_warn(struct ft_out *o, const char *fmt, ...)
{
	char msg[1024];
	struct json_object *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!o->json && (in_table(o) || (top(o)->tb && top(o)->tb->nrows))) {
		/* a line now would cut a table or an aligned block in two */
		char **d = realloc(o->deferred, (o->ndeferred + 1) * sizeof(*d));
		char *copy;

		if (!d) {
			o->err = -ENOMEM;
			return;
		}
		o->deferred = d;
		copy = strdup(msg);
		if (!copy) {
			o->err = -ENOMEM;
			return;
		}
		d[o->ndeferred++] = copy;
		return;
	}
	if (!o->json) {
		ft_out_text(o, "warning: %s", msg);
		return;
	}
	/* added to the document last, by ft_out_finish() */
	if (!o->warnings) {
		o->warnings = json_object_new_array();
		if (!o->warnings) {
			o->err = -ENOMEM;
			return;
		}
	}
	s = json_str(msg);
	if (!s || json_object_array_add(o->warnings, s)) {
		json_object_put(s);
		o->err = -ENOMEM;
	}
}

void ft_out_error(struct ft_out *o, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	if (!o->json || o->error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->error = strdup(msg);
	if (!o->error)
		o->err = -ENOMEM;
}

void ft_out_exit(struct ft_out *o, int code, const char *error)
{
	if (!o->json)
		return;
	o->exit_code = code;
	o->has_exit = true;
	if (error && error[0])
		ft_out_error(o, "%s", error);
}

bool ft_out_json_printed(void)
{
	return json_documents > 0;
}

/* Add @jv under @key to the root object, at the end (ft_out_finish()). */
static void root_add(struct ft_out *o, const char *key, struct json_object *jv)
{
	if (!jv) {
		o->err = -ENOMEM;
		return;
	}
	if (json_object_object_add(o->root, key, jv)) {
		json_object_put(jv);
		o->err = -ENOMEM;
	}
}

int ft_out_finish(struct ft_out *o)
{
	int err;

	if (!o)
		return 0;
	while (o->overflow || o->depth)
		pop(o);
	if (o->json && o->warnings) {
		if (json_object_object_add(o->root, "warnings", o->warnings)) {
			json_object_put(o->warnings);
			o->err = -ENOMEM;
		}
		o->warnings = NULL;
	}
	if (o->json && o->error)
		root_add(o, "error", json_str(o->error));
	if (o->json && o->has_exit)
		root_add(o, "exit_code", json_object_new_int(o->exit_code));
	free(o->error);
	if (o->json) {
		int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
			    (o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
					 JSON_C_TO_STRING_PLAIN);
		const char *s = json_object_to_json_string_ext(o->root, flags);

		if (s) {
			fprintf(o->f, "%s\n", s);
			json_documents++;
		} else {
			o->err = -ENOMEM;
		}
		json_object_put(o->root);
	} else {
		tb_flush(o, &o->roottb);
		tb_free_cells(&o->roottb);
		print_deferred(o, 0);
	}
	err = o->err;
	if (fflush(o->f) || ferror(o->f))
		err = err ? err : -EIO;
	free(o);
	return err;
}
