// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl diff NEW.conf: what a reload to NEW.conf would do to the
 * flows that are active now. Compiles NEW.conf as flowtagd would (its
 * tests run too), reads every flow of the running flow cache (all CPUs,
 * only entries of the running generation, each flow once), looks each
 * up in the new policy with the same bit-vector search the data path
 * does, and counts the flows whose outcome (class, drop, untagged) would
 * change, by old -> new.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "prepare.h"
#include "strparse.h"

/* What happens to a flow's packets. */
struct outcome {
	uint32_t action;		/* FT_ACT_*; FT_ACT_PASS also for untagged defaults */
	char cls[FT_NAME_LEN];		/* FT_ACT_CLASS: the class name */
	/* FT_ACT_CLASS: the tag, what ip rules, nftables and qdiscs see */
	uint32_t mark;			/* skb->mark bits (inside the policy's mark_mask) */
	uint32_t priority;		/* skb->priority, if FT_META_F_PRIO in flags */
	uint32_t flags;			/* FT_META_F_PRIO, FT_META_F_DSCP */
	uint32_t dscp;			/* DSCP rewrite, if FT_META_F_DSCP in flags */
};

/* One flow of the cache, once. */
struct flow {
	struct ft_flow_key key;
	uint16_t rule;			/* in the running policy, FT_RULE_NONE: its default */
	bool used;
};

/* The flows read so far: open addressing on the key. */
struct flow_set {
	struct flow *v;
	size_t n, cap;			/* cap: a power of two */
	uint32_t generation;		/* the running one: other entries are stale */
	uint32_t nrules;		/* of the running policy */
	uint64_t entries, stale, bogus;	/* ways read with a flow, and the ones left out */
};

/* A flow that would change (-v). */
struct moved {
	const struct flow *flow;
	struct outcome from, to;
};

/* An old -> new pair and how many flows take it. */
struct change {
	struct outcome from, to;
	uint64_t flows;
};

