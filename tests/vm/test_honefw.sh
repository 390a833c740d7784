# SPDX-License-Identifier: GPL-2.0
# honefw with hone.ko as its sensor and the kernel's native nft queue: the
# scenarios of tests/netns/run (users, pedigree, allowlist, mark, nth,
# redirect, dry-run, reload, flush, kill -9 open/closed, kernel, second,
# IPv4 and IPv6). Not reload_storm nor hash_stall: the reload and hashing
# paths are the same with either sensor, and 2,000 datagrams a second or
# 300 MB to hash are more than TCG keeps up with.
# TCG: a reset takes longer than 1.2 s to come back.
# vm-timeout: 400
. "$HONE_SRCDIR/tests/vm/lib.sh"
REJECT_MS=3000 HONEFW_ARGS="--sensor kmod" bash "$HONE_SRCDIR/tests/netns/run" \
	$(sed -n 's/^SCENARIOS="\(.*\)"$/\1/p' "$HONE_SRCDIR/tests/netns/run" |
	  sed 's/ reload_storm//; s/ hash_stall//') > "$T/out" 2>&1
rc=$?
awk '/^ok   / { sub(/^ok   /, ""); print "VMTEST honefw: " $0 " PASS"; next }
     /^FAIL / { sub(/^FAIL /, ""); print "VMTEST honefw: " $0 " FAIL"; next }
     { print }' "$T/out"
grep -q -E '^[0-9]+ passed, 0 failed$' "$T/out" ||
	vmtest "honefw: tests/netns/run" FAIL "exit $rc: $(tail -1 "$T/out")"
check "honefw: with hone.ko and the native nft queue" \
	grep -q '^honefw: running: .*(nft queue).* sensor kmod' "$T/out"
