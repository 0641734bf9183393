"""Autobahn fuzzingserver driver for the aiohttp client: getCaseCount, every case
echoing each message until the server closes, then updateReports.

usage: aiohttp_client.py ws://127.0.0.1:9001 AGENT   (python with aiohttp installed)
"""

import asyncio
import sys

import aiohttp


async def main(server, agent):
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{server}/getCaseCount") as ws:
            count = int((await ws.receive()).data)
        for case in range(1, count + 1):
            url = f"{server}/runCase?case={case}&agent={agent}"
            try:
                async with session.ws_connect(url, max_msg_size=2**25, autoping=True) as ws:
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            await ws.send_str(msg.data)
                        elif msg.type == aiohttp.WSMsgType.BINARY:
                            await ws.send_bytes(msg.data)
                        else:
                            break
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                print(f"case {case}: {type(exc).__name__}: {exc}")
    # A session of its own: aiohttp may have pooled a connection a case left unusable.
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{server}/updateReports?agent={agent}"):
            pass
    print(f"ran {count} cases")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
