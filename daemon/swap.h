/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Installing a compiled policy (compile.h) into the maps of a loaded
 * classifier (loader.h), atomically: packets see the old policy or the new
 * one, never a mix.
 */
#ifndef FLOWTAG_SWAP_H
#define FLOWTAG_SWAP_H

#include <stdint.h>

#include "compile.h"
#include "loader.h"

/**
 * ft_policy_swap() - install a compiled policy atomically.
 *
 * Writes everything into the inactive slot, then flips ft_state, then waits
 * (an RCU grace period forced by a map-in-map update) until no program can
 * still be running on the old slot, so the next apply may overwrite it.
 * On failure the active policy is untouched.
 * @generation: out, the generation now active (may be NULL)
 * Returns 0 or -errno.
 */
int ft_policy_swap(struct ft_loader *l, const struct ft_compiled *c, uint32_t *generation);

#endif /* FLOWTAG_SWAP_H */
