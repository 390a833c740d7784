# SPDX-License-Identifier: GPL-2.0
# Lazy wakeups (HEIO_SET_LAZY): a reader of connection events that asked
# for them is woken by a TCP socket's events the delay later, but at once
# by a UDP socket's close and by a ring a quarter full (and drops
# nothing); without, at once; bad arguments are refused
# (tests/vm/lazy.py, the cases).
. "$HONE_SRCDIR/tests/vm/lib.sh"
cd "$HONE_SRCDIR/tests/vm" && python3 lazy.py driver
check "lazy: the driver ran to its end" test $? = 0
