// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for daemon/strparse.c: every parser against tables of good and
 * bad inputs, the edges of every range, and format/parse round trips.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "strparse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Every failure must say why: check the reason, not just the return code. */
static void check_err(const char *what, const char *in, int rc, const char *err,
		      const char *want)
{
	if (rc != -EINVAL)
		fail_msg("%s(\"%s\"): rc %d, want -EINVAL", what, in, rc);
	if (!strstr(err, want))
		fail_msg("%s(\"%s\"): error \"%s\" does not mention \"%s\"", what, in, err, want);
	if (strchr(err, '\n'))
		fail_msg("%s(\"%s\"): error \"%s\" has a newline", what, in, err);
}

/* ---- prefixes ------------------------------------------------------- */

static const struct {
	const char *in;
	int family;
	int len;
	const char *addr;	/* inet_pton form of the expected network */
} prefix_good[] = {
	{ "198.18.0.0/15", AF_INET, 15, "198.18.0.0" },
	{ "10.0.0.1", AF_INET, 32, "10.0.0.1" },
	{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
	{ "255.255.255.255/32", AF_INET, 32, "255.255.255.255" },
	{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0" },
	{ "192.168.1.128/25", AF_INET, 25, "192.168.1.128" },
	{ "2001:db8::/32", AF_INET6, 32, "2001:db8::" },
	{ "2001:DB8:DEAD::/48", AF_INET6, 48, "2001:db8:dead::" },
	{ "::/0", AF_INET6, 0, "::" },
	{ "::1", AF_INET6, 128, "::1" },
	{ "fd00::/8", AF_INET6, 8, "fd00::" },
	{ "2001:db8::1/128", AF_INET6, 128, "2001:db8::1" },
	{ "2001:db8:0:0:8000::/65", AF_INET6, 65, "2001:db8::8000:0:0:0" },
	/* v4-mapped stays IPv6: it can only ever match IPv6 packets */
	{ "::ffff:192.0.2.1", AF_INET6, 128, "::ffff:192.0.2.1" },
	{ "::ffff:0:0/96", AF_INET6, 96, "::ffff:0.0.0.0" },
};

static const struct {
	const char *in;
	const char *err;
} prefix_bad[] = {
	{ "", "empty" },
	{ "10.0.0.0/33", "out of range" },
	{ "2001:db8::/129", "out of range" },
	{ "10.0.0.0/99999999999999999999999", "out of range" },
	{ "10.0.0.1/8", "did you mean 10.0.0.0/8" },
	{ "198.19.0.0/15", "did you mean 198.18.0.0/15" },
	{ "2001:db8::1/32", "did you mean 2001:db8::/32" },
	{ "::ffff:10.0.0.1/104", "did you mean ::ffff:10.0.0.0/104" },
	{ "10.0.0/8", "not an IPv4 or IPv6 prefix" },
	{ "10.0.0.256", "not an IPv4 or IPv6 prefix" },
	{ "010.0.0.1", "not an IPv4 or IPv6 prefix" },
	{ "foo", "not an IPv4 or IPv6 prefix" },
	{ "/8", "not an IPv4 or IPv6 prefix" },
	{ " 10.0.0.0/8", "not an IPv4 or IPv6 prefix" },
	{ "fe80::1%eth0", "not an IPv4 or IPv6 prefix" },
	{ "2001:db8:::/48", "not an IPv4 or IPv6 prefix" },
	{ "10.0.0.0/", "bad prefix length" },
	{ "10.0.0.0/-1", "bad prefix length" },
	{ "10.0.0.0/+8", "bad prefix length" },
	{ "10.0.0.0/8x", "bad prefix length" },
	{ "10.0.0.0/8 ", "bad prefix length" },
	{ "10.0.0.0/0x8", "bad prefix length" },
	{ "10.0.0.0/8/8", "bad prefix length" },
	{ "1234567890123456789012345678901234567890123456789/8", "not an IPv4 or IPv6 prefix" },
};

static void test_prefix_good(void **state)
{
	char err[256], buf[64];
	uint8_t want[16];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(prefix_good); i++) {
		struct ft_prefix p;
		int rc;

		memset(&p, 0xaa, sizeof(p));
		rc = ft_parse_prefix(prefix_good[i].in, &p, err, sizeof(err));
		if (rc)
			fail_msg("ft_parse_prefix(\"%s\"): rc %d (%s)", prefix_good[i].in, rc, err);
		memset(want, 0, sizeof(want));
		assert_int_equal(inet_pton(prefix_good[i].family, prefix_good[i].addr, want), 1);
		if (p.family != prefix_good[i].family || p.len != prefix_good[i].len)
			fail_msg("\"%s\": got family %d len %d, want %d/%d", prefix_good[i].in,
				 p.family, p.len, prefix_good[i].family, prefix_good[i].len);
		/* IPv4 leaves addr[4..15] zero, so structs compare byte-wise */
		if (memcmp(p.addr, want, sizeof(want)))
			fail_msg("\"%s\": wrong address bytes", prefix_good[i].in);

		/* round trip through the formatter */
		struct ft_prefix q;

		ft_format_prefix(&p, buf, sizeof(buf));
		assert_int_equal(ft_parse_prefix(buf, &q, err, sizeof(err)), 0);
		assert_memory_equal(&p, &q, sizeof(p));
	}
}

static void test_prefix_bad(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(prefix_bad); i++) {
		struct ft_prefix p, sentinel;
		int rc;

		memset(&p, 0x5a, sizeof(p));
		sentinel = p;
		err[0] = '\0';
		rc = ft_parse_prefix(prefix_bad[i].in, &p, err, sizeof(err));
		check_err("ft_parse_prefix", prefix_bad[i].in, rc, err, prefix_bad[i].err);
		/* a failed parse leaves the output alone */
		assert_memory_equal(&p, &sentinel, sizeof(p));
	}
}

