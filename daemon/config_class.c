// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy's classes and prefix sets (config_parse.h).
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

/* ---- classes -------------------------------------------------------- */

static void parse_class(struct cfg_ctx *c, config_setting_t *g, size_t idx, bool *have_mark)
{
	static const char *const keys[] = { "name", "mark", "priority", "dscp", "rate", "ceil",
					    "burst", "quantum", NULL };
	struct ft_class *cl = &c->pol->classes[idx];
	config_setting_t *s;
	char err[256], ref[CFG_REF_LEN];
	const char *v;
	size_t j;
	int dup;

	cfg_check_keys(c, g, keys, "class");
	cl->line = cfg_src_line(c, g);
	cl->src_file = cfg_src_file(c, g);
	cl->dscp = -1;

	s = config_setting_get_member(g, "name");
	if (!s) {
		err_at(c, g, "class has no 'name'");
	} else if ((v = cfg_get_str(c, s)) && cfg_check_name(c, s, "class", v, FT_NAME_LEN)) {
		if ((dup = cfg_find_class(c->pol, v)) >= 0)
			err_at(c, s, "duplicate class '%s' (first defined at %s)", v,
			       cfg_ref(c, s, c->pol->classes[dup].src_file,
				       c->pol->classes[dup].line, ref, sizeof(ref)));
		else
			strcpy(cl->name, v);
	}

	s = config_setting_get_member(g, "mark");
	if (!s) {
		err_at(c, g, "class%s%s%s has no 'mark'", cl->name[0] ? " '" : "", cl->name,
		       cl->name[0] ? "'" : "");
	} else if (!cfg_get_u32(c, s, &cl->mark)) {
		if (cl->mark & ~c->pol->mark_mask) {
			err_at(c, s, "class '%s': mark 0x%x is outside mark_mask 0x%08x", cl->name,
			       cl->mark, c->pol->mark_mask);
		} else {
			for (j = 0; j < idx; j++)
				if (have_mark[j] && c->pol->classes[j].mark == cl->mark)
					break;
			if (j < idx)
				err_at(c, s,
				       "class '%s' has the same mark 0x%x as class '%s' (%s): egress restore could not tell them apart",
				       cl->name, cl->mark, c->pol->classes[j].name,
				       cfg_ref(c, s, c->pol->classes[j].src_file,
					       c->pol->classes[j].line, ref, sizeof(ref)));
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
		} else if (cfg_is_int(s)) {
			if (!cfg_get_u32(c, s, &cl->priority))
				cl->has_priority = true;
		} else {
			cfg_wrong_type(c, s, "a tc class id string (\"1:10\") or an integer");
		}
	}

	s = config_setting_get_member(g, "dscp");
	if (s)
		cfg_get_dscp(c, s, &cl->dscp);

	/* shaping: checked against the interfaces in cfg_check_shaping() */
	if ((s = config_setting_get_member(g, "rate")))
		cfg_get_rate(c, s, &cl->rate);
	if ((s = config_setting_get_member(g, "ceil")))
		cfg_get_rate(c, s, &cl->ceil);
	if ((s = config_setting_get_member(g, "burst")))
		cfg_get_size(c, s, &cl->burst);
	if ((s = config_setting_get_member(g, "quantum")))
		cfg_get_size(c, s, &cl->quantum);
	if (cl->rate && cl->ceil && cl->ceil < cl->rate)
		err_at(c, config_setting_get_member(g, "ceil"),
		       "class '%s': ceil is below its rate", cl->name);
}

int cfg_parse_classes(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *l = cfg_group_list(c, root, "classes");
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

		if (!cfg_list_room(c, l, n, i, FT_MAX_CLASSES, "classes"))
			break;
		c->pol->nclasses = (size_t)i + 1;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_wrong_type(c, g,
				       "a list of groups: ( { name = ...; mark = ...; }, ... )");
			c->pol->classes[i].dscp = -1;
			continue;
		}
		parse_class(c, g, (size_t)i, have_mark);
	}
	free(have_mark);
	return 0;
}

/* ---- prefix sets ---------------------------------------------------- */

/*
 * A prefix set's file: read whole (or it is an error, never a shorter set),
 * errors in it as SETFILE:LINE, problems with the file itself at the line
 * of the policy that names it.
 */
