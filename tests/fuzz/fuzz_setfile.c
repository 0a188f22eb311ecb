// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer target: prefix-set file contents -> prefixes. Invariants beyond
 * "no sanitizer report, no leak": errors at FILE:LINE (fuzz.h), at most
 * FT_SET_FILE_MAX_ERRORS + 1 of them, no prefix on a rejected file, no more
 * prefixes than lines, and every prefix a canonical one (host bits zero,
 * length within the family's) that formats and parses back to itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "setfile.h"
#include "strparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_diag diag = { 0 };
	struct ft_prefix *pfx = NULL, back;
	size_t n = 0, i, lines = 1;
	char buf[64], err[256];
	int rc;

	rc = ft_set_file_parse((const char *)data, size, "fuzz.txt", &pfx, &n, &diag);
	fuzz_check_diag(&diag);
	if (diag.nerrors > FT_SET_FILE_MAX_ERRORS + 1)
		FUZZ_FAIL("%d errors, more than the cap", diag.nerrors);
	if (rc) {
		if (rc != -EINVAL && rc != -ENOMEM)
			FUZZ_FAIL("unexpected rc %d", rc);
		if (rc == -EINVAL && !diag.nerrors)
			FUZZ_FAIL("rejected without an error");
		if (pfx || n)
			FUZZ_FAIL("rejected, but %zu prefixes returned", n);
	} else if (diag.nerrors) {
		FUZZ_FAIL("accepted with %d errors", diag.nerrors);
	}
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (n > lines)
		FUZZ_FAIL("%zu prefixes from %zu lines", n, lines);
	for (i = 0; i < n; i++) {
		if (pfx[i].family != AF_INET && pfx[i].family != AF_INET6)
			FUZZ_FAIL("prefix %zu: family %d", i, pfx[i].family);
		if (pfx[i].len > (pfx[i].family == AF_INET ? 32 : 128))
			FUZZ_FAIL("prefix %zu: length %d", i, pfx[i].len);
		ft_format_prefix(&pfx[i], buf, sizeof(buf));
		if (ft_parse_prefix(buf, &back, err, sizeof(err)) || back.family != pfx[i].family ||
		    back.len != pfx[i].len ||
		    memcmp(back.addr, pfx[i].addr, pfx[i].family == AF_INET ? 4 : 16))
			FUZZ_FAIL("prefix %zu: %s does not parse back to itself", i, buf);
	}
	free(pfx);
	ft_diag_free(&diag);
	return 0;
}
