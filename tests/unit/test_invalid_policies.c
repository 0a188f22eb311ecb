// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A generator of invalid policies (issue 10, item 13): one valid policy
 * that uses every key, and for every key and every kind of mistake a copy
 * with exactly that mistake, each written to a file and loaded the way
 * flowtagd loads it. Every one must be rejected (never accepted), without
 * a crash (this runs under ASan and UBSan), with every error line in the
 * form FILE:LINE and one of them at the line of the mistake.
 *
 * Kinds: a bad value for each key (wrong type, out of range, unknown name,
 * malformed string, integer literals libconfig would wrap), a missing
 * required key, an unknown key and a duplicate key in every group, syntax
 * damage and NUL bytes on every line, a failing @include before every
 * line, and bad lines in the prefix-set file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgtest.h"
#include "config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The valid policy, one group per line. {N} is slot N, replaced by its
 * valid value (slots[N].good) or, in one variant, by a bad one.
 */
static const char *const tmpl[] = {
	/* 1 */ "interfaces = (",
	/* 2 */ "  { name = {0}; xdp_mode = {1}; egress_restore = {2}; },",
	/* 3 */
	"  { name = \"eth1\"; egress_shaping = { rate = {25}; leaf = {26}; "
	"default_class = {27}; replace_root = {28}; }; }",
	/* 4 */ ");",
	/* 5 */ "mark_mask = {3};",
	/* 6 */ "tc_verdict = {4};",
	/* 7 */ "classes = (",
	/* 8 */ "  { name = {5}; mark = {6}; priority = {7}; dscp = {8}; },",
	/* 9 */
	"  { name = \"bulk\"; mark = 0x300; priority = 65584; rate = {29}; ceil = {30}; "
	"burst = {31}; quantum = {32}; }",
	/* 10 */ ");",
	/* 11 */ "prefix_sets = (",
	/* 12 */ "  { name = {9}; file = {10}; },",
	/* 13 */ "  { name = \"inl\"; prefixes = {11}; }",
	/* 14 */ ");",
	/* 15 */ "rules = (",
	/* 16 */
	"  { match = { iif = {12}; vlan = {13}; family = {14}; src = {15}; dst = {16}; "
	"proto = {17}; sport = {18}; dport = {19}; dscp = {20}; tcp_flags = {21}; }; "
	"class = {22}; },",
	/* 17 */ "  { match = { src = \"@inl\"; }; action = {23}; }",
	/* 18 */ ");",
	/* 19 */ "default_class = {24};",
};

/* values of the wrong type for a key that wants a string */
#define NOT_STRING "1", "1.5", "true", "{ }", "( )"
/* ... a string or a list of strings (match keys) */
#define NOT_STRINGS "1.5", "true", "{ }", "[ ]", "( )", "[ 1.5 ]", "( { } )"
/* ... an integer */
#define NOT_INT "\"1\"", "1.5", "false", "{ }", "( )"
/* integer literals libconfig 1.5 would wrap */
#define WRAPS                                                                                 \
	"4294967396", "4294967376", "4295032576", "2147483648", "-2147483649", "0x100000064", \
		"0x1ffffffff", "99999999999999999999", "9223372036854775808L"

