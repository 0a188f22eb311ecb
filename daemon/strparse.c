// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * String parsers for the policy language. Strict on purpose: a policy that
 * says something ambiguous ("10.0.0.1/8", " 22", "22x") is refused with a
 * reason instead of being guessed at, because a wrong guess silently
 * misclassifies traffic. (Leading zeros are decimal: "080" is port 80.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "strparse.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_dec(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse exactly [s, end) as an unsigned number no larger than @max. Base 10,
 * or base 16 with a "0x" prefix when @allow_hex. Hand-rolled rather than
 * strtoul() because strtoul accepts leading blanks, signs and wraps "-1".
 * Returns 0 or -ERANGE / -EINVAL.
 */
static int parse_uint(const char *s, const char *end, bool allow_hex, uint64_t max,
		      uint64_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10;
	int d;

	if (allow_hex && end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		d = base == 16 ? hex_val(*s) : (is_dec(*s) ? *s - '0' : -1);
		if (d < 0)
			return -EINVAL;
		v = v * base + (unsigned int)d;
		/* keep going to tell "not a number" from "too big" */
		if (v > max)
			v = max + 1;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Zero the bits of @addr (@alen bytes) beyond the first @len. */
static void mask_addr(uint8_t *addr, unsigned int alen, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < alen; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		addr[i] &= (uint8_t)(0xff00u >> len);
		len = 0;
	}
}

/*
 * A v4-mapped IPv6 prefix ("::ffff:0:0/96") stays IPv6: it matches IPv6
 * packets carrying such addresses (a classic spoofing bogon), never IPv4
 * packets, which are classified as AF_INET.
 */
int ft_parse_prefix(const char *s, struct ft_prefix *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 1], net[INET6_ADDRSTRLEN];
	struct ft_prefix p = { 0 };
	const char *slash;
	unsigned int alen, max;
	uint64_t len;
	size_t n;

	if (!s || !*s)
		return fail(err, errlen, "empty prefix");
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return fail(err, errlen, "'%s' is not an IPv4 or IPv6 prefix", s);
	memcpy(buf, s, n);
	buf[n] = '\0';

	if (inet_pton(AF_INET, buf, p.addr) == 1) {
		p.family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, buf, p.addr) == 1) {
		p.family = AF_INET6;
		alen = 16;
	} else {
		return fail(err, errlen, "'%s' is not an IPv4 or IPv6 prefix", s);
	}
	max = alen * 8;

	len = max;
	if (slash) {
		const char *ls = slash + 1;
		int rc = parse_uint(ls, ls + strlen(ls), false, max, &len);

		if (rc == -ERANGE)
			return fail(err, errlen, "prefix length /%s out of range for %s (0..%u)",
				    ls, p.family == AF_INET ? "IPv4" : "IPv6", max);
		if (rc)
			return fail(err, errlen, "bad prefix length '/%s' in '%s'", ls, s);
	}
	p.len = (uint8_t)len;

	{
		struct ft_prefix m = p;

		mask_addr(m.addr, alen, p.len);
		if (memcmp(m.addr, p.addr, alen)) {
			inet_ntop(m.family, m.addr, net, sizeof(net));
			return fail(err, errlen, "host bits set in '%s' (did you mean %s/%u?)", s,
				    net, p.len);
		}
	}
	*out = p;
	return 0;
}

static int parse_port(const char *s, const char *end, uint16_t *out, const char *all, char *err,
		      size_t errlen)
{
	uint64_t v;
	int rc = parse_uint(s, end, false, 65535, &v);

	if (rc == -ERANGE)
		return fail(err, errlen, "port %.*s out of range (0..65535)", (int)(end - s), s);
	if (rc)
		return fail(err, errlen, "bad port range '%s' (expected \"PORT\" or \"LO-HI\")",
			    all);
	*out = (uint16_t)v;
	return 0;
}

int ft_parse_port_range(const char *s, struct ft_range *out, char *err, size_t errlen)
{
	const char *dash;
	struct ft_range r;
	int rc;

	if (!s || !*s)
		return fail(err, errlen, "empty port range");
	dash = strchr(s, '-');
	if (!dash) {
		rc = parse_port(s, s + strlen(s), &r.lo, s, err, errlen);
		if (rc)
			return rc;
		r.hi = r.lo;
	} else {
		rc = parse_port(s, dash, &r.lo, s, err, errlen);
		if (!rc)
			rc = parse_port(dash + 1, dash + 1 + strlen(dash + 1), &r.hi, s, err,
					errlen);
		if (rc)
			return rc;
		if (r.lo > r.hi)
			return fail(err, errlen,
				    "reversed port range '%s' (did you mean \"%u-%u\"?)", s, r.hi,
				    r.lo);
	}
	*out = r;
	return 0;
}

