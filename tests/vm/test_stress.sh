# SPDX-License-Identifier: GPL-2.0
# hone.ko under stress: max_readers readers open at once, one of them never
# reading, while a bulk transfer runs beside a fork storm (short-lived
# TCP clients), a socket storm (UDP sockets of one process) and network
# namespaces created and destroyed. Nothing oopses (the VM panics), every
# reader survives, the readers that read see the same connection events
# of one process, the stalled reader loses packets but no process or
# connection event, and slab and vmalloc come back after rmmod.
# HONE_VM_STRESS=1 (make check-stress) runs the full sizes.
# vm-timeout: 300
. "$HONE_SRCDIR/tests/vm/lib.sh"
PROCS=$(sized HONE_VM_STRESS_PROCS 30 1000)
SOCKS=$(sized HONE_VM_STRESS_SOCKS 200 3000)
NETNS=$(sized HONE_VM_STRESS_NETNS 3 50)
hone_unload || vmtest stress FAIL "rmmod before"
read -r slab0 vm0 <<< "$(memory)"
hone_load || { vmtest stress FAIL "insmod"; exit; }
netns_up || { vmtest stress FAIL "netns"; exit; }
ip netns exec hone-b iperf3 -s -p 5201 > /dev/null 2>&1 &
ip netns exec hone-b socat -u TCP-LISTEN:7000,fork,reuseaddr OPEN:/dev/null > /dev/null 2>&1 &
ip netns exec hone-b socat -u UDP4-RECV:7001 OPEN:/dev/null > /dev/null 2>&1 &
wait_port hone-b 5201 && wait_port hone-b 7000 && wait_port hone-b 7001 ||
	vmtest stress FAIL "servers"

# The stalled reader's ring (16 MiB, or 1/64 of RAM) leaves the storms'
# events, some 2 MB at full size, the quarter that packets may not take.
MAX=$(cat /sys/module/hone/parameters/max_readers)
echo 16384 > /sys/module/hone/parameters/ring_kb
python3 "$HONE_SRCDIR/tests/vm/stall.py" /dev/hone "$T/ready" "$T/go" > "$T/stall" &
STALL=$!
wait_for "$T/ready"
echo 4096 > /sys/module/hone/parameters/ring_kb
# At 100 Mbit/s the bulk transfer fills the stalled reader's ring while
# the others open, and leaves the storms some CPU: each reader copies
# every packet.
ip netns exec hone-a iperf3 -c 10.9.0.2 -p 5201 -b 100M -t 600 > /dev/null 2>&1 &
BULK=$!
READERS=
TEXT=
for i in $(seq $((MAX - 1))); do
	if [ $((i % 2)) = 1 ]; then
		cat /dev/honet > "$T/r$i" &
		TEXT="${TEXT:+$TEXT }$i"
	else
		cat /dev/hone > /dev/null &
	fi
	READERS="$READERS $!"
done
for i in $TEXT; do wait_for "$T/r$i" 1; done
timeout 5 cat /dev/honet > /dev/null 2> "$T/busy"
check "stress: reader $((MAX + 1)) of max_readers $MAX is refused" grep -q busy "$T/busy"

t0=$SECONDS
ip netns exec hone-a sh -c 'for i in $(seq '"$PROCS"'); do
	sh -c "exec busybox nc 10.9.0.2 7000" < /dev/null; done' 2> /dev/null &
FORKS=$!
ip netns exec hone-a bash -c 'echo $$; for i in $(seq '"$SOCKS"'); do
	exec 3> /dev/udp/10.9.0.2/7001; echo x >&3; exec 3>&-; done' > "$T/socks.pid" &
SOCKETS=$!
for i in $(seq "$NETNS"); do
	ip netns add hone-s$i || break
	# The namespace goes when the ping in it ends, after its name.
	ping=$(ip netns exec hone-s$i sh -c 'ip link set lo up &&
		{ busybox ping -q -A 127.0.0.1 > /dev/null 2>&1 & echo $!; }')
	ip netns del hone-s$i
	kill $ping || break
done
check "stress: $NETNS network namespaces created and destroyed under traffic" test "$i" = "$NETNS"
t1=$SECONDS
wait $SOCKETS
t2=$SECONDS
wait $FORKS
echo "storms: $NETNS namespaces in $((t1 - t0)) s, $SOCKS sockets in $((t2 - t0)) s or less," \
	"$PROCS processes in $((SECONDS - t0)) s or less"
# UDP sockets are freed after an RCU grace period, under this load up to
# seconds later: until the first reader has seen no more for a second.
SPID=$(cat "$T/socks.pid")
first=${TEXT%% *}
closed() { grep -c " SOCK C $SPID " "$T/r$first"; }
steady 10 closed
# Each reader drains its own ring at its own pace: wait until every one
# has read as many of them as the first (the bulk transfer still runs).
storm() { grep -c " SOCK [OAC] $SPID " "$T/r$1"; }
for i in $(seq 20); do
	lag=0
	for r in $TEXT; do [ "$(storm "$r")" -lt "$(storm "$first")" ] && lag=1; done
	[ "$lag" = 0 ] && break
	sleep 0.5
done
touch "$T/go"
wait $STALL
kill $BULK
alive=0
for p in $READERS; do kill -0 "$p" 2> /dev/null && alive=$((alive + 1)); done
kill $READERS
wait $READERS 2> /dev/null
check "stress: all $((MAX - 1)) readers that read are alive ($alive)" test "$alive" = $((MAX - 1))

echo "stalled reader: $(cat "$T/stall")"
get() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" "$T/stall"; }
check "stress: the stalled reader lost packets ($(get packets_dropped)) but no process event ($(get proc_dropped)) nor connection event ($(get conn_dropped))" \
	test "$(get packets_dropped)" -gt 0 -a "$(get proc_dropped)" = 0 -a "$(get conn_dropped)" = 0
# The same events, not the same order: two CPUs' events may reach two
# readers' rings in either order.
for i in $TEXT; do grep " SOCK [OAC] $SPID " "$T/r$i" | sort > "$T/c$i"; done
n=$(wc -l < "$T/c$first")
same=0 counts=
for i in $TEXT; do
	cmp -s "$T/c$first" "$T/c$i" && same=$((same + 1))
	counts="$counts $(wc -l < "$T/c$i")"
done
check "stress: $same readers of /dev/honet see the same $n connection events of the socket storm (each:$counts)" \
	test "$same" = "$(echo $TEXT | wc -w)"
# Every close too: the sensor's hook on the final free is never skipped
# (test_closes).
opened=$(grep -c " SOCK O " "$T/c$first") closed=$(grep -c " SOCK C " "$T/c$first")
check "stress: $SOCKS sockets, $opened opened, $closed closed, $(get conn_lost) lost by the sensor" \
	test "$opened" = "$SOCKS" -a "$closed" = "$SOCKS" -a "$(get conn_lost)" = 0

check "stress: refcnt 0 with every reader closed" test "$(cat /sys/module/hone/refcnt)" = 0
# The namespaces go with their conntrack entries and TIME_WAIT sockets.
kill $(jobs -p) 2> /dev/null
wait
netns_down
hone_unload || vmtest stress FAIL "rmmod after"
read -r slab1 vm1 <<< "$(memory)"
hone_load
check "stress: Slab ${slab0} -> ${slab1} kB (within 2048)" test $((slab1 - slab0)) -lt 2048
check "stress: VmallocUsed ${vm0} -> ${vm1} kB (within 2048)" test $((vm1 - vm0)) -lt 2048
