// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy compiler's prefixes: src and dst, inline lists and prefix
 * sets, into one LPM trie per field and family. Sorted by (address,
 * length), a stack of enclosing prefixes gives each prefix the rules of all
 * its ancestors, which is what an LPM lookup must return.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"
#include "compile_internal.h"

#define OWNER_SET	0x80000000u	/* owner is a prefix set, else a rule */

struct prefix_entry {
	uint8_t addr[16];
	uint8_t len;
	uint32_t owner;
};

/* IPv4 entries keep bytes 4..15 zero, so one compare serves both families */
static int prefix_entry_cmp(const void *a, const void *b)
{
	const struct prefix_entry *x = a, *y = b;
	int d = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (d)
		return d;
	return (x->len > y->len) - (x->len < y->len);
}

static bool prefix_entry_contains(const struct prefix_entry *outer, const struct prefix_entry *p)
{
	struct ft_prefix o = { .len = outer->len };

	if (outer->len > p->len)
		return false;
	memcpy(o.addr, outer->addr, sizeof(o.addr));
	return ft_prefix_contains(&o, p->addr);
}

static int prefix_entry_push(struct prefix_entry **v, size_t *n, size_t *cap,
			     const struct ft_prefix *p, uint32_t owner)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct prefix_entry *nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	memset((*v)[*n].addr, 0, sizeof((*v)[*n].addr));
	memcpy((*v)[*n].addr, p->addr, p->family == AF_INET ? 4 : 16);
	(*v)[*n].len = p->len;
	(*v)[*n].owner = owner;
	(*n)++;
	return 0;
}

static bool family_ok(const struct ft_rule *r, int family)
{
	return !(r->match.keys & FT_MK_FAMILY) || r->match.family == family;
}

struct pfx_out {
	struct ft_prefix p;
	uint32_t bm;
};

/*
 * Entries of the trie of address field @f (src or dst) for @family. The
 * root /0 is always present, so every lookup finds an entry.
 */
static int compile_prefixes(struct compile_ctx *c, const struct ft_field_desc *f, int family,
			    struct pfx_out **res, size_t *nres)
{
	unsigned int alen = family == AF_INET ? 4 : 16;
	ft_bits *setrules = NULL, root;
	struct prefix_entry *pe = NULL;
	size_t npe = 0, cap = 0, i, j, r, nout = 0;
	struct pfx_out *out = NULL;
	struct {
		struct prefix_entry p;
		ft_bits full;
	} *stack = NULL;
	size_t depth;
	int err = -ENOMEM;

	setrules = calloc(c->pol->nsets ? c->pol->nsets : 1, sizeof(*setrules));
	stack = calloc(130, sizeof(*stack));
	if (!setrules || !stack)
		goto out;

	/* root: rules that accept any address of this family */
	memset(root, 0, sizeof(root));
	for (r = 0; r < c->nrules; r++) {
		const struct ft_rule *rule = &c->pol->rules[r];
		const struct ft_addr_match *am = ft_field_addr(f, &rule->match);

		if (!family_ok(rule, family))
			continue;
		if (!(rule->match.keys & f->match_key)) {
			BIT_SET(root, r);
			continue;
		}
		for (i = 0; i < am->npfx; i++) {
			if (am->pfx[i].family != family)
				continue;
			err = prefix_entry_push(&pe, &npe, &cap, &am->pfx[i], r);
			if (err)
				goto out;
		}
		/* a dynamic set's rules get their bit from ft_dynor, not here */
		for (i = 0; i < am->nsets; i++)
			if (!c->pol->sets[am->sets[i]].dynamic)
				BIT_SET(setrules[am->sets[i]], r);
	}
	/* each referenced set's prefixes once, owned by the set */
	for (i = 0; i < c->pol->nsets; i++) {
		const struct ft_prefix_set *set = &c->pol->sets[i];
		bool any = false;

		for (j = 0; j < FT_BM_WORDS; j++)
			any |= setrules[i][j] != 0;
		if (!any)
			continue;
		for (j = 0; j < set->npfx; j++) {
			if (set->pfx[j].family != family)
				continue;
			err = prefix_entry_push(&pe, &npe, &cap, &set->pfx[j],
						OWNER_SET | (uint32_t)i);
			if (err)
				goto out;
		}
	}

