// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer target: the data path's packet parser and classifier
 * (xdp/parse.h, xdp/classify.h: ft_classify() with the flow cache and the
 * fragment table) built as userspace C, against the reference packet parser
 * (tests/refpkt.h) and the reference evaluator ft_reference_match(). Built for
 * userspace rather than run through bpf_prog_test_run_opts: libFuzzer sees
 * the coverage of parse.h's branches, ASan the bounds of every read, it
 * needs no root and runs some ten thousand times faster per packet; the
 * kernel's own build of the same code gets the mutated packets of
 * `make stress` (test_datapath's test_random).
 *
 * Input: 1 byte: which of 256 random policies (randpol.h; 1..32 rules, so
 * the compiler picks the one-word search: in policies 128..255 it is
 * switched off, and the bitmaps of ft_bm_o answer), then frames, each [ctl][len lo][len hi][len bytes]: ctl bit 0
 * = received on an L3 device (no link-layer header), bits 1-2 = ifindex - 1.
 * Frames share the flow cache and the fragment table, as consecutive packets
 * do in the kernel.
 *
 * Invariants: for every frame, the key the classifier built (after the
 * fragment table) says what refpkt.h says is known, field by field, and the
 * verdict is that of the rule ft_reference_match() picks (or the default).
 * A mismatch prints the frame, both views and both rules, then aborts.
 *
 * FUZZ_PACKET_SEEDS=DIR ./fuzz_packet writes the seed corpus (from
 * pktmut.h's generator) into DIR and exits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compile.h"
#include "fuzz.h"
#include "pktmut.h"
#include "randpol.h"
#include "refpkt.h"

/* what ft_parse_ip() reads the frame from: a pointer fits no __u32 here */
struct ft_fuzz_ctx {
	unsigned long data;
	unsigned long data_end;
};
#define FT_PARSE_CTX struct ft_fuzz_ctx
#include "classify.h"	/* userspace build: tests/fuzz/bpfuser/bpf/bpf_helpers.h */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_FRAMES	32
#define MOCK_ENTRIES	(4 * MAX_FRAMES)

/* ---- the maps, as the loader fills them from a compiled policy ---- */

/* A hash map of up to MOCK_ENTRIES entries (never full: no LRU eviction). */
struct mock_hash {
	size_t ksize, vsize, n;
	uint8_t keys[MOCK_ENTRIES][64];
	uint8_t vals[MOCK_ENTRIES][64];
};

static struct {
	const struct ft_compiled *c;
	struct ft_state state;
	struct ft_policy_hdr hdr[FT_SLOTS];
	struct ft_counters counters;
	struct mock_hash frags;
	char inner[5];		/* addresses name the active slot's inner maps */
	struct ft_dev dev;	/* ft_devs entry dev_key (one CPU's); the others are free */
	__u32 dev_key;
	struct ft_link link;	/* ft_links entry of link_ifindex (0: none) */
	__u32 link_ifindex;
} M;

/* The flow cache (one CPU's buckets); only the buckets a run touched are
 * emptied again for the next (the whole of it is 4 MiB). */
static struct ft_flow_bucket mock_buckets[FT_FLOW_BUCKETS];
static __u32 mock_touched[256];
static size_t mock_ntouched;

static void mock_buckets_reset(void)
{
	size_t i;

	if (mock_ntouched > sizeof(mock_touched) / sizeof(mock_touched[0]))
		memset(mock_buckets, 0, sizeof(mock_buckets));
	else
		for (i = 0; i < mock_ntouched; i++)
			memset(&mock_buckets[mock_touched[i]], 0, sizeof(mock_buckets[0]));
	mock_ntouched = 0;
}

static struct ft_flow_bucket *mock_bucket(__u32 k)
{
	if (k >= FT_FLOW_BUCKETS)
		return NULL;
	if (mock_ntouched < sizeof(mock_touched) / sizeof(mock_touched[0]))
		mock_touched[mock_ntouched] = k;
	mock_ntouched++;
	return &mock_buckets[k];
}

/* The compact flow cache (CPU 0's pages, 1 MiB), emptied as the buckets. */
static struct ft_flow4_page mock_pages[FT_FLOW4_PAGES];
static __u32 mock_pages_touched[256];
static size_t mock_npages_touched;

static void mock_pages_reset(void)
{
	size_t i;

	if (mock_npages_touched > sizeof(mock_pages_touched) / sizeof(mock_pages_touched[0]))
		memset(mock_pages, 0, sizeof(mock_pages));
	else
		for (i = 0; i < mock_npages_touched; i++)
			memset(&mock_pages[mock_pages_touched[i]], 0, sizeof(mock_pages[0]));
	mock_npages_touched = 0;
}

static struct ft_flow4_page *mock_page(__u32 k)
{
	if (k >= FT_FLOW4_PAGES || k > ft_flow4_mask)
		return NULL;
	if (mock_npages_touched < sizeof(mock_pages_touched) / sizeof(mock_pages_touched[0]))
		mock_pages_touched[mock_npages_touched] = k;
	mock_npages_touched++;
	return &mock_pages[k];
}

/* one CPU: the pages of CPU 0 */
__u32 bpf_get_smp_processor_id(void)
{
	return 0;
}

static const uint8_t zero_value[sizeof(struct ft_verdict) + sizeof(struct ft_bitmap)];

static void *mock_hash_find(struct mock_hash *h, const void *key)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!memcmp(h->keys[i], key, h->ksize))
			return h->vals[i];
	return NULL;
}

