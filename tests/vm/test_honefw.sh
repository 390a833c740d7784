# SPDX-License-Identifier: GPL-2.0
# honefw with hone.ko as its sensor and the kernel's native nft queue: the
# scenarios of tests/netns/run (users, pedigree, allowlist, mark, nth,
# redirect, dry-run, reload, flush, kill -9 open/closed, IPv4 and IPv6).
. "$HONE_SRCDIR/tests/vm/lib.sh"
HONEFW_ARGS="--sensor kmod" bash "$HONE_SRCDIR/tests/netns/run" > "$T/out" 2>&1
rc=$?
awk '/^ok   / { sub(/^ok   /, ""); print "VMTEST honefw: " $0 " PASS"; next }
     /^FAIL / { sub(/^FAIL /, ""); print "VMTEST honefw: " $0 " FAIL"; next }
     { print }' "$T/out"
grep -q -E '^[0-9]+ passed, 0 failed$' "$T/out" ||
	vmtest "honefw: tests/netns/run" FAIL "exit $rc: $(tail -1 "$T/out")"
check "honefw: with hone.ko and the native nft queue" \
	grep -q '^honefw: running: .*(nft queue).* sensor kmod' "$T/out"
