// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl reload: ask flowtagd over its control socket (control.h) for
 * a reload of its own, which starts after the request arrived, take that
 * reload's outcome from the answer, and check in the kernel that the new
 * generation is in force on every interface.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "ctl.h"
#include "log.h"

enum reload_result { RL_RELOADED, RL_INCOMPLETE, RL_REJECTED, RL_EXITED, RL_TIMEOUT };

static const char *const reload_names[] = {
	[RL_RELOADED] = "reloaded",
	[RL_INCOMPLETE] = "incomplete",
	[RL_REJECTED] = "rejected",
	[RL_EXITED] = "exited",
	[RL_TIMEOUT] = "timeout",
};

/* flowtagd's answer to one "reload" request (control.h). */
struct reload_answer {
	enum reload_result res;
	unsigned int before;		/* the generation before */
	unsigned int generation;	/* after: the new one, or the one still running */
	char why[FT_CONTROL_LINE];	/* rejected: the first error of that reload */
};

/*
 * Ask for a reload and wait at most @timeout_s for its outcome. A SIGHUP
 * would not do: flowtagd cannot tell whose it is, and the first reload to
 * end after it may have read the file before this one's change.
 * Return: 0 with @a filled in, or -errno (logged).
 */
static int reload_ask(uint32_t pid, int timeout_s, struct reload_answer *a)
{
	char line[FT_CONTROL_LINE], *rest;
	int fd, err, n = 0;

	fd = ctl_connect_daemon("reload", "reload", pid);
	if (fd < 0)
		return fd;
	err = ft_control_read(fd, line, sizeof(line), timeout_s * 1000);
	close(fd);
	if (err == -ETIMEDOUT) {
		a->res = RL_TIMEOUT;
		return 0;
	}
	if (err == -ECONNRESET) {
		/* flowtagd answers every request it read: it went away */
		a->res = RL_EXITED;
		return 0;
	}
	if (err) {
		pr_err("flowtagd (pid %u) did not answer the reload: %s", pid, strerror(-err));
		return err;
	}
	rest = ctl_split_word(line);
	if (!strcmp(line, "reloaded") && sscanf(rest, "%u %u", &a->before, &a->generation) == 2) {
		a->res = RL_RELOADED;
		return 0;
	}
	if (!strcmp(line, "rejected") && sscanf(rest, "%u %n", &a->generation, &n) == 1) {
		a->res = RL_REJECTED;
		a->before = a->generation;
		snprintf(a->why, sizeof(a->why), "%s", rest + n);
		return 0;
	}
	pr_err("%s", !strcmp(line, "error") ? rest : "unexpected answer from flowtagd");
	return -EPROTO;
}

int ctl_in_force(struct ctl_pins *p, uint32_t generation, struct ctl_view *v)
{
	uint32_t i;
	int err, incomplete = 0;

	err = ctl_view_read(p, v);
	if (err)
		return err;
	if ((int32_t)(v->st.generation - generation) > 0) {
		/* generations only grow: a later one replaced it since (another
		 * reload, a rollback, an interface change); what follows is
		 * about that one, in force now */
		ctl_view_reason(v, FT_LIVE_OK, "generation %u was replaced since by generation %u "
				"(a later reload, a rollback or an interface change)", generation,
				v->st.generation);
	} else if (v->st.generation != generation) {
		ctl_view_reason(v, FT_LIVE_DOWN, "the data path runs generation %u, not %u",
				v->st.generation, generation);
		incomplete = 1;
	}
	if (v->health.nmissing)
		incomplete = 1;
	/* an absent optional entry is no fault, and a tc-only interface has
	 * no XDP of flowtag's as attached (status: ok); shaping the policy
	 * asks for and the kernel lacks is; each finding has its reason
	 * among v's */
	for (i = 0; i < v->nifs; i++) {
		const struct ctl_iface_view *iv = &v->ifs[i];

		if (iv->lv.state == FT_LIVE_DOWN || iv->lv.unshaped ||
		    (!iv->lv.xdp.ours && !(iv->rec.flags & (FT_IFACE_F_ABSENT | FT_IFACE_F_TC_ONLY))))
			incomplete = 1;
	}
	return incomplete;
}

/*
 * Where the policy is attached (not absent, not failed, not down), for
 * "in force on N interface(s)"; the entries no interface answers to yet
 * are named after it, in @absent (JSON "absent").
 */
static uint32_t attached_count(const struct ctl_view *v, const char **absent, size_t *nabsent)
{
	uint32_t i, n = 0;

	*nabsent = 0;
	for (i = 0; i < v->nifs; i++) {
		const struct ctl_iface_view *iv = &v->ifs[i];

		if (iv->rec.flags & FT_IFACE_F_ABSENT)
			absent[(*nabsent)++] = iv->rec.name;
		else if (!(iv->rec.flags & FT_IFACE_F_FAILED) && iv->lv.state != FT_LIVE_DOWN)
			n++;
	}
	return n;
}

