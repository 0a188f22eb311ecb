/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Packet parsing shared by the XDP classifier and the tc fallback path.
 * BPF only. Works on direct packet pointers [data, data_end), which both
 * xdp_md and __sk_buff provide, so one implementation serves both programs.
 *
 * Every helper checks bounds before it reads. A short or malformed header
 * makes ft_parse() return FT_PARSE_BAD with the key holding every field read
 * before it: a field counts as read when the whole fixed part of the header
 * that carries it is in the packet (Ethernet 14, VLAN tag 4, PPPoE+PPP 8,
 * IPv4 20, IPv6 40, every IPv6 extension header completely, TCP 20 with a
 * data offset of at least 5, UDP 8, SCTP 12, ICMP 4). The classifier then
 * applies the rules that need only what was read; a rule that needs a
 * field that was not read does not match. Nothing here writes to the packet.
 *
 * Behind the IP header, "in the packet" means inside the IP packet as its
 * length field gives it, not merely in the frame: the kernel trims a frame
 * to that length before anything else reads it (ip_rcv_core(),
 * ipv6_rcv()), so bytes behind it (Ethernet padding, a trailer, a header
 * a sender put after a 20-byte IPv4 packet) are never a port. IPv4: an
 * IPv4 header whose total length is below its own length (IHL) is
 * malformed (the kernel drops it) with its addresses, protocol and DSCP
 * read; a total length of 0 is a GSO packet's longer than 64 KiB (BIG TCP,
 * skb_ip_totlen()), or one the kernel drops: the frame's length counts.
 * IPv6: a payload length of 0 is a jumbogram's (RFC 2675: a hop-by-hop
 * header follows) or a GSO packet's longer than 64 KiB: the frame's length
 * counts for these; otherwise nothing follows the fixed header.
 *
 * Where the packet starts depends on the receiving device (struct ft_link,
 * FT_L2_*): Ethernet devices start with the Ethernet header (then VLAN
 * tags, then possibly a PPPoE session header); L3 devices (tun, wireguard,
 * ppp, ip tunnels) start with the IP header.
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

#define FT_ETH_P_PPP_SES		0x8864	/* PPPoE session stage */
#define FT_PPP_IP		0x0021	/* PPP protocol: IPv4 */
#define FT_PPP_IPV6		0x0057	/* PPP protocol: IPv6 */

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
	FT_PARSE_BAD,		/* truncated or malformed: the key holds what was read */
};

/* What the classifier needs from a packet. */
struct ft_pkt {
	struct ft_flow_key key;	/* the match fields, also the flow cache key */
	__u32 frag_id;		/* fragment id, valid when frag != FT_FRAG_NONE */
	__u16 l3_off;		/* offset of the IP header from data */
	__u8 frag;		/* enum ft_frag */
	__u8 frag_nh;		/* protocol of the fragment cache key: IPv4 protocol,
				 * IPv6 next header of the Fragment header */
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
 * ft_parse_eth() - parse Ethernet, up to FT_MAX_VLANS tags and a PPPoE
 * session header.
 * @vlan:  in: outer VLAN id already removed from the packet (tc: the kernel
 *         moved it to skb->vlan_tci), FT_VLAN_NONE otherwise; out: the
 *         outermost VLAN id seen, FT_VLAN_NONE if untagged.
 * @proto: out, network order: the EtherType of the payload; for a PPPoE
 *         session frame carrying PPP IPv4 (0x0021) or IPv6 (0x0057) the
 *         EtherType of that (ETH_P_IP, ETH_P_IPV6). Any value, 0 included,
 *         is a valid answer: not IP means non-IP, not malformed.
 * Returns 0, or -1 when a header is truncated or the frame is tagged
 * deeper than FT_MAX_VLANS (then @vlan holds what was read).
 */
static __always_inline int ft_parse_eth(struct ft_cursor *c, __u16 *vlan, __be16 *proto)
{
	struct ethhdr *eth = ft_pull(c, sizeof(*eth));
	__u8 *pppoe;
	__u16 ppp;
	int i;

	if (!eth)
		return -1;
	*proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < FT_MAX_VLANS; i++) {
		struct ft_vlan_hdr *vh;

		if (!ft_is_vlan(*proto))
			break;
		vh = ft_pull(c, sizeof(*vh));
		if (!vh)
			return -1;
		if (*vlan == FT_VLAN_NONE)
			*vlan = bpf_ntohs(vh->tci) & 0x0fff;
		*proto = vh->proto;
	}
	if (ft_is_vlan(*proto))
		return -1;
	if (*proto != bpf_htons(FT_ETH_P_PPP_SES))
		return 0;
	/* RFC 2516: version/type 0x11, code 0, session id, length; then the
	 * PPP protocol field, never compressed on PPPoE */
	pppoe = ft_pull(c, 8);
	if (!pppoe)
		return -1;
	if (pppoe[0] != 0x11 || pppoe[1] != 0)
		return 0;	/* not a session data frame: non-IP */
	ppp = (pppoe[6] << 8) | pppoe[7];
	if (ppp == FT_PPP_IP)
		*proto = bpf_htons(ETH_P_IP);
	else if (ppp == FT_PPP_IPV6)
		*proto = bpf_htons(ETH_P_IPV6);
	return 0;
}

