// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy file -> struct ft_policy (libconfig): the run, its diagnostics,
 * typed access to settings and the top-level keys here; the interfaces,
 * classes and prefix sets, rules in config_iface.c, config_class.c,
 * config_rule.c (config_parse.h).
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
 *  - flow_cache = "auto" (default) | "on" | "off": whether the programs
 *    keep a per-flow verdict cache; "auto" lets the compiler weigh the
 *    classifier's cost against a cache miss (ft_flow_cache_choose()).
 *  - Missing top-level keys are reported at line 1, the only line that
 *    exists in every file.
 *  - A prefix set file reports at most FT_SET_FILE_MAX_ERRORS errors, then
 *    gives up on that file (setfile.h).
 *  - @include "FILE" works and, like a prefix set file, a relative FILE is
 *    relative to the policy's directory, an absolute one is itself;
 *    messages about included settings name the included file, and so do
 *    the rules, classes, sets and interfaces (ft_rule.src_file and .line: a
 *    line of that file); a message that refers to another place says
 *    "line N" in the same file, "FILE:N" in another (ft_policy_ref()).
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "cfgtext.h"
#include "config.h"
#include "config_parse.h"
#include "lcguard.h"
#include "setfile.h"
#include "strparse.h"
#include "textfile.h"

/* ---- diagnostics ---------------------------------------------------- */

void cfg_report(struct cfg_ctx *c, const char *file, int line, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ft_diag_vadd(c->diag, file, line, error, fmt, ap))
		c->oom = true;
	va_end(ap);
	if (error)
		c->nerrors++;
}

/*
 * Where setting @s was written: its file (the policy or an @include'd one:
 * its name, its index in the text's files) and line.
 */
static int src_pos(const struct cfg_ctx *c, const config_setting_t *s, const char **file,
		   unsigned int *idx)
{
	const struct ft_src_pos *pos = ft_cfgtext_pos(c->src, (int)config_setting_source_line(s));

	if (!pos) {
		*file = c->name;
		*idx = 0;
		return (int)config_setting_source_line(s);
	}
	*file = c->src->files[pos->file];
	*idx = pos->file;
	return pos->line;
}

int cfg_src_line(const struct cfg_ctx *c, const config_setting_t *s)
{
	const char *file;
	unsigned int idx;

	return src_pos(c, s, &file, &idx);
}

unsigned int cfg_src_file(const struct cfg_ctx *c, const config_setting_t *s)
{
	const char *file;
	unsigned int idx;

	src_pos(c, s, &file, &idx);
	return idx;
}

const char *cfg_ref(const struct cfg_ctx *c, const config_setting_t *s, unsigned int file, int line,
		    char *buf, size_t len)
{
	const char *here;
	unsigned int idx;

	src_pos(c, s, &here, &idx);
	return ft_policy_ref(c->pol, here, file, line, buf, len);
}

/* Report against a setting: its line, in the file it was written in. */
void cfg_report_at(struct cfg_ctx *c, const config_setting_t *s, bool error, const char *fmt, ...)
{
	const char *file;
	unsigned int idx;
	int line = src_pos(c, s, &file, &idx);
	va_list ap;

	va_start(ap, fmt);
	if (ft_diag_vadd(c->diag, file, line, error, fmt, ap))
		c->oom = true;
	va_end(ap);
	if (error)
		c->nerrors++;
}

/* ---- typed access to settings --------------------------------------- */

/*
 * strdup(3) through our own malloc(): glibc's strdup allocates inside libc,
 * where the out-of-memory tests' --wrap=malloc (tests/unit/test_config.c)
 * cannot reach it.
 */
char *cfg_dup_str(const char *s)
{
	char *p = malloc(strlen(s) + 1);

	return p ? strcpy(p, s) : NULL;
}

/* The key a setting belongs to: its own name, or its list's. */
const char *cfg_key_of(const config_setting_t *s)
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

void cfg_wrong_type(struct cfg_ctx *c, const config_setting_t *s, const char *want)
{
	err_at(c, s, "'%s' must be %s, not %s", cfg_key_of(s), want, type_name(s));
}

bool cfg_is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

