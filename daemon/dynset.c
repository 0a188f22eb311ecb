// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Dynamic prefix sets: the pinned tries and their operations. See dynset.h
 * and flowtag/maps.h.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dynset.h"

#define NS_PER_SEC	1000000000ull

int ft_dynset_dir(const char *pin_dir, const char *name, char *buf, size_t len)
{
	int n = name ? snprintf(buf, len, "%s/sets/%s", pin_dir, name) :
		       snprintf(buf, len, "%s/sets", pin_dir);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ft_dynset_lock(const char *pin_dir, bool create)
{
	char path[PATH_MAX];
	int fd, err;

	err = ft_dynset_dir(pin_dir, NULL, path, sizeof(path));
	if (err)
		return err;
	if (create && mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void ft_dynset_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

static int pin_path(const char *pin_dir, const char *name, const char *what, char *buf,
		    size_t len)
{
	int n = snprintf(buf, len, "%s/sets/%s/%s", pin_dir, name, what);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void ft_dynset_close(struct ft_dynset *s)
{
	if (s->v4 >= 0)
		close(s->v4);
	if (s->v6 >= 0)
		close(s->v6);
	if (s->info >= 0)
		close(s->info);
	s->v4 = s->v6 = s->info = -1;
}

int ft_dynset_open(const char *pin_dir, const char *name, struct ft_dynset *s)
{
	static const char *const what[] = { "v4", "v6", "info" };
	int *fds[] = { &s->v4, &s->v6, &s->info };
	char path[PATH_MAX];
	__u32 zero = 0;
	size_t i;
	int err;

	memset(s, 0, sizeof(*s));
	s->v4 = s->v6 = s->info = -1;
	for (i = 0; i < 3; i++) {
		err = pin_path(pin_dir, name, what[i], path, sizeof(path));
		if (err)
			goto fail;
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			err = -errno;
			goto fail;
		}
	}
	if (bpf_map_lookup_elem(s->info, &zero, &s->inf)) {
		err = -errno;
		goto fail;
	}
	s->inf.name[sizeof(s->inf.name) - 1] = '\0';
	return 0;
fail:
	ft_dynset_close(s);
	return err;
}

int ft_dynset_save_info(struct ft_dynset *s)
{
	__u32 zero = 0;

	if (s->info < 0)
		return 0;
	return bpf_map_update_elem(s->info, &zero, &s->inf, 0) ? -errno : 0;
}

int ft_dynset_create(const char *pin_dir, const char *name, uint32_t id, uint32_t size,
		     uint64_t timeout, struct ft_dynset *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, lpm, .map_flags = BPF_F_NO_PREALLOC);
	int err;

	memset(s, 0, sizeof(*s));
	s->v4 = s->v6 = s->info = -1;
	snprintf(s->inf.name, sizeof(s->inf.name), "%s", name);
	s->inf.id = id;
	s->inf.size = size;
	s->inf.timeout = timeout;
	s->v4 = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "ft_dset4", sizeof(struct ft_lpm4),
			       sizeof(struct ft_set_elem), size, &lpm);
	if (s->v4 < 0)
		goto fail_errno;
	s->v6 = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "ft_dset6", sizeof(struct ft_lpm6),
			       sizeof(struct ft_set_elem), size, &lpm);
	if (s->v6 < 0)
		goto fail_errno;
	if (!pin_dir)
		return 0;
	err = ft_dynset_pin(pin_dir, s);
	if (err)
		goto fail;
	return 0;
fail_errno:
	err = -errno;
fail:
	ft_dynset_close(s);
	return err;
}

