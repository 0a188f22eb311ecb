// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * L2, veth end to end with socket traffic, the way people usually test: a
 * UDP socket in the generator namespace sends with sendmmsg() over a veth
 * (GRO/GSO/TSO off on both ends, `ethtool -K`) into the DUT namespace, where
 * UDP sockets receive with recvmmsg() and check every packet's skb->mark
 * (SO_RCVMARK) against the mark the policy gives its flow. Rows: the floor
 * (empty XDP + empty tc ingress), flowtag and nftables set/vmap at each rule
 * count; CPU ns per received packet and its ratio to the floor of the same
 * repetition, rows interleaved.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bench.h"

#ifndef SO_RCVMARK
#define SO_RCVMARK	75	/* Linux 5.19: SO_MARK as a control message on receive */
#endif

#define L2_BATCH	64	/* messages per sendmmsg(), sources per batch */
#define L2_RULES	64	/* rules (destination ports) the traffic cycles over */
#define L2_PAYLOAD	(PKT_LEN - 14 - 28)	/* 60-byte frames, as in L0 and L1 */
#define L2_DADDR	0xc6120001u	/* 198.18.0.1: the DUT's address on DUT_DEV */
#define L2_RCVBUF	(4 << 20)

/* The sockets of one row: one sender, one receiver per destination port. */
struct l2_io {
	int tx;				/* generator namespace */
	int rx[L2_RULES + 1];		/* DUT namespace; [nk]: PORT_NONE */
	int nk;				/* rules cycled over */
	int nrules;			/* of the traffic pattern */
	uint64_t batch;			/* next batch; persists across runs */
};

static struct l2_io l2io[MAX_DUTS];
static int l2_pattern_rules;	/* the first floor's traffic: the largest policy's */

bool l2_row(const struct dut *d)
{
	return d->kind == V_FLOOR || d->kind == V_FT || d->kind == V_NFT_SET;
}

/* The mark a policy of @nrules gives rule @r (policy_text(), nf_write()). */
static uint32_t rule_mark(int nrules, int r)
{
	int ncl = nrules < NCLASSES ? nrules : NCLASSES;

	return r < 0 ? (NCLASSES + 1) << 8 : (uint32_t)(r % ncl + 1) << 8;
}

static void l2_close(struct l2_io *io)
{
	int k;

	if (io->tx >= 0)
		close(io->tx);
	io->tx = -1;
	for (k = 0; k <= L2_RULES; k++) {
		if (io->rx[k] >= 0)
			close(io->rx[k]);
		io->rx[k] = -1;
	}
}

/* The policy size whose traffic pattern @d's L2 traffic is: a floor's
 * l2_rules, else the largest policy's; another row's, its policy's. */
static int l2_pattern(const struct dut *d)
{
	if (d->kind != V_FLOOR)
		return d->pol->nrules;
	return d->l2_rules ? d->l2_rules : l2_pattern_rules;
}

int l2_traffic_rules(const struct dut *d)
{
	int n = l2_pattern(d);

	return n < L2_RULES ? n : L2_RULES;
}

/* Rule @k of the @nk the traffic of @io cycles over, spread over all rules. */
static int l2_rule(const struct l2_io *io, int k)
{
	return (int)((int64_t)k * io->nrules / io->nk);
}

/*
 * The sockets of row @d: receivers bound to 198.18.0.1:port in the DUT
 * namespace, and a sender in the generator namespace with IP_TRANSPARENT,
 * so that each message may carry its own (non-local) source address in an
 * IP_PKTINFO control message, with the output device (ipi_ifindex): every
 * veth of the generator namespace has a route to 198.18.0.1 (metrics tell
 * them apart) and a permanent neighbour entry with the DUT's MAC.
 * Return: 0 or -errno.
 */
