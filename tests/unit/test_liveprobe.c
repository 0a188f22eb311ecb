// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * explain --live without a kernel: the probe frames parse back (by the
 * reference parser of the differential tests) into the packet they were
 * built from, and the judge of kernel verdicts finds every difference.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <cmocka.h>

#include "liveprobe.h"
#include "../refpkt.h"

static struct ft_pkt_desc desc(int family, const char *src, const char *dst, int proto,
			       int sport, int dport, int dscp, int flags, int vlan)
{
	struct ft_pkt_desc d = { .vlan = vlan, .family = family, .proto = -1, .sport = -1,
				 .dport = -1, .dscp = -1, .tcp_flags = -1, .ifindex = 3 };

	if (family) {
		inet_pton(family, src, d.src);
		inet_pton(family, dst, d.dst);
		d.proto = proto;
		d.sport = sport;
		d.dport = dport;
		d.dscp = dscp;
		d.tcp_flags = flags;
	}
	return d;
}

static void test_frames_parse_back(void **state)
{
	const struct ft_pkt_desc cases[] = {
		desc(AF_INET, "198.18.0.1", "198.19.0.5", IPPROTO_TCP, 1234, 22, 0, 0x02, -1),
		desc(AF_INET, "198.18.0.1", "198.19.0.5", IPPROTO_UDP, 0, 5060, 46, -1, 7),
		desc(AF_INET, "198.18.0.1", "198.19.0.5", IPPROTO_ICMP, -1, -1, 0, -1, -1),
		desc(AF_INET6, "fd00::1", "fd00::2", IPPROTO_SCTP, 9, 10, 10, -1, -1),
		desc(AF_INET6, "fd00::1", "fd00::2", IPPROTO_ICMPV6, -1, -1, 63, -1, 4095),
		desc(AF_INET6, "fd00::1", "fd00::2", IPPROTO_UDPLITE, 1, 2, 0, -1, -1),
		desc(0, NULL, NULL, 0, 0, 0, 0, 0, 12),
		desc(0, NULL, NULL, 0, 0, 0, 0, 0, -1),
	};
	uint8_t buf[FT_PROBE_FRAME_MAX];
	size_t i, len;
	int l3;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (l3 = 0; l3 < 2; l3++) {
			struct ref_pkt r;

			len = ft_pkt_frame(&cases[i], l3, buf, sizeof(buf));
			if (l3 && (!cases[i].family || cases[i].vlan >= 0)) {
				/* no VLAN tag and no non-IP frame without a link layer */
				if (!cases[i].family)
					assert_int_equal(len, 0);
				continue;
			}
			assert_true(len >= (l3 ? 20u : 60u));
			ref_parse(buf, len, l3, 3, &r);
			assert_true(r.complete);
			assert_memory_equal(&r.d, &cases[i], sizeof(r.d));
		}
	}
	/* too small a buffer: nothing */
	assert_int_equal(ft_pkt_frame(&cases[0], false, buf, 40), 0);
}

static struct ft_verdict verdict(uint16_t rule, uint16_t cls, uint32_t mark, uint32_t prio,
				 uint8_t flags, uint32_t action)
{
	struct ft_verdict v = { .action = action };

	v.meta.magic_ver = FLOWTAG_META_WORD;
	v.meta.rule_id = rule;
	v.meta.class_id = cls;
	v.meta.mark = mark;
	v.meta.priority = prio;
	v.meta.flags = flags;
	return v;
}

static void test_judge_xdp(void **state)
{
	struct ft_verdict want = verdict(1, 0, 0x100, 0x10010, FT_META_F_PRIO, FT_ACT_CLASS);
	struct ft_probe_result got = { .ran = true, .retval = XDP_PASS, .has_meta = true };
	char why[256];

	(void)state;
	got.meta = want.meta;
	assert_true(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	/* another rule, same class: a difference */
	got.meta.rule_id = 2;
	assert_false(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	assert_non_null(strstr(why, "kernel: rule 2"));
	assert_non_null(strstr(why, "userspace: rule 1"));
	/* another mark */
	got.meta = want.meta;
	got.meta.mark = 0x200;
	assert_false(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	/* another priority */
	got.meta = want.meta;
	got.meta.priority = 0x10020;
	assert_false(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	/* dropped by the kernel, tagged by userspace */
	got.retval = XDP_DROP;
	got.has_meta = false;
	assert_false(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	assert_non_null(strstr(why, "kernel: drop"));
	/* both drop */
	want = verdict(0, FT_CLASS_NONE, 0, 0, 0, FT_ACT_DROP);
	assert_true(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	/* drop left to tc (no VLAN tag seen) counts as the drop */
	got.retval = XDP_PASS;
	got.has_meta = true;
	got.meta = want.meta;
	got.meta.flags = FT_META_F_DROP;
	assert_true(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	/* untagged: marks do not matter, the flag does */
	want = verdict(FT_RULE_NONE, FT_CLASS_NONE, 0, 0, FT_META_F_NOTAG, FT_ACT_PASS);
	got.meta = want.meta;
	got.meta.mark = 0x300;
	assert_true(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	got.meta.flags = 0;
	assert_false(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	/* the test run failed */
	got.ran = false;
	got.err = -EINVAL;
	assert_false(ft_probe_check_xdp(&want, &got, why, sizeof(why)));
	assert_non_null(strstr(why, "test run failed"));
}

static void test_judge_tc(void **state)
{
	struct ft_verdict want = verdict(1, 0, 0x100, 0x10010, FT_META_F_PRIO, FT_ACT_CLASS);
	struct ft_probe_result got = { .ran = true, .retval = (uint32_t)TC_ACT_UNSPEC,
				       .mark = 0x100, .priority = 0x10010 };
	char why[256];

	(void)state;
	assert_true(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
	got.mark = 0x200;
	assert_false(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
	assert_non_null(strstr(why, "kernel: mark 0x200"));
	got.mark = 0x100;
	got.priority = 0;
	assert_false(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
	got.retval = TC_ACT_SHOT;
	assert_false(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
	want = verdict(0, FT_CLASS_NONE, 0, 0, 0, FT_ACT_DROP);
	assert_true(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
	/* untagged: mark and priority untouched */
	want = verdict(FT_RULE_NONE, FT_CLASS_NONE, 0, 0, FT_META_F_NOTAG, FT_ACT_PASS);
	got.retval = (uint32_t)TC_ACT_UNSPEC;
	got.mark = got.priority = 0;
	assert_true(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
	got.mark = 0x100;
	assert_false(ft_probe_check_tc(&want, 0xff00, &got, why, sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_parse_back),
		cmocka_unit_test(test_judge_xdp),
		cmocka_unit_test(test_judge_tc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
