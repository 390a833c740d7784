# Hone: hone.ko (kmod/), honefw (policyd/), the rule language (rules/).
#
#   make            userspace and kmod/hone.ko
#   make check      every test (installs what it needs first)
#   make check-stress  hone.ko under stress in the VMs, at the full sizes
#                   (not part of make check; tests/vm/README)
#   make demo       honefw on examples/ rules, real traffic, in namespaces
#   make check-examples  each examples/*/run (per use), checked
#   make bench      benchmarks; each prints ratios measured in one run
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
DESTDIR		?=
# Where Wireshark loads Lua plugins for every user, whatever PREFIX is
# (Debian: /usr/lib/x86_64-linux-gnu/wireshark/plugins); empty without
# tshark, and then examples/hone.lua is only installed with the examples.
WSLUADIR	?= $(shell tshark -G folders 2>/dev/null | \
		     sed -n 's/^Global Lua Plugins:[[:space:]]*//p')

CC		?= cc
CLANG		?= clang
PKGS		:= libnftnl libmnl libnetfilter_queue inih libsystemd libfixbuf \
		   libseccomp
CPPFLAGS	+= -D_GNU_SOURCE
# Each folder is compiled with only the headers it may use, so the layering
# is the compiler's to enforce: rules/ knows no daemon and no kernel
# interface; include/ is the uapi alone (kmod/ builds with Kbuild).
INC_rules	:= -Irules
INC_policyd	:= -Iinclude -Irules -Ipolicyd
INC_tests	:= $(INC_policyd)
inc		= $(INC_$(firstword $(subst /, ,$(1))))
CFLAGS		?= -O2 -g
CFLAGS		+= -std=gnu11 -Wall -Wextra -Werror -fno-strict-aliasing
LDLIBS		+= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN		:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer

