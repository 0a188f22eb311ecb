// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy's rules and their match keys (config_parse.h).
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
#include "fields.h"
#include "setfile.h"
#include "strparse.h"
#include "textfile.h"

/* ---- rules and matches ---------------------------------------------- */

/*
 * Whether iif value @v names interfaces flowtag attaches to: an entry of
 * 'interfaces' as written, a name one of their patterns matches, or a
 * pattern matching one of their names.
 */
static bool iif_listed(const struct ft_policy *p, const char *v)
{
	size_t i;

	if (cfg_find_iface(p, v) >= 0)
		return true;
	for (i = 0; i < p->nifaces; i++) {
		const char *name = p->ifaces[i].name;

		if (!name[0])
			continue;
		if (ft_ifname_is_pattern(name) ?
			    !ft_ifname_is_pattern(v) && ft_ifname_match(name, v) :
			    ft_ifname_match(v, name))
			return true;
	}
	return false;
}

static int parse_iif(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, n = cfg_seq_len(c, s);

	if (n < 0)
		return 0;
	m->iif = calloc((size_t)n, sizeof(*m->iif));
	m->iif_index = calloc((size_t)n, sizeof(*m->iif_index));
	m->iif_spec = calloc((size_t)n, sizeof(*m->iif_spec));
	if (!m->iif || !m->iif_index || !m->iif_spec)
		return -ENOMEM;
	m->niif = (size_t)n;
	m->niif_spec = (size_t)n;
	for (i = 0; i < n; i++) {
		config_setting_t *e = cfg_seq_elem(s, i);
		const char *v = cfg_get_str(c, e);

		if (!v)
			continue;
		if (strlen(v) >= FT_IFNAMSIZ || !iif_listed(c->pol, v)) {
			err_at(c, e, "iif '%s' is not one of the interfaces listed in 'interfaces' "
			       "(nor matched by one of their patterns)", v);
		} else {
			strcpy(m->iif[i], v);	/* fits: checked above */
			strcpy(m->iif_spec[i], v);
		}
	}
	return 0;
}

static int parse_vlan(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, n = cfg_seq_len(c, s);
	long long v;

	if (n < 0)
		return 0;
	m->vlan = calloc((size_t)n, sizeof(*m->vlan));
	if (!m->vlan)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!cfg_get_int_in(c, cfg_seq_elem(s, i), 0, 4095, &v))
			m->vlan[m->nvlan++] = (uint16_t)v;
	return 0;
}

static void parse_family(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m)
{
	const char *v = cfg_get_str(c, s);

	if (!v)
		return;
	if (!strcasecmp(v, "ipv4"))
		m->family = AF_INET;
	else if (!strcasecmp(v, "ipv6"))
		m->family = AF_INET6;
	else
		err_at(c, s, "bad family '%s' (expected \"ipv4\" or \"ipv6\")", v);
}

static const char *family_name(int family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}

/* Dynamic sets some rule names so far. */
static int parse_addr(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m,
		      struct ft_addr_match *am)
{
	char err[256], buf[64];
	int i, idx, n = cfg_seq_len(c, s);

	if (n < 0)
		return 0;
	am->pfx = calloc((size_t)n, sizeof(*am->pfx));
	am->sets = calloc((size_t)n, sizeof(*am->sets));
	if (!am->pfx || !am->sets)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		config_setting_t *e = cfg_seq_elem(s, i);
		struct ft_prefix *p = &am->pfx[am->npfx];
		const char *v = cfg_get_str(c, e);

		if (!v)
			continue;
		if (v[0] == '@') {
			idx = cfg_find_set(c, v + 1);
			if (idx < 0) {
				err_at(c, e, "%s: unknown prefix set '%s'", cfg_key_of(e), v + 1);
			} else if (c->pol->sets[idx].dynamic && !c->set_used[idx] &&
				   c->ndyn_used >= FT_MAX_DYNSETS) {
				err_at(c, e, "%s: rules name more than %d dynamic sets ('%s' is one too many)",
				       cfg_key_of(e), FT_MAX_DYNSETS, v + 1);
			} else {
				am->sets[am->nsets++] = idx;
				c->ndyn_used += c->pol->sets[idx].dynamic && !c->set_used[idx];
				c->set_used[idx] = true;
			}
			continue;
		}
		if (ft_parse_prefix(v, p, err, sizeof(err))) {
			err_at(c, e, "%s: %s", cfg_key_of(e), err);
			continue;
		}
		if (m->family && p->family != m->family) {
			err_at(c, e, "%s: prefix %s is %s, but the rule's family is %s",
			       cfg_key_of(e), ft_format_prefix(p, buf, sizeof(buf)),
			       family_name(p->family), family_name(m->family));
			continue;
		}
		am->npfx++;
	}
	return 0;
}

