// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The real XDP and tc programs on crafted packets (bpf_prog_test_run_opts).
 * Needs root. Every case checks the XDP verdict and the metadata it wrote
 * against the compiled policy, the reference evaluator, and the tc
 * fallback's verdict for the same packet (same class, mark under the mask).
 */
#define _GNU_SOURCE	/* unshare(), setns(): test_devs_collision() */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "bpf/harness.h"
#include "bpf/pkt.h"
#include "attach.h"
#include "dynset.h"
#include "pinned_write.h"
#include "pktmut.h"
#include "randpol.h"
#include "refpkt.h"
#include "strparse.h"

#define MASK		0x0000ff00u
#define OTHER_BITS	0xdead00efu	/* somebody else's mark bits: must survive */
#define OLD_PRIO	7u

static const char policy_main[] =
	"interfaces = ( { name = \"lo\"; } );\n"
	"mark_mask = 0x0000ff00;\n"
	"classes = (\n"
	"  { name = \"voice\";  mark = 0x100; priority = \"1:10\"; },\n"
	"  { name = \"video\";  mark = 0x200; priority = \"1:20\"; dscp = \"AF41\"; },\n"
	"  { name = \"ssh\";    mark = 0x300; priority = \"1:30\"; },\n"
	"  { name = \"web\";    mark = 0x400; priority = \"1:40\"; },\n"
	"  { name = \"net8\";   mark = 0x500; },\n"
	"  { name = \"net24\";  mark = 0x600; },\n"
	"  { name = \"host32\"; mark = 0x700; },\n"
	"  { name = \"v6_32\";  mark = 0x800; },\n"
	"  { name = \"v6_48\";  mark = 0x900; },\n"
	"  { name = \"v6_128\"; mark = 0xa00; },\n"
	"  { name = \"ef\";     mark = 0xb00; priority = \"1:5\"; },\n"
	"  { name = \"vlan\";   mark = 0xc00; },\n"
	"  { name = \"icmp\";   mark = 0xd00; },\n"
	"  { name = \"sctp\";   mark = 0xe00; },\n"
	"  { name = \"syn\";    mark = 0x1000; },\n"
	"  { name = \"default\"; mark = 0xf00; priority = \"1:ff\"; }\n"
	");\n"
	"rules = (\n"
	"  { name = \"vlan100\"; match = { vlan = 100; }; class = \"vlan\"; },\n"
	"  { name = \"drop-host\"; match = { src = \"198.51.100.7\"; }; action = \"drop\"; },\n"
	"  { name = \"pass-net\"; match = { src = \"198.51.100.0/24\"; proto = \"udp\"; }; action = \"pass\"; },\n"
	"  { name = \"sip\"; match = { proto = \"udp\"; dport = \"5060-5061\"; }; class = \"voice\"; },\n"
	"  { name = \"rtp\"; match = { proto = \"udp\"; dport = (\"10000-10999\", 3478); }; class = \"video\"; },\n"
	"  { name = \"ssh\"; match = { proto = \"tcp\"; dport = 22; }; class = \"ssh\"; },\n"
	"  { name = \"ef\"; match = { dscp = \"EF\"; }; class = \"ef\"; },\n"
	"  { name = \"host32\"; match = { dst = \"203.0.113.9/32\"; }; class = \"host32\"; },\n"
	"  { name = \"net24\"; match = { dst = \"203.0.113.0/24\"; }; class = \"net24\"; },\n"
	"  { name = \"net8\"; match = { dst = \"203.0.0.0/8\"; }; class = \"net8\"; },\n"
	"  { name = \"ten8\"; match = { dst = \"10.0.0.0/8\"; }; class = \"net8\"; },\n"
	"  { name = \"ten24\"; match = { dst = \"10.1.2.0/24\"; }; class = \"net24\"; },\n"
	"  { name = \"ten32\"; match = { dst = \"10.1.2.3/32\"; }; class = \"host32\"; },\n"
	"  { name = \"v6-https\"; match = { dst = \"2001:db8::/32\"; proto = \"tcp\"; dport = 443; }; class = \"web\"; },\n"
	"  { name = \"v6-128\"; match = { dst = \"2001:db8:1::1/128\"; }; class = \"v6_128\"; },\n"
	"  { name = \"v6-48\"; match = { dst = \"2001:db8:1::/48\"; }; class = \"v6_48\"; },\n"
	"  { name = \"v6-32\"; match = { dst = \"2001:db8::/32\"; }; class = \"v6_32\"; },\n"
	"  { name = \"fd00-8\"; match = { dst = \"fd00::/8\"; }; class = \"v6_32\"; },\n"
	"  { name = \"fd00-32\"; match = { dst = \"fd00:1::/32\"; }; class = \"v6_48\"; },\n"
	"  { name = \"icmp\"; match = { proto = \"icmp\"; }; class = \"icmp\"; },\n"
	"  { name = \"icmpv6\"; match = { proto = \"icmpv6\"; family = \"ipv6\"; }; class = \"icmp\"; },\n"
	"  { name = \"sctp9\"; match = { proto = \"sctp\"; dport = 9; }; class = \"sctp\"; },\n"
	"  { name = \"syn80\"; match = { proto = \"tcp\"; dport = 80; tcp_flags = \"syn/syn,ack\"; }; class = \"syn\"; },\n"
	"  { name = \"web\"; match = { proto = \"tcp\"; dport = [80, 8080]; }; class = \"web\"; },\n"
	"  { name = \"drop-v6\"; match = { src = \"2001:db8:dead::/48\"; }; action = \"drop\"; },\n"
	"  { name = \"lo-udp7\"; match = { iif = \"lo\"; proto = \"udp\"; sport = 7; }; class = \"ef\"; }\n"
	");\n"
	"default_class = \"default\";\n";

/* no rule matches: the default class */
#define DEFAULT NULL

/*
 * One packet and what must become of it, in one row (as the kernel's
 * prog_tests/flow_dissector.c has them): the name of the rule that must
 * match it, so a rule added to the policy renumbers nothing here, and the
 * class it must end up in.
 */
struct dp_case {
	const char *name;
	struct pkt_spec pkt;
	const char *rule;	/* name of the rule that must match, DEFAULT: none */
	const char *expect;	/* what becomes of it: a class, "drop" or "untagged" */
	__u32 xdp_ret;		/* expected XDP verdict */
};

#define V4(s, d) .family = AF_INET, .src = s, .dst = d
#define V6(s, d) .family = AF_INET6, .src = s, .dst = d
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = sp, .dport = dp
#define TCP(sp, dp) .proto = IPPROTO_TCP, .sport = sp, .dport = dp, .tcp_flags = 0x10
#define C4 "192.0.2.1"
#define C6 "2001:db8:ffff::1"

static const struct dp_case cases[] = {
	/* L4 protocols over IPv4 */
	{ "ipv4 udp voice", { V4(C4, "192.0.2.2"), UDP(40000, 5060) }, "sip", "voice", XDP_PASS },
	{ "ipv4 tcp ssh", { V4(C4, "192.0.2.2"), TCP(40000, 22) }, "ssh", "ssh", XDP_PASS },
	{ "ipv4 icmp", { V4(C4, "192.0.2.2"), .proto = IPPROTO_ICMP }, "icmp", "icmp", XDP_PASS },
	{ "ipv4 sctp", { V4(C4, "192.0.2.2"), .proto = IPPROTO_SCTP, .sport = 1, .dport = 9 },
	  "sctp9", "sctp", XDP_PASS },
	{ "ipv4 sctp other port", { V4(C4, "192.0.2.2"), .proto = IPPROTO_SCTP, .dport = 10 },
	  DEFAULT, "default", XDP_PASS },
	{ "ipv4 gre (no ports)", { V4(C4, "192.0.2.2"), .proto = 47 },
	  DEFAULT, "default", XDP_PASS },
	{ "ipv4 with 40 bytes of options", { V4(C4, "192.0.2.2"), UDP(1, 5061), .ip4_optlen = 40 },
	  "sip", "voice", XDP_PASS },
	{ "ipv4 with 4 bytes of options", { V4(C4, "192.0.2.2"), TCP(1, 22), .ip4_optlen = 4 },
	  "ssh", "ssh", XDP_PASS },
	{ "ipv4 first fragment", { V4(C4, "192.0.2.2"), UDP(1, 5060), .frag = PKT_FRAG_FIRST,
				     .frag_id = 0x4242 }, "sip", "voice", XDP_PASS },
	{ "ipv4 unknown later fragment: no ports",
	  { V4(C4, "192.0.2.2"), UDP(1, 5060), .frag = PKT_FRAG_LATER, .frag_id = 0x9999 },
	  DEFAULT, "default", XDP_PASS },
	/* port range edges: 5060-5061 */
	{ "dport lo-1", { V4(C4, "192.0.2.2"), UDP(1, 5059) }, DEFAULT, "default", XDP_PASS },
	{ "dport lo", { V4(C4, "192.0.2.2"), UDP(1, 5060) }, "sip", "voice", XDP_PASS },
	{ "dport hi", { V4(C4, "192.0.2.2"), UDP(1, 5061) }, "sip", "voice", XDP_PASS },
	{ "dport hi+1", { V4(C4, "192.0.2.2"), UDP(1, 5062) }, DEFAULT, "default", XDP_PASS },
	{ "dport list: range lo", { V4(C4, "192.0.2.2"), UDP(1, 10000) },
	  "rtp", "video", XDP_PASS },
	{ "dport list: range hi", { V4(C4, "192.0.2.2"), UDP(1, 10999) },
	  "rtp", "video", XDP_PASS },
	{ "dport list: hi+1", { V4(C4, "192.0.2.2"), UDP(1, 11000) },
	  DEFAULT, "default", XDP_PASS },
	{ "dport list: single", { V4(C4, "192.0.2.2"), UDP(1, 3478) }, "rtp", "video", XDP_PASS },
	{ "dport 0", { V4(C4, "192.0.2.2"), UDP(1, 0) }, DEFAULT, "default", XDP_PASS },
	{ "dport 65535", { V4(C4, "192.0.2.2"), UDP(1, 65535) }, DEFAULT, "default", XDP_PASS },
	{ "udp to the tcp port", { V4(C4, "192.0.2.2"), UDP(1, 22) },
	  DEFAULT, "default", XDP_PASS },
	/* rule order */
	{ "ssh beats EF (earlier rule)", { V4(C4, "192.0.2.2"), TCP(1, 22), .dscp = 46 },
	  "ssh", "ssh", XDP_PASS },
	{ "ssh beats dst /8 (earlier rule)", { V4(C4, "10.9.9.9"), TCP(1, 22) },
	  "ssh", "ssh", XDP_PASS },
	{ "vlan rule first", { V4(C4, "192.0.2.2"), TCP(1, 22), .nvlan = 1, .vlan = { 100 } },
	  "vlan100", "vlan", XDP_PASS },
	/* DSCP */
	{ "dscp EF", { V4(C4, "192.0.2.2"), UDP(1, 9), .dscp = 46 }, "ef", "ef", XDP_PASS },
	{ "dscp AF41 is not EF", { V4(C4, "192.0.2.2"), UDP(1, 9), .dscp = 34 }, DEFAULT, "default",
	  XDP_PASS },
	{ "ipv6 dscp EF", { V6(C6, "2001:db9::1"), UDP(1, 9), .dscp = 46 }, "ef", "ef", XDP_PASS },
	/* prefix specificity, most specific rule first */
	{ "v4 /32 first", { V4(C4, "203.0.113.9"), UDP(1, 9) }, "host32", "host32", XDP_PASS },
	{ "v4 /24", { V4(C4, "203.0.113.10"), UDP(1, 9) }, "net24", "net24", XDP_PASS },
	{ "v4 /8", { V4(C4, "203.0.5.5"), UDP(1, 9) }, "net8", "net8", XDP_PASS },
	{ "v4 outside", { V4(C4, "204.0.113.9"), UDP(1, 9) }, DEFAULT, "default", XDP_PASS },
	/* ... and least specific first: the /8 shadows the longer ones */
	{ "v4 /8 shadows /32", { V4(C4, "10.1.2.3"), UDP(1, 9) }, "ten8", "net8", XDP_PASS },
	{ "v4 /8 shadows /24", { V4(C4, "10.1.2.4"), UDP(1, 9) }, "ten8", "net8", XDP_PASS },
	{ "v6 /128 first", { V6(C6, "2001:db8:1::1"), UDP(1, 9) }, "v6-128", "v6_128", XDP_PASS },
	{ "v6 /48", { V6(C6, "2001:db8:1::2"), UDP(1, 9) }, "v6-48", "v6_48", XDP_PASS },
	{ "v6 /32", { V6(C6, "2001:db8:2::1"), UDP(1, 9) }, "v6-32", "v6_32", XDP_PASS },
	{ "v6 /32 + tcp 443 first", { V6(C6, "2001:db8:1::1"), TCP(1, 443) },
	  "v6-https", "web", XDP_PASS },
	{ "v6 /8 shadows /32", { V6(C6, "fd00:1::5"), UDP(1, 9) }, "fd00-8", "v6_32", XDP_PASS },
	{ "v6 outside", { V6(C6, "2001:db9::1"), UDP(1, 9) }, DEFAULT, "default", XDP_PASS },
	/* IPv6 extension headers */
	{ "ipv6 tcp, no ext", { V6(C6, "2001:db8:2::1"), TCP(1, 443) },
	  "v6-https", "web", XDP_PASS },
	{ "ipv6 udp, no ext", { V6(C6, "2001:db9::1"), UDP(1, 5060) }, "sip", "voice", XDP_PASS },
	{ "ipv6 udp, hop-by-hop", { V6(C6, "2001:db9::1"), UDP(1, 5060), .ext = { 0 }, .next = 1 },
	  "sip", "voice", XDP_PASS },
	{ "ipv6 tcp, hbh+dst+routing",
	  { V6(C6, "2001:db9::1"), TCP(1, 22), .ext = { 0, 60, 43 }, .next = 3 },
	  "ssh", "ssh", XDP_PASS },
	{ "ipv6 udp, hbh+routing+dst",
	  { V6(C6, "2001:db9::1"), UDP(1, 5061), .ext = { 0, 43, 60 }, .next = 3 },
	  "sip", "voice", XDP_PASS },
	{ "ipv6 tcp, dst+ah", { V6(C6, "2001:db9::1"), TCP(1, 22), .ext = { 60, 51 }, .next = 2 },
	  "ssh", "ssh", XDP_PASS },
	{ "ipv6 first fragment",
	  { V6(C6, "2001:db9::1"), UDP(1, 5060), .ext = { 44 }, .next = 1, .frag = PKT_FRAG_FIRST,
	    .frag_id = 77 }, "sip", "voice", XDP_PASS },
	{ "ipv6 unknown later fragment",
	  { V6(C6, "2001:db9::1"), UDP(1, 5060), .ext = { 44 }, .next = 1, .frag = PKT_FRAG_LATER,
	    .frag_id = 78 }, DEFAULT, "default", XDP_PASS },
	{ "icmpv6", { V6(C6, "2001:db9::1"), .proto = IPPROTO_ICMPV6 },
	  "icmpv6", "icmp", XDP_PASS },
	{ "icmpv6 after hbh", { V6(C6, "2001:db9::1"), .proto = IPPROTO_ICMPV6, .ext = { 0 },
				  .next = 1 }, "icmpv6", "icmp", XDP_PASS },
	/* VLANs */
	{ "802.1Q vlan 100", { V4(C4, "192.0.2.2"), UDP(1, 9), .nvlan = 1, .vlan = { 100 } },
	  "vlan100", "vlan", XDP_PASS },
	{ "802.1Q vlan 101", { V4(C4, "192.0.2.2"), UDP(1, 5060), .nvlan = 1, .vlan = { 101 } },
	  "sip", "voice", XDP_PASS },
	{ "QinQ outer 100", { V4(C4, "192.0.2.2"), UDP(1, 9), .nvlan = 2, .vlan = { 100, 5 } },
	  "vlan100", "vlan", XDP_PASS },
	{ "QinQ inner 100 is not outer", { V4(C4, "192.0.2.2"), UDP(1, 9), .nvlan = 2,
					     .vlan = { 5, 100 } }, DEFAULT, "default", XDP_PASS },
	{ "QinQ ipv6 tcp", { V6(C6, "2001:db9::1"), TCP(1, 22), .nvlan = 2, .vlan = { 7, 8 } },
	  "ssh", "ssh", XDP_PASS },
	/* drop and pass */
	{ "drop v4 host", { V4("198.51.100.7", "192.0.2.2"), UDP(1, 5060) },
	  "drop-host", "drop", XDP_DROP },
	{ "pass rule: untagged", { V4("198.51.100.8", "192.0.2.2"), UDP(1, 5060) },
	  "pass-net", "untagged", XDP_PASS },
	{ "pass rule is udp only", { V4("198.51.100.8", "192.0.2.2"), TCP(1, 22) },
	  "ssh", "ssh", XDP_PASS },
	{ "drop v6 prefix", { V6("2001:db8:dead::5", "2001:db9::1"), UDP(1, 9) },
	  "drop-v6", "drop", XDP_DROP },
	/* TCP flags */
	{ "tcp syn to 80", { V4(C4, "192.0.2.2"), .proto = IPPROTO_TCP, .dport = 80,
			     .tcp_flags = 0x02 }, "syn80", "syn", XDP_PASS },
	{ "tcp syn+ack from 80 is not syn", { V4(C4, "192.0.2.2"), .proto = IPPROTO_TCP,
					      .dport = 80, .tcp_flags = 0x12 },
	  "web", "web", XDP_PASS },
	{ "tcp ack to 8080", { V4(C4, "192.0.2.2"), TCP(1, 8080) }, "web", "web", XDP_PASS },
	/* iif */
	{ "iif lo + udp sport 7", { V4(C4, "192.0.2.2"), UDP(7, 9) }, "lo-udp7", "ef", XDP_PASS },
	/* not IP: matches the rules without L3/L4 keys */
	{ "arp", { .family = 0 }, DEFAULT, "default", XDP_PASS },
	{ "arp on vlan 100", { .family = 0, .nvlan = 1, .vlan = { 100 } },
	  "vlan100", "vlan", XDP_PASS },
	{ "ethertype 0x0000", { .etype = PKT_ETYPE_ZERO }, DEFAULT, "default", XDP_PASS },
	{ "ethertype 0x0000 on vlan 100", { .etype = PKT_ETYPE_ZERO, .nvlan = 1, .vlan = { 100 } },
	  "vlan100", "vlan", XDP_PASS },
	{ "ethertype 0x0000 on QinQ 100", { .etype = PKT_ETYPE_ZERO, .nvlan = 2,
					    .vlan = { 100, 7 } }, "vlan100", "vlan", XDP_PASS },
	/* PPPoE session frames: the IP packet inside */
	{ "pppoe ipv4 udp voice", { .l2 = PKT_L2_PPPOE, V4(C4, "192.0.2.2"), UDP(1, 5060) },
	  "sip", "voice", XDP_PASS },
	{ "pppoe ipv4 drop host", { .l2 = PKT_L2_PPPOE, V4("198.51.100.7", "192.0.2.2"),
				    UDP(1, 9) }, "drop-host", "drop", XDP_DROP },
	{ "pppoe ipv6 tcp ssh", { .l2 = PKT_L2_PPPOE, V6(C6, "2001:db9::1"), TCP(1, 22) },
	  "ssh", "ssh", XDP_PASS },
	{ "pppoe ipv6 v6 /48", { .l2 = PKT_L2_PPPOE, V6(C6, "2001:db8:1::2"), UDP(1, 9) },
	  "v6-48", "v6_48", XDP_PASS },
	{ "pppoe on vlan 100", { .l2 = PKT_L2_PPPOE, V4(C4, "192.0.2.2"), UDP(1, 9), .nvlan = 1,
				 .vlan = { 100 } }, "vlan100", "vlan", XDP_PASS },
	{ "pppoe on vlan 101, ipv4 voice", { .l2 = PKT_L2_PPPOE, V4(C4, "192.0.2.2"), UDP(1, 5061),
					     .nvlan = 1, .vlan = { 101 } },
	  "sip", "voice", XDP_PASS },
	{ "pppoe lcp: not IP", { .l2 = PKT_L2_PPPOE, .ppp_proto = 0xc021 },
	  DEFAULT, "default", XDP_PASS },
	/* later fragments without their first one (reordered): the protocol
	 * when nothing sits behind the Fragment header, never ports */
	{ "ipv6 unknown later fragment of icmpv6: protocol known",
	  { V6(C6, "2001:db9::1"), .proto = IPPROTO_ICMPV6, .ext = { 44 }, .next = 1,
	    .frag = PKT_FRAG_LATER, .frag_id = 79 }, "icmpv6", "icmp", XDP_PASS },
	{ "ipv6 unknown later fragment behind dst opts: protocol unknown",
	  { V6(C6, "2001:db9::1"), .proto = IPPROTO_ICMPV6, .ext = { 44, 60 }, .next = 2,
	    .frag = PKT_FRAG_LATER, .frag_id = 80 }, DEFAULT, "default", XDP_PASS },
	{ "ipv4 unknown later fragment of icmp: protocol known",
	  { V4(C4, "192.0.2.2"), .proto = IPPROTO_ICMP, .frag = PKT_FRAG_LATER, .frag_id = 81 },
	  "icmp", "icmp", XDP_PASS },
	/* L3 devices (tun, wireguard, ppp, ip tunnels): the IP header first.
	 * XDP only here: the kernel's skb test run always strips an Ethernet
	 * header; tests/integration/test_l3.sh covers tc on real devices. */
	{ "l3 ipv4 udp voice", { .l2 = PKT_L2_NONE, V4(C4, "192.0.2.2"), UDP(1, 5060) },
	  "sip", "voice", XDP_PASS },
	{ "l3 ipv4 drop host", { .l2 = PKT_L2_NONE, V4("198.51.100.7", "192.0.2.2"), UDP(1, 53) },
	  "drop-host", "drop", XDP_DROP },
	{ "l3 ipv4 options tcp", { .l2 = PKT_L2_NONE, V4(C4, "10.9.9.9"), TCP(1, 22),
				   .ip4_optlen = 8 }, "ssh", "ssh", XDP_PASS },
	{ "l3 ipv4 default", { .l2 = PKT_L2_NONE, V4(C4, "192.0.2.2"), UDP(1, 53) },
	  DEFAULT, "default", XDP_PASS },
	{ "l3 ipv6 udp voice", { .l2 = PKT_L2_NONE, V6(C6, "2001:db9::1"), UDP(1, 5060) },
	  "sip", "voice", XDP_PASS },
	{ "l3 ipv6 hbh+dst tcp ssh", { .l2 = PKT_L2_NONE, V6(C6, "2001:db9::1"), TCP(1, 22),
				       .ext = { 0, 60 }, .next = 2 }, "ssh", "ssh", XDP_PASS },
	{ "l3 ipv6 drop prefix", { .l2 = PKT_L2_NONE, V6("2001:db8:dead::5", "2001:db9::1"),
				   UDP(1, 9) }, "drop-v6", "drop", XDP_DROP },
	{ "l3 ipv6 icmpv6", { .l2 = PKT_L2_NONE, V6(C6, "2001:db9::1"), .proto = IPPROTO_ICMPV6 },
	  "icmpv6", "icmp", XDP_PASS },
};

