/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Test packet builder: Ethernet, up to two VLAN tags, IPv4 (options,
 * fragments) or IPv6 (extension headers, fragment header), then TCP, UDP,
 * SCTP, ICMP/ICMPv6 or nothing. Checksums are not filled in: the
 * classifier never looks at them.
 */
#ifndef FLOWTAG_TEST_PKT_H
#define FLOWTAG_TEST_PKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define PKT_MAX		1600

enum pkt_frag {
	PKT_NOFRAG = 0,
	PKT_FRAG_FIRST,		/* offset 0, more fragments */
	PKT_FRAG_LATER,		/* offset 1480 */
};

struct pkt_spec {
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

/**
 * pkt_build() - write the packet into @buf (PKT_MAX bytes).
 * @hdr_end: out, offset where the headers the classifier reads end
 * Returns the packet length.
 */
static inline size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t *hdr_end)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	size_t off = 12, l4_len = 0, len;
	int i, l4proto = s->proto;

	memset(buf, 0, PKT_MAX);
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (i = 0; i < s->nvlan; i++) {
		pkt_put16(buf + off, (s->nvlan == 2 && i == 0) ? 0x88a8 : 0x8100);
		pkt_put16(buf + off + 2, s->vlan[i] & 0xfff);
		off += 4;
	}
	if (s->family == AF_INET) {
		uint8_t *ip;
		size_t ihl = 20 + s->ip4_optlen;

		pkt_put16(buf + off, 0x0800);
		off += 2;
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

		pkt_put16(buf + off, 0x86dd);
		off += 2;
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

			*prev_next = s->ext[i];
			prev_next = eh;
			if (s->ext[i] == 44) {		/* fragment */
				pkt_put16(eh + 2, s->frag == PKT_FRAG_LATER ? 1480 : 1);
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
		*prev_next = s->proto;
	} else {
		pkt_put16(buf + off, 0x0806);	/* ARP */
		off += 2;
		memset(buf + off, 0, 28);
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
	if (len < 60)
		len = 60;	/* Ethernet minimum, zero padding */
	if (s->family == AF_INET) {
		size_t l3 = 14 + 4 * s->nvlan;

		pkt_put16(buf + l3 + 2, len - l3);
	} else if (s->family == AF_INET6) {
		size_t l3 = 14 + 4 * s->nvlan;

		pkt_put16(buf + l3 + 4, len - l3 - 40);
	}
	return len;
}

#endif /* FLOWTAG_TEST_PKT_H */
