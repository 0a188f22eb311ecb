// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Self-repair of the interfaces flowtagd attached (see repair.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "repair.h"
#include "shaping.h"
#include "pinned.h"
#include "pinned_write.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ft_watch *ft_repair_watch(struct ft_repair *r, const char *name)
{
	char copy[FT_IFNAMSIZ];
	size_t i;

	for (i = 0; i < r->nwatch; i++)
		if (!strcmp(r->watch[i].name, name))
			return &r->watch[i];
	snprintf(copy, sizeof(copy), "%s", name);	/* @name may be in r->watch */
	if (r->nwatch == FT_MAX_IFACES) {
		/* interfaces come and go by name: reuse the oldest slot */
		memmove(&r->watch[0], &r->watch[1], (FT_MAX_IFACES - 1) * sizeof(r->watch[0]));
		r->nwatch--;
	}
	memset(&r->watch[r->nwatch], 0, sizeof(r->watch[0]));
	memcpy(r->watch[r->nwatch].name, copy, sizeof(copy));
	return &r->watch[r->nwatch++];
}

void ft_repair_resume(struct ft_repair *r)
{
	size_t i;

	for (i = 0; i < r->nwatch; i++) {
		r->watch[i].gave_up = false;
		memset(r->watch[i].recent, 0, sizeof(r->watch[i].recent));
		r->watch[i].seen[0] = '\0';
	}
}

/* Whether another repair of @w now stays within FT_REPAIR_MAX per window. */
static bool repair_allowed(const struct ft_watch *w, uint64_t now)
{
	unsigned int i, n = 0;

	for (i = 0; i < FT_REPAIR_MAX; i++)
		n += w->recent[i] && now - w->recent[i] < FT_REPAIR_WINDOW_MS;
	return n < FT_REPAIR_MAX;
}

static void repair_record(struct ft_repair *r, struct ft_watch *w, uint64_t now,
			  const char *found, const char *what)
{
	unsigned int i, oldest = 0;

	for (i = 1; i < FT_REPAIR_MAX; i++)
		if (w->recent[i] < w->recent[oldest])
			oldest = i;
	w->recent[oldest] = now;
	w->repairs++;
	w->last_repair = time(NULL);
	snprintf(w->last, sizeof(w->last), "%.*s", (int)sizeof(w->last) - 1, what);
	r->repairs++;
	pr_warn("%s: repaired: %s; restored %s (repair %u of this interface)", w->name, found, what,
		w->repairs);
}

/*
 * The hand-off counters of @ifindex summed over the CPUs (@sum[0] meta
 * written, @sum[1] tc packets), or, with @reset, set to zero (a repaired
 * interface is counted afresh). Returns 0 or -1.
 */
static int hoff_read(struct ft_repair *r, uint32_t ifindex, uint64_t *sum, bool reset)
{
	int devs = ft_loader_map_fd(r->loader, "ft_devs"), fd = ft_loader_map_fd(r->loader, "ft_hoff");
	int ncpu = libbpf_num_possible_cpus(), err;
	struct ft_hoff all;
	void *buf;

	if (reset)
		return ft_hoff_reset(devs, fd, ifindex) ? -1 : 0;
	if (ncpu <= 0)
		return -1;
	buf = calloc((size_t)ncpu, sizeof(struct ft_dev));
	if (!buf)
		return -1;
	err = ft_hoff_sum(devs, fd, ifindex, ncpu, buf, &all);
	free(buf);
	if (!err && sum) {
		sum[0] = all.meta_written;
		sum[1] = all.tc_pkts;
	}
	return err ? -1 : 0;
}

/* Hand-off stalled on @a since the last check: XDP wrote, tc saw nothing. */
static bool check_stall(struct ft_repair *r, const struct ft_attachment *a, struct ft_watch *w)
{
	uint64_t sum[2];
	bool stalled;

	if (hoff_read(r, a->ifindex, sum, false))
		return false;
	stalled = sum[0] >= w->hoff_written + FT_STALL_PACKETS && sum[1] == w->hoff_tc;
	w->hoff_written = sum[0];
	w->hoff_tc = sum[1];
	return stalled;
}

/*
 * The shaping part of the self-repair: a tree another tool deleted (the
 * kernel's default qdisc is back) or a redirect to the IFB that is gone is
 * built again; a root qdisc another tool put in place of ours is left
 * alone, and said once. A rebuild that fails leaves nothing half-built
 * and its reason for status, and is not tried again before a reload.
 * Returns whether something was repaired or recorded.
 */
static bool repair_shaping(struct ft_repair *r, struct ft_attachment *a,
			   const struct ft_policy *pol, const struct ft_iface *ifc,
			   struct ft_watch *w, uint64_t now)
{
	int found = ft_shaping_check(a->ifindex, a->flags);
	char what[96];

