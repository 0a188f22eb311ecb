// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtag benchmark driver: `make bench` runs it through bench/run.sh.
 * What each layer measures and how to read the numbers: bench/README.md.
 *
 *   flowtag_bench [-o results.json] [-d l0.dat] [-w DIR] [-r REPS] [-t MS] [-q]
 *                 [--no-l1] [--no-l2] [-v]
 *
 * L0: the production programs (ft_xdp and ft_tc_ingress, loaded by the
 * loader with shared maps, one loader per policy) under
 * bpf_prog_test_run_opts, behind the bench wrappers of bench_xdp.bpf.c,
 * against an empty program behind the same wrapper.
 * L1, L2: the same policies through the kernel's receive path, in network
 * namespaces of our own (bench_ns.h), against nftables and iptables.
 *
 * This file is the runner: options, the machine, the policies, then each
 * layer in turn (bench_l0.c, bench_l1.c, bench_l2.c; their devices under
 * test in bench_stack.c) and the JSON of all of them. bench.h lists who
 * does what.
 */
#include <getopt.h>
#include <sched.h>
#include <sys/utsname.h>

#include "bench.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: flowtag_bench [-o results.json] [-d l0.dat] [-w DIR] [-r REPS] [-t MS]\n"
		   "                     [-q] [-k KIND] [--no-l0] [--no-l1] [--no-l2] [-v]\n"
		   "  -w DIR    scratch directory (default: a new one in /tmp, removed at exit)\n"
		   "  -r REPS   repetitions per variant (default 11; L2 uses at most 7)\n"
		   "  -t MS     target duration of one timed run (default 20 ms)\n"
		   "  -q        quick: 5 repetitions of 5 ms, for trying things out\n"
		   "  -k KIND   L0 alone, with the policies of KIND only (rules, prefix_set\n"
		   "            or flood): for trying things out; goals not measured\n"
		   "  --no-l0   skip L0 (policies are still loaded): e.g. L2 alone with\n"
		   "            --no-l0 --no-l1\n");
}

