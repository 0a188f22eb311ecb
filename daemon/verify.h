/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Live verification: what the kernel really has attached to an interface,
 * read from the kernel every time (bpf_xdp_query, the clsact qdisc, our tc
 * filter at FT_TC_PRIO/FT_TC_HANDLE through bpf_tc_query or our program
 * among the tcx ingress programs, tcx programs in front of it, the pinned
 * XDP and tcx links), never from what flowtagd remembers.
 *
 * flowtagd checks its own interfaces with it (self-repair), flowtagctl
 * status and reload judge the data path with it. An interface is
 *   ok       - everything flowtagd attached is there and nothing runs in front
 *   degraded - packets are still tagged, but not as configured (no XDP, so
 *              tc classifies itself; tcx programs or, on clsact, other tc
 *              filters in front; egress restore missing; no link pin;
 *              egress or ingress shaping the policy asks for not there)
 *   down     - packets are not tagged at all: the interface is gone, or the
 *              clsact qdisc or our tc ingress filter is (clsact), or our
 *              tcx link is (tcx)
 */
#ifndef FLOWTAG_VERIFY_H
#define FLOWTAG_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtag/maps.h"

#define FT_LIVE_MAX_TCX		4	/* tcx programs named in a report */
#define FT_LIVE_REASONS		8
#define FT_LIVE_REASON_LEN	200

enum ft_live_state {
	FT_LIVE_OK = 0,
	FT_LIVE_DEGRADED,
	FT_LIVE_DOWN,
};

/* The programs flowtagd attaches (ft_health); 0 = unknown, judge by name. */
struct ft_live_expect {
	uint32_t xdp;			/* ft_xdp */
	uint32_t xdp_frags;		/* ft_xdp_frags */
	uint32_t tc_ingress;		/* ft_tc_ingress */
	uint32_t tc_egress;		/* ft_tc_egress */
};

struct ft_live_prog {
	uint32_t id;			/* 0 = none */
	char name[16];			/* BPF program name, "" when unreadable */
	bool ours;			/* flowtagd's program */
};

/* One interface as the kernel has it now. */
struct ft_live {
	bool exists;			/* the ifindex exists in this network namespace */
	char name[16];			/* its name now */
	uint32_t xdp_mode;		/* XDP_ATTACHED_* */
	struct ft_live_prog xdp;	/* the XDP program attached */
	int link;			/* pinned XDP link: 1 attached here, 0 missing, -1 not checked */
	bool clsact;			/* a clsact qdisc holds the hooks */
	struct ft_live_prog ingress;	/* at our pref/handle on ingress, or
					 * ours among the tcx programs (FT_IFACE_F_TCX) */
	int tcx_link;			/* pinned tcx link: 1 attached here, 0 missing,
					 * -1 not checked (or clsact) */
	struct ft_live_prog egress;	/* at our pref/handle on egress */
	unsigned int ntcx;		/* tcx ingress programs in front of ours */
	struct ft_live_prog tcx[FT_LIVE_MAX_TCX];
	bool tcx_unsupported;		/* the kernel has no tcx: none can be in front */
	bool ingress_twice;		/* on tcx, and flowtag's program also at our
					 * pref/handle on clsact: it runs twice */
	bool unknown;			/* the kernel could not be asked: judge, but
					 * repair nothing */
	bool unshaped;			/* shaping the record asks for (the _WANT
					 * flags) is not in the kernel */

	enum ft_live_state state;	/* the verdict, with its reasons: */
	unsigned int nreasons;
	char reason[FT_LIVE_REASONS][FT_LIVE_REASON_LEN];
};

/**
 * ft_live_check() - read what is attached to @rec->ifindex now and judge it.
 * @rec:     the interface as flowtagd recorded it (name, ifindex, FT_IFACE_F_*
 *           flags: egress is checked only when FT_IFACE_F_EGRESS is set, tc
 *           ingress on tcx when FT_IFACE_F_TCX is, the shaping when the
 *           _SHAPE_WANT flags are)
 * @exp:     program ids flowtagd attaches (zeros: judge by program name)
 * @pin_dir: where the XDP link pin lives, as this process sees it; NULL
 *           skips the link check
 * @out:     filled in, state and reasons included
 *
 * Works in the caller's network namespace. Return: 0, or -errno when the
 * kernel could not be asked (then @out->state is FT_LIVE_DOWN with the reason).
 */
int ft_live_check(const struct ft_iface_info *rec, const struct ft_live_expect *exp,
		  const char *pin_dir, struct ft_live *out);

/** ft_live_state_name() - "ok", "degraded", "down". */
const char *ft_live_state_name(enum ft_live_state st);

/**
 * ft_live_expect_fds() - the expected program ids, from the fds of the
 * programs flowtagd loaded (a negative fd leaves its id 0).
 */
void ft_live_expect_fds(struct ft_live_expect *exp, int xdp, int xdp_frags, int tc_in,
			int tc_eg);

/**
 * ft_tcx_list() - the tcx programs on @ifindex's ingress (BPF_TCX_INGRESS).
 * @ids: room for @max ids; Return: how many there are (may exceed @max), 0
 * when the kernel has no tcx (the query fails on kernels before 6.6), or
 * -errno for another failure.
 */
int ft_tcx_list(uint32_t ifindex, uint32_t *ids, unsigned int max);

#endif /* FLOWTAG_VERIFY_H */
