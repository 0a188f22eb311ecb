// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl check [FILE]: validate a policy file as flowtagd would, but
 * without touching the kernel or depending on the host's interfaces.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "prepare.h"
#include "strparse.h"

/*
 * check must not depend on the host: FT_BIND_ASSUME_PRESENT gives every
 * distinct iif name its own made-up ifindex, as if every interface the
 * policy names existed. That is also the case that needs the most
 * classifier resources, so a policy that compiles here fits wherever it
 * runs.
 */
static int do_check(const struct ctl *c, int argc, char **argv)
{
	const char *path = argc ? argv[0] : c->config ? c->config : FT_DEFAULT_CONFIG;
	struct ft_prepare_opts opts = { .path = path,
					.flags = c->config_flags | FT_PREPARE_ANALYZE,
					.binder = FT_BIND_ASSUME_PRESENT };
	struct ft_prepared p;
	const struct ft_policy *pol = &p.pol;
	const struct ft_compiled *comp = &p.comp;
	const struct ft_diag *diag = &p.diag;
	const char **errs = NULL, **warns = NULL;
	size_t nerrs = 0, nwarns = 0, i;
	struct ft_out *o = NULL;
	char cerr[1024] = "", *text = NULL;
	bool parsed, valid;
	int err, nerr, ret = EXIT_FAIL;

	if (argc > 1)
		return ctl_usage_error("check takes one policy file");
	if (ft_check_path_arg(path, PATH_MAX, cerr, sizeof(cerr)))
		return ctl_usage_error("check: %s", cerr);
	err = ft_prepare(&opts, &p);
	parsed = p.parsed;
	if (err && parsed)
		ft_compile_error(pol, comp, err, cerr, sizeof(cerr));
	valid = !err;
	nerr = diag->nerrors + (cerr[0] ? 1 : 0);
	if (!valid && !nerr)
		nerr = 1;	/* refused without a message: count it anyway */

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	if (diag->text) {
		text = strdup(diag->text);
		if (!text) {
			pr_err("out of memory");
			goto out;
		}
	}
	/* every entry is an error or a warning, and the compiler may add one */
	errs = calloc(diag->nentries + 2, sizeof(*errs));
	warns = calloc(diag->nentries + 2, sizeof(*warns));
	if (!errs || !warns) {
		pr_err("out of memory");
		goto out;
	}
	for (i = 0; i < diag->nentries; i++) {
		const struct ft_diag_entry *e = &diag->entries[i];
		char *line = text + e->offset;

		line[e->length] = '\0';
		ft_out_text(o, "%s", line);
		if (e->severity == FT_SEVERITY_ERROR)
			errs[nerrs++] = line;
		else
			warns[nwarns++] = line;
	}
	if (cerr[0]) {
		ft_out_text(o, "%s", cerr);
		errs[nerrs++] = cerr;
	}

	ft_out_str(o, "file", NULL, path);
	ft_out_bool(o, "valid", NULL, valid, "yes", "no");
	ft_out_strv(o, "errors", errs, nerrs);
	ft_out_strv(o, "warnings", warns, nwarns);
	ft_out_opt_u64(o, "rules", NULL, parsed, pol->nrules, NULL, true);
	ft_out_opt_u64(o, "classes", NULL, parsed, pol->nclasses, NULL, true);
	ft_out_opt_u64(o, "bitmaps", NULL, valid, comp->nbitmaps, NULL, true);
	{
		/* null for an invalid policy: the keys are always there */
		char why[256];

		if (valid)
			ft_flow_cache_describe(comp, why, sizeof(why));
		ft_out_opt_bool(o, "flow_cache", NULL, valid, !(comp->hdr.flags & FT_POL_F_NOCACHE),
				"on", "off");
		ft_out_str(o, "flow_cache_reason", NULL, valid ? why : NULL);
		ft_out_str(o, "search", NULL, valid ? ft_search_name(comp->hdr.flags) : NULL);
		if (valid) {
			ft_out_text(o, "%s: flow cache: %s", path, why);
			ft_out_text(o, "%s: search: %s", path,
				    ft_search_describe(comp, why, sizeof(why)));
			ft_prefix4_describe(comp, why, sizeof(why));
			ft_out_text(o, "%s: IPv4 prefixes: %s", path, why);
		}
		ft_out_str(o, "ipv4_prefixes", NULL, valid ? why : NULL);
		ft_out_opt_bool(o, "ipv4_src_hashed", NULL, valid, ft_pfx4_of(comp, 0), "yes", "no");
		ft_out_opt_bool(o, "ipv4_dst_hashed", NULL, valid, ft_pfx4_of(comp, 1), "yes", "no");
	}
	if (valid)
		ft_out_text(o, "%s: valid: %zu rule%s, %zu class%s, %zu rule bitmap%s%s", path,
			    pol->nrules, pol->nrules == 1 ? "" : "s", pol->nclasses,
			    pol->nclasses == 1 ? "" : "es", comp->nbitmaps,
			    comp->nbitmaps == 1 ? "" : "s",
			    diag->nwarnings ? " (see the warnings above)" : "");
	else
		ft_out_text(o, "%s: invalid: %d error%s, %d warning%s", path, nerr,
			    nerr == 1 ? "" : "s", diag->nwarnings, diag->nwarnings == 1 ? "" : "s");
	if (!valid)
		ft_out_error(o, "%s", nerrs ? errs[0] : "the policy is not valid");
	ret = valid ? EXIT_OK : EXIT_FAIL;
out:
	ret = ctl_finish_output(o, ret);
	free(errs);
	free(warns);
	free(text);
	ft_prepared_free(&p);
	return ret;
}

const struct ctl_cmd ctl_check = {
	.name = "check",
	.args = "[FILE]",
	.summary = "validate a policy file (no kernel access)",
	.run = do_check,
};
