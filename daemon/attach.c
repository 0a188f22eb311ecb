// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Interface attachment: XDP links, tc ingress as a tcx link or a cls_bpf
 * filter, the clsact qdisc (libnl-route-3) and our cls_bpf filters (libbpf
 * tc API).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "attach.h"
#include "shaping.h"
#include "loader.h"
#include "log.h"
#include "pinned_write.h"
#include "tcx_link.h"
#include "verify.h"
#include "xdp_link.h"

/* Without frags support XDP refuses MTUs whose frame does not fit one page
 * (4096 - 256 headroom - skb_shared_info - Ethernet header). */
#define FT_XDP_LINEAR_MTU	3498

/* ---- link types ---- */

static const struct {
	uint16_t type;		/* ARPHRD_* */
	uint8_t l2;		/* FT_L2_* */
	const char *name;	/* for logs and flowtagctl status */
} link_types[] = {
	{ ARPHRD_ETHER, FT_L2_ETH, "ether" },
	{ ARPHRD_LOOPBACK, FT_L2_ETH, "loopback" },
	{ ARPHRD_NONE, FT_L2_NONE, "none" },		/* tun, wireguard */
	{ ARPHRD_PPP, FT_L2_NONE, "ppp" },
	{ ARPHRD_RAWIP, FT_L2_NONE, "rawip" },		/* cellular modems */
	{ ARPHRD_TUNNEL, FT_L2_NONE, "ipip" },
	{ ARPHRD_TUNNEL6, FT_L2_NONE, "ip6tnl" },
	{ ARPHRD_SIT, FT_L2_NONE, "sit" },
	{ ARPHRD_IPGRE, FT_L2_NONE, "gre" },
	{ ARPHRD_IP6GRE, FT_L2_NONE, "ip6gre" },
};

const char *ft_link_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(link_types) / sizeof(link_types[0]); i++)
		if (link_types[i].type == type)
			return link_types[i].name;
	return "other";
}

int ft_link_l2(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(link_types) / sizeof(link_types[0]); i++)
		if (link_types[i].type == type)
			return link_types[i].l2;
	return -EPROTONOSUPPORT;
}

/* The device type (ARPHRD_*) of interface @name, or -errno. */
static int iface_link_type(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd, type;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	type = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : ifr.ifr_hwaddr.sa_family;
	close(fd);
	return type;
}

int ft_link_record(struct ft_loader *l, uint32_t ifindex, uint8_t l2, uint16_t arphrd)
{
	struct ft_link lk = { .l2 = l2, .link_type = arphrd };
	int err;

	if (bpf_map_update_elem(ft_loader_map_fd(l, "ft_links"), &ifindex, &lk, 0))
		return -errno;
	/* ft_state's l2_lookup: 1 before a program runs on an interface
	 * that is not Ethernet */
	err = ft_loader_links_sync(l);
	if (err)
		return err;
	err = ft_dev_claim(ft_loader_map_fd(l, "ft_devs"), ifindex, l2);
	return err < 0 ? err : 0;
}

/* Forget @ifindex in ft_devs (@devs_fd), then in ft_links (@links_fd); either may be -1. */
static void links_del(int links_fd, int devs_fd, uint32_t ifindex)
{
	/* the entry first: the programs fall back to ft_links meanwhile */
	ft_dev_release(devs_fd, ifindex);
	if (links_fd >= 0)
		bpf_map_delete_elem(links_fd, &ifindex);
}

/* links_del() with the loader's maps, then ft_state's l2_lookup recounted
 * (on a failure it stays as it was: 1 only costs a lookup). */
static void links_forget(struct ft_loader *l, uint32_t ifindex)
{
	links_del(ft_loader_map_fd(l, "ft_links"), ft_loader_map_fd(l, "ft_devs"), ifindex);
	ft_loader_links_sync(l);
}

static int iface_mtu(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd, mtu;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	mtu = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return mtu;
}

void ft_prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	buf[0] = '\0';
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

