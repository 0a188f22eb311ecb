// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl status: daemon, policy, interfaces and XDP->tc hand-off
 * health, from the pins and the kernel. The exit code is for monitoring:
 * 0 ok, 1 degraded or down, 2 no flowtagd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "ctl.h"
#include "handoff.h"
#include "log.h"
#include "probe.h"

/* @tcx: the program is a tcx link, which needs no clsact qdisc */
static const char *tc_cell(const struct ft_live *lv, const struct ft_live_prog *p, bool want,
			   bool tcx)
{
	if (!want)
		return "no";
	if (!lv->exists)
		return "-";
	if ((!tcx && !lv->clsact) || !p->id)
		return "MISSING";
	return p->ours ? "yes" : "FOREIGN";
}

static void print_iface(struct ft_out *o, const struct ctl_iface_view *v)
{
	const struct ft_iface_info *ifc = &v->rec;
	const struct ft_live *lv = &v->lv;
	char pdesc[BPF_OBJ_NAME_LEN + 24], tcx[BPF_OBJ_NAME_LEN + 24] = "none";
	const char *reasons[FT_LIVE_REASONS];
	bool absent = ifc->flags & FT_IFACE_F_ABSENT, on_tcx = ifc->flags & FT_IFACE_F_TCX;
	/* not attached: nothing recorded of its link or hooks */
	bool none = absent || (ifc->flags & FT_IFACE_F_FAILED);
	const char *used;
	unsigned int r;

	if (lv->xdp.id)
		snprintf(pdesc, sizeof(pdesc), "%s #%u", lv->xdp.name[0] ? lv->xdp.name : "?",
			 lv->xdp.id);
	if (lv->ntcx)
		snprintf(tcx, sizeof(tcx), "%s #%u%s", lv->tcx[0].name[0] ? lv->tcx[0].name : "?",
			 lv->tcx[0].id, lv->ntcx > 1 ? " +" : "");
	for (r = 0; r < lv->nreasons && r < FT_LIVE_REASONS; r++)
		reasons[r] = lv->reason[r];

	/* the way packets are really classified there, from the kernel's state */
	if (absent)
		used = "absent";
	else if (ifc->flags & FT_IFACE_F_FAILED)
		used = "not-attached";
	else if (!lv->exists)
		used = "gone";
	else if (lv->xdp.ours && lv->xdp_mode == XDP_ATTACHED_DRV)
		used = "xdp-native";
	else if (lv->xdp.ours && lv->xdp_mode == XDP_ATTACHED_SKB)
		used = "xdp-generic";
	else
		used = "tc-only";

	ft_out_begin_row(o);
	ft_out_str(o, "name", "interface", ifc->name);
	ft_out_u64(o, "ifindex", "ifindex", ifc->ifindex);
	ft_out_str(o, "link", "link", none ? "-" : ft_link_type_name(ifc->link_type));
	ft_out_str(o, "mode", "mode", used);
	ft_out_bool(o, "present", "present", !absent, "yes", "no");
	ft_out_bool(o, "required", NULL, ifc->flags & FT_IFACE_F_REQUIRED, "yes", "no");
	ft_out_bool(o, "pattern", NULL, ifc->flags & FT_IFACE_F_PATTERN, "yes", "no");
	ft_out_str(o, "state", "state", absent && lv->state == FT_LIVE_OK ? "absent" :
		   ft_live_state_name(lv->state));
	ft_out_str(o, "xdp_mode", "xdp", lv->exists ? ft_xdp_mode_name(lv->xdp_mode) :
					  absent ? "-" : "gone");
	ft_out_str(o, "xdp_mode_at_attach", NULL, ft_xdp_mode_name(ifc->xdp_mode));
	ft_out_opt_u64(o, "xdp_prog_id", NULL, lv->xdp.id, lv->xdp.id, NULL, true);
	ft_out_str(o, "xdp_prog", "program", lv->xdp.id ? pdesc : NULL);
	ft_out_bool(o, "xdp_prog_ours", NULL, lv->xdp.ours, "yes", "no");
	ft_out_opt_bool(o, "xdp_link", NULL, lv->link >= 0, lv->link > 0, NULL, NULL);
	ft_out_bool(o, "clsact", NULL, lv->clsact, "yes", "no");
	ft_out_str(o, "tc_hook", "tc hook", none ? "-" : on_tcx ? "tcx" : "clsact");
	ft_out_opt_bool(o, "tcx_link", NULL, lv->tcx_link >= 0, lv->tcx_link > 0, NULL, NULL);
	ft_out_str(o, "ingress_state", "ingress", tc_cell(lv, &lv->ingress, true, on_tcx));
	ft_out_bool(o, "ingress", NULL, (on_tcx || lv->clsact) && lv->ingress.ours, "yes", "no");
	ft_out_str(o, "egress_state", "egress",
		   tc_cell(lv, &lv->egress, ifc->flags & FT_IFACE_F_EGRESS, false));
	ft_out_bool(o, "egress", NULL, lv->clsact && lv->egress.ours, "yes", "no");
	ft_out_u64(o, "tcx_programs", NULL, lv->ntcx);
	ft_out_str(o, "tcx", "tcx in front", lv->ntcx ? tcx : "none");
	ft_out_bool(o, "frags", NULL, ifc->flags & FT_IFACE_F_FRAGS, "yes", "no");
	ft_out_bool(o, "qdisc_ours", "clsact", ifc->flags & FT_IFACE_F_QDISC_OURS, "ours",
		    lv->clsact ? "shared" : "none");
	ft_out_u64(o, "repairs", "repairs", v->ih.repairs);
	ft_out_opt_u64(o, "last_repair", NULL, v->ih.last_repair, v->ih.last_repair, NULL, false);
	ft_out_str(o, "last_repair_restored", NULL, v->ih.last[0] ? v->ih.last : NULL);
	ft_out_bool(o, "repairs_stopped", NULL, v->ih.flags & FT_IFH_F_GAVE_UP, "yes", "no");
	ft_out_strv(o, "reasons", reasons, r);
	ft_out_end_row(o);
}

