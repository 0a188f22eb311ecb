/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Random and mutated frames for the packet differential tests (make stress,
 * test_datapath's test_random, the seeds of fuzz_packet): a packet from
 * rp_packet() built by pkt_build() with PPPoE or no link layer, 802.1Q or
 * QinQ tags, IPv4 options, IPv6 extension headers, IPv4/IPv6 fragments (ids
 * from a small pool, and later fragments of a first fragment sent before),
 * then truncated, bit-flipped, given an edge byte value in a header, or
 * replaced by garbage. tests/refpkt.h says what the classifier reads of it.
 */
#ifndef FLOWTAG_TEST_PKTMUT_H
#define FLOWTAG_TEST_PKTMUT_H

#include <stdint.h>
#include <stdio.h>

#include "bpf/pkt.h"
#include "randpol.h"

enum pm_kind {
	PM_PPPOE, PM_L3, PM_VLAN, PM_QINQ, PM_IP4OPT, PM_EXT6, PM_AH6, PM_FRAG_FIRST,
	PM_FRAG_LATER, PM_FRAG_FOLLOW, PM_TRUNC, PM_BITFLIP, PM_EDGE_BYTE, PM_GARBAGE, PM_NKINDS,
};

static const char *const pm_kind_names[PM_NKINDS] = {
	"pppoe", "l3-device", "802.1q", "qinq", "ipv4-options", "ipv6-exthdr", "ipv6-ah",
	"first-fragment", "later-fragment", "later-fragment-of-a-first", "truncated",
	"bit-flips", "edge-byte", "garbage",
};

/* The generator's memory: the last first fragment, and what it produced. */
struct pm_state {
	struct pkt_spec first;	/* last first fragment sent */
	char first_src[64], first_dst[64];
	int have_first;
	char src[64], dst[64];
	uint64_t kinds[PM_NKINDS];
	uint64_t packets;
};

static inline void pm_print_kinds(FILE *f, const struct pm_state *st)
{
	int i;

	fprintf(f, "# %llu packets:", (unsigned long long)st->packets);
	for (i = 0; i < PM_NKINDS; i++)
		fprintf(f, " %s %llu%s", pm_kind_names[i], (unsigned long long)st->kinds[i],
			i + 1 < PM_NKINDS ? "," : "\n");
}

/**
 * pm_packet() - a random, possibly mutated frame.
 * @buf: PKT_MAX bytes
 * @l2:  out, FT_L2_ETH (0) or FT_L2_NONE (1): the device it arrives on
 * Returns the frame length, at least 14 (the kernel's test runs want an
 * Ethernet header's worth of bytes, on L3 devices too).
 */
static inline size_t pm_packet(uint64_t *rs, struct pm_state *st, uint8_t *buf, int *l2)
{
	static const int exts[] = { 0, 43, 60, 51 };
	static const uint8_t edges[] = { 0, 0xff, 0x80, 0x7f, 0x01, 0x05, 0x45, 0x4f, 0x60,
					 0x81, 0x88, 0x64, 0xa8, 0x11, 0x21, 0x57, 0x86, 0xdd,
					 0x08, 43, 44, 51, 59, 60, 6, 17, 132, 58, 136, 0x50 };
	struct ft_pkt_desc d;
	struct pkt_spec p = { 0 };
	size_t len, hdr_end;
	unsigned int i;

	st->packets++;
	if (rp_below(rs, 60) == 0) {		/* garbage */
		len = 14 + rp_below(rs, 120);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rp_next(rs);
		*l2 = rp_below(rs, 4) == 0;
		st->kinds[PM_GARBAGE]++;
		st->kinds[PM_L3] += *l2;
		return len;
	}
	if (st->have_first && rp_below(rs, 12) == 0) {	/* a later fragment of it */
		p = st->first;
		p.src = st->first_src;
		p.dst = st->first_dst;
		p.frag = PKT_FRAG_LATER;
		st->kinds[PM_FRAG_FOLLOW]++;
		goto build;
	}
	rp_packet(rs, &d, 1);
	p.family = d.family;
	if (d.vlan >= 0) {
		p.nvlan = 1;
		p.vlan[0] = d.vlan;
		if (rp_below(rs, 3) == 0) {
			p.nvlan = 2;
			p.vlan[1] = (int)rp_below(rs, 4096);
		}
	}
	if (d.family) {
		inet_ntop(d.family, d.src, st->src, sizeof(st->src));
		inet_ntop(d.family, d.dst, st->dst, sizeof(st->dst));
		p.src = st->src;
		p.dst = st->dst;
		p.proto = d.proto;
		p.dscp = d.dscp;
		p.sport = d.sport < 0 ? 0 : d.sport;
		p.dport = d.dport < 0 ? 0 : d.dport;
		p.tcp_flags = d.tcp_flags < 0 ? 0 : d.tcp_flags;
	} else if (rp_below(rs, 4) == 0) {
		p.etype = rp_below(rs, 2) ? PKT_ETYPE_ZERO : (int)(0x600 + rp_below(rs, 0xf9ff));
	}
	switch (rp_below(rs, 8)) {
	case 0:
		p.l2 = PKT_L2_PPPOE;
		break;
	case 1:
		if (p.family) {
			p.l2 = PKT_L2_NONE;
			p.nvlan = 0;
		}
		break;
	default:
		break;
	}
	if (p.family == AF_INET && rp_below(rs, 6) == 0)
		p.ip4_optlen = 4 * (int)(1 + rp_below(rs, 10));
	if (p.family == AF_INET6 && rp_below(rs, 3) == 0) {
		p.next = 1 + (int)rp_below(rs, 3);
		for (i = 0; i < (unsigned int)p.next; i++)
			p.ext[i] = exts[rp_below(rs, 4)];
	}
	if (p.family && rp_below(rs, 5) == 0) {
		p.frag = rp_below(rs, 2) ? PKT_FRAG_FIRST : PKT_FRAG_LATER;
		p.frag_id = rp_below(rs, 4);
		if (p.family == AF_INET6) {
			/* the Fragment header somewhere in the chain */
			int at = (int)rp_below(rs, (unsigned int)p.next + 1);

			for (i = (unsigned int)p.next; (int)i > at; i--)
				p.ext[i] = p.ext[i - 1];
			p.ext[at] = 44;
			p.next++;
		}
		if (p.frag == PKT_FRAG_FIRST) {
			st->first = p;
			snprintf(st->first_src, sizeof(st->first_src), "%s", p.src);
			snprintf(st->first_dst, sizeof(st->first_dst), "%s", p.dst);
			st->have_first = 1;
		}
	}
	p.payload = rp_below(rs, 3) ? 0 : (int)rp_below(rs, 40);
build:
	len = pkt_build(&p, buf, &hdr_end);
	*l2 = p.l2 == PKT_L2_NONE;
	st->kinds[PM_PPPOE] += p.l2 == PKT_L2_PPPOE;
	st->kinds[PM_L3] += p.l2 == PKT_L2_NONE;
	st->kinds[PM_VLAN] += p.nvlan == 1;
	st->kinds[PM_QINQ] += p.nvlan == 2;
	st->kinds[PM_IP4OPT] += p.ip4_optlen > 0;
	st->kinds[PM_EXT6] += p.next > 0;
	for (i = 0; i < (unsigned int)p.next; i++)
		if (p.ext[i] == 51) {
			st->kinds[PM_AH6]++;
			break;
		}
	st->kinds[PM_FRAG_FIRST] += p.frag == PKT_FRAG_FIRST;
	st->kinds[PM_FRAG_LATER] += p.frag == PKT_FRAG_LATER;

	/* mutations of the headers */
	if (rp_below(rs, 8) == 0) {
		unsigned int n = 1 + rp_below(rs, 3);

		for (i = 0; i < n; i++) {
			size_t at = rp_below(rs, (unsigned int)hdr_end);

			buf[at] ^= (uint8_t)(1u << rp_below(rs, 8));
		}
		st->kinds[PM_BITFLIP]++;
	}
	if (rp_below(rs, 10) == 0) {
		buf[rp_below(rs, (unsigned int)hdr_end)] = edges[rp_below(rs, sizeof(edges))];
		st->kinds[PM_EDGE_BYTE]++;
	}
	if (rp_below(rs, 5) == 0 && hdr_end > 14) {
		len = 14 + rp_below(rs, (unsigned int)(hdr_end - 14));
		st->kinds[PM_TRUNC]++;
	}
	return len;
}

#endif /* FLOWTAG_TEST_PKTMUT_H */
