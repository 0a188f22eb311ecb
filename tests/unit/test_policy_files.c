// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Unit tests for what a policy file, its @includes and its prefix-set files
 * can do to the process reading them (issue 10, items 1-7 and 8a): nothing
 * but be refused with FILE:LINE. Each test is one kind of hostile input:
 *  - an @include of a directory, "", "." (libconfig 1.5 exit()s on them)
 *  - absolute @include paths (libconfig 1.5 prepends the include dir)
 *  - integer literals that do not fit (libconfig 1.5 wraps them)
 *  - NUL bytes (libconfig stops reading at one)
 *  - a UTF-8 byte-order mark (accepted)
 *  - strings that are not UTF-8 (refused: they would reach JSON and metrics)
 *  - set files that cannot be read completely
 *  - rejected policies that would leak inside libconfig (10 000 of them)
 *  - files and directories other users can write (refused unless allowed)
 *  - files that change while a load reads them (one version, or refused)
 *  - locations in @include'd files: each names its file
 * Every file lives in a fresh directory under /tmp, removed at the end.
 *
 * Linked with -Wl,--wrap=ft_file_read_logged (see the Makefile): every
 * file the loader reads goes through __wrap_ft_file_read_logged() below,
 * which lets a test change the files between two reads of one load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libconfig.h>

#include "cfgtest.h"
#include "config.h"
#include "strparse.h"
#include "textfile.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* the two lines every policy here starts with */
#define BASE                                       \
	"interfaces = ( { name = \"eth0\"; } );\n" \
	"classes = ( { name = \"c\"; mark = 1; } );\n"

/* ASan's allocator statistics; weak so the file links without ASan too */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

static char dir[64]; /* the test's directory */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ft-pf-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chmod(dir, 0700);
	return rm_tree(dir);
}