B		:= build
ENGINE_USER	:= _honefw
COMMON_SRCS	:= $(wildcard policyd/log.c policyd/pcapng.c)
RULES_SRCS	:= $(wildcard rules/*.c)
# honeread's own files; honeread links honefw's too, but its main.
HONEREAD_SRCS	:= $(wildcard policyd/honeread.c policyd/hread*.c policyd/record.c \
		     policyd/nftlog.c)
HONEFW_SRCS	:= $(filter-out $(COMMON_SRCS) $(HONEREAD_SRCS), $(wildcard policyd/*.c))
# Everything but main(): what the tests, fuzzers and benchmarks link.
LIB_SRCS	:= $(COMMON_SRCS) $(RULES_SRCS) \
		   $(filter-out policyd/honefw.c policyd/honeread.c, \
		     $(HONEFW_SRCS) $(HONEREAD_SRCS))
UNIT_SRCS	:= $(wildcard tests/unit/*.c)
FUZZERS		:= $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
BENCHES		:= $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/bench_*.c))
TOOLS		:= $(patsubst tests/tools/%.c,$(B)/tools/%,$(wildcard tests/tools/*.c))

obj		= $(patsubst %.c,$(B)/$(1)/%.o,$(2))

# The kernel headers: the running kernel's if installed, else the ones
# Debian's linux-headers-amd64 points at (this machine's kernel has none;
# make deps installs them). Headers of other kernels are never installed
# (Debian 12's linux-headers-6.12.* pull in the kernel image): for
# KVER=<abi> without installed headers, tests/vm/run --fetch <abi> unpacks
# them under build/vm/<abi>/hdr, which is used then.
KVER		?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
		     else dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
		     sed -n 's/^linux-headers-\([^ ]*\).*/\1/p'; fi)
KDIR		?= $(firstword $(wildcard /lib/modules/$(KVER)/build /usr/src/linux-headers-$(KVER) \
		     $(CURDIR)/$(B)/vm/$(KVER)/hdr/usr/src/linux-headers-$(KVER)))
KBUILD_OUT	:= $(CURDIR)/$(B)/kmod/$(KVER)

.PHONY: all userspace kmod check check-layers check-unit check-fuzz check-netns check-examples check-attack check-vm vm-6.12 vm-6.1 check-vm-full \
	check-stress demo bench bench-vm deps need-deps install clean FORCE
.DELETE_ON_ERROR:

all: userspace kmod

userspace: $(B)/honefw $(B)/honeread $(TOOLS)

$(B)/honefw: $(call obj,obj,$(COMMON_SRCS) $(RULES_SRCS) $(HONEFW_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Only ipfix.c knows libfixbuf (and the glib it brings).
$(call obj,obj,policyd/ipfix.c) $(call obj,asan,policyd/ipfix.c) \
$(call obj,fuzzobj,policyd/ipfix.c): \
	CPPFLAGS += $(shell pkg-config --cflags libfixbuf 2>/dev/null)

$(B)/honeread: $(call obj,obj,$(LIB_SRCS) policyd/honeread.c)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call inc,$<) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call inc,$<) $(CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(call inc,$<) -g -O1 -std=gnu11 -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

# Test helpers run in namespaces and VMs: static, so the guest needs no libc.
$(B)/tools/%: tests/tools/%.c tests/tools/mmsg.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call inc,$<) $(CFLAGS) -static -o $@ $<

# --- kernel module ---------------------------------------------------------
# Built in build/kmod/KVER so that several kernels do not clobber each other;
# kmod/hone.ko is a copy of the last one asked for. build/kmod/KVER/kdir names
# the headers tree it was built against: another one (the host's, then
# build/vm's) rebuilds it.
kmod: $(KBUILD_OUT)/hone.ko
	cp $< kmod/hone.ko

$(KBUILD_OUT)/kdir: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(KDIR)" ] || echo "$(KDIR)" > $@

$(KBUILD_OUT)/hone.ko: $(wildcard kmod/*.c kmod/*.h kmod/Kbuild) include/hone/hone.h \
		$(KBUILD_OUT)/kdir
	@[ -n "$(KDIR)" ] || { echo "no kernel headers for '$(KVER)': make deps" \
		"(or, for another kernel, tests/vm/run --fetch $(KVER))" >&2; exit 1; }
	@mkdir -p $(@D)
	cp -p kmod/*.c kmod/*.h kmod/Kbuild $(@D)/
	$(MAKE) -C $(KDIR) M=$(@D) HONE_INCLUDE=$(CURDIR)/include W=1 modules

# --- tests -----------------------------------------------------------------
JOBS		?= $(shell nproc)
# The host's suites mostly wait (a quarter of a CPU in all): 6.12's VM
# runs beside them, niced, on the time they leave; 6.1's after both. Each
# suite runs whatever failed before it; the failed are named at the end,
# with their FAIL lines, where CI's tail shows them.
HOST_CHECKS	:= check-unit check-fuzz check-netns check-examples check-attack
check: need-deps
	$(MAKE) -j$(JOBS) all $(B)/unit $(B)/unit-asan $(FUZZERS)
	@nice -n 10 $(MAKE) -s vm-6.12 > $(B)/vm-6.12.log 2>&1 & vm=$$!; \
	failed=; for c in $(HOST_CHECKS); do \
		{ $(MAKE) $$c; echo $$? > $(B)/$$c.rc; } 2>&1 | tee $(B)/$$c.log; \
		[ "$$(cat $(B)/$$c.rc)" = 0 ] || failed="$$failed $$c"; \
	done; \
	echo "=== make check: the 6.12 VM's suite, run beside those"; \
	wait $$vm || failed="$$failed vm-6.12"; \
	cat $(B)/vm-6.12.log; \
	$(MAKE) -s vm-6.1 || failed="$$failed vm-6.1"; \
	for c in $$failed; do [ $$c = vm-6.1 ] && continue; \
		echo "=== $$c failed:"; grep -a -E 'FAIL|passed, |Synthesis' $(B)/$$c.log; \
	done; \
	[ -z "$$failed" ] || { echo "make check: failed:$$failed" >&2; exit 1; }

$(B)/unit: $(call obj,obj,$(LIB_SRCS) $(UNIT_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

$(B)/unit-asan: $(call obj,asan,$(LIB_SRCS) $(UNIT_SRCS))
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcriterion $(LDLIBS)

# The layering holds: what rules/ may not see does not compile there.
LAYER_PROBES	:= log.h sensor.h hone/hone.h
check-layers:
	@echo '#include "rules.h"' | $(CC) $(CPPFLAGS) $(INC_rules) -fsyntax-only -x c -
	@for h in $(LAYER_PROBES); do \
		if echo "#include \"$$h\"" | \
		   $(CC) $(CPPFLAGS) $(INC_rules) -fsyntax-only -x c - 2>/dev/null; then \
			echo "check-layers: rules/ can include $$h" >&2; exit 1; \
		fi; \
	done
	@echo "check-layers: rules/ includes none of $(LAYER_PROBES)"

check-unit: check-layers $(B)/unit $(B)/unit-asan $(B)/honefw
	HONE_SRCDIR=$(CURDIR) HONEFW=$(CURDIR)/$(B)/honefw tests/unit/run $(B)/unit -j2
	HONE_SRCDIR=$(CURDIR) HONEFW=$(CURDIR)/$(B)/honefw \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/unit/run $(B)/unit-asan -j2

$(B)/fuzz/%: $(B)/fuzzobj/tests/fuzz/%.o $(call obj,fuzzobj,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

# make check replays each corpus and searches for 1 s: a regression test.
# A real search: make check-fuzz FUZZ_SECONDS=600.
FUZZ_SECONDS	?= 1
check-fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
		n=$${f##*/}; mkdir -p $(B)/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 $(B)/corpus/$$n tests/fuzz/corpus/$$n \
			> $(B)/fuzz-$$n.log 2>&1 || { tail -50 $(B)/fuzz-$$n.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' $(B)/fuzz-$$n.log; \
	done

check-netns: userspace
	tests/netns/run

# Each use of examples/*/ done for real in namespaces and checked; all are
# run, and any that failed is named at the end.
EXAMPLES	:= $(patsubst %/run,%,$(wildcard examples/*/run))
check-examples: userspace
	@failed=; for e in $(EXAMPLES); do \
		echo "== $$e/run"; t=$$(date +%s); \
		$$e/run || failed="$$failed $$e"; \
		echo "== $$e/run: $$(($$(date +%s) - t)) s"; \
	done; \
	[ -z "$$failed" ] || { echo "check-examples: failed:$$failed" >&2; exit 1; }

# The known ways around honefw's rules, tried against an enforcing honefw.
check-attack: userspace
	tests/attack/run

# make check: every VM test on 6.12 (4 load/unload rounds); on 6.1 each
# test of what hone.ko asks of the kernel (hooks, kprobes, tracepoints, the
# socket lookups), but not those of honefw and honeread on it (the netns
# and attack suites, the recorder), whose code is the same on both
# kernels, nor the storms, the loops and the readers' ring and wakeups,
# whose calls into the kernel the tests above make too. Two kernels side by side under
# TCG take as long as one after the other: this is what keeps make check
# within CI's 20 minutes. check-vm-full: everything on both.
VM_TESTS	:= $(notdir $(basename $(wildcard tests/vm/test_*.sh)))
VM_USERSPACE	:= test_attack test_honefw test_honeread
VM_6_1_SKIP	:= test_lazy test_many test_loadloop test_readers test_stress
# 6.12's failures are told again at the end, where CI's tail shows them.
# vm-6.12 and vm-6.1 build nothing: make check runs one beside the others.
# Beside them 6.12's suite took 750-900 s, past the VM's default bound.
vm-6.12:
	HONE_VM_KERNELS=6.12 HONE_VM_LOADLOOP=4 HONE_VM_TIMEOUT=1500 tests/vm/run
vm-6.1:
	HONE_VM_KERNELS=6.1 \
	HONE_VM_TESTS="$(filter-out $(VM_USERSPACE) $(VM_6_1_SKIP),$(VM_TESTS))" \
	tests/vm/run
check-vm: all
	{ $(MAKE) -s vm-6.12; echo $$? > $(B)/vm-6.12.rc; } | tee $(B)/vm-6.12.log; \
	$(MAKE) -s vm-6.1; old=$$?; new=$$(cat $(B)/vm-6.12.rc); \
	[ "$$new" = 0 ] || { echo "=== kernel 6.12 failed:"; \
	  grep -a -E 'FAIL|passed, ' $(B)/vm-6.12.log; }; \
	[ "$$new" = 0 ] && [ $$old = 0 ]

check-vm-full: all
	HONE_VM_BENCH=1 tests/vm/run

# make check runs these tests small, to keep within CI's time: here at the
# sizes issue 9 names (10,000 short-lived processes, 50 load/unload rounds,
# 16 readers beside a bulk transfer and fork, socket and namespace storms),
# and honeread's recording at its netns size.
check-stress: all
	HONE_VM_STRESS=1 HONE_VM_TESTS="test_loadloop test_many test_stress test_closes test_honeread" \
	HONE_VM_TEST_TIMEOUT=1800 HONE_VM_TIMEOUT=3600 tests/vm/run

$(B)/bench/%: $(call obj,obj,tests/bench/%.c $(LIB_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench: need-deps $(BENCHES) userspace
	@set -e; for b in $(BENCHES); do $$b; done
	@for s in tests/bench/*.sh; do [ -x "$$s" ] && $$s || true; done

# The connection rows and the page test with each sensor, in the 6.12 VM
# where hone.ko is loaded, and what a stalled reader of hone.ko costs a
# TCP stream. TCG: the ratios mean something, the rates not.
# The 1 GiB guest's conntrack table holds 8192 entries, which the stateful
# firewall's connections, left to time out, fill: a host's holds 262144.
bench-vm: all
	HONE_VM_KERNELS=6.12 HONE_VM_TIMEOUT=1800 tests/vm/run --shell \
		'modprobe nf_conntrack && \
		sysctl -qw net.netfilter.nf_conntrack_max=262144 || exit 1; \
		for s in kmod netlink; do export HONEFW_ARGS="--sensor $$s"; \
		BENCH_ROWS=conns "$$HONE_SRCDIR/tests/bench/engine.sh"; \
		"$$HONE_SRCDIR/tests/bench/pages.sh"; done; \
		HONE_VM_BENCH=1 bash "$$HONE_SRCDIR/tests/vm/test_readers.sh"'

demo: need-deps
	$(MAKE) userspace
	examples/demo

# --- set-up ----------------------------------------------------------------
# dwarves: pahole, for hone.ko's BTF since Debian's 6.12 headers ship vmlinux.
APT_PKGS	:= build-essential pkg-config clang libclang-rt-14-dev \
		   libnftnl-dev libmnl-dev libnetfilter-queue-dev libinih-dev \
		   libsystemd-dev libfixbuf-dev libseccomp-dev \
		   libcriterion-dev linux-headers-amd64 qemu-system-x86 \
		   busybox-static cpio xz-utils kmod tshark tcpdump iproute2 \
		   nftables iptables curl socat iperf3 python3 procps wget strace jq \
		   iputils-ping \
		   libfixbuf-tools pmacct sqlite3 dwarves
DEPS_CMDS	:= pkg-config clang tshark tcpdump qemu-system-x86_64 busybox \
		   cpio xz depmod nft iptables socat iperf3 curl ip python3 \
		   wget strace jq ipfixDump nfacctd sqlite3 pahole ping

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $(APT_PKGS)

need-deps:
	@pkg-config --exists $(PKGS) criterion 2>/dev/null && \
	 for c in $(DEPS_CMDS); do command -v $$c >/dev/null || exit 1; done && \
	 [ -n "$(KDIR)" ] || $(MAKE) deps

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man4 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/hone/rules.d \
		$(DESTDIR)$(PREFIX)/share/doc/hone/examples \
		$(DESTDIR)/lib/modules/$(KVER)/extra
	install -m 0755 $(B)/honefw $(B)/honeread $(DESTDIR)$(SBINDIR)/
	install -m 0644 kmod/hone.ko $(DESTDIR)/lib/modules/$(KVER)/extra/
	for m in man/*.[0-9]; do \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	install -m 0644 examples/*.ini examples/hone.lua \
		$(DESTDIR)$(PREFIX)/share/doc/hone/examples/
	install -m 0755 examples/enterprise/allowlist-from-inventory \
		$(DESTDIR)$(PREFIX)/share/doc/hone/examples/
	[ -z "$(WSLUADIR)" ] || install -D -m 0644 examples/hone.lua \
		$(DESTDIR)$(WSLUADIR)/hone.lua
	install -m 0644 examples/logrotate.d/honefw \
		$(DESTDIR)$(PREFIX)/share/doc/hone/examples/logrotate.honefw
	[ -e $(DESTDIR)$(SYSCONFDIR)/hone/rules.ini ] || \
		install -m 0644 examples/rules.ini $(DESTDIR)$(SYSCONFDIR)/hone/rules.ini
	# The engine's user (honefw --user): honefw refuses to run without.
	[ -n "$(DESTDIR)" ] || id $(ENGINE_USER) >/dev/null 2>&1 || \
		useradd --system --no-create-home --shell /usr/sbin/nologin \
			$(ENGINE_USER)
	install -d $(DESTDIR)/lib/systemd/system
	install -m 0644 policyd/honefw.service policyd/honeread.service \
		$(DESTDIR)/lib/systemd/system/

clean:
	rm -rf $(B) kmod/hone.ko

-include $(shell find $(B) -name '*.d' 2>/dev/null)
