"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests, answering from a script."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Reply:
    """One scripted answer: an assistant message, an HTTP error status, a delay, or a raw body."""

    content: str | None = ""
    status: int = 200
    delay_s: float = 0.0
    prompt_tokens: int = 100
    completion_tokens: int = 20
    refusal: str | None = None
    body: bytes | None = None  # sent as is (e.g. broken JSON), overriding everything else


def tags(variants: list[str]) -> str:
    return "\n".join(f"<PROMPT>{v}</PROMPT>" for v in variants)


def structured(variants: list[str]) -> str:
    return json.dumps({"prompts": variants})


ReplySource = Reply | Callable[[dict], Reply]


class ChatServer:
    """Serves /v1/chat/completions; replies come from `script` in order, then from `default`."""

    def __init__(self, script: list[ReplySource] | None = None, default: ReplySource | None = None):
        self.script = list(script or [])
        self.default = default
        self.requests: list[dict] = []  # {"headers" (lower-case names), "body"} in arrival order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True  # a slow reply must not block shutdown
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "ChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next_reply(self, body: dict, headers: dict) -> Reply:
        with self._lock:
            self.requests.append({"headers": headers, "body": body})
            source = self.script.pop(0) if self.script else self.default
        if source is None:
            raise AssertionError("the test server got more requests than scripted")
        return source(body) if callable(source) else source

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/v1/chat/completions":
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
                    return
                reply = server._next_reply(json.loads(raw), {k.lower(): v for k, v in self.headers.items()})
                time.sleep(reply.delay_s)
                self._send(reply.status, reply.body if reply.body is not None else _payload(reply, json.loads(raw)))

            def _send(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler


def _payload(reply: Reply, request: dict) -> bytes:
    if reply.status != 200:
        return json.dumps({"error": {"message": f"scripted status {reply.status}", "type": "server_error"}}).encode()
    return json.dumps({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", ""),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal}}],
        "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                  "total_tokens": reply.prompt_tokens + reply.completion_tokens},
    }).encode()
