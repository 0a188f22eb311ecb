/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Interface reconciliation: which interfaces of the network namespace the
 * policy's 'interfaces' entries (names and patterns) bind, and bringing the
 * attachments in line with them, by ifindex: at start (taking over what a
 * previous flowtagd left), on reload, and whenever rtnetlink says a link
 * appeared, vanished or was renamed. attach.c does the attaching itself.
 */
#ifndef FLOWTAG_IFACES_H
#define FLOWTAG_IFACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach.h"
#include "flowtag/maps.h"
#include "policy.h"

struct ft_loader;

/* A policy entry that no interface of the namespace answers to now. */
struct ft_iface_absent {
	char name[FT_IFNAMSIZ];		/* the name or pattern as written */
	bool required;
	bool pattern;
};

struct ft_ifaces {
	struct ft_loader *loader;
	const struct ft_policy *active;	/* the policy in force (IFB names), or NULL */
	struct ft_attachment att[FT_MAX_IFACES];
	size_t natt;
	struct ft_iface_absent absent[FT_MAX_IFACES];
	size_t nabsent;
	bool rec_untouched;		/* the last takeover sync stopped before the
					 * interfaces taken over (ft_ifaces_undo()) */
	uint32_t failed[FT_MAX_IFACES];	/* ifindexes whose attach failed: retried on reload */
	size_t nfailed;
	unsigned int nmissing;		/* attach failures + required interfaces absent */
	char missing[464];		/* "name: why; ..." (struct ft_health.missing) */
};

/**
 * ft_ifaces_check_required() - every interface entry with required = true
 * exists (a pattern: at least one interface matches it). Logs
 * "FILE:LINE: required interface NAME does not exist" for each that does not.
 * Return: 0 or -ENODEV.
 */
int ft_ifaces_check_required(const struct ft_policy *pol);

/**
 * ft_ifaces_sync() - bring the attachments in line with @pol and the
 * interfaces present now, matched by ifindex: forget interfaces that
 * vanished, follow renames (the pin moves with the name; a name the policy
 * no longer covers is detached), attach interfaces that appeared or that an
 * entry now names, detach those no entry names. Records the entries with no
 * interface in @s->absent.
 * @rec/@nrec: a previous daemon's records to take over (start only; else NULL/0)
 * @update:    re-attach every bound interface with the (new) policy's
 *             settings (start, reload); false on a link event: only what
 *             changed, and no retry of interfaces whose attach failed
 * Return: 0, or the last attach error (the rest is attached; see @s->missing).
 */
int ft_ifaces_sync(struct ft_ifaces *s, const struct ft_policy *pol,
		   const struct ft_iface_info *rec, size_t nrec, bool update);

/**
 * ft_ifaces_undo() - undo a start that failed half-way: detach what this
 * run attached, keep what it took over from the previous daemon in @rec,
 * whose data path must keep running: attached again by this run, they
 * run its program instances (the same programs on the same maps), with
 * the XDP mode, tc ingress hook and egress filter the previous daemon had
 * (this run's policy may have moved them before a later step failed).
 * Return: the interfaces kept (the caller records its program ids).
 */
size_t ft_ifaces_undo(struct ft_ifaces *s, const struct ft_iface_info *rec, size_t nrec);

/**
 * ft_ifaces_rebind() - bind the rules' iif names and patterns of the active
 * policy @pol to the interfaces present now (ft_resolve_iifs()); when that
 * changes an ifindex (an interface appeared, vanished, was re-created or
 * renamed), compile @pol again and apply it through @l: a new generation,
 * so neither a rule nor a cached flow verdict keeps the old ifindex.
 * @generation: out, the new generation (only when 1 is returned)
 * Return: 1 when a new generation was applied, 0 when nothing changed,
 * -errno when the new binding could not be applied (logged; the rules keep
 * the old ifindexes until the next reload).
 */
int ft_ifaces_rebind(struct ft_policy *pol, struct ft_loader *l, uint32_t *generation);

/**
 * ft_ifaces_shape() - shaping of attachment @a in step with @ifc (NULL: no
 * entry names @a any more): build or update the HTB tree of egress_shaping,
 * and the IFB device, its tree and the redirect of ingress_shaping; remove
 * ours where @ifc no longer asks for them (@prev_ifb: the IFB the policy
 * before named, NULL if none: deleted by name when its redirect is gone).
 * What cannot be built as @ifc says is removed, not left half-built (an
 * HTB tree without its leaves or some classes sends their packets
 * unshaped through HTB's direct queue, looking in place): the kernel's
 * default root qdisc, no IFB; why goes to @a->shaping_why and
 * @a->shaping_failed (ft_ifshaping), and status shows it degraded.
 * Updates FT_IFACE_F_SHAPED, FT_IFACE_F_INGRESS_SHAPED and the _WANT flags
 * in @a->flags.
 * Return: 0, or the first -errno (logged).
 */
int ft_ifaces_shape(const struct ft_policy *pol, struct ft_attachment *a,
		    const struct ft_iface *ifc, const char *prev_ifb);

/** ft_ifaces_ifb() - the IFB device @pol names for interface @name, or NULL. */
const char *ft_ifaces_ifb(const struct ft_policy *pol, const char *name);

/**
 * ft_ifaces_detach() - detach one attachment: its HTB tree and its IFB if
 * ours, then ft_detach_iface().
 */
void ft_ifaces_detach(struct ft_ifaces *s, struct ft_attachment *a);

/** ft_ifaces_detach_all() - detach every attachment (shutdown). */
void ft_ifaces_detach_all(struct ft_ifaces *s);

/**
 * ft_ifaces_bound() - the interface entry of @pol governing attachment @a,
 * as a copy carrying @a's real name (an entry may be a pattern). Return:
 * @out, or NULL when no entry names @a any more.
 */
const struct ft_iface *ft_ifaces_bound(const struct ft_policy *pol, const struct ft_attachment *a,
				       struct ft_iface *out);

/**
 * ft_ifaces_link_detached() - the first attachment of @s whose XDP or tcx
 * link the kernel no longer holds on its device: detached through bpf(2)
 * (BPF_LINK_DETACH, `bpftool link detach`), which sends no rtnetlink event
 * to wake the self-repair. The kernel then reports ifindex 0 for the link
 * (struct bpf_link_info's xdp.ifindex, tcx.ifindex: their fill_link_info
 * callbacks), which is what is read: one bpf(BPF_OBJ_GET_INFO_BY_FD) per
 * link. An interface that went away counts too (its links are detached
 * with it); the self-repair tells the two apart.
 * Each detach is reported once: an attachment whose link stays detached
 * (another tool's XDP program took the device, repairs stopped) is not
 * reported again until its links are back on the device.
 * Return: that attachment, or NULL when every link is on its device (or
 * cannot be read, or was reported already).
 */
const struct ft_attachment *ft_ifaces_link_detached(struct ft_ifaces *s);

#endif /* FLOWTAG_IFACES_H */
