# SPDX-License-Identifier: GPL-2.0
# /dev/hone as a capture (snaplen 256): curl fetches from a python3 server
# that reports its pid and its sockets' cookies (tests/vm/sockets.py http).
# Every packet of the exchanges, client and server side, both ways, carries
# options 257 (connection id) and 258 (pid) of its socket, and 8 and the
# comment agree; process blocks carry exe path and argv exactly; a SYN to a
# closed port and the kernel's RST have only epb_flags. HEIO_RESTART ends
# the section with an Interface Statistics Block that counts what was read;
# a reader with a 256 KiB ring that reads nothing meanwhile gets one with
# its drops once it has caught up, and again at the end.
. "$HONE_SRCDIR/tests/vm/lib.sh"
V=$HONE_SRCDIR/tests/vm
netns_up || { vmtest pcapng FAIL "netns"; exit; }
# No IPv6 (the test's packets are IPv4): after the start, only the test's
# own packets, which the statistics at the end count. The kernel's own
# (router solicitations, and MLD reports that a slow VM may send late)
# came in while the readers ended: counted, and never read.
ip netns exec hone-a sysctl -qw net.ipv6.conf.va.disable_ipv6=1
ip netns exec hone-b sysctl -qw net.ipv6.conf.vb.disable_ipv6=1
python3 "$V/capture.py" "$T/go" "/dev/hone,$T/cap,snaplen=256" \
	"/dev/hone,$T/stall,ring_kb=256,stall" &
R=$!
wait_for "$T/stall.ready" || vmtest pcapng FAIL "readers did not open"
ip netns exec hone-b python3 "$V/sockets.py" http 10.9.0.2 8080 2 > "$T/server" &
SRV=$!
wait_for "$T/server" 1 || vmtest pcapng FAIL "server did not listen"
URL=http://10.9.0.2:8080/1000
ip netns exec hone-a sh -c 'echo $$ > '"$T/curl.pid"'; exec curl -s -o /dev/null '$URL
check "pcapng: curl fetched $URL" test $? = 0
ip netns exec hone-a sh -c \
	'echo $$ > '"$T/big.pid"'; exec curl -s -o /dev/null http://10.9.0.2:8080/1000000'
check "pcapng: curl fetched 1 MB" test $? = 0
# From a path with a blank, a quote and a non-ASCII letter: the comment
# escapes them as honefw does.
ODD="$T/odd dir/cu\"rl"$'\303\251'
mkdir -p "$T/odd dir" && cp /usr/bin/curl "$ODD"
ip netns exec hone-a sh -c 'echo $$ > '"$T/rst.pid"'; exec "$0" -s http://10.9.0.2:9/' "$ODD"
check "pcapng: curl to a closed port refused" test $? = 7
wait $SRV
check "pcapng: server answered both" test $? = 0
sleep 0.5
touch "$T/go"
wait $R
CURL=$(cat "$T/curl.pid") BIG=$(cat "$T/big.pid") RST=$(cat "$T/rst.pid")
SRVPID=$(awk 'NR == 1 { print $3 }' "$T/server")
python3 "$V/hone_pcapng.py" text -w "$T/cap" "$T/stall" "$T/cap.next"
check "pcapng: the captures are well formed" test $? = 0
check "pcapng: after the 0-byte read a new section starts (SHB, IDB)" \
	awk 'NR == 1 && $1 != "SHB" || NR == 2 && $1 != "IDB" { exit 1 } END { exit NR < 2 }' \
	"$T/cap.next.txt"

# Process blocks: exe path and argv, at exec and at exit.
# line_with FILE STRINGS...: a line that contains each of STRINGS.
line_with() {
	local f=$1; shift
	W=$(printf '%s\n' "$@") awk 'BEGIN { n = split(ENVIRON["W"], w, "\n") }
		{ for (i = 1; i <= n && index($0, w[i]); i++); if (i > n) { found = 1; exit } }
		END { exit !found }' "$f"
}
ARGV='curl\x00-s\x00-o\x00/dev/null\x00http://10.9.0.2:8080/1000\x00'
check "pcapng: curl's exec block: path and argv" \
	line_with "$T/cap.txt" " EXEC $CURL " " uid=0 gid=0 path=/usr/bin/curl argv=$ARGV tid="
check "pcapng: curl's exit block: path, argv, status 0" \
	line_with "$T/cap.txt" " EXIT $CURL " " path=/usr/bin/curl argv=$ARGV status=0 tid="
PY=$(readlink -f /usr/bin/python3)
ARGV="python3\\x00$V/sockets.py\\x00http\\x0010.9.0.2\\x008080\\x002\\x00"
check "pcapng: the server's exec block: $PY and its argv" \
	line_with "$T/cap.txt" " EXEC $SRVPID " " path=$PY argv=$ARGV tid="

# The sockets: the server's from its report, curl's from its close event.
cp "$T/server" "$T/socks"
for pid in $CURL $BIG; do
	awk -v p="$pid" '$2 == "SOCK" && $3 == "C" && $4 == p && $9 == "10.9.0.2:8080" {
		print "client", $6, $4, $5, $7, $9 }' "$T/cap.txt" >> "$T/socks"
done
cat "$T/socks"
check "pcapng: 5 sockets (listener, 2 accepted, 2 curl)" test "$(wc -l < "$T/socks")" = 5
c=$(awk -v p="$CURL" '$1 == "client" && $3 == p { print $4 }' "$T/socks")
check "pcapng: curl's connection block at open has the cookie of its close" \
	grep -q -E "^[0-9.]+ SOCK O $CURL ${c:-none} TCPv4 " "$T/cap.txt"