	if (npe)
		qsort(pe, npe, sizeof(*pe), prefix_entry_cmp);

	out = calloc(npe + 1, sizeof(*out));
	if (!out)
		goto out;

	memset(&stack[0].p, 0, sizeof(stack[0].p));
	memcpy(stack[0].full, root, sizeof(root));
	depth = 1;
	for (i = 0; i < npe; i = j) {
		ft_bits own;

		/* merge every owner of the same prefix */
		memset(own, 0, sizeof(own));
		for (j = i; j < npe && pe[j].len == pe[i].len && !memcmp(pe[j].addr, pe[i].addr, alen);
		     j++) {
			unsigned int w;

			if (pe[j].owner & OWNER_SET)
				for (w = 0; w < FT_BM_WORDS; w++)
					own[w] |= setrules[pe[j].owner & ~OWNER_SET][w];
			else
				BIT_SET(own, pe[j].owner);
		}
		if (pe[i].len == 0) {
			/* a literal /0 joins the root (sorted first) */
			unsigned int w;

			for (w = 0; w < FT_BM_WORDS; w++)
				stack[0].full[w] |= own[w];
			continue;
		}
		while (depth > 1 && !prefix_entry_contains(&stack[depth - 1].p, &pe[i]))
			depth--;
		stack[depth].p = pe[i];
		{
			unsigned int w;

			for (w = 0; w < FT_BM_WORDS; w++)
				stack[depth].full[w] = stack[depth - 1].full[w] | own[w];
		}
		out[nout].p.family = family;
		out[nout].p.len = pe[i].len;
		memcpy(out[nout].p.addr, pe[i].addr, sizeof(pe[i].addr));
		err = bitmap_table_intern(&c->bt, stack[depth].full, &out[nout].bm);
		if (err)
			goto out;
		nout++;
		depth++;
	}
	/* the root last: literal /0 entries were folded into it above */
	out[nout].p.family = family;
	out[nout].p.len = 0;
	memset(out[nout].p.addr, 0, sizeof(out[nout].p.addr));
	err = bitmap_table_intern(&c->bt, stack[0].full, &out[nout].bm);
	if (err)
		goto out;
	nout++;

	*res = out;
	*nres = nout;
	out = NULL;
	err = 0;
out:
	free(out);
	free(pe);
	free(stack);
	free(setrules);
	return err;
}

/* The @f trie for @family as LPM map entries (ft_lpm4_ent or ft_lpm6_ent). */
int compile_trie(struct compile_ctx *c, const struct ft_field_desc *f, int family, void **res,
		 size_t *n)
{
	size_t esz = family == AF_INET ? sizeof(struct ft_lpm4_ent) : sizeof(struct ft_lpm6_ent);
	struct pfx_out *po;
	size_t np, i;
	char *out;
	int err;

	err = compile_prefixes(c, f, family, &po, &np);
	if (err)
		return err;
	out = calloc(np, esz);
	if (!out) {
		free(po);
		return -ENOMEM;
	}
	for (i = 0; i < np; i++) {
		if (family == AF_INET) {
			struct ft_lpm4_ent *e = (void *)(out + i * esz);

			e->key.prefixlen = po[i].p.len;
			memcpy(&e->key.addr, po[i].p.addr, 4);
			e->bm = po[i].bm;
		} else {
			struct ft_lpm6_ent *e = (void *)(out + i * esz);

			e->key.prefixlen = po[i].p.len;
			memcpy(e->key.addr, po[i].p.addr, 16);
			e->bm = po[i].bm;
		}
	}
	*res = out;
	*n = np;
	free(po);
	return 0;
}

/* Position of policy set @si among the compiled dynamic sets, or -1. */
static int dyn_index(const struct ft_compiled *out, const struct ft_prefix_set *set)
{
	size_t j;

	for (j = 0; j < out->ndyn; j++)
		if (out->dyn[j].set == set)
			return (int)j;
	return -1;
}

