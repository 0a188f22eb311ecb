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

static __always_inline int ft_xdp_run(struct xdp_md *ctx, __u64 bytes)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct flowtag_meta *meta;
	struct ft_counters *cnt = NULL;
	struct ft_hoff *hoff;
	struct ft_verdict v;
	struct ft_pkt p;
	void *data;
	__u32 slot = 0;
	int res, probe;

	/* a probe changes nothing: no counters (cnt stays NULL) */
	probe = ft_xdp_probe(ctx);
	/* one lookup for every health counter this packet touches */
	if (!probe)
		cnt = ft_counters_get();
	ft_count_in(cnt, FT_CNT_XDP_PKTS);
	/* L3 devices: the IP version nibble tells IPv4 from IPv6. The
	 * ft_devs entry is looked up again for the hand-off counter below:
	 * kept in a register across the parse, its two states (entry or
	 * fallback) would make the verifier walk the whole parse twice
	 * (twice the load time); a second inlined array lookup costs less. */
	res = ft_classify(ctx, ifindex, ft_dev_l2(ft_dev_get(ifindex), ifindex), 0,
			  FT_VLAN_NONE, &p, &v, &slot, probe);
	if (res < 0)
		return XDP_PASS;
	ft_count_in(cnt, ft_decide_counter(res));
	if (v.action == FT_ACT_DROP) {
		if (p.key.vlan != FT_VLAN_NONE || !ft_policy_uses(slot, FT_F_VLAN)) {
			ft_count_in(cnt, FT_CNT_XDP_DROP);
			if (!probe)
				ft_count_verdict(slot, &v, bytes);
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
	if (probe)
		return XDP_PASS;
	hoff = ft_dev_hoff(ft_dev_get(ifindex), ifindex);
	if (hoff)
		hoff->meta_written++;	/* per-CPU value: no atomic needed */
	/* counted here only once tagged: untagged, tc's fallback counts it */
	ft_count_verdict(slot, &v, bytes);
	return XDP_PASS;
}

SEC("xdp")
int ft_xdp(struct xdp_md *ctx)
{
	return ft_xdp_run(ctx, ctx->data_end - ctx->data);
}

/* For MTUs above a page: multi-buffer frames. Only the linear head is
 * parsed; headers beyond it count as truncated. */
SEC("xdp.frags")
int ft_xdp_frags(struct xdp_md *ctx)
{
	return ft_xdp_run(ctx, bpf_xdp_get_buff_len(ctx));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