r=$(pkt_owners "$T/socks" "$T/cap.txt" | awk '$1 == "TCPv4" { print $2 }')
check "pcapng: every packet of curl's exchanges has its socket's cookie and pid (${r:-none})" \
	test "${r%/*}" = "${r#*/}" -a "${r#*/}" -ge 40
# In every packet the options agree: 257 is 259's low 32 bits, 8 and the
# comment give 258's pid; a packet without a socket has only epb_flags.
epb_options() {
	awk 'function dec(h,   i, v) {
		for (i = 1; i <= length(h); i++)
			v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		return sprintf("%.0f", v)
	}
	$2 == "PAKT" {
		n++
		split("", o)
		for (i = 11; i <= NF; i++)
			o[substr($i, 1, index($i, "=") - 1)] = substr($i, index($i, "=") + 1)
		c = "\\x20conn=" dec($4)
		if ($4 == "0000000000000000")
			ok = o["opts"] == "2" && $5 == 0
		else if ($5 == 0)
			ok = o["opts"] == "2,257,259,1" && o["conn"] == substr($4, 9)
		else
			ok = o["opts"] == "2,8,257,258,259,1" && o["conn"] == substr($4, 9) &&
				index(o["pidtid"], $5 "/") == 1 &&
				index(o["comment"], "pid=" $5 "\\x20exe=") == 1 &&
				substr(o["comment"], length(o["comment"]) - length(c) + 1) == c
		if (!ok && bad++ < 3)
			print "bad options: " $0
	}
	END { print n - bad "/" n " packets"; exit bad || n < 40 }' "$1"
}
check "pcapng: options 257, 258, 8, 259 and the comment agree in every packet" \
	epb_options "$T/cap.txt"
check "pcapng: snaplen 256: IDB, caplen, the original length of big packets" \
	awk '$1 == "IDB" { idb = $3 }
		$2 == "PAKT" { split($11, c, "="); if (c[2] > 256) exit 1; if ($10 > 256) big++ }
		END { exit !(idb == "snaplen=256" && big > 0) }' "$T/cap.txt"

# The closed port: the SYN that came in and the RST that went out in hone-b
# have no socket; in hone-a both are curl's.
check "pcapng: SYN to a closed port and the kernel's RST: no socket, only epb_flags" \
	awk '$2 == "PAKT" && ($3 == "I" && $9 == "10.9.0.2:9" || $3 == "O" && $7 == "10.9.0.2:9") {
		n++; if ($4 != "0000000000000000" || $5 != 0 || $13 != "opts=2") exit 1 }
		END { exit n != 2 }' "$T/cap.txt"
check "pcapng: the same SYN and RST in curl's namespace are curl's" \
	awk -v p="$RST" '$2 == "PAKT" &&
		($3 == "O" && $9 == "10.9.0.2:9" || $3 == "I" && $7 == "10.9.0.2:9") {
		n++; if ($4 == "0000000000000000" || $5 != p) exit 1 }
		END { exit n != 2 }' "$T/cap.txt"
# The comment's backslashes are hone_pcapng.py's \x5c.
check "pcapng: its comment names the odd path escaped, exe=$T/odd\\x20dir/cu\\x22rl\\xc3\\xa9" \
	line_with "$T/cap.txt" " PAKT O " " $RST " \
		"comment=pid=$RST\\x20exe=$T/odd\\x5cx20dir/cu\\x5cx22rl\\x5cxc3\\x5cxa9\\x20conn="

# isb FILE DROPS: the section's last block is an ISB that agrees with the
# packets read and the reader's HEIO_GET_STATS (FILE.stats, taken just
# before the restart); DROPS: none or some packets dropped, ring full.
isb() {
	awk -v drops="$2" 'function kv(s, a,   f, i, j) {
		split(s, f, " ")
		for (i = 1; i in f; i++)
			if (j = index(f[i], "="))
				a[substr(f[i], 1, j - 1)] = substr(f[i], j + 1)
	}
	FNR == NR { kv($0, st); stats = $0; next }
	$2 == "PAKT" { n++ }
	{ last = $0 }
	END {
		print last
		print n " packets read; stats " stats
		if (last !~ / ISB /) exit 1
		kv(last, v)
		exit !(v["opts"] == "2,3,4,5,6,7,8,257,258,259,260,261,262,263,264,265,266,267" &&
			v["owner_full"] == "0" && v["proc_full"] == "0" &&
			v["script_lost"] == "0" &&
			v["usrdeliv"] + 0 == n && st["packets"] + 0 == n &&
			v["osdrop"] + 0 == st["packets_dropped"] + 0 &&
			(v["osdrop"] + 0 > 0) == (drops == "some") &&
			v["ifdrop"] + 0 == st["packets_lost"] + 0 &&
			v["filteraccept"] + 0 == 0 && st["packets_filtered"] + 0 == 0 &&
			v["ifrecv"] + 0 == v["usrdeliv"] + v["osdrop"] &&
			v["proc_rdrop"] + 0 == st["proc_dropped"] + 0 &&
			v["conn_rdrop"] + 0 == st["conn_dropped"] + 0 &&
			v["starttime"] + 0 <= v["endtime"] + 0)
	}' "$1.stats" "$1.txt"
}
check "pcapng: HEIO_RESTART: an ISB ends the section, counts agree, no drop" isb "$T/cap" none
check "pcapng: the stalled reader's last ISB counts its drops" isb "$T/stall" some
n=$(grep -c -E ' ISB .* osdrop=[1-9]' "$T/stall.txt")
check "pcapng: the stalled reader got an ISB with drops once caught up, and one at the end ($n)" \
	test "$n" -ge 2
cp "$T/cap.txt" "$T/stall.txt" "$T/socks" /tmp/out/ 2>/dev/null
true
