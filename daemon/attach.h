/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Attaching the programs to an interface, and detaching exactly what we
 * attached:
 *  - XDP as a BPF link, pinned as <pin_dir>/xdp_link_<ifname> so the data
 *    path outlives the daemon; a restarted daemon swaps the program inside
 *    the pinned link (bpf_link_update), without a gap;
 *  - tc ingress as a tcx link (kernel 6.6+, tc_hook "auto" or "tcx"),
 *    pinned as <pin_dir>/tcx_link_<ifname> and updated in place like the
 *    XDP link (tcx_link.h);
 *  - the clsact qdisc through libnl-route-3, created only when missing and
 *    needed (tc ingress on clsact, egress restore, ingress shaping);
 *  - tc ingress/egress filters with libbpf's tc API at our own fixed
 *    (priority, handle), replaced in place, never touching other filters.
 */
#ifndef FLOWTAG_ATTACH_H
#define FLOWTAG_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "flowtag/maps.h"
#include "policy.h"

#define FT_TC_PRIO	0x7a6	/* our tc filter priority (pref) on both hooks */
#define FT_TC_HANDLE	0xf7a6	/* our tc filter handle */

struct ft_loader;
struct nl_sock;

/* A filter on a clsact hook, as the kernel lists it. */
struct ft_tc_filter {
	uint32_t pref;			/* its priority: lower runs first */
	uint32_t handle;
	char kind[16];			/* "bpf", "u32", "flower", ... */
};

/**
 * ft_clsact_filters() - the filters on the clsact hook @parent
 * (TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS or _EGRESS)) of @ifindex, as
 * the kernel dumps them (by pref), into @out (at most @max; NULL with 0 to
 * count). The dump's entries that name a filter chain itself (handle 0)
 * are not filters and are left out.
 * Return: the number of filters (more than @max when @out was too small),
 * or -errno.
 */
int ft_clsact_filters(struct nl_sock *sk, uint32_t ifindex, uint32_t parent,
		      struct ft_tc_filter *out, unsigned int max);

/* What is attached to one interface (mirrors struct ft_iface_info). */
struct ft_attachment {
	char name[FT_IFNAMSIZ];
	uint32_t ifindex;
	enum ft_xdp_mode want_mode;	/* as configured */
	uint32_t xdp_mode;		/* XDP_ATTACHED_* read back from the kernel */
	uint32_t flags;			/* FT_IFACE_F_* */
	uint16_t link_type;		/* ARPHRD_* of the device */
	uint8_t l2;			/* FT_L2_*: Ethernet, or the IP header first */
	int link_fd;			/* XDP link, -1 if none */
	int tcx_fd;			/* tcx ingress link (FT_IFACE_F_TCX), -1 if none */
	uint32_t shaping_failed;	/* FT_IFS_F_*: shaping the policy asks for that
					 * could not be built (ft_ifaces_shape()) */
	char shaping_why[sizeof(((struct ft_iface_shaping *)0)->why)]; /* ... why */
	bool link_gone_told;		/* ft_ifaces_link_detached() reported a link of it
					 * detached; false again once both are on the device */
};

/**
 * ft_attach_iface() - attach XDP, tc ingress (a tcx link, or a filter on
 * clsact, as @iface->tc_hook and the kernel decide) and egress when
 * @iface->egress_restore to one interface, or adopt and update what a
 * previous flowtagd left there (moving tc ingress between clsact and tcx
 * when the hook changed: the new one is attached before the old goes). Records the device's link layer in
 * ft_links first (from its ARPHRD_* type: Ethernet or the IP header
 * first). XDP: native, then native with the xdp.frags program, then (auto)
 * generic; L3 devices in auto mode go straight to generic; when no way
 * works in auto mode, tc only (FT_IFACE_F_TC_ONLY). Attach errors carry the
 * kernel's extended ack.
 * @prev: the record for this interface: a previous daemon's (from
 *        ft_ifaces) or our own (a reload), or NULL
 * @ours: @prev is this daemon's own attachment (a reload), not a takeover
 * Returns 0 or -errno; on failure nothing new stays attached.
 */
