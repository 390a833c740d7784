# SPDX-License-Identifier: GPL-2.0
# Verdicts given ahead (HEIO_PREJUDGE, and per remote port
# HEIO_PREJUDGE_PORTS): a process image's new TCP
# connections leave with the conntrack mark its reader gave, counted by
# an nft table in hone-a as they pass (tests/vm/ahead.py, the cases); the
# reader is told each such SYN. Not an image the process no longer runs,
# not a SYN with a mark of its own (SO_MARK), not its forked child, not
# another uid, not in another network namespace than the giver's, not
# after an exec, a clear or the reader's close, not another reader's, not
# to a port of no range, and never when the record does not fit the
# reader's ring; ranges out of order are refused whole.
. "$HONE_SRCDIR/tests/vm/lib.sh"
netns_up || { vmtest ahead FAIL "netns"; exit; }
for ns in hone-a hone-b; do
	ip netns exec $ns nft -f - <<-'NFT' || vmtest ahead FAIL "nft table in $ns"
	table inet ahead {
		chain out {
			type filter hook output priority -150;
			tcp flags & (syn | ack) == syn ct mark 0x80000123 counter
			tcp flags & (syn | ack) == syn ct mark != 0x80000123 counter
		}
	}
	NFT
done
cd "$HONE_SRCDIR/tests/vm" && ip netns exec hone-a python3 ahead.py driver
check "ahead: the driver ran to its end" test $? = 0
