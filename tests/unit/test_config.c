// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for daemon/config.c: the sample policy parses into exactly the
 * expected struct, every validation error is reported at the right line,
 * all errors of a file are reported, large prefix sets load in linear time,
 * and the shipped etc/flowtag.conf is valid.
 *
 * Test data is found relative to this source file (__FILE__), so the binary
 * runs from any directory as long as the tree is where it was built;
 * FLOWTAG_SRCDIR overrides that.
 *
 * Allocation failures: when linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * test_oom fails every allocation of the parser in turn, libconfig's
 * included (it is linked against daemon/lcguard.c's allocator, which calls
 * malloc), and checks for -ENOMEM and no leaks; without those flags it is
 * skipped. Unguarded, any of libconfig 1.5's allocations failing would end
 * the test with SIGSEGV or exit(2).
 */
#define _GNU_SOURCE /* nftw() in cfgtest.h */
#include <dirent.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgtest.h"
#include "cfgtext.h"
#include "config.h"
#include "strparse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* short enough that every path built from them fits in PATH_MAX */
static char src_dir[1024];		/* top of the source tree */
static char data_dir[1024 + 16];	/* tests/data */

static void find_dirs(void)
{
	const char *env = getenv("FLOWTAG_SRCDIR");
	char *slash;
	int i;

	if (env) {
		snprintf(src_dir, sizeof(src_dir), "%s", env);
	} else {
		/* __FILE__ is .../tests/unit/test_config.c: strip three components */
		snprintf(src_dir, sizeof(src_dir), "%s", __FILE__);
		for (i = 0; i < 3; i++) {
			slash = strrchr(src_dir, '/');
			if (!slash) {
				strcpy(src_dir, ".");
				break;
			}
			*slash = '\0';
		}
		if (!src_dir[0])
			strcpy(src_dir, "/");
	}
	snprintf(data_dir, sizeof(data_dir), "%s/tests/data", src_dir);
}

static int setup(void **state)
{
	char probe[PATH_MAX];

	(void)state;
	find_dirs();
	snprintf(probe, sizeof(probe), "%s/sample.conf", data_dir);
	if (access(probe, R_OK)) {
		fprintf(stderr, "test data not found at %s: run from the top of the source tree "
				"or set FLOWTAG_SRCDIR\n", data_dir);
		return -1;
	}
	return 0;
}

/* ---- helpers -------------------------------------------------------- */

static int parse(const char *text, struct ft_policy *p, struct ft_diag *d)
{
	memset(p, 0, sizeof(*p));
	memset(d, 0, sizeof(*d));
	return ft_config_parse(text, "t.conf", data_dir, p, d);
}

static void expect_error(const char *text, int nerrors, int line, const char *substr)
{
	struct ft_policy p;
	struct ft_diag d;
	int rc = parse(text, &p, &d);

	if (rc != -EINVAL || d.nerrors != nerrors || !diag_has(&d, "t.conf", line, "error", substr))
		fail_msg("policy:\n%s\n-- got rc %d, %d error(s):\n%s-- want -EINVAL, %d error(s), "
			 "one at line %d containing \"%s\"",
			 text, rc, d.nerrors, d.text ? d.text : "(none)\n", nerrors, line, substr);
	/* never a half-filled policy */
	assert_true(policy_is_zero(&p));
	ft_diag_free(&d);
}

/* ---- the sample policy ---------------------------------------------- */

static void assert_proto_only(const struct ft_match *m, int proto)
{
	unsigned int i;

	for (i = 0; i < 256; i++)
		assert_int_equal(ft_proto_has(m, i), (int)i == proto);
}

static void test_sample(void **state)
{
	char path[PATH_MAX], want_file[PATH_MAX], buf[64];
	const struct ft_rule *r;
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/sample.conf", data_dir);
	rc = ft_config_load(path, &p, &d);
	if (rc)
		fail_msg("rc %d:\n%s", rc, d.text ? d.text : "");
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 0);
	assert_null(d.text);

	assert_string_equal(p.file, path);
	assert_int_equal(p.mark_mask, 0x0000ff00);
	assert_false(p.tc_ok);
	assert_int_equal(p.flow_cache, FT_FLOW_CACHE_AUTO);	/* the default */

	assert_int_equal(p.nifaces, 1);
	assert_string_equal(p.ifaces[0].name, "eth0");
	assert_int_equal(p.ifaces[0].xdp_mode, FT_XDP_NATIVE);
	assert_true(p.ifaces[0].egress_restore);
	assert_int_equal(p.ifaces[0].line, 2);

	assert_int_equal(p.nclasses, 4);
	static const struct {
		const char *name;
		uint32_t mark, prio;
		int dscp, line;
	} cls[] = {
		{ "voice", 0x100, 0x00010010, 46, 5 },
		{ "interactive", 0x200, 0x00010020, -1, 6 },
		{ "bulk", 0x300, 0x00010030, -1, 7 },
		{ "default", 0x000, 0x00010040, -1, 8 },
	};
	for (size_t i = 0; i < ARRAY_LEN(cls); i++) {
		assert_string_equal(p.classes[i].name, cls[i].name);
		assert_int_equal(p.classes[i].mark, cls[i].mark);
		assert_true(p.classes[i].has_priority);
		assert_int_equal(p.classes[i].priority, cls[i].prio);
		assert_int_equal(p.classes[i].dscp, cls[i].dscp);
		assert_int_equal(p.classes[i].line, cls[i].line);
	}
	assert_int_equal(p.default_class, 3);

	/* the set file resolves against the policy's directory */
	assert_int_equal(p.nsets, 1);
	assert_string_equal(p.sets[0].name, "customers_gold");
	snprintf(want_file, sizeof(want_file), "%s/gold.txt", data_dir);
	assert_string_equal(p.sets[0].file, want_file);
	assert_int_equal(p.sets[0].line, 10);
	assert_int_equal(p.sets[0].npfx, 5);
	static const char *const gold[] = { "198.18.0.0/24", "198.18.1.0/24", "198.18.2.7/32",
					    "2001:db8:100::/48", "2001:db8:200::/40" };
	for (size_t i = 0; i < ARRAY_LEN(gold); i++)
		assert_string_equal(ft_format_prefix(&p.sets[0].pfx[i], buf, sizeof(buf)),
				    gold[i]);

	assert_int_equal(p.nrules, 6);
	for (size_t i = 0; i < p.nrules; i++)
		assert_int_equal(p.rules[i].line, 12 + (int)i);

	r = &p.rules[0];	/* proto = "udp"; dport = "5060-5061" -> voice */
	assert_int_equal(r->match.keys, FT_MK_PROTO | FT_MK_DPORT);
	assert_proto_only(&r->match, 17);
	assert_int_equal(r->match.ndport, 1);
	assert_int_equal(r->match.dport[0].lo, 5060);
	assert_int_equal(r->match.dport[0].hi, 5061);
	assert_int_equal(r->action, FT_ACT_CLASS);
	assert_int_equal(r->class_idx, 0);

	r = &p.rules[1];	/* dscp = "EF" -> voice */
	assert_int_equal(r->match.keys, FT_MK_DSCP);
	assert_true(r->match.dscp == 1ULL << 46);
	assert_int_equal(r->class_idx, 0);

	r = &p.rules[2];	/* proto = "tcp"; dport = [22] -> interactive */
	assert_int_equal(r->match.keys, FT_MK_PROTO | FT_MK_DPORT);
	assert_proto_only(&r->match, 6);
	assert_int_equal(r->match.ndport, 1);
	assert_int_equal(r->match.dport[0].lo, 22);
	assert_int_equal(r->match.dport[0].hi, 22);
	assert_int_equal(r->class_idx, 1);

	r = &p.rules[3];	/* src = "@customers_gold" -> interactive */
	assert_int_equal(r->match.keys, FT_MK_SRC);
	assert_int_equal(r->match.src.npfx, 0);
	assert_int_equal(r->match.src.nsets, 1);
	assert_int_equal(r->match.src.sets[0], 0);
	assert_int_equal(r->class_idx, 1);

	r = &p.rules[4];	/* src = "2001:db8:dead::/48" -> drop */
	assert_int_equal(r->match.keys, FT_MK_SRC);
	assert_int_equal(r->match.src.npfx, 1);
	assert_int_equal(r->match.src.nsets, 0);
	assert_string_equal(ft_format_prefix(&r->match.src.pfx[0], buf, sizeof(buf)),
			    "2001:db8:dead::/48");
	assert_int_equal(r->action, FT_ACT_DROP);
	assert_int_equal(r->class_idx, -1);

	r = &p.rules[5];	/* tcp, sport 1024-65535, dst 198.18.0.0/15 -> bulk */
	assert_int_equal(r->match.keys, FT_MK_PROTO | FT_MK_SPORT | FT_MK_DST);
	assert_proto_only(&r->match, 6);
	assert_int_equal(r->match.nsport, 1);
	assert_int_equal(r->match.sport[0].lo, 1024);
	assert_int_equal(r->match.sport[0].hi, 65535);
	assert_int_equal(r->match.dst.npfx, 1);
	assert_string_equal(ft_format_prefix(&r->match.dst.pfx[0], buf, sizeof(buf)),
			    "198.18.0.0/15");
	assert_int_equal(r->class_idx, 2);

	/* the reference evaluator agrees with what the file says */
	struct ft_pkt_desc pkt = { .vlan = -1, .family = AF_INET, .proto = 17, .sport = 4000,
				   .dport = 5060, .dscp = 0, .tcp_flags = -1 };
	assert_int_equal(ft_reference_match(&p, &pkt), 0);
	pkt.dport = 5062;
	assert_int_equal(ft_reference_match(&p, &pkt), -1);
	pkt.src[0] = 198, pkt.src[1] = 18, pkt.src[2] = 2, pkt.src[3] = 7;
	assert_int_equal(ft_reference_match(&p, &pkt), 3);

	ft_policy_free(&p);
	ft_diag_free(&d);
}

