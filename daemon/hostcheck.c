// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * What of the host could undo or hide what flowtag does, said at start:
 * sysctls, kernel features, a bpffs private to flowtagd's mount namespace.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostcheck.h"
#include "log.h"
#include "pidfile.h"
#include "probe.h"
#include "tcx_link.h"

static bool priorities_used(const struct ft_policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nclasses; i++)
		if (pol->classes[i].has_priority)
			return true;
	return false;
}

/* IPv4 forwarding rewrites skb->priority from the TOS byte when this is 1. */
void ft_check_forward_priority(const struct ft_policy *pol)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward_update_priority", "r");
	bool restore = false;
	size_t i;
	int v = 0;

	if (!f)
		return;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	for (i = 0; i < pol->nifaces; i++)
		restore |= pol->ifaces[i].egress_restore;
	if (v == 1 && priorities_used(pol) && !restore)
		pr_warn("net.ipv4.ip_forward_update_priority is 1: IPv4 forwarding overwrites "
			"the skb->priority set at ingress. Set egress_restore = true on the egress "
			"interfaces (or the sysctl to 0) for forwarded traffic to keep its class");
}

void ft_check_tc_verdict(const struct ft_policy *pol)
{
	size_t i;

	if (!pol->tc_ok || ft_tcx_supported(1) <= 0)	/* lo: in every namespace */
		return;
	for (i = 0; i < pol->nifaces; i++) {
		if (pol->ifaces[i].tc_hook == FT_TC_HOOK_CLSACT)
			continue;
		pr_warn("%s: tc_verdict = \"ok\" with tc ingress on tcx: flowtag's program runs "
			"before every clsact filter there, and its verdict skips all of them, also "
			"those at a lower pref than flowtag's (tc_hook = \"clsact\" keeps them "
			"ordered by pref)", pol->ifaces[i].name);
	}
}

/* Which variant of each kernel-dependent feature runs here, for the log. */
void ft_log_kernel_features(void)
{
	struct ft_kernel_features f;
	char line[512];

	ft_probe_kernel(&f);
	ft_probe_describe(&f, line, sizeof(line));
	pr_info("%s", line);
	if (f.xdp_frags == FT_PROBE_NO)
		pr_warn("this kernel has no xdp.frags programs: interfaces with an MTU above "
			"one page cannot run XDP");
}

/* The parent of @pid, from /proc/PID/stat ("PID (COMM) STATE PPID ...",
 * a COMM may hold spaces and ')'); 0 if it cannot be read. */
static pid_t parent_of(pid_t pid)
{
	char path[64], line[512], *rp;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f) || !(rp = strrchr(line, ')')) ||
	    sscanf(rp + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	fclose(f);
	return (pid_t)ppid;
}

/*
 * What process @pid's view says of @pin_dir (@mine, in our mount namespace
 * @ns_mine): 1 private to us, 0 shared, -1 no answer (out of reach, or
 * @pid shares our mount namespace: ask its parent).
 */
static int view_of(pid_t pid, const char *pin_dir, const struct stat *mine,
		   const struct stat *ns_mine)
{
	char path[PATH_MAX];
	struct stat other;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat(path, &other))
		return -1;
	if (other.st_ino == ns_mine->st_ino && other.st_dev == ns_mine->st_dev)
		return pid == 1 ? 0 : -1;
	if (snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, pin_dir) >=
	    (int)sizeof(path))
		return -1;
	if (!stat(path, &other))
		return mine->st_dev != other.st_dev || mine->st_ino != other.st_ino;
	return errno == ENOENT ? 1 : -1;
}

/*
 * Whether @pin_dir lives on a bpffs that only this mount namespace sees:
 * `ip netns exec` gives the process a /sys of its own, so flowtagd mounts a
 * bpffs there that dies with it, and nobody outside finds the pins.
 * Compared with what PID 1 (or our nearest ancestor in another mount
 * namespace) sees at the same path.
 */
static bool bpffs_private(const char *pin_dir)
{
	struct stat mine, ns_mine;
	pid_t pid = 1;
	int depth, r;

	if (stat(pin_dir, &mine) || stat("/proc/self/ns/mnt", &ns_mine))
		return false;
	/* PID 1 first; out of reach (a sandbox), our ancestors in turn: the
	 * first in another mount namespace is `ip netns exec` itself, also
	 * for `ip netns exec NS timeout flowtagd` */
	for (depth = 0; depth < 32 && pid > 0; depth++) {
		r = view_of(pid, pin_dir, &mine, &ns_mine);
		if (r >= 0)
			return r;
		pid = depth == 0 ? getppid() : parent_of(pid);
		if (pid == 1)
			break;
	}
	return false;
}

bool ft_warn_private_bpffs(const char *pin_dir)
{
	if (!bpffs_private(pin_dir))
		return false;
	pr_warn("%s is on a bpffs private to flowtagd's mount namespace (started with "
		"`ip netns exec`? it mounts a /sys of its own): the pins and the pinned XDP links "
		"vanish when flowtagd exits, and only a flowtagctl of this network namespace finds "
		"them (through %s and /proc/%d/root). Fix: start flowtagd with "
		"`nsenter --net=/run/netns/NAME flowtagd ...` (or systemd's NetworkNamespacePath=), "
		"which keeps the host's /sys/fs/bpf", pin_dir, FT_RUN_DIR, (int)getpid());
	return true;
}
