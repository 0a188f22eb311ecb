// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl set: change and show the dynamic prefix sets while packets
 * flow (flowtag/maps.h, dynset.h). Every change holds the lock of
 * PIN_DIR/sets and is published (grace period, then the set epoch) before
 * the command returns: the next packet sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "diag.h"
#include "dynset.h"
#include "log.h"
#include "setargs.h"
#include "setfile.h"
#include "strparse.h"
#include "textfile.h"

#define NS_PER_SEC	1000000000ull

static void set_help(FILE *f, const char *prog)
{
	fprintf(f,
		"set: the dynamic prefix sets (prefix_sets entries with dynamic = true)\n"
		"  %s set add NAME PREFIX... [timeout SECONDS]\n"
		"  %s set add NAME -f FILE [timeout SECONDS]   one prefix a line, # comments\n"
		"  %s set del NAME PREFIX...  |  set del NAME -f FILE\n"
		"  %s set list NAME           elements with the seconds they have left\n"
		"  %s set flush NAME\n"
		"  A change is in force for the next packet; it survives reloads and restarts.\n"
		"  timeout 0 = never; without timeout, the set's own timeout applies.\n"
		"  Re-adding an element sets its timeout anew.\n",
		prog, prog, prog, prog, prog);
}

/*
 * Where the pins are: the running daemon's (through /proc/PID/root if need
 * be), else --pin-dir. Returns 0, or -EPROTO for pins of another flowtag
 * version (ctl_open_pins() said so), whose sets this build must not write.
 */
static int pin_dir_of(const struct ctl *c, char *buf, size_t len)
{
	struct ctl_pins p = { 0 };
	int err = ctl_open_pins(c, &p, true);

	if (!err) {
		snprintf(buf, len, "%s", p.path);
		ctl_close_pins(&p);
		return 0;
	}
	snprintf(buf, len, "%s", c->pin_dir);
	return err == -EPROTO ? err : 0;
}

/* The prefixes of -f FILE (errors as FILE:LINE on stderr). */
static int read_file(const struct ctl *c, const char *file, struct ft_prefix **pfx, size_t *n)
{
	struct ft_diag diag = { 0 };
	char why[512], line[1024];
	size_t len, i;
	char *buf;
	int err;

	err = ft_file_read(file, c->config_flags & FT_CONFIG_INSECURE_FILES ? FT_FILE_INSECURE : 0,
			   &buf, &len, why, sizeof(why));
	if (err) {
		pr_err("%s", why);
		return err;
	}
	err = ft_set_file_parse(buf, len, file, pfx, n, &diag);
	for (i = 0; i < diag.nentries; i++)
		fprintf(stderr, "%s\n", ft_diag_line(&diag, i, line, sizeof(line)));
	ft_diag_free(&diag);
	free(buf);
	return err;
}

/* Seconds left until @expires (CLOCK_BOOTTIME ns), rounded up; 0 when past. */
static uint64_t seconds_left(uint64_t expires, uint64_t now)
{
	return expires > now ? (expires - now + NS_PER_SEC - 1) / NS_PER_SEC : 0;
}

struct list_ctx {
	struct ft_out *o;
	uint64_t now;
	size_t shown;
};

static int list_one(const struct ft_dynset_elem *e, void *arg)
{
	struct list_ctx *l = arg;
	char buf[64], left[32];

	if (e->expires && e->expires <= l->now)
		return 0;	/* expired: absent for the programs, collected soon */
	ft_out_begin_row(l->o);
	ft_out_str(l->o, "prefix", "prefix", ft_format_prefix(&e->pfx, buf, sizeof(buf)));
	snprintf(left, sizeof(left), "%llus",
		 (unsigned long long)seconds_left(e->expires, l->now));
	ft_out_opt_u64(l->o, "expires", "expires", e->expires != 0,
		       seconds_left(e->expires, l->now), e->expires ? left : "never", true);
	ft_out_end_row(l->o);
	l->shown++;
	return 0;
}