/* ---- every key, in every form ---------------------------------------- */

static void test_all_keys(void **state)
{
	char path[PATH_MAX], buf[64];
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	const struct ft_match *m;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/all_keys.conf", data_dir);
	rc = ft_config_load(path, &p, &d);
	if (rc)
		fail_msg("rc %d:\n%s", rc, d.text ? d.text : "");
	/* the last rule is shadowed by the match-all one before it */
	assert_int_equal(d.nwarnings, 1);
	assert_true(diag_has(&d, path, 37, "warning", "the rule at line 36 matches every packet"));

	assert_int_equal(p.nifaces, 3);
	assert_int_equal(p.ifaces[1].xdp_mode, FT_XDP_GENERIC);
	assert_false(p.ifaces[1].egress_restore);
	assert_int_equal(p.ifaces[2].xdp_mode, FT_XDP_AUTO);
	assert_int_equal(p.ifaces[0].tc_hook, FT_TC_HOOK_TCX);
	assert_int_equal(p.ifaces[1].tc_hook, FT_TC_HOOK_CLSACT);
	assert_int_equal(p.ifaces[2].tc_hook, FT_TC_HOOK_AUTO);	/* the default */
	assert_string_equal(p.ifaces[2].name, "veth-dut");
	assert_int_equal(p.mark_mask, 0xffff0000);
	assert_true(p.tc_ok);
	assert_int_equal(p.flow_cache, FT_FLOW_CACHE_OFF);

	assert_string_equal(p.rules[0].name, "every-key");
	assert_string_equal(p.rules[1].name, "");		/* the name is optional */

	assert_int_equal(p.classes[0].priority, 0x10010);	/* integer form */
	assert_int_equal(p.classes[0].dscp, 46);
	assert_int_equal(p.classes[1].mark, 0xffff0000);	/* hex above 2^31 */
	assert_int_equal(p.classes[1].priority, 0xffff0000);
	assert_int_equal(p.classes[1].dscp, 34);
	assert_false(p.classes[2].has_priority);
	assert_int_equal(p.classes[2].dscp, -1);
	assert_int_equal(p.default_class, 2);

	assert_int_equal(p.sets[0].npfx, 2);
	assert_null(p.sets[0].file);
	assert_int_equal(p.sets[1].npfx, 5);

	m = &p.rules[0].match;
	assert_int_equal(m->keys, FT_MK_IIF | FT_MK_VLAN | FT_MK_FAMILY | FT_MK_SRC | FT_MK_DST |
					  FT_MK_PROTO | FT_MK_SPORT | FT_MK_DPORT | FT_MK_DSCP |
					  FT_MK_TCPFL);
	assert_int_equal(m->niif, 2);
	assert_string_equal(m->iif[0], "eth0");
	assert_string_equal(m->iif[1], "eth1");
	assert_non_null(m->iif_index);
	assert_int_equal(m->iif_index[0], 0);	/* the daemon resolves them */
	assert_int_equal(m->iif_index[1], 0);
	assert_int_equal(m->nvlan, 3);
	assert_int_equal(m->vlan[0], 0);
	assert_int_equal(m->vlan[1], 100);
	assert_int_equal(m->vlan[2], 4095);
	assert_int_equal(m->family, AF_INET);
	assert_int_equal(m->src.npfx, 1);
	assert_string_equal(ft_format_prefix(&m->src.pfx[0], buf, sizeof(buf)),
			    "198.51.100.0/24");
	assert_int_equal(m->src.nsets, 2);
	assert_int_equal(m->src.sets[0], 0);
	assert_int_equal(m->src.sets[1], 1);
	assert_string_equal(ft_format_prefix(&m->dst.pfx[0], buf, sizeof(buf)), "0.0.0.0/0");
	for (unsigned int i = 0; i < 256; i++)
		assert_int_equal(ft_proto_has(m, i), i == 6 || i == 17 || i == 132);
	assert_int_equal(m->nsport, 2);
	assert_int_equal(m->sport[0].lo, 53);
	assert_int_equal(m->sport[0].hi, 53);
	assert_int_equal(m->sport[1].lo, 1024);
	assert_int_equal(m->sport[1].hi, 2047);
	assert_int_equal(m->ndport, 2);
	assert_int_equal(m->dport[0].lo, 80);
	assert_int_equal(m->dport[1].lo, 443);
	assert_true(m->dscp == ((1ULL << 46) | (1ULL << 10) | (1ULL << 8)));
	assert_int_equal(m->tcp_flags, 0x02);
	assert_int_equal(m->tcp_flags_mask, 0x12);
	assert_int_equal(p.rules[0].class_idx, 0);

	m = &p.rules[1].match;
	assert_int_equal(m->family, AF_INET6);
	assert_int_equal(m->niif, 1);
	assert_int_equal(m->nvlan, 1);
	assert_int_equal(m->vlan[0], 7);
	assert_int_equal(m->sport[0].lo, 0);
	assert_int_equal(m->dport[0].lo, 65535);
	assert_true(m->dscp == 1ULL << 63);
	assert_int_equal(m->tcp_flags, 0x04);
	assert_int_equal(m->tcp_flags_mask, 0x04);
	assert_int_equal(p.rules[1].action, FT_ACT_PASS);
	assert_int_equal(p.rules[1].class_idx, -1);

	/* match = { } and no match at all both match everything */
	assert_int_equal(p.rules[2].match.keys, 0);
	assert_int_equal(p.rules[2].class_idx, 1);
	assert_int_equal(p.rules[3].match.keys, 0);
	assert_int_equal(p.rules[3].action, FT_ACT_DROP);

	ft_policy_free(&p);
	ft_diag_free(&d);
}

