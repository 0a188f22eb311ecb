/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtag map ABI: every key and value that crosses the BPF/userspace
 * boundary. The compiler (daemon/compile.c) produces these, the loader writes
 * them, the programs (xdp/, tc/) read them, flowtagctl reads the counters.
 *
 * Classification is a bit-vector search. For every match field the policy
 * compiles to a lookup (array, IPv4 prefix table, LPM trie or hash) that
 * yields the index of a bitmap in a shared bitmap table; bit r of a bitmap is set when rule r
 * accepts the field's value. The packet's rule is the lowest bit set in the
 * AND of its field bitmaps, so the per-packet cost depends on the number of
 * fields, not the number of rules. A 64-bit summary word per bitmap (bit w
 * set when word w is non-zero) lets the AND skip empty words.
 *
 * Atomic reload: every per-policy map exists twice ("slots"). The loader
 * fills the inactive slot, then flips ft_state.slot; a packet reads the slot
 * once and uses it throughout. Per-slot data is either an array indexed by
 * slot * N + i, a hash keyed by (slot, ...), or an inner map of a
 * map-in-map (variable-sized data: bitmaps and prefix tables).
 *
 * Static src/dst prefixes (rule prefixes and static prefix sets), one table
 * per field and family, each an inner map of its own:
 *   ft_src4_o, ft_dst4_o   IPv4: a DIR-16-8-8 table of palette-compressed
 *                          chunks (flowtag/dir4.h), an array of 1 KiB
 *                          blocks: at most three array lookups, whatever
 *                          the number of prefixes
 *   ft_src6_o, ft_dst6_o   IPv6: an LPM trie (key struct ft_lpm6, value the
 *                          bitmap index); its lookup grows with the set (a
 *                          stride table for IPv6 is future work)
 */
#ifndef FLOWTAG_MAPS_H
#define FLOWTAG_MAPS_H

#include <linux/types.h>
#include "meta.h"

#define FT_SLOTS		2	/* double-buffered policy */
#define FT_MAX_RULES		4096	/* bits in a rule bitmap */
#define FT_BM_WORDS		(FT_MAX_RULES / 64)
#define FT_MAX_CLASSES		256
#define FT_MAX_IFACES		64	/* distinct iif values in one policy */
#define FT_NAME_LEN		32	/* class and rule names as stored for flowtagctl */
#define FT_CLASS_NONE		0xffffu

_Static_assert(FT_BM_WORDS <= 64, "the summary word covers at most 64 words");

/* Match fields, in the order the classifier ANDs them. */
enum ft_field {
	FT_F_DPORT = 0,
	FT_F_SPORT,
	FT_F_PROTO,
	FT_F_DST,
	FT_F_SRC,
	FT_F_DSCP,
	FT_F_TCPFL,
	FT_F_VLAN,
	FT_F_IIF,
	FT_NFIELDS,
};

/*
 * ft_scalar: one __u32 bitmap index per possible value of the small fields,
 * FT_SC_SIZE entries per slot:
 *
 *   [0, 65536)        sport (host order)
 *   [65536, 131072)   dport
 *   [131072, +256)    IP protocol / IPv6 next header
 *   [131328, +64)     DSCP
 *   [131392, +4096)   outer VLAN id
 *   [135488, +256)    TCP flags byte (FIN 0x01 .. CWR 0x80)
 */
#define FT_SC_SPORT	0u
#define FT_SC_DPORT	65536u
#define FT_SC_PROTO	131072u
#define FT_SC_DSCP	(FT_SC_PROTO + 256u)
#define FT_SC_VLAN	(FT_SC_DSCP + 64u)
#define FT_SC_TCPFL	(FT_SC_VLAN + 4096u)
#define FT_SC_SIZE	(FT_SC_TCPFL + 256u)

/* Rule actions, ft_verdict.action */
enum ft_action {
	FT_ACT_CLASS = 0,	/* tag with the class in meta */
	FT_ACT_PASS = 1,	/* leave untagged (meta carries FT_META_F_NOTAG) */
	FT_ACT_DROP = 2,	/* XDP_DROP / TC_ACT_SHOT */
};

/* ft_rules value (slot * FT_MAX_RULES + rule): the complete verdict. */
struct ft_verdict {
	struct flowtag_meta meta;	/* tag to write, rule_id and class_id filled in */
	__u32 action;			/* FT_ACT_* */
};

_Static_assert(sizeof(struct ft_verdict) == 24, "ft_verdict ABI size");

/* ft_policy value: per-slot header of a compiled policy. */
struct ft_policy_hdr {
	__u32 generation;		/* policy generation; flow cache entries carry it */
	__u32 mark_mask;		/* skb->mark bits flowtag owns */
	__u32 nrules;			/* rules in this policy */
	__u32 nwords;			/* bitmap words in use: (nrules + 63) / 64 */
	__u32 used_fields;		/* bit (1 << FT_F_*) set when some rule matches on it */
	__u32 flags;			/* FT_POL_F_* */
	__u32 all_bm;			/* bitmap index with every rule set */
	__u32 absent_bm[FT_NFIELDS];	/* bitmap index when the packet lacks the field */
	__u32 nclasses;			/* classes in this policy */
	struct ft_verdict default_verdict; /* when no rule matches (default class or untagged) */
};

_Static_assert(sizeof(struct ft_policy_hdr) == 92, "ft_policy_hdr ABI size");

