#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtag demo: `sudo make demo`. Builds a throwaway topology in network
# namespaces, runs flowtagd on etc/examples/demo.conf on the router, sends a
# mix of traffic, prints what happened to each class, and removes it all
# (also on Ctrl-C or failure). Nothing touches the host's own interfaces.
#
#   client c0 ---- lan0 [router: flowtagd] wanA ---- path A ---- a0 server
#                                          wanB ---- path B ---- b0
#
#   on the router: ip rule fwmark 0x100/0xff00 -> table 100 -> path B (voice)
#                  HTB on wanA, one class per flowtag priority, built by
#                  flowtagd from the policy's egress_shaping
#
# Environment: BUILD (default build), DEMO_SECONDS (default 8).

set -u
BUILD=${BUILD:-build}
SECS=${DEMO_SECONDS:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
POLICY=$HERE/demo.conf
FLOWTAGD=$BUILD/flowtagd
FTCTL=$BUILD/flowtagctl
FTSEND=$BUILD/tests/ftsend
FTSINK=$BUILD/tests/ftsink
P=ftdemo$$
CLI=$P-client
RTR=$P-router
SRV=$P-server
PIN=/sys/fs/bpf/flowtag-demo-$$
TMP=$(mktemp -d /tmp/flowtag-demo.XXXXXX)
PIDS=()
DAEMON=

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

cleanup()
{
	local p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	if [[ -n $DAEMON ]] && kill -0 "$DAEMON" 2>/dev/null; then
		kill -TERM "$DAEMON"
		wait "$DAEMON" 2>/dev/null
	fi
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$RTR" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "interrupted: cleaning up"; exit 130' INT TERM

fail()
{
	echo "demo failed: $*" >&2
	[[ -s $TMP/flowtagd.log ]] && sed 's/^/  flowtagd: /' "$TMP/flowtagd.log" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || fail "run as root: sudo make demo"
for b in "$FLOWTAGD" "$FTCTL" "$FTSEND" "$FTSINK"; do
	[[ -x $b ]] || fail "$b is missing (make demo builds it)"
done

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
rtr_tc() { tc -n "$RTR" "$@"; }

# must COMMAND...: run it, or stop the demo with the command and its own
# error message (the first step that failed is the cause worth reporting)
must()
{
	local err
	err=$("$@" 2>&1 >/dev/null) || fail "'$*' failed${err:+: $err}"
}

say "topology: client, router (flowtagd), server reachable over two paths"
for ns in "$CLI" "$RTR" "$SRV"; do
	must ip netns add "$ns"
	must ip -n "$ns" link set lo up
	# `ip netns exec` needs to mount /sys in a mount namespace of its own:
	# in a container or chroot without /sys, this is where it fails
	must in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
link()
{
	must ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	must ip -n "$1" addr add "$3" dev "$2"
	must ip -n "$1" addr add "$7" dev "$2" nodad
	must ip -n "$4" addr add "$6" dev "$5"
	must ip -n "$4" addr add "$8" dev "$5" nodad
	must ip -n "$1" link set "$2" up
	must ip -n "$4" link set "$5" up
}
link "$CLI" c0 198.18.100.2/24 "$RTR" lan0 198.18.100.1/24 fd00:100::2/64 fd00:100::1/64
link "$RTR" wanA 198.18.101.1/24 "$SRV" a0 198.18.101.2/24 fd00:101::1/64 fd00:101::2/64
link "$RTR" wanB 198.18.102.1/24 "$SRV" b0 198.18.102.2/24 fd00:102::1/64 fd00:102::2/64
# the server's service address, its backup host, and a blocked source
must ip -n "$SRV" addr add 198.18.200.1/32 dev lo
must ip -n "$SRV" addr add 198.18.200.5/32 dev lo
must ip -n "$SRV" addr add 198.19.66.6/32 dev lo
must ip -n "$SRV" addr add fd00:200::1/128 dev lo
must ip -n "$SRV" addr add fd00:200::5/128 dev lo
must ip -n "$CLI" route add default via 198.18.100.1
must ip -n "$CLI" -6 route add default via fd00:100::1
must ip -n "$SRV" route add 198.18.100.0/24 via 198.18.101.1
must ip -n "$SRV" -6 route add fd00:100::/64 via fd00:101::1
must ip -n "$RTR" route add 198.18.200.0/24 via 198.18.101.2
must ip -n "$RTR" -6 route add fd00:200::/64 via fd00:101::2
must ip -n "$RTR" route add 198.19.66.0/24 via 198.18.101.2
# path B, for the voice mark
must ip -n "$RTR" route add 198.18.200.0/24 via 198.18.102.2 table 100
must ip -n "$RTR" -6 route add fd00:200::/64 via fd00:102::2 table 100
must ip -n "$RTR" rule add fwmark 0x100/0xff00 lookup 100 pref 100
must ip -n "$RTR" -6 rule add fwmark 0x100/0xff00 lookup 100 pref 100
must in_ns "$RTR" sysctl -qw net.ipv4.ip_forward_update_priority=1

# where each class leaves the router: counted in the forward hook
classes=(voice video interactive bulk default)
marks=(0x100 0x200 0x300 0x400 0x500)
{
	echo "table inet demo {"
	echo "  chain classes {"
	echo "    type filter hook forward priority 0;"
	for i in "${!classes[@]}"; do
		for path in wanA wanB lan0; do
			echo "    oifname \"$path\" meta mark & 0xff00 == ${marks[$i]} counter comment \"${classes[$i]}-$path\""
		done
	done
	echo "    oifname \"wanA\" meta mark & 0xff00 == 0 counter comment \"untagged-wanA\""
	echo "  }"
	echo "}"
} >"$TMP/demo.nft"
must in_ns "$RTR" nft -f "$TMP/demo.nft"
must in_ns "$CLI" nft add table inet demo
must in_ns "$CLI" nft add chain inet demo in '{ type filter hook input priority 0; }'
must in_ns "$CLI" nft add rule inet demo in ip saddr 198.19.66.6 counter

# flowtagd refuses policy files in a tree a user owns (a clone run with
# sudo): the demo then runs a root-owned copy of the same file. A kernel
# built without fq_codel gets pfifo leaves in the copy instead.
LEAF=fq_codel
if ! tc -n "$CLI" qdisc add dev lo root fq_codel 2>/dev/null; then
	LEAF=pfifo
	say "this kernel has no fq_codel qdisc: the demo's HTB tree gets pfifo leaves (leaf = \"pfifo\")"
fi
tc -n "$CLI" qdisc del dev lo root 2>/dev/null
if "$FLOWTAGD" --check -c "$POLICY" 2>&1 | grep -q "refusing" || [[ $LEAF != fq_codel ]]; then
	"$FLOWTAGD" --check -c "$POLICY" 2>&1 | grep -q "refusing" &&
		say "this checkout is not owned by root, and flowtagd refuses policy files other users can change: using a root-owned copy of $POLICY"
	sed "s/leaf = \"fq_codel\"/leaf = \"$LEAF\"/" "$POLICY" >"$TMP/demo.conf"
	chown root:root "$TMP/demo.conf"
	chmod 0644 "$TMP/demo.conf"
	POLICY=$TMP/demo.conf
fi
say "flowtagd on the router: policy $POLICY"
nsenter --net=/run/netns/"$RTR" "$FLOWTAGD" -f -c "$POLICY" --pin-dir "$PIN" \
	>"$TMP/flowtagd.log" 2>&1 &
DAEMON=$!
for _ in $(seq 100); do
	grep -q 'ready:' "$TMP/flowtagd.log" && break
	kill -0 "$DAEMON" 2>/dev/null || fail "flowtagd exited"
	sleep 0.1
done
grep -q 'ready:' "$TMP/flowtagd.log" || fail "flowtagd did not become ready"
sed 's/^/  /' "$TMP/flowtagd.log"
say "router: the HTB tree flowtagd built on wanA from egress_shaping"
rtr_tc class show dev wanA | sed 's/^/  /'

# neighbours first, so the numbers below are only the demo traffic
for a in 198.18.200.1 fd00:200::1; do
	for _ in $(seq 20); do in_ns "$CLI" ping -c1 -W1 "$a" >/dev/null 2>&1 && break; sleep 0.2; done
done

say "traffic for $SECS s: voice (UDP, DSCP EF, v4+v6), video (UDP 3478), SSH-like TCP (v4+v6),"
say "bulk TCP to the backup host, unclassified UDP, and a blocked source on the uplink"
# background jobs are ip-netns-exec'd binaries, not shell functions, so the
# PIDs we keep are the processes themselves
ip netns exec "$SRV" "$FTSINK" -t 22 -t 873 -u 5060 -u 10000 -u 3478 -u 7777 \
	-T $((SECS + 5)) >"$TMP/sink.out" &
PIDS+=($!)
ip netns exec "$CLI" "$FTSINK" -u 9999 -T $((SECS + 5)) >/dev/null &
PIDS+=($!)
sleep 0.3
ctl() { nsenter --net=/run/netns/"$RTR" "$FTCTL" --pin-dir "$PIN" "$@"; }
snd()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$FTSEND" -T "$SECS" -n 0 "$@" >/dev/null &
	PIDS+=($!)
}
snd "$CLI" -d 198.18.200.1 -p 5060 -q 46 -r 200 -l 160 -f 4
snd "$CLI" -d fd00:200::1 -p 10000 -q 46 -r 100 -l 160 -f 2
snd "$CLI" -d 198.18.200.1 -p 3478 -r 300 -l 1000 -f 2
snd "$CLI" -c -d 198.18.200.1 -p 22 -r 40 -l 120
snd "$CLI" -c -d fd00:200::1 -p 22 -r 40 -l 120
snd "$CLI" -c -d 198.18.200.5 -p 873 -l 16384 -f 2
snd "$CLI" -d 198.18.200.1 -p 7777 -r 100 -l 200
snd "$CLI" -d fd00:200::1 -p 7777 -r 100 -l 200
snd "$SRV" -d 198.18.100.2 -p 9999 -S 198.19.66.6 -r 100 -l 100
# the shapers' current rates while the traffic runs
sleep $((SECS - 1))
ctl -j stats >"$TMP/live.json" 2>/dev/null
sleep 2.5
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()

nft_pkts()
{
	in_ns "$RTR" nft list table inet demo |
		sed -n "s/.*counter packets \([0-9]*\) bytes [0-9]* comment \"$1\".*/\1/p"
}
# cls FILE CLASS: "packets bytes shaped_packets shaped_bytes drops rate_mbit"
# of CLASS from flowtagctl -j stats; "-" where the class has no HTB class
cls()
{
	python3 - "$1" "$2" <<'PY' 2>/dev/null || echo "? ? - - - -"
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))["classes"]}[sys.argv[2]]
v = lambda k: "-" if c.get(k) is None else c[k]
r = c.get("rate_bps")
print(c["packets"], c["bytes"], v("shaped_packets"), v("shaped_bytes"), v("shaped_drops"),
      "-" if r is None else "%.2f" % (r / 1e6))
