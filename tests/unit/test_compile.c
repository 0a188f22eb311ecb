// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy compiler: differential tests against the reference evaluator
 * (random policies and packets), and the shape of what it emits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <time.h>

#include "compile.h"
#include "prepare.h"
#include "randpol.h"

static uint64_t seed0(void)
{
	const char *env = getenv("FT_SEED");

	return env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
}

/* The userspace mirror of the BPF search (the drop pre-filter in front)
 * agrees with the reference. Returns the packets the pre-filter decided. */
static size_t run_random(size_t npolicies, size_t max_rules, size_t npackets)
{
	uint64_t seed = seed0(), s = seed;
	size_t i, j, mismatches = 0, prefiltered = 0;

	rp_dynamic_sets = true;	/* the dynamic sets' initial prefixes as their content */
	rp_prefilter = true;	/* half the policies begin with pre-filter rules */
	for (i = 0; i < npolicies; i++) {
		struct ft_policy pol;
		struct ft_compiled c = { 0 };
		size_t nrules = 1 + rp_below(&s, max_rules);

		rp_policy(&s, &pol, nrules);
		assert_int_equal(ft_compile(&pol, &c), 0);
		for (j = 0; j < npackets; j++) {
			struct ft_pkt_desc d;
			struct ft_flow_key k;
			int want;
			uint32_t got;

			rp_packet(&s, &d, 4);
			ft_pkt_flow_key(&d, &k);
			want = ft_reference_match(&pol, &d);
			got = ft_compiled_match(&c, &k);
			prefiltered += k.family == FT_FAM_IPV4 && want >= 0 &&
				       (unsigned int)want < ft_compiled_prefilter_rules(&c);
			if ((want < 0 ? FT_RULE_NONE : (uint32_t)want) != got) {
				if (mismatches++ < 5)
					fprintf(stderr,
						"# seed %#llx policy %zu packet %zu: compiled rule %u, "
						"reference %d\n", (unsigned long long)seed, i, j, got,
						want);
			}
		}
		ft_compiled_free(&c);
		ft_policy_free(&pol);
	}
	assert_int_equal(mismatches, 0);
	return prefiltered;
}

static void test_random_small(void **st)
{
	(void)st;
	/* some packets took the pre-filter's answer */
	assert_true(run_random(400, 40, 400) > 0);
}

static void test_random_large(void **st)
{
	(void)st;
	run_random(6, FT_MAX_RULES, 2000);
}

static struct ft_policy one_class_policy(size_t nrules)
{
	struct ft_policy pol = { 0 };

	pol.mark_mask = 0xff;
	pol.default_class = -1;
	pol.nclasses = 1;
	pol.classes = calloc(1, sizeof(*pol.classes));
	snprintf(pol.classes[0].name, sizeof(pol.classes[0].name), "only");
	pol.classes[0].mark = 0x7;
	pol.classes[0].dscp = -1;
	pol.nrules = nrules;
	pol.rules = calloc(nrules ? nrules : 1, sizeof(*pol.rules));
	return pol;
}

