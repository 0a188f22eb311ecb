#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Ethernet uplinks as real routers have them: PPPoE session frames, frames
# of EtherType 0x0000 (bare and behind a VLAN tag), a VLAN tag the sender
# offloaded (it travels in skb metadata, XDP cannot see it; reproduced with
# a tc egress bpf_skb_vlan_push on the sending veth), and a veth whose peer
# has an MTU above one page (only the xdp.frags program attaches). Marks
# and priorities are read from nftables counters at the receiving side, in
# the netdev ingress hook, which runs right after tc ingress (PPPoE and
# tagged frames never reach the IP stack there).
#
#   gen (g0 198.18.6.1, .3) ---- (d0 198.18.6.2) dut
#   gen (g1, MTU 9000)      ---- (d1, MTU 1500)   dut

. "$(dirname "$0")/lib.sh"
need_root
FTINJECT=$FT_BUILD/tests/ftinject

ns_add gen
ns_add dut
veth gen g0 198.18.6.1/24 dut d0 198.18.6.2/24
in_ns gen ip addr add 198.18.6.3/24 dev g0
ip link add g1 netns "$(ns gen)" mtu 9000 type veth peer name d1 netns "$(ns dut)" mtu 1500
in_ns gen ip link set g1 up
in_ns dut ip link set d1 up

