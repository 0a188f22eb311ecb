// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy compiler's IPv4 prefix hash (flowtag/pfx4.h): the (prefix ->
 * bitmap index) entries of compile_trie() of a field with few prefix
 * lengths, one hash table per length. For each length the smallest table
 * from about two keys a bucket (more where the buckets left are fewer, up
 * to FT_PFX4_WAYS) and the first multiplier of a fixed
 * sequence under which no bucket holds more than FT_PFX4_WAYS keys;
 * deterministic, so the same policy compiles to the same tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

/* Multipliers tried per table size: Knuth's golden-ratio constant, then
 * the odd outputs of a xorshift32 generator seeded with it. */
#define PFX4_TRIES	32

static uint32_t pfx4_next_mult(uint32_t m)
{
	m ^= m << 13;
	m ^= m >> 17;
	m ^= m << 5;
	return m | 1;
}

/* The key of a prefix of length @len (1..32) at @addr (host byte order). */
static uint32_t pfx4_key(uint32_t addr, uint32_t len)
{
	return addr >> ((32 - len) & 31);
}

/* Whether @n keys fit 2^@bits buckets under @mult; fills @load. */
static bool pfx4_fits(const uint32_t *keys, size_t n, uint32_t mult, uint32_t bits, uint8_t *load)
{
	size_t i;

	memset(load, 0, (size_t)1 << bits);
	for (i = 0; i < n; i++)
		if (++load[ft_pfx4_hash(keys[i], mult, bits)] > FT_PFX4_WAYS)
			return false;
	return true;
}

/* A key no address of table (@mult, @bits, length @len) compares equal
 * to in bucket @b: ~0 below /32, else a key hashed to another bucket. */
static uint32_t pfx4_unused_key(uint32_t len, uint32_t mult, uint32_t bits, uint32_t b)
{
	uint32_t k = 0;

	if (len < 32)
		return ~0u;
	while (ft_pfx4_hash(k, mult, bits) == b)
		k++;	/* bits >= 1: a few steps at most */
	return k;
}

static int pfx4_len_cmp(const void *a, const void *b)
{
	const struct ft_lpm4_ent *x = a, *y = b;

	return (x->key.prefixlen < y->key.prefixlen) - (x->key.prefixlen > y->key.prefixlen);
}

int ft_pfx4_build(const struct ft_lpm4_ent *ents, size_t n, struct ft_pfx4_table *out)
{
	struct ft_pfx4_table t = { .d = { .dflt = FT_DIR4_EMPTY } };
	struct ft_lpm4_ent *e = NULL;
	uint32_t *keys = NULL, used = 0;
	uint8_t *load = NULL;
	size_t i, j;
	int err = 0;

	memset(out, 0, sizeof(*out));
	e = malloc((n ? n : 1) * sizeof(*e));
	keys = malloc((n ? n : 1) * sizeof(*keys));
	load = malloc(FT_PFX4_BUCKETS);
	t.b = calloc(FT_PFX4_BUCKETS, sizeof(*t.b));
	if (!e || !keys || !load || !t.b) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(e, ents, n * sizeof(*e));
	qsort(e, n, sizeof(*e), pfx4_len_cmp);	/* longest first */
	for (i = 0; i < n; i = j) {
		uint32_t len = e[i].key.prefixlen, bits, mult = 0, b;
		size_t m;

		for (j = i; j < n && e[j].key.prefixlen == len; j++)
			keys[j - i] = pfx4_key(ntohl(e[j].key.addr), len);
		m = j - i;
		if (len == 0) {
			t.d.dflt = e[i].bm;	/* distinct prefixes: one /0 */
			continue;
		}
		if (len > 32 || t.d.nlens == FT_PFX4_LENS) {
			err = -E2BIG;
			goto out;
		}
		/* about two keys a bucket, up to FT_PFX4_WAYS where the buckets
		 * left are fewer; a /32 table at least two buckets */
		for (bits = len == 32; ((size_t)2 << bits) < m; bits++)
			;
		while (bits > (len == 32) && used + (1u << bits) > FT_PFX4_BUCKETS &&
		       ((size_t)FT_PFX4_WAYS << (bits - 1)) >= m)
			bits--;
		for (;; bits++) {
			unsigned int try;

			if (used + (1u << bits) > FT_PFX4_BUCKETS) {
				err = -E2BIG;
				goto out;
			}
			mult = 0x9e3779b1u;
			for (try = 0; try < PFX4_TRIES; try++, mult = pfx4_next_mult(mult))
				if (pfx4_fits(keys, m, mult, bits, load))
					break;
			if (try < PFX4_TRIES)
				break;
		}
		/* fill: unused ways first, then each key at its bucket's next way */
		for (b = 0; b < (1u << bits); b++) {
			struct ft_pfx4_bucket *x = &t.b[used + b];
			uint32_t w;

			for (w = 0; w < FT_PFX4_WAYS; w++) {
				x->key[w] = pfx4_unused_key(len, mult, bits, b);
				x->bm[w] = FT_DIR4_NONE;
			}
			load[b] = 0;
		}
		for (j = i; j < i + m; j++) {
			uint32_t k = keys[j - i], h = ft_pfx4_hash(k, mult, bits);
			struct ft_pfx4_bucket *x = &t.b[used + h];

			x->key[load[h]] = k;
			x->bm[load[h]++] = e[j].bm;
		}
		t.d.len[t.d.nlens] = (uint8_t)len;
		t.d.bits[t.d.nlens] = (uint8_t)bits;
		t.d.mult[t.d.nlens] = mult;
		t.d.off[t.d.nlens] = (uint16_t)used;
		t.d.nlens++;
		used += 1u << bits;
	}
	t.nbuckets = used;
	*out = t;
	t.b = NULL;
out:
	free(t.b);
	free(e);
	free(keys);
	free(load);
	return err;
}

/* Bucket @k of @t, NULL past its end: the userspace side of the lookup. */
static inline const struct ft_pfx4_bucket *pfx4_bucket(const struct ft_pfx4_table *t, __u32 k)
{
	return t->b && k < t->nbuckets ? &t->b[k] : NULL;
}

FT_PFX4_DEFINE_LOOKUP(pfx4_probe, const struct ft_pfx4_table *, pfx4_bucket)

uint32_t ft_pfx4_lookup(const struct ft_pfx4_table *t, uint32_t addr)
{
	return pfx4_probe(t, &t->d, addr);
}
