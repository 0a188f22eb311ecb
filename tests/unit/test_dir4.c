// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The IPv4 prefix table (flowtag/dir4.h, daemon/compile_dir4.c): what the
 * builder paints, entry by entry where it matters, looked up with the walk
 * the data path does; each chunk format at its edges, every address of the
 * chunk against a plain longest-prefix match; a random differential; the
 * size limit; and that the compiled search reads the table. And the IPv4
 * prefix hash (flowtag/pfx4.h, daemon/compile_pfx4.c) of the same
 * prefixes, for fields of few lengths: the same answers, its limits.
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

/* Block @k of @t, NULL past its end (the walk's userspace accessor). */
static const struct ft_dir4_block *blk(const struct ft_dir4_table *t, __u32 k)
{
	return k < t->nblocks ? (const struct ft_dir4_block *)&t->e[(size_t)k * FT_DIR4_STRIDE] :
				NULL;
}

/* walk(t, addr) and walk_chunk(t, e, byte): the data path's walk */
FT_DIR4_DEFINE_LOOKUP(walk, const struct ft_dir4_table *, blk)

/* The format of chunk reference @e. */
static uint32_t format_of(uint32_t e)
{
	assert_true(e & FT_DIR4_CHUNK);
	return (e >> FT_DIR4_FORMAT_SHIFT) & 7;
}

/* The longest of @e[0, @n) that holds @a: its bitmap, FT_DIR4_EMPTY if none. */
static uint32_t lpm(const struct ft_lpm4_ent *e, size_t n, uint32_t a)
{
	uint32_t want = FT_DIR4_EMPTY, best = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t len = e[i].key.prefixlen, m = len ? ~0u << (32 - len) : 0;

		if ((a & m) == (ntohl(e[i].key.addr) & m) && (len >= best || want == FT_DIR4_EMPTY)) {
			best = len;
			want = e[i].bm;
		}
	}
	return want;
}