static const struct slot {
	const char *key;
	const char *good;
	const char *bad[24];
} slots[] = {
	{ "interface name",
	  "\"eth0\"",
	  { NOT_STRING, "\"\"", "\".\"", "\"eth/0\"", "\"a b\"", "\"a-very-long-ifname\"" } },
	{ "xdp_mode", "\"native\"", { NOT_STRING, "\"offload\"", "\"\"", "\"NATIVE \"" } },
	{ "egress_restore", "true", { "1", "\"true\"", "1.0", "{ }", "[ true ]" } },
	{ "mark_mask",
	  "0x0000ff00",
	  { NOT_INT, "-1", "0x1ffffffffL", "\"0xff00\"", "[ 0xff00 ]", WRAPS } },
	{ "tc_verdict", "\"continue\"", { NOT_STRING, "\"stop\"", "\"\"", "\"OK\"" } },
	{ "class name",
	  "\"voice\"",
	  { NOT_STRING, "\"\"", "\"a\\nb\"", "\"this-class-name-is-longer-than-thirty-two\"" } },
	{ "mark", "0x100", { NOT_INT, "-1", "0x10000", "4278190080", "0x1ffffffffL", WRAPS } },
	{ "priority",
	  "\"1:10\"",
	  { "1.5", "false", "{ }", "( )", "\":\"", "\"1:10:1\"", "\"4294967296\"", "\"1:10000\"",
	    "\"x:y\"", "\"\"", "-1", WRAPS } },
	{ "class dscp",
	  "\"EF\"",
	  { "1.5", "false", "{ }", "\"XX\"", "\"AF5\"", "\"\"", "64", "-1", "[ \"EF\" ]", WRAPS } },
	{ "set name", "\"gold\"", { NOT_STRING, "\"\"", "\"@gold\"", "\"a\\tb\"" } },
	{ "set file",
	  "\"gold.txt\"",
	  { NOT_STRING, "\"no-such.txt\"", "\"\"", "\".\"", "\"d\"", "\"/dev/null\"",
	    "\"fifo\"" } },
	{ "prefixes",
	  "[ \"198.18.0.0/15\", \"2001:db8::/32\" ]",
	  { "\"198.18.0.0/15\"", "1", "{ }", "[ 1 ]", "[ \"198.18.0.1/15\" ]",
	    "[ \"10.0.0.0/33\" ]", "[ \"nonsense\" ]", "[ \"\" ]", "[ \"2001:db8::/129\" ]",
	    "[ \"1.2.3.4\", 5 ]" } },
	{ "iif",
	  "\"eth0\"",
	  { NOT_STRINGS, "\"eth9\"", "[ \"eth0\", \"wlan0\" ]", "\"\"", "[ 1 ]" } },
	{ "vlan",
	  "100",
	  { "\"100\"", "1.5", "true", "{ }", "[ ]", "4096", "-1", "[ 1, 5000 ]", "[ 1, \"2\" ]",
	    "0xffffffff", WRAPS } },
	{ "family", "\"ipv4\"", { NOT_STRING, "\"ipv5\"", "\"\"", "\"inet\"" } },
	{ "src",
	  "\"@gold\"",
	  { NOT_STRINGS, "\"@nosuch\"", "\"@\"", "\"10.0.0.1/8\"", "\"2001:db8::/32\"",
	    "\"198.18.0.0/33\"", "\"\"", "[ \"@gold\", \"x\" ]" } },
	{ "dst",
	  "\"198.18.0.0/15\"",
	  { NOT_STRINGS, "\"198.18.0.0/14\"", "\"fd00::/8\"", "\"1.2.3\"", "\"@nosuch\"",
	    "\"/8\"" } },
	{ "proto",
	  "\"tcp\"",
	  { "1.5", "true", "{ }", "[ ]", "\"tcpx\"", "256", "-1", "\"udp\"", "[ \"udp\" ]", "\"\"",
	    WRAPS } },
	{ "sport",
	  "\"1024-65535\"",
	  { "1.5", "true", "{ }", "[ ]", "\"90-80\"", "\"1-70000\"", "70000", "-1", "\"a-b\"",
	    "\"-\"", "\"\"", WRAPS } },
	{ "dport",
	  "[ 22, 80 ]",
	  { "1.5", "true", "{ }", "[ ]", "[ 22, 65536 ]", "[ 22, \"80\" ]", "\"22,80\"",
	    "\"1-2-3\"", "( 22, ( 80 ) )", WRAPS } },
	{ "match dscp",
	  "\"AF41\"",
	  { "1.5", "true", "{ }", "[ ]", "\"AF44\"", "\"CS8\"", "64", "-1", "[ \"EF\", 99 ]",
	    WRAPS } },
	{ "tcp_flags",
	  "\"syn/syn,ack\"",
	  { "2", "1.5", "true", "[ \"syn\" ]", "\"\"", "\"syn/\"", "\"foo\"", "\"syn/ack\"",
	    "\"syn,,ack\"" } },
	{ "rule class", "\"voice\"", { NOT_STRING, "\"nosuch\"", "\"\"", "\"VOICE\"" } },
	{ "action", "\"drop\"", { NOT_STRING, "\"reject\"", "\"\"", "\"DROP\"" } },
	{ "default_class", "\"bulk\"", { NOT_STRING, "\"nosuch\"", "\"\"" } },
	{ "egress_shaping rate",
	  "\"100mbit\"",
	  { NOT_STRING, "\"\"", "\"fast\"", "\"100\"", "\"-1mbit\"", "\"100 mbit\"", "\"1mbit\"",
	    "\"99999999tbit\"" } },
	{ "leaf", "\"fq_codel\"", { NOT_STRING, "\"codel\"", "\"\"", "\"CAKE\"" } },
	{ "shaping default_class", "\"bulk\"", { NOT_STRING, "\"nosuch\"", "\"\"" } },
	{ "replace_root", "false", { "0", "\"false\"", "1.0", "{ }", "[ false ]" } },
	{ "class rate",
	  "\"10mbit\"",
	  { NOT_STRING, "\"\"", "\"ten\"", "\"200mbit\"", "\"10 mbit\"", "\"10mbps2\"" } },
	{ "ceil", "\"50mbit\"", { NOT_STRING, "\"\"", "\"x\"", "\"-5mbit\"" } },
	{ "burst", "\"15k\"", { "1.5", "true", "{ }", "\"\"", "\"15q\"", "0", "-1", WRAPS } },
	{ "quantum", "1514", { "1.5", "true", "{ }", "\"\"", "\"lots\"", "0", "-1", WRAPS } },
};