struct state {
	struct ft_loader l;
	struct ft_policy pol;
	struct ft_compiled c;
};

/*
 * Group setup. On failure it says which step failed and why (the libbpf and
 * verifier messages above it give the details), and leaves *st NULL so the
 * teardown has nothing to undo: cmocka runs the teardown even then.
 */
static int setup(void **st)
{
	static struct state s;
	int err;

	*st = NULL;
	if (geteuid() != 0) {
		fprintf(stderr, "setup: the BPF tests need root\n");
		return -1;
	}
	err = ft_loader_open(&s.l, NULL);
	if (err) {
		fprintf(stderr, "setup: loading the BPF objects failed: %s\n", strerror(-err));
		return -1;
	}
	err = ft_apply_text(&s.l, policy_main, &s.pol, &s.c);
	if (err) {
		fprintf(stderr, "setup: applying the test policy failed: %s\n", strerror(-err));
		ft_loader_close(&s.l);
		return -1;
	}
	*st = &s;
	return 0;
}

static int teardown(void **st)
{
	struct state *s = *st;

	if (!s)
		return 0;	/* setup failed and said why */
	ft_compiled_free(&s->c);
	ft_policy_free(&s->pol);
	ft_loader_close(&s->l);
	return 0;
}

/*
 * The reference evaluator's view of the first @len bytes of a test packet:
 * the semantics parse.h promises, written out independently. A field is
 * known when the whole fixed part of its header is in the packet.
 */
static struct ft_pkt_desc desc_len(const struct pkt_spec *p, size_t len)
{
	struct ft_pkt_desc d = { .ifindex = 1, .vlan = -1, .family = 0, .proto = -1, .sport = -1,
				 .dport = -1, .dscp = -1, .tcp_flags = -1 };
	size_t off = 0, l4len = 0;
	int i;

	if (p->l2 != PKT_L2_NONE) {
		if (len < 14)
			return d;
		off = 14;
		for (i = 0; i < p->nvlan; i++) {
			if (len < off + 4)
				return d;
			if (i == 0)
				d.vlan = p->vlan[0];
			off += 4;
		}
		if (p->l2 == PKT_L2_PPPOE) {
			if (len < off + 8)
				return d;
			off += 8;
		}
	}
	if (!p->family)
		return d;
	if (p->family == AF_INET) {
		if (len < off + 20)
			return d;
		d.family = AF_INET;
		inet_pton(AF_INET, p->src, d.src);
		inet_pton(AF_INET, p->dst, d.dst);
		d.proto = p->proto;
		d.dscp = p->dscp;
		off += 20 + p->ip4_optlen;
		if (len < off || p->frag == PKT_FRAG_LATER)
			return d;
	} else {
		if (len < off + 40)
			return d;
		d.family = AF_INET6;
		inet_pton(AF_INET6, p->src, d.src);
		inet_pton(AF_INET6, p->dst, d.dst);
		d.dscp = p->dscp;
		off += 40;
		for (i = 0; i < p->next; i++) {
			size_t sz = p->ext[i] == 44 ? 8 : 16;

			if (len < off + sz)
				return d;
			off += sz;
			if (p->ext[i] == 44 && p->frag == PKT_FRAG_LATER) {
				if (i == p->next - 1)
					d.proto = p->proto;	/* right behind Fragment */
				return d;
			}
		}
		d.proto = p->proto;
	}
	switch (p->proto) {
	case IPPROTO_TCP: l4len = 20; break;
	case IPPROTO_UDP: l4len = 8; break;
	case IPPROTO_SCTP: l4len = 12; break;
	default: return d;
	}
	if (len < off + l4len)
		return d;
	d.sport = p->sport;
	d.dport = p->dport;
	if (p->proto == IPPROTO_TCP)
		d.tcp_flags = p->tcp_flags;
	return d;
}

static struct ft_pkt_desc desc_of(const struct pkt_spec *p)
{
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(p, pkt, &hdr_end);

	return desc_len(p, len);
}

/*
 * Tell the programs that @ifindex has the link layer @l2 (FT_L2_*) with
 * flowtagd's own ft_link_record(): ft_links, then the interface's ft_devs
 * entry unless another interface holds it.
 */
static void set_link_on(struct state *s, __u32 ifindex, enum ft_l2 l2)
{
	assert_int_equal(ft_link_record(&s->l, ifindex, l2, l2 == FT_L2_NONE ? 65534 : 772), 0);
}

/* ft_state's l2_lookup: whether ft_xdp looks up the receiving interface's
 * link type (1) or takes st->l2 for every packet (0); l2 must say Ethernet. */
static __u32 state_l2_lookup(struct state *s)
{
	struct ft_state st;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(ft_loader_map_fd(&s->l, "ft_state"), &zero, &st), 0);
	assert_int_equal(st.l2, FT_L2_ETH);
	return st.l2_lookup;
}

/*
 * set_link_on() ifindex 1, the test runs' device (its ft_devs entry is free
 * or its own), the only interface in ft_links outside test_devs_collision():
 * ft_xdp looks link types up exactly while it is not Ethernet (the L3
 * cases would misparse otherwise; the Ethernet ones take the fast path).
 */
static void set_link(struct state *s, enum ft_l2 l2)
{
	set_link_on(s, 1, l2);
	assert_int_equal(state_l2_lookup(s), l2 != FT_L2_ETH);
}

/* The index of the rule called @name in the test policy, -1 for DEFAULT. */
static int rule_index(const struct state *s, const char *name)
{
	size_t r;

	if (!name)
		return -1;
	for (r = 0; r < s->pol.nrules; r++)
		if (!strcmp(s->pol.rules[r].name, name))
			return (int)r;
	fail_msg("the test policy has no rule called '%s'", name);
	return -1;
}

/* What verdict @v does to a packet, as the table says it: a class name, "drop", "untagged". */
static const char *verdict_name(const struct state *s, const struct ft_verdict *v)
{
	if (v->action == FT_ACT_DROP)
		return "drop";
	if (v->action == FT_ACT_PASS || (v->meta.flags & FT_META_F_NOTAG))
		return "untagged";
	return v->meta.class_id < s->pol.nclasses ? s->pol.classes[v->meta.class_id].name : "?";
}

/* The verdict of rule @rule, or the default verdict for -1. */
static const struct ft_verdict *expected_verdict(const struct ft_compiled *c, int rule)
{
	return rule < 0 ? &c->hdr.default_verdict : &c->rules[rule];
}

static int meta_equal(const struct flowtag_meta *a, const struct flowtag_meta *b)
{
	return a->magic_ver == b->magic_ver && a->mark == b->mark && a->priority == b->priority &&
	       a->class_id == b->class_id && a->rule_id == b->rule_id && a->flags == b->flags &&
	       a->dscp == b->dscp;
}

static void print_meta(const char *what, const struct flowtag_meta *m)
{
	fprintf(stderr, "#   %s: magic %#x mark %#x prio %#x class %u rule %u flags %#x dscp %u\n",
		what, m->magic_ver, m->mark, m->priority, m->class_id, m->rule_id, m->flags,
		m->dscp);
}

/* What check_packet() runs and expects besides the verdict. */
struct chk {
	size_t tc_min;		/* the skb test run refuses shorter frames */
	int vlan;		/* outer VLAN id in the frame XDP can read, -1 none */
	__u32 used_fields;	/* of the active policy */
	bool no_tc;		/* L3 device: the skb test run cannot do it */
};

/*
 * Run XDP and tc on one packet and check both against @v.
 * A drop verdict on a frame without a tag, under a policy that matches on
 * vlan, goes from XDP to tc as FT_META_F_DROP (the tag may be offloaded).
 * Returns the number of mismatches (0 = pass), printing got/want.
 */
static int check_packet(struct state *s, const char *name, const uint8_t *pkt, size_t len,
			const struct ft_verdict *v, const struct chk *k)
{
	struct xdp_result x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	struct tc_result t = { 0 };
	bool defer = v->action == FT_ACT_DROP && k->vlan < 0 &&
		     (k->used_fields & (1u << FT_F_VLAN));
	__u32 want_xdp = v->action == FT_ACT_DROP && !defer ? XDP_DROP : XDP_PASS;
	__u32 want_mark = OTHER_BITS, want_prio = OLD_PRIO;
	int want_tc = v->action == FT_ACT_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
	__u16 want_vlan = k->vlan < 0 ? FT_VLAN_NONE : (unsigned int)k->vlan;
	struct flowtag_meta want_meta = v->meta;
	size_t tc_min = k->tc_min;
	int bad = 0;

	if (defer)
		want_meta.flags |= FT_META_F_DROP;
	if (k->no_tc) {
		t.retval = want_tc;
		t.mark = OTHER_BITS;
		t.priority = OLD_PRIO;
		if (v->action != FT_ACT_DROP && !(v->meta.flags & FT_META_F_NOTAG)) {
			t.mark = (OTHER_BITS & ~MASK) | v->meta.mark;
			t.priority = v->meta.flags & FT_META_F_PRIO ? v->meta.priority : OLD_PRIO;
		}
	} else {
		t = ft_run_tc(ft_loader_tc_ingress_fd(&s->l), pkt, len, OTHER_BITS, OLD_PRIO);
	}

	/* the skb test run refuses frames shorter than their IP header */
	if (t.err == -EINVAL && len < tc_min) {
		t.err = 0;
		t.retval = want_tc = v->action == FT_ACT_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
		t.mark = OTHER_BITS;
		t.priority = OLD_PRIO;
		if (!(v->meta.flags & FT_META_F_NOTAG)) {
			t.mark = (OTHER_BITS & ~MASK) | v->meta.mark;
			t.priority = v->meta.flags & FT_META_F_PRIO ? v->meta.priority : OLD_PRIO;
		}
	}
	{
		/* the xdp.frags program must agree on every packet */
		struct xdp_result y = ft_run_xdp(ft_loader_xdp_fd(&s->l, true), pkt, len);

		if (y.err || y.retval != x.retval || y.meta_len != x.meta_len ||
		    (x.meta_len && (!meta_equal(&x.meta, &y.meta) || x.meta.vlan != y.meta.vlan))) {
			fprintf(stderr, "# %s (len %zu): xdp.frags disagrees with xdp\n", name, len);
			bad++;
		}
	}
	if (x.err || t.err) {
		fprintf(stderr, "# %s (len %zu): test run failed: xdp %d tc %d\n", name, len, x.err,
			t.err);
		return 1;
	}
	if (x.retval != want_xdp) {
		fprintf(stderr, "# %s (len %zu): XDP verdict got %u want %u\n", name, len, x.retval,
			want_xdp);
		bad++;
	}
	if (want_xdp == XDP_PASS) {
		if (x.meta_len != sizeof(struct flowtag_meta)) {
			fprintf(stderr, "# %s (len %zu): meta length got %u want %zu\n", name, len,
				x.meta_len, sizeof(struct flowtag_meta));
			bad++;
		} else if (!meta_equal(&x.meta, &want_meta)) {
			fprintf(stderr, "# %s (len %zu): metadata differs\n", name, len);
			print_meta("got ", &x.meta);
			print_meta("want", &want_meta);
			bad++;
		} else if (x.meta.vlan != want_vlan) {
			fprintf(stderr, "# %s (len %zu): meta vlan got %u want %u\n", name, len,
				x.meta.vlan, want_vlan);
			bad++;
		}
	}
	if (!(v->meta.flags & FT_META_F_NOTAG)) {
		want_mark = (OTHER_BITS & ~MASK) | v->meta.mark;
		if (v->meta.flags & FT_META_F_PRIO)
			want_prio = v->meta.priority;
	}
	if (t.retval != want_tc || (want_tc != TC_ACT_SHOT &&
				    (t.mark != want_mark || t.priority != want_prio))) {
		fprintf(stderr,
			"# %s (len %zu): tc fallback got ret %d mark %#x prio %#x, want ret %d "
			"mark %#x prio %#x\n", name, len, t.retval, t.mark, t.priority, want_tc,
			want_mark, want_prio);
		bad++;
	}
	return bad;
}

