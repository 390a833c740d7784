#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The 2013 deck's own test: 20 web pages with all their objects (572, one
# connection each: python's http.server answers HTTP/1.0 and closes) from a
# local server, each page by a curl for the page and a curl for its
# objects, six at a time as a browser does. The time for all 20 with honefw
# on the desktop rule set (examples/desktop.ini, curl as the browser) over
# the time with no firewall, in turns, BENCH_ROUNDS (3) times: the median
# of the rounds' own ratios (goal <= 1.02). The netlink sensor, or hone.ko
# with HONEFW_ARGS=--sensor kmod (make bench-vm). And in the same turns,
# each SYN through the bare consumer (qcount batch) / none: the floor any
# firewall that queues a connection's first packet sets on this test.
set -u

. "$(cd "$(dirname "$0")" && pwd)/../netns/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
PAGES=20
OBJECTS=572

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Page p's objects: 29 for the first 12, 28 for the rest (572 in all),
# 1 to 40 KiB each.
site() {
	local p o n
	mkdir -p "$T/www"
	for p in $(seq "$PAGES"); do
		n=$((p <= OBJECTS - 28 * PAGES ? 29 : 28))
		mkdir -p "$T/www/$p"
		: > "$T/www/$p/index.html"
		for o in $(seq "$n"); do
			head -c $(( (p * 7919 + o * 104729) % 40960 + 1024 )) /dev/zero \
				> "$T/www/$p/$o.bin"
			echo "<img src=\"$o.bin\">" >> "$T/www/$p/index.html"
		done
	done
	chmod -R a+rX "$T/www"
}

# The seconds all pages take, as hone-alice.
pages() {
	local p o args t0
	t0=$(date +%s%N)
	for p in $(seq "$PAGES"); do
		as hone-alice curl -sf -o /dev/null "http://$SRV4/$p/index.html" || return 1
		args=()
		for o in $(seq "$(grep -c img "$T/www/$p/index.html")"); do
			args+=(-o /dev/null "http://$SRV4/$p/$o.bin")
		done
		as hone-alice curl -sf -Z --parallel-max 6 "${args[@]}" 2> /dev/null || return 1
	done
	awk -v t="$(( $(date +%s%N) - t0 ))" 'BEGIN { printf "%.3f\n", t / 1e9 }'
}

netns_setup
site
(ip netns exec "$B" python3 -m http.server -b $SRV4 -d "$T/www" 80 > /dev/null 2>&1 &)
for _ in $(seq 100); do
	ip netns exec "$B" ss -Hltn 'sport = :80' | grep -q . && break
	sleep 0.1
done
sed -e 's|^exe = /usr/lib/firefox-esr/firefox-esr, |exe = /usr/bin/curl, /usr/lib/firefox-esr/firefox-esr, |' \
	"$ROOT/examples/desktop.ini" > "$T/rules.ini"
chmod 0644 "$T/rules.ini"
grep -q '^exe = /usr/bin/curl' "$T/rules.ini" ||
	{ echo "$0: examples/desktop.ini has no browser rule to add curl to" >&2; exit 1; }

# syn_rule -I|-D: each new connection's SYN to queue 100 (none of honefw's).
syn_rule() { a iptables "$1" OUTPUT -p tcp --dport 80 --syn -j NFQUEUE --queue-num 100; }
# The seconds all pages take with the bare consumer on queue 100.
bare_pages() {
	local q t
	a "$QCOUNT" 100 600 batch > /dev/null 2>&1 &
	q=$!
	sleep 0.3
	syn_rule -I
	t=$(pages)
	syn_rule -D
	kill $q
	wait $q 2> /dev/null
	[ -n "$t" ] && echo "$t"
}

pages > /dev/null || { echo "$0: the pages did not load" >&2; exit 1; }
for r in $(seq "$ROUNDS"); do
	none=$(pages) || exit 1
	bare=$(bare_pages) || { echo "$0: the pages did not load through the bare consumer" >&2; exit 1; }
	echo "$bare $none" >> "$T/floor"
	fw_start || exit 1
	fw=$(pages) || { echo "$0: the pages did not load through honefw" >&2; exit 1; }
	# The browser rule's connections: each judged, none let by; and
	# how many of them passed ahead, unqueued (hone.ko).
	"$HONEFW" --status --socket "$T/honefw.sock" > "$T/status"
	judged=$(awk '$4 == "browser" { print $2 }' "$T/status")
	ahead=$(sed -n 's/.* \([0-9]*\) connections passed unqueued.*/\1/p' "$T/status")
	fw_stop
	echo "$none $fw" >> "$T/pages"
done
printf 'pages bench, %s: %s pages, %s objects, one connection each; desktop rules (the browser rule judged %s connections a round, %s passed ahead): honefw %s s / none %s s = %s (goal <= 1.02)\n' \
	"$(case "$HONEFW_ARGS" in *kmod*) echo hone.ko ;; *) echo "netlink sensor" ;; esac)" "$PAGES" "$OBJECTS" "$judged" "${ahead:-0}" "$(awk '{ print $2 }' "$T/pages" | median)" \
	"$(awk '{ print $1 }' "$T/pages" | median)" \
	"$(awk '{ printf "%.3f\n", $2 / $1 }' "$T/pages" | median)"
printf 'pages bench: each SYN through the bare consumer %s s / none = %s (the floor queueing a connection sets)\n' \
	"$(awk '{ print $1 }' "$T/floor" | median)" \
	"$(awk '{ printf "%.3f\n", $1 / $2 }' "$T/floor" | median)"
