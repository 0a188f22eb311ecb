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

#include "flowtag/maps.h"
#include "policy.h"

/* Upper bound on distinct rule bitmaps (520 bytes each in the kernel). */
#define FT_MAX_BITMAPS	(1u << 18)

struct ft_lpm4_ent {
	struct ft_lpm4 key;
	uint32_t bm;			/* bitmap index */
};

struct ft_lpm6_ent {
	struct ft_lpm6 key;
	uint32_t bm;
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

struct ft_compiled {
	struct ft_policy_hdr hdr;	/* generation is 0: the loader assigns it */
	struct ft_verdict *rules;	/* nrules verdicts, rule_id filled in */
	struct ft_rule_info *rule_info;	/* nrules */
	struct ft_rule_name *rule_name;	/* nrules */
	size_t nrules;
	struct ft_class_info *classes;	/* nclasses */
	size_t nclasses;
	uint32_t *scalar;		/* FT_SC_SIZE bitmap indices */
	struct ft_bitmap *bitmaps;	/* the shared bitmap table */
	size_t nbitmaps;
	struct ft_lpm4_ent *src4, *dst4;
	size_t nsrc4, ndst4;
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
};

/**
 * ft_compile() - compile a validated policy.
 * @pol: the policy (must outlive @out: dynamic sets are borrowed); rule iif_index values must be resolved (0 = interface
 *       absent, such a name never matches)
 * @out: zeroed by the caller; free with ft_compiled_free()
 * Returns 0, -E2BIG when the policy exceeds FT_MAX_RULES, FT_MAX_CLASSES,
 * FT_MAX_IFACES or FT_MAX_BITMAPS, -ENOMEM.
 */
int ft_compile(const struct ft_policy *pol, struct ft_compiled *out);

void ft_compiled_free(struct ft_compiled *c);

/**
 * ft_compiled_dyn_hits() - which dynamic sets of @c hold the source (bit j)
 * and destination (bit FT_MAX_DYNSETS + j) address of @k, taking each
 * set's prefixes in the policy (set->pfx) as its content: what
 * ft_dynset_hits() in xdp/dynset.h computes from the live tries.
 */
uint32_t ft_compiled_dyn_hits(const struct ft_compiled *c, const struct ft_flow_key *k);

/**
 * ft_compiled_match() - what the BPF classifier (ft_first_rule() in
 * xdp/classify.h) computes for @k, done in userspace from the compiled
 * tables (the same bit-vector search); it must agree with the reference,
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
