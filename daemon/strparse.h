/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * String parsers for the policy language: prefixes, port ranges, DSCP and
 * protocol names, tc handles, TCP flags, UTF-8. Pure functions: no I/O, no globals.
 * On failure they return -EINVAL and write a one-line reason (no file:line,
 * no trailing newline) into @err.
 */
#ifndef FLOWTAG_STRPARSE_H
#define FLOWTAG_STRPARSE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/**
 * ft_parse_prefix() - "198.18.0.0/15", "2001:db8::/32", or a bare address
 * (/32, /128). Host bits must be zero ("10.0.0.1/8" is refused, naming the
 * network the user probably meant).
 */
int ft_parse_prefix(const char *s, struct ft_prefix *out, char *err, size_t errlen);

/**
 * ft_parse_port_range() - "80" or "1024-65535" (inclusive, lo <= hi, 0..65535).
 */
int ft_parse_port_range(const char *s, struct ft_range *out, char *err, size_t errlen);

/**
 * ft_parse_dscp() - a DSCP name (CS0..CS7, AF11..AF43, EF, VA, LE, DF/BE,
 * case-insensitive) or a number 0..63.
 */
int ft_parse_dscp(const char *s, int *out, char *err, size_t errlen);

/**
 * ft_parse_proto() - an IP protocol name (tcp, udp, icmp, icmpv6/ipv6-icmp,
 * sctp, udplite, gre, esp, ah, ...; case-insensitive) or a number 0..255.
 */
int ft_parse_proto(const char *s, int *out, char *err, size_t errlen);

/**
 * ft_parse_tc_handle() - "major:minor" in hex as tc writes class ids
 * ("1:10" is 0x00010010, "1:" is 0x00010000), or a plain integer
 * (decimal or 0x-prefixed) used as skb->priority as is.
 */
int ft_parse_tc_handle(const char *s, uint32_t *out, char *err, size_t errlen);

/**
 * ft_parse_tcp_flags() - "syn", "syn,ack", "syn/syn,ack": the flags that
 * must be set, optionally "/" the flags examined (default: the same set).
 * Names: fin syn rst psh ack urg ece cwr, separated by ',' or '|'.
 */
int ft_parse_tcp_flags(const char *s, uint8_t *val, uint8_t *mask, char *err, size_t errlen);

/**
 * ft_parse_rate() - a rate in tc's notation: a decimal number (a fraction is
 * allowed: "1.5gbit") and a unit: bit, kbit, mbit, gbit, tbit (bits per
 * second, steps of 1000), kibit, mibit, gibit, tibit (steps of 1024), or
 * bps, kbps, mbps, gbps, tbps (BYTES per second, as tc(8) has it). A unit
 * is required: tc's bare number means bytes per second, which users
 * rarely mean.
 * @out: bytes per second, at least 1
 * Returns 0, or -EINVAL (not a rate, zero, or above 2^40 bytes/s).
 */
int ft_parse_rate(const char *s, uint64_t *out, char *err, size_t errlen);

/**
 * ft_parse_size() - a size in bytes as tc writes bursts: a number with an
 * optional unit b, k/kb, m/mb, g/gb (steps of 1024), or kbit, mbit, gbit
 * (bits, steps of 1024, divided by 8).
 * @out: bytes, 1 .. 2^32-1
 * Returns 0 or -EINVAL.
 */
int ft_parse_size(const char *s, uint32_t *out, char *err, size_t errlen);

/* Bytes a --pin-dir may have: room behind it for the pins' own names
 * (sets/NAME/..., xdp_link_IFNAME) within PATH_MAX. */
#define FT_PIN_DIR_MAX		(PATH_MAX - 128)

/**
 * ft_check_path_arg() - a path given on the command line, checked before
 * anything uses it: not empty, and below @max bytes (PATH_MAX, 4096, for
 * a file: the kernel refuses longer ones with ENAMETOOLONG, and a message
 * quoting it would be cut before its reason).
 * Returns 0, or -EINVAL with the reason in @err ("the path is 5006 bytes
 * long; at most 4095").
 */
int ft_check_path_arg(const char *path, size_t max, char *err, size_t errlen);

/* A path option of a command line, for ft_check_path_args(). */
struct ft_path_arg {
	const char *opt;		/* "-c", "--pin-dir", ... */
	const char *path;		/* NULL when not given */
	size_t max;			/* ft_check_path_arg()'s bound */
};

/**
 * ft_check_path_args() - ft_check_path_arg() for each of the @n options
 * @a that were given. Returns 0, or -EINVAL with the first refused one in
 * @err ("-c: the path is 5006 bytes long; at most 4095").
 */
int ft_check_path_args(const struct ft_path_arg *a, size_t n, char *err, size_t errlen);

/**
 * ft_utf8_check() - the offset of the first byte of the @n at @s that is not
 * part of a valid UTF-8 sequence (RFC 3629: no overlong form, no surrogate,
 * nothing above U+10FFFF, no sequence cut short), or @n when there is none.
 * JSON and the Prometheus text format carry UTF-8 only.
 */
size_t ft_utf8_check(const char *s, size_t n);

/**
 * ft_utf8_fix() - a malloc'ed copy of the string @s in which each byte
 * ft_utf8_check() would stop at is U+FFFD, the replacement character; NULL
 * when memory runs out.
 */
char *ft_utf8_fix(const char *s);

/** ft_format_rate() - "100mbit" style (bits/s, the largest exact unit) into @buf. */
char *ft_format_rate(uint64_t bytes_per_sec, char *buf, size_t len);

/** ft_dscp_name() - "EF", "AF41", "CS1", ... or NULL for an unnamed value. */
const char *ft_dscp_name(int dscp);

/** ft_proto_name() - "tcp", "udp", ... or NULL for an unnamed protocol. */
const char *ft_proto_name(int proto);

/** ft_format_tc_handle() - "1:10" style, into @buf. Returns @buf. */
char *ft_format_tc_handle(uint32_t handle, char *buf, size_t len);

/** ft_format_prefix() - "10.0.0.0/8" / "2001:db8::/32", into @buf. Returns @buf. */
char *ft_format_prefix(const struct ft_prefix *p, char *buf, size_t len);

#endif /* FLOWTAG_STRPARSE_H */