/* Defaults and boundary values that must be accepted. */
static void test_defaults_and_limits(void **state)
{
	struct ft_policy p;
	struct ft_diag d;
	int rc;

	(void)state;
	rc = parse("interfaces = ( { name = \"eth0\"; } );\n"
		   "classes = ( { name = \"1234567890123456789012345678901\"; mark = 0x80000000; },\n"
		   "            { name = \"z\"; mark = 2147483647; priority = 7; } );\n"
		   "rules = ( { match = { tcp_flags = \"syn\"; proto = [\"udp\", \"tcp\"]; };\n"
		   "            class = \"1234567890123456789012345678901\"; },\n"
		   "          { match = { dport = \"0-65535\"; }; class = \"z\"; } );\n",
		   &p, &d);
	if (rc)
		fail_msg("rc %d:\n%s", rc, d.text ? d.text : "");
	assert_int_equal(d.nwarnings, 0);
	assert_int_equal(p.mark_mask, 0xffffffff);	/* default: flowtag owns the mark */
	assert_false(p.tc_ok);
	assert_int_equal(p.default_class, -1);
	assert_int_equal(p.ifaces[0].xdp_mode, FT_XDP_AUTO);
	assert_false(p.ifaces[0].egress_restore);
	assert_int_equal(p.classes[0].mark, 0x80000000);
	assert_false(p.classes[0].has_priority);
	assert_int_equal(p.classes[1].mark, 0x7fffffff);
	assert_true(p.classes[1].has_priority);
	assert_int_equal(p.classes[1].priority, 7);
	/* tcp_flags does not add a proto key of its own */
	assert_int_equal(p.rules[0].match.keys, FT_MK_TCPFL | FT_MK_PROTO);
	ft_policy_free(&p);
	ft_diag_free(&d);

	rc = parse("interfaces = ( { name = \"eth0\"; } );\n"
		   "classes = ( { name = \"c\"; mark = 1; } );\n"
		   "rules = ( { match = { tcp_flags = \"syn\"; }; class = \"c\"; } );\n",
		   &p, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(p.rules[0].match.keys, FT_MK_TCPFL);
	ft_policy_free(&p);
	ft_diag_free(&d);
}

/* ---- errors, one per policy ------------------------------------------ */

/* Lines 1-2 of every case: a valid base to add one mistake to. */
#define BASE                                        \
	"interfaces = ( { name = \"eth0\"; } );\n" \
	"classes = ( { name = \"c\"; mark = 1; } );\n"
#define RULE(m) "rules = ( { match = { " m " }; class = \"c\"; } );\n"

static const struct {
	const char *text;
	int line;
	const char *msg;
} bad[] = {
	/* libconfig syntax */
	{ BASE "mark_mask = ;\n", 3, "syntax error" },
	{ BASE "rules = ( { class = \"c\"; } ];\n", 3, "syntax error" },
	{ BASE "default_class = \"c\";\ndefault_class = \"c\";\n", 4, "duplicate setting" },

	/* unknown keys, everywhere */
	{ BASE "colour = \"blue\";\n", 3, "unknown key 'colour' in the policy" },
	{ "interfaces = ( { name = \"eth0\"; mtu = 1500; } );\n", 1,
	  "unknown key 'mtu' in interface" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1;\n  weight = 3; } );\n", 3,
	  "unknown key 'weight' in class" },
	{ BASE "prefix_sets = ( { name = \"s\"; prefixes = [\"10.0.0.0/8\"]; type = 1; } );\n"
	  RULE("src = \"@s\";"), 3, "unknown key 'type' in prefix set" },
	{ BASE "rules = ( { class = \"c\"; comment = \"x\"; } );\n", 3,
	  "unknown key 'comment' in rule" },
	{ BASE RULE("sports = 22;"), 3, "unknown key 'sports' in match" },

	/* wrong types */
	{ "interfaces = ( { name = \"eth0\"; } );\nclasses = ( { name = \"c\"; mark = \"0x100\"; } );\n",
	  2, "'mark' must be an integer, not a string" },
	{ "interfaces = \"eth0\";\n", 1, "'interfaces' must be a list of groups" },
	{ "interfaces = ( \"eth0\" );\n", 1, "must be a list of groups" },
	{ "interfaces = ( { name = \"eth0\"; egress_restore = 1; } );\n", 1,
	  "'egress_restore' must be a boolean" },
	{ "interfaces = ( { name = eth0; } );\n", 1, "syntax error" },
	{ BASE "mark_mask = \"0xff00\";\n", 3, "'mark_mask' must be an integer" },
	{ BASE "rules = { class = \"c\"; };\n", 3, "'rules' must be a list of groups" },
	{ BASE "rules = ( { match = 5; class = \"c\"; } );\n", 3, "'match' must be a group" },
	{ BASE "rules = ( { class = 3; } );\n", 3, "'class' must be a string" },
	{ BASE RULE("dport = 1.5;"), 3, "'dport' must be a port number or a \"LO-HI\" string, not a float" },
	{ BASE RULE("dport = ([22]);"), 3, "not an array" },
	{ BASE RULE("src = 10;"), 3, "'src' must be a string" },
	{ BASE RULE("vlan = \"10\";"), 3, "'vlan' must be an integer" },
	{ BASE RULE("family = 4;"), 3, "'family' must be a string" },
	{ BASE RULE("tcp_flags = 2;"), 3, "'tcp_flags' must be a string" },
	{ BASE RULE("proto = true;"), 3, "'proto' must be a protocol name or number" },
	{ BASE "prefix_sets = ( { name = \"s\"; prefixes = \"10.0.0.0/8\"; } );\n"
	  RULE("src = \"@s\";"), 3, "'prefixes' must be an array" },
	{ BASE "prefix_sets = ( { name = \"s\"; prefixes = [ 10 ]; } );\n" RULE("src = \"@s\";"),
	  3, "'prefixes' must be a string" },
	{ BASE "tc_verdict = true;\n", 3, "'tc_verdict' must be a string" },

	/* missing required keys */
	{ "classes = ( { name = \"c\"; mark = 1; } );\n" RULE(""), 1, "missing 'interfaces'" },
	{ "\n\ninterfaces = ( );\n", 3, "'interfaces' is empty" },
	{ "interfaces = ( { xdp_mode = \"auto\"; } );\n", 1, "interface has no 'name'" },
	{ "interfaces = ( { name = \"eth0\"; } );\nclasses = ( { mark = 1; } );\n", 2,
	  "class has no 'name'" },
	{ "interfaces = ( { name = \"eth0\"; } );\nclasses = ( { name = \"c\"; } );\n", 2,
	  "class 'c' has no 'mark'" },
	{ BASE "rules = ( { match = { dport = 1; }; } );\n", 3,
	  "rule has neither 'class' nor 'action'" },
	{ BASE "rules = (\n { match = { dport = 1; }; class = \"c\"; action = \"drop\"; } );\n", 4,
	  "rule has both 'class' and 'action'" },
	{ BASE "prefix_sets = ( { name = \"s\"; } );\n" RULE("src = \"@s\";"), 3,
	  "prefix set 's' has neither 'file' nor 'prefixes'" },
	{ BASE "prefix_sets = ( { name = \"s\"; file = \"gold.txt\"; prefixes = []; } );\n"
	  RULE("src = \"@s\";"), 3, "prefix set 's' has both 'file' and 'prefixes'" },
	{ BASE "prefix_sets = ( { prefixes = []; } );\n", 3, "prefix set has no 'name'" },

	/* rule names */
	{ BASE "rules = ( { name = \"\"; class = \"c\"; } );\n", 3, "empty rule name" },
	{ BASE "rules = ( { name = 7; class = \"c\"; } );\n", 3, "'name' must be a string" },
	{ BASE "rules = ( { name = \"a\\tb\"; class = \"c\"; } );\n", 3,
	  "rule name 'a b' contains a control character" },
	{ BASE "rules = ( { name = \"0123456789012345678901234567890123\"; class = \"c\"; } );\n",
	  3, "is longer than 31 characters" },

	/* references */
	{ BASE "rules = ( { class = \"voice\"; } );\n", 3, "unknown class 'voice'" },
	{ BASE RULE("") "default_class = \"dflt\";\n", 4, "unknown default_class 'dflt'" },
	{ BASE RULE("src = [ \"10.0.0.0/8\",\n \"@nosuch\" ];"), 4, "unknown prefix set 'nosuch'" },
	{ BASE RULE("iif = \"eth1\";"), 3, "iif 'eth1' is not one of the interfaces" },
	{ BASE RULE("iif = [\"eth0\", \"wlan0\"];"), 3, "iif 'wlan0'" },

	/* duplicates */
	{ "interfaces = ( { name = \"eth0\"; },\n  { name = \"eth0\"; } );\n", 2,
	  "duplicate interface 'eth0' (first listed at line 1)" },
	{ BASE "rules = ( { name = \"sip\"; class = \"c\"; },\n"
	  "  { name = \"x\"; class = \"c\"; },\n  { name = \"sip\"; action = \"pass\"; } );\n",
	  5, "duplicate rule name 'sip' (first used at line 3)" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1; },\n { name = \"c\"; mark = 2; } );\n" RULE(""),
	  3, "duplicate class 'c' (first defined at line 2)" },
	{ BASE "prefix_sets = ( { name = \"s\"; prefixes = []; },\n"
	  "  { name = \"s\"; prefixes = []; } );\n" RULE("src = \"@s\";"), 4,
	  "duplicate prefix set 's' (first defined at line 3)" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"a\"; mark = 0x100; },\n { name = \"b\"; mark = 0x100; } );\n"
	  "rules = ( { class = \"a\"; }, { class = \"b\"; } );\n", 3,
	  "class 'b' has the same mark 0x100 as class 'a' (line 2)" },

	/* prefixes */
	{ BASE RULE("src = \"10.0.0/8\";"), 3, "'10.0.0/8' is not an IPv4 or IPv6 prefix" },
	{ BASE RULE("dst = \"10.0.0.0/33\";"), 3, "dst: prefix length /33 out of range" },
	{ BASE RULE("dst = \"2001:db8::/129\";"), 3, "prefix length /129 out of range" },
	{ BASE RULE("src = \"10.0.0.1/8\";"), 3, "did you mean 10.0.0.0/8" },
	{ BASE "prefix_sets = ( { name = \"s\"; prefixes = [\n \"192.0.2.1/24\" ]; } );\n"
	  RULE("src = \"@s\";"), 4, "did you mean 192.0.2.0/24" },
	{ BASE RULE("family = \"ipv4\"; src = \"2001:db8::/32\";"), 3,
	  "prefix 2001:db8::/32 is ipv6, but the rule's family is ipv4" },
	{ BASE RULE("family = \"ipv6\"; dst = [\"::/0\", \"10.0.0.0/8\"];"), 3,
	  "prefix 10.0.0.0/8 is ipv4, but the rule's family is ipv6" },
	{ BASE RULE("family = \"inet\";"), 3, "bad family 'inet'" },

	/* ports */
	{ BASE RULE("dport = \"90-80\";"), 3, "reversed port range '90-80'" },
	{ BASE RULE("dport = 70000;"), 3, "dport 70000 out of range (0..65535)" },
	{ BASE RULE("sport = -1;"), 3, "sport -1 out of range (0..65535)" },
	{ BASE RULE("sport = \"70000\";"), 3, "port 70000 out of range" },
	{ BASE RULE("dport = (22,\n \"1-70000\");"), 4, "port 70000 out of range" },
	{ BASE RULE("dport = [];"), 3, "'dport' is an empty list" },

	/* protocols, DSCP, VLAN, TCP flags */
	{ BASE RULE("proto = \"tcpp\";"), 3, "unknown protocol 'tcpp'" },
	{ BASE RULE("proto = 256;"), 3, "proto 256 out of range (0..255)" },
	{ BASE RULE("dscp = \"AF51\";"), 3, "unknown DSCP name 'AF51'" },
	{ BASE RULE("dscp = 64;"), 3, "dscp 64 out of range (0..63)" },
	{ BASE RULE("dscp = \"64\";"), 3, "DSCP 64 out of range" },
	{ BASE RULE("vlan = 4096;"), 3, "vlan 4096 out of range (0..4095)" },
	{ BASE RULE("vlan = [1, -1];"), 3, "vlan -1 out of range" },
	{ BASE RULE("tcp_flags = \"syn,fyn\";"), 3, "unknown flag 'fyn'" },
	{ BASE RULE("tcp_flags = \"syn/ack\";"), 3, "bad tcp_flags 'syn/ack'" },
	{ BASE RULE("proto = \"udp\"; tcp_flags = \"syn\";"), 3,
	  "tcp_flags only match TCP packets, but 'proto' does not include tcp" },
	{ BASE RULE("proto = (1, \"sctp\");\n tcp_flags = \"syn\";"), 4, "does not include tcp" },

	/* classes */
	{ "interfaces = ( { name = \"eth0\"; } );\nmark_mask = 0xff00;\n"
	  "classes = ( { name = \"c\"; mark = 0x10100; } );\n" RULE(""), 3,
	  "class 'c': mark 0x10100 is outside mark_mask 0x0000ff00" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"12345678901234567890123456789012\"; mark = 1; } );\n", 2,
	  "longer than 31 characters" },
	{ "interfaces = ( { name = \"eth0\"; } );\nclasses = ( { name = \"\"; mark = 1; } );\n", 2,
	  "empty class name" },
	{ "interfaces = ( { name = \"eth0\"; } );\nclasses = ( { name = \"a\\nb\"; mark = 1; } );\n",
	  2, "class name 'a b' contains a control character" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1; priority = \"1:10000\"; } );\n" RULE(""), 2,
	  "bad priority '1:10000'" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1; priority = \"high\"; } );\n" RULE(""), 2,
	  "bad priority 'high'" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1; priority = 1.0; } );\n" RULE(""), 2,
	  "'priority' must be a tc class id string" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1; dscp = \"XX\"; } );\n" RULE(""), 2,
	  "unknown DSCP name 'XX'" },
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = 1; dscp = 99; } );\n" RULE(""), 2,
	  "dscp 99 out of range" },
	/* no key takes a negative value */
	{ "interfaces = ( { name = \"eth0\"; } );\n"
	  "classes = ( { name = \"c\"; mark = -1; } );\n" RULE(""), 2,
	  "'mark' must be between 0 and 0xffffffff" },
	/* libconfig 1.5 would wrap it to -1: refused with the hex spelling to use */
	{ BASE "mark_mask = 4294967295;\n", 3, "write it in hex (0xffffffff)" },

	/* actions, interfaces, scalars */
	{ BASE "rules = ( { action = \"reject\"; } );\n", 3, "unknown action 'reject'" },
	{ "interfaces = ( { name = \"eth0\"; xdp_mode = \"offload\"; } );\n", 1,
	  "bad xdp_mode 'offload'" },
	{ "interfaces = ( { name = \"eth0\"; tc_hook = \"ingress\"; } );\n", 1,
	  "bad tc_hook 'ingress' (expected \"auto\", \"tcx\" or \"clsact\")" },
	{ "interfaces = ( { name = \"a-very-long-ifname\"; } );\n", 1,
	  "longer than 15 characters" },
	{ "interfaces = ( { name = \"eth/0\"; } );\n", 1, "not a valid interface name" },
	{ BASE "tc_verdict = \"stop\";\n", 3, "bad tc_verdict 'stop'" },
	{ BASE "flow_cache = \"yes\";\n", 3,
	  "bad flow_cache 'yes' (expected \"auto\", \"on\" or \"off\")" },
	{ BASE "flow_cache = true;\n", 3, "'flow_cache' must be a string" },
	{ BASE "prefix_sets = ( { name = \"@s\"; prefixes = []; } );\n", 3,
	  "must not start with '@'" },

	/* set files: the policy line for the file itself, FILE:LINE for its contents */
	{ BASE "prefix_sets = ( { name = \"s\"; file = \"no-such.txt\"; } );\n"
	  RULE("src = \"@s\";"), 3, "cannot open" },
};

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		expect_error(bad[i].text, 1, bad[i].line, bad[i].msg);
	print_message("      %zu bad policies, each with its one error at its line\n",
		      ARRAY_LEN(bad));
}

