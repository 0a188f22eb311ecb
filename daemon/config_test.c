// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tests = ( { packet = "..."; expect = "..."; [rule = "NAME";] }, ... ):
 * the policy's own tests, read into struct ft_policy_test. Running them
 * is policytest.c's, after the policy compiled (prepare.c).
 *
 * The packet is flowtagctl explain's KEY VALUE language (pktspec.c).
 * `expect` names a class (a class of that name wins over the words
 * below), "drop", "pass" (left untagged) or "default" (no rule matched);
 * `rule` names the rule that must match.
 */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtext.h"
#include "config_parse.h"
#include "pktspec.h"

/* The file setting @s was written in (the policy or an @include'd one). */
static const char *src_file(const struct cfg_ctx *c, const config_setting_t *s)
{
	const struct ft_src_pos *pos = ft_cfgtext_pos(c->src, (int)config_setting_source_line(s));

	return pos ? c->src->files[pos->file] : c->name;
}

/* Whether flowtag attaches to interface @name: an 'interfaces' entry names it or matches it. */
static bool iif_attached(const struct ft_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nifaces; i++)
		if (p->ifaces[i].name[0] && ft_ifname_match(p->ifaces[i].name, name))
			return true;
	return false;
}

static void parse_packet(struct cfg_ctx *c, config_setting_t *s, struct ft_policy_test *t)
{
	struct ft_pkt_spec spec;
	const char *v = cfg_get_str(c, s);
	char err[256];
	int rc;

	if (!v)
		return;
	rc = ft_pkt_spec_parse_str(v, &spec, err, sizeof(err));
	if (rc == -ENOMEM) {
		c->oom = true;
		return;
	}
	if (rc) {
		err_at(c, s, "test packet \"%s\": %s", v, err);
		return;
	}
	if (spec.iif[0] && (ft_ifname_is_pattern(spec.iif) || !iif_attached(c->pol, spec.iif))) {
		err_at(c, s, "test packet \"%s\": iif '%s' is not an interface listed in "
		       "'interfaces' (nor matched by one of their patterns): flowtag never sees "
		       "its packets", v, spec.iif);
		return;
	}
	t->pkt = spec.d;
	memcpy(t->iif, spec.iif, sizeof(t->iif));
	t->packet = cfg_dup_str(v);
	if (!t->packet)
		c->oom = true;
}

static void parse_expect(struct cfg_ctx *c, config_setting_t *s, struct ft_policy_test *t)
{
	const char *v = cfg_get_str(c, s);

	if (!v)
		return;
	t->class_idx = cfg_find_class(c->pol, v);
	if (t->class_idx >= 0)
		t->expect = FT_EXPECT_CLASS;
	else if (!strcmp(v, "drop"))
		t->expect = FT_EXPECT_DROP;
	else if (!strcmp(v, "pass"))
		t->expect = FT_EXPECT_PASS;
	else if (!strcmp(v, "default"))
		t->expect = FT_EXPECT_DEFAULT;
	else
		err_at(c, s, "test expects '%s', which is no class, nor \"drop\", \"pass\" or "
		       "\"default\"", v);
}

static void parse_rule(struct cfg_ctx *c, config_setting_t *s, struct ft_policy_test *t)
{
	const char *v = cfg_get_str(c, s);
	size_t r;

	if (!v)
		return;
	for (r = 0; r < c->pol->nrules; r++)
		if (c->pol->rules[r].name[0] && !strcmp(c->pol->rules[r].name, v)) {
			t->rule = (int)r;
			return;
		}
	err_at(c, s, "test names rule '%s', but no rule has that name", v);
}

static int parse_test(struct cfg_ctx *c, config_setting_t *g, struct ft_policy_test *t)
{
	static const char *const keys[] = { "packet", "expect", "rule", NULL };
	config_setting_t *ps, *es, *rs;

	t->line = cfg_src_line(c, g);
	t->file = cfg_dup_str(src_file(c, g));
	t->class_idx = -1;
	t->rule = -1;
	if (!t->file)
		return -ENOMEM;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_wrong_type(c, g, "a list of groups: ( { packet = \"...\"; expect = \"...\"; }, ... )");
		return 0;
	}
	cfg_check_keys(c, g, keys, "test");
	ps = config_setting_get_member(g, "packet");
	es = config_setting_get_member(g, "expect");
	rs = config_setting_get_member(g, "rule");
	if (!ps)
		err_at(c, g, "test has no 'packet' (e.g. packet = \"proto udp dport 5060\")");
	else
		parse_packet(c, ps, t);
	if (!es)
		err_at(c, g, "test has no 'expect' (a class, \"drop\", \"pass\" or \"default\")");
	else
		parse_expect(c, es, t);
	if (rs) {
		parse_rule(c, rs, t);
		if (es && t->expect == FT_EXPECT_DEFAULT && t->class_idx < 0)
			err_at(c, rs, "expect = \"default\" says no rule matches: it cannot name "
			       "a rule too");
	}
	return c->oom ? -ENOMEM : 0;
}

int cfg_parse_tests(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *l = cfg_group_list(c, root, "tests");
	int i, n, rc;

	if (!l)
		return 0;
	n = config_setting_length(l);
	if (!n)
		return 0;
	c->pol->tests = calloc((size_t)n, sizeof(*c->pol->tests));
	if (!c->pol->tests)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* count first, so ft_policy_free() sees every test we touch */
		c->pol->ntests = (size_t)i + 1;
		rc = parse_test(c, config_setting_get_elem(l, (unsigned int)i), &c->pol->tests[i]);
		if (rc)
			return rc;
	}
	return 0;
}
