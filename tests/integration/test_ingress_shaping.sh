#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Ingress shaping of a download through an IFB device: flowtagd creates
# ifb-r1, builds the HTB tree of ingress_shaping on it and redirects r1's
# clsact ingress to it after its own classifier (a tcx link in front of
# every clsact filter, or the clsact filter at the pref before), so the download
# from srv is shaped per class on its way in; a reload changes a ceil in
# place; stop removes the redirect and the IFB, and nothing else. A reload
# to a leaf qdisc the kernel lacks leaves nothing half-built, says
# INCOMPLETE, and status shows it.
#
#   cli c0 ── r0 rtr r1 ── s0 srv      r1: classify, redirect to ifb-r1 (HTB)
#   the download srv -> cli enters rtr on r1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/shaping_lib.sh"
need_root

# the kernel must have IFB devices and the mirred action (Debian's 6.1 has
# them as modules; a kernel built without them cannot shape ingress)
ns_add rtr
if ! ip -n "$(ns rtr)" link add ft-probe type ifb 2>/dev/null; then
	echo "# this kernel has no IFB devices (CONFIG_IFB): ingress shaping cannot work"
	exit 77
fi
ip -n "$(ns rtr)" link del ft-probe
ns_add cli; ns_add srv
veth cli c0 198.18.32.1/24 rtr r0 198.18.32.2/24
veth rtr r1 198.18.33.1/24 srv s0 198.18.33.2/24
ip -n "$(ns cli)" route add default via 198.18.32.2
ip -n "$(ns srv)" route add default via 198.18.33.1
in_ns srv ethtool -K s0 gro off gso off tso off >/dev/null 2>&1
in_ns cli ethtool -K c0 gro off gso off tso off >/dev/null 2>&1
in_ns rtr ethtool -K r1 gro off gso off tso off >/dev/null 2>&1
reach srv 198.18.32.1

pick_leaf srv s0
policy() { shaping_policy ingress_shaping "$1"; }	# policy BULK_CEIL

policy 20mbit >"$TMP/p.conf"
daemon_start rtr "$TMP/p.conf" "$TMP/d.log" "" --metrics "$TMP/m.prom" --metrics-interval 1 ||
	{ not_ok "start"; finish; }
ok "flowtagd starts with ingress_shaping on r1"
check "the log says it created ifb-r1" grep -q 'r1: IFB device ifb-r1 created' "$TMP/d.log"
check "ifb-r1 is an IFB device and up" \
	bash -c "ip -n $(ns rtr) -d link show ifb-r1 | grep -q 'UP' &&
		 ip -n $(ns rtr) -d link show ifb-r1 | grep -q '^ *ifb'"
check "root qdisc htb 1: on ifb-r1 with default 1:30" \
	bash -c "tc -n $(ns rtr) qdisc show dev ifb-r1 root | grep -q 'htb 1: root .*default 0x30\|htb 1: root .*default 30'"
filters=$(tc -n "$(ns rtr)" filter show dev r1 ingress)
check "r1 ingress: flowtag's classifier ($(ft_tc_hook_of rtr r1)), the redirect to ifb-r1 at 1959" \
	bash -c "[[ $(ft_tc_hook_of rtr r1) != none ]] && grep -q 'pref 1959 u32' <<<'$filters' &&
		 grep -q 'Egress Redirect to device ifb-r1' <<<'$filters'"
check "nothing of ours on r1's egress root" \
	bash -c "! tc -n $(ns rtr) qdisc show dev r1 root | grep -q htb"

transfer srv cli 198.18.32.1 3
CAPACITY=$MBIT
diag "download capacity with bulk's ceil at the link rate (20mbit): $CAPACITY Mbit/s"

policy 4mbit >"$TMP/p.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/d.log" 'r1: ingress shaping on ifb-r1 updated in place' 10
expect_eq "class 1:20 (bulk) ceil on ifb-r1" "$(class_stat rtr ifb-r1 1:20 ceil)" 4Mbit
b0=$(class_stat rtr ifb-r1 1:20 bytes)
transfer srv cli 198.18.32.1 5
diag "download bulk at ceil 4mbit: $MBIT Mbit/s; voice sent $VOICE_SENT"
check_ceil 4 srv cli 198.18.32.1 5
expect_eq "voice (guaranteed 2mbit) dropped nothing" "$(class_stat rtr ifb-r1 1:10 dropped)" 0
v1=$(class_stat rtr ifb-r1 1:10 pkts)
check "the download's voice went through ifb-r1's class 1:10 ($v1 packets for $VOICE_SENT sent)" \
	test "${v1:-0}" -ge "${VOICE_SENT:-1}"
