#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Egress shaping from the policy: flowtagd builds the HTB tree on the
# router's uplink from egress_shaping and the classes' rates, changes a ceil
# in place on reload (counters kept, the guaranteed class loses nothing),
# removes exactly what it built on stop, and refuses to replace a root qdisc
# it did not create. A reload to a leaf qdisc the kernel lacks leaves no
# half-built tree, says INCOMPLETE, and status shows it.
#
#   cli c0 ── r0 rtr r1 ── s0 srv      r0: classify; r1: egress restore + HTB
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/shaping_lib.sh"
need_root

ns_add cli; ns_add rtr; ns_add srv
veth cli c0 198.18.30.1/24 rtr r0 198.18.30.2/24
veth rtr r1 198.18.31.1/24 srv s0 198.18.31.2/24
ip -n "$(ns cli)" route add default via 198.18.30.2
ip -n "$(ns srv)" route add default via 198.18.31.1
for i in c0 s0; do
	ip netns exec "$(ns ${i:0:1}$([[ $i == c0 ]] && echo li || echo rv))" ethtool -K "$i" \
		gro off gso off tso off >/dev/null 2>&1
done
ip netns exec "$(ns rtr)" ethtool -K r1 gso off tso off gro off >/dev/null 2>&1
reach cli 198.18.31.2

pick_leaf srv s0
policy() { shaping_policy egress_shaping "$1"; }	# policy BULK_CEIL

# Start with bulk's ceil at the whole link: the rate bulk reaches then is
# what this path carries with flowtag and HTB in it, the reference for the
# ceilings below.
policy 20mbit >"$TMP/p.conf"
daemon_start rtr "$TMP/p.conf" "$TMP/d.log" || { not_ok "start"; finish; }
ok "flowtagd starts with egress_shaping on r1"
check "the log says the HTB tree was built" grep -q 'r1: egress shaping built' "$TMP/d.log"
transfer cli srv 198.18.31.2 3
CAPACITY=$MBIT
diag "capacity of the path with bulk's ceil at the link rate (20mbit): $CAPACITY Mbit/s"

policy 4mbit >"$TMP/p.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/d.log" 'r1: egress shaping updated in place' 10
check "root qdisc htb 1: on r1 with default 1:30" \
	bash -c "tc -n $(ns rtr) qdisc show dev r1 root | grep -q 'htb 1: root .*default 0x30\|htb 1: root .*default 30'"
expect_eq "class 1:20 (bulk) ceil" "$(class_stat rtr r1 1:20 ceil)" 4Mbit
check "$LEAF leaf under 1:10" bash -c "tc -n $(ns rtr) qdisc show dev r1 | grep -q '$LEAF 10: parent 1:10'"

transfer cli srv 198.18.31.2 5
diag "bulk at ceil 4mbit: $MBIT Mbit/s; voice sent $VOICE_SENT"
check_ceil 4 cli srv 198.18.31.2 5
expect_eq "voice (guaranteed 2mbit) dropped nothing" "$(class_stat rtr r1 1:10 dropped)" 0
v1=$(class_stat rtr r1 1:10 pkts)
check "voice went through class 1:10 ($v1 packets for $VOICE_SENT sent)" \
	test "${v1:-0}" -ge "${VOICE_SENT:-1}"
b1=$(class_stat rtr r1 1:20 bytes)
check "flowtagctl stats -j: bulk's shaped bytes on r1 (egress)" python3 -c '
import json, sys
s = json.load(sys.stdin)
c = {x["name"]: x for x in s["classes"]}
r = [x for x in s["shaping"] if x["classid"] == "1:20"]
sys.exit(not (c["bulk"]["shaped_bytes"] >= int(sys.argv[1]) and c["voice"]["shaped_drops"] == 0
              and r and r[0]["device"] == "r1" and r[0]["direction"] == "egress"))' \
	"$b1" < <(ctl rtr stats -j)

policy 8mbit >"$TMP/p.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/d.log" 'generation 3' 10
check "both reloads changed the tree in place" \
	test "$(grep -c 'r1: egress shaping updated in place' "$TMP/d.log")" -eq 2
