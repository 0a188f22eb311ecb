/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The dynamic sets in the data path (flowtag/maps.h), changed at runtime by
 * flowtagctl set: their maps (the sets' own pinned LPM tries by set id,
 * ft_dynpol and ft_dynor per policy slot, the set epoch, the per-set
 * counters) and the lookups: ft_dset_has() (an expired element is absent),
 * ft_dset_count(), ft_dynset_hits() (which sets hold the packet's
 * addresses) and ft_dynor_bm() (the bitmap of the rules the hits add).
 * BPF only, part of classify.h: included by it where the dynamic set maps
 * belong, after the policy maps, and only there.
 */
#ifndef FLOWTAG_XDP_DYNSET_H
#define FLOWTAG_XDP_DYNSET_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "flowtag/maps.h"
#include "parse.h"


struct ft_dset4_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct ft_lpm4));
	__uint(value_size, sizeof(struct ft_set_elem));
};

struct ft_dset6_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct ft_lpm6));
	__uint(value_size, sizeof(struct ft_set_elem));
};

/* by set id: the set's own pinned tries (not per slot, not per policy) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FT_MAX_SETIDS);
	__type(key, __u32);
	__array(values, struct ft_dset4_inner);
} ft_dset4_o SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FT_MAX_SETIDS);
	__type(key, __u32);
	__array(values, struct ft_dset6_inner);
} ft_dset6_o SEC(".maps");

/* per slot: the dynamic sets the policy names */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS);
	__type(key, __u32);
	__type(value, struct ft_dynpol);
} ft_dynpol SEC(".maps");

/* per slot: FT_DYNOR_IDX() -> bitmap index of the rules the hits add */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_DYNOR_PER_SLOT);
	__type(key, __u32);
	__type(value, __u32);
} ft_dynor SEC(".maps");

/* the set epoch: flowtagctl increments it after every change of a set */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ft_set_epoch SEC(".maps");

/* per set id, per CPU: lookups and hits */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT_MAX_SETIDS);
	__type(key, __u32);
	__type(value, struct ft_set_cnt);
} ft_set_cnt SEC(".maps");

/* ft_dynset_hits() result: bit j (src) / 8 + j (dst) for set j of ft_dynpol */
#define FT_DYN_DST_SHIFT	FT_MAX_DYNSETS
#define FT_DYN_TIMED		(1u << 30)	/* a hit on an element with a timeout */

/*
 * Whether the trie @trie (a ft_dset4_inner or ft_dset6_inner) holds an
 * unexpired element containing the address in @key. An expired element
 * is absent, exactly from its expiry on, without anyone deleting it: the
 * lookup goes on with the prefixes shorter than it (an expired /24 must
 * not hide a live /16), FT_DSET_TRIES times at most. @now is read once
 * per packet, when the first element with a timeout is found.
 * Returns 0 (absent), 1 (present, no timeout) or 2 (present until it expires).
 */
static __always_inline int ft_dset_has(void *trie, void *key, __u32 *prefixlen, __u64 *now)
{
	struct ft_set_elem *e;
	int i;

	for (i = 0; i < FT_DSET_TRIES; i++) {
		e = bpf_map_lookup_elem(trie, key);
		if (!e)
			return 0;
		if (!e->expires)
			return 1;
		if (!*now)
			*now = bpf_ktime_get_boot_ns();
		if (e->expires > *now)
			return 2;
		if (!e->prefixlen)
			return 0;
		*prefixlen = e->prefixlen - 1;
	}
	return 0;
}

/* Count a lookup (and a hit) in set @id. */
static __always_inline void ft_dset_count(__u32 id, int hit)
{
	struct ft_set_cnt *c = bpf_map_lookup_elem(&ft_set_cnt, &id);

	if (c) {
		c->lookups++;
		if (hit)
			c->hits++;
	}
}

/* ft_dynset_one() result bits */
#define FT_DSET_HIT_SRC		1u
#define FT_DSET_HIT_DST		2u
#define FT_DSET_HIT_TIMED	4u

/* ft_dset_has()'s answer @r for direction @d (1: dst) of set @id as
 * ft_dynset_one() bits, counted in ft_set_cnt when @count. */
