# SPDX-License-Identifier: GPL-2.0
# Load and unload hone.ko 20 times (50 under HONE_VM_STRESS=1) under
# iperf3 traffic with readers open: no oops or warning (the VM panics on
# either), rmmod refused while a reader is open, refcnt 0 after, slab and
# vmalloc back where they started.
. "$HONE_SRCDIR/tests/vm/lib.sh"
ROUNDS=$(sized HONE_VM_LOADLOOP 20 50)
netns_up || { vmtest loadloop FAIL "netns"; exit; }
ip netns exec hone-b iperf3 -s -p 5201 > /dev/null 2>&1 &
wait_port hone-b 5201 || vmtest loadloop FAIL "iperf3 server"
ip netns exec hone-a iperf3 -c 10.9.0.2 -p 5201 -t 600 -b 200M > /dev/null 2>&1 &
TRAFFIC=$!

once() {
	local r1 r2 busy=0
	hone_loaded || hone_load || return 1
	cat /dev/hone > /dev/null & r1=$!
	cat /dev/honet > /dev/null & r2=$!
	sleep 0.3
	rmmod hone 2>/dev/null && busy=1
	kill $r1 $r2; wait $r1 $r2 2>/dev/null
	[ $busy = 0 ] || { echo "rmmod succeeded with readers open"; return 1; }
	[ "$(cat /sys/module/hone/refcnt)" = 0 ] ||
		{ echo "refcnt $(cat /sys/module/hone/refcnt)"; return 1; }
	hone_unload
}
# The first round warms the slab caches and the module loader.
once
read -r slab0 vm0 <<< "$(memory)"
fails=0
for i in $(seq "$ROUNDS"); do once || fails=$((fails + 1)); done
read -r slab1 vm1 <<< "$(memory)"
kill $TRAFFIC
hone_load
check "loadloop: $ROUNDS rounds of insmod, readers, rmmod refused, rmmod ($fails failed)" test $fails = 0
# A reader's ring alone is far larger than 2 MiB / $ROUNDS, and iperf3's
# sockets and the page cache move Slab by a few hundred KiB between samples.
check "loadloop: Slab ${slab0} -> ${slab1} kB (within 2048)" test $((slab1 - slab0)) -lt 2048
check "loadloop: VmallocUsed ${vm0} -> ${vm1} kB (within 2048)" test $((vm1 - vm0)) -lt 2048
