#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# The Debian package under a real systemd: run by `make check-systemd` inside
# the VM that `tests/kernel/vm-run.sh -s` boots (systemd is PID 1, the root a
# throwaway overlay). Refuses to run anywhere else: it installs the package
# and starts the service for real.
#
#   tests/systemd/test_systemd.sh build/deb/flowtag_<version>_amd64.deb
#
# The daemon runs as the unit says, in the VM's own network namespace; its
# interface is one end of a veth pair whose other end is in a namespace
# (ftsd-gen) sending the test traffic. Each step prints "ok N - ..." or
# "not ok N - ..." (TAP); the last line is "N passed, N failed".

set -u
DEB=$(readlink -f "${1:?usage: $0 FLOWTAG.deb}")
FT_BUILD=${FT_BUILD:-build}
FTSEND=$(readlink -f "$FT_BUILD/tests/ftsend")
UNIT=flowtagd.service
CONF=/etc/flowtag/flowtag.conf
PIN=/sys/fs/bpf/flowtag
GEN=ftsd-gen
IF=ftsd0
TMP=$(mktemp -d /tmp/ftsd.XXXXXX)
T_N=0
T_PASS=0
T_FAIL=0
FAILED=()

ok() { T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); FAILED+=("$*"); echo "not ok $T_N - $*"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
expect_eq() { if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi; }
diag() { echo "# $*"; }

