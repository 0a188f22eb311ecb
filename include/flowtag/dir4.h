/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The IPv4 prefix table of the static src and dst prefixes: a DIR-16-8-8
 * table (Gupta, Lin, McKeown, "Routing lookups in hardware at memory access
 * speeds", 1998, with strides 16, 8, 8), compiled in userspace
 * (daemon/compile_dir4.c) and read by the data path (xdp/classify.h) and by
 * the userspace search (daemon/compile.c): one walk, written once, below.
 *
 * The table is an array of __u32 entries:
 *
 *   [0, 65536)                    one entry per /16: indexed by the top 16
 *                                 bits of the address
 *   [65536 + 256 * c, +256)       chunk c: indexed by the next 8 bits of
 *                                 the address (a chunk named by a top-level
 *                                 entry) or by its last 8 bits (a chunk
 *                                 named by an entry of a chunk)
 *
 * An entry is either a bitmap index or, with bit 31 set, a chunk number:
 *
 *   bit 31 (FT_DIR4_CHUNK)   30..23       22..0
 *   0                        bitmap index (< FT_MAX_BITMAPS, compile.h)
 *   1                        0            chunk number c
 *
 * A lookup reads at most three entries: a /16 entry, then maybe an entry of
 * a second-level chunk, then maybe one of a third-level chunk; the first
 * that is not a chunk number is the answer: the bitmap of the longest
 * prefix that holds the address (the compiler paints shorter prefixes
 * first, longer ones over them, and always has a /0).
 *
 * In the kernel the table is a BPF_MAP_TYPE_ARRAY whose element k is the
 * 256 entries [256 k, 256 k + 256) (struct ft_dir4_block): element
 * sizes are rounded up to 8 bytes, so one __u32 per element would take
 * twice the memory; 1 KiB elements take none extra. The top level is
 * elements 0..255, chunk c is element 256 + c.
 *
 * Size: 256 KiB for the top level, 1 KiB per chunk: a prefix longer than
 * /16 costs a chunk for its /16 (shared by every prefix in that /16), one
 * longer than /24 another for its /24. 10^6 prefixes of /28../32 in
 * 10.0.0.0/8 (one per 16 addresses) need 256 + 65536 chunks: 64.5 MiB.
 * A table has at most FT_DIR4_MAX_CHUNKS chunks (about 128 MiB); the
 * compiler refuses a policy that needs more.
 */
#ifndef FLOWTAG_DIR4_H
#define FLOWTAG_DIR4_H

#include <linux/types.h>

#define FT_DIR4_TOP		65536u		/* top-level entries: one per /16 */
#define FT_DIR4_STRIDE		256u		/* entries of a chunk and of a map element */
#define FT_DIR4_CHUNK		0x80000000u	/* entry holds a chunk number */
#define FT_DIR4_CHUNK_MASK	0x007fffffu	/* ... in these bits: 256 c stays < 2^31 */
#define FT_DIR4_MAX_CHUNKS	((1u << 17) - FT_DIR4_TOP / FT_DIR4_STRIDE) /* 130816 */
#define FT_DIR4_NONE		0xffffffffu	/* lookup result: the walk found no bitmap */
#define FT_DIR4_EMPTY		0x7fffffffu	/* entry no prefix covers (a table without /0) */

/* One element of the kernel's array: 256 consecutive entries. */
struct ft_dir4_block {
	__u32 e[FT_DIR4_STRIDE];	/* bitmap index, or FT_DIR4_CHUNK | chunk number */
};

_Static_assert(sizeof(struct ft_dir4_block) == 1024, "ft_dir4_block ABI size");
_Static_assert(FT_DIR4_MAX_CHUNKS <= FT_DIR4_CHUNK_MASK, "chunk numbers fit the entry");

/* Index of the entry that chunk entry @e names for the 8 address bits @byte. */
static inline __attribute__((always_inline)) __u32 ft_dir4_next(__u32 e, __u32 byte)
{
	return FT_DIR4_TOP + (e & FT_DIR4_CHUNK_MASK) * FT_DIR4_STRIDE + (byte & 0xff);
}

/*
 * FT_DIR4_DEFINE_LOOKUP(name, table_t, entry) - define
 *
 *	static inline __u32 name(table_t table, __u32 addr)
 *
 * which returns the entry of IPv4 address @addr (host byte order) in
 * @table: a bitmap index, FT_DIR4_EMPTY, or FT_DIR4_NONE when the walk ran
 * off the table (no table, a chunk number past its end, a chunk named at
 * the last level). @entry(table, i) returns a pointer to entry i (a
 * const __u32 *), NULL past the end: the BPF side reads the inner array
 * (xdp/classify.h), userspace reads struct ft_dir4_table (compile.h).
 */
#define FT_DIR4_DEFINE_LOOKUP(name, table_t, entry)					\
	static inline __attribute__((always_inline)) __u32 name(table_t table, __u32 addr)	\
	{										\
		const __u32 *e = entry(table, addr >> 16);				\
											\
		if (e && (*e & FT_DIR4_CHUNK))						\
			e = entry(table, ft_dir4_next(*e, addr >> 8));			\
		if (e && (*e & FT_DIR4_CHUNK))						\
			e = entry(table, ft_dir4_next(*e, addr));			\
		return e && !(*e & FT_DIR4_CHUNK) ? *e : FT_DIR4_NONE;			\
	}

#endif /* FLOWTAG_DIR4_H */
