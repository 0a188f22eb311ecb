// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The writer of the daemon's records that pinned.c reads: ft_info,
 * ft_ifaces, ft_health, ft_ifhealth and the ft_hoff entries. See pinned.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pinned.h"
#include "pinned_write.h"

/*
 * ft_hoff entries: one per attached ifindex, made here so the programs
 * only look up (no insert on the packet path); entries of interfaces we
 * no longer attach go.
 */
static void hoff_sync(const struct ft_pinned_state *s)
{
	int fd = ft_loader_map_fd(s->loader, "ft_hoff"), ncpu = libbpf_num_possible_cpus();
	__u32 key, next, *prev = NULL;
	void *zero;
	size_t i;

	if (fd < 0 || ncpu <= 0)
		return;
	zero = calloc((size_t)ncpu, sizeof(struct ft_hoff));
	if (!zero)
		return;
	for (i = 0; i < s->ifs->natt; i++) {
		key = s->ifs->att[i].ifindex;
		bpf_map_update_elem(fd, &key, zero, BPF_NOEXIST);
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		bool keep = false;

		for (i = 0; i < s->ifs->natt; i++)
			keep |= s->ifs->att[i].ifindex == next;
		if (!keep && !bpf_map_delete_elem(fd, &next))
			continue;	/* deleted: iterate again from the same key */
		key = next;
		prev = &key;
	}
	free(zero);
}

void ft_pinned_publish(const struct ft_pinned_state *s)
{
	__u32 zero = 0, i;
	int fd = ft_loader_map_fd(s->loader, "ft_ifaces");

	hoff_sync(s);
	/* the attached interfaces, then the entries nothing answers to
	 * (ifindex 0, FT_IFACE_F_ABSENT): status shows them as absent */
	s->info->nifaces = s->ifs->natt + s->ifs->nabsent;
	if (s->info->nifaces > FT_MAX_IFACES)
		s->info->nifaces = FT_MAX_IFACES;
	for (i = 0; i < FT_MAX_IFACES; i++) {
		struct ft_iface_info rec = { 0 };

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
	s->health->repairs = s->rep->repairs;
	s->health->prog_xdp = s->expect->xdp;
	s->health->prog_xdp_frags = s->expect->xdp_frags;
	s->health->prog_tc_ingress = s->expect->tc_ingress;
	s->health->prog_tc_egress = s->expect->tc_egress;
	s->health->seq = s->info->reloads + s->info->reload_failures;
	bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_health"), &zero, s->health, 0);
	if (s->confirm)
		bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_confirm"), &zero, s->confirm,
				    0);
	/* last: flowtagctl reload waits for ft_info, then reads the rest */
	bpf_map_update_elem(ft_loader_map_fd(s->loader, "ft_info"), &zero, s->info, 0);
}
