// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The atomic policy swap: a compiled policy into the inactive slot of the
 * maps, then the flip of ft_state. See swap.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dynset_sync.h"
#include "flowtag_xdp.skel.h"
#include "log.h"
#include "swap.h"

/* Write @n consecutive array elements starting at key @first. */
static int array_write(int fd, uint32_t first, const void *vals, size_t vsize, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t *keys, i, count = n;
	int err;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = first + i;
	err = bpf_map_update_batch(fd, keys, vals, &count, &opts);
	if (err) {
		/* batch ops are missing on some kernels: one by one */
		for (i = 0, err = 0; i < n && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], (const char *)vals + i * vsize, 0))
				err = -errno;
	}
	free(keys);
	return err;
}

/* Zero @n per-CPU counters from key @first. */
static int percpu_zero(int fd, uint32_t first, uint32_t n, size_t vsize)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride = (vsize + 7) & ~(size_t)7;
	void *zero;
	int err;

	if (ncpu < 0)
		return ncpu;
	zero = calloc((size_t)ncpu * n, stride);
	if (!zero)
		return -ENOMEM;
	err = array_write(fd, first, zero, ncpu * stride, n);
	free(zero);
	return err;
}

/* Delete the entries of a (slot, ...) keyed hash that belong to @slot. */
static int hash_clear_slot(int fd, size_t ksize, uint32_t slot)
{
	char key[64], next[64];
	char (*del)[64] = NULL;
	size_t ndel = 0, cap = 0, i;
	void *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (*(uint32_t *)next == slot) {
			if (ndel == cap) {
				char (*n)[64];

				cap = cap ? cap * 2 : 64;
				n = realloc(del, cap * sizeof(*del));
				if (!n) {
					free(del);
					return -ENOMEM;
				}
				del = n;
			}
			memcpy(del[ndel++], next, ksize);
		}
		memcpy(key, next, ksize);
		prev = key;
	}
	for (i = 0; i < ndel; i++)
		if (bpf_map_delete_elem(fd, del[i]) && errno != ENOENT)
			err = -errno;
	free(del);
	return err;
}

static int inner_create(enum bpf_map_type type, const char *name, uint32_t ksize, uint32_t vsize,
			uint32_t n, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd = bpf_map_create(type, name, ksize, vsize, n ? n : 1, &opts);

	return fd < 0 ? -errno : fd;
}

/* A new LPM trie holding @n entries of @esz bytes: the key first, the
 * __u32 bitmap index at @bm_off (struct ft_lpm4_ent / ft_lpm6_ent). */
static int trie_create(const char *name, const void *ents, size_t n, size_t esz, size_t ksize,
		       size_t bm_off)
{
	const char *e = ents;
	size_t i;
	int fd;

	fd = inner_create(BPF_MAP_TYPE_LPM_TRIE, name, ksize, sizeof(__u32), n, BPF_F_NO_PREALLOC);
	if (fd < 0)
		return fd;
	for (i = 0; i < n; i++, e += esz) {
		if (bpf_map_update_elem(fd, e, e + bm_off, 0)) {
			int err = -errno;

			close(fd);
			return err;
		}
	}
	return fd;
}

#define TRIE6(name, v, n) trie_create(name, v, n, sizeof(struct ft_lpm6_ent), \
				      sizeof(struct ft_lpm6), offsetof(struct ft_lpm6_ent, bm))

/* A new array holding IPv4 prefix table @t (flowtag/dir4.h), one 1 KiB
 * block per element. */
static int dir4_create(const char *name, const struct ft_dir4_table *t)
{
	uint32_t n = t->nblocks;
	int fd, err;

	fd = inner_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), sizeof(struct ft_dir4_block), n,
			  BPF_F_INNER_MAP);
	if (fd < 0)
		return fd;
	err = array_write(fd, 0, t->e, sizeof(struct ft_dir4_block), n);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * The fixed per-bitmap array of @c's search, into @slot's part: word 0 of
 * each bitmap into ft_bmw (@bmw_fd) for the one-word search
 * (FT_POL_F_WORD), each bitmap's head (ft_bm_head_of()) into ft_bmh
 * (@bmh_fd) for the heads (FT_POL_F_HEADS); nothing for the others.
 */
