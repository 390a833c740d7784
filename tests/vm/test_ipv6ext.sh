# SPDX-License-Identifier: GPL-2.0
# UDP over IPv6 behind extension headers (hop-by-hop options, destination
# options: ancillary data of sendmsg) is attributed on both sides, and the
# text line names the UDP ports behind the headers.
. "$HONE_SRCDIR/tests/vm/lib.sh"
V=$HONE_SRCDIR/tests/vm
netns_up || { vmtest ipv6ext FAIL "netns"; exit; }
ip netns exec hone-a sysctl -qw net.ipv6.conf.va.router_solicitations=0
ip netns exec hone-b sysctl -qw net.ipv6.conf.vb.router_solicitations=0
cat /dev/honet > "$T/text" &
R1=$!
cat /dev/hone > "$T/cap" &
R2=$!
ip netns exec hone-b python3 -c '
import os, socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("fd09::2", 5300))
print(os.getpid(), flush=True)
for _ in range(2):
    s.recvfrom(100)
print("got", flush=True)' > "$T/server" &
SRV=$!
wait_port hone-b 5300 || vmtest ipv6ext FAIL "server"
ip netns exec hone-a python3 -c '
import os, socket
# Pad6: an option header of 8 bytes (next header, length 0, PadN of 4).
opts = bytes([0, 0, 1, 4, 0, 0, 0, 0])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("fd09::1", 5301))
print(os.getpid(), flush=True)
for kind in (socket.IPV6_HOPOPTS, socket.IPV6_DSTOPTS):
    s.sendmsg([b"hone"], [(socket.IPPROTO_IPV6, kind, opts)], 0, ("fd09::2", 5300))' \
	> "$T/client"
check "ipv6ext: sent" test $? = 0
wait $SRV
check "ipv6ext: both received" grep -q got "$T/server"
sleep 0.5
kill $R1 $R2
wait $R1 $R2 2>/dev/null
CLI=$(head -1 "$T/client") SRVPID=$(head -1 "$T/server")
python3 "$V/hone_pcapng.py" text -w "$T/cap"
# The first next header of each datagram, seen out and in: 0 (hop-by-hop),
# 60 (destination options).
r=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import hone_pcapng as h
for t, blk, end, off in h.blocks(open(sys.argv[2], "rb").read()):
    if t == h.EPB and len(blk) > 28 + 40 and blk[28] >> 4 == 6 and blk[28 + 40 + 8 + 2:28 + 40 + 8 + 4] == bytes([20, 180]):
        print(blk[28 + 6])' "$V" "$T/cap" | sort -n | tr '\n' ' ')
echo "first next headers of the datagrams (out, in, ...): $r"
check "ipv6ext: the datagrams carry hop-by-hop and destination options ($r)" \
	test "$r" = "0 0 60 60 "
# pkts FILE FIELDS: "dir pid" of the UDP lines 5301 -> 5300.
pkts() {
	awk '$2 == "PAKT" && $6 == "UDPv6" && $7 == "[fd09::1]:5301" && $9 == "[fd09::2]:5300" {
		print $3, $5 }' "$1" | sort | tr '\n' ' '
}
r=$(pkts "$T/cap.txt")
check "ipv6ext(pcapng): sender and receiver own them: $r" \
	test "$r" = "I $SRVPID I $SRVPID O $CLI O $CLI "
r=$(pkts "$T/text")
check "ipv6ext(honet): sender and receiver own them, ports shown: $r" \
	test "$r" = "I $SRVPID I $SRVPID O $CLI O $CLI "