static void test_prefix_every_length(void **state)
{
	char in[64], err[256];
	struct ft_prefix p;
	int len;

	(void)state;
	for (len = 0; len <= 32; len++) {
		snprintf(in, sizeof(in), "0.0.0.0/%d", len);
		assert_int_equal(ft_parse_prefix(in, &p, err, sizeof(err)), 0);
		assert_int_equal(p.len, len);
		/* the lowest bit inside the prefix is a network bit, the next a host bit */
		if (len) {
			uint32_t a = htonl(1u << (32 - len));

			inet_ntop(AF_INET, &a, in, sizeof(in));
			snprintf(in + strlen(in), 8, "/%d", len);
			assert_int_equal(ft_parse_prefix(in, &p, err, sizeof(err)), 0);
		}
		if (len < 32) {
			uint32_t a = htonl(1u << (31 - len));

			inet_ntop(AF_INET, &a, in, sizeof(in));
			snprintf(in + strlen(in), 8, "/%d", len);
			assert_int_equal(ft_parse_prefix(in, &p, err, sizeof(err)), -EINVAL);
		}
	}
	for (len = 0; len <= 128; len++) {
		uint8_t a[16] = { 0 };

		snprintf(in, sizeof(in), "::/%d", len);
		assert_int_equal(ft_parse_prefix(in, &p, err, sizeof(err)), 0);
		assert_int_equal(p.len, len);
		if (len < 128) {
			a[len / 8] = (uint8_t)(0x80 >> (len % 8));
			inet_ntop(AF_INET6, a, in, sizeof(in));
			snprintf(in + strlen(in), 8, "/%d", len);
			assert_int_equal(ft_parse_prefix(in, &p, err, sizeof(err)), -EINVAL);
		}
	}
}

/* ---- port ranges ---------------------------------------------------- */

static const struct {
	const char *in;
	int lo, hi;
} port_good[] = {
	{ "0", 0, 0 },
	{ "80", 80, 80 },
	{ "65535", 65535, 65535 },
	{ "1024-65535", 1024, 65535 },
	{ "0-65535", 0, 65535 },
	{ "5060-5061", 5060, 5061 },
	{ "80-80", 80, 80 },
	{ "00022", 22, 22 },
};

