/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Test packet builder: Ethernet, up to two VLAN tags, optionally a PPPoE
 * session header (or no link-layer header at all, as on L3 devices), IPv4
 * (options, fragments) or IPv6 (extension headers, fragment header), then
 * TCP, UDP, SCTP, ICMP/ICMPv6 or nothing. Checksums are not filled in: the
 * classifier never looks at them.
 */
#ifndef FLOWTAG_TEST_PKT_H
#define FLOWTAG_TEST_PKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define PKT_MAX		1600

enum pkt_l2 {
	PKT_L2_ETH = 0,		/* Ethernet (and the VLAN tags) */
	PKT_L2_NONE,		/* no link-layer header: tun, wireguard, ppp, ip tunnels */
	PKT_L2_PPPOE,		/* Ethernet, VLAN tags, PPPoE session header, PPP protocol */
};

#define PKT_ETYPE_ZERO	0x10000	/* pkt_spec.etype for EtherType 0x0000 */

enum pkt_frag {
	PKT_NOFRAG = 0,
	PKT_FRAG_FIRST,		/* offset 0, more fragments */
	PKT_FRAG_LATER,		/* offset 1480 */
};

struct pkt_spec {
	enum pkt_l2 l2;
	int etype;		/* family 0: EtherType (0 = ARP, PKT_ETYPE_ZERO = 0x0000) */
	int ppp_proto;		/* PPPoE: PPP protocol, 0 = from the family */
	int nvlan;		/* 0, 1 (802.1Q) or 2 (802.1ad outer + 802.1Q inner) */
	int vlan[2];		/* outer first */
	int family;		/* AF_INET, AF_INET6, or 0 for ARP */
	const char *src, *dst;
	int proto;		/* IPPROTO_* */
	int sport, dport;
	int tcp_flags;		/* TCP flags byte */
	int dscp;
	int ip4_optlen;		/* IPv4 option bytes, multiple of 4, <= 40 */
	enum pkt_frag frag;
	uint32_t frag_id;
	int ext[4];		/* IPv6 extension headers, in order */
	int next;		/* how many of ext[] */
	int payload;		/* payload bytes after the L4 header */
};

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Offset of the network header in a packet built from @s. */
static inline size_t pkt_l3_off(const struct pkt_spec *s)
{
	if (s->l2 == PKT_L2_NONE)
		return 0;
	return 14 + 4 * s->nvlan + (s->l2 == PKT_L2_PPPOE ? 8 : 0);
}

/**
 * pkt_build() - write the packet into @buf (PKT_MAX bytes).
 * @hdr_end: out, offset where the headers the classifier reads end
 * Returns the packet length.
 */