/* dir/@name, valid for the next 15 calls */
static const char *at(const char *name)
{
	static char bufs[16][PATH_MAX];
	static int i;
	char *b = bufs[i++ % 16];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

/* Write @len bytes to dir/@name with @mode; returns its path. */
static const char *put_bytes(const char *name, const char *data, size_t len, mode_t mode)
{
	const char *path = at(name);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char *put(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *put(const char *name, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	return put_bytes(name, buf, (size_t)n, 0644);
}

/*
 * Load @path and require a refusal: -EINVAL (or @want_rc when not 0), an
 * untouched policy, and an error "@file:@line: error: ...@substr...".
 */
static void expect_refused(const char *path, unsigned int flags, int want_rc, const char *file,
			   int line, const char *substr)
{
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	int rc = ft_config_load_flags(path, flags, &p, &d);

	if (rc != (want_rc ? want_rc : -EINVAL) || !diag_has(&d, file, line, "error", substr))
		fail_msg("%s: got rc %d:\n%s-- want rc %d and an error at %s:%d containing \"%s\"",
			 path, rc, d.text ? d.text : "(none)\n", want_rc ? want_rc : -EINVAL, file,
			 line, substr);
	assert_true(policy_is_zero(&p));
	ft_diag_free(&d);
}

/* Load @path and require success; the caller frees @p. */
static void expect_ok(const char *path, unsigned int flags, struct ft_policy *p)
{
	struct ft_diag d = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	rc = ft_config_load_flags(path, flags, p, &d);
	if (rc)
		fail_msg("%s: rc %d:\n%s", path, rc, d.text ? d.text : "");
	ft_diag_free(&d);
}

/* ---- 1. @include of a directory, "", "." ------------------------------ */

static void test_include_directory(void **state)
{
	static const struct {
		const char *target;
		const char *msg;
	} cases[] = {
		{ "", "empty file name" },
		{ ".", "is a directory" },
		{ "./", "is a directory" },
		{ "sub", "is a directory" },
		{ "/", "is a directory" },
		{ "/tmp", "is a directory" },
		{ "fifo", "is not a regular file" },
		{ "/dev/null", "is not a regular file" },
		{ "/dev/zero", "is not a regular file" },
		{ "no-such.inc", "No such file" },
	};
	const char *pol;
	size_t i;

	(void)state;
	assert_int_equal(mkdir(at("sub"), 0755), 0);
	assert_int_equal(mkfifo(at("fifo"), 0644), 0);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		/* in the policy itself, and one @include further down */
		pol = put("p.conf", BASE "@include \"%s\"\n", cases[i].target);
		expect_refused(pol, 0, 0, pol, 3, cases[i].msg);
		put("mid.inc", "\n\n  @include \"%s\"\n", cases[i].target);
		pol = put("p.conf", BASE "@include \"mid.inc\"\n");
		expect_refused(pol, 0, 0, at("mid.inc"), 3, cases[i].msg);
	}
	/* prefix-set files: the same kinds, at the line naming the file */
	for (i = 1; i < ARRAY_LEN(cases); i++) {
		pol = put("p.conf",
			  BASE "prefix_sets = ( { name = \"s\";\n file = \"%s\"; } );\n"
			       "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n",
			  cases[i].target);
		expect_refused(pol, 0, 0, pol, 4, cases[i].msg);
	}
	/* a cycle is refused at once, not after ten rounds */
	pol = put("p.conf", BASE "@include \"p.conf\"\n");
	expect_refused(pol, 0, 0, pol, 3, "includes itself");
	unlink(at("fifo"));
	rmdir(at("sub"));
}

/* ---- 2. absolute @include paths --------------------------------------- */

static void test_include_absolute(void **state)
{
	struct ft_policy p;
	const char *pol, *inc;

	(void)state;
	assert_int_equal(mkdir(at("etc"), 0755), 0);
	assert_int_equal(mkdir(at("inc"), 0755), 0);
	inc = put("inc/classes.inc", "classes = ( { name = \"voice\"; mark = 0x100; },\n"
				     "            { name = \"bulk\"; mark = 0x300; } );\n");
	pol = put("etc/p.conf",
		  "interfaces = ( { name = \"eth0\"; } );\n"
		  "@include \"%s\"\n"
		  "default_class = \"bulk\";\n"
		  "rules = ( { match = { dport = 5060; }; class = \"voice\"; } );\n",
		  inc);
	expect_ok(pol, 0, &p);
	assert_int_equal(p.nclasses, 2);
	assert_string_equal(p.classes[1].name, "bulk");
	assert_int_equal(p.classes[1].mark, 0x300);
	assert_int_equal(p.classes[1].line, 2); /* a line of classes.inc */
	assert_int_equal(p.default_class, 1);
	assert_int_equal(p.rules[0].line, 4); /* a line of p.conf */
	ft_policy_free(&p);

	/* errors inside it name it as written */
	put("inc/classes.inc", "classes = ( { name = \"voice\"; mark = 0x100; },\n"
			       "            { name = \"bulk\"; mark = \"0x300\"; } );\n");
	expect_refused(pol, 0, 0, inc, 2, "'mark' must be an integer, not a string");

	/* a missing one: the message names the path tried, not dir + path */
	pol = put("etc/p.conf", BASE "\n@include \"%s\"\n", at("inc/nope.inc"));
	expect_refused(pol, 0, 0, pol, 4, "cannot open '");
	expect_refused(pol, 0, 0, pol, 4, at("inc/nope.inc"));
	/* a relative one resolves against the policy's directory, and says so */
	pol = put("etc/p.conf", BASE "@include \"nope.inc\"\n");
	expect_refused(pol, 0, 0, pol, 3, at("etc/nope.inc"));

	unlink(at("inc/classes.inc"));
	unlink(at("etc/p.conf"));
	rmdir(at("inc"));
	rmdir(at("etc"));
}

/* ---- 3. integer literals that do not fit ------------------------------ */

static void test_integer_literals(void **state)
{
	/* every key that takes an integer, with the value at line 3 */
	static const char *const where[] = {
		"mark_mask = %s;\n",
		"rules = ( { match = { vlan = %s; }; class = \"c\"; } );\n",
		"rules = ( { match = { vlan = [1, %s]; }; class = \"c\"; } );\n",
		"rules = ( { match = { dport = %s; }; class = \"c\"; } );\n",
		"rules = ( { match = { sport = [ 1, %s ]; }; class = \"c\"; } );\n",
		"rules = ( { match = { proto = %s; }; class = \"c\"; } );\n",
		"rules = ( { match = { dscp = %s; }; class = \"c\"; } );\n",
		"classes2 = ( { name = \"d\"; mark = %s; } );\n",
		"x = { priority = %s; };\n",
	};
	/* what libconfig 1.5 would have wrapped, each the kind */
	static const struct {
		const char *lit;
		const char *msg;
	} lits[] = {
		{ "4294967396", "integer 4294967396 does not fit" }, /* -> 100 */
		{ "4294967376", "integer 4294967376 does not fit" }, /* -> 80 */
		{ "4295032576", "integer 4295032576 does not fit" }, /* -> 0xff00 */
		{ "4294967296", "does not fit" }, /* -> 0 */
		{ "2147483648", "write it in hex (0x80000000)" }, /* -> INT_MIN */
		{ "4294967295", "write it in hex (0xffffffff)" }, /* -> -1 */
		{ "-2147483649", "does not fit" },
		{ "99999999999999999999", "does not fit" },
		{ "+18446744073709551617", "does not fit" },
		{ "0x100000064", "hex integer 0x100000064 does not fit in 32 bits" },
		{ "0x0000000100000000", "does not fit in 32 bits" },
		{ "0X1FFFFFFFF", "does not fit in 32 bits" },
		{ "9223372036854775808L", "does not fit in 64 bits" },
		{ "-9223372036854775809LL", "does not fit in 64 bits" },
		{ "0x10000000000000000L", "does not fit in 64 bits" },
	};
	char text[512];
	const char *pol;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(where); i++) {
		for (j = 0; j < ARRAY_LEN(lits); j++) {
			snprintf(text, sizeof(text), where[i], lits[j].lit);
			pol = put("p.conf", BASE "%s", text);
			expect_refused(pol, 0, 0, pol, 3, lits[j].msg);
		}
	}
	/* what fits in the literal but not in the key: refused by the key */
	pol = put("p.conf", BASE "mark_mask = 0x1ffffffffL;\n");
	expect_refused(pol, 0, 0, pol, 3, "'mark_mask' must be between 0 and 0xffffffff");
	pol = put("p.conf",
		  BASE "rules = ( { match = { vlan = 0xffffffff; }; class = \"c\"; } );\n");
	expect_refused(pol, 0, 0, pol, 3, "vlan 4294967295 out of range (0..4095)");
	pol = put("p.conf", BASE "rules = ( { match = { dport = 65536L; }; class = \"c\"; } );\n");
	expect_refused(pol, 0, 0, pol, 3, "dport 65536 out of range");
}

/* The edges that fit are read exactly. */
static void test_integer_edges(void **state)
{
	struct ft_policy p;
	const char *pol;

	(void)state;
	pol = put("p.conf",
		  "interfaces = ( { name = \"eth0\"; } );\n"
		  "mark_mask = 0xffffffff;\n"
		  "classes = ( { name = \"a\"; mark = 2147483647; priority = 0xFFFFFFFF; },\n"
		  "            { name = \"b\"; mark = 0x80000000; priority = 4294967295L; },\n"
		  "            { name = \"c\"; mark = +0; priority = 0x0000000000ffL; } );\n"
		  "rules = ( { match = { vlan = [ 4095, 4094, 7 ]; dport = 0xffff; };\n"
		  "            class = \"a\"; },\n"
		  "          { class = \"c\"; } );\n"
		  "default_class = \"b\";\n");
	expect_ok(pol, 0, &p);
	assert_int_equal(p.mark_mask, 0xffffffff);
	assert_int_equal(p.classes[0].mark, 0x7fffffff);
	assert_int_equal(p.classes[0].priority, 0xffffffff);
	assert_int_equal(p.classes[1].mark, 0x80000000);
	assert_int_equal(p.classes[1].priority, 0xffffffff);
	assert_int_equal(p.classes[2].mark, 0);
	assert_int_equal(p.classes[2].priority, 0xff);
	assert_int_equal(p.rules[0].match.nvlan, 3);
	assert_int_equal(p.rules[0].match.vlan[0], 4095);
	assert_int_equal(p.rules[0].match.dport[0].lo, 65535);
	ft_policy_free(&p);
}

/* ---- 4. NUL bytes ----------------------------------------------------- */

static void test_nul_bytes(void **state)
{
	static const char before_rules[] = BASE "\n\0rules = ( { action = \"drop\"; } );\n";
	static const char before_error[] = BASE "default_class\0 = \"nosuch\";\n";
	static const char in_inc[] = "default_class = \"c\";\n# x\0y\n";
	static const char in_set[] = "198.18.0.0/24\n198.18.1.0/24\0 junk\n198.18.2.0/24\n";
	const char *pol, *set;
	struct ft_policy p;

	(void)state;
	pol = put_bytes("p.conf", before_rules, sizeof(before_rules) - 1, 0644);
	expect_refused(pol, 0, 0, pol, 4, "NUL byte");
	pol = put_bytes("p.conf", before_error, sizeof(before_error) - 1, 0644);
	expect_refused(pol, 0, 0, pol, 3, "NUL byte");
	put_bytes("nul.inc", in_inc, sizeof(in_inc) - 1, 0644);
	pol = put("p.conf", BASE "@include \"nul.inc\"\n");
	expect_refused(pol, 0, 0, at("nul.inc"), 2, "NUL byte");
	/* and spelled as an escape: libconfig would drop it silently */
	pol = put("p.conf", BASE "classes2 = \"a\\x00b\";\n");
	expect_refused(pol, 0, 0, pol, 3, "\\x00 in a string");

	/* in a prefix-set file, an error of that line; the rest is still read */
	set = put_bytes("s.txt", in_set, sizeof(in_set) - 1, 0644);
	pol = put("p.conf", BASE "prefix_sets = ( { name = \"s\"; file = \"s.txt\"; } );\n"
				 "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n");
	expect_refused(pol, 0, 0, set, 2, "NUL byte");
	/* without the NUL, the same file is fine */
	put("s.txt", "198.18.0.0/24\n198.18.1.0/24\n198.18.2.0/24\n");
	expect_ok(pol, 0, &p);
	assert_int_equal(p.sets[0].npfx, 3);
	ft_policy_free(&p);
}

/* ---- 5. a UTF-8 byte-order mark ---------------------------------------- */

static void test_bom(void **state)
{
	struct ft_policy p;
	const char *pol;
	char buf[64];

	(void)state;
	put("s.txt", "\xef\xbb\xbf"
		     "198.18.7.0/24\n2001:db8::/32\n");
	put("c.inc", "\xef\xbb\xbf"
		     "default_class = \"c\";\n");
	pol = put("p.conf",
		  "\xef\xbb\xbf" BASE "prefix_sets = ( { name = \"s\"; file = \"s.txt\"; } );\n"
		  "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n"
		  "@include \"c.inc\"\n");
	expect_ok(pol, 0, &p);
	assert_int_equal(p.nifaces, 1);
	assert_string_equal(p.ifaces[0].name, "eth0");
	assert_int_equal(p.ifaces[0].line, 1);
	assert_int_equal(p.sets[0].npfx, 2);
	assert_string_equal(ft_format_prefix(&p.sets[0].pfx[0], buf, sizeof(buf)), "198.18.7.0/24");
	assert_int_equal(p.default_class, 0);
	ft_policy_free(&p);

	/* only a leading one: elsewhere it is text like any other */
	pol = put("p.conf", BASE "\xef\xbb\xbf"
				 "default_class = \"c\";\n");
	expect_refused(pol, 0, 0, pol, 3, "syntax error: unexpected byte 0xef");
	put("s.txt", "198.18.7.0/24\n\xef\xbb\xbf"
		     "2001:db8::/32\n");
	pol = put("p.conf", BASE "prefix_sets = ( { name = \"s\"; file = \"s.txt\"; } );\n"
				 "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n");
	expect_refused(pol, 0, 0, at("s.txt"), 2, "is not an IPv4 or IPv6");
}

/* ---- 5b. strings that are not UTF-8 ------------------------------------ */

/*
 * Names end up in flowtagctl -j and in the metrics file, every string of
 * the policy in check -j's diagnostics: JSON and Prometheus text are
 * UTF-8, so a string that is not is refused at its line, whether its bytes
 * are raw or \x escapes, wherever it is.
 */
static void test_not_utf8(void **state)
{
	/* each a string that is not UTF-8, raw or escaped, as libconfig decodes it */
	static const char *const bad[] = {
		"caf\xe9",		/* Latin-1 */
		"caf\\xe9",		/* the same as an escape */
		"\x80",			/* a lone continuation byte */
		"\xc0\xaf",		/* overlong '/' */
		"\\xe0\\x80\\xaf",	/* overlong, 3 bytes */
		"\xed\xa0\x80",		/* a surrogate, U+D800 */
		"\xf4\x90\x80\x80",	/* above U+10FFFF */
		"\xf5\x80\x80\x80",
		"x\xe2\x82",		/* cut short */
	};
	/* where: a class, interface, rule, set name, other strings; at line 3 */
	static const char *const where[] = {
		"interfaces = ( { name = \"eth0\"; } );\ndefault_class = \"c\";\n"
		"classes = ( { name = \"c\"; mark = 1; }, { name = \"%s\"; mark = 2; } );\n",
		"classes = ( { name = \"c\"; mark = 1; } );\ndefault_class = \"c\";\n"
		"interfaces = ( { name = \"e%s\"; } );\n",
		BASE "rules = ( { name = \"%s\"; class = \"c\"; } );\n",
		BASE "prefix_sets = ( { name = \"%s\"; prefixes = [ \"10.0.0.0/8\" ]; } );\n",
		BASE "default_class = \"%s\";\n",
		BASE "prefix_sets = ( { name = \"s\"; file = \"%s.txt\"; } );\n",
		BASE "tests = ( { packet = \"proto udp src 10.0.0.1 iif %s\";\n"
		     "            expect = \"c\"; } );\n",
		BASE "x = [ \"a\", \"%s\" ];\n",
	};
	struct ft_policy p;
	char text[512];
	const char *pol;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		for (j = 0; j < ARRAY_LEN(where); j++) {
			snprintf(text, sizeof(text), where[j], bad[i]);
			pol = put("p.conf", "%s", text);
			expect_refused(pol, 0, 0, pol, 3, "string is not valid UTF-8: byte 0x");
		}
	}
	/* the byte and what comes before it are named */
	pol = put("p.conf", BASE "classes2 = ( { name = \"caf\xe9\"; } );\n");
	expect_refused(pol, 0, 0, pol, 3, "not valid UTF-8: byte 0xe9 after \"caf\"");
	/* in an @include'd file, at its line there */
	put("u.inc", "\n\ndefault_class = \"\xff\";\n");
	pol = put("p.conf", BASE "@include \"u.inc\"\n");
	expect_refused(pol, 0, 0, at("u.inc"), 3,
		       "string is not valid UTF-8: byte 0xff at its start");
	/* the @include's file name */
	pol = put("p.conf", BASE "\n@include \"\xe9.inc\"\n");
	expect_refused(pol, 0, 0, pol, 4, "@include file name is not valid UTF-8");

	/* UTF-8 is fine: 2, 3 and 4 bytes, raw or escaped */
	pol = put("p.conf", "interfaces = ( { name = \"eth0\"; } );\n"
			    "classes = ( { name = \"caf\xc3\xa9\"; mark = 1; },\n"
			    "            { name = \"caf\\xc3\\xa9-2\"; mark = 2; },\n"
			    "            { name = \"\xe6\x97\xa5\xe6\x9c\xac\"; mark = 3; } );\n"
			    "rules = ( { name = \"\xf0\x9f\x98\x80\"; match = { dport = 1; }; "
			    "class = \"\xe6\x97\xa5\xe6\x9c\xac\"; },\n"
			    "          { match = { dport = 2; }; class = \"caf\xc3\xa9-2\"; } );\n"
			    "default_class = \"caf\xc3\xa9\";\n");
	expect_ok(pol, 0, &p);
	assert_string_equal(p.classes[0].name, "caf\xc3\xa9");
	assert_string_equal(p.classes[1].name, "caf\xc3\xa9-2");
	assert_string_equal(p.classes[2].name, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_string_equal(p.rules[0].name, "\xf0\x9f\x98\x80");
	ft_policy_free(&p);
}

/* ---- 6. a set file that cannot be read completely ---------------------- */

static void test_set_file_unreadable(void **state)
{
	const char *pol;

	(void)state;
	/* before: fopen() on a FIFO waited for a writer, a directory read as empty */
	assert_int_equal(mkfifo(at("fifo"), 0644), 0);
	pol = put("p.conf", BASE "prefix_sets = ( { name = \"s\"; file = \"fifo\"; } );\n"
				 "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n");
	expect_refused(pol, 0, 0, pol, 3, "is not a regular file");
	unlink(at("fifo"));
	assert_int_equal(mkdir(at("d"), 0755), 0);
	pol = put("p.conf", BASE "prefix_sets = ( { name = \"s\"; file = \"d\"; } );\n"
				 "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n");
	expect_refused(pol, 0, 0, pol, 3, "is a directory");
	rmdir(at("d"));
	/*
	 * A read error part-way: /proc/self/mem is a regular file whose read
	 * at offset 0 fails (EIO), like a disk that gives up in the middle.
	 */
	pol = put("p.conf", BASE "prefix_sets = ( { name = \"s\"; file = \"/proc/self/mem\"; } );\n"
				 "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n");
	expect_refused(pol, FT_CONFIG_INSECURE_FILES, 0, pol, 3, "cannot read '/proc/self/mem'");
	/* running out of memory while reading one: see test_oom in test_config.c */
}

/* ---- 7. 10 000 rejected policies leave no memory behind ---------------- */

static void test_rejections_do_not_leak(void **state)
{
	static const char *const bad[] = {
		"\"\"", /* libconfig 1.5 leaks this one */
		BASE "x = 1 \"leak\";\n",
		BASE "rules = ( \"a\" \"b\" ];\n",
		BASE "@include \".\"\n",
		BASE "mark_mask = 4294967396;\n",
		BASE "rules = ( { class = \"nosuch\"; } );\n",
		BASE "x = \"unterminated\n",
	};
	const char *paths[ARRAY_LEN(bad)];
	size_t i, before, after;
	struct ft_policy p;
	struct ft_diag d;
	config_t cfg;
	int k;

	(void)state;
	if (!__sanitizer_get_current_allocated_bytes) {
		print_message("      not built with ASan: no allocator statistics, skipped\n");
		skip();
	}
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		char name[16];

		snprintf(name, sizeof(name), "bad%zu.conf", i);
		paths[i] = strdup(put(name, "%s", bad[i]));
		assert_non_null(paths[i]);
	}

	/* the measure sees libconfig's own leak (with LSan looking away) */
	__lsan_disable();
	before = __sanitizer_get_current_allocated_bytes();
	for (k = 0; k < 100; k++) {
		config_init(&cfg);
		assert_false(config_read_string(&cfg, "\"\""));
		config_destroy(&cfg);
	}
	after = __sanitizer_get_current_allocated_bytes();
	__lsan_enable();
	print_message("      libconfig alone: %zu bytes lost in 100 rejections\n", after - before);
	assert_true(after > before);

	/* ours: 10 000 rejections, as many reloads of a long-running daemon */
	before = __sanitizer_get_current_allocated_bytes();
	for (k = 0; k < 10000; k++) {
		memset(&p, 0, sizeof(p));
		memset(&d, 0, sizeof(d));
		assert_int_equal(ft_config_load(paths[k % ARRAY_LEN(bad)], &p, &d), -EINVAL);
		assert_true(d.nerrors > 0);
		ft_diag_free(&d);
	}
	after = __sanitizer_get_current_allocated_bytes();
	print_message("      flowtag: %zd bytes more after 10000 rejections\n",
		      (ssize_t)(after - before));
	assert_int_equal(after, before);
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		unlink(paths[i]);
		free((void *)paths[i]);
	}
}

