// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Interface reconciliation by ifindex (see ifaces.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>

#include "compile.h"
#include "ifaces.h"
#include "loader.h"
#include "swap.h"
#include "log.h"
#include "shaping.h"
#include "tcx_link.h"
#include "xdp_link.h"

static struct ft_ifname present[FT_MAX_PRESENT];

int ft_ifaces_check_required(const struct ft_policy *pol)
{
	int n = ft_present_ifaces(present, FT_MAX_PRESENT), err = 0;
	size_t i, k;

	if (n < 0) {
		pr_err("cannot list the interfaces: %s", strerror(-n));
		return n;
	}
	for (i = 0; i < pol->nifaces; i++) {
		const struct ft_iface *ifc = &pol->ifaces[i];
		bool found = false;

		if (!ifc->required)
			continue;
		for (k = 0; k < (size_t)n && !found; k++)
			found = ft_ifname_match(ifc->name, present[k].name);
		if (found)
			continue;
		/* FILE:LINE: error: as every other error in a policy file */
		ft_log_plain(LOG_ERR, "%s:%d: error: required interface %s %s",
			     ft_policy_file(pol, ifc->src_file), ifc->line, ifc->name,
			     ft_ifname_is_pattern(ifc->name) ? "matches no interface" :
							       "does not exist");
		err = -ENODEV;
	}
	return err;
}

const struct ft_iface *ft_ifaces_bound(const struct ft_policy *pol, const struct ft_attachment *a,
				       struct ft_iface *out)
{
	const struct ft_iface *ifc = ft_policy_iface_for(pol, a->name);

	if (!ifc)
		return NULL;
	*out = *ifc;
	memcpy(out->name, a->name, sizeof(out->name));
	return out;
}

const char *ft_ifaces_ifb(const struct ft_policy *pol, const char *name)
{
	const struct ft_iface *ifc = pol ? ft_policy_iface_for(pol, name) : NULL;

	return ifc && ifc->ingress_shaping.enabled ? ifc->ingress_shaping.ifb : NULL;
}

/* Add the first error logged since ft_log_clear_error() to @a's shaping
 * reasons, without the interface name it starts with. */
static void shaping_failed(struct ft_attachment *a, uint32_t what, int err)
{
	const char *why = ft_log_first_error();
	size_t len = strlen(a->shaping_why), nl = strlen(a->name);

	if (!why[0])
		why = strerror(-err);
	else if (!strncmp(why, a->name, nl) && !strncmp(why + nl, ": ", 2))
		why += nl + 2;
	snprintf(a->shaping_why + len, sizeof(a->shaping_why) - len, "%s%s", len ? "; " : "", why);
	a->shaping_failed |= what;
}

int ft_ifaces_shape(const struct ft_policy *pol, struct ft_attachment *a,
		    const struct ft_iface *ifc, const char *prev_ifb)
{
	bool owned = a->flags & FT_IFACE_F_SHAPED;
	bool in_owned = a->flags & FT_IFACE_F_INGRESS_SHAPED, in_had = in_owned;
	int err = 0, e;

	a->shaping_failed = 0;
	a->shaping_why[0] = '\0';
	a->flags &= ~(FT_IFACE_F_SHAPE_WANT | FT_IFACE_F_INGRESS_SHAPE_WANT);
	if (ifc && ifc->egress_shaping.enabled) {
		a->flags |= FT_IFACE_F_SHAPE_WANT;
		ft_log_clear_error();
		err = ft_shaping_apply(pol, ifc, a->ifindex, &owned);
		if (err) {
			shaping_failed(a, FT_IFS_F_EGRESS, err);
			/* no half-built tree: HTB's direct queue would take the
			 * classes without a leaf or a class, unshaped */
			if (owned && !ft_shaping_remove(a->ifindex, a->name))
				owned = false;
			pr_err("%s: egress shaping is not as the policy says: nothing half-built of "
			       "it is left (status: degraded); a reload tries again", a->name);
		}
	} else if (owned) {
		ft_shaping_remove(a->ifindex, a->name);
		owned = false;
	}
	if (ifc && ifc->ingress_shaping.enabled) {
		a->flags |= FT_IFACE_F_INGRESS_SHAPE_WANT;
		ft_log_clear_error();
		e = ft_ingress_shaping_apply(pol, ifc, a->ifindex, &in_owned);
		if (e) {
			shaping_failed(a, FT_IFS_F_INGRESS, e);
			/* the redirect and the IFB (with what is on it) go */
			if ((in_owned || in_had) &&
			    !ft_ingress_shaping_remove(a->ifindex, a->name, ifc->ingress_shaping.ifb))
				in_owned = false;
			pr_err("%s: ingress shaping is not as the policy says: nothing half-built of "
			       "it is left (status: degraded); a reload tries again", a->name);
		}
		if (e && !err)
			err = e;
	} else if (in_owned) {
		ft_ingress_shaping_remove(a->ifindex, a->name, prev_ifb);
		in_owned = false;
	}
	a->flags = owned ? a->flags | FT_IFACE_F_SHAPED : a->flags & ~FT_IFACE_F_SHAPED;
	a->flags = in_owned ? a->flags | FT_IFACE_F_INGRESS_SHAPED :
			      a->flags & ~FT_IFACE_F_INGRESS_SHAPED;
	return err;
}

