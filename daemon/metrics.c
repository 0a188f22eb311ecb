// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtag/maps.h"
#include "metrics.h"
#include "stats.h"

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static int write_all(FILE *f, struct ft_stats *s)
{
	uint64_t cnt[FT_CNT_MAX];
	struct ft_daemon_info info = { 0 };
	struct ft_policy_hdr h;
	struct ft_state st;
	uint32_t i;
	int err, pass;

	err = ft_stats_state(s, &st);
	if (!err)
		err = ft_stats_policy(s, st.slot, &h);
	if (!err)
		err = ft_stats_counters(s, cnt);
	if (err)
		return err;
	ft_stats_info(s, &info);

	fprintf(f, "# HELP flowtag_policy_generation Generation of the active policy.\n"
		   "# TYPE flowtag_policy_generation gauge\n"
		   "flowtag_policy_generation %u\n", st.generation);
	fprintf(f, "# HELP flowtag_reloads_total Successful policy reloads.\n"
		   "# TYPE flowtag_reloads_total counter\n"
		   "flowtag_reloads_total %u\n", info.reloads);
	fprintf(f, "# HELP flowtag_reload_failures_total Rejected policy reloads.\n"
		   "# TYPE flowtag_reload_failures_total counter\n"
		   "flowtag_reload_failures_total %u\n", info.reload_failures);

	fprintf(f, "# HELP flowtag_datapath_total Data path and XDP->tc hand-off counters.\n"
		   "# TYPE flowtag_datapath_total counter\n");
	for (i = 0; i < FT_CNT_MAX; i++)
		fprintf(f, "flowtag_datapath_total{counter=\"%s\"} %" PRIu64 "\n",
			ft_counter_names[i].key, cnt[i]);

	/* per generation: they restart at 0 on a reload, as counters may. One
	 * family at a time: the text format wants a family's samples together. */
	for (pass = 0; pass < 2; pass++) {
		const char *what = pass ? "bytes" : "packets";

		fprintf(f, "# HELP flowtag_class_%s_total %s tagged with a class.\n"
			   "# TYPE flowtag_class_%s_total counter\n", what,
			pass ? "Bytes" : "Packets", what);
		for (i = 0; i < h.nclasses && i < FT_MAX_CLASSES; i++) {
			struct ft_class_info ci;
			struct ft_pktcnt c;

			if (ft_stats_class(s, st.slot, i, &ci, &c))
				continue;
			ci.name[sizeof(ci.name) - 1] = '\0';
			fprintf(f, "flowtag_class_%s_total{class=\"", what);
			put_label(f, ci.name);
			fprintf(f, "\"} %llu\n", (unsigned long long)(pass ? c.bytes : c.packets));
		}
	}
	fprintf(f, "# HELP flowtag_rule_packets_total Packets that matched a rule.\n"
		   "# TYPE flowtag_rule_packets_total counter\n");
	for (i = 0; i < h.nrules && i < FT_MAX_RULES; i++) {
		struct ft_rule_info ri;
		struct ft_pktcnt c;

		if (ft_stats_rule(s, st.slot, i, &ri, &c))
			continue;
		fprintf(f, "flowtag_rule_packets_total{rule=\"%u\",line=\"%u\",action=\"%s\"} %llu\n",
			i, ri.line, ft_action_name(ri.action), (unsigned long long)c.packets);
	}
	return ferror(f) ? -EIO : 0;
}

int ft_metrics_write(const char *path, const char *pin_dir)
{
	struct ft_stats s;
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = ft_stats_open(&s, pin_dir);
	if (err)
		return err;
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		goto out;
	}
	err = write_all(f, &s);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	ft_stats_close(&s);
	return err;
}
