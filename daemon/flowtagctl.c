// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl: look at and steer a running flowtag.
 *
 * Everything it shows comes from the maps flowtagd pins under
 * /sys/fs/bpf/flowtag, opened read-only; `check` and `explain` work on a
 * policy file and need no daemon. Output goes through daemon/output.c, so
 * every command prints text or JSON (-j) from the same code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "attach.h"
#include "compile.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "output.h"
#include "pidfile.h"
#include "policy.h"
#include "probe.h"
#include "stats.h"
#include "strparse.h"
#include "verify.h"

#ifndef FLOWTAG_VERSION
#define FLOWTAG_VERSION "0.1.0"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* flowtagctl status: for monitoring (Nagios-style checks) */
enum {
	EXIT_STATUS_OK = 0,		/* state ok */
	EXIT_STATUS_BAD = 1,		/* state degraded or down */
	EXIT_STATUS_NOT_RUNNING = 2,	/* no flowtagd (or it died) */
};

#define RELOAD_TIMEOUT_MS	10000
#define RELOAD_POLL_MS		100
/* a hand-off below this share of tc packets with metadata is worth a warning */
#define HANDOFF_OK_PERMILLE	990

struct ctl {
	bool json;
	bool pretty;
	int verbose;
	const char *pin_dir;
	const char *config;	/* -c FILE */
	unsigned int config_flags;	/* FT_CONFIG_*: --allow-insecure-files */
};

static const char *prog = "flowtagctl";

/* ---- usage ---------------------------------------------------------- */

static void help(void)
{
	printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n"
	       "\n"
	       "Commands:\n"
	       "  status                daemon, policy, interfaces and XDP->tc hand-off health\n"
	       "  stats                 packets and bytes per class and per rule\n"
	       "  check [FILE]          validate a policy file (no kernel access)\n"
	       "  explain KEY VALUE...  which rule a packet described by KEY VALUE pairs matches\n"
	       "  reload                make flowtagd reload its policy and report the outcome\n"
	       "\n"
	       "Options:\n"
	       "  -j, --json            JSON output\n"
	       "  -p, --pretty          indented JSON (implies --json)\n"
	       "  -c, --config FILE     policy file for check and explain\n"
	       "      --allow-insecure-files  check and explain accept files users other\n"
	       "                        than root (or you) own or can write\n"
	       "      --pin-dir DIR     where flowtag's maps are pinned (default %s)\n"
	       "  -v, --verbose         more messages (twice: libbpf's too)\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n"
	       "\n"
	       "explain keys: iif NAME, vlan ID, family ipv4|ipv6, src ADDR, dst ADDR,\n"
	       "  proto NAME|NUM, sport PORT, dport PORT, dscp NAME|NUM, tcp-flags FLAGS\n"
	       "  e.g. %s explain proto tcp src 198.18.0.1 dst 198.19.0.5 dport 22\n"
	       "\n"
	       "See flowtagctl(8).\n",
	       prog, FT_PIN_DIR, prog);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EXIT_USAGE;
}

/* ---- small helpers -------------------------------------------------- */

/* "2025-06-01 12:00:00 (3h 12m ago)", or "-" for 0. */
static char *fmt_time(uint64_t t, char *buf, size_t len)
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

/* A time: unix seconds in JSON, local time in text. */
static void out_time(struct ft_out *o, const char *key, const char *label, uint64_t t)
{
	char buf[80];

	ft_out_value(o, key, label, ft_out_is_json(o) && t ? json_object_new_uint64(t) : NULL,
		     fmt_time(t, buf, sizeof(buf)), false);
}

/* A priority in tc notation, or nothing. */
static void out_prio(struct ft_out *o, const char *key, const char *label, bool has, uint32_t p)
{
	char buf[24];

	ft_out_str(o, key, label, has ? ft_format_tc_handle(p, buf, sizeof(buf)) : NULL);
}

static void out_dscp(struct ft_out *o, const char *key, const char *label, bool has, int dscp)
{
	const char *name = has ? ft_dscp_name(dscp) : NULL;
	char buf[8];

	if (has && !name) {
		snprintf(buf, sizeof(buf), "%d", dscp);
		name = buf;
	}
	ft_out_str(o, key, label, name);
}

/* snprintf at *@n into @buf, never past its end. */
static void append(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *n, const char *fmt, ...)
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

/* @num / @den in thousandths, rounded down (99.96% is not "100.0%"). */
static uint64_t permille(uint64_t num, uint64_t den)
{
	return den ? (uint64_t)((unsigned __int128)num * 1000 / den) : 0;
}

/* "99.9%" */
static char *fmt_permille(uint64_t pm, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%llu%%", (unsigned long long)(pm / 10),
		 (unsigned long long)(pm % 10));
	return buf;
}

/* ---- opening the pins ----------------------------------------------- */

/* Where the pins were found: c->pin_dir, or /proc/PID/root/DIR. */
static char pins_path[PATH_MAX];
static pid_t pins_via_pid;

/*
 * The pins are not visible here. `ip netns exec` gives each process a /sys,
 * and so a bpffs, of its own: find the flowtagd of this network namespace
 * through its pid file and read its pins through /proc/PID/root. Returns 0
 * with @s open, or -errno after saying exactly why not (unless @quiet and
 * there is simply no daemon).
 */
static int open_pins_of_daemon(const struct ctl *c, struct ft_stats *s, bool quiet)
{
	char dir[PATH_MAX], pidfile[PATH_MAX], comm[32];
	pid_t pid;
	int err;

	if (ft_pidfile_path(pidfile, sizeof(pidfile)))
		snprintf(pidfile, sizeof(pidfile), "%s/flowtagd.*.pid", FT_RUN_DIR);
	err = ft_pidfile_read(&pid, dir, sizeof(dir));
	if (err) {
		if (!quiet)
			pr_err("flowtagd is not running (no maps under %s, and no flowtagd of "
			       "this network namespace in %s)", c->pin_dir, pidfile);
		return -ENOENT;
	}
	if (ft_daemon_state((uint32_t)pid, comm, sizeof(comm)) != FT_DAEMON_RUNNING) {
		if (!quiet)
			pr_err("flowtagd is not running (no maps under %s; %s names pid %d, "
			       "which is gone)", c->pin_dir, pidfile, (int)pid);
		return -ENOENT;
	}
	if (snprintf(pins_path, sizeof(pins_path), "/proc/%d/root%s", (int)pid, dir) >=
	    (int)sizeof(pins_path))
		return -ENAMETOOLONG;
	err = ft_stats_open(s, pins_path);
	if (err) {
		pr_err("flowtagd (pid %d) runs in this network namespace with its pins in %s, but "
		       "they are not visible here (its bpffs is private to its mount namespace) "
		       "and %s cannot be read: %s", (int)pid, dir, pins_path, strerror(-err));
		return err;
	}
	pins_via_pid = pid;
	return 0;
}

/* Open the pinned maps, explaining failure in the user's terms. */
static int open_pins(const struct ctl *c, struct ft_stats *s, bool quiet_enoent)
{
	int err = ft_stats_open(s, c->pin_dir);

	snprintf(pins_path, sizeof(pins_path), "%s", c->pin_dir);
	if (err == -ENOENT)
		return open_pins_of_daemon(c, s, quiet_enoent);
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
		/* ft_stats_open said which map does not fit */
		break;
	default:
		pr_err("cannot read flowtag's maps under %s: %s", c->pin_dir, strerror(-err));
	}
	return err;
}

/* ---- the daemon process ---------------------------------------------- */

static const char *const daemon_state_names[] = {
	[FT_DAEMON_STOPPED] = "stopped",
	[FT_DAEMON_RUNNING] = "running",
	[FT_DAEMON_STALE] = "stale",
	[FT_DAEMON_REUSED] = "stale",
};

/* ---- status ----------------------------------------------------------- */

/* What status learned about one recorded interface. */
struct iface_view {
	struct ft_iface_info rec;	/* as flowtagd recorded it */
	struct ft_iface_health ih;	/* its repair record (zero without ft_ifhealth) */
	struct ft_hoff hoff;		/* its hand-off counters */
	bool has_hoff;
	struct ft_live lv;		/* the kernel's view, judged */
};

/* Per-interface findings the kernel does not show: repairs given up,
 * hand-off stalled or never reaching tc. Added to @v->lv's reasons. */