int ft_present_ifaces(struct ft_ifname *out, size_t max)
{
	struct if_nameindex *ifs, *i;
	size_t n = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && n < max; i++) {
		snprintf(out[n].name, sizeof(out[n].name), "%s", i->if_name);
		out[n++].ifindex = i->if_index;
	}
	if_freenameindex(ifs);
	return (int)n;
}

void ft_resolve_iifs(struct ft_policy *pol)
{
	static struct ft_ifname present[FT_MAX_PRESENT];
	int n = ft_present_ifaces(present, FT_MAX_PRESENT);
	size_t r, i;

	if (n >= 0 && !ft_policy_bind_iifs(pol, present, (size_t)n))
		return;
	/* no list (or no memory): the names as they are, one by one */
	for (r = 0; r < pol->nrules; r++)
		for (i = 0; i < pol->rules[r].match.niif; i++)
			pol->rules[r].match.iif_index[i] = if_nametoindex(pol->rules[r].match.iif[i]);
}

/* ---- clsact qdisc through libnl ---- */

struct nl_sock *ft_nl_route_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return NULL;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		pr_err("netlink: %s", nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static struct rtnl_qdisc *clsact_alloc(uint32_t ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_CLSACT);
	rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_CLSACT, 0));
	/* libnl 3.7 has no clsact module: the kind string is all it needs */
	rtnl_tc_set_kind(TC_CAST(q), "clsact");
	return q;
}

/* The qdisc at ffff: exists: 0 if it is a clsact, -EEXIST otherwise. */
static int clsact_existing_kind(struct nl_sock *sk, uint32_t ifindex, const char *name)
{
	struct rtnl_qdisc *q = NULL;
	struct nl_cache *cache;
	const char *kind;
	int err;

	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0) {
		pr_err("%s: cannot list qdiscs: %s", name, nl_geterror(err));
		return -EIO;
	}
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_CLSACT);
	kind = q ? rtnl_tc_get_kind(TC_CAST(q)) : NULL;
	if (kind && !strcmp(kind, "clsact")) {
		pr_debug("%s: clsact qdisc already present", name);
		err = 0;
	} else {
		pr_err("%s: a \"%s\" qdisc holds the ingress hook; flowtag needs clsact "
		       "(tc qdisc del dev %s ingress, then re-add its filters under clsact)",
		       name, kind ? kind : "?", name);
		err = -EEXIST;
	}
	if (q)
		rtnl_qdisc_put(q);
	nl_cache_free(cache);
	return err;
}

/* Create the clsact qdisc if missing. @created: whether we made it. */
static int clsact_ensure(uint32_t ifindex, const char *name, bool *created)
{
	struct rtnl_qdisc *q;
	struct nl_sock *sk;
	int err;

	*created = false;
	sk = ft_nl_route_open();
	if (!sk)
		return -ENOTCONN;
	q = clsact_alloc(ifindex);
	if (!q) {
		nl_socket_free(sk);
		return -ENOMEM;
	}
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	if (err == 0) {
		*created = true;
		pr_info("%s: created clsact qdisc", name);
	} else if (err == -NLE_EXIST) {
		/* shared with other users: fine, if it is a clsact. A legacy
		 * "ingress" qdisc has the same handle but one filter list, so
		 * our egress filter would replace our ingress one. */
		err = clsact_existing_kind(sk, ifindex, name);
	} else {
		pr_err("%s: cannot create the clsact qdisc: %s", name, nl_geterror(err));
		err = -EINVAL;
	}
	rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return err;
}

int ft_clsact_filters(struct nl_sock *sk, uint32_t ifindex, uint32_t parent,
		      struct ft_tc_filter *out, unsigned int max)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	unsigned int n = 0;
	int err;

	err = rtnl_cls_alloc_cache(sk, (int)ifindex, parent, &cache);
	if (err < 0)
		return -EIO;	/* libnl's code, converted here */
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_cls *cls = (struct rtnl_cls *)obj;
		uint32_t handle = rtnl_tc_get_handle(TC_CAST(cls));
		const char *kind = rtnl_tc_get_kind(TC_CAST(cls));

		/* the dump names each filter chain (a pref and protocol)
		 * once by itself, with handle 0, before its filters */
		if (!handle)
			continue;
		if (n < max) {
			out[n].pref = rtnl_cls_get_prio(cls);
			out[n].handle = handle;
			snprintf(out[n].kind, sizeof(out[n].kind), "%s", kind ? kind : "?");
		}
		n++;
	}
	nl_cache_free(cache);
	return (int)n;
}

