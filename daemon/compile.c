// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy compiler: struct ft_policy -> bit-vector search tables.
 *
 * For every field the compiler computes, for each value (or elementary
 * interval, or trie prefix) the set of rules that accept it, as a bitmap.
 * Identical bitmaps are stored once (a hash table interns them), so a
 * 100k-entry prefix set that no other rule overlaps costs one bitmap.
 *
 *   ports, VLAN ids:  a sweep over sorted range boundaries (elementary
 *                     intervals), one bitmap per interval
 *   proto, DSCP, TCP flags: one bitmap per value
 *   prefixes:         sorted (address, length); a stack of enclosing
 *                     prefixes gives each prefix the rules of all its
 *                     ancestors, which is what an LPM lookup must return
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

static uint64_t bits_hash(const __u64 *w, unsigned int nwords)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned int i;

	for (i = 0; i < nwords; i++) {
		h ^= w[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

static int bitmap_table_grow_slots(struct bitmap_table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024, i;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		size_t s = bits_hash(t->v[i].w, t->nwords) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* Index of bitmap @w in the table, adding it when new. */
static int bitmap_table_intern(struct bitmap_table *t, const __u64 *w, uint32_t *idx)
{
	size_t s;
	unsigned int i;
	int err;

	if ((t->n + 1) * 2 > t->nslots) {
		err = bitmap_table_grow_slots(t);
		if (err)
			return err;
	}
	s = bits_hash(w, t->nwords) & (t->nslots - 1);
	while (t->slots[s]) {
		const struct ft_bitmap *b = &t->v[t->slots[s] - 1];

		if (!memcmp(b->w, w, t->nwords * sizeof(*w))) {
			*idx = t->slots[s] - 1;
			return 0;
		}
		s = (s + 1) & (t->nslots - 1);
	}
	if (t->n == FT_MAX_BITMAPS)
		return -E2BIG;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct ft_bitmap *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	for (i = 0; i < t->nwords; i++) {
		t->v[t->n].w[i] = w[i];
		if (w[i])
			t->v[t->n].summary |= 1ULL << i;
	}
	t->slots[s] = t->n + 1;
	*idx = t->n++;
	return 0;
}

/* Does rule @r constrain field @f? */
static bool has_key(const struct ft_rule *r, enum ft_field f)
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

/* ---- ranges: ports and VLAN ids ---- */

struct range_ev {
	uint32_t pos;
	uint32_t rule;
	int delta;
};

static int ev_cmp(const void *a, const void *b)
{
	const struct range_ev *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return (x->rule > y->rule) - (x->rule < y->rule);
}

/*
 * Sweep the elementary intervals of [0, @domain): between two consecutive
 * boundaries the set of rules accepting the value does not change.
 */
static int compile_ranges(struct compile_ctx *c, enum ft_field f, uint32_t base, uint32_t domain,
			  size_t (*get)(const struct ft_rule *, size_t, struct ft_range *))
{
	struct range_ev *ev = NULL;
	uint32_t *cnt = NULL;
	size_t nev = 0, cap = 0, i, r;
	uint32_t pos, next;
	ft_bits cur;
	int err = -ENOMEM;

	for (r = 0; r < c->nrules; r++) {
		const struct ft_rule *rule = &c->pol->rules[r];
		struct ft_range rg;
		size_t k;

		if (!has_key(rule, f))
			continue;
		for (k = 0; get(rule, k, &rg); k++) {
			if (nev + 2 > cap) {
				struct range_ev *n;

				cap = cap ? cap * 2 : 256;
				n = realloc(ev, cap * sizeof(*ev));
				if (!n)
					goto out;
				ev = n;
			}
			ev[nev++] = (struct range_ev){ rg.lo, r, +1 };
			ev[nev++] = (struct range_ev){ (uint32_t)rg.hi + 1, r, -1 };
		}
	}
	if (nev)
		qsort(ev, nev, sizeof(*ev), ev_cmp);
	cnt = calloc(c->nrules ? c->nrules : 1, sizeof(*cnt));
	if (!cnt)
		goto out;

	memcpy(cur, c->unconstrained[f], sizeof(cur));
	for (pos = 0, i = 0; pos < domain; pos = next) {
		uint32_t idx, v;

		for (; i < nev && ev[i].pos == pos; i++) {
			cnt[ev[i].rule] += ev[i].delta;
			if (cnt[ev[i].rule])
				BIT_SET(cur, ev[i].rule);
			else
				BIT_CLR(cur, ev[i].rule);
		}
		next = i < nev && ev[i].pos < domain ? ev[i].pos : domain;
		err = bitmap_table_intern(&c->bt, cur, &idx);
		if (err)
			goto out;
		for (v = pos; v < next; v++)
			c->out->scalar[base + v] = idx;
	}
	err = 0;
out:
	free(ev);
	free(cnt);
	return err;
}

static size_t get_sport(const struct ft_rule *r, size_t k, struct ft_range *rg)
{
	if (k >= r->match.nsport)
		return 0;
	*rg = r->match.sport[k];
	return 1;
}

static size_t get_dport(const struct ft_rule *r, size_t k, struct ft_range *rg)
{
	if (k >= r->match.ndport)
		return 0;
	*rg = r->match.dport[k];
	return 1;
}

static size_t get_vlan(const struct ft_rule *r, size_t k, struct ft_range *rg)
{
	if (k >= r->match.nvlan)
		return 0;
	rg->lo = rg->hi = r->match.vlan[k];
	return 1;
}

/* ---- small fields: one bitmap per value ---- */

static bool accepts_value(const struct ft_rule *r, enum ft_field f, unsigned int v)
{
	const struct ft_match *m = &r->match;

	switch (f) {
	case FT_F_PROTO:
		return ft_proto_has(m, v);
	case FT_F_DSCP:
		return m->dscp & (1ULL << v);
	case FT_F_TCPFL:
		return (v & m->tcp_flags_mask) == m->tcp_flags;
	default:
		return false;
	}
}

static int compile_values(struct compile_ctx *c, enum ft_field f, uint32_t base,
			  unsigned int domain)
{
	unsigned int v, r;
	ft_bits cur;
	int err;

	for (v = 0; v < domain; v++) {
		memcpy(cur, c->unconstrained[f], sizeof(cur));
		for (r = 0; r < c->nrules; r++)
			if (has_key(&c->pol->rules[r], f) && accepts_value(&c->pol->rules[r], f, v))
				BIT_SET(cur, r);
		err = bitmap_table_intern(&c->bt, cur, &c->out->scalar[base + v]);
		if (err)
			return err;
	}
	return 0;
}

/* ---- prefixes ---- */

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
 * Entries of the @f (FT_F_SRC or FT_F_DST) trie for @family. The root /0
 * is always present, so every lookup finds an entry.
 */
static int compile_prefixes(struct compile_ctx *c, enum ft_field f, int family,
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
		const struct ft_addr_match *am = f == FT_F_SRC ? &rule->match.src : &rule->match.dst;
		unsigned int key = f == FT_F_SRC ? FT_MK_SRC : FT_MK_DST;

		if (!family_ok(rule, family))
			continue;
		if (!(rule->match.keys & key)) {
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
		for (i = 0; i < am->nsets; i++)
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
static int compile_trie(struct compile_ctx *c, enum ft_field f, int family, void **res, size_t *n)
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

/* ---- interfaces ---- */

static int compile_iif(struct compile_ctx *c)
{
	struct ft_compiled *o = c->out;
	size_t r, i, k;
	int err;

	o->iif = calloc(FT_MAX_IFACES, sizeof(*o->iif));
	if (!o->iif)
		return -ENOMEM;
	for (r = 0; r < c->nrules; r++) {
		const struct ft_match *m = &c->pol->rules[r].match;

		if (!(m->keys & FT_MK_IIF))
			continue;
		for (i = 0; i < m->niif; i++) {
			uint32_t ifi = m->iif_index[i];

			if (!ifi)
				continue;	/* interface absent: the name never matches */
			for (k = 0; k < o->niif && o->iif[k].ifindex != ifi; k++)
				;
			if (k == o->niif) {
				if (o->niif == FT_MAX_IFACES)
					return -E2BIG;
				o->iif[o->niif++].ifindex = ifi;
			}
		}
	}
	for (k = 0; k < o->niif; k++) {
		ft_bits cur;

		memcpy(cur, c->unconstrained[FT_F_IIF], sizeof(cur));
		for (r = 0; r < c->nrules; r++) {
			const struct ft_match *m = &c->pol->rules[r].match;

			if (!(m->keys & FT_MK_IIF))
				continue;
			for (i = 0; i < m->niif; i++)
				if (m->iif_index[i] == o->iif[k].ifindex)
					BIT_SET(cur, r);
		}
		err = bitmap_table_intern(&c->bt, cur, &o->iif[k].bm);
		if (err)
			return err;
	}
	return 0;
}

/* ---- verdicts and classes ---- */

static void class_meta(const struct ft_policy *pol, int ci, struct flowtag_meta *m)
{
	const struct ft_class *cl = &pol->classes[ci];

	m->magic_ver = FLOWTAG_META_WORD;
	m->mark = cl->mark & pol->mark_mask;
	m->class_id = (uint16_t)ci;
	if (cl->has_priority) {
		m->priority = cl->priority;
		m->flags |= FT_META_F_PRIO;
	}
	if (cl->dscp >= 0) {
		m->dscp = (uint8_t)cl->dscp;
		m->flags |= FT_META_F_DSCP;
	}
}

static void untagged_meta(struct flowtag_meta *m)
{
	m->magic_ver = FLOWTAG_META_WORD;
	m->class_id = FT_CLASS_NONE;
	m->flags = FT_META_F_NOTAG;
}

static int compile_verdicts(struct compile_ctx *c)
{
	const struct ft_policy *pol = c->pol;
	struct ft_compiled *o = c->out;
	size_t r, i;

	o->rules = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rules));
	o->rule_info = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rule_info));
	o->rule_name = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rule_name));
	o->classes = calloc(pol->nclasses ? pol->nclasses : 1, sizeof(*o->classes));
	o->marks = calloc(pol->nclasses ? pol->nclasses : 1, sizeof(*o->marks));
	if (!o->rules || !o->rule_info || !o->rule_name || !o->classes || !o->marks)
		return -ENOMEM;
	o->nrules = c->nrules;
	o->nclasses = pol->nclasses;

	for (r = 0; r < c->nrules; r++) {
		const struct ft_rule *rule = &pol->rules[r];
		struct ft_verdict *v = &o->rules[r];

		v->action = rule->action;
		if (rule->action == FT_ACT_CLASS)
			class_meta(pol, rule->class_idx, &v->meta);
		else
			untagged_meta(&v->meta);
		v->meta.rule_id = (uint16_t)r;
		o->rule_info[r].line = rule->line;
		o->rule_info[r].action = rule->action;
		o->rule_info[r].class_id = rule->action == FT_ACT_CLASS ? (uint16_t)rule->class_idx :
									   (uint16_t)FT_CLASS_NONE;
		memcpy(o->rule_name[r].name, rule->name, sizeof(o->rule_name[r].name));
	}

	for (i = 0; i < pol->nclasses; i++) {
		const struct ft_class *cl = &pol->classes[i];
		struct ft_class_info *ci = &o->classes[i];
		size_t k;

		memcpy(ci->name, cl->name, sizeof(ci->name));
		ci->name[sizeof(ci->name) - 1] = '\0';
		ci->mark = cl->mark & pol->mark_mask;
		ci->priority = cl->priority;
		ci->flags = cl->has_priority ? FT_META_F_PRIO : 0;
		if (cl->dscp >= 0) {
			ci->flags |= FT_META_F_DSCP;
			ci->dscp = cl->dscp;
		}
		/* egress restore: the first class with a mark wins (config
		 * refuses duplicate marks, this only keeps the table sane) */
		for (k = 0; k < o->nmarks && o->marks[k].mark != ci->mark; k++)
			;
		if (k < o->nmarks)
			continue;
		o->marks[k].mark = ci->mark;
		o->marks[k].val.priority = cl->priority;
		o->marks[k].val.class_id = (uint16_t)i;
		o->marks[k].val.flags = cl->has_priority ? FT_META_F_PRIO : 0;
		o->nmarks++;
	}

	if (pol->default_class >= 0) {
		o->hdr.default_verdict.action = FT_ACT_CLASS;
		class_meta(pol, pol->default_class, &o->hdr.default_verdict.meta);
		o->hdr.default_verdict.meta.flags |= FT_META_F_DEFAULT;
	} else {
		o->hdr.default_verdict.action = FT_ACT_PASS;
		untagged_meta(&o->hdr.default_verdict.meta);
	}
	o->hdr.default_verdict.meta.rule_id = FT_RULE_NONE;
	return 0;
}