/* Port ranges become elementary intervals; edges 0 and 65535 included. */
static void test_port_intervals(void **st)
{
	struct ft_policy pol = one_class_policy(2);
	struct ft_compiled c = { 0 };
	uint32_t a, b;

	(void)st;
	pol.rules[0].match.keys = FT_MK_DPORT;
	pol.rules[0].match.dport = calloc(1, sizeof(struct ft_range));
	pol.rules[0].match.dport[0] = (struct ft_range){ 0, 10 };
	pol.rules[0].match.ndport = 1;
	pol.rules[1].match.keys = FT_MK_DPORT;
	pol.rules[1].match.dport = calloc(1, sizeof(struct ft_range));
	pol.rules[1].match.dport[0] = (struct ft_range){ 65000, 65535 };
	pol.rules[1].match.ndport = 1;
	assert_int_equal(ft_compile(&pol, &c), 0);

	a = c.scalar[FT_SC_DPORT + 0];
	b = c.scalar[FT_SC_DPORT + 10];
	assert_int_equal(a, b);
	assert_int_equal(c.bitmaps[a].w[0], 1);
	assert_int_equal(c.bitmaps[c.scalar[FT_SC_DPORT + 11]].w[0], 0);
	assert_int_equal(c.bitmaps[c.scalar[FT_SC_DPORT + 64999]].w[0], 0);
	assert_int_equal(c.bitmaps[c.scalar[FT_SC_DPORT + 65000]].w[0], 2);
	assert_int_equal(c.bitmaps[c.scalar[FT_SC_DPORT + 65535]].w[0], 2);
	/* sport is not used by any rule */
	assert_int_equal(c.hdr.used_fields, 1u << FT_F_DPORT);
	assert_int_equal(c.bitmaps[c.hdr.absent_bm[FT_F_DPORT]].w[0], 0);
	assert_int_equal(c.bitmaps[c.hdr.all_bm].w[0], 3);
	assert_int_equal(c.bitmaps[c.hdr.all_bm].summary, 1);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/* A large prefix set that nothing else overlaps costs one bitmap. */
static void test_set_dedup(void **st)
{
	struct ft_policy pol = one_class_policy(1);
	struct ft_compiled c = { 0 };
	const size_t n = 20000;
	size_t i;

	(void)st;
	pol.nsets = 1;
	pol.sets = calloc(1, sizeof(*pol.sets));
	pol.sets[0].pfx = calloc(n, sizeof(struct ft_prefix));
	pol.sets[0].npfx = n;
	for (i = 0; i < n; i++) {
		struct ft_prefix *p = &pol.sets[0].pfx[i];

		p->family = AF_INET;
		p->len = 32;
		p->addr[0] = 100;
		p->addr[1] = (i >> 16) & 0xff;
		p->addr[2] = (i >> 8) & 0xff;
		p->addr[3] = i & 0xff;
	}
	pol.rules[0].match.keys = FT_MK_SRC;
	pol.rules[0].match.src.sets = calloc(1, sizeof(int));
	pol.rules[0].match.src.nsets = 1;
	assert_int_equal(ft_compile(&pol, &c), 0);
	assert_int_equal(c.nsrc4, n + 1);	/* + the /0 root */
	assert_true(c.nbitmaps <= 3);		/* {rule 0}, {}, and maybe all */
	for (i = 0; i < c.nsrc4; i++)
		assert_int_equal(c.bitmaps[c.src4[i].bm].w[0], c.src4[i].key.prefixlen ? 1 : 0);
	/* IPv6: only the root, and no rule accepts it */
	assert_int_equal(c.nsrc6, 1);
	assert_int_equal(c.bitmaps[c.src6[0].bm].w[0], 0);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/* Verdict metadata for classify, pass, drop and the default. */
static void test_verdicts(void **st)
{
	struct ft_policy pol = one_class_policy(3);
	struct ft_compiled c = { 0 };

	(void)st;
	pol.mark_mask = 0xff00;
	pol.classes[0].mark = 0x4200;
	pol.classes[0].has_priority = true;
	pol.classes[0].priority = 0x10020;
	pol.classes[0].dscp = 46;
	pol.rules[0].action = FT_ACT_CLASS;
	pol.rules[0].class_idx = 0;
	pol.rules[1].action = FT_ACT_PASS;
	pol.rules[1].class_idx = -1;
	pol.rules[2].action = FT_ACT_DROP;
	pol.rules[2].class_idx = -1;
	pol.default_class = 0;
	assert_int_equal(ft_compile(&pol, &c), 0);

	assert_int_equal(c.rules[0].action, FT_ACT_CLASS);
	assert_int_equal(c.rules[0].meta.magic_ver, FLOWTAG_META_WORD);
	assert_int_equal(c.rules[0].meta.mark, 0x4200);
	assert_int_equal(c.rules[0].meta.priority, 0x10020);
	assert_int_equal(c.rules[0].meta.flags, FT_META_F_PRIO | FT_META_F_DSCP);
	assert_int_equal(c.rules[0].meta.dscp, 46);
	assert_int_equal(c.rules[0].meta.rule_id, 0);
	assert_int_equal(c.rules[1].action, FT_ACT_PASS);
	assert_int_equal(c.rules[1].meta.flags, FT_META_F_NOTAG);
	assert_int_equal(c.rules[1].meta.class_id, FT_CLASS_NONE);
	assert_int_equal(c.rules[2].action, FT_ACT_DROP);
	assert_int_equal(c.rules[2].meta.rule_id, 2);
	assert_int_equal(c.hdr.default_verdict.meta.rule_id, FT_RULE_NONE);
	assert_int_equal(c.hdr.default_verdict.meta.flags, FT_META_F_PRIO | FT_META_F_DSCP | FT_META_F_DEFAULT);
	assert_int_equal(c.nmarks, 1);
	assert_int_equal(c.marks[0].mark, 0x4200);
	assert_int_equal(c.marks[0].val.priority, 0x10020);
	assert_string_equal(c.classes[0].name, "only");
	ft_compiled_free(&c);
	ft_policy_free(&pol);

	/* no default class: untagged */
	pol = one_class_policy(0);
	assert_int_equal(ft_compile(&pol, &c), 0);
	assert_int_equal(c.hdr.default_verdict.action, FT_ACT_PASS);
	assert_int_equal(c.hdr.default_verdict.meta.flags, FT_META_F_NOTAG);
	assert_int_equal(c.hdr.nwords, 1);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/*
 * The file each rule was written in (ft_rule_file, ft_srcfile): entry 0
 * the policy, then the files holding rules in the order their first rule
 * comes, shared by their rules; a name past FT_SRCFILE_LEN keeps its end;
 * past FT_MAX_SRCFILES - 1 files, the last entry stands for the rest.
 */
static void test_rule_files(void **st)
{
	const size_t nfiles = FT_MAX_SRCFILES + 8, nrules = nfiles + 3;
	struct ft_policy pol = one_class_policy(nrules);
	struct ft_compiled c = { 0 };
	char longname[FT_SRCFILE_LEN + 40];
	size_t i;

	(void)st;
	pol.files = calloc(nfiles, sizeof(*pol.files));
	pol.nfiles = nfiles;
	for (i = 0; i < nfiles; i++) {
		char name[32];

		snprintf(name, sizeof(name), i ? "/etc/flowtag/f%zu.inc" : "/etc/flowtag/p.conf", i);
		pol.files[i] = strdup(name);
	}
	/* file 3: a path longer than an entry, ending in its own name */
	memset(longname, 'd', sizeof(longname));
	longname[0] = '/';
	snprintf(longname + sizeof(longname) - 12, 12, "/long.inc");
	free(pol.files[3]);
	pol.files[3] = strdup(longname);
	for (i = 0; i < nrules; i++) {
		pol.rules[i].action = FT_ACT_PASS;
		pol.rules[i].class_idx = -1;
		pol.rules[i].line = (int)i + 1;
	}
	/* rules 0-4: the policy, f2, f1, f2 again, the policy again; then
	 * files 3, 4, ... one rule each */
	pol.rules[1].src_file = 2;
	pol.rules[2].src_file = 1;
	pol.rules[3].src_file = 2;
	for (i = 5; i < nrules; i++)
		pol.rules[i].src_file = (unsigned int)(i - 2);
	assert_int_equal(ft_compile(&pol, &c), 0);

	assert_int_equal(c.nsrcfiles, FT_MAX_SRCFILES);
	assert_string_equal(c.srcfiles[0].name, "/etc/flowtag/p.conf");
	assert_int_equal(c.rule_file[0].file, 0);
	assert_int_equal(c.rule_file[4].file, 0);
	assert_int_equal(c.rule_file[1].file, 1);
	assert_int_equal(c.rule_file[3].file, 1);
	assert_string_equal(c.srcfiles[1].name, "/etc/flowtag/f2.inc");
	assert_int_equal(c.rule_file[2].file, 2);
	assert_string_equal(c.srcfiles[2].name, "/etc/flowtag/f1.inc");
	/* rule 5 is file 3's: the long name, its end kept behind "..." */
	assert_int_equal(c.rule_file[5].file, 3);
	assert_int_equal(strlen(c.srcfiles[3].name), FT_SRCFILE_LEN - 1);
	assert_memory_equal(c.srcfiles[3].name, "...", 3);
	assert_string_equal(c.srcfiles[3].name + FT_SRCFILE_LEN - 1 - 9, "/long.inc");
	/* entries 4..62 one file each, then the rest share entry 63 */
	for (i = 6; i < nrules; i++) {
		size_t want = i - 2 < FT_MAX_SRCFILES - 1 ? i - 2 : FT_MAX_SRCFILES - 1;
		char name[32];

		assert_int_equal(c.rule_file[i].file, want);
		if (want < FT_MAX_SRCFILES - 1) {
			snprintf(name, sizeof(name), "/etc/flowtag/f%zu.inc", i - 2);
			assert_string_equal(c.srcfiles[want].name, name);
		}
	}
	assert_non_null(strstr(c.srcfiles[FT_MAX_SRCFILES - 1].name, "after the first 62 that hold rules"));
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/*
 * ft_compile() writes its whole output, whatever the struct held: a
 * rollback once handed it one from the stack, and the garbage count of
 * interfaces sent compile_iif() past its table. Random policies (iif
 * rules among them) compiled into a zeroed and into a 0xa5-filled
 * output give the same header, counts and answers.
 */
static void test_output_overwritten(void **st)
{
	uint64_t s = seed0();
	size_t i, j, iif = 0;

	(void)st;
	for (i = 0; i < 50; i++) {
		struct ft_compiled a = { 0 }, b;
		struct ft_policy pol;

		rp_policy(&s, &pol, 1 + rp_below(&s, 40));
		memset(&b, 0xa5, sizeof(b));
		assert_int_equal(ft_compile(&pol, &a), 0);
		assert_int_equal(ft_compile(&pol, &b), 0);
		assert_memory_equal(&a.hdr, &b.hdr, sizeof(a.hdr));
		assert_int_equal(a.nrules, b.nrules);
		assert_int_equal(a.niif, b.niif);
		assert_int_equal(a.nmarks, b.nmarks);
		iif += a.niif;
		for (j = 0; j < 64; j++) {
			struct ft_pkt_desc d;
			struct ft_flow_key k;

			rp_packet(&s, &d, 4);
			ft_pkt_flow_key(&d, &k);
			assert_int_equal(ft_compiled_match(&a, &k), ft_compiled_match(&b, &k));
		}
		ft_compiled_free(&a);
		ft_compiled_free(&b);
		ft_policy_free(&pol);
	}
	/* the case that crashed: some policies had iif rules */
	assert_true(iif > 0);
}

static void test_too_many_rules(void **st)
{
	struct ft_policy pol = one_class_policy(FT_MAX_RULES + 1);
	struct ft_compiled c = { 0 };

	(void)st;
	assert_int_equal(ft_compile(&pol, &c), -E2BIG);
	ft_policy_free(&pol);
}

/*
 * The drop pre-filter's rules (flowtag/maps.h, ft_policy_hdr.flags): the
 * leading run of drop rules that match on static src/dst prefixes (and
 * family) alone, at most 64; whatever else a rule matches on, a dynamic
 * set, another action, ends the run.
 */
static void test_prefilter_rules(void **st)
{
	static const struct ft_ifname lo = { "lo", 1 };
	static const struct {
		const char *rules;	/* the rules = ( ... ) list */
		unsigned int n;		/* rules the pre-filter decides */
		unsigned int flags;	/* FT_POL_F_PF_SRC / _DST */
	} cases[] = {
		{ "{ match = { src = \"@s\"; }; action = \"drop\"; }", 1, FT_POL_F_PF_SRC },
		{ "{ match = { dst = \"198.18.0.0/15\"; }; action = \"drop\"; },"
		  "{ match = { src = [\"198.18.1.0/24\", \"@s\"]; dst = \"@s\"; }; action = \"drop\"; },"
		  "{ match = { proto = \"udp\"; }; action = \"drop\"; }",
		  2, FT_POL_F_PF_SRC | FT_POL_F_PF_DST },
		/* family is decided by the IPv4 tables too; IPv6 prefixes do not matter */
		{ "{ match = { family = \"ipv6\"; }; action = \"drop\"; },"
		  "{ match = { src = [\"2001:db8::/32\", \"198.18.0.0/24\"]; }; action = \"drop\"; }",
		  2, FT_POL_F_PF_SRC | FT_POL_F_PF_DST },
		{ "{ match = { }; action = \"drop\"; }", 1, 0 },
		/* one more field, a dynamic set, another action: none */
		{ "{ match = { src = \"@s\"; dport = 53; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { src = \"@s\"; proto = \"tcp\"; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { src = \"@s\"; iif = \"lo\"; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { src = \"@s\"; vlan = 7; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { src = \"@s\"; dscp = \"EF\"; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { src = [\"198.18.0.0/24\", \"@d\"]; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { src = \"@s\"; }; action = \"pass\"; }", 0, 0 },
		{ "{ match = { src = \"@s\"; }; class = \"a\"; }", 0, 0 },
		/* the run ends at the first rule that is not one */
		{ "{ match = { src = \"@s\"; }; class = \"a\"; },"
		  "{ match = { dst = \"@s\"; }; action = \"drop\"; }", 0, 0 },
		{ "{ match = { dst = \"@s\"; }; action = \"drop\"; },"
		  "{ match = { src = \"@s\"; tcp_flags = \"syn\"; }; action = \"drop\"; },"
		  "{ match = { src = \"@s\"; }; action = \"drop\"; }", 1, FT_POL_F_PF_DST },
	};
	char text[2048];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ft_prepare_opts o = { .text = text, .name = "prefilter.conf",
						   .dir = ".", .binder = FT_BIND_FIXED,
						   .fixed = &lo, .nfixed = 1 };
		struct ft_prepared p;
		unsigned int n, flags;

		snprintf(text, sizeof(text),
			 "interfaces = ( { name = \"lo\"; } );\nmark_mask = 0xff00;\n"
			 "classes = ( { name = \"a\"; mark = 0x100; } );\n"
			 "prefix_sets = ( { name = \"s\"; prefixes = [ \"198.18.7.0/24\" ]; },\n"
			 "  { name = \"d\"; dynamic = true; } );\n"
			 "rules = ( %s );\n", cases[i].rules);
		if (ft_prepare(&o, &p)) {
			fprintf(stderr, "# case %zu does not compile:\n%s", i,
				p.diag.text ? p.diag.text : "");
			fail();
		}
		n = ft_compiled_prefilter_rules(&p.comp);
		flags = p.comp.hdr.flags & (FT_POL_F_PF_SRC | FT_POL_F_PF_DST);
		if (n != cases[i].n || flags != cases[i].flags)
			fprintf(stderr, "# case %zu (%s): got %u rules, flags %#x; want %u, %#x\n",
				i, cases[i].rules, n, flags, cases[i].n, cases[i].flags);
		assert_int_equal(n, cases[i].n);
		assert_int_equal(flags, cases[i].flags);
		ft_prepared_free(&p);
	}
}

/*
 * The rules = ( ... ) list of @n rules "{ match = { proto = "udp"; dport =
 * P; src = "S"; }; class = "a"; }" (malloc'ed). Not @shared: the
 * benchmark's shape, P 1024+i and S 198.(18+i/256).(i%256).0/24, each rule
 * its own port (the search visits one word). @shared: two ports and two
 * prefixes, alternately, P 80+i%2 and S 198.18.(1+i%2).0/24, whose search
 * for a packet of port 80 from the other prefix visits every word.
 */
static char *rule_list(size_t n, bool shared)
{
	size_t cap = n * 96 + 64, len = 0, i;
	char *buf = malloc(cap);

	assert_non_null(buf);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"%s{ match = { proto = \"udp\"; dport = %zu; "
					"src = \"198.%zu.%zu.0/24\"; }; class = \"a\"; }",
					i ? "," : "", shared ? 80 + i % 2 : 1024 + i,
					shared ? 18 : 18 + i / 256, shared ? 1 + i % 2 : i % 256);
	return buf;
}

/*
 * Compile the policy of one class "a" (mark 0x100) on lo with the
 * dynamic set "d", the static set "s" (198.18.0.0/24, 203.0.113.7), the
 * top-level @setting ("" or e.g. flow_cache = "on";) and the rules list
 * @rules, as flowtagd would (ft_prepare()); fails the test, with the
 * diagnostics, when it does not compile. Case @i names it.
 */
static void prepare_rules(size_t i, const char *setting, const char *rules,
			  struct ft_prepared *p)
{
	static const struct ft_ifname lo = { "lo", 1 };
	size_t cap = strlen(rules) + 1024;
	char *text = malloc(cap);
	const struct ft_prepare_opts o = { .text = text, .name = "t.conf", .dir = ".",
					   .binder = FT_BIND_FIXED, .fixed = &lo, .nfixed = 1 };

	assert_non_null(text);
	snprintf(text, cap,
		 "interfaces = ( { name = \"lo\"; } );\nmark_mask = 0xff00;\n%s\n"
		 "classes = ( { name = \"a\"; mark = 0x100; } );\n"
		 "prefix_sets = ( { name = \"d\"; dynamic = true; },\n"
		 "  { name = \"s\"; prefixes = [ \"198.18.0.0/24\", \"203.0.113.7\" ]; } );\n"
		 "rules = ( %s );\n", setting, rules);
	if (ft_prepare(&o, p)) {
		fprintf(stderr, "# case %zu does not compile:\n%s", i,
			p->diag.text ? p->diag.text : "");
		free(text);
		fail();
	}
	free(text);
}

/*
 * flow_cache: "on" and "off" as set; "auto" on for dynamic sets and IPv6
 * prefixes (LPM tries) and a search that can visit more than
 * FT_FLOW_CACHE_AUTO_WORDS words, else off: 10, 1000 and 4096 rules of
 * the benchmark's shape (each its own port: one word; 4096 take 192.1
 * KiB of tables, their bitmaps' 16-byte heads and the src prefix hash,
 * where the bitmaps themselves take 2.0 MiB; 10 take 460 bytes, the sizes
 * below 1 MiB in KiB),
 * one port-only rule (16 bytes of tables: two bitmap words), a static
 * set, 512 shared rules (8 words); on for
 * 576 and 4096 shared ones (9 and 64 words). FT_POL_F_NOCACHE in the
 * header follows, and ft_flow_cache_describe() says which and why.
 */
static void test_flow_cache_choice(void **st)
{
	char *r10 = rule_list(10, false), *r1000 = rule_list(1000, false);
	char *r4096 = rule_list(4096, false), *s512 = rule_list(512, true);
	char *s576 = rule_list(576, true), *s4096 = rule_list(4096, true);
	const struct {
		const char *setting;	/* flow_cache = ...; or "" */
		const char *rules;
		enum ft_flow_cache_reason reason;
		const char *says;	/* the start of ft_flow_cache_describe() */
		unsigned int words;	/* ft_search_words(), 0: not checked */
	} cases[] = {
		{ "", r10, FT_FC_AUTO_BOUNDED,
		  "off (flow_cache \"auto\": no dynamic set or IPv6 prefix, the search visits "
		  "at most 1 bitmap word: 460 bytes of tables)", 1 },
		{ "", "{ match = { proto = \"udp\"; dport = 9000; }; class = \"a\"; }",
		  FT_FC_AUTO_BOUNDED, "off (flow_cache \"auto\": no dynamic set or IPv6 prefix, "
		  "the search visits at most 1 bitmap word: 16 bytes of tables)", 1 },
		{ "flow_cache = \"auto\";", r1000, FT_FC_AUTO_BOUNDED, "off (flow_cache \"auto\"", 1 },
		{ "", r4096, FT_FC_AUTO_BOUNDED,
		  "off (flow_cache \"auto\": no dynamic set or IPv6 prefix, the search visits "
		  "at most 1 bitmap word: 192.1 KiB of tables)", 1 },
		{ "", "{ match = { src = \"@s\"; }; class = \"a\"; }", FT_FC_AUTO_BOUNDED,
		  "off (flow_cache \"auto\": no dynamic set or IPv6 prefix", 1 },
		{ "", s512, FT_FC_AUTO_BOUNDED,
		  "off (flow_cache \"auto\": no dynamic set or IPv6 prefix, the search visits "
		  "at most 8 bitmap words: ", 8 },
		{ "", s576, FT_FC_AUTO_WORDS,
		  "on (flow_cache \"auto\": the search can visit 9 bitmap words, more than 8)", 9 },
		{ "", s4096, FT_FC_AUTO_WORDS,
		  "on (flow_cache \"auto\": the search can visit 64 bitmap words, more than 8)", 64 },
		{ "flow_cache = \"off\";", s4096, FT_FC_SET_OFF, "off (flow_cache \"off\")", 64 },
		{ "", "{ match = { dst = \"192.0.2.0/24\"; }; class = \"a\"; }, "
		      "{ match = { src = \"@d\"; }; class = \"a\"; }", FT_FC_AUTO_DYNSETS,
		  "on (flow_cache \"auto\": the rules name dynamic sets)", 0 },
		{ "flow_cache = \"off\";", r4096, FT_FC_SET_OFF, "off (flow_cache \"off\")", 0 },
		{ "flow_cache = \"on\";", r10, FT_FC_SET_ON, "on (flow_cache \"on\")", 0 },
		{ "", "{ match = { src = \"@d\"; }; class = \"a\"; }", FT_FC_AUTO_DYNSETS,
		  "on (flow_cache \"auto\": the rules name dynamic sets)", 0 },
		{ "", "{ match = { dst = \"2001:db8::/32\"; }; class = \"a\"; }", FT_FC_AUTO_IPV6,
		  "on (flow_cache \"auto\": the rules match IPv6 prefixes)", 0 },
		{ "flow_cache = \"off\";", "{ match = { src = \"@d\"; }; class = \"a\"; }",
		  FT_FC_SET_OFF, "off (flow_cache \"off\")", 0 },
	};
	char why[256];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ft_prepared p;
		bool off = cases[i].reason == FT_FC_SET_OFF || cases[i].reason == FT_FC_AUTO_BOUNDED;

		prepare_rules(i, cases[i].setting, cases[i].rules, &p);
		ft_flow_cache_describe(&p.comp, why, sizeof(why));
		fprintf(stderr, "# case %zu: %s\n", i, why);
		assert_int_equal(p.comp.flow_cache_reason, cases[i].reason);
		assert_int_equal(!!(p.comp.hdr.flags & FT_POL_F_NOCACHE), off);
		assert_int_equal(strncmp(why, cases[i].says, strlen(cases[i].says)), 0);
		if (cases[i].words)
			assert_int_equal(ft_search_words(&p.comp), cases[i].words);
		ft_prepared_free(&p);
	}
	free(r10);
	free(r1000);
	free(r4096);
	free(s512);
	free(s576);
	free(s4096);
}

/* 15 rules, rule k matching the source addresses 10.0.0.0 + i, 1 <= i <=
 * 16500, whose bit k is set: 16500 distinct source bitmaps, the one of no
 * address and the all-rules one of the fields no rule constrains, 16502,
 * more than FT_BMW_MAX with one bitmap word. Freed by the caller. */
static char *many_bitmaps_rules(void)
{
	size_t cap = 4u << 20, n = 0;
	char *t = malloc(cap);
	unsigned int k, i;

	assert_non_null(t);
	for (k = 0; k < 15; k++) {
		n += snprintf(t + n, cap - n, "%s{ match = { src = [ ", k ? ", " : "");
		for (i = 1; i <= 16500; i++)
			if (i & (1u << k))
				n += snprintf(t + n, cap - n, "\"10.0.%u.%u\", ", i >> 8, i & 255);
		n -= 2;	/* the last ", " */
		n += snprintf(t + n, cap - n, " ]; }; class = \"a\"; }");
		assert_true(n < cap - 64);
	}
	return t;
}

/*
 * The one-word search (FT_POL_F_WORD): up to 64 rules without a dynamic
 * set and with at most FT_BMW_MAX distinct bitmaps; not at 65 rules, 4096,
 * with a rule naming a dynamic set, or with 16502 bitmaps. Its search
 * reads one word a bitmap: ft_search_bytes() counts that. The heads
 * (FT_POL_F_HEADS): above 64 rules, without a dynamic set and with at most
 * FT_BMW_MAX bitmaps; a 16-byte head a bitmap, and the bitmaps of more
 * than one non-zero word but the all-rules one read whole (130 rules
 * sharing two ports and two prefixes: 4 bitmaps, all rules, none, the
 * even and the odd rules; those two read whole).
 * ft_search_describe() says which search and why.
 */
static void test_one_word(void **st)
{
	char *r1 = rule_list(1, false), *r64 = rule_list(64, false), *r65 = rule_list(65, false);
	char *r4096 = rule_list(4096, false), *many = many_bitmaps_rules();
	char *r130s = rule_list(130, true);
	const char *word = "one-word (at most 64 rules, no dynamic set, at most 16384 distinct "
			   "bitmaps: one word per field)";
	const struct {
		const char *rules;
		bool word, heads;
		size_t whole;		/* bitmaps the heads search reads whole */
		const char *says;	/* ft_search_describe() */
		const char *prefixes;	/* ft_prefix4_describe() */
	} cases[] = {
		{ r1, true, false, 0, word, "src hashed (1 length besides /0, 1 bucket), dst no static IPv4 prefix" },
		{ r64, true, false, 0, word, "src hashed (1 length besides /0, 32 buckets), dst no static IPv4 prefix" },
		{ r65, false, true, 0, "bitmap (65 rules, more than 64: 2 words per bitmap; "
		  "67 of 67 bitmaps read from their 16-byte heads alone)",
		  "src hashed (1 length besides /0, 33 buckets), dst no static IPv4 prefix" },
		{ r4096, false, true, 0, "bitmap (4096 rules, more than 64: 64 words per bitmap; "
		  "4098 of 4098 bitmaps read from their 16-byte heads alone)",
		  "src hashed (1 length besides /0, 2048 buckets), dst no static IPv4 prefix" },
		{ r130s, false, true, 2, "bitmap (130 rules, more than 64: 3 words per bitmap; "
		  "2 of 4 bitmaps read from their 16-byte heads alone)",
		  "src hashed (1 length besides /0, 1 bucket), dst no static IPv4 prefix" },
		{ "{ match = { src = \"@d\"; }; class = \"a\"; }", false, false, 0,
		  "bitmap (the rules name dynamic sets)",
		  "src no static IPv4 prefix (dynamic sets: their tries), dst no static IPv4 prefix" },
		{ "{ match = { dport = 53; }; class = \"a\"; }, "
		  "{ match = { src = \"@d\"; }; class = \"a\"; }", false, false, 0,
		  "bitmap (the rules name dynamic sets)",
		  "src no static IPv4 prefix (dynamic sets: their tries), dst no static IPv4 prefix" },
		{ many, false, false, 0, "bitmap (16502 distinct bitmaps, more than 16384)",
		  "src in its table (more prefixes than 2048 buckets hold), dst no static IPv4 prefix" },
	};
	char why[200];
	size_t i, b, whole;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ft_prepared p;
		uint64_t words, tables, bytes;

		prepare_rules(i, "", cases[i].rules, &p);
		fprintf(stderr, "# case %zu: %zu rules, %zu bitmaps, one-word search %s, heads %s\n",
			i, p.comp.nrules, p.comp.nbitmaps,
			p.comp.hdr.flags & FT_POL_F_WORD ? "yes" : "no",
			p.comp.hdr.flags & FT_POL_F_HEADS ? "yes" : "no");
		assert_int_equal(!!(p.comp.hdr.flags & FT_POL_F_WORD), cases[i].word);
		assert_int_equal(!!(p.comp.hdr.flags & FT_POL_F_HEADS), cases[i].heads);
		assert_string_equal(ft_search_describe(&p.comp, why, sizeof(why)), cases[i].says);
		assert_string_equal(ft_search_name(p.comp.hdr.flags), cases[i].word ? "one-word" : "bitmap");
		/* each head as flowtag/maps.h says, and those read whole */
		for (b = 0, whole = 0; b < p.comp.nbitmaps; b++) {
			const struct ft_bitmap *bm = &p.comp.bitmaps[b];
			struct ft_bm_head x = ft_bm_head_of(&p.comp, b);
			int nz = __builtin_popcountll(bm->summary);

			assert_true(x.summary == bm->summary);
			if (nz == 0)
				assert_true(x.word == 0);
			else if (nz == 1)
				assert_true(x.word == bm->w[__builtin_ctzll(bm->summary)]);
			else if (b == p.comp.hdr.all_bm)
				assert_true(x.word == FT_BM_HEAD_ALL);
			else
				assert_true(x.word == b);
			whole += nz > 1 && b != p.comp.hdr.all_bm;
		}
		assert_int_equal(whole, cases[i].whole);
		words = cases[i].word ? 1 : 1 + p.comp.hdr.nwords;
		/* each IPv4 field's prefix hash, or its table */
		tables = (p.comp.hdr.flags & FT_POL_F_PFX4_SRC ? ft_pfx4_bytes(&p.comp.src4_pfx) :
								   ft_dir4_bytes(&p.comp.src4_table)) +
			 (p.comp.hdr.used_fields & (1u << FT_F_DST) ?
				  (p.comp.hdr.flags & FT_POL_F_PFX4_DST ?
					   ft_pfx4_bytes(&p.comp.dst4_pfx) :
					   ft_dir4_bytes(&p.comp.dst4_table)) : 0);
		fprintf(stderr, "# case %zu: IPv4 prefixes: %s\n", i,
			ft_prefix4_describe(&p.comp, why, sizeof(why)));
		assert_string_equal(why, cases[i].prefixes);
		bytes = cases[i].heads ? p.comp.nbitmaps * 16 + whole * words * 8 :
					 p.comp.nbitmaps * words * 8;
		if (p.comp.hdr.used_fields & (1u << FT_F_SRC))
			assert_int_equal(ft_search_bytes(&p.comp), bytes + tables);
		ft_prepared_free(&p);
	}
	free(r130s);
	free(r1);
	free(r64);
	free(r65);
	free(r4096);
	free(many);
}

/* 70 leading drop rules: the pre-filter takes the first 64 (one bitmap word). */
static void test_prefilter_64(void **st)
{
	struct ft_policy pol = one_class_policy(70);
	struct ft_compiled c = { 0 };
	size_t r;

	(void)st;
	for (r = 0; r < pol.nrules; r++) {
		pol.rules[r].action = FT_ACT_DROP;
		pol.rules[r].class_idx = -1;
		pol.rules[r].match.keys = FT_MK_FAMILY;
		pol.rules[r].match.family = r % 2 ? AF_INET : AF_INET6;
	}
	assert_int_equal(ft_compile(&pol, &c), 0);
	assert_int_equal(ft_compiled_prefilter_rules(&c), FT_POL_PF_MAX);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_large),
		cmocka_unit_test(test_port_intervals),
		cmocka_unit_test(test_set_dedup),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_rule_files),
		cmocka_unit_test(test_output_overwritten),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_prefilter_rules),
		cmocka_unit_test(test_flow_cache_choice),
		cmocka_unit_test(test_prefilter_64),
		cmocka_unit_test(test_one_word),
	};

	return cmocka_run_group_tests_name("compile", tests, NULL, NULL);
}