/* Filters left on the clsact hooks of @ifindex (ours included). */
static int clsact_filter_count(struct nl_sock *sk, uint32_t ifindex)
{
	static const uint32_t parents[] = {
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
	};
	int total = 0;
	size_t i;

	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		int n = ft_clsact_filters(sk, ifindex, parents[i], NULL, 0);

		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

/* Delete the clsact qdisc we created, unless someone else's filters are on
 * it. Returns whether it is gone. */
static bool clsact_release(uint32_t ifindex, const char *name)
{
	struct rtnl_qdisc *q;
	struct nl_sock *sk;
	bool gone = false;
	int n, err;

	sk = ft_nl_route_open();
	if (!sk)
		return false;
	n = clsact_filter_count(sk, ifindex);
	if (n != 0) {
		if (n > 0)
			pr_info("%s: keeping the clsact qdisc we created: %d other filter(s) use it",
				name, n);
		nl_socket_free(sk);
		return false;
	}
	q = clsact_alloc(ifindex);
	if (q) {
		err = rtnl_qdisc_delete(sk, q);
		if (err < 0 && err != -NLE_OBJ_NOTFOUND) {
			pr_warn("%s: cannot delete the clsact qdisc: %s", name, nl_geterror(err));
		} else {
			pr_info("%s: removed the clsact qdisc we created", name);
			gone = true;
		}
		rtnl_qdisc_put(q);
	}
	nl_socket_free(sk);
	return gone;
}

/* ---- tc filters ---- */

static int tc_filter_attach(uint32_t ifindex, enum bpf_tc_attach_point where, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	/* REPLACE: a restarted daemon swaps its own filter in place, never
	 * adding a second one */
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = FT_TC_HANDLE,
		    .priority = FT_TC_PRIO, .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &opts);
}

static int tc_filter_detach(uint32_t ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FT_TC_HANDLE, .priority = FT_TC_PRIO);
	int err = bpf_tc_detach(&hook, &opts);

	return err == -ENOENT ? 0 : err;
}

/* Remove the filter at our pref/handle on @where if it runs a program of
 * flowtag's (ft_tc_*), whatever recorded it: 1 when one was removed, 0
 * when there is none or it is not ours, -errno. @name/@id: out, the
 * program's, for the log (may be NULL). */
/* Whether @ifindex's @where hook holds a filter of flowtag's: at our
 * pref/handle, running a program named ft_tc_* (its name into @prog,
 * BPF_OBJ_NAME_LEN bytes, and its id into @id). */
static bool tc_filter_flowtag(uint32_t ifindex, enum bpf_tc_attach_point where, char *prog,
			      uint32_t *id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FT_TC_HANDLE, .priority = FT_TC_PRIO);

	if (bpf_tc_query(&hook, &opts))
		return false;
	ft_prog_name(opts.prog_id, prog, BPF_OBJ_NAME_LEN);
	*id = opts.prog_id;
	return !strncmp(prog, "ft_tc_", 6);	/* else not ours, even at our pref/handle */
}

static int tc_filter_flowtag_detach(uint32_t ifindex, enum bpf_tc_attach_point where,
				    char *name, uint32_t *id)
{
	char prog[BPF_OBJ_NAME_LEN];
	uint32_t pid;
	int err;

	if (!tc_filter_flowtag(ifindex, where, prog, &pid))
		return 0;
	err = tc_filter_detach(ifindex, where);
	if (err)
		return err;
	if (name)
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", prog);
	if (id)
		*id = pid;
	return 1;
}

/* Whether an interface needs the clsact qdisc: for tc ingress unless it
 * runs on tcx (@tcx), for egress restore (@egress) and for the redirect of
 * ingress shaping (@ingress_shaped), as the policy asks or as attached. */
