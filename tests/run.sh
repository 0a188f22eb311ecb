#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Runs every test binary and script. Each speaks TAP ("ok ..." / "not ok
# ..."); a test that dies without saying "not ok" counts as one failure. A
# check that could not run says "ok N - NAME # SKIP why" and counts as
# skipped, not passed; a program that exits 77 without a verdict is skipped
# whole. Skipped checks are named before the last line, which is
# "N passed, N failed, N skipped"; the exit status is 0 only when nothing
# failed.
#
#   tests/run.sh [PATTERN]    only tests whose path contains PATTERN

BUILD=${BUILD:-build}
FILTER=${1:-}
TIMEOUT=${FT_TEST_TIMEOUT:-900}
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export FT_BUILD=$BUILD

pass=0
fail=0
skip=0
failed_names=()
skipped_names=()

run_one() {
	local name=$1; shift
	local out rc p f sk line
	[[ -n $FILTER && $name != *"$FILTER"* ]] && return
	printf '== %s\n' "$name"
	out=$(timeout --kill-after=10 "$TIMEOUT" "$@" 2>&1)
	rc=$?
	# show the verdict lines and diagnostics, not cmocka's plan noise
	printf '%s\n' "$out" | grep -v -E '^(1\.\.[0-9]+|# ok)$' | sed 's/^/   /'
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
	trap 'rm -rf "$FLOWTAG_SRCDIR"' EXIT
	mkdir -p "$FLOWTAG_SRCDIR/tests"
	cp -r tests/data "$FLOWTAG_SRCDIR/tests/" && cp -r etc README.md "$FLOWTAG_SRCDIR/" &&
		chown -R 0:0 "$FLOWTAG_SRCDIR" && chmod -R go-w "$FLOWTAG_SRCDIR"
	export FLOWTAG_SRCDIR
	echo "note: this checkout is not owned by root: the tests read the shipped policies from a root-owned copy ($FLOWTAG_SRCDIR)"
fi

for t in "$BUILD"/tests/test_*; do
	[[ -x $t ]] || continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/fuzz/test_*.sh tests/integration/test_*.sh; do
	[[ -e $t ]] || continue
	run_one "$(basename "$t")" bash "$t"
done

echo
[[ ${#failed_names[@]} -gt 0 ]] && echo "failing: ${failed_names[*]}"
if [[ ${#skipped_names[@]} -gt 0 ]]; then
	echo "skipped:"
	printf '  %s\n' "${skipped_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[[ $fail -eq 0 ]]
