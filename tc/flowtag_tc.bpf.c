// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtag tc programs (BPF_PROG_TYPE_SCHED_CLS, direct action).
 *
 * ft_tc_ingress: turn the XDP verdict in data_meta into skb->mark (under
 * mark_mask) and skb->priority; classify the packet itself when the
 * metadata is missing or not ours.
 * ft_tc_egress: forwarding rewrote skb->priority from the TOS byte, so
 * restore it from our mark bits.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* the context ft_parse_ip() takes the packet from (xdp/parse.h) */
#define FT_PARSE_CTX struct __sk_buff
#define FT_PARSE_LEN(ctx) ((ctx)->len)
#include "classify.h"

#define FT_TC_PULL	128	/* bytes of headers the fallback wants linear */

static __always_inline int ft_tc_ret(const struct ft_policy_hdr *h)
{
	/* UNSPEC lets later filters on the hook run: be a good neighbour */
	return (h->flags & FT_POL_F_TC_OK) ? TC_ACT_OK : TC_ACT_UNSPEC;
}

/* What tc knows of the link layer of @skb's device. */
struct ft_tc_link {
	__u32 l2;		/* FT_L2_* */
	__be16 l3proto;		/* FT_L2_NONE: skb->protocol, else 0 */
	__u16 vlan;		/* offloaded outer VLAN id, FT_VLAN_NONE if none */
};

/* What the kernel and flowtagd tell of @skb's link layer, into @lk->l2 and
 * @lk->l3proto: an ft_devs lookup (ft_links on a collision), paid only
 * when a packet is parsed. */
static __always_inline void ft_tc_link_l2(struct __sk_buff *skb, struct ft_tc_link *lk)
{
	__u32 ifindex = skb->ingress_ifindex;

	lk->l2 = ft_dev_l2(ft_dev_get(ifindex), ifindex);
	lk->l3proto = lk->l2 == FT_L2_NONE ? (__be16)skb->protocol : 0;
}

/* Whether @skb is a probe of flowtagctl explain --live (flowtag/meta.h). */
static __always_inline int ft_tc_probe(struct __sk_buff *skb)
{
	return skb->cb[0] == FT_PROBE_W0 && skb->cb[1] == FT_PROBE_W1 &&
	       skb->cb[2] == FT_PROBE_W2 && skb->cb[3] == FT_PROBE_W3;
}

/* Rewrite the DSCP bits of the IP header, keeping ECN; counted in @cnt (NULL: a probe). */
static __always_inline void ft_set_dscp(struct __sk_buff *skb, __u8 dscp, struct ft_counters *cnt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ft_cursor c = { .pos = data, .end = data_end };
	struct ft_tc_link lk;
	__u16 vlan = FT_VLAN_NONE;
	__be16 proto = 0;
	__u32 off;

	/* the same walk as the classifier: VLAN tags, PPPoE, L3 devices */
	ft_tc_link_l2(skb, &lk);
	if (ft_parse_l2(&c, lk.l2, lk.l3proto, &vlan, &proto))
		return;
	off = c.pos - data;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = c.pos;
		__be16 old, new;
		__u8 tos;

		/* an IPv4 header, or no rewrite: a packet the classifier could
		 * not parse (default verdict) may carry anything here */
		if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5)
			return;
		tos = (dscp << 2) | (iph->tos & 3);
		if (tos == iph->tos)
			return;
		old = *(__be16 *)iph;
		new = bpf_htons((bpf_ntohs(old) & 0xff00) | tos);
		/* checksum first: the store below invalidates iph */
		bpf_l3_csum_replace(skb, off + offsetof(struct iphdr, check), old, new, 2);
		bpf_skb_store_bytes(skb, off, &new, 2, 0);
		ft_count_in(cnt, FT_CNT_DSCP_REWRITE);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		__be16 *w = c.pos;
		__u16 host, want;

		if ((void *)(w + 1) > data_end)
			return;
		/* version(4) traffic class(8) flow label(4 of 20): DSCP is bits 11..6 */
		host = bpf_ntohs(*w);
		if ((host >> 12) != 6)
			return;	/* no IPv6 header (see above) */
		want = (host & 0xf03f) | ((__u16)dscp << 6);
		if (want == host)
			return;
		want = bpf_htons(want);
		bpf_skb_store_bytes(skb, off, &want, 2, 0);
		ft_count_in(cnt, FT_CNT_DSCP_REWRITE);
	}
}

static __always_inline void ft_apply(struct __sk_buff *skb, const struct flowtag_meta *m,
				     __u32 mask, struct ft_counters *cnt)
{
	if (m->flags & FT_META_F_NOTAG)
		return;
	/* bits outside the mask belong to others (Cilium, ip rules, ...) */
	skb->mark = (skb->mark & ~mask) | (m->mark & mask);
	if (m->flags & FT_META_F_PRIO)
		skb->priority = m->priority;
	if (m->flags & FT_META_F_DSCP)
		ft_set_dscp(skb, m->dscp & 63, cnt);
}

