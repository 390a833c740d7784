#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A service manager for tests/attack/run: a subreaper, as systemd --user.

adopt.py PIDFILE CMD...
    Become a subreaper (orphans below it become its children), write the
    pid of CMD, run as a direct child, to PIDFILE, wait for CMD, then stay
    until killed (orphans stay adopted).
"""
import ctypes
import os
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1) != 0:
    sys.exit("adopt.py: prctl: %s" % os.strerror(ctypes.get_errno()))
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % pid)
os.waitpid(pid, 0)
while True:
    time.sleep(3600)