int ft_attach_iface(struct ft_loader *l, const struct ft_iface *iface,
		    const struct ft_iface_info *prev, bool ours, struct ft_attachment *a);

/**
 * ft_detach_iface() - remove what ft_attach_iface() attached: our tc
 * filters or tcx link (and its pin), the XDP link (and its pin), and the
 * clsact qdisc if we created it and no other filter remains on it.
 */
int ft_detach_iface(struct ft_loader *l, struct ft_attachment *a);

/**
 * ft_detach_recorded() - as ft_detach_iface() from a record left in
 * ft_ifaces by a previous daemon (used for --cleanup and for interfaces
 * dropped from the policy across a restart). Returns 1 when the interface
 * was found and cleaned, 0 when it is not in this network namespace (only
 * its link pin is removed), -errno on error.
 */
int ft_detach_recorded(const char *pin_dir, const struct ft_iface_info *rec);

/** ft_link_type_name() - "ether", "none" (tun, wireguard), "ppp", "ipip", ..., "other". */
const char *ft_link_type_name(uint16_t arphrd);

/**
 * ft_link_l2() - what flowtag's programs find first on a device of type
 * @arphrd (ARPHRD_*): FT_L2_ETH or FT_L2_NONE, or -EPROTONOSUPPORT for a
 * link layer flowtag cannot parse.
 */
int ft_link_l2(uint16_t arphrd);

/**
 * ft_link_record() - tell the programs of @l what starts a packet received
 * on @ifindex: @l2 (FT_L2_*) and @arphrd (ARPHRD_*, for flowtagctl) in
 * ft_links, then the interface's ft_devs entry if it is free or its own
 * (ft_dev_claim(): one lookup for link type and hand-off counters; the
 * programs read ft_links until the entry is there, and when another
 * interface holds it), and ft_state's link-type fields recounted
 * (ft_loader_links_sync()). What ft_attach_iface() does before it attaches.
 * Return: 0 or -errno.
 */
int ft_link_record(struct ft_loader *l, uint32_t ifindex, uint8_t l2, uint16_t arphrd);

struct ft_live;

/**
 * ft_repair_needed() - whether ft_live_check()'s findings @lv show
 * something of ours missing that ft_repair_iface() would restore.
 */
bool ft_repair_needed(const struct ft_attachment *a, const struct ft_live *lv);

/**
 * ft_repair_iface() - put back what ft_live_check() found missing on an
 * interface this daemon attached: the clsact qdisc (then counted as ours)
 * where a filter needs it, our tc ingress/egress filters (replacing a
 * foreign program at our pref/handle), our tcx link (a new one, appended,
 * when ours was detached), and the XDP link when nothing else holds the
 * XDP hook.
 * Never removes another tool's qdisc, filter or XDP program.
 * @what: out, what was restored, e.g. "clsact qdisc, tc ingress filter"
 * Return: 1 when something was restored, 0 when there was nothing this
 * function can restore, -errno when a step failed (logged).
 */
int ft_repair_iface(struct ft_loader *l, const struct ft_iface *iface, struct ft_attachment *a,
		    const struct ft_live *lv, char *what, size_t len);

/**
 * ft_sweep_netns() - remove flowtag's tc filters (our pref/handle running a
 * program named ft_tc_*) from every interface of this network namespace,
 * with or without pins: what a flowtagd whose bpffs was private (ip netns
 * exec) leaves behind. Return: the number of filters removed.
 */
int ft_sweep_netns(void);