struct name_val {
	const char *name;
	int val;
};

/* Canonical names first: the reverse lookups return the first hit. */
static const struct name_val dscp_names[] = {
	{ "CS0", 0 },   { "CS1", 8 },   { "CS2", 16 },  { "CS3", 24 },  { "CS4", 32 },
	{ "CS5", 40 },  { "CS6", 48 },  { "CS7", 56 },  { "AF11", 10 }, { "AF12", 12 },
	{ "AF13", 14 }, { "AF21", 18 }, { "AF22", 20 }, { "AF23", 22 }, { "AF31", 26 },
	{ "AF32", 28 }, { "AF33", 30 }, { "AF41", 34 }, { "AF42", 36 }, { "AF43", 38 },
	{ "EF", 46 },   { "VA", 44 },   { "LE", 1 },    { "DF", 0 },    { "BE", 0 },
};

static const struct name_val proto_names[] = {
	{ "hopopt", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "tcp", 6 },
	{ "egp", 8 }, { "udp", 17 }, { "dccp", 33 }, { "ipv6", 41 }, { "rsvp", 46 },
	{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 }, { "ospf", 89 },
	{ "pim", 103 }, { "vrrp", 112 }, { "l2tp", 115 }, { "sctp", 132 },
	{ "udplite", 136 }, { "mpls-in-ip", 137 }, { "ethernet", 143 },
	/* aliases, as in /etc/protocols */
	{ "ip", 0 }, { "ipencap", 4 }, { "ipv4", 4 }, { "ipv6-icmp", 58 },
	{ "ipv6icmp", 58 }, { "ospfigp", 89 },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int name_lookup(const struct name_val *t, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(t[i].name, s))
			return t[i].val;
	return -1;
}

static const char *val_lookup(const struct name_val *t, size_t n, int v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].val == v)
			return t[i].name;
	return NULL;
}

int ft_parse_dscp(const char *s, int *out, char *err, size_t errlen)
{
	uint64_t v;
	int rc;

	if (!s || !*s)
		return fail(err, errlen, "empty DSCP value");
	if (is_dec(s[0])) {
		rc = parse_uint(s, s + strlen(s), true, 63, &v);
		if (rc == -ERANGE)
			return fail(err, errlen, "DSCP %s out of range (0..63)", s);
		if (rc)
			return fail(err, errlen, "bad DSCP value '%s'", s);
		*out = (int)v;
		return 0;
	}
	rc = name_lookup(dscp_names, ARRAY_LEN(dscp_names), s);
	if (rc < 0)
		return fail(err, errlen,
			    "unknown DSCP name '%s' (expected CS0..CS7, AF11..AF43, EF, VA, LE, DF or 0..63)",
			    s);
	*out = rc;
	return 0;
}

int ft_parse_proto(const char *s, int *out, char *err, size_t errlen)
{
	uint64_t v;
	int rc;

	if (!s || !*s)
		return fail(err, errlen, "empty protocol");
	if (is_dec(s[0])) {
		rc = parse_uint(s, s + strlen(s), true, 255, &v);
		if (rc == -ERANGE)
			return fail(err, errlen, "protocol number %s out of range (0..255)", s);
		if (rc)
			return fail(err, errlen, "bad protocol '%s'", s);
		*out = (int)v;
		return 0;
	}
	rc = name_lookup(proto_names, ARRAY_LEN(proto_names), s);
	if (rc < 0)
		return fail(err, errlen, "unknown protocol '%s' (use a name such as tcp, or 0..255)",
			    s);
	*out = rc;
	return 0;
}

/* Exactly [s, end) as 1..4 hex digits. */
static int parse_hex16(const char *s, const char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (s == end || end - s > 4)
		return -EINVAL;
	for (; s < end; s++) {
		if (hex_val(*s) < 0)
			return -EINVAL;
		v = v * 16 + (unsigned int)hex_val(*s);
	}
	*out = v;
	return 0;
}

/*
 * tc's own parser (get_tc_classid) also takes "1:" and ":10"; so do we, so
 * that every handle ft_format_tc_handle() prints parses back.
 */