/* The table of cases through the active policy (s->c): failures. */
static int run_cases(struct state *s)
{
	int failures = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dp_case *tc = &cases[i];
		struct ft_pkt_desc d = desc_of(&tc->pkt);
		uint8_t pkt[PKT_MAX];
		size_t hdr_end, len = pkt_build(&tc->pkt, pkt, &hdr_end);
		int ref = ft_reference_match(&s->pol, &d), want = rule_index(s, tc->rule);
		const struct ft_verdict *v = expected_verdict(&s->c, want);
		struct chk k = { .vlan = d.vlan, .used_fields = s->c.hdr.used_fields,
				 .no_tc = tc->pkt.l2 == PKT_L2_NONE };

		/* the table, the reference evaluator and the compiler must agree */
		if (ref != want) {
			fprintf(stderr, "# %s: reference evaluator says rule %d (%s), table says %s\n",
				tc->name, ref, ref < 0 ? "none" : s->pol.rules[ref].name,
				tc->rule ? tc->rule : "none");
			failures++;
			continue;
		}
		if (strcmp(verdict_name(s, v), tc->expect)) {
			fprintf(stderr, "# %s: rule %s gives %s, the table expects %s\n", tc->name,
				tc->rule ? tc->rule : "none", verdict_name(s, v), tc->expect);
			failures++;
			continue;
		}
		if (v->action == FT_ACT_DROP && tc->xdp_ret != XDP_DROP) {
			fprintf(stderr, "# %s: table disagrees with the rule's action\n", tc->name);
			failures++;
			continue;
		}
		set_link(s, tc->pkt.l2 == PKT_L2_NONE ? FT_L2_NONE : FT_L2_ETH);
		failures += check_packet(s, tc->name, pkt, len, v, &k) ? 1 : 0;
		set_link(s, FT_L2_ETH);
	}
	return failures;
}

/* Whether ft_bmw holds word 0 of every bitmap of @c in the active slot. */
static bool bmw_holds(struct state *s, const struct ft_compiled *c)
{
	int fd = ft_loader_map_fd(&s->l, "ft_bmw");
	__u32 slot, gen, i, k;
	__u64 w;

	if (fd < 0 || ft_loader_state(&s->l, &slot, &gen))
		return false;
	for (i = 0; i < c->nbitmaps; i++) {
		k = slot * FT_BMW_MAX + i;
		if (bpf_map_lookup_elem(fd, &k, &w) || w != c->bitmaps[i].w[0]) {
			fprintf(stderr, "# ft_bmw[%u] of bitmap %u: %#llx, want %#llx\n", k, i,
				(unsigned long long)w, (unsigned long long)c->bitmaps[i].w[0]);
			return false;
		}
	}
	return true;
}

/* Whether ft_bmh holds the head (ft_bm_head_of()) of every bitmap of @c
 * in the active slot. */
static bool bmh_holds(struct state *s, const struct ft_compiled *c)
{
	int fd = ft_loader_map_fd(&s->l, "ft_bmh");
	struct ft_bm_head x, want;
	__u32 slot, gen, i, k;

	if (fd < 0 || ft_loader_state(&s->l, &slot, &gen))
		return false;
	for (i = 0; i < c->nbitmaps; i++) {
		k = slot * FT_BMW_MAX + i;
		want = ft_bm_head_of(c, i);
		if (bpf_map_lookup_elem(fd, &k, &x) || x.summary != want.summary ||
		    x.word != want.word) {
			fprintf(stderr, "# ft_bmh[%u] of bitmap %u: %#llx %#llx, want %#llx %#llx\n",
				k, i, (unsigned long long)x.summary, (unsigned long long)x.word,
				(unsigned long long)want.summary, (unsigned long long)want.word);
			return false;
		}
	}
	return true;
}

/* Whether ft_pfx4d and ft_pfx4 hold the prefix hashes of @c in the
 * active slot, for each field whose FT_POL_F_PFX4_* flag is set. */
static bool pfx4_holds(struct state *s, const struct ft_compiled *c)
{
	int dfd = ft_loader_map_fd(&s->l, "ft_pfx4d"), bfd = ft_loader_map_fd(&s->l, "ft_pfx4");
	struct ft_pfx4_bucket b;
	struct ft_pfx4_desc d;
	__u32 slot, gen, x, i, k;

	if (dfd < 0 || bfd < 0 || ft_loader_state(&s->l, &slot, &gen))
		return false;
	for (x = 0; x < 2; x++) {
		const struct ft_pfx4_table *t = x ? &c->dst4_pfx : &c->src4_pfx;

		if (!(c->hdr.flags & (x ? FT_POL_F_PFX4_DST : FT_POL_F_PFX4_SRC)))
			continue;
		k = slot * 2 + x;
		if (bpf_map_lookup_elem(dfd, &k, &d) || memcmp(&d, &t->d, sizeof(d))) {
			fprintf(stderr, "# ft_pfx4d[%u] differs from the compiled one\n", k);
			return false;
		}
		for (i = 0; i < t->nbuckets; i++) {
			k = (slot * 2 + x) * FT_PFX4_BUCKETS + i;
			if (bpf_map_lookup_elem(bfd, &k, &b) || memcmp(&b, &t->b[i], sizeof(b))) {
				fprintf(stderr, "# ft_pfx4[%u] differs from the compiled one\n", k);
				return false;
			}
		}
	}
	return true;
}

/*
 * Empty the prefix hash of field @x (0 src, 1 dst) in the active slot:
 * no table, so every IPv4 address gets the /0's bitmap index. Returns the
 * descriptor it replaced, for pfx4_restore(). Whether a verdict follows
 * shows that the data path reads the hash, not the field's table.
 */
static struct ft_pfx4_desc pfx4_hide(struct state *s, __u32 x)
{
	int fd = ft_loader_map_fd(&s->l, "ft_pfx4d");
	struct ft_pfx4_desc d, empty;
	__u32 slot, gen, k;

	assert_true(fd >= 0);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	k = slot * 2 + x;
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &d), 0);
	empty = d;
	empty.nlens = 0;
	assert_int_equal(bpf_map_update_elem(fd, &k, &empty, 0), 0);
	return d;
}

static void pfx4_restore(struct state *s, __u32 x, const struct ft_pfx4_desc *d)
{
	int fd = ft_loader_map_fd(&s->l, "ft_pfx4d");
	__u32 slot, gen, k;

	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	k = slot * 2 + x;
	assert_int_equal(bpf_map_update_elem(fd, &k, d, 0), 0);
}

/* The rule ft_xdp gives @p (FT_RULE_NONE: the default; -1: dropped). */
static int xdp_rule(struct state *s, const struct pkt_spec *p)
{
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(p, pkt, &hdr_end);
	struct xdp_result x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);

	assert_int_equal(x.err, 0);
	return x.retval == XDP_DROP ? -1 : x.meta.rule_id;
}

/*
 * The table through the three searches, each with the IPv4 prefix hashes
 * and with the DIR-16-8-8 tables: the test policy has fewer than 64 rules
 * and no dynamic set, so the compiler chose the one-word search
 * (FT_POL_F_WORD, ft_bmw), and its src and dst prefixes have few lengths
 * (FT_POL_F_PFX4_SRC / _DST); then the same policy with the heads instead
 * (FT_POL_F_HEADS, ft_bmh), and with neither, which the bitmaps of
 * ft_bm_o alone answer; then all three again from the tables.
 */
static void test_cases(void **st)
{
	static const __u32 search[] = { FT_POL_F_WORD, FT_POL_F_HEADS, 0 };
	const __u32 pfx4 = FT_POL_F_PFX4_SRC | FT_POL_F_PFX4_DST;
	struct state *s = *st;
	__u32 flags = s->c.hdr.flags;
	int failures = 0;
	size_t i, p;

	assert_true(flags & FT_POL_F_WORD);
	assert_false(flags & FT_POL_F_HEADS);
	assert_int_equal(flags & pfx4, pfx4);
	for (p = 0; p < 2; p++) {
		for (i = 0; i < sizeof(search) / sizeof(search[0]); i++) {
			s->c.hdr.flags = (flags & ~(FT_POL_F_WORD | FT_POL_F_HEADS | pfx4)) |
					 search[i] | (p ? 0 : pfx4);
			assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
			if (search[i] == FT_POL_F_WORD)
				assert_true(bmw_holds(s, &s->c));
			if (search[i] == FT_POL_F_HEADS)
				assert_true(bmh_holds(s, &s->c));
			assert_true(pfx4_holds(s, &s->c));
			failures += run_cases(s);
		}
	}
	s->c.hdr.flags = flags;
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	assert_int_equal(failures, 0);
	/* the data path reads the dst hash: emptied, 203.0.113.9 is no
	 * longer host32's (the flow cache holds no flow of it: the swap
	 * above cleared it, and xdp_rule() runs on a new generation) */
	{
		struct pkt_spec p = { V4(C4, "203.0.113.9"), UDP(1000, 9999) };
		struct ft_pfx4_desc d;

		assert_int_equal(xdp_rule(s, &p), rule_index(s, "host32"));
		assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
		d = pfx4_hide(s, 1);
		assert_int_equal(xdp_rule(s, &p), FT_RULE_NONE);
		pfx4_restore(s, 1, &d);
		assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
		assert_int_equal(xdp_rule(s, &p), rule_index(s, "host32"));
	}
}

/*
 * Every prefix of every header is a malformed packet. The rules that need
 * only what could be read still apply (a drop rule on the source address of
 * a packet whose L4 header is cut); a rule that needs a field that could not
 * be read does not match. desc_len() says what can be read; the reference
 * evaluator says which rule that is. The programs must not read past the
 * end (the verifier guarantees it; this checks the verdict).
 */
static void test_truncated(void **st)
{
	struct state *s = *st;
	int failures = 0, runs = 0, partial = 0;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pkt_spec *sp = &cases[i].pkt;
		uint8_t pkt[PKT_MAX];
		size_t hdr_end, ip_end;

		if (!sp->family && sp->l2 != PKT_L2_PPPOE)
			continue;	/* nothing parsed past Ethernet */
		pkt_build(sp, pkt, &hdr_end);
		ip_end = pkt_l3_off(sp) + (sp->family == AF_INET6 ? 40 : 20);
		set_link(s, sp->l2 == PKT_L2_NONE ? FT_L2_NONE : FT_L2_ETH);
		/* test runs need a full Ethernet header's worth of bytes */
		for (len = ETH_HLEN; len < hdr_end; len++) {
			struct ft_pkt_desc d = desc_len(sp, len);
			int rule = ft_reference_match(&s->pol, &d);
			struct chk k = { .tc_min = ip_end, .vlan = d.vlan,
					 .used_fields = s->c.hdr.used_fields,
					 .no_tc = sp->l2 == PKT_L2_NONE };
			char name[160];

			snprintf(name, sizeof(name), "%s truncated", cases[i].name);
			failures += check_packet(s, name, pkt, len, expected_verdict(&s->c, rule),
						 &k) ? 1 : 0;
			partial += rule >= 0;
			runs++;
		}
		set_link(s, FT_L2_ETH);
	}
	fprintf(stderr, "# %d truncated packets, %d of them matched a rule on what was read\n",
		runs, partial);
	assert_true(runs > 500);
	assert_true(partial > 100);
	assert_int_equal(failures, 0);
}

/* The issue's case: a blocked source with a truncated L4 header is dropped. */
static void test_truncated_drop(void **st)
{
	struct state *s = *st;
	struct pkt_spec p = { V4("198.51.100.7", "192.0.2.2"), TCP(1, 22), .nvlan = 1,
			      .vlan = { 7 } };
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len;
	struct xdp_result x;
	__u64 err0 = ft_counter(&s->l, FT_CNT_PARSE_ERR);

	pkt_build(&p, pkt, &hdr_end);
	len = hdr_end - 10;	/* half a TCP header */
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.retval, XDP_DROP);
	assert_int_equal(ft_counter(&s->l, FT_CNT_PARSE_ERR), err0 + 1);
}

/*
 * The IP length field bounds what is read behind the IP header, not the
 * frame: a port a sender put behind a 20-byte IPv4 packet (or behind an
 * IPv6 header with a payload length of 0) is no port; the kernel trims the
 * frame to the IP length before anything else reads it. Each case: the
 * IPv4 total length or IPv6 payload length written into a well-formed
 * frame, the rule that must match (DEFAULT: none), whether it is a parse
 * error; XDP, xdp.frags and the tc fallback (check_packet()) and the
 * reference parser must all say so.
 */
