/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The classifier, shared by the XDP program and the tc ingress fallback.
 * BPF only: defines the maps both programs use (the loader makes the two
 * objects share one instance of each, by name) and ft_classify(); the
 * dynamic sets' maps and lookups are in dynset.h, the maps only flowtagctl
 * reads in records.h, both included from here.
 *
 * Map layout and the bit-vector search are described in flowtag/maps.h.
 *
 * Which rule matched -- five functions answer it, one of them is the truth:
 *
 *   ft_reference_match()  daemon/policy.c   THE REFERENCE: the rules of the
 *                                            parsed policy in file order, the
 *                                            first whose match accepts; slow
 *                                            and obvious on purpose
 *   ft_compiled_match()   daemon/compile.c  the bit-vector search over the
 *                                            compiled tables, in userspace
 *   ft_first_rule()       here              the same search in BPF, over the
 *                                            maps the loader filled
 *   ft_decide()           here              drop pre-filter (ft_prefilter()),
 *                                            else flow cache, else
 *                                            ft_first_rule_heads() (the
 *                                            same search from the bitmaps'
 *                                            heads) or ft_first_rule(),
 *                                            else the default: the verdict
 *   ft_classify()         here              parse the packet, then ft_decide()
 *
 * The differential tests (tests/unit/test_compile.c, tests/fuzz/, the
 * random packets of tests/bpf/test_datapath.c) and flowtagctl explain hold
 * the other four to the reference.
 */
#ifndef FLOWTAG_CLASSIFY_H
#define FLOWTAG_CLASSIFY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "flowtag/dir4.h"
#include "flowtag/pfx4.h"
#include "flowtag/maps.h"
#include "parse.h"

#define FT_BM_INVALID	0xffffffffu
#define FT_FRAG_ENTRIES	8192

/* ---- policy, double-buffered by slot ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ft_state);
} ft_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS);
	__type(key, __u32);
	__type(value, struct ft_policy_hdr);
} ft_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ft_verdict);
} ft_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_SC_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ft_scalar SEC(".maps");

/* word 0 of every bitmap, for the one-word search (flowtag/maps.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_BMW_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ft_bmw SEC(".maps");

/* the head of every bitmap, for the bitmap search (flowtag/maps.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_BMW_MAX);
	__type(key, __u32);
	__type(value, struct ft_bm_head);
} ft_bmh SEC(".maps");

/* the IPv4 prefix hashes (flowtag/pfx4.h): each field's tables ... */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * 2);
	__type(key, __u32);
	__type(value, struct ft_pfx4_desc);
} ft_pfx4d SEC(".maps");

/* ... and their buckets. Mmapable: its values start page aligned, so a
 * 64-byte bucket is a cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, FT_SLOTS * 2 * FT_PFX4_BUCKETS);
	__type(key, __u32);
	__type(value, struct ft_pfx4_bucket);
} ft_pfx4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_SLOTS * FT_MAX_IFACES);
	__type(key, struct ft_iif_key);
	__type(value, __u32);
} ft_iif SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_SLOTS * FT_MAX_CLASSES);
	__type(key, struct ft_mark_key);
	__type(value, struct ft_mark_val);
} ft_markcls SEC(".maps");

/* Sized per policy, so they are inner maps: the loader creates one of the
 * right size for each reload and swaps it into the inactive slot.
 * key_size/value_size, not __type: clang 14 emits only a forward
 * declaration for a struct reached through an inner map definition. */
struct ft_bm_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);	/* inner maps of any size */
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ft_bitmap));
};

/* IPv4 src/dst prefixes: a DIR-16-8-8 table of palette chunks (flowtag/dir4.h) */
struct ft_dir4_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ft_dir4_block));
};

/* IPv6 src/dst prefixes: LPM tries (a stride table for IPv6 is future work) */
struct ft_lpm6_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* required for LPM tries */
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct ft_lpm6));
	__uint(value_size, sizeof(__u32));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FT_SLOTS);
	__type(key, __u32);
	__array(values, struct ft_bm_inner);
} ft_bm_o SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FT_SLOTS);
	__type(key, __u32);
	__array(values, struct ft_dir4_inner);
} ft_src4_o SEC(".maps"), ft_dst4_o SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, FT_SLOTS);
	__type(key, __u32);
	__array(values, struct ft_lpm6_inner);
} ft_src6_o SEC(".maps"), ft_dst6_o SEC(".maps");

/* ---- dynamic sets (flowtag/maps.h), changed by flowtagctl set: dynset.h ---- */

#include "dynset.h"

/* Per receiving interface: Ethernet or L3 (struct ft_link). Not per
 * policy: a property of the device, written by flowtagd when it attaches. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FT_MAX_LINKS);
	__type(key, __u32);
	__type(value, struct ft_link);
} ft_links SEC(".maps");

/* ---- for flowtagctl only: records.h ---- */

#include "records.h"

/* ---- caches and counters, independent of the policy ---- */

/* The flow cache (flowtag/maps.h): FT_FLOW_WAYS flows per bucket, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT_FLOW_BUCKETS);
	__type(key, __u32);
	__type(value, struct ft_flow_bucket);
} ft_flow_cache SEC(".maps");

/* Set by the loader before it loads the object (read-only afterwards, so
 * the verifier sees constants): buckets - 1 of ft_flow_cache as created, and a
 * random seed, so nobody can aim a flood at one bucket. */
const volatile __u32 ft_flow_mask = FT_FLOW_BUCKETS - 1;
const volatile __u64 ft_flow_seed = 0;

/*
 * The compact flow cache (flowtag/maps.h): pages of FT_FLOW4_LINES lines
 * of two ways, ft_flow4_mask + 1 pages per CPU, CPU c's from c * (mask + 1).
 * Mmapable: its values start page aligned, so a line is a cache line. The
 * loader sets max_entries (possible CPUs * pages) and the mask.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, FT_FLOW4_PAGES);
	__type(key, __u32);
	__type(value, struct ft_flow4_page);
} ft_flow4 SEC(".maps");

const volatile __u32 ft_flow4_mask = FT_FLOW4_PAGES - 1;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FT_FRAG_ENTRIES);
	__type(key, struct ft_frag_key);
	__type(value, struct ft_frag_val);
} ft_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ft_counters);
} ft_health_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ft_pktcnt);
} ft_rule_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_CLASSES);
	__type(key, __u32);
	__type(value, struct ft_pktcnt);
} ft_class_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FT_MAX_IFACES * 2);
	__type(key, __u32);
	__type(value, struct ft_hoff);
} ft_hoff SEC(".maps");

/* This interface's hand-off counters; NULL when flowtagd made no entry. */
static __always_inline struct ft_hoff *ft_hoff_get(__u32 ifindex)
{
	/* @ifindex is this function's own copy on the stack: a valid key on 6.1 */
	return bpf_map_lookup_elem(&ft_hoff, &ifindex);
}

/* Per receiving interface, its link layer and hand-off counters in one
 * lookup (struct ft_dev, flowtag/maps.h); ft_links and ft_hoff are the
 * fallback for the interfaces without an entry of their own. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FT_DEV_SLOTS);
	__type(key, __u32);
	__type(value, struct ft_dev);
} ft_devs SEC(".maps");

/* This CPU's ft_devs entry of @ifindex; NULL when the entry is free or
 * another interface's (then ft_links and ft_hoff answer: ft_dev_l2(),
 * ft_dev_hoff()). */
