// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * L0, program cost: the production ft_xdp and ft_tc_ingress under
 * bpf_prog_test_run_opts(), behind the bench wrappers of bench_xdp.bpf.c,
 * against an empty program behind the same wrapper; the production
 * counters prove that every timed packet took the success path. Also the
 * trap a naive repeat falls into, shown once.
 */
#include "bench.h"

/* ---- test runs ---- */

void snap(struct pol *p, uint64_t *v)
{
	int i;

	for (i = 0; i < C_N; i++)
		v[i] = ft_counter(&p->l, cnt_idx[i]);
}

int set_jump(bool tc, int prog_fd)
{
	int fd = bpf_map__fd(tc ? skel->maps.ftb_tc_jmp : skel->maps.ftb_xdp_jmp);
	__u32 k = 0;

	return bpf_map_update_elem(fd, &k, &prog_fd, 0) ? -errno : 0;
}

/* Which flows the next run walks. */
void walk(const struct pol *p, int mode, uint32_t iter)
{
	bool cold = mode != MODE_HIT;

	skel->bss->ftb_cfg.base = p->region * FTB_REGION + (cold ? FTB_COLD : 0);
	skel->bss->ftb_cfg.mask = (cold ? FTB_COLD : FTB_HOT) - 1;
	skel->bss->ftb_cfg.iter = iter;
	/* a set-associative cache keeps some flows of any finite cold set:
	 * miss and flood rows make every packet a new flow */
	skel->bss->ftb_cfg.unique = cold;
	skel->bss->ftb_cfg.flood_shift = mode == MODE_UNDER_FLOOD ? FLOOD_SHIFT : 0;
	skel->bss->ftb_cfg.hot_base = p->region * FTB_REGION;
	skel->bss->ftb_cfg.hot_mask = FTB_HOT - 1;
}

static int test_run(int prog_fd, bool tc, uint32_t repeat, void *out, size_t out_len,
		    struct run_out *r)
{
	struct xdp_md xctx = { .data_end = PKT_LEN }, xout = { 0 };
	struct __sk_buff sctx = { .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = tmpl, .data_size_in = PKT_LEN,
		    .repeat = repeat);
	uint64_t t0, t1;

	if (tc) {
		o.ctx_in = &sctx;
		o.ctx_size_in = sizeof(sctx);
	} else {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
		if (out) {
			o.ctx_out = &xout;
			o.ctx_size_out = sizeof(xout);
		}
	}
	if (out) {
		o.data_out = out;
		o.data_size_out = out_len;
	}
	t0 = ftb_thread_ns();
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	t1 = ftb_thread_ns();
	r->ns = (double)(t1 - t0) / repeat;
	r->kns = o.duration;
	r->retval = o.retval;
	return 0;
}

static int target_fd(struct cell *c, bool ft)
{
	bool flood = c->mode == MODE_FLOOD || c->mode == MODE_UNDER_FLOOD;

	if (c->prog == PROG_XDP)
		return ft ? ft_loader_xdp_fd(&c->pol->l, false) :
			    bpf_program__fd(flood ? skel->progs.ftb_drop : skel->progs.ftb_pass);
	return ft ? ft_loader_tc_ingress_fd(&c->pol->l) : bpf_program__fd(skel->progs.ftb_tc_pass);
}

/*
 * One timed run of @c: the production program (@ft) or the empty one,
 * behind the same wrapper, after the same warm-up. @delta receives the
 * counter deltas of exactly the timed run.
 */
int measure(struct cell *c, bool ft, uint32_t repeat, struct run_out *r, uint64_t *delta)
{
	bool tc = c->prog == PROG_TC;
	int wrap = bpf_program__fd(tc ? skel->progs.ftb_tc : skel->progs.ftb_xdp);
	uint64_t before[C_N], after[C_N];
	struct run_out warm;
	uint32_t *cursor = ft ? &c->pol->cold_next : &c->empty_cursor;
	int err, i;

	err = set_jump(tc, target_fd(c, ft));
	if (err)
		return err;
	if (c->mode == MODE_HIT || c->mode == MODE_UNDER_FLOOD) {
		/* one pass over the hot set: every flow is in the cache; under
		 * flood a second one: every flow is established */
		for (i = 0; i < (c->mode == MODE_HIT ? 1 : 2); i++) {
			walk(c->pol, MODE_HIT, 0);
			err = test_run(wrap, tc, FTB_HOT, NULL, 0, &warm);
			if (err)
				return err;
		}
	}
	if (c->mode != MODE_HIT)
		walk(c->pol, c->mode, *cursor);
	snap(c->pol, before);
	err = test_run(wrap, tc, repeat, NULL, 0, r);
	if (err)
		return err;
	snap(c->pol, after);
	/* under flood, packet i comes from an established flow when
	 * i % 2^FLOOD_SHIFT == 0: count those among [cursor, cursor + repeat) */
	if (ft)
		c->run_established = c->mode != MODE_UNDER_FLOOD ? 0 :
			(((uint64_t)*cursor + repeat + (1u << FLOOD_SHIFT) - 1) >> FLOOD_SHIFT) -
			(((uint64_t)*cursor + (1u << FLOOD_SHIFT) - 1) >> FLOOD_SHIFT);
	if (c->mode != MODE_HIT)
		*cursor += repeat;
	for (i = 0; i < C_N; i++)
		delta[i] = after[i] - before[i];
	return 0;
}

