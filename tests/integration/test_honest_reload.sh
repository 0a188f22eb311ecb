#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# A reload that reports the truth.
#  - ConfigMap-style symlinks (flowtag.conf -> ..data/flowtag.conf,
#    ..data -> rel1): re-point ..data at rel2, delete rel1, `flowtagctl
#    reload`: rel2's policy is in force after this one reload, and the next
#    swap works as well (-c is absolute but never resolved).
#  - a reload naming an interface flowtag cannot attach (another tool's XDP
#    program holds it): `flowtagctl reload` exits non-zero and says why.
#  - a reload naming one that does not exist yet: in force on the others,
#    counted without it, and it is named.
#
#   gen (g0 198.18.6.1) ---- (d0 198.18.6.2) dut
#   gen (g1 198.18.16.1) --- (d1 198.18.16.2) dut   (d1: someone else's XDP)

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.6
veth gen g1 198.18.16.1/24 dut d1 198.18.16.2/24

# policy IFACES CLASS_OF_9000
policy()
{
	cat <<CONF
interfaces = ( $1 );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice"; mark = 0x100; priority = "1:10"; },
  { name = "bulk"; mark = 0x300; priority = "1:30"; }
);
rules = ( { match = { proto = "udp"; dport = 9000; }; class = "$2"; } );
CONF
}

CM=$TMP/cm
mkdir -p "$CM/rel1" "$CM/rel2" "$CM/rel3" "$CM/rel4" "$CM/rel5"
policy '{ name = "d0"; }' bulk >"$CM/rel1/flowtag.conf"
policy '{ name = "d0"; }' voice >"$CM/rel2/flowtag.conf"
policy '{ name = "d0"; }' bulk >"$CM/rel3/flowtag.conf"
policy '{ name = "d0"; }, { name = "d1"; }' voice >"$CM/rel4/flowtag.conf"
policy '{ name = "d0"; }, { name = "d1"; }, { name = "zz9"; }' voice >"$CM/rel5/flowtag.conf"
ln -s rel1 "$CM/..data"
ln -s ..data/flowtag.conf "$CM/flowtag.conf"

# swap DIR: atomically re-point ..data, as kubelet does
swap()
{
	ln -s "$1" "$CM/..data_tmp" && mv -T "$CM/..data_tmp" "$CM/..data"
}

in_ns dut nft -f - <<'NFT'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 9000 meta mark & 0xff00 == 0x300 counter comment "bulk"
    udp dport 9000 meta mark & 0xff00 == 0x100 counter comment "voice"
  }
}
NFT

# -c relative, through the symlinks
BIN=$(realpath "$FLOWTAGD")
pushd "$CM" >/dev/null
daemon_start dut flowtag.conf "$TMP/flowtagd.log" "$BIN" || { not_ok "start"; finish; }
popd >/dev/null
reach gen 198.18.6.2
send gen -d 198.18.6.2 -p 9000 -n 10
sleep 0.3
expect_eq "rel1: UDP 9000 is bulk" "$(nft_count dut inet ft bulk)" 10
check "the log names the file read, with inode and mtime" \
	grep -q "reading $CM/flowtag.conf (inode [0-9]*, modified " "$TMP/flowtagd.log"

swap rel2
rm -rf "$CM/rel1"
ctl dut reload >"$TMP/rl1" 2>&1
expect_eq "swap to rel2, rel1 deleted: reload exit 0" "$?" 0
check "reload reports generation 1 -> 2 in force" grep -q "reloaded: generation 1 -> 2, in force on 1" \
	"$TMP/rl1"
send gen -d 198.18.6.2 -p 9000 -n 10
sleep 0.3
expect_eq "rel2's policy is in force: UDP 9000 is voice" "$(nft_count dut inet ft voice)" 10
expect_eq "status shows the path as given" \
	"$(ctl dut status -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["file"])')" \
	"$CM/flowtag.conf"
ino=$(stat -L -c %i "$CM/flowtag.conf")
expect_eq "status shows the inode of rel2's file" \
	"$(ctl dut status -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["file_inode"])')" \
	"$ino"

swap rel3
rm -rf "$CM/rel2"
ctl dut reload >"$TMP/rl2" 2>&1
expect_eq "the next swap (rel3, rel2 deleted): reload exit 0" "$?" 0
send gen -d 198.18.6.2 -p 9000 -n 10
sleep 0.3
expect_eq "rel3's policy is in force: UDP 9000 is bulk again" "$(nft_count dut inet ft bulk)" 20

# another tool's XDP program on d1: flowtag will not replace it
ip -n "$(ns dut)" link set dev d1 xdpgeneric obj "$FT_BUILD/tests/foreign.bpf.o" sec xdp
swap rel4
ctl dut reload >"$TMP/rl3" 2>&1
expect_eq "reload with d1 unattachable: exit 1" "$?" 1
check "reload says it is incomplete" grep -q "reload INCOMPLETE: generation 3 -> 4" "$TMP/rl3"
check "reload names d1 and the reason" grep -q "d1: another XDP program is attached" "$TMP/rl3"
sed 's/^/# /' "$TMP/rl3"
send gen -d 198.18.6.2 -p 9000 -n 10
sleep 0.3
expect_eq "d0 runs the new policy all the same (voice)" "$(nft_count dut inet ft voice)" 20
ctl dut status >"$TMP/st" 2>&1
expect_eq "status exit 1" "$?" 1
check "status: degraded, d1 not attached" grep -q "1 interface(s) of the policy not attached: d1" \
	"$TMP/st"
