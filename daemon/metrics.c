// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtag/maps.h"
#include "dynset.h"
#include "metrics.h"
#include "pinned.h"
#include "shapestats.h"
#include "strparse.h"
#include "verify.h"

/*
 * UTF-8 as the text format wants it: a byte that is not (from a name an
 * older flowtagd pinned, an interface name) is U+FFFD, see output.c.
 */
void ft_metrics_label(FILE *f, const char *v)
{
	char *fixed = NULL;
	const char *p;

	if (ft_utf8_check(v, strlen(v)) != strlen(v)) {
		fixed = ft_utf8_fix(v);
		v = fixed ? fixed : "?";
	}
	for (p = v; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*p, f);
	}
	free(fixed);
}

/*
 * Per interface: the live state (checked in the kernel now, as flowtagctl
 * status does), repairs, and the XDP->tc hand-off counters. One family at
 * a time.
 */
static void write_ifaces(FILE *f, struct ft_pinned *s)
{
	static const char *const states[] = { "ok", "degraded", "down" };
	struct ft_daemon_info info = { 0 };
	struct ft_health h = { 0 };
	struct ft_live_expect exp;
	struct ft_iface_info rec[FT_MAX_IFACES];
	struct ft_iface_health ih[FT_MAX_IFACES];
	struct ft_hoff hoff[FT_MAX_IFACES];
	enum ft_live_state st[FT_MAX_IFACES];
	bool has_hoff[FT_MAX_IFACES];
	uint32_t i, n = 0, k;

	ft_pinned_info(s, &info);
	ft_pinned_health(s, &h);
	exp = (struct ft_live_expect){ h.prog_xdp, h.prog_xdp_frags, h.prog_tc_ingress,
				       h.prog_tc_egress };
	for (i = 0; i < info.nifaces && i < FT_MAX_IFACES; i++) {
		struct ft_live lv;

		if (ft_pinned_iface(s, i, &rec[n]))
			continue;
		if (ft_pinned_ifhealth(s, i, &ih[n]) || ih[n].ifindex != rec[n].ifindex)
			memset(&ih[n], 0, sizeof(ih[n]));
		has_hoff[n] = !ft_pinned_hoff(s, rec[n].ifindex, &hoff[n]);
		ft_live_check(&rec[n], &exp, s->dir, &lv);
		st[n] = lv.state;
		if (st[n] == FT_LIVE_OK && (ih[n].flags & (FT_IFH_F_GAVE_UP | FT_IFH_F_STALLED)))
			st[n] = FT_LIVE_DEGRADED;
		n++;
	}

	fprintf(f, "# HELP flowtag_repairs_total Repairs of hooks other tools removed.\n"
		   "# TYPE flowtag_repairs_total counter\n"
		   "flowtag_repairs_total %u\n", h.repairs);
	fprintf(f, "# HELP flowtag_interfaces_missing Policy interfaces not attached.\n"
		   "# TYPE flowtag_interfaces_missing gauge\n"
		   "flowtag_interfaces_missing %u\n", h.nmissing);
	fprintf(f, "# HELP flowtag_interface_state 1 for the state the interface is in "
		   "(checked in the kernel).\n# TYPE flowtag_interface_state gauge\n");
	for (i = 0; i < n; i++)
		for (k = 0; k < 3; k++) {
			fprintf(f, "flowtag_interface_state{interface=\"");
			ft_metrics_label(f, rec[i].name);
			fprintf(f, "\",state=\"%s\"} %d\n", states[k], st[i] == (enum ft_live_state)k);
		}
	fprintf(f, "# HELP flowtag_interface_present 1 when the interface (or an interface "
		   "matching the pattern) exists and is attached, 0 while absent.\n"
		   "# TYPE flowtag_interface_present gauge\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "flowtag_interface_present{interface=\"");
		ft_metrics_label(f, rec[i].name);
		fprintf(f, "\"} %d\n", !(rec[i].flags & (FT_IFACE_F_ABSENT | FT_IFACE_F_FAILED)));
	}
	fprintf(f, "# HELP flowtag_interface_repairs_total Repairs on the interface.\n"
		   "# TYPE flowtag_interface_repairs_total counter\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "flowtag_interface_repairs_total{interface=\"");
		ft_metrics_label(f, rec[i].name);
		fprintf(f, "\"} %u\n", ih[i].repairs);
	}
	fprintf(f, "# HELP flowtag_interface_handoff_total XDP->tc hand-off per interface, "
		   "since attached or repaired.\n"
		   "# TYPE flowtag_interface_handoff_total counter\n");
	for (i = 0; i < n; i++) {
		static const char *const what[] = { "meta_written", "tc_packets", "meta_seen" };
		const uint64_t v[] = { hoff[i].meta_written, hoff[i].tc_pkts, hoff[i].meta_seen };

		if (!has_hoff[i])
			continue;
		for (k = 0; k < 3; k++) {
			fprintf(f, "flowtag_interface_handoff_total{interface=\"");
			ft_metrics_label(f, rec[i].name);
			fprintf(f, "\",counter=\"%s\"} %" PRIu64 "\n", what[k], v[k]);
		}
	}
}

