/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Start-time checks of the host flowtagd runs on: whatever could undo or
 * hide what flowtag does is logged as a warning. They change nothing.
 */
#ifndef FLOWTAG_HOSTCHECK_H
#define FLOWTAG_HOSTCHECK_H

#include <stdbool.h>

#include "policy.h"

/**
 * ft_check_forward_priority() - warn when IPv4 forwarding would overwrite
 * the skb->priority set at ingress (net.ipv4.ip_forward_update_priority = 1)
 * while @pol sets priorities and restores none at egress.
 */
void ft_check_forward_priority(const struct ft_policy *pol);

/**
 * ft_check_tc_verdict() - warn, per interface, when @pol says tc_verdict =
 * "ok" and the interface's tc ingress goes to tcx: TCX_PASS skips every
 * clsact filter of the hook, not only those after flowtag's pref.
 */
void ft_check_tc_verdict(const struct ft_policy *pol);

/** ft_log_kernel_features() - which variant of each kernel-dependent feature runs here. */
void ft_log_kernel_features(void);

/**
 * ft_warn_private_bpffs() - warn when @pin_dir lives on a bpffs only
 * flowtagd's mount namespace sees (`ip netns exec`): the pins and pinned
 * XDP links would vanish with flowtagd.
 * Return: true when it does (and the warning was logged).
 */
bool ft_warn_private_bpffs(const char *pin_dir);

#endif /* FLOWTAG_HOSTCHECK_H */
