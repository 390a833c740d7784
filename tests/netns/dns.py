#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# A few lines of DNS for the names scenario (RFC 1035, A, AAAA and CNAME):
#   dns.py serve PIDFILE ADDR[,ADDR...] NAME=TARGET...
#	answer on UDP and TCP port 53 of each ADDR; TARGET is an address (A or
#	AAAA by its form, several NAME= lines for several) or a name
#	(a CNAME, followed by the target's addresses); TTL 300
#   dns.py query SERVER NAME [A|AAAA]
#	ask SERVER (a connected socket, as the C library does); prints
#	the answer's addresses
import ipaddress, os, random, select, socket, struct, sys

TTL = 300


def qname(msg, off):
    labels = []
    while msg[off]:
        labels.append(msg[off + 1:off + 1 + msg[off]].decode())
        off += 1 + msg[off]
    return ".".join(labels).lower(), off + 1


def wire(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def rr(owner, rtype, rdata):
    return wire(owner) + struct.pack("!HHIH", rtype, 1, TTL, len(rdata)) + rdata


def answer(table, msg):
    qid, = struct.unpack("!H", msg[:2])
    name, off = qname(msg, 12)
    qtype, = struct.unpack("!H", msg[off:off + 2])
    question = msg[12:off + 4]
    records = []
    for _ in range(8):
        targets = table.get(name, [])
        cname = [t for t in targets if not is_addr(t)]
        if not cname:
            break
        records.append(rr(name, 5, wire(cname[0])))
        name = cname[0]
    for t in table.get(name, []):
        if is_addr(t):
            a = ipaddress.ip_address(t)
            if (a.version, qtype) in ((4, 1), (6, 28)):
                records.append(rr(name, qtype, a.packed))
    rcode = 0 if name in table else 3
    head = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(records), 0, 0)
    return head + question + b"".join(records)


def is_addr(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def serve(pidfile, addrs, pairs):
    table = {}
    for p in pairs:
        n, t = p.split("=", 1)
        table.setdefault(n, []).append(t)
    socks, tcp = [], []
    for a in addrs.split(","):
        for kind in socket.SOCK_DGRAM, socket.SOCK_STREAM:
            s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a, 53))
            if kind == socket.SOCK_STREAM:
                s.listen()
                tcp.append(s)
            socks.append(s)
    with open(pidfile, "w") as f:
        f.write(str(os.getpid()))
    while True:
        for s in select.select(socks, [], [])[0]:
            if s in tcp:
                tcp_answer(table, s)
            else:
                msg, peer = s.recvfrom(4096)
                s.sendto(answer(table, msg), peer)


# One question per connection, the answer in one segment after its length.
def tcp_answer(table, listener):
    c, _ = listener.accept()
    c.settimeout(2)
    try:
        n, = struct.unpack("!H", c.recv(2))
        msg = b""
        while len(msg) < n:
            msg += c.recv(n - len(msg))
        a = answer(table, msg)
        c.sendall(struct.pack("!H", len(a)) + a)
    except (OSError, struct.error):
        pass
    c.close()


def query(server, name, qtype):
    t = {"A": 1, "AAAA": 28}[qtype]
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((server, 53))
    s.send(struct.pack("!HHHHHH", random.randrange(65536), 0x100, 1, 0, 0, 0)
           + wire(name) + struct.pack("!HH", t, 1))
    msg = s.recv(4096)
    n, off = qname(msg, 12)
    off += 4
    for _ in range(struct.unpack("!H", msg[6:8])[0]):
        _, off = qname(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype in (1, 28):
            print(ipaddress.ip_address(msg[off:off + rdlen]))
        off += rdlen


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        query(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "A")
