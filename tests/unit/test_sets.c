// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Dynamic prefix sets: the policy keys (dynamic, size, timeout) with every
 * error at its FILE:LINE, what the compiler makes of them (ft_dynpol order,
 * ft_dynor bitmaps, the static tries without them), and the arguments of
 * flowtagctl set, each error with its message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cfgtest.h"
#include "compile.h"
#include "config.h"
#include "setargs.h"
#include "strparse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char head[] = "interfaces = ( { name = \"d0\"; } ); "
			   "classes = ( { name = \"c\"; mark = 0x100; } );\n";

/* Parse @text (after head), returning the parser's result; @pol, @d filled. */
static int parse(const char *text, struct ft_policy *pol, struct ft_diag *d)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", head, text);
	memset(pol, 0, sizeof(*pol));
	memset(d, 0, sizeof(*d));
	return ft_config_parse_buf(buf, strlen(buf), "t.conf", "/tmp", 0, pol, d);
}

/* Bad policies: the error and its line (line 1 is head). */
static const struct {
	const char *text;
	int line;
	const char *msg;
} bad[] = {
	{ "prefix_sets = ( { name = \"s\"; dynamic = 1; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "a boolean" },
	{ "prefix_sets = ( { name = \"s\"; prefixes = [\"198.18.0.0/24\"]; size = 10; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "'size' needs dynamic = true" },
	{ "prefix_sets = ( { name = \"s\"; prefixes = [\"198.18.0.0/24\"]; timeout = 10; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "'timeout' needs dynamic = true" },
	{ "prefix_sets = ( { name = \"s\"; dynamic = true;\n size = 0; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  3, "size 0 out of range (1..16777216)" },
	{ "prefix_sets = ( { name = \"s\"; dynamic = true; size = 16777217; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "out of range" },
	{ "prefix_sets = ( { name = \"s\"; dynamic = true;\n\n timeout = -1; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  4, "timeout -1 out of range" },
	{ "prefix_sets = ( { name = \"s\"; dynamic = true; timeout = \"1h\"; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "an integer" },
	{ "prefix_sets = ( { name = \"s\"; dynamic = true; size = 1; "
	  "prefixes = [\"198.18.0.0/24\", \"198.18.1.0/24\"]; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "2 initial prefixes, more than its size 1" },
	{ "prefix_sets = ( { name = \"s\"; dynamic = true; sizes = 5; } );\n"
	  "rules = ( { match = { src = \"@s\"; }; action = \"drop\"; } );",
	  2, "sizes" },
	{ "prefix_sets = ( { name = \"a\"; dynamic = true; }, { name = \"b\"; dynamic = true; },\n"
	  "{ name = \"c\"; dynamic = true; }, { name = \"d\"; dynamic = true; },\n"
	  "{ name = \"e\"; dynamic = true; }, { name = \"f\"; dynamic = true; },\n"
	  "{ name = \"g\"; dynamic = true; }, { name = \"h\"; dynamic = true; },\n"
	  "{ name = \"i\"; dynamic = true; } );\n"
	  "rules = ( { match = { src = [\"@a\", \"@b\", \"@c\", \"@d\"]; }; action = \"drop\"; },\n"
	  "{ match = { dst = [\"@e\", \"@f\", \"@g\", \"@h\"]; }; action = \"drop\"; },\n"
	  "{ match = { dst = \"@i\"; }; action = \"drop\"; } );",
	  9, "more than 8 dynamic sets ('i' is one too many)" },
};

static void test_config_errors(void **st)
{
	size_t i;

	(void)st;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		struct ft_policy pol;
		struct ft_diag d;
		int err = parse(bad[i].text, &pol, &d);

		if (!err || !diag_has(&d, "t.conf", bad[i].line, "error", bad[i].msg)) {
			char line[1024];
			size_t k;

			fprintf(stderr, "# case %zu: err %d, want line %d '%s', got:\n", i, err,
				bad[i].line, bad[i].msg);
			for (k = 0; k < d.nentries; k++)
				fprintf(stderr, "#   %s\n", ft_diag_line(&d, k, line, sizeof(line)));
			fail();
		}
		assert_true(policy_is_zero(&pol));
		ft_diag_free(&d);
	}
}

/* A dynamic set without content is legal; size and timeout as written. */
static void test_config_good(void **st)
{
	struct ft_policy pol;
	struct ft_diag d;

	(void)st;
	assert_int_equal(parse("prefix_sets = ( { name = \"s\"; dynamic = true; size = 1000000;"
			       " timeout = 30; },\n { name = \"e\"; dynamic = true; } );\n"
			       "rules = ( { match = { src = \"@s\"; dst = \"@e\"; };"
			       " action = \"drop\"; } );",
			       &pol, &d),
			 0);
	assert_int_equal(pol.nsets, 2);
	assert_true(pol.sets[0].dynamic);
	assert_int_equal(pol.sets[0].size, 1000000);
	assert_int_equal(pol.sets[0].timeout, 30);
	assert_int_equal(pol.sets[1].size, FT_SET_DEFAULT_SIZE);
	assert_int_equal(pol.sets[1].timeout, 0);
	/* no "empty set" warning for a dynamic set */
	assert_false(diag_has(&d, "t.conf", 2, "warning", "is empty"));
	ft_diag_free(&d);
	ft_policy_free(&pol);
}

/* The compiler: the rule's bit comes from ft_dynor, never from the static trie. */
static void test_compile_dynamic(void **st)
{
	struct ft_compiled c = { 0 };
	struct ft_policy pol;
	struct ft_diag d;
	struct ft_flow_key k = { .family = FT_FAM_IPV4, .ifindex = 1, .vlan = FT_VLAN_NONE };
	struct ft_prefix p;
	char err[64];

	(void)st;
	assert_int_equal(parse("prefix_sets = ( { name = \"s\"; dynamic = true; family = 1; } );",
			       &pol, &d),
			 -EINVAL);
	ft_diag_free(&d);
	assert_int_equal(parse("prefix_sets = ( { name = \"s\"; dynamic = true;"
			       " prefixes = [\"198.18.0.0/24\"]; } );\n"
			       "rules = ( { match = { src = [\"10.0.0.0/8\", \"@s\"]; };"
			       " action = \"drop\"; },\n"
			       " { match = { family = \"ipv6\"; dst = \"@s\"; }; action = \"pass\"; } );",
			       &pol, &d),
			 0);
	ft_diag_free(&d);
	assert_int_equal(ft_compile(&pol, &c), 0);
	assert_true(c.hdr.flags & FT_POL_F_DYNSETS);
	assert_int_equal(c.ndyn, 1);
	assert_int_equal(c.dyn[0].fields, FT_SET_E_SRC | FT_SET_E_DST);
	/* the static IPv4 src trie: the root and 10/8 only, not 198.18.0.0/24 */
	assert_int_equal(c.nsrc4, 2);

	assert_int_equal(ft_parse_prefix("198.18.0.9", &p, err, sizeof(err)), 0);
	memcpy(k.src, p.addr, 4);
	assert_int_equal(ft_compiled_dyn_hits(&c, &k), 1);
	assert_int_equal(ft_compiled_match(&c, &k), 0);
	/* the set is src of rule 0, dst of rule 1 (IPv6 only): an IPv4 dst hit adds nothing */
	memcpy(k.dst, p.addr, 4);
	memset(k.src, 0, sizeof(k.src));
	assert_int_equal(ft_compiled_dyn_hits(&c, &k), 1u << FT_MAX_DYNSETS);
	assert_int_equal(ft_compiled_match(&c, &k), FT_RULE_NONE);
	/* the set's content is what the compiler and the reference take it to be */
	pol.sets[0].npfx = 0;
	assert_int_equal(ft_compiled_dyn_hits(&c, &k), 0);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/* flowtagctl set's arguments: the good forms, then every error. */
static void test_args(void **st)
{
	static const struct {
		const char *argv[8];
		const char *file;
		const char *err;	/* NULL: valid */
	} cases[] = {
		{ { "add", "blocked", "198.18.0.1", "fd00::/8" }, NULL, NULL },
		{ { "add", "blocked", "198.18.0.0/24", "timeout", "30" }, NULL, NULL },
		{ { "add", "blocked", "timeout", "0" }, "f.txt", NULL },
		{ { "del", "blocked", "198.18.0.0/24" }, NULL, NULL },
		{ { "del", "blocked" }, "f.txt", NULL },
		{ { "list", "blocked" }, NULL, NULL },
		{ { "flush", "blocked" }, NULL, NULL },
		{ { NULL }, NULL, "set needs a subcommand" },
		{ { "append", "blocked" }, NULL, "unknown set subcommand 'append'" },
		{ { "add" }, NULL, "set add needs the name of a set" },
		{ { "add", "../x", "198.18.0.1" }, NULL, "'../x' is not a set name" },
		{ { "add", "blocked" }, NULL, "needs at least one PREFIX" },
		{ { "add", "blocked", "198.18.0.300" }, NULL, "'198.18.0.300': " },
		{ { "add", "blocked", "198.18.0.1", "timeout" }, NULL, "timeout needs SECONDS" },
		{ { "add", "blocked", "198.18.0.1", "timeout", "2s" }, NULL,
		  "timeout '2s': not a number" },
		{ { "add", "blocked", "198.18.0.1", "timeout", "4294967296" }, NULL,
		  "not a number of seconds" },
		{ { "add", "blocked", "198.18.0.1", "timeout", "5", "198.18.0.2" }, NULL,
		  "'198.18.0.2' after the timeout" },
		{ { "add", "blocked", "198.18.0.1" }, "f.txt", "either PREFIX... or -f FILE" },
		{ { "del", "blocked", "198.18.0.1", "timeout", "5" }, NULL, "set del takes no timeout" },
		{ { "list", "blocked", "x" }, NULL, "set list takes only the set name, not 'x'" },
		{ { "flush", "blocked" }, "f.txt", "set flush takes no -f FILE" },
	};
	size_t i;

	(void)st;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct ft_set_args a;
		char err[256] = "";
		int argc = 0, rc;

		while (argc < 8 && cases[i].argv[argc])
			argc++;
		rc = ft_set_args_parse(argc, (char **)cases[i].argv, cases[i].file, &a, err,
				       sizeof(err));
		if (cases[i].err ? rc != -EINVAL || !strstr(err, cases[i].err) : rc != 0) {
			fprintf(stderr, "# case %zu: rc %d, message '%s', want '%s'\n", i, rc, err,
				cases[i].err ? cases[i].err : "(valid)");
			fail();
		}
		ft_set_args_free(&a);
	}
}

static void test_args_values(void **st)
{
	const char *argv[] = { "add", "blocked", "198.18.0.1", "fd00::/8", "timeout", "30" };
	struct ft_set_args a;
	char err[256];

	(void)st;
	assert_int_equal(ft_set_args_parse(6, (char **)argv, NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(a.op, FT_SET_ADD);
	assert_string_equal(a.name, "blocked");
	assert_int_equal(a.npfx, 2);
	assert_int_equal(a.pfx[0].family, AF_INET);
	assert_int_equal(a.pfx[0].len, 32);
	assert_int_equal(a.pfx[1].family, AF_INET6);
	assert_int_equal(a.pfx[1].len, 8);
	assert_true(a.has_timeout);
	assert_int_equal(a.timeout, 30);
	ft_set_args_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_compile_dynamic),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_values),
	};

	return cmocka_run_group_tests_name("sets", tests, NULL, NULL);
}
