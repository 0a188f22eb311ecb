/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Egress shaping from the policy: an HTB tree per interface with
 * egress_shaping, built and kept in step through libnl-route-3.
 *
 *   root qdisc  htb 1:  default <default_class's minor>
 *   class 1:1   rate = ceil = the interface rate
 *   class 1:X   one per class priority 1:X (rate, ceil, burst, quantum)
 *     leaf      fq_codel (default) / cake / sfq / pfifo / none, handle X:
 *
 * skb->priority = 1:X sends a packet straight to class 1:X (HTB looks at
 * the priority before any filter), which is what flowtag's tc programs set.
 * A reload changes rates in place (HTB keeps the classes, their counters
 * and their queues), adds and removes classes; only a new default class
 * rebuilds the tree (HTB cannot change its default in place).
 */
#ifndef FLOWTAG_SHAPING_H
#define FLOWTAG_SHAPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach.h"
#include "policy.h"

#define FT_HTB_HANDLE	0x00010000u	/* the root qdisc, 1: */
#define FT_HTB_ROOT	0x00010001u	/* the root class, 1:1 */

/* One HTB class of the plan. */
struct ft_htb_class {
	uint32_t classid;	/* 1:X */
	uint64_t rate;		/* bytes/s */
	uint64_t ceil;		/* bytes/s */
	uint32_t burst;		/* bytes, 0 = default */
	uint32_t quantum;	/* bytes, 0 = default */
	const char *name;	/* first policy class with this id (for logs) */
};

/**
 * ft_shaping_plan() - the HTB classes an interface's egress_shaping asks for.
 * @pol: a validated policy
 * @sh:  the interface's egress_shaping (enabled)
 * @out: receives at most @max classes, sorted by classid
 *
 * Policy classes with the same priority 1:X share one HTB class (rates add
 * up, the largest ceil wins). Classes without a rate share what the
 * guaranteed rates leave of the interface rate, in equal parts, each at most
 * its ceil. A missing ceil is the interface rate.
 * Returns the number of classes, or -ENOSPC when @max is too small.
 */
int ft_shaping_plan(const struct ft_policy *pol, const struct ft_shaping *sh,
		    struct ft_htb_class *out, size_t max);

/**
 * ft_shaping_apply() - build or update the HTB tree on one interface.
 * @pol:     the policy (classes)
 * @ifc:     the interface, with egress_shaping enabled
 * @ifindex: where it is now
 * @owned:   in: flowtag created the tree already (reload, takeover); out:
 *           flowtag owns the root qdisc now
 *
 * Refuses (-EEXIST, logged) to replace a root qdisc that flowtag did not
 * create, unless it is the kernel's default (handle 0:) or replace_root is
 * set. Returns 0 or -errno; errors are logged with the interface name.
 */
int ft_shaping_apply(const struct ft_policy *pol, const struct ft_iface *ifc, uint32_t ifindex,
		     bool *owned);

/**
 * ft_shaping_remove() - delete flowtag's HTB root qdisc from @ifindex (the
 * kernel's default qdisc comes back). Only a root htb 1: is deleted.
 * Returns 0 (also when there was nothing to delete) or -errno.
 */
int ft_shaping_remove(uint32_t ifindex, const char *name);

/*
 * Ingress shaping (ingress_shaping): flowtagd creates the IFB device
 * ifb-<iface> (or the policy's ifb name), builds the same HTB tree on it,
 * and adds a u32 match-all filter with a mirred egress redirect to the IFB
 * on the interface's clsact ingress at pref FT_TC_REDIRECT_PRIO, after
 * flowtag's classifier (a tcx link, which runs before every clsact filter,
 * or the clsact filter at FT_TC_PRIO: tc runs filters in pref order), so
 * the packet reaches the redirect with its mark and priority set, and HTB
 * on the IFB picks the class from skb->priority. On clsact, filters at a
 * lower pref run before flowtag's; filters at a higher pref never see the
 * packet (the redirect steals it; the IFB then hands it to the stack as
 * received on the interface, without running clsact ingress again).
 */
#define FT_TC_REDIRECT_PRIO	(FT_TC_PRIO + 1)

/**
 * ft_ingress_shaping_apply() - create (or keep) the IFB device of
 * @ifc->ingress_shaping, build or update its HTB tree, and redirect
 * @ifindex's clsact ingress to it (the clsact qdisc must exist).
 * @owned: in: flowtag created the IFB already (reload, takeover); out:
 *         flowtag owns an IFB now
 * Refuses (-EEXIST, logged) an existing device of that name that flowtag
 * did not create. Returns 0 or -errno; on failure a just-created IFB is
 * deleted again.
 */
int ft_ingress_shaping_apply(const struct ft_policy *pol, const struct ft_iface *ifc,
			     uint32_t ifindex, bool *owned);

/**
 * ft_ingress_shaping_remove() - remove the redirect from @ifindex's clsact
 * ingress and delete the IFB device it pointed at (with its HTB tree);
 * when the redirect is gone already, the IFB named @ifb_name (may be NULL).
 * @ifindex 0: the interface itself is gone; only the IFB is deleted.
 * Returns 0 or -errno (logged with the interface @name).
 */
int ft_ingress_shaping_remove(uint32_t ifindex, const char *name, const char *ifb_name);

/**
 * ft_ingress_ifb() - the ifindex of the device flowtag's redirect on
 * @ifindex's clsact ingress points at: > 0, 0 when there is no redirect,
 * or -errno.
 */
int ft_ingress_ifb(uint32_t ifindex);

/* ft_shaping_check() findings */
#define FT_SHAPING_EGRESS_GONE		0x1	/* the kernel's default root qdisc is back */
#define FT_SHAPING_EGRESS_FOREIGN	0x2	/* another tool's root qdisc replaced ours */
#define FT_SHAPING_INGRESS_GONE		0x4	/* the redirect, or the tree on the IFB */

/**
 * ft_shaping_check() - whether what flowtag built for shaping on @ifindex
 * (@flags: FT_IFACE_F_SHAPED, FT_IFACE_F_INGRESS_SHAPED, as recorded) is
 * still there. Return: 0 all there, FT_SHAPING_* bits for what is not, or
 * -errno when the kernel could not be asked.
 */
int ft_shaping_check(uint32_t ifindex, uint32_t flags);

#endif /* FLOWTAG_SHAPING_H */