int ft_parse_tc_handle(const char *s, uint32_t *out, char *err, size_t errlen)
{
	const char *colon, *end;
	uint32_t maj = 0, min = 0;
	uint64_t v;

	if (!s || !*s)
		return fail(err, errlen, "empty priority");
	end = s + strlen(s);
	colon = strchr(s, ':');
	if (!colon) {
		if (parse_uint(s, end, true, UINT32_MAX, &v))
			return fail(err, errlen,
				    "bad priority '%s' (expected \"MAJOR:MINOR\" in hex, or 0..4294967295)",
				    s);
		*out = (uint32_t)v;
		return 0;
	}
	if ((colon == s && colon + 1 == end) ||
	    (colon > s && parse_hex16(s, colon, &maj)) ||
	    (colon + 1 < end && parse_hex16(colon + 1, end, &min)))
		return fail(err, errlen,
			    "bad priority '%s' (expected \"MAJOR:MINOR\", each 0..ffff in hex as tc writes class ids, e.g. \"1:10\")",
			    s);
	*out = maj << 16 | min;
	return 0;
}

static const struct name_val tcp_flag_names[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
	{ "ack", 0x10 }, { "urg", 0x20 }, { "ece", 0x40 }, { "cwr", 0x80 },
};

/* "syn,ack" / "syn|ack" / "" in [s, end) -> bits. Blanks around names are fine. */
static int parse_flag_list(const char *s, const char *end, uint8_t *bits, const char *all,
			   char *err, size_t errlen)
{
	char name[8];
	const char *t;
	size_t n;
	int v;

	*bits = 0;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return 0;
	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		for (t = s; t < end && *t != ',' && *t != '|' && *t != ' ' && *t != '\t'; t++)
			;
		n = (size_t)(t - s);
		if (!n)
			return fail(err, errlen, "bad tcp_flags '%s': empty flag name", all);
		if (n >= sizeof(name))
			v = -1;
		else {
			memcpy(name, s, n);
			name[n] = '\0';
			v = name_lookup(tcp_flag_names, ARRAY_LEN(tcp_flag_names), name);
		}
		if (v < 0)
			return fail(err, errlen,
				    "bad tcp_flags '%s': unknown flag '%.*s' (fin syn rst psh ack urg ece cwr)",
				    all, (int)n, s);
		*bits |= (uint8_t)v;
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		if (t == end)
			return 0;
		if (*t != ',' && *t != '|')
			return fail(err, errlen, "bad tcp_flags '%s': expected ',' after '%.*s'",
				    all, (int)n, s);
		s = t + 1;
	}
}

/*
 * An empty set before "/" is allowed: "/rst" means RST must be clear, which
 * cannot be written any other way.
 */
int ft_parse_tcp_flags(const char *s, uint8_t *val, uint8_t *mask, char *err, size_t errlen)
{
	const char *slash;
	uint8_t v, m;
	int rc;

	if (!s || !*s)
		return fail(err, errlen, "empty tcp_flags");
	slash = strchr(s, '/');
	rc = parse_flag_list(s, slash ? slash : s + strlen(s), &v, s, err, errlen);
	if (rc)
		return rc;
	if (slash) {
		rc = parse_flag_list(slash + 1, slash + 1 + strlen(slash + 1), &m, s, err, errlen);
		if (rc)
			return rc;
	} else {
		m = v;
	}
	if (!m)
		return fail(err, errlen, "bad tcp_flags '%s': no flag is examined", s);
	if (v & ~m)
		return fail(err, errlen,
			    "bad tcp_flags '%s': flags required to be set must also be examined (after '/')",
			    s);
	*val = v;
	*mask = m;
	return 0;
}

const char *ft_dscp_name(int dscp)
{
	return val_lookup(dscp_names, ARRAY_LEN(dscp_names), dscp);
}

const char *ft_proto_name(int proto)
{
	return val_lookup(proto_names, ARRAY_LEN(proto_names), proto);
}

/* As tc prints class ids, except 0 and ffff:ffff which tc shows as none/root. */
char *ft_format_tc_handle(uint32_t handle, char *buf, size_t len)
{
	uint32_t maj = handle >> 16, min = handle & 0xffff;

	if (!min)
		snprintf(buf, len, "%x:", maj);
	else if (!maj)
		snprintf(buf, len, ":%x", min);
	else
		snprintf(buf, len, "%x:%x", maj, min);
	return buf;
}

