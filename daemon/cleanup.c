// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagd --cleanup (cleanup.h): detach what a stopped or killed flowtagd
 * recorded in the pins, unpin its maps and links, remove the dynamic sets
 * and sweep flowtag's tc filters left without records; and, for a normal
 * stop, whether dynamic sets stay pinned.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "cleanup.h"
#include "daemon.h"
#include "dynset.h"
#include "log.h"
#include "pidfile.h"

/* Whether dynamic sets stay pinned in @pin_dir/sets (removing the empty dir). */
bool kept_sets(const char *pin_dir)
{
	char (*names)[FT_SET_NAME_LEN], path[PATH_MAX];
	size_t n = 0;

	if (!ft_dynset_list(pin_dir, &names, &n))
		free(names);
	if (n)
		return true;
	if (!ft_dynset_dir(pin_dir, NULL, path, sizeof(path)))
		rmdir(path);
	return false;
}

/* The XDP and tcx link pins no record names (a record lost, a rename
 * while no flowtagd ran): every link pinned in @pin_dir is flowtag's. */
static void remove_link_pins(const char *pin_dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int fd;

	dir = opendir(pin_dir);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "xdp_link_", 9) && strncmp(e->d_name, "tcx_link_", 9))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", pin_dir, e->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		unlink(path);
		pr_info("removed the link pin %s no record named (its link detached)", path);
	}
	closedir(dir);
}

static int cleanup_pins(struct daemon *d);

/*
 * --cleanup: what a stopped or killed flowtagd left in this network
 * namespace. From the pins when there are any (records of interfaces,
 * links, maps); then, pins or not, every tc filter of ours on every
 * interface here: a flowtagd whose bpffs was private (ip netns exec)
 * leaves filters but no pins.
 */
int do_cleanup(struct daemon *d)
{
	pid_t holder;
	int err, fd, swept;

	err = ft_pidfile_lock(d->pin_dir, &fd, &holder);
	if (err == -EBUSY) {
		pr_err("flowtagd is running (pid %d) in this network namespace: stop it with "
		       "SIGTERM instead", (int)holder);
		return -EBUSY;
	}
	err = cleanup_pins(d);
	swept = ft_sweep_netns();
	if (swept)
		pr_info("removed %d tc filter(s) of flowtag found in this network namespace "
			"without records", swept);
	else if (err == -ENOENT)
		pr_info("nothing to clean up: %s does not exist and no flowtag tc filter is "
			"attached in this network namespace", d->pin_dir);
	ft_pidfile_remove(fd);
	return err == -ENOENT ? 0 : err;
}

/* --cleanup: the dynamic sets go too. */
static void remove_sets(const char *pin_dir)
{
	char (*names)[FT_SET_NAME_LEN], path[PATH_MAX];
	size_t n = 0, i;

	if (ft_dynset_list(pin_dir, &names, &n))
		return;
	for (i = 0; i < n; i++) {
		if (ft_dynset_remove(pin_dir, names[i]))
			pr_warn("cannot remove dynamic set '%s'", names[i]);
		else
			pr_info("removed dynamic set '%s'", names[i]);
	}
	free(names);
	if (!ft_dynset_dir(pin_dir, NULL, path, sizeof(path)))
		rmdir(path);
}

static int cleanup_pins(struct daemon *d)
{
	struct ft_iface_info rec[FT_MAX_IFACES];
	size_t n, i, done = 0;
	pid_t pid;
	int err;

	if (access(d->pin_dir, F_OK))
		return -ENOENT;
	err = ft_loader_open_maps(&d->loader, d->pin_dir);
	if (err && ft_loader_unpin_relaid(d->pin_dir) > 0) {
		/* pins of an earlier version: without the maps whose layout
		 * changed, the rest (the records) can be adopted */
		pr_info("loading again without the pins of maps an earlier flowtag "
			"version laid out otherwise");
		err = ft_loader_open_maps(&d->loader, d->pin_dir);
	}
	if (err)
		return err;
	pid = running_daemon(d);
	if (pid) {
		pr_err("flowtagd is running (pid %d): stop it with SIGTERM instead", pid);
		ft_loader_close(&d->loader);
		return -EBUSY;
	}
	n = read_records(d, rec);
	for (i = 0; i < n; i++)
		if (ft_detach_recorded(d->pin_dir, &rec[i]) > 0)
			done++;
	remove_link_pins(d->pin_dir);
	ft_loader_unpin(&d->loader);
	ft_loader_close(&d->loader);
	remove_sets(d->pin_dir);
	if (rmdir(d->pin_dir) && errno != ENOENT)
		pr_warn("cannot remove %s: %s", d->pin_dir, strerror(errno));
	pr_info("cleaned up %zu of %zu recorded interface(s) and removed the pins in %s", done, n,
		d->pin_dir);
	return done == n ? 0 : -ENODEV;
}