static uint64_t key_hash(const struct ft_flow_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int set_grow(struct flow_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4096, i, j;
	struct flow *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		if (!s->v[i].used)
			continue;
		for (j = key_hash(&s->v[i].key) & (cap - 1); v[j].used; j = (j + 1) & (cap - 1))
			;
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

static int set_add(struct flow_set *s, const struct ft_flow_key *k, uint16_t rule)
{
	size_t j;
	int err;

	if ((s->n + 1) * 2 > s->cap) {
		err = set_grow(s);
		if (err)
			return err;
	}
	for (j = key_hash(k) & (s->cap - 1); s->v[j].used; j = (j + 1) & (s->cap - 1))
		if (!memcmp(&s->v[j].key, k, sizeof(*k)))
			return 0;	/* the same flow on another CPU */
	s->v[j].key = *k;
	s->v[j].rule = rule;
	s->v[j].used = true;
	s->n++;
	return 0;
}

/* ft_pinned_flow_cache() callback: one entry of one CPU. */
static int read_entry(const struct ft_flow_key *k, __u32 generation, __u16 rule, int cpu,
		      void *arg)
{
	struct flow_set *s = arg;

	(void)cpu;
	s->entries++;
	if (generation != s->generation) {
		s->stale++;	/* computed under an earlier policy: ignored by the data path */
		return 0;
	}
	if (rule >= s->nrules && rule != FT_RULE_NONE) {
		s->bogus++;	/* no rule of the running policy: not a finished entry */
		return 0;
	}
	return set_add(s, k, rule);
}

/* The running policy's outcome for @rule (FT_RULE_NONE: its default). */
static int old_outcome(struct ft_pinned *p, uint32_t slot, const struct ft_policy_hdr *h,
		       uint16_t rule, struct outcome *o)
{
	struct ft_class_info ci;
	uint32_t cls;
	int err;

	memset(o, 0, sizeof(*o));
	if (rule == FT_RULE_NONE) {
		o->action = h->default_verdict.action;
		cls = h->default_verdict.meta.class_id;
		if (h->default_verdict.meta.flags & FT_META_F_NOTAG)
			o->action = FT_ACT_PASS;
	} else {
		struct ft_rule_info ri;

		err = ft_pinned_rule(p, slot, rule, &ri, NULL);
		if (err)
			return err;
		o->action = ri.action;
		cls = ri.class_id;
	}
	if (o->action != FT_ACT_CLASS)
		return 0;
	err = ft_pinned_class(p, slot, cls, &ci);
	if (err)
		return err;
	memcpy(o->cls, ci.name, sizeof(o->cls));
	o->mark = ci.mark;
	o->flags = ci.flags & (FT_META_F_PRIO | FT_META_F_DSCP);
	o->priority = (o->flags & FT_META_F_PRIO) ? ci.priority : 0;
	o->dscp = (o->flags & FT_META_F_DSCP) ? ci.dscp : 0;
	return 0;
}

static void new_outcome(const struct ft_prepared *np, const struct ft_flow_key *k,
			struct outcome *o)
{
	const struct ft_verdict *v = ft_compiled_verdict(&np->comp, k);

	memset(o, 0, sizeof(*o));
	o->action = v->action;
	if (v->action == FT_ACT_CLASS && (v->meta.flags & FT_META_F_NOTAG))
		o->action = FT_ACT_PASS;
	if (o->action != FT_ACT_CLASS)
		return;
	if (v->meta.class_id < np->pol.nclasses)
		snprintf(o->cls, sizeof(o->cls), "%s", np->pol.classes[v->meta.class_id].name);
	o->mark = v->meta.mark;
	o->flags = v->meta.flags & (FT_META_F_PRIO | FT_META_F_DSCP);
	o->priority = (o->flags & FT_META_F_PRIO) ? v->meta.priority : 0;
	o->dscp = (o->flags & FT_META_F_DSCP) ? v->meta.dscp : 0;
}

/* Whether @a and @b tag alike (both FT_ACT_CLASS): mark, priority, DSCP. */
static bool tag_eq(const struct outcome *a, const struct outcome *b)
{
	return a->mark == b->mark && a->flags == b->flags && a->priority == b->priority &&
	       a->dscp == b->dscp;
}

/* Same class, drop or untagged, and for a class the same tag: a class
 * whose mark, priority or DSCP the new policy changes changes its flows
 * for everything that matches on them (ip rule fwmark, nftables, qdiscs). */
static bool outcome_eq(const struct outcome *a, const struct outcome *b)
{
	return a->action == b->action && !strcmp(a->cls, b->cls) &&
	       (a->action != FT_ACT_CLASS || tag_eq(a, b));
}

/* "mark 0x100, priority 1:10, dscp 46" of a class outcome, into @buf. */
static const char *tag_text(const struct outcome *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, "mark %#x", o->mark);

	if ((o->flags & FT_META_F_PRIO) && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", priority %x:%x", o->priority >> 16,
			      o->priority & 0xffff);
	if ((o->flags & FT_META_F_DSCP) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", dscp %u", o->dscp);
	return buf;
}

/* What of the tag changes from @a to @b when both give a class and the
 * tags differ ("mark 0x100 -> mark 0x500"), else NULL. */
static const char *tag_change(const struct outcome *a, const struct outcome *b, char *buf,
			      size_t len)
{
	char x[96], y[96];

	if (a->action != FT_ACT_CLASS || b->action != FT_ACT_CLASS || tag_eq(a, b))
		return NULL;
	snprintf(buf, len, "%s -> %s", tag_text(a, x, sizeof(x)), tag_text(b, y, sizeof(y)));
	return buf;
}

/* "voice", "drop", "untagged" */
static const char *outcome_text(const struct outcome *o)
{
	return o->action == FT_ACT_CLASS ? o->cls : o->action == FT_ACT_DROP ? "drop" : "untagged";
}

static int change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(outcome_text(&x->from), outcome_text(&y->from));
}

