/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The in-memory policy: what daemon/config.c produces from a policy file and
 * daemon/compile.c turns into map contents. Plain data, no kernel state.
 * Every string is owned by the struct (copied out of libconfig).
 */
#ifndef FLOWTAG_POLICY_H
#define FLOWTAG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtag/maps.h"

#define FT_IFNAMSIZ	16	/* IFNAMSIZ, including the NUL */
#define FT_SET_NAME_LEN	64

enum ft_xdp_mode {
	FT_XDP_AUTO = 0,	/* native, else generic with a warning */
	FT_XDP_NATIVE,		/* driver mode only */
	FT_XDP_GENERIC,		/* SKB mode */
};

/* tc_hook: where the tc ingress program runs. */
enum ft_tc_hook {
	FT_TC_HOOK_AUTO = 0,	/* tcx where the kernel has it (6.6+), else clsact */
	FT_TC_HOOK_TCX,		/* a tcx link (BPF_TCX_INGRESS); refused without tcx */
	FT_TC_HOOK_CLSACT,	/* a cls_bpf filter on the clsact qdisc */
};

/* An IPv4 or IPv6 prefix; host bits are zero. */
struct ft_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;		/* 0..32 or 0..128 */
	uint8_t addr[16];	/* network byte order; IPv4 uses addr[0..3] */
};

/* An inclusive port range. */
struct ft_range {
	uint16_t lo;
	uint16_t hi;
};

/* src or dst: literal prefixes and/or prefix sets, any of them matches. */
struct ft_addr_match {
	struct ft_prefix *pfx;	/* literal prefixes */
	size_t npfx;
	int *sets;		/* indices into ft_policy.sets */
	size_t nsets;
};

/* ft_match.keys: which match keys the rule gives */
#define FT_MK_IIF	(1u << 0)
#define FT_MK_VLAN	(1u << 1)
#define FT_MK_FAMILY	(1u << 2)
#define FT_MK_SRC	(1u << 3)
#define FT_MK_DST	(1u << 4)
#define FT_MK_PROTO	(1u << 5)
#define FT_MK_SPORT	(1u << 6)
#define FT_MK_DPORT	(1u << 7)
#define FT_MK_DSCP	(1u << 8)
#define FT_MK_TCPFL	(1u << 9)

/* A rule's match: every key given must match (AND); a list matches any. */
struct ft_match {
	unsigned int keys;			/* FT_MK_* */
	char (*iif)[FT_IFNAMSIZ];		/* interface names, bound (see iif_spec) */
	uint32_t *iif_index;			/* resolved ifindex per name, 0 = absent */
	size_t niif;
	char (*iif_spec)[FT_IFNAMSIZ];		/* as written: names and patterns ("ppp*");
						 * ft_policy_bind_iifs() makes iif from it */
	size_t niif_spec;
	uint16_t *vlan;				/* VLAN ids 0..4095 */
	size_t nvlan;
	int family;				/* 0, AF_INET or AF_INET6 */
	struct ft_addr_match src;
	struct ft_addr_match dst;
	uint8_t proto[32];			/* bitmap of IP protocol numbers */
	struct ft_range *sport;
	size_t nsport;
	struct ft_range *dport;
	size_t ndport;
	uint64_t dscp;				/* bitmap of DSCP values 0..63 */
	uint8_t tcp_flags;			/* match when (flags & tcp_flags_mask) == tcp_flags */
	uint8_t tcp_flags_mask;
};

struct ft_rule {
	struct ft_match match;
	enum ft_action action;	/* FT_ACT_CLASS, FT_ACT_PASS or FT_ACT_DROP */
	int class_idx;		/* index into ft_policy.classes for FT_ACT_CLASS, else -1 */
	int line;		/* line in the file it was written in, */
	unsigned int src_file;	/* that file: index into ft_policy.files */
	char name[FT_NAME_LEN];	/* optional, unique in the policy; "" without one */
};

struct ft_class {
	char name[FT_NAME_LEN];
	uint32_t mark;		/* inside ft_policy.mark_mask */
	bool has_priority;
	uint32_t priority;	/* skb->priority, tc handle major:minor */
	int dscp;		/* DSCP to rewrite to, -1 for none */
	uint64_t rate;		/* HTB guaranteed rate, bytes/s; 0 = share the remainder */
	uint64_t ceil;		/* HTB ceil, bytes/s; 0 = the interface rate */
	uint32_t burst;		/* HTB burst, bytes; 0 = kernel/libnl default */
	uint32_t quantum;	/* HTB quantum, bytes; 0 = default (rate / r2q) */
	int line;
	unsigned int src_file;	/* the file @line is in: index into ft_policy.files */
};