static void test_ip_length(void **st)
{
	static const struct {
		const char *name;
		struct pkt_spec pkt;
		int iplen;		/* the length field's value */
		const char *rule;
		bool bad;
	} lc[] = {
		{ "ipv4 total length 20, udp behind", { V4(C4, "192.0.2.2"), UDP(1, 5060) }, 20,
		  DEFAULT, true },
		{ "ipv4 total length 24: half a udp header", { V4(C4, "192.0.2.2"), UDP(1, 5060) },
		  24, DEFAULT, true },
		{ "ipv4 total length 28: the udp header", { V4(C4, "192.0.2.2"), UDP(1, 5060) }, 28,
		  "sip", false },
		{ "ipv4 total length 0 (GSO): the frame", { V4(C4, "192.0.2.2"), UDP(1, 5060) }, 0,
		  "sip", false },
		{ "ipv4 total length 30: 10 bytes of a tcp syn",
		  { V4(C4, "192.0.2.2"), .proto = IPPROTO_TCP, .sport = 1, .dport = 80,
		    .tcp_flags = 0x02 }, 30, DEFAULT, true },
		{ "ipv4 total length 16, below the header: addresses read",
		  { V4(C4, "203.0.113.9"), UDP(1, 5060) }, 16, "host32", true },
		{ "ipv6 payload length 0, udp behind", { V6(C6, "2001:db9::1"), UDP(1, 5060) }, 0,
		  DEFAULT, true },
		{ "ipv6 payload length 4: half a udp header",
		  { V6(C6, "2001:db9::1"), UDP(1, 5060) }, 4, DEFAULT, true },
		{ "ipv6 payload length 0 behind hop-by-hop: a jumbogram, the frame",
		  { V6(C6, "2001:db9::1"), UDP(1, 5060), .ext = { 0 }, .next = 1 }, 0, "sip",
		  false },
		{ "ipv6 payload length 8: the hop-by-hop header alone",
		  { V6(C6, "2001:db9::1"), UDP(1, 5060), .ext = { 0 }, .next = 1 }, 8, DEFAULT,
		  true },
		{ "ipv6 payload length 24: hop-by-hop and udp",
		  { V6(C6, "2001:db9::1"), UDP(1, 5060), .ext = { 0 }, .next = 1 }, 24, "sip",
		  false },
	};
	struct state *s = *st;
	int failures = 0;
	size_t i;

	for (i = 0; i < sizeof(lc) / sizeof(lc[0]); i++) {
		const struct pkt_spec *sp = &lc[i].pkt;
		int want = lc[i].rule ? rule_index(s, lc[i].rule) : -1;
		uint8_t pkt[PKT_MAX];
		size_t hdr_end, len = pkt_build(sp, pkt, &hdr_end), l3 = pkt_l3_off(sp);
		__u64 err0 = ft_counter(&s->l, FT_CNT_PARSE_ERR);
		struct ref_pkt ref;
		struct chk k = { .vlan = -1, .used_fields = s->c.hdr.used_fields,
				 .tc_min = l3 + (sp->family == AF_INET6 ? 40 : 20) };

		pkt[l3 + (sp->family == AF_INET6 ? 4 : 2)] = lc[i].iplen >> 8;
		pkt[l3 + (sp->family == AF_INET6 ? 5 : 3)] = lc[i].iplen & 0xff;
		ref_parse(pkt, len, 0, 1, &ref);
		if (ft_reference_match(&s->pol, &ref.d) != want || ref.complete == lc[i].bad) {
			fprintf(stderr, "# %s: the reference parser disagrees (rule %d, %s)\n",
				lc[i].name, ft_reference_match(&s->pol, &ref.d),
				ref.complete ? "complete" : "malformed");
			failures++;
		}
		if (check_packet(s, lc[i].name, pkt, len, expected_verdict(&s->c, want), &k))
			failures++;
		/* XDP, xdp.frags and the tc fallback each count it once */
		if (ft_counter(&s->l, FT_CNT_PARSE_ERR) - err0 != (lc[i].bad ? 3u : 0u)) {
			fprintf(stderr, "# %s: parse errors counted %llu, want %u\n", lc[i].name,
				(unsigned long long)(ft_counter(&s->l, FT_CNT_PARSE_ERR) - err0),
				lc[i].bad ? 3u : 0u);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* The tc fallback's frame after it ran on @pkt: into @out (@len bytes). */
static int tc_frame_out(struct state *s, const uint8_t *pkt, size_t len, uint8_t *out)
{
	struct __sk_buff in = { .mark = OTHER_BITS, .priority = OLD_PRIO, .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = len, .ctx_in = &in, .ctx_size_in = sizeof(in), .repeat = 1);

	if (bpf_prog_test_run_opts(ft_loader_tc_ingress_fd(&s->l), &opts))
		return -errno;
	return opts.data_size_out == len ? 0 : -EMSGSIZE;
}

/*
 * A DSCP rewrite touches only an IP header: under a default class that
 * rewrites DSCP, a packet the classifier could not parse (EtherType IPv4,
 * an IPv6 header behind it, or the other way round) gets the default
 * verdict, and its bytes stay as they are; a real IPv4 header gets the
 * DSCP and a checksum to match (the control).
 */
static void test_dscp_unparsed(void **st)
{
	struct state *s = *st;
	struct pkt_spec p4 = { V4(C4, "192.0.2.2"), UDP(1, 9) };
	struct pkt_spec p6 = { V6(C6, "2001:db9::1"), UDP(1, 9) };
	uint8_t pkt[PKT_MAX], out[PKT_MAX];
	size_t hdr_end, len, l3 = 14;
	struct ft_policy pol2;
	struct ft_compiled c2;
	char *text = strdup(policy_main), *at;

	assert_non_null(text);
	at = strstr(text, "default_class = \"default\"");
	assert_non_null(at);
	memcpy(at, "default_class = \"video\"  ", strlen("default_class = \"default\""));
	assert_int_equal(ft_apply_text(&s->l, text, &pol2, &c2), 0);

	/* the control: IPv4, rewritten to AF41 (34), the checksum follows */
	len = pkt_build(&p4, pkt, &hdr_end);
	assert_int_equal(tc_frame_out(s, pkt, len, out), 0);
	assert_int_equal(out[l3 + 1] >> 2, 34);
	assert_int_not_equal(memcmp(pkt + l3 + 10, out + l3 + 10, 2), 0);
	out[l3 + 1] = pkt[l3 + 1];
	memcpy(out + l3 + 10, pkt + l3 + 10, 2);
	assert_memory_equal(pkt, out, len);	/* nothing else changed */
	/* EtherType IPv4, version 6 behind it: not parsed, not rewritten */
	pkt[l3] = 0x65;
	assert_int_equal(tc_frame_out(s, pkt, len, out), 0);
	assert_memory_equal(pkt, out, len);
	/* EtherType IPv6, version 4 behind it */
	len = pkt_build(&p6, pkt, &hdr_end);
	pkt[l3] = 0x45;
	assert_int_equal(tc_frame_out(s, pkt, len, out), 0);
	assert_memory_equal(pkt, out, len);

	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	ft_compiled_free(&c2);
	ft_policy_free(&pol2);
	free(text);
}

/* A later fragment is classified like its first fragment. */
static void test_fragments(void **st)
{
	struct state *s = *st;
	struct pkt_spec first = { V4(C4, "192.0.2.2"), UDP(1, 5060), .frag = PKT_FRAG_FIRST,
				  .frag_id = 0x1234 };
	struct pkt_spec later = first;
	struct pkt_spec first6 = { V6(C6, "2001:db9::1"), TCP(1, 22), .ext = { 0, 44 },
				   .next = 2, .frag = PKT_FRAG_FIRST, .frag_id = 0xabcdef };
	struct pkt_spec later6 = first6;
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len;
	struct xdp_result x;
	__u64 hits = ft_counter(&s->l, FT_CNT_FRAG_HIT);

	later.frag = PKT_FRAG_LATER;
	later6.frag = PKT_FRAG_LATER;

	len = pkt_build(&first, pkt, &hdr_end);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.rule_id, rule_index(s, "sip"));
	len = pkt_build(&later, pkt, &hdr_end);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.rule_id, rule_index(s, "sip"));
	assert_true(meta_equal(&x.meta, &s->c.rules[rule_index(s, "sip")].meta));

	len = pkt_build(&first6, pkt, &hdr_end);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.rule_id, rule_index(s, "ssh"));
	len = pkt_build(&later6, pkt, &hdr_end);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.rule_id, rule_index(s, "ssh"));

	assert_int_equal(ft_counter(&s->l, FT_CNT_FRAG_HIT), hits + 2);
}

/*
 * IPv6 fragments with Destination Options or AH behind the Fragment header:
 * the first fragment's upper layer sits behind them, the later fragments
 * carry only the Fragment header. Every fragment gets the first one's
 * verdict; a later fragment that comes first is counted and classified on
 * what it holds.
 */
static void test_frag_exthdr(void **st)
{
	static const struct {
		const char *name;
		int ext, proto, dport;
		const char *rule;
	} rows[] = {
		{ "dst opts behind fragment, udp 5060", 60, IPPROTO_UDP, 5060, "sip" },
		{ "ah behind fragment, tcp 22", 51, IPPROTO_TCP, 22, "ssh" },
		{ "dst opts + ah behind fragment, udp 3478", 60, IPPROTO_UDP, 3478, "rtp" },
	};
	struct state *s = *st;
	int xdp = ft_loader_xdp_fd(&s->l, false), failures = 0;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pkt_spec first = { V6(C6, "2001:db9::1"), .proto = rows[i].proto,
					  .sport = 1, .dport = rows[i].dport, .tcp_flags = 0x10,
					  .ext = { 44, rows[i].ext, 51 }, .next = i == 2 ? 3 : 2,
					  .frag = PKT_FRAG_FIRST, .frag_id = 0x5000 + i };
		struct pkt_spec later = first;
		const struct flowtag_meta *want = &s->c.rules[rule_index(s, rows[i].rule)].meta;
		uint8_t pf[PKT_MAX], pl[PKT_MAX];
		size_t hdr_end, lf = pkt_build(&first, pf, &hdr_end), ll;
		struct xdp_result a, b, c;
		__u64 miss0;

		later.frag = PKT_FRAG_LATER;
		ll = pkt_build(&later, pl, &hdr_end);

		/* in order */
		a = ft_run_xdp(xdp, pf, lf);
		b = ft_run_xdp(xdp, pl, ll);
		if (!meta_equal(&a.meta, want) || !meta_equal(&b.meta, want)) {
			fprintf(stderr, "# %s: got rule %u (first) and %u (later), want %s for both\n",
				rows[i].name, a.meta.rule_id, b.meta.rule_id, rows[i].rule);
			failures++;
		}

		/* reordered: the later fragment first, of another datagram */
		first.frag_id = later.frag_id = 0x6000 + i;
		lf = pkt_build(&first, pf, &hdr_end);
		ll = pkt_build(&later, pl, &hdr_end);
		miss0 = ft_counter(&s->l, FT_CNT_FRAG_MISS);
		c = ft_run_xdp(xdp, pl, ll);
		a = ft_run_xdp(xdp, pf, lf);
		b = ft_run_xdp(xdp, pl, ll);
		if (c.meta.rule_id != FT_RULE_NONE || ft_counter(&s->l, FT_CNT_FRAG_MISS) != miss0 + 1) {
			fprintf(stderr, "# %s reordered: early fragment got rule %u, misses +%llu; "
				"want the default, +1\n", rows[i].name, c.meta.rule_id,
				(unsigned long long)(ft_counter(&s->l, FT_CNT_FRAG_MISS) - miss0));
			failures++;
		}
		if (!meta_equal(&a.meta, want) || !meta_equal(&b.meta, want)) {
			fprintf(stderr, "# %s reordered: got rule %u (first) and %u (later), want %s\n",
				rows[i].name, a.meta.rule_id, b.meta.rule_id, rows[i].rule);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/*
 * Per-rule and per-class counters and the hand-off counters move: each
 * packet in one of them (flowtag/maps.h, struct ft_pktcnt), its rule's,
 * or without a rule its default class's, never both.
 */
static void test_counters(void **st)
{
	struct state *s = *st;
	struct pkt_spec p = { V4(C4, "192.0.2.77"), UDP(1, 5061), .payload = 100 };
	struct pkt_spec pd = { V4(C4, "192.0.2.77"), UDP(1, 5062), .payload = 60 };
	uint8_t pkt[PKT_MAX], pktd[PKT_MAX];
	size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end), lend = pkt_build(&pd, pktd, &hdr_end);
	struct ft_policy_hdr h;
	__u32 slot, gen, dflt;
	struct ft_pktcnt r0, r1, c0, c1, d0, d1;
	__u64 w0 = ft_counter(&s->l, FT_CNT_META_WRITTEN);
	__u64 f0 = ft_counter(&s->l, FT_CNT_FALLBACK);
	int i, sip = rule_index(s, "sip");

	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	assert_int_equal(bpf_map_lookup_elem(ft_loader_map_fd(&s->l, "ft_policy"), &slot, &h), 0);
	dflt = h.default_verdict.meta.class_id;
	assert_int_equal(dflt, 15);	/* "default", the 16th class */
	assert_int_equal(sip, 3);
	r0 = ft_pktcount(&s->l, "ft_rule_cnt", slot * FT_MAX_RULES + 3);
	c0 = ft_pktcount(&s->l, "ft_class_cnt", slot * FT_MAX_CLASSES + 0);
	d0 = ft_pktcount(&s->l, "ft_class_cnt", slot * FT_MAX_CLASSES + dflt);
	for (i = 0; i < 5; i++) {
		ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
		if (i < 3)
			ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pktd, lend);
	}
	ft_run_tc(ft_loader_tc_ingress_fd(&s->l), pkt, len, 0, 0);
	ft_run_tc(ft_loader_tc_ingress_fd(&s->l), pktd, lend, 0, 0);
	r1 = ft_pktcount(&s->l, "ft_rule_cnt", slot * FT_MAX_RULES + 3);
	c1 = ft_pktcount(&s->l, "ft_class_cnt", slot * FT_MAX_CLASSES + 0);
	d1 = ft_pktcount(&s->l, "ft_class_cnt", slot * FT_MAX_CLASSES + dflt);

	/* sip: 5 XDP runs + 1 tc fallback classification, in its rule's
	 * counter only: its class "voice" (0) holds no rule's packets */
	assert_int_equal(r1.packets - r0.packets, 6);
	assert_int_equal(r1.bytes - r0.bytes, 6 * len);
	assert_int_equal(c1.packets - c0.packets, 0);
	assert_int_equal(c1.bytes - c0.bytes, 0);
	/* no rule (port 5062): 3 XDP runs + 1 tc, in the default class's */
	assert_int_equal(d1.packets - d0.packets, 4);
	assert_int_equal(d1.bytes - d0.bytes, 4 * lend);
	assert_int_equal(ft_counter(&s->l, FT_CNT_META_WRITTEN) - w0, 8);
	assert_int_equal(ft_counter(&s->l, FT_CNT_FALLBACK) - f0, 2);
}

/* Whether the ft_devs entry of @ifindex is the interface's on every CPU, with @meta_written and
 * @tc_pkts summed over them. */
static bool dev_counters(struct state *s, __u32 ifindex, __u64 *meta_written, __u64 *tc_pkts)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	struct ft_dev *v = calloc(ncpu, sizeof(*v));
	__u32 key = ifindex & (FT_DEV_SLOTS - 1);
	bool own = true;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(ft_loader_map_fd(&s->l, "ft_devs"), &key, v), 0);
	*meta_written = *tc_pkts = 0;
	for (cpu = 0; cpu < ncpu; cpu++) {
		own &= v[cpu].ifindex == ifindex;
		*meta_written += v[cpu].hoff.meta_written;
		*tc_pkts += v[cpu].hoff.tc_pkts;
	}
	free(v);
	return own;
}

/*
 * ft_devs and its fallback: two interfaces whose ifindexes are equal
 * modulo FT_DEV_SLOTS, an L3 one and an Ethernet one; the first attached
 * holds the entry, the other keeps ft_links and ft_hoff. Each must be
 * parsed by its own link layer (a voice packet is "sip" only when parsed
 * right) and its hand-off counters must land in its own place, never in
 * the other's. Both orders. Runs in a network namespace of its own with a
 * veth of ifindex 1 + FT_DEV_SLOTS (XDP test runs need the device).
 */
static void test_devs_collision(void **st)
{
	struct state *s = *st;
	const __u32 other = 1 + FT_DEV_SLOTS;
	const struct pkt_spec l3 = { .l2 = PKT_L2_NONE, V4(C4, "192.0.2.2"), UDP(1, 5060) };
	const struct pkt_spec eth = { V4(C4, "192.0.2.2"), UDP(1, 5060) };
	uint8_t p3[PKT_MAX], pe[PKT_MAX];
	size_t hdr_end, len3 = pkt_build(&l3, p3, &hdr_end), lene = pkt_build(&eth, pe, &hdr_end);
	int sip = rule_index(s, "sip"), home, round;
	char cmd[128];

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(home >= 0);
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	snprintf(cmd, sizeof(cmd), "ip link add ftdev%u index %u type veth peer name ftdevp",
		 other, other);
	assert_int_equal(system(cmd), 0);
	for (round = 0; round < 2; round++) {
		/* round 0: lo (1, L3 here) holds the entry; round 1: the dummy (Ethernet) */
		__u32 l3_if = round ? other : 1, eth_if = round ? 1 : other;
		__u32 holder = round ? eth_if : l3_if, fallback = round ? l3_if : eth_if;
		struct ft_hoff h3, he, a3, ae;
		__u64 w0, t0, w1, t1;
		struct xdp_result x;
		struct tc_result t;

		ft_dev_release(ft_loader_map_fd(&s->l, "ft_devs"), 1);
		ft_dev_release(ft_loader_map_fd(&s->l, "ft_devs"), other);
		/* the holder first: the other finds the entry taken */
		set_link_on(s, holder, holder == l3_if ? FT_L2_NONE : FT_L2_ETH);
		set_link_on(s, fallback, fallback == l3_if ? FT_L2_NONE : FT_L2_ETH);
		/* an L3 interface among them: every packet's link type looked up */
		assert_int_equal(state_l2_lookup(s), 1);
		assert_false(dev_counters(s, fallback, &w0, &t0));
		/* counters of the fallback interface live in ft_hoff, as flowtagd makes them */
		{
			int ncpu = libbpf_num_possible_cpus();
			void *zero = calloc(ncpu, sizeof(struct ft_hoff));

			assert_non_null(zero);
			assert_int_equal(bpf_map_update_elem(ft_loader_map_fd(&s->l, "ft_hoff"),
							     &fallback, zero, BPF_ANY), 0);
			free(zero);
		}
		h3 = ft_handoff(&s->l, l3_if);
		he = ft_handoff(&s->l, eth_if);
		assert_true(dev_counters(s, holder, &w0, &t0));

		x = ft_run_xdp_on(ft_loader_xdp_fd(&s->l, false), p3, len3, l3_if);
		assert_int_equal(x.err, 0);
		assert_int_equal(x.meta_len, sizeof(struct flowtag_meta));
		assert_int_equal(x.meta.rule_id, sip);
		x = ft_run_xdp_on(ft_loader_xdp_fd(&s->l, false), pe, lene, eth_if);
		assert_int_equal(x.err, 0);
		assert_int_equal(x.meta_len, sizeof(struct flowtag_meta));
		assert_int_equal(x.meta.rule_id, sip);
		/* tc on the Ethernet interface (the skb test run wants Ethernet) */
		t = ft_run_tc_on(ft_loader_tc_ingress_fd(&s->l), pe, lene, 0, 0, eth_if);
		assert_int_equal(t.err, 0);

		a3 = ft_handoff(&s->l, l3_if);
		ae = ft_handoff(&s->l, eth_if);
		assert_int_equal(a3.meta_written - h3.meta_written, 1);
		assert_int_equal(a3.tc_pkts - h3.tc_pkts, 0);
		assert_int_equal(ae.meta_written - he.meta_written, 1);
		assert_int_equal(ae.tc_pkts - he.tc_pkts, 1);
		/* and the holder's entry counted the holder's packets only */
		assert_true(dev_counters(s, holder, &w1, &t1));
		assert_int_equal(w1 - w0, 1);
		assert_int_equal(t1 - t0, holder == eth_if);
	}
	/* as test_cases expects it: ifindex 1 holds its entry, Ethernet */
	ft_dev_release(ft_loader_map_fd(&s->l, "ft_devs"), other);
	bpf_map_delete_elem(ft_loader_map_fd(&s->l, "ft_hoff"), &(__u32){ 1 });
	bpf_map_delete_elem(ft_loader_map_fd(&s->l, "ft_hoff"), &(__u32){ other });
	bpf_map_delete_elem(ft_loader_map_fd(&s->l, "ft_links"), &(__u32){ other });
	set_link(s, FT_L2_ETH);
	/* back home; the namespace and its device go with the last reference */
	assert_int_equal(setns(home, CLONE_NEWNET), 0);
	close(home);
}

