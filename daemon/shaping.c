// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Egress shaping: the HTB tree of shaping.h through libnl-route-3. libnl
 * has modules for htb, fq_codel, sfq and fifo; cake has none, and is
 * created by its kind alone (the kernel then uses cake's defaults).
 */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include "attach.h"
#include "log.h"
#include "shaping.h"
#include "strparse.h"

static const char *const leaf_kind[] = {
	[FT_LEAF_FQ_CODEL] = "fq_codel", [FT_LEAF_CAKE] = "cake", [FT_LEAF_SFQ] = "sfq",
	[FT_LEAF_PFIFO] = "pfifo", [FT_LEAF_NONE] = NULL,
};

static int cmp_classid(const void *a, const void *b)
{
	const struct ft_htb_class *x = a, *y = b;

	return x->classid < y->classid ? -1 : x->classid > y->classid;
}

int ft_shaping_plan(const struct ft_policy *pol, const struct ft_shaping *sh,
		    struct ft_htb_class *out, size_t max)
{
	uint64_t sum = 0, share;
	size_t n = 0, unrated = 0, i, k;

	for (i = 0; i < pol->nclasses; i++) {
		const struct ft_class *cl = &pol->classes[i];
		uint64_t ceil = cl->ceil ? cl->ceil : sh->rate;

		if (!cl->has_priority || !ft_htb_leaf_id(cl->priority))
			continue;
		for (k = 0; k < n && out[k].classid != cl->priority; k++)
			;
		if (k == n) {
			if (n == max)
				return -ENOSPC;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].classid = cl->priority;
			out[n].name = cl->name;
			n++;
		}
		out[k].rate += cl->rate;
		if (ceil > out[k].ceil)
			out[k].ceil = ceil;
		if (cl->burst > out[k].burst)
			out[k].burst = cl->burst;
		if (cl->quantum > out[k].quantum)
			out[k].quantum = cl->quantum;
	}
	for (k = 0; k < n; k++) {
		sum += out[k].rate;
		unrated += !out[k].rate;
	}
	share = unrated && sum < sh->rate ? (sh->rate - sum) / unrated : 0;
	if (share < 1000)
		share = 1000;	/* 8 kbit: config.c refuses policies that leave less */
	for (k = 0; k < n; k++) {
		/* an unrated class's share never exceeds its own ceil */
		if (!out[k].rate)
			out[k].rate = share < out[k].ceil ? share : out[k].ceil;
		if (out[k].ceil < out[k].rate)
			out[k].ceil = out[k].rate;
	}
	qsort(out, n, sizeof(out[0]), cmp_classid);
	return (int)n;
}

/* ---- libnl ---- */

static int nl_err(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_PERM: return -EPERM;
	case NLE_INVAL: return -EINVAL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	default: return -EIO;
	}
}

static void tc_init(struct rtnl_tc *tc, uint32_t ifindex, uint32_t parent, uint32_t handle,
		    const char *kind)
{
	rtnl_tc_set_ifindex(tc, ifindex);
	rtnl_tc_set_parent(tc, parent);
	rtnl_tc_set_handle(tc, handle);
	rtnl_tc_set_kind(tc, kind);
}

/* The root htb qdisc, created or replaced. */
static int htb_root_create(struct nl_sock *sk, uint32_t ifindex, uint32_t defcls)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int err;

	if (!q)
		return -ENOMEM;
	tc_init(TC_CAST(q), ifindex, TC_H_ROOT, FT_HTB_HANDLE, "htb");
	rtnl_htb_set_defcls(q, defcls);
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	return err < 0 ? nl_err(err) : 0;
}

/* Add or change one HTB class in place (HTB keeps its counters and queue). */
static int htb_class_set(struct nl_sock *sk, uint32_t ifindex, uint32_t parent,
			 const struct ft_htb_class *c)
{
	struct rtnl_class *cl = rtnl_class_alloc();
	int err;

	if (!cl)
		return -ENOMEM;
	tc_init(TC_CAST(cl), ifindex, parent, c->classid, "htb");
	rtnl_htb_set_rate64(cl, c->rate);
	rtnl_htb_set_ceil64(cl, c->ceil);
	if (c->burst) {
		rtnl_htb_set_rbuffer(cl, c->burst);
		rtnl_htb_set_cbuffer(cl, c->burst);
	}
	if (c->quantum)
		rtnl_htb_set_quantum(cl, c->quantum);
	err = rtnl_class_add(sk, cl, NLM_F_CREATE);
	rtnl_class_put(cl);
	return err < 0 ? nl_err(err) : 0;
}

