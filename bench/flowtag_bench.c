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
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <linux/if_ether.h>

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
#define SET_RULES	100	/* sweep rules beside it */
#define NCLASSES	7	/* c0..c6, plus "default" */
#define PORT_BASE	1024	/* rule i matches dport PORT_BASE + i */
#define PORT_NONE	6000	/* dports from here match no rule */

enum { PROG_XDP, PROG_TC, NPROGS };
enum { MODE_HIT, MODE_MISS, NMODES };

static const char *const prog_name[NPROGS] = { "xdp", "tc" };
static const char *const mode_name[NMODES] = { "hit", "miss" };

/* the counters the proof reads, in ft_counters */
enum {
	C_XDP, C_WRITTEN, C_FAILED, C_HIT, C_MISS, C_TC, C_SEEN, C_FALLBACK, C_NONE, C_PARSE, C_N
};
static const enum ft_counter cnt_idx[C_N] = {
	FT_CNT_XDP_PKTS,  FT_CNT_META_WRITTEN, FT_CNT_ADJUST_FAILED, FT_CNT_CACHE_HIT,
	FT_CNT_CACHE_MISS, FT_CNT_TC_PKTS,     FT_CNT_META_SEEN,     FT_CNT_FALLBACK,
	FT_CNT_META_NONE, FT_CNT_PARSE_ERR,
};
static const char *const cnt_name[C_N] = {
	"xdp_pkts", "meta_written", "adjust_failed", "cache_hit", "cache_miss",
	"tc_pkts",  "meta_seen",    "fallback",      "meta_none", "parse_err",
};

/* One policy under test, with a loader (private maps) of its own. */
struct pol {
	char label[48];		/* for the table */
	const char *kind;	/* "rules" or "prefix_set" */
	int nrules;		/* sweep rules */
	int set_size;		/* prefixes in @subs; 0: no set rule */
	int total_rules;	/* rules in the policy */
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
	bool l1, l2;
	int verbose;
};

static struct bench_xdp *skel;
static uint8_t tmpl[PKT_LEN];	/* the packet the wrappers rewrite */
static int bench_cpu;
static char set_dir[200];

/* ---- packets and flows ---- */

static uint16_t ip_csum(const uint8_t *ip)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 20; i += 2)
		if (i != 10)
			sum += (ip[i] << 8) | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void build_template(uint8_t *p, const uint8_t *dmac, const uint8_t *smac)
{
	memset(p, 0, PKT_LEN);
	memcpy(p, dmac, 6);
	memcpy(p + 6, smac, 6);
	p[12] = 0x08;		/* IPv4 */
	p[14] = 0x45;
	p[16] = 0;
	p[17] = PKT_LEN - 14;	/* total length */
	p[22] = 64;		/* ttl */
	p[23] = IPPROTO_UDP;
	p[14 + 20 + 5] = 8 + (PKT_LEN - 14 - 28);	/* UDP length */
}

/* The flow's entry, with the checksum its addresses give the template. */
static struct ftb_flow make_flow(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	struct ftb_flow f = {
		.saddr = htonl(saddr),
		.daddr = htonl(daddr),
		.sport = htons(sport),
		.dport = htons(dport),
	};
	uint8_t ip[20];
	uint16_t c;

	memcpy(ip, tmpl + 14, 20);
	memcpy(ip + 12, &f.saddr, 4);
	memcpy(ip + 16, &f.daddr, 4);
	c = htons(ip_csum(ip));
	f.csum = c;
	return f;
}

/* The /24 of sweep rule i: 198.18.0.0/15 holds 512; 0 and 511 stay free
 * for the device and the destinations. */
static uint32_t rule_net(int i)
{
	return 0xc6120000u + ((1 + (uint32_t)i * 37 % 510) << 8);
}

#define DST_NET	0xc613ff00u	/* 198.19.255.0/24: destinations, blackholed in L1/L2 */

/*
 * Flow generator. Sweep rule r matches udp, dport PORT_BASE + r and
 * src in rule_net(r); 7 flows in 8 hit a rule (uniformly), 1 in 16 has a
 * rule's port but another rule's source (no rule: every field but one
 * matches), 1 in 16 a port no rule names. In the prefix-set policy half the
 * flows come from the set (rule 0) and the other half are sweep flows.
 * @j: the flow's number, unique in the region (< FTB_HOT + FTB_COLD).
 */
static struct ftb_flow gen_flow(const struct pol *p, uint64_t *rng, uint32_t j)
{
	uint64_t r = ftb_rand(rng);
	/* (sport, dst) comes from the flow's number: no two flows are equal,
	 * so a cold run never hits a duplicate in the cache */
	uint32_t dst = DST_NET + 1 + j / 60000;
	uint16_t sport = 1024 + (uint16_t)(j % 60000);
	uint32_t u = (r >> 24) & 15, host = 1 + (uint32_t)((r >> 28) % 254);
	int rule = (int)((r >> 36) % p->nrules);

	if (p->set_size && (r >> 60) & 1) {
		uint64_t s = ftb_rand(rng);
		uint32_t k = (uint32_t)(s % p->set_size);
		uint32_t span = p->set_len[k] >= 32 ? 1 : 1u << (32 - p->set_len[k]);

		return make_flow(p->set_pfx[k] + (uint32_t)((s >> 32) % span), dst, sport,
				 PORT_BASE + (uint16_t)((s >> 20) % 4096));
	}
	if (u < 14)
		return make_flow(rule_net(rule) + host, dst, sport, PORT_BASE + rule);
	if (u == 14)
		return make_flow(rule_net(rule + 1) + host, dst, sport, PORT_BASE + rule);
	return make_flow(rule_net(rule) + host, dst, sport, PORT_NONE + (uint16_t)(r % 1000));
}

/* The key ft_xdp builds for @f in a test run (ifindex 1: lo). */
static struct ft_flow_key flow_key(const struct ftb_flow *f, uint32_t ifindex)
{
	struct ft_flow_key k = {
		.ifindex = ifindex,
		.sport = ntohs(f->sport),
		.dport = ntohs(f->dport),
		.vlan = FT_VLAN_NONE,
		.family = FT_FAM_IPV4,
		.proto = IPPROTO_UDP,
		.l4 = FT_L4_PORTS,
	};