void ft_ifaces_detach(struct ft_ifaces *s, struct ft_attachment *a)
{
	if (a->flags & FT_IFACE_F_SHAPED)
		ft_shaping_remove(a->ifindex, a->name);
	/* before the clsact qdisc: the redirect filter would keep it */
	if (a->flags & FT_IFACE_F_INGRESS_SHAPED)
		ft_ingress_shaping_remove(a->ifindex, a->name, ft_ifaces_ifb(s->active, a->name));
	ft_detach_iface(s->loader, a);
}

void ft_ifaces_detach_all(struct ft_ifaces *s)
{
	size_t i;

	for (i = 0; i < s->natt; i++)
		ft_ifaces_detach(s, &s->att[i]);
	s->natt = 0;
}

/* @why as logged; it starts with the interface name, or gets it. */
static void add_missing(struct ft_ifaces *s, const char *name, const char *why)
{
	size_t len = strlen(s->missing);
	bool named = !strncmp(why, name, strlen(name));

	/* flowtagctl reload and status print this */
	snprintf(s->missing + len, sizeof(s->missing) - len, "%s%s%s%s", len ? "; " : "",
		 named ? "" : name, named ? "" : ": ", why);
	s->nmissing++;
}

static const struct ft_ifname *by_index(const struct ft_ifname *p, size_t n, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].ifindex == ifindex)
			return &p[i];
	return NULL;
}

static struct ft_attachment *att_by_index(struct ft_ifaces *s, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < s->natt; i++)
		if (s->att[i].ifindex == ifindex)
			return &s->att[i];
	return NULL;
}

static const struct ft_iface_info *rec_by_index(const struct ft_iface_info *rec, size_t n,
						uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rec[i].ifindex == ifindex)
			return &rec[i];
	return NULL;
}

static bool failed_before(const struct ft_ifaces *s, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < s->nfailed; i++)
		if (s->failed[i] == ifindex)
			return true;
	return false;
}

/*
 * Step 1: attachments whose ifindex vanished are forgotten (the kernel took
 * everything with the device); renamed ones take their new name, and their
 * XDP link pin moves with it. @renamed[i]: attachment i (after the
 * vanished ones are removed) was renamed.
 */
