/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The read-only view of everything flowtag pins: the daemon's records
 * (ft_info, ft_ifaces, ft_health, ft_ifhealth), the active policy
 * (ft_state, ft_policy, ft_classes, ft_rule_info), the hand-off counters
 * per interface (ft_devs or ft_hoff) and the per-CPU counters, summed.
 *
 * This is how flowtagctl learns everything: no private IPC, and nothing
 * here can change what the data path does. Maps are opened on first use
 * with BPF_F_RDONLY and checked against the layout this build expects, so
 * pins left by another flowtag version are refused instead of misread.
 *
 * The writer of the daemon's records is flowtagd through pinned_write.c
 * (ft_pinned_publish()); swap.c writes the policy maps, the BPF programs
 * the counters.
 */
#ifndef FLOWTAG_PINNED_H
#define FLOWTAG_PINNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtag/maps.h"

/* The pinned maps this module reads; the names are the pin file names. */
enum ft_pinned_map {
	FT_PINNED_STATE = 0,	/* ft_state */
	FT_PINNED_POLICY,	/* ft_policy */
	FT_PINNED_INFO,		/* ft_info */
	FT_PINNED_IFACES,	/* ft_ifaces */
	FT_PINNED_COUNTERS,	/* ft_health_cnt (per CPU) */
	FT_PINNED_CLASSES,	/* ft_classes */
	FT_PINNED_RULE_INFO,	/* ft_rule_info */
	FT_PINNED_RULE_CNT,	/* ft_rule_cnt (per CPU) */
	FT_PINNED_CLASS_CNT,	/* ft_class_cnt (per CPU) */
	FT_PINNED_HEALTH,	/* ft_health */
	FT_PINNED_IFHEALTH,	/* ft_ifhealth */
	FT_PINNED_HOFF,		/* ft_hoff (per CPU, keyed by ifindex) */
	FT_PINNED_RULE_NAME,	/* ft_rule_name */
	FT_PINNED_FLOW_CACHE,	/* ft_flow_cache (per CPU, buckets of flows) */
	FT_PINNED_CONFIRM,	/* ft_confirm */
	FT_PINNED_DEVS,		/* ft_devs (per CPU, indexed by ifindex & (FT_DEV_SLOTS - 1)) */
	FT_PINNED_FLOW4,	/* ft_flow4 (pages of the compact flow cache, per CPU by index) */
	FT_PINNED_IFSHAPING,	/* ft_ifshaping */
	FT_PINNED_RULE_FILE,	/* ft_rule_file */
	FT_PINNED_SRCFILE,	/* ft_srcfile */
	FT_PINNED_MAX,
};

struct ft_pinned {
	char dir[256];		/* pin directory */
	int fd[FT_PINNED_MAX];	/* -1 until first use */
	int ncpu;		/* possible CPUs: per-CPU values have this many slots */
	void *buf;		/* per-CPU lookup buffer, room for the largest value */
	bool ready;		/* fd[] initialised: ft_pinned_close() has work to do */
};

/**
 * ft_pinned_open() - prepare to read the maps pinned under @pin_dir.
 * @s:       filled in; release with ft_pinned_close()
 * @pin_dir: e.g. FT_PIN_DIR
 *
 * Opens ft_state at once, so the caller learns right away whether flowtag
 * is there at all; other maps open on first use.
 * Return: 0; -ENOENT when nothing is pinned there (flowtagd is not
 * running); -EACCES or -EPERM without the privileges to open pinned maps;
 * -EPROTO when the pins do not have the layout of this build, or ft_info
 * names another data-path format (FT_DATAPATH_FORMAT; both said on stderr);
 * other -errno.
 */
int ft_pinned_open(struct ft_pinned *s, const char *pin_dir);

/**
 * ft_pinned_close() - close every map opened through @s. Safe on a zeroed
 * or already closed @s.
 */
void ft_pinned_close(struct ft_pinned *s);

/**
 * ft_pinned_map_name() - pin file name of @m ("ft_state", ...).
 */
const char *ft_pinned_map_name(enum ft_pinned_map m);

/**
 * ft_pinned_state() - the active slot and generation (the value a reload flips).
 * Return: 0 or -errno.
 */
int ft_pinned_state(struct ft_pinned *s, struct ft_state *st);

/**
 * ft_pinned_policy() - header of the compiled policy in @slot.
 * Return: 0, -EINVAL for a bad slot, or -errno.
 */
int ft_pinned_policy(struct ft_pinned *s, uint32_t slot, struct ft_policy_hdr *h);

/**
 * ft_pinned_info() - what flowtagd says about itself. The strings are
 * NUL-terminated on return even if the map holds garbage.
 * Return: 0 or -errno.
 */
int ft_pinned_info(struct ft_pinned *s, struct ft_daemon_info *info);

