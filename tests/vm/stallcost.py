#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What a stalled reader of DEVICE costs the traffic that the network
namespace of PID receives: stallcost.py DEVICE PID PAIRS BOUND

PAIRS times, half a second without and half a second with a reader that
never reads, in turn first one then the other. Each half second starts a
tenth of a second after the reader was opened or closed, so that its
ring is full by then (HEIO_GET_STATS says whether it is). The bytes
PID's namespace received in each half second make its throughput.
Under TCG, beside the host's other work, the median of with / without
over 12 pairs scatters by some 4% around the truth, more when the host is
busy: a median below BOUND takes PAIRS more pairs, up to three times, and
the median of all counts. Prints the median
and the number of pairs, then a line of detail.
"""
import os
import statistics
import sys
import time

from stall import stats

SETTLE, WINDOW = 0.1, 0.5


def received(pid):
    with open(f'/proc/{pid}/net/dev') as f:
        lines = f.readlines()[2:]
    return sum(int(rest.split()[0]) for dev, rest in (line.split(':') for line in lines)
               if dev.strip() != 'lo')


def window(pid, fd=None):
    """Bytes per second received over WINDOW seconds after SETTLE; with a
    stalled reader's fd, also whether its ring was full when they began."""
    time.sleep(SETTLE)
    full = fd is not None and stats(fd)['packets_dropped'] > 0
    t0, b0 = time.monotonic(), received(pid)
    time.sleep(WINDOW)
    return (received(pid) - b0) / (time.monotonic() - t0), full


def stalled(dev, pid):
    fd = os.open(dev, os.O_RDONLY)
    try:
        return window(pid, fd)
    finally:
        os.close(fd)


def main():
    dev, pid, pairs, bound = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    without, with_, full = [], [], 0
    while len(without) < 4 * pairs:
        for i in range(pairs):
            if i % 2:
                (b, f), (a, _) = stalled(dev, pid), window(pid)
            else:
                (a, _), (b, f) = window(pid), stalled(dev, pid)
            without.append(a)
            with_.append(b)
            full += f
        ratios = [b / a for a, b in zip(without, with_)]
        if statistics.median(ratios) >= bound:
            break
    print(f'{statistics.median(ratios):.3f} {len(ratios)}')
    print(f'its ring full in {full} of {len(ratios)} pairs; each pair:',
          ' '.join(f'{r:.2f}' for r in ratios), '; Gbit/s without:',
          ' '.join(f'{a * 8e-9:.2f}' for a in without), '; with:',
          ' '.join(f'{b * 8e-9:.2f}' for b in with_))


if __name__ == '__main__':
    main()
