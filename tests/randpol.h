/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Random policies and packets for differential tests: the compiled
 * bit-vector search (in userspace and in the kernel) must pick the same rule
 * as the reference evaluator, ft_reference_match(). Values come from small pools
 * of nested prefixes, overlapping port ranges and a handful of VLANs, so
 * rules overlap a lot and edge values are hit often.
 */
#ifndef FLOWTAG_TEST_RANDPOL_H
#define FLOWTAG_TEST_RANDPOL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fields.h"
#include "policy.h"
#include "flowtag/maps.h"

/* xorshift64*: reproducible from a printed seed */
static inline uint64_t rp_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static inline unsigned int rp_below(uint64_t *s, unsigned int n)
{
	return (unsigned int)(rp_next(s) % n);
}

static const char *const rp_pfx4[] = {
	"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32",
	"10.1.3.0/24", "192.0.2.0/24", "192.0.2.128/25", "198.18.0.0/15", "198.19.1.1/32",
	/* not aligned to the IPv4 table's strides (16, 8, 8) */
	"10.1.128.0/17", "10.1.2.0/23", "192.0.2.192/26",
};
static const char *const rp_pfx6[] = {
	"::/0", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::1/128", "2001:db8:2::/48",
	"fd00::/8", "fd00:1::/32", "fd00:1::7/128",
};
static const char *const rp_addr4[] = {
	"10.1.2.3", "10.1.2.4", "10.1.3.9", "10.2.0.1", "192.0.2.1", "192.0.2.200",
	"198.18.5.5", "198.19.1.1", "203.0.113.1", "11.0.0.1",
	"10.1.127.255", "10.1.200.7", "192.0.2.191", "192.0.2.255",
};
static const char *const rp_addr6[] = {
	"2001:db8:1::1", "2001:db8:1::2", "2001:db8:2::1", "2001:db8:3::1", "fd00:1::7",
	"fd00:1::8", "fd00:2::1", "2001:db9::1",
};
static const int rp_protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_SCTP, 47,
				 IPPROTO_ICMPV6 };
static const int rp_dscps[] = { 0, 10, 34, 46, 63 };

#define RP_N(a) (sizeof(a) / sizeof((a)[0]))

static inline void rp_prefix(uint64_t *s, struct ft_prefix *p, int family)
{
	const char *str;
	char buf[64], *slash;

	if (family == AF_INET)
		str = rp_pfx4[rp_below(s, RP_N(rp_pfx4))];
	else
		str = rp_pfx6[rp_below(s, RP_N(rp_pfx6))];
	snprintf(buf, sizeof(buf), "%s", str);
	slash = strchr(buf, '/');
	*slash = '\0';
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->len = atoi(slash + 1);
	inet_pton(family, buf, p->addr);
}

static inline void rp_addr_match(uint64_t *s, struct ft_addr_match *am, int family, size_t nsets)
{
	size_t i, n = 1 + rp_below(s, 2);

	am->pfx = calloc(n, sizeof(*am->pfx));
	am->npfx = n;
	for (i = 0; i < n; i++)
		rp_prefix(s, &am->pfx[i], family ? family :
					  (rp_below(s, 2) ? AF_INET : AF_INET6));
	if (nsets && rp_below(s, 3) == 0) {
		am->sets = calloc(1, sizeof(*am->sets));
		am->sets[0] = rp_below(s, nsets);
		am->nsets = 1;
	}
}

static inline void rp_ranges(uint64_t *s, struct ft_range **r, size_t *n)
{
	size_t i;

	*n = 1 + rp_below(s, 3);
	*r = calloc(*n, sizeof(**r));
	for (i = 0; i < *n; i++) {
		unsigned int lo = rp_below(s, 40), w = rp_below(s, 4) ? rp_below(s, 10) : 0;

		if (rp_below(s, 10) == 0) {	/* edges of the port space */
			lo = rp_below(s, 2) ? 0 : 65535 - w;
		}
		(*r)[i].lo = lo;
		(*r)[i].hi = lo + w > 65535 ? 65535 : lo + w;
	}
}

/**
 * rp_policy() - a random policy of @nrules rules. iif_index values are
 * 1..3 (the kernel tests use 1, loopback).
 */
/* Set by a test whose classifier knows dynamic sets (compile, the BPF
 * programs): then about half the random prefix sets are dynamic. */
static bool rp_dynamic_sets;

/* Set by a test of the drop pre-filter (ft_prefilter()): then about half
 * the policies begin with 1..4 drop rules on src, dst and family alone
 * (the pre-filter's rules; a random policy seldom has one). */
