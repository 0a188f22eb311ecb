// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy file -> struct ft_policy (libconfig).
 *
 * The whole file is checked even after the first problem, so one run of
 * `flowtagd --check` lists everything that is wrong; a struct is handed back
 * only when there is no error at all. Warnings never block a policy.
 *
 * Choices the language leaves to us, documented here and in flowtag.conf(5):
 *  - mark_mask is optional and defaults to 0xffffffff: with no mask given,
 *    flowtag owns the whole mark, which is what a user who never heard of
 *    sharing skb->mark expects. Configs that share the mark say so.
 *  - tc_verdict = "continue" (default) | "ok": whether tc lets later clsact
 *    filters run (TC_ACT_UNSPEC) or stops them (TC_ACT_OK).
 *  - Missing top-level keys are reported at line 1, the only line that
 *    exists in every file.
 *  - A prefix set file reports at most FT_SET_FILE_MAX_ERRORS errors, then
 *    gives up on that file (setfile.h).
 *  - @include "FILE" works and, like a prefix set file, a relative FILE is
 *    relative to the policy's directory, an absolute one is itself;
 *    messages about included settings name the included file. (ft_rule.line
 *    is then a line of that file: struct ft_policy has no per-rule file name.)
 *  - libconfig never reads a policy file itself: cfgtext.c checks the text,
 *    expands the @includes and hands libconfig a text it cannot fail on,
 *    with a map back to FILE:LINE. Integer literals that libconfig 1.5 would
 *    wrap are refused there: plain decimals must fit 32 signed bits (so
 *    32-bit values above 0x7fffffff, marks and priorities, are written in
 *    hex), hex literals 32 bits, L-suffixed ones 64 bits. Negative values
 *    are refused here, where no key takes one.
 *  - The policy, its includes and its set files are refused when someone
 *    other than root can have written them (textfile.h), unless the caller
 *    passes FT_CONFIG_INSECURE_FILES.
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
#include "lcguard.h"
#include "setfile.h"
#include "strparse.h"
#include "textfile.h"

struct ctx {
	const char *name;		/* policy file name in messages */
	const char *dir;		/* base of relative set files; NULL: cwd */
	unsigned int file_flags;	/* FT_FILE_* for set files */
	const struct ft_cfgtext *src;	/* what libconfig read, with its line map */
	struct ft_policy *pol;
	struct ft_diag *diag;
	int nerrors;			/* errors found by this run */
	bool oom;			/* a diagnostic could not be recorded */
	bool *class_used;		/* per class: a rule or default_class names it */
	bool *set_used;			/* per set: a rule names it */
};

/* ---- diagnostics ---------------------------------------------------- */

static void report(struct ctx *c, const char *file, int line, bool error, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct ctx *c, const char *file, int line, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ft_diag_vadd(c->diag, file, line, error, fmt, ap))
		c->oom = true;
	va_end(ap);
	if (error)
		c->nerrors++;
}

/* Where setting @s was written: its file (the policy or an @include'd one) and line. */
static int src_pos(const struct ctx *c, const config_setting_t *s, const char **file)
{
	const struct ft_src_pos *pos = ft_cfgtext_pos(c->src, (int)config_setting_source_line(s));

	if (!pos) {
		*file = c->name;
		return (int)config_setting_source_line(s);
	}
	*file = c->src->files[pos->file];
	return pos->line;
}

static int src_line(const struct ctx *c, const config_setting_t *s)
{
	const char *file;

	return src_pos(c, s, &file);
}

/* Report against a setting: its line, in the file it was written in. */
static void report_at(struct ctx *c, const config_setting_t *s, bool error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report_at(struct ctx *c, const config_setting_t *s, bool error, const char *fmt, ...)
{
	const char *file;
	int line = src_pos(c, s, &file);
	va_list ap;

	va_start(ap, fmt);
	if (ft_diag_vadd(c->diag, file, line, error, fmt, ap))
		c->oom = true;
	va_end(ap);
	if (error)
		c->nerrors++;
}

#define err_at(c, s, ...) report_at((c), (s), true, __VA_ARGS__)
#define warn_at(c, s, ...) report_at((c), (s), false, __VA_ARGS__)

/* ---- typed access to settings --------------------------------------- */

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* The key a setting belongs to: its own name, or its list's. */
static const char *key_of(const config_setting_t *s)
{
	for (; s; s = config_setting_parent(s))
		if (config_setting_name(s))
			return config_setting_name(s);
	return "?";
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "unknown";
}

static void wrong_type(struct ctx *c, const config_setting_t *s, const char *want)
{
	err_at(c, s, "'%s' must be %s, not %s", key_of(s), want, type_name(s));
}

static bool is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static bool is_seq(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

/* Report every member of @grp whose name is not in @keys (NULL-terminated). */
static void check_keys(struct ctx *c, const config_setting_t *grp, const char *const *keys,
		       const char *where)
{
	int i, n = config_setting_length(grp);
	const char *const *k;

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(grp, i);
		const char *name = config_setting_name(m);

		for (k = keys; *k; k++)
			if (!strcmp(*k, name))
				break;
		if (!*k)
			err_at(c, m, "unknown key '%s' in %s", name, where);
	}
}

static const char *get_str(struct ctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		wrong_type(c, s, "a string");
		return NULL;
	}
	return config_setting_get_string(s);
}

/*
 * The value of an integer setting as written: libconfig keeps a 32-bit hex
 * literal in a signed int, so 0xffffffff arrives as -1 (cfgtext.c has made
 * sure the literal fits 32 bits).
 */
static long long int_value(const config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_INT &&
	    config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		return (long long)(uint32_t)config_setting_get_int(s);
	return config_setting_get_int64(s);
}

