# SPDX-License-Identifier: GPL-2.0
# Who may open /dev/hone and /dev/honet: CAP_NET_ADMIN in the initial user
# namespace, whatever the node's mode; max_readers readers at most (the
# next open fails with EBUSY); ring_kb is bounded.
. "$HONE_SRCDIR/tests/vm/lib.sh"
P=/sys/module/hone/parameters
ALICE=$(id -u hone-alice)
# opens DEV...: "ok" or the errno's name for each.
OPENS='import errno, os, sys
for d in sys.argv[1:]:
    try:
        os.close(os.open(d, os.O_RDONLY)); print("ok", end=" ")
    except OSError as e:
        print(errno.errorcode[e.errno], end=" ")'
as_alice() { setpriv --reuid="$ALICE" --regid="$ALICE" --clear-groups "$@"; }

r=$(as_alice python3 -c "$OPENS" /dev/hone /dev/honet)
check "access: hone-alice, mode $(stat -c %a /dev/hone): $r" test "$r" = "EACCES EACCES "
MODE=$(stat -c %a /dev/hone) MODET=$(stat -c %a /dev/honet)
chmod 0666 /dev/hone /dev/honet
r=$(as_alice python3 -c "$OPENS" /dev/hone /dev/honet)
check "access: hone-alice, mode 0666: $r" test "$r" = "EPERM EPERM "
r=$(as_alice cat /dev/hone 2>&1 >/dev/null)
check "access: cat /dev/hone as hone-alice: $r" \
	test "$r" = "cat: /dev/hone: Operation not permitted"
r=$(as_alice cat /dev/honet 2>&1 >/dev/null)
check "access: cat /dev/honet as hone-alice: $r" \
	test "$r" = "cat: /dev/honet: Operation not permitted"
# (Root of a user namespace of its own is not tried: the tests run in a
# chroot, where unshare(CLONE_NEWUSER) fails.)
r=$(setpriv --inh-caps=-net_admin --bounding-set=-net_admin python3 -c "$OPENS" /dev/hone)
check "access: root without CAP_NET_ADMIN: $r" test "$r" = "EPERM "
chmod "$MODE" /dev/hone
chmod "$MODET" /dev/honet
check "access: modes restored" test "$(stat -c %a /dev/hone /dev/honet | tr '\n' ' ')" = "$MODE $MODET "
r=$(python3 -c "$OPENS" /dev/hone /dev/honet)
check "access: root: $r" test "$r" = "ok ok "

# max_readers+1 readers: the last open fails; closing one makes room.
READERS='import errno, os, sys
fds, r = [], []
for i in range(int(sys.argv[1])):
    try:
        fds.append(os.open("/dev/hone" if i % 2 else "/dev/honet", os.O_RDONLY))
        r.append("ok")
    except OSError as e:
        r.append(errno.errorcode[e.errno])
os.close(fds.pop())
try:
    fds.append(os.open("/dev/hone", os.O_RDONLY)); r.append("again")
except OSError as e:
    r.append(errno.errorcode[e.errno])
n = r.count("ok")
print(n, *sorted(set(r[:-1]) - {"ok"}), r[-1])'
MAX=$(cat $P/max_readers)
check "access: max_readers is 16 by default ($MAX)" test "$MAX" = 16
r=$(python3 -c "$READERS" 17)
check "access: 17 readers: $r" test "$r" = "16 EBUSY again"
echo 3 > $P/max_readers
r=$(python3 -c "$READERS" 5)
check "access: max_readers=3, 5 readers: $r" test "$r" = "3 EBUSY again"
echo 16 > $P/max_readers
r=$(python3 -c "$READERS" 16)
check "access: back to 16: $r" test "$r" = "16 again"
# ring_kb: 256 KiB to 64 MiB.
OLD=$(cat $P/ring_kb)
echo 65537 > $P/ring_kb 2>/dev/null
a=$?
echo 65536 > $P/ring_kb
b=$?
check "access: ring_kb 65537 refused ($a), 65536 taken ($b): $(cat $P/ring_kb)" \
	test $a != 0 -a $b = 0 -a "$(cat $P/ring_kb)" = 65536
r=$(python3 -c "$OPENS" /dev/hone)
check "access: a reader with a 64 MiB ring: $r" test "$r" = "ok "
echo "$OLD" > $P/ring_kb
