"""web/serving.py: the workers' listening socket gives connections TCP_NODELAY.

Follows the reproduction in uvicorn issue #3149 (Kludex/uvicorn, "--workers N loses
TCP_NODELAY"): a real socket bound on 127.0.0.1 by the config, served by asyncio, one
real client connection, and the option read on the accepted socket.
"""

from __future__ import annotations

import asyncio
import socket

from web.serving import TcpConfig


def accepted_nodelay(listener: socket.socket) -> tuple[int, int]:
    """`(proto, TCP_NODELAY)` of the socket asyncio accepts on `listener`."""
    seen: dict[str, tuple[int, int]] = {}

    class Report(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen["sock"] = (sock.proto, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Report, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if "sock" in seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    return seen["sock"]


def test_the_workers_socket_is_tcp_and_connections_get_nodelay() -> None:
    config = TcpConfig("web.app:app_from_env", factory=True, host="127.0.0.1", port=0)
    listener = config.bind_socket()
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.family == socket.AF_INET
    proto, nodelay = accepted_nodelay(listener)
    assert proto == socket.IPPROTO_TCP
    assert nodelay != 0
