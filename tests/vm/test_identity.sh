# SPDX-License-Identifier: GPL-2.0
# The executable's identity in process blocks and lines: EXE_DEV/EXE_INO
# are what stat(2) says of the file that runs, MNTNS the inode of the mount
# namespace. A process in another mount namespace (unshare -m) shows that
# namespace, and one that runs /bin/true bind-mounted over /usr/bin/curl
# there says path /usr/bin/curl but has true's inode. A process older than
# the reader gets them from the snapshot.
. "$HONE_SRCDIR/tests/vm/lib.sh"
V=$HONE_SRCDIR/tests/vm
sleep 30 &
OLD=$!
cat /dev/honet > "$T/text" &
R1=$!
cat /dev/hone > "$T/cap" &
R2=$!
sleep 0.5
sh -c 'echo $$ > '"$T/curl.pid"'; exec curl -s -o /dev/null file:///etc/hostname'
unshare -m sh -c 'echo $$ > '"$T/ns.pid"'; readlink /proc/self/ns/mnt > '"$T/ns.mnt"'
	exec curl -s -o /dev/null file:///etc/hostname'
unshare -m sh -c 'mount --bind /bin/true /usr/bin/curl && echo $$ > '"$T/fake.pid"' &&
	exec /usr/bin/curl'
check "identity: /bin/true ran as /usr/bin/curl" test $? = 0
sleep 0.5
kill $R1 $R2 $OLD
wait $R1 $R2 2>/dev/null
CURL=$(cat "$T/curl.pid") NS=$(cat "$T/ns.pid") FAKE=$(cat "$T/fake.pid")
python3 "$V/hone_pcapng.py" text -w "$T/cap"
check "identity: the capture is well formed" test $? = 0
# "dev ino" as stat(2) gives them, and the mount namespace's inode.
read -r CDEV CINO <<< "$(stat -L -c '%d %i' /usr/bin/curl)"
read -r TDEV TINO <<< "$(stat -L -c '%d %i' /bin/true)"
read -r SDEV SINO <<< "$(stat -L -c '%d %i' "$(readlink -f /proc/$$/exe)")"
read -r SLDEV SLINO <<< "$(stat -L -c '%d %i' "$(command -v sleep)")"
MNT=$(readlink /proc/self/ns/mnt | tr -dc 0-9)
NSMNT=$(tr -dc 0-9 < "$T/ns.mnt")
echo "curl $CDEV $CINO true $TDEV $TINO mnt $MNT unshared $NSMNT"
check "identity: unshare -m has another mount namespace" test "$MNT" != "$NSMNT" -a -n "$NSMNT"

# blk EVENT PID: the last such block's "exe_dev exe_ino mntns path" (a
# pid execs sh, then curl).
blk() {
	awk -v e="$1" -v p="$2" '$2 == e && $3 == p {
		for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		r = v["exe_dev"] " " v["exe_ino"] " " v["mntns"] " " v["path"] }
		END { print r }' "$T/cap.txt"
}
r=$(blk EXEC "$CURL")
check "identity: curl's exec block: $r" test "$r" = "$CDEV $CINO $MNT /usr/bin/curl"
r=$(blk EXIT "$CURL")
check "identity: curl's exit block: $r" test "$r" = "$CDEV $CINO $MNT /usr/bin/curl"
r=$(blk EXEC "$NS")
check "identity: exec in unshare -m: $r" test "$r" = "$CDEV $CINO $NSMNT /usr/bin/curl"
r=$(blk FORK "$NS")
check "identity: fork of it (before unshare): $r" test "$r" = "$SDEV $SINO $MNT $(readlink -f /proc/$$/exe)"
r=$(blk EXEC "$FAKE")
read -r d i m path <<< "$r"
check "identity: true bind-mounted over curl: $r" \
	test "$d $i $path" = "$TDEV $TINO /usr/bin/curl" -a "$m" != "$MNT" -a "$m" != 0
r=$(blk EXEC "$OLD")
check "identity: sleep in the snapshot: $r" test "${r% *}" = "$SLDEV $SLINO $MNT"

# /dev/honet: the last fields of a process line.
DEV=$(python3 -c "import os; d = $CDEV; print(f'{os.major(d)}:{os.minor(d)}')")
check "identity(honet): curl's EXEC line ends dev=$DEV ino=$CINO mntns=$MNT" \
	grep -q -E "^[0-9.]+ EXEC $CURL .* dev=$DEV ino=$CINO mntns=$MNT\$" "$T/text"
check "identity(honet): curl's EXIT line too" \
	grep -q -E "^[0-9.]+ EXIT $CURL .* dev=$DEV ino=$CINO mntns=$MNT\$" "$T/text"
check "identity(honet): mntns=$NSMNT for unshare -m" \
	grep -q -E "^[0-9.]+ EXEC $NS .* dev=$DEV ino=$CINO mntns=$NSMNT\$" "$T/text"
check "identity(honet): kernel threads: dev=0:0 ino=0" \
	grep -q -E "^[0-9.]+ KTHD 2 0 0 0 \[kthreadd\] dev=0:0 ino=0 mntns=$MNT\$" "$T/text"