struct ft_prefix_set {
	char name[FT_SET_NAME_LEN];
	char *file;		/* where the prefixes came from, may be NULL */
	struct ft_prefix *pfx;	/* a dynamic set: its initial content (the reference
				 * evaluator and the tests take it as the content) */
	size_t npfx;
	int line;
	unsigned int src_file;	/* the file @line is in: index into ft_policy.files */
	bool dynamic;		/* dynamic = true: changed at run time (flowtagctl set) */
	uint32_t size;		/* dynamic: max elements per family (trie max_entries) */
	uint64_t timeout;	/* dynamic: default element timeout, seconds; 0 = never */
};

#define FT_SET_DEFAULT_SIZE	65536u		/* a dynamic set without size */
#define FT_SET_MAX_SIZE		16777216u	/* 2^24 elements per family */
#define FT_SET_MAX_TIMEOUT	4294967295LL	/* seconds (136 years) */

/* Leaf qdisc under each HTB class of a shaped interface. */
enum ft_leaf {
	FT_LEAF_FQ_CODEL = 0,	/* the default */
	FT_LEAF_CAKE,
	FT_LEAF_SFQ,
	FT_LEAF_PFIFO,
	FT_LEAF_NONE,		/* HTB's own single FIFO per class */
};

/*
 * egress_shaping = { ... } of an interface: an HTB tree flowtagd owns on
 * the interface; ingress_shaping = { ... }: the same tree on an IFB device
 * flowtagd creates and owns, fed by a mirred redirect from the interface's
 * clsact ingress.
 */
struct ft_shaping {
	bool enabled;
	uint64_t rate;		/* the interface's rate, bytes/s (HTB 1:1) */
	enum ft_leaf leaf;
	int default_class;	/* index into ft_policy.classes; -1: HTB's direct queue */
	bool replace_root;	/* egress: may replace a root qdisc flowtagd did not create */
	char ifb[FT_IFNAMSIZ];	/* ingress: the IFB device, "ifb-<iface>" unless named */
	int line;
	unsigned int src_file;	/* the file @line is in: index into ft_policy.files */
};

struct ft_iface {
	char name[FT_IFNAMSIZ];	/* an interface name, or a pattern (ft_ifname_is_pattern()) */
	bool required;		/* must exist at start and reload (else refused) */
	enum ft_xdp_mode xdp_mode;
	enum ft_tc_hook tc_hook;
	bool egress_restore;	/* attach the egress mark -> priority program */
	struct ft_shaping egress_shaping;
	struct ft_shaping ingress_shaping;
	int line;
	unsigned int src_file;	/* the file @line is in: index into ft_policy.files */
};

/* A packet as the reference evaluator sees it. */
struct ft_pkt_desc {
	uint32_t ifindex;
	int vlan;		/* -1 untagged */
	int family;		/* 0 (not IP), AF_INET, AF_INET6 */
	uint8_t src[16], dst[16];
	int proto;		/* -1 when not IP */
	int sport, dport;	/* -1 when the packet has no ports */
	int dscp;		/* -1 when not IP */
	int tcp_flags;		/* -1 when not TCP */
};

/* What a policy test (tests = ( ... )) expects of its packet. */
enum ft_test_expect {
	FT_EXPECT_CLASS = 0,	/* tagged with class_idx, by a rule or as default_class */
	FT_EXPECT_DROP,		/* dropped */
	FT_EXPECT_PASS,		/* left untagged: a pass rule, or no rule and no default_class */
	FT_EXPECT_DEFAULT,	/* no rule matched */
};

/* One entry of tests = ( ... ): a packet and what the policy must do with it. */
struct ft_policy_test {
	char *file;		/* the file it was written in (the policy or an @include) */
	int line;		/* its line there */
	char *packet;		/* the packet as written, for messages */
	struct ft_pkt_desc pkt;	/* ifindex 0: bound when the test runs */
	char iif[FT_IFNAMSIZ];	/* the packet's iif, "" when not given */
	enum ft_test_expect expect;
	int class_idx;		/* FT_EXPECT_CLASS: index into ft_policy.classes */
	int rule;		/* rule = "NAME": the rule that must match, else -1 */
};

/* flow_cache: whether the programs keep a per-flow verdict cache. */
enum ft_flow_cache_mode {
	FT_FLOW_CACHE_AUTO = 0,		/* the compiler decides (ft_flow_cache_choose()) */
	FT_FLOW_CACHE_ON,
	FT_FLOW_CACHE_OFF,
};

struct ft_policy {
	char *file;			/* policy file path */
	char **files;			/* [0]: the policy, then its @include'd files, */
	size_t nfiles;			/* named as messages name them (FILE:LINE) */
	uint64_t file_ino;		/* the policy file read: inode, */
	int64_t file_mtime;		/* and mtime (0, 0: the policy was a text) */
	uint32_t mark_mask;		/* skb->mark bits flowtag owns */
	bool tc_ok;			/* tc returns TC_ACT_OK instead of TC_ACT_UNSPEC */
	enum ft_flow_cache_mode flow_cache; /* flow_cache = "auto" (default) | "on" | "off" */
	int default_class;		/* index into classes, -1 = leave untagged */
	struct ft_iface *ifaces;
	size_t nifaces;
	struct ft_class *classes;
	size_t nclasses;
	struct ft_prefix_set *sets;
	size_t nsets;
	struct ft_rule *rules;
	size_t nrules;
	struct ft_policy_test *tests;	/* tests = ( ... ), in file order */
	size_t ntests;
};