/*
 * ft_policy_hdr.flags:
 *
 *   31..16  15        14..8  7         6      5     4        3       2       1        0
 *   zero    PFX4_DST  PF_N   PFX4_SRC  HEADS  WORD  NOCACHE  PF_DST  PF_SRC  DYNSETS  TC_OK
 *
 * The drop pre-filter (xdp/classify.h, ft_prefilter()): rules 0..PF_N-1
 * (PF_N <= 64, 0 = no pre-filter) are drop rules that match on static
 * src/dst prefixes alone (inline or static prefix sets, and family), so
 * for an IPv4 packet the first word of its src and dst bitmaps decides
 * them: the lowest bit set in both, below PF_N, is the packet's rule,
 * with no flow cache lookup; none set, none of them matches. PF_SRC /
 * PF_DST: one of them constrains src / dst (else that lookup is skipped).
 * NOCACHE: the programs classify every packet by the rules and never
 * read or write the flow caches (flow_cache in flowtag.conf(5); the
 * compiler's choice under "auto": ft_flow_cache_choose(), daemon/compile.c).
 * WORD: the one-word search: every bitmap has one word (nwords == 1) and
 * ft_bmw holds it, so the search reads ft_bmw instead of the slot's
 * ft_bitmaps (ft_first_rule_word(), xdp/classify.h); never with DYNSETS.
 * HEADS: the bitmap search starts from the bitmaps' heads in ft_bmh
 * (struct ft_bm_head): a bitmap with at most one non-zero word is read
 * there whole, only the others in the slot's ft_bitmaps
 * (ft_first_rule_heads(), xdp/classify.h); never with WORD or DYNSETS.
 * The drop pre-filter still reads the slot's ft_bitmaps.
 * PFX4_SRC, PFX4_DST: the field's static IPv4 prefixes have at most
 * FT_PFX4_LENS lengths besides /0, and its prefix hash (flowtag/pfx4.h)
 * in ft_pfx4d / ft_pfx4 gives an IPv4 address's bitmap index, in every
 * search and the pre-filter, instead of its DIR-16-8-8 table.
 * Bits of flags, not fields: the header keeps its size, so an upgrade
 * adopts the pinned ft_policy, and an earlier compiler's zeros mean no
 * pre-filter, a flow cache and the bitmap search.
 */
#define FT_POL_F_TC_OK		0x1	/* tc returns TC_ACT_OK, not TC_ACT_UNSPEC */
#define FT_POL_F_DYNSETS	0x2	/* rules name dynamic sets: ft_dynpol[slot] */
#define FT_POL_F_PF_SRC		0x4	/* a pre-filter rule matches on src */
#define FT_POL_F_PF_DST		0x8	/* a pre-filter rule matches on dst */
#define FT_POL_F_NOCACHE	0x10	/* no flow cache: every packet by the rules */
#define FT_POL_F_WORD		0x20	/* one-word search: word 0 of each bitmap in ft_bmw */
#define FT_POL_F_HEADS		0x40	/* bitmap search from the heads in ft_bmh */
#define FT_POL_F_PFX4_SRC	0x80	/* IPv4 src from its prefix hash (flowtag/pfx4.h) */
#define FT_POL_F_PFX4_DST	0x8000	/* IPv4 dst from its prefix hash */
#define FT_POL_F_PFX4(x)	((x) ? FT_POL_F_PFX4_DST : FT_POL_F_PFX4_SRC) /* x: 0 src, 1 dst */
#define FT_POL_PF_SHIFT		8	/* PF_N: rules the pre-filter decides */
#define FT_POL_PF_MASK		0x7f00u
#define FT_POL_PF_MAX		64	/* one bitmap word */

/*
 * Dynamic prefix sets ("runtime sets"): changed by flowtagctl set while
 * packets flow, without a reload.
 *
 * Each dynamic set is a pair of LPM tries of its own (IPv4: key ft_lpm4,
 * IPv6: key ft_lpm6; value struct ft_set_elem), pinned under
 * PIN_DIR/sets/NAME/ and never double-buffered: a reload, a restart and a
 * kill -9 leave it as it is. flowtagd gives every set an id below
 * FT_MAX_SETIDS (kept in PIN_DIR/sets/NAME/info) and puts its tries at
 * that index of ft_dset4_o / ft_dset6_o.
 *
 * A policy names at most FT_MAX_DYNSETS dynamic sets (ft_dynpol[slot]).
 * Rule bits: the static prefix tries leave a rule's bit clear for the
 * dynamic sets it names; per field (src, dst) and family, ft_dynor maps the
 * mask of the slot's dynamic sets that hold the packet's address to the
 * bitmap of the rules naming one of them, which the classifier ORs into
 * that field's bitmap (a key's list is an OR: "10.0.0.0/8", "@blocked").
 *
 * The flow cache: ft_set_epoch[0] counts set changes; flowtagctl increments
 * it after every change, a flow cache entry carries the epoch it was
 * computed under and is a miss under another one (see ft_decide()).
 */
#define FT_MAX_DYNSETS		8	/* dynamic sets one policy names */
#define FT_MAX_SETIDS		64	/* dynamic sets that exist at once */
#define FT_DYNOR_PER_SLOT	(2 * 2 * (1u << FT_MAX_DYNSETS)) /* field x family x mask */

/* ft_dynor index: slot, field (0 src, 1 dst), family (0 IPv4, 1 IPv6), mask */
#define FT_DYNOR_IDX(slot, dst, v6, mask) \
	((slot) * FT_DYNOR_PER_SLOT + (((dst) * 2 + (v6)) << FT_MAX_DYNSETS) + (mask))

/* ft_set_elem.flags */
#define FT_SET_E_SRC	0x1	/* ft_dynpol fields: the policy matches src on it */
#define FT_SET_E_DST	0x2	/* ... dst */

/*
 * Lookups of one address in a dynamic set's trie, walking past expired
 * elements (one bit shorter each time), before the address counts as
 * absent: the data path (xdp/dynset.h) and flowtagctl explain (dynset.c).
 */
#define FT_DSET_TRIES	4

/* Value of a dynamic set's trie element. */
struct ft_set_elem {
	__u64 expires;			/* CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns), 0 = never */
	__u32 prefixlen;		/* the element's own prefix length (as in its key) */
	__u32 pad;			/* zero */
};

_Static_assert(sizeof(struct ft_set_elem) == 16, "ft_set_elem ABI size");

/* ft_dynpol value (one per slot): the dynamic sets the policy names. */
struct ft_dynpol {
	__u32 nsets;			/* valid entries of id[] and fields[] */
	__u32 id[FT_MAX_DYNSETS];	/* set id: index into ft_dset4_o, ft_dset6_o, ft_set_cnt */
	__u8 fields[FT_MAX_DYNSETS];	/* FT_SET_E_SRC | FT_SET_E_DST: what to look up */
};

_Static_assert(sizeof(struct ft_dynpol) == 4 + 4 * FT_MAX_DYNSETS + FT_MAX_DYNSETS,
	       "ft_dynpol ABI size");

/* ft_set_cnt value (per CPU, indexed by set id). */
struct ft_set_cnt {
	__u64 lookups;			/* addresses looked up in the set (flow cache
					 * misses; every packet without a cache) */
	__u64 hits;			/* ... found there, not expired */
};

/*
 * PIN_DIR/sets/NAME/info (an array of one): the set as flowtagd and
 * flowtagctl know it. Written under the lock of PIN_DIR/sets (flock).
 */
