/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the benchmark's files share: the policies under test, the L0 cells,
 * the L1/L2 devices under test, and the functions one layer's file calls in
 * another's. The runner (flowtag_bench.c) calls the layers in turn:
 *
 *   bench_policy.c   packets, flows, policies (every layer)
 *   bench_l0.c       L0: program cost under bpf_prog_test_run_opts()
 *   bench_stack.c    the devices under test of L1 and L2, their JSON
 *   bench_l1.c       L1: live frames through the stack path
 *   bench_l2.c       L2: veth end to end
 */
#ifndef FLOWTAG_BENCH_H
#define FLOWTAG_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bpf/harness.h"
#include "bench_flow.h"
#include "bench_ns.h"
#include "bench_util.h"
#include "bench_xdp.skel.h"
#include "log.h"

#define PKT_LEN		60	/* Ethernet minimum: 14 + 20 + 8 + 18 bytes padding */
#define MAX_REPS	31
#define SET_SIZE	100000	/* prefixes of the prefix-set policy */
#define SET_SMALL	100	/* the same policy with a small set: goal 3's reference */
#define SET_HUGE	1000000	/* and with a huge one */
#define FLOOD_SET	1000	/* prefixes of the flood policy's drop set */
#define FLOOD_RULES	10	/* sweep rules behind its drop rule */
#define FLOOD_SHIFT	5	/* under flood: 1 packet in 32 from an established flow */
#define SET_RULES	100	/* sweep rules beside it */
#define NCLASSES	7	/* c0..c6, plus "default" */
#define PORT_BASE	1024	/* rule i matches dport PORT_BASE + i */
#define PORT_NONE	6000	/* dports from here match no rule */

enum { PROG_XDP, PROG_TC, NPROGS };
/* flood: every packet a new flow, dropped by the drop set; under_flood: 1 in
 * 2^FLOOD_SHIFT packets from an established (hot) flow, the rest the flood */
enum { MODE_HIT, MODE_MISS, MODE_FLOOD, MODE_UNDER_FLOOD, NMODES };

extern const char *const prog_name[NPROGS];
extern const char *const mode_name[NMODES];

/* the counters the proof reads, in ft_health_cnt */
enum {
	C_XDP, C_WRITTEN, C_FAILED, C_HIT, C_MISS, C_TC, C_SEEN, C_FALLBACK, C_NONE, C_PARSE,
	C_DROP, C_PREFILTER, C_UNCACHED, C_N
};
extern const enum ft_counter cnt_idx[C_N];
extern const char *const cnt_name[C_N];

/* One policy under test, with a loader (private maps) of its own. */
struct pol {
	char label[48];		/* for the table */
	const char *kind;	/* "rules", "prefix_set" or "flood" */
	bool flood;		/* "flood": a drop rule on @subs first, cold flows from the set */
	int nrules;		/* sweep rules */
	int set_size;		/* prefixes in @subs; 0: no set rule */
	int total_rules;	/* rules in the policy */
	bool uncached;		/* compiled without a flow cache (FT_POL_F_NOCACHE) */
	uint32_t region;	/* its region of ftb_flows */
	struct ft_loader l;
	struct ft_policy p;
	struct ft_compiled c;
	bool open, applied;
	uint32_t cold_next;	/* cold-set cursor: flows are never revisited early */
	int hot_matched;	/* hot flows some rule matches (compiled policy, userspace) */
	int checked, agreed;	/* classification spot check */
	uint32_t *set_pfx;	/* the set's prefixes: addr (host order) */
	uint8_t *set_len;	/* and length */
};

/* One row of the L0 table: (policy, program, cache mode). */
struct cell {
	struct pol *pol;
	int prog, mode;
	uint32_t repeat_ft, repeat_empty;
	double ft[MAX_REPS], empty[MAX_REPS], diff[MAX_REPS];
	double kft[MAX_REPS], kempty[MAX_REPS];
	int n;
	uint64_t pkts;		/* timed packets through the program under test */
	uint64_t d[C_N];	/* counter deltas over exactly those runs */
	uint64_t established;	/* under flood: timed packets of established flows */
	uint64_t run_established; /* ... of the last run */
	double hit_rate;	/* under flood: cache hits / established packets */
	int bad_ret;		/* timed runs with an unexpected return value */
	uint32_t empty_cursor;	/* the empty runs walk the cold set the same way */
	struct ftb_stat sft, sempty, sdiff, skft, skempty;
	double ratio10;		/* diff / diff of the 10-rule policy, same prog and mode */
	bool proven;		/* counters show the success path on every packet */
};

