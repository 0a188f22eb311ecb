// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ftmapsum: one line that changes when anything in a pinned BPF map
 * changes: the number of entries and a 64-bit FNV-1a digest of every key
 * and value (every CPU's copy of a per-CPU map), in key order. What
 * `bpftool map dump | md5sum` gives, without formatting megabytes of text
 * (a 4 MiB per-CPU flow cache takes minutes that way on an emulated CPU).
 *
 *   ftmapsum PINNED_MAP
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tool.h"

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int main(int argc, char **argv)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	uint64_t h = 0xcbf29ce484222325ULL, n = 0;
	void *key, *next, *val;
	size_t vsize;
	int fd, ncpu = 1, err;

	if (argc != 2) {
		fprintf(stderr, "usage: ftmapsum PINNED_MAP\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "ftmapsum: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (is_percpu(info.type)) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu < 1) {
			fprintf(stderr, "ftmapsum: cannot count the CPUs\n");
			return 1;
		}
	}
	/* per-CPU values come 8-byte aligned, one per possible CPU */
	vsize = is_percpu(info.type) ? (size_t)((info.value_size + 7) & ~7u) * ncpu :
				       info.value_size;
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	val = calloc(1, vsize ? vsize : 1);
	if (!key || !next || !val) {
		fprintf(stderr, "ftmapsum: out of memory\n");
		return 1;
	}
	for (err = bpf_map_get_next_key(fd, NULL, next); !err;
	     err = bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, info.key_size);
		if (bpf_map_lookup_elem(fd, key, val))
			continue;	/* deleted meanwhile */
		h = fnv1a(h, key, info.key_size);
		h = fnv1a(h, val, vsize);
		n++;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "ftmapsum: %s: walking the keys: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("%llu entries, fnv1a %016llx\n", (unsigned long long)n, (unsigned long long)h);
	free(key);
	free(next);
	free(val);
	return 0;
}