/* The frags variant classifies like the plain program. */
static void test_frags_variant(void **st)
{
	struct state *s = *st;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t pkt[PKT_MAX];
		size_t hdr_end, len = pkt_build(&cases[i].pkt, pkt, &hdr_end);
		struct xdp_result a, b;

		set_link(s, cases[i].pkt.l2 == PKT_L2_NONE ? FT_L2_NONE : FT_L2_ETH);
		a = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
		b = ft_run_xdp(ft_loader_xdp_fd(&s->l, true), pkt, len);
		set_link(s, FT_L2_ETH);

		assert_int_equal(a.retval, b.retval);
		assert_int_equal(a.meta_len, b.meta_len);
		assert_true(meta_equal(&a.meta, &b.meta));
	}
}

/* Egress turns our mark bits back into the class priority. */
static void test_egress(void **st)
{
	struct state *s = *st;
	struct pkt_spec p = { V4(C4, "192.0.2.2"), UDP(1, 9) };
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end);
	int fd = ft_loader_tc_egress_fd(&s->l);
	struct tc_result t;

	/* voice: mark 0x100, priority 1:10; foreign bits must not matter */
	t = ft_run_tc(fd, pkt, len, 0xab0001cd, 0);
	assert_int_equal(t.retval, TC_ACT_UNSPEC);
	assert_int_equal(t.priority, 0x00010010);
	assert_int_equal(t.mark, 0xab0001cd);
	/* net8 has no priority: left alone */
	t = ft_run_tc(fd, pkt, len, 0x500, 42);
	assert_int_equal(t.priority, 42);
	/* unknown mark: left alone */
	t = ft_run_tc(fd, pkt, len, 0x7700, 42);
	assert_int_equal(t.priority, 42);
}

/* A reload moves a flow to another class: the flow cache must not keep
 * the old verdict. */
static void test_reload(void **st)
{
	struct state *s = *st;
	struct pkt_spec p = { V4(C4, "192.0.2.2"), UDP(40000, 5060) };
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end);
	struct ft_policy pol2;
	struct ft_compiled c2;
	struct xdp_result x;
	__u32 slot, gen0, gen1;
	char *text = strdup(policy_main);
	char *at;

	assert_non_null(text);
	/* voice rule now sends 5060 to "video" */
	at = strstr(text, "dport = \"5060-5061\"; }; class = \"voice\"");
	assert_non_null(at);
	memcpy(strstr(at, "\"voice\""), "\"video\"", 7);

	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.class_id, 0);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen0), 0);
	assert_int_equal(ft_apply_text(&s->l, text, &pol2, &c2), 0);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen1), 0);
	assert_int_equal(gen1, gen0 + 1);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.class_id, 1);
	assert_int_equal(x.meta.mark, 0x200);
	assert_int_equal(x.meta.flags, FT_META_F_PRIO | FT_META_F_DSCP);
	assert_int_equal(x.meta.dscp, 34);

	/* and back */
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.meta.class_id, 0);
	ft_compiled_free(&c2);
	ft_policy_free(&pol2);
	free(text);
}

/*
 * A swap that fails half way (here: more bitmaps than ft_bmw holds, after
 * the scalar and rule tables were written) leaves the inactive slot with
 * generation 0: a rollback to the policy it held before is refused
 * (-ESTALE: flowtagd then compiles that policy again) instead of flipping
 * to tables that are partly the failed policy's. The active policy stays.
 */
static void test_swap_fail(void **st)
{
	struct state *s = *st;
	struct ft_policy pol2;
	struct ft_compiled c2;
	__u32 slot, gen0, gen1, gen2, g;
	size_t nbm;

	assert_int_equal(ft_loader_state(&s->l, &slot, &gen0), 0);
	assert_int_equal(ft_apply_text(&s->l, policy_main, &pol2, &c2), 0);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen1), 0);
	assert_int_equal(gen1, gen0 + 1);
	nbm = c2.nbitmaps;
	c2.hdr.flags |= FT_POL_F_WORD;
	c2.nbitmaps = FT_BMW_MAX + 1;
	assert_int_equal(ft_policy_swap(&s->l, &c2, NULL), -E2BIG);
	/* the heads' array is as large: refused too */
	c2.hdr.flags ^= FT_POL_F_WORD | FT_POL_F_HEADS;
	assert_int_equal(ft_policy_swap(&s->l, &c2, NULL), -E2BIG);
	c2.nbitmaps = nbm;
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen2), 0);
	assert_int_equal(gen2, gen1);	/* still the running policy */
	assert_int_equal(ft_policy_flip_back(&s->l, gen0, &g), -ESTALE);
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	ft_compiled_free(&c2);
	ft_policy_free(&pol2);
}

/* 4096 rules: each one reachable, the last one too, and past it the default. */
static void test_4096_rules(void **st)
{
	struct state *s = *st;
	size_t cap = 4096 * 96 + 4096, n = 0;
	char *text = malloc(cap);
	struct ft_policy pol;
	struct ft_compiled c;
	static const int probes[] = { 0, 1, 63, 64, 65, 1000, 2047, 2048, 4000, 4094, 4095 };
	size_t i;

	assert_non_null(text);
	n += snprintf(text + n, cap - n,
		      "interfaces = ( { name = \"lo\"; } );\nmark_mask = 0xff;\n"
		      "classes = ( { name = \"a\"; mark = 1; }, { name = \"b\"; mark = 2; },"
		      " { name = \"d\"; mark = 3; } );\nrules = (\n");
	for (i = 0; i < 4096; i++)
		n += snprintf(text + n, cap - n,
			      "{ match = { proto = \"udp\"; dport = %zu; }; class = \"%s\"; }%s\n",
			      20000 + i, i % 2 ? "b" : "a", i == 4095 ? "" : ",");
	snprintf(text + n, cap - n, ");\ndefault_class = \"d\";\n");
	assert_int_equal(ft_apply_text(&s->l, text, &pol, &c), 0);
	assert_int_equal(c.hdr.nrules, 4096);

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct pkt_spec p = { V4(C4, "192.0.2.2"), UDP(1, 20000 + probes[i]) };
		uint8_t pkt[PKT_MAX];
		size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end);
		struct xdp_result x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);

		assert_int_equal(x.retval, XDP_PASS);
		assert_int_equal(x.meta.rule_id, probes[i]);
		assert_int_equal(x.meta.mark, probes[i] % 2 ? 2 : 1);
	}
	{
		struct pkt_spec p = { V4(C4, "192.0.2.2"), UDP(1, 20000 + 4096) };
		uint8_t pkt[PKT_MAX];
		size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end);
		struct xdp_result x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);

		assert_int_equal(x.meta.rule_id, FT_RULE_NONE);
		assert_int_equal(x.meta.mark, 3);
	}
	/* restore the main policy for the other tests */
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
	free(text);
}

/*
 * The heads search (FT_POL_F_HEADS) where bitmaps have several words: 640
 * rules (10 words), every one udp (the all-rules bitmap: no constraint),
 * even ones on port 80 and odd ones on 81 (several words each), sources
 * shared by many rules: 198.18.9.0/24 in the odd rules below 600 and in
 * rules 602 and 630, 198.18.11.0/24 in the odd rules below 64 and in rule
 * 66, 198.18.20.0/24 in the others; rule 630 alone on port 9000 (a
 * single word). Each packet's rule, with the heads and with the bitmaps
 * alone:
 *   9.1 -> 81: rule 1, the first word the summaries name;
 *   11.1 -> 80: rule 66, the second (word 0 holds no rule of both);
 *   9.1 -> 80: rule 602, word 9: past the words the heads visit
 *     (FT_HEADS_WORDS), so ft_first_rule() searches again;
 *   9.1 -> 9000: rule 630, the one word of a single-word bitmap, read in
 *     the other field's bitmap;
 *   20.1 -> 80: rule 0; 12.1 -> 80 (no rule's source): none.
 * Which search answered: a second pass zeroes the all-rules bitmap in
 * ft_bm_o, which only the bitmaps alone read (for proto): the heads' own
 * answers stay, the one past FT_HEADS_WORDS (602) becomes none.
 */
static void test_heads_words(void **st)
{
	struct state *s = *st;
	size_t cap = 640 * 160 + 4096, n = 0;
	char *text = malloc(cap);
	struct ft_policy pol;
	struct ft_compiled c;
	static const struct {
		const char *src;
		unsigned int dport;
		int rule;	/* -1: none */
		bool heads;	/* the heads answer it */
	} probes[] = {
		{ "198.18.9.1", 81, 1, true },     { "198.18.11.1", 80, 66, true },
		{ "198.18.9.1", 80, 602, false },  { "198.18.9.1", 9000, 630, true },
		{ "198.18.20.1", 80, 0, true },    { "198.18.12.1", 80, -1, true },
	};
	static const char *const passes[] = { "heads", "heads, all-rules bitmap zeroed",
					       "bitmaps alone" };
	struct ft_bitmap zero = { 0 };
	__u32 slot, gen, id;
	int i, pass, inner;
	size_t k;

	assert_non_null(text);
	n += snprintf(text + n, cap - n,
		      "interfaces = ( { name = \"lo\"; } );\nmark_mask = 0xff;\n"
		      "flow_cache = \"off\";\n"	/* every packet searched */
		      "classes = ( { name = \"a\"; mark = 1; }, { name = \"b\"; mark = 2; },"
		      " { name = \"d\"; mark = 3; } );\nrules = (\n");
	for (i = 0; i < 640; i++) {
		const char *src = "\"198.18.20.0/24\"";

		if (i == 602 || i == 630)
			src = "\"198.18.9.0/24\"";
		else if (i == 66)
			src = "\"198.18.11.0/24\"";
		else if (i % 2 && i < 64)
			src = "[ \"198.18.9.0/24\", \"198.18.11.0/24\" ]";
		else if (i % 2 && i < 600)
			src = "\"198.18.9.0/24\"";
		n += snprintf(text + n, cap - n,
			      "{ match = { proto = \"udp\"; dport = %d; src = %s; }; class = \"%s\"; }%s\n",
			      i == 630 ? 9000 : 80 + i % 2, src, i % 2 ? "b" : "a", i == 639 ? "" : ",");
	}
	snprintf(text + n, cap - n, ");\ndefault_class = \"d\";\n");
	assert_int_equal(ft_apply_text(&s->l, text, &pol, &c), 0);
	assert_int_equal(c.hdr.nwords, 10);
	assert_true(c.hdr.flags & FT_POL_F_HEADS);
	for (pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			/* the slot's ft_bitmaps, its all-rules bitmap zeroed */
			assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
			assert_int_equal(bpf_map_lookup_elem(ft_loader_map_fd(&s->l, "ft_bm_o"),
							     &slot, &id), 0);
			inner = bpf_map_get_fd_by_id(id);
			assert_true(inner >= 0);
			assert_int_equal(bpf_map_update_elem(inner, &c.hdr.all_bm, &zero, 0), 0);
			close(inner);
		} else if (pass == 2) {
			/* the same policy without the heads: the bitmaps of ft_bm_o */
			c.hdr.flags &= ~FT_POL_F_HEADS;
			assert_int_equal(ft_policy_swap(&s->l, &c, NULL), 0);
		}
		for (k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
			struct pkt_spec p = { V4(probes[k].src, "192.0.2.2"), UDP(1, probes[k].dport) };
			int want = pass == 1 && !probes[k].heads ? -1 : probes[k].rule;
			uint8_t pkt[PKT_MAX];
			size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end);
			struct xdp_result x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);

			fprintf(stderr, "# %s: %s -> %u: rule %u, want %d\n", passes[pass],
				probes[k].src, probes[k].dport, x.meta.rule_id, want);
			assert_int_equal(x.retval, XDP_PASS);
			if (want < 0) {
				assert_int_equal(x.meta.rule_id, FT_RULE_NONE);
				assert_int_equal(x.meta.mark, 3);
			} else {
				assert_int_equal(x.meta.rule_id, want);
				assert_int_equal(x.meta.mark, want % 2 ? 2 : 1);
			}
		}
	}
	/* restore the main policy for the other tests */
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
	free(text);
}

/* Sum over the CPUs of health counter @idx. */
static __u64 health(struct state *s, enum ft_counter idx)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct ft_counters *c = calloc((size_t)ncpu, sizeof(*c));
	__u32 zero = 0;
	__u64 sum = 0;

	assert_non_null(c);
	assert_int_equal(bpf_map_lookup_elem(ft_loader_map_fd(&s->l, "ft_health_cnt"), &zero, c),
			 0);
	for (i = 0; i < ncpu; i++)
		sum += c[i].c[idx];
	free(c);
	return sum;
}

/* ft_set_epoch + 1, as ft_dynset_publish() does after its grace period. */
static void bump_epoch(struct state *s)
{
	int fd = ft_loader_map_fd(&s->l, "ft_set_epoch");
	__u32 zero = 0, e;

	assert_int_equal(bpf_map_lookup_elem(fd, &zero, &e), 0);
	e++;
	assert_int_equal(bpf_map_update_elem(fd, &zero, &e, 0), 0);
}

static void trie_put(int fd, const char *pfx, __u64 expires)
{
	struct ft_prefix p;
	struct ft_lpm4 k;
	struct ft_set_elem v = { .expires = expires };
	char err[64];

	assert_int_equal(ft_parse_prefix(pfx, &p, err, sizeof(err)), 0);
	k.prefixlen = v.prefixlen = p.len;
	memcpy(&k.addr, p.addr, 4);
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, 0), 0);
}

static void trie_del(int fd, const char *pfx)
{
	struct ft_prefix p;
	struct ft_lpm4 k;
	char err[64];

	assert_int_equal(ft_parse_prefix(pfx, &p, err, sizeof(err)), 0);
	k.prefixlen = p.len;
	memcpy(&k.addr, p.addr, 4);
	assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

/*
 * A dynamic set and the flow cache, through the real program: a cached
 * verdict survives a change of the set until the set epoch moves (the
 * window between "the set changed" and "flowtagctl advanced the epoch",
 * and the race of a packet that read the old epoch and stored its entry
 * after the change: both leave entries of the old epoch), and never after;
 * an element's expiry takes effect at the next packet with no epoch change
 * (verdicts on timed elements are not cached); an expired /32 does not
 * hide a live /24 around it.
 */
static void test_dynset_epoch(void **st)
{
	static const char text[] =
		"interfaces = ( { name = \"lo\"; } );\nmark_mask = 0xff;\n"
		"classes = ( { name = \"a\"; mark = 1; } );\n"
		"prefix_sets = ( { name = \"dyn\"; dynamic = true; size = 16; } );\n"
		"rules = ( { match = { src = \"@dyn\"; proto = \"udp\"; }; action = \"drop\"; } );\n"
		"default_class = \"a\";\n";
	struct state *s = *st;
	struct pkt_spec p = { V4(C4, "192.0.2.2"), UDP(4000, 53) };
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(&p, pkt, &hdr_end);
	int xfd = ft_loader_xdp_fd(&s->l, false), tfd;
	struct ft_policy pol;
	struct ft_compiled c;
	__u32 id = 0, inner_id;
	__u64 hits, now;
	struct timespec ts;

	assert_int_equal(ft_apply_text(&s->l, text, &pol, &c), 0);
	assert_int_equal(bpf_map_lookup_elem(ft_loader_map_fd(&s->l, "ft_dset4_o"), &id, &inner_id),
			 0);
	tfd = bpf_map_get_fd_by_id(inner_id);
	assert_true(tfd >= 0);

	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_PASS);
	hits = health(s, FT_CNT_CACHE_HIT);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_PASS);
	assert_int_equal(health(s, FT_CNT_CACHE_HIT), hits + 1);	/* the flow is cached */

	trie_put(tfd, "192.0.2.1/32", 0);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_PASS);	/* old epoch: stale */
	bump_epoch(s);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_DROP);
	hits = health(s, FT_CNT_CACHE_HIT);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_DROP);
	assert_int_equal(health(s, FT_CNT_CACHE_HIT), hits + 1);	/* cached, new epoch */

	trie_del(tfd, "192.0.2.1/32");
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_DROP);	/* old epoch: stale */
	bump_epoch(s);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_PASS);

	/* a timeout: dropped while it lasts, uncached, absent once past */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	trie_put(tfd, "192.0.2.1/32", now + 60000000000ull);
	bump_epoch(s);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_DROP);
	hits = health(s, FT_CNT_CACHE_HIT);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_DROP);
	assert_int_equal(health(s, FT_CNT_CACHE_HIT), hits);	/* not cached */
	trie_put(tfd, "192.0.2.1/32", now - 1);		/* expired: no epoch change */
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_PASS);

	/* the expired /32 leaves the live /24 around it in force */
	trie_put(tfd, "192.0.2.0/24", 0);
	bump_epoch(s);
	assert_int_equal(ft_run_xdp(xfd, pkt, len).retval, XDP_DROP);

	close(tfd);
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
}