/* Per-interface XDP->tc hand-off: a stall on one interface shows even
 * when the others carry the totals. */
static void print_iface_handoff(struct ft_out *o, const struct ctl_iface_view *v)
{
	uint64_t pm = ft_permille(v->hoff.meta_seen, v->hoff.tc_pkts);
	char pct[32];

	ft_out_begin_row(o);
	ft_out_str(o, "name", "interface", v->rec.name);
	ft_out_u64(o, "meta_written", "meta written (XDP)", v->hoff.meta_written);
	ft_out_u64(o, "tc_packets", "tc packets", v->hoff.tc_pkts);
	ft_out_u64(o, "meta_seen", "meta seen by tc", v->hoff.meta_seen);
	ft_out_opt_double(o, "meta_percent", "share", v->hoff.tc_pkts, (double)pm / 10.0,
			  v->hoff.tc_pkts ? ft_format_permille(pm, pct, sizeof(pct)) : NULL, true);
	ft_out_end_row(o);
}

/* The one-line verdict on the XDP->tc hand-off, and what to do about it. */
static void print_handoff(struct ft_out *o, const uint64_t *cnt)
{
	struct ft_handoff h;
	unsigned int i;

	ft_handoff_assess(cnt, &h);
	ft_out_begin_fields(o, "handoff", NULL);
	ft_out_str(o, "state", NULL, ft_handoff_state_name(h.state));
	ft_out_opt_double(o, "meta_percent", NULL, cnt[FT_CNT_TC_PKTS], (double)h.permille / 10.0,
			  NULL, true);
	ft_out_str(o, "summary", "XDP->tc hand-off", h.summary);
	ft_out_end_fields(o);
	for (i = 0; i < h.nhints; i++)
		ft_out_warn(o, "%s", h.hint[i]);
}

