// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * What status and reload judge (see ctl.h): flowtag's records read from
 * the pins, every recorded interface checked in the kernel, one verdict.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

/* Per-interface findings the kernel does not show: repairs given up,
 * hand-off stalled or never reaching tc, why the shaping the kernel lacks
 * could not be built. Added to @v->lv's reasons. */
static void judge_extra(struct ctl_iface_view *v)
{
	struct ft_live *lv = &v->lv;

	/* the kernel said what is missing (ft_live_check()); flowtagd why,
	 * a reason for each error it recorded ("A; B": egress, ingress) */
	if (lv->unshaped && v->is.why[0]) {
		const char *what = v->is.flags == (FT_IFS_F_EGRESS | FT_IFS_F_INGRESS) ? "shaping" :
				   v->is.flags & FT_IFS_F_INGRESS ? "ingress shaping" :
				   "egress shaping";
		const char *p = v->is.why, *end;
		size_t n;

		while (*p && lv->nreasons < FT_LIVE_REASONS) {
			end = strstr(p, "; ");
			n = end ? (size_t)(end - p) : strlen(p);
			snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
				 "flowtagd could not build its %s: %.*s", what, (int)(n < 150 ? n : 150),
				 p);
			p += n + (end ? 2 : 0);
		}
	}

	if ((v->ih.flags & FT_IFH_F_GAVE_UP) && lv->nreasons < FT_LIVE_REASONS) {
		snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
			 "flowtagd stopped repairing it: another tool removed flowtag's hooks "
			 "again and again; `flowtagctl reload` makes it repair again");
		if (lv->state < FT_LIVE_DEGRADED)
			lv->state = FT_LIVE_DEGRADED;
	}
	if (v->has_hoff && v->hoff.meta_written >= 16 && !v->hoff.tc_pkts &&
	    lv->nreasons < FT_LIVE_REASONS) {
		snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
			 "XDP wrote metadata on %llu packets, tc ingress saw none",
			 (unsigned long long)v->hoff.meta_written);
		if (lv->state < FT_LIVE_DEGRADED)
			lv->state = FT_LIVE_DEGRADED;
	} else if ((v->ih.flags & FT_IFH_F_STALLED) && lv->nreasons < FT_LIVE_REASONS) {
		snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
			 "XDP->tc hand-off stalled: XDP writes metadata, tc ingress sees no packet");
		if (lv->state < FT_LIVE_DEGRADED)
			lv->state = FT_LIVE_DEGRADED;
	}
}

void ctl_view_free(struct ctl_view *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		free(v->reasons[i]);
	free(v->reasons);
	free(v->ifs);
	memset(v, 0, sizeof(*v));
}

void ctl_view_reason(struct ctl_view *v, enum ft_live_state st, const char *fmt, ...)
{
	char **r, *line, buf[768];
	va_list ap;

	if (st > v->state)
		v->state = st;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line = strdup(buf);
	if (!line)
		return;
	r = realloc(v->reasons, (v->nreasons + 1) * sizeof(*r));
	if (!r) {
		free(line);
		return;
	}
	v->reasons = r;
	v->reasons[v->nreasons++] = line;
}

/*
 * Read flowtag's state and check every recorded interface in the kernel,
 * then judge: ok, degraded (tagging, but not as configured) or down
 * (nothing tagged). Return: 0 or -errno (logged).
 */
int ctl_view_read(struct ctl_pins *p, struct ctl_view *v)
{
	struct ft_live_expect exp = { 0 };
	uint32_t i, ndown = 0, nabsent = 0;
	char comm[32];
	int err;

	memset(v, 0, sizeof(*v));
	err = ft_pinned_info(&p->maps, &v->info);
	if (!err)
		err = ft_pinned_state(&p->maps, &v->st);
	if (err) {
		pr_err("cannot read flowtag's status maps: %s", strerror(-err));
		return err;
	}
	if (ft_pinned_health(&p->maps, &v->health))
		memset(&v->health, 0, sizeof(v->health));	/* older pins: judge by names */
	exp.xdp = v->health.prog_xdp;
	exp.xdp_frags = v->health.prog_xdp_frags;
	exp.tc_ingress = v->health.prog_tc_ingress;
	exp.tc_egress = v->health.prog_tc_egress;
	v->ds = ft_daemon_state(v->info.pid, comm, sizeof(comm));

	v->nifs = v->info.nifaces < FT_MAX_IFACES ? v->info.nifaces : FT_MAX_IFACES;
	v->ifs = calloc(v->nifs ? v->nifs : 1, sizeof(*v->ifs));
	if (!v->ifs)
		return -ENOMEM;
	for (i = 0; i < v->nifs; i++) {
		struct ctl_iface_view *iv = &v->ifs[i];
		unsigned int r;

		err = ft_pinned_iface(&p->maps, i, &iv->rec);
		if (err) {
			pr_err("cannot read ft_ifaces: %s", strerror(-err));
			return err;
		}
		if (ft_pinned_ifhealth(&p->maps, i, &iv->ih) || iv->ih.ifindex != iv->rec.ifindex)
			memset(&iv->ih, 0, sizeof(iv->ih));
		/* older pins have no ft_ifshaping: no reason beyond the kernel's */
		if (ft_pinned_ifshaping(&p->maps, i, &iv->is) || iv->is.ifindex != iv->rec.ifindex)
			memset(&iv->is, 0, sizeof(iv->is));
		iv->has_hoff = !ft_pinned_hoff(&p->maps, iv->rec.ifindex, &iv->hoff);
		ft_live_check(&iv->rec, &exp, p->path, &iv->lv);
		judge_extra(iv);
		/* one interface down is the whole degraded: down is for nothing
		 * tagged anywhere (below) */
		for (r = 0; r < iv->lv.nreasons; r++)
			ctl_view_reason(v, iv->lv.state < FT_LIVE_DEGRADED ? iv->lv.state :
					FT_LIVE_DEGRADED, "%s: %s", iv->rec.name, iv->lv.reason[r]);
		ndown += iv->lv.state == FT_LIVE_DOWN;
		nabsent += !!(iv->rec.flags & FT_IFACE_F_ABSENT);
	}

	if (!v->st.generation)
		ctl_view_reason(v, FT_LIVE_DOWN, "no policy loaded: packets pass unclassified");
	if (v->health.nmissing)
		ctl_view_reason(v, FT_LIVE_DEGRADED, "%u interface(s) of the policy not attached: %s",
			    v->health.nmissing, v->health.missing);
	if (v->nifs && nabsent == v->nifs && v->st.generation)
		ctl_view_reason(v, FT_LIVE_DEGRADED, "no interface attached: every interface of the "
				"policy is absent");
	if (!v->nifs && v->st.generation)
		ctl_view_reason(v, v->health.nmissing ? FT_LIVE_DOWN : FT_LIVE_DEGRADED,
			    "no interface attached");
	/* every interface there is down (absent entries tag nothing either) */
	if (v->nifs > nabsent && ndown == v->nifs - nabsent)
		v->state = FT_LIVE_DOWN;
	if (v->ds != FT_DAEMON_RUNNING)
		ctl_view_reason(v, FT_LIVE_DEGRADED, "flowtagd is not running: the pinned data path "
			    "classifies with the last policy, but nothing repairs or reloads it");
	return 0;
}