static bool ret_ok(const struct cell *c, uint32_t ret)
{
	/* flood rows: the last packet was dropped, or an established flow's */
	if (c->mode == MODE_FLOOD || c->mode == MODE_UNDER_FLOOD)
		return ret == XDP_DROP || ret == XDP_PASS;
	/* the wrapper returns XDP_ABORTED / TC_ACT_SHOT when the tail call failed */
	return c->prog == PROG_XDP ? ret == XDP_PASS : (int)ret == TC_ACT_UNSPEC;
}

static uint32_t calibrate(struct cell *c, bool ft, double target_ns)
{
	uint64_t d[C_N];
	struct run_out r;
	double est;

	if (measure(c, ft, 16384, &r, d) || r.ns <= 0)
		return 100000;
	est = target_ns / r.ns;
	if (est < 20000)
		est = 20000;
	if (est > 20000000)
		est = 20000000;
	return (uint32_t)est;
}

static int run_naive(struct pol *p, struct naive *nv)
{
	uint64_t before[C_N], after[C_N];
	uint8_t pkt[PKT_LEN];
	struct run_out r;
	uint32_t k = p->region * FTB_REGION;
	struct ftb_flow f;
	int err, i;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.ftb_flows), &k, &f))
		return -errno;
	memcpy(pkt, tmpl, PKT_LEN);
	memcpy(pkt + FTB_OFF_CSUM, &f.csum, 2);
	memcpy(pkt + FTB_OFF_SADDR, &f.saddr, 4);
	memcpy(pkt + FTB_OFF_DADDR, &f.daddr, 4);
	memcpy(pkt + FTB_OFF_SPORT, &f.sport, 2);
	memcpy(pkt + FTB_OFF_DPORT, &f.dport, 2);
	memcpy(tmpl, pkt, PKT_LEN);
	nv->repeat = 100000;
	snap(p, before);
	err = test_run(ft_loader_xdp_fd(&p->l, false), false, nv->repeat, NULL, 0, &r);
	snap(p, after);
	/* back to the plain template */
	memset(tmpl + FTB_OFF_CSUM, 0, 2);
	memset(tmpl + FTB_OFF_SADDR, 0, 12);
	if (err)
		return err;
	nv->ns = r.ns;
	for (i = 0; i < C_N; i++)
		nv->d[i] = after[i] - before[i];
	nv->done = true;
	return 0;
}

/* Spot check: the verdict behind the wrapper is the compiled policy's. */
static int spot_check(struct pol *p)
{
	uint8_t out[PKT_LEN + 64];
	struct cell c = { .pol = p, .prog = PROG_XDP, .mode = MODE_HIT };
	struct run_out r;
	int i, err;

	err = set_jump(false, target_fd(&c, true));
	if (err)
		return err;
	for (i = 0; i < 64; i++) {
		uint32_t f = (uint32_t)i * 61 % FTB_HOT, k = p->region * FTB_REGION + f;
		struct flowtag_meta m;
		struct ft_flow_key key;
		struct ftb_flow fl;

		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.ftb_flows), &k, &fl))
			return -errno;
		walk(p, MODE_HIT, f);
		err = test_run(bpf_program__fd(skel->progs.ftb_xdp), false, 1, out, sizeof(out),
			       &r);
		if (err)
			return err;
		memcpy(&m, out, sizeof(m));
		key = flow_key(&fl, 1);
		p->checked++;
		if (r.retval == XDP_PASS && m.magic_ver == FLOWTAG_META_WORD &&
		    m.rule_id == (ft_compiled_match(&p->c, &key) & 0xffff))
			p->agreed++;
	}
	return 0;
}