/* Count @from -> @to in @ch (room for one more is there). */
static void change_add(struct change *ch, size_t *n, const struct outcome *from,
		       const struct outcome *to)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (outcome_eq(&ch[i].from, from) && outcome_eq(&ch[i].to, to)) {
			ch[i].flows++;
			return;
		}
	ch[*n].from = *from;
	ch[*n].to = *to;
	ch[(*n)++].flows = 1;
}

static void print_changes(struct ft_out *o, const struct change *ch, size_t n)
{
	static const char *const heads[] = { "from", "to", "flows", "tag", NULL };
	char tag[200];
	size_t i;

	ft_out_begin_table(o, "changes", "would change (old -> new)", heads);
	for (i = 0; i < n; i++) {
		ft_out_begin_row(o);
		ft_out_str(o, "from", "from", outcome_text(&ch[i].from));
		ft_out_str(o, "from_action", NULL, ft_action_name(ch[i].from.action));
		ft_out_str(o, "from_class", NULL, ch[i].from.action == FT_ACT_CLASS ? ch[i].from.cls :
										    NULL);
		ft_out_str(o, "to", "to", outcome_text(&ch[i].to));
		ft_out_str(o, "to_action", NULL, ft_action_name(ch[i].to.action));
		ft_out_str(o, "to_class", NULL, ch[i].to.action == FT_ACT_CLASS ? ch[i].to.cls : NULL);
		ft_out_u64(o, "flows", "flows", ch[i].flows);
		ft_out_str(o, "tag_change", "tag",
			   tag_change(&ch[i].from, &ch[i].to, tag, sizeof(tag)));
		ft_out_end_row(o);
	}
	ft_out_end_table(o);
}

/* "udp 198.18.0.1:40000 -> 198.18.0.2:53", "[fd00::1]:..." for IPv6; "not IP" */
static void flow_text(const struct ft_flow_key *k, char *buf, size_t len, char *src, char *dst)
{
	int family = k->family == FT_FAM_IPV4 ? AF_INET : AF_INET6;
	const char *pname = k->l4 & FT_L4_PROTO ? ft_proto_name(k->proto) : NULL;
	char pnum[8] = "?", s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
	bool v6 = family == AF_INET6;

	src[0] = dst[0] = '\0';
	if (k->family == FT_FAM_NONE) {
		snprintf(buf, len, "not IP");
		return;
	}
	inet_ntop(family, k->src, src, INET6_ADDRSTRLEN);
	inet_ntop(family, k->dst, dst, INET6_ADDRSTRLEN);
	if (!pname && (k->l4 & FT_L4_PROTO))
		snprintf(pnum, sizeof(pnum), "%u", k->proto);
	if (k->l4 & FT_L4_PORTS) {
		snprintf(s, sizeof(s), "%s%s%s:%u", v6 ? "[" : "", src, v6 ? "]" : "", k->sport);
		snprintf(d, sizeof(d), "%s%s%s:%u", v6 ? "[" : "", dst, v6 ? "]" : "", k->dport);
	} else {
		snprintf(s, sizeof(s), "%s", src);
		snprintf(d, sizeof(d), "%s", dst);
	}
	snprintf(buf, len, "%s %s -> %s", pname ? pname : pnum, s, d);
}

/* -v: every flow that would change, in the cache's order. */
static void print_moved(struct ft_out *o, const struct moved *mv, size_t n)
{
	static const char *const heads[] = { "iif", "vlan", "flow", "from", "to", NULL };
	char ifname[IF_NAMESIZE], text[2 * INET6_ADDRSTRLEN + 64];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	size_t i;

	ft_out_begin_table(o, "moved_flows", "flows that would change", heads);
	for (i = 0; i < n; i++) {
		const struct ft_flow_key *k = &mv[i].flow->key;

		flow_text(k, text, sizeof(text), src, dst);
		ft_out_begin_row(o);
		ft_out_str(o, "iif", "iif",
			   if_indextoname(k->ifindex, ifname) ? ifname : NULL);
		ft_out_u64(o, "ifindex", NULL, k->ifindex);
		ft_out_opt_u64(o, "vlan", "vlan", k->vlan < FT_VLAN_NONE, k->vlan, NULL, true);
		ft_out_str(o, NULL, "flow", text);
		ft_out_str(o, "src", NULL, src[0] ? src : NULL);
		ft_out_str(o, "dst", NULL, dst[0] ? dst : NULL);
		ft_out_opt_u64(o, "proto", NULL, k->l4 & FT_L4_PROTO, k->proto, NULL, true);
		ft_out_opt_u64(o, "sport", NULL, k->l4 & FT_L4_PORTS, k->sport, NULL, true);
		ft_out_opt_u64(o, "dport", NULL, k->l4 & FT_L4_PORTS, k->dport, NULL, true);
		ft_out_str(o, "from", "from", outcome_text(&mv[i].from));
		ft_out_str(o, "to", "to", outcome_text(&mv[i].to));
		ft_out_end_row(o);
	}
	ft_out_end_table(o);
}

