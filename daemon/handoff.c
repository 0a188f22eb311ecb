// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The XDP -> tc hand-off verdict (see handoff.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flowtag/maps.h"
#include "handoff.h"

static const char *const handoff_names[] = {
	[FT_HANDOFF_IDLE] = "idle",
	[FT_HANDOFF_NO_TC] = "no-tc",
	[FT_HANDOFF_OK] = "ok",
	[FT_HANDOFF_DEGRADED] = "degraded",
	[FT_HANDOFF_FALLBACK] = "fallback",
};

const char *ft_handoff_state_name(enum ft_handoff_state st)
{
	return (unsigned int)st < sizeof(handoff_names) / sizeof(handoff_names[0]) ?
		       handoff_names[st] : "?";
}

uint64_t ft_permille(uint64_t num, uint64_t den)
{
	return den ? (uint64_t)((unsigned __int128)num * 1000 / den) : 0;
}

char *ft_format_permille(uint64_t pm, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%llu%%", (unsigned long long)(pm / 10),
		 (unsigned long long)(pm % 10));
	return buf;
}

static void hint(struct ft_handoff *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void hint(struct ft_handoff *h, const char *fmt, ...)
{
	va_list ap;

	if (h->nhints >= FT_HANDOFF_HINTS)
		return;
	va_start(ap, fmt);
	vsnprintf(h->hint[h->nhints++], FT_HANDOFF_TEXT_LEN, fmt, ap);
	va_end(ap);
}

void ft_handoff_assess(const uint64_t *cnt, struct ft_handoff *h)
{
	unsigned long long tc = cnt[FT_CNT_TC_PKTS], seen = cnt[FT_CNT_META_SEEN];
	unsigned long long fb = cnt[FT_CNT_FALLBACK], xdp = cnt[FT_CNT_XDP_PKTS];
	unsigned long long written = cnt[FT_CNT_META_WRITTEN];
	char pct[32];

	memset(h, 0, sizeof(*h));
	h->permille = ft_permille(seen, tc);
	if (!tc && !xdp) {
		h->state = FT_HANDOFF_IDLE;
		snprintf(h->summary, sizeof(h->summary), "no packets seen yet");
	} else if (!tc) {
		h->state = FT_HANDOFF_NO_TC;
		snprintf(h->summary, sizeof(h->summary),
			 "WARNING: XDP saw %llu packets, tc ingress none: is the tc ingress "
			 "filter attached?", xdp);
	} else {
		ft_format_permille(h->permille, pct, sizeof(pct));
		if (h->permille >= FT_HANDOFF_OK_PERMILLE) {
			h->state = FT_HANDOFF_OK;
			snprintf(h->summary, sizeof(h->summary),
				 "%s of tc packets carried metadata (%llu of %llu)", pct, seen, tc);
		} else if (fb > tc / 2) {
			h->state = FT_HANDOFF_FALLBACK;
			snprintf(h->summary, sizeof(h->summary),
				 "WARNING: fallback dominates: only %s of tc packets carried "
				 "metadata, tc classified %llu of %llu itself", pct, fb, tc);
		} else {
			h->state = FT_HANDOFF_DEGRADED;
			snprintf(h->summary, sizeof(h->summary),
				 "%s of tc packets carried metadata, tc classified %llu of %llu "
				 "itself", pct, fb, tc);
		}
	}

	if (h->state != FT_HANDOFF_DEGRADED && h->state != FT_HANDOFF_FALLBACK)
		return;
	if (cnt[FT_CNT_ADJUST_FAILED])
		hint(h, "bpf_xdp_adjust_meta() failed %llu times: the driver gives XDP "
		     "no room for metadata, so tc classified those packets again; use "
		     "xdp_mode = \"generic\" there, or a driver with metadata support "
		     "(veth, virtio_net, tun, ...)",
		     (unsigned long long)cnt[FT_CNT_ADJUST_FAILED]);
	if (cnt[FT_CNT_META_INVALID])
		hint(h, "%llu packets carried metadata that is not flowtag's: another "
		     "XDP program writes metadata (see `bpftool net`), or the XDP program "
		     "attached is from another flowtag version",
		     (unsigned long long)cnt[FT_CNT_META_INVALID]);
	if (cnt[FT_CNT_META_NONE] && written > seen)
		hint(h, "tc found no metadata on %llu packets while XDP wrote it on %llu "
		     "and tc saw it on %llu: the driver may not pass XDP metadata on to the "
		     "skb (generic mode always does)",
		     (unsigned long long)cnt[FT_CNT_META_NONE], written, seen);
	if (cnt[FT_CNT_META_NONE] && tc > xdp)
		hint(h, "tc saw %llu packets more than XDP: some interface has no "
		     "flowtag XDP program (see the interfaces above), or packets arrive "
		     "through a device XDP does not see",
		     tc - xdp);
}
