/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Logging for flowtagd and flowtagctl: stderr in the foreground, syslog
 * otherwise. libbpf's own messages come through here too (debug level
 * unless -v).
 */
#ifndef FLOWTAG_LOG_H
#define FLOWTAG_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum ft_log_target {
	FT_LOG_STDERR = 0,
	FT_LOG_SYSLOG,
};

/**
 * ft_log_init() - where messages go and how much of them.
 * @ident:   program name, for syslog and as the stderr prefix
 * @target:  FT_LOG_STDERR or FT_LOG_SYSLOG
 * @verbose: 0 info, 1 debug (and libbpf's messages)
 */
void ft_log_init(const char *ident, enum ft_log_target target, int verbose);

void ft_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As ft_log(), without the "error: "/"warning: " prefix on stderr: for
 * messages that carry their own, such as "FILE:LINE: error: ...". */
void ft_log_plain(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * ft_log_last_error() - the text of the last error logged ("" after
 * ft_log_clear_error()), so a caller can pass on why a step failed (for
 * flowtagctl reload) without every function returning a message.
 */
const char *ft_log_last_error(void);

/**
 * ft_log_first_error() - the text of the first error logged since
 * ft_log_clear_error() ("" if none): the cause, where the last is often
 * its consequence ("policy rejected").
 */
const char *ft_log_first_error(void);
void ft_log_clear_error(void);

#define pr_err(fmt, ...)	ft_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	ft_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	ft_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	ft_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* FLOWTAG_LOG_H */
