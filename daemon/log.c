// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"

static const char *log_ident = "flowtag";
static enum ft_log_target log_target = FT_LOG_STDERR;
static int log_verbose;
static char last_error[512];
static char first_error[512];

static void ft_vlog(int level, bool plain, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERR] = "error: ",
		[LOG_WARNING] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};

	if (level == LOG_ERR) {
		va_list cp;

		va_copy(cp, ap);
		vsnprintf(last_error, sizeof(last_error), fmt, cp);
		va_end(cp);
		if (!first_error[0])
			snprintf(first_error, sizeof(first_error), "%s", last_error);
	}
	if (level == LOG_DEBUG && !log_verbose)
		return;
	if (log_target == FT_LOG_SYSLOG) {
		vsyslog(level, fmt, ap);
		return;
	}
	fprintf(stderr, "%s: %s", log_ident,
		!plain && level >= 0 && level <= LOG_DEBUG && prefix[level] ? prefix[level] : "");
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

void ft_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ft_vlog(level, false, fmt, ap);
	va_end(ap);
}

void ft_log_plain(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ft_vlog(level, true, fmt, ap);
	va_end(ap);
}

/* libbpf prints warnings for things we handle (probes, pin reuse): keep
 * them at debug level, where -v shows them. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_verbose < 2)
		return 0;
	ft_vlog(LOG_DEBUG, false, fmt, ap);
	return 0;
}

void ft_log_init(const char *ident, enum ft_log_target target, int verbose)
{
	log_ident = ident;
	log_target = target;
	log_verbose = verbose;
	if (target == FT_LOG_SYSLOG)
		openlog(ident, LOG_PID, LOG_DAEMON);
	libbpf_set_print(libbpf_print);
}

const char *ft_log_last_error(void)
{
	return last_error;
}

const char *ft_log_first_error(void)
{
	return first_error;
}

void ft_log_clear_error(void)
{
	last_error[0] = '\0';
	first_error[0] = '\0';
}
