// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Egress shaping: the HTB tree of shaping.h through libnl-route-3. libnl
 * has modules for htb, fq_codel, sfq and fifo; cake has none, and is
 * created by its kind alone (the kernel then uses cake's defaults).
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
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

/*
 * Add or change one HTB class in place (HTB keeps its counters and queue).
 * A new class gets a rate estimator (1 s samples, 4 s average, as tc's
 * "estimator 1sec 4sec"), which flowtagctl stats shows as the current
 * rate; a changed one keeps the one it has (replacing it would restart
 * the average). libnl has no call for TCA_RATE: it is added to the request.
 */
static int htb_class_set(struct nl_sock *sk, uint32_t ifindex, uint32_t parent,
			 const struct ft_htb_class *c, bool create)
{
	static const struct tc_estimator est = { .interval = 0, .ewma_log = 2 };
	struct rtnl_class *cl = rtnl_class_alloc();
	struct nl_msg *msg = NULL;
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
	err = rtnl_class_build_add_request(cl, NLM_F_CREATE, &msg);
	if (err >= 0 && create)
		err = nla_put(msg, TCA_RATE, sizeof(est), &est);
	if (err >= 0)
		err = nl_send_sync(sk, msg);	/* frees msg */
	else
		nlmsg_free(msg);
	rtnl_class_put(cl);
	return err < 0 ? nl_err(err) : 0;
}

/*
 * The leaf qdisc under class @classid: kept when it already has the right
 * kind (its statistics and queue survive a reload), else replaced. The
 * kernel changes a qdisc of the same handle in place and refuses another
 * kind there (EINVAL, "must match existing qdisc"): the old leaf is
 * deleted first (HTB puts its default in for the moment), so that the new
 * one is created, or fails for its own reason (ENOENT: no such kind).
 */
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
	if (cur && rtnl_tc_get_handle(TC_CAST(cur))) {
		err = rtnl_qdisc_delete(sk, cur);
		if (err < 0)
			goto out;
	}
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

static bool class_exists(struct nl_cache *ccache, uint32_t ifindex, uint32_t classid)
{
	struct rtnl_class *cl = rtnl_class_get(ccache, (int)ifindex, classid);

	if (cl)
		rtnl_class_put(cl);
	return cl;
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

/*
 * The HTB tree of @sh on device @ifindex: built, or changed in place
 * when *@owned says it is ours already. @what ("egress shaping", "ingress
 * shaping on ifb-x") starts the log lines, after the interface @name.
 */
static int htb_apply(const struct ft_policy *pol, const struct ft_shaping *sh, const char *name,
		     const char *what, uint32_t ifindex, bool *owned)
{
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
		pr_err("%s: shaping: cannot open a netlink socket", name);
		return -ENOTCONN;
	}
	err = rtnl_qdisc_alloc_cache(sk, &qcache);
	if (err < 0) {
		err = nl_err(err);
		pr_err("%s: shaping: cannot list qdiscs: %s", name, strerror(-err));
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
				"(HTB cannot change its default in place)", name, defcls);
	} else if (root && rtnl_tc_get_handle(TC_CAST(root)) && !sh->replace_root) {
		pr_err("%s: the root qdisc %s %s was not created by flowtag; egress_shaping "
		       "would replace it: set replace_root = true to allow that", name,
		       kind ? kind : "?",
		       ft_format_tc_handle(rtnl_tc_get_handle(TC_CAST(root)), id, sizeof(id)));
		err = -EEXIST;
		goto out;
	}
	if (rebuild) {
		err = htb_root_create(sk, ifindex, defcls);
		if (err) {
			pr_err("%s: cannot create the HTB root qdisc: %s", name,
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
	err = rtnl_class_alloc_cache(sk, (int)ifindex, &ccache);
	if (err < 0) {
		err = nl_err(err);
		pr_err("%s: shaping: cannot list HTB classes: %s", name, strerror(-err));
		goto out;
	}
	err = htb_class_set(sk, ifindex, FT_HTB_HANDLE, &top, !class_exists(ccache, ifindex, top.classid));
	for (i = 0; !err && i < n; i++) {
		const char *step = "HTB class";

		err = htb_class_set(sk, ifindex, FT_HTB_ROOT, &plan[i],
				    !class_exists(ccache, ifindex, plan[i].classid));
		if (!err) {
			step = "leaf qdisc of";
			err = leaf_set(sk, qcache, ifindex, plan[i].classid, sh->leaf);
		}
		if (err == -ENOENT && leaf_kind[sh->leaf] && step[0] == 'l')
			pr_err("%s: this kernel has no %s qdisc (module sch_%s missing or not "
			       "built): choose another leaf for %s", name,
			       leaf_kind[sh->leaf], leaf_kind[sh->leaf], what);
		else if (err)
			pr_err("%s: %s %s (%s): %s", name, step,
			       ft_format_tc_handle(plan[i].classid, id, sizeof(id)), plan[i].name,
			       strerror(-err));
	}
	if (!err) {
		/* the cache holds the classes from before: those not planned go */
		struct stale_ctx sc = { sk, ifindex, plan, n, 0, name };

		nl_cache_foreach(ccache, delete_stale, &sc);
		err = sc.err;
	}
	if (!err)
		pr_info("%s: %s %s: HTB 1: with %d class(es) under %s, leaf %s%s",
			name, what, rebuild ? "built" : "updated in place", n,
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

int ft_shaping_apply(const struct ft_policy *pol, const struct ft_iface *ifc, uint32_t ifindex,
		     bool *owned)
{
	return htb_apply(pol, &ifc->egress_shaping, ifc->name, "egress shaping", ifindex, owned);
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

/* ---- ingress shaping: the IFB device and the redirect to it ---- */

#define FT_CLSACT_INGRESS	TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)

/* The u32 filter at our redirect pref on @ifindex's clsact ingress whose
 * mirred action redirects to some device: that device's ifindex, else 0. */
struct redirect_ctx {
	uint32_t ifindex;
	uint32_t target;
	int nfilters;
};

static void find_redirect(struct nl_object *obj, void *arg)
{
	struct rtnl_cls *cls = (struct rtnl_cls *)obj;
	struct redirect_ctx *c = arg;
	struct rtnl_act *act;
	const char *kind = rtnl_tc_get_kind(TC_CAST(cls));

	if ((uint32_t)rtnl_tc_get_ifindex(TC_CAST(cls)) != c->ifindex ||
	    rtnl_cls_get_prio(cls) != FT_TC_REDIRECT_PRIO || !kind || strcmp(kind, "u32"))
		return;
	/* u32 lists its hash table as a filter of its own, without actions;
	 * rtnl_u32_get_action() lends the action, it takes no reference */
	act = rtnl_u32_get_action(cls);
	if (!act)
		return;
	c->nfilters++;
	kind = rtnl_tc_get_kind(TC_CAST(act));
	if (kind && !strcmp(kind, "mirred") && rtnl_mirred_get_action(act) == TCA_EGRESS_REDIR)
		c->target = rtnl_mirred_get_ifindex(act);
}

static int redirect_find(struct nl_sock *sk, uint32_t ifindex, struct redirect_ctx *c)
{
	struct nl_cache *cache = NULL;
	int err;

	memset(c, 0, sizeof(*c));
	c->ifindex = ifindex;
	err = rtnl_cls_alloc_cache(sk, (int)ifindex, FT_CLSACT_INGRESS, &cache);
	if (err < 0)
		return nl_err(err);
	nl_cache_foreach(cache, find_redirect, c);
	nl_cache_free(cache);
	return 0;
}

int ft_ingress_ifb(uint32_t ifindex)
{
	struct nl_sock *sk = ft_nl_route_open();
	struct redirect_ctx c;
	int err;

	if (!sk)
		return -ENOTCONN;
	err = redirect_find(sk, ifindex, &c);
	nl_socket_free(sk);
	return err ? err : (int)c.target;
}

/* Every filter at our redirect pref on clsact ingress (the whole u32 tp). */
static int redirect_delete(struct nl_sock *sk, uint32_t ifindex)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	int err;

	if (!cls)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(cls), (int)ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), FT_CLSACT_INGRESS);
	rtnl_tc_set_kind(TC_CAST(cls), "u32");
	rtnl_cls_set_prio(cls, FT_TC_REDIRECT_PRIO);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	err = rtnl_cls_delete(sk, cls, 0);
	rtnl_cls_put(cls);
	return err < 0 && err != -NLE_OBJ_NOTFOUND ? nl_err(err) : 0;
}

/*
 * u32 "match all" at FT_TC_REDIRECT_PRIO, one after flowtag's classifier:
 * mirred egress redirect to @ifb. The kernel picks the u32 handle (its hash
 * table ids are shared by every u32 filter of the qdisc).
 */
static int redirect_add(struct nl_sock *sk, uint32_t ifindex, uint32_t ifb)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct rtnl_act *act = rtnl_act_alloc();
	int err = -NLE_NOMEM;

	if (!cls || !act)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(cls), (int)ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), FT_CLSACT_INGRESS);
	err = rtnl_tc_set_kind(TC_CAST(cls), "u32");
	if (err < 0)
		goto out;
	rtnl_cls_set_prio(cls, FT_TC_REDIRECT_PRIO);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	err = rtnl_tc_set_kind(TC_CAST(act), "mirred");
	if (err < 0)
		goto out;
	rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
	rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
	rtnl_mirred_set_ifindex(act, ifb);
	err = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0);
	if (!err)
		err = rtnl_u32_set_cls_terminal(cls);
	if (!err)
		err = rtnl_u32_add_action(cls, act);
	if (!err)
		err = rtnl_cls_add(sk, cls, NLM_F_CREATE);
