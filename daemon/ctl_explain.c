// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl explain KEY VALUE...: which rule a packet described on the
 * command line matches, by the compiled bit-vector search flowtagd loads,
 * checked against the reference evaluator (ft_reference_match()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "ctl.h"
#include "dynset.h"
#include "fields.h"
#include "liveprobe.h"
#include "log.h"
#include "pktspec.h"
#include "prepare.h"
#include "strparse.h"

#define NS_PER_SEC	1000000000ull

/* KEY VALUE... into @p (pktspec.c); a usage error (exit code) when they make no packet. */
static int parse_pkt(int argc, char **argv, struct ft_pkt_spec *p)
{
	char err[256];

	if (!argc)
		return ctl_usage_error("explain needs a packet: KEY VALUE... (e.g. proto tcp dport 22)");
	if (ft_pkt_spec_parse(argc, argv, p, err, sizeof(err)))
		return ctl_usage_error("explain: %s", err);
	return 0;
}

static void flags_text(int flags, char *buf, size_t len)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh", "ack", "urg", "ece",
					     "cwr" };
	size_t n = 0;
	int b;

	buf[0] = '\0';
	for (b = 0; b < 8; b++)
		if (flags & (1 << b))
			ctl_append(buf, len, &n, "%s%s", n ? "," : "", names[b]);
	if (!n)
		snprintf(buf, len, "none");
}

/* The packet, both as one line of text and as a JSON object. */
static void print_packet(struct ft_out *o, const struct ft_pkt_spec *p)
{
	const struct ft_pkt_desc *d = &p->d;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "", fl[48], line[512];
	const char *pname = d->proto >= 0 ? ft_proto_name(d->proto) : NULL;
	char pnum[8];
	size_t n = 0;

	if (d->family) {
		const char *dname = ft_dscp_name(d->dscp);

		inet_ntop(d->family, d->src, src, sizeof(src));
		inet_ntop(d->family, d->dst, dst, sizeof(dst));
		if (!pname) {
			snprintf(pnum, sizeof(pnum), "%d", d->proto);
			pname = pnum;
		}
		ctl_append(line, sizeof(line), &n, "%s %s %s%s", d->family == AF_INET ? "ipv4" : "ipv6",
		       pname, src, p->have_src ? "" : " (src not given)");
		if (d->sport >= 0)
			ctl_append(line, sizeof(line), &n, " port %d", d->sport);
		ctl_append(line, sizeof(line), &n, " -> %s%s", dst,
		       p->have_dst ? "" : " (dst not given)");
		if (d->dport >= 0)
			ctl_append(line, sizeof(line), &n, " port %d", d->dport);
		if (dname)
			ctl_append(line, sizeof(line), &n, ", dscp %s", dname);
		else
			ctl_append(line, sizeof(line), &n, ", dscp %d", d->dscp);
		if (d->tcp_flags >= 0) {
			flags_text(d->tcp_flags, fl, sizeof(fl));
			ctl_append(line, sizeof(line), &n, ", tcp-flags %s", fl);
		}
	} else {
		ctl_append(line, sizeof(line), &n, "not IP");
	}
	if (p->iif[0])
		ctl_append(line, sizeof(line), &n, ", iif %s (ifindex %u)", p->iif, d->ifindex);
	if (d->vlan >= 0)
		ctl_append(line, sizeof(line), &n, ", vlan %d", d->vlan);

	ft_out_str(o, NULL, "packet", line);
	ft_out_begin_fields(o, "packet", NULL);
	ft_out_str(o, "family", NULL, d->family == AF_INET ? "ipv4" :
				       d->family == AF_INET6 ? "ipv6" : NULL);
	ft_out_str(o, "src", NULL, d->family ? src : NULL);
	ft_out_str(o, "dst", NULL, d->family ? dst : NULL);
	ft_out_opt_u64(o, "proto", NULL, d->proto >= 0, (uint64_t)d->proto, NULL, true);
	ft_out_opt_u64(o, "sport", NULL, d->sport >= 0, (uint64_t)d->sport, NULL, true);
	ft_out_opt_u64(o, "dport", NULL, d->dport >= 0, (uint64_t)d->dport, NULL, true);
	ft_out_opt_u64(o, "dscp", NULL, d->dscp >= 0, (uint64_t)d->dscp, NULL, true);
	ft_out_opt_u64(o, "tcp_flags", NULL, d->tcp_flags >= 0, (uint64_t)d->tcp_flags, NULL,
		       true);
	ft_out_str(o, "iif", NULL, p->iif[0] ? p->iif : NULL);
	ft_out_opt_u64(o, "ifindex", NULL, p->iif[0], d->ifindex, NULL, true);
	ft_out_opt_u64(o, "vlan", NULL, d->vlan >= 0, (uint64_t)d->vlan, NULL, true);
	ft_out_end_fields(o);
}

