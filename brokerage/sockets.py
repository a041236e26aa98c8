"""The web processes' listening sockets (no Django here: the benchmarks use it too)."""

from __future__ import annotations

import socket


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per web process, all on one port (SO_REUSEPORT), inheritable.

    The kernel spreads new connections evenly across the sockets of a port. One socket
    shared by every process would leave it to whichever process wakes first: measured, one
    of two took 28 of 31 keep-alive connections.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(count):
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        port = listener.getsockname()[1]  # port 0: the one the first socket got
        listener.listen(1024)
        listener.set_inheritable(True)
        sockets.append(listener)
    return sockets