/* Errors inside a prefix set file are reported against that file. */
static void test_set_file_errors(void **state)
{
	char setfile[PATH_MAX];
	struct ft_policy p;
	struct ft_diag d;
	int rc;

	(void)state;
	rc = parse(BASE "prefix_sets = ( { name = \"s\"; file = \"bad_set.txt\"; } );\n"
		   RULE("src = \"@s\";"), &p, &d);
	assert_int_equal(rc, -EINVAL);
	assert_true(policy_is_zero(&p));
	snprintf(setfile, sizeof(setfile), "%s/bad_set.txt", data_dir);
	assert_int_equal(d.nerrors, 5);
	assert_true(diag_has(&d, setfile, 3, "error", "did you mean 10.1.0.0/16"));
	assert_true(diag_has(&d, setfile, 4, "error", "'not-a-prefix' is not an IPv4 or IPv6"));
	assert_true(diag_has(&d, setfile, 6, "error", "/33 out of range"));
	assert_true(diag_has(&d, setfile, 7, "error", "unexpected '2001:db8:1::/48'"));
	assert_true(diag_has(&d, setfile, 8, "error", "/129 out of range"));
	ft_diag_free(&d);
}

/* A wrong file fed in as a set gives a bounded number of messages. */
static void test_set_file_error_cap(void **state)
{
	char dir[] = "/tmp/ft-test-XXXXXX", path[PATH_MAX], policy[PATH_MAX + 256];
	struct ft_policy p;
	struct ft_diag d;
	FILE *f;
	int i, rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/junk.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 1000; i++)
		fprintf(f, "junk %d\n", i);
	fclose(f);
	snprintf(policy, sizeof(policy),
		 BASE "prefix_sets = ( { name = \"s\"; file = \"%s\"; } );\n" RULE("src = \"@s\";"),
		 path);
	rc = parse(policy, &p, &d);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(d.nerrors, 11);
	assert_true(diag_has(&d, path, 11, "error", "too many errors"));
	ft_diag_free(&d);
	unlink(path);
	rmdir(dir);
}

