#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Bash completion (etc/bash-completion/): commands, options, explain's keys
# and values, and the interface names of the running policy.

. "$(dirname "$0")/lib.sh"

BC=/usr/share/bash-completion/bash_completion
if [[ ! -r $BC ]]; then
	skip "bash completion" "bash-completion not installed (make deps installs it)"
	finish
fi
need_root

# comp LINE: the completions bash offers for LINE (cursor at its end), one a line
comp()
{
	bash --norc --noprofile -c '
		. "$1"; . etc/bash-completion/flowtagctl; . etc/bash-completion/flowtagd
		PATH=$2:$PATH
		COMP_LINE=$3 COMP_POINT=${#3}
		read -ra COMP_WORDS <<<"$3"
		[[ $3 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		f=$(complete -p "${COMP_WORDS[0]}" | sed "s/.*-F \([^ ]*\).*/\1/")
		$f "${COMP_WORDS[0]}" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]:-}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$BC" "$(readlink -f "$FT_BUILD")" "$1" 2>&1 | sort | tr '\n' ' '
}

expect_eq "flowtagctl <TAB>: the commands" "$(comp 'flowtagctl ')" \
	"check confirm diff explain reload rollback set stats status "
expect_eq "flowtagctl set <TAB>" "$(comp 'flowtagctl set ')" "add del flush list "
expect_eq "flowtagctl set add NAME 198.18.0.1 t<TAB>" "$(comp 'flowtagctl set add x 198.18.0.1 t')" \
	"timeout "
expect_eq "flowtagctl st<TAB>" "$(comp 'flowtagctl st')" "stats status "
check "flowtagctl --<TAB>: long options" bash -c "[[ '$(comp 'flowtagctl --')' == *--json*--pin-dir* ]]"
expect_eq "flowtagctl explain <TAB>: the keys" "$(comp 'flowtagctl explain ')" \
	"dport dscp dst family iif proto sport src tcp-flags vlan "
expect_eq "explain proto tcp dscp AF4<TAB>" "$(comp 'flowtagctl explain proto tcp dscp AF4')" \
	"AF41 AF42 AF43 "
expect_eq "explain family <TAB>" "$(comp 'flowtagctl -j explain family ')" "ipv4 ipv6 "
expect_eq "explain tcp-flags syn,a<TAB>" "$(comp 'flowtagctl explain tcp-flags syn,a')" "syn,ack "
check "flowtagctl diff <TAB>: files" bash -c "[[ '$(comp 'flowtagctl diff etc/flowtag.c')' == 'etc/flowtag.conf ' ]]"
expect_eq "flowtagctl diff FILE <TAB>: nothing more" "$(comp 'flowtagctl diff etc/flowtag.conf ')" " "
expect_eq "explain --live <TAB>: the keys" "$(comp 'flowtagctl explain --live ')" \
	"dport dscp dst family iif proto sport src tcp-flags vlan "
expect_eq "explain --live proto <TAB>: its values" \
	"$(comp 'flowtagctl explain --live proto ic')" "icmp icmpv6 "
check "flowtagctl reload --<TAB>: --confirm --no-wait --timeout" bash -c "[[ '$(comp 'flowtagctl reload --')' == *--confirm*--no-wait*--timeout* ]]"
check "flowtagd --<TAB>: long options" bash -c "[[ '$(comp 'flowtagd --')' == *--check*--metrics-interval* ]]"
check "flowtagd -c <TAB>: files" bash -c "[[ '$(comp 'flowtagd -c etc/flowtag.c')' == 'etc/flowtag.conf ' ]]"

# the interfaces of the running policy, from its pins
ns_add dut
veth dut ftc0 198.18.9.1/24 dut ftc1 198.18.9.2/24
cat >"$TMP/policy.conf" <<'POL'
interfaces = ( { name = "ftc0"; xdp_mode = "generic"; } );
classes = ( { name = "voice"; mark = 0x100; priority = "1:10"; } );
prefix_sets = ( { name = "blocked"; dynamic = true; } );
rules = ( { match = { proto = "udp"; src = "@blocked"; }; class = "voice"; } );
POL
if daemon_start dut "$TMP/policy.conf" "$TMP/flowtagd.log"; then
	expect_eq "explain iif <TAB>: the running policy's interfaces" \
		"$(comp "flowtagctl --pin-dir $PIN explain iif ")" "ftc0 "
	expect_eq "set list <TAB>: the dynamic sets" \
		"$(comp "flowtagctl --pin-dir $PIN set list ")" "blocked "
	daemon_stop "$DAEMON_PID"
else
	not_ok "flowtagd started for the iif completion"
fi

finish
