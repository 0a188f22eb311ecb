#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# reload --confirm SECONDS, confirm and rollback, under traffic: without a
# confirm flowtagd swaps back within SECONDS + 1 s and no packet arrives
# unclassified (each carries the old or the new mark), and the interfaces
# follow (the new policy's second interface is detached again, its egress
# shaping on d0 removed); confirm
# keeps the new policy; rollback swaps back on demand. And the clear answers: a
# SIGHUP while a confirm is pending, confirm after the rollback, rollback
# without a previous generation, a restart with a confirm pending.
#
#   gen (g0 198.18.41.1) ---- (d0 198.18.41.2) dut
#       (g1 198.18.43.1) ---- (d1 198.18.43.2)     only the new policy names d1

. "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/shaping_lib.sh"
need_root

gen_dut 198.18.41 && veth gen g1 198.18.43.1/24 dut d1 198.18.43.2/24 ||
	{ not_ok "topology"; finish; }

# policy CLASS IFACES: UDP 9000 in class CLASS (old: mark 0x100, new: 0x200)
write_policy()
{
	cat <<EOF2
interfaces = ( $2 );
mark_mask = 0x0000ff00;
classes = (
  { name = "old"; mark = 0x100; priority = "1:10"; },
  { name = "new"; mark = 0x200; priority = "1:20"; }
);
rules = ( { match = { proto = "udp"; dport = 9000; }; class = "$1"; } );
EOF2
}
pick_leaf dut d0
write_policy old '{ name = "d0"; }' >"$TMP/old.conf"
write_policy new '{ name = "d0"; egress_shaping = { rate = "100mbit"; default_class = "new"; leaf = "'"$LEAF"'"; }; },
  { name = "d1"; }' >"$TMP/new.conf"
htb_on() { tc -n "$(ns dut)" qdisc show dev "$1" | grep -q 'qdisc htb 1: root'; }
xdp_on() { ip -n "$(ns dut)" link show "$1" | grep -q 'prog/xdp'; }
cp "$TMP/old.conf" "$TMP/policy.conf"

in_ns dut nft -f - <<'EOF2'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 9000 meta mark & 0xff00 == 0x100 counter comment "old"
    udp dport 9000 meta mark & 0xff00 == 0x200 counter comment "new"
    udp dport 9000 counter comment "all"
  }
}
EOF2
# counts: "OLD NEW ALL" in one nft call (nsenter: faster than ip netns exec)
counts()
{
	nsenter --net=/run/netns/"$(ns dut)" nft list table inet ft |
		sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* comment "\(old\|new\|all\)".*/\1/p' |
		tr '\n' ' '
}

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" "" --metrics "$TMP/ft.prom" \
	--metrics-interval 1 || { not_ok "start"; finish; }
ok "flowtagd starts with the old policy"
reach gen 198.18.41.2
send_start gen "$TMP/send.out" -d 198.18.41.2 -p 9000 -f 16 -r 2000

# the active generation: the first "generation" of status -j is the policy's
gen_now() { ctl dut -j status | grep -o '"generation": *[0-9]*' | head -n1 | grep -o '[0-9]*$'; }
# mark_now: the mark of the packets arriving now (old, new, or mixed)
mark_now()
{
	local o n o2 n2
	read -r o n _ <<<"$(counts)"
	sleep 0.3
	read -r o2 n2 _ <<<"$(counts)"
	if ((o2 > o && n2 == n)); then echo old
	elif ((n2 > n && o2 == o)); then echo new
	else echo "mixed"; fi
}

# 1. reload --confirm without confirm: rolled back within SECONDS + 1 s
g1=$(gen_now)
cp "$TMP/new.conf" "$TMP/policy.conf"
(ctl dut -j reload --confirm 4 >"$TMP/reload.out" 2>&1; echo $? >"$TMP/reload.rc") &
rpid=$!
# flowtagd has applied the policy once d1 is attached (the reload attaches
# before it answers)
for _ in $(seq 200); do xdp_on d1 && break; sleep 0.02; done
check "reload --confirm: the new policy's second interface d1 is attached" xdp_on d1
check "... and its HTB tree shapes d0" htb_on d0
expect_eq "... and the new policy classifies meanwhile" "$(mark_now)" new
wait "$rpid"
rc=$(cat "$TMP/reload.rc")
# the client measures from the daemon's "applied" (its timer started then)
ms=$(grep -o '"outcome_after_ms":[0-9]*' "$TMP/reload.out" | grep -o '[0-9]*$')
diag "reload --confirm 4 without confirm: $(cat "$TMP/reload.out")"
expect_eq "the waiting reload --confirm exits 3 (rolled back)" "$rc" 3
check "rolled back within SECONDS + 1 s of the applied reload (${ms:-?} ms)" \
	test "${ms:-99999}" -le 5000
check "the log says rollback with the generation numbers" \
	grep -q "rollback: generation $((g1 + 1)) -> $((g1 + 2)) (the policy of generation $g1): no confirm within 4 s" "$TMP/flowtagd.log"
expect_eq "after the rollback the old policy classifies" "$(mark_now)" old
check "after the rollback d1 is detached again" sh -c "! ip -n $(ns dut) link show d1 | grep -q prog/xdp"
check "after the rollback d0 is not shaped any more" sh -c "! tc -n $(ns dut) qdisc show dev d0 | grep -q 'qdisc htb 1: root'"
st=$(ctl dut status 2>&1)
check "status reports the automatic rollback" grep -q "rolled back.*no confirm within 4 s" <<<"$st"
no_d1() { ! grep -q '^ *d1 ' <<<"$st"; }
check "status lists the old policy's interfaces only" no_d1

