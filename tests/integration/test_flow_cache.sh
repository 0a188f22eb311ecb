#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flow_cache = "on" | "off" | "auto" (flowtag.conf(5), FLOW CACHE): one
# policy classifies live traffic the same with and without the flow cache.
# 15 groups of flows (4 flows of 5 packets each), UDP and TCP, IPv4 and
# IPv6, matched by port, source and destination prefix (an IPv6 one among
# them), a drop rule, the drop pre-filter and the default class, are sent
# under each mode: every packet must arrive with its class's mark and
# priority (nftables counters in dut's input hook) or be dropped in XDP,
# and flowtagctl's rule and class counters must count exactly those
# packets. With the cache the flows miss once and hit after, and the
# flow cache maps (ft_flow4, ft_flow_cache) change; without it every packet
# is counted uncached and neither map changes. Then SIGHUP switches a
# running daemon from on to off and back under steady traffic (no packet
# misclassified, every packet of a dropped flow dropped in XDP, no other),
# and once more with a round after each switch: both rounds' arrivals, flow
# by flow, are the same.
#
# Four test functions for runner.sh, each in namespaces of its own:
# test_cache_on, test_cache_off, test_cache_auto (flowtagd started with
# that flow_cache) and test_reload_switches.
#
#   gen (g0 198.18.60.1 .33 .66 .77      ---- (d0 198.18.60.2 .130      dut
#           fd00:60::1 ::66 ::101)                fd00:60::2 ::201)
#
# Static neighbour entries on both sides and no MLD report from gen: no
# ARP, neighbour discovery or multicast chatter on the link, so the
# counters hold the test's packets and nothing else (rule "nd" passes any
# ICMPv6 that still comes, and a check says so).

. "$(dirname "$0")/runner.sh"
FTMAPSUM=$FT_BUILD/tests/ftmapsum

# packets per flow group: -f FLOWS flows of PER packets each
FLOWS=4
PER=5
PKTS=$((FLOWS * PER))

# The test flows: NAME PROTO SRC DST DPORT RULE CLASS. RULE is the rule
# that must decide (default: none, the default class), CLASS the class the
# packets must arrive with, or drop. sipnet4 is in net4's prefix too (the
# first rule that matches decides), tcpnet4 as well but TCP (net4 is UDP
# only).
TRAFFIC=(
	"sip4    udp 198.18.60.1   198.18.60.2   5060 sip        voice"
	"sip6    udp fd00:60::1    fd00:60::2    5061 sip        voice"
	"sipnet4 udp 198.18.60.33  198.18.60.2   5060 sip        voice"
	"ssh4    tcp 198.18.60.1   198.18.60.2   22   ssh        interactive"
	"ssh6    tcp fd00:60::1    fd00:60::2    22   ssh        interactive"
	"blk4    udp 198.18.60.66  198.18.60.2   9000 blocked    drop"
	"blk6    udp fd00:60::66   fd00:60::2    9000 blocked    drop"
	"pf4     udp 198.18.60.77  198.18.60.2   9000 blocklist  drop"
	"net4    udp 198.18.60.33  198.18.60.2   7000 net4       video"
	"net6    udp fd00:60::101  fd00:60::2    7000 net6       video"
	"tcpnet4 tcp 198.18.60.33  198.18.60.2   7000 default    default"
	"srv4    udp 198.18.60.1   198.18.60.130 7000 servers    bulk"
	"srv6    tcp fd00:60::1    fd00:60::201  7000 servers    bulk"
	"dflt4   udp 198.18.60.1   198.18.60.2   7000 default    default"
	"dflt6   udp fd00:60::1    fd00:60::2    7000 default    default"
)
declare -A MARK=([voice]=0x100 [video]=0x200 [interactive]=0x300 [bulk]=0x400 [default]=0x500)
declare -A PRIO=([voice]=1:10 [video]=1:20 [interactive]=1:30 [bulk]=1:40 [default]=1:50)
RULES=(blocklist nd sip blocked ssh net6 net4 servers)
CLASSES=(voice video interactive bulk default)

