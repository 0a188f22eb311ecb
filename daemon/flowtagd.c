// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagd: policy file -> validate -> compile -> maps -> attach; SIGHUP
 * reloads atomically, SIGTERM/SIGINT detach cleanly. The data path is
 * pinned under the pin directory and keeps classifying if the daemon dies;
 * the next start takes it over without a gap.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "cleanup.h"
#include "compile.h"
#include "config.h"
#include "confirm.h"
#include "control.h"
#include "daemon.h"
#include "hostcheck.h"
#include "ifaces.h"
#include "loader.h"
#include "swap.h"
#include "log.h"
#include "dynset.h"
#include "dynset_sync.h"
#include "metrics.h"
#include "monitor.h"
#include "notify.h"
#include "probe.h"
#include "pidfile.h"
#include "pinned.h"
#include "pinned_write.h"
#include "prepare.h"
#include "repair.h"
#include "shaping.h"
#include "strparse.h"
#include "verify.h"

#ifndef FLOWTAG_VERSION
#define FLOWTAG_VERSION	"0.1.0"
#endif

/* Look again this long after an rtnetlink event (a burst of events
 * settles); the periodic check runs every FT_VERIFY_MS anyway. */
#define FT_EVENT_SETTLE_MS	20
/* how often the links are looked at between the FT_VERIFY_MS checks: a
 * link detached through bpf(2) sends no rtnetlink event
 * (ft_ifaces_link_detached()) */
#define FT_LINK_CHECK_MS	1000

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flowtagd [OPTIONS]\n"
		"\n"
		"Classify traffic with XDP + tc according to a policy file and tag it\n"
		"with skb->mark and skb->priority.\n"
		"\n"
		"  -c, --config FILE   policy file (default %s)\n"
		"  -f, --foreground    stay in the foreground, log to stderr\n"
		"      --check         validate the policy file, run its tests, warn about\n"
		"                      rules that can never match, and exit (0 = valid);\n"
		"                      touches nothing in the kernel\n"
		"      --allow-insecure-files  accept policy, @include and prefix-set files\n"
		"                      (or directories above them) that users other than\n"
		"                      root own or can write. Any such user can then rewrite\n"
		"                      the drop rules and marks: see flowtag.conf(5)\n"
		"  -v, --verbose       debug messages; twice: libbpf's too\n"
		"      --pin-dir DIR   bpffs directory for maps and links (default %s)\n"
		"      --cleanup       detach and unpin what a stopped or killed flowtagd left\n"
		"      --metrics FILE  write Prometheus metrics to FILE (node_exporter's\n"
		"                      textfile collector) every --metrics-interval seconds\n"
		"      --metrics-interval SECONDS  (default 15)\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Signals: SIGHUP reloads the policy (a bad file keeps the running one),\n"
		"SIGTERM/SIGINT detach everything and exit, SIGQUIT exits leaving the\n"
		"data path running for the next flowtagd to take over (restarts, upgrades).\n"
		"See flowtagd(8), flowtag.conf(5), flowtagctl(8).\n",
		FT_DEFAULT_CONFIG, FT_PIN_DIR);
}

static int map_fd(struct daemon *d, const char *name)
{
	return ft_loader_map_fd(&d->loader, name);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The daemon's records in the pins, for flowtagctl (pinned_write.c). */
void publish_state(struct daemon *d)
{
	const struct ft_pinned_state s = {
		.loader = &d->loader, .pol = &d->pol, .ifs = &d->ifs, .info = &d->info,
		.health = &d->health, .expect = &d->expect, .rep = &d->rep,
		.confirm = &d->confirm,
	};

	ft_pinned_publish(&s);
}

/* The previous daemon's interface records (left in the pinned maps). */
size_t read_records(struct daemon *d, struct ft_iface_info *rec)
{
	struct ft_daemon_info info = { 0 };
	__u32 zero = 0, i, n = 0;

	if (bpf_map_lookup_elem(map_fd(d, "ft_info"), &zero, &info))
		return 0;
	for (i = 0; i < info.nifaces && i < FT_MAX_IFACES; i++)
		if (!bpf_map_lookup_elem(map_fd(d, "ft_ifaces"), &i, &rec[n]) && rec[n].ifindex)
			n++;
	return n;
}

/*
 * Pins another flowtag version wrote in another data-path format (ft_info,
 * ft_datapath_format_foreign()): refused before anything is adopted,
 * attached or written.
 */
static int check_format(struct daemon *d)
{
	struct ft_daemon_info info = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(map_fd(d, "ft_info"), &zero, &info) ||
	    !ft_datapath_format_foreign(info.format))
		return 0;
	pr_err("the pins in %s hold data-path format %u, this flowtagd reads format %u "
	       "(pinned maps from another flowtag version): nothing adopted or attached; "
	       "remove them with flowtagd --cleanup (classification stops until the next start)",
	       d->pin_dir, info.format, FT_DATAPATH_FORMAT);
	return -EPROTO;
}