out:
	if (act)
		rtnl_act_put(act);
	if (cls)
		rtnl_cls_put(cls);
	return err < 0 ? nl_err(err) : 0;
}

/* The IFB device @name: its ifindex, 0 when there is none, -ENOTTY when a
 * device of that name is not an IFB. */
static int ifb_lookup(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = NULL;
	const char *type;
	int err;

	err = rtnl_link_get_kernel(sk, 0, name, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		return 0;
	if (err < 0)
		return nl_err(err);
	type = rtnl_link_get_type(link);
	err = type && !strcmp(type, "ifb") ? rtnl_link_get_ifindex(link) : -ENOTTY;
	rtnl_link_put(link);
	return err;
}

/* Create the IFB device @name, up. */
static int ifb_create(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	err = rtnl_link_set_type(link, "ifb");
	if (!err) {
		rtnl_link_set_flags(link, IFF_UP);
		err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	}
	rtnl_link_put(link);
	return err < 0 ? nl_err(err) : 0;
}

/* Bring an existing device up (an IFB somebody set down stops traffic). */
static int link_up(struct nl_sock *sk, uint32_t ifindex)
{
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	int err;

	if (!change)
		return -ENOMEM;
	err = rtnl_link_get_kernel(sk, (int)ifindex, NULL, &link);
	if (err >= 0 && !(rtnl_link_get_flags(link) & IFF_UP)) {
		rtnl_link_set_flags(change, IFF_UP);
		err = rtnl_link_change(sk, link, change, 0);
	}
	if (link)
		rtnl_link_put(link);
	rtnl_link_put(change);
	return err < 0 ? nl_err(err) : 0;
}

static int ifb_delete(struct nl_sock *sk, uint32_t ifindex)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_ifindex(link, (int)ifindex);
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	return err < 0 ? nl_err(err) : 0;
}