/* Where the content of one dynamic set came from, and what it held. */
struct live_set {
	const struct ft_prefix_set *set;
	uint8_t fields;			/* FT_SET_E_SRC | FT_SET_E_DST: what was looked up */
	bool live;			/* the pinned tries, else the policy's initial content */
	char why[96];			/* !live: why not */
	bool hit[2];			/* src, dst (live only) */
	struct ft_dynset_elem elem[2];	/* the element that holds it */
};

struct live_sets {
	struct live_set s[FT_MAX_DYNSETS];
	size_t n;
	uint64_t now;			/* CLOCK_BOOTTIME ns of the lookups */
};

/* A host prefix (/32, /128) of @addr of @family. */
static struct ft_prefix host_prefix(int family, const uint8_t *addr)
{
	struct ft_prefix h = { .family = (uint8_t)family, .len = family == AF_INET ? 32 : 128 };

	memcpy(h.addr, addr, family == AF_INET ? 4 : 16);
	return h;
}

/*
 * Look the packet's src and dst up in the pinned tries of every dynamic
 * set the compiled policy names, as the classifier does, and make that the
 * set's content in @pol for this packet: the host prefix of each address
 * a set holds, nothing else. The compiled search borrows the sets of @pol
 * (ft_compiled_dyn_hits()) and the reference evaluator reads them, so both
 * then answer as the data path does. Without pins a set keeps its initial
 * content (@ls says so). Return: 0, or -ENOMEM.
 */
static int use_live_sets(const struct ctl *c, struct ft_policy *pol,
			 const struct ft_compiled *comp, const struct ft_pkt_desc *d,
			 struct live_sets *ls)
{
	struct ctl_pins pins = { 0 };
	int perr = -ENOENT;
	size_t j;

	memset(ls, 0, sizeof(*ls));
	ls->now = ft_boot_ns();
	for (j = 0; j < comp->ndyn && j < FT_MAX_DYNSETS; j++) {
		ls->s[j].set = comp->dyn[j].set;
		ls->s[j].fields = comp->dyn[j].fields;
	}
	ls->n = j;
	if (!ls->n)
		return 0;
	perr = ctl_open_pins(c, &pins, true);
	for (j = 0; j < ls->n; j++) {
		struct live_set *l = &ls->s[j];
		struct ft_prefix_set *set = &pol->sets[l->set - pol->sets];
		const uint8_t *addr[2] = { d->src, d->dst };
		struct ft_prefix *pfx;
		struct ft_dynset s;
		size_t n = 0;
		int err = 0, r, k;

		if (perr) {
			if (perr == -ENOENT)
				snprintf(l->why, sizeof(l->why), "no running flowtagd");
			else
				snprintf(l->why, sizeof(l->why), "the pins cannot be read (%s)",
					 strerror(-perr));
			continue;
		}
		err = ft_dynset_open(pins.path, set->name, &s);
		if (err) {
			snprintf(l->why, sizeof(l->why), "%s", err == -ENOENT ?
				 "not pinned by the running flowtagd" : strerror(-err));
			continue;
		}
		for (k = 0; k < 2 && d->family; k++) {
			if (!(l->fields & (k ? FT_SET_E_DST : FT_SET_E_SRC)))
				continue;
			r = ft_dynset_lookup(&s, d->family, addr[k], ls->now, &l->elem[k]);
			if (r < 0) {
				err = r;
				break;
			}
			l->hit[k] = r;
		}
		ft_dynset_close(&s);
		if (err) {
			snprintf(l->why, sizeof(l->why), "lookup failed: %s", strerror(-err));
			memset(l->hit, 0, sizeof(l->hit));
			continue;
		}
		pfx = calloc(2, sizeof(*pfx));
		if (!pfx) {
			ctl_close_pins(&pins);
			return -ENOMEM;
		}
		for (k = 0; k < 2; k++)
			if (l->hit[k] && !(k && l->hit[0] && !memcmp(d->src, d->dst, 16)))
				pfx[n++] = host_prefix(d->family, addr[k]);
		free(set->pfx);
		set->pfx = pfx;
		set->npfx = n;
		l->live = true;
	}
	ctl_close_pins(&pins);
	return 0;
}

