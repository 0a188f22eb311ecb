// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtag XDP classifier: parse, classify against the active policy, drop
 * what a drop rule says, and hand the verdict to tc ingress as
 * struct flowtag_meta in front of the packet.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "classify.h"

/* Whether the frame is a probe of flowtagctl explain --live (flowtag/meta.h). */
static __always_inline int ft_xdp_probe(struct xdp_md *ctx)
{
	struct flowtag_probe *pr = (void *)(long)ctx->data_meta;

	if ((void *)(pr + 1) > (void *)(long)ctx->data)
		return 0;
	return pr->w0 == FT_PROBE_W0 && pr->w1 == FT_PROBE_W1;
}

/* Bytes of @ctx's frame: the linear part, or all of it for the multi-buffer
 * program (@frags non-zero). Computed where counted, not kept in a register
 * or on the stack across the classifier: the call chain's stack is at its
 * 512 bytes. */
static __always_inline __u64 ft_xdp_len(struct xdp_md *ctx, const int frags)
{
	if (frags)
		return bpf_xdp_get_buff_len(ctx);
	return ctx->data_end - ctx->data;
}

/* ft_xdp_prefilter()'s answers besides a rule */
#define FT_PF_NOT_TRIED		-1	/* it did not look: the full path decides */
#define FT_PF_NO_MATCH		-2	/* no pre-filter rule matches the addresses */

/*
 * ft_xdp_prefilter() - the drop pre-filter ahead of the parse, for an IPv4
 * packet that is not a fragment, from its IPv4 header alone: the pre-filter
 * rule of the policy @h in @slot that matches its addresses
 * (ft_prefilter_rule(), 0..FT_MAX_RULES-1: the caller drops and counts),
 * FT_PF_NO_MATCH when none does, FT_PF_NOT_TRIED for anything else (no
 * IPv4 header of at least 20 bytes right behind the Ethernet header, or
 * in front on an L3 device, @l2: a VLAN tag, a PPPoE header, another
 * protocol; a fragment, whose first one teaches its followers their ports
 * in ft_decide() first).
 *
 * Why: a flood of new flows from a blocked prefix is what XDP is there to
 * absorb, and ft_decide() gets to the pre-filter only after the whole
 * parse (ports, TCP flags, IPv6 extension headers) and two calls. The
 * answer is the one ft_decide() would give: the pre-filter's rules match
 * on the addresses alone. What differs is the health counters of a packet
 * it drops: counted as a pre-filter drop, never as a parse error (nothing
 * beyond the IPv4 header's first 20 bytes is read: not its options, nor
 * the header behind it).
 *
 * Global: a frame of its own, off the classifier's call chain, whose
 * stack is at the 512 bytes the verifier allows. It counts nothing: the
 * caller holds the health counters and the frame's length.
 */
__attribute__((noinline)) int ft_xdp_prefilter(struct xdp_md *ctx, __u32 l2,
					       const struct ft_policy_hdr *h, __u32 slot)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data;
	__u32 rule;

	if (l2 == FT_L2_ETH) {
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
			return FT_PF_NOT_TRIED;
		iph = (void *)(eth + 1);
	} else if (l2 != FT_L2_NONE) {
		return FT_PF_NOT_TRIED;
	}
	if (!h || (void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5 ||
	    (iph->frag_off & bpf_htons(FT_IP_MF | FT_IP_OFFMASK)))
		return FT_PF_NOT_TRIED;
	rule = ft_prefilter_rule(iph->saddr, iph->daddr, h, slot);
	return rule < FT_MAX_RULES ? (int)rule : FT_PF_NO_MATCH;
}

