#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The engine's figures, each a ratio measured in this run against its
# baseline, on this machine's kernel with the netlink sensor
# (tests/netns/lib.sh); the configurations of a row take turns, and each
# figure is the median of BENCH_ROUNDS (3) runs of BENCH_SECONDS (3), each
# ratio the median of the rounds' own ratios:
#
# - new TCP connections/s, 1 and 4 clients: honefw with a connection-wide
#   accept / no firewall (goal 0.80 with the netlink sensor); and each SYN
#   through the bare consumer / no firewall, the floor queueing sets;
#   and a plain stateful nftables firewall / no firewall, the floor of
#   conntrack, in whose mark honefw keeps a connection's verdict (its
#   entries are left to time out: a table too small for them drops SYNs);
# - 64-byte UDP datagrams/s, each judged: honefw with a per-packet rule /
#   the best bare NFQUEUE consumer (qcount batch: one batch verdict per
#   read; goal 0.90);
# - 64-byte UDP datagrams/s, offloaded: honefw with a connection-wide
#   accept / a plain stateful nftables firewall (goal 0.95);
# - the cost of IPFIX export (an [ipfix] section, UDP to a collector in
#   the servers' namespace): new TCP connections/s (1 client) and judged
#   datagrams/s, honefw exporting / the same honefw reloaded without the
#   section, in turns (off on on off each round; goal 0.97). Once on,
#   nf_conntrack_acct stays on: both count. And its floor, two more
#   turns of connections: honefw not exporting with a bare listener on
#   conntrack's destroy events (tests/tools/ctlisten) / with none. The
#   kernel builds each event in the context that deletes the entry:
#   honefw's own delete when an offloaded connection's socket ends.
# - verdict latency: UDP round trips one datagram at a time (judged each
#   way), p50 and p99, with no firewall, the bare consumer and honefw;
# - honefw's CPU per connection and per datagram, and what it runs as.
#
# Every honefw here has failmode = closed: a full queue drops, it does not
# pass packets unjudged and flatter the figure.
set -u

. "$(cd "$(dirname "$0")" && pwd)/../netns/lib.sh"

SECONDS_EACH=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
# BENCH_ROWS=conns: the connection rows alone (make bench-vm, hone.ko).
ROWS=${BENCH_ROWS:-all}
SENSOR=$(case "$HONEFW_ARGS" in *kmod*) echo hone.ko ;; *) echo "netlink sensor" ;; esac)
CTLISTEN=$ROOT/build/tools/ctlisten
TCP_PORT=9600
UDP_PORT=9500

for t in "$NETLOAD" "$CTLISTEN"; do
	[ -x "$t" ] || { echo "$0: no $t (make bench)" >&2; exit 1; }
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# rratio A B: the median of the rounds' own A / B (a drift of the machine
# between rounds cancels out), from the figures measure() kept.
rratio() {
	paste "$T/$1" "$T/$2" | awk '{ print $2 ? $1 / $2 : 0 }' | median |
		awk '{ printf "%.2f", $1 }'
}
# honefw's CPU time so far, in microseconds (utime + stime): the engine's
# and its privileged parent's.
cpu_us() {
	cat "/proc/$FW/stat" "/proc/$ENG/stat" |
		awk -v hz="$(getconf CLK_TCK)" '{ t += $14 + $15 } END { print int(t * 1000000 / hz) }'
}

# Each prints a rate per second.
conns() {
	echo $(( $(as hone-alice "$NETLOAD" tcp-connect $SRV4 $TCP_PORT "$SECONDS_EACH" "$1") / SECONDS_EACH ))
}
datagrams() {
	local n
	ip netns exec "$B" "$NETLOAD" udp-sink $UDP_PORT $((SECONDS_EACH + 1)) > "$T/sink" &
	sleep 0.2
	as hone-alice "$NETLOAD" udp-flood $SRV4 $UDP_PORT "$SECONDS_EACH" > /dev/null
	wait
	n=$(cat "$T/sink")
	echo $((n / SECONDS_EACH))
}

