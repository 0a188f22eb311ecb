// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Kernel feature probes (see probe.h). Each probe is a few raw BPF
 * instructions: an object file per probe would cost more than it says.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "probe.h"

/* tcx attach types (kernel 6.6); Debian 12's UAPI headers predate them. */
#define FT_PROBE_TCX_INGRESS	46

/* The instruction encodings of the kernel's filter.h, which UAPI lacks. */
#define I_MOV64_IMM(d_, i_)						\
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = (d_), .imm = (i_) })
#define I_MOV64_REG(d_, s_)						\
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = (d_), .src_reg = (s_) })
#define I_ADD64_IMM(d_, i_)						\
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = (d_), .imm = (i_) })
#define I_ST_W(d_, o_, i_)						\
	((struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = (d_), .off = (o_),	\
			    .imm = (i_) })
#define I_LD_MAP_FD(d_, fd_)						\
	((struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = (d_),		\
			    .src_reg = BPF_PSEUDO_MAP_FD, .imm = (fd_) }),			\
	((struct bpf_insn){ 0 })
#define I_CALL(fn_)	((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = (fn_) })
#define I_EXIT()	((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT })

const char *ft_probe_res_str(enum ft_probe_res r)
{
	return r == FT_PROBE_YES ? "yes" : r == FT_PROBE_NO ? "no" : "unknown";
}

const char *ft_probe_percpu_str(enum ft_probe_res r)
{
	return r == FT_PROBE_YES ? "inlined" : r == FT_PROBE_NO ? "helper calls" : "unknown";
}

static int load_xdp(const struct bpf_insn *insns, size_t n, __u32 flags)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .prog_flags = flags);

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "ft_probe", "Dual BSD/GPL", insns, n, &o);
}

/* tcx: querying the tcx hook of lo (present in every netns) fails with
 * EINVAL on kernels that do not know the attach type. */
static enum ft_probe_res probe_tcx(void)
{
	__u32 cnt = 0;
	int err;

	err = bpf_prog_query(1, FT_PROBE_TCX_INGRESS, 0, NULL, NULL, &cnt);
	if (!err)
		return FT_PROBE_YES;
	return err == -EINVAL ? FT_PROBE_NO : FT_PROBE_UNKNOWN;
}

static enum ft_probe_res probe_xdp_frags(void)
{
	const struct bpf_insn insns[] = { I_MOV64_IMM(BPF_REG_0, XDP_PASS), I_EXIT() };
	int fd = load_xdp(insns, sizeof(insns) / sizeof(insns[0]), BPF_F_XDP_HAS_FRAGS);

	if (fd >= 0) {
		close(fd);
		return FT_PROBE_YES;
	}
	return fd == -EINVAL ? FT_PROBE_NO : FT_PROBE_UNKNOWN;
}

/*
 * Per-CPU array lookups: a program that does one lookup and nothing else.
 * When the verifier inlines it (array_map_gen_lookup for per-CPU arrays,
 * added after 6.1), the translated program holds no call instruction.
 */
static enum ft_probe_res probe_percpu_inline(void)
{
	enum ft_probe_res res = FT_PROBE_UNKNOWN;
	struct bpf_insn xlated[32];
	struct bpf_prog_info info;
	__u32 len = sizeof(info), i, n;
	int map_fd, prog_fd = -1;

	map_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ft_probe", 4, 8, 1, NULL);
	if (map_fd < 0)
		return FT_PROBE_UNKNOWN;
	{
		const struct bpf_insn insns[] = {
			I_ST_W(BPF_REG_10, -4, 0),
			I_MOV64_REG(BPF_REG_2, BPF_REG_10),
			I_ADD64_IMM(BPF_REG_2, -4),
			I_LD_MAP_FD(BPF_REG_1, map_fd),
			I_CALL(BPF_FUNC_map_lookup_elem),
			I_MOV64_IMM(BPF_REG_0, XDP_PASS),
			I_EXIT(),
		};

		prog_fd = load_xdp(insns, sizeof(insns) / sizeof(insns[0]), 0);
	}
	if (prog_fd < 0)
		goto out;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = sizeof(xlated);
	info.xlated_prog_insns = (__u64)(unsigned long)xlated;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) || !info.xlated_prog_len ||
	    info.xlated_prog_len > sizeof(xlated))
		goto out;
	n = info.xlated_prog_len / sizeof(xlated[0]);
	res = FT_PROBE_YES;
	for (i = 0; i < n; i++)
		if (xlated[i].code == (BPF_JMP | BPF_CALL))
			res = FT_PROBE_NO;
out:
	if (prog_fd >= 0)
		close(prog_fd);
	close(map_fd);
	return res;
}

/* Largest metadata area: bpf_xdp_adjust_meta(-len) in a test run, for the
 * lengths flowtag could use; the program returns 0 when the helper agreed. */
static unsigned int probe_meta_max(void)
{
	static const int lens[] = { 32, 64, 128, 252 };
	unsigned char pkt[64] = { 0 };
	unsigned int best = 0;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const struct bpf_insn insns[] = {
			I_MOV64_IMM(BPF_REG_2, -lens[i]),
			I_CALL(BPF_FUNC_xdp_adjust_meta),
			I_EXIT(),
		};
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = 1);
		int fd = load_xdp(insns, sizeof(insns) / sizeof(insns[0]), 0);
		int err;

		if (fd < 0)
			return best;
		err = bpf_prog_test_run_opts(fd, &t);
		close(fd);
		if (err || t.retval != 0)
			break;
		best = lens[i];
	}
	return best;
}

void ft_probe_kernel(struct ft_kernel_features *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	f->tcx = probe_tcx();
	f->xdp_frags = probe_xdp_frags();
	f->percpu_inline = probe_percpu_inline();
	f->meta_max = probe_meta_max();
}

void ft_probe_describe(const struct ft_kernel_features *f, char *buf, size_t len)
{
	char meta[32];

	if (f->meta_max)
		snprintf(meta, sizeof(meta), "%u bytes", f->meta_max);
	else
		snprintf(meta, sizeof(meta), "unknown");
	snprintf(buf, len,
		 "kernel %s: tcx hooks %s, xdp.frags programs %s, per-CPU array lookups %s, "
		 "data_meta up to %s; tc attach: %s, XDP attach: bpf_link",
		 f->release, f->tcx == FT_PROBE_YES ? "present (checked for programs in front of ours)"
			     : f->tcx == FT_PROBE_NO ? "absent" : "unknown",
		 ft_probe_res_str(f->xdp_frags), ft_probe_percpu_str(f->percpu_inline), meta,
		 f->tcx == FT_PROBE_YES ? "ingress as a tcx link (tc_hook auto/tcx) or clsact + "
					  "cls_bpf, egress clsact + cls_bpf"
					: "clsact + cls_bpf");
}
