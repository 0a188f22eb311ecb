// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Live verification of an interface: the kernel's view, judged.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "attach.h"
#include "shaping.h"
#include "tcx_link.h"
#include "verify.h"
#include "xdp_link.h"

const char *ft_live_state_name(enum ft_live_state st)
{
	switch (st) {
	case FT_LIVE_OK:
		return "ok";
	case FT_LIVE_DEGRADED:
		return "degraded";
	case FT_LIVE_DOWN:
		return "down";
	}
	return "?";
}

static uint32_t prog_id_of(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

void ft_live_expect_fds(struct ft_live_expect *exp, int xdp, int xdp_frags, int tc_in, int tc_eg)
{
	exp->xdp = prog_id_of(xdp);
	exp->xdp_frags = prog_id_of(xdp_frags);
	exp->tc_ingress = prog_id_of(tc_in);
	exp->tc_egress = prog_id_of(tc_eg);
}

int ft_tcx_list(uint32_t ifindex, uint32_t *ids, unsigned int max)
{
	__u32 buf[64], cnt = 64, flags = 0;
	unsigned int i;

	if (bpf_prog_query((int)ifindex, FT_BPF_TCX_INGRESS, 0, &flags, buf, &cnt)) {
		/* kernels without tcx refuse the attach type: nothing can be in front */
		if (errno == EINVAL || errno == EOPNOTSUPP || errno == 524 /* ENOTSUPP */)
			return 0;
		return -errno;
	}
	for (i = 0; i < cnt && i < max && i < 64; i++)
		ids[i] = buf[i];
	return (int)cnt;
}

/* Whether a clsact qdisc holds @ifindex's hooks: 1, 0, or -errno. */
static int clsact_present(uint32_t ifindex)
{
	struct rtnl_qdisc *q;
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	const char *kind;
	int err, ret;

	sk = ft_nl_route_open();
	if (!sk)
		return -ENOTCONN;
	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0) {
		nl_socket_free(sk);
		return -EIO;	/* libnl's code, converted here */
	}
	q = rtnl_qdisc_get_by_parent(cache, (int)ifindex, TC_H_CLSACT);
	kind = q ? rtnl_tc_get_kind(TC_CAST(q)) : NULL;
	ret = kind && !strcmp(kind, "clsact");
	if (q)
		rtnl_qdisc_put(q);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return ret;
}

static void prog_fill(struct ft_live_prog *p, uint32_t id, uint32_t want1, uint32_t want2,
		      const char *name1, const char *name2)
{
	p->id = id;
	p->name[0] = '\0';
	p->ours = false;
	if (!id)
		return;
	ft_prog_name(id, p->name, sizeof(p->name));
	if (want1 || want2)
		p->ours = id == want1 || id == want2;
	else	/* ids unknown (pins of an older flowtagd): the name must do */
		p->ours = !strcmp(p->name, name1) || (name2 && !strcmp(p->name, name2));
}

/* The program at our pref/handle on @where: its id, 0 when none. */
static uint32_t tc_ours_id(uint32_t ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FT_TC_HANDLE, .priority = FT_TC_PRIO);

	if (bpf_tc_query(&hook, &opts))
		return 0;
	return opts.prog_id;
}

/* Whether the link pinned for @name (@path_of() names the pin) is attached
 * to @ifindex (@ifindex_of() reads it): 1 or 0. */
static int link_state(int (*path_of)(const char *, const char *, char *, size_t),
		      int (*ifindex_of)(int), const char *pin_dir, const char *name,
		      uint32_t ifindex)
{
	char path[PATH_MAX];
	int fd, ret;

	if (path_of(pin_dir, name, path, sizeof(path)))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	ret = ifindex_of(fd) == (int)ifindex;
	close(fd);
	return ret;
}

