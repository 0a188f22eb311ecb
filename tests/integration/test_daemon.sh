#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtagd (built with ASan/UBSan) classifies real IPv4 and IPv6 packets on a
# veth: the marks and priorities are read back from nftables counters where
# the packets arrive. Then --check, a drop rule, another tc filter on the
# same hook, and a SIGTERM that must leave nothing behind. tc ingress is a
# clsact filter here on every kernel (tc_hook = "clsact": the coexistence
# with other filters by pref, the qdisc kept or made); test_tcx.sh covers
# the tcx link that tc_hook = "auto" gives on kernels 6.6+.
#
#   gen (g0 198.18.1.1, fd00:1::1) ---- (d0 198.18.1.2, fd00:1::2) dut

. "$(dirname "$0")/lib.sh"
need_root

ns_add gen
ns_add dut
veth gen g0 198.18.1.1/24 dut d0 198.18.1.2/24 fd00:1::1/64 fd00:1::2/64
ip -n "$(ns gen)" addr add fd00:66::1/128 dev g0 nodad

cat >"$TMP/policy.conf" <<'EOF'
interfaces = ( { name = "d0"; xdp_mode = "native"; tc_hook = "clsact"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";       mark = 0x100; priority = "1:10"; },
  { name = "interactive"; mark = 0x200; priority = "1:20"; },
  { name = "bulk";        mark = 0x300; priority = "1:30"; },
  { name = "default";     mark = 0x400; priority = "1:40"; },
  { name = "video";       mark = 0x500; dscp = "AF41"; }
);
rules = (
  { name = "blocked"; match = { src = "fd00:66::/64"; }; action = "drop"; },
  { match = { proto = "udp"; dport = 6000; };          class = "video"; },
  { match = { proto = "udp"; dport = "5060-5061"; };     class = "voice"; },
  { name = "ssh"; match = { proto = "tcp"; dport = 22; }; class = "interactive"; },
  { match = { proto = "udp"; dport = 9000; dscp = "CS1"; }; class = "bulk"; }
);
default_class = "default";
EOF

# --check: valid, then broken, never touching the kernel
check "--check accepts a valid policy" bash -c "\"$FLOWTAGD\" --check -c \"$TMP/policy.conf\" >/dev/null"
sed 's/dport = 22;/dport = 70000;/' "$TMP/policy.conf" >"$TMP/bad.conf"
out=$("$FLOWTAGD" --check -c "$TMP/bad.conf" 2>&1)
rc=$?
expect_eq "--check rejects a bad policy with exit 1" "$rc" 1
check "--check names FILE:LINE" grep -q "bad.conf:14: error: .*70000" <<<"$out"
# an @include of a directory: libconfig 1.5 would exit(2) without FILE:LINE
n=$(wc -l <"$TMP/policy.conf")
{ cat "$TMP/policy.conf"; echo '@include "."'; } >"$TMP/incdot.conf"
out=$("$FLOWTAGD" --check -c "$TMP/incdot.conf" 2>&1)
rc=$?
expect_eq "--check rejects @include \".\" with exit 1" "$rc" 1
check "--check names FILE:LINE of the @include" \
	grep -q "incdot.conf:$((n + 1)): error: @include \"\.\": .* is a directory" <<<"$out"

# nftables at the receiving end counts per class: mark bits and priority
in_ns dut nft -f - <<'EOF'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "voice"
    tcp dport 22 meta mark & 0xff00 == 0x200 meta priority 1:20 counter comment "interactive"
    udp dport 9000 meta mark & 0xff00 == 0x300 meta priority 1:30 counter comment "bulk"
    udp dport 7777 meta mark & 0xff00 == 0x400 meta priority 1:40 counter comment "default"
    udp dport 9000 meta mark & 0xff00 == 0x400 counter comment "default9000"
    ip6 saddr fd00:66::1 counter comment "blocked"
    udp dport 6000 ip dscp af41 meta mark & 0xff00 == 0x500 counter comment "dscp4"
    udp dport 6000 ip6 dscp af41 meta mark & 0xff00 == 0x500 counter comment "dscp6"
    meta l4proto { tcp, udp } meta mark & 0xff00 == 0 counter comment "untagged"
  }
}
EOF

# another tool's filter on the same hook, before ours: must keep working,
# and must still see its bits after we tag (mark_mask)
tc -n "$(ns dut)" qdisc add dev d0 clsact
tc -n "$(ns dut)" filter add dev d0 ingress pref 1 bpf da obj "$FT_BUILD/tests/foreign.bpf.o" sec tc

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" "$FLOWTAGD_ASAN" || { not_ok "start"; finish; }
ok "flowtagd (ASan) starts on the policy"
check "XDP attached natively" grep -q "d0: attached (ifindex [0-9]*, link ether, XDP native" "$TMP/flowtagd.log"
check "kept the existing clsact qdisc" bash -c "! grep -q 'created clsact' '$TMP/flowtagd.log'"

