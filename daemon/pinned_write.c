// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The writer of the daemon's records that pinned.c reads: ft_info,
 * ft_ifaces, ft_health, ft_ifhealth, ft_ifshaping, the ft_hoff entries, and the ft_devs
 * entries (claimed when an interface is attached). See pinned.h.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pinned.h"
#include "pinned_write.h"

/* ---- ft_devs (flowtag/maps.h) ---- */

/*
 * Every possible CPU's copy of the ft_devs entry of @ifindex in @fd, into
 * *@v (free() it). Returns the number of CPUs or -errno.
 */
static int dev_read(int fd, uint32_t ifindex, struct ft_dev **v)
{
	uint32_t key = ifindex & (FT_DEV_SLOTS - 1);
	int ncpu = libbpf_num_possible_cpus(), err;

	*v = NULL;
	if (fd < 0)
		return -EBADF;
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	/* 40 bytes, a multiple of 8: the per-CPU values are packed */
	*v = calloc((size_t)ncpu, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, *v)) {
		err = -errno;
		free(*v);
		*v = NULL;
		return err;
	}
	return ncpu;
}

/* Write tag @tag, @l2 and zero counters into every CPU's copy of the entry of @ifindex. */
static int dev_write(int fd, uint32_t ifindex, struct ft_dev *v, int ncpu, uint32_t tag,
		     uint32_t l2)
{
	uint32_t key = ifindex & (FT_DEV_SLOTS - 1);
	int cpu;

	for (cpu = 0; cpu < ncpu; cpu++)
		v[cpu] = (struct ft_dev){ .ifindex = tag, .l2 = l2 };
	return bpf_map_update_elem(fd, &key, v, BPF_ANY) ? -errno : 0;
}

/* The CPU whose copy in @v holds @tag, -1 if none. */
static int dev_cpu(const struct ft_dev *v, int ncpu, uint32_t tag)
{
	int cpu;

	for (cpu = 0; cpu < ncpu; cpu++)
		if (v[cpu].ifindex == tag)
			return cpu;
	return -1;
}

int ft_dev_claim(int fd, uint32_t ifindex, uint32_t l2)
{
	struct ft_dev *v;
	int ncpu, cpu, own = 0, err;

	if (!ifindex)
		return -EINVAL;
	ncpu = dev_read(fd, ifindex, &v);
	if (ncpu < 0)
		return ncpu;
	for (cpu = 0; cpu < ncpu; cpu++) {
		if (v[cpu].ifindex && v[cpu].ifindex != ifindex) {
			pr_debug("ifindex %u: ft_devs entry %u belongs to ifindex %u: link type "
				 "in ft_links, hand-off counters in ft_hoff", ifindex,
				 ifindex & (FT_DEV_SLOTS - 1), v[cpu].ifindex);
			free(v);
			return 0;
		}
		own += v[cpu].ifindex == ifindex && v[cpu].l2 == l2;
	}
	err = 0;
	if (own < ncpu) {
		/* l2 first, under tag 0 (the programs read ft_links), then the tag */
		err = dev_write(fd, ifindex, v, ncpu, 0, l2);
		if (!err)
			err = dev_write(fd, ifindex, v, ncpu, ifindex, l2);
	}
	free(v);
	return err ? err : 1;
}

void ft_dev_release(int fd, uint32_t ifindex)
{
	struct ft_dev *v;
	int ncpu, cpu;

	ncpu = dev_read(fd, ifindex, &v);
	if (ncpu < 0 || !ifindex)
		goto out;
	cpu = dev_cpu(v, ncpu, ifindex);
	if (cpu < 0)
		goto out;
	/* the tag first (l2 stays), then everything */
	if (!dev_write(fd, ifindex, v, ncpu, 0, v[cpu].l2))
		dev_write(fd, ifindex, v, ncpu, 0, 0);
out:
	free(v);
}

