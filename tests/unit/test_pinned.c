// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for the names daemon/pinned.c gives what it reads: every
 * counter of enum ft_counter has a key and a label (metrics.c and
 * flowtagctl status print them; a NULL would reach printf), keys are
 * unique and fit Prometheus label values and JSON keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pinned.h"

static void test_counter_names(void **state)
{
	unsigned int i, j;
	const char *c;

	(void)state;
	for (i = 0; i < FT_CNT_MAX; i++) {
		const struct ft_counter_name *n = &ft_counter_names[i];

		if (!n->key || !n->label)
			fail_msg("counter %u of enum ft_counter has no %s in ft_counter_names", i,
				 n->key ? "label" : "key");
		if (!*n->key || !*n->label)
			fail_msg("counter %u: empty key or label", i);
		for (c = n->key; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
				fail_msg("counter %u: key \"%s\" is not [a-z_]+", i, n->key);
		for (j = 0; j < i; j++)
			if (!strcmp(ft_counter_names[j].key, n->key))
				fail_msg("counters %u and %u share the key \"%s\"", j, i, n->key);
	}
}

static void test_action_names(void **state)
{
	(void)state;
	assert_string_equal(ft_action_name(FT_ACT_CLASS), "class");
	assert_string_equal(ft_action_name(FT_ACT_PASS), "pass");
	assert_string_equal(ft_action_name(FT_ACT_DROP), "drop");
	assert_string_equal(ft_action_name(0xffff), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_action_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
