"""Running the app under uvicorn, in one process or several workers over one socket.

With `--workers N` uvicorn binds the listening socket itself and hands it to the worker
processes; it creates that socket with protocol 0, and asyncio turns on TCP_NODELAY
only for accepted sockets that say IPPROTO_TCP. Nagle's algorithm then stays on, and
every response on a kept-alive connection waits for the client's delayed ACK: about
40 ms a request here (`/api/health` 52 ms with 2 workers, 6.5 ms with 1). Reported as
uvicorn issue #3149 (open for 0.54). `TcpConfig` binds the same socket and marks it
TCP, so the workers' connections get TCP_NODELAY as the single-process server's do.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.main import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration, with a listening TCP socket that says it is TCP."""

    def bind_socket(self) -> socket.socket:
        """uvicorn's socket, re-wrapped with protocol IPPROTO_TCP (same descriptor)."""
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
        return sock


def run(app: str, *, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve the app factory at import string `app`: in this process for one worker,
    else in `workers` uvicorn worker processes sharing one listening socket."""
    config = TcpConfig(
        app, factory=True, host=host, port=port, workers=workers, log_level=log_level
    )
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return
        server = uvicorn.Server(config)
        server.run()
    except KeyboardInterrupt:
        return
    if not server.started:  # e.g. the port is taken: uvicorn has said why
        raise SystemExit(STARTUP_FAILURE)
