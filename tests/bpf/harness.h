/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Running the real compiled programs on crafted packets with
 * bpf_prog_test_run_opts. Shared by the BPF tests and the benchmarks.
 */
#ifndef FLOWTAG_TEST_HARNESS_H
#define FLOWTAG_TEST_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compile.h"
#include "config.h"
#include "loader.h"
#include "pinned.h"
#include "prepare.h"
#include "swap.h"
#include "flowtag/meta.h"

struct xdp_result {
	int err;			/* bpf_prog_test_run_opts() result */
	__u32 retval;			/* XDP_PASS, XDP_DROP, ... */
	__u32 meta_len;			/* metadata bytes in front of the packet */
	struct flowtag_meta meta;	/* valid when meta_len >= sizeof(meta) */
};

struct tc_result {
	int err;
	int retval;			/* TC_ACT_* */
	__u32 mark;
	__u32 priority;
};

/* Run XDP once (repeat = 1: non-live runs reuse one xdp_buff, see
 * design.md) on @pkt, as if received on @ifindex (a device of this network
 * namespace; 0: the loopback device, ifindex 1). */
static inline struct xdp_result ft_run_xdp_on(int prog_fd, const void *pkt, size_t len,
					      __u32 ifindex)
{
	struct xdp_result r = { 0 };
	struct xdp_md ctx_in = { .data_end = len, .ingress_ifindex = ifindex }, ctx_out = { 0 };
	unsigned char out[2048 + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	r.err = bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
	r.retval = opts.retval;
	/* data_out starts at data_meta; ctx_out.data is the metadata length */
	r.meta_len = ctx_out.data;
	if (!r.err && r.meta_len >= sizeof(r.meta))
		memcpy(&r.meta, out, sizeof(r.meta));
	return r;
}

/* ft_run_xdp_on() on the loopback device, ifindex 1. */
static inline struct xdp_result ft_run_xdp(int prog_fd, const void *pkt, size_t len)
{
	return ft_run_xdp_on(prog_fd, pkt, len, 0);
}

/* Run a tc program on @pkt (no metadata: the kernel's test run cannot
 * inject data_meta) with skb->mark and skb->priority preset, as if
 * received on @ifindex (skb->ingress_ifindex; no device needed). */
static inline struct tc_result ft_run_tc_on(int prog_fd, const void *pkt, size_t len, __u32 mark,
					    __u32 priority, __u32 ifindex)
{
	struct tc_result r = { 0 };
	struct __sk_buff in = { .mark = mark, .priority = priority, .ingress_ifindex = ifindex };
	struct __sk_buff out = { 0 };
	unsigned char data[2048];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len,
		    .data_out = data, .data_size_out = sizeof(data), .ctx_in = &in,
		    .ctx_size_in = sizeof(in), .ctx_out = &out, .ctx_size_out = sizeof(out),
		    .repeat = 1);

	r.err = bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
	r.retval = (int)opts.retval;
	r.mark = out.mark;
	r.priority = out.priority;
	return r;
}

/* ft_run_tc_on() ifindex 1. */
static inline struct tc_result ft_run_tc(int prog_fd, const void *pkt, size_t len, __u32 mark,
					 __u32 priority)
{
	return ft_run_tc_on(prog_fd, pkt, len, mark, priority, 1);
}

/*
 * Parse, compile and apply a policy given as text. @pol and @c receive the
 * policy and its compiled form (free with ft_policy_free/ft_compiled_free).
 * Rule iif name "lo" binds to ifindex 1 (FT_BIND_FIXED), every other name
 * stays unbound.
 */
static inline int ft_apply_text(struct ft_loader *l, const char *text, struct ft_policy *pol,
				struct ft_compiled *c)
{
	static const struct ft_ifname lo = { "lo", 1 };
	const struct ft_prepare_opts opts = { .text = text, .name = "test.conf", .dir = ".",
					      .binder = FT_BIND_FIXED, .fixed = &lo, .nfixed = 1 };
	struct ft_prepared p;
	int err;

	memset(pol, 0, sizeof(*pol));
	memset(c, 0, sizeof(*c));
	err = ft_prepare(&opts, &p);
	if (err && !p.parsed)
		fprintf(stderr, "policy does not parse:\n%s", p.diag.text ? p.diag.text : "");
	else if (err)
		fprintf(stderr, "policy does not compile: %s\n", strerror(-err));
	if (!err)
		err = ft_policy_swap(l, &p.comp, NULL);
	if (err) {
		ft_prepared_free(&p);
		return err;
	}
	ft_diag_free(&p.diag);
	*pol = p.pol;
	*c = p.comp;
	return 0;
}

/* Sum over the CPUs of @nwords __u64 words of per-CPU map @map's @key. */
static inline void ft_percpu(struct ft_loader *l, const char *map, __u32 key, size_t vsize,
			     uint64_t *sum, unsigned int nwords)
{
	int ncpu = libbpf_num_possible_cpus();
	void *buf = calloc(ncpu, (vsize + 7) & ~(size_t)7);
	unsigned int w;

	if (!buf || ft_percpu_sum(ft_loader_map_fd(l, map), key, vsize, ncpu, buf, sum, nwords))
		for (w = 0; w < nwords; w++)
			sum[w] = 0;
	free(buf);
}

/* Sum of a per-CPU __u64 counter. */
static inline __u64 ft_counter(struct ft_loader *l, enum ft_counter idx)
{
	uint64_t sum[FT_CNT_MAX];

	/* one entry holds every counter (struct ft_counters) */
	ft_percpu(l, "ft_health_cnt", 0, sizeof(struct ft_counters), sum, FT_CNT_MAX);
	return idx < FT_CNT_MAX ? sum[idx] : 0;
}

/* The hand-off counters of @ifindex, where the programs count them (ft_hoff_sum()). */
static inline struct ft_hoff ft_handoff(struct ft_loader *l, __u32 ifindex)
{
	struct ft_hoff h = { 0 };
	int ncpu = libbpf_num_possible_cpus();
	void *buf = calloc(ncpu, sizeof(struct ft_dev));

	if (!buf || ft_hoff_sum(ft_loader_map_fd(l, "ft_devs"), ft_loader_map_fd(l, "ft_hoff"),
				ifindex, ncpu, buf, &h))
		memset(&h, 0, sizeof(h));
	free(buf);
	return h;
}

/* Sum of a per-CPU packet counter (ft_rule_cnt / ft_class_cnt). */
static inline struct ft_pktcnt ft_pktcount(struct ft_loader *l, const char *map, __u32 key)
{
	uint64_t sum[2];

	ft_percpu(l, map, key, sizeof(struct ft_pktcnt), sum, 2);
	return (struct ft_pktcnt){ .packets = sum[0], .bytes = sum[1] };
}

#endif /* FLOWTAG_TEST_HARNESS_H */
