#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# `ip netns exec NS flowtagd ...`, the way most people start things in a
# namespace: the process gets a /sys, and so a bpffs, of its own. flowtagd
# warns with the fix; flowtagctl, run the same way or with nsenter, finds
# the daemon through /run/flowtag and reads its pins through /proc/PID/root;
# a second daemon is refused; after a kill -9 the pins are gone with the
# private bpffs, and with them the tcx link (kernels 6.6+), or on clsact
# --cleanup still removes the tc filter left behind.
#
#   gen (g0 198.18.10.1) ---- (d0 198.18.10.2) dut

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.10
voice_policy

in_ns dut nft -f - <<'NFT'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 5060 meta mark & 0xff00 == 0x100 counter comment "voice"
  }
}
NFT

ip netns exec "$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" >"$TMP/flowtagd.log" 2>&1 &
DAEMON_PID=$!
T_PIDS+=("$DAEMON_PID")
check "flowtagd starts under ip netns exec" wait_log "$TMP/flowtagd.log" "ready:" 30
check "it warns that its bpffs is private, with the fix" \
	grep -q "private to flowtagd's mount namespace.*nsenter --net=/run/netns/NAME" "$TMP/flowtagd.log"
reach gen 198.18.10.2
send gen -d 198.18.10.2 -p 5060 -n 10
sleep 0.3
expect_eq "it classifies" "$(nft_count dut inet ft voice)" 10

in_ns dut "$FTCTL" status >"$TMP/st1" 2>&1
expect_eq "flowtagctl status under ip netns exec: exit 0" "$?" 0
check "it reads the pins through /proc/PID/root" \
	grep -q "^pins: */proc/$DAEMON_PID/root/sys/fs/bpf/flowtag" "$TMP/st1"
check "and shows the interface" grep -q "^  d0 .* ok " "$TMP/st1"
nsenter --net=/run/netns/"$(ns dut)" "$FTCTL" status >/dev/null 2>&1
expect_eq "flowtagctl status with nsenter (host /sys): exit 0" "$?" 0
in_ns gen "$FTCTL" status >"$TMP/st2" 2>&1
expect_eq "another namespace has no daemon: exit 2" "$?" 2
check "and says exactly why" grep -q "no flowtagd of this network namespace in /run/flowtag" "$TMP/st2"

in_ns dut "$FLOWTAGD" -f -c "$TMP/policy.conf" >"$TMP/second.log" 2>&1
expect_eq "a second flowtagd in the namespace: exit 1" "$?" 1
check "refused as already running (pid N)" \
	grep -q "already running (pid $DAEMON_PID)" "$TMP/second.log"

# kill -9: the private bpffs (pins, XDP and tcx links) dies with the
# process; a tc filter on clsact stays, and nothing on the host's bpffs
# tells of it
hook=$(ft_tc_hook_of dut d0)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
sleep 0.5
if [[ $hook == tcx ]]; then
	expect_eq "tc ingress on tcx: the link died with the private bpffs" \
		"$(ft_tc_hook_of dut d0)" none
	in_ns dut "$FLOWTAGD" --cleanup >"$TMP/cleanup.log" 2>&1
	expect_eq "--cleanup without pins: exit 0" "$?" 0
else
	check "the tc filter outlived the daemon" \
		bash -c "tc -n $(ns dut) filter show dev d0 ingress | grep -q ft_tc_ingress"
	in_ns dut "$FLOWTAGD" --cleanup >"$TMP/cleanup.log" 2>&1
	expect_eq "--cleanup without pins: exit 0" "$?" 0
	check "it removed the tc filter" \
		grep -q "d0: removed flowtag's tc ingress filter" "$TMP/cleanup.log"
fi
check "no flowtag filter left" \
	bash -c "! tc -n $(ns dut) filter show dev d0 ingress | grep -q ft_tc_"
check "no XDP program left" bash -c "! ip -n $(ns dut) link show d0 | grep -q prog/xdp"

# SIGQUIT under ip netns exec: nothing can be handed over (the pins die
# with the private bpffs), so flowtagd detaches as on SIGTERM instead of
# saying it left the data path running; a clsact filter would otherwise
# stay behind, tagging with no flowtagd and no pin to find it by
sed -i 's/{ name = "d0"; }/{ name = "d0"; tc_hook = "clsact"; }/' "$TMP/policy.conf"
# the clsact qdisc the killed daemon above made (kernels without tcx):
# --cleanup removes filters, not qdiscs; this daemon is to make its own
tc -n "$(ns dut)" qdisc del dev d0 clsact 2>/dev/null
ip netns exec "$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" >"$TMP/quit.log" 2>&1 &
DAEMON_PID=$!
T_PIDS+=("$DAEMON_PID")
check "flowtagd starts again under ip netns exec (clsact)" wait_log "$TMP/quit.log" "ready:" 30
check "its tc filter is on clsact" \
	bash -c "tc -n $(ns dut) filter show dev d0 ingress | grep -q ft_tc_ingress"
