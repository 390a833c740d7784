#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tcp.py ADDR PORT SPORT: connect from local port SPORT, then close with
a reset (SO_LINGER 0). Exits 0 when connected, 7 when refused or reset,
28 on a timeout (2 s), like curl."""
import socket
import struct
import sys

addr, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
s.settimeout(2)
try:
    s.connect((addr, port))
except (ConnectionRefusedError, ConnectionResetError):
    sys.exit(7)
except socket.timeout:
    sys.exit(28)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
