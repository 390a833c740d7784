# SPDX-License-Identifier: GPL-2.0
# honefw with hone.ko as its sensor and the kernel's native nft queue: the
# scenarios of tests/netns/run where the sensor matters (users, pedigree,
# allowlist, mark, nth, redirect, dry-run, reload, flush, kill -9
# open/closed, kernel, events lost, the system calls hone.ko's reader
# makes; IPv4 and IPv6). Not those whose code is the same
# with either sensor and that run on the host: reloads under load, hashing,
# the verdict log's file and its Wireshark plugin, action errors, a second
# honefw, the netlink sensor's tables and sock_diag's destroy notices.
# TCG: a reset takes longer than 1.2 s to come back.
# vm-timeout: 400
. "$HONE_SRCDIR/tests/vm/lib.sh"
HOST_ONLY=" reload_storm hash_stall action_error second log_restart log_rotate log_full log_refused wireshark_lua tables notices_lost "
scenarios=
for s in $(sed -n 's/^SCENARIOS="\(.*\)"$/\1/p' "$HONE_SRCDIR/tests/netns/run"); do
	case $HOST_ONLY in *" $s "*) ;; *) scenarios="$scenarios $s" ;; esac
done
# shellcheck disable=SC2086
REJECT_MS=3000 HONEFW_ARGS="--sensor kmod" bash "$HONE_SRCDIR/tests/netns/run" \
	$scenarios > "$T/out" 2>&1
netns_report honefw "$T/out" $?
check "honefw: with hone.ko and the native nft queue" \
	grep -q '^honefw: running: .*(nft queue).* sensor kmod' "$T/out"
