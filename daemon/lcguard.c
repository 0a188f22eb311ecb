// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libconfig's allocator: see lcguard.h. Every block libconfig holds is in
 * an open-addressing set together with the number of the guarded run that
 * allocated it, so a failed run frees exactly its own blocks, whatever
 * other config_t objects are alive.
 */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lcguard.h"

#define TOMBSTONE ((void *)1)

struct block {
	void *p;		/* NULL: empty, TOMBSTONE: deleted */
	unsigned long run;	/* the guarded run that allocated it */
};

/*
 * Only blocks allocated inside a run are tracked; the set is freed when the
 * last of them is, so between policy reads it takes no memory.
 */
static struct {
	struct block *set;
	size_t cap;		/* a power of 2, or 0 */
	size_t used;		/* live blocks and tombstones */
	size_t live;		/* live blocks */
	unsigned long run;	/* the current run's number, 0 outside runs */
	unsigned long runs;
	sigjmp_buf *out;	/* where a failure jumps, NULL outside runs */
	int failure;		/* -ENOMEM or -EPROTO */
} G;

static size_t slot_of(const void *p, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 20) & (cap - 1);
}

static __attribute__((noreturn)) void fail(int err)
{
	G.failure = err;
	siglongjmp(*G.out, 1);
}

/* Room for one more block; false when the set cannot grow. */
static bool reserve(void)
{
	struct block *old = G.set, *set;
	size_t i, cap = 256;

	if ((G.used + 1) * 2 <= G.cap)
		return true;
	while ((G.live + 1) * 4 > cap)
		cap *= 2;
	set = calloc(cap, sizeof(*set));
	if (!set)
		return false;
	for (i = 0; i < G.cap; i++) {
		size_t k;

		if (!old[i].p || old[i].p == TOMBSTONE)
			continue;
		for (k = slot_of(old[i].p, cap); set[k].p; k = (k + 1) & (cap - 1))
			;
		set[k] = old[i];
	}
	free(old);
	G.set = set;
	G.cap = cap;
	G.used = G.live;
	return true;
}

static struct block *find(const void *p)
{
	size_t k;

	if (!G.cap)
		return NULL;
	for (k = slot_of(p, G.cap); G.set[k].p; k = (k + 1) & (G.cap - 1))
		if (G.set[k].p == p)
			return &G.set[k];
	return NULL;
}

/* After reserve(). */
static void add(void *p, unsigned long run)
{
	size_t k;

	for (k = slot_of(p, G.cap); G.set[k].p && G.set[k].p != TOMBSTONE;
	     k = (k + 1) & (G.cap - 1))
		;
	G.used += G.set[k].p == NULL;
	G.set[k].p = p;
	G.set[k].run = run;
	G.live++;
}

static void drop(struct block *b)
{
	b->p = TOMBSTONE;
	if (--G.live == 0) {
		free(G.set);
		G.set = NULL;
		G.cap = G.used = 0;
	}
}

/* Account for a new block @p (NULL: the allocation failed). */
static void *track(void *p)
{
	if (!G.out)
		return p;	/* outside a run: libconfig gets what it asked for */
	if (p && !reserve()) {
		free(p);
		p = NULL;
	}
	if (!p)
		fail(-ENOMEM);
	add(p, G.run);
	return p;
}

void *ft_libconfig_malloc(size_t n)
{
	return track(malloc(n));
}

void *ft_libconfig_calloc(size_t n, size_t size)
{
	return track(calloc(n, size));
}

char *ft_libconfig_strdup(const char *s)
{
	char *p = ft_libconfig_malloc(strlen(s) + 1);

	return p ? strcpy(p, s) : NULL;
}

void *ft_libconfig_realloc(void *p, size_t n)
{
	struct block *b;
	unsigned long run;
	void *q;

	if (!p)
		return ft_libconfig_malloc(n);
	/* room first, and the block's slot: once realloc moved it, p is gone */
	if (G.out && !reserve())
		fail(-ENOMEM);
	b = find(p);
	run = b ? b->run : G.run;
	q = realloc(p, n);
	if (!q) {
		if (G.out)
			fail(-ENOMEM);
		return NULL;
	}
	if (b) {
		b->p = TOMBSTONE;
		G.live--;
	}
	if (G.out || b)
		add(q, run);
	return q;
}

void ft_libconfig_free(void *p)
{
	struct block *b;

	if (!p)
		return;
	b = find(p);
	if (b)
		drop(b);
	free(p);
}

void ft_libconfig_exit(int status)
{
	if (G.out)
		fail(-EPROTO);
	exit(status);
}

int ft_lc_guard_run(int (*fn)(void *arg), void *arg)
{
	sigjmp_buf out;
	locale_t locale = uselocale((locale_t)0);
	int rc;

	G.run = ++G.runs ? G.runs : ++G.runs;
	G.out = &out;
	if (sigsetjmp(out, 0) == 0) {
		rc = fn(arg);
	} else {
		size_t i;
		locale_t now;

		/* libconfig switched this thread to the "C" numeric locale */
		now = uselocale(locale);
		if (now != locale && now != LC_GLOBAL_LOCALE)
			freelocale(now);
		for (i = 0; i < G.cap; i++)
			if (G.set[i].p && G.set[i].p != TOMBSTONE && G.set[i].run == G.run) {
				void *p = G.set[i].p;

				drop(&G.set[i]);	/* may free the set: stop then */
				free(p);
				if (!G.set)
					break;
			}
		rc = G.failure;
	}
	G.out = NULL;
	G.run = 0;
	return rc;
}
