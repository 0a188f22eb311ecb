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
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "compile.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "probe.h"
#include "shaping.h"
#include "stats.h"

#ifndef FLOWTAG_VERSION
#define FLOWTAG_VERSION	"0.1.0"
#endif

struct daemon {
	const char *config_path;
	unsigned int config_flags;		/* FT_CONFIG_*: --allow-insecure-files */
	const char *pin_dir;
	const char *metrics_path;		/* --metrics: a .prom file, or NULL */
	int metrics_interval;			/* seconds between writes */
	bool metrics_failing;			/* last write failed (logged once) */
	struct ft_loader loader;
	struct ft_policy pol;			/* the active policy */
	struct ft_attachment att[FT_MAX_IFACES];
	size_t natt;
	struct ft_daemon_info info;
};

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
		"      --check         validate the policy file and exit (0 = valid);\n"
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

/* Print every diagnostic line of a policy load at the matching level. */
static void log_diag(const struct ft_diag *d)
{
	char *text, *line, *save = NULL;

	if (!d->text)
		return;
	text = strdup(d->text);
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* the lines carry their own "error:"/"warning:" */
		ft_log_plain(strstr(line, ": warning: ") ? LOG_WARNING : LOG_ERR, "%s", line);
	}
	free(text);
}

/* Resolve rule iif names to ifindexes, warning about the absent ones. */
static void resolve_iifs(struct ft_policy *pol)
{
	size_t r, i;

	ft_resolve_iifs(pol);
	for (r = 0; r < pol->nrules; r++) {
		const struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++)
			if (!m->iif_index[i])
				ft_log_plain(LOG_WARNING, "%s:%d: warning: interface %s does not "
					     "exist: this iif never matches", pol->file,
					     pol->rules[r].line, m->iif[i]);
	}
}

/*
 * Load, validate and compile @path. Nothing in the kernel is touched.
 * @resolve: look up iif interface names here (not for --check, which may
 * run on another machine than the one the policy is for)
 * Returns 0 with @pol and @c filled, or -errno after logging why.
 */
static int policy_prepare(const char *path, unsigned int flags, struct ft_policy *pol,
			  struct ft_compiled *c, bool resolve)
{
	struct ft_diag diag = { 0 };
	int err;

	memset(pol, 0, sizeof(*pol));
	memset(c, 0, sizeof(*c));
	err = ft_config_load_flags(path, flags, pol, &diag);
	log_diag(&diag);
	if (err) {
		if (err == -EINVAL)
			pr_err("%s: %d error(s), policy rejected", path, diag.nerrors);
		else if (!diag.nerrors)
			pr_err("%s: %s", path, strerror(-err));
		ft_diag_free(&diag);
		return err;
	}
	ft_diag_free(&diag);
	if (resolve)
		resolve_iifs(pol);
	err = ft_compile(pol, c);
	if (err) {
		pr_err("%s: cannot compile the policy: %s", path,
		       err == -E2BIG ? "too large (rules, classes, interfaces or distinct bitmaps)" :
				       strerror(-err));
		ft_policy_free(pol);
	}
	return err;
}

static bool priorities_used(const struct ft_policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nclasses; i++)
		if (pol->classes[i].has_priority)
			return true;
	return false;
}

/* IPv4 forwarding rewrites skb->priority from the TOS byte when this is 1. */
static void check_forward_priority(const struct ft_policy *pol)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward_update_priority", "r");
	bool restore = false;
	size_t i;
	int v = 0;

	if (!f)
		return;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	for (i = 0; i < pol->nifaces; i++)
		restore |= pol->ifaces[i].egress_restore;
	if (v == 1 && priorities_used(pol) && !restore)
		pr_warn("net.ipv4.ip_forward_update_priority is 1: IPv4 forwarding overwrites "
			"the skb->priority set at ingress. Set egress_restore = true on the egress "
			"interfaces (or the sysctl to 0) for forwarded traffic to keep its class");
}

static int map_fd(struct daemon *d, const char *name)
{
	return ft_loader_map_fd(&d->loader, name);
}