static void print_status_daemon(struct ft_out *o, const struct ft_daemon_info *info)
{
	char comm[32], pid[16];
	enum ft_daemon_state ds = ft_daemon_state(info->pid, comm, sizeof(comm));

	ft_out_begin_fields(o, "daemon", NULL);
	ft_out_str(o, "state", "flowtagd", ctl_daemon_state_name(ds));
	snprintf(pid, sizeof(pid), "%u", info->pid);
	ft_out_opt_u64(o, "pid", "pid", info->pid, info->pid, info->pid ? pid : NULL, false);
	ctl_out_time(o, "started", "started", info->started);
	ft_out_end_fields(o);

	if (ds == FT_DAEMON_STALE)
		ft_out_warn(o, "flowtagd (pid %u) is gone without cleaning up; the data path "
			    "keeps classifying with the last policy", info->pid);
	else if (ds == FT_DAEMON_REUSED)
		ft_out_warn(o, "flowtagd (pid %u) is gone, the pid now belongs to '%s'; the data "
			    "path keeps classifying with the last policy", info->pid, comm);
}

/* What this kernel offers, probed now: the variant of each feature in force. */
static void print_status_kernel(struct ft_out *o)
{
	struct ft_kernel_features f;

	ft_probe_kernel(&f);
	ft_out_begin_fields(o, "kernel", "kernel");
	ft_out_str(o, "release", "release", f.release);
	ft_out_str(o, "tcx", "tcx hooks", ft_probe_res_str(f.tcx));
	ft_out_str(o, "xdp_frags", "xdp.frags programs", ft_probe_res_str(f.xdp_frags));
	ft_out_str(o, "percpu_lookup", "per-CPU array lookups", ft_probe_percpu_str(f.percpu_inline));
	ft_out_u64(o, "meta_max", "data_meta limit (bytes)", f.meta_max);
	ft_out_str(o, "tc_attach", "tc attach",
		   f.tcx == FT_PROBE_YES ? "ingress: tcx link (tc_hook auto/tcx) or clsact + cls_bpf; "
					   "egress: clsact + cls_bpf"
					 : "clsact + cls_bpf (direct-action)");
	ft_out_str(o, "xdp_attach", "XDP attach", "bpf_link (pinned)");
	ft_out_end_fields(o);
}

static int print_status_policy(struct ft_out *o, struct ft_pinned *s,
			       const struct ft_daemon_info *info, const struct ft_state *st,
			       const struct ft_health *hl)
{
	struct ft_policy_hdr h;
	int err;

	err = ft_pinned_policy(s, st->slot & 1, &h);
	if (err) {
		pr_err("cannot read ft_policy: %s", strerror(-err));
		return err;
	}
	ft_out_begin_fields(o, "policy", NULL);
	ft_out_str(o, "file", "policy", info->policy[0] ? info->policy : NULL);
	if (hl->policy_ino) {
		char fid[96], when[48];

		snprintf(fid, sizeof(fid), "inode %llu, modified %s",
			 (unsigned long long)hl->policy_ino,
			 ctl_format_time((uint64_t)hl->policy_mtime, when, sizeof(when)));
		ft_out_str(o, NULL, "file read", fid);
		ft_out_u64(o, "file_inode", NULL, hl->policy_ino);
		ft_out_u64(o, "file_mtime", NULL, (uint64_t)hl->policy_mtime);
	}
	ft_out_u64(o, "generation", "generation", st->generation);
	ft_out_u64(o, "slot", NULL, st->slot & 1);
	ctl_out_time(o, "loaded", "loaded", info->generation == st->generation ? info->loaded : 0);
	ft_out_u64(o, "rules", "rules", st->generation ? h.nrules : 0);
	ft_out_u64(o, "classes", "classes", st->generation ? h.nclasses : 0);
	/* from the header the programs read, not from the daemon's memory */
	/* null (text "-") without a policy, as check -j for an invalid one */
	ft_out_opt_bool(o, "flow_cache", "flow cache", st->generation, !(h.flags & FT_POL_F_NOCACHE),
			"on", "off (every packet classified by the rules)");
	ft_out_str(o, "search", "search", st->generation ? ft_search_name(h.flags) : NULL);
	ft_out_u64(o, "reloads", "reloads", info->reloads);
	ft_out_u64(o, "reload_failures", "rejected reloads", info->reload_failures);
	ft_out_u64(o, "repairs", "repairs", hl->repairs);
	ft_out_end_fields(o);

	if (!st->generation)
		ft_out_warn(o, "no policy loaded: packets pass unclassified");
	else if (info->generation != st->generation)
		ft_out_warn(o, "flowtagd reports generation %u, the data path runs generation "
			    "%u (a reload in progress?)", info->generation, st->generation);
	return 0;
}

