"""An ASGI WebSocket echo, the application Hypercorn serves in harness/tests/http2_real.rs.

    hypercorn --bind 127.0.0.1:PORT asgi_echo:app     (from this directory)

Echoes every text and binary message; anything but a WebSocket gets 404.
"""


async def lifespan(receive, send):
    while True:
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif msg["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        msg = await receive()
        if msg["type"] == "websocket.disconnect":
            return
        if msg.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": msg["bytes"]})
        else:
            await send({"type": "websocket.send", "text": msg["text"]})
