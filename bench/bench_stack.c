// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * L1 and L2 share their devices under test: one network namespace per
 * (variant, policy) with a veth from the generator namespace, flowtag's
 * programs or an nftables/iptables ruleset in it, and one common terminal
 * (a blackhole route). Here: setting them up and down, the CPU time of the
 * softirq thread, the medians and the JSON of both layers (each layer
 * prints its own table).
 */
#include <dirent.h>
#include <net/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>

#include "attach.h"
#include "bench.h"
#include "tcx_link.h"

const char *const var_name[NVARIANTS] = {
	"none", "flowtag", "flowtag-miss", "flowtag-xdp", "nft-linear", "nft-set", "iptables",
	"floor",
};

int gen_ns = -1;
const char *ftb_tc_hook = "clsact";
int ksoftirqd_pid;	/* ksoftirqd of the bench CPU, 0 if not found */

/* The kernel thread that runs the bench CPU's deferred softirqs (NAPI). */
static int find_ksoftirqd(int cpu)
{
	char want[32], path[64], comm[64];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int pid = 0;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while (!pid && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			pid = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return pid;
}

/* CPU time of a task in ns (/proc/PID/schedstat), 0 if unknown. */
uint64_t task_ns(int pid)
{
	char path[64];
	uint64_t v = 0;
	FILE *f;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Wait until the current namespace's IP input counter stands still: the
 * DUT's NAPI may still be draining in ksoftirqd. Leaves it in @in. */
void settle(uint64_t *in)
{
	uint64_t prev = 0;
	int i;

	ftb_snmp("/proc/net/snmp", "Ip", "InReceives", &prev);
	for (i = 0; i < 200; i++) {
		usleep(1000);
		ftb_snmp("/proc/net/snmp", "Ip", "InReceives", in);
		if (*in == prev)
			return;
		prev = *in;
	}
}

bool dut_is_ft(const struct dut *d)
{
	return d->kind == V_FT || d->kind == V_FT_MISS || d->kind == V_FT_XDP;
}

/* The netfilter rendering of the sweep policy of @p (same rules, same order). */
static int nf_write(const struct dut *d, char *path, size_t len)
{
	const struct pol *p = d->pol;
	int ncl = p->nrules < NCLASSES ? p->nrules : NCLASSES, i;
	FILE *f;

	snprintf(path, len, "%s/nf-%s-%d", set_dir, var_name[d->kind], p->nrules);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (d->kind == V_IPT) {
		/* MARK does not terminate: every packet walks all N rules */
		fprintf(f, "*mangle\n:PREROUTING ACCEPT [0:0]\n");
		for (i = 0; i < p->nrules; i++) {
			uint32_t net = rule_net(i);

			fprintf(f, "-A PREROUTING -s %u.%u.%u.0/24 -p udp --dport %d "
				   "-j MARK --set-xmark 0x%x/0xff00\n",
				net >> 24, (net >> 16) & 255, (net >> 8) & 255, PORT_BASE + i,
				(i % ncl + 1) << 8);
		}
		fprintf(f, "-A PREROUTING -m mark --mark 0x0/0xff00 -j MARK --set-xmark "
			   "0x%x/0xff00\nCOMMIT\n", (NCLASSES + 1) << 8);
		return fclose(f) ? -errno : 0;
	}
	fprintf(f, "table ip ftb {\n");
	if (d->kind == V_NFT_SET) {
		for (i = 0; i < ncl; i++)
			fprintf(f, "\tchain c%d {\n\t\tmeta mark set 0x%x meta priority set 1:%x "
				   "accept\n\t}\n", i, (i + 1) << 8, 0x10 * (i + 1));
		fprintf(f, "\tmap cls {\n\t\ttype ipv4_addr . inet_service : verdict\n"
			   "\t\tflags interval\n\t\telements = {\n");
		for (i = 0; i < p->nrules; i++) {
			uint32_t net = rule_net(i);

			fprintf(f, "\t\t\t%u.%u.%u.0/24 . %d : jump c%d%s\n", net >> 24,
				(net >> 16) & 255, (net >> 8) & 255, PORT_BASE + i, i % ncl,
				i + 1 < p->nrules ? "," : "");
		}
		fprintf(f, "\t\t}\n\t}\n");
	}
	fprintf(f, "\tchain pre {\n"
		   "\t\ttype filter hook prerouting priority mangle; policy accept;\n");
	if (d->kind == V_NFT_SET) {
		fprintf(f, "\t\tip saddr . udp dport vmap @cls\n");
	} else {
		for (i = 0; i < p->nrules; i++) {
			uint32_t net = rule_net(i);

			fprintf(f, "\t\tip saddr %u.%u.%u.0/24 udp dport %d meta mark set 0x%x "
				   "meta priority set 1:%x accept\n",
				net >> 24, (net >> 16) & 255, (net >> 8) & 255, PORT_BASE + i,
				(i % ncl + 1) << 8, 0x10 * (i % ncl + 1));
		}
	}
	fprintf(f, "\t\tmeta mark set 0x%x meta priority set 1:ff\n\t}\n}\n", (NCLASSES + 1) << 8);
	return fclose(f) ? -errno : 0;
}

static int dut_attach(struct dut *d, int verbose)
{
	int xdp_fd = dut_is_ft(d) ? ft_loader_xdp_fd(&d->pol->l, false) :
				    bpf_program__fd(skel->progs.ftb_pass);
	int err;

	/* flowtag's DUT device recorded as flowtagd records the interfaces it
	 * attaches (ft_links, ft_devs: link type and hand-off counters) */
	err = dut_is_ft(d) ? ft_link_record(&d->pol->l, (uint32_t)d->ifindex, FT_L2_ETH,
					   ARPHRD_ETHER) : 0;
	if (err) {
		snprintf(d->skip, sizeof(d->skip), "ft_link_record: %s", strerror(-err));
		return err;
	}
	err = ftb_ns_enter(d->ns);
	if (err)
		return err;
	/* every DUT runs a native XDP program (flowtag's or an empty one):
	 * veth then receives in NAPI, and all variants take the same path */
	err = bpf_xdp_attach(d->ifindex, xdp_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		snprintf(d->skip, sizeof(d->skip), "native XDP attach: %s", strerror(-err));
		goto out;
	}
	d->xdp_attached = true;
	if (d->kind == V_FT || d->kind == V_FT_MISS || d->kind == V_FLOOR) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = d->kind == V_FLOOR ?
			    bpf_program__fd(skel->progs.ftb_tc_pass) :
			    ft_loader_tc_ingress_fd(&d->pol->l),
			    .handle = 0xf7, .priority = 0xf7);

		/* the hook flowtagd's tc_hook = "auto" picks, for flowtag's
		 * program and the floor's empty one alike */
		if (ft_tcx_supported((uint32_t)d->ifindex) > 0) {
			d->tcx_fd = bpf_link_create(to.prog_fd, d->ifindex, FT_BPF_TCX_INGRESS, NULL);
			if (d->tcx_fd < 0) {
				err = -errno;
				snprintf(d->skip, sizeof(d->skip), "tcx attach: %s", strerror(-err));
				goto out;
			}
			d->tc_attached = d->tcx = true;
			ftb_tc_hook = "tcx";
			goto out;
		}
		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST) {
			snprintf(d->skip, sizeof(d->skip), "clsact: %s", strerror(-err));
			goto out;
		}
		err = bpf_tc_attach(&hook, &to);
		if (err) {
			snprintf(d->skip, sizeof(d->skip), "tc attach: %s", strerror(-err));
			goto out;
		}
		d->tc_attached = true;
	}
	if (verbose)
		fprintf(stderr, "attached %s to %s\n", var_name[d->kind], DUT_DEV);