/* ---- L0 ---- */

int run_l0(struct pol *pols, int npols, struct cell *cells, int ncells,
		  const struct opts *o, struct naive *nv)
{
	double target = o->target_ms * 1e6;
	uint64_t rng = 42;
	int order[256];
	int i, rep, err;

	fprintf(stderr, "L0: calibrating %d cells\n", ncells);
	for (i = 0; i < ncells; i++) {
		cells[i].repeat_ft = calibrate(&cells[i], true, target);
		cells[i].repeat_empty = calibrate(&cells[i], false, target);
	}
	for (i = 0; i < npols; i++) {
		err = spot_check(&pols[i]);
		if (err)
			return err;
	}
	for (i = 0; i < npols; i++)
		if (pols[i].nrules == 10 && !pols[i].set_size)
			run_naive(&pols[i], nv);

	for (rep = 0; rep < o->reps; rep++) {
		fprintf(stderr, "L0: repetition %d/%d\n", rep + 1, o->reps);
		/* a fresh order every repetition: no cell always follows another */
		for (i = 0; i < ncells; i++)
			order[i] = i;
		for (i = ncells - 1; i > 0; i--) {
			int j = (int)(ftb_rand(&rng) % (uint64_t)(i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < ncells; i++) {
			struct cell *c = &cells[order[i]];
			struct run_out rf, re;
			uint64_t dft[C_N], de[C_N];
			bool ft_first = (rep + i) & 1;
			int k;

			if (ft_first)
				err = measure(c, true, c->repeat_ft, &rf, dft);
			if (!err)
				err = measure(c, false, c->repeat_empty, &re, de);
			if (!err && !ft_first)
				err = measure(c, true, c->repeat_ft, &rf, dft);
			if (err)
				return err;
			c->ft[c->n] = rf.ns;
			c->empty[c->n] = re.ns;
			c->diff[c->n] = rf.ns - re.ns;
			c->kft[c->n] = rf.kns;
			c->kempty[c->n] = re.kns;
			c->n++;
			c->pkts += c->repeat_ft;
			if (c->mode == MODE_UNDER_FLOOD) {
				/* the last ft run of the three measure() calls */
				c->established += c->run_established;
			}
			for (k = 0; k < C_N; k++)
				c->d[k] += dft[k];
			if (!ret_ok(c, rf.retval) || !ret_ok(c, re.retval))
				c->bad_ret++;
		}
	}
	return 0;
}

void l0_summarize(struct cell *cells, int ncells)
{
	int i, j;

	for (i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];
		uint64_t want_cache = c->mode == MODE_HIT ? c->d[C_HIT] : c->d[C_MISS];
		uint64_t est = c->established;

		c->sft = ftb_stats(c->ft, c->n);
		c->sempty = ftb_stats(c->empty, c->n);
		c->sdiff = ftb_stats(c->diff, c->n);
		c->skft = ftb_stats(c->kft, c->n);
		c->skempty = ftb_stats(c->kempty, c->n);
		if (c->prog == PROG_XDP)
			c->proven = c->d[C_XDP] == c->pkts && c->d[C_WRITTEN] == c->pkts &&
				    c->d[C_FAILED] == 0;
		else
			c->proven = c->d[C_TC] == c->pkts && c->d[C_FALLBACK] == c->pkts &&
				    c->d[C_NONE] == c->pkts;
		if (c->mode == MODE_FLOOD) {
			/* every packet a new flow, dropped by the drop pre-filter:
			 * no flow cache lookup at all */
			c->proven = c->d[C_XDP] == c->pkts && c->d[C_DROP] == c->pkts &&
				    c->d[C_WRITTEN] == 0 && c->d[C_HIT] + c->d[C_MISS] == 0;
			want_cache = c->d[C_PREFILTER];
		} else if (c->mode == MODE_UNDER_FLOOD) {
			/* the flood dropped by the pre-filter, the established
			 * flows tagged from the cache (a hit or a miss each) */
			c->proven = c->d[C_XDP] == c->pkts && c->d[C_DROP] == c->pkts - est &&
				    c->d[C_WRITTEN] == est && c->d[C_FAILED] == 0 &&
				    c->d[C_PREFILTER] == c->pkts - est &&
				    c->d[C_HIT] + c->d[C_MISS] == est;
			want_cache = c->pkts;
			c->hit_rate = est ? (double)c->d[C_HIT] / (double)est : 0;
		}
		if (c->pol->uncached && (c->mode == MODE_HIT || c->mode == MODE_MISS)) {
			/* no flow cache: every packet classified by the rules */
			c->proven = c->proven && c->d[C_HIT] + c->d[C_MISS] == 0;
			want_cache = c->d[C_UNCACHED];
		} else if (c->mode == MODE_HIT) {
			/* a flow's 4 candidate ways hold at most 4 of the hot
			 * flows: one whose ways 4 others took (rare, the seed is
			 * random) misses; at least 99% hits, every packet hit or
			 * missed */
			c->proven = c->proven && c->d[C_HIT] + c->d[C_MISS] == c->pkts;
			want_cache = c->d[C_HIT] * 100 >= c->pkts * 99 ? c->pkts : c->d[C_HIT];
		}
		c->proven = c->proven && want_cache == c->pkts && c->d[C_PARSE] == 0 &&
			    !c->bad_ret;
	}
	for (i = 0; i < ncells; i++) {
		cells[i].ratio10 = 0;
		for (j = 0; j < ncells; j++) {
			if (cells[j].pol->nrules != 10 || cells[j].pol->set_size ||
			    cells[j].prog != cells[i].prog || cells[j].mode != cells[i].mode)
				continue;
			if (cells[j].sdiff.med > 0)
				cells[i].ratio10 = cells[i].sdiff.med / cells[j].sdiff.med;
		}
	}
}

static const struct cell *find_cell(const struct cell *cells, int ncells, int nrules, int prog,
				    int mode)
{
	int i;

	for (i = 0; i < ncells; i++)
		if (cells[i].pol->nrules == nrules && !cells[i].pol->set_size &&
		    cells[i].prog == prog && cells[i].mode == mode)
			return &cells[i];
	return NULL;
}

void l0_print(const struct cell *cells, int ncells, const struct naive *nv,
		     const struct pol *pols, int npols, const struct opts *o)
{
	int i;

	printf("\nL0  program cost: bpf_prog_test_run_opts, ns/packet = thread CPU time / repeat,\n"
	       "    median of %d interleaved repetitions, pinned to CPU %d. 'flowtag' is the\n"
	       "    production program behind the bench wrapper, 'empty' an XDP_PASS / no-op tc\n"
	       "    program behind the same wrapper; diff = flowtag - empty (median of the\n"
	       "    per-repetition differences); x10 = diff / diff at 10 rules.\n",
	       o->reps, bench_cpu);
	printf("    proof: over all timed runs, the production program's own counters\n"
	       "    (xdp: meta_written / adjust_failed; tc: fallback / packets) and the flow\n"
	       "    cache hits or misses, against the packets timed.\n\n");
	printf("%-4s %-22s %-5s %6s %9s %7s %9s %6s %26s %20s %s\n", "prog", "policy", "cache",
	       "flows", "flowtag", "empty", "diff", "x10", "meta_written/adjust_failed",
	       "cache hit/miss", "proof");
	for (i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		char wf[64], hm[64];

		if (c->mode == MODE_FLOOD || c->mode == MODE_UNDER_FLOOD)
			snprintf(wf, sizeof(wf), "%" PRIu64 "/%" PRIu64 " drop %" PRIu64 " pf %" PRIu64,
				 c->d[C_WRITTEN], c->d[C_FAILED], c->d[C_DROP], c->d[C_PREFILTER]);
		else if (c->prog == PROG_XDP)
			snprintf(wf, sizeof(wf), "%" PRIu64 "/%" PRIu64, c->d[C_WRITTEN],
				 c->d[C_FAILED]);
		else
			snprintf(wf, sizeof(wf), "(tc fallback %" PRIu64 ")", c->d[C_FALLBACK]);
		if (c->pol->uncached && c->mode != MODE_FLOOD && c->mode != MODE_UNDER_FLOOD)
			snprintf(hm, sizeof(hm), "uncached %" PRIu64, c->d[C_UNCACHED]);
		else
			snprintf(hm, sizeof(hm), "%" PRIu64 "/%" PRIu64, c->d[C_HIT], c->d[C_MISS]);
		printf("%-4s %-22s %-5s %6u %9.1f %7.1f %9.1f %6.2f %26s %20s %s of %" PRIu64 "\n",
		       prog_name[c->prog], c->pol->label, mode_name[c->mode],
		       c->mode == MODE_HIT ? FTB_HOT : FTB_COLD, c->sft.med, c->sempty.med,
		       c->sdiff.med, c->ratio10, wf, hm, c->proven ? "ok" : "FAILED", c->pkts);
	}
	for (i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];

		if (c->mode == MODE_FLOOD)
			printf("\nflood (%s): every packet a new flow from the drop set; 'empty' "
			       "is an XDP_DROP program:\n  drop costs %.1f ns/pkt, %.2fx the empty "
			       "XDP_DROP (%.1f ns), net %.1f ns\n", c->pol->label, c->sft.med,
			       c->sempty.med > 0 ? c->sft.med / c->sempty.med : 0, c->sempty.med,
			       c->sdiff.med);
		if (c->mode == MODE_UNDER_FLOOD)
			printf("under flood: 1 packet in %u from %u established flows, the rest the "
			       "flood:\n  established flows' cache hit rate %.2f%% (%" PRIu64
			       " hits of %" PRIu64 " packets)\n", 1u << FLOOD_SHIFT, FTB_HOT,
			       100.0 * c->hit_rate, c->d[C_HIT], c->established);
	}
	if (nv->done)
		printf("\nthe trap, for comparison: production ft_xdp alone, one packet, repeat=%u "
		       "(no wrapper):\n  %.1f ns/pkt, meta_written %" PRIu64 ", adjust_failed %"
		       PRIu64 " -- %s\n",
		       nv->repeat, nv->ns, nv->d[C_WRITTEN], nv->d[C_FAILED],
		       nv->d[C_FAILED] ? "this times the failure path; the wrapper's rows do not" :
					 "no failures: the kernel no longer reuses the buffer");
	printf("\nclassification spot check (wrapper + ft_xdp vs the compiled policy in "
	       "userspace):");
	for (i = 0; i < npols; i++)
		printf(" %s %d/%d;", pols[i].label, pols[i].agreed, pols[i].checked);
	printf("\nhot flows matching a rule:");
	for (i = 0; i < npols; i++)
		printf(" %s %.0f%%;", pols[i].label, 100.0 * pols[i].hot_matched / FTB_HOT);
	printf("\n");
	{
		const struct cell *m10 = find_cell(cells, ncells, 10, PROG_XDP, MODE_MISS);
		const struct cell *m4k = find_cell(cells, ncells, 4096, PROG_XDP, MODE_MISS);
		const struct cell *h10 = find_cell(cells, ncells, 10, PROG_XDP, MODE_HIT);
		const struct cell *h4k = find_cell(cells, ncells, 4096, PROG_XDP, MODE_HIT);

		if (m10 && m4k && h10 && h4k) {
			double gm = m10->sft.med > 0 ? m4k->sft.med / m10->sft.med : 0;

			printf("\nacceptance (XDP ns/packet, 4096 rules vs 10 rules, within 2x):\n"
			       "  cache miss (classifier runs): net %.1f / %.1f ns = %.2fx, gross "
			       "%.1f / %.1f ns = %.2fx -> %s\n"
			       "  cache hit:                    net %.1f / %.1f ns = %.2fx -> %s\n",
			       m4k->sdiff.med, m10->sdiff.med, m4k->ratio10, m4k->sft.med,
			       m10->sft.med, gm,
			       m4k->ratio10 <= 2.0 ? "within 2x" : "NOT within 2x",
			       h4k->sdiff.med, h10->sdiff.med, h4k->ratio10,
			       h4k->ratio10 <= 2.0 ? "within 2x" : "NOT within 2x");
		}
	}
}