static void mock_reset(const struct ft_compiled *c)
{
	memset(&M, 0, sizeof(M));
	M.c = c;
	M.hdr[0] = c->hdr;
	M.hdr[0].generation = 1;
	M.state.generation = 1;
	mock_buckets_reset();
	mock_pages_reset();
	M.frags.ksize = sizeof(struct ft_frag_key);
	M.frags.vsize = sizeof(struct ft_frag_val);
	_Static_assert(sizeof(struct ft_frag_key) <= 64 && sizeof(struct ft_frag_val) <= 64,
		       "mock_hash entry size");
}

/* Longest-prefix match over the compiler's trie entries (IPv6). */
static void *mock_lpm(const void *ents, size_t n, size_t esz, size_t alen, const uint8_t *addr)
{
	const uint8_t *best = NULL;
	uint32_t best_len = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)ents + i * esz;
		uint32_t plen;
		const uint8_t *pa = e + 4;
		size_t full, bit;

		memcpy(&plen, e, 4);
		if (plen > alen * 8 || (best && plen < best_len))
			continue;
		full = plen / 8;
		bit = plen % 8;
		if (memcmp(pa, addr, full))
			continue;
		if (bit && ((pa[full] ^ addr[full]) & (0xff00 >> bit) & 0xff))
			continue;
		best = e;
		best_len = plen;
	}
	return best ? (void *)(best + esz - 4) : NULL;	/* the bm field, last */
}