	k.src[0] = f->saddr;
	k.dst[0] = f->daddr;
	return k;
}

/* Fill @p's region of ftb_flows: the hot set and the cold set. */
static int fill_flows(struct pol *p)
{
	int fd = bpf_map__fd(skel->maps.ftb_flows);
	uint32_t n = FTB_HOT + FTB_COLD, i, count;
	struct ftb_flow *v = calloc(n, sizeof(*v));
	uint32_t *keys = calloc(n, sizeof(*keys));
	uint64_t rng = 0x5eed0000u + p->region;
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	int err = 0;

	if (!v || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		keys[i] = p->region * FTB_REGION + (i < FTB_HOT ? i : FTB_COLD + i - FTB_HOT);
		v[i] = gen_flow(p, &rng, i);
	}
	p->hot_matched = 0;
	for (i = 0; i < FTB_HOT; i++) {
		struct ft_flow_key k = flow_key(&v[i], 1);

		if (ft_compiled_match(&p->c, &k) != FT_RULE_NONE)
			p->hot_matched++;
	}
	count = n;
	if (bpf_map_update_batch(fd, keys, v, &count, &bo)) {
		for (i = 0, err = 0; i < n && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], &v[i], 0))
				err = -errno;
	}
out:
	free(v);
	free(keys);
	return err;
}

/* ---- policies ---- */

static int write_set(struct pol *p, char *path, size_t len)
{
	uint64_t rng = 0xabcdefull;
	FILE *f;
	int k;

	p->set_pfx = calloc(p->set_size, sizeof(*p->set_pfx));
	p->set_len = calloc(p->set_size, sizeof(*p->set_len));
	if (!p->set_pfx || !p->set_len)
		return -ENOMEM;
	snprintf(path, len, "%s/subscribers.txt", set_dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# %d subscriber prefixes in 10.0.0.0/8, one per 128-address block\n",
		p->set_size);
	/* disjoint: prefix k lives in block k of 128 addresses, /25../32 */
	for (k = 0; k < p->set_size; k++) {
		uint32_t len8 = 25 + (uint32_t)(ftb_rand(&rng) % 8);
		uint32_t base = 0x0a000000u + (uint32_t)k * 128;

		base += (uint32_t)(ftb_rand(&rng) % 128) & ~((1u << (32 - len8)) - 1);
		p->set_pfx[k] = base;
		p->set_len[k] = len8;
		fprintf(f, "%u.%u.%u.%u/%u\n", base >> 24, (base >> 16) & 255, (base >> 8) & 255,
			base & 255, len8);
	}
	if (fclose(f))
		return -errno;
	return 0;
}

/* The policy text: realistic and the same shape at every size. */
static int policy_text(struct pol *p, struct ftb_buf *b)
{
	int ncl = p->nrules < NCLASSES ? (p->nrules ? p->nrules : 1) : NCLASSES;
	char set_path[320];
	int i, err;

	/* names no interface but lo: the test runs see ifindex 1 */
	ftb_printf(b, "interfaces = ( { name = \"lo\"; } );\n");
	ftb_printf(b, "mark_mask = 0x0000ff00;\nclasses = (\n");
	for (i = 0; i < ncl; i++)
		ftb_printf(b, "  { name = \"c%d\"; mark = 0x%x; priority = \"1:%x\"; },\n", i,
			   (i + 1) << 8, 0x10 * (i + 1));
	ftb_printf(b, "  { name = \"default\"; mark = 0x%x; priority = \"1:ff\"; }\n);\n",
		   (NCLASSES + 1) << 8);
	if (p->set_size) {
		err = write_set(p, set_path, sizeof(set_path));
		if (err)
			return err;
		ftb_printf(b, "prefix_sets = ( { name = \"subs\"; file = \"%s\"; } );\n", set_path);
	}
	ftb_printf(b, "rules = (\n");
	if (p->set_size)
		ftb_printf(b,
			   "  { match = { src = \"@subs\"; proto = \"udp\"; }; "
			   "class = \"c0\"; }%s\n",
			   p->nrules ? "," : "");
	for (i = 0; i < p->nrules; i++) {
		uint32_t net = rule_net(i);

		ftb_printf(b,
			   "  { match = { proto = \"udp\"; dport = %d; src = \"%u.%u.%u.0/24\"; }; "
			   "class = \"c%d\"; }%s\n",
			   PORT_BASE + i, net >> 24, (net >> 16) & 255, (net >> 8) & 255,
			   i % ncl, i + 1 < p->nrules ? "," : "");
	}
	ftb_printf(b, ");\ndefault_class = \"default\";\n");
	return b->err;
}

static int pol_setup(struct pol *p)
{
	struct ftb_buf b = { 0 };
	int err;

	err = ft_loader_open(&p->l, NULL);	/* private maps: never the daemon's pins */
	if (err)
		return err;
	p->open = true;
	err = policy_text(p, &b);
	if (err)
		goto out;
	err = ft_apply_text(&p->l, b.s, &p->p, &p->c);
	if (err)
		goto out;
	p->applied = true;
	p->total_rules = (int)p->c.nrules;
	err = fill_flows(p);
out:
	ftb_buf_free(&b);
	return err;
}

static void pol_free(struct pol *p)
{
	if (p->applied) {
		ft_compiled_free(&p->c);
		ft_policy_free(&p->p);
	}
	if (p->open)
		ft_loader_close(&p->l);
	free(p->set_pfx);
	free(p->set_len);
	p->open = p->applied = false;
}

/* ---- test runs ---- */

static void snap(struct pol *p, uint64_t *v)
{
	int i;

	for (i = 0; i < C_N; i++)
		v[i] = ft_counter(&p->l, cnt_idx[i]);
}

