#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Tests inside the policy (tests = ( ... )): a policy whose test fails is
# refused by flowtagd --check, flowtagctl check, at start and at reload,
# each time with the test's FILE:LINE (also in an @include'd file); on
# reload the running policy stays and still classifies the traffic. A
# passing policy loads; --check warns about shadowed rules.
#
#   gen (g0 198.18.22.1) ---- (d0 198.18.22.2) dut

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.22 || { not_ok "topology"; finish; }

# policy FILE PORT9000_CLASS [TESTS...]: voice for UDP 5060, UDP 9000 in
# PORT9000_CLASS, the tests given (one entry a line, from line 14 on)
policy()
{
	local file=$1 cls=$2 t
	shift 2
	{
		echo 'interfaces = ( { name = "d0"; } );'			# 1
		echo 'mark_mask = 0x0000ff00;'					# 2
		echo 'classes = ('						# 3
		echo '  { name = "voice"; mark = 0x100; priority = "1:10"; },'	# 4
		echo '  { name = "bulk"; mark = 0x300; priority = "1:30"; },'	# 5
		echo '  { name = "default"; mark = 0x400; priority = "1:40"; }'	# 6
		echo ');'							# 7
		echo 'rules = ('						# 8
		echo '  { name = "sip"; match = { proto = "udp"; dport = 5060; }; class = "voice"; },' # 9
		echo "  { name = \"p9000\"; match = { proto = \"udp\"; dport = 9000; }; class = \"$cls\"; }" # 10
		echo ');'							# 11
		echo 'default_class = "default";'				# 12
		echo 'tests = ('						# 13
		for t in "$@"; do echo "$t"; done				# 14...
		echo ');'
	} >"$file"
}
T_VOICE='  { packet = "proto udp src 198.18.22.1 dport 5060"; expect = "voice"; rule = "sip"; },'
T_BULK='  { packet = "proto udp src 198.18.22.1 dport 9000"; expect = "bulk"; },'
T_DEFAULT='  { packet = "proto tcp src 198.18.22.1 dport 80"; expect = "default"; }'
policy "$TMP/good.conf" bulk "$T_VOICE" "$T_BULK" "$T_DEFAULT"
# the same tests, but UDP 9000 is voice now: the test on line 15 fails
policy "$TMP/bad.conf" voice "$T_VOICE" "$T_BULK" "$T_DEFAULT"
chmod 644 "$TMP"/*.conf

# 1. --check and check
out=$("$FLOWTAGD" --check -c "$TMP/good.conf" 2>&1)
check "flowtagd --check: a policy whose tests pass is valid" grep -q "valid" <<<"$out"
out=$("$FLOWTAGD" --check -c "$TMP/bad.conf" 2>&1)
expect_eq "flowtagd --check: a failing test makes exit 1" "$?" 1
check "... with the test's FILE:LINE" \
	grep -q "bad.conf:15: error: test failed: packet \"proto udp src 198.18.22.1 dport 9000\" expected class bulk, got class voice (rule 1 'p9000', line 10)" <<<"$out"
out=$("$FTCTL" check "$TMP/bad.conf" 2>&1)
expect_eq "flowtagctl check: exit 1" "$?" 1
check "... with the test's FILE:LINE" grep -q "^$TMP/bad.conf:15: error: test failed" <<<"$out"
r=$("$FTCTL" -j check "$TMP/bad.conf" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["valid"], len(d["errors"]), d["flow_cache"], d["search"])')
expect_eq "flowtagctl -j check: invalid, one error, no flow cache or search to report" "$r" "False 1 None None"
r=$("$FTCTL" -j check "$TMP/good.conf" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["valid"], d["flow_cache"], d["search"])')
expect_eq "flowtagctl -j check: 2 rules, no dynamic set: no flow cache (auto), the one-word search" "$r" "True False one-word"

# a name that is not UTF-8 (Latin-1 "café"): refused at its line, and
# check -j stays JSON (accepted, it made stats -j and the metrics invalid)
policy "$TMP/latin1.conf" bulk "$T_VOICE" "$T_BULK" "$T_DEFAULT"
sed -i 's/{ name = "bulk";/{ name = "caf\xe9";/' "$TMP/latin1.conf"
chmod 644 "$TMP/latin1.conf"
r=$("$FTCTL" -j check "$TMP/latin1.conf" | python3 -c 'import json,sys; d=json.loads(sys.stdin.buffer.read().decode("utf-8")); print(d["valid"], d["errors"][0])')
expect_eq "a class name that is not UTF-8: refused at its FILE:LINE, check -j is UTF-8 JSON" "$r" \
	"False $TMP/latin1.conf:5: error: string is not valid UTF-8: byte 0xe9 after \"caf\" (names and other strings must be UTF-8 text)"

# a bad entry is a config error at its line too
policy "$TMP/entry.conf" bulk "$T_VOICE" '  { packet = "proto udp src 198.18.22.1 dport 9000"; expect = "gold"; }'
out=$("$FLOWTAGD" --check -c "$TMP/entry.conf" 2>&1)
check "an unknown class in expect: FILE:LINE" grep -q "entry.conf:15: error: test expects 'gold'" <<<"$out"
policy "$TMP/entry.conf" bulk '  { packet = "proto udp dport 9000"; expect = "bulk"; }'
out=$("$FLOWTAGD" --check -c "$TMP/entry.conf" 2>&1)
check "a malformed packet: FILE:LINE" grep -q "entry.conf:14: error: test packet \"proto udp dport 9000\": give src, dst or family" <<<"$out"

# a failing test in an @include'd file names that file
policy "$TMP/inc.conf" bulk
sed -i '/^tests = ($/,$d' "$TMP/inc.conf"
echo '@include "tests.inc"' >>"$TMP/inc.conf"
printf 'tests = (\n%s\n%s\n);\n' "$T_VOICE" "${T_BULK%,}" >"$TMP/tests.inc"
sed -i 's/class = "bulk"; }$/class = "voice"; }/' "$TMP/inc.conf"
chmod 644 "$TMP/inc.conf" "$TMP/tests.inc"
out=$("$FLOWTAGD" --check -c "$TMP/inc.conf" 2>&1)
check "a failing test in an @include'd file: that FILE:LINE" grep -q "tests.inc:3: error: test failed" <<<"$out"
check "... naming the rule in the other file as FILE:LINE" \
	grep -q "tests.inc:3: error: test failed: .* got class voice (rule 1 'p9000', $TMP/inc.conf:10)$" <<<"$out"

# a rule in an @include'd file: explain, a failing test and a shadow warning
# name it as FILE:LINE, the include as the policy names it (./rules2.inc)
{
	echo 'interfaces = ( { name = "d0"; } );'				# 1
	echo 'classes = ( { name = "c"; mark = 1; }, { name = "d"; mark = 2; } );' # 2
	echo 'rules = ( { name = "r0"; match = { proto = "tcp"; }; class = "c"; },' # 3
	echo '@include "rules2.inc"'						# 4
	echo ');'								# 5
	echo 'tests = ( { packet = "proto udp src 1.1.1.1"; expect = "d"; } );'	# 6
} >"$TMP/m9.conf"
printf '# r1\n\n\n\n{ name = "r1"; match = { proto = "udp"; }; class = "c"; }\n' >"$TMP/rules2.inc"
chmod 644 "$TMP/m9.conf" "$TMP/rules2.inc"
ftd=$(realpath "$FLOWTAGD") ftctl=$(realpath "$FTCTL")	# run from $TMP
out=$(cd "$TMP" && "$ftd" --check -c m9.conf 2>&1)
check "a failing test naming a rule of an @include'd file: its FILE:LINE" \
	grep -q "^flowtagd: m9.conf:6: error: test failed: .* got class c (rule 1 'r1', ./rules2.inc:5)$" <<<"$out"
sed -i '/^tests = /d' "$TMP/m9.conf"
out=$(cd "$TMP" && "$ftctl" explain -c m9.conf proto udp src 1.1.1.1 2>&1)
check "explain: the matching rule of an @include'd file at its FILE:LINE" \
	grep -q "rule: *1 'r1' (./rules2.inc:5)" <<<"$out"
r=$(cd "$TMP" && "$ftctl" -j explain -c m9.conf proto udp src 1.1.1.1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["location"])')
expect_eq "explain -j: location" "$r" "./rules2.inc:5"
printf '\n{ name = "r1"; match = { proto = "tcp"; dport = 22; }; class = "d"; }\n' >"$TMP/rules2.inc"
out=$(cd "$TMP" && "$ftd" --check -c m9.conf 2>&1)
check "a shadowed rule in an @include'd file: warned there, the rule before at FILE:LINE" \
	grep -q "^flowtagd: ./rules2.inc:2: warning: rule 1 'r1' can never match: rule 0 'r0' (m9.conf:3) before it" <<<"$out"

# shadowed rules: warnings, not errors
policy "$TMP/shadow.conf" bulk "$T_DEFAULT"
sed -i 's/^  { name = "sip"; match = { proto = "udp"; dport = 5060; }; class = "voice"; },$/  { match = { proto = "udp"; }; class = "voice"; },/' "$TMP/shadow.conf"
out=$("$ftd" --check -c "$TMP/shadow.conf" 2>&1)
expect_eq "--check with a shadowed rule: still valid (exit 0)" "$?" 0
check "... and a warning at the shadowed rule's line" \
	grep -q "shadow.conf:10: warning: rule 1 'p9000' can never match: rule 0 (line 9) before it matches every packet it matches" <<<"$out"
check "... and at the class only it uses" \
	grep -q "shadow.conf:5: warning: class 'bulk' is used only by rules that can never match" <<<"$out"

# 2. start: a failing test refuses to start
nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -f -c "$TMP/bad.conf" --pin-dir "$PIN" \
	>"$TMP/start.log" 2>&1
expect_eq "flowtagd refuses to start on a policy whose test fails (exit 1)" "$?" 1
check "... saying FILE:LINE" grep -q "bad.conf:15: error: test failed" "$TMP/start.log"
[[ -e $PIN ]] && rmdir "$PIN" 2>/dev/null

# 3. reload: refused, the running policy stays and classifies
in_ns dut nft -f - <<'NFT'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 9000 meta mark & 0xff00 == 0x300 counter comment "bulk"
    udp dport 9000 meta mark & 0xff00 == 0x100 counter comment "voice"
  }
}
NFT
cp "$TMP/good.conf" "$TMP/policy.conf"
daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
ok "flowtagd starts on a policy whose tests pass"
reach gen 198.18.22.2
send gen -d 198.18.22.2 -p 9000 -n 10
cp "$TMP/bad.conf" "$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
check "reload: refused with the test's FILE:LINE" \
	wait_log "$TMP/flowtagd.log" "policy.conf:15: error: test failed: packet" 10
check "reload: reported as failed" wait_log "$TMP/flowtagd.log" "reload failed: still running generation 1" 5
check "the daemon still runs" kill -0 "$DAEMON_PID"
gen=$(ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["generation"])')
expect_eq "the running policy is unchanged (generation 1)" "$gen" 1
send gen -d 198.18.22.2 -p 9000 -n 10
sleep 0.3
expect_eq "UDP 9000 is still bulk (20 packets)" "$(nft_count dut inet ft bulk)" 20
expect_eq "... and none voice" "$(nft_count dut inet ft voice)" 0

# a good file again: the reload goes through
cp "$TMP/good.conf" "$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
check "a policy whose tests pass reloads (generation 2)" wait_log "$TMP/flowtagd.log" "generation 2," 10

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "nothing left" nothing_left dut d0
finish