static void judge_extra(struct iface_view *v)
{
	struct ft_live *lv = &v->lv;

	if ((v->ih.flags & FT_IFH_F_GAVE_UP) && lv->nreasons < FT_LIVE_REASONS) {
		snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
			 "flowtagd stopped repairing it: another tool removed flowtag's hooks "
			 "again and again; `flowtagctl reload` makes it repair again");
		if (lv->state < FT_LIVE_DEGRADED)
			lv->state = FT_LIVE_DEGRADED;
	}
	if (v->has_hoff && v->hoff.meta_written >= 16 && !v->hoff.tc_pkts &&
	    lv->nreasons < FT_LIVE_REASONS) {
		snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
			 "XDP wrote metadata on %llu packets, tc ingress saw none",
			 (unsigned long long)v->hoff.meta_written);
		if (lv->state < FT_LIVE_DEGRADED)
			lv->state = FT_LIVE_DEGRADED;
	} else if ((v->ih.flags & FT_IFH_F_STALLED) && lv->nreasons < FT_LIVE_REASONS) {
		snprintf(lv->reason[lv->nreasons++], FT_LIVE_REASON_LEN,
			 "XDP->tc hand-off stalled: XDP writes metadata, tc ingress sees no packet");
		if (lv->state < FT_LIVE_DEGRADED)
			lv->state = FT_LIVE_DEGRADED;
	}
}

static const char *tc_cell(const struct ft_live *lv, const struct ft_live_prog *p, bool want)
{
	if (!want)
		return "no";
	if (!lv->exists)
		return "-";
	if (!lv->clsact || !p->id)
		return "MISSING";
	return p->ours ? "yes" : "FOREIGN";
}

static void print_iface(struct ft_out *o, const struct iface_view *v)
{
	const struct ft_iface_info *ifc = &v->rec;
	const struct ft_live *lv = &v->lv;
	char pdesc[BPF_OBJ_NAME_LEN + 24], tcx[BPF_OBJ_NAME_LEN + 24] = "none";
	struct json_object *reasons = NULL;
	bool absent = ifc->flags & FT_IFACE_F_ABSENT;
	const char *used;
	unsigned int r;

	if (lv->xdp.id)
		snprintf(pdesc, sizeof(pdesc), "%s #%u", lv->xdp.name[0] ? lv->xdp.name : "?",
			 lv->xdp.id);
	if (lv->ntcx)
		snprintf(tcx, sizeof(tcx), "%s #%u%s", lv->tcx[0].name[0] ? lv->tcx[0].name : "?",
			 lv->tcx[0].id, lv->ntcx > 1 ? " +" : "");
	if (ft_out_is_json(o)) {
		reasons = json_object_new_array();
		for (r = 0; reasons && r < lv->nreasons; r++)
			json_object_array_add(reasons, json_object_new_string(lv->reason[r]));
	}

	/* the way packets are really classified there, from the kernel's state */
	if (ifc->flags & FT_IFACE_F_ABSENT)
		used = "absent";
	else if (!lv->exists)
		used = "gone";
	else if (lv->xdp.ours && lv->xdp_mode == XDP_ATTACHED_DRV)
		used = "xdp-native";
	else if (lv->xdp.ours && lv->xdp_mode == XDP_ATTACHED_SKB)
		used = "xdp-generic";
	else
		used = "tc-only";

	ft_out_begin_row(o);
	ft_out_str(o, "name", "interface", ifc->name);
	ft_out_u64(o, "ifindex", "ifindex", ifc->ifindex);
	ft_out_str(o, "link", "link", absent ? "-" : ft_link_type_name(ifc->link_type));
	ft_out_str(o, "mode", "mode", used);
	ft_out_bool(o, "present", "present", !absent, "yes", "no");
	ft_out_bool(o, "required", NULL, ifc->flags & FT_IFACE_F_REQUIRED, "yes", "no");
	ft_out_bool(o, "pattern", NULL, ifc->flags & FT_IFACE_F_PATTERN, "yes", "no");
	ft_out_str(o, "state", "state", absent && lv->state == FT_LIVE_OK ? "absent" :
		   ft_live_state_name(lv->state));
	ft_out_str(o, "xdp_mode", "xdp", lv->exists ? ft_xdp_mode_name(lv->xdp_mode) :
					  absent ? "-" : "gone");
	ft_out_str(o, "xdp_mode_at_attach", NULL, ft_xdp_mode_name(ifc->xdp_mode));
	ft_out_value(o, "xdp_prog_id", NULL, lv->xdp.id ? json_object_new_uint64(lv->xdp.id) : NULL,
		     NULL, true);
	ft_out_str(o, "xdp_prog", "program", lv->xdp.id ? pdesc : NULL);
	ft_out_bool(o, "xdp_prog_ours", NULL, lv->xdp.ours, "yes", "no");
	ft_out_value(o, "xdp_link", NULL, lv->link < 0 ? NULL : json_object_new_boolean(lv->link),
		     NULL, false);
	ft_out_bool(o, "clsact", NULL, lv->clsact, "yes", "no");
	ft_out_str(o, "ingress_state", "ingress", tc_cell(lv, &lv->ingress, true));
	ft_out_bool(o, "ingress", NULL, lv->clsact && lv->ingress.ours, "yes", "no");
	ft_out_str(o, "egress_state", "egress",
		   tc_cell(lv, &lv->egress, ifc->flags & FT_IFACE_F_EGRESS));
	ft_out_bool(o, "egress", NULL, lv->clsact && lv->egress.ours, "yes", "no");
	ft_out_value(o, "tcx_programs", NULL, json_object_new_uint64(lv->ntcx), NULL, true);
	ft_out_str(o, "tcx", "tcx in front", lv->ntcx ? tcx : "none");
	ft_out_bool(o, "frags", NULL, ifc->flags & FT_IFACE_F_FRAGS, "yes", "no");
	ft_out_bool(o, "qdisc_ours", "clsact", ifc->flags & FT_IFACE_F_QDISC_OURS, "ours",
		    "shared");
	ft_out_u64(o, "repairs", "repairs", v->ih.repairs);
	ft_out_value(o, "last_repair", NULL,
		     v->ih.last_repair ? json_object_new_uint64(v->ih.last_repair) : NULL, NULL,
		     false);
	ft_out_str(o, "last_repair_restored", NULL, v->ih.last[0] ? v->ih.last : NULL);
	ft_out_bool(o, "repairs_stopped", NULL, v->ih.flags & FT_IFH_F_GAVE_UP, "yes", "no");
	ft_out_value(o, "reasons", NULL, reasons, NULL, false);
	ft_out_end_row(o);
}

/* Per-interface XDP->tc hand-off: a stall on one interface shows even
 * when the others carry the totals. */
static void print_iface_handoff(struct ft_out *o, const struct iface_view *v)
{
	uint64_t pm = permille(v->hoff.meta_seen, v->hoff.tc_pkts);
	char pct[32];

	ft_out_begin_row(o);
	ft_out_str(o, "name", "interface", v->rec.name);
	ft_out_u64(o, "meta_written", "meta written (XDP)", v->hoff.meta_written);
	ft_out_u64(o, "tc_packets", "tc packets", v->hoff.tc_pkts);
	ft_out_u64(o, "meta_seen", "meta seen by tc", v->hoff.meta_seen);
	ft_out_value(o, "meta_percent", "share",
		     v->hoff.tc_pkts ? json_object_new_double((double)pm / 10.0) : NULL,
		     v->hoff.tc_pkts ? fmt_permille(pm, pct, sizeof(pct)) : NULL, true);
	ft_out_end_row(o);
}

enum handoff_state {
	HANDOFF_IDLE,		/* no packets yet */
	HANDOFF_NO_TC,		/* XDP saw packets, tc none */
	HANDOFF_OK,
	HANDOFF_DEGRADED,	/* some fallback */
	HANDOFF_FALLBACK,	/* fallback dominates */
};

static const char *const handoff_names[] = {
	[HANDOFF_IDLE] = "idle",
	[HANDOFF_NO_TC] = "no-tc",
	[HANDOFF_OK] = "ok",
	[HANDOFF_DEGRADED] = "degraded",
	[HANDOFF_FALLBACK] = "fallback",
};

/*
 * The one-line verdict on the XDP->tc hand-off, and what to do about it.
 * tc counts every packet it sees once as meta seen, or as meta invalid or
 * no meta (then fallback), so meta_seen / tc_packets is the share of
 * packets XDP really tagged for tc.
 */
