#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# SIGHUP: a reload moves a flow to another class; a bad file is refused
# with FILE:LINE and the running policy stays, also a file libconfig 1.5
# would exit the process on (@include "."); 100 reloads under steady
# traffic misclassify nothing (the swap is atomic).
#
#   gen (g0 198.18.5.1) ---- (d0 198.18.5.2) dut

. "$(dirname "$0")/lib.sh"
need_root

ns_add gen
ns_add dut
veth gen g0 198.18.5.1/24 dut d0 198.18.5.2/24 fd00:5::1/64 fd00:5::2/64

# policy A and A': the same classes for the test flows, but A' has 200
# filler rules in front, so every rule index and table differs.
write_policy()
{
	local file=$1 fillers=$2 port9000=$3 i
	{
		echo 'interfaces = ( { name = "d0"; } );'
		echo 'mark_mask = 0x0000ff00;'
		echo 'classes = ('
		echo '  { name = "voice"; mark = 0x100; priority = "1:10"; },'
		echo '  { name = "interactive"; mark = 0x200; priority = "1:20"; },'
		echo '  { name = "bulk"; mark = 0x300; priority = "1:30"; },'
		echo '  { name = "default"; mark = 0x400; priority = "1:40"; }'
		echo ');'
		echo 'rules = ('
		for ((i = 0; i < fillers; i++)); do
			echo "  { match = { proto = \"udp\"; dport = $((20000 + i)); src = \"198.18.$((i % 200)).0/24\"; }; class = \"interactive\"; },"
		done
		echo '  { match = { proto = "udp"; dport = "5060-5061"; }; class = "voice"; },'
		echo "  { match = { proto = \"udp\"; dport = 9000; }; class = \"$port9000\"; }"
		echo ');'
		echo 'default_class = "default";'
	} >"$file"
}
write_policy "$TMP/a.conf" 0 bulk
write_policy "$TMP/a2.conf" 200 bulk
write_policy "$TMP/b.conf" 0 voice
cp "$TMP/a.conf" "$TMP/policy.conf"

in_ns dut nft -f - <<'EOF'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 5060 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "voice-ok"
    udp dport 5060 counter comment "voice-all"
    udp dport 9000 meta mark & 0xff00 == 0x300 meta priority 1:30 counter comment "bulk"
    udp dport 9000 meta mark & 0xff00 == 0x100 meta priority 1:10 counter comment "9000-voice"
    udp dport 9000 counter comment "9000-all"
  }
}
EOF

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
ok "flowtagd starts with policy A"
reach gen 198.18.5.2

# 1. a reload moves UDP 9000 from bulk to voice
send gen -d 198.18.5.2 -p 9000 -n 10
cp "$TMP/b.conf" "$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
check "SIGHUP: generation 2 active" wait_log "$TMP/flowtagd.log" "generation 2," 10
send gen -d 198.18.5.2 -p 9000 -n 10
sleep 0.3
expect_eq "before the reload UDP 9000 was bulk" "$(nft_count dut inet ft bulk)" 10
expect_eq "after the reload UDP 9000 is voice" "$(nft_count dut inet ft 9000-voice)" 10

# 2. bad files: refused with FILE:LINE, the running policy (B) stays
sed 's/class = "voice"; }$/class = "nosuchclass"; }/' "$TMP/b.conf" >"$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
check "unknown class refused with FILE:LINE" \
	wait_log "$TMP/flowtagd.log" "policy.conf:[0-9]*: error: .*nosuchclass" 10
check "the reload is reported as failed" wait_log "$TMP/flowtagd.log" "reload failed" 5
printf 'rules = ( { match = { dport = "90-80"; }; class = "voice"; } ) \n garbage' \
	>"$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
check "syntax error refused with FILE:LINE" \
	wait_log "$TMP/flowtagd.log" "policy.conf:[0-9]*: error: syntax error" 10
sleep 0.2
check "the daemon is still running" kill -0 "$DAEMON_PID"
send gen -d 198.18.5.2 -p 9000 -n 10
sleep 0.3
expect_eq "the old policy still classifies (UDP 9000 still voice)" \
	"$(nft_count dut inet ft 9000-voice)" 20
if [[ -x $FTCTL ]]; then
	st=$(ctl dut status 2>&1)
	check "flowtagctl status counts the rejected reloads" grep -q "rejected reloads: *2" <<<"$st"
fi

