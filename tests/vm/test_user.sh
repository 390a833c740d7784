# SPDX-License-Identifier: GPL-2.0
# Processes of an unprivileged user and a child's parent as /dev/honet
# shows them: uid, gid, ppid, path, argv, fork and exit.
. "$HONE_SRCDIR/tests/vm/lib.sh"
cat /dev/honet > "$T/text" &
R=$!
sleep 0.3
setpriv --reuid=65534 --regid=65534 --clear-groups \
	sh -c 'echo $$; exec sleep 0.1' > "$T/u.pid"
sh -c 'echo $$ > '"$T/p.pid"'; sleep 0.1 & echo $! > '"$T/c.pid"'; wait'
sleep 0.5
kill $R; wait $R 2>/dev/null
U=$(cat "$T/u.pid") P=$(cat "$T/p.pid") C=$(cat "$T/c.pid")
SLEEP=$(readlink -f "$(command -v sleep)")
# The executable's identity ends every process line (hone(4)).
ID="dev=[0-9]+:[0-9]+ ino=[0-9]+ mntns=[0-9]+"
check "user: EXEC of sleep as 65534:65534" \
	grep -q -E "^[0-9.]+ EXEC $U [0-9]+ 65534 65534 \"$SLEEP\" sleep 0\\.1 $ID\$" "$T/text"
check "user: EXIT of nobody's sleep" grep -q -E "^[0-9.]+ EXIT $U [0-9]+ 65534 65534 0 " "$T/text"
check "user: FORK of the child with its parent's pid" \
	grep -q -E "^[0-9.]+ FORK $C $P 0 0 " "$T/text"
check "user: EXEC of the child, ppid $P" \
	grep -q -E "^[0-9.]+ EXEC $C $P 0 0 \"$SLEEP\" sleep 0\\.1 $ID\$" "$T/text"
check "user: EXIT of the parent" grep -q -E "^[0-9.]+ EXIT $P " "$T/text"