/* One address against a dynamic set, for the table. */
static void print_set_addr(struct ft_out *o, const struct live_set *l, int k, uint64_t now,
			   const struct ft_pkt_desc *d)
{
	static const char *const keys[2][3] = { { "src_hit", "src_element", "src_expires" },
						{ "dst_hit", "dst_element", "dst_expires" } };
	const struct ft_dynset_elem *e = &l->elem[k];
	bool looked = l->live && d->family && (l->fields & (k ? FT_SET_E_DST : FT_SET_E_SRC));
	uint64_t left = e->expires > now ? (e->expires - now + NS_PER_SEC - 1) / NS_PER_SEC : 0;
	char pfx[64] = "", text[128];

	if (looked && l->hit[k]) {
		ft_format_prefix(&e->pfx, pfx, sizeof(pfx));
		if (e->expires)
			snprintf(text, sizeof(text), "in %s (expires in %llus)", pfx,
				 (unsigned long long)left);
		else
			snprintf(text, sizeof(text), "in %s", pfx);
	} else {
		snprintf(text, sizeof(text), looked ? "not in" : "-");
	}
	ft_out_str(o, NULL, k ? "dst" : "src", text);
	ft_out_opt_bool(o, keys[k][0], NULL, looked, l->hit[k], NULL, NULL);
	ft_out_str(o, keys[k][1], NULL, looked && l->hit[k] ? pfx : NULL);
	ft_out_opt_u64(o, keys[k][2], NULL, looked && l->hit[k] && e->expires, left, NULL, false);
}

/* Where each dynamic set's content came from, and what it held for the packet. */
static void print_live_sets(struct ft_out *o, const struct live_sets *ls,
			    const struct ft_pkt_desc *d)
{
	static const char *const heads[] = { "set", "source", "src", "dst", NULL };
	char src[160];
	size_t j;

	if (!ls->n)
		return;
	ft_out_begin_table(o, "dynamic_sets", "dynamic sets", heads);
	for (j = 0; j < ls->n; j++) {
		const struct live_set *l = &ls->s[j];

		if (l->live)
			snprintf(src, sizeof(src), "live elements");
		else
			snprintf(src, sizeof(src), "initial content, %s", l->why);
		ft_out_begin_row(o);
		ft_out_str(o, "name", "set", l->set->name);
		ft_out_str(o, NULL, "source", src);
		ft_out_str(o, "source", NULL, l->live ? "live" : "initial");
		ft_out_str(o, "reason", NULL, l->live ? NULL : l->why);
		print_set_addr(o, l, 0, ls->now, d);
		print_set_addr(o, l, 1, ls->now, d);
		ft_out_end_row(o);
	}
	ft_out_end_table(o);
}

/* The daemon's policy file, if flowtagd is there to say. */
static bool running_policy(const struct ctl *c, struct ft_daemon_info *info)
{
	struct ctl_pins pins = { 0 };
	bool ok = false;

	/* as status finds them: also a flowtagd of this network namespace
	 * whose bpffs is private (ip netns exec) */
	if (ctl_open_pins(c, &pins, true))
		return false;
	ok = !ft_pinned_info(&pins.maps, info) && info->policy[0];
	ctl_close_pins(&pins);
	return ok;
}