/* Pin @fd as PIN_DIR/sets/NAME/WHAT, replacing what is there. */
static int pin_one(const char *pin_dir, const char *name, const char *what, int fd)
{
	char path[PATH_MAX];
	int err = pin_path(pin_dir, name, what, path, sizeof(path));

	if (err)
		return err;
	unlink(path);
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int ft_dynset_pin(const char *pin_dir, struct ft_dynset *s)
{
	char path[PATH_MAX];
	int err;

	if (s->info < 0) {
		s->info = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ft_dset_info", sizeof(__u32),
					 sizeof(struct ft_set_info), 1, NULL);
		if (s->info < 0)
			return -errno;
	}
	err = ft_dynset_save_info(s);
	if (!err)
		err = ft_dynset_dir(pin_dir, s->inf.name, path, sizeof(path));
	if (err)
		return err;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	/* info last: a set without info is a half-made one (ft_dynset_open fails) */
	err = pin_one(pin_dir, s->inf.name, "v4", s->v4);
	if (!err)
		err = pin_one(pin_dir, s->inf.name, "v6", s->v6);
	if (!err)
		err = pin_one(pin_dir, s->inf.name, "info", s->info);
	if (err)
		ft_dynset_remove(pin_dir, s->inf.name);
	return err;
}

int ft_dynset_remove(const char *pin_dir, const char *name)
{
	static const char *const what[] = { "info", "v4", "v6" };
	char path[PATH_MAX];
	size_t i;
	int err = 0;

	for (i = 0; i < 3; i++) {
		if (pin_path(pin_dir, name, what[i], path, sizeof(path)))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	if (!ft_dynset_dir(pin_dir, name, path, sizeof(path)) && rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

int ft_dynset_list(const char *pin_dir, char (**names)[FT_SET_NAME_LEN], size_t *n)
{
	char path[PATH_MAX];
	char (*v)[FT_SET_NAME_LEN] = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int err;

	*names = NULL;
	*n = 0;
	err = ft_dynset_dir(pin_dir, NULL, path, sizeof(path));
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= FT_SET_NAME_LEN)
			continue;
		if (*n == cap) {
			char (*nv)[FT_SET_NAME_LEN];

			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		strcpy(v[(*n)++], de->d_name);
	}
	closedir(d);
	*names = v;
	return 0;
}

uint64_t ft_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

int ft_dynset_lookup(struct ft_dynset *s, int family, const uint8_t *addr, uint64_t now,
		     struct ft_dynset_elem *found)
{
	union {
		struct ft_lpm4 v4;
		struct ft_lpm6 v6;
	} key;
	__u32 *prefixlen = family == AF_INET ? &key.v4.prefixlen : &key.v6.prefixlen;
	int fd = family == AF_INET ? s->v4 : s->v6;
	struct ft_set_elem e;
	unsigned int b;
	int i;

	memset(&key, 0, sizeof(key));
	if (family == AF_INET) {
		key.v4.prefixlen = 32;
		memcpy(&key.v4.addr, addr, 4);
	} else {
		key.v6.prefixlen = 128;
		memcpy(key.v6.addr, addr, 16);
	}
	for (i = 0; i < FT_DSET_TRIES; i++) {
		if (bpf_map_lookup_elem(fd, &key, &e))
			return errno == ENOENT ? 0 : -errno;
		if (!e.expires || e.expires > now) {
			if (found) {
				memset(found, 0, sizeof(*found));
				found->pfx.family = (uint8_t)family;
				found->pfx.len = (uint8_t)e.prefixlen;
				/* the element's key: @addr with its host bits zero */
				for (b = 0; b < e.prefixlen && b < (family == AF_INET ? 32u : 128u); b++)
					found->pfx.addr[b / 8] |= addr[b / 8] & (0x80 >> (b % 8));
				found->expires = e.expires;
			}
			return 1;
		}
		if (!e.prefixlen)
			return 0;
		*prefixlen = e.prefixlen - 1;
	}
	return 0;
}

/* The trie key of @p (struct ft_lpm4 or ft_lpm6) at @key; returns its size. */
static size_t prefix_key(const struct ft_prefix *p, void *key)
{
	if (p->family == AF_INET) {
		struct ft_lpm4 *k = key;

		k->prefixlen = p->len;
		memcpy(&k->addr, p->addr, 4);
		return sizeof(*k);
	} else {
		struct ft_lpm6 *k = key;

		k->prefixlen = p->len;
		memcpy(k->addr, p->addr, 16);
		return sizeof(*k);
	}
}

/* Up to this many prefixes, ft_dynset_add() looks each up to count the new ones. */
#define FT_DYNSET_LOOKUP_MAX	1024

static int trie_walk(int fd, unsigned int fam,
		     int (*cb)(const struct ft_dynset_elem *e, void *arg), void *arg);
static size_t prefix_key(const struct ft_prefix *p, void *key);
static int key4_cmp(const void *a, const void *b);
static int key6_cmp(const void *a, const void *b);

/*
 * Whether the trie @fd holds the element @key exactly. A lookup in an LPM
 * trie is a longest-prefix match (trie_lookup_elem(), kernel/bpf/lpm_trie.c):
 * for 198.18.7.1/32 it finds 198.18.7.0/24 when only that is there. The
 * value's prefixlen (the element's own, ft_set_elem) tells them apart.
 */
static bool trie_has(int fd, const void *key)
{
	struct ft_set_elem v;
	__u32 plen;

	memcpy(&plen, key, sizeof(plen));	/* prefixlen leads both key layouts */
	return !bpf_map_lookup_elem(fd, key, &v) && v.prefixlen == plen;
}

/* count_present()'s walk: how many elements are among the sorted keys. */
struct present {
	const char *keys;
	size_t ksize, n, found;
};

static int find_one(const struct ft_dynset_elem *e, void *arg)
{
	struct present *p = arg;
	char key[sizeof(struct ft_lpm6)];

	prefix_key(&e->pfx, key);
	if (bsearch(key, p->keys, p->n, p->ksize,
		    p->ksize == sizeof(struct ft_lpm4) ? key4_cmp : key6_cmp))
		p->found++;
	return 0;
}

/*
 * How many of the @n sorted, unique keys the trie @fd (family @fam) holds
 * already, the set holding @elements in all: a lookup per key costs a
 * system call (~1-7 us), a walk of the set in batches a fraction of that
 * per element, so a long list is checked against a walk of a smaller set.
 */
static long count_present(int fd, unsigned int fam, const char *keys, size_t ksize, size_t n,
			  uint64_t elements)
{
	struct present p = { .keys = keys, .ksize = ksize, .n = n };
	size_t i;
	int rc;

	if (!elements || !n)
		return 0;
	if (n <= FT_DYNSET_LOOKUP_MAX || elements > (uint64_t)n * 8) {
		for (i = 0; i < n; i++)
			if (trie_has(fd, keys + i * ksize))
				p.found++;
		return (long)p.found;
	}
	rc = trie_walk(fd, fam, find_one, &p);
	return rc ? rc : (long)p.found;
}

/* The set is full: keys from @from on that did not get in are not added. */
static int uncount_absent(int fd, const char *keys, size_t ksize, size_t from, size_t n,
			  size_t *added)
{
	for (; from < n; from++)
		if (!trie_has(fd, keys + from * ksize) && *added)
			(*added)--;
	return -ENOSPC;
}

/*
 * Add @n keys (@ksize bytes each) with their values to @fd; *@added
 * counts the keys that were not there (count_present(), first: the
 * kernel's batch update of an LPM trie takes no BPF_NOEXIST); the keys are
 * sorted and unique (keys_unique()), the set holds @elements. One batch update where the
 * kernel has one for LPM tries (5.13+, generic_map_update_batch), else one
 * call per key.
 */
static int trie_add(int fd, const char *keys, const struct ft_set_elem *vals, size_t ksize,
		    size_t n, uint64_t elements, size_t *added)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t i = 0;

	long present = count_present(fd, ksize == sizeof(struct ft_lpm6), keys, ksize, n, elements);

	if (present < 0)
		return (int)present;
	*added += n - (size_t)present;
	for (i = 0; i < n;) {
		__u32 count = (__u32)(n - i > 65536 ? 65536 : n - i), want = count;

		if (!bpf_map_update_batch(fd, keys + i * ksize, &vals[i], &count, &opts)) {
			i += want;
			continue;
		}
		if (errno == ENOSPC || errno == E2BIG)
			return uncount_absent(fd, keys, ksize, i, n, added);
		break;	/* no batch for LPM tries here: one by one from i */
	}
	for (; i < n; i++) {
		if (!bpf_map_update_elem(fd, keys + i * ksize, &vals[i], BPF_ANY))
			continue;
		if (errno == ENOSPC || errno == E2BIG)
			return uncount_absent(fd, keys, ksize, i, n, added);
		return -errno;
	}
	return 0;
}

static int key4_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ft_lpm4));
}

