// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl stats: packets and bytes per class and per rule of the
 * active policy, read consistently across a concurrent reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "shapestats.h"

struct class_row {
	struct ft_class_info info;
	struct ft_pktcnt cnt;
};

struct rule_row {
	struct ft_rule_info info;
	struct ft_rule_name name;	/* "" without a name, or with pins that have none */
	struct ft_srcfile file;		/* the file of info.line; "" with pins that have none */
	int file_idx;			/* 0: the policy itself (ft_pinned_rule_file()) */
	struct ft_pktcnt cnt;
};

struct snapshot {
	struct ft_state st;
	struct ft_policy_hdr h;
	struct class_row *classes;
	struct rule_row *rules;
	uint32_t nclasses, nrules;
};

static void snapshot_free(struct snapshot *sn)
{
	free(sn->classes);
	free(sn->rules);
	memset(sn, 0, sizeof(*sn));
}

/* Read the active slot's classes and rules with their counters. */
static int snapshot_read(struct ft_pinned *s, struct snapshot *sn)
{
	uint32_t i;
	int err;

	err = ft_pinned_state(s, &sn->st);
	if (err)
		return err;
	if (!sn->st.generation)
		return -ENODATA;
	err = ft_pinned_policy(s, sn->st.slot & 1, &sn->h);
	if (err)
		return err;
	sn->nclasses = sn->h.nclasses < FT_MAX_CLASSES ? sn->h.nclasses : FT_MAX_CLASSES;
	sn->nrules = sn->h.nrules < FT_MAX_RULES ? sn->h.nrules : FT_MAX_RULES;
	sn->classes = calloc(sn->nclasses ? sn->nclasses : 1, sizeof(*sn->classes));
	sn->rules = calloc(sn->nrules ? sn->nrules : 1, sizeof(*sn->rules));
	if (!sn->classes || !sn->rules)
		return -ENOMEM;
	/* a class's total: its default packets, then its rules' (each packet
	 * is counted once, ft_pinned_class_counts()), from the rule counters
	 * shown below: the class lines add up to them */
	for (i = 0; i < sn->nclasses; i++) {
		err = ft_pinned_class(s, sn->st.slot & 1, i, &sn->classes[i].info);
		if (!err)
			err = ft_pinned_class_default(s, sn->st.slot & 1, i, &sn->classes[i].cnt);
		if (err)
			return err;
	}
	for (i = 0; i < sn->nrules; i++) {
		err = ft_pinned_rule(s, sn->st.slot & 1, i, &sn->rules[i].info, &sn->rules[i].cnt);
		if (err)
			return err;
		if (sn->rules[i].info.class_id < sn->nclasses)
			ft_pktcnt_add(&sn->classes[sn->rules[i].info.class_id].cnt, &sn->rules[i].cnt);
		/* pins of a version without rule names: none to show */
		if (ft_pinned_rule_name(s, sn->st.slot & 1, i, &sn->rules[i].name))
			sn->rules[i].name.name[0] = '\0';
		/* ... nor files: the rules are the policy's */
		sn->rules[i].file_idx = ft_pinned_rule_file(s, sn->st.slot & 1, i,
							    &sn->rules[i].file);
		if (sn->rules[i].file_idx < 0) {
			sn->rules[i].file_idx = 0;
			sn->rules[i].file.name[0] = '\0';
		}
	}
	return 0;
}

/*
 * A reload may flip the slot while we read: then the numbers mix two
 * policies. Read again until the generation is the same before and after.
 */
static int snapshot_take(struct ft_pinned *s, struct snapshot *sn)
{
	struct ft_state after;
	int tries, err = 0;

	for (tries = 0; tries < 5; tries++) {
		snapshot_free(sn);
		err = snapshot_read(s, sn);
		if (err)
			return err;
		err = ft_pinned_state(s, &after);
		if (err)
			return err;
		if (after.generation == sn->st.generation)
			return 0;
	}
	return -EAGAIN;
}

static const char *class_name(const struct snapshot *sn, uint32_t id)
{
	return id < sn->nclasses ? sn->classes[id].info.name : NULL;
}