/* Helpers for building match bitmaps. */
static inline void ft_proto_set(struct ft_match *m, unsigned int proto)
{
	m->proto[(proto & 0xff) / 8] |= (uint8_t)(1u << (proto % 8));
}

static inline bool ft_proto_has(const struct ft_match *m, unsigned int proto)
{
	return m->proto[(proto & 0xff) / 8] & (1u << (proto % 8));
}

/*
 * Whether @prio is a leaf class id under egress_shaping's HTB tree: 1:2 ..
 * 1:ffff (1: is the qdisc, 1:1 the root class).
 */
static inline bool ft_htb_leaf_id(uint32_t prio)
{
	return (prio >> 16) == 1 && (prio & 0xffff) > 1;
}

/* An interface present in the network namespace, for binding names. */
struct ft_ifname {
	char name[FT_IFNAMSIZ];
	uint32_t ifindex;
};

/**
 * ft_ifname_is_pattern() - whether @name is an fnmatch(3) pattern (has
 * '*', '?' or '[') rather than one interface's name.
 */
bool ft_ifname_is_pattern(const char *name);

/**
 * ft_ifname_match() - whether interface @ifname is what @spec (a name or
 * an fnmatch(3) pattern) names.
 */
bool ft_ifname_match(const char *spec, const char *ifname);

/**
 * ft_policy_iface_for() - the interfaces entry that governs interface
 * @ifname: the first entry naming it exactly, else the first pattern
 * matching it; NULL when no entry does.
 */
const struct ft_iface *ft_policy_iface_for(const struct ft_policy *pol, const char *ifname);

/**
 * ft_policy_bind_iifs() - rebuild every rule's iif/iif_index from its
 * iif_spec against the interfaces present now (@present, @npresent): a
 * name becomes one entry (ifindex 0 when absent: it never matches until the
 * interface appears and the rules are bound again), a pattern one entry per
 * matching interface (one entry with ifindex 0 when none matches).
 * Rules without iif_spec (built by hand) are left as they are.
 * Return: 0 or -ENOMEM (the policy is then unchanged for the failed rule).
 */
int ft_policy_bind_iifs(struct ft_policy *pol, const struct ft_ifname *present, size_t npresent);

/**
 * ft_policy_free() - release everything a policy owns, and zero it.
 */
void ft_policy_free(struct ft_policy *p);

/**
 * ft_policy_file() - the name of file @file (an index into @p->files, as
 * in ft_rule.src_file) in messages: the policy or one of its @include'd files.
 * @p->file when @p has no such file (a policy not read by config.c).
 */
const char *ft_policy_file(const struct ft_policy *p, unsigned int file);

/**
 * ft_policy_ref() - line @line of file @file of @p as a message about file
 * @here names it: "line N" in the same file, "FILE:N" in another.
 * Returns @buf (@len bytes).
 */
const char *ft_policy_ref(const struct ft_policy *p, const char *here, unsigned int file, int line,
			  char *buf, size_t len);

/**
 * ft_match_free() - release what a match owns, and zero it.
 */
void ft_match_free(struct ft_match *m);

/**
 * ft_prefix_contains() - whether prefix @outer contains address @addr of
 * the same family (@addr in network byte order, 4 or 16 bytes).
 */
bool ft_prefix_contains(const struct ft_prefix *outer, const uint8_t *addr);


/**
 * ft_reference_match() - THE reference evaluator: walk the rules in order
 * and return the index of the first that matches @pkt, or -1; each field's
 * test is its row of the field table (fields.c). Slow and obvious on purpose: the compiled bit-vector search (ft_compiled_match(),
 * and ft_first_rule() in BPF) must always agree with it; xdp/classify.h
 * lists every function that answers "which rule matched".
 */
int ft_reference_match(const struct ft_policy *pol, const struct ft_pkt_desc *pkt);

/**
 * ft_pkt_flow_key() - the flow key the BPF parser builds for the packet
 * @d (what the compiled search and the flow cache see): addresses stay in
 * network byte order, ports and the VLAN id in host order as in
 * flowtag/maps.h; absent L4 fields leave their FT_L4_* bit clear.
 * flowtagctl explain and the differential tests both convert through it.
 */
void ft_pkt_flow_key(const struct ft_pkt_desc *d, struct ft_flow_key *k);

#endif /* FLOWTAG_POLICY_H */