struct ft_set_info {
	char name[64];			/* the set's name, NUL-terminated */
	__u32 id;			/* index into ft_dset4_o, ft_dset6_o, ft_set_cnt */
	__u32 size;			/* max_entries of each trie */
	__u64 timeout;			/* default timeout of an element, seconds; 0 = never */
	__u64 elements;			/* elements in both tries, expired ones included */
	__u64 changes;			/* set add/del/flush calls so far */
	__u64 next_expiry;		/* no element expires before, CLOCK_BOOTTIME ns;
					 * 0 = none has a timeout (nothing to collect) */
};

_Static_assert(sizeof(struct ft_set_info) == 104, "ft_set_info ABI size");

/*
 * ft_bmw (FT_SLOTS * FT_BMW_MAX __u64, index slot * FT_BMW_MAX + bitmap
 * index): word 0 of each of the slot's first FT_BMW_MAX bitmaps, written
 * with the slot when the policy has at most 64 rules, no dynamic set and
 * at most FT_BMW_MAX distinct bitmaps (FT_POL_F_WORD). A fixed array, not
 * an inner map: the verifier inlines a lookup in it into a bounds check
 * and an add (array_map_gen_lookup(), kernel/bpf/arraymap.c), where a
 * lookup in an inner map is a helper call; and one word is read per
 * field instead of a summary word and then a word.
 */
#define FT_BMW_MAX		16384

/*
 * ft_bmh (FT_SLOTS * FT_BMW_MAX struct ft_bm_head, indexed as ft_bmw): the
 * head of each of the slot's first FT_BMW_MAX bitmaps, written with the
 * slot when the policy has more than 64 rules, no dynamic set and at most
 * FT_BMW_MAX distinct bitmaps (FT_POL_F_HEADS). Most bitmaps of a large
 * policy have one non-zero word (a port or a prefix that few rules name):
 * the search reads those 16 bytes from a fixed array (an inlined lookup)
 * instead of a summary and a word, two cache lines of a 520-byte element
 * of an inner map (a helper call); 16384 bitmaps take 256 KiB a slot, not
 * 8.1 MiB. A bitmap with more non-zero words is read in ft_bitmaps.
 */
struct ft_bm_head {
	__u64 summary;			/* the bitmap's summary (struct ft_bitmap) */
	__u64 word;			/* at most one bit in summary: that word (0 if
					 * none); more: the bitmap's index, or
					 * FT_BM_HEAD_ALL for the all-rules bitmap */
};

/* Words of ft_bitmaps the heads search visits at most; a packet whose
 * summaries name more is searched again from ft_bitmaps alone. flowtag.conf
 * "auto" gives a policy whose search can visit more a flow cache
 * (FT_FLOW_CACHE_AUTO_WORDS, daemon/compile.h): only its misses pay that. */
#define FT_HEADS_WORDS		8

/* ft_bm_head.word of the all-rules bitmap (ft_policy_hdr.all_bm) of more
 * than one word: no constraint, no read in ft_bitmaps. */
#define FT_BM_HEAD_ALL		(~0ULL)

_Static_assert(sizeof(struct ft_bm_head) == 16, "ft_bm_head ABI size");

/* ft_bitmaps inner map value. */
struct ft_bitmap {
	__u64 summary;			/* bit w set when w[w] != 0 */
	__u64 w[FT_BM_WORDS];		/* bit r % 64 of w[r / 64]: rule r accepts */
};

_Static_assert(sizeof(struct ft_bitmap) == 8 + 8 * FT_BM_WORDS, "ft_bitmap ABI size");

/* Keys of the LPM tries: the static IPv6 prefixes (inner maps of ft_src6_o,
 * ft_dst6_o) and the dynamic sets (both families). */
struct ft_lpm4 {
	__u32 prefixlen;		/* 0..32 */
	__be32 addr;			/* network byte order */
};

struct ft_lpm6 {
	__u32 prefixlen;		/* 0..128 */
	__u8 addr[16];			/* network byte order */
};

_Static_assert(sizeof(struct ft_lpm4) == 8, "ft_lpm4 ABI size");
_Static_assert(sizeof(struct ft_lpm6) == 20, "ft_lpm6 ABI size");

/* ft_iif key; the value is a __u32 bitmap index. */
struct ft_iif_key {
	__u32 slot;			/* policy slot */
	__u32 ifindex;			/* receiving interface */
};

/* ft_markcls: egress restore, (slot, mark & mark_mask) -> class. */
struct ft_mark_key {
	__u32 slot;			/* policy slot */
	__u32 mark;			/* skb->mark & mark_mask */
};

struct ft_mark_val {
	__u32 priority;			/* skb->priority to restore */
	__u16 class_id;			/* class index in the slot */
	__u16 flags;			/* FT_META_F_PRIO when priority is set */
};

/* ft_classes value (slot * FT_MAX_CLASSES + class): for flowtagctl. */
struct ft_class_info {
	char name[FT_NAME_LEN];		/* NUL-terminated class name */
	__u32 mark;			/* mark bits */
	__u32 priority;			/* skb->priority, if FT_META_F_PRIO */
	__u32 flags;			/* FT_META_F_PRIO, FT_META_F_DSCP */
	__u32 dscp;			/* DSCP rewrite value */
};

/* ft_rule_info value (slot * FT_MAX_RULES + rule): for flowtagctl. */
struct ft_rule_info {
	__u32 line;			/* line of the rule in the policy file */
	__u16 class_id;			/* class, FT_CLASS_NONE for drop/pass */
	__u16 action;			/* FT_ACT_* */
};

/*
 * ft_rule_name value (slot * FT_MAX_RULES + rule): the rule's optional
 * `name`, for flowtagctl. A map of its own, so ft_rule_info keeps the
 * layout the pins of earlier versions have.
 */
struct ft_rule_name {
	char name[FT_NAME_LEN];		/* NUL-terminated; "" when the rule has none */
};

_Static_assert(sizeof(struct ft_rule_name) == FT_NAME_LEN, "ft_rule_name ABI size");

/*
 * ft_rule_file value (slot * FT_MAX_RULES + rule): the file the rule was
 * written in, as an index into that slot's entries of ft_srcfile (slot *
 * FT_MAX_SRCFILES + file). Entry 0 is the policy file itself, the others
 * its @include'd files holding rules, in the order their first rule
 * comes; ft_rule_info.line is a line of that file. Maps of their own, for
 * flowtagctl only, so ft_rule_info keeps the layout the pins of earlier
 * versions have (whose rules then have no file: their policy's).
 * Past FT_MAX_SRCFILES - 1 files, the rules of the others share the last
 * entry, whose name says so.
 */