struct opts {
	const char *json;
	const char *dat;
	const char *workdir;	/* for the prefix-set and ruleset files; NULL: mkdtemp */
	int reps;
	double target_ms;
	bool quick;
	bool l0, l1, l2;
	const char *kind;	/* -k: only the policies of this kind; NULL: all */
	int verbose;
};

extern struct bench_xdp *skel;	/* the bench wrappers */
extern uint8_t tmpl[PKT_LEN];	/* the packet the wrappers rewrite */
extern int bench_cpu;		/* the CPU the benchmark runs on */
extern char set_dir[200];	/* scratch directory: prefix-set and ruleset files */

struct run_out {
	double ns;		/* thread CPU time / repeat */
	double kns;		/* the kernel's own per-repeat average (integer ns) */
	uint32_t retval;
};

/* The trap, shown: the production program alone, repeat = 100000. */
struct naive {
	uint32_t repeat;
	double ns;
	uint64_t d[C_N];
	bool done;
};

/* V_FT_XDP: flowtag's XDP half alone (no tc program), a decomposition of
 * V_FT's cost, not a working classifier; V_FLOOR: an empty XDP and an empty
 * tc ingress program, the floor of any XDP + tc classifier (goal 5) */
enum { V_NONE, V_FT, V_FT_MISS, V_FT_XDP, V_NFT_LIN, V_NFT_SET, V_IPT, V_FLOOR, NVARIANTS };
extern const char *const var_name[NVARIANTS];

#define DUT_DEV		"ftd0"
#define DUT_MAC		"02:00:00:00:00:02"
#define GEN_MAC		"02:00:00:00:00:01"
#define MAX_DUTS	32

/* One L1/L2 row: a device under test in a namespace of its own. */
struct dut {
	int kind;		/* V_* */
	struct pol *pol;	/* flows (and for flowtag the loader) of this size */
	struct dut *share;	/* flowtag-miss measures flowtag's namespace */
	bool l2_only;		/* a floor of L2 alone (another traffic pattern) */
	int l2_rules;		/* a floor's L2 traffic: that of a policy of so
				 * many rules (0: of the largest policy) */
	int ns;			/* DUT namespace fd */
	int ifindex;		/* DUT_DEV in it */
	int gen_ifindex;	/* its veth peer in the generator namespace */
	char gen_dev[16];
	bool xdp_attached, tc_attached, ready;
	bool tcx;		/* tc ingress is a tcx link (as flowtagd's on 6.6+): tcx_fd */
	int tcx_fd;
	char skip[96];		/* why the row was not measured */
	uint32_t repeat1, repeat2;
	/* L1 */
	double l1[MAX_REPS];
	int n1;
	uint64_t l1_frames, l1_ipin, l1_hdrerr, l1_d[C_N];
	struct ftb_stat s1, s1diff;
	double l1diff[MAX_REPS];
	/* L2 */
	double pps[MAX_REPS];	/* received / wall time */
	double cpu[MAX_REPS];	/* CPU ns per received packet */
	double l2diff[MAX_REPS];	/* cpu - the floor's, same repetition */
	double l2ratio[MAX_REPS];	/* the floor's cpu / cpu, same repetition */
	int n2;
	uint64_t l2_sent, l2_recv, l2_d[C_N];
	uint64_t l2_mark_ok, l2_mark_bad;	/* received with the expected mark, or not */
	uint64_t l2_wall_ns, l2_thread_ns, l2_softirqd_ns;	/* over the timed runs */
	struct ftb_stat spps, scpu, s2diff, s2ratio;
};

extern int gen_ns;		/* the generator namespace */
extern const char *ftb_tc_hook;	/* "tcx" or "clsact": where the DUTs' tc ingress runs */
extern int ksoftirqd_pid;	/* ksoftirqd of the bench CPU, 0 if not found */

/* ---- bench_policy.c ---- */