static __always_inline struct ft_dev *ft_dev_get(__u32 ifindex)
{
	__u32 i = ifindex & (FT_DEV_SLOTS - 1);
	struct ft_dev *d = bpf_map_lookup_elem(&ft_devs, &i);

	return d && d->ifindex == ifindex ? d : NULL;
}

/* The hand-off counters of @ifindex: in its ft_devs entry @d (ft_dev_get()), else ft_hoff. */
static __always_inline struct ft_hoff *ft_dev_hoff(struct ft_dev *d, __u32 ifindex)
{
	return d ? &d->hoff : ft_hoff_get(ifindex);
}

/* This CPU's health counters (never NULL in practice: one array entry). */
static __always_inline struct ft_counters *ft_counters_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ft_health_cnt, &zero);
}

/* Count one in @c, from ft_counters_get(): one lookup for a packet's counters. */
static __always_inline void ft_count_in(struct ft_counters *c, __u32 idx)
{
	if (c && idx < FT_CNT_MAX)
		c->c[idx]++;	/* per-CPU value: no atomic needed */
}

/* Count one, with a lookup of its own: for the rare paths. */
static __always_inline void ft_count(__u32 idx)
{
	ft_count_in(ft_counters_get(), idx);
}

static __always_inline void ft_count_pkt(void *map, __u32 idx, __u64 bytes)
{
	struct ft_pktcnt *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/*
 * Count trailing zeros of a non-zero word: popcount of the bits below the
 * lowest set bit, SWAR style. clang 14's BPF backend crashes on
 * __builtin_ctzll, and a branchy binary search makes the verifier walk one
 * state per outcome in every iteration of the bitmap loop; this is
 * branch-free, so the verifier sees one unknown scalar.
 */
static __always_inline __u32 ft_ctz64(__u64 x)
{
	__u64 v = (x & -x) - 1;

	v = v - ((v >> 1) & 0x5555555555555555ULL);
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (v * 0x0101010101010101ULL) >> 56;
}

/* The active policy's header and slot; NULL before the first policy. With
 * @st non-NULL, also the state read, for its link-type fields. */
static __always_inline const struct ft_policy_hdr *ft_active_policy_st(__u32 *slot,
									const struct ft_state **st)
{
	const struct ft_policy_hdr *h;
	const struct ft_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&ft_state, &zero);
	if (!s)
		return NULL;
	*slot = s->slot & 1;
	if (st)
		*st = s;
	h = bpf_map_lookup_elem(&ft_policy, slot);
	return h && h->generation ? h : NULL;
}

/* The active policy's header and slot; NULL before the first policy. */
static __always_inline const struct ft_policy_hdr *ft_active_policy(__u32 *slot)
{
	return ft_active_policy_st(slot, NULL);
}

/* Whether some rule of the policy in @slot matches on field @f (FT_F_*). */
static __always_inline int ft_policy_uses(__u32 slot, __u32 f)
{
	const struct ft_policy_hdr *h = bpf_map_lookup_elem(&ft_policy, &slot);

	return h && (h->used_fields & (1u << f));
}

/* Bitmap index of a small field's value, FT_BM_INVALID if out of range. */
static __always_inline __u32 ft_scalar_bm(__u32 slot, __u32 off)
{
	__u32 i = slot * FT_SC_SIZE + off;
	__u32 *v = bpf_map_lookup_elem(&ft_scalar, &i);

	return v ? *v : FT_BM_INVALID;
}

/* Block @k of an IPv4 prefix table: one element of the array (an inner
 * map: a helper call, which checks the index). */
static __always_inline const struct ft_dir4_block *ft_dir4_block_at(void *table, __u32 k)
{
	return bpf_map_lookup_elem(table, &k);
}

FT_DIR4_DEFINE_LOOKUP(ft_dir4_bm, void *, ft_dir4_block_at)

/* Bucket @k of the prefix hash of (slot, field) @sx (slot * 2 + x): a
 * lookup in a fixed array, which the verifier inlines. */
static __always_inline const struct ft_pfx4_bucket *ft_pfx4_bucket_at(__u32 sx, __u32 k)
{
	__u32 i = sx * FT_PFX4_BUCKETS + (k & (FT_PFX4_BUCKETS - 1));

	return bpf_map_lookup_elem(&ft_pfx4, &i);
}

FT_PFX4_DEFINE_LOOKUP(ft_pfx4_probe, __u32, ft_pfx4_bucket_at)

/* Bitmap index of IPv4 address @addr (host byte order) in the prefix hash
 * of field @x (0 src, 1 dst) of @slot (FT_POL_F_PFX4_SRC / _DST). */
static __always_inline __u32 ft_pfx4_bm(__u32 slot, __u32 x, __u32 addr)
{
	__u32 sx = slot * 2 + x;
	const struct ft_pfx4_desc *d = bpf_map_lookup_elem(&ft_pfx4d, &sx);

	return d ? ft_pfx4_probe(sx, d, addr) : FT_BM_INVALID;
}

/*
 * Bitmap index of IPv4 address @addr (network byte order) in field @x (0
 * src, 1 dst) of @slot: from its prefix hash when the policy's @flags say
 * it has one (FT_POL_F_PFX4()), else from its DIR-16-8-8 table in @outer4,
 * at most three array lookups (flowtag/dir4.h); FT_BM_INVALID without a
 * table. The searches and the drop pre-filter read IPv4 prefixes here.
 */
static __always_inline __u32 ft_ipv4_bm(void *outer4, __u32 slot, __u32 x, __u32 flags,
					__u32 addr)
{
	void *table;

	if (flags & FT_POL_F_PFX4(x))
		return ft_pfx4_bm(slot, x, bpf_ntohl(addr));
	table = bpf_map_lookup_elem(outer4, &slot);
	/* the compiler always paints a /0: every address has an entry */
	return table ? ft_dir4_bm(table, bpf_ntohl(addr)) : FT_BM_INVALID;
}

/*
 * Bitmap index of an address in the slot's prefix table for @family: for
 * IPv4 ft_ipv4_bm() of field @x (0 src, 1 dst) under the policy's @flags,
 * for IPv6 the LPM trie.
 */
static __always_inline __u32 ft_prefix_bm(void *outer4, void *outer6, __u32 slot, __u32 x,
					  __u32 flags, const struct ft_flow_key *k, const __u32 *addr)
{
	__u32 *v = NULL;
	void *table;

	if (k->family == FT_FAM_IPV4) {
		return ft_ipv4_bm(outer4, slot, x, flags, addr[0]);
	} else {
		/* in a scope of its own: clang can give the IPv4 walk's keys the
		 * same stack (ft_first_rule's stack is at its limit) */
		struct ft_lpm6 key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, addr, 16);
		table = bpf_map_lookup_elem(outer6, &slot);
		if (table)
			v = bpf_map_lookup_elem(table, &key);
	}
	/* the compiler always inserts a /0 entry, so a miss means no slot data */
	return v ? *v : FT_BM_INVALID;
}