static int key6_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ft_lpm6));
}

/* Sort @n keys and drop repeats (a file may name a prefix twice); the
 * values follow from the keys. Returns how many are left. */
static size_t keys_unique(char *keys, struct ft_set_elem *vals, size_t ksize, size_t n,
			  uint64_t expires)
{
	size_t i, m = 0;

	if (!n)
		return 0;
	qsort(keys, n, ksize, ksize == sizeof(struct ft_lpm4) ? key4_cmp : key6_cmp);
	for (i = 0; i < n; i++) {
		if (m && !memcmp(keys + (m - 1) * ksize, keys + i * ksize, ksize))
			continue;
		if (m != i)
			memcpy(keys + m * ksize, keys + i * ksize, ksize);
		vals[m].expires = expires;
		memcpy(&vals[m].prefixlen, keys + m * ksize, sizeof(__u32));
		vals[m].pad = 0;
		m++;
	}
	return m;
}

int ft_dynset_add(struct ft_dynset *s, const struct ft_prefix *p, size_t n, uint64_t timeout,
		  size_t *added)
{
	struct ft_set_elem *v4v = NULL, *v6v = NULL;
	char *v4k = NULL, *v6k = NULL;
	size_t n4 = 0, n6 = 0, i;
	uint64_t expires = 0;
	int err = -ENOMEM;

	*added = 0;
	if (timeout == FT_DYNSET_DEFAULT_TIMEOUT)
		timeout = s->inf.timeout;
	if (timeout)
		expires = ft_boot_ns() + timeout * NS_PER_SEC;
	if (expires && n && (!s->inf.next_expiry || expires < s->inf.next_expiry))
		s->inf.next_expiry = expires;
	v4k = malloc(n * sizeof(struct ft_lpm4) + 1);
	v6k = malloc(n * sizeof(struct ft_lpm6) + 1);
	v4v = malloc(n * sizeof(*v4v) + 1);
	v6v = malloc(n * sizeof(*v6v) + 1);
	if (!v4k || !v6k || !v4v || !v6v)
		goto out;
	for (i = 0; i < n; i++) {
		if (p[i].family == AF_INET)
			prefix_key(&p[i], v4k + n4++ * sizeof(struct ft_lpm4));
		else
			prefix_key(&p[i], v6k + n6++ * sizeof(struct ft_lpm6));
	}
	n4 = keys_unique(v4k, v4v, sizeof(struct ft_lpm4), n4, expires);
	n6 = keys_unique(v6k, v6v, sizeof(struct ft_lpm6), n6, expires);
	err = trie_add(s->v4, v4k, v4v, sizeof(struct ft_lpm4), n4, s->inf.elements, added);
	if (!err)
		err = trie_add(s->v6, v6k, v6v, sizeof(struct ft_lpm6), n6, s->inf.elements, added);
	s->inf.elements += *added;
out:
	free(v4k);
	free(v6k);
	free(v4v);
	free(v6v);
	return err;
}

