/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Running a policy's own tests (tests = ( ... ), config_test.c reads them)
 * against the compiled policy: the bit-vector search the data path does
 * (ft_compiled_match()) and the reference evaluator (ft_reference_match())
 * both answer for each packet; a difference between them is an error of
 * its own. A failing test is an error at the test's FILE:LINE, so a policy
 * whose tests fail is refused like one with a syntax error (ft_prepare()).
 *
 * A test whose packet names an iif is host-independent: it runs on a
 * compilation of its own in which every interface the rules and tests
 * name exists, rule patterns ("ppp*") matching those names.
 */
#ifndef FLOWTAG_POLICYTEST_H
#define FLOWTAG_POLICYTEST_H

#include "compile.h"
#include "diag.h"
#include "policy.h"

/**
 * ft_policy_tests_iif() - run the tests of @pol whose packet names an iif.
 * Binds the rules' iif names to made-up interfaces and compiles the policy
 * for that, then leaves every rule's iif unbound again (names as written,
 * ifindex 0): call it before the binder of ft_prepare() runs.
 * Return: 0 when they pass (or there are none), -EINVAL when one failed
 * (the errors in @diag), -E2BIG or -ENOMEM.
 */
int ft_policy_tests_iif(struct ft_policy *pol, struct ft_diag *diag);

/**
 * ft_policy_tests_run() - run the tests of @pol whose packet names no
 * iif against @comp, the compiled @pol (its binding does not matter to
 * them: their packets arrive on an interface no rule names).
 * Return: 0 when they pass, -EINVAL when one failed (the errors in @diag).
 */
int ft_policy_tests_run(const struct ft_policy *pol, const struct ft_compiled *comp,
			struct ft_diag *diag);

/**
 * ft_verdict_describe() - what @rule (FT_RULE_NONE: no rule matched) of
 * @pol does, in words: "class voice (rule 2 'sip', line 14)",
 * "drop (rule 0, rules.inc:9)", "class default (no rule matched:
 * default_class)"; the rule's line is "line N" when it is in the file
 * @here (the one the message is about; NULL: none), "FILE:N" otherwise.
 */
void ft_verdict_describe(const struct ft_policy *pol, uint32_t rule, const char *here, char *buf,
			 size_t len);

#endif /* FLOWTAG_POLICYTEST_H */
