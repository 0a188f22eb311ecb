# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Shared by the shaping tests (test_shaping.sh: egress HTB on the router's
# uplink; test_ingress_shaping.sh: the download through an IFB device): a
# bulk TCP transfer and a 100 packets/s voice stream at once, HTB class
# statistics as tc shows them, and the check of a measured rate against a
# ceil. Source after lib.sh.

FTSINK=$FT_BUILD/tests/ftsink

# class_stat NS DEV CLASSID FIELD: "bytes", "pkts", "dropped" or "ceil" of
# an HTB class, as tc -s class shows it
class_stat()
{
	tc -n "$(ns "$1")" -s class show dev "$2" classid "$3" | tr -s ' \n' ' ' |
		case $4 in
		bytes) sed -n 's/.* Sent \([0-9]*\) bytes.*/\1/p' ;;
		pkts) sed -n 's/.* Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' ;;
		dropped) sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' ;;
		ceil) sed -n 's/.* ceil \([0-9A-Za-z]*\) .*/\1/p' ;;
		esac
}

# transfer FROM TO ADDR SECONDS: bulk TCP to ADDR:873 and voice UDP to
# ADDR:5060 (100/s, 160 bytes) from namespace FROM, received in TO; sets
# MBIT (the bulk rate TO received) and VOICE_SENT
transfer()
{
	local from=$1 to=$2 addr=$3 secs=$4
	in_ns "$to" "$FTSINK" -t 873 -u 5060 -T $((secs + 3)) >"$TMP/sink.out" 2>&1 &
	local sink=$!
	T_PIDS+=("$sink")
	sleep 0.5
	in_ns "$from" "$FTSEND" -d "$addr" -p 5060 -u -n $((secs * 100)) -r 100 -l 160 \
		>"$TMP/voice.out" &
	local voice=$!
	in_ns "$from" "$FTSEND" -d "$addr" -p 873 -c -n 0 -T "$secs" -l 1400 >/dev/null 2>&1
	wait "$voice"
	VOICE_SENT=$(sed -n 's/^sent //p' "$TMP/voice.out")
	wait "$sink"
	MBIT=$(sed -n 's/^tcp 873 [0-9]* bytes [0-9.]* s \([0-9.]*\) Mbit\/s/\1/p' "$TMP/sink.out")
}

# within VALUE LO HI
within()
{
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'
}