/*
 * ft_parse_l2() - find the network header.
 * @l2:      FT_L2_* of the receiving device
 * @l3proto: FT_L2_NONE only: the protocol the kernel already knows
 *           (tc: skb->protocol, network order), 0 to read it from the IP
 *           version nibble (XDP has no such field)
 * @vlan, @proto: as ft_parse_eth()
 * Returns 0 with the cursor on the network header, or -1 (truncated).
 */
static __always_inline int ft_parse_l2(struct ft_cursor *c, __u32 l2, __be16 l3proto,
				       __u16 *vlan, __be16 *proto)
{
	__u8 *ver;

	if (l2 != FT_L2_NONE)
		return ft_parse_eth(c, vlan, proto);
	if (l3proto) {
		*proto = l3proto;
		return 0;
	}
	ver = c->pos;
	if ((void *)(ver + 1) > c->end)
		return -1;
	if ((*ver >> 4) == 4)
		*proto = bpf_htons(ETH_P_IP);
	else if ((*ver >> 4) == 6)
		*proto = bpf_htons(ETH_P_IPV6);
	else
		*proto = 0;
	return 0;
}

/* An IP length field that does not bound the packet (ft_parse_ipv4(), ft_parse_ipv6()). */
#define FT_IP_ROOM_ANY		0xffffffffu

/*
 * ft_parse_l4() - read ports (and TCP flags) of the upper-layer header.
 * @room: bytes of the IP packet from the cursor on, by its length field
 *        (FT_IP_ROOM_ANY: the frame's end alone bounds it)
 * Protocols without ports add nothing to key->l4. Returns FT_PARSE_BAD when
 * the header the protocol promises is truncated or malformed (then no port
 * is set).
 */
static __always_inline int ft_parse_l4(struct ft_cursor *c, struct ft_flow_key *k, __u32 room)
{
	switch (k->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = room >= sizeof(*th) ? ft_pull(c, sizeof(*th)) : NULL;

		if (!th || th->doff < 5)
			return FT_PARSE_BAD;
		k->sport = bpf_ntohs(th->source);
		k->dport = bpf_ntohs(th->dest);
		/* byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN */
		k->tcp_flags = ((__u8 *)th)[13];
		k->l4 |= FT_L4_PORTS | FT_L4_TCPFL;
		return FT_PARSE_OK;
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE: {
		struct udphdr *uh = room >= sizeof(*uh) ? ft_pull(c, sizeof(*uh)) : NULL;

		if (!uh)
			return FT_PARSE_BAD;
		k->sport = bpf_ntohs(uh->source);
		k->dport = bpf_ntohs(uh->dest);
		k->l4 |= FT_L4_PORTS;
		return FT_PARSE_OK;
	}
	case IPPROTO_SCTP: {
		/* SCTP common header: sport, dport, vtag, checksum */
		__be16 *sh = room >= 12 ? ft_pull(c, 12) : NULL;

		if (!sh)
			return FT_PARSE_BAD;
		k->sport = bpf_ntohs(sh[0]);
		k->dport = bpf_ntohs(sh[1]);
		k->l4 |= FT_L4_PORTS;
		return FT_PARSE_OK;
	}
	case IPPROTO_ICMP:
	case FT_IPPROTO_ICMPV6:
		/* type, code, checksum */
		if (room < 4 || !ft_pull(c, 4))
			return FT_PARSE_BAD;
		return FT_PARSE_OK;
	default:
		return FT_PARSE_OK;
	}
}

