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
#include "loader.h"
#include "log.h"
#include "verify.h"

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

/* Tell the programs what starts a packet on @ifindex (ft_links). */
static int links_set(int map_fd, uint32_t ifindex, uint8_t l2, uint16_t type)
{
	struct ft_link lk = { .l2 = l2, .link_type = type };

	return bpf_map_update_elem(map_fd, &ifindex, &lk, 0) ? -errno : 0;
}

static void links_del(int map_fd, uint32_t ifindex)
{
	if (map_fd >= 0)
		bpf_map_delete_elem(map_fd, &ifindex);
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

int ft_link_pin_rename(const char *pin_dir, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (link_pin_path(pin_dir, from, a, sizeof(a)) || link_pin_path(pin_dir, to, b, sizeof(b)))
		return -ENAMETOOLONG;
	if (access(a, F_OK))
		return 0;
	/* bpffs renames like any file system; a pin left at @to is stale */
	unlink(b);
	if (rename(a, b))
		return -errno;
	pr_info("%s was renamed %s: moved its XDP link pin", from, to);
	return 0;
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

	sk = ft_nl_route_open();
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

/*
 * xdp_kernel_reason() - the kernel's own words on why @prog_fd cannot be
 * attached to @ifindex with @flags (XDP_FLAGS_*), into @buf ("" if none).
 *
 * bpf_link_create() returns only an errno: the kernel hands XDP links no
 * extended ack, so a driver's reason ("Peer MTU is too large to set XDP")
 * is lost. Asking the same over rtnetlink (IFLA_XDP, as ip(8) does) with
 * NETLINK_EXT_ACK gets it back. XDP_FLAGS_UPDATE_IF_NOEXIST keeps the
 * probe from replacing anything; should it attach where the link failed,
 * it is removed again at once (IFLA_XDP_FD -1, only if still ours).
 */
static void xdp_kernel_reason(int prog_fd, uint32_t ifindex, uint32_t flags, char *buf,
			      size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct nlattr *nest, *a;
	char resp[8192];
	int fd, one = 1, pass;
	ssize_t n;

	buf[0] = '\0';
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	for (pass = 0; pass < 2; pass++) {
		struct nlmsghdr *rh = (struct nlmsghdr *)resp;
		struct nlmsgerr *e;
		size_t off;

		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_type = RTM_SETLINK;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		req.ifi.ifi_family = AF_UNSPEC;
		req.ifi.ifi_index = (int)ifindex;
		nest = (struct nlattr *)req.attrs;
		nest->nla_type = IFLA_XDP | NLA_F_NESTED;
		a = (struct nlattr *)((char *)nest + NLA_HDRLEN);
		a->nla_type = IFLA_XDP_FD;
		a->nla_len = NLA_HDRLEN + sizeof(int);
		*(int *)((char *)a + NLA_HDRLEN) = pass ? -1 : prog_fd;
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
		a->nla_type = IFLA_XDP_FLAGS;
		a->nla_len = NLA_HDRLEN + sizeof(uint32_t);
		*(uint32_t *)((char *)a + NLA_HDRLEN) =
			(flags & XDP_FLAGS_MODES) | (pass ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST);
		if (pass) {
			/* detach only if the program there is still the probe's */
			a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			a->nla_type = IFLA_XDP_EXPECTED_FD;
			a->nla_len = NLA_HDRLEN + sizeof(int);
			*(int *)((char *)a + NLA_HDRLEN) = prog_fd;
		}
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
		nest->nla_len = (char *)a - (char *)nest;
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + nest->nla_len;

		if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
			break;
		n = recv(fd, resp, sizeof(resp), 0);
		if (n < (ssize_t)NLMSG_LENGTH(sizeof(*e)) || rh->nlmsg_type != NLMSG_ERROR)
			break;
		e = NLMSG_DATA(rh);
		if (pass)
			break;
		if (e->error == 0) {
			pr_debug("ifindex %u: the netlink XDP attach succeeded where the link "
				 "failed: removing it", ifindex);
			continue;	/* pass 1 removes it */
		}
		if (!(rh->nlmsg_flags & NLM_F_ACK_TLVS))
			break;
		/* the TLVs follow the request echoed back (or only its header) */
		off = NLMSG_LENGTH(sizeof(*e));
		if (!(rh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		while (off + NLA_HDRLEN <= (size_t)n && off + NLA_HDRLEN <= rh->nlmsg_len) {
			struct nlattr *t = (struct nlattr *)(resp + off);

			if (t->nla_len < NLA_HDRLEN || off + t->nla_len > (size_t)n)
				break;
			if ((t->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
				snprintf(buf, len, "%.*s", (int)(t->nla_len - NLA_HDRLEN),
					 (char *)t + NLA_HDRLEN);
			off += NLA_ALIGN(t->nla_len);
		}
		break;
	}
	close(fd);
}

/* "strerror (kernel: reason)" for an XDP attach that failed with @err. */
static void xdp_error_text(int err, int prog_fd, uint32_t ifindex, uint32_t flags, char *buf,
			   size_t len)
{
	char why[256];

	xdp_kernel_reason(prog_fd, ifindex, flags, why, sizeof(why));
	if (why[0])
		snprintf(buf, len, "%s (kernel: %s)", strerror(-err), why);
	else
		snprintf(buf, len, "%s", strerror(-err));
}

/*
 * A pinned XDP link of ours for this interface, still attached to it.
 * @frags: out, whether it runs the xdp.frags program.
 */
static int xdp_link_adopt(const char *path, uint32_t ifindex, bool *frags)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	char name[BPF_OBJ_NAME_LEN];
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
	ft_prog_name(info.prog_id, name, sizeof(name));
	*frags = !strcmp(name, "ft_xdp_frags");
	return fd;
}

/*
 * The XDP link on @ifindex running @prog_id, when @prog_id is one of the
 * programs this daemon loaded: flowtag's own, whatever its pin became.
 * Never another tool's (the program ids are ours alone), never another
 * namespace's (a link on another device runs no program of ours). Pins it
 * at @path. Returns the link fd, or -ENOENT.
 */
static int xdp_link_of_ours(struct ft_loader *l, uint32_t ifindex, uint32_t prog_id,
			    const char *path, bool *frags)
{
	struct ft_live_expect ours;
	uint32_t id = 0;

	ft_live_expect_fds(&ours, ft_loader_xdp_fd(l, false), ft_loader_xdp_fd(l, true), -1, -1);
	if (!prog_id || (prog_id != ours.xdp && prog_id != ours.xdp_frags))
		return -ENOENT;
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		    info.prog_id == prog_id && info.xdp.ifindex == ifindex) {
			unlink(path);
			if (bpf_obj_pin(fd, path))
				pr_warn("cannot pin XDP link %u at %s: %s", id, path,
					strerror(errno));
			pr_info("ifindex %u: flowtag's own XDP link (id %u) is attached: kept it",
				ifindex, id);
			*frags = prog_id == ours.xdp_frags;
			return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

static const char *mode_flag_name(uint32_t flags)
{
	return (flags & XDP_FLAGS_SKB_MODE) ? "generic" : "native";
}

/*
 * xdp_link_create() - attach the XDP program as a BPF link, trying in turn:
 *  native with the program the MTU asks for, native with the xdp.frags
 *  program (a veth whose peer has a large MTU refuses the plain one),
 *  generic (auto mode only, or the only try on an L3 device: their
 *  drivers have no native XDP, and tun's never runs for packets written
 *  to the device).
 * Every refusal is logged with the kernel's reason. Sets FT_IFACE_F_FRAGS
 * in @a when the frags program was attached. Returns the link fd or
 * -errno (the last error; @why holds its text).
 */
static int xdp_link_create(struct ft_loader *l, const struct ft_iface *iface,
			   struct ft_attachment *a, char *why, size_t wlen)
{
	struct {
		uint32_t flags;
		bool frags;
	} tries[4];
	bool frags = a->flags & FT_IFACE_F_FRAGS;
	size_t n = 0, i;
	int fd = -EINVAL;

	if (iface->xdp_mode != FT_XDP_GENERIC && !(a->l2 == FT_L2_NONE &&
						  iface->xdp_mode == FT_XDP_AUTO)) {
		tries[n].flags = XDP_FLAGS_DRV_MODE;
		tries[n++].frags = frags;
		if (!frags) {
			tries[n].flags = XDP_FLAGS_DRV_MODE;
			tries[n++].frags = true;
		}
	}
	if (iface->xdp_mode != FT_XDP_NATIVE) {
		tries[n].flags = XDP_FLAGS_SKB_MODE;
		tries[n++].frags = frags;
	}
	if (a->l2 == FT_L2_NONE && iface->xdp_mode == FT_XDP_AUTO)
		pr_info("%s: %s device without a link-layer header: generic XDP", iface->name,
			ft_link_type_name(a->link_type));
	if (a->l2 == FT_L2_NONE && iface->xdp_mode == FT_XDP_NATIVE)
		pr_warn("%s: native XDP on a %s device: tun runs it only for vhost-net "
			"traffic, not for packets written to the device; \"auto\" or "
			"\"generic\" is safer", iface->name, ft_link_type_name(a->link_type));

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = tries[i].flags);
		int prog_fd = ft_loader_xdp_fd(l, tries[i].frags);

		fd = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
		if (fd >= 0) {
			if (tries[i].frags)
				a->flags |= FT_IFACE_F_FRAGS;
			else
				a->flags &= ~FT_IFACE_F_FRAGS;
			if (i > 0)
				pr_info("%s: attached the %s program in %s mode", iface->name,
					tries[i].frags ? "xdp.frags" : "plain XDP",
					mode_flag_name(tries[i].flags));
			return fd;
		}
		fd = -errno;
		xdp_error_text(fd, prog_fd, a->ifindex, tries[i].flags, why, wlen);
		pr_warn("%s: %s XDP (%s program) refused: %s%s", iface->name,
			mode_flag_name(tries[i].flags), tries[i].frags ? "xdp.frags" : "plain",
			why, i + 1 < n ? "; trying the next way" : "");
	}
	return fd;
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

/*
 * Attach XDP, or adopt our pinned link. Returns 0, or -errno; in auto
 * mode a device that refuses every way of attaching XDP gets tc only
 * (FT_IFACE_F_TC_ONLY, return 0): tc classifies every packet itself.
 */
static int xdp_attach(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		      bool prev_daemon, bool *created)
{
	char path[PATH_MAX], other[BPF_OBJ_NAME_LEN], why[320];
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool link_frags = false;
	int err, fd;

	*created = false;
	err = link_pin_path(l->pin_dir, iface->name, path, sizeof(path));
	if (err)
		return err;

	fd = xdp_link_adopt(path, a->ifindex, &link_frags);
	/* our own program, attached by a link whose pin is elsewhere: take it */
	if (fd < 0 && !bpf_xdp_query(a->ifindex, 0, &q) && q.prog_id)
		fd = xdp_link_of_ours(l, a->ifindex, q.prog_id, path, &link_frags);
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
		 * data path never stops. Keep the frags variant if the link
		 * has it: the device (a veth's peer MTU) may need it. */
		if (link_frags)
			a->flags |= FT_IFACE_F_FRAGS;
		if (bpf_link_update(fd, ft_loader_xdp_fd(l, a->flags & FT_IFACE_F_FRAGS), NULL)) {
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
	fd = xdp_link_create(l, iface, a, why, sizeof(why));
	if (fd < 0) {
		if (iface->xdp_mode == FT_XDP_AUTO) {
			pr_warn("%s: XDP cannot run here (%s): attaching tc only; tc ingress "
				"classifies every packet itself", iface->name, why);
			a->flags |= FT_IFACE_F_TC_ONLY;
			return 0;
		}
		pr_err("%s: cannot attach XDP (%s mode): %s", iface->name,
		       iface->xdp_mode == FT_XDP_NATIVE ? "native" : "generic", why);
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
	int mtu, err, ntcx, type, l2;

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
	err = links_set(ft_loader_map_fd(l, "ft_links"), a->ifindex, a->l2, a->link_type);
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

	err = xdp_attach(l, iface, a, prev && prev->ifindex == a->ifindex && !ours, &link_created);
	if (err) {
		links_del(ft_loader_map_fd(l, "ft_links"), a->ifindex);
		return err;
	}
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
	pr_info("%s: attached (ifindex %u, link %s, %s%s%s, tc ingress%s)", iface->name,
		a->ifindex, ft_link_type_name(a->link_type),
		(a->flags & FT_IFACE_F_TC_ONLY) ? "tc only" : "XDP ",
		(a->flags & FT_IFACE_F_TC_ONLY) ? "" : ft_xdp_mode_name(a->xdp_mode),
		(a->flags & FT_IFACE_F_FRAGS) && !(a->flags & FT_IFACE_F_TC_ONLY) ? " frags" : "",
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
	links_del(ft_loader_map_fd(l, "ft_links"), a->ifindex);
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
	links_del(ft_loader_map_fd(l, "ft_links"), a->ifindex);
	pr_info("%s: detached", a->name);
	a->flags = 0;
	return err;
}

void ft_forget_iface(struct ft_loader *l, struct ft_attachment *a)
{
	char path[PATH_MAX];

	/* the kernel took the link, filters and qdiscs with the device */
	if (a->link_fd >= 0)
		close(a->link_fd);
	a->link_fd = -1;
	if (!link_pin_path(l->pin_dir, a->name, path, sizeof(path)))
		unlink(path);
	links_del(ft_loader_map_fd(l, "ft_links"), a->ifindex);
	a->flags = 0;
}

int ft_detach_recorded(const char *pin_dir, const struct ft_iface_info *rec)
{
	char path[PATH_MAX], name[FT_IFNAMSIZ];
	bool frags;
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
	fd = xdp_link_adopt(path, rec->ifindex, &frags);
	xdp_release(pin_dir, name, fd);
	if (rec->flags & FT_IFACE_F_QDISC_OURS)
		clsact_release(rec->ifindex, name);
	if (snprintf(path, sizeof(path), "%s/ft_links", pin_dir) < (int)sizeof(path)) {
		fd = bpf_obj_get(path);
		links_del(fd, rec->ifindex);
		if (fd >= 0)
			close(fd);
	}
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
	if (!lv->exists)
		return false;
	/* a tc-only interface never had XDP: nothing to restore there */
	return !lv->clsact || !lv->ingress.ours ||
	       ((a->flags & FT_IFACE_F_EGRESS) && !lv->egress.ours) ||
	       (!lv->xdp.id && !(a->flags & FT_IFACE_F_TC_ONLY));
}

int ft_repair_iface(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		    const struct ft_live *lv, char *what, size_t len)
{
	bool created = false;
	int err, fd;

	what[0] = '\0';
	if (!ft_repair_needed(a, lv))
		return 0;
	if (!lv->clsact) {
		err = clsact_ensure(a->ifindex, a->name, &created);
		if (err)
			return err;
		if (created) {
			a->flags |= FT_IFACE_F_QDISC_OURS;
			add_what(what, len, "clsact qdisc");
		}
	}
	if (!lv->clsact || !lv->ingress.ours) {
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
		if (!link_pin_path(l->pin_dir, a->name, path, sizeof(path)))
			unlink(path);
		fd = xdp_link_create(l, iface, a, why, sizeof(why));
		if (fd < 0) {
			pr_err("%s: cannot restore XDP: %s", a->name, why);
			return fd;
		}
		if (bpf_obj_pin(fd, path))
			pr_warn("%s: cannot pin the restored XDP link at %s: %s", a->name, path,
				strerror(errno));
		a->link_fd = fd;
		a->xdp_mode = xdp_attached_mode(a->ifindex);
		add_what(what, len, "XDP link");
	}
	return what[0] ? 1 : 0;
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
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)i->if_index,
				    .attach_point = points[p]);
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FT_TC_HANDLE,
				    .priority = FT_TC_PRIO);
			char name[BPF_OBJ_NAME_LEN];

			if (bpf_tc_query(&hook, &opts))
				continue;
			ft_prog_name(opts.prog_id, name, sizeof(name));
			if (strncmp(name, "ft_tc_", 6))
				continue;	/* not ours, even at our pref/handle */
			if (!tc_filter_detach(i->if_index, points[p])) {
				pr_info("%s: removed flowtag's tc %s filter (%s, id %u)", i->if_name,
					points[p] == BPF_TC_INGRESS ? "ingress" : "egress", name,
					opts.prog_id);
				removed++;
			}
		}
	}
	if_freenameindex(ifs);
	return removed;
}