/* The Ethernet/IPv4/UDP packet the wrappers rewrite per flow. */
void build_template(uint8_t *p, const uint8_t *dmac, const uint8_t *smac);
/* The source /24 of rule @i, host order. */
uint32_t rule_net(int i);
/* The flow key of @f as the BPF parser builds it on @ifindex. */
struct ft_flow_key flow_key(const struct ftb_flow *f, uint32_t ifindex);
/* Write, compile and load policy @p with a loader of its own. Return: 0 or -errno. */
int pol_setup(struct pol *p);
void pol_free(struct pol *p);

/* ---- bench_l0.c ---- */

/* @p's counters (cnt_idx) now. */
void snap(struct pol *p, uint64_t *v);
/* Make the bench wrapper of XDP (or tc) tail-call @prog_fd. Return: 0 or -errno. */
int set_jump(bool tc, int prog_fd);
/* Which flows of @p the next run walks: hot or cold set, from @iter on. */
void walk(const struct pol *p, int mode, uint32_t iter);
/* One timed run of @c's program (@ft) or the empty one, with counter deltas. */
int measure(struct cell *c, bool ft, uint32_t repeat, struct run_out *r, uint64_t *delta);
/* L0 over every cell, variants interleaved; the naive trap once. Return: 0 or -errno. */
int run_l0(struct pol *pols, int npols, struct cell *cells, int ncells, const struct opts *o,
	   struct naive *nv);
void l0_summarize(struct cell *cells, int ncells);
void l0_print(const struct cell *cells, int ncells, const struct naive *nv,
	      const struct pol *pols, int npols, const struct opts *o);
/* The gnuplot data file of l0.gp. Return: 0 or -errno. */
int l0_write_dat(const struct cell *cells, int ncells, const struct pol *pols, int npols,
		 const char *path);
/* median, min, max of @s as a JSON object */
json_object *jstat(const struct ftb_stat *s);
json_object *l0_json(const struct cell *cells, int ncells);

/* ---- bench_stack.c ---- */

/* CPU time of task @pid so far, ns. */
uint64_t task_ns(int pid);
/* Wait until the softirq thread is idle; @in: its CPU time then. */
void settle(uint64_t *in);
bool dut_is_ft(const struct dut *d);
/* The program L1's live frames go through on @d. */
int l1_ft_target(const struct dut *d);
/* @repeat live frames through @prog_fd as if received on @ifindex. */
int live_run(int prog_fd, int ifindex, uint32_t repeat);
/* Walk @d's flows once so its flow cache holds them. */
int dut_walk(struct dut *d, int prog_fd, int ifindex);
/* Fisher-Yates: a fresh order of the variants every repetition. */
void shuffle(int *v, int n, uint64_t *rng);
int stack_setup(struct pol *pols, int npols, struct dut *duts, int *nduts, int verbose);
void stack_teardown(struct dut *duts, int nduts);
void stack_summarize(struct dut *duts, int nduts);
/* "4096", or "-" for the reference row */
const char *rules_str(const struct dut *x, char *buf);
/* The L1 (@layer 1) or L2 rows as JSON. */
json_object *stack_json(const struct dut *duts, int nduts, int layer);

/* ---- bench_l1.c, bench_l2.c ---- */

/* Return: 0 or -errno. */
int run_l1(struct dut *duts, int nduts, const struct opts *o);
void l1_print(const struct dut *duts, int nduts, const struct opts *o);
/* Is @d a row of L1 (all but the floors of L2 alone)? */
bool l1_row(const struct dut *d);
/* L2 over its rows (floor, flowtag, nft-set), interleaved. Return: 0 or -errno. */
int run_l2(struct dut *duts, int nduts, int reps, double target_ms, int verbose);
/* Is @d a row of L2 (the floor, flowtag, nft-set)? */
bool l2_row(const struct dut *d);
/* Rules (ports, receiving sockets) the L2 traffic of @d cycles over: at
 * most 64; a floor's once run_l2() has seen the policies. */
int l2_traffic_rules(const struct dut *d);
/* The floor measured with the L2 traffic of @x (same rules cycled over), NULL if none. */
const struct dut *l2_floor_of(const struct dut *duts, int nduts, const struct dut *x);
/* Every packet of L2 row @x received, with its mark; flowtag's counters agree. */
bool l2_proven(const struct dut *x);
void l2_print(const struct dut *duts, int nduts, int reps2);

#endif /* FLOWTAG_BENCH_H */
