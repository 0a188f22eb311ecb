// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The table of match fields (see fields.h).
 */
#include <stddef.h>
#include <strings.h>

#include "fields.h"

const struct ft_field_desc ft_fields[FT_NMATCH_FIELDS] = {
	{ "iif", "iif", NULL, "NAME", FT_MK_IIF, FT_F_IIF, FT_FK_IFNAME },
	{ "vlan", "vlan", NULL, "ID", FT_MK_VLAN, FT_F_VLAN, FT_FK_VLAN },
	{ "family", "family", NULL, "ipv4|ipv6", FT_MK_FAMILY, -1, FT_FK_FAMILY },
	{ "src", "src", NULL, "ADDR", FT_MK_SRC, FT_F_SRC, FT_FK_ADDR },
	{ "dst", "dst", NULL, "ADDR", FT_MK_DST, FT_F_DST, FT_FK_ADDR },
	{ "proto", "proto", NULL, "NAME|NUM", FT_MK_PROTO, FT_F_PROTO, FT_FK_PROTO },
	{ "sport", "sport", NULL, "PORT", FT_MK_SPORT, FT_F_SPORT, FT_FK_PORT },
	{ "dport", "dport", NULL, "PORT", FT_MK_DPORT, FT_F_DPORT, FT_FK_PORT },
	{ "dscp", "dscp", NULL, "NAME|NUM", FT_MK_DSCP, FT_F_DSCP, FT_FK_DSCP },
	{ "tcp_flags", "tcp-flags", "flags", "FLAGS", FT_MK_TCPFL, FT_F_TCPFL, FT_FK_TCPFLAGS },
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
