#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# A tcx program attached after flowtagd started (kernel 6.6+) runs before
# every clsact filter; one that returns a verdict keeps flowtag's tc
# program from ever running. flowtagctl status must say degraded, name the
# program, and exit 1. Skipped on kernels without tcx.
#
#   gen (g0 198.18.8.1) ---- (d0 198.18.8.2) dut

. "$(dirname "$0")/runner.sh"
FTTCX=$FT_BUILD/tests/fttcx
FOREIGN=$FT_BUILD/tests/foreign.bpf.o

setup()
{
	gen_dut 198.18.8 && voice_policy
}

test_tcx_in_front()
{
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
	ctl dut status >/dev/null 2>&1
	before=$?

	nsenter --net=/run/netns/"$(ns dut)" "$FTTCX" "$FOREIGN" other_tcx d0 60 >"$TMP/tcx.out" 2>&1 &
	TCX=$!
	T_PIDS+=("$TCX")
	for _ in $(seq 50); do
		grep -q attached "$TMP/tcx.out" && break
		kill -0 "$TCX" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q attached "$TMP/tcx.out"; then
		wait "$TCX"
		if [[ $? -eq 77 ]]; then
			skip_test "this kernel has no tcx: $(cat "$TMP/tcx.out")"
		fi
		not_ok "attach a tcx program: $(cat "$TMP/tcx.out")"
		finish
	fi

	# (said only now: a test that skips must not have said "ok" before)
	expect_eq "before: status exit 0" "$before" 0
	ctl dut status >"$TMP/st" 2>&1
	expect_eq "tcx in front: status exit 1" "$?" 1
	check "status: degraded" grep -q "^state: *degraded" "$TMP/st"
	check "status names the tcx program" grep -q 'd0: tcx program "other_tcx" (id [0-9]*) runs on ingress' \
		"$TMP/st"
	st=$(ctl dut status -j 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d["interfaces"][0]["tcx"], len(d["reasons"]))')
	expect_eq "JSON: state, tcx program, one reason" "$st" "degraded other_tcx #$(ip netns exec "$(ns dut)" bpftool prog show name other_tcx | sed -n 's/^\([0-9]*\):.*/\1/p') 1"
	check "flowtagd's own check names it too (within its 5 s period)" \
		wait_log "$TMP/flowtagd.log" 'd0: tcx program "other_tcx"' 7

	kill "$TCX"
	wait "$TCX"
	ctl dut status >/dev/null 2>&1
	expect_eq "tcx program gone: status exit 0" "$?" 0

	daemon_stop "$DAEMON_PID"
	expect_eq "SIGTERM: exit status 0" "$?" 0
	check "nothing left" nothing_left dut d0
}

run_tests "$@"
