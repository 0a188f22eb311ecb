/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the shapers did: the kernel's statistics of the HTB classes
 * flowtagd built (egress_shaping on an interface, ingress_shaping on its
 * IFB device), found from the interface records pinned by flowtagd, for
 * flowtagctl stats and the metrics. Read-only; rtnl_class statistics
 * through libnl-route-3.
 */
#ifndef FLOWTAG_SHAPESTATS_H
#define FLOWTAG_SHAPESTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtag/maps.h"
#include "policy.h"

struct ft_pinned;
struct ft_out;

/* One HTB class of a shaped device, as the kernel counts it. */
struct ft_htb_stats {
	uint32_t classid;		/* 1:X */
	char classes[64];		/* policy classes with priority 1:X, comma-separated */
	uint64_t bytes;			/* sent by the class (shaped bytes) */
	uint64_t packets;		/* sent by the class */
	uint64_t drops;			/* dropped by the class or its leaf qdisc, the larger */
	uint64_t overlimits;		/* times the class was over its rate or ceil */
	uint64_t backlog_bytes;		/* queued now */
	uint64_t backlog_packets;	/* queued now */
	uint64_t rate;			/* bytes/s now (the class's rate estimator; 0 if none) */
};

/* A device with flowtag's HTB tree. */
struct ft_shaped_dev {
	char iface[FT_IFNAMSIZ];	/* the policy interface */
	char dev[FT_IFNAMSIZ];		/* where the tree is: the interface or its IFB */
	uint32_t ifindex;		/* of @dev */
	bool ingress;			/* ingress_shaping (through the IFB) */
	struct ft_htb_stats *classes;	/* leaf classes, by classid */
	size_t nclasses;
};

struct ft_shaping_report {
	struct ft_shaped_dev devs[2 * FT_MAX_IFACES];
	size_t ndevs;
	char error[128];		/* a device that could not be read, or "" */
};

/**
 * ft_shaping_report_read() - the HTB class statistics of every device with
 * flowtag's tree, from the interface records under @s (FT_IFACE_F_SHAPED,
 * FT_IFACE_F_INGRESS_SHAPED); class names from the policy of @slot. Must
 * run in flowtagd's network namespace.
 * Return: 0 (also with no shaped device; a device that could not be read
 * is skipped and named in @r->error), or -errno. Free with
 * ft_shaping_report_free() in either case.
 */
int ft_shaping_report_read(struct ft_pinned *s, uint32_t slot, struct ft_shaping_report *r);

/** ft_shaping_report_free() - release what ft_shaping_report_read() allocated. */
void ft_shaping_report_free(struct ft_shaping_report *r);

/**
 * ft_shaping_report_class() - the statistics of HTB class @classid summed
 * over every shaped device (a class may be shaped on the way out and on the
 * way in). Return: false when no device has that class.
 */
bool ft_shaping_report_class(const struct ft_shaping_report *r, uint32_t classid,
			     struct ft_htb_stats *sum);

/* The column heads ft_shaping_out_cells() fills, NULL-terminated. */
extern const char *const ft_shaping_heads[];

/**
 * ft_shaping_out_cells() - the shaping cells of a class row (shaped bytes,
 * drops, overlimits, backlog, rate) for priority @priority (@has_priority
 * false: none), summed over devices; "-"/null for a class no tree has.
 */
void ft_shaping_out_cells(struct ft_out *o, const struct ft_shaping_report *r, bool has_priority,
			  uint32_t priority);

/**
 * ft_shaping_out_devices() - the table "shaping": one row per device and
 * HTB class. Nothing when no device is shaped.
 */
void ft_shaping_out_devices(struct ft_out *o, const struct ft_shaping_report *r);

/** ft_format_bitrate() - a measured rate, "3.82mbit" style, into @buf. */
char *ft_format_bitrate(uint64_t bytes_per_sec, char *buf, size_t len);

#endif /* FLOWTAG_SHAPESTATS_H */
