// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The probe frames of flowtagctl explain --live: built, run through the
 * running programs, their verdicts judged. See liveprobe.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>

#include "liveprobe.h"

#define ETH_MIN_FRAME	60	/* without FCS */
#define ETHERTYPE_PROBE	0x88b5	/* IEEE local experimental: a frame that is not IP */

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The IPv4 header checksum over @n bytes. */
static unsigned int ip_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The L4 header of @d at @p: its length. */
static size_t put_l4(const struct ft_pkt_desc *d, uint8_t *p)
{
	unsigned int sport = d->sport > 0 ? (unsigned int)d->sport : 0;
	unsigned int dport = d->dport > 0 ? (unsigned int)d->dport : 0;

	switch (d->proto) {
	case IPPROTO_TCP:
		memset(p, 0, 20);
		put16(p, sport);
		put16(p + 2, dport);
		p[12] = 5 << 4;		/* data offset: 20 bytes */
		p[13] = d->tcp_flags > 0 ? (uint8_t)d->tcp_flags : 0;
		put16(p + 14, 65535);	/* window */
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		memset(p, 0, 8);
		put16(p, sport);
		put16(p + 2, dport);
		put16(p + 4, 8);
		return 8;
	case IPPROTO_SCTP:
		memset(p, 0, 12);
		put16(p, sport);
		put16(p + 2, dport);
		return 12;
	case IPPROTO_ICMP:
		memset(p, 0, 8);
		p[0] = 8;		/* echo request */
		return 8;
	case IPPROTO_ICMPV6:
		memset(p, 0, 8);
		p[0] = 128;		/* echo request */
		return 8;
	default:
		memset(p, 0, 8);
		return 8;
	}
}

size_t ft_pkt_frame(const struct ft_pkt_desc *d, bool l3_only, uint8_t *buf, size_t len)
{
	uint8_t *p = buf, *ip;
	size_t l4len, iplen;
	unsigned int dscp = d->dscp > 0 ? (unsigned int)d->dscp & 63 : 0;
	unsigned int ethertype = d->family == AF_INET ? 0x0800 :
				 d->family == AF_INET6 ? 0x86dd : ETHERTYPE_PROBE;

	if (len < FT_PROBE_FRAME_MAX || (l3_only && !d->family))
		return 0;
	memset(buf, 0, FT_PROBE_FRAME_MAX);
	if (!l3_only) {
		/* locally administered addresses: to 02::02 from 02::01 */
		p[5] = 2;
		p[0] = 2;
		p[6] = 2;
		p[11] = 1;
		p += 12;
		if (d->vlan >= 0) {
			put16(p, 0x8100);
			put16(p + 2, (unsigned int)d->vlan & 0xfff);
			p += 4;
		}
		put16(p, ethertype);
		p += 2;
	}
	if (!d->family)
		return ETH_MIN_FRAME;	/* zero payload up to the minimum */

	ip = p;
	if (d->family == AF_INET) {
		p += 20;
		l4len = put_l4(d, p);
		iplen = 20 + l4len;
		ip[0] = 0x45;
		ip[1] = (uint8_t)(dscp << 2);
		put16(ip + 2, (unsigned int)iplen);
		ip[8] = 64;
		ip[9] = (uint8_t)d->proto;
		memcpy(ip + 12, d->src, 4);
		memcpy(ip + 16, d->dst, 4);
		put16(ip + 10, ip_csum(ip, 20));
	} else {
		p += 40;
		l4len = put_l4(d, p);
		iplen = 40 + l4len;
		ip[0] = (uint8_t)(0x60 | dscp >> 2);
		ip[1] = (uint8_t)((dscp & 3) << 6);
		put16(ip + 4, (unsigned int)l4len);
		ip[6] = (uint8_t)d->proto;
		ip[7] = 64;
		memcpy(ip + 8, d->src, 16);
		memcpy(ip + 24, d->dst, 16);
	}
	len = (size_t)(ip - buf) + iplen;
	return !l3_only && len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
}