static void publish_state(struct daemon *d)
{
	__u32 zero = 0, i;
	int fd = map_fd(d, "ft_ifaces");

	d->info.nifaces = d->natt;
	for (i = 0; i < FT_MAX_IFACES; i++) {
		struct ft_iface_info rec = { 0 };

		if (i < d->natt) {
			snprintf(rec.name, sizeof(rec.name), "%s", d->att[i].name);
			rec.ifindex = d->att[i].ifindex;
			rec.xdp_mode = d->att[i].xdp_mode;
			rec.flags = d->att[i].flags;
			rec.link_type = d->att[i].link_type;
			rec.l2 = d->att[i].l2;
		}
		bpf_map_update_elem(fd, &i, &rec, 0);
	}
	bpf_map_update_elem(map_fd(d, "ft_info"), &zero, &d->info, 0);
}

/* The previous daemon's interface records (left in the pinned maps). */
static size_t read_records(struct daemon *d, struct ft_iface_info *rec)
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

static const struct ft_iface_info *find_record(const struct ft_iface_info *rec, size_t n,
					       const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(rec[i].name, name, sizeof(rec[i].name)))
			return &rec[i];
	return NULL;
}

/* Another flowtagd still alive on these pins? */
static pid_t running_daemon(struct daemon *d)
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

/* Every interface must exist before anything is attached. */
static int check_ifaces(const struct ft_policy *pol)
{
	size_t i;
	int err = 0;

	for (i = 0; i < pol->nifaces; i++) {
		if (!if_nametoindex(pol->ifaces[i].name)) {
			pr_err("%s:%d: interface %s does not exist", pol->file, pol->ifaces[i].line,
			       pol->ifaces[i].name);
			err = -ENODEV;
		}
	}
	return err;
}

static struct ft_attachment *find_att(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->natt; i++)
		if (!strcmp(d->att[i].name, name))
			return &d->att[i];
	return NULL;
}

/*
 * Bring the attachments in line with @pol: attach new interfaces, update
 * changed ones, detach the ones no longer listed. @rec/@nrec: records of a
 * previous daemon to adopt (start only).
 */
static int sync_ifaces(struct daemon *d, const struct ft_policy *pol,
		       const struct ft_iface_info *rec, size_t nrec)
{
	struct ft_attachment next[FT_MAX_IFACES];
	size_t i, n = 0;
	int err = 0;

	for (i = 0; i < pol->nifaces; i++) {
		const struct ft_iface *ifc = &pol->ifaces[i];
		struct ft_attachment *cur = find_att(d, ifc->name);
		struct ft_iface_info prev = { 0 };
		const struct ft_iface_info *p = NULL;
		int e;

		if (cur) {
			/* re-run: swaps programs in place, adds/removes egress */
			snprintf(prev.name, sizeof(prev.name), "%s", cur->name);
			prev.ifindex = cur->ifindex;
			prev.flags = cur->flags;
			p = &prev;
			if (cur->link_fd >= 0)
				close(cur->link_fd);
			cur->link_fd = -1;
		} else {
			p = find_record(rec, nrec, ifc->name);
		}
		e = ft_attach_iface(&d->loader, ifc, p, cur != NULL, &next[n]);
		if (e) {
			err = e;
			continue;
		}
		/* the HTB tree is ours across reloads and takeovers */
		if (p)
			next[n].flags |= p->flags & FT_IFACE_F_SHAPED;
		n++;
	}
	/* interfaces that left the policy */
	for (i = 0; i < d->natt; i++) {
		size_t k;
		bool keep = false;

		for (k = 0; k < n; k++)
			keep |= !strcmp(next[k].name, d->att[i].name);
		if (!keep && (d->att[i].flags & FT_IFACE_F_SHAPED))
			ft_shaping_remove(d->att[i].ifindex, d->att[i].name);
		if (!keep)
			ft_detach_iface(&d->loader, &d->att[i]);
	}
	for (i = 0; i < nrec; i++) {
		size_t k;
		bool keep = false;

		for (k = 0; k < pol->nifaces; k++)
			keep |= !strncmp(rec[i].name, pol->ifaces[k].name, sizeof(rec[i].name));
		if (!keep)
			ft_detach_recorded(d->pin_dir, &rec[i]);
	}
	memcpy(d->att, next, n * sizeof(next[0]));
	d->natt = n;
	return err;
}

/*
 * Egress shaping in step with @pol: build or update the HTB tree of every
 * attached interface with egress_shaping, remove ours where the policy no
 * longer asks for one. Returns the first error.
 */