	if (found <= 0 || w->gave_up)
		return false;
	if (found & FT_SHAPING_EGRESS_FOREIGN) {
		if (!w->shaping_foreign_logged)
			pr_warn("%s: another tool replaced flowtag's HTB root qdisc: egress "
				"shaping is not as the policy says (left alone; a reload takes "
				"the root back only with replace_root = true)", a->name);
		w->shaping_foreign_logged = true;
		found &= ~FT_SHAPING_EGRESS_FOREIGN;
		if (!found)
			return false;
	}
	if (!repair_allowed(w, now)) {
		w->gave_up = true;
		pr_err("%s: flowtag's shaping removed again; repaired %d times within %d s "
		       "already: flowtagd stops repairing %s until the next reload", a->name,
		       FT_REPAIR_MAX, FT_REPAIR_WINDOW_MS / 1000, a->name);
		return true;
	}
	/* what cannot be built is removed and recorded (ft_ifaces_shape()),
	 * and not tried again before a reload: it would fail the same way */
	if (ft_ifaces_shape(pol, a, ifc, NULL))
		return true;
	snprintf(what, sizeof(what), "%s%s%s",
		 found & FT_SHAPING_EGRESS_GONE ? "the egress HTB tree" : "",
		 found == (FT_SHAPING_EGRESS_GONE | FT_SHAPING_INGRESS_GONE) ? ", " : "",
		 found & FT_SHAPING_INGRESS_GONE ? "ingress shaping (IFB tree, redirect)" : "");
	repair_record(r, w, now, "flowtag's shaping was removed", what);
	return true;
}

bool ft_repair_check(struct ft_repair *r, struct ft_ifaces *ifs, const struct ft_policy *pol,
		     const struct ft_live_expect *exp, bool timer)
{
	bool changed = false;
	uint64_t now = now_ms();
	size_t i;

	for (i = 0; i < ifs->natt; i++) {
		struct ft_attachment *a = &ifs->att[i];
		struct ft_iface bound;
		const struct ft_iface *ifc = ft_ifaces_bound(pol, a, &bound);
		struct ft_watch *w = ft_repair_watch(r, a->name);
		struct ft_iface_info rec = { 0 };
		struct ft_live lv;
		char what[128];
		int err;

		/* vanished, re-created and renamed interfaces are ft_ifaces_sync()'s */
		if (!ifc)
			continue;
		snprintf(rec.name, sizeof(rec.name), "%s", a->name);
		rec.ifindex = a->ifindex;
		rec.flags = a->flags;
		ft_live_check(&rec, exp, r->pin_dir, &lv);
		if (!lv.exists) {
			if (!w->gone_logged)
				pr_warn("%s: the interface is gone (ifindex %u); flowtagd attaches "
					"again when it comes back", a->name, a->ifindex);
			w->gone_logged = true;
			continue;
		}
		if (timer) {
			bool st = check_stall(r, a, w);

			if (st != w->stalled) {
				if (st)
					pr_warn("%s: XDP->tc hand-off stalled: XDP wrote metadata "
						"on %d+ packets in %d s, tc ingress saw none",
						a->name, FT_STALL_PACKETS, FT_VERIFY_MS / 1000);
				w->stalled = st;
				changed = true;
			}
		}
		/* tc ingress on tcx needs no clsact qdisc, unless for a filter
		 * (ft_live_check() then says so). The hooks as flowtagd left
		 * them, even with another tool's filter in front (degraded, not
		 * repaired): the shaping is looked at */
		if (!lv.unknown && !ft_repair_needed(a, &lv) &&
		    (lv.clsact || (a->flags & FT_IFACE_F_TCX)) &&
		    repair_shaping(r, a, pol, ifc, w, now)) {
			/* lv saw the tree missing, which it no longer is:
			 * the next check judges the interface afresh */
			changed = true;
			continue;
		}
		if (lv.state == FT_LIVE_OK) {
			w->seen[0] = '\0';
			continue;
		}
		if (ft_repair_needed(a, &lv) && !w->gave_up) {
			if (!repair_allowed(w, now)) {
				w->gave_up = true;
				changed = true;
				pr_err("%s: %s; repaired %d times within %d s already: another tool "
				       "keeps removing flowtag's hooks. flowtagd stops repairing %s "
				       "(status: degraded) until the next reload", a->name,
				       lv.reason[0], FT_REPAIR_MAX, FT_REPAIR_WINDOW_MS / 1000, a->name);
				continue;
			}
			err = ft_repair_iface(r->loader, ifc, a, &lv, what, sizeof(what));
			if (err > 0) {
				bool ifb_owned = true;

				/* a new clsact qdisc has no redirect to the IFB */
				if ((a->flags & FT_IFACE_F_INGRESS_SHAPED) &&
				    ifc->ingress_shaping.enabled &&
				    !ft_ingress_shaping_apply(pol, ifc, a->ifindex, &ifb_owned))
					snprintf(what + strlen(what), sizeof(what) - strlen(what),
						 ", redirect to %s", ifc->ingress_shaping.ifb);
				repair_record(r, w, now, lv.reason[0], what);
				hoff_read(r, a->ifindex, NULL, true);	/* counted afresh */
				w->hoff_written = w->hoff_tc = 0;
				changed = true;
				continue;
			}
		}
		/* what we do not repair (tcx in front, a foreign XDP program):
		 * say it once, and again when it changes */
		if (strcmp(w->seen, lv.reason[0])) {
			unsigned int k;

			snprintf(w->seen, sizeof(w->seen), "%s", lv.reason[0]);
			for (k = 0; k < lv.nreasons; k++)
				pr_warn("%s: %s", a->name, lv.reason[k]);
		}
	}
	return changed;
}
