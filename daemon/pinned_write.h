/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The writer of the daemon's records in the pins (ft_info, ft_ifaces,
 * ft_health, ft_ifhealth, ft_hoff): flowtagd's side of what pinned.c reads.
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
 * ft_pinned_publish() - write the daemon's records: an ft_hoff entry per
 * attached ifindex (the others deleted), ft_ifaces and ft_ifhealth (the
 * attached interfaces, then the absent ones), ft_health, ft_confirm, and
 * ft_info last:
 * flowtagctl reload waits for ft_info, then reads the rest. Failed map
 * updates are ignored (the records are informational).
 */
void ft_pinned_publish(const struct ft_pinned_state *s);

#endif /* FLOWTAG_PINNED_WRITE_H */