/* ---- 8a. files other users can write ----------------------------------- */

static void test_strict_modes(void **state)
{
	char msg[PATH_MAX + 64], pol[PATH_MAX], inc[PATH_MAX], set[PATH_MAX];
	struct ft_policy p;

	(void)state;
	assert_int_equal(mkdir(at("etc"), 0755), 0);
	snprintf(inc, sizeof(inc), "%s", put("etc/c.inc", "default_class = \"c\";\n"));
	snprintf(set, sizeof(set), "%s", put("etc/s.txt", "198.18.0.0/24\n"));
	snprintf(pol, sizeof(pol), "%s",
		 put("etc/p.conf",
		     BASE "@include \"c.inc\"\n"
			  "prefix_sets = ( { name = \"s\";\n file = \"s.txt\"; } );\n"
			  "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n"));
	expect_ok(pol, 0, &p); /* 0644 files, 0755 and 0700 directories, /tmp sticky */
	ft_policy_free(&p);

	/* the policy: group- or world-writable */
	chmod(pol, 0666);
	snprintf(msg, sizeof(msg), "refusing '%s': writable by group and others (mode 0666)", pol);
	expect_refused(pol, 0, -EPERM, pol, 0, msg);
	chmod(pol, 0620);
	expect_refused(pol, 0, -EPERM, pol, 0, "writable by group (mode 0620)");
	expect_ok(pol, FT_CONFIG_INSECURE_FILES, &p); /* the operator's explicit choice */
	ft_policy_free(&p);
	chmod(pol, 0644);

	/* an included file, a prefix-set file: at the line naming them */
	chmod(inc, 0646);
	snprintf(msg, sizeof(msg), "refusing '%s': writable by others (mode 0646)", inc);
	expect_refused(pol, 0, 0, pol, 3, msg);
	chmod(inc, 0644);
	chmod(set, 0664);
	expect_refused(pol, 0, 0, pol, 5, "writable by group (mode 0664)");
	expect_ok(pol, FT_CONFIG_INSECURE_FILES, &p);
	ft_policy_free(&p);
	chmod(set, 0644);

	/* a directory above them */
	chmod(at("etc"), 0777);
	snprintf(msg, sizeof(msg),
		 "directory '%s' above it is writable by group and others (mode 0777)", at("etc"));
	expect_refused(pol, 0, -EPERM, pol, 0, msg);
	/* sticky and root's, like /tmp: others cannot replace what is in it */
	chmod(at("etc"), 01777);
	if (geteuid() == 0) {
		expect_ok(pol, 0, &p);
		ft_policy_free(&p);
	} else {
		expect_refused(pol, 0, -EPERM, pol, 0, "(mode 1777)");
	}
	chmod(at("etc"), 0755);

	/* through a symlink: the directories of the target count too */
	assert_int_equal(mkdir(at("w"), 0777), 0);
	chmod(at("w"), 0777);
	put("w/real.conf", BASE "default_class = \"c\";\n");
	assert_int_equal(symlink(at("w/real.conf"), at("etc/link.conf")), 0);
	expect_refused(at("etc/link.conf"), 0, -EPERM, at("etc/link.conf"), 0,
		       "above it is writable by group and others (mode 0777)");
	unlink(at("etc/link.conf"));
	unlink(at("w/real.conf"));
	rmdir(at("w"));

	/* owned by another user (root only can make one) */
	if (geteuid() == 0) {
		assert_int_equal(chown(inc, 4242, 0), 0);
		snprintf(msg, sizeof(msg), "refusing '%s': owned by uid 4242, not root", inc);
		expect_refused(pol, 0, 0, pol, 3, msg);
		assert_int_equal(chown(inc, 0, 0), 0);
		assert_int_equal(chown(at("etc"), 4242, 0), 0);
		expect_refused(pol, 0, -EPERM, pol, 0, "is owned by uid 4242, not root");
		assert_int_equal(chown(at("etc"), 0, 0), 0);
	} else {
		print_message("      not root: ownership cases skipped\n");
	}
	expect_ok(pol, 0, &p);
	ft_policy_free(&p);
	unlink(pol);
	unlink(inc);
	unlink(set);
	rmdir(at("etc"));
}

