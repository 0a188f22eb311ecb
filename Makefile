# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#
# flowtag: one non-recursive Makefile. `make V=1` shows the commands.
#
#   make            build BPF objects, skeletons, flowtagd, flowtagctl
#   make check      install missing build deps, build, run every test (root)
#   make check-kernel [KERNEL=linux-image-...]
#                   the kernel-dependent part of `make check` inside a throwaway
#                   qemu VM booting a Debian kernel package (default: Debian
#                   12's stock 6.1)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS=N each (default 60)
#   make stress     10^7 random and mutated packets over random policies through
#                   the real XDP, xdp.frags and tc programs vs the reference
#                   evaluator (STRESS_POLICIES x STRESS_PACKETS; FT_SEED= replays)
#   make bench      benchmarks: table on stdout, bench/results.json
#   make demo       throwaway namespace topology running the shipped policy
#   make deps       install missing Debian packages
#   make install    DESTDIR= PREFIX=/usr/local
#   make deb        build/deb/flowtag_<version>_amd64.deb (dpkg-buildpackage), lintian
#   make check-systemd
#                   install the .deb in a VM with systemd as PID 1 and test the unit
#   make check-fresh
#                   the README's first commands in a freshly debootstrapped Debian 12
#   make clean

PREFIX		?= /usr/local
DESTDIR		?=
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= /lib/systemd/system
COMPLETIONDIR	?= $(PREFIX)/share/bash-completion/completions

CC		?= gcc
CLANG		?= clang
BPFTOOL		?= bpftool
PKG_CONFIG	?= pkg-config

VERSION		:= 0.1.0
BUILD		:= build
V		?= 0
Q		:= $(if $(filter 1,$(V)),,@)
msg		= $(if $(filter 1,$(V)),,@printf '  %-8s %s\n' '$(1)' '$(2)';)

# Debian 12 packages the build, the tests, the benchmarks and the demo use.
# python3: the integration tests read flowtagctl -j output with its json module
DEB_PKGS	:= make gcc libc6-dev clang llvm libbpf-dev bpftool pkg-config \
		   libnl-3-dev libnl-route-3-dev libconfig-dev libjson-c-dev \
		   libcmocka-dev iproute2 nftables iptables ethtool procps \
		   gnuplot-nox iputils-ping libclang-rt-14-dev man-db groff bash-completion \
		   python3 binutils

# ... and what `make check-kernel` needs on top
KERNEL_DEB_PKGS	:= qemu-system-x86 busybox-static kmod cpio

# ... `make deb` (the package's Build-Depends are in DEB_PKGS)
PKG_DEB_PKGS	:= dpkg-dev debhelper lintian

# ... `make check-systemd`: the VM boots the host's systemd
SYSTEMD_DEB_PKGS := systemd

# ... `make check-fresh`
FRESH_DEB_PKGS	:= debootstrap

PKGS		:= libbpf libnl-3.0 libnl-route-3.0 libconfig json-c
# recursive (=): evaluated when used, i.e. after `make deps` has run
PKG_CFLAGS	= $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libconfig is linked from a copy of its static library whose allocator
# and exit() are ours (daemon/lcguard.h): it cannot end the process
LIBCONFIG_A	= $(shell $(PKG_CONFIG) --variable=libdir libconfig 2>/dev/null)/libconfig.a
LIBCONFIG_GUARDED := $(BUILD)/libconfig-guarded.a
PKG_LIBS	= $(LIBCONFIG_GUARDED) $(shell $(PKG_CONFIG) --libs $(filter-out libconfig,$(PKGS)) 2>/dev/null)

WARN		:= -Wall -Wextra -Werror
CFLAGS		?= -O2 -g
ALL_CFLAGS	= -std=gnu11 $(WARN) $(CFLAGS) -Iinclude -Idaemon -I$(BUILD) $(PKG_CFLAGS) \
		  -DFLOWTAG_VERSION='"$(VERSION)"'
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# BPF: kernel UAPI headers plus the system include dirs clang would use for
# the host (Debian's multiarch dir holds asm/ headers), as libbpf-bootstrap.
CLANG_BPF_SYS_INCLUDES = $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
	sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS	= -O2 -g -target bpf -Wall -Werror -Iinclude -Ixdp $(CLANG_BPF_SYS_INCLUDES)

