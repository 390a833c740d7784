# SPDX-License-Identifier: GPL-2.0
# honefw with hone.ko as its sensor against the known bypasses of
# tests/attack/run where the sensor matters (devhone runs only here); the
# others (digests, malformed packets, rule files, the conntrack and mark
# tricks of icmp_offload and forged_mark) are the same code on both
# sensors and run on the host.
# vm-timeout: 480
. "$HONE_SRCDIR/tests/vm/lib.sh"
# Debian's kernels keep unprivileged user namespaces behind a switch: the
# bind-mount attack needs them, as on a host where they are on.
userns=$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null)
[ -z "$userns" ] || echo 1 > /proc/sys/kernel/unprivileged_userns_clone
# Streamed: what ran is shown even if the guest's timeout ends the run.
# TCG: a reset takes longer than 1.2 s to come back.
# 20 one-shot senders an address, not 50: within CI's time.
REJECT_MS=3000 HONE_SHORTLIVED_N=20 HONEFW_ARGS="--sensor kmod" bash "$HONE_SRCDIR/tests/attack/run" \
	bindmount ride_udp ride_exe ride_shared ride_ping ride_tcp shortlived exec_flood exec_whole devhone 2>&1 | tee "$T/out" |
awk '/^ok   / { sub(/^ok   /, ""); print "VMTEST attack: " $0 " PASS"; fflush(); next }
     /^FAIL / { sub(/^FAIL /, ""); print "VMTEST attack: " $0 " FAIL"; fflush(); next }
     { print; fflush() }'
rc=${PIPESTATUS[0]}
grep -q -E '^[0-9]+ passed, 0 failed$' "$T/out" ||
	vmtest "attack: tests/attack/run" FAIL "exit $rc: $(tail -1 "$T/out")"
check "attack: with hone.ko" grep -q '^honefw: running: .* sensor kmod' "$T/out"
check "attack: devhone ran (hone.ko loaded)" eval '! grep -q "^skip devhone" "$T/out"'
check "attack: bindmount ran" eval '! grep -q "^skip bindmount" "$T/out"'
[ -z "$userns" ] || echo "$userns" > /proc/sys/kernel/unprivileged_userns_clone

