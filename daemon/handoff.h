/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The verdict on the XDP -> tc hand-off, judged from flowtag's global
 * counters: does tc ingress find the metadata XDP wrote, and if not, why?
 * Pure: counters in, verdict and advice out, so the judgement can be
 * tested without a kernel (tests/unit/test_handoff.c). flowtagctl status
 * prints it.
 */
#ifndef FLOWTAG_HANDOFF_H
#define FLOWTAG_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

/* a hand-off below this share of tc packets with metadata is worth a warning */
#define FT_HANDOFF_OK_PERMILLE	990

#define FT_HANDOFF_HINTS	4
#define FT_HANDOFF_TEXT_LEN	512

enum ft_handoff_state {
	FT_HANDOFF_IDLE,	/* no packets yet */
	FT_HANDOFF_NO_TC,	/* XDP saw packets, tc none */
	FT_HANDOFF_OK,
	FT_HANDOFF_DEGRADED,	/* some fallback */
	FT_HANDOFF_FALLBACK,	/* fallback dominates */
};

struct ft_handoff {
	enum ft_handoff_state state;
	uint64_t permille;	/* meta seen / tc packets, in thousandths (0 without tc packets) */
	char summary[256];	/* one line: the verdict in numbers */
	unsigned int nhints;	/* what may cause a degraded hand-off, worst first */
	char hint[FT_HANDOFF_HINTS][FT_HANDOFF_TEXT_LEN];
};

/**
 * ft_handoff_assess() - judge the hand-off from the global counters.
 * @cnt: FT_CNT_MAX counters, summed over CPUs (flowtag/maps.h)
 * @h:   the verdict
 *
 * tc counts every packet it sees once as meta seen, or as meta invalid or
 * no meta (then fallback), so meta_seen / tc_packets is the share of
 * packets XDP really tagged for tc. Hints are given only for a degraded
 * or fallback-dominated hand-off.
 */
void ft_handoff_assess(const uint64_t *cnt, struct ft_handoff *h);

/** ft_handoff_state_name() - "idle", "no-tc", "ok", "degraded", "fallback". */
const char *ft_handoff_state_name(enum ft_handoff_state st);

/**
 * ft_permille() - @num / @den in thousandths, rounded down (99.96% is not
 * "100.0%"); 0 when @den is 0.
 */
uint64_t ft_permille(uint64_t num, uint64_t den);

/** ft_format_permille() - thousandths @pm as "99.9%" into @buf; returns @buf. */
char *ft_format_permille(uint64_t pm, char *buf, size_t len);

#endif /* FLOWTAG_HANDOFF_H */