/* Returns whether every element parsed (tcp_flags checks need the full set). */
static bool parse_proto(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, v, n = cfg_seq_len(c, s);
	bool ok = n > 0;
	char err[256];
	long long lv;

	for (i = 0; i < n; i++) {
		config_setting_t *e = cfg_seq_elem(s, i);

		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			if (ft_parse_proto(config_setting_get_string(e), &v, err, sizeof(err))) {
				err_at(c, e, "proto: %s", err);
				ok = false;
				continue;
			}
		} else if (cfg_is_int(e)) {
			if (cfg_get_int_in(c, e, 0, 255, &lv)) {
				ok = false;
				continue;
			}
			v = (int)lv;
		} else {
			cfg_wrong_type(c, e, "a protocol name or number");
			ok = false;
			continue;
		}
		ft_proto_set(m, (unsigned int)v);
	}
	return ok;
}

static int parse_ports(struct cfg_ctx *c, config_setting_t *s, struct ft_range **out, size_t *nout)
{
	struct ft_range *r;
	int i, n = cfg_seq_len(c, s);
	char err[256];
	long long v;

	if (n < 0)
		return 0;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*out = r;
	for (i = 0; i < n; i++) {
		config_setting_t *e = cfg_seq_elem(s, i);

		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			if (ft_parse_port_range(config_setting_get_string(e), &r[*nout], err,
						sizeof(err)))
				err_at(c, e, "%s: %s", cfg_key_of(e), err);
			else
				(*nout)++;
		} else if (cfg_is_int(e)) {
			if (!cfg_get_int_in(c, e, 0, 65535, &v)) {
				r[*nout].lo = r[*nout].hi = (uint16_t)v;
				(*nout)++;
			}
		} else {
			cfg_wrong_type(c, e, "a port number or a \"LO-HI\" string");
		}
	}
	return 0;
}

static void parse_dscp_match(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, v, n = cfg_seq_len(c, s);

	for (i = 0; i < n; i++)
		if (!cfg_get_dscp(c, cfg_seq_elem(s, i), &v))
			m->dscp |= 1ULL << v;
}

static void parse_tcp_flags(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m,
			    bool proto_ok)
{
	const char *v = cfg_get_str(c, s);
	char err[256];

	if (!v)
		return;
	if (ft_parse_tcp_flags(v, &m->tcp_flags, &m->tcp_flags_mask, err, sizeof(err)))
		err_at(c, s, "%s", err);
	/* only with a fully parsed proto, else we'd blame a typo twice */
	else if ((m->keys & FT_MK_PROTO) && proto_ok && !ft_proto_has(m, 6))
		err_at(c, s, "tcp_flags only match TCP packets, but 'proto' does not include tcp");
}

/* One match key, @f, from setting @s: the parser of its kind. */
static int parse_field(struct cfg_ctx *c, config_setting_t *s, struct ft_match *m,
		       const struct ft_field_desc *f, bool *proto_ok)
{
	switch (f->kind) {
	case FT_FK_IFNAME:
		return parse_iif(c, s, m);
	case FT_FK_VLAN:
		return parse_vlan(c, s, m);
	case FT_FK_FAMILY:
		parse_family(c, s, m);
		return 0;
	case FT_FK_ADDR:
		return parse_addr(c, s, m, ft_field_addr(f, m));
	case FT_FK_PROTO:
		*proto_ok = parse_proto(c, s, m);
		return 0;
	case FT_FK_PORT: {
		size_t *count;
		struct ft_range **ranges = ft_field_ranges(f, m, &count);

		return parse_ports(c, s, ranges, count);
	}
	case FT_FK_DSCP:
		parse_dscp_match(c, s, m);
		return 0;
	case FT_FK_TCPFLAGS:
		parse_tcp_flags(c, s, m, *proto_ok);
		return 0;
	}
	return 0;
}

/*
 * A rule's match group: the keys of the field table (fields.c), in its
 * order. That order matters: family before src/dst (literal prefixes are
 * checked against it), proto before tcp_flags.
 */