static bool rp_prefilter;

/* Make rule @r of @pol a drop rule that keeps only its src, dst and family
 * keys, and has a src or a dst. */
static inline void rp_prefilter_rule(uint64_t *s, struct ft_policy *pol, size_t r)
{
	struct ft_match *m = &pol->rules[r].match;

	pol->rules[r].action = FT_ACT_DROP;
	pol->rules[r].class_idx = -1;
	/* the other keys' values stay allocated, unread: ft_policy_free() frees them */
	m->keys &= FT_MK_SRC | FT_MK_DST | FT_MK_FAMILY;
	if (m->keys & (FT_MK_SRC | FT_MK_DST))
		return;
	if (rp_below(s, 2)) {
		m->keys |= FT_MK_SRC;
		rp_addr_match(s, &m->src, m->keys & FT_MK_FAMILY ? m->family : 0, pol->nsets);
	} else {
		m->keys |= FT_MK_DST;
		rp_addr_match(s, &m->dst, m->keys & FT_MK_FAMILY ? m->family : 0, pol->nsets);
	}
}

static inline void rp_policy(uint64_t *s, struct ft_policy *pol, size_t nrules)
{
	size_t i, r;

	memset(pol, 0, sizeof(*pol));
	pol->mark_mask = 0xff00;
	pol->nclasses = 1 + rp_below(s, 6);
	pol->classes = calloc(pol->nclasses, sizeof(*pol->classes));
	for (i = 0; i < pol->nclasses; i++) {
		snprintf(pol->classes[i].name, sizeof(pol->classes[i].name), "c%zu", i);
		pol->classes[i].mark = (i + 1) << 8;
		pol->classes[i].has_priority = rp_below(s, 2);
		pol->classes[i].priority = 0x10000 | (i + 1);
		pol->classes[i].dscp = -1;
	}
	pol->default_class = rp_below(s, 3) ? (int)rp_below(s, pol->nclasses) : -1;
	pol->nsets = rp_below(s, 3);
	pol->sets = calloc(pol->nsets ? pol->nsets : 1, sizeof(*pol->sets));
	for (i = 0; i < pol->nsets; i++) {
		size_t k, n = 1 + rp_below(s, 5);

		snprintf(pol->sets[i].name, sizeof(pol->sets[i].name), "set%zu", i);
		pol->sets[i].pfx = calloc(n, sizeof(struct ft_prefix));
		pol->sets[i].npfx = n;
		for (k = 0; k < n; k++)
			rp_prefix(s, &pol->sets[i].pfx[k], rp_below(s, 2) ? AF_INET : AF_INET6);
		/* a dynamic set's initial prefixes are its content for the
		 * reference; no draw without rp_dynamic_sets (the other tests'
		 * sequences stay as they were) */
		if (rp_dynamic_sets && rp_below(s, 2)) {
			pol->sets[i].dynamic = true;
			pol->sets[i].size = 64;
		}
	}

	pol->nrules = nrules;
	pol->rules = calloc(nrules ? nrules : 1, sizeof(*pol->rules));
	for (r = 0; r < nrules; r++) {
		struct ft_rule *rule = &pol->rules[r];
		struct ft_match *m = &rule->match;
		unsigned int nkeys = 1 + rp_below(s, 3), k;

		rule->line = (int)r + 1;
		switch (rp_below(s, 10)) {
		case 0:
			rule->action = FT_ACT_DROP;
			rule->class_idx = -1;
			break;
		case 1:
			rule->action = FT_ACT_PASS;
			rule->class_idx = -1;
			break;
		default:
			rule->action = FT_ACT_CLASS;
			rule->class_idx = rp_below(s, pol->nclasses);
		}
		if (rp_below(s, 20) == 0)
			continue;	/* matches everything */
		for (k = 0; k < nkeys; k++) {
			/* a field of the table; one case per field below */
			switch (ft_fields[rp_below(s, FT_NMATCH_FIELDS)].match_key) {
			case FT_MK_FAMILY:
				m->keys |= FT_MK_FAMILY;
				m->family = rp_below(s, 2) ? AF_INET : AF_INET6;
				break;
			case FT_MK_SRC:
				if (m->keys & FT_MK_SRC)
					break;
				m->keys |= FT_MK_SRC;
				rp_addr_match(s, &m->src, m->keys & FT_MK_FAMILY ? m->family : 0,
					      pol->nsets);
				break;
			case FT_MK_DST:
				if (m->keys & FT_MK_DST)
					break;
				m->keys |= FT_MK_DST;
				rp_addr_match(s, &m->dst, m->keys & FT_MK_FAMILY ? m->family : 0,
					      pol->nsets);
				break;
			case FT_MK_PROTO:
				m->keys |= FT_MK_PROTO;
				ft_proto_set(m, rp_protos[rp_below(s, RP_N(rp_protos))]);
				break;
			case FT_MK_SPORT:
				if (m->keys & FT_MK_SPORT)
					break;
				m->keys |= FT_MK_SPORT;
				rp_ranges(s, &m->sport, &m->nsport);
				break;
			case FT_MK_DPORT:
				if (m->keys & FT_MK_DPORT)
					break;
				m->keys |= FT_MK_DPORT;
				rp_ranges(s, &m->dport, &m->ndport);
				break;
			case FT_MK_DSCP:
				m->keys |= FT_MK_DSCP;
				m->dscp |= 1ULL << rp_dscps[rp_below(s, RP_N(rp_dscps))];
				break;
			case FT_MK_VLAN:
				if (m->keys & FT_MK_VLAN)
					break;
				m->keys |= FT_MK_VLAN;
				m->nvlan = 1 + rp_below(s, 2);
				m->vlan = calloc(m->nvlan, sizeof(*m->vlan));
				m->vlan[0] = 1 + rp_below(s, 3);
				if (m->nvlan > 1)
					m->vlan[1] = 1 + rp_below(s, 3);
				break;
			case FT_MK_TCPFL:
				m->keys |= FT_MK_TCPFL;
				m->tcp_flags_mask = 0x12;	/* SYN, ACK */
				m->tcp_flags = rp_below(s, 2) ? 0x02 : 0x12;
				break;
			case FT_MK_IIF:
				if (m->keys & FT_MK_IIF)
					break;
				m->keys |= FT_MK_IIF;
				m->niif = 1;
				m->iif = calloc(1, sizeof(*m->iif));
				m->iif_index = calloc(1, sizeof(*m->iif_index));
				snprintf(m->iif[0], sizeof(m->iif[0]), "if%u", 1 + rp_below(s, 3));
				m->iif_index[0] = 1 + rp_below(s, 3);
				break;
			}
		}
	}
	/* no draw without rp_prefilter: the other tests' sequences stay */
	if (rp_prefilter && rp_below(s, 2))
		for (r = 0, i = 1 + rp_below(s, 4); r < i && r < nrules; r++)
			rp_prefilter_rule(s, pol, r);
}

