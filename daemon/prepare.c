// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy pipeline: source -> config -> bind -> compile. See prepare.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "attach.h"
#include "log.h"
#include "policytest.h"
#include "prepare.h"
#include "shadow.h"

/*
 * FT_BIND_ASSUME_PRESENT: the same name earlier gets the same index. Past
 * FT_MAX_IFACES distinct names the compiler refuses the policy whatever the
 * rest get, so only that many are remembered: looking each name up among
 * all earlier ones took minutes for an iif list of 10^5 names.
 */
static void bind_assume_present(struct ft_policy *pol)
{
	struct {
		const char *name;
		uint32_t index;
	} seen[FT_MAX_IFACES + 1];
	size_t r, i, j, nseen = 0;
	uint32_t next = 1;

	for (r = 0; r < pol->nrules; r++) {
		struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++) {
			for (j = 0; j < nseen && strcmp(seen[j].name, m->iif[i]); j++)
				;
			if (j < nseen) {
				m->iif_index[i] = seen[j].index;
				continue;
			}
			m->iif_index[i] = next++;
			if (nseen < sizeof(seen) / sizeof(seen[0])) {
				seen[nseen].name = m->iif[i];
				seen[nseen++].index = m->iif_index[i];
			}
		}
	}
}

/* FT_BIND_FIXED: each name looked up in @fixed, 0 when not there. */
static void bind_fixed(struct ft_policy *pol, const struct ft_ifname *fixed, size_t nfixed)
{
	size_t r, i, f;

	for (r = 0; r < pol->nrules; r++) {
		struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++) {
			m->iif_index[i] = 0;
			for (f = 0; f < nfixed; f++)
				if (!strcmp(fixed[f].name, m->iif[i]))
					m->iif_index[i] = fixed[f].ifindex;
		}
	}
}

/* FT_BIND_HOST: this netns's interfaces; the absent ones are warnings. */
static void bind_host(struct ft_policy *pol, struct ft_diag *diag)
{
	size_t r, i;

	ft_resolve_iifs(pol);
	for (r = 0; r < pol->nrules; r++) {
		const struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++)
			if (!m->iif_index[i])
				ft_diag_add(diag, ft_policy_file(pol, pol->rules[r].src_file),
					    pol->rules[r].line, false,
					    "no interface %s exists yet: this iif matches once one "
					    "appears",
					    m->iif[i]);
	}
}

int ft_prepare(const struct ft_prepare_opts *o, struct ft_prepared *out)
{
	int err, tests_err;

	memset(out, 0, sizeof(*out));
	if (o->path)
		err = ft_config_load_flags(o->path, o->flags, &out->pol, &out->diag);
	else
		err = ft_config_parse_buf(o->text, strlen(o->text), o->name, o->dir, o->flags,
					  &out->pol, &out->diag);
	if (err)
		return err;
	out->parsed = true;
	/* before the binder: tests naming an iif bind the names their own way */
	tests_err = ft_policy_tests_iif(&out->pol, &out->diag);
	if (tests_err && tests_err != -EINVAL)
		return tests_err;
	switch (o->binder) {
	case FT_BIND_NONE:
		break;
	case FT_BIND_ASSUME_PRESENT:
		bind_assume_present(&out->pol);
		break;
	case FT_BIND_HOST:
		bind_host(&out->pol, &out->diag);
		break;
	case FT_BIND_FIXED:
		bind_fixed(&out->pol, o->fixed, o->nfixed);
		break;
	}
	err = ft_compile(&out->pol, &out->comp);
	if (err)
		return err;
	if (ft_policy_tests_run(&out->pol, &out->comp, &out->diag))
		tests_err = -EINVAL;
	/* the warnings too when a test failed: one run says everything */
	if (o->flags & FT_PREPARE_ANALYZE) {
		err = ft_shadow_warn(&out->pol, &out->comp, &out->diag);
		if (err)
			return err;
	}
	if (tests_err) {
		/* refused like a syntax error: the reasons are in the diagnostics */
		ft_compiled_free(&out->comp);
		out->parsed = false;
		return -EINVAL;
	}
	return 0;
}

/* @t as local time, "YYYY-MM-DD HH:MM:SS", in @buf. */
static const char *fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	strftime(buf, len, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm) ? &tm : gmtime_r(&t, &tm));
	return buf;
}

/* Log every diagnostic at its level. */
static void log_diag(const struct ft_diag *d)
{
	char line[4096];
	size_t i;

	for (i = 0; i < d->nentries; i++)
		ft_log_plain(d->entries[i].severity == FT_SEVERITY_ERROR ? LOG_ERR : LOG_WARNING,
			     "%s", ft_diag_line(d, i, line, sizeof(line)));
}

int ft_prepare_file(const char *path, unsigned int flags, enum ft_binder binder,
		    struct ft_policy *pol, struct ft_compiled *c, struct stat *file_id)
{
	const struct ft_prepare_opts o = { .path = path, .flags = flags, .binder = binder };
	struct ft_prepared p;
	struct stat st = { 0 };
	char when[32];
	bool seen;
	int err;

	memset(pol, 0, sizeof(*pol));
	memset(c, 0, sizeof(*c));
	seen = !stat(path, &st);
	if (seen) {
		/* the path as given, symlinks followed now: which version is this? */
		pr_info("reading %s (inode %llu, modified %s)", path, (unsigned long long)st.st_ino,
			fmt_time(st.st_mtime, when, sizeof(when)));
	}
	err = ft_prepare(&o, &p);
	if (seen && p.parsed &&
	    (p.pol.file_ino != (uint64_t)st.st_ino || p.pol.file_mtime != (int64_t)st.st_mtime))
		/* it changed under the loader, which read it again (config.h) */
		pr_info("%s changed while being read: the policy is the one of inode %llu, "
			"modified %s", path, (unsigned long long)p.pol.file_ino,
			fmt_time((time_t)p.pol.file_mtime, when, sizeof(when)));
	log_diag(&p.diag);
	if (err && !p.parsed) {
		if (err == -EINVAL || err == -EAGAIN)	/* -EAGAIN: files kept changing */
			pr_err("%s: %d error(s), policy rejected", path, p.diag.nerrors);
		else if (!p.diag.nerrors)
			pr_err("%s: %s", path, strerror(-err));
	} else if (err) {
		char msg[1024];

		ft_compile_error(&p.pol, &p.comp, err, msg, sizeof(msg));
		pr_err("%s", msg);
	}
	if (err) {
		ft_prepared_free(&p);
		return err;
	}
	ft_diag_free(&p.diag);
	if (file_id) {
		file_id->st_ino = (ino_t)p.pol.file_ino;
		file_id->st_mtime = (time_t)p.pol.file_mtime;
	}
	*pol = p.pol;
	*c = p.comp;
	return 0;
}

void ft_prepared_free(struct ft_prepared *p)
{
	ft_compiled_free(&p->comp);
	ft_policy_free(&p->pol);
	ft_diag_free(&p->diag);
}
