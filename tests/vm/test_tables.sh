# SPDX-License-Identifier: GPL-2.0
# Full tables, with hone.ko loaded as owner_max=1024 proc_max=16.
# hone-alice fills the owner table with freed sockets (3000 opened and
# closed), then holds 300 open: 256 (a quarter of the table) get an owner,
# 44 are refused and counted. Meanwhile every packet of hone-bob's curl
# keeps curl's pid (a full table gives up freed sockets first), and the
# TAIL line and the ISB count exactly the refusals. With the process cache
# full, 5 processes forked and exec'd cost 10 refused entries. Her
# subordinate uids share her cap; a root-made namespace has one of its own
# (subuids.py).
. "$HONE_SRCDIR/tests/vm/lib.sh"
V=$HONE_SRCDIR/tests/vm
reload() { rmmod hone && insmod "$HONE_KO" "$@" && udev_wait /dev/hone && udev_wait /dev/honet; }
trap 'cleanup; hone_loaded && rmmod hone; hone_load' EXIT
reload owner_max=1024 proc_max=16 || { vmtest tables FAIL "reload"; exit; }
netns_up || { vmtest tables FAIL "netns"; exit; }
ALICE=$(id -u hone-alice) BOB=$(id -u hone-bob)
# Where the test users write.
U=$T/users
mkdir "$U" && chmod 1777 "$U" && chmod 0711 "$T"
ip netns exec hone-b python3 -m http.server 8080 --bind 10.9.0.2 > /dev/null 2>&1 &
PY=$!
wait_port hone-b 8080 || vmtest tables FAIL "server"
python3 "$V/tables.py" "$T/w1" &
W=$!
wait_for "$T/w1.ready" || vmtest tables FAIL "readers"
setpriv --reuid="$ALICE" --regid="$ALICE" --clear-groups python3 -c '
import socket, sys, time
for _ in range(3000):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
held = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(300)]
open(sys.argv[1], "w").close()
time.sleep(120)' "$U/flood.ready" &
FLOOD=$!
wait_for "$U/flood.ready" || wait_for "$U/flood.ready" || vmtest tables FAIL "flood"
ip netns exec hone-a setpriv --reuid="$BOB" --regid="$BOB" --clear-groups sh -c \
	'echo $$ > '"$U/curl.pid"'; exec curl -s -o /dev/null http://10.9.0.2:8080/'
check "tables: hone-bob's curl fetched" test $? = 0
kill $FLOOD
wait $FLOOD 2>/dev/null
sleep 0.5
touch "$T/w1.go"
wait $W
CURL=$(cat "$U/curl.pid")
# full FILE: the owner and proc counts of a TAIL line ("... full owner N proc N").
full() { awk '{ print $(NF - 2), $NF }' "$1"; }
echo "TAIL before: $(cat "$T/w1.x")"
echo "TAIL after:  $(cat "$T/w1.y")"
read -r O1 P1 <<< "$(full "$T/w1.x")"
read -r O2 P2 <<< "$(full "$T/w1.y")"
check "tables: TAIL counts 44 owners refused to hone-alice ($O1 -> $O2)" test $((O2 - O1)) = 44
r=$(awk -v c="$CURL" -v s="$PY" '
	$2 == "PAKT" && (index($7, "10.9.0.2:8080") == 1 || index($9, "10.9.0.2:8080") == 1) {
		n++
		client = ($3 == "O" && index($7, "10.9.0.1:") == 1) ||
			 ($3 == "I" && index($9, "10.9.0.1:") == 1)
		want = client ? c : s
		if ($5 == want) ok++; else if (bad++ < 3) print "| wrong owner: " $0 > "/dev/stderr"
	}
	END { printf "%d/%d", ok, n }' "$T/w1.txt")
check "tables: every packet of curl and the server keeps its owner ($r)" \
	sh -c "[ ${r%/*} = ${r#*/} ] && [ ${r#*/} -ge 10 ]"
check "tables: hone-alice's sockets were seen" \
	test "$(grep -c -E "SOCK O [0-9]+ [0-9a-f]+ UDPv4" "$T/w1.txt")" -ge 3000

# The ISB says the same.
python3 "$V/capture.py" "$T/go" "/dev/hone,$T/cap" &
C=$!
wait_for "$T/cap.ready"
touch "$T/go"
wait $C
python3 "$V/hone_pcapng.py" text -w "$T/cap"
r=$(awk '$2 == "ISB" { for (i = 3; i <= NF; i++) if ($i ~ /^owner_full=/) v = $i } END { print v }' "$T/cap.txt")
check "tables: the ISB's owner_full ($r) is the TAIL's" test "$r" = "owner_full=$O2"

# A full process cache: 5 children of tables.py, each a fork and an exec.
for i in $(seq 20); do sleep 60 & done
sleep 0.5
python3 "$V/tables.py" "$T/w2" 5
read -r O1 P1 <<< "$(full "$T/w2.x")"
read -r O2 P2 <<< "$(full "$T/w2.y")"
check "tables: TAIL counts 10 process entries refused ($P1 -> $P2)" test $((P2 - P1)) = 10
check "tables: and no owner ($O1 -> $O2)" test "$O1" = "$O2"

# A user's subordinate uids are hers: 8 uids of a user namespace hone-alice
# made (mapped by root, as newuidmap would) hold 100 sockets each. Her cap
# (256) is theirs together: 544 refused, where each uid apart would have
# had room (the table's graves). A namespace root made (a container's) is
# a user of its own: the same 544 refused, and none of 100 sockets root
# opens meanwhile, where charged to root they would all be.
# subuids NAME [setpriv args]: the namespace made by whoever they say.
subuids() {
	local name=$1 n=0 also= ns sub w O1 O2 P1 P2
	shift
	python3 "$V/tables.py" "$T/$name" &
	w=$!
	wait_for "$T/$name.ready" || vmtest tables FAIL "$name: readers"
	setpriv "$@" python3 "$V/subuids.py" "$U/$name" 8 100 &
	sub=$!
	wait_for "$U/$name.ns" || vmtest tables FAIL "$name: user namespace"
	ns=$(cat "$U/$name.ns")
	echo "0 200000 8" > "/proc/$ns/uid_map" && echo "0 200000 8" > "/proc/$ns/gid_map" ||
		vmtest tables FAIL "$name: uid_map"
	touch "$U/$name.mapped"
	wait_for "$U/$name.ready" || vmtest tables FAIL "$name: subordinate uids"
	if [ "$name" = root ]; then
		python3 -c 'import socket; s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(100)]'
		n=100
		also=", none of root's 100 opened meanwhile"
	fi
	touch "$T/$name.go"
	wait $w
	pkill -P "$ns"
	kill $sub
	wait $sub 2>/dev/null
	read -r O1 P1 <<< "$(full "$T/$name.x")"
	read -r O2 P2 <<< "$(full "$T/$name.y")"
	check "tables: $name's namespace: its 8 uids' 800 sockets share one cap: 544 refused$also ($O1 -> $O2)" \
		test $((O2 - O1)) = 544
	check "tables: ... and $((800 + n)) were seen" \
		test "$(grep -c -E "SOCK O [0-9]+ [0-9a-f]+ UDPv4" "$T/$name.txt")" -ge $((800 + n))
}
subuids alice --reuid="$ALICE" --regid="$ALICE" --clear-groups
subuids root --reuid=0 --regid=0 --clear-groups
