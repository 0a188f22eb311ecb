#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtagctl diff NEW.conf: N known UDP flows pass the running policy,
# NEW.conf moves exactly K of them (3 bulk -> voice, 1 voice -> drop);
# diff reports K changed flows with that breakdown, counts a flow seen on
# both CPUs once, ignores the entries of an earlier generation after a
# reload, refuses a NEW.conf whose test fails, and changes nothing. The
# policies say flow_cache = "on": under "auto" this small one would get
# none, and then diff has no flows to compare: it says so and exits 1.
#
#   gen (g0 198.18.21.1) ---- (d0 198.18.21.2) dut

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.21 || { not_ok "topology"; finish; }

policy()	# FILE [NEW]: the running policy, or with NEW the one diff previews
{
	{
		echo 'interfaces = ( { name = "d0"; } );'
		echo 'mark_mask = 0x0000ff00;'
		echo 'flow_cache = "on";'
		echo 'classes = ('
		echo '  { name = "voice"; mark = 0x100; priority = "1:10"; },'
		echo '  { name = "bulk"; mark = 0x300; priority = "1:30"; },'
		echo '  { name = "default"; mark = 0x400; priority = "1:40"; }'
		echo ');'
		echo 'rules = ('
		if [[ -n ${2:-} ]]; then
			echo '  { match = { proto = "udp"; sport = 31000; dport = 5060; }; action = "drop"; },'
			echo '  { match = { proto = "udp"; sport = "30000-30002"; dport = 9000; }; class = "voice"; },'
		fi
		echo '  { match = { proto = "udp"; dport = 5060; }; class = "voice"; },'
		echo '  { match = { proto = "udp"; dport = 9000; }; class = "bulk"; }'
		echo ');'
		echo 'default_class = "default";'
	} >"$1"
}
policy "$TMP/policy.conf"
policy "$TMP/new.conf" new
cp "$TMP/policy.conf" "$TMP/same.conf"

daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
ok "flowtagd starts"
reach gen 198.18.21.2

# the flows: 10 to UDP 9000 (bulk, sports 30000..30009), 4 to UDP 5060
# (voice, sports 31000..31003); from every CPU, so some flows sit in the
# cache of several
ncpu=$(nproc)
for ((cpu = 0; cpu < (ncpu < 2 ? ncpu : 2); cpu++)); do
	in_ns gen taskset -c "$cpu" "$FTSEND" -d 198.18.21.2 -p 9000 -f 10 -s 30000 -n 30 >/dev/null
	in_ns gen taskset -c "$cpu" "$FTSEND" -d 198.18.21.2 -p 5060 -f 4 -s 31000 -n 12 >/dev/null
done

# field FIELD: from the JSON of the last diff
field()
{
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/diff.json" "$1"
}
# pair FROM TO: the flows of that change
pair()
{
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(sum(c["flows"] for c in d["changes"] if c["from"] == sys.argv[2] and c["to"] == sys.argv[3]))' \
		"$TMP/diff.json" "$1" "$2"
}

gen0=$(ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["generation"])' 2>/dev/null)
if ctl dut -j diff "$TMP/new.conf" >"$TMP/diff.json" 2>"$TMP/diff.err"; then
	ok "diff runs"
else
	not_ok "diff runs: $(cat "$TMP/diff.err")"
fi
expect_eq "diff: 4 flows would change" "$(field changed)" 4
expect_eq "diff: 1 of them would be dropped" "$(field dropped)" 1
expect_eq "diff: bulk -> voice: 3 flows" "$(pair bulk voice)" 3
expect_eq "diff: voice -> drop: 1 flow" "$(pair voice drop)" 1
expect_eq "diff: no other change" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["changes"]))' "$TMP/diff.json")" 2
check "diff: at least the 14 test flows are active ($(field flows))" \
	bash -c "[[ $(field flows) -ge 14 ]]"
