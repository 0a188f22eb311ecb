/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtagctl's insides, shared by its commands: the options every command
 * sees, the command table entry each ctl_<command>.c defines, opening the
 * pins, and the small printers several commands use. Linked into
 * flowtagctl only.
 */
#ifndef FLOWTAG_CTL_H
#define FLOWTAG_CTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "output.h"
#include "policy.h"
#include "prepare.h"
#include "pinned.h"
#include "verify.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_ROLLED_BACK = 3,	/* reload --confirm: no confirm came, flowtagd rolled back */
};

/* flowtagctl status: for monitoring (Nagios-style checks) */
enum {
	EXIT_STATUS_OK = 0,		/* state ok */
	EXIT_STATUS_BAD = 1,		/* state degraded or down */
	EXIT_STATUS_NOT_RUNNING = 2,	/* no flowtagd (or it died) */
};

/* How long reload waits for flowtagd's answer by default, seconds:
 * plain, and with --confirm (which attaches and shapes before answering) */
#define CTL_RELOAD_TIMEOUT_S		10
#define CTL_RELOAD_CONFIRM_TIMEOUT_S	60
#define CTL_RELOAD_TIMEOUT_MAX_S	3600

/* The global options. */
struct ctl {
	bool json;
	bool pretty;
	int verbose;
	const char *pin_dir;
	bool pin_dir_given;		/* --pin-dir on the command line: no other pins are read */
	const char *config;	/* -c FILE */
	unsigned int config_flags;	/* FT_CONFIG_*: --allow-insecure-files */
	bool live;		/* explain --live: ask the running programs too */
	int confirm;		/* reload --confirm SECONDS, 0 without */
	bool no_wait;		/* reload --confirm: return once applied */
	int timeout;		/* reload --timeout SECONDS, 0: the default */
	const char *file;	/* -f FILE: set add/del's prefixes */
};

/* One command, as bpftool's cmd_select() table has them. */
struct ctl_cmd {
	const char *name;
	const char *args;	/* after the name in the usage line: "[FILE]", or "" */
	const char *summary;	/* one line for the command list */
	/* more help (may be NULL): after the options in --help, and in COMMAND --help */
	void (*help)(FILE *f, const char *prog);
	/* Return: the exit code */
	int (*run)(const struct ctl *c, int argc, char **argv);
};

extern const struct ctl_cmd ctl_status, ctl_stats, ctl_check, ctl_explain, ctl_reload,
	ctl_diff, ctl_confirm, ctl_rollback, ctl_set;

/**
 * ctl_reload_confirm() - flowtagctl reload --confirm SECONDS (ctl_confirm.c):
 * ask flowtagd to reload and, unless --no-wait, wait for the outcome.
 * Return: EXIT_OK (confirmed, or applied with --no-wait), EXIT_ROLLED_BACK,
 * or EXIT_FAIL (rejected, no daemon, ...).
 */
int ctl_reload_confirm(const struct ctl *c);

/**
 * ctl_connect_daemon() - connect to the control socket of this network
 * namespace's flowtagd and send @req (control.h), saying why not in the
 * user's terms (@what: the command, "reload --confirm").
 * @pid: the flowtagd the caller means (from the pins it read), 0 for this
 *       network namespace's whichever: the socket is named by the network
 *       namespace, the pins by --pin-dir, and another namespace's daemon
 *       may own the pins (nsenter --net=... flowtagd --pin-dir ...); its
 *       peer credentials (SO_PEERCRED) must then name @pid
 * Return: the connected fd, or -errno (logged; -ESRCH: another flowtagd).
 */
int ctl_connect_daemon(const char *req, const char *what, uint32_t pid);

/**
 * ctl_split_word() - split a control answer "WORD REST" in place.
 * Return: REST ("" if none); @line is WORD alone.
 */
char *ctl_split_word(char *line);

/** ctl_prog - the program name in messages ("flowtagctl"). */
extern const char *const ctl_prog;

/**
 * ctl_usage_error() - "flowtagctl: MESSAGE" and a pointer to --help on
 * stderr. Return: EXIT_USAGE.
 */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * ctl_finish_output() - flush and free @o (NULL allowed); a write error
 * fails a command that succeeded. In JSON the document gets "exit_code"
 * @ret and, when @ret is not EXIT_OK, "error": one set with
 * ft_out_error(), else the usage error or the first error logged.
 * Return: @ret, or EXIT_FAIL.
 */
int ctl_finish_output(struct ft_out *o, int ret);

/**
 * ctl_json_exit() - the one JSON object of -j for a command that ends
 * without having printed one (it failed before it had a document: no
 * daemon, a usage error, an error answer of flowtagd): {"error": why,
 * "exit_code": @ret}. Nothing without -j, after a document, or for
 * --help and --version (@ran false, @ret EXIT_OK).
 * @ran: a command ran
 * Return: @ret.
 */
int ctl_json_exit(const struct ctl *c, int ret, bool ran);