static const struct {
	const char *in;
	const char *err;
} port_bad[] = {
	{ "", "empty" },
	{ "65536", "out of range" },
	{ "70000", "out of range" },
	{ "1-65536", "out of range" },
	{ "99999999999999999999999", "out of range" },
	{ "90-80", "did you mean \"80-90\"" },
	{ "65535-0", "reversed" },
	{ "-1", "bad port range" },
	{ "80-", "bad port range" },
	{ "-80", "bad port range" },
	{ "abc", "bad port range" },
	{ "8 0", "bad port range" },
	{ " 80", "bad port range" },
	{ "1-2-3", "bad port range" },
	{ "+80", "bad port range" },
	{ "0x50", "bad port range" },
	{ "1024:65535", "bad port range" },
};

static void test_port_range(void **state)
{
	struct ft_range r, sentinel = { 7, 7 };
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < ARRAY_LEN(port_good); i++) {
		rc = ft_parse_port_range(port_good[i].in, &r, err, sizeof(err));
		if (rc || r.lo != port_good[i].lo || r.hi != port_good[i].hi)
			fail_msg("\"%s\": rc %d got %u-%u want %d-%d", port_good[i].in, rc, r.lo,
				 r.hi, port_good[i].lo, port_good[i].hi);
	}
	for (i = 0; i < ARRAY_LEN(port_bad); i++) {
		r = sentinel;
		rc = ft_parse_port_range(port_bad[i].in, &r, err, sizeof(err));
		check_err("ft_parse_port_range", port_bad[i].in, rc, err, port_bad[i].err);
		assert_int_equal(r.lo, 7);
		assert_int_equal(r.hi, 7);
	}
}

/* ---- DSCP and protocols --------------------------------------------- */

static const struct {
	const char *in;
	int val;
} dscp_good[] = {
	{ "EF", 46 }, { "ef", 46 }, { "Ef", 46 }, { "AF41", 34 }, { "af41", 34 },
	{ "AF11", 10 }, { "AF12", 12 }, { "AF13", 14 }, { "AF21", 18 }, { "AF22", 20 },
	{ "AF23", 22 }, { "AF31", 26 }, { "AF32", 28 }, { "AF33", 30 }, { "AF42", 36 },
	{ "AF43", 38 }, { "CS0", 0 }, { "CS1", 8 }, { "cs2", 16 }, { "CS3", 24 },
	{ "CS4", 32 }, { "CS5", 40 }, { "CS6", 48 }, { "CS7", 56 }, { "VA", 44 },
	{ "LE", 1 }, { "DF", 0 }, { "be", 0 }, { "0", 0 }, { "63", 63 },
	{ "46", 46 }, { "0x2e", 46 },
};

static const struct {
	const char *in;
	const char *err;
} dscp_bad[] = {
	{ "", "empty" },
	{ "64", "out of range" },
	{ "0x40", "out of range" },
	{ "255", "out of range" },
	{ "AF14", "unknown DSCP name" },
	{ "AF51", "unknown DSCP name" },
	{ "CS8", "unknown DSCP name" },
	{ "E F", "unknown DSCP name" },
	{ "-1", "unknown DSCP name" },
	{ "46x", "bad DSCP" },
};

static void test_dscp(void **state)
{
	char err[256];
	size_t i;
	int v, rc;

	(void)state;
	for (i = 0; i < ARRAY_LEN(dscp_good); i++) {
		v = -1;
		rc = ft_parse_dscp(dscp_good[i].in, &v, err, sizeof(err));
		if (rc || v != dscp_good[i].val)
			fail_msg("\"%s\": rc %d got %d want %d", dscp_good[i].in, rc, v,
				 dscp_good[i].val);
	}
	for (i = 0; i < ARRAY_LEN(dscp_bad); i++) {
		v = 99;
		rc = ft_parse_dscp(dscp_bad[i].in, &v, err, sizeof(err));
		check_err("ft_parse_dscp", dscp_bad[i].in, rc, err, dscp_bad[i].err);
		assert_int_equal(v, 99);
	}
}

