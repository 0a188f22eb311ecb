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
 *                     (compile_prefix.c); IPv6 stays those LPM trie
 *                     entries, IPv4 becomes a DIR-16-8-8 table painted
 *                     from them (compile_dir4.c, flowtag/dir4.h)
 *
 * Which of these a field gets is its row's `table` in the field table
 * (fields.c); ft_compile() walks the table, and so does the userspace
 * mirror of the BPF search, ft_compiled_match().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"
#include "compile_internal.h"


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
int bitmap_table_intern(struct bitmap_table *t, const __u64 *w, uint32_t *idx)
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
static int compile_ranges(struct compile_ctx *c, const struct ft_field_desc *fd)
{
	enum ft_field f = (enum ft_field)fd->bpf_field;
	uint32_t base = fd->table_base, domain = fd->domain;
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

		if (!has_key(c, rule, f))
			continue;
		for (k = 0; fd->range_at(&rule->match, k, &rg); k++) {
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

/* ---- small fields: one bitmap per value ---- */

static int compile_values(struct compile_ctx *c, const struct ft_field_desc *fd)
{
	enum ft_field f = (enum ft_field)fd->bpf_field;
	uint32_t base = fd->table_base, domain = fd->domain;
	unsigned int v, r;
	ft_bits cur;
	int err;

	for (v = 0; v < domain; v++) {
		memcpy(cur, c->unconstrained[f], sizeof(cur));
		for (r = 0; r < c->nrules; r++)
			if (has_key(c, &c->pol->rules[r], f) && fd->accepts(&c->pol->rules[r].match, v))
				BIT_SET(cur, r);
		err = bitmap_table_intern(&c->bt, cur, &c->out->scalar[base + v]);
		if (err)
			return err;
	}
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

/* Copy @name into @f, keeping its end (the file's own name) when too long. */
static void srcfile_set(struct ft_srcfile *f, const char *name)
{
	size_t n = strlen(name);

	if (n < sizeof(f->name))
		memcpy(f->name, name, n + 1);
	else
		snprintf(f->name, sizeof(f->name), "...%s", name + n - (sizeof(f->name) - 4));
}

/*
 * The index into @o->srcfiles of policy file @file (an index into
 * @pol->files): entry 0 is the policy, the others are added as their first
 * rule comes; past FT_MAX_SRCFILES - 1 files, the last entry stands for
 * the rest and says so (struct ft_rule_file).
 */
static uint32_t srcfile_index(const struct ft_policy *pol, struct ft_compiled *o,
			      unsigned int file)
{
	struct ft_srcfile want;
	size_t i;

	if (!o->nsrcfiles) {
		srcfile_set(&o->srcfiles[0], ft_policy_file(pol, 0));
		o->nsrcfiles = 1;
	}
	if (!file)
		return 0;
	srcfile_set(&want, ft_policy_file(pol, file));	/* as stored */
	for (i = 1; i < o->nsrcfiles; i++)
		if (!strcmp(o->srcfiles[i].name, want.name) ||
		    (i == FT_MAX_SRCFILES - 1 && o->nsrcfiles == FT_MAX_SRCFILES))
			return (uint32_t)i;
	if (o->nsrcfiles == FT_MAX_SRCFILES - 1) {
		/* the last entry: this file and every one after it */
		snprintf(o->srcfiles[i].name, sizeof(o->srcfiles[i].name),
			 "(an @include'd file after the first %d that hold rules: see "
			 "flowtagctl explain)", FT_MAX_SRCFILES - 2);
		o->nsrcfiles = FT_MAX_SRCFILES;
		return (uint32_t)i;
	}
	o->srcfiles[i] = want;
	o->nsrcfiles++;
	return (uint32_t)i;
}

static int compile_verdicts(struct compile_ctx *c)
{
	const struct ft_policy *pol = c->pol;
	struct ft_compiled *o = c->out;
	size_t r, i;

	o->rules = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rules));
	o->rule_info = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rule_info));
	o->rule_name = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rule_name));
	o->rule_file = calloc(c->nrules ? c->nrules : 1, sizeof(*o->rule_file));
	o->srcfiles = calloc(FT_MAX_SRCFILES, sizeof(*o->srcfiles));
	o->classes = calloc(pol->nclasses ? pol->nclasses : 1, sizeof(*o->classes));
	o->marks = calloc(pol->nclasses ? pol->nclasses : 1, sizeof(*o->marks));
	if (!o->rules || !o->rule_info || !o->rule_name || !o->rule_file || !o->srcfiles ||
	    !o->classes || !o->marks)
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
		o->rule_file[r].file = srcfile_index(pol, o, rule->src_file);
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

