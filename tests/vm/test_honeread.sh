# SPDX-License-Identifier: GPL-2.0
# honeread with hone.ko as its source: tests/netns/run's honeread scenario
# with "--sensor kmod". The same traffic and counts; here a rotation asks
# the module for a new section (HEIO_RESTART), so each file holds one
# section of /dev/hone, its snapshot of every process and socket first,
# and honeread adds the blocks of what the ring still held from before.
# Every datagram and connection is counted once, outbound, over all the
# files; every packet naming a process finds its blocks in its own file.
# vm-timeout: 400
. "$HONE_SRCDIR/tests/vm/lib.sh"
# Under TCG each file costs tshark seconds: fewer datagrams, so fewer
# files (still rotated by size at least once, and by SIGHUP), unless at
# full size.
REJECT_MS=3000 HONEREAD_ARGS="--sensor kmod" \
HONEREAD_COUNT=$(sized HONE_VM_HONEREAD_COUNT 200 500) HONEREAD_RATE=500 \
HONEREAD_MIN_FILES=$(sized HONE_VM_HONEREAD_MIN_FILES 3 4) \
	bash "$HONE_SRCDIR/tests/netns/run" honeread > "$T/out" 2>&1
netns_report honeread "$T/out" $?
check "honeread: recorded from hone.ko" \
	grep -q '^honeread: running: hone.ko sensor' "$T/out"