/* Another flowtagd still alive on these pins? */
pid_t running_daemon(struct daemon *d)
{
	struct ft_daemon_info info = { 0 };
	__u32 zero = 0;
	char comm[32];

	if (bpf_map_lookup_elem(map_fd(d, "ft_info"), &zero, &info) || !info.pid ||
	    info.pid == (__u32)getpid())
		return 0;
	return ft_daemon_state(info.pid, comm, sizeof(comm)) == FT_DAEMON_RUNNING ?
		       (pid_t)info.pid : 0;
}

/* ft_ifaces_sync(), with its findings published in ft_health. */
int sync_ifaces(struct daemon *d, const struct ft_policy *pol,
		const struct ft_iface_info *rec, size_t nrec, bool update)
{
	int err = ft_ifaces_sync(&d->ifs, pol, rec, nrec, update);

	d->health.nmissing = d->ifs.nmissing;
	snprintf(d->health.missing, sizeof(d->health.missing), "%s", d->ifs.missing);
	return err;
}

/* Shaping of every attached interface in step with @pol
 * (ft_ifaces_shape()); d->pol is still the policy before. */
int sync_shaping(struct daemon *d, const struct ft_policy *pol)
{
	size_t i;
	int err = 0, e;

	for (i = 0; i < d->ifs.natt; i++) {
		struct ft_attachment *a = &d->ifs.att[i];
		struct ft_iface bound;
		const struct ft_iface *ifc = ft_ifaces_bound(pol, a, &bound);

		e = ft_ifaces_shape(pol, a, ifc, ft_ifaces_ifb(&d->pol, a->name));
		if (e && !err)
			err = e;
	}
	return err;
}

static void log_policy(const struct ft_policy *pol, const struct ft_compiled *c, uint32_t gen)
{
	char why[256];

	pr_info("policy %s active: generation %u, %zu rules, %zu classes, %zu prefix sets, "
		"%zu bitmaps%s, mark_mask %#010x", pol->file, gen, pol->nrules, pol->nclasses,
		pol->nsets, c->nbitmaps,
		c->hdr.flags & FT_POL_F_WORD ? " (one-word search)" :
		c->hdr.flags & FT_POL_F_HEADS ? " (bitmap search from their heads)" : "",
		pol->mark_mask);
	/* how close the tables are to their limit, and what the pre-filter
	 * decides: what an operator whose block list grows needs to know */
	pr_info("IPv4 prefix tables: src %.2f MiB, dst %.2f MiB (chunks at most %u MiB each); "
		"drop pre-filter: %u leading rule(s)",
		c->src4_table.nblocks / 1024.0, c->dst4_table.nblocks / 1024.0,
		(FT_DIR4_MAX_BLOCKS - FT_DIR4_TOP_BLOCKS) / 1024, ft_compiled_prefilter_rules(c));
	pr_info("IPv4 prefixes: %s", ft_prefix4_describe(c, why, sizeof(why)));
	pr_info("flow cache: %s", ft_flow_cache_describe(c, why, sizeof(why)));
}

/*
 * Reload the policy file; @source says who asked, for the log; @confirm_s
 * > 0: reload --confirm, flowtagd rolls back unless flowtagctl confirm
 * arrives within @confirm_s seconds. While such a reload waits for its
 * confirm, every other reload is refused: it would replace the previous
 * policy, the one the rollback returns to.
 */