# policy MODE: $TMP/policy.conf with flow_cache = MODE ("" leaves it out:
# "auto"). Rule 0 is the drop pre-filter (a drop on a prefix alone, first);
# "blocked" names a protocol, so it is an ordinary rule, cached like any.
policy()
{
	{
		echo 'interfaces = ( { name = "d0"; } );'
		echo 'mark_mask = 0x0000ff00;'
		[[ -n $1 ]] && echo "flow_cache = \"$1\";"
		echo 'classes = ('
		echo '  { name = "voice"; mark = 0x100; priority = "1:10"; },'
		echo '  { name = "video"; mark = 0x200; priority = "1:20"; },'
		echo '  { name = "interactive"; mark = 0x300; priority = "1:30"; },'
		echo '  { name = "bulk"; mark = 0x400; priority = "1:40"; },'
		echo '  { name = "default"; mark = 0x500; priority = "1:50"; }'
		echo ');'
		echo 'rules = ('
		echo '  { name = "blocklist"; match = { src = "198.18.60.77/32"; }; action = "drop"; },'
		echo '  { name = "nd"; match = { family = "ipv6"; proto = "icmpv6"; }; action = "pass"; },'
		echo '  { name = "sip"; match = { proto = "udp"; dport = "5060-5061"; }; class = "voice"; },'
		echo '  { name = "blocked"; match = { proto = "udp"; src = ["198.18.60.66/32", "fd00:60::66/128"]; }; action = "drop"; },'
		echo '  { name = "ssh"; match = { proto = "tcp"; dport = 22; }; class = "interactive"; },'
		echo '  { name = "net6"; match = { src = "fd00:60::100/120"; }; class = "video"; },'
		echo '  { name = "net4"; match = { proto = "udp"; src = "198.18.60.32/28"; }; class = "video"; },'
		echo '  { name = "servers"; match = { dst = ["198.18.60.128/25", "fd00:60::200/120"]; }; class = "bulk"; }'
		echo ');'
		echo 'default_class = "default";'
	} >"$TMP/policy.conf"
}

# the log line and the reason flowtagd gives for each mode with this policy
declare -A WHY=([on]='on (flow_cache "on")' [off]='off (flow_cache "off")'
	[auto]='on (flow_cache "auto": the rules match IPv6 prefixes)')

# Before every test function: the topology, static neighbours, and an
# nftables counter pair per flow group in dut's input hook: NAME-all (every
# packet of the group) and NAME-ok (those with the class's mark and
# priority).
setup()
{
	local a line name proto src dst dport rule class fam sel gmac dmac

	gen_dut 198.18.60 fd00:60 || return 1
	for a in 198.18.60.33/24 198.18.60.66/24 198.18.60.77/24; do
		ip -n "$(ns gen)" addr add "$a" dev g0 || return 1
	done
	for a in fd00:60::66/64 fd00:60::101/64; do
		ip -n "$(ns gen)" addr add "$a" dev g0 nodad || return 1
	done
	ip -n "$(ns dut)" addr add 198.18.60.130/24 dev d0 || return 1
	ip -n "$(ns dut)" addr add fd00:60::201/64 dev d0 nodad || return 1
	gmac=$(ip -n "$(ns gen)" -br link show g0 | awk '{print $3}')
	dmac=$(ip -n "$(ns dut)" -br link show d0 | awk '{print $3}')
	for a in 198.18.60.2 198.18.60.130 fd00:60::2 fd00:60::201; do
		ip -n "$(ns gen)" neigh replace "$a" lladdr "$dmac" dev g0 nud permanent || return 1
	done
	for a in 198.18.60.1 198.18.60.33 198.18.60.66 198.18.60.77 fd00:60::1 fd00:60::66 fd00:60::101; do
		ip -n "$(ns dut)" neigh replace "$a" lladdr "$gmac" dev d0 nud permanent || return 1
	done
	# gen's MLD reports (sent for a while after every address it gets)
	# stay home: the link carries the test's packets only
	in_ns gen nft -f - <<-'EOF' || return 1
	table inet quiet {
	  chain out {
	    type filter hook output priority 0;
	    icmpv6 type { mld-listener-report, mld2-listener-report } drop
	  }
	}
	EOF
	{
		echo 'table inet ft {'
		echo '  chain in {'
		echo '    type filter hook input priority 0;'
		for line in "${TRAFFIC[@]}"; do
			read -r name proto src dst dport rule class <<<"$line"
			fam=ip
			[[ $src == *:* ]] && fam=ip6
			sel="$fam saddr $src $fam daddr $dst $proto dport $dport"
			echo "    $sel counter comment \"$name-all\""
			[[ $class == drop ]] && continue
			echo "    $sel meta mark & 0xff00 == ${MARK[$class]} meta priority ${PRIO[$class]} counter comment \"$name-ok\""
		done
		echo '  }'
		echo '}'
	} | in_ns dut nft -f -
}