static int parse_match(struct cfg_ctx *c, config_setting_t *g, struct ft_match *m)
{
	const char *keys[FT_NMATCH_FIELDS + 1] = { NULL };
	config_setting_t *s;
	bool proto_ok = false;
	size_t k;
	int rc = 0;

	for (k = 0; k < FT_NMATCH_FIELDS; k++)
		keys[k] = ft_fields[k].key;
	cfg_check_keys(c, g, keys, "match");

	for (k = 0; !rc && k < FT_NMATCH_FIELDS; k++) {
		s = config_setting_get_member(g, ft_fields[k].key);
		if (!s)
			continue;
		m->keys |= ft_fields[k].match_key;
		rc = parse_field(c, s, m, &ft_fields[k], &proto_ok);
	}
	return rc;
}

/* The optional name of rule @r, unique among the rules before it. */
static void parse_rule_name(struct cfg_ctx *c, config_setting_t *s, struct ft_rule *r,
			    const char *v)
{
	const struct ft_rule *o;
	char ref[CFG_REF_LEN];

	if (!cfg_check_name(c, s, "rule", v, FT_NAME_LEN))
		return;
	for (o = c->pol->rules; o < r; o++)
		if (!strcmp(o->name, v)) {
			err_at(c, s, "duplicate rule name '%s' (first used at %s)", v,
			       cfg_ref(c, s, o->src_file, o->line, ref, sizeof(ref)));
			return;
		}
	strcpy(r->name, v);
}

static int parse_rule(struct cfg_ctx *c, config_setting_t *g, struct ft_rule *r)
{
	static const char *const keys[] = { "name", "match", "class", "action", NULL };
	config_setting_t *ms, *cs, *as, *ns;
	const char *v;
	int rc = 0;

	cfg_check_keys(c, g, keys, "rule");

	ns = config_setting_get_member(g, "name");
	if (ns && (v = cfg_get_str(c, ns)))
		parse_rule_name(c, ns, r, v);

	ms = config_setting_get_member(g, "match");
	if (ms) {
		if (config_setting_type(ms) != CONFIG_TYPE_GROUP)
			cfg_wrong_type(c, ms, "a group: match = { ... }");
		else
			rc = parse_match(c, ms, &r->match);
	}

	cs = config_setting_get_member(g, "class");
	as = config_setting_get_member(g, "action");
	if (cs && as) {
		err_at(c, g, "rule has both 'class' and 'action': give one");
	} else if (!cs && !as) {
		err_at(c, g, "rule has neither 'class' nor 'action'");
	} else if (cs) {
		r->action = FT_ACT_CLASS;
		if ((v = cfg_get_str(c, cs))) {
			r->class_idx = cfg_find_class(c->pol, v);
			if (r->class_idx < 0)
				err_at(c, cs, "unknown class '%s'", v);
			else
				c->class_used[r->class_idx] = true;
		}
	} else if ((v = cfg_get_str(c, as))) {
		if (!strcmp(v, "drop"))
			r->action = FT_ACT_DROP;
		else if (!strcmp(v, "pass"))
			r->action = FT_ACT_PASS;
		else
			err_at(c, as, "unknown action '%s' (expected \"drop\" or \"pass\")", v);
	}
	return rc;
}

int cfg_parse_rules(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *l = cfg_group_list(c, root, "rules");
	const struct ft_rule *catchall = NULL; /* the first rule without a match */
	char ref[CFG_REF_LEN];
	bool warned = false;
	int i, n, rc;

	if (!l)
		return 0;
	n = config_setting_length(l);
	if (!n)
		return 0;
	c->pol->rules = calloc((size_t)n, sizeof(*c->pol->rules));
	if (!c->pol->rules)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned int)i);
		struct ft_rule *r = &c->pol->rules[i];

		if (!cfg_list_room(c, l, n, i, FT_MAX_RULES, "rules"))
			break;
		/* count first, so ft_policy_free() sees every match we touch */
		c->pol->nrules = (size_t)i + 1;
		r->line = cfg_src_line(c, g);
		r->src_file = cfg_src_file(c, g);
		r->class_idx = -1;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_wrong_type(
				c, g,
				"a list of groups: ( { match = { ... }; class = ...; }, ... )");
			continue;
		}
		/* once: every later rule is just as dead, one message says so */
		if (catchall && !warned) {
			warn_at(c, g,
				"this rule and all rules after it can never match: the rule at %s matches every packet",
				cfg_ref(c, g, catchall->src_file, catchall->line, ref,
					sizeof(ref)));
			warned = true;
		}
		rc = parse_rule(c, g, r);
		if (rc)
			return rc;
		if (!r->match.keys && !catchall)
			catchall = r;
	}
	return 0;
}
