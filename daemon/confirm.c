// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagd's side of reload --confirm / confirm / rollback (confirm.h):
 * the requests on the control socket (control.h), the rollback to the
 * policy before the last reload (one flip of ft_state when the inactive
 * slot still holds it), the confirm window's automatic rollback, and a
 * pending confirm that a restart lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "compile.h"
#include "confirm.h"
#include "control.h"
#include "daemon.h"
#include "dynset_sync.h"
#include "hostcheck.h"
#include "ifaces.h"
#include "log.h"
#include "notify.h"
#include "swap.h"

/* The reload --confirm still connected learns the outcome; then it is done. */
static void tell_waiter(struct daemon *d, const char *line)
{
	if (d->waiter_fd < 0)
		return;
	ft_control_reply(d->waiter_fd, "%s", line);
	close(d->waiter_fd);
	d->waiter_fd = -1;
}

/* The dynamic sets' sizes and timeouts as the policy rolled back to has
 * them (the reload after it may have changed them; one swapped in again
 * gets them from ft_policy_swap()). */
static void prev_sets_params(struct daemon *d)
{
	struct ft_dynset_params *p = calloc(d->prev.nsets ? d->prev.nsets : 1, sizeof(*p));
	size_t i, n = 0;

	if (!p) {
		pr_warn("rollback: out of memory: the dynamic sets keep their size and timeout");
		return;
	}
	for (i = 0; i < d->prev.nsets; i++) {
		const struct ft_prefix_set *set = &d->prev.sets[i];

		if (!set->dynamic)
			continue;
		snprintf(p[n].name, sizeof(p[n].name), "%s", set->name);
		p[n].size = set->size;
		p[n].timeout = set->timeout;
		n++;
	}
	ft_dynsets_params_restore(d->pin_dir, ft_loader_map_fd(&d->loader, "ft_dset4_o"),
				  ft_loader_map_fd(&d->loader, "ft_dset6_o"), p, n, false);
	free(p);
}

/*
 * Roll back to the policy before the last reload: one flip of ft_state
 * when the inactive slot still holds it (ft_policy_flip_back()), else (an
 * iif rebinding reused the slot meanwhile) compiled again and swapped in,
 * atomic all the same. Then interfaces, shaping, the in-memory policy and
 * the records follow, as after a reload.
 * @why:    what made it happen, for the log and the records
 * @answer: out, the control answer line ("rolledback FROM TO WHY" or
 *          "error WHY")
 */