static void print_verdict(struct ft_out *o, const struct ft_policy *pol,
			  const struct ft_compiled *comp, uint32_t rule)
{
	const struct ft_verdict *v =
		rule < comp->nrules ? &comp->rules[rule] : &comp->hdr.default_verdict;
	const struct flowtag_meta *m = &v->meta;
	bool tagged = v->action == FT_ACT_CLASS && !(m->flags & FT_META_F_NOTAG);
	const char *cls = tagged && m->class_id < pol->nclasses ? pol->classes[m->class_id].name :
								   NULL;
	const char *name = rule < comp->nrules && pol->rules[rule].name[0] ? pol->rules[rule].name :
									      NULL;
	char where[PATH_MAX + 32] = "", text[PATH_MAX + FT_NAME_LEN + 64], act[96], mark[48];

	if (rule < comp->nrules) {
		snprintf(where, sizeof(where), "%s:%d",
			 ft_policy_file(pol, pol->rules[rule].src_file), pol->rules[rule].line);
		snprintf(text, sizeof(text), "%u%s%s%s (%s)", rule, name ? " '" : "", name ? name : "",
			 name ? "'" : "", where);
	} else {
		snprintf(text, sizeof(text), "none matched");
	}
	ft_out_opt_u64(o, "rule", "rule", rule < comp->nrules, rule, text, false);
	ft_out_str(o, "rule_name", NULL, name);
	ft_out_str(o, "location", NULL, rule < comp->nrules ? where : NULL);

	if (v->action == FT_ACT_DROP)
		snprintf(act, sizeof(act), "drop (XDP_DROP; TC_ACT_SHOT in the tc fallback)");
	else if (!tagged)
		snprintf(act, sizeof(act), rule < comp->nrules ? "pass (leave untagged)" :
								 "untagged (no default_class)");
	else
		snprintf(act, sizeof(act), "%sclass %s", rule < comp->nrules ? "" : "default ",
			 cls ? cls : "?");
	ft_out_str(o, "action", NULL, ft_action_name(v->action));
	ft_out_bool(o, "default", NULL, rule >= comp->nrules, "yes", "no");
	ft_out_str(o, "class", NULL, cls);
	ft_out_str(o, NULL, "verdict", act);

	snprintf(mark, sizeof(mark), "0x%x (mark_mask 0x%x)", m->mark, comp->hdr.mark_mask);
	ft_out_opt_u64(o, "mark", "mark", tagged, m->mark, tagged ? mark : NULL, false);
	ft_out_opt_u64(o, "mark_mask", NULL, true, comp->hdr.mark_mask, NULL, false);
	ctl_out_priority(o, "priority", "priority", tagged && (m->flags & FT_META_F_PRIO), m->priority);
	ctl_out_dscp(o, "dscp_rewrite", "dscp rewrite", tagged && (m->flags & FT_META_F_DSCP),
		 m->dscp);
}

