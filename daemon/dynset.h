/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Dynamic prefix sets ("runtime sets", flowtag/maps.h): the pinned tries
 * under PIN_DIR/sets/NAME/ and the operations flowtagd and flowtagctl set
 * do on them. Every writer holds the lock of PIN_DIR/sets (ft_dynset_lock())
 * while it changes a set and publishes the change (ft_dynset_publish()).
 */
#ifndef FLOWTAG_DYNSET_H
#define FLOWTAG_DYNSET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtag/maps.h"
#include "policy.h"

#define FT_DYNSET_DEFAULT_TIMEOUT	UINT64_MAX	/* ft_dynset_add(): the set's timeout */

/* An open dynamic set. */
struct ft_dynset {
	int v4, v6, info;		/* map fds; -1 when closed (info: -1 when unpinned) */
	struct ft_set_info inf;		/* as read or to be written */
};

/** ft_dynset_dir() - PIN_DIR/sets (or PIN_DIR/sets/NAME when @name), into @buf. */
int ft_dynset_dir(const char *pin_dir, const char *name, char *buf, size_t len);

/**
 * ft_dynset_lock() - take the writers' lock (flock on PIN_DIR/sets, which
 * is created when missing if @create). Return: the fd to pass to
 * ft_dynset_unlock(), -ENOENT (no sets, and not @create), or -errno.
 */
int ft_dynset_lock(const char *pin_dir, bool create);

/** ft_dynset_unlock() - release the lock taken by ft_dynset_lock(). */
void ft_dynset_unlock(int fd);

/**
 * ft_dynset_open() - open the pinned set @name.
 * Return: 0, -ENOENT when no such set is pinned, or another -errno.
 */
int ft_dynset_open(const char *pin_dir, const char *name, struct ft_dynset *s);

/**
 * ft_dynset_create() - create the tries (@size elements each) and the
 * info of a new set, pinned under PIN_DIR/sets/NAME/ (@pin_dir NULL:
 * unpinned, for the tests). Return: 0 or -errno.
 */
int ft_dynset_create(const char *pin_dir, const char *name, uint32_t id, uint32_t size,
		     uint64_t timeout, struct ft_dynset *s);

/**
 * ft_dynset_pin() - pin the tries of @s (and its info, created when @s has
 * none) under PIN_DIR/sets/NAME/, replacing pins of that name.
 * Return: 0 or -errno (nothing pinned then).
 */
int ft_dynset_pin(const char *pin_dir, struct ft_dynset *s);

/** ft_dynset_close() - close the fds of @s; safe twice. */
void ft_dynset_close(struct ft_dynset *s);

/** ft_dynset_save_info() - write s->inf back to the info map (no-op unpinned). */
int ft_dynset_save_info(struct ft_dynset *s);

/**
 * ft_dynset_remove() - unpin the set @name (its tries die with their last
 * user). Return: 0 or -errno.
 */
int ft_dynset_remove(const char *pin_dir, const char *name);

/**
 * ft_dynset_list() - names of the pinned sets, malloc'ed (free it).
 * Return: 0 (none: *@n 0) or -errno.
 */
int ft_dynset_list(const char *pin_dir, char (**names)[FT_SET_NAME_LEN], size_t *n);

/** ft_boot_ns() - CLOCK_BOOTTIME in ns, the clock of bpf_ktime_get_boot_ns(). */
uint64_t ft_boot_ns(void);

/**
 * ft_dynset_add() - add (or refresh) @n prefixes. @timeout in seconds,
 * 0 = never, FT_DYNSET_DEFAULT_TIMEOUT = the set's. A batch update where
 * the kernel has one for LPM tries, else one call per prefix.
 * @added: new elements (an existing one gets the new timeout, not counted)
 * Return: 0, -ENOSPC when the set is full (the prefixes before the one that
 * did not fit are in), or another -errno.
 */
int ft_dynset_add(struct ft_dynset *s, const struct ft_prefix *p, size_t n, uint64_t timeout,
		  size_t *added);

/**
 * ft_dynset_del() - delete @n prefixes (exact prefixes, as added).
 * @deleted, @missing: how many were there, how many not.
 * Return: 0 or -errno.
 */
int ft_dynset_del(struct ft_dynset *s, const struct ft_prefix *p, size_t n, size_t *deleted,
		  size_t *missing);

/* One element, as ft_dynset_walk() shows it. */
struct ft_dynset_elem {
	struct ft_prefix pfx;
	uint64_t expires;		/* CLOCK_BOOTTIME ns, 0 = never */
};

/**
 * ft_dynset_walk() - every element (expired ones too) to @cb, IPv4 first;
 * a non-zero return of @cb stops the walk and is returned.
 */
int ft_dynset_walk(struct ft_dynset *s, int (*cb)(const struct ft_dynset_elem *e, void *arg),
		   void *arg);

/**
 * ft_dynset_lookup() - whether @s holds an element containing the address
 * @addr (family @family: AF_INET or AF_INET6, network byte order) that has
 * not expired at @now (CLOCK_BOOTTIME ns), as the classifier decides it
 * (ft_dset_has() in xdp/dynset.h): the longest match; an expired one is
 * skipped by looking again one bit shorter, FT_DSET_TRIES (flowtag/maps.h)
 * lookups at most.
 * @found: the element that holds it (may be NULL)
 * Return: 1 (held), 0 (not held) or -errno (a lookup failed).
 */
int ft_dynset_lookup(struct ft_dynset *s, int family, const uint8_t *addr, uint64_t now,
		     struct ft_dynset_elem *found);

/**
 * ft_dynset_flush() - delete every element. @n: how many. Return: 0 or -errno.
 */
int ft_dynset_flush(struct ft_dynset *s, size_t *n);

/**
 * ft_dynset_gc() - delete the elements expired at @now (CLOCK_BOOTTIME ns).
 * @n: how many. Return: 0 or -errno.
 */
int ft_dynset_gc(struct ft_dynset *s, uint64_t now, size_t *n);

/**
 * ft_dynset_copy() - copy every live element of @from into @to (a
 * resize); expired ones stay behind, as the collector would delete them.
 * Sets to->inf.elements to the elements copied and to->inf.next_expiry
 * to the earliest expiry among them (0: none has a timeout).
 * Return: 0, -ENOSPC when they do not fit, or -errno.
 */
int ft_dynset_copy(struct ft_dynset *from, struct ft_dynset *to);

/**
 * ft_dynset_publish() - make a change of @s visible to every later packet:
 * wait for an RCU grace period (re-install s's tries in the pinned
 * ft_dset4_o/ft_dset6_o of @pin_dir), then increment the pinned
 * ft_set_epoch (the flow cache entries computed before are misses from
 * then on; xdp/classify.h, ft_decide(), says why this order). Clears the
 * flow cache every 2^15 changes (entries keep 16 bits of the epoch). Without a pinned data
 * path (flowtagd stopped) there is nothing to publish: returns 0.
 * Return: 0 or -errno.
 */
int ft_dynset_publish(const char *pin_dir, struct ft_dynset *s);

/**
 * ft_dynset_counters() - lookups and hits of set @id summed over the CPUs,
 * from the pinned ft_set_cnt of @pin_dir (flowtagd's data path).
 * Return: 0, -ENOENT without a pinned data path, or -errno.
 */
int ft_dynset_counters(const char *pin_dir, uint32_t id, struct ft_set_cnt *out);

#endif /* FLOWTAG_DYNSET_H */
