#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# make check's short fuzzing: each libFuzzer target runs its whole seed
# corpus (tests/fuzz/corpus/NAME) once, then FUZZ_SMOKE_SECONDS (default 5)
# of fresh mutations. TAP: one "ok" per target and step. `make fuzz` is the
# long run.

set -u
BUILD=${FT_BUILD:-${BUILD:-build}}
SECS=${FUZZ_SMOKE_SECONDS:-5}
n=0
out=$(mktemp -d /tmp/flowtag-fuzz.XXXXXX)
trap 'rm -rf "$out"' EXIT

result()	# NAME RC LOG
{
	n=$((n + 1))
	if [[ $2 -eq 0 ]]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (exit $2)"
		grep -E 'ERROR|fuzz invariant|SUMMARY|Test unit written' "$3" | head -n 10 | sed 's/^/# /'
	fi
}

for short in policy setfile packet; do
	bin=$BUILD/fuzz/fuzz_$short
	if [[ ! -x $bin ]]; then
		n=$((n + 1))
		echo "not ok $n - $bin not built (make tests)"
		continue
	fi
	dict=()
	[[ -f tests/fuzz/$short.dict ]] && dict=(-dict="tests/fuzz/$short.dict")
	seeds=$(ls "tests/fuzz/corpus/$short" | wc -l)
	"$bin" -runs=0 -artifact_prefix="$out/" "tests/fuzz/corpus/$short" >"$out/$short-seeds.log" 2>&1
	result "fuzz_$short: the $seeds seed inputs" $? "$out/$short-seeds.log"
	mkdir -p "$out/corpus-$short"
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-artifact_prefix="$out/" "${dict[@]}" "$out/corpus-$short" "tests/fuzz/corpus/$short" \
		>"$out/$short.log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$out/$short.log" | tail -n 1)
	echo "# fuzz_$short: ${stats:-no stats}"
	result "fuzz_$short: $SECS s of mutations, no crash" $rc "$out/$short.log"
done
