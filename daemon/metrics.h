/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Prometheus metrics: flowtag's counters as a .prom file for
 * node_exporter's textfile collector.
 */
#ifndef FLOWTAG_METRICS_H
#define FLOWTAG_METRICS_H

#include <stdio.h>

/**
 * ft_metrics_write() - write the counters pinned under @pin_dir to @path in
 * the Prometheus text format: to a temporary file next to it, then renamed,
 * so the collector never reads half a file.
 * Returns 0 or -errno.
 */
int ft_metrics_write(const char *path, const char *pin_dir);

/**
 * ft_metrics_label() - write @v to @f as a label value of the text format:
 * backslash, double quote and newline escaped, and UTF-8 (a byte that is
 * not part of a valid sequence becomes U+FFFD).
 */
void ft_metrics_label(FILE *f, const char *v);

#endif /* FLOWTAG_METRICS_H */