static int sync_shaping(struct daemon *d, const struct ft_policy *pol)
{
	size_t i, k;
	int err = 0, e;

	for (i = 0; i < d->natt; i++) {
		struct ft_attachment *a = &d->att[i];
		const struct ft_iface *ifc = NULL;
		bool owned = a->flags & FT_IFACE_F_SHAPED;

		for (k = 0; k < pol->nifaces; k++)
			if (!strcmp(pol->ifaces[k].name, a->name))
				ifc = &pol->ifaces[k];
		if (ifc && ifc->egress_shaping.enabled) {
			e = ft_shaping_apply(pol, ifc, a->ifindex, &owned);
			if (e && !err)
				err = e;
		} else if (owned) {
			ft_shaping_remove(a->ifindex, a->name);
			owned = false;
		}
		a->flags = owned ? a->flags | FT_IFACE_F_SHAPED : a->flags & ~FT_IFACE_F_SHAPED;
	}
	return err;
}

static void log_policy(const struct ft_policy *pol, const struct ft_compiled *c, uint32_t gen)
{
	pr_info("policy %s active: generation %u, %zu rules, %zu classes, %zu prefix sets, "
		"%zu bitmaps, mark_mask %#010x", pol->file, gen, pol->nrules, pol->nclasses,
		pol->nsets, c->nbitmaps, pol->mark_mask);
}

static int do_reload(struct daemon *d)
{
	struct ft_policy pol;
	struct ft_compiled c;
	uint32_t gen;
	int err;

	ft_notify("RELOADING=1\nSTATUS=reloading the policy");
	pr_info("SIGHUP: reloading %s", d->config_path);
	err = policy_prepare(d->config_path, d->config_flags, &pol, &c, true);
	if (!err) {
		err = check_ifaces(&pol);
		if (!err)
			err = ft_loader_apply(&d->loader, &c, &gen);
		if (!err)
			log_policy(&pol, &c, gen);
		ft_compiled_free(&c);
		if (err)
			ft_policy_free(&pol);
	}
	if (err) {
		d->info.reload_failures++;
		publish_state(d);
		pr_err("reload failed: still running generation %u", d->info.generation);
		ft_notifyf("READY=1\nSTATUS=reload failed; running generation %u",
			   d->info.generation);
		return err;
	}
	err = sync_ifaces(d, &pol, NULL, 0);
	if (err)
		pr_err("reload: the policy is active, but not every interface could be attached");
	if (sync_shaping(d, &pol))
		pr_err("reload: the policy is active, but egress shaping is not as it says");
	ft_policy_free(&d->pol);
	d->pol = pol;
	d->info.generation = gen;
	d->info.loaded = time(NULL);
	d->info.reloads++;
	publish_state(d);
	check_forward_priority(&d->pol);
	ft_notifyf("READY=1\nSTATUS=generation %u, %zu rules, %zu interfaces", gen,
		   d->pol.nrules, d->natt);
	return 0;
}

static void shutdown_all(struct daemon *d)
{
	size_t i;

	ft_notify("STOPPING=1");
	for (i = 0; i < d->natt; i++) {
		if (d->att[i].flags & FT_IFACE_F_SHAPED)
			ft_shaping_remove(d->att[i].ifindex, d->att[i].name);
		ft_detach_iface(&d->loader, &d->att[i]);
	}
	d->natt = 0;
	ft_loader_unpin(&d->loader);
	if (rmdir(d->pin_dir) && errno != ENOENT)
		pr_warn("cannot remove %s: %s", d->pin_dir, strerror(errno));
	pr_info("stopped: everything detached and unpinned");
}

static void write_metrics(struct daemon *d)
{
	int err;

	if (!d->metrics_path)
		return;
	err = ft_metrics_write(d->metrics_path, d->pin_dir);
	if (err && !d->metrics_failing)
		pr_warn("cannot write metrics to %s: %s", d->metrics_path, strerror(-err));
	else if (!err && d->metrics_failing)
		pr_info("metrics: writing %s again", d->metrics_path);
	d->metrics_failing = err != 0;
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

/* Returns the signal that ended the loop, or -errno. */
static int run_loop(struct daemon *d)
{
	sigset_t set;
	int sfd, sig = SIGTERM;

	daemon_sigset(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		pr_err("signalfd: %s", strerror(errno));
		return -errno;
	}
	write_metrics(d);
	for (;;) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int n = poll(&pfd, 1, d->metrics_path ? d->metrics_interval * 1000 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			write_metrics(d);
			continue;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			do_reload(d);
			write_metrics(d);
			continue;
		}
		sig = si.ssi_signo;
		pr_info("%s: stopping", strsignal(sig));
		break;
	}
	close(sfd);
	return sig;
}