static int do_rollback(struct daemon *d, bool automatic, const char *why, char *answer,
		       size_t len)
{
	uint32_t from = d->info.generation, gen = 0;
	struct ft_compiled c;
	int err;

	if (!d->has_prev) {
		snprintf(answer, len, "error no previous generation to roll back to: generation %u "
			 "is %s", from,
			 d->confirm.state == FT_CONFIRM_ROLLED_BACK && d->confirm.previous == from ?
				 "itself the result of a rollback" :
				 "the first this flowtagd loaded");
		pr_err("rollback refused: %s", answer + 6);
		return -ENOENT;
	}
	err = ft_policy_flip_back(&d->loader, d->prev_gen, &gen);
	if (!err)
		prev_sets_params(d);
	if (err == -ESTALE) {
		pr_info("rollback: the inactive slot no longer holds generation %u (interfaces "
			"changed since): compiling that policy again", d->prev_gen);
		ft_resolve_iifs(&d->prev);
		err = ft_compile(&d->prev, &c);
		if (!err)
			err = ft_policy_swap(&d->loader, &c, &gen);
		ft_compiled_free(&c);
	}
	if (err) {
		snprintf(answer, len, "error rollback failed (%s): generation %u stays active",
			 strerror(-err), from);
		pr_err("%s", answer + 6);
		return err;
	}
	/* interfaces and shaping as the previous policy says, then it is the policy */
	if (sync_ifaces(d, &d->prev, NULL, 0, true))
		pr_err("rollback: the policy is active, but %u interface(s) could not be attached: "
		       "%s", d->health.nmissing, d->health.missing);
	if (sync_shaping(d, &d->prev))
		pr_err("rollback: the policy is active, but the shaping of some interface is not "
		       "as it says (above; flowtagctl status shows it)");
	ft_policy_free(&d->pol);
	d->pol = d->prev;
	memset(&d->prev, 0, sizeof(d->prev));
	d->prev.default_class = -1;
	d->has_prev = false;
	d->health.policy_ino = d->prev_ino;
	d->health.policy_mtime = d->prev_mtime;
	d->info.generation = gen;
	d->info.loaded = time(NULL);
	pr_warn("rollback: generation %u -> %u (the policy of generation %u)%s%s", from, gen,
		d->prev_gen, why ? ": " : "", why ? why : "");
	d->confirm.state = FT_CONFIRM_ROLLED_BACK;
	d->confirm.generation = from;
	d->confirm.previous = gen;
	d->confirm.when = (uint64_t)time(NULL);
	d->confirm.rollbacks++;
	d->confirm.automatic = automatic;
	snprintf(d->confirm.why, sizeof(d->confirm.why), "%s", why ? why : "flowtagctl rollback");
	d->confirm_at = 0;
	rebind_iifs(d);
	publish_state(d);
	ft_check_forward_priority(&d->pol);
	ft_check_tc_verdict(&d->pol);
	ft_notifyf("STATUS=rolled back: generation %u, %zu rules, %zu interfaces",
		   d->info.generation, d->pol.nrules, d->ifs.natt);
	snprintf(answer, len, "rolledback %u %u %s", from, d->info.generation,
		 why ? why : "flowtagctl rollback");
	return 0;
}

/* flowtagctl confirm: the pending generation stays. */
static int do_confirm(struct daemon *d, char *answer, size_t len)
{
	const struct ft_confirm_info *k = &d->confirm;

	if (k->state != FT_CONFIRM_PENDING) {
		if (k->state == FT_CONFIRM_ROLLED_BACK)
			snprintf(answer, len, "error nothing to confirm: generation %u was rolled back "
				 "to %u %lld s ago (%s)", k->generation, k->previous,
				 (long long)time(NULL) - (long long)k->when, k->why);
		else if (k->state == FT_CONFIRM_CONFIRMED)
			snprintf(answer, len, "error nothing to confirm: generation %u is already "
				 "confirmed", k->generation);
		else
			snprintf(answer, len, "error nothing to confirm: no reload --confirm is "
				 "pending (generation %u is active)", d->info.generation);
		pr_info("confirm: %s", answer + 6);
		return -ENOENT;
	}
	d->confirm.state = FT_CONFIRM_CONFIRMED;
	d->confirm.when = (uint64_t)time(NULL);
	d->confirm_at = 0;
	publish_state(d);
	pr_info("generation %u confirmed: it stays", d->confirm.generation);
	snprintf(answer, len, "confirmed %u", d->confirm.generation);
	return 0;
}

/* The confirm window ran out: roll back, and tell the waiting reload. */
void confirm_expired(struct daemon *d)
{
	char why[64], answer[FT_CONTROL_LINE];

	snprintf(why, sizeof(why), "no confirm within %u s", d->confirm.seconds);
	d->confirm_at = 0;
	if (do_rollback(d, true, why, answer, sizeof(answer)))
		d->confirm.state = FT_CONFIRM_NONE;	/* logged; nothing pends any more */
	tell_waiter(d, answer);
}

/*
 * flowtagctl reload: a reload of its own, started now, after the request
 * arrived (so it reads the file as the requester left it), answered with
 * its own outcome. A SIGHUP or another client's reload in flight cannot
 * be mistaken for it: each is a reload of its own, one after the other.
 */
