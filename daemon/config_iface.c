// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy's interfaces and their shaping keys, and the shaping
 * checked against the classes (config_parse.h).
 */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cfgtext.h"
#include "config.h"
#include "config_parse.h"
#include "setfile.h"
#include "strparse.h"
#include "textfile.h"

/* ---- interfaces ----------------------------------------------------- */

/* What the kernel's dev_valid_name() refuses, so we fail at --check time. */
static bool valid_ifname(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
			return false;
	return true;
}

/*
 * egress_shaping = { rate = "100mbit"; leaf = "fq_codel"; default_class = "x";
 * replace_root = false; } and ingress_shaping = { rate; leaf; default_class;
 * ifb = "name"; }. default_class is a name here; it is resolved once the
 * classes are known (cfg_check_shaping()), which looks the setting up again.
 * The IFB device of ingress_shaping is "ifb-<iface>" unless named; a name
 * that does not fit IFNAMSIZ is cut to 15 characters, with a warning.
 */
static void parse_shaping(struct cfg_ctx *c, config_setting_t *g, const char *ifname, bool ingress,
			  struct ft_shaping *sh)
{
	static const char *const egress_keys[] = { "rate", "leaf", "default_class",
						   "replace_root", NULL };
	static const char *const ingress_keys[] = { "rate", "leaf", "default_class", "ifb",
						    NULL };
	static const char *const leaves[] = { [FT_LEAF_FQ_CODEL] = "fq_codel",
					      [FT_LEAF_CAKE] = "cake", [FT_LEAF_SFQ] = "sfq",
					      [FT_LEAF_PFIFO] = "pfifo", [FT_LEAF_NONE] = "none" };
	const char *what = ingress ? "ingress_shaping" : "egress_shaping";
	config_setting_t *s;
	const char *v;
	size_t i;

	sh->line = cfg_src_line(c, g);
	sh->src_file = cfg_src_file(c, g);
	sh->default_class = -1;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_wrong_type(c, g, "a group { rate = \"...\"; ... }");
		return;
	}
	cfg_check_keys(c, g, ingress ? ingress_keys : egress_keys, what);
	sh->enabled = true;
	s = config_setting_get_member(g, "rate");
	if (!s)
		err_at(c, g, "%s has no 'rate' (the link's rate, e.g. \"100mbit\")", what);
	else
		cfg_get_rate(c, s, &sh->rate);
	s = config_setting_get_member(g, "leaf");
	if (s && (v = cfg_get_str(c, s))) {
		for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
			if (!strcmp(v, leaves[i]))
				break;
		if (i == sizeof(leaves) / sizeof(leaves[0]))
			err_at(c, s, "bad leaf '%s' (expected \"fq_codel\", \"cake\", \"sfq\", "
			       "\"pfifo\" or \"none\")", v);
		else
			sh->leaf = (enum ft_leaf)i;
	}
	s = config_setting_get_member(g, "replace_root");
	if (s && !ingress) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_wrong_type(c, s, "a boolean (true or false)");
		else
			sh->replace_root = config_setting_get_bool(s);
	}
	if (!ingress)
		return;
	s = config_setting_get_member(g, "ifb");
	if (s) {
		if (!(v = cfg_get_str(c, s)))
			return;
		if (strlen(v) >= FT_IFNAMSIZ)
			err_at(c, s, "ifb name '%s' is longer than %d characters", v,
			       FT_IFNAMSIZ - 1);
		else if (!valid_ifname(v))
			err_at(c, s, "'%s' is not a valid interface name", v);
		else
			strcpy(sh->ifb, v);
	} else if (ifname[0]) {
		if (snprintf(sh->ifb, sizeof(sh->ifb), "ifb-%s", ifname) >= (int)sizeof(sh->ifb))
			warn_at(c, g, "%s: the IFB device's name 'ifb-%s' is longer than %d "
				"characters: it is '%s' (name it with ifb = \"...\")", ifname,
				ifname, FT_IFNAMSIZ - 1, sh->ifb);
	}
}