static void reason(struct ft_live *lv, enum ft_live_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reason(struct ft_live *lv, enum ft_live_state st, const char *fmt, ...)
{
	va_list ap;

	if (st > lv->state)
		lv->state = st;
	if (lv->nreasons >= FT_LIVE_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN, fmt, ap);
	va_end(ap);
}

static const char *prog_desc(const struct ft_live_prog *p, char *buf, size_t len)
{
	snprintf(buf, len, "\"%s\" (id %u)", p->name[0] ? p->name : "?", p->id);
	return buf;
}

/* Our tc ingress program among @rec's tcx ingress programs (in the order
 * they run), the ones in front of it, and its pinned link. Return: 0, or
 * -errno when the kernel could not be asked. */
static int tcx_check(const struct ft_iface_info *rec, const struct ft_live_expect *exp,
		     const char *pin_dir, struct ft_live *lv)
{
	uint32_t ids[64];
	int n, i, pos = -1;
	char d[64];

	n = ft_tcx_list(rec->ifindex, ids, 64);
	if (n < 0) {
		reason(lv, FT_LIVE_DOWN, "cannot query tcx programs: %s", strerror(-n));
		lv->unknown = true;
		return n;
	}
	for (i = 0; i < n && i < 64 && pos < 0; i++) {
		prog_fill(&lv->ingress, ids[i], exp->tc_ingress, 0, "ft_tc_ingress", NULL);
		if (lv->ingress.ours)
			pos = i;
	}
	if (pos < 0) {
		/* judged once the clsact hook is looked at (tcx_clsact_leftover()) */
		memset(&lv->ingress, 0, sizeof(lv->ingress));
		return 0;
	}
	lv->ntcx = (unsigned int)pos;
	for (i = 0; i < pos && i < FT_LIVE_MAX_TCX; i++) {
		prog_fill(&lv->tcx[i], ids[i], 0, 0, "", NULL);
		lv->tcx[i].ours = false;
		reason(lv, FT_LIVE_DEGRADED, "tcx program %s runs on ingress before flowtag's: "
		       "if it returns a verdict, packets are not tagged",
		       prog_desc(&lv->tcx[i], d, sizeof(d)));
	}
	if (pin_dir) {
		lv->tcx_link = link_state(ft_tcx_link_pin_path, ft_tcx_link_ifindex, pin_dir,
					  rec->name, rec->ifindex);
		if (!lv->tcx_link)
			reason(lv, FT_LIVE_DEGRADED, "no pinned tcx link %s/tcx_link_%s: tc ingress "
			       "would not outlive flowtagd", pin_dir, rec->name);
	}
	return 0;
}

/* On tcx: flowtag's program in a clsact filter at our pref/handle (a move
 * from clsact that did not finish, or was undone) runs a second time after
 * the tcx programs, or, with our tcx link gone, is what still tags.
 * @cls: whether a clsact qdisc is there. Judges a missing tcx link too. */
static void tcx_clsact_leftover(const struct ft_iface_info *rec, bool cls, struct ft_live *lv)
{
	struct ft_live_prog p = { 0 };

	if (cls)
		prog_fill(&p, tc_ours_id(rec->ifindex, BPF_TC_INGRESS), 0, 0, "", NULL);
	if (p.id && strncmp(p.name, "ft_tc_", 6))
		p.id = 0;	/* another tool's filter at our pref/handle: not ours */
	if (!lv->ingress.ours && p.id)
		reason(lv, FT_LIVE_DEGRADED, "flowtag's tcx ingress link is gone; its program "
		       "still tags as the clsact filter at pref %#x handle %#x (id %u)",
		       FT_TC_PRIO, FT_TC_HANDLE, p.id);
	else if (!lv->ingress.ours)
		reason(lv, FT_LIVE_DOWN, "flowtag's tcx ingress link is gone: packets are not "
		       "tagged");
	else if (p.id) {
		lv->ingress_twice = true;
		reason(lv, FT_LIVE_DEGRADED, "flowtag's tc ingress program runs on tcx and also "
		       "as the clsact filter at pref %#x handle %#x (id %u): twice", FT_TC_PRIO,
		       FT_TC_HANDLE, p.id);
	}
}

/* On clsact: the other ingress filters that run before flowtag's (a lower
 * pref, or another filter at its pref): the first one that returns a
 * verdict ends the hook, and flowtag's filter never tags the packet. */
static void clsact_in_front(const struct ft_iface_info *rec, struct ft_live *lv)
{
	struct ft_tc_filter f[16];
	struct nl_sock *sk;
	int n, i;

	sk = ft_nl_route_open();
	if (!sk) {
		reason(lv, FT_LIVE_DEGRADED, "cannot list the tc ingress filters");
		return;
	}
	n = ft_clsact_filters(sk, rec->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), f,
			      sizeof(f) / sizeof(f[0]));
	nl_socket_free(sk);
	if (n < 0) {
		reason(lv, FT_LIVE_DEGRADED, "cannot list the tc ingress filters: %s",
		       strerror(-n));
		return;
	}
	/* the kernel dumps them by pref: the ones in front come first */
	for (i = 0; i < n && i < (int)(sizeof(f) / sizeof(f[0])); i++) {
		if (f[i].pref > FT_TC_PRIO || (f[i].pref == FT_TC_PRIO && f[i].handle == FT_TC_HANDLE))
			continue;
		reason(lv, FT_LIVE_DEGRADED, "tc filter pref %u handle %#x (%s) runs on ingress "
		       "before flowtag's (pref %u): if it returns a verdict, packets are not "
		       "tagged", f[i].pref, f[i].handle, f[i].kind, FT_TC_PRIO);
	}
}