int ft_dynset_del(struct ft_dynset *s, const struct ft_prefix *p, size_t n, size_t *deleted,
		  size_t *missing)
{
	char key[sizeof(struct ft_lpm6)];
	size_t i;

	*deleted = *missing = 0;
	for (i = 0; i < n; i++) {
		prefix_key(&p[i], key);
		if (!bpf_map_delete_elem(p[i].family == AF_INET ? s->v4 : s->v6, key))
			(*deleted)++;
		else if (errno == ENOENT)
			(*missing)++;
		else
			return -errno;
	}
	s->inf.elements = s->inf.elements > *deleted ? s->inf.elements - *deleted : 0;
	return 0;
}

/* Fill @e from a trie key of family @fam (0 IPv4, 1 IPv6) and its value. */
static void elem_of(unsigned int fam, const void *key, const struct ft_set_elem *v,
		    struct ft_dynset_elem *e)
{
	memset(e, 0, sizeof(*e));
	e->pfx.family = fam ? AF_INET6 : AF_INET;
	if (fam) {
		const struct ft_lpm6 *k = key;

		e->pfx.len = (uint8_t)k->prefixlen;
		memcpy(e->pfx.addr, k->addr, 16);
	} else {
		const struct ft_lpm4 *k = key;

		e->pfx.len = (uint8_t)k->prefixlen;
		memcpy(e->pfx.addr, &k->addr, 4);
	}
	e->expires = v->expires;
}