static void print_handoff(struct ft_out *o, const uint64_t *cnt)
{
	unsigned long long tc = cnt[FT_CNT_TC_PKTS], seen = cnt[FT_CNT_META_SEEN];
	unsigned long long fb = cnt[FT_CNT_FALLBACK], xdp = cnt[FT_CNT_XDP_PKTS];
	unsigned long long written = cnt[FT_CNT_META_WRITTEN];
	uint64_t pm = permille(seen, tc);
	enum handoff_state st;
	char summary[256], pct[32];

	if (!tc && !xdp) {
		st = HANDOFF_IDLE;
		snprintf(summary, sizeof(summary), "no packets seen yet");
	} else if (!tc) {
		st = HANDOFF_NO_TC;
		snprintf(summary, sizeof(summary),
			 "WARNING: XDP saw %llu packets, tc ingress none: is the tc ingress "
			 "filter attached?", xdp);
	} else {
		fmt_permille(pm, pct, sizeof(pct));
		if (pm >= HANDOFF_OK_PERMILLE) {
			st = HANDOFF_OK;
			snprintf(summary, sizeof(summary),
				 "%s of tc packets carried metadata (%llu of %llu)", pct, seen, tc);
		} else if (fb > tc / 2) {
			st = HANDOFF_FALLBACK;
			snprintf(summary, sizeof(summary),
				 "WARNING: fallback dominates: only %s of tc packets carried "
				 "metadata, tc classified %llu of %llu itself", pct, fb, tc);
		} else {
			st = HANDOFF_DEGRADED;
			snprintf(summary, sizeof(summary),
				 "%s of tc packets carried metadata, tc classified %llu of %llu "
				 "itself", pct, fb, tc);
		}
	}

	ft_out_begin_fields(o, "handoff", NULL);
	ft_out_str(o, "state", NULL, handoff_names[st]);
	ft_out_value(o, "meta_percent", NULL,
		     tc ? json_object_new_double((double)pm / 10.0) : NULL, NULL, true);
	ft_out_str(o, "summary", "XDP->tc hand-off", summary);
	ft_out_end_fields(o);

	if (st != HANDOFF_DEGRADED && st != HANDOFF_FALLBACK)
		return;
	if (cnt[FT_CNT_ADJUST_FAILED])
		ft_out_warn(o, "bpf_xdp_adjust_meta() failed %llu times: the driver gives XDP "
			    "no room for metadata, so tc classified those packets again; use "
			    "xdp_mode = \"generic\" there, or a driver with metadata support "
			    "(veth, virtio_net, tun, ...)",
			    (unsigned long long)cnt[FT_CNT_ADJUST_FAILED]);
	if (cnt[FT_CNT_META_INVALID])
		ft_out_warn(o, "%llu packets carried metadata that is not flowtag's: another "
			    "XDP program writes metadata (see `bpftool net`), or the XDP program "
			    "attached is from another flowtag version",
			    (unsigned long long)cnt[FT_CNT_META_INVALID]);
	if (cnt[FT_CNT_META_NONE] && written > seen)
		ft_out_warn(o, "tc found no metadata on %llu packets while XDP wrote it on %llu "
			    "and tc saw it on %llu: the driver may not pass XDP metadata on to the "
			    "skb (generic mode always does)",
			    (unsigned long long)cnt[FT_CNT_META_NONE], written, seen);
	if (cnt[FT_CNT_META_NONE] && tc > xdp)
		ft_out_warn(o, "tc saw %llu packets more than XDP: some interface has no "
			    "flowtag XDP program (see the interfaces above), or packets arrive "
			    "through a device XDP does not see",
			    tc - xdp);
}

static void print_status_daemon(struct ft_out *o, const struct ft_daemon_info *info)
{
	char comm[32], pid[16];
	enum ft_daemon_state ds = ft_daemon_state(info->pid, comm, sizeof(comm));

	ft_out_begin_fields(o, "daemon", NULL);
	ft_out_str(o, "state", "flowtagd", daemon_state_names[ds]);
	snprintf(pid, sizeof(pid), "%u", info->pid);
	ft_out_value(o, "pid", "pid",
		     ft_out_is_json(o) && info->pid ? json_object_new_uint64(info->pid) : NULL,
		     info->pid ? pid : NULL, false);
	out_time(o, "started", "started", info->started);
	ft_out_end_fields(o);

	if (ds == FT_DAEMON_STALE)
		ft_out_warn(o, "flowtagd (pid %u) is gone without cleaning up; the data path "
			    "keeps classifying with the last policy", info->pid);
	else if (ds == FT_DAEMON_REUSED)
		ft_out_warn(o, "flowtagd (pid %u) is gone, the pid now belongs to '%s'; the data "
			    "path keeps classifying with the last policy", info->pid, comm);
}

/* What this kernel offers, probed now: the variant of each feature in force. */
static void print_status_kernel(struct ft_out *o)
{
	struct ft_kernel_features f;

	ft_probe_kernel(&f);
	ft_out_begin_fields(o, "kernel", "kernel");
	ft_out_str(o, "release", "release", f.release);
	ft_out_str(o, "tcx", "tcx hooks", ft_probe_res_str(f.tcx));
	ft_out_str(o, "xdp_frags", "xdp.frags programs", ft_probe_res_str(f.xdp_frags));
	ft_out_str(o, "percpu_lookup", "per-CPU array lookups", ft_probe_percpu_str(f.percpu_inline));
	ft_out_u64(o, "meta_max", "data_meta limit (bytes)", f.meta_max);
	ft_out_str(o, "tc_attach", "tc attach", "clsact + cls_bpf (direct-action)");
	ft_out_str(o, "xdp_attach", "XDP attach", "bpf_link (pinned)");
	ft_out_end_fields(o);
}

static int print_status_policy(struct ft_out *o, struct ft_stats *s,
			       const struct ft_daemon_info *info, const struct ft_state *st,
			       const struct ft_health *hl)
{
	struct ft_policy_hdr h;
	int err;

	err = ft_stats_policy(s, st->slot & 1, &h);
	if (err) {
		pr_err("cannot read ft_policy: %s", strerror(-err));
		return err;
	}
	ft_out_begin_fields(o, "policy", NULL);
	ft_out_str(o, "file", "policy", info->policy[0] ? info->policy : NULL);
	if (hl->policy_ino) {
		char fid[96], when[48];

		snprintf(fid, sizeof(fid), "inode %llu, modified %s",
			 (unsigned long long)hl->policy_ino,
			 fmt_time((uint64_t)hl->policy_mtime, when, sizeof(when)));
		ft_out_str(o, NULL, "file read", fid);
		ft_out_u64(o, "file_inode", NULL, hl->policy_ino);
		ft_out_u64(o, "file_mtime", NULL, (uint64_t)hl->policy_mtime);
	}
	ft_out_u64(o, "generation", "generation", st->generation);
	ft_out_u64(o, "slot", NULL, st->slot & 1);
	out_time(o, "loaded", "loaded", info->generation == st->generation ? info->loaded : 0);
	ft_out_u64(o, "rules", "rules", st->generation ? h.nrules : 0);
	ft_out_u64(o, "classes", "classes", st->generation ? h.nclasses : 0);
	ft_out_u64(o, "reloads", "reloads", info->reloads);
	ft_out_u64(o, "reload_failures", "rejected reloads", info->reload_failures);
	ft_out_u64(o, "repairs", "repairs", hl->repairs);
	ft_out_end_fields(o);

	if (!st->generation)
		ft_out_warn(o, "no policy loaded: packets pass unclassified");
	else if (info->generation != st->generation)
		ft_out_warn(o, "flowtagd reports generation %u, the data path runs generation "
			    "%u (a reload in progress?)", info->generation, st->generation);
	return 0;
}

/* Flush the output of a command; a write error fails a command that succeeded. */
static int finish_output(struct ft_out *o, int ret)
{
	int err = ft_out_finish(o);

	if (err) {
		pr_err("writing the output failed: %s", strerror(-err));
		if (ret == EXIT_OK)
			ret = EXIT_FAIL;
	}
	return ret;
}

/* Everything status and reload judge, read once. */
struct view {
	struct ft_daemon_info info;
	struct ft_state st;
	struct ft_health health;	/* zero when the pins predate ft_health */
	enum ft_daemon_state ds;
	struct iface_view *ifs;
	uint32_t nifs;
	enum ft_live_state state;	/* overall */
	char **reasons;			/* overall reasons, "IFACE: why" */
	size_t nreasons;
};

static void view_free(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		free(v->reasons[i]);
	free(v->reasons);
	free(v->ifs);
	memset(v, 0, sizeof(*v));
}