static bool clsact_needed(bool tcx, bool egress, bool ingress_shaped)
{
	return !tcx || egress || ingress_shaped;
}

/* Log the tcx programs that run on @ifindex's ingress before flowtag's tc
 * program (@ours: its id on tcx, 0 when it is a clsact filter: then all). */
static void warn_tcx_in_front(uint32_t ifindex, const char *name, uint32_t ours)
{
	uint32_t ids[64];
	int n = ft_tcx_list(ifindex, ids, 64), i, front = 0;

	for (i = 0; i < n && i < 64 && ids[i] != ours; i++)
		front++;
	if (front > 0)
		pr_warn("%s: %d tcx program(s) attached before flowtag's tc ingress program: "
			"they run first, and if one returns a verdict flowtag's never runs",
			name, front);
}

int ft_attach_iface(struct ft_loader *l, const struct ft_iface *iface,
		    const struct ft_iface_info *prev, bool ours, struct ft_attachment *a)
{
	bool qdisc_created = false, link_created = false, tcx_created = false, same;
	int mtu, err, type, l2, tcx;
	struct ft_live_expect exp;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->tcx_fd = -1;
	snprintf(a->name, sizeof(a->name), "%s", iface->name);
	a->want_mode = iface->xdp_mode;
	a->ifindex = if_nametoindex(iface->name);
	if (!a->ifindex) {
		pr_err("%s: no such interface", iface->name);
		return -ENODEV;
	}
	same = prev && prev->ifindex == a->ifindex;
	if (same)
		a->flags = prev->flags & FT_IFACE_F_QDISC_OURS;

	type = iface_link_type(iface->name);
	l2 = type < 0 ? type : ft_link_l2((uint16_t)type);
	if (l2 < 0) {
		if (type < 0)
			pr_err("%s: cannot read the device type: %s", iface->name, strerror(-type));
		else
			pr_err("%s: link type %d (ARPHRD_*) is neither Ethernet nor IP without a "
			       "link-layer header: flowtag cannot parse its packets", iface->name,
			       type);
		return type < 0 ? type : -EPROTONOSUPPORT;
	}
	a->link_type = (uint16_t)type;
	a->l2 = (uint8_t)l2;
	/* before any program runs on the device: they parse by it */
	err = ft_link_record(l, a->ifindex, a->l2, a->link_type);
	if (err) {
		pr_err("%s: cannot record the link type: %s", iface->name, strerror(-err));
		return err;
	}

	mtu = iface_mtu(iface->name);
	if (mtu > FT_XDP_LINEAR_MTU) {
		a->flags |= FT_IFACE_F_FRAGS;
		pr_info("%s: MTU %d is above one page: using the xdp.frags program "
			"(headers are parsed from the first buffer only)", iface->name, mtu);
	}

	err = ft_xdp_attach(l, iface, a, prev && prev->ifindex == a->ifindex && !ours, &link_created);
	if (err) {
		links_forget(l, a->ifindex);
		return err;
	}
	a->xdp_mode = ft_xdp_attached_mode(a->ifindex);
	if (a->xdp_mode == XDP_ATTACHED_SKB)
		pr_warn("%s: XDP runs in GENERIC (SKB) mode: correct, but slower than native, "
			"and metadata costs a copy", iface->name);

	tcx = ft_tc_hook_tcx(iface->tc_hook, a->ifindex, iface->name);
	if (tcx < 0) {
		err = tcx;
		goto undo;
	}
	if (tcx) {
		err = ft_tcx_attach(l->pin_dir, iface->name, a->ifindex,
				    ft_loader_tc_ingress_fd(l), &a->tcx_fd, &tcx_created);
		if (err)
			goto undo;
		a->flags |= FT_IFACE_F_INGRESS | FT_IFACE_F_TCX;
		/* moved from clsact: the filter there would run the program
		 * again. Looked for whatever the record says (a takeover
		 * undone, a record of a daemon killed mid-reload, none). */
		if (tc_filter_flowtag_detach(a->ifindex, BPF_TC_INGRESS, NULL, NULL) > 0)
			pr_info("%s: tc ingress moved from the clsact filter to a tcx link",
				iface->name);
	}
	if (clsact_needed(tcx, iface->egress_restore, iface->ingress_shaping.enabled)) {
		err = clsact_ensure(a->ifindex, iface->name, &qdisc_created);
		if (err)
			goto undo;
		if (qdisc_created)
			a->flags |= FT_IFACE_F_QDISC_OURS;
	}
	if (!tcx) {
		err = tc_filter_attach(a->ifindex, BPF_TC_INGRESS, ft_loader_tc_ingress_fd(l));
		if (err) {
			pr_err("%s: cannot attach the tc ingress filter (pref %#x handle %#x): %s",
			       iface->name, FT_TC_PRIO, FT_TC_HANDLE, strerror(-err));
			goto undo;
		}
		a->flags |= FT_IFACE_F_INGRESS;
		/* moved from tcx (whatever the record says, as above) */
		if (ft_tcx_release(l->pin_dir, iface->name, a->ifindex, -1))
			pr_info("%s: tc ingress moved from the tcx link to a clsact filter",
				iface->name);
	}
	if (iface->egress_restore) {
		err = tc_filter_attach(a->ifindex, BPF_TC_EGRESS, ft_loader_tc_egress_fd(l));
		if (err) {
			pr_err("%s: cannot attach the tc egress filter: %s", iface->name,
			       strerror(-err));
			goto undo;
		}
		a->flags |= FT_IFACE_F_EGRESS;
	} else if (prev && (prev->flags & FT_IFACE_F_EGRESS)) {
		tc_filter_detach(a->ifindex, BPF_TC_EGRESS);
	}

	/* a clsact qdisc we made for a tc ingress filter that moved to tcx */
	if (tcx && !clsact_needed(true, iface->egress_restore, iface->ingress_shaping.enabled) &&
	    (a->flags & FT_IFACE_F_QDISC_OURS) && clsact_release(a->ifindex, iface->name))
		a->flags &= ~FT_IFACE_F_QDISC_OURS;

	ft_live_expect_fds(&exp, -1, -1, tcx ? ft_loader_tc_ingress_fd(l) : -1, -1);
	warn_tcx_in_front(a->ifindex, iface->name, exp.tc_ingress);
	pr_info("%s: attached (ifindex %u, link %s, %s%s%s, tc ingress on %s%s)", iface->name,
		a->ifindex, ft_link_type_name(a->link_type),
		(a->flags & FT_IFACE_F_TC_ONLY) ? "tc only" : "XDP ",
		(a->flags & FT_IFACE_F_TC_ONLY) ? "" : ft_xdp_mode_name(a->xdp_mode),
		(a->flags & FT_IFACE_F_FRAGS) && !(a->flags & FT_IFACE_F_TC_ONLY) ? " frags" : "",
		tcx ? "tcx" : "clsact", (a->flags & FT_IFACE_F_EGRESS) ? " + egress restore" : "");
	return 0;
undo:
	if (tcx_created)
		ft_tcx_release(l->pin_dir, iface->name, a->ifindex, a->tcx_fd);
	else if (a->tcx_fd >= 0)
		close(a->tcx_fd);
	a->tcx_fd = -1;
	if ((a->flags & FT_IFACE_F_INGRESS) && !(a->flags & FT_IFACE_F_TCX))
		tc_filter_detach(a->ifindex, BPF_TC_INGRESS);
	if (link_created)
		ft_xdp_release(l->pin_dir, iface->name, a->link_fd);
	else if (a->link_fd >= 0)
		close(a->link_fd);
	a->link_fd = -1;
	if (qdisc_created)
		clsact_release(a->ifindex, iface->name);
	links_forget(l, a->ifindex);
	return err;
}

