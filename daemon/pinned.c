// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Reading flowtag's pinned maps, read-only, for flowtagctl.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pinned.h"

/* What each map must look like for this build to read it correctly. */
struct map_spec {
	const char *name;
	enum bpf_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
};

static const struct map_spec map_specs[FT_PINNED_MAX] = {
	[FT_PINNED_STATE] = { "ft_state", BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct ft_state),
			      1 },
	[FT_PINNED_POLICY] = { "ft_policy", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			       sizeof(struct ft_policy_hdr), FT_SLOTS },
	[FT_PINNED_INFO] = { "ft_info", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			     sizeof(struct ft_daemon_info), 1 },
	[FT_PINNED_IFACES] = { "ft_ifaces", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			       sizeof(struct ft_iface_info), FT_MAX_IFACES },
	[FT_PINNED_COUNTERS] = { "ft_health_cnt", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
				 sizeof(struct ft_counters), 1 },
	[FT_PINNED_CLASSES] = { "ft_classes", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				sizeof(struct ft_class_info), FT_SLOTS * FT_MAX_CLASSES },
	[FT_PINNED_RULE_INFO] = { "ft_rule_info", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				  sizeof(struct ft_rule_info), FT_SLOTS * FT_MAX_RULES },
	[FT_PINNED_RULE_CNT] = { "ft_rule_cnt", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
				 sizeof(struct ft_pktcnt), FT_SLOTS * FT_MAX_RULES },
	[FT_PINNED_CLASS_CNT] = { "ft_class_cnt", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
				  sizeof(struct ft_pktcnt), FT_SLOTS * FT_MAX_CLASSES },
	[FT_PINNED_HEALTH] = { "ft_health", BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct ft_health),
			       1 },
	[FT_PINNED_IFHEALTH] = { "ft_ifhealth", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				 sizeof(struct ft_iface_health), FT_MAX_IFACES },
	[FT_PINNED_RULE_NAME] = { "ft_rule_name", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				  sizeof(struct ft_rule_name), FT_SLOTS * FT_MAX_RULES },
	[FT_PINNED_CONFIRM] = { "ft_confirm", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				sizeof(struct ft_confirm_info), 1 },
	[FT_PINNED_HOFF] = { "ft_hoff", BPF_MAP_TYPE_PERCPU_HASH, sizeof(__u32), sizeof(struct ft_hoff),
			     FT_MAX_IFACES },
	[FT_PINNED_DEVS] = { "ft_devs", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32), sizeof(struct ft_dev),
			     FT_DEV_SLOTS },
	/* the loader sizes it to the machine: any number of buckets */
	[FT_PINNED_FLOW_CACHE] = { "ft_flow_cache", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
				   sizeof(struct ft_flow_bucket), 1 },
	/* the loader sizes it: possible CPUs x pages per CPU */
	[FT_PINNED_FLOW4] = { "ft_flow4", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			      sizeof(struct ft_flow4_page), 1 },
	[FT_PINNED_IFSHAPING] = { "ft_ifshaping", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				  sizeof(struct ft_iface_shaping), FT_MAX_IFACES },
	[FT_PINNED_RULE_FILE] = { "ft_rule_file", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				  sizeof(struct ft_rule_file), FT_SLOTS * FT_MAX_RULES },
	[FT_PINNED_SRCFILE] = { "ft_srcfile", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				sizeof(struct ft_srcfile), FT_SLOTS * FT_MAX_SRCFILES },
};

/* Per-CPU values are copied out with each CPU's slot rounded up to 8 bytes. */
#define PERCPU_STRIDE(size)	(((size_t)(size) + 7) & ~(size_t)7)
#define MAX_PERCPU_VALUE	sizeof(struct ft_counters)
_Static_assert(sizeof(struct ft_counters) >= sizeof(struct ft_hoff) &&
	       sizeof(struct ft_counters) >= sizeof(struct ft_dev) &&
	       sizeof(struct ft_counters) >= sizeof(struct ft_pktcnt), "the largest per-CPU value");

const char *ft_pinned_map_name(enum ft_pinned_map m)
{
	return m < FT_PINNED_MAX ? map_specs[m].name : "?";
}