/* Bitmap index for the receiving interface; @absent when no rule names it. */
static __always_inline __u32 ft_iif_bm(__u32 slot, __u32 ifindex, __u32 absent)
{
	struct ft_iif_key ik = { .slot = slot, .ifindex = ifindex };
	__u32 *v = bpf_map_lookup_elem(&ft_iif, &ik);

	return v ? *v : absent;
}

/*
 * FT_EACH_FIELD(X) - X(field, have, lookup) for every match field:
 * whether the packet has the field (else the rules get
 * h->absent_bm[field]) and the lookup of its bitmap index. One list for
 * the three searches (ft_first_rule_word(), ft_first_rule_heads(),
 * ft_first_rule()), which name the key @k, the header @h, the @slot and
 * @ip (the key has IP addresses) alike.
 *
 * The addresses first: their tables (a prefix set's chunks, a large
 * policy's hash buckets) are the reads most likely to miss the cache, and
 * issued first, the CPU overlaps their latency with the port and protocol
 * lookups that do not depend on them. The answer does not depend on the
 * order (an AND); the time a little: 2-7 ns less a packet in L0 for the
 * 1000- and 4096-rule and the 10^5 and 10^6 prefix-set policies, 0-3 ns
 * more for the 100-prefix set (bench/README.md, 2026-12-02).
 */
#define FT_EACH_FIELD(X)								\
	X(FT_F_SRC, ip, ft_prefix_bm(&ft_src4_o, &ft_src6_o, slot, 0, h->flags, k, k->src)); \
	X(FT_F_DST, ip, ft_prefix_bm(&ft_dst4_o, &ft_dst6_o, slot, 1, h->flags, k, k->dst)); \
	X(FT_F_DPORT, k->l4 & FT_L4_PORTS, ft_scalar_bm(slot, FT_SC_DPORT + k->dport));	\
	X(FT_F_SPORT, k->l4 & FT_L4_PORTS, ft_scalar_bm(slot, FT_SC_SPORT + k->sport));	\
	X(FT_F_PROTO, k->l4 & FT_L4_PROTO, ft_scalar_bm(slot, FT_SC_PROTO + k->proto));	\
	X(FT_F_DSCP, ip, ft_scalar_bm(slot, FT_SC_DSCP + (k->dscp & 63)));		\
	X(FT_F_TCPFL, k->l4 & FT_L4_TCPFL, ft_scalar_bm(slot, FT_SC_TCPFL + k->tcp_flags)); \
	X(FT_F_VLAN, k->vlan < FT_VLAN_NONE, ft_scalar_bm(slot, FT_SC_VLAN + (k->vlan & 0xfff))); \
	X(FT_F_IIF, 1, ft_iif_bm(slot, k->ifindex, h->absent_bm[FT_F_IIF]))

/* Word 0 of bitmap @bi of @slot from ft_bmw: 0 (no rule) for an index
 * outside it, FT_BM_INVALID and FT_DIR4_NONE among them. */
static __always_inline __u64 ft_bm_word(__u32 slot, __u32 bi)
{
	__u32 i = slot * FT_BMW_MAX + bi;
	__u64 *w;

	if (bi >= FT_BMW_MAX)
		return 0;
	w = bpf_map_lookup_elem(&ft_bmw, &i);
	return w ? *w : 0;
}

/*
 * ft_first_rule_word() - ft_first_rule() for a policy with FT_POL_F_WORD
 * (at most 64 rules, no dynamic set): the AND of one word per field the
 * rules use, from ft_bmw, whose lowest set bit is the first rule that
 * accepts the packet; FT_RULE_NONE when it is 0. Every lookup is in a
 * global array, which the verifier inlines: no helper call.
 */
static __always_inline __u32 ft_first_rule_word(const struct ft_flow_key *k,
						const struct ft_policy_hdr *h, __u32 slot)
{
	__u32 used = h->used_fields, n = h->nrules;
	int ip = k->family != FT_FAM_NONE;
	__u64 acc;

	/* the rules of the policy: with no field used, every one accepts */
	acc = n >= 64 ? ~0ULL : (1ULL << (n & 63)) - 1;
#define FT_WORD(f, have, lookup)						\
	do {									\
		if (acc && (used & (1u << (f))))				\
			acc &= ft_bm_word(slot, (have) ? (lookup) : h->absent_bm[f]); \
	} while (0)

	FT_EACH_FIELD(FT_WORD);
#undef FT_WORD
	return acc ? ft_ctz64(acc) : FT_RULE_NONE;
}

/* Head of bitmap @bi of @slot in ft_bmh; NULL for an index outside it,
 * FT_BM_INVALID and FT_DIR4_NONE among them. */
static __always_inline const struct ft_bm_head *ft_bm_head(__u32 slot, __u32 bi)
{
	__u32 i = slot * FT_BMW_MAX + bi;

	if (bi >= FT_BMW_MAX)
		return NULL;
	return bpf_map_lookup_elem(&ft_bmh, &i);
}

/* ft_first_rule_heads()'s answer when the summaries name more words than
 * it visits: ft_first_rule() reads them all in ft_bitmaps */
#define FT_RULE_FULL		0x20000u

/* What ft_first_rule_heads() keeps of the heads of a packet's bitmaps:
 * scalars only. */
struct ft_heads {
	__u64 sum;			/* AND of the fields' summaries */
	__u64 acc;			/* AND of the single-word bitmaps' words */
	__u32 multi;			/* bit f: field f's bitmap has more words */
	__u32 bi[FT_NFIELDS];		/* bitmap index of each multi field */
};

/*
 * ft_first_rule_heads() - ft_first_rule() for a policy with FT_POL_F_HEADS
 * (no dynamic set), from the heads of the fields' bitmaps in ft_bmh. A
 * bitmap with at most one non-zero word is all in its head, and the
 * all-rules bitmap is no constraint: only the other bitmaps are read in
 * the slot's ft_bitmaps, and only the words the AND of the summaries
 * names, lowest first. When some field's bitmap is a single word, that
 * AND has at most its bit: one word is visited. Past FT_HEADS_WORDS
 * words (flowtag/maps.h) it answers FT_RULE_FULL, for ft_first_rule()
 * to search all of them: a bound of the verifier's work.
 *
 * For the verifier: what a field contributes is computed without a
 * branch, and @unk, 0 at run time but unknown to the verifier (the
 * header's nwords >> 31: nwords <= FT_BM_WORDS), is or'ed into what
 * the branches below test. Else a field no rule uses would leave known
 * zeros there, the branches on them would be decided on some paths, the
 * verifier would mark them precise and walk every combination of the
 * fields' outcomes (2^FT_NFIELDS) instead of merging them.
 *
 * Global, called from ft_decide() rather than from ft_first_rule(): the
 * call chain through ft_first_rule() has no stack left for its frame.
 * Even so the chains are at the limit on 6.1, whose verifier rounds each
 * frame up to 32 bytes: ft_tc_ingress, ft_decide and this one, or
 * ft_dynset_hits() and ft_dynset_one() under ft_decide, make 512 bytes
 * (hits is looked up after this call, not kept across it, for that).
 */
