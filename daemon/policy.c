// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy lifetime and THE reference evaluator, ft_reference_match()
 * (linear, obviously correct; its per-field tests sit in the field table,
 * fields.c).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fields.h"
#include "policy.h"

void ft_match_free(struct ft_match *m)
{
	free(m->iif);
	free(m->iif_index);
	free(m->iif_spec);
	free(m->vlan);
	free(m->src.pfx);
	free(m->src.sets);
	free(m->dst.pfx);
	free(m->dst.sets);
	free(m->sport);
	free(m->dport);
	memset(m, 0, sizeof(*m));
}

void ft_policy_free(struct ft_policy *p)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		ft_match_free(&p->rules[i].match);
	for (i = 0; i < p->nsets; i++) {
		free(p->sets[i].file);
		free(p->sets[i].pfx);
	}
	for (i = 0; i < p->ntests; i++) {
		free(p->tests[i].file);
		free(p->tests[i].packet);
	}
	free(p->tests);
	free(p->rules);
	free(p->sets);
	free(p->classes);
	free(p->ifaces);
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->file);
	memset(p, 0, sizeof(*p));
	p->default_class = -1;
}

const char *ft_policy_file(const struct ft_policy *p, unsigned int file)
{
	if (file < p->nfiles && p->files[file])
		return p->files[file];
	return p->file ? p->file : "policy";
}

const char *ft_policy_ref(const struct ft_policy *p, const char *here, unsigned int file, int line,
			  char *buf, size_t len)
{
	const char *name = ft_policy_file(p, file);

	if (here && !strcmp(here, name))
		snprintf(buf, len, "line %d", line);
	else
		snprintf(buf, len, "%s:%d", name, line);
	return buf;
}

bool ft_prefix_contains(const struct ft_prefix *outer, const uint8_t *addr)
{
	unsigned int full = outer->len / 8, rest = outer->len % 8;

	if (memcmp(outer->addr, addr, full))
		return false;
	if (!rest)
		return true;
	return ((outer->addr[full] ^ addr[full]) & (0xff00u >> rest)) == 0;
}

/*
 * Whether every key match @m gives accepts @pkt. The test of each field is
 * its row's packet_matches (fields.c): plain loops over the rule as
 * written, nothing compiled.
 */
static bool rule_matches(const struct ft_policy *pol, const struct ft_match *m,
			 const struct ft_pkt_desc *pkt)
{
	const struct ft_field_desc *f;

	for (f = ft_fields; f < ft_fields + FT_NMATCH_FIELDS; f++)
		if ((m->keys & f->match_key) && !f->packet_matches(pol, m, pkt))
			return false;
	return true;
}

/* THE reference evaluator: every faster answer is tested against it. */
int ft_reference_match(const struct ft_policy *pol, const struct ft_pkt_desc *pkt)
{
	size_t r;

	for (r = 0; r < pol->nrules; r++)
		if (rule_matches(pol, &pol->rules[r].match, pkt))
			return (int)r;
	return -1;
}

void ft_pkt_flow_key(const struct ft_pkt_desc *d, struct ft_flow_key *k)
{
	size_t alen = d->family == AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->ifindex = d->ifindex;
	k->vlan = d->vlan < 0 ? FT_VLAN_NONE : (uint16_t)d->vlan;
	if (!d->family)
		return;
	k->family = d->family == AF_INET ? FT_FAM_IPV4 : FT_FAM_IPV6;
	memcpy(k->src, d->src, alen);
	memcpy(k->dst, d->dst, alen);
	k->dscp = (uint8_t)d->dscp;
	if (d->proto >= 0) {
		k->proto = (uint8_t)d->proto;
		k->l4 |= FT_L4_PROTO;
	}
	if (d->sport >= 0) {
		k->sport = (uint16_t)d->sport;
		k->dport = (uint16_t)d->dport;
		k->l4 |= FT_L4_PORTS;
	}
	if (d->tcp_flags >= 0) {
		k->tcp_flags = (uint8_t)d->tcp_flags;
		k->l4 |= FT_L4_TCPFL;
	}
}

bool ft_ifname_is_pattern(const char *name)
{
	return strpbrk(name, "*?[") != NULL;
}

bool ft_ifname_match(const char *spec, const char *ifname)
{
	if (!ft_ifname_is_pattern(spec))
		return !strcmp(spec, ifname);
	return !fnmatch(spec, ifname, 0);
}

const struct ft_iface *ft_policy_iface_for(const struct ft_policy *pol, const char *ifname)
{
	size_t i;

	for (i = 0; i < pol->nifaces; i++)
		if (!strcmp(pol->ifaces[i].name, ifname))
			return &pol->ifaces[i];
	for (i = 0; i < pol->nifaces; i++)
		if (ft_ifname_is_pattern(pol->ifaces[i].name) &&
		    ft_ifname_match(pol->ifaces[i].name, ifname))
			return &pol->ifaces[i];
	return NULL;
}

/* One rule's iif bound: names and ifindexes for iif_spec. */
static int bind_match(struct ft_match *m, const struct ft_ifname *present, size_t npresent)
{
	char (*names)[FT_IFNAMSIZ];
	uint32_t *idx;
	size_t s, p, n = 0, cap = 0;

	for (s = 0; s < m->niif_spec; s++)
		cap += ft_ifname_is_pattern(m->iif_spec[s]) ? npresent + 1 : 1;
	names = calloc(cap ? cap : 1, sizeof(*names));
	idx = calloc(cap ? cap : 1, sizeof(*idx));
	if (!names || !idx) {
		free(names);
		free(idx);
		return -ENOMEM;
	}
	for (s = 0; s < m->niif_spec; s++) {
		size_t first = n;

		for (p = 0; p < npresent; p++) {
			if (!ft_ifname_match(m->iif_spec[s], present[p].name))
				continue;
			memcpy(names[n], present[p].name, FT_IFNAMSIZ);
			idx[n++] = present[p].ifindex;
		}
		if (n == first) {
			memcpy(names[n], m->iif_spec[s], FT_IFNAMSIZ);
			idx[n++] = 0;	/* nothing there yet */
		}
	}
	free(m->iif);
	free(m->iif_index);
	m->iif = names;
	m->iif_index = idx;
	m->niif = n;
	return 0;
}

int ft_policy_bind_iifs(struct ft_policy *pol, const struct ft_ifname *present, size_t npresent)
{
	size_t r;
	int err;

	for (r = 0; r < pol->nrules; r++) {
		if (!pol->rules[r].match.iif_spec)
			continue;
		err = bind_match(&pol->rules[r].match, present, npresent);
		if (err)
			return err;
	}
	return 0;
}
