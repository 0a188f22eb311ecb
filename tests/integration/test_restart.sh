#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# kill -9 under steady traffic: the pinned data path keeps classifying while
# no daemon runs, and the next start takes over without a gap and without a
# second filter. Then --cleanup removes what a killed daemon left.
#
#   gen (g0 198.18.6.1) ---- (d0 198.18.6.2) dut

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.6 fd00:6
voice_policy with-default

in_ns dut nft -f - <<'EOF'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "ok"
    udp dport 5060 counter comment "all"
  }
}
EOF

# filters: how many flowtag tc ingress programs d0 runs: filters at our
# handle on clsact and tcx links together (one, whatever the hook)
filters()
{
	local f t

	f=$(tc -n "$(ns dut)" filter show dev d0 ingress | grep -c 'handle 0xf7a6')
	t=$(nsenter --net=/run/netns/"$(ns dut)" "$FT_BUILD/tests/fttcx" --list d0 2>/dev/null |
		grep -c '^ft_tc_ingress$')
	echo $((f + t))
}

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
first=$DAEMON_PID
reach gen 198.18.6.2

send_start gen "$TMP/send.out" -d 198.18.6.2 -p 5060 -r 5000 -f 8 -s 42000
sender=$SENDER
sleep 1
kill -KILL "$first"
wait "$first" 2>/dev/null
ok0=$(nft_count dut inet ft ok)
sleep 1
ok1=$(nft_count dut inet ft ok)
check "with the daemon dead the pinned data path still classifies ($((ok1 - ok0)) pkts in 1 s)" \
	bash -c "[[ $((ok1 - ok0)) -gt 1000 ]]"
check "the XDP link is still attached" \
	bash -c "ip -n $(ns dut) link show d0 | grep -q prog/xdp"

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd2.log" || { not_ok "restart"; finish; }
check "the new daemon took over the pinned XDP link" \
	grep -q "took over the pinned XDP link" "$TMP/flowtagd2.log"
sleep 1
send_stop "$sender" "$TMP/send.out"
sent=$SENT
sleep 0.3

all=$(nft_count dut inet ft all)
okc=$(nft_count dut inet ft ok)
diag "kill -9 + restart under steady traffic: sent $sent, received $all," \
	"classified $okc, unclassified $((all - okc))"
expect_eq "unclassified packets during kill -9 + restart" "$((all - okc))" 0
check "traffic really flowed ($all packets)" bash -c "[[ $all -gt 5000 ]]"
expect_eq "exactly one flowtag ingress filter after the takeover" "$(filters)" 1
daemon_stop "$DAEMON_PID"
expect_eq "the second daemon stops with status 0" "$?" 0
check "nothing left after the takeover and stop" nothing_left dut d0

# SIGQUIT: a deliberate handover (restarts, upgrades) under traffic
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd4.log" || { not_ok "start for SIGQUIT"; finish; }
all0=$(nft_count dut inet ft all)
ok0=$(nft_count dut inet ft ok)
send_start gen "$TMP/send2.out" -d 198.18.6.2 -p 5060 -r 5000 -f 8 -s 43000
sender=$SENDER
sleep 0.5
kill -QUIT "$DAEMON_PID"
wait "$DAEMON_PID"
expect_eq "SIGQUIT: exit status 0" "$?" 0
check "SIGQUIT says it left the data path running" \
	grep -q "left the data path running" "$TMP/flowtagd4.log"
check "the XDP link survived SIGQUIT" bash -c "ip -n $(ns dut) link show d0 | grep -q prog/xdp"
# as an upgrade from a version without the compact flow cache: its pin is
# not there (the running programs keep their own reference); the start
# adopts the other pins and creates it
rm -f "$PIN/ft_flow4"
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd5.log" || { not_ok "start after SIGQUIT"; finish; }
check "the start without an ft_flow4 pin created it" test -e "$PIN/ft_flow4"
sleep 0.5
send_stop "$sender" "$TMP/send2.out"
sleep 0.3
all=$(( $(nft_count dut inet ft all) - all0 ))
okc=$(( $(nft_count dut inet ft ok) - ok0 ))
diag "SIGQUIT + restart under steady traffic: received $all, unclassified $((all - okc))"
expect_eq "unclassified packets during SIGQUIT + restart" "$((all - okc))" 0
expect_eq "one flowtag ingress filter after the handover" "$(filters)" 1

# a takeover that fails half way keeps the previous data path and policy:
# the new policy moves 5060 to "default" and names d1, which another XDP
# program holds
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
ip link add d1 netns "$(ns dut)" type veth peer name g1 netns "$(ns gen)"
ip -n "$(ns dut)" link set d1 up
ip -n "$(ns dut)" link set dev d1 xdpgeneric obj "$FT_BUILD/tests/foreign.bpf.o" sec xdp
sed -e 's/{ name = "d0"; }/{ name = "d0"; egress_restore = true; xdp_mode = "generic"; }, { name = "d1"; }/' \
	-e 's/class = "voice"; }/class = "default"; }/' \
	-e 's/^rules = ( /prefix_sets = ( { name = "newset"; dynamic = true; } );\nrules = ( { match = { src = "@newset"; }; action = "drop"; }, /' \
	"$TMP/policy.conf" >"$TMP/policy2.conf"
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy2.conf" --pin-dir "$PIN" \
	>"$TMP/flowtagd6.log" 2>&1