static int bm_fixed_write(int bmw_fd, int bmh_fd, uint32_t slot, const struct ft_compiled *c)
{
	bool word = c->hdr.flags & FT_POL_F_WORD;
	size_t esz = word ? sizeof(__u64) : sizeof(struct ft_bm_head), i;
	__u64 *w;
	struct ft_bm_head *x;
	void *v;
	int err;

	if (!word && !(c->hdr.flags & FT_POL_F_HEADS))
		return 0;
	if (c->nbitmaps > FT_BMW_MAX)
		return -E2BIG;
	v = calloc(c->nbitmaps ? c->nbitmaps : 1, esz);
	if (!v)
		return -ENOMEM;
	w = v;
	x = v;
	for (i = 0; i < c->nbitmaps; i++) {
		if (word)
			w[i] = c->bitmaps[i].w[0];
		else
			x[i] = ft_bm_head_of(c, i);
	}
	err = array_write(word ? bmw_fd : bmh_fd, slot * FT_BMW_MAX, v, esz, c->nbitmaps);
	free(v);
	return err;
}

/*
 * The IPv4 prefix hashes of @c (flowtag/pfx4.h) into @slot's part of
 * ft_pfx4d (@desc_fd) and ft_pfx4 (@bucket_fd): each field's whose
 * FT_POL_F_PFX4_* flag is set; nothing for the others (the data path
 * reads their DIR-16-8-8 tables).
 */
static int pfx4_write(int desc_fd, int bucket_fd, uint32_t slot, const struct ft_compiled *c)
{
	uint32_t x;
	int err;

	for (x = 0; x < 2; x++) {
		const struct ft_pfx4_table *t = ft_pfx4_of(c, x);
		__u32 sx = slot * 2 + x;

		if (!t)
			continue;
		if (t->nbuckets > FT_PFX4_BUCKETS)
			return -E2BIG;
		err = array_write(bucket_fd, sx * FT_PFX4_BUCKETS, t->b, sizeof(*t->b), t->nbuckets);
		if (err)
			return err;
		if (bpf_map_update_elem(desc_fd, &sx, &t->d, 0))
			return -errno;
	}
	return 0;
}

enum { IN_BM, IN_SRC4, IN_DST4, IN_SRC6, IN_DST6, IN_MAX };

/*
 * Wait until no program still runs on what it read before the last flip:
 * writing an entry of a map-in-map waits for an RCU grace period
 * (synchronize_rcu in the kernel). @slot's own bitmap table is written
 * back in place, so nothing changes.
 */
static void grace_period(struct flowtag_xdp *s, __u32 slot)
{
	int outer = bpf_map__fd(s->maps.ft_bm_o), inner;
	__u32 id;

	if (bpf_map_lookup_elem(outer, &slot, &id)) {
		pr_warn("grace-period wait after the policy flip failed: %s", strerror(errno));
		return;
	}
	inner = bpf_map_get_fd_by_id(id);
	if (inner < 0 || bpf_map_update_elem(outer, &slot, &inner, 0))
		pr_warn("grace-period wait after the policy flip failed: %s", strerror(errno));
	if (inner >= 0)
		close(inner);
}

int ft_policy_flip_back(struct ft_loader *l, uint32_t expect, uint32_t *generation)
{
	struct flowtag_xdp *s = l->xdp;
	struct ft_policy_hdr hdr;
	__u32 cur_slot, cur_gen, slot;
	int err;

	err = ft_loader_state(l, &cur_slot, &cur_gen);
	if (err)
		return err;
	slot = cur_slot ^ 1;
	if (bpf_map_lookup_elem(bpf_map__fd(s->maps.ft_policy), &slot, &hdr))
		return -errno;
	if (!expect || hdr.generation != expect)
		return -ESTALE;
	/* nothing reads the inactive slot (the grace period after the flip
	 * that made it inactive): its header may change */
	hdr.generation = cur_gen + 1 ? cur_gen + 1 : 1;
	if (bpf_map_update_elem(bpf_map__fd(s->maps.ft_policy), &slot, &hdr, 0))
		return -errno;
	err = ft_loader_flip(l, slot, hdr.generation);
	if (err) {
		pr_err("flipping back to slot %u failed: %s", slot, strerror(-err));
		return err;
	}
	grace_period(s, slot);
	*generation = hdr.generation;
	return 0;
}

static int policy_swap(struct ft_loader *l, const struct ft_compiled *c, uint32_t *generation,
		       bool prune);

int ft_policy_swap(struct ft_loader *l, const struct ft_compiled *c, uint32_t *generation)
{
	return policy_swap(l, c, generation, true);
}