static void test_dscp_name(void **state)
{
	char err[256];
	int v, named = 0;

	(void)state;
	assert_string_equal(ft_dscp_name(46), "EF");
	assert_string_equal(ft_dscp_name(34), "AF41");
	assert_string_equal(ft_dscp_name(8), "CS1");
	assert_string_equal(ft_dscp_name(0), "CS0");
	assert_string_equal(ft_dscp_name(1), "LE");
	assert_string_equal(ft_dscp_name(44), "VA");
	assert_null(ft_dscp_name(3));
	assert_null(ft_dscp_name(-1));
	assert_null(ft_dscp_name(64));
	/* every name parses back to its value */
	for (v = 0; v < 64; v++) {
		const char *n = ft_dscp_name(v);
		int back;

		if (!n)
			continue;
		named++;
		assert_int_equal(ft_parse_dscp(n, &back, err, sizeof(err)), 0);
		assert_int_equal(back, v);
	}
	assert_int_equal(named, 8 + 12 + 3);	/* CSn, AFxy, EF VA LE */
}

static const struct {
	const char *in;
	int val;
} proto_good[] = {
	{ "tcp", 6 }, { "TCP", 6 }, { "udp", 17 }, { "Udp", 17 },
	{ "icmp", 1 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 },
	{ "udplite", 136 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
	{ "0", 0 }, { "255", 255 }, { "17", 17 }, { "0x11", 17 },
};

static const struct {
	const char *in;
	const char *err;
} proto_bad[] = {
	{ "", "empty" }, { "256", "out of range" }, { "1000", "out of range" },
	{ "tcpp", "unknown protocol" }, { "-1", "unknown protocol" }, { "6x", "bad protocol" },
	{ "tc p", "unknown protocol" },
};

static void test_proto(void **state)
{
	char err[256];
	size_t i;
	int v, rc;

	(void)state;
	for (i = 0; i < ARRAY_LEN(proto_good); i++) {
		v = -1;
		rc = ft_parse_proto(proto_good[i].in, &v, err, sizeof(err));
		if (rc || v != proto_good[i].val)
			fail_msg("\"%s\": rc %d got %d want %d", proto_good[i].in, rc, v,
				 proto_good[i].val);
	}
	for (i = 0; i < ARRAY_LEN(proto_bad); i++) {
		v = 999;
		rc = ft_parse_proto(proto_bad[i].in, &v, err, sizeof(err));
		check_err("ft_parse_proto", proto_bad[i].in, rc, err, proto_bad[i].err);
		assert_int_equal(v, 999);
	}
	assert_string_equal(ft_proto_name(6), "tcp");
	assert_string_equal(ft_proto_name(17), "udp");
	assert_string_equal(ft_proto_name(58), "icmpv6");
	assert_string_equal(ft_proto_name(132), "sctp");
	assert_null(ft_proto_name(200));
	for (v = 0; v < 256; v++) {
		const char *n = ft_proto_name(v);
		int back;

		if (!n)
			continue;
		assert_int_equal(ft_parse_proto(n, &back, err, sizeof(err)), 0);
		assert_int_equal(back, v);
	}
}

/* ---- tc handles ----------------------------------------------------- */

static const struct {
	const char *in;
	uint32_t val;
} tc_good[] = {
	{ "1:10", 0x00010010 },
	{ "1:", 0x00010000 },
	{ "ffff:ffff", 0xffffffff },
	{ "FFFF:FFFF", 0xffffffff },
	{ "abcd:ef01", 0xabcdef01 },
	{ ":10", 0x00000010 },
	{ "0:", 0 },
	{ "0001:0010", 0x00010010 },
	{ "10", 10 },			/* plain integers are decimal ... */
	{ "0x10", 16 },			/* ... unless 0x-prefixed */
	{ "0", 0 },
	{ "4294967295", 0xffffffff },
	{ "0xffffffff", 0xffffffff },
};

static const char *const tc_bad[] = {
	":", "10000:1", "1:10000", "1:g", "g:1", "1:10:1", "1::", "4294967296",
	"0x100000000", "-1", "1 :10", "1: 10", "0x1:10", "root", "none", "1.5",
};

static void test_tc_handle(void **state)
{
	uint32_t v, back;
	char err[256], buf[32];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < ARRAY_LEN(tc_good); i++) {
		v = 12345;
		rc = ft_parse_tc_handle(tc_good[i].in, &v, err, sizeof(err));
		if (rc || v != tc_good[i].val)
			fail_msg("\"%s\": rc %d got 0x%x want 0x%x", tc_good[i].in, rc, v,
				 tc_good[i].val);
	}
	for (i = 0; i < ARRAY_LEN(tc_bad); i++) {
		v = 12345;
		rc = ft_parse_tc_handle(tc_bad[i], &v, err, sizeof(err));
		check_err("ft_parse_tc_handle", tc_bad[i], rc, err, "bad priority");
		assert_int_equal(v, 12345);
	}
	check_err("ft_parse_tc_handle", "", ft_parse_tc_handle("", &v, err, sizeof(err)), err,
		  "empty");

	assert_string_equal(ft_format_tc_handle(0x00010010, buf, sizeof(buf)), "1:10");
	assert_string_equal(ft_format_tc_handle(0x00010000, buf, sizeof(buf)), "1:");
	assert_string_equal(ft_format_tc_handle(0xffffffff, buf, sizeof(buf)), "ffff:ffff");
	assert_string_equal(ft_format_tc_handle(0x00000010, buf, sizeof(buf)), ":10");
	assert_string_equal(ft_format_tc_handle(0, buf, sizeof(buf)), "0:");
	/* what we print we parse; stride through the 32-bit space */
	for (uint64_t h = 0; h <= 0xffffffffull; h += 0x10003) {
		ft_format_tc_handle((uint32_t)h, buf, sizeof(buf));
		assert_int_equal(ft_parse_tc_handle(buf, &back, err, sizeof(err)), 0);
		assert_int_equal(back, (uint32_t)h);
	}
}