int ft_compile(const struct ft_policy *pol, struct ft_compiled *out)
{
	struct compile_ctx c = { .pol = pol, .out = out };
	ft_bits all;
	unsigned int f, r;
	int err;

	if (pol->nrules > FT_MAX_RULES || pol->nclasses > FT_MAX_CLASSES)
		return -E2BIG;
	c.nrules = pol->nrules;
	c.bt.nwords = c.nrules ? (c.nrules + 63) / 64 : 1;

	memset(all, 0, sizeof(all));
	for (r = 0; r < c.nrules; r++)
		BIT_SET(all, r);
	for (f = 0; f < FT_NFIELDS; f++) {
		memset(c.unconstrained[f], 0, sizeof(c.unconstrained[f]));
		for (r = 0; r < c.nrules; r++) {
			if (has_key(&pol->rules[r], f))
				out->hdr.used_fields |= 1u << f;
			else
				BIT_SET(c.unconstrained[f], r);
		}
	}

	err = -ENOMEM;
	out->scalar = calloc(FT_SC_SIZE, sizeof(*out->scalar));
	if (!out->scalar)
		goto fail;

	err = bitmap_table_intern(&c.bt, all, &out->hdr.all_bm);
	if (err)
		goto fail;
	for (f = 0; f < FT_NFIELDS; f++) {
		err = bitmap_table_intern(&c.bt, c.unconstrained[f], &out->hdr.absent_bm[f]);
		if (err)
			goto fail;
	}

	err = compile_ranges(&c, FT_F_SPORT, FT_SC_SPORT, 65536, get_sport);
	if (!err)
		err = compile_ranges(&c, FT_F_DPORT, FT_SC_DPORT, 65536, get_dport);
	if (!err)
		err = compile_ranges(&c, FT_F_VLAN, FT_SC_VLAN, 4096, get_vlan);
	if (!err)
		err = compile_values(&c, FT_F_PROTO, FT_SC_PROTO, 256);
	if (!err)
		err = compile_values(&c, FT_F_DSCP, FT_SC_DSCP, 64);
	if (!err)
		err = compile_values(&c, FT_F_TCPFL, FT_SC_TCPFL, 256);
	if (!err)
		err = compile_trie(&c, FT_F_SRC, AF_INET, (void **)&out->src4, &out->nsrc4);
	if (!err)
		err = compile_trie(&c, FT_F_DST, AF_INET, (void **)&out->dst4, &out->ndst4);
	if (!err)
		err = compile_trie(&c, FT_F_SRC, AF_INET6, (void **)&out->src6, &out->nsrc6);
	if (!err)
		err = compile_trie(&c, FT_F_DST, AF_INET6, (void **)&out->dst6, &out->ndst6);
	if (!err)
		err = compile_iif(&c);
	if (!err)
		err = compile_verdicts(&c);
	if (err)
		goto fail;

	out->hdr.mark_mask = pol->mark_mask;
	out->hdr.nrules = c.nrules;
	out->hdr.nwords = c.bt.nwords;
	out->hdr.nclasses = pol->nclasses;
	out->hdr.flags = pol->tc_ok ? FT_POL_F_TC_OK : 0;
	out->bitmaps = c.bt.v;
	out->nbitmaps = c.bt.n;
	free(c.bt.slots);
	return 0;
fail:
	free(c.bt.v);
	free(c.bt.slots);
	ft_compiled_free(out);
	return err;
}

