# SPDX-License-Identifier: GPL-2.0
#
# Sourced by examples/*/run: the namespaces of tests/netns/lib.sh (honefw's
# side, hone-aPID at 10.99.0.1 and fd99::1; the servers', hone-bPID at
# 10.99.0.2 and fd99::2 with an HTTP server on :8000), and what each example
# prints and checks. An example exits 1 if one of its checks failed.

EX=$(cd "$(dirname "$0")" && pwd)
. "$EX/../../tests/netns/lib.sh"
LUA=$ROOT/examples/hone.lua
FAILED=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# cmd CMD...: show CMD as a user would type it (paths under $T and the
# tree shortened, unpriv left out), run it and indent what it prints.
cmd() {
	printf '  $ %s\n' "$*" | sed "s|^  \$ unpriv |  \$ |; s|$HONEFW|honefw|g; s|$T/||g; s|$ROOT/||g"
	"$@" 2>&1 | sed "s|$T/||g; s|$ROOT/||g; s/^/    /"
	return "${PIPESTATUS[0]}"
}
expect() {
	local name=$1; shift
	if "$@"; then echo "  ok   $name"; else echo "  FAIL $name"; FAILED=$((FAILED + 1)); fi
}
finish() {
	fw_stop
	echo
	if [ "$FAILED" = 0 ]; then echo "$(basename "$EX"): all checks passed"; exit 0; fi
	echo "$(basename "$EX"): $FAILED checks failed; honefw's log:"
	sed 's/^/  | /' "$T/fw.log" | tail -20
	exit 1
}
# use_rules FILE: the rules honefw runs on ($T/rules.ini; root's, not writable
# by others, as honefw wants).
use_rules() { install -m 0644 "$1" "$T/rules.ini"; }
# unpriv CMD...: replay, inventory and the rest need no privilege.
unpriv() { setpriv --reuid=hone-alice --regid=hone-alice --clear-groups -- "$@"; }
# log_conns LOG [FILTER]: one line per connection of a known process in a
# verdict log, as hone.lua gives its fields: USER EXE REMOTE VERDICT RULE.
log_conns() {
	tshark -X lua_script:"$LUA" -r "$1" ${2:+-Y "$2"} -T fields -E separator=, \
		-e hone.user -e hone.exe -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
		-e hone.verdict -e hone.rule 2>/dev/null |
		awk -F, '$1 != "" && $1 != "-" {
			src = $3 $4; dst = $5 $6
			remote = (src == "10.99.0.1" || src == "fd99::1") ? dst : src
			print $1, $2, remote, $7, $8
		}' | sort -u
}
quiet() { "$@" > /dev/null 2>&1; }