expect_eq "a takeover that cannot attach d1 fails (exit 1)" "$?" 1
check "it says it kept the interface it took over" \
	grep -q "kept the 1 interface(s) taken over" "$TMP/flowtagd6.log"
check "... without the egress filter it added there (the previous policy had none)" \
	bash -c "! tc -n $(ns dut) filter show dev d0 egress 2>/dev/null | grep -q ft_tc_egress"
check "... and without the dynamic set it made" test ! -e "$PIN/sets/newset"
# d1 (new) is attached first and fails: d0 is never touched, so it keeps
# its native XDP (the new policy wanted generic: half a start once left it so)
check "... d0 still on native XDP, as the previous flowtagd left it" \
	bash -c "ip -n $(ns dut) -d link show d0 | grep -q 'prog/xdp ' && ! ip -n $(ns dut) link show d0 | grep -q xdpgeneric"
ok0=$(nft_count dut inet ft ok)
send gen -d 198.18.6.2 -p 5060 -n 10
sleep 0.3
expect_eq "d0 still classifies with the previous policy (voice)" \
	"$(( $(nft_count dut inet ft ok) - ok0 ))" 10
# d0 runs the failed start's program instances now: the record says so,
# or status would call them another tool's (and the link gone)
st=$(ctl dut status 2>&1)
check "status after the failed takeover: d0's programs are flowtag's" \
	bash -c '! grep -q -e "not flowtagd" -e "link is gone" -e "not tagged" <<<"$1"' _ "$st" ||
	diag "$st"
ip -n "$(ns dut)" link set dev d1 xdpgeneric off

# a takeover that fails only at its last step, the shaping (d0's root
# qdisc is another tool's; the policy does not allow replacing it), after
# d0 was switched to what the new policy asks: generic XDP and the tc
# hook clsact (from tcx; on a kernel without tcx, 6.1, the hook stays and
# the XDP mode still moves). The undo puts both back as the previous
# flowtagd had them.
hook0=$(ft_tc_hook_of dut d0)
diag "d0's tc ingress runs on $hook0; the failing policy asks for clsact and generic XDP"
tc -n "$(ns dut)" qdisc add dev d0 root handle 9: pfifo
sed -e 's/{ name = "d0"; }/{ name = "d0"; xdp_mode = "generic"; tc_hook = "clsact"; egress_shaping = { rate = "10mbit"; default_class = "default"; }; }/' \
	"$TMP/policy.conf" >"$TMP/policy3.conf"
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy3.conf" --pin-dir "$PIN" \
	>"$TMP/flowtagd7.log" 2>&1
expect_eq "a takeover whose shaping cannot be built fails (exit 1)" "$?" 1
check "it says the root qdisc is another tool's" grep -q "replace_root = true" "$TMP/flowtagd7.log"
check "... it had switched d0 to generic XDP" \
	grep -q "XDP mode changed in the policy" "$TMP/flowtagd7.log"
check "... d0 is back on native XDP, as the previous flowtagd left it" \
	bash -c "ip -n $(ns dut) -d link show d0 | grep -q 'prog/xdp ' && ! ip -n $(ns dut) link show d0 | grep -q xdpgeneric"
expect_eq "... its tc ingress is back on $hook0" "$(ft_tc_hook_of dut d0)" "$hook0"
expect_eq "... one flowtag tc ingress program on d0" "$(filters)" 1
ok0=$(nft_count dut inet ft ok)
send gen -d 198.18.6.2 -p 5060 -n 10
sleep 0.3
expect_eq "d0 still classifies with the previous policy (voice)" \
	"$(( $(nft_count dut inet ft ok) - ok0 ))" 10
st=$(ctl dut status 2>&1)
check "status after it: d0's programs are flowtag's" \
	bash -c '! grep -q -e "not flowtagd" -e "link is gone" -e "not tagged" <<<"$1"' _ "$st" ||
	diag "$st"
expect_eq "... and d0's row says ok" \
	"$(ctl dut -j status | python3 -c 'import json,sys
r = [i for i in json.load(sys.stdin)["interfaces"] if i["name"] == "d0"]
print(r[0]["state"] if r else "none")')" ok
tc -n "$(ns dut)" qdisc del dev d0 root

# --cleanup from the wrong network namespace cannot reach d0: it says so
"$FLOWTAGD" --cleanup --pin-dir "$PIN" >"$TMP/cleanup0.log" 2>&1
expect_eq "--cleanup outside the namespace reports failure (exit 1)" "$?" 1
check "and explains why" grep -q "not in this network namespace" "$TMP/cleanup0.log"
# (on clsact by hand; a tcx link went with its pin)
tc -n "$(ns dut)" filter del dev d0 ingress pref 0x7a6 handle 0xf7a6 bpf 2>/dev/null
tc -n "$(ns dut)" qdisc del dev d0 clsact 2>/dev/null

