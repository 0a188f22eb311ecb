/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The IPv4 prefix table of the static src and dst prefixes: a DIR-16-8-8
 * table (Gupta, Lin, McKeown, "Routing lookups in hardware at memory access
 * speeds", 1998, with strides 16, 8, 8) whose chunks are compressed with a
 * palette, compiled in userspace (daemon/compile_dir4.c) and read by the
 * data path (xdp/classify.h) and by the userspace search (daemon/compile.c):
 * one walk, written once, below.
 *
 * The table is an array of 1 KiB blocks (struct ft_dir4_block, 256 __u32):
 *
 *   blocks [0, 256)         the top level: 65536 entries, one per /16,
 *                           indexed by the top 16 bits of the address
 *   blocks [256, nblocks)   the chunk area: chunks packed into blocks, a
 *                           chunk never across two blocks
 *
 * An entry (of the top level, or an entry a chunk gives) is either a
 * bitmap index or, with bit 31 set, a chunk reference:
 *
 *   bit 31 (FT_DIR4_CHUNK)  30..27  26..24 (format f)  23..0
 *   0                       bitmap index (< FT_MAX_BITMAPS, compile.h)
 *   1                       0       0..3, 5 or 6       offset of the chunk
 *                                                      in the chunk area,
 *                                                      in 8-byte units
 *
 * A chunk stands for 256 entries: those of a /16 indexed by the address's
 * third byte (second level), or those of a /24 indexed by its last byte
 * (third level). It holds 256 fields of 2^f bits each, packed
 * little-endian into __u32 words (entry i in word (i << f) / 32, at bit
 * (i << f) % 32):
 *
 *   f = 0..3   a palette chunk: the fields are indices (1, 2, 4 or 8 bits)
 *              into the palette of the chunk's distinct entries, __u32s
 *              right after the 8 << f words of fields: 32 << f bytes plus 4
 *              per distinct entry, from 40 bytes (a chunk of two distinct
 *              entries: a prefix set's member or not) to 1 KiB (192
 *              distinct entries, 8-bit indices)
 *   f = 5      a plain chunk: the fields are the entries themselves
 *              (1 KiB, one whole block), for chunks of more than 192
 *              distinct entries
 *   f = 6      (FT_DIR4_ARRAY, top-level entries only) a /16 as 256 1-bit
 *              chunks of 64 bytes (40 used), one per /24 in address order,
 *              16 blocks of their own: the walk computes the /24's chunk
 *              from the address instead of reading a second-level chunk.
 *              For a /16 whose /24s have at most two distinct entries
 *              each, half of them or more holding prefixes longer than /24
 *              (a big prefix set): one cache line per lookup, 16 KiB per
 *              /16
 *
 * The compiler takes the narrowest format that holds a chunk's distinct
 * entries. A chunk whose 256 entries are one bitmap index is not made:
 * the entry naming it holds the index. So a lookup reads at most five
 * words in three blocks: the /16 entry, then maybe a field and a palette
 * entry of a second-level chunk, then maybe of a third-level chunk; the
 * first entry that is not a chunk reference is the answer: the bitmap of
 * the longest prefix that holds the address (the compiler paints shorter
 * prefixes first, longer ones over them, and always has a /0). The field
 * and its palette entry are in the same block, at most 1 KiB apart; a
 * 1-bit chunk's two palette entries are read along with the field, not
 * after it, so its reads do not wait on each other.
 *
 * In the kernel the table is a BPF_MAP_TYPE_ARRAY whose element k is block
 * k: element sizes are rounded up to 8 bytes, so 1 KiB elements take
 * nothing extra, and one element lookup (a helper call) serves all reads
 * of a chunk. Every index into a block is masked to its 256 entries, so a
 * bad table can give a wrong answer but never an access out of bounds.
 *
 * Size: 256 KiB for the top level plus the chunks: a prefix longer than
 * /16 makes its /16 a chunk (shared by every prefix in that /16), one
 * longer than /24 its /24 too. 10^5 prefixes of /25../32 (one per 128
 * addresses of 10.0.0.0/8) take 3.3 MiB, 10^6 of /28../32 (one per 16
 * addresses) 4.1 MiB (49 and 62 MiB with plain 1 KiB chunks). The 24-bit
 * offset addresses a chunk area of 128 MiB (FT_DIR4_MAX_BLOCKS in all):
 * the compiler refuses a policy that needs more.
 */
#ifndef FLOWTAG_DIR4_H
#define FLOWTAG_DIR4_H

#include <linux/types.h>

#define FT_DIR4_TOP		65536u		/* top-level entries: one per /16 */
#define FT_DIR4_STRIDE		256u		/* entries of a chunk and of a block */
#define FT_DIR4_TOP_BLOCKS	(FT_DIR4_TOP / FT_DIR4_STRIDE)	/* 256 */
#define FT_DIR4_CHUNK		0x80000000u	/* entry holds a chunk reference */
#define FT_DIR4_FORMAT_SHIFT	24		/* its format f: bits 26..24 */
#define FT_DIR4_PLAIN		5u		/* format of a chunk without palette */
#define FT_DIR4_ARRAY		6u		/* format of a /16 of 256 1-bit chunks */
#define FT_DIR4_ARRAY_UNITS	8u		/* ... each 64 bytes, in 8-byte units */
#define FT_DIR4_OFF_MASK	0x00ffffffu	/* its offset, in 8-byte units */
#define FT_DIR4_BLOCK_UNITS	128u		/* 8-byte units of a block */
#define FT_DIR4_MAX_BLOCKS	(FT_DIR4_TOP_BLOCKS + (FT_DIR4_OFF_MASK + 1) / FT_DIR4_BLOCK_UNITS) /* 131328 */
#define FT_DIR4_MAX_PALETTE	192u		/* distinct entries of a palette chunk */
#define FT_DIR4_NONE		0xffffffffu	/* lookup result: the walk found no bitmap */
#define FT_DIR4_EMPTY		0x7fffffffu	/* entry no prefix covers (a table without /0) */

/* One element of the kernel's array: 256 __u32, top-level entries or chunks. */
struct ft_dir4_block {
	__u32 e[FT_DIR4_STRIDE];
};

_Static_assert(sizeof(struct ft_dir4_block) == 1024, "ft_dir4_block ABI size");
_Static_assert(FT_DIR4_BLOCK_UNITS * 8 == sizeof(struct ft_dir4_block), "units of a block");
_Static_assert((8u << 3) + FT_DIR4_MAX_PALETTE <= FT_DIR4_STRIDE, "8-bit palette chunks fit a block");

/*
 * FT_DIR4_DEFINE_LOOKUP(name, table_t, block) - define
 *
 *	static inline __u32 name(table_t table, __u32 addr)
 *
 * which returns the entry of IPv4 address @addr (host byte order) in
 * @table: a bitmap index, FT_DIR4_EMPTY, or FT_DIR4_NONE when the walk ran
 * off the table (no table, a chunk past its end, a chunk reference of no
 * known format or at the last level). @block(table, k) returns a pointer
 * to block k (a const struct ft_dir4_block *), NULL past the end: the BPF
 * side looks the inner array up (xdp/classify.h), userspace reads struct
 * ft_dir4_table (compile.h). Also defines name##_chunk(table, e, byte):
 * the entry chunk reference @e gives the 8 address bits @byte.
 */
#define FT_DIR4_DEFINE_LOOKUP(name, table_t, block)					\
	static inline __attribute__((always_inline)) __u32				\
	name##_chunk(table_t table, __u32 e, __u32 byte)				\
	{										\
		const struct ft_dir4_block *b;						\
		__u32 f = (e >> FT_DIR4_FORMAT_SHIFT) & 7, off = e & FT_DIR4_OFF_MASK;	\
		__u32 first, bit, v, p0, p1;						\
											\
		if (f == FT_DIR4_ARRAY)	/* the 1-bit chunk of 64 bytes for @byte */	\
			return FT_DIR4_CHUNK |						\
			       ((off + (byte & 0xff) * FT_DIR4_ARRAY_UNITS) & FT_DIR4_OFF_MASK); \
		if (f > FT_DIR4_PLAIN)							\
			return FT_DIR4_NONE;	/* FT_DIR4_NONE itself, or garbage */	\
		b = block(table, FT_DIR4_TOP_BLOCKS + off / FT_DIR4_BLOCK_UNITS);	\
		if (!b)									\
			return FT_DIR4_NONE;						\
		first = (off % FT_DIR4_BLOCK_UNITS) * 2;	/* the chunk's first __u32 */	\
		bit = (byte & 0xff) << f;						\
		v = b->e[(first + bit / 32) & 0xff];					\
		/* the palette's first two entries, read before the field is	\
		 * known: the reads of a 1-bit chunk do not wait on each other */	\
		p0 = b->e[(first + (8u << f)) & 0xff];					\
		p1 = b->e[(first + (8u << f) + 1) & 0xff];				\
		v = v >> (bit % 32) & (~0u >> (32 - (1u << f)));			\
		if (f == FT_DIR4_PLAIN)							\
			return v;							\
		/* v ? p1 : p0 without a select: clang makes that a load from	\
		 * the address it selects, a read that waits on the field's */	\
		if (f == 0)								\
			return p0 ^ ((p0 ^ p1) & (0u - v));				\
		return b->e[(first + (8u << f) + v) & 0xff];				\
	}										\
											\
	static inline __attribute__((always_inline)) __u32 name(table_t table, __u32 addr)	\
	{										\
		const struct ft_dir4_block *b = block(table, addr >> 24);		\
		__u32 e;								\
											\
		if (!b)									\
			return FT_DIR4_NONE;						\
		e = b->e[(addr >> 16) & 0xff];						\
		if (e & FT_DIR4_CHUNK)							\
			e = name##_chunk(table, e, addr >> 8);				\
		if (e & FT_DIR4_CHUNK)							\
			e = name##_chunk(table, e, addr);				\
		return e & FT_DIR4_CHUNK ? FT_DIR4_NONE : e;				\
	}

#endif /* FLOWTAG_DIR4_H */
