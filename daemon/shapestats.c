// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The statistics of flowtag's HTB trees (shapestats.h). A class's drops
 * are the larger of the class's own count (packets its leaf refused) and
 * the leaf qdisc's (which also counts what fq_codel or sfq drop inside the
 * queue): both count a refused packet, so their sum would count it twice.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "attach.h"
#include "output.h"
#include "shapestats.h"
#include "shaping.h"
#include "pinned.h"
#include "strparse.h"

char *ft_format_bitrate(uint64_t bytes_per_sec, char *buf, size_t len)
{
	double bits = (double)bytes_per_sec * 8;

	if (bits >= 1e9)
		snprintf(buf, len, "%.2fgbit", bits / 1e9);
	else if (bits >= 1e6)
		snprintf(buf, len, "%.2fmbit", bits / 1e6);
	else if (bits >= 1e3)
		snprintf(buf, len, "%.1fkbit", bits / 1e3);
	else
		snprintf(buf, len, "%.0fbit", bits);
	return buf;
}

struct read_ctx {
	uint32_t ifindex;
	struct nl_cache *qcache;
	struct ft_shaped_dev *dev;
	size_t max;
};

static void read_class(struct nl_object *obj, void *arg)
{
	struct rtnl_class *cl = (struct rtnl_class *)obj;
	struct read_ctx *c = arg;
	struct ft_htb_stats *h;
	struct rtnl_qdisc *leaf;
	uint64_t leaf_drops = 0;

	if ((uint32_t)rtnl_tc_get_ifindex(TC_CAST(cl)) != c->ifindex ||
	    rtnl_tc_get_parent(TC_CAST(cl)) != FT_HTB_ROOT || c->dev->nclasses == c->max)
		return;
	h = &c->dev->classes[c->dev->nclasses++];
	memset(h, 0, sizeof(*h));
	h->classid = rtnl_tc_get_handle(TC_CAST(cl));
	h->bytes = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_BYTES);
	h->packets = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_PACKETS);
	h->drops = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_DROPS);
	h->overlimits = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_OVERLIMITS);
	h->backlog_bytes = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_BACKLOG);
	h->backlog_packets = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_QLEN);
	/* libnl calls it bits/s; the kernel's gnet_stats_rate_est counts bytes */
	h->rate = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_RATE_BPS);
	leaf = rtnl_qdisc_get_by_parent(c->qcache, (int)c->ifindex, h->classid);
	if (leaf) {
		leaf_drops = rtnl_tc_get_stat(TC_CAST(leaf), RTNL_TC_DROPS);
		rtnl_qdisc_put(leaf);
	}
	if (leaf_drops > h->drops)
		h->drops = leaf_drops;
}

static int cmp_classid(const void *a, const void *b)
{
	const struct ft_htb_stats *x = a, *y = b;

	return x->classid < y->classid ? -1 : x->classid > y->classid;
}

/* The leaf classes of HTB 1: on @dev->ifindex. */
static int read_dev(struct nl_sock *sk, struct ft_shaped_dev *dev)
{
	struct read_ctx c = { dev->ifindex, NULL, dev, FT_MAX_CLASSES };
	struct nl_cache *ccache = NULL;
	int err;

	dev->classes = calloc(FT_MAX_CLASSES, sizeof(*dev->classes));
	if (!dev->classes)
		return -ENOMEM;
	err = rtnl_qdisc_alloc_cache(sk, &c.qcache);
	if (err >= 0)
		err = rtnl_class_alloc_cache(sk, (int)dev->ifindex, &ccache);
	if (err >= 0)
		nl_cache_foreach(ccache, read_class, &c);
	if (ccache)
		nl_cache_free(ccache);
	if (c.qcache)
		nl_cache_free(c.qcache);
	if (err < 0)
		return err == -NLE_NOMEM ? -ENOMEM : -EIO;
	qsort(dev->classes, dev->nclasses, sizeof(dev->classes[0]), cmp_classid);
	return 0;
}