/* The kernel's verdict of one program, in the names of the pinned policy. */
static void print_live_prog(struct ft_out *o, struct ft_pinned *s, const struct ft_state *st,
			    const char *key, const char *label, const struct ft_probe_result *r,
			    bool xdp, bool agree, const char *why)
{
	const struct flowtag_meta *m = &r->meta;
	struct ft_class_info ci = { 0 };
	struct ft_rule_name rn = { 0 };
	char text[256] = "", cls[FT_NAME_LEN + 8] = "", rule[FT_NAME_LEN + 24] = "";
	bool drop = xdp ? r->retval == XDP_DROP || (r->has_meta && (m->flags & FT_META_F_DROP)) :
			  r->retval == TC_ACT_SHOT;
	size_t n = 0;

	ft_out_begin_fields(o, key, NULL);
	ft_out_bool(o, "ran", NULL, r->ran, "yes", "no");
	ft_out_opt_u64(o, "retval", NULL, r->ran, r->retval, NULL, false);
	if (!r->ran) {
		ctl_append(text, sizeof(text), &n, "test run failed: %s", strerror(-r->err));
	} else if (xdp && r->has_meta) {
		if (m->rule_id != FT_RULE_NONE) {
			ft_pinned_rule_name(s, st->slot & 1, m->rule_id, &rn);
			snprintf(rule, sizeof(rule), "rule %u%s%s%s", m->rule_id, rn.name[0] ? " '" : "",
				 rn.name, rn.name[0] ? "'" : "");
		} else {
			snprintf(rule, sizeof(rule), "no rule");
		}
		if (m->class_id != FT_CLASS_NONE && !ft_pinned_class(s, st->slot & 1, m->class_id, &ci))
			snprintf(cls, sizeof(cls), "%.*s", FT_NAME_LEN, ci.name);
		ctl_append(text, sizeof(text), &n, "%s: ", rule);
		if (drop)
			ctl_append(text, sizeof(text), &n, "drop (in tc: no VLAN tag seen by XDP)");
		else if (m->flags & FT_META_F_NOTAG)
			ctl_append(text, sizeof(text), &n, "pass, untagged");
		else
			ctl_append(text, sizeof(text), &n, "%sclass %s, mark %#x",
				   (m->flags & FT_META_F_DEFAULT) ? "default " : "", cls, m->mark);
		if (!drop && !(m->flags & FT_META_F_NOTAG) && (m->flags & FT_META_F_PRIO))
			ctl_append(text, sizeof(text), &n, ", priority %x:%x", m->priority >> 16,
				   m->priority & 0xffff);
		ft_out_opt_u64(o, "rule", NULL, m->rule_id != FT_RULE_NONE, m->rule_id, NULL, false);
		ft_out_str(o, "rule_name", NULL, rn.name[0] ? rn.name : NULL);
		ft_out_str(o, "class", NULL, cls[0] ? cls : NULL);
		ft_out_opt_u64(o, "mark", NULL, !(m->flags & FT_META_F_NOTAG), m->mark, NULL, false);
		ft_out_opt_u64(o, "priority", NULL, (m->flags & FT_META_F_PRIO) != 0, m->priority,
			       NULL, false);
	} else if (xdp) {
		ctl_append(text, sizeof(text), &n, "%s, no tag written",
			   drop ? "XDP_DROP" : r->retval == XDP_PASS ? "XDP_PASS" : "other verdict");
	} else if (drop) {
		ctl_append(text, sizeof(text), &n, "TC_ACT_SHOT (drop)");
	} else {
		ctl_append(text, sizeof(text), &n, "mark %#x, priority %x:%x", r->mark,
			   r->priority >> 16, r->priority & 0xffff);
		ft_out_u64(o, "mark", NULL, r->mark);
		ft_out_u64(o, "priority", NULL, r->priority);
	}
	if (r->ran && xdp && drop)
		ctl_append(text, sizeof(text), &n, "%s", r->retval == XDP_DROP ? " (XDP_DROP)" : "");
	ft_out_bool(o, "drop", NULL, drop, "yes", "no");
	ft_out_bool(o, "agree", NULL, agree, "yes", "no");
	ft_out_str(o, "difference", NULL, agree ? NULL : why);
	ft_out_end_fields(o);
	ft_out_text(o, "%-17s %s%s%s", label, text, agree ? "" : "  <-- DIFFERS: ",
		    agree ? "" : why);
}

/*
 * explain --live: the packet through the running XDP and tc ingress
 * programs (their ids from ft_health), against the live maps, as a probe
 * frame that changes nothing (flowtag/meta.h). Return: true when both
 * agree with @want, the userspace verdict.
 */