ctl dut diff "$TMP/new.conf" >"$TMP/diff.txt" 2>&1
check "diff: the text says 'would change: 4'" grep -q "^would change: *4" "$TMP/diff.txt"
check "diff: the text has the row bulk -> voice" grep -q -E "^ *bulk +voice +3" "$TMP/diff.txt"
sed 's/^/#   /' "$TMP/diff.txt"
ctl dut -v -j diff "$TMP/new.conf" 2>/dev/null >"$TMP/moved.json"
moved=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%d>%s" % (m["iif"], m["sport"], m["to"]) for m in d["moved_flows"])))' "$TMP/moved.json")
expect_eq "diff -v: the moved flows, each once" "$moved" \
	"d0:30000>voice d0:30001>voice d0:30002>voice d0:31000>drop"
ctl dut -v diff "$TMP/new.conf" 2>/dev/null >"$TMP/moved.txt"
check "diff -v text: udp 198.18.21.1:30001 -> 198.18.21.2:9000 bulk -> voice" \
	grep -q -E "^ *d0 +- +udp 198.18.21.1:30001 -> 198.18.21.2:9000 +bulk +voice" "$TMP/moved.txt"

# the same policy again: nothing changes
ctl dut -j diff "$TMP/same.conf" >"$TMP/diff.json"
expect_eq "diff against the running policy: 0 changes" "$(field changed)" 0

# the same classes and rules, but bulk's mark and priority changed: every
# bulk flow changes for what matches on them (ip rule fwmark, nftables,
# qdiscs), though its class keeps its name
sed 's/name = "bulk"; mark = 0x300; priority = "1:30";/name = "bulk"; mark = 0x500; priority = "1:50";/' \
	"$TMP/policy.conf" >"$TMP/remark.conf"
ctl dut -j diff "$TMP/remark.conf" >"$TMP/diff.json"
expect_eq "diff: bulk's mark changed: its 10 flows change" "$(pair bulk bulk)" 10
expect_eq "diff: ... and nothing else" "$(field changed)" 10
expect_eq "diff: the change says what of the tag changes" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["changes"][0]["tag_change"])' "$TMP/diff.json")" \
	"mark 0x300, priority 1:30 -> mark 0x500, priority 1:50"
ctl dut diff "$TMP/remark.conf" >"$TMP/diff.txt"
check "diff text: the row bulk -> bulk with the tag change" \
	grep -q -E "^ *bulk +bulk +10 +mark 0x300, priority 1:30 -> mark 0x500, priority 1:50" "$TMP/diff.txt"

# diff changed nothing: the running policy still classifies as before
in_ns dut nft -f - <<'NFT'
table inet ft {
  chain in {
    type filter hook input priority 0;
    udp dport 9000 meta mark & 0xff00 == 0x300 counter comment "bulk"
  }
}
NFT
send gen -d 198.18.21.2 -p 9000 -f 10 -s 30000 -n 10
sleep 0.3
expect_eq "after diff the flows are still bulk" "$(nft_count dut inet ft bulk)" 10
gen1=$(ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["generation"])' 2>/dev/null)
expect_eq "diff did not reload (generation unchanged)" "$gen1" "$gen0"

# a NEW.conf whose own test fails is refused, with the test's FILE:LINE
{ cat "$TMP/new.conf"; echo 'tests = ( { packet = "proto udp src 198.18.21.1 sport 30000 dport 9000"; expect = "bulk"; } );'; } \
	>"$TMP/bad.conf"
line=$(wc -l <"$TMP/bad.conf")
ctl dut diff "$TMP/bad.conf" >"$TMP/bad.out" 2>&1
expect_eq "diff of a policy whose test fails: exit 1" "$?" 1
check "... with the test's FILE:LINE" grep -q "bad.conf:$line: error: test failed" "$TMP/bad.out"

# after a reload the cached verdicts are stale: not counted
cp "$TMP/same.conf" "$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/flowtagd.log" "generation 2," 10
ctl dut -j diff "$TMP/new.conf" >"$TMP/diff.json"
expect_eq "after a reload: the earlier generation's entries are not counted" "$(field changed)" 0
check "... but reported as stale ($(field stale_entries))" bash -c "[[ $(field stale_entries) -ge 14 ]]"
send gen -d 198.18.21.2 -p 9000 -f 10 -s 30000 -n 10
ctl dut -j diff "$TMP/new.conf" >"$TMP/diff.json"
expect_eq "traffic again: the 3 moved 9000 flows count again" "$(pair bulk voice)" 3