static int do_diff(const struct ctl *c, int argc, char **argv)
{
	struct ft_prepared np = { 0 };
	struct flow_set fs = { 0 };
	struct ctl_pins p = { 0 };
	struct ft_daemon_info info;
	struct ft_policy_hdr h;
	struct ft_state st;
	struct ft_out *o = NULL;
	struct change *ch = NULL;
	struct moved *mv = NULL;
	struct outcome *rule_out = NULL, def_out;
	bool *rule_known = NULL;
	uint64_t changed = 0, dropped = 0;
	size_t nch = 0, i;
	uint32_t late;
	int err, ret = EXIT_FAIL;
	char why[96];

	if (argc != 1)
		return ctl_usage_error("diff takes one policy file: diff NEW.conf");
	if (ft_check_path_arg(argv[0], PATH_MAX, why, sizeof(why)))
		return ctl_usage_error("diff: %s", why);

	/* the new policy as flowtagd would load it here (its tests run too) */
	if (ctl_prepare_host(c, argv[0], &np))
		goto out;

	if (ctl_open_pins(c, &p, false))
		goto out;
	err = ft_pinned_state(&p.maps, &st);
	if (!err && !st.generation)
		err = -ENODATA;
	if (!err)
		err = ft_pinned_policy(&p.maps, st.slot & 1, &h);
	if (err) {
		pr_err("cannot read the running policy: %s",
		       err == -ENODATA ? "none loaded yet" : strerror(-err));
		goto out;
	}
	/* no cache, no flows: an empty list would read as "nothing changes" */
	if (h.flags & FT_POL_F_NOCACHE) {
		pr_err("the running policy keeps no flow cache (flow_cache \"off\", or \"auto\" "
		       "chose none): there are no flows to compare; set flow_cache = \"on\" "
		       "in the running policy to preview with diff, or ask about single "
		       "packets with flowtagctl explain");
		goto out;
	}
	fs.generation = st.generation;
	fs.nrules = h.nrules < FT_MAX_RULES ? h.nrules : FT_MAX_RULES;
	err = ft_pinned_flow_cache(&p.maps, read_entry, &fs);
	if (err) {
		pr_err("cannot read the flow cache: %s", strerror(-err));
		goto out;
	}
	/* a reload while we read: the entries we kept belong to no policy now */
	late = st.generation;
	if (!ft_pinned_state(&p.maps, &st) && st.generation != late) {
		pr_err("the running policy changed while reading the flow cache; try again");
		goto out;
	}

	ch = calloc(fs.n + 1, sizeof(*ch));
	mv = calloc(fs.n + 1, sizeof(*mv));
	rule_out = calloc(fs.nrules + 1, sizeof(*rule_out));
	rule_known = calloc(fs.nrules + 1, sizeof(*rule_known));
	if (!ch || !mv || !rule_out || !rule_known) {
		pr_err("out of memory");
		goto out;
	}
	err = old_outcome(&p.maps, st.slot & 1, &h, FT_RULE_NONE, &def_out);
	for (i = 0; !err && i < fs.cap; i++) {
		const struct flow *f = &fs.v[i];
		struct outcome from, to;

		if (!f->used)
			continue;
		if (f->rule == FT_RULE_NONE) {
			from = def_out;
		} else {
			if (!rule_known[f->rule]) {
				err = old_outcome(&p.maps, st.slot & 1, &h, f->rule,
						  &rule_out[f->rule]);
				rule_known[f->rule] = true;
			}
			from = rule_out[f->rule];
		}
		new_outcome(&np, &f->key, &to);
		if (outcome_eq(&from, &to))
			continue;
		mv[changed].flow = f;
		mv[changed].from = from;
		mv[changed].to = to;
		changed++;
		dropped += to.action == FT_ACT_DROP;
		change_add(ch, &nch, &from, &to);
	}
	if (err) {
		pr_err("cannot read the running policy's rules and classes: %s", strerror(-err));
		goto out;
	}
	qsort(ch, nch, sizeof(*ch), change_cmp);

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	for (i = 0; i < np.diag.nentries; i++)
		if (np.diag.entries[i].severity == FT_SEVERITY_WARNING)
			ft_out_warn(o, "%s:%d: %s", np.diag.entries[i].file,
				    np.diag.entries[i].line, np.diag.entries[i].message);
	/* the cache keys only what the running policy matches on */
	if (np.comp.hdr.used_fields & ~h.used_fields & (1u << FT_F_TCPFL))
		ft_out_warn(o, "the new policy matches on tcp_flags and the running one does not: "
			    "the flow cache does not keep them, flows are judged as if no flag "
			    "were set");
	if (np.comp.hdr.used_fields & ~h.used_fields & (1u << FT_F_DSCP))
		ft_out_warn(o, "the new policy matches on dscp and the running one does not: the "
			    "flow cache does not keep it, flows are judged as if it were 0 (CS0)");
	/* the drop pre-filter decides before the cache: what it drops leaves
	 * no entry here (xdp/classify.h ft_prefilter()) */
	if (h.flags & FT_POL_PF_MASK)
		ft_out_warn(o, "the running policy's first %u rule(s) are a drop pre-filter: the "
			    "flows they drop enter no flow cache, so this preview cannot list "
			    "them (their rule counters: flowtagctl stats)",
			    (h.flags & FT_POL_PF_MASK) >> FT_POL_PF_SHIFT);
	ft_out_str(o, "policy", "new policy", argv[0]);
	if (!ft_pinned_info(&p.maps, &info) && info.policy[0])
		ft_out_str(o, "running_policy", "running policy", info.policy);
	ft_out_u64(o, "generation", "running generation", st.generation);
	ft_out_u64(o, "flows", "active flows", fs.n);
	ft_out_u64(o, "changed", "would change", changed);
	ft_out_u64(o, "dropped", "would be dropped", dropped);
	ft_out_u64(o, "unchanged", "unchanged", fs.n - changed);
	ft_out_u64(o, "stale_entries", "stale cache entries (ignored)", fs.stale);
	print_changes(o, ch, nch);
	if (c->verbose)
		print_moved(o, mv, changed);
	ret = EXIT_OK;
out:
	ret = ctl_finish_output(o, ret);
	free(ch);
	free(mv);
	free(rule_out);
	free(rule_known);
	free(fs.v);
	ctl_close_pins(&p);
	ft_prepared_free(&np);
	return ret;
}

static void diff_help(FILE *f, const char *prog)
{
	fprintf(f,
		"diff NEW.conf: the flows now in the flow cache (every CPU, only entries of\n"
		"  the running generation, each flow once) looked up in NEW.conf, compiled as\n"
		"  flowtagd would here (its tests run too); counts the flows whose class would\n"
		"  change or that would be dropped, by old -> new; with -v every such flow.\n"
		"  Nothing is changed.\n"
		"  e.g. %s diff /etc/flowtag/flowtag.conf.new\n", prog);
}

const struct ctl_cmd ctl_diff = {
	.name = "diff",
	.args = "NEW.conf",
	.summary = "which active flows a reload to NEW.conf would move, by class",
	.help = diff_help,
	.run = do_diff,
};