int ft_policy_swap_rebind(struct ft_loader *l, const struct ft_compiled *c, uint32_t *generation)
{
	return policy_swap(l, c, generation, false);
}

static int policy_swap(struct ft_loader *l, const struct ft_compiled *c, uint32_t *generation,
		       bool prune)
{
	struct flowtag_xdp *s = l->xdp;
	int inner[IN_MAX], outer[IN_MAX];
	struct ft_policy_hdr hdr = c->hdr;
	struct ft_dynpol dp;
	__u32 slot, cur_slot, cur_gen, k;
	size_t i;
	int err;

	for (i = 0; i < IN_MAX; i++)
		inner[i] = -1;
	outer[IN_BM] = bpf_map__fd(s->maps.ft_bm_o);
	outer[IN_SRC4] = bpf_map__fd(s->maps.ft_src4_o);
	outer[IN_DST4] = bpf_map__fd(s->maps.ft_dst4_o);
	outer[IN_SRC6] = bpf_map__fd(s->maps.ft_src6_o);
	outer[IN_DST6] = bpf_map__fd(s->maps.ft_dst6_o);

	err = ft_loader_state(l, &cur_slot, &cur_gen);
	if (err)
		return err;
	/* a fresh map set has generation 0 in slot 0: start in slot 1 */
	slot = cur_slot ^ 1;
	hdr.generation = cur_gen + 1 ? cur_gen + 1 : 1;

	/* 0. the inactive slot's header stops naming the policy it held:
	 * should this swap fail half way, ft_policy_flip_back() must not flip
	 * to tables that are partly this policy's (it checks the generation) */
	{
		struct ft_policy_hdr old;

		if (!bpf_map_lookup_elem(bpf_map__fd(s->maps.ft_policy), &slot, &old) &&
		    old.generation) {
			old.generation = 0;
			if (bpf_map_update_elem(bpf_map__fd(s->maps.ft_policy), &slot, &old, 0))
				return -errno;
		}
	}

	/* 1. everything into the inactive slot; nothing reads it */
	err = array_write(bpf_map__fd(s->maps.ft_scalar), slot * FT_SC_SIZE, c->scalar,
			  sizeof(*c->scalar), FT_SC_SIZE);
	if (!err)
		err = array_write(bpf_map__fd(s->maps.ft_rules), slot * FT_MAX_RULES, c->rules,
				  sizeof(*c->rules), c->nrules);
	if (!err)
		err = array_write(bpf_map__fd(s->maps.ft_rule_info), slot * FT_MAX_RULES,
				  c->rule_info, sizeof(*c->rule_info), c->nrules);
	if (!err)
		err = array_write(bpf_map__fd(s->maps.ft_rule_name), slot * FT_MAX_RULES,
				  c->rule_name, sizeof(*c->rule_name), c->nrules);
	if (!err)
		err = array_write(bpf_map__fd(s->maps.ft_rule_file), slot * FT_MAX_RULES,
				  c->rule_file, sizeof(*c->rule_file), c->nrules);
	if (!err)
		err = array_write(bpf_map__fd(s->maps.ft_srcfile), slot * FT_MAX_SRCFILES,
				  c->srcfiles, sizeof(*c->srcfiles), c->nsrcfiles);
	if (!err)
		err = array_write(bpf_map__fd(s->maps.ft_classes), slot * FT_MAX_CLASSES, c->classes,
				  sizeof(*c->classes), c->nclasses);
	if (!err)
		err = percpu_zero(bpf_map__fd(s->maps.ft_rule_cnt), slot * FT_MAX_RULES,
				  FT_MAX_RULES, sizeof(struct ft_pktcnt));
	if (!err)
		err = percpu_zero(bpf_map__fd(s->maps.ft_class_cnt), slot * FT_MAX_CLASSES,
				  FT_MAX_CLASSES, sizeof(struct ft_pktcnt));
	if (!err)
		err = hash_clear_slot(bpf_map__fd(s->maps.ft_iif), sizeof(struct ft_iif_key), slot);
	for (i = 0; !err && i < c->niif; i++) {
		struct ft_iif_key ik = { .slot = slot, .ifindex = c->iif[i].ifindex };

		if (bpf_map_update_elem(bpf_map__fd(s->maps.ft_iif), &ik, &c->iif[i].bm, 0))
			err = -errno;
	}
	if (!err)
		err = hash_clear_slot(bpf_map__fd(s->maps.ft_markcls), sizeof(struct ft_mark_key),
				      slot);
	for (i = 0; !err && i < c->nmarks; i++) {
		struct ft_mark_key mk = { .slot = slot, .mark = c->marks[i].mark };

		if (bpf_map_update_elem(bpf_map__fd(s->maps.ft_markcls), &mk, &c->marks[i].val, 0))
			err = -errno;
	}
	if (!err)
		err = ft_dynsets_install(l->pin_dir, bpf_map__fd(s->maps.ft_dset4_o),
					 bpf_map__fd(s->maps.ft_dset6_o), c, &dp);
	if (!err && bpf_map_update_elem(bpf_map__fd(s->maps.ft_dynpol), &slot, &dp, 0))
		err = -errno;
	if (!err && c->dynor)
		err = array_write(bpf_map__fd(s->maps.ft_dynor), slot * FT_DYNOR_PER_SLOT,
				  c->dynor, sizeof(*c->dynor), FT_DYNOR_PER_SLOT);
	if (!err)
		err = bm_fixed_write(bpf_map__fd(s->maps.ft_bmw), bpf_map__fd(s->maps.ft_bmh), slot,
				     c);
	if (!err)
		err = pfx4_write(bpf_map__fd(s->maps.ft_pfx4d), bpf_map__fd(s->maps.ft_pfx4), slot, c);
	if (err)
		goto out;

	/* 2. the variable-sized tables are new inner maps, filled before
	 * they go into the slot */
	inner[IN_BM] = inner_create(BPF_MAP_TYPE_ARRAY, "ft_bitmaps", sizeof(__u32),
				    sizeof(struct ft_bitmap), c->nbitmaps, BPF_F_INNER_MAP);
	if (inner[IN_BM] < 0) {
		err = inner[IN_BM];
		goto out;
	}
	err = array_write(inner[IN_BM], 0, c->bitmaps, sizeof(*c->bitmaps), c->nbitmaps);
	if (err)
		goto out;
	inner[IN_SRC4] = dir4_create("ft_src4", &c->src4_table);
	inner[IN_DST4] = dir4_create("ft_dst4", &c->dst4_table);
	inner[IN_SRC6] = TRIE6("ft_src6", c->src6, c->nsrc6);
	inner[IN_DST6] = TRIE6("ft_dst6", c->dst6, c->ndst6);
	for (i = 0; i < IN_MAX; i++) {
		if (inner[i] < 0) {
			err = inner[i];
			goto out;
		}
	}
	for (i = 0; i < IN_MAX; i++) {
		if (bpf_map_update_elem(outer[i], &slot, &inner[i], 0)) {
			err = -errno;
			goto out;
		}
	}
	/* the header last: it is what makes the slot usable */
	if (bpf_map_update_elem(bpf_map__fd(s->maps.ft_policy), &slot, &hdr, 0)) {
		err = -errno;
		goto out;
	}

	/* 3. the flip: one value, read once per packet */
	err = ft_loader_flip(l, slot, hdr.generation);
	if (err)
		goto out;

	/* 4. Updating a map-in-map waits for an RCU grace period
	 * (synchronize_rcu in the kernel): after it no program that read the
	 * old slot is still running, so the next apply may overwrite it. */
	k = slot;
	if (bpf_map_update_elem(outer[IN_BM], &k, &inner[IN_BM], 0))
		pr_warn("grace-period wait after the policy flip failed: %s", strerror(errno));
	/* 5. dynamic sets the new policy dropped: no active rule names them;
	 * those of the policy now in the other slot stay for a way back */
	if (prune) {
		struct ft_dynpol prev = { 0 };

		k = slot ^ 1;
		if (bpf_map_lookup_elem(bpf_map__fd(s->maps.ft_dynpol), &k, &prev))
			memset(&prev, 0, sizeof(prev));
		ft_dynsets_prune(l->pin_dir, bpf_map__fd(s->maps.ft_dset4_o),
				 bpf_map__fd(s->maps.ft_dset6_o), c, &prev);
	}
	if (generation)
		*generation = hdr.generation;
	err = 0;
out:
	if (err)
		pr_err("writing the policy into the maps failed: %s", strerror(-err));
	for (i = 0; i < IN_MAX; i++)
		if (inner[i] >= 0)
			close(inner[i]);
	return err;
}