/* ---- the pins ---- */

/* The pinned maps, and where they were found. */
struct ctl_pins {
	struct ft_pinned maps;
	char path[PATH_MAX];	/* c->pin_dir, or /proc/PID/root/DIR */
	pid_t via_pid;		/* the flowtagd whose mount namespace we read through, or 0 */
};

/**
 * ctl_open_pins() - open the pinned maps, explaining failure in the
 * user's terms. When nothing is pinned at c->pin_dir, look for the
 * flowtagd of this network namespace and read its pins through
 * /proc/PID/root (`ip netns exec` gives each process a private bpffs).
 * @quiet_enoent: say nothing when there is simply no daemon
 * Return: 0, -ENOENT without a daemon, or another -errno (logged).
 */
int ctl_open_pins(const struct ctl *c, struct ctl_pins *p, bool quiet_enoent);

/** ctl_close_pins() - close what ctl_open_pins() opened; safe on a zeroed @p. */
void ctl_close_pins(struct ctl_pins *p);

/** ctl_daemon_state_name() - "stopped", "running", "stale". */
const char *ctl_daemon_state_name(enum ft_daemon_state ds);

/* ---- printing ---- */

/** ctl_format_time() - "2025-06-01 12:00:00 (3h 12m ago)", or "-" for 0. */
char *ctl_format_time(uint64_t t, char *buf, size_t len);

/** ctl_out_time() - unix seconds @t (0: none): a number in JSON, local time in text. */
void ctl_out_time(struct ft_out *o, const char *key, const char *label, uint64_t t);

/** ctl_out_priority() - a priority in tc notation, or nothing without @has. */
void ctl_out_priority(struct ft_out *o, const char *key, const char *label, bool has,
		      uint32_t priority);

/** ctl_out_dscp() - a DSCP by name (else number), or nothing without @has. */
void ctl_out_dscp(struct ft_out *o, const char *key, const char *label, bool has, int dscp);

/** ctl_append() - snprintf at *@n into @buf, never past its end. */
void ctl_append(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * ctl_prepare_host() - ft_prepare() of @path as flowtagd would load it
 * here (interface names bound on this host, its tests run), saying why
 * when it is refused.
 * Return: 0, or the -errno of ft_prepare() (logged). Free @p either way.
 */
int ctl_prepare_host(const struct ctl *c, const char *path, struct ft_prepared *p);

/**
 * ctl_out_sets() - the table of the dynamic sets pinned under @pin_dir
 * (size, timeout, elements, lookups, hits, changes); nothing without
 * sets. In ctl_set.c, for set and stats.
 */
void ctl_out_sets(struct ft_out *o, const char *pin_dir);

/* ---- the state status and reload judge (ctl_view.c) ---- */

/* What status learned about one recorded interface. */
struct ctl_iface_view {
	struct ft_iface_info rec;	/* as flowtagd recorded it */
	struct ft_iface_health ih;	/* its repair record (zero without ft_ifhealth) */
	struct ft_iface_shaping is;	/* why its shaping could not be built (zero:
					 * nothing failed, or no ft_ifshaping) */
	struct ft_hoff hoff;		/* its hand-off counters */
	bool has_hoff;
	struct ft_live lv;		/* the kernel's view, judged */
};

/* Everything status and reload judge, read once. */
struct ctl_view {
	struct ft_daemon_info info;
	struct ft_state st;
	struct ft_health health;	/* zero when the pins predate ft_health */
	enum ft_daemon_state ds;
	struct ctl_iface_view *ifs;
	uint32_t nifs;
	enum ft_live_state state;	/* overall */
	char **reasons;			/* overall reasons, "IFACE: why" */
	size_t nreasons;
};

/**
 * ctl_view_read() - read flowtag's state and check every recorded
 * interface in the kernel, then judge: ok, degraded (tagging, but not as
 * configured) or down (nothing tagged).
 * Return: 0 or -errno (logged). Release @v with ctl_view_free() either way.
 */
int ctl_view_read(struct ctl_pins *p, struct ctl_view *v);

/**
 * ctl_in_force() - whether policy generation @generation is in force on
 * every interface of the policy, asked of the kernel (ctl_view_read()):
 * the data path runs it (or a later generation replaced it since: a note
 * among @v's reasons, the interfaces judged as they are now), no
 * interface is missing, every one carries our XDP program, is not down,
 * and has the shaping the policy asks for. flowtagctl reload and reload
 * --confirm.
 * Return: 0 in force, 1 not (the reasons are in @v), or -errno when the
 * state cannot be read (logged). Release @v with ctl_view_free() either way.
 */
int ctl_in_force(struct ctl_pins *p, uint32_t generation, struct ctl_view *v);

/** ctl_view_reason() - add an overall reason; raises v->state to @st. */
void ctl_view_reason(struct ctl_view *v, enum ft_live_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void ctl_view_free(struct ctl_view *v);

#endif /* FLOWTAG_CTL_H */