/* ---- the drop pre-filter (flowtag/maps.h, ft_policy_hdr.flags) ---- */

/* Match keys a pre-filter rule may have: all of them decided by the IPv4 prefix tables. */
#define PF_KEYS	(FT_MK_SRC | FT_MK_DST | FT_MK_FAMILY)

/* Whether @rule names a dynamic set in @am: its bit comes from ft_dynor, not the tables. */
static bool names_dynset(const struct ft_policy *pol, const struct ft_addr_match *am)
{
	size_t i;

	for (i = 0; i < am->nsets; i++)
		if (pol->sets[am->sets[i]].dynamic)
			return true;
	return false;
}

/*
 * The leading run of rules the pre-filter decides: drop rules whose match
 * has no key but src, dst and family, and names no dynamic set. Such a
 * rule accepts every value of every other field (its bit is set in every
 * bitmap of those fields), so for an IPv4 packet its bit in the src and
 * dst words of the DIR-16-8-8 tables is the whole answer. IPv6 prefixes
 * of such a rule do not matter: IPv6 packets skip the pre-filter.
 */
static void compile_prefilter(struct compile_ctx *c)
{
	struct ft_policy_hdr *h = &c->out->hdr;
	unsigned int n;

	for (n = 0; n < c->nrules && n < FT_POL_PF_MAX; n++) {
		const struct ft_rule *rule = &c->pol->rules[n];

		if (rule->action != FT_ACT_DROP || (rule->match.keys & ~PF_KEYS) ||
		    names_dynset(c->pol, &rule->match.src) ||
		    names_dynset(c->pol, &rule->match.dst))
			break;
		if (has_key(c, rule, FT_F_SRC))
			h->flags |= FT_POL_F_PF_SRC;
		if (has_key(c, rule, FT_F_DST))
			h->flags |= FT_POL_F_PF_DST;
	}
	h->flags |= n << FT_POL_PF_SHIFT;
}

unsigned int ft_compiled_prefilter_rules(const struct ft_compiled *c)
{
	return (c->hdr.flags & FT_POL_PF_MASK) >> FT_POL_PF_SHIFT;
}

/* The bitmap index of IPv4 address @addr (network byte order) in field @x
 * (0 src, 1 dst) of @c, read as the data path reads it: from the field's
 * prefix hash under FT_POL_F_PFX4_SRC / _DST, else from its table. */
static uint32_t ipv4_bm(const struct ft_compiled *c, unsigned int x, __be32 addr)
{
	const struct ft_pfx4_table *t = ft_pfx4_of(c, x);

	if (t)
		return ft_pfx4_lookup(t, ntohl(addr));
	return ft_dir4_lookup(x ? &c->dst4_table : &c->src4_table, ntohl(addr));
}

/* The pre-filter's answer for @k, as ft_prefilter() in xdp/classify.h. */
static uint32_t prefilter_match(const struct ft_compiled *c, const struct ft_flow_key *k)
{
	unsigned int n = ft_compiled_prefilter_rules(c);
	uint64_t m = n >= FT_POL_PF_MAX ? ~0ULL : (1ULL << n) - 1;
	uint32_t bi;

	if (!n || k->family != FT_FAM_IPV4)
		return FT_RULE_NONE;
	if (c->hdr.flags & FT_POL_F_PF_SRC) {
		bi = ipv4_bm(c, 0, k->src[0]);
		m &= bi < c->nbitmaps ? c->bitmaps[bi].w[0] : 0;
	}
	if (c->hdr.flags & FT_POL_F_PF_DST) {
		bi = ipv4_bm(c, 1, k->dst[0]);
		m &= bi < c->nbitmaps ? c->bitmaps[bi].w[0] : 0;
	}
	return m ? (uint32_t)__builtin_ctzll(m) : FT_RULE_NONE;
}

/* Field @f's part of the search, built the way its row says. */
void compile_field_keys(unsigned int keys[FT_NFIELDS])
{
	const struct ft_field_desc *fd;

	memset(keys, 0, FT_NFIELDS * sizeof(keys[0]));
	/* family is enforced by the prefix tries: see compile_prefixes() */
	for (fd = ft_fields; fd < ft_fields + FT_NMATCH_FIELDS; fd++)
		if (fd->bpf_field >= 0)
			keys[fd->bpf_field] = fd->match_key |
					      (fd->table == FT_TABLE_TRIE ? FT_MK_FAMILY : 0);
}