/* The set's header fields: name, size, timeout, elements, lookups, hits. */
static void out_set_fields(struct ft_out *o, const char *pin_dir, const struct ft_dynset *s)
{
	struct ft_set_cnt cnt = { 0 };
	bool has_cnt = !ft_dynset_counters(pin_dir, s->inf.id, &cnt);

	ft_out_str(o, "name", "set", s->inf.name);
	ft_out_u64(o, "size", "size", s->inf.size);
	ft_out_u64(o, "timeout", "timeout", s->inf.timeout);
	ft_out_u64(o, "elements", "elements", s->inf.elements);
	ft_out_opt_u64(o, "lookups", "lookups", has_cnt, cnt.lookups, NULL, true);
	ft_out_opt_u64(o, "hits", "hits", has_cnt, cnt.hits, NULL, true);
	ft_out_u64(o, "changes", "changes", s->inf.changes);
}

void ctl_out_sets(struct ft_out *o, const char *pin_dir)
{
	static const char *const heads[] = { "set", "size", "timeout", "elements", "lookups",
					     "hits", "changes", NULL };
	char (*names)[FT_SET_NAME_LEN];
	size_t n, i;

	if (ft_dynset_list(pin_dir, &names, &n) || !n)
		return;
	ft_out_begin_table(o, "sets", "dynamic sets", heads);
	for (i = 0; i < n; i++) {
		struct ft_dynset s;

		if (ft_dynset_open(pin_dir, names[i], &s))
			continue;
		ft_out_begin_row(o);
		out_set_fields(o, pin_dir, &s);
		ft_out_end_row(o);
		ft_dynset_close(&s);
	}
	ft_out_end_table(o);
	free(names);
}

static int do_list(const struct ctl *c, const char *pin_dir, struct ft_dynset *s)
{
	static const char *const heads[] = { "prefix", "expires", NULL };
	struct list_ctx l = { .now = ft_boot_ns() };
	int err;

	l.o = ft_out_new(stdout, c->json, c->pretty);
	if (!l.o) {
		pr_err("out of memory");
		return EXIT_FAIL;
	}
	ft_out_begin_fields(l.o, "set", NULL);
	out_set_fields(l.o, pin_dir, s);
	ft_out_end_fields(l.o);
	ft_out_begin_table(l.o, "entries", NULL, heads);
	err = ft_dynset_walk(s, list_one, &l);
	ft_out_end_table(l.o);
	if (err)
		pr_err("set %s: cannot read its elements: %s", s->inf.name, strerror(-err));
	return ctl_finish_output(l.o, err ? EXIT_FAIL : EXIT_OK);
}