/* Add the prefixes @list (a NULL-terminated array) to @s: ft_dynset_add()'s
 * return value, *@added what it counted. */
static int dset_add(struct ft_dynset *s, const char *const *list, size_t *added)
{
	struct ft_prefix p[8];
	char err[128];
	size_t n;

	for (n = 0; list[n]; n++)
		assert_int_equal(ft_parse_prefix(list[n], &p[n], err, sizeof(err)), 0);
	return ft_dynset_add(s, p, n, 0, added);
}

static int count_elem(const struct ft_dynset_elem *e, void *arg)
{
	(void)e;
	(*(uint64_t *)arg)++;
	return 0;
}

/*
 * A dynamic set counts its elements (flowtagctl set list, the metrics)
 * exactly: adding 198.18.7.1 under 198.18.7.0/24 adds an element, though
 * a lookup of 198.18.7.1/32 in the LPM trie finds the /24 (a longest-prefix
 * match, not an exact one); so does a full set taking part of a list,
 * and a resize (ft_dynset_copy()), which leaves expired elements behind.
 * Every count is checked against a walk of the tries.
 */
static void test_dynset_count(void **st)
{
	static const char *const l24[] = { "198.18.7.0/24", NULL },
				 *const l32[] = { "198.18.7.1", NULL },
				 *const l16[] = { "198.18.0.0/16", NULL },
				 *const mixed[] = { "198.18.7.2", "198.18.7.0/24", NULL },
				 *const v6[] = { "fd00:99::/48", "fd00:99::1", NULL },
				 *const two[] = { "198.18.7.1", "198.18.7.2", NULL };
	struct ft_dynset s;
	uint64_t walked;
	size_t added;

	(void)st;
	assert_int_equal(ft_dynset_create(NULL, "count", FT_MAX_SETIDS - 1, 16, 0, &s), 0);
	assert_int_equal(dset_add(&s, l24, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(dset_add(&s, l32, &added), 0);
	assert_int_equal(added, 1);	/* under the /24: a new element */
	assert_int_equal(dset_add(&s, l32, &added), 0);
	assert_int_equal(added, 0);	/* a refresh */
	assert_int_equal(dset_add(&s, l16, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(dset_add(&s, mixed, &added), 0);
	assert_int_equal(added, 1);	/* .2 new, the /24 refreshed */
	assert_int_equal(dset_add(&s, v6, &added), 0);
	assert_int_equal(added, 2);
	walked = 0;
	assert_int_equal(ft_dynset_walk(&s, count_elem, &walked), 0);
	assert_int_equal(walked, 6);
	assert_int_equal(s.inf.elements, 6);

	/* a resize copies the live elements and counts them: one expired long
	 * ago (still in the trie, counted until collected) stays behind, one
	 * with a timeout sets the copy's next expiry */
	{
		struct ft_lpm4 k1 = { .prefixlen = 32, .addr = htonl(0xc6120909) },
			       k2 = { .prefixlen = 32, .addr = htonl(0xc612090a) };
		struct ft_set_elem gone = { .expires = 1, .prefixlen = 32 },
				   later = { .expires = ft_boot_ns() + 100ULL * 1000000000,
					     .prefixlen = 32 };
		struct ft_dynset to;

		assert_int_equal(bpf_map_update_elem(s.v4, &k1, &gone, 0), 0);
		assert_int_equal(bpf_map_update_elem(s.v4, &k2, &later, 0), 0);
		assert_int_equal(ft_dynset_create(NULL, "copy", FT_MAX_SETIDS - 1, 32, 0, &to), 0);
		assert_int_equal(ft_dynset_copy(&s, &to), 0);
		assert_int_equal(to.inf.elements, 7);
		assert_int_equal(to.inf.next_expiry, later.expires);
		walked = 0;
		assert_int_equal(ft_dynset_walk(&to, count_elem, &walked), 0);
		assert_int_equal(walked, 7);
		ft_dynset_close(&to);
	}
	ft_dynset_close(&s);

	/* a set of 2 per family holding the /24: of .1 and .2 one gets in */
	assert_int_equal(ft_dynset_create(NULL, "full", FT_MAX_SETIDS - 1, 2, 0, &s), 0);
	assert_int_equal(dset_add(&s, l24, &added), 0);
	assert_int_equal(dset_add(&s, two, &added), -ENOSPC);
	assert_int_equal(added, 1);
	walked = 0;
	assert_int_equal(ft_dynset_walk(&s, count_elem, &walked), 0);
	assert_int_equal(walked, 2);
	assert_int_equal(s.inf.elements, 2);
	ft_dynset_close(&s);
}

static int env_int(const char *name, int fallback)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? atoi(v) : fallback;
}

/* Empty the kernel's fragment table, as ref_frags_clear() the reference's. */
static void clear_frags(struct state *s)
{
	int fd = ft_loader_map_fd(&s->l, "ft_frags");
	struct ft_frag_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

/* What the skb test run needs of a frame: its IP header when the
 * EtherType says IP (shorter frames get -EINVAL). */
static size_t tc_min_len(const uint8_t *pkt, size_t len)
{
	unsigned int type = len >= 14 ? ref_be16(pkt + 12) : 0;

	return 14 + (type == 0x0800 ? 20 : type == 0x86dd ? 40 : 0);
}

/*
 * The flow cache's hash, the one ft_flow_hash() in xdp/classify.h computes
 * (seeded by the loader): should the two ever differ, check_flow_key()
 * finds no entry and test_random fails.
 */
static __u64 flow_hash(const struct ft_flow_key *k, __u64 seed)
{
	__u64 w[6];

	memcpy(w, k, sizeof(w));
	return ft_flow_hash_words(w, seed);
}

/* The bucket of @k in ft_flow_cache. */
static __u32 flow_bucket(const struct state *s, const struct ft_flow_key *k)
{
	__u64 seed;
	__u32 mask;

	ft_loader_flow_cache_params(&s->l, &seed, &mask);
	return (__u32)flow_hash(k, seed) & mask;
}

/* The cache key of @k under a policy using @used_fields (ft_decide()). */
static void flow_cache_key(const struct ft_flow_key *k, __u32 used_fields,
			   struct ft_flow_key *out)
{
	*out = *k;
	if (!(used_fields & (1u << FT_F_TCPFL)))
		out->tcp_flags = 0;
	if (!(used_fields & (1u << FT_F_DSCP)))
		out->dscp = 0;
}

/* The compact cache's hash of @c (ft_flow4_hash() in xdp/classify.h). */
static __u64 flow4_hash(const struct ft_flow4_key *c, __u64 seed)
{
	__u64 w0, w1;
	__u32 w2;

	memcpy(&w0, c, 8);
	memcpy(&w1, (const char *)c + 8, 8);
	memcpy(&w2, (const char *)c + 16, 4);
	return ft_flow4_hash_words(w0, w1, w2, seed);
}

/* Where the compact key of @k (ft_flow4_fits()) lives: its page on CPU 0
 * (@page; CPU c's is @page + c * (@mask + 1)), its two lines, its check. */
struct flow4_place {
	struct ft_flow4_key key;
	__u32 page, mask, line[2];
	__u16 check;
};

static struct flow4_place flow4_place(const struct state *s, const struct ft_flow_key *k)
{
	struct flow4_place f;
	__u64 seed, h;
	__u32 mask;

	memset(&f, 0, sizeof(f));
	ft_loader_flow_cache_params(&s->l, &seed, &mask);
	ft_loader_flow4_params(&s->l, &f.mask);
	ft_flow4_key_of(k, &f.key);
	h = flow4_hash(&f.key, seed);
	f.page = (__u32)h & f.mask;
	ft_flow4_lines(h, &f.line[0], &f.line[1]);
	f.check = (__u16)(h >> 48);
	return f;
}

/* Empty @k's bucket (or page) of the flow cache on every CPU. */
static void flow_cache_clear(struct state *s, const struct ft_flow_key *k)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;

	if (ft_flow4_fits(k)) {
		int fd = ft_loader_map_fd(&s->l, "ft_flow4");
		struct flow4_place f = flow4_place(s, k);
		struct ft_flow4_page *zero = calloc(1, sizeof(*zero));

		assert_non_null(zero);
		for (cpu = 0; cpu < ncpu; cpu++) {
			__u32 pi = f.page + (__u32)cpu * (f.mask + 1);

			assert_int_equal(bpf_map_update_elem(fd, &pi, zero, BPF_ANY), 0);
		}
		free(zero);
	} else {
		int fd = ft_loader_map_fd(&s->l, "ft_flow_cache");
		__u32 bi = flow_bucket(s, k);
		void *zero = calloc((size_t)ncpu, sizeof(struct ft_flow_bucket));

		assert_non_null(zero);
		assert_int_equal(bpf_map_update_elem(fd, &bi, zero, BPF_ANY), 0);
		free(zero);
	}
}

/* The way of @k's compact entry of generation @gen on some CPU, copied to
 * @out (may be NULL): 1 when found (in one of its two lines), else 0. */
static int flow4_find(struct state *s, const struct ft_flow_key *k, __u32 gen,
		      struct ft_flow4_way *out)
{
	int fd = ft_loader_map_fd(&s->l, "ft_flow4"), ncpu = libbpf_num_possible_cpus();
	struct flow4_place f = flow4_place(s, k);
	struct ft_flow4_page *pg = calloc(1, sizeof(*pg));
	int cpu, i, w, found = 0;

	assert_non_null(pg);
	for (cpu = 0; cpu < ncpu && !found; cpu++) {
		__u32 pi = f.page + (__u32)cpu * (f.mask + 1);

		if (bpf_map_lookup_elem(fd, &pi, pg))
			continue;
		for (i = 0; i < 2 && !found; i++)
			for (w = 0; w < FT_FLOW4_WAYS && !found; w++) {
				const struct ft_flow4_way *x = &pg->line[f.line[i]].way[w];

				found = x->generation == gen &&
					!memcmp(&x->key, &f.key, sizeof(f.key)) &&
					x->check == (__u16)(f.check ^ x->rule);
				if (found && out)
					*out = *x;
			}
	}
	free(pg);
	return found;
}

/* Whether the wide cache holds @k for generation @gen on some CPU. */
static int flow_wide_find(struct state *s, const struct ft_flow_key *k, __u32 gen)
{
	int fd = ft_loader_map_fd(&s->l, "ft_flow_cache"), ncpu = libbpf_num_possible_cpus();
	__u32 bi = flow_bucket(s, k);
	struct ft_flow_bucket *b = calloc((size_t)ncpu, sizeof(*b));
	int cpu, w, found = 0;

	assert_non_null(b);
	if (!bpf_map_lookup_elem(fd, &bi, b))
		for (cpu = 0; cpu < ncpu && !found; cpu++)
			for (w = 0; w < FT_FLOW_WAYS && !found; w++)
				found = b[cpu].generation[w] == gen &&
					!memcmp(&b[cpu].key[w], k, sizeof(*k));
	free(b);
	return found;
}

/*
 * Whether the programs classified @pkt under the flow key the reference
 * parser gives (@k, as cached): the flow cache must hold it, for generation
 * @gen, on some CPU once they ran, in the cache ft_flow4_fits() picks. The
 * caller emptied its bucket or page before. 0 = yes; else prints both.
 */
static int check_flow_key(struct state *s, const char *name, const struct ft_flow_key *k,
			  __u32 gen)
{
	if (ft_flow4_fits(k) ? flow4_find(s, k, gen, NULL) : flow_wide_find(s, k, gen))
		return 0;
	fprintf(stderr, "# %s: the programs did not use the reference's flow key (family %u "
		"proto %u l4 %#x sport %u dport %u vlan %u dscp %u tcp_flags %#x)\n", name,
		k->family, k->proto, k->l4, k->sport, k->dport, k->vlan, k->dscp, k->tcp_flags);
	return 1;
}

/* The flow key ft_decide() caches for @p under the test policy. */
static struct ft_flow_key spec_key(const struct state *s, const struct pkt_spec *p)
{
	struct ft_pkt_desc d = desc_of(p);
	struct ft_flow_key k;

	ft_pkt_flow_key(&d, &k);
	flow_cache_key(&k, s->c.hdr.used_fields, &k);
	return k;
}

/* One run of @p through ft_xdp: 1 when it was a flow cache hit, 0 when a
 * miss (the health counters say which); its class in @class. */
static int run_hit(struct state *s, const struct pkt_spec *p, __u32 *class)
{
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(p, pkt, &hdr_end);
	__u64 hits = health(s, FT_CNT_CACHE_HIT), misses = health(s, FT_CNT_CACHE_MISS);
	struct xdp_result x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);

	assert_int_equal(x.retval, XDP_PASS);
	if (class)
		*class = x.meta.class_id;
	assert_int_equal(health(s, FT_CNT_CACHE_HIT) + health(s, FT_CNT_CACHE_MISS),
			 hits + misses + 1);
	return health(s, FT_CNT_CACHE_HIT) == hits + 1;
}

/*
 * The next UDP flow from @p's addresses, at or after @n, whose compact key
 * lands in the page and first line of @like, and in its second line too
 * when @both: ports from the running number n (source 1000 + n % 64000,
 * destination 20000 + n / 64000: no rule of the test policy matches them).
 * Sets @p's ports; returns n.
 */
static int colliding_flow(struct state *s, struct pkt_spec *p, const struct flow4_place *like,
			  int n, bool both)
{
	struct ft_flow_key k = spec_key(s, p);

	for (; n < 64000 * 1000; n++) {
		struct flow4_place f;

		k.sport = (__u16)(1000 + n % 64000);
		k.dport = (__u16)(20000 + n / 64000);
		f = flow4_place(s, &k);
		if (f.page == like->page && f.line[0] == like->line[0] &&
		    (!both || f.line[1] == like->line[1])) {
			p->sport = k.sport;
			p->dport = k.dport;
			return n;
		}
	}
	fail_msg("no flow collides");
	return -1;
}

/*
 * The two flow caches through the real program, on one CPU (each CPU has
 * its own): an IPv4 flow is cached in ft_flow4 (and not in the wide
 * cache), misses once, then hits and is established; a second flow in
 * the same line keeps its own verdict; a reload invalidates both; a
 * flood of single-packet flows into one pair of lines evicts the ways on
 * probation and never an established way, and once all 4 ways are
 * established a new flow takes the one unused longest; an IPv6 flow goes
 * to the wide cache.
 */
static void test_flow_cache(void **st)
{
	struct state *s = *st;
	struct pkt_spec a = { V4(C4, "192.0.2.2"), UDP(40001, 5060) };
	struct pkt_spec b = { V4(C4, "192.0.2.2"), UDP(0, 9999) };
	struct pkt_spec v6 = { V6(C6, "2001:db8:1::1"), UDP(40001, 9999) };
	struct pkt_spec g = b;
	struct ft_flow_key ka = spec_key(s, &a), kb, k6 = spec_key(s, &v6), kg[8];
	struct flow4_place pa = flow4_place(s, &ka);
	struct ft_flow4_way way;
	cpu_set_t old, one;
	__u32 slot, gen, class_a, class_b, cls;
	int i, n;

	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);

	/* IPv4: miss, then a hit; compact, probation, then established */
	assert_true(ft_flow4_fits(&ka));
	flow_cache_clear(s, &ka);
	assert_int_equal(run_hit(s, &a, &class_a), 0);
	assert_true(flow4_find(s, &ka, gen, &way));
	assert_int_equal(way.state, 0);
	assert_int_equal(way.rule, rule_index(s, "sip"));
	assert_false(flow_wide_find(s, &ka, gen));
	assert_int_equal(run_hit(s, &a, &cls), 1);
	assert_int_equal(cls, class_a);
	assert_true(flow4_find(s, &ka, gen, &way));
	assert_int_equal(way.state, FT_FLOW4_ESTABLISHED);

	/* another flow in the same page and first line: the other way */
	n = colliding_flow(s, &b, &pa, 0, false);
	kb = spec_key(s, &b);
	assert_int_equal(run_hit(s, &b, &class_b), 0);
	assert_int_not_equal(class_b, class_a);
	assert_int_equal(run_hit(s, &b, &cls), 1);
	assert_int_equal(cls, class_b);
	assert_int_equal(run_hit(s, &a, &cls), 1);
	assert_int_equal(cls, class_a);
	assert_true(flow4_find(s, &kb, gen, &way));
	assert_int_equal(way.rule, FT_RULE_NONE);

	/* a reload (a new generation): both miss once, then hit again */
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	assert_int_equal(run_hit(s, &a, NULL), 0);
	assert_int_equal(run_hit(s, &b, NULL), 0);
	assert_int_equal(run_hit(s, &a, &cls), 1);
	assert_int_equal(cls, class_a);
	assert_int_equal(run_hit(s, &b, &cls), 1);
	assert_int_equal(cls, class_b);

	/* a flood into a's two lines: 8 single-packet flows, each with both
	 * of a's lines as its own. a and b, established, stay; each new flow
	 * takes a way on probation (the two of the second line, after its
	 * empty ways), so the first ones are gone when the last came. Their
	 * ports come after b's, so none is b. */
	for (i = 0; i < 8; i++) {
		n = colliding_flow(s, &g, &pa, n + 1, true);
		kg[i] = spec_key(s, &g);
		assert_int_equal(run_hit(s, &g, NULL), 0);
	}
	assert_int_equal(run_hit(s, &a, &cls), 1);
	assert_int_equal(cls, class_a);
	assert_int_equal(run_hit(s, &b, &cls), 1);
	assert_int_equal(cls, class_b);
	assert_false(flow4_find(s, &kg[0], gen, NULL));
	assert_true(flow4_find(s, &kg[6], gen, NULL));
	assert_true(flow4_find(s, &kg[7], gen, NULL));

	/* the last two established too: with all 4 ways established, a
	 * new flow replaces the oldest; no new flow came since their last
	 * use, so all are of age 0 and the tie goes to the first way of the
	 * first line: a's (stored first in the emptied page) */
	g.sport = kg[6].sport;
	g.dport = kg[6].dport;
	assert_int_equal(run_hit(s, &g, NULL), 1);
	g.sport = kg[7].sport;
	g.dport = kg[7].dport;
	assert_int_equal(run_hit(s, &g, NULL), 1);
	assert_int_equal(run_hit(s, &b, &cls), 1);
	n = colliding_flow(s, &g, &pa, n + 1, true);
	kg[0] = spec_key(s, &g);
	assert_int_equal(run_hit(s, &g, NULL), 0);
	assert_true(flow4_find(s, &kg[0], gen, NULL));
	assert_false(flow4_find(s, &ka, gen, NULL));
	assert_int_equal(run_hit(s, &b, &cls), 1);
	assert_int_equal(cls, class_b);

	/* IPv6: the wide cache */
	assert_false(ft_flow4_fits(&k6));
	flow_cache_clear(s, &k6);
	assert_int_equal(run_hit(s, &v6, NULL), 0);
	assert_true(flow_wide_find(s, &k6, gen));
	assert_int_equal(run_hit(s, &v6, NULL), 1);

	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
}

/*
 * flow_cache = "off": every packet is classified by the rules, in XDP and
 * in tc's fallback, counted as uncached (never a cache hit or miss), and
 * nothing enters either flow cache; "on" caches the same flow. The main
 * policy ("auto") keeps its cache: it matches IPv6 prefixes.
 */
static void test_flow_cache_off(void **st)
{
	struct state *s = *st;
	struct pkt_spec a = { V4(C4, "192.0.2.2"), UDP(40001, 5060) };
	struct pkt_spec v6 = { V6(C6, "2001:db8:1::1"), UDP(40001, 9999) };
	struct ft_flow_key ka = spec_key(s, &a), k6 = spec_key(s, &v6);
	size_t n = strlen(policy_main) + 64;
	char *text = malloc(n);
	struct ft_policy pol;
	struct ft_compiled c;
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len;
	struct tc_result t;
	__u64 unc, hits, misses;
	__u32 slot, gen, cls = 0;
	int i;

	assert_false(s->c.hdr.flags & FT_POL_F_NOCACHE);
	assert_int_equal(s->c.flow_cache_reason, FT_FC_AUTO_IPV6);
	assert_non_null(text);
	snprintf(text, n, "%sflow_cache = \"off\";\n", policy_main);
	assert_int_equal(ft_apply_text(&s->l, text, &pol, &c), 0);
	assert_true(c.hdr.flags & FT_POL_F_NOCACHE);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	flow_cache_clear(s, &ka);
	flow_cache_clear(s, &k6);
	unc = health(s, FT_CNT_UNCACHED);
	hits = health(s, FT_CNT_CACHE_HIT);
	misses = health(s, FT_CNT_CACHE_MISS);
	for (i = 0; i < 3; i++) {
		struct xdp_result x;

		len = pkt_build(&a, pkt, &hdr_end);
		x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
		assert_int_equal(x.retval, XDP_PASS);
		assert_int_equal(x.meta.rule_id, rule_index(s, "sip"));
		assert_int_equal(x.meta.mark, 0x100);
		len = pkt_build(&v6, pkt, &hdr_end);
		x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
		assert_int_equal(x.retval, XDP_PASS);
		assert_int_equal(x.meta.rule_id, rule_index(s, "v6-128"));
	}
	/* tc's fallback: a frame without metadata */
	len = pkt_build(&a, pkt, &hdr_end);
	t = ft_run_tc(ft_loader_tc_ingress_fd(&s->l), pkt, len, OTHER_BITS, OLD_PRIO);
	assert_int_equal(t.err, 0);
	assert_int_equal(t.mark, (OTHER_BITS & ~MASK) | 0x100);
	assert_int_equal(health(s, FT_CNT_UNCACHED), unc + 7);
	assert_int_equal(health(s, FT_CNT_CACHE_HIT), hits);
	assert_int_equal(health(s, FT_CNT_CACHE_MISS), misses);
	assert_false(flow4_find(s, &ka, gen, NULL));
	assert_false(flow_wide_find(s, &k6, gen));
	ft_compiled_free(&c);
	ft_policy_free(&pol);

	/* "on": the same IPv4 flow misses once, then hits */
	snprintf(text, n, "%sflow_cache = \"on\";\n", policy_main);
	assert_int_equal(ft_apply_text(&s->l, text, &pol, &c), 0);
	assert_false(c.hdr.flags & FT_POL_F_NOCACHE);
	assert_int_equal(c.flow_cache_reason, FT_FC_SET_ON);
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	flow_cache_clear(s, &ka);
	unc = health(s, FT_CNT_UNCACHED);
	assert_int_equal(run_hit(s, &a, &cls), 0);
	assert_int_equal(run_hit(s, &a, &cls), 1);
	assert_true(flow4_find(s, &ka, gen, NULL));
	assert_int_equal(health(s, FT_CNT_UNCACHED), unc);
	ft_compiled_free(&c);
	ft_policy_free(&pol);
	free(text);
	/* restore the main policy for the other tests */
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
}

/*
 * Whether the flow cache holds nothing in @k's bucket, or in the two lines
 * of its page (emptied by the caller), in the cache ft_flow4_fits() picks,
 * on any CPU: what a packet the drop pre-filter decided leaves. 0 = yes;
 * else prints it.
 */
static int check_flow_untouched(struct state *s, const char *name, const struct ft_flow_key *k)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, i, w, used = 0;

	if (ft_flow4_fits(k)) {
		int fd = ft_loader_map_fd(&s->l, "ft_flow4");
		struct flow4_place f = flow4_place(s, k);
		struct ft_flow4_page *pg = calloc(1, sizeof(*pg));

		assert_non_null(pg);
		for (cpu = 0; cpu < ncpu; cpu++) {
			__u32 pi = f.page + (__u32)cpu * (f.mask + 1);

			assert_int_equal(bpf_map_lookup_elem(fd, &pi, pg), 0);
			for (i = 0; i < 2; i++)
				for (w = 0; w < FT_FLOW4_WAYS; w++)
					used += pg->line[f.line[i]].way[w].generation != 0;
		}
		free(pg);
	} else {
		int fd = ft_loader_map_fd(&s->l, "ft_flow_cache");
		__u32 bi = flow_bucket(s, k);
		struct ft_flow_bucket *b = calloc((size_t)ncpu, sizeof(*b));

		assert_non_null(b);
		assert_int_equal(bpf_map_lookup_elem(fd, &bi, b), 0);
		for (cpu = 0; cpu < ncpu; cpu++)
			for (w = 0; w < FT_FLOW_WAYS; w++)
				used += b[cpu].generation[w] != 0 || b[cpu].tick != 0;
		free(b);
	}
	if (!used)
		return 0;
	fprintf(stderr, "# %s: decided by the drop pre-filter, yet %d flow cache ways were "
		"written\n", name, used);
	return 1;
}