__attribute__((noinline)) __u32 ft_first_rule_heads(const struct ft_flow_key *k,
						    const struct ft_policy_hdr *h, __u32 slot)
{
	struct ft_heads heads, *o = &heads;
	const struct ft_bm_head *x;
	const struct ft_bitmap *b;
	__u32 used, unk, w, r;
	void *bms;
	int ip, f, i;

	if (!k || !h)
		return FT_RULE_NONE;
	used = h->used_fields;
	unk = h->nwords >> 31;
	ip = k->family != FT_FAM_NONE;
	o->sum = ~(__u64)unk;
	o->acc = ~(__u64)unk;
	o->multi = unk;
#define FT_HEAD(f, have, lookup)						\
	do {									\
		o->bi[f] = unk;							\
		if (used & (1u << (f))) {					\
			__u64 t, a;						\
										\
			x = ft_bm_head(slot, (have) ? (lookup) : h->absent_bm[f]); \
			if (!x)							\
				return FT_RULE_NONE; /* FT_BM_INVALID too */	\
			o->sum &= x->summary;					\
			t = x->summary & (x->summary - 1);			\
			t = (t | -t) >> 63;	/* 1: more than one word */	\
			/* the all-rules bitmap is no constraint */		\
			a = x->word + 1;					\
			t &= (a | -a) >> 63;					\
			o->multi |= (__u32)t << (f);				\
			o->bi[f] = (__u32)x->word;				\
			o->acc &= x->word | -t;					\
		}								\
	} while (0)

	FT_EACH_FIELD(FT_HEAD);
#undef FT_HEAD
	o->multi |= unk * ((1u << FT_NFIELDS) - 1);
	/* No bitmap to read (every field's in its head, or the all-rules
	 * one): the lowest word the summaries name holds the answer, if any
	 * does (with no field used, every rule accepts: rule 0, if any). */
	if (!o->multi) {
		if (!o->sum || !o->acc)
			return FT_RULE_NONE;
		r = (ft_ctz64(o->sum) & (FT_BM_WORDS - 1)) * 64 + ft_ctz64(o->acc);
		return r < h->nrules ? r : FT_RULE_NONE;
	}
	bms = bpf_map_lookup_elem(&ft_bm_o, &slot);
	if (!bms)
		return FT_RULE_NONE;
	for (i = 0; i < FT_HEADS_WORDS; i++) {
		__u64 acc = o->acc;

		if (!o->sum)
			return FT_RULE_NONE;
		/* mask: tell the verifier w indexes inside a bitmap's words */
		w = ft_ctz64(o->sum) & (FT_BM_WORDS - 1);
		o->sum &= o->sum - 1;
#pragma unroll
		for (f = 0; f < FT_NFIELDS; f++) {
			if (!(o->multi & (1u << f)))
				continue;
			b = bpf_map_lookup_elem(bms, &o->bi[f]);
			if (!b)
				return FT_RULE_NONE;
			acc &= b->w[w];
		}
		if (acc) {
			r = w * 64 + ft_ctz64(acc);
			return r < h->nrules ? r : FT_RULE_NONE;
		}
	}
	return o->sum ? FT_RULE_FULL : FT_RULE_NONE;
}

/* or'ed into ft_first_rule()'s answer: valid for this packet only */
#define FT_RULE_NOCACHE		0x10000u

/*
 * ft_first_rule() - index of the first rule of the policy in @slot that accepts
 * the packet described by @k, or FT_RULE_NONE; FT_RULE_NOCACHE or'ed in
 * when the answer rests on a dynamic set's element with a timeout (the
 * caller must not cache it: the element expires without a set change).
 * @hits: ft_dynset_hits() of the packet (0 without dynamic sets), looked up
 * by the caller: a call from here would exceed the 512-byte stack of the
 * call chain.
 *
 * Global (verified once, on its own): inlined, every exit of the bitmap loop
 * would drag the caller's remaining code through the verifier again.
 */
__attribute__((noinline)) __u32 ft_first_rule(const struct ft_flow_key *k,
					      const struct ft_policy_hdr *h, __u32 slot,
					      __u32 hits)
{
	const struct ft_bitmap *b[FT_NFIELDS], *xs, *xd;
	__u32 used, bi;
	__u64 sum;
	int ip;
	void *bms;
	int f, i;

	if (!k || !h)
		return FT_RULE_NONE;
	if (h->flags & FT_POL_F_WORD)
		return ft_first_rule_word(k, h, slot);
	used = h->used_fields;
	ip = k->family != FT_FAM_NONE;
	bms = bpf_map_lookup_elem(&ft_bm_o, &slot);
	if (!bms)
		return FT_RULE_NONE;
	/*
	 * Fields no rule matches on take the all-rules bitmap, looked up once
	 * here: a miss pays one bitmap lookup per field the policy uses, not
	 * one per field. Each field's "used" bit is tested exactly once: a
	 * second test of an already-decided bit makes the verifier mark it
	 * precise and stops it from merging the paths (2^FT_NFIELDS of them);
	 * both outcomes leave b[f] a pointer into the same map, so they merge.
	 */
	/* xs holds the all-rules bitmap until the dynamic sets below take it
	 * for the source: one pointer less on the call chain's stack */
	bi = h->all_bm;
	xs = bpf_map_lookup_elem(bms, &bi);
	if (!xs)
		return FT_RULE_NONE;
	sum = xs->summary;
	/* Each bitmap is looked up as soon as its index is known: no array
	 * of indices on the stack (the call chain's stack is at its limit). */
#define FT_FIELD(f, have, lookup)					\
	do {								\
		b[f] = xs;						\
		if (used & (1u << (f))) {				\
			bi = (have) ? (lookup) : h->absent_bm[f];	\
			b[f] = bpf_map_lookup_elem(bms, &bi);		\
			if (!b[f])					\
				return FT_RULE_NONE; /* FT_BM_INVALID too */ \
			sum &= b[f]->summary;				\
		}							\
	} while (0)

	FT_EACH_FIELD(FT_FIELD);
#undef FT_FIELD

	/* dynamic sets: OR the rules of the sets that hold the address into
	 * the src and dst bitmaps (OR with itself when nothing is added) */
	xs = b[FT_F_SRC];
	xd = b[FT_F_DST];
	if ((h->flags & FT_POL_F_DYNSETS) && ip) {
		__u32 v6 = k->family == FT_FAM_IPV6;
		const struct ft_bitmap *x;

		x = ft_dynor_bm(bms, slot, 0, v6, hits);
		if (x)
			xs = x;
		x = ft_dynor_bm(bms, slot, 1, v6, hits >> FT_DYN_DST_SHIFT);
		if (x)
			xd = x;
		sum = ~0ULL;
#pragma unroll
		for (f = 0; f < FT_NFIELDS; f++) {
			if (f == FT_F_SRC)
				sum &= b[f]->summary | xs->summary;
			else if (f == FT_F_DST)
				sum &= b[f]->summary | xd->summary;
			else
				sum &= b[f]->summary;
		}
	}
	hits = hits & FT_DYN_TIMED ? FT_RULE_NOCACHE : 0;

	/* Visit only words non-zero in every field bitmap, lowest first: the
	 * first non-zero AND holds the first matching rule. */
	for (i = 0; i < FT_BM_WORDS; i++) {
		__u64 acc = ~0ULL;
		__u32 w;

		if (!sum)
			break;
		/* mask: tell the verifier w indexes inside b[f]->w */
		w = ft_ctz64(sum) & (FT_BM_WORDS - 1);
		sum &= sum - 1;
#pragma unroll
		for (f = 0; f < FT_NFIELDS; f++) {
			if (f == FT_F_SRC)
				acc &= b[f]->w[w] | xs->w[w];
			else if (f == FT_F_DST)
				acc &= b[f]->w[w] | xd->w[w];
			else
				acc &= b[f]->w[w];
		}
		if (acc)
			return (w * 64 + ft_ctz64(acc)) | hits;
	}
	return FT_RULE_NONE | hits;
}

