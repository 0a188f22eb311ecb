// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy compiler's IPv4 prefix hash (flowtag/pfx4.h): the (prefix ->
 * bitmap index) entries of compile_trie() of a field with few prefix
 * lengths, one hash table per length. Each table starts at about two keys
 * a bucket; while they need more than FT_PFX4_BUCKETS, the largest one
 * that can (FT_PFX4_WAYS keys a bucket on average at most) gives up
 * buckets; then each gets the first multiplier of a fixed sequence under
 * which no bucket holds more than FT_PFX4_WAYS keys (else an eighth more
 * buckets, where they fit); deterministic, so the same policy compiles to
 * the same tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

/* Multipliers tried per table size: Knuth's golden-ratio constant, then
 * the odd outputs of a xorshift32 generator seeded with it. */
#define PFX4_TRIES	64

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

/* Whether @n keys fit @nb buckets under @mult; fills @load. */
static bool pfx4_fits(const uint32_t *keys, size_t n, uint32_t mult, uint32_t nb, uint8_t *load)
{
	size_t i;

	memset(load, 0, nb);
	for (i = 0; i < n; i++)
		if (++load[ft_pfx4_hash(keys[i], mult, nb)] > FT_PFX4_WAYS)
			return false;
	return true;
}

/* A key no address of table (@mult, @nb, length @len) compares equal to
 * in bucket @b: ~0 below /32, else a key hashed to another bucket. */
static uint32_t pfx4_unused_key(uint32_t len, uint32_t mult, uint32_t nb, uint32_t b)
{
	uint32_t k = 0;

	if (len < 32)
		return ~0u;
	while (ft_pfx4_hash(k, mult, nb) == b)
		k++;	/* nb >= 2: a few steps at most */
	return k;
}

static int pfx4_len_cmp(const void *a, const void *b)
{
	const struct ft_lpm4_ent *x = a, *y = b;

	return (x->key.prefixlen < y->key.prefixlen) - (x->key.prefixlen > y->key.prefixlen);
}

/* The tables being sized: each length's first entry, keys and buckets. */
struct pfx4_len {
	size_t first, n;
	uint32_t len, nb, mult;
};

/* The fewest buckets a table of @l may have: a /32 needs two (an unused
 * way's key must be another bucket's), and none more than FT_PFX4_WAYS
 * keys on average. */
static uint32_t pfx4_min_nb(const struct pfx4_len *l)
{
	size_t nb = (l->n + FT_PFX4_WAYS - 1) / FT_PFX4_WAYS;

	if (nb < 1u + (l->len == 32))
		nb = 1u + (l->len == 32);
	return nb > UINT32_MAX ? UINT32_MAX : (uint32_t)nb;
}

/* Sum of the buckets of @l[0, @nl). */
static size_t pfx4_buckets(const struct pfx4_len *l, uint32_t nl)
{
	size_t sum = 0;
	uint32_t i;

	for (i = 0; i < nl; i++)
		sum += l[i].nb;
	return sum;
}