/* add, del, flush: under the lock, then published. */
static int do_change(const struct ctl *c, const char *pin_dir, struct ft_dynset *s,
		     const struct ft_set_args *a, const struct ft_prefix *pfx, size_t n)
{
	uint64_t t0 = ft_boot_ns(), dt;
	size_t done = 0, missing = 0;
	int err, perr, ret = EXIT_OK;

	switch (a->op) {
	case FT_SET_ADD:
		err = ft_dynset_add(s, pfx, n, a->has_timeout ? a->timeout :
							      FT_DYNSET_DEFAULT_TIMEOUT, &done);
		break;
	case FT_SET_DEL:
		err = ft_dynset_del(s, pfx, n, &done, &missing);
		break;
	default:
		err = ft_dynset_flush(s, &done);
		break;
	}
	s->inf.changes++;
	/* whatever got in (a full set takes a part) is published */
	perr = ft_dynset_save_info(s);
	if (!perr)
		perr = ft_dynset_publish(pin_dir, s);
	dt = ft_boot_ns() - t0;
	if (err == -ENOSPC) {
		pr_err("set %s is full (size %u per family): %zu new elements added, the rest not",
		       a->name, s->inf.size, done);
		ret = EXIT_FAIL;
	} else if (err) {
		pr_err("set %s: %s", a->name, strerror(-err));
		ret = EXIT_FAIL;
	}
	if (perr) {
		pr_err("set %s: the change is made, but publishing it failed (%s): cached flows "
		       "may keep their old verdict", a->name, strerror(-perr));
		ret = EXIT_FAIL;
	}
	if (missing) {
		pr_err("set %s: %zu of %zu prefixes were not in the set", a->name, missing, n);
		ret = EXIT_FAIL;
	}
	if (!c->json) {
		/* full: what was neither added nor there before is unknown */
		if (a->op == FT_SET_ADD && err == -ENOSPC)
			printf("set %s: %zu added, the rest not (full); %llu elements (%.3f s)\n",
			       a->name, done, (unsigned long long)s->inf.elements,
			       (double)dt / 1e9);
		else if (a->op == FT_SET_ADD)
			printf("set %s: %zu added, %zu refreshed; %llu elements (%.3f s)\n", a->name,
			       done, n - done,
			       (unsigned long long)s->inf.elements, (double)dt / 1e9);
		else
			printf("set %s: %zu deleted; %llu elements (%.3f s)\n", a->name, done,
			       (unsigned long long)s->inf.elements, (double)dt / 1e9);
	} else {
		struct ft_out *o = ft_out_new(stdout, true, c->pretty);

		if (o) {
			ft_out_str(o, "name", NULL, a->name);
			ft_out_u64(o, a->op == FT_SET_ADD ? "added" : "deleted", NULL, done);
			ft_out_u64(o, "elements", NULL, s->inf.elements);
			ft_out_u64(o, "ns", NULL, dt);
			ret = ctl_finish_output(o, ret);
		}
	}
	return ret;
}

static int do_set(const struct ctl *c, int argc, char **argv)
{
	struct ft_prefix *fpfx = NULL;
	struct ft_set_args a;
	struct ft_dynset s;
	char pin_dir[PATH_MAX], err_msg[256];
	size_t nf = 0;
	int err, lock = -1, ret = EXIT_FAIL;

	err = ft_set_args_parse(argc, argv, c->file, &a, err_msg, sizeof(err_msg));
	if (err) {
		ft_set_args_free(&a);
		if (err == -ENOMEM) {
			pr_err("out of memory");
			return EXIT_FAIL;
		}
		return ctl_usage_error("%s", err_msg);
	}
	if (a.file && read_file(c, a.file, &fpfx, &nf))
		goto out;
	if (pin_dir_of(c, pin_dir, sizeof(pin_dir)))
		goto out;
	if (a.op != FT_SET_LIST) {
		lock = ft_dynset_lock(pin_dir, false);
		if (lock == -ENOENT) {
			pr_err("no dynamic set '%s': %s/sets does not exist (declare the set in the "
			       "policy: prefix_sets = ( { name = \"%s\"; dynamic = true; } ) and "
			       "reload)", a.name, pin_dir, a.name);
			goto out;
		} else if (lock < 0) {
			pr_err("cannot lock %s/sets: %s", pin_dir, strerror(-lock));
			goto out;
		}
	}
	err = ft_dynset_open(pin_dir, a.name, &s);
	if (err == -ENOENT) {
		pr_err("no dynamic set '%s' in %s/sets (declare it in the policy: prefix_sets = "
		       "( { name = \"%s\"; dynamic = true; } ) and reload)", a.name, pin_dir,
		       a.name);
		goto out;
	} else if (err) {
		pr_err("set %s: cannot open it: %s", a.name, strerror(-err));
		goto out;
	}
	if (a.op == FT_SET_LIST)
		ret = do_list(c, pin_dir, &s);
	else
		ret = do_change(c, pin_dir, &s, &a, a.file ? fpfx : a.pfx, a.file ? nf : a.npfx);
	ft_dynset_close(&s);
out:
	ft_dynset_unlock(lock);
	free(fpfx);
	ft_set_args_free(&a);
	return ret;
}

const struct ctl_cmd ctl_set = {
	.name = "set",
	.args = "add|del|list|flush NAME ...",
	.summary = "change or show a dynamic prefix set, without a reload",
	.help = set_help,
	.run = do_set,
};
