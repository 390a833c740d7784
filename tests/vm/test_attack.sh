# SPDX-License-Identifier: GPL-2.0
# honefw with hone.ko as its sensor against the known bypasses of
# tests/attack/run (those that need hone.ko, e.g. devhone, run only here).
. "$HONE_SRCDIR/tests/vm/lib.sh"
# Streamed: what ran is shown even if the guest's timeout ends the run.
# TCG: a reset takes longer than 1.2 s to come back.
REJECT_MS=3000 HONEFW_ARGS="--sensor kmod" bash "$HONE_SRCDIR/tests/attack/run" 2>&1 | tee "$T/out" |
awk '/^ok   / { sub(/^ok   /, ""); print "VMTEST attack: " $0 " PASS"; fflush(); next }
     /^FAIL / { sub(/^FAIL /, ""); print "VMTEST attack: " $0 " FAIL"; fflush(); next }
     { print; fflush() }'
rc=${PIPESTATUS[0]}
grep -q -E '^[0-9]+ passed, 0 failed$' "$T/out" ||
	vmtest "attack: tests/attack/run" FAIL "exit $rc: $(tail -1 "$T/out")"
check "attack: with hone.ko" grep -q '^honefw: running: .* sensor kmod' "$T/out"
check "attack: devhone ran (hone.ko loaded)" eval '! grep -q "^skip devhone" "$T/out"'

