# SPDX-License-Identifier: GPL-2.0
# honefw with hone.ko as its sensor and the kernel's native nft queue: the
# scenarios of tests/netns/run where the sensor matters (users, pedigree,
# allowlist, reload, kill -9 (failmode closed), kernel, sockets told by flow
# events, events lost, closes lost (hone.ko tells them), the system calls hone.ko's reader makes, #! scripts,
# cgroups, a diff of honeread's recording against the live verdicts; IPv4
# and IPv6), and where the native queue does (mark, redirect). The others
# are the same code with either sensor and run on the host only: a new
# scenario is one of them unless named here.
# TCG: a reset takes longer than 1.2 s to come back.
# vm-timeout: 800
. "$HONE_SRCDIR/tests/vm/lib.sh"
# HONE_VM_SCENARIOS: a few of them, while working on one.
scenarios=${HONE_VM_SCENARIOS:-user pedigree allowlist ahead mark redirect reload kill_closed kernel told told_full events_lost notices_lost syscalls script cgroup replay_diff}
# shellcheck disable=SC2086
REJECT_MS=3000 HONEFW_ARGS="--sensor kmod" HONEREAD_ARGS="--sensor kmod" bash "$HONE_SRCDIR/tests/netns/run" \
	$scenarios > "$T/out" 2>&1
netns_report honefw "$T/out" $?
check "honefw: with hone.ko and the native nft queue" \
	grep -q '^honefw: running: .*(nft queue).* sensor kmod' "$T/out"
# told_full's refusals stay in the module's counters, which later tests
# read: they get a fresh module.
check "honefw: hone.ko reloaded after the scenarios" eval 'hone_unload && hone_load'
