/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Inside the policy compiler (compile.h is the interface): what compile.c
 * and compile_prefix.c share.
 */
#ifndef FLOWTAG_COMPILE_INTERNAL_H
#define FLOWTAG_COMPILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"

#define BIT_SET(w, r)	((w)[(r) / 64] |= 1ULL << ((r) % 64))
#define BIT_CLR(w, r)	((w)[(r) / 64] &= ~(1ULL << ((r) % 64)))

/* __u64, as in struct ft_bitmap (uint64_t is a different type on LP64) */
typedef __u64 ft_bits[FT_BM_WORDS];

/* The interned bitmap table. */
struct bitmap_table {
	struct ft_bitmap *v;
	size_t n, cap;
	uint32_t *slots;	/* open addressing: bitmap index + 1, 0 = empty */
	size_t nslots;		/* power of two */
	unsigned int nwords;	/* words in use: hashing and compares stop here */
};

/* Does rule @r constrain field @f? */
static inline bool has_key(const struct ft_rule *r, enum ft_field f)
{
	static const unsigned int keys[FT_NFIELDS] = {
		[FT_F_DPORT] = FT_MK_DPORT,
		[FT_F_SPORT] = FT_MK_SPORT,
		[FT_F_PROTO] = FT_MK_PROTO,
		/* family is enforced by the prefix fields: see compile_prefixes() */
		[FT_F_DST] = FT_MK_DST | FT_MK_FAMILY,
		[FT_F_SRC] = FT_MK_SRC | FT_MK_FAMILY,
		[FT_F_DSCP] = FT_MK_DSCP,
		[FT_F_TCPFL] = FT_MK_TCPFL,
		[FT_F_VLAN] = FT_MK_VLAN,
		[FT_F_IIF] = FT_MK_IIF,
	};

	return r->match.keys & keys[f];
}

struct compile_ctx {
	const struct ft_policy *pol;
	struct ft_compiled *out;
	struct bitmap_table bt;
	unsigned int nrules;
	ft_bits unconstrained[FT_NFIELDS]; /* rules that do not constrain the field */
};

/*
 * bitmap_table_intern() - index of bitmap @w in the table (@idx), adding it
 * when new. Returns 0, -E2BIG (FT_MAX_BITMAPS reached) or -ENOMEM.
 */
int bitmap_table_intern(struct bitmap_table *t, const __u64 *w, uint32_t *idx);

/*
 * compile_trie() - the @f trie (FT_F_SRC or FT_F_DST) for @family as LPM
 * map entries (struct ft_lpm4_ent or ft_lpm6_ent, *@n of them, malloc'ed
 * at *@res). Returns 0, -E2BIG or -ENOMEM. In compile_prefix.c.
 */
int compile_trie(struct compile_ctx *c, enum ft_field f, int family, void **res, size_t *n);

/*
 * compile_dynsets() - ft_dynpol and ft_dynor of the policy: the dynamic
 * sets the rules name and, per field, family and hit mask, the bitmap of
 * the rules those hits satisfy. Returns 0, -E2BIG (more than
 * FT_MAX_DYNSETS) or -ENOMEM. In compile_prefix.c.
 */
int compile_dynsets(struct compile_ctx *c);

#endif /* FLOWTAG_COMPILE_INTERNAL_H */