static __always_inline __u32 ft_dset_result(__u32 id, __u32 d, int r, int count)
{
	if (count)
		ft_dset_count(id, r);
	if (!r)
		return 0;
	return (d ? FT_DSET_HIT_DST : FT_DSET_HIT_SRC) | (r == 2 ? FT_DSET_HIT_TIMED : 0);
}

/*
 * ft_dynset_one() - whether dynamic set @id holds the packet's source
 * (FT_DSET_HIT_SRC) and destination (FT_DSET_HIT_DST) address, the fields
 * @fl (FT_SET_E_SRC, FT_SET_E_DST) says it is matched on, plus
 * FT_DSET_HIT_TIMED when an element with a timeout answered.
 * @count: count the lookups and hits in ft_set_cnt
 * @now:   in/out, ft_dset_has()'s clock (0 until read)
 * Global: verified once, not once per set and per state the sets before
 * left (about 2/3 of the instructions the verifier processed for ft_xdp
 * when the loop of ft_dynset_hits() was inlined).
 */
__attribute__((noinline)) __u32 ft_dynset_one(const struct ft_flow_key *k, __u32 id, __u32 fl,
					      int count, __u64 *now)
{
	__u32 hits = 0, d;
	void *trie;
	int r;

	if (!k || !now)
		return 0;
	if (k->family == FT_FAM_IPV4) {
		trie = bpf_map_lookup_elem(&ft_dset4_o, &id);
		if (!trie)
			return 0;
		for (d = 0; d < 2; d++) {
			struct ft_lpm4 key = { .prefixlen = 32 };

			if (!(fl & (d ? FT_SET_E_DST : FT_SET_E_SRC)))
				continue;
			key.addr = d ? k->dst[0] : k->src[0];
			r = ft_dset_has(trie, &key, &key.prefixlen, now);
			hits |= ft_dset_result(id, d, r, count);
		}
		return hits;
	}
	trie = bpf_map_lookup_elem(&ft_dset6_o, &id);
	if (!trie)
		return 0;
	for (d = 0; d < 2; d++) {
		struct ft_lpm6 key = { .prefixlen = 128 };

		if (!(fl & (d ? FT_SET_E_DST : FT_SET_E_SRC)))
			continue;
		__builtin_memcpy(key.addr, d ? k->dst : k->src, 16);
		r = ft_dset_has(trie, &key, &key.prefixlen, now);
		hits |= ft_dset_result(id, d, r, count);
	}
	return hits;
}

/*
 * ft_dynset_hits() - which dynamic sets of the policy in @slot hold the
 * packet's source (bit j) and destination (bit FT_DYN_DST_SHIFT + j)
 * address, plus FT_DYN_TIMED when an element with a timeout answered.
 * @count: count the lookups and hits in ft_set_cnt (0 for a probe frame,
 * which changes nothing).
 * Global: verified once, with unknown arguments.
 */
__attribute__((noinline)) __u32 ft_dynset_hits(const struct ft_flow_key *k, __u32 slot,
					       int count)
{
	struct ft_dynpol *dp;
	__u32 hits = 0, j, n, h;
	__u64 now = 0;

	if (!k)
		return 0;
	dp = bpf_map_lookup_elem(&ft_dynpol, &slot);
	if (!dp)
		return 0;
	n = dp->nsets;
	for (j = 0; j < FT_MAX_DYNSETS && j < n; j++) {
		h = ft_dynset_one(k, dp->id[j], dp->fields[j], count, &now);
		if (h & FT_DSET_HIT_SRC)
			hits |= 1u << j;
		if (h & FT_DSET_HIT_DST)
			hits |= 1u << (j + FT_DYN_DST_SHIFT);
		if (h & FT_DSET_HIT_TIMED)
			hits |= FT_DYN_TIMED;
	}
	return hits;
}

/* The bitmap ft_dynor gives for the hits @mask of field @dst, family @v6. */
static __always_inline const struct ft_bitmap *ft_dynor_bm(void *bms, __u32 slot, __u32 dst,
							   __u32 v6, __u32 mask)
{
	__u32 i = FT_DYNOR_IDX(slot & 1, dst & 1, v6 & 1, mask & ((1u << FT_MAX_DYNSETS) - 1));
	__u32 *bi = bpf_map_lookup_elem(&ft_dynor, &i);

	return bi ? bpf_map_lookup_elem(bms, bi) : NULL;
}

#endif /* FLOWTAG_XDP_DYNSET_H */
