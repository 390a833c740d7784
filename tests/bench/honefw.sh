#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iperf3 through honefw on this machine's kernel (tests/netns/lib.sh): TCP
# throughput with no firewall, with a connection-wide accept (the conntrack
# mark fast path) and with a per-packet rule (every packet queued), each
# against the run without honefw (target 0.95) or, per packet, against a bare
# NFQUEUE consumer (build/tools/qcount; target 0.9).
set -u

. "$(cd "$(dirname "$0")" && pwd)/../netns/lib.sh"

SECONDS_EACH=${BENCH_SECONDS:-3}

gbits() {
	as hone-alice iperf3 -c $SRV4 -t "$SECONDS_EACH" -J 2>/dev/null |
		python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}

netns_setup
ip netns exec "$B" iperf3 -s -D >/dev/null 2>&1
sleep 0.3

base=$(gbits)
printf 'honefw bench: no firewall            %6s Gbit/s\n' "$base"

printf '[global]\ndefault = accept\n' > "$T/rules.ini"
fw_start || exit 1
flow=$(gbits)
fw_stop
printf 'honefw bench: connection-wide accept %6s Gbit/s  ratio %s\n' "$flow" \
	"$(echo "scale=2; $flow / $base" | bc)"

# A bare consumer: every packet queued both ways, accepted unread.
a iptables -I OUTPUT -j NFQUEUE --queue-num 9
a iptables -I INPUT -j NFQUEUE --queue-num 9
a "$QCOUNT" 9 $((SECONDS_EACH + 2)) >/dev/null 2>&1 &
sleep 0.3
bare=$(gbits)
wait
a iptables -F OUTPUT
a iptables -F INPUT
printf 'honefw bench: bare NFQUEUE consumer  %6s Gbit/s\n' "$bare"

printf '[global]\ndefault = accept\n\n[every-packet]\nuser = hone-alice\nlength = 0-65535\naction = accept\n' \
	> "$T/rules.ini"
fw_start || exit 1
pkt=$(gbits)
fw_stop
printf 'honefw bench: per-packet verdicts    %6s Gbit/s  ratio to bare consumer %s\n' \
	"$pkt" "$(echo "scale=2; $pkt / $bare" | bc)"
