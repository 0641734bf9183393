"""Autobahn fuzzingserver driver for picows, as its own examples drive it: frames are
echoed as they come (picows hands over frames, not messages), pings answered with
pongs, a close answered with a close. Runs against `wsconform serve` and
`wstest -m fuzzingserver`.

usage: python picows_client.py ws://127.0.0.1:9001 AGENT
(pip install picows; scripts/browsers/install.sh python-clients pins it)
"""
import asyncio
import sys

from picows import WSListener, WSMsgType, ws_connect


class Echo(WSListener):
    def on_ws_frame(self, transport, frame):
        kind = frame.msg_type
        if kind in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            transport.send(kind, frame.get_payload_as_bytes(), frame.fin)
        elif kind == WSMsgType.PING:
            transport.send_pong(frame.get_payload_as_bytes())
        elif kind == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()


class Control(WSListener):
    def __init__(self):
        self.text = None

    def on_ws_frame(self, transport, frame):
        if frame.msg_type == WSMsgType.TEXT:
            self.text = frame.get_payload_as_utf8_text()
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()


async def connect(url, listener):
    try:
        transport, client = await ws_connect(listener, url)
        await transport.wait_disconnected()
        return client
    except Exception:  # a case that fails the handshake ends here
        return None


async def main():
    server, agent = sys.argv[1], sys.argv[2]
    client = await connect(server + "/getCaseCount", Control)
    count = int(client.text)
    for number in range(1, count + 1):
        await connect(f"{server}/runCase?case={number}&agent={agent}", Echo)
    await connect(f"{server}/updateReports?agent={agent}", Control)
    print(f"ran {count} cases")


if __name__ == "__main__":
    asyncio.run(main())
