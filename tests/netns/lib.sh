# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tests/netns/run and examples/demo: two network namespaces joined
# by veth, an HTTP server in the second, users, and honefw on the first.
#
#	    hone-aPID (firewalled)                hone-bPID (servers)
#	  applications, sinks, honefw ── veth ── python3 -m http.server :8000
#	  10.99.0.1  fd99::1                      10.99.0.2  fd99::2
#
# honefw opens its sensor in the initial namespace (the proc connector lives
# only there) and then joins hone-aPID with --netns.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HONEFW=${HONEFW:-$ROOT/build/honefw}
# e.g. "--sensor kmod" where hone.ko is loaded (the VM run)
HONEFW_ARGS=${HONEFW_ARGS:-}
HONEREAD=${HONEREAD:-$ROOT/build/honeread}
# "--sensor kmod" where hone.ko is loaded (tests/vm/test_honeread.sh)
HONEREAD_ARGS=${HONEREAD_ARGS:---sensor netlink}
QCOUNT=${QCOUNT:-$ROOT/build/tools/qcount}
NETLOAD=$ROOT/build/tools/netload
A=hone-a$$
B=hone-b$$
T=$(mktemp -d /tmp/hone-netns.XXXXXX)
SRV4=10.99.0.2
SRV6=fd99::2
FW=
ENG=
HR=
PY=/usr/bin/python3	# root's python3 may be one the users cannot run

[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
[ -x "$HONEFW" ] || { echo "$0: no $HONEFW (make)" >&2; exit 1; }

cleanup() {
	exec 2>/dev/null	# no "Killed" notices for our background jobs
	[ -n "$FW" ] && kill -9 "$FW" 2>/dev/null
	# t_journal's systemd-journald
	[ -n "${JD:-}" ] && kill -9 "$JD" 2>/dev/null
	[ -n "$HR" ] && kill -9 "$HR" 2>/dev/null
	# a scenario's small file system (log_full)
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts |
		xargs -r umount -l
	ip netns pids "$A" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns pids "$B" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$T" "/etc/netns/$A"
}
trap cleanup EXIT

a() { ip netns exec "$A" "$@"; }
# as USER CMD...: CMD in the firewalled namespace as USER.
as() { local u=$1; shift; ip netns exec "$A" setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; }

url() { case $1 in *:*) echo "http://[$1]:8000/" ;; *) echo "http://$1:8000/" ;; esac; }
# fetch USER ADDR [PREFIX...]: does USER's curl get a page (PREFIX: how
# curl is started, e.g. "timeout 5")?
fetch() {
	local u=$1 addr=$2; shift 2
	[ "$(as "$u" "$@" curl -s -o /dev/null -m 2 -w '%{http_code}' "$(url "$addr")")" = 200 ]
}
ms() { echo $(($(date +%s%N) / 1000000)); }
# scenarios NAME...: each t_NAME in turn, reading its own verdicts alone,
# and what each cost make check (the VMs' console keeps these lines).
scenarios() {
	local sc t0
	for sc; do
		rm -f "$T/verdicts.pcapng"
		t0=$SECONDS
		"t_$sc"
		echo "+ scenario $sc: $((SECONDS - t0)) s"
	done
}
# run_rc CMD...: "EXIT MS" of CMD (as the user given in CMD).
run_rc() {
	local t=$(ms) rc
	"$@" > /dev/null 2>&1
	rc=$?
	echo "$rc $(($(ms) - t))"
}
# curl_rc USER ADDR [PREFIX...]: "EXIT MS" of USER's curl of ADDR's page.
curl_rc() {
	local u=$1 addr=$2; shift 2
	run_rc as "$u" "$@" curl -s -o /dev/null -m 2 "$(url "$addr")"
}
# A reject is a reset (or ICMP error) seen at once: curl exits 7 in less
# than REJECT_MS (1200; the VM under TCG needs more). A drop is a timeout: 28.
REJECT_MS=${REJECT_MS:-1200}
is_reject() { set -- $1; [ "$1" = 7 ] && [ "$2" -lt "$REJECT_MS" ]; }
is_drop() { set -- $1; [ "$1" = 28 ]; }
is_pass() { set -- $1; [ "$1" = 0 ]; }
# say "EXIT MS": for a check's name.
say() { set -- $1; echo "exit $1 in $2 ms"; }
# rejected/dropped USER ADDR [PREFIX...]: USER's curl of ADDR's page is
# refused at once, or left to time out.
rejected() { is_reject "$(curl_rc "$@")"; }
dropped() { is_drop "$(curl_rc "$@")"; }