/* An integer in [lo, hi]. */
static int get_int_in(struct ctx *c, const config_setting_t *s, long long lo, long long hi,
		      long long *out)
{
	long long v;

	if (!is_int(s)) {
		wrong_type(c, s, "an integer");
		return -EINVAL;
	}
	v = int_value(s);
	if (v < lo || v > hi) {
		err_at(c, s, "%s %lld out of range (%lld..%lld)", key_of(s), v, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A 32-bit unsigned value; see the libconfig 1.5 note at the top. */
static int get_u32(struct ctx *c, const config_setting_t *s, uint32_t *out)
{
	long long v;

	if (!is_int(s)) {
		wrong_type(c, s, "an integer");
		return -EINVAL;
	}
	v = int_value(s);
	if (v < 0 || v > UINT32_MAX) {
		err_at(c, s,
		       "'%s' must be between 0 and 0xffffffff (write values above 2147483647 in hex)",
		       key_of(s));
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * A match value may be a scalar, an array or a list. Returns the number of
 * elements (a scalar is one), or -1 after reporting an empty list, which
 * would silently match nothing.
 */
static int seq_len(struct ctx *c, const config_setting_t *s)
{
	int n;

	if (!is_seq(s))
		return 1;
	n = config_setting_length(s);
	if (!n)
		err_at(c, s, "'%s' is an empty list: it would match nothing", key_of(s));
	return n ? n : -1;
}

static config_setting_t *seq_elem(config_setting_t *s, int i)
{
	return is_seq(s) ? config_setting_get_elem(s, (unsigned int)i) : s;
}

/* A setting that must be a list of groups; NULL (nothing to do) otherwise. */
static config_setting_t *group_list(struct ctx *c, config_setting_t *root, const char *key)
{
	config_setting_t *l = config_setting_get_member(root, key);

	if (l && config_setting_type(l) != CONFIG_TYPE_LIST) {
		wrong_type(c, l, "a list of groups: ( { ... }, { ... } )");
		return NULL;
	}
	return l;
}

static int find_class(const struct ft_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nclasses; i++)
		if (p->classes[i].name[0] && !strcmp(p->classes[i].name, name))
			return (int)i;
	return -1;
}

static int find_set(const struct ft_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nsets; i++)
		if (p->sets[i].name[0] && !strcmp(p->sets[i].name, name))
			return (int)i;
	return -1;
}

static int find_iface(const struct ft_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nifaces; i++)
		if (p->ifaces[i].name[0] && !strcmp(p->ifaces[i].name, name))
			return (int)i;
	return -1;
}

/* ---- interfaces ----------------------------------------------------- */

/* Names end up in flowtagctl's tables and in logs: one line, no escapes. */
static bool has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return true;
	return false;
}

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

/* A rate setting: tc notation in a string ("100mbit"). */
static int get_rate(struct ctx *c, const config_setting_t *s, uint64_t *out)
{
	char err[256];
	const char *v = get_str(c, s);

	if (!v)
		return -EINVAL;
	if (ft_parse_rate(v, out, err, sizeof(err))) {
		err_at(c, s, "%s", err);
		return -EINVAL;
	}
	return 0;
}

/* A size setting: a string in tc notation ("15k") or an integer of bytes. */
static int get_size(struct ctx *c, const config_setting_t *s, uint32_t *out)
{
	char err[256];
	const char *v;

	if (is_int(s))
		return get_u32(c, s, out) ? -EINVAL : (*out ? 0 : (err_at(c, s, "size 0"), -EINVAL));
	v = get_str(c, s);
	if (!v)
		return -EINVAL;
	if (ft_parse_size(v, out, err, sizeof(err))) {
		err_at(c, s, "%s", err);
		return -EINVAL;
	}
	return 0;
}

/*
 * egress_shaping = { rate = "100mbit"; leaf = "fq_codel"; default_class = "x";
 * replace_root = false; } and ingress_shaping = { rate; leaf; default_class;
 * ifb = "name"; }. default_class is a name here; it is resolved once the
 * classes are known (check_shaping()), which looks the setting up again.
 * The IFB device of ingress_shaping is "ifb-<iface>" unless named; a name
 * that does not fit IFNAMSIZ is cut to 15 characters, with a warning.
 */
static void parse_shaping(struct ctx *c, config_setting_t *g, const char *ifname, bool ingress,
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

	sh->line = src_line(c, g);
	sh->default_class = -1;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		wrong_type(c, g, "a group { rate = \"...\"; ... }");
		return;
	}
	check_keys(c, g, ingress ? ingress_keys : egress_keys, what);
	sh->enabled = true;
	s = config_setting_get_member(g, "rate");
	if (!s)
		err_at(c, g, "%s has no 'rate' (the link's rate, e.g. \"100mbit\")", what);
	else
		get_rate(c, s, &sh->rate);
	s = config_setting_get_member(g, "leaf");
	if (s && (v = get_str(c, s))) {
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
			wrong_type(c, s, "a boolean (true or false)");
		else
			sh->replace_root = config_setting_get_bool(s);
	}
	if (!ingress)
		return;
	s = config_setting_get_member(g, "ifb");
	if (s) {
		if (!(v = get_str(c, s)))
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

static void parse_iface(struct ctx *c, config_setting_t *g, size_t idx)
{
	static const char *const keys[] = { "name", "required", "xdp_mode", "egress_restore",
					    "egress_shaping", "ingress_shaping", NULL };
	struct ft_iface *ifc = &c->pol->ifaces[idx];
	config_setting_t *s;
	const char *v;
	int dup;

	check_keys(c, g, keys, "interface");
	ifc->line = src_line(c, g);

	s = config_setting_get_member(g, "name");
	if (!s) {
		err_at(c, g, "interface has no 'name'");
	} else if ((v = get_str(c, s))) {
		if (strlen(v) >= FT_IFNAMSIZ) {
			err_at(c, s, "interface name '%s' is longer than %d characters", v,
			       FT_IFNAMSIZ - 1);
		} else if (!valid_ifname(v)) {
			err_at(c, s, "'%s' is not a valid interface name", v);
		} else if ((dup = find_iface(c->pol, v)) >= 0) {
			err_at(c, s, "duplicate interface '%s' (first listed at line %d)", v,
			       c->pol->ifaces[dup].line);
		} else {
			strcpy(ifc->name, v);
		}
	}

	s = config_setting_get_member(g, "required");
	if (s) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			wrong_type(c, s, "a boolean (true or false)");
		else
			ifc->required = config_setting_get_bool(s);
	}

	s = config_setting_get_member(g, "xdp_mode");
	if (s && (v = get_str(c, s))) {
		if (!strcmp(v, "native"))
			ifc->xdp_mode = FT_XDP_NATIVE;
		else if (!strcmp(v, "generic"))
			ifc->xdp_mode = FT_XDP_GENERIC;
		else if (!strcmp(v, "auto"))
			ifc->xdp_mode = FT_XDP_AUTO;
		else
			err_at(c, s, "bad xdp_mode '%s' (expected \"native\", \"generic\" or \"auto\")",
			       v);
	}

	s = config_setting_get_member(g, "egress_restore");
	if (s) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			wrong_type(c, s, "a boolean (true or false)");
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

static int parse_interfaces(struct ctx *c, config_setting_t *root)
{
	config_setting_t *l = config_setting_get_member(root, "interfaces");
	int i, n;

	if (!l) {
		report(c, c->name, 1, true, "missing 'interfaces': name at least one interface");
		return 0;
	}
	if (!(l = group_list(c, root, "interfaces")))
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

		if (i == FT_MAX_IFACES)
			err_at(c, g, "too many interfaces (%d; at most %d)", n, FT_MAX_IFACES);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			wrong_type(c, g, "a list of groups: ( { name = \"eth0\"; }, ... )");
			continue;
		}
		/* count it first: find_iface() must see the earlier entries */
		c->pol->nifaces = (size_t)i + 1;
		parse_iface(c, g, (size_t)i);
	}
	c->pol->nifaces = (size_t)n;
	return 0;
}

