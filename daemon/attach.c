// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Interface attachment: XDP links, the clsact qdisc (libnl-route-3) and our
 * cls_bpf filters (libbpf tc API).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "attach.h"
#include "loader.h"
#include "log.h"

/* Without frags support XDP refuses MTUs whose frame does not fit one page
 * (4096 - 256 headroom - skb_shared_info - Ethernet header). */
#define FT_XDP_LINEAR_MTU	3498

/* tcx attach types (kernel 6.6); Debian 12's headers predate them. */
#define FT_BPF_TCX_INGRESS	46
#define FT_BPF_TCX_EGRESS	47

const char *ft_xdp_mode_name(uint32_t mode)
{
	switch (mode) {
	case XDP_ATTACHED_NONE:
		return "none";
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "unknown";
	}
}

static int link_pin_path(const char *pin_dir, const char *ifname, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/xdp_link_%s", pin_dir, ifname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
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

void ft_resolve_iifs(struct ft_policy *pol)
{
	size_t r, i;

	for (r = 0; r < pol->nrules; r++)
		for (i = 0; i < pol->rules[r].match.niif; i++)
			pol->rules[r].match.iif_index[i] = if_nametoindex(pol->rules[r].match.iif[i]);
}

int ft_tcx_present(uint32_t ifindex)
{
	static const int types[] = { FT_BPF_TCX_INGRESS, FT_BPF_TCX_EGRESS };
	__u32 ids[16], total = 0;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		__u32 cnt = 16, flags = 0;

		if (!bpf_prog_query(ifindex, types[i], 0, &flags, ids, &cnt))
			total += cnt;
	}
	return total;
}

/* ---- clsact qdisc through libnl ---- */

static struct nl_sock *nl_route_open(void)
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
	sk = nl_route_open();
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
		struct nl_cache *cache;
		int err = rtnl_cls_alloc_cache(sk, ifindex, parents[i], &cache);

		if (err < 0)
			return -EIO;
		total += nl_cache_nitems(cache);
		nl_cache_free(cache);
	}
	return total;
}

/* Delete the clsact qdisc we created, unless someone else's filters are on it. */
static void clsact_release(uint32_t ifindex, const char *name)
{
	struct rtnl_qdisc *q;
	struct nl_sock *sk;
	int n, err;

	sk = nl_route_open();
	if (!sk)
		return;
	n = clsact_filter_count(sk, ifindex);
	if (n != 0) {
		if (n > 0)
			pr_info("%s: keeping the clsact qdisc we created: %d other filter(s) use it",
				name, n);
		nl_socket_free(sk);
		return;
	}
	q = clsact_alloc(ifindex);
	if (q) {
		err = rtnl_qdisc_delete(sk, q);
		if (err < 0 && err != -NLE_OBJ_NOTFOUND)
			pr_warn("%s: cannot delete the clsact qdisc: %s", name, nl_geterror(err));
		else
			pr_info("%s: removed the clsact qdisc we created", name);
		rtnl_qdisc_put(q);
	}
	nl_socket_free(sk);
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

/* ---- XDP ---- */

/* A pinned XDP link of ours for this interface, still attached to it. */
static int xdp_link_adopt(const char *path, uint32_t ifindex)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return -ENOENT;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_XDP ||
	    info.xdp.ifindex != ifindex) {
		/* detached (device went away) or another device now: stale */
		pr_info("removing stale XDP link pin %s", path);
		close(fd);
		unlink(path);
		return -ENOENT;
	}
	return fd;
}

static int xdp_link_create(int prog_fd, uint32_t ifindex, enum ft_xdp_mode mode, const char *name)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd;

	opts.flags = mode == FT_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd >= 0 || mode != FT_XDP_AUTO)
		return fd < 0 ? -errno : fd;
	pr_warn("%s: native XDP refused (%s); falling back to generic (SKB) mode",
		name, strerror(errno));
	opts.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	return fd < 0 ? -errno : fd;
}

static uint32_t xdp_attached_mode(uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return XDP_ATTACHED_NONE;
	return q.attach_mode;
}

