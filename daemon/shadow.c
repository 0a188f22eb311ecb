// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Shadowed rules, from the compiled tables: see shadow.h.
 *
 * For rule r and each address family (not IP, IPv4, IPv6), every field
 * offers the distinct cells (bitmap indices) a packet of that family can
 * land in; those containing r are r's candidates. r is reachable when one
 * candidate per field leaves no earlier rule in the AND of their bitmaps.
 * A depth-first search over the fields finds such a choice: fields with
 * the fewest candidates first, candidates whose bitmaps keep the same
 * earlier rules tried once, the fewest survivors first. It stops after
 * NODE_BUDGET steps per rule and then judges nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

#define NODE_BUDGET	200000u
#define MAX_WITNESS	4	/* earlier rules named in a warning */

enum { FAM_NONE, FAM_V4, FAM_V6, NFAM };

/* The distinct cells of one field for one family. */
struct cells {
	uint32_t *v;
	size_t n;
};

struct shadow_ctx {
	const struct ft_policy *pol;
	const struct ft_compiled *comp;
	struct cells cells[NFAM][FT_NFIELDS];
	uint32_t *seen;		/* per bitmap: the stamp of the list it is in */
	uint32_t stamp;
	/* the rule being judged */
	uint32_t rule;
	unsigned int nw;	/* words holding the earlier rules */
	struct cells cand[FT_NFIELDS];
	unsigned int order[FT_NFIELDS];
	unsigned long nodes;
	bool out_of_budget;
	int witness[MAX_WITNESS];
	unsigned int nwitness;
};

static bool has_rule(const struct ft_bitmap *b, uint32_t r)
{
	return (b->w[r / 64] >> (r % 64)) & 1;
}

