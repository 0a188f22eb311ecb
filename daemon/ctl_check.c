// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl check [FILE]: validate a policy file as flowtagd would, but
 * without touching the kernel or depending on the host's interfaces.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "config.h"
#include "ctl.h"
#include "log.h"

/*
 * check must not depend on the host: every distinct iif name gets its own
 * made-up ifindex, as if every interface the policy names existed. That is
 * also the case that needs the most classifier resources, so a policy that
 * compiles here fits wherever it runs.
 */
static void assign_fake_ifindexes(struct ft_policy *pol)
{
	uint32_t next = 1;
	size_t r, i, r2, i2;

	for (r = 0; r < pol->nrules; r++) {
		struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++) {
			m->iif_index[i] = 0;
			/* the same name earlier gets the same index */
			for (r2 = 0; r2 <= r && !m->iif_index[i]; r2++) {
				const struct ft_match *m2 = &pol->rules[r2].match;
				size_t end = r2 == r ? i : m2->niif;

				for (i2 = 0; i2 < end; i2++)
					if (!strcmp(m2->iif[i2], m->iif[i])) {
						m->iif_index[i] = m2->iif_index[i2];
						break;
					}
			}
			if (!m->iif_index[i])
				m->iif_index[i] = next++;
		}
	}
}

/* Does diagnostic @line report an error (else a warning)? */
static bool diag_is_error(const char *line)
{
	const char *e = strstr(line, ": error: "), *w = strstr(line, ": warning: ");

	return e && (!w || e < w);
}

static int do_check(const struct ctl *c, int argc, char **argv)
{
	const char *path = argc ? argv[0] : c->config ? c->config : FT_DEFAULT_CONFIG;
	struct ft_policy pol = { 0 };
	struct ft_compiled comp = { 0 };
	struct ft_diag diag = { 0 };
	const char **errs = NULL, **warns = NULL;
	size_t nerrs = 0, nwarns = 0, nlines = 1;
	struct ft_out *o = NULL;
	char cerr[512] = "", *text = NULL, *line, *save = NULL;
	bool parsed, valid;
	int err, nerr, ret = EXIT_FAIL;

	if (argc > 1)
		return ctl_usage_error("check takes one policy file");
	err = ft_config_load_flags(path, c->config_flags, &pol, &diag);
	parsed = !err;
	if (parsed) {
		assign_fake_ifindexes(&pol);
		err = ft_compile(&pol, &comp);
		if (err)
			ctl_compile_error(&pol, err, cerr, sizeof(cerr));
	}
	valid = !err;
	nerr = diag.nerrors + (cerr[0] ? 1 : 0);
	if (!valid && !nerr)
		nerr = 1;	/* refused without a message: count it anyway */

	o = ft_out_new(stdout, c->json, c->pretty);
	if (!o) {
		pr_err("out of memory");
		goto out;
	}
	if (diag.text) {
		text = strdup(diag.text);
		if (!text) {
			pr_err("out of memory");
			goto out;
		}
		for (line = text; *line; line++)
			nlines += *line == '\n';
	}
	/* every line is an error or a warning, and the compiler may add one */
	errs = calloc(nlines + 1, sizeof(*errs));
	warns = calloc(nlines + 1, sizeof(*warns));
	if (!errs || !warns) {
		pr_err("out of memory");
		goto out;
	}
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		ft_out_text(o, "%s", line);
		if (diag_is_error(line))
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
	ft_out_opt_u64(o, "rules", NULL, parsed, pol.nrules, NULL, true);
	ft_out_opt_u64(o, "classes", NULL, parsed, pol.nclasses, NULL, true);
	ft_out_opt_u64(o, "bitmaps", NULL, valid, comp.nbitmaps, NULL, true);
	if (valid)
		ft_out_text(o, "%s: valid: %zu rule%s, %zu class%s, %zu rule bitmap%s%s", path,
			    pol.nrules, pol.nrules == 1 ? "" : "s", pol.nclasses,
			    pol.nclasses == 1 ? "" : "es", comp.nbitmaps,
			    comp.nbitmaps == 1 ? "" : "s",
			    diag.nwarnings ? " (see the warnings above)" : "");
	else
		ft_out_text(o, "%s: invalid: %d error%s, %d warning%s", path, nerr,
			    nerr == 1 ? "" : "s", diag.nwarnings, diag.nwarnings == 1 ? "" : "s");
	ret = valid ? EXIT_OK : EXIT_FAIL;
out:
	ret = ctl_finish_output(o, ret);
	free(errs);
	free(warns);
	free(text);
	ft_compiled_free(&comp);
	ft_policy_free(&pol);
	ft_diag_free(&diag);
	return ret;
}

const struct ctl_cmd ctl_check = {
	.name = "check",
	.args = "[FILE]",
	.summary = "validate a policy file (no kernel access)",
	.run = do_check,
};