# nft_snap ARRAY: every counter of dut's table inet ft, by comment
nft_snap()
{
	nft_counters "$1" dut inet ft
}

# ft_snap: one line of the numbers a round compares: status counters, the
# rules' and classes' packets (of the running generation) and the flow
# cache maps' digests
ft_snap()
{
	{
		ctl dut -j status
		echo
		ctl dut -j stats
		echo
		echo "\"$("$FTMAPSUM" "$PIN/ft_flow4")\""
		echo "\"$("$FTMAPSUM" "$PIN/ft_flow_cache")\""
	} | python3 -c '
import json, sys
docs = [json.loads(l) for l in sys.stdin.read().split("\n") if l.strip()]
st, stats, f4, fc = docs
c = st["counters"]
out = ["%s=%d" % (k, c[k]) for k in ("xdp_packets", "xdp_drops", "cache_hits",
	"cache_misses", "uncached", "prefiltered", "non_ip", "fallback", "tc_drops")]
out += ["gen=%d" % stats["generation"]]
out += ["rule:%s=%d" % (r["name"], r["packets"]) for r in stats["rules"]]
out += ["class:%s=%d" % (k["name"], k["packets"]) for k in stats["classes"]]
out += ["flow4=%s" % f4.replace(" ", "_"), "flowcache=%s" % fc.replace(" ", "_")]
print(" ".join(out))'
}