/* IPv4: addresses, protocol and DSCP once the fixed 20 bytes are there;
 * the L4 header only behind complete options, inside the total length. */
static __always_inline int ft_parse_ipv4(struct ft_cursor *c, struct ft_pkt *p)
{
	struct iphdr *iph = c->pos;
	struct ft_flow_key *k = &p->key;
	__u32 tot, hlen;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return FT_PARSE_BAD;
	if (iph->version != 4 || iph->ihl < 5)
		return FT_PARSE_BAD;	/* not an IPv4 header: nothing in it is read */

	k->family = FT_FAM_IPV4;
	k->src[0] = iph->saddr;
	k->dst[0] = iph->daddr;
	k->proto = iph->protocol;
	k->dscp = iph->tos >> 2;
	k->l4 = FT_L4_PROTO;
	p->frag_nh = iph->protocol;

	frag = bpf_ntohs(iph->frag_off);
	if (frag & FT_IP_OFFMASK) {
		p->frag = FT_FRAG_LATER;
		p->frag_id = bpf_ntohs(iph->id);
	} else if (frag & FT_IP_MF) {
		p->frag = FT_FRAG_FIRST;
		p->frag_id = bpf_ntohs(iph->id);
	}
	/* options included: the whole header must be there, and inside the
	 * total length (0: a GSO packet's, see the top of this file) */
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (tot && tot < hlen)
		return FT_PARSE_BAD;
	if (!ft_pull(c, hlen))
		return FT_PARSE_BAD;
	if (p->frag == FT_FRAG_LATER)
		return FT_PARSE_OK;	/* no upper-layer header in this one */
	return ft_parse_l4(c, k, tot ? tot - hlen : FT_IP_ROOM_ANY);
}

static __always_inline int ft_is_exthdr(__u8 nexthdr)
{
	return nexthdr == FT_IPPROTO_HOPOPTS || nexthdr == FT_IPPROTO_ROUTING ||
	       nexthdr == FT_IPPROTO_DSTOPTS || nexthdr == FT_IPPROTO_AH ||
	       nexthdr == FT_IPPROTO_FRAGMENT;
}

/*
 * IPv6: addresses and DSCP once the fixed 40 bytes are there, then the
 * extension headers and the upper-layer header inside the payload length.
 * @pkt_len: bytes of the whole packet from its network header on (tc: of
 * the skb, linear or not), for a payload length of 0 (see the top of this
 * file).
 */
