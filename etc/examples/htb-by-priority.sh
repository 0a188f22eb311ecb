#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# htb-by-priority.sh -- shape an egress interface by flowtag class, with no
# tc filter at all.
#
#   htb-by-priority.sh DEV MBIT        e.g.  htb-by-priority.sh eth0 100
#   htb-by-priority.sh --delete DEV
#   LEAF=sfq htb-by-priority.sh ...    another qdisc inside each class
#
# Documentation, not part of any test: read it, adapt it, then run it as root
# on the router that runs flowtagd. MBIT is the uplink's real rate in Mbit/s
# (a little below it, so the queue builds here and not in the modem).
#
# How it works. Each flowtag class has a priority in tc notation ("1:10" =
# 0x00010010) that flowtag writes into skb->priority. HTB looks at
# skb->priority before its filters: when it is the id of one of its leaf
# classes, the packet goes straight to that class. So classes 1:10 .. 1:50
# under "handle 1:" receive exactly the packets of the flowtag classes with
# those priorities. The shipped /etc/flowtag/flowtag.conf uses:
#
#   voice 1:10   video 1:20   interactive 1:30   default 1:40   bulk 1:50
#
# Everything else -- the router's own traffic, packets a rule left untagged,
# priorities with another major number -- goes to "default 40", i.e. 1:40.
# A priority of X:0 ("1:0" here) selects HTB's direct queue: sent at once,
# not shaped. A class named by "default" must exist, or those packets go to
# the direct queue too.
#
# Forwarded IPv4: the kernel overwrites skb->priority from the TOS byte
# while forwarding (sysctl net.ipv4.ip_forward_update_priority, default 1),
# so by the time HTB sees a forwarded IPv4 packet flowtag's priority is gone.
# Set egress_restore = true on DEV in flowtag.conf: flowtag's tc egress
# program then sets the priority again from the class bits of the mark,
# just before this qdisc. (Or set the sysctl to 0. IPv6 forwarding keeps the
# priority.) flowtagd warns at start when neither is done.
#
# Watch it:  tc -s class show dev DEV      (Sent ... pkt per class)
#            flowtagctl stats              (packets per flowtag class)

set -eu

usage()
{
	echo "usage: $0 DEV MBIT | --delete DEV" >&2
	exit 2
}

[ $# -ge 2 ] || usage
if [ "$1" = "--delete" ]; then
	tc qdisc del dev "$2" root 2>/dev/null || true
	echo "$2: root qdisc removed (back to the default)"
	exit 0
fi
dev=$1
mbit=$2
case $mbit in
'' | *[!0-9]*) usage ;;
esac
rate=$((mbit * 1000))	# kbit

# the qdisc inside each class: fq_codel shares a class fairly between its
# flows, with short queues; LEAF=pfifo (or sfq, cake, ...) to use another
leafq=${LEAF:-fq_codel}

# leaf CLASSID SHARE_PERCENT PRIO: a class guaranteed SHARE of the link that
# may borrow up to all of it; lower prio gets spare bandwidth first
leaf()
{
	tc class add dev "$dev" parent 1:1 classid "1:$1" htb \
		rate "$((rate * $2 / 100))kbit" ceil "${rate}kbit" prio "$3" quantum 1514
	tc qdisc add dev "$dev" parent "1:$1" "$leafq"
}

# start from scratch: whatever root qdisc DEV had goes (HTB cannot be
# changed in place by "replace")
tc qdisc del dev "$dev" root 2>/dev/null || true
tc qdisc add dev "$dev" root handle 1: htb default 40
tc class add dev "$dev" parent 1: classid 1:1 htb rate "${rate}kbit" ceil "${rate}kbit" \
	quantum 1514

#    classid share prio   flowtag class
leaf 10      15    0    # voice: small, first served
leaf 20      30    1    # video
leaf 30      15    1    # interactive: SSH, DNS, TCP handshakes
leaf 40      25    2    # default: everything unclassified
leaf 50      15    3    # bulk: backups, CS1/LE; borrows only what is left

echo "$dev: HTB by skb->priority, ${mbit} Mbit/s; classes 1:10 1:20 1:30 1:40 1:50"
if [ "$(cat /proc/sys/net/ipv4/ip_forward_update_priority 2>/dev/null || echo 0)" = 1 ]; then
	echo "note: net.ipv4.ip_forward_update_priority is 1: forwarded IPv4 needs" \
		"egress_restore = true on $dev in flowtag.conf"
fi
tc class show dev "$dev"