/* ---- TCP flags ------------------------------------------------------ */

static const struct {
	const char *in;
	uint8_t val, mask;
} tcpfl_good[] = {
	{ "syn", 0x02, 0x02 },
	{ "SYN", 0x02, 0x02 },
	{ "syn,ack", 0x12, 0x12 },
	{ "syn|ack", 0x12, 0x12 },
	{ "syn, ack", 0x12, 0x12 },
	{ "syn/syn,ack", 0x02, 0x12 },
	{ "syn / syn|ack", 0x02, 0x12 },
	{ "/rst", 0x00, 0x04 },
	{ "fin,syn,rst,psh,ack,urg,ece,cwr", 0xff, 0xff },
	{ "cwr", 0x80, 0x80 },
	{ "fin", 0x01, 0x01 },
	{ "syn,syn", 0x02, 0x02 },
};

static const struct {
	const char *in;
	const char *err;
} tcpfl_bad[] = {
	{ "", "empty" },
	{ "syx", "unknown flag 'syx'" },
	{ "syn/ack", "must also be examined" },
	{ "/", "no flag is examined" },
	{ "syn/", "no flag is examined" },
	{ "syn,", "empty flag name" },
	{ ",syn", "empty flag name" },
	{ "syn ack", "expected ','" },
	{ "syn//ack", "unknown flag '/ack'" },
	{ "synack", "unknown flag 'synack'" },
	{ "0x02", "unknown flag" },
};