/* Every mistake in one file is reported, in one run. */
static void test_multiple_errors(void **state)
{
	char path[PATH_MAX];
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad_multi.conf", data_dir);
	rc = ft_config_load(path, &p, &d);
	assert_int_equal(rc, -EINVAL);
	assert_true(policy_is_zero(&p));
	assert_int_equal(d.nerrors, 8);
	assert_true(diag_has(&d, path, 2, "error", "bad xdp_mode 'turbo'"));
	assert_true(diag_has(&d, path, 6, "error", "duplicate class 'voice'"));
	assert_true(diag_has(&d, path, 7, "error", "mark 0x10000 is outside mark_mask 0x0000ff00"));
	assert_true(diag_has(&d, path, 10, "error", "reversed port range"));
	assert_true(diag_has(&d, path, 11, "error", "unknown protocol 'tcpx'"));
	assert_true(diag_has(&d, path, 12, "error", "did you mean 10.0.0.0/8"));
	assert_true(diag_has(&d, path, 12, "error", "unknown class 'nosuch'"));
	assert_true(diag_has(&d, path, 14, "error", "unknown default_class 'missing'"));
	/* warnings still come along, and do not count as errors */
	assert_int_equal(d.nwarnings, 1);
	assert_true(diag_has(&d, path, 7, "warning", "class 'video' is not used"));
	ft_diag_free(&d);

	/* inline, with errors of several kinds on several lines */
	expect_error("interfaces = ( { name = \"eth0\"; bogus = 1; } );\n"
		     "classes = ( { name = \"c\"; mark = \"x\"; } );\n"
		     "rules = ( { match = { dport = 70000; proto = \"xyz\"; }; class = \"d\"; },\n"
		     "          { match = { vlan = 5000; }; action = \"reject\"; } );\n"
		     "default_class = \"e\";\n",
		     8, 5, "unknown default_class 'e'");
}

/* ---- limits --------------------------------------------------------- */