# rules_flow/rules_packet [ipfix]: with an [ipfix] section if asked.
ipfix_section() {
	[ -z "${1:-}" ] || printf '\n[ipfix]\ncollector = %s:4739\n' $SRV4 >> "$T/rules.ini"
}
rules_flow() {
	printf '[global]\ndefault = accept\nfailmode = closed\n' > "$T/rules.ini"
	ipfix_section "$@"
}
rules_packet() {
	printf '[global]\ndefault = accept\nfailmode = closed\n\n[every-datagram]\nuser = hone-alice\nproto = udp\nlength = 0-65535\naction = accept\n' \
		> "$T/rules.ini"
	ipfix_section "$@"
}
stateful_on() {
	a nft -f - <<-EOF
	table inet plain {
		chain in { type filter hook input priority 0; policy drop;
			ct state established,related accept; ct state new accept; }
		chain out { type filter hook output priority 0; policy drop;
			ct state established,related accept; ct state new accept; }
	}
	EOF
}
stateful_off() { a nft delete table inet plain; }
# Both ways: the flood has no answers, the round trips do.
bare_rules() {
	a iptables "$1" OUTPUT -p udp --dport $UDP_PORT -j NFQUEUE --queue-num 9
	a iptables "$1" INPUT -p udp --sport $UDP_PORT -j NFQUEUE --queue-num 9
}
# Each new connection's SYN: what queueing a connection's first packet
# costs at all.
syn_rule() { a iptables "$1" OUTPUT -p tcp --dport $TCP_PORT --syn -j NFQUEUE --queue-num 9; }
# bare_on RULES: the bare consumer on queue 9, fed by RULES -I (bare_off
# takes them out again with -D).
bare_on() {
	BARE_RULES=$1
	"$BARE_RULES" -I
	a "$QCOUNT" 9 $((SECONDS_EACH + 2)) batch > /dev/null 2>&1 &
	BARE=$!
	sleep 0.3
}
bare_off() { wait $BARE; "$BARE_RULES" -D; }

# measure NAME CMD...: CMD's figure into $T/NAME.N, and with honefw
# running, its CPU per unit into $T/NAME.cpu.
measure() {
	local name=$1 c0 v; shift
	[ -n "$FW" ] && c0=$(cpu_us)
	v=$("$@")
	echo "$v" >> "$T/$name"
	[ -n "$FW" ] && echo $(( ($(cpu_us) - c0) / (v * SECONDS_EACH + 1) )) >> "$T/$name.cpu"
}
fig() { median < "$T/$1"; }
# rtt NAME: UDP round trips, one datagram at a time, to an echo in the
# servers' namespace; their p50 and p99 (us) into $T/NAME.p50, .p99.
rtt() {
	local name=$1 out echo
	ip netns exec "$B" "$NETLOAD" udp-echo $UDP_PORT $((SECONDS_EACH + 1)) &
	echo=$!
	sleep 0.2
	out=$(as hone-alice "$NETLOAD" udp-rtt $SRV4 $UDP_PORT "$SECONDS_EACH")
	wait $echo
	set -- $out
	echo "$2" >> "$T/$name.p50"
	echo "$3" >> "$T/$name.p99"
}
# hup_to RULES on|off: reload honefw with RULES, exporting or not, and wait
# until it says so.
hup_to() {
	local n
	n=$(grep -c 'reloaded' "$T/fw.log")
	if [ "$2" = on ]; then "$1" ipfix; else "$1"; fi
	kill -HUP "$FW"
	for _ in $(seq 100); do
		[ "$(grep -c 'reloaded' "$T/fw.log")" = "$n" ] || return 0
		sleep 0.05
	done
	echo "$0: honefw did not reload" >&2
	exit 1
}
cpu() { median < "$T/$1.cpu"; }

netns_setup
rm -f "$T"/m.*
(ip netns exec "$B" "$NETLOAD" tcp-server $TCP_PORT > /dev/null 2>&1 &)
# The IPFIX collector: reads and forgets.
(ip netns exec "$B" socat -u UDP-RECV:4739,bind=$SRV4 /dev/null > /dev/null 2>&1 &)
sleep 0.3

for r in $(seq "$ROUNDS"); do
	measure m.c1.none conns 1
	measure m.c4.none conns 4
	bare_on syn_rule
	measure m.c1.bare conns 1
	bare_off
	stateful_on
	measure m.c1.stateful conns 1
	measure m.c4.stateful conns 4
	[ "$ROWS" = all ] && measure m.udp.stateful datagrams
	stateful_off
	if [ "$ROWS" = all ]; then
		bare_on bare_rules
		measure m.udp.bare datagrams
		bare_off
		rtt m.rtt.none
		bare_on bare_rules
		rtt m.rtt.bare
		bare_off
	fi

	rules_flow
	fw_start || exit 1
	[ "$r" = 1 ] && grep -E '^(Uid|CapEff|Seccomp):' "/proc/$(pgrep -P "$FW")/status" |
		tr -s '\t' ' ' | paste -sd' ' > "$T/privileges"
	measure m.c1.fw conns 1
	measure m.c4.fw conns 4
	[ "$ROWS" = conns ] && { fw_stop; continue; }
	measure m.udp.flow datagrams
	fw_stop
	rules_packet
	fw_start || exit 1
	measure m.udp.packet datagrams
	rtt m.rtt.fw
	fw_stop

	# Export on and off in one honefw, a reload apart, in turns: the
	# machine's drift between two runs is what the ratio must not see.
	rules_flow
	fw_start || exit 1
	# lis: not exporting, with the bare destroy-group listener in
	# honefw's namespace, the floor of any conntrack-fed exporter.
	for x in off on lis lis on off; do
		if [ "$x" = lis ]; then
			hup_to rules_flow off
			a "$CTLISTEN" $((SECONDS_EACH + 1)) > /dev/null &
			LIS=$!
			sleep 0.2
		else
			hup_to rules_flow "$x"
		fi
		measure m.c1.x$x conns 1
		[ "$x" = lis ] && wait $LIS
		# What the exporter did: its status line, read below.
		[ "$x" = on ] && { kill -USR1 "$FW"; sleep 0.2; }
	done
	grep 'status: ipfix' "$T/fw.log" | tail -1 > "$T/ipfix.status"
	fw_stop
	rules_packet
	fw_start || exit 1
	for x in off on on off; do
		hup_to rules_packet "$x"
		measure m.udp.x$x datagrams
	done
	fw_stop
