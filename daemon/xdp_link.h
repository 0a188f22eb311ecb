/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * XDP as BPF links, for attach.c: created, pinned, adopted and released.
 * A link is pinned as <pin_dir>/xdp_link_<ifname> so the data path outlives
 * the daemon; the pin moves with a rename (ft_link_pin_rename()).
 */
#ifndef FLOWTAG_XDP_LINK_H
#define FLOWTAG_XDP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach.h"

/**
 * ft_xdp_link_pin_path() - "<pin_dir>/xdp_link_<ifname>" into @buf.
 * Return: 0 or -ENAMETOOLONG.
 */
int ft_xdp_link_pin_path(const char *pin_dir, const char *ifname, char *buf, size_t len);

/**
 * ft_xdp_link_adopt() - open our pinned XDP link at @path if it is still
 * attached to @ifindex; a stale pin (detached, another device) is removed.
 * @frags: out, whether the link runs the xdp.frags program.
 * Return: the link fd, or -ENOENT.
 */
int ft_xdp_link_adopt(const char *path, uint32_t ifindex, bool *frags);

/**
 * ft_xdp_link_create() - attach the XDP program to @a->ifindex as a BPF
 * link: native with the program the MTU asks for, native with the
 * xdp.frags program, then generic (auto mode; the only try on an L3 device
 * in auto mode). Every refusal is logged with the kernel's extended ack.
 * Sets or clears FT_IFACE_F_FRAGS in @a.
 * @why: out, the text of the last refusal
 * Return: the link fd (not pinned), or -errno.
 */
int ft_xdp_link_create(struct ft_loader *l, const struct ft_iface *iface,
		       struct ft_attachment *a, char *why, size_t wlen);

/** ft_xdp_attached_mode() - XDP_ATTACHED_* on @ifindex now (NONE on error). */
uint32_t ft_xdp_attached_mode(uint32_t ifindex);

/**
 * ft_xdp_attach() - give @a->ifindex flowtag's XDP program: adopt our link
 * (pinned under @iface->name, or found by the id of a program this daemon
 * loaded) and swap the current program into it, or create and pin a new
 * link. Never replaces another tool's XDP program (-EBUSY, logged). In auto
 * mode a device that refuses every way gets tc only (FT_IFACE_F_TC_ONLY).
 * @prev_daemon: the link is a previous flowtagd's (log the takeover)
 * @created:     out, a new link was made (to release on a later failure)
 * Return: 0 or -errno.
 */
int ft_xdp_attach(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		  bool prev_daemon, bool *created);

/**
 * ft_xdp_link_ifindex() - the device XDP link @fd is attached to.
 * Return: the ifindex, 0 when the link is detached (its device went away,
 * bpftool link detach), or -errno (-EINVAL: not an XDP link).
 */
int ft_xdp_link_ifindex(int fd);

/**
 * ft_xdp_release() - remove the pin of @name's link and detach link @fd
 * (also when someone else holds a reference to it); @fd < 0: the pin only.
 */
void ft_xdp_release(const char *pin_dir, const char *name, int fd);

#endif /* FLOWTAG_XDP_LINK_H */