static void follow_kernel(struct ft_ifaces *s, const struct ft_ifname *p, size_t np,
			  bool *renamed)
{
	size_t i, n = 0;

	for (i = 0; i < s->natt; i++) {
		struct ft_attachment *a = &s->att[i];
		const struct ft_ifname *now = by_index(p, np, a->ifindex);

		if (!now) {
			pr_warn("%s: the interface vanished (ifindex %u): its state is dropped; "
				"flowtagd attaches again when an interface the policy names appears",
				a->name, a->ifindex);
			if (a->flags & FT_IFACE_F_SHAPED)
				pr_debug("%s: the HTB tree went with the device", a->name);
			/* its IFB did not: deleted by name (the redirect went
			 * with the device), built anew when it comes back */
			if (a->flags & FT_IFACE_F_INGRESS_SHAPED)
				ft_ingress_shaping_remove(0, a->name,
							  ft_ifaces_ifb(s->active, a->name));
			ft_forget_iface(s->loader, a);
			continue;
		}
		renamed[n] = false;
		if (strcmp(now->name, a->name)) {
			char tmp[FT_LINK_PIN_TMP_LEN];

			pr_info("%s (ifindex %u) is now called %s", a->name, a->ifindex, now->name);
			/* through a name of its own first: two interfaces may
			 * have swapped names, and a pin moved straight to the
			 * other's name would replace the other's pin */
			ft_link_pin_rename(s->loader->pin_dir, a->name,
					   ft_link_pin_tmp(a->ifindex, tmp));
			memcpy(a->name, now->name, sizeof(a->name));
			renamed[n] = true;
		}
		if (n != i)
			s->att[n] = *a;
		n++;
	}
	s->natt = n;
	for (i = 0; i < n; i++) {
		char tmp[FT_LINK_PIN_TMP_LEN];

		if (renamed[i] && !ft_link_pin_rename(s->loader->pin_dir,
						      ft_link_pin_tmp(s->att[i].ifindex, tmp),
						      s->att[i].name))
			pr_info("%s (ifindex %u): moved its link pins to its new name",
				s->att[i].name, s->att[i].ifindex);
	}
}

/* Step 4: the policy entries no interface answers to now. */
static void note_absent(struct ft_ifaces *s, const struct ft_policy *pol,
			const struct ft_ifname *p, size_t np, bool log)
{
	size_t i, k;

	s->nabsent = 0;
	for (i = 0; i < pol->nifaces; i++) {
		const struct ft_iface *ifc = &pol->ifaces[i];
		struct ft_iface_absent *ab;
		bool found = false;

		for (k = 0; k < np && !found; k++)
			found = ft_policy_iface_for(pol, p[k].name) == ifc;
		if (found)
			continue;
		ab = &s->absent[s->nabsent++];
		memcpy(ab->name, ifc->name, sizeof(ab->name));
		ab->required = ifc->required;
		ab->pattern = ft_ifname_is_pattern(ifc->name);
		/* said at a start or reload, not on every link event */
		if (log)
			pr_info("%s: %s yet: attached when it appears%s", ifc->name,
				ab->pattern ? "no interface matches it" : "no such interface",
				ifc->required ? " (required: degraded until then)" : "");
		if (ifc->required)
			add_missing(s, ifc->name, "required interface absent");
	}
}

/*
 * A takeover's recorded interfaces (@rec) that were renamed while no
 * flowtagd ran: their link pins go under ren:IFINDEX first (@aside[k]
 * set), as follow_kernel() does, so that two that swapped names do not
 * replace each other's pins; the attach moves each to its new name.
 */
static void rec_pins_aside(const char *pin_dir, const struct ft_iface_info *rec, size_t nrec,
			   const struct ft_ifname *present, size_t np, bool *aside)
{
	size_t k;

	for (k = 0; k < nrec && k < FT_MAX_IFACES; k++) {
		const struct ft_ifname *now = by_index(present, np, rec[k].ifindex);
		char old[sizeof(rec[k].name) + 1], tmp[FT_LINK_PIN_TMP_LEN];

		if (!now || !strncmp(now->name, rec[k].name, sizeof(rec[k].name)))
			continue;
		snprintf(old, sizeof(old), "%.*s", (int)sizeof(rec[k].name), rec[k].name);
		aside[k] = !ft_link_pin_rename(pin_dir, old, ft_link_pin_tmp(rec[k].ifindex, tmp));
	}
}

/* The pins rec_pins_aside() moved and no attach took, back to their
 * recorded names. */
static void rec_pins_back(const char *pin_dir, const struct ft_iface_info *rec, size_t nrec,
			  bool *aside)
{
	size_t k;

	for (k = 0; k < nrec && k < FT_MAX_IFACES; k++) {
		char old[sizeof(rec[k].name) + 1], tmp[FT_LINK_PIN_TMP_LEN];

		if (!aside[k])
			continue;
		snprintf(old, sizeof(old), "%.*s", (int)sizeof(rec[k].name), rec[k].name);
		ft_link_pin_rename(pin_dir, ft_link_pin_tmp(rec[k].ifindex, tmp), old);
		aside[k] = false;
	}
}

