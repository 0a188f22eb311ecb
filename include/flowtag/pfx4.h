/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The IPv4 prefix hash: for a src or dst field whose static IPv4 prefixes
 * have at most FT_PFX4_LENS distinct lengths besides /0 (the rules' own
 * prefixes, typically one length), one hash table per length, probed
 * longest first: the first table that holds the address's prefix of its
 * length gives the bitmap index, none the /0's. That is the longest
 * matching prefix, the entry the DIR-16-8-8 table (flowtag/dir4.h) of the
 * same prefixes gives -- hash tables per prefix length as in Waldvogel,
 * Varghese, Turner, Plattner, "Scalable high speed IP routing lookups"
 * (SIGCOMM 1997), searched linearly over the few lengths instead of by
 * binary search with markers. Compiled in userspace
 * (daemon/compile_pfx4.c), read by the data path (xdp/classify.h) and
 * by the tests: one lookup, written once, below.
 *
 * Why: a table walk is a chain of dependent reads in an inner map (a
 * helper call each) and a chunk to decode; a probe here is one 64-byte
 * bucket of a fixed array, a lookup the verifier inlines (a bounds check
 * and an add), found from the address by a multiply and a shift.
 *
 * The maps, fixed arrays outside the map-in-map, written with the slot:
 *
 *   ft_pfx4d  FT_SLOTS * 2 struct ft_pfx4_desc, index slot * 2 + x
 *             (x = 0 src, 1 dst): the field's tables
 *   ft_pfx4   FT_SLOTS * 2 * FT_PFX4_BUCKETS struct ft_pfx4_bucket: the
 *             buckets of (slot, x) from (slot * 2 + x) * FT_PFX4_BUCKETS,
 *             table i's from there + off[i]
 *
 * Table i holds the prefixes of length len[i] (1..32, longest first). A
 * prefix's key is its network shifted right: v = addr >> (32 - len[i]).
 * Its bucket is h(v) = (((v * mult[i]) mod 2^32) * nb[i]) >> 32 (a
 * multiplicative hash, Knuth, reduced to the table's nb[i] buckets by a
 * multiply and a shift, Lemire's "fastrange": any number of buckets, not a
 * power of two), and it is one of that bucket's FT_PFX4_WAYS ways: the
 * compiler picks mult[i] and nb[i] so that no bucket overflows. An
 * unused way holds ~0 when len < 32 (more than any key of that length),
 * else a key whose own bucket is another one (a /32 table has at least two
 * buckets): no address ever compares equal to it, and the lookup compares
 * keys only.
 */
#ifndef FLOWTAG_PFX4_H
#define FLOWTAG_PFX4_H

#include <linux/types.h>

#define FT_PFX4_LENS		4	/* prefix lengths besides /0, at most */
#define FT_PFX4_WAYS		8	/* keys of a bucket: one 64-byte line */
#define FT_PFX4_BUCKETS		2048	/* buckets of a (slot, field): 128 KiB */

/* One bucket: the keys, then their bitmap indices (ways in the same order). */
struct ft_pfx4_bucket {
	__u32 key[FT_PFX4_WAYS];
	__u32 bm[FT_PFX4_WAYS];
};

_Static_assert(sizeof(struct ft_pfx4_bucket) == 64, "ft_pfx4_bucket ABI size");

/* The tables of one (slot, field). */
struct ft_pfx4_desc {
	__u32 dflt;			/* an address no table holds: the /0's bitmap
					 * index, FT_DIR4_EMPTY without a /0 */
	__u8 nlens;			/* tables: 0..FT_PFX4_LENS */
	__u8 len[FT_PFX4_LENS];		/* table i's prefix length, longest first */
	__u8 pad[3];
	__u32 mult[FT_PFX4_LENS];	/* table i's multiplier (odd) */
	__u16 off[FT_PFX4_LENS];	/* table i's first bucket in the field's */
	__u16 nb[FT_PFX4_LENS];		/* table i's buckets, 1..FT_PFX4_BUCKETS */
};

_Static_assert(sizeof(struct ft_pfx4_desc) == 44, "ft_pfx4_desc ABI size");
_Static_assert(FT_PFX4_BUCKETS < 65536, "bucket counts and offsets fit ft_pfx4_desc");

/* The bucket of key @v in a table of @nb buckets hashed with @mult: below
 * @nb for any @v. */
static inline __attribute__((always_inline)) __u32 ft_pfx4_hash(__u32 v, __u32 mult, __u32 nb)
{
	return (__u32)(((__u64)(__u32)(v * mult) * nb) >> 32);
}

/*
 * FT_PFX4_DEFINE_LOOKUP(name, table_t, bucket) - define
 *
 *	static inline __u32 name(table_t table, const struct ft_pfx4_desc *d, __u32 addr)
 *
 * which returns the bitmap index of IPv4 address @addr (host byte order)
 * under the tables @d describes: the longest prefix's, else d->dflt.
 * @bucket(table, k) returns a pointer to bucket k of the field (a const
 * struct ft_pfx4_bucket *), NULL past its end: the BPF side looks ft_pfx4
 * up (xdp/classify.h), userspace reads struct ft_pfx4_table (compile.h).
 */
#define FT_PFX4_DEFINE_LOOKUP(name, table_t, bucket)					\
	static inline __attribute__((always_inline)) __u32				\
	name(table_t table, const struct ft_pfx4_desc *d, __u32 addr)			\
	{										\
		__u32 i, j;								\
											\
		for (i = 0; i < FT_PFX4_LENS; i++) {					\
			const struct ft_pfx4_bucket *b;					\
			__u32 v;							\
											\
			if (i >= d->nlens)						\
				break;							\
			/* len 1..32: a shift of 0..31 */				\
			v = addr >> ((32 - d->len[i]) & 31);				\
			b = bucket(table, d->off[i] + ft_pfx4_hash(v, d->mult[i], d->nb[i])); \
			if (!b)								\
				continue;						\
			for (j = 0; j < FT_PFX4_WAYS; j++)				\
				if (b->key[j] == v)					\
					return b->bm[j];				\
		}									\
		return d->dflt;								\
	}

#endif /* FLOWTAG_PFX4_H */
