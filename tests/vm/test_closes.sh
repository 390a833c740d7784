# SPDX-License-Identifier: GPL-2.0
# Every socket's close is told, whatever the CPU was doing when the socket
# was freed. A UDP socket is freed by an RCU callback in a softirq, which
# may run inside hone.ko's handler of another socket's creation on the
# same CPU; a kprobe hit there is skipped by the kernel, and the close was
# lost (its owner kept until rmmod). Two processes make and close UDP
# sockets as fast as they can beside four readers (each creation's
# handler writes to every ring): each reader has a close of every socket.
# Nor can ftrace be switched off under hone.ko, nor every kprobe, to
# silence its socket hooks.
. "$HONE_SRCDIR/tests/vm/lib.sh"
N=$(sized HONE_VM_CLOSES 5000 50000)
R=
for i in 1 2 3 4; do
	cat /dev/honet > "$T/r$i" &
	R="$R $!"
done
for i in 1 2 3 4; do wait_for "$T/r$i" 1; done
PY=
for i in 1 2; do
	python3 -c 'import os, socket, sys
print(os.getpid(), flush=True)
for i in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.close()' "$N" > "$T/p$i" &
	PY="$PY $!"
done
wait $PY
P1=$(cat "$T/p1") P2=$(cat "$T/p2")
count() { grep -c -E " SOCK $1 ($P1|$P2) " "$2"; }
# The last frees come an RCU grace period or more after the last close:
# until the first reader has seen none for a second.
steady 20 count C "$T/r1"
kill $R
wait $R 2> /dev/null
for i in 1 2 3 4; do
	o=$(count O "$T/r$i") c=$(count C "$T/r$i")
	check "closes: reader $i: $((2 * N)) UDP sockets, $o opened, $c closed" \
		test "$o" = $((2 * N)) -a "$c" = $((2 * N))
done
# root's switch of every kprobe leaves the hooks on: ftrace callbacks,
# not kprobes (a #! script's too).
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo 0 > /sys/kernel/debug/kprobes/enabled
cat /dev/honet > "$T/off" &
r=$!
cat /dev/hone > "$T/off.pcapng" &
r2=$!
wait_for "$T/off" 1
python3 -c 'import os, socket
print(os.getpid(), flush=True)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()' > "$T/p3"
printf '#!/bin/sh\nexit 0\n' > "$T/hone-closes.sh"
chmod +x "$T/hone-closes.sh"
"$T/hone-closes.sh"
sleep 0.5
kill $r $r2
wait $r $r2 2> /dev/null
# The switch was off all along (a kernel without it would pass unseen).
off=$(cat /sys/kernel/debug/kprobes/enabled 2> /dev/null)
echo 1 > /sys/kernel/debug/kprobes/enabled
P3=$(cat "$T/p3")
check "closes: with every kprobe switched off ($off), a socket's open and close are told" \
	eval '[ "$off" = 0 ] && grep -q " SOCK O $P3 " "$T/off" && grep -q " SOCK C $P3 " "$T/off"'
check "closes: ... and a #! script is known" eval \
	'python3 "$HONE_SRCDIR/tests/vm/hone_pcapng.py" text "$T/off.pcapng" | grep -q "script=$T/hone-closes.sh"'
# ftrace switched off would silence the hooks: refused while hone.ko is
# loaded, and hone.ko refuses to load with it off, saying why.
check "closes: sysctl kernel.ftrace_enabled=0 is refused while hone.ko is loaded" \
	eval '! sysctl -qw kernel.ftrace_enabled=0 2> /dev/null &&
	      [ "$(sysctl -n kernel.ftrace_enabled)" = 1 ]'
sysctl -qw kernel.ftrace_enabled=1
hone_unload
sysctl -qw kernel.ftrace_enabled=0
check "closes: with ftrace off, hone.ko does not load" eval '! hone_load 2> /dev/null'
check "closes: and says why" eval 'dmesg | tail -5 | grep -q "ftrace is off"'
sysctl -qw kernel.ftrace_enabled=1
check "closes: with ftrace on again, it does" hone_load
