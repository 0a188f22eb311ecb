/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Inside the policy parser (not for other modules: config.h is the
 * interface). config.c holds the run (the context, the diagnostics, typed
 * access to settings, the top-level keys, the whole file); each part of a
 * policy has a file of its own:
 *   config_iface.c  interfaces, their shaping keys, and the shaping cross-checks
 *   config_class.c  classes and prefix sets
 *   config_rule.c   rules and their match keys
 *   config_test.c   the policy's tests (run by policytest.c)
 */
#ifndef FLOWTAG_CONFIG_PARSE_H
#define FLOWTAG_CONFIG_PARSE_H

#include <libconfig.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cfgtext.h"
#include "diag.h"
#include "policy.h"
#include "textfile.h"

/* One run of the parser over one policy. */
struct cfg_ctx {
	const char *name;		/* policy file name in messages */
	const char *dir;		/* base of relative set files; NULL: cwd */
	unsigned int file_flags;	/* FT_FILE_* for set files */
	struct ft_file_log *log;	/* every file read, for the consistency check */
	const struct ft_cfgtext *src;	/* what libconfig read, with its line map */
	struct ft_policy *pol;
	struct ft_diag *diag;
	int nerrors;			/* errors found by this run */
	bool cut;			/* a list was longer than its limit: stop the check */
	bool oom;			/* a diagnostic could not be recorded */
	bool *class_used;		/* per class: a rule or default_class names it */
	bool *set_used;			/* per set: a rule names it */
	int ndyn_used;			/* dynamic sets with set_used */
	size_t *set_order;		/* the named sets' indexes by name (cfg_find_set()) */
	size_t nset_order;
};

/* ---- diagnostics (config.c) ---- */

/* An error (counted in nerrors) or a warning at @file:@line. */
void cfg_report(struct cfg_ctx *c, const char *file, int line, bool error, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same against setting @s: its line, in the file it was written in. */
void cfg_report_at(struct cfg_ctx *c, const config_setting_t *s, bool error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define err_at(c, s, ...) cfg_report_at((c), (s), true, __VA_ARGS__)
#define warn_at(c, s, ...) cfg_report_at((c), (s), false, __VA_ARGS__)
/*
 * The line (of the policy or an @include'd file) setting @s was written at,
 * and that file: an index into ft_policy.files.
 */
int cfg_src_line(const struct cfg_ctx *c, const config_setting_t *s);
unsigned int cfg_src_file(const struct cfg_ctx *c, const config_setting_t *s);
/*
 * Line @line of file @file (an index into ft_policy.files) as a message
 * about @s names it: "line N" in @s's file, "FILE:N" in another.
 */
const char *cfg_ref(const struct cfg_ctx *c, const config_setting_t *s, unsigned int file, int line,
		    char *buf, size_t len);
/* Room for what cfg_ref() writes. */
#define CFG_REF_LEN (PATH_MAX + 32)

/* ---- typed access to settings (config.c); -EINVAL after reporting ---- */

char *cfg_dup_str(const char *s);
const char *cfg_key_of(const config_setting_t *s);
void cfg_wrong_type(struct cfg_ctx *c, const config_setting_t *s, const char *want);
bool cfg_is_int(const config_setting_t *s);
bool cfg_is_seq(const config_setting_t *s);
void cfg_check_keys(struct cfg_ctx *c, const config_setting_t *grp, const char *const *keys,
		    const char *where);
const char *cfg_get_str(struct cfg_ctx *c, const config_setting_t *s);
int cfg_get_int_in(struct cfg_ctx *c, const config_setting_t *s, long long lo, long long hi,
		   long long *out);
int cfg_get_u32(struct cfg_ctx *c, const config_setting_t *s, uint32_t *out);
int cfg_get_rate(struct cfg_ctx *c, const config_setting_t *s, uint64_t *out);
int cfg_get_size(struct cfg_ctx *c, const config_setting_t *s, uint32_t *out);
int cfg_get_dscp(struct cfg_ctx *c, const config_setting_t *s, int *out);
int cfg_seq_len(struct cfg_ctx *c, const config_setting_t *s);
config_setting_t *cfg_seq_elem(config_setting_t *s, int i);
config_setting_t *cfg_group_list(struct cfg_ctx *c, config_setting_t *root, const char *key);
/* Index of the class, prefix set or interfaces entry named @name, or -1. */
int cfg_find_class(const struct ft_policy *p, const char *name);
/* (sets: by name, once cfg_parse_sets() has sorted them: a policy may have 10^5) */
int cfg_find_set(const struct cfg_ctx *c, const char *name);
int cfg_find_iface(const struct ft_policy *p, const char *name);
bool cfg_has_ctrl(const char *s);
/*
 * Whether @v will do as the name of a @what ("class", "rule", ...): not
 * empty, no control character, shorter than @size; else says so at @s.
 */
bool cfg_check_name(struct cfg_ctx *c, const config_setting_t *s, const char *what,
		    const char *v, size_t size);
const char *cfg_perm_hint(int rc);

/*
 * Whether list @l (of @n elements) may have element @i: past @max (the
 * language's limit for @what) it may not, and the check stops there, at
 * @l's element @max: the elements after it are not read (each would be
 * compared with all before it), and what comes after the list would be
 * checked against a list cut short.
 */
bool cfg_list_room(struct cfg_ctx *c, config_setting_t *l, int n, int i, int max,
		   const char *what);

/* ---- the parts of a policy; each returns 0 or -ENOMEM ---- */

int cfg_parse_interfaces(struct cfg_ctx *c, config_setting_t *root);	/* config_iface.c */
void cfg_check_shaping(struct cfg_ctx *c, config_setting_t *root);	/* config_iface.c */
int cfg_parse_classes(struct cfg_ctx *c, config_setting_t *root);	/* config_class.c */
int cfg_parse_sets(struct cfg_ctx *c, config_setting_t *root);		/* config_class.c */
int cfg_parse_rules(struct cfg_ctx *c, config_setting_t *root);		/* config_rule.c */
int cfg_parse_tests(struct cfg_ctx *c, config_setting_t *root);		/* config_test.c */

#endif /* FLOWTAG_CONFIG_PARSE_H */