/* A policy with @n list elements of @fmt (one "%d"), at one element per line. */
static char *gen_policy(const char *head, const char *listkey, const char *fmt, int n,
			const char *tail)
{
	size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(fmt) + 16) + 64;
	char *s = malloc(cap), *p;
	int i;

	assert_non_null(s);
	p = s + sprintf(s, "%s%s = (\n", head, listkey);
	for (i = 0; i < n; i++) {
		p += sprintf(p, fmt, i);
		p += sprintf(p, "%s\n", i + 1 < n ? "," : "");
	}
	sprintf(p, ");\n%s", tail);
	return s;
}

static void check_limit(const char *head, const char *key, const char *fmt, int max,
			const char *tail, int head_lines, const char *msg)
{
	struct ft_policy p;
	struct ft_diag d;
	char *text;
	int rc;

	/* exactly at the limit: fine */
	text = gen_policy(head, key, fmt, max, tail);
	rc = parse(text, &p, &d);
	if (rc)
		fail_msg("%s at the limit: rc %d\n%.2000s", key, rc, d.text ? d.text : "");
	ft_policy_free(&p);
	ft_diag_free(&d);
	free(text);

	/* one more: reported at the first element past the limit */
	text = gen_policy(head, key, fmt, max + 1, tail);
	expect_error(text, 1, head_lines + 1 + max + 1, msg);
	free(text);
}

static void test_limits(void **state)
{
	char msg[64];

	(void)state;
	snprintf(msg, sizeof(msg), "too many rules (%d; at most %d)", FT_MAX_RULES + 1,
		 FT_MAX_RULES);
	check_limit(BASE, "rules", "{ match = { dport = %d; }; class = \"c\"; }", FT_MAX_RULES,
		    "", 2, msg);
	snprintf(msg, sizeof(msg), "too many classes (%d; at most %d)", FT_MAX_CLASSES + 1,
		 FT_MAX_CLASSES);
	check_limit("interfaces = ( { name = \"eth0\"; } );\n", "classes",
		    "{ name = \"c%1$d\"; mark = %1$d; }", FT_MAX_CLASSES, "", 1, msg);
	check_limit("", "interfaces", "{ name = \"eth%d\"; }", FT_MAX_IFACES, "", 0,
		    "too many interfaces (65; at most 64)");
}

/* Seconds since @t0 (CLOCK_MONOTONIC). */
static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* @head, then @n settings "kI = I;" one a line, then @tail. */
static char *gen_settings(const char *head, int n, const char *tail)
{
	char *s = malloc(strlen(head) + strlen(tail) + (size_t)n * 24 + 1), *p;
	int i;

	assert_non_null(s);
	p = s + sprintf(s, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, "k%d = %d;\n", i, i);
	strcpy(p, tail);
	return s;
}

/*
 * A group holds at most FT_CFG_MAX_SETTINGS settings: libconfig looks each
 * new one up among the group's earlier ones, so 16000 settings took 2.3 s
 * and 200000 did not finish in minutes. One more is refused at its line,
 * before libconfig reads anything.
 */
