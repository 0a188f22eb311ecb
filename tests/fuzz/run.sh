#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# tests/fuzz/run.sh SECONDS FUZZER...: run each libFuzzer target SECONDS
# seconds on all CPUs but one (-fork), starting from tests/fuzz/corpus/NAME
# and the inputs earlier runs kept in build/fuzz/corpus-NAME, with the
# dictionary tests/fuzz/NAME.dict. Prints one line per target: executions,
# crashes, and the edges the final corpus covers out of all instrumented
# ones; crashing inputs land in build/fuzz/artifacts/. Exits 1 when any
# target crashed.
#
#   FUZZ_JOBS=N   parallel fuzzing processes per target (default: CPUs - 1)

set -u
BUILD=${BUILD:-build}
secs=$1
shift
cpus=$(nproc 2>/dev/null || echo 2)
jobs=${FUZZ_JOBS:-$((cpus > 1 ? cpus - 1 : 1))}
mkdir -p "$BUILD/fuzz/artifacts"
status=0
summary=()

for bin in "$@"; do
	name=$(basename "$bin")
	short=${name#fuzz_}
	work=$BUILD/fuzz/corpus-$short
	log=$BUILD/fuzz/$name.log
	mkdir -p "$work"
	dict=()
	[[ -f tests/fuzz/$short.dict ]] && dict=(-dict="tests/fuzz/$short.dict")
	echo "== $name: $secs s, $jobs job(s), log $log"
	# -fork: crashes do not stop the run; -ignore_crashes keeps going, and
	# every crash is still written to the artifacts directory and counted
	"$bin" -max_total_time="$secs" -fork="$jobs" -ignore_crashes=1 -ignore_ooms=0 \
		-ignore_timeouts=0 -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-artifact_prefix="$BUILD/fuzz/artifacts/$short-" "${dict[@]}" \
		"$work" "tests/fuzz/corpus/$short" >"$log" 2>&1
	rc=$?
	# fork mode prints "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: O/T/X time: Ss job: J"
	last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
	execs=$(sed -n 's/.*stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	[[ -z $execs ]] && execs=$(grep -oE '^#[0-9]+' <<<"$last" | tr -d '#')
	cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}')
	ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}')
	crashes=$(grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' <<<"$last" | cut -d' ' -f2)
	crashes=${crashes:-?}
	# the coverage the whole corpus reaches, counted once, in one process
	replay=$("$bin" -runs=0 "$work" "tests/fuzz/corpus/$short" 2>&1)
	pcs=$(sed -n 's/.*PC tables (\([0-9]*\) PCs).*/\1/p' <<<"$replay" | head -n 1)
	inited=$(grep -E 'INITED|DONE' <<<"$replay" | tail -n 1)
	ccov=$(grep -oE 'cov: [0-9]+' <<<"$inited" | awk '{print $2}')
	line="$name: ${execs:-?} executions, crashes (oom/timeout/crash) ${crashes}, corpus $(ls "$work" | wc -l) inputs covering ${ccov:-?} of ${pcs:-?} instrumented edges (fork-mode cov ${cov:-?}, ft ${ft:-?})"
	echo "$line"
	summary+=("$line")
	if [[ $rc -ne 0 || $crashes != 0/0/0 ]]; then
		status=1
		grep -E 'ERROR|fuzz invariant|SUMMARY' "$log" | head -n 20
	fi
done
echo
printf '%s\n' "${summary[@]}"
exit $status