/*
 * Walk one trie: in batches of WALK_CHUNK where the kernel can (5.13+,
 * generic_map_lookup_batch: a walk of 10^6 elements in a few dozen system
 * calls), else key by key. Returns 0, what @cb returned, or -errno.
 */
#define WALK_CHUNK	4096

static int trie_walk(int fd, unsigned int fam,
		     int (*cb)(const struct ft_dynset_elem *e, void *arg), void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t ksize = fam ? sizeof(struct ft_lpm6) : sizeof(struct ft_lpm4);
	char cur[sizeof(struct ft_lpm6)], next[sizeof(struct ft_lpm6)];
	char *keys = malloc(WALK_CHUNK * ksize);
	struct ft_set_elem *vals = malloc(WALK_CHUNK * sizeof(*vals));
	struct ft_dynset_elem e;
	void *in = NULL, *prev = NULL;
	bool batch = true, first = true;
	int rc = 0, done = 0;
	__u32 i;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	while (batch && !done && !rc) {
		__u32 count = WALK_CHUNK;

		if (bpf_map_lookup_batch(fd, in, next, keys, vals, &count, &opts)) {
			if (errno != ENOENT) {
				/* no batch lookups here: key by key, from the start */
				batch = !first;
				rc = first ? 0 : -errno;
				break;
			}
			done = 1;
		}
		first = false;
		for (i = 0; i < count && !rc; i++) {
			elem_of(fam, keys + i * ksize, &vals[i], &e);
			rc = cb(&e, arg);
		}
		memcpy(cur, next, ksize);
		in = cur;
	}
	while (!batch && !rc && !bpf_map_get_next_key(fd, prev, next)) {
		struct ft_set_elem v;

		memcpy(cur, next, ksize);
		prev = cur;
		if (bpf_map_lookup_elem(fd, cur, &v))
			continue;	/* deleted meanwhile */
		elem_of(fam, cur, &v, &e);
		rc = cb(&e, arg);
	}
	free(keys);
	free(vals);
	return rc;
}

int ft_dynset_walk(struct ft_dynset *s, int (*cb)(const struct ft_dynset_elem *e, void *arg),
		   void *arg)
{
	int rc = trie_walk(s->v4, 0, cb, arg);

	return rc ? rc : trie_walk(s->v6, 1, cb, arg);
}

/* Elements to delete, collected by a walk (deleting while walking skips keys). */
struct victims {
	struct ft_prefix *p;
	size_t n, cap;
	uint64_t now;		/* 0: every element */
	uint64_t next;		/* earliest expiry among the elements kept, 0 = none */
};

static int collect(const struct ft_dynset_elem *e, void *arg)
{
	struct victims *v = arg;

	if (v->now && (!e->expires || e->expires > v->now)) {
		if (e->expires && (!v->next || e->expires < v->next))
			v->next = e->expires;
		return 0;
	}
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 1024;
		struct ft_prefix *np = realloc(v->p, ncap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		v->p = np;
		v->cap = ncap;
	}
	v->p[v->n++] = e->pfx;
	return 0;
}

static int delete_collected(struct ft_dynset *s, uint64_t now, size_t *n)
{
	struct victims v = { .now = now };
	size_t missing;
	int err;

	*n = 0;
	err = ft_dynset_walk(s, collect, &v);
	if (!err)
		err = ft_dynset_del(s, v.p, v.n, n, &missing);
	if (!err)
		s->inf.next_expiry = v.next;
	free(v.p);
	return err;
}

int ft_dynset_flush(struct ft_dynset *s, size_t *n)
{
	int err = delete_collected(s, 0, n);

	if (!err)
		s->inf.elements = 0;
	return err;
}

int ft_dynset_gc(struct ft_dynset *s, uint64_t now, size_t *n)
{
	return delete_collected(s, now ? now : 1, n);
}