SEC("tc")
int ft_tc_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct flowtag_meta *meta = (void *)(long)skb->data_meta;
	const struct ft_policy_hdr *h;
	struct ft_counters *cnt = NULL;
	struct ft_tc_link lk;
	struct ft_hoff *hoff = NULL;
	struct ft_verdict v;
	struct ft_pkt p;
	__u32 mask, slot = 0;
	int ret, decided;

	h = ft_active_policy(&slot);
	if (!h)
		return TC_ACT_UNSPEC;
	mask = h->mark_mask;
	ret = ft_tc_ret(h);
	/*
	 * A probe changes nothing: cnt and hoff stay NULL, and cnt == NULL is
	 * what the rest of the program takes for "a probe" (no variable of
	 * its own: one more would spill, and the call chain's stack is at
	 * 512 bytes). The lookup of cnt never fails (an array's key 0).
	 */
	/* one lookup for every health counter this packet touches */
	if (!ft_tc_probe(skb)) {
		cnt = ft_counters_get();
		/* ft_devs, ft_hoff on a collision: no variable for the entry
		 * (see above), ft_tc_link_l2() looks it up again, inlined */
		hoff = ft_dev_hoff(ft_dev_get(skb->ingress_ifindex), skb->ingress_ifindex);
	}
	ft_count_in(cnt, FT_CNT_TC_PKTS);
	if (hoff)
		hoff->tc_pkts++;

	/* Ethernet: the kernel moved the outer tag to vlan_tci before tc
	 * ingress, either from the frame (XDP saw it) or from the sender's or
	 * the NIC's VLAN offload (XDP did not). The link type (L3 devices: no
	 * link-layer header, the kernel knows the protocol) only when a packet
	 * is parsed: ft_tc_link_l2(). */
	lk.vlan = skb->vlan_present ? (skb->vlan_tci & 0x0fff) : FT_VLAN_NONE;

	/* Metadata is untrusted: bounds and magic before anything else. */
	if ((void *)(meta + 1) <= data && meta->magic_ver == FLOWTAG_META_WORD) {
		ft_count_in(cnt, FT_CNT_META_SEEN);
		if (hoff)
			hoff->meta_seen++;
		if (meta->vlan == lk.vlan || !(h->used_fields & (1u << FT_F_VLAN))) {
			if (meta->flags & FT_META_F_DROP) {
				ft_count_in(cnt, FT_CNT_TC_DROP);
				return TC_ACT_SHOT;
			}
			ft_apply(skb, meta, mask, cnt);
			return ret;
		}
		/* XDP decided without the tag the policy may match on: decide
		 * again, and move the packet's count to the new verdict */
		ft_count_in(cnt, FT_CNT_VLAN_RECLASS);
		if (cnt)
			ft_uncount_meta(slot, meta->rule_id, meta->class_id, skb->len);
	} else {
		ft_count_in(cnt, (void *)meta == data ? FT_CNT_META_NONE : FT_CNT_META_INVALID);
		ft_count_in(cnt, FT_CNT_FALLBACK);
	}

	/* The fallback parses the linear head: make sure headers are in it. */
	if (data_end - data < FT_TC_PULL && skb->len > data_end - data)
		bpf_skb_pull_data(skb, skb->len < FT_TC_PULL ? skb->len : FT_TC_PULL);

	ft_tc_link_l2(skb, &lk);
	decided = ft_classify(skb, skb->ingress_ifindex, lk.l2, lk.l3proto, lk.vlan, &p,
			   &v, h, slot, cnt ? 0 : FT_DECIDE_F_PROBE);
	if (decided < 0)
		return TC_ACT_UNSPEC;
	ft_count_in(cnt, ft_decide_counter(decided));
	if (cnt)
		ft_count_verdict(slot, &v, skb->len);
	if (v.action == FT_ACT_DROP) {
		ft_count_in(cnt, FT_CNT_TC_DROP);
		return TC_ACT_SHOT;
	}
	ft_apply(skb, &v.meta, mask, cnt);
	return ret;
}

SEC("tc")
int ft_tc_egress(struct __sk_buff *skb)
{
	const struct ft_policy_hdr *h;
	struct ft_mark_key k;
	struct ft_mark_val *v;

	h = ft_active_policy(&k.slot);
	if (!h)
		return TC_ACT_UNSPEC;
	ft_count(FT_CNT_EGRESS_PKTS);

	k.mark = skb->mark & h->mark_mask;
	v = bpf_map_lookup_elem(&ft_markcls, &k);
	if (v && (v->flags & FT_META_F_PRIO)) {
		skb->priority = v->priority;
		ft_count(FT_CNT_EGRESS_RESTORED);
	}
	return ft_tc_ret(h);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
