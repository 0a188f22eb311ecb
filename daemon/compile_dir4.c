// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy compiler's IPv4 prefix tables: the (prefix -> bitmap index)
 * entries of compile_trie() painted into a DIR-16-8-8 table
 * (flowtag/dir4.h), shortest prefixes first, so every address ends up with
 * the bitmap of the longest prefix that holds it. One /16 at a time: its
 * 256 /24s are painted in scratch memory, then each chunk is encoded with
 * its palette into the table, which grows as it goes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

struct dir4_pfx {
	uint32_t addr;			/* host byte order, host bits cleared */
	uint32_t len;
	uint32_t bm;
};

static uint32_t dir4_mask(uint32_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

/* The painting order (and a deterministic one): /0../16 by length, then
 * the longer ones by /16, each /16's by length, then by address. */
static int dir4_pfx_cmp(const void *a, const void *b)
{
	const struct dir4_pfx *x = a, *y = b;
	uint32_t xs = x->len > 16 ? 1 + (x->addr >> 16) : 0;
	uint32_t ys = y->len > 16 ? 1 + (y->addr >> 16) : 0;

	if (xs != ys)
		return xs < ys ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

static uint32_t ent_addr(const struct ft_lpm4_ent *e)
{
	uint32_t len = e->key.prefixlen > 32 ? 32 : e->key.prefixlen;

	return ntohl(e->key.addr) & dir4_mask(len);
}

/* The table being built: its blocks, and the block small chunks fill. */
struct dir4_out {
	struct ft_dir4_table t;
	size_t cap;			/* blocks allocated */
	uint32_t part;			/* block being filled (0: none yet) */
	uint32_t part_used;		/* 8-byte units of it taken */
	uint32_t stamp;			/* palette_stamp value of the chunk encoded */
	uint32_t palette_stamp[512];	/* the palette hash: slot used in this chunk */
	__u32 palette_key[512];		/* ... holds this entry */
	uint8_t palette_index[512];	/* ... at this palette index */
};

/* A new zeroed block at the end of the table; -EFBIG past the limit. */
static int dir4_block_new(struct dir4_out *o, uint32_t *k)
{
	if (o->t.nblocks >= FT_DIR4_MAX_BLOCKS)
		return -EFBIG;
	if (o->t.nblocks == o->cap) {
		size_t cap = o->cap * 2 < FT_DIR4_MAX_BLOCKS ? o->cap * 2 : FT_DIR4_MAX_BLOCKS;
		__u32 *e = realloc(o->t.e, cap * sizeof(struct ft_dir4_block));

		if (!e)
			return -ENOMEM;
		o->t.e = e;
		o->cap = cap;
	}
	*k = o->t.nblocks++;
	memset(o->t.e + (size_t)*k * FT_DIR4_STRIDE, 0, sizeof(struct ft_dir4_block));
	return 0;
}

/*
 * The entry that stands for the 256 entries @v: their value when they are
 * all one bitmap index, else a reference to a new chunk of the narrowest
 * format that holds them (flowtag/dir4.h); 0 with *err set on failure.
 */
static __u32 dir4_encode(struct dir4_out *o, const __u32 *v, int *err)
{
	__u32 palette[FT_DIR4_MAX_PALETTE], *c;
	uint8_t index[FT_DIR4_STRIDE];
	uint32_t k = 0, f, units, blk, off, i;

	/* the distinct entries, in order of first appearance */
	o->stamp++;
	for (i = 0; i < FT_DIR4_STRIDE && k <= FT_DIR4_MAX_PALETTE; i++) {
		uint32_t h = (v[i] * 2654435761u) >> 23;	/* 9 bits */

		if (i && v[i] == v[i - 1]) {
			index[i] = index[i - 1];
			continue;
		}
		while (o->palette_stamp[h] == o->stamp && o->palette_key[h] != v[i])
			h = (h + 1) & 511;
		if (o->palette_stamp[h] != o->stamp) {
			o->palette_stamp[h] = o->stamp;
			o->palette_key[h] = v[i];
			o->palette_index[h] = (uint8_t)k;
			if (k < FT_DIR4_MAX_PALETTE)
				palette[k] = v[i];
			k++;
		}
		index[i] = o->palette_index[h];
	}
	if (k == 1 && !(v[0] & FT_DIR4_CHUNK))
		return v[0];
	for (f = 0; f < 4 && k > 1u << (1u << f); f++)
		;
	if (k > FT_DIR4_MAX_PALETTE)
		f = FT_DIR4_PLAIN;
	units = f == FT_DIR4_PLAIN ? FT_DIR4_BLOCK_UNITS : ((32u << f) + 4 * k + 7) / 8;

	/* a plain chunk takes a block of its own, the others fill one */
	if (units == FT_DIR4_BLOCK_UNITS || !o->part ||
	    o->part_used + units > FT_DIR4_BLOCK_UNITS) {
		*err = dir4_block_new(o, &blk);
		if (*err)
			return 0;
		if (units < FT_DIR4_BLOCK_UNITS) {
			o->part = blk;
			o->part_used = 0;
		}
	} else {
		blk = o->part;
	}
	off = units == FT_DIR4_BLOCK_UNITS ? 0 : o->part_used;
	if (units < FT_DIR4_BLOCK_UNITS)
		o->part_used += units;
	c = o->t.e + (size_t)blk * FT_DIR4_STRIDE + off * 2;
	for (i = 0; i < FT_DIR4_STRIDE; i++) {
		uint32_t bit = i << f;

		if (f == FT_DIR4_PLAIN)
			c[i] = v[i];
		else
			c[bit / 32] |= (__u32)index[i] << (bit % 32);
	}
	if (f != FT_DIR4_PLAIN)
		memcpy(c + (8u << f), palette, k * sizeof(*palette));
	o->t.nchunks++;
	return FT_DIR4_CHUNK | f << FT_DIR4_FORMAT_SHIFT |
	       ((blk - FT_DIR4_TOP_BLOCKS) * FT_DIR4_BLOCK_UNITS + off);
}

/* Entries [@first, @first + @count) of @v become @bm. */
static void dir4_paint(__u32 *v, uint32_t first, uint32_t count, uint32_t bm)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		v[first + i] = bm;
}

/*
 * A /16 as an array of 256 1-bit chunks of 64 bytes, one per /24 whether
 * it has prefixes longer than /24 or not (16 blocks of their own): the
 * entry naming it when every /24 has at most two distinct entries, 0 when
 * not all have (or with *err set on failure).
 */
static __u32 dir4_array(struct dir4_out *o, const __u32 *l2, __u32 (*l3)[FT_DIR4_STRIDE],
			const uint8_t *used, int *err)
{
	uint32_t s, i, first = 0, k;

	for (s = 0; s < FT_DIR4_STRIDE; s++)
		for (i = 1; used[s] && i < FT_DIR4_STRIDE; i++)
			if (l3[s][i] != l3[s][0] && l3[s][i] != l3[s][i - 1]) {
				uint32_t j;

				for (j = i + 1; j < FT_DIR4_STRIDE; j++)
					if (l3[s][j] != l3[s][0] && l3[s][j] != l3[s][i])
						return 0;	/* a third entry */
				break;
			}
	for (s = 0; s < FT_DIR4_STRIDE * FT_DIR4_ARRAY_UNITS / FT_DIR4_BLOCK_UNITS; s++) {
		*err = dir4_block_new(o, &k);
		if (*err)
			return 0;
		if (!s)
			first = k;
	}
	for (s = 0; s < FT_DIR4_STRIDE; s++) {
		__u32 *c = o->t.e + (size_t)first * FT_DIR4_STRIDE + s * FT_DIR4_ARRAY_UNITS * 2;
		const __u32 *v = used[s] ? l3[s] : NULL;

		c[8] = v ? v[0] : l2[s];	/* palette: entry 0 is the first address's */
		c[9] = c[8];
		for (i = 0; v && i < FT_DIR4_STRIDE; i++)
			if (v[i] != c[8]) {
				c[9] = v[i];
				c[i / 32] |= 1u << (i % 32);
			}
		o->t.nchunks++;
	}
	return FT_DIR4_CHUNK | FT_DIR4_ARRAY << FT_DIR4_FORMAT_SHIFT |
	       (first - FT_DIR4_TOP_BLOCKS) * FT_DIR4_BLOCK_UNITS;
}

/*
 * The chunks of one /16: @p[0, @n) are its prefixes longer than /16, by
 * length; @l3 is scratch for its 256 /24s. Returns the /16's entry, 0
 * with *err set on failure.
 */
static __u32 dir4_slash16(struct dir4_out *o, const struct dir4_pfx *p, size_t n, __u32 top,
			  __u32 (*l3)[FT_DIR4_STRIDE], int *err)
{
	__u32 l2[FT_DIR4_STRIDE];
	uint8_t used[FT_DIR4_STRIDE] = { 0 };
	uint32_t s, n_used = 0;
	size_t i;

	dir4_paint(l2, 0, FT_DIR4_STRIDE, top);
	for (i = 0; i < n; i++) {
		uint32_t a = p[i].addr, len = p[i].len;

		s = (a >> 8) & 0xff;
		if (len <= 24) {
			dir4_paint(l2, s, 1u << (24 - len), p[i].bm);
			continue;
		}
		/* every /17../24 of the /16 is painted by now */
		if (!used[s]) {
			used[s] = 1;
			n_used++;
			dir4_paint(l3[s], 0, FT_DIR4_STRIDE, l2[s]);
		}
		dir4_paint(l3[s], a & 0xff, 1u << (32 - len), p[i].bm);
	}
	if (n_used >= FT_DIR4_STRIDE / 2) {
		__u32 e = dir4_array(o, l2, l3, used, err);

		if (e || *err)
			return e;
	}
	for (s = 0; s < FT_DIR4_STRIDE && !*err; s++)
		if (used[s])
			l2[s] = dir4_encode(o, l3[s], err);
	return *err ? 0 : dir4_encode(o, l2, err);
}

int ft_dir4_build(const struct ft_lpm4_ent *ents, size_t n, struct ft_dir4_table *out)
{
	__u32 (*l3)[FT_DIR4_STRIDE] = NULL;
	struct dir4_out *o = NULL;
	struct dir4_pfx *p = NULL;
	size_t i, j;
	int err = 0;

	for (i = 0; i < n; i++)
		if (ents[i].bm & FT_DIR4_CHUNK)
			return -E2BIG;	/* cannot happen below FT_MAX_BITMAPS */
	o = calloc(1, sizeof(*o));
	p = malloc((n ? n : 1) * sizeof(*p));
	l3 = malloc(FT_DIR4_STRIDE * sizeof(*l3));
	if (!o || !p || !l3) {
		err = -ENOMEM;
		goto out;
	}
	o->cap = 2 * FT_DIR4_TOP_BLOCKS;
	o->t.e = malloc(o->cap * sizeof(struct ft_dir4_block));
	if (!o->t.e) {
		err = -ENOMEM;
		goto out;
	}
	o->t.nblocks = FT_DIR4_TOP_BLOCKS;
	for (i = 0; i < n; i++) {
		p[i].len = ents[i].key.prefixlen > 32 ? 32 : ents[i].key.prefixlen;
		p[i].addr = ent_addr(&ents[i]);
		p[i].bm = ents[i].bm;
	}
	qsort(p, n, sizeof(*p), dir4_pfx_cmp);

	/* /0../16 first, shortest first, into the top level; then each /16's
	 * longer prefixes, shortest first, over what the top level says */
	dir4_paint(o->t.e, 0, FT_DIR4_TOP, FT_DIR4_EMPTY);
	for (i = 0; i < n && p[i].len <= 16; i++)
		dir4_paint(o->t.e, p[i].addr >> 16, 1u << (16 - p[i].len), p[i].bm);
	for (; i < n && !err; i = j) {
		uint32_t hi = p[i].addr >> 16;
		__u32 top;

		for (j = i; j < n && p[j].addr >> 16 == hi; j++)
			;
		top = dir4_slash16(o, p + i, j - i, o->t.e[hi], l3, &err);
		o->t.e[hi] = top;	/* o->t.e moves as the table grows */
	}
	if (!err) {
		*out = o->t;
		o->t.e = NULL;
	}
out:
	if (o)
		free(o->t.e);
	free(o);
	free(p);
	free(l3);
	return err;
}

/* Block @k of @t, NULL past its end: the userspace side of the walk. */
static inline const struct ft_dir4_block *dir4_block(const struct ft_dir4_table *t, __u32 k)
{
	return t->e && k < t->nblocks ? (const struct ft_dir4_block *)&t->e[(size_t)k * FT_DIR4_STRIDE] :
					NULL;
}

FT_DIR4_DEFINE_LOOKUP(dir4_walk, const struct ft_dir4_table *, dir4_block)

uint32_t ft_dir4_lookup(const struct ft_dir4_table *t, uint32_t addr)
{
	return dir4_walk(t, addr);
}
