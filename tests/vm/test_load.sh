# SPDX-License-Identifier: GPL-2.0
# hone.ko is loaded, its devices exist, it unloads and loads again.
. "$HONE_SRCDIR/tests/vm/lib.sh"
check "load: /dev/hone is a char device" test -c /dev/hone
check "load: /dev/honet is a char device" test -c /dev/honet
check "load: refcnt 0 with no reader" test "$(cat /sys/module/hone/refcnt)" = 0
check "load: rmmod" hone_unload
check "load: insmod again" hone_load