/* ---- top-level scalars ---------------------------------------------- */

static void parse_scalars(struct ctx *c, config_setting_t *root)
{
	config_setting_t *s;
	const char *v;

	s = config_setting_get_member(root, "mark_mask");
	if (s)
		get_u32(c, s, &c->pol->mark_mask);

	s = config_setting_get_member(root, "tc_verdict");
	if (s && (v = get_str(c, s))) {
		if (!strcmp(v, "continue"))
			c->pol->tc_ok = false;
		else if (!strcmp(v, "ok"))
			c->pol->tc_ok = true;
		else
			err_at(c, s, "bad tc_verdict '%s' (expected \"continue\" or \"ok\")", v);
	}
}

/* ---- classes -------------------------------------------------------- */

/* A DSCP given as a name, a number string or an integer. */
static int get_dscp(struct ctx *c, const config_setting_t *s, int *out)
{
	char err[256];
	long long v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (ft_parse_dscp(config_setting_get_string(s), out, err, sizeof(err))) {
			err_at(c, s, "%s: %s", key_of(s), err);
			return -EINVAL;
		}
		return 0;
	}
	if (!is_int(s)) {
		wrong_type(c, s, "a DSCP name or 0..63");
		return -EINVAL;
	}
	if (get_int_in(c, s, 0, 63, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static void parse_class(struct ctx *c, config_setting_t *g, size_t idx, bool *have_mark)
{
	static const char *const keys[] = { "name", "mark", "priority", "dscp", "rate", "ceil",
					    "burst", "quantum", NULL };
	struct ft_class *cl = &c->pol->classes[idx];
	config_setting_t *s;
	char err[256];
	const char *v;
	size_t j;
	int dup;

	check_keys(c, g, keys, "class");
	cl->line = src_line(c, g);
	cl->dscp = -1;

	s = config_setting_get_member(g, "name");
	if (!s) {
		err_at(c, g, "class has no 'name'");
	} else if ((v = get_str(c, s))) {
		if (!*v)
			err_at(c, s, "empty class name");
		else if (has_ctrl(v))
			err_at(c, s, "class name '%s' contains a control character", v);
		else if (strlen(v) >= FT_NAME_LEN)
			err_at(c, s, "class name '%s' is longer than %d characters", v,
			       FT_NAME_LEN - 1);
		else if ((dup = find_class(c->pol, v)) >= 0)
			err_at(c, s, "duplicate class '%s' (first defined at line %d)", v,
			       c->pol->classes[dup].line);
		else
			strcpy(cl->name, v);
	}

	s = config_setting_get_member(g, "mark");
	if (!s) {
		err_at(c, g, "class%s%s%s has no 'mark'", cl->name[0] ? " '" : "", cl->name,
		       cl->name[0] ? "'" : "");
	} else if (!get_u32(c, s, &cl->mark)) {
		if (cl->mark & ~c->pol->mark_mask) {
			err_at(c, s, "class '%s': mark 0x%x is outside mark_mask 0x%08x", cl->name,
			       cl->mark, c->pol->mark_mask);
		} else {
			for (j = 0; j < idx; j++)
				if (have_mark[j] && c->pol->classes[j].mark == cl->mark)
					break;
			if (j < idx)
				err_at(c, s,
				       "class '%s' has the same mark 0x%x as class '%s' (line %d): egress restore could not tell them apart",
				       cl->name, cl->mark, c->pol->classes[j].name,
				       c->pol->classes[j].line);
			else
				have_mark[idx] = true;
		}
	}

	s = config_setting_get_member(g, "priority");
	if (s) {
		if (config_setting_type(s) == CONFIG_TYPE_STRING) {
			if (ft_parse_tc_handle(config_setting_get_string(s), &cl->priority, err,
					       sizeof(err)))
				err_at(c, s, "%s", err);
			else
				cl->has_priority = true;
		} else if (is_int(s)) {
			if (!get_u32(c, s, &cl->priority))
				cl->has_priority = true;
		} else {
			wrong_type(c, s, "a tc class id string (\"1:10\") or an integer");
		}
	}

	s = config_setting_get_member(g, "dscp");
	if (s)
		get_dscp(c, s, &cl->dscp);

	/* shaping: checked against the interfaces in check_shaping() */
	if ((s = config_setting_get_member(g, "rate")))
		get_rate(c, s, &cl->rate);
	if ((s = config_setting_get_member(g, "ceil")))
		get_rate(c, s, &cl->ceil);
	if ((s = config_setting_get_member(g, "burst")))
		get_size(c, s, &cl->burst);
	if ((s = config_setting_get_member(g, "quantum")))
		get_size(c, s, &cl->quantum);
	if (cl->rate && cl->ceil && cl->ceil < cl->rate)
		err_at(c, config_setting_get_member(g, "ceil"),
		       "class '%s': ceil is below its rate", cl->name);
}

static int parse_classes(struct ctx *c, config_setting_t *root)
{
	config_setting_t *l = group_list(c, root, "classes");
	bool *have_mark = NULL;
	int i, n;

	if (!l)
		return 0;
	n = config_setting_length(l);
	if (!n)
		return 0;
	c->pol->classes = calloc((size_t)n, sizeof(*c->pol->classes));
	c->class_used = calloc((size_t)n, sizeof(*c->class_used));
	have_mark = calloc((size_t)n, sizeof(*have_mark));
	if (!c->pol->classes || !c->class_used || !have_mark) {
		free(have_mark);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned int)i);

		if (i == FT_MAX_CLASSES)
			err_at(c, g, "too many classes (%d; at most %d)", n, FT_MAX_CLASSES);
		c->pol->nclasses = (size_t)i + 1;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			wrong_type(c, g, "a list of groups: ( { name = ...; mark = ...; }, ... )");
			c->pol->classes[i].dscp = -1;
			continue;
		}
		parse_class(c, g, (size_t)i, have_mark);
	}
	free(have_mark);
	return 0;
}

