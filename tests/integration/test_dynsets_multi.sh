#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Several dynamic sets at once, both families, matched on source and on
# destination, elements with and without timeouts, added and deleted with
# flowtagctl set while frames flow: every frame must get the class of the
# first rule whose sets hold its addresses now (what `flowtagctl explain`
# says), on XDP and with tc alone. Marks counted in nftables' netdev
# ingress hook at the receiver.
#
#   gen (g0) ---- (d0) dut

. "$(dirname "$0")/lib.sh"
need_root

gen_dut 198.18.42

cat >"$TMP/policy.conf" <<'END'
interfaces = ( { name = "d0"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "c1"; mark = 0x100; priority = "1:10"; },
  { name = "c2"; mark = 0x200; priority = "1:20"; },
  { name = "c3"; mark = 0x300; priority = "1:30"; },
  { name = "c4"; mark = 0x400; priority = "1:40"; },
  { name = "default"; mark = 0x500; priority = "1:50"; }
);
prefix_sets = (
  { name = "a"; dynamic = true; size = 100; },
  { name = "b"; dynamic = true; size = 100; },
  { name = "c"; dynamic = true; size = 100; prefixes = [ "fd00:42:c::/48" ]; },
  { name = "d"; dynamic = true; size = 100; }
);
rules = (
  { match = { src = "@a"; }; class = "c1"; },
  { match = { dst = "@b"; }; class = "c2"; },
  { match = { src = "@c"; dst = "@d"; }; class = "c3"; },
  { match = { dst = "@d"; proto = "udp"; dport = 5060; }; class = "c4"; }
);
default_class = "default";
END

mark_counters dut d0
N=5

# flow SRC DST: one UDP 5060 flow (fixed ports: flow cache hits after the first)
FLOWS=(
	"198.18.42.1 198.18.42.2" "198.18.42.3 198.18.42.4" "198.18.42.5 198.18.42.6"
	"fd00:42:c::1 fd00:42:d::1" "fd00:42:e::1 fd00:42:d::2" "fd00:42:e::1 fd00:42:b::1"
	"fd00:42:a::1 fd00:42:b::1"
)
# every flow against explain: $1 = label
verify()
{
	local f s d want before

	for f in "${FLOWS[@]}"; do
		read -r s d <<<"$f"
		# an element may expire meanwhile: explain before and after
		for _ in 1 2; do
			before=$(explain_mark dut src "$s" dst "$d" proto udp sport 40000 dport 5060)
			mark_of gen g0 "$N" -s "$s" -d "$d" -p 5060 -S 40000
			want=$(explain_mark dut src "$s" dst "$d" proto udp sport 40000 dport 5060)
			[[ $before == "$want" ]] && break
		done
		expect_eq "$1: $s -> $d: the class explain gives" "$MARK" "$want"
	done
}

setops()
{
	ctl dut set add d fd00:42:d::/48 198.18.42.6/32 >/dev/null &&
	ctl dut set add b 198.18.42.4 fd00:42:b::1 timeout 8 >/dev/null &&
	ctl dut set add a fd00:42:a::/64 198.18.42.5 timeout 8 >/dev/null &&
	ctl dut set add c 198.18.42.5 >/dev/null
}

for mode in xdp tc; do
	daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd-$mode.log" "$FLOWTAGD_ASAN" ||
		{ not_ok "start"; finish; }
	ok "flowtagd (ASan) starts with four dynamic sets ($mode)"
	if [[ $mode == tc ]]; then
		kill -QUIT "$DAEMON_PID"
		wait "$DAEMON_PID"
		bpftool link detach pinned "$PIN/xdp_link_d0" 2>/dev/null ||
			ip -n "$(ns dut)" link set dev d0 xdp off
	fi
	verify "$mode, empty sets"
	added=$(date +%s.%N)
	setops
	expect_eq "$mode: set add with and without timeouts: exit status 0" "$?" 0
	verify "$mode, after set add"
	ctl dut set del d fd00:42:d::/48 >/dev/null
	verify "$mode, after set del"
	# the timed elements went 8 s after the add: wait until then
	sleep "$(awk -v a="$added" -v n="$(date +%s.%N)" 'BEGIN { w = a + 8.5 - n; print (w > 0 ? w : 0) }')"
	verify "$mode, after the timeouts"
	if [[ $mode == xdp ]]; then
		daemon_stop "$DAEMON_PID"
		check "no ASan/UBSan report" asan_clean "$TMP/flowtagd-$mode.log"
	else
		nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" \
			>/dev/null 2>&1
	fi
done
check "--cleanup left nothing" nothing_left dut d0
finish