static bool mode_matches(enum ft_xdp_mode want, uint32_t have)
{
	return want == FT_XDP_AUTO || (want == FT_XDP_NATIVE && have == XDP_ATTACHED_DRV) ||
	       (want == FT_XDP_GENERIC && have == XDP_ATTACHED_SKB);
}

static int xdp_attach(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		      bool prev_daemon, bool *created)
{
	char path[PATH_MAX], other[BPF_OBJ_NAME_LEN];
	bool frags = a->flags & FT_IFACE_F_FRAGS;
	int prog_fd = ft_loader_xdp_fd(l, frags);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err, fd;

	*created = false;
	err = link_pin_path(l->pin_dir, iface->name, path, sizeof(path));
	if (err)
		return err;

	fd = xdp_link_adopt(path, a->ifindex);
	if (fd >= 0 && !mode_matches(iface->xdp_mode, xdp_attached_mode(a->ifindex))) {
		pr_warn("%s: XDP mode changed in the policy: re-attaching (brief gap)",
			iface->name);
		bpf_link_detach(fd);
		close(fd);
		unlink(path);
		fd = -ENOENT;
	}
	if (fd >= 0) {
		/* a previous flowtagd's link: swap the program inside it, the
		 * data path never stops */
		if (bpf_link_update(fd, prog_fd, NULL)) {
			err = -errno;
			pr_err("%s: cannot update the pinned XDP link: %s", iface->name,
			       strerror(-err));
			close(fd);
			return err;
		}
		a->link_fd = fd;
		if (prev_daemon)
			pr_info("%s: took over the pinned XDP link", iface->name);
		return 0;
	}

	/* never replace somebody else's XDP program */
	if (!bpf_xdp_query(a->ifindex, 0, &q) && q.prog_id) {
		ft_prog_name(q.prog_id, other, sizeof(other));
		pr_err("%s: another XDP program is attached (id %u, name \"%s\"); flowtag will "
		       "not replace it. Detach it with the tool that attached it (see bpftool net "
		       "show dev %s; for ip(8): ip link set dev %s xdp off, or xdpgeneric off) or "
		       "drop %s from the policy", iface->name, q.prog_id, other, iface->name,
		       iface->name, iface->name);
		return -EBUSY;
	}
	fd = xdp_link_create(prog_fd, a->ifindex, iface->xdp_mode, iface->name);
	if (fd < 0) {
		pr_err("%s: cannot attach XDP (%s mode): %s", iface->name,
		       iface->xdp_mode == FT_XDP_NATIVE ? "native" :
		       iface->xdp_mode == FT_XDP_GENERIC ? "generic" : "auto", strerror(-fd));
		return fd;
	}
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		pr_err("%s: cannot pin the XDP link at %s: %s", iface->name, path, strerror(-err));
		bpf_link_detach(fd);
		close(fd);
		return err;
	}
	a->link_fd = fd;
	*created = true;
	return 0;
}

static void xdp_release(const char *pin_dir, const char *name, int fd)
{
	char path[PATH_MAX];

	if (!link_pin_path(pin_dir, name, path, sizeof(path)))
		unlink(path);
	if (fd >= 0) {
		/* detach even if someone else holds a reference to the link */
		bpf_link_detach(fd);
		close(fd);
	}
}