static bool explain_live(const struct ctl *c, struct ft_out *o, const struct ft_pkt_spec *p,
			 const struct ft_verdict *want, uint32_t mark_mask, bool *failed)
{
	struct ctl_pins pins = { 0 };
	struct ft_daemon_info info;
	struct ft_iface_info rec = { 0 };
	struct ft_probe_result rx = { 0 }, rt = { 0 };
	struct ft_state before, after;
	struct ft_health h;
	uint8_t frame[FT_PROBE_FRAME_MAX];
	char why_x[320] = "", why_t[320] = "";
	bool l3 = false, ax = false, at = false, tc_run;
	size_t len;
	uint32_t i, id;
	int fd;

	*failed = true;
	if (ctl_open_pins(c, &pins, false))
		return false;
	if (ft_pinned_health(&pins.maps, &h) || !h.prog_xdp || !h.prog_tc_ingress) {
		pr_err("explain --live: flowtagd recorded no program ids in ft_health (not running, "
		       "or an older version)");
		goto out;
	}
	/* the interface the packet arrives on: its link type and XDP program */
	if (p->d.ifindex && !ft_pinned_info(&pins.maps, &info))
		for (i = 0; i < info.nifaces && i < FT_MAX_IFACES; i++)
			if (!ft_pinned_iface(&pins.maps, i, &rec) && rec.ifindex == p->d.ifindex)
				break;
	if (rec.ifindex != p->d.ifindex)
		memset(&rec, 0, sizeof(rec));
	l3 = rec.ifindex && rec.l2 == FT_L2_NONE;
	len = ft_pkt_frame(&p->d, l3, frame, sizeof(frame));
	if (!len) {
		pr_err("explain --live: a packet that is not IP cannot arrive on %s (no link-layer "
		       "header)", p->iif);
		goto out;
	}
	if (ft_pinned_state(&pins.maps, &before))
		goto out;
	id = (rec.flags & FT_IFACE_F_FRAGS) && h.prog_xdp_frags ? h.prog_xdp_frags : h.prog_xdp;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		pr_err("explain --live: cannot open XDP program %u: %s", id, strerror(errno));
		goto out;
	}
	ft_probe_xdp(fd, frame, len, p->d.ifindex, &rx);
	close(fd);
	/* the kernel's skb test run starts every frame with an Ethernet header */
	tc_run = !l3;
	if (tc_run) {
		fd = bpf_prog_get_fd_by_id(h.prog_tc_ingress);
		if (fd < 0) {
			pr_err("explain --live: cannot open tc program %u: %s", h.prog_tc_ingress,
			       strerror(errno));
			goto out;
		}
		ft_probe_tc(fd, frame, len, p->d.ifindex, &rt);
		close(fd);
	}
	if (ft_pinned_state(&pins.maps, &after))
		goto out;
	*failed = false;

	ax = ft_probe_check_xdp(want, &rx, why_x, sizeof(why_x));
	at = !tc_run || ft_probe_check_tc(want, mark_mask, &rt, why_t, sizeof(why_t));
	ft_out_begin_fields(o, "live", NULL);
	ft_out_u64(o, "generation", "live generation", after.generation);
	ft_out_u64(o, "xdp_prog_id", NULL, id);
	ft_out_u64(o, "tc_prog_id", NULL, h.prog_tc_ingress);
	print_live_prog(o, &pins.maps, &after, "xdp", "live XDP", &rx, true, ax, why_x);
	if (tc_run)
		print_live_prog(o, &pins.maps, &after, "tc", "live tc fallback", &rt, false, at,
				why_t);
	else
		ft_out_text(o, "%-17s not probed: %s has no link-layer header, and the kernel's "
			    "skb test run needs one", "live tc fallback", p->iif);
	ft_out_bool(o, "agree", NULL, ax && at, "yes", "no");
	ft_out_end_fields(o);
	if (before.generation != after.generation) {
		pr_err("explain --live: the policy changed during the probe (generation %u -> %u); "
		       "run it again", before.generation, after.generation);
		ax = false;
	}
	if (!ax || !at)
		pr_err("explain --live: the running data path (generation %u) does not do what "
		       "the policy file says for this packet. If the file changed since flowtagd "
		       "loaded it, run flowtagctl reload; otherwise report it with the policy "
		       "and this command line.", after.generation);
out:
	ctl_close_pins(&pins);
	return ax && at && !*failed;
}

