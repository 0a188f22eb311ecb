/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtag metadata ABI: what the XDP classifier writes in front of the packet
 * (bpf_xdp_adjust_meta) and the tc ingress program reads from
 * __sk_buff->data_meta.
 *
 * Layout in memory, data_meta .. data (20 bytes):
 *
 *   0               4               8              12      14      16  17  18      20
 *   +---------------+---------------+---------------+-------+-------+---+---+-------+
 *   | magic | ver   |     mark      |   priority    | class | rule  |flg|dsc| vlan  |
 *   +---------------+---------------+---------------+-------+-------+---+---+-------+
 *
 * All fields are host byte order: producer and consumer run on the same CPU.
 * The tag must be constant for every packet of a flow (GRO refuses to merge
 * skbs whose metadata differ), so nothing per-packet goes in here.
 * Only headers shared by BPF and userspace live in include/flowtag/, and
 * they include nothing but <linux/types.h>.
 */
#ifndef FLOWTAG_META_H
#define FLOWTAG_META_H

#include <linux/types.h>

#define FLOWTAG_META_MAGIC	0xf7a6u	/* "flowtag", upper 16 bits of magic_ver */
#define FLOWTAG_META_VERSION	2u	/* lower 8 bits; bump on any layout change
					 * (2: vlan replaced reserved[2]) */
#define FLOWTAG_META_WORD	((FLOWTAG_META_MAGIC << 16) | FLOWTAG_META_VERSION)

/* flowtag_meta.flags */
#define FT_META_F_NOTAG		0x01	/* leave mark and priority alone (pass rule, no default) */
#define FT_META_F_PRIO		0x02	/* priority is valid: set skb->priority */
#define FT_META_F_DSCP		0x04	/* rewrite the DSCP field to flowtag_meta.dscp */
#define FT_META_F_DEFAULT	0x08	/* no rule matched, class is the default class */
#define FT_META_F_DROP		0x10	/* a drop rule matched, but XDP saw no VLAN tag and the
					 * policy matches on vlan: tc drops, unless the skb
					 * carries a tag XDP could not see (then it reclassifies) */

/* rule id of a verdict that no rule produced (default class, or untagged) */
#define FT_RULE_NONE		0xffffu

struct flowtag_meta {
	__u32 magic_ver;	/* FLOWTAG_META_WORD */
	__u32 mark;		/* our skb->mark bits, already inside mark_mask */
	__u32 priority;		/* skb->priority (tc handle major:minor), if FT_META_F_PRIO */
	__u16 class_id;		/* index of the class in the active policy */
	__u16 rule_id;		/* index of the matching rule, FT_RULE_NONE if none */
	__u8 flags;		/* FT_META_F_* */
	__u8 dscp;		/* DSCP to write (0..63), if FT_META_F_DSCP */
	__u16 vlan;		/* outer VLAN id XDP read from the frame, FT_VLAN_NONE
				 * (4096) if untagged: tc reclassifies when the skb
				 * carries a tag XDP could not see (VLAN offload) */
};

_Static_assert(sizeof(struct flowtag_meta) == 20, "flowtag_meta ABI size");
_Static_assert(sizeof(struct flowtag_meta) % 4 == 0, "metadata length must be a multiple of 4");
_Static_assert(sizeof(struct flowtag_meta) <= 32, "metadata must fit the portable 32 byte limit");

/*
 * A probe frame: flowtagctl explain --live runs a packet it built through the
 * running programs with BPF_PROG_TEST_RUN against the live maps. The
 * programs recognise a probe by these words and then change nothing (no
 * counter, no flow-cache or fragment entry): the verdict only.
 *
 *   XDP: struct flowtag_probe as the frame's metadata (xdp_md ctx_in with
 *        data = 8); the program adds its flowtag_meta in front of it, so
 *        data_out holds flowtag_meta, then flowtag_probe, then the frame.
 *   tc:  the kernel's skb test run cannot set data_meta, so __sk_buff
 *        cb[0..3] carry FT_PROBE_W0..W3 (ctx_in); ctx_out returns the mark
 *        and priority the program set.
 *
 * No packet from the wire can carry either: data_meta is empty when a
 * driver hands a frame to XDP, and cb[] is kernel memory. The words are
 * 64 (XDP) and 128 (tc) bits so that stale control-block bytes or another
 * XDP program's metadata cannot match by chance. A false match would only
 * leave one packet uncounted and uncached; its verdict is the same.
 */
#define FT_PROBE_W0		0xf7a6b0beu
#define FT_PROBE_W1		0x70726f62u	/* "prob" */
#define FT_PROBE_W2		0x65206c69u	/* "e li" */
#define FT_PROBE_W3		0x76652121u	/* "ve!!" */

struct flowtag_probe {
	__u32 w0;		/* FT_PROBE_W0 */
	__u32 w1;		/* FT_PROBE_W1 */
};

_Static_assert(sizeof(struct flowtag_probe) + sizeof(struct flowtag_meta) <= 32,
	       "probe and tag must fit the portable 32 byte metadata limit together");

#endif /* FLOWTAG_META_H */