#define FT_MAX_SRCFILES		64
#define FT_SRCFILE_LEN		256

struct ft_rule_file {
	__u32 file;			/* index into the slot's ft_srcfile entries */
};

struct ft_srcfile {
	char name[FT_SRCFILE_LEN];	/* as messages name it (FILE:LINE), NUL-terminated */
};

_Static_assert(sizeof(struct ft_rule_file) == 4, "ft_rule_file ABI size");
_Static_assert(sizeof(struct ft_srcfile) == FT_SRCFILE_LEN, "ft_srcfile ABI size");

/*
 * ft_info (one entry) and ft_ifaces (FT_MAX_IFACES entries): what flowtagd
 * is running, written by the daemon for flowtagctl status. The programs
 * never read them.
 */
struct ft_daemon_info {
	__u32 pid;			/* flowtagd process id, 0 when stopped */
	__u32 generation;		/* generation of the active policy */
	__u64 started;			/* daemon start, unix seconds */
	__u64 loaded;			/* active policy loaded, unix seconds */
	__u32 reloads;			/* successful reloads */
	__u32 reload_failures;		/* rejected reloads (bad file, ...) */
	__u32 nifaces;			/* valid entries of ft_ifaces */
	__u32 format;			/* FT_DATAPATH_FORMAT of the flowtagd that wrote
					 * it; 0: written before formats were numbered */
	char policy[256];		/* policy file path */
};

/*
 * The data-path format: what the pinned maps hold and how the programs
 * read it. flowtagd writes it into ft_info and refuses to adopt pins of
 * another format (flowtagd --cleanup removes them). Increment it with
 * every change of a pinned map's content that libbpf's reuse check (type,
 * key and value size, max_entries, flags) cannot see; a change it sees
 * needs no new number, but a name in loader.c's relaid_pins.
 *   1  the first numbered format
 *   2  one counter per counted packet: ft_class_cnt holds only the
 *      default verdict's packets (struct ft_pktcnt)
 */
#define FT_DATAPATH_FORMAT	2

/* Whether pins whose ft_info says @format were written for programs that
 * read them otherwise: another number. 0 is a version before the formats
 * were numbered, whose maps libbpf's reuse checks vouch for. */
static inline int ft_datapath_format_foreign(__u32 format)
{
	return format && format != FT_DATAPATH_FORMAT;
}

#define FT_IFACE_F_INGRESS	0x1	/* tc ingress program attached (filter or tcx link) */
#define FT_IFACE_F_EGRESS	0x2	/* tc egress restore attached */
#define FT_IFACE_F_FRAGS	0x4	/* the xdp.frags program (MTU above a page) */
#define FT_IFACE_F_QDISC_OURS	0x8	/* flowtagd created the clsact qdisc */
#define FT_IFACE_F_TC_ONLY	0x10	/* XDP could not be attached: tc classifies alone */
#define FT_IFACE_F_ABSENT	0x20	/* a policy entry no interface answers to now
					 * (ifindex 0, name as written) */
#define FT_IFACE_F_REQUIRED	0x40	/* ... with required = true */
#define FT_IFACE_F_PATTERN	0x80	/* ... and its name is a pattern ("ppp*") */
#define FT_IFACE_F_SHAPED	0x100	/* flowtagd built the egress HTB tree (root 1:) */
#define FT_IFACE_F_INGRESS_SHAPED 0x200	/* flowtagd made the IFB, its HTB tree, the redirect */
#define FT_IFACE_F_TCX		0x400	/* tc ingress is a tcx link (pinned tcx_link_<name>),
					 * not a clsact filter */
#define FT_IFACE_F_FAILED	0x800	/* an interface of the policy that is there, but
					 * flowtagd could not attach to it (ifindex 0:
					 * nothing of flowtag's on it; ft_health.missing
					 * says why) */
#define FT_IFACE_F_SHAPE_WANT	0x1000	/* the policy asks for egress_shaping here:
					 * status checks the kernel has flowtag's tree */
#define FT_IFACE_F_INGRESS_SHAPE_WANT 0x2000 /* ... ingress_shaping: the redirect to
					 * an IFB with flowtag's tree */

struct ft_iface_info {
	char name[16];			/* interface name */
	__u32 ifindex;			/* interface index */
	__u32 xdp_mode;			/* XDP_ATTACHED_* as bpf_xdp_query() reports it */
	__u32 flags;			/* FT_IFACE_F_* */
	__u16 link_type;		/* ARPHRD_* of the device (1 Ethernet, 65534 none, ...) */
	__u8 l2;			/* FT_L2_*: what the programs parse first */
	__u8 pad;			/* zero */
};

_Static_assert(sizeof(struct ft_daemon_info) == 296, "ft_daemon_info ABI size");
_Static_assert(sizeof(struct ft_iface_info) == 32, "ft_iface_info ABI size");

/*
 * ft_health (one entry) and ft_ifhealth (FT_MAX_IFACES entries, indexed as
 * ft_ifaces): what flowtagd's own checks of the kernel found, for
 * flowtagctl status and the metrics. The programs never read them.
 */
struct ft_health {
	__u32 prog_xdp;			/* id of the ft_xdp program flowtagd attaches */
	__u32 prog_xdp_frags;		/* id of ft_xdp_frags */
	__u32 prog_tc_ingress;		/* id of ft_tc_ingress */
	__u32 prog_tc_egress;		/* id of ft_tc_egress */
	__u32 repairs;			/* repairs on every interface since start */
	__u32 nmissing;			/* policy interfaces not attached (absent or failed) */
	__u32 seq;			/* ft_daemon_info reloads + reload_failures when written */
	__u32 pad;			/* zero */
	__u64 policy_ino;		/* inode of the policy file the active policy was read from */
	__s64 policy_mtime;		/* its modification time, unix seconds */
	char missing[464];		/* "d1: why; d2: why", NUL-terminated */
};

#define FT_IFH_F_GAVE_UP	0x1	/* removed too often: repairs stopped until a reload */
#define FT_IFH_F_STALLED	0x2	/* XDP wrote metadata, tc saw no packet (last check) */

struct ft_iface_health {
	__u32 ifindex;			/* same as ft_ifaces[i].ifindex */
	__u32 repairs;			/* times flowtagd restored clsact/filters/XDP here */
	__u64 last_repair;		/* unix seconds, 0 = never */
	__u32 flags;			/* FT_IFH_F_* */
	__u32 pad;			/* zero */
	char last[104];			/* what the last repair found missing */
};