/* ---- prefix sets ---------------------------------------------------- */

/* The " (see ...)" hint for a file refused for its owner or mode. */
static const char *perm_hint(int rc)
{
	return rc == -EPERM ? " (see 'File permissions' in flowtag.conf(5))" : "";
}

/*
 * A prefix set's file: read whole (or it is an error, never a shorter set),
 * errors in it as SETFILE:LINE, problems with the file itself at the line
 * of the policy that names it.
 */
static int load_set_file(struct ctx *c, struct ft_prefix_set *set, const config_setting_t *fs)
{
	char why[PATH_MAX + 256];
	int rc, nerrors0 = c->diag->nerrors;
	size_t len;
	char *buf;

	rc = ft_file_read(set->file, c->file_flags, &buf, &len, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		err_at(c, fs, "prefix set '%s': %s%s", set->name, why, perm_hint(rc));
		return 0;
	}
	rc = ft_set_file_parse(buf, len, set->file, &set->pfx, &set->npfx, c->diag);
	free(buf);
	c->nerrors += c->diag->nerrors - nerrors0;
	return rc == -EINVAL ? 0 : rc;
}

static char *resolve_path(const char *dir, const char *path)
{
	size_t dl, pl;
	char *r;

	if (path[0] == '/' || !dir || !*dir)
		return dup_str(path);
	dl = strlen(dir);
	pl = strlen(path);
	r = malloc(dl + 1 + pl + 1);
	if (!r)
		return NULL;
	memcpy(r, dir, dl);
	r[dl] = '/';
	memcpy(r + dl + 1, path, pl + 1);
	return r;
}

static int parse_inline_set(struct ctx *c, struct ft_prefix_set *set, config_setting_t *s)
{
	char err[256];
	int i, n;

	if (!is_seq(s)) {
		wrong_type(c, s, "an array of prefix strings: [ \"10.0.0.0/8\", ... ]");
		return 0;
	}
	n = config_setting_length(s);
	if (!n)
		return 0;
	set->pfx = calloc((size_t)n, sizeof(*set->pfx));
	if (!set->pfx)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = get_str(c, e);

		if (!v)
			continue;
		if (ft_parse_prefix(v, &set->pfx[set->npfx], err, sizeof(err)))
			err_at(c, e, "prefixes: %s", err);
		else
			set->npfx++;
	}
	return 0;
}