int ft_hoff_reset(int devs_fd, int hoff_fd, uint32_t ifindex)
{
	struct ft_dev *v;
	int ncpu, cpu, err;

	ncpu = dev_read(devs_fd, ifindex, &v);
	cpu = ncpu > 0 && ifindex ? dev_cpu(v, ncpu, ifindex) : -1;
	if (cpu >= 0) {
		/* the same tag and l2: nothing the programs read changes */
		err = dev_write(devs_fd, ifindex, v, ncpu, ifindex, v[cpu].l2);
	} else if (hoff_fd < 0) {
		err = -ENOENT;
	} else {
		ncpu = libbpf_num_possible_cpus();
		free(v);
		v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(struct ft_hoff)) : NULL;
		if (!v)
			err = ncpu > 0 ? -ENOMEM : -EINVAL;
		else
			err = bpf_map_update_elem(hoff_fd, &ifindex, v, BPF_EXIST) ? -errno : 0;
	}
	free(v);
	return err;
}

/* The tag of the ft_devs entry @key: its first CPU's that is not 0, 0 if none. */
static uint32_t dev_tag(int fd, uint32_t key)
{
	struct ft_dev *v;
	uint32_t tag = 0;
	int ncpu, cpu;

	ncpu = dev_read(fd, key, &v);
	for (cpu = 0; cpu < ncpu && !tag; cpu++)
		tag = v[cpu].ifindex;
	free(v);
	return tag;
}

static bool attached(const struct ft_pinned_state *s, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < s->ifs->natt; i++)
		if (s->ifs->att[i].ifindex == ifindex)
			return true;
	return false;
}

/*
 * ft_hoff entries: one per attached ifindex without an ft_devs entry of
 * its own, made here so the programs only look up (no insert on the packet
 * path); entries of interfaces we no longer attach go, and so do their
 * ft_devs entries (left by a previous flowtagd, say).
 */
static void hoff_sync(const struct ft_pinned_state *s)
{
	int fd = ft_loader_map_fd(s->loader, "ft_hoff"), ncpu = libbpf_num_possible_cpus();
	int devs = ft_loader_map_fd(s->loader, "ft_devs");
	__u32 key, next, *prev = NULL;
	uint32_t tag;
	void *zero;
	size_t i;

	for (key = 0; key < FT_DEV_SLOTS; key++) {
		tag = dev_tag(devs, key);
		if (tag && !attached(s, tag))
			ft_dev_release(devs, tag);
	}
	if (fd < 0 || ncpu <= 0)
		return;
	zero = calloc((size_t)ncpu, sizeof(struct ft_hoff));
	if (!zero)
		return;
	for (i = 0; i < s->ifs->natt; i++) {
		key = s->ifs->att[i].ifindex;
		if (dev_tag(devs, key & (FT_DEV_SLOTS - 1)) == key)
			bpf_map_delete_elem(fd, &key);	/* counted in ft_devs */
		else
			bpf_map_update_elem(fd, &key, zero, BPF_NOEXIST);
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!attached(s, next) && !bpf_map_delete_elem(fd, &next))
			continue;	/* deleted: iterate again from the same key */
		key = next;
		prev = &key;
	}
	free(zero);
}

void ft_health_set_progs(struct ft_health *h, const struct ft_live_expect *exp)
{
	h->prog_xdp = exp->xdp;
	h->prog_xdp_frags = exp->xdp_frags;
	h->prog_tc_ingress = exp->tc_ingress;
	h->prog_tc_egress = exp->tc_egress;
}

