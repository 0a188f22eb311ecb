// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tc ingress as a tcx link, pinned as <pin_dir>/tcx_link_<ifname> (see
 * tcx_link.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tcx_link.h"

int ft_tcx_link_pin_path(const char *pin_dir, const char *ifname, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/tcx_link_%s", pin_dir, ifname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int ft_tcx_supported(uint32_t ifindex)
{
	__u32 cnt = 0, flags = 0;

	if (!bpf_prog_query((int)ifindex, FT_BPF_TCX_INGRESS, 0, &flags, NULL, &cnt))
		return 1;
	/* before 6.6 the attach type is unknown to the query */
	if (errno == EINVAL || errno == EOPNOTSUPP || errno == 524 /* ENOTSUPP */)
		return 0;
	return -errno;
}

int ft_tc_hook_tcx(enum ft_tc_hook hook, uint32_t ifindex, const char *name)
{
	int has;

	if (hook == FT_TC_HOOK_CLSACT)
		return 0;
	has = ft_tcx_supported(ifindex);
	if (has < 0) {
		pr_err("%s: cannot query the tcx hook: %s", name, strerror(-has));
		return has;
	}
	if (!has && hook == FT_TC_HOOK_TCX) {
		pr_err("%s: tc_hook = \"tcx\", but this kernel has no tcx hooks (6.6 and "
		       "later): use \"auto\" or \"clsact\"", name);
		return -EOPNOTSUPP;
	}
	return has;
}

int ft_tcx_link_ifindex(int fd)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	const __u32 *tcx;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != FT_BPF_LINK_TYPE_TCX)
		return -EINVAL;
	/* the union member tcx { ifindex; attach_type; } (6.6), which
	 * Debian 12's headers lack, starts where xdp.ifindex does */
	tcx = (const __u32 *)&info.xdp;
	if (tcx[0] && tcx[1] != FT_BPF_TCX_INGRESS)
		return -EINVAL;
	return (int)tcx[0];
}

int ft_tcx_link_adopt(const char *path, uint32_t ifindex)
{
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return -ENOENT;
	if (ft_tcx_link_ifindex(fd) != (int)ifindex) {
		/* detached (device went away, bpftool link detach) or another device now */
		pr_info("removing stale tcx link pin %s", path);
		close(fd);
		unlink(path);
		return -ENOENT;
	}
	return fd;
}

int ft_tcx_attach(const char *pin_dir, const char *name, uint32_t ifindex, int prog_fd,
		  int *fd, bool *created)
{
	char path[PATH_MAX];
	int err;

	*created = false;
	*fd = -1;
	err = ft_tcx_link_pin_path(pin_dir, name, path, sizeof(path));
	if (err)
		return err;
	*fd = ft_tcx_link_adopt(path, ifindex);
	if (*fd >= 0) {
		/* ours from before: the new program runs from the next packet on */
		if (bpf_link_update(*fd, prog_fd, NULL)) {
			err = -errno;
			pr_err("%s: cannot update the pinned tcx link: %s", name, strerror(-err));
			close(*fd);
			*fd = -1;
			return err;
		}
		pr_debug("%s: swapped the tc ingress program inside the pinned tcx link", name);
		return 0;
	}
	*fd = bpf_link_create(prog_fd, (int)ifindex, FT_BPF_TCX_INGRESS, NULL);
	if (*fd < 0) {
		err = -errno;
		pr_err("%s: cannot attach the tc ingress program to tcx: %s", name,
		       strerror(-err));
		*fd = -1;
		return err;
	}
	*created = true;
	if (bpf_obj_pin(*fd, path)) {
		err = -errno;
		pr_err("%s: cannot pin the tcx link at %s: %s", name, path, strerror(-err));
		bpf_link_detach(*fd);
		close(*fd);
		*fd = -1;
		*created = false;
		return err;
	}
	return 0;
}

bool ft_tcx_release(const char *pin_dir, const char *name, uint32_t ifindex, int fd)
{
	char path[PATH_MAX];

	if (ft_tcx_link_pin_path(pin_dir, name, path, sizeof(path)))
		path[0] = '\0';
	if (fd < 0 && ifindex && path[0])
		fd = ft_tcx_link_adopt(path, ifindex);
	if (path[0])
		unlink(path);
	if (fd < 0)
		return false;
	/* detach even if someone else holds a reference to the link */
	bpf_link_detach(fd);
	close(fd);
	return true;
}
