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

/**
 * ft_policy_swap_rebind() - ft_policy_swap() for the same policy compiled
 * again (its iif rules bound to the interfaces there now): it prunes no
 * dynamic set. The swap takes the other slot, where the policy a rollback
 * returns to may have been, and with it that policy's sets would go
 * (ft_dynsets_prune()); the next reload prunes them.
 */
int ft_policy_swap_rebind(struct ft_loader *l, const struct ft_compiled *c,
			  uint32_t *generation);

/**
 * ft_policy_flip_back() - make the policy in the inactive slot active
 * again (rollback), as a new generation, with one flip of ft_state.
 *
 * The inactive slot still holds the previous policy when nothing was
 * swapped in since: its header's generation is @expect. That header gets
 * the next generation number (flow-cache entries of both earlier
 * generations are then stale: generation numbers never repeat), then
 * ft_state flips to it, then, as ft_policy_swap(), an RCU grace period.
 * The slot's counters continue where they stopped.
 * @expect:     generation the inactive slot must hold
 * @generation: out, the generation now active
 * Returns 0; -ESTALE when the inactive slot holds something else (the
 * caller compiles the previous policy again and swaps it in); or -errno,
 * the active policy then untouched.
 */
int ft_policy_flip_back(struct ft_loader *l, uint32_t expect, uint32_t *generation);

#endif /* FLOWTAG_SWAP_H */