/* The leaf qdisc under class @classid: kept when it already has the right
 * kind (its statistics and queue survive a reload), else replaced. */
static int leaf_set(struct nl_sock *sk, struct nl_cache *qcache, uint32_t ifindex,
		    uint32_t classid, enum ft_leaf leaf)
{
	struct rtnl_qdisc *cur = rtnl_qdisc_get_by_parent(qcache, ifindex, classid);
	const char *want = leaf_kind[leaf], *have = cur ? rtnl_tc_get_kind(TC_CAST(cur)) : NULL;
	struct rtnl_qdisc *q;
	int err = 0;

	if (!want) {
		if (cur)
			err = rtnl_qdisc_delete(sk, cur);
		goto out;
	}
	if (have && !strcmp(have, want))
		goto out;
	q = rtnl_qdisc_alloc();
	if (!q) {
		err = -NLE_NOMEM;
		goto out;
	}
	tc_init(TC_CAST(q), ifindex, classid, (classid & 0xffff) << 16, want);
	/* libnl's fifo module insists on a limit; tc's default is txqueuelen */
	if (leaf == FT_LEAF_PFIFO)
		rtnl_qdisc_fifo_set_limit(q, 1000);
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
out:
	if (cur)
		rtnl_qdisc_put(cur);
	return err < 0 ? nl_err(err) : 0;
}

struct stale_ctx {
	struct nl_sock *sk;
	uint32_t ifindex;
	const struct ft_htb_class *plan;
	int n;
	int err;
	const char *name;
};

/* Classes under 1:1 that the policy no longer has. */
static void delete_stale(struct nl_object *obj, void *arg)
{
	struct rtnl_class *cl = (struct rtnl_class *)obj;
	struct stale_ctx *c = arg;
	uint32_t id = rtnl_tc_get_handle(TC_CAST(cl));
	char buf[16];
	int i, err;

	if ((uint32_t)rtnl_tc_get_ifindex(TC_CAST(cl)) != c->ifindex ||
	    rtnl_tc_get_parent(TC_CAST(cl)) != FT_HTB_ROOT)
		return;
	for (i = 0; i < c->n; i++)
		if (c->plan[i].classid == id)
			return;
	err = rtnl_class_delete(c->sk, cl);
	if (err < 0) {
		pr_warn("%s: cannot delete HTB class %s: %s", c->name,
			ft_format_tc_handle(id, buf, sizeof(buf)), nl_geterror(err));
		c->err = nl_err(err);
	} else {
		pr_info("%s: HTB class %s removed (no longer in the policy)", c->name,
			ft_format_tc_handle(id, buf, sizeof(buf)));
	}
}