static void plain_reload(struct daemon *d, char *answer, size_t len)
{
	uint32_t before = d->info.generation;
	char why[sizeof(d->reload_why)], *nl;

	d->metrics_due = true;
	if (!do_reload(d, "flowtagctl reload", 0)) {
		snprintf(answer, len, "reloaded %u %u", before, d->info.generation);
		return;
	}
	/* one line: a diagnostic may carry the source line under it */
	snprintf(why, sizeof(why), "%s", d->reload_why[0] ? d->reload_why : "see the daemon log");
	nl = strchr(why, '\n');
	if (nl)
		*nl = '\0';
	snprintf(answer, len, "rejected %u %s", d->info.generation, why);
}

/* One request on the control socket (control.h). */
void control_request(struct daemon *d)
{
	char req[FT_CONTROL_LINE], answer[FT_CONTROL_LINE];
	uint32_t before = d->info.generation;
	int fd, secs;
	char extra;

	fd = ft_control_accept(d->ctl_fd, req, sizeof(req));
	if (fd < 0)
		return;
	if (!strcmp(req, "reload")) {
		plain_reload(d, answer, sizeof(answer));
	} else if (sscanf(req, "reload %d%c", &secs, &extra) == 1 && secs > 0 &&
		   secs <= FT_CONFIRM_MAX_S) {
		d->metrics_due = true;
		if (d->confirm.state == FT_CONFIRM_PENDING) {
			snprintf(answer, sizeof(answer), "error generation %u already waits for "
				 "flowtagctl confirm (else it rolls back to %u): confirm or roll "
				 "back first", d->confirm.generation, d->confirm.previous);
		} else if (do_reload(d, "reload --confirm", secs)) {
			snprintf(answer, sizeof(answer), "error reload rejected: the running policy "
				 "(generation %u) is unchanged; see the daemon log", before);
		} else {
			ft_control_reply(fd, "applied %u %u %d", before, d->info.generation, secs);
			/* it waits for the outcome; one waiter at a time */
			tell_waiter(d, "error another reload took over");
			d->waiter_fd = fd;
			return;
		}
	} else if (!strcmp(req, "confirm")) {
		if (!do_confirm(d, answer, sizeof(answer)))
			tell_waiter(d, answer);
	} else if (!strcmp(req, "rollback")) {
		if (!do_rollback(d, false, "flowtagctl rollback", answer, sizeof(answer)))
			tell_waiter(d, answer);
	} else {
		snprintf(answer, sizeof(answer), "error unknown request");
	}
	ft_control_reply(fd, "%s", answer);
	close(fd);
}

/* Close the control socket and any waiting client. */
void control_close(struct daemon *d)
{
	tell_waiter(d, "error flowtagd stopped");
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		ft_control_unlink();
		d->ctl_fd = -1;
	}
}

/*
 * A flowtagd killed (or handed over) while a reload --confirm waited: the
 * timer died with it, and the policy it would roll back to lives in no
 * file. Say so, loudly and in status, and go on with the policy file as it
 * is now: the generation was never confirmed, and nothing rolls it back.
 */
void lost_confirm(struct daemon *d)
{
	struct ft_confirm_info k = { 0 };
	char due[32] = "?";
	time_t t;
	struct tm tm;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(ft_loader_map_fd(&d->loader, "ft_confirm"), &zero, &k) ||
	    k.state != FT_CONFIRM_PENDING)
		return;
	/* the deadline is wall-clock seconds (time()): said as a local time */
	t = (time_t)k.deadline;
	if (k.deadline && localtime_r(&t, &tm))
		strftime(due, sizeof(due), "%Y-%m-%d %H:%M:%S", &tm);
	pr_warn("the previous flowtagd stopped while generation %u waited for flowtagctl "
		"confirm (rollback to generation %u was due at %s): no rollback happens "
		"across a restart; starting with %s as it is now", k.generation, k.previous,
		due, d->config_path);
	d->confirm = k;
	d->confirm.state = FT_CONFIRM_LOST;
	d->confirm.when = (uint64_t)time(NULL);
	d->confirm.rollbacks = 0;
}
