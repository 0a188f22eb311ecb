/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The match fields of the policy language, one row each: the key in a
 * rule's match group, its spelling on flowtagctl explain's command line,
 * the bit in struct ft_match.keys, the kind of value it takes, the field of
 * the compiled search with its table and offset, and the accessors the
 * compiler and the reference evaluator call.
 *
 * Walked by the config parser (config_rule.c: the keys of a match group and
 * the parser of each kind), the compiler's dispatch and its userspace search
 * (compile.c, compile_prefix.c), THE reference evaluator
 * (ft_reference_match() in policy.c), flowtagctl explain (keys, help,
 * "unknown key") and the random policies of the differential tests
 * (tests/randpol.h), the KEY VALUE packet parser of explain and the
 * policy's tests (pktspec.c); tests/unit/test_fields.c keeps it in step
 * with FT_MK_* and FT_F_*. Adding a match key: a row in fields.c (with its accessors
 * above the table), its member in struct ft_match and the packet's in
 * struct ft_pkt_desc / ft_flow_key, its FT_F_* field and table in
 * flowtag/maps.h and the BPF search (written out for the verifier in
 * xdp/classify.h), and a test. A new kind of value (enum ft_field_kind)
 * also brings its parser: config_rule.c for the policy, pktspec.c for
 * explain's and the policy tests' packet.
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

/* How the compiler builds a field's part of the search (compile.c). */
enum ft_field_table {
	FT_TABLE_NONE,		/* none of its own: family is enforced by the prefix tries */
	FT_TABLE_RANGES,	/* range boundaries swept into the scalar table: ports, VLAN */
	FT_TABLE_VALUES,	/* one bitmap per value of the scalar table: proto, DSCP, flags */
	FT_TABLE_TRIE,		/* an LPM trie per address family: src, dst (compile_prefix.c) */
	FT_TABLE_IFINDEX,	/* one bitmap per interface index: iif */
};

struct ft_field_desc {
	const char *key;		/* in a rule's match group: "tcp_flags" */
	const char *cli_key;		/* on explain's command line: "tcp-flags" */
	const char *cli_alias;		/* another spelling explain accepts, or NULL */
	const char *cli_value;		/* explain's usage: "FLAGS" */
	unsigned int match_key;		/* FT_MK_* */
	int bpf_field;			/* FT_F_* of the compiled search, -1: none (family) */
	enum ft_field_kind kind;
	enum ft_field_table table;	/* how the compiler builds the field's search */
	uint32_t table_base;		/* RANGES, VALUES: FT_SC_* offset in the scalar table */
	uint32_t domain;		/* RANGES, VALUES: the values are 0..domain-1 */
	size_t value_offset;		/* FT_FK_ADDR, FT_FK_PORT: offsetof() the member of
					 * struct ft_match (the struct ft_addr_match, or the
					 * struct ft_range array) */
	size_t count_offset;		/* FT_FK_PORT: offsetof() the array's length */
	/* RANGES: the @k-th range match @m accepts; false past the last */
	bool (*range_at)(const struct ft_match *m, size_t k, struct ft_range *range);
	/* VALUES: whether match @m accepts value @v */
	bool (*accepts)(const struct ft_match *m, unsigned int v);
	/* RANGES, VALUES: the value the search looks up for flow key @k (host
	 * order), or -1 when the packet lacks the field (absent_bm applies) */
	int (*flow_value)(const struct ft_flow_key *k);
	/* THE reference evaluator's test of the field: whether @pkt passes
	 * match @m's condition on it (called only when @m gives the key) */
	bool (*packet_matches)(const struct ft_policy *pol, const struct ft_match *m,
			       const struct ft_pkt_desc *pkt);
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

/**
 * ft_field_addr() - the address match (src or dst) that row @f of kind
 * FT_FK_ADDR names in @m.
 */
static inline struct ft_addr_match *ft_field_addr(const struct ft_field_desc *f,
						  const struct ft_match *m)
{
	return (struct ft_addr_match *)((char *)m + f->value_offset);
}

/**
 * ft_field_ranges() - the port ranges (sport or dport) that row @f of kind
 * FT_FK_PORT names in @m; their count at *@count.
 */
static inline struct ft_range **ft_field_ranges(const struct ft_field_desc *f,
						const struct ft_match *m, size_t **count)
{
	*count = (size_t *)((char *)m + f->count_offset);
	return (struct ft_range **)((char *)m + f->value_offset);
}

#endif /* FLOWTAG_FIELDS_H */
