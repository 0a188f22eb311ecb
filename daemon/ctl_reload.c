// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl reload: SIGHUP to flowtagd, then wait for its verdict in
 * ft_info and check in the kernel that the new generation is in force on
 * every interface.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ctl.h"
#include "log.h"

#define RELOAD_POLL_MS		100

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum reload_result { RL_RELOADED, RL_INCOMPLETE, RL_REJECTED, RL_EXITED, RL_TIMEOUT };

static const char *const reload_names[] = {
	[RL_RELOADED] = "reloaded",
	[RL_INCOMPLETE] = "incomplete",
	[RL_REJECTED] = "rejected",
	[RL_EXITED] = "exited",
	[RL_TIMEOUT] = "timeout",
};

/* Wait for flowtagd to report the outcome of the reload in ft_info. */
static int reload_wait(struct ft_pinned *s, const struct ft_daemon_info *before,
		       struct ft_daemon_info *after, enum reload_result *res, int timeout_s)
{
	const struct timespec tick = { .tv_nsec = RELOAD_POLL_MS * 1000000L };
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
	char comm[32];
	int err;

	for (;;) {
		err = ft_pinned_info(s, after);
		if (err)
			return err;
		if (after->reloads != before->reloads || after->generation != before->generation) {
			*res = RL_RELOADED;
			return 0;
		}
		if (after->reload_failures != before->reload_failures) {
			*res = RL_REJECTED;
			return 0;
		}
		if (ft_daemon_state(before->pid, comm, sizeof(comm)) != FT_DAEMON_RUNNING ||
		    after->pid != before->pid) {
			*res = RL_EXITED;
			return 0;
		}
		if (now_ms() >= deadline) {
			*res = RL_TIMEOUT;
			return 0;
		}
		nanosleep(&tick, NULL);
	}
}

int ctl_in_force(struct ctl_pins *p, uint32_t generation, struct ctl_view *v)
{
	uint32_t i;
	int err, incomplete = 0;

	err = ctl_view_read(p, v);
	if (err)
		return err;
	if (v->st.generation != generation) {
		ctl_view_reason(v, FT_LIVE_DOWN, "the data path runs generation %u, not %u",
				v->st.generation, generation);
		incomplete = 1;
	}
	if (v->health.nmissing)
		incomplete = 1;
	/* an absent optional entry is no fault, and a tc-only interface has
	 * no XDP of flowtag's as attached (status: ok); each other finding
	 * has its reason among v's */
	for (i = 0; i < v->nifs; i++) {
		const struct ctl_iface_view *iv = &v->ifs[i];

		if (iv->lv.state == FT_LIVE_DOWN ||
		    (!iv->lv.xdp.ours && !(iv->rec.flags & (FT_IFACE_F_ABSENT | FT_IFACE_F_TC_ONLY))))
			incomplete = 1;
	}
	return incomplete;
}

