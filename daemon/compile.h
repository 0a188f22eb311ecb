/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * struct ft_policy -> the exact contents of the policy maps (flowtag/maps.h).
 * Pure: no kernel calls, no I/O. The loader writes the result into the
 * inactive slot; tests compare it against the reference evaluator.
 */
#ifndef FLOWTAG_COMPILE_H
#define FLOWTAG_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "flowtag/dir4.h"
#include "flowtag/pfx4.h"
#include "flowtag/maps.h"
#include "policy.h"

/* Upper bound on distinct rule bitmaps (520 bytes each in the kernel). */
#define FT_MAX_BITMAPS	(1u << 18)

_Static_assert(FT_MAX_BITMAPS <= FT_DIR4_CHUNK, "bitmap indexes stay clear of the chunk flag");

struct ft_lpm4_ent {
	struct ft_lpm4 key;
	uint32_t bm;			/* bitmap index */
};

struct ft_lpm6_ent {
	struct ft_lpm6 key;
	uint32_t bm;
};

/*
 * An IPv4 prefix table (flowtag/dir4.h): nblocks * FT_DIR4_STRIDE __u32,
 * host memory order, the top level first; the kernel's array holds the
 * same words as nblocks elements.
 */
struct ft_dir4_table {
	__u32 *e;			/* the blocks' words */
	uint32_t nblocks;		/* blocks, the top level's 256 included */
	uint32_t nchunks;		/* chunks packed into them (a statistic) */
};

/*
 * An IPv4 prefix hash (flowtag/pfx4.h): the descriptor and nbuckets
 * buckets, what ft_pfx4d and the field's part of ft_pfx4 get.
 */
struct ft_pfx4_table {
	struct ft_pfx4_desc d;
	struct ft_pfx4_bucket *b;
	uint32_t nbuckets;
};

struct ft_iif_ent {
	uint32_t ifindex;
	uint32_t bm;
};

struct ft_mark_ent {
	uint32_t mark;			/* class mark & mark_mask */
	struct ft_mark_val val;
};

/* A dynamic set the compiled policy names (ft_dynpol order). */
struct ft_compiled_dynset {
	const struct ft_prefix_set *set;	/* in the policy compiled (borrowed) */
	uint8_t fields;				/* FT_SET_E_SRC | FT_SET_E_DST */
};

/* Why a compiled policy has a flow cache or not (ft_flow_cache_choose()). */
enum ft_flow_cache_reason {
	FT_FC_SET_ON,			/* flow_cache = "on" */
	FT_FC_SET_OFF,			/* flow_cache = "off" */
	FT_FC_AUTO_DYNSETS,		/* "auto": the rules name dynamic sets */
	FT_FC_AUTO_IPV6,		/* "auto": the rules match IPv6 prefixes */
	FT_FC_AUTO_WORDS,		/* "auto": the search can visit more than FT_FLOW_CACHE_AUTO_WORDS words */
	FT_FC_AUTO_BOUNDED,		/* "auto": none of these: a short search, no cache */
};

/*
 * Under flow_cache = "auto", a policy whose bit-vector search can visit
 * more than this many bitmap words (ft_search_words()) keeps a flow cache:
 * each visited word costs a read per field. Measured (bpftool prog run of
 * ft_xdp, 2-core Xeon VM) on policies whose packet falls through words
 * that every field allows: 64 words (4096 rules) 450-500 ns, 16 words
 * (1000 rules) about 200, 2 words 130-160, one word 67; a cache hit
 * 55-60 ns, and a new flow's cache miss adds some 100-150 ns to its
 * search. Around 8 words the worst search costs what a miss adds.
 */
#define FT_FLOW_CACHE_AUTO_WORDS	8

