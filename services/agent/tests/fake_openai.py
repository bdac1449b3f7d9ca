"""A fake OpenAI-compatible endpoint for tests: ``POST /v1/chat/completions`` on 127.0.0.1.

It records every request (body and headers) and answers from a script: a list of chat completion
bodies (or functions of the request) consumed in order. It can also fail the way a real endpoint
does: an HTTP status (``fail(500)``), no answer at all (``hang()``: the client times out), or no
server (``stop()``: connection refused). No real model is ever reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn

Body = dict[str, Any]
Scripted = Body | Callable[[Body], Body]


def completion(message: Body, finish_reason: str = "stop") -> Body:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


def text(content: str) -> Body:
    """A final answer."""
    return completion({"role": "assistant", "content": content})


def calls(*tool_calls: tuple[str, dict[str, Any]]) -> Body:
    """One assistant turn calling ``(name, arguments)`` tools, in order."""
    return completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{n}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for n, (name, args) in enumerate(tool_calls)
            ],
        },
        "tool_calls",
    )


@dataclass
class Recorded:
    body: Body
    headers: dict[str, str]


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Scripted] = []
        self.status = 200
        self.hanging = False
        self._release = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, *scripted: Scripted) -> None:
        self.script.extend(scripted)

    def fail(self, status: int) -> None:
        self.status = status

    def hang(self) -> None:
        self.hanging = True

    def heal(self) -> None:
        self.status, self.hanging = 200, False

    # ------------------------------------------------------------------ serving

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))  # the same port again after ``stop()``
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app, interface="asgi3", log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._release = asyncio.Event()
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        for _ in range(500):
            if self._server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("the fake OpenAI server did not start")

    async def stop(self) -> None:
        """Stop listening: from now on connections are refused."""
        self._release.set()
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._serving
        self._server = self._serving = None

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = json.loads(b"".join(chunks) or b"{}")
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Recorded(body, headers))
        if scope["path"] != "/v1/chat/completions":
            return await _send(send, 404, {"error": {"message": "not found"}})
        if self.hanging:
            await self._release.wait()
            return await _send(send, 504, {"error": {"message": "released"}})
        if self.status != 200:
            return await _send(send, self.status, {"error": {"message": f"fake failure {self.status}"}})
        scripted = self.script.pop(0) if self.script else text("(the fake model's script is exhausted)")
        return await _send(send, 200, scripted(body) if callable(scripted) else scripted)


async def _send(send: Any, status: int, payload: Body) -> None:
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