int ft_detach_iface(struct ft_loader *l, struct ft_attachment *a)
{
	int err = 0, e;

	if (a->flags & FT_IFACE_F_TCX) {
		ft_tcx_release(l->pin_dir, a->name, a->ifindex, a->tcx_fd);
		a->tcx_fd = -1;
	} else if (a->flags & FT_IFACE_F_INGRESS) {
		e = tc_filter_detach(a->ifindex, BPF_TC_INGRESS);
		if (e) {
			pr_warn("%s: cannot detach the tc ingress filter: %s", a->name, strerror(-e));
			err = e;
		}
	}
	if (a->flags & FT_IFACE_F_EGRESS) {
		e = tc_filter_detach(a->ifindex, BPF_TC_EGRESS);
		if (e) {
			pr_warn("%s: cannot detach the tc egress filter: %s", a->name, strerror(-e));
			err = e;
		}
	}
	ft_xdp_release(l->pin_dir, a->name, a->link_fd);
	a->link_fd = -1;
	if (a->flags & FT_IFACE_F_QDISC_OURS)
		clsact_release(a->ifindex, a->name);
	links_forget(l, a->ifindex);
	pr_info("%s: detached", a->name);
	a->flags = 0;
	return err;
}

void ft_attachment_undo_extras(struct ft_attachment *a, const struct ft_iface_info *prev)
{
	int e;

	if ((a->flags & FT_IFACE_F_EGRESS) && !(prev->flags & FT_IFACE_F_EGRESS)) {
		e = tc_filter_detach(a->ifindex, BPF_TC_EGRESS);
		if (e)
			pr_warn("%s: cannot detach the tc egress filter this start added: %s",
				a->name, strerror(-e));
		else
			pr_info("%s: removed the tc egress filter this start added", a->name);
		a->flags &= ~FT_IFACE_F_EGRESS;
	}
	/* only when nothing else is on it (ours included: tc ingress of the
	 * previous flowtagd on clsact keeps it) */
	if ((a->flags & FT_IFACE_F_QDISC_OURS) && !(prev->flags & FT_IFACE_F_QDISC_OURS) &&
	    clsact_release(a->ifindex, a->name))
		a->flags &= ~FT_IFACE_F_QDISC_OURS;
}