/* One test run of @prog_fd: @in to @res, @ctx_in to @ctx_out. Return: 0 or -errno. */
static int test_run(int prog_fd, const void *in, size_t len, void *res, uint32_t *res_len,
		    void *ctx_in, void *ctx_out, size_t ctx_size, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = res, .data_size_out = *res_len, .ctx_in = ctx_in,
		    .ctx_size_in = (uint32_t)ctx_size, .ctx_out = ctx_out,
		    .ctx_size_out = (uint32_t)ctx_size, .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*res_len = o.data_size_out;
	*retval = o.retval;
	return 0;
}

void ft_probe_xdp(int prog_fd, const uint8_t *frame, size_t len, uint32_t ifindex,
		  struct ft_probe_result *out)
{
	const struct flowtag_probe pr = { .w0 = FT_PROBE_W0, .w1 = FT_PROBE_W1 };
	uint8_t in[sizeof(pr) + FT_PROBE_FRAME_MAX], res[sizeof(in) + 64];
	struct xdp_md ctx_in = { 0 }, ctx_out = { 0 };
	uint32_t res_len = sizeof(res);

	memset(out, 0, sizeof(*out));
	if (len > FT_PROBE_FRAME_MAX) {
		out->err = -EMSGSIZE;
		return;
	}
	/* the probe words as the frame's metadata: ctx data = its length */
	memcpy(in, &pr, sizeof(pr));
	memcpy(in + sizeof(pr), frame, len);
	ctx_in.data = sizeof(pr);
	ctx_in.data_end = (uint32_t)(sizeof(pr) + len);
	ctx_in.ingress_ifindex = ifindex;
	out->err = test_run(prog_fd, in, sizeof(pr) + len, res, &res_len, &ctx_in, &ctx_out,
			    sizeof(ctx_in), &out->retval);
	out->ran = !out->err;
	/* data_out starts at data_meta: our tag, then the probe words */
	if (out->ran && ctx_out.data >= sizeof(struct flowtag_meta) + sizeof(pr) &&
	    res_len >= sizeof(struct flowtag_meta)) {
		memcpy(&out->meta, res, sizeof(out->meta));
		out->has_meta = out->meta.magic_ver == FLOWTAG_META_WORD;
	}
}

void ft_probe_tc(int prog_fd, const uint8_t *frame, size_t len, uint32_t ifindex,
		 struct ft_probe_result *out)
{
	struct __sk_buff ctx_in = { 0 }, ctx_out = { 0 };
	uint8_t res[FT_PROBE_FRAME_MAX + 64];
	uint32_t res_len = sizeof(res);

	memset(out, 0, sizeof(*out));
	ctx_in.cb[0] = FT_PROBE_W0;
	ctx_in.cb[1] = FT_PROBE_W1;
	ctx_in.cb[2] = FT_PROBE_W2;
	ctx_in.cb[3] = FT_PROBE_W3;
	ctx_in.ingress_ifindex = ifindex;
	ctx_in.ifindex = ifindex;
	out->err = test_run(prog_fd, frame, len, res, &res_len, &ctx_in, &ctx_out,
			    sizeof(ctx_in), &out->retval);
	out->ran = !out->err;
	out->mark = ctx_out.mark;
	out->priority = ctx_out.priority;
}

/* "rule 3 class 1 mark 0x100 priority 0x10010": the tag in @m. */
static void meta_text(const struct flowtag_meta *m, char *buf, size_t len)
{
	char rule[16], cls[16];

	if (m->rule_id == FT_RULE_NONE)
		snprintf(rule, sizeof(rule), "none");
	else
		snprintf(rule, sizeof(rule), "%u", m->rule_id);
	if (m->class_id == FT_CLASS_NONE)
		snprintf(cls, sizeof(cls), "none");
	else
		snprintf(cls, sizeof(cls), "%u", m->class_id);
	snprintf(buf, len, "rule %s class %s %s mark %#x priority %#x%s dscp %u%s", rule, cls,
		 (m->flags & FT_META_F_NOTAG) ? "untagged" : "tagged", m->mark,
		 (m->flags & FT_META_F_PRIO) ? m->priority : 0,
		 (m->flags & FT_META_F_PRIO) ? "" : " (none)", m->dscp,
		 (m->flags & FT_META_F_DSCP) ? " (rewrite)" : "");
}