int ft_ifaces_sync(struct ft_ifaces *s, const struct ft_policy *pol,
		   const struct ft_iface_info *rec, size_t nrec, bool update)
{
	static struct ft_attachment next[FT_MAX_IFACES];
	bool renamed[FT_MAX_IFACES] = { 0 }, aside[FT_MAX_IFACES] = { 0 };
	size_t i, k, n = 0, np;
	int err = 0, e, got, pass;

	got = ft_present_ifaces(present, FT_MAX_PRESENT);
	if (got < 0) {
		pr_err("cannot list the interfaces: %s", strerror(-got));
		return got;
	}
	np = (size_t)got;
	follow_kernel(s, present, np, renamed);
	rec_pins_aside(s->loader->pin_dir, rec, nrec, present, np, aside);
	s->nmissing = 0;
	s->missing[0] = '\0';
	if (update)
		s->nfailed = 0;
	s->rec_untouched = false;

	/*
	 * A takeover (@rec) attaches the interfaces the previous flowtagd did
	 * not have first (pass 0): should one fail, the start is undone with
	 * the taken-over ones untouched, still running the previous daemon's
	 * programs with its hooks and XDP modes. Otherwise one pass (1).
	 */
	for (pass = nrec ? 0 : 1; pass < 2; pass++) {
		if (pass == 1 && nrec && err) {
			pr_err("not attaching the %zu interface(s) taken over: the start is "
			       "undone", nrec);
			rec_pins_back(s->loader->pin_dir, rec, nrec, aside);
			memcpy(s->att, next, n * sizeof(next[0]));
			s->natt = n;
			s->rec_untouched = true;
			note_absent(s, pol, present, np, update);
			return err;
		}
		for (i = 0; i < np; i++) {
			const struct ft_iface *ifc = ft_policy_iface_for(pol, present[i].name);
			struct ft_attachment *cur = att_by_index(s, present[i].ifindex);
			struct ft_iface_info prev = { 0 };
			const struct ft_iface_info *p = NULL, *taken;
			struct ft_iface bound;

			if (!ifc)
				continue;
			taken = rec_by_index(rec, nrec, present[i].ifindex);
			if (nrec && (pass == 0) == (taken != NULL))
				continue;
			if (n == FT_MAX_IFACES) {
				add_missing(s, present[i].name, "too many interfaces bound");
				pr_err("%s: not attached: the policy binds more than %d interfaces",
				       present[i].name, FT_MAX_IFACES);
				err = -E2BIG;
				continue;
			}
			if (cur && !update && !renamed[cur - s->att]) {
				next[n++] = *cur;	/* as it is */
				continue;
			}
			if (!cur && !update && failed_before(s, present[i].ifindex)) {
				add_missing(s, present[i].name, "attach failed; retried on reload");
				continue;
			}
			bound = *ifc;
			memcpy(bound.name, present[i].name, sizeof(bound.name));
			if (cur) {
				/* re-run: swaps programs in place, adds/removes egress */
				memcpy(prev.name, cur->name, sizeof(prev.name));
				prev.ifindex = cur->ifindex;
				prev.flags = cur->flags;
				p = &prev;
				ft_attachment_close(cur);
			} else if ((p = taken) && strncmp(p->name, bound.name, sizeof(p->name))) {
				char old[FT_IFNAMSIZ], tmp[FT_LINK_PIN_TMP_LEN];

				/* renamed while no flowtagd ran: its pins wait
				 * under ren:IFINDEX (rec_pins_aside()) */
				snprintf(old, sizeof(old), "%.*s", (int)sizeof(p->name), p->name);
				if (!ft_link_pin_rename(s->loader->pin_dir,
							ft_link_pin_tmp(p->ifindex, tmp), bound.name))
					pr_info("%s was renamed %s while no flowtagd ran: moved its "
						"link pins", old, bound.name);
				aside[p - rec] = false;
			}
			ft_log_clear_error();
			e = ft_attach_iface(s->loader, &bound, p, cur != NULL, &next[n]);
			if (e) {
				const char *why = ft_log_last_error();

				add_missing(s, bound.name, why[0] ? why : strerror(-e));
				if (s->nfailed < FT_MAX_IFACES)
					s->failed[s->nfailed++] = present[i].ifindex;
				if (cur)	/* left half-attached: take down what remains */
					ft_ifaces_detach(s, cur);
				err = e;
				continue;
			}
			/* the HTB tree is ours across reloads and takeovers */
			if (p)
				next[n].flags |= p->flags & (FT_IFACE_F_SHAPED |
							     FT_IFACE_F_INGRESS_SHAPED);
			n++;
		}
	}
	/* interfaces no entry names any more (renamed away, or left the policy) */
	for (i = 0; i < s->natt; i++) {
		bool keep = false;

		for (k = 0; k < n; k++)
			keep |= next[k].ifindex == s->att[i].ifindex;
		if (keep || !s->att[i].flags)
			continue;
		pr_info("%s: no interface entry of the policy names it: detaching", s->att[i].name);
		ft_ifaces_detach(s, &s->att[i]);
	}
	/* the pins of recorded interfaces no entry took, back under their
	 * recorded names: ft_detach_recorded() finds them there */
	rec_pins_back(s->loader->pin_dir, rec, nrec, aside);
	for (i = 0; i < nrec; i++) {
		bool keep = false;

		for (k = 0; k < n; k++)
			keep |= next[k].ifindex == rec[i].ifindex;
		if (!keep)
			ft_detach_recorded(s->loader->pin_dir, &rec[i]);
	}
	memcpy(s->att, next, n * sizeof(next[0]));
	s->natt = n;
	note_absent(s, pol, present, np, update);
	return err;
}

