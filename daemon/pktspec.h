/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A packet described by KEY VALUE pairs ("proto udp src 198.18.0.9 dport
 * 5060"): flowtagctl explain's command line and the `packet` of a policy
 * test (tests = ( ... ) in flowtag.conf) are the same language, parsed
 * here, once. The keys are the match fields of fields.c by their explain
 * spelling (cli_key), their alias or their policy key.
 */
#ifndef FLOWTAG_PKTSPEC_H
#define FLOWTAG_PKTSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* The packet as described; d.ifindex stays 0 (names are bound by the caller). */
struct ft_pkt_spec {
	struct ft_pkt_desc d;
	char iif[FT_IFNAMSIZ];	/* "" when not given */
	bool have_src, have_dst, have_sport, have_dport, have_dscp, have_flags;
	unsigned int given;	/* FT_MK_* of the keys given, against duplicates */
};

/**
 * ft_pkt_spec_parse() - KEY VALUE pairs (@argc words at @argv) into @p.
 * What is not given takes the value the classifier reads from a real
 * packet without it: ports 0 for TCP/UDP/SCTP/UDP-Lite, TCP flags none,
 * DSCP 0 (CS0); without any L3/L4 key the packet is not IP.
 * @err: on failure, why, one line without a prefix ("unknown key 'x' (keys: ...)")
 * Return: 0, or -EINVAL with @err filled.
 */
int ft_pkt_spec_parse(int argc, char *const *argv, struct ft_pkt_spec *p, char *err,
		      size_t errlen);

/**
 * ft_pkt_spec_parse_str() - ft_pkt_spec_parse() of the words of @s,
 * separated by blanks.
 * Return: 0, -EINVAL with @err filled (also for an empty @s), or -ENOMEM.
 */
int ft_pkt_spec_parse_str(const char *s, struct ft_pkt_spec *p, char *err, size_t errlen);

#endif /* FLOWTAG_PKTSPEC_H */