static int pin_cpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	/* the last CPU: CPU 0 takes most device interrupts */
	bench_cpu = n > 1 ? (int)n - 1 : 0;
	CPU_ZERO(&set);
	CPU_SET(bench_cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static json_object *machine_json(const struct ftb_cpustat *a0, const struct ftb_cpustat *a1,
				 const struct ftb_cpustat *p0, const struct ftb_cpustat *p1)
{
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	struct utsname u;
	char model[256], kernel[600];
	uint64_t tot = ftb_cpustat_total(a1) - ftb_cpustat_total(a0);
	uint64_t ptot = ftb_cpustat_total(p1) - ftb_cpustat_total(p0);
	uint64_t all_steal = a1->steal - a0->steal, cpu_steal = p1->steal - p0->steal;

	uname(&u);
	snprintf(kernel, sizeof(kernel), "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
	ftb_cpu_model(model, sizeof(model));
	json_object_object_add(o, "kernel", json_object_new_string(kernel));
	json_object_object_add(o, "kernel_release", json_object_new_string(u.release));
	json_object_object_add(o, "cpu_model", json_object_new_string(model));
	json_object_object_add(o, "cpus_online",
			       json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(o, "bench_cpu", json_object_new_int(bench_cpu));
	json_object_object_add(st, "unit", json_object_new_string("USER_HZ ticks from /proc/stat"));
	json_object_object_add(st, "all_cpus_before", json_object_new_int64((int64_t)a0->steal));
	json_object_object_add(st, "all_cpus_after", json_object_new_int64((int64_t)a1->steal));
	json_object_object_add(st, "all_cpus_percent",
			       json_object_new_double(tot ? 100.0 * all_steal / tot : 0));
	json_object_object_add(st, "bench_cpu_before", json_object_new_int64((int64_t)p0->steal));
	json_object_object_add(st, "bench_cpu_after", json_object_new_int64((int64_t)p1->steal));
	json_object_object_add(st, "bench_cpu_percent",
			       json_object_new_double(ptot ? 100.0 * cpu_steal / ptot : 0));
	json_object_object_add(o, "steal", st);
	return o;
}

/* Options into @o. Return: -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "no-l0", no_argument, NULL, 3 },
		{ "no-l1", no_argument, NULL, 1 },
		{ "no-l2", no_argument, NULL, 2 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:d:r:t:w:k:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strcmp(optarg, "rules") && strcmp(optarg, "prefix_set") &&
			    strcmp(optarg, "flood")) {
				fprintf(stderr, "flowtag_bench: -k %s: not rules, prefix_set "
					"or flood\n", optarg);
				return 2;
			}
			o->kind = optarg;
			o->l1 = o->l2 = false;
			break;
		case 'w':
			o->workdir = optarg;
			break;
		case 'o':
			o->json = optarg;
			break;
		case 'd':
			o->dat = optarg;
			break;
		case 'r':
			o->reps = atoi(optarg);
			break;
		case 't':
			o->target_ms = atof(optarg);
			break;
		case 'q':
			o->quick = true;
			o->reps = 5;
			o->target_ms = 5;
			break;
		case 'v':
			o->verbose++;
			break;
		case 3:
			o->l0 = false;
			break;
		case 1:
			o->l1 = false;
			break;
		case 2:
			o->l2 = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o->reps < 1 || o->reps > MAX_REPS || o->target_ms <= 0) {
		fprintf(stderr, "flowtag_bench: -r must be 1..%d, -t positive\n", MAX_REPS);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "flowtag_bench: needs root (BPF test runs, namespaces)\n");
		return 77;
	}
	return -1;
}

/* set_dir: -w DIR, or a new directory in /tmp. Return: -1 to go on, else the exit code. */
static int make_workdir(const struct opts *o)
{
	if (o->workdir) {
		if (snprintf(set_dir, sizeof(set_dir), "%s", o->workdir) >= (int)sizeof(set_dir)) {
			fprintf(stderr, "flowtag_bench: -w path too long\n");
			return 2;
		}
		return -1;
	}
	snprintf(set_dir, sizeof(set_dir), "/tmp/flowtag-bench.XXXXXX");
	if (!mkdtemp(set_dir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	return -1;
}

static void remove_workdir(const struct opts *o)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/subscribers.txt", set_dir);
	unlink(path);
	if (!o->workdir)
		rmdir(set_dir);
}

/* Load every policy, fill each one's flow cache once (so the miss runs
 * always evict), and make the L0 cells. Return: 0 or -errno. */
static int load_policies(struct pol *pols, int npols, struct cell *cells, int *ncells)
{
	int i, err, prog, mode;

	for (i = 0; i < npols; i++) {
		struct pol *p = &pols[i];
		struct cell cc = { .pol = p, .prog = PROG_XDP, .mode = MODE_MISS };
		struct run_out r;
		uint64_t t0;
		char why[256];
		uint64_t d[C_N];

		p->region = (uint32_t)i;
		if (p->flood)
			snprintf(p->label, sizeof(p->label), "flood: %d rules, %dk drop set",
				 p->nrules + 1, p->set_size / 1000);
		else if (p->set_size >= 1000000)
			snprintf(p->label, sizeof(p->label), "%d rules + %dM set", p->nrules + 1,
				 p->set_size / 1000000);
		else if (p->set_size >= 1000)
			snprintf(p->label, sizeof(p->label), "%d rules + %dk set", p->nrules + 1,
				 p->set_size / 1000);
		else if (p->set_size)
			snprintf(p->label, sizeof(p->label), "%d rules + %d set", p->nrules + 1,
				 p->set_size);
		else
			snprintf(p->label, sizeof(p->label), "%d rule%s", p->nrules,
				 p->nrules == 1 ? "" : "s");
		fprintf(stderr, "loading policy: %s\n", p->label);
		t0 = ftb_mono_ns();
		err = pol_setup(p);
		if (err) {
			fprintf(stderr, "policy %s: %s\n", p->label, strerror(-err));
			return err;
		}
		fprintf(stderr, "  compiled and loaded in %.2f s; src IPv4 prefix table %u chunks in %u "
			"blocks, %.2f MiB; %s; %s; flow cache %s\n", (double)(ftb_mono_ns() - t0) / 1e9,
			p->c.src4_table.nchunks, p->c.src4_table.nblocks,
			(double)ft_dir4_bytes(&p->c.src4_table) / (1 << 20),
			p->c.hdr.flags & FT_POL_F_PFX4_SRC ? "src hashed" : "src from the table",
			p->c.hdr.flags & FT_POL_F_WORD ? "one-word search" :
			p->c.hdr.flags & FT_POL_F_HEADS ? "bitmap search from the heads" :
			"bitmap search",
			ft_flow_cache_describe(&p->c, why, sizeof(why)));
		err = measure(&cc, true, FTB_COLD, &r, d);
		if (err)
			return err;
	}
	*ncells = 0;
	for (i = 0; i < npols; i++)
		for (prog = 0; prog < NPROGS; prog++)
			for (mode = 0; mode < NMODES; mode++) {
				/* the flood policy: XDP flood rows only; the others
				 * hit and miss rows */
				if (pols[i].flood != (mode >= MODE_FLOOD) ||
				    (pols[i].flood && prog != PROG_XDP))
					continue;
				cells[(*ncells)++] = (struct cell){ .pol = &pols[i], .prog = prog,
								    .mode = mode };
			}
	return 0;
}

/* ---- goals (issue 11): each a ratio of figures of this run ---- */

static const struct cell *goal_cell(const struct cell *cells, int ncells, int set_size, int mode)
{
	int i;

	for (i = 0; i < ncells; i++)
		if (cells[i].prog == PROG_XDP && cells[i].mode == mode &&
		    cells[i].pol->set_size == set_size && !cells[i].pol->flood == (mode < MODE_FLOOD))
			return &cells[i];
	return NULL;
}

static const struct dut *goal_dut(const struct dut *duts, int nduts, int kind, int nrules)
{
	int i;

	for (i = 0; i < nduts; i++)
		if (duts[i].kind == kind && duts[i].pol->nrules == nrules && duts[i].n1 > 0)
			return &duts[i];
	return NULL;
}

/* The L2 row of @kind (and @nrules, unless the floor), NULL if not measured. */
static const struct dut *goal_dut2(const struct dut *duts, int nduts, int kind, int nrules)
{
	int i;

	for (i = 0; i < nduts; i++)
		if (duts[i].kind == kind && (kind == V_FLOOR || duts[i].pol->nrules == nrules) &&
		    duts[i].n2 > 0)
			return &duts[i];
	return NULL;
}

/* One goal: print it, add it to @arr. @met: 1 met, 0 not met, -1 not measured. */
static void goal_add(json_object *arr, int id, const char *what, const char *target,
		     const char *measured, double ratio, int met)
{
	json_object *o = json_object_new_object();

	printf("  %d. %-58s %s\n     measured: %s -> %s\n", id, what, target, measured,
	       met < 0 ? "not measured" : met ? "met" : "NOT met");
	json_object_object_add(o, "goal", json_object_new_int(id));
	json_object_object_add(o, "what", json_object_new_string(what));
	json_object_object_add(o, "target", json_object_new_string(target));
	json_object_object_add(o, "measured", json_object_new_string(measured));
	json_object_object_add(o, "ratio", met < 0 ? NULL : json_object_new_double(ratio));
	json_object_object_add(o, "met", met < 0 ? NULL : json_object_new_boolean(met));
	json_object_array_add(arr, o);
}

static json_object *goals(const struct cell *cells, int ncells, const struct pol *pols, int npols,
			  const struct dut *duts, int nduts, bool l1, bool l2)
{
	static const int counts[] = { 10, 100, 1000, 4096 };
	json_object *arr = json_object_new_array();
	char m[512];
	size_t off;
	double worst;
	int i, met;

	printf("\ngoals (issue 11), each a ratio of figures measured in this run:\n");
	/* 1: L1 flowtag-miss diff <= nft-set diff at every rule count */
	off = 0;
	worst = 0;
	met = l1 ? 1 : -1;
	for (i = 0; l1 && i < 4; i++) {
		const struct dut *f = goal_dut(duts, nduts, V_FT_MISS, counts[i]);
		const struct dut *n = goal_dut(duts, nduts, V_NFT_SET, counts[i]);
		double r = f && n && n->s1diff.med > 0 ? f->s1diff.med / n->s1diff.med : 0;

		if (!f || !n) {
			met = -1;
			break;
		}
		off += (size_t)snprintf(m + off, sizeof(m) - off, "%s%d: %.0f/%.0f ns = %.2fx",
					i ? ", " : "", counts[i], f->s1diff.med, n->s1diff.med, r);
		if (r > worst)
			worst = r;
		if (r > 1.0)
			met = 0;
	}
	goal_add(arr, 1, "miss path <= nft set (L1 flowtag-miss diff / nft-set diff)",
		 "<= 1.0 at 10, 100, 1000, 4096 rules", met < 0 ? "no L1 figures" : m, worst,
		 met);
	/* 2: L1 flowtag (hit) diff <= 0.6x nft set at 10, <= 0.4x at 4096 */
	{
		const struct dut *f10 = goal_dut(duts, nduts, V_FT, 10);
		const struct dut *n10 = goal_dut(duts, nduts, V_NFT_SET, 10);
		const struct dut *f4k = goal_dut(duts, nduts, V_FT, 4096);
		const struct dut *n4k = goal_dut(duts, nduts, V_NFT_SET, 4096);
		double r10 = 0, r4k = 0;

		met = l1 && f10 && n10 && f4k && n4k && n10->s1diff.med > 0 &&
		      n4k->s1diff.med > 0 ? 1 : -1;
		if (met > 0) {
			r10 = f10->s1diff.med / n10->s1diff.med;
			r4k = f4k->s1diff.med / n4k->s1diff.med;
			met = r10 <= 0.6 && r4k <= 0.4;
			snprintf(m, sizeof(m), "10: %.0f/%.0f ns = %.2fx, 4096: %.0f/%.0f ns = %.2fx",
				 f10->s1diff.med, n10->s1diff.med, r10, f4k->s1diff.med,
				 n4k->s1diff.med, r4k);
		}
		goal_add(arr, 2, "hit path vs nft set (L1 flowtag diff / nft-set diff)",
			 "<= 0.6 at 10 rules, <= 0.4 at 4096", met < 0 ? "no L1 figures" : m,
			 r10 / 0.6 > r4k / 0.4 ? r10 : r4k, met);
	}
	/* 3: L0 XDP miss with 10^5 and 10^6 prefixes <= 1.3x with 100 */
	{
		const struct cell *s = goal_cell(cells, ncells, SET_SMALL, MODE_MISS);
		const struct cell *b5 = goal_cell(cells, ncells, SET_SIZE, MODE_MISS);
		const struct cell *b6 = goal_cell(cells, ncells, SET_HUGE, MODE_MISS);
		double r5 = 0, r6 = 0;

		met = s && b5 && b6 && s->sdiff.med > 0 ? 1 : -1;
		if (met > 0) {
			r5 = b5->sdiff.med / s->sdiff.med;
			r6 = b6->sdiff.med / s->sdiff.med;
			met = r5 <= 1.3 && r6 <= 1.3;
			snprintf(m, sizeof(m), "10^5: %.0f/%.0f ns = %.2fx, 10^6: %.0f/%.0f ns = %.2fx",
				 b5->sdiff.med, s->sdiff.med, r5, b6->sdiff.med, s->sdiff.med, r6);
		}
		goal_add(arr, 3, "prefix sets flat (L0 XDP miss, set of N / set of 100)",
			 "<= 1.3 at 10^5 and 10^6", met < 0 ? "no prefix-set rows" : m,
			 r5 > r6 ? r5 : r6, met);
	}
	/* 4: flood: established hit rate >= 95 %, drop <= 3x an empty XDP_DROP */
	{
		const struct cell *fl = goal_cell(cells, ncells, FLOOD_SET, MODE_FLOOD);
		const struct cell *un = goal_cell(cells, ncells, FLOOD_SET, MODE_UNDER_FLOOD);
		double r = 0;

		met = fl && un && fl->sempty.med > 0 ? 1 : -1;
		if (met > 0) {
			double pair[MAX_REPS];
			struct ftb_stat rs;
			int i;

			r = fl->sft.med / fl->sempty.med;
			met = un->hit_rate >= 0.95 && r <= 3.0;
			/* the verdict is the medians'; the spread of each
			 * repetition's own pair says how close to the line that is */
			for (i = 0; i < fl->n; i++)
				pair[i] = fl->empty[i] > 0 ? fl->ft[i] / fl->empty[i] : 0;
			rs = ftb_stats(pair, fl->n);
			snprintf(m, sizeof(m), "established hit rate %.2f%%; drop %.1f/%.1f ns = %.2fx "
				 "(wrapper included in both; %.2f-%.2fx in the %d repetitions)",
				 100.0 * un->hit_rate, fl->sft.med, fl->sempty.med, r, rs.min, rs.max,
				 rs.n);
		}
		goal_add(arr, 4, "flood resistance (L0 XDP, flood and under-flood rows)",
			 "hit rate >= 95 %, drop <= 3.0x empty XDP_DROP",
			 met < 0 ? "no flood rows" : m, r, met);
	}
	/* 5: L2: flowtag packets per CPU-second / the floor's (empty XDP + tc) */
	{
		const struct dut *fl = goal_dut2(duts, nduts, V_FLOOR, 0);
		const struct dut *f1k = goal_dut2(duts, nduts, V_FT, 1000);
		const struct dut *f4k = goal_dut2(duts, nduts, V_FT, 4096);
		double r1k = 0, r4k = 0;

		met = l2 && fl && f1k && f4k && f1k->s2ratio.n && f4k->s2ratio.n ? 1 : -1;
		if (met > 0) {
			/* median of the per-repetition ratios */
			r1k = f1k->s2ratio.med;
			r4k = f4k->s2ratio.med;
			met = r1k >= 0.97 && r4k >= 0.97 && l2_proven(fl) && l2_proven(f1k) &&
			      l2_proven(f4k);
			/* the paired figures of each repetition (its ratio, its
			 * diff), not the floor's and the row's own medians: on a
			 * noisy machine those two can even come out in the wrong
			 * order while every repetition's pair does not */
			snprintf(m, sizeof(m), "1000: %.3fx (%+.0f ns/pkt over the floor), 4096: "
				 "%.3fx (%+.0f ns/pkt); medians of %d paired repetitions, floor %.0f "
				 "ns/pkt (udp sendmmsg -> recvmmsg, marks checked: %s)",
				 r1k, f1k->s2diff.med, r4k, f4k->s2diff.med, f1k->s2ratio.n,
				 fl->scpu.med, l2_proven(fl) && l2_proven(f1k) && l2_proven(f4k) ?
				 "proven" : "NOT proven");
		}
		goal_add(arr, 5, "veth end to end, socket traffic (L2 floor / flowtag ns/pkt)",
			 ">= 0.97 at 1000 and 4096 rules", met < 0 ? "no L2 figures" : m,
			 r1k < r4k ? r1k : r4k, met);
	}
	{
		int proven = 0, agreed = 0, checked = 0, l2rows = 0, l2proven = 0;

		for (i = 0; i < ncells; i++)
			proven += cells[i].proven;
		for (i = 0; i < npols; i++) {
			agreed += pols[i].agreed;
			checked += pols[i].checked;
		}
		for (i = 0; l2 && i < nduts; i++)
			if (l2_row(&duts[i]) && duts[i].n2) {
				l2rows++;
				l2proven += l2_proven(&duts[i]);
			}
		snprintf(m, sizeof(m), "L0 rows proven %d/%d, spot checks %d/%d, L2 rows proven "
			 "%d/%d (the differential tests: make check)", proven, ncells, agreed,
			 checked, l2proven, l2rows);
		goal_add(arr, 6, "correct: proofs of every row, spot checks", "all",
			 m, ncells ? (double)proven / ncells : 0,
			 ncells ? proven == ncells && agreed == checked && l2proven == l2rows : -1);
	}
	return arr;
}

static json_object *naive_json(const struct naive *nv)
{
	json_object *n = json_object_new_object();

	json_object_object_add(n, "what", json_object_new_string(
		"production ft_xdp alone, one packet, non-live repeat: the trap"));
	json_object_object_add(n, "repeat", json_object_new_int64(nv->repeat));
	json_object_object_add(n, "ns_per_pkt", json_object_new_double(nv->ns));
	json_object_object_add(n, "meta_written", json_object_new_int64((int64_t)nv->d[C_WRITTEN]));
	json_object_object_add(n, "adjust_failed", json_object_new_int64((int64_t)nv->d[C_FAILED]));
	return n;
}

int main(int argc, char **argv)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct opts o = { .json = "bench/results.json", .dat = NULL, .reps = 11, .target_ms = 20,
			  .l0 = true, .l1 = true, .l2 = true };
	struct pol pols[] = {
		{ .kind = "rules", .nrules = 1 },
		{ .kind = "rules", .nrules = 10 },
		{ .kind = "rules", .nrules = 100 },
		{ .kind = "rules", .nrules = 1000 },
		{ .kind = "rules", .nrules = 4096 },
		{ .kind = "prefix_set", .nrules = SET_RULES, .set_size = SET_SIZE },
		{ .kind = "prefix_set", .nrules = SET_RULES, .set_size = SET_SMALL },
		{ .kind = "prefix_set", .nrules = SET_RULES, .set_size = SET_HUGE },
		{ .kind = "flood", .nrules = FLOOD_RULES, .set_size = FLOOD_SET, .flood = true },
	};
	int npols = sizeof(pols) / sizeof(pols[0]), ncells = 0;
	struct cell cells[sizeof(pols) / sizeof(pols[0]) * NPROGS * NMODES];
	struct ftb_cpustat a0 = { 0 }, a1 = { 0 }, per0[256], per1[256];
	struct naive nv = { 0 };
	struct dut duts[MAX_DUTS];
	int nduts = 0, reps2;
	json_object *root = NULL, *gl;
	int i, err = 0;
	uint64_t t_start = ftb_mono_ns();

	err = parse_args(argc, argv, &o);
	if (err >= 0)
		return err;
	ft_log_init("flowtag_bench", FT_LOG_STDERR, o.verbose);
	/* progress goes to stderr: keep the table's lines in order with it */
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = pin_cpu();
	if (err)
		fprintf(stderr, "warning: cannot pin to CPU %d: %s\n", bench_cpu, strerror(-err));
	memset(per0, 0, sizeof(per0));
	memset(per1, 0, sizeof(per1));
	ftb_read_cpustat(&a0, per0, 256);
	err = make_workdir(&o);
	if (err >= 0)
		return err;
	err = 0;
	build_template(tmpl, dmac, smac);

	skel = bench_xdp__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "cannot load the bench wrappers: %s\n", strerror(-err));
		goto out;
	}
	{
		/* -k: one kind only; without L0, the rule policies only (L1 and
		 * L2 use no other): the sets are not loaded */
		int n = 0;

		for (i = 0; i < npols; i++)
			if ((!o.kind || !strcmp(pols[i].kind, o.kind)) &&
			    (o.l0 || !pols[i].set_size))
				pols[n++] = pols[i];
		npols = n;
	}
	err = load_policies(pols, npols, cells, &ncells);
	if (err)
		goto out;

	/* L0 */
	if (o.l0) {
		err = run_l0(pols, npols, cells, ncells, &o, &nv);
		if (err) {
			fprintf(stderr, "L0 failed: %s\n", strerror(-err));
			goto out;
		}
		l0_summarize(cells, ncells);
		l0_print(cells, ncells, &nv, pols, npols, &o);
		if (o.dat)
			l0_write_dat(cells, ncells, pols, npols, o.dat);
	} else {
		ncells = 0;	/* goals 3, 4 and 6: not measured */
	}

	/* L1 and L2, on the same devices under test */
	if (o.l1 || o.l2) {
		reps2 = o.reps;	/* L2 has 9 rows: as many repetitions as L0 */
		err = stack_setup(pols, npols, duts, &nduts, o.verbose);
		if (err) {
			fprintf(stderr, "L1/L2 setup failed: %s\n", strerror(-err));
			goto out;
		}
		if (o.l1)
			err = run_l1(duts, nduts, &o);
		if (!err && o.l2)
			err = run_l2(duts, nduts, reps2, o.quick ? 50 : 200, o.verbose);
		if (err) {
			fprintf(stderr, "L1/L2 failed: %s\n", strerror(-err));
			goto out;
		}
		stack_summarize(duts, nduts);
		if (o.l1)
			l1_print(duts, nduts, &o);
		if (o.l2)
			l2_print(duts, nduts, reps2);
	}

	gl = goals(cells, ncells, pols, npols, duts, nduts, o.l1, o.l2);
	ftb_read_cpustat(&a1, per1, 256);
	root = json_object_new_object();
	json_object_object_add(root, "machine",
			       machine_json(&a0, &a1, &per0[bench_cpu], &per1[bench_cpu]));
	json_object_object_add(root, "l0", l0_json(cells, ncells));
	if (nv.done)
		json_object_object_add(root, "l0_naive_trap", naive_json(&nv));
	if (o.l1 || o.l2)
		json_object_object_add(root, "tc_hook", json_object_new_string(ftb_tc_hook));
	if (o.l1)
		json_object_object_add(root, "l1", stack_json(duts, nduts, 1));
	if (o.l2)
		json_object_object_add(root, "l2", stack_json(duts, nduts, 2));
	json_object_object_add(root, "goals", gl);
	json_object_object_add(root, "runtime_s",
			       json_object_new_double((ftb_mono_ns() - t_start) / 1e9));
	if (json_object_to_file_ext(o.json, root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE)) {
		fprintf(stderr, "cannot write %s: %s\n", o.json, json_util_get_last_err());
		err = -EIO;
	} else {
		printf("\nwrote %s\n", o.json);
	}
out:
	json_object_put(root);
	stack_teardown(duts, nduts);
	for (i = 0; i < npols; i++)
		pol_free(&pols[i]);
	bench_xdp__destroy(skel);
	remove_workdir(&o);
	return err ? 1 : 0;
}