static int set_jump(bool tc, int prog_fd)
{
	int fd = bpf_map__fd(tc ? skel->maps.ftb_tc_jmp : skel->maps.ftb_xdp_jmp);
	__u32 k = 0;

	return bpf_map_update_elem(fd, &k, &prog_fd, 0) ? -errno : 0;
}

/* Which flows the next run walks. */
static void walk(const struct pol *p, int mode, uint32_t iter)
{
	skel->bss->ftb_cfg.base = p->region * FTB_REGION + (mode == MODE_MISS ? FTB_COLD : 0);
	skel->bss->ftb_cfg.mask = (mode == MODE_MISS ? FTB_COLD : FTB_HOT) - 1;
	skel->bss->ftb_cfg.iter = iter;
}

struct run_out {
	double ns;		/* thread CPU time / repeat */
	double kns;		/* the kernel's own per-repeat average (integer ns) */
	uint32_t retval;
};

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
	if (c->prog == PROG_XDP)
		return ft ? ft_loader_xdp_fd(&c->pol->l, false) :
			    bpf_program__fd(skel->progs.ftb_pass);
	return ft ? ft_loader_tc_ingress_fd(&c->pol->l) : bpf_program__fd(skel->progs.ftb_tc_pass);
}

/*
 * One timed run of @c: the production program (@ft) or the empty one,
 * behind the same wrapper, after the same warm-up. @delta receives the
 * counter deltas of exactly the timed run.
 */
static int measure(struct cell *c, bool ft, uint32_t repeat, struct run_out *r, uint64_t *delta)
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
	if (c->mode == MODE_HIT) {
		/* one pass over the hot set: every flow is in the cache */
		walk(c->pol, MODE_HIT, 0);
		err = test_run(wrap, tc, FTB_HOT, NULL, 0, &warm);
		if (err)
			return err;
	} else {
		walk(c->pol, MODE_MISS, *cursor);
	}
	snap(c->pol, before);
	err = test_run(wrap, tc, repeat, NULL, 0, r);
	if (err)
		return err;
	snap(c->pol, after);
	if (c->mode == MODE_MISS)
		*cursor += repeat;
	for (i = 0; i < C_N; i++)
		delta[i] = after[i] - before[i];
	return 0;
}

static bool ret_ok(const struct cell *c, uint32_t ret)
{
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

/* The trap, shown: the production program alone, repeat = 100000. */
struct naive {
	uint32_t repeat;
	double ns;
	uint64_t d[C_N];
	bool done;
};

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

static int run_l0(struct pol *pols, int npols, struct cell *cells, int ncells,
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
			for (k = 0; k < C_N; k++)
				c->d[k] += dft[k];
			if (!ret_ok(c, rf.retval) || !ret_ok(c, re.retval))
				c->bad_ret++;
		}
	}
	return 0;
}