PY
}
# htb_rates CLASSID: "rate/ceil" of an HTB class on wanA, as configured
htb_rates()
{
	rtr_tc class show dev wanA classid "$1" |
		sed -n 's/.* rate \([^ ]*\) ceil \([^ ]*\) .*/\1\/\2/p' | head -n1
}
prio=(1:10 1:20 1:30 1:50 1:40)

echo
say "per class (HTB: flowtagctl stats, the tree on wanA; now: its rate while the traffic ran)"
ctl -j stats >"$TMP/stats.json" 2>/dev/null
fmt='%-12s %6s %8s %8s %10s   %-34s %-5s %8s %10s %5s %8s %-15s\n'
printf "$fmt" class mark priority packets bytes "left the router via (packets)" HTB "HTB pkts" \
	"HTB bytes" drops "now Mbit" "rate/ceil"
for i in "${!classes[@]}"; do
	c=${classes[$i]}
	read -r pk by hp hb hd _ < <(cls "$TMP/stats.json" "$c")
	read -r _ _ _ _ _ now < <(cls "$TMP/live.json" "$c")
	a=$(nft_pkts "$c-wanA")
	b=$(nft_pkts "$c-wanB")
	l=$(nft_pkts "$c-lan0")
	printf "$fmt" "$c" "${marks[$i]}" "${prio[$i]}" "$pk" "$by" \
		"path A $a, path B $b, to LAN $l" "${prio[$i]}" "$hp" "$hb" "$hd" "$now" \
		"$(htb_rates "${prio[$i]}")"
