// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * rtnetlink event subscription for self-repair.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "log.h"
#include "monitor.h"

static int on_event(struct nl_msg *msg, void *arg)
{
	struct ft_monitor *m = arg;

	switch (nlmsg_hdr(msg)->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
	case RTM_NEWQDISC:
	case RTM_DELQDISC:
	case RTM_NEWTFILTER:
	case RTM_DELTFILTER:
		m->events++;
		break;
	}
	return NL_OK;
}

int ft_monitor_open(struct ft_monitor *m)
{
	int err;

	m->events = 0;
	m->sk = nl_socket_alloc();
	if (!m->sk)
		return -ENOMEM;
	/* events carry no sequence numbers of ours */
	nl_socket_disable_seq_check(m->sk);
	nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, m);
	err = nl_connect(m->sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_memberships(m->sk, RTNLGRP_LINK, RTNLGRP_TC, 0);
	if (!err)
		err = nl_socket_set_nonblocking(m->sk);
	if (err < 0) {
		pr_err("rtnetlink events: %s", nl_geterror(err));
		ft_monitor_close(m);
		return -EIO;
	}
	return 0;
}

int ft_monitor_fd(const struct ft_monitor *m)
{
	return m->sk ? nl_socket_get_fd(m->sk) : -1;
}

int ft_monitor_drain(struct ft_monitor *m)
{
	int err, n = 0;

	for (;;) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(m->sk), .events = POLLIN };

		/* libnl reports an empty non-blocking socket as 0 or -NLE_AGAIN
		 * depending on the version: ask poll() instead */
		if (poll(&pfd, 1, 0) <= 0)
			return n;
		m->events = 0;
		err = nl_recvmsgs_default(m->sk);
		n += m->events;
		if (err >= 0 || err == -NLE_AGAIN)
			continue;
		/* ENOBUFS (libnl: NLE_NOMEM): events were lost, look at everything */
		if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW)
			return n + 1;
		if (err == -NLE_INTR)
			continue;
		pr_warn("rtnetlink events: %s", nl_geterror(err));
		return n + 1;
	}
}

void ft_monitor_close(struct ft_monitor *m)
{
	if (m->sk)
		nl_socket_free(m->sk);
	m->sk = NULL;
}
