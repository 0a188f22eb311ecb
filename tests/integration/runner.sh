# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# The integration test runner (model: xdp-tools lib/testing/test_runner.sh).
# A test file is a list of small functions; the runner owns what is around
# them: the root/namespace check and its skip code, a fresh set of
# namespaces, pins, processes and temporary files for every function, and
# their removal afterwards, also when the function fails or dies.
#
#   . "$(dirname "$0")/runner.sh"
#
#   # optional: run before every test function, inside its sandbox
#   setup() { gen_dut 198.18.10 && voice_policy; }
#
#   test_classifies() { ...; expect_eq "it classifies" "$got" 10; }
#   test_refuses_second() { ...; check "refused" grep -q ... "$TMP/log"; }
#
#   run_tests "$@"
#
# run_tests runs every function whose name starts with test_, in the order
# the file defines them (or only those named on the command line), each in
# a subshell of its own with lib.sh's helpers (ns_add, veth, gen_dut,
# daemon_start, ctl, send, check, expect_eq, ...): its namespaces are
# ft<subshell pid>-NAME, its pins /sys/fs/bpf/ft-test-<subshell pid>, its
# files in a fresh $TMP, and lib.sh's cleanup trap removes them when it
# returns. Nothing is shared between two functions but what the file sets
# at its top level.
#
# Output stays TAP for tests/run.sh (which prints the summary line
# "N passed, N failed, N skipped"): each check is one "ok"/"not ok" line,
# numbered across the functions; after each function a "# test_NAME: ..."
# line says how it went. A function that fails without a failed check
# (setup failed, a command died) adds one "not ok - test_NAME ..." line. A
# function that cannot run here calls `skip_test WHY` before its first
# check: that is one "ok N - test_NAME # SKIP WHY" line. When the machine
# lacks root or network namespaces, the whole file exits 77 (skipped).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# skip_test WHY: end the current test function as skipped
skip_test()
{
	echo "# $*" >"$RUNNER_DIR/skip"
	exit 77
}

# The test functions of the file, in the order it defines them.
runner_discover()
{
	sed -n 's/^\(test_[A-Za-z0-9_]*\)[[:space:]]*().*/\1/p' "$0"
}

# runner_one FUNC: FUNC in a sandbox of its own; the TAP number of its last
# check and its failed checks in $RUNNER_DIR/n, its exit status the verdict
runner_one()
{
	(
		NSP=ft$BASHPID
		PIN=/sys/fs/bpf/ft-test-$BASHPID
		TMP=$(mktemp -d /tmp/flowtag-test.XXXXXX)
		T_FAIL=0
		T_NS=()
		T_PIDS=()
		trap 'echo "$T_N $T_FAIL" >"$RUNNER_DIR/n"; cleanup' EXIT
		trap 'exit 130' INT TERM
		if declare -F setup >/dev/null && ! setup; then
			diag "$1: setup failed"
			exit 1
		fi
		"$1"
		[[ $T_FAIL -eq 0 ]]
	)
}

# run_tests [FUNC...]: the runner; exits with the file's verdict
run_tests()
{
	local fn rc n0 nfail failed=0 fns=("$@")

	need_root
	RUNNER_DIR=$(mktemp -d /tmp/flowtag-runner.XXXXXX)
	trap 'cleanup; rm -rf "$RUNNER_DIR"' EXIT
	[[ ${#fns[@]} -gt 0 ]] || mapfile -t fns < <(runner_discover)
	if [[ ${#fns[@]} -eq 0 ]]; then
		not_ok "$0: no test_ functions"
		exit 1
	fi
	for fn in "${fns[@]}"; do
		if ! declare -F "$fn" >/dev/null; then
			not_ok "$fn: no such test function"
			failed=$((failed + 1))
			continue
		fi
		rm -f "$RUNNER_DIR/skip"
		echo "$T_N 0" >"$RUNNER_DIR/n"
		n0=$T_N
		runner_one "$fn"
		rc=$?
		read -r T_N nfail <"$RUNNER_DIR/n"
		if [[ $rc -eq 77 && -e $RUNNER_DIR/skip ]]; then
			skip "$fn" "$(sed 's/^# //' "$RUNNER_DIR/skip")"
		elif [[ $rc -ne 0 ]]; then
			failed=$((failed + 1))
			# a failed check said so already; anything else says it here
			[[ $nfail -gt 0 ]] || not_ok "$fn exited with status $rc"
			diag "$fn: FAIL"
		else
			diag "$fn: pass ($((T_N - n0)) checks)"
		fi
	done
	[[ $failed -eq 0 ]]
	exit $?
}