static void print_stats(struct ft_out *o, const struct snapshot *sn,
			const struct ft_daemon_info *info, const struct ft_shaping_report *shr)
{
	/* the shaping columns (shapestats.h) follow when something is shaped */
	const char *cheads[16] = { "id", "class", "mark", "priority", "dscp", "packets", "bytes" };
	static const char *const rheads[] = { "rule", "name", "line", "file", "action", "class",
					      "packets", "bytes", NULL };
	const struct flowtag_meta *dm = &sn->h.default_verdict.meta;
	bool have_info = info && info->generation == sn->st.generation;
	char when[80];
	uint32_t i;

	ft_out_u64(o, "generation", NULL, sn->st.generation);
	ft_out_u64(o, "slot", NULL, sn->st.slot & 1);
	ft_out_opt_u64(o, "loaded", NULL, have_info && info->loaded, have_info ? info->loaded : 0,
		       NULL, false);
	ft_out_str(o, "policy", NULL, have_info && info->policy[0] ? info->policy : NULL);
	if (have_info && info->loaded)
		ft_out_text(o, "counters since generation %u loaded at %s%s%s", sn->st.generation,
			    ctl_format_time(info->loaded, when, sizeof(when)),
			    info->policy[0] ? " from " : "", info->policy);
	else
		ft_out_text(o, "counters since generation %u was loaded", sn->st.generation);

	for (i = 0; shr->ndevs && ft_shaping_heads[i]; i++)
		cheads[7 + i] = ft_shaping_heads[i];
	ft_out_begin_table(o, "classes", "classes", cheads);
	for (i = 0; i < sn->nclasses; i++) {
		const struct class_row *r = &sn->classes[i];

		ft_out_begin_row(o);
		ft_out_u64(o, "id", "id", i);
		ft_out_str(o, "name", "class", r->info.name);
		ft_out_hex(o, "mark", "mark", r->info.mark);
		ctl_out_priority(o, "priority", "priority", r->info.flags & FT_META_F_PRIO,
			 r->info.priority);
		ctl_out_dscp(o, "dscp", "dscp", r->info.flags & FT_META_F_DSCP, (int)r->info.dscp);
		ft_out_u64(o, "packets", "packets", r->cnt.packets);
		ft_out_u64(o, "bytes", "bytes", r->cnt.bytes);
		if (shr->ndevs)
			ft_shaping_out_cells(o, shr, r->info.flags & FT_META_F_PRIO,
					     r->info.priority);
		ft_out_end_row(o);
	}
	ft_out_end_table(o);
	ft_shaping_out_devices(o, shr);

	ft_out_begin_table(o, "rules", "rules", rheads);
	for (i = 0; i < sn->nrules; i++) {
		const struct rule_row *r = &sn->rules[i];

		ft_out_begin_row(o);
		ft_out_u64(o, "index", "rule", i);
		ft_out_str(o, "name", "name", r->name.name[0] ? r->name.name : NULL);
		ft_out_u64(o, "line", "line", r->info.line);
		/* JSON: always the file (null with pins that record none);
		 * text: only an @include'd file, "-" for the policy's own */
		ft_out_str(o, "file", "file",
			   !r->file.name[0] || (!r->file_idx && !ft_out_is_json(o)) ? NULL :
										     r->file.name);
		ft_out_str(o, "action", "action", ft_action_name(r->info.action));
		ft_out_str(o, "class", "class",
			   r->info.action == FT_ACT_CLASS ? class_name(sn, r->info.class_id) :
							    NULL);
		ft_out_u64(o, "packets", "packets", r->cnt.packets);
		ft_out_u64(o, "bytes", "bytes", r->cnt.bytes);
		ft_out_end_row(o);
	}
	ft_out_end_table(o);

	if (!(dm->flags & FT_META_F_NOTAG) && dm->class_id < sn->nclasses) {
		ft_out_str(o, "default_class", NULL, class_name(sn, dm->class_id));
		ft_out_text(o, "no rule matched: default class %s", class_name(sn, dm->class_id));
	} else {
		ft_out_str(o, "default_class", NULL, NULL);
		ft_out_text(o, "no rule matched: untagged (no default_class)");
	}
}

static int do_stats(const struct ctl *c, int argc, char **argv)
{
	struct ft_shaping_report shaping = { 0 }, *shr = &shaping;
	struct snapshot sn = { 0 };
	struct ft_daemon_info info;
	struct ctl_pins p;
	struct ft_out *o = NULL;
	bool have_info;
	int err, ret = EXIT_FAIL;

	(void)argv;
	if (argc)
		return ctl_usage_error("stats takes no arguments");
	if (ctl_open_pins(c, &p, false))
		return EXIT_FAIL;
	err = snapshot_take(&p.maps, &sn);
	if (err == -ENODATA) {
		pr_err("no policy loaded yet");
		goto out;
	} else if (err == -EAGAIN) {
		pr_err("the policy kept changing while reading the counters; try again");
		goto out;
	} else if (err) {
		pr_err("cannot read the counters: %s", strerror(-err));
		goto out;
	}
	/* only for the load time and the file name */
	have_info = !ft_pinned_info(&p.maps, &info);

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	if (ft_shaping_report_read(&p.maps, sn.st.slot & 1, shr))
		pr_warn("cannot read the shaping statistics");
	print_stats(o, &sn, have_info ? &info : NULL, shr);
	ctl_out_sets(o, p.path);
	ret = EXIT_OK;
out:
	ret = ctl_finish_output(o, ret);
	ft_shaping_report_free(shr);
	snapshot_free(&sn);
	ctl_close_pins(&p);
	return ret;
}

const struct ctl_cmd ctl_stats = {
	.name = "stats",
	.args = "",
	.summary = "packets and bytes per class and per rule",
	.run = do_stats,
};