b1=$(class_stat rtr ifb-r1 1:20 bytes)
check "the bulk download went through class 1:20 ($b0 -> $b1 bytes)" \
	test "$(( ${b1:-0} - ${b0:-0} ))" -ge 1000000
d1=$(class_stat rtr ifb-r1 1:30 pkts)
check "the default class 1:30 saw little of it ($d1 packets)" test "${d1:-0}" -lt 1000

# flowtagctl stats: the shaper's side per class, from the same kernel counters
ctl rtr stats -j >"$TMP/stats.json"
ctl rtr stats | sed 's/^/# /'
check "flowtagctl stats -j: bulk's shaped bytes, rate, drops and the device ifb-r1" \
	python3 - "$TMP/stats.json" "$b1" "$(class_stat rtr ifb-r1 1:10 pkts)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
b1, v = int(sys.argv[2]), int(sys.argv[3])
c = {x["name"]: x for x in s["classes"]}
dev = [r for r in s["shaping"] if r["classid"] == "1:20"]
ok = (c["bulk"]["shaped_bytes"] >= b1 and c["bulk"]["shaped_overlimits"] > 0
      and 0 < c["bulk"]["rate_bps"] <= 4.4e6 and c["voice"]["shaped_drops"] == 0
      and c["voice"]["shaped_packets"] >= v
      and dev and dev[0]["device"] == "ifb-r1" and dev[0]["direction"] == "ingress"
      and dev[0]["interface"] == "r1" and dev[0]["classes"] == "bulk")
if not ok:
    print("# bulk %s, voice %s, shaping %s" % (c["bulk"], c["voice"], s["shaping"]))
sys.exit(not ok)
PY
"$FTCTL" --pin-dir "$PIN" stats >"$TMP/outside.txt" 2>&1
check "flowtagctl stats outside flowtagd's network namespace: says so, shows no shaper" \
	bash -c "grep -q 'r1 is not in this network namespace' '$TMP/outside.txt' &&
		 ! grep -q '^shaping:' '$TMP/outside.txt'"
sleep 1.5
check "metrics: the shaped bytes of bulk on ifb-r1" grep -q \
	'^flowtag_shaping_bytes_total{interface="r1",direction="ingress",device="ifb-r1",classid="1:20",class="bulk"} [1-9]' \
	"$TMP/m.prom"
check "metrics: voice's drops, 0" grep -q \
	'^flowtag_shaping_drops_total{interface="r1",direction="ingress",device="ifb-r1",classid="1:10",class="voice"} 0$' \
	"$TMP/m.prom"

policy 8mbit >"$TMP/p.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/d.log" 'generation 3' 10
check "both reloads changed ifb-r1's tree in place, the IFB kept" \
	test "$(grep -c 'r1: ingress shaping on ifb-r1 updated in place' "$TMP/d.log")" -eq 2
check "the IFB was created once" test "$(grep -c 'IFB device ifb-r1 created' "$TMP/d.log")" -eq 1
expect_eq "class 1:20 ceil after reload" "$(class_stat rtr ifb-r1 1:20 ceil)" 8Mbit
b2=$(class_stat rtr ifb-r1 1:20 bytes)
check "class counters kept over the reload ($b1 -> $b2 bytes)" test "${b2:-0}" -ge "${b1:-1}"
transfer srv cli 198.18.32.1 5
diag "download bulk at ceil 8mbit: $MBIT Mbit/s"
check_ceil 8 srv cli 198.18.32.1 5
expect_eq "voice still dropped nothing" "$(class_stat rtr ifb-r1 1:10 dropped)" 0
v2=$(class_stat rtr ifb-r1 1:10 pkts)
check "voice counter kept growing over the reload ($v1 -> $v2)" test "${v2:-0}" -ge $((v1 + VOICE_SENT))

# SIGQUIT hands over: the IFB, its tree and the redirect stay and shape on;
# the next flowtagd adopts them
kill -QUIT "$DAEMON_PID"
wait "$DAEMON_PID"
expect_eq "SIGQUIT: exit status 0" "$?" 0
check "SIGQUIT leaves ifb-r1 and the redirect in place" \
	bash -c "ip -n $(ns rtr) link show ifb-r1 >/dev/null &&
		 tc -n $(ns rtr) filter show dev r1 ingress | grep -q 'Redirect to device ifb-r1'"
b3=$(class_stat rtr ifb-r1 1:20 bytes)
daemon_start rtr "$TMP/p.conf" "$TMP/d3.log" || { not_ok "start after SIGQUIT"; finish; }
check "the next flowtagd adopts ifb-r1 and changes its tree in place" \
	bash -c "grep -q 'r1: ingress shaping on ifb-r1 updated in place' '$TMP/d3.log' &&
		 ! grep -q 'IFB device ifb-r1 created' '$TMP/d3.log'"