static void parse_iface(struct cfg_ctx *c, config_setting_t *g, size_t idx)
{
	static const char *const keys[] = { "name", "required", "xdp_mode", "tc_hook",
					    "egress_restore", "egress_shaping", "ingress_shaping",
					    NULL };
	struct ft_iface *ifc = &c->pol->ifaces[idx];
	char ref[CFG_REF_LEN];
	config_setting_t *s;
	const char *v;
	int dup;

	cfg_check_keys(c, g, keys, "interface");
	ifc->line = cfg_src_line(c, g);
	ifc->src_file = cfg_src_file(c, g);

	s = config_setting_get_member(g, "name");
	if (!s) {
		err_at(c, g, "interface has no 'name'");
	} else if ((v = cfg_get_str(c, s))) {
		if (strlen(v) >= FT_IFNAMSIZ) {
			err_at(c, s, "interface name '%s' is longer than %d characters", v,
			       FT_IFNAMSIZ - 1);
		} else if (!valid_ifname(v)) {
			err_at(c, s, "'%s' is not a valid interface name", v);
		} else if ((dup = cfg_find_iface(c->pol, v)) >= 0) {
			err_at(c, s, "duplicate interface '%s' (first listed at %s)", v,
			       cfg_ref(c, s, c->pol->ifaces[dup].src_file, c->pol->ifaces[dup].line,
				       ref, sizeof(ref)));
		} else {
			strcpy(ifc->name, v);
		}
	}

	s = config_setting_get_member(g, "required");
	if (s) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_wrong_type(c, s, "a boolean (true or false)");
		else
			ifc->required = config_setting_get_bool(s);
	}

	s = config_setting_get_member(g, "xdp_mode");
	if (s && (v = cfg_get_str(c, s))) {
		if (!strcmp(v, "native"))
			ifc->xdp_mode = FT_XDP_NATIVE;
		else if (!strcmp(v, "generic"))
			ifc->xdp_mode = FT_XDP_GENERIC;
		else if (!strcmp(v, "auto"))
			ifc->xdp_mode = FT_XDP_AUTO;
		else
			err_at(c, s,
			       "bad xdp_mode '%s' (expected \"native\", \"generic\" or \"auto\")",
			       v);
	}

	s = config_setting_get_member(g, "tc_hook");
	if (s && (v = cfg_get_str(c, s))) {
		if (!strcmp(v, "auto"))
			ifc->tc_hook = FT_TC_HOOK_AUTO;
		else if (!strcmp(v, "tcx"))
			ifc->tc_hook = FT_TC_HOOK_TCX;
		else if (!strcmp(v, "clsact"))
			ifc->tc_hook = FT_TC_HOOK_CLSACT;
		else
			err_at(c, s, "bad tc_hook '%s' (expected \"auto\", \"tcx\" or \"clsact\")",
			       v);
	}

	s = config_setting_get_member(g, "egress_restore");
	if (s) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_wrong_type(c, s, "a boolean (true or false)");
		else
			ifc->egress_restore = config_setting_get_bool(s);
	}

	s = config_setting_get_member(g, "egress_shaping");
	if (s) {
		config_setting_t *r = config_setting_get_member(g, "egress_restore");

		parse_shaping(c, s, ifc->name, false, &ifc->egress_shaping);
		/* HTB picks the class from skb->priority, which IPv4 forwarding
		 * overwrote: egress_restore is implied unless refused */
		if (!r)
			ifc->egress_restore = true;
		else if (config_setting_type(r) == CONFIG_TYPE_BOOL && !ifc->egress_restore)
			warn_at(c, r, "%s: egress_restore = false with egress_shaping: forwarded "
				"IPv4 reaches HTB with the priority forwarding set from the TOS "
				"byte, not its class", ifc->name);
	}
	s = config_setting_get_member(g, "ingress_shaping");
	if (s)
		parse_shaping(c, s, ifc->name, true, &ifc->ingress_shaping);
}

int cfg_parse_interfaces(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *l = config_setting_get_member(root, "interfaces");
	int i, n;

	if (!l) {
		cfg_report(c, c->name, 1, true,
			   "missing 'interfaces': name at least one interface");
		return 0;
	}
	if (!(l = cfg_group_list(c, root, "interfaces")))
		return 0;
	n = config_setting_length(l);
	if (!n) {
		err_at(c, l, "'interfaces' is empty: name at least one interface");
		return 0;
	}
	c->pol->ifaces = calloc((size_t)n, sizeof(*c->pol->ifaces));
	if (!c->pol->ifaces)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned int)i);

		if (!cfg_list_room(c, l, n, i, FT_MAX_IFACES, "interfaces"))
			break;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_wrong_type(c, g, "a list of groups: ( { name = \"eth0\"; }, ... )");
			continue;
		}
		/* count it first: cfg_find_iface() must see the earlier entries */
		c->pol->nifaces = (size_t)i + 1;
		parse_iface(c, g, (size_t)i);
	}
	c->pol->nifaces = (size_t)i;
	return 0;
}