kill -QUIT "$DAEMON_PID"
wait "$DAEMON_PID"
expect_eq "SIGQUIT: exit status 0" "$?" 0
check "SIGQUIT says why it detaches instead of handing over" \
	grep -q "SIGQUIT: .* private to this mount namespace (ip netns exec).*detached as on SIGTERM" \
	"$TMP/quit.log"
check "and does not claim the data path runs on" \
	bash -c "! grep -q 'left the data path running' '$TMP/quit.log'"
check "no flowtag filter left after SIGQUIT" \
	bash -c "! tc -n $(ns dut) filter show dev d0 ingress | grep -q ft_tc_"
check "no clsact qdisc left (flowtagd made it)" \
	bash -c "! tc -n $(ns dut) qdisc show dev d0 | grep -q clsact"
check "no XDP program left after SIGQUIT" bash -c "! ip -n $(ns dut) link show d0 | grep -q prog/xdp"

# killed (clsact): its filter keeps tagging with no flowtagd and no pin;
# flowtagctl, finding no flowtagd, says so from the kernel
ip netns exec "$(ns dut)" "$FLOWTAGD" -f -c "$TMP/policy.conf" >"$TMP/kill.log" 2>&1 &
DAEMON_PID=$!
T_PIDS+=("$DAEMON_PID")
check "flowtagd starts once more under ip netns exec (clsact)" wait_log "$TMP/kill.log" "ready:" 30
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
in_ns dut "$FTCTL" status >"$TMP/st3" 2>&1
expect_eq "status with no flowtagd: exit 2" "$?" 2
check "... and it names the filter that still tags, and the fix" \
	grep -q "flowtag program(s) are still attached .*d0 (tc ingress filter ft_tc_ingress #[0-9]*).*flowtagd --cleanup" \
	"$TMP/st3"
in_ns dut "$FLOWTAGD" --cleanup >/dev/null 2>&1
in_ns dut "$FTCTL" status >"$TMP/st4" 2>&1
check "after --cleanup status names no leftover" bash -c "! grep -q 'still attached' '$TMP/st4'"
tc -n "$(ns dut)" qdisc del dev d0 clsact 2>/dev/null

# Two flowtagds on the host's bpffs (nsenter), one per namespace, each
# with its own pins: `flowtagctl --pin-dir B reload` run in A's namespace
# finds B's pins, but the control socket there is A's. It must refuse
# before A reads a request, not reload A and report on B.
sed 's/{ name = "d0"; tc_hook = "clsact"; }/{ name = "g0"; }/' "$TMP/policy.conf" >"$TMP/policy-b.conf"
sed -i 's/{ name = "d0"; tc_hook = "clsact"; }/{ name = "d0"; }/' "$TMP/policy.conf"
daemon_start dut "$TMP/policy.conf" "$TMP/a.log" || { not_ok "daemon A"; finish; }
a_pid=$DAEMON_PID
nsenter --net=/run/netns/"$(ns gen)" "$FLOWTAGD" -f -c "$TMP/policy-b.conf" --pin-dir "$PIN/b" \
	>"$TMP/b.log" 2>&1 &
b_pid=$!
T_PIDS+=("$b_pid")
check "daemon B starts in the other namespace" wait_log "$TMP/b.log" "ready:" 30
nsenter --net=/run/netns/"$(ns dut)" "$FTCTL" --pin-dir "$PIN/b" reload >"$TMP/cross.out" 2>&1
expect_eq "reload with another namespace's pins: exit 1" "$?" 1
check "... saying the daemon here is not the one of those pins" \
	grep -q "is not the one whose pins these are (pid $b_pid)" "$TMP/cross.out"
sleep 0.5
check "... and daemon A did not reload" bash -c "! grep -q 'reloading' '$TMP/a.log'"
nsenter --net=/run/netns/"$(ns gen)" "$FTCTL" --pin-dir "$PIN/b" reload >"$TMP/own.out" 2>&1
expect_eq "from B's namespace the same command reloads B: exit 0" "$?" 0
kill -TERM "$b_pid"
wait "$b_pid"
expect_eq "daemon B stops: exit 0" "$?" 0
daemon_stop "$a_pid"
expect_eq "daemon A stops: exit 0" "$?" 0
finish