static int do_cleanup(struct daemon *d)
{
	struct ft_iface_info rec[FT_MAX_IFACES];
	size_t n, i, done = 0;
	pid_t pid;
	int err;

	if (access(d->pin_dir, F_OK)) {
		pr_info("nothing to clean up: %s does not exist", d->pin_dir);
		return 0;
	}
	err = ft_loader_open(&d->loader, d->pin_dir);
	if (err)
		return err;
	pid = running_daemon(d);
	if (pid) {
		pr_err("flowtagd is running (pid %d): stop it with SIGTERM instead", pid);
		ft_loader_close(&d->loader);
		return -EBUSY;
	}
	n = read_records(d, rec);
	for (i = 0; i < n; i++)
		if (ft_detach_recorded(d->pin_dir, &rec[i]) > 0)
			done++;
	ft_loader_unpin(&d->loader);
	ft_loader_close(&d->loader);
	if (rmdir(d->pin_dir) && errno != ENOENT)
		pr_warn("cannot remove %s: %s", d->pin_dir, strerror(errno));
	pr_info("cleaned up %zu of %zu recorded interface(s) and removed the pins in %s", done, n,
		d->pin_dir);
	return done == n ? 0 : -ENODEV;
}

/* Detach what this run attached; keep what it took over from a previous
 * daemon (that data path was running before us and must keep running). */
static void undo_start(struct daemon *d, const struct ft_iface_info *rec, size_t nrec)
{
	size_t i, kept = 0;

	for (i = 0; i < d->natt; i++) {
		if (find_record(rec, nrec, d->att[i].name)) {
			if (d->att[i].link_fd >= 0)
				close(d->att[i].link_fd);
			kept++;
			continue;
		}
		if (d->att[i].flags & FT_IFACE_F_SHAPED)
			ft_shaping_remove(d->att[i].ifindex, d->att[i].name);
		ft_detach_iface(&d->loader, &d->att[i]);
	}
	d->natt = 0;
	if (kept)
		pr_err("kept the %zu interface(s) taken over from the previous flowtagd, running "
		       "its policy", kept);
}

/* Which variant of each kernel-dependent feature runs here, for the log. */
static void log_kernel_features(void)
{
	struct ft_kernel_features f;
	char line[512];

	ft_probe_kernel(&f);
	ft_probe_describe(&f, line, sizeof(line));
	pr_info("%s", line);
	if (f.xdp_frags == FT_PROBE_NO)
		pr_warn("this kernel has no xdp.frags programs: interfaces with an MTU above "
			"one page cannot run XDP");
}

