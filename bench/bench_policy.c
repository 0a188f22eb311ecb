// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The benchmark's packets, flows and policies, shared by every layer: the
 * packet template the wrappers rewrite, the flow table (bench_flow.h) each
 * policy's flows live in, and the policies themselves, compiled by the real
 * config parser and compiler and loaded by a loader of their own.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>

#include "attach.h"
#include "bench.h"

const char *const prog_name[NPROGS] = { "xdp", "tc" };
const char *const mode_name[NMODES] = { "hit", "miss", "flood", "under_flood" };

const enum ft_counter cnt_idx[C_N] = {
	FT_CNT_XDP_PKTS,  FT_CNT_META_WRITTEN, FT_CNT_ADJUST_FAILED, FT_CNT_CACHE_HIT,
	FT_CNT_CACHE_MISS, FT_CNT_TC_PKTS,     FT_CNT_META_SEEN,     FT_CNT_FALLBACK,
	FT_CNT_META_NONE, FT_CNT_PARSE_ERR, FT_CNT_XDP_DROP, FT_CNT_PREFILTER, FT_CNT_UNCACHED,
};
const char *const cnt_name[C_N] = {
	"xdp_pkts", "meta_written", "adjust_failed", "cache_hit", "cache_miss",
	"tc_pkts",  "meta_seen",    "fallback",      "meta_none", "parse_err", "xdp_drop",
	"prefilter", "uncached",
};

struct bench_xdp *skel;
uint8_t tmpl[PKT_LEN];
int bench_cpu;
char set_dir[200];

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

void build_template(uint8_t *p, const uint8_t *dmac, const uint8_t *smac)
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
uint32_t rule_net(int i)
{
	return 0xc6120000u + ((1 + (uint32_t)i * 37 % 510) << 8);
}

#define DST_NET	0xc613ff00u	/* 198.19.255.0/24: destinations; L1/L2 blackhole 198.19.0.0/16 */

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

	/* flood policy: the hot (established) flows are sweep flows, the cold
	 * ones (the flood) come from the drop set */
	if (p->set_size && (p->flood ? j >= FTB_HOT : (r >> 60) & 1)) {
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
struct ft_flow_key flow_key(const struct ftb_flow *f, uint32_t ifindex)
{
	struct ft_pkt_desc d = {
		.ifindex = ifindex,
		.vlan = -1,
		.family = AF_INET,
		.proto = IPPROTO_UDP,
		.sport = ntohs(f->sport),
		.dport = ntohs(f->dport),
		.dscp = 0,
		.tcp_flags = -1,
	};
	struct ft_flow_key k;

	memcpy(d.src, &f->saddr, 4);
	memcpy(d.dst, &f->daddr, 4);
	ft_pkt_flow_key(&d, &k);
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
	uint32_t block = 128, bits = 8;	/* 2^(bits-1) = block */
	FILE *f;
	int k;

	while ((uint64_t)block * (uint64_t)p->set_size > (1u << 24)) {
		block /= 2;
		bits--;
	}

	p->set_pfx = calloc(p->set_size, sizeof(*p->set_pfx));
	p->set_len = calloc(p->set_size, sizeof(*p->set_len));
	if (!p->set_pfx || !p->set_len)
		return -ENOMEM;
	snprintf(path, len, "%s/subscribers.txt", set_dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# %d subscriber prefixes in 10.0.0.0/8, one per %u-address block\n",
		p->set_size, block);
	/* disjoint: prefix k lives in block k (128 addresses: /25../32; for
	 * 10^6 prefixes 16 addresses: /28../32) */
	for (k = 0; k < p->set_size; k++) {
		uint32_t len8 = 32 - bits + 1 + (uint32_t)(ftb_rand(&rng) % bits);
		uint32_t base = 0x0a000000u + (uint32_t)k * block;

		base += (uint32_t)(ftb_rand(&rng) % block) & ~((1u << (32 - len8)) - 1);
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
	/* the flood rows measure the flow cache's resistance (goal 4: the
	 * established flows' hit rate): its own choice ("auto") would be no
	 * cache at all for this small policy; the drop is the pre-filter's
	 * either way */
	if (p->flood)
		ftb_printf(b, "flow_cache = \"on\";\n");
	ftb_printf(b, "rules = (\n");
	if (p->flood)
		ftb_printf(b, "  { match = { src = \"@subs\"; }; action = \"drop\"; }%s\n",
			   p->nrules ? "," : "");
	else if (p->set_size)
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

int pol_setup(struct pol *p)
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
	/* L0's test runs receive on lo (ifindex 1): recorded as flowtagd
	 * records the interfaces it attaches (ft_links, ft_devs) */
	err = ft_link_record(&p->l, 1, FT_L2_ETH, ARPHRD_LOOPBACK);
	if (err)
		goto out;
	p->total_rules = (int)p->c.nrules;
	p->uncached = p->c.hdr.flags & FT_POL_F_NOCACHE;
	err = fill_flows(p);
out:
	ftb_buf_free(&b);
	return err;
}

void pol_free(struct pol *p)
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
