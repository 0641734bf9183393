"""Parity peer on Python `aiohttp` (web.WebSocketResponse with compression on, and
ClientSession.ws_connect with its defaults).

    aiohttp_peer.py server PORT          echo every message on 127.0.0.1:PORT, any path
    aiohttp_peer.py client BASE AGENT    Autobahn fuzzingserver driver against BASE,
                                         one case at a time
"""

import asyncio
import sys

import aiohttp
from aiohttp import WSMsgType, web

MAX_SIZE = 64 * 1024 * 1024


async def echo(ws):
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
        else:
            break


async def handler(request):
    ws = web.WebSocketResponse(compress=True, max_msg_size=MAX_SIZE)
    await ws.prepare(request)
    await echo(ws)
    return ws


def server(port):
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    print(f"aiohttp {aiohttp.__version__} echo on ws://127.0.0.1:{port}/", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def client(base, agent):
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{base}/getCaseCount") as ws:
            count = int((await ws.receive()).data)
    for case in range(1, count + 1):
        # A session per case: aiohttp would otherwise reuse a connection a case left broken.
        async with aiohttp.ClientSession() as session:
            try:
                url = f"{base}/runCase?case={case}&agent={agent}"
                async with session.ws_connect(url, max_msg_size=MAX_SIZE) as ws:
                    await echo(ws)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                print(f"case {case}: {type(exc).__name__}: {exc}", flush=True)
    async with aiohttp.ClientSession() as session:
        url = f"{base}/updateReports?agent={agent}"
        async with session.ws_connect(url):
            pass
    print(f"ran {count} cases", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        asyncio.run(client(sys.argv[2], sys.argv[3]))
