#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# PID 1 of the throwaway VM that tests/kernel/vm-run.sh boots: the host's
# root read-only under a tmpfs overlay, the project writable at its own
# path, the guest kernel's modules under /lib/modules. Mounts what a
# normal boot would, runs the command the host left in /run/ftvm/cmd in
# the project directory, writes its exit status to /run/ftvm/status and
# powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run/lock 2>/dev/null
mkdir -p /dev/pts /dev/shm /run/netns
# what udev would add to a devtmpfs: bash's process substitution needs /dev/fd
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
hostname flowtag-vm
# the kernel loads modules on demand through this; list the ones a request
# would not name (netfilter families, iptables targets)
echo /sbin/modprobe > /proc/sys/kernel/modprobe
t_mod=$(cut -d' ' -f1 /proc/uptime)
# one modprobe for all: each one started reads modules.dep over 9p
modprobe -q -a veth tun sch_ingress cls_bpf sch_htb sch_fq_codel nf_tables nft_chain_nat \
	ip_tables iptable_mangle iptable_filter xt_mark xt_MARK ipip ip_gre sit \
	ip6_tunnel ip6_gre 8021q ifb act_mirred 2>/dev/null

# the project goes to its own path only now: it may live under /tmp
proj=$(cat /run/ftvm/cwd)
mkdir -p "$proj" && mount --bind /mnt/ftproj "$proj"
cmd=$(cat /run/ftvm/cmd)
FT_VM_ACCEL=$(cat /run/ftvm/accel 2>/dev/null)
export FT_VM_ACCEL
echo "vm: $(uname -r), $(nproc) CPUs ($FT_VM_ACCEL), up after $t_mod s, modules loaded after $(cut -d' ' -f1 /proc/uptime) s; running in $proj: $cmd"
cd "$proj" || { echo 2 > /run/ftvm/status; echo o > /proc/sysrq-trigger; }
t0=$SECONDS
bash -c "$cmd" </dev/null
rc=$?
echo "vm: the command took $((SECONDS - t0)) s"
echo $rc > /run/ftvm/status
sync
echo o > /proc/sysrq-trigger
sleep 30
