// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * "Another tool" for the coexistence tests: a tc filter that owns other
 * bits of skb->mark, and an XDP program flowtagd must not replace.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int other_tc(struct __sk_buff *skb)
{
	/* everything but flowtag's 0x0000ff00 */
	skb->mark = (skb->mark & 0x0000ff00) | 0xab0000cd;
	return TC_ACT_UNSPEC;
}

/* A tcx program that returns a verdict (TCX_PASS): the clsact filters
 * behind it never run. */
SEC("tc")
int other_tcx(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("xdp")
int other_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