# neighbour discovery first: the counts below are exact
reach gen 198.18.1.2
reach gen fd00:1::2
send gen -d 198.18.1.2 -p 5060 -n 20
send gen -d fd00:1::2 -p 5060 -n 20
send gen -t -d 198.18.1.2 -p 22 -n 5
send gen -t -d fd00:1::2 -p 22 -n 5
send gen -d 198.18.1.2 -p 9000 -q 8 -n 10
send gen -d 198.18.1.2 -p 9000 -q 0 -n 4
send gen -d 198.18.1.2 -p 7777 -n 10
send gen -d fd00:1::2 -p 7777 -n 10
send gen -d fd00:1::2 -p 5060 -S fd00:66::1 -n 10
send gen -d 198.18.1.2 -p 5061 -n 3
send gen -d 198.18.1.2 -p 6000 -q 0 -n 7
send gen -d fd00:1::2 -p 6000 -q 10 -n 6
sleep 0.5

expect_eq "IPv4+IPv6 UDP 5060 -> voice (mark 0x100, priority 1:10)" "$(nft_count dut inet ft voice)" 40
expect_eq "IPv4+IPv6 TCP 22 SYNs -> interactive" "$(nft_count dut inet ft interactive)" 10
expect_eq "UDP 9000 with DSCP CS1 -> bulk" "$(nft_count dut inet ft bulk)" 10
expect_eq "UDP 9000 without CS1 -> default" "$(nft_count dut inet ft default9000)" 4
expect_eq "IPv4+IPv6 unmatched -> default class" "$(nft_count dut inet ft default)" 20
expect_eq "DSCP rewritten to AF41 in IPv4, checksum still valid" "$(nft_count dut inet ft dscp4)" 7
expect_eq "DSCP rewritten to AF41 in IPv6" "$(nft_count dut inet ft dscp6)" 6
expect_eq "drop rule: nothing from fd00:66::/64 arrives" "$(nft_count dut inet ft blocked)" 0
expect_eq "no TCP/UDP packet untagged" "$(nft_count dut inet ft untagged)" 0
# the u32 filter set 0xab0000cd; flowtag replaces only the 0xff00 bits (voice:
# 0x100), so the packets arrive with 0xab0001cd
in_ns dut nft insert rule inet ft in meta mark 0xab0001cd counter comment "shared" >/dev/null
send gen -d 198.18.1.2 -p 5061 -n 3
sleep 0.3
expect_eq "mark bits outside mark_mask survive (0xab0000cd | voice)" \
	"$(nft_count dut inet ft shared)" 3
check "the other tc filter is still there" \
	bash -c "tc -n $(ns dut) filter show dev d0 ingress | grep -q other_tc"