_Static_assert(sizeof(struct ft_health) == 512, "ft_health ABI size");
_Static_assert(sizeof(struct ft_iface_health) == 128, "ft_iface_health ABI size");

/*
 * ft_ifshaping (FT_MAX_IFACES entries, indexed as ft_ifaces): why the
 * shaping of an interface is not as the policy says, when flowtagd could
 * not build it (a leaf qdisc the kernel lacks, another tool's root qdisc,
 * ...). flowtagd removes what it half-built; status checks the kernel and
 * shows this as the reason. Empty (why[0] == 0) when it is as the policy
 * says. The programs never read it.
 */
#define FT_IFS_F_EGRESS		0x1	/* egress_shaping could not be built */
#define FT_IFS_F_INGRESS	0x2	/* ingress_shaping could not be built */

struct ft_iface_shaping {
	__u32 ifindex;			/* same as ft_ifaces[i].ifindex */
	__u32 flags;			/* FT_IFS_F_* */
	char why[248];			/* the error(s) flowtagd logged, NUL-terminated */
};

_Static_assert(sizeof(struct ft_iface_shaping) == 256, "ft_iface_shaping ABI size");

/*
 * ft_confirm (one entry): the state of reload --confirm and rollback, for
 * flowtagctl status. Written by flowtagd; the programs never read it. It
 * survives a kill -9 with the pins, so the next flowtagd can say that a
 * pending confirm was lost.
 */
enum ft_confirm_state {
	FT_CONFIRM_NONE = 0,		/* nothing pending, nothing happened */
	FT_CONFIRM_PENDING = 1,		/* generation waits for flowtagctl confirm */
	FT_CONFIRM_CONFIRMED = 2,	/* generation was confirmed */
	FT_CONFIRM_ROLLED_BACK = 3,	/* generation was rolled back to previous */
	FT_CONFIRM_LOST = 4,		/* flowtagd restarted while generation was
					 * pending: it kept the policy file as is */
};

struct ft_confirm_info {
	__u32 state;			/* FT_CONFIRM_* */
	__u32 generation;		/* the generation the state is about */
	__u32 previous;			/* PENDING: what it would roll back to;
					 * ROLLED_BACK: the generation now active */
	__u32 seconds;			/* the confirm window asked for, 0 for rollback */
	__u64 deadline;			/* PENDING: roll back at, unix seconds */
	__u64 when;			/* when the state was entered, unix seconds */
	__u32 rollbacks;		/* rollbacks since flowtagd started */
	__u32 automatic;		/* ROLLED_BACK: 1 when the timer did it */
	char why[64];			/* ROLLED_BACK: why, NUL-terminated */
};

_Static_assert(sizeof(struct ft_confirm_info) == 104, "ft_confirm_info ABI size");

/*
 * ft_hoff: per-interface XDP->tc hand-off counters, per CPU, keyed by the
 * receiving ifindex (__u32): where the counters of an interface without an
 * ft_devs entry of its own live (below). flowtagd creates the entry when it
 * attaches such an interface; the programs only look it up (no insert on
 * the packet path).
 */
struct ft_hoff {
	__u64 meta_written;		/* XDP wrote flowtag_meta */
	__u64 tc_pkts;			/* tc ingress saw a packet */
	__u64 meta_seen;		/* ... carrying valid flowtag_meta */
	__u64 pad;			/* zero */
};

_Static_assert(sizeof(struct ft_hoff) == 32, "ft_hoff ABI size");

/*
 * ft_devs: per receiving interface, its link layer and its hand-off
 * counters in one entry of a per-CPU array, so the data path pays one
 * lookup for both (an array lookup: the verifier inlines it on kernels
 * that inline per-CPU array lookups, 6.18 does; 6.1 calls a helper), not
 * two hash lookups (ft_links, ft_hoff). Entry ifindex & (FT_DEV_SLOTS - 1)
 * belongs to the interface whose ifindex its tag holds; the programs use
 * it only when the tag equals the packet's ingress ifindex, and the
 * readers of the counters compare it too, so an entry never speaks for
 * another interface.
 *
 * flowtagd claims an interface's entry when it attaches it, if the entry
 * is free (tag 0) or already the interface's; an interface whose entry
 * another ifindex holds (equal modulo FT_DEV_SLOTS) keeps its link type in
 * ft_links and its counters in ft_hoff, the fallback the programs take on
 * a tag mismatch. ft_links is written for every attached interface: it
 * also answers while an entry is being claimed. The tag and l2 are the
 * same on every CPU; a claim writes l2 (tag 0) first and the tag after,
 * a release clears the tag first: no packet pairs a tag with another
 * interface's l2. Detach and interfaces gone clear the entry (all zero).
 */
#define FT_DEV_SLOTS	256	/* ft_devs entries: a power of two (indexed by a mask) */

struct ft_dev {
	__u32 ifindex;			/* tag: the interface this entry belongs to, 0 = free */
	__u32 l2;			/* FT_L2_* of that interface */
	struct ft_hoff hoff;		/* its hand-off counters (this CPU's) */
};

_Static_assert(sizeof(struct ft_dev) == 40, "ft_dev ABI size");
_Static_assert((FT_DEV_SLOTS & (FT_DEV_SLOTS - 1)) == 0, "FT_DEV_SLOTS is a power of two");

/*
 * ft_state: the one value a reload flips (slot, generation), and what
 * flowtagd knows of the interfaces' link types, read with it in one lookup.
 *
 * l2_lookup is 0 while every interface in ft_links is Ethernet: then every
 * packet starts with an Ethernet header, as on an interface without an
 * entry, and ft_xdp takes l2 (FT_L2_ETH) from here instead of looking the
 * receiving interface up in ft_devs (and, on a tag mismatch, ft_links):
 * the lookup and the ingress ifindex it needs cost a flood drop 2-4 ns
 * of its 50 (bench/README.md, "Every packet Ethernet without a lookup").
 * flowtagd recounts ft_links and writes l2_lookup 1 before it attaches
 * to an interface of another link type
 * (ft_link_record(), daemon/attach.c), and 0 again only after such an
 * interface's entry is gone; the flips keep both fields as they are.
 * l2 is a field, not the constant FT_L2_ETH in the program, for the
 * verifier: a value loaded from a map on both paths, the parse after it
 * is verified once, not once more for a known link type.
 */