int do_reload(struct daemon *d, const char *source, int confirm_s)
{
	struct ft_policy pol;
	struct ft_compiled c;
	struct stat file_id = { 0 };
	uint32_t gen, before = d->info.generation;
	int err;

	d->reload_why[0] = '\0';
	ft_log_clear_error();
	if (d->confirm.state == FT_CONFIRM_PENDING) {
		d->info.reload_failures++;
		publish_state(d);
		pr_err("reload refused: generation %u waits for flowtagctl confirm (else it rolls "
		       "back to generation %u in %lld s); confirm or roll back first",
		       d->confirm.generation, d->confirm.previous,
		       (long long)d->confirm.deadline - (long long)time(NULL));
		snprintf(d->reload_why, sizeof(d->reload_why), "%s", ft_log_first_error());
		return -EBUSY;
	}
	ft_notify("RELOADING=1\nSTATUS=reloading the policy");
	pr_info("%s: reloading %s", source, d->config_path);
	err = ft_prepare_file(d->config_path, d->config_flags, FT_BIND_HOST, &pol, &c, &file_id);
	if (!err) {
		err = ft_ifaces_check_required(&pol);
		if (!err)
			err = ft_policy_swap(&d->loader, &c, &gen);
		if (!err)
			log_policy(&pol, &c, gen);
		ft_compiled_free(&c);
		if (err)
			ft_policy_free(&pol);
	}
	if (err) {
		/* the first error is the cause (FILE:LINE: ...), for flowtagctl reload */
		snprintf(d->reload_why, sizeof(d->reload_why), "%s", ft_log_first_error());
		d->info.reload_failures++;
		publish_state(d);
		pr_err("reload failed: still running generation %u", d->info.generation);
		ft_notifyf("READY=1\nSTATUS=reload failed; running generation %u",
			   d->info.generation);
		return err;
	}
	/* a reload is the operator's word: repair again what we gave up on */
	ft_repair_resume(&d->rep);
	err = sync_ifaces(d, &pol, NULL, 0, true);
	if (err)
		pr_err("reload: the policy is active, but %u interface(s) could not be attached: %s",
		       d->health.nmissing, d->health.missing);
	if (sync_shaping(d, &pol))
		pr_err("reload: the policy is active, but the shaping of some interface is not as "
		       "it says (above; flowtagctl status shows it)");
	/* the policy before stays, for rollback: the inactive slot holds it */
	ft_policy_free(&d->prev);
	d->prev = d->pol;
	d->has_prev = true;
	d->prev_gen = before;
	d->prev_ino = d->health.policy_ino;
	d->prev_mtime = d->health.policy_mtime;
	d->pol = pol;
	d->health.policy_ino = file_id.st_ino;
	d->health.policy_mtime = file_id.st_mtime;
	if (confirm_s > 0) {
		time_t now = time(NULL);

		d->confirm.state = FT_CONFIRM_PENDING;
		d->confirm.generation = gen;
		d->confirm.previous = before;
		d->confirm.seconds = (uint32_t)confirm_s;
		d->confirm.deadline = (uint64_t)now + (uint64_t)confirm_s;
		d->confirm.when = (uint64_t)now;
		d->confirm.automatic = 0;
		d->confirm.why[0] = '\0';
		d->confirm_at = now_ms() + (uint64_t)confirm_s * 1000;
		pr_warn("generation %u must be confirmed within %d s (flowtagctl confirm), else "
			"flowtagd rolls back to generation %u", gen, confirm_s, before);
	}
	d->info.generation = gen;
	d->info.loaded = time(NULL);
	d->info.reloads++;
	publish_state(d);
	ft_check_forward_priority(&d->pol);
	ft_check_tc_verdict(&d->pol);
	ft_notifyf("READY=1\nSTATUS=generation %u, %zu rules, %zu interfaces", gen,
		   d->pol.nrules, d->ifs.natt);
	return 0;
}

/*
 * Bind the rules' iif names and patterns again (ft_ifaces_rebind()): a new
 * generation when an ifindex changed.
 */