/* Policy class names per HTB class, from the class descriptions of @slot. */
static void name_classes(struct ft_pinned *s, uint32_t slot, struct ft_shaped_dev *dev)
{
	struct ft_policy_hdr h;
	struct ft_class_info ci;
	uint32_t i;
	size_t k;

	if (ft_pinned_policy(s, slot, &h))
		return;
	for (i = 0; i < h.nclasses && i < FT_MAX_CLASSES; i++) {
		if (ft_pinned_class(s, slot, i, &ci) || !(ci.flags & FT_META_F_PRIO))
			continue;
		ci.name[sizeof(ci.name) - 1] = '\0';
		for (k = 0; k < dev->nclasses; k++) {
			char *n = dev->classes[k].classes;
			size_t len = strlen(n);

			if (dev->classes[k].classid == ci.priority)
				snprintf(n + len, sizeof(dev->classes[k].classes) - len, "%s%s",
					 len ? "," : "", ci.name);
		}
	}
}

int ft_shaping_report_read(struct ft_pinned *s, uint32_t slot, struct ft_shaping_report *r)
{
	struct ft_daemon_info info = { 0 };
	struct nl_sock *sk = NULL;
	uint32_t i;
	int err = 0, pass;

	memset(r, 0, sizeof(*r));
	err = ft_pinned_info(s, &info);
	if (err)
		return err;
	for (i = 0; i < info.nifaces && i < FT_MAX_IFACES; i++) {
		struct ft_iface_info rec;

		char here[IF_NAMESIZE];

		if (ft_pinned_iface(s, i, &rec) ||
		    !(rec.flags & (FT_IFACE_F_SHAPED | FT_IFACE_F_INGRESS_SHAPED)))
			continue;
		/* the ifindex may be another device in another network namespace */
		if (!if_indextoname(rec.ifindex, here) ||
		    strncmp(here, rec.name, sizeof(rec.name))) {
			snprintf(r->error, sizeof(r->error), "%.*s is not in this network "
				 "namespace (run in flowtagd's)", (int)sizeof(rec.name) - 1,
				 rec.name);
			continue;
		}
		if (!sk && !(sk = ft_nl_route_open()))
			return -ENOTCONN;
		for (pass = 0; pass < 2; pass++) {
			struct ft_shaped_dev *d = &r->devs[r->ndevs];
			int e, ifb;

			if (!(rec.flags & (pass ? FT_IFACE_F_INGRESS_SHAPED : FT_IFACE_F_SHAPED)))
				continue;
			memset(d, 0, sizeof(*d));
			snprintf(d->iface, sizeof(d->iface), "%.*s", (int)sizeof(rec.name) - 1,
				 rec.name);
			d->ingress = pass;
			d->ifindex = rec.ifindex;
			if (pass) {
				ifb = ft_ingress_ifb(rec.ifindex);
				d->ifindex = ifb > 0 ? (uint32_t)ifb : 0;
			}
			if (!d->ifindex || !if_indextoname(d->ifindex, d->dev)) {
				snprintf(r->error, sizeof(r->error), "%s: %s shaping device not found",
					 d->iface, pass ? "ingress" : "egress");
				continue;
			}
			e = read_dev(sk, d);
			if (e) {
				free(d->classes);
				d->classes = NULL;
				snprintf(r->error, sizeof(r->error), "%s: cannot read the HTB classes: %s",
					 d->dev, strerror(-e));
				continue;
			}
			name_classes(s, slot, d);
			r->ndevs++;
		}
	}
	if (sk)
		nl_socket_free(sk);
	return 0;
}

void ft_shaping_report_free(struct ft_shaping_report *r)
{
	size_t i;

	for (i = 0; i < r->ndevs; i++)
		free(r->devs[i].classes);
	r->ndevs = 0;
}