void *bpf_map_lookup_elem(void *map, const void *key)
{
	const struct ft_compiled *c = M.c;
	__u32 k = 0, active = M.state.slot;

	if (map != &ft_frags && map != &ft_iif && map != &ft_links &&
	    map != &ft_hoff && map != &ft_markcls && (void *)map != &M.inner[3] &&
	    (void *)map != &M.inner[4])
		memcpy(&k, key, 4);	/* array keys */
	if (map == &ft_state)
		return k < 1 ? &M.state : NULL;
	if (map == &ft_policy)
		return k < FT_SLOTS ? &M.hdr[k] : NULL;
	if (map == &ft_health_cnt)
		return k < 1 ? &M.counters : NULL;
	if (map == &ft_flow_cache)
		return k <= ft_flow_mask ? mock_bucket(k) : NULL;
	if (map == &ft_flow4)
		return mock_page(k);
	if (map == &ft_rules) {
		if (k >= FT_SLOTS * FT_MAX_RULES)
			return NULL;
		if (k / FT_MAX_RULES == active && k % FT_MAX_RULES < c->nrules)
			return &c->rules[k % FT_MAX_RULES];
		return (void *)zero_value;
	}
	if (map == &ft_bmw) {
		/* word 0 of each bitmap, as ft_policy_swap() writes it */
		if (k >= FT_SLOTS * FT_BMW_MAX)
			return NULL;
		if (k / FT_BMW_MAX == active && k % FT_BMW_MAX < c->nbitmaps)
			return &c->bitmaps[k % FT_BMW_MAX].w[0];
		return (void *)zero_value;
	}
	if (map == &ft_bmh) {
		/* the heads, as ft_policy_swap() writes them; the search reads
		 * each before it looks up the next: a small ring will do */
		static struct ft_bm_head ring[4];
		static unsigned int next;
		struct ft_bm_head *x = &ring[next++ % 4];

		if (k >= FT_SLOTS * FT_BMW_MAX)
			return NULL;
		*x = k / FT_BMW_MAX == active ? ft_bm_head_of(c, k % FT_BMW_MAX) :
						(struct ft_bm_head){ 0 };
		return x;
	}
	if (map == &ft_pfx4d || map == &ft_pfx4) {
		/* the prefix hashes, as ft_policy_swap() writes them */
		uint32_t sx = map == &ft_pfx4d ? k : k / FT_PFX4_BUCKETS, b = k % FT_PFX4_BUCKETS;
		const struct ft_pfx4_table *t = sx % 2 ? &c->dst4_pfx : &c->src4_pfx;

		if (sx >= FT_SLOTS * 2)
			return NULL;
		if (sx / 2 != active)
			return (void *)zero_value;
		if (map == &ft_pfx4d)
			return (void *)&t->d;
		return b < t->nbuckets ? &t->b[b] : (void *)zero_value;
	}
	if (map == &ft_scalar) {
		if (k >= FT_SLOTS * FT_SC_SIZE)
			return NULL;
		return k / FT_SC_SIZE == active ? &c->scalar[k % FT_SC_SIZE] : (void *)zero_value;
	}
	if (map == &ft_iif) {
		const struct ft_iif_key *ik = key;
		size_t i;

		for (i = 0; ik->slot == active && i < c->niif; i++)
			if (c->iif[i].ifindex == ik->ifindex)
				return &c->iif[i].bm;
		return NULL;
	}
	if (map == &ft_bm_o || map == &ft_src4_o || map == &ft_dst4_o || map == &ft_src6_o ||
	    map == &ft_dst6_o) {
		if (k != active)
			return NULL;
		return map == &ft_bm_o ? &M.inner[0] : map == &ft_src4_o ? &M.inner[1] :
		       map == &ft_dst4_o ? &M.inner[2] : map == &ft_src6_o ? &M.inner[3] :
		       &M.inner[4];
	}
	if (map == &M.inner[0])
		return k < c->nbitmaps ? &c->bitmaps[k] : NULL;
	if (map == &M.inner[1] || map == &M.inner[2]) {
		/* the IPv4 prefix tables: arrays of 1 KiB blocks */
		const struct ft_dir4_table *t = map == &M.inner[1] ? &c->src4_table :
								       &c->dst4_table;

		if (k >= t->nblocks)
			return NULL;
		return &t->e[(size_t)k * FT_DIR4_STRIDE];
	}
	if (map == &M.inner[3] || map == &M.inner[4]) {
		const struct ft_lpm6 *lk = key;

		if (lk->prefixlen != 128)
			FUZZ_FAIL("IPv6 trie lookup with prefix length %u", lk->prefixlen);
		return map == &M.inner[3] ?
		       mock_lpm(c->src6, c->nsrc6, sizeof(*c->src6), 16, lk->addr) :
		       mock_lpm(c->dst6, c->ndst6, sizeof(*c->dst6), 16, lk->addr);
	}
	if (map == &ft_devs)
		return k == M.dev_key ? &M.dev : k < FT_DEV_SLOTS ? (void *)zero_value : NULL;
	if (map == &ft_links) {
		memcpy(&k, key, 4);
		return M.link_ifindex && k == M.link_ifindex ? &M.link : NULL;
	}
	if (map == &ft_frags)
		return mock_hash_find(&M.frags, key);
	return NULL;	/* ft_hoff, counters of rules and classes: not used here */
}

long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags)
{
	struct mock_hash *h = map == &ft_frags ? &M.frags : NULL;
	void *v;

	(void)flags;
	if (!h)
		FUZZ_FAIL("map update of an unexpected map");
	v = mock_hash_find(h, key);
	if (!v) {
		if (h->n == MOCK_ENTRIES)
			FUZZ_FAIL("mock map full");
		memcpy(h->keys[h->n], key, h->ksize);
		v = h->vals[h->n++];
	}
	memcpy(v, value, h->vsize);
	return 0;
}

/* the random policies have no dynamic sets: their element expiry is never read */
__u64 bpf_ktime_get_boot_ns(void)
{
	return 1;
}

/* ---- the comparison ---- */

static void hexdump(const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", b[i], i % 32 == 31 || i + 1 == len ? "\n" : " ");
}