void rebind_iifs(struct daemon *d)
{
	uint32_t gen;

	if (ft_ifaces_rebind(&d->pol, &d->loader, &gen) > 0)
		d->info.generation = gen;
}

/* The attached ifindexes and names: tells whether a sync changed anything. */
static uint64_t att_signature(const struct ft_ifaces *s)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < s->natt; i++) {
		const char *c;

		h = (h ^ s->att[i].ifindex) * 1099511628211ULL;
		for (c = s->att[i].name; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	}
	return h ^ s->natt ^ ((uint64_t)s->nabsent << 32);
}

/*
 * An rtnetlink event (or the periodic check): interfaces may have appeared,
 * vanished or been renamed. Rules first, then the attachments: a new
 * interface is classified by a policy that knows its ifindex from its
 * first packet on.
 */
static void follow_links(struct daemon *d)
{
	uint64_t before = att_signature(&d->ifs);
	unsigned int missing = d->ifs.nmissing;
	uint32_t gen = d->info.generation;

	rebind_iifs(d);
	sync_ifaces(d, &d->pol, NULL, 0, false);
	if (att_signature(&d->ifs) == before && d->ifs.nmissing == missing &&
	    d->info.generation == gen)
		return;
	if (sync_shaping(d, &d->pol))
		pr_err("shaping is not as the policy says on every interface (above)");
	publish_state(d);
	ft_notifyf("STATUS=generation %u, %zu rules, %zu interfaces attached, %zu absent",
		   d->info.generation, d->pol.nrules, d->ifs.natt, d->ifs.nabsent);
}

/* Self-repair (repair.c), published when it found or did something. */
static void verify_all(struct daemon *d, bool timer)
{
	if (ft_repair_check(&d->rep, &d->ifs, &d->pol, &d->expect, timer))
		publish_state(d);
}

/* Collect the expired elements of the dynamic sets (the programs ignore them already). */
static void collect_expired(struct daemon *d)
{
	size_t n;
	int err = ft_dynsets_gc(d->pin_dir, &n);

	if (err)
		pr_warn("dynamic sets: collecting expired elements failed: %s", strerror(-err));
	else if (n)
		pr_debug("dynamic sets: %zu expired elements collected", n);
}

static void shutdown_all(struct daemon *d)
{
	ft_notify("STOPPING=1");
	ft_ifaces_detach_all(&d->ifs);
	ft_loader_unpin(&d->loader);
	if (kept_sets(d->pin_dir) && d->private_bpffs)
		pr_info("stopped: everything detached and unpinned; the dynamic sets in %s/sets go "
			"with this process's private bpffs (ip netns exec): the next start begins "
			"with them empty", d->pin_dir);
	else if (kept_sets(d->pin_dir))
		pr_info("stopped: everything detached and unpinned but the dynamic sets in %s/sets "
			"(the next start adopts them; flowtagd --cleanup removes them)", d->pin_dir);
	else if (rmdir(d->pin_dir) && errno != ENOENT)
		pr_warn("cannot remove %s: %s", d->pin_dir, strerror(errno));
	else
		pr_info("stopped: everything detached and unpinned");
}

static void write_metrics(struct daemon *d)
{
	int err;

	if (!d->metrics_path)
		return;
	err = ft_metrics_write(d->metrics_path, d->pin_dir);
	if (err && !d->metrics_failing)
		pr_warn("cannot write metrics to %s: %s%s", d->metrics_path, strerror(-err),
			err == -EROFS || err == -EACCES ?
				" (under systemd's ProtectSystem=strict only the unit's "
				"ReadWritePaths= are writable: the shipped flowtagd.service allows "
				"/var/lib/prometheus/node-exporter; for another directory add it "
				"with a drop-in)" : "");
	else if (!err && d->metrics_failing)
		pr_info("metrics: writing %s again", d->metrics_path);
	d->metrics_failing = err != 0;
}

/*
 * node_exporter's textfile collector reads only files whose names end in
 * ".prom": any other name is written all the same and never read. Said
 * at start, not refused (the file may be meant for something else).
 */
static void warn_metrics_name(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	if (!path || (len >= 5 && !strcmp(path + len - 5, ".prom")))
		return;
	pr_warn("--metrics %s: node_exporter's textfile collector reads only files whose names "
		"end in .prom; it will not read this one (written all the same)", path);
}