int ft_ingress_shaping_apply(const struct ft_policy *pol, const struct ft_iface *ifc,
			     uint32_t ifindex, bool *owned)
{
	const struct ft_shaping *sh = &ifc->ingress_shaping;
	struct nl_sock *sk = ft_nl_route_open();
	struct redirect_ctx rc;
	char what[64];
	bool created = false, htb_owned = *owned, had = *owned;
	int ifb, err;

	if (!sk) {
		pr_err("%s: ingress shaping: cannot open a netlink socket", ifc->name);
		return -ENOTCONN;
	}
	ifb = ifb_lookup(sk, sh->ifb);
	if (ifb == -ENOTTY) {
		pr_err("%s: ingress shaping: a device named %s exists and is not an IFB device: "
		       "name the IFB with ifb = \"...\"", ifc->name, sh->ifb);
		err = -EEXIST;
		goto out;
	} else if (ifb > 0 && !*owned) {
		pr_err("%s: ingress shaping: the IFB device %s exists and was not created by "
		       "flowtag: remove it or name another with ifb = \"...\"", ifc->name, sh->ifb);
		err = -EEXIST;
		goto out;
	} else if (ifb < 0) {
		err = ifb;
		pr_err("%s: ingress shaping: cannot look up %s: %s", ifc->name, sh->ifb,
		       strerror(-err));
		goto out;
	}
	if (!ifb) {
		err = ifb_create(sk, sh->ifb);
		if (!err)
			ifb = (int)if_nametoindex(sh->ifb);
		if (err || !ifb) {
			err = err ? err : -ENODEV;
			pr_err("%s: ingress shaping: cannot create the IFB device %s: %s%s",
			       ifc->name, sh->ifb, strerror(-err),
			       err == -EOPNOTSUPP || err == -ENOENT ?
				       " (is the kernel's ifb module available?)" : "");
			goto out;
		}
		created = true;
		*owned = true;
		htb_owned = false;
		pr_info("%s: IFB device %s created for ingress shaping", ifc->name, sh->ifb);
	} else {
		err = link_up(sk, (uint32_t)ifb);
		if (err)
			pr_warn("%s: cannot set %s up: %s", ifc->name, sh->ifb, strerror(-err));
	}
	/* the IFB is ours: whatever root qdisc it has (its default) goes */
	snprintf(what, sizeof(what), "ingress shaping on %s", sh->ifb);
	{
		struct ft_shaping on_ifb = *sh;

		on_ifb.replace_root = true;
		err = htb_apply(pol, &on_ifb, ifc->name, what, (uint32_t)ifb, &htb_owned);
	}
	if (err)
		goto fail;
	err = redirect_find(sk, ifindex, &rc);
	if (!err && (rc.target != (uint32_t)ifb || rc.nfilters != 1)) {
		/* another IFB (the policy renamed it) or a foreign filter at our
		 * pref: the whole pref goes, then ours comes */
		if (rc.nfilters)
			err = redirect_delete(sk, ifindex);
		if (!err)
			err = redirect_add(sk, ifindex, (uint32_t)ifb);
		if (!err)
			pr_info("%s: clsact ingress pref %d redirects to %s (after flowtag's "
				"classifier: a tcx link, or the clsact filter at pref %d)",
				ifc->name, FT_TC_REDIRECT_PRIO, sh->ifb, FT_TC_PRIO);
		if (!err && rc.target && rc.target != (uint32_t)ifb && had &&
		    ifb_delete(sk, rc.target) == 0)
			pr_info("%s: the previous IFB device (ifindex %u) deleted", ifc->name,
				rc.target);
	}
	if (err) {
		pr_err("%s: ingress shaping: cannot redirect clsact ingress to %s: %s%s",
		       ifc->name, sh->ifb, strerror(-err),
		       err == -ENOENT || err == -EOPNOTSUPP ?
			       " (are the kernel's cls_u32 and act_mirred available?)" : "");
		goto fail;
	}
	goto out;
fail:
	if (created) {
		ifb_delete(sk, (uint32_t)ifb);
		*owned = false;
	}
out:
	nl_socket_free(sk);
	return err;
}