/* Addresses [@first, @first + @count) of @t against lpm(); mismatches. */
static size_t check_range(const struct ft_dir4_table *t, const struct ft_lpm4_ent *e, size_t n,
			  uint32_t first, uint32_t count)
{
	size_t bad = 0;
	uint32_t i;

	for (i = 0; i < count; i++) {
		uint32_t a = first + i, got = ft_dir4_lookup(t, a), want = lpm(e, n, a);

		if (got != want && bad++ < 5)
			fprintf(stderr, "# %#x: got %#x, want %#x\n", a, got, want);
	}
	return bad;
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
	for (i = 0; i < npr; i++) {
		uint32_t got = ft_dir4_lookup(&t, a4(pr[i].addr));

		if (got != pr[i].want && bad++ < 10)
			fprintf(stderr, "# %s: got %#x, want %#x\n", pr[i].addr, got, pr[i].want);
		assert_int_equal(walk(&t, a4(pr[i].addr)), got);
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
	uint32_t l2, l3;

	(void)st;
	/* one chunk for 10.1/16 (the /24), one for 10.1.2/24 (the /32) */
	check_table(p, N(p), 2, pr, N(pr), &t);
	assert_int_equal(t.e[(10 << 8) | 0], 1);		/* 10.0/16: the /8 */
	l2 = t.e[(10 << 8) | 1];				/* 10.1/16: a chunk */
	l3 = walk_chunk(&t, l2, 2);				/* 10.1.2/24: a chunk */
	assert_int_equal(walk_chunk(&t, l2, 3), 2);		/* 10.1.3/24: the /16 */
	assert_int_equal(walk_chunk(&t, l3, 3), 4);		/* 10.1.2.3 */
	assert_int_equal(walk_chunk(&t, l3, 4), 3);
	/* two distinct entries each: 1-bit fields, 40 bytes, both in the
	 * first block of the chunk area, the /24's first */
	assert_int_equal(format_of(l2), 0);
	assert_int_equal(format_of(l3), 0);
	assert_int_equal(l3 & FT_DIR4_OFF_MASK, 0);
	assert_int_equal(l2 & FT_DIR4_OFF_MASK, 5);
	assert_int_equal(t.nblocks, FT_DIR4_TOP_BLOCKS + 1);
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
	/* the /17: the upper half of 10.1/16's chunk */
	for (i = 0; i < 256; i++)
		assert_int_equal(walk_chunk(&t, t.e[(10 << 8) | 1], i), i < 128 ? 0 : 5);
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
	uint32_t l2, l3, *pal;

	(void)st;
	assert_int_equal(ft_dir4_build(e, N(p), &t), 0);
	assert_int_equal(ft_dir4_lookup(&none, a4("10.1.2.3")), FT_DIR4_NONE);
	l2 = t.e[(10 << 8) | 1];
	l3 = walk_chunk(&t, l2, 2);
	/* a chunk reference of no known format */
	t.e[(10 << 8) | 1] = l2 | 7u << FT_DIR4_FORMAT_SHIFT;
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.2.3")), FT_DIR4_NONE);
	t.e[(10 << 8) | 1] = l2;
	/* a chunk reference at the last level: the /24's palette entry 1 */
	pal = &t.e[FT_DIR4_TOP + (l3 & FT_DIR4_OFF_MASK) * 2 + 8];
	assert_int_equal(pal[1], 1);
	pal[1] = l3;
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.2.3")), FT_DIR4_NONE);
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.2.4")), 0);
	/* the chunk area gone: only the top level answers */
	t.nblocks = FT_DIR4_TOP_BLOCKS;
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.2.3")), FT_DIR4_NONE);
	assert_int_equal(ft_dir4_lookup(&t, a4("10.1.3.0")), FT_DIR4_NONE);
	assert_int_equal(ft_dir4_lookup(&t, a4("10.2.0.0")), 0);
	free(t.e);
	free(e);
}

/*
 * Each format at its edges: a /24 of @k distinct entries, from a /26 at 64
 * (fields 64..127: two 32-bit words of 1-bit fields), a /27 at 160 and
 * /32s (at 0, 255, around the word boundaries, then the rest) of k - 1
 * bitmaps in turn; address 200 keeps the /0's. Every address of the /24's
 * /16 against lpm().
 */
static void check_format(uint32_t k, uint32_t want_format, uint32_t want_units)
{
	static const uint8_t first[] = { 0, 255, 63, 64, 127, 128, 31, 32, 159, 160, 191, 192 };
	struct ft_lpm4_ent e[260] = { 0 };
	uint32_t base = a4("192.0.2.0"), l3, val[256], seen[256], ndistinct = 0, m, i, j;
	uint8_t order[256], taken[256] = { 0 };
	struct ft_dir4_table t;
	size_t n = 0;

	m = k + 1 < 8 ? 8 : k + 1;	/* prefixes besides the /0 */
	for (i = 0; i < sizeof(first); i++) {
		order[n++] = first[i];
		taken[first[i]] = 1;
	}
	taken[200] = 1;
	for (i = 0; i < 256; i++)
		if (!taken[i])
			order[n++] = (uint8_t)i;
	order[n] = 200;		/* never reached: k <= 256 takes 255 /32s */
	n = 0;
	e[n++].bm = 1000;	/* the /0 */
	for (i = 0; i < m; i++, n++) {
		e[n].key.prefixlen = i == 0 ? 26 : i == 1 ? 27 : 32;
		e[n].key.addr = htonl(base + (i == 0 ? 64 : i == 1 ? 160 : order[i - 2]));
		e[n].bm = 1 + i % (k - 1 ? k - 1 : 1);
	}
	for (i = 0; i < 256; i++) {
		val[i] = lpm(e, n, base + i);
		for (j = 0; j < ndistinct && seen[j] != val[i]; j++)
			;
		if (j == ndistinct)
			seen[ndistinct++] = val[i];
	}
	assert_int_equal(ndistinct, k);
	assert_int_equal(ft_dir4_build(e, n, &t), 0);
	l3 = walk_chunk(&t, t.e[base >> 16], (base >> 8) & 0xff);
	assert_int_equal(format_of(l3), want_format);
	assert_int_equal(check_range(&t, e, n, base & ~0xffffu, 1u << 16), 0);
	/* the /24's chunk is the first; the /16's follows it in its block, or
	 * starts a new one after a chunk of a whole block */
	assert_int_equal(l3 & FT_DIR4_OFF_MASK, 0);
	assert_int_equal(t.e[base >> 16] & FT_DIR4_OFF_MASK, want_units);
	free(t.e);
}

static void test_formats(void **st)
{
	(void)st;
	/* distinct entries of the /24 -> format, 8-byte units */
	check_format(2, 0, (32 + 2 * 4) / 8);		/* 1-bit fields */
	check_format(3, 1, (64 + 3 * 4) / 8 + 1);	/* 2-bit fields */
	check_format(4, 1, (64 + 4 * 4) / 8);
	check_format(5, 2, (128 + 5 * 4) / 8 + 1);	/* 4-bit fields */
	check_format(16, 2, (128 + 16 * 4) / 8);
	check_format(17, 3, (256 + 17 * 4) / 8 + 1);	/* 8-bit fields */
	check_format(192, 3, FT_DIR4_BLOCK_UNITS);	/* exactly a block */
	check_format(193, FT_DIR4_PLAIN, FT_DIR4_BLOCK_UNITS);
	check_format(256, FT_DIR4_PLAIN, FT_DIR4_BLOCK_UNITS);
}

/* 256 runs of two bitmaps: /32s on every other address, 1-bit fields; a
 * /24 of one bitmap (two /25s alike) takes no chunk. */
static void test_many_runs(void **st)
{
	struct ft_lpm4_ent e[131] = { 0 };
	struct ft_dir4_table t;
	uint32_t base = a4("198.51.100.0"), i, n = 0;

	(void)st;
	e[n++].bm = 0;
	for (i = 1; i < 256; i += 2) {
		e[n].key.prefixlen = 32;
		e[n].key.addr = htonl(base + i);
		e[n++].bm = 7;
	}
	e[n].key.prefixlen = 25;
	e[n].key.addr = htonl(base + 256);
	e[n++].bm = 8;
	e[n].key.prefixlen = 25;
	e[n].key.addr = htonl(base + 384);
	e[n++].bm = 8;
	assert_int_equal(ft_dir4_build(e, n, &t), 0);
	assert_int_equal(format_of(walk_chunk(&t, t.e[base >> 16], 100)), 0);
	assert_int_equal(walk_chunk(&t, t.e[base >> 16], 101), 8);
	/* the /24's chunk and the /16's: 40 bytes each, one block */
	assert_int_equal(t.nchunks, 2);
	assert_int_equal(t.nblocks, FT_DIR4_TOP_BLOCKS + 1);
	assert_int_equal(check_range(&t, e, n, base & ~0xffffu, 1u << 16), 0);
	free(t.e);
}

/*
 * A /16 where at least half the /24s hold longer prefixes, each /24 of at
 * most two distinct entries, is an array of 256 1-bit chunks (no
 * second-level read); a third entry in one /24 makes it chunks again.
 */
static void test_array(void **st)
{
	struct ft_lpm4_ent e[260] = { 0 };
	struct ft_dir4_table t;
	uint32_t base = a4("203.0.0.0"), i, n = 0;

	(void)st;
	e[n++].bm = 0;
	e[n].key.prefixlen = 17;	/* the upper half: another bitmap */
	e[n].key.addr = htonl(base + (128u << 8));
	e[n++].bm = 9;
	for (i = 0; i < 128; i++) {	/* /32 at .0, .255 or a /26 */
		e[n].key.prefixlen = i % 3 == 2 ? 26 : 32;
		e[n].key.addr = htonl(base + (i * 2 << 8) + (i % 3 == 0 ? 0 : i % 3 == 1 ? 255 : 64));
		e[n++].bm = 1 + i % 2;
	}
	assert_int_equal(ft_dir4_build(e, n, &t), 0);
	assert_int_equal(format_of(t.e[base >> 16]), FT_DIR4_ARRAY);
	assert_int_equal(t.nblocks, FT_DIR4_TOP_BLOCKS + 16);
	assert_int_equal(check_range(&t, e, n, base, 1u << 16), 0);
	free(t.e);

	e[n].key.prefixlen = 32;	/* a third entry in 203.0.0/24 */
	e[n].key.addr = htonl(base + 1);
	e[n++].bm = 7;
	assert_int_equal(ft_dir4_build(e, n, &t), 0);
	assert_int_equal(format_of(t.e[base >> 16]), 3);
	assert_int_equal(check_range(&t, e, n, base, 1u << 16), 0);
	free(t.e);

	n -= 2;		/* 127 /24s: chunks */
	assert_int_equal(ft_dir4_build(e, n, &t), 0);
	assert_int_equal(format_of(t.e[base >> 16]), 3);
	assert_int_equal(check_range(&t, e, n, base, 1u << 16), 0);
	free(t.e);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Whether the prefix @a/@len (host order) is among @e[0..@n). */
static bool pfx_taken(const struct ft_lpm4_ent *e, size_t n, uint32_t len, uint32_t a)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (e[j].key.prefixlen == len && ntohl(e[j].key.addr) == a)
			return true;
	return false;
}

/* Random prefixes around the strides' edges against a plain longest match:
 * spread over /12s, packed into a /20 or into 512 addresses (chunks of
 * many distinct entries: every format), of distinct bitmaps or a few. */
static void test_random(void **st)
{
	static const uint8_t lens[] = { 1, 7, 8, 12, 15, 16, 17, 20, 23, 24, 25, 28, 31, 32 };
	static const uint32_t spreads[] = { 0x000fffff, 0x00000fff, 0x000001ff };
	const char *env = getenv("FT_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
	uint64_t s = seed | 1;
	size_t round, i, j, bad = 0;

	(void)st;
	for (round = 0; round < 60; round++) {
		size_t n = 1 + rnd(&s) % 300;
		uint32_t spread = spreads[round % 3];
		uint32_t pool = round % 2 ? (uint32_t)n : 1 + (uint32_t)(rnd(&s) % 20);
		struct ft_lpm4_ent *e = calloc(n + 1, sizeof(*e));
		struct ft_dir4_table t;

		assert_non_null(e);
		/* distinct prefixes under a few /12s, so they nest and touch (a
		 * length with no new prefix left there is skipped) */
		for (i = 0; i < n;) {
			uint32_t len = lens[rnd(&s) % sizeof(lens)], a = 0, tries;

			for (tries = 0; tries < 8; tries++) {
				a = (uint32_t)(rnd(&s) % 4) << 20 | 0x0a000000u |
				    ((uint32_t)rnd(&s) & spread);
				a &= ~0u << (32 - len);
				if (!pfx_taken(e, i, len, a))
					break;
			}
			if (tries == 8)
				continue;
			e[i].key.prefixlen = len;
			e[i].key.addr = htonl(a);
			e[i].bm = 1 + (uint32_t)i % pool;
			i++;
		}
		e[n].bm = 0;	/* the /0 */
		assert_int_equal(ft_dir4_build(e, n + 1, &t), 0);
		for (j = 0; j < 2000; j++) {
			uint32_t a = 0x0a000000u | (uint32_t)(rnd(&s) % 5) << 20 |
				     ((uint32_t)rnd(&s) & (j % 2 ? spread : 0x000fffff));
			uint32_t want;

			if (j % 4 == 0) {	/* a prefix's first or last address */
				const struct ft_lpm4_ent *pe = &e[rnd(&s) % n];

				a = ntohl(pe->key.addr);
				if (rnd(&s) & 1 && pe->key.prefixlen < 32)
					a |= ~0u >> pe->key.prefixlen;
			}
			want = lpm(e, n + 1, a);
			if (ft_dir4_lookup(&t, a) != want && bad++ < 5)
				fprintf(stderr, "# seed %#llx round %zu: %#x got %u want %u\n",
					(unsigned long long)seed, round, a, ft_dir4_lookup(&t, a),
					want);
		}
		/* packed: every address of the first 4096 of each /12 */
		if (spread != spreads[0])
			for (j = 0; j < 4; j++)
				bad += check_range(&t, e, n + 1, 0x0a000000u | (uint32_t)j << 20,
						   4096);
		free(t.e);
		free(e);
	}
	if (bad)
		fprintf(stderr, "# seed %#llx\n", (unsigned long long)seed);
	assert_int_equal(bad, 0);
}

/* Whether every bucket of @t holds at most FT_PFX4_WAYS keys of its own
 * table (ways a key of another bucket holds are unused) and every table's
 * /32 has two buckets or more. */
static void check_pfx4_shape(const struct ft_pfx4_table *t)
{
	uint32_t i, b, w;

	assert_true(t->nbuckets <= FT_PFX4_BUCKETS);
	for (i = 0; i < t->d.nlens; i++) {
		uint32_t len = t->d.len[i], nb = t->d.nb[i];

		assert_true(len >= 1 && len <= 32);
		assert_true(i == 0 || len < t->d.len[i - 1]);	/* longest first */
		assert_true(t->d.mult[i] & 1);
		assert_true(nb >= 1 && (len < 32 || nb >= 2));
		assert_true(t->d.off[i] + nb <= t->nbuckets);
		for (b = 0; b < nb; b++)
			for (w = 0; w < FT_PFX4_WAYS; w++) {
				uint32_t k = t->b[t->d.off[i] + b].key[w];

				/* a key of this bucket, or one no address of
				 * this table compares equal to here: of
				 * another bucket, or ~0 below /32 */
				if (ft_pfx4_hash(k, t->d.mult[i], nb) != b ||
				    (len < 32 && k == ~0u))
					continue;
				assert_true(len == 32 || k < (1u << len));
				assert_int_not_equal(t->b[t->d.off[i] + b].bm[w], FT_DIR4_NONE);
			}
	}
}

/*
 * The prefix hash against the table and a plain longest-prefix match:
 * random prefixes of 1..4 lengths (/32 among them), nested and touching,
 * with and without a /0, from a few prefixes to thousands (tables of
 * several buckets a length), at random addresses and at each prefix's
 * first and last address.
 */
static void test_pfx4_random(void **st)
{
	static const uint8_t lens[] = { 1, 8, 12, 16, 20, 23, 24, 25, 28, 31, 32 };
	const char *env = getenv("FT_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 3;
	uint64_t s = seed | 1;
	size_t round, i, j, bad = 0;

	(void)st;
	for (round = 0; round < 80; round++) {
		size_t n = round % 4 == 3 ? 1000 + rnd(&s) % 1000 : 1 + rnd(&s) % 200;
		uint32_t nl = 1 + (uint32_t)(rnd(&s) % FT_PFX4_LENS), pl[FT_PFX4_LENS];
		bool root = round % 2;
		struct ft_lpm4_ent *e = calloc(n + 1, sizeof(*e));
		struct ft_pfx4_table t;
		struct ft_dir4_table d;

		assert_non_null(e);
		for (i = 0; i < nl; i++)
			pl[i] = lens[rnd(&s) % sizeof(lens)];
		for (i = 0; i < n;) {
			uint32_t len = pl[rnd(&s) % nl], a = 0, tries;

			for (tries = 0; tries < 8; tries++) {
				a = 0x0a000000u | ((uint32_t)rnd(&s) & 0x003fffff);
				if (rnd(&s) % 8 == 0)
					a = (uint32_t)rnd(&s);	/* anywhere: 255.255.255.255/32 too */
				a &= ~0u << (32 - len);
				if (!pfx_taken(e, i, len, a))
					break;
			}
			if (tries == 8) {
				n = i;	/* a short length ran out of prefixes */
				break;
			}
			e[i].key.prefixlen = len;
			e[i].key.addr = htonl(a);
			e[i].bm = 1 + (uint32_t)i;
			i++;
		}
		e[n].bm = 0;	/* the /0, when there is one */
		assert_int_equal(ft_pfx4_build(e, n + root, &t), 0);
		assert_int_equal(ft_dir4_build(e, n + root, &d), 0);
		check_pfx4_shape(&t);
		assert_int_equal(t.d.dflt, root ? 0 : FT_DIR4_EMPTY);
		for (j = 0; j < 4000; j++) {
			uint32_t a = j % 3 ? 0x0a000000u | ((uint32_t)rnd(&s) & 0x003fffff) :
					     (uint32_t)rnd(&s);
			uint32_t want, got;

			if (j % 4 == 0 && n) {	/* a prefix's first or last address */
				const struct ft_lpm4_ent *pe = &e[rnd(&s) % n];

				a = ntohl(pe->key.addr);
				if (rnd(&s) & 1 && pe->key.prefixlen < 32)
					a |= ~0u >> pe->key.prefixlen;
			}
			if (j == 1)
				a = ~0u;
			want = lpm(e, n + root, a);
			got = ft_pfx4_lookup(&t, a);
			if ((got != want || ft_dir4_lookup(&d, a) != want) && bad++ < 5)
				fprintf(stderr, "# seed %#llx round %zu: %#x got %u (table %u) want %u\n",
					(unsigned long long)seed, round, a, got,
					ft_dir4_lookup(&d, a), want);
		}
		free(t.b);
		free(d.e);
		free(e);
	}
	if (bad)
		fprintf(stderr, "# seed %#llx\n", (unsigned long long)seed);
	assert_int_equal(bad, 0);
}

/*
 * What the prefix hash refuses (-E2BIG: the field keeps its table alone):
 * a fifth length besides /0, more prefixes than FT_PFX4_BUCKETS buckets
 * hold. Four lengths and a /0, 8192 /24s, 2049 /24s with a /16 and 5000
 * with a /8 fit; a table of /32s has
 * two buckets however few they are, so its unused ways can hold a key of
 * the other bucket (here 0.0.0.0/32 and 255.255.255.255/32 are keys).
 */
static void test_pfx4_limits(void **st)
{
	static const struct pfx five[] = {
		{ "10.0.0.0/8", 1 }, { "10.1.0.0/16", 2 }, { "10.1.2.0/24", 3 },
		{ "10.1.2.128/25", 4 }, { "10.1.2.200/32", 5 }, { "0.0.0.0/0", 0 },
	};
	static const struct pfx ends[] = {
		{ "0.0.0.0/32", 1 }, { "255.255.255.255/32", 2 },
	};
	static const struct probe ends_probe[] = {
		{ "0.0.0.0", 1 }, { "255.255.255.255", 2 }, { "0.0.0.1", FT_DIR4_EMPTY },
		{ "255.255.255.254", FT_DIR4_EMPTY }, { "128.0.0.0", FT_DIR4_EMPTY },
	};
	struct ft_lpm4_ent *e = ents_of(five, N(five));
	struct ft_pfx4_table t;
	size_t i, n;

	(void)st;
	assert_int_equal(ft_pfx4_build(e, N(five), &t), -E2BIG);
	assert_null(t.b);
	/* without the /32: four lengths and the /0 */
	e[4] = e[5];
	assert_int_equal(ft_pfx4_build(e, N(five) - 1, &t), 0);
	assert_int_equal(t.d.nlens, 4);
	assert_int_equal(ft_pfx4_lookup(&t, a4("10.1.2.200")), 4);
	assert_int_equal(ft_pfx4_lookup(&t, a4("10.1.3.1")), 2);
	assert_int_equal(ft_pfx4_lookup(&t, a4("11.0.0.1")), 0);
	free(t.b);
	free(e);

	e = ents_of(ends, N(ends));
	assert_int_equal(ft_pfx4_build(e, N(ends), &t), 0);
	check_pfx4_shape(&t);
	assert_int_equal(t.d.nb[0], 2);
	for (i = 0; i < N(ends_probe); i++)
		assert_int_equal(ft_pfx4_lookup(&t, a4(ends_probe[i].addr)), ends_probe[i].want);
	free(t.b);
	free(e);

	/* /24s: 8192 fit (one length, 2048 buckets at four a bucket) */
	for (n = 8192; n <= 65536; n *= 8) {
		e = calloc(n, sizeof(*e));
		assert_non_null(e);
		for (i = 0; i < n; i++) {
			e[i].key.prefixlen = 24;
			e[i].key.addr = htonl(0x0a000000u | (uint32_t)i << 8);
			e[i].bm = (uint32_t)i;
		}
		if (n == 8192) {
			assert_int_equal(ft_pfx4_build(e, n, &t), 0);
			check_pfx4_shape(&t);
			for (i = 0; i < n; i += 97)
				assert_int_equal(ft_pfx4_lookup(&t, 0x0a000000u | (uint32_t)i << 8 | 7), i);
			free(t.b);
		} else {
			assert_int_equal(ft_pfx4_build(e, n, &t), -E2BIG);
		}
		free(e);
	}

	/* the buckets are shared out before any table is filled, any number
	 * to a table: 2049 /24s and a /16 take 1025 and 1; 5000 scattered
	 * /24s (a set, say) and a /8, where the /24s alone would take 2500 at
	 * two a bucket, take 2047 and 1, not a refusal. Four lengths of 5000
	 * each do not fit at eight a bucket: refused. */
	n = 2049 + 1;
	e = calloc(4 * 5000, sizeof(*e));
	assert_non_null(e);
	for (i = 0; i < 2049; i++) {
		e[i].key.prefixlen = 24;
		e[i].key.addr = htonl(0x0a000000u | (uint32_t)i << 8);
		e[i].bm = (uint32_t)i;
	}
	e[2049].key.prefixlen = 16;
	e[2049].key.addr = htonl(0x0b000000u);
	e[2049].bm = 9999;
	assert_int_equal(ft_pfx4_build(e, n, &t), 0);
	check_pfx4_shape(&t);
	assert_int_equal(t.d.nlens, 2);
	assert_int_equal(t.d.nb[0], 1025);
	assert_int_equal(ft_pfx4_lookup(&t, a4("10.8.0.1")), 2048);
	assert_int_equal(ft_pfx4_lookup(&t, a4("11.0.200.1")), 9999);
	assert_int_equal(ft_pfx4_lookup(&t, a4("12.0.0.1")), FT_DIR4_EMPTY);
	free(t.b);
	{
		uint64_t r = 12345;

		for (i = 0; i < 5000; i++) {
			uint32_t a = 0;

			do	/* distinct /24s at random in 100.0.0.0/8 */
				a = 0x64000000u | ((uint32_t)rnd(&r) & 0x00ffff00u);
			while (pfx_taken(e, i, 24, a));
			e[i].key.prefixlen = 24;
			e[i].key.addr = htonl(a);
			e[i].bm = 1 + (uint32_t)i;
		}
		e[5000].key.prefixlen = 8;
		e[5000].key.addr = htonl(0x0a000000u);
		e[5000].bm = 77777;
		assert_int_equal(ft_pfx4_build(e, 5001, &t), 0);
		check_pfx4_shape(&t);
		assert_int_equal(t.d.nb[0], 2047);
		assert_int_equal(t.d.nb[1], 1);
		for (i = 0; i < 5000; i += 7)
			assert_int_equal(ft_pfx4_lookup(&t, ntohl(e[i].key.addr) | 0x42), 1 + i);
		assert_int_equal(ft_pfx4_lookup(&t, a4("10.200.0.1")), 77777);
		free(t.b);
	}
	for (i = 0; i < 4 * 5000; i++) {
		e[i].key.prefixlen = 20 + (uint32_t)(i / 5000) * 4;
		e[i].key.addr = htonl((uint32_t)(i % 5000) << (32 - e[i].key.prefixlen));
		e[i].bm = 1;
	}
	assert_int_equal(ft_pfx4_build(e, 4 * 5000, &t), -E2BIG);
	assert_null(t.b);
	free(e);
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

/*
 * 128 MiB of chunks fit, one block more is refused with -EFBIG. A whole
 * /16 of spread_25() is an array of 256 1-bit chunks, 16 blocks: 8192 of
 * them fill the 131072 blocks of the chunk area exactly.
 */
static void test_limit(void **st)
{
	const size_t fits = 256 * 8192;
	struct ft_lpm4_ent *e = spread_25(fits + 1);
	struct ft_dir4_table t;

	(void)st;
	e[fits].key.addr = 0;	/* the /0 instead of one more /25 */
	e[fits].key.prefixlen = 0;
	e[fits].bm = 0;
	assert_int_equal(ft_dir4_build(e, fits + 1, &t), 0);
	assert_int_equal(t.nblocks, FT_DIR4_MAX_BLOCKS);
	assert_int_equal(t.nchunks, fits);
	assert_int_equal(ft_dir4_bytes(&t), (128u << 20) + (256u << 10));
	assert_int_equal(format_of(t.e[0]), FT_DIR4_ARRAY);
	assert_int_equal(ft_dir4_lookup(&t, (uint32_t)(fits - 1) << 8 | 0x7f), 1);
	assert_int_equal(ft_dir4_lookup(&t, (uint32_t)(fits - 1) << 8 | 0x80), 0);
	assert_int_equal(ft_dir4_lookup(&t, (uint32_t)fits << 8), 0);
	free(t.e);
	free(e);

	/* one /25 more: its /16's chunk and its /24's do not fit */
	e = spread_25(fits + 1);
	assert_int_equal(ft_dir4_build(e, fits + 2, &t), -EFBIG);
	/* a bitmap index that would read as a chunk */
	e[0].bm = FT_DIR4_CHUNK;
	assert_int_equal(ft_dir4_build(e, 1, &t), -E2BIG);
	free(e);
}

/* @pol (zeroed): one rule, matching everything, no default class. */
static void one_rule_policy(struct ft_policy *pol)
{
	pol->default_class = -1;
	pol->nrules = 1;
	pol->rules = calloc(1, sizeof(*pol->rules));
	assert_non_null(pol->rules);
}

/* The E2BIG message counts the distinct interfaces the rules name, as the
 * compiler does, not their largest ifindex: a container host's interface
 * 300 is one interface, and a policy naming it that fails for another
 * reason must not be told it names too many. */
static void test_e2big_iif_message(void **st)
{
	struct ft_policy pol = { 0 };
	struct ft_compiled c = { 0 };
	uint32_t idx[FT_MAX_IFACES + 1];
	char msg[1024];
	size_t i;

	(void)st;
	one_rule_policy(&pol);
	pol.file = "p.conf";
	pol.rules[0].match.keys = FT_MK_IIF;
	pol.rules[0].match.iif_index = idx;
	/* one interface of ifindex 300 */
	idx[0] = 300;
	pol.rules[0].match.niif = 1;
	ft_compile_error(&pol, &c, -E2BIG, msg, sizeof(msg));
	assert_null(strstr(msg, "too many interfaces"));
	assert_non_null(strstr(msg, "distinct rule bitmaps"));
	/* 65 interfaces of ifindex 1000..1064: too many, whatever the numbers */
	for (i = 0; i <= FT_MAX_IFACES; i++)
		idx[i] = 1000 + (uint32_t)i;
	pol.rules[0].match.niif = FT_MAX_IFACES + 1;
	ft_compile_error(&pol, &c, -E2BIG, msg, sizeof(msg));
	assert_string_equal(msg, "p.conf: error: rules name too many interfaces in iif (more "
				 "than 64)");
	free(pol.rules);
}

/* The policy compiler refuses such a policy with -EFBIG. */
static void test_limit_policy(void **st)
{
	const size_t n = 256 * 8192 + 1;
	struct ft_policy pol = { 0 };
	struct ft_compiled c = { 0 };
	char msg[1024];
	size_t i;

	(void)st;
	one_rule_policy(&pol);
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
	strcpy(pol.sets[0].name, "blocklist");
	pol.sets[0].line = 17;
	pol.file = strdup("/etc/flowtag/flowtag.conf");
	pol.rules[0].action = FT_ACT_DROP;
	pol.rules[0].match.keys = FT_MK_DST;
	pol.rules[0].match.dst.sets = calloc(1, sizeof(int));
	pol.rules[0].match.dst.nsets = 1;
	assert_int_equal(ft_compile(&pol, &c), -EFBIG);
	/* the message says which table, how many prefixes, which set, where */
	assert_string_equal(c.too_big, "dst");
	assert_int_equal(c.too_big_prefixes, n);
	ft_compile_error(&pol, &c, -EFBIG, msg, sizeof(msg));
	ft_compiled_free(&c);
	assert_non_null(strstr(msg, "/etc/flowtag/flowtag.conf: error: the IPv4 dst prefixes of "
				    "the rules (2097153 distinct; the most from prefix set "
				    "'blocklist' (line 17), 2097153) need a lookup table with "
				    "more than 128 MiB of chunks"));
	ft_policy_free(&pol);
}

/* ft_compiled_match() reads what the kernel reads (the prefix hash, else
 * the table), not the prefixes. */
static void test_match_reads_table(void **st)
{
	struct ft_policy pol = { 0 };
	struct ft_compiled c = { 0 };
	struct ft_flow_key k = { .family = FT_FAM_IPV4 };
	uint32_t a = htonl(a4("10.1.2.3")), i;

	(void)st;
	one_rule_policy(&pol);
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
	/* one length: the data path reads the prefix hash, and so does the
	 * search in userspace; the /24's way takes the /0's bitmap: the rule
	 * no longer matches */
	assert_true(c.hdr.flags & FT_POL_F_PFX4_SRC);
	assert_int_equal(c.src4_pfx.nbuckets, 1);
	for (i = 0; i < FT_PFX4_WAYS && c.src4_pfx.b[0].key[i] != ntohl(a) >> 8; i++)
		;
	assert_true(i < FT_PFX4_WAYS);
	c.src4_pfx.b[0].bm[i] = c.src4_pfx.d.dflt;
	assert_int_equal(ft_compiled_match(&c, &k), FT_RULE_NONE);
	/* without the hash, the table: intact, then the same change there
	 * (the /16's chunk: 1-bit fields, the /24 is palette entry 1) */
	c.hdr.flags &= ~FT_POL_F_PFX4_SRC;
	assert_int_equal(ft_compiled_match(&c, &k), 0);
	i = FT_DIR4_TOP + (c.src4_table.e[(10 << 8) | 1] & FT_DIR4_OFF_MASK) * 2 + 8;
	c.src4_table.e[i + 1] = c.src4_table.e[0];
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
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_many_runs),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_limit_policy),
		cmocka_unit_test(test_e2big_iif_message),
		cmocka_unit_test(test_match_reads_table),
		cmocka_unit_test(test_pfx4_random),
		cmocka_unit_test(test_pfx4_limits),
	};

	return cmocka_run_group_tests_name("dir4", tests, NULL, NULL);
}