/*
 * The shaping the policy asks for (FT_IFACE_F_SHAPE_WANT, _INGRESS_SHAPE_WANT),
 * as the kernel has it: flowtag's HTB root on the interface, the redirect
 * to an IFB with flowtag's HTB root. Not there (flowtagd could not build
 * it, or another tool removed it): degraded, packets are tagged but not
 * shaped as configured.
 */
static void shaping_check(const struct ft_iface_info *rec, struct ft_live *lv)
{
	uint32_t want = (rec->flags & FT_IFACE_F_SHAPE_WANT ? FT_IFACE_F_SHAPED : 0) |
			(rec->flags & FT_IFACE_F_INGRESS_SHAPE_WANT ? FT_IFACE_F_INGRESS_SHAPED : 0);
	int found;

	if (!want)
		return;
	found = ft_shaping_check(rec->ifindex, want);
	if (found < 0) {
		reason(lv, FT_LIVE_DEGRADED, "cannot check the shaping: %s", strerror(-found));
		return;
	}
	if (found & (FT_SHAPING_EGRESS_GONE | FT_SHAPING_EGRESS_FOREIGN))
		reason(lv, FT_LIVE_DEGRADED, "egress_shaping is configured, but %s: packets leave "
		       "unshaped by the policy",
		       found & FT_SHAPING_EGRESS_FOREIGN ?
			       "another tool's root qdisc holds the interface, not flowtag's HTB 1:" :
			       "flowtag's HTB tree is not there (the kernel's default root qdisc)");
	if (found & FT_SHAPING_INGRESS_GONE)
		reason(lv, FT_LIVE_DEGRADED, "ingress_shaping is configured, but there is no redirect "
		       "to an IFB device with flowtag's HTB tree: packets arrive unshaped by the "
		       "policy");
	lv->unshaped = found != 0;
}