static int l2_open(struct dut *d, struct l2_io *io, int verbose)
{
	int one = 1, buf = L2_RCVBUF, k, err = 0;
	char cmd[200];

	io->tx = -1;
	for (k = 0; k <= L2_RULES; k++)
		io->rx[k] = -1;
	io->nrules = l2_pattern(d);
	io->nk = l2_traffic_rules(d);
	io->batch = 0;

	/* the sources are not the DUT's routes: no reverse-path filter */
	err = ftb_ns_sh(d->ns, verbose, "sysctl -qw net.ipv4.conf.all.rp_filter=0 "
			"net.ipv4.conf." DUT_DEV ".rp_filter=0");
	if (err)
		return err;
	snprintf(cmd, sizeof(cmd), "ip neigh replace 198.18.0.1 lladdr " DUT_MAC
		 " dev %s nud permanent", d->gen_dev);
	err = ftb_ns_sh(gen_ns, verbose, cmd);
	/* a route of its own per veth (the metric tells them apart; each
	 * message names its device): without one, every message would get
	 * an uncached route allocated and freed */
	if (!err) {
		snprintf(cmd, sizeof(cmd), "ip route replace 198.18.0.1/32 dev %s metric %d",
			 d->gen_dev, d->gen_ifindex);
		err = ftb_ns_sh(gen_ns, verbose, cmd);
	}
	if (err)
		return err;

	err = ftb_ns_enter(d->ns);
	for (k = 0; !err && k <= io->nk; k++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(L2_DADDR) };
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (s < 0) {
			err = -errno;
			break;
		}
		io->rx[k] = s;
		a.sin_port = htons(k < io->nk ? PORT_BASE + l2_rule(io, k) : PORT_NONE);
		if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) ||
		    setsockopt(s, SOL_SOCKET, SO_RCVMARK, &one, sizeof(one)) ||
		    bind(s, (struct sockaddr *)&a, sizeof(a)))
			err = -errno;
	}
	if (!err)
		err = ftb_ns_enter(gen_ns);
	if (!err) {
		io->tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (io->tx < 0 ||
		    setsockopt(io->tx, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
		    setsockopt(io->tx, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
			err = -errno;
	}
	ftb_ns_leave();
	return err;
}

/* One batch's messages: their buffers. */
struct l2_batch {
	struct mmsghdr m[L2_BATCH];
	struct iovec iov[L2_BATCH];
	struct sockaddr_in to[L2_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[L2_BATCH];
	uint32_t payload[L2_BATCH][L2_PAYLOAD / 4 + 1];
};

/*
 * Fill batch @b of @io: one destination port (one receiving socket), 64
 * sources. Of every 16 batches (shifted by one each pass over the rules)
 * 14 come from rule r's /24 to its port (class of rule r), one from the
 * next rule's /24 to rule r's port and one to a port no rule names (both
 * the default class). The payload carries the mark the receiver must see
 * (0 on the floor: nothing marks there). Returns the receiving socket.
 */
static int l2_fill(struct l2_io *io, struct l2_batch *mb, uint64_t b, bool marks, int ifindex)
{
	int k = (int)(b % (uint64_t)io->nk), kind = (int)((b + b / (uint64_t)io->nk) % 16);
	int r = l2_rule(io, k), match = kind < 14 ? r : -1, i;
	uint32_t net = rule_net(kind == 14 ? r + 1 : r);
	uint16_t port = kind == 15 ? PORT_NONE : PORT_BASE + r;
	uint32_t mark = marks ? rule_mark(io->nrules, match) : 0;

	for (i = 0; i < L2_BATCH; i++) {
		struct cmsghdr *c = (struct cmsghdr *)mb->ctl[i].buf;
		struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);

		mb->to[i] = (struct sockaddr_in){ .sin_family = AF_INET,
						  .sin_port = htons(port),
						  .sin_addr.s_addr = htonl(L2_DADDR) };
		mb->payload[i][0] = mark;
		mb->payload[i][1] = (uint32_t)b;
		mb->iov[i] = (struct iovec){ .iov_base = mb->payload[i], .iov_len = L2_PAYLOAD };
		c->cmsg_level = SOL_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(*pi));
		memset(pi, 0, sizeof(*pi));
		pi->ipi_ifindex = ifindex;
		pi->ipi_spec_dst.s_addr = htonl(net + 1 + (uint32_t)i);
		mb->m[i].msg_hdr = (struct msghdr){
			.msg_name = &mb->to[i], .msg_namelen = sizeof(mb->to[i]),
			.msg_iov = &mb->iov[i], .msg_iovlen = 1,
			.msg_control = c, .msg_controllen = CMSG_SPACE(sizeof(*pi)),
		};
		mb->m[i].msg_len = 0;
	}
	return kind == 15 ? io->rx[io->nk] : io->rx[k];
}

/* Receive what @s has queued; count packets and compare each one's mark
 * with the one its payload asks for. */
static void l2_drain(int s, uint64_t *recv, uint64_t *mark_ok, uint64_t *mark_bad)
{
	static struct l2_batch rb;
	int n, i;

	for (;;) {
		for (i = 0; i < L2_BATCH; i++) {
			rb.iov[i] = (struct iovec){ .iov_base = rb.payload[i],
						    .iov_len = sizeof(rb.payload[i]) };
			rb.m[i].msg_hdr = (struct msghdr){
				.msg_iov = &rb.iov[i], .msg_iovlen = 1,
				.msg_control = rb.ctl[i].buf, .msg_controllen = sizeof(rb.ctl[i]),
			};
		}
		n = recvmmsg(s, rb.m, L2_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			struct cmsghdr *c = CMSG_FIRSTHDR(&rb.m[i].msg_hdr);
			uint32_t mark = 0;

			for (; c; c = CMSG_NXTHDR(&rb.m[i].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_MARK)
					memcpy(&mark, CMSG_DATA(c), sizeof(mark));
			if (rb.m[i].msg_len == L2_PAYLOAD && mark == rb.payload[i][0])
				(*mark_ok)++;
			else
				(*mark_bad)++;
		}
		*recv += (uint64_t)n;
		if (n < L2_BATCH)
			return;
	}
}

struct l2_run {
	double ns, pps_wall;
	uint64_t sent, recv, mark_ok, mark_bad;
	uint64_t delta[C_N];
};

/*
 * One timed run of @nbatch batches on row @d. The sender and the DUT's
 * receive path share the bench CPU: sendmmsg() puts each frame into the
 * peer's ring, and the DUT's NAPI (XDP, tc, IP, UDP, the socket queue)
 * runs as a softirq when the sending thread re-enables bottom halves, or
 * in that CPU's ksoftirqd once that is too much. After each batch the
 * thread receives what its socket holds. CPU time of the thread +
 * ksoftirqd / received packets is the cost of one packet, sender and
 * receiver included (the same in every row).
 */
static int l2_measure(struct dut *d, struct l2_io *io, uint64_t nbatch, struct l2_run *o)
{
	static struct l2_batch mb;
	uint64_t in0 = 0, in1 = 0, b[C_N] = { 0 }, a[C_N] = { 0 }, t0, t1, c0, c1, s0, s1, j;
	bool marks = d->kind != V_FLOOR;
	int err, k, n;

	memset(o, 0, sizeof(*o));
	err = ftb_ns_enter(d->ns);
	if (err)
		return err;
	settle(&in0);
	for (k = 0; k <= io->nk; k++)	/* nothing left from before */
		l2_drain(io->rx[k], &o->recv, &o->mark_ok, &o->mark_bad);
	o->recv = o->mark_ok = o->mark_bad = 0;
	if (dut_is_ft(d))
		snap(d->pol, b);
	s0 = task_ns(ksoftirqd_pid);
	c0 = ftb_thread_ns();
	t0 = ftb_mono_ns();
	for (j = 0; j < nbatch; j++) {
		int rx = l2_fill(io, &mb, io->batch++, marks, d->gen_ifindex);

		n = sendmmsg(io->tx, mb.m, L2_BATCH, 0);
		if (n < 0) {
			err = -errno;
			break;
		}
		o->sent += (uint64_t)n;
		l2_drain(rx, &o->recv, &o->mark_ok, &o->mark_bad);
	}
	t1 = ftb_mono_ns();
	settle(&in1);		/* NAPI's last batches, if ksoftirqd took over */
	for (k = 0; k <= io->nk; k++)
		l2_drain(io->rx[k], &o->recv, &o->mark_ok, &o->mark_bad);
	c1 = ftb_thread_ns();
	s1 = task_ns(ksoftirqd_pid);
	if (dut_is_ft(d))
		snap(d->pol, a);
	ftb_ns_leave();
	if (err)
		return err;
	d->l2_wall_ns += t1 - t0;
	d->l2_thread_ns += c1 - c0;
	d->l2_softirqd_ns += s1 - s0;
	o->ns = o->recv ? (double)(c1 - c0 + s1 - s0) / (double)o->recv : 0;
	o->pps_wall = t1 > t0 ? 1e9 * (double)o->recv / (double)(t1 - t0) : 0;
	for (k = 0; k < C_N; k++)
		o->delta[k] = a[k] - b[k];
	return 0;
}

static void l2_teardown(struct dut *duts, int nduts)
{
	int i;

	for (i = 0; i < nduts; i++)
		if (l2_row(&duts[i]) && duts[i].ready)
			l2_close(&l2io[i]);
}

int run_l2(struct dut *duts, int nduts, int reps, double target_ms, int verbose)
{
	uint64_t rng = 11, nbatch[MAX_DUTS] = { 0 };
	int order[MAX_DUTS], i, rep, err = 0;
	struct l2_run r;

	for (i = 0; i < nduts; i++)
		if (duts[i].kind == V_FT && duts[i].pol->nrules > l2_pattern_rules)
			l2_pattern_rules = duts[i].pol->nrules;
	fprintf(stderr, "L2: sockets and calibration\n");
	for (i = 0; i < nduts; i++) {
		struct dut *x = &duts[i];

		if (!l2_row(x) || !x->ready)
			continue;
		err = l2_open(x, &l2io[i], verbose);
		if (err) {
			snprintf(x->skip, sizeof(x->skip), "sockets: %s", strerror(-err));
			l2_close(&l2io[i]);
			x->ready = false;
			continue;
		}
		/* the first run warms up (flowtag: every flow enters the
		 * cache), the second estimates */
		err = l2_measure(x, &l2io[i], 3 * L2_RULES * 16, &r);
		if (!err)
			err = l2_measure(x, &l2io[i], 500, &r);
		x->l2_wall_ns = x->l2_thread_ns = x->l2_softirqd_ns = 0;
		if (err || r.recv == 0 || r.ns <= 0) {
			snprintf(x->skip, sizeof(x->skip), "sendmmsg/recvmmsg: %s",
				 err ? strerror(-err) : "nothing received");
			continue;
		}
		nbatch[i] = (uint64_t)(target_ms * 1e6 / r.ns / L2_BATCH);
		if (nbatch[i] < 100)
			nbatch[i] = 100;
	}
	for (rep = 0; rep < reps; rep++) {
		fprintf(stderr, "L2: repetition %d/%d\n", rep + 1, reps);
		shuffle(order, nduts, &rng);
		for (i = 0; i < nduts; i++) {
			struct dut *x = &duts[order[i]];
			int k;

			if (!nbatch[order[i]])
				continue;
			err = l2_measure(x, &l2io[order[i]], nbatch[order[i]], &r);
			if (err)
				goto out;
			x->pps[x->n2] = r.pps_wall;
			x->cpu[x->n2] = r.ns;
			x->n2++;
			x->repeat2 = (uint32_t)(nbatch[order[i]] * L2_BATCH);
			x->l2_sent += r.sent;
			x->l2_recv += r.recv;
			x->l2_mark_ok += r.mark_ok;
			x->l2_mark_bad += r.mark_bad;
			for (k = 0; k < C_N; k++)
				x->l2_d[k] += r.delta[k];
		}
	}
out:
	l2_teardown(duts, nduts);
	return err;
}

bool l2_proven(const struct dut *x)
{
	const uint64_t *c = x->l2_d;
	bool ok = x->n2 && x->l2_recv == x->l2_sent && x->l2_mark_ok == x->l2_recv &&
		  !x->l2_mark_bad;

	if (dut_is_ft(x))
		ok = ok && c[C_XDP] == x->l2_sent && c[C_WRITTEN] == c[C_XDP] && !c[C_FAILED] &&
		     c[C_SEEN] == c[C_WRITTEN] && c[C_TC] == c[C_XDP] && !c[C_PARSE] &&
		     c[C_HIT] + c[C_MISS] + c[C_UNCACHED] == c[C_XDP] &&
		     (x->pol->uncached ? c[C_UNCACHED] == c[C_XDP] : !c[C_UNCACHED]);
	return ok;
}

/* The L2 table, of @reps2 repetitions. */
void l2_print(const struct dut *duts, int nduts, int reps2)
{
	char proof[200], rb[16];	/* rules_str() needs 12 */
	int i;

	printf("\nL2  veth end to end with socket traffic: a UDP socket in a generator\n"
	       "    namespace sends 60-byte frames with sendmmsg() (64 per call, 64 sources\n"
	       "    per call, one destination port: up to %d rules x 64 sources) over a veth\n"
	       "    (GRO/GSO/TSO off on both ends, ethtool -K) to the DUT namespace: native\n"
	       "    XDP, tc ingress (%s), netfilter, IP, UDP sockets that receive with\n"
	       "    recvmmsg() and check each packet's mark (SO_RCVMARK) against its flow's\n"
	       "    class.\n"
	       "    Sender and receiver are one thread on CPU %d: ns/pkt = CPU time of the\n"
	       "    thread + ksoftirqd/%d / received packets (sender, receiver, the DUT's\n"
	       "    NAPI); x floor = floor ns/pkt / row ns/pkt of the same repetition\n"
	       "    (packets per CPU-second relative to the floor); pps = received / wall\n"
	       "    time (noisy on a shared machine). Median of %d, rows interleaved.\n"
	       "    A policy of fewer rules cycles over fewer ports and sockets (cheaper\n"
	       "    for the socket layer): each row's diff and x floor are against the\n"
	       "    floor of the same traffic, floor (n) cycling over n rules' ports.\n\n",
	       L2_RULES, ftb_tc_hook, bench_cpu, bench_cpu, reps2);
	printf("%-10s %6s %9s %8s %8s %8s %10s  %s\n", "variant", "rules", "pps", "ns/pkt",
	       "diff", "x floor", "recv/sent", "proof: marks ok/bad; flowtag: meta written, "
	       "tc seen, hits (or uncached: no flow cache)");
	for (i = 0; i < nduts; i++) {
		const struct dut *x = &duts[i];
		const char *rules;
		int n;

		if (!l2_row(x))
			continue;
		/* a floor: the rules its traffic cycles over */
		if (x->kind == V_FLOOR)
			snprintf(rb, sizeof(rb), "(%d)", l2_traffic_rules(x));
		rules = x->kind == V_FLOOR ? rb : rules_str(x, rb);
		if (!x->n2) {
			printf("%-10s %6s  skipped: %s\n", var_name[x->kind], rules, x->skip);
			continue;
		}
		n = snprintf(proof, sizeof(proof), "%s %" PRIu64 "/%" PRIu64,
			     l2_proven(x) ? "ok" : "FAILED", x->l2_mark_ok, x->l2_mark_bad);
		if (dut_is_ft(x))
			snprintf(proof + n, sizeof(proof) - (size_t)n,
				 "; %" PRIu64 ", %" PRIu64 ", %s%" PRIu64, x->l2_d[C_WRITTEN],
				 x->l2_d[C_SEEN], x->pol->uncached ? "uncached " : "",
				 x->pol->uncached ? x->l2_d[C_UNCACHED] : x->l2_d[C_HIT]);
		printf("%-10s %6s %9.0f %8.1f %8.1f %8.3f %9.2f%%  %s\n", var_name[x->kind],
		       rules, x->spps.med, x->scpu.med, x->s2diff.med,
		       x->s2ratio.med, x->l2_sent ? 100.0 * (double)x->l2_recv / (double)x->l2_sent : 0,
		       proof);
	}
}