cat >"$TMP/policy.conf" <<'EOF'
interfaces = ( { name = "d0"; }, { name = "d1"; xdp_mode = "native"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";   mark = 0x100; priority = "1:10"; },
  { name = "tagged";  mark = 0x300; priority = "1:30"; },
  { name = "default"; mark = 0x500; priority = "1:50"; }
);
rules = (
  { match = { vlan = 100; };                   class = "tagged"; },
  { match = { src = "198.18.6.3"; };           action = "drop"; },
  { match = { proto = "udp"; dport = 5060; };  class = "voice"; }
);
default_class = "default";
EOF

# @nh is the PPPoE header for EtherType 0x8864: IPv4 source at byte 8+12,
# UDP destination port at 8+20+2 (IPv4) and 8+40+2 (IPv6)
in_ns dut nft -f - <<'EOF'
table netdev ft {
  chain in {
    type filter hook ingress device "d0" priority 0;
    ether type 0x8864 @nh,240,16 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "pppoe4"
    ether type 0x8864 @nh,400,16 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "pppoe6"
    ether type 0x8864 @nh,160,32 0xc6120603 counter comment "pppoe_blocked"
    ether type 0x8864 @nh,240,16 53 meta mark & 0xff00 == 0x500 meta priority 1:50 counter comment "pppoe_default"
    ether type 0x0000 meta mark & 0xff00 == 0x500 meta priority 1:50 counter comment "etype0"
    vlan id 100 meta protocol != ip meta mark & 0xff00 == 0x300 meta priority 1:30 counter comment "etype0_vlan"
    vlan id 100 udp dport 7000 meta mark & 0xff00 == 0x300 meta priority 1:30 counter comment "offload"
    vlan id 100 udp dport 7000 counter comment "offload_any"
  }
}
EOF

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" "$FLOWTAGD_ASAN" || { not_ok "start"; finish; }
ok "flowtagd (ASan) starts"

# ---- case 6: the veth whose peer MTU is too large ----
check "d1: the kernel's reason for refusing the plain program is shown" \
	grep -q "d1: native XDP (plain program) refused: .*(kernel: .*Peer MTU is too large" \
	"$TMP/flowtagd.log"
check "d1: the xdp.frags program attached natively" \
	grep -q "d1: attached (ifindex [0-9]*, link ether, XDP native frags" "$TMP/flowtagd.log"
check "d0: plain program, natively" \
	grep -q "d0: attached (ifindex [0-9]*, link ether, XDP native," "$TMP/flowtagd.log"
status=$(ctl dut status)
check "status: d1 link ether, mode xdp-native, state ok, the frags program" \
	grep -qE '^ *d1 +[0-9]+ +ether +xdp-native +yes +ok +native +ft_xdp_frags #[0-9]+ +(tcx|clsact) +yes +no' <<<"$status"
# every interface Ethernet: ft_xdp takes each packet for Ethernet without
# looking its link type up (ft_state.l2_lookup 0; test_l3.sh the other way)
expect_eq "ft_state: l2 0 (Ethernet), l2_lookup 0 (d0, d1 link ether)" "$(ft_state_l2)" "0 0"

# ---- case 2: PPPoE session frames ----
inject()
{
	in_ns gen "$FTINJECT" -i g0 "$@" >/dev/null
}
inject -o -s 198.18.6.1 -d 198.18.6.2 -p 5060 -n 10
inject -o -s fd00:6::1 -d fd00:6::2 -p 5060 -n 10
inject -o -s 198.18.6.3 -d 198.18.6.2 -p 5060 -n 10
inject -o -s 198.18.6.1 -d 198.18.6.2 -p 53 -n 10
sleep 0.3
expect_eq "PPPoE IPv4 UDP 5060 -> 0x100/1:10" "$(nft_count dut netdev ft pppoe4)" 10
expect_eq "PPPoE IPv6 UDP 5060 -> 0x100/1:10" "$(nft_count dut netdev ft pppoe6)" 10
expect_eq "PPPoE from a blocked source -> dropped" "$(nft_count dut netdev ft pppoe_blocked)" 0
expect_eq "PPPoE unmatched -> default 0x500/1:50" "$(nft_count dut netdev ft pppoe_default)" 10

# ---- case 7: EtherType 0x0000: non-IP, matches rules without L3/L4 keys ----
perr0=$(ctl dut status | sed -n 's/^ *parse errors: *//p')
inject -e 0 -n 10
inject -e 0 -v 100 -n 10
sleep 0.3
expect_eq "EtherType 0x0000 -> default 0x500/1:50 (non-IP)" "$(nft_count dut netdev ft etype0)" 10
expect_eq "EtherType 0x0000 on VLAN 100 -> the vlan rule, 0x300/1:30" \
	"$(nft_count dut netdev ft etype0_vlan)" 10
expect_eq "EtherType 0x0000 is no parse error" \
	"$(ctl dut status | sed -n 's/^ *parse errors: *//p')" "$perr0"

# ---- case 5: a VLAN tag the sender offloaded ----
tc -n "$(ns gen)" qdisc add dev g0 clsact
tc -n "$(ns gen)" filter add dev g0 egress pref 1 bpf da obj "$FT_BUILD/tests/vlanpush.bpf.o" sec tc
mac=$(ip -n "$(ns dut)" -br link show d0 | awk '{print $3}')
in_ns gen ip neigh replace 198.18.6.2 lladdr "$mac" dev g0 nud permanent
send gen -d 198.18.6.2 -p 7000 -n 10
send gen -d 198.18.6.2 -p 7000 -S 198.18.6.3 -n 10
sleep 0.3
expect_eq "offloaded tag: vlan rule -> 0x300/1:30" "$(nft_count dut netdev ft offload)" 20
expect_eq "offloaded tag: blocked source on VLAN 100 is not dropped (the vlan rule comes first)" \
	"$(nft_count dut netdev ft offload_any)" 20
status=$(ctl dut status)
re=$(sed -n 's/^ *reclassified (VLAN offload): *//p' <<<"$status")
check "status: tc reclassified the 20 offloaded-tag packets (got $re)" test "${re:-0}" -ge 20
check "status: the warning names VLAN offload" grep -q "VLAN tag was offloaded" <<<"$status"
tc -n "$(ns gen)" qdisc del dev g0 clsact

daemon_stop "$DAEMON_PID"
check "no ASan/UBSan report" asan_clean "$TMP/flowtagd.log"
finish
