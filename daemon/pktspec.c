// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * KEY VALUE pairs -> a packet (see pktspec.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fields.h"
#include "pktspec.h"
#include "strparse.h"

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool proto_has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE;
}

static int parse_num(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_addr(const char *s, struct ft_pkt_spec *p, uint8_t *addr, char *err, size_t len)
{
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, s, addr) != 1)
		return fail(err, len, "'%s' is not an IPv4 or IPv6 address", s);
	if (p->d.family && p->d.family != family)
		return fail(err, len, "'%s' is not of the packet's address family", s);
	p->d.family = family;
	return 0;
}

/* tcp-flags of a packet: "syn,ack", "none", or a number. */
static int parse_pkt_flags(const char *s, int *out, char *err, size_t len)
{
	char why[160];
	uint8_t val, mask;
	long v;

	if (!strcasecmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (!parse_num(s, 255, &v)) {
		*out = (int)v;
		return 0;
	}
	if (strchr(s, '/'))
		return fail(err, len, "tcp-flags of a packet are the flags set, no '/'");
	if (ft_parse_tcp_flags(s, &val, &mask, why, sizeof(why)))
		return fail(err, len, "%s", why);
	*out = val;
	return 0;
}

static int parse_family(const char *val, struct ft_pkt_spec *p, char *err, size_t len)
{
	int f = !strcasecmp(val, "ipv4") || !strcmp(val, "inet") || !strcmp(val, "4") ? AF_INET :
		!strcasecmp(val, "ipv6") || !strcmp(val, "inet6") || !strcmp(val, "6") ? AF_INET6 :
											    0;

	if (!f)
		return fail(err, len, "family is ipv4 or ipv6, not '%s'", val);
	if (p->d.family && p->d.family != f)
		return fail(err, len, "family %s contradicts the addresses", val);
	p->d.family = f;
	return 0;
}

static int parse_kv(struct ft_pkt_spec *p, const struct ft_field_desc *f, const char *key,
		    const char *val, char *err, size_t len)
{
	char why[160];
	long n;

	switch (f->match_key) {
	case FT_MK_IIF:
		if (!*val || strlen(val) >= sizeof(p->iif))
			return fail(err, len, "bad interface name '%s'", val);
		snprintf(p->iif, sizeof(p->iif), "%s", val);
		return 0;
	case FT_MK_VLAN:
		if (parse_num(val, 4095, &n))
			return fail(err, len, "vlan must be 0..4095, not '%s'", val);
		p->d.vlan = (int)n;
		return 0;
	case FT_MK_FAMILY:
		return parse_family(val, p, err, len);
	case FT_MK_SRC:
		p->have_src = true;
		return parse_addr(val, p, p->d.src, err, len);
	case FT_MK_DST:
		p->have_dst = true;
		return parse_addr(val, p, p->d.dst, err, len);
	case FT_MK_PROTO:
		if (ft_parse_proto(val, &p->d.proto, why, sizeof(why)))
			return fail(err, len, "%s", why);
		return 0;
	case FT_MK_SPORT:
	case FT_MK_DPORT:
		if (parse_num(val, 65535, &n))
			return fail(err, len, "%s must be a port 0..65535, not '%s'", key, val);
		if (f->match_key == FT_MK_SPORT) {
			p->d.sport = (int)n;
			p->have_sport = true;
		} else {
			p->d.dport = (int)n;
			p->have_dport = true;
		}
		return 0;
	case FT_MK_DSCP:
		if (ft_parse_dscp(val, &p->d.dscp, why, sizeof(why)))
			return fail(err, len, "%s", why);
		p->have_dscp = true;
		return 0;
	case FT_MK_TCPFL:
		p->have_flags = true;
		return parse_pkt_flags(val, &p->d.tcp_flags, err, len);
	}
	return fail(err, len, "unknown key '%s'", key);
}

static int unknown_key(const char *key, char *err, size_t len)
{
	char keys[128];
	size_t n = 0, k;

	keys[0] = '\0';
	for (k = 0; k < FT_NMATCH_FIELDS && n < sizeof(keys); k++)
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s", k ? " " : "",
				      ft_fields[k].cli_key);
	return fail(err, len, "unknown key '%s' (keys: %s)", key, keys);
}

int ft_pkt_spec_parse(int argc, char *const *argv, struct ft_pkt_spec *p, char *err,
		      size_t errlen)
{
	const struct ft_field_desc *f;
	bool ip;
	int i, rc;

	memset(p, 0, sizeof(*p));
	p->d.vlan = -1;
	p->d.proto = p->d.sport = p->d.dport = p->d.dscp = p->d.tcp_flags = -1;
	if (argc <= 0)
		return fail(err, errlen, "no packet: KEY VALUE... (e.g. proto tcp dport 22)");
	for (i = 0; i < argc; i += 2) {
		f = ft_field_by_cli_name(argv[i]);
		if (!f)
			return unknown_key(argv[i], err, errlen);
		if (i + 1 >= argc)
			return fail(err, errlen, "%s needs a value", argv[i]);
		if (p->given & f->match_key)
			return fail(err, errlen, "%s given twice", argv[i]);
		p->given |= f->match_key;
		rc = parse_kv(p, f, argv[i], argv[i + 1], err, errlen);
		if (rc)
			return rc;
	}

	ip = p->d.family || p->d.proto >= 0 || p->have_sport || p->have_dport || p->have_dscp ||
	     p->have_flags;
	if (!ip)
		return 0;	/* a non-IP frame: only iif and vlan matter */
	if (!p->d.family)
		return fail(err, errlen, "give src, dst or family, so the packet is IPv4 or IPv6");
	if (p->d.proto < 0)
		return fail(err, errlen, "an IP packet needs proto (e.g. proto tcp)");
	if ((p->have_sport || p->have_dport) && !proto_has_ports(p->d.proto))
		return fail(err, errlen, "only tcp, udp, sctp and udplite packets have ports");
	if (p->have_flags && p->d.proto != IPPROTO_TCP)
		return fail(err, errlen, "only tcp packets have tcp-flags");
	/* what the classifier would read from a real packet: absent means 0 */
	if (proto_has_ports(p->d.proto)) {
		p->d.sport = p->have_sport ? p->d.sport : 0;
		p->d.dport = p->have_dport ? p->d.dport : 0;
	}
	if (p->d.proto == IPPROTO_TCP && !p->have_flags)
		p->d.tcp_flags = 0;
	if (!p->have_dscp)
		p->d.dscp = 0;
	return 0;
}

/* At most this many words: every key once, with its value. */
#define MAX_WORDS	(2 * FT_NMATCH_FIELDS + 2)

int ft_pkt_spec_parse_str(const char *s, struct ft_pkt_spec *p, char *err, size_t errlen)
{
	char *copy = strdup(s), *word, *save = NULL;
	char *argv[MAX_WORDS];
	int argc = 0, rc;

	if (!copy)
		return -ENOMEM;
	for (word = strtok_r(copy, " \t\r\n", &save); word; word = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == MAX_WORDS) {
			free(copy);
			return fail(err, errlen, "too many words (every key at most once)");
		}
		argv[argc++] = word;
	}
	rc = ft_pkt_spec_parse(argc, argv, p, err, errlen);
	free(copy);
	return rc;
}