# a running policy that drops 198.18.21.1 with the drop pre-filter: its
# flows enter no cache, so diff cannot preview that same.conf lets them
# pass again, and it says so instead of a silent 0
{ sed '/^rules = (/q' "$TMP/same.conf"
  echo '  { match = { src = "198.18.21.1/32"; }; action = "drop"; },'
  sed '1,/^rules = (/d' "$TMP/same.conf"; } >"$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/flowtagd.log" "generation 3," 10
check "the log says what the pre-filter decides and how big the prefix tables are" \
	wait_log "$TMP/flowtagd.log" \
	"IPv4 prefix tables: src 0.2[0-9] MiB, dst 0.25 MiB (chunks at most 128 MiB each); drop pre-filter: 1 leading rule(s)" 5
send gen -d 198.18.21.2 -p 9000 -f 10 -s 30000 -n 10
ctl dut -j diff "$TMP/same.conf" >"$TMP/diff.json"
expect_eq "pre-filtered flows are not in the cache: 0 changes" "$(field changed)" 0
check "... and diff warns that the pre-filter's drops cannot be listed" \
	python3 -c 'import json,sys
w = json.load(open(sys.argv[1])).get("warnings", [])
sys.exit(0 if any("first 1 rule(s) are a drop pre-filter" in x for x in w) else 1)' "$TMP/diff.json"
ctl dut diff "$TMP/same.conf" >"$TMP/diff.txt" 2>&1
check "... in the text output too" grep -q "drop pre-filter" "$TMP/diff.txt"

# status: the flow cache as the programs run it
cache_state()
{
	ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["flow_cache"])'
}
expect_eq "status: flow cache on" "$(cache_state)" True

# the default, "auto": this small policy gets no flow cache
grep -v '^flow_cache' "$TMP/same.conf" >"$TMP/policy.conf"
kill -HUP "$DAEMON_PID"
wait_log "$TMP/flowtagd.log" "generation 4," 10
check "the log says the policy runs without a flow cache, and why" \
	wait_log "$TMP/flowtagd.log" "flow cache: off (flow_cache \"auto\": no dynamic set or IPv6 prefix, the search visits at most 1 bitmap word: [0-9.]* \\(bytes\\|KiB\\) of tables)" 5
expect_eq "status: flow cache off" "$(cache_state)" False
expect_eq "status: the small policy runs the one-word search" \
	"$(ctl dut -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["search"])')" one-word
before=$(ctl dut -j status | python3 -c 'import json,sys; c = json.load(sys.stdin)["counters"]; print(c["uncached"], c["cache_hits"] + c["cache_misses"])')
send gen -d 198.18.21.2 -p 9000 -f 10 -s 30000 -n 10
sleep 0.3
expect_eq "without a flow cache the 9000 flows are still bulk" "$(nft_count dut inet ft bulk)" 30
after=$(ctl dut -j status | python3 -c 'import json,sys; c = json.load(sys.stdin)["counters"]; print(c["uncached"], c["cache_hits"] + c["cache_misses"])')
read -r unc0 cache0 <<<"$before"
read -r unc1 cache1 <<<"$after"
check "status counts them uncached ($unc0 -> $unc1), none a cache hit or miss ($cache0 -> $cache1)" \
	bash -c "(( $unc1 - $unc0 >= 10 && $cache1 == $cache0 ))"
ctl dut diff "$TMP/new.conf" >"$TMP/nocache.out" 2>&1
expect_eq "diff with no flow cache running: exit 1" "$?" 1
check "... saying there are no flows to compare" grep -q "keeps no flow cache.*no flows to compare" "$TMP/nocache.out"
ctl dut -j diff "$TMP/new.conf" >"$TMP/nocache.json" 2>/dev/null
expect_eq "... and with -j one JSON object: the error and exit code 1, no preview" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["exit_code"], "no flows to compare" in d["error"], "changes" in d)' "$TMP/nocache.json")" \
	"1 True False"

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "nothing left" nothing_left dut d0
finish
