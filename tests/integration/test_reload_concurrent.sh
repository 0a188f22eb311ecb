#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtagctl reload reports the outcome of its own reload, one that read
# the policy file after the request, never another's: two operators
# reloading at once (one file good, the next one bad), and a reload while
# a SIGHUP (systemctl reload) is still being handled. The good policy
# carries a prefix set of 20000 entries, so its reload takes long enough
# for the other request to arrive while it runs.
#
#   gen (g0 198.18.44.1) ---- (d0 198.18.44.2) dut

. "$(dirname "$0")/runner.sh"

# the good policy (a prefix set to compile) and the bad one (empty: no
# interfaces), written beside the policy file; the policy file starts good
setup()
{
	gen_dut 198.18.44 || return 1
	for ((i = 0; i < 20000; i++)); do
		echo "10.$((i / 250)).$((i % 250)).0/24"
	done >"$TMP/big.txt"
	cat >"$TMP/good.conf" <<EOF
interfaces = ( { name = "d0"; } );
mark_mask = 0x0000ff00;
classes = ( { name = "voice"; mark = 0x100; priority = "1:10"; } );
prefix_sets = ( { name = "big"; file = "$TMP/big.txt"; } );
rules = (
  { match = { src = "@big"; }; class = "voice"; },
  { match = { proto = "udp"; dport = 5060; }; class = "voice"; }
);
EOF
	: >"$TMP/empty.conf"
	cp "$TMP/good.conf" "$TMP/policy.conf"
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log"
}

# put FILE: make FILE the policy file in one rename, as config management does
put()
{
	cp "$TMP/$1" "$TMP/.t" && mv "$TMP/.t" "$TMP/policy.conf"
}

# counts: "RELOADS FAILURES GENERATION" of status -j
counts()
{
	ctl dut -j status | python3 -c 'import json,sys
p = json.load(sys.stdin)["policy"]
print(p["reloads"], p["reload_failures"], p["generation"])'
}

# outcome FILE RC: "RESULT GENERATION_BEFORE GENERATION" of a reload -j
# answer, and its exit code
outcome()
{
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(d.get("result"), d.get("generation_before"), d.get("generation"), sys.argv[2])' "$1" "$2"
}

# consistent NAME OUT RC: the answer in OUT (exit code RC) is what the
# daemon's log says one of its reloads did: "reloaded" (exit 0) names a
# generation the good file became, "rejected" (exit 1) carries the empty
# file's error
consistent()
{
	local name=$1 res before gen rc
	read -r res before gen rc <<<"$(outcome "$2" "$3")"
	case $res in
	reloaded)
		expect_eq "$name: reloaded exits 0" "$rc" 0
		check "$name: the log says generation $gen was made, from the good file" \
			grep -q "policy $TMP/policy.conf active: generation $gen," "$TMP/flowtagd.log"
		;;
	rejected)
		expect_eq "$name: rejected exits 1" "$rc" 1
		check "$name: the reason is the empty file's" \
			grep -q "missing 'interfaces'" "$2"
		;;
	*)
		not_ok "$name: result '$res' (exit $rc): $(cat "$2")"
		;;
	esac
}

