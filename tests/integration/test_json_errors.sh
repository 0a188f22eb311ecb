#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtagctl -j prints one JSON object on stdout whatever happens, as
# flowtagctl(8) says: a command that fails before it has a result (no
# daemon, nothing to confirm, a usage error, ...) prints {"error": ...,
# "exit_code": N} with the exit code it exits with; a result that is a
# failure (check, reload) carries the same two keys; every document has
# "exit_code".
#
#   gen (g0 198.18.45.1) ---- (d0 198.18.45.2) dut

. "$(dirname "$0")/runner.sh"

setup()
{
	gen_dut 198.18.45 && voice_policy && printf 'rules = ( garbage\n' >"$TMP/bad.conf"
}

# json_case NAME WANT_RC ERROR_PATTERN ARGS...: flowtagctl -j ARGS in dut
# exits WANT_RC and prints exactly one JSON object whose exit_code is that
# exit code and whose "error" matches ERROR_PATTERN (a Python regular
# expression; "-": there must be no "error")
json_case()
{
	local name=$1 want=$2 pat=$3 rc r
	shift 3
	ctl dut -j "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	r=$(python3 - "$TMP/out" "$rc" "$pat" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
rc, pat = int(sys.argv[2]), sys.argv[3]
try:
    d = json.loads(text)		# one document, nothing else around it
except ValueError as e:
    print("not one JSON object (%s): %r" % (e, text[:200]))
    sys.exit()
if not isinstance(d, dict):
    print("not an object: %r" % text[:200])
elif d.get("exit_code") != rc:
    print("exit_code %r, but it exits %d" % (d.get("exit_code"), rc))
elif pat == "-":
    print("ok" if "error" not in d else "an error on success: %r" % d["error"])
elif not isinstance(d.get("error"), str) or not re.search(pat, d["error"]):
    print("error %r does not match %r" % (d.get("error"), pat))
else:
    print("ok")
PY
)
	expect_eq "$name: exit $want" "$rc" "$want"
	expect_eq "$name: one JSON object, exit_code $rc, $([[ $pat == - ]] && echo 'no error' ||
		echo 'the error')" "$r" ok
	[[ $r == ok ]] || sed 's/^/#   stderr: /' "$TMP/err"
}

# No flowtagd: status (exit 2), stats, reload, confirm and rollback say so
# in JSON; check of a bad file and a usage error too
test_no_daemon()
{
	json_case "status without a daemon" 2 "not running" status
	json_case "stats without a daemon" 1 "not running" stats
	json_case "reload without a daemon" 1 "no daemon running" reload
	json_case "confirm without a daemon" 1 "no flowtagd with a control socket" confirm
	json_case "rollback without a daemon" 1 "no flowtagd with a control socket" rollback
	json_case "check of a bad file" 1 "bad.conf:[0-9]+: error: " check "$TMP/bad.conf"
	json_case "a usage error" 2 "reload takes no arguments" reload extra
	json_case "an unknown option after -j" 2 "unknown option '--bogus'" --bogus status
	json_case "check of a good file" 0 - check "$TMP/policy.conf"
}

# With flowtagd: confirm with nothing pending, rollback without a previous
# generation, diff of a bad file, a rejected reload; status ok has no error
test_with_daemon()
{
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; return; }
	json_case "status" 0 - status
	json_case "confirm with nothing pending" 1 "nothing to confirm" confirm
	json_case "rollback without a previous generation" 1 "no previous generation" rollback
	json_case "diff of a bad file" 1 "bad.conf" diff "$TMP/bad.conf"
	cp "$TMP/bad.conf" "$TMP/policy.conf"
	json_case "reload of a bad file" 1 "^reload rejected: .*bad|policy.conf:[0-9]+: error: " reload
	check "... and its result is still there" \
		grep -q '"result":"rejected"' "$TMP/out"
	voice_policy
	json_case "reload of a good file" 0 - reload
}

run_tests "$@"