static int load_set_file(struct cfg_ctx *c, struct ft_prefix_set *set, const config_setting_t *fs)
{
	char why[PATH_MAX + 256];
	int rc, nerrors0 = c->diag->nerrors;
	size_t len;
	char *buf;

	rc = ft_file_read_logged(set->file, c->file_flags, c->log, &buf, &len, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		err_at(c, fs, "prefix set '%s': %s%s", set->name, why, cfg_perm_hint(rc));
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
		return cfg_dup_str(path);
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

static int parse_inline_set(struct cfg_ctx *c, struct ft_prefix_set *set, config_setting_t *s)
{
	char err[256];
	int i, n;

	if (!cfg_is_seq(s)) {
		cfg_wrong_type(c, s, "an array of prefix strings: [ \"10.0.0.0/8\", ... ]");
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
		const char *v = cfg_get_str(c, e);

		if (!v)
			continue;
		if (ft_parse_prefix(v, &set->pfx[set->npfx], err, sizeof(err)))
			err_at(c, e, "prefixes: %s", err);
		else
			set->npfx++;
	}
	return 0;
}

/* dynamic = true; size = N; timeout = SECONDS; (size and timeout need dynamic) */
static void parse_dynamic(struct cfg_ctx *c, config_setting_t *g, struct ft_prefix_set *set)
{
	config_setting_t *s = config_setting_get_member(g, "dynamic");
	long long v;

	if (s) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_wrong_type(c, s, "a boolean (true or false)");
		else
			set->dynamic = config_setting_get_bool(s);
	}
	set->size = FT_SET_DEFAULT_SIZE;
	s = config_setting_get_member(g, "size");
	if (s) {
		if (!set->dynamic)
			err_at(c, s, "prefix set '%s': 'size' needs dynamic = true", set->name);
		else if (!cfg_get_int_in(c, s, 1, FT_SET_MAX_SIZE, &v))
			set->size = (uint32_t)v;
	}
	s = config_setting_get_member(g, "timeout");
	if (s) {
		if (!set->dynamic)
			err_at(c, s, "prefix set '%s': 'timeout' needs dynamic = true", set->name);
		else if (!cfg_get_int_in(c, s, 0, FT_SET_MAX_TIMEOUT, &v))
			set->timeout = (uint64_t)v;
	}
}

static int parse_set(struct cfg_ctx *c, config_setting_t *g, size_t idx)
{
	static const char *const keys[] = { "name", "file", "prefixes", "dynamic", "size",
					    "timeout", NULL };
	struct ft_prefix_set *set = &c->pol->sets[idx];
	config_setting_t *s, *fs, *ps;
	int rc = 0, nerrors0 = c->nerrors;
	const char *v;

	cfg_check_keys(c, g, keys, "prefix set");
	set->line = cfg_src_line(c, g);
	set->src_file = cfg_src_file(c, g);

	s = config_setting_get_member(g, "name");
	if (!s) {
		err_at(c, g, "prefix set has no 'name'");
	} else if ((v = cfg_get_str(c, s))) {
		/* '@' after the empty and control checks, before the length */
		if (v[0] == '@' && !cfg_has_ctrl(v))
			err_at(c, s,
			       "prefix set name '%s' must not start with '@' (rules write \"@%s\" to refer to \"%s\")",
			       v, v + 1, v + 1);
		else if (cfg_check_name(c, s, "prefix set", v, FT_SET_NAME_LEN))
			strcpy(set->name, v); /* given twice: see sort_set_names() */
	}

	parse_dynamic(c, g, set);
	fs = config_setting_get_member(g, "file");
	ps = config_setting_get_member(g, "prefixes");
	if (fs && ps) {
		err_at(c, g, "prefix set '%s' has both 'file' and 'prefixes'", set->name);
	} else if (!fs && !ps && set->dynamic) {
		/* a dynamic set may start empty: flowtagctl set add fills it */
	} else if (!fs && !ps) {
		err_at(c, g, "prefix set '%s' has neither 'file' nor 'prefixes'", set->name);
	} else if (fs) {
		v = cfg_get_str(c, fs);
		if (v) {
			set->file = resolve_path(c->dir, v);
			if (!set->file)
				return -ENOMEM;
			rc = load_set_file(c, set, fs);
		}
	} else {
		rc = parse_inline_set(c, set, ps);
	}
	if (!rc && set->dynamic && set->npfx > set->size)
		err_at(c, g, "prefix set '%s': %zu initial prefixes, more than its size %u",
		       set->name, set->npfx, set->size);
	/* an empty set makes "@set" match nothing: legal, but rarely meant */
	if (!rc && (fs || ps) && !set->dynamic && !set->npfx && c->nerrors == nerrors0)
		warn_at(c, g, "prefix set '%s' is empty: rules naming it match nothing", set->name);
	return rc;
}

static const struct ft_prefix_set *sorting; /* for set_cmp() */

/* By name, then by place in the file. */
static int set_cmp(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int cmp = strcmp(sorting[i].name, sorting[j].name);

	return cmp ? cmp : (i > j) - (i < j);
}

/*
 * Sort the named sets of the list @l by name, for cfg_find_set(), and
 * refuse a name given twice: the sets after the first with it, in file
 * order, lose it. (Comparing each name with all before it took minutes for
 * 10^5 sets.)
 */
static int sort_set_names(struct cfg_ctx *c, config_setting_t *l)
{
	struct ft_prefix_set *sets = c->pol->sets;
	size_t i, n = 0, k = 0, first = 0;
	char ref[CFG_REF_LEN];

	c->set_order = calloc(c->pol->nsets, sizeof(*c->set_order));
	if (!c->set_order)
		return -ENOMEM;
	for (i = 0; i < c->pol->nsets; i++)
		if (sets[i].name[0])
			c->set_order[n++] = i;
	sorting = sets;
	qsort(c->set_order, n, sizeof(*c->set_order), set_cmp);
	for (i = 0; i < n; i++) {
		size_t s = c->set_order[i];
		config_setting_t *ns;

		if (k && !strcmp(sets[s].name, sets[first].name)) {
			ns = config_setting_get_member(config_setting_get_elem(l, (unsigned int)s),
						       "name");
			err_at(c, ns, "duplicate prefix set '%s' (first defined at %s)",
			       sets[s].name,
			       cfg_ref(c, ns, sets[first].src_file, sets[first].line, ref,
				       sizeof(ref)));
			sets[s].name[0] = '\0';
			continue;
		}
		first = s;
		c->set_order[k++] = s;
	}
	c->nset_order = k;
	return 0;
}

int cfg_parse_sets(struct cfg_ctx *c, config_setting_t *root)
{
	config_setting_t *l = cfg_group_list(c, root, "prefix_sets");
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
			cfg_wrong_type(c, g,
				       "a list of groups: ( { name = ...; file = ...; }, ... )");
			continue;
		}
		rc = parse_set(c, g, (size_t)i);
		if (rc)
			return rc;
	}
	return sort_set_names(c, l);
}