static __always_inline int ft_xdp_run(struct xdp_md *ctx, const int frags)
{
	const struct ft_policy_hdr *h;
	const struct ft_state *st = NULL;
	struct flowtag_meta *meta;
	struct ft_counters *cnt = NULL;
	struct ft_hoff *hoff;
	struct ft_verdict v;
	struct ft_pkt p;
	void *data;
	__u32 slot = 0, l2, how = 0;
	int res;

	/*
	 * A probe changes nothing: cnt stays NULL, and cnt == NULL is what
	 * the rest of the program takes for "a probe" (as ft_tc_ingress: no
	 * variable of its own, nor one for the ifindex, re-read from ctx:
	 * the call chain's stack is at its 512 bytes). The lookup of cnt
	 * never fails (an array's key 0).
	 */
	/* one lookup for every health counter this packet touches */
	if (!ft_xdp_probe(ctx))
		cnt = ft_counters_get();
	ft_count_in(cnt, FT_CNT_XDP_PKTS);
	h = ft_active_policy_st(&slot, &st);
	if (!h)
		return XDP_PASS;
	/* L3 devices: the IP version nibble tells IPv4 from IPv6. While
	 * every interface flowtagd attached is Ethernet, st->l2 says so for
	 * every packet (struct ft_state): no lookup of this one's. The
	 * ft_devs entry is looked up again for the hand-off counter below:
	 * kept in a register across the parse, its two states (entry or
	 * fallback) would make the verifier walk the whole parse twice
	 * (twice the load time); a second inlined array lookup costs less. */
	l2 = st->l2;
	if (st->l2_lookup)
		l2 = ft_dev_l2(ft_dev_get(ctx->ingress_ifindex), ctx->ingress_ifindex);

	/* The drop pre-filter first, where its answer cannot depend on a VLAN
	 * tag hidden in the skb (below). A probe takes the full path. */
	if (!cnt)
		how = FT_DECIDE_F_PROBE;
	else if ((h->flags & FT_POL_PF_MASK) && !(h->used_fields & (1u << FT_F_VLAN))) {
		res = ft_xdp_prefilter(ctx, l2, h, slot);
		if (res >= 0) {
			/* A pre-filter rule drops, and a drop has no class
			 * (compile_prefilter(), daemon/compile.c): no verdict,
			 * only the rule's and the health counters. */
			ft_count_in(cnt, FT_CNT_PREFILTER);
			ft_count_in(cnt, FT_CNT_XDP_DROP);
			ft_count_pkt(&ft_rule_cnt, slot * FT_MAX_RULES + res, ft_xdp_len(ctx, frags));
			return XDP_DROP;
		}
		if (res == FT_PF_NO_MATCH)
			how = FT_DECIDE_F_PF_DONE;
	}

	res = ft_classify(ctx, ctx->ingress_ifindex, l2, 0, FT_VLAN_NONE, &p, &v, h, slot, how);
	if (res < 0)
		return XDP_PASS;
	ft_count_in(cnt, ft_decide_counter(res));
	if (v.action == FT_ACT_DROP) {
		/* the header again, not kept across the call: a register
		 * less, and the call chain's stack is at its 512 bytes */
		if (p.key.vlan != FT_VLAN_NONE || !ft_policy_uses(slot, FT_F_VLAN)) {
			ft_count_in(cnt, FT_CNT_XDP_DROP);
			if (cnt)
				ft_count_verdict(slot, &v, ft_xdp_len(ctx, frags));
			return XDP_DROP;
		}
		/* No tag in the frame, but one may sit in the skb's metadata
		 * (VLAN offload), invisible here, and decide another rule:
		 * let tc, which sees it, drop. */
		v.meta.flags |= FT_META_F_DROP;
	}

	/* Never drop because the tag cannot be written: pass it, count it,
	 * and tc ingress classifies it again (fallback). */
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		ft_count_in(cnt, FT_CNT_ADJUST_FAILED);
		return XDP_PASS;
	}
	/* adjust_meta invalidated every packet pointer: derive them again */
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data) {
		ft_count_in(cnt, FT_CNT_ADJUST_FAILED);
		return XDP_PASS;
	}
	*meta = v.meta;
	/* the tag XDP saw: tc compares it with the skb's (VLAN offload) */
	meta->vlan = p.key.vlan;
	ft_count_in(cnt, FT_CNT_META_WRITTEN);
	if (!cnt)
		return XDP_PASS;
	hoff = ft_dev_hoff(ft_dev_get(ctx->ingress_ifindex), ctx->ingress_ifindex);
	if (hoff)
		hoff->meta_written++;	/* per-CPU value: no atomic needed */
	/* counted here only once tagged: untagged, tc's fallback counts it */
	ft_count_verdict(slot, &v, ft_xdp_len(ctx, frags));
	return XDP_PASS;
}

SEC("xdp")
int ft_xdp(struct xdp_md *ctx)
{
	return ft_xdp_run(ctx, 0);
}

/* For MTUs above a page: multi-buffer frames. Only the linear head is
 * parsed; headers beyond it count as truncated. */
SEC("xdp.frags")
int ft_xdp_frags(struct xdp_md *ctx)
{
	return ft_xdp_run(ctx, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
