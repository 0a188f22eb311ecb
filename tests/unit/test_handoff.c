// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for daemon/handoff.c: the XDP->tc hand-off verdict
 * flowtagctl status prints, from counters alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "flowtag/maps.h"
#include "handoff.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	uint64_t xdp, written, tc, seen, invalid, none, fallback, adjust_failed;
	enum ft_handoff_state want;
	uint64_t permille;
	const char *summary;	/* a part of the summary line */
	unsigned int nhints;
	const char *hint;	/* a part of the first hint, if any */
} cases[] = {
	{ "idle", 0, 0, 0, 0, 0, 0, 0, 0, FT_HANDOFF_IDLE, 0, "no packets seen yet", 0, NULL },
	{ "no tc", 50, 50, 0, 0, 0, 0, 0, 0, FT_HANDOFF_NO_TC, 0,
	  "XDP saw 50 packets, tc ingress none", 0, NULL },
	{ "all seen", 1000, 1000, 1000, 1000, 0, 0, 0, 0, FT_HANDOFF_OK, 1000,
	  "100.0% of tc packets carried metadata (1000 of 1000)", 0, NULL },
	/* 99.0% is the threshold, inclusive */
	{ "at threshold", 1000, 1000, 1000, 990, 0, 10, 10, 0, FT_HANDOFF_OK, 990, "99.0%", 0,
	  NULL },
	/* 98.99% rounds down, so it is below */
	{ "just below", 10000, 10000, 10000, 9899, 0, 101, 101, 0, FT_HANDOFF_DEGRADED, 989,
	  "98.9% of tc packets carried metadata, tc classified 101 of 10000 itself", 1,
	  "tc found no metadata on 101 packets" },
	{ "fallback dominates", 100, 100, 100, 40, 60, 0, 60, 0, FT_HANDOFF_FALLBACK, 400,
	  "fallback dominates: only 40.0%", 1, "60 packets carried metadata that is not" },
	{ "half is not dominating", 100, 100, 100, 50, 0, 50, 50, 0, FT_HANDOFF_DEGRADED, 500,
	  "50.0% of tc packets", 1, "tc found no metadata on 50" },
	{ "driver gives no room", 100, 0, 100, 0, 0, 100, 100, 100, FT_HANDOFF_FALLBACK, 0,
	  "only 0.0%", 1, "bpf_xdp_adjust_meta() failed 100 times" },
	{ "tc without XDP", 0, 0, 100, 0, 0, 100, 100, 0, FT_HANDOFF_FALLBACK, 0, "only 0.0%", 1,
	  "tc saw 100 packets more than XDP" },
};

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t cnt[FT_CNT_MAX] = { 0 };
		struct ft_handoff h;

		cnt[FT_CNT_XDP_PKTS] = cases[i].xdp;
		cnt[FT_CNT_META_WRITTEN] = cases[i].written;
		cnt[FT_CNT_TC_PKTS] = cases[i].tc;
		cnt[FT_CNT_META_SEEN] = cases[i].seen;
		cnt[FT_CNT_META_INVALID] = cases[i].invalid;
		cnt[FT_CNT_META_NONE] = cases[i].none;
		cnt[FT_CNT_FALLBACK] = cases[i].fallback;
		cnt[FT_CNT_ADJUST_FAILED] = cases[i].adjust_failed;
		ft_handoff_assess(cnt, &h);
		if (h.state != cases[i].want)
			fail_msg("%s: state %s, want %s", cases[i].name,
				 ft_handoff_state_name(h.state),
				 ft_handoff_state_name(cases[i].want));
		if (h.permille != cases[i].permille)
			fail_msg("%s: %llu permille, want %llu", cases[i].name,
				 (unsigned long long)h.permille,
				 (unsigned long long)cases[i].permille);
		if (!strstr(h.summary, cases[i].summary))
			fail_msg("%s: summary \"%s\" lacks \"%s\"", cases[i].name, h.summary,
				 cases[i].summary);
		if (h.nhints != cases[i].nhints)
			fail_msg("%s: %u hints, want %u", cases[i].name, h.nhints,
				 cases[i].nhints);
		if (cases[i].hint && !strstr(h.hint[0], cases[i].hint))
			fail_msg("%s: hint \"%s\" lacks \"%s\"", cases[i].name, h.hint[0],
				 cases[i].hint);
	}
}

/* Every cause at once: all four hints, worst first, none cut short. */
static void test_all_hints(void **state)
{
	uint64_t cnt[FT_CNT_MAX] = { 0 };
	struct ft_handoff h;
	unsigned int i;

	(void)state;
	cnt[FT_CNT_XDP_PKTS] = 1000;
	cnt[FT_CNT_META_WRITTEN] = 900;
	cnt[FT_CNT_ADJUST_FAILED] = 100;
	cnt[FT_CNT_TC_PKTS] = 18446744073709551000ull;	/* no overflow in the share */
	cnt[FT_CNT_META_SEEN] = 500;
	cnt[FT_CNT_META_INVALID] = 7;
	cnt[FT_CNT_META_NONE] = 18446744073709550000ull;
	cnt[FT_CNT_FALLBACK] = 18446744073709550000ull;
	ft_handoff_assess(cnt, &h);
	assert_int_equal(h.state, FT_HANDOFF_FALLBACK);
	assert_int_equal(h.permille, 0);
	assert_int_equal(h.nhints, 4);
	assert_non_null(strstr(h.hint[0], "bpf_xdp_adjust_meta() failed 100 times"));
	assert_non_null(strstr(h.hint[1], "7 packets carried metadata"));
	assert_non_null(strstr(h.hint[2], "while XDP wrote it on 900"));
	assert_non_null(strstr(h.hint[3], "more than XDP"));
	for (i = 0; i < h.nhints; i++)
		assert_true(strlen(h.hint[i]) < FT_HANDOFF_TEXT_LEN - 1);
	assert_true(strlen(h.summary) < sizeof(h.summary) - 1);
}

static void test_permille(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(ft_permille(1, 0), 0);
	assert_int_equal(ft_permille(9996, 10000), 999);	/* 99.96% is not 100.0% */
	assert_int_equal(ft_permille(UINT64_MAX, UINT64_MAX), 1000);
	assert_string_equal(ft_format_permille(999, buf, sizeof(buf)), "99.9%");
	assert_string_equal(ft_format_permille(1000, buf, sizeof(buf)), "100.0%");
	assert_string_equal(ft_format_permille(5, buf, sizeof(buf)), "0.5%");
	assert_string_equal(ft_handoff_state_name(FT_HANDOFF_NO_TC), "no-tc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_all_hints),
		cmocka_unit_test(test_permille),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
