#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# `make check-fresh`: the first ten minutes on a truly fresh Debian 12, as
# the README tells a new user to spend them. Debootstraps a minimal bookworm
# root (--variant=minbase: no sudo, no make, no git) from the Debian mirror
# this machine's apt already uses, puts a clone of this repository where the
# README's `git clone` can reach it, runs the README's root commands (the
# block after "<!-- fresh-root -->" in README.md) exactly as printed inside
# a chroot, and removes the root. The chroot runs in a mount namespace of
# its own (proc, sys, dev, run for it alone), on this machine's kernel: the
# tests' network namespaces and veth pairs are created there as usual.
#
# Passes when every command succeeds and `make check` ends with
# "N passed, 0 failed, 0 skipped".
#
#   tests/fresh/run.sh [-k]      -k: keep the root (prints where)
#
# The clone is of the committed HEAD plus uncommitted changes to tracked
# files (git stash create); untracked files are not in it.
set -u

die() { echo "check-fresh: $*" >&2; exit 2; }
KEEP=0
[[ ${1:-} == -k ]] && KEEP=1
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
PROJ=$(cd "$(dirname "$0")/../.." && pwd)

# the mirror apt uses: deb822 sources first, then the one-line format
MIRROR=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v security | head -1)
[[ -n $MIRROR ]] || MIRROR=$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	2>/dev/null | grep -v security | awk '{ print $2 }' | head -1)
[[ -n $MIRROR ]] || die "no Debian mirror found in /etc/apt/sources.list*"

# the README's commands for root, verbatim
CMDS=$(awk '/^<!-- fresh-root -->$/ { s = 1; next } s && /^```/ { n++; next }
	s && n == 1 { print } n == 2 { exit }' "$PROJ/README.md")
[[ -n $CMDS ]] || die "README.md has no command block after '<!-- fresh-root -->'"
URL_PLACEHOLDER='<URL of this repository>'
grep -qF "$URL_PLACEHOLDER" <<<"$CMDS" || die "README's block has no git clone of '$URL_PLACEHOLDER'"

ROOT=$(mktemp -d /var/tmp/flowtag-fresh.XXXXXX)
# mktemp makes it 0700: _apt and man (apt's and man-db's users) must get in
chmod 0755 "$ROOT"
cleanup()
{
	local m
	trap - EXIT INT TERM
	if [[ $KEEP -eq 1 ]]; then
		echo "check-fresh: kept $ROOT"
		return
	fi
	# the chroot's mounts lived in their own mount namespace; never
	# remove through one that is somehow visible here
	m=$(findmnt -rn -o TARGET | grep -F "$ROOT" | head -1)
	if [[ -n $m ]]; then
		echo "check-fresh: $m is still mounted: not removing $ROOT" >&2
		return
	fi
	rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT
trap 'echo "check-fresh: interrupted" >&2; exit 130' INT TERM

t0=$(date +%s)
echo "check-fresh: debootstrap --variant=minbase bookworm from $MIRROR"
if ! debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1; then
	tail -20 "$ROOT.log"
	rm -f "$ROOT.log"
	die "debootstrap failed"
fi
rm -f "$ROOT.log"
t1=$(date +%s)
for t in sudo make git gcc; do
	[[ -e $ROOT/usr/bin/$t ]] && die "the fresh root already has $t: not minimal"
done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# the repository, as a bare clone the chroot reaches at /srv/flowtag.git
rev=$(git -C "$PROJ" stash create 2>/dev/null)
[[ -n $rev ]] || rev=$(git -C "$PROJ" rev-parse HEAD)
git init -q --bare "$ROOT/srv/flowtag.git" &&
	git -C "$PROJ" push -q "$ROOT/srv/flowtag.git" "$rev:refs/heads/main" &&
	git -C "$ROOT/srv/flowtag.git" symbolic-ref HEAD refs/heads/main ||
	die "cannot put a clone into the fresh root"
CMDS=${CMDS//"$URL_PLACEHOLDER"//srv/flowtag.git}

echo "check-fresh: debootstrap took $((t1 - t0)) s; running the README's commands as root:"
printf '%s\n' "$CMDS" | sed 's/^/    /'
printf 'set -ex\ncd /root\n%s\n' "$CMDS" >"$ROOT/root/readme.sh"
unshare --mount --propagation private bash -c '
	set -e
	r=$1
	# / must be a mount point, as on a real machine: `ip -n NS` and
	# `ip netns exec` run mount --make-rslave /
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs -o mode=0755 tmpfs "$r/run"
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
	exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash /root/readme.sh' _ "$ROOT" </dev/null 2>&1 | tee "$ROOT/readme.log"
rc=${PIPESTATUS[0]}
t2=$(date +%s)

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$ROOT/readme.log" | tail -1)
echo
echo "check-fresh: README's commands exited $rc after $((t2 - t1)) s (debootstrap $((t1 - t0)) s);" \
	"make check said: ${summary:-nothing}"
if [[ $rc -ne 0 ]]; then
	echo "check-fresh: FAILED"
	exit 1
fi
if [[ ! $summary =~ ^[0-9]+\ passed,\ 0\ failed,\ 0\ skipped$ ]]; then
	echo "check-fresh: FAILED: want 'N passed, 0 failed, 0 skipped'"
	exit 1
fi
echo "check-fresh: ok"
