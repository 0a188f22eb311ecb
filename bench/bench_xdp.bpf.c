// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Benchmark-only wrappers around the production programs. Nothing here is
 * loaded by flowtagd.
 *
 * Why a wrapper: a non-live XDP test run reuses one xdp_buff for every
 * repetition, so the production program's bpf_xdp_adjust_meta(-20) succeeds
 * a few times, runs out of headroom, and from then on times the failure
 * path. ftb_xdp puts the buffer back the way a fresh frame looks (no
 * metadata) before every repetition, writes the next flow of a table into
 * the packet (the buffer is reused, so one run with repeat = N walks N
 * flows), and tail-calls slot 0 of ftb_xdp_jmp: the unmodified ft_xdp of the
 * loader under test, or ftb_pass for the reference. Both paths pay the same
 * wrapper and tail call, so the difference is the production program.
 *
 * ftb_tc does the same for the tc ingress program (no metadata: the fallback
 * path). (L2's traffic comes from sockets: bench_l2.c.)
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench_flow.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FTB_FLOW_SLOTS);
	__type(key, __u32);
	__type(value, struct ftb_flow);
} ftb_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} ftb_xdp_jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} ftb_tc_jmp SEC(".maps");

/* Which flows a run walks; written by the driver between runs (mmaped .bss). */
struct ftb_cfg ftb_cfg;

/*
 * Write flow number ftb_cfg.iter (mod mask + 1) of the table into the
 * Ethernet + IPv4 (no options) + UDP packet at [data, end). The entry
 * carries the IPv4 header checksum for its addresses, so live frames pass
 * ip_rcv(). Returns 0, or -1 when the packet is too short.
 */
static __always_inline int ftb_write_flow(void *data, void *end)
{
	struct ftb_flow *fl;
	__u32 it, k, unique = ftb_cfg.unique;
	__u16 csum, sport;
	__be32 daddr;

	if (data + FTB_OFF_DPORT + 2 > end)
		return -1;
	it = ftb_cfg.iter++;
	k = ftb_cfg.base + (it & ftb_cfg.mask);
	if (ftb_cfg.flood_shift && !(it & ((1u << (ftb_cfg.flood_shift & 15)) - 1))) {
		/* an established flow amid the flood */
		k = ftb_cfg.hot_base + ((it >> (ftb_cfg.flood_shift & 15)) & ftb_cfg.hot_mask);
		unique = 0;
	}
	fl = bpf_map_lookup_elem(&ftb_flows, &k);
	if (!fl)
		return -1;
	csum = fl->csum;
	daddr = fl->daddr;
	sport = fl->sport;
	if (unique) {
		/* the low half of the destination and the checksum (RFC 1624) */
		__u16 old = ((__u16 *)&daddr)[1], new = bpf_htons((__u16)(it >> 16));
		__u32 sum = (__u16)~csum + (__u16)~old + new;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		csum = (__u16)~sum;
		((__u16 *)&daddr)[1] = new;
		sport = bpf_htons((__u16)it);
	}
	*(__u16 *)(data + FTB_OFF_CSUM) = csum;
	*(__u32 *)(data + FTB_OFF_SADDR) = fl->saddr;
	*(__u32 *)(data + FTB_OFF_DADDR) = daddr;
	*(__u16 *)(data + FTB_OFF_SPORT) = sport;
	*(__u16 *)(data + FTB_OFF_DPORT) = fl->dport;
	return 0;
}

SEC("xdp")
int ftb_xdp(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;

	/* Drop whatever metadata the previous repetition left. Pointer minus
	 * pointer is a scalar for privileged programs. */
	if (meta < data && bpf_xdp_adjust_meta(ctx, (int)(data - meta)))
		return XDP_ABORTED;
	/* adjust_meta invalidated the packet pointers */
	if (ftb_write_flow((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &ftb_xdp_jmp, 0);
	/* empty slot: the driver sees XDP_ABORTED and discards the run */
	return XDP_ABORTED;
}

/* The flood's reference: what an XDP program that drops everything costs. */
SEC("xdp")
int ftb_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/* The reference: what an XDP program that does nothing costs. */
SEC("xdp")
int ftb_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int ftb_tc(struct __sk_buff *skb)
{
	if (ftb_write_flow((void *)(long)skb->data, (void *)(long)skb->data_end))
		return TC_ACT_SHOT;
	bpf_tail_call(skb, &ftb_tc_jmp, 0);
	return TC_ACT_SHOT;
}

/* tc reference: ft_tc_ingress's own default verdict, doing nothing. */
SEC("tc")
int ftb_tc_pass(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
