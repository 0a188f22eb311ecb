/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The maps the programs never read or write, for flowtagctl only: what the
 * loader writes about the policy (classes, rules and their names, per
 * slot: their names and files) and what flowtagd records about itself (ft_info, ft_ifaces,
 * ft_health, ft_ifhealth, ft_confirm, ft_ifshaping). Declared in the BPF
 * objects so that the loader creates and pins them with the others. BPF
 * only, part of classify.h: included by it, and only there.
 */
#ifndef FLOWTAG_XDP_RECORDS_H
#define FLOWTAG_XDP_RECORDS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "flowtag/maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_CLASSES);
	__type(key, __u32);
	__type(value, struct ft_class_info);
} ft_classes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ft_rule_info);
} ft_rule_info SEC(".maps");

/* never read by the programs: the loader writes it for flowtagctl */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ft_rule_name);
} ft_rule_name SEC(".maps");

/* never read by the programs: the loader writes them for flowtagctl */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ft_rule_file);
} ft_rule_file SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_SLOTS * FT_MAX_SRCFILES);
	__type(key, __u32);
	__type(value, struct ft_srcfile);
} ft_srcfile SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ft_daemon_info);
} ft_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct ft_iface_info);
} ft_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ft_health);
} ft_health SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct ft_iface_health);
} ft_ifhealth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ft_confirm_info);
} ft_confirm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct ft_iface_shaping);
} ft_ifshaping SEC(".maps");

#endif /* FLOWTAG_XDP_RECORDS_H */
