// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagctl: look at and steer a running flowtag.
 *
 * Everything it shows comes from the maps flowtagd pins under
 * /sys/fs/bpf/flowtag, opened read-only; `check` and `explain` work on a
 * policy file and need no daemon, `diff` on a policy file and the running
 * flow cache. Output goes through daemon/output.c, so
 * every command prints text or JSON (-j) from the same code.
 *
 * This file holds the options and the command table; each command lives
 * in daemon/ctl_<command>.c with its own help, what they share in
 * daemon/ctl_common.c and daemon/ctl_view.c (ctl.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "ctl.h"
#include "loader.h"
#include "log.h"
#include "strparse.h"

#ifndef FLOWTAG_VERSION
#define FLOWTAG_VERSION "0.1.0"
#endif

static const struct ctl_cmd *const cmds[] = {
	&ctl_status, &ctl_stats, &ctl_check, &ctl_explain, &ctl_reload, &ctl_diff,
	&ctl_confirm, &ctl_rollback, &ctl_set,
};

/* "explain KEY VALUE..." */
static const char *synopsis(const struct ctl_cmd *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);
	return buf;
}

/* A whole number of seconds, 1..@max, into @out; -1 when @s is not one. */
static int parse_seconds(const char *s, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static void print_options(void)
{
	printf("Options:\n"
	       "  -j, --json            JSON output\n"
	       "  -p, --pretty          indented JSON (implies --json)\n"
	       "  -c, --config FILE     policy file for check and explain\n"
	       "  -f, --file FILE       prefixes for set add/del, one a line\n"
	       "      --allow-insecure-files  check and explain accept files users other\n"
	       "                        than root (or you) own or can write\n"
	       "      --pin-dir DIR     where flowtag's maps are pinned (default %s)\n"
	       "      --live            explain: run the packet through the running\n"
	       "                        programs too (flowtagctl(8))\n"
	       "      --confirm SECONDS reload: roll back unless confirmed in time\n"
	       "      --no-wait         reload --confirm: do not wait for the outcome\n"
	       "      --timeout SECONDS reload: wait at most this long for the answer\n"
	       "  -v, --verbose         more messages (twice: libbpf's too)\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n",
	       FT_PIN_DIR);
}

static void help(void)
{
	char syn[64];
	size_t i;

	printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\nCommands:\n", ctl_prog);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		printf("  %-21s %s\n", synopsis(cmds[i], syn, sizeof(syn)), cmds[i]->summary);
	printf("\n");
	print_options();
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i]->help) {
			printf("\n");
			cmds[i]->help(stdout, ctl_prog);
		}
	printf("\nSee flowtagctl(8).\n");
}

/* COMMAND --help: that command's usage, summary and help. */
static void help_cmd(const struct ctl_cmd *cmd)
{
	char syn[64];

	printf("Usage: %s [OPTIONS] %s\n\n  %s\n\n", ctl_prog, synopsis(cmd, syn, sizeof(syn)),
	       cmd->summary);
	print_options();
	if (cmd->help) {
		printf("\n");
		cmd->help(stdout, ctl_prog);
	}
	printf("\nSee flowtagctl(8).\n");
}

/* The command @name names: exact, or an unambiguous prefix ("stat" is not). */
static const struct ctl_cmd *find_cmd(const char *name)
{
	const struct ctl_cmd *found = NULL;
	size_t i, len = strlen(name);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
		if (len && !strncmp(cmds[i]->name, name, len)) {
			if (found)
				return NULL;
			found = cmds[i];
		}
	}
	return found;
}

enum { OPT_PIN_DIR = 256, OPT_INSECURE, OPT_LIVE, OPT_CONFIRM, OPT_NO_WAIT, OPT_TIMEOUT };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "config", required_argument, NULL, 'c' },
	{ "file", required_argument, NULL, 'f' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "allow-insecure-files", no_argument, NULL, OPT_INSECURE },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "confirm", required_argument, NULL, OPT_CONFIRM },
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options, before or after the command: "+" stops at the first non-option
 * so the command name ends the global options. Returns -1 to go on, else
 * the exit code.
 */