static void view_reason(struct view *v, enum ft_live_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void view_reason(struct view *v, enum ft_live_state st, const char *fmt, ...)
{
	char **r, *line, buf[768];
	va_list ap;

	if (st > v->state)
		v->state = st;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line = strdup(buf);
	if (!line)
		return;
	r = realloc(v->reasons, (v->nreasons + 1) * sizeof(*r));
	if (!r) {
		free(line);
		return;
	}
	v->reasons = r;
	v->reasons[v->nreasons++] = line;
}

/*
 * Read flowtag's state and check every recorded interface in the kernel,
 * then judge: ok, degraded (tagging, but not as configured) or down
 * (nothing tagged). Return: 0 or -errno (logged).
 */
static int view_read(struct ft_stats *s, struct view *v)
{
	struct ft_live_expect exp = { 0 };
	uint32_t i, ndown = 0, nabsent = 0;
	char comm[32];
	int err;

	memset(v, 0, sizeof(*v));
	err = ft_stats_info(s, &v->info);
	if (!err)
		err = ft_stats_state(s, &v->st);
	if (err) {
		pr_err("cannot read flowtag's status maps: %s", strerror(-err));
		return err;
	}
	if (ft_stats_health(s, &v->health))
		memset(&v->health, 0, sizeof(v->health));	/* older pins: judge by names */
	exp.xdp = v->health.prog_xdp;
	exp.xdp_frags = v->health.prog_xdp_frags;
	exp.tc_ingress = v->health.prog_tc_ingress;
	exp.tc_egress = v->health.prog_tc_egress;
	v->ds = ft_daemon_state(v->info.pid, comm, sizeof(comm));

	v->nifs = v->info.nifaces < FT_MAX_IFACES ? v->info.nifaces : FT_MAX_IFACES;
	v->ifs = calloc(v->nifs ? v->nifs : 1, sizeof(*v->ifs));
	if (!v->ifs)
		return -ENOMEM;
	for (i = 0; i < v->nifs; i++) {
		struct iface_view *iv = &v->ifs[i];
		unsigned int r;

		err = ft_stats_iface(s, i, &iv->rec);
		if (err) {
			pr_err("cannot read ft_ifaces: %s", strerror(-err));
			return err;
		}
		if (ft_stats_ifhealth(s, i, &iv->ih) || iv->ih.ifindex != iv->rec.ifindex)
			memset(&iv->ih, 0, sizeof(iv->ih));
		iv->has_hoff = !ft_stats_hoff(s, iv->rec.ifindex, &iv->hoff);
		ft_live_check(&iv->rec, &exp, pins_path, &iv->lv);
		judge_extra(iv);
		for (r = 0; r < iv->lv.nreasons; r++)
			view_reason(v, iv->lv.state, "%s: %s", iv->rec.name, iv->lv.reason[r]);
		ndown += iv->lv.state == FT_LIVE_DOWN;
		nabsent += !!(iv->rec.flags & FT_IFACE_F_ABSENT);
	}

	if (!v->st.generation)
		view_reason(v, FT_LIVE_DOWN, "no policy loaded: packets pass unclassified");
	if (v->health.nmissing)
		view_reason(v, FT_LIVE_DEGRADED, "%u interface(s) of the policy not attached: %s",
			    v->health.nmissing, v->health.missing);
	if (v->nifs && nabsent == v->nifs && v->st.generation)
		view_reason(v, FT_LIVE_DEGRADED, "no interface attached: every interface of the "
			    "policy is absent");
	if (!v->nifs && v->st.generation)
		view_reason(v, v->health.nmissing ? FT_LIVE_DOWN : FT_LIVE_DEGRADED,
			    "no interface attached");
	if (v->nifs && ndown == v->nifs)
		v->state = FT_LIVE_DOWN;
	if (v->ds != FT_DAEMON_RUNNING)
		view_reason(v, FT_LIVE_DEGRADED, "flowtagd is not running: the pinned data path "
			    "classifies with the last policy, but nothing repairs or reloads it");
	return 0;
}

static int cmd_status(const struct ctl *c, int argc, char **argv)
{
	struct view v = { 0 };
	struct ft_stats s;
	struct ft_out *o = NULL;
	struct json_object *reasons = NULL;
	uint64_t cnt[FT_CNT_MAX];
	char title[64];
	uint32_t i;
	size_t r;
	int err, ret = EXIT_STATUS_BAD;

	static const char *const heads[] = { "interface", "ifindex", "link", "mode", "present",
					     "state",
					     "xdp", "program", "ingress", "egress", "tcx in front",
					     "clsact", "repairs", NULL };
	static const char *const hheads[] = { "interface", "meta written (XDP)", "tc packets",
					      "meta seen by tc", "share", NULL };

	(void)argv;
	if (argc)
		return usage_error("status takes no arguments");
	err = open_pins(c, &s, false);
	if (err)
		return err == -ENOENT ? EXIT_STATUS_NOT_RUNNING : EXIT_STATUS_BAD;
	err = view_read(&s, &v);
	if (!err)
		err = ft_stats_counters(&s, cnt);
	if (err)
		goto out;
	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		err = -ENOMEM;
		goto out;
	}

	/* the verdict first: what monitoring and operators look for */
	if (ft_out_is_json(o)) {
		reasons = json_object_new_array();
		for (r = 0; reasons && r < v.nreasons; r++)
			json_object_array_add(reasons, json_object_new_string(v.reasons[r]));
	}
	ft_out_str(o, "state", "state", ft_live_state_name(v.state));
	ft_out_value(o, "reasons", NULL, reasons, NULL, false);
	for (r = 0; r < v.nreasons; r++)
		ft_out_text(o, "  %s", v.reasons[r]);
	if (pins_via_pid)
		ft_out_str(o, "pins", "pins", pins_path);

	print_status_daemon(o, &v.info);
	print_status_kernel(o);
	err = print_status_policy(o, &s, &v.info, &v.st, &v.health);
	if (err)
		goto out;

	ft_out_begin_table(o, "interfaces", "interfaces", heads);
	for (i = 0; i < v.nifs; i++)
		print_iface(o, &v.ifs[i]);
	ft_out_end_table(o);

	ft_out_begin_table(o, "handoff_per_interface",
			   "XDP->tc hand-off per interface (since attached or repaired)", hheads);
	for (i = 0; i < v.nifs; i++)
		if (v.ifs[i].has_hoff)
			print_iface_handoff(o, &v.ifs[i]);
	ft_out_end_table(o);

	snprintf(title, sizeof(title), "counters (summed over %d CPUs)", s.ncpu);
	ft_out_begin_fields(o, "counters", title);
	for (i = 0; i < FT_CNT_MAX; i++)
		ft_out_u64(o, ft_counter_names[i].key, ft_counter_names[i].label, cnt[i]);
	ft_out_end_fields(o);
	if (cnt[FT_CNT_FRAG_MISS])
		ft_out_warn(o, "%llu later IP fragments arrived before their first fragment "
			    "(reordered, or the first was lost): classified without ports, "
			    "so port rules missed them",
			    (unsigned long long)cnt[FT_CNT_FRAG_MISS]);
	if (cnt[FT_CNT_VLAN_RECLASS])
		ft_out_warn(o, "tc reclassified %llu packets whose VLAN tag was offloaded "
			    "(invisible to XDP); the policy matches on vlan",
			    (unsigned long long)cnt[FT_CNT_VLAN_RECLASS]);

	print_handoff(o, cnt);
	if (v.ds != FT_DAEMON_RUNNING)
		ret = EXIT_STATUS_NOT_RUNNING;
	else
		ret = v.state == FT_LIVE_OK ? EXIT_STATUS_OK : EXIT_STATUS_BAD;
out:
	ret = finish_output(o, ret);
	view_free(&v);
	ft_stats_close(&s);
	return ret;
}

/* ---- stats ------------------------------------------------------------ */

struct class_row {
	struct ft_class_info info;
	struct ft_pktcnt cnt;
};

struct rule_row {
	struct ft_rule_info info;
	struct ft_pktcnt cnt;
};

struct snapshot {
	struct ft_state st;
	struct ft_policy_hdr h;
	struct class_row *classes;
	struct rule_row *rules;
	uint32_t nclasses, nrules;
};

static void snapshot_free(struct snapshot *sn)
{
	free(sn->classes);
	free(sn->rules);
	memset(sn, 0, sizeof(*sn));
}