/* @path made absolute against the working directory, symlinks untouched. */
static int make_absolute(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(buf, len, "%s", path) >= (int)len ? -ENAMETOOLONG : 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return snprintf(buf, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) >= (int)len ?
		       -ENAMETOOLONG : 0;
}

/* The signals the main loop handles (blocked, read from a signalfd). */
static void daemon_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
}

/* Milliseconds from @now until @deadline, for poll(). */
static int ms_until(uint64_t deadline, uint64_t now)
{
	return deadline > now ? (int)(deadline - now) : 0;
}

/*
 * The main loop: signals (signalfd), rtnetlink events (self-repair, looked
 * at FT_EVENT_SETTLE_MS after the first of a burst), the links every
 * FT_LINK_CHECK_MS (a detached one brings the same check at once), the
 * periodic check and the metrics. Returns the signal that ended it, or -errno.
 */
static int run_loop(struct daemon *d)
{
	uint64_t now = now_ms(), next_verify = now + FT_VERIFY_MS, next_metrics = now, settle = 0;
	uint64_t next_links = now + FT_LINK_CHECK_MS;
	sigset_t set;
	int sfd, sig = SIGTERM;

	daemon_sigset(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		return -errno;
	}
	if (ft_monitor_open(&d->mon))
		pr_warn("no rtnetlink events: self-repair relies on the %d s check alone",
			FT_VERIFY_MS / 1000);
	for (;;) {
		struct pollfd pfd[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ft_monitor_fd(&d->mon), .events = POLLIN },
			{ .fd = d->ctl_fd, .events = POLLIN },
			{ .fd = d->waiter_fd, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int timeout, n;

		now = now_ms();
		if (d->metrics_path && now >= next_metrics) {
			write_metrics(d);
			next_metrics = now + (uint64_t)d->metrics_interval * 1000;
		}
		if (settle && now >= settle) {
			settle = 0;
			follow_links(d);
			verify_all(d, false);
		}
		if (now >= next_links) {
			const struct ft_attachment *a = ft_ifaces_link_detached(&d->ifs);

			next_links = now + FT_LINK_CHECK_MS;
			if (a && !settle && now < next_verify) {
				pr_debug("%s: a link of it is detached: checking now", a->name);
				settle = now;
				continue;
			}
		}
		if (now >= next_verify) {
			follow_links(d);
			verify_all(d, true);
			collect_expired(d);
			next_verify = now + FT_VERIFY_MS;
		}
		timeout = ms_until(next_verify, now);
		if (ms_until(next_links, now) < timeout)
			timeout = ms_until(next_links, now);
		if (settle && ms_until(settle, now) < timeout)
			timeout = ms_until(settle, now);
		if (d->metrics_path && ms_until(next_metrics, now) < timeout)
			timeout = ms_until(next_metrics, now);
		if (d->confirm_at && now >= d->confirm_at) {
			confirm_expired(d);
			continue;
		}
		if (d->confirm_at && ms_until(d->confirm_at, now) < timeout)
			timeout = ms_until(d->confirm_at, now);

		n = poll(pfd, 4, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents && ft_monitor_drain(&d->mon) > 0 && !settle)
			settle = now_ms() + FT_EVENT_SETTLE_MS;
		if (pfd[2].revents)
			control_request(d);
		if (d->metrics_due) {
			d->metrics_due = false;
			next_metrics = 0;	/* after each reload, as after SIGHUP */
		}
		if (pfd[3].revents && d->waiter_fd >= 0) {
			/* the waiting reload --confirm went away: the timer stays */
			close(d->waiter_fd);
			d->waiter_fd = -1;
		}
		if (!pfd[0].revents)
			continue;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			do_reload(d, "SIGHUP", 0);
			next_metrics = 0;
			continue;
		}
		sig = si.ssi_signo;
		pr_info("%s: stopping", strsignal(sig));
		break;
	}
	ft_monitor_close(&d->mon);
	close(sfd);
	return sig;
}

/* The program ids in ft_health, those of this run's programs: what status
 * expects attached. Nothing else of the record changes. */