static int check_layout(int fd, const struct map_spec *sp, const char *path)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	/* more entries than we read is fine (a build with larger limits) */
	if (info.type != sp->type || info.key_size != sp->key_size ||
	    info.value_size != sp->value_size || info.max_entries < sp->max_entries) {
		pr_err("%s: map type %u, key %u, value %u bytes, %u entries; this flowtagctl "
		       "expects type %u, key %u, value %u bytes, at least %u entries "
		       "(pins of another flowtag version?)",
		       path, info.type, info.key_size, info.value_size, info.max_entries,
		       sp->type, sp->key_size, sp->value_size, sp->max_entries);
		return -EPROTO;
	}
	return 0;
}

/* fd of map @m, opening it read-only on first use. */
static int map_fd(struct ft_pinned *s, enum ft_pinned_map m)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	char path[sizeof(s->dir) + 32];
	int fd, err;

	if (s->fd[m] >= 0)
		return s->fd[m];
	snprintf(path, sizeof(path), "%s/%s", s->dir, map_specs[m].name);
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0) {
		err = -errno;
		/* the caller explains ENOENT and EACCES/EPERM in its own words */
		if (err != -ENOENT && err != -EACCES && err != -EPERM)
			pr_err("cannot open %s: %s", path, strerror(-err));
		return err;
	}
	err = check_layout(fd, &map_specs[m], path);
	if (err) {
		close(fd);
		return err;
	}
	s->fd[m] = fd;
	return fd;
}

/*
 * Pins another flowtag version wrote in another data-path format (ft_info,
 * ft_datapath_format_foreign()): same map sizes, content this build would
 * misread. An unreadable ft_info is left to the caller.
 */
static int check_format(struct ft_pinned *s)
{
	struct ft_daemon_info info;

	if (ft_pinned_info(s, &info) || !ft_datapath_format_foreign(info.format))
		return 0;
	pr_err("the pins in %s hold data-path format %u, this flowtagctl reads format %u "
	       "(pinned maps from another flowtag version): use that version's flowtagctl, "
	       "or remove them with flowtagd --cleanup", s->dir, info.format, FT_DATAPATH_FORMAT);
	return -EPROTO;
}

int ft_pinned_open(struct ft_pinned *s, const char *pin_dir)
{
	int i, err;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < FT_PINNED_MAX; i++)
		s->fd[i] = -1;
	s->ready = true;
	if (snprintf(s->dir, sizeof(s->dir), "%s", pin_dir) >= (int)sizeof(s->dir)) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	s->ncpu = libbpf_num_possible_cpus();
	if (s->ncpu <= 0) {
		err = s->ncpu < 0 ? s->ncpu : -EINVAL;
		goto fail;
	}
	s->buf = calloc((size_t)s->ncpu, PERCPU_STRIDE(MAX_PERCPU_VALUE));
	if (!s->buf) {
		err = -ENOMEM;
		goto fail;
	}
	err = map_fd(s, FT_PINNED_STATE);
	if (err < 0)
		goto fail;
	err = check_format(s);
	if (err)
		goto fail;
	return 0;
fail:
	ft_pinned_close(s);
	return err;
}

void ft_pinned_close(struct ft_pinned *s)
{
	int i;

	if (!s->ready)
		return;
	for (i = 0; i < FT_PINNED_MAX; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
	free(s->buf);
	s->buf = NULL;
	s->ready = false;
}

static int lookup(struct ft_pinned *s, enum ft_pinned_map m, uint32_t key, void *val)
{
	int fd = map_fd(s, m);

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &key, val))
		return -errno;
	return 0;
}

int ft_percpu_sum(int fd, uint32_t key, size_t value_size, int ncpu, void *buf, uint64_t *sum,
		  unsigned int nwords)
{
	size_t stride = PERCPU_STRIDE(value_size);
	unsigned int w;
	int cpu;

	if (bpf_map_lookup_elem(fd, &key, buf))
		return -errno;
	for (w = 0; w < nwords; w++)
		sum[w] = 0;
	for (cpu = 0; cpu < ncpu; cpu++) {
		const uint64_t *v = (const uint64_t *)((const char *)buf + cpu * stride);

		for (w = 0; w < nwords; w++)
			sum[w] += v[w];
	}
	return 0;
}