/* Read the active slot's classes and rules with their counters. */
static int snapshot_read(struct ft_stats *s, struct snapshot *sn)
{
	uint32_t i;
	int err;

	err = ft_stats_state(s, &sn->st);
	if (err)
		return err;
	if (!sn->st.generation)
		return -ENODATA;
	err = ft_stats_policy(s, sn->st.slot & 1, &sn->h);
	if (err)
		return err;
	sn->nclasses = sn->h.nclasses < FT_MAX_CLASSES ? sn->h.nclasses : FT_MAX_CLASSES;
	sn->nrules = sn->h.nrules < FT_MAX_RULES ? sn->h.nrules : FT_MAX_RULES;
	sn->classes = calloc(sn->nclasses ? sn->nclasses : 1, sizeof(*sn->classes));
	sn->rules = calloc(sn->nrules ? sn->nrules : 1, sizeof(*sn->rules));
	if (!sn->classes || !sn->rules)
		return -ENOMEM;
	for (i = 0; i < sn->nclasses; i++) {
		err = ft_stats_class(s, sn->st.slot & 1, i, &sn->classes[i].info,
				     &sn->classes[i].cnt);
		if (err)
			return err;
	}
	for (i = 0; i < sn->nrules; i++) {
		err = ft_stats_rule(s, sn->st.slot & 1, i, &sn->rules[i].info, &sn->rules[i].cnt);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A reload may flip the slot while we read: then the numbers mix two
 * policies. Read again until the generation is the same before and after.
 */
static int snapshot_take(struct ft_stats *s, struct snapshot *sn)
{
	struct ft_state after;
	int tries, err = 0;

	for (tries = 0; tries < 5; tries++) {
		snapshot_free(sn);
		err = snapshot_read(s, sn);
		if (err)
			return err;
		err = ft_stats_state(s, &after);
		if (err)
			return err;
		if (after.generation == sn->st.generation)
			return 0;
	}
	return -EAGAIN;
}

static const char *class_name(const struct snapshot *sn, uint32_t id)
{
	return id < sn->nclasses ? sn->classes[id].info.name : NULL;
}

static void print_stats(struct ft_out *o, const struct snapshot *sn,
			const struct ft_daemon_info *info)
{
	static const char *const cheads[] = { "id", "class", "mark", "priority", "dscp",
					      "packets", "bytes", NULL };
	static const char *const rheads[] = { "rule", "line", "action", "class", "packets",
					      "bytes", NULL };
	const struct flowtag_meta *dm = &sn->h.dflt.meta;
	bool have_info = info && info->generation == sn->st.generation;
	char when[80];
	uint32_t i;

	ft_out_u64(o, "generation", NULL, sn->st.generation);
	ft_out_u64(o, "slot", NULL, sn->st.slot & 1);
	ft_out_value(o, "loaded", NULL,
		     have_info && info->loaded ? json_object_new_uint64(info->loaded) : NULL,
		     NULL, false);
	ft_out_str(o, "policy", NULL, have_info && info->policy[0] ? info->policy : NULL);
	if (have_info && info->loaded)
		ft_out_text(o, "counters since generation %u loaded at %s%s%s", sn->st.generation,
			    fmt_time(info->loaded, when, sizeof(when)),
			    info->policy[0] ? " from " : "", info->policy);
	else
		ft_out_text(o, "counters since generation %u was loaded", sn->st.generation);

	ft_out_begin_table(o, "classes", "classes", cheads);
	for (i = 0; i < sn->nclasses; i++) {
		const struct class_row *r = &sn->classes[i];

		ft_out_begin_row(o);
		ft_out_u64(o, "id", "id", i);
		ft_out_str(o, "name", "class", r->info.name);
		ft_out_hex(o, "mark", "mark", r->info.mark);
		out_prio(o, "priority", "priority", r->info.flags & FT_META_F_PRIO,
			 r->info.priority);
		out_dscp(o, "dscp", "dscp", r->info.flags & FT_META_F_DSCP, (int)r->info.dscp);
		ft_out_u64(o, "packets", "packets", r->cnt.packets);
		ft_out_u64(o, "bytes", "bytes", r->cnt.bytes);
		ft_out_end_row(o);
	}
	ft_out_end_table(o);

	ft_out_begin_table(o, "rules", "rules", rheads);
	for (i = 0; i < sn->nrules; i++) {
		const struct rule_row *r = &sn->rules[i];

		ft_out_begin_row(o);
		ft_out_u64(o, "index", "rule", i);
		ft_out_u64(o, "line", "line", r->info.line);
		ft_out_str(o, "action", "action", ft_action_name(r->info.action));
		ft_out_str(o, "class", "class",
			   r->info.action == FT_ACT_CLASS ? class_name(sn, r->info.class_id) :
							    NULL);
		ft_out_u64(o, "packets", "packets", r->cnt.packets);
		ft_out_u64(o, "bytes", "bytes", r->cnt.bytes);
		ft_out_end_row(o);
	}
	ft_out_end_table(o);

	if (!(dm->flags & FT_META_F_NOTAG) && dm->class_id < sn->nclasses) {
		ft_out_str(o, "default_class", NULL, class_name(sn, dm->class_id));
		ft_out_text(o, "no rule matched: default class %s", class_name(sn, dm->class_id));
	} else {
		ft_out_str(o, "default_class", NULL, NULL);
		ft_out_text(o, "no rule matched: untagged (no default_class)");
	}
}

static int cmd_stats(const struct ctl *c, int argc, char **argv)
{
	struct snapshot sn = { 0 };
	struct ft_daemon_info info;
	struct ft_stats s;
	struct ft_out *o = NULL;
	bool have_info;
	int err, ret = EXIT_FAIL;

	(void)argv;
	if (argc)
		return usage_error("stats takes no arguments");
	if (open_pins(c, &s, false))
		return EXIT_FAIL;
	err = snapshot_take(&s, &sn);
	if (err == -ENODATA) {
		pr_err("no policy loaded yet");
		goto out;
	} else if (err == -EAGAIN) {
		pr_err("the policy kept changing while reading the counters; try again");
		goto out;
	} else if (err) {
		pr_err("cannot read the counters: %s", strerror(-err));
		goto out;
	}
	/* only for the load time and the file name */
	have_info = !ft_stats_info(&s, &info);

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	print_stats(o, &sn, have_info ? &info : NULL);
	ret = EXIT_OK;
out:
	ret = finish_output(o, ret);
	snapshot_free(&sn);
	ft_stats_close(&s);
	return ret;
}

/* ---- check ------------------------------------------------------------ */

/*
 * check must not depend on the host: every distinct iif name gets its own
 * made-up ifindex, as if every interface the policy names existed. That is
 * also the case that needs the most classifier resources, so a policy that
 * compiles here fits wherever it runs.
 */
static void assign_fake_ifindexes(struct ft_policy *pol)
{
	uint32_t next = 1;
	size_t r, i, r2, i2;

	for (r = 0; r < pol->nrules; r++) {
		struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++) {
			m->iif_index[i] = 0;
			/* the same name earlier gets the same index */
			for (r2 = 0; r2 <= r && !m->iif_index[i]; r2++) {
				const struct ft_match *m2 = &pol->rules[r2].match;
				size_t end = r2 == r ? i : m2->niif;

				for (i2 = 0; i2 < end; i2++)
					if (!strcmp(m2->iif[i2], m->iif[i])) {
						m->iif_index[i] = m2->iif_index[i2];
						break;
					}
			}
			if (!m->iif_index[i])
				m->iif_index[i] = next++;
		}
	}
}

static size_t distinct_iifs(const struct ft_policy *pol)
{
	uint32_t max = 0;
	size_t r, i;

	for (r = 0; r < pol->nrules; r++)
		for (i = 0; i < pol->rules[r].match.niif; i++)
			if (pol->rules[r].match.iif_index[i] > max)
				max = pol->rules[r].match.iif_index[i];
	return max;
}

/* Why ft_compile() refused a valid policy, as a diagnostic line. */
static void compile_error(const struct ft_policy *pol, int err, char *buf, size_t len)
{
	const char *file = pol->file ? pol->file : "policy";

	if (err != -E2BIG)
		snprintf(buf, len, "%s: error: cannot compile the policy: %s", file,
			 strerror(-err));
	else if (pol->nrules > FT_MAX_RULES)
		snprintf(buf, len, "%s: error: too many rules (%zu; at most %d)", file,
			 pol->nrules, FT_MAX_RULES);
	else if (pol->nclasses > FT_MAX_CLASSES)
		snprintf(buf, len, "%s: error: too many classes (%zu; at most %d)", file,
			 pol->nclasses, FT_MAX_CLASSES);
	else if (distinct_iifs(pol) > FT_MAX_IFACES)
		snprintf(buf, len, "%s: error: rules name too many interfaces in iif (%zu; at "
			 "most %d)", file, distinct_iifs(pol), FT_MAX_IFACES);
	else
		snprintf(buf, len, "%s: error: the rules need more than %u distinct rule "
			 "bitmaps: split large port or prefix lists across fewer rules", file,
			 FT_MAX_BITMAPS);
}

/* Append string @s to JSON array @arr; failures are left to the output's error. */
static void json_array_add_str(struct json_object *arr, const char *s)
{
	struct json_object *js = json_object_new_string(s);

	if (js && json_object_array_add(arr, js))
		json_object_put(js);
}

/* Does diagnostic @line report an error (else a warning)? */
static bool diag_is_error(const char *line)
{
	const char *e = strstr(line, ": error: "), *w = strstr(line, ": warning: ");

	return e && (!w || e < w);
}

static int cmd_check(const struct ctl *c, int argc, char **argv)
{
	const char *path = argc ? argv[0] : c->config ? c->config : FT_DEFAULT_CONFIG;
	struct ft_policy pol = { 0 };
	struct ft_compiled comp = { 0 };
	struct ft_diag diag = { 0 };
	struct json_object *errs = NULL, *warns = NULL;
	struct ft_out *o = NULL;
	char cerr[512] = "", *text = NULL, *line, *save = NULL;
	bool parsed, valid;
	int err, nerr, ret = EXIT_FAIL;

	if (argc > 1)
		return usage_error("check takes one policy file");
	err = ft_config_load_flags(path, c->config_flags, &pol, &diag);
	parsed = !err;
	if (parsed) {
		assign_fake_ifindexes(&pol);
		err = ft_compile(&pol, &comp);
		if (err)
			compile_error(&pol, err, cerr, sizeof(cerr));
	}
	valid = !err;
	nerr = diag.nerrors + (cerr[0] ? 1 : 0);
	if (!valid && !nerr)
		nerr = 1;	/* refused without a message: count it anyway */

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	if (c->json) {
		errs = json_object_new_array();
		warns = json_object_new_array();
		if (!errs || !warns) {
			pr_err("out of memory");
			goto out;
		}
	}
	if (diag.text) {
		text = strdup(diag.text);
		if (!text) {
			pr_err("out of memory");
			goto out;
		}
	}
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		ft_out_text(o, "%s", line);
		if (c->json)
			json_array_add_str(diag_is_error(line) ? errs : warns, line);
	}
	if (cerr[0]) {
		ft_out_text(o, "%s", cerr);
		if (c->json)
			json_array_add_str(errs, cerr);
	}

	ft_out_str(o, "file", NULL, path);
	ft_out_bool(o, "valid", NULL, valid, "yes", "no");
	ft_out_value(o, "errors", NULL, errs, NULL, false);
	ft_out_value(o, "warnings", NULL, warns, NULL, false);
	errs = warns = NULL;
	ft_out_value(o, "rules", NULL, parsed ? json_object_new_uint64(pol.nrules) : NULL, NULL,
		     true);
	ft_out_value(o, "classes", NULL, parsed ? json_object_new_uint64(pol.nclasses) : NULL,
		     NULL, true);
	ft_out_value(o, "bitmaps", NULL, valid ? json_object_new_uint64(comp.nbitmaps) : NULL,
		     NULL, true);
	if (valid)
		ft_out_text(o, "%s: valid: %zu rule%s, %zu class%s, %zu rule bitmap%s%s", path,
			    pol.nrules, pol.nrules == 1 ? "" : "s", pol.nclasses,
			    pol.nclasses == 1 ? "" : "es", comp.nbitmaps,
			    comp.nbitmaps == 1 ? "" : "s",
			    diag.nwarnings ? " (see the warnings above)" : "");
	else
		ft_out_text(o, "%s: invalid: %d error%s, %d warning%s", path, nerr,
			    nerr == 1 ? "" : "s", diag.nwarnings, diag.nwarnings == 1 ? "" : "s");
	ret = valid ? EXIT_OK : EXIT_FAIL;
out:
	ret = finish_output(o, ret);
	json_object_put(errs);
	json_object_put(warns);
	free(text);
	ft_compiled_free(&comp);
	ft_policy_free(&pol);
	ft_diag_free(&diag);
	return ret;
}

