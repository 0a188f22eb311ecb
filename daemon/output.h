/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * CLI output: one printing path for text and JSON, in the manner of
 * iproute2 and bpftool. The caller states every value once, with its JSON
 * key and its text label; the mode decides what comes out.
 *
 *  - JSON: a json-c document is built and printed by ft_out_finish(), so
 *    the output is always one well-formed object, even after an error;
 *    "error" and "exit_code" (ft_out_exit()) come last.
 *  - text: "label:  value" lines and tables, each block aligned on its own
 *    (numeric columns right-aligned), titled blocks indented under
 *    "title:".
 *
 * A NULL key makes a value text-only; a NULL label makes it JSON-only. In a
 * table row the label only says whether the cell is shown in text (pass
 * the column head for readability); cells must come in column order.
 * Allocation failures are remembered and reported by ft_out_finish(); the
 * calls themselves never fail.
 */
#ifndef FLOWTAG_OUTPUT_H
#define FLOWTAG_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ft_out;

/**
 * ft_out_new() - start a document.
 * @f:      where everything goes (stdout)
 * @json:   JSON instead of text
 * @pretty: indent the JSON
 * Return: the printer, or NULL when out of memory.
 */
struct ft_out *ft_out_new(FILE *f, bool json, bool pretty);

/**
 * ft_out_finish() - close open blocks, print what is pending (the whole
 * JSON document in JSON mode) and free @o. NULL is allowed.
 * Return: 0, -ENOMEM when some output could not be recorded, -EIO when
 * writing failed.
 */
int ft_out_finish(struct ft_out *o);

/** ft_out_is_json() - whether @o prints JSON. */
bool ft_out_is_json(const struct ft_out *o);

/**
 * ft_out_begin_fields() - a group of named values.
 * @key:   JSON: the values go into a new object under @key (NULL: into the
 *         current object)
 * @title: text: print "title:" and indent the group (NULL: the values
 *         continue the current block, aligned with it)
 */
void ft_out_begin_fields(struct ft_out *o, const char *key, const char *title);
void ft_out_end_fields(struct ft_out *o);

/**
 * ft_out_begin_table() - rows of values under column heads.
 * @key:   JSON: an array of objects under @key
 * @title: text: "title:" above the table (NULL: none)
 * @heads: NULL-terminated column heads (at most 16 columns)
 */
void ft_out_begin_table(struct ft_out *o, const char *key, const char *title,
			const char *const *heads);
void ft_out_begin_row(struct ft_out *o);
void ft_out_end_row(struct ft_out *o);
void ft_out_end_table(struct ft_out *o);

/** ft_out_u64() - an unsigned number. */
void ft_out_u64(struct ft_out *o, const char *key, const char *label, uint64_t v);

/** ft_out_hex() - a number shown as 0x... in text, a number in JSON. */
void ft_out_hex(struct ft_out *o, const char *key, const char *label, uint32_t v);

/** ft_out_str() - a string; NULL is JSON null and "-" in text. */
void ft_out_str(struct ft_out *o, const char *key, const char *label, const char *s);

/** ft_out_bool() - true/false in JSON, @yes or @no in text. */
void ft_out_bool(struct ft_out *o, const char *key, const char *label, bool v, const char *yes,
		 const char *no);

/**
 * ft_out_opt_u64() - an unsigned number that may be absent: @v in JSON when
 * @has, else null; in text @text, or without one @v in decimal when @has,
 * else "-". @numeric right-aligns it in text.
 */
void ft_out_opt_u64(struct ft_out *o, const char *key, const char *label, bool has, uint64_t v,
		    const char *text, bool numeric);

/**
 * ft_out_opt_double() - a fractional number that may be absent: @v in JSON
 * when @has, else null; @text in text (NULL: "-"), right-aligned when
 * @numeric.
 */
void ft_out_opt_double(struct ft_out *o, const char *key, const char *label, bool has, double v,
		       const char *text, bool numeric);

/**
 * ft_out_opt_bool() - a truth value that may be unknown: true/false in JSON
 * when @has, else null; in text @yes or @no, or "-" when not @has.
 */
void ft_out_opt_bool(struct ft_out *o, const char *key, const char *label, bool has, bool v,
		     const char *yes, const char *no);

/**
 * ft_out_strv() - JSON only: an array of the @n strings @v under @key
 * (an empty array for @n == 0). Nothing in text: print the lines there
 * with ft_out_text() where they belong.
 */
void ft_out_strv(struct ft_out *o, const char *key, const char *const *v, size_t n);

/** ft_out_text() - a line of text at the current indent; nothing in JSON. */
void ft_out_text(struct ft_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * ft_out_warn() - a warning about what is shown: "warning: ..." in text, a
 * string of the top-level "warnings" array in JSON.
 */
void ft_out_warn(struct ft_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * ft_out_error() - JSON only: the top-level "error" string, what made the
 * command fail (the first one given stays). Nothing in text: the message
 * is on stderr there, or in the text already printed.
 */
void ft_out_error(struct ft_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * ft_out_exit() - JSON only: the top-level "exit_code" @code, and @error
 * as "error" unless one is set already (NULL or "": none).
 */
void ft_out_exit(struct ft_out *o, int code, const char *error);

/**
 * ft_out_json_printed() - whether this process printed a JSON document
 * (ft_out_finish() in JSON mode): a command that failed before it had
 * one prints one of its own (flowtagctl -j: one object, always).
 */
bool ft_out_json_printed(void);

#endif /* FLOWTAG_OUTPUT_H */