static int do_reload(const struct ctl *c, int argc, char **argv)
{
	struct ft_daemon_info before, after;
	struct ctl_view v = { 0 };
	enum reload_result res;
	uint32_t i;
	struct ctl_pins p;
	struct ft_out *o = NULL;
	char comm[32];
	int err, ret = EXIT_FAIL, timeout;

	(void)argv;
	if (argc)
		return ctl_usage_error("reload takes no arguments");
	/* --confirm needs an answer of the daemon's own: the control socket */
	if (c->confirm)
		return ctl_reload_confirm(c);
	err = ctl_open_pins(c, &p, true);
	if (err == -ENOENT) {
		pr_err("no daemon running (no maps under %s)", c->pin_dir);
		return EXIT_FAIL;
	}
	if (err)
		return EXIT_FAIL;
	err = ft_pinned_info(&p.maps, &before);
	if (err) {
		pr_err("cannot read ft_info: %s", strerror(-err));
		goto out;
	}
	if (ft_daemon_state(before.pid, comm, sizeof(comm)) != FT_DAEMON_RUNNING) {
		if (before.pid)
			pr_err("no daemon running (flowtagd pid %u is gone)", before.pid);
		else
			pr_err("no daemon running");
		goto out;
	}
	if (kill((pid_t)before.pid, SIGHUP)) {
		err = -errno;
		if (err == -EPERM && geteuid() != 0)
			pr_err("cannot signal flowtagd (pid %u): reload needs root", before.pid);
		else if (err == -ESRCH)
			pr_err("no daemon running (flowtagd pid %u is gone)", before.pid);
		else
			pr_err("cannot signal flowtagd (pid %u): %s", before.pid, strerror(-err));
		goto out;
	}
	timeout = c->timeout ? c->timeout : CTL_RELOAD_TIMEOUT_S;
	err = reload_wait(&p.maps, &before, &after, &res, timeout);
	if (err) {
		pr_err("cannot read ft_info: %s", strerror(-err));
		goto out;
	}

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	/* the daemon says it reloaded: is the new generation really in force
	 * on every interface? Ask the kernel. */
	if (res == RL_RELOADED) {
		err = ctl_in_force(&p, after.generation, &v);
		if (err < 0)
			goto out;
		if (err)
			res = RL_INCOMPLETE;
	}
	ft_out_str(o, "result", NULL, reload_names[res]);
	ft_out_u64(o, "pid", NULL, before.pid);
	ft_out_u64(o, "generation_before", NULL, before.generation);
	ft_out_u64(o, "generation", NULL, after.generation);
	if (res == RL_RELOADED || res == RL_INCOMPLETE)
		ft_out_strv(o, "problems", (const char *const *)v.reasons, v.nreasons);
	switch (res) {
	case RL_RELOADED:
		ft_out_text(o, "reloaded: generation %u -> %u, in force on %u interface(s)",
			    before.generation, after.generation, v.nifs);
		for (i = 0; i < v.nreasons; i++)
			ft_out_text(o, "  note: %s", v.reasons[i]);
		ret = EXIT_OK;
		break;
	case RL_INCOMPLETE:
		ft_out_text(o, "reload INCOMPLETE: generation %u -> %u is active, but not every "
			    "interface classifies with it:", before.generation, after.generation);
		for (i = 0; i < v.nreasons; i++)
			ft_out_text(o, "  %s", v.reasons[i]);
		break;
	case RL_REJECTED:
		ft_out_text(o, "reload rejected, the running policy (generation %u) is unchanged; "
			    "see the daemon log", after.generation);
		break;
	case RL_EXITED:
		ft_out_text(o, "flowtagd (pid %u) exited during the reload; see the daemon log",
			    before.pid);
		break;
	case RL_TIMEOUT:
		ft_out_text(o, "flowtagd (pid %u) did not report the reload within %d s; see the "
			    "daemon log (it may still be compiling a large policy: flowtagctl "
			    "status tells; --timeout SECONDS waits longer)", before.pid, timeout);
		break;
	}
out:
	ret = ctl_finish_output(o, ret);
	ctl_view_free(&v);
	ctl_close_pins(&p);
	return ret;
}

static void reload_help(FILE *f, const char *prog)
{
	fprintf(f, "reload options:\n"
		"  --confirm SECONDS  flowtagd swaps back to the policy before unless\n"
		"                     `%s confirm` arrives within SECONDS (1..%d); waits\n"
		"                     for the outcome: exit 0 confirmed, 3 rolled back\n"
		"  --no-wait          with --confirm: return once the policy is applied\n"
		"  --timeout SECONDS  wait at most SECONDS (1..%d) for flowtagd's answer\n"
		"                     (default %d, with --confirm %d): compiling 10^6\n"
		"                     prefixes takes seconds\n",
		prog, FT_CONFIRM_MAX_S, CTL_RELOAD_TIMEOUT_MAX_S, CTL_RELOAD_TIMEOUT_S,
		CTL_RELOAD_CONFIRM_TIMEOUT_S);
}

const struct ctl_cmd ctl_reload = {
	.name = "reload",
	.args = "[--timeout SECONDS] [--confirm SECONDS [--no-wait]]",
	.help = reload_help,
	.summary = "make flowtagd reload its policy and report the outcome",
	.run = do_reload,
};