/* ---- explain ---------------------------------------------------------- */

/* The packet as given on the command line. */
struct pkt_args {
	struct ft_pkt_desc d;
	char iif[IF_NAMESIZE];
	bool have_src, have_dst, have_sport, have_dport, have_dscp, have_flags;
	unsigned int given;	/* bit per key, against duplicates */
};

static bool proto_has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE;
}

static int parse_num(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_addr(const char *s, struct pkt_args *p, uint8_t *addr)
{
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, s, addr) != 1)
		return usage_error("explain: '%s' is not an IPv4 or IPv6 address", s);
	if (p->d.family && p->d.family != family)
		return usage_error("explain: '%s' is not of the packet's address family", s);
	p->d.family = family;
	return 0;
}

/* tcp-flags of a packet: "syn,ack", "none", or a number. */
static int parse_pkt_flags(const char *s, int *out)
{
	char err[160];
	uint8_t val, mask;
	long v;

	if (!strcasecmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (!parse_num(s, 255, &v)) {
		*out = (int)v;
		return 0;
	}
	if (strchr(s, '/'))
		return usage_error("explain: tcp-flags of a packet are the flags set, no '/'");
	if (ft_parse_tcp_flags(s, &val, &mask, err, sizeof(err)))
		return usage_error("explain: %s", err);
	*out = val;
	return 0;
}

enum pkt_key { K_IIF, K_VLAN, K_FAMILY, K_SRC, K_DST, K_PROTO, K_SPORT, K_DPORT, K_DSCP, K_FLAGS };

static const struct {
	const char *name;
	enum pkt_key key;
} pkt_keys[] = {
	{ "iif", K_IIF }, { "vlan", K_VLAN }, { "family", K_FAMILY }, { "src", K_SRC },
	{ "dst", K_DST }, { "proto", K_PROTO }, { "sport", K_SPORT }, { "dport", K_DPORT },
	{ "dscp", K_DSCP }, { "tcp-flags", K_FLAGS }, { "tcp_flags", K_FLAGS },
	{ "flags", K_FLAGS },
};

static int parse_pkt_kv(struct pkt_args *p, enum pkt_key k, const char *key, const char *val)
{
	char err[160];
	long n;

	switch (k) {
	case K_IIF:
		if (!*val || strlen(val) >= sizeof(p->iif))
			return usage_error("explain: bad interface name '%s'", val);
		snprintf(p->iif, sizeof(p->iif), "%s", val);
		return 0;
	case K_VLAN:
		if (parse_num(val, 4095, &n))
			return usage_error("explain: vlan must be 0..4095, not '%s'", val);
		p->d.vlan = (int)n;
		return 0;
	case K_FAMILY: {
		int f = !strcasecmp(val, "ipv4") || !strcmp(val, "inet") || !strcmp(val, "4") ?
				AF_INET :
			!strcasecmp(val, "ipv6") || !strcmp(val, "inet6") || !strcmp(val, "6") ?
				AF_INET6 :
				0;

		if (!f)
			return usage_error("explain: family is ipv4 or ipv6, not '%s'", val);
		if (p->d.family && p->d.family != f)
			return usage_error("explain: family %s contradicts the addresses", val);
		p->d.family = f;
		return 0;
	}
	case K_SRC:
		p->have_src = true;
		return parse_addr(val, p, p->d.src);
	case K_DST:
		p->have_dst = true;
		return parse_addr(val, p, p->d.dst);
	case K_PROTO:
		if (ft_parse_proto(val, &p->d.proto, err, sizeof(err)))
			return usage_error("explain: %s", err);
		return 0;
	case K_SPORT:
	case K_DPORT:
		if (parse_num(val, 65535, &n))
			return usage_error("explain: %s must be a port 0..65535, not '%s'", key, val);
		if (k == K_SPORT) {
			p->d.sport = (int)n;
			p->have_sport = true;
		} else {
			p->d.dport = (int)n;
			p->have_dport = true;
		}
		return 0;
	case K_DSCP:
		if (ft_parse_dscp(val, &p->d.dscp, err, sizeof(err)))
			return usage_error("explain: %s", err);
		p->have_dscp = true;
		return 0;
	case K_FLAGS:
		p->have_flags = true;
		return parse_pkt_flags(val, &p->d.tcp_flags);
	}
	return usage_error("explain: unknown key '%s'", key);
}

/* KEY VALUE... into @p; a usage error (exit code) when they make no packet. */
static int parse_pkt(int argc, char **argv, struct pkt_args *p)
{
	bool ip;
	int i, err;
	size_t k;

	memset(p, 0, sizeof(*p));
	p->d.vlan = -1;
	p->d.proto = p->d.sport = p->d.dport = p->d.dscp = p->d.tcp_flags = -1;
	if (!argc)
		return usage_error("explain needs a packet: KEY VALUE... (e.g. proto tcp dport 22)");
	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < ARRAY_SIZE(pkt_keys) && strcasecmp(argv[i], pkt_keys[k].name); k++)
			;
		if (k == ARRAY_SIZE(pkt_keys))
			return usage_error("explain: unknown key '%s' (keys: iif vlan family src "
					   "dst proto sport dport dscp tcp-flags)", argv[i]);
		if (i + 1 >= argc)
			return usage_error("explain: %s needs a value", argv[i]);
		if (p->given & (1u << pkt_keys[k].key))
			return usage_error("explain: %s given twice", argv[i]);
		p->given |= 1u << pkt_keys[k].key;
		err = parse_pkt_kv(p, pkt_keys[k].key, argv[i], argv[i + 1]);
		if (err)
			return err;
	}

	ip = p->d.family || p->d.proto >= 0 || p->have_sport || p->have_dport || p->have_dscp ||
	     p->have_flags;
	if (!ip)
		return 0;	/* a non-IP frame: only iif and vlan matter */
	if (!p->d.family)
		return usage_error("explain: give src, dst or family, so the packet is IPv4 or IPv6");
	if (p->d.proto < 0)
		return usage_error("explain: an IP packet needs proto (e.g. proto tcp)");
	if ((p->have_sport || p->have_dport) && !proto_has_ports(p->d.proto))
		return usage_error("explain: only tcp, udp, sctp and udplite packets have ports");
	if (p->have_flags && p->d.proto != IPPROTO_TCP)
		return usage_error("explain: only tcp packets have tcp-flags");
	/* what the classifier would read from a real packet: absent means 0 */
	if (proto_has_ports(p->d.proto)) {
		p->d.sport = p->have_sport ? p->d.sport : 0;
		p->d.dport = p->have_dport ? p->d.dport : 0;
	}
	if (p->d.proto == IPPROTO_TCP && !p->have_flags)
		p->d.tcp_flags = 0;
	if (!p->have_dscp)
		p->d.dscp = 0;
	return 0;
}