int compile_dynsets(struct compile_ctx *c)
{
	struct ft_compiled *out = c->out;
	ft_bits *ref;	/* [field][family][set]: rules naming the set there */
	unsigned int r, d, v, m, j;
	size_t i;
	int err = 0;

	for (r = 0; r < c->nrules; r++) {
		const struct ft_rule *rule = &c->pol->rules[r];

		for (d = 0; d < 2; d++) {
			const struct ft_addr_match *am = d ? &rule->match.dst : &rule->match.src;

			for (i = 0; i < am->nsets; i++) {
				const struct ft_prefix_set *set = &c->pol->sets[am->sets[i]];
				int k;

				if (!set->dynamic)
					continue;
				k = dyn_index(out, set);
				if (k < 0) {
					if (out->ndyn == FT_MAX_DYNSETS)
						return -E2BIG;
					k = (int)out->ndyn++;
					out->dyn[k].set = set;
				}
				out->dyn[k].fields |= d ? FT_SET_E_DST : FT_SET_E_SRC;
			}
		}
	}
	if (!out->ndyn)
		return 0;
	ref = calloc(2 * 2 * FT_MAX_DYNSETS, sizeof(*ref));
	out->dynor = calloc(FT_DYNOR_PER_SLOT, sizeof(*out->dynor));
	if (!ref || !out->dynor) {
		free(ref);
		return -ENOMEM;
	}
	for (r = 0; r < c->nrules; r++) {
		const struct ft_rule *rule = &c->pol->rules[r];

		for (d = 0; d < 2; d++) {
			const struct ft_addr_match *am = d ? &rule->match.dst : &rule->match.src;

			for (i = 0; i < am->nsets; i++) {
				int k = dyn_index(out, &c->pol->sets[am->sets[i]]);

				if (k < 0)
					continue;
				/* the family key holds for dynamic sets too */
				for (v = 0; v < 2; v++)
					if (family_ok(rule, v ? AF_INET6 : AF_INET))
						BIT_SET(ref[(d * 2 + v) * FT_MAX_DYNSETS + k], r);
			}
		}
	}
	for (d = 0; d < 2; d++) {
		for (v = 0; v < 2; v++) {
			for (m = 0; m < (1u << FT_MAX_DYNSETS); m++) {
				ft_bits bits;

				memset(bits, 0, sizeof(bits));
				for (j = 0; j < out->ndyn; j++) {
					unsigned int w;

					if (!(m & (1u << j)))
						continue;
					for (w = 0; w < FT_BM_WORDS; w++)
						bits[w] |= ref[(d * 2 + v) * FT_MAX_DYNSETS + j][w];
				}
				err = bitmap_table_intern(&c->bt, bits,
							  &out->dynor[FT_DYNOR_IDX(0, d, v, m)]);
				if (err)
					goto out;
			}
		}
	}
	out->hdr.flags |= FT_POL_F_DYNSETS;
out:
	free(ref);
	return err;
}

uint32_t ft_compiled_dyn_hits(const struct ft_compiled *c, const struct ft_flow_key *k)
{
	int family = k->family == FT_FAM_IPV4 ? AF_INET : AF_INET6;
	uint32_t hits = 0;
	size_t j, i;
	unsigned int d;

	if (k->family == FT_FAM_NONE)
		return 0;
	for (j = 0; j < c->ndyn; j++) {
		const struct ft_prefix_set *set = c->dyn[j].set;

		for (d = 0; d < 2; d++) {
			const uint8_t *addr = (const uint8_t *)(d ? k->dst : k->src);

			if (!(c->dyn[j].fields & (d ? FT_SET_E_DST : FT_SET_E_SRC)))
				continue;
			for (i = 0; i < set->npfx; i++) {
				if (set->pfx[i].family == family &&
				    ft_prefix_contains(&set->pfx[i], addr)) {
					hits |= 1u << (j + d * FT_MAX_DYNSETS);
					break;
				}
			}
		}
	}
	return hits;
}
