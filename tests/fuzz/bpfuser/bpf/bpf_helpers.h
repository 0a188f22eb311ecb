/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * libbpf's bpf_helpers.h for xdp/parse.h and xdp/classify.h built as
 * userspace C (tests/fuzz/fuzz_packet.c): the map definitions become plain
 * global variables whose addresses name the maps, and the helpers
 * the classifier calls are functions the fuzz target implements over a
 * compiled policy (struct ft_compiled), the way the loader fills the maps.
 */
#ifndef FLOWTAG_FUZZ_BPF_HELPERS_H
#define FLOWTAG_FUZZ_BPF_HELPERS_H

#include <linux/types.h>

#define SEC(name)
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

void *bpf_map_lookup_elem(void *map, const void *key);
long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags);
__u64 bpf_ktime_get_boot_ns(void);
__u32 bpf_get_smp_processor_id(void);

#endif /* FLOWTAG_FUZZ_BPF_HELPERS_H */