BPF_HDRS	:= $(wildcard include/flowtag/*.h) $(wildcard xdp/*.h)
BPF_OBJS	:= $(BUILD)/flowtag_xdp.bpf.o $(BUILD)/flowtag_tc.bpf.o
SKELS		:= $(BUILD)/flowtag_xdp.skel.h $(BUILD)/flowtag_tc.skel.h

# daemon/: every module but the two mains, flowtagctl's commands
# (ctl_*.c) and flowtagd's own parts (FTD_SRCS, on struct daemon in
# daemon.h) is library code the tests link
MAINS		:= daemon/flowtagd.c daemon/flowtagctl.c
CTL_SRCS	:= $(wildcard daemon/ctl_*.c)
CTL_OBJS	:= $(CTL_SRCS:daemon/%.c=$(BUILD)/obj/%.o)
FTD_SRCS	:= daemon/confirm.c daemon/cleanup.c
FTD_OBJS	:= $(FTD_SRCS:daemon/%.c=$(BUILD)/obj/%.o)
FTD_ASAN_OBJS	:= $(FTD_SRCS:daemon/%.c=$(BUILD)/asan/%.o)
LIB_SRCS	:= $(filter-out $(MAINS) $(CTL_SRCS) $(FTD_SRCS),$(wildcard daemon/*.c))
LIB_OBJS	:= $(LIB_SRCS:daemon/%.c=$(BUILD)/obj/%.o)
ASAN_OBJS	:= $(LIB_SRCS:daemon/%.c=$(BUILD)/asan/%.o)
HDRS		:= $(wildcard daemon/*.h include/flowtag/*.h)

BINS		:= $(patsubst daemon/%.c,$(BUILD)/%,$(wildcard $(MAINS)))
ASAN_BINS	:= $(patsubst daemon/%.c,$(BUILD)/%-asan,$(wildcard daemon/flowtagd.c))

UNIT_TESTS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS	:= $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(wildcard tests/bpf/test_*.c))
TEST_HELPERS	:= $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(wildcard tests/tools/*.c)) \
		   $(patsubst tests/bpf/%.bpf.c,$(BUILD)/tests/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
# one benchmark binary: the runner (flowtag_bench.c) and one file per layer (bench_*.c)
BENCH_SRCS	:= $(filter-out %.bpf.c bench/flowtag_bench.c,$(wildcard bench/*.c))
BENCH_BINS	:= $(BUILD)/bench/flowtag_bench

.PHONY: stress all check check-kernel check-systemd check-fresh deb demo-kernel test bench \
	demo deps deps-kernel deps-install deps-check install clean tests fuzz
.DELETE_ON_ERROR:

all: deps-check $(BPF_OBJS) $(SKELS) $(BINS)

# ---- dependencies ----

deps:
	$(Q)$(MAKE) --no-print-directory deps-install DEPS_PKGS="$(DEB_PKGS)"

deps-kernel:
	$(Q)$(MAKE) --no-print-directory deps-install DEPS_PKGS="$(DEB_PKGS) $(KERNEL_DEB_PKGS)"

deps-install:
	$(Q)missing=$$(for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "missing packages: $$missing (run make deps as root)"; exit 1; fi; \
		echo "installing missing packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# plain `make` does not install anything: it says what is missing
deps-check:
	$(Q)for t in $(CLANG) $(BPFTOOL) $(PKG_CONFIG); do \
		command -v $$t >/dev/null || { echo "$$t not found: run 'sudo make deps'"; exit 1; }; done; \
	$(PKG_CONFIG) --exists $(PKGS) || { echo "libraries missing ($(PKGS)): run 'sudo make deps'"; exit 1; }

# ---- BPF ----

$(BUILD)/%.bpf.o: xdp/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: tc/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# ---- userspace ----

$(BUILD) $(BUILD)/obj $(BUILD)/asan $(BUILD)/tests $(BUILD)/bench:
	$(Q)mkdir -p $@

$(BUILD)/obj/%.o: daemon/%.c $(HDRS) $(SKELS) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: daemon/%.c $(HDRS) $(SKELS) | $(BUILD)/asan
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(LIBCONFIG_GUARDED): | $(BUILD)
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy $(foreach f,malloc calloc realloc free exit,--redefine-sym $(f)=ft_libconfig_$(f)) \
		--redefine-sym __strdup=ft_libconfig_strdup $(LIBCONFIG_A) $@

# order-only: every program linked with these archives links libconfig too
$(BUILD)/libflowtag.a $(BUILD)/libflowtag-asan.a $(BUILD)/tests/fttcx: | $(LIBCONFIG_GUARDED)

$(BUILD)/libflowtag.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libflowtag-asan.a: $(ASAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%: daemon/%.c $(BUILD)/libflowtag.a $(HDRS) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $< $(BUILD)/libflowtag.a $(PKG_LIBS) -o $@

# flowtagctl: the command table in flowtagctl.c, one daemon/ctl_*.c per command
$(BUILD)/flowtagctl: daemon/flowtagctl.c $(CTL_OBJS) $(BUILD)/libflowtag.a $(HDRS) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $< $(CTL_OBJS) $(BUILD)/libflowtag.a \
		$(PKG_LIBS) -o $@

# flowtagd: flowtagd.c and its parts (FTD_SRCS), also under ASan
$(BUILD)/flowtagd: daemon/flowtagd.c $(FTD_OBJS) $(BUILD)/libflowtag.a $(HDRS) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $< $(FTD_OBJS) $(BUILD)/libflowtag.a \
		$(PKG_LIBS) -o $@

$(BUILD)/flowtagd-asan: daemon/flowtagd.c $(FTD_ASAN_OBJS) $(BUILD)/libflowtag-asan.a $(HDRS) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $< $(FTD_ASAN_OBJS) $(BUILD)/libflowtag-asan.a \
		$(PKG_LIBS) -o $@

# ---- tests: unit and BPF tests run under ASan/UBSan ----

# test_config fails every allocation of the parser in turn (test_oom)
$(BUILD)/tests/test_config: TEST_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
# test_policy_files changes files between two reads of one load
$(BUILD)/tests/test_policy_files: TEST_LDFLAGS := -Wl,--wrap=ft_file_read_logged

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/*.h) $(BUILD)/libflowtag-asan.a $(HDRS) | $(BUILD)/tests
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests $< $(BUILD)/libflowtag-asan.a $(PKG_LIBS) \
		-lcmocka $(TEST_LDFLAGS) -o $@

$(BUILD)/tests/%: tests/bpf/%.c $(wildcard tests/bpf/*.h tests/*.h) $(BUILD)/libflowtag-asan.a $(HDRS) $(SKELS) | $(BUILD)/tests
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests $< $(BUILD)/libflowtag-asan.a $(PKG_LIBS) -lcmocka -o $@

$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c | $(BUILD)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# ftinject builds its packets with the BPF tests' packet builder
$(BUILD)/tests/ftinject: tests/bpf/pkt.h
# fttcx attaches a tcx program, ftmapsum reads pinned maps: they need libbpf
$(BUILD)/tests/fttcx $(BUILD)/tests/ftmapsum: TOOL_LIBS = $(PKG_LIBS)

$(BUILD)/tests/%: tests/tools/%.c tests/tools/tool.h | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(TOOL_LIBS) -o $@

# ---- fuzzing: libFuzzer (clang, libclang-rt-14-dev) with ASan and UBSan ----

# the parsing modules only: what a policy or prefix-set file reaches
FUZZ_CC		?= $(CLANG)
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS	:= $(addprefix daemon/,cfgtext.c cfgtext_scan.c compile.c compile_dir4.c compile_pfx4.c compile_prefix.c \
		   config.c config_class.c config_iface.c config_rule.c config_test.c diag.c fields.c \
		   lcguard.c pktspec.c policy.c policytest.c setfile.c shadow.c strparse.c textfile.c)
FUZZ_OBJS	:= $(FUZZ_SRCS:daemon/%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_BINS	:= $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS	= -std=gnu11 $(WARN) -g -O1 -Iinclude -Idaemon -Itests \
		  $(shell $(PKG_CONFIG) --cflags libconfig 2>/dev/null)
FUZZ_SECONDS	?= 60

$(BUILD)/fuzz/obj:
	$(Q)mkdir -p $@

# kept between builds (the fuzz targets are not the only users of the rule)
.SECONDARY: $(FUZZ_OBJS)

$(BUILD)/fuzz/obj/%.o: daemon/%.c $(HDRS) | $(BUILD)/fuzz/obj
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

# fuzz_packet builds xdp/*.h (parse.h, classify.h) as userspace C: its
# bpf/bpf_helpers.h (tests/fuzz/bpfuser) turns the maps into variables.
# Headers sit where the frame puts them (IPv4 at 14: 2 mod 4), as in the
# kernel, where BPF loads need no alignment: no alignment sanitizer.
$(BUILD)/fuzz/fuzz_packet: FUZZ_EXTRA := -Itests/fuzz/bpfuser -Ixdp -fno-sanitize=alignment
$(BUILD)/fuzz/fuzz_packet: $(BPF_HDRS) tests/refpkt.h tests/pktmut.h tests/bpf/pkt.h \
	tests/fuzz/bpfuser/bpf/bpf_helpers.h

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h tests/randpol.h $(FUZZ_OBJS) | $(LIBCONFIG_GUARDED)
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) $(FUZZ_EXTRA) -fsanitize=fuzzer \
		-DFUZZ_FILES='"$(CURDIR)/tests/fuzz/files"' $< $(FUZZ_OBJS) \
		$(LIBCONFIG_GUARDED) -o $@

# `make fuzz FUZZ_SECONDS=N`: every target N seconds from tests/fuzz/corpus,
# new inputs kept in build/fuzz/corpus-*, crashes in build/fuzz/artifacts
fuzz:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

tests: all $(ASAN_BINS) $(UNIT_TESTS) $(BPF_TESTS) $(TEST_HELPERS) $(FUZZ_BINS)

# `make check`: deps first (a separate make, so pkg-config sees them), then
# build, then run. The runner prints "N passed, N failed" last.
check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)BUILD=$(BUILD) tests/run.sh

test: check

# `make stress`: the packet differential of `make check` (test_random),
# scaled up: 10^7 random and mutated frames (tests/pktmut.h) through the
# real XDP, xdp.frags and tc programs. Loading a policy costs as much as
# some thousand frames, so each policy takes many. The last lines give the
# mutations made, the seed, the packets and the mismatches.
STRESS_POLICIES	?= 2000
STRESS_PACKETS	?= 5000
stress:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)FT_RANDOM_POLICIES=$(STRESS_POLICIES) FT_RANDOM_PACKETS=$(STRESS_PACKETS) \
		FT_TEST_TIMEOUT=$${FT_TEST_TIMEOUT:-7200} BUILD=$(BUILD) tests/run.sh test_datapath

# `make check-kernel`: install and build on the host, then run the test
# runner inside a VM booting KERNEL (empty: Debian 12's current stock 6.1
# kernel; tests/kernel/vm-run.sh says how). The VM sees the host's root and
# this directory, so it neither checks packages nor builds again. Only what
# depends on the kernel runs there: the unit tests and the fuzz smoke run
# are userspace code that `make check` already ran on the host
# (FT_KERNEL_ONLY=1: the runner names what it left out), and the
# integration tests that measure no rate or time window run VM_TEST_JOBS
# at a time (tests/run.sh).
KERNEL		?=
VM_TIMEOUT	?= 2400
VM_TEST_JOBS	?= 2
check-kernel:
	$(Q)$(MAKE) --no-print-directory deps-kernel
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tests/kernel/vm-run.sh $(if $(KERNEL),-k $(KERNEL)) -t $(VM_TIMEOUT) -- \
		FT_KERNEL_ONLY=1 FT_TEST_JOBS=$(VM_TEST_JOBS) BUILD=$(BUILD) tests/run.sh

demo-kernel:
	$(Q)$(MAKE) --no-print-directory deps-kernel
	$(Q)$(MAKE) --no-print-directory all $(TEST_HELPERS)
	$(Q)tests/kernel/vm-run.sh $(if $(KERNEL),-k $(KERNEL)) -t $(VM_TIMEOUT) -- $(MAKE) demo

# `make check-systemd`: build the .deb, then boot a VM with systemd as PID 1
# (vm-run.sh -s) and run tests/systemd/test_systemd.sh there: install the
# package, start, reload, bad policy, stop, SIGQUIT hand-over, upgrade, purge.
check-systemd:
	$(Q)$(MAKE) --no-print-directory deps-install \
		DEPS_PKGS="$(DEB_PKGS) $(KERNEL_DEB_PKGS) $(PKG_DEB_PKGS) $(SYSTEMD_DEB_PKGS)"
	$(Q)$(MAKE) --no-print-directory deb LINTIAN=0
	$(Q)$(MAKE) --no-print-directory all $(TEST_HELPERS)
	$(Q)tests/kernel/vm-run.sh -s $(if $(KERNEL),-k $(KERNEL)) -t $(VM_TIMEOUT) -- \
		FT_BUILD=$(BUILD) tests/systemd/test_systemd.sh $(DEB)

# `make check-fresh`: debootstrap a minimal Debian 12 root, run the README's
# first commands in it as a new user would, remove it (tests/fresh/run.sh)
check-fresh:
	$(Q)$(MAKE) --no-print-directory deps-install DEPS_PKGS="$(FRESH_DEB_PKGS)"
	$(Q)tests/fresh/run.sh

# ---- the Debian package ----

# dpkg-buildpackage works on a copy of the tree in $(BUILD)/deb/src (its
# `clean` step would remove $(BUILD)), the results land in $(BUILD)/deb.
DEB_VERSION	= $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB		= $(BUILD)/deb/flowtag_$(DEB_VERSION)_amd64.deb
LINTIAN		?= 1
deb:
	$(Q)$(MAKE) --no-print-directory deps-install DEPS_PKGS="$(DEB_PKGS) $(PKG_DEB_PKGS)"
	$(Q)[ "$(DEB_VERSION)" = "$(VERSION)" ] || \
		{ echo "debian/changelog says $(DEB_VERSION), the Makefile $(VERSION)"; exit 1; }
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src/flowtag
	$(Q)tar --exclude=./$(BUILD) --exclude=./.git -cf - . | tar -C $(BUILD)/deb/src/flowtag -xf -
	$(call msg,DEB,$(DEB))
	$(Q)cd $(BUILD)/deb/src/flowtag && dpkg-buildpackage -us -uc -b -jauto \
		$(if $(filter 1,$(V)),,>../../build.log 2>&1) || \
		{ echo "dpkg-buildpackage failed, see $(BUILD)/deb/build.log"; tail -20 ../../build.log; exit 1; }
	$(Q)mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/src/*.changes $(BUILD)/deb/src/*.buildinfo $(BUILD)/deb/
	$(Q)rm -rf $(BUILD)/deb/src
	$(Q)ls -l $(BUILD)/deb/*.deb
	$(Q)if [ "$(LINTIAN)" = 1 ]; then echo "  LINTIAN  $(BUILD)/deb/*.changes"; \
		lintian --fail-on error --info $(BUILD)/deb/*.changes; fi

# ---- benchmarks and demo ----

# bench-only BPF wrappers (bench/*.bpf.c) and their skeletons
BENCH_BPF_OBJS	:= $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard bench/*.bpf.c))
BENCH_SKELS	:= $(BENCH_BPF_OBJS:.bpf.o=.skel.h)
.SECONDARY: $(BENCH_BPF_OBJS)

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(wildcard bench/*.h) $(BPF_HDRS) | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibench -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/flowtag_bench: bench/flowtag_bench.c $(BENCH_SRCS) $(wildcard bench/*.h) \
		$(wildcard tests/bpf/*.h) $(BUILD)/libflowtag.a $(HDRS) $(SKELS) $(BENCH_BPF_OBJS) \
		$(BENCH_SKELS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -Ibench -I$(BUILD)/bench -Itests bench/flowtag_bench.c $(BENCH_SRCS) \
		$(BUILD)/libflowtag.a $(PKG_LIBS) -lm -lpthread -o $@

bench:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) bench/run.sh

demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_HELPERS)
	$(Q)BUILD=$(BUILD) etc/examples/demo.sh

# ---- install ----

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/flowtag $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(SBINDIR)/
	$(if $(wildcard man/*.5),install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/)
	$(if $(wildcard man/*.8),install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/)
	install -m 0644 etc/bash-completion/flowtagd etc/bash-completion/flowtagctl \
		$(DESTDIR)$(COMPLETIONDIR)/
	$(if $(wildcard etc/flowtagd.service),sed 's|@SBINDIR@|$(SBINDIR)|g' etc/flowtagd.service > $(DESTDIR)$(UNITDIR)/flowtagd.service)
	@for f in etc/flowtag.conf etc/*.txt; do \
		[ -e "$$f" ] || continue; \
		t=$(DESTDIR)$(SYSCONFDIR)/flowtag/$$(basename $$f); \
		if [ -e "$$t" ]; then echo "keeping existing $$t"; else install -m 0644 $$f $$t; fi; \
	done

clean:
	rm -rf $(BUILD)