/* Sum the per-CPU __u64 words of a per-CPU value of @nwords words. */
static int lookup_percpu_sum(struct ft_pinned *s, enum ft_pinned_map m, uint32_t key,
			     uint64_t *sum, unsigned int nwords)
{
	int fd = map_fd(s, m);

	if (fd < 0)
		return fd;
	return ft_percpu_sum(fd, key, map_specs[m].value_size, s->ncpu, s->buf, sum, nwords);
}

/* The compact cache's entries: CPU c holds pages c * P .. c * P + P - 1. */
static int walk_flow4(struct ft_pinned *s,
		      int (*fn)(const struct ft_flow_key *k, __u32 generation, __u16 rule, int cpu,
				void *arg),
		      void *arg)
{
	struct ft_flow4_page *pg;
	struct bpf_map_info info;
	__u32 len = sizeof(info), key, per_cpu, l, w;
	int fd = map_fd(s, FT_PINNED_FLOW4), rc = 0;
	struct ft_flow_key k;

	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	per_cpu = info.max_entries / (__u32)(s->ncpu > 0 ? s->ncpu : 1);
	if (!per_cpu)
		return -EPROTO;
	pg = malloc(sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	for (key = 0; key < info.max_entries && !rc; key++) {
		if (bpf_map_lookup_elem(fd, &key, pg)) {
			rc = -errno;
			break;
		}
		for (l = 0; l < FT_FLOW4_LINES && !rc; l++)
			for (w = 0; w < FT_FLOW4_WAYS && !rc; w++) {
				const struct ft_flow4_way *x = &pg->line[l].way[w];

				if (!x->generation)
					continue;
				ft_flow4_key_wide(&x->key, &k);
				rc = fn(&k, x->generation, x->rule, (int)(key / per_cpu), arg);
			}
	}
	free(pg);
	return rc;
}

int ft_pinned_flow_cache(struct ft_pinned *s,
			 int (*fn)(const struct ft_flow_key *k, __u32 generation, __u16 rule, int cpu,
				   void *arg),
			 void *arg)
{
	size_t stride = PERCPU_STRIDE(sizeof(struct ft_flow_bucket));
	struct bpf_map_info info;
	__u32 len = sizeof(info), key;
	int fd = map_fd(s, FT_PINNED_FLOW_CACHE), cpu, rc;
	unsigned int w;
	char *buf;

	if (fd < 0)
		return fd;
	rc = walk_flow4(s, fn, arg);
	if (rc && rc != -ENOENT)
		return rc;
	rc = 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	buf = calloc((size_t)s->ncpu, stride);
	if (!buf)
		return -ENOMEM;
	for (key = 0; key < info.max_entries && !rc; key++) {
		if (bpf_map_lookup_elem(fd, &key, buf)) {
			rc = -errno;
			break;
		}
		for (cpu = 0; cpu < s->ncpu && !rc; cpu++) {
			const struct ft_flow_bucket *b =
				(const struct ft_flow_bucket *)(buf + (size_t)cpu * stride);

			for (w = 0; w < FT_FLOW_WAYS && !rc; w++)
				if (b->generation[w])
					rc = fn(&b->key[w], b->generation[w], b->rule[w], cpu, arg);
		}
	}
	free(buf);
	return rc;
}

int ft_pinned_state(struct ft_pinned *s, struct ft_state *st)
{
	return lookup(s, FT_PINNED_STATE, 0, st);
}

int ft_pinned_policy(struct ft_pinned *s, uint32_t slot, struct ft_policy_hdr *h)
{
	if (slot >= FT_SLOTS)
		return -EINVAL;
	return lookup(s, FT_PINNED_POLICY, slot, h);
}

int ft_pinned_info(struct ft_pinned *s, struct ft_daemon_info *info)
{
	int err = lookup(s, FT_PINNED_INFO, 0, info);

	if (!err)
		info->policy[sizeof(info->policy) - 1] = '\0';
	return err;
}

int ft_pinned_iface(struct ft_pinned *s, uint32_t i, struct ft_iface_info *ifc)
{
	int err;

	if (i >= FT_MAX_IFACES)
		return -EINVAL;
	err = lookup(s, FT_PINNED_IFACES, i, ifc);
	if (!err)
		ifc->name[sizeof(ifc->name) - 1] = '\0';
	return err;
}

int ft_pinned_health(struct ft_pinned *s, struct ft_health *h)
{
	int err = lookup(s, FT_PINNED_HEALTH, 0, h);

	if (!err)
		h->missing[sizeof(h->missing) - 1] = '\0';
	return err;
}

int ft_pinned_confirm(struct ft_pinned *s, struct ft_confirm_info *c)
{
	int err = lookup(s, FT_PINNED_CONFIRM, 0, c);

	if (!err)
		c->why[sizeof(c->why) - 1] = '\0';
	return err;
}

int ft_pinned_ifhealth(struct ft_pinned *s, uint32_t i, struct ft_iface_health *ih)
{
	int err;

	if (i >= FT_MAX_IFACES)
		return -EINVAL;
	err = lookup(s, FT_PINNED_IFHEALTH, i, ih);
	if (!err)
		ih->last[sizeof(ih->last) - 1] = '\0';
	return err;
}

int ft_pinned_ifshaping(struct ft_pinned *s, uint32_t i, struct ft_iface_shaping *is)
{
	int err;

	if (i >= FT_MAX_IFACES)
		return -EINVAL;
	err = lookup(s, FT_PINNED_IFSHAPING, i, is);
	if (!err)
		is->why[sizeof(is->why) - 1] = '\0';
	return err;
}

int ft_hoff_sum(int devs_fd, int hoff_fd, uint32_t ifindex, int ncpu, void *buf,
		struct ft_hoff *out)
{
	uint32_t key = ifindex & (FT_DEV_SLOTS - 1);
	uint64_t sum[4] = { 0 };
	bool found = false;
	int cpu, err;

	_Static_assert(sizeof(struct ft_hoff) == sizeof(sum), "ft_hoff is four __u64");
	_Static_assert(PERCPU_STRIDE(sizeof(struct ft_dev)) == sizeof(struct ft_dev),
		       "ft_dev values are packed per CPU");
	memset(out, 0, sizeof(*out));
	if (ifindex && devs_fd >= 0 && !bpf_map_lookup_elem(devs_fd, &key, buf)) {
		const struct ft_dev *d = buf;

		/* the same tag on every CPU, but for a claim or a release
		 * under way: a CPU without it counts nothing of @ifindex */
		for (cpu = 0; cpu < ncpu; cpu++) {
			if (d[cpu].ifindex != ifindex)
				continue;
			found = true;
			out->meta_written += d[cpu].hoff.meta_written;
			out->tc_pkts += d[cpu].hoff.tc_pkts;
			out->meta_seen += d[cpu].hoff.meta_seen;
		}
		if (found)
			return 0;
	}
	if (hoff_fd < 0)
		return -ENOENT;
	err = ft_percpu_sum(hoff_fd, ifindex, sizeof(struct ft_hoff), ncpu, buf, sum, 4);
	if (err)
		return err;
	out->meta_written = sum[0];
	out->tc_pkts = sum[1];
	out->meta_seen = sum[2];
	return 0;
}

int ft_pinned_hoff(struct ft_pinned *s, uint32_t ifindex, struct ft_hoff *out)
{
	int devs_fd = map_fd(s, FT_PINNED_DEVS), hoff_fd = map_fd(s, FT_PINNED_HOFF);

	/* pins of a version without ft_devs: ft_hoff alone */
	if (devs_fd < 0 && devs_fd != -ENOENT)
		return devs_fd;
	if (hoff_fd < 0 && hoff_fd != -ENOENT)
		return hoff_fd;
	return ft_hoff_sum(devs_fd, hoff_fd, ifindex, s->ncpu, s->buf, out);
}

int ft_pinned_counters(struct ft_pinned *s, uint64_t *out)
{
	/* one entry: every counter of a CPU in one struct ft_counters */
	return lookup_percpu_sum(s, FT_PINNED_COUNTERS, 0, out, FT_CNT_MAX);
}

static int pktcnt(struct ft_pinned *s, enum ft_pinned_map m, uint32_t key, struct ft_pktcnt *cnt)
{
	uint64_t sum[2] = { 0 };
	int err;

	_Static_assert(sizeof(struct ft_pktcnt) == sizeof(sum), "ft_pktcnt is two __u64");
	err = lookup_percpu_sum(s, m, key, sum, 2);
	if (err)
		return err;
	cnt->packets = sum[0];
	cnt->bytes = sum[1];
	return 0;
}

int ft_pinned_class_default(struct ft_pinned *s, uint32_t slot, uint32_t cls,
			    struct ft_pktcnt *cnt)
{
	if (slot >= FT_SLOTS || cls >= FT_MAX_CLASSES)
		return -EINVAL;
	return pktcnt(s, FT_PINNED_CLASS_CNT, slot * FT_MAX_CLASSES + cls, cnt);
}

void ft_pktcnt_add(struct ft_pktcnt *to, const struct ft_pktcnt *c)
{
	to->packets += c->packets;
	to->bytes += c->bytes;
}

int ft_pinned_class_counts(struct ft_pinned *s, uint32_t slot, uint32_t n, struct ft_pktcnt *out,
			   struct ft_pinned_rule_cnt *rules, uint32_t *nrules)
{
	struct ft_pinned_rule_cnt r;
	struct ft_policy_hdr h;
	uint32_t i;
	int err;

	if (nrules)
		*nrules = 0;
	if (slot >= FT_SLOTS || n > FT_MAX_CLASSES)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = ft_pinned_class_default(s, slot, i, &out[i]);
		if (err)
			return err;
	}
	err = ft_pinned_policy(s, slot, &h);
	if (err)
		return err;
	for (i = 0; i < h.nrules && i < FT_MAX_RULES; i++) {
		err = ft_pinned_rule(s, slot, i, &r.info, &r.cnt);
		if (err)
			return err;
		if (r.info.class_id < n)
			ft_pktcnt_add(&out[r.info.class_id], &r.cnt);
		if (rules)
			rules[i] = r;
	}
	if (nrules)
		*nrules = i;
	return 0;
}