# 2b. files Debian's libconfig 1.5 would exit(2) on, or misread: each is
# refused with FILE:LINE and the daemon keeps running policy B. Each bad
# file holds policy A (UDP 9000 -> bulk), so a wrong acceptance shows.
mkdir "$TMP/incdir"
alines=$(wc -l <"$TMP/a.conf")
failed() { grep -c "reload failed" "$TMP/flowtagd.log"; }
hup_refused()	# NAME PATTERN: SIGHUP, wait for the refusal, check the message
{
	local n
	n=$(failed)
	kill -HUP "$DAEMON_PID"
	for _ in $(seq 100); do [[ $(failed) -gt $n ]] && break; sleep 0.1; done
	check "$1: refused with FILE:LINE" grep -q -- "$2" "$TMP/flowtagd.log"
	check "$1: the daemon is still running" kill -0 "$DAEMON_PID"
}
for inc in . "" incdir "$TMP/incdir"; do
	{ cat "$TMP/a.conf"; printf '@include "%s"\n' "$inc"; } >"$TMP/policy.conf"
	hup_refused "SIGHUP with @include \"$inc\"" \
		"policy.conf:$((alines + 1)): error: @include \"$inc\": "
done
{ cat "$TMP/a.conf"; echo 'mark_mask = 4295032576;'; } >"$TMP/policy.conf"
hup_refused "SIGHUP with a decimal that libconfig would wrap" \
	"policy.conf:$((alines + 1)): error: integer 4295032576 does not fit"
{ head -n 3 "$TMP/a.conf"; printf '\0'; tail -n +4 "$TMP/a.conf"; } >"$TMP/policy.conf"
hup_refused "SIGHUP with a NUL byte" "policy.conf:4: error: NUL byte"
cp "$TMP/a.conf" "$TMP/policy.conf"
chmod 666 "$TMP/policy.conf"
hup_refused "SIGHUP with a world-writable policy" \
	"policy.conf: error: refusing '.*policy.conf': writable by group and others (mode 0666)"
chmod 644 "$TMP/policy.conf"
send gen -d 198.18.5.2 -p 9000 -n 10
sleep 0.3
expect_eq "after 7 refused files policy B still classifies (UDP 9000 voice)" \
	"$(nft_count dut inet ft 9000-voice)" 30
if [[ -x $FTCTL ]]; then
	st=$(ctl dut status 2>&1)
	check "flowtagctl status counts them (9 rejected reloads)" \
		grep -q "rejected reloads: *9" <<<"$st"
fi

# 3. 100 reloads under steady traffic: A, A', A, ... every packet of the
# voice flow must carry the voice tag, every 9000 packet the bulk tag. On
# an emulated CPU (FT_VM_ACCEL=tcg: the 6.1 VM) 30 reloads: each takes
# about 5 s there, and 30 swaps under traffic test the same thing.
nreloads=100
[[ ${FT_VM_ACCEL:-} == tcg ]] && nreloads=30
cp "$TMP/a.conf" "$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/flowtagd.log" "generation 3," 10
v0=$(nft_count dut inet ft voice-all)
vok0=$(nft_count dut inet ft voice-ok)
b0=$(nft_count dut inet ft bulk)
n0=$(nft_count dut inet ft 9000-all)
send_start gen "$TMP/send1.out" -d 198.18.5.2 -p 5060 -r 4000 -f 8 -s 40000
s1=$SENDER
send_start gen "$TMP/send2.out" -d 198.18.5.2 -p 9000 -r 4000 -f 8 -s 41000
s2=$SENDER
start=$(date +%s%N)
g=3
for i in $(seq $nreloads); do
	if ((i % 2)); then cp "$TMP/a2.conf" "$TMP/policy.conf"; else cp "$TMP/a.conf" "$TMP/policy.conf"; fi
	kill -HUP "$DAEMON_PID"
	g=$((g + 1))
	wait_log "$TMP/flowtagd.log" "generation $g," 10 || { diag "reload $i timed out"; break; }
done
end=$(date +%s%N)
send_stop "$s1" "$TMP/send1.out"
sent=$SENT
send_stop "$s2" "$TMP/send2.out"
sent=$((sent + SENT))
sleep 0.3
v=$(( $(nft_count dut inet ft voice-all) - v0 ))
vok=$(( $(nft_count dut inet ft voice-ok) - vok0 ))
n=$(( $(nft_count dut inet ft 9000-all) - n0 ))
b=$(( $(nft_count dut inet ft bulk) - b0 ))
bad=$(( (v - vok) + (n - b) ))
diag "$nreloads reloads in $(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }') s under traffic:" \
	"sent $sent, received $((v + n)), misclassified $bad"
expect_eq "$nreloads reloads done (generation $((nreloads + 3)))" "$g" $((nreloads + 3))
check "traffic flowed during the reloads ($((v + n)) packets)" bash -c "[[ $((v + n)) -gt 1000 ]]"
expect_eq "misclassified packets during $nreloads reloads under traffic" "$bad" 0

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "nothing left" nothing_left dut d0

finish
