/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Rules that can never match because earlier rules take every packet they
 * match ("shadowed"), found in the compiled bit-vector tables: every
 * packet falls into one cell per field (an elementary port interval, a
 * trie prefix, a protocol, ...), each cell a bitmap of the rules that
 * accept it, and a packet's rule is the lowest bit of the AND of its
 * cells. A rule is shadowed when no choice of one cell per field keeps it
 * while dropping every earlier rule.
 *
 * A wrong warning is worse than none, so the analysis only ever errs
 * towards silence: cells are combined as if every field were independent
 * of the others (more packets than exist), a field a truncated packet may
 * lack also counts as absent, and rules whose reach changes at run time
 * are not judged (iif patterns and interfaces not bound now; a search that
 * runs out of its budget judges nothing either).
 */
#ifndef FLOWTAG_SHADOW_H
#define FLOWTAG_SHADOW_H

#include <stdbool.h>

#include "compile.h"
#include "diag.h"
#include "policy.h"

/**
 * ft_shadow_find() - which rules of @pol (compiled as @comp) earlier rules
 * shadow.
 * @shadowed: out, @pol->nrules entries: true for a shadowed rule
 * @cover:    out (may be NULL), @pol->nrules entries: for a shadowed rule,
 *            an earlier rule that alone takes all its packets, or -1 when
 *            only several together do
 * Return: 0 or -ENOMEM.
 */
int ft_shadow_find(const struct ft_policy *pol, const struct ft_compiled *comp, bool *shadowed,
		   int *cover);

/**
 * ft_shadow_warn() - a warning in @diag at each shadowed rule of @pol (not
 * after a rule that matches everything: the parser already says so), and
 * at each class only shadowed rules use.
 * Return: 0 or -ENOMEM.
 */
int ft_shadow_warn(const struct ft_policy *pol, const struct ft_compiled *comp,
		   struct ft_diag *diag);

#endif /* FLOWTAG_SHADOW_H */