int ft_pinned_class(struct ft_pinned *s, uint32_t slot, uint32_t cls, struct ft_class_info *ci)
{
	int err;

	if (slot >= FT_SLOTS || cls >= FT_MAX_CLASSES)
		return -EINVAL;
	err = lookup(s, FT_PINNED_CLASSES, slot * FT_MAX_CLASSES + cls, ci);
	if (err)
		return err;
	ci->name[sizeof(ci->name) - 1] = '\0';
	return 0;
}

int ft_pinned_rule(struct ft_pinned *s, uint32_t slot, uint32_t rule, struct ft_rule_info *ri,
		   struct ft_pktcnt *cnt)
{
	uint32_t key = slot * FT_MAX_RULES + rule;
	int err;

	if (slot >= FT_SLOTS || rule >= FT_MAX_RULES)
		return -EINVAL;
	if (ri) {
		err = lookup(s, FT_PINNED_RULE_INFO, key, ri);
		if (err)
			return err;
	}
	return cnt ? pktcnt(s, FT_PINNED_RULE_CNT, key, cnt) : 0;
}

int ft_pinned_rule_name(struct ft_pinned *s, uint32_t slot, uint32_t rule,
			struct ft_rule_name *rn)
{
	int err;

	if (slot >= FT_SLOTS || rule >= FT_MAX_RULES)
		return -EINVAL;
	err = lookup(s, FT_PINNED_RULE_NAME, slot * FT_MAX_RULES + rule, rn);
	if (err)
		return err;
	rn->name[sizeof(rn->name) - 1] = '\0';
	return 0;
}