static int do_explain(const struct ctl *c, int argc, char **argv)
{
	struct ft_prepared prep = { 0 };
	const struct ft_policy *pol = &prep.pol;
	const struct ft_compiled *comp = &prep.comp;
	struct live_sets ls;
	struct ft_daemon_info info;
	struct ft_pkt_spec p;
	struct ft_flow_key k;
	struct ft_out *o = NULL;
	const char *path = c->config;
	bool from_daemon = false, agree;
	uint32_t compiled, reference;
	char text[96];
	int err, ref, ret = EXIT_FAIL;

	err = parse_pkt(argc, argv, &p);
	if (err)
		return err;
	if (!path) {
		from_daemon = running_policy(c, &info);
		path = from_daemon ? info.policy : FT_DEFAULT_CONFIG;
	}
	/* names resolve as flowtagd does when it loads the policy */
	if (ctl_prepare_host(c, path, &prep))
		goto out;
	if (p.iif[0])
		p.d.ifindex = if_nametoindex(p.iif);
	/* dynamic sets: what the data path holds now, when flowtagd runs */
	if (use_live_sets(c, &prep.pol, comp, &p.d, &ls)) {
		pr_err("out of memory");
		goto out;
	}

	ft_pkt_flow_key(&p.d, &k);
	ref = ft_reference_match(pol, &p.d);
	reference = ref < 0 ? FT_RULE_NONE : (uint32_t)ref;
	compiled = ft_compiled_match(comp, &k);
	agree = compiled == reference;

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	print_packet(o, &p);
	if (p.iif[0] && !p.d.ifindex)
		ft_out_warn(o, "no interface %s on this host: rules naming it cannot match here",
			    p.iif);
	ft_out_str(o, "policy", "policy", path);
	if (from_daemon) {
		struct stat sb;

		if (!stat(path, &sb) && (uint64_t)sb.st_mtime > info.loaded)
			ft_out_warn(o, "%s changed after flowtagd loaded it: the running policy "
				    "may differ (flowtagctl reload)", path);
	}
	print_live_sets(o, &ls, &p.d);
	print_verdict(o, pol, comp, agree ? compiled : reference);

	if (agree)
		snprintf(text, sizeof(text), "agrees with the reference evaluator");
	else
		snprintf(text, sizeof(text), "MISMATCH: compiled rule %d, reference rule %d",
			 compiled == FT_RULE_NONE ? -1 : (int)compiled, ref);
	ft_out_opt_u64(o, "compiled_rule", NULL, compiled != FT_RULE_NONE, compiled, NULL, true);
	ft_out_opt_u64(o, "reference_rule", NULL, ref >= 0, (uint64_t)ref, NULL, true);
	ft_out_bool(o, "agree", NULL, agree, "yes", "no");
	ft_out_str(o, NULL, "compiled search", text);
	/* the data path decides it ahead of the flow cache (ft_prefilter()) */
	ft_out_bool(o, "prefilter", "drop pre-filter", agree && k.family == FT_FAM_IPV4 &&
		    compiled < ft_compiled_prefilter_rules(comp), "yes (no flow cache entry)", "no");
	if (!agree) {
		pr_err("BUG: the compiled bit-vector search chose rule %d, the reference "
		       "evaluator rule %d for this packet. The data path would not do what the "
		       "policy says. Please report it with the policy file and this command "
		       "line.", compiled == FT_RULE_NONE ? -1 : (int)compiled, ref);
		goto out;
	}
	if (c->live) {
		const struct ft_verdict *want = compiled < comp->nrules ? &comp->rules[compiled] :
									 &comp->hdr.default_verdict;
		bool failed;

		if (!explain_live(c, o, &p, want, comp->hdr.mark_mask, &failed))
			goto out;
	}
	ret = EXIT_OK;
out:
	ret = ctl_finish_output(o, ret);
	ft_prepared_free(&prep);
	return ret;
}

/* "explain keys: iif NAME, vlan ID, ..." from the field table, in 80 columns */
static void explain_help(FILE *f, const char *prog)
{
	int col = fprintf(f, "explain keys:"), w;
	size_t k;

	for (k = 0; k < FT_NMATCH_FIELDS; k++) {
		w = 1 + (int)(strlen(ft_fields[k].cli_key) + 1 + strlen(ft_fields[k].cli_value)) +
		    (k + 1 < FT_NMATCH_FIELDS);
		if (col + w > 80)
			col = fprintf(f, "\n ");
		col += fprintf(f, " %s %s%s", ft_fields[k].cli_key, ft_fields[k].cli_value,
			       k + 1 < FT_NMATCH_FIELDS ? "," : "");
	}
	fprintf(f, "\n  e.g. %s explain proto tcp src 198.18.0.1 dst 198.19.0.5 dport 22\n"
		"  --live: also run it through the running XDP and tc programs (a probe that\n"
		"  changes no counter and no flow cache); a difference is an error (exit 1)\n",
		prog);
}

const struct ctl_cmd ctl_explain = {
	.name = "explain",
	.args = "[--live] KEY VALUE...",
	.summary = "which rule a packet described by KEY VALUE pairs matches",
	.help = explain_help,
	.run = do_explain,
};
