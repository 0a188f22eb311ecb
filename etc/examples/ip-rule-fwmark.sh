#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# ip-rule-fwmark.sh -- route one flowtag class over a second uplink.
#
#   ip-rule-fwmark.sh up   WAN2 GW4 [GW6]    e.g.  up wan2 192.0.2.1 fe80::1
#   ip-rule-fwmark.sh down WAN2
#
# Documentation, not part of any test: read it, adapt it, then run it as root
# on the router that runs flowtagd.
#
# How it works. flowtag's tc ingress program puts the class into the bits
# 0xff00 of skb->mark (mark_mask in flowtag.conf) before the routing decision.
# A policy routing rule matches those bits and sends the class to its own
# routing table, whose default route is the second uplink:
#
#   ip rule add fwmark 0x100/0xff00 lookup 100 pref 100     voice -> table 100
#   ip route add default via GW4 dev WAN2 table 100
#
# The classes of the shipped /etc/flowtag/flowtag.conf (mark_mask 0xff00):
#   voice 0x100   video 0x200   interactive 0x300   bulk 0x400   default 0x500
# Send several classes the same way by repeating the rule with their marks,
# e.g. fwmark 0x200/0xff00 for video.
#
# What it does not cover:
#  - Only packets received on an interface flowtagd classifies carry the mark,
#    so this steers forwarded traffic (LAN -> internet). The router's own
#    traffic is not classified and follows the main table.
#  - The mark is per packet, not per connection: every packet of a flow gets
#    the same class (the rules see the same 5-tuple), but a class that depends
#    on TCP flags (tcp_flags = "syn/syn,ack" in the shipped policy) differs
#    between the handshake and the rest; keep such rules out of classes you
#    route differently, or carry the class in conntrack (iptables-mark.sh).
#  - Source NAT on WAN2, if the second uplink needs it, is yours to add
#    (nftables: oifname "wan2" masquerade).
#  - Replies come back on WAN2 while the main table points elsewhere, so the
#    strict reverse-path filter would drop them: this script sets WAN2's
#    rp_filter to loose (2).

set -eu

MARK=0x100      # the class to route: voice
MASK=0xff00     # mark_mask of flowtag.conf
TABLE=100       # routing table for the class
PREF=100        # ip rule priority: before the main table (32766)

usage()
{
	echo "usage: $0 up WAN2 GW4 [GW6] | down WAN2" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
wan2=$2

case $cmd in
up)
	[ $# -ge 3 ] || usage
	gw4=$3
	gw6=${4:-}
	ip link show dev "$wan2" >/dev/null

	# IPv4: table 100 leaves by WAN2; marked packets look there first
	ip -4 route replace default via "$gw4" dev "$wan2" table "$TABLE"
	ip -4 rule del pref "$PREF" 2>/dev/null || true
	ip -4 rule add pref "$PREF" fwmark "$MARK/$MASK" lookup "$TABLE"
	sysctl -qw "net.ipv4.conf.$wan2.rp_filter=2"

	# IPv6: the same (IPv6 has no rp_filter sysctl)
	if [ -n "$gw6" ]; then
		ip -6 route replace default via "$gw6" dev "$wan2" table "$TABLE"
		ip -6 rule del pref "$PREF" 2>/dev/null || true
		ip -6 rule add pref "$PREF" fwmark "$MARK/$MASK" lookup "$TABLE"
	fi

	# already-cached routes for those flows must be looked up again
	ip -4 route flush cache
	ip -6 route flush cache 2>/dev/null || true

	echo "class mark $MARK/$MASK now leaves by $wan2 (table $TABLE):"
	ip -4 rule show pref "$PREF"
	[ -z "$gw6" ] || ip -6 rule show pref "$PREF"
	echo "check with: ip route get 198.51.100.7 mark $MARK   (and flowtagctl stats)"
	;;
down)
	ip -4 rule del pref "$PREF" 2>/dev/null || true
	ip -6 rule del pref "$PREF" 2>/dev/null || true
	ip -4 route flush table "$TABLE" 2>/dev/null || true
	ip -6 route flush table "$TABLE" 2>/dev/null || true
	echo "removed the fwmark rule and table $TABLE (rp_filter of $wan2 left as is)"
	;;
*)
	usage
	;;
esac
