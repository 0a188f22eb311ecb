#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# The netfilter consumers of flowtag's mark, for real, with the shipped
# recipes run as they are: iptables (Debian's iptables-nft, and
# iptables-legacy where the kernel has x_tables) and nftables side by side
# count the classes (etc/examples/iptables-mark.sh, nftables-mark.nft);
# `ip rule fwmark` routes the voice class over path B, seen in iptables and
# nftables FORWARD counters; and the replies of a classified upload get
# their flow's class through the conntrack mark, with iptables CONNMARK
# (iptables-mark.sh, CONNMARK=1) and with nftables (conntrack-class.nft):
# counted in that class in both directions, and shaped in its HTB class on
# the LAN side.
#
#   cli c0 --- r0 rtr r1 ---(path A)--- s1 srv    r0: flowtag (LAN), HTB
#                     r2 ---(path B)--- s2        service 198.18.49.9
source "$(dirname "$0")/lib.sh"
need_root
SRC=${FLOWTAG_SRCDIR:-.}
EX=$SRC/etc/examples

ns_add cli; ns_add rtr; ns_add srv
veth cli c0 198.18.40.1/24 rtr r0 198.18.40.254/24
veth rtr r1 198.18.41.254/24 srv s1 198.18.41.1/24
veth rtr r2 198.18.42.254/24 srv s2 198.18.42.1/24
ip -n "$(ns srv)" addr add 198.18.49.9/32 dev lo
ip -n "$(ns cli)" route add default via 198.18.40.254
ip -n "$(ns srv)" route add 198.18.40.0/24 via 198.18.41.254
ip -n "$(ns rtr)" route add 198.18.49.9/32 via 198.18.41.1
ip -n "$(ns rtr)" route add 198.18.49.9/32 via 198.18.42.1 table 100
ip -n "$(ns rtr)" rule add fwmark 0x100/0xff00 lookup 100 pref 100
reach cli 198.18.49.9

# the classes and marks of the shipped flowtag.conf, which the recipes name
cat >"$TMP/p.conf" <<'CONF'
interfaces = (
  { name = "r0"; egress_shaping = { rate = "100mbit"; leaf = "pfifo"; default_class = "default"; }; }
);
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";       mark = 0x100; priority = "1:10"; },
  { name = "video";       mark = 0x200; priority = "1:20"; },
  { name = "interactive"; mark = 0x300; priority = "1:30"; },
  { name = "bulk";        mark = 0x400; priority = "1:50"; },
  { name = "default";     mark = 0x500; priority = "1:40"; }
);
rules = (
  { match = { proto = "udp"; dport = 5060; }; class = "voice"; },
  { match = { proto = "udp"; dport = 3478; }; class = "video"; },
  { match = { proto = "tcp"; dport = 873; };  class = "bulk"; }
);
default_class = "default";
CONF
daemon_start rtr "$TMP/p.conf" "$TMP/d.log" || { not_ok "start"; finish; }
ok "flowtagd classifies the LAN side r0"

# ipt_count IPT TABLE CHAIN COMMENT: packets of the rule with COMMENT
ipt_count()
{
	in_ns rtr "$1" -t "$2" -L "$3" -v -n -x 2>/dev/null |
		awk -v c="/* $4 */" 'index($0, c) { print $1; exit }'
}

# --- counting: the shipped recipes, iptables and nftables side by side ----
sed -e 's/^define WAN = .*/define WAN = "r1"/' -e 's/^define LAN = .*/define LAN = "r0"/' \
	"$EX/nftables-mark.nft" >"$TMP/mark.nft"
check "nftables-mark.nft loads" in_ns rtr nft -f "$TMP/mark.nft"
check "iptables-mark.sh up (iptables $(in_ns rtr iptables -V | sed 's/.*(\(.*\))/\1/'))" \
	bash -c "ip netns exec $(ns rtr) sh '$EX/iptables-mark.sh' up r1 r0 >/dev/null"
LEGACY=
if in_ns rtr iptables-legacy -t mangle -L -n >/dev/null 2>&1; then
	if IPTABLES=iptables-legacy IP6TABLES=ip6tables-legacy \
		in_ns rtr sh "$EX/iptables-mark.sh" up r1 r0 >/dev/null 2>&1; then
		LEGACY=iptables-legacy
		ok "iptables-mark.sh up with iptables-legacy too (x_tables works on $(uname -r))"
	else
		not_ok "iptables-mark.sh up with iptables-legacy"
	fi