static int parse_set(struct ctx *c, config_setting_t *g, size_t idx)
{
	static const char *const keys[] = { "name", "file", "prefixes", NULL };
	struct ft_prefix_set *set = &c->pol->sets[idx];
	config_setting_t *s, *fs, *ps;
	int dup, rc = 0, nerrors0 = c->nerrors;
	const char *v;

	check_keys(c, g, keys, "prefix set");
	set->line = src_line(c, g);

	s = config_setting_get_member(g, "name");
	if (!s) {
		err_at(c, g, "prefix set has no 'name'");
	} else if ((v = get_str(c, s))) {
		if (!*v)
			err_at(c, s, "empty prefix set name");
		else if (has_ctrl(v))
			err_at(c, s, "prefix set name '%s' contains a control character", v);
		else if (v[0] == '@')
			err_at(c, s, "prefix set name '%s' must not start with '@' (rules write \"@%s\" to refer to \"%s\")",
			       v, v + 1, v + 1);
		else if (strlen(v) >= FT_SET_NAME_LEN)
			err_at(c, s, "prefix set name '%s' is longer than %d characters", v,
			       FT_SET_NAME_LEN - 1);
		else if ((dup = find_set(c->pol, v)) >= 0)
			err_at(c, s, "duplicate prefix set '%s' (first defined at line %d)", v,
			       c->pol->sets[dup].line);
		else
			strcpy(set->name, v);
	}

	fs = config_setting_get_member(g, "file");
	ps = config_setting_get_member(g, "prefixes");
	if (fs && ps) {
		err_at(c, g, "prefix set '%s' has both 'file' and 'prefixes'", set->name);
	} else if (!fs && !ps) {
		err_at(c, g, "prefix set '%s' has neither 'file' nor 'prefixes'", set->name);
	} else if (fs) {
		v = get_str(c, fs);
		if (v) {
			set->file = resolve_path(c->dir, v);
			if (!set->file)
				return -ENOMEM;
			rc = load_set_file(c, set, fs);
		}
	} else {
		rc = parse_inline_set(c, set, ps);
	}
	/* an empty set makes "@set" match nothing: legal, but rarely meant */
	if (!rc && (fs || ps) && !set->npfx && c->nerrors == nerrors0)
		warn_at(c, g, "prefix set '%s' is empty: rules naming it match nothing", set->name);
	return rc;
}

static int parse_sets(struct ctx *c, config_setting_t *root)
{
	config_setting_t *l = group_list(c, root, "prefix_sets");
	int i, n, rc;

	if (!l)
		return 0;
	n = config_setting_length(l);
	if (!n)
		return 0;
	c->pol->sets = calloc((size_t)n, sizeof(*c->pol->sets));
	c->set_used = calloc((size_t)n, sizeof(*c->set_used));
	if (!c->pol->sets || !c->set_used)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned int)i);

		c->pol->nsets = (size_t)i + 1;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			wrong_type(c, g, "a list of groups: ( { name = ...; file = ...; }, ... )");
			continue;
		}
		rc = parse_set(c, g, (size_t)i);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- rules and matches ---------------------------------------------- */

/*
 * Whether iif value @v names interfaces flowtag attaches to: an entry of
 * 'interfaces' as written, a name one of their patterns matches, or a
 * pattern matching one of their names.
 */
static bool iif_listed(const struct ft_policy *p, const char *v)
{
	size_t i;

	if (find_iface(p, v) >= 0)
		return true;
	for (i = 0; i < p->nifaces; i++) {
		const char *name = p->ifaces[i].name;

		if (!name[0])
			continue;
		if (ft_ifname_is_pattern(name) ? !ft_ifname_is_pattern(v) && ft_ifname_match(name, v) :
						 ft_ifname_match(v, name))
			return true;
	}
	return false;
}

static int parse_iif(struct ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, n = seq_len(c, s);

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
		config_setting_t *e = seq_elem(s, i);
		const char *v = get_str(c, e);

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

static int parse_vlan(struct ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, n = seq_len(c, s);
	long long v;

	if (n < 0)
		return 0;
	m->vlan = calloc((size_t)n, sizeof(*m->vlan));
	if (!m->vlan)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!get_int_in(c, seq_elem(s, i), 0, 4095, &v))
			m->vlan[m->nvlan++] = (uint16_t)v;
	return 0;
}

static void parse_family(struct ctx *c, config_setting_t *s, struct ft_match *m)
{
	const char *v = get_str(c, s);

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

static int parse_addr(struct ctx *c, config_setting_t *s, struct ft_match *m,
		      struct ft_addr_match *am)
{
	char err[256], buf[64];
	int i, idx, n = seq_len(c, s);

	if (n < 0)
		return 0;
	am->pfx = calloc((size_t)n, sizeof(*am->pfx));
	am->sets = calloc((size_t)n, sizeof(*am->sets));
	if (!am->pfx || !am->sets)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		config_setting_t *e = seq_elem(s, i);
		struct ft_prefix *p = &am->pfx[am->npfx];
		const char *v = get_str(c, e);

		if (!v)
			continue;
		if (v[0] == '@') {
			idx = find_set(c->pol, v + 1);
			if (idx < 0) {
				err_at(c, e, "%s: unknown prefix set '%s'", key_of(e), v + 1);
			} else {
				am->sets[am->nsets++] = idx;
				c->set_used[idx] = true;
			}
			continue;
		}
		if (ft_parse_prefix(v, p, err, sizeof(err))) {
			err_at(c, e, "%s: %s", key_of(e), err);
			continue;
		}
		if (m->family && p->family != m->family) {
			err_at(c, e, "%s: prefix %s is %s, but the rule's family is %s", key_of(e),
			       ft_format_prefix(p, buf, sizeof(buf)), family_name(p->family),
			       family_name(m->family));
			continue;
		}
		am->npfx++;
	}
	return 0;
}

/* Returns whether every element parsed (tcp_flags checks need the full set). */
static bool parse_proto(struct ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, v, n = seq_len(c, s);
	bool ok = n > 0;
	char err[256];
	long long lv;

	for (i = 0; i < n; i++) {
		config_setting_t *e = seq_elem(s, i);

		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			if (ft_parse_proto(config_setting_get_string(e), &v, err, sizeof(err))) {
				err_at(c, e, "proto: %s", err);
				ok = false;
				continue;
			}
		} else if (is_int(e)) {
			if (get_int_in(c, e, 0, 255, &lv)) {
				ok = false;
				continue;
			}
			v = (int)lv;
		} else {
			wrong_type(c, e, "a protocol name or number");
			ok = false;
			continue;
		}
		ft_proto_set(m, (unsigned int)v);
	}
	return ok;
}