/* The template line of each slot (1-based). */
static int slot_line(int n)
{
	char tag[8];
	size_t i;

	snprintf(tag, sizeof(tag), "{%d}", n);
	for (i = 0; i < ARRAY_LEN(tmpl); i++)
		if (strstr(tmpl[i], tag))
			return (int)i + 1;
	return 0;
}

/* Line @i of the template with every slot filled, slot @bad_slot with @bad. */
static void fill_line(char *out, size_t len, size_t i, int bad_slot, const char *bad)
{
	const char *p = tmpl[i];
	size_t o = 0;

	while (*p && o + 1 < len) {
		if (*p == '{' && p[1] >= '0' && p[1] <= '9') {
			char *end;
			int n = (int)strtol(p + 1, &end, 10);

			if (*end == '}') {
				const char *v = n == bad_slot ? bad : slots[n].good;

				o += (size_t)snprintf(out + o, len - o, "%s", v);
				p = end + 1;
				continue;
			}
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

struct variant {
	char text[8192];
	size_t len;
	const char *file; /* where the error must be: NULL = the policy */
	int line;
	int line_alt; /* or here (0: nowhere else): syntax damage may show on the next line */
	char what[160];
};

static char dir[64], policy[PATH_MAX], setfile[PATH_MAX];
static int nvariants, nrejected;

/* The template with slot @bad_slot = @bad (or none, -1), as a variant. */
static void build(struct variant *v, int bad_slot, const char *bad)
{
	char line[2048];
	size_t i;

	v->len = 0;
	for (i = 0; i < ARRAY_LEN(tmpl); i++) {
		fill_line(line, sizeof(line), i, bad_slot, bad);
		v->len +=
			(size_t)snprintf(v->text + v->len, sizeof(v->text) - v->len, "%s\n", line);
	}
	v->file = NULL;
	v->line_alt = 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Load the variant as flowtagd does and check the verdict. */
static void run(struct variant *v)
{
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	const char *l, *nl, *want_file = v->file ? v->file : policy;
	bool bad_form = false;
	int rc;

	nvariants++;
	write_file(policy, v->text, v->len);
	rc = ft_config_load(policy, &p, &d);
	if (d.text) {
		for (l = d.text; *l; l = nl + 1) {
			char head[PATH_MAX + 16];
			const char *colon;

			nl = strchr(l, '\n');
			/* "FILE:LINE: error: " or "FILE:LINE: warning: ", LINE >= 1 */
			colon = strstr(l, ": error: ");
			if (!colon || colon > nl)
				colon = strstr(l, ": warning: ");
			if (!colon || colon > nl) {
				bad_form = true;
				continue;
			}
			snprintf(head, sizeof(head), "%.*s", (int)(colon - l), l);
			colon = strrchr(head, ':');
			if (!colon || atoi(colon + 1) < 1)
				bad_form = true;
		}
	}
	if (rc == 0 || !policy_is_zero(&p) || d.nerrors < 1 || bad_form ||
	    (!diag_has(&d, want_file, v->line, "error", "") &&
	     !(v->line_alt && diag_has(&d, want_file, v->line_alt, "error", "")))) {
		fail_msg("variant %d (%s) not rejected as it should be: rc %d\n"
			 "-- policy:\n%.*s-- diagnostics:\n%s-- want an error at %s:%d",
			 nvariants, v->what, rc, (int)v->len, v->text, d.text ? d.text : "(none)\n",
			 want_file, v->line);
	}
	nrejected++;
	ft_policy_free(&p);
	ft_diag_free(&d);
}

static const char good_set[] = "198.18.0.0/24\n# comment\n2001:db8:100::/48\n";

static void test_generated(void **state)
{
	static const char *const damage[] = {
		" @",
		" }",
		" ]",
		" )",
		" \"unterminated",
		" /* unterminated",
		" =",
		" ;;",
		" 1",
		" \"x\"",
		" 0x",
		" \xff",
		" \x01",
		" ,,",
		" : :",
		" {",
	};
	static const char *const includes[] = { "@include \".\"", "@include \"\"", "@include \"d\"",
						"@include \"no-such.inc\"", "@include \"fifo\"" };
	static const char *const set_lines[] = {
		"10.0.0.1/8",
		"nonsense",
		"1.2.3.4/33",
		"2001:db8::/129",
		"1.2.3.4 5.6.7.8",
		"::ffff:1.2.3.4/97",
		"1.2.3",
		"/24",
		"1.2.3.4/",
		"x\0y",
		"256.1.1.1",
		"2001:db8:::/48",
		"\xef\xbb\xbf"
		"1.2.3.0/24",
	};
	struct variant *v = calloc(1, sizeof(*v));
	char one[2048];
	size_t s, b, i, k;

	(void)state;
	assert_non_null(v);
	snprintf(policy, sizeof(policy), "%s/policy.conf", dir);
	snprintf(setfile, sizeof(setfile), "%s/gold.txt", dir);
	write_file(setfile, good_set, sizeof(good_set) - 1);
	snprintf(one, sizeof(one), "%s/d", dir);
	assert_int_equal(mkdir(one, 0755), 0);
	snprintf(one, sizeof(one), "%s/fifo", dir);
	assert_int_equal(mkfifo(one, 0644), 0);

	/* the template itself is valid: every variant differs by one mistake */
	{
		struct ft_policy p = { 0 };
		struct ft_diag d = { 0 };

		build(v, -1, NULL);
		write_file(policy, v->text, v->len);
		if (ft_config_load(policy, &p, &d))
			fail_msg("the template is not valid:\n%s%s", v->text, d.text ? d.text : "");
		ft_policy_free(&p);
		ft_diag_free(&d);
	}

	/* 1. every key, every bad value */
	for (s = 0; s < ARRAY_LEN(slots); s++) {
		for (b = 0; b < ARRAY_LEN(slots[s].bad) && slots[s].bad[b]; b++) {
			build(v, (int)s, slots[s].bad[b]);
			v->line = slot_line((int)s);
			snprintf(v->what, sizeof(v->what), "%s = %s", slots[s].key,
				 slots[s].bad[b]);
			run(v);
		}
	}

	/* 2. every group: an unknown key, a duplicate key; required keys missing */
	{
		static const struct {
			int line;
			const char *find, *repl;
		} edits[] = {
			{ 2, "{ name", "{ nmae = 1; name" },
			{ 2, "{ name", "{ xdp_mode = \"auto\"; name" },
			{ 3, "{ name", "{ mtu = 1; name" },
			{ 3, "{ name", "{ name = \"x\"; name" },
			{ 8, "{ name", "{ weight = 1; name" },
			{ 8, "{ name", "{ mark = 1; name" },
			{ 9, "{ name", "{ colour = 1; name" },
			{ 9, "{ name", "{ priority = 1; name" },
			{ 12, "{ name", "{ type = 1; name" },
			{ 12, "{ name", "{ file = \"gold.txt\"; name" },
			{ 13, "{ name", "{ kind = 1; name" },
			{ 13, "{ name", "{ file = \"gold.txt\"; name" },
			{ 16, "{ iif", "{ ifname = 1; iif" },
			{ 16, "{ iif", "{ dport = 1; iif" },
			{ 16, "{ match", "{ comment = \"x\"; match" },
			{ 16, "{ match", "{ class = \"bulk\"; match" },
			{ 17, "{ match", "{ action = \"pass\"; match" },
			{ 17, "{ src", "{ sports = 1; src" },
			{ 5, "mark_mask", "colour = 1; mark_mask" },
			{ 5, "mark_mask", "mark_mask = 0xff00; mark_mask" },
			{ 6, "tc_verdict", "tc_verdict = \"ok\"; tc_verdict" },
			{ 19, "default_class", "default_class = \"voice\"; default_class" },
			/* required keys */
			{ 2, "name = \"eth0\"; ", "" },
			{ 3, "name = \"eth1\"; ", "" },
			{ 8, "name = \"voice\"; ", "" },
			{ 8, "mark = 0x100; ", "" },
			{ 9, "mark = 0x300; ", "" },
			{ 12, "name = \"gold\"; ", "" },
			{ 12, "file = \"gold.txt\"; ", "" },
			{ 13, "prefixes = ", "x = " },
			{ 17, "action = \"drop\"; ", "" },
			{ 1, "interfaces", "ifaces" },
			{ 16, "class = \"voice\"; ", "action = \"drop\"; class = \"voice\"; " },
			{ 17, "{ src", "5; x = " },
		};

		for (i = 0; i < ARRAY_LEN(edits); i++) {
			char *at;

			build(v, -1, NULL);
			/* find the line, then the text on it */
			at = v->text;
			for (k = 1; k < (size_t)edits[i].line; k++)
				at = strchr(at, '\n') + 1;
			at = strstr(at, edits[i].find);
			assert_non_null(at);
			{
				char rest[8192];
				size_t off = (size_t)(at - v->text);

				snprintf(rest, sizeof(rest), "%s", at + strlen(edits[i].find));
				v->len = off + (size_t)snprintf(
						       v->text + off, sizeof(v->text) - off,
						       "%s%s%s", edits[i].repl,
						       edits[i].repl[0] ? edits[i].find : "", rest);
			}
			/* the missing 'interfaces' is reported at line 1, where it is now absent */
			v->line = edits[i].line;
			snprintf(v->what, sizeof(v->what), "line %d: '%s' -> '%s'", edits[i].line,
				 edits[i].find, edits[i].repl);
			run(v);
		}
	}

	/* 3. syntax damage, a NUL and a failing @include on/before every line */
	for (i = 0; i < ARRAY_LEN(tmpl); i++) {
		for (k = 0; k < ARRAY_LEN(damage) + 1 + ARRAY_LEN(includes); k++) {
			size_t j;

			v->len = 0;
			for (j = 0; j < ARRAY_LEN(tmpl); j++) {
				fill_line(one, sizeof(one), j, -1, NULL);
				if (j == i && k < ARRAY_LEN(damage)) {
					v->len += (size_t)snprintf(v->text + v->len,
								   sizeof(v->text) - v->len,
								   "%s%s\n", one, damage[k]);
				} else if (j == i && k == ARRAY_LEN(damage)) {
					/* a NUL in the middle of the line */
					size_t half = strlen(one) / 2;

					memcpy(v->text + v->len, one, half);
					v->text[v->len + half] = '\0';
					v->len += half + 1;
					v->len += (size_t)snprintf(v->text + v->len,
								   sizeof(v->text) - v->len, "%s\n",
								   one + half);
				} else if (j == i) {
					v->len += (size_t)snprintf(
						v->text + v->len, sizeof(v->text) - v->len,
						"%s\n%s\n", includes[k - ARRAY_LEN(damage) - 1],
						one);
				} else {
					v->len += (size_t)snprintf(v->text + v->len,
								   sizeof(v->text) - v->len, "%s\n",
								   one);
				}
			}
			v->file = NULL;
			v->line = (int)i + 1;
			/* a ')' at the end of line 1 is fine; the '{' on line 2 is not */
			v->line_alt =
				k < ARRAY_LEN(damage) && i + 1 < ARRAY_LEN(tmpl) ? (int)i + 2 : 0;
			snprintf(v->what, sizeof(v->what), "line %zu: %s", i + 1,
				 k < ARRAY_LEN(damage)	? damage[k] :
				 k == ARRAY_LEN(damage) ? "NUL" :
							  includes[k - ARRAY_LEN(damage) - 1]);
			run(v);
		}
	}

	/* 4. the prefix-set file: a bad line at each position */
	for (i = 0; i < ARRAY_LEN(set_lines); i++) {
		for (k = 0; k < 3; k++) {
			char set[512];
			size_t n = 0, j, bl = strlen(set_lines[i]);

			if (set_lines[i][0] == 'x')
				bl = 3; /* "x\0y" */
			if (set_lines[i][0] == '\xef' && k == 0)
				continue; /* a leading byte-order mark is fine */
			for (j = 0; j < k; j++)
				n += (size_t)snprintf(set + n, sizeof(set) - n, "198.18.%zu.0/24\n",
						      j);
			memcpy(set + n, set_lines[i], bl);
			n += bl;
			set[n++] = '\n';
			n += (size_t)snprintf(set + n, sizeof(set) - n, "%s", good_set);
			write_file(setfile, set, n);
			build(v, -1, NULL);
			v->file = setfile;
			v->line = (int)k + 1;
			snprintf(v->what, sizeof(v->what), "set file line %zu: %s", k + 1,
				 set_lines[i]);
			run(v);
		}
	}
	write_file(setfile, good_set, sizeof(good_set) - 1);

	print_message("      %d of %d invalid policies rejected with FILE:LINE at the mistake\n",
		      nrejected, nvariants);
	assert_true(nvariants >= 500);
	assert_int_equal(nrejected, nvariants);
	free(v);
}

/* the directory lives in setup/teardown, so a failing variant leaves nothing */
static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ft-inv-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
