#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# The documentation stays in step with the code: every shipped policy and
# the README's example validate, every binary answers --help, every man page
# renders without warnings, and the recipes are valid shell.

. "$(dirname "$0")/lib.sh"

# FLOWTAG_SRCDIR: a root-owned copy when the checkout is not (tests/run.sh)
SRC=${FLOWTAG_SRCDIR:-.}
for conf in etc/flowtag.conf etc/examples/demo.conf; do
	check "$conf validates" bash -c "'$FLOWTAGD' --check -c '$SRC/$conf' >/dev/null"
done

# the policy shown in README.md, with the prefix-set file it names
awk '/^## The policy language by example/ { s = 1 } s && /^```$/ { n++; next }
     s && n == 1 { print } n == 2 { exit }' README.md >"$TMP/readme.conf"
echo "198.18.50.0/24" >"$TMP/gold.txt"
check "README's example policy validates" \
	bash -c "[[ -s '$TMP/readme.conf' ]] && '$FLOWTAGD' --check -c '$TMP/readme.conf' >/dev/null"

# the one-file shaping setup of the README's recipes
awk '/^- \*\*Shaping from the same file/ { s = 1 } s && /^  ```$/ { n++; next }
     s && n == 1 { sub(/^  /, ""); print } n == 2 { exit }' README.md >"$TMP/shaping.conf"
check "README's shaping recipe validates" \
	bash -c "grep -q ingress_shaping '$TMP/shaping.conf' && '$FLOWTAGD' --check -c '$TMP/shaping.conf' >/dev/null"

for bin in "$FLOWTAGD" "$FTCTL"; do
	[[ -x $bin ]] || continue
	check "$(basename "$bin") --help" bash -c "'$bin' --help | grep -q -i usage"
	"$bin" --no-such-option >/dev/null 2>&1
	rc=$?
	expect_eq "$(basename "$bin") rejects an unknown option with exit 2" "$rc" 2
	# a path longer than PATH_MAX: refused up front, the length said
	long=$(printf 'a/%.0s' $(seq 2500))x.conf
	out=$("$bin" -c "$long" check 2>&1 >/dev/null)
	rc=$?
	[[ $bin == "$FLOWTAGD" ]] && { out=$("$bin" --check -c "$long" 2>&1 >/dev/null); rc=$?; }
	expect_eq "$(basename "$bin") rejects a 5006-byte -c with exit 2" "$rc" 2
	check "... saying how long it is" grep -q -- "-c: the path is 5006 bytes long; at most 4095" <<<"$out"
done
# and as the file argument of check and diff
for cmd in check diff; do
	out=$("$FTCTL" "$cmd" "$long" 2>&1 >/dev/null)
	expect_eq "flowtagctl $cmd with a 5006-byte file: exit 2" "$?" 2
	check "... saying how long it is" grep -q -- "$cmd: the path is 5006 bytes long" <<<"$out"
done

if command -v man >/dev/null && command -v groff >/dev/null; then
	for page in man/*.[0-9]; do
		[[ -e $page ]] || continue
		warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		check "$page renders without warnings" bash -c "[[ -z '${warn//\'/}' ]]"
		[[ -n $warn ]] && diag "$warn"
	done
else
	for page in man/*.[0-9]; do
		skip "$page renders without warnings" "man or groff not installed (make deps installs them)"
	done
fi

for sh in etc/examples/*.sh tests/integration/*.sh bench/*.sh; do
	[[ -e $sh ]] || continue
	check "$sh parses" bash -n "$sh"
done
for f in etc/examples/*.nft; do
	[[ -e $f ]] || continue
	if command -v nft >/dev/null; then
		check "$f parses (nft -c)" bash -c "unshare -n nft -c -f '$f' >/dev/null 2>&1"
	else
		skip "$f parses (nft -c)" "nft not installed"
	fi
done

# make install honours DESTDIR and PREFIX, and substitutes the unit's paths
if make -s install DESTDIR="$TMP/inst" PREFIX=/opt/ft BUILD="$FT_BUILD" >/dev/null 2>&1; then
	for f in opt/ft/sbin/flowtagd opt/ft/sbin/flowtagctl opt/ft/share/man/man8/flowtagd.8 \
		 opt/ft/share/man/man8/flowtagctl.8 opt/ft/share/man/man5/flowtag.conf.5 \
		 etc/flowtag/flowtag.conf etc/flowtag/blocklist.txt lib/systemd/system/flowtagd.service \
		 opt/ft/share/bash-completion/completions/flowtagctl \
		 opt/ft/share/bash-completion/completions/flowtagd; do
		check "make install: $f" test -e "$TMP/inst/$f"
	done
	check "the unit points at the installed flowtagd" \
		grep -q "^ExecStart=/opt/ft/sbin/flowtagd -f" "$TMP/inst/lib/systemd/system/flowtagd.service"
else
	not_ok "make install DESTDIR=... PREFIX=..."
fi

# the documented --metrics directory and the pid file directory are
# writable under the unit's ProtectSystem=strict
rw=$(sed -n 's/^ReadWritePaths=//p' etc/flowtagd.service)
for d in /var/lib/prometheus/node-exporter /run/flowtag; do
	check "the unit lets flowtagd write $d" grep -q -- "-\?$d\b" <<<"$rw"
done
check "the README's --metrics path is that directory" \
	grep -q -- "--metrics /var/lib/prometheus/node-exporter/flowtag.prom" README.md

finish