fi
# where the classes leave the router: path A (r1) or B (r2), per back end
for ipt in iptables $LEGACY; do
	for c in voice:0x100 video:0x200; do
		for o in r1 r2; do
			in_ns rtr "$ipt" -A FORWARD -o "$o" -m mark --mark "${c#*:}/0xff00" \
				-m comment --comment "${c%%:*}-$o"
		done
	done
done
in_ns rtr nft -f - <<'NFT'
table inet test_paths {
	chain forward {
		type filter hook forward priority filter; policy accept;
		oifname "r1" meta mark & 0xff00 == 0x100 counter comment "voice-r1"
		oifname "r2" meta mark & 0xff00 == 0x100 counter comment "voice-r2"
		oifname "r1" meta mark & 0xff00 == 0x200 counter comment "video-r1"
		oifname "r2" meta mark & 0xff00 == 0x200 counter comment "video-r2"
	}
}
NFT
in_ns srv nft -f - <<'NFT'
table inet test_arrival {
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "s1" udp dport 5060 counter comment "voice-s1"
		iifname "s2" udp dport 5060 counter comment "voice-s2"
	}
}
NFT

send cli -d 198.18.49.9 -p 5060 -u -n 50 -r 500
send cli -d 198.18.49.9 -p 3478 -u -n 40 -r 500
send cli -d 198.18.49.9 -p 7777 -u -n 30 -r 500
sleep 0.5

for ipt in iptables $LEGACY; do
	expect_eq "$ipt mangle: 'flowtag voice' (--mark 0x100/0xff00) counted the 50 voice packets" \
		"$(ipt_count "$ipt" mangle FLOWTAG_CLASS 'flowtag voice')" 50
	expect_eq "$ipt mangle: 'flowtag video' counted the 40 video packets" \
		"$(ipt_count "$ipt" mangle FLOWTAG_CLASS 'flowtag video')" 40
	d=$(ipt_count "$ipt" mangle FLOWTAG_CLASS 'flowtag default')
	check "$ipt mangle: 'flowtag default' counted the 30 unclassified ($d)" test "${d:-0}" -ge 30
	expect_eq "$ipt: voice left by path B (r2)" "$(ipt_count "$ipt" filter FORWARD voice-r2)" 50
	expect_eq "$ipt: no voice by path A (r1)" "$(ipt_count "$ipt" filter FORWARD voice-r1)" 0
	expect_eq "$ipt: video left by path A (r1)" "$(ipt_count "$ipt" filter FORWARD video-r1)" 40
