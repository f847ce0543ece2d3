"""Serving the simulator's app, with each request's arrival time taken when its bytes came in.

The simulator promises a request's first token `ttft` after the request reached it. When a
closed loop sends a wave of 32 requests at once, aiohttp builds their request objects and runs
their handlers one after another; a handler that read the clock first thing still saw the
time the loop got to it, up to several milliseconds after its bytes were there, and every
first token went out that much late (measured: +2.2 ms median at parallel 32 with 1024-token
prompts, the largest part of the perf path's TTFT error).

So the loop's selector notes when each `select()` returned (`aioloop.PollClock`), every connection's
protocol is wrapped (`_Stamping`) to keep the poll time of the first bytes of the next request,
and the `stamp_arrival` middleware hands it to the handler as `request[ARRIVED]`: the moment the
loop learned the request's bytes were there. The middleware reads the whole body before the
handler runs, then drops the stamps of the body's later reads: with HTTP/1.1 and no
pipelining, the next bytes on the connection are the next request's.

`listen()` starts the app this way; an app served otherwise (a test server) falls back to the
time the middleware ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from pytest_qnext.aioloop import poll_clock

__all__ = ["ARRIVED", "Listener", "listen", "stamp_arrival"]

# request key of the loop time (time.monotonic) the request's bytes arrived; aiohttp >= 3.14
# wants typed keys (and warns about strings), older versions have none
ARRIVED: Any = (
    web.RequestKey("qnext_arrived", float) if hasattr(web, "RequestKey") else "qnext_arrived"
)


class _Stamping(asyncio.Protocol):
    """Wraps aiohttp's per-connection protocol: stamps the first read of each request."""

    def __init__(self, inner: asyncio.Protocol, clock: Callable[[], float]) -> None:
        self.inner = inner
        self.clock = clock
        self.pending: float | None = None

    def take(self) -> float | None:
        stamp, self.pending = self.pending, None
        return stamp

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.pending is None:
            self.pending = self.clock()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


def _take(request: web.BaseRequest) -> float | None:
    transport = request.transport
    protocol = transport.get_protocol() if transport is not None else None
    return protocol.take() if isinstance(protocol, _Stamping) else None


@web.middleware
async def stamp_arrival(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Puts the request's arrival time in `request[ARRIVED]`, its whole body read."""
    stamp = _take(request)
    request[ARRIVED] = stamp if stamp is not None else asyncio.get_running_loop().time()
    if request.body_exists:
        await request.read()  # cached for the handler
        _take(request)  # the body's later reads: not the next request's arrival
    return await handler(request)


class Listener:
    """A started simulator: its address, and `close()`."""

    def __init__(self, runner: web.AppRunner, server: asyncio.Server) -> None:
        self.runner = runner
        self.server = server
        sockname: Any = server.sockets[0].getsockname()
        self.host: str = sockname[0]
        self.port: int = sockname[1]

    async def close(self) -> None:
        self.server.close()
        await self.runner.cleanup()
        await self.server.wait_closed()


async def listen(app: web.Application, host: str, port: int) -> Listener:
    """Serve `app` on host:port (port 0: any free one). Run it on an `aioloop.new_loop()` loop
    for arrival times at the poll (on another loop they are taken when each request was read)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    loop = asyncio.get_running_loop()
    selector = poll_clock(loop)
    clock: Callable[[], float] = (lambda: selector.last) if selector is not None else loop.time
    factory = runner.server
    assert factory is not None
    try:
        server = await loop.create_server(
            lambda: _Stamping(factory(), clock), host, port, backlog=1024, reuse_address=True
        )
    except BaseException:
        await runner.cleanup()
        raise
    return Listener(runner, server)