struct ft_state {
	__u32 slot;			/* active policy slot, 0 or 1 */
	__u32 generation;		/* generation of the active policy */
	__u32 l2;			/* FT_L2_ETH: every packet's, while l2_lookup is 0 */
	__u32 l2_lookup;		/* 1: some interface in ft_links is not Ethernet */
};

_Static_assert(sizeof(struct ft_state) == 16, "ft_state ABI size");

/*
 * Per-CPU packet/byte counter, value of ft_rule_cnt (slot * FT_MAX_RULES +
 * rule: the packets that matched the rule) and ft_class_cnt (slot *
 * FT_MAX_CLASSES + class: the packets no rule matched that got the class
 * as the policy's default). Each counted packet is in exactly one of
 * them; a class's total is its ft_class_cnt entry plus the ft_rule_cnt
 * entries of the rules whose ft_rule_info.class_id it is (data-path
 * format 2; format 1 counted a tagged packet in both).
 */
struct ft_pktcnt {
	__u64 packets;			/* packets */
	__u64 bytes;			/* bytes (XDP: frame length, tc: skb->len) */
};

/* Per-CPU health counters: the index of a counter in struct ft_counters. */
enum ft_counter {
	FT_CNT_XDP_PKTS = 0,	/* packets seen by XDP */
	FT_CNT_META_WRITTEN,	/* XDP wrote flowtag_meta */
	FT_CNT_ADJUST_FAILED,	/* bpf_xdp_adjust_meta refused: packet passed untagged */
	FT_CNT_XDP_DROP,	/* dropped by a drop rule in XDP */
	FT_CNT_PARSE_ERR,	/* malformed/truncated: default verdict */
	FT_CNT_NON_IP,		/* not IPv4/IPv6 */
	FT_CNT_CACHE_HIT,	/* flow cache hit (current generation) */
	FT_CNT_CACHE_MISS,	/* flow cache miss or stale generation */
	FT_CNT_FRAG_HIT,	/* non-first fragment found its first fragment */
	FT_CNT_FRAG_MISS,	/* non-first fragment before its first one: no ports */
	FT_CNT_TC_PKTS,		/* packets seen by tc ingress */
	FT_CNT_META_SEEN,	/* tc found valid flowtag_meta */
	FT_CNT_META_INVALID,	/* tc found metadata, but not ours */
	FT_CNT_META_NONE,	/* tc found no metadata at all */
	FT_CNT_FALLBACK,	/* tc classified the packet itself */
	FT_CNT_TC_DROP,		/* dropped by a drop rule in tc fallback */
	FT_CNT_DSCP_REWRITE,	/* DSCP rewritten by tc */
	FT_CNT_EGRESS_PKTS,	/* packets seen by tc egress */
	FT_CNT_EGRESS_RESTORED,	/* egress restored skb->priority from the mark */
	FT_CNT_VLAN_RECLASS,	/* tc reclassified: the skb carries a VLAN tag XDP
				 * could not see (offloaded) and the policy uses vlan */
	FT_CNT_PREFILTER,	/* decided by the drop pre-filter: no flow cache
				 * lookup, counted instead of a cache hit or miss */
	FT_CNT_UNCACHED,	/* classified by the rules under a policy without
				 * a flow cache (FT_POL_F_NOCACHE), counted
				 * instead of a cache hit or miss */
	FT_CNT_MAX,
};

/*
 * ft_health_cnt: a per-CPU array of one entry, all health counters of a CPU
 * in one value, so a packet pays one map lookup for every counter it
 * touches (not one per counter).
 */
struct ft_counters {
	__u64 c[FT_CNT_MAX];		/* indexed by enum ft_counter */
};

_Static_assert(sizeof(struct ft_counters) == 8 * FT_CNT_MAX, "ft_counters ABI size");

/* ft_flow_cache key: everything a rule can match on. */
struct ft_flow_key {
	__u32 src[4];			/* source address, network order (IPv4: src[0]) */
	__u32 dst[4];			/* destination address, network order */
	__u32 ifindex;			/* receiving interface */
	__u16 sport;			/* host order, 0 when has_ports is 0 */
	__u16 dport;			/* host order, 0 when has_ports is 0 */
	__u16 vlan;			/* outer VLAN id, FT_VLAN_NONE if untagged */
	__u8 family;			/* FT_FAM_* */
	__u8 proto;			/* IP protocol */
	__u8 dscp;			/* DSCP 0..63 */
	__u8 tcp_flags;			/* TCP flags byte, 0 when not TCP */
	__u8 l4;			/* FT_L4_* bits: protocol / ports / tcp flags read */
	__u8 pad;			/* zero */
};

_Static_assert(sizeof(struct ft_flow_key) == 48, "ft_flow_key ABI size");

#define FT_VLAN_NONE	4096u
#define FT_FAM_NONE	0
#define FT_FAM_IPV4	4
#define FT_FAM_IPV6	6
#define FT_L4_PORTS	0x1	/* sport, dport read */
#define FT_L4_TCPFL	0x2	/* tcp_flags read */
#define FT_L4_PROTO	0x4	/* proto read (IPv6: the extension header walk ended) */

/*
 * ft_flow_hash_words() - the flow cache's hash: seeded 64-bit
 * multiply-xorshift over a struct ft_flow_key read as six 64-bit words @w
 * (each side loads them its own way: BPF straight from its 8-byte aligned
 * key, userspace with memcpy). Shared by ft_flow_hash() in xdp/classify.h
 * and the tests that predict a flow's bucket.
 */