static __always_inline int ft_parse_ipv6(struct ft_cursor *c, struct ft_pkt *p, __u32 pkt_len)
{
	struct ipv6hdr *ip6 = ft_pull(c, sizeof(*ip6));
	struct ft_flow_key *k = &p->key;
	void *base;
	__u32 off = 0, room;
	__u8 nexthdr;
	int i;

	if (!ip6 || ip6->version != 6)
		return FT_PARSE_BAD;
	room = bpf_ntohs(ip6->payload_len);
	if (!room && (ip6->nexthdr == FT_IPPROTO_HOPOPTS ||
		      pkt_len > 0xffff + sizeof(*ip6)))
		room = FT_IP_ROOM_ANY;	/* a jumbogram, a GSO packet */

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
		if ((void *)oh + 8 > c->end || off + 8 > room)
			return FT_PARSE_BAD;
		if (nexthdr == FT_IPPROTO_FRAGMENT) {
			struct ft_ipv6_frag_hdr *fh = (void *)oh;
			__u16 frag = bpf_ntohs(fh->frag_off);

			p->frag_id = bpf_ntohl(fh->id);
			/* the fragment cache key: the same in every fragment, while
			 * the upper layer of the first may sit behind more
			 * extension headers (Destination Options, AH) */
			p->frag_nh = fh->nexthdr;
			if (frag & 0xfff8) {
				/* not the first fragment: no upper-layer header here.
				 * Its protocol is known only when nothing comes
				 * between; else the first fragment tells. */
				p->frag = FT_FRAG_LATER;
				if (!ft_is_exthdr(fh->nexthdr)) {
					k->proto = fh->nexthdr;
					k->l4 = FT_L4_PROTO;
				}
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
	if (base + off > c->end || off > room)
		return FT_PARSE_BAD;
	c->pos = base + off;

	k->proto = nexthdr;
	k->l4 = FT_L4_PROTO;
	if (nexthdr == FT_IPPROTO_NONE)
		return FT_PARSE_OK;
	return ft_parse_l4(c, k, room == FT_IP_ROOM_ANY ? room : room - off);
}

/*
 * FT_PARSE_CTX - the program's context type, the one that gives the packet
 * as ctx->data and ctx->data_end: struct xdp_md unless the program says
 * otherwise before including this file (tc: struct __sk_buff; the
 * userspace fuzz harness has its own).
 */
#ifndef FT_PARSE_CTX
#define FT_PARSE_CTX struct xdp_md
#endif

/*
 * FT_PARSE_LEN - bytes of @ctx's whole packet: [data, data_end) unless the
 * program says otherwise (tc: skb->len, which counts the pages of a
 * non-linear skb). For XDP that is the frame's linear part: all of it in
 * native XDP, which runs before GRO (no GSO packet), and in generic XDP
 * for the program without fragments (the kernel linearises the skb for
 * it); a GSO packet that generic XDP hands the xdp.frags program with
 * pages counts as no longer than its linear part.
 */
#ifndef FT_PARSE_LEN
#define FT_PARSE_LEN(ctx) ((__u32)((ctx)->data_end - (ctx)->data))
#endif

/* Where the network header may start: Ethernet 14 + two VLAN tags 8 +
 * PPPoE and PPP 8 = 30 bytes at most. */
#define FT_L3_OFF_MAX		64

/*
 * ft_parse_ip() - the IPv4 or IPv6 header at @p->l3_off of @ctx's packet,
 * and the upper-layer header behind it, into @p.
 * @ipv6: 0 for IPv4, 1 for IPv6
 * Returns enum ft_parse_result; FT_PARSE_BAD also when @p is NULL or
 * @p->l3_off exceeds FT_L3_OFF_MAX.
 *
 * A global function: the verifier checks it once, for every link layer at
 * once (l3_off unknown), instead of once for every path through the VLAN
 * tags and PPPoE header before it, and the caller goes on from a single
 * state (the IPv6 extension header walk alone leaves many). Inlined, the
 * parse was verified once per link-layer path: 534k instructions processed
 * for ft_xdp on Linux 6.1 (4.1 s per start in a TCG guest), 420k on 6.18;
 * as a global function 127k (0.74 s) and 133k.
 */
__attribute__((noinline)) int ft_parse_ip(FT_PARSE_CTX *ctx, struct ft_pkt *p, __u32 ipv6)
{
	void *data = (void *)(long)ctx->data;
	struct ft_cursor c;
	__u32 off;

	if (!p)
		return FT_PARSE_BAD;
	off = p->l3_off;
	if (off > FT_L3_OFF_MAX)
		return FT_PARSE_BAD;
	c.pos = data + off;
	c.end = (void *)(long)ctx->data_end;
	if (ipv6)
		return ft_parse_ipv6(&c, p, FT_PARSE_LEN(ctx) - off);
	return ft_parse_ipv4(&c, p);
}

/*
 * ft_parse() - fill @p from @ctx's packet, [ctx->data, ctx->data_end).
 * @l2:      FT_L2_* of the receiving device
 * @l3proto: see ft_parse_l2()
 * @vlan:    outer VLAN id the kernel already stripped, or FT_VLAN_NONE.
 * Returns enum ft_parse_result. On FT_PARSE_BAD the key holds the fields
 * read before the bad header (see the top of this file).
 */
static __always_inline int ft_parse(FT_PARSE_CTX *ctx, __u32 l2, __be16 l3proto, __u16 vlan,
				    struct ft_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	struct ft_cursor c = { .pos = data, .end = (void *)(long)ctx->data_end };
	__be16 proto = 0;

	p->key.vlan = vlan;
	if (ft_parse_l2(&c, l2, l3proto, &p->key.vlan, &proto))
		return FT_PARSE_BAD;
	p->l3_off = c.pos - data;
	if (proto == bpf_htons(ETH_P_IP))
		return ft_parse_ip(ctx, p, 0);
	if (proto == bpf_htons(ETH_P_IPV6))
		return ft_parse_ip(ctx, p, 1);
	return FT_PARSE_NON_IP;
}

#endif /* FLOWTAG_PARSE_H */