static int parse_ports(struct ctx *c, config_setting_t *s, struct ft_range **out, size_t *nout)
{
	struct ft_range *r;
	int i, n = seq_len(c, s);
	char err[256];
	long long v;

	if (n < 0)
		return 0;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*out = r;
	for (i = 0; i < n; i++) {
		config_setting_t *e = seq_elem(s, i);

		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			if (ft_parse_port_range(config_setting_get_string(e), &r[*nout], err,
						sizeof(err)))
				err_at(c, e, "%s: %s", key_of(e), err);
			else
				(*nout)++;
		} else if (is_int(e)) {
			if (!get_int_in(c, e, 0, 65535, &v)) {
				r[*nout].lo = r[*nout].hi = (uint16_t)v;
				(*nout)++;
			}
		} else {
			wrong_type(c, e, "a port number or a \"LO-HI\" string");
		}
	}
	return 0;
}

static void parse_dscp_match(struct ctx *c, config_setting_t *s, struct ft_match *m)
{
	int i, v, n = seq_len(c, s);

	for (i = 0; i < n; i++)
		if (!get_dscp(c, seq_elem(s, i), &v))
			m->dscp |= 1ULL << v;
}

static void parse_tcp_flags(struct ctx *c, config_setting_t *s, struct ft_match *m, bool proto_ok)
{
	const char *v = get_str(c, s);
	char err[256];

	if (!v)
		return;
	if (ft_parse_tcp_flags(v, &m->tcp_flags, &m->tcp_flags_mask, err, sizeof(err)))
		err_at(c, s, "%s", err);
	/* only with a fully parsed proto, else we'd blame a typo twice */
	else if ((m->keys & FT_MK_PROTO) && proto_ok && !ft_proto_has(m, 6))
		err_at(c, s, "tcp_flags only match TCP packets, but 'proto' does not include tcp");
}

static int parse_match(struct ctx *c, config_setting_t *g, struct ft_match *m)
{
	static const char *const keys[] = {
		"iif", "vlan", "family", "src", "dst", "proto", "sport", "dport", "dscp",
		"tcp_flags", NULL,
	};
	config_setting_t *s;
	bool proto_ok = false;
	int rc = 0;

	check_keys(c, g, keys, "match");

	if ((s = config_setting_get_member(g, "iif"))) {
		m->keys |= FT_MK_IIF;
		rc = parse_iif(c, s, m);
	}
	if (!rc && (s = config_setting_get_member(g, "vlan"))) {
		m->keys |= FT_MK_VLAN;
		rc = parse_vlan(c, s, m);
	}
	/* before src/dst: literal prefixes are checked against it */
	if (!rc && (s = config_setting_get_member(g, "family"))) {
		m->keys |= FT_MK_FAMILY;
		parse_family(c, s, m);
	}
	if (!rc && (s = config_setting_get_member(g, "src"))) {
		m->keys |= FT_MK_SRC;
		rc = parse_addr(c, s, m, &m->src);
	}
	if (!rc && (s = config_setting_get_member(g, "dst"))) {
		m->keys |= FT_MK_DST;
		rc = parse_addr(c, s, m, &m->dst);
	}
	if (!rc && (s = config_setting_get_member(g, "proto"))) {
		m->keys |= FT_MK_PROTO;
		proto_ok = parse_proto(c, s, m);
	}
	if (!rc && (s = config_setting_get_member(g, "sport"))) {
		m->keys |= FT_MK_SPORT;
		rc = parse_ports(c, s, &m->sport, &m->nsport);
	}
	if (!rc && (s = config_setting_get_member(g, "dport"))) {
		m->keys |= FT_MK_DPORT;
		rc = parse_ports(c, s, &m->dport, &m->ndport);
	}
	if (!rc && (s = config_setting_get_member(g, "dscp"))) {
		m->keys |= FT_MK_DSCP;
		parse_dscp_match(c, s, m);
	}
	if (!rc && (s = config_setting_get_member(g, "tcp_flags"))) {
		m->keys |= FT_MK_TCPFL;
		parse_tcp_flags(c, s, m, proto_ok);
	}
	return rc;
}

/* The optional name of rule @r, unique among the rules before it. */
static void parse_rule_name(struct ctx *c, config_setting_t *s, struct ft_rule *r, const char *v)
{
	const struct ft_rule *o;

	if (!*v) {
		err_at(c, s, "empty rule name");
		return;
	}
	if (has_ctrl(v)) {
		err_at(c, s, "rule name '%s' contains a control character", v);
		return;
	}
	if (strlen(v) >= FT_NAME_LEN) {
		err_at(c, s, "rule name '%s' is longer than %d characters", v, FT_NAME_LEN - 1);
		return;
	}
	for (o = c->pol->rules; o < r; o++)
		if (!strcmp(o->name, v)) {
			err_at(c, s, "duplicate rule name '%s' (first used at line %d)", v, o->line);
			return;
		}
	strcpy(r->name, v);
}