int ft_ingress_shaping_remove(uint32_t ifindex, const char *name, const char *ifb_name)
{
	struct nl_sock *sk = ft_nl_route_open();
	struct redirect_ctx rc;
	char ifb[IF_NAMESIZE] = "";
	int err, e;

	if (!sk)
		return -ENOTCONN;
	/* the redirect says which IFB is ours, even without the policy;
	 * ifindex 0: the interface is gone, and its redirect with it */
	memset(&rc, 0, sizeof(rc));
	err = ifindex ? redirect_find(sk, ifindex, &rc) : 0;
	if (!err && rc.nfilters)
		err = redirect_delete(sk, ifindex);
	if (err)
		pr_err("%s: cannot remove the redirect to the IFB device: %s", name,
		       strerror(-err));
	if (!rc.target && ifb_name) {
		e = ifb_lookup(sk, ifb_name);
		rc.target = e > 0 ? (uint32_t)e : 0;
	}
	if (rc.target && (!if_indextoname(rc.target, ifb) || ifb_lookup(sk, ifb) <= 0)) {
		pr_warn("%s: the redirect pointed at ifindex %u, which is not an IFB device: "
			"left alone", name, rc.target);
		rc.target = 0;
	}
	if (rc.target) {
		e = ifb_delete(sk, rc.target);
		if (e) {
			pr_err("%s: cannot delete the IFB device %s: %s", name, ifb, strerror(-e));
			err = err ? err : e;
		}
	}
	if (!err)
		pr_info("%s: ingress shaping removed%s%s", name, rc.target ? ", IFB device " : "",
			rc.target ? ifb : "");
	nl_socket_free(sk);
	return err;
}