/**
 * ft_pinned_iface() - entry @i (< FT_MAX_IFACES) of ft_ifaces, name
 * NUL-terminated.
 * Return: 0, -EINVAL for a bad index, or -errno.
 */
int ft_pinned_iface(struct ft_pinned *s, uint32_t i, struct ft_iface_info *ifc);

/**
 * ft_pinned_health() - what flowtagd's own checks found (program ids,
 * repairs, interfaces it could not attach); @h->missing NUL-terminated.
 * Return: 0, -ENOENT when the pins predate these maps, or -errno.
 */
int ft_pinned_health(struct ft_pinned *s, struct ft_health *h);

/**
 * ft_pinned_ifhealth() - entry @i (< FT_MAX_IFACES) of ft_ifhealth, the
 * repair record of ft_ifaces entry @i.
 * Return: 0, -EINVAL for a bad index, -ENOENT without the map, or -errno.
 */
int ft_pinned_ifhealth(struct ft_pinned *s, uint32_t i, struct ft_iface_health *ih);

/**
 * ft_pinned_ifshaping() - entry @i (< FT_MAX_IFACES) of ft_ifshaping, why
 * the shaping of interface ft_ifaces[@i] is not as the policy says.
 * Return: 0, -ENOENT when the pins predate ft_ifshaping, or -errno.
 */
int ft_pinned_ifshaping(struct ft_pinned *s, uint32_t i, struct ft_iface_shaping *is);

/**
 * ft_pinned_hoff() - the XDP->tc hand-off counters of @ifindex, summed over
 * the CPUs, from wherever they live (ft_hoff_sum()).
 * Return: 0, -ENOENT when flowtagd made no entry for @ifindex (or the pins
 * predate the maps), or -errno.
 */
int ft_pinned_hoff(struct ft_pinned *s, uint32_t ifindex, struct ft_hoff *out);

/**
 * ft_hoff_sum() - the XDP->tc hand-off counters of @ifindex summed over the
 * @ncpu possible CPUs, from where the programs count them: the ft_devs
 * entry of @ifindex (@devs_fd) on the CPUs where its tag is @ifindex, else
 * its ft_hoff entry (@hoff_fd). Either fd may be negative (no such map).
 * The one reader of the counters: flowtagctl, the metrics, the self-repair
 * and the tests all use it.
 * @buf: room for @ncpu values of struct ft_dev
 * Return: 0, -ENOENT when neither map holds counters of @ifindex, or -errno.
 */
int ft_hoff_sum(int devs_fd, int hoff_fd, uint32_t ifindex, int ncpu, void *buf,
		struct ft_hoff *out);

/**
 * ft_pinned_counters() - every health counter of ft_health_cnt, summed over
 * the CPUs, into @out[FT_CNT_MAX].
 * Return: 0 or -errno.
 */
int ft_pinned_counters(struct ft_pinned *s, uint64_t *out);

/**
 * ft_pinned_class() - class @cls of @slot: its description (name, mark,
 * priority), NUL-terminated. Its packet counters: ft_pinned_class_counts().
 * Return: 0, -EINVAL for an index out of range, or -errno.
 */
int ft_pinned_class(struct ft_pinned *s, uint32_t slot, uint32_t cls, struct ft_class_info *ci);

/**
 * ft_pinned_class_default() - the packets (and bytes) of @slot that no
 * rule matched and that got class @cls as the policy's default: its
 * ft_class_cnt entry summed over the CPUs (flowtag/maps.h, struct
 * ft_pktcnt). Not the class's total: see ft_pinned_class_counts().
 * Return: 0, -EINVAL for an index out of range, or -errno.
 */
int ft_pinned_class_default(struct ft_pinned *s, uint32_t slot, uint32_t cls,
			    struct ft_pktcnt *cnt);

/* A rule of a slot as ft_pinned_class_counts() read it. */
struct ft_pinned_rule_cnt {
	struct ft_rule_info info;	/* where it came from, its class */
	struct ft_pktcnt cnt;		/* its counter, summed over the CPUs */
};

/**
 * ft_pinned_class_counts() - the totals of classes 0..@n-1 of @slot into
 * @out: each one's default packets (ft_pinned_class_default()) plus the
 * counters of the slot's rules whose ft_rule_info.class_id it is. The
 * data path counts each packet once, in its rule's counter or, without a
 * rule, in its default class's (ft_count_verdict(), xdp/classify.h).
 * @rules: NULL, or FT_MAX_RULES entries that receive every rule's info
 * and counter as read for the sums (rule lines printed from them add up
 * to the class totals; no second read); @nrules: NULL, or the number of
 * rules read (0 on an error).
 * Reads are not atomic with the data path: a reload between them mixes
 * two policies (callers compare the generation before and after).
 * Return: 0, -EINVAL for @slot or @n out of range, or -errno.
 */
