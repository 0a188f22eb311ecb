// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The table of match fields (see fields.h), and below it the accessors its
 * rows name: what the compiler reads of a rule's match, what the compiled
 * search looks up in a flow key, and THE reference evaluator's test of each
 * field.
 */
#include <stddef.h>
#include <strings.h>
#include <sys/socket.h>

#include "fields.h"

/* ---- what the compiler reads of a rule's match ---- */

static bool sport_range_at(const struct ft_match *m, size_t k, struct ft_range *range)
{
	if (k >= m->nsport)
		return false;
	*range = m->sport[k];
	return true;
}

static bool dport_range_at(const struct ft_match *m, size_t k, struct ft_range *range)
{
	if (k >= m->ndport)
		return false;
	*range = m->dport[k];
	return true;
}

static bool vlan_range_at(const struct ft_match *m, size_t k, struct ft_range *range)
{
	if (k >= m->nvlan)
		return false;
	range->lo = range->hi = m->vlan[k];
	return true;
}

static bool proto_accepts(const struct ft_match *m, unsigned int v)
{
	return ft_proto_has(m, v);
}

static bool dscp_accepts(const struct ft_match *m, unsigned int v)
{
	return m->dscp & (1ULL << v);
}

static bool tcp_flags_accepts(const struct ft_match *m, unsigned int v)
{
	return (v & m->tcp_flags_mask) == m->tcp_flags;
}

/* ---- what the compiled search looks up in a flow key ---- */

static int sport_flow_value(const struct ft_flow_key *k)
{
	return k->l4 & FT_L4_PORTS ? k->sport : -1;
}

static int dport_flow_value(const struct ft_flow_key *k)
{
	return k->l4 & FT_L4_PORTS ? k->dport : -1;
}

static int vlan_flow_value(const struct ft_flow_key *k)
{
	return k->vlan < FT_VLAN_NONE ? k->vlan & 0xfff : -1;
}

static int proto_flow_value(const struct ft_flow_key *k)
{
	return k->l4 & FT_L4_PROTO ? k->proto : -1;
}

static int dscp_flow_value(const struct ft_flow_key *k)
{
	return k->family != FT_FAM_NONE ? k->dscp & 63 : -1;
}

static int tcp_flags_flow_value(const struct ft_flow_key *k)
{
	return k->l4 & FT_L4_TCPFL ? k->tcp_flags : -1;
}

/* ---- the reference evaluator, one field at a time (ft_reference_match()) ---- */

static bool pkt_is_ip(const struct ft_pkt_desc *pkt)
{
	return pkt->family == AF_INET || pkt->family == AF_INET6;
}

static bool addr_match(const struct ft_policy *pol, const struct ft_addr_match *am,
		       int family, const uint8_t *addr)
{
	size_t i, j;

	for (i = 0; i < am->npfx; i++)
		if (am->pfx[i].family == family && ft_prefix_contains(&am->pfx[i], addr))
			return true;
	for (i = 0; i < am->nsets; i++) {
		const struct ft_prefix_set *set = &pol->sets[am->sets[i]];

		for (j = 0; j < set->npfx; j++)
			if (set->pfx[j].family == family && ft_prefix_contains(&set->pfx[j], addr))
				return true;
	}
	return false;
}

