/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtagd's side of the dynamic sets (dynset.h has the operations): make
 * the pinned sets what a policy declares and put them where the programs
 * look; collect expired elements.
 */
#ifndef FLOWTAG_DYNSET_SYNC_H
#define FLOWTAG_DYNSET_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "compile.h"

/**
 * ft_dynsets_install() - for every dynamic set of the compiled policy @c:
 * open its pins under @pin_dir, or create them with the set's initial
 * prefixes, or give them a new size (elements kept; when they do not fit,
 * the old size stays, with a warning); install its tries at its id in
 * @outer4/@outer6 (ft_dset4_o, ft_dset6_o). @pin_dir NULL or "": private
 * sets holding only the initial prefixes (tests). Runtime elements are
 * never touched. @dp: the ft_dynpol value for the slot @c goes into.
 * Return: 0 or -errno (logged).
 */
int ft_dynsets_install(const char *pin_dir, int outer4, int outer6, const struct ft_compiled *c,
		       struct ft_dynpol *dp);

/* A pinned dynamic set's parameters, as a policy gave them. */
struct ft_dynset_params {
	char name[FT_SET_NAME_LEN];
	uint32_t size;			/* elements per family */
	uint64_t timeout;		/* s, for new elements; 0 never */
};

/**
 * ft_dynsets_params_read() - the pinned sets under @pin_dir and their
 * parameters, into a malloc'ed @out (free it) of *@n entries: what a
 * takeover start records before its policy changes them.
 * Return: 0 (no sets: *@n 0) or -errno.
 */
int ft_dynsets_params_read(const char *pin_dir, struct ft_dynset_params **out, size_t *n);

/**
 * ft_dynsets_params_restore() - the pinned sets back as @p (@n entries)
 * had them, after a rollback or an undone takeover start: each one's
 * timeout for new
 * elements and its size (elements copied into tries of that size, which
 * go into @outer4/@outer6 at its id); with @remove_others, a set @p does
 * not name (the undone start made it) is removed, else left to the next
 * reload's prune (a rollback). Runtime elements stay.
 */
void ft_dynsets_params_restore(const char *pin_dir, int outer4, int outer6,
			       const struct ft_dynset_params *p, size_t n, bool remove_others);

/**
 * ft_dynsets_prune() - remove the pinned sets that neither the policy @c
 * declares as dynamic nor the policy in the other slot names (@keep: its
 * ft_dynpol, NULL for none), with a warning that says how many elements
 * go. Called after the swap: no active rule names them, and the policy a
 * rollback or an undone start returns to (the other slot) still finds its
 * sets, runtime elements and all; they go with the swap after.
 */
void ft_dynsets_prune(const char *pin_dir, int outer4, int outer6, const struct ft_compiled *c,
		      const struct ft_dynpol *keep);

/**
 * ft_dynsets_gc() - delete the expired elements of every pinned set (the
 * programs already treat them as absent). @collected: how many.
 * Return: 0 or -errno.
 */
int ft_dynsets_gc(const char *pin_dir, size_t *collected);

#endif /* FLOWTAG_DYNSET_SYNC_H */
