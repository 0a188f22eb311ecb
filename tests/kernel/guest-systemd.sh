#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# PID 1 of the VM that `tests/kernel/vm-run.sh -s` boots, in two roles:
#
#   (no argument)  the first PID 1, right after switch_root: prepares the
#                  throwaway root (host root read-only under a tmpfs overlay)
#                  for a short systemd boot and execs /lib/systemd/systemd,
#                  which stays PID 1, with --unit=ftvm.target.
#   run            ExecStart of ftvm-run.service, once sysinit.target and
#                  sockets.target are reached: runs the command the host
#                  left in /run/ftvm/cmd in the project directory, writes its
#                  exit status to /run/ftvm/status and powers off.
#
# The boot pulls only sysinit.target and sockets.target (journald, udev,
# tmpfiles, sysctl, the bpffs and cgroup2 mounts), not multi-user.target:
# nothing the host enabled for itself (timers, databases, gettys) starts.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

self=$(readlink -f "$0")

if [[ ${1:-} == run ]]; then
	# the kernel loads modules on demand; list the ones a request would
	# not name (as guest-init.sh)
	for m in veth tun sch_ingress cls_bpf sch_htb sch_fq_codel nf_tables nft_chain_nat \
		ip_tables iptable_mangle iptable_filter xt_mark xt_MARK 8021q ifb act_mirred; do
		modprobe -q "$m" 2>/dev/null
	done
	proj=$(cat /run/ftvm/cwd)
	cmd=$(cat /run/ftvm/cmd)
	echo "vm: $(uname -r), $(nproc) CPUs, PID 1 is $(cat /proc/1/comm)" \
		"($(systemctl --version | head -1)); running in $proj: $cmd"
	rc=2
	cd "$proj" && { bash -c "$cmd" </dev/null; rc=$?; }
	echo "$rc" >/run/ftvm/status
	sync
	# everything is tmpfs or 9p: no need for an orderly shutdown
	systemctl poweroff -ff
	sleep 30
	exit "$rc"
fi

# ---- first PID 1: prepare the overlay root, then become systemd ----
fail() { echo "vm: $*"; echo 2 >/run/ftvm/status; sync; echo o >/proc/sysrq-trigger; sleep 30; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
[[ -x /lib/systemd/systemd ]] || fail "/lib/systemd/systemd missing: apt-get install systemd"

# an empty /tmp: systemd-tmpfiles --remove would otherwise whiteout the
# host's /tmp file by file over 9p, which takes minutes
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
# the project goes to its own path only now: it may live under /tmp
proj=$(cat /run/ftvm/cwd)
mkdir -p "$proj" && mount --bind /mnt/ftproj "$proj" || fail "cannot bind the project to $proj"
# the host may be a container: systemd must not take the VM for one (it
# would skip mounting /sys/fs/bpf, among others)
rm -f /.dockerenv /run/.containerenv
# the host's fstab names its own disks: systemd would wait for them
echo "# flowtag VM: root is 9p + overlay, nothing else to mount" >/etc/fstab
# the host's own services stay off even if something pulls them in
for u in systemd-timesyncd.service systemd-pstore.service getty@tty1.service \
	serial-getty@ttyS0.service postgresql.service e2scrub_reap.service \
	systemd-networkd-wait-online.service; do
	ln -sf /dev/null "/etc/systemd/system/$u"
done
cat >/etc/systemd/system/ftvm.target <<UNIT
[Unit]
Description=flowtag VM test target
Requires=sysinit.target sockets.target ftvm-run.service
After=sysinit.target sockets.target
AllowIsolate=yes
UNIT
cat >/etc/systemd/system/ftvm-run.service <<UNIT
[Unit]
Description=flowtag VM: run the test command, then power off
After=sysinit.target sockets.target systemd-journald.socket
[Service]
Type=simple
ExecStart=/bin/bash $self run
StandardInput=null
StandardOutput=journal+console
StandardError=journal+console
Environment=HOME=/root LANG=C.UTF-8 TERM=dumb
UNIT
umount /sys /proc
exec /lib/systemd/systemd --unit=ftvm.target --show-status=error --log-level=notice