check "... degraded overall, not down: d0 classifies" grep -q "^state: *degraded" "$TMP/st"
# d1 has a row of its own (scripts walk interfaces[]): there, not attached, down
r=$(ctl dut -j status | python3 -c '
import json,sys
d = json.load(sys.stdin)
i = [i for i in d["interfaces"] if i["name"] == "d1"]
print(len(i), i[0]["mode"], i[0]["state"], i[0]["present"], i[0]["ifindex"]) if i else print(0)')
expect_eq "status -j: d1 listed, not attached, down, present, ifindex 0" "$r" "1 not-attached down True 0"
r=$(ctl dut -j reload | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], any("d1" in p for p in d["problems"]))')
expect_eq "JSON reload: incomplete, d1 named" "$r" "incomplete True"

# reload --confirm checks the same: applied, but not in force on d1
ctl dut reload --confirm 60 --no-wait >"$TMP/rlc" 2>&1
expect_eq "reload --confirm with d1 unattachable: exit 1" "$?" 1
check "reload --confirm says it is incomplete" \
	grep -q "reload INCOMPLETE: generation [0-9]* is active" "$TMP/rlc"
check "reload --confirm names d1 and the reason" grep -q "d1: another XDP program is attached" \
	"$TMP/rlc"
sed 's/^/# /' "$TMP/rlc"
ctl dut confirm >"$TMP/cf" 2>&1
expect_eq "confirm: exit 0" "$?" 0

ip -n "$(ns dut)" link set dev d1 xdpgeneric off
ctl dut reload >"$TMP/rl4" 2>&1
expect_eq "d1 freed: reload exit 0" "$?" 0

# an optional interface that does not exist (yet) is no fault: the reload
# is complete (it said INCOMPLETE with no problem named, exit 1)
swap rel5
r=$(ctl dut -j reload | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], len(d["problems"]))')
expect_eq "reload naming an absent optional zz9: reloaded, no problem" "$r" "reloaded 0"
check "... and the log says zz9 is not there yet" \
	grep -q "zz9: no such interface yet: attached when it appears" "$TMP/flowtagd.log"
# in force where it is attached (d0, d1), not on the absent zz9, which is named
ctl dut reload >"$TMP/rl8" 2>&1
expect_eq "the same reload in text: exit 0" "$?" 0
check "in force on 2 interfaces, zz9 named as not there yet" \
	grep -q "^reloaded: generation [0-9]* -> [0-9]*, in force on 2 interface(s); not there yet: zz9 (attached when it appears)$" "$TMP/rl8"
sed 's/^/# /' "$TMP/rl8"
r=$(ctl dut -j reload | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["in_force_on"], d["absent"])')
expect_eq "JSON: in_force_on 2, absent ['zz9']" "$r" "2 ['zz9']"

# a daemon that cannot answer in time (stopped here; in the field one
# compiling 10^6 prefixes on a busy machine): reload --timeout 1 gives up
# after 1 s, not 10, and says what it does not know; the reload happens
# once the daemon runs again
g0=$(ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["generation"])')
[[ $g0 =~ ^[0-9]+$ ]] || not_ok "status -j gives the generation in force ('$g0')"
kill -STOP "$DAEMON_PID"
t0=$(date +%s%N)
ctl dut reload --timeout 1 >"$TMP/rl5" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -CONT "$DAEMON_PID"
expect_eq "reload --timeout 1 with the daemon stopped: exit 1" "$rc" 1
check "it gave up after about 1 s, not 10 (${ms} ms)" bash -c "[[ $ms -ge 1000 && $ms -lt 5000 ]]"
check "it says it did not hear within 1 s and how to wait longer" \
	grep -q "did not report the reload within 1 s.*--timeout SECONDS waits longer" "$TMP/rl5"
check "the daemon reloads once it runs again" wait_log "$TMP/flowtagd.log" "generation $((g0 + 1))," 20
ctl dut reload --timeout 0 >"$TMP/rl6" 2>&1
expect_eq "reload --timeout 0: usage error (exit 2)" "$?" 2

# the same with --confirm: the daemon applies the reload once it runs
# again, and nobody is there to confirm it; the client says so, and JSON
# names the result as plain reload does
g1=$(ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["generation"])')
kill -STOP "$DAEMON_PID"
ctl dut -j reload --confirm 3 --timeout 1 >"$TMP/rl7" 2>"$TMP/rl7.err"
rc=$?
kill -CONT "$DAEMON_PID"
expect_eq "reload --confirm 3 --timeout 1 with the daemon stopped: exit 1" "$rc" 1
expect_eq "JSON: result timeout" \
	"$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("result"))' <"$TMP/rl7")" timeout
check "it says an unconfirmed reload rolls back within 3 s of being applied" \
	grep -q "rolls back .*3 s.*flowtagctl confirm" "$TMP/rl7.err"
check "the daemon applies it once it runs again" \
	wait_log "$TMP/flowtagd.log" "generation $((g1 + 1)) must be confirmed within 3 s" 20
check "and rolls back, nobody confirmed" wait_log "$TMP/flowtagd.log" "rollback: generation $((g1 + 1))" 20

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "nothing left on d0" nothing_left dut d0
check "nothing left on d1" nothing_left dut d1
finish