static int parse_rule(struct ctx *c, config_setting_t *g, struct ft_rule *r)
{
	static const char *const keys[] = { "name", "match", "class", "action", NULL };
	config_setting_t *ms, *cs, *as, *ns;
	const char *v;
	int rc = 0;

	check_keys(c, g, keys, "rule");

	ns = config_setting_get_member(g, "name");
	if (ns && (v = get_str(c, ns)))
		parse_rule_name(c, ns, r, v);

	ms = config_setting_get_member(g, "match");
	if (ms) {
		if (config_setting_type(ms) != CONFIG_TYPE_GROUP)
			wrong_type(c, ms, "a group: match = { ... }");
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
		if ((v = get_str(c, cs))) {
			r->class_idx = find_class(c->pol, v);
			if (r->class_idx < 0)
				err_at(c, cs, "unknown class '%s'", v);
			else
				c->class_used[r->class_idx] = true;
		}
	} else if ((v = get_str(c, as))) {
		if (!strcmp(v, "drop"))
			r->action = FT_ACT_DROP;
		else if (!strcmp(v, "pass"))
			r->action = FT_ACT_PASS;
		else
			err_at(c, as, "unknown action '%s' (expected \"drop\" or \"pass\")", v);
	}
	return rc;
}

static int parse_rules(struct ctx *c, config_setting_t *root)
{
	config_setting_t *l = group_list(c, root, "rules");
	int i, n, rc, catchall = 0;
	bool warned = false;

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

		/* count first, so ft_policy_free() sees every match we touch */
		c->pol->nrules = (size_t)i + 1;
		r->line = src_line(c, g);
		r->class_idx = -1;
		if (i == FT_MAX_RULES)
			err_at(c, g, "too many rules (%d; at most %d)", n, FT_MAX_RULES);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			wrong_type(c, g, "a list of groups: ( { match = { ... }; class = ...; }, ... )");
			continue;
		}
		/* once: every later rule is just as dead, one message says so */
		if (catchall && !warned) {
			warn_at(c, g,
				"this rule and all rules after it can never match: the rule at line %d matches every packet",
				catchall);
			warned = true;
		}
		rc = parse_rule(c, g, r);
		if (rc)
			return rc;
		if (!r->match.keys && !catchall)
			catchall = r->line;
	}
	return 0;
}

/* ---- the whole file ------------------------------------------------- */

static void parse_default_class(struct ctx *c, config_setting_t *root)
{
	config_setting_t *s = config_setting_get_member(root, "default_class");
	const char *v;

	if (!s || !(v = get_str(c, s)))
		return;
	c->pol->default_class = find_class(c->pol, v);
	if (c->pol->default_class < 0)
		err_at(c, s, "unknown default_class '%s'", v);
	else
		c->class_used[c->pol->default_class] = true;
}

static void warn_unused(struct ctx *c, config_setting_t *root)
{
	config_setting_t *cl = config_setting_get_member(root, "classes");
	config_setting_t *sl = config_setting_get_member(root, "prefix_sets");
	const struct ft_policy *p = c->pol;
	size_t i;

	/* the lists are in file order, so element i is class / set i */
	for (i = 0; i < p->nclasses; i++)
		if (p->classes[i].name[0] && !c->class_used[i])
			warn_at(c, config_setting_get_elem(cl, (unsigned int)i),
				"class '%s' is not used by any rule or default_class",
				p->classes[i].name);
	for (i = 0; i < p->nsets; i++)
		if (p->sets[i].name[0] && !c->set_used[i])
			warn_at(c, config_setting_get_elem(sl, (unsigned int)i),
				"prefix set '%s' is not used by any rule", p->sets[i].name);
	if (!p->nrules && p->default_class < 0 && !c->nerrors)
		report(c, c->name, 1, false,
		       "no rules and no default_class: every packet stays untagged");
}

/*
 * One interface's egress_shaping or ingress_shaping (@what, the setting
 * @g) against the classes: classes that take part need priority 1:X (X !=
 * 1: 1:1 is the tree's root class), guaranteed rates must fit into the
 * interface rate, and the classes without a rate must have some of it left
 * to share.
 */
static void check_one_shaping(struct ctx *c, const struct ft_iface *ifc, config_setting_t *g,
			      const char *what, struct ft_shaping *sh)
{
	struct ft_policy *p = c->pol;
	config_setting_t *s;
	uint64_t sum = 0;
	size_t unrated = 0, k;
	const char *v;
	int ci;

	s = config_setting_get_member(g, "default_class");
	if (s && (v = get_str(c, s))) {
		ci = find_class(p, v);
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
				report(c, c->name, cl->line, true,
				       "class '%s' has a rate but its priority is not \"1:X\" "
				       "(X from 2 to ffff): HTB on %s only sees classes under "
				       "its root 1:", cl->name, sh->ifb[0] ? sh->ifb : ifc->name);
			continue;
		}
		if (cl->ceil > sh->rate)
			report(c, c->name, cl->line, false,
			       "class '%s': ceil is above the %s rate of %s; HTB never lends "
			       "more than the interface rate", cl->name, what, ifc->name);
		if (cl->rate)
			sum += cl->rate;
		else
			unrated++;
	}
	if (sh->rate && sum > sh->rate) {
		char x[32], y[32];

		err_at(c, config_setting_get_member(g, "rate") ? config_setting_get_member(g, "rate") :
								  g,
		       "%s: the classes' guaranteed rates add up to %s, more than the "
		       "interface rate %s", sh->ifb[0] ? sh->ifb : ifc->name,
		       ft_format_rate(sum, x, sizeof(x)), ft_format_rate(sh->rate, y, sizeof(y)));
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
static void check_ifb(struct ctx *c, size_t i, config_setting_t *g)
{
	const struct ft_policy *p = c->pol;
	const struct ft_shaping *sh = &p->ifaces[i].ingress_shaping;
	config_setting_t *s = config_setting_get_member(g, "ifb");
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
	if ((other = find_iface(p, sh->ifb)) >= 0)
		err_at(c, s, "ingress_shaping: the IFB device '%s' is the policy interface of "
		       "line %d", sh->ifb, p->ifaces[other].line);
	for (k = 0; k < i; k++)
		if (p->ifaces[k].ingress_shaping.enabled &&
		    !strcmp(p->ifaces[k].ingress_shaping.ifb, sh->ifb))
			err_at(c, s, "ingress_shaping: IFB device '%s' is %s's too (line %d): name "
			       "one of them with ifb = \"...\"", sh->ifb, p->ifaces[k].name,
			       p->ifaces[k].ingress_shaping.line);
}

/* Cross-checks of egress_shaping and ingress_shaping, once classes are parsed. */
static void check_shaping(struct ctx *c, config_setting_t *root)
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
			report(c, c->name, p->classes[k].line, false,
			       "class '%s' has a rate, but no interface has egress_shaping or "
			       "ingress_shaping: it shapes nothing", p->classes[k].name);
}

