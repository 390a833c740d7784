#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""syscalls.py UNIT STRACE [EXTRA...]: the system calls in STRACE (strace -f
-o) that UNIT's SystemCallFilter= lines, as systemd-analyze expands their
groups, would refuse; EXTRA names calls the test itself needs (setns for
--netns). Prints them; exits 1 if there are any, 0 if none."""
import re
import subprocess
import sys


def expand(name, seen=None):
    """A call, or a @group as this systemd defines it, as a set of calls."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         capture_output=True, text=True, check=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if word and not word.startswith("#"):
            calls |= expand(word, seen)
    return calls


unit, trace, extra = sys.argv[1], sys.argv[2], set(sys.argv[3:])
allowed = None
for line in open(unit):
    m = re.match(r"SystemCallFilter=(~?)(.*)$", line.strip())
    if not m:
        continue
    calls = set()
    for word in m.group(2).split():
        calls |= expand(word)
    if allowed is None:		# the first line: an allow list, or a deny list
        allowed = calls if not m.group(1) else None
        if allowed is None:
            sys.exit("syscalls.py: a deny list first: not handled")
    elif m.group(1):
        allowed -= calls
    else:
        allowed |= calls
if allowed is None:
    sys.exit("syscalls.py: %s has no SystemCallFilter=" % unit)
made = set()
for line in open(trace):
    m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
    if m and not line.split(None, 1)[1].startswith(("+++", "---")):
        made.add(m.group(1))
refused = sorted(made - allowed - extra)
print(" ".join(refused) if refused else "none of %d refused" % len(made))
sys.exit(1 if refused else 0)