static int compile_field(struct compile_ctx *c, const struct ft_field_desc *f)
{
	struct ft_compiled *o = c->out;
	bool src = f->bpf_field == FT_F_SRC;
	int err;

	switch (f->table) {
	case FT_TABLE_RANGES:
		return compile_ranges(c, f);
	case FT_TABLE_VALUES:
		return compile_values(c, f);
	case FT_TABLE_TRIE:
		err = compile_trie(c, f, AF_INET, (void **)(src ? &o->src4 : &o->dst4),
				   src ? &o->nsrc4 : &o->ndst4);
		if (!err)
			err = ft_dir4_build(src ? o->src4 : o->dst4, src ? o->nsrc4 : o->ndst4,
					    src ? &o->src4_table : &o->dst4_table);
		if (err == -EFBIG) {
			const struct ft_lpm4_ent *e = src ? o->src4 : o->dst4;
			size_t i, n = src ? o->nsrc4 : o->ndst4;

			/* the prefixes the rules give, not the /0 every table has */
			o->too_big = src ? "src" : "dst";
			for (i = 0; i < n; i++)
				o->too_big_prefixes += e[i].key.prefixlen > 0;
		}
		/* the prefix hash, when the lengths are few: else the table alone */
		if (!err) {
			err = ft_pfx4_build(src ? o->src4 : o->dst4, src ? o->nsrc4 : o->ndst4,
					    src ? &o->src4_pfx : &o->dst4_pfx);
			if (!err)
				o->hdr.flags |= src ? FT_POL_F_PFX4_SRC : FT_POL_F_PFX4_DST;
			else if (err == -E2BIG)
				err = 0;
		}
		if (!err)
			err = compile_trie(c, f, AF_INET6, (void **)(src ? &o->src6 : &o->dst6),
					   src ? &o->nsrc6 : &o->ndst6);
		return err;
	case FT_TABLE_IFINDEX:
		return compile_iif(c);
	case FT_TABLE_NONE:
		break;
	}
	return 0;
}