void ft_pinned_publish(const struct ft_pinned_state *s)
{
	__u32 zero = 0, i;
	int fd = ft_loader_map_fd(s->loader, "ft_ifaces");

	hoff_sync(s);
	/* the attached interfaces, then the entries nothing answers to
	 * (ifindex 0, FT_IFACE_F_ABSENT): status shows them as absent; then
	 * the interfaces there that could not be attached (ifindex 0,
	 * FT_IFACE_F_FAILED): status shows them down */
	char failed[FT_MAX_IFACES][FT_IFNAMSIZ];
	__u32 nfailed = 0, k;

	for (k = 0; k < s->ifs->nfailed && k < FT_MAX_IFACES; k++) {
		char name[IF_NAMESIZE];

		if (if_indextoname(s->ifs->failed[k], name))
			snprintf(failed[nfailed++], FT_IFNAMSIZ, "%s", name);
	}
	s->info->nifaces = s->ifs->natt + s->ifs->nabsent;
	if (s->info->nifaces > FT_MAX_IFACES)
		s->info->nifaces = FT_MAX_IFACES;
	if (nfailed > FT_MAX_IFACES - s->info->nifaces)
		nfailed = FT_MAX_IFACES - s->info->nifaces;
	for (i = 0; i < FT_MAX_IFACES; i++) {
		struct ft_iface_info rec = { 0 };

		if (i >= s->info->nifaces && i < s->info->nifaces + nfailed) {
			const struct ft_iface *ifc;

			memcpy(rec.name, failed[i - s->info->nifaces], sizeof(rec.name));
			ifc = ft_policy_iface_for(s->pol, failed[i - s->info->nifaces]);
			rec.flags = FT_IFACE_F_FAILED |
				    (ifc && ifc->required ? FT_IFACE_F_REQUIRED : 0) |
				    (ifc && ft_ifname_is_pattern(ifc->name) ? FT_IFACE_F_PATTERN : 0);
			bpf_map_update_elem(fd, &i, &rec, 0);
			continue;
		}

		if (i < s->ifs->natt) {
			snprintf(rec.name, sizeof(rec.name), "%s", s->ifs->att[i].name);
			rec.ifindex = s->ifs->att[i].ifindex;
			rec.xdp_mode = s->ifs->att[i].xdp_mode;
			const struct ft_iface *ifc = ft_policy_iface_for(s->pol, rec.name);

			rec.flags = s->ifs->att[i].flags;
			if (ifc && ifc->required)
				rec.flags |= FT_IFACE_F_REQUIRED;
			if (ifc && ft_ifname_is_pattern(ifc->name))
				rec.flags |= FT_IFACE_F_PATTERN;
			rec.link_type = s->ifs->att[i].link_type;
			rec.l2 = s->ifs->att[i].l2;
		} else if (i < s->info->nifaces) {
			const struct ft_iface_absent *ab = &s->ifs->absent[i - s->ifs->natt];

			memcpy(rec.name, ab->name, sizeof(rec.name));
			rec.flags = FT_IFACE_F_ABSENT | (ab->required ? FT_IFACE_F_REQUIRED : 0) |
				    (ab->pattern ? FT_IFACE_F_PATTERN : 0);
		}
		bpf_map_update_elem(fd, &i, &rec, 0);
	}
	s->info->nifaces += nfailed;
	for (i = 0; i < FT_MAX_IFACES; i++) {
		struct ft_iface_health ih = { 0 };

		if (i < s->ifs->natt) {
			const struct ft_watch *w = ft_repair_watch(s->rep, s->ifs->att[i].name);

			ih.ifindex = s->ifs->att[i].ifindex;
			ih.repairs = w->repairs;
			ih.last_repair = w->last_repair;
			ih.flags = (w->gave_up ? FT_IFH_F_GAVE_UP : 0) |
				   (w->stalled ? FT_IFH_F_STALLED : 0);
			snprintf(ih.last, sizeof(ih.last), "%s", w->last);
		}
		bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_ifhealth"), &i, &ih, 0);
	}
	for (i = 0; i < FT_MAX_IFACES; i++) {
		struct ft_iface_shaping is = { 0 };

		if (i < s->ifs->natt && s->ifs->att[i].shaping_failed) {
			is.ifindex = s->ifs->att[i].ifindex;
			is.flags = s->ifs->att[i].shaping_failed;
			snprintf(is.why, sizeof(is.why), "%s", s->ifs->att[i].shaping_why);
		}
		bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_ifshaping"), &i, &is, 0);
	}
	s->health->repairs = s->rep->repairs;
	ft_health_set_progs(s->health, s->expect);
	s->health->seq = s->info->reloads + s->info->reload_failures;
	bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_health"), &zero, s->health, 0);
	if (s->confirm)
		bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_confirm"), &zero, s->confirm,
				    0);
	/* last: ft_info (generation, reload counts) says the rest is written */
	bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_info"), &zero, s->info, 0);
}
