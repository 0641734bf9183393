"""Parity peer on Python `websockets` (asyncio implementation, compression on).

    websockets_peer.py server PORT          echo every message on 127.0.0.1:PORT
    websockets_peer.py client BASE AGENT    Autobahn fuzzingserver driver against BASE
                                            (ws://127.0.0.1:PORT), one case at a time

The client loop is the one the websockets project runs against wstest: ask
/getCaseCount, echo each case's messages until the server closes, ask
/updateReports. Neither role knows whether the other side is wstest or wsconform.
"""

import asyncio
import json
import sys

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import WebSocketException

# 9.x sends 16 MiB messages; the library's default limit is 1 MiB.
MAX_SIZE = 64 * 1024 * 1024


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except WebSocketException:
        pass


async def server(port):
    async with serve(echo, "127.0.0.1", port, compression="deflate", max_size=MAX_SIZE) as srv:
        print(f"websockets {websockets.__version__} echo on ws://127.0.0.1:{port}/", flush=True)
        await srv.serve_forever()


async def client(base, agent):
    async with connect(f"{base}/getCaseCount") as ws:
        count = json.loads(await ws.recv())
    for case in range(1, count + 1):
        try:
            async with connect(f"{base}/runCase?case={case}&agent={agent}", max_size=MAX_SIZE) as ws:
                await echo(ws)
        except (WebSocketException, OSError) as exc:
            print(f"case {case}: {type(exc).__name__}: {exc}", flush=True)
    # wstest writes every report before it answers the handshake.
    async with connect(f"{base}/updateReports?agent={agent}", open_timeout=120):
        pass
    print(f"ran {count} cases", flush=True)


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "server":
        asyncio.run(server(int(sys.argv[2])))
    else:
        asyncio.run(client(sys.argv[2], sys.argv[3]))
