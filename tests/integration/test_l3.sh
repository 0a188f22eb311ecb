#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# L3 devices: no Ethernet header, the IP header first. A tun device named
# wg0 (the framing of WireGuard, PPP and ip tunnels) with IP packets
# written into its fd, as issue 8 describes it; then the same with tc
# alone (XDP link detached); then, when the kernel has them, ipip and gre
# tunnels carrying real traffic from another namespace. Marks and
# priorities are read from nftables counters where the packets arrive.
#
#   dut: wg0 (tun, 198.18.2.2, fd00:2::2) <- ftinject writes into it
#   gen (u0 198.18.3.1) ---- (u1 198.18.3.2) dut, ipip 198.18.4.0/30, gre 198.18.5.0/30
#
# Two test functions for runner.sh, each in namespaces of its own:
# test_tun_device (XDP, then tc alone) and test_ip_tunnels.

. "$(dirname "$0")/runner.sh"
FTINJECT=$FT_BUILD/tests/ftinject

inject()
{
	in_ns dut "$FTINJECT" -t wg0 "$@" >/dev/null
}

# $1 = label: one round of the issue's three packets, and two default ones
round()
{
	inject -s 198.18.2.1 -d 198.18.2.2 -p 5060 -n 10
	inject -s 198.18.2.3 -d 198.18.2.2 -p 53 -n 10
	inject -s fd00:2::1 -d fd00:2::2 -p 5060 -n 10
	inject -s 198.18.2.1 -d 198.18.2.2 -p 53 -n 5
	inject -s fd00:2::1 -d fd00:2::2 -P tcp -p 22 -n 5
	sleep 0.3
}