static int parse_root(struct ctx *c, config_setting_t *root)
{
	static const char *const keys[] = {
		"interfaces", "mark_mask", "tc_verdict", "classes", "prefix_sets", "rules",
		"default_class", NULL,
	};
	int rc;

	check_keys(c, root, keys, "the policy");
	rc = parse_interfaces(c, root);
	if (rc)
		return rc;
	/* before classes: marks are checked against mark_mask */
	parse_scalars(c, root);
	rc = parse_classes(c, root);
	if (rc)
		return rc;
	rc = parse_sets(c, root);
	if (rc)
		return rc;
	rc = parse_rules(c, root);
	if (rc)
		return rc;
	parse_default_class(c, root);
	check_shaping(c, root);
	warn_unused(c, root);
	return 0;
}

/* libconfig's part, run by ft_lc_guard_run() */
struct lc_read {
	config_t *cfg;
	const char *text;
	bool ok;
};

static int lc_read(void *arg)
{
	struct lc_read *rd = arg;

	config_init(rd->cfg);
	rd->ok = config_read_string(rd->cfg, rd->text);
	return 0;
}

int ft_config_parse_buf(const char *buf, size_t len, const char *name, const char *dir,
			unsigned int flags, struct ft_policy *pol, struct ft_diag *diag)
{
	struct ft_policy p = { .mark_mask = 0xffffffffu, .default_class = -1 };
	struct ctx c = { .name = name ? name : "<string>", .dir = dir, .pol = &p, .diag = diag };
	struct ft_cfgtext src = { 0 };
	config_t cfg;
	struct lc_read rd = { .cfg = &cfg };
	int rc;

	c.file_flags = flags & FT_CONFIG_INSECURE_FILES ? FT_FILE_INSECURE : 0;
	c.src = &src;
	memset(&cfg, 0, sizeof(cfg));	/* config_destroy() of a zeroed config_t: no-op */
	/* libconfig only ever sees text we checked: see cfgtext.h */
	rc = ft_cfgtext_build(buf, len, c.name, dir, c.file_flags, &src, diag);
	if (rc)
		goto out;
	/* ... and cannot end the process when memory runs out: see lcguard.h */
	rd.text = src.text;
	rc = ft_lc_guard_run(lc_read, &rd);
	if (rc) {
		memset(&cfg, 0, sizeof(cfg));
		if (rc == -EPROTO)
			report(&c, c.name, 1, true,
			       "libconfig gave up on the checked policy (please report this)");
		goto out;
	}
	if (!rd.ok) {
		const struct ft_src_pos *pos = ft_cfgtext_pos(&src, config_error_line(&cfg));

		/* a bug of ours: the check above let through what libconfig refuses */
		report(&c, pos ? src.files[pos->file] : c.name, pos ? pos->line : 0, true,
		       "libconfig refused the checked policy: %s (please report this)",
		       config_error_text(&cfg));
		rc = c.oom ? -ENOMEM : -EPROTO;
		goto out;
	}
	p.file = dup_str(c.name);
	if (!p.file) {
		rc = -ENOMEM;
		goto out;
	}
	rc = parse_root(&c, config_root_setting(&cfg));
	if (!rc && c.oom)
		rc = -ENOMEM;
	if (!rc && c.nerrors)
		rc = -EINVAL;
	if (!rc) {
		*pol = p;
		memset(&p, 0, sizeof(p));
	}
out:
	free(c.class_used);
	free(c.set_used);
	ft_policy_free(&p);
	config_destroy(&cfg);
	ft_cfgtext_free(&src);
	return rc;
}

int ft_config_parse(const char *text, const char *name, const char *dir,
		    struct ft_policy *pol, struct ft_diag *diag)
{
	return ft_config_parse_buf(text, strlen(text), name, dir, 0, pol, diag);
}

int ft_config_load_flags(const char *path, unsigned int flags, struct ft_policy *pol,
			 struct ft_diag *diag)
{
	char why[PATH_MAX + 256], *text = NULL, *dir = NULL, *slash;
	size_t len;
	int rc;

	rc = ft_file_read(path, flags & FT_CONFIG_INSECURE_FILES ? FT_FILE_INSECURE : 0, &text,
			  &len, why, sizeof(why));
	if (rc) {
		if (ft_diag_add(diag, path, 0, true, "%s%s", why, perm_hint(rc)))
			rc = -ENOMEM;
		return rc;
	}

	/* relative set files and @includes resolve against the policy's directory */
	dir = dup_str(path);
	if (!dir) {
		rc = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	rc = ft_config_parse_buf(text, len, path, dir, flags, pol, diag);
out:
	free(dir);
	free(text);
	return rc;
}

int ft_config_load(const char *path, struct ft_policy *pol, struct ft_diag *diag)
{
	return ft_config_load_flags(path, 0, pol, diag);
}