/*
 * The shapers: per device with flowtag's HTB tree and per HTB class, the
 * kernel's counters (since the tree was built: they survive reloads, which
 * change the tree in place) and the current queue and rate.
 */
static void write_shaping(FILE *f, struct ft_pinned *s, uint32_t slot)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} fam[] = {
#define FAM(n, t, h, field) { n, t, h, offsetof(struct ft_htb_stats, field) }
		FAM("flowtag_shaping_bytes_total", "counter", "Bytes an HTB class sent.", bytes),
		FAM("flowtag_shaping_packets_total", "counter", "Packets an HTB class sent.",
		    packets),
		FAM("flowtag_shaping_drops_total", "counter",
		    "Packets an HTB class or its leaf qdisc dropped.", drops),
		FAM("flowtag_shaping_overlimits_total", "counter",
		    "Times an HTB class was over its rate or ceil.", overlimits),
		FAM("flowtag_shaping_backlog_bytes", "gauge", "Bytes queued in an HTB class.",
		    backlog_bytes),
		FAM("flowtag_shaping_rate_bytes", "gauge",
		    "Current rate of an HTB class, bytes/s (its rate estimator).", rate),
#undef FAM
	};
	struct ft_shaping_report *r = calloc(1, sizeof(*r));
	char id[16];
	size_t k, i, j;

	if (!r || ft_shaping_report_read(s, slot, r) || !r->ndevs)
		goto out;
	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam[k].name, fam[k].help, fam[k].name,
			fam[k].type);
		for (i = 0; i < r->ndevs; i++) {
			const struct ft_shaped_dev *d = &r->devs[i];

			for (j = 0; j < d->nclasses; j++) {
				const struct ft_htb_stats *h = &d->classes[j];

				fprintf(f, "%s{interface=\"", fam[k].name);
				ft_metrics_label(f, d->iface);
				fprintf(f, "\",direction=\"%s\",device=\"",
					d->ingress ? "ingress" : "egress");
				ft_metrics_label(f, d->dev);
				fprintf(f, "\",classid=\"%s\",class=\"",
					ft_format_tc_handle(h->classid, id, sizeof(id)));
				ft_metrics_label(f, h->classes);
				fprintf(f, "\"} %" PRIu64 "\n",
					*(const uint64_t *)((const char *)h + fam[k].off));
			}
		}
	}
out:
	if (r)
		ft_shaping_report_free(r);
	free(r);
}

