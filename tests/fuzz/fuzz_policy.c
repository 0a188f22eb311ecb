// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer target: policy text -> cfgtext check -> libconfig -> validation
 * -> compilation, as flowtagd runs it on every load and reload. Invariants
 * beyond "no sanitizer report, no leak, no exit":
 *  - a rejected policy has errors, each at FILE:LINE (fuzz.h), and leaves
 *    the policy struct untouched;
 *  - libconfig never refuses a text the cfgtext check passed;
 *  - an accepted policy compiles (or is too large: -E2BIG), and the
 *    compiled bit-vector search picks the same rule as the reference
 *    evaluator for a few hundred packets, and none of them is matched by a
 *    rule the shadow analysis (shadow.c) calls unreachable;
 *  - the policy's own tests (tests = ( ... )) run without a sanitizer report.
 * @include and prefix-set file names resolve in tests/fuzz/files.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "config.h"
#include "fuzz.h"
#include "policytest.h"
#include "randpol.h"
#include "shadow.h"

#ifndef FUZZ_FILES
#define FUZZ_FILES "tests/fuzz/files"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_zero(const struct ft_policy *p)
{
	static const struct ft_policy zero;

	return !memcmp(p, &zero, sizeof(zero));
}

/* Interface i of the policy is ifindex i + 1, as flowtagctl check does it. */
static void fake_ifindexes(struct ft_policy *pol)
{
	size_t r, i, k;

	for (r = 0; r < pol->nrules; r++) {
		struct ft_match *m = &pol->rules[r].match;

		for (i = 0; i < m->niif; i++)
			for (k = 0; k < pol->nifaces; k++)
				if (!strcmp(m->iif[i], pol->ifaces[k].name))
					m->iif_index[i] = (uint32_t)k + 1;
	}
}

static void differential(const struct ft_policy *pol, const struct ft_compiled *c,
			 const uint8_t *data, size_t size)
{
	uint64_t s = 0xcbf29ce484222325ULL;
	bool *shadowed = calloc(pol->nrules + 1, sizeof(*shadowed));
	size_t i;

	if (!shadowed || ft_shadow_find(pol, c, shadowed, NULL)) {
		free(shadowed);
		return;	/* out of memory: not what this target looks for */
	}
	for (i = 0; i < size; i++)
		s = (s ^ data[i]) * 0x100000001b3ULL;
	if (!s)
		s = 1;
	for (i = 0; i < 256; i++) {
		struct ft_pkt_desc d;
		struct ft_flow_key k;
		uint32_t got;
		int want;

		rp_packet(&s, &d, (unsigned int)pol->nifaces + 1);
		ft_pkt_flow_key(&d, &k);
		want = ft_reference_match(pol, &d);
		got = ft_compiled_match(c, &k);
		if ((want < 0 ? FT_RULE_NONE : (uint32_t)want) != got)
			FUZZ_FAIL("packet %zu: compiled rule %u, reference %d", i, got, want);
		if (want >= 0 && shadowed[want])
			FUZZ_FAIL("packet %zu matches rule %d, which the shadow analysis calls "
				  "unreachable", i, want);
	}
	free(shadowed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_policy pol = { 0 };
	struct ft_compiled c = { 0 };
	struct ft_diag diag = { 0 };
	int rc;

	rc = ft_config_parse_buf((const char *)data, size, "fuzz.conf", FUZZ_FILES,
				 FT_CONFIG_INSECURE_FILES, &pol, &diag);
	fuzz_check_diag(&diag);
	if (rc == -EPROTO)
		FUZZ_FAIL("cfgtext let through what libconfig refuses:\n%s", diag.text);
	if (rc == -EINVAL && !diag.nerrors)
		FUZZ_FAIL("rejected without an error");
	if (rc && !is_zero(&pol))
		FUZZ_FAIL("rejected, but the policy was filled in");
	if (rc && rc != -EINVAL && rc != -ENOMEM)
		FUZZ_FAIL("unexpected rc %d", rc);
	if (!rc) {
		if (diag.nerrors)
			FUZZ_FAIL("accepted with %d errors", diag.nerrors);
		fake_ifindexes(&pol);
		rc = ft_compile(&pol, &c);
		if (rc && rc != -E2BIG && rc != -ENOMEM)
			FUZZ_FAIL("a valid policy does not compile: %d", rc);
		if (!rc) {
			struct ft_diag tests = { 0 };

			differential(&pol, &c, data, size);
			ft_policy_tests_run(&pol, &c, &tests);
			ft_diag_free(&tests);
		}
		ft_compiled_free(&c);
		ft_policy_free(&pol);
	}
	ft_diag_free(&diag);
	return 0;
}
