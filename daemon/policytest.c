// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A policy's own tests against its compiled form: see policytest.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policytest.h"

void ft_verdict_describe(const struct ft_policy *pol, uint32_t rule, const char *here, char *buf,
			 size_t len)
{
	const struct ft_rule *r = rule < pol->nrules ? &pol->rules[rule] : NULL;
	char who[FT_NAME_LEN + PATH_MAX + 64], ref[PATH_MAX + 32];

	if (!r) {
		if (pol->default_class >= 0)
			snprintf(buf, len, "class %s (no rule matched: default_class)",
				 pol->classes[pol->default_class].name);
		else
			snprintf(buf, len, "pass (no rule matched and no default_class: untagged)");
		return;
	}
	ft_policy_ref(pol, here, r->src_file, r->line, ref, sizeof(ref));
	if (r->name[0])
		snprintf(who, sizeof(who), "rule %u '%s', %s", rule, r->name, ref);
	else
		snprintf(who, sizeof(who), "rule %u, %s", rule, ref);
	if (r->action == FT_ACT_CLASS && r->class_idx >= 0)
		snprintf(buf, len, "class %s (%s)", pol->classes[r->class_idx].name, who);
	else
		snprintf(buf, len, "%s (%s)", r->action == FT_ACT_DROP ? "drop" : "pass", who);
}

/* What @t expects, in words. */
static void expect_describe(const struct ft_policy *pol, const struct ft_policy_test *t,
			    char *buf, size_t len)
{
	const char *what = t->expect == FT_EXPECT_CLASS ? pol->classes[t->class_idx].name :
			   t->expect == FT_EXPECT_DROP	? "drop" :
			   t->expect == FT_EXPECT_PASS	? "pass" :
							  "default (no rule matches)";
	char rule[FT_NAME_LEN + 32] = "";

	if (t->rule >= 0)
		snprintf(rule, sizeof(rule), " by rule '%s'", pol->rules[t->rule].name);
	snprintf(buf, len, "%s%s%s", t->expect == FT_EXPECT_CLASS ? "class " : "", what, rule);
}

/* Whether verdict @v of rule @rule is what @t expects. */
static bool test_holds(const struct ft_policy_test *t, const struct ft_verdict *v, uint32_t rule)
{
	bool tagged = v->action == FT_ACT_CLASS && !(v->meta.flags & FT_META_F_NOTAG);
	bool ok;

	switch (t->expect) {
	case FT_EXPECT_CLASS:
		ok = tagged && v->meta.class_id == (uint16_t)t->class_idx;
		break;
	case FT_EXPECT_DROP:
		ok = v->action == FT_ACT_DROP;
		break;
	case FT_EXPECT_PASS:
		ok = !tagged && v->action != FT_ACT_DROP;
		break;
	default:
		ok = rule == FT_RULE_NONE;
	}
	return ok && (t->rule < 0 || rule == (uint32_t)t->rule);
}

/* Run test @t with its packet on @ifindex. Return: true when it passed. */
static bool run_one(const struct ft_policy *pol, const struct ft_compiled *comp,
		    const struct ft_policy_test *t, uint32_t ifindex, struct ft_diag *diag)
{
	struct ft_pkt_desc d = t->pkt;
	struct ft_flow_key k;
	char want[128], got[FT_NAME_LEN * 2 + PATH_MAX + 96];
	uint32_t compiled, reference;
	int ref;

	d.ifindex = ifindex;
	ft_pkt_flow_key(&d, &k);
	compiled = ft_compiled_match(comp, &k);
	ref = ft_reference_match(pol, &d);
	reference = ref < 0 ? FT_RULE_NONE : (uint32_t)ref;
	if (compiled != reference) {
		ft_diag_add(diag, t->file, t->line, true,
			    "test packet \"%s\": the compiled search chose rule %d, the reference "
			    "evaluator rule %d: the data path would not do what the policy says "
			    "(a flowtag bug: please report it with this policy)", t->packet,
			    compiled == FT_RULE_NONE ? -1 : (int)compiled, ref);
		return false;
	}
	if (test_holds(t, compiled < comp->nrules ? &comp->rules[compiled] :
						    &comp->hdr.default_verdict, compiled))
		return true;
	expect_describe(pol, t, want, sizeof(want));
	ft_verdict_describe(pol, compiled, t->file, got, sizeof(got));
	ft_diag_add(diag, t->file, t->line, true, "test failed: packet \"%s\" expected %s, got %s",
		    t->packet, want, got);
	return false;
}

int ft_policy_tests_run(const struct ft_policy *pol, const struct ft_compiled *comp,
			struct ft_diag *diag)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < pol->ntests; i++)
		if (!pol->tests[i].iif[0] && pol->tests[i].packet &&
		    !run_one(pol, comp, &pol->tests[i], 0, diag))
			failed++;
	return failed ? -EINVAL : 0;
}

/* Add @name to the @n names of @u (room for it is there) unless present; its index + 1. */
static uint32_t universe_add(struct ft_ifname *u, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(u[i].name, name))
			return u[i].ifindex;
	snprintf(u[*n].name, sizeof(u[*n].name), "%s", name);
	u[*n].ifindex = (uint32_t)*n + 1;
	return u[(*n)++].ifindex;
}

int ft_policy_tests_iif(struct ft_policy *pol, struct ft_diag *diag)
{
	struct ft_compiled comp = { 0 };
	struct ft_ifname *u = NULL;
	uint32_t *ifindex = NULL;
	size_t cap = 0, n = 0, r, i;
	int err = 0, failed = 0;

	for (i = 0; i < pol->ntests; i++)
		if (pol->tests[i].iif[0])
			break;
	if (i == pol->ntests)
		return 0;

	/* every interface the rules name exactly, and every test's */
	for (r = 0; r < pol->nrules; r++)
		cap += pol->rules[r].match.niif_spec;
	cap += pol->ntests;
	u = calloc(cap, sizeof(*u));
	ifindex = calloc(pol->ntests, sizeof(*ifindex));
	if (!u || !ifindex) {
		err = -ENOMEM;
		goto out;
	}
	for (r = 0; r < pol->nrules; r++)
		for (i = 0; i < pol->rules[r].match.niif_spec; i++)
			if (!ft_ifname_is_pattern(pol->rules[r].match.iif_spec[i]))
				universe_add(u, &n, pol->rules[r].match.iif_spec[i]);
	for (i = 0; i < pol->ntests; i++)
		if (pol->tests[i].iif[0])
			ifindex[i] = universe_add(u, &n, pol->tests[i].iif);

	err = ft_policy_bind_iifs(pol, u, n);
	if (!err)
		err = ft_compile(pol, &comp);
	if (err)
		goto unbind;
	for (i = 0; i < pol->ntests; i++)
		if (pol->tests[i].iif[0] && pol->tests[i].packet &&
		    !run_one(pol, &comp, &pol->tests[i], ifindex[i], diag))
			failed++;
	ft_compiled_free(&comp);
	err = failed ? -EINVAL : 0;
unbind:
	/* names as written, ifindex 0: what the binder of ft_prepare() starts from */
	if (ft_policy_bind_iifs(pol, NULL, 0) && !err)
		err = -ENOMEM;
out:
	free(u);
	free(ifindex);
	return err;
}