static int write_all(FILE *f, struct ft_pinned *s)
{
	uint64_t cnt[FT_CNT_MAX];
	struct ft_pktcnt tot[FT_MAX_CLASSES];
	struct ft_pinned_rule_cnt *rules;
	struct ft_daemon_info info = { 0 };
	struct ft_confirm_info confirm;
	struct ft_policy_hdr h;
	struct ft_state st;
	uint32_t i, ncls, nrules;
	int err, pass;

	err = ft_pinned_state(s, &st);
	if (!err)
		err = ft_pinned_policy(s, st.slot, &h);
	if (!err)
		err = ft_pinned_counters(s, cnt);
	if (err)
		return err;
	ft_pinned_info(s, &info);

	fprintf(f, "# HELP flowtag_policy_generation Generation of the active policy.\n"
		   "# TYPE flowtag_policy_generation gauge\n"
		   "flowtag_policy_generation %u\n", st.generation);
	fprintf(f, "# HELP flowtag_reloads_total Successful policy reloads.\n"
		   "# TYPE flowtag_reloads_total counter\n"
		   "flowtag_reloads_total %u\n", info.reloads);
	fprintf(f, "# HELP flowtag_reload_failures_total Rejected policy reloads.\n"
		   "# TYPE flowtag_reload_failures_total counter\n"
		   "flowtag_reload_failures_total %u\n", info.reload_failures);
	if (!ft_pinned_confirm(s, &confirm)) {
		fprintf(f, "# HELP flowtag_rollbacks_total Policy rollbacks (reload --confirm "
			   "without confirm, flowtagctl rollback) since flowtagd started.\n"
			   "# TYPE flowtag_rollbacks_total counter\n"
			   "flowtag_rollbacks_total %u\n", confirm.rollbacks);
		fprintf(f, "# HELP flowtag_confirm_pending 1 while a reload --confirm waits for "
			   "flowtagctl confirm.\n"
			   "# TYPE flowtag_confirm_pending gauge\n"
			   "flowtag_confirm_pending %d\n", confirm.state == FT_CONFIRM_PENDING);
	}

	write_ifaces(f, s);

	fprintf(f, "# HELP flowtag_datapath_total Data path and XDP->tc hand-off counters.\n"
		   "# TYPE flowtag_datapath_total counter\n");
	for (i = 0; i < FT_CNT_MAX; i++)
		fprintf(f, "flowtag_datapath_total{counter=\"%s\"} %" PRIu64 "\n",
			ft_counter_names[i].key, cnt[i]);

	/* per generation: they restart at 0 on a reload, as counters may. One
	 * family at a time: the text format wants a family's samples together. */
	/* every class's total and every rule's counter in one walk of the
	 * rules (ft_pinned_class_counts()): the rule lines below are the
	 * counters the class totals were summed from */
	rules = calloc(FT_MAX_RULES, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	ncls = h.nclasses < FT_MAX_CLASSES ? h.nclasses : FT_MAX_CLASSES;
	if (ft_pinned_class_counts(s, st.slot, ncls, tot, rules, &nrules))
		ncls = 0;
	for (pass = 0; pass < 2; pass++) {
		const char *what = pass ? "bytes" : "packets";

		fprintf(f, "# HELP flowtag_class_%s_total %s tagged with a class.\n"
			   "# TYPE flowtag_class_%s_total counter\n", what,
			pass ? "Bytes" : "Packets", what);
		for (i = 0; i < ncls; i++) {
			struct ft_class_info ci;

			if (ft_pinned_class(s, st.slot, i, &ci))
				continue;
			ci.name[sizeof(ci.name) - 1] = '\0';
			fprintf(f, "flowtag_class_%s_total{class=\"", what);
			ft_metrics_label(f, ci.name);
			fprintf(f, "\"} %llu\n",
				(unsigned long long)(pass ? tot[i].bytes : tot[i].packets));
		}
	}
	write_shaping(f, s, st.slot);
	fprintf(f, "# HELP flowtag_rule_packets_total Packets that matched a rule.\n"
		   "# TYPE flowtag_rule_packets_total counter\n");
	for (i = 0; i < nrules; i++) {
		struct ft_srcfile file;

		/* pins of a version that recorded no files: "" */
		if (ft_pinned_rule_file(s, st.slot, i, &file) < 0)
			file.name[0] = '\0';
		fprintf(f, "flowtag_rule_packets_total{rule=\"%u\",line=\"%u\",file=\"", i,
			rules[i].info.line);
		ft_metrics_label(f, file.name);
		fprintf(f, "\",action=\"%s\"} %llu\n", ft_action_name(rules[i].info.action),
			(unsigned long long)rules[i].cnt.packets);
	}
	free(rules);
	return ferror(f) ? -EIO : 0;
}

/* The dynamic sets: elements, size, lookups and hits per set. */
static int write_sets(FILE *f, const char *pin_dir)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "flowtag_set_elements", "gauge",
		  "Elements of a dynamic set (expired ones until collected)." },
		{ "flowtag_set_size", "gauge", "Elements a dynamic set holds at most, per family." },
		{ "flowtag_set_lookups_total", "counter",
		  "Addresses looked up in a dynamic set (on flow-cache misses: not a packet count)." },
		{ "flowtag_set_hits_total", "counter",
		  "Lookups that found a live element (a cached flow is not looked up again)." },
	};
	char (*names)[FT_SET_NAME_LEN];
	size_t n, i, k;

	if (ft_dynset_list(pin_dir, &names, &n) || !n)
		return 0;
	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam[k].name, fam[k].help, fam[k].name,
			fam[k].type);
		for (i = 0; i < n; i++) {
			struct ft_set_cnt cnt = { 0 };
			struct ft_dynset ds;
			uint64_t v[4];

			if (ft_dynset_open(pin_dir, names[i], &ds))
				continue;
			ft_dynset_counters(pin_dir, ds.inf.id, &cnt);
			v[0] = ds.inf.elements;
			v[1] = ds.inf.size;
			v[2] = cnt.lookups;
			v[3] = cnt.hits;
			ft_dynset_close(&ds);
			fprintf(f, "%s{set=\"", fam[k].name);
			ft_metrics_label(f, names[i]);
			fprintf(f, "\"} %" PRIu64 "\n", v[k]);
		}
	}
	free(names);
	return ferror(f) ? -EIO : 0;
}

int ft_metrics_write(const char *path, const char *pin_dir)
{
	struct ft_pinned s;
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = ft_pinned_open(&s, pin_dir);
	if (err)
		return err;
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		goto out;
	}
	err = write_all(f, &s);
	if (!err)
		err = write_sets(f, pin_dir);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	ft_pinned_close(&s);
	return err;
}