# kill -9 again, then --cleanup from the namespace
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd3.log" || { not_ok "third start"; finish; }
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" \
	>"$TMP/cleanup.log" 2>&1
expect_eq "--cleanup after kill -9: exit status 0" "$?" 0
check "--cleanup leaves nothing" nothing_left dut d0
check "--cleanup removed the clsact qdisc flowtag created" \
	bash -c "! tc -n $(ns dut) qdisc show dev d0 | grep -q clsact"


# A start over pins of an earlier layout (loader.c's relaid_pins, made
# here with bpftool), @1 naming them: it cannot take them over, says so
# and attaches nothing; --cleanup removes them. @2 names the logs.
relaid_refused()
{
	nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" --pin-dir "$PIN" \
		>"$TMP/flowtagd-$2.log" 2>&1
	expect_eq "a start over an earlier version's $1 fails (exit 1)" "$?" 1
	check "it names the cause" grep -q "pinned maps from another flowtag version" \
		"$TMP/flowtagd-$2.log"
	check "... and attached nothing" bash -c "! ip -n $(ns dut) link show d0 | grep -q xdp"
	nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" \
		>"$TMP/cleanup-$2.log" 2>&1
	expect_eq "--cleanup over them: exit status 0" "$?" 0
	check "... it removed every pin" test ! -e "$PIN"
}

# pins of a version whose IPv4 prefix maps were LPM tries (only the inner
# map type differs)
mkdir -p "$PIN"
bpftool map create "$PIN/lpm_inner" type lpm_trie key 8 value 4 entries 1 name lpm_inner \
	flags 1 &&
	bpftool map create "$PIN/ft_src4_o" type array_of_maps key 4 value 4 entries 2 \
		name ft_src4_o inner_map pinned "$PIN/lpm_inner"
rm -f "$PIN/lpm_inner"
relaid_refused "IPv4 prefix pins" lpm

# pins of a version with one health counter fewer (ft_health_cnt, 20
# counters of 8 bytes)
mkdir -p "$PIN"
bpftool map create "$PIN/ft_health_cnt" type percpu_array key 4 value 160 entries 1 \
	name ft_health_cnt
relaid_refused "health counters" health

# pins of a version whose ft_state held slot and generation alone (8
# bytes, no link-type fields)
mkdir -p "$PIN"
bpftool map create "$PIN/ft_state" type array key 4 value 8 entries 1 name ft_state
relaid_refused "ft_state" state

# pins written in another data-path format (ft_info.format; here a future
# 99, made by rewriting the record of a killed flowtagd): maps libbpf takes
# as compatible, content this flowtagd would misread. A start refuses and
# says so, attaches nothing; --cleanup removes them
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd9.log" || { not_ok "start before the format case"; finish; }
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
xdp_id() { ip -n "$(ns dut)" link show dev d0 | grep -o 'prog/xdp id [0-9]*'; }
id0=$(xdp_id)	# the killed daemon's XDP link stays, pinned
python3 - "$PIN/ft_info" <<'PY'
import json, subprocess, sys
path = sys.argv[1]
v = json.loads(subprocess.check_output(["bpftool", "-j", "map", "lookup", "pinned", path,
                                        "key", "0", "0", "0", "0"]))
val = [int(b, 16) for b in v["value"]]
assert int.from_bytes(bytes(val[36:40]), "little") == 2, "format 2 written by this flowtagd"
val[36:40] = list((99).to_bytes(4, "little"))
subprocess.check_call(["bpftool", "map", "update", "pinned", path, "key", "0", "0", "0", "0",
                       "value"] + [str(b) for b in val])
PY
expect_eq "the killed daemon's ft_info said format 2; rewritten to 99" "$?" 0
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" --pin-dir "$PIN" \
	>"$TMP/flowtagd10.log" 2>&1
expect_eq "a start over pins of data-path format 99 fails (exit 1)" "$?" 1
check "it names both formats and the way out" \
	grep -q "hold data-path format 99, this flowtagd reads format 2 .*flowtagd --cleanup" \
	"$TMP/flowtagd10.log"
expect_eq "... and replaced nothing: d0 keeps the killed daemon's XDP program" \
	"$(xdp_id)" "${id0:-none}"
# flowtagctl reads those maps as this version lays them out: it must not
# show their figures as if it could, nor write into their sets
ctl dut status >"$TMP/status99" 2>&1
expect_eq "flowtagctl status over format 99: exit 1, not a report" "$?" 1
check "... it names both formats" \
	grep -q "hold data-path format 99, this flowtagctl reads format 2" "$TMP/status99"
ctl dut stats >/dev/null 2>&1
expect_eq "flowtagctl stats over format 99: exit 1" "$?" 1
ctl dut set add blocked 198.18.0.1 >"$TMP/set99" 2>&1
expect_eq "flowtagctl set add over format 99: exit 1, nothing written" "$?" 1
check "... it names both formats" grep -q "hold data-path format 99" "$TMP/set99"
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" \
	>"$TMP/cleanup4.log" 2>&1
expect_eq "--cleanup over them: exit status 0" "$?" 0
check "... it removed every pin" test ! -e "$PIN"
check "... and detached d0" nothing_left dut d0

finish