b4=$(class_stat rtr ifb-r1 1:20 bytes)
check "class counters kept over the hand-over ($b3 -> $b4 bytes)" test "${b4:-0}" -ge "${b3:-1}"

# another tool deletes r1's clsact qdisc: the self-repair puts back the
# classifier and the redirect behind it
tc -n "$(ns rtr)" qdisc del dev r1 clsact
check "self-repair restores the redirect to ifb-r1 with the clsact qdisc" \
	wait_log "$TMP/d3.log" 'r1: repaired.*redirect to ifb-r1' 10
check "r1 ingress has the classifier and the redirect again" \
	bash -c "[[ $(ft_tc_hook_of rtr r1) != none ]] &&
		 tc -n $(ns rtr) filter show dev r1 ingress | grep -q 'Redirect to device ifb-r1'"

# r1 vanishes (a PPP or VPN link going down): its IFB goes too; re-created:
# attached again, with a new ifb-r1 and the redirect to it
ip -n "$(ns rtr)" link del r1
check "r1 vanished: its ifb-r1 deleted" wait_log "$TMP/d3.log" 'r1: ingress shaping removed, IFB device ifb-r1' 5
veth rtr r1 198.18.33.1/24 srv s0 198.18.33.2/24
idx=$(ip -n "$(ns rtr)" -o link show r1 | cut -d: -f1)
check "r1 re-created: attached again" wait_log "$TMP/d3.log" "r1: attached (ifindex $idx" 15
check "the new r1 redirects to ifb-r1 again" \
	wait_log "$TMP/d3.log" 'r1: clsact ingress pref 1959 redirects to ifb-r1' 5
check "r1 ingress has the redirect" \
	bash -c "tc -n $(ns rtr) filter show dev r1 ingress | grep -q 'Redirect to device ifb-r1'"
check "still one IFB device, still flowtag's tree on it" \
	bash -c "[[ \$(ip -n $(ns rtr) -o link show type ifb | wc -l) -eq 1 ]] &&
		 tc -n $(ns rtr) qdisc show dev ifb-r1 root | grep -q 'htb 1:'"

# another tool deletes ifb-r1 (the redirect then points nowhere): the
# self-repair creates it again with its tree, and the redirect to it
ip -n "$(ns rtr)" link del ifb-r1
check "self-repair: ifb-r1, its tree and the redirect restored" \
	wait_log "$TMP/d3.log" 'r1: repaired: flowtag.s shaping was removed; restored ingress shaping' 10
check "ifb-r1 has flowtag's tree and r1 redirects to it" \
	bash -c "tc -n $(ns rtr) class show dev ifb-r1 classid 1:20 | grep -q 'ceil 8Mbit' &&
		 tc -n $(ns rtr) filter show dev r1 ingress | grep -q 'Redirect to device ifb-r1'"

# the policy renames the IFB: the redirect moves to the new one, the old
# one goes; then the policy drops ingress_shaping: the IFB goes, r1 stays
sed 's/ingress_shaping = { rate/ingress_shaping = { ifb = "dl-r1"; rate/' "$TMP/p.conf" >"$TMP/p2.conf"
cp "$TMP/p.conf" "$TMP/p1.conf"
cp "$TMP/p2.conf" "$TMP/p.conf"
kill -HUP "$DAEMON_PID"
check "reload with ifb = \"dl-r1\": the redirect moves to dl-r1" \
	wait_log "$TMP/d3.log" 'r1: clsact ingress pref 1959 redirects to dl-r1' 10
check "dl-r1 has the tree, ifb-r1 is gone" \
	bash -c "tc -n $(ns rtr) qdisc show dev dl-r1 root | grep -q 'htb 1:' &&
		 ! ip -n $(ns rtr) link show ifb-r1 >/dev/null 2>&1"
sed 's/ingress_shaping = {[^}]*};//' "$TMP/p1.conf" >"$TMP/p.conf"
kill -HUP "$DAEMON_PID"
check "reload without ingress_shaping: dl-r1 removed" \
	wait_log "$TMP/d3.log" 'r1: ingress shaping removed, IFB device dl-r1' 10
check "no IFB, no redirect; r1 still classifies" \
	bash -c "[[ -z \$(ip -n $(ns rtr) -o link show type ifb) ]] &&
		 ! tc -n $(ns rtr) filter show dev r1 ingress | grep -q mirred &&
		 [[ $(ft_tc_hook_of rtr r1) != none ]]"
