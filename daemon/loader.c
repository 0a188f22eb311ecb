// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * BPF object loading, map sharing and pinning, and the atomic policy swap.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowtag_xdp.skel.h"
#include "flowtag_tc.skel.h"
#include "loader.h"
#include "log.h"

int ft_bpffs_prepare(const char *dir)
{
	struct statfs st;
	char path[PATH_MAX];
	char *p;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			pr_err("cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
			return -errno;
		}
		pr_info("mounted bpffs on /sys/fs/bpf");
	}
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* mkdir -p, the last component 0700: only root reads our maps */
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (statfs(path, &st) || st.f_type != BPF_FS_MAGIC) {
		pr_err("%s is not on a bpf filesystem", path);
		return -ENOTDIR;
	}
	return 0;
}

static int set_pin_paths(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map)) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/* Make every map of @to use the same-named map of the loaded @from. */
static int share_maps(struct bpf_object *to, struct bpf_object *from)
{
	struct bpf_map *map, *src;
	int err;

	bpf_object__for_each_map(map, to) {
		if (bpf_map__is_internal(map))
			continue;
		src = bpf_object__find_map_by_name(from, bpf_map__name(map));
		if (!src) {
			pr_err("map %s of the tc object is missing from the XDP object",
			       bpf_map__name(map));
			return -ENOENT;
		}
		err = bpf_map__reuse_fd(map, bpf_map__fd(src));
		if (err)
			return err;
	}
	return 0;
}

static bool any_pin_exists(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		if (bpf_map__pin_path(map) && access(bpf_map__pin_path(map), F_OK) == 0)
			return true;
	return false;
}

/*
 * Pins of maps that earlier versions had under these names with another
 * layout: the flow cache was an LRU hash "ft_flows", the health counters
 * one __u64 per entry of "ft_counters". New names, so an upgrade adopts
 * every other pinned map (a hand-over without a gap) and creates these.
 */
static const char *const obsolete_pins[] = { "ft_flows", "ft_counters" };

/* Remove the obsolete pins under @dir: nothing reads them any more (the
 * programs still attached hold their own references). */
static void unpin_obsolete(const char *dir)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(obsolete_pins) / sizeof(obsolete_pins[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, obsolete_pins[i]) >=
		    (int)sizeof(path))
			continue;
		if (unlink(path) == 0)
			pr_info("removed %s, a map of an earlier flowtag version", path);
	}
}

/* Per-CPU memory the flow cache may take on all CPUs together. */
#define FT_FLOW_CACHE_BUDGET	(64u << 20)
#define FT_FLOW_MIN_BUCKETS	1024u

/*
 * The flow cache's buckets per CPU: FT_FLOW_BUCKETS (16384 buckets, 65536
 * flows, 4 MiB per CPU) while all CPUs together stay within
 * FT_FLOW_CACHE_BUDGET, halved until they do, at least FT_FLOW_MIN_BUCKETS.
 * A power of two: the programs index it with a mask.
 */
static uint32_t flow_cache_buckets(void)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t n = FT_FLOW_BUCKETS;

	if (ncpu < 1)
		ncpu = 1;
	while (n > FT_FLOW_MIN_BUCKETS &&
	       (uint64_t)n * sizeof(struct ft_flow_bucket) * (uint64_t)ncpu > FT_FLOW_CACHE_BUDGET)
		n /= 2;
	return n;
}

void ft_loader_flow_cache_params(const struct ft_loader *l, __u64 *seed, __u32 *mask)
{
	*seed = l->xdp->rodata->ft_flow_seed;
	*mask = l->xdp->rodata->ft_flow_mask;
}

