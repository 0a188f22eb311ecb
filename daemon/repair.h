/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Self-repair: flowtagd checks every interface it attached against the
 * kernel (on rtnetlink events and every FT_VERIFY_MS), puts back what another
 * tool removed (ft_repair_iface()), never fights (at most FT_REPAIR_MAX
 * repairs of one interface per FT_REPAIR_WINDOW_MS), and notices a stalled
 * XDP->tc hand-off. The per-interface records feed ft_ifhealth.
 */
#ifndef FLOWTAG_REPAIR_H
#define FLOWTAG_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ifaces.h"
#include "verify.h"

/* the periodic check, milliseconds */
#define FT_VERIFY_MS		5000
/* more than FT_REPAIR_MAX repairs of one interface within
 * FT_REPAIR_WINDOW_MS and flowtagd stops repairing it until a reload */
#define FT_REPAIR_MAX		3
#define FT_REPAIR_WINDOW_MS	30000
/* XDP wrote this much metadata on an interface between two periodic checks
 * while its tc ingress saw nothing: the hand-off is stalled */
#define FT_STALL_PACKETS	16

/* Self-repair record of one interface, kept across reloads by name. */
struct ft_watch {
	char name[FT_IFNAMSIZ];
	uint32_t repairs;			/* repairs done */
	uint64_t last_repair;			/* unix seconds */
	uint64_t recent[FT_REPAIR_MAX];		/* monotonic ms of the last repairs */
	bool gave_up;				/* repairs stopped until a reload */
	bool stalled;				/* hand-off stalled at the last check */
	bool gone_logged;			/* "interface gone" said once */
	bool shaping_foreign_logged;		/* "another tool replaced our HTB" said once */
	uint64_t hoff_written, hoff_tc;		/* ft_hoff at the last check */
	char last[104];				/* what the last repair restored */
	char seen[FT_LIVE_REASON_LEN];		/* the finding logged last, to log changes once */
};

struct ft_repair {
	struct ft_loader *loader;
	const char *pin_dir;
	struct ft_watch watch[FT_MAX_IFACES];
	size_t nwatch;
	uint32_t repairs;			/* on every interface since start */
};

/** ft_repair_watch() - the record of interface @name, made on first use. */
struct ft_watch *ft_repair_watch(struct ft_repair *r, const char *name);

/**
 * ft_repair_resume() - a reload is the operator's word: repair again what
 * repairs were stopped on, and log findings afresh.
 */
void ft_repair_resume(struct ft_repair *r);

/**
 * ft_repair_check() - check every attachment of @ifs against the kernel,
 * restore what another tool removed, log what is found once per change.
 * @exp:   the ids of this daemon's programs
 * @timer: the periodic check (hand-off stall detection runs only then)
 * Return: whether anything worth publishing (ft_ifhealth) changed.
 */
bool ft_repair_check(struct ft_repair *r, struct ft_ifaces *ifs, const struct ft_policy *pol,
		     const struct ft_live_expect *exp, bool timer);

#endif /* FLOWTAG_REPAIR_H */