done

printf 'engine bench: %s rounds of %s s, medians; %s\n' "$ROUNDS" "$SECONDS_EACH" "$SENSOR"
for c in 1 4; do
	printf 'engine bench: new TCP connections/s, %s client(s): honefw %s / none %s = %s (goal %s); honefw %s us CPU per connection\n' \
		$c "$(fig m.c$c.fw)" "$(fig m.c$c.none)" \
		"$(rratio m.c$c.fw m.c$c.none)" \
		"$([ "$SENSOR" = hone.ko ] && echo 0.90 || echo 0.80)" "$(cpu m.c$c.fw)"
done
printf 'engine bench: new TCP connections/s, 1 client, each SYN through the bare consumer: %s / none %s = %s (what queueing a connection costs at all)\n' \
	"$(fig m.c1.bare)" "$(fig m.c1.none)" "$(rratio m.c1.bare m.c1.none)"
printf 'engine bench: new TCP connections/s, 1 and 4 clients, a plain stateful nftables firewall: %s, %s / none = %s, %s (what conntrack costs a connection: the floor of a verdict kept in its mark); honefw / it = %s, %s\n' \
	"$(fig m.c1.stateful)" "$(fig m.c4.stateful)" \
	"$(rratio m.c1.stateful m.c1.none)" "$(rratio m.c4.stateful m.c4.none)" \
	"$(rratio m.c1.fw m.c1.stateful)" "$(rratio m.c4.fw m.c4.stateful)"
[ "$ROWS" = conns ] && exit 0
printf 'engine bench: 64-byte UDP/s, each judged: honefw %s / bare batched consumer %s = %s (goal 0.90); honefw %s us CPU per datagram\n' \
	"$(fig m.udp.packet)" "$(fig m.udp.bare)" \
	"$(rratio m.udp.packet m.udp.bare)" "$(cpu m.udp.packet)"
printf 'engine bench: verdict latency, UDP round trip (a verdict each way), p50/p99 us: none %s/%s, bare consumer %s/%s, honefw %s/%s\n' \
	"$(fig m.rtt.none.p50)" "$(fig m.rtt.none.p99)" \
	"$(fig m.rtt.bare.p50)" "$(fig m.rtt.bare.p99)" \
	"$(fig m.rtt.fw.p50)" "$(fig m.rtt.fw.p99)"
printf 'engine bench: 64-byte UDP/s, offloaded: honefw %s / stateful nftables %s = %s (goal 0.95)\n' \
	"$(fig m.udp.flow)" "$(fig m.udp.stateful)" \
	"$(rratio m.udp.flow m.udp.stateful)"
printf 'engine bench: IPFIX export on / off (one honefw, reloaded): new TCP connections/s, 1 client: %s / %s = %s; judged 64-byte UDP/s: %s / %s = %s (goal 0.97); honefw %s / %s us CPU per connection\n' \
	"$(fig m.c1.xon)" "$(fig m.c1.xoff)" "$(rratio m.c1.xon m.c1.xoff)" \
	"$(fig m.udp.xon)" "$(fig m.udp.xoff)" "$(rratio m.udp.xon m.udp.xoff)" \
	"$(cpu m.c1.xon)" "$(cpu m.c1.xoff)"
printf 'engine bench: the floor of export, new TCP connections/s, 1 client: honefw not exporting, a bare listener on conntrack'"'"'s destroy events (tests/tools/ctlisten) %s / no listener %s = %s; honefw exporting / that = %s\n' \
	"$(fig m.c1.xlis)" "$(fig m.c1.xoff)" "$(rratio m.c1.xlis m.c1.xoff)" \
	"$(rratio m.c1.xon m.c1.xlis)"
printf 'engine bench: IPFIX %s\n' "$(sed 's/^honefw: status: ipfix: //' "$T/ipfix.status")"
printf 'engine bench: honefw'"'"'s engine, the packet parser, runs as: %s (goal: unprivileged)\n' \
	"$(cat "$T/privileges")"