void ft_compiled_free(struct ft_compiled *c)
{
	free(c->rules);
	free(c->rule_info);
	free(c->rule_name);
	free(c->classes);
	free(c->scalar);
	free(c->bitmaps);
	free(c->src4);
	free(c->dst4);
	free(c->src6);
	free(c->dst6);
	free(c->iif);
	free(c->marks);
	memset(c, 0, sizeof(*c));
}

/* ---- userspace mirror of the BPF lookup ---- */

static uint32_t lpm_lookup(const struct ft_compiled *c, enum ft_field f, const struct ft_flow_key *k)
{
	const uint32_t *addr = f == FT_F_SRC ? k->src : k->dst;
	uint32_t best_bm = UINT32_MAX;
	int best = -1;
	size_t i, n;

	if (k->family == FT_FAM_IPV4) {
		const struct ft_lpm4_ent *e = f == FT_F_SRC ? c->src4 : c->dst4;

		n = f == FT_F_SRC ? c->nsrc4 : c->ndst4;
		for (i = 0; i < n; i++) {
			struct ft_prefix p = { .family = AF_INET, .len = e[i].key.prefixlen };

			memcpy(p.addr, &e[i].key.addr, 4);
			if ((int)p.len > best && ft_prefix_contains(&p, (const uint8_t *)addr)) {
				best = p.len;
				best_bm = e[i].bm;
			}
		}
	} else {
		const struct ft_lpm6_ent *e = f == FT_F_SRC ? c->src6 : c->dst6;

		n = f == FT_F_SRC ? c->nsrc6 : c->ndst6;
		for (i = 0; i < n; i++) {
			struct ft_prefix p = { .family = AF_INET6, .len = e[i].key.prefixlen };

			memcpy(p.addr, e[i].key.addr, 16);
			if ((int)p.len > best && ft_prefix_contains(&p, (const uint8_t *)addr)) {
				best = p.len;
				best_bm = e[i].bm;
			}
		}
	}
	return best_bm;
}

