#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Lifecycle details: systemd notifications (READY/RELOADING/STOPPING),
# interfaces added and removed by a reload, generic XDP mode, a --metrics
# file that node_exporter would not read, a jumbo MTU that needs the
# xdp.frags program, and daemon mode (no -f).
#
#   gen g0 ---- d0 dut      (d1/g1 join later through a reload)
#
# Test functions for runner.sh, each on a fresh pair of namespaces.

. "$(dirname "$0")/runner.sh"

policy()
{
	# policy FILE IFACES...: each iface "name[:mode]"
	local file=$1 i name mode
	shift
	{
		echo "interfaces = ("
		for i in "$@"; do
			name=${i%%:*}
			mode=auto
			[[ $i == *:* ]] && mode=${i#*:}
			echo "  { name = \"$name\"; xdp_mode = \"$mode\"; },"
		done | sed '$ s/,$//'
		echo ");"
		cat <<'EOF'
mark_mask = 0x0000ff00;
classes = ( { name = "voice"; mark = 0x100; priority = "1:10"; },
            { name = "default"; mark = 0x400; } );
rules = ( { match = { proto = "udp"; dport = 5060; }; class = "voice"; } );
default_class = "default";
EOF
	} >"$file"
}

# each test function starts from the two namespaces, the counters and a
# policy for d0
setup()
{
	ns_add gen && ns_add dut &&
		veth gen g0 198.18.7.1/24 dut d0 198.18.7.2/24 fd00:7::1/64 fd00:7::2/64 &&
		veth gen g1 198.18.8.1/24 dut d1 198.18.8.2/24 fd00:8::1/64 fd00:8::2/64 || return 1
	in_ns dut nft -f - <<'EOF'
table inet ft {
  chain in {
    type filter hook input priority 0;
    iifname "d0" udp dport 5060 meta mark & 0xff00 == 0x100 counter comment "d0-voice"
    iifname "d1" udp dport 5060 meta mark & 0xff00 == 0x100 counter comment "d1-voice"
    iifname "d0" udp dport 5060 udp length > 8000 meta mark & 0xff00 == 0x100 counter comment "jumbo"
  }
}
EOF
	policy "$TMP/policy.conf" d0
}

# systemd notifications, Prometheus metrics; an interface joins through a
# reload and leaves through another
test_notify_metrics_reload()
{
	# the stand-in must outlive the whole test, also in the slow kernel VM
	# (it stopped after 60 s there, before STOPPING=1); the trap ends it
	"$FT_BUILD/tests/ftnotify" "$TMP/notify.sock" 900 >"$TMP/notify.out" &
	T_PIDS+=($!)
	NOTIFY=$!
	sleep 0.2
	NOTIFY_SOCKET=$TMP/notify.sock daemon_start dut "$TMP/policy.conf" "$TMP/d1.log" "" \
		--metrics "$TMP/flowtag.prom" --metrics-interval 1 || { not_ok "start"; finish; }
	check "READY=1 with a STATUS line" wait_log "$TMP/notify.out" "^READY=1|STATUS=generation 1" 5
	reach gen 198.18.7.2
	send gen -d 198.18.7.2 -p 5060 -n 7
	check "metrics: voice packets in the .prom file" \
		wait_log "$TMP/flowtag.prom" '^flowtag_class_packets_total{class="voice"} 7$' 5
	# the voice rule (line 7 of the file policy() writes for one
	# interface) carries all 7: the counter the class total was summed from
	check "metrics: the voice rule's line, from the same read as the class" \
		grep -q "^flowtag_rule_packets_total{rule=\"0\",line=\"7\",file=\"$TMP/policy.conf\",action=\"[a-z]*\"} 7\$" "$TMP/flowtag.prom"
	check "metrics: hand-off counters in the .prom file" \
		grep -q '^flowtag_datapath_total{counter="meta_written"} [1-9]' "$TMP/flowtag.prom"
	check "metrics: no temporary file left" bash -c "[[ ! -e '$TMP/flowtag.prom.tmp' ]]"
	check "metrics: a .prom name is not warned about" \
		bash -c "! grep -q 'textfile collector reads only' '$TMP/d1.log'"

	# --- an interface joins through a reload -------------------------------
	reach gen 198.18.7.2
	send gen -d 198.18.8.2 -p 5060 -n 5
	policy "$TMP/policy.conf" d0 d1:generic
	kill -HUP "$DAEMON_PID"
	check "RELOADING=1 sent on SIGHUP" wait_log "$TMP/notify.out" "^RELOADING=1" 5
	check "READY=1 again after the reload" wait_log "$TMP/notify.out" "STATUS=generation 2" 5
	check "d1 attached by the reload, in generic mode" \
		wait_log "$TMP/d1.log" "d1: attached (ifindex [0-9]*, link ether, XDP generic" 5
	check "generic mode is warned about" grep -q "d1: XDP runs in GENERIC" "$TMP/d1.log"
	reach gen 198.18.8.2
	send gen -d 198.18.8.2 -p 5060 -n 5
	sleep 0.3
	expect_eq "before the reload d1 traffic was not classified; after it, it is" \
		"$(nft_count dut inet ft d1-voice)" 5
	if [[ -x $FTCTL ]]; then
		st=$(ctl dut status 2>&1)
		check "flowtagctl status shows d1 generic" grep -q "d1 .* generic" <<<"$st"
	fi

	# --- and leaves through another -----------------------------------------
	policy "$TMP/policy.conf" d0
	kill -HUP "$DAEMON_PID"
	check "d1 detached by the next reload" wait_log "$TMP/d1.log" "d1: detached" 5
	check "nothing of ours left on d1" \
		bash -c "! ip -n $(ns dut) link show d1 | grep -q prog/xdp &&
			 ! tc -n $(ns dut) filter show dev d1 ingress | grep -q ft_tc"
	check "d0 still attached" bash -c "ip -n $(ns dut) link show d0 | grep -q prog/xdp"

	daemon_stop "$DAEMON_PID"
	check "STOPPING=1 sent on SIGTERM" wait_log "$TMP/notify.out" "^STOPPING=1" 5
	check "nothing left" nothing_left dut d0
}

# jumbo frames: the xdp.frags program
# --metrics FILE whose name does not end in .prom: node_exporter's textfile
# collector would never read it. flowtagd starts, says so, and writes it.
test_metrics_not_prom()
{
	daemon_start dut "$TMP/policy.conf" "$TMP/d.log" "" --metrics "$TMP/flowtag.txt" \
		--metrics-interval 1 || { not_ok "start with --metrics flowtag.txt"; return; }
	ok "--metrics flowtag.txt: started all the same"
	check "warned at start: the textfile collector reads only *.prom" \
		grep -q "warning: --metrics $TMP/flowtag.txt: node_exporter's textfile collector reads only files whose names end in .prom" \
		"$TMP/d.log"
	check "the file is written all the same" \
		wait_log "$TMP/flowtag.txt" '^flowtag_datapath_total{counter="meta_written"}' 5
}

test_jumbo_frags()
{
	ip -n "$(ns gen)" link set g0 mtu 9000
	ip -n "$(ns dut)" link set d0 mtu 9000
	daemon_start dut "$TMP/policy.conf" "$TMP/d2.log" || { not_ok "start with MTU 9000"; finish; }
	check "MTU 9000 selects the xdp.frags program" grep -q "using the xdp.frags program" "$TMP/d2.log"
	check "ft_xdp_frags is what is attached" \
		bash -c "ip -n $(ns dut) link show d0 | grep -q 'name ft_xdp_frags'"
	reach gen 198.18.7.2
	send gen -d 198.18.7.2 -p 5060 -l 8500 -n 5
	sleep 0.3
	expect_eq "8500-byte datagrams classified (voice)" "$(nft_count dut inet ft jumbo)" 5
	daemon_stop "$DAEMON_PID"
	check "nothing left after the frags run" nothing_left dut d0
	ip -n "$(ns gen)" link set g0 mtu 1500
	ip -n "$(ns dut)" link set d0 mtu 1500
}

# The MTU raised above one page while flowtagd runs the plain program: the
# reload attaches the xdp.frags program afresh, not by a swap inside the
# link, so the driver sees it (veth raises its peer's max_mtu only when XDP
# is attached): the peer can then take jumbo frames too.
test_jumbo_reload()
{
	daemon_start dut "$TMP/policy.conf" "$TMP/d4.log" || { not_ok "start with MTU 1500"; finish; }
	check "MTU 1500: the plain program" \
		bash -c "ip -n $(ns dut) link show d0 | grep -q 'name ft_xdp '"
	ip -n "$(ns dut)" link set d0 mtu 9000
	ctl dut reload >"$TMP/rl4" 2>&1
	expect_eq "reload after the MTU change: exit 0" "$?" 0
	check "the reload re-attaches with the xdp.frags program" \
		grep -q "d0: MTU above one page: re-attaching XDP with the xdp.frags program" "$TMP/d4.log"
	check "ft_xdp_frags is what is attached" \
		bash -c "ip -n $(ns dut) link show d0 | grep -q 'name ft_xdp_frags'"
	check "the peer's MTU can go to 9000 now" ip -n "$(ns gen)" link set g0 mtu 9000
	before=$(nft_count dut inet ft jumbo)
	send gen -d 198.18.7.2 -p 5060 -l 8500 -n 5
	sleep 0.3
	expect_eq "8500-byte datagrams classified (voice)" \
		"$(($(nft_count dut inet ft jumbo) - before))" 5
	ctl dut status >/dev/null 2>&1
	expect_eq "status: ok" "$?" 0
	daemon_stop "$DAEMON_PID"
	check "nothing left after the re-attach" nothing_left dut d0
	ip -n "$(ns gen)" link set g0 mtu 1500
	ip -n "$(ns dut)" link set d0 mtu 1500
}

# daemon mode: forks, logs to syslog, stops on SIGTERM
test_daemon_mode()
{
	nsenter --net=/run/netns/"$(ns dut)" "$FLOWTAGD" -c "$TMP/policy.conf" --pin-dir "$PIN" \
		>"$TMP/d3.log" 2>&1
	expect_eq "without -f the starting process exits 0 once attached" "$?" 0
	pid=
	for _ in $(seq 50); do
		pid=$(pgrep -f "flowtagd -c $TMP/policy.conf" | head -n1)
		[[ -n $pid ]] && break
		sleep 0.1
	done
	check "a background flowtagd is running" bash -c "[[ -n '$pid' ]]"
	if [[ -n $pid ]]; then
		T_PIDS+=("$pid")
		check "it is attached" bash -c "ip -n $(ns dut) link show d0 | grep -q prog/xdp"
		if [[ -x $FTCTL ]]; then
			st=$(ctl dut status 2>&1)
			check "flowtagctl sees its pid" grep -q "^pid: *$pid$" <<<"$st"
		fi
		kill -TERM "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		check "it stopped on SIGTERM" bash -c "! kill -0 $pid 2>/dev/null"
		check "and left nothing" nothing_left dut d0
	fi
}

run_tests "$@"
