/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Packet parsing shared by the XDP classifier and the tc fallback path.
 * BPF only. Works on direct packet pointers [data, data_end), which both
 * xdp_md and __sk_buff provide, so one implementation serves both programs.
 *
 * Every helper checks bounds before it reads; a short or malformed header
 * makes ft_parse() return FT_PARSE_BAD and the caller uses the default
 * verdict. Nothing here writes to the packet.
 */
#ifndef FLOWTAG_PARSE_H
#define FLOWTAG_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "flowtag/maps.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#define FT_IPPROTO_ICMPV6	58
#define FT_IPPROTO_HOPOPTS	0
#define FT_IPPROTO_ROUTING	43
#define FT_IPPROTO_FRAGMENT	44
#define FT_IPPROTO_AH		51
#define FT_IPPROTO_NONE		59
#define FT_IPPROTO_DSTOPTS	60

#define FT_MAX_VLANS		2	/* 802.1ad outer + 802.1Q inner */
#ifndef FT_MAX_EXTHDRS
#define FT_MAX_EXTHDRS		6	/* HBH, DST, RH, FRAG, AH, DST: RFC 8200 order */
#endif
#define FT_EXTHDR_SPAN		4096	/* bytes of IPv6 extension headers we walk */

#define FT_IP_MF		0x2000	/* IPv4 more fragments (host order) */
#define FT_IP_OFFMASK		0x1fff	/* IPv4 fragment offset (host order) */

enum ft_frag {
	FT_FRAG_NONE = 0,	/* not a fragment */
	FT_FRAG_FIRST,		/* offset 0, more fragments follow: has the L4 header */
	FT_FRAG_LATER,		/* offset > 0: no L4 header */
};

enum ft_parse_result {
	FT_PARSE_OK = 0,	/* IPv4/IPv6 parsed, pkt filled in */
	FT_PARSE_NON_IP,	/* not IP: only iif and vlan are known */
	FT_PARSE_BAD,		/* truncated or malformed */
};

/* What the classifier needs from a packet. */
struct ft_pkt {
	struct ft_flow_key key;	/* the match fields, also the flow cache key */
	__u32 frag_id;		/* fragment id, valid when frag != FT_FRAG_NONE */
	__u16 l3_off;		/* offset of the IP header from data */
	__u8 frag;		/* enum ft_frag */
	__u8 pad;
};

/* A cursor walking the headers: pos advances, end is data_end. */
struct ft_cursor {
	void *pos;
	void *end;
};

struct ft_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ft_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;		/* 8-octet units, not counting the first 8 */
};

struct ft_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M flag */
	__be32 id;
};

/*
 * ft_pull() - advance the cursor over @len bytes.
 * Returns the old position, or NULL when fewer than @len bytes remain.
 * The returned pointer may be read for @len bytes.
 */
static __always_inline void *ft_pull(struct ft_cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

static __always_inline int ft_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * ft_parse_eth() - parse Ethernet and up to FT_MAX_VLANS tags.
 * @vlan: in: outer VLAN id already removed from the packet (tc: the kernel
 *        moved it to skb->vlan_tci), FT_VLAN_NONE otherwise; out: the
 *        outermost VLAN id seen, FT_VLAN_NONE if untagged.
 * Returns the network-order EtherType of the payload, 0 if truncated or
 * tagged deeper than FT_MAX_VLANS.
 */
static __always_inline __be16 ft_parse_eth(struct ft_cursor *c, __u16 *vlan)
{
	struct ethhdr *eth = ft_pull(c, sizeof(*eth));
	__be16 proto;
	int i;

	if (!eth)
		return 0;
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < FT_MAX_VLANS; i++) {
		struct ft_vlan_hdr *vh;

		if (!ft_is_vlan(proto))
			break;
		vh = ft_pull(c, sizeof(*vh));
		if (!vh)
			return 0;
		if (*vlan == FT_VLAN_NONE)
			*vlan = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->proto;
	}
	if (ft_is_vlan(proto))
		return 0;
	return proto;
}

/*
 * ft_parse_l4() - read ports (and TCP flags) of the upper-layer header.
 * Protocols without ports leave key->l4 at 0. Returns FT_PARSE_BAD when the
 * header the protocol promises is truncated.
 */
static __always_inline int ft_parse_l4(struct ft_cursor *c, struct ft_flow_key *k)
{
	switch (k->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = ft_pull(c, sizeof(*th));

		if (!th || th->doff < 5)
			return FT_PARSE_BAD;
		k->sport = bpf_ntohs(th->source);
		k->dport = bpf_ntohs(th->dest);
		/* byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN */
		k->tcp_flags = ((__u8 *)th)[13];
		k->l4 = FT_L4_PORTS | FT_L4_TCPFL;
		return FT_PARSE_OK;
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE: {
		struct udphdr *uh = ft_pull(c, sizeof(*uh));

		if (!uh)
			return FT_PARSE_BAD;
		k->sport = bpf_ntohs(uh->source);
		k->dport = bpf_ntohs(uh->dest);
		k->l4 = FT_L4_PORTS;
		return FT_PARSE_OK;
	}
	case IPPROTO_SCTP: {
		/* SCTP common header: sport, dport, vtag, checksum */
		__be16 *sh = ft_pull(c, 12);

		if (!sh)
			return FT_PARSE_BAD;
		k->sport = bpf_ntohs(sh[0]);
		k->dport = bpf_ntohs(sh[1]);
		k->l4 = FT_L4_PORTS;
		return FT_PARSE_OK;
	}
	case IPPROTO_ICMP:
	case FT_IPPROTO_ICMPV6:
		/* type, code, checksum */
		if (!ft_pull(c, 4))
			return FT_PARSE_BAD;
		return FT_PARSE_OK;
	default:
		return FT_PARSE_OK;
	}
}

