/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Loading the BPF objects and writing compiled policies into their maps.
 *
 * The XDP and tc objects are built separately (xdp/, tc/) but must share
 * one instance of every map: the XDP object is loaded first (or adopts the
 * maps pinned under the pin directory), the tc object reuses its map fds.
 * Attaching to interfaces is not done here (see attach.h).
 */
#ifndef FLOWTAG_LOADER_H
#define FLOWTAG_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "compile.h"

#define FT_PIN_DIR	"/sys/fs/bpf/flowtag"

struct flowtag_xdp;
struct flowtag_tc;

struct ft_loader {
	struct flowtag_xdp *xdp;	/* skeleton: ft_xdp, ft_xdp_frags, the maps */
	struct flowtag_tc *tc;		/* skeleton: ft_tc_ingress, ft_tc_egress */
	char pin_dir[256];		/* maps pinned here; empty = not pinned */
	bool adopted;			/* maps came from existing pins */
};

/**
 * ft_loader_open() - load both objects with shared maps.
 * @pin_dir: pin (or adopt already pinned) maps there; NULL for private maps
 * Returns 0 or -errno (libbpf's reason is logged).
 */
int ft_loader_open(struct ft_loader *l, const char *pin_dir);

/**
 * ft_loader_open_maps() - ft_loader_open() without loading any program:
 * the maps only, adopted from @pin_dir (or created and pinned there), for
 * flowtagd --cleanup, which reads the records and unpins. The verifier
 * never runs (it takes about 10 s per start in a TCG guest); the XDP and
 * tc program fds of @l are invalid, @l->tc is NULL.
 * Returns 0 or -errno, like ft_loader_open() (pins an earlier version
 * laid out otherwise fail the same way).
 */
int ft_loader_open_maps(struct ft_loader *l, const char *pin_dir);

/**
 * ft_loader_flow_cache_params() - how the programs of @l index ft_flow_cache:
 * @seed of the flow-key hash (ft_flow_hash() in xdp/classify.h) and @mask,
 * the number of buckets - 1 (a bucket index is hash & mask).
 */
void ft_loader_flow_cache_params(const struct ft_loader *l, __u64 *seed, __u32 *mask);

/**
 * ft_loader_flow4_params() - how the programs of @l index ft_flow4, the
 * compact flow cache: @mask is its pages per CPU - 1 (CPU c's pages start
 * at c * (@mask + 1)); the hash seed is ft_loader_flow_cache_params()'s.
 */
void ft_loader_flow4_params(const struct ft_loader *l, __u32 *mask);

/** ft_loader_close() - drop our references; pins (and what they hold) stay. */
void ft_loader_close(struct ft_loader *l);

/**
 * ft_loader_unpin_relaid() - remove the pins under @pin_dir of maps whose
 * layout changed since an earlier version under the same name (the IPv4
 * prefix maps ft_src4_o / ft_dst4_o held LPM tries, then uncompressed
 * tables; ft_health_cnt had one counter fewer): the objects cannot load
 * over them. Only for --cleanup, which removes everything anyway: a
 * start refuses instead (the old programs, still attached, read those
 * maps). Returns how many pins it removed.
 */
int ft_loader_unpin_relaid(const char *pin_dir);

/** ft_loader_unpin() - remove the map pins this loader created or adopted. */
int ft_loader_unpin(struct ft_loader *l);

/** ft_loader_state() - the active slot and generation (0: no policy yet). */
int ft_loader_state(struct ft_loader *l, uint32_t *slot, uint32_t *generation);

/**
 * ft_loader_flip() - make the policy in @slot (0 or 1), of @generation, the
 * active one: one write of ft_state, whose link-type fields it keeps as
 * they are. The caller has written the slot's tables and header before:
 * ft_policy_swap(), or a start that failed after applying, which makes the
 * slot and generation before its ft_policy_swap() active again (the policy
 * there is intact: the swap wrote the other slot).
 * Returns 0 or -errno of the map lookup or update.
 */
int ft_loader_flip(struct ft_loader *l, uint32_t slot, uint32_t generation);

/**
 * ft_loader_links_sync() - recount ft_links and write ft_state's link-type
 * fields (flowtag/maps.h, struct ft_state): l2_lookup 1 when some
 * interface there is not Ethernet (FT_L2_ETH), or when the walk failed,
 * else 0, and l2 FT_L2_ETH. Call it after an entry is written, before the
 * programs are attached to that interface, and after one is deleted.
 * Returns 0 or -errno; on an error ft_state is unchanged.
 */
int ft_loader_links_sync(struct ft_loader *l);

/** Program fds, for attaching and for bpf_prog_test_run_opts. */
int ft_loader_xdp_fd(struct ft_loader *l, bool frags);
int ft_loader_tc_ingress_fd(struct ft_loader *l);
int ft_loader_tc_egress_fd(struct ft_loader *l);

/** ft_loader_map_fd() - fd of a shared map by name ("ft_health_cnt", ...), or -ENOENT. */
int ft_loader_map_fd(struct ft_loader *l, const char *name);

/**
 * ft_bpffs_prepare() - make sure @dir is on a bpf filesystem (mounting one
 * on /sys/fs/bpf when none is) and exists with mode 0700.
 */
int ft_bpffs_prepare(const char *dir);

#endif /* FLOWTAG_LOADER_H */
