/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the running kernel's BPF can do, probed the way xdp-tools and
 * bpftool do: load a tiny program and look at what the kernel made of it.
 * flowtag runs on every kernel from Debian 12's 6.1 on; these facts say
 * which variant of a feature is in force, for the log and for status.
 */
#ifndef FLOWTAG_PROBE_H
#define FLOWTAG_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* Tri-state answer of one probe. */
enum ft_probe_res {
	FT_PROBE_NO = 0,	/* the kernel lacks it */
	FT_PROBE_YES,		/* the kernel has it */
	FT_PROBE_UNKNOWN,	/* the probe itself failed (no privileges, ...) */
};

struct ft_kernel_features {
	char release[65];		/* uname -r */
	enum ft_probe_res tcx;		/* tcx hooks, BPF_TCX_INGRESS/EGRESS (6.6) */
	enum ft_probe_res xdp_frags;	/* BPF_F_XDP_HAS_FRAGS programs (5.18) */
	enum ft_probe_res percpu_inline; /* the verifier inlines per-CPU array lookups */
	unsigned int meta_max;		/* largest data_meta bpf_xdp_adjust_meta grants,
					 * bytes (32 before the limit was raised); 0 unknown */
};

/**
 * ft_probe_kernel() - probe the running kernel.
 * @f: filled in; every field is set, probes that fail say FT_PROBE_UNKNOWN
 *
 * Needs CAP_BPF (and CAP_NET_ADMIN for the tcx query). Loads and closes a
 * few programs of a handful of instructions each; takes well under a
 * millisecond on 6.1 and later.
 */
void ft_probe_kernel(struct ft_kernel_features *f);

/**
 * ft_probe_describe() - one line for the log: what differs on this kernel.
 * @f:   ft_probe_kernel() result
 * @buf: receives the text, NUL-terminated
 * @len: size of @buf in bytes
 */
void ft_probe_describe(const struct ft_kernel_features *f, char *buf, size_t len);

/** ft_probe_res_str() - "yes", "no" or "unknown". */
const char *ft_probe_res_str(enum ft_probe_res r);

/** ft_probe_percpu_str() - per-CPU lookups: "inlined", "helper calls" or "unknown". */
const char *ft_probe_percpu_str(enum ft_probe_res r);

#endif /* FLOWTAG_PROBE_H */
