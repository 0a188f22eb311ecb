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
 * earlier rules tried once, the fewest survivors first; the earlier rules
 * still alive are kept as their non-zero words only, so it gets cheaper as
 * it descends. It stops after RULE_BUDGET word operations for one rule,
 * and TOTAL_BUDGET for the policy (a second or two for 4096 rules over a
 * 10^5-prefix set), and then judges nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"
#include "shadow.h"

#define NODE_COST	128		/* a search step, in word operations */
#define RULE_BUDGET	(4ull << 20)	/* word operations per rule */
#define TOTAL_BUDGET	(40ull << 20)	/* ... per policy: a second or two */
#define MAX_WITNESS	4	/* earlier rules named in a warning */

enum { FAMILY_NONE, FAMILY_IPV4, FAMILY_IPV6, NFAMILIES };

/* The distinct cells of one field for one family. */
struct cells {
	uint32_t *v;
	size_t n;
};

struct shadow_ctx {
	const struct ft_policy *pol;
	const struct ft_compiled *comp;
	unsigned int keys[FT_NFIELDS];	/* FT_MK_* that constrain each field */
	struct cells cells[NFAMILIES][FT_NFIELDS];
	uint32_t *seen;		/* per bitmap: the stamp of the list it is in */
	uint32_t stamp;
	/* the rule being judged: its candidates, in candidate_buf or all of cells */
	struct cells candidates[FT_NFIELDS];
	uint32_t *candidate_buf[FT_NFIELDS];
	unsigned int order[FT_NFIELDS];
	uint64_t work;		/* word operations spent on this rule */
	uint64_t budget;	/* ... allowed */
	uint64_t total;		/* spent on every rule so far */
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

/* The cells of field @f for packets of family @family. */
static int cells_build(struct shadow_ctx *x, int family, enum ft_field f)
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
	struct cells *out = &x->cells[family][f];
	size_t cap = 0, i;
	int err = 0;

