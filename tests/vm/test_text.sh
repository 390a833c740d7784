# SPDX-License-Identifier: GPL-2.0
# curl over veth to python3's http.server, and ping, seen by /dev/honet and
# /dev/hone: exec/exit lines, sockets, every packet's owner in both
# directions; the capture opens in tshark and tcpdump.
. "$HONE_SRCDIR/tests/vm/lib.sh"
netns_up || { vmtest text FAIL "netns"; exit; }
cat /dev/honet > "$T/text" &
R1=$!
cat /dev/hone > "$T/cap.pcapng" &
R2=$!
ip netns exec hone-b python3 -m http.server 8080 --bind :: > /dev/null 2>&1 &
SRV=$!
wait_port hone-b 8080 || vmtest text FAIL "server did not listen"
ip netns exec hone-a sh -c \
	'echo $$ > '"$T/curl.pid"'; exec curl -s -o /dev/null http://10.9.0.2:8080/'
check "text: curl fetched" test $? = 0
ip netns exec hone-a sh -c \
	'echo $$ > '"$T/curl6.pid"'; exec curl -s -o /dev/null http://[fd09::2]:8080/'
check "text: curl over IPv6 fetched" test $? = 0
ip netns exec hone-a sh -c \
	'echo $$ > '"$T/ping.pid"'; exec busybox ping -c 2 -i 0.2 -q 10.9.0.2' >/dev/null
check "text: ping answered" test $? = 0
sleep 1
kill $R1 $R2
wait $R1 $R2 2>/dev/null
CURL=$(cat "$T/curl.pid") CURL6=$(cat "$T/curl6.pid") PING=$(cat "$T/ping.pid")
# The server's pid is the python3 that ip netns exec became.
PY=$SRV

check "text: HEAD first" awk 'NR == 1 { exit !($2 == "HEAD") }' "$T/text"
ARGS="curl -s -o /dev/null http://10.9.0.2:8080/"
# The executable's identity ends every process line (hone(4)).
ID="dev=[0-9]+:[0-9]+ ino=[0-9]+ mntns=[0-9]+"
check "text: EXEC of curl with path and argv" \
	grep -q -E "^[0-9.]+ EXEC $CURL [0-9]+ 0 0 \"/usr/bin/curl\" $ARGS $ID\$" "$T/text"
check "text: EXIT of curl" grep -q -E "^[0-9.]+ EXIT $CURL [0-9]+ 0 0 0 \"/usr/bin/curl\"" "$T/text"
check "text: EXIT of ping" grep -q -E "^[0-9.]+ EXIT $PING " "$T/text"
check "text: SOCK O of curl's TCPv4 socket" \
	grep -q -E "^[0-9.]+ SOCK O $CURL [0-9a-f]{16} TCPv4 " "$T/text"
check "text: SOCK O of curl's TCPv6 socket" \
	grep -q -E "^[0-9.]+ SOCK O $CURL6 [0-9a-f]{16} TCPv6 " "$T/text"
check "text: SOCK A by the server" grep -q -E "^[0-9.]+ SOCK A $PY [0-9a-f]{16} TCPv6 " "$T/text"
check "text: SOCK C of curl's socket" \
	grep -q -E "^[0-9.]+ SOCK C $CURL [0-9a-f]{16} TCPv4 " "$T/text"

# Every packet to or from port 8080: the client side belongs to curl, the
# server side to python3 (both directions, both namespaces).
attr() {
	awk -v c="$1" -v s="$PY" -v a="$2" -v b="$3" '
	$2 == "PAKT" && (index($7, b) == 1 || index($9, b) == 1) {
		n++
		client = ($3 == "O" && index($7, a) == 1) || ($3 == "I" && index($9, a) == 1)
		want = client ? c : s
		if ($5 == want) ok++; else if (bad++ < 3) print "| wrong owner: " $0
	}
	END { printf "%d/%d\n", ok, n; exit !(n >= 10 && ok == n) }' "$T/text"
}
r=$(attr "$CURL" 10.9.0.1: 10.9.0.2:8080)
vmtest "text: curl's packets attributed $r" $([ $? = 0 ] && echo PASS || echo FAIL)
r=$(attr "$CURL6" '[fd09::1]:' '[fd09::2]:8080')
vmtest "text: curl IPv6 packets attributed $r" $([ $? = 0 ] && echo PASS || echo FAIL)
n=$(awk -v p="$PING" '$2 == "PAKT" && $6 == "ICMPv4" && $3 == "O" && $5 == p' "$T/text" | wc -l)
check "text: ping's echo requests carry its pid ($n)" test "$n" -ge 2

tshark -r "$T/cap.pcapng" > "$T/tshark.out" 2> "$T/tshark.all"
# tshark always says it runs as root; anything else is about the file.
grep -v "^Running as user" "$T/tshark.all" > "$T/tshark.err"
check "pcapng: tshark reads it without a warning" test ! -s "$T/tshark.err"
tcpdump -nr "$T/cap.pcapng" > "$T/tcpdump.out" 2> "$T/tcpdump.err"
grep -v '^reading from file' "$T/tcpdump.err" > "$T/tcpdump.warn"
check "pcapng: tcpdump reads it without a warning" test ! -s "$T/tcpdump.warn"
cat "$T/tshark.err" "$T/tcpdump.warn" | head -3
epb=$(python3 "$HONE_SRCDIR/tests/vm/hone_pcapng.py" count "$T/cap.pcapng")
ts=$(wc -l < "$T/tshark.out") td=$(wc -l < "$T/tcpdump.out")
check "pcapng: packet counts agree (blocks $epb, tshark $ts, tcpdump $td)" \
	test "$epb" = "$ts" -a "$ts" = "$td" -a "$ts" -gt 10
cp "$T/text" "$T/cap.pcapng" /tmp/out/ 2>/dev/null
true
