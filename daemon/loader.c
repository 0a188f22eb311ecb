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

/* Unlink the pins @names (@n of them) under @dir, each logged; their count. */
static int unpin_names(const char *dir, const char *const *names, size_t n)
{
	char path[PATH_MAX];
	int removed = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			continue;
		if (unlink(path) == 0) {
			pr_info("removed %s, a map of an earlier flowtag version", path);
			removed++;
		}
	}
	return removed;
}

/* Remove the obsolete pins under @dir: nothing reads them any more (the
 * programs still attached hold their own references). */
static void unpin_obsolete(const char *dir)
{
	unpin_names(dir, obsolete_pins, sizeof(obsolete_pins) / sizeof(obsolete_pins[0]));
}

/*
 * Pins of maps with the same name but another layout in earlier versions:
 * ft_src4_o / ft_dst4_o held LPM tries, then plain DIR-16-8-8 tables (the
 * compressed chunks of flowtag/dir4.h read the same array otherwise); the
 * health counters ft_health_cnt had one counter fewer; ft_state had no
 * link-type fields (8 bytes, slot and generation). The objects cannot
 * load over the last of these, so a start never adopts pins whose tables
 * an old program still attached would misread: it refuses, and --cleanup
 * removes these first. A change of a pinned map's content that libbpf
 * cannot see (same type and sizes) increments FT_DATAPATH_FORMAT
 * (flowtag/maps.h) instead, which flowtagd checks before it adopts.
 */
static const char *const relaid_pins[] = { "ft_src4_o", "ft_dst4_o", "ft_health_cnt", "ft_state" };

int ft_loader_unpin_relaid(const char *pin_dir)
{
	return unpin_names(pin_dir, relaid_pins, sizeof(relaid_pins) / sizeof(relaid_pins[0]));
}

/* Per-CPU memory each flow cache (wide, compact) may take on all CPUs together. */
#define FT_FLOW_CACHE_BUDGET	(64u << 20)
#define FT_FLOW_MIN_BUCKETS	1024u

/*
 * How many entries of @size bytes each CPU's flow cache takes: @most while
 * all CPUs together stay within FT_FLOW_CACHE_BUDGET, halved until they
 * do, at least @least. A power of two when @most is: the programs index
 * the caches with a mask.
 *  - the wide cache: FT_FLOW_BUCKETS buckets (16384, 65536 flows, 4 MiB
 *    per CPU), at least FT_FLOW_MIN_BUCKETS;
 *  - the compact cache: FT_FLOW4_PAGES pages (struct ft_flow4_page, 4 KiB;
 *    1 MiB, 32768 flows per CPU), at least FT_FLOW4_MIN_PAGES.
 */
static uint32_t flow_cache_entries(uint32_t most, uint32_t least, size_t size)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t n = most;

	if (ncpu < 1)
		ncpu = 1;
	while (n > least && (uint64_t)n * size * (uint64_t)ncpu > FT_FLOW_CACHE_BUDGET)
		n /= 2;
	return n;
}

void ft_loader_flow_cache_params(const struct ft_loader *l, __u64 *seed, __u32 *mask)
{
	*seed = l->xdp->rodata->ft_flow_seed;
	*mask = l->xdp->rodata->ft_flow_mask;
}

void ft_loader_flow4_params(const struct ft_loader *l, __u32 *mask)
{
	*mask = l->xdp->rodata->ft_flow4_mask;
}

