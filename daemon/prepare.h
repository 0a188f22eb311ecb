/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The policy pipeline up to the kernel: read and validate the policy
 * (config.c), bind its iif names to interfaces, compile it (compile.c).
 * flowtagd, flowtagctl check and explain, the tests and the benchmark all
 * go through ft_prepare(); what they differ in is where the policy comes
 * from (a path or a text) and how names are bound (the binder). Nothing in
 * the kernel is touched: installing the result is ft_policy_swap()'s.
 */
#ifndef FLOWTAG_PREPARE_H
#define FLOWTAG_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "compile.h"
#include "config.h"
#include "diag.h"
#include "policy.h"

/* How rule iif names become ifindexes before compiling. */
enum ft_binder {
	/* leave them unbound (ifindex 0): flowtagd --check */
	FT_BIND_NONE,
	/* every distinct name its own made-up ifindex, as if every interface
	 * the policy names existed (the case that needs the most classifier
	 * resources): flowtagctl check, which must not depend on the host */
	FT_BIND_ASSUME_PRESENT,
	/* the interfaces of this network namespace (ft_resolve_iifs()); a
	 * name absent now is a warning in the diagnostics: flowtagd, explain */
	FT_BIND_HOST,
	/* the names in ft_prepare_opts.fixed, every other one unbound: tests */
	FT_BIND_FIXED,
};

/*
 * ft_prepare_opts.flags, next to FT_CONFIG_*: also warn about rules that
 * can never match because earlier rules take all their packets
 * (ft_shadow_warn()); flowtagd --check and flowtagctl check.
 */
#define FT_PREPARE_ANALYZE	(1u << 16)

/* Where the policy comes from and how to bind it. */
struct ft_prepare_opts {
	const char *path;	/* the policy file; or NULL and then: */
	const char *text;	/* the policy as a NUL-terminated string, */
	const char *name;	/* named so in diagnostics, */
	const char *dir;	/* relative prefix-set files resolve here */
	unsigned int flags;	/* FT_CONFIG_*, FT_PREPARE_ANALYZE */
	enum ft_binder binder;
	const struct ft_ifname *fixed;	/* FT_BIND_FIXED: name -> ifindex */
	size_t nfixed;
};

/* What ft_prepare() returns. */
struct ft_prepared {
	struct ft_policy pol;	/* valid when @parsed */
	struct ft_compiled comp; /* valid when ft_prepare() returned 0 */
	struct ft_diag diag;	/* every error and warning of reading and binding */
	bool parsed;		/* the policy is valid: a failure was the compiler's */
};

/**
 * ft_prepare() - read, validate, bind and compile a policy, and run its
 * tests (policytest.h): a failing test refuses the policy as an error does.
 * @o:   the source and the binder
 * @out: filled here (zeroed first); free with ft_prepared_free(), or take
 *       @out->pol and @out->comp over and free only @out->diag
 * Return: 0; -EINVAL (or another -errno from ft_config_load()) when the
 * policy is not valid or one of its tests failed, @out->parsed false and
 * the reasons in @out->diag;
 * or ft_compile()'s -errno (-E2BIG: too large) with @out->parsed true and
 * @out->pol still filled, for the caller to say why (ft_compile_error()).
 */
int ft_prepare(const struct ft_prepare_opts *o, struct ft_prepared *out);

/**
 * ft_prepare_file() - ft_prepare() of the file @path as flowtagd does it,
 * logging: which file (inode, modification time; the loaded file's are
 * returned in @file_id's st_ino and st_mtime when not NULL, and logged too
 * when it changed while being read), every diagnostic at its level, and
 * why the policy was refused.
 * Return: 0 with @pol and @c filled (the caller frees them), or -errno.
 */
int ft_prepare_file(const char *path, unsigned int flags, enum ft_binder binder,
		    struct ft_policy *pol, struct ft_compiled *c, struct stat *file_id);

/**
 * ft_prepared_free() - release everything @p holds, and zero it.
 */
void ft_prepared_free(struct ft_prepared *p);

#endif /* FLOWTAG_PREPARE_H */
