#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tiny TCP/UDP probe for functional.sh, run inside test namespaces only.

  probe.py serve NAME PROTO PORT READYFILE   answer each client with
                                             "NAME saw <client address>"
  probe.py connect PROTO ADDR PORT [TIMEOUT] print the answer; exit 1 if none
"""
import os
import socket
import sys
import time


def serve(name, proto, port, ready):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if proto == "tcp":
        s.listen(16)
    open(ready, "w").close()
    while True:
        if proto == "tcp":
            c, peer = s.accept()
            try:
                c.sendall(f"{name} saw {unmap(peer[0])}\n".encode())
            except OSError:
                pass
            c.close()
        else:
            _, peer = s.recvfrom(2048)
            s.sendto(f"{name} saw {unmap(peer[0])}\n".encode(), peer)


def unmap(addr):
    return addr[7:] if addr.startswith("::ffff:") else addr


def connect(proto, addr, port, timeout):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family, kind)
    s.settimeout(timeout)
    start = time.monotonic()
    try:
        if proto == "tcp":
            s.connect((addr, port))
            data = s.recv(256)
        else:
            s.sendto(b"?", (addr, port))
            data = s.recv(256)
    except OSError as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(data.decode())
    took = time.monotonic() - start
    if took > 1.0:
        print(f"answered after {took:.1f}s", file=sys.stderr)
    return 0 if data else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        t = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
        sys.exit(connect(sys.argv[2], sys.argv[3], int(sys.argv[4]), t))
