#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# The consumers of the tag on a router: `ip rule fwmark` sends the voice
# class over a second path, and HTB on the egress interface shapes by the
# priority flowtag's egress program restores from the mark (IPv4 forwarding
# overwrote the ingress priority: ip_forward_update_priority = 1).
#
#   client c0 --- r0 router r1 ---(path A)--- s1 server
#                          r2 ---(path B)--- s2   (service 198.18.9.9, fd00:9::9)

. "$(dirname "$0")/lib.sh"
need_root

ns_add cli
ns_add rtr
ns_add srv
veth cli c0 198.18.2.1/24 rtr r0 198.18.2.254/24 fd00:2::1/64 fd00:2::fe/64
veth rtr r1 198.18.3.254/24 srv s1 198.18.3.1/24 fd00:3::fe/64 fd00:3::1/64
veth rtr r2 198.18.4.254/24 srv s2 198.18.4.1/24 fd00:4::fe/64 fd00:4::1/64
ip -n "$(ns srv)" addr add 198.18.9.9/32 dev lo
ip -n "$(ns srv)" addr add fd00:9::9/128 dev lo
ip -n "$(ns cli)" route add default via 198.18.2.254
ip -n "$(ns cli)" -6 route add default via fd00:2::fe
ip -n "$(ns srv)" route add 198.18.2.0/24 via 198.18.3.254
ip -n "$(ns srv)" -6 route add fd00:2::/64 via fd00:3::fe
# main table: path A; table 100: path B, for the voice mark
ip -n "$(ns rtr)" route add 198.18.9.9/32 via 198.18.3.1
ip -n "$(ns rtr)" -6 route add fd00:9::9/128 via fd00:3::1
ip -n "$(ns rtr)" route add 198.18.9.9/32 via 198.18.4.1 table 100
ip -n "$(ns rtr)" -6 route add fd00:9::9/128 via fd00:4::1 table 100
ip -n "$(ns rtr)" rule add fwmark 0x100/0xff00 lookup 100 pref 100
ip -n "$(ns rtr)" -6 rule add fwmark 0x100/0xff00 lookup 100 pref 100
# the default this test is about
in_ns rtr sysctl -qw net.ipv4.ip_forward_update_priority=1

# HTB on path A: one class per flowtag priority, unclassified to 1:40
tc -n "$(ns rtr)" qdisc add dev r1 root handle 1: htb default 40
tc -n "$(ns rtr)" class add dev r1 parent 1: classid 1:1 htb rate 100mbit quantum 1514
for c in 20 30 40; do
	tc -n "$(ns rtr)" class add dev r1 parent 1:1 classid 1:$c htb rate 10mbit ceil 100mbit quantum 1514
done

cat >"$TMP/policy.conf" <<'EOF'
interfaces = (
  { name = "r0"; },
  { name = "r1"; egress_restore = true; },
  { name = "r2"; egress_restore = true; }
);
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";       mark = 0x100; priority = "1:10"; },
  { name = "interactive"; mark = 0x200; priority = "1:20"; },
  { name = "bulk";        mark = 0x300; priority = "1:30"; },
  { name = "default";     mark = 0x400; priority = "1:40"; }
);
rules = (
  { match = { proto = "udp"; dport = "5060-5061"; }; class = "voice"; },
  { match = { proto = "tcp"; dport = 22; };          class = "interactive"; },
  { match = { proto = "udp"; dport = 9000; };        class = "bulk"; }
);
default_class = "default";
EOF

in_ns srv nft -f - <<'EOF'
table inet ft {
  chain in {
    type filter hook input priority 0;
    iifname "s1" udp dport 5060 counter comment "voiceA"
    iifname "s2" udp dport 5060 counter comment "voiceB"
    iifname "s1" udp dport 9000 counter comment "bulkA"
    iifname "s2" udp dport 9000 counter comment "bulkB"
    iifname "s1" udp dport 7777 counter comment "defaultA"
    iifname "s2" udp dport 7777 counter comment "defaultB"
  }
}
EOF

daemon_start rtr "$TMP/policy.conf" "$TMP/flowtagd.log" || { not_ok "start"; finish; }
ok "flowtagd starts on the router (r0 ingress, r1/r2 egress restore)"
check "no ip_forward_update_priority warning: egress restore is on" \
	bash -c "! grep -q ip_forward_update_priority '$TMP/flowtagd.log'"
check "egress filter attached on r1" \
	bash -c "tc -n $(ns rtr) filter show dev r1 egress | grep -q ft_tc_egress"

reach cli 198.18.9.9
reach cli fd00:9::9
send cli -d 198.18.9.9 -p 5060 -n 30
send cli -d fd00:9::9 -p 5060 -n 30
send cli -d 198.18.9.9 -p 9000 -n 40
send cli -d fd00:9::9 -p 9000 -n 40
send cli -d 198.18.9.9 -p 7777 -n 25
sleep 0.5

expect_eq "ip rule fwmark: voice (v4+v6) took path B" "$(nft_count srv inet ft voiceB)" 60
expect_eq "ip rule fwmark: no voice on path A" "$(nft_count srv inet ft voiceA)" 0
expect_eq "bulk (v4+v6) took the main path A" "$(nft_count srv inet ft bulkA)" 80
expect_eq "no bulk on path B" "$(nft_count srv inet ft bulkB)" 0
expect_eq "default took path A" "$(nft_count srv inet ft defaultA)" 25

# HTB class counters on r1: priority restored from the mark at egress
htb_pkts()
{
	tc -n "$(ns rtr)" -s class show dev r1 classid "$1" |
		sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -n1
}
b=$(htb_pkts 1:30)
d=$(htb_pkts 1:40)
check "HTB 1:30 (bulk) got the 80 bulk packets (got $b)" bash -c "[[ $b -ge 80 && $b -lt 90 ]]"
check "HTB 1:40 (default) got the 25 default packets, plus pings and neighbour discovery (got $d)" bash -c "[[ $d -ge 25 && $d -lt 60 ]]"

# another tool deletes the egress filter: flowtagd restores it (self-repair)
tc -n "$(ns rtr)" filter del dev r1 egress pref 0x7a6 handle 0xf7a6 bpf
sleep 1
b0=$(htb_pkts 1:30)
send cli -d 198.18.9.9 -p 9000 -n 40
sleep 0.3
expect_eq "egress filter deleted: restored within 1 s, bulk in 1:30 again" \
	"$(( $(htb_pkts 1:30) - b0 ))" 40

# control: without the egress program HTB sees the TOS-derived priority. A
# flowtagd that left (SIGQUIT) repairs nothing, so the deletion stays.
kill -QUIT "$DAEMON_PID"
wait "$DAEMON_PID"
expect_eq "SIGQUIT: exit status 0" "$?" 0
tc -n "$(ns rtr)" filter del dev r1 egress pref 0x7a6 handle 0xf7a6 bpf
b0=$(htb_pkts 1:30)
send cli -d 198.18.9.9 -p 9000 -n 40
sleep 0.3
expect_eq "control: without egress restore bulk is not in 1:30" "$(htb_pkts 1:30)" "$b0"

nsenter --net=/run/netns/"$(ns rtr)" "$FLOWTAGD" --cleanup --pin-dir "$PIN" >"$TMP/cleanup.log" 2>&1
expect_eq "--cleanup: exit status 0" "$?" 0
for i in r0 r1 r2; do
	check "nothing left on $i" nothing_left rtr $i
done
check "HTB qdisc untouched" bash -c "tc -n $(ns rtr) qdisc show dev r1 | grep -q htb"

finish
