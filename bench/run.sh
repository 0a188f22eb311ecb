#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# make bench: runs build/bench/flowtag_bench, writes bench/results.json and,
# when gnuplot is installed, bench/l0.svg (net ns/packet vs rules).
# Benchmarks are not tests: nothing here passes or fails on a number.
#
# What the layers measure (details and how to read them: bench/README.md):
#   L0  program cost. The production ft_xdp / ft_tc_ingress under
#       bpf_prog_test_run_opts, behind a bench-only wrapper that resets the
#       metadata and writes the next of >= 4096 flows into the packet,
#       against an empty program behind the same wrapper. Policies of 1 to
#       4096 rules and 100, 10^5 and 10^6-prefix sets; flow cache hit and
#       miss; a flood of new flows dropped by a prefix set, and established
#       flows amid it. The production counters prove every timed packet
#       took the success path.
#   goals  each goal of issue 11, measured in this run: met or not.
#   L1  stack path. Live frames (BPF_F_TEST_XDP_LIVE_FRAMES) "received" on a
#       veth in a namespace: XDP, tc ingress, netfilter prerouting, one
#       blackhole route. flowtag vs nftables (linear chain, set/vmap) vs an
#       iptables mangle MARK chain vs nothing.
#   L2  veth end to end with socket traffic. A UDP socket in a generator
#       namespace sends with sendmmsg over a veth (GRO/GSO/TSO off) into the
#       DUT namespace, where sockets receive with recvmmsg and check every
#       packet's mark; empty XDP + empty tc (the floor) vs flowtag vs nft set.
#
# Every namespace is anonymous and owned by the benchmark process: they, and
# everything in them, disappear when it exits, however it exits. Nothing is
# attached to the host's interfaces.
#
#   bench/run.sh [flowtag_bench options]      e.g. -q (quick), --no-l2, -r 5,
#                                             --no-l0 --no-l1 (L2 alone)

set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.." || exit 1

if [[ $(id -u) -ne 0 ]]; then
	echo "make bench needs root (BPF test runs, network namespaces)" >&2
	exit 1
fi

bin=$BUILD/bench/flowtag_bench
out=bench/results.json
plot=bench/l0.svg
work=$(mktemp -d /tmp/flowtag-bench-run.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

"$bin" -o "$work/results.json" -d "$work/l0.dat" -w "$work" "$@"
rc=$?
if [[ $rc -ne 0 ]]; then
	echo "flowtag_bench failed (status $rc); $out left as it was" >&2
	exit "$rc"
fi
mv "$work/results.json" "$out"

if [[ ! -s $work/l0.dat ]]; then
	:	# --no-l0: nothing to plot
elif command -v gnuplot >/dev/null; then
	if gnuplot -e "datafile='$work/l0.dat'; outfile='$work/l0.svg'" bench/l0.gp; then
		mv "$work/l0.svg" "$plot"
		echo "wrote $plot"
	else
		echo "gnuplot failed: no plot" >&2
	fi
else
	echo "gnuplot not installed: no plot (apt-get install gnuplot-nox)"
fi
