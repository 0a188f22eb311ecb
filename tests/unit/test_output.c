// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for daemon/output.c: what a value that may be absent prints,
 * in text and in JSON, as the commands' tables and field blocks show it;
 * the "error" and "exit_code" every -j document ends with; and that JSON
 * and metrics labels stay UTF-8 whatever bytes they are given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "output.h"
#include "strparse.h"

/* The document ft_out_opt_u64() makes of @has/@v/@text, in text or JSON
 * (a field block "f" and a one-row table "t", the same value in each);
 * the caller frees it. */
static char *render(bool json, bool has, uint64_t v, const char *text)
{
	static const char *const heads[] = { "n", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ft_out *o;

	assert_non_null(f);
	o = ft_out_new(f, json, false);
	assert_non_null(o);
	ft_out_begin_fields(o, "f", "block");
	ft_out_opt_u64(o, "n", "n", has, v, text, true);
	ft_out_end_fields(o);
	ft_out_begin_table(o, "t", "table", heads);
	ft_out_begin_row(o);
	ft_out_opt_u64(o, "n", "n", has, v, text, true);
	ft_out_end_row(o);
	ft_out_end_table(o);
	assert_int_equal(ft_out_finish(o), 0);
	fclose(f);
	return buf;
}

/* How often @needle occurs in @s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* A present number without a text of its own shows as the number: a
 * table column of counters or VLAN ids must not read "-" for a value. */
static void test_opt_u64_text(void **st)
{
	char *s;

	(void)st;
	s = render(false, true, 4242, NULL);
	assert_int_equal(count(s, "4242"), 2);	/* the field and the row */
	assert_int_equal(count(s, "-"), 0);
	free(s);
	s = render(false, false, 4242, NULL);
	assert_int_equal(count(s, "4242"), 0);
	assert_int_equal(count(s, "-"), 2);
	free(s);
	s = render(false, true, 4242, "4.2k");
	assert_int_equal(count(s, "4.2k"), 2);
	assert_int_equal(count(s, "4242"), 0);
	free(s);
}

/* JSON: the number when present, null when absent, whatever the text. */
static void test_opt_u64_json(void **st)
{
	char *s;

	(void)st;
	s = render(true, true, 4242, "4.2k");
	assert_non_null(strstr(s, "\"f\":{\"n\":4242}"));
	assert_non_null(strstr(s, "\"t\":[{\"n\":4242}]"));
	free(s);
	s = render(true, false, 4242, NULL);
	assert_non_null(strstr(s, "\"f\":{\"n\":null}"));
	assert_non_null(strstr(s, "\"t\":[{\"n\":null}]"));
	free(s);
}

/* The document of ft_out_exit(@code, @error) after ft_out_error(@first)
 * (NULL: none) inside an open block, in text or JSON; the caller frees it. */
static char *render_exit(bool json, const char *first, int code, const char *error)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ft_out *o;

	assert_non_null(f);
	o = ft_out_new(f, json, false);
	assert_non_null(o);
	ft_out_begin_fields(o, "f", "block");
	ft_out_u64(o, "n", "n", 1);
	if (first)
		ft_out_error(o, "%s", first);
	ft_out_exit(o, code, error);	/* a block still open: the keys go to the top */
	assert_int_equal(ft_out_finish(o), 0);
	fclose(f);
	return buf;
}

/* -j's contract: "error" and "exit_code" at the top, after the rest; the
 * first error given stays; none without one; nothing of it in text. The
 * error is UTF-8 as every other string ("set caf\xe9: ..."). */
static void test_exit_json(void **st)
{
	char *s;

	(void)st;
	s = render_exit(true, "set caf\xe9: full", 1, NULL);
	assert_string_equal(s, "{\"f\":{\"n\":1},\"error\":\"set caf\xef\xbf\xbd: full\","
			       "\"exit_code\":1}\n");
	free(s);
	s = render_exit(true, NULL, 2, "no daemon");
	assert_string_equal(s, "{\"f\":{\"n\":1},\"error\":\"no daemon\",\"exit_code\":2}\n");
	free(s);
	s = render_exit(true, "reload rejected: x", 1, "later");
	assert_string_equal(s, "{\"f\":{\"n\":1},\"error\":\"reload rejected: x\","
			       "\"exit_code\":1}\n");
	free(s);
	s = render_exit(true, NULL, 0, NULL);
	assert_string_equal(s, "{\"f\":{\"n\":1},\"exit_code\":0}\n");
	free(s);
	assert_true(ft_out_json_printed());
	s = render_exit(false, "x", 1, "y");
	assert_int_equal(count(s, "error"), 0);
	assert_int_equal(count(s, "exit"), 0);
	free(s);
}

/*
 * JSON is UTF-8: a name that is not ("caf\xe9" as
 * pinned by a flowtagd that accepted it, an interface name) comes out with
 * U+FFFD for the stray byte, in a field, a table row, a string array and a
 * warning; so does a warning cut inside a character. Text shows the bytes.
 */
static void test_json_utf8(void **st)
{
	static const char *const heads[] = { "name", NULL };
	const char *v[] = { "ok", "caf\xe9" };
	char *buf = NULL, big[1100];
	size_t len = 0;
	FILE *f;
	struct ft_out *o;

	(void)st;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	o = ft_out_new(f, true, false);
	assert_non_null(o);
	ft_out_str(o, "class", "class", "caf\xe9");
	ft_out_begin_table(o, "rules", "rules", heads);
	ft_out_begin_row(o);
	ft_out_str(o, "name", "name", "r\xff");
	ft_out_end_row(o);
	ft_out_end_table(o);
	ft_out_strv(o, "errors", v, 2);
	/* 1022 bytes, then "é": the 1023 bytes the warning keeps end inside it */
	memset(big, 'a', 1022);
	strcpy(big + 1022, "\xc3\xa9");
	ft_out_warn(o, "%s", big);
	assert_int_equal(ft_out_finish(o), 0);
	fclose(f);
	assert_int_equal(ft_utf8_check(buf, len), len);
	assert_non_null(strstr(buf, "\"class\":\"caf\xef\xbf\xbd\""));
	assert_non_null(strstr(buf, "\"rules\":[{\"name\":\"r\xef\xbf\xbd\"}]"));
	assert_non_null(strstr(buf, "\"errors\":[\"ok\",\"caf\xef\xbf\xbd\"]"));
	assert_non_null(strstr(buf, "aaa\xef\xbf\xbd\"]"));
	free(buf);

	/* text output is the bytes as they are */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	o = ft_out_new(f, false, false);
	ft_out_str(o, "class", "class", "caf\xe9");
	assert_int_equal(ft_out_finish(o), 0);
	fclose(f);
	assert_non_null(strstr(buf, "caf\xe9"));
	free(buf);
}

/* A label of the metrics file: escaped as the text format says, and UTF-8. */
static void test_metrics_label_utf8(void **st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)st;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	ft_metrics_label(f, "caf\xe9 \"x\"\\\n\xc3\xa9");
	fclose(f);
	assert_string_equal(buf, "caf\xef\xbf\xbd \\\"x\\\"\\\\\\n\xc3\xa9");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_u64_text),
		cmocka_unit_test(test_opt_u64_json),
		cmocka_unit_test(test_exit_json),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_metrics_label_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
