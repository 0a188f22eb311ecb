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

#endif /* FLOWTAG_SHAPING_H */
