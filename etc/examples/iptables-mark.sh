#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# iptables-mark.sh -- flowtag classes in iptables/ip6tables: a counter per
# class, and (optionally) the class carried in the connection's conntrack
# mark, so that packets flowtag does not see get it too.
#
#   iptables-mark.sh up   [WAN [LAN]]    defaults: eth0 eth1
#   iptables-mark.sh down [WAN [LAN]]
#   CONNMARK=1 iptables-mark.sh up ...   also save/restore the class
#   IPTABLES=iptables-legacy IP6TABLES=ip6tables-legacy iptables-mark.sh ...
#                                        the legacy (x_tables) back end
#
# Documentation: read it, adapt it, then run it as root on the router that
# runs flowtagd (tests/integration/test_netfilter.sh runs it as it is, with
# both back ends). It only counts and copies marks; it never drops or
# accepts anything (the FORWARD examples at the end are comments).
#
# How it works. flowtag's tc ingress program writes the class into the bits
# 0xff00 of skb->mark (mark_mask in flowtag.conf) before netfilter sees the
# packet. The mark match takes a value/mask pair, so only flowtag's bits are
# compared:
#
#   iptables -A FORWARD -m mark --mark 0x100/0xff00 -j ACCEPT     voice
#
# The classes of the shipped /etc/flowtag/flowtag.conf:
#   voice 0x100   video 0x200   interactive 0x300   bulk 0x400   default 0x500
#   0x000: untagged ("pass" rules, or an interface flowtag does not classify)
#
# Counters:  iptables -t mangle -L FLOWTAG_CLASS -v -n   (and ip6tables)
#
# CONNMARK: replies in the class of their flow. flowtag classifies packets
# as they are received on its interfaces. With CONNMARK=1 the class of each
# classified packet is also saved in the conntrack entry of its connection
# (only the 0xff00 bits of the ct mark), and restored onto packets that
# carry no class: the replies arriving on the WAN when only the LAN is a
# flowtag interface (or its rules leave replies untagged: no default_class),
# and the router's own replies (OUTPUT), which flowtag never classifies.
# Restoring comes before counting, so FLOWTAG_CLASS counts the replies in
# their flow's class. With egress_restore (or egress_shaping) on the
# outgoing interface, flowtag's egress program then gives those packets the
# class priority for the qdisc too: download shaping of a classified upload
# on the LAN side. (Not through ingress_shaping's IFB: the redirect to it
# runs at tc ingress, before conntrack.) The saved class is the one of the
# latest classified packet; to keep the class of a connection's first
# packet instead, save only for "-m conntrack --ctstate NEW".

set -eu

MASK=0xff00
CLASSES="voice:0x100 video:0x200 interactive:0x300 bulk:0x400 default:0x500"

usage()
{
	echo "usage: $0 up|down [WAN [LAN]]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
cmd=$1
wan=${2:-eth0}
lan=${3:-eth1}

# rules IPT ACTION CONNMARK: add (-A) or delete (-D) everything, for one of
# iptables / ip6tables; CONNMARK 1 includes the conntrack rules
rules()
{
	ipt=$1
	act=$2
	ct=$3

	if [ "$act" = -A ]; then
		$ipt -t mangle -N FLOWTAG_CLASS
		for c in $CLASSES; do
			$ipt -t mangle -A FLOWTAG_CLASS -m mark --mark "${c#*:}/$MASK" \
				-m comment --comment "flowtag ${c%%:*}" -j RETURN
		done
		$ipt -t mangle -A FLOWTAG_CLASS -m mark --mark "0/$MASK" \
			-m comment --comment "flowtag untagged" -j RETURN
	fi

	if [ "$ct" = 1 ]; then
		# a packet with a class: remember it in the connection
		$ipt -t mangle "$act" PREROUTING -m mark ! --mark "0/$MASK" \
			-j CONNMARK --save-mark --nfmask "$MASK" --ctmask "$MASK"
		# a packet without one: take the connection's, if it has one
		$ipt -t mangle "$act" PREROUTING -m mark --mark "0/$MASK" \
			-j CONNMARK --restore-mark --nfmask "$MASK" --ctmask "$MASK"
		# the router's own packets (replies of local services): mangle
		# OUTPUT re-routes when the mark changes, so ip rule fwmark
		# applies to them as well
		$ipt -t mangle "$act" OUTPUT -m mark --mark "0/$MASK" \
			-j CONNMARK --restore-mark --nfmask "$MASK" --ctmask "$MASK"
	fi

	# count the class of every packet received on these interfaces
	$ipt -t mangle "$act" PREROUTING -i "$wan" -j FLOWTAG_CLASS
	$ipt -t mangle "$act" PREROUTING -i "$lan" -j FLOWTAG_CLASS

	if [ "$act" = -D ]; then
		$ipt -t mangle -F FLOWTAG_CLASS
		$ipt -t mangle -X FLOWTAG_CLASS
	fi
}

case $cmd in
up)
	for ipt in "${IPTABLES:-iptables}" "${IP6TABLES:-ip6tables}"; do
		rules "$ipt" -D 1 2>/dev/null || true	# running "up" twice is fine
		rules "$ipt" -A "${CONNMARK:-0}"
	done
	echo "flowtag classes counted in mangle/FLOWTAG_CLASS (packets from $wan, $lan)"
	[ "${CONNMARK:-0}" != 1 ] || echo "class saved to and restored from the conntrack mark ($MASK)"
	echo "counters: ${IPTABLES:-iptables} -t mangle -L FLOWTAG_CLASS -v -n"
	;;
down)
	for ipt in "${IPTABLES:-iptables}" "${IP6TABLES:-ip6tables}"; do
		rules "$ipt" -D 1 2>/dev/null || true
	done
	echo "removed"
	;;
*)
	usage
	;;
esac

# Acting on a class in the filter table, for example (not run here):
#
#   # bulk may leave by the uplink only
#   iptables -A FORWARD -m mark --mark 0x400/0xff00 ! -o "$wan" -j DROP
#   # voice from the LAN is always let through
#   iptables -A FORWARD -i "$lan" -m mark --mark 0x100/0xff00 -j ACCEPT
#
# Re-classing in iptables must keep the other bits of the mark: --set-xmark
# VALUE/MASK clears MASK and then xors VALUE in:
#
#   iptables -t mangle -A FORWARD -i "$lan" -p tcp --dport 22 \
#           -j MARK --set-xmark 0x400/0xff00
