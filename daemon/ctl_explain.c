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

#include "attach.h"
#include "ctl.h"
#include "fields.h"
#include "log.h"
#include "pktspec.h"
#include "prepare.h"
#include "strparse.h"

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

/* The daemon's policy file, if flowtagd is there to say. */
static bool running_policy(const struct ctl *c, struct ft_daemon_info *info)
{
	struct ft_pinned s;
	bool ok = false;

	if (ft_pinned_open(&s, c->pin_dir))
		return false;
	ok = !ft_pinned_info(&s, info) && info->policy[0];
	ft_pinned_close(&s);
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
		snprintf(where, sizeof(where), "%s:%d", pol->file, pol->rules[rule].line);
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

static int do_explain(const struct ctl *c, int argc, char **argv)
{
	struct ft_prepared prep = { 0 };
	const struct ft_policy *pol = &prep.pol;
	const struct ft_compiled *comp = &prep.comp;
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
	if (!agree) {
		pr_err("BUG: the compiled bit-vector search chose rule %d, the reference "
		       "evaluator rule %d for this packet. The data path would not do what the "
		       "policy says. Please report it with the policy file and this command "
		       "line.", compiled == FT_RULE_NONE ? -1 : (int)compiled, ref);
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
	fprintf(f, "\n  e.g. %s explain proto tcp src 198.18.0.1 dst 198.19.0.5 dport 22\n",
		prog);
}

const struct ctl_cmd ctl_explain = {
	.name = "explain",
	.args = "KEY VALUE...",
	.summary = "which rule a packet described by KEY VALUE pairs matches",
	.help = explain_help,
	.run = do_explain,
};
