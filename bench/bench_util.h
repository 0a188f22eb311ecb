/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Small helpers of the benchmark driver: statistics, clocks, the flow
 * generator's PRNG, a growing string, and the machine facts recorded with
 * the results (kernel, CPU model, steal time).
 */
#ifndef FLOWTAG_BENCH_UTIL_H
#define FLOWTAG_BENCH_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- statistics ---- */

static inline int ftb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, min and max of @n samples (n >= 1); @v is not modified. */
struct ftb_stat {
	double med, min, max;
	int n;
};

static inline struct ftb_stat ftb_stats(const double *v, int n)
{
	struct ftb_stat s = { 0 };
	double tmp[64];
	int i;

	if (n <= 0)
		return s;
	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		tmp[i] = v[i];
	qsort(tmp, n, sizeof(*tmp), ftb_cmp_double);
	s.n = n;
	s.min = tmp[0];
	s.max = tmp[n - 1];
	s.med = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
	return s;
}

/* ---- clocks ---- */

/* CPU time of the calling thread, ns: a test run executes in the calling
 * thread, and this clock leaves out the time other tasks (and, with steal
 * accounting, the hypervisor) took the CPU away. */
static inline uint64_t ftb_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline uint64_t ftb_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- deterministic PRNG (splitmix64): the same flows every run ---- */

static inline uint64_t ftb_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- growing string ---- */

struct ftb_buf {
	char *s;
	size_t len, cap;
	int err;		/* -ENOMEM once an append failed */
};

static inline void __attribute__((format(printf, 2, 3))) ftb_printf(struct ftb_buf *b,
								 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 4096;
			char *ns;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			ns = realloc(b->s, cap);
			if (!ns) {
				b->err = -ENOMEM;
				return;
			}
			b->s = ns;
			b->cap = cap;
		}
	}
}

static inline void ftb_buf_free(struct ftb_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* ---- machine facts ---- */

/* "model name" of the first CPU in /proc/cpuinfo, or "unknown". */
static inline void ftb_cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !c)
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, len, "%s", c);
		break;
	}
	fclose(f);
}

/* /proc/stat counters of one "cpu" line, in USER_HZ ticks. */
struct ftb_cpustat {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

static inline uint64_t ftb_cpustat_busy(const struct ftb_cpustat *s)
{
	return s->user + s->nice + s->system + s->irq + s->softirq;
}

static inline uint64_t ftb_cpustat_total(const struct ftb_cpustat *s)
{
	return ftb_cpustat_busy(s) + s->idle + s->iowait + s->steal;
}

/*
 * Read /proc/stat: @all gets the "cpu" line, @per gets "cpuN" lines for
 * N < @nper (the others are skipped). Returns 0 or -errno.
 */
static inline int ftb_read_cpustat(struct ftb_cpustat *all, struct ftb_cpustat *per, int nper)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct ftb_cpustat s = { 0 };
		char name[32];
		int cpu;

		if (strncmp(line, "cpu", 3))
			break;
		if (sscanf(line, "%31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64, name, &s.user, &s.nice,
			   &s.system, &s.idle, &s.iowait, &s.irq, &s.softirq, &s.steal) != 9)
			continue;
		if (!strcmp(name, "cpu"))
			*all = s;
		else if (sscanf(name, "cpu%d", &cpu) == 1 && cpu >= 0 && cpu < nper)
			per[cpu] = s;
	}
	fclose(f);
	return 0;
}

#endif /* FLOWTAG_BENCH_UTIL_H */