/* reload --confirm and rollback (ft_confirm): pending, confirmed, rolled back, lost. */
static void print_status_confirm(struct ft_out *o, struct ft_pinned *s)
{
	static const char *const names[] = {
		[FT_CONFIRM_NONE] = "none", [FT_CONFIRM_PENDING] = "pending",
		[FT_CONFIRM_CONFIRMED] = "confirmed", [FT_CONFIRM_ROLLED_BACK] = "rolled-back",
		[FT_CONFIRM_LOST] = "lost",
	};
	struct ft_confirm_info k;
	char text[256], when[48];
	const char *name;

	if (ft_pinned_confirm(s, &k))
		return;		/* pins of a version without it */
	name = k.state < ARRAY_SIZE(names) ? names[k.state] : "?";
	ctl_format_time(k.state == FT_CONFIRM_PENDING ? k.deadline : k.when, when, sizeof(when));
	switch (k.state) {
	case FT_CONFIRM_PENDING:
		snprintf(text, sizeof(text), "generation %u waits for flowtagctl confirm; else "
			 "rollback to generation %u at %s", k.generation, k.previous, when);
		break;
	case FT_CONFIRM_CONFIRMED:
		snprintf(text, sizeof(text), "generation %u confirmed %s", k.generation, when);
		break;
	case FT_CONFIRM_ROLLED_BACK:
		snprintf(text, sizeof(text), "generation %u rolled back (now generation %u) %s: %s",
			 k.generation, k.previous, when, k.why);
		break;
	case FT_CONFIRM_LOST:
		snprintf(text, sizeof(text), "generation %u was waiting for confirm when flowtagd "
			 "restarted: lost, no rollback (%s)", k.generation, when);
		break;
	default:
		snprintf(text, sizeof(text), "-");
	}
	ft_out_begin_fields(o, "confirm", NULL);
	ft_out_str(o, "state", NULL, name);
	ft_out_opt_u64(o, "generation", NULL, k.state, k.generation, NULL, false);
	ft_out_opt_u64(o, "previous", NULL, k.state == FT_CONFIRM_PENDING ||
			       k.state == FT_CONFIRM_ROLLED_BACK, k.previous, NULL, false);
	ft_out_opt_u64(o, "deadline", NULL, k.state == FT_CONFIRM_PENDING, k.deadline, NULL,
		       false);
	ft_out_opt_u64(o, "since", NULL, k.state, k.when, NULL, false);
	ft_out_bool(o, "automatic", NULL, k.automatic, "yes", "no");
	ft_out_str(o, "reason", NULL, k.state == FT_CONFIRM_ROLLED_BACK ? k.why : NULL);
	ft_out_u64(o, "rollbacks", "rollbacks", k.rollbacks);
	ft_out_str(o, NULL, "confirm", text);
	ft_out_end_fields(o);
	if (k.state == FT_CONFIRM_LOST)
		ft_out_warn(o, "a reload --confirm of generation %u was pending when flowtagd "
			    "restarted: it was neither confirmed nor rolled back", k.generation);
}