/* ---- 9. locations in @include'd files ---------------------------------- */

/* Load @path, require exactly one message of @sev at @file:@line containing @msg. */
static void expect_one(const char *path, const char *sev, const char *file, int line,
		       const char *msg)
{
	struct ft_policy p = { 0 };
	struct ft_diag d = { 0 };
	int rc = ft_config_load(path, &p, &d);
	int n = strcmp(sev, "error") ? d.nwarnings : d.nerrors;

	if (n != 1 || !diag_has(&d, file, line, sev, msg))
		fail_msg("%s: rc %d:\n%s-- want one %s at %s:%d containing \"%s\"", path, rc,
			 d.text ? d.text : "(none)\n", sev, file, line, msg);
	ft_policy_free(&p);
	ft_diag_free(&d);
}

/*
 * A rule, class, set or interface written in an @include'd file keeps that
 * file with its line, and a message that refers to one in another file
 * says FILE:LINE, not a bare "line N" the reader would look for in the
 * file the message is about.
 */
static void test_include_locations(void **state)
{
	char msg[PATH_MAX + 128], pol[PATH_MAX], inc[PATH_MAX];
	struct ft_policy p;

	(void)state;
	/* m9.conf: rule r0 here, r1 on line 5 of rules2.inc, inside the list */
	snprintf(inc, sizeof(inc), "%s",
		 put("rules2.inc", "# the second rule\n\n#\n\n"
				   "{ name = \"r1\"; match = { proto = \"udp\"; }; class = \"c\"; }\n"));
	snprintf(pol, sizeof(pol), "%s",
		 put("m9.conf", BASE "rules = ( { name = \"r0\"; match = { proto = \"tcp\"; }; "
				     "class = \"c\"; },\n@include \"rules2.inc\"\n);\n"));
	expect_ok(pol, 0, &p);
	assert_int_equal(p.nrules, 2);
	assert_string_equal(ft_policy_file(&p, p.rules[0].src_file), pol);
	assert_int_equal(p.rules[0].line, 3);
	assert_string_equal(ft_policy_file(&p, p.rules[1].src_file), inc);
	assert_int_equal(p.rules[1].line, 5);
	assert_string_equal(ft_policy_file(&p, p.classes[0].src_file), pol);
	ft_policy_free(&p);

	/* interfaces: fa0 on line 1 of the policy, again on line 3 of if.inc */
	snprintf(inc, sizeof(inc), "%s", put("if.inc", "\n\n{ name = \"fa0\"; }\n"));
	snprintf(pol, sizeof(pol), "%s",
		 put("p.conf", "interfaces = ( { name = \"fa0\"; },\n@include \"if.inc\"\n);\n"
			       "classes = ( { name = \"c\"; mark = 1; } );\ndefault_class = \"c\";\n"));
	snprintf(msg, sizeof(msg), "duplicate interface 'fa0' (first listed at %s:1)", pol);
	expect_one(pol, "error", inc, 3, msg);

	/* classes: 'a' on line 5 of the policy, the same mark on line 1 of cls.inc */
	snprintf(inc, sizeof(inc), "%s", put("cls.inc", "{ name = \"b\"; mark = 0x100; }\n"));
	snprintf(pol, sizeof(pol), "%s",
		 put("p.conf", "interfaces = ( { name = \"eth0\"; } );\n"
			       "default_class = \"a\";\n"
			       "rules = ( { match = { dport = 1; }; class = \"a\"; } );\n"
			       "classes = (\n"
			       "  { name = \"a\"; mark = 0x100; },\n"
			       "@include \"cls.inc\"\n);\n"));
	snprintf(msg, sizeof(msg), "same mark 0x100 as class 'a' (%s:5)", pol);
	expect_one(pol, "error", inc, 1, msg);
	/* and the same name */
	put("cls.inc", "{ name = \"a\"; mark = 0x200; }\n");
	snprintf(msg, sizeof(msg), "duplicate class 'a' (first defined at %s:5)", pol);
	expect_one(pol, "error", inc, 1, msg);

	/* rules: a catch-all on line 8 of the policy, rules after it in rules.inc */
	snprintf(inc, sizeof(inc), "%s",
		 put("rules.inc", "\n\n\n\n\n\n{ name = \"s\"; match = { dport = 2; }; class = \"c\"; }\n"));
	snprintf(pol, sizeof(pol), "%s",
		 put("p.conf", BASE "\n\n\n\n\n"
				    "rules = ( { name = \"r\"; class = \"c\"; },\n"
				    "@include \"rules.inc\"\n);\n"));
	snprintf(msg, sizeof(msg),
		 "this rule and all rules after it can never match: the rule at %s:8 matches "
		 "every packet", pol);
	expect_one(pol, "warning", inc, 7, msg);
	/* the same name twice */
	put("rules.inc", "\n\n\n\n\n\n{ name = \"r\"; match = { dport = 2; }; class = \"c\"; }\n");
	snprintf(msg, sizeof(msg), "duplicate rule name 'r' (first used at %s:8)", pol);
	expect_one(pol, "error", inc, 7, msg);

	/* prefix sets */
	snprintf(inc, sizeof(inc), "%s", put("sets.inc", "{ name = \"s\"; prefixes = [ \"10.0.0.0/8\" ]; }\n"));
	snprintf(pol, sizeof(pol), "%s",
		 put("p.conf", BASE "rules = ( { match = { src = \"@s\"; }; class = \"c\"; } );\n"
				    "prefix_sets = ( { name = \"s\"; prefixes = [ \"10.0.0.0/8\" ]; },\n"
				    "@include \"sets.inc\"\n);\n"));
	snprintf(msg, sizeof(msg), "duplicate prefix set 's' (first defined at %s:4)", pol);
	expect_one(pol, "error", inc, 1, msg);

	/* in the same file a bare line number is clear: it stays */
	snprintf(pol, sizeof(pol), "%s",
		 put("p.conf", BASE "rules = ( { name = \"r\"; class = \"c\"; },\n"
				    "{ name = \"r\"; class = \"c\"; } );\n"));
	expect_one(pol, "error", pol, 4, "duplicate rule name 'r' (first used at line 3)");
}

