// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * What flowtagctl's commands share (see ctl.h): usage errors, finding and
 * opening the pins, and small printers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "compile.h"
#include "control.h"
#include "ctl.h"
#include "log.h"
#include "pidfile.h"
#include "strparse.h"

const char *const ctl_prog = "flowtagctl";

/* the last usage error, for -j ("error") */
static char usage_msg[512];

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(usage_msg, sizeof(usage_msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", ctl_prog, usage_msg, ctl_prog);
	return EXIT_USAGE;
}

/* What made the command fail, as said on stderr: a usage error, else the
 * first error logged (the cause; later ones tend to be its consequences). */
static const char *error_text(void)
{
	return usage_msg[0] ? usage_msg : ft_log_first_error();
}

int ctl_finish_output(struct ft_out *o, int ret)
{
	int err;

	/* -j: every document says how the command ends, and why it failed */
	if (o)
		ft_out_exit(o, ret, ret != EXIT_OK ? error_text() : NULL);
	err = ft_out_finish(o);

	if (err) {
		pr_err("writing the output failed: %s", strerror(-err));
		if (ret == EXIT_OK)
			ret = EXIT_FAIL;
	}
	return ret;
}

int ctl_json_exit(const struct ctl *c, int ret, bool ran)
{
	struct ft_out *o;
	char why[64];

	if (!c->json || ft_out_json_printed() || (ret == EXIT_OK && !ran))
		return ret;
	o = ft_out_new(stdout, true, c->pretty);
	if (!o)
		return ret;
	snprintf(why, sizeof(why), "failed with exit code %d (see standard error)", ret);
	ft_out_exit(o, ret, ret == EXIT_OK ? NULL : error_text()[0] ? error_text() : why);
	ft_out_finish(o);
	return ret;
}

int ctl_connect_daemon(const char *req, const char *what, uint32_t pid)
{
	int peer, fd = ft_control_connect(req, pid, &peer);

	if (fd == -ENOENT || fd == -ECONNREFUSED)
		pr_err("no flowtagd with a control socket in this network namespace (it is not "
		       "running, or too old for %s)%s", what,
		       pid ? "; kill -HUP PID still reloads, without an answer" : "");
	else if (fd == -EACCES || fd == -EPERM)
		pr_err("cannot reach flowtagd's control socket: %s needs root", what);
	else if (fd == -ESRCH)
		pr_err("the flowtagd of this network namespace (pid %d) is not the one whose pins "
		       "these are (pid %u): run flowtagctl in that daemon's network namespace "
		       "(nsenter --net=/run/netns/NAME), or kill -HUP %u (no answer)", peer, pid,
		       pid);
	else if (fd < 0)
		pr_err("cannot reach flowtagd's control socket: %s", strerror(-fd));
	return fd;
}

char *ctl_split_word(char *line)
{
	char *sp = strchr(line, ' ');

	if (!sp)
		return line + strlen(line);
	*sp = '\0';
	return sp + 1;
}

/* ---- small printers ------------------------------------------------- */

char *ctl_format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t, now = time(NULL);
	char ago[48] = "";
	struct tm tm;
	size_t n;

	if (!t || !localtime_r(&tt, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (now >= tt) {
		unsigned long long d = (unsigned long long)(now - tt);

		if (d < 60)
			snprintf(ago, sizeof(ago), " (%llus ago)", d);
		else if (d < 3600)
			snprintf(ago, sizeof(ago), " (%llum %llus ago)", d / 60, d % 60);
		else if (d < 86400)
			snprintf(ago, sizeof(ago), " (%lluh %llum ago)", d / 3600, d / 60 % 60);
		else
			snprintf(ago, sizeof(ago), " (%llud %lluh ago)", d / 86400, d / 3600 % 24);
	}
	snprintf(buf + n, len - n, "%s", ago);
	return buf;
}

void ctl_out_time(struct ft_out *o, const char *key, const char *label, uint64_t t)
{
	char buf[80];

	ft_out_opt_u64(o, key, label, t != 0, t, ctl_format_time(t, buf, sizeof(buf)), false);
}

void ctl_out_priority(struct ft_out *o, const char *key, const char *label, bool has,
		      uint32_t priority)
{
	char buf[24];

	ft_out_str(o, key, label, has ? ft_format_tc_handle(priority, buf, sizeof(buf)) : NULL);
}

void ctl_out_dscp(struct ft_out *o, const char *key, const char *label, bool has, int dscp)
{
	const char *name = has ? ft_dscp_name(dscp) : NULL;
	char buf[8];

	if (has && !name) {
		snprintf(buf, sizeof(buf), "%d", dscp);
		name = buf;
	}
	ft_out_str(o, key, label, name);
}

void ctl_append(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w;
}

/* ---- opening the pins ----------------------------------------------- */

/* No flowtagd, no pins: say what of flowtag the kernel still runs here
 * (a flowtagd killed under ip netns exec leaves its clsact filters). */
static void warn_leftovers(void)
{
	char what[512];
	int n = ft_netns_leftovers(what, sizeof(what));

	if (n > 0)
		pr_err("yet %d flowtag program(s) are still attached in this network namespace, "
		       "classifying with the policy they had, with no flowtagd: %s; `flowtagd "
		       "--cleanup` removes the tc filters; an XDP or tcx link goes with the last "
		       "process holding its bpffs (the `ip netns exec` shell), or with `bpftool "
		       "link detach`", n, what);
}

/*
 * The pins are not visible here. `ip netns exec` gives each process a /sys,
 * and so a bpffs, of its own: find the flowtagd of this network namespace
 * through its pid file and read its pins through /proc/PID/root. Returns 0
 * with @p open, or -errno after saying exactly why not (unless @quiet and
 * there is simply no daemon).
 */
static int open_pins_of_daemon(const struct ctl *c, struct ctl_pins *p, bool quiet)
{
	char dir[PATH_MAX], pidfile[PATH_MAX], comm[32];
	pid_t pid;
	int err;

	if (ft_pidfile_path(pidfile, sizeof(pidfile)))
		snprintf(pidfile, sizeof(pidfile), "%s/flowtagd.*.pid", FT_RUN_DIR);
	err = ft_pidfile_read(&pid, dir, sizeof(dir));
	if (err) {
		if (!quiet) {
			pr_err("flowtagd is not running (no maps under %s, and no flowtagd of "
			       "this network namespace in %s)", c->pin_dir, pidfile);
			warn_leftovers();
		}
		return -ENOENT;
	}
	/* an explicit --pin-dir names the pins wanted: another directory's
	 * daemon is not them (the default may lead to the one daemon here) */
	if (c->pin_dir_given && strcmp(dir, c->pin_dir)) {
		if (!quiet)
			pr_err("no flowtag maps under %s (--pin-dir); the flowtagd of this "
			       "network namespace (pid %d) has its pins in %s", c->pin_dir,
			       (int)pid, dir);
		return -ENOENT;
	}
	if (ft_daemon_state((uint32_t)pid, comm, sizeof(comm)) != FT_DAEMON_RUNNING) {
		if (!quiet) {
			pr_err("flowtagd is not running (no maps under %s; %s names pid %d, "
			       "which is gone)", c->pin_dir, pidfile, (int)pid);
			warn_leftovers();
		}
		return -ENOENT;
	}
	if (snprintf(p->path, sizeof(p->path), "/proc/%d/root%s", (int)pid, dir) >=
	    (int)sizeof(p->path))
		return -ENAMETOOLONG;
	err = ft_pinned_open(&p->maps, p->path);
	if (err) {
		pr_err("flowtagd (pid %d) runs in this network namespace with its pins in %s, but "
		       "they are not visible here (its bpffs is private to its mount namespace) "
		       "and %s cannot be read: %s", (int)pid, dir, p->path, strerror(-err));
		return err;
	}
	p->via_pid = pid;
	return 0;
}

int ctl_open_pins(const struct ctl *c, struct ctl_pins *p, bool quiet_enoent)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = ft_pinned_open(&p->maps, c->pin_dir);
	snprintf(p->path, sizeof(p->path), "%s", c->pin_dir);
	if (err == -ENOENT)
		return open_pins_of_daemon(c, p, quiet_enoent);
	switch (err) {
	case 0:
		break;
	case -EACCES:
	case -EPERM:
		if (geteuid() != 0)
			pr_err("permission denied reading %s: flowtagctl needs root "
			       "(CAP_BPF and CAP_SYS_ADMIN) to open flowtag's maps", c->pin_dir);
		else
			pr_err("permission denied opening the maps under %s: %s", c->pin_dir,
			       strerror(-err));
		break;
	case -EPROTO:
		/* ft_pinned_open said which map does not fit */
		break;
	default:
		pr_err("cannot read flowtag's maps under %s: %s", c->pin_dir, strerror(-err));
	}
	return err;
}

void ctl_close_pins(struct ctl_pins *p)
{
	ft_pinned_close(&p->maps);
}

static const char *const daemon_state_names[] = {
	[FT_DAEMON_STOPPED] = "stopped",
	[FT_DAEMON_RUNNING] = "running",
	[FT_DAEMON_STALE] = "stale",
	[FT_DAEMON_REUSED] = "stale",
};

const char *ctl_daemon_state_name(enum ft_daemon_state ds)
{
	return (unsigned int)ds < ARRAY_SIZE(daemon_state_names) && daemon_state_names[ds] ?
		       daemon_state_names[ds] : "?";
}

int ctl_prepare_host(const struct ctl *c, const char *path, struct ft_prepared *p)
{
	char msg[1024];
	int err;

	err = ft_prepare(&(struct ft_prepare_opts){ .path = path, .flags = c->config_flags,
						    .binder = FT_BIND_HOST }, p);
	if (err && !p->parsed) {
		pr_err("policy %s is not valid:\n%s", path, p->diag.text ? p->diag.text : "");
		return err;
	}
	if (err) {
		ft_compile_error(&p->pol, &p->comp, err, msg, sizeof(msg));
		pr_err("%s", msg);
	}
	return err;
}