static void record_prog_ids(struct daemon *d)
{
	int fd = ft_loader_map_fd(&d->loader, "ft_health");
	struct ft_health h;
	__u32 zero = 0;

	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &h)) {
		pr_warn("cannot record the program ids the kept interfaces run: status may call "
			"them not flowtagd's");
		return;
	}
	ft_health_set_progs(&h, &d->expect);
	if (bpf_map_update_elem(fd, &zero, &h, 0))
		pr_warn("cannot record the program ids the kept interfaces run: %s",
			strerror(errno));
}

static int start(struct daemon *d)
{
	struct ft_iface_info rec[FT_MAX_IFACES];
	struct ft_compiled c;
	struct stat file_id = { 0 };
	uint32_t gen, old_slot = 0, old_gen = 0;
	struct ft_dynset_params *sets_before = NULL;
	size_t nrec = 0, kept, nsets_before = 0;
	pid_t pid;
	int err;

	err = ft_prepare_file(d->config_path, d->config_flags, FT_BIND_HOST, &d->pol, &c,
			      &file_id);
	if (err)
		return err;
	err = ft_ifaces_check_required(&d->pol);
	if (err)
		goto out_free;

	err = ft_bpffs_prepare(d->pin_dir);
	if (err) {
		pr_err("cannot prepare %s: %s", d->pin_dir, strerror(-err));
		goto out_free;
	}
	d->private_bpffs = ft_warn_private_bpffs(d->pin_dir);
	err = ft_loader_open(&d->loader, d->pin_dir);
	if (err) {
		rmdir(d->pin_dir);	/* only if we left it empty */
		goto out_free;
	}
	ft_live_expect_fds(&d->expect, ft_loader_xdp_fd(&d->loader, false),
			   ft_loader_xdp_fd(&d->loader, true), ft_loader_tc_ingress_fd(&d->loader),
			   ft_loader_tc_egress_fd(&d->loader));
	if (d->loader.adopted) {
		pid = running_daemon(d);
		if (pid) {
			pr_err("flowtagd is already running (pid %d) on %s", pid, d->pin_dir);
			err = -EBUSY;
			goto out_close;
		}
		err = check_format(d);
		if (err)
			goto out_close;
		nrec = read_records(d, rec);
		ft_loader_state(&d->loader, &old_slot, &old_gen);
		lost_confirm(d);
		pr_info("taking over the data path a previous flowtagd left in %s "
			"(%zu interface(s), generation %u); classification continues meanwhile",
			d->pin_dir, nrec, old_gen);
		/* the sets' sizes and timeouts as its policy had them: an undone
		 * start gives them back */
		if (ft_dynsets_params_read(d->pin_dir, &sets_before, &nsets_before))
			pr_warn("cannot read the dynamic sets' parameters: an undone start "
				"could not give them back");
	}

	/* policy first: old and new programs share the maps, so both see it */
	err = ft_policy_swap(&d->loader, &c, &gen);
	if (err)
		goto out_close;
	log_policy(&d->pol, &c, gen);
	ft_compiled_free(&c);

	err = sync_ifaces(d, &d->pol, rec, nrec, true);
	if (!err)
		err = sync_shaping(d, &d->pol);
	if (err) {
		pr_err("cannot attach every interface: undoing this start");
		kept = ft_ifaces_undo(&d->ifs, rec, nrec);
		if (d->loader.adopted) {
			/* the previous policy is intact in the other slot (its
			 * dynamic sets too: ft_dynsets_prune()) */
			ft_loader_flip(&d->loader, old_slot, old_gen);
			ft_dynsets_params_restore(d->pin_dir,
						  ft_loader_map_fd(&d->loader, "ft_dset4_o"),
						  ft_loader_map_fd(&d->loader, "ft_dset6_o"),
						  sets_before, nsets_before, true);
			/* the interfaces kept run this run's program instances
			 * now: status judges by the ids in ft_health */
			if (kept)
				record_prog_ids(d);
		} else {
			ft_loader_unpin(&d->loader);
			if (!kept_sets(d->pin_dir))	/* dynamic sets stay */
				rmdir(d->pin_dir);
		}
		goto out_close;
	}
	d->health.policy_ino = file_id.st_ino;
	d->health.policy_mtime = file_id.st_mtime;
	d->info.pid = getpid();
	d->info.format = FT_DATAPATH_FORMAT;
	d->info.generation = gen;
	d->info.started = d->info.loaded = time(NULL);
	snprintf(d->info.policy, sizeof(d->info.policy), "%s", d->config_path);
	publish_state(d);
	ft_check_forward_priority(&d->pol);
	ft_check_tc_verdict(&d->pol);
	ft_log_kernel_features();
	free(sets_before);
	return 0;

out_close:
	if (!d->loader.adopted && !d->ifs.natt) {
		ft_loader_unpin(&d->loader);
		if (!kept_sets(d->pin_dir))	/* dynamic sets stay */
			rmdir(d->pin_dir);
	}
	ft_loader_close(&d->loader);
out_free:
	free(sets_before);
	ft_compiled_free(&c);
	ft_policy_free(&d->pol);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'C' },
		{ "allow-insecure-files", no_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "cleanup", no_argument, NULL, 'X' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "metrics-interval", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct daemon d = { .config_path = FT_DEFAULT_CONFIG, .pin_dir = FT_PIN_DIR,
			    .metrics_interval = 15, .pidfile_fd = -1, .ctl_fd = -1,
			    .waiter_fd = -1 };
	bool foreground = false, check = false, cleanup = false;
	char config_abs[PATH_MAX], metrics_abs[PATH_MAX];
	int verbose = 0, opt, err;
	pid_t holder;
	sigset_t set;

	d.pol.default_class = -1;
	d.prev.default_class = -1;
	d.ifs.loader = &d.loader;
	d.ifs.active = &d.pol;
	d.rep.loader = &d.loader;
	while ((opt = getopt_long(argc, argv, "c:fvhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'C':
			check = true;
			break;
		case 'U':
			d.config_flags |= FT_CONFIG_INSECURE_FILES;
			break;
		case 'v':
			verbose++;
			break;
		case 'p':
			d.pin_dir = optarg;
			break;
		case 'X':
			cleanup = true;
			break;
		case 'M':
			d.metrics_path = optarg;
			break;
		case 'I': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 86400) {
				fprintf(stderr, "flowtagd: --metrics-interval: 1..86400 seconds\n");
				return 2;
			}
			d.metrics_interval = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("flowtagd %s\n", FLOWTAG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	d.rep.pin_dir = d.pin_dir;
	{
		const struct ft_path_arg pa[] = {
			{ "-c", d.config_path, PATH_MAX },
			{ "--pin-dir", d.pin_dir, FT_PIN_DIR_MAX },
			{ "--metrics", d.metrics_path, PATH_MAX - 8 },	/* and ".tmp" */
		};
		char why[128];

		if (ft_check_path_args(pa, sizeof(pa) / sizeof(pa[0]), why, sizeof(why))) {
			fprintf(stderr, "flowtagd: %s\n", why);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowtagd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (check) {
		struct ft_policy pol;
		struct ft_compiled c;

		ft_log_init("flowtagd", FT_LOG_STDERR, verbose);
		/* as flowtagctl check: every interface the policy names as if it
		 * existed, the case that needs the most classifier resources */
		err = ft_prepare_file(d.config_path, d.config_flags | FT_PREPARE_ANALYZE,
				      FT_BIND_ASSUME_PRESENT, &pol, &c, NULL);
		if (err)
			return 1;
		printf("%s: valid: %zu rules, %zu classes, %zu prefix sets, %zu interfaces\n",
		       d.config_path, pol.nrules, pol.nclasses, pol.nsets, pol.nifaces);
		ft_compiled_free(&c);
		ft_policy_free(&pol);
		return 0;
	}

	/* --cleanup is a command an operator runs: answer on stderr */
	ft_log_init("flowtagd", foreground || cleanup ? FT_LOG_STDERR : FT_LOG_SYSLOG, verbose);
	if (geteuid() != 0)
		pr_warn("not running as root: loading BPF programs will probably fail");
	if (cleanup)
		return do_cleanup(&d) ? 1 : 0;
	warn_metrics_name(d.metrics_path);

	/* daemon(3) changes to /: reloads must still find the file. Absolute,
	 * but symlinks NOT resolved: config management swaps them (ConfigMaps:
	 * ..data -> a new directory, the old one deleted), and every reload
	 * must open the path as given. */
	if (make_absolute(d.config_path, config_abs, sizeof(config_abs))) {
		pr_err("-c %s: cannot make the path absolute", d.config_path);
		return 1;
	}
	d.config_path = config_abs;
	if (d.metrics_path) {
		if (make_absolute(d.metrics_path, metrics_abs, sizeof(metrics_abs))) {
			pr_err("--metrics %s: cannot make the path absolute", d.metrics_path);
			return 1;
		}
		d.metrics_path = metrics_abs;
	}

	/* one flowtagd per network namespace (the interfaces are its own) */
	err = ft_pidfile_lock(d.pin_dir, &d.pidfile_fd, &holder);
	if (err == -EBUSY) {
		pr_err("flowtagd is already running (pid %d) in this network namespace",
		       (int)holder);
		return 1;
	}
	if (err)
		pr_warn("cannot write the pid file in %s: %s; flowtagctl run under "
			"`ip netns exec` will not find this daemon", FT_RUN_DIR, strerror(-err));

	/* signals go to the signalfd from now on; a SIGTERM during start is
	 * handled once the data path is complete */
	daemon_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);

	pr_info("flowtagd %s starting: policy %s, pins in %s", FLOWTAG_VERSION, d.config_path,
		d.pin_dir);
	err = start(&d);
	if (err) {
		pr_err("not started");
		ft_pidfile_remove(d.pidfile_fd);
		return 1;
	}
	if (!foreground && daemon(0, 0)) {
		pr_err("cannot daemonize: %s", strerror(errno));
		shutdown_all(&d);
		ft_loader_close(&d.loader);
		ft_policy_free(&d.pol);
		ft_pidfile_remove(d.pidfile_fd);
		return 1;
	}
	if (!foreground) {
		d.info.pid = getpid();
		if (d.pidfile_fd >= 0)
			ft_pidfile_update(d.pidfile_fd, d.pin_dir);
		publish_state(&d);
	}
	d.ctl_fd = ft_control_listen();
	if (d.ctl_fd < 0)
		pr_warn("no control socket (%s): flowtagctl reload, reload --confirm, confirm and "
			"rollback are not available (SIGHUP still reloads)", strerror(-d.ctl_fd));
	ft_notifyf("READY=1\nSTATUS=generation %u, %zu rules, %zu interfaces\nMAINPID=%d",
		   d.info.generation, d.pol.nrules, d.ifs.natt, getpid());
	pr_info("ready: %zu interface(s), generation %u", d.ifs.natt, d.info.generation);

	err = run_loop(&d);
	control_close(&d);
	if (err == SIGQUIT && d.private_bpffs) {
		/* nothing to hand over: the pins and links die with this
		 * process's bpffs, and what would stay (tc filters on clsact)
		 * would run with no flowtagd and no pin to find them by */
		pr_warn("SIGQUIT: %s is on a bpffs private to this mount namespace (ip netns "
			"exec): the data path may not outlive flowtagd here and no other flowtagd "
			"would find it, so it is detached as on SIGTERM (start flowtagd with "
			"nsenter --net=/run/netns/NAME for hand-overs)", d.pin_dir);
		shutdown_all(&d);
	} else if (err == SIGQUIT) {
		/* hand over: the pinned data path keeps classifying for the next
		 * flowtagd to take over, as after a crash, but deliberately */
		size_t i;

		d.info.pid = 0;
		publish_state(&d);
		for (i = 0; i < d.ifs.natt; i++)
			ft_attachment_close(&d.ifs.att[i]);
		pr_info("left the data path running in %s for the next flowtagd", d.pin_dir);
	} else {
		shutdown_all(&d);
	}
	ft_loader_close(&d.loader);
	ft_policy_free(&d.pol);
	ft_policy_free(&d.prev);
	ft_pidfile_remove(d.pidfile_fd);
	return 0;
}
