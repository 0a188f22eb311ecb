// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for egress and ingress shaping: the policy keys (config.c) and
 * the HTB plan (shaping.c) a policy turns into. The kernel side is covered
 * by tests/integration/test_shaping.sh and test_ingress_shaping.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "shaping.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define HEAD	"interfaces = ( { name = \"eth0\"; egress_shaping = { %s }; } );\n"

static int parse(const char *text, struct ft_policy *pol, char *diag, size_t len)
{
	struct ft_diag d = { 0 };
	int err;

	memset(pol, 0, sizeof(*pol));
	err = ft_config_parse(text, "t.conf", ".", pol, &d);
	snprintf(diag, len, "%s", d.text ? d.text : "");
	ft_diag_free(&d);
	return err;
}

/* The plan of a policy with guaranteed, ceiled, shared and merged classes. */
static void test_plan(void **state)
{
	static const char text[] =
		"interfaces = ( { name = \"eth0\"; egress_shaping = { rate = \"100mbit\";\n"
		"  leaf = \"sfq\"; default_class = \"default\"; }; } );\n"
		"classes = (\n"
		"  { name = \"voice\"; mark = 1; priority = \"1:10\"; rate = \"10mbit\"; },\n"
		"  { name = \"video\"; mark = 2; priority = \"1:10\"; rate = \"20mbit\"; ceil = \"50mbit\"; },\n"
		"  { name = \"bulk\";  mark = 3; priority = \"1:50\"; ceil = \"4mbit\"; burst = \"15k\"; },\n"
		"  { name = \"default\"; mark = 4; priority = \"1:40\"; quantum = 1514; },\n"
		"  { name = \"other\"; mark = 5; priority = \"2:1\"; }\n"
		");\n"
		"rules = ( { match = { proto = \"udp\"; }; class = \"voice\"; },\n"
		"  { match = { proto = \"tcp\"; }; class = \"video\"; },\n"
		"  { match = { dport = 1; }; class = \"bulk\"; },\n"
		"  { match = { dport = 2; }; class = \"other\"; } );\n"
		"default_class = \"default\";\n";
	static const struct ft_htb_class want[] = {
		/* voice + video share 1:10: rates add up, the larger ceil (voice's
		 * default, the interface rate) wins */
		{ 0x10010, 3750000, 12500000, 0, 0, "voice" },
		/* 70 mbit left for two unrated classes: 35 each, capped at the ceil */
		{ 0x10040, 4375000, 12500000, 0, 1514, "default" },
		{ 0x10050, 500000, 500000, 15360, 0, "bulk" },
	};
	struct ft_htb_class got[8];
	struct ft_policy pol;
	char diag[1024];
	int n, i;

	(void)state;
	if (parse(text, &pol, diag, sizeof(diag)))
		fail_msg("policy refused:\n%s", diag);
	assert_true(pol.ifaces[0].egress_shaping.enabled);
	assert_int_equal(pol.ifaces[0].egress_shaping.leaf, FT_LEAF_SFQ);
	assert_int_equal(pol.ifaces[0].egress_shaping.default_class, 3);
	n = ft_shaping_plan(&pol, &pol.ifaces[0].egress_shaping, got, ARRAY_LEN(got));
	assert_int_equal(n, (int)ARRAY_LEN(want));
	for (i = 0; i < n; i++) {
		if (got[i].classid != want[i].classid || got[i].rate != want[i].rate ||
		    got[i].ceil != want[i].ceil || got[i].burst != want[i].burst ||
		    got[i].quantum != want[i].quantum || strcmp(got[i].name, want[i].name))
			fail_msg("class %d: got %#x rate %llu ceil %llu burst %u quantum %u %s, "
				 "want %#x rate %llu ceil %llu burst %u quantum %u %s", i,
				 got[i].classid, (unsigned long long)got[i].rate,
				 (unsigned long long)got[i].ceil, got[i].burst, got[i].quantum,
				 got[i].name, want[i].classid, (unsigned long long)want[i].rate,
				 (unsigned long long)want[i].ceil, want[i].burst, want[i].quantum,
				 want[i].name);
	}
	assert_int_equal(ft_shaping_plan(&pol, &pol.ifaces[0].egress_shaping, got, 2), -ENOSPC);
	ft_policy_free(&pol);
}

/* Every shaping mistake is refused with FILE:LINE and says what is wrong. */
static void test_errors(void **state)
{
	static const struct {
		const char *shaping;	/* inside egress_shaping */
		const char *classes;	/* the classes list */
		const char *want;
	} bad[] = {
		{ "", "{ name = \"a\"; mark = 1; priority = \"1:10\"; rate = \"200mbit\"; }",
		  "t.conf:1: error: eth0: the classes' guaranteed rates add up to 200mbit, more "
		  "than the interface rate 100mbit" },
		{ "=rate = \"fast\";", "{ name = \"a\"; mark = 1; }", "t.conf:1: error: 'fast' is not a rate" },
		{ "=leaf = \"sfq\";", "{ name = \"a\"; mark = 1; }",
		  "t.conf:1: error: egress_shaping has no 'rate'" },
		{ "leaf = \"red\";", "{ name = \"a\"; mark = 1; }", "t.conf:1: error: bad leaf 'red'" },
		{ "default_class = \"nope\";", "{ name = \"a\"; mark = 1; }",
		  "t.conf:1: error: egress_shaping: unknown default_class 'nope'" },
		{ "default_class = \"a\";", "{ name = \"a\"; mark = 1; priority = 7; }",
		  "default_class 'a' needs a priority \"1:X\"" },
		{ "", "{ name = \"a\"; mark = 1; priority = \"1:1\"; rate = \"1mbit\"; }",
		  "t.conf:2: error: class 'a' has a rate but its priority is not \"1:X\"" },
		{ "", "{ name = \"a\"; mark = 1; priority = \"1:10\"; rate = \"2mbit\"; ceil = \"1mbit\"; }",
		  "t.conf:2: error: class 'a': ceil is below its rate" },
		{ "", "{ name = \"a\"; mark = 1; priority = \"1:10\"; burst = \"0\"; }",
		  "t.conf:2: error: size '0' is out of range" },
		{ "color = 1;", "{ name = \"a\"; mark = 1; }", "t.conf:1: error: unknown" },
		{ "", "{ name = \"a\"; mark = 1; priority = \"1:10\"; rate = \"100mbit\"; },"
		      "{ name = \"b\"; mark = 2; priority = \"1:20\"; }",
		  "leave less than 8kbit for each of the 1 classes without a rate" },
	};
	struct ft_policy pol;
	char text[1024], diag[2048];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		char sh[256];

		/* "=..." replaces the rate, anything else comes after it */
		if (bad[i].shaping[0] == '=')
			snprintf(sh, sizeof(sh), "%s", bad[i].shaping + 1);
		else
			snprintf(sh, sizeof(sh), "rate = \"100mbit\"; %s", bad[i].shaping);
		snprintf(text, sizeof(text), HEAD "classes = ( %s );\n"
			 "rules = ( { match = { proto = \"udp\"; }; class = \"a\"; } );\n",
			 sh, bad[i].classes);
		if (!parse(text, &pol, diag, sizeof(diag))) {
			ft_policy_free(&pol);
			fail_msg("case %zu accepted, want \"%s\"", i, bad[i].want);
		}
		if (!strstr(diag, bad[i].want))
			fail_msg("case %zu: got\n%s\nwant \"%s\"", i, diag, bad[i].want);
	}
}

/* A rate without any shaped interface shapes nothing: a warning, not an error. */
static void test_rate_without_shaping(void **state)
{
	static const char text[] =
		"interfaces = ( { name = \"eth0\"; } );\n"
		"classes = ( { name = \"a\"; mark = 1; priority = \"1:10\"; rate = \"1mbit\"; } );\n"
		"rules = ( { match = { proto = \"udp\"; }; class = \"a\"; } );\n";
	struct ft_policy pol;
	char diag[1024];

	(void)state;
	if (parse(text, &pol, diag, sizeof(diag)))
		fail_msg("policy refused:\n%s", diag);
	assert_non_null(strstr(diag, "t.conf:2: warning: class 'a' has a rate, but no interface "
				     "has egress_shaping"));
	ft_policy_free(&pol);
}

/* ingress_shaping: the IFB's name, given, derived or cut, and its conflicts. */
static void test_ingress(void **state)
{
	static const struct {
		const char *ifaces;	/* the interfaces list */
		const char *verdict;	/* tc_verdict setting or "" */
		const char *ifb0;	/* want: the first interface's IFB, NULL = refused */
		const char *diag;	/* want in the diagnostics, or NULL */
	} cases[] = {
		{ "{ name = \"wan0\"; ingress_shaping = { rate = \"50mbit\"; }; }", "",
		  "ifb-wan0", NULL },
		{ "{ name = \"wan0\"; ingress_shaping = { rate = \"50mbit\"; ifb = \"down0\"; }; }",
		  "", "down0", NULL },
		{ "{ name = \"enp0s31f6.1000\"; ingress_shaping = { rate = \"50mbit\"; }; }", "",
		  "ifb-enp0s31f6.1",
		  "t.conf:2: warning: enp0s31f6.1000: the IFB device's name 'ifb-enp0s31f6.1000' "
		  "is longer than 15 characters: it is 'ifb-enp0s31f6.1' (name it with ifb = " },
		{ "{ name = \"enp0s31f6.1000\"; ingress_shaping = { rate = \"50mbit\"; }; },\n"
		  "{ name = \"enp0s31f6.1001\"; ingress_shaping = { rate = \"50mbit\"; }; }", "",
		  NULL, "t.conf:3: error: ingress_shaping: IFB device 'ifb-enp0s31f6.1' is "
			"enp0s31f6.1000's too (line 2)" },
		{ "{ name = \"wan0\"; ingress_shaping = { rate = \"50mbit\"; ifb = \"lan0\"; }; },\n"
		  "{ name = \"lan0\"; }", "", NULL,
		  "t.conf:2: error: ingress_shaping: the IFB device 'lan0' is the policy interface "
		  "of line 3" },
		{ "{ name = \"wan0\"; ingress_shaping = { rate = \"50mbit\"; ifb = \"a-very-long-ifb-name\"; }; }",
		  "", NULL, "t.conf:2: error: ifb name 'a-very-long-ifb-name' is longer than 15" },
		{ "{ name = \"wan0\"; ingress_shaping = { rate = \"50mbit\"; replace_root = true; }; }",
		  "", NULL, "t.conf:2: error: unknown" },
		{ "{ name = \"wan0\"; ingress_shaping = { leaf = \"sfq\"; }; }", "", NULL,
		  "t.conf:2: error: ingress_shaping has no 'rate'" },
		{ "{ name = \"ppp*\"; ingress_shaping = { rate = \"50mbit\"; ifb = \"down0\"; }; }",
		  "", NULL,
		  "t.conf:2: error: ingress_shaping: 'ppp*' is a pattern, and one IFB device cannot "
		  "shape several interfaces" },
		{ "{ name = \"wan0\"; ingress_shaping = { rate = \"50mbit\"; }; }",
		  "tc_verdict = \"ok\";", NULL,
		  "t.conf:2: error: ingress_shaping needs tc_verdict \"continue\"" },
	};
	struct ft_policy pol;
	char text[1024], diag[2048];
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text),
			 "%s\ninterfaces = ( %s );\n"
			 "classes = ( { name = \"a\"; mark = 1; priority = \"1:10\"; rate = \"1mbit\"; } );\n"
			 "rules = ( { match = { proto = \"udp\"; }; class = \"a\"; } );\n",
			 cases[i].verdict, cases[i].ifaces);
		err = parse(text, &pol, diag, sizeof(diag));
		if (cases[i].ifb0 && err)
			fail_msg("case %zu refused:\n%s", i, diag);
		if (!cases[i].ifb0 && !err) {
			ft_policy_free(&pol);
			fail_msg("case %zu accepted, want \"%s\"", i, cases[i].diag);
		}
		if (cases[i].diag && !strstr(diag, cases[i].diag))
			fail_msg("case %zu: got\n%s\nwant \"%s\"", i, diag, cases[i].diag);
		if (cases[i].ifb0) {
			assert_true(pol.ifaces[0].ingress_shaping.enabled);
			assert_false(pol.ifaces[0].egress_shaping.enabled);
			assert_string_equal(pol.ifaces[0].ingress_shaping.ifb, cases[i].ifb0);
			ft_policy_free(&pol);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_rate_without_shaping),
		cmocka_unit_test(test_ingress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
