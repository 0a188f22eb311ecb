// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fttcx: "another tool" that attaches a tcx ingress program (kernel 6.6+)
 * in front of every clsact filter, as Cilium does, and holds the link
 * until SIGTERM or SECONDS pass. Exits 77 when the kernel has no tcx.
 *
 *   fttcx OBJ PROG IFNAME [SECONDS]
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

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	unsigned int ifindex;
	double end;
	int fd;

	if (argc < 4) {
		fprintf(stderr, "usage: fttcx OBJ PROG IFNAME [SECONDS]\n");
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
	fd = bpf_link_create(bpf_program__fd(prog), (int)ifindex, TCX_INGRESS, NULL);
	if (fd < 0) {
		fprintf(stderr, "fttcx: tcx attach: %s\n", strerror(errno));
		return errno == EINVAL ? 77 : 1;
	}
	stop_on_signals();
	printf("attached %s to %s tcx ingress\n", argv[2], argv[3]);
	fflush(stdout);
	end = now() + (argc > 4 ? atof(argv[4]) : 60);
	while (!stop && now() < end)
		usleep(50000);
	close(fd);
	bpf_object__close(obj);
	return 0;
}
