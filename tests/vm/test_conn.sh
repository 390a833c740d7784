# SPDX-License-Identifier: GPL-2.0
# Connection events, as /dev/honet and /dev/hone give them, of sockets whose
# program reports its pid and each socket's SO_COOKIE (tests/vm/sockets.py):
# TCP connect, listen and accept, a UDP datagram each way, over IPv4 and
# IPv6, and a TCP and a UDP socket that never send. Each socket has its
# open (or accept) and close event with that pid, cookie and protocol, and
# its addresses at close; every packet of the exchanges carries its
# socket's cookie and pid, in both namespaces, down to the ACK the kernel
# sends for the server's TIME_WAIT socket. A third reader asks for events
# and flow events alone (HEIO_SET_RECORDS, as honefw does): no packet, and
# each socket's first 5-tuple told with its cookie and pid.
. "$HONE_SRCDIR/tests/vm/lib.sh"
V=$HONE_SRCDIR/tests/vm
netns_up || { vmtest conn FAIL "netns"; exit; }
# No router solicitations: after the start, only the test's own packets
# (the statistics at the end count them).
ip netns exec hone-a sysctl -qw net.ipv6.conf.va.router_solicitations=0
ip netns exec hone-b sysctl -qw net.ipv6.conf.vb.router_solicitations=0
# HONE_RECORDS_PROC | _CONN | _FLOW
python3 "$V/capture.py" "$T/go" "/dev/honet,$T/text" "/dev/hone,$T/cap" \
	"/dev/honet,$T/flows,records=11" &
R=$!
wait_for "$T/cap.ready" || vmtest conn FAIL "readers did not open"
ip netns exec hone-b python3 "$V/sockets.py" server 10.9.0.2 fd09::2 7001 > "$T/server" &
SRV=$!
wait_for "$T/server" 4 || vmtest conn FAIL "server did not listen"
ip netns exec hone-a python3 "$V/sockets.py" client 10.9.0.2 fd09::2 7001 > "$T/client"
check "conn: client talked TCP and UDP over IPv4 and IPv6" test $? = 0
ip netns exec hone-a python3 "$V/sockets.py" idle 10.9.0.1 > "$T/idle"
check "conn: idle sockets made" test $? = 0
wait $SRV
check "conn: server answered each" test $? = 0
# UDP sockets and TCP listeners are freed after an RCU grace period.
sleep 0.5
touch "$T/go"
wait $R
cat "$T/server" "$T/client" "$T/idle" > "$T/socks"
cat "$T/socks"
check "conn: 12 sockets reported" test "$(wc -l < "$T/socks")" = 12
python3 "$V/hone_pcapng.py" text "$T/cap" > "$T/cap.txt"
check "conn(hone): the capture is well formed" test $? = 0

# sock_events SOCKETS FILE: for each socket, its open event (accepted: its
# accept event, with the addresses) and its close event with the addresses,
# as "PASS|FAIL description".
sock_events() {
	awk 'NR == FNR { s[NR] = $0; next }
	$2 == "SOCK" { k = $3 " " $4 " " $5 " " $6; ev[k] = 1; ev[k " " $7 " " $9] = 1 }
	END {
		for (i = 1; i in s; i++) {
			split(s[i], f, " ")
			k = f[3] " " f[4] " " f[2]
			a = " " f[5] " " f[6]
			e = f[1] == "accept" ? "A" : "O"
			ok = ((e " " k (e == "A" ? a : "")) in ev) && (("C " k a) in ev)
			printf "%s %s %s %s of %s: %s and C, %s -> %s\n", ok ? "PASS" : "FAIL",
				f[1], f[2], f[4], f[3], e, f[5], f[6]
		}
	}' "$1" "$2"
}
for dev in honet hone; do
	f=$T/text
	[ $dev = hone ] && f=$T/cap.txt
	sock_events "$T/socks" "$f" > "$T/events"
	while read -r res what; do vmtest "conn($dev): $what" "$res"; done < "$T/events"
	r=$(pkt_owners "$T/socks" "$f")
	for p in TCPv4 TCPv6 UDPv4 UDPv6; do
		n=$(echo "$r" | awk -v p=$p '$1 == p { print $2 }')
		n=${n:-0/0}
		# TCP: at least handshake, data, answer and FINs; UDP: 2 datagrams.
		case $p in TCP*) min=10 max=100 ;; *) min=4 max=4 ;; esac
		check "conn($dev): $p packets carry their socket's cookie and pid ($n)" \
			test "${n%/*}" = "${n#*/}" -a "${n#*/}" -ge $min -a "${n#*/}" -le $max
	done