static void print_desc(const char *what, const struct ft_pkt_desc *d)
{
	char s[64] = "-", t[64] = "-";

	if (d->family) {
		inet_ntop(d->family, d->src, s, sizeof(s));
		inet_ntop(d->family, d->dst, t, sizeof(t));
	}
	fprintf(stderr, "  %s: ifindex %u vlan %d family %d src %s dst %s proto %d sport %d "
		"dport %d dscp %d tcp_flags %d\n", what, d->ifindex, d->vlan, d->family, s, t,
		d->proto, d->sport, d->dport, d->dscp, d->tcp_flags);
}

/* The classifier's flow key in the reference evaluator's terms. */
static struct ft_pkt_desc desc_of_key(const struct ft_flow_key *k)
{
	struct ft_pkt_desc d = { .ifindex = k->ifindex, .vlan = -1, .proto = -1, .sport = -1,
				 .dport = -1, .dscp = -1, .tcp_flags = -1 };

	if (k->vlan != FT_VLAN_NONE)
		d.vlan = k->vlan;
	if (k->family == FT_FAM_IPV4 || k->family == FT_FAM_IPV6) {
		d.family = k->family == FT_FAM_IPV4 ? AF_INET : AF_INET6;
		memcpy(d.src, k->src, d.family == AF_INET ? 4 : 16);
		memcpy(d.dst, k->dst, d.family == AF_INET ? 4 : 16);
		d.dscp = k->dscp;
	}
	if (k->l4 & FT_L4_PROTO)
		d.proto = k->proto;
	if (k->l4 & FT_L4_PORTS) {
		d.sport = k->sport;
		d.dport = k->dport;
	}
	if (k->l4 & FT_L4_TCPFL)
		d.tcp_flags = k->tcp_flags;
	return d;
}

/*
 * One of 256 random policies, each compiled once: compiling costs more than
 * classifying a few frames. 256 policies of 1 to 32 rules are plenty for
 * the verdicts; the key is checked whatever the policy.
 */
#define NPOLICIES	256

struct compiled_policy {
	unsigned int idx;
	uint64_t seed;
	size_t nrules;
	struct ft_policy pol;
	struct ft_compiled c;
};

static struct compiled_policy *policies[NPOLICIES];
static struct compiled_policy *P;
static struct ref_frags R;

static int load_policy(unsigned int idx)
{
	struct compiled_policy *cp = policies[idx];
	uint64_t s;

	if (!cp) {
		cp = calloc(1, sizeof(*cp));
		if (!cp)
			return -1;
		cp->idx = idx;
		cp->seed = s = 0x9e3779b97f4a7c15ULL * (idx + 1);
		cp->nrules = 1 + idx % 96;	/* 1 to 2 bitmap words */
		rp_prefilter = true;	/* half of them with drop pre-filter rules first */
		rp_policy(&s, &cp->pol, cp->nrules);
		if (ft_compile(&cp->pol, &cp->c))
			FUZZ_FAIL("random policy %u does not compile", idx);
		policies[idx] = cp;
	}
	P = cp;
	return 0;
}

/*
 * The link layer of @ifindex as the programs find it (ft_dev_l2()): from
 * its ft_devs entry, or, when another interface (@collide: ifindex +
 * FT_DEV_SLOTS, of the other link layer) holds that entry, from ft_links.
 */
static __u32 mock_link_layer(__u32 ifindex, __u32 l2, int collide)
{
	M.dev_key = ifindex & (FT_DEV_SLOTS - 1);
	M.dev = (struct ft_dev){ .ifindex = ifindex, .l2 = l2 };
	M.link_ifindex = 0;
	if (collide) {
		M.dev.ifindex = ifindex + FT_DEV_SLOTS;
		M.dev.l2 = l2 == FT_L2_NONE ? FT_L2_ETH : FT_L2_NONE;
		M.link_ifindex = ifindex;
		M.link = (struct ft_link){ .l2 = l2 };
	}
	return ft_dev_l2(ft_dev_get(ifindex), ifindex);
}