/* ft_loader_open() and ft_loader_open_maps(): @progs false loads no program. */
static int loader_open(struct ft_loader *l, const char *pin_dir, bool progs)
{
	uint32_t buckets = flow_cache_entries(FT_FLOW_BUCKETS, FT_FLOW_MIN_BUCKETS,
					      sizeof(struct ft_flow_bucket));
	uint32_t pages = flow_cache_entries(FT_FLOW4_PAGES, FT_FLOW4_MIN_PAGES,
					    sizeof(struct ft_flow4_page));
	int ncpu = libbpf_num_possible_cpus();
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
	/* the compact cache: each possible CPU its pages */
	err = bpf_map__set_max_entries(l->xdp->maps.ft_flow4, pages * (uint32_t)(ncpu < 1 ? 1 : ncpu));
	if (err)
		goto fail;
	l->xdp->rodata->ft_flow4_mask = pages - 1;
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
	if (!progs) {
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, l->xdp->obj)
			bpf_program__set_autoload(prog, false);
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
	/* the tc object has no map of its own: it shares the XDP object's */
	if (!progs)
		return 0;

	l->tc = flowtag_tc__open();
	if (!l->tc) {
		err = -errno;
		pr_err("cannot open the tc object: %s", strerror(-err));
		goto fail;
	}
	/* the same buckets and pages as the XDP object, whose flow caches it shares */
	l->tc->rodata->ft_flow_mask = buckets - 1;
	l->tc->rodata->ft_flow_seed = seed;
	l->tc->rodata->ft_flow4_mask = pages - 1;
	err = share_maps(l->tc->obj, l->xdp->obj);
	if (err)
		goto fail;
	err = flowtag_tc__load(l->tc);
	if (err) {
		pr_err("cannot load the tc object: %s (run with -vv for the verifier log)",
		       strerror(-err));
		goto fail;
	}
	/* adopted pins: ft_state's link-type fields from the ft_links adopted
	 * with them (a failure leaves them as they were) */
	if (l->adopted)
		ft_loader_links_sync(l);
	return 0;
fail:
	ft_loader_close(l);
	return err;
}

int ft_loader_open(struct ft_loader *l, const char *pin_dir)
{
	return loader_open(l, pin_dir, true);
}

int ft_loader_open_maps(struct ft_loader *l, const char *pin_dir)
{
	return loader_open(l, pin_dir, false);
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

int ft_loader_flip(struct ft_loader *l, uint32_t slot, uint32_t generation)
{
	int fd = bpf_map__fd(l->xdp->maps.ft_state);
	struct ft_state st;
	__u32 zero = 0;

	/* the link-type fields as they are: ft_loader_links_sync() writes them */
	if (bpf_map_lookup_elem(fd, &zero, &st))
		return -errno;
	st.slot = slot & 1;
	st.generation = generation;
	if (bpf_map_update_elem(fd, &zero, &st, 0))
		return -errno;
	return 0;
}

int ft_loader_links_sync(struct ft_loader *l)
{
	int links_fd = ft_loader_map_fd(l, "ft_links"), fd = bpf_map__fd(l->xdp->maps.ft_state);
	__u32 key, next, zero = 0, lookup = 0, n;
	struct ft_link lk;
	struct ft_state st;
	int err;

	if (links_fd < 0)
		return links_fd;
	/* Bounded: ft_links holds at most FT_MAX_LINKS entries (a hash map's
	 * walk starts again from its first key when the key it is given was
	 * deleted meanwhile). flowtagd is the only writer; a walk it did not
	 * finish counts as "not known": every packet's link type looked up. */
	err = bpf_map_get_next_key(links_fd, NULL, &next);
	for (n = 0; !err && n <= FT_MAX_LINKS; n++) {
		key = next;
		if (!bpf_map_lookup_elem(links_fd, &key, &lk) && lk.l2 != FT_L2_ETH)
			break;
		err = bpf_map_get_next_key(links_fd, &key, &next);
	}
	if (err != -ENOENT)
		lookup = 1;
	if (bpf_map_lookup_elem(fd, &zero, &st))
		return -errno;
	if (st.l2 == FT_L2_ETH && st.l2_lookup == lookup)
		return 0;
	st.l2 = FT_L2_ETH;
	st.l2_lookup = lookup;
	if (bpf_map_update_elem(fd, &zero, &st, 0))
		return -errno;
	return 0;
}