static void test_tcp_flags(void **state)
{
	uint8_t v, m;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < ARRAY_LEN(tcpfl_good); i++) {
		v = m = 0xee;
		rc = ft_parse_tcp_flags(tcpfl_good[i].in, &v, &m, err, sizeof(err));
		if (rc || v != tcpfl_good[i].val || m != tcpfl_good[i].mask)
			fail_msg("\"%s\": rc %d got %02x/%02x want %02x/%02x", tcpfl_good[i].in, rc,
				 v, m, tcpfl_good[i].val, tcpfl_good[i].mask);
	}
	for (i = 0; i < ARRAY_LEN(tcpfl_bad); i++) {
		v = m = 0xee;
		rc = ft_parse_tcp_flags(tcpfl_bad[i].in, &v, &m, err, sizeof(err));
		check_err("ft_parse_tcp_flags", tcpfl_bad[i].in, rc, err, tcpfl_bad[i].err);
		assert_int_equal(v, 0xee);
		assert_int_equal(m, 0xee);
	}
}

/* ---- rates and sizes (tc notation) ---------------------------------- */

static void test_rate(void **state)
{
	static const struct {
		const char *in;
		uint64_t bytes;		/* per second */
	} good[] = {
		{ "100mbit", 12500000 }, { "1.5gbit", 187500000 }, { "8bit", 1 },
		{ "64kbit", 8000 }, { "1Mbit", 125000 }, { "1mibit", 131072 },
		{ "10bps", 10 }, { "2mbps", 2000000 }, { "1tbit", 125000000000ULL },
		{ ".5mbit", 62500 },
	};
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
		{ "100", "has no unit" }, { "mbit", "is not a rate" }, { "", "is not a rate" },
		{ "-1mbit", "is not a rate" }, { "10furlongs", "unknown rate unit" },
		{ "1bit", "below 8 bit/s" }, { "0mbit", "below 8 bit/s" },
		{ "9tbps", "above 8 Tbit/s" }, { "10 mbit", "unknown rate unit" },
		{ "nanmbit", "is not a rate" },
	};
	char err[128], buf[32];
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(good); i++) {
		if (ft_parse_rate(good[i].in, &v, err, sizeof(err)))
			fail_msg("ft_parse_rate(\"%s\"): %s", good[i].in, err);
		if (v != good[i].bytes)
			fail_msg("ft_parse_rate(\"%s\"): got %llu, want %llu bytes/s", good[i].in,
				 (unsigned long long)v, (unsigned long long)good[i].bytes);
	}
	for (i = 0; i < ARRAY_LEN(bad); i++)
		check_err("ft_parse_rate", bad[i].in, ft_parse_rate(bad[i].in, &v, err, sizeof(err)),
			  err, bad[i].why);
	/* format/parse round trip */
	assert_string_equal(ft_format_rate(12500000, buf, sizeof(buf)), "100mbit");
	assert_string_equal(ft_format_rate(1000, buf, sizeof(buf)), "8kbit");
	assert_string_equal(ft_format_rate(3, buf, sizeof(buf)), "24bit");
	assert_int_equal(ft_parse_rate(ft_format_rate(187500000, buf, sizeof(buf)), &v, err,
				       sizeof(err)), 0);
	assert_int_equal(v, 187500000);
}

static void test_size(void **state)
{
	static const struct {
		const char *in;
		uint32_t bytes;
	} good[] = {
		{ "1514", 1514 }, { "15k", 15360 }, { "15kb", 15360 }, { "1m", 1048576 },
		{ "64kbit", 8192 }, { "1b", 1 },
	};
	static const char *const bad[] = { "0", "k", "5g", "12parsecs", "-3k" };
	char err[128];
	uint32_t v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(good); i++) {
		if (ft_parse_size(good[i].in, &v, err, sizeof(err)))
			fail_msg("ft_parse_size(\"%s\"): %s", good[i].in, err);
		if (v != good[i].bytes)
			fail_msg("ft_parse_size(\"%s\"): got %u, want %u", good[i].in, v,
				 good[i].bytes);
	}
	for (i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(ft_parse_size(bad[i], &v, err, sizeof(err)), -EINVAL);
}