char *ft_format_prefix(const struct ft_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

/* ---- rates and sizes (tc notation) ---------------------------------- */

struct unit {
	const char *name;
	double bytes;		/* bytes (per second) one unit stands for */
};

/* Split "1.5gbit" into its number and unit; the number is decimal. */
static int split_number(const char *s, double *num, const char **unit, char *err, size_t errlen,
			const char *what)
{
	char *end;

	if (!*s || !(is_dec(*s) || *s == '.'))
		return fail(err, errlen, "'%s' is not a %s (a number and a unit, e.g. %s)", s, what,
			    !strcmp(what, "rate") ? "\"100mbit\"" : "\"15k\"");
	errno = 0;
	*num = strtod(s, &end);
	if (errno || end == s || *num != *num)
		return fail(err, errlen, "'%s' is not a %s", s, what);
	*unit = end;
	return 0;
}

int ft_parse_rate(const char *s, uint64_t *out, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{ "bit", 1.0 / 8 }, { "kbit", 1e3 / 8 }, { "mbit", 1e6 / 8 },
		{ "gbit", 1e9 / 8 }, { "tbit", 1e12 / 8 },
		{ "kibit", 1024.0 / 8 }, { "mibit", 1048576.0 / 8 },
		{ "gibit", 1073741824.0 / 8 }, { "tibit", 1099511627776.0 / 8 },
		{ "bps", 1 }, { "kbps", 1e3 }, { "mbps", 1e6 }, { "gbps", 1e9 }, { "tbps", 1e12 },
	};
	const char *u;
	double num, v;
	size_t i;

	if (split_number(s, &num, &u, err, errlen, "rate"))
		return -EINVAL;
	if (!*u)
		return fail(err, errlen, "rate '%s' has no unit (bit, kbit, mbit, gbit, or bps "
			    "for bytes per second)", s);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(u, units[i].name))
			continue;
		v = num * units[i].bytes;
		if (v < 1)
			return fail(err, errlen, "rate '%s' is below 8 bit/s", s);
		if (v > 1099511627776.0)
			return fail(err, errlen, "rate '%s' is above 8 Tbit/s", s);
		*out = (uint64_t)(v + 0.5);
		return 0;
	}
	return fail(err, errlen, "unknown rate unit '%s' in '%s' (bit, kbit, mbit, gbit, tbit, "
		    "kibit.., bps, kbps, mbps, gbps)", u, s);
}

int ft_parse_size(const char *s, uint32_t *out, char *err, size_t errlen)
{
	static const struct unit units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", 1048576 },
		{ "mb", 1048576 }, { "g", 1073741824.0 }, { "gb", 1073741824.0 },
		{ "kbit", 1024.0 / 8 }, { "mbit", 1048576.0 / 8 }, { "gbit", 1073741824.0 / 8 },
	};
	const char *u;
	double num, v;
	size_t i;

	if (split_number(s, &num, &u, err, errlen, "size"))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(u, units[i].name))
			continue;
		v = num * units[i].bytes;
		if (v < 1 || v > 4294967295.0)
			return fail(err, errlen, "size '%s' is out of range (1 byte .. 4g)", s);
		*out = (uint32_t)(v + 0.5);
		return 0;
	}
	return fail(err, errlen, "unknown size unit '%s' in '%s' (b, k, m, g, kbit, mbit)", u, s);
}

char *ft_format_rate(uint64_t bps, char *buf, size_t len)
{
	static const struct {
		const char *name;
		uint64_t bits;
	} u[] = { { "tbit", 1000000000000ULL }, { "gbit", 1000000000 }, { "mbit", 1000000 },
		  { "kbit", 1000 } };
	uint64_t bits = bps * 8;
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (bits >= u[i].bits && bits % u[i].bits == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(bits / u[i].bits), u[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%llubit", (unsigned long long)bits);
	return buf;
}

int ft_check_path_arg(const char *path, size_t max, char *err, size_t errlen)
{
	size_t len = strlen(path);

	if (!len) {
		snprintf(err, errlen, "the path is empty");
		return -EINVAL;
	}
	if (len >= max) {
		snprintf(err, errlen, "the path is %zu bytes long; at most %zu", len, max - 1);
		return -EINVAL;
	}
	return 0;
}

int ft_check_path_args(const struct ft_path_arg *a, size_t n, char *err, size_t errlen)
{
	char why[96];
	size_t k;

	for (k = 0; k < n; k++) {
		if (a[k].path && ft_check_path_arg(a[k].path, a[k].max, why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s", a[k].opt, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* The length of the valid UTF-8 sequence at @p (@n bytes left), 0 for none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2) /* a continuation byte, or an overlong 2-byte form */
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	if (!len || n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) ||	/* overlong 3-byte form */
	    (c == 0xed && p[1] > 0x9f) ||	/* U+D800..U+DFFF, the surrogates */
	    (c == 0xf0 && p[1] < 0x90) ||	/* overlong 4-byte form */
	    (c == 0xf4 && p[1] > 0x8f))		/* above U+10FFFF */
		return 0;
	return len;
}

size_t ft_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

char *ft_utf8_fix(const char *s)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, k;
	char *out = malloc(3 * n + 1); /* each byte at most one U+FFFD */

	if (!out)
		return NULL;
	while (i < n) {
		k = utf8_seq(p + i, n - i);
		if (k) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, repl, 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}