# Two operators: one reloads the good file, the other replaces it with the
# empty one 50 ms later and reloads too. The second reload read the empty
# file whatever happened first: it must say rejected, exit 1. The first
# says what its own reload did. (Before, the second printed the first's
# "reloaded: generation N -> N+1" and exited 0, in 4 runs of 4.)
test_two_clients()
{
	local r x n0 f0 g0 n1 f1 g1 a_res b_res rc_a rc_b nok nrej

	for r in 1 2 3; do
		read -r n0 f0 g0 <<<"$(counts)"
		put good.conf
		ctl dut -j reload >"$TMP/a.json" 2>"$TMP/a.err" &
		local a=$!
		sleep 0.05
		put empty.conf
		ctl dut -j reload >"$TMP/b.json" 2>"$TMP/b.err"
		rc_b=$?
		wait "$a"
		rc_a=$?
		read -r b_res _ _ _ <<<"$(outcome "$TMP/b.json" "$rc_b")"
		read -r a_res _ _ _ <<<"$(outcome "$TMP/a.json" "$rc_a")"
		diag "round $r: first $(outcome "$TMP/a.json" "$rc_a"), second $(outcome "$TMP/b.json" "$rc_b")"
		expect_eq "round $r: the reload after the empty file says rejected, exit 1" \
			"$b_res $rc_b" "rejected 1"
		check "round $r: ... with the empty file's error" grep -q "missing 'interfaces'" "$TMP/b.json"
		consistent "round $r: the first reload" "$TMP/a.json" "$rc_a"
		# what both said adds up to what the daemon counted
		nok=0
		nrej=0
		for x in "$a_res" "$b_res"; do
			[[ $x == reloaded ]] && nok=$((nok + 1))
			[[ $x == rejected ]] && nrej=$((nrej + 1))
		done
		read -r n1 f1 g1 <<<"$(counts)"
		expect_eq "round $r: successful reloads counted = those reported" "$((n1 - n0))" "$nok"
		expect_eq "round $r: rejected reloads counted = those reported" "$((f1 - f0))" "$nrej"
	done
	check "flowtagd still runs" kill -0 "$DAEMON_PID"
}

# A SIGHUP (systemctl reload) with the good file in flight, the empty file
# put in place 50 ms later and flowtagctl reload: its own reload read the
# empty file, so it says rejected, whatever the SIGHUP's reload did; and

# wait_log_count LOG PATTERN N TIMEOUT_S: until PATTERN is in LOG N times
wait_log_count()
{
	local t=$(( $4 * 20 ))
	for _ in $(seq "$t"); do
		[[ $(grep -c -- "$2" "$1") -ge $3 ]] && return 0
		sleep 0.05
	done
	return 1
}

# the SIGHUP still reloads.
test_sighup_in_flight()
{
	local res rc r n0 f0 g0 n1 f1 g1

	for r in 1 2 3; do
		read -r n0 f0 g0 <<<"$(counts)"
		put good.conf
		kill -HUP "$DAEMON_PID"
		# the SIGHUP's reload under way before the file changes (a
		# busy daemon may read the signal late; the control request
		# would then be served first)
		wait_log_count "$TMP/flowtagd.log" "SIGHUP: reloading" "$r" 10 ||
			diag "round $r: the SIGHUP's reload did not start within 10 s"
		put empty.conf
		ctl dut -j reload >"$TMP/c.json" 2>"$TMP/c.err"
		rc=$?
		read -r res _ _ _ <<<"$(outcome "$TMP/c.json" "$rc")"
		diag "round $r: $(outcome "$TMP/c.json" "$rc")"
		expect_eq "round $r: reload after the empty file, a SIGHUP in flight: rejected, exit 1" \
			"$res $rc" "rejected 1"
		read -r n1 f1 g1 <<<"$(counts)"
		expect_eq "round $r: two reloads happened (the SIGHUP's and flowtagctl's)" \
			"$((n1 + f1 - n0 - f0))" 2
	done
	check "the SIGHUPs were handled" \
		test "$(grep -c 'SIGHUP: reloading' "$TMP/flowtagd.log")" -eq 3
}

# The plain cases through the control socket: a good file reloads (exit 0,
# the generation in force after it), a bad one is refused with its reason
test_plain()
{
	local g0 out

	read -r _ _ g0 <<<"$(counts)"
	put good.conf
	out=$(ctl dut reload 2>&1)
	expect_eq "good file: exit 0" "$?" 0
	check "... reloaded: generation $g0 -> $((g0 + 1))" \
		grep -q "^reloaded: generation $g0 -> $((g0 + 1)), in force" <<<"$out"
	put empty.conf
	out=$(ctl dut reload 2>&1)
	expect_eq "empty file: exit 1" "$?" 1
	check "... rejected, generation $((g0 + 1)) unchanged" \
		grep -q "^reload rejected, the running policy (generation $((g0 + 1))) is unchanged" <<<"$out"
	check "... naming the error" \
		grep -q "reason: $TMP/policy.conf:1: error: missing 'interfaces'" <<<"$out"
}

run_tests "$@"