static int do_status(const struct ctl *c, int argc, char **argv)
{
	struct ctl_view v = { 0 };
	struct ctl_pins p;
	struct ft_out *o = NULL;
	uint64_t cnt[FT_CNT_MAX];
	char title[64];
	uint32_t i;
	size_t r;
	int err, ret = EXIT_STATUS_BAD;

	static const char *const heads[] = { "interface", "ifindex", "link", "mode", "present",
					     "state",
					     "xdp", "program", "tc hook", "ingress", "egress",
					     "tcx in front",
					     "clsact", "repairs", NULL };
	static const char *const hheads[] = { "interface", "meta written (XDP)", "tc packets",
					      "meta seen by tc", "share", NULL };

	(void)argv;
	if (argc)
		return ctl_usage_error("status takes no arguments");
	err = ctl_open_pins(c, &p, false);
	if (err)
		return err == -ENOENT ? EXIT_STATUS_NOT_RUNNING : EXIT_STATUS_BAD;
	err = ctl_view_read(&p, &v);
	if (!err)
		err = ft_pinned_counters(&p.maps, cnt);
	if (err)
		goto out;
	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		err = -ENOMEM;
		goto out;
	}

	/* the verdict first: what monitoring and operators look for */
	ft_out_str(o, "state", "state", ft_live_state_name(v.state));
	ft_out_strv(o, "reasons", (const char *const *)v.reasons, v.nreasons);
	for (r = 0; r < v.nreasons; r++)
		ft_out_text(o, "  %s", v.reasons[r]);
	if (p.via_pid)
		ft_out_str(o, "pins", "pins", p.path);

	print_status_daemon(o, &v.info);
	print_status_kernel(o);
	err = print_status_policy(o, &p.maps, &v.info, &v.st, &v.health);
	if (err)
		goto out;
	print_status_confirm(o, &p.maps);

	ft_out_begin_table(o, "interfaces", "interfaces", heads);
	for (i = 0; i < v.nifs; i++)
		print_iface(o, &v.ifs[i]);
	ft_out_end_table(o);

	ft_out_begin_table(o, "handoff_per_interface",
			   "XDP->tc hand-off per interface (since attached or repaired)", hheads);
	for (i = 0; i < v.nifs; i++)
		if (v.ifs[i].has_hoff)
			print_iface_handoff(o, &v.ifs[i]);
	ft_out_end_table(o);

	snprintf(title, sizeof(title), "counters (summed over %d CPUs)", p.maps.ncpu);
	ft_out_begin_fields(o, "counters", title);
	for (i = 0; i < FT_CNT_MAX; i++)
		ft_out_u64(o, ft_counter_names[i].key, ft_counter_names[i].label, cnt[i]);
	ft_out_end_fields(o);
	if (cnt[FT_CNT_FRAG_MISS])
		ft_out_warn(o, "%llu later IP fragments arrived before their first fragment "
			    "(reordered, or the first was lost): classified without ports, "
			    "so port rules missed them",
			    (unsigned long long)cnt[FT_CNT_FRAG_MISS]);
	if (cnt[FT_CNT_VLAN_RECLASS])
		ft_out_warn(o, "tc reclassified %llu packets whose VLAN tag was offloaded "
			    "(invisible to XDP); the policy matches on vlan",
			    (unsigned long long)cnt[FT_CNT_VLAN_RECLASS]);

	print_handoff(o, cnt);
	if (v.ds != FT_DAEMON_RUNNING)
		ret = EXIT_STATUS_NOT_RUNNING;
	else
		ret = v.state == FT_LIVE_OK ? EXIT_STATUS_OK : EXIT_STATUS_BAD;
out:
	ret = ctl_finish_output(o, ret);
	ctl_view_free(&v);
	ctl_close_pins(&p);
	return ret;
}

const struct ctl_cmd ctl_status = {
	.name = "status",
	.args = "",
	.summary = "daemon, policy, interfaces and XDP->tc hand-off health",
	.run = do_status,
};
