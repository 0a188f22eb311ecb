#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# Boots a Debian kernel package in a throwaway qemu VM and runs one command
# in this project directory inside it; the VM's exit status is the
# command's.
#
#   tests/kernel/vm-run.sh [-k PACKAGE] [-c DIR] [-m MEM_MB] [-t SECONDS] [-s] [--] COMMAND...
#
#   -k PACKAGE  Debian kernel package (default: Debian 12's current stock
#               kernel, the newest linux-image-6.1.0-N-amd64 apt knows)
#   -c DIR      keep the unpacked package in DIR/PACKAGE_VERSION for the next
#               run, one version per package (default /var/cache/flowtag-vm,
#               about 400 MB; -c '' unpacks into the temporary directory)
#   -m MEM_MB   guest memory (default 4096)
#   -t SECONDS  give up and fail after this long (default 2400)
#   -s          boot the host's systemd as PID 1 (it must be installed:
#               `dpkg -l systemd`) and run COMMAND from a service once
#               sysinit.target is reached (tests/kernel/guest-systemd.sh)
#
# How: `apt-get download` the package and `dpkg-deb -x` it into a directory
# of its own (the host's kernel is never touched; kept in -c DIR, where the
# next run with the same package version finds it); depmod over the
# extracted tree; a busybox initramfs loads virtio/9p/overlay from it, mounts the
# host's root read-only over virtio-9p under a tmpfs overlay, this project
# directory writable at its own path, and the extracted modules under
# /lib/modules, then switch_roots into tests/kernel/guest-init.sh, which runs
# COMMAND and hands its exit status back through a shared file (with -s,
# into tests/kernel/guest-systemd.sh, which execs systemd). Only Debian
# packages are used. Without /dev/kvm (or on a CPU without vmx/svm) the VM
# runs under TCG, which is slow but complete. Everything but the -c DIR
# copy is removed afterwards, also on Ctrl-C.
set -u

die() { echo "vm-run: $*" >&2; exit 2; }

PKG=
CACHE=/var/cache/flowtag-vm
MEM=4096
LIMIT=2400
INIT=guest-init.sh
while [[ $# -gt 0 ]]; do
	case $1 in
	-k) PKG=$2; shift 2 ;;
	-c) CACHE=$2; shift 2 ;;
	-m) MEM=$2; shift 2 ;;
	-t) LIMIT=$2; shift 2 ;;
	-s) INIT=guest-systemd.sh; shift ;;
	-h|--help) sed -n '3,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done
