// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl reload --confirm SECONDS, confirm and rollback: requests on
 * flowtagd's control socket (control.h), answered by the daemon itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ctl.h"
#include "log.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Print a "rolledback FROM TO WHY" answer; returns EXIT_ROLLED_BACK. */
static int print_rolled_back(struct ft_out *o, const char *rest, bool asked)
{
	unsigned int from = 0, to = 0;
	int n = 0;

	sscanf(rest, "%u %u %n", &from, &to, &n);
	ft_out_str(o, "result", NULL, "rolled-back");
	ft_out_u64(o, "rolled_back_generation", NULL, from);
	ft_out_u64(o, "generation", NULL, to);
	ft_out_str(o, "reason", NULL, rest + n);
	ft_out_text(o, "rolled back: generation %u -> %u (the policy before generation %u): %s",
		    from, to, from, rest + n);
	return asked ? EXIT_OK : EXIT_ROLLED_BACK;
}

/*
 * The outcome line "confirmed GEN" or "rolledback FROM TO WHY" (@line,
 * split at @rest); @asked: the user asked for the rollback (exit 0).
 * Return: the exit code.
 */
static int print_outcome(struct ft_out *o, const char *line, const char *rest, bool asked)
{
	if (!strcmp(line, "confirmed")) {
		ft_out_str(o, "result", NULL, "confirmed");
		ft_out_u64(o, "generation", NULL, strtoul(rest, NULL, 10));
		ft_out_text(o, "confirmed: generation %s stays", rest);
		return EXIT_OK;
	}
	if (!strcmp(line, "rolledback"))
		return print_rolled_back(o, rest, asked);
	ft_out_str(o, "result", NULL, "unknown");
	pr_err("%s", !strcmp(line, "error") ? rest : "unexpected answer from flowtagd");
	return EXIT_FAIL;
}

int ctl_reload_confirm(const struct ctl *c)
{
	char req[32], line[FT_CONTROL_LINE], *rest;
	unsigned int before = 0, gen = 0;
	struct ctl_view v = { 0 };
	struct ctl_pins p = { 0 };
	uint64_t applied;
	struct ft_out *o = NULL;
	int fd, err, ret = EXIT_FAIL, incomplete, timeout;
	uint32_t i;

	snprintf(req, sizeof(req), "reload %d", c->confirm);
	fd = ctl_connect_daemon(req, "reload --confirm", 0);
	if (fd < 0)
		return EXIT_FAIL;
	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	/* a reload takes a moment (attach, shaping): generous, but bounded */
	timeout = c->timeout ? c->timeout : CTL_RELOAD_CONFIRM_TIMEOUT_S;
	err = ft_control_read(fd, line, sizeof(line), timeout * 1000);
	if (err == -ETIMEDOUT) {
		/* as plain reload's answer; the request stays with the daemon */
		ft_out_str(o, "result", NULL, "timeout");
		pr_err("flowtagd did not answer the reload within %d s (it may still be "
		       "compiling a large policy: flowtagctl status tells; --timeout SECONDS "
		       "waits longer); if it applies it, it rolls back %d s later unless "
		       "flowtagctl confirm", timeout, c->confirm);
		goto out;
	}
	if (err) {
		pr_err("flowtagd did not answer the reload: %s", strerror(-err));
		goto out;
	}
	rest = ctl_split_word(line);
	if (strcmp(line, "applied") || sscanf(rest, "%u %u", &before, &gen) != 2) {
		pr_err("%s", !strcmp(line, "error") ? rest : "unexpected answer from flowtagd");
		goto out;
	}
	ft_out_u64(o, "generation_before", NULL, before);
	ft_out_u64(o, "applied_generation", NULL, gen);
	ft_out_u64(o, "confirm_seconds", NULL, (uint64_t)c->confirm);
	ft_out_text(o, "reloaded: generation %u -> %u; confirm within %d s (flowtagctl confirm), "
		    "else flowtagd rolls back to generation %u", before, gen, c->confirm, before);
	/* as plain reload: the daemon applied it, is it in force everywhere? */
	incomplete = ctl_open_pins(c, &p, false) ? -1 : ctl_in_force(&p, gen, &v);
	if (incomplete < 0) {
		ft_out_text(o, "cannot check in the kernel that generation %u is in force: see "
			    "flowtagctl status", gen);
		incomplete = 1;
	}
	ft_out_bool(o, "in_force", NULL, !incomplete, "yes", "no");
	ft_out_strv(o, "problems", (const char *const *)v.reasons, v.nreasons);
	if (incomplete)
		ft_out_text(o, "reload INCOMPLETE: generation %u is active, but not every interface "
			    "classifies with it:", gen);
	for (i = 0; i < v.nreasons; i++)
		ft_out_text(o, incomplete ? "  %s" : "  note: %s", v.reasons[i]);
	if (c->no_wait) {
		ft_out_str(o, "result", NULL, "pending");
		ret = incomplete ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	if (!c->json)
		fflush(stdout);
	/* the daemon owns the timer, started as it answered: wait a little longer */
	applied = now_ms();
	err = ft_control_read(fd, line, sizeof(line), (c->confirm + 30) * 1000);
	if (err) {
		ft_out_str(o, "result", NULL, "unknown");
		pr_err("flowtagd did not report the outcome (%s): see flowtagctl status",
		       strerror(-err));
		goto out;
	}
	rest = ctl_split_word(line);
	ret = print_outcome(o, line, rest, false);
	/* confirmed, but not in force everywhere: as plain reload, exit 1 */
	if (ret == EXIT_OK && incomplete)
		ret = EXIT_FAIL;
	applied = now_ms() - applied;
	ft_out_u64(o, "outcome_after_ms", NULL, applied);
	ft_out_text(o, "  (%llu.%02llu s after the policy was applied)",
		    (unsigned long long)(applied / 1000), (unsigned long long)(applied % 1000 / 10));
out:
	if (fd >= 0)
		close(fd);
	ctl_view_free(&v);
	ctl_close_pins(&p);
	return ctl_finish_output(o, ret);
}

/* confirm and rollback: one request, one answer. */
static int simple_request(const struct ctl *c, const char *req, int argc)
{
	char line[FT_CONTROL_LINE], *rest;
	struct ft_out *o = NULL;
	int fd, err, ret;

	if (argc)
		return ctl_usage_error("%s takes no arguments", req);
	fd = ctl_connect_daemon(req, req, 0);
	if (fd < 0)
		return EXIT_FAIL;
	err = ft_control_read(fd, line, sizeof(line), 60000);
	close(fd);
	if (err) {
		pr_err("flowtagd did not answer: %s", strerror(-err));
		return EXIT_FAIL;
	}
	rest = ctl_split_word(line);
	if (!strcmp(line, "error")) {
		pr_err("%s", rest);
		return EXIT_FAIL;
	}
	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		return EXIT_FAIL;
	}
	ret = print_outcome(o, line, rest, true);
	return ctl_finish_output(o, ret);
}

static int do_confirm(const struct ctl *c, int argc, char **argv)
{
	(void)argv;
	return simple_request(c, "confirm", argc);
}

static int do_rollback(const struct ctl *c, int argc, char **argv)
{
	(void)argv;
	return simple_request(c, "rollback", argc);
}

const struct ctl_cmd ctl_confirm = {
	.name = "confirm",
	.args = "",
	.summary = "keep the policy of a pending reload --confirm",
	.run = do_confirm,
};

const struct ctl_cmd ctl_rollback = {
	.name = "rollback",
	.args = "",
	.summary = "make flowtagd swap back to the policy before the last reload",
	.run = do_rollback,
};