check "and never rebuilt it" test "$(grep -c 'r1: egress shaping built' "$TMP/d.log")" -eq 1
expect_eq "class 1:20 ceil after reload" "$(class_stat rtr r1 1:20 ceil)" 8Mbit
b2=$(class_stat rtr r1 1:20 bytes)
check "class counters kept over the reload ($b1 -> $b2 bytes)" test "${b2:-0}" -ge "${b1:-1}"
transfer cli srv 198.18.31.2 5
diag "bulk at ceil 8mbit: $MBIT Mbit/s"
check_ceil 8 cli srv 198.18.31.2 5
expect_eq "voice still dropped nothing" "$(class_stat rtr r1 1:10 dropped)" 0
v2=$(class_stat rtr r1 1:10 pkts)
check "voice counter kept growing over the reload ($v1 -> $v2)" test "${v2:-0}" -ge $((v1 + VOICE_SENT))

# r1 re-created (a PPP or VPN link coming back): its tree went with it, and
# flowtagd builds it again on the new device
ip -n "$(ns rtr)" link del r1
veth rtr r1 198.18.31.1/24 srv s0 198.18.31.2/24
idx=$(ip -n "$(ns rtr)" -o link show r1 | cut -d: -f1)
check "r1 re-created: attached again" wait_log "$TMP/d.log" "r1: attached (ifindex $idx" 15
check "and its HTB tree built again" \
	bash -c "sleep 0.5; [[ \$(grep -c 'r1: egress shaping built' '$TMP/d.log') -eq 2 ]] &&
		 tc -n $(ns rtr) class show dev r1 classid 1:20 | grep -q 'ceil 8Mbit'"

# another tool deletes the tree: status says so from the kernel (flowtagd
# stopped here, so that nothing repairs it first), and once flowtagd runs
# again, the self-repair builds it again
kill -STOP "$DAEMON_PID"
tc -n "$(ns rtr)" qdisc del dev r1 root
r=$(iface_status rtr r1)
kill -CONT "$DAEMON_PID"
check "tree deleted: status shows r1 degraded, the tree missing in the kernel ($r)" \
	grep -q "^degraded|.*egress_shaping is configured, but flowtag's HTB tree is not there" <<<"$r"
check "self-repair: the HTB tree built again" \
	wait_log "$TMP/d.log" 'r1: repaired: flowtag.s shaping was removed; restored the egress HTB tree' 10
check "... with no warning that the tree it just built is missing" \
	bash -c "! grep -q 'r1: .*HTB tree is not there' '$TMP/d.log'"
check "with the policy's ceil" \
	bash -c "tc -n $(ns rtr) class show dev r1 classid 1:20 | grep -q 'ceil 8Mbit'"
# another tool puts its own root qdisc there: left alone, said once
tc -n "$(ns rtr)" qdisc replace dev r1 root handle 5: bfifo limit 100000
check "another tool's root qdisc in place of ours: left alone, and said" \
	wait_log "$TMP/d.log" 'r1: another tool replaced flowtag.s HTB root qdisc' 10
check "the bfifo stays" bash -c "tc -n $(ns rtr) qdisc show dev r1 root | grep -q 'bfifo 5:'"
tc -n "$(ns rtr)" qdisc del dev r1 root
check "once it is gone, the tree is built again" \
	bash -c "for i in \$(seq 100); do tc -n $(ns rtr) qdisc show dev r1 root | grep -q 'htb 1:' && exit 0; sleep 0.1; done; exit 1"