/* gnuplot data: one line per sweep policy, net ns/packet per (prog, mode). */
int l0_write_dat(const struct cell *cells, int ncells, const struct pol *pols, int npols,
			const char *path)
{
	FILE *f = fopen(path, "we");
	int i, prog, mode;

	if (!f)
		return -errno;
	fprintf(f, "# rules xdp_hit xdp_miss tc_hit tc_miss (net ns/packet: flowtag - empty)\n");
	for (i = 0; i < npols; i++) {
		if (pols[i].set_size)
			continue;
		fprintf(f, "%d", pols[i].nrules);
		for (prog = 0; prog < NPROGS; prog++)
			for (mode = 0; mode <= MODE_MISS; mode++) {
				const struct cell *c =
					find_cell(cells, ncells, pols[i].nrules, prog, mode);

				fprintf(f, " %.2f", c ? c->sdiff.med : 0.0);
			}
		fprintf(f, "\n");
	}
	/* second data block (gnuplot index 1): the prefix-set policy */
	for (i = 0; i < npols; i++) {
		if (pols[i].set_size != SET_SIZE || pols[i].flood)
			continue;
		fprintf(f, "\n\n%d", pols[i].total_rules);
		for (prog = 0; prog < NPROGS; prog++)
			for (mode = 0; mode <= MODE_MISS; mode++) {
				const struct cell *c = NULL;
				int j;

				for (j = 0; j < ncells; j++)
					if (cells[j].pol == &pols[i] && cells[j].prog == prog &&
					    cells[j].mode == mode)
						c = &cells[j];
				fprintf(f, " %.2f", c ? c->sdiff.med : 0.0);
			}
		fprintf(f, "\n");
	}
	return fclose(f) ? -errno : 0;
}