/**
 * ft_netns_leftovers() - flowtag's programs still attached in this network
 * namespace, found in the kernel alone (no pin, no record): tc filters at
 * flowtag's pref/handle running a program named ft_tc_*, XDP programs
 * named ft_xdp*, tcx ingress programs named ft_tc_*. For a flowtagctl that
 * finds no flowtagd: a flowtagd killed under `ip netns exec` (private
 * bpffs) leaves its clsact filters tagging with no pin to find them by.
 * @buf: "d0 (tc ingress filter ft_tc_ingress #12), ...", truncated to @len
 * Return: how many were found.
 */
int ft_netns_leftovers(char *buf, size_t len);

/** ft_xdp_mode_name() - "native", "generic", "offload", "none", ... */
const char *ft_xdp_mode_name(uint32_t xdp_attached_mode);

/* At most this many interfaces of a network namespace are looked at. */
#define FT_MAX_PRESENT	4096

/**
 * ft_present_ifaces() - the interfaces of this network namespace, at most
 * @max of them. Return: how many, or -errno.
 */
int ft_present_ifaces(struct ft_ifname *out, size_t max);

/**
 * ft_resolve_iifs() - bind every rule's iif names and patterns to the
 * interfaces of this network namespace (ft_policy_bind_iifs(); ifindex 0
 * for a name that does not exist: it never matches until bound again).
 */
void ft_resolve_iifs(struct ft_policy *pol);

/**
 * ft_link_pin_rename() - move the XDP and tcx link pins of interface @from
 * to the name @to (the interface was renamed; the links follow the
 * ifindex). Says nothing: the caller logs the rename (through a temporary
 * name, ft_link_pin_tmp(), when interfaces may have swapped names).
 * Return: 0 (also when there is no pin), or -errno.
 */
int ft_link_pin_rename(const char *pin_dir, const char *from, const char *to);

/* Bytes of ft_link_pin_tmp()'s name, NUL included. */
#define FT_LINK_PIN_TMP_LEN	16

/**
 * ft_link_pin_tmp() - the temporary name "ren:IFINDEX" under which the
 * link pins of interface @ifindex wait during a rename, into @buf: no
 * interface can be called that (':' is not allowed in a name), and bpffs
 * refuses names with a '.'. Returns @buf.
 */
char *ft_link_pin_tmp(uint32_t ifindex, char buf[FT_LINK_PIN_TMP_LEN]);

/**
 * ft_link_pins_forget() - remove the XDP and tcx link pins of interface
 * @name when their links are detached (the device @ifindex vanished) or
 * still on @ifindex; a pin whose link is on another device stays (that
 * device was renamed to @name meanwhile).
 */
void ft_link_pins_forget(const char *pin_dir, const char *name, uint32_t ifindex);

/**
 * ft_forget_iface() - drop what is left of an attachment whose interface
 * vanished: the kernel removed the links, filters and qdisc with it; this
 * closes the link fds and removes the pins and the ft_links entry.
 */
void ft_forget_iface(struct ft_loader *l, struct ft_attachment *a);

/**
 * ft_attachment_undo_extras() - on an interface an undone takeover start
 * keeps (@a: what this start attached; @prev: the previous flowtagd's
 * record of it), take away the hooks this start added that @prev did not
 * have: the tc egress filter, the clsact qdisc it created (when no filter
 * is left on it). XDP and tc ingress stay: they carry the data path.
 */
void ft_attachment_undo_extras(struct ft_attachment *a, const struct ft_iface_info *prev);

/**
 * ft_attachment_close() - close @a's link fds (XDP, tcx) without detaching
 * anything: their pins keep the links (a reload re-adopts them, a handover
 * leaves them to the next flowtagd).
 */
void ft_attachment_close(struct ft_attachment *a);

struct nl_sock;

/**
 * ft_nl_route_open() - a libnl NETLINK_ROUTE socket, connected; NULL on
 * failure (logged). Free with nl_socket_free().
 */
struct nl_sock *ft_nl_route_open(void);

/** ft_prog_name() - the name of BPF program @id ("" when unreadable). */
void ft_prog_name(uint32_t id, char *buf, size_t len);

#endif /* FLOWTAG_ATTACH_H */