int ft_compile(const struct ft_policy *pol, struct ft_compiled *out)
{
	struct compile_ctx c = { .pol = pol, .out = out };
	const struct ft_field_desc *fd;
	ft_bits all;
	unsigned int f, r;
	int err;

	/* every field from here: the steps below add to it (used_fields,
	 * niif, ...), and a caller's stack garbage once sent compile_iif()
	 * past its table (a rollback after an interface change) */
	memset(out, 0, sizeof(*out));
	if (pol->nrules > FT_MAX_RULES || pol->nclasses > FT_MAX_CLASSES)
		return -E2BIG;
	c.nrules = pol->nrules;
	c.bt.nwords = c.nrules ? (c.nrules + 63) / 64 : 1;

	compile_field_keys(c.keys);

	memset(all, 0, sizeof(all));
	for (r = 0; r < c.nrules; r++)
		BIT_SET(all, r);
	for (f = 0; f < FT_NFIELDS; f++) {
		memset(c.unconstrained[f], 0, sizeof(c.unconstrained[f]));
		for (r = 0; r < c.nrules; r++) {
			if (has_key(&c, &pol->rules[r], f))
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

	/* the dispatch: one part of the search per row of the field table */
	for (fd = ft_fields, err = 0; !err && fd < ft_fields + FT_NMATCH_FIELDS; fd++)
		err = compile_field(&c, fd);
	if (!err)
		err = compile_dynsets(&c);
	if (!err)
		err = compile_verdicts(&c);
	if (err)
		goto fail;
	compile_prefilter(&c);

	out->sets = pol->sets;
	out->nsets = pol->nsets;
	out->hdr.mark_mask = pol->mark_mask;
	out->hdr.nrules = c.nrules;
	out->hdr.nwords = c.bt.nwords;
	out->hdr.nclasses = pol->nclasses;
	out->hdr.flags |= pol->tc_ok ? FT_POL_F_TC_OK : 0;
	out->bitmaps = c.bt.v;
	out->nbitmaps = c.bt.n;
	/* the one-word search: flowtag/maps.h, FT_POL_F_WORD */
	if (c.bt.nwords == 1 && !(out->hdr.flags & FT_POL_F_DYNSETS) && c.bt.n <= FT_BMW_MAX)
		out->hdr.flags |= FT_POL_F_WORD;
	/* else the bitmap search from the heads: FT_POL_F_HEADS */
	else if (!(out->hdr.flags & FT_POL_F_DYNSETS) && c.bt.n <= FT_BMW_MAX)
		out->hdr.flags |= FT_POL_F_HEADS;
	ft_flow_cache_choose(pol, out);
	free(c.bt.slots);
	return 0;
fail:
	free(c.bt.v);
	free(c.bt.slots);
	{
		const char *too_big = out->too_big;
		size_t too_big_prefixes = out->too_big_prefixes;

		ft_compiled_free(out);
		out->too_big = too_big;
		out->too_big_prefixes = too_big_prefixes;
	}
	return err;
}

/* Whether @b has more than one non-zero word. */
static bool ft_bm_multi(const struct ft_bitmap *b)
{
	return b->summary & (b->summary - 1);
}

/* How many bitmaps of @c the heads search reads whole in ft_bitmaps:
 * those of more than one non-zero word but the all-rules one. */
static size_t ft_bm_read_whole(const struct ft_compiled *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nbitmaps; i++)
		n += ft_bm_multi(&c->bitmaps[i]) && i != c->hdr.all_bm;
	return n;
}

struct ft_bm_head ft_bm_head_of(const struct ft_compiled *c, size_t i)
{
	struct ft_bm_head x = { 0 };

	if (i >= c->nbitmaps)
		return x;
	x.summary = c->bitmaps[i].summary;
	if (ft_bm_multi(&c->bitmaps[i]))
		x.word = i == c->hdr.all_bm ? FT_BM_HEAD_ALL : i;
	else if (x.summary)
		x.word = c->bitmaps[i].w[__builtin_ctzll(x.summary)];
	return x;
}

uint64_t ft_search_bytes(const struct ft_compiled *c)
{
	/* the one-word search reads ft_bmw, one word a bitmap */
	uint64_t words = c->hdr.flags & FT_POL_F_WORD ? 1 : 1 + c->hdr.nwords;
	unsigned int x;
	uint64_t n;

	/* the heads, and the bitmaps a head does not hold whole */
	if (c->hdr.flags & FT_POL_F_HEADS)
		n = (uint64_t)c->nbitmaps * sizeof(struct ft_bm_head) +
		    ft_bm_read_whole(c) * words * sizeof(__u64);
	else
		n = (uint64_t)c->nbitmaps * words * sizeof(__u64);

	/* an IPv4 field's prefix hash, else its table */
	for (x = 0; x < 2; x++) {
		const struct ft_pfx4_table *t = ft_pfx4_of(c, x);

		if (c->hdr.used_fields & (1u << (x ? FT_F_DST : FT_F_SRC)))
			n += t ? ft_pfx4_bytes(t) : ft_dir4_bytes(x ? &c->dst4_table : &c->src4_table);
	}
	return n;
}

/* Distinct prefix lengths besides /0 among @e (@n entries). */
static unsigned int pfx4_lengths(const struct ft_lpm4_ent *e, size_t n)
{
	uint64_t seen = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].key.prefixlen > 0 && e[i].key.prefixlen <= 32)
			seen |= 1ULL << e[i].key.prefixlen;
	return (unsigned int)__builtin_popcountll(seen);
}

const char *ft_prefix4_describe(const struct ft_compiled *c, char *buf, size_t len)
{
	char part[2][96];
	unsigned int x;

	for (x = 0; x < 2; x++) {
		const struct ft_pfx4_table *t = ft_pfx4_of(c, x);
		unsigned int n = pfx4_lengths(x ? c->dst4 : c->src4, x ? c->ndst4 : c->nsrc4);
		bool dyn = false;
		size_t i;

		for (i = 0; i < c->ndyn; i++)
			dyn |= !!(c->dyn[i].fields & (x ? FT_SET_E_DST : FT_SET_E_SRC));
		if (!n)
			snprintf(part[x], sizeof(part[x]), "%s no static IPv4 prefix%s", x ? "dst" : "src",
				 dyn ? " (dynamic sets: their tries)" : "");
		else if (t)
			snprintf(part[x], sizeof(part[x]), "%s hashed (%u length%s besides /0, "
				 "%u bucket%s)", x ? "dst" : "src", n, n == 1 ? "" : "s",
				 t->nbuckets, t->nbuckets == 1 ? "" : "s");
		else if (n > FT_PFX4_LENS)
			snprintf(part[x], sizeof(part[x]), "%s in its table (%u lengths besides /0, "
				 "more than %u)", x ? "dst" : "src", n, FT_PFX4_LENS);
		else
			snprintf(part[x], sizeof(part[x]), "%s in its table (more prefixes than %u "
				 "buckets hold)", x ? "dst" : "src", FT_PFX4_BUCKETS);
	}
	snprintf(buf, len, "%s, %s", part[0], part[1]);
	return buf;
}