static int cells_add(struct shadow_ctx *x, struct cells *c, size_t *cap, uint32_t bm)
{
	if (bm >= x->comp->nbitmaps || x->seen[bm] == x->stamp)
		return 0;
	x->seen[bm] = x->stamp;
	if (c->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		uint32_t *v = realloc(c->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		*cap = ncap;
	}
	c->v[c->n++] = bm;
	return 0;
}

/* The cells of field @f for packets of family @fam. */
static int cells_build(struct shadow_ctx *x, int fam, enum ft_field f)
{
	static const uint32_t base[FT_NFIELDS] = {
		[FT_F_DPORT] = FT_SC_DPORT, [FT_F_SPORT] = FT_SC_SPORT, [FT_F_PROTO] = FT_SC_PROTO,
		[FT_F_DSCP] = FT_SC_DSCP,   [FT_F_TCPFL] = FT_SC_TCPFL, [FT_F_VLAN] = FT_SC_VLAN,
	};
	static const uint32_t domain[FT_NFIELDS] = {
		[FT_F_DPORT] = 65536, [FT_F_SPORT] = 65536, [FT_F_PROTO] = 256,
		[FT_F_DSCP] = 64,     [FT_F_TCPFL] = 256,   [FT_F_VLAN] = 4096,
	};
	const struct ft_compiled *c = x->comp;
	struct cells *out = &x->cells[fam][f];
	size_t cap = 0, i;
	int err = 0;

	x->stamp++;
	if (!(c->hdr.used_fields & (1u << f)))
		return cells_add(x, out, &cap, c->hdr.all_bm);
	switch (f) {
	case FT_F_SRC:
	case FT_F_DST:
		if (fam == FAM_NONE)
			return cells_add(x, out, &cap, c->hdr.absent_bm[f]);
		if (fam == FAM_V4) {
			const struct ft_lpm4_ent *e = f == FT_F_SRC ? c->src4 : c->dst4;
			size_t n = f == FT_F_SRC ? c->nsrc4 : c->ndst4;

			for (i = 0; !err && i < n; i++)
				err = cells_add(x, out, &cap, e[i].bm);
		} else {
			const struct ft_lpm6_ent *e = f == FT_F_SRC ? c->src6 : c->dst6;
			size_t n = f == FT_F_SRC ? c->nsrc6 : c->ndst6;

			for (i = 0; !err && i < n; i++)
				err = cells_add(x, out, &cap, e[i].bm);
		}
		return err;
	case FT_F_IIF:
		/* an interface no rule names, or one of those they name */
		err = cells_add(x, out, &cap, c->hdr.absent_bm[f]);
		for (i = 0; !err && i < c->niif; i++)
			err = cells_add(x, out, &cap, c->iif[i].bm);
		return err;
	case FT_F_VLAN:
		break;
	case FT_F_DSCP:
		if (fam == FAM_NONE)
			return cells_add(x, out, &cap, c->hdr.absent_bm[f]);
		for (i = 0; !err && i < domain[f]; i++)
			err = cells_add(x, out, &cap, c->scalar[base[f] + i]);
		return err;
	default:
		/* ports, protocol, TCP flags: a truncated packet may lack them */
		if (fam == FAM_NONE)
			return cells_add(x, out, &cap, c->hdr.absent_bm[f]);
		break;
	}
	err = cells_add(x, out, &cap, c->hdr.absent_bm[f]);
	for (i = 0; !err && i < domain[f]; i++)
		err = cells_add(x, out, &cap, c->scalar[base[f] + i]);
	return err;
}

/* Whether rule @r may be judged: its reach is fixed by the policy alone. */
static bool judgeable(const struct ft_rule *r)
{
	const struct ft_match *m = &r->match;
	size_t i;

	if (!(m->keys & FT_MK_IIF))
		return true;
	/* a pattern, or a name bound to no interface now: more may come */
	for (i = 0; i < m->niif_spec; i++)
		if (ft_ifname_is_pattern(m->iif_spec[i]))
			return false;
	for (i = 0; i < m->niif; i++)
		if (!m->iif_index[i])
			return false;
	return true;
}

struct projection {
	const uint64_t *w;
	uint64_t hash;
	unsigned int pop;
};

static int proj_cmp_hash(const void *a, const void *b)
{
	const struct projection *x = a, *y = b;

	return (x->hash > y->hash) - (x->hash < y->hash);
}

static int proj_cmp_pop(const void *a, const void *b)
{
	const struct projection *x = a, *y = b;

	return (x->pop > y->pop) - (x->pop < y->pop);
}

/*
 * Whether some choice of candidates for the fields from @depth on leaves
 * no earlier rule in @s. -ENOMEM on failure.
 */
static int reachable(struct shadow_ctx *x, unsigned int depth, const uint64_t *s)
{
	const struct cells *cand;
	struct projection *pr = NULL;
	uint64_t *words = NULL;
	size_t i, k, n;
	unsigned int w;
	int rc = 0;

	if (depth == FT_NFIELDS) {
		/* covered here: remember who covers, for the message */
		for (w = 0; w < x->nw; w++)
			if (s[w]) {
				int q = (int)(w * 64 + (unsigned int)__builtin_ctzll(s[w]));

				for (i = 0; i < x->nwitness && x->witness[i] != q; i++)
					;
				if (i == x->nwitness && x->nwitness < MAX_WITNESS)
					x->witness[x->nwitness++] = q;
				break;
			}
		return 0;
	}
	cand = &x->cand[x->order[depth]];
	n = cand->n;
	pr = calloc(n, sizeof(*pr));
	words = calloc(n * x->nw, sizeof(*words));
	if (!pr || !words) {
		rc = -ENOMEM;
		goto out;
	}
	/* each candidate's survivors, then the distinct ones, fewest first */
	for (i = 0; i < n; i++) {
		const struct ft_bitmap *b = &x->comp->bitmaps[cand->v[i]];
		uint64_t *o = words + i * x->nw, h = 0xcbf29ce484222325ULL;

		pr[i].w = o;
		for (w = 0; w < x->nw; w++) {
			o[w] = s[w] & b->w[w];
			h = (h ^ o[w]) * 0x100000001b3ULL;
			pr[i].pop += (unsigned int)__builtin_popcountll(o[w]);
		}
		pr[i].hash = h;
		if (!pr[i].pop) {
			rc = 1;
			goto out;
		}
	}
	qsort(pr, n, sizeof(*pr), proj_cmp_hash);
	for (i = 0, k = 0; i < n; i++)
		if (!k || pr[i].hash != pr[k - 1].hash ||
		    memcmp(pr[i].w, pr[k - 1].w, x->nw * sizeof(uint64_t)))
			pr[k++] = pr[i];
	qsort(pr, k, sizeof(*pr), proj_cmp_pop);
	for (i = 0; i < k && !rc; i++) {
		if (++x->nodes > NODE_BUDGET) {
			x->out_of_budget = true;
			break;
		}
		rc = reachable(x, depth + 1, pr[i].w);
	}
out:
	free(pr);
	free(words);
	return rc;
}

/* x->order: the fields by their number of candidates, fewest first (insertion sort of 9) */
static void order_fields(struct shadow_ctx *x)
{
	unsigned int i, j, t;

	for (i = 0; i < FT_NFIELDS; i++)
		x->order[i] = i;
	for (i = 1; i < FT_NFIELDS; i++)
		for (j = i; j > 0 && x->cand[x->order[j - 1]].n > x->cand[x->order[j]].n; j--) {
			t = x->order[j];
			x->order[j] = x->order[j - 1];
			x->order[j - 1] = t;
		}
}

/*
 * Judge rule @r: 1 shadowed, 0 not (or not known), -ENOMEM. @cover: an
 * earlier rule in every cell r is in, or -1.
 */
static int judge(struct shadow_ctx *x, uint32_t r, int *cover)
{
	uint64_t s[FT_BM_WORDS], all[FT_BM_WORDS];
	bool matchable = false;
	unsigned int f, w;
	size_t i;
	int fam, rc = 0;

	x->rule = r;
	x->nw = r / 64 + 1;
	x->nodes = 0;
	x->out_of_budget = false;
	x->nwitness = 0;
	*cover = -1;
	memset(all, 0xff, sizeof(all));
	for (fam = 0; fam < NFAM && !rc; fam++) {
		bool empty = false;

		for (f = 0; f < FT_NFIELDS; f++) {
			const struct cells *c = &x->cells[fam][f];
			struct cells *cd = &x->cand[f];

			cd->n = 0;
			for (i = 0; i < c->n; i++)
				if (has_rule(&x->comp->bitmaps[c->v[i]], r))
					cd->v[cd->n++] = c->v[i];
			empty |= !cd->n;
		}
		if (empty)
			continue;	/* no packet of this family matches r at all */
		matchable = true;
		order_fields(x);
		/* the earlier rules: bits below r */
		memset(s, 0, sizeof(s));
		for (w = 0; w < x->nw; w++)
			s[w] = w < r / 64 ? ~0ULL : (1ULL << (r % 64)) - 1;
		for (f = 0; f < FT_NFIELDS; f++)
			for (i = 0; i < x->cand[f].n; i++)
				for (w = 0; w < x->nw; w++)
					all[w] &= x->comp->bitmaps[x->cand[f].v[i]].w[w];
		rc = reachable(x, 0, s);
	}
	if (rc < 0)
		return rc;
	if (rc || !matchable || x->out_of_budget)
		return 0;
	for (w = 0; w < x->nw; w++) {
		uint64_t e = all[w] & (w < r / 64 ? ~0ULL : (1ULL << (r % 64)) - 1);

		if (e) {
			*cover = (int)(w * 64 + (unsigned int)__builtin_ctzll(e));
			break;
		}
	}
	return 1;
}

static void ctx_free(struct shadow_ctx *x)
{
	int fam, f;

	for (fam = 0; fam < NFAM; fam++)
		for (f = 0; f < FT_NFIELDS; f++)
			free(x->cells[fam][f].v);
	for (f = 0; f < FT_NFIELDS; f++)
		free(x->cand[f].v);
	free(x->seen);
}

/* Run judge() over every judgeable rule; @witness (may be NULL): per rule, up to MAX_WITNESS. */
static int find(const struct ft_policy *pol, const struct ft_compiled *comp, bool *shadowed,
		int *cover, int (*witness)[MAX_WITNESS])
{
	struct shadow_ctx x = { .pol = pol, .comp = comp };
	size_t maxn[FT_NFIELDS] = { 0 };
	uint32_t r;
	int fam, f, rc = 0;

	memset(shadowed, 0, pol->nrules * sizeof(*shadowed));
	if (cover)
		for (r = 0; r < pol->nrules; r++)
			cover[r] = -1;
	if (!pol->nrules || comp->nrules != pol->nrules)
		return 0;
	x.seen = calloc(comp->nbitmaps ? comp->nbitmaps : 1, sizeof(*x.seen));
	if (!x.seen)
		return -ENOMEM;
	for (fam = 0; fam < NFAM && !rc; fam++)
		for (f = 0; f < FT_NFIELDS && !rc; f++) {
			rc = cells_build(&x, fam, (enum ft_field)f);
			if (x.cells[fam][f].n > maxn[f])
				maxn[f] = x.cells[fam][f].n;
		}
	for (f = 0; f < FT_NFIELDS && !rc; f++) {
		x.cand[f].v = calloc(maxn[f] ? maxn[f] : 1, sizeof(uint32_t));
		if (!x.cand[f].v)
			rc = -ENOMEM;
	}
	/* rule 0 has no earlier rules */
	for (r = 1; r < pol->nrules && !rc; r++) {
		int c;

		if (!judgeable(&pol->rules[r]))
			continue;
		rc = judge(&x, r, &c);
		if (rc == 1) {
			shadowed[r] = true;
			if (cover)
				cover[r] = c;
			if (witness) {
				unsigned int i;

				for (i = 0; i < MAX_WITNESS; i++)
					witness[r][i] = i < x.nwitness ? x.witness[i] : -1;
			}
			rc = 0;
		}
	}
	ctx_free(&x);
	return rc < 0 ? rc : 0;
}

int ft_shadow_find(const struct ft_policy *pol, const struct ft_compiled *comp, bool *shadowed,
		   int *cover)
{
	return find(pol, comp, shadowed, cover, NULL);
}

/* " 'name'" of rule @r, or "" */
static const char *quoted_name(const struct ft_rule *r, char *buf, size_t len)
{
	if (!r->name[0])
		return "";
	snprintf(buf, len, " '%s'", r->name);
	return buf;
}

int ft_shadow_warn(const struct ft_policy *pol, const struct ft_compiled *comp,
		   struct ft_diag *diag)
{
	int (*witness)[MAX_WITNESS] = NULL;
	bool *shadowed = NULL, *live = NULL, *named = NULL;
	int *cover = NULL, err;
	size_t r, catchall = pol->nrules, i;
	char n1[FT_NAME_LEN + 4], n2[FT_NAME_LEN + 4];

	shadowed = calloc(pol->nrules + 1, sizeof(*shadowed));
	cover = calloc(pol->nrules + 1, sizeof(*cover));
	witness = calloc(pol->nrules + 1, sizeof(*witness));
	live = calloc(pol->nclasses + 1, sizeof(*live));
	named = calloc(pol->nclasses + 1, sizeof(*named));
	err = -ENOMEM;
	if (!shadowed || !cover || !witness || !live || !named)
		goto out;
	err = find(pol, comp, shadowed, cover, witness);
	if (err)
		goto out;
	/* after a rule that matches everything the parser has warned already */
	for (r = 0; r < pol->nrules && catchall == pol->nrules; r++)
		if (!pol->rules[r].match.keys)
			catchall = r;
	for (r = 0; r < pol->nrules; r++) {
		const struct ft_rule *rule = &pol->rules[r];

		if (rule->action == FT_ACT_CLASS && rule->class_idx >= 0) {
			named[rule->class_idx] = true;
			live[rule->class_idx] |= !shadowed[r];
		}
		if (!shadowed[r] || r > catchall)
			continue;
		if (cover[r] >= 0) {
			const struct ft_rule *q = &pol->rules[cover[r]];

			ft_diag_add(diag, pol->file, rule->line, false,
				    "rule %zu%s can never match: rule %d%s (line %d) before it "
				    "matches every packet it matches", r,
				    quoted_name(rule, n1, sizeof(n1)), cover[r],
				    quoted_name(q, n2, sizeof(n2)), q->line);
		} else {
			char lines[96] = "";
			size_t n = 0;

			for (i = 0; i < MAX_WITNESS && witness[r][i] >= 0 && n < sizeof(lines); i++)
				n += (size_t)snprintf(lines + n, sizeof(lines) - n, "%s%d",
						      i ? ", " : "",
						      pol->rules[witness[r][i]].line);
			ft_diag_add(diag, pol->file, rule->line, false,
				    "rule %zu%s can never match: the rules before it take every "
				    "packet it matches between them (lines %s%s)", r,
				    quoted_name(rule, n1, sizeof(n1)), lines,
				    i == MAX_WITNESS ? ", ..." : "");
		}
	}
	if (pol->default_class >= 0)
		live[pol->default_class] = true;
	for (i = 0; i < pol->nclasses; i++)
		if (named[i] && !live[i])
			ft_diag_add(diag, pol->file, pol->classes[i].line, false,
				    "class '%s' is used only by rules that can never match: no "
				    "packet gets it", pol->classes[i].name);
	err = 0;
out:
	free(shadowed);
	free(cover);
	free(witness);
	free(live);
	free(named);
	return err;
}
