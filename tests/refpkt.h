/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The reference packet parser of the differential tests: raw frame bytes ->
 * struct ft_pkt_desc, the input of the reference evaluator ft_reference_match().
 * Written from the semantics xdp/parse.h and xdp/classify.h document, not
 * from their code: byte offsets into a buffer, no cursor, no BPF.
 *
 *  - A field is known when the whole fixed part of the header carrying it
 *    is in the frame (Ethernet 14, VLAN tag 4, PPPoE + PPP 8, IPv4 20,
 *    IPv6 40, IPv6 extension headers 8 each and completely, TCP 20 with a
 *    data offset >= 5, UDP/UDP-Lite 8, SCTP 12, ICMP/ICMPv6 4).
 *  - The outer VLAN id is the first tag's; more than two tags is malformed.
 *  - IPv4 with a version other than 4 or an IHL below 5, IPv6 with a
 *    version other than 6: nothing of the IP header is known.
 *  - IPv4 options must be complete before the L4 header is read; a non-first
 *    fragment has no L4 header (its protocol is known).
 *  - Behind the IP header only the IP packet counts, as its length field
 *    says, where the frame is longer: IPv4 total length (0: the frame's
 *    length; below the IHL: malformed, the IP fields known), IPv6 payload
 *    length (0: the frame's length when a hop-by-hop header follows or the
 *    frame holds more than 65535 bytes behind the fixed header, else
 *    nothing follows it).
 *  - IPv6: at most 6 extension headers (hop-by-hop, routing, destination
 *    options, AH, fragment) and 4096 bytes of them are walked, more is
 *    malformed; a non-first
 *    fragment has no upper layer, and its protocol is known only when the
 *    Fragment header's next header is no extension header. Next header 59:
 *    protocol 59, nothing behind.
 *  - Fragments: a first fragment that parsed completely records protocol,
 *    ports and TCP flags under (addresses, id, family, the protocol: IPv4's,
 *    or the Fragment header's next header); a later fragment with the same
 *    key takes them over. Keys of a later fragment come from the last
 *    Fragment header read.
 */
#ifndef FLOWTAG_TEST_REFPKT_H
#define FLOWTAG_TEST_REFPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

enum ref_frag { REF_NOFRAG = 0, REF_FRAG_FIRST, REF_FRAG_LATER };

/* One parsed frame: the reference evaluator's input and the fragment state. */
struct ref_pkt {
	struct ft_pkt_desc d;
	bool complete;		/* every header the frame promises was there */
	int frag;		/* enum ref_frag */
	uint32_t frag_id;	/* IPv4: 16 bits */
	uint8_t frag_nh;
};

static inline unsigned int ref_be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static inline bool ref_is_ext(unsigned int nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/* The L4 header at @off: ports, TCP flags. Returns false when truncated. */
static inline bool ref_l4(const uint8_t *b, size_t len, size_t off, struct ft_pkt_desc *d)
{
	size_t need;

	switch (d->proto) {
	case 6: need = 20; break;
	case 17: case 136: need = 8; break;
	case 132: need = 12; break;
	case 1: case 58: return len >= off + 4;
	default: return true;
	}
	if (len < off + need)
		return false;
	if (d->proto == 6 && (b[off + 12] >> 4) < 5)
		return false;
	d->sport = (int)ref_be16(b + off);
	d->dport = (int)ref_be16(b + off + 2);
	if (d->proto == 6)
		d->tcp_flags = b[off + 13];
	return true;
}

static inline bool ref_ipv4(const uint8_t *b, size_t len, size_t off, struct ref_pkt *r)
{
	struct ft_pkt_desc *d = &r->d;
	unsigned int ihl, fo, tot;

	if (len < off + 20 || b[off] >> 4 != 4 || (b[off] & 15) < 5)
		return false;
	ihl = (b[off] & 15) * 4u;
	d->family = AF_INET;
	memcpy(d->src, b + off + 12, 4);
	memcpy(d->dst, b + off + 16, 4);
	d->proto = b[off + 9];
	d->dscp = b[off + 1] >> 2;
	r->frag_nh = b[off + 9];
	fo = ref_be16(b + off + 6);
	if (fo & 0x1fff)
		r->frag = REF_FRAG_LATER;
	else if (fo & 0x2000)
		r->frag = REF_FRAG_FIRST;
	if (r->frag)
		r->frag_id = ref_be16(b + off + 4);
	tot = ref_be16(b + off + 2);
	if (tot && tot < ihl)
		return false;
	if (len < off + ihl)
		return false;
	if (r->frag == REF_FRAG_LATER)
		return true;
	if (tot && len > off + tot)
		len = off + tot;	/* the frame behind the IP packet is not read */
	return ref_l4(b, len, off + ihl, d);
}

static inline bool ref_ipv6(const uint8_t *b, size_t len, size_t off, struct ref_pkt *r)
{
	struct ft_pkt_desc *d = &r->d;
	unsigned int nh, n, plen;
	size_t start;

	if (len < off + 40 || b[off] >> 4 != 6)
		return false;
	d->family = AF_INET6;
	memcpy(d->src, b + off + 8, 16);
	memcpy(d->dst, b + off + 24, 16);
	d->dscp = ((b[off] & 15) << 2) | (b[off + 1] >> 6);
	nh = b[off + 6];
	plen = ref_be16(b + off + 4);
	off += 40;
	start = off;
	if (plen || (nh != 0 && len - off <= 65535)) {
		if (len > off + plen)
			len = off + plen;	/* the frame behind the IP packet is not read */
	}
	for (n = 0; ref_is_ext(nh); n++) {
		const uint8_t *e = b + off;

		if (n == 6 || off - start > 4096 || len < off + 8)
			return false;
		if (nh == 44) {
			unsigned int fo = ref_be16(e + 2);

			r->frag_id = (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 |
				     (uint32_t)e[6] << 8 | e[7];
			r->frag_nh = e[0];
			if (fo >> 3) {
				r->frag = REF_FRAG_LATER;
				if (!ref_is_ext(e[0]))
					d->proto = e[0];
				return true;
			}
			if (fo & 1)
				r->frag = REF_FRAG_FIRST;
			off += 8;
		} else if (nh == 51) {
			off += (e[1] + 2u) * 4;
		} else {
			off += (e[1] + 1u) * 8;
		}
		nh = e[0];
	}
	if (off - start > 4096 || len < off)
		return false;
	d->proto = (int)nh;
	if (nh == 59)
		return true;
	return ref_l4(b, len, off, d);
}

/**
 * ref_parse() - what the classifier knows of the frame @b of @len bytes
 * received on @ifindex, a device with link layer @l2 (FT_L2_ETH or
 * FT_L2_NONE). Fragments are not looked up yet: ref_frags_apply().
 */
static inline void ref_parse(const uint8_t *b, size_t len, int l2, uint32_t ifindex,
			     struct ref_pkt *r)
{
	struct ft_pkt_desc *d = &r->d;
	unsigned int type;
	size_t off = 0;
	int tags;

	memset(r, 0, sizeof(*r));
	d->ifindex = ifindex;
	d->vlan = d->proto = d->sport = d->dport = d->dscp = d->tcp_flags = -1;
	d->family = 0;
	if (l2 == 1) {		/* FT_L2_NONE: the version nibble says */
		if (len < 1)
			return;
		r->complete = true;
		if (b[0] >> 4 == 4)
			r->complete = ref_ipv4(b, len, 0, r);
		else if (b[0] >> 4 == 6)
			r->complete = ref_ipv6(b, len, 0, r);
		return;
	}
	if (len < 14)
		return;
	type = ref_be16(b + 12);
	off = 14;
	for (tags = 0; type == 0x8100 || type == 0x88a8; tags++) {
		if (tags == 2 || len < off + 4)
			return;
		if (tags == 0)
			d->vlan = (int)(ref_be16(b + off) & 0xfff);
		type = ref_be16(b + off + 2);
		off += 4;
	}
	if (type == 0x8864) {
		if (len < off + 8)
			return;
		if (b[off] == 0x11 && b[off + 1] == 0) {
			unsigned int ppp = ref_be16(b + off + 6);

			type = ppp == 0x21 ? 0x0800 : ppp == 0x57 ? 0x86dd : type;
		}
		off += 8;
	}
	r->complete = true;
	if (type == 0x0800)
		r->complete = ref_ipv4(b, len, off, r);
	else if (type == 0x86dd)
		r->complete = ref_ipv6(b, len, off, r);
}

/* ---- the fragment table ---- */

struct ref_frag_ent {
	uint8_t key[40];	/* src 16, dst 16, id 4, family, protocol, used, pad */
	int proto, sport, dport, tcp_flags;
};

#define REF_FRAG_SLOTS	32768u	/* open addressing; ref_frags_clear() between policies */

struct ref_frags {
	struct ref_frag_ent *e;	/* REF_FRAG_SLOTS */
	uint32_t *used;		/* the slots in use, REF_FRAG_SLOTS / 2 at most */
	size_t n;
	uint64_t hits, misses;
};

/* Empty the table (allocated on first use; exits when out of memory). */
static inline void ref_frags_clear(struct ref_frags *t)
{
	size_t i;

	if (!t->e) {
		t->e = calloc(REF_FRAG_SLOTS, sizeof(*t->e));
		t->used = calloc(REF_FRAG_SLOTS / 2, sizeof(*t->used));
		if (!t->e || !t->used) {
			fprintf(stderr, "ref_frags_clear: out of memory\n");
			exit(1);
		}
	}
	for (i = 0; i < t->n; i++)
		memset(&t->e[t->used[i]], 0, sizeof(*t->e));
	t->n = 0;
}

static inline struct ref_frag_ent *ref_frags_slot(struct ref_frags *t, const uint8_t *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < 38; i++)
		h = (h ^ key[i]) * 0x100000001b3ULL;
	for (i = h % REF_FRAG_SLOTS;; i = (i + 1) % REF_FRAG_SLOTS)
		if (!t->e[i].key[38] || !memcmp(t->e[i].key, key, 38))
			return &t->e[i];
}

/**
 * ref_frags_apply() - record a complete first fragment, or complete a later
 * one from its first fragment. Returns false when the table is full (the
 * caller clears it more often).
 */
static inline bool ref_frags_apply(struct ref_frags *t, struct ref_pkt *r)
{
	struct ft_pkt_desc *d = &r->d;
	struct ref_frag_ent *e;
	uint8_t key[40] = { 0 };

	if (r->frag == REF_NOFRAG || (r->frag == REF_FRAG_FIRST && !r->complete))
		return true;
	memcpy(key, d->src, d->family == AF_INET ? 4 : 16);
	memcpy(key + 16, d->dst, d->family == AF_INET ? 4 : 16);
	memcpy(key + 32, &r->frag_id, 4);
	key[36] = (uint8_t)d->family;
	key[37] = r->frag_nh;
	key[38] = 1;
	e = ref_frags_slot(t, key);
	if (r->frag == REF_FRAG_FIRST) {
		if (!e->key[38]) {
			if (t->n + 1 >= REF_FRAG_SLOTS / 2)
				return false;
			t->used[t->n++] = (uint32_t)(e - t->e);
		}
		memcpy(e->key, key, sizeof(key));
		e->proto = d->proto;
		e->sport = d->sport;
		e->dport = d->dport;
		e->tcp_flags = d->tcp_flags;
		return true;
	}
	if (!e->key[38]) {
		t->misses++;
		return true;
	}
	t->hits++;
	d->proto = e->proto;
	d->sport = e->sport;
	d->dport = e->dport;
	d->tcp_flags = e->tcp_flags;
	return true;
}

#endif /* FLOWTAG_TEST_REFPKT_H */