/* ---- the drop pre-filter (flowtag/maps.h, ft_policy_hdr.flags) ---- */

/* The first bitmap word of IPv4 address @addr (network order) in field
 * @x of the slot (ft_ipv4_bm() under the policy's @flags); 0 when a lookup
 * fails. From ft_bmw when @bms is NULL (FT_POL_F_WORD), else from the
 * slot's bitmaps @bms. */
static __always_inline __u64 ft_prefilter_word(void *outer4, void *bms, __u32 slot, __u32 x,
					       __u32 flags, __u32 addr)
{
	const struct ft_bitmap *b;
	__u32 bi = ft_ipv4_bm(outer4, slot, x, flags, addr);

	if (!bms)
		return ft_bm_word(slot, bi);
	b = bpf_map_lookup_elem(bms, &bi);	/* NULL for FT_DIR4_NONE too */
	return b ? b->w[0] : 0;
}

/*
 * ft_prefilter_rule() - the leading drop rules of the policy @h in @slot
 * that match on static prefixes alone, decided from the IPv4 addresses
 * @src and @dst (network byte order): the rule that ft_first_rule() would
 * return when it is one of them, else FT_RULE_NONE (no pre-filter, or none
 * of them matches; then no rule below PF_N does, and the caller goes on as
 * without it). The caller checks that the packet is IPv4.
 * Exact: rules 0..PF_N-1 accept every value of every other field, so bit
 * r of the src and dst words is whether rule r matches, and the lowest
 * such r is the first match. No hash, no flow cache: a flood of new
 * flows from a blocked prefix costs two table walks and never evicts an
 * established flow.
 *
 * Inline in XDP's pre-filter ahead of the parse (flowtag_xdp.bpf.c), the
 * path a flood takes; ft_decide() calls it through ft_prefilter().
 */
static __always_inline __u32 ft_prefilter_rule(__u32 src, __u32 dst,
					       const struct ft_policy_hdr *h, __u32 slot)
{
	__u32 n, flags;
	__u64 m;
	void *bms;

	flags = h->flags;
	n = (flags & FT_POL_PF_MASK) >> FT_POL_PF_SHIFT;
	if (!n)
		return FT_RULE_NONE;
	m = n >= FT_POL_PF_MAX ? ~0ULL : (1ULL << n) - 1;
	bms = NULL;	/* the one-word search's ft_bmw */
	if (!(flags & FT_POL_F_WORD)) {
		bms = bpf_map_lookup_elem(&ft_bm_o, &slot);
		if (!bms)
			return FT_RULE_NONE;
	}
	/* a field none of them constrains accepts them all: no lookup */
	if (flags & FT_POL_F_PF_SRC)
		m &= ft_prefilter_word(&ft_src4_o, bms, slot, 0, flags, src);
	if (m && (flags & FT_POL_F_PF_DST))
		m &= ft_prefilter_word(&ft_dst4_o, bms, slot, 1, flags, dst);
	if (!m)
		return FT_RULE_NONE;
	/* one block list, the usual case: no bit to search for */
	return n == 1 ? 0 : ft_ctz64(m);
}

/*
 * ft_prefilter() - ft_prefilter_rule() for ft_decide(), FT_RULE_NONE when
 * @h is NULL. Global, as ft_first_rule(): verified once, a frame of its
 * own off the call chain's deepest path.
 */
__attribute__((noinline)) __u32 ft_prefilter(__u32 src, __u32 dst, const struct ft_policy_hdr *h,
					     __u32 slot)
{
	return h ? ft_prefilter_rule(src, dst, h, slot) : FT_RULE_NONE;
}

/*
 * Fill in protocol, ports and TCP flags of a non-first fragment from its
 * first fragment, or remember the first fragment's. The key is (addresses,
 * id, family, frag_nh): every fragment of a datagram has the same, whatever
 * extension headers follow the IPv6 Fragment header in the first one.
 */
static __always_inline void ft_frag_track(struct ft_pkt *p)
{
	struct ft_frag_key fk = {};
	struct ft_frag_val *fv;

	__builtin_memcpy(fk.src, p->key.src, sizeof(fk.src));
	__builtin_memcpy(fk.dst, p->key.dst, sizeof(fk.dst));
	fk.id = p->frag_id;
	fk.family = p->key.family;
	fk.proto = p->frag_nh;

	if (p->frag == FT_FRAG_FIRST) {
		struct ft_frag_val nv = {
			.sport = p->key.sport,
			.dport = p->key.dport,
			.tcp_flags = p->key.tcp_flags,
			.l4 = p->key.l4,
			.proto = p->key.proto,
		};

		bpf_map_update_elem(&ft_frags, &fk, &nv, BPF_ANY);
		return;
	}
	fv = bpf_map_lookup_elem(&ft_frags, &fk);
	if (!fv) {
		/* reordered (or its first fragment was lost): classified with
		 * what this fragment holds; flowtagctl status shows the count */
		ft_count(FT_CNT_FRAG_MISS);
		return;
	}
	ft_count(FT_CNT_FRAG_HIT);
	p->key.proto = fv->proto;
	p->key.sport = fv->sport;
	p->key.dport = fv->dport;
	p->key.tcp_flags = fv->tcp_flags;
	p->key.l4 = fv->l4;
}

/* Seeded 64-bit hash of a flow key (ft_flow_hash_words() in flowtag/maps.h). */
static __always_inline __u64 ft_flow_hash(const struct ft_flow_key *k)
{
	return ft_flow_hash_words((const __u64 *)k, ft_flow_seed);
}

/* The hash of a compact key (ft_flow4_hash_words() in flowtag/maps.h). */
static __always_inline __u64 ft_flow4_hash(const struct ft_flow4_key *k)
{
	const __u64 *w = (const __u64 *)k;

	return ft_flow4_hash_words(w[0], w[1], ((const __u32 *)k)[4], ft_flow_seed);
}

/* Whether way @w holds the compact key @k (both 8-byte aligned), valid
 * under generation @gen, set epoch @epoch, with the check of hash bits
 * @check. */
static __always_inline int ft_flow4_match(const struct ft_flow4_way *w, const struct ft_flow4_key *k,
					  __u32 gen, __u16 epoch, __u16 check)
{
	const __u64 *x = (const __u64 *)&w->key, *y = (const __u64 *)k;

	return w->generation == gen && w->epoch == epoch && w->check == (__u16)(check ^ w->rule) &&
	       !((x[0] ^ y[0]) | (x[1] ^ y[1]) |
		 (((const __u32 *)x)[4] ^ ((const __u32 *)y)[4]));
}

/* The replacement score of compact way @w (higher: evicted first): empty
 * or stale, else on probation or idle, else established, each by age. */