/*
 * Random policies and random, mutated frames (tests/pktmut.h: PPPoE, L3
 * device, 802.1Q and QinQ, IPv4 options, IPv6 extension headers and AH,
 * first and later fragments, truncation, bit flips, edge bytes, garbage)
 * through the real programs (XDP, xdp.frags, tc): the kernel's verdict
 * must be the reference evaluator's on what the reference parser
 * (tests/refpkt.h) reads of the frame, fragment table included (both
 * tables are emptied with every policy), and the flow key it classified
 * under (read back from the flow cache) the reference's, whatever the
 * policy matches on; or, for an IPv4 packet whose rule is one the drop
 * pre-filter decides, no flow cache entry at all. Seed from FT_SEED to replay;
 * FT_RANDOM_POLICIES x FT_RANDOM_PACKETS (default 40 x 150; `make stress`
 * runs 10^7 frames). Prints the frames, the mutations and the mismatches.
 */
static void test_random(void **st)
{
	struct state *s = *st;
	const char *env = getenv("FT_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) | 1, rs = seed;
	int npol = env_int("FT_RANDOM_POLICIES", 40), npkt = env_int("FT_RANDOM_PACKETS", 150);
	int failures = 0, i, j;
	long runs = 0, npf = 0, nuncached = 0, nword = 0, nheads = 0, npfx4 = 0, npfx4_both = 0;
	struct pm_state gen = { 0 };
	struct ref_frags frags = { 0 };
	time_t t0 = time(NULL), last = t0;
	__u32 slot, generation;

	/* half the random prefix sets are dynamic: the real tries, created
	 * by ft_policy_swap() with their initial prefixes */
	rp_dynamic_sets = true;
	rp_prefilter = true;	/* half the policies begin with drop pre-filter rules */
	for (i = 0; i < npol; i++) {
		struct ft_policy pol;
		struct ft_compiled c = { 0 };
		size_t r;

		/* up to 100 rules: one-word search and bitmaps both */
		rp_policy(&rs, &pol, 1 + rp_below(&rs, 100));
		for (r = 0; r < pol.nrules; r++)
			if (pol.rules[r].match.niif)
				pol.rules[r].match.iif_index[0] = rp_below(&rs, 2) ? 1 : 2;
		/* flow_cache "auto", "on" or "off": both data paths */
		pol.flow_cache = (enum ft_flow_cache_mode)rp_below(&rs, 3);
		assert_int_equal(ft_compile(&pol, &c), 0);
		nuncached += !!(c.hdr.flags & FT_POL_F_NOCACHE);
		nword += !!(c.hdr.flags & FT_POL_F_WORD);
		assert_int_equal(!!(c.hdr.flags & FT_POL_F_WORD),
				 c.hdr.nwords == 1 && !(c.hdr.flags & FT_POL_F_DYNSETS));
		nheads += !!(c.hdr.flags & FT_POL_F_HEADS);
		assert_int_equal(!!(c.hdr.flags & FT_POL_F_HEADS),
				 c.hdr.nwords > 1 && !(c.hdr.flags & FT_POL_F_DYNSETS));
		npfx4 += !!(c.hdr.flags & (FT_POL_F_PFX4_SRC | FT_POL_F_PFX4_DST));
		npfx4_both += (c.hdr.flags & (FT_POL_F_PFX4_SRC | FT_POL_F_PFX4_DST)) ==
			      (FT_POL_F_PFX4_SRC | FT_POL_F_PFX4_DST);
		assert_int_equal(ft_policy_swap(&s->l, &c, NULL), 0);
		assert_int_equal(ft_loader_state(&s->l, &slot, &generation), 0);
		clear_frags(s);
		ref_frags_clear(&frags);
		for (j = 0; j < npkt; j++) {
			struct ft_flow_key key;
			struct ref_pkt ref;
			char name[96];
			uint8_t pkt[PKT_MAX];
			bool prefiltered;
			size_t len;
			int want, l2;

			len = pm_packet(&rs, &gen, pkt, &l2);
			ref_parse(pkt, len, l2, 1, &ref);
			assert_true(ref_frags_apply(&frags, &ref));
			want = ft_reference_match(&pol, &ref.d);
			snprintf(name, sizeof(name), "seed %#llx policy %d packet %d",
				 (unsigned long long)seed, i, j);
			struct chk k = { .vlan = ref.d.vlan, .used_fields = c.hdr.used_fields,
					 .tc_min = tc_min_len(pkt, len), .no_tc = l2 };

			ft_pkt_flow_key(&ref.d, &key);
			flow_cache_key(&key, c.hdr.used_fields, &key);
			flow_cache_clear(s, &key);
			set_link(s, l2 ? FT_L2_NONE : FT_L2_ETH);
			prefiltered = ref.d.family == AF_INET && want >= 0 &&
				      (unsigned int)want < ft_compiled_prefilter_rules(&c);
			npf += prefiltered;
			if (check_packet(s, name, pkt, len,
					 want < 0 ? &c.hdr.default_verdict : &c.rules[want], &k) +
			    (prefiltered || (c.hdr.flags & FT_POL_F_NOCACHE) ?
				     check_flow_untouched(s, name, &key) :
					   check_flow_key(s, name, &key, generation))) {
				size_t b;

				fprintf(stderr, "#   frame (%s):", l2 ? "L3 device" : "Ethernet");
				for (b = 0; b < len; b++)
					fprintf(stderr, "%s%02x", b % 32 ? " " : "\n#     ", pkt[b]);
				fprintf(stderr, "\n#   reference: rule %d, vlan %d family %d proto %d "
					"sport %d dport %d dscp %d tcp_flags %d frag %d\n", want,
					ref.d.vlan, ref.d.family, ref.d.proto, ref.d.sport,
					ref.d.dport, ref.d.dscp, ref.d.tcp_flags, ref.frag);
				if (++failures > 5)
					break;
			}
			if (l2)
				set_link(s, FT_L2_ETH);
			runs++;
		}
		ft_compiled_free(&c);
		ft_policy_free(&pol);
		if (failures > 5)
			break;
		if (time(NULL) - last >= 60) {
			last = time(NULL);
			fprintf(stderr, "# %lds: %ld packets over %d policies, %d mismatches\n",
				(long)(last - t0), runs, i + 1, failures);
		}
	}
	set_link(s, FT_L2_ETH);
	pm_print_kinds(stderr, &gen);
	fprintf(stderr, "# fragment table: %llu later fragments found their first, %llu did not\n",
		(unsigned long long)frags.hits, (unsigned long long)frags.misses);
	fprintf(stderr, "# seed %#llx: %ld random packets (%ld decided by the drop pre-filter) "
		"over %d policies (%ld without a flow cache, %ld with the one-word search, "
		"%ld with the heads, %ld with an IPv4 prefix hash, %ld of them for src and dst) "
		"through XDP, xdp.frags and tc in %lds, %d mismatches\n",
		(unsigned long long)seed, runs, npf, i, nuncached, nword, nheads, npfx4,
		npfx4_both, (long)(time(NULL) - t0), failures);
	free(frags.e);
	free(frags.used);
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
	assert_int_equal(failures, 0);
	/* the one-word search and the heads both ran, and the bitmaps alone
	 * (npol policies, rules uniform in 1..100, dynamic sets in some) */
	if (npol >= 20) {
		assert_true(nword > 0);
		assert_true(nheads > 0);
		assert_true(nword + nheads < i);
		/* the prefix hashes too, and the tables for fields of more
		 * prefix lengths (the random sets') */
		assert_true(npfx4_both > 0);
		assert_true(npfx4_both < i);
	}
}

/* The drop pre-filter's test policies: two leading drop rules on prefixes
 * (block with one more field in the second), then a class rule. */
#define PF_POLICY(block)								\
	"interfaces = ( { name = \"lo\"; } );\n"					\
	"mark_mask = 0xff00;\n"								\
	"classes = ( { name = \"a\"; mark = 0x100; }, { name = \"d\"; mark = 0x300; } );\n" \
	"prefix_sets = ( { name = \"blocked\"; prefixes = [ \"198.18.0.0/24\","		\
	" \"198.18.7.7/32\", \"2001:db8:bad::/48\" ]; } );\n"				\
	"rules = (\n"									\
	"  { name = \"block\"; match = { " block " }; action = \"drop\"; },\n"		\
	"  { name = \"bogon\"; match = { dst = \"198.19.255.0/24\"; }; action = \"drop\"; },\n" \
	"  { name = \"dns\"; match = { proto = \"udp\"; dport = 53; }; class = \"a\"; }\n" \
	");\n"										\
	"default_class = \"d\";\n"

/* The counters a verdict touches. */
struct pf_counts {
	__u64 prefilter, hit, miss, xdp_drop, tc_drop;
	struct ft_pktcnt rule;
};

static struct pf_counts pf_counts(struct state *s, __u32 slot, int rule)
{
	if (rule == FT_RULE_NONE)	/* the default has no rule counter */
		rule = FT_MAX_RULES - 1;
	return (struct pf_counts){
		.prefilter = health(s, FT_CNT_PREFILTER),
		.hit = health(s, FT_CNT_CACHE_HIT),
		.miss = health(s, FT_CNT_CACHE_MISS),
		.xdp_drop = health(s, FT_CNT_XDP_DROP),
		.tc_drop = health(s, FT_CNT_TC_DROP),
		.rule = ft_pktcount(&s->l, "ft_rule_cnt", slot * FT_MAX_RULES + (__u32)rule),
	};
}

/*
 * One packet through XDP (and, with @tc, the tc fallback too): its rule
 * @rule and XDP verdict @retval; @prefiltered: decided by the drop
 * pre-filter (its counter, no cache hit or miss, nothing in the flow
 * cache), else by the classifier behind the flow cache (a miss, and the
 * flow in the cache). The rule's counters count every run.
 */
static void pf_check(struct state *s, const struct ft_compiled *c, const struct pkt_spec *p,
		     int rule, __u32 retval, bool prefiltered, bool tc)
{
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(p, pkt, &hdr_end);
	struct ft_pkt_desc d = desc_of(p);
	struct ft_flow_key key;
	struct pf_counts a, b;
	struct xdp_result x;
	struct tc_result t;
	__u32 slot, gen;
	int runs = tc ? 2 : 1;

	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	ft_pkt_flow_key(&d, &key);
	flow_cache_key(&key, c->hdr.used_fields, &key);
	flow_cache_clear(s, &key);
	/* the userspace mirror agrees, behind its own pre-filter */
	assert_int_equal(ft_compiled_match(c, &key), rule);

	b = pf_counts(s, slot, rule);
	x = ft_run_xdp(ft_loader_xdp_fd(&s->l, false), pkt, len);
	assert_int_equal(x.err, 0);
	assert_int_equal(x.retval, retval);
	if (retval == XDP_PASS)
		assert_int_equal(x.meta.rule_id, rule);
	if (tc) {
		t = ft_run_tc(ft_loader_tc_ingress_fd(&s->l), pkt, len, 0, 0);
		assert_int_equal(t.err, 0);
		assert_int_equal(t.retval, retval == XDP_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC);
	}
	a = pf_counts(s, slot, rule);

	if (rule != FT_RULE_NONE) {
		assert_int_equal(a.rule.packets - b.rule.packets, runs);
		assert_int_equal(a.rule.bytes - b.rule.bytes, runs * len);
	}
	assert_int_equal(a.xdp_drop - b.xdp_drop, retval == XDP_DROP);
	assert_int_equal(a.tc_drop - b.tc_drop, tc && retval == XDP_DROP);
	assert_int_equal(a.prefilter - b.prefilter, prefiltered ? runs : 0);
	assert_int_equal(a.hit - b.hit, 0);
	if (prefiltered) {
		assert_int_equal(a.miss - b.miss, 0);
		assert_int_equal(check_flow_untouched(s, "prefiltered", &key), 0);
	} else {
		/* tc would find the flow XDP cached (a hit): XDP alone here */
		assert_false(tc);
		assert_int_equal(a.miss - b.miss, 1);
		assert_int_equal(check_flow_key(s, "classified", &key, gen), 0);
	}
}

/*
 * The drop pre-filter (ft_prefilter()): the leading drop rules on static
 * prefixes decide IPv4 packets ahead of the flow cache, exactly as the
 * classifier would, counted as before plus "prefiltered", with nothing
 * written into the flow cache; whatever they do not match takes the
 * normal path, and IPv6 packets always do. A leading drop rule with one
 * more field (dport) is no pre-filter rule, yet classified the same.
 */
static void test_prefilter(void **st)
{
	struct state *s = *st;
	struct ft_policy pol;
	struct ft_compiled c;

	assert_int_equal(ft_apply_text(&s->l, PF_POLICY("src = \"@blocked\";"), &pol, &c), 0);
	assert_int_equal(ft_compiled_prefilter_rules(&c), 2);
	{
		/* in the set: rule 0, in XDP and in tc's fallback */
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53) };

		pf_check(s, &c, &p, 0, XDP_DROP, true, true);
	}
	{
		/* in the set and in bogon: the first of them */
		struct pkt_spec p = { V4("198.18.7.7", "198.19.255.9"), TCP(1, 2) };

		pf_check(s, &c, &p, 0, XDP_DROP, true, false);
	}
	{
		/* next to the set's /32, to bogon: rule 1 */
		struct pkt_spec p = { V4("198.18.7.6", "198.19.255.1"), UDP(1000, 53) };

		pf_check(s, &c, &p, 1, XDP_DROP, true, true);
	}
	{
		/* outside both: the later rule, through the flow cache */
		struct pkt_spec p = { V4("198.18.1.1", "198.19.1.1"), UDP(1000, 53) };

		pf_check(s, &c, &p, 2, XDP_PASS, false, false);
	}
	{
		/* IPv6 in the set: rule 0 by the classifier, no pre-filter */
		struct pkt_spec p = { V6("2001:db8:bad::1", "2001:db8::2"), UDP(1000, 53) };

		pf_check(s, &c, &p, 0, XDP_DROP, false, false);
	}
	{
		/* the pre-filter reads the src hash (a /24 and a /32): emptied,
		 * the set's address passes to dns, classified and cached */
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53) };
		struct ft_pfx4_desc d;

		assert_true(c.hdr.flags & FT_POL_F_PFX4_SRC);
		d = pfx4_hide(s, 0);
		assert_int_equal(xdp_rule(s, &p), 2);
		pfx4_restore(s, 0, &d);
		assert_int_equal(ft_policy_swap(&s->l, &c, NULL), 0);
		assert_int_equal(xdp_rule(s, &p), -1);
	}
	ft_compiled_free(&c);
	ft_policy_free(&pol);

	/* block asks for dport 53 too: no pre-filter rule, nor is bogon behind it */
	assert_int_equal(ft_apply_text(&s->l, PF_POLICY("src = \"@blocked\"; dport = 53;"), &pol,
				       &c), 0);
	assert_int_equal(ft_compiled_prefilter_rules(&c), 0);
	{
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53) };

		pf_check(s, &c, &p, 0, XDP_DROP, false, false);
	}
	{
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 54) };

		pf_check(s, &c, &p, FT_RULE_NONE, XDP_PASS, false, false);
	}
	{
		struct pkt_spec p = { V4("198.18.0.5", "198.19.255.1"), UDP(1000, 54) };

		pf_check(s, &c, &p, 1, XDP_DROP, false, false);
	}
	ft_compiled_free(&c);
	ft_policy_free(&pol);
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
}

