// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy's own tests (tests = ( ... )): reading the entries, every
 * error at its FILE:LINE, running them against the compiled policy in
 * ft_prepare(); and the shadow analysis (shadow.c): rules it must call
 * shadowed, rules it must not, and random policies where no rule it calls
 * shadowed is ever matched by a random packet.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <errno.h>
#include <time.h>

#include "cfgtest.h"
#include "pktspec.h"
#include "prepare.h"
#include "randpol.h"
#include "shadow.h"

#define HEAD \
	"interfaces = ( { name = \"d0\"; }, { name = \"ppp*\"; } );\n"			/* 1 */ \
	"mark_mask = 0x0000ff00;\n"							/* 2 */ \
	"classes = ( { name = \"voice\"; mark = 0x100; }, { name = \"bulk\"; mark = 0x200; },\n" /* 3 */ \
	"            { name = \"default\"; mark = 0x400; } );\n"			/* 4 */ \
	"prefix_sets = ( { name = \"blocked\"; prefixes = [ \"198.51.100.0/24\" ]; } );\n" /* 5 */ \
	"rules = (\n"									/* 6 */ \
	"  { name = \"sip\"; match = { proto = \"udp\"; dport = \"5060-5061\"; }; class = \"voice\"; },\n" /* 7 */ \
	"  { match = { src = \"@blocked\"; }; action = \"drop\"; },\n"			/* 8 */ \
	"  { match = { iif = \"d0\"; proto = \"tcp\"; dport = 22; }; class = \"bulk\"; },\n" /* 9 */ \
	"  { match = { iif = \"ppp*\"; proto = \"icmp\"; }; action = \"pass\"; }\n"	/* 10 */ \
	");\n"										/* 11 */ \
	"default_class = \"default\";\n"						/* 12 */ \
	"tests = (\n"									/* 13 */

static int prep(const char *text, unsigned int flags, struct ft_prepared *p)
{
	return ft_prepare(&(struct ft_prepare_opts){ .text = text, .name = "t.conf",
						     .flags = flags, .binder = FT_BIND_NONE }, p);
}

/* HEAD, the test lines @tests (from line 14 on), ");" */
static int prep_tests(const char *tests, struct ft_prepared *p)
{
	char text[8192];

	snprintf(text, sizeof(text), "%s%s);\n", HEAD, tests);
	return prep(text, 0, p);
}

static void dump(const struct ft_prepared *p)
{
	char line[1024];
	size_t i;

	for (i = 0; i < p->diag.nentries; i++)
		fprintf(stderr, "# %s\n", ft_diag_line(&p->diag, i, line, sizeof(line)));
}

static void test_pass(void **st)
{
	struct ft_prepared p;

	(void)st;
	assert_int_equal(prep_tests(
		"  { packet = \"proto udp src 198.18.0.9 dport 5060\"; expect = \"voice\"; rule = \"sip\"; },\n"
		"  { packet = \"src 198.51.100.7 proto tcp dport 80\"; expect = \"drop\"; },\n"
		"  { packet = \"proto tcp src 198.18.0.1 dport 9\"; expect = \"default\"; },\n"
		"  { packet = \"proto tcp src 198.18.0.1 dport 22 iif d0\"; expect = \"bulk\"; },\n"
		"  { packet = \"proto tcp src 198.18.0.1 dport 22\"; expect = \"default\"; },\n"
		"  { packet = \"proto icmp src fd00::1 iif ppp0\"; expect = \"pass\"; },\n"
		"  { packet = \"vlan 7\"; expect = \"default\"; }\n", &p), 0);
	dump(&p);
	assert_int_equal(p.diag.nerrors, 0);
	assert_int_equal(p.pol.ntests, 7);
	/* the tests' iif binding is undone: the binder's (none) is what compiled */
	assert_int_equal(p.pol.rules[2].match.iif_index[0], 0);
	ft_prepared_free(&p);
}