int ft_attach_iface(struct ft_loader *l, const struct ft_iface *iface,
		    const struct ft_iface_info *prev, bool ours, struct ft_attachment *a)
{
	bool qdisc_created = false, link_created = false;
	int mtu, err, ntcx;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	snprintf(a->name, sizeof(a->name), "%s", iface->name);
	a->want_mode = iface->xdp_mode;
	a->ifindex = if_nametoindex(iface->name);
	if (!a->ifindex) {
		pr_err("%s: no such interface", iface->name);
		return -ENODEV;
	}
	if (prev && prev->ifindex == a->ifindex)
		a->flags = prev->flags & FT_IFACE_F_QDISC_OURS;

	mtu = iface_mtu(iface->name);
	if (mtu > FT_XDP_LINEAR_MTU) {
		a->flags |= FT_IFACE_F_FRAGS;
		pr_info("%s: MTU %d is above one page: using the xdp.frags program "
			"(headers are parsed from the first buffer only)", iface->name, mtu);
	}

	err = xdp_attach(l, iface, a, prev && prev->ifindex == a->ifindex && !ours, &link_created);
	if (err)
		return err;
	a->xdp_mode = xdp_attached_mode(a->ifindex);
	if (a->xdp_mode == XDP_ATTACHED_SKB)
		pr_warn("%s: XDP runs in GENERIC (SKB) mode: correct, but slower than native, "
			"and metadata costs a copy", iface->name);

	err = clsact_ensure(a->ifindex, iface->name, &qdisc_created);
	if (err)
		goto undo;
	if (qdisc_created)
		a->flags |= FT_IFACE_F_QDISC_OURS;

	err = tc_filter_attach(a->ifindex, BPF_TC_INGRESS, ft_loader_tc_ingress_fd(l));
	if (err) {
		pr_err("%s: cannot attach the tc ingress filter (pref %#x handle %#x): %s",
		       iface->name, FT_TC_PRIO, FT_TC_HANDLE, strerror(-err));
		goto undo;
	}
	a->flags |= FT_IFACE_F_INGRESS;
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

	ntcx = ft_tcx_present(a->ifindex);
	if (ntcx > 0)
		pr_warn("%s: %d tcx program(s) attached: they run before clsact filters, and "
			"if one returns a verdict flowtag's tc program never runs",
			iface->name, ntcx);
	pr_info("%s: attached (ifindex %u, XDP %s%s, tc ingress%s)", iface->name, a->ifindex,
		ft_xdp_mode_name(a->xdp_mode), (a->flags & FT_IFACE_F_FRAGS) ? " frags" : "",
		(a->flags & FT_IFACE_F_EGRESS) ? " + egress restore" : "");
	return 0;
undo:
	if (a->flags & FT_IFACE_F_INGRESS)
		tc_filter_detach(a->ifindex, BPF_TC_INGRESS);
	if (link_created)
		xdp_release(l->pin_dir, iface->name, a->link_fd);
	else if (a->link_fd >= 0)
		close(a->link_fd);
	a->link_fd = -1;
	if (qdisc_created)
		clsact_release(a->ifindex, iface->name);
	return err;
}

int ft_detach_iface(struct ft_loader *l, struct ft_attachment *a)
{
	int err = 0, e;

	if (a->flags & FT_IFACE_F_INGRESS) {
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
	xdp_release(l->pin_dir, a->name, a->link_fd);
	a->link_fd = -1;
	if (a->flags & FT_IFACE_F_QDISC_OURS)
		clsact_release(a->ifindex, a->name);
	pr_info("%s: detached", a->name);
	a->flags = 0;
	return err;
}

int ft_detach_recorded(const char *pin_dir, const struct ft_iface_info *rec)
{
	char path[PATH_MAX], name[FT_IFNAMSIZ];
	int fd;

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(rec->name), rec->name);
	if (if_nametoindex(name) != rec->ifindex) {
		/* gone, another device by now, or another network namespace:
		 * only the pin can be ours */
		if (!link_pin_path(pin_dir, name, path, sizeof(path)))
			unlink(path);
		pr_warn("%s (ifindex %u) is not in this network namespace: removed its XDP link "
			"pin only; its tc filters, if the interface still exists elsewhere, stay "
			"(run --cleanup in the namespace flowtagd ran in)", name, rec->ifindex);
		return 0;
	}
	if (rec->flags & FT_IFACE_F_INGRESS)
		tc_filter_detach(rec->ifindex, BPF_TC_INGRESS);
	if (rec->flags & FT_IFACE_F_EGRESS)
		tc_filter_detach(rec->ifindex, BPF_TC_EGRESS);
	if (link_pin_path(pin_dir, name, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = xdp_link_adopt(path, rec->ifindex);
	xdp_release(pin_dir, name, fd);
	if (rec->flags & FT_IFACE_F_QDISC_OURS)
		clsact_release(rec->ifindex, name);
	pr_info("%s: detached (left by a previous flowtagd)", name);
	return 1;
}
