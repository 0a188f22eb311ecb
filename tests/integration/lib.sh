# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Shared by the integration tests: throwaway network namespaces joined by
# veth pairs (198.18.0.0/15 and fd00::/8 only), the real flowtagd binary,
# TAP output, and a cleanup trap that removes every namespace, pin, process
# and file the test made, on success, failure or interruption.
#
# Never touches the host's own interfaces: everything lives in namespaces
# named ft<pid>-*, and the daemon runs with nsenter --net (so it shares the
# host's bpffs for its pins, under a per-test directory).

set -u

FT_BUILD=${FT_BUILD:-build}
FLOWTAGD=${FLOWTAGD:-$FT_BUILD/flowtagd}
FLOWTAGD_ASAN=$FT_BUILD/flowtagd-asan
FTCTL=$FT_BUILD/flowtagctl
FTSEND=$FT_BUILD/tests/ftsend
NSP=ft$$
PIN=/sys/fs/bpf/ft-test-$$
TMP=$(mktemp -d /tmp/flowtag-test.XXXXXX)
T_N=0
T_FAIL=0
T_NS=()
T_PIDS=()

ok()
{
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok()
{
	T_N=$((T_N + 1))
	T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_N - $*"
}

# skip NAME WHY: a check that could not run; tests/run.sh counts and names it
skip()
{
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# check NAME COMMAND...: ok when COMMAND succeeds
check()
{
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# expect_eq NAME GOT WANT
expect_eq()
{
	if [[ "$2" == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1 (got '$2', want '$3')"
	fi
}

diag()
{
	echo "# $*"
}

cleanup()
{
	local p ns ino
	for p in "${T_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${T_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	# whatever a killed daemon left: links, filters, pins
	if [[ -d $PIN ]]; then
		"$FLOWTAGD" --cleanup --pin-dir "$PIN" >/dev/null 2>&1
		rm -rf "$PIN"
	fi
	for ns in "${T_NS[@]}"; do
		# a killed daemon's control socket and pid file, named by
		# the namespace's inode (daemon/control.h, pidfile.h)
		ino=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null) &&
			rm -f "/run/flowtag/flowtagd.$ino.sock" "/run/flowtag/flowtagd.$ino.pid"
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_root()
{
	if [[ $(id -u) -ne 0 ]]; then
		echo "# needs root"
		exit 77
	fi
	if ! ip netns add "${NSP}-probe" 2>/dev/null; then
		echo "# network namespaces unavailable"
		exit 77
	fi
	ip netns del "${NSP}-probe"
	for b in "$FLOWTAGD" "$FTSEND"; do
		[[ -x $b ]] || { echo "# $b not built (run make tests)"; exit 1; }
	done
}

# ns_add NAME: a namespace ${NSP}-NAME with lo up; prints nothing
ns_add()
{
	local ns=${NSP}-$1
	ip netns add "$ns" || return 1
	T_NS+=("$ns")
	ip -n "$ns" link set lo up
	# forwarding on, no reverse-path filter surprises between paths, and no
	# duplicate address detection (it delays IPv6 by seconds after every
	# link change, XDP attach included)
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

ns()
{
	echo "${NSP}-$1"
}

# in_ns NAME COMMAND...
in_ns()
{
	local ns=${NSP}-$1
	shift
	ip netns exec "$ns" "$@"
}

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2 [ADDR6_1 ADDR6_2]: a veth pair with addresses
veth()
{
	local n1=${NSP}-$1 i1=$2 a1=$3 n2=${NSP}-$4 i2=$5 a2=$6
	ip link add "$i1" netns "$n1" type veth peer name "$i2" netns "$n2" || return 1
	ip -n "$n1" addr add "$a1" dev "$i1"
	ip -n "$n2" addr add "$a2" dev "$i2"
	if [[ $# -ge 8 ]]; then
		ip -n "$n1" addr add "$7" dev "$i1" nodad
		ip -n "$n2" addr add "$8" dev "$i2" nodad
	fi
	ip -n "$n1" link set "$i1" up
	ip -n "$n2" link set "$i2" up
}

# gen_dut NET [NET6]: the two namespaces most daemon tests start from, a
# traffic generator and the device under test flowtagd runs on:
#
#   gen (g0 NET.1/24 [NET6::1/64]) ---- (d0 NET.2/24 [NET6::2/64]) dut
#
# e.g. gen_dut 198.18.7 fd00:7
gen_dut()
{
	local v6=()

	[[ $# -ge 2 ]] && v6=("$2::1/64" "$2::2/64")
	ns_add gen && ns_add dut && veth gen g0 "$1.1/24" dut d0 "$1.2/24" "${v6[@]}"
}

# voice_policy [with-default]: $TMP/policy.conf for gen_dut's d0: the
# flowtag bits 0xff00 of the mark, UDP to port 5060 in class voice (mark
# 0x100, priority 1:10); with-default: other packets in class default
# (0x400, 1:40), else untagged.
voice_policy()
{
	local default=""

	if [[ ${1:-} == with-default ]]; then
		default='  { name = "default"; mark = 0x400; priority = "1:40"; }'
	fi
	{
		echo 'interfaces = ( { name = "d0"; } );'
		echo 'mark_mask = 0x0000ff00;'
		echo 'classes = ('
		echo "  { name = \"voice\"; mark = 0x100; priority = \"1:10\"; }${default:+,}"
		if [[ -n $default ]]; then
			echo "$default"
		fi
		echo ');'
		echo 'rules = ( { match = { proto = "udp"; dport = 5060; }; class = "voice"; } );'
		if [[ -n $default ]]; then
			echo 'default_class = "default";'
		fi
	} >"$TMP/policy.conf"
}

# reach NS ADDR [SRC]: ping until ADDR answers (neighbour discovery done), 5 s max
reach()
{
	local ns=${NSP}-$1 src=()
	[[ $# -ge 3 ]] && src=(-I "$3")
	for _ in $(seq 25); do
		ip netns exec "$ns" ping -c1 -W1 -i0.2 "${src[@]}" "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	diag "$2 not reachable from $1"
	return 1
}

# daemon_start NS CONF LOG [BINARY] [ARGS...]: start flowtagd in NS's network
# namespace; waits until it is ready. Sets DAEMON_PID. BINARY "" = flowtagd.
daemon_start()
{
	local ns=${NSP}-$1 conf=$2 log=$3 bin=${4:-$FLOWTAGD}
	[[ -z $bin ]] && bin=$FLOWTAGD
	shift 4 2>/dev/null || shift $#
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		nsenter --net=/run/netns/"$ns" "$bin" -f -c "$conf" --pin-dir "$PIN" "$@" \
		>"$log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS+=("$DAEMON_PID")
	for _ in $(seq 300); do
		grep -q 'ready:' "$log" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "flowtagd did not become ready:"
	sed 's/^/#   /' "$log"
	return 1
}

# daemon_stop PID: SIGTERM and wait; returns the exit status
daemon_stop()
{
	local pid=$1 rc
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	return $rc
}

# wait_log LOG PATTERN [TIMEOUT_S]: until PATTERN appears in LOG
wait_log()
{
	local t=$(( ${3:-10} * 10 ))
	for _ in $(seq "$t"); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# nft_counters ARRAY NS FAMILY TABLE: ARRAY (an associative array of the
# caller's) = the packets of every counter with a comment in TABLE of NS,
# by comment (the first counter of a comment). Parsed by bash, not sed: a
# process less a call, about 0.1 s each in the emulated 6.1 guest, where
# mark_of alone runs this some 250 times.
nft_counters()
{
	local -n _nc_to=$1
	local line re='counter packets ([0-9]+) bytes [0-9]+ comment "([^"]+)"'

	_nc_to=()
	while IFS= read -r line; do
		[[ $line =~ $re && -z ${_nc_to[${BASH_REMATCH[2]}]+set} ]] &&
			_nc_to[${BASH_REMATCH[2]}]=${BASH_REMATCH[1]}
	done < <(ip netns exec "${NSP}-$2" nft list table "$3" "$4" 2>/dev/null)
	return 0
}

# nft_count NS FAMILY TABLE COMMENT: packets of the (first) counter whose
# comment is COMMENT, taken literally; nothing when there is none
nft_count()
{
	local -A counts

	nft_counters counts "$1" "$2" "$3"
	[[ -n ${counts[$4]+set} ]] && echo "${counts[$4]}"
	return 0
}

# ctl NS ARGS...: flowtagctl in NS's network namespace (interface names and
# XDP queries are per namespace) on this test's pins
ctl()
{
	local ns=${NSP}-$1
	shift
	nsenter --net=/run/netns/"$ns" "$FTCTL" --pin-dir "$PIN" "$@"
}

# send NS ARGS...: ftsend from NS
send()
{
	local ns=${NSP}-$1
	shift
	ip netns exec "$ns" "$FTSEND" "$@" >/dev/null
}

# send_start NS OUT ARGS...: ftsend from NS in the background until send_stop,
# its report in OUT; sets SENDER
send_start()
{
	local ns=${NSP}-$1 out=$2
	shift 2
	ip netns exec "$ns" "$FTSEND" -n 0 "$@" >"$out" &
	SENDER=$!
	T_PIDS+=("$SENDER")
}

# send_stop PID OUT: stop a background ftsend; sets SENT to what it sent
send_stop()
{
	kill -TERM "$1"
	wait "$1"
	SENT=$(sed -n 's/^sent //p' "$2")
}

# mark_counters NS DEV: nftables counters m0 .. m5 in NS's netdev ingress
# hook of DEV, for the flowtag marks 0x000 .. 0x500 (mark & 0xff00) of
# frames from ftinject's source MAC; mark_of reads them
mark_counters()
{
	MARK_NS=$1
	MARK_LAST=([m0]=0 [m1]=0 [m2]=0 [m3]=0 [m4]=0 [m5]=0)
	{
		echo "table netdev ftmarks { chain in {"
		echo "  type filter hook ingress device \"$2\" priority 0;"
		for m in 0 1 2 3 4 5; do
			echo "  ether saddr 02:00:00:00:00:01 meta mark & 0xff00 == 0x${m}00 counter comment \"m$m\""
		done
		echo "}"
		echo "}"
	} | in_ns "$1" nft -f -
}
declare -A MARK_LAST

# mark_of NS IF N FTINJECT-ARGS...: N frames by ftinject -i IF from NS;
# MARK = the counter of mark_counters all N reached ("m1"), "mixed:m1=3 ..."
# when they did not all reach one (2 s at most for the last to arrive)
mark_of()
{
	local ns=$1 ifc=$2 n=$3 m got="" total
	local -A now
	shift 3

	MARK=send-failed
	in_ns "$ns" "$FT_BUILD/tests/ftinject" -i "$ifc" -n "$n" "$@" >/dev/null || return
	for _ in $(seq 20); do
		nft_counters now "$MARK_NS" netdev ftmarks
		for m in m0 m1 m2 m3 m4 m5; do now[$m]=${now[$m]:-0}; done
		total=0
		for m in m0 m1 m2 m3 m4 m5; do total=$((total + now[$m] - MARK_LAST[$m])); done
		[[ $total -ge $n ]] && break
		sleep 0.1
	done
	for m in m0 m1 m2 m3 m4 m5; do
		[[ $((now[$m] - MARK_LAST[$m])) -gt 0 ]] && got+="$m=$((now[$m] - MARK_LAST[$m])) "
		MARK_LAST[$m]=${now[$m]}
	done
	got=${got% }
	if [[ $got == *" "* || $got != *"=$n" ]]; then
		MARK="mixed:$got"
	else
		MARK=${got%=*}
	fi
}

# explain_mark NS KEYS...: the mark_counters counter of the mark
# flowtagctl explain gives for KEYS ("m1" for 0x100)
explain_mark()
{
	local ns=$1 mark
	shift

	mark=$(ctl "$ns" explain "$@" 2>/dev/null | sed -n 's/^mark: *0x\([0-5]\)00 .*/\1/p')
	echo "m${mark:-?}"
}

# asan_clean LOG: no ASan/UBSan/LSan report in LOG
asan_clean()
{
	if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"; then
		sed 's/^/#   /' "$1" | head -40
		return 1
	fi
	return 0
}

# ft_tc_hook_of NS IF: where flowtag's tc ingress program runs on IF: "tcx"
# (among IF's tcx ingress programs), "clsact" (the filter at pref 1958), or
# "none"
ft_tc_hook_of()
{
	local ns=${NSP}-$1

	if nsenter --net=/run/netns/"$ns" "$FT_BUILD/tests/fttcx" --list "$2" 2>/dev/null |
		grep -q '^ft_tc_ingress$'; then
		echo tcx
	elif tc -n "$ns" filter show dev "$2" ingress 2>/dev/null | grep -q 'pref 1958 bpf.*ft_tc_ingress'; then
		echo clsact
	else
		echo none
	fi
}

# ft_state_l2: the pinned ft_state's link-type fields, "L2 L2_LOOKUP"
# (flowtag/maps.h: "0 0" while every attached interface is Ethernet)
ft_state_l2()
{
	bpftool -j map lookup pinned "$PIN/ft_state" key 0 0 0 0 2>&1 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["formatted"]["value"]
print(v["l2"], v["l2_lookup"])' 2>&1
}

# nothing_left NS IF: no XDP program, no filter or tcx link of ours, no pins
nothing_left()
{
	local ns=${NSP}-$1 ifc=$2
	if ip -n "$ns" link show "$ifc" | grep -q 'prog/xdp'; then
		diag "$ifc still has an XDP program"
		return 1
	fi
	if tc -n "$ns" filter show dev "$ifc" ingress 2>/dev/null | grep -q ft_tc; then
		diag "$ifc still has our ingress filter"
		return 1
	fi
	if tc -n "$ns" filter show dev "$ifc" egress 2>/dev/null | grep -q ft_tc; then
		diag "$ifc still has our egress filter"
		return 1
	fi
	if nsenter --net=/run/netns/"$ns" "$FT_BUILD/tests/fttcx" --list "$ifc" 2>/dev/null |
		grep -q '^ft_tc'; then
		diag "$ifc still has our tcx link"
		return 1
	fi
	if [[ -e $PIN ]]; then
		diag "$PIN still exists: $(ls "$PIN" | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# finish: exit status for the runner
finish()
{
	[[ $T_FAIL -eq 0 ]]
	exit $?
}