# field SNAP KEY: KEY's value in an ft_snap line
field()
{
	tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

# delta KEY: KEY's change from $S0 to $S1
delta()
{
	echo $(($(field "$S1" "$1") - $(field "$S0" "$1")))
}

# cache_mode: policy.flow_cache of flowtagctl -j status, "on" or "off"
cache_mode()
{
	ctl dut -j status | python3 -c '
import json, sys
print({True: "on", False: "off"}.get(json.load(sys.stdin)["policy"]["flow_cache"], "?"))'
}

# send_all: every flow group, FLOWS flows of PER packets, from one CPU (so
# a flow meets its cache entry: one miss, then hits)
send_all()
{
	local line name proto src dst dport rule class i=0 tcp

	for line in "${TRAFFIC[@]}"; do
		read -r name proto src dst dport rule class <<<"$line"
		tcp=()
		[[ $proto == tcp ]] && tcp=(-t)
		in_ns gen taskset -c 0 timeout 10 "$FTSEND" "${tcp[@]}" -S "$src" -d "$dst" -p "$dport" \
			-f "$FLOWS" -s $((40000 + 10 * i)) -n "$PKTS" >/dev/null ||
			diag "ftsend $name failed"
		i=$((i + 1))
	done
}

# settle WANT: until the NAME-all counters went up by WANT since N0, 3 s at most
settle()
{
	local -A now
	local line name total

	for _ in $(seq 30); do
		nft_snap now
		total=0
		for line in "${TRAFFIC[@]}"; do
			read -r name _ <<<"$line"
			total=$((total + ${now[$name-all]:-0} - ${N0[$name-all]:-0}))
		done
		[[ $total -ge $1 ]] && return 0
		sleep 0.1
	done
	return 1
}

# round LABEL MODE: all flows once under the running policy (flow cache
# MODE, "on" or "off"), and check what arrived, what flowtagctl counted and
# what happened to the flow cache maps. SEEN: what arrived, per flow group.
round()
{
	local label=$1 mode=$2 line name proto src dst dport rule class
	local delivered=0 dropped=0 prefilter=0 cached=0 want got r fail0=$T_FAIL
	local -A N1 rulewant classwant
	declare -g -A N0

	nft_snap N0
	S0=$(ft_snap)
	for line in "${TRAFFIC[@]}"; do
		read -r name proto src dst dport rule class <<<"$line"
		# the pre-filter's flows enter no cache
		[[ $rule != blocklist ]] && cached=$((cached + FLOWS))
		if [[ $class == drop ]]; then
			dropped=$((dropped + PKTS))
			[[ $rule == blocklist ]] && prefilter=$((prefilter + PKTS))
		else
			delivered=$((delivered + PKTS))
		fi
		[[ $rule != default ]] && rulewant[$rule]=$((${rulewant[$rule]:-0} + PKTS))
		[[ $class != drop ]] && classwant[$class]=$((${classwant[$class]:-0} + PKTS))
	done
	send_all
	settle "$delivered" || diag "$label: not all packets arrived within 3 s"
	sleep 0.2	# anything late or extra
	nft_snap N1
	S1=$(ft_snap)

	SEEN=""
	for line in "${TRAFFIC[@]}"; do
		read -r name proto src dst dport rule class <<<"$line"
		got=$((${N1[$name-all]:-0} - ${N0[$name-all]:-0}))
		SEEN+="$name:$((${N1[$name-ok]:-0} - ${N0[$name-ok]:-0}))/$got "
		if [[ $class == drop ]]; then
			expect_eq "$label: $name ($proto $src -> $dst:$dport) dropped" "$got arrived" "0 arrived"
		else
			got="$((${N1[$name-ok]:-0} - ${N0[$name-ok]:-0})) of $got"
			expect_eq "$label: $name ($proto $src -> $dst:$dport) $class ${MARK[$class]} ${PRIO[$class]}" \
				"$got" "$PKTS of $PKTS"
		fi
	done

	# flowtagctl's rule and class counters: the same packets
	want=""
	got=""
	for r in "${RULES[@]}"; do
		[[ $r == nd ]] && continue
		want+="$r=${rulewant[$r]:-0} "
		got+="$r=$(delta "rule:$r") "
	done
	expect_eq "$label: stats, packets per rule" "${got% }" "${want% }"
	want=""
	got=""
	for r in "${CLASSES[@]}"; do
		want+="$r=${classwant[$r]:-0} "
		got+="$r=$(delta "class:$r") "
	done
	expect_eq "$label: stats, packets per class" "${got% }" "${want% }"
	expect_eq "$label: status, XDP drops (pre-filter)" \
		"$(delta xdp_drops) ($(delta prefiltered))" "$dropped ($prefilter)"
	expect_eq "$label: status, nothing else (ICMPv6 passed by rule nd, non-IP, tc fallback, tc drops)" \
		"$(delta rule:nd) $(delta non_ip) $(delta fallback) $(delta tc_drops)" "0 0 0 0"

	# the flow cache: with it one miss per flow (from one CPU), hits after;
	# without it every packet uncached, and the maps untouched
	got="hits $(delta cache_hits), misses $(delta cache_misses), uncached $(delta uncached)"
	if [[ $mode == on ]]; then
		expect_eq "$label: status, flow cache hits and misses" "$got" \
			"hits $((delivered + dropped - prefilter - cached)), misses $cached, uncached 0"
		check "$label: ft_flow4 changed (IPv4 flows cached)" \
			test "$(field "$S0" flow4)" != "$(field "$S1" flow4)"
		check "$label: ft_flow_cache changed (IPv6 flows cached)" \
			test "$(field "$S0" flowcache)" != "$(field "$S1" flowcache)"
	else
		expect_eq "$label: status, every packet uncached" "$got" \
			"hits 0, misses 0, uncached $((delivered + dropped - prefilter))"
		expect_eq "$label: ft_flow4 untouched" "$(field "$S1" flow4)" "$(field "$S0" flow4)"
		expect_eq "$label: ft_flow_cache untouched" "$(field "$S1" flowcache)" "$(field "$S0" flowcache)"
	fi
	[[ $T_FAIL -eq $fail0 ]] || { diag "before: $S0"; diag "after:  $S1"; }
}

# mode_is LABEL MODE N: the Nth "flow cache:" line of the log is MODE's,
# and flowtagctl status says the same
mode_is()
{
	local n=$3 want=${WHY[$2]}

	for _ in $(seq 100); do
		[[ $(grep -c 'flow cache: ' "$TMP/flowtagd.log") -ge $n ]] && break
		sleep 0.1
	done
	expect_eq "$1: flowtagd logs 'flow cache: $want'" \
		"$(grep 'flow cache: ' "$TMP/flowtagd.log" | sed -n "${n}s/.*flow cache: //p")" "$want"
	expect_eq "$1: flowtagctl -j status: policy.flow_cache" "$(cache_mode)" "${want%% *}"
}

# reload_to MODE GEN [LABEL]: the policy with flow_cache = MODE, SIGHUP,
# generation GEN in the log, and MODE in the log and status
reload_to()
{
	policy "$1"
	kill -HUP "$DAEMON_PID"
	check "SIGHUP${3:+ $3}: generation $2" wait_log "$TMP/flowtagd.log" "generation $2," 10
	mode_is "generation $2" "$1" "$2"
}

# one_mode MODE: flowtagd with flow_cache = MODE, a round of traffic, a stop
one_mode()
{
	local mode=$1 conf=$1

	[[ $mode == auto ]] && conf=""
	policy "$conf"
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "$mode: start"; return 1; }
	ok "flow_cache \"$mode\": flowtagd starts"
	mode_is "$mode" "$mode" 1
	round "flow_cache \"$mode\"" "${WHY[$mode]%% *}"
	daemon_stop "$DAEMON_PID"
	expect_eq "$mode: SIGTERM: exit status 0" "$?" 0
	check "$mode: nothing left" nothing_left dut d0
}

