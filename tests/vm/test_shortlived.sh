# SPDX-License-Identifier: GPL-2.0
# The share of packets from short-lived processes that honefw attributes to
# the right process, with each sensor: clients that connect (TCP) or send
# one datagram (UDP) and exit within milliseconds. Each client reports its
# pid; honefw's verdict log names the pid it judged each packet for.
. "$HONE_SRCDIR/tests/vm/lib.sh"
N=${HONE_VM_SHORTLIVED:-50}
HONEFW=$HONE_SRCDIR/build/honefw
netns_up || { vmtest shortlived FAIL "netns"; exit; }
ip netns exec hone-b socat -u TCP-LISTEN:7000,fork,reuseaddr OPEN:/dev/null > /dev/null 2>&1 &
ip netns exec hone-b socat -u UDP4-RECV:7001 OPEN:/dev/null > /dev/null 2>&1 &
wait_port hone-b 7000 && wait_port hone-b 7001 || vmtest shortlived FAIL "servers"
printf '[global]\ndefault = accept\nlog = yes\n' > "$T/rules.ini"
echo datagram > "$T/msg"

# share SENSOR: run N TCP and N UDP clients under honefw; prints
# "tcp OK/N udp OK/N" (packets to the servers judged for a client's pid).
share() {
	local fw i
	"$HONEFW" -d -c "$T/rules.ini" --netns hone-a --sensor "$1" \
		--log "$T/$1.pcapng" > "$T/$1.log" 2>&1 &
	fw=$!
	for i in $(seq 50); do grep -q '^honefw: running' "$T/$1.log" && break; sleep 0.1; done
	ip netns exec hone-a sh -c '
		for i in $(seq '"$N"'); do
			sh -c "echo \$\$; exec busybox nc 10.9.0.2 7000" < /dev/null
			sh -c "echo \$\$; exec socat -u OPEN:'"$T"'/msg UDP4-SENDTO:10.9.0.2:7001"
		done' > "$T/$1.pids" 2> /dev/null
	sleep 1
	kill -TERM $fw; wait $fw
	tshark -r "$T/$1.pcapng" -T fields -e tcp.dstport -e udp.dstport -e frame.comment \
		2> /dev/null |
	awk 'NR == FNR { pid[$1] = 1; next }
	     { p = $0; sub(/.* pid=/, "", p); sub(/ .*/, "", p) }
	     $1 == 7000 { t++; if (p in pid) tok++ }
	     $1 == 7001 { u++; if (p in pid) uok++ }
	     END { printf "tcp %d/%d udp %d/%d\n", tok, t, uok, u }' "$T/$1.pids" -
}

k=$(share kmod)
n=$(share netlink)
echo "short-lived clients ($N TCP, $N UDP), packets attributed: hone.ko $k; netlink $n"
# A UDP client that draws an earlier one's source port rides that flow,
# which conntrack already knows and honefw already judged: a few of the N
# datagrams may not be queued at all. Every one judged must be attributed.
check "shortlived: hone.ko attributes every packet of $N+$N short-lived clients ($k)" \
	sh -c "echo '$k' | awk -F '[ /]' '{
		exit !(\$2 == \$3 && \$5 == \$6 && \$3 >= $N && \$6 >= $N * 9 / 10) }'"
check "shortlived: the netlink sensor attributes their TCP packets ($n)" \
	sh -c "echo '$n' | awk -F '[ /]' '{ exit !(\$2 == \$3 && \$3 >= $N) }'"