static __always_inline int ft_parse_ipv4(struct ft_cursor *c, struct ft_pkt *p)
{
	struct iphdr *iph = c->pos;
	struct ft_flow_key *k = &p->key;
	__u32 hlen;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return FT_PARSE_BAD;
	if (iph->version != 4 || iph->ihl < 5)
		return FT_PARSE_BAD;
	hlen = iph->ihl * 4;
	/* options included: the whole header must be there */
	if (!ft_pull(c, hlen))
		return FT_PARSE_BAD;

	k->family = FT_FAM_IPV4;
	k->src[0] = iph->saddr;
	k->dst[0] = iph->daddr;
	k->proto = iph->protocol;
	k->dscp = iph->tos >> 2;

	frag = bpf_ntohs(iph->frag_off);
	if (frag & FT_IP_OFFMASK) {
		p->frag = FT_FRAG_LATER;
		p->frag_id = bpf_ntohs(iph->id);
		return FT_PARSE_OK;
	}
	if (frag & FT_IP_MF) {
		p->frag = FT_FRAG_FIRST;
		p->frag_id = bpf_ntohs(iph->id);
	}
	return ft_parse_l4(c, k);
}

static __always_inline int ft_is_exthdr(__u8 nexthdr)
{
	return nexthdr == FT_IPPROTO_HOPOPTS || nexthdr == FT_IPPROTO_ROUTING ||
	       nexthdr == FT_IPPROTO_DSTOPTS || nexthdr == FT_IPPROTO_AH ||
	       nexthdr == FT_IPPROTO_FRAGMENT;
}

static __always_inline int ft_parse_ipv6(struct ft_cursor *c, struct ft_pkt *p)
{
	struct ipv6hdr *ip6 = ft_pull(c, sizeof(*ip6));
	struct ft_flow_key *k = &p->key;
	void *base;
	__u32 off = 0;
	__u8 nexthdr;
	int i;

	if (!ip6 || ip6->version != 6)
		return FT_PARSE_BAD;

	k->family = FT_FAM_IPV6;
	__builtin_memcpy(k->src, &ip6->saddr, 16);
	__builtin_memcpy(k->dst, &ip6->daddr, 16);
	/* traffic class straddles the first two bytes: DSCP is its upper 6 bits */
	k->dscp = ((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
	nexthdr = ip6->nexthdr;

	/*
	 * Bounded walk over the extension headers. The position is a scalar
	 * offset clamped to FT_EXTHDR_SPAN at the top of every iteration, so
	 * all header kinds leave the verifier the same state and it can merge
	 * them (pointer arithmetic per kind multiplies the paths to explore).
	 */
	base = c->pos;
	for (i = 0; i < FT_MAX_EXTHDRS; i++) {
		struct ft_ipv6_opt_hdr *oh;

		if (!ft_is_exthdr(nexthdr))
			break;
		if (off > FT_EXTHDR_SPAN)
			return FT_PARSE_BAD;
		oh = base + off;
		/* every extension header is at least 8 bytes */
		if ((void *)oh + 8 > c->end)
			return FT_PARSE_BAD;
		if (nexthdr == FT_IPPROTO_FRAGMENT) {
			struct ft_ipv6_frag_hdr *fh = (void *)oh;
			__u16 frag = bpf_ntohs(fh->frag_off);

			p->frag_id = bpf_ntohl(fh->id);
			if (frag & 0xfff8) {
				/* not the first fragment: no upper-layer header here */
				p->frag = FT_FRAG_LATER;
				k->proto = fh->nexthdr;
				return FT_PARSE_OK;
			}
			if (frag & 0x1)
				p->frag = FT_FRAG_FIRST;
			off += 8;
		} else if (nexthdr == FT_IPPROTO_AH) {
			off += (oh->hdrlen + 2) * 4;	/* 4-octet units, minus 2 */
		} else {
			off += (oh->hdrlen + 1) * 8;	/* 8-octet units, minus 1 */
		}
		nexthdr = oh->nexthdr;
	}
	/* more extension headers than we walk: treat as malformed */
	if (ft_is_exthdr(nexthdr) || off > FT_EXTHDR_SPAN)
		return FT_PARSE_BAD;
	if (base + off > c->end)
		return FT_PARSE_BAD;
	c->pos = base + off;

	k->proto = nexthdr;
	if (nexthdr == FT_IPPROTO_NONE)
		return FT_PARSE_OK;
	return ft_parse_l4(c, k);
}

/*
 * ft_parse() - fill @p from the packet at [data, data_end).
 * @vlan: outer VLAN id the kernel already stripped, or FT_VLAN_NONE.
 * Returns enum ft_parse_result. On FT_PARSE_BAD the fields are partial.
 */
static __always_inline int ft_parse(void *data, void *data_end, __u16 vlan, struct ft_pkt *p)
{
	struct ft_cursor c = { .pos = data, .end = data_end };
	__be16 proto;

	p->key.vlan = vlan;
	proto = ft_parse_eth(&c, &p->key.vlan);
	if (!proto)
		return FT_PARSE_BAD;
	p->l3_off = c.pos - data;
	if (proto == bpf_htons(ETH_P_IP))
		return ft_parse_ipv4(&c, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return ft_parse_ipv6(&c, p);
	return FT_PARSE_NON_IP;
}

#endif /* FLOWTAG_PARSE_H */