bool cfg_is_seq(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

/* Report every member of @grp whose name is not in @keys (NULL-terminated). */
void cfg_check_keys(struct cfg_ctx *c, const config_setting_t *grp, const char *const *keys,
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

const char *cfg_get_str(struct cfg_ctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_wrong_type(c, s, "a string");
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
int cfg_get_int_in(struct cfg_ctx *c, const config_setting_t *s, long long lo, long long hi,
		      long long *out)
{
	long long v;

	if (!cfg_is_int(s)) {
		cfg_wrong_type(c, s, "an integer");
		return -EINVAL;
	}
	v = int_value(s);
	if (v < lo || v > hi) {
		err_at(c, s, "%s %lld out of range (%lld..%lld)", cfg_key_of(s), v, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A 32-bit unsigned value; see the libconfig 1.5 note at the top. */
int cfg_get_u32(struct cfg_ctx *c, const config_setting_t *s, uint32_t *out)
{
	long long v;

	if (!cfg_is_int(s)) {
		cfg_wrong_type(c, s, "an integer");
		return -EINVAL;
	}
	v = int_value(s);
	if (v < 0 || v > UINT32_MAX) {
		err_at(c, s,
		       "'%s' must be between 0 and 0xffffffff (write values above 2147483647 in hex)",
		       cfg_key_of(s));
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
int cfg_seq_len(struct cfg_ctx *c, const config_setting_t *s)
{
	int n;

	if (!cfg_is_seq(s))
		return 1;
	n = config_setting_length(s);
	if (!n)
		err_at(c, s, "'%s' is an empty list: it would match nothing", cfg_key_of(s));
	return n ? n : -1;
}

config_setting_t *cfg_seq_elem(config_setting_t *s, int i)
{
	return cfg_is_seq(s) ? config_setting_get_elem(s, (unsigned int)i) : s;
}

/* A setting that must be a list of groups; NULL (nothing to do) otherwise. */
config_setting_t *cfg_group_list(struct cfg_ctx *c, config_setting_t *root, const char *key)
{
	config_setting_t *l = config_setting_get_member(root, key);

	if (l && config_setting_type(l) != CONFIG_TYPE_LIST) {
		cfg_wrong_type(c, l, "a list of groups: ( { ... }, { ... } )");
		return NULL;
	}
	return l;
}

/*
 * Index of the entry named @name among the @n entries of @size bytes at
 * @v, each of which begins with its name (a char array; "" never matches).
 */
static int find_named(const void *v, size_t n, size_t size, const char *name)
{
	const char *e = v;
	size_t i;

	for (i = 0; i < n; i++, e += size)
		if (e[0] && !strcmp(e, name))
			return (int)i;
	return -1;
}

_Static_assert(offsetof(struct ft_class, name) == 0, "find_named() reads the name first");
_Static_assert(offsetof(struct ft_prefix_set, name) == 0, "find_named() reads the name first");
_Static_assert(offsetof(struct ft_iface, name) == 0, "find_named() reads the name first");

int cfg_find_class(const struct ft_policy *p, const char *name)
{
	return find_named(p->classes, p->nclasses, sizeof(*p->classes), name);
}

int cfg_find_set(const struct cfg_ctx *c, const char *name)
{
	const struct ft_prefix_set *sets = c->pol->sets;
	size_t lo = 0, hi = c->nset_order;
	int cmp;

	if (!c->set_order)
		return find_named(sets, c->pol->nsets, sizeof(*sets), name);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		cmp = strcmp(name, sets[c->set_order[mid]].name);
		if (!cmp)
			return (int)c->set_order[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int cfg_find_iface(const struct ft_policy *p, const char *name)
{
	return find_named(p->ifaces, p->nifaces, sizeof(*p->ifaces), name);
}

/* Names end up in flowtagctl's tables and in logs: one line, no escapes. */
bool cfg_has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return true;
	return false;
}

bool cfg_check_name(struct cfg_ctx *c, const config_setting_t *s, const char *what,
		    const char *v, size_t size)
{
	if (!*v)
		err_at(c, s, "empty %s name", what);
	else if (cfg_has_ctrl(v))
		err_at(c, s, "%s name '%s' contains a control character", what, v);
	else if (strlen(v) >= size)
		err_at(c, s, "%s name '%s' is longer than %zu characters", what, v, size - 1);
	else
		return true;
	return false;
}

bool cfg_list_room(struct cfg_ctx *c, config_setting_t *l, int n, int i, int max,
		   const char *what)
{
	if (i < max)
		return true;
	err_at(c, config_setting_get_elem(l, (unsigned int)i),
	       "too many %s (%d; at most %d): the check stops here", what, n, max);
	c->cut = true;
	return false;
}

/* A rate setting: tc notation in a string ("100mbit"). */
int cfg_get_rate(struct cfg_ctx *c, const config_setting_t *s, uint64_t *out)
{
	char err[256];
	const char *v = cfg_get_str(c, s);

	if (!v)
		return -EINVAL;
	if (ft_parse_rate(v, out, err, sizeof(err))) {
		err_at(c, s, "%s", err);
		return -EINVAL;
	}
	return 0;
}

/* A size setting: a string in tc notation ("15k") or an integer of bytes. */
int cfg_get_size(struct cfg_ctx *c, const config_setting_t *s, uint32_t *out)
{
	char err[256];
	const char *v;

	if (cfg_is_int(s))
		return cfg_get_u32(c, s, out) ? -EINVAL :
						(*out ? 0 : (err_at(c, s, "size 0"), -EINVAL));
	v = cfg_get_str(c, s);
	if (!v)
		return -EINVAL;
	if (ft_parse_size(v, out, err, sizeof(err))) {
		err_at(c, s, "%s", err);
		return -EINVAL;
	}
	return 0;
}

/* A DSCP given as a name, a number string or an integer. */
int cfg_get_dscp(struct cfg_ctx *c, const config_setting_t *s, int *out)
{
	char err[256];
	long long v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (ft_parse_dscp(config_setting_get_string(s), out, err, sizeof(err))) {
			err_at(c, s, "%s: %s", cfg_key_of(s), err);
			return -EINVAL;
		}
		return 0;
	}
	if (!cfg_is_int(s)) {
		cfg_wrong_type(c, s, "a DSCP name or 0..63");
		return -EINVAL;
	}
	if (cfg_get_int_in(c, s, 0, 63, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* The " (see ...)" hint for a file refused for its owner or mode. */
const char *cfg_perm_hint(int rc)
{
	return rc == -EPERM ? " (see 'File permissions' in flowtag.conf(5))" : "";
}

/* ---- top-level scalars ---------------------------------------------- */

static void parse_scalars(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *s;
	const char *v;

	s = config_setting_get_member(root, "mark_mask");
	if (s)
		cfg_get_u32(c, s, &c->pol->mark_mask);

	s = config_setting_get_member(root, "tc_verdict");
	if (s && (v = cfg_get_str(c, s))) {
		if (!strcmp(v, "continue"))
			c->pol->tc_ok = false;
		else if (!strcmp(v, "ok"))
			c->pol->tc_ok = true;
		else
			err_at(c, s, "bad tc_verdict '%s' (expected \"continue\" or \"ok\")", v);
	}

	s = config_setting_get_member(root, "flow_cache");
	if (s && (v = cfg_get_str(c, s))) {
		if (!strcmp(v, "auto"))
			c->pol->flow_cache = FT_FLOW_CACHE_AUTO;
		else if (!strcmp(v, "on"))
			c->pol->flow_cache = FT_FLOW_CACHE_ON;
		else if (!strcmp(v, "off"))
			c->pol->flow_cache = FT_FLOW_CACHE_OFF;
		else
			err_at(c, s, "bad flow_cache '%s' (expected \"auto\", \"on\" or \"off\")", v);
	}
}

/* ---- the whole file ------------------------------------------------- */

static void parse_default_class(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *s = config_setting_get_member(root, "default_class");
	const char *v;

	if (!s || !(v = cfg_get_str(c, s)))
		return;
	c->pol->default_class = cfg_find_class(c->pol, v);
	if (c->pol->default_class < 0)
		err_at(c, s, "unknown default_class '%s'", v);
	else
		c->class_used[c->pol->default_class] = true;
}

static void warn_unused(struct cfg_ctx *c, config_setting_t *root)
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
		cfg_report(c, c->name, 1, false,
		       "no rules and no default_class: every packet stays untagged");
}

/*
 * One interface's egress_shaping or ingress_shaping (@what, the setting
 * @g) against the classes: classes that take part need priority 1:X (X !=
 * 1: 1:1 is the tree's root class), guaranteed rates must fit into the
 * interface rate, and the classes without a rate must have some of it left
 * to share.
 */
static int parse_root(struct cfg_ctx *c, config_setting_t *root)
{
	static const char *const keys[] = {
		"interfaces", "mark_mask", "tc_verdict", "flow_cache", "classes", "prefix_sets", "rules",
		"default_class", "tests", NULL,
	};
	int rc;

	cfg_check_keys(c, root, keys, "the policy");
	rc = cfg_parse_interfaces(c, root);
	if (rc || c->cut)
		return rc;
	/* before classes: marks are checked against mark_mask */
	parse_scalars(c, root);
	rc = cfg_parse_classes(c, root);
	if (rc || c->cut)
		return rc;
	rc = cfg_parse_sets(c, root);
	if (rc || c->cut)
		return rc;
	rc = cfg_parse_rules(c, root);
	if (rc || c->cut)
		return rc;
	parse_default_class(c, root);
	rc = cfg_parse_tests(c, root);
	if (rc)
		return rc;
	cfg_check_shaping(c, root);
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

/* One read of a policy and every file it names, recorded in @log. */
static int parse_once(const char *buf, size_t len, const char *name, const char *dir,
		      unsigned int flags, struct ft_file_log *log, struct ft_policy *pol,
		      struct ft_diag *diag)
{
	struct ft_policy p = { .mark_mask = 0xffffffffu, .default_class = -1 };
	struct cfg_ctx c = { .name = name, .dir = dir, .log = log, .pol = &p, .diag = diag };
	struct ft_cfgtext src = { 0 };
	config_t cfg;
	struct lc_read rd = { .cfg = &cfg };
	int rc;

	c.file_flags = flags & FT_CONFIG_INSECURE_FILES ? FT_FILE_INSECURE : 0;
	c.src = &src;
	memset(&cfg, 0, sizeof(cfg));	/* config_destroy() of a zeroed config_t: no-op */
	/* libconfig only ever sees text we checked: see cfgtext.h */
	rc = ft_cfgtext_build(buf, len, c.name, dir, c.file_flags, log, &src, diag);
	if (rc)
		goto out;
	/* ... and cannot end the process when memory runs out: see lcguard.h */
	rd.text = src.text;
	rc = ft_lc_guard_run(lc_read, &rd);
	if (rc) {
		memset(&cfg, 0, sizeof(cfg));
		if (rc == -EPROTO)
			cfg_report(&c, c.name, 1, true,
				   "libconfig gave up on the checked policy (please report this)");
		goto out;
	}
	if (!rd.ok) {
		const struct ft_src_pos *pos = ft_cfgtext_pos(&src, config_error_line(&cfg));

		/* a bug of ours: the check above let through what libconfig refuses */
		cfg_report(&c, pos ? src.files[pos->file] : c.name, pos ? pos->line : 0, true,
			   "libconfig refused the checked policy: %s (please report this)",
			   config_error_text(&cfg));
		rc = c.oom ? -ENOMEM : -EPROTO;
		goto out;
	}
	p.file = cfg_dup_str(c.name);
	if (!p.file) {
		rc = -ENOMEM;
		goto out;
	}
	/* the files the policy's parts name (ft_rule.src_file ...): the text's own */
	p.files = calloc(src.nfiles, sizeof(*p.files));
	if (!p.files) {
		rc = -ENOMEM;
		goto out;
	}
	for (p.nfiles = 0; p.nfiles < src.nfiles; p.nfiles++) {
		p.files[p.nfiles] = cfg_dup_str(src.files[p.nfiles]);
		if (!p.files[p.nfiles]) {
			rc = -ENOMEM;
			goto out;
		}
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
	free(c.set_order);
	ft_policy_free(&p);
	config_destroy(&cfg);
	ft_cfgtext_free(&src);
	return rc;
}

/* Where a policy comes from: the file @path, or the text @buf, @len. */
struct load_src {
	const char *path;
	const char *buf;
	size_t len;
	const char *name;	/* in messages */
	const char *dir;	/* of relative @includes and set files */
	unsigned int flags;
};

/* parse_once() of @s, reading the policy file itself first when it is one. */
static int load_once(const struct load_src *s, struct ft_file_log *log, struct ft_policy *pol,
		     struct ft_diag *diag)
{
	char why[PATH_MAX + 256], *text = NULL;
	size_t len;
	int rc;

	if (!s->path)
		return parse_once(s->buf, s->len, s->name, s->dir, s->flags, log, pol, diag);
	rc = ft_file_read_logged(s->path,
				 s->flags & FT_CONFIG_INSECURE_FILES ? FT_FILE_INSECURE : 0, log,
				 &text, &len, why, sizeof(why));
	if (rc) {
		if (ft_diag_add(diag, s->path, 0, true, "%s%s", why, cfg_perm_hint(rc)))
			rc = -ENOMEM;
		return rc;
	}
	rc = parse_once(text, len, s->path, s->dir, s->flags, log, pol, diag);
	if (!rc) {
		/* the first file read is the policy itself */
		pol->file_ino = (uint64_t)log->recs[0].id.ino;
		pol->file_mtime = (int64_t)log->recs[0].id.mtime.tv_sec;
	}
	free(text);
	return rc;
}

/* Hand the diagnostics of the read that counts (@from) to the caller's @to. */
static int diag_take(struct ft_diag *to, struct ft_diag *from)
{
	size_t i;
	int rc = 0;

	if (!to->nentries && !to->text) {
		*to = *from;
		memset(from, 0, sizeof(*from));
		return 0;
	}
	for (i = 0; i < from->nentries && !rc; i++) {
		const struct ft_diag_entry *e = &from->entries[i];

		rc = ft_diag_add(to, e->file, e->line, e->severity == FT_SEVERITY_ERROR, "%s",
				 e->message);
	}
	ft_diag_free(from);
	return rc;
}

/*
 * load_once() until every file it read was still the file read once all
 * of them were: a policy is made of one version of its files, never of a
 * main file from before a change (a ConfigMap's `..data` swapped, a file
 * renamed over) and an @include or a set file from after it. The
 * diagnostics are those of that read alone.
 */
static int load(const struct load_src *s, struct ft_policy *pol, struct ft_diag *diag)
{
	char changed[PATH_MAX + 1];
	int rc, n;

	for (n = 1;; n++) {
		struct ft_policy p = { .default_class = -1 };
		struct ft_file_log log = { 0 };
		struct ft_diag d = { 0 };
		const char *ch;

		rc = load_once(s, &log, &p, &d);
		/* out of memory: no version of the files could be read */
		ch = rc == -ENOMEM ? NULL : ft_file_log_changed(&log);
		if (ch)
			snprintf(changed, sizeof(changed), "%s", ch);
		ft_file_log_free(&log);
		if (!ch) {
			if (diag_take(diag, &d)) {
				ft_policy_free(&p);
				return -ENOMEM;
			}
			if (!rc)
				*pol = p;
			return rc;
		}
		ft_policy_free(&p);
		ft_diag_free(&d);
		if (n == FT_CONFIG_READS)
			break;
		/* an editor's write in place may still be going on: let it end */
		nanosleep(&(struct timespec){ .tv_nsec = n * 10 * 1000 * 1000 }, NULL);
	}
	if (ft_diag_add(diag, s->name, 0, true,
			"policy files changed while being read: %s (%d reads in a row; "
			"nothing was loaded from them)", changed, FT_CONFIG_READS))
		return -ENOMEM;
	return -EAGAIN;
}

int ft_config_parse_buf(const char *buf, size_t len, const char *name, const char *dir,
			unsigned int flags, struct ft_policy *pol, struct ft_diag *diag)
{
	const struct load_src s = {
		.buf = buf, .len = len, .name = name ? name : "<string>", .dir = dir, .flags = flags
	};

	return load(&s, pol, diag);
}

int ft_config_parse(const char *text, const char *name, const char *dir,
		    struct ft_policy *pol, struct ft_diag *diag)
{
	return ft_config_parse_buf(text, strlen(text), name, dir, 0, pol, diag);
}

int ft_config_load_flags(const char *path, unsigned int flags, struct ft_policy *pol,
			 struct ft_diag *diag)
{
	struct load_src s = { .path = path, .name = path, .flags = flags };
	char *dir, *slash;
	int rc;

	/* relative set files and @includes resolve against the policy's directory */
	dir = cfg_dup_str(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	s.dir = dir;
	rc = load(&s, pol, diag);
	free(dir);
	return rc;
}

int ft_config_load(const char *path, struct ft_policy *pol, struct ft_diag *diag)
{
	return ft_config_load_flags(path, 0, pol, diag);
}