/* Words of bitmap @bi the search visits at most: its summary's bits. */
static unsigned int bm_words(const struct ft_compiled *c, uint32_t bi)
{
	return bi < c->nbitmaps ? (unsigned int)__builtin_popcountll(c->bitmaps[bi].summary) : 0;
}

static unsigned int max_u(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

/* The most words any bitmap a packet can get for field @f has non-zero. */
static unsigned int field_words(const struct ft_compiled *c, unsigned int f)
{
	static const struct {
		unsigned int f;
		uint32_t off, n;
	} sc[] = {
		{ FT_F_DPORT, FT_SC_DPORT, 65536 }, { FT_F_SPORT, FT_SC_SPORT, 65536 },
		{ FT_F_PROTO, FT_SC_PROTO, 256 },   { FT_F_DSCP, FT_SC_DSCP, 64 },
		{ FT_F_VLAN, FT_SC_VLAN, 4096 },    { FT_F_TCPFL, FT_SC_TCPFL, 256 },
	};
	unsigned int w = bm_words(c, c->hdr.absent_bm[f]);
	size_t i, j;

	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		if (sc[i].f == f)
			for (j = 0; j < sc[i].n; j++)
				w = max_u(w, bm_words(c, c->scalar[sc[i].off + j]));
	if (f == FT_F_SRC || f == FT_F_DST) {
		const struct ft_lpm4_ent *e4 = f == FT_F_SRC ? c->src4 : c->dst4;
		const struct ft_lpm6_ent *e6 = f == FT_F_SRC ? c->src6 : c->dst6;
		size_t n4 = f == FT_F_SRC ? c->nsrc4 : c->ndst4, n6 = f == FT_F_SRC ? c->nsrc6 : c->ndst6;

		for (j = 0; j < n4; j++)
			w = max_u(w, bm_words(c, e4[j].bm));
		for (j = 0; j < n6; j++)
			w = max_u(w, bm_words(c, e6[j].bm));
	}
	if (f == FT_F_IIF)
		for (j = 0; j < c->niif; j++)
			w = max_u(w, bm_words(c, c->iif[j].bm));
	return w;
}

unsigned int ft_search_words(const struct ft_compiled *c)
{
	unsigned int f, fw, w = FT_BM_WORDS, used = 0;

	if (!c->scalar)
		return 0;
	/* a word is visited only when its bit is set in the summary of every
	 * field's bitmap: at most the fewest any one field allows */
	for (f = 0; f < FT_NFIELDS; f++) {
		if (!(c->hdr.used_fields & (1u << f)))
			continue;
		fw = field_words(c, f);
		w = fw < w ? fw : w;
		used++;
	}
	/* no field used: every rule accepts every packet, word 0 decides */
	return used ? w : 1;
}

/* Whether IPv6 prefixes longer than the /0 every table has are in @e (@n). */
static bool has_v6_prefixes(const struct ft_lpm6_ent *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i].key.prefixlen > 0)
			return true;
	return false;
}

void ft_flow_cache_choose(const struct ft_policy *pol, struct ft_compiled *c)
{
	if (pol->flow_cache == FT_FLOW_CACHE_ON)
		c->flow_cache_reason = FT_FC_SET_ON;
	else if (pol->flow_cache == FT_FLOW_CACHE_OFF)
		c->flow_cache_reason = FT_FC_SET_OFF;
	else if (c->hdr.flags & FT_POL_F_DYNSETS)
		c->flow_cache_reason = FT_FC_AUTO_DYNSETS;
	else if (has_v6_prefixes(c->src6, c->nsrc6) || has_v6_prefixes(c->dst6, c->ndst6))
		c->flow_cache_reason = FT_FC_AUTO_IPV6;
	else if (ft_search_words(c) > FT_FLOW_CACHE_AUTO_WORDS)
		c->flow_cache_reason = FT_FC_AUTO_WORDS;
	else
		c->flow_cache_reason = FT_FC_AUTO_BOUNDED;
	if (c->flow_cache_reason == FT_FC_SET_OFF || c->flow_cache_reason == FT_FC_AUTO_BOUNDED)
		c->hdr.flags |= FT_POL_F_NOCACHE;
	else
		c->hdr.flags &= ~FT_POL_F_NOCACHE;
}

