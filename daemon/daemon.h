/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtagd's own state, private to the daemon: struct daemon and the
 * helpers of flowtagd.c that its parts (confirm.c: reload --confirm,
 * confirm, rollback; cleanup.c: --cleanup and what stays pinned) share.
 * Linked into flowtagd alone, never into libflowtag.a or flowtagctl.
 */
#ifndef FLOWTAG_DAEMON_H
#define FLOWTAG_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowtag/maps.h"

#include "ifaces.h"
#include "loader.h"
#include "monitor.h"
#include "policy.h"
#include "repair.h"
#include "verify.h"

struct daemon {
	const char *config_path;
	unsigned int config_flags;		/* FT_CONFIG_*: --allow-insecure-files */
	const char *pin_dir;
	const char *metrics_path;		/* --metrics: a .prom file, or NULL */
	int metrics_interval;			/* seconds between writes */
	bool metrics_failing;			/* last write failed (logged once) */
	bool private_bpffs;			/* pin_dir dies with this process (ip netns exec) */
	struct ft_loader loader;
	struct ft_policy pol;			/* the active policy */
	struct ft_ifaces ifs;			/* what is attached, what is absent */
	struct ft_daemon_info info;
	struct ft_health health;		/* published in ft_health */
	struct ft_live_expect expect;		/* ids of our programs */
	struct ft_repair rep;			/* self-repair records */
	struct ft_monitor mon;
	int pidfile_fd;
	/* reload --confirm and rollback (control.h) */
	int ctl_fd;				/* the control socket, -1 without */
	int waiter_fd;				/* reload --confirm still connected, or -1 */
	struct ft_policy prev;			/* the policy before the last reload, */
	bool has_prev;				/* ... kept for rollback */
	uint32_t prev_gen;			/* its generation: the inactive slot holds it */
	uint64_t prev_ino;			/* its file's inode and modification time */
	int64_t prev_mtime;
	uint64_t confirm_at;			/* monotonic ms of the automatic rollback, 0 none */
	struct ft_confirm_info confirm;		/* published in ft_confirm */
	char reload_why[256];			/* why the last reload was rejected */
	bool metrics_due;			/* a reload asked on the control socket
						 * happened: write the metrics now */
};

/**
 * publish_state() - write the daemon's records into the pins (ft_info,
 * ft_ifaces, ft_health, ft_confirm, ...) for flowtagctl
 * @d: the daemon
 */
void publish_state(struct daemon *d);

/**
 * read_records() - the interface records a previous flowtagd left in the pins
 * @d:   the daemon, its loader open on the pins
 * @rec: out, FT_MAX_IFACES records
 *
 * Return: the number of records read, 0 when there are none.
 */
size_t read_records(struct daemon *d, struct ft_iface_info *rec);

/**
 * running_daemon() - another flowtagd still alive on these pins?
 * @d: the daemon, its loader open on the pins
 *
 * Return: its pid, or 0 when none (or it is this process).
 */
pid_t running_daemon(struct daemon *d);

/**
 * sync_ifaces() - ft_ifaces_sync(), with its findings published in ft_health
 * @d:      the daemon
 * @pol:    the policy whose interfaces are attached
 * @rec:    interface records of a previous flowtagd, or NULL
 * @nrec:   their number
 * @update: replace attachments that exist already
 *
 * Return: 0, or -errno as ft_ifaces_sync() (some interface not attached).
 */
int sync_ifaces(struct daemon *d, const struct ft_policy *pol,
		const struct ft_iface_info *rec, size_t nrec, bool update);

/**
 * sync_shaping() - egress shaping of every attached interface as @pol says
 * @d:   the daemon; d->pol is still the policy before
 * @pol: the policy about to become active
 *
 * Return: 0, or the first -errno of ft_ifaces_shape().
 */
int sync_shaping(struct daemon *d, const struct ft_policy *pol);

/**
 * do_reload() - reload the policy file (SIGHUP, flowtagctl reload,
 * reload --confirm)
 * @d:         the daemon
 * @source:    who asked, for the log ("SIGHUP: reloading FILE")
 * @confirm_s: > 0: seconds until the automatic rollback unless confirmed
 *
 * Return: 0, -EBUSY while a reload --confirm waits, or -errno of a policy
 * rejected (the running one stays; d->reload_why says why).
 */
int do_reload(struct daemon *d, const char *source, int confirm_s);

/**
 * rebind_iifs() - bind the rules' iif names and patterns again; a new
 * generation when an ifindex changed
 * @d: the daemon
 */
void rebind_iifs(struct daemon *d);

#endif /* FLOWTAG_DAEMON_H */