/* ---- 10. files that change while a load reads them -------------------- */

/*
 * Weak, so the file links without --wrap too: __real_ft_file_read_logged
 * is then NULL and the tests that need the hook skip.
 */
extern int __real_ft_file_read_logged(const char *path, unsigned int flags, struct ft_file_log *log,
				      char **buf, size_t *len, char *why, size_t whylen)
	__attribute__((weak));
int __wrap_ft_file_read_logged(const char *path, unsigned int flags, struct ft_file_log *log,
			       char **buf, size_t *len, char *why, size_t whylen);

/* Called after each file the loader read (@path as it opened it); NULL: none. */
static void (*after_read)(const char *path);

int __wrap_ft_file_read_logged(const char *path, unsigned int flags, struct ft_file_log *log,
			       char **buf, size_t *len, char *why, size_t whylen)
{
	int rc = __real_ft_file_read_logged(path, flags, log, buf, len, why, whylen);

	if (after_read)
		after_read(path);
	return rc;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/*
 * A Kubernetes ConfigMap volume: cm/..v1 and cm/..v2 hold two versions of
 * ftag.conf, r.inc and s.txt; cm/..data points at one of them, and
 * cm/ftag.conf, cm/r.inc, cm/s.txt point through ..data. Each version is
 * valid on its own, and so is any mix of them: only its values tell which
 * version a loaded policy came from.
 */
static void configmap_version(int v)
{
	char name[32];

	snprintf(name, sizeof(name), "cm/..v%d", v);
	assert_int_equal(mkdir(at(name), 0755), 0);
	snprintf(name, sizeof(name), "cm/..v%d/ftag.conf", v);
	put(name,
	    "interfaces = ( { name = \"eth0\"; } );\n"
	    "classes = ( { name = \"c\"; mark = 0x%d00; } );\n"
	    "@include \"r.inc\"\n"
	    "prefix_sets = ( { name = \"s\"; file = \"s.txt\"; } );\n",
	    v);
	snprintf(name, sizeof(name), "cm/..v%d/r.inc", v);
	put(name, "rules = ( { name = \"v%d\"; match = { src = \"@s\"; }; class = \"c\"; } );\n",
	    v);
	snprintf(name, sizeof(name), "cm/..v%d/s.txt", v);
	put(name, "198.18.%d.0/24\n", v);
}

static void configmap_make(void)
{
	assert_int_equal(mkdir(at("cm"), 0755), 0);
	configmap_version(1);
	configmap_version(2);
	assert_int_equal(symlink("..v1", at("cm/..data")), 0);
	assert_int_equal(symlink("..data/ftag.conf", at("cm/ftag.conf")), 0);
	assert_int_equal(symlink("..data/r.inc", at("cm/r.inc")), 0);
	assert_int_equal(symlink("..data/s.txt", at("cm/s.txt")), 0);
}

/* What kubelet does: ln -sfn ..vN ..data_tmp; mv -T ..data_tmp ..data */
static void configmap_swap(int v)
{
	char target[16];

	snprintf(target, sizeof(target), "..v%d", v);
	unlink(at("cm/..data_tmp"));
	assert_int_equal(symlink(target, at("cm/..data_tmp")), 0);
	assert_int_equal(rename(at("cm/..data_tmp"), at("cm/..data")), 0);
}

/* The version (1 or 2) each part of @p came from: mark, rule, set; 0: unknown. */
static void versions_of(const struct ft_policy *p, int v[3])
{
	char buf[64];

	v[0] = p->nclasses == 1 ? (int)(p->classes[0].mark >> 8) : 0;
	v[1] = p->nrules == 1 && p->rules[0].name[0] == 'v' ? p->rules[0].name[1] - '0' : 0;
	v[2] = 0;
	if (p->nsets == 1 && p->sets[0].npfx == 1) {
		ft_format_prefix(&p->sets[0].pfx[0], buf, sizeof(buf));
		v[2] = !strcmp(buf, "198.18.1.0/24") ? 1 : !strcmp(buf, "198.18.2.0/24") ? 2 : 0;
	}
}

static const char *swap_after; /* the file after whose read ..data flips to ..v2 */
static int nreads; /* of cm/ftag.conf */

static void swap_once(const char *path)
{
	if (ends_with(path, "cm/ftag.conf"))
		nreads++;
	if (swap_after && ends_with(path, swap_after)) {
		configmap_swap(2);
		swap_after = NULL;
	}
}

/* Every read of the policy flips ..data: no two reads see one version. */
static void swap_always(const char *path)
{
	if (ends_with(path, "cm/ftag.conf"))
		configmap_swap(++nreads % 2 ? 2 : 1);
}

static char main_v1[512]; /* cm/..v1/ftag.conf as configmap_version() wrote it */

/* After the first read of the policy, write it again in place, another mark. */
static void rewrite_once(const char *path)
{
	const char *mark = strstr(main_v1, "0x100;");
	char text[512];
	int fd;

	if (!ends_with(path, "cm/ftag.conf") || nreads++)
		return;
	assert_non_null(mark);
	snprintf(text, sizeof(text), "%.*s0x7700%s", (int)(mark - main_v1), main_v1, mark + 5);
	fd = open(path, O_WRONLY | O_TRUNC); /* through the symlinks: the same inode */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_files_change_while_read(void **state)
{
	/* the file after whose read ..data is swapped: each step of a load */
	static const char *const steps[] = { "cm/ftag.conf", "cm/r.inc", "cm/s.txt" };
	char pol[PATH_MAX], msg[PATH_MAX + 64];
	struct ft_policy p;
	struct ft_diag d;
	size_t i;
	int v[3];

	(void)state;
	if (!__real_ft_file_read_logged) {
		print_message("      not linked with --wrap=ft_file_read_logged: skipped\n");
		skip();
	}
	configmap_make();
	snprintf(pol, sizeof(pol), "%s", at("cm/ftag.conf"));
	{
		FILE *f = fopen(at("cm/..v1/ftag.conf"), "r");
		size_t n;

		assert_non_null(f);
		n = fread(main_v1, 1, sizeof(main_v1) - 1, f);
		main_v1[n] = '\0';
		fclose(f);
	}

	/* unchanged: one read, version 1 */
	nreads = 0;
	after_read = swap_once;
	expect_ok(pol, 0, &p);
	versions_of(&p, v);
	assert_int_equal(nreads, 1);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], 1);
	ft_policy_free(&p);

	/*
	 * ..data swapped after each file in turn: the load is version 2 as a
	 * whole, read a second time (the first mixed v1's main file with v2's
	 * include or set file, or held v1 when v2 was already there).
	 */
	for (i = 0; i < ARRAY_LEN(steps); i++) {
		configmap_swap(1);
		nreads = 0;
		swap_after = steps[i];
		expect_ok(pol, 0, &p);
		versions_of(&p, v);
		if (v[0] != 2 || v[1] != 2 || v[2] != 2 || nreads != 2)
			fail_msg("swap after %s: mark from v%d, rule from v%d, set from v%d, "
				 "%d reads; want all v2 in 2 reads",
				 steps[i], v[0], v[1], v[2], nreads);
		ft_policy_free(&p);
	}

	/* through flowtagctl check and flowtagd --check: the same loader, with flags */
	configmap_swap(1);
	nreads = 0;
	swap_after = "cm/r.inc";
	expect_ok(pol, FT_CONFIG_INSECURE_FILES, &p);
	versions_of(&p, v);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 2);
	ft_policy_free(&p);

	/* the main file rewritten in place (same inode) after it was read */
	configmap_swap(1);
	nreads = 0;
	after_read = rewrite_once;
	expect_ok(pol, 0, &p);
	assert_int_equal(nreads, 2);
	assert_int_equal(p.classes[0].mark, 0x7700);
	ft_policy_free(&p);
	put("cm/..v1/ftag.conf", "%s", main_v1);

	/* changing on every read: refused, nothing loaded, the file named */
	configmap_swap(1);
	nreads = 0;
	after_read = swap_always;
	memset(&p, 0, sizeof(p));
	memset(&d, 0, sizeof(d));
	assert_int_equal(ft_config_load(pol, &p, &d), -EAGAIN);
	after_read = NULL;
	assert_int_equal(nreads, FT_CONFIG_READS);
	assert_true(policy_is_zero(&p));
	snprintf(msg, sizeof(msg), "policy files changed while being read: %s", pol);
	if (d.nerrors != 1 || !diag_has(&d, pol, 0, "error", msg))
		fail_msg("want one error \"%s\", got:\n%s", msg, d.text ? d.text : "(none)\n");
	ft_diag_free(&d);

	/* and once it stops changing, the next load is whole again */
	expect_ok(pol, 0, &p);
	versions_of(&p, v);
	assert_true(v[0] == v[1] && v[1] == v[2] && v[0]);
	ft_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_directory),
		cmocka_unit_test(test_include_absolute),
		cmocka_unit_test(test_integer_literals),
		cmocka_unit_test(test_integer_edges),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_set_file_unreadable),
		cmocka_unit_test(test_rejections_do_not_leak),
		cmocka_unit_test(test_strict_modes),
		cmocka_unit_test(test_include_locations),
		cmocka_unit_test(test_files_change_while_read),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