/* ---- what another tool removed ---- */

/* The root qdisc of @ifindex in @qcache: 1 ours (htb 1:), 0 the kernel's
 * default (none, or handle 0:), -1 another tool's. */
static int root_state(struct nl_cache *qcache, uint32_t ifindex)
{
	struct rtnl_qdisc *root = rtnl_qdisc_get_by_parent(qcache, (int)ifindex, TC_H_ROOT);
	const char *kind;
	uint32_t handle;
	int st;

	if (!root)
		return 0;
	kind = rtnl_tc_get_kind(TC_CAST(root));
	handle = rtnl_tc_get_handle(TC_CAST(root));
	st = kind && !strcmp(kind, "htb") && handle == FT_HTB_HANDLE ? 1 : handle ? -1 : 0;
	rtnl_qdisc_put(root);
	return st;
}

int ft_shaping_check(uint32_t ifindex, uint32_t flags)
{
	struct nl_sock *sk;
	struct nl_cache *qcache = NULL;
	struct redirect_ctx rc;
	int st, ret = 0, err;

	if (!(flags & (FT_IFACE_F_SHAPED | FT_IFACE_F_INGRESS_SHAPED)))
		return 0;
	sk = ft_nl_route_open();
	if (!sk)
		return -ENOTCONN;
	err = rtnl_qdisc_alloc_cache(sk, &qcache);
	if (err < 0) {
		ret = nl_err(err);
		goto out;
	}
	if (flags & FT_IFACE_F_SHAPED) {
		st = root_state(qcache, ifindex);
		ret |= st == 0 ? FT_SHAPING_EGRESS_GONE : st < 0 ? FT_SHAPING_EGRESS_FOREIGN : 0;
	}
	if (flags & FT_IFACE_F_INGRESS_SHAPED) {
		err = redirect_find(sk, ifindex, &rc);
		if (err) {
			ret = err;
			goto out;
		}
		if (!rc.target)
			ret |= FT_SHAPING_INGRESS_GONE;
		else if (root_state(qcache, rc.target) == 0)
			ret |= FT_SHAPING_INGRESS_GONE;
	}
out:
	if (qcache)
		nl_cache_free(qcache);
	nl_socket_free(sk);
	return ret;
}