static void check_one_shaping(struct cfg_ctx *c, const struct ft_iface *ifc, config_setting_t *g,
			      const char *what, struct ft_shaping *sh)
{
	struct ft_policy *p = c->pol;
	config_setting_t *s;
	uint64_t sum = 0;
	size_t unrated = 0, k;
	const char *v;
	int ci;

	s = config_setting_get_member(g, "default_class");
	if (s && (v = cfg_get_str(c, s))) {
		ci = cfg_find_class(p, v);
		if (ci < 0)
			err_at(c, s, "%s: unknown default_class '%s'", what, v);
		else if (!p->classes[ci].has_priority || !ft_htb_leaf_id(p->classes[ci].priority))
			err_at(c, s, "%s: default_class '%s' needs a priority "
			       "\"1:X\" (X from 2 to ffff) to be an HTB class", what, v);
		else
			sh->default_class = ci;
	}
	for (k = 0; k < p->nclasses; k++) {
		struct ft_class *cl = &p->classes[k];

		if (!cl->has_priority || !ft_htb_leaf_id(cl->priority)) {
			if (cl->rate || cl->ceil)
				cfg_report(c, ft_policy_file(p, cl->src_file), cl->line, true,
					   "class '%s' has a rate but its priority is not \"1:X\" "
					   "(X from 2 to ffff): HTB on %s only sees classes under "
					   "its root 1:",
					   cl->name, sh->ifb[0] ? sh->ifb : ifc->name);
			continue;
		}
		if (cl->ceil > sh->rate)
			cfg_report(c, ft_policy_file(p, cl->src_file), cl->line, false,
				   "class '%s': ceil is above the %s rate of %s; HTB never lends "
				   "more than the interface rate",
				   cl->name, what, ifc->name);
		if (cl->rate)
			sum += cl->rate;
		else
			unrated++;
	}
	if (sh->rate && sum > sh->rate) {
		char x[32], y[32];

		err_at(c,
		       config_setting_get_member(g, "rate") ? config_setting_get_member(g, "rate") :
							      g,
		       "%s: the classes' guaranteed rates add up to %s, more than the "
		       "interface rate %s",
		       sh->ifb[0] ? sh->ifb : ifc->name, ft_format_rate(sum, x, sizeof(x)),
		       ft_format_rate(sh->rate, y, sizeof(y)));
	} else if (sh->rate && unrated && (sh->rate - sum) / unrated < 1000) {
		err_at(c, g, "%s: the guaranteed rates leave less than 8kbit for each of the "
		       "%zu classes without a rate", sh->ifb[0] ? sh->ifb : ifc->name, unrated);
	}
}

/*
 * ingress_shaping's IFB device: not the name of another interface of the
 * policy or of another IFB, and tc_verdict "continue" (with "ok" flowtag's
 * tc filter stops the hook before the redirect to the IFB runs).
 */
static void check_ifb(struct cfg_ctx *c, size_t i, config_setting_t *g)
{
	const struct ft_policy *p = c->pol;
	const struct ft_shaping *sh = &p->ifaces[i].ingress_shaping;
	config_setting_t *s = config_setting_get_member(g, "ifb");
	char ref[CFG_REF_LEN];
	size_t k;
	int other;

	if (!s)
		s = g;
	if (ft_ifname_is_pattern(p->ifaces[i].name))
		err_at(c, g, "ingress_shaping: '%s' is a pattern, and one IFB device cannot "
		       "shape several interfaces: name each interface", p->ifaces[i].name);
	if (p->tc_ok)
		err_at(c, g, "ingress_shaping needs tc_verdict \"continue\": with \"ok\" "
		       "flowtag's tc filter ends the ingress hook before the redirect to %s",
		       sh->ifb);
	if (!sh->ifb[0])
		return;
	if ((other = cfg_find_iface(p, sh->ifb)) >= 0)
		err_at(c, s,
		       "ingress_shaping: the IFB device '%s' is the policy interface of "
		       "%s",
		       sh->ifb,
		       cfg_ref(c, s, p->ifaces[other].src_file, p->ifaces[other].line, ref,
			       sizeof(ref)));
	for (k = 0; k < i; k++)
		if (p->ifaces[k].ingress_shaping.enabled &&
		    !strcmp(p->ifaces[k].ingress_shaping.ifb, sh->ifb))
			err_at(c, s,
			       "ingress_shaping: IFB device '%s' is %s's too (%s): name "
			       "one of them with ifb = \"...\"",
			       sh->ifb, p->ifaces[k].name,
			       cfg_ref(c, s, p->ifaces[k].ingress_shaping.src_file,
				       p->ifaces[k].ingress_shaping.line, ref, sizeof(ref)));
}

/* Cross-checks of egress_shaping and ingress_shaping, once classes are parsed. */
void cfg_check_shaping(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *l = config_setting_get_member(root, "interfaces");
	struct ft_policy *p = c->pol;
	bool any = false;
	size_t i, k;

	for (i = 0; i < p->nifaces && l; i++) {
		struct ft_iface *ifc = &p->ifaces[i];
		config_setting_t *e = config_setting_get_elem(l, (unsigned int)i), *g;

		if (ifc->egress_shaping.enabled &&
		    (g = config_setting_get_member(e, "egress_shaping"))) {
			any = true;
			check_one_shaping(c, ifc, g, "egress_shaping", &ifc->egress_shaping);
		}
		if (ifc->ingress_shaping.enabled &&
		    (g = config_setting_get_member(e, "ingress_shaping"))) {
			any = true;
			check_one_shaping(c, ifc, g, "ingress_shaping", &ifc->ingress_shaping);
			check_ifb(c, i, g);
		}
	}
	if (any)
		return;
	for (k = 0; k < p->nclasses; k++)
		if (p->classes[k].rate || p->classes[k].ceil)
			cfg_report(c, ft_policy_file(p, p->classes[k].src_file), p->classes[k].line,
				   false,
				   "class '%s' has a rate, but no interface has egress_shaping or "
				   "ingress_shaping: it shapes nothing",
				   p->classes[k].name);
}