# a reload to a leaf qdisc this kernel lacks: the classes could be made,
# their leaves not. Nothing half-built stays (such a tree sends the
# classes without a leaf through HTB's direct queue, unshaped, and looks
# in place): the tree is removed, the reload says INCOMPLETE with r1 and
# the reason, status shows r1 degraded from the kernel with the reason,
# the self-repair does not try again and again, and the next good reload
# builds the tree
if reload_missing_leaf; then
	check "no half-built tree: r1 has the kernel's default root qdisc, no HTB class" \
		bash -c "tc -n $(ns rtr) qdisc show dev r1 root | grep -q '^qdisc noqueue 0: root' &&
			 [[ -z \$(tc -n $(ns rtr) class show dev r1) ]]"
	ctl rtr status >"$TMP/st" 2>&1
	expect_eq "status: exit 1" "$?" 1
	check "status: degraded" grep -q "^state: *degraded" "$TMP/st"
	r=$(iface_status rtr r1)
	check "status -j: r1 degraded, its tree missing in the kernel, and why" \
		bash -c "grep -q '^degraded|.*egress_shaping is configured, but flowtag.s HTB tree is not there' <<<\"\$1\" &&
			 grep -q 'flowtagd could not build its egress shaping: this kernel has no $MISSING qdisc' <<<\"\$1\"" _ "$r"
	n=$(grep -c "this kernel has no $MISSING qdisc" "$TMP/d.log")
	sleep 6	# a periodic check (5 s) passes
	expect_eq "the self-repair does not try to build it again" \
		"$(grep -c "this kernel has no $MISSING qdisc" "$TMP/d.log")" "$n"
	check "... and r1 stays without a tree" \
		bash -c "tc -n $(ns rtr) qdisc show dev r1 root | grep -q '^qdisc noqueue 0: root'"
	expect_eq "... status still degraded" \
		"$(ctl rtr status 2>/dev/null | sed -n 's/^state: *//p')" degraded
	LEAF=$LEAF0 policy 8mbit >"$TMP/p.conf"
	ctl rtr reload >"$TMP/rl" 2>&1
	expect_eq "the policy fixed: reload exit 0" "$?" 0
	check "the tree is built again, with its leaves" \
		bash -c "tc -n $(ns rtr) qdisc show dev r1 | grep -q '$LEAF 10: parent 1:10' &&
			 tc -n $(ns rtr) class show dev r1 classid 1:20 | grep -q 'ceil 8Mbit'"
	ctl rtr status >/dev/null 2>&1
	expect_eq "status: ok again" "$?" 0
fi

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "r1 has its original root qdisc back (noqueue)" \
	bash -c "tc -n $(ns rtr) qdisc show dev r1 root | grep -q '^qdisc noqueue 0: root'"
check "the log says shaping was removed" grep -q 'r1: egress shaping removed' "$TMP/d.log"

# a root qdisc somebody else made is not ours to replace
tc -n "$(ns rtr)" qdisc add dev r1 root handle 5: bfifo limit 100000
policy 4mbit >"$TMP/p.conf"
check_refused "refuses to replace another tool's root qdisc" rtr "$TMP/p.conf" "$TMP/d2.log"
check "says why and names replace_root" grep -q 'bfifo 5: was not created by flowtag.*replace_root' "$TMP/d2.log"
check "the bfifo qdisc is untouched" bash -c "tc -n $(ns rtr) qdisc show dev r1 root | grep -q '^qdisc bfifo 5: root'"
check "nothing of ours left on r0" nothing_left rtr r0

# the check catches rates that do not fit
sed 's/rate = "2mbit"/rate = "30mbit"/' "$TMP/p.conf" >"$TMP/bad.conf"
out=$("$FLOWTAGD" --check -c "$TMP/bad.conf" 2>&1)
check "--check: guaranteed rates above the interface rate, with FILE:LINE" \
	grep -q "bad.conf:[0-9]*: error: r1: the classes' guaranteed rates add up to 30mbit, more than the interface rate 20mbit" <<<"$out"
sed 's/priority = "1:20"; ceil/priority = "2:20"; ceil/' "$TMP/p.conf" >"$TMP/bad2.conf"
out=$("$FLOWTAGD" --check -c "$TMP/bad2.conf" 2>&1)
check "--check: a shaped class outside 1:, with FILE:LINE" \
	grep -q "bad2.conf:[0-9]*: error: class 'bulk' has a rate but its priority is not \"1:X\"" <<<"$out"
finish