/* ---- error buffer handling ------------------------------------------ */

/* Command-line paths: refused empty or at their limit, before any use (a
 * 5000-byte -c once gave a log line cut before its reason). */
static void test_path_arg(void **state)
{
	char err[96], *p = malloc(5001);

	(void)state;
	assert_non_null(p);
	assert_int_equal(ft_check_path_arg("/etc/flowtag/flowtag.conf", 4096, err, sizeof(err)), 0);
	assert_int_equal(ft_check_path_arg("", 4096, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the path is empty");
	memset(p, 'a', 4095);
	p[4095] = '\0';
	assert_int_equal(ft_check_path_arg(p, 4096, err, sizeof(err)), 0);
	memset(p, 'a', 5000);
	p[5000] = '\0';
	assert_int_equal(ft_check_path_arg(p, 4096, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the path is 5000 bytes long; at most 4095");
	p[FT_PIN_DIR_MAX] = '\0';
	assert_int_equal(ft_check_path_arg(p, FT_PIN_DIR_MAX, err, sizeof(err)), -EINVAL);
	free(p);
}

static void test_err_buffer(void **state)
{
	struct ft_prefix p;
	char small[8];
	int v;

	(void)state;
	/* no buffer at all is fine */
	assert_int_equal(ft_parse_prefix("x", &p, NULL, 0), -EINVAL);
	assert_int_equal(ft_parse_dscp("x", &v, NULL, 0), -EINVAL);
	/* a short buffer is truncated, and terminated */
	memset(small, 'z', sizeof(small));
	assert_int_equal(ft_parse_prefix("10.0.0.1/8", &p, small, sizeof(small)), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* UTF-8 as JSON and Prometheus want it (RFC 3629), and the repair of what is not. */
static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t bad; /* ft_utf8_check(), strlen(s) when valid */
		const char *fixed;
	} cases[] = {
		{ "", 0, "" },
		{ "voice", 5, "voice" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", 6, "\xe6\x97\xa5\xe6\x9c\xac" },
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
		{ "\xef\xbf\xbd", 3, "\xef\xbf\xbd" },			/* U+FFFD itself */
		{ "\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf" },		/* U+10FFFF */
		{ "caf\xe9", 3, "caf\xef\xbf\xbd" },			/* Latin-1 */
		{ "\x80x", 0, "\xef\xbf\xbdx" },			/* lone continuation */
		{ "a\xc0\xaf", 1, "a\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong '/' */
		{ "\xc1\xbf", 0, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe0\x80\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong, 3 */
		{ "\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf0\x80\x80\xaf", 0, NULL },			/* overlong, 4 */
		{ "\xf4\x90\x80\x80", 0, NULL },			/* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 0, NULL },
		{ "\xff", 0, "\xef\xbf\xbd" },
		{ "x\xe2\x82", 1, "x\xef\xbf\xbd\xef\xbf\xbd" },		/* cut short */
		{ "\xe2\x82x", 0, "\xef\xbf\xbd\xef\xbf\xbdx" },
	};
	size_t i;
	char *f;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s), bad = ft_utf8_check(cases[i].s, n);

		if (bad != cases[i].bad)
			fail_msg("case %zu: ft_utf8_check() %zu, want %zu", i, bad, cases[i].bad);
		f = ft_utf8_fix(cases[i].s);
		assert_non_null(f);
		assert_int_equal(ft_utf8_check(f, strlen(f)), strlen(f));
		if (cases[i].fixed)
			assert_string_equal(f, cases[i].fixed);
		free(f);
	}
	/* the length given counts, not a NUL */
	assert_int_equal(ft_utf8_check("ab\xc3\xa9", 3), 2);
	assert_int_equal(ft_utf8_check("a\0b", 3), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_good),
		cmocka_unit_test(test_prefix_bad),
		cmocka_unit_test(test_prefix_every_length),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_dscp),
		cmocka_unit_test(test_dscp_name),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_tc_handle),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_path_arg),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