const char *ft_flow_cache_describe(const struct ft_compiled *c, char *buf, size_t len)
{
	uint64_t bytes = ft_search_bytes(c);
	unsigned int words = ft_search_words(c);	/* a walk of every field's bitmaps: once */
	char size[32];

	/* a port-only policy's few words are not "0.00 MiB"; and nothing
	 * that %.1f would round up to "1024.0" is given in KiB */
	if (bytes < 1024)
		snprintf(size, sizeof(size), "%llu bytes", (unsigned long long)bytes);
	else if (bytes / 1024.0 < 1023.95)
		snprintf(size, sizeof(size), "%.1f KiB", bytes / 1024.0);
	else
		snprintf(size, sizeof(size), "%.2f MiB", bytes / (double)(1 << 20));

	switch (c->flow_cache_reason) {
	case FT_FC_SET_ON:
		snprintf(buf, len, "on (flow_cache \"on\")");
		break;
	case FT_FC_SET_OFF:
		snprintf(buf, len, "off (flow_cache \"off\")");
		break;
	case FT_FC_AUTO_DYNSETS:
		snprintf(buf, len, "on (flow_cache \"auto\": the rules name dynamic sets)");
		break;
	case FT_FC_AUTO_IPV6:
		snprintf(buf, len, "on (flow_cache \"auto\": the rules match IPv6 prefixes)");
		break;
	case FT_FC_AUTO_WORDS:
		snprintf(buf, len, "on (flow_cache \"auto\": the search can visit %u bitmap words, "
			 "more than %u)", words, FT_FLOW_CACHE_AUTO_WORDS);
		break;
	case FT_FC_AUTO_BOUNDED:
	default:
		snprintf(buf, len, "off (flow_cache \"auto\": no dynamic set or IPv6 prefix, "
			 "the search visits at most %u bitmap word%s: %s of tables)",
			 words, words == 1 ? "" : "s", size);
		break;
	}
	return buf;
}

const char *ft_search_describe(const struct ft_compiled *c, char *buf, size_t len)
{
	char why[96];

	/* in the order of the test in ft_compile() */
	if (c->hdr.flags & FT_POL_F_WORD) {
		snprintf(buf, len, "one-word (at most 64 rules, no dynamic set, at most %u distinct "
			 "bitmaps: one word per field)", FT_BMW_MAX);
		return buf;
	}
	if (c->hdr.flags & FT_POL_F_HEADS)
		snprintf(why, sizeof(why), "%zu of %zu bitmaps read from their 16-byte heads alone",
			 c->nbitmaps - ft_bm_read_whole(c), c->nbitmaps);
	else if (c->hdr.flags & FT_POL_F_DYNSETS)
		snprintf(why, sizeof(why), "the rules name dynamic sets");
	else
		snprintf(why, sizeof(why), "%zu distinct bitmaps, more than %u", c->nbitmaps,
			 FT_BMW_MAX);
	if (c->hdr.nwords > 1)
		snprintf(buf, len, "bitmap (%u rules, more than 64: %u words per bitmap; %s)",
			 c->hdr.nrules, c->hdr.nwords, why);
	else
		snprintf(buf, len, "bitmap (%s)", why);
	return buf;
}

/* How many distinct interfaces the rules' iif lists name, counted as
 * compile_iif() counts them (absent ones, ifindex 0, not), up to
 * FT_MAX_IFACES + 1: enough to tell whether they are too many. */
static size_t distinct_iifs(const struct ft_policy *pol)
{
	uint32_t seen[FT_MAX_IFACES + 1];
	size_t r, i, k, n = 0;

	for (r = 0; r < pol->nrules; r++) {
		const struct ft_match *m = &pol->rules[r].match;

		if (!(m->keys & FT_MK_IIF))
			continue;
		for (i = 0; i < m->niif && n <= FT_MAX_IFACES; i++) {
			if (!m->iif_index[i])
				continue;
			for (k = 0; k < n && seen[k] != m->iif_index[i]; k++)
				;
			if (k == n)
				seen[n++] = m->iif_index[i];
		}
	}
	return n;
}