int ft_loader_open(struct ft_loader *l, const char *pin_dir)
{
	uint32_t buckets = flow_cache_buckets();
	uint64_t seed = 0;
	int err;

	memset(l, 0, sizeof(*l));
	l->xdp = flowtag_xdp__open();
	if (!l->xdp) {
		err = -errno;
		pr_err("cannot open the XDP object: %s", strerror(-err));
		return err;
	}
	/* a seed nobody knows: no flood can aim at one bucket (0 if the
	 * kernel has none to give yet: still correct, only predictable) */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0;
	err = bpf_map__set_max_entries(l->xdp->maps.ft_flow_cache, buckets);
	if (err)
		goto fail;
	l->xdp->rodata->ft_flow_mask = buckets - 1;
	l->xdp->rodata->ft_flow_seed = seed;
	if (pin_dir) {
		if (snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", pin_dir) >=
		    (int)sizeof(l->pin_dir)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		err = set_pin_paths(l->xdp->obj, pin_dir);
		if (err)
			goto fail;
		l->adopted = any_pin_exists(l->xdp->obj);
	}
	/* libbpf reuses compatible pinned maps and pins the maps it creates */
	err = flowtag_xdp__load(l->xdp);
	if (err) {
		pr_err("cannot load the XDP object: %s%s", strerror(-err),
		       l->adopted ? " (pinned maps from another flowtag version? "
				    "remove them with flowtagd --cleanup)" :
				    " (run with -vv for the verifier log)");
		goto fail;
	}
	if (pin_dir)
		unpin_obsolete(pin_dir);

	l->tc = flowtag_tc__open();
	if (!l->tc) {
		err = -errno;
		pr_err("cannot open the tc object: %s", strerror(-err));
		goto fail;
	}
	/* the same buckets as the XDP object, whose ft_flow_cache it shares */
	l->tc->rodata->ft_flow_mask = buckets - 1;
	l->tc->rodata->ft_flow_seed = seed;
	err = share_maps(l->tc->obj, l->xdp->obj);
	if (err)
		goto fail;
	err = flowtag_tc__load(l->tc);
	if (err) {
		pr_err("cannot load the tc object: %s (run with -vv for the verifier log)",
		       strerror(-err));
		goto fail;
	}
	return 0;
fail:
	ft_loader_close(l);
	return err;
}

void ft_loader_close(struct ft_loader *l)
{
	flowtag_tc__destroy(l->tc);
	flowtag_xdp__destroy(l->xdp);
	l->tc = NULL;
	l->xdp = NULL;
}

int ft_loader_unpin(struct ft_loader *l)
{
	struct bpf_map *map;
	int err = 0;

	if (!l->xdp || !l->pin_dir[0])
		return 0;
	bpf_object__for_each_map(map, l->xdp->obj) {
		const char *path = bpf_map__pin_path(map);

		if (path && unlink(path) && errno != ENOENT)
			err = -errno;
	}
	return err;
}

int ft_loader_xdp_fd(struct ft_loader *l, bool frags)
{
	return bpf_program__fd(frags ? l->xdp->progs.ft_xdp_frags : l->xdp->progs.ft_xdp);
}

int ft_loader_tc_ingress_fd(struct ft_loader *l)
{
	return bpf_program__fd(l->tc->progs.ft_tc_ingress);
}

int ft_loader_tc_egress_fd(struct ft_loader *l)
{
	return bpf_program__fd(l->tc->progs.ft_tc_egress);
}

int ft_loader_map_fd(struct ft_loader *l, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(l->xdp->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

int ft_loader_state(struct ft_loader *l, uint32_t *slot, uint32_t *generation)
{
	struct ft_state st;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(l->xdp->maps.ft_state), &zero, &st))
		return -errno;
	*slot = st.slot & 1;
	*generation = st.generation;
	return 0;
}

int ft_loader_revert(struct ft_loader *l, uint32_t slot, uint32_t generation)
{
	struct ft_state st = { .slot = slot & 1, .generation = generation };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(l->xdp->maps.ft_state), &zero, &st, 0))
		return -errno;
	return 0;
}

/* ---- apply ---- */

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

#define TRIE4(name, v, n) trie_create(name, v, n, sizeof(struct ft_lpm4_ent), \
				      sizeof(struct ft_lpm4), offsetof(struct ft_lpm4_ent, bm))
#define TRIE6(name, v, n) trie_create(name, v, n, sizeof(struct ft_lpm6_ent), \
				      sizeof(struct ft_lpm6), offsetof(struct ft_lpm6_ent, bm))

enum { IN_BM, IN_SRC4, IN_DST4, IN_SRC6, IN_DST6, IN_MAX };

int ft_loader_apply(struct ft_loader *l, const struct ft_compiled *c, uint32_t *generation)
{
	struct flowtag_xdp *s = l->xdp;
	int inner[IN_MAX], outer[IN_MAX];
	struct ft_policy_hdr hdr = c->hdr;
	struct ft_state st;
	__u32 slot, cur_slot, cur_gen, zero = 0, k;
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
	if (err)
		goto out;

	/* 2. the variable-sized tables are new inner maps */
	inner[IN_BM] = inner_create(BPF_MAP_TYPE_ARRAY, "ft_bitmaps", sizeof(__u32),
				    sizeof(struct ft_bitmap), c->nbitmaps, BPF_F_INNER_MAP);
	if (inner[IN_BM] < 0) {
		err = inner[IN_BM];
		goto out;
	}
	err = array_write(inner[IN_BM], 0, c->bitmaps, sizeof(*c->bitmaps), c->nbitmaps);
	if (err)
		goto out;
	inner[IN_SRC4] = TRIE4("ft_src4", c->src4, c->nsrc4);
	inner[IN_DST4] = TRIE4("ft_dst4", c->dst4, c->ndst4);
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
	st.slot = slot;
	st.generation = hdr.generation;
	if (bpf_map_update_elem(bpf_map__fd(s->maps.ft_state), &zero, &st, 0)) {
		err = -errno;
		goto out;
	}

	/* 4. Updating a map-in-map waits for an RCU grace period
	 * (synchronize_rcu in the kernel): after it no program that read the
	 * old slot is still running, so the next apply may overwrite it. */
	k = slot;
	if (bpf_map_update_elem(outer[IN_BM], &k, &inner[IN_BM], 0))
		pr_warn("grace-period wait after the policy flip failed: %s", strerror(errno));
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
