/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The match fields of the policy language, one row each: the key in a
 * rule's match group, its spelling on flowtagctl explain's command line,
 * the bit in struct ft_match.keys, the field of the compiled search, and
 * the kind of value it takes.
 *
 * Walked today by the KEY VALUE packet parser of explain and policy tests
 * (pktspec.c: keys, "unknown key"), explain's help, and the
 * random policies of the differential tests (tests/randpol.h);
 * tests/unit/test_fields.c keeps it in step with FT_MK_* and FT_F_*.
 * The config parser, the compiler's dispatch and the reference evaluator
 * still spell the fields out (issue 13, item 1: they are to walk this
 * table too). The BPF side stays written out for the verifier.
 */
#ifndef FLOWTAG_FIELDS_H
#define FLOWTAG_FIELDS_H

#include "policy.h"

/* What a field's value is. */
enum ft_field_kind {
	FT_FK_IFNAME,	/* an interface name (a list in a policy) */
	FT_FK_VLAN,	/* a VLAN id 0..4095 (a list in a policy) */
	FT_FK_FAMILY,	/* "ipv4" or "ipv6" */
	FT_FK_ADDR,	/* an address; in a policy a prefix, a list of them, or "@set" */
	FT_FK_PROTO,	/* a protocol name or number */
	FT_FK_PORT,	/* a port; in a policy also "lo-hi" and lists */
	FT_FK_DSCP,	/* a DSCP name or 0..63 */
	FT_FK_TCPFLAGS,	/* TCP flags; in a policy "set/examined" */
};

struct ft_field_desc {
	const char *key;		/* in a rule's match group: "tcp_flags" */
	const char *cli_key;		/* on explain's command line: "tcp-flags" */
	const char *cli_alias;		/* another spelling explain accepts, or NULL */
	const char *cli_value;		/* explain's usage: "FLAGS" */
	unsigned int match_key;		/* FT_MK_* */
	int bpf_field;			/* FT_F_* of the compiled search, -1: none (family) */
	enum ft_field_kind kind;
};

#define FT_NMATCH_FIELDS	10

/* In the order the policy language documents them: iif, vlan, family, ... */
extern const struct ft_field_desc ft_fields[FT_NMATCH_FIELDS];

/**
 * ft_field_by_cli_name() - the field @name names on explain's command line:
 * its cli_key, its cli_alias or its policy key, in any case.
 * Return: the row, or NULL for an unknown name.
 */
const struct ft_field_desc *ft_field_by_cli_name(const char *name);

/**
 * ft_field_by_match_key() - the row of FT_MK_* bit @match_key.
 * Return: the row, or NULL when @match_key is not one field's bit.
 */
const struct ft_field_desc *ft_field_by_match_key(unsigned int match_key);

#endif /* FLOWTAG_FIELDS_H */