void ft_attachment_close(struct ft_attachment *a)
{
	if (a->link_fd >= 0)
		close(a->link_fd);
	a->link_fd = -1;
	if (a->tcx_fd >= 0)
		close(a->tcx_fd);
	a->tcx_fd = -1;
}

void ft_forget_iface(struct ft_loader *l, struct ft_attachment *a)
{
	/* the kernel took the links, filters and qdiscs with the device */
	ft_attachment_close(a);
	ft_link_pins_forget(l->pin_dir, a->name, a->ifindex);
	links_forget(l, a->ifindex);
	a->flags = 0;
}

/* fd of the map pinned as @name under @pin_dir, -1 if there is none. */
static int pinned_map(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -1;
	return bpf_obj_get(path);
}

int ft_detach_recorded(const char *pin_dir, const struct ft_iface_info *rec)
{
	char path[PATH_MAX], name[FT_IFNAMSIZ];
	int fd, devs_fd;
	bool frags;

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(rec->name), rec->name);
	if (if_nametoindex(name) != rec->ifindex) {
		/* gone, another device by now, or another network namespace:
		 * only the pin can be ours */
		/* the link pins only (their links are detached when the last
		 * reference goes), unless a device attached since holds them */
		ft_link_pins_forget(pin_dir, name, rec->ifindex);
		pr_warn("%s (ifindex %u) is not in this network namespace: removed its link "
			"pins only; its tc filters, if the interface still exists elsewhere, stay "
			"(run --cleanup in the namespace flowtagd ran in)", name, rec->ifindex);
		return 0;
	}
	/* both hooks, whatever the record says: only flowtag's go */
	ft_tcx_release(pin_dir, name, rec->ifindex, -1);
	if ((rec->flags & FT_IFACE_F_INGRESS) && !(rec->flags & FT_IFACE_F_TCX))
		tc_filter_detach(rec->ifindex, BPF_TC_INGRESS);
	else
		tc_filter_flowtag_detach(rec->ifindex, BPF_TC_INGRESS, NULL, NULL);
	if (rec->flags & FT_IFACE_F_EGRESS)
		tc_filter_detach(rec->ifindex, BPF_TC_EGRESS);
	if (ft_xdp_link_pin_path(pin_dir, name, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = ft_xdp_link_adopt(path, rec->ifindex, &frags);
	ft_xdp_release(pin_dir, name, fd);
	if (rec->flags & FT_IFACE_F_SHAPED)
		ft_shaping_remove(rec->ifindex, name);
	/* before the clsact qdisc: the redirect filter would keep it */
	if (rec->flags & FT_IFACE_F_INGRESS_SHAPED)
		ft_ingress_shaping_remove(rec->ifindex, name, NULL);
	if (rec->flags & FT_IFACE_F_QDISC_OURS)
		clsact_release(rec->ifindex, name);
	fd = pinned_map(pin_dir, "ft_links");
	devs_fd = pinned_map(pin_dir, "ft_devs");
	links_del(fd, devs_fd, rec->ifindex);
	if (fd >= 0)
		close(fd);
	if (devs_fd >= 0)
		close(devs_fd);
	pr_info("%s: detached (left by a previous flowtagd)", name);
	return 1;
}

/* ", " between the parts of a repair report */
static void add_what(char *buf, size_t len, const char *part)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", part);
}