# check_ceil CEIL_MBIT [TRANSFER_ARGS...]: the bulk rate just measured (MBIT)
# holds CEIL within 10 %. A rate below that is measured once more with
# transfer TRANSFER_ARGS (the ones that gave it) before it fails: one TCP
# retransmission timeout (200 ms and more) in a 5 s transfer costs a tenth
# of it, and one run of make check measured 4.40 Mbit/s at an 8 Mbit/s
# ceil where every other run measured 7.2-7.7; above the ceil fails at
# once (shaping is what is tested). Where this machine cannot carry 1.5 times the ceil (CAPACITY,
# measured first), or its CPU is emulated (FT_VM_ACCEL=tcg in the kernel VM:
# HTB's timers fire late there, measured at 50-60 % of a 4 Mbit/s ceil with
# a 7 Mbit/s path), only the upper bound can be checked, and the test name
# says so.
check_ceil()
{
	local ceil=$1 lo hi
	shift
	lo=$(awk -v c="$ceil" 'BEGIN { print c * 0.9 }')
	hi=$(awk -v c="$ceil" 'BEGIN { print c * 1.1 }')
	if [[ ${FT_VM_ACCEL:-} == tcg ]]; then
		check "bulk TCP stays under its $ceil Mbit/s ceil + 10 % ($MBIT Mbit/s; emulated CPU: no lower bound)" \
			within "$MBIT" 0.1 "$hi"
	elif awk -v cap="$CAPACITY" -v c="$ceil" 'BEGIN { exit !(cap >= 1.5 * c) }'; then
		if (($# > 0)) && ! within "$MBIT" "$lo" 1000000; then
			diag "bulk at ceil $ceil Mbit/s: $MBIT Mbit/s, below $lo: measured once more"
			transfer "$@"
		fi
		check "bulk TCP holds its $ceil Mbit/s ceil within 10 % ($MBIT Mbit/s)" \
			within "$MBIT" "$lo" "$hi"
	else
		check "bulk TCP stays under its $ceil Mbit/s ceil + 10 % ($MBIT Mbit/s; unshaped capacity here only $CAPACITY Mbit/s)" \
			within "$MBIT" 0.1 "$hi"
	fi
}

# pick_leaf NS DEV: sets LEAF to fq_codel (or FT_SHAPING_LEAF) where the
# kernel has it, else pfifo (some kernels are built without fq_codel;
# flowtagd must then say so), probed on a device of the test's own
pick_leaf()
{
	LEAF=${FT_SHAPING_LEAF:-fq_codel}
	if ! tc -n "$(ns "$1")" qdisc replace dev "$2" root "$LEAF" 2>/dev/null; then
		LEAF=pfifo
		diag "this kernel has no fq_codel: the tree uses pfifo leaves"
	fi
	tc -n "$(ns "$1")" qdisc del dev "$2" root 2>/dev/null
}

# pick_missing_leaf NS DEV: sets MISSING to a leaf qdisc of the policy
# language this kernel lacks (cake on kernels built without sch_cake, then
# sfq, fq_codel), probed on a device of the test's own; empty when the
# kernel has them all
pick_missing_leaf()
{
	local k
	MISSING=
	for k in cake sfq fq_codel; do
		if ! tc -n "$(ns "$1")" qdisc replace dev "$2" root "$k" 2>/dev/null; then
			MISSING=$k
			break
		fi
	done
	tc -n "$(ns "$1")" qdisc del dev "$2" root 2>/dev/null
	return 0
}

# reload_missing_leaf: the test's policy (its own policy(), 8mbit) reloaded
# on rtr with a leaf qdisc this kernel lacks (pick_missing_leaf, probed on
# srv's s0), LEAF0 keeping the test's LEAF; the reload must exit 1 and say
# INCOMPLETE naming r1 and the missing qdisc. Returns 1 (a skip said) when
# the kernel has every leaf kind, else 0: the caller checks the rest.
reload_missing_leaf()
{
	pick_missing_leaf srv s0
	if [[ -z $MISSING ]]; then
		skip "reload to a leaf qdisc the kernel lacks" "this kernel has cake, sfq and fq_codel"
		return 1
	fi
	diag "a leaf qdisc this kernel lacks: $MISSING"
	LEAF0=$LEAF
	LEAF=$MISSING policy 8mbit >"$TMP/p.conf"
	ctl rtr reload >"$TMP/rl" 2>&1
	expect_eq "reload with leaf $MISSING: exit 1" "$?" 1
	sed 's/^/# /' "$TMP/rl"
	check "reload says INCOMPLETE, names r1 and the missing $MISSING qdisc" \
		bash -c "grep -q '^reload INCOMPLETE' '$TMP/rl' &&
			 grep -q 'r1: .*this kernel has no $MISSING qdisc' '$TMP/rl'"
	return 0
}

# iface_status NS IFACE: "STATE|REASONS" of IFACE's row in status -j, the
# reasons joined by " / "
iface_status()
{
	ctl "$1" -j status | python3 -c 'import json,sys
d = json.load(sys.stdin)
r = [i for i in d["interfaces"] if i["name"] == sys.argv[1]]
print(r[0]["state"] + "|" + " / ".join(r[0]["reasons"]) if r else "none|")' "$2"
}

# shaping_policy SHAPING_KEY BULK_CEIL: r0 classifies, r1 shapes with
# SHAPING_KEY (egress_shaping or ingress_shaping) at 20mbit; voice (UDP
# 5060) guaranteed 2mbit, bulk (TCP 873) ceiled at BULK_CEIL, default the rest
shaping_policy()
{
	cat <<CONF
interfaces = (
  { name = "r0"; },
  { name = "r1"; $1 = { rate = "20mbit"; default_class = "default"; leaf = "$LEAF"; }; }
);
mark_mask = 0x0000ff00;
classes = (
  { name = "voice";   mark = 0x100; priority = "1:10"; rate = "2mbit"; },
  { name = "bulk";    mark = 0x200; priority = "1:20"; ceil = "$2"; },
  { name = "default"; mark = 0x300; priority = "1:30"; }
);
rules = (
  { match = { proto = "udp"; dport = 5060; }; class = "voice"; },
  { match = { proto = "tcp"; dport = 873; };  class = "bulk"; }
);
default_class = "default";
CONF
}

# check_refused NAME NS CONF LOG: flowtagd must refuse to start on CONF
check_refused()
{
	if daemon_start "$2" "$3" "$4" 2>/dev/null; then
		not_ok "$1"
		daemon_stop "$DAEMON_PID"
	else
		ok "$1"
	fi
}