static __always_inline __u32 ft_flow4_score(const struct ft_flow4_way *w, __u32 gen, __u16 epoch)
{
	__u32 state = w->state, age = state & FT_FLOW4_AGE;

	if (w->generation != gen || w->epoch != epoch)
		return 0x30000;
	if (!(state & FT_FLOW4_ESTABLISHED) || age > FT_FLOW4_IDLE)
		return 0x10000 + age;
	return age;
}

/*
 * ft_flow4_lookup() - the compact cache's entry for the key @k of hash
 * @hash in its page @pg, valid under generation @gen and set epoch @epoch
 * (low 16 bits): the first line, then the second. A hit marks its way
 * established and fresh (writing only when that changes something).
 * Returns the entry's rule id (FT_RULE_NONE: the default), or -1 on a miss.
 *
 * Global functions, this one and ft_flow4_insert(): the verifier checks
 * each once, and their stack frames stay off ft_decide()'s (the tc call
 * chain is near the 512-byte limit).
 */
__attribute__((noinline)) int ft_flow4_lookup(struct ft_flow4_page *pg, const struct ft_flow4_key *k,
					      __u64 hash, __u32 gen, __u32 epoch)
{
	__u32 line[2], w;
	int i;

	if (!pg || !k)
		return -1;
	ft_flow4_lines(hash, &line[0], &line[1]);
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct ft_flow4_line *l = &pg->line[line[i] & (FT_FLOW4_LINES - 1)];

#pragma unroll
		for (w = 0; w < FT_FLOW4_WAYS; w++) {
			struct ft_flow4_way *x = &l->way[w];

			if (!ft_flow4_match(x, k, gen, (__u16)epoch, (__u16)(hash >> 48)))
				continue;
			if (x->state != FT_FLOW4_ESTABLISHED)
				x->state = FT_FLOW4_ESTABLISHED;
			return x->rule;
		}
	}
	return -1;
}

/*
 * ft_flow4_insert() - store the key @k of hash @hash in its page @pg with
 * the rule of generation @gen, @epoch_rule: the set epoch (low 16 bits)
 * << 16 | the rule id (FT_RULE_NONE: the default); one argument, as a BPF
 * function takes five. The victim is the way ft_flow4_score() ranks
 * highest among the 4 of the two lines (the first line's first on a tie);
 * the other 3 age by one new flow. Returns 0, -1 when @pg or @k is NULL.
 */
__attribute__((noinline)) int ft_flow4_insert(struct ft_flow4_page *pg, const struct ft_flow4_key *k,
					      __u64 hash, __u32 gen, __u32 epoch_rule)
{
	__u32 line[2], w, victim = 0, best = 0, state;
	__u16 epoch = (__u16)(epoch_rule >> 16), rule = (__u16)epoch_rule;
	struct ft_flow4_way *x;
	int i;

	if (!pg || !k)
		return -1;
	ft_flow4_lines(hash, &line[0], &line[1]);
#pragma unroll
	for (i = 0; i < 2; i++) {
#pragma unroll
		for (w = 0; w < FT_FLOW4_WAYS; w++) {
			__u32 score = ft_flow4_score(
				&pg->line[line[i] & (FT_FLOW4_LINES - 1)].way[w], gen, epoch);

			if (score > best) {
				best = score;
				victim = i * FT_FLOW4_WAYS + w;
			}
		}
	}
	/* the others age: a way's age counts the new flows that came to
	 * its lines since its last use (saturating); counting only the new
	 * flows stored in its own line, a flood's old entries in one line
	 * look as young as a flow just stored in the other */
#pragma unroll
	for (i = 0; i < 2; i++) {
#pragma unroll
		for (w = 0; w < FT_FLOW4_WAYS; w++) {
			if (victim == i * FT_FLOW4_WAYS + w)
				continue;
			x = &pg->line[line[i] & (FT_FLOW4_LINES - 1)].way[w];
			state = x->state;
			if ((state & FT_FLOW4_AGE) != FT_FLOW4_AGE)
				x->state = (__u16)(state + 1);
		}
	}
	x = &pg->line[(victim >> 1 ? line[1] : line[0]) & (FT_FLOW4_LINES - 1)].way[victim & 1];
	x->generation = 0;
	x->key = *k;
	x->rule = rule;
	x->check = (__u16)(hash >> 48) ^ rule;
	x->epoch = epoch;
	x->state = 0;
	x->generation = gen;
	return 0;
}