int ft_shaping_apply(const struct ft_policy *pol, const struct ft_iface *ifc, uint32_t ifindex,
		     bool *owned)
{
	const struct ft_shaping *sh = &ifc->egress_shaping;
	struct ft_htb_class plan[FT_MAX_CLASSES];
	struct nl_cache *qcache = NULL, *ccache = NULL;
	struct rtnl_qdisc *root = NULL;
	struct ft_htb_class top = { .classid = FT_HTB_ROOT, .rate = sh->rate, .ceil = sh->rate };
	uint32_t defcls = 0;
	const char *kind;
	struct nl_sock *sk;
	bool rebuild = true;
	char r[32], id[16];
	int n, i, err;

	n = ft_shaping_plan(pol, sh, plan, FT_MAX_CLASSES);
	if (n < 0)
		return n;
	if (sh->default_class >= 0)
		defcls = pol->classes[sh->default_class].priority & 0xffff;
	sk = ft_nl_route_open();
	if (!sk) {
		pr_err("%s: shaping: cannot open a netlink socket", ifc->name);
		return -ENOTCONN;
	}
	err = rtnl_qdisc_alloc_cache(sk, &qcache);
	if (err < 0) {
		err = nl_err(err);
		pr_err("%s: shaping: cannot list qdiscs: %s", ifc->name, strerror(-err));
		goto out;
	}
	root = rtnl_qdisc_get_by_parent(qcache, (int)ifindex, TC_H_ROOT);
	kind = root ? rtnl_tc_get_kind(TC_CAST(root)) : NULL;
	if (root && kind && !strcmp(kind, "htb") && rtnl_tc_get_handle(TC_CAST(root)) ==
	    FT_HTB_HANDLE && *owned) {
		/* ours already: change in place unless the default class moved */
		rebuild = rtnl_htb_get_defcls(root) != defcls;
		if (rebuild)
			pr_info("%s: HTB default class changes to 1:%x: rebuilding the tree "
				"(HTB cannot change its default in place)", ifc->name, defcls);
	} else if (root && rtnl_tc_get_handle(TC_CAST(root)) && !sh->replace_root) {
		pr_err("%s: the root qdisc %s %s was not created by flowtag; egress_shaping "
		       "would replace it: set replace_root = true to allow that", ifc->name,
		       kind ? kind : "?",
		       ft_format_tc_handle(rtnl_tc_get_handle(TC_CAST(root)), id, sizeof(id)));
		err = -EEXIST;
		goto out;
	}
	if (rebuild) {
		err = htb_root_create(sk, ifindex, defcls);
		if (err) {
			pr_err("%s: cannot create the HTB root qdisc: %s", ifc->name,
			       strerror(-err));
			goto out;
		}
		*owned = true;
		/* the cache predates the new root: no leaf exists any more */
		nl_cache_free(qcache);
		qcache = NULL;
		err = rtnl_qdisc_alloc_cache(sk, &qcache);
		if (err < 0) {
			err = nl_err(err);
			goto out;
		}
	}
	err = htb_class_set(sk, ifindex, FT_HTB_HANDLE, &top);
	for (i = 0; !err && i < n; i++) {
		const char *what = "HTB class";

		err = htb_class_set(sk, ifindex, FT_HTB_ROOT, &plan[i]);
		if (!err) {
			what = "leaf qdisc of";
			err = leaf_set(sk, qcache, ifindex, plan[i].classid, sh->leaf);
		}
		if (err == -ENOENT && leaf_kind[sh->leaf] && what[0] == 'l')
			pr_err("%s: this kernel has no %s qdisc (module sch_%s missing or not "
			       "built): choose another egress_shaping leaf", ifc->name,
			       leaf_kind[sh->leaf], leaf_kind[sh->leaf]);
		else if (err)
			pr_err("%s: %s %s (%s): %s", ifc->name, what,
			       ft_format_tc_handle(plan[i].classid, id, sizeof(id)), plan[i].name,
			       strerror(-err));
	}
	if (err)
		goto out;
	err = rtnl_class_alloc_cache(sk, (int)ifindex, &ccache);
	if (err >= 0) {
		struct stale_ctx sc = { sk, ifindex, plan, n, 0, ifc->name };

		nl_cache_foreach(ccache, delete_stale, &sc);
		err = sc.err;
	} else {
		err = nl_err(err);
	}
	if (!err)
		pr_info("%s: egress shaping %s: HTB 1: with %d class(es) under %s, leaf %s%s",
			ifc->name, rebuild ? "built" : "updated in place", n,
			ft_format_rate(sh->rate, r, sizeof(r)),
			leaf_kind[sh->leaf] ? leaf_kind[sh->leaf] : "none",
			defcls ? "" : ", unclassified traffic unshaped (no default_class)");
out:
	if (root)
		rtnl_qdisc_put(root);
	if (qcache)
		nl_cache_free(qcache);
	if (ccache)
		nl_cache_free(ccache);
	nl_socket_free(sk);
	return err;
}

int ft_shaping_remove(uint32_t ifindex, const char *name)
{
	struct nl_cache *qcache = NULL;
	struct rtnl_qdisc *root = NULL;
	struct nl_sock *sk = ft_nl_route_open();
	const char *kind;
	int err;

	if (!sk)
		return -ENOTCONN;
	err = rtnl_qdisc_alloc_cache(sk, &qcache);
	if (err < 0) {
		err = nl_err(err);
		goto out;
	}
	root = rtnl_qdisc_get_by_parent(qcache, (int)ifindex, TC_H_ROOT);
	kind = root ? rtnl_tc_get_kind(TC_CAST(root)) : NULL;
	if (!kind || strcmp(kind, "htb") || rtnl_tc_get_handle(TC_CAST(root)) != FT_HTB_HANDLE) {
		pr_warn("%s: flowtag's HTB root qdisc is gone already", name);
		goto out;
	}
	err = rtnl_qdisc_delete(sk, root);
	if (err < 0) {
		err = nl_err(err);
		pr_err("%s: cannot delete the HTB root qdisc: %s", name, strerror(-err));
	} else {
		pr_info("%s: egress shaping removed (the kernel's default qdisc is back)", name);
	}
out:
	if (root)
		rtnl_qdisc_put(root);
	if (qcache)
		nl_cache_free(qcache);
	nl_socket_free(sk);
	return err;
}
