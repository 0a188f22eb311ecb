// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * L2, veth end to end: the generator namespace transmits small UDP packets
 * over many flows into each device under test (GRO/GSO/TSO off); received
 * packets/s and CPU ns per packet, variants interleaved.
 */
#include "bench.h"

/* L2: the generator transmits over the veth; the DUT receives in NAPI. */
static int l2_measure(struct dut *d, uint32_t repeat, double *pps, double *ns,
		      uint64_t *recv, uint64_t *delta)
{
	int gen = bpf_program__fd(skel->progs.ftb_gen);
	uint64_t in0 = 0, in1 = 0, b[C_N] = { 0 }, a[C_N] = { 0 }, t0, t1, c0, c1, s0, s1;
	int err, k;

	err = ftb_ns_enter(gen_ns);
	if (!err)
		err = dut_walk(d, gen, d->gen_ifindex);
	if (err)
		goto out;
	ftb_ns_enter(d->ns);
	settle(&in0);		/* the warm-up has drained */
	if (dut_is_ft(d))
		snap(d->pol, b);
	ftb_ns_enter(gen_ns);
	s0 = task_ns(ksoftirqd_pid);
	c0 = ftb_thread_ns();
	t0 = ftb_mono_ns();
	err = live_run(gen, d->gen_ifindex, repeat);
	t1 = ftb_mono_ns();
	c1 = ftb_thread_ns();
	s1 = task_ns(ksoftirqd_pid);
	if (err)
		goto out;
	ftb_ns_enter(d->ns);
	settle(&in1);		/* NAPI's last batches */
	if (dut_is_ft(d))
		snap(d->pol, a);
	if (d->kind == V_FT_MISS)
		d->pol->cold_next += repeat;
	*recv = in1 - in0;
	/*
	 * Generator and DUT both run on the bench CPU: the DUT's NAPI runs as
	 * a softirq when the generator re-enables bottom halves after each
	 * batch (charged to the generator thread), or, once that is too much,
	 * in that CPU's ksoftirqd. Their CPU time together per received
	 * packet is the cost of one packet, and 1e9 / that is the packet rate
	 * one CPU sustains. Wall time is no measure here: every live test run
	 * ends with the page pool teardown waiting for an RCU grace period
	 * (~20 ms asleep on this kernel).
	 */
	d->l2_wall_ns += t1 - t0;
	d->l2_thread_ns += c1 - c0;
	d->l2_softirqd_ns += s1 - s0;
	*ns = *recv ? (double)(c1 - c0 + s1 - s0) / *recv : 0;
	*pps = *ns > 0 ? 1e9 / *ns : 0;
	for (k = 0; k < C_N; k++)
		delta[k] = a[k] - b[k];
out:
	ftb_ns_leave();
	return err;
}

int run_l2(struct dut *duts, int nduts, int reps, double target_ms)
{
	uint64_t rng = 11, d[C_N], recv;
	int order[MAX_DUTS], i, rep, err;
	double pps, cpu;

	fprintf(stderr, "L2: calibrating %d rows\n", nduts);
	for (i = 0; i < nduts; i++) {
		if (!duts[i].ready)
			continue;
		/* the first run warms up, the second estimates */
		err = l2_measure(&duts[i], 5000, &pps, &cpu, &recv, d);
		if (!err)
			err = l2_measure(&duts[i], 5000, &pps, &cpu, &recv, d);
		duts[i].l2_wall_ns = duts[i].l2_thread_ns = duts[i].l2_softirqd_ns = 0;
		if (err || pps <= 0) {
			snprintf(duts[i].skip, sizeof(duts[i].skip), "generator: %s",
				 err ? strerror(-err) : "nothing received");
			continue;
		}
		duts[i].repeat2 = (uint32_t)(pps * target_ms / 1000);	/* pps: per CPU-second */
		if (duts[i].repeat2 < 5000)
			duts[i].repeat2 = 5000;
	}
	for (rep = 0; rep < reps; rep++) {
		fprintf(stderr, "L2: repetition %d/%d\n", rep + 1, reps);
		shuffle(order, nduts, &rng);
		for (i = 0; i < nduts; i++) {
			struct dut *x = &duts[order[i]];
			int k;

			if (!x->ready || !x->repeat2)
				continue;
			err = l2_measure(x, x->repeat2, &pps, &cpu, &recv, d);
			if (err)
				return err;
			x->pps[x->n2] = pps;
			x->cpu[x->n2] = cpu;
			x->n2++;
			x->l2_sent += x->repeat2;
			x->l2_recv += recv;
			for (k = 0; k < C_N; k++)
				x->l2_d[k] += d[k];
		}
	}
	return 0;
}

/* The L2 table, of @reps2 repetitions. */
void l2_print(const struct dut *duts, int nduts, int reps2)
{
	char proof[200], rb[12];
	int i;

	printf("\nL2  veth end to end: a generator namespace sends (XDP live frames, XDP_TX)\n"
	       "    over a veth (GRO/GSO/TSO off) to the DUT namespace: native XDP, tc,\n"
	       "    netfilter, blackhole route. Generator and DUT share CPU %d: ns/pkt = CPU\n"
	       "    time of the generator thread + ksoftirqd/%d (the DUT's NAPI runs in one\n"
	       "    or the other) / received packets, generator included (the same in every\n"
	       "    row); pps/CPU = 1e9 / ns/pkt; diff = row - 'none'. Median of %d.\n"
	       "    (Not wall time: each live test run sleeps ~20 ms in page pool teardown.)\n\n",
	       bench_cpu, bench_cpu, reps2);
	printf("%-13s %6s %10s %9s %9s %10s  %s\n", "variant", "rules", "pps/CPU", "ns/pkt", "diff",
	       "recv/sent", "flowtag: meta written/failed, tc seen");
	for (i = 0; i < nduts; i++) {
		const struct dut *x = &duts[i];

		if (!x->n2) {
			printf("%-13s %6s  skipped: %s\n", var_name[x->kind], rules_str(x, rb),
			       x->skip);
			continue;
		}
		if (dut_is_ft(x)) {
			bool ok = x->l2_d[C_WRITTEN] == x->l2_d[C_XDP] && !x->l2_d[C_FAILED] &&
				  x->l2_d[C_XDP] == x->l2_recv && x->l2_recv == x->l2_sent &&
				  (x->kind == V_FT_XDP || x->l2_d[C_SEEN] == x->l2_d[C_WRITTEN]);

			snprintf(proof, sizeof(proof), "%s %" PRIu64 "/%" PRIu64 ", %" PRIu64,
				 ok ? "ok" : "FAILED", x->l2_d[C_WRITTEN], x->l2_d[C_FAILED],
				 x->l2_d[C_SEEN]);
		} else {
			proof[0] = '\0';
		}
		printf("%-13s %6s %10.0f %9.1f %9.1f %9.1f%%  %s\n", var_name[x->kind],
		       rules_str(x, rb), x->spps.med, x->scpu.med, x->s2diff.med,
		       x->l2_sent ? 100.0 * x->l2_recv / x->l2_sent : 0, proof);
	}
}