static void check_frame(const uint8_t *frame, size_t len, int l2, uint32_t ifindex, int n)
{
	struct ref_pkt r;
	struct ft_pkt p;
	struct ft_verdict v;
	struct ft_pkt_desc got;
	struct ft_fuzz_ctx ctx;
	const struct ft_verdict *want_v;
	const struct ft_policy_hdr *h;
	uint8_t *copy = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
	__u32 slot = 0;
	int want, rc;

	if (!copy)
		return;
	memcpy(copy, frame, len);
	ref_parse(copy, len, l2, ifindex, &r);
	if (!ref_frags_apply(&R, &r))
		FUZZ_FAIL("reference fragment table full");
	want = ft_reference_match(&P->pol, &r.d);
	want_v = want < 0 ? &P->c.hdr.default_verdict : &P->c.rules[want];

	/* every other frame on an interface whose ft_devs entry another one holds */
	ctx.data = (unsigned long)copy;
	ctx.data_end = (unsigned long)(copy + len);
	h = ft_active_policy(&slot);
	if (!h)
		FUZZ_FAIL("no active policy");
	rc = ft_classify(&ctx, ifindex,
			 mock_link_layer(ifindex, l2 ? FT_L2_NONE : FT_L2_ETH, n & 1), 0,
			 FT_VLAN_NONE, &p, &v, h, slot, 0);
	got = desc_of_key(&p.key);
	if (rc < 0 || memcmp(&got, &r.d, sizeof(got)) || memcmp(&v, want_v, sizeof(v))) {
		fprintf(stderr, "fuzz_packet: policy %u (seed %#llx, %zu rules), frame %d, %zu bytes "
			"on a%s device, ifindex %u:\n", P->idx,
			(unsigned long long)P->seed, P->nrules, n,
			len, l2 ? "n L3" : "n Ethernet", ifindex);
		hexdump(copy, len);
		print_desc("classifier", &got);
		print_desc("reference ", &r.d);
		fprintf(stderr, "  classifier: rc %d rule %u class %u action %u flags %#x; "
			"reference: rule %d action %u flags %#x; frag %d id %#x nh %u complete %d\n",
			rc, v.meta.rule_id, v.meta.class_id, v.action, v.meta.flags, want,
			want_v->action, want_v->meta.flags, r.frag, r.frag_id, r.frag_nh,
			r.complete);
		FUZZ_FAIL("data path and reference disagree");
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 1;
	int n;

	if (size < 1 || load_policy(data[0]))
		return 0;
	mock_reset(&P->c);
	/* each policy through one of the three searches: the compiler's
	 * choice (one-word up to 64 rules, the heads above), the heads, or
	 * the bitmaps alone */
	/* (idx / 3 % 3: each rule count, idx % 96, gets all three) */
	if (P->idx / 3 % 3) {
		M.hdr[0].flags &= ~(FT_POL_F_WORD | FT_POL_F_HEADS);
		if (P->idx / 3 % 3 == 1)
			M.hdr[0].flags |= FT_POL_F_HEADS;
	}
	/* and, every other time, the IPv4 prefix tables instead of their
	 * prefix hashes */
	if (P->idx / 9 % 2)
		M.hdr[0].flags &= ~(FT_POL_F_PFX4_SRC | FT_POL_F_PFX4_DST);
	ref_frags_clear(&R);
	for (n = 0; n < MAX_FRAMES && off + 3 <= size; n++) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1] | (size_t)data[off + 2] << 8;

		off += 3;
		if (len > size - off)
			len = size - off;
		check_frame(data + off, len, ctl & 1, 1 + ((ctl >> 1) & 3), n);
		off += len;
	}
	return 0;
}

/* The seed corpus: 64 inputs of 12 frames from pktmut.h. */
static void write_seeds(const char *dir)
{
	uint64_t rs = 0x5eed;
	struct pm_state st = { 0 };
	int i, j;

	mkdir(dir, 0755);
	for (i = 0; i < 64; i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%02d", dir, i);
		f = fopen(path, "wb");
		if (!f) {
			perror(path);
			exit(1);
		}
		fputc(i * 4 + (int)rp_below(&rs, 4), f);	/* the policy */
		for (j = 0; j < 12; j++) {
			uint8_t buf[PKT_MAX];
			int l2;
			size_t len = pm_packet(&rs, &st, buf, &l2);

			fputc(l2, f);
			fputc((int)(len & 0xff), f);
			fputc((int)(len >> 8), f);
			fwrite(buf, 1, len, f);
		}
		fclose(f);
	}
	pm_print_kinds(stderr, &st);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_PACKET_SEEDS");

	(void)argc;
	(void)argv;
	if (dir)
		write_seeds(dir);
	return 0;
}