bool ft_repair_needed(const struct ft_attachment *a, const struct ft_live *lv)
{
	/* nothing acted on from a state the kernel could not tell */
	if (!lv->exists || lv->unknown)
		return false;
	/* a tc-only interface never had XDP: nothing to restore there */
	return (!lv->clsact && clsact_needed(a->flags & FT_IFACE_F_TCX, a->flags & FT_IFACE_F_EGRESS,
					      a->flags & FT_IFACE_F_INGRESS_SHAPED)) ||
	       !lv->ingress.ours || lv->ingress_twice ||
	       ((a->flags & FT_IFACE_F_EGRESS) && !lv->egress.ours) ||
	       (!lv->xdp.id && !(a->flags & FT_IFACE_F_TC_ONLY));
}

int ft_repair_iface(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		    const struct ft_live *lv, char *what, size_t len)
{
	bool created = false, tcx = a->flags & FT_IFACE_F_TCX;
	int err, fd;

	what[0] = '\0';
	if (!ft_repair_needed(a, lv))
		return 0;
	if (!lv->clsact && clsact_needed(tcx, a->flags & FT_IFACE_F_EGRESS,
					 a->flags & FT_IFACE_F_INGRESS_SHAPED)) {
		err = clsact_ensure(a->ifindex, a->name, &created);
		if (err)
			return err;
		if (created) {
			a->flags |= FT_IFACE_F_QDISC_OURS;
			add_what(what, len, "clsact qdisc");
		}
	}
	if (tcx && !lv->ingress.ours) {
		/* our link was detached (bpftool link detach): a new one, pinned */
		if (a->tcx_fd >= 0)
			close(a->tcx_fd);
		a->tcx_fd = -1;
		ft_tcx_release(l->pin_dir, a->name, 0, -1);
		err = ft_tcx_attach(l->pin_dir, a->name, a->ifindex, ft_loader_tc_ingress_fd(l),
				    &a->tcx_fd, &created);
		if (err)
			return err;
		add_what(what, len, "tcx link");
	}
	/* flowtag's clsact filter left next to the link: only once the link
	 * runs, it may be what still tags */
	if (tcx && tc_filter_flowtag_detach(a->ifindex, BPF_TC_INGRESS, NULL, NULL) > 0)
		add_what(what, len, "tc ingress on tcx alone (removed the clsact filter)");
	if (!tcx && (!lv->clsact || !lv->ingress.ours)) {
		err = tc_filter_attach(a->ifindex, BPF_TC_INGRESS, ft_loader_tc_ingress_fd(l));
		if (err) {
			pr_err("%s: cannot restore the tc ingress filter: %s", a->name,
			       strerror(-err));
			return err;
		}
		a->flags |= FT_IFACE_F_INGRESS;
		add_what(what, len, lv->ingress.id && lv->clsact ? "tc ingress filter (replaced)" :
								   "tc ingress filter");
	}
	if ((a->flags & FT_IFACE_F_EGRESS) && (!lv->clsact || !lv->egress.ours)) {
		err = tc_filter_attach(a->ifindex, BPF_TC_EGRESS, ft_loader_tc_egress_fd(l));
		if (err) {
			pr_err("%s: cannot restore the tc egress filter: %s", a->name,
			       strerror(-err));
			return err;
		}
		add_what(what, len, "tc egress filter");
	}
	/* our link was detached (bpftool link detach, ...) and the hook is
	 * free: a new link. Another tool's program stays. */
	if (!lv->xdp.id && !(a->flags & FT_IFACE_F_TC_ONLY)) {
		char path[PATH_MAX], why[256];

		if (a->link_fd >= 0)
			close(a->link_fd);
		a->link_fd = -1;
		if (!ft_xdp_link_pin_path(l->pin_dir, a->name, path, sizeof(path)))
			unlink(path);
		fd = ft_xdp_link_create(l, iface, a, why, sizeof(why));
		if (fd < 0) {
			pr_err("%s: cannot restore XDP: %s", a->name, why);
			return fd;
		}
		if (bpf_obj_pin(fd, path))
			pr_warn("%s: cannot pin the restored XDP link at %s: %s", a->name, path,
				strerror(errno));
		a->link_fd = fd;
		a->xdp_mode = ft_xdp_attached_mode(a->ifindex);
		add_what(what, len, "XDP link");
	}
	return what[0] ? 1 : 0;
}

