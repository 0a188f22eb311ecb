/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtagd --cleanup, and what stays pinned when flowtagd stops: detach
 * and unpin what a stopped or killed flowtagd left in this network
 * namespace (its records, links, maps, dynamic sets, stray tc filters).
 * Part of flowtagd alone (daemon.h).
 */
#ifndef FLOWTAG_CLEANUP_H
#define FLOWTAG_CLEANUP_H

#include <stdbool.h>

struct daemon;

/**
 * do_cleanup() - flowtagd --cleanup in this network namespace
 * @d: the daemon; d->pin_dir says where the pins are
 *
 * Return: 0 (also when there was nothing to clean up), -EBUSY while a
 * flowtagd runs here, -ENODEV when some recorded interface could not be
 * detached, or another -errno.
 */
int do_cleanup(struct daemon *d);

/**
 * kept_sets() - whether dynamic sets stay pinned in @pin_dir/sets
 * @pin_dir: the pin directory
 *
 * Removes the sets directory when it is empty.
 * Return: true when some set stays pinned.
 */
bool kept_sets(const char *pin_dir);

#endif /* FLOWTAG_CLEANUP_H */
