// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * L1, stack path: live frames (BPF_F_TEST_XDP_LIVE_FRAMES) "received" on
 * each device under test, through XDP, tc ingress and netfilter to the
 * blackhole route, from inside its namespace; variants interleaved.
 */
#include "bench.h"

/* L1: live frames into the DUT's stack, from inside its namespace. */
static int l1_measure(struct dut *d, uint32_t repeat, double *ns, uint64_t *frames,
		      uint64_t *ipin, uint64_t *hdrerr, uint64_t *delta)
{
	int wrap = bpf_program__fd(skel->progs.ftb_xdp);
	uint64_t in0 = 0, in1 = 0, he0 = 0, he1 = 0, b[C_N] = { 0 }, a[C_N] = { 0 };
	uint64_t t0, t1;
	int err, k;

	err = ftb_ns_enter(d->ns);
	if (!err)
		err = set_jump(false, l1_ft_target(d));
	if (!err)
		err = dut_walk(d, wrap, d->ifindex);
	if (err)
		goto out;
	ftb_snmp("/proc/net/snmp", "Ip", "InReceives", &in0);
	ftb_snmp("/proc/net/snmp", "Ip", "InHdrErrors", &he0);
	if (dut_is_ft(d))
		snap(d->pol, b);
	t0 = ftb_thread_ns();
	err = live_run(wrap, d->ifindex, repeat);
	t1 = ftb_thread_ns();
	if (err)
		goto out;
	if (dut_is_ft(d))
		snap(d->pol, a);
	ftb_snmp("/proc/net/snmp", "Ip", "InReceives", &in1);
	ftb_snmp("/proc/net/snmp", "Ip", "InHdrErrors", &he1);
	if (d->kind == V_FT_MISS)
		d->pol->cold_next += repeat;
	*ns = (double)(t1 - t0) / repeat;
	*frames = repeat;
	*ipin = in1 - in0;
	*hdrerr = he1 - he0;
	for (k = 0; k < C_N; k++)
		delta[k] = a[k] - b[k];
out:
	ftb_ns_leave();
	return err;
}


bool l1_row(const struct dut *d)
{
	return !d->l2_only;
}

int run_l1(struct dut *duts, int nduts, const struct opts *o)
{
	double target = o->target_ms * 1e6;
	uint64_t rng = 7, d[C_N], fr, in, he;
	int order[MAX_DUTS], i, rep, err;
	double ns;

	fprintf(stderr, "L1: calibrating %d rows\n", nduts);
	for (i = 0; i < nduts; i++) {
		if (!duts[i].ready || !l1_row(&duts[i]))
			continue;
		err = l1_measure(&duts[i], 4096, &ns, &fr, &in, &he, d);
		if (err) {
			snprintf(duts[i].skip, sizeof(duts[i].skip), "live frames: %s",
				 strerror(-err));
			duts[i].ready = false;
			continue;
		}
		duts[i].repeat1 = ns > 0 ? (uint32_t)(target / ns) : 10000;
		if (duts[i].repeat1 < 2000)
			duts[i].repeat1 = 2000;
		if (duts[i].repeat1 > 5000000)
			duts[i].repeat1 = 5000000;
	}
	for (rep = 0; rep < o->reps; rep++) {
		fprintf(stderr, "L1: repetition %d/%d\n", rep + 1, o->reps);
		shuffle(order, nduts, &rng);
		for (i = 0; i < nduts; i++) {
			struct dut *x = &duts[order[i]];
			int k;

			if (!x->ready || !l1_row(x))
				continue;
			err = l1_measure(x, x->repeat1, &ns, &fr, &in, &he, d);
			if (err)
				return err;
			x->l1[x->n1++] = ns;
			x->l1_frames += fr;
			x->l1_ipin += in;
			x->l1_hdrerr += he;
			for (k = 0; k < C_N; k++)
				x->l1_d[k] += d[k];
		}
	}
	return 0;
}

static const char *l1_proof(const struct dut *x, char *buf, size_t len)
{
	bool ok = x->l1_ipin == x->l1_frames && x->l1_hdrerr == 0;

	if (dut_is_ft(x)) {
		bool unc = x->pol->uncached;
		uint64_t cache = unc ? x->l1_d[C_UNCACHED] :
				 x->kind == V_FT_MISS ? x->l1_d[C_MISS] : x->l1_d[C_HIT];
		/* hits: at least 99% (a flow's 4 ways hold 4 of the hot flows),
		 * misses: every frame (each a new flow); no flow cache: every
		 * frame classified by the rules */
		bool cache_ok = unc ? cache == x->l1_frames &&
				      x->l1_d[C_HIT] + x->l1_d[C_MISS] == 0 :
				x->kind == V_FT_MISS ? cache == x->l1_frames :
				cache * 100 >= x->l1_frames * 99 &&
				x->l1_d[C_HIT] + x->l1_d[C_MISS] == x->l1_frames;

		ok = ok && x->l1_d[C_WRITTEN] == x->l1_frames && x->l1_d[C_FAILED] == 0 &&
		     (x->kind == V_FT_XDP || x->l1_d[C_SEEN] == x->l1_frames) && cache_ok;
		snprintf(buf, len, "%s ip %" PRIu64 "/%" PRIu64 " written %" PRIu64 " failed %"
			 PRIu64 " tc-seen %" PRIu64 " %s %" PRIu64, ok ? "ok" : "FAILED",
			 x->l1_ipin, x->l1_frames, x->l1_d[C_WRITTEN], x->l1_d[C_FAILED],
			 x->l1_d[C_SEEN], unc ? "uncached" : x->kind == V_FT_MISS ? "miss" : "hit",
			 cache);
	} else {
		snprintf(buf, len, "%s ip %" PRIu64 "/%" PRIu64, ok ? "ok" : "FAILED", x->l1_ipin,
			 x->l1_frames);
	}
	return buf;
}

/* The L1 table. */
void l1_print(const struct dut *duts, int nduts, const struct opts *o)
{
	char proof[200], rb[12];
	int i;

	printf("\nL1  stack path: live frames (BPF_F_TEST_XDP_LIVE_FRAMES) received on a veth "
	       "in a\n"
	       "    namespace: XDP (bench wrapper + ft_xdp or empty), tc ingress (%s, as\n"
	       "    flowtagd's tc_hook = \"auto\" on this kernel), netfilter prerouting,\n"
	       "    blackhole route. ns/packet = thread CPU time / frames, median of %d;\n"
	       "    diff = row - 'none' in the same repetition. proof: ip InReceives / frames\n"
	       "    (flowtag: meta written in XDP, seen by tc, flow cache).\n\n", ftb_tc_hook,
	       o->reps);
	printf("%-13s %6s %9s %9s  %s\n", "variant", "rules", "ns/pkt", "diff", "proof");
	for (i = 0; i < nduts; i++) {
		const struct dut *x = &duts[i];

		if (!l1_row(x))
			continue;
		if (!x->n1) {
			printf("%-13s %6s  skipped: %s\n", var_name[x->kind], rules_str(x, rb),
			       x->skip);
			continue;
		}
		printf("%-13s %6s %9.1f %9.1f  %s\n", var_name[x->kind], rules_str(x, rb),
		       x->s1.med, x->s1diff.med,
		       l1_proof(x, proof, sizeof(proof)));
	}
}
