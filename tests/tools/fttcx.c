// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fttcx: "another tool" on the tcx ingress hook (kernel 6.6+), as Cilium
 * uses it, and a reader of that hook for the tests.
 *
 *   fttcx [--before] OBJ PROG IFNAME [SECONDS]
 *       attach PROG of OBJ as a tcx ingress link, appended after the tcx
 *       programs there (--before: in front of all of them, BPF_F_BEFORE),
 *       and hold the link until SIGTERM or SECONDS pass
 *   fttcx --list IFNAME
 *       print the names of IFNAME's tcx ingress programs, in the order
 *       they run, one per line
 *
 * Exits 77 when the kernel has no tcx.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tool.h"

#define TCX_INGRESS	46	/* BPF_TCX_INGRESS; Debian 12's headers predate it */
#define F_BEFORE	(1U << 3)	/* BPF_F_BEFORE (6.6), likewise */

static int list(const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);
	__u32 ids[64], cnt = 64, flags = 0, i;

	if (!ifindex) {
		fprintf(stderr, "fttcx: %s: no such interface\n", ifname);
		return 1;
	}
	if (bpf_prog_query((int)ifindex, TCX_INGRESS, 0, &flags, ids, &cnt)) {
		fprintf(stderr, "fttcx: tcx query: %s\n", strerror(errno));
		return errno == EINVAL ? 77 : 1;
	}
	for (i = 0; i < cnt && i < 64; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("%s\n", info.name);
		else
			printf("?\n");
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	struct bpf_program *prog;
	struct bpf_object *obj;
	unsigned int ifindex;
	double end;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--list"))
		return list(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "--before")) {
		opts.flags = F_BEFORE;
		argc--;
		argv++;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: fttcx [--before] OBJ PROG IFNAME [SECONDS]\n"
				"       fttcx --list IFNAME\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[3]);
	if (!ifindex) {
		fprintf(stderr, "fttcx: %s: no such interface\n", argv[3]);
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "fttcx: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "fttcx: no program %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	fd = bpf_link_create(bpf_program__fd(prog), (int)ifindex, TCX_INGRESS, &opts);
	if (fd < 0) {
		fprintf(stderr, "fttcx: tcx attach: %s\n", strerror(errno));
		return errno == EINVAL ? 77 : 1;
	}
	stop_on_signals();
	printf("attached %s to %s tcx ingress%s\n", argv[2], argv[3],
	       opts.flags ? " in front" : "");
	fflush(stdout);
	end = now() + (argc > 4 ? atof(argv[4]) : 60);
	while (!stop && now() < end)
		usleep(50000);
	close(fd);
	bpf_object__close(obj);
	return 0;
}