/* The flow key the BPF parser builds for the packet @d. */
static void pkt_key(const struct ft_pkt_desc *d, struct ft_flow_key *k)
{
	size_t alen = d->family == AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->ifindex = d->ifindex;
	k->vlan = d->vlan < 0 ? FT_VLAN_NONE : (uint16_t)d->vlan;
	if (!d->family)
		return;
	k->family = d->family == AF_INET ? FT_FAM_IPV4 : FT_FAM_IPV6;
	memcpy(k->src, d->src, alen);
	memcpy(k->dst, d->dst, alen);
	k->dscp = (uint8_t)d->dscp;
	if (d->proto >= 0) {
		k->proto = (uint8_t)d->proto;
		k->l4 |= FT_L4_PROTO;
	}
	if (d->sport >= 0) {
		k->sport = (uint16_t)d->sport;
		k->dport = (uint16_t)d->dport;
		k->l4 |= FT_L4_PORTS;
	}
	if (d->tcp_flags >= 0) {
		k->tcp_flags = (uint8_t)d->tcp_flags;
		k->l4 |= FT_L4_TCPFL;
	}
}

static void flags_text(int flags, char *buf, size_t len)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh", "ack", "urg", "ece",
					     "cwr" };
	size_t n = 0;
	int b;

	buf[0] = '\0';
	for (b = 0; b < 8; b++)
		if (flags & (1 << b))
			append(buf, len, &n, "%s%s", n ? "," : "", names[b]);
	if (!n)
		snprintf(buf, len, "none");
}

/* The packet, both as one line of text and as a JSON object. */
static void print_packet(struct ft_out *o, const struct pkt_args *p)
{
	const struct ft_pkt_desc *d = &p->d;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "", fl[48], line[512];
	const char *pname = d->proto >= 0 ? ft_proto_name(d->proto) : NULL;
	char pnum[8];
	size_t n = 0;

	if (d->family) {
		const char *dname = ft_dscp_name(d->dscp);

		inet_ntop(d->family, d->src, src, sizeof(src));
		inet_ntop(d->family, d->dst, dst, sizeof(dst));
		if (!pname) {
			snprintf(pnum, sizeof(pnum), "%d", d->proto);
			pname = pnum;
		}
		append(line, sizeof(line), &n, "%s %s %s%s", d->family == AF_INET ? "ipv4" : "ipv6",
		       pname, src, p->have_src ? "" : " (src not given)");
		if (d->sport >= 0)
			append(line, sizeof(line), &n, " port %d", d->sport);
		append(line, sizeof(line), &n, " -> %s%s", dst,
		       p->have_dst ? "" : " (dst not given)");
		if (d->dport >= 0)
			append(line, sizeof(line), &n, " port %d", d->dport);
		if (dname)
			append(line, sizeof(line), &n, ", dscp %s", dname);
		else
			append(line, sizeof(line), &n, ", dscp %d", d->dscp);
		if (d->tcp_flags >= 0) {
			flags_text(d->tcp_flags, fl, sizeof(fl));
			append(line, sizeof(line), &n, ", tcp-flags %s", fl);
		}
	} else {
		append(line, sizeof(line), &n, "not IP");
	}
	if (p->iif[0])
		append(line, sizeof(line), &n, ", iif %s (ifindex %u)", p->iif, d->ifindex);
	if (d->vlan >= 0)
		append(line, sizeof(line), &n, ", vlan %d", d->vlan);

	ft_out_str(o, NULL, "packet", line);
	ft_out_begin_fields(o, "packet", NULL);
	ft_out_str(o, "family", NULL, d->family == AF_INET ? "ipv4" :
				       d->family == AF_INET6 ? "ipv6" : NULL);
	ft_out_str(o, "src", NULL, d->family ? src : NULL);
	ft_out_str(o, "dst", NULL, d->family ? dst : NULL);
	ft_out_value(o, "proto", NULL, d->proto >= 0 ? json_object_new_int(d->proto) : NULL,
		     NULL, true);
	ft_out_value(o, "sport", NULL, d->sport >= 0 ? json_object_new_int(d->sport) : NULL,
		     NULL, true);
	ft_out_value(o, "dport", NULL, d->dport >= 0 ? json_object_new_int(d->dport) : NULL,
		     NULL, true);
	ft_out_value(o, "dscp", NULL, d->dscp >= 0 ? json_object_new_int(d->dscp) : NULL, NULL,
		     true);
	ft_out_value(o, "tcp_flags", NULL,
		     d->tcp_flags >= 0 ? json_object_new_int(d->tcp_flags) : NULL, NULL, true);
	ft_out_str(o, "iif", NULL, p->iif[0] ? p->iif : NULL);
	ft_out_value(o, "ifindex", NULL, p->iif[0] ? json_object_new_uint64(d->ifindex) : NULL,
		     NULL, true);
	ft_out_value(o, "vlan", NULL, d->vlan >= 0 ? json_object_new_int(d->vlan) : NULL, NULL,
		     true);
	ft_out_end_fields(o);
}

/* The daemon's policy file, if flowtagd is there to say. */
static bool running_policy(const struct ctl *c, struct ft_daemon_info *info)
{
	struct ft_stats s;
	bool ok = false;

	if (ft_stats_open(&s, c->pin_dir))
		return false;
	ok = !ft_stats_info(&s, info) && info->policy[0];
	ft_stats_close(&s);
	return ok;
}

static void print_verdict(struct ft_out *o, const struct ft_policy *pol,
			  const struct ft_compiled *comp, uint32_t rule)
{
	const struct ft_verdict *v = rule < comp->nrules ? &comp->rules[rule] : &comp->hdr.dflt;
	const struct flowtag_meta *m = &v->meta;
	bool tagged = v->action == FT_ACT_CLASS && !(m->flags & FT_META_F_NOTAG);
	const char *cls = tagged && m->class_id < pol->nclasses ? pol->classes[m->class_id].name :
								   NULL;
	char where[PATH_MAX + 32] = "", text[PATH_MAX + 64], act[96], mark[48];

	if (rule < comp->nrules) {
		snprintf(where, sizeof(where), "%s:%d", pol->file, pol->rules[rule].line);
		snprintf(text, sizeof(text), "%u (%s)", rule, where);
	} else {
		snprintf(text, sizeof(text), "none matched");
	}
	ft_out_value(o, "rule", "rule", rule < comp->nrules ? json_object_new_uint64(rule) : NULL,
		     text, false);
	ft_out_str(o, "location", NULL, rule < comp->nrules ? where : NULL);

	if (v->action == FT_ACT_DROP)
		snprintf(act, sizeof(act), "drop (XDP_DROP; TC_ACT_SHOT in the tc fallback)");
	else if (!tagged)
		snprintf(act, sizeof(act), rule < comp->nrules ? "pass (leave untagged)" :
								 "untagged (no default_class)");
	else
		snprintf(act, sizeof(act), "%sclass %s", rule < comp->nrules ? "" : "default ",
			 cls ? cls : "?");
	ft_out_str(o, "action", NULL, ft_action_name(v->action));
	ft_out_bool(o, "default", NULL, rule >= comp->nrules, "yes", "no");
	ft_out_str(o, "class", NULL, cls);
	ft_out_str(o, NULL, "verdict", act);

	snprintf(mark, sizeof(mark), "0x%x (mark_mask 0x%x)", m->mark, comp->hdr.mark_mask);
	ft_out_value(o, "mark", "mark", tagged ? json_object_new_uint64(m->mark) : NULL,
		     tagged ? mark : NULL, false);
	ft_out_value(o, "mark_mask", NULL, json_object_new_uint64(comp->hdr.mark_mask), NULL,
		     false);
	out_prio(o, "priority", "priority", tagged && (m->flags & FT_META_F_PRIO), m->priority);
	out_dscp(o, "dscp_rewrite", "dscp rewrite", tagged && (m->flags & FT_META_F_DSCP),
		 m->dscp);
}