uint32_t ft_compiled_match(const struct ft_compiled *c, const struct ft_flow_key *k)
{
	const struct ft_policy_hdr *h = &c->hdr;
	uint32_t idx[FT_NFIELDS];
	bool ip = k->family != FT_FAM_NONE;
	uint64_t sum = ~0ULL;
	unsigned int f, w;

	for (f = 0; f < FT_NFIELDS; f++) {
		bool have;

		idx[f] = h->all_bm;
		if (!(h->used_fields & (1u << f)))
			continue;
		switch (f) {
		case FT_F_DPORT:
		case FT_F_SPORT:
			have = k->l4 & FT_L4_PORTS;
			break;
		case FT_F_TCPFL:
			have = k->l4 & FT_L4_TCPFL;
			break;
		case FT_F_PROTO:
			have = k->l4 & FT_L4_PROTO;
			break;
		case FT_F_VLAN:
			have = k->vlan < FT_VLAN_NONE;
			break;
		case FT_F_IIF:
			have = true;
			break;
		default:
			have = ip;
		}
		if (!have) {
			idx[f] = h->absent_bm[f];
			continue;
		}
		switch (f) {
		case FT_F_DPORT:
			idx[f] = c->scalar[FT_SC_DPORT + k->dport];
			break;
		case FT_F_SPORT:
			idx[f] = c->scalar[FT_SC_SPORT + k->sport];
			break;
		case FT_F_PROTO:
			idx[f] = c->scalar[FT_SC_PROTO + k->proto];
			break;
		case FT_F_DSCP:
			idx[f] = c->scalar[FT_SC_DSCP + (k->dscp & 63)];
			break;
		case FT_F_TCPFL:
			idx[f] = c->scalar[FT_SC_TCPFL + k->tcp_flags];
			break;
		case FT_F_VLAN:
			idx[f] = c->scalar[FT_SC_VLAN + (k->vlan & 0xfff)];
			break;
		case FT_F_SRC:
		case FT_F_DST:
			idx[f] = lpm_lookup(c, f, k);
			break;
		case FT_F_IIF: {
			size_t i;

			idx[f] = h->absent_bm[f];
			for (i = 0; i < c->niif; i++)
				if (c->iif[i].ifindex == k->ifindex)
					idx[f] = c->iif[i].bm;
			break;
		}
		}
	}
	for (f = 0; f < FT_NFIELDS; f++) {
		if (idx[f] >= c->nbitmaps)
			return FT_RULE_NONE;
		sum &= c->bitmaps[idx[f]].summary;
	}
	while (sum) {
		uint64_t acc = ~0ULL;

		w = __builtin_ctzll(sum);
		sum &= sum - 1;
		for (f = 0; f < FT_NFIELDS; f++)
			acc &= c->bitmaps[idx[f]].w[w];
		if (acc)
			return w * 64 + __builtin_ctzll(acc);
	}
	return FT_RULE_NONE;
}

const struct ft_verdict *ft_compiled_verdict(const struct ft_compiled *c,
					     const struct ft_flow_key *k)
{
	uint32_t r = ft_compiled_match(c, k);

	return r < c->nrules ? &c->rules[r] : &c->hdr.default_verdict;
}