/* Whether two flow keys are equal, all 48 bytes (both 8-byte aligned). */
static __always_inline int ft_flow_key_eq(const struct ft_flow_key *a, const struct ft_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

/* The verdict of @rule (FT_RULE_NONE: the default) in the policy @h of @slot. */
static __always_inline int ft_rule_verdict(const struct ft_policy_hdr *h, __u32 slot, __u32 rule,
					   struct ft_verdict *out)
{
	if (rule < FT_MAX_RULES) {
		__u32 ri = slot * FT_MAX_RULES + rule;
		struct ft_verdict *v = bpf_map_lookup_elem(&ft_rules, &ri);

		if (!v)
			return -1;
		*out = *v;
	} else {
		*out = h->default_verdict;
	}
	return 0;
}

/*
 * ft_decide() - verdict for a parsed packet under the active policy.
 * @p:      parsed packet (ft_parse() output, key.ifindex filled in)
 * @out:    the verdict
 * @h:      the active policy's header and @slot, its slot, as
 *          ft_active_policy() gave them to the caller: one read of the
 *          policy state per packet, and the caller counts the verdict in
 *          the slot it came from
 * @how:    the ft_parse() result (enum ft_parse_result) in the low byte,
 *          FT_DECIDE_F_* above it: FT_DECIDE_F_PROBE for a probe frame
 *          (flowtag/meta.h): decide by the rules alone, write nothing (no
 *          counter, no flow-cache or fragment entry); FT_DECIDE_F_PF_DONE
 *          when the caller ran the drop pre-filter on this packet's
 *          addresses and it matched no rule (ft_xdp_prefilter()). One
 *          argument for both: a BPF function takes five.
 * Returns FT_DECIDE_HIT (flow cache hit), FT_DECIDE_MISS (the classifier
 * ran), FT_DECIDE_PREFILTER (the drop pre-filter decided, the flow cache
 * untouched) or FT_DECIDE_UNCACHED (the classifier ran under a policy
 * without a flow cache, FT_POL_F_NOCACHE), or -1 on a NULL argument or a
 * failed lookup. The caller counts it (ft_decide_counter()) with the
 * counters it already holds: one lookup less per packet.
 *
 * A global function on purpose: the verifier checks it once with unknown
 * arguments instead of once per parse path (the inlined version exceeds the
 * verifier's one-million-instruction budget).
 */
#define FT_DECIDE_RES_MASK	0xff
#define FT_DECIDE_F_PROBE	0x100
#define FT_DECIDE_F_PF_DONE	0x200

#define FT_DECIDE_HIT		0
#define FT_DECIDE_MISS		1
#define FT_DECIDE_PREFILTER	2
#define FT_DECIDE_UNCACHED	3

/* The health counter of ft_decide()'s answer @res (>= 0). */
static __always_inline __u32 ft_decide_counter(int res)
{
	return res == FT_DECIDE_HIT ? FT_CNT_CACHE_HIT :
	       res == FT_DECIDE_MISS ? FT_CNT_CACHE_MISS :
	       res == FT_DECIDE_PREFILTER ? FT_CNT_PREFILTER : FT_CNT_UNCACHED;
}

__attribute__((noinline)) int ft_decide(struct ft_pkt *p, struct ft_verdict *out,
					const struct ft_policy_hdr *h, __u32 slot, __u32 how)
{
	/* the flow's cache key, wide (ft_flow_cache) or compact (ft_flow4):
	 * one stack slot for either, 8-byte aligned for the hash and the compare */
	union {
		struct ft_flow_key wide;
		struct ft_flow4_key compact;
	} key __attribute__((aligned(8)));
	int res = how & FT_DECIDE_RES_MASK;
	struct ft_flow_bucket *b = NULL;
	struct ft_flow4_page *pg = NULL;
	__u32 rule, used, gen = 0, bi, check = 0, w, victim = 0, best = 0, nocache, hits;
	__u16 tick = 0, epoch = 0;
	__u64 hash = 0;

	if (!p || !out || !h)
		return -1;

	/* A probe asks what the rules say; a cached verdict of this
	 * generation is the same by construction (same key, same rules). It
	 * skips the counters, the fragment table and the flow cache (b and
	 * pg stay NULL), and shares the classification below: one call
	 * chain, one stack depth. */
	if (how & FT_DECIDE_F_PROBE)
		goto classify;

	/*
	 * Malformed or truncated: the key holds exactly the fields that were
	 * read (parse.h), the others are absent, so the rules that need only
	 * what was read still apply (a drop rule on the source address, say)
	 * and no rule matches on a field that could not be read.
	 */
	if (res == FT_PARSE_BAD)
		ft_count(FT_CNT_PARSE_ERR);
	/* non-IP: the key holds only ifindex and vlan, one "flow" per VLAN */
	if (res == FT_PARSE_NON_IP)
		ft_count(FT_CNT_NON_IP);
	/* a truncated first fragment teaches its followers nothing */
	if (p->frag == FT_FRAG_LATER || (p->frag == FT_FRAG_FIRST && res == FT_PARSE_OK))
		ft_frag_track(p);
	/* The drop pre-filter: no flow cache entry (a flood would churn the
	 * cache). After the fragment table, which only fragments pay: a
	 * first fragment it drops still teaches its followers their ports,
	 * should a reload come between them, and the key stays the one the
	 * rest of the path would have used. */
	if ((h->flags & FT_POL_PF_MASK) && p->key.family == FT_FAM_IPV4 &&
	    !(how & FT_DECIDE_F_PF_DONE)) {
		/* tested here: a policy without one pays no call */
		rule = ft_prefilter(p->key.src[0], p->key.dst[0], h, slot);
		if (rule < FT_MAX_RULES)
			return ft_rule_verdict(h, slot, rule, out) ? -1 : FT_DECIDE_PREFILTER;
	}

	/* A policy whose classifier costs less than a flow cache miss (two
	 * cache lines of a 1 MiB table, cold for a new flow, and a write)
	 * goes without: b and pg stay NULL, nothing is inserted. */
	if (h->flags & FT_POL_F_NOCACHE)
		goto classify;

	/*
	 * The flow cache. Safe without locks or sequence numbers: the bucket
	 * (or page) is this CPU's, and its writers, ft_xdp and ft_tc_ingress,
	 * run in softirq context (NAPI, netif_receive_skb) with bottom halves
	 * off, so they never interleave on one CPU. Should a writer ever be
	 * interrupted by another in the same way (a test run preempted by a
	 * softirq), the mixed entry has a key no flow hashes to with its
	 * check, or a key of no flow: the full key compare and the check make
	 * sure a packet never gets another flow's rule.
	 */
	used = h->used_fields;
	gen = h->generation;
	/*
	 * The set epoch, read BEFORE the set lookups of ft_first_rule(), and
	 * stored with the entry. flowtagctl changes a set in this order:
	 * (1) update the trie, (2) wait for an RCU grace period, (3) increment
	 * ft_set_epoch. The race "this packet reads the epoch, the set
	 * changes, this packet stores its entry":
	 *  - read before (3): the entry carries the old epoch, so it is a
	 *    miss for every packet that reads the new one (after (3)); a
	 *    stale entry lives at most until flowtagctl returns.
	 *  - read after (3): this program runs inside an RCU read section
	 *    that had not started when the grace period (2) began (else (2)
	 *    would have waited for it, and (3) came after), so it sees the
	 *    trie as (1) left it: the entry is right.
	 * The epoch is compared in its low 16 bits; flowtagctl clears the
	 * flow caches every 2^15 changes, so an old entry is gone before the
	 * same 16 bits come round again. Without dynamic sets in the policy the epoch is 0.
	 */
	if (h->flags & FT_POL_F_DYNSETS) {
		__u32 zero = 0, *ep = bpf_map_lookup_elem(&ft_set_epoch, &zero);

		epoch = ep ? (__u16)*ep : 0;
	}

	/*
	 * Key only what some rule can match on among the fields that change
	 * from packet to packet within a flow: without a rule on TCP flags or
	 * DSCP, a SYN, the ACKs and a FIN of one connection (or a DSCP change)
	 * are one cache entry, not several. Branch-free: no verifier states.
	 */
	if (ft_flow4_fits(&p->key)) {
		/* IPv4 and non-IP: the compact cache, one line per hit */
		ft_flow4_key_of(&p->key, &key.compact);
		key.compact.tcp_flags &= (__u8)-(__s32)((used >> FT_F_TCPFL) & 1);
		key.compact.dscp &= (__u8)-(__s32)((used >> FT_F_DSCP) & 1);
		hash = ft_flow4_hash(&key.compact);
		bi = bpf_get_smp_processor_id() * (ft_flow4_mask + 1) + ((__u32)hash & ft_flow4_mask);
		pg = bpf_map_lookup_elem(&ft_flow4, &bi);
		if (pg) {
			int r = ft_flow4_lookup(pg, &key.compact, hash, gen, epoch);

			if (r >= 0)
				return ft_rule_verdict(h, slot, (__u32)r, out) ? -1 : FT_DECIDE_HIT;
		}
		goto classify;
	}

	/* IPv6 (or an ifindex beyond 16 bits): the wide cache. A stack copy
	 * of the key with the fields above cleared. */
	__builtin_memcpy(&key.wide, &p->key, sizeof(key.wide));
	key.wide.tcp_flags &= (__u8)-(__s32)((used >> FT_F_TCPFL) & 1);
	key.wide.dscp &= (__u8)-(__s32)((used >> FT_F_DSCP) & 1);
	hash = ft_flow_hash(&key.wide);
	bi = (__u32)hash & ft_flow_mask;
	check = (__u32)(hash >> 32);
	b = bpf_map_lookup_elem(&ft_flow_cache, &bi);
	if (b) {
		/* the tick counts insertions: a hit writes nothing when its
		 * way is already established and fresh (no dirty line) */
		tick = (__u16)b->tick;
#pragma unroll
		for (w = 0; w < FT_FLOW_WAYS; w++) {
			/* the key's words are read from key.wide in every
			 * way, not held in spill slots: the call chain's
			 * stack is at its 512 bytes */
			asm volatile("" ::: "memory");
			if (b->generation[w] == gen && b->epoch[w] == epoch &&
			    b->check[w] == (check ^ b->rule[w]) &&
			    ft_flow_key_eq(&b->key[w], &key.wide)) {
				if (b->stamp[w] != tick)
					b->stamp[w] = tick;
				if (!b->established[w])
					b->established[w] = 1;
				return ft_rule_verdict(h, slot, b->rule[w], out) ? -1 :
										  FT_DECIDE_HIT;
			}
		}
	}

classify:
	/* from the bitmaps' heads (FT_POL_F_HEADS): a call of its own from
	 * here, where the call chain has stack left */
	rule = FT_RULE_FULL;
	if ((h->flags & (FT_POL_F_HEADS | FT_POL_F_DYNSETS)) == FT_POL_F_HEADS)
		rule = ft_first_rule_heads(&p->key, h, slot);
	if (rule == FT_RULE_FULL) {
		hits = 0;
		if ((h->flags & FT_POL_F_DYNSETS) && p->key.family != FT_FAM_NONE)
			hits = ft_dynset_hits(&p->key, slot, !(how & FT_DECIDE_F_PROBE));
		rule = ft_first_rule(&p->key, h, slot, hits);
	}
	nocache = rule & FT_RULE_NOCACHE;
	rule &= ~FT_RULE_NOCACHE;
	if (rule >= FT_MAX_RULES)
		rule = FT_RULE_NONE;
	if (ft_rule_verdict(h, slot, rule, out))
		return -1;
	if (h->flags & FT_POL_F_NOCACHE)
		return FT_DECIDE_UNCACHED;
	if (nocache)
		return FT_DECIDE_MISS;
	if (pg) {
		ft_flow4_insert(pg, &key.compact, hash, gen, (__u32)epoch << 16 | rule);
		return FT_DECIDE_MISS;
	}
	if (!b)
		return FT_DECIDE_MISS;
	/* The victim: an empty or stale way, else the least recently used
	 * of the ways on probation (or idle too long), else the least
	 * recently used. From the header alone. */
#pragma unroll
	for (w = 0; w < FT_FLOW_WAYS; w++) {
		__u32 age = (__u16)(tick - b->stamp[w]), score;

		if (b->generation[w] != gen || b->epoch[w] != epoch)
			score = 0x30000;
		else if (!b->established[w] || age > FT_FLOW_IDLE)
			score = 0x10000 + age;
		else
			score = age;
		if (score > best) {
			best = score;
			victim = w;
		}
	}
	w = victim & (FT_FLOW_WAYS - 1);
	tick = (__u16)++b->tick;
	b->generation[w] = 0;
	b->key[w] = key.wide;
	b->rule[w] = (__u16)rule;
	b->check[w] = check ^ (__u16)rule;
	b->stamp[w] = tick;
	b->established[w] = 0;
	b->epoch[w] = epoch;
	b->generation[w] = gen;
	return FT_DECIDE_MISS;
}

/*
 * ft_count_verdict() - the one counter of a verdict that took effect: its
 * rule's in ft_rule_cnt, or, for the policy's default (no rule matched),
 * its class's in ft_class_cnt. A class's total is its ft_class_cnt entry
 * plus the counters of the rules that give it, summed by the readers
 * (ft_pinned_class_counts(), daemon/pinned.c; flowtag/maps.h): one
 * per-CPU line written per packet instead of two, 3-5 ns less per
 * classified packet in L0 (bench/README.md). The caller decides: XDP
 * counts what it dropped or tagged, tc what its fallback classified, so
 * no packet is counted twice.
 */
static __always_inline void ft_count_verdict(__u32 slot, const struct ft_verdict *v, __u64 bytes)
{
	if (v->meta.rule_id < FT_MAX_RULES)
		ft_count_pkt(&ft_rule_cnt, slot * FT_MAX_RULES + v->meta.rule_id, bytes);
	else if (v->meta.class_id < FT_MAX_CLASSES)
		ft_count_pkt(&ft_class_cnt, slot * FT_MAX_CLASSES + v->meta.class_id, bytes);
}

/* FT_L2_* of the receiving interface: Ethernet unless flowtagd said otherwise. */
static __always_inline __u32 ft_link_l2(__u32 ifindex)
{
	struct ft_link *l = bpf_map_lookup_elem(&ft_links, &ifindex);

	return l ? l->l2 : FT_L2_ETH;
}

/* FT_L2_* of @ifindex: from its ft_devs entry @d (ft_dev_get()), else ft_links. */
static __always_inline __u32 ft_dev_l2(const struct ft_dev *d, __u32 ifindex)
{
	return d ? d->l2 : ft_link_l2(ifindex);
}

/*
 * ft_uncount_meta() - take back the count XDP made for the verdict in @m
 * (ft_count_verdict(): its rule's, or its default class's), when tc
 * replaces that verdict (VLAN offload). The
 * counters are per CPU: one CPU's value may wrap below zero if tc runs on
 * another CPU than XDP did, the sum over the CPUs is right.
 */
static __always_inline void ft_uncount_meta(__u32 slot, __u16 rule_id, __u16 class_id,
					    __u64 bytes)
{
	struct ft_pktcnt *c;
	__u32 idx;

	if (rule_id < FT_MAX_RULES) {
		idx = slot * FT_MAX_RULES + rule_id;
		c = bpf_map_lookup_elem(&ft_rule_cnt, &idx);
		if (c) {
			c->packets--;
			c->bytes -= bytes;
		}
	} else if (class_id < FT_MAX_CLASSES) {
		idx = slot * FT_MAX_CLASSES + class_id;
		c = bpf_map_lookup_elem(&ft_class_cnt, &idx);
		if (c) {
			c->packets--;
			c->bytes -= bytes;
		}
	}
}

/*
 * ft_classify() - verdict for @ctx's packet, [ctx->data, ctx->data_end).
 * @ifindex: receiving interface
 * @l2:      FT_L2_* of the receiving interface (ft_dev_l2())
 * @l3proto: FT_L2_NONE: the protocol the kernel knows (tc: skb->protocol),
 *           0 to read it from the IP version nibble
 * @vlan:    outer VLAN id already stripped by the kernel, or FT_VLAN_NONE
 * @p:       out, the parsed packet (p->key.vlan: the VLAN id used)
 * @out:     the verdict
 * @h:       the active policy's header and @slot its slot (ft_active_policy())
 * @how:     FT_DECIDE_F_* (ft_decide())
 * Returns FT_DECIDE_HIT, FT_DECIDE_MISS, FT_DECIDE_PREFILTER or
 * FT_DECIDE_UNCACHED (ft_decide()), or -1 on a failed lookup (the caller
 * passes the packet untouched).
 */
static __always_inline int ft_classify(FT_PARSE_CTX *ctx, __u32 ifindex, __u32 l2,
				       __be16 l3proto, __u16 vlan, struct ft_pkt *p,
				       struct ft_verdict *out, const struct ft_policy_hdr *h,
				       __u32 slot, __u32 how)
{
	int res;

	__builtin_memset(p, 0, sizeof(*p));
	p->key.ifindex = ifindex;
	res = ft_parse(ctx, l2, l3proto, vlan, p);
	return ft_decide(p, out, h, slot, how | ((__u32)res & FT_DECIDE_RES_MASK));
}

#endif /* FLOWTAG_CLASSIFY_H */