int ft_live_check(const struct ft_iface_info *rec, const struct ft_live_expect *exp,
		  const char *pin_dir, struct ft_live *lv)
{
	static const struct ft_live_expect none;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[IF_NAMESIZE], d[64];
	bool tcx = rec->flags & FT_IFACE_F_TCX;
	uint32_t ids[FT_LIVE_MAX_TCX], xid;
	int err, n, cls;
	unsigned int i;

	memset(lv, 0, sizeof(*lv));
	lv->link = -1;
	lv->tcx_link = -1;
	if (!exp)
		exp = &none;
	if (rec->flags & FT_IFACE_F_FAILED) {
		/* there, but nothing of flowtag's is on it (ifindex 0 in the
		 * record): the reason is flowtagd's (ft_health.missing) */
		lv->exists = true;
		snprintf(lv->name, sizeof(lv->name), "%.*s", (int)sizeof(rec->name), rec->name);
		reason(lv, FT_LIVE_DOWN, "flowtagd could not attach to it: its packets are not "
		       "classified (flowtagctl reload tries again)");
		return 0;
	}
	if (rec->flags & FT_IFACE_F_ABSENT) {
		/* a policy entry waiting for its interface: fine unless required
		 * (flowtagd reports that one in ft_health.missing as well) */
		lv->state = (rec->flags & FT_IFACE_F_REQUIRED) ? FT_LIVE_DEGRADED : FT_LIVE_OK;
		return 0;
	}
	if (!if_indextoname(rec->ifindex, name)) {
		reason(lv, FT_LIVE_DOWN, "ifindex %u no longer exists: nothing is attached",
		       rec->ifindex);
		return 0;
	}
	lv->exists = true;
	snprintf(lv->name, sizeof(lv->name), "%s", name);
	if (strncmp(name, rec->name, sizeof(rec->name)))
		reason(lv, FT_LIVE_DEGRADED, "ifindex %u is now called %s", rec->ifindex, name);

	/* XDP */
	err = bpf_xdp_query((int)rec->ifindex, 0, &q);
	if (err) {
		reason(lv, FT_LIVE_DOWN, "cannot query XDP: %s", strerror(-err));
		lv->unknown = true;
		return err;
	}
	lv->xdp_mode = q.attach_mode;
	xid = q.attach_mode == XDP_ATTACHED_MULTI ? (q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id)
						  : q.prog_id;
	prog_fill(&lv->xdp, xid, exp->xdp, exp->xdp_frags, "ft_xdp", "ft_xdp_frags");
	if (!xid && (rec->flags & FT_IFACE_F_TC_ONLY))
		;	/* as attached: XDP could not run there, tc classifies (mode tc-only) */
	else if (!xid)
		reason(lv, FT_LIVE_DEGRADED, "no XDP program attached: tc ingress classifies "
		       "every packet itself (fallback)");
	else if (!lv->xdp.ours)
		reason(lv, FT_LIVE_DEGRADED, "the XDP program attached is %s, not flowtagd's",
		       prog_desc(&lv->xdp, d, sizeof(d)));
	if (pin_dir && lv->xdp.ours) {
		lv->link = link_state(ft_xdp_link_pin_path, ft_xdp_link_ifindex, pin_dir,
				      rec->name, rec->ifindex);
		if (!lv->link)
			reason(lv, FT_LIVE_DEGRADED, "no pinned XDP link %s/xdp_link_%s: XDP "
			       "would not outlive flowtagd", pin_dir, rec->name);
	}

	/* tc ingress on tcx: our program among the tcx programs, none in front */
	if (tcx) {
		err = tcx_check(rec, exp, pin_dir, lv);
		if (err)
			return err;
	}

	/* tc: the clsact qdisc, then our filters at our pref/handle */
	cls = clsact_present(rec->ifindex);
	if (cls < 0) {
		reason(lv, FT_LIVE_DOWN, "cannot list qdiscs: %s", strerror(-cls));
		lv->unknown = true;
		return cls;
	}
	lv->clsact = cls;
	if (!cls && !tcx) {
		reason(lv, FT_LIVE_DOWN, "no clsact qdisc: the tc ingress filter is gone, packets "
		       "are not tagged");
	} else if (!cls) {
		if (rec->flags & (FT_IFACE_F_EGRESS | FT_IFACE_F_INGRESS_SHAPED))
			reason(lv, FT_LIVE_DEGRADED, "no clsact qdisc: %s gone",
			       (rec->flags & FT_IFACE_F_EGRESS) ? "the tc egress restore filter is"
								 : "the redirect to the IFB is");
	} else {
		/* on tcx, the ingress filter is judged by tcx_clsact_leftover() */
		if (!tcx)
			prog_fill(&lv->ingress, tc_ours_id(rec->ifindex, BPF_TC_INGRESS),
				  exp->tc_ingress, 0, "ft_tc_ingress", NULL);
		if (!tcx && !lv->ingress.id)
			reason(lv, FT_LIVE_DOWN, "no tc ingress filter at pref %#x handle %#x: "
			       "packets are not tagged", FT_TC_PRIO, FT_TC_HANDLE);
		else if (!tcx && !lv->ingress.ours)
			reason(lv, FT_LIVE_DOWN, "the tc ingress filter at pref %#x handle %#x "
			       "runs %s, not flowtagd's", FT_TC_PRIO, FT_TC_HANDLE,
			       prog_desc(&lv->ingress, d, sizeof(d)));
		else if (!tcx)
			clsact_in_front(rec, lv);
		if (rec->flags & FT_IFACE_F_EGRESS) {
			prog_fill(&lv->egress, tc_ours_id(rec->ifindex, BPF_TC_EGRESS),
				  exp->tc_egress, 0, "ft_tc_egress", NULL);
			if (!lv->egress.ours)
				reason(lv, FT_LIVE_DEGRADED, "egress restore is configured but "
				       "flowtagd's tc egress filter is %s",
				       lv->egress.id ? "replaced" : "missing");
		}
	}

	shaping_check(rec, lv);
	if (tcx) {
		tcx_clsact_leftover(rec, cls, lv);
		return 0;
	}
	/* tcx programs run before every clsact filter */
	n = ft_tcx_list(rec->ifindex, ids, FT_LIVE_MAX_TCX);
	if (n < 0)
		reason(lv, FT_LIVE_DEGRADED, "cannot query tcx programs: %s", strerror(-n));
	for (i = 0; n > 0 && i < (unsigned int)n && i < FT_LIVE_MAX_TCX; i++) {
		prog_fill(&lv->tcx[i], ids[i], 0, 0, "", NULL);
		lv->tcx[i].ours = false;
		reason(lv, FT_LIVE_DEGRADED, "tcx program %s runs on ingress before flowtag's "
		       "tc filter: if it returns a verdict, packets are not tagged",
		       prog_desc(&lv->tcx[i], d, sizeof(d)));
	}
	lv->ntcx = n > 0 ? (unsigned int)n : 0;
	return 0;
}