json_object *jstat(const struct ftb_stat *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "median", json_object_new_double(s->med));
	json_object_object_add(o, "min", json_object_new_double(s->min));
	json_object_object_add(o, "max", json_object_new_double(s->max));
	return o;
}

json_object *l0_json(const struct cell *cells, int ncells)
{
	json_object *arr = json_object_new_array();
	int i, k;

	for (i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		json_object *o = json_object_new_object(), *cnt = json_object_new_object();

		json_object_object_add(o, "program", json_object_new_string(prog_name[c->prog]));
		json_object_object_add(o, "policy", json_object_new_string(c->pol->label));
		json_object_object_add(o, "policy_kind", json_object_new_string(c->pol->kind));
		json_object_object_add(o, "rules", json_object_new_int(c->pol->total_rules));
		json_object_object_add(o, "prefix_set_size", json_object_new_int(c->pol->set_size));
		json_object_object_add(o, "src4_table_bytes", json_object_new_int64(
			(int64_t)ft_dir4_bytes(&c->pol->c.src4_table)));
		json_object_object_add(o, "cache", json_object_new_string(mode_name[c->mode]));
		json_object_object_add(o, "flows", json_object_new_int(
			c->mode == MODE_HIT ? FTB_HOT : FTB_COLD));
		json_object_object_add(o, "reps", json_object_new_int(c->n));
		json_object_object_add(o, "ns_per_pkt", json_object_new_double(c->sft.med));
		json_object_object_add(o, "empty_ns_per_pkt",
				       json_object_new_double(c->sempty.med));
		json_object_object_add(o, "diff_ns_per_pkt", json_object_new_double(c->sdiff.med));
		json_object_object_add(o, "ratio_vs_10_rules", json_object_new_double(c->ratio10));
		json_object_object_add(o, "flowtag", jstat(&c->sft));
		json_object_object_add(o, "empty", jstat(&c->sempty));
		json_object_object_add(o, "diff", jstat(&c->sdiff));
		json_object_object_add(o, "kernel_duration_ns_per_pkt", jstat(&c->skft));
		json_object_object_add(o, "kernel_duration_empty_ns_per_pkt", jstat(&c->skempty));
		json_object_object_add(o, "repeat", json_object_new_int64(c->repeat_ft));
		json_object_object_add(o, "empty_repeat", json_object_new_int64(c->repeat_empty));
		json_object_object_add(o, "packets", json_object_new_int64((int64_t)c->pkts));
		for (k = 0; k < C_N; k++)
			json_object_object_add(cnt, cnt_name[k],
					       json_object_new_int64((int64_t)c->d[k]));
		json_object_object_add(o, "counters", cnt);
		json_object_object_add(o, "meta_written",
				       json_object_new_int64((int64_t)c->d[C_WRITTEN]));
		json_object_object_add(o, "adjust_failed",
				       json_object_new_int64((int64_t)c->d[C_FAILED]));
		json_object_object_add(o, "unexpected_retval_runs",
				       json_object_new_int(c->bad_ret));
		if (c->mode == MODE_UNDER_FLOOD) {
			json_object_object_add(o, "established_packets",
					       json_object_new_int64((int64_t)c->established));
			json_object_object_add(o, "established_hit_rate",
					       json_object_new_double(c->hit_rate));
		}
		json_object_object_add(o, "success_path_proven",
				       json_object_new_boolean(c->proven));
		json_object_object_add(o, "hot_flows_matching_a_rule",
				       json_object_new_double((double)c->pol->hot_matched /
							      FTB_HOT));
		json_object_array_add(arr, o);
	}
	return arr;
}