	x->stamp++;
	if (!(c->hdr.used_fields & (1u << f)))
		return cells_add(x, out, &cap, c->hdr.all_bm);
	switch (f) {
	case FT_F_SRC:
	case FT_F_DST:
		if (family == FAMILY_NONE)
			return cells_add(x, out, &cap, c->hdr.absent_bm[f]);
		if (family == FAMILY_IPV4) {
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
		if (family == FAMILY_NONE)
			return cells_add(x, out, &cap, c->hdr.absent_bm[f]);
		for (i = 0; !err && i < domain[f]; i++)
			err = cells_add(x, out, &cap, c->scalar[base[f] + i]);
		return err;
	default:
		/* ports, protocol, TCP flags: a truncated packet may lack them */
		if (family == FAMILY_NONE)
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

/*
 * The earlier rules still alive: only the words that are not zero, as
 * (word index, bits) pairs, so the search gets cheaper as it descends.
 */
struct survivors {
	const uint32_t *idx;	/* word indices, ascending */
	const uint64_t *w;	/* their bits */
	unsigned int n;		/* words */
};

struct projection {
	uint32_t *idx;
	uint64_t *w;
	unsigned int n;
	unsigned int pop;
	uint64_t hash;
};

static int projection_cmp_hash(const void *a, const void *b)
{
	const struct projection *x = a, *y = b;

	return (x->hash > y->hash) - (x->hash < y->hash);
}

static int projection_cmp_pop(const void *a, const void *b)
{
	const struct projection *x = a, *y = b;

	return (x->pop > y->pop) - (x->pop < y->pop);
}

static bool projection_eq(const struct projection *a, const struct projection *b)
{
	return a->hash == b->hash && a->n == b->n &&
	       !memcmp(a->idx, b->idx, a->n * sizeof(*a->idx)) &&
	       !memcmp(a->w, b->w, a->n * sizeof(*a->w));
}

/* Remember the lowest survivor of a covered leaf, for the message. */
static void note_witness(struct shadow_ctx *x, const struct survivors *s)
{
	int q = (int)(s->idx[0] * 64 + (unsigned int)__builtin_ctzll(s->w[0]));
	unsigned int i;

	for (i = 0; i < x->nwitness && x->witness[i] != q; i++)
		;
	if (i == x->nwitness && x->nwitness < MAX_WITNESS)
		x->witness[x->nwitness++] = q;
}

/*
 * Whether some choice of candidates for the fields from @depth on leaves
 * no earlier rule of @s. 1 yes, 0 no (or out of budget), -ENOMEM.
 */
static int reachable(struct shadow_ctx *x, unsigned int depth, const struct survivors *s)
{
	const struct cells *candidates;
	struct projection *pr = NULL;
	uint32_t *idx = NULL;
	uint64_t *words = NULL;
	size_t i, k, n;
	unsigned int j;
	int rc = 0;

	if (depth == FT_NFIELDS) {
		note_witness(x, s);	/* covered here */
		return 0;
	}
	candidates = &x->candidates[x->order[depth]];
	n = candidates->n;
	/* a step costs its words, and some for its allocations and sorting */
	x->work += n * s->n + n + NODE_COST;
	if (x->work > x->budget) {
		x->out_of_budget = true;
		return 0;
	}
	pr = calloc(n, sizeof(*pr));
	idx = calloc(n * s->n, sizeof(*idx));
	words = calloc(n * s->n, sizeof(*words));
	if (!pr || !idx || !words) {
		rc = -ENOMEM;
		goto out;
	}
	/* each candidate's survivors, then the distinct ones, fewest first */
	for (i = 0; i < n; i++) {
		const struct ft_bitmap *b = &x->comp->bitmaps[candidates->v[i]];
		struct projection *p = &pr[i];
		uint64_t h = 0xcbf29ce484222325ULL;

		p->idx = idx + i * s->n;
		p->w = words + i * s->n;
		for (j = 0; j < s->n; j++) {
			uint64_t v = s->w[j] & b->w[s->idx[j]];

			if (!v)
				continue;
			p->idx[p->n] = s->idx[j];
			p->w[p->n++] = v;
			h = ((h ^ s->idx[j]) * 0x100000001b3ULL ^ v) * 0x100000001b3ULL;
			p->pop += (unsigned int)__builtin_popcountll(v);
		}
		p->hash = h;
		if (!p->n) {
			rc = 1;
			goto out;
		}
	}
	qsort(pr, n, sizeof(*pr), projection_cmp_hash);
	for (i = 0, k = 0; i < n; i++)
		if (!k || !projection_eq(&pr[i], &pr[k - 1]))
			pr[k++] = pr[i];
	qsort(pr, k, sizeof(*pr), projection_cmp_pop);
	for (i = 0; i < k && !rc && !x->out_of_budget; i++) {
		struct survivors child = { .idx = pr[i].idx, .w = pr[i].w, .n = pr[i].n };

		rc = reachable(x, depth + 1, &child);
	}
out:
	free(pr);
	free(idx);
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
		for (j = i; j > 0 && x->candidates[x->order[j - 1]].n > x->candidates[x->order[j]].n; j--) {
			t = x->order[j];
			x->order[j] = x->order[j - 1];
			x->order[j - 1] = t;
		}
}

/* x->candidates: the cells of family @family that contain rule @r. Return: false when a field has none. */
static bool find_candidates(struct shadow_ctx *x, int family, uint32_t r)
{
	bool empty = false;
	unsigned int f;
	size_t i;

	for (f = 0; f < FT_NFIELDS; f++) {
		const struct cells *c = &x->cells[family][f];
		struct cells *cs = &x->candidates[f];

		/* a field r does not constrain: r is in every cell of it */
		if (!(x->pol->rules[r].match.keys & x->keys[f])) {
			*cs = *c;
			empty |= !cs->n;
			continue;
		}
		cs->v = x->candidate_buf[f];
		cs->n = 0;
		for (i = 0; i < c->n; i++)
			if (has_rule(&x->comp->bitmaps[c->v[i]], r))
				cs->v[cs->n++] = c->v[i];
		x->work += c->n;
		empty |= !cs->n;
	}
	return !empty;
}

/* An earlier rule in every cell rule @r is in (it alone covers r), or -1. */
static int single_cover(struct shadow_ctx *x, uint32_t r)
{
	uint64_t all[FT_BM_WORDS];
	unsigned int f, w, nw = r / 64 + 1;
	size_t i;
	int family;

	for (w = 0; w < nw; w++)
		all[w] = w < r / 64 ? ~0ULL : (1ULL << (r % 64)) - 1;
	for (family = 0; family < NFAMILIES; family++) {
		if (!find_candidates(x, family, r))
			continue;
		for (f = 0; f < FT_NFIELDS; f++)
			for (i = 0; i < x->candidates[f].n; i++)
				for (w = 0; w < nw; w++)
					all[w] &= x->comp->bitmaps[x->candidates[f].v[i]].w[w];
	}
	for (w = 0; w < nw; w++)
		if (all[w])
			return (int)(w * 64 + (unsigned int)__builtin_ctzll(all[w]));
	return -1;
}

/* Judge rule @r: 1 shadowed, 0 not (or not known), -ENOMEM. */
static int judge(struct shadow_ctx *x, uint32_t r)
{
	uint32_t idx[FT_BM_WORDS];
	uint64_t w[FT_BM_WORDS];
	struct survivors e = { .idx = idx, .w = w };
	bool matchable = false;
	int family, rc = 0;

	x->work = 0;
	x->budget = x->total < TOTAL_BUDGET ? TOTAL_BUDGET - x->total : 0;
	if (x->budget > RULE_BUDGET)
		x->budget = RULE_BUDGET;
	x->out_of_budget = !x->budget;
	x->nwitness = 0;
	/* the earlier rules: bits below r */
	for (e.n = 0; e.n < r / 64 + (r % 64 != 0); e.n++) {
		idx[e.n] = e.n;
		w[e.n] = e.n < r / 64 ? ~0ULL : (1ULL << (r % 64)) - 1;
	}
	for (family = 0; family < NFAMILIES && !rc && !x->out_of_budget; family++) {
		if (!find_candidates(x, family, r))
			continue;	/* no packet of this family matches r at all */
		matchable = true;
		order_fields(x);
		rc = reachable(x, 0, &e);
	}
	x->total += x->work;
	if (rc < 0)
		return rc;
	return !rc && matchable && !x->out_of_budget;
}

static void ctx_free(struct shadow_ctx *x)
{
	int family, f;

	for (family = 0; family < NFAMILIES; family++)
		for (f = 0; f < FT_NFIELDS; f++)
			free(x->cells[family][f].v);
	for (f = 0; f < FT_NFIELDS; f++)
		free(x->candidate_buf[f]);
	free(x->seen);
}

/* Run judge() over every judgeable rule; @witness (may be NULL): per rule, up to MAX_WITNESS. */
static int find(const struct ft_policy *pol, const struct ft_compiled *comp, bool *shadowed,
		int *cover, int (*witness)[MAX_WITNESS])
{
	struct shadow_ctx x = { .pol = pol, .comp = comp };
	size_t maxn[FT_NFIELDS] = { 0 };
	uint32_t r;
	int family, f, rc = 0;

	memset(shadowed, 0, pol->nrules * sizeof(*shadowed));
	if (cover)
		for (r = 0; r < pol->nrules; r++)
			cover[r] = -1;
	if (!pol->nrules || comp->nrules != pol->nrules)
		return 0;
	compile_field_keys(x.keys);
	x.seen = calloc(comp->nbitmaps ? comp->nbitmaps : 1, sizeof(*x.seen));
	if (!x.seen)
		return -ENOMEM;
	for (family = 0; family < NFAMILIES && !rc; family++)
		for (f = 0; f < FT_NFIELDS && !rc; f++) {
			rc = cells_build(&x, family, (enum ft_field)f);
			if (x.cells[family][f].n > maxn[f])
				maxn[f] = x.cells[family][f].n;
		}
	for (f = 0; f < FT_NFIELDS && !rc; f++) {
		x.candidate_buf[f] = calloc(maxn[f] ? maxn[f] : 1, sizeof(uint32_t));
		if (!x.candidate_buf[f])
			rc = -ENOMEM;
	}
	/* rule 0 has no earlier rules */
	for (r = 1; r < pol->nrules && !rc; r++) {
		if (!judgeable(&pol->rules[r]))
			continue;
		rc = judge(&x, r);
		if (rc == 1) {
			shadowed[r] = true;
			if (cover)
				cover[r] = single_cover(&x, r);
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
	char n1[FT_NAME_LEN + 4], n2[FT_NAME_LEN + 4], ref[PATH_MAX + 32];
	const char *here;

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
		/* the rule's own file, and the rules it names: "line N" or "FILE:N" */
		here = ft_policy_file(pol, rule->src_file);
		if (cover[r] >= 0) {
			const struct ft_rule *q = &pol->rules[cover[r]];

			ft_diag_add(
				diag, here, rule->line, false,
				"rule %zu%s can never match: rule %d%s (%s) before it "
				"matches every packet it matches",
				r, quoted_name(rule, n1, sizeof(n1)), cover[r],
				quoted_name(q, n2, sizeof(n2)),
				ft_policy_ref(pol, here, q->src_file, q->line, ref, sizeof(ref)));
		} else {
			char lines[MAX_WITNESS * (PATH_MAX + 16)] = "";
			size_t n = 0;

			for (i = 0; i < MAX_WITNESS && witness[r][i] >= 0 && n < sizeof(lines);
			     i++) {
				const struct ft_rule *q = &pol->rules[witness[r][i]];
				const char *f = ft_policy_file(pol, q->src_file);

				/* "lines 3, 5" in the rule's file, "lines 3, r.inc:5" across files */
				n += (size_t)snprintf(lines + n, sizeof(lines) - n, "%s%s%s%d",
						      i ? ", " : "", strcmp(f, here) ? f : "",
						      strcmp(f, here) ? ":" : "", q->line);
			}
			ft_diag_add(diag, here, rule->line, false,
				    "rule %zu%s can never match: the rules before it take every "
				    "packet it matches between them (lines %s%s)",
				    r, quoted_name(rule, n1, sizeof(n1)), lines,
				    i == MAX_WITNESS ? ", ..." : "");
		}
	}
	if (pol->default_class >= 0)
		live[pol->default_class] = true;
	for (i = 0; i < pol->nclasses; i++)
		if (named[i] && !live[i])
			ft_diag_add(diag, ft_policy_file(pol, pol->classes[i].src_file),
				    pol->classes[i].line, false,
				    "class '%s' is used only by rules that can never match: no "
				    "packet gets it",
				    pol->classes[i].name);
	err = 0;
out:
	free(shadowed);
	free(cover);
	free(witness);
	free(live);
	free(named);
	return err;
}