/* Clear @why; true (and @why says so) when the test run itself failed. */
static bool run_failed(const struct ft_probe_result *got, char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
	if (got->ran)
		return false;
	snprintf(why, len, "the test run failed: %s", strerror(-got->err));
	return true;
}

#define TAG_FLAGS	(FT_META_F_NOTAG | FT_META_F_PRIO | FT_META_F_DSCP | FT_META_F_DEFAULT)

bool ft_probe_check_xdp(const struct ft_verdict *want, const struct ft_probe_result *got,
			char *why, size_t len)
{
	const struct flowtag_meta *w = &want->meta, *g = &got->meta;
	bool want_drop = want->action == FT_ACT_DROP;
	bool got_drop = got->ran && (got->retval == XDP_DROP ||
				     (got->retval == XDP_PASS && got->has_meta &&
				      (g->flags & FT_META_F_DROP)));
	char a[160], b[160];

	if (run_failed(got, why, len))
		return false;
	if (want_drop || got_drop) {
		if (want_drop == got_drop && (!got->has_meta || g->rule_id == w->rule_id))
			return true;
		meta_text(w, a, sizeof(a));
		if (got->has_meta)
			meta_text(g, b, sizeof(b));
		snprintf(why, len, "kernel: %s%s%s; userspace: %s%s",
			 got_drop ? "drop" : "pass", got->has_meta ? ", " : "",
			 got->has_meta ? b : "", want_drop ? "drop, " : "", a);
		return false;
	}
	if (got->retval != XDP_PASS || !got->has_meta) {
		meta_text(w, a, sizeof(a));
		snprintf(why, len, "kernel: XDP verdict %u without flowtag metadata; userspace: %s",
			 got->retval, a);
		return false;
	}
	if (g->rule_id == w->rule_id && g->class_id == w->class_id &&
	    (g->flags & TAG_FLAGS) == (w->flags & TAG_FLAGS) &&
	    ((w->flags & FT_META_F_NOTAG) ||
	     (g->mark == w->mark && (!(w->flags & FT_META_F_PRIO) || g->priority == w->priority) &&
	      (!(w->flags & FT_META_F_DSCP) || g->dscp == w->dscp))))
		return true;
	meta_text(g, b, sizeof(b));
	meta_text(w, a, sizeof(a));
	snprintf(why, len, "kernel: %s; userspace: %s", b, a);
	return false;
}

bool ft_probe_check_tc(const struct ft_verdict *want, uint32_t mark_mask,
		       const struct ft_probe_result *got, char *why, size_t len)
{
	const struct flowtag_meta *w = &want->meta;
	bool want_drop = want->action == FT_ACT_DROP;
	bool tagged = !want_drop && !(w->flags & FT_META_F_NOTAG);
	uint32_t mark = tagged ? w->mark & mark_mask : 0;
	uint32_t prio = tagged && (w->flags & FT_META_F_PRIO) ? w->priority : 0;
	bool got_drop = got->ran && got->retval == TC_ACT_SHOT;

	if (run_failed(got, why, len))
		return false;
	if (want_drop || got_drop) {
		if (want_drop == got_drop)
			return true;
		snprintf(why, len, "kernel: %s; userspace: %s", got_drop ? "drop (TC_ACT_SHOT)" :
			 "not dropped", want_drop ? "drop" : "not dropped");
		return false;
	}
	if (got->mark == mark && got->priority == prio)
		return true;
	snprintf(why, len, "kernel: mark %#x priority %#x; userspace: mark %#x priority %#x%s",
		 got->mark, got->priority, mark, prio, tagged ? "" : " (untagged)");
	return false;
}
