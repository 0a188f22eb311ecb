#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# The deepest link layers and network headers the classifier reads, as real
# frames on a veth, through every path that parses them: native XDP,
# generic XDP, and tc alone (XDP link detached, the fallback parses).
# QinQ + PPPoE + IPv4 with 40 option bytes, IPv6 behind hop-by-hop,
# destination and routing headers, AH, first fragments, and the same
# frames cut short at header boundaries (and one byte either side). Marks
# are counted in nftables' netdev ingress hook at the receiver, right after
# tc ingress (a frame cut inside its outer VLAN tag never gets there: the
# kernel drops it when it untags). Complete frames must get the class
# `flowtagctl explain` gives for their fields; a truncated frame the same
# mark on every path.
#
#   gen (g0) ---- (d0) dut

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.41

policy()
{
	cat >"$TMP/policy.conf" <<END
interfaces = ( { name = "d0"; xdp_mode = "$1"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "v4voice"; mark = 0x100; priority = "1:10"; },
  { name = "v6voice"; mark = 0x200; priority = "1:20"; },
  { name = "v6any";   mark = 0x300; priority = "1:30"; },
  { name = "v4any";   mark = 0x400; priority = "1:40"; },
  { name = "default"; mark = 0x500; priority = "1:50"; }
);
rules = (
  { match = { src = "198.18.41.0/24"; proto = "udp"; dport = 5060; }; class = "v4voice"; },
  { match = { src = "fd00:41::/64"; proto = "udp"; dport = 5060; };   class = "v6voice"; },
  { match = { src = "fd00:41::/64"; };                                class = "v6any"; },
  { match = { src = "198.18.41.0/24"; };                              class = "v4any"; }
);
default_class = "default";
END
}

mark_counters dut d0
N=10

Q="-v 100 -v 200 -o"		# QinQ + PPPoE: the network header at byte 30
V4="-s 198.18.41.1 -d 198.18.41.2 -p 5060"
V6="-s fd00:41::1 -d fd00:41::2 -p 5060"
E4="src 198.18.41.1 dst 198.18.41.2 proto udp dport 5060"
E6="src fd00:41::1 dst fd00:41::2 proto udp dport 5060"
# name|ftinject arguments|explain keys
KINDS=(
	"qinq-pppoe-ipv4|$Q $V4|$E4"
	"qinq-pppoe-ipv4-opts40|$Q -O 40 $V4|$E4"
	"qinq-pppoe-ipv4-first-frag|$Q -O 8 -f first $V4|$E4"
	"qinq-pppoe-ipv6-hbh-dst-rh|$Q -x 0,60,43 $V6|$E6"
	"qinq-pppoe-ipv6-ah|$Q -x 51 $V6|$E6"
	"qinq-pppoe-ipv6-first-frag|$Q -x 0,44 -f first $V6|$E6"
	"qinq-ipv6-hbh-dst-rh|-v 100 -v 200 -x 0,60,43 $V6|$E6"
	"vlan-ipv4-opts40|-v 100 -O 40 $V4|$E4"
)
# name|ftinject arguments|lengths to cut the frame to
CUTS=(
	"qinq-pppoe-ipv4-opts40|$Q -O 40 $V4|21 22 25 26 29 30 31 49 50 69 70 71 77 78"
	"qinq-pppoe-ipv6-exthdrs|$Q -x 0,60,43 $V6|29 30 31 69 70 71 85 86 87 101 102 117 118 119 125 126"
	"qinq-pppoe-ipv6-frag|$Q -x 0,44 -f first $V6|85 86 93 94 95 101 102"
	"qinq-ipv4-opts8|-v 100 -v 200 -O 8 $V4|21 22 41 42 49 50 51 57 58"
)

declare -A R
# round MODE: every kind and cut once; the marks into R[MODE:...]
round()
{
	local k name args keys cut got

	for k in "${KINDS[@]}"; do
		IFS='|' read -r name args keys <<<"$k"
		# shellcheck disable=SC2086
		mark_of gen g0 "$N" $args
		got=$MARK
		R[$1:$name]=$got
		# shellcheck disable=SC2086
		expect_eq "$1: $name -> the class explain gives" "$got" "$(explain_mark dut $keys)"
	done
	for k in "${CUTS[@]}"; do
		IFS='|' read -r name args keys <<<"$k"
		for cut in $keys; do
			# shellcheck disable=SC2086
			mark_of gen g0 "$N" $args -T "$cut"
			R[$1:$name:$cut]=$MARK
		done
	done
}

for mode in native generic; do
	policy "$mode"
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd-$mode.log" "$FLOWTAGD_ASAN" ||
		{ not_ok "start ($mode)"; finish; }
	ok "flowtagd (ASan) starts, XDP $mode"
	round "$mode"
	if [[ $mode == native ]]; then
		daemon_stop "$DAEMON_PID"
		check "no ASan/UBSan report" asan_clean "$TMP/flowtagd-$mode.log"
		continue
	fi
	# tc alone: SIGQUIT leaves the data path, then the XDP link goes
	kill -QUIT "$DAEMON_PID"
	wait "$DAEMON_PID"
	check "no ASan/UBSan report" asan_clean "$TMP/flowtagd-$mode.log"
	bpftool link detach pinned "$PIN/xdp_link_d0" 2>/dev/null ||
		ip -n "$(ns dut)" link set dev d0 xdpgeneric off
	round tc
	nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" >/dev/null 2>&1
done

for k in "${CUTS[@]}"; do
	IFS='|' read -r name args keys <<<"$k"
	for cut in $keys; do
		n=${R[native:$name:$cut]} g=${R[generic:$name:$cut]} t=${R[tc:$name:$cut]}
		if [[ $n == "$g" && $n == "$t" && $n != mixed* && $n != send-failed ]]; then
			ok "$name cut at $cut bytes: $n on every path"
		else
			not_ok "$name cut at $cut bytes: native $n, generic $g, tc $t"
		fi
	done
done
check "--cleanup left nothing" nothing_left dut d0
finish