# wg0: XDP and tc on a tun device, then tc alone
test_tun_device()
{
	ns_add dut
	in_ns dut ip tuntap add dev wg0 mode tun
	in_ns dut ip addr add 198.18.2.2/24 dev wg0
	in_ns dut ip addr add fd00:2::2/64 dev wg0 nodad
	in_ns dut ip link set wg0 up

	cat >"$TMP/policy.conf" <<'EOF'
interfaces = ( { name = "wg0"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";   mark = 0x100; priority = "1:10"; },
  { name = "default"; mark = 0x500; priority = "1:50"; }
);
rules = (
  { match = { src = "198.18.2.3"; };            action = "drop"; },
  { match = { proto = "udp"; dport = 5060; };   class = "voice"; }
);
default_class = "default";
EOF

	in_ns dut nft -f - <<'EOF'
table inet ft {
  chain pre {
    type filter hook prerouting priority 0;
    iifname "wg0" ip saddr 198.18.2.1 udp dport 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "voice4"
    iifname "wg0" ip6 saddr fd00:2::1 udp dport 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "voice6"
    iifname "wg0" ip saddr 198.18.2.3 counter comment "blocked"
    iifname "wg0" ip saddr 198.18.2.1 udp dport 53 meta mark & 0xff00 == 0x500 meta priority 1:50 counter comment "default4"
    iifname "wg0" ip6 saddr fd00:2::1 tcp dport 22 meta mark & 0xff00 == 0x500 meta priority 1:50 counter comment "default6"
  }
}
EOF

	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" "$FLOWTAGD_ASAN" || { not_ok "start"; finish; }
	ok "flowtagd (ASan) starts on a tun device"
	check "tun: link none, generic XDP (tun's native XDP never runs for written packets)" \
		grep -q "wg0: attached (ifindex [0-9]*, link none, XDP generic" "$TMP/flowtagd.log"

	round
	expect_eq "tun IPv4 UDP 5060 -> 0x100/1:10" "$(nft_count dut inet ft voice4)" 10
	expect_eq "tun IPv4 from 198.18.2.3 -> dropped" "$(nft_count dut inet ft blocked)" 0
	expect_eq "tun IPv6 UDP 5060 -> 0x100/1:10" "$(nft_count dut inet ft voice6)" 10
	expect_eq "tun IPv4 unmatched -> default 0x500/1:50" "$(nft_count dut inet ft default4)" 5
	expect_eq "tun IPv6 TCP unmatched -> default 0x500/1:50" "$(nft_count dut inet ft default6)" 5

	# one lookup for link type and hand-off counters: wg0 holds its ft_devs
	# entry (ifindex % 256, FT_DEV_SLOTS), so it has no ft_hoff entry, and
	# status reads the counters from the entry
	idx=$(in_ns dut cat /sys/class/net/wg0/ifindex)
	dev=$(bpftool -j map lookup pinned "$PIN/ft_devs" key $((idx % 256)) 0 0 0 2>&1 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["formatted"]["values"]
print(*sorted({(c["value"]["ifindex"], c["value"]["l2"]) for c in v}), sum(c["value"]["hoff"]["meta_written"] for c in v))' 2>&1)
	expect_eq "ft_devs: wg0's entry on every CPU, link none, 30 tagged packets" "$dev" "($idx, 1) 30"
	# an interface that is not Ethernet: ft_xdp looks every packet's link
	# type up (ft_state.l2_lookup), not taking it for Ethernet
	expect_eq "ft_state: l2 0 (Ethernet), l2_lookup 1 (wg0 is link none)" "$(ft_state_l2)" "0 1"
	check "ft_hoff: no entry for wg0" bash -c "bpftool map show pinned '$PIN/ft_hoff' >/dev/null && ! bpftool map lookup pinned '$PIN/ft_hoff' key $((idx & 255)) $((idx >> 8 & 255)) $((idx >> 16 & 255)) $((idx >> 24)) >/dev/null 2>&1"
	status=$(ctl dut status)
	check "status: wg0's hand-off counters (from ft_devs)" grep -qE '^ *wg0 +30 +30 +30 ' <<<"$status"
	check "status: wg0 link none, mode xdp-generic" \
		grep -qE '^ *wg0 +[0-9]+ +none +xdp-generic' <<<"$status"
	check "status: no non-IP, no parse errors" \
		bash -c "grep -qE '^ *non-IP: +0$' <<<'$status' && grep -qE '^ *parse errors: +0$' <<<'$status'"
	check "status: XDP dropped the 10 blocked packets" grep -qE '^ *XDP drops: +10$' <<<"$status"
	[[ $T_FAIL -eq 0 ]] || sed 's/^/#   /' <<<"$status"

	# tc alone: the XDP link detached while no flowtagd runs (a running one
	# puts it back within a second, test_repair.sh); SIGQUIT leaves the data
	# path in place. tc then classifies from skb->protocol.
	kill -QUIT "$DAEMON_PID"
	wait "$DAEMON_PID"
	expect_eq "SIGQUIT: exit status 0, data path left running" "$?" 0
	check "no ASan/UBSan report" asan_clean "$TMP/flowtagd.log"
	fb0=$(ctl dut status | sed -n 's/^ *fallback used: *//p')
	bpftool link detach pinned "$PIN/xdp_link_wg0" 2>/dev/null ||
		ip -n "$(ns dut)" link set dev wg0 xdpgeneric off
	round
	expect_eq "tc only: IPv4 UDP 5060 -> 0x100/1:10" "$(nft_count dut inet ft voice4)" 20
	expect_eq "tc only: IPv4 from 198.18.2.3 -> dropped" "$(nft_count dut inet ft blocked)" 0
	expect_eq "tc only: IPv6 UDP 5060 -> 0x100/1:10" "$(nft_count dut inet ft voice6)" 20
	expect_eq "tc only: IPv4 default" "$(nft_count dut inet ft default4)" 10
	expect_eq "tc only: IPv6 default" "$(nft_count dut inet ft default6)" 10
	status=$(ctl dut status)
	fb1=$(sed -n 's/^ *fallback used: *//p' <<<"$status")
	expect_eq "tc only: tc classified the 40 packets itself" "$((fb1 - fb0))" 40
	check "status: wg0 mode tc-only" grep -qE '^ *wg0 +[0-9]+ +none +tc-only' <<<"$status"
	check "status: tc dropped the 10 blocked packets" grep -qE '^ *tc drops: +10$' <<<"$status"
	nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" >/dev/null 2>&1
	check "--cleanup removes the data path left by SIGQUIT" nothing_left dut wg0
}

# ip tunnels, if this kernel has them
test_ip_tunnels()
{
	ns_add dut
	ns_add gen
	veth gen u0 198.18.3.1/24 dut u1 198.18.3.2/24
	tunnels=()
	if in_ns dut ip link add ipip1 type ipip local 198.18.3.2 remote 198.18.3.1 2>/dev/null; then
		in_ns gen ip link add ipip1 type ipip local 198.18.3.1 remote 198.18.3.2
		tunnels+=("ipip1 198.18.4")
	fi
	if in_ns dut ip link add gre1 type gre local 198.18.3.2 remote 198.18.3.1 2>/dev/null; then
		in_ns gen ip link add gre1 type gre local 198.18.3.1 remote 198.18.3.2
		tunnels+=("gre1 198.18.5")
	fi
	if [[ ${#tunnels[@]} -eq 0 ]]; then
		skip_test "this kernel has neither ipip nor gre: tunnel cases not run (make check-kernel runs them)"
	fi

	names=""
	for t in "${tunnels[@]}"; do
		set -- $t
		in_ns gen ip addr add "$2.1/30" dev "$1"
		in_ns dut ip addr add "$2.2/30" dev "$1"
		in_ns gen ip link set "$1" up
		in_ns dut ip link set "$1" up
		names+="${names:+, }{ name = \"$1\"; }"
	done
	cat >"$TMP/tunnels.conf" <<EOF
interfaces = ( $names );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";   mark = 0x100; priority = "1:10"; },
  { name = "default"; mark = 0x500; priority = "1:50"; }
);
rules = (
  { match = { src = ["198.18.4.1", "198.18.5.1"]; proto = "udp"; dport = 53; }; action = "drop"; },
  { match = { proto = "udp"; dport = 5060; };   class = "voice"; }
);
default_class = "default";
EOF
	in_ns dut nft -f - <<'EOF'
table inet tun {
  chain pre {
    type filter hook prerouting priority 0;
    udp dport 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "voice"
    udp dport 53 counter comment "blocked"
    udp dport 7777 meta mark & 0xff00 == 0x500 meta priority 1:50 counter comment "default"
  }
}
EOF
	daemon_start dut "$TMP/tunnels.conf" "$TMP/tunnels.log" || { not_ok "start on tunnels"; finish; }
	reach gen 198.18.3.2
	for t in "${tunnels[@]}"; do
		set -- $t
		before_v=$(nft_count dut inet tun voice)
		before_d=$(nft_count dut inet tun default)
		check "$1: a tunnel device, generic XDP" \
			grep -qE "$1: attached \(ifindex [0-9]+, link (ipip|gre), XDP generic" "$TMP/tunnels.log"
		send gen -d "$2.2" -p 5060 -n 10
		send gen -d "$2.2" -p 53 -n 10
		send gen -d "$2.2" -p 7777 -n 10
		sleep 0.3
		expect_eq "$1: UDP 5060 -> 0x100/1:10" "$(( $(nft_count dut inet tun voice) - before_v ))" 10
		expect_eq "$1: drop rule on the tunnel source" "$(nft_count dut inet tun blocked)" 0
		expect_eq "$1: unmatched -> 0x500/1:50" "$(( $(nft_count dut inet tun default) - before_d ))" 10
		status=$(ctl dut status)
		check "status: $1 in xdp-generic mode" \
			grep -qE "^ *$1 +[0-9]+ +(ipip|gre) +xdp-generic" <<<"$status"
	done
	daemon_stop "$DAEMON_PID"
}

run_tests "$@"