static void test_group_cap(void **state)
{
	/* 3 settings on lines 1-3 */
	static const char top[] = BASE "default_class = \"c\";\n";
	/* the match group opens on line 3, its settings start on line 4 */
	static const char nested[] = BASE "rules = ( { class = \"c\"; match = {\n";
	char msg[128], *text;
	struct ft_policy p;
	struct ft_diag d;
	struct timespec t0;
	double secs;
	int rc;

	(void)state;
	/* at the cap: only the unknown keys are wrong */
	text = gen_settings(top, FT_CFG_MAX_SETTINGS - 3, "");
	rc = parse(text, &p, &d);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(d.nerrors, FT_CFG_MAX_SETTINGS - 3);
	assert_null(strstr(d.text, "settings at the top level"));
	ft_diag_free(&d);
	free(text);

	/* one more: that one, and nothing else */
	snprintf(msg, sizeof(msg), "more than %d settings at the top level of the policy",
		 FT_CFG_MAX_SETTINGS);
	text = gen_settings(top, FT_CFG_MAX_SETTINGS - 2, "");
	expect_error(text, 1, FT_CFG_MAX_SETTINGS + 1, msg);
	free(text);

	/* in a group: at the line of the setting past the cap, naming the group */
	text = gen_settings(nested, FT_CFG_MAX_SETTINGS, "}; } );\n");
	rc = parse(text, &p, &d);
	assert_int_equal(rc, -EINVAL);
	assert_null(strstr(d.text, "settings in the group"));
	ft_diag_free(&d);
	free(text);
	snprintf(msg, sizeof(msg), "more than %d settings in the group opened at t.conf:3",
		 FT_CFG_MAX_SETTINGS);
	text = gen_settings(nested, FT_CFG_MAX_SETTINGS + 1, "}; } );\n");
	expect_error(text, 1, 3 + FT_CFG_MAX_SETTINGS + 1, msg);
	free(text);

	/* 200000 of them (3.4 MB): refused at once */
	text = gen_settings(top, 200000, "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = parse(text, &p, &d);
	secs = secs_since(&t0);
	print_message("      200000 top-level settings refused in %.3f s\n", secs);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(d.nerrors, 1);
	assert_true(secs < 5);
	ft_diag_free(&d);
	free(text);
}

/*
 * A list longer than its limit stops the check at the element past it:
 * checking 50000 named rules compared each name with every earlier one
 * (10^9 comparisons; 200000 took minutes). Big lists within the limits
 * stay fast (the times printed are under ASan, several times slower).
 */
static void test_long_lists(void **state)
{
	struct ft_policy p;
	struct ft_diag d;
	struct timespec t0;
	char *text, *pfx, *q;
	double secs;
	int rc, i;

	(void)state;
	text = gen_policy(BASE, "rules",
			  "{ name = \"r%1$d\"; match = { dport = 1; }; class = \"c\"; }", 50000,
			  "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = parse(text, &p, &d);
	secs = secs_since(&t0);
	print_message("      50000 rules refused in %.3f s\n", secs);
	if (rc != -EINVAL || d.nerrors != 1 ||
	    !diag_has(&d, "t.conf", 2 + 1 + FT_MAX_RULES + 1, "error",
		      "too many rules (50000; at most 4096): the check stops here"))
		fail_msg("rc %d, %d error(s):\n%.2000s", rc, d.nerrors, d.text ? d.text : "");
	assert_true(secs < 10);
	ft_diag_free(&d);
	free(text);

	/* legal and big: 4096 rules, a set of 200000 prefixes */
	pfx = malloc(200000 * 24 + 128);
	assert_non_null(pfx);
	q = pfx + sprintf(pfx, "prefix_sets = ( { name = \"s\"; prefixes = [\n");
	for (i = 0; i < 200000; i++)
		q += sprintf(q, "\"10.%d.%d.%d/32\"%s\n", i >> 16, (i >> 8) & 0xff, i & 0xff,
			     i + 1 < 200000 ? "," : "");
	strcpy(q, "]; } );\n");
	text = gen_policy(
		BASE, "rules",
		"{ name = \"r%1$d\"; match = { src = \"@s\"; dport = 1; }; class = \"c\"; }",
		FT_MAX_RULES, pfx);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = parse(text, &p, &d);
	secs = secs_since(&t0);
	print_message("      4096 rules and 200000 prefixes read in %.3f s\n", secs);
	if (rc)
		fail_msg("rc %d:\n%.2000s", rc, d.text ? d.text : "");
	assert_int_equal(p.nrules, FT_MAX_RULES);
	assert_int_equal(p.sets[0].npfx, 200000);
	assert_true(secs < 60);
	ft_policy_free(&p);
	ft_diag_free(&d);
	free(text);
	free(pfx);

	/*
	 * Prefix sets have no limit: 100000 of them (each name was compared
	 * with every one before it: 10^10 comparisons for 200000). One name
	 * given twice is still found, at the later one's line, and a rule
	 * names the first.
	 */
	text = gen_policy(BASE "rules = ( { match = { src = \"@s77777\"; }; class = \"c\"; } );\n",
			  "prefix_sets", "{ name = \"s%1$d\"; prefixes = [ \"10.0.0.0/8\" ]; }",
			  100000, "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = parse(text, &p, &d);
	secs = secs_since(&t0);
	print_message("      100000 prefix sets read in %.3f s\n", secs);
	if (rc)
		fail_msg("rc %d:\n%.2000s", rc, d.text ? d.text : "");
	assert_int_equal(p.nsets, 100000);
	assert_int_equal(p.rules[0].match.src.nsets, 1);
	assert_int_equal(p.rules[0].match.src.sets[0], 77777);
	assert_true(secs < 20);
	ft_policy_free(&p);
	ft_diag_free(&d);
	/* s12 again as the 50001st set, on line 5 + 50000 */
	q = strstr(text, "\"s50000\"");
	assert_non_null(q);
	memcpy(q, "\"s12\"   ", 8);
	expect_error(text, 1, 5 + 50000, "duplicate prefix set 's12' (first defined at line 17)");
	free(text);
}

/* Mark 0 is a mark like any other: two classes cannot share it either. */
static void test_mark_zero_twice(void **state)
{
	char *text;

	(void)state;
	text = gen_policy("interfaces = ( { name = \"eth0\"; } );\n", "classes",
			  "{ name = \"c%d\"; mark = 0; }", 2, "");
	expect_error(text, 1, 4, "has the same mark 0x0");
	free(text);
}

/* ---- warnings ------------------------------------------------------- */

static void test_warnings(void **state)
{
	struct ft_policy p;
	struct ft_diag d;
	int rc;

	(void)state;
	rc = parse("interfaces = ( { name = \"eth0\"; } );\n"
		   "classes = ( { name = \"used\"; mark = 1; },\n"
		   "            { name = \"idle\"; mark = 2; },\n"
		   "            { name = \"dflt\"; mark = 3; } );\n"
		   "prefix_sets = ( { name = \"a\"; prefixes = [\"10.0.0.0/8\"]; },\n"
		   "                { name = \"lonely\"; prefixes = [\"10.0.0.0/8\"]; } );\n"
		   "rules = ( { match = { src = \"@a\"; }; class = \"used\"; },\n"
		   "          { class = \"used\"; },\n"
		   "          { match = { dport = 1; }; action = \"pass\"; },\n"
		   "          { match = { dport = 2; }; action = \"pass\"; } );\n"
		   "default_class = \"dflt\";\n",
		   &p, &d);
	if (rc)
		fail_msg("rc %d:\n%s", rc, d.text ? d.text : "");
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 3);
	assert_true(diag_has(&d, "t.conf", 3, "warning", "class 'idle' is not used"));
	assert_true(diag_has(&d, "t.conf", 6, "warning", "prefix set 'lonely' is not used"));
	/* reported once, at the first shadowed rule */
	assert_true(diag_has(&d, "t.conf", 9, "warning", "the rule at line 8 matches every packet"));
	ft_policy_free(&p);
	ft_diag_free(&d);

	rc = parse("interfaces = ( { name = \"eth0\"; } );\n", &p, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(d.nwarnings, 1);
	assert_true(diag_has(&d, "t.conf", 1, "warning", "every packet stays untagged"));
	ft_policy_free(&p);
	ft_diag_free(&d);
}

/* ---- files ---------------------------------------------------------- */

static void test_load_errors(void **state)
{
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(ft_config_load("/nonexistent/flowtag.conf", &p, &d), -ENOENT);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.text, "/nonexistent/flowtag.conf: error: cannot open '/nonexistent/flowtag.conf': No such file"));
	assert_true(policy_is_zero(&p));
	ft_diag_free(&d);

	/* a relative set file that is not there is an error at the policy line */
	snprintf(path, sizeof(path), "%s/missing_set_file.conf", data_dir);
	assert_int_equal(ft_config_load(path, &p, &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	assert_true(diag_has(&d, path, 2, "error", "no-such-file.txt"));
	assert_true(policy_is_zero(&p));
	ft_diag_free(&d);
}

/* Settings from an @include'd file are reported against that file. */
static void test_include(void **state)
{
	char path[PATH_MAX], inc[PATH_MAX];
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/include.conf", data_dir);
	snprintf(inc, sizeof(inc), "%s/include_classes.inc", data_dir);
	assert_int_equal(ft_config_load(path, &p, &d), -EINVAL);
	assert_int_equal(d.nerrors, 1);
	assert_true(diag_has(&d, inc, 2, "error", "'mark' must be an integer, not a string"));
	assert_true(policy_is_zero(&p));
	ft_diag_free(&d);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 10^5 prefixes from a file next to the policy, in well under a second. */
static void test_big_set(void **state)
{
	char dir[] = "/tmp/ft-test-XXXXXX", set[PATH_MAX], conf[PATH_MAX], buf[64];
	const int n = 100000;
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	double t0, dt;
	FILE *f;
	int i, rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(set, sizeof(set), "%s/big.txt", dir);
	snprintf(conf, sizeof(conf), "%s/big.conf", dir);
	f = fopen(set, "w");
	assert_non_null(f);
	fprintf(f, "# generated by test_big_set\n");
	for (i = 0; i < n; i++) {
		if (i % 4 == 3)
			fprintf(f, "2001:db8:%x:%x::/64   # subscriber %d\n", i >> 16, i & 0xffff, i);
		else
			fprintf(f, "10.%d.%d.%d\n", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		if (i % 1000 == 0)
			fprintf(f, "\n");
	}
	fclose(f);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "interfaces = ( { name = \"eth0\"; } );\n"
		   "prefix_sets = ( { name = \"big\"; file = \"big.txt\"; } );\n"
		   "rules = ( { match = { src = \"@big\"; }; action = \"drop\"; } );\n");
	fclose(f);

	t0 = now();
	rc = ft_config_load(conf, &p, &d);
	dt = now() - t0;
	if (rc)
		fail_msg("rc %d:\n%.2000s", rc, d.text ? d.text : "");
	assert_int_equal(p.sets[0].npfx, n);
	assert_string_equal(ft_format_prefix(&p.sets[0].pfx[n - 1], buf, sizeof(buf)),
			    "2001:db8:1:869f::/64");
	assert_string_equal(ft_format_prefix(&p.sets[0].pfx[0], buf, sizeof(buf)), "10.0.0.0/32");
	print_message("      %d prefixes loaded in %.3f s\n", n, dt);
	/* generous: sanitizer builds on a slow CI box; quadratic code takes minutes */
	assert_true(dt < 5.0);
	ft_policy_free(&p);
	ft_diag_free(&d);
	unlink(set);
	unlink(conf);
	rmdir(dir);
}

/* The shipped example must be valid, and clean. */
static void test_etc_flowtag_conf(void **state)
{
	char path[PATH_MAX];
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/flowtag.conf", src_dir);
	rc = ft_config_load(path, &p, &d);
	if (rc || d.nwarnings)
		fail_msg("%s: rc %d:\n%s", path, rc, d.text ? d.text : "");
	assert_int_equal(p.nclasses, 5);
	assert_string_equal(p.classes[0].name, "voice");
	assert_string_equal(p.classes[1].name, "video");
	assert_string_equal(p.classes[2].name, "interactive");
	assert_string_equal(p.classes[3].name, "bulk");
	assert_string_equal(p.classes[4].name, "default");
	assert_int_equal(p.default_class, 4);
	assert_true(p.nsets >= 1);
	assert_string_equal(p.sets[0].name, "blocklist");
	assert_true(p.sets[0].npfx > 0);
	assert_int_equal(p.rules[0].action, FT_ACT_DROP);
	ft_policy_free(&p);
	ft_diag_free(&d);
}

/* ---- allocation failures -------------------------------------------- */

/*
 * Weak, so the binary links without --wrap too; __real_malloc is then
 * NULL, wrap_active stays false and test_oom skips.
 */
extern void *__real_malloc(size_t n) __attribute__((weak));
extern void *__real_calloc(size_t n, size_t sz) __attribute__((weak));
extern void *__real_realloc(void *p, size_t n) __attribute__((weak));
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);

static bool wrap_active;
static long fail_at = -1;	/* fail the allocation with this number; -1: never */
static long nalloc;		/* allocations seen while armed */
static bool injected;

static bool should_fail(void)
{
	wrap_active = true;
	if (fail_at < 0)
		return false;
	if (nalloc++ == fail_at) {
		injected = true;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return should_fail() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

static void oom_loop(const char *path, int want_rc)
{
	struct ft_policy p;
	struct ft_diag d;
	long k;
	int rc;

	for (k = 0;; k++) {
		memset(&p, 0, sizeof(p));
		memset(&d, 0, sizeof(d));
		nalloc = 0;
		injected = false;
		fail_at = k;
		rc = ft_config_load(path, &p, &d);
		fail_at = -1;
		if (injected) {
			if (rc != -ENOMEM)
				fail_msg("%s: allocation %ld failed, rc %d", path, k, rc);
			assert_true(policy_is_zero(&p));
		} else {
			assert_int_equal(rc, want_rc);
		}
		ft_policy_free(&p);
		ft_diag_free(&d);
		if (!injected)
			break;
	}
	print_message("      %s: %ld allocation failure points\n", path, k);
}

static void test_oom(void **state)
{
	char path[PATH_MAX];
	void *probe;

	(void)state;
	probe = malloc(1);	/* goes through __wrap_malloc only when wrapped */
	free(probe);
	if (!wrap_active || !__real_malloc) {
		print_message("      not linked with --wrap=malloc,calloc,realloc: skipped\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/sample.conf", data_dir);
	oom_loop(path, 0);
	snprintf(path, sizeof(path), "%s/all_keys.conf", data_dir);
	oom_loop(path, 0);
	snprintf(path, sizeof(path), "%s/bad_multi.conf", data_dir);
	oom_loop(path, -EINVAL);
	snprintf(path, sizeof(path), "%s/etc/flowtag.conf", src_dir);
	oom_loop(path, 0);
}

/* required = true, name patterns in interfaces and iif, binding them */
static void test_iface_patterns(void **state)
{
	static const struct ft_ifname present[] = {
		{ "lo", 1 }, { "eth0", 2 }, { "ppp0", 7 }, { "ppp1", 9 },
	};
	const char *text =
		"interfaces = ( { name = \"eth0\"; required = true; },\n"
		"  { name = \"ppp*\"; xdp_mode = \"generic\"; }, { name = \"ppp1\"; } );\n"
		"classes = ( { name = \"c\"; mark = 0x100; } );\n"
		"rules = ( { match = { iif = [\"ppp*\", \"eth0\"]; }; class = \"c\"; },\n"
		"  { match = { iif = \"ppp3\"; }; class = \"c\"; },\n"
		"  { match = { iif = \"eth?\"; }; class = \"c\"; } );\n";
	struct ft_policy p;
	struct ft_diag d;
	const struct ft_match *m;

	(void)state;
	assert_int_equal(parse(text, &p, &d), 0);
	assert_true(p.ifaces[0].required);
	assert_false(p.ifaces[1].required);
	assert_true(ft_ifname_is_pattern(p.ifaces[1].name));
	assert_false(ft_ifname_is_pattern(p.ifaces[0].name));
	/* the exact name first, then the first pattern */
	assert_ptr_equal(ft_policy_iface_for(&p, "ppp1"), &p.ifaces[2]);
	assert_ptr_equal(ft_policy_iface_for(&p, "ppp7"), &p.ifaces[1]);
	assert_ptr_equal(ft_policy_iface_for(&p, "eth0"), &p.ifaces[0]);
	assert_null(ft_policy_iface_for(&p, "wg0"));

	assert_int_equal(ft_policy_bind_iifs(&p, present, 4), 0);
	m = &p.rules[0].match;
	assert_int_equal(m->niif, 3);
	assert_string_equal(m->iif[0], "ppp0");
	assert_int_equal(m->iif_index[0], 7);
	assert_string_equal(m->iif[1], "ppp1");
	assert_int_equal(m->iif_index[1], 9);
	assert_string_equal(m->iif[2], "eth0");
	assert_int_equal(m->iif_index[2], 2);
	m = &p.rules[1].match;
	assert_int_equal(m->niif, 1);
	assert_string_equal(m->iif[0], "ppp3");
	assert_int_equal(m->iif_index[0], 0);	/* absent: matches once it appears */
	m = &p.rules[2].match;
	assert_int_equal(m->niif, 1);
	assert_int_equal(m->iif_index[0], 2);
	/* bound again: an interface gone, another re-created */
	assert_int_equal(ft_policy_bind_iifs(&p, (const struct ft_ifname[]){ { "ppp1", 12 } }, 1),
			 0);
	m = &p.rules[0].match;
	assert_int_equal(m->niif, 2);
	assert_int_equal(m->iif_index[0], 12);
	assert_string_equal(m->iif[1], "eth0");
	assert_int_equal(m->iif_index[1], 0);
	ft_policy_free(&p);
	ft_diag_free(&d);

	expect_error("interfaces = ( { name = \"ppp*\"; } );\n"
		     "classes = ( { name = \"c\"; mark = 0x100; } );\n"
		     "rules = ( { match = { iif = \"wg0\"; }; class = \"c\"; } );\n",
		     1, 3, "iif 'wg0' is not one of the interfaces listed");
	expect_error("interfaces = ( { name = \"eth0\";\n required = 1; } );\n",
		     1, 2, "a boolean");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_defaults_and_limits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_set_file_errors),
		cmocka_unit_test(test_set_file_error_cap),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_group_cap),
		cmocka_unit_test(test_long_lists),
		cmocka_unit_test(test_mark_zero_twice),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_big_set),
		cmocka_unit_test(test_etc_flowtag_conf),
		cmocka_unit_test(test_iface_patterns),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