int ft_pfx4_build(const struct ft_lpm4_ent *ents, size_t n, struct ft_pfx4_table *out)
{
	struct ft_pfx4_table t = { .d = { .dflt = FT_DIR4_EMPTY } };
	struct pfx4_len l[FT_PFX4_LENS];
	struct ft_lpm4_ent *e = NULL;
	uint32_t *keys = NULL, nl = 0, used = 0, i, b;
	uint8_t *load = NULL;
	size_t j, k;
	int err = 0;

	memset(out, 0, sizeof(*out));
	e = malloc((n ? n : 1) * sizeof(*e));
	keys = malloc((n ? n : 1) * sizeof(*keys));
	load = malloc(FT_PFX4_BUCKETS);
	if (!e || !keys || !load) {
		err = -ENOMEM;
		goto out;
	}
	if (n)
		memcpy(e, ents, n * sizeof(*e));
	qsort(e, n, sizeof(*e), pfx4_len_cmp);	/* longest first */

	/* the lengths, each table at about two keys a bucket */
	for (j = 0; j < n; j = k) {
		uint32_t len = e[j].key.prefixlen;

		for (k = j; k < n && e[k].key.prefixlen == len; k++)
			keys[k] = pfx4_key(ntohl(e[k].key.addr), len);
		if (len == 0) {
			t.d.dflt = e[j].bm;	/* distinct prefixes: one /0 */
			continue;
		}
		if (len > 32 || nl == FT_PFX4_LENS) {
			err = -E2BIG;
			goto out;
		}
		l[nl] = (struct pfx4_len){ .first = j, .n = k - j, .len = len };
		l[nl].nb = (uint32_t)((l[nl].n + 1) / 2);
		if (l[nl].nb < pfx4_min_nb(&l[nl]))
			l[nl].nb = pfx4_min_nb(&l[nl]);
		if (l[nl].nb > FT_PFX4_BUCKETS)
			l[nl].nb = FT_PFX4_BUCKETS;
		nl++;
	}
	/* too many buckets: the largest table that still holds its keys at
	 * FT_PFX4_WAYS a bucket on average gives up what is too many, as
	 * far as it can, until they fit */
	while (pfx4_buckets(l, nl) > FT_PFX4_BUCKETS) {
		size_t over = pfx4_buckets(l, nl) - FT_PFX4_BUCKETS;
		uint32_t big = nl, give;

		for (i = 0; i < nl; i++)
			if (l[i].nb > pfx4_min_nb(&l[i]) && (big == nl || l[i].nb > l[big].nb))
				big = i;
		if (big == nl) {
			err = -E2BIG;
			goto out;
		}
		give = l[big].nb - pfx4_min_nb(&l[big]);
		l[big].nb -= over < give ? (uint32_t)over : give;
	}
	/* each table's multiplier: the first under which no bucket holds
	 * more than FT_PFX4_WAYS keys, else an eighth more buckets if they fit */
	for (i = 0; i < nl; i++) {
		for (;;) {
			unsigned int try;
			uint32_t more;

			l[i].mult = 0x9e3779b1u;
			for (try = 0; try < PFX4_TRIES; try++, l[i].mult = pfx4_next_mult(l[i].mult))
				if (pfx4_fits(keys + l[i].first, l[i].n, l[i].mult, l[i].nb, load))
					break;
			if (try < PFX4_TRIES)
				break;
			more = l[i].nb / 8 ? l[i].nb / 8 : 1;
			if (pfx4_buckets(l, nl) + more > FT_PFX4_BUCKETS) {
				err = -E2BIG;
				goto out;
			}
			l[i].nb += more;
		}
	}

	t.nbuckets = (uint32_t)pfx4_buckets(l, nl);
	t.b = calloc(t.nbuckets ? t.nbuckets : 1, sizeof(*t.b));
	if (!t.b) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nl; i++) {
		const struct pfx4_len *x = &l[i];

		/* unused ways first, then each key at its bucket's next way */
		for (b = 0; b < x->nb; b++) {
			uint32_t w;

			for (w = 0; w < FT_PFX4_WAYS; w++) {
				t.b[used + b].key[w] = pfx4_unused_key(x->len, x->mult, x->nb, b);
				t.b[used + b].bm[w] = FT_DIR4_NONE;
			}
			load[b] = 0;
		}
		for (j = x->first; j < x->first + x->n; j++) {
			uint32_t h = ft_pfx4_hash(keys[j], x->mult, x->nb);
			struct ft_pfx4_bucket *bk = &t.b[used + h];

			bk->key[load[h]] = keys[j];
			bk->bm[load[h]++] = e[j].bm;
		}
		t.d.len[i] = (uint8_t)x->len;
		t.d.nb[i] = (uint16_t)x->nb;
		t.d.mult[i] = x->mult;
		t.d.off[i] = (uint16_t)used;
		used += x->nb;
	}
	t.d.nlens = (uint8_t)nl;
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