check "the metrics count the rollback" wait_log "$TMP/ft.prom" "^flowtag_rollbacks_total 1$" 3

# 2. confirm after the rollback: a clear no
out=$(ctl dut confirm 2>&1)
rc=$?
expect_eq "confirm after the rollback fails" "$rc" 1
check "... and says it was rolled back" grep -q "was rolled back" <<<"$out"

# 3. rollback with no previous generation
out=$(ctl dut rollback 2>&1)
rc=$?
expect_eq "rollback right after a rollback fails" "$rc" 1
check "... saying there is no previous generation" grep -q "no previous generation" <<<"$out"

# 4. reload --confirm, then confirm: the new policy stays
ctl dut reload --confirm 2 >"$TMP/reload2.out" 2>&1 &
rpid=$!
sleep 0.5
out=$(ctl dut confirm 2>&1)
expect_eq "confirm succeeds" "$?" 0
wait "$rpid"
expect_eq "the waiting reload --confirm exits 0 (confirmed)" "$?" 0
sleep 2.2
expect_eq "after the window the confirmed policy still classifies" "$(mark_now)" new
check "status says confirmed" grep -q "confirmed" <<<"$(ctl dut status 2>&1)"

# 5. rollback on demand
g=$(gen_now)
out=$(ctl dut rollback 2>&1)
expect_eq "rollback on demand succeeds" "$?" 0
check "... as a new generation" grep -q "generation $g -> $((g + 1))" <<<"$out"
expect_eq "after rollback the old policy classifies" "$(mark_now)" old

# 6. SIGHUP while a confirm is pending: refused, the rollback still comes
ctl dut reload --confirm 8 --no-wait >/dev/null 2>&1
expect_eq "reload --confirm --no-wait applies the new policy" "$(mark_now)" new
check "the metrics show the pending confirm" wait_log "$TMP/ft.prom" "^flowtag_confirm_pending 1$" 3
kill -HUP "$DAEMON_PID"
check "SIGHUP during a pending confirm is refused" \
	wait_log "$TMP/flowtagd.log" "reload refused: generation [0-9]* waits for flowtagctl confirm" 5
out=$(ctl dut reload --confirm 8 2>&1)
rc=$?
expect_eq "a second reload --confirm is refused" "$rc" 1
check "... saying a confirm is pending" grep -q "already waits for flowtagctl confirm" <<<"$out"
check "the timer still rolls back" wait_log "$TMP/flowtagd.log" "no confirm within 8 s" 12
expect_eq "the old policy classifies again" "$(mark_now)" old

# 6b. a rollback after an interface change: the iif rules were bound again
# into the inactive slot, so the old policy is compiled again (flowtagd
# crashed there once: ft_compile() got an uninitialised output)
iif_rule='{ match = { iif = "d9"; proto = "udp"; dport = 9009; }; class = "old"; }, '
# ... and a dynamic set the new policy drops: the rollback finds it, and
# its runtime element, again (the swap that bound the iif rules again
# took the old policy's slot, and pruned its set with it once)
blk_rule='{ match = { src = "@blk"; }; action = "drop"; }, '
write_policy old '{ name = "d0"; }, { name = "d9"; }' |
	sed -e "s/^rules = ( /prefix_sets = ( { name = \"blk\"; dynamic = true; } );\nrules = ( $blk_rule$iif_rule/" \
	>"$TMP/policy.conf"
ctl dut reload >/dev/null 2>&1
ctl dut set add blk 198.18.99.1 >/dev/null 2>&1
expect_eq "a policy with an iif rule for the absent d9 classifies (old)" "$(mark_now)" old
write_policy new '{ name = "d0"; }, { name = "d9"; }' |
	sed "s/^rules = ( /rules = ( $iif_rule/" >"$TMP/policy.conf"
ctl dut reload --confirm 3 --no-wait >/dev/null 2>&1
expect_eq "its successor, to be confirmed, classifies (new)" "$(mark_now)" new
ip -n "$(ns dut)" tuntap add dev d9 mode tun
check "d9 appears: the iif rules are bound again" \
	wait_log "$TMP/flowtagd.log" "interfaces changed: iif rules bound again" 5
check "no confirm: the old policy is compiled again for the rollback" \
	wait_log "$TMP/flowtagd.log" "rollback: the inactive slot no longer holds generation" 8
check "... and rolled back to" wait_log "$TMP/flowtagd.log" "no confirm within 3 s" 5
check "flowtagd is still running" kill -0 "$DAEMON_PID"
expect_eq "the old policy classifies again" "$(mark_now)" old
expect_eq "... and its dynamic set still holds its runtime element" \
	"$(ctl dut -j set list blk 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["set"]["elements"])' 2>/dev/null)" 1
ip -n "$(ns dut)" link del d9
cp "$TMP/old.conf" "$TMP/policy.conf"

send_stop "$SENDER" "$TMP/send.out"
sleep 0.3
read -r old new all <<<"$(counts)"
diag "sent $SENT, received $all: $old old, $new new"
check "packets arrived throughout" test "$all" -gt 1000
expect_eq "no packet unclassified (old + new = all)" "$((old + new))" "$all"

# 7. a restart with a confirm pending: said, not silently dropped
cp "$TMP/new.conf" "$TMP/policy.conf"
ctl dut reload --confirm 30 --no-wait >/dev/null 2>&1
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd2.log" || { not_ok "restart"; finish; }
check "the restarted flowtagd says the pending confirm is lost" \
	grep -q "no rollback happens across a restart" "$TMP/flowtagd2.log"
check "status says so" grep -q "lost" <<<"$(ctl dut status 2>&1)"
daemon_stop "$DAEMON_PID"
check "clean exit" nothing_left dut d0
finish