done
echo
sed -n 's/^tcp 873 \([0-9]*\) bytes \([0-9.]*\) s \([0-9.]*\) Mbit\/s/bulk TCP received by the server: \1 bytes in \2 s = \3 Mbit\/s (HTB 1:50 ceil 4 Mbit\/s, from the policy)/p' \
	"$TMP/sink.out"
sed -n 's/^tcp 22 \([0-9]*\) bytes .*/SSH-like TCP received by the server: \1 bytes/p' "$TMP/sink.out"
dropped=$(ctl -j stats 2>/dev/null | tr -d '\n ' | grep -o '"line":[0-9]*,"action":"drop"[^}]*' |
	sed -n 's/.*"packets":\([0-9]*\).*/\1/p' | head -n1)
echo "blocked source 198.19.66.6 -> client: ${dropped:-?} packets dropped in XDP on wanA," \
	"$(ip netns exec "$CLI" nft list table inet demo 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p') reached the client"
echo "voice left via path B (ip rule fwmark 0x100/0xff00 -> table 100), which has no shaper" \
	"(its HTB class on wanA stays empty); HTB on path A shaped the other classes by the" \
	"priority restored from the mark"

echo
say "rules (flowtagctl stats)"
ctl stats | sed -n '/^rules:/,$p'
echo
say "hand-off health (flowtagctl status)"
ctl status | sed -n '/^interfaces:/,$p'

echo
say "stopping flowtagd (SIGTERM) and removing the topology"
kill -TERM "$DAEMON"
wait "$DAEMON"
rc=$?
DAEMON=
tail -n 4 "$TMP/flowtagd.log" | sed 's/^/  /'
[[ $rc -eq 0 ]] || fail "flowtagd exited with status $rc"
cleanup
leftover=$(ip netns list | grep -c "^$P-")
[[ $leftover -eq 0 && ! -e $PIN ]] || { echo "demo: something was left behind" >&2; exit 1; }
say "done: no namespace, interface, pin or process left behind"