static int start(struct daemon *d)
{
	struct ft_iface_info rec[FT_MAX_IFACES];
	struct ft_compiled c;
	uint32_t gen, old_slot = 0, old_gen = 0;
	size_t nrec = 0;
	pid_t pid;
	int err;

	err = policy_prepare(d->config_path, d->config_flags, &d->pol, &c, true);
	if (err)
		return err;
	err = check_ifaces(&d->pol);
	if (err)
		goto out_free;

	err = ft_bpffs_prepare(d->pin_dir);
	if (err) {
		pr_err("cannot prepare %s: %s", d->pin_dir, strerror(-err));
		goto out_free;
	}
	err = ft_loader_open(&d->loader, d->pin_dir);
	if (err) {
		rmdir(d->pin_dir);	/* only if we left it empty */
		goto out_free;
	}
	if (d->loader.adopted) {
		pid = running_daemon(d);
		if (pid) {
			pr_err("flowtagd is already running (pid %d) on %s", pid, d->pin_dir);
			err = -EBUSY;
			goto out_close;
		}
		nrec = read_records(d, rec);
		ft_loader_state(&d->loader, &old_slot, &old_gen);
		pr_info("taking over the data path a previous flowtagd left in %s "
			"(%zu interface(s), generation %u); classification continues meanwhile",
			d->pin_dir, nrec, old_gen);
	}

	/* policy first: old and new programs share the maps, so both see it */
	err = ft_loader_apply(&d->loader, &c, &gen);
	if (err)
		goto out_close;
	log_policy(&d->pol, &c, gen);
	ft_compiled_free(&c);

	err = sync_ifaces(d, &d->pol, rec, nrec);
	if (!err)
		err = sync_shaping(d, &d->pol);
	if (err) {
		pr_err("cannot attach every interface: undoing this start");
		undo_start(d, rec, nrec);
		if (d->loader.adopted) {
			/* the previous policy is intact in the other slot */
			ft_loader_revert(&d->loader, old_slot, old_gen);
		} else {
			ft_loader_unpin(&d->loader);
			rmdir(d->pin_dir);
		}
		goto out_close;
	}
	d->info.pid = getpid();
	d->info.generation = gen;
	d->info.started = d->info.loaded = time(NULL);
	snprintf(d->info.policy, sizeof(d->info.policy), "%s", d->config_path);
	publish_state(d);
	check_forward_priority(&d->pol);
	log_kernel_features();
	return 0;

out_close:
	if (!d->loader.adopted && !d->natt) {
		ft_loader_unpin(&d->loader);
		rmdir(d->pin_dir);
	}
	ft_loader_close(&d->loader);
out_free:
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
			    .metrics_interval = 15 };
	bool foreground = false, check = false, cleanup = false;
	char config_abs[PATH_MAX], metrics_abs[PATH_MAX];
	int verbose = 0, opt, err;
	sigset_t set;

	d.pol.default_class = -1;
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
	if (optind < argc) {
		fprintf(stderr, "flowtagd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (check) {
		struct ft_policy pol;
		struct ft_compiled c;

		ft_log_init("flowtagd", FT_LOG_STDERR, verbose);
		err = policy_prepare(d.config_path, d.config_flags, &pol, &c, false);
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

	/* daemon(3) changes to /: reloads must still find the file */
	if (!realpath(d.config_path, config_abs)) {
		pr_err("%s: %s", d.config_path, strerror(errno));
		return 1;
	}
	d.config_path = config_abs;
	if (d.metrics_path && d.metrics_path[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(metrics_abs, sizeof(metrics_abs), "%s/%s", cwd, d.metrics_path) >=
			    (int)sizeof(metrics_abs)) {
			pr_err("--metrics %s: cannot make the path absolute", d.metrics_path);
			return 1;
		}
		d.metrics_path = metrics_abs;
	}

	/* signals go to the signalfd from now on; a SIGTERM during start is
	 * handled once the data path is complete */
	daemon_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);

	pr_info("flowtagd %s starting: policy %s, pins in %s", FLOWTAG_VERSION, d.config_path,
		d.pin_dir);
	err = start(&d);
	if (err) {
		pr_err("not started");
		return 1;
	}
	if (!foreground && daemon(0, 0)) {
		pr_err("cannot daemonize: %s", strerror(errno));
		shutdown_all(&d);
		ft_loader_close(&d.loader);
		ft_policy_free(&d.pol);
		return 1;
	}
	if (!foreground) {
		d.info.pid = getpid();
		publish_state(&d);
	}
	ft_notifyf("READY=1\nSTATUS=generation %u, %zu rules, %zu interfaces\nMAINPID=%d",
		   d.info.generation, d.pol.nrules, d.natt, getpid());
	pr_info("ready: %zu interface(s), generation %u", d.natt, d.info.generation);

	if (run_loop(&d) == SIGQUIT) {
		/* hand over: the pinned data path keeps classifying for the next
		 * flowtagd to take over, as after a crash, but deliberately */
		size_t i;

		d.info.pid = 0;
		publish_state(&d);
		for (i = 0; i < d.natt; i++)
			if (d.att[i].link_fd >= 0)
				close(d.att[i].link_fd);
		pr_info("left the data path running in %s for the next flowtagd", d.pin_dir);
	} else {
		shutdown_all(&d);
	}
	ft_loader_close(&d.loader);
	ft_policy_free(&d.pol);
	return 0;
}