struct ft_compiled {
	struct ft_policy_hdr hdr;	/* generation is 0: the loader assigns it */
	struct ft_verdict *rules;	/* nrules verdicts, rule_id filled in */
	struct ft_rule_info *rule_info;	/* nrules */
	struct ft_rule_name *rule_name;	/* nrules */
	struct ft_rule_file *rule_file;	/* nrules: index into srcfiles */
	struct ft_srcfile *srcfiles;	/* [0] the policy, then files holding rules */
	size_t nsrcfiles;
	size_t nrules;
	struct ft_class_info *classes;	/* nclasses */
	size_t nclasses;
	uint32_t *scalar;		/* FT_SC_SIZE bitmap indices */
	struct ft_bitmap *bitmaps;	/* the shared bitmap table */
	size_t nbitmaps;
	struct ft_lpm4_ent *src4, *dst4;	/* IPv4 prefixes: what the tables are built */
	size_t nsrc4, ndst4;			/* from (and the shadow analysis reads) */
	struct ft_dir4_table src4_table, dst4_table; /* ... what the kernel gets */
	/* ... and their prefix hashes, for fields of at most FT_PFX4_LENS
	 * lengths besides /0 (hdr.flags FT_POL_F_PFX4_SRC / _DST) */
	struct ft_pfx4_table src4_pfx, dst4_pfx;
	struct ft_lpm6_ent *src6, *dst6;
	size_t nsrc6, ndst6;
	struct ft_iif_ent *iif;
	size_t niif;
	struct ft_mark_ent *marks;
	size_t nmarks;
	const struct ft_prefix_set *sets; /* the policy's prefix sets (borrowed): what */
	size_t nsets;			/* flowtagd makes of the dynamic ones */
	struct ft_compiled_dynset dyn[FT_MAX_DYNSETS];	/* hdr.flags & FT_POL_F_DYNSETS */
	size_t ndyn;
	uint32_t *dynor;		/* FT_DYNOR_PER_SLOT bitmap indices (slot 0 layout) */
	/* ft_compile() returned -EFBIG: the IPv4 table that would not fit,
	 * "src" or "dst", and its distinct prefixes longer than /0 (ft_compiled_free() of
	 * the failed compile leaves both, for ft_compile_error()) */
	const char *too_big;
	size_t too_big_prefixes;
	/* the flow cache: on or off (hdr.flags & FT_POL_F_NOCACHE), and why
	 * (ft_flow_cache_choose()) */
	enum ft_flow_cache_reason flow_cache_reason;
};

/**
 * ft_compile() - compile a validated policy.
 * @pol: the policy (must outlive @out: dynamic sets are borrowed); rule iif_index values must be resolved (0 = interface
 *       absent, such a name never matches)
 * @out: written whole (zeroed first, whatever it held: nothing of it is
 *       freed); free with ft_compiled_free(), also after a failure
 * Returns 0, -E2BIG when the policy exceeds FT_MAX_RULES, FT_MAX_CLASSES,
 * FT_MAX_IFACES or FT_MAX_BITMAPS, -EFBIG when an IPv4 prefix table would
 * need more than FT_DIR4_MAX_BLOCKS blocks (FT_DIR4_TOO_BIG), -ENOMEM.
 */
int ft_compile(const struct ft_policy *pol, struct ft_compiled *out);

/**
 * ft_compile_error() - why ft_compile() refused the valid policy @pol
 * (@err, its return value; @c, its output), as one "FILE: error: ..."
 * diagnostic line into @buf (@len bytes, always terminated). -EFBIG names
 * the table (src or dst), its distinct IPv4 prefixes and the static prefix
 * set giving it the most, with the line that defines the set; -E2BIG the
 * limit exceeded and by how much.
 */
void ft_compile_error(const struct ft_policy *pol, const struct ft_compiled *c, int err,
		      char *buf, size_t len);

/* Why ft_compile() returned -EFBIG: the end of the sentence
 * ft_compile_error() begins with which table and its largest set. */
#define FT_DIR4_TOO_BIG								\
	"need a lookup table with more than 128 MiB "	\
	"of chunks (what its 24-bit chunk offsets address): every /16 holding a "	\
	"prefix longer than /16 takes a chunk, every /24 holding one longer than "	\
	"/24 another, of 40 bytes (2 distinct bitmaps in it) to 1 KiB (over 192); "	\
	"a /16 of 128 such /24s or more 16 KiB"
_Static_assert(FT_DIR4_MAX_BLOCKS - FT_DIR4_TOP_BLOCKS == 128 * 1024,
	       "FT_DIR4_TOO_BIG names the limit");

/**
 * ft_dir4_build() - the compressed DIR-16-8-8 table (flowtag/dir4.h) of @n IPv4
 * prefixes @ents: for every address, the bitmap index of the longest entry
 * that holds it (the compiler always has a /0; addresses no entry holds
 * get FT_DIR4_EMPTY). Entries must be distinct prefixes; host bits of
 * key.addr (network byte order) are ignored.
 * @out: filled on success; free out->e with free()
 * Returns 0, -E2BIG when a bitmap index reaches FT_DIR4_CHUNK, -EFBIG when
 * the table would need more than FT_DIR4_MAX_BLOCKS blocks, -ENOMEM.
 */
int ft_dir4_build(const struct ft_lpm4_ent *ents, size_t n, struct ft_dir4_table *out);

/**
 * ft_pfx4_build() - the IPv4 prefix hash (flowtag/pfx4.h) of @n IPv4
 * prefix entries @ents (distinct prefixes, host bits clear, as for
 * ft_dir4_build()): one table per length besides /0, the /0's bitmap index
 * (FT_DIR4_EMPTY without one) for an address no table holds.
 * Returns 0, -E2BIG when the prefixes have more than FT_PFX4_LENS lengths
 * besides /0 or need more than FT_PFX4_BUCKETS buckets (then the field is
 * searched in its DIR-16-8-8 table alone), -ENOMEM.
 */