if [[ -x $FTCTL ]]; then
	st=$(ctl dut status 2>&1)
	# (here-strings, not bash -c '...': the reasons hold quotes)
	check "flowtagctl status: running" grep -q '^flowtagd: *running' <<<"$st"
	check "flowtagctl status: generation 1" grep -q '^generation: *1$' <<<"$st"
	check "flowtagctl status: d0 native with ft_xdp" grep -q "d0 .* native *ft_xdp #" <<<"$st"
	# the other tool's filter runs first (pref 1): had it returned a
	# verdict, nothing would be tagged; status cannot tell, so it says so
	check "flowtagctl status: the filter in front (pref 1) is named" \
		grep -q "d0: tc filter pref 1 handle 0x1 (bpf) runs on ingress before flowtag's" <<<"$st"
	check "flowtagctl status: ... and the state is degraded" grep -q "^state: *degraded" <<<"$st"
	js=$(ctl dut -j status 2>&1)
	check "flowtagctl status -j: hand-off ok" grep -q '"handoff":{"state":"ok"' <<<"$js"
	check "flowtagctl status -j: no fallback" grep -q '"fallback":0' <<<"$js"
	# the kernel block is probed, not assumed: tcx hooks exist from 6.6 on,
	# and 6.1's verifier does not inline per-CPU array lookups
	kv=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
	want_tcx=no
	[[ $kv -ge 606 ]] && want_tcx=yes
	check "flowtagctl status -j: kernel $(uname -r), tcx hooks $want_tcx" \
		grep -q "\"kernel\":{\"release\":\"$(uname -r)\",\"tcx\":\"$want_tcx\"" <<<"$js"
	if [[ $kv -lt 602 ]]; then
		check "flowtagctl status -j: per-CPU lookups are helper calls on $(uname -r)" \
			grep -q '"percpu_lookup":"helper calls"' <<<"$js"
	fi
	js=$(ctl dut -j stats 2>&1)
	check "flowtagctl stats -j: voice counted 40 packets" \
		bash -c "tr -d ' \n' <<<'$js' | grep -q '\"name\":\"voice\"[^}]*\"packets\":4[0-9]'"
	check "flowtagctl stats -j: the drop rule dropped the 10 packets in XDP" \
		bash -c "tr -d ' \n' <<<'$js' | grep -q '\"action\":\"drop\"[^}]*\"packets\":10[,}]'"
	check "flowtagctl stats -j: the drop rule by its name, 'blocked'" \
		bash -c "tr -d ' \n' <<<'$js' | grep -q '\"index\":0,\"name\":\"blocked\",'"
	out=$(ctl dut stats 2>&1)
	check "flowtagctl stats: the rule names in their column" \
		grep -E -q '^ *3 +ssh +[0-9]+ +- +class +interactive ' <<<"$out"
	out=$(ctl dut reload 2>&1)
	check "flowtagctl reload: generation 1 -> 2" grep -q "generation 1 -> 2" <<<"$out"
	"$FTCTL" check "$TMP/bad.conf" >/dev/null 2>&1
	expect_eq "flowtagctl check rejects the bad policy (exit 1)" "$?" 1
	out=$("$FTCTL" -c "$TMP/policy.conf" explain proto tcp src 198.18.1.1 dst 198.18.1.2 dport 22 2>&1)
	check "flowtagctl explain: TCP 22 is rule 3, interactive" \
		bash -c "grep -q 'class interactive' <<<'$out' && grep -q 'agrees with the reference' <<<'$out'"
	check "flowtagctl explain: the rule by its name" grep -q "^rule: *3 'ssh' (" <<<"$out"
	ctl dut bogus >/dev/null 2>&1
	expect_eq "flowtagctl usage error exits 2" "$?" 2
fi

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "SIGTERM leaves no XDP program, filter or pin" nothing_left dut d0
check "the clsact qdisc we did not create stays" \
	bash -c "tc -n $(ns dut) qdisc show dev d0 | grep -q clsact"
check "the other tc filter survives our stop" \
	bash -c "tc -n $(ns dut) filter show dev d0 ingress | grep -q other_tc"
check "no ASan/UBSan/LSan report" asan_clean "$TMP/flowtagd.log"

# now on a bare interface: the qdisc is ours and goes away with us
tc -n "$(ns dut)" qdisc del dev d0 clsact
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd2.log" || { not_ok "restart"; finish; }
check "creates the clsact qdisc when missing" grep -q "created clsact" "$TMP/flowtagd2.log"
daemon_stop "$DAEMON_PID"
check "removes the clsact qdisc it created" \
	bash -c "! tc -n $(ns dut) qdisc show dev d0 | grep -q clsact"
check "nothing left after the second stop" nothing_left dut d0

# a legacy ingress qdisc holds the hook: flowtagd needs clsact and says so
tc -n "$(ns dut)" qdisc add dev d0 ingress
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" --pin-dir "$PIN" \
	>"$TMP/flowtagd4.log" 2>&1
expect_eq "refuses to start next to a legacy ingress qdisc" "$?" 1
check "names the ingress qdisc" grep -q 'a "ingress" qdisc holds the ingress hook' \
	"$TMP/flowtagd4.log"
check "and leaves nothing behind" nothing_left dut d0
tc -n "$(ns dut)" qdisc del dev d0 ingress

# a foreign XDP program: flowtagd refuses to replace it
ip -n "$(ns dut)" link set dev d0 xdpgeneric obj "$FT_BUILD/tests/foreign.bpf.o" sec xdp
if ip -n "$(ns dut)" link show d0 | grep -q prog/xdp; then
	nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" \
		--pin-dir "$PIN" >"$TMP/flowtagd3.log" 2>&1
	expect_eq "refuses to start over another XDP program" "$?" 1
	check "says which program is in the way" \
		grep -q "another XDP program is attached" "$TMP/flowtagd3.log"
	check "the foreign program is still attached" \
		bash -c "ip -n $(ns dut) link show d0 | grep -q prog/xdp"
	check "and nothing of ours is left" bash -c "[[ ! -e $PIN ]]"
	ip -n "$(ns dut)" link set dev d0 xdpgeneric off
else
	skip "refuses to start over another XDP program" \
		"could not attach a foreign XDP program with ip(8)"
fi

finish