static void test_fail_rejects(void **st)
{
	struct ft_prepared p;

	(void)st;
	assert_int_equal(prep_tests(
		"  { packet = \"proto udp src 198.18.0.9 dport 5060\"; expect = \"voice\"; },\n"
		"  { packet = \"proto udp src 198.51.100.9 dport 5060\"; expect = \"drop\"; },\n"
		"  { packet = \"proto tcp src 198.18.0.1 dport 22 iif d0\"; expect = \"voice\"; },\n"
		"  { packet = \"proto udp src 198.18.0.9 dport 5060\"; expect = \"voice\"; rule = \"sip\"; },\n"
		"  { packet = \"proto tcp src 198.18.0.1 dport 9\"; expect = \"pass\"; }\n", &p),
		-EINVAL);
	dump(&p);
	assert_false(p.parsed);
	assert_int_equal(p.diag.nerrors, 3);
	assert_true(diag_has(&p.diag, "t.conf", 15, "error",
			     "test failed: packet \"proto udp src 198.51.100.9 dport 5060\" expected "
			     "drop, got class voice (rule 0 'sip', line 7)"));
	assert_true(diag_has(&p.diag, "t.conf", 16, "error", "expected class voice, got class bulk"));
	assert_true(diag_has(&p.diag, "t.conf", 18, "error",
			     "expected pass, got class default (no rule matched: default_class)"));
	ft_prepared_free(&p);
}

/* Each bad entry: its error at its line. */
static void test_bad_entries(void **st)
{
	static const struct {
		const char *entry;
		const char *msg;
	} bad[] = {
		{ "{ packet = \"proto udp dport 5060\"; expect = \"voice\"; }",
		  "give src, dst or family" },
		{ "{ packet = \"family ipv4 proto udp dport 5060 colour red\"; expect = \"voice\"; }",
		  "unknown key 'colour'" },
		{ "{ packet = \"family ipv4 proto icmp dport 5\"; expect = \"voice\"; }",
		  "only tcp, udp, sctp and udplite packets have ports" },
		{ "{ packet = \"src 1.2.3.4 proto udp dport 70000\"; expect = \"voice\"; }",
		  "dport must be a port 0..65535" },
		{ "{ packet = \"src 1.2.3.4 proto udp\"; expect = \"gold\"; }",
		  "test expects 'gold', which is no class" },
		{ "{ packet = \"src 1.2.3.4 proto udp\"; expect = \"voice\"; colour = 1; }",
		  "unknown key 'colour' in test" },
		{ "{ expect = \"voice\"; }", "test has no 'packet'" },
		{ "{ packet = \"src 1.2.3.4 proto udp\"; }", "test has no 'expect'" },
		{ "{ packet = \"src 1.2.3.4 proto udp\"; expect = \"voice\"; rule = \"nope\"; }",
		  "no rule has that name" },
		{ "{ packet = \"src 1.2.3.4 proto udp iif eth9\"; expect = \"voice\"; }",
		  "iif 'eth9' is not an interface listed" },
		{ "{ packet = \"src 1.2.3.4 proto udp iif ppp*\"; expect = \"voice\"; }",
		  "iif 'ppp*' is not an interface listed" },
		{ "{ packet = 5; expect = \"voice\"; }", "'packet' must be a string" },
		{ "{ packet = \"\"; expect = \"voice\"; }", "no packet" },
	};
	char entries[256];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ft_prepared p;

		/* a good test first, the bad one on line 15 */
		snprintf(entries, sizeof(entries),
			 "  { packet = \"proto udp src 198.18.0.9 dport 5060\"; expect = \"voice\"; },\n"
			 "  %s\n", bad[i].entry);
		assert_int_equal(prep_tests(entries, &p), -EINVAL);
		if (!diag_has(&p.diag, "t.conf", 15, "error", bad[i].msg)) {
			fprintf(stderr, "# entry %s: want '%s' at line 15, got:\n", bad[i].entry,
				bad[i].msg);
			dump(&p);
			fail();
		}
		assert_int_equal(p.diag.nerrors, 1);
		ft_prepared_free(&p);
	}
}

/* "default" means no rule matched, unless a class has that name */
static void test_default_keyword(void **st)
{
	struct ft_prepared p;

	(void)st;
	assert_int_equal(prep("interfaces = ( { name = \"d0\"; } );\nclasses = ( { name = \"a\"; mark = 1; } );\n"
			      "rules = ( { name = \"r\"; match = { proto = \"udp\"; }; class = \"a\"; } );\n"
			      "tests = ( { packet = \"src 1.2.3.4 proto tcp\"; expect = \"default\"; },\n"
			      "  { packet = \"src 1.2.3.4 proto tcp\"; expect = \"pass\"; },\n"
			      "  { packet = \"src 1.2.3.4 proto udp\"; expect = \"default\"; rule = \"r\"; } );\n",
			      0, &p), -EINVAL);
	dump(&p);
	assert_int_equal(p.diag.nerrors, 1);
	assert_true(diag_has(&p.diag, "t.conf", 6, "error", "cannot name a rule too"));
	ft_prepared_free(&p);
}