int ft_pfx4_build(const struct ft_lpm4_ent *ents, size_t n, struct ft_pfx4_table *out);

/**
 * ft_pfx4_lookup() - the bitmap index of IPv4 address @addr (host byte
 * order) in @t (FT_PFX4_DEFINE_LOOKUP, the data path's lookup): for the
 * prefixes @t was built from, the entry ft_dir4_lookup() gives.
 */
uint32_t ft_pfx4_lookup(const struct ft_pfx4_table *t, uint32_t addr);

/* Field @x's (0 src, 1 dst) prefix hash in @c; NULL when the data path
 * reads the field from its table (no FT_POL_F_PFX4(x)). */
static inline const struct ft_pfx4_table *ft_pfx4_of(const struct ft_compiled *c, unsigned int x)
{
	if (!(c->hdr.flags & FT_POL_F_PFX4(x)))
		return NULL;
	return x ? &c->dst4_pfx : &c->src4_pfx;
}

/* Bytes of @t the kernel gets: its descriptor and buckets. */
static inline uint64_t ft_pfx4_bytes(const struct ft_pfx4_table *t)
{
	return sizeof(t->d) + (uint64_t)t->nbuckets * sizeof(struct ft_pfx4_bucket);
}

/**
 * ft_dir4_lookup() - the entry of IPv4 address @addr (host byte order) in
 * @t: a bitmap index, FT_DIR4_EMPTY or FT_DIR4_NONE (FT_DIR4_DEFINE_LOOKUP,
 * the walk the data path does).
 */
uint32_t ft_dir4_lookup(const struct ft_dir4_table *t, uint32_t addr);

/* Bytes of table @t in the kernel (its array's elements). */
static inline uint64_t ft_dir4_bytes(const struct ft_dir4_table *t)
{
	return (uint64_t)t->nblocks * sizeof(struct ft_dir4_block);
}

void ft_compiled_free(struct ft_compiled *c);

/**
 * ft_bm_head_of() - the head of bitmap @i of @c (struct ft_bm_head,
 * flowtag/maps.h): what ft_policy_swap() writes into ft_bmh for a policy
 * with FT_POL_F_HEADS. Its summary; and the bitmap's one non-zero word
 * (0 if none), FT_BM_HEAD_ALL for the all-rules bitmap (hdr.all_bm) of
 * more than one word, or the index @i for another bitmap of more than
 * one. All zero for an index past the bitmaps.
 */
struct ft_bm_head ft_bm_head_of(const struct ft_compiled *c, size_t i);

/**
 * ft_search_bytes() - bytes of tables the bit-vector search of @c can read
 * for one packet: its rule bitmaps (hdr.nwords words each, and the
 * summary word; one word each under FT_POL_F_WORD, in ft_bmw; under
 * FT_POL_F_HEADS a 16-byte head each, in ft_bmh, and the bitmaps of more
 * than one non-zero word but the all-rules one, which that search never
 * reads) and, for the IPv4 fields the rules match on, each one's prefix
 * hash (FT_POL_F_PFX4_*) or else its prefix table (the IPv6 and
 * dynamic sets' LPM tries not included). A measure of the search's
 * memory, for ft_flow_cache_describe().
 */
uint64_t ft_search_bytes(const struct ft_compiled *c);

/**
 * ft_search_words() - an upper bound on the bitmap words the search of @c
 * visits for one packet: it visits a word only when the word's bit is set
 * in the summary of every field's bitmap, so at most, over the fields the
 * rules use, the fewest that field's worst bitmap (any value, or the
 * field absent) has non-zero. 1 for a one-word policy or one without
 * fields; the rules' own shape decides it, not their number: 4096 rules
 * each with its own port visit one word, 4096 sharing two ports and two
 * prefixes up to 64. Dynamic sets' bitmaps (ORed in) are not counted.
 */
unsigned int ft_search_words(const struct ft_compiled *c);

/**
 * ft_flow_cache_choose() - whether the programs keep a flow cache for the
 * compiled policy @c of @pol: flow_cache = "on" / "off" as set; "auto":
 * on when the rules name dynamic sets or IPv6 prefixes (LPM trie walks,
 * 100 ns and more each, growing with the set) or the search can visit
 * more than FT_FLOW_CACHE_AUTO_WORDS bitmap words (ft_search_words()),
 * else off: then the search is short (a few array reads per field, at
 * most three per IPv4 prefix field, at most that many words) and costs
 * less than a new flow's cache miss (two cold lines of a 1 MiB table and
 * a write), whatever the number of rules and static prefixes. make bench
 * on a 2-core Xeon VM (two runs, 2026-12-01), 4096 rules each with its
 * own port (one word), the stack path (L1), ns per packet: every packet
 * a new flow, 313 with the cache against 193-205 without; an established
 * flow 138 against 173-178. XDP alone, a new flow under a 10^5-prefix
 * set: 241 against 136-138. So "auto" makes a new flow cost what an
 * established one does where the search allows it; "on" buys cheaper
 * established flows with dearer new ones.
 * Sets or clears FT_POL_F_NOCACHE in c->hdr.flags and fills
 * c->flow_cache_reason. ft_compile() calls it.
 */