test_cache_on()
{
	one_mode on
}

test_cache_off()
{
	one_mode off
}

# "auto" (the default): this policy matches IPv6 prefixes, so it gets one
test_cache_auto()
{
	# on an emulated CPU (the 6.1 VM, where this file takes minutes) the
	# kernel side of "auto" here is test_cache_on's: the choice is the
	# compiler's, in userspace, and the same on every kernel
	[[ ${FT_VM_ACCEL:-} == tcg ]] &&
		skip_test "emulated CPU: \"auto\" runs the data path of test_cache_on; the host runs it"
	one_mode auto
}

# SIGHUP on -> off -> on while every flow group sends (at 200 packets/s
# each, other source ports than the rounds), then on -> off and off -> on
# again with an exact round after each
test_reload_switches()
{
	local line name proto src dst dport rule class i=0 tcp pids=() ok_n all_n
	local bad=0 arrived=0 dsent=0 psent=0 seen_off total=0 seen drops pf lost
	local -A B0 B1 sent

	# on an emulated CPU (the 6.1 VM) this function alone takes minutes;
	# the kernel side of a reload under traffic is test_reload.sh's there,
	# and both modes' data paths are test_cache_on's and test_cache_off's
	[[ ${FT_VM_ACCEL:-} == tcg ]] &&
		skip_test "emulated CPU: test_reload.sh reloads under traffic there; the host runs it"
	policy on
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; return 1; }
	ok "flowtagd starts with flow_cache \"on\""
	mode_is "generation 1" on 1

	nft_snap B0
	Q0=$(ft_snap)
	for line in "${TRAFFIC[@]}"; do
		read -r name proto src dst dport rule class <<<"$line"
		tcp=()
		[[ $proto == tcp ]] && tcp=(-t)
		send_start gen "$TMP/bg-$name.out" "${tcp[@]}" -S "$src" -d "$dst" -p "$dport" \
			-f "$FLOWS" -s $((50000 + 10 * i)) -r 200
		pids+=("$SENDER")
		i=$((i + 1))
	done
	sleep 0.5
	# on -> off, traffic going on; P0..P1 is a stretch of generation 2
	reload_to off 2 "under traffic"
	P0=$(ft_snap)
	sleep 0.7
	P1=$(ft_snap)
	# off -> on; P2..P3 is a stretch of generation 3
	reload_to on 3 "under traffic"
	P2=$(ft_snap)
	sleep 0.7
	P3=$(ft_snap)
	i=0
	for line in "${TRAFFIC[@]}"; do
		read -r name _ <<<"$line"
		send_stop "${pids[i]}" "$TMP/bg-$name.out"
		sent[$name]=${SENT:-0}
		i=$((i + 1))
	done
	sleep 0.3
	nft_snap B1
	Q1=$(ft_snap)

	S0=$P0 S1=$P1
	check "generation 2 (off): $(delta uncached) packets uncached, no cache hit or miss ($(delta cache_hits), $(delta cache_misses))" \
		test "$(delta uncached)" -gt 0 -a "$(delta cache_hits)" -eq 0 -a "$(delta cache_misses)" -eq 0
	expect_eq "generation 2 (off): the flow cache maps untouched" \
		"$(field "$P1" flow4) $(field "$P1" flowcache)" "$(field "$P0" flow4) $(field "$P0" flowcache)"
	S0=$P2 S1=$P3
	check "generation 3 (on): $(delta cache_hits) cache hits, none uncached ($(delta uncached))" \
		test "$(delta cache_hits)" -gt 0 -a "$(delta uncached)" -eq 0

	for line in "${TRAFFIC[@]}"; do
		read -r name proto src dst dport rule class <<<"$line"
		all_n=$((${B1[$name-all]:-0} - ${B0[$name-all]:-0}))
		if [[ $class == drop ]]; then
			expect_eq "under reloads: $name (${sent[$name]} sent) dropped" "$all_n arrived" "0 arrived"
			dsent=$((dsent + ${sent[$name]}))
			[[ $rule == blocklist ]] && psent=$((psent + ${sent[$name]}))
			continue
		fi
		ok_n=$((${B1[$name-ok]:-0} - ${B0[$name-ok]:-0}))
		arrived=$((arrived + all_n))
		bad=$((bad + all_n - ok_n))
		check "under reloads: $name ${sent[$name]} sent, $all_n arrived, $ok_n of them $class ${MARK[$class]} ${PRIO[$class]}" \
			test "$all_n" -gt 100 -a "$ok_n" -eq "$all_n"
	done
	diag "2 reloads under traffic: $arrived packets arrived, $bad misclassified, $dsent sent to be dropped"
	expect_eq "under reloads: misclassified packets" "$bad" 0
	S0=$Q0 S1=$Q1
	# A slow CPU (the emulated 6.1 guest) loses packets on the veth before
	# XDP sees them (its ring is full): every packet XDP saw was dropped
	# there or arrived with its class, and the drops are the dropped
	# flows' packets less at most what was lost on the way
	for name in "${!sent[@]}"; do total=$((total + ${sent[$name]})); done
	seen=$(delta xdp_packets) drops=$(delta xdp_drops) pf=$(delta prefiltered)
	lost=$((total - seen))
	diag "under reloads: $total sent, $seen seen by XDP ($lost lost before it)"
	expect_eq "under reloads: every packet XDP saw was dropped there or arrived with its class" \
		"$((drops + arrived))" "$seen"
	check "under reloads: XDP dropped the dropped flows' packets, no other ($drops of $dsent sent; pre-filter $pf of $psent)" \
		test "$lost" -ge 0 -a "$drops" -le "$dsent" -a "$drops" -ge $((dsent - lost)) \
		-a "$pf" -le "$psent" -a "$pf" -ge $((psent - lost))
	expect_eq "under reloads: no tc fallback, no tc drop" "$(delta fallback) $(delta tc_drops)" "0 0"

	# and once more, with exact rounds: on -> off, off -> on
	reload_to off 4
	round "reload on -> off" off
	seen_off=$SEEN
	reload_to on 5
	round "reload off -> on" on
	expect_eq "the same packets arrived in the same classes with and without the flow cache" \
		"${SEEN% }" "${seen_off% }"

	daemon_stop "$DAEMON_PID"
	expect_eq "SIGTERM: exit status 0" "$?" 0
	check "nothing left" nothing_left dut d0
}

run_tests "$@"