static void add_stats(struct ft_htb_stats *sum, const struct ft_htb_stats *h)
{
	sum->bytes += h->bytes;
	sum->packets += h->packets;
	sum->drops += h->drops;
	sum->overlimits += h->overlimits;
	sum->backlog_bytes += h->backlog_bytes;
	sum->backlog_packets += h->backlog_packets;
	sum->rate += h->rate;
}

bool ft_shaping_report_class(const struct ft_shaping_report *r, uint32_t classid,
			     struct ft_htb_stats *sum)
{
	bool found = false;
	size_t i, k;

	memset(sum, 0, sizeof(*sum));
	sum->classid = classid;
	for (i = 0; i < r->ndevs; i++)
		for (k = 0; k < r->devs[i].nclasses; k++)
			if (r->devs[i].classes[k].classid == classid) {
				add_stats(sum, &r->devs[i].classes[k]);
				found = true;
			}
	return found;
}

const char *const ft_shaping_heads[] = { "shaped", "drops", "overlimits", "backlog", "rate",
					 NULL };

/* The five cells; @h NULL: a class no tree has. */
static void out_cells(struct ft_out *o, const struct ft_htb_stats *h)
{
	char rate[32];

	if (!h) {
		ft_out_opt_u64(o, "shaped_bytes", "shaped", false, 0, NULL, true);
		ft_out_opt_u64(o, "shaped_drops", "drops", false, 0, NULL, true);
		ft_out_opt_u64(o, "shaped_overlimits", "overlimits", false, 0, NULL, true);
		ft_out_opt_u64(o, "backlog_bytes", "backlog", false, 0, NULL, true);
		ft_out_opt_u64(o, "rate_bps", "rate", false, 0, NULL, true);
		return;
	}
	ft_out_u64(o, "shaped_bytes", "shaped", h->bytes);
	ft_out_u64(o, "shaped_packets", NULL, h->packets);
	ft_out_u64(o, "shaped_drops", "drops", h->drops);
	ft_out_u64(o, "shaped_overlimits", "overlimits", h->overlimits);
	ft_out_u64(o, "backlog_bytes", "backlog", h->backlog_bytes);
	ft_out_u64(o, "backlog_packets", NULL, h->backlog_packets);
	ft_out_opt_u64(o, "rate_bps", "rate", true, h->rate * 8,
		       ft_format_bitrate(h->rate, rate, sizeof(rate)), true);
}

void ft_shaping_out_cells(struct ft_out *o, const struct ft_shaping_report *r, bool has_priority,
			  uint32_t priority)
{
	struct ft_htb_stats sum;

	out_cells(o, has_priority && ft_shaping_report_class(r, priority, &sum) ? &sum : NULL);
}

void ft_shaping_out_devices(struct ft_out *o, const struct ft_shaping_report *r)
{
	static const char *const heads[] = { "interface", "direction", "device", "classid",
					     "classes", "shaped", "drops", "overlimits",
					     "backlog", "rate", NULL };
	char id[16];
	size_t i, k;

	if (r->error[0])
		ft_out_warn(o, "shaping statistics incomplete: %s", r->error);
	if (!r->ndevs)
		return;
	ft_out_begin_table(o, "shaping", "shaping", heads);
	for (i = 0; i < r->ndevs; i++) {
		const struct ft_shaped_dev *d = &r->devs[i];

		for (k = 0; k < d->nclasses; k++) {
			const struct ft_htb_stats *h = &d->classes[k];

			ft_out_begin_row(o);
			ft_out_str(o, "interface", "interface", d->iface);
			ft_out_str(o, "direction", "direction", d->ingress ? "ingress" : "egress");
			ft_out_str(o, "device", "device", d->dev);
			ft_out_str(o, "classid", "classid",
				   ft_format_tc_handle(h->classid, id, sizeof(id)));
			ft_out_str(o, "classes", "classes", h->classes[0] ? h->classes : NULL);
			out_cells(o, h);
			ft_out_end_row(o);
		}
	}
	ft_out_end_table(o);
}
