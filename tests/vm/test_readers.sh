# SPDX-License-Identifier: GPL-2.0
# Four readers of /dev/honet see the same events. With HONE_VM_BENCH=1
# (make bench-vm, check-vm-full), a figure too: a reader that never reads
# costs traffic at most 5% once its ring is full, iperf3 with one reader
# that reads (as honefw does) against the same plus a stalled one.
. "$HONE_SRCDIR/tests/vm/lib.sh"
netns_up || { vmtest readers FAIL "netns"; exit; }
# iperf3 and the reader share vCPU 0, so that throughput is that vCPU's
# work; stallcost.py counts on vCPU 1. Under TCG, beside the host's other
# work, two busy vCPUs gave from one half second to the next anything
# from half to twice the throughput, one vCPU within 5%.
ip netns exec hone-b python3 -m http.server 8080 --bind 10.9.0.2 > /dev/null 2>&1 &
wait_port hone-b 8080 || vmtest readers FAIL "server"
if [ "${HONE_VM_BENCH:-}" = 1 ] || [ "${HONE_VM_STRESS:-}" = 1 ]; then
	ip netns exec hone-b taskset -c 0 iperf3 -s -p 5201 > /dev/null 2>&1 &
	SERVER=$!
	wait_port hone-b 5201 || vmtest readers FAIL "iperf3 server"
	taskset -c 0 cat /dev/hone > /dev/null &
	READ=$!
	ip netns exec hone-a taskset -c 0 iperf3 -c 10.9.0.2 -p 5201 -t 60 > /dev/null 2>&1 &
	CLIENT=$!
	sleep 1
	taskset -c 1 python3 "$HONE_SRCDIR/tests/vm/stallcost.py" /dev/hone $SERVER 12 0.95 \
		> "$T/cost"
	kill $CLIENT $READ
	wait $CLIENT $READ 2>/dev/null
	{ read -r ratio pairs; read -r detail; } < "$T/cost"
	echo "stalled reader: $detail"
	check "readers: throughput with a stalled reader / without, median of $pairs pairs: $ratio" \
		awk -v r="$ratio" 'BEGIN { exit !(r >= 0.95) }'
	check "readers: the stalled reader's ring was full in every pair" \
		grep -q 'full in \([0-9]*\) of \1 pairs' "$T/cost"
fi

READERS=
for i in 1 2 3 4; do cat /dev/honet > "$T/r$i" & READERS="$READERS $!"; done
sleep 0.5
ip netns exec hone-a sh -c \
	'echo $$ > '"$T/curl.pid"'; exec curl -s -o /dev/null http://10.9.0.2:8080/'
sleep 1
kill $READERS
wait $READERS 2>/dev/null
CURL=$(cat "$T/curl.pid")
for i in 1 2 3 4; do
	grep -E " (EXEC|EXIT|SOCK [OC]) $CURL |PAKT . [0-9a-f]+ $CURL " "$T/r$i" |
		cut -d' ' -f2- > "$T/c$i"
done
n=$(wc -l < "$T/c1")
check "readers: 4 readers see the same $n events of curl" \
	sh -c "[ $n -gt 8 ] && cmp -s $T/c1 $T/c2 && cmp -s $T/c1 $T/c3 && cmp -s $T/c1 $T/c4"
