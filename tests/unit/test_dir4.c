// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The IPv4 prefix table (flowtag/dir4.h, daemon/compile_dir4.c): what the
 * builder paints, entry by entry where it matters, looked up with the walk
 * the data path does; a random differential against a plain longest-prefix
 * match; the size limit; and that the compiled search reads the table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "compile.h"

/* A prefix and the bitmap index the table must give its addresses. */
struct pfx {
	const char *prefix;
	uint32_t bm;
};

/* An address and the entry its lookup must return. */
struct probe {
	const char *addr;
	uint32_t want;
};

static uint32_t a4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static struct ft_lpm4_ent *ents_of(const struct pfx *p, size_t n)
{
	struct ft_lpm4_ent *e = calloc(n ? n : 1, sizeof(*e));
	size_t i;

	assert_non_null(e);
	for (i = 0; i < n; i++) {
		char buf[32], *slash;

		snprintf(buf, sizeof(buf), "%s", p[i].prefix);
		slash = strchr(buf, '/');
		assert_non_null(slash);
		*slash = '\0';
		e[i].key.prefixlen = (uint32_t)atoi(slash + 1);
		e[i].key.addr = htonl(a4(buf));
		e[i].bm = p[i].bm;
	}
	return e;
}

/* Build the table of @p, check its chunk count and every probe. */
static void check_table(const struct pfx *p, size_t np, uint32_t nchunks, const struct probe *pr,
			size_t npr, struct ft_dir4_table *keep)
{
	struct ft_lpm4_ent *e = ents_of(p, np);
	struct ft_dir4_table t;
	size_t i, bad = 0;

	assert_int_equal(ft_dir4_build(e, np, &t), 0);
	assert_int_equal(t.nchunks, nchunks);
	assert_int_equal(ft_dir4_chunks(e, np), nchunks);
	for (i = 0; i < npr; i++) {
		uint32_t got = ft_dir4_lookup(&t, a4(pr[i].addr));

		if (got != pr[i].want && bad++ < 10)
			fprintf(stderr, "# %s: got %#x, want %#x\n", pr[i].addr, got, pr[i].want);
	}
	free(e);
	if (keep)
		*keep = t;
	else
		free(t.e);
	assert_int_equal(bad, 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* /8 holding a /16 holding a /24 holding a /32: each level's own chunk. */
static void test_nested(void **st)
{
	static const struct pfx p[] = {
		{ "0.0.0.0/0", 0 }, { "10.0.0.0/8", 1 }, { "10.1.0.0/16", 2 },
		{ "10.1.2.0/24", 3 }, { "10.1.2.3/32", 4 },
	};
	static const struct probe pr[] = {
		{ "10.1.2.3", 4 },	   { "10.1.2.2", 3 },	   { "10.1.2.4", 3 },
		{ "10.1.2.0", 3 },	   { "10.1.2.255", 3 },	   { "10.1.1.255", 2 },
		{ "10.1.3.0", 2 },	   { "10.1.0.0", 2 },	   { "10.1.255.255", 2 },
		{ "10.0.255.255", 1 },	   { "10.2.0.0", 1 },	   { "10.0.0.0", 1 },
		{ "10.255.255.255", 1 },   { "9.255.255.255", 0 }, { "11.0.0.0", 0 },
		{ "0.0.0.0", 0 },	   { "255.255.255.255", 0 },
	};
	struct ft_dir4_table t;

	(void)st;
	/* one chunk for 10.1/16 (the /24), one for 10.1.2/24 (the /32) */
	check_table(p, N(p), 2, pr, N(pr), &t);
	assert_int_equal(t.e[(10 << 8) | 0], 1);			/* 10.0/16: the /8 */
	assert_int_equal(t.e[(10 << 8) | 1], FT_DIR4_CHUNK | 0);	/* 10.1/16: chunk 0 */
	assert_int_equal(t.e[FT_DIR4_TOP + 2], FT_DIR4_CHUNK | 1);	/* 10.1.2/24: chunk 1 */
	assert_int_equal(t.e[FT_DIR4_TOP + 3], 2);			/* 10.1.3/24: the /16 */
	assert_int_equal(t.e[FT_DIR4_TOP + 256 + 3], 4);		/* 10.1.2.3 */
	assert_int_equal(t.e[FT_DIR4_TOP + 256 + 4], 3);
	free(t.e);
}

/* /17, /23 and /25: ranges inside a chunk, not aligned to the strides. */
static void test_unaligned(void **st)
{
	static const struct pfx p[] = {
		{ "0.0.0.0/0", 0 }, { "10.1.128.0/17", 5 }, { "10.2.2.0/23", 6 },
		{ "10.3.3.128/25", 7 },
	};
	static const struct probe pr[] = {
		{ "10.1.127.255", 0 }, { "10.1.128.0", 5 },   { "10.1.200.7", 5 },
		{ "10.1.255.255", 5 }, { "10.0.255.255", 0 }, { "10.2.0.0", 0 },
		{ "10.2.1.255", 0 },   { "10.2.2.0", 6 },     { "10.2.3.255", 6 },
		{ "10.2.4.0", 0 },     { "10.3.3.0", 0 },     { "10.3.3.127", 0 },
		{ "10.3.3.128", 7 },   { "10.3.3.255", 7 },   { "10.3.4.0", 0 },
		{ "10.3.2.255", 0 },
	};
	struct ft_dir4_table t;
	unsigned int i;

	(void)st;
	/* 10.1/16, 10.2/16, 10.3/16 and 10.3.3/24 */
	check_table(p, N(p), 4, pr, N(pr), &t);
	/* the /17: the upper half of chunk 0 */
	for (i = 0; i < 256; i++)
		assert_int_equal(t.e[FT_DIR4_TOP + i], i < 128 ? 0 : 5);
	free(t.e);
}

/* Only the /0: no chunk, every /16 entry holds its bitmap. */
static void test_root_only(void **st)
{
	static const struct pfx p[] = { { "0.0.0.0/0", 9 } };
	static const struct probe pr[] = {
		{ "0.0.0.0", 9 }, { "255.255.255.255", 9 }, { "127.0.0.1", 9 }, { "10.1.2.3", 9 },
	};
	struct ft_dir4_table t;
	unsigned int i;

	(void)st;
	check_table(p, N(p), 0, pr, N(pr), &t);
	for (i = 0; i < FT_DIR4_TOP; i++)
		assert_int_equal(t.e[i], 9);
	free(t.e);
}

/* Prefixes side by side: each ends where the next begins. */
static void test_adjacent(void **st)
{
	static const struct pfx p[] = {
		{ "0.0.0.0/0", 0 },	  { "192.0.2.0/25", 1 },   { "192.0.2.128/25", 2 },
		{ "192.0.3.0/24", 3 },	  { "192.0.4.0/22", 4 },   { "192.1.0.0/16", 5 },
		{ "192.2.0.0/15", 6 },
	};
	static const struct probe pr[] = {
		{ "192.0.1.255", 0 },	{ "192.0.2.0", 1 },	{ "192.0.2.127", 1 },
		{ "192.0.2.128", 2 },	{ "192.0.2.255", 2 },	{ "192.0.3.0", 3 },
		{ "192.0.3.255", 3 },	{ "192.0.4.0", 4 },	{ "192.0.7.255", 4 },
		{ "192.0.8.0", 0 },	{ "192.0.255.255", 0 }, { "192.1.0.0", 5 },
		{ "192.1.255.255", 5 }, { "192.2.0.0", 6 },	{ "192.3.255.255", 6 },
		{ "192.4.0.0", 0 },
	};

	(void)st;
	/* 192.0/16 and 192.0.2/24 */
	check_table(p, N(p), 2, pr, N(pr), NULL);
}

/* The first and the last address of the space. */
static void test_ends(void **st)
{
	static const struct pfx p[] = {
		{ "0.0.0.0/0", 0 }, { "0.0.0.0/32", 1 }, { "255.255.255.255/32", 2 },
		{ "255.255.255.0/24", 3 },
	};
	static const struct probe pr[] = {
		{ "0.0.0.0", 1 },	  { "0.0.0.1", 0 },	    { "0.0.1.0", 0 },
		{ "0.1.0.0", 0 },	  { "255.255.255.255", 2 }, { "255.255.255.254", 3 },
		{ "255.255.255.0", 3 },	  { "255.255.254.255", 0 }, { "255.254.255.255", 0 },
	};

	(void)st;
	check_table(p, N(p), 4, pr, N(pr), NULL);
}

/* Without a /0 (the compiler always has one) an address no prefix holds
 * gets FT_DIR4_EMPTY, which is no bitmap index. */
static void test_no_root(void **st)
{
	static const struct pfx p[] = { { "10.1.2.0/24", 1 } };
	static const struct probe pr[] = {
		{ "10.1.2.9", 1 }, { "10.1.3.0", FT_DIR4_EMPTY }, { "11.0.0.0", FT_DIR4_EMPTY },
	};

	(void)st;
	check_table(p, N(p), 1, pr, N(pr), NULL);
}

/* A walk that runs off the table answers FT_DIR4_NONE, never a wrong index. */
static void test_cut_short(void **st)
{
	static const struct pfx p[] = { { "0.0.0.0/0", 0 }, { "10.1.2.3/32", 1 } };
	struct ft_lpm4_ent *e = ents_of(p, N(p));
	struct ft_dir4_table t, none = { 0 };

	(void)st;
	assert_int_equal(ft_dir4_build(e, N(p), &t), 0);
	assert_int_equal(ft_dir4_lookup(&none, a4("10.1.2.3")), FT_DIR4_NONE);
	t.nchunks = 1;		/* the /24's chunk is gone */
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.2.3")), FT_DIR4_NONE);
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.3.0")), 0);
	t.nchunks = 2;		/* and a chunk named at the last level */
	t.e[FT_DIR4_TOP + 256 + 3] = FT_DIR4_CHUNK | 0;
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.2.3")), FT_DIR4_NONE);
	free(t.e);
	free(e);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random prefixes around the strides' edges against a plain longest match. */
static void test_random(void **st)
{
	static const uint8_t lens[] = { 1, 7, 8, 12, 15, 16, 17, 20, 23, 24, 25, 28, 31, 32 };
	const char *env = getenv("FT_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
	uint64_t s = seed | 1;
	size_t round, i, j, bad = 0;

	(void)st;
	for (round = 0; round < 50; round++) {
		size_t n = 1 + rnd(&s) % 300;
		struct ft_lpm4_ent *e = calloc(n + 1, sizeof(*e));
		struct ft_dir4_table t;

		assert_non_null(e);
		/* distinct prefixes under a few /12s, so they nest and touch (a
		 * length with no new prefix left there is skipped) */
		for (i = 0; i < n;) {
			uint32_t len = lens[rnd(&s) % sizeof(lens)], a = 0, tries;

			for (tries = 0; tries < 8; tries++) {
				a = (uint32_t)(rnd(&s) % 4) << 20 | 0x0a000000u |
				    (uint32_t)(rnd(&s) & 0x000fffffu);
				a &= ~0u << (32 - len);
				for (j = 0; j < i; j++)
					if (e[j].key.prefixlen == len && ntohl(e[j].key.addr) == a)
						break;
				if (j == i)
					break;
			}
			if (tries == 8)
				continue;
			e[i].key.prefixlen = len;
			e[i].key.addr = htonl(a);
			e[i].bm = (uint32_t)i + 1;
			i++;
		}
		e[n].bm = 0;	/* the /0 */
		assert_int_equal(ft_dir4_build(e, n + 1, &t), 0);
		for (j = 0; j < 2000; j++) {
			uint32_t a = 0x0a000000u | (uint32_t)(rnd(&s) % 5) << 20 |
				     (uint32_t)(rnd(&s) & 0x000fffffu), want = 0, best = 0;

			if (j % 4 == 0) {	/* a prefix's first or last address */
				const struct ft_lpm4_ent *pe = &e[rnd(&s) % n];

				a = ntohl(pe->key.addr);
				if (rnd(&s) & 1 && pe->key.prefixlen < 32)
					a |= ~0u >> pe->key.prefixlen;
			}
			for (i = 0; i <= n; i++) {
				uint32_t len = e[i].key.prefixlen, m = len ? ~0u << (32 - len) : 0;

				if ((a & m) == ntohl(e[i].key.addr) && len >= best) {
					best = len;
					want = e[i].bm;
				}
			}
			if (ft_dir4_lookup(&t, a) != want && bad++ < 5)
				fprintf(stderr, "# seed %#llx round %zu: %#x got %u want %u\n",
					(unsigned long long)seed, round, a, ft_dir4_lookup(&t, a),
					want);
		}
		free(t.e);
		free(e);
	}
	assert_int_equal(bad, 0);
}

/* /25s in distinct /24s: each costs a chunk, their /16s one per 256. */
static struct ft_lpm4_ent *spread_25(size_t n)
{
	struct ft_lpm4_ent *e = calloc(n + 1, sizeof(*e));
	size_t i;

	assert_non_null(e);
	for (i = 0; i < n; i++) {
		e[i].key.prefixlen = 25;
		e[i].key.addr = htonl((uint32_t)i << 8);
		e[i].bm = 1;
	}
	return e;	/* e[n]: the /0, bitmap 0 */
}

/* 130816 chunks (128 MiB) fit, one more is refused with -EFBIG. */
static void test_limit(void **st)
{
	const size_t fits = 130306;	/* + 510 /16s = FT_DIR4_MAX_CHUNKS */
	struct ft_lpm4_ent *e = spread_25(fits + 1);
	struct ft_dir4_table t;

	(void)st;
	assert_int_equal(ft_dir4_chunks(e, fits), FT_DIR4_MAX_CHUNKS);
	e[fits].key.addr = 0;	/* the /0 instead of one more /25 */
	e[fits].key.prefixlen = 0;
	e[fits].bm = 0;
	assert_int_equal(ft_dir4_build(e, fits + 1, &t), 0);
	assert_int_equal(t.nchunks, FT_DIR4_MAX_CHUNKS);
	assert_int_equal(ft_dir4_bytes(&t), 128u << 20);
	assert_int_equal(ft_dir4_lookup(&t, (uint32_t)(fits - 1) << 8 | 0x7f), 1);
	assert_int_equal(ft_dir4_lookup(&t, (uint32_t)(fits - 1) << 8 | 0x80), 0);
	free(t.e);
	free(e);

	e = spread_25(fits + 1);
	assert_int_equal(ft_dir4_chunks(e, fits + 1), FT_DIR4_MAX_CHUNKS + 1);
	assert_int_equal(ft_dir4_build(e, fits + 1, &t), -EFBIG);
	/* a bitmap index that would read as a chunk */
	e[0].bm = FT_DIR4_CHUNK;
	assert_int_equal(ft_dir4_build(e, 1, &t), -E2BIG);
	free(e);
}

/* The policy compiler refuses such a policy with -EFBIG. */
static void test_limit_policy(void **st)
{
	const size_t n = 130307;
	struct ft_policy pol = { 0 };
	struct ft_compiled c = { 0 };
	size_t i;

	(void)st;
	pol.default_class = -1;
	pol.nrules = 1;
	pol.rules = calloc(1, sizeof(*pol.rules));
	pol.nsets = 1;
	pol.sets = calloc(1, sizeof(*pol.sets));
	pol.sets[0].pfx = calloc(n, sizeof(struct ft_prefix));
	pol.sets[0].npfx = n;
	for (i = 0; i < n; i++) {
		struct ft_prefix *p = &pol.sets[0].pfx[i];
		uint32_t a = htonl((uint32_t)i << 8);

		p->family = AF_INET;
		p->len = 25;
		memcpy(p->addr, &a, 4);
	}
	pol.rules[0].action = FT_ACT_DROP;
	pol.rules[0].match.keys = FT_MK_DST;
	pol.rules[0].match.dst.sets = calloc(1, sizeof(int));
	pol.rules[0].match.dst.nsets = 1;
	assert_int_equal(ft_compile(&pol, &c), -EFBIG);
	ft_policy_free(&pol);
}

/* ft_compiled_match() reads the table the kernel gets, not the prefixes. */
static void test_match_reads_table(void **st)
{
	struct ft_policy pol = { 0 };
	struct ft_compiled c = { 0 };
	struct ft_flow_key k = { .family = FT_FAM_IPV4 };
	uint32_t a = htonl(a4("10.1.2.3")), i;

	(void)st;
	pol.default_class = -1;
	pol.nrules = 1;
	pol.rules = calloc(1, sizeof(*pol.rules));
	pol.rules[0].action = FT_ACT_DROP;
	pol.rules[0].match.keys = FT_MK_SRC;
	pol.rules[0].match.src.pfx = calloc(1, sizeof(struct ft_prefix));
	pol.rules[0].match.src.npfx = 1;
	pol.rules[0].match.src.pfx[0].family = AF_INET;
	pol.rules[0].match.src.pfx[0].len = 24;
	memcpy(pol.rules[0].match.src.pfx[0].addr, &a, 4);
	assert_int_equal(ft_compile(&pol, &c), 0);
	k.src[0] = a;
	assert_int_equal(ft_compiled_match(&c, &k), 0);
	assert_int_equal(c.src4_table.nchunks, 1);
	assert_int_equal(ft_dir4_bytes(&c.src4_table), 257 * 1024);
	/* the /24's entries take the /0's bitmap: the rule no longer matches */
	for (i = 0; i < FT_DIR4_STRIDE; i++)
		c.src4_table.e[FT_DIR4_TOP + i] = c.src4_table.e[0];
	assert_int_equal(ft_compiled_match(&c, &k), FT_RULE_NONE);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_unaligned),
		cmocka_unit_test(test_root_only),
		cmocka_unit_test(test_adjacent),
		cmocka_unit_test(test_ends),
		cmocka_unit_test(test_no_root),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_limit_policy),
		cmocka_unit_test(test_match_reads_table),
	};

	return cmocka_run_group_tests_name("dir4", tests, NULL, NULL);
}