static void test_pkt_spec(void **st)
{
	struct ft_pkt_spec s;
	char err[256];

	(void)st;
	assert_int_equal(ft_pkt_spec_parse_str("  proto tcp\tsrc 198.18.0.1  dport 22 ", &s, err,
					       sizeof(err)), 0);
	assert_int_equal(s.d.family, AF_INET);
	assert_int_equal(s.d.proto, 6);
	assert_int_equal(s.d.dport, 22);
	assert_int_equal(s.d.sport, 0);
	assert_int_equal(s.d.tcp_flags, 0);
	assert_int_equal(s.d.dscp, 0);
	assert_int_equal(ft_pkt_spec_parse_str("iif d0 vlan 5", &s, err, sizeof(err)), 0);
	assert_int_equal(s.d.family, 0);
	assert_string_equal(s.iif, "d0");
	assert_int_equal(s.d.vlan, 5);
	assert_int_equal(ft_pkt_spec_parse_str("src 1.2.3.4 dst fd00::1 proto udp", &s, err,
					       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not of the packet's address family"));
	assert_int_equal(ft_pkt_spec_parse_str("src 1.2.3.4 src 1.2.3.5 proto udp", &s, err,
					       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(ft_pkt_spec_parse_str("proto", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
}

/* ---- shadowed rules ---- */

/* ft_prepare() with the analysis of @rules (a rules = ( ... ) body) in a fixed head */
static void shadow_prep(const char *rules, struct ft_prepared *p)
{
	char text[8192];

	snprintf(text, sizeof(text),
		 "interfaces = ( { name = \"d0\"; }, { name = \"d1\"; }, { name = \"ppp*\"; } );\n" /* 1 */
		 "classes = ( { name = \"a\"; mark = 0x1; }, { name = \"b\"; mark = 0x2; } );\n"	/* 2 */
		 "prefix_sets = ( { name = \"s\"; prefixes = [ \"10.0.0.0/8\", \"fd00::/8\" ]; } );\n" /* 3 */
		 "rules = (\n%s\n);\n", rules);							/* 4, rules from 5 */
	/* bound as flowtagctl check and flowtagd --check do */
	if (ft_prepare(&(struct ft_prepare_opts){ .text = text, .name = "t.conf",
						  .flags = FT_PREPARE_ANALYZE,
						  .binder = FT_BIND_ASSUME_PRESENT }, p)) {
		dump(p);
		fail();
	}
}

/* The warnings of the shadow analysis in @p. */
static int nshadow(const struct ft_prepared *p)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->diag.nentries; i++)
		n += !strncmp(p->diag.entries[i].message, "rule ", 5) &&
		     strstr(p->diag.entries[i].message, "can never match");
	return n;
}

/* Whether the analysis warns that the rule at @line can never match. */
static bool warned(const struct ft_prepared *p, int line)
{
	return diag_has(&p->diag, "t.conf", line, "warning", "can never match");
}

static void test_shadow_true(void **st)
{
	static const char *const cases[] = {
		/* the same match again */
		"{ match = { proto = \"udp\"; dport = 53; }; class = \"a\"; },\n"
		"{ match = { proto = \"udp\"; dport = 53; }; class = \"b\"; }",
		/* a narrower prefix, port and protocol */
		"{ match = { src = \"10.0.0.0/8\"; }; class = \"a\"; },\n"
		"{ match = { src = \"10.1.2.0/24\"; proto = \"tcp\"; dport = 80; }; class = \"b\"; }",
		/* two ranges that cover a third between them */
		"{ match = { dport = \"1-100\"; }; class = \"a\"; },\n"
		"{ match = { dport = \"101-200\"; }; class = \"a\"; },\n"
		"{ match = { dport = \"50-150\"; proto = \"tcp\"; }; class = \"b\"; }",
		/* a prefix set covers a literal prefix inside it, both families */
		"{ match = { src = \"@s\"; }; action = \"drop\"; },\n"
		"{ match = { src = [ \"10.9.0.0/16\", \"fd00:1::/32\" ]; }; class = \"b\"; }",
		/* udp and tcp, then both */
		"{ match = { proto = \"udp\"; }; class = \"a\"; },\n"
		"{ match = { proto = \"tcp\"; }; class = \"a\"; },\n"
		"{ match = { proto = [ \"tcp\", \"udp\" ]; dport = 443; }; class = \"b\"; }",
		/* an interface by name after the same interface with more */
		"{ match = { iif = \"d0\"; }; class = \"a\"; },\n"
		"{ match = { iif = \"d0\"; dscp = \"EF\"; }; class = \"b\"; }",
		/* family ipv6 covers every IPv6 prefix */
		"{ match = { family = \"ipv6\"; }; class = \"a\"; },\n"
		"{ match = { dst = \"fd00::/8\"; }; class = \"b\"; }",
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ft_prepared p;
		int last = 5;
		const char *c;

		for (c = cases[i]; *c; c++)
			last += *c == '\n';
		shadow_prep(cases[i], &p);
		if (!warned(&p, last)) {
			fprintf(stderr, "# case %zu: the rule at line %d is not reported\n", i, last);
			dump(&p);
			fail();
		}
		if (nshadow(&p) != 1) {
			fprintf(stderr, "# case %zu: more than one rule reported\n", i);
			dump(&p);
			fail();
		}
		ft_prepared_free(&p);
	}
}

static void test_shadow_false(void **st)
{
	static const char *const cases[] = {
		/* the narrower rule first */
		"{ match = { src = \"10.1.2.0/24\"; proto = \"tcp\"; }; class = \"a\"; },\n"
		"{ match = { src = \"10.0.0.0/8\"; }; class = \"b\"; }",
		/* the earlier rule covers IPv4 only, the later one any family */
		"{ match = { family = \"ipv4\"; proto = \"udp\"; }; class = \"a\"; },\n"
		"{ match = { proto = \"udp\"; dport = 53; }; class = \"b\"; }",
		/* ranges with a gap */
		"{ match = { dport = \"1-100\"; }; class = \"a\"; },\n"
		"{ match = { dport = \"102-200\"; }; class = \"a\"; },\n"
		"{ match = { dport = \"50-150\"; }; class = \"b\"; }",
		/* a set that covers only part of the prefix */
		"{ match = { src = \"@s\"; }; action = \"drop\"; },\n"
		"{ match = { src = \"8.0.0.0/6\"; }; class = \"b\"; }",
		/* an earlier rule on one interface: packets of others reach the later rule */
		"{ match = { iif = \"d0\"; }; class = \"a\"; },\n"
		"{ match = { dscp = \"EF\"; }; class = \"b\"; }",
		/* an interface pattern: interfaces may appear later */
		"{ match = { iif = \"d0\"; }; class = \"a\"; },\n"
		"{ match = { iif = \"ppp*\"; }; class = \"b\"; }",
		/* a truncated packet has no ports: the later rule needs none */
		"{ match = { proto = \"tcp\"; dport = \"0-65535\"; }; class = \"a\"; },\n"
		"{ match = { proto = \"tcp\"; }; class = \"b\"; }",
		/* TCP flags: SYN without ACK first, then every SYN */
		"{ match = { proto = \"tcp\"; tcp_flags = \"syn/syn,ack\"; }; class = \"a\"; },\n"
		"{ match = { proto = \"tcp\"; tcp_flags = \"syn\"; }; class = \"b\"; }",
		/* DSCP lists that overlap only */
		"{ match = { dscp = [ \"EF\", \"AF41\" ]; }; class = \"a\"; },\n"
		"{ match = { dscp = [ \"AF41\", \"CS1\" ]; }; class = \"b\"; }",
		/* non-IP frames on a VLAN reach a vlan rule after an L3 rule */
		"{ match = { src = \"0.0.0.0/0\"; }; class = \"a\"; },\n"
		"{ match = { src = \"::/0\"; }; class = \"a\"; },\n"
		"{ match = { vlan = 5; }; class = \"b\"; }",
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ft_prepared p;

		shadow_prep(cases[i], &p);
		if (nshadow(&p)) {
			fprintf(stderr, "# case %zu: a wrong warning\n", i);
			dump(&p);
			fail();
		}
		ft_prepared_free(&p);
	}
}

/* A class only shadowed rules use is reported too; an unused one by the parser. */
static void test_shadow_class(void **st)
{
	struct ft_prepared p;

	(void)st;
	shadow_prep("{ match = { proto = \"udp\"; }; class = \"a\"; },\n"
		    "{ match = { proto = \"udp\"; dport = 5; }; class = \"b\"; }", &p);
	assert_true(warned(&p, 6));
	assert_true(diag_has(&p.diag, "t.conf", 2, "warning",
			     "class 'b' is used only by rules that can never match"));
	ft_prepared_free(&p);
}

/* Random policies: no rule called shadowed is ever chosen for a random packet. */
static void test_shadow_random(void **st)
{
	const char *env = getenv("FT_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
	uint64_t s = seed;
	size_t i, j, claimed = 0, wrong = 0;

	(void)st;
	for (i = 0; i < 300; i++) {
		struct ft_policy pol;
		struct ft_compiled c = { 0 };
		size_t nrules = 1 + rp_below(&s, 30);
		bool *sh = calloc(nrules, sizeof(*sh));

		assert_non_null(sh);
		rp_policy(&s, &pol, nrules);
		assert_int_equal(ft_compile(&pol, &c), 0);
		assert_int_equal(ft_shadow_find(&pol, &c, sh, NULL), 0);
		for (j = 0; j < nrules; j++)
			claimed += sh[j];
		for (j = 0; j < 3000; j++) {
			struct ft_pkt_desc d;
			int r;

			rp_packet(&s, &d, 4);
			r = ft_reference_match(&pol, &d);
			if (r >= 0 && sh[r] && wrong++ < 5)
				fprintf(stderr, "# seed %#llx policy %zu: rule %d called shadowed, "
					"but a packet matches it\n", (unsigned long long)seed, i, r);
		}
		free(sh);
		ft_compiled_free(&c);
		ft_policy_free(&pol);
	}
	fprintf(stderr, "# %zu rules called shadowed in 300 random policies\n", claimed);
	assert_int_equal(wrong, 0);
	assert_true(claimed > 0);
}

/* The analysis of the largest policy is bounded in time (its budget). */
static void test_shadow_bounded(void **st)
{
	uint64_t s = 12345;
	struct ft_policy pol;
	struct ft_compiled c = { 0 };
	struct timespec t0, t1;
	bool *sh = calloc(FT_MAX_RULES, sizeof(*sh));
	double secs;

	(void)st;
	assert_non_null(sh);
	rp_policy(&s, &pol, FT_MAX_RULES);
	assert_int_equal(ft_compile(&pol, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ft_shadow_find(&pol, &c, sh, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "# %d random rules analysed in %.2f s (ASan build)\n", FT_MAX_RULES, secs);
	assert_true(secs < 60);
	free(sh);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/* Seconds since @t0 (CLOCK_MONOTONIC). */
static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * flowtagctl check binds iif names as if every interface existed: one
 * name, one made-up ifindex. It looked each name up among all earlier
 * ones: 5x10^9 comparisons for an iif list of 100000 names, minutes for
 * 200000; now such a list is refused as too many interfaces at once (a
 * second or two under ASan, most of it reading the list), and names still
 * share their index.
 */
static void test_assume_present_iifs(void **state)
{
	static const char head[] = "interfaces = ( { name = \"e*\"; } );\n"
				   "classes = ( { name = \"c\"; mark = 1; } );\n";
	struct ft_prepared p;
	struct timespec t0;
	const struct ft_match *m0, *m1;
	char *text, *q;
	double secs;
	int i, err;

	(void)state;
	text = malloc(sizeof(head) + 100000 * 12 + 128);
	assert_non_null(text);
	sprintf(text,
		"%srules = ( { match = { iif = [ \"e1\", \"e2\", \"e1\" ]; }; class = \"c\"; },\n"
		"          { match = { iif = [ \"e3\", \"e2\" ]; }; class = \"c\"; } );\n",
		head);
	err = ft_prepare(&(struct ft_prepare_opts){ .text = text, .name = "t.conf",
						    .binder = FT_BIND_ASSUME_PRESENT }, &p);
	if (err)
		dump(&p);
	assert_int_equal(err, 0);
	m0 = &p.pol.rules[0].match;
	m1 = &p.pol.rules[1].match;
	assert_int_equal(m0->iif_index[0], 1);
	assert_int_equal(m0->iif_index[1], 2);
	assert_int_equal(m0->iif_index[2], 1);
	assert_int_equal(m1->iif_index[0], 3);
	assert_int_equal(m1->iif_index[1], 2);
	ft_prepared_free(&p);

	q = text + sprintf(text, "%srules = ( { match = { iif = [ ", head);
	for (i = 0; i < 100000; i++)
		q += sprintf(q, "%s\"e%d\"", i ? "," : "", i);
	strcpy(q, " ]; }; class = \"c\"; } );\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = ft_prepare(&(struct ft_prepare_opts){ .text = text, .name = "t.conf",
						    .binder = FT_BIND_ASSUME_PRESENT }, &p);
	secs = secs_since(&t0);
	print_message("      an iif list of 100000 names refused in %.3f s\n", secs);
	assert_int_equal(err, -E2BIG);
	assert_true(secs < 10);
	ft_prepared_free(&p);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkt_spec),
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_fail_rejects),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_default_keyword),
		cmocka_unit_test(test_shadow_true),
		cmocka_unit_test(test_shadow_false),
		cmocka_unit_test(test_shadow_class),
		cmocka_unit_test(test_shadow_random),
		cmocka_unit_test(test_shadow_bounded),
		cmocka_unit_test(test_assume_present_iifs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