# A UDP sink in the servers' namespace: sink_start PORT, then
# sink_count PORT PREFIX (datagrams whose payload starts with PREFIX).
sink_start() {
	: > "$T/sink.$1"
	(ip netns exec "$B" $PY "$ROOT/tests/attack/udp.py" sink "$1" "$T/sink.$1" > /dev/null 2>&1 &)
	local i
	for i in $(seq 50); do
		ip netns exec "$B" ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	echo "no UDP sink on :$1"
	return 1
}
sink_stop() { kill "$(cat "$T/sink.$1.pid")" 2>/dev/null; }
# sink_count PORT PATTERN: datagrams whose payload starts with PATTERN.
sink_count() { grep -c -- " $2" "$T/sink.$1"; }

# running NAME PID LOG: NAME (PID) says it runs in LOG within 5 s.
running() {
	for _ in $(seq 50); do
		grep -q "^$1: running" "$3" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	echo "$1 did not start:"; cat "$3"
	return 1
}

fw_start() {
	: > "$T/fw.log"
	# shellcheck disable=SC2086
	${FW_WRAP:-} "$HONEFW" -d -c "$T/rules.ini" --netns "$A" --log "$T/verdicts.pcapng" \
		--socket "$T/honefw.sock" --metrics "$T/metrics.prom" \
		$HONEFW_ARGS "$@" \
		>> "${FW_OUT:-$T/fw.log}" 2>&1 &
	FW=$!
	running honefw "$FW" "$T/fw.log" || return 1
	# The engine, honefw's child, reads the queue and the sensor.
	ENG=$(pgrep -P "$FW")
}

# term PID: SIGTERM, and wait for it to end.
term() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

fw_stop() { term "$FW"; FW=; }

# gone PID: within 5 s, PID has exited (a zombie nobody reaped counts).
gone() {
	for _ in $(seq 50); do
		[ -e "/proc/$1" ] || return 0
		grep -q '^State:.*zombie' "/proc/$1/status" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The engine dies with its parent, and holds the queue until it has.
fw_kill() { kill -9 "$FW"; wait "$FW" 2>/dev/null; gone "$ENG"; FW=; }

# honeread recording into $T/rec; hr_stop ends it with SIGTERM.
hr_start() {
	: > "$T/hr.log"
	# shellcheck disable=SC2086
	${HR_WRAP:-} "$HONEREAD" -F -d "$T/rec" --netns "$A" $HONEREAD_ARGS "$@" \
		>> "$T/hr.log" 2>&1 &
	HR=$!
	running honeread "$HR" "$T/hr.log"
}

hr_stop() { term "$HR"; HR=; }

tables() { a nft list tables 2>/dev/null | grep -c 'table inet hone'; }

netns_setup() {
	local u
	for u in hone-alice hone-bob _honefw; do
		id "$u" >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin "$u"
	done
	chmod 0755 "$T"
	ip netns add "$A"
	ip netns add "$B"
	ip link add va netns "$A" type veth peer name vb netns "$B"
	ip -n "$A" addr add 10.99.0.1/24 dev va
	ip -n "$B" addr add $SRV4/24 dev vb
	ip -n "$A" addr add fd99::1/64 dev va nodad
	ip -n "$B" addr add $SRV6/64 dev vb nodad
	ip -n "$A" link set lo up
	ip -n "$B" link set lo up
	ip -n "$A" link set va up
	ip -n "$B" link set vb up
	# In a subshell: not our child, so no "Killed" notice at the end.
	(ip netns exec "$B" python3 -m http.server -b :: 8000 >/dev/null 2>&1 &)
	for _ in $(seq 50); do
		ip netns exec "$B" ss -ltn | grep -q ':8000' && return 0
		sleep 0.1
	done
	echo "no http server"; exit 1
}

