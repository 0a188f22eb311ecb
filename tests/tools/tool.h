/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* What the test tools share: stopping on a signal, a monotonic clock. */
#ifndef FLOWTAG_TEST_TOOL_H
#define FLOWTAG_TEST_TOOL_H

#include <signal.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGTERM and SIGINT set `stop`; the tools check it in their loops. */
static inline void stop_on_signals(void)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* FLOWTAG_TEST_TOOL_H */
