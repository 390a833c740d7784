# SPDX-License-Identifier: GPL-2.0
# 1,000 short-lived processes (10,000 under HONE_VM_STRESS=1) each
# connect, send and exit within milliseconds; every one of their packets
# must carry their pid.
. "$HONE_SRCDIR/tests/vm/lib.sh"
N=$(sized HONE_VM_MANY 1000 10000)
netns_up || { vmtest many FAIL "netns"; exit; }
ip netns exec hone-b socat -u TCP-LISTEN:7000,fork,reuseaddr OPEN:/dev/null > /dev/null 2>&1 &
wait_port hone-b 7000 || vmtest many FAIL "socat server"
cat /dev/honet > "$T/text" &
R=$!
sleep 0.3
# Each client reports its pid and port: busybox nc is one exec.
ip netns exec hone-a sh -c '
	for i in $(seq '"$N"'); do
		sh -c "echo \$\$; exec busybox nc 10.9.0.2 7000" < /dev/null
	done' > "$T/pids" 2> /dev/null
sleep 1
kill $R; wait $R 2>/dev/null
# Client-side packets (out of hone-a from 10.9.0.1, into hone-a to it) to
# port 7000 must carry one of the clients' pids, and every client must own
# some of them.
r=$(awk 'NR == FNR { pid[$1] = 1; next }
	$2 == "PAKT" && (($3 == "O" && index($7, "10.9.0.1:") == 1 && index($9, ":7000")) ||
			 ($3 == "I" && index($9, "10.9.0.1:") == 1 && index($7, ":7000"))) {
		n++
		if ($5 in pid) { ok++; seen[$5] = 1 } else if (bad++ < 3)
			print "wrong: " $0 > "/dev/stderr"
	}
	END { s = 0; for (p in seen) s++
	      printf "%d of %d packets, %d of %d processes\n", ok, n, s, length(pid) }' \
	"$T/pids" "$T/text")
echo "$r"
check "many: $N short-lived clients, 100% attributed: $r" \
	sh -c "echo '$r' | awk '{ exit !(\$1 == \$3 && \$1 > 0 && \$5 == \$7 && \$7 == $N) }'"