static int parse_opts(struct ctl *c, int argc, char **argv, const struct ctl_cmd *cmd)
{
	int opt;

	optind = 0;	/* glibc: full reinitialisation for the second pass */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, !cmd ? "+:jpc:f:vhV" : ":jpc:f:vhV", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'p':
			c->json = c->pretty = true;
			break;
		case 'c':
			c->config = optarg;
			break;
		case 'f':
			c->file = optarg;
			break;
		case OPT_PIN_DIR:
			if (!*optarg)
				return ctl_usage_error("--pin-dir needs a directory");
			c->pin_dir = optarg;
			c->pin_dir_given = true;
			break;
		case OPT_INSECURE:
			c->config_flags |= FT_CONFIG_INSECURE_FILES;
			break;
		/* command options: the command they belong to is checked below */
		case OPT_LIVE:
			c->live = true;
			break;
		case OPT_CONFIRM:
			if (parse_seconds(optarg, FT_CONFIRM_MAX_S, &c->confirm))
				return ctl_usage_error("--confirm: 1..%d seconds, not '%s'",
						       FT_CONFIRM_MAX_S, optarg);
			break;
		case OPT_NO_WAIT:
			c->no_wait = true;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, CTL_RELOAD_TIMEOUT_MAX_S, &c->timeout))
				return ctl_usage_error("--timeout: 1..%d seconds, not '%s'",
						       CTL_RELOAD_TIMEOUT_MAX_S, optarg);
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			if (cmd)
				help_cmd(cmd);
			else
				help();
			return EXIT_OK;
		case 'V':
			printf("%s %s\n", ctl_prog, FLOWTAG_VERSION);
			return EXIT_OK;
		case ':':
			return ctl_usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return ctl_usage_error("unknown option '-%c'", optopt);
			return ctl_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

/*
 * Everything but the final JSON: options, the command, its run. Returns
 * the exit code; @ran says whether the command ran.
 */
static int run(struct ctl *c, int argc, char **argv, bool *ran)
{
	const struct ctl_cmd *cmd;
	int ret, cargc;
	char **cargv;

	ret = parse_opts(c, argc, argv, NULL);
	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return ctl_usage_error("no command (status, stats, check, explain, reload, diff, "
				       "confirm, rollback, set)");
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return ctl_usage_error("unknown or ambiguous command '%s' (status, stats, check, "
				   "explain, reload, diff, confirm, rollback, set)", argv[optind]);

	/* the command's own arguments: options may follow the command too */
	cargc = argc - optind;
	cargv = argv + optind;
	ret = parse_opts(c, cargc, cargv, cmd);
	if (ret >= 0)
		return ret;
	if (c->live && cmd != &ctl_explain)
		return ctl_usage_error("--live belongs to explain");
	if ((c->confirm || c->no_wait || c->timeout) && cmd != &ctl_reload)
		return ctl_usage_error("--confirm, --no-wait and --timeout belong to reload");
	if (c->no_wait && !c->confirm)
		return ctl_usage_error("--no-wait needs --confirm SECONDS");
	{
		const struct ft_path_arg pa[] = {
			{ "-c", c->config, PATH_MAX },
			{ "-f", c->file, PATH_MAX },
			{ "--pin-dir", c->pin_dir, FT_PIN_DIR_MAX },
		};
		char why[128];

		if (ft_check_path_args(pa, sizeof(pa) / sizeof(pa[0]), why, sizeof(why)))
			return ctl_usage_error("%s", why);
	}
	ft_log_init(ctl_prog, FT_LOG_STDERR, c->verbose);
	*ran = true;
	return cmd->run(c, cargc - optind, cargv + optind);
}

int main(int argc, char **argv)
{
	struct ctl c = { .pin_dir = FT_PIN_DIR };
	bool ran = false;
	int ret = run(&c, argc, argv, &ran);

	/* -j: one JSON object, whatever happened (flowtagctl(8), OUTPUT) */
	return ctl_json_exit(&c, ret, ran);
}
