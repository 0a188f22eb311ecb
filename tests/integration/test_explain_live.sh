#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtagctl explain --live: packets run through the running XDP and tc
# programs (BPF_PROG_TEST_RUN against the live maps) agree with explain's
# userspace answer, rule by rule, for tagged, default, pass and dropped
# packets, IPv4 and IPv6; and the probes change nothing: the counters
# (status, stats), the flow cache and the fragment table are the same
# before and after.
#
#   gen (g0 198.18.42.1) ---- (d0 198.18.42.2) dut
#
# (IPv6 packets are only probed: no address on the link is needed)

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.42 || { not_ok "topology"; finish; }
# no stray packets during the snapshots: no ARP, no IPv6 on the link
in_ns gen sysctl -qw net.ipv6.conf.g0.disable_ipv6=1
in_ns dut sysctl -qw net.ipv6.conf.d0.disable_ipv6=1
ip -n "$(ns gen)" neigh replace 198.18.42.2 lladdr "$(ip -n "$(ns dut)" -br link show d0 | awk '{print $3}')" dev g0 nud permanent
ip -n "$(ns dut)" neigh replace 198.18.42.1 lladdr "$(ip -n "$(ns gen)" -br link show g0 | awk '{print $3}')" dev d0 nud permanent
cat >"$TMP/policy.conf" <<'EOF2'
interfaces = ( { name = "d0"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice"; mark = 0x100; priority = "1:10"; dscp = "EF"; },
  { name = "interactive"; mark = 0x200; priority = "1:20"; },
  { name = "default"; mark = 0x400; priority = "1:40"; }
);
rules = (
  { name = "blocked"; match = { src = ["198.18.42.66/32", "fd00:42::66/128"]; }; action = "drop"; },
  { name = "sip"; match = { proto = "udp"; dport = "5060-5061"; }; class = "voice"; },
  { name = "ef"; match = { dscp = "EF"; }; class = "voice"; },
  { name = "ssh"; match = { proto = "tcp"; dport = 22; iif = "d0"; }; class = "interactive"; },
  { name = "syn"; match = { proto = "tcp"; tcp_flags = "syn/syn,ack"; }; class = "interactive"; },
  { name = "icmp6"; match = { family = "ipv6"; proto = "icmpv6"; }; action = "pass"; }
);
default_class = "default";
EOF2

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
ok "flowtagd starts"
# real traffic first, so the counters and the flow cache hold something
send gen -d 198.18.42.2 -p 5060 -n 50 -f 8
send gen -d 198.18.42.2 -p 9000 -n 50 -f 8
sleep 0.3

# everything a probe could change, as text
snapshot()
{
	ctl dut -j status | sed 's/"loaded":[^,]*,//; s/"last_repair[^,]*,//g' |
		grep -o '"counters":{[^}]*}\|"meta_written":[0-9]*\|"tc_packets":[0-9]*\|"meta_seen":[0-9]*'
	ctl dut -j stats
	"$FT_BUILD/tests/ftmapsum" "$PIN/ft_flow_cache"
	"$FT_BUILD/tests/ftmapsum" "$PIN/ft_flow4"
	"$FT_BUILD/tests/ftmapsum" "$PIN/ft_frags"
}
snapshot >"$TMP/before"

packets=(
	"proto udp src 198.18.42.1 dst 198.18.42.2 dport 5060 iif d0"
	"proto udp src 198.18.42.1 dst 198.18.42.2 sport 5061 dport 9000 iif d0"
	"proto udp src 198.18.42.66 dst 198.18.42.2 dport 5060 iif d0"
	"proto tcp src 198.18.42.1 dst 198.18.42.2 dport 22 iif d0"
	"proto tcp src 198.18.42.1 dst 198.18.42.2 dport 22"
	"proto tcp src 198.18.42.1 dst 198.18.42.2 dport 80 tcp-flags syn iif d0"
	"proto tcp src 198.18.42.1 dst 198.18.42.2 dport 80 tcp-flags syn,ack iif d0"
	"proto udp src 198.18.42.1 dst 198.18.42.2 dport 53 dscp EF iif d0"
	"proto icmp src 198.18.42.1 dst 198.18.42.2 iif d0"
	"proto udp src fd00:42::1 dst fd00:42::2 dport 5060 iif d0"
	"proto icmpv6 src fd00:42::1 dst fd00:42::2 iif d0"
	"proto tcp src fd00:42::66 dst fd00:42::2 dport 443 iif d0"
	"proto udp src fd00:42::1 dst fd00:42::2 dport 4000 dscp EF vlan 7 iif d0"
	"vlan 7 iif d0"
)
rule_of() { grep -o '"rule":[0-9a-z]*' | head -n1; }
for pkt in "${packets[@]}"; do
	# shellcheck disable=SC2086
	user=$(ctl dut -j explain $pkt)
	# shellcheck disable=SC2086
	live=$(ctl dut -j explain --live $pkt 2>"$TMP/live.err")
	rc=$?
	if [[ $rc -ne 0 ]]; then
		not_ok "explain --live $pkt (exit $rc: $(cat "$TMP/live.err"))"
		continue
	fi
	check "explain --live $pkt: XDP and tc agree with userspace" \
		python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["live"]["agree"] is True else 1)' "$live"
	xdp=$(grep -o '"xdp":{[^}]*}' <<<"$live")
	if grep -q '"drop":true' <<<"$xdp"; then
		# XDP_DROP writes no tag: the drop is the verdict
		check "... dropped by XDP, as explain says" grep -q '"action":"drop"' <<<"$user"
	else
		expect_eq "... the XDP program chose explain's rule" "$(rule_of <<<"$xdp")" \
			"$(rule_of <<<"$user")"
	fi
