#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Runs every test binary and script. Each speaks TAP ("ok ..." / "not ok
# ..."); a test that dies without saying "not ok" counts as one failure. A
# check that could not run says "ok N - NAME # SKIP why" and counts as
# skipped, not passed; a program that exits 77 without a verdict is skipped
# whole. Skipped checks are named before the last line, which is
# "N passed, N failed, N skipped"; the exit status is 0 only when nothing
# failed. Each test's wall time follows its verdicts, the slowest are listed
# at the end.
#
#   tests/run.sh [PATTERN]    only tests whose path contains PATTERN
#
#   FT_TEST_JOBS=N   run the integration tests N at a time (default 1), but
#                    those on the SERIAL list below always alone: they
#                    measure a rate, a latency or a time window. A new test
#                    that does goes on that list.
#   FT_KERNEL_ONLY=1 leave out the programs that test userspace code only
#                    (unit tests, fuzz smoke run): the same on every kernel.
#                    They are named, and counted at the end of the last line
#                    (make check-kernel, after make check on the host).

BUILD=${BUILD:-build}
FILTER=${1:-}
TIMEOUT=${FT_TEST_TIMEOUT:-900}
JOBS=${FT_TEST_JOBS:-1}
KERNEL_ONLY=${FT_KERNEL_ONLY:-0}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "FT_TEST_JOBS=$JOBS: want a number of tests, 1 or more"; exit 2; }
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export FT_BUILD=$BUILD

pass=0
fail=0
skip=0
failed_names=()
skipped_names=()
times=()
t_start=$EPOCHREALTIME
RUN_DIR=$(mktemp -d /tmp/flowtag-run.XXXXXX)
SRC_COPY=
trap 'rm -rf "$RUN_DIR" $SRC_COPY' EXIT