static bool range_match(const struct ft_range *r, size_t n, int port)
{
	size_t i;

	if (port < 0)
		return false;
	for (i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool iif_matches(const struct ft_policy *pol, const struct ft_match *m,
			const struct ft_pkt_desc *pkt)
{
	bool hit = false;
	size_t i;

	(void)pol;
	for (i = 0; i < m->niif; i++)
		hit |= m->iif_index[i] && m->iif_index[i] == pkt->ifindex;
	return hit;
}

static bool vlan_matches(const struct ft_policy *pol, const struct ft_match *m,
			 const struct ft_pkt_desc *pkt)
{
	bool hit = false;
	size_t i;

	(void)pol;
	for (i = 0; i < m->nvlan; i++)
		hit |= pkt->vlan == m->vlan[i];
	return hit;
}

static bool family_matches(const struct ft_policy *pol, const struct ft_match *m,
			   const struct ft_pkt_desc *pkt)
{
	(void)pol;
	return pkt->family == m->family;
}

static bool src_matches(const struct ft_policy *pol, const struct ft_match *m,
			const struct ft_pkt_desc *pkt)
{
	return pkt_is_ip(pkt) && addr_match(pol, &m->src, pkt->family, pkt->src);
}

static bool dst_matches(const struct ft_policy *pol, const struct ft_match *m,
			const struct ft_pkt_desc *pkt)
{
	return pkt_is_ip(pkt) && addr_match(pol, &m->dst, pkt->family, pkt->dst);
}

static bool proto_matches(const struct ft_policy *pol, const struct ft_match *m,
			  const struct ft_pkt_desc *pkt)
{
	(void)pol;
	return pkt_is_ip(pkt) && pkt->proto >= 0 && ft_proto_has(m, pkt->proto);
}

static bool sport_matches(const struct ft_policy *pol, const struct ft_match *m,
			  const struct ft_pkt_desc *pkt)
{
	(void)pol;
	return range_match(m->sport, m->nsport, pkt->sport);
}

static bool dport_matches(const struct ft_policy *pol, const struct ft_match *m,
			  const struct ft_pkt_desc *pkt)
{
	(void)pol;
	return range_match(m->dport, m->ndport, pkt->dport);
}

static bool dscp_matches(const struct ft_policy *pol, const struct ft_match *m,
			 const struct ft_pkt_desc *pkt)
{
	(void)pol;
	return pkt_is_ip(pkt) && pkt->dscp >= 0 && (m->dscp & (1ULL << (pkt->dscp & 63)));
}

static bool tcp_flags_matches(const struct ft_policy *pol, const struct ft_match *m,
			      const struct ft_pkt_desc *pkt)
{
	(void)pol;
	return pkt->tcp_flags >= 0 && (pkt->tcp_flags & m->tcp_flags_mask) == m->tcp_flags;
}

/* ---- the table ---- */

const struct ft_field_desc ft_fields[FT_NMATCH_FIELDS] = {
	{ .key = "iif", .cli_key = "iif", .cli_value = "NAME",
	  .match_key = FT_MK_IIF, .bpf_field = FT_F_IIF, .kind = FT_FK_IFNAME,
	  .table = FT_TABLE_IFINDEX,
	  .packet_matches = iif_matches },
	{ .key = "vlan", .cli_key = "vlan", .cli_value = "ID",
	  .match_key = FT_MK_VLAN, .bpf_field = FT_F_VLAN, .kind = FT_FK_VLAN,
	  .table = FT_TABLE_RANGES, .table_base = FT_SC_VLAN, .domain = 4096,
	  .range_at = vlan_range_at, .flow_value = vlan_flow_value,
	  .packet_matches = vlan_matches },
	{ .key = "family", .cli_key = "family", .cli_value = "ipv4|ipv6",
	  .match_key = FT_MK_FAMILY, .bpf_field = -1, .kind = FT_FK_FAMILY,
	  .table = FT_TABLE_NONE,
	  .packet_matches = family_matches },
	{ .key = "src", .cli_key = "src", .cli_value = "ADDR",
	  .match_key = FT_MK_SRC, .bpf_field = FT_F_SRC, .kind = FT_FK_ADDR,
	  .table = FT_TABLE_TRIE, .value_offset = offsetof(struct ft_match, src),
	  .packet_matches = src_matches },
	{ .key = "dst", .cli_key = "dst", .cli_value = "ADDR",
	  .match_key = FT_MK_DST, .bpf_field = FT_F_DST, .kind = FT_FK_ADDR,
	  .table = FT_TABLE_TRIE, .value_offset = offsetof(struct ft_match, dst),
	  .packet_matches = dst_matches },
	{ .key = "proto", .cli_key = "proto", .cli_value = "NAME|NUM",
	  .match_key = FT_MK_PROTO, .bpf_field = FT_F_PROTO, .kind = FT_FK_PROTO,
	  .table = FT_TABLE_VALUES, .table_base = FT_SC_PROTO, .domain = 256,
	  .accepts = proto_accepts, .flow_value = proto_flow_value,
	  .packet_matches = proto_matches },
	{ .key = "sport", .cli_key = "sport", .cli_value = "PORT",
	  .match_key = FT_MK_SPORT, .bpf_field = FT_F_SPORT, .kind = FT_FK_PORT,
	  .table = FT_TABLE_RANGES, .table_base = FT_SC_SPORT, .domain = 65536,
	  .value_offset = offsetof(struct ft_match, sport),
	  .count_offset = offsetof(struct ft_match, nsport),
	  .range_at = sport_range_at, .flow_value = sport_flow_value,
	  .packet_matches = sport_matches },
	{ .key = "dport", .cli_key = "dport", .cli_value = "PORT",
	  .match_key = FT_MK_DPORT, .bpf_field = FT_F_DPORT, .kind = FT_FK_PORT,
	  .table = FT_TABLE_RANGES, .table_base = FT_SC_DPORT, .domain = 65536,
	  .value_offset = offsetof(struct ft_match, dport),
	  .count_offset = offsetof(struct ft_match, ndport),
	  .range_at = dport_range_at, .flow_value = dport_flow_value,
	  .packet_matches = dport_matches },
	{ .key = "dscp", .cli_key = "dscp", .cli_value = "NAME|NUM",
	  .match_key = FT_MK_DSCP, .bpf_field = FT_F_DSCP, .kind = FT_FK_DSCP,
	  .table = FT_TABLE_VALUES, .table_base = FT_SC_DSCP, .domain = 64,
	  .accepts = dscp_accepts, .flow_value = dscp_flow_value,
	  .packet_matches = dscp_matches },
	{ .key = "tcp_flags", .cli_key = "tcp-flags", .cli_alias = "flags", .cli_value = "FLAGS",
	  .match_key = FT_MK_TCPFL, .bpf_field = FT_F_TCPFL, .kind = FT_FK_TCPFLAGS,
	  .table = FT_TABLE_VALUES, .table_base = FT_SC_TCPFL, .domain = 256,
	  .accepts = tcp_flags_accepts, .flow_value = tcp_flags_flow_value,
	  .packet_matches = tcp_flags_matches },
};

const struct ft_field_desc *ft_field_by_cli_name(const char *name)
{
	const struct ft_field_desc *f;

	for (f = ft_fields; f < ft_fields + FT_NMATCH_FIELDS; f++)
		if (!strcasecmp(name, f->cli_key) || !strcasecmp(name, f->key) ||
		    (f->cli_alias && !strcasecmp(name, f->cli_alias)))
			return f;
	return NULL;
}

const struct ft_field_desc *ft_field_by_match_key(unsigned int match_key)
{
	const struct ft_field_desc *f;

	for (f = ft_fields; f < ft_fields + FT_NMATCH_FIELDS; f++)
		if (f->match_key == match_key)
			return f;
	return NULL;
}
