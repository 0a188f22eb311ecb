// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * XDP attachment: BPF links, pinned as <pin_dir>/xdp_link_<ifname>, created
 * native -> native with xdp.frags -> generic as the policy allows, adopted
 * from a previous flowtagd or by program id, and the kernel's own reason
 * for every refusal (see xdp_link.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "loader.h"
#include "log.h"
#include "tcx_link.h"
#include "verify.h"
#include "xdp_link.h"

int ft_xdp_link_pin_path(const char *pin_dir, const char *ifname, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/xdp_link_%s", pin_dir, ifname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

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

/* Move one link pin, named by @path_of(), of interface @from to @to. */
static int pin_rename(int (*path_of)(const char *, const char *, char *, size_t),
		      const char *pin_dir, const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (path_of(pin_dir, from, a, sizeof(a)) || path_of(pin_dir, to, b, sizeof(b)))
		return -ENAMETOOLONG;
	if (access(a, F_OK))
		return 0;
	/* bpffs renames like any file system; a pin left at @to is stale */
	unlink(b);
	if (rename(a, b))
		return -errno;
	return 0;
}

char *ft_link_pin_tmp(uint32_t ifindex, char buf[FT_LINK_PIN_TMP_LEN])
{
	snprintf(buf, FT_LINK_PIN_TMP_LEN, "ren:%u", ifindex);
	return buf;
}

int ft_link_pin_rename(const char *pin_dir, const char *from, const char *to)
{
	int err = pin_rename(ft_xdp_link_pin_path, pin_dir, from, to);
	int e = pin_rename(ft_tcx_link_pin_path, pin_dir, from, to);

	return err ? err : e;
}

int ft_xdp_link_ifindex(int fd)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	return (int)info.xdp.ifindex;
}

/* Remove one link pin of interface @name (@path_of() names it) unless the
 * link in it is attached to another device than @ifindex (@ifindex_of()
 * tells: that device was renamed to @name meanwhile). */
static void pin_forget(int (*path_of)(const char *, const char *, char *, size_t),
		       int (*ifindex_of)(int), const char *pin_dir, const char *name,
		       uint32_t ifindex)
{
	char path[PATH_MAX];
	int fd, on;

	if (path_of(pin_dir, name, path, sizeof(path)))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	on = ifindex_of(fd);
	close(fd);
	if (on <= 0 || (uint32_t)on == ifindex)
		unlink(path);
}

void ft_link_pins_forget(const char *pin_dir, const char *name, uint32_t ifindex)
{
	pin_forget(ft_xdp_link_pin_path, ft_xdp_link_ifindex, pin_dir, name, ifindex);
	pin_forget(ft_tcx_link_pin_path, ft_tcx_link_ifindex, pin_dir, name, ifindex);
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
int ft_xdp_link_adopt(const char *path, uint32_t ifindex, bool *frags)
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
 * ft_xdp_link_create() - attach the XDP program as a BPF link, trying in turn:
 *  native with the program the MTU asks for, native with the xdp.frags
 *  program (a veth whose peer has a large MTU refuses the plain one),
 *  generic (auto mode only, or the only try on an L3 device: their
 *  drivers have no native XDP, and tun's never runs for packets written
 *  to the device).
 * Every refusal is logged with the kernel's reason. Sets FT_IFACE_F_FRAGS
 * in @a when the frags program was attached. Returns the link fd or
 * -errno (the last error; @why holds its text).
 */
int ft_xdp_link_create(struct ft_loader *l, const struct ft_iface *iface,
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

uint32_t ft_xdp_attached_mode(uint32_t ifindex)
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
int ft_xdp_attach(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		      bool prev_daemon, bool *created)
{
	char path[PATH_MAX], other[BPF_OBJ_NAME_LEN], why[320];
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	bool link_frags = false;
	int err, fd;

	*created = false;
	err = ft_xdp_link_pin_path(l->pin_dir, iface->name, path, sizeof(path));
	if (err)
		return err;

	fd = ft_xdp_link_adopt(path, a->ifindex, &link_frags);
	/* our own program, attached by a link whose pin is elsewhere: take it */
	if (fd < 0 && !bpf_xdp_query(a->ifindex, 0, &q) && q.prog_id)
		fd = xdp_link_of_ours(l, a->ifindex, q.prog_id, path, &link_frags);
	if (fd >= 0 && !mode_matches(iface->xdp_mode, ft_xdp_attached_mode(a->ifindex))) {
		pr_warn("%s: XDP mode changed in the policy: re-attaching (brief gap)",
			iface->name);
		bpf_link_detach(fd);
		close(fd);
		unlink(path);
		fd = -ENOENT;
	}
	/* The MTU went above one page under the plain program. A driver
	 * looks at a program's frags support when XDP is attached, not when
	 * the program in a link is swapped (veth_xdp_set() raises the peer's
	 * max_mtu only then): attach afresh. tc ingress classifies the
	 * packets of the gap itself. */
	if (fd >= 0 && !link_frags && (a->flags & FT_IFACE_F_FRAGS) &&
	    ft_xdp_attached_mode(a->ifindex) == XDP_ATTACHED_DRV) {
		pr_info("%s: MTU above one page: re-attaching XDP with the xdp.frags program "
			"(brief gap: tc ingress classifies meanwhile)", iface->name);
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
	fd = ft_xdp_link_create(l, iface, a, why, sizeof(why));
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

void ft_xdp_release(const char *pin_dir, const char *name, int fd)
{
	char path[PATH_MAX];

	if (!ft_xdp_link_pin_path(pin_dir, name, path, sizeof(path)))
		unlink(path);
	if (fd >= 0) {
		/* detach even if someone else holds a reference to the link */
		bpf_link_detach(fd);
		close(fd);
	}
}
