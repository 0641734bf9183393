"""Autobahn fuzzingserver driver for the Python `websockets` client (asyncio API).

It follows the loop of the websockets project's own compliance client
(compliance/asyncio/client.py): ask /getCaseCount, run every case with
/runCase echoing each message back until the server closes, then ask
/updateReports. Nothing in it knows whether the server is wstest or wsconform.

usage: websockets_client.py ws://127.0.0.1:PORT AGENT
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException


async def case_count(server):
    async with connect(f"{server}/getCaseCount") as ws:
        return json.loads(await ws.recv())


async def run_case(server, agent, case):
    url = f"{server}/runCase?case={case}&agent={agent}"
    # 9.x sends messages of 16 MiB; the default limit is 1 MiB.
    async with connect(url, max_size=2**25) as ws:
        try:
            async for message in ws:
                await ws.send(message)
        except WebSocketException:
            pass


async def update_reports(server, agent):
    # wstest writes every report before it answers; give it time.
    async with connect(f"{server}/updateReports?agent={agent}", open_timeout=60):
        pass


async def main(server, agent):
    count = await case_count(server)
    for case in range(1, count + 1):
        try:
            await run_case(server, agent, case)
        except WebSocketException as exc:
            print(f"case {case}: {type(exc).__name__}: {exc}")
        except OSError as exc:
            print(f"case {case}: {type(exc).__name__}: {exc}")
    await update_reports(server, agent)
    print(f"ran {count} cases")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