done
ctl dut explain --live proto udp src 198.18.42.1 dst 198.18.42.2 dport 5060 iif d0 \
	>"$TMP/text.out" 2>&1
diag "$(sed 's/^/  /' "$TMP/text.out")"
check "the text output names the kernel's rule and class" \
	grep -q "live XDP .*rule 1 'sip'.*class voice, mark 0x100" "$TMP/text.out"

# without -c, the running flowtagd's policy file, also where the pins are
# not in this process's bpffs (ip netns exec: a /sys of its own; status
# finds the daemon's pins through /proc/PID/root, explain now too)
ip netns exec "$(ns dut)" "$FTCTL" --pin-dir "$PIN" explain --live proto udp src 198.18.42.1 \
	dst 198.18.42.2 dport 5060 iif d0 >"$TMP/netns.out" 2>&1
expect_eq "explain --live under ip netns exec, no -c: exit 0" "$?" 0
check "... it explains with the running flowtagd's policy file" \
	grep -q "^policy: *$TMP/policy.conf$" "$TMP/netns.out"

# an explicit --pin-dir that holds no pins is not the daemon's, found
# through /proc/PID/root: said, not silently read from elsewhere
ip netns exec "$(ns dut)" "$FTCTL" --pin-dir "$TMP" status >"$TMP/otherdir.out" 2>&1
expect_eq "status with a --pin-dir that holds no pins: exit 2" "$?" 2
check "... naming the daemon's own pin directory" \
	grep -q "no flowtag maps under $TMP (--pin-dir); the flowtagd of this network namespace (pid [0-9]*) has its pins in $PIN" "$TMP/otherdir.out"

snapshot >"$TMP/after"
if cmp -s "$TMP/before" "$TMP/after"; then
	ok "the probes changed no counter, flow-cache or fragment entry"
else
	not_ok "the probes changed state:"
	diff "$TMP/before" "$TMP/after" | head -20 | sed 's/^/#   /'
fi

# a real difference: the file edited, flowtagd not reloaded
sed -i 's/dport = "5060-5061"; }; class = "voice"/dport = "5060-5061"; }; class = "interactive"/' \
	"$TMP/policy.conf"
ctl dut explain --live proto udp src 198.18.42.1 dst 198.18.42.2 dport 5060 iif d0 \
	>"$TMP/diff.out" 2>&1
expect_eq "a running policy that differs from the file: exit 1" "$?" 1
check "... the difference is named" grep -q "DIFFERS: kernel: rule 1 class 0 .*userspace: rule 1 class 1" "$TMP/diff.out"
check "... and explained" grep -q "does not do what the policy file says" "$TMP/diff.out"

# and real traffic does change them (the snapshot would see it)
send gen -d 198.18.42.2 -p 5060 -n 5 -f 1 -s 40000
sleep 0.3
snapshot >"$TMP/after2"
check "real packets do change the snapshot" sh -c "! cmp -s '$TMP/after' '$TMP/after2'"

# stats name the file a rule was written in, its line a line of that
# file: the policy's own rules and those of an @include'd file
printf '# line 1\n{ name = "inc9000"; match = { proto = "udp"; dport = 9000; }; class = "interactive"; }\n' \
	>"$TMP/more.inc"
cat >"$TMP/policy.conf" <<'EOF2'
interfaces = ( { name = "d0"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice"; mark = 0x100; priority = "1:10"; },
  { name = "interactive"; mark = 0x200; priority = "1:20"; },
  { name = "default"; mark = 0x400; priority = "1:40"; }
);
rules = (
  { name = "sip"; match = { proto = "udp"; dport = 5060; }; class = "voice"; },
@include "more.inc"
);
default_class = "default";
EOF2
chmod 644 "$TMP/policy.conf" "$TMP/more.inc"
ctl dut reload >"$TMP/reload.out" 2>&1
expect_eq "reload to a policy with an @include'd rule: exit 0" "$?" 0
send gen -d 198.18.42.2 -p 9000 -n 5 -f 1 -s 41000
sleep 0.3
ctl dut -j stats >"$TMP/stats.json"
expect_eq "stats -j: rule 0 is line 9 of the policy, rule 1 line 2 of more.inc, with its 5 packets" \
	"$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["rules"]
print(" ".join("%s:%d:%d" % (x["file"], x["line"], x["packets"]) for x in r))' "$TMP/stats.json")" \
	"$TMP/policy.conf:9:0 $TMP/more.inc:2:5"
ctl dut stats >"$TMP/stats.txt"
check "stats: the included rule's row names its file, the policy's own rule none" \
	bash -c "grep -q '^ *1 *inc9000 *2 *$TMP/more.inc *class' '$TMP/stats.txt' &&
		 grep -q '^ *0 *sip *9 *- *class' '$TMP/stats.txt'" || sed 's/^/# /' "$TMP/stats.txt"

daemon_stop "$DAEMON_PID"
check "clean exit" nothing_left dut d0
finish