static void l0_summarize(struct cell *cells, int ncells)
{
	int i, j;

	for (i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];
		uint64_t want_cache = c->mode == MODE_HIT ? c->d[C_HIT] : c->d[C_MISS];

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

static void l0_print(const struct cell *cells, int ncells, const struct naive *nv,
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

		if (c->prog == PROG_XDP)
			snprintf(wf, sizeof(wf), "%" PRIu64 "/%" PRIu64, c->d[C_WRITTEN],
				 c->d[C_FAILED]);
		else
			snprintf(wf, sizeof(wf), "(tc fallback %" PRIu64 ")", c->d[C_FALLBACK]);
		snprintf(hm, sizeof(hm), "%" PRIu64 "/%" PRIu64, c->d[C_HIT], c->d[C_MISS]);
		printf("%-4s %-22s %-5s %6u %9.1f %7.1f %9.1f %6.2f %26s %20s %s of %" PRIu64 "\n",
		       prog_name[c->prog], c->pol->label, mode_name[c->mode],
		       c->mode == MODE_HIT ? FTB_HOT : FTB_COLD, c->sft.med, c->sempty.med,
		       c->sdiff.med, c->ratio10, wf, hm, c->proven ? "ok" : "FAILED", c->pkts);
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
static int l0_write_dat(const struct cell *cells, int ncells, const struct pol *pols, int npols,
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
			for (mode = 0; mode < NMODES; mode++) {
				const struct cell *c =
					find_cell(cells, ncells, pols[i].nrules, prog, mode);

				fprintf(f, " %.2f", c ? c->sdiff.med : 0.0);
			}
		fprintf(f, "\n");
	}
	/* second data block (gnuplot index 1): the prefix-set policy */
	for (i = 0; i < npols; i++) {
		if (!pols[i].set_size)
			continue;
		fprintf(f, "\n\n%d", pols[i].total_rules);
		for (prog = 0; prog < NPROGS; prog++)
			for (mode = 0; mode < NMODES; mode++) {
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

static json_object *jstat(const struct ftb_stat *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "median", json_object_new_double(s->med));
	json_object_object_add(o, "min", json_object_new_double(s->min));
	json_object_object_add(o, "max", json_object_new_double(s->max));
	return o;
}

static json_object *l0_json(const struct cell *cells, int ncells)
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
		json_object_object_add(o, "success_path_proven",
				       json_object_new_boolean(c->proven));
		json_object_object_add(o, "hot_flows_matching_a_rule",
				       json_object_new_double((double)c->pol->hot_matched /
							      FTB_HOT));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- L1 and L2: the same policy through the stack ---- */

/* V_FT_XDP: flowtag's XDP half alone (no tc program), a decomposition of
 * V_FT's cost, not a working classifier */
enum { V_NONE, V_FT, V_FT_MISS, V_FT_XDP, V_NFT_LIN, V_NFT_SET, V_IPT, NVARIANTS };
static const char *const var_name[NVARIANTS] = {
	"none", "flowtag", "flowtag-miss", "flowtag-xdp", "nft-linear", "nft-set", "iptables",
};

#define DUT_DEV		"ftd0"
#define DUT_MAC		"02:00:00:00:00:02"
#define GEN_MAC		"02:00:00:00:00:01"
#define MAX_DUTS	32

/* One L1/L2 row: a device under test in a namespace of its own. */
struct dut {
	int kind;		/* V_* */
	struct pol *pol;	/* flows (and for flowtag the loader) of this size */
	struct dut *share;	/* flowtag-miss measures flowtag's namespace */
	int ns;			/* DUT namespace fd */
	int ifindex;		/* DUT_DEV in it */
	int gen_ifindex;	/* its veth peer in the generator namespace */
	char gen_dev[16];
	bool xdp_attached, tc_attached, ready;
	char skip[96];		/* why the row was not measured */
	uint32_t repeat1, repeat2;
	/* L1 */
	double l1[MAX_REPS];
	int n1;
	uint64_t l1_frames, l1_ipin, l1_hdrerr, l1_d[C_N];
	struct ftb_stat s1, s1diff;
	double l1diff[MAX_REPS];
	/* L2 */
	double pps[MAX_REPS], cpu[MAX_REPS], l2diff[MAX_REPS];
	int n2;
	uint64_t l2_sent, l2_recv, l2_d[C_N];
	uint64_t l2_wall_ns, l2_thread_ns, l2_softirqd_ns;	/* over the timed runs */
	struct ftb_stat spps, scpu, s2diff;
};

static int gen_ns = -1;
static int ksoftirqd_pid;	/* ksoftirqd of the bench CPU, 0 if not found */

/* The kernel thread that runs the bench CPU's deferred softirqs (NAPI). */
static int find_ksoftirqd(int cpu)
{
	char want[32], path[64], comm[64];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int pid = 0;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while (!pid && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			pid = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return pid;
}

/* CPU time of a task in ns (/proc/PID/schedstat), 0 if unknown. */
static uint64_t task_ns(int pid)
{
	char path[64];
	uint64_t v = 0;
	FILE *f;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Wait until the current namespace's IP input counter stands still: the
 * DUT's NAPI may still be draining in ksoftirqd. Leaves it in @in. */
static void settle(uint64_t *in)
{
	uint64_t prev = 0;
	int i;

	ftb_snmp("/proc/net/snmp", "Ip", "InReceives", &prev);
	for (i = 0; i < 200; i++) {
		usleep(1000);
		ftb_snmp("/proc/net/snmp", "Ip", "InReceives", in);
		if (*in == prev)
			return;
		prev = *in;
	}
}

static bool dut_is_ft(const struct dut *d)
{
	return d->kind == V_FT || d->kind == V_FT_MISS || d->kind == V_FT_XDP;
}

/* The netfilter rendering of the sweep policy of @p (same rules, same order). */
static int nf_write(const struct dut *d, char *path, size_t len)
{
	const struct pol *p = d->pol;
	int ncl = p->nrules < NCLASSES ? p->nrules : NCLASSES, i;
	FILE *f;

	snprintf(path, len, "%s/nf-%s-%d", set_dir, var_name[d->kind], p->nrules);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (d->kind == V_IPT) {
		/* MARK does not terminate: every packet walks all N rules */
		fprintf(f, "*mangle\n:PREROUTING ACCEPT [0:0]\n");
		for (i = 0; i < p->nrules; i++) {
			uint32_t net = rule_net(i);

			fprintf(f, "-A PREROUTING -s %u.%u.%u.0/24 -p udp --dport %d "
				   "-j MARK --set-xmark 0x%x/0xff00\n",
				net >> 24, (net >> 16) & 255, (net >> 8) & 255, PORT_BASE + i,
				(i % ncl + 1) << 8);
		}
		fprintf(f, "-A PREROUTING -m mark --mark 0x0/0xff00 -j MARK --set-xmark "
			   "0x%x/0xff00\nCOMMIT\n", (NCLASSES + 1) << 8);
		return fclose(f) ? -errno : 0;
	}
	fprintf(f, "table ip ftb {\n");
	if (d->kind == V_NFT_SET) {
		for (i = 0; i < ncl; i++)
			fprintf(f, "\tchain c%d {\n\t\tmeta mark set 0x%x meta priority set 1:%x "
				   "accept\n\t}\n", i, (i + 1) << 8, 0x10 * (i + 1));
		fprintf(f, "\tmap cls {\n\t\ttype ipv4_addr . inet_service : verdict\n"
			   "\t\tflags interval\n\t\telements = {\n");
		for (i = 0; i < p->nrules; i++) {
			uint32_t net = rule_net(i);

			fprintf(f, "\t\t\t%u.%u.%u.0/24 . %d : jump c%d%s\n", net >> 24,
				(net >> 16) & 255, (net >> 8) & 255, PORT_BASE + i, i % ncl,
				i + 1 < p->nrules ? "," : "");
		}
		fprintf(f, "\t\t}\n\t}\n");
	}
	fprintf(f, "\tchain pre {\n"
		   "\t\ttype filter hook prerouting priority mangle; policy accept;\n");
	if (d->kind == V_NFT_SET) {
		fprintf(f, "\t\tip saddr . udp dport vmap @cls\n");
	} else {
		for (i = 0; i < p->nrules; i++) {
			uint32_t net = rule_net(i);

			fprintf(f, "\t\tip saddr %u.%u.%u.0/24 udp dport %d meta mark set 0x%x "
				   "meta priority set 1:%x accept\n",
				net >> 24, (net >> 16) & 255, (net >> 8) & 255, PORT_BASE + i,
				(i % ncl + 1) << 8, 0x10 * (i % ncl + 1));
		}
	}
	fprintf(f, "\t\tmeta mark set 0x%x meta priority set 1:ff\n\t}\n}\n", (NCLASSES + 1) << 8);
	return fclose(f) ? -errno : 0;
}

static int dut_attach(struct dut *d, int verbose)
{
	int xdp_fd = dut_is_ft(d) ? ft_loader_xdp_fd(&d->pol->l, false) :
				    bpf_program__fd(skel->progs.ftb_pass);
	int err;

	err = ftb_ns_enter(d->ns);
	if (err)
		return err;
	/* every DUT runs an XDP program (flowtag's or an empty one): veth
	 * needs one on the receiving side to accept XDP_TX frames, and all
	 * variants then take the same NAPI path */
	err = bpf_xdp_attach(d->ifindex, xdp_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		snprintf(d->skip, sizeof(d->skip), "native XDP attach: %s", strerror(-err));
		goto out;
	}
	d->xdp_attached = true;
	if (d->kind == V_FT || d->kind == V_FT_MISS) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = ft_loader_tc_ingress_fd(&d->pol->l),
			    .handle = 0xf7, .priority = 0xf7);

		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST) {
			snprintf(d->skip, sizeof(d->skip), "clsact: %s", strerror(-err));
			goto out;
		}
		err = bpf_tc_attach(&hook, &to);
		if (err) {
			snprintf(d->skip, sizeof(d->skip), "tc attach: %s", strerror(-err));
			goto out;
		}
		d->tc_attached = true;
	}
	if (verbose)
		fprintf(stderr, "attached %s to %s\n", var_name[d->kind], DUT_DEV);
out:
	ftb_ns_leave();
	return err;
}

static void dut_detach(struct dut *d)
{
	if (d->share || d->ns < 0 || ftb_ns_enter(d->ns))
		return;
	if (d->tc_attached) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);	/* the qdisc is ours: the namespace is */
	}
	if (d->xdp_attached)
		bpf_xdp_detach(d->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	ftb_ns_leave();
}

static int dut_setup(struct dut *d, int idx, int verbose)
{
	char cmd[400], nf[320];
	int err;

	if (d->share) {
		d->ns = d->share->ns;
		d->ifindex = d->share->ifindex;
		d->gen_ifindex = d->share->gen_ifindex;
		snprintf(d->gen_dev, sizeof(d->gen_dev), "%s", d->share->gen_dev);
		d->ready = d->share->ready;
		if (!d->ready)
			snprintf(d->skip, sizeof(d->skip), "%s", d->share->skip);
		return 0;
	}
	d->ns = ftb_ns_new();
	if (d->ns < 0)
		return d->ns;
	/* IPv4 only: no IPv6 autoconfiguration chatter in the counters */
	ftb_ns_sh(d->ns, verbose, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
	snprintf(d->gen_dev, sizeof(d->gen_dev), "ftg%d", idx);
	snprintf(cmd, sizeof(cmd),
		 "ip link add " DUT_DEV " address " DUT_MAC " type veth peer name %s address "
		 GEN_MAC " netns /proc/%d/fd/%d", d->gen_dev, (int)getpid(), gen_ns);
	err = ftb_ns_sh(d->ns, verbose, cmd);
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip link set lo up");
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip addr add 198.18.0.1/30 dev " DUT_DEV);
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip link set " DUT_DEV " up");
	/* the one terminal every variant ends in */
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip route add blackhole 198.19.255.0/24");
	if (!err) {
		snprintf(cmd, sizeof(cmd), "ip link set %s up", d->gen_dev);
		err = ftb_ns_sh(gen_ns, verbose, cmd);
	}
	if (err) {
		snprintf(d->skip, sizeof(d->skip), "namespace setup failed (ip)");
		return err;
	}
	/* GRO/GSO/TSO off on both ends: one skb per packet */
	ftb_ns_sh(d->ns, verbose, "ethtool -K " DUT_DEV " gro off gso off tso off");
	snprintf(cmd, sizeof(cmd), "ethtool -K %s gro off gso off tso off", d->gen_dev);
	ftb_ns_sh(gen_ns, verbose, cmd);

	err = ftb_ns_enter(d->ns);
	if (err)
		return err;
	d->ifindex = (int)if_nametoindex(DUT_DEV);
	ftb_ns_leave();
	ftb_ns_enter(gen_ns);
	d->gen_ifindex = (int)if_nametoindex(d->gen_dev);
	ftb_ns_leave();
	if (!d->ifindex || !d->gen_ifindex) {
		snprintf(d->skip, sizeof(d->skip), "veth pair missing");
		return -ENODEV;
	}

	if (d->kind == V_NFT_LIN || d->kind == V_NFT_SET || d->kind == V_IPT) {
		const char *tool = d->kind == V_IPT ? "iptables-restore" : "nft";
		char *argv[4];

		if (!ftb_have(tool)) {
			snprintf(d->skip, sizeof(d->skip), "%s not installed", tool);
			return 0;
		}
		err = nf_write(d, nf, sizeof(nf));
		if (err)
			return err;
		argv[0] = (char *)tool;
		argv[1] = d->kind == V_IPT ? nf : "-f";
		argv[2] = d->kind == V_IPT ? NULL : nf;
		argv[3] = NULL;
		err = ftb_ns_run(d->ns, argv, verbose);
		unlink(nf);
		if (err) {
			snprintf(d->skip, sizeof(d->skip), "%s refused the ruleset", tool);
			return 0;
		}
	}
	err = dut_attach(d, verbose);
	if (err)
		return 0;	/* recorded in d->skip, the row is skipped */
	d->ready = true;
	return 0;
}

static int l1_ft_target(const struct dut *d)
{
	return dut_is_ft(d) ? ft_loader_xdp_fd(&d->pol->l, false) :
			      bpf_program__fd(skel->progs.ftb_pass);
}

static int live_run(int prog_fd, int ifindex, uint32_t repeat)
{
	struct xdp_md ctx = { .data_end = PKT_LEN, .ingress_ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = tmpl, .data_size_in = PKT_LEN,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(prog_fd, &o) ? -errno : 0;
}

/* Position the flow walk of @d; flowtag's hit rows first put every hot flow
 * in the cache (the others have no cache to warm). */
static int dut_walk(struct dut *d, int prog_fd, int ifindex)
{
	if (d->kind == V_FT_MISS) {
		walk(d->pol, MODE_MISS, d->pol->cold_next);
		return 0;
	}
	walk(d->pol, MODE_HIT, 0);
	if (d->kind != V_FT && d->kind != V_FT_XDP)
		return 0;
	return live_run(prog_fd, ifindex, FTB_HOT);
}

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

static void shuffle(int *v, int n, uint64_t *rng)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		int j = (int)(ftb_rand(rng) % (uint64_t)(i + 1)), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static int run_l1(struct dut *duts, int nduts, const struct opts *o)
{
	double target = o->target_ms * 1e6;
	uint64_t rng = 7, d[C_N], fr, in, he;
	int order[MAX_DUTS], i, rep, err;
	double ns;

	fprintf(stderr, "L1: calibrating %d rows\n", nduts);
	for (i = 0; i < nduts; i++) {
		if (!duts[i].ready)
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

			if (!x->ready)
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

static int run_l2(struct dut *duts, int nduts, int reps, double target_ms)
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

static void stack_summarize(struct dut *duts, int nduts)
{
	const struct dut *ref = NULL;
	int i, r;

	for (i = 0; i < nduts; i++)
		if (duts[i].kind == V_NONE)
			ref = &duts[i];
	for (i = 0; i < nduts; i++) {
		struct dut *x = &duts[i];

		x->s1 = ftb_stats(x->l1, x->n1);
		x->spps = ftb_stats(x->pps, x->n2);
		x->scpu = ftb_stats(x->cpu, x->n2);
	}
	/* differences against the reference of the same repetition */
	for (i = 0; ref && i < nduts; i++) {
		struct dut *x = &duts[i];
		int n1 = x->n1 < ref->n1 ? x->n1 : ref->n1;
		int n2 = x->n2 < ref->n2 ? x->n2 : ref->n2;

		for (r = 0; r < n1; r++)
			x->l1diff[r] = x->l1[r] - ref->l1[r];
		for (r = 0; r < n2; r++)
			x->l2diff[r] = x->cpu[r] - ref->cpu[r];
		x->s1diff = ftb_stats(x->l1diff, n1);
		x->s2diff = ftb_stats(x->l2diff, n2);
	}
}

static const char *l1_proof(const struct dut *x, char *buf, size_t len)
{
	bool ok = x->l1_ipin == x->l1_frames && x->l1_hdrerr == 0;

	if (dut_is_ft(x)) {
		uint64_t cache = x->kind == V_FT_MISS ? x->l1_d[C_MISS] : x->l1_d[C_HIT];

		ok = ok && x->l1_d[C_WRITTEN] == x->l1_frames && x->l1_d[C_FAILED] == 0 &&
		     (x->kind == V_FT_XDP || x->l1_d[C_SEEN] == x->l1_frames) &&
		     cache == x->l1_frames;
		snprintf(buf, len, "%s ip %" PRIu64 "/%" PRIu64 " written %" PRIu64 " failed %"
			 PRIu64 " tc-seen %" PRIu64 " %s %" PRIu64, ok ? "ok" : "FAILED",
			 x->l1_ipin, x->l1_frames, x->l1_d[C_WRITTEN], x->l1_d[C_FAILED],
			 x->l1_d[C_SEEN], x->kind == V_FT_MISS ? "miss" : "hit", cache);
	} else {
		snprintf(buf, len, "%s ip %" PRIu64 "/%" PRIu64, ok ? "ok" : "FAILED", x->l1_ipin,
			 x->l1_frames);
	}
	return buf;
}

static const char *rules_str(const struct dut *x, char *buf)
{
	if (x->kind == V_NONE)
		return "-";
	snprintf(buf, 12, "%d", x->pol->nrules);
	return buf;
}

static void stack_print(const struct dut *duts, int nduts, const struct opts *o, int reps2)
{
	char proof[200], rb[12];
	int i;

	printf("\nL1  stack path: live frames (BPF_F_TEST_XDP_LIVE_FRAMES) received on a veth "
	       "in a\n"
	       "    namespace: XDP (bench wrapper + ft_xdp or empty), tc ingress, netfilter\n"
	       "    prerouting, blackhole route. ns/packet = thread CPU time / frames, median of\n"
	       "    %d; diff = row - 'none' in the same repetition. proof: ip InReceives / frames\n"
	       "    (flowtag: meta written in XDP, seen by tc, flow cache).\n\n", o->reps);
	printf("%-13s %6s %9s %9s  %s\n", "variant", "rules", "ns/pkt", "diff", "proof");
	for (i = 0; i < nduts; i++) {
		const struct dut *x = &duts[i];

		if (!x->n1) {
			printf("%-13s %6s  skipped: %s\n", var_name[x->kind], rules_str(x, rb),
			       x->skip);
			continue;
		}
		printf("%-13s %6s %9.1f %9.1f  %s\n", var_name[x->kind], rules_str(x, rb),
		       x->s1.med, x->s1diff.med,
		       l1_proof(x, proof, sizeof(proof)));
	}
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

static json_object *stack_json(const struct dut *duts, int nduts, int layer)
{
	json_object *arr = json_object_new_array();
	int i, k;

	for (i = 0; i < nduts; i++) {
		const struct dut *x = &duts[i];
		json_object *o = json_object_new_object(), *cnt;
		const uint64_t *dd = layer == 1 ? x->l1_d : x->l2_d;

		json_object_object_add(o, "variant", json_object_new_string(var_name[x->kind]));
		json_object_object_add(o, "rules",
				       json_object_new_int(x->kind == V_NONE ? 0 : x->pol->nrules));
		json_object_object_add(o, "flows", json_object_new_int(
			x->kind == V_FT_MISS ? FTB_COLD : FTB_HOT));
		if ((layer == 1 && !x->n1) || (layer == 2 && !x->n2)) {
			json_object_object_add(o, "skipped", json_object_new_string(x->skip));
			json_object_array_add(arr, o);
			continue;
		}
		if (layer == 1) {
			json_object_object_add(o, "reps", json_object_new_int(x->n1));
			json_object_object_add(o, "ns_per_pkt", json_object_new_double(x->s1.med));
			json_object_object_add(o, "ns_per_pkt_stats", jstat(&x->s1));
			json_object_object_add(o, "diff_vs_none_ns", jstat(&x->s1diff));
			json_object_object_add(o, "repeat", json_object_new_int64(x->repeat1));
			json_object_object_add(o, "frames",
					       json_object_new_int64((int64_t)x->l1_frames));
			json_object_object_add(o, "ip_in_receives",
					       json_object_new_int64((int64_t)x->l1_ipin));
			json_object_object_add(o, "ip_in_hdr_errors",
					       json_object_new_int64((int64_t)x->l1_hdrerr));
		} else {
			json_object_object_add(o, "reps", json_object_new_int(x->n2));
			json_object_object_add(o, "rx_pps_per_cpu",
					       json_object_new_double(x->spps.med));
			json_object_object_add(o, "rx_pps_per_cpu_stats", jstat(&x->spps));
			json_object_object_add(o, "ns_per_pkt",
					       json_object_new_double(x->scpu.med));
			json_object_object_add(o, "ns_per_pkt_stats", jstat(&x->scpu));
			json_object_object_add(o, "diff_vs_none_ns", jstat(&x->s2diff));
			json_object_object_add(o, "wall_ns",
					       json_object_new_int64((int64_t)x->l2_wall_ns));
			json_object_object_add(o, "generator_thread_cpu_ns",
					       json_object_new_int64((int64_t)x->l2_thread_ns));
			json_object_object_add(o, "ksoftirqd_cpu_ns",
					       json_object_new_int64((int64_t)x->l2_softirqd_ns));
			json_object_object_add(o, "repeat", json_object_new_int64(x->repeat2));
			json_object_object_add(o, "sent",
					       json_object_new_int64((int64_t)x->l2_sent));
			json_object_object_add(o, "received",
					       json_object_new_int64((int64_t)x->l2_recv));
		}
		if (dut_is_ft(x)) {
			cnt = json_object_new_object();
			for (k = 0; k < C_N; k++)
				json_object_object_add(cnt, cnt_name[k],
						       json_object_new_int64((int64_t)dd[k]));
			json_object_object_add(o, "counters", cnt);
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

static int stack_setup(struct pol *pols, int npols, struct dut *duts, int *nduts, int verbose)
{
	static const int kinds[] = { V_FT, V_FT_MISS, V_NFT_LIN, V_NFT_SET, V_IPT };
	struct pol *p10 = NULL;
	int i, k, n = 0, err;

	err = ftb_ns_init();
	if (err)
		return err;
	ksoftirqd_pid = find_ksoftirqd(bench_cpu);
	if (!ksoftirqd_pid)
		fprintf(stderr, "warning: ksoftirqd/%d not found: L2 CPU time is the generator's\n",
			bench_cpu);
	gen_ns = ftb_ns_new();
	if (gen_ns < 0)
		return gen_ns;
	ftb_ns_sh(gen_ns, verbose, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
	for (i = 0; i < npols; i++)
		if (pols[i].nrules == 10 && !pols[i].set_size)
			p10 = &pols[i];
	if (!p10)
		return -ENOENT;
	duts[n++] = (struct dut){ .kind = V_NONE, .pol = p10, .ns = -1 };
	for (i = 0; i < npols; i++) {
		if (pols[i].set_size || pols[i].nrules < 10)
			continue;
		for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])) && n < MAX_DUTS; k++) {
			duts[n] = (struct dut){ .kind = kinds[k], .pol = &pols[i], .ns = -1 };
			if (kinds[k] == V_FT_MISS)
				duts[n].share = &duts[n - 1];
			n++;
			if (kinds[k] == V_FT_MISS && pols[i].nrules == 10 && n < MAX_DUTS)
				duts[n++] = (struct dut){ .kind = V_FT_XDP, .pol = &pols[i],
							  .ns = -1 };
		}
	}
	*nduts = n;
	fprintf(stderr, "L1/L2: setting up %d namespaces\n", n);
	for (i = 0; i < n; i++) {
		err = dut_setup(&duts[i], i, verbose);
		if (err) {
			fprintf(stderr, "%s/%d: %s\n", var_name[duts[i].kind], duts[i].pol->nrules,
				duts[i].skip[0] ? duts[i].skip : strerror(-err));
			return err;
		}
		if (!duts[i].ready)
			fprintf(stderr, "%s/%d skipped: %s\n", var_name[duts[i].kind],
				duts[i].pol->nrules, duts[i].skip);
	}
	return 0;
}

static void stack_teardown(struct dut *duts, int nduts)
{
	int i;

	for (i = 0; i < nduts; i++) {
		dut_detach(&duts[i]);
		if (!duts[i].share && duts[i].ns >= 0)
			close(duts[i].ns);	/* the last reference: the namespace goes */
		duts[i].ns = -1;
	}
	if (gen_ns >= 0)
		close(gen_ns);
	gen_ns = -1;
	if (ftb_host_ns >= 0)
		close(ftb_host_ns);
	ftb_host_ns = -1;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: flowtag_bench [-o results.json] [-d l0.dat] [-w DIR] [-r REPS] [-t MS]\n"
		   "                     [-q] [--no-l1] [--no-l2] [-v]\n"
		   "  -w DIR    scratch directory (default: a new one in /tmp, removed at exit)\n"
		   "  -r REPS   repetitions per variant (default 11; L2 uses at most 7)\n"
		   "  -t MS     target duration of one timed run (default 20 ms)\n"
		   "  -q        quick: 5 repetitions of 5 ms, for trying things out\n");
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

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "no-l1", no_argument, NULL, 1 },
		{ "no-l2", no_argument, NULL, 2 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct opts o = { .json = "bench/results.json", .dat = NULL, .reps = 11, .target_ms = 20,
			  .l1 = true, .l2 = true };
	struct pol pols[] = {
		{ .kind = "rules", .nrules = 1 },
		{ .kind = "rules", .nrules = 10 },
		{ .kind = "rules", .nrules = 100 },
		{ .kind = "rules", .nrules = 1000 },
		{ .kind = "rules", .nrules = 4096 },
		{ .kind = "prefix_set", .nrules = SET_RULES, .set_size = SET_SIZE },
	};
	int npols = sizeof(pols) / sizeof(pols[0]), ncells = 0;
	struct cell cells[sizeof(pols) / sizeof(pols[0]) * NPROGS * NMODES];
	struct ftb_cpustat a0 = { 0 }, a1 = { 0 }, per0[256], per1[256];
	struct naive nv = { 0 };
	struct dut duts[MAX_DUTS];
	int nduts = 0;
	json_object *root = NULL;
	int i, c, err = 0, prog, mode;
	uint64_t t_start = ftb_mono_ns();

	while ((c = getopt_long(argc, argv, "o:d:r:t:w:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o.workdir = optarg;
			break;
		case 'o':
			o.json = optarg;
			break;
		case 'd':
			o.dat = optarg;
			break;
		case 'r':
			o.reps = atoi(optarg);
			break;
		case 't':
			o.target_ms = atof(optarg);
			break;
		case 'q':
			o.quick = true;
			o.reps = 5;
			o.target_ms = 5;
			break;
		case 'v':
			o.verbose++;
			break;
		case 1:
			o.l1 = false;
			break;
		case 2:
			o.l2 = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.reps < 1 || o.reps > MAX_REPS || o.target_ms <= 0) {
		fprintf(stderr, "flowtag_bench: -r must be 1..%d, -t positive\n", MAX_REPS);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "flowtag_bench: needs root (BPF test runs, namespaces)\n");
		return 77;
	}
	ft_log_init("flowtag_bench", FT_LOG_STDERR, o.verbose);
	/* progress goes to stderr: keep the table's lines in order with it */
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = pin_cpu();
	if (err)
		fprintf(stderr, "warning: cannot pin to CPU %d: %s\n", bench_cpu, strerror(-err));
	memset(per0, 0, sizeof(per0));
	memset(per1, 0, sizeof(per1));
	ftb_read_cpustat(&a0, per0, 256);

	if (o.workdir) {
		if (snprintf(set_dir, sizeof(set_dir), "%s", o.workdir) >= (int)sizeof(set_dir)) {
			fprintf(stderr, "flowtag_bench: -w path too long\n");
			return 2;
		}
	} else {
		snprintf(set_dir, sizeof(set_dir), "/tmp/flowtag-bench.XXXXXX");
		if (!mkdtemp(set_dir)) {
			fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
			return 1;
		}
	}
	build_template(tmpl, dmac, smac);

	skel = bench_xdp__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "cannot load the bench wrappers: %s\n", strerror(-err));
		goto out;
	}
	for (i = 0; i < npols; i++) {
		struct pol *p = &pols[i];

		p->region = (uint32_t)i;
		if (p->set_size)
			snprintf(p->label, sizeof(p->label), "%d rules + %dk set", p->nrules + 1,
				 p->set_size / 1000);
		else
			snprintf(p->label, sizeof(p->label), "%d rule%s", p->nrules,
				 p->nrules == 1 ? "" : "s");
		fprintf(stderr, "loading policy: %s\n", p->label);
		err = pol_setup(p);
		if (err) {
			fprintf(stderr, "policy %s: %s\n", p->label, strerror(-err));
			goto out;
		}
		/* fill the flow cache once: the miss runs then always evict */
		{
			struct cell cc = { .pol = p, .prog = PROG_XDP, .mode = MODE_MISS };
			struct run_out r;
			uint64_t d[C_N];

			err = measure(&cc, true, FTB_COLD, &r, d);
			if (err)
				goto out;
		}
	}
	for (i = 0; i < npols; i++)
		for (prog = 0; prog < NPROGS; prog++)
			for (mode = 0; mode < NMODES; mode++) {
				cells[ncells] = (struct cell){ .pol = &pols[i], .prog = prog,
							       .mode = mode };
				ncells++;
			}

	err = run_l0(pols, npols, cells, ncells, &o, &nv);
	if (err) {
		fprintf(stderr, "L0 failed: %s\n", strerror(-err));
		goto out;
	}
	l0_summarize(cells, ncells);
	l0_print(cells, ncells, &nv, pols, npols, &o);
	if (o.dat)
		l0_write_dat(cells, ncells, pols, npols, o.dat);

	if (o.l1 || o.l2) {
		err = stack_setup(pols, npols, duts, &nduts, o.verbose);
		if (err) {
			fprintf(stderr, "L1/L2 setup failed: %s\n", strerror(-err));
			goto out;
		}
		if (o.l1)
			err = run_l1(duts, nduts, &o);
		if (!err && o.l2)
			err = run_l2(duts, nduts, o.reps < 7 ? o.reps : 7, o.quick ? 50 : 300);
		if (err) {
			fprintf(stderr, "L1/L2 failed: %s\n", strerror(-err));
			goto out;
		}
		stack_summarize(duts, nduts);
		stack_print(duts, nduts, &o, o.reps < 7 ? o.reps : 7);
	}

	ftb_read_cpustat(&a1, per1, 256);
	root = json_object_new_object();
	json_object_object_add(root, "machine",
			       machine_json(&a0, &a1, &per0[bench_cpu], &per1[bench_cpu]));
	json_object_object_add(root, "l0", l0_json(cells, ncells));
	if (nv.done) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "what", json_object_new_string(
			"production ft_xdp alone, one packet, non-live repeat: the trap"));
		json_object_object_add(n, "repeat", json_object_new_int64(nv.repeat));
		json_object_object_add(n, "ns_per_pkt", json_object_new_double(nv.ns));
		json_object_object_add(n, "meta_written",
				       json_object_new_int64((int64_t)nv.d[C_WRITTEN]));
		json_object_object_add(n, "adjust_failed",
				       json_object_new_int64((int64_t)nv.d[C_FAILED]));
		json_object_object_add(root, "l0_naive_trap", n);
	}
	if (o.l1)
		json_object_object_add(root, "l1", stack_json(duts, nduts, 1));
	if (o.l2)
		json_object_object_add(root, "l2", stack_json(duts, nduts, 2));
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
	{
		char path[320];

		snprintf(path, sizeof(path), "%s/subscribers.txt", set_dir);
		unlink(path);
		if (!o.workdir)
			rmdir(set_dir);
	}
	return err ? 1 : 0;
}