done
# nftc NAME: packets of nftables-mark.nft's named counter NAME
nftc() { in_ns rtr nft list counter inet flowtag_classes "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
expect_eq "nftables: counter voice (meta mark & 0xff00 == 0x100)" "$(nftc voice)" 50
expect_eq "nftables: counter video" "$(nftc video)" 40
expect_eq "nftables: voice left by path B (r2)" "$(nft_count rtr inet test_paths voice-r2)" 50
expect_eq "nftables: no voice by path A" "$(nft_count rtr inet test_paths voice-r1)" 0
expect_eq "nftables: video by path A" "$(nft_count rtr inet test_paths video-r1)" 40
expect_eq "the server received the voice on s2 (ip rule fwmark 0x100/0xff00)" \
	"$(nft_count srv inet test_arrival voice-s2)" 50
expect_eq "and none on s1" "$(nft_count srv inet test_arrival voice-s1)" 0
if [[ -z $LEGACY ]]; then
	skip "iptables-legacy counts the classes" "iptables-legacy does not work on this kernel ($(uname -r)): no x_tables"
fi

# --- replies in the class of their flow, through conntrack ----------------
FTSINK=$FT_BUILD/tests/ftsink
in_ns srv "$FTSINK" -t 873 -T 30 >/dev/null 2>&1 &
T_PIDS+=("$!")
sleep 0.3

# upload SECONDS: a bulk TCP upload cli -> srv:873 (its ACKs are the replies)
upload()
{
	in_ns cli "$FTSEND" -d 198.18.49.9 -p 873 -c -n 0 -T "$1" -l 1400 >/dev/null 2>&1
}
# reply_rules IPT: per direction, the bulk connection's packets by class
reply_rules()
{
	in_ns rtr "$1" -t mangle -A FORWARD -i r0 -p tcp --dport 873 -m mark --mark 0x400/0xff00 \
		-m comment --comment bulk-up
	in_ns rtr "$1" -t mangle -A FORWARD -i r1 -p tcp --sport 873 -m mark --mark 0x400/0xff00 \
		-m comment --comment bulk-down
	in_ns rtr "$1" -t mangle -A FORWARD -i r1 -p tcp --sport 873 -m mark ! --mark 0x400/0xff00 \
		-m comment --comment other-down
}
htb_pkts() { tc -n "$(ns rtr)" -s class show dev r0 classid "$1" | sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p'; }

# replies_round WHAT COUNT: a 2 s upload, then its packets per direction and
# class from COUNT NAME (bulk-up, bulk-down, other-down) and bulk's HTB
# class on r0; sets UP and DOWN
replies_round()
{
	local what=$1 count=$2 h0 h1 other
	h0=$(htb_pkts 1:50)
	upload 2
	UP=$($count bulk-up)
	DOWN=$($count bulk-down)
	other=$($count other-down)
	h1=$(htb_pkts 1:50)
	diag "$what: upload $UP packets as bulk, replies $DOWN as bulk, $other otherwise; HTB 1:50 on r0 +$((h1 - h0))"
	check "$what: the upload counted as bulk ($UP packets)" test "${UP:-0}" -gt 100
	check "$what: its replies from the WAN counted as bulk too ($DOWN packets)" \
		test "${DOWN:-0}" -gt 50
	expect_eq "$what: no reply in another class" "$other" 0
	check "$what: the replies shaped in bulk's HTB class 1:50 on r0 ($((h1 - h0)) >= $DOWN)" \
		test $((h1 - h0)) -ge "${DOWN:-1}"
}
ipt_replies() { ipt_count iptables mangle FORWARD "$1"; }
nft_replies() { nft_count rtr inet test_replies "$1"; }

# iptables CONNMARK (the nft back end), the recipe as shipped
in_ns rtr sh "$EX/iptables-mark.sh" down r1 r0 >/dev/null 2>&1
check "CONNMARK=1 iptables-mark.sh up" \
	bash -c "CONNMARK=1 ip netns exec $(ns rtr) sh '$EX/iptables-mark.sh' up r1 r0 >/dev/null"
reply_rules iptables
replies_round "iptables CONNMARK" ipt_replies
r=$(ipt_count iptables mangle FLOWTAG_CLASS 'flowtag bulk')
check "iptables-mark.sh's own 'flowtag bulk' counter has both directions ($r >= $UP + $DOWN)" \
	test "${r:-0}" -ge $((UP + DOWN))
in_ns rtr sh "$EX/iptables-mark.sh" down r1 r0 >/dev/null 2>&1
in_ns rtr iptables -t mangle -F FORWARD

# nftables: conntrack-class.nft as shipped
check "conntrack-class.nft loads" in_ns rtr nft -f "$EX/conntrack-class.nft"
in_ns rtr nft -f - <<'NFT'
table inet test_replies {
	chain forward {
		type filter hook forward priority mangle; policy accept;
		iifname "r0" tcp dport 873 meta mark & 0xff00 == 0x400 counter comment "bulk-up"
		iifname "r1" tcp sport 873 meta mark & 0xff00 == 0x400 counter comment "bulk-down"
		iifname "r1" tcp sport 873 meta mark & 0xff00 != 0x400 counter comment "other-down"
	}
}
NFT
replies_round "nftables ct mark" nft_replies

# and without either recipe the replies stay untagged: the recipes did it
in_ns rtr nft delete table inet flowtag_conntrack
in_ns rtr nft reset counters table inet test_replies >/dev/null 2>&1 ||
	in_ns rtr nft flush table inet test_replies
in_ns rtr nft -f - <<'NFT'
table inet test_replies {
	chain forward {
		iifname "r1" tcp sport 873 meta mark & 0xff00 == 0 counter comment "untagged-down"
		iifname "r1" tcp sport 873 meta mark & 0xff00 != 0 counter comment "tagged-down"
	}
}
NFT
upload 2
u=$(nft_count rtr inet test_replies untagged-down)
t=$(nft_count rtr inet test_replies tagged-down)
# under qemu's CPU emulation a 2 s upload may see only a few replies: the
# assertion is that there are some, and that none is tagged
check "without a recipe the replies arrive untagged ($u packets)" test "${u:-0}" -gt 0
expect_eq "without a recipe no reply is tagged" "${t:-0}" 0

daemon_stop "$DAEMON_PID"
expect_eq "SIGTERM: exit status 0" "$?" 0
check "nothing of ours left on r0" nothing_left rtr r0
finish