/**
 * rp_packet() - a random packet description. @ifindex_max: largest ifindex
 * to use (1 in the kernel tests). Ports and TCP flags are present exactly
 * when the classifier can read them.
 */
static inline void rp_packet(uint64_t *s, struct ft_pkt_desc *d, unsigned int ifindex_max)
{
	unsigned int f = rp_below(s, 10);

	memset(d, 0, sizeof(*d));
	d->ifindex = 1 + rp_below(s, ifindex_max);
	d->vlan = rp_below(s, 2) ? -1 : (int)(1 + rp_below(s, 4));
	d->proto = d->sport = d->dport = d->dscp = d->tcp_flags = -1;
	if (f == 0)
		return;		/* not IP */
	d->family = f < 6 ? AF_INET : AF_INET6;
	if (d->family == AF_INET) {
		inet_pton(AF_INET, rp_addr4[rp_below(s, RP_N(rp_addr4))], d->src);
		inet_pton(AF_INET, rp_addr4[rp_below(s, RP_N(rp_addr4))], d->dst);
	} else {
		inet_pton(AF_INET6, rp_addr6[rp_below(s, RP_N(rp_addr6))], d->src);
		inet_pton(AF_INET6, rp_addr6[rp_below(s, RP_N(rp_addr6))], d->dst);
	}
	d->proto = rp_protos[rp_below(s, RP_N(rp_protos))];
	d->dscp = rp_dscps[rp_below(s, RP_N(rp_dscps))];
	if (d->proto == IPPROTO_TCP || d->proto == IPPROTO_UDP || d->proto == IPPROTO_SCTP) {
		d->sport = rp_below(s, 8) ? rp_below(s, 50) : 65535 - rp_below(s, 3);
		d->dport = rp_below(s, 8) ? rp_below(s, 50) : rp_below(s, 3);
	}
	if (d->proto == IPPROTO_TCP)
		d->tcp_flags = rp_below(s, 2) ? 0x02 : 0x12;
}

#endif /* FLOWTAG_TEST_RANDPOL_H */
