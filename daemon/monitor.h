/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * rtnetlink events that may touch what flowtagd attached: links appearing,
 * vanishing or renamed (RTNLGRP_LINK), qdiscs and filters added or deleted
 * (RTNLGRP_TC). flowtagd does not trust the events' content: an event only
 * says "look again", and the live check (verify.h) decides.
 */
#ifndef FLOWTAG_MONITOR_H
#define FLOWTAG_MONITOR_H

struct nl_sock;

struct ft_monitor {
	struct nl_sock *sk;	/* libnl socket subscribed to the groups above */
	int events;		/* relevant messages seen by the last drain */
};

/**
 * ft_monitor_open() - subscribe to link and tc events, non-blocking.
 * Return: 0 or -errno (libnl's error converted and logged).
 */
int ft_monitor_open(struct ft_monitor *m);

/** ft_monitor_fd() - the socket to poll for POLLIN. */
int ft_monitor_fd(const struct ft_monitor *m);

/**
 * ft_monitor_drain() - read every pending event.
 * Return: the number of link/qdisc/filter events read (a lost-events
 * overrun counts as one: everything must be looked at again), or -errno.
 */
int ft_monitor_drain(struct ft_monitor *m);

/** ft_monitor_close() - unsubscribe; safe on a closed or zeroed @m. */
void ft_monitor_close(struct ft_monitor *m);

#endif /* FLOWTAG_MONITOR_H */