static inline __attribute__((always_inline)) __u64 ft_flow_hash_words(const __u64 *w, __u64 seed)
{
	__u64 h = seed;
	int i;

	_Static_assert(sizeof(struct ft_flow_key) == 6 * sizeof(__u64), "the hash reads six words");
#ifdef __clang__
#pragma unroll
#endif
	for (i = 0; i < 6; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

/*
 * The flow cache: two per-CPU caches of the same design, a compact one for
 * IPv4 and non-IP flows (ft_flow4, below: an IPv4 hit reads one cache
 * line) and a wide one for IPv6 flows and flows received on an interface
 * whose ifindex does not fit 16 bits (ft_flow_cache: full 48-byte keys).
 * A flow lives in exactly one of them, chosen by its key alone.
 *
 * ft_flow_cache: a per-CPU array of buckets, each a 4-way set
 * (set-associative cache). A flow's bucket is a seeded hash of its key; a
 * way holds the full key, compared in full, and the rule it matched. The
 * verdict comes from ft_rules of the entry's policy slot (or the policy's
 * default), valid while the entry's generation is the active policy's: a
 * reload invalidates every entry without touching one.
 *
 * Replacement: a new flow takes an empty or stale way, else the least
 * recently used way not yet hit a second time ("probation"), else the
 * least recently used way. A way hit again is established and is replaced
 * only when every way of its bucket is established, or after it stayed
 * unused while FT_FLOW_IDLE new flows entered its bucket ("recently" is
 * counted in new flows of the bucket: a hit on an established, fresh way
 * writes nothing). A flood of new flows (scans, spoofed sources) so churns
 * the probation ways and leaves established flows in place.
 */
#define FT_FLOW_WAYS		4
#define FT_FLOW_BUCKETS		16384	/* per CPU at most; the loader may take fewer */
#define FT_FLOW_IDLE		8192	/* new flows in its bucket: an unused way ages out */

/*
 * One bucket: a 64-byte header with everything a lookup and a replacement
 * decide on (a hit reads it and the one key that matches it; a miss picks
 * its victim from it alone), then the keys. Way w is generation[w],
 * check[w], rule[w], stamp[w], established[w] and key[w].
 */
struct ft_flow_bucket {
	__u32 tick;				/* insertions into this bucket: the LRU clock */
	__u32 generation[FT_FLOW_WAYS];		/* policy generation of the rule; 0: empty */
	__u32 check[FT_FLOW_WAYS];		/* key hash (high half) ^ rule: binds them */
	__u16 rule[FT_FLOW_WAYS];		/* rule id, FT_RULE_NONE: the policy's default */
	__u16 stamp[FT_FLOW_WAYS];		/* bucket tick of the last use */
	__u8 established[FT_FLOW_WAYS];		/* hit again after it was inserted */
	__u16 epoch[FT_FLOW_WAYS];		/* ft_set_epoch (low 16 bits) of the rule */
	struct ft_flow_key key[FT_FLOW_WAYS];	/* the flows, compared in full */
};

_Static_assert(sizeof(struct ft_flow_bucket) == 64 + 48 * FT_FLOW_WAYS, "ft_flow_bucket ABI size");

/*
 * ft_flow4: the compact flow cache, for flows whose key has no IPv6 address
 * (FT_FAM_IPV4, FT_FAM_NONE) and an ifindex below 65536 (ft_flow4_fits()).
 * Such a key needs 20 bytes (struct ft_flow4_key), so a way is 32 bytes
 * with its rule, check, generation, set epoch and replacement state, and
 * one 64-byte cache line holds two ways: an IPv4 hit compares the key in
 * the line it reads and touches no other (the wide cache's hit reads a
 * header line and one or two key lines, 256 bytes a bucket).
 *
 * Layout: a plain BPF_F_MMAPABLE array whose values are 4 KiB pages of 64
 * lines (struct ft_flow4_page): an mmapable array's values start page
 * aligned, so every line is one cache line (a per-CPU array aligns its
 * values to 8 bytes only, and a 64-byte way pair would straddle two). It
 * is per CPU by indexing: CPU c owns the pages c * P .. c * P + P - 1 (P
 * pages per CPU, a power of two the loader picks: FT_FLOW4_PAGES, 1 MiB per
 * CPU, 32768 flows, halved while all CPUs together would exceed the flow
 * cache budget), and only CPU c's softirq writes them, so it stays
 * lock-free as the per-CPU array was.
 *
 * Two choices: a flow's hash picks a page and two distinct lines of it; a
 * lookup reads the first line, and the second only when the first does
 * not hold the flow (a new flow goes to the first line when it has a free
 * or stale way). Four candidate ways in two lines: 12288 flows cycled
 * through 1 MiB hit 99.8 % in a simulation, against 83 % with one line
 * (2 ways) and 91 % with two choices in 512 KiB. Both lines are in one
 * page: one lookup, one TLB entry.
 *
 * Replacement as in the wide cache, over the 4 ways of the two lines, with
 * an age instead of a clock: a new flow takes an empty or stale way (the
 * first line's first), else the oldest way on probation (not hit since it
 * was inserted) or idle (unused while FT_FLOW4_IDLE new flows came to its
 * lines), else the oldest way. The age of a way counts the new flows that
 * came to its lines since its last use (saturating): a miss ages the 3
 * ways it considered and did not take; a hit sets the age to 0 and marks
 * the way established, writing only when that changes something. (Ages
 * counted only in the victim's own line made a flood's old entries in one
 * line look as young as a flow just stored in the other: hot flows on
 * probation then thrashed.)
 *
 * Torn entries, generation and set epoch as in the wide cache
 * (xdp/classify.h ft_decide()): a writer clears the generation first and
 * sets it last, the full key compare and the 16-bit check keep a mixed
 * entry from giving a packet another flow's rule, and an entry is valid
 * only under the policy generation and set epoch it was stored with.
 */
#define FT_FLOW4_WAYS		2	/* ways per line */
#define FT_FLOW4_LINES		64	/* lines per page */
#define FT_FLOW4_PAGES		256	/* pages per CPU at most; the loader may take fewer */
#define FT_FLOW4_MIN_PAGES	16	/* pages per CPU at least */
#define FT_FLOW4_IDLE		4096	/* new flows to its lines: an unused way ages out */
#define FT_FLOW4_ESTABLISHED	0x8000	/* state: hit again after it was inserted */
#define FT_FLOW4_AGE		0x7fff	/* state: new flows to its lines since the last use */
#define FT_FLOW4_L4_IPV4	0x80	/* ft_flow4_key.l4: the flow is IPv4 (else non-IP) */

/* The key of a compact-cache flow: struct ft_flow_key without IPv6. */
struct ft_flow4_key {
	__be32 src;			/* source address, network order; 0 for non-IP */
	__be32 dst;			/* destination address, network order */
	__u16 sport;			/* host order, 0 when not read */
	__u16 dport;			/* host order, 0 when not read */
	__u16 ifindex;			/* receiving interface (below 65536) */
	__u16 vlan;			/* outer VLAN id, FT_VLAN_NONE if untagged */
	__u8 proto;			/* IP protocol */
	__u8 dscp;			/* DSCP 0..63, 0 unless some rule matches on it */
	__u8 tcp_flags;			/* 0 unless TCP and some rule matches on them */
	__u8 l4;			/* FT_L4_* | FT_FLOW4_L4_IPV4 for IPv4 */
};

_Static_assert(sizeof(struct ft_flow4_key) == 20, "ft_flow4_key ABI size");

/* One way: 32 bytes, two to a cache line. */
struct ft_flow4_way {
	struct ft_flow4_key key;	/* the flow, compared in full */
	__u16 rule;			/* rule id, FT_RULE_NONE: the policy's default */
	__u16 check;			/* key hash (bits 48..63) ^ rule: binds them */
	__u32 generation;		/* policy generation of the rule; 0: empty */
	__u16 epoch;			/* ft_set_epoch (low 16 bits) of the rule */
	__u16 state;			/* FT_FLOW4_ESTABLISHED | age (FT_FLOW4_AGE) */
};

struct ft_flow4_line {
	struct ft_flow4_way way[FT_FLOW4_WAYS];
};

struct ft_flow4_page {
	struct ft_flow4_line line[FT_FLOW4_LINES];
};

_Static_assert(sizeof(struct ft_flow4_way) == 32, "ft_flow4_way ABI size");
_Static_assert(sizeof(struct ft_flow4_line) == 64, "ft_flow4_line: one cache line");
_Static_assert(sizeof(struct ft_flow4_page) == 4096, "ft_flow4_page: one page");

/* Whether the flow of @k goes to the compact cache (else the wide one). */
static inline __attribute__((always_inline)) int ft_flow4_fits(const struct ft_flow_key *k)
{
	return k->family != FT_FAM_IPV6 && k->ifindex <= 0xffff;
}

/*
 * ft_flow4_key_of() - the compact key @c of a flow @k that ft_flow4_fits(),
 * with tcp_flags and DSCP as in @k (the caller clears what no rule uses).
 * @c must not overlap @k.
 */
static inline __attribute__((always_inline)) void ft_flow4_key_of(const struct ft_flow_key *k,
								  struct ft_flow4_key *c)
{
	c->src = k->src[0];
	c->dst = k->dst[0];
	c->sport = k->sport;
	c->dport = k->dport;
	c->ifindex = (__u16)k->ifindex;
	c->vlan = k->vlan;
	c->proto = k->proto;
	c->dscp = k->dscp;
	c->tcp_flags = k->tcp_flags;
	c->l4 = k->l4 | (k->family == FT_FAM_IPV4 ? FT_FLOW4_L4_IPV4 : 0);
}

/* The struct ft_flow_key of a compact key @c (userspace readers). */
static inline __attribute__((always_inline)) void ft_flow4_key_wide(const struct ft_flow4_key *c,
								    struct ft_flow_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->src[0] = c->src;
	k->dst[0] = c->dst;
	k->sport = c->sport;
	k->dport = c->dport;
	k->ifindex = c->ifindex;
	k->vlan = c->vlan;
	k->family = c->l4 & FT_FLOW4_L4_IPV4 ? FT_FAM_IPV4 : FT_FAM_NONE;
	k->proto = c->proto;
	k->dscp = c->dscp;
	k->tcp_flags = c->tcp_flags;
	k->l4 = c->l4 & (__u8)~FT_FLOW4_L4_IPV4;
}

/*
 * ft_flow4_hash_words() - the compact cache's hash: the multiply-xorshift
 * of ft_flow_hash_words() over a struct ft_flow4_key read as two 64-bit
 * words @w0, @w1 and a 32-bit word @w2 (bytes 0..7, 8..15, 16..19 in
 * memory order). Bits 0..15 (masked) pick the page within the CPU's,
 * 16..21 the first line, 22..27 the second (ft_flow4_lines()), 48..63 the
 * check.
 */
static inline __attribute__((always_inline)) __u64 ft_flow4_hash_words(__u64 w0, __u64 w1, __u32 w2,
									__u64 seed)
{
	__u64 h = seed;

	h = (h ^ w0) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h = (h ^ w1) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h = (h ^ w2) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return h;
}

/*
 * The two lines of a hash @h in its page: distinct (the second is the first
 * plus an odd number, modulo FT_FLOW4_LINES). A sum and a mask, not an xor:
 * clang drops the mask after an xor of two values below FT_FLOW4_LINES,
 * and Linux 6.1's verifier cannot bound an xor, so it would refuse the
 * line's address (it bounds an AND).
 */
static inline __attribute__((always_inline)) void ft_flow4_lines(__u64 h, __u32 *first,
								 __u32 *second)
{
	*first = (__u32)(h >> 16) & (FT_FLOW4_LINES - 1);
	*second = (*first + (((__u32)(h >> 22) & (FT_FLOW4_LINES - 1)) | 1)) &
		  (FT_FLOW4_LINES - 1);
}

/* ft_frags: first-fragment ports for the fragments that follow. */
struct ft_frag_key {
	__u32 src[4];			/* network order */
	__u32 dst[4];			/* network order */
	__u32 id;			/* IPv4 id (16 bits) or IPv6 fragment id */
	__u8 family;			/* FT_FAM_* */
	__u8 proto;			/* IPv4: protocol; IPv6: the Fragment header's next
					 * header, the same in every fragment (the upper
					 * layer may sit behind more extension headers) */
	__u8 pad[2];			/* zero */
};

struct ft_frag_val {
	__u16 sport;			/* host order */
	__u16 dport;			/* host order */
	__u8 tcp_flags;			/* TCP flags of the first fragment */
	__u8 l4;			/* FT_L4_* of the first fragment */
	__u8 proto;			/* upper-layer protocol of the first fragment */
	__u8 pad;			/* zero */
};

_Static_assert(sizeof(struct ft_frag_key) == 40, "ft_frag_key ABI size");
_Static_assert(sizeof(struct ft_frag_val) == 8, "ft_frag_val ABI size");

/*
 * ft_links: per receiving interface, what the programs find at the start of
 * a packet. Written by flowtagd from the device type (ARPHRD_*) when it
 * attaches; an interface without an entry is Ethernet.
 */
enum ft_l2 {
	FT_L2_ETH = 0,		/* Ethernet header, VLAN tags, PPPoE session */
	FT_L2_NONE = 1,		/* no link-layer header: the IP header first (tun,
				 * wireguard, ppp, ipip, sit, gre, ip6tnl, ...) */
};

struct ft_link {
	__u32 l2;			/* FT_L2_* */
	__u32 link_type;		/* ARPHRD_*, for flowtagctl */
};

_Static_assert(sizeof(struct ft_link) == 8, "ft_link ABI size");

#define FT_MAX_LINKS	1024	/* ft_links entries */

#endif /* FLOWTAG_MAPS_H */