int ft_pinned_class_counts(struct ft_pinned *s, uint32_t slot, uint32_t n, struct ft_pktcnt *out,
			   struct ft_pinned_rule_cnt *rules, uint32_t *nrules);

/** ft_pktcnt_add() - add @c's packets and bytes to @to's. */
void ft_pktcnt_add(struct ft_pktcnt *to, const struct ft_pktcnt *c);

/**
 * ft_pinned_rule() - rule @rule of @slot: where it came from and its packet
 * counter summed over the CPUs. Either output may be NULL.
 * Return: 0, -EINVAL for an index out of range, or -errno.
 */
int ft_pinned_rule(struct ft_pinned *s, uint32_t slot, uint32_t rule, struct ft_rule_info *ri,
		   struct ft_pktcnt *cnt);

/**
 * ft_pinned_rule_name() - the policy's `name` of rule @rule of @slot ("" for
 * a rule without one), NUL-terminated.
 * Return: 0, -EINVAL for an index out of range, -ENOENT for pins of a
 * version without rule names, or -errno.
 */
int ft_pinned_rule_name(struct ft_pinned *s, uint32_t slot, uint32_t rule,
			struct ft_rule_name *rn);

/**
 * ft_pinned_rule_file() - the file rule @rule of @slot was written in (its
 * ft_rule_info.line is a line of it): the policy, or one of its
 * @include'd files, named as flowtagd's messages name it, NUL-terminated.
 * Return: the file's index (0: the policy itself; struct ft_rule_file),
 * -EINVAL for an index out of range, -ENOENT for pins of a version that
 * recorded no files (the rules are then the policy file's), or -errno.
 */
int ft_pinned_rule_file(struct ft_pinned *s, uint32_t slot, uint32_t rule,
			struct ft_srcfile *f);

/**
 * ft_pinned_flow_cache() - walk both flow caches (ft_flow4, the compact
 * one, then ft_flow_cache; flowtag/maps.h): @fn is called for every way
 * that holds an entry (generation not 0), on every CPU, with its key as a
 * struct ft_flow_key (a compact key widened), its policy @generation and
 * @rule; a non-zero return from @fn stops the walk and is returned.
 * The data path keeps writing while we read: a way may be half written
 * (its generation is 0 while that happens, or its key is of no real flow).
 * Return: 0, @fn's value, or -errno (-ENOENT: pins without a flow cache;
 * pins of a version without ft_flow4 are walked in ft_flow_cache alone).
 */
int ft_pinned_flow_cache(struct ft_pinned *s,
			 int (*fn)(const struct ft_flow_key *k, __u32 generation, __u16 rule, int cpu,
				   void *arg),
			 void *arg);
/**
 * ft_pinned_confirm() - the state of reload --confirm and rollback, @c->why
 * NUL-terminated.
 * Return: 0, -ENOENT when the pins predate the map, or -errno.
 */
int ft_pinned_confirm(struct ft_pinned *s, struct ft_confirm_info *c);

/**
 * ft_percpu_sum() - look up @key in the per-CPU map @fd and sum, over the
 * @ncpu possible CPUs, the first @nwords __u64 words of its @value_size-byte
 * value. @buf holds @ncpu values, each rounded up to 8 bytes.
 * Return: 0 or -errno.
 */
int ft_percpu_sum(int fd, uint32_t key, size_t value_size, int ncpu, void *buf, uint64_t *sum,
		  unsigned int nwords);

/** ft_action_name() - "class", "pass", "drop" (enum ft_action), "?" otherwise. */
const char *ft_action_name(unsigned int action);

/* JSON/Prometheus key and text label of every health counter (enum ft_counter). */
struct ft_counter_name {
	const char *key;	/* "meta_written" */
	const char *label;	/* "meta written" */
};

/* indexed by enum ft_counter, FT_CNT_MAX entries, none NULL (pinned.c, test_pinned) */
extern const struct ft_counter_name ft_counter_names[];

/* ---- the daemon process ---- */

enum ft_daemon_state {
	FT_DAEMON_STOPPED,		/* pid 0: flowtagd said it stopped */
	FT_DAEMON_RUNNING,
	FT_DAEMON_STALE,		/* no such process: flowtagd died without cleaning up */
	FT_DAEMON_REUSED,		/* the pid belongs to another program now */
};

/**
 * ft_daemon_state() - whether @pid (from ft_info) is a live flowtagd. The
 * program name must match too: a dead daemon's pid can be reused, and
 * callers send it signals. A zombie is not alive.
 * @comm: out, the process name (may be empty)
 */
enum ft_daemon_state ft_daemon_state(uint32_t pid, char *comm, size_t len);

#endif /* FLOWTAG_PINNED_H */
