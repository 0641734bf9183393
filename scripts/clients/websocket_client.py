"""Autobahn fuzzingserver driver for Python's websocket-client (the usual loop: the
case count, every case echoing each text and binary message until the server closes,
then /updateReports). Runs against `wsconform serve` and `wstest -m fuzzingserver`.

usage: python websocket_client.py ws://127.0.0.1:9001 AGENT
(pip install websocket-client; scripts/browsers/install.sh python-clients pins it)
"""
import sys

import websocket
from websocket import ABNF


def control(server, path):
    ws = websocket.create_connection(server + path)
    try:
        return ws.recv()
    finally:
        ws.close()


def run_case(server, number, agent):
    try:
        ws = websocket.create_connection(f"{server}/runCase?case={number}&agent={agent}")
    except Exception:  # a handshake the library refuses ends the case
        return
    try:
        while True:
            # recv_data answers pings and the close itself; it hands over whole messages.
            opcode, data = ws.recv_data()
            if opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY):
                ws.send(data, opcode)
            elif opcode == ABNF.OPCODE_CLOSE:
                return
    except Exception:  # the case ends however the connection ends
        return
    finally:
        ws.close()


def main():
    server, agent = sys.argv[1], sys.argv[2]
    count = int(control(server, "/getCaseCount"))
    for number in range(1, count + 1):
        run_case(server, number, agent)
    ws = websocket.create_connection(f"{server}/updateReports?agent={agent}")
    ws.close()
    print(f"ran {count} cases")


if __name__ == "__main__":
    main()