done

# PCAP-NG only: the block's connection id is the cookie's low 32 bits.
check "conn(hone): every connection id is the low 32 bits of its cookie" \
	awk '$2 == "SOCK" { n++; if ("id=" substr($5, 9) != $10) exit 1 } END { exit !(n >= 22) }' \
	"$T/cap.txt"
# HEIO_RESTART ends the text section with TAIL, counting what was read
# and what the ring keeps for the next section (a packet late after the
# last read: CI saw one); the next read starts a new one.
n=$(grep -c ' PAKT ' "$T/text") k=$(grep -c ' PAKT ' "$T/text.next")
check "conn(honet): TAIL after HEIO_RESTART counts the $n packets read, and no more than the $k kept ($(tail -1 "$T/text" | cut -d' ' -f2-9))" \
	awk -v n="$n" -v k="$k" 'END { exit !($2 == "TAIL" && $3 == "packets" && $4 >= n && $4 <= n + k && $5 == 0) }' \
	"$T/text"
check "conn(honet): a new section starts with HEAD" \
	awk 'NR == 1 { exit !($2 == "HEAD") }' "$T/text.next"

# flow_events SOCKETS FILE: for each socket that sent or received, a flow
# event with its pid, cookie and protocol: of a connected one, its own
# addresses; of a listener or an unconnected one, its local address (the
# remote is the peer's). None for idle sockets.
flow_events() {
	awk 'NR == FNR { s[NR] = $0; next }
	$2 == "SOCK" && $3 == "F" { ev[$4 " " $5 " " $6 " " $7] = 1; ev[$4 " " $5 " " $6 " " $7 " " $9] = 1; any[$5] = 1 }
	END {
		for (i = 1; i in s; i++) {
			split(s[i], f, " ")
			k = f[3] " " f[4] " " f[2] " " f[5]
			if (f[1] == "idle")
				ok = !(f[4] in any)
			else if (f[1] == "listen" || f[1] == "udp")
				ok = k in ev
			else
				ok = (k " " f[6]) in ev
			printf "%s %s %s %s: %s\n", ok ? "PASS" : "FAIL", f[1], f[2], f[4],
				f[1] == "idle" ? "no flow event" : "its flow event"
		}
	}' "$1" "$2"
}
flow_events "$T/socks" "$T/flows" > "$T/fevents"
while read -r res what; do vmtest "conn(flows): $what" "$res"; done < "$T/fevents"
# Between its open and HEIO_SET_RECORDS it had every kind: what the host
# sent meanwhile (an MLD report, say) it does not read either.
check "conn(flows): the events-only reader got no packet" \
	eval '! grep -q " PAKT " "$T/flows" && grep -qw "packets=0" "$T/flows.stats"'
# Packets its ring held when a reader asked for events alone are not read,
# and count as filtered, not delivered.
r=$(python3 "$V/narrow.py" /dev/honet 3 ip netns exec hone-a ping -c 3 -i 0.2 10.9.0.2)
check "conn: a reader that narrows to events reads none of the packets its ring held ($r)" \
	eval 'case "$r" in "pakt=0 packets=0 "*) ;; *) false ;; esac &&
		[ "$(echo "$r" | grep -o "packets_filtered=[0-9]*" | cut -d= -f2)" -ge 6 ]'
check "conn(flows): and every connection event the others got ($(grep -c ' SOCK [OAC] ' "$T/text"))" \
	eval '[ "$(grep -c " SOCK [OAC] " "$T/flows")" = "$(grep -c " SOCK [OAC] " "$T/text")" ]'
check "conn: readers that did not ask get no flow event" \
	eval '! grep -q " SOCK F " "$T/text" && ! grep -q " SOCK F " "$T/cap.txt"'
cp "$T/text" "$T/cap.txt" "$T/socks" "$T/flows" /tmp/out/ 2>/dev/null
true
