/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The tc ingress program as a tcx link (kernel 6.6+, BPF_TCX_INGRESS), for
 * attach.c: created, pinned as <pin_dir>/tcx_link_<ifname> so the data
 * path outlives the daemon, adopted by a restarted flowtagd (the program
 * swapped inside the link, bpf_link_update, without a gap) and released.
 *
 * tcx programs run before every clsact filter of the hook, one after the
 * other in the order the kernel keeps (bpf_mprog): a link created without
 * BPF_F_BEFORE/BPF_F_AFTER is appended, after the tcx programs already
 * there. ft_tc_ingress returns TC_ACT_UNSPEC (TCX_NEXT) unless the policy
 * says tc_verdict = "ok", so the programs and clsact filters after it run
 * as they did behind our cls_bpf filter. Debian 12's libbpf 1.1 has no tcx
 * API: the link is made with bpf_link_create() and the attach type's
 * number (include/uapi/linux/bpf.h of 6.6).
 */
#ifndef FLOWTAG_TCX_LINK_H
#define FLOWTAG_TCX_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define FT_BPF_TCX_INGRESS	46	/* enum bpf_attach_type, 6.6 */
#define FT_BPF_TCX_EGRESS	47
#define FT_BPF_LINK_TYPE_TCX	11	/* enum bpf_link_type, 6.6 */

/**
 * ft_tcx_link_pin_path() - "<pin_dir>/tcx_link_<ifname>" into @buf.
 * Return: 0 or -ENAMETOOLONG.
 */
int ft_tcx_link_pin_path(const char *pin_dir, const char *ifname, char *buf, size_t len);

/**
 * ft_tcx_supported() - whether the kernel has tcx hooks: the query of
 * @ifindex's BPF_TCX_INGRESS programs succeeds (6.6+) or is refused as an
 * unknown attach type (EINVAL before 6.6).
 * Return: 1, 0, or -errno when the query failed otherwise.
 */
int ft_tcx_supported(uint32_t ifindex);

/**
 * ft_tc_hook_tcx() - whether the tc ingress program of an interface
 * configured with @hook goes to tcx on @ifindex: tcx when asked for (then
 * -EOPNOTSUPP without tcx, logged with @name), auto when the kernel has
 * it, never for clsact. Return: 1, 0 or -errno.
 */
int ft_tc_hook_tcx(enum ft_tc_hook hook, uint32_t ifindex, const char *name);

/**
 * ft_tcx_link_ifindex() - the device a tcx ingress link @fd is attached to.
 * Return: the ifindex, 0 when the link is detached (its device went away,
 * bpftool link detach), or -errno (-EINVAL: not a tcx ingress link).
 */
int ft_tcx_link_ifindex(int fd);

/**
 * ft_tcx_link_adopt() - open our pinned tcx link at @path if it is still
 * attached to @ifindex's ingress; a stale pin (detached, another device)
 * is removed. Return: the link fd, or -ENOENT.
 */
int ft_tcx_link_adopt(const char *path, uint32_t ifindex);

/**
 * ft_tcx_attach() - run @prog_fd on @ifindex's tcx ingress: swap it into
 * our pinned link (a previous flowtagd's, or ours on a reload), or create
 * a link, appended after the tcx programs already there, and pin it.
 * @name:    the interface's name (pin and logs)
 * @fd:      out, the link fd
 * @created: out, a new link was made (to release on a later failure)
 * Return: 0 or -errno (logged).
 */
int ft_tcx_attach(const char *pin_dir, const char *name, uint32_t ifindex, int prog_fd,
		  int *fd, bool *created);

/**
 * ft_tcx_release() - remove the pin of @name's tcx link, detach link @fd
 * (also when someone else holds a reference to it) and close it; @fd < 0: the
 * link is opened from its pin first, if still attached to @ifindex
 * (@ifindex 0: the pin only).
 * Return: whether a link was detached.
 */
bool ft_tcx_release(const char *pin_dir, const char *name, uint32_t ifindex, int fd);

#endif /* FLOWTAG_TCX_LINK_H */