static int cmd_explain(const struct ctl *c, int argc, char **argv)
{
	struct ft_policy pol = { 0 };
	struct ft_compiled comp = { 0 };
	struct ft_diag diag = { 0 };
	struct ft_daemon_info info;
	struct pkt_args p;
	struct ft_flow_key k;
	struct ft_out *o = NULL;
	const char *path = c->config;
	bool from_daemon = false, agree;
	uint32_t compiled, reference;
	char text[96];
	int err, ref, ret = EXIT_FAIL;

	err = parse_pkt(argc, argv, &p);
	if (err)
		return err;
	if (!path) {
		from_daemon = running_policy(c, &info);
		path = from_daemon ? info.policy : FT_DEFAULT_CONFIG;
	}
	err = ft_config_load_flags(path, c->config_flags, &pol, &diag);
	if (err) {
		pr_err("policy %s is not valid:\n%s", path, diag.text ? diag.text : "");
		goto out;
	}

	/* resolve names as flowtagd does when it loads the policy */
	ft_resolve_iifs(&pol);
	if (p.iif[0])
		p.d.ifindex = if_nametoindex(p.iif);
	err = ft_compile(&pol, &comp);
	if (err) {
		char msg[512];

		compile_error(&pol, err, msg, sizeof(msg));
		pr_err("%s", msg);
		goto out;
	}

	pkt_key(&p.d, &k);
	ref = ft_policy_eval(&pol, &p.d);
	reference = ref < 0 ? FT_RULE_NONE : (uint32_t)ref;
	compiled = ft_compiled_match(&comp, &k);
	agree = compiled == reference;

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	print_packet(o, &p);
	if (p.iif[0] && !p.d.ifindex)
		ft_out_warn(o, "no interface %s on this host: rules naming it cannot match here",
			    p.iif);
	ft_out_str(o, "policy", "policy", path);
	if (from_daemon) {
		struct stat sb;

		if (!stat(path, &sb) && (uint64_t)sb.st_mtime > info.loaded)
			ft_out_warn(o, "%s changed after flowtagd loaded it: the running policy "
				    "may differ (flowtagctl reload)", path);
	}
	print_verdict(o, &pol, &comp, agree ? compiled : reference);

	if (agree)
		snprintf(text, sizeof(text), "agrees with the reference evaluator");
	else
		snprintf(text, sizeof(text), "MISMATCH: compiled rule %d, reference rule %d",
			 compiled == FT_RULE_NONE ? -1 : (int)compiled, ref);
	ft_out_value(o, "compiled_rule", NULL,
		     compiled == FT_RULE_NONE ? NULL : json_object_new_uint64(compiled), NULL,
		     true);
	ft_out_value(o, "reference_rule", NULL, ref < 0 ? NULL : json_object_new_int(ref), NULL,
		     true);
	ft_out_bool(o, "agree", NULL, agree, "yes", "no");
	ft_out_str(o, NULL, "compiled search", text);
	if (!agree) {
		pr_err("BUG: the compiled bit-vector search chose rule %d, the reference "
		       "evaluator rule %d for this packet. The data path would not do what the "
		       "policy says. Please report it with the policy file and this command "
		       "line.", compiled == FT_RULE_NONE ? -1 : (int)compiled, ref);
		goto out;
	}
	ret = EXIT_OK;
out:
	ret = finish_output(o, ret);
	ft_compiled_free(&comp);
	ft_policy_free(&pol);
	ft_diag_free(&diag);
	return ret;
}

/* ---- reload ----------------------------------------------------------- */

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
static int reload_wait(struct ft_stats *s, const struct ft_daemon_info *before,
		       struct ft_daemon_info *after, enum reload_result *res)
{
	const struct timespec tick = { .tv_nsec = RELOAD_POLL_MS * 1000000L };
	uint64_t deadline = now_ms() + RELOAD_TIMEOUT_MS;
	char comm[32];
	int err;

	for (;;) {
		err = ft_stats_info(s, after);
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

static int cmd_reload(const struct ctl *c, int argc, char **argv)
{
	struct ft_daemon_info before, after;
	struct view v = { 0 };
	enum reload_result res;
	uint32_t i;
	struct ft_stats s;
	struct ft_out *o = NULL;
	char comm[32];
	int err, ret = EXIT_FAIL;

	(void)argv;
	if (argc)
		return usage_error("reload takes no arguments");
	err = open_pins(c, &s, true);
	if (err == -ENOENT) {
		pr_err("no daemon running (no maps under %s)", c->pin_dir);
		return EXIT_FAIL;
	}
	if (err)
		return EXIT_FAIL;
	err = ft_stats_info(&s, &before);
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
	err = reload_wait(&s, &before, &after, &res);
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
		err = view_read(&s, &v);
		if (err)
			goto out;
		if (v.st.generation != after.generation) {
			view_reason(&v, FT_LIVE_DOWN, "the data path runs generation %u, not %u",
				    v.st.generation, after.generation);
			res = RL_INCOMPLETE;
		}
		if (v.health.nmissing)
			res = RL_INCOMPLETE;
		for (i = 0; i < v.nifs; i++)
			if (v.ifs[i].lv.state == FT_LIVE_DOWN || !v.ifs[i].lv.xdp.ours)
				res = RL_INCOMPLETE;
	}
	ft_out_str(o, "result", NULL, reload_names[res]);
	ft_out_u64(o, "pid", NULL, before.pid);
	ft_out_u64(o, "generation_before", NULL, before.generation);
	ft_out_u64(o, "generation", NULL, after.generation);
	if (res == RL_RELOADED || res == RL_INCOMPLETE) {
		struct json_object *arr = ft_out_is_json(o) ? json_object_new_array() : NULL;

		for (i = 0; arr && i < v.nreasons; i++)
			json_object_array_add(arr, json_object_new_string(v.reasons[i]));
		ft_out_value(o, "problems", NULL, arr, NULL, false);
	}
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
			    "daemon log", before.pid, RELOAD_TIMEOUT_MS / 1000);
		break;
	}
out:
	ret = finish_output(o, ret);
	view_free(&v);
	ft_stats_close(&s);
	return ret;
}

/* ---- main ------------------------------------------------------------- */

static const struct cmd {
	const char *name;
	int (*fn)(const struct ctl *c, int argc, char **argv);
} cmds[] = {
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "check", cmd_check },
	{ "explain", cmd_explain },
	{ "reload", cmd_reload },
};

/* The command @name names: exact, or an unambiguous prefix ("stat" is not). */
static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *found = NULL;
	size_t i, len = strlen(name);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
		if (len && !strncmp(cmds[i].name, name, len)) {
			if (found)
				return NULL;
			found = &cmds[i];
		}
	}
	return found;
}

enum { OPT_PIN_DIR = 256, OPT_INSECURE };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "config", required_argument, NULL, 'c' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "allow-insecure-files", no_argument, NULL, OPT_INSECURE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options, before or after the command: "+" stops at the first non-option
 * so the command name ends the global options. Returns -1 to go on, else
 * the exit code.
 */
static int parse_opts(struct ctl *c, int argc, char **argv, bool global)
{
	int opt;

	optind = 0;	/* glibc: full reinitialisation for the second pass */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, global ? "+:jpc:vhV" : ":jpc:vhV", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'p':
			c->json = c->pretty = true;
			break;
		case 'c':
			c->config = optarg;
			break;
		case OPT_PIN_DIR:
			if (!*optarg)
				return usage_error("--pin-dir needs a directory");
			c->pin_dir = optarg;
			break;
		case OPT_INSECURE:
			c->config_flags |= FT_CONFIG_INSECURE_FILES;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			help();
			return EXIT_OK;
		case 'V':
			printf("%s %s\n", prog, FLOWTAG_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctl c = { .pin_dir = FT_PIN_DIR };
	const struct cmd *cmd;
	int ret, cargc;
	char **cargv;

	ret = parse_opts(&c, argc, argv, true);
	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return usage_error("no command (status, stats, check, explain, reload)");
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return usage_error("unknown or ambiguous command '%s' (status, stats, check, "
				   "explain, reload)", argv[optind]);

	/* the command's own arguments: options may follow the command too */
	cargc = argc - optind;
	cargv = argv + optind;
	ret = parse_opts(&c, cargc, cargv, false);
	if (ret >= 0)
		return ret;
	ft_log_init(prog, FT_LOG_STDERR, c.verbose);
	return cmd->fn(&c, cargc - optind, cargv + optind);
}
