#!/usr/bin/python3
# fetch.py URL: GET URL; exit 0 on an answer, 7 on a reset or refusal, 28
# on a timeout (curl's codes, so that tests/netns/lib.sh reads them alike).
import socket
import sys
import urllib.error
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1], timeout=2).read()
except urllib.error.URLError as e:
    sys.exit(28 if isinstance(e.reason, (socket.timeout, TimeoutError)) else 7)
except (socket.timeout, TimeoutError):
    sys.exit(28)
except OSError:
    sys.exit(7)