/* Append "@ifname (@what @prog #@id)" to @buf (@len, @n used so far). */
static void leftover_add(char *buf, size_t len, int *count, const char *ifname, const char *what,
			 const char *prog, uint32_t id)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s (%s %s #%u)", *count ? ", " : "", ifname, what,
			 prog, id);
	(*count)++;
}

int ft_netns_leftovers(char *buf, size_t len)
{
	static const enum bpf_tc_attach_point points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	struct if_nameindex *ifs, *i;
	char prog[BPF_OBJ_NAME_LEN];
	uint32_t ids[64];
	int count = 0, n, k;
	size_t p;

	if (len)
		buf[0] = '\0';
	ifs = if_nameindex();
	if (!ifs)
		return 0;
	for (i = ifs; i->if_index; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (!bpf_xdp_query((int)i->if_index, 0, &q) && q.prog_id) {
			ft_prog_name(q.prog_id, prog, sizeof(prog));
			if (!strncmp(prog, "ft_xdp", 6))
				leftover_add(buf, len, &count, i->if_name, "XDP", prog, q.prog_id);
		}
		for (p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
			uint32_t id;

			if (tc_filter_flowtag(i->if_index, points[p], prog, &id))
				leftover_add(buf, len, &count, i->if_name,
					     points[p] == BPF_TC_INGRESS ? "tc ingress filter" :
									   "tc egress filter",
					     prog, id);
		}
		n = ft_tcx_list(i->if_index, ids, 64);
		for (k = 0; k < n && k < 64; k++) {
			ft_prog_name(ids[k], prog, sizeof(prog));
			if (!strncmp(prog, "ft_tc_", 6))
				leftover_add(buf, len, &count, i->if_name, "tcx ingress", prog, ids[k]);
		}
	}
	if_freenameindex(ifs);
	return count;
}

int ft_sweep_netns(void)
{
	static const enum bpf_tc_attach_point points[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	struct if_nameindex *ifs, *i;
	int removed = 0;
	size_t p;

	ifs = if_nameindex();
	if (!ifs)
		return 0;
	for (i = ifs; i->if_index; i++) {
		for (p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
			char name[BPF_OBJ_NAME_LEN];
			uint32_t id = 0;

			if (tc_filter_flowtag_detach(i->if_index, points[p], name, &id) > 0) {
				pr_info("%s: removed flowtag's tc %s filter (%s, id %u)", i->if_name,
					points[p] == BPF_TC_INGRESS ? "ingress" : "egress", name, id);
				removed++;
			}
		}
	}
	if_freenameindex(ifs);
	return removed;
}