void ft_flow_cache_choose(const struct ft_policy *pol, struct ft_compiled *c);

/**
 * ft_flow_cache_describe() - "on" or "off" and why, for the logs and
 * flowtagctl check: e.g. "off (flow_cache \"auto\": no dynamic set or
 * IPv6 prefix, the search visits at most 1 bitmap word: 256.0 KiB of
 * tables)"; sizes below 1 MiB in KiB, below 1 KiB in bytes. Writes at
 * most @len bytes (NUL included) into @buf. Returns @buf.
 */
const char *ft_flow_cache_describe(const struct ft_compiled *c, char *buf, size_t len);

/**
 * ft_prefix4_describe() - how the data path reads @c's IPv4 src and dst
 * prefixes, into @buf (@len bytes, always terminated): each field "no
 * static IPv4 prefix" (no rule names one there; "(dynamic sets: their
 * tries)" when a dynamic set is looked up there), "hashed (N lengths besides /0, M
 * buckets)" (its prefix hash, flowtag/pfx4.h) or "in its table (...)"
 * (its DIR-16-8-8 table: more than FT_PFX4_LENS lengths, or more prefixes
 * than FT_PFX4_BUCKETS buckets hold). Returns @buf.
 */
const char *ft_prefix4_describe(const struct ft_compiled *c, char *buf, size_t len);

/**
 * ft_search_describe() - ft_search_name() of @c and why, for flowtagctl
 * check: e.g. "one-word (at most 64 rules, no dynamic set, at most 16384
 * distinct bitmaps: one word per field)" or "bitmap (65 rules, more than
 * 64: 2 words per bitmap; 67 of 67 bitmaps read from their 16-byte heads
 * alone)". Writes at most @len bytes (NUL included) into @buf. Returns
 * @buf.
 */
const char *ft_search_describe(const struct ft_compiled *c, char *buf, size_t len);

/**
 * ft_search_name() - which rule search the data path runs for a policy
 * header's flags (struct ft_policy_hdr.flags, flowtag/maps.h):
 * "one-word" under FT_POL_F_WORD (at most 64 rules, no dynamic set, at
 * most FT_BMW_MAX distinct bitmaps: one word per field from ft_bmw),
 * else "bitmap" (the summary word, then the words it names: from each
 * bitmap's head in ft_bmh under FT_POL_F_HEADS, and from each field's
 * inner bitmap map for a bitmap of more than one word). For flowtagctl
 * check and status, and the JSON key "search". Never NULL.
 */
static inline const char *ft_search_name(__u32 hdr_flags)
{
	return hdr_flags & FT_POL_F_WORD ? "one-word" : "bitmap";
}

/**
 * ft_compiled_dyn_hits() - which dynamic sets of @c hold the source (bit j)
 * and destination (bit FT_MAX_DYNSETS + j) address of @k, taking each
 * set's prefixes in the policy (set->pfx) as its content: what
 * ft_dynset_hits() in xdp/dynset.h computes from the live tries.
 */
uint32_t ft_compiled_dyn_hits(const struct ft_compiled *c, const struct ft_flow_key *k);

/**
 * ft_compiled_prefilter_rules() - how many leading rules of @c the drop
 * pre-filter decides (flowtag/maps.h, ft_policy_hdr.flags), 0 to 64.
 */
unsigned int ft_compiled_prefilter_rules(const struct ft_compiled *c);

/**
 * ft_compiled_match() - what the BPF classifier (ft_first_rule() in
 * xdp/classify.h, behind the drop pre-filter of ft_decide()) computes for
 * @k, done in userspace from the compiled tables (the same pre-filter and
 * bit-vector search); it must agree with the reference,
 * ft_reference_match().
 * Returns the rule index or FT_RULE_NONE.
 */
uint32_t ft_compiled_match(const struct ft_compiled *c, const struct ft_flow_key *k);

/**
 * ft_compiled_verdict() - the verdict for @k: the matched rule's, or the
 * default.
 */
const struct ft_verdict *ft_compiled_verdict(const struct ft_compiled *c,
					     const struct ft_flow_key *k);

#endif /* FLOWTAG_COMPILE_H */