/* The static prefix set with the most IPv4 prefixes among those the rules
 * match on @dst (or src); -1 when they name none. */
static int largest_set4(const struct ft_policy *pol, bool dst, size_t *n4)
{
	int best = -1;
	size_t r, i, k, n;

	*n4 = 0;
	for (r = 0; r < pol->nrules; r++) {
		const struct ft_addr_match *m = dst ? &pol->rules[r].match.dst :
						      &pol->rules[r].match.src;

		for (i = 0; i < m->nsets; i++) {
			const struct ft_prefix_set *set = &pol->sets[m->sets[i]];

			if (set->dynamic)
				continue;
			for (k = 0, n = 0; k < set->npfx; k++)
				n += set->pfx[k].family == AF_INET;
			if (best < 0 || n > *n4) {
				best = m->sets[i];
				*n4 = n;
			}
		}
	}
	return best;
}

void ft_compile_error(const struct ft_policy *pol, const struct ft_compiled *c, int err,
		      char *buf, size_t len)
{
	const char *file = pol->file ? pol->file : "policy";
	char set[FT_SET_NAME_LEN + PATH_MAX + 64] = "", ref[PATH_MAX + 32];
	size_t n4;
	int s;

	if (err == -EFBIG) {
		const char *side = c->too_big ? c->too_big : "src or dst";

		s = c->too_big ? largest_set4(pol, !strcmp(c->too_big, "dst"), &n4) : -1;
		if (s >= 0)
			snprintf(set, sizeof(set), "; the most from prefix set '%s' (%s), %zu",
				 pol->sets[s].name,
				 ft_policy_ref(pol, file, pol->sets[s].src_file, pol->sets[s].line,
					       ref, sizeof(ref)),
				 n4);
		snprintf(buf, len, "%s: error: the IPv4 %s prefixes of the rules (%zu distinct%s) %s",
			 file, side, c->too_big_prefixes, set, FT_DIR4_TOO_BIG);
	} else if (err != -E2BIG) {
		snprintf(buf, len, "%s: error: cannot compile the policy: %s", file,
			 strerror(-err));
	} else if (pol->nrules > FT_MAX_RULES) {
		snprintf(buf, len, "%s: error: too many rules (%zu; at most %d)", file,
			 pol->nrules, FT_MAX_RULES);
	} else if (pol->nclasses > FT_MAX_CLASSES) {
		snprintf(buf, len, "%s: error: too many classes (%zu; at most %d)", file,
			 pol->nclasses, FT_MAX_CLASSES);
	} else if (distinct_iifs(pol) > FT_MAX_IFACES) {
		snprintf(buf, len, "%s: error: rules name too many interfaces in iif (more than "
			 "%d)", file, FT_MAX_IFACES);
	} else {
		snprintf(buf, len, "%s: error: the rules need more than %u distinct rule "
			 "bitmaps: split large port or prefix lists across fewer rules", file,
			 FT_MAX_BITMAPS);
	}
}

void ft_compiled_free(struct ft_compiled *c)
{
	free(c->rules);
	free(c->rule_info);
	free(c->rule_name);
	free(c->rule_file);
	free(c->srcfiles);
	free(c->classes);
	free(c->scalar);
	free(c->bitmaps);
	free(c->src4);
	free(c->dst4);
	free(c->src4_table.e);
	free(c->dst4_table.e);
	free(c->src4_pfx.b);
	free(c->dst4_pfx.b);
	free(c->src6);
	free(c->dst6);
	free(c->iif);
	free(c->marks);
	free(c->dynor);
	memset(c, 0, sizeof(*c));
}

/* ---- userspace mirror of the BPF lookup ---- */

static uint32_t lpm_lookup(const struct ft_compiled *c, enum ft_field f, const struct ft_flow_key *k)
{
	const uint32_t *addr = f == FT_F_SRC ? k->src : k->dst;
	const struct ft_lpm6_ent *e = f == FT_F_SRC ? c->src6 : c->dst6;
	size_t i, n = f == FT_F_SRC ? c->nsrc6 : c->ndst6;
	uint32_t best_bm = UINT32_MAX;
	int best = -1;

	/* IPv4: what the kernel reads, as ft_prefix_bm() reads it */
	if (k->family == FT_FAM_IPV4)
		return ipv4_bm(c, f == FT_F_DST, addr[0]);
	for (i = 0; i < n; i++) {
		struct ft_prefix p = { .family = AF_INET6, .len = e[i].key.prefixlen };

		memcpy(p.addr, e[i].key.addr, 16);
		if ((int)p.len > best && ft_prefix_contains(&p, (const uint8_t *)addr)) {
			best = p.len;
			best_bm = e[i].bm;
		}
	}
	return best_bm;
}