/* Entries in the kernel's fragment table. */
static int frag_entries(struct state *s)
{
	int fd = ft_loader_map_fd(&s->l, "ft_frags"), n = 0;
	struct ft_frag_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* What one frame through XDP did: pfa_run(). */
struct pfa_delta {
	__u64 parse_err, prefilter, xdp_drop, packets, bytes;
	size_t len;			/* the frame's length */
	struct xdp_result x;
};

/*
 * The frame of @p, @cut bytes short of the end of its headers (0: whole),
 * once through XDP (the multi-buffer program with @frags): its test run's
 * result, and what it added to the parse-error, pre-filter and XDP drop
 * health counters and to rule @rule's packets and bytes.
 */
static struct pfa_delta pfa_run(struct state *s, const struct pkt_spec *p, size_t cut, bool frags,
				int rule)
{
	uint8_t pkt[PKT_MAX];
	size_t hdr_end, len = pkt_build(p, pkt, &hdr_end);
	__u32 slot, gen;
	struct ft_pktcnt r0, r1;
	struct pfa_delta d;
	__u64 e0 = ft_counter(&s->l, FT_CNT_PARSE_ERR), p0 = ft_counter(&s->l, FT_CNT_PREFILTER);
	__u64 x0 = ft_counter(&s->l, FT_CNT_XDP_DROP);

	if (cut)
		len = hdr_end - cut;
	assert_int_equal(ft_loader_state(&s->l, &slot, &gen), 0);
	r0 = ft_pktcount(&s->l, "ft_rule_cnt", slot * FT_MAX_RULES + (__u32)rule);
	d.x = ft_run_xdp(ft_loader_xdp_fd(&s->l, frags), pkt, len);
	assert_int_equal(d.x.err, 0);
	r1 = ft_pktcount(&s->l, "ft_rule_cnt", slot * FT_MAX_RULES + (__u32)rule);
	d.len = len;
	d.parse_err = ft_counter(&s->l, FT_CNT_PARSE_ERR) - e0;
	d.prefilter = ft_counter(&s->l, FT_CNT_PREFILTER) - p0;
	d.xdp_drop = ft_counter(&s->l, FT_CNT_XDP_DROP) - x0;
	d.packets = r1.packets - r0.packets;
	d.bytes = r1.bytes - r0.bytes;
	return d;
}

/*
 * XDP's drop pre-filter ahead of the parse (ft_xdp_prefilter()): an IPv4
 * packet from a blocked prefix is dropped from the first 20 bytes of its
 * IPv4 header, so a truncated UDP header or truncated options behind them
 * are no parse error, on Ethernet and on an L3 device, in both XDP
 * programs, its rule counted with the frame's bytes. From elsewhere the
 * same frame takes the full path, which counts the parse error. A first
 * fragment takes the full path too, which teaches the fragment table its
 * ports before the pre-filter drops it; a VLAN-tagged frame as well. Under
 * a policy with a vlan key nothing takes it: an untagged blocked frame
 * goes to tc with FT_META_F_DROP (its tag may be offloaded), its parse
 * error counted.
 */
static void test_prefilter_ahead(void **st)
{
	struct state *s = *st;
	struct ft_policy pol;
	struct ft_compiled c;
	struct pfa_delta d;
	int frags;

	assert_int_equal(ft_apply_text(&s->l, PF_POLICY("src = \"@blocked\";"), &pol, &c), 0);
	assert_int_equal(ft_compiled_prefilter_rules(&c), 2);
	for (frags = 0; frags < 2; frags++) {
		/* blocked, half a UDP header: dropped, no parse error */
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53) };

		d = pfa_run(s, &p, 4, frags, 0);
		assert_int_equal(d.x.retval, XDP_DROP);
		assert_int_equal(d.parse_err, 0);
		assert_int_equal(d.prefilter, 1);
		assert_int_equal(d.xdp_drop, 1);
		assert_int_equal(d.packets, 1);
		assert_int_equal(d.bytes, d.len);
	}
	{
		/* blocked, 8 bytes of options of which 4 are there */
		struct pkt_spec p = { V4("198.18.7.7", "198.19.1.1"), UDP(1000, 53),
				      .ip4_optlen = 8 };

		d = pfa_run(s, &p, 8 + 4, false, 0);
		assert_int_equal(d.len, 14 + 20 + 4);
		assert_int_equal(d.x.retval, XDP_DROP);
		assert_int_equal(d.parse_err, 0);
		assert_int_equal(d.prefilter, 1);
	}
	{
		/* blocked on an L3 device (no link-layer header), truncated */
		struct pkt_spec p = { .l2 = PKT_L2_NONE, V4("198.18.0.9", "198.19.1.1"),
				      UDP(1000, 53) };

		set_link(s, FT_L2_NONE);
		d = pfa_run(s, &p, 4, false, 0);
		set_link(s, FT_L2_ETH);
		assert_int_equal(d.x.retval, XDP_DROP);
		assert_int_equal(d.parse_err, 0);
		assert_int_equal(d.prefilter, 1);
		assert_int_equal(d.bytes, d.len);
	}
	{
		/* not blocked, the same truncation: the full path, a parse
		 * error, no dport for dns: the default class */
		struct pkt_spec p = { V4("198.18.1.1", "198.19.1.1"), UDP(1000, 53) };

		d = pfa_run(s, &p, 4, false, 0);
		assert_int_equal(d.x.retval, XDP_PASS);
		assert_int_equal(d.x.meta.rule_id, FT_RULE_NONE);
		assert_int_equal(d.x.meta.mark, 0x300);
		assert_int_equal(d.parse_err, 1);
		assert_int_equal(d.prefilter, 0);
		assert_int_equal(d.packets, 0);
	}
	{
		/* a blocked first fragment: the full path, the fragment table
		 * learns it, then the pre-filter drops it */
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53),
				      .frag = PKT_FRAG_FIRST, .frag_id = 77 };

		clear_frags(s);
		d = pfa_run(s, &p, 0, false, 0);
		assert_int_equal(d.x.retval, XDP_DROP);
		assert_int_equal(d.prefilter, 1);
		assert_int_equal(frag_entries(s), 1);
		clear_frags(s);
	}
	{
		/* blocked behind a VLAN tag, truncated: the full path's
		 * pre-filter drops it, and counts the parse error */
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53), .nvlan = 1,
				      .vlan = { 7 } };

		d = pfa_run(s, &p, 4, false, 0);
		assert_int_equal(d.x.retval, XDP_DROP);
		assert_int_equal(d.parse_err, 1);
		assert_int_equal(d.prefilter, 1);
	}
	ft_compiled_free(&c);
	ft_policy_free(&pol);

	/* a vlan key in the policy: no drop in XDP for an untagged frame */
	assert_int_equal(ft_apply_text(&s->l,
				       "interfaces = ( { name = \"lo\"; } );\n"
				       "mark_mask = 0xff00;\n"
				       "classes = ( { name = \"a\"; mark = 0x100; },"
				       " { name = \"d\"; mark = 0x300; } );\n"
				       "rules = (\n"
				       "  { name = \"block\"; match = { src = \"198.18.0.0/24\"; };"
				       " action = \"drop\"; },\n"
				       "  { name = \"v7\"; match = { vlan = 7; }; class = \"a\"; }\n"
				       ");\n"
				       "default_class = \"d\";\n",
				       &pol, &c), 0);
	assert_int_equal(ft_compiled_prefilter_rules(&c), 1);
	assert_true(c.hdr.used_fields & (1u << FT_F_VLAN));
	{
		struct pkt_spec p = { V4("198.18.0.5", "198.19.1.1"), UDP(1000, 53) };

		d = pfa_run(s, &p, 4, false, 0);
		assert_int_equal(d.x.retval, XDP_PASS);
		assert_true(d.x.meta_len >= sizeof(d.x.meta));
		assert_int_equal(d.x.meta.rule_id, 0);
		assert_true(d.x.meta.flags & FT_META_F_DROP);
		assert_int_equal(d.parse_err, 1);
		assert_int_equal(d.prefilter, 1);
		assert_int_equal(d.xdp_drop, 0);
	}
	ft_compiled_free(&c);
	ft_policy_free(&pol);
	assert_int_equal(ft_policy_swap(&s->l, &s->c, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_drop),
		cmocka_unit_test(test_ip_length),
		cmocka_unit_test(test_dscp_unparsed),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_frag_exthdr),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_prefilter),
		cmocka_unit_test(test_prefilter_ahead),
		cmocka_unit_test(test_frags_variant),
		cmocka_unit_test(test_devs_collision),
		cmocka_unit_test(test_egress),
		cmocka_unit_test(test_flow_cache),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_swap_fail),
		cmocka_unit_test(test_4096_rules),
		cmocka_unit_test(test_heads_words),
		cmocka_unit_test(test_dynset_epoch),
		cmocka_unit_test(test_dynset_count),
		cmocka_unit_test(test_flow_cache_off),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests_name("datapath", tests, setup, teardown);
}