out:
	ftb_ns_leave();
	return err;
}

static void dut_detach(struct dut *d)
{
	if (d->share || d->ns < 0 || ftb_ns_enter(d->ns))
		return;
	if (d->tc_attached && d->tcx) {
		bpf_link_detach(d->tcx_fd);
		close(d->tcx_fd);
	} else if (d->tc_attached) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);	/* the qdisc is ours: the namespace is */
	}
	if (d->xdp_attached)
		bpf_xdp_detach(d->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	ftb_ns_leave();
}

static int dut_setup(struct dut *d, int idx, int verbose)
{
	char cmd[400], nf[320];
	int err;

	if (d->share) {
		d->ns = d->share->ns;
		d->ifindex = d->share->ifindex;
		d->gen_ifindex = d->share->gen_ifindex;
		snprintf(d->gen_dev, sizeof(d->gen_dev), "%s", d->share->gen_dev);
		d->ready = d->share->ready;
		if (!d->ready)
			snprintf(d->skip, sizeof(d->skip), "%s", d->share->skip);
		return 0;
	}
	d->ns = ftb_ns_new();
	if (d->ns < 0)
		return d->ns;
	/* IPv4 only: no IPv6 autoconfiguration chatter in the counters */
	ftb_ns_sh(d->ns, verbose, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
	snprintf(d->gen_dev, sizeof(d->gen_dev), "ftg%d", idx);
	snprintf(cmd, sizeof(cmd),
		 "ip link add " DUT_DEV " address " DUT_MAC " type veth peer name %s address "
		 GEN_MAC " netns /proc/%d/fd/%d", d->gen_dev, (int)getpid(), gen_ns);
	err = ftb_ns_sh(d->ns, verbose, cmd);
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip link set lo up");
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip addr add 198.18.0.1/30 dev " DUT_DEV);
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip link set " DUT_DEV " up");
	/* the one terminal every variant ends in */
	if (!err)
		err = ftb_ns_sh(d->ns, verbose, "ip route add blackhole 198.19.0.0/16");
	if (!err) {
		snprintf(cmd, sizeof(cmd), "ip link set %s up", d->gen_dev);
		err = ftb_ns_sh(gen_ns, verbose, cmd);
	}
	if (err) {
		snprintf(d->skip, sizeof(d->skip), "namespace setup failed (ip)");
		return err;
	}
	/* GRO/GSO/TSO off on both ends: one skb per packet */
	ftb_ns_sh(d->ns, verbose, "ethtool -K " DUT_DEV " gro off gso off tso off");
	snprintf(cmd, sizeof(cmd), "ethtool -K %s gro off gso off tso off", d->gen_dev);
	ftb_ns_sh(gen_ns, verbose, cmd);

	err = ftb_ns_enter(d->ns);
	if (err)
		return err;
	d->ifindex = (int)if_nametoindex(DUT_DEV);
	ftb_ns_leave();
	ftb_ns_enter(gen_ns);
	d->gen_ifindex = (int)if_nametoindex(d->gen_dev);
	ftb_ns_leave();
	if (!d->ifindex || !d->gen_ifindex) {
		snprintf(d->skip, sizeof(d->skip), "veth pair missing");
		return -ENODEV;
	}

	if (d->kind == V_NFT_LIN || d->kind == V_NFT_SET || d->kind == V_IPT) {
		const char *tool = d->kind == V_IPT ? "iptables-restore" : "nft";
		char *argv[4];

		if (!ftb_have(tool)) {
			snprintf(d->skip, sizeof(d->skip), "%s not installed", tool);
			return 0;
		}
		err = nf_write(d, nf, sizeof(nf));
		if (err)
			return err;
		argv[0] = (char *)tool;
		argv[1] = d->kind == V_IPT ? nf : "-f";
		argv[2] = d->kind == V_IPT ? NULL : nf;
		argv[3] = NULL;
		err = ftb_ns_run(d->ns, argv, verbose);
		unlink(nf);
		if (err) {
			snprintf(d->skip, sizeof(d->skip), "%s refused the ruleset", tool);
			return 0;
		}
	}
	err = dut_attach(d, verbose);
	if (err)
		return 0;	/* recorded in d->skip, the row is skipped */
	d->ready = true;
	return 0;
}

int l1_ft_target(const struct dut *d)
{
	return dut_is_ft(d) ? ft_loader_xdp_fd(&d->pol->l, false) :
			      bpf_program__fd(skel->progs.ftb_pass);
}

int live_run(int prog_fd, int ifindex, uint32_t repeat)
{
	struct xdp_md ctx = { .data_end = PKT_LEN, .ingress_ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = tmpl, .data_size_in = PKT_LEN,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(prog_fd, &o) ? -errno : 0;
}

/* Position the flow walk of @d; flowtag's hit rows first put every hot flow
 * in the cache (the others have no cache to warm). */
int dut_walk(struct dut *d, int prog_fd, int ifindex)
{
	if (d->kind == V_FT_MISS) {
		walk(d->pol, MODE_MISS, d->pol->cold_next);
		return 0;
	}
	walk(d->pol, MODE_HIT, 0);
	if (d->kind != V_FT && d->kind != V_FT_XDP)
		return 0;
	return live_run(prog_fd, ifindex, FTB_HOT);
}

void shuffle(int *v, int n, uint64_t *rng)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		int j = (int)(ftb_rand(rng) % (uint64_t)(i + 1)), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

const struct dut *l2_floor_of(const struct dut *duts, int nduts, const struct dut *x)
{
	int i;

	for (i = 0; i < nduts; i++)
		if (duts[i].kind == V_FLOOR && duts[i].n2 &&
		    l2_traffic_rules(&duts[i]) == l2_traffic_rules(x))
			return &duts[i];
	return NULL;
}

void stack_summarize(struct dut *duts, int nduts)
{
	const struct dut *ref = NULL;
	int i, r;

	for (i = 0; i < nduts; i++)
		if (duts[i].kind == V_NONE)
			ref = &duts[i];
	for (i = 0; i < nduts; i++) {
		struct dut *x = &duts[i];

		x->s1 = ftb_stats(x->l1, x->n1);
		x->spps = ftb_stats(x->pps, x->n2);
		x->scpu = ftb_stats(x->cpu, x->n2);
	}
	/* differences against the reference of the same repetition: L1 'none',
	 * L2 the floor (empty XDP + empty tc) of the same traffic; none
	 * without one (a floor of other traffic would bias the ratio) */
	for (i = 0; ref && i < nduts; i++) {
		struct dut *x = &duts[i];
		int n1 = x->n1 < ref->n1 ? x->n1 : ref->n1;

		for (r = 0; r < n1; r++)
			x->l1diff[r] = x->l1[r] - ref->l1[r];
		x->s1diff = ftb_stats(x->l1diff, n1);
	}
	for (i = 0; i < nduts; i++) {
		struct dut *x = &duts[i];
		const struct dut *fl = l2_floor_of(duts, nduts, x);
		int n2;

		if (!fl)
			continue;
		n2 = x->n2 < fl->n2 ? x->n2 : fl->n2;
		for (r = 0; r < n2; r++) {
			x->l2diff[r] = x->cpu[r] - fl->cpu[r];
			x->l2ratio[r] = x->cpu[r] > 0 ? fl->cpu[r] / x->cpu[r] : 0;
		}
		x->s2diff = ftb_stats(x->l2diff, n2);
		x->s2ratio = ftb_stats(x->l2ratio, n2);
	}
}

const char *rules_str(const struct dut *x, char *buf)
{
	if (x->kind == V_NONE || x->kind == V_FLOOR)
		return "-";
	snprintf(buf, 12, "%d", x->pol->nrules);
	return buf;
}

json_object *stack_json(const struct dut *duts, int nduts, int layer)
{
	json_object *arr = json_object_new_array();
	int i, k;

	for (i = 0; i < nduts; i++) {
		const struct dut *x = &duts[i];
		json_object *o = json_object_new_object(), *cnt;
		const uint64_t *dd = layer == 1 ? x->l1_d : x->l2_d;

		if ((layer == 2 && !l2_row(x)) || (layer == 1 && !l1_row(x))) {
			json_object_put(o);
			continue;
		}

		json_object_object_add(o, "variant", json_object_new_string(var_name[x->kind]));
		json_object_object_add(o, "rules",
				       json_object_new_int(x->kind == V_NONE || x->kind == V_FLOOR ?
							   0 : x->pol->nrules));
		json_object_object_add(o, "flows", json_object_new_int(
			x->kind == V_FT_MISS ? FTB_COLD : FTB_HOT));
		if ((layer == 1 && !x->n1) || (layer == 2 && !x->n2)) {
			json_object_object_add(o, "skipped", json_object_new_string(x->skip));
			json_object_array_add(arr, o);
			continue;
		}
		if (layer == 1) {
			json_object_object_add(o, "reps", json_object_new_int(x->n1));
			json_object_object_add(o, "ns_per_pkt", json_object_new_double(x->s1.med));
			json_object_object_add(o, "ns_per_pkt_stats", jstat(&x->s1));
			json_object_object_add(o, "diff_vs_none_ns", jstat(&x->s1diff));
			json_object_object_add(o, "repeat", json_object_new_int64(x->repeat1));
			json_object_object_add(o, "frames",
					       json_object_new_int64((int64_t)x->l1_frames));
			json_object_object_add(o, "ip_in_receives",
					       json_object_new_int64((int64_t)x->l1_ipin));
			json_object_object_add(o, "ip_in_hdr_errors",
					       json_object_new_int64((int64_t)x->l1_hdrerr));
		} else {
			json_object_object_add(o, "reps", json_object_new_int(x->n2));
			/* its traffic cycles over so many rules' ports and
			 * sockets; its floor_ratio is against the floor of
			 * the same */
			json_object_object_add(o, "traffic_rules", json_object_new_int(l2_traffic_rules(x)));
			json_object_object_add(o, "generator", json_object_new_string(
				"udp socket, sendmmsg, 64 per call; recvmmsg in the DUT namespace"));
			json_object_object_add(o, "rx_pps_wall",
					       json_object_new_double(x->spps.med));
			json_object_object_add(o, "rx_pps_wall_stats", jstat(&x->spps));
			json_object_object_add(o, "ns_per_pkt",
					       json_object_new_double(x->scpu.med));
			json_object_object_add(o, "ns_per_pkt_stats", jstat(&x->scpu));
			json_object_object_add(o, "diff_vs_floor_ns", jstat(&x->s2diff));
			json_object_object_add(o, "floor_ratio", jstat(&x->s2ratio));
			json_object_object_add(o, "mark_ok",
					       json_object_new_int64((int64_t)x->l2_mark_ok));
			json_object_object_add(o, "mark_bad",
					       json_object_new_int64((int64_t)x->l2_mark_bad));
			json_object_object_add(o, "success_path_proven",
					       json_object_new_boolean(l2_proven(x)));
			json_object_object_add(o, "wall_ns",
					       json_object_new_int64((int64_t)x->l2_wall_ns));
			json_object_object_add(o, "generator_thread_cpu_ns",
					       json_object_new_int64((int64_t)x->l2_thread_ns));
			json_object_object_add(o, "ksoftirqd_cpu_ns",
					       json_object_new_int64((int64_t)x->l2_softirqd_ns));
			json_object_object_add(o, "repeat", json_object_new_int64(x->repeat2));
			json_object_object_add(o, "sent",
					       json_object_new_int64((int64_t)x->l2_sent));
			json_object_object_add(o, "received",
					       json_object_new_int64((int64_t)x->l2_recv));
		}
		if (dut_is_ft(x)) {
			cnt = json_object_new_object();
			for (k = 0; k < C_N; k++)
				json_object_object_add(cnt, cnt_name[k],
						       json_object_new_int64((int64_t)dd[k]));
			json_object_object_add(o, "counters", cnt);
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

int stack_setup(struct pol *pols, int npols, struct dut *duts, int *nduts, int verbose)
{
	static const int kinds[] = { V_FT, V_FT_MISS, V_NFT_LIN, V_NFT_SET, V_IPT };
	struct pol *p10 = NULL;
	int i, k, n = 0, err;

	err = ftb_ns_init();
	if (err)
		return err;
	ksoftirqd_pid = find_ksoftirqd(bench_cpu);
	if (!ksoftirqd_pid)
		fprintf(stderr, "warning: ksoftirqd/%d not found: L2 CPU time is the generator's\n",
			bench_cpu);
	gen_ns = ftb_ns_new();
	if (gen_ns < 0)
		return gen_ns;
	ftb_ns_sh(gen_ns, verbose, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
	for (i = 0; i < npols; i++)
		if (pols[i].nrules == 10 && !pols[i].set_size)
			p10 = &pols[i];
	if (!p10)
		return -ENOENT;
	duts[n++] = (struct dut){ .kind = V_NONE, .pol = p10, .ns = -1 };
	duts[n++] = (struct dut){ .kind = V_FLOOR, .pol = p10, .ns = -1 };
	/* the floor of the 10-rule rows' L2 traffic, which cycles over 10
	 * ports and sockets, not 64: L2 only, a namespace of its own (its
	 * sockets bind some of the same ports) */
	duts[n++] = (struct dut){ .kind = V_FLOOR, .pol = p10, .ns = -1, .l2_only = true,
				  .l2_rules = p10->nrules };
	for (i = 0; i < npols; i++) {
		if (pols[i].set_size || pols[i].nrules < 10)
			continue;
		for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])) && n < MAX_DUTS; k++) {
			duts[n] = (struct dut){ .kind = kinds[k], .pol = &pols[i], .ns = -1 };
			if (kinds[k] == V_FT_MISS)
				duts[n].share = &duts[n - 1];
			n++;
			if (kinds[k] == V_FT_MISS && pols[i].nrules == 10 && n < MAX_DUTS)
				duts[n++] = (struct dut){ .kind = V_FT_XDP, .pol = &pols[i],
							  .ns = -1 };
		}
	}
	*nduts = n;
	fprintf(stderr, "L1/L2: setting up %d namespaces\n", n);
	for (i = 0; i < n; i++) {
		err = dut_setup(&duts[i], i, verbose);
		if (err) {
			fprintf(stderr, "%s/%d: %s\n", var_name[duts[i].kind], duts[i].pol->nrules,
				duts[i].skip[0] ? duts[i].skip : strerror(-err));
			return err;
		}
		if (!duts[i].ready)
			fprintf(stderr, "%s/%d skipped: %s\n", var_name[duts[i].kind],
				duts[i].pol->nrules, duts[i].skip);
	}
	return 0;
}

void stack_teardown(struct dut *duts, int nduts)
{
	int i;

	for (i = 0; i < nduts; i++) {
		dut_detach(&duts[i]);
		if (!duts[i].share && duts[i].ns >= 0)
			close(duts[i].ns);	/* the last reference: the namespace goes */
		duts[i].ns = -1;
	}
	if (gen_ns >= 0)
		close(gen_ns);
	gen_ns = -1;
	if (ftb_host_ns >= 0)
		close(ftb_host_ns);
	ftb_host_ns = -1;
}