/*
 * The search walks the field table: each field of a rule's match gives one
 * bitmap index, looked up the way the field's row says (the BPF side,
 * ft_first_rule() in xdp/classify.h, writes the same steps out).
 */
static uint32_t field_bitmap(const struct ft_compiled *c, const struct ft_field_desc *fd,
			     const struct ft_flow_key *k)
{
	const struct ft_policy_hdr *h = &c->hdr;
	enum ft_field f = (enum ft_field)fd->bpf_field;
	uint32_t idx = h->absent_bm[f];
	size_t i;
	int v;

	switch (fd->table) {
	case FT_TABLE_RANGES:
	case FT_TABLE_VALUES:
		v = fd->flow_value(k);
		if (v >= 0)
			idx = c->scalar[fd->table_base + (uint32_t)v];
		break;
	case FT_TABLE_TRIE:
		if (k->family != FT_FAM_NONE)
			idx = lpm_lookup(c, f, k);
		break;
	case FT_TABLE_IFINDEX:
		for (i = 0; i < c->niif; i++)
			if (c->iif[i].ifindex == k->ifindex)
				idx = c->iif[i].bm;
		break;
	case FT_TABLE_NONE:
		break;
	}
	return idx;
}

uint32_t ft_compiled_match(const struct ft_compiled *c, const struct ft_flow_key *k)
{
	const struct ft_policy_hdr *h = &c->hdr;
	const struct ft_field_desc *fd;
	uint32_t idx[FT_NFIELDS], xidx[2];
	bool ip = k->family != FT_FAM_NONE;
	uint64_t sum = ~0ULL;
	unsigned int f, w;

	/* the data path asks the pre-filter first (ft_decide()): so do we,
	 * and the differential tests hold it to the reference */
	w = prefilter_match(c, k);
	if (w != FT_RULE_NONE)
		return w;
	for (f = 0; f < FT_NFIELDS; f++)
		idx[f] = h->all_bm;
	for (fd = ft_fields; fd < ft_fields + FT_NMATCH_FIELDS; fd++)
		if (fd->bpf_field >= 0 && (h->used_fields & (1u << fd->bpf_field)))
			idx[fd->bpf_field] = field_bitmap(c, fd, k);
	/* dynamic sets: extra src/dst bitmaps OR'ed in, as ft_first_rule() */
	xidx[0] = idx[FT_F_SRC];
	xidx[1] = idx[FT_F_DST];
	if ((h->flags & FT_POL_F_DYNSETS) && ip && c->dynor) {
		uint32_t hits = ft_compiled_dyn_hits(c, k), mask = (1u << FT_MAX_DYNSETS) - 1;
		unsigned int v6 = k->family == FT_FAM_IPV6;

		xidx[0] = c->dynor[FT_DYNOR_IDX(0, 0, v6, hits & mask)];
		xidx[1] = c->dynor[FT_DYNOR_IDX(0, 1, v6, (hits >> FT_MAX_DYNSETS) & mask)];
	}
	if (xidx[0] >= c->nbitmaps || xidx[1] >= c->nbitmaps)
		return FT_RULE_NONE;
	for (f = 0; f < FT_NFIELDS; f++) {
		if (idx[f] >= c->nbitmaps)
			return FT_RULE_NONE;
		sum &= c->bitmaps[idx[f]].summary |
		       (f == FT_F_SRC ? c->bitmaps[xidx[0]].summary :
			f == FT_F_DST ? c->bitmaps[xidx[1]].summary : 0);
	}
	while (sum) {
		uint64_t acc = ~0ULL;

		w = __builtin_ctzll(sum);
		sum &= sum - 1;
		for (f = 0; f < FT_NFIELDS; f++)
			acc &= c->bitmaps[idx[f]].w[w] |
			       (f == FT_F_SRC ? c->bitmaps[xidx[0]].w[w] :
				f == FT_F_DST ? c->bitmaps[xidx[1]].w[w] : 0);
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
