/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtagctl explain --live: a packet described as struct ft_pkt_desc built
 * into a frame, run through the running XDP and tc ingress programs with
 * BPF_PROG_TEST_RUN against the live maps as a probe frame (flowtag/meta.h:
 * the programs then change no counter, no flow-cache or fragment entry),
 * and the kernel's verdict compared with the userspace answer.
 */
#ifndef FLOWTAG_LIVEPROBE_H
#define FLOWTAG_LIVEPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtag/maps.h"
#include "policy.h"

/* Big enough for any frame ft_pkt_frame() builds. */
#define FT_PROBE_FRAME_MAX	128

/**
 * ft_pkt_frame() - the frame a packet described by @d arrives as: an
 * Ethernet header (unless @l3_only: devices without a link-layer header),
 * the outer VLAN tag (d->vlan >= 0), the IPv4 or IPv6 header (DSCP in the
 * traffic class, valid IPv4 checksum), and the L4 header of d->proto (TCP
 * with d->tcp_flags, UDP, UDP-Lite, SCTP, ICMP/ICMPv6, else 8 zero bytes),
 * padded to the Ethernet minimum. A non-IP @d is an Ethernet frame of the
 * local experimental EtherType 0x88b5. Ports and addresses are written in
 * network byte order.
 * Return: the frame length, or 0 when @len is too small or @d cannot be
 * built (a non-IP packet on an L3 device).
 */
size_t ft_pkt_frame(const struct ft_pkt_desc *d, bool l3_only, uint8_t *buf, size_t len);

/* What one program computed for a probe. */
struct ft_probe_result {
	bool ran;		/* the test run succeeded */
	int err;		/* else: -errno of bpf_prog_test_run_opts() */
	uint32_t retval;	/* XDP_* or TC_ACT_* */
	bool has_meta;		/* XDP: it wrote flowtag_meta */
	struct flowtag_meta meta; /* XDP: the tag, if has_meta */
	uint32_t mark;		/* tc: skb->mark afterwards (0 before) */
	uint32_t priority;	/* tc: skb->priority afterwards (0 before) */
};

/**
 * ft_probe_xdp() - run @frame through the XDP program @prog_fd as a probe
 * received on @ifindex (0: the loopback device of this network namespace,
 * the kernel's default). Never fails: the outcome is in @out.
 */
void ft_probe_xdp(int prog_fd, const uint8_t *frame, size_t len, uint32_t ifindex,
		  struct ft_probe_result *out);

/**
 * ft_probe_tc() - run the Ethernet @frame through the tc ingress program
 * @prog_fd as a probe (__sk_buff cb[0..3] = FT_PROBE_W0..W3) received on
 * @ifindex (0: none given), mark and priority 0 before.
 */
void ft_probe_tc(int prog_fd, const uint8_t *frame, size_t len, uint32_t ifindex,
		 struct ft_probe_result *out);

/**
 * ft_probe_check_xdp() - whether the XDP result @got is the verdict @want
 * (ft_verdict of the userspace policy): the drop, or the tag (rule id,
 * class id, mark, priority, DSCP rewrite, untagged) it wrote.
 * @why: on a difference, what differs ("kernel: rule 3 class 1 ...; userspace: ...")
 * Return: true when they agree.
 */
bool ft_probe_check_xdp(const struct ft_verdict *want, const struct ft_probe_result *got,
			char *why, size_t len);

/**
 * ft_probe_check_tc() - whether the tc result @got is @want: dropped
 * (TC_ACT_SHOT), or skb->mark (@mark_mask bits) and skb->priority as the
 * verdict says, untouched when untagged.
 * Return: true when they agree; else @why says what differs.
 */
bool ft_probe_check_tc(const struct ft_verdict *want, uint32_t mark_mask,
		       const struct ft_probe_result *got, char *why, size_t len);

#endif /* FLOWTAG_LIVEPROBE_H */
