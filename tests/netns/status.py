#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""status.py: the checks of t_status (tests/netns/run).

status.py ref WALK          per rule named in the verdict log (the text of
                            tests/vm/hone_pcapng.py): "RULE PACKETS CONNS",
                            CONNS its distinct sockets (cookies)
status.py json JSON RULE    "PACKETS CONNS" of RULE in honefw --status --json
                            ("fallbacks": default + unknown + kernel)
status.py get JSON KEY...   a value of the JSON object (keys as a path)
status.py prom FILE         parses FILE as Prometheus' text format (HELP and
                            TYPE before each metric's samples, names hone_*,
                            counters *_total, values numbers): exits 1 and
                            says why if it does not; else prints each sample
                            as "NAME{LABELS} VALUE", labels sorted
status.py stall SOCK N SECS N clients ask SOCK for its JSON status and read
                            nothing for SECS seconds, then read what comes;
                            prints "BYTES EOF" per client (EOF 1: honefw
                            closed it; a reset is a close too)
"""
import json
import re
import socket
import sys
import time


def ref(walk):
    packets, conns = {}, {}
    with open(walk) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 4 or fields[1] != 'PAKT':
                continue
            m = re.search(r'comment=\S*?\\x20rule=([^ \\]+)', line)
            rule = m.group(1) if m else '?'
            packets[rule] = packets.get(rule, 0) + 1
            if fields[3] != '0':
                conns.setdefault(rule, set()).add(fields[3])
    for rule in sorted(packets):
        print(rule, packets[rule], len(conns.get(rule, ())))


def rule_counts(path, name):
    with open(path) as f:
        st = json.load(f)
    rows = [r for r in st['rules'] if r['name'] == name or
            name == 'fallbacks' and r['file'] == '[global]']
    print(sum(r['packets'] for r in rows), sum(r['connections'] for r in rows))


def get(path, keys):
    with open(path) as f:
        v = json.load(f)
    for k in keys:
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)


NAME = r'hone_[a-z_]+'
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'


def prom(path):
    helped, typed, out = set(), {}, []
    with open(path) as f:
        lines = f.read().split('\n')
    if lines[-1] != '':
        sys.exit('prom: the file does not end with a newline')
    for n, line in enumerate(lines[:-1], 1):
        m = re.fullmatch(r'# HELP (' + NAME + r') (.+)', line)
        if m:
            helped.add(m.group(1))
            continue
        m = re.fullmatch(r'# TYPE (' + NAME + r') (counter|gauge)', line)
        if m:
            if m.group(1) not in helped:
                sys.exit(f'prom:{n}: TYPE before HELP: {line}')
            if m.group(2) == 'counter' and not m.group(1).endswith('_total'):
                sys.exit(f'prom:{n}: a counter not named *_total: {line}')
            typed[m.group(1)] = m.group(2)
            continue
        m = re.fullmatch(r'(' + NAME + r')(?:\{((?:' + LABEL + r',?)*)\})? (\S+)',
                         line)
        if not m:
            sys.exit(f'prom:{n}: not a sample: {line!r}')
        name, labels, value = m.group(1), m.group(2) or '', m.group(5)
        if name not in typed:
            sys.exit(f'prom:{n}: a sample with no TYPE before it: {line}')
        float(value)
        pairs = sorted(re.findall(LABEL, labels))
        labels = ','.join(f'{k}={v}' for k, v in pairs)
        out.append(f'{name}{{{labels}}} {value}' if labels else f'{name} {value}')
    if not out:
        sys.exit('prom: no samples')
    print('\n'.join(out))


def stall(path, n, secs):
    clients = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(path)
        s.sendall(b'status json\n')
        clients.append(s)
    time.sleep(secs)
    for s in clients:
        got, eof = 0, 0
        s.settimeout(1)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    eof = 1
                    break
                got += len(b)
        except ConnectionResetError:
            eof = 1
        except socket.timeout:
            pass
        print(got, eof)


def main():
    a = sys.argv[1:]
    if a[:1] == ['ref'] and len(a) == 2:
        ref(a[1])
    elif a[:1] == ['json'] and len(a) == 3:
        rule_counts(a[1], a[2])
    elif a[:1] == ['get'] and len(a) >= 3:
        get(a[1], a[2:])
    elif a[:1] == ['prom'] and len(a) == 2:
        prom(a[1])
    elif a[:1] == ['stall'] and len(a) == 4:
        stall(a[1], int(a[2]), float(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
