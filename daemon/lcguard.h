/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Containing libconfig 1.5 when memory runs out.
 *
 * Debian 12's libconfig 1.5 does not check its allocations: when one fails
 * it dereferences NULL (in config_init(), in the grammar's actions, in its
 * list code) or its flex scanner calls exit(2) ("out of dynamic memory in
 * yy_scan_bytes()"). Measured: each of the 340 allocations it makes for
 * etc/flowtag.conf, failed in turn, killed the process (337 SIGSEGV, 3
 * exit(2)). flowtag links a copy of libconfig.a in which malloc, calloc,
 * realloc, strdup, free and exit are renamed to the ft_libconfig_*
 * functions below (objcopy --redefine-sym, see the Makefile): they keep
 * account of what libconfig holds, and inside ft_lc_guard_run() a failed
 * allocation (or a call to exit) jumps back out of libconfig, frees what
 * libconfig allocated during the run and returns -ENOMEM (-EPROTO for
 * exit) instead.
 */
#ifndef FLOWTAG_LCGUARD_H
#define FLOWTAG_LCGUARD_H

#include <stddef.h>

/**
 * ft_lc_guard_run() - run @fn(@arg), which calls libconfig, so that
 * libconfig's allocation failures and exit() calls cannot end the process.
 * Everything libconfig allocated during the run stays allocated when @fn
 * returns normally (the config_t owns it; config_destroy() frees it, also
 * outside a run); after a failure it is freed, and @fn's config_t must be
 * treated as zeroed (config_destroy() on it is then a no-op).
 * Not reentrant: @fn must not call ft_lc_guard_run().
 * Returns what @fn returns, -ENOMEM when libconfig ran out of memory,
 * -EPROTO when libconfig called exit().
 */
int ft_lc_guard_run(int (*fn)(void *arg), void *arg);

/* The allocator libconfig is linked against (not for other callers). */
void *ft_libconfig_malloc(size_t n);
void *ft_libconfig_calloc(size_t n, size_t size);
void *ft_libconfig_realloc(void *p, size_t n);
char *ft_libconfig_strdup(const char *s);
void ft_libconfig_free(void *p);
void ft_libconfig_exit(int status) __attribute__((noreturn));

#endif /* FLOWTAG_LCGUARD_H */