# secs_since T0: wall seconds since the $EPOCHREALTIME value T0, one decimal
secs_since()
{
	local now=$EPOCHREALTIME
	local ms=$(( (${now/./} - ${1/./}) / 1000 ))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# run_test DIR NAME COMMAND...: runs one test, its output in DIR/out, then
# its wall time and exit status in DIR/done (written last)
run_test()
{
	local dir=$1 t0=$EPOCHREALTIME rc
	shift 2
	timeout --kill-after=10 "$TIMEOUT" "$@" >"$dir/out" 2>&1 </dev/null
	rc=$?
	echo "$(secs_since "$t0") $rc" >"$dir/done.tmp" && mv "$dir/done.tmp" "$dir/done"
}

# report NAME DIR [NOTE]: shows a finished test's verdicts and counts them
report()
{
	local name=$1 dir=$2 note=${3:-} out rc p f sk line secs
	out=$(cat "$dir/out")
	read -r secs rc <"$dir/done"
	times+=("$secs $name")
	printf '== %s\n' "$name"
	# show the verdict lines and diagnostics, not cmocka's plan noise
	printf '%s\n' "$out" | grep -v -E '^(1\.\.[0-9]+|# ok)$' | sed 's/^/   /'
	printf '   (%s s%s)\n' "$secs" "$note"
	p=$(printf '%s\n' "$out" | grep -c -E '^ok ')
	f=$(printf '%s\n' "$out" | grep -c -E '^not ok ')
	sk=$(printf '%s\n' "$out" | grep -c -E '^ok .*# *SKIP')
	if [[ $rc -eq 77 && $p -eq 0 && $f -eq 0 ]]; then
		skip=$((skip + 1))
		line=$(printf '%s\n' "$out" | grep -m1 '^#' | sed 's/^# *//')
		skipped_names+=("$name (whole program: ${line:-exit 77})")
		printf '   (skipped: %s)\n' "${line:-exit 77}"
		return
	fi
	if [[ $sk -gt 0 ]]; then
		p=$((p - sk))
		skip=$((skip + sk))
		while IFS= read -r line; do
			skipped_names+=("$name: $line")
		done < <(printf '%s\n' "$out" | grep -E '^ok .*# *SKIP' | sed -E 's/^ok [0-9]* *-? *//')
	fi
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		f=1
		printf '   not ok - %s exited with status %d\n' "$name" "$rc"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	[[ $f -gt 0 ]] && failed_names+=("$name")
}

# run_one NAME COMMAND...: runs a test alone and reports it
run_one()
{
	local name=$1 dir=$RUN_DIR/$1
	mkdir -p "$dir"
	run_test "$dir" "$@"
	report "$name" "$dir"
}

# run_jobs NAME...: the integration tests NAME (tests/integration/NAME),
# JOBS at a time; each is reported, in the order given, once it and those
# before it are done
run_jobs()
{
	local names=("$@") next=0 shown=0 running n
	while [[ $shown -lt ${#names[@]} ]]; do
		running=0
		for ((n = shown; n < next; n++)); do
			[[ -e $RUN_DIR/${names[n]}/done ]] || running=$((running + 1))
		done
		if [[ $next -lt ${#names[@]} && $running -lt $JOBS ]]; then
			mkdir -p "$RUN_DIR/${names[next]}"
			run_test "$RUN_DIR/${names[next]}" "${names[next]}" \
				bash "tests/integration/${names[next]}" &
			next=$((next + 1))
			continue
		fi
		if [[ -e $RUN_DIR/${names[shown]}/done ]]; then
			report "${names[shown]}" "$RUN_DIR/${names[shown]}" ", $JOBS at a time"
			shown=$((shown + 1))
			continue
		fi
		wait -n 2>/dev/null || sleep 0.2
	done
	wait
}

if [[ $(id -u) -ne 0 ]]; then
	echo "warning: not root: BPF and integration tests will fail (use sudo make check)"
fi

# A checkout owned by a user (cloned, then `sudo make check`) is a tree
# flowtagd does not trust policy files from (flowtag.conf(5), "FILE
# PERMISSIONS"). The tests that read shipped files then read a root-owned
# copy of them, so the permission checks stay on.
if [[ -x $BUILD/flowtagd ]] &&
	"$BUILD/flowtagd" --check -c etc/flowtag.conf 2>&1 | grep -q "refusing"; then
	FLOWTAG_SRCDIR=$(mktemp -d /tmp/flowtag-src.XXXXXX)
	SRC_COPY=$FLOWTAG_SRCDIR
	mkdir -p "$FLOWTAG_SRCDIR/tests"
	cp -r tests/data "$FLOWTAG_SRCDIR/tests/" && cp -r etc README.md "$FLOWTAG_SRCDIR/" &&
		chown -R 0:0 "$FLOWTAG_SRCDIR" && chmod -R go-w "$FLOWTAG_SRCDIR"
	export FLOWTAG_SRCDIR
	echo "note: this checkout is not owned by root: the tests read the shipped policies from a root-owned copy ($FLOWTAG_SRCDIR)"
fi

# userspace only: unit tests (tests/unit) and the fuzz targets' smoke run
# test the same code on any kernel; FT_KERNEL_ONLY=1 (make check-kernel)
# leaves them out and names them
kernel_independent()
{
	[[ -e tests/unit/$1.c || -e tests/fuzz/$1 ]]
}
left_out=()

for t in "$BUILD"/tests/test_* tests/fuzz/test_*.sh; do
	[[ -x $t || $t == *.sh && -e $t ]] || continue
	name=$(basename "$t")
	[[ -n $FILTER && $name != *"$FILTER"* ]] && continue
	if [[ $KERNEL_ONLY == 1 ]] && kernel_independent "$name"; then
		left_out+=("$name")
		continue
	fi
	if [[ $t == *.sh ]]; then run_one "$name" bash "$t"; else run_one "$name" "$t"; fi
done
if [[ ${#left_out[@]} -gt 0 ]]; then
	echo "-- left out (FT_KERNEL_ONLY=1): ${#left_out[@]} kernel-independent programs, make check runs them: ${left_out[*]}"
fi

# Integration tests, JOBS at a time; those that measure rates, latencies or
# a time window (shaped throughput, "tagged again 1 s later", packets per
# second while the daemon is dead) always run alone
SERIAL=(test_shaping.sh test_ingress_shaping.sh test_netfilter.sh test_routing.sh
	test_hotplug.sh test_repair.sh test_restart.sh test_reload.sh test_confirm.sh test_sets.sh
	test_dynsets_multi.sh test_reload_concurrent.sh)
serial()
{
	local s
	for s in "${SERIAL[@]}"; do [[ $s == "$1" ]] && return 0; done
	return 1
}
# The longest of the others start first when JOBS > 1, so that the job
# slots run out together instead of one long test running alone at the
# end (in the 6.1 guest test_parse_paths takes about 100 s, most others
# 10-45 s).
LONG=(test_parse_paths.sh test_flow_cache.sh)
first=()
[[ $JOBS -gt 1 ]] && first=("${LONG[@]/#/tests/integration/}")
together=()
alone=()
for t in "${first[@]}" tests/integration/test_*.sh; do
	[[ -e $t ]] || continue
	name=$(basename "$t")
	[[ -n $FILTER && $name != *"$FILTER"* ]] && continue
	[[ " ${together[*]} ${alone[*]} " == *" $name "* ]] && continue
	if [[ $JOBS -gt 1 ]] && ! serial "$name"; then
		together+=("$name")
	else
		alone+=("$name")
	fi
done
if [[ ${#together[@]} -gt 1 ]]; then
	echo "-- $JOBS at a time (FT_TEST_JOBS=$JOBS): ${together[*]}"
	run_jobs "${together[@]}"
else
	alone=("${together[@]}" "${alone[@]}")
fi
[[ $JOBS -gt 1 && ${#alone[@]} -gt 0 ]] && echo "-- one at a time (timing-sensitive): ${alone[*]}"
for name in "${alone[@]}"; do
	run_one "$name" bash "tests/integration/$name"
done

echo
if [[ ${#times[@]} -gt 0 ]]; then
	echo "wall time: $(secs_since "$t_start") s; slowest:"
	printf '%s\n' "${times[@]}" | sort -rn | head -n 8 | awk '{ printf "  %7.1f s  %s\n", $1, $2 }'
fi
[[ ${#failed_names[@]} -gt 0 ]] && echo "failing: ${failed_names[*]}"
if [[ ${#skipped_names[@]} -gt 0 ]]; then
	echo "skipped:"
	printf '  %s\n' "${skipped_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped${left_out[0]:+, ${#left_out[@]} kernel-independent programs left out}"
[[ $fail -eq 0 ]]
