"""A scripted OpenAI-compatible chat server — the only fake of the project: no LLM can run here.

It answers ``POST /v1/chat/completions`` with the next scripted reply (text or tool calls) and records requests,
so tests exercise the real ``langchain-openai`` client over real HTTP on loopback. With ``stream: true`` it sends the
reply as OpenAI chunks (text word by word, ``chunk_delay_s`` apart, then ``[DONE]``), and records when each chunk left.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.chunk_delay_s = 0.0
        self.sent_at: list[float] = []  # time.monotonic() of each streamed text chunk
        app = FastAPI()

        @app.post("/v1/chat/completions", response_model=None)
        async def completions(request: Request) -> dict[str, Any] | StreamingResponse:
            body = await request.json()
            self.requests.append(body)
            reply = self.replies.pop(0) if self.replies else {"content": "HORS CORPUS : plus de réponse scriptée."}
            if body.get("stream"):
                return StreamingResponse(self._chunks(reply, body.get("model", "fake")), media_type="text/event-stream")
            message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
            finish = "stop"
            if reply.get("tool_calls"):
                message["tool_calls"] = [
                    {"id": f"call_{i}", "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["args"])}}
                    for i, c in enumerate(reply["tool_calls"])
                ]
                finish = "tool_calls"
            return {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def _chunks(self, reply: dict[str, Any], model: str) -> Any:
        import asyncio
        import re

        def frame(delta: dict[str, Any], finish: str | None = None) -> str:
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        yield frame({"role": "assistant", "content": ""})
        for word in re.findall(r"\S+\s*|\s+", reply.get("content") or ""):
            await asyncio.sleep(self.chunk_delay_s)
            self.sent_at.append(time.monotonic())
            yield frame({"content": word})
        for i, c in enumerate(reply.get("tool_calls") or []):
            yield frame({"tool_calls": [{"index": i, "id": f"call_{i}", "type": "function",
                                         "function": {"name": c["name"], "arguments": json.dumps(c["args"])}}]})
        yield frame({}, "tool_calls" if reply.get("tool_calls") else "stop")
        yield "data: [DONE]\n\n"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        deadline = time.time() + 20
        while not self._server.started and time.time() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
