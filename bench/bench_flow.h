/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Shared by the benchmark wrappers (bench_xdp.bpf.c) and the driver
 * (flowtag_bench.c): the flow table the wrappers write into the packet.
 *
 * ftb_flows holds one region of FTB_REGION flows per policy under test:
 *
 *   [0, FTB_HOT)                 the hot set: cache-hit runs cycle here
 *   [FTB_REGION/2, FTB_REGION)   the cold set: cache-miss runs cycle here,
 *                                each packet made a new flow (ftb_cfg.unique)
 */
#ifndef FLOWTAG_BENCH_FLOW_H
#define FLOWTAG_BENCH_FLOW_H

#include <linux/types.h>

#define FTB_HOT		4096u
#define FTB_REGION	(1u << 18)
#define FTB_COLD	(FTB_REGION / 2)
#define FTB_REGIONS	10u
#define FTB_FLOW_SLOTS	(FTB_REGIONS * FTB_REGION)

/* The packet: Ethernet, IPv4 without options, UDP. */
#define FTB_OFF_CSUM	(14 + 10)
#define FTB_OFF_SADDR	(14 + 12)
#define FTB_OFF_DADDR	(14 + 16)
#define FTB_OFF_SPORT	(14 + 20)
#define FTB_OFF_DPORT	(14 + 22)

/* One flow, every field in network byte order, ready to store. */
struct ftb_flow {
	__be32 saddr;		/* IPv4 source */
	__be32 daddr;		/* IPv4 destination */
	__be16 sport;		/* UDP source port */
	__be16 dport;		/* UDP destination port */
	__u16 csum;		/* IPv4 header checksum with these addresses */
	__u16 pad;		/* zero */
};

_Static_assert(sizeof(struct ftb_flow) == 16, "ftb_flow size");

/*
 * What one run walks: flow base + (iter & mask), iter counting up. With
 * @unique, packet iter is a flow of its own: UDP source port = iter & 0xffff,
 * destination 198.19.(iter >> 16) (checksum adjusted), the rest from the
 * table entry (so the same rule matches): no flow comes back while iter
 * counts up (< 2^24), whatever a set-associative cache keeps. With
 * @flood_shift, every (1 << flood_shift)-th packet is instead hot flow
 * hot_base + ((iter >> flood_shift) & hot_mask), as it is: established
 * flows amid a flood of new ones.
 */
struct ftb_cfg {
	__u32 iter;		/* next flow; persists across runs */
	__u32 base;		/* first entry of the set walked */
	__u32 mask;		/* set size - 1 (a power of two) */
	__u32 unique;		/* nonzero: every packet a new flow (see above) */
	__u32 flood_shift;	/* nonzero: 1 packet in 2^flood_shift from the hot set */
	__u32 hot_base;		/* first entry of that hot set */
	__u32 hot_mask;		/* its size - 1 */
	__u32 pad;		/* zero */
};

#endif /* FLOWTAG_BENCH_FLOW_H */