/* ft_dynset_copy()'s walk: the set it fills and the time of the copy. */
struct copy {
	struct ft_dynset *to;
	uint64_t now;		/* CLOCK_BOOTTIME ns */
};

/* Copy one live element into the set ft_dynset_copy() fills. */
static int copy_one(const struct ft_dynset_elem *e, void *arg)
{
	struct copy *c = arg;
	struct ft_dynset *to = c->to;
	char key[sizeof(struct ft_lpm6)];
	struct ft_set_elem v = { .expires = e->expires, .prefixlen = e->pfx.len };

	if (e->expires && e->expires <= c->now)
		return 0;	/* expired: the collector would delete it */
	prefix_key(&e->pfx, key);
	if (bpf_map_update_elem(e->pfx.family == AF_INET ? to->v4 : to->v6, key, &v, 0))
		return errno == E2BIG ? -ENOSPC : -errno;
	to->inf.elements++;
	if (e->expires && (!to->inf.next_expiry || e->expires < to->inf.next_expiry))
		to->inf.next_expiry = e->expires;
	return 0;
}

int ft_dynset_copy(struct ft_dynset *from, struct ft_dynset *to)
{
	struct copy c = { .to = to, .now = ft_boot_ns() };

	to->inf.elements = 0;
	to->inf.next_expiry = 0;
	return ft_dynset_walk(from, copy_one, &c);
}

/* Zero a flow cache (every bucket or page on every CPU; a per-CPU value
 * is ncpu copies, a plain one takes the first): the epoch wrapped. */
static int flow_cache_clear(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), k;
	int ncpu = libbpf_num_possible_cpus();
	void *zero;

	if (ncpu < 1 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return -EINVAL;
	zero = calloc((size_t)ncpu, (info.value_size + 7) & ~7u);
	if (!zero)
		return -ENOMEM;
	for (k = 0; k < info.max_entries; k++)
		bpf_map_update_elem(fd, &k, zero, 0);
	free(zero);
	return 0;
}

int ft_dynset_publish(const char *pin_dir, struct ft_dynset *s)
{
	char path[PATH_MAX];
	int efd, ofd, err = 0;
	__u32 zero = 0, epoch = 0, id = s->inf.id;

	if (!pin_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/ft_set_epoch", pin_dir);
	efd = bpf_obj_get(path);
	if (efd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* the grace period: updating a map-in-map waits for one (synchronize_rcu);
	 * the set's own IPv4 trie is written where it already is */
	snprintf(path, sizeof(path), "%s/ft_dset4_o", pin_dir);
	ofd = bpf_obj_get(path);
	if (ofd < 0 || bpf_map_update_elem(ofd, &id, &s->v4, 0))
		err = -errno;
	if (ofd >= 0)
		close(ofd);
	if (!err && bpf_map_lookup_elem(efd, &zero, &epoch))
		err = -errno;
	if (!err) {
		/* Entries compare the low 16 bits: clearing the cache every 2^15
		 * changes wipes an entry before its epoch comes round again (an
		 * entry stored while one clear runs is wiped by the next). */
		epoch++;
		if (!(epoch & 0x7fff)) {
			static const char *const caches[] = { "ft_flow_cache", "ft_flow4" };
			size_t i;
			int cfd;

			for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
				snprintf(path, sizeof(path), "%s/%s", pin_dir, caches[i]);
				cfd = bpf_obj_get(path);
				if (cfd >= 0) {
					flow_cache_clear(cfd);
					close(cfd);
				}
			}
		}
		if (bpf_map_update_elem(efd, &zero, &epoch, 0))
			err = -errno;
	}
	close(efd);
	return err;
}

int ft_dynset_counters(const char *pin_dir, uint32_t id, struct ft_set_cnt *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	char path[PATH_MAX];
	struct ft_set_cnt *v;

	memset(out, 0, sizeof(*out));
	if (ncpu < 1)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/ft_set_cnt", pin_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &id, v)) {
		int err = -errno;

		free(v);
		close(fd);
		return err;
	}
	for (i = 0; i < ncpu; i++) {
		out->lookups += v[i].lookups;
		out->hits += v[i].hits;
	}
	free(v);
	close(fd);
	return 0;
}