static inline size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t *hdr_end)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	size_t off = 12, l4_len = 0, len, l3 = pkt_l3_off(s);
	int i, l4proto = s->proto;
	uint16_t etype;

	memset(buf, 0, PKT_MAX);
	if (s->family == AF_INET)
		etype = 0x0800;
	else if (s->family == AF_INET6)
		etype = 0x86dd;
	else if (s->etype)
		etype = s->etype == PKT_ETYPE_ZERO ? 0 : s->etype;
	else
		etype = 0x0806;	/* ARP */
	if (s->l2 != PKT_L2_NONE) {
		memcpy(buf, dmac, 6);
		memcpy(buf + 6, smac, 6);
		for (i = 0; i < s->nvlan; i++) {
			pkt_put16(buf + off, (s->nvlan == 2 && i == 0) ? 0x88a8 : 0x8100);
			pkt_put16(buf + off + 2, s->vlan[i] & 0xfff);
			off += 4;
		}
		if (s->l2 == PKT_L2_PPPOE) {
			uint16_t ppp = s->ppp_proto ? s->ppp_proto :
				       etype == 0x0800 ? 0x0021 : etype == 0x86dd ? 0x0057 : 0xc021;

			pkt_put16(buf + off, 0x8864);
			buf[off + 2] = 0x11;		/* version 1, type 1 */
			buf[off + 3] = 0;		/* code: session data */
			pkt_put16(buf + off + 4, 0x1234);	/* session id */
			pkt_put16(buf + off + 8, ppp);
			off += 10;
		} else {
			pkt_put16(buf + off, etype);
			off += 2;
		}
	} else {
		off = 0;
	}
	if (s->family == AF_INET) {
		uint8_t *ip;
		size_t ihl = 20 + s->ip4_optlen;

		ip = buf + off;
		ip[0] = 0x40 | (ihl / 4);
		ip[1] = s->dscp << 2;
		pkt_put16(ip + 4, s->frag_id & 0xffff);
		if (s->frag == PKT_FRAG_FIRST)
			pkt_put16(ip + 6, 0x2000);
		else if (s->frag == PKT_FRAG_LATER)
			pkt_put16(ip + 6, 1480 / 8);
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		/* options: NOPs ending in End of Options */
		for (i = 0; i < s->ip4_optlen; i++)
			ip[20 + i] = i == s->ip4_optlen - 1 ? 0 : 1;
		off += ihl;
	} else if (s->family == AF_INET6) {
		uint8_t *ip6, *prev_next;

		ip6 = buf + off;
		ip6[0] = 0x60 | ((s->dscp << 2) >> 4);
		ip6[1] = ((s->dscp << 2) & 0x0f) << 4;
		ip6[7] = 64;
		inet_pton(AF_INET6, s->src, ip6 + 8);
		inet_pton(AF_INET6, s->dst, ip6 + 24);
		prev_next = ip6 + 6;
		off += 40;
		for (i = 0; i < s->next; i++) {
			uint8_t *eh = buf + off;

			/* a later fragment carries only what precedes the
			 * Fragment header (the unfragmentable part) */
			if (s->frag == PKT_FRAG_LATER && i > 0 && s->ext[i - 1] == 44) {
				*prev_next = s->ext[i];
				prev_next = NULL;
				break;
			}
			*prev_next = s->ext[i];
			prev_next = eh;
			if (s->ext[i] == 44) {		/* fragment */
				pkt_put16(eh + 2, s->frag == PKT_FRAG_LATER ? 1480 :
						  s->frag == PKT_FRAG_FIRST ? 1 : 0);
				eh[4] = s->frag_id >> 24;
				eh[5] = s->frag_id >> 16;
				eh[6] = s->frag_id >> 8;
				eh[7] = s->frag_id;
				off += 8;
			} else if (s->ext[i] == 51) {	/* AH: 12 + 4 ICV = 16 bytes */
				eh[1] = 16 / 4 - 2;
				off += 16;
			} else {			/* options/routing: 16 bytes */
				eh[1] = 1;
				eh[2] = 1;		/* PadN */
				eh[3] = 12;
				off += 16;
			}
		}
		if (prev_next)
			*prev_next = s->proto;
	} else {
		memset(buf + off, 0, 28);	/* an ARP-sized payload */
		off += 28;
		l4proto = -1;
	}

	/* a non-first fragment carries no L4 header */
	if (s->family && s->frag != PKT_FRAG_LATER) {
		uint8_t *l4 = buf + off;

		switch (l4proto) {
		case IPPROTO_TCP:
			pkt_put16(l4, s->sport);
			pkt_put16(l4 + 2, s->dport);
			l4[12] = 5 << 4;
			l4[13] = s->tcp_flags;
			l4_len = 20;
			break;
		case IPPROTO_UDP:
			pkt_put16(l4, s->sport);
			pkt_put16(l4 + 2, s->dport);
			l4_len = 8;
			break;
		case IPPROTO_SCTP:
			pkt_put16(l4, s->sport);
			pkt_put16(l4 + 2, s->dport);
			l4_len = 12;
			break;
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			l4[0] = 8;
			l4_len = 4;
			break;
		default:
			break;
		}
	}
	off += l4_len;
	*hdr_end = off;
	len = off + s->payload;
	if (len < 60 && s->l2 != PKT_L2_NONE)
		len = 60;	/* Ethernet minimum, zero padding */
	if (s->family == AF_INET)
		pkt_put16(buf + l3 + 2, len - l3);
	else if (s->family == AF_INET6)
		pkt_put16(buf + l3 + 4, len - l3 - 40);
	if (s->l2 == PKT_L2_PPPOE)
		pkt_put16(buf + l3 - 4, len - l3 + 2);	/* PPPoE length: PPP protocol + IP */
	return len;
}

#endif /* FLOWTAG_TEST_PKT_H */