static int do_reload(const struct ctl *c, int argc, char **argv)
{
	const char *absent[FT_MAX_IFACES];
	char names[FT_MAX_IFACES * (FT_IFNAMSIZ + 2)];
	size_t nabsent = 0, nn = 0;
	uint32_t attached = 0;
	struct reload_answer a = { 0 };
	struct ft_daemon_info info;
	struct ctl_view v = { 0 };
	uint32_t i;
	struct ctl_pins p;
	struct ft_out *o = NULL;
	char comm[32];
	int err, ret = EXIT_FAIL, timeout;

	(void)argv;
	if (argc)
		return ctl_usage_error("reload takes no arguments");
	if (c->confirm)
		return ctl_reload_confirm(c);
	/* the pins: is a daemon there, and afterwards, is the policy in force */
	err = ctl_open_pins(c, &p, true);
	if (err == -ENOENT) {
		pr_err("no daemon running (no maps under %s)", c->pin_dir);
		return EXIT_FAIL;
	}
	if (err)
		return EXIT_FAIL;
	err = ft_pinned_info(&p.maps, &info);
	if (err) {
		pr_err("cannot read ft_info: %s", strerror(-err));
		goto out;
	}
	if (ft_daemon_state(info.pid, comm, sizeof(comm)) != FT_DAEMON_RUNNING) {
		if (info.pid)
			pr_err("no daemon running (flowtagd pid %u is gone)", info.pid);
		else
			pr_err("no daemon running");
		goto out;
	}
	timeout = c->timeout ? c->timeout : CTL_RELOAD_TIMEOUT_S;
	if (reload_ask(info.pid, timeout, &a))
		goto out;
	if (a.res == RL_TIMEOUT || a.res == RL_EXITED) {
		/* no answer: what runs now, as far as the pins tell */
		a.before = info.generation;
		a.generation = ft_pinned_info(&p.maps, &info) ? a.before : info.generation;
	}

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	/* the daemon says it reloaded: is the new generation really in force
	 * on every interface? Ask the kernel. */
	if (a.res == RL_RELOADED) {
		err = ctl_in_force(&p, a.generation, &v);
		if (err < 0)
			goto out;
		if (err)
			a.res = RL_INCOMPLETE;
	}
	ft_out_str(o, "result", NULL, reload_names[a.res]);
	ft_out_u64(o, "pid", NULL, info.pid);
	ft_out_u64(o, "generation_before", NULL, a.before);
	ft_out_u64(o, "generation", NULL, a.generation);
	if (a.res == RL_RELOADED || a.res == RL_INCOMPLETE) {
		ft_out_strv(o, "problems", (const char *const *)v.reasons, v.nreasons);
		attached = attached_count(&v, absent, &nabsent);
		ft_out_u64(o, "in_force_on", NULL, attached);
		ft_out_strv(o, "absent", absent, nabsent);
		names[0] = '\0';
		for (i = 0; i < nabsent; i++)
			ctl_append(names, sizeof(names), &nn, "%s%s", i ? ", " : "", absent[i]);
	}
	if (a.res == RL_REJECTED)
		ft_out_str(o, "reason", NULL, a.why);
	switch (a.res) {
	case RL_RELOADED:
		ft_out_text(o, "reloaded: generation %u -> %u, in force on %u interface(s)%s%s%s",
			    a.before, a.generation, attached,
			    nabsent ? "; not there yet: " : "", nabsent ? names : "",
			    !nabsent ? "" : nabsent == 1 ? " (attached when it appears)" :
			    " (attached when they appear)");
		for (i = 0; i < v.nreasons; i++)
			ft_out_text(o, "  note: %s", v.reasons[i]);
		ret = EXIT_OK;
		break;
	case RL_INCOMPLETE:
		ft_out_error(o, "reload incomplete: generation %u is active, but not every "
			     "interface classifies with it%s%s", a.generation,
			     v.nreasons ? ": " : "", v.nreasons ? v.reasons[0] : "");
		ft_out_text(o, "reload INCOMPLETE: generation %u -> %u is active, but not every "
			    "interface classifies with it:", a.before, a.generation);
		for (i = 0; i < v.nreasons; i++)
			ft_out_text(o, "  %s", v.reasons[i]);
		break;
	case RL_REJECTED:
		ft_out_error(o, "reload rejected: %s", a.why);
		ft_out_text(o, "reload rejected, the running policy (generation %u) is unchanged; "
			    "see the daemon log", a.generation);
		ft_out_text(o, "  reason: %s", a.why);
		break;
	case RL_EXITED:
		ft_out_error(o, "flowtagd (pid %u) exited during the reload", info.pid);
		ft_out_text(o, "flowtagd (pid %u) exited during the reload; see the daemon log",
			    info.pid);
		break;
	case RL_TIMEOUT:
		ft_out_error(o, "flowtagd (pid %u) did not report the reload within %d s", info.pid,
			     timeout);
		ft_out_text(o, "flowtagd (pid %u) did not report the reload within %d s; see the "
			    "daemon log (it may still be compiling a large policy: flowtagctl "
			    "status tells; --timeout SECONDS waits longer)", info.pid, timeout);
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
