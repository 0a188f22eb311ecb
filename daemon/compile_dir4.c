// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The policy compiler's IPv4 prefix tables: the (prefix -> bitmap index)
 * entries of compile_trie() painted into a DIR-16-8-8 table
 * (flowtag/dir4.h), shortest prefixes first, so every address ends up with
 * the bitmap of the longest prefix that holds it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
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

/* by length, then address: the painting order (and a deterministic one) */
static int dir4_pfx_cmp(const void *a, const void *b)
{
	const struct dir4_pfx *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->addr > y->addr) - (x->addr < y->addr);
}

static uint32_t ent_addr(const struct ft_lpm4_ent *e)
{
	uint32_t len = e->key.prefixlen > 32 ? 32 : e->key.prefixlen;

	return ntohl(e->key.addr) & dir4_mask(len);
}

long ft_dir4_chunks(const struct ft_lpm4_ent *ents, size_t n)
{
	uint8_t *seen16, *seen24;
	long chunks = 0;
	size_t i;

	seen16 = calloc(1u << 16, 1);
	seen24 = calloc(1u << 21, 1);	/* a bit per /24 */
	if (!seen16 || !seen24) {
		free(seen16);
		free(seen24);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		uint32_t a = ent_addr(&ents[i]), len = ents[i].key.prefixlen;

		if (len > 16 && !seen16[a >> 16]) {
			seen16[a >> 16] = 1;
			chunks++;
		}
		if (len > 24 && !(seen24[a >> 11] & (1u << ((a >> 8) & 7)))) {
			seen24[a >> 11] |= 1u << ((a >> 8) & 7);
			chunks++;
		}
	}
	free(seen16);
	free(seen24);
	return chunks;
}

/* The chunk entry *@e names, made from the value it held when it has none. */
static __u32 *dir4_chunk(struct ft_dir4_table *t, __u32 *e)
{
	if (!(*e & FT_DIR4_CHUNK)) {
		__u32 *c = t->e + FT_DIR4_TOP + (size_t)t->nchunks * FT_DIR4_STRIDE;
		unsigned int i;

		for (i = 0; i < FT_DIR4_STRIDE; i++)
			c[i] = *e;	/* what the shorter prefixes said for all of it */
		*e = FT_DIR4_CHUNK | t->nchunks++;
	}
	return t->e + FT_DIR4_TOP + (size_t)(*e & FT_DIR4_CHUNK_MASK) * FT_DIR4_STRIDE;
}

/* Entries [@first, @first + @count) of @v become @bm. */
static void dir4_paint(__u32 *v, uint32_t first, uint32_t count, uint32_t bm)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		v[first + i] = bm;
}

int ft_dir4_build(const struct ft_lpm4_ent *ents, size_t n, struct ft_dir4_table *out)
{
	struct ft_dir4_table t = { 0 };
	struct dir4_pfx *p;
	bool level2 = false;
	long chunks;
	size_t i, j;

	for (i = 0; i < n; i++)
		if (ents[i].bm & FT_DIR4_CHUNK)
			return -E2BIG;	/* cannot happen below FT_MAX_BITMAPS */
	chunks = ft_dir4_chunks(ents, n);
	if (chunks < 0)
		return (int)chunks;
	if ((unsigned long)chunks > FT_DIR4_MAX_CHUNKS)
		return -EFBIG;
	p = malloc((n ? n : 1) * sizeof(*p));
	t.e = malloc((FT_DIR4_TOP + (size_t)chunks * FT_DIR4_STRIDE) * sizeof(*t.e));
	if (!p || !t.e) {
		free(p);
		free(t.e);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		p[i].len = ents[i].key.prefixlen > 32 ? 32 : ents[i].key.prefixlen;
		p[i].addr = ent_addr(&ents[i]);
		p[i].bm = ents[i].bm;
	}
	qsort(p, n, sizeof(*p), dir4_pfx_cmp);

	dir4_paint(t.e, 0, FT_DIR4_TOP, FT_DIR4_EMPTY);
	for (i = 0; i < n; i++) {
		uint32_t a = p[i].addr, len = p[i].len;
		__u32 *c;

		/* shorter prefixes first: no chunk exists yet where a prefix
		 * of /16 or shorter (of /24 or shorter) paints */
		if (len <= 16) {
			dir4_paint(t.e, a >> 16, 1u << (16 - len), p[i].bm);
			continue;
		}
		/* every second-level chunk before the first third-level one,
		 * in address order: the 256-entry chunks a lookup reads second
		 * stay together (fewer pages, fewer cache lines) */
		if (!level2) {
			for (j = i; j < n; j++)
				dir4_chunk(&t, &t.e[p[j].addr >> 16]);
			level2 = true;
		}
		c = dir4_chunk(&t, &t.e[a >> 16]);
		if (len <= 24) {
			dir4_paint(c, (a >> 8) & 0xff, 1u << (24 - len), p[i].bm);
			continue;
		}
		c = dir4_chunk(&t, &c[(a >> 8) & 0xff]);
		dir4_paint(c, a & 0xff, 1u << (32 - len), p[i].bm);
	}
	free(p);
	*out = t;
	return 0;
}

/* Entry @i of @t, NULL past its end: the userspace side of the walk. */
static inline const __u32 *dir4_entry(const struct ft_dir4_table *t, __u32 i)
{
	return t->e && i < FT_DIR4_TOP + (uint64_t)t->nchunks * FT_DIR4_STRIDE ? &t->e[i] : NULL;
}

FT_DIR4_DEFINE_LOOKUP(dir4_walk, const struct ft_dir4_table *, dir4_entry)

uint32_t ft_dir4_lookup(const struct ft_dir4_table *t, uint32_t addr)
{
	return dir4_walk(t, addr);
}