[[ $# -gt 0 ]] || die "no command given (see --help)"
[[ $(id -u) -eq 0 ]] || die "must run as root (9p passthrough, apt-get download)"
[[ $INIT == guest-init.sh || -x /lib/systemd/systemd ]] ||
	die "-s: /lib/systemd/systemd not found: apt-get install systemd"

PROJ=$(cd "$(dirname "$0")/../.." && pwd)
for t in qemu-system-x86_64 busybox depmod modprobe apt-get dpkg-deb cpio; do
	command -v "$t" >/dev/null || die "$t not found: run 'make deps-kernel'"
done
BUSYBOX=$(command -v busybox)
LC_ALL=C ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable' ||
	die "$BUSYBOX is not static: the initramfs needs busybox-static"

# Debian 12's stock kernel: the highest ABI number of the 6.1.0-N-amd64 line
if [[ -z $PKG ]]; then
	PKG=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -t- -k5,5n | tail -1)
	[[ -n $PKG ]] || die "no linux-image-6.1.0-N-amd64 known to apt (run apt-get update)"
fi

WORK=$(mktemp -d /tmp/flowtag-vm.XXXXXX)
QPID=
cleanup()
{
	[[ -n $QPID ]] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "vm-run: interrupted" >&2; exit 130' INT TERM

t_prep=$(date +%s)
# the unpacked package is kept in CACHE, one version per package: unpacking
# and depmod take 15 to 50 s on a busy 2-core machine, and CI boots the
# same kernel twice (check-kernel, check-systemd)
VER=$(apt-cache show --no-all-versions "$PKG" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
KROOT=
if [[ -n $CACHE && -n $VER && -e $CACHE/${PKG}_$VER/.complete ]]; then
	KROOT=$CACHE/${PKG}_$VER
	echo "vm-run: kernel package $PKG $VER, unpacked in $KROOT"
else
	echo "vm-run: kernel package $PKG"
	fetch() { ( cd "$WORK" && apt-get download -q "$PKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' ); }
	fetch
	DEB=$(ls "$WORK"/*.deb 2>/dev/null | head -1)
	if [[ -z $DEB ]]; then
		# stale package lists name a version the archive no longer has
		echo "vm-run: retrying after apt-get update"
		apt-get update -qq && fetch
		DEB=$(ls "$WORK"/*.deb 2>/dev/null | head -1)
	fi
	[[ -n $DEB ]] || die "apt-get download $PKG failed (unknown package, or run apt-get update)"
	VER=$(dpkg-deb -f "$DEB" Version)
	dpkg-deb -x "$DEB" "$WORK/kroot" || die "dpkg-deb -x $DEB failed"
	rm -f "$DEB"
	KVER=$(ls "$WORK/kroot/lib/modules" | head -1)
	[[ -n $KVER && -f $WORK/kroot/boot/vmlinuz-$KVER ]] || die "$PKG holds no kernel image"
	depmod -b "$WORK/kroot" "$KVER" || die "depmod failed"
	KROOT=$WORK/kroot
	if [[ -n $CACHE ]] && mkdir -p "$CACHE" 2>/dev/null &&
		rm -rf "$CACHE/${PKG}_"* && mv "$WORK/kroot" "$CACHE/${PKG}_$VER" 2>/dev/null; then
		KROOT=$CACHE/${PKG}_$VER
		touch "$KROOT/.complete"
		echo "vm-run: unpacked into $KROOT (kept for the next run)"
	fi
fi
KVER=$(ls "$KROOT/lib/modules" | head -1)
VMLINUZ=$KROOT/boot/vmlinuz-$KVER
[[ -n $KVER && -f $VMLINUZ ]] || die "$KROOT holds no kernel image"

# ---- initramfs: busybox + what it takes to reach the 9p root ----
IRD=$WORK/initramfs
mkdir -p "$IRD"/{bin,dev,proc,sys,mnt,newroot,lib/modules}
cp "$BUSYBOX" "$IRD/bin/busybox"
for m in $(modprobe --show-depends -d "$KROOT" -S "$KVER" -a \
		virtio_pci 9pnet_virtio 9p overlay | awk '$1 == "insmod" { print $2 }' |
		awk '!seen[$0]++'); do
	cp "$m" "$IRD/lib/modules/"
	basename "$m" >> "$IRD/lib/modules/order"
done
cat > "$IRD/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m; done
o=trans=virtio,version=9p2000.L,msize=512000
# cache=loose: the guest keeps what it read of the host's root, the
# project and the modules in its page and dentry caches instead of asking
# the host again at every exec and open. Nothing the guest reads there
# changes on the host while the VM runs, and only the guest writes to the
# project. Under TCG a process start costs about 0.1 s and the tests start
# thousands: test_parse_paths took 126 s with cache=none, 94 s with this.
# vmctl, written by both sides, stays uncached.
mkdir -p /mnt/lower /mnt/rw
mount -t 9p -o $o,ro,cache=loose hostroot /mnt/lower || { echo "vm: cannot mount the host root"; poweroff -f; }
mount -t tmpfs -o size=2g tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /newroot ||
	{ echo "vm: overlay mount failed"; poweroff -f; }
kver=$(uname -r)
ftinit=$(sed -n 's/.*ftinit=\([^ ]*\).*/\1/p' /proc/cmdline)
# systemd mounts a tmpfs on /run unless one is there: give it one now, or
# it would hide /run/ftvm
[ "$ftinit" = guest-systemd.sh ] && mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run
mkdir -p /newroot/mnt/ftproj /newroot/lib/modules/$kver /newroot/run/ftvm
mount -t 9p -o $o,cache=loose project /newroot/mnt/ftproj
mount -t 9p -o $o,ro,cache=loose modules /newroot/lib/modules/$kver
mount -t 9p -o $o vmctl /newroot/run/ftvm
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash /mnt/ftproj/tests/kernel/$ftinit
INIT
chmod +x "$IRD/init"
( cd "$IRD" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$WORK/initrd.gz" ||
	die "cannot build the initramfs"

mkdir -p "$WORK/vmctl"
printf '%s\n' "$*" > "$WORK/vmctl/cmd"
printf '%s\n' "$PROJ" > "$WORK/vmctl/cwd"

ACCEL="-accel tcg,thread=multi -cpu max"
if [[ -w /dev/kvm ]] && grep -qE 'vmx|svm' /proc/cpuinfo; then
	ACCEL="-accel kvm -cpu host"
fi
# the guest's tests learn it as FT_VM_ACCEL: timing-sensitive checks (a
# shaper's lower bound) mean nothing on an emulated CPU
[[ $ACCEL == *kvm* ]] && echo kvm > "$WORK/vmctl/accel" || echo tcg > "$WORK/vmctl/accel"
echo "vm-run: kernel and initramfs ready after $(($(date +%s) - t_prep)) s"
echo "vm-run: booting $KVER$([[ $INIT == guest-systemd.sh ]] && echo ' with systemd as PID 1') ($([[ $ACCEL == *kvm* ]] && echo KVM || echo 'TCG, no KVM: slow')), running: $*"

fs() { echo "-fsdev local,id=$1,path=$2,security_model=passthrough,multidevs=remap$3 -device virtio-9p-pci,fsdev=$1,mount_tag=$1"; }
start=$(date +%s)
# shellcheck disable=SC2046
timeout --foreground -k 10 "$LIMIT" qemu-system-x86_64 $ACCEL -m "$MEM" -smp "$(nproc)" \
	-nodefaults -vga none -display none -monitor none -serial stdio -no-reboot \
	-kernel "$VMLINUZ" -initrd "$WORK/initrd.gz" \
	-append "console=ttyS0 loglevel=3 panic=-1 ftinit=$INIT" \
	$(fs hostroot / ,readonly=on) $(fs project "$PROJ" "") \
	$(fs modules "$KROOT/lib/modules/$KVER" ,readonly=on) $(fs vmctl "$WORK/vmctl" "") \
	</dev/null &
QPID=$!
wait "$QPID"
qrc=$?
QPID=
secs=$(($(date +%s) - start))
if [[ ! -s $WORK/vmctl/status ]]; then
	echo "vm-run: the guest gave no exit status (qemu exit $qrc after ${secs}s$([[ $qrc -eq 124 ]] && echo ', time limit'))" >&2
	exit 2
fi
rc=$(cat "$WORK/vmctl/status")
echo "vm-run: $KVER: '$*' exited $rc after ${secs}s"
exit "$rc"
