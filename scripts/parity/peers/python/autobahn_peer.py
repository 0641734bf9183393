"""Parity peer on Python `autobahn` (Autobahn|Python, asyncio flavor).

    autobahn_peer.py server PORT          echo every message on 127.0.0.1:PORT, accepting
                                          permessage-deflate offers
    autobahn_peer.py client BASE AGENT    Autobahn fuzzingserver driver against BASE,
                                          one case at a time, library defaults
"""

import asyncio
import sys
from urllib.parse import urlparse

import autobahn
from autobahn.asyncio.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept

MAX_SIZE = 64 * 1024 * 1024


class ServerEcho(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload, isBinary)


def accept_deflate(offers):
    accepted = [PerMessageDeflateOfferAccept(o) for o in offers if isinstance(o, PerMessageDeflateOffer)]
    return accepted[0] if accepted else None


async def server(port):
    factory = WebSocketServerFactory(f"ws://127.0.0.1:{port}")
    factory.protocol = ServerEcho
    factory.setProtocolOptions(
        perMessageCompressionAccept=accept_deflate,
        maxMessagePayloadSize=MAX_SIZE,
        maxFramePayloadSize=MAX_SIZE,
    )
    srv = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", port)
    print(f"autobahn {autobahn.__version__} echo on ws://127.0.0.1:{port}/", flush=True)
    async with srv:
        await srv.serve_forever()


class ClientEcho(WebSocketClientProtocol):
    """Echoes every message; the factory's future resolves when the connection is gone."""

    def onMessage(self, payload, isBinary):
        self.factory.messages.append(payload)
        if self.factory.echo:
            self.sendMessage(payload, isBinary)

    def connection_lost(self, exc):
        super().connection_lost(exc)
        if not self.factory.closed.done():
            self.factory.closed.set_result(None)


async def session(url, echo):
    """Opens url, echoes (or only collects) messages until the connection ends; returns them."""
    loop = asyncio.get_running_loop()
    factory = WebSocketClientFactory(url)
    factory.protocol = ClientEcho
    factory.setProtocolOptions(maxMessagePayloadSize=MAX_SIZE, maxFramePayloadSize=MAX_SIZE)
    factory.messages = []
    factory.echo = echo
    factory.closed = loop.create_future()
    u = urlparse(url)
    await loop.create_connection(factory, u.hostname, u.port)
    await factory.closed
    return factory.messages


async def client(base, agent):
    count = int((await session(f"{base}/getCaseCount", echo=False))[0])
    for case in range(1, count + 1):
        try:
            await session(f"{base}/runCase?case={case}&agent={agent}", echo=True)
        except OSError as exc:
            print(f"case {case}: {type(exc).__name__}: {exc}", flush=True)
    await session(f"{base}/updateReports?agent={agent}", echo=False)
    print(f"ran {count} cases", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server(int(sys.argv[2])))
    else:
        asyncio.run(client(sys.argv[2], sys.argv[3]))
