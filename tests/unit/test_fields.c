// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for daemon/fields.c: the table of match fields names every
 * FT_MK_* bit and every field of the compiled search exactly once, and
 * its names find their rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fields.h"

static void test_table(void **state)
{
	unsigned int keys = 0, bpf = 0;
	size_t i, j;

	(void)state;
	for (i = 0; i < FT_NMATCH_FIELDS; i++) {
		const struct ft_field_desc *f = &ft_fields[i];

		if (!f->key || !f->cli_key || !f->cli_value)
			fail_msg("field %zu: a name is missing", i);
		/* one FT_MK_* bit per field, each bit once */
		if (!f->match_key || (f->match_key & (f->match_key - 1)))
			fail_msg("field %s: match_key 0x%x is not one bit", f->key, f->match_key);
		if (keys & f->match_key)
			fail_msg("field %s: match_key 0x%x twice", f->key, f->match_key);
		keys |= f->match_key;
		if (f->bpf_field >= 0) {
			if (f->bpf_field >= FT_NFIELDS || (bpf & (1u << f->bpf_field)))
				fail_msg("field %s: bpf_field %d out of range or twice", f->key,
					 f->bpf_field);
			bpf |= 1u << f->bpf_field;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(ft_fields[j].key, f->key) ||
			    !strcmp(ft_fields[j].cli_key, f->cli_key))
				fail_msg("fields %zu and %zu share a name", j, i);
		assert_ptr_equal(ft_field_by_match_key(f->match_key), f);
		assert_ptr_equal(ft_field_by_cli_name(f->key), f);
		assert_ptr_equal(ft_field_by_cli_name(f->cli_key), f);
	}
	/* every key of struct ft_match and every field of the search is a row */
	assert_int_equal(keys, FT_MK_IIF | FT_MK_VLAN | FT_MK_FAMILY | FT_MK_SRC | FT_MK_DST |
				       FT_MK_PROTO | FT_MK_SPORT | FT_MK_DPORT | FT_MK_DSCP |
				       FT_MK_TCPFL);
	assert_int_equal(bpf, (1u << FT_NFIELDS) - 1);
}

/* Each row carries what the compiler and the reference evaluator call for it. */
static void test_accessors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < FT_NMATCH_FIELDS; i++) {
		const struct ft_field_desc *f = &ft_fields[i];

		if (!f->packet_matches)
			fail_msg("field %s: no packet_matches for the reference", f->key);
		if ((f->table == FT_TABLE_NONE) != (f->bpf_field < 0))
			fail_msg("field %s: a table without a field of the search, or back", f->key);
		switch (f->table) {
		case FT_TABLE_RANGES:
		case FT_TABLE_VALUES:
			if (!f->domain || !f->flow_value ||
			    (f->table == FT_TABLE_RANGES ? !f->range_at : !f->accepts))
				fail_msg("field %s: scalar table without its accessors", f->key);
			if (f->table_base + f->domain > FT_SC_SIZE)
				fail_msg("field %s: beyond the scalar table", f->key);
			break;
		case FT_TABLE_TRIE:
			assert_int_equal(f->kind, FT_FK_ADDR);
			break;
		default:
			break;
		}
		if (f->kind == FT_FK_ADDR || f->kind == FT_FK_PORT)
			assert_true(f->value_offset > 0);
		if (f->kind == FT_FK_PORT)
			assert_true(f->count_offset > 0);
	}
}

static void test_lookup(void **state)
{
	(void)state;
	assert_int_equal(ft_field_by_cli_name("TCP-Flags")->match_key, FT_MK_TCPFL);
	assert_int_equal(ft_field_by_cli_name("flags")->match_key, FT_MK_TCPFL);
	assert_int_equal(ft_field_by_cli_name("tcp_flags")->match_key, FT_MK_TCPFL);
	assert_int_equal(ft_field_by_cli_name("DPORT")->bpf_field, FT_F_DPORT);
	assert_int_equal(ft_field_by_cli_name("family")->bpf_field, -1);
	assert_null(ft_field_by_cli_name("port"));
	assert_null(ft_field_by_cli_name(""));
	assert_null(ft_field_by_match_key(FT_MK_SRC | FT_MK_DST));
	assert_null(ft_field_by_match_key(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