cp "$TMP/p1.conf" "$TMP/p.conf"
n=$(grep -c 'r1: IFB device ifb-r1 created' "$TMP/d3.log")
kill -HUP "$DAEMON_PID"
check "reload with ingress_shaping again: ifb-r1 created again, r1 redirected to it" \
	bash -c "for i in \$(seq 100); do
			[[ \$(grep -c 'r1: IFB device ifb-r1 created' '$TMP/d3.log') -gt $n ]] &&
			tc -n $(ns rtr) filter show dev r1 ingress | grep -q 'Redirect to device ifb-r1' &&
			exit 0
			sleep 0.1
		 done; exit 1"

# a reload to a leaf qdisc this kernel lacks: the IFB's tree cannot be
# built as the policy says. Nothing half-built stays (the redirect would
# send the download to an IFB whose classes have no leaf, unshaped): the
# redirect and the IFB go, r1 still classifies, the reload says INCOMPLETE
# with r1 and the reason, status shows r1 degraded from the kernel with
# the reason; the next good reload builds it all again
if reload_missing_leaf; then
	check "nothing half-built: no IFB device, no redirect; r1 still classifies" \
		bash -c "[[ -z \$(ip -n $(ns rtr) -o link show type ifb) ]] &&
			 ! tc -n $(ns rtr) filter show dev r1 ingress | grep -q mirred &&
			 [[ $(ft_tc_hook_of rtr r1) != none ]]"
	r=$(iface_status rtr r1)
	check "status -j: r1 degraded, no redirect to an IFB in the kernel, and why" \
		bash -c "grep -q '^degraded|.*ingress_shaping is configured, but there is no redirect' <<<\"\$1\" &&
			 grep -q 'flowtagd could not build its ingress shaping: this kernel has no $MISSING qdisc' <<<\"\$1\"" _ "$r"
	LEAF=$LEAF0 policy 8mbit >"$TMP/p.conf"
	ctl rtr reload >"$TMP/rl" 2>&1
	expect_eq "the policy fixed: reload exit 0" "$?" 0
	check "ifb-r1 with its tree and the redirect to it again" \
		bash -c "tc -n $(ns rtr) class show dev ifb-r1 classid 1:20 | grep -q 'ceil 8Mbit' &&
			 tc -n $(ns rtr) filter show dev r1 ingress | grep -q 'Redirect to device ifb-r1'"
	expect_eq "status -j: r1 ok again" "$(iface_status rtr r1)" "ok|"
fi

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "ifb-r1 is gone" bash -c "! ip -n $(ns rtr) link show ifb-r1 >/dev/null 2>&1"
check "no redirect left on r1" bash -c "! tc -n $(ns rtr) filter show dev r1 ingress 2>/dev/null | grep -q mirred"
check "the log says ingress shaping was removed" \
	grep -q 'r1: ingress shaping removed, IFB device ifb-r1' "$TMP/d3.log"
check "nothing of ours left on r1" nothing_left rtr r1

# --cleanup after a hand-over removes the IFB too
daemon_start rtr "$TMP/p.conf" "$TMP/d4.log" || { not_ok "start before --cleanup"; finish; }
kill -QUIT "$DAEMON_PID"
wait "$DAEMON_PID"
nsenter --net=/run/netns/"$(ns rtr)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" >"$TMP/c.log" 2>&1
check "--cleanup removes the redirect and ifb-r1" \
	bash -c "! ip -n $(ns rtr) link show ifb-r1 >/dev/null 2>&1 &&
		 ! tc -n $(ns rtr) filter show dev r1 ingress 2>/dev/null | grep -q mirred"
check "nothing of ours left on r1 after --cleanup" nothing_left rtr r1

# an ifb-r1 somebody else made is not ours to take
ip -n "$(ns rtr)" link add ifb-r1 type ifb
check_refused "refuses to take over an IFB device it did not create" rtr "$TMP/p.conf" "$TMP/d2.log"
check "says why and names the ifb key" grep -q 'ifb-r1 exists and was not created by flowtag.*ifb = ' "$TMP/d2.log"
check "the foreign ifb-r1 is still there" bash -c "ip -n $(ns rtr) link show ifb-r1 >/dev/null"
check "nothing of ours left on r1 after the refusal" nothing_left rtr r1

# tc_verdict "ok" would stop the hook before the redirect
sed 's/^mark_mask/tc_verdict = "ok";\nmark_mask/' "$TMP/p.conf" >"$TMP/bad.conf"
out=$("$FLOWTAGD" --check -c "$TMP/bad.conf" 2>&1)
check "--check: ingress_shaping with tc_verdict \"ok\", with FILE:LINE" \
	grep -q 'bad.conf:[0-9]*: error: ingress_shaping needs tc_verdict "continue"' <<<"$out"
finish
