# SPDX-License-Identifier: GPL-2.0
# Four readers of /dev/honet see the same events; a fifth reader of
# /dev/hone that never reads gets drop counts and does not slow traffic.
. "$HONE_SRCDIR/tests/vm/lib.sh"
netns_up || { vmtest readers FAIL "netns"; exit; }
ip netns exec hone-b iperf3 -s -1 -p 5201 > /dev/null 2>&1 &
ip netns exec hone-b python3 -m http.server 8080 --bind 10.9.0.2 > /dev/null 2>&1 &
wait_port hone-b 5201 && wait_port hone-b 8080 || vmtest readers FAIL "servers"

# iperf3 -J's sender bits per second over 2 s.
bps() {
	ip netns exec hone-a iperf3 -c 10.9.0.2 -p 5201 -t 2 -J | python3 -c '
import json, sys
print(int(json.load(sys.stdin)["end"]["sum_sent"]["bits_per_second"]))'
}
base=$(bps)
ip netns exec hone-b iperf3 -s -1 -p 5201 > /dev/null 2>&1 &
wait_port hone-b 5201
python3 "$HONE_SRCDIR/tests/vm/stall.py" /dev/hone "$T/ready" "$T/go" > "$T/stall" &
STALL=$!
for i in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done
stalled=$(bps)
READERS=
for i in 1 2 3 4; do cat /dev/honet > "$T/r$i" & READERS="$READERS $!"; done
sleep 0.5
ip netns exec hone-a sh -c \
	'echo $$ > '"$T/curl.pid"'; exec curl -s -o /dev/null http://10.9.0.2:8080/'
sleep 1
touch "$T/go"
wait $STALL
kill $READERS
wait $READERS 2>/dev/null
CURL=$(cat "$T/curl.pid")

# A stalled reader must cost little: under TCG iperf3 is CPU-bound and
# noisy from run to run, so half the throughput is the bound we hold.
ratio=$(python3 -c "print(f'{$stalled / $base:.2f}')")
check "readers: throughput with a stalled reader / without = $ratio ($stalled / $base bit/s)" \
	python3 -c "import sys; sys.exit($stalled < $base / 2)"
echo "stalled reader: $(cat "$T/stall")"
check "readers: the stalled reader counts dropped packets" \
	grep -q -E 'packets_dropped=[1-9]' "$T/stall"
for i in 1 2 3 4; do
	grep -E " (EXEC|EXIT|SOCK [OC]) $CURL |PAKT . [0-9a-f]+ $CURL " "$T/r$i" |
		cut -d' ' -f2- > "$T/c$i"
done
n=$(wc -l < "$T/c1")
check "readers: 4 readers see the same $n events of curl" \
	sh -c "[ $n -gt 8 ] && cmp -s $T/c1 $T/c2 && cmp -s $T/c1 $T/c3 && cmp -s $T/c1 $T/c4"