SENDER=
cleanup()
{
	[[ -n $SENDER ]] && kill "$SENDER" 2>/dev/null
	ip netns del "$GEN" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

if [[ $(cat /proc/1/comm) != systemd || ! -e /run/ftvm/cmd ]]; then
	echo "test_systemd.sh: runs only inside the VM of 'make check-systemd' (PID 1 must be systemd)"
	exit 2
fi
[[ -f $DEB && -x $FTSEND ]] || { echo "need $DEB and $FTSEND (make check-systemd builds them)"; exit 2; }

prop() { systemctl show -p "$1" --value "$UNIT"; }
mainpid() { prop MainPID; }
cursor() { journalctl -n0 --show-cursor -q 2>/dev/null | sed -n 's/^-- cursor: //p'; }
# journal of the unit (flowtagd's stderr and PID 1's messages) since CURSOR
journal_since() { journalctl --sync 2>/dev/null; journalctl -q -u "$UNIT" -o cat --no-pager ${1:+--after-cursor="$1"}; }
xdp_on() { ip link show dev "$IF" | grep -q 'prog/xdp'; }
tc_on() { tc filter show dev "$IF" ingress 2>/dev/null | grep -q ft_tc; }
wait_inactive()
{
	for _ in $(seq 300); do
		systemctl is-active --quiet "$UNIT" || return 0
		sleep 0.1
	done
	return 1
}
# count COMMENT: packets of the nft counter with COMMENT
count()
{
	nft list table inet ftsd | sed -n "s/.*counter packets \([0-9]*\) bytes [0-9]* comment \"$1\".*/\1/p"
}
send() { ip netns exec "$GEN" "$FTSEND" -d 198.18.7.1 "$@" >/dev/null; }
send_start() { ip netns exec "$GEN" "$FTSEND" -d 198.18.7.1 -n 0 "$@" >"$TMP/send.out" & SENDER=$!; }
send_stop() { kill -TERM "$SENDER"; wait "$SENDER"; SENDER=; }

# policy VOICE_CLASS: udp/5060 goes to VOICE_CLASS (voice = 0x100, bulk = 0x300)
policy()
{
	cat >"$CONF" <<POL
# test_systemd.sh
interfaces = ( { name = "$IF"; xdp_mode = "auto"; } );
mark_mask = 0x0000ff00;
classes = (
  { name = "voice"; mark = 0x100; priority = "1:10"; },
  { name = "bulk";  mark = 0x300; priority = "1:30"; }
);
rules = (
  { match = { proto = "udp"; dport = 5060; }; class = "$1"; }
);
POL
}

# ---- topology: $IF in the VM's namespace, its peer in $GEN ----
modprobe -q veth
ip netns add "$GEN"
ip link add "$IF" type veth peer name ftsd1 netns "$GEN"
ip addr add 198.18.7.1/24 dev "$IF"
ip link set "$IF" up
ip -n "$GEN" addr add 198.18.7.2/24 dev ftsd1
ip -n "$GEN" link set ftsd1 up
ip -n "$GEN" link set lo up
nft -f - <<'NFT'
table inet ftsd {
	chain in {
		type filter hook input priority 0;
		iifname "ftsd0" udp dport 5060 counter comment "all"
		iifname "ftsd0" udp dport 5060 meta mark & 0xff00 == 0x100 counter comment "voice"
		iifname "ftsd0" udp dport 5060 meta mark & 0xff00 == 0x300 counter comment "bulk"
	}
}
NFT
ping -c1 -W2 198.18.7.2 >/dev/null 2>&1 || diag "198.18.7.2 does not answer"

# ---- install ----
# man-db's trigger would re-index every man page of the 9p root (minutes
# under TCG); this throwaway root needs no index
rm -f /var/lib/man-db/auto-update
diag "systemd $(systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p') is PID 1"
check "dpkg -i $(basename "$DEB")" bash -c "dpkg -i '$DEB' >'$TMP/dpkg.log' 2>&1" ||
	sed 's/^/#   /' "$TMP/dpkg.log"
expect_eq "install: the service is not enabled" "$(systemctl is-enabled "$UNIT" 2>&1)" disabled
expect_eq "install: the service is not started" "$(systemctl is-active "$UNIT" 2>&1)" inactive
check "install: /etc/flowtag/flowtag.conf is a conffile" \
	grep -qx "$CONF" /var/lib/dpkg/info/flowtag.conffiles
check "install: the shipped policy validates" bash -c "/usr/sbin/flowtagd --check -c $CONF >/dev/null"

# ---- start: active only after READY=1 ----
policy voice
systemd-analyze log-level debug
c=$(cursor)
states=()
systemctl start --no-block "$UNIT"
attached_when_active=no
for _ in $(seq 600); do
	s=$(prop ActiveState)
	[[ ${#states[@]} -gt 0 && ${states[${#states[@]} - 1]} == "$s" ]] || states+=("$s")
	if [[ $s == active ]]; then
		xdp_on && tc_on && attached_when_active=yes
		break
	fi
	[[ $s == failed ]] && break
	sleep 0.05
done
diag "states seen after systemctl start: ${states[*]}"
j=$(journal_since "$c")
expect_eq "start: the unit is Type=notify" "$(prop Type)" notify
expect_eq "start: active (running)" "$(prop ActiveState) ($(prop SubState))" "active (running)"
check "start: passed through 'activating' before 'active'" \
	bash -c "[[ '${states[*]}' == *activating*active* ]]"
# PID 1's own debug log: the notification arrived, then start -> running
ready_line=$(printf '%s\n' "$j" | grep -n 'Got notification message.*READY=1' | head -1 | cut -d: -f1)
running_line=$(printf '%s\n' "$j" | grep -n 'Changed start -> running' | head -1 | cut -d: -f1)
check "start: systemd got READY=1 before it changed start -> running" \
	bash -c "[[ -n '$ready_line' && -n '$running_line' && $ready_line -lt $running_line ]]"
[[ -n $ready_line ]] || printf '%s\n' "$j" | tail -30 | sed 's/^/#   /'
expect_eq "start: XDP and tc attached by the time the unit was active" "$attached_when_active" yes
check "start: STATUS= from flowtagd" bash -c "[[ '$(prop StatusText)' == generation* ]]"
check "start: ExecStartPre ran flowtagd --check" \
	bash -c "printf '%s\n' \"\$0\" | grep -q 'valid: 1 rules'" "$j"
systemd-analyze log-level info

# ---- capabilities and sandboxing ----
pid=$(mainpid)
st=/proc/$pid/status
# CAP_NET_ADMIN (12), CAP_SYS_ADMIN (21), CAP_PERFMON (38), CAP_BPF (39)
want=000000c000201000
expect_eq "sandbox: bounding set is CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_ADMIN" \
	"$(awk '/^CapBnd/ { print $2 }' "$st")" "$want"
expect_eq "sandbox: effective set the same" "$(awk '/^CapEff/ { print $2 }' "$st")" "$want"
expect_eq "sandbox: NoNewPrivileges" "$(awk '/^NoNewPrivs/ { print $2 }' "$st")" 1
expect_eq "sandbox: seccomp filter (SystemCallArchitectures, MemoryDenyWriteExecute)" \
	"$(awk '/^Seccomp:/ { print $2 }' "$st")" 2
check "sandbox: a mount namespace of its own" \
	bash -c "[[ $(readlink /proc/$pid/ns/mnt) != $(readlink /proc/1/ns/mnt) ]]"
check "sandbox: / read-only for the service (ProtectSystem=strict)" \
	bash -c "! nsenter -t $pid -m touch /etc/flowtag/.probe 2>/dev/null"
# (bpffs holds pins and directories only, and refuses names with a dot)
check "sandbox: /sys/fs/bpf writable for the service" \
	bash -c "nsenter -t $pid -m mkdir $PIN/ftsdprobe && nsenter -t $pid -m rmdir $PIN/ftsdprobe"
check "sandbox: /home and /root hidden (ProtectHome)" \
	bash -c "touch /root/.ftsd-probe && ! nsenter -t $pid -m test -e /root/.ftsd-probe; rm -f /root/.ftsd-probe"
check "sandbox: a private /tmp" \
	bash -c "touch /tmp/.ftsd-probe && ! nsenter -t $pid -m test -e /tmp/.ftsd-probe; rm -f /tmp/.ftsd-probe"
check "sandbox: the pins are visible outside the service" test -d "$PIN"

# ---- the data path classifies ----
send -p 5060 -n 200 -f 8 -s 40000
expect_eq "classify: 200 udp/5060 packets reached the stack" "$(count all)" 200
expect_eq "classify: all 200 carry the voice mark" "$(count voice)" 200
check "classify: flowtagctl status names $IF" bash -c "flowtagctl status | grep -q '$IF'"

# ---- reload: RELOADING=1, then READY=1, new policy ----
policy bulk
pid0=$(mainpid)
systemd-analyze log-level debug
c=$(cursor)
check "reload: systemctl reload" systemctl reload "$UNIT"
for _ in $(seq 100); do
	journal_since "$c" | grep -q 'Got notification message.*READY=1' && break
	sleep 0.1
done
systemd-analyze log-level info
j=$(journal_since "$c")
rl=$(printf '%s\n' "$j" | grep -n 'Got notification message.*RELOADING=1' | head -1 | cut -d: -f1)
rd=$(printf '%s\n' "$j" | grep -n 'Got notification message.*READY=1' | head -1 | cut -d: -f1)
check "reload: systemd got RELOADING=1, then READY=1" \
	bash -c "[[ -n '$rl' && -n '$rd' && $rl -lt $rd ]]"
[[ -n $rl && -n $rd ]] || printf '%s\n' "$j" | tail -30 | sed 's/^/#   /'
expect_eq "reload: same main PID" "$(mainpid)" "$pid0"
expect_eq "reload: active again" "$(prop ActiveState)" active
b0=$(count bulk)
send -p 5060 -n 200 -f 8 -s 41000
expect_eq "reload: the new policy classifies (200 more bulk)" "$(($(count bulk) - b0))" 200
# a bad file on reload: logged with FILE:LINE, the running policy stays
printf 'classes = (\n  { name = "x"; mark = 0x100 }\n  oops\n);\n' >"$CONF"
c=$(cursor)
systemctl reload "$UNIT"
sleep 2
j=$(journal_since "$c")
check "reload: a bad policy is logged as $CONF:LINE" \
	bash -c "printf '%s\n' \"\$0\" | grep -q '$CONF:[0-9]'" "$j"
b0=$(count bulk)
send -p 5060 -n 100 -f 4 -s 42000
expect_eq "reload: ... and the running policy stays" "$(($(count bulk) - b0))" 100

# ---- stop: everything detached ----
policy voice
check "stop: systemctl stop" systemctl stop "$UNIT"
expect_eq "stop: inactive, exit status 0" "$(prop ActiveState) $(prop ExecMainStatus)" "inactive 0"
check "stop: no XDP program on $IF" bash -c "! ip link show dev $IF | grep -q prog/xdp"
check "stop: no tc filter on $IF" bash -c "! tc filter show dev $IF ingress | grep -q ft_tc"
check "stop: no pins" test ! -e "$PIN"

# ---- a bad policy fails ExecStartPre with FILE:LINE ----
printf 'interfaces = ( { name = "%s"; } );\nclasses = (\n  { name = "v"; mark = 0x100; priority = "1:10"; }\n);\nrules = ( { match = { proto = "udpx"; }; class = "v"; } );\n' \
	"$IF" >"$CONF"
c=$(cursor)
systemctl start "$UNIT" 2>/dev/null
rc=$?
j=$(journal_since "$c")
check "bad policy: systemctl start fails" test "$rc" -ne 0
check "bad policy: $CONF:5 in the journal" \
	bash -c "printf '%s\n' \"\$0\" | grep -q '$CONF:5:'" "$j"
check "bad policy: the failing process was ExecStartPre" \
	bash -c "printf '%s\n' \"\$0\" | grep -q 'Control process exited, code=exited, status=1'" "$j"
printf '%s\n' "$j" | grep "$CONF:" | head -3 | sed 's/^/#   /'
check "bad policy: nothing attached" bash -c "! ip link show dev $IF | grep -q prog/xdp"
systemctl stop "$UNIT" 2>/dev/null
systemctl reset-failed "$UNIT" 2>/dev/null

# ---- SIGQUIT + start: hand-over without a gap ----
policy voice
systemctl start "$UNIT"
pid0=$(mainpid)
a0=$(count all) v0=$(count voice)
send_start -p 5060 -r 2000 -f 8 -s 43000
sleep 1
systemctl kill -s SIGQUIT "$UNIT"
wait_inactive
expect_eq "SIGQUIT: flowtagd exited, unit inactive (not failed)" "$(prop ActiveState)" inactive
check "SIGQUIT: the data path stays attached" bash -c "ip link show dev $IF | grep -q prog/xdp && tc filter show dev $IF ingress | grep -q ft_tc && test -d $PIN"
sleep 1
c=$(cursor)
check "SIGQUIT: systemctl start" systemctl start "$UNIT"
sleep 1
send_stop
all=$(($(count all) - a0)) voice=$(($(count voice) - v0))
diag "hand-over: $all packets, $voice with the voice mark"
check "SIGQUIT: packets flowed during the hand-over" test "$all" -gt 1000
expect_eq "SIGQUIT: no packet went unclassified" "$((all - voice))" 0
check "SIGQUIT: a new flowtagd took over" bash -c "[[ $(mainpid) != 0 && $(mainpid) != $pid0 ]]"
check "SIGQUIT: ... logged as a take-over" \
	bash -c "printf '%s\n' \"\$0\" | grep -q 'taking over the data path'" "$(journal_since "$c")"

# ---- upgrade: the package hands over the same way ----
pid0=$(mainpid)
a0=$(count all) v0=$(count voice)
send_start -p 5060 -r 2000 -f 8 -s 44000
sleep 1
check "upgrade: dpkg -i over the running service" bash -c "dpkg -i '$DEB' >'$TMP/dpkg.log' 2>&1" ||
	sed 's/^/#   /' "$TMP/dpkg.log"
sleep 1
send_stop
all=$(($(count all) - a0)) voice=$(($(count voice) - v0))
diag "upgrade: $all packets, $voice with the voice mark; postinst said: $(grep flowtag: "$TMP/dpkg.log" | tr '\n' ' ')"
expect_eq "upgrade: the service is active again" "$(prop ActiveState)" active
if [[ $(prop ActiveState) != active ]]; then
	diag "dpkg -i said:"; sed 's/^/#   /' "$TMP/dpkg.log" | tail -15
	diag "journal:"; journalctl -q -u "$UNIT" -o short-monotonic -n 40 --no-pager | sed 's/^/#   /'
fi
check "upgrade: a new flowtagd (hand-over, not left running)" \
	bash -c "[[ $(mainpid) != 0 && $(mainpid) != $pid0 ]]"
check "upgrade: packets flowed during the upgrade" test "$all" -gt 1000
expect_eq "upgrade: no packet went unclassified" "$((all - voice))" 0
expect_eq "upgrade: still not enabled" "$(systemctl is-enabled "$UNIT" 2>&1)" disabled

# ---- purge: a data path left without daemon, then dpkg --purge ----
systemctl kill -s SIGQUIT "$UNIT"
wait_inactive
check "purge: dpkg --purge flowtag" bash -c "dpkg --purge flowtag >'$TMP/dpkg.log' 2>&1" ||
	sed 's/^/#   /' "$TMP/dpkg.log"
check "purge: no pins left" test ! -e "$PIN"
check "purge: no XDP program, no tc filter left on $IF" \
	bash -c "! ip link show dev $IF | grep -q prog/xdp && ! tc filter show dev $IF ingress | grep -q ft_tc"
check "purge: /etc/flowtag removed" test ! -e /etc/flowtag
check "purge: the unit is gone" test ! -e /lib/systemd/system/flowtagd.service

echo
[[ ${#FAILED[@]} -gt 0 ]] && printf 'failing: %s\n' "${FAILED[@]}"
echo "$T_PASS passed, $T_FAIL failed"
[[ $T_FAIL -eq 0 ]]
