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
#include "fields.h"

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

struct compile_ctx {
	const struct ft_policy *pol;
	struct ft_compiled *out;
	struct bitmap_table bt;
	unsigned int nrules;
	ft_bits unconstrained[FT_NFIELDS]; /* rules that do not constrain the field */
	unsigned int keys[FT_NFIELDS];	/* FT_MK_* that constrain the field (has_key()) */
};

/*
 * compile_field_keys() - for each field of the compiled search (FT_F_*), the
 * FT_MK_* bits of a rule's match that constrain it, from the field table. In
 * compile.c; used by the compiler and the shadow analysis (shadow.c).
 */
void compile_field_keys(unsigned int keys[FT_NFIELDS]);

/* Does rule @r constrain field @f? */
static inline bool has_key(const struct compile_ctx *c, const struct ft_rule *r, enum ft_field f)
{
	return r->match.keys & c->keys[f];
}

/*
 * bitmap_table_intern() - index of bitmap @w in the table (@idx), adding it
 * when new. Returns 0, -E2BIG (FT_MAX_BITMAPS reached) or -ENOMEM.
 */
int bitmap_table_intern(struct bitmap_table *t, const __u64 *w, uint32_t *idx);

/*
 * compile_trie() - the trie of address field @f (a row of kind FT_FK_ADDR:
 * src or dst) for @family as LPM map entries (struct ft_lpm4_ent or
 * ft_lpm6_ent, *@n of them, malloc'ed at *@res). Returns 0, -E2BIG or
 * -ENOMEM. In compile_prefix.c.
 */
int compile_trie(struct compile_ctx *c, const struct ft_field_desc *f, int family, void **res,
		 size_t *n);

/*
 * compile_dynsets() - ft_dynpol and ft_dynor of the policy: the dynamic
 * sets the rules name and, per field, family and hit mask, the bitmap of
 * the rules those hits satisfy. Returns 0, -E2BIG (more than
 * FT_MAX_DYNSETS) or -ENOMEM. In compile_prefix.c.
 */
int compile_dynsets(struct compile_ctx *c);

#endif /* FLOWTAG_COMPILE_INTERNAL_H */