int ft_pinned_rule_file(struct ft_pinned *s, uint32_t slot, uint32_t rule,
			struct ft_srcfile *f)
{
	struct ft_rule_file rf;
	int err;

	if (slot >= FT_SLOTS || rule >= FT_MAX_RULES)
		return -EINVAL;
	err = lookup(s, FT_PINNED_RULE_FILE, slot * FT_MAX_RULES + rule, &rf);
	if (err)
		return err;
	if (rf.file >= FT_MAX_SRCFILES)
		return -ERANGE;
	err = lookup(s, FT_PINNED_SRCFILE, slot * FT_MAX_SRCFILES + rf.file, f);
	if (err)
		return err;
	f->name[sizeof(f->name) - 1] = '\0';
	return (int)rf.file;
}

/*
 * Whether @pid is a live flowtagd. A dead daemon's pid can be reused, and
 * we send signals to it, so the program name must match as well; a zombie
 * is not alive.
 */
enum ft_daemon_state ft_daemon_state(uint32_t pid, char *comm, size_t len)
{
	char path[64], buf[256], *lp, *rp;
	size_t n;
	FILE *f;

	comm[0] = '\0';
	if (!pid || pid > INT_MAX)
		return FT_DAEMON_STOPPED;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f) {
		/* no /proc? then the process's existence is all we can check */
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			return FT_DAEMON_STALE;
		return FT_DAEMON_RUNNING;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold ')' itself, so the last one */
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return FT_DAEMON_RUNNING;
	*rp = '\0';
	snprintf(comm, len, "%s", lp + 1);
	if (rp[2] == 'Z' || rp[2] == 'X')
		return FT_DAEMON_STALE;
	/* comm is at most 15 characters: "flowtagd", "flowtagd-asan" */
	return strncmp(comm, "flowtagd", 8) ? FT_DAEMON_REUSED : FT_DAEMON_RUNNING;
}

