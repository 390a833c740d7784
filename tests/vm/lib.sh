# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest tests (sourced). Tests run as root in the VM, with
# the host's programs; $HONE_SRCDIR is the repository (read-only).
HONE_KO=$HONE_SRCDIR/build/kmod/$(uname -r)/hone.ko
T=$(mktemp -d /tmp/vmtest.XXXXXX)

vmtest() { echo "VMTEST $1 $2 ${*:3}"; }
# sized VAR SMALL FULL: a test's size, $VAR if set, else FULL under
# HONE_VM_STRESS=1 (make check-stress), else SMALL (make check).
sized() {
	if [ -n "${!1:-}" ]; then echo "${!1}"
	elif [ "${HONE_VM_STRESS:-}" = 1 ]; then echo "$3"
	else echo "$2"; fi
}
# check NAME CMD...: PASS if CMD succeeds.
check() {
	local name=$1; shift
	if "$@"; then vmtest "$name" PASS; else vmtest "$name" FAIL "$*"; fi
}

hone_loaded() { [ -d /sys/module/hone ]; }
hone_load() {
	local d
	for d in $(modinfo -F depends "$HONE_KO" | tr , ' '); do
		modprobe "$d" || return 1
	done
	insmod "$HONE_KO" || return 1
	udev_wait /dev/hone && udev_wait /dev/honet
}
hone_unload() { rmmod hone; }
# devtmpfs creates the nodes asynchronously.
udev_wait() {
	local i
	for i in $(seq 50); do [ -c "$1" ] && return 0; sleep 0.1; done
	return 1
}

# memory: "SLAB VMALLOC", /proc/meminfo's Slab and VmallocUsed in kB, once
# Slab stops falling after drop_caches and a shrink of every slab cache
# (which frees the empty slabs SLUB keeps); a namespace, and the sockets
# and conntrack entries in it, goes some time after it is deleted. 10 s at
# most.
memory() {
	local i s prev f
	for i in $(seq 10); do
		prev=$s
		echo 3 > /proc/sys/vm/drop_caches
		for f in /sys/kernel/slab/*/shrink; do echo 1 > "$f"; done
		s=$(awk '$1 == "Slab:" { print $2 }' /proc/meminfo)
		[ -n "$prev" ] && [ $((prev - s)) -lt 64 ] && break
		sleep 1
	done
	echo "$s $(awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo)"
}

# Two namespaces on a veth pair: hone-a 10.9.0.1/fd09::1, hone-b 10.9.0.2/fd09::2.
netns_up() {
	ip netns add hone-a && ip netns add hone-b &&
	ip link add va netns hone-a type veth peer name vb netns hone-b &&
	ip -n hone-a addr add 10.9.0.1/24 dev va && ip -n hone-b addr add 10.9.0.2/24 dev vb &&
	ip -n hone-a addr add fd09::1/64 dev va nodad &&
	ip -n hone-b addr add fd09::2/64 dev vb nodad &&
	ip -n hone-a link set va up && ip -n hone-b link set vb up &&
	ip -n hone-a link set lo up && ip -n hone-b link set lo up
}
netns_down() { ip netns del hone-a 2>/dev/null; ip netns del hone-b 2>/dev/null; }

# wait_port NS PORT: until something listens on PORT in NS.
wait_port() {
	local i
	for i in $(seq 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# wait_for FILE [LINES]: until FILE exists (and has LINES lines).
wait_for() {
	local i
	for i in $(seq 200); do
		[ -e "$1" ] && [ "$(wc -l < "$1")" -ge "${2:-0}" ] && return 0
		sleep 0.1
	done
	return 1
}

# steady MAX CMD...: until CMD prints what it printed a second before,
# MAX seconds at most (counts of events that come late, as the frees of
# UDP sockets an RCU grace period or more after their close).
steady() {
	local prev=-1 now
	for _ in $(seq "$1"); do
		now=$("${@:2}")
		[ "$now" = "$prev" ] && return 0
		prev=$now
		sleep 1
	done
	return 1
}

# pkt_owners SOCKETS TEXT: the packets in TEXT (lines as /dev/honet writes
# them) from or to a local address in SOCKETS (lines of sockets.py) must
# carry their socket's cookie and pid: a connected socket's by both
# addresses, else an unconnected one's by its local address. An accepted
# socket's first packet is its SYN, which belongs to the listener. Prints
# "PROTO ok/n" per protocol; the wrong packets go to stderr.
pkt_owners() {
	awk '
	NR == FNR {
		k = $2 " " $5 " " $6
		own[k] = $4 " " $3; kind[k] = $1; mine[$5] = 1
		if ($1 == "listen") lst[$2 " " $5] = $4 " " $3
		if ($1 == "listen" || $1 == "udp") unc[$2 " " $5] = $4 " " $3
		next
	}
	$2 == "PAKT" && ($7 in mine || $9 in mine) {
		p = $6
		if ($3 == "O") { k = p " " $7 " " $9; u = p " " $7 }
		else { k = p " " $9 " " $7; u = p " " $9 }
		want = "none"
		if (k in own) {
			want = own[k]
			if (kind[k] == "accept" && !(k in seen))
				want = lst[p " " ($3 == "I" ? $9 : $7)]
			seen[k] = 1
		} else if (u in unc) {
			want = unc[u]
		}
		n[p]++
		if ($4 " " $5 == want) ok[p]++
		else if (bad++ < 5) print "wrong owner (want " want "): " $0 > "/dev/stderr"
	}
	END { for (p in n) printf "%s %d/%d\n", p, ok[p], n[p] }' "$1" "$2" | sort
}

cleanup() {
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	netns_down
	rm -rf "$T"
}
trap cleanup EXIT

# netns_report NAME OUT RC: the lines of a tests/netns/run output OUT
# (exit RC) as NAME's VMTEST lines, and a FAIL unless all passed.
netns_report() {
	awk -v n="$1" '/^ok   / { sub(/^ok   /, ""); print "VMTEST " n ": " $0 " PASS"; next }
	     /^FAIL / { sub(/^FAIL /, ""); print "VMTEST " n ": " $0 " FAIL"; next }
	     { print }' "$2"
	grep -q -E '^[0-9]+ passed, 0 failed$' "$2" ||
		vmtest "$1: tests/netns/run" FAIL "exit $3: $(tail -1 "$2")"
}