/* The rules' iif binding as one array: per rule its count, then ifindexes. */
static uint32_t *iif_binding(const struct ft_policy *pol, size_t *n)
{
	size_t r, i, len = 0, k = 0;
	uint32_t *v;

	for (r = 0; r < pol->nrules; r++)
		len += 1 + pol->rules[r].match.niif;
	v = calloc(len ? len : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (r = 0; r < pol->nrules; r++) {
		const struct ft_match *m = &pol->rules[r].match;

		v[k++] = (uint32_t)m->niif;
		for (i = 0; i < m->niif; i++)
			v[k++] = m->iif_index[i];
	}
	*n = len;
	return v;
}

int ft_ifaces_rebind(struct ft_policy *pol, struct ft_loader *l, uint32_t *generation)
{
	struct ft_compiled c = { 0 };
	uint32_t *before, *after;
	size_t nb = 0, na = 0;
	int err;

	before = iif_binding(pol, &nb);
	ft_resolve_iifs(pol);
	after = iif_binding(pol, &na);
	if (before && after && nb == na && !memcmp(before, after, nb * sizeof(*before))) {
		free(before);
		free(after);
		return 0;
	}
	free(before);
	free(after);
	err = ft_compile(pol, &c);
	if (!err)
		err = ft_policy_swap_rebind(l, &c, generation);
	ft_compiled_free(&c);
	if (err) {
		pr_err("interfaces changed, but the iif rules cannot follow: %s; they match the "
		       "old ifindexes until the next reload", strerror(-err));
		return err;
	}
	pr_info("interfaces changed: iif rules bound again, generation %u (cached flow "
		"verdicts of the old one no longer count)", *generation);
	return 1;
}

/*
 * undo_hooks() - put the XDP mode and the tc ingress hook of @a, an
 * interface taken over and attached again by a start that failed later
 * (its shaping, say), back as the previous flowtagd had them (@p): a policy
 * asking for another xdp_mode or tc_hook moved them on the way. The egress
 * filter follows @p too. Nothing to do when neither moved. ft_attach_iface()
 * logs what fails; @a then holds what is left.
 */
static void undo_hooks(struct ft_ifaces *s, struct ft_attachment *a,
		       const struct ft_iface_info *p)
{
	bool mode = (p->xdp_mode == XDP_ATTACHED_DRV || p->xdp_mode == XDP_ATTACHED_SKB) &&
		    a->xdp_mode != p->xdp_mode;
	bool hook = (a->flags ^ p->flags) & FT_IFACE_F_TCX;
	struct ft_iface_info cur = { 0 };
	struct ft_iface back = { 0 };
	struct ft_attachment next;
	uint32_t shaped = a->flags & (FT_IFACE_F_SHAPED | FT_IFACE_F_INGRESS_SHAPED);

	if (!mode && !hook)
		return;
	memcpy(back.name, a->name, sizeof(back.name));
	back.xdp_mode = p->xdp_mode == XDP_ATTACHED_DRV ? FT_XDP_NATIVE :
			p->xdp_mode == XDP_ATTACHED_SKB ? FT_XDP_GENERIC : FT_XDP_AUTO;
	back.tc_hook = (p->flags & FT_IFACE_F_TCX) ? FT_TC_HOOK_TCX : FT_TC_HOOK_CLSACT;
	back.egress_restore = p->flags & FT_IFACE_F_EGRESS;
	/* its redirect filter needs the clsact qdisc kept */
	back.ingress_shaping.enabled = p->flags & FT_IFACE_F_INGRESS_SHAPED;
	/* what is attached now, as a reload would see it */
	memcpy(cur.name, a->name, sizeof(cur.name));
	cur.ifindex = a->ifindex;
	cur.flags = a->flags;
	pr_info("%s: putting back the XDP mode and tc hook the previous flowtagd had "
		"(XDP %s, tc ingress on %s)", a->name, ft_xdp_mode_name(p->xdp_mode),
		(p->flags & FT_IFACE_F_TCX) ? "tcx" : "clsact");
	ft_attachment_close(a);
	if (ft_attach_iface(s->loader, &back, &cur, true, &next)) {
		pr_err("%s: cannot put them back: see above; flowtagctl status tells what "
		       "runs there", a->name);
		a->flags = 0;
		return;
	}
	next.flags |= shaped;
	*a = next;
}

size_t ft_ifaces_undo(struct ft_ifaces *s, const struct ft_iface_info *rec, size_t nrec)
{
	size_t i, kept = 0;

	for (i = 0; i < s->natt; i++) {
		struct ft_attachment *a = &s->att[i];
		const struct ft_iface_info *p = rec_by_index(rec, nrec, a->ifindex);

		if (!p) {
			ft_ifaces_detach(s, a);
			continue;
		}
		/* what this start built that the previous flowtagd had not:
		 * shaping first (its redirect filter keeps the clsact qdisc) */
		if ((a->flags & FT_IFACE_F_SHAPED) && !(p->flags & FT_IFACE_F_SHAPED))
			ft_shaping_remove(a->ifindex, a->name);
		if ((a->flags & FT_IFACE_F_INGRESS_SHAPED) &&
		    !(p->flags & FT_IFACE_F_INGRESS_SHAPED))
			ft_ingress_shaping_remove(a->ifindex, a->name,
						  ft_ifaces_ifb(s->active, a->name));
		/* the previous tree, rebuilt by this start, or removed when this
		 * start could not build its own (ft_ifaces_shape()) */
		if (p->flags & (FT_IFACE_F_SHAPED | FT_IFACE_F_INGRESS_SHAPED))
			pr_warn("%s: its shaping may be as this start left it (or gone, where this "
				"start could not build its own), not as the previous policy had it: "
				"a reload of that policy builds it again", a->name);
		undo_hooks(s, a, p);
		ft_attachment_undo_extras(a, p);
		ft_attachment_close(a);
		kept++;
	}
	s->natt = 0;
	/* untouched (the sync stopped before them): as the previous one left them */
	if (s->rec_untouched && nrec)
		pr_err("kept the %zu interface(s) taken over from the previous flowtagd, running "
		       "its policy and programs, untouched", nrec);
	else if (kept)
		pr_err("kept the %zu interface(s) taken over from the previous flowtagd, running "
		       "its policy", kept);
	return kept;
}

const struct ft_attachment *ft_ifaces_link_detached(struct ft_ifaces *s)
{
	size_t i;

	for (i = 0; i < s->natt; i++) {
		struct ft_attachment *a = &s->att[i];
		bool gone = (a->link_fd >= 0 && ft_xdp_link_ifindex(a->link_fd) == 0) ||
			    (a->tcx_fd >= 0 && ft_tcx_link_ifindex(a->tcx_fd) == 0);

		if (!gone)
			a->link_gone_told = false;
		else if (!a->link_gone_told) {
			a->link_gone_told = true;
			return a;
		}
	}
	return NULL;
}