const struct ft_counter_name ft_counter_names[] = {
	[FT_CNT_XDP_PKTS] = { "xdp_packets", "XDP packets" },
	[FT_CNT_META_WRITTEN] = { "meta_written", "meta written" },
	[FT_CNT_ADJUST_FAILED] = { "adjust_failed", "adjust failed" },
	[FT_CNT_XDP_DROP] = { "xdp_drops", "XDP drops" },
	[FT_CNT_PARSE_ERR] = { "parse_errors", "parse errors" },
	[FT_CNT_NON_IP] = { "non_ip", "non-IP" },
	[FT_CNT_CACHE_HIT] = { "cache_hits", "cache hits" },
	[FT_CNT_CACHE_MISS] = { "cache_misses", "cache misses" },
	[FT_CNT_UNCACHED] = { "uncached", "classified, no flow cache" },
	[FT_CNT_FRAG_HIT] = { "frag_hits", "fragment hits" },
	[FT_CNT_FRAG_MISS] = { "frag_misses", "fragments before their first" },
	[FT_CNT_TC_PKTS] = { "tc_packets", "tc packets" },
	[FT_CNT_META_SEEN] = { "meta_seen", "meta seen by tc" },
	[FT_CNT_META_INVALID] = { "meta_invalid", "meta invalid" },
	[FT_CNT_META_NONE] = { "meta_none", "no meta" },
	[FT_CNT_FALLBACK] = { "fallback", "fallback used" },
	[FT_CNT_TC_DROP] = { "tc_drops", "tc drops" },
	[FT_CNT_DSCP_REWRITE] = { "dscp_rewrites", "DSCP rewritten" },
	[FT_CNT_EGRESS_PKTS] = { "egress_packets", "egress packets" },
	[FT_CNT_EGRESS_RESTORED] = { "egress_restored", "egress restored" },
	[FT_CNT_VLAN_RECLASS] = { "vlan_reclassified", "reclassified (VLAN offload)" },
	[FT_CNT_PREFILTER] = { "prefiltered", "decided by the drop pre-filter" },
};

/*
 * A new counter in flowtag/maps.h needs a name here. Sized by its
 * initializers, the array is short when the last counter has no name;
 * tests/unit/test_pinned.c finds a gap in the middle (a NULL key).
 */
_Static_assert(sizeof(ft_counter_names) / sizeof(ft_counter_names[0]) == FT_CNT_MAX,
	       "every ft_counter has a name");

const char *ft_action_name(unsigned int action)
{
	switch (action) {
	case FT_ACT_CLASS:
		return "class";
	case FT_ACT_PASS:
		return "pass";
	case FT_ACT_DROP:
		return "drop";
	}
	return "?";
}
