/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The writer of the daemon's records in the pins (ft_info, ft_ifaces,
 * ft_health, ft_ifhealth, ft_hoff, ft_devs): flowtagd's side of what
 * pinned.c reads.
 */
#ifndef FLOWTAG_PINNED_WRITE_H
#define FLOWTAG_PINNED_WRITE_H

#include "flowtag/maps.h"
#include "ifaces.h"
#include "loader.h"
#include "policy.h"
#include "repair.h"
#include "verify.h"

/* What the records are made from: the daemon's state. */
struct ft_pinned_state {
	struct ft_loader *loader;		/* the maps */
	const struct ft_policy *pol;		/* the active policy */
	const struct ft_ifaces *ifs;		/* what is attached, what is absent */
	struct ft_daemon_info *info;		/* nifaces set here, then published */
	struct ft_health *health;		/* programs and repairs set here */
	const struct ft_live_expect *expect;	/* ids of our programs */
	struct ft_repair *rep;			/* self-repair records */
	const struct ft_confirm_info *confirm;	/* reload --confirm and rollback */
};

/**
 * ft_dev_claim() - give @ifindex its ft_devs entry (@fd), with link layer
 * @l2 (FT_L2_*), if the entry is free or already the interface's: then the
 * programs find both l2 and the hand-off counters in one lookup. An entry
 * that already holds @ifindex and @l2 on every CPU is left as it is (its
 * counters go on); otherwise every CPU's copy is written, l2 first (tag 0),
 * then the tag (flowtag/maps.h), counters zero. Call it after ft_links has
 * the interface: the programs read ft_links until the tag is there.
 * Return: 1 when the entry is @ifindex's, 0 when another interface holds
 * it (@ifindex keeps ft_links and ft_hoff, said at debug level), or -errno.
 */
int ft_dev_claim(int fd, uint32_t ifindex, uint32_t l2);

/**
 * ft_dev_release() - clear @ifindex's ft_devs entry (@fd), the tag first,
 * then everything, if it holds @ifindex on some CPU; another interface's
 * entry is left alone. A negative @fd is ignored. Errors are ignored: the
 * programs and the readers compare the tag.
 */
void ft_dev_release(int fd, uint32_t ifindex);

/**
 * ft_hoff_reset() - set the hand-off counters of @ifindex to zero where
 * they live (ft_hoff_sum()): its ft_devs entry (@devs_fd; tag and l2 stay)
 * or its ft_hoff entry (@hoff_fd, which is not created).
 * Return: 0, -ENOENT when neither map holds counters of @ifindex, or -errno.
 */
int ft_hoff_reset(int devs_fd, int hoff_fd, uint32_t ifindex);

/**
 * ft_health_set_progs() - the ids of the programs flowtagd attaches, @exp,
 * into @h: what status and the self-repair expect to find attached.
 */
void ft_health_set_progs(struct ft_health *h, const struct ft_live_expect *exp);

/**
 * ft_pinned_publish() - write the daemon's records: an ft_hoff entry per
 * attached ifindex without an ft_devs entry of its own (the others
 * deleted; ft_devs entries of interfaces not attached cleared), ft_ifaces and ft_ifhealth (the
 * attached interfaces, then the absent ones), ft_ifshaping (why the
 * shaping of an attached interface is not as the policy says), ft_health,
 * ft_confirm, and ft_info last. Failed map updates are ignored (the
 * records are informational).
 */
void ft_pinned_publish(const struct ft_pinned_state *s);

#endif /* FLOWTAG_PINNED_WRITE_H */
