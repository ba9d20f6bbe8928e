"""`pav serve`: a trained enhancer behind the OpenAI chat-completions protocol, with dynamic batching.

Video pipelines already call rewriters this way (HunyuanVideo's rewrite server, Wan's prompt extender,
ComfyUI nodes, this project's openai operator). Requests that arrive together are batched into one
generate call (pav/batcher.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pav.batcher import Batcher, Job, ServeError
from pav.models.enhancer import Enhancer, enhancer_dir
from pav.models.text_limit import TextLimit
from pav.rewards.intent import load_intent_judge

log = logging.getLogger(__name__)


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # OpenAI clients send fields we do not use
    model: str | None = None
    messages: list[Message] = Field(min_length=1)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=8)


class EnhanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompts: list[str] = Field(min_length=1, max_length=64)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)


def _text(message: Message) -> str:
    if isinstance(message.content, str):
        return message.content
    return " ".join(part.get("text", "") for part in message.content or [] if part.get("type") == "text")


def create_app(model_dir: str | Path, device: str = "cpu", dtype: str = "fp32", max_batch: int = 16, max_wait_ms: float = 20,
               queue_size: int = 64, max_prompt_chars: int = 2000, default_max_tokens: int = 160,
               max_tokens_limit: int = 512, api_key: str | None = None, intent_judge: str = "lexical",
               batcher_thread: bool = True, text_limit: TextLimit | None = None) -> FastAPI:
    """The app serving the enhancer in `model_dir` (a `pav train` model directory or its merged/).

    With batcher_thread False the caller runs `app.state.batcher.run()` on a thread of its own. With a
    `text_limit` (the video model's encoder), a rewrite over it loses trailing phrases until it fits, or falls back
    to the original, with finish_reason "length"; app.state.too_long counts them.
    """
    path = enhancer_dir(model_dir)
    model_id = Path(model_dir).name if Path(model_dir).name != "merged" else Path(model_dir).parent.name
    batcher = Batcher(Enhancer.from_pretrained(path, device=device, dtype=dtype), max_batch, max_wait_ms, queue_size)
    if batcher_thread:
        batcher.start()
    judge = load_intent_judge(intent_judge)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        batcher.stop()

    app = FastAPI(title="prompt-a-video enhancer", version="1", lifespan=lifespan)
    app.state.batcher = batcher
    app.state.too_long = 0

    @app.exception_handler(ServeError)
    async def _serve_error(_: Request, e: ServeError):
        return JSONResponse({"error": {"message": e.message, "type": e.kind}}, status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError):
        problems = "; ".join(f"{'.'.join(map(str, err['loc'][1:])) or 'body'}: {err['msg']}" for err in e.errors())
        return JSONResponse({"error": {"message": f"bad request: {problems}", "type": "invalid_request_error"}},
                            status_code=400)

    @app.middleware("http")
    async def _auth(request: Request, call_next):
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return JSONResponse({"error": {"message": "missing or wrong API key (Authorization: Bearer ...)",
                                           "type": "invalid_api_key"}}, status_code=401)
        return await call_next(request)

    def check_prompt(prompt: str) -> str:
        if not prompt.strip():
            raise ServeError(400, "the prompt to enhance is empty")
        if len(prompt) > max_prompt_chars:
            raise ServeError(400, f"the prompt is {len(prompt)} characters; at most {max_prompt_chars}")
        return prompt.strip()

    def tokens(requested: int | None) -> int:
        wanted = requested or default_max_tokens
        if wanted > max_tokens_limit:
            raise ServeError(400, f"max_tokens {wanted} is above this server's limit of {max_tokens_limit}")
        return wanted

    async def rewrite(prompt: str, temperature: float, max_tokens: int, n: int) -> list[tuple[str, str]]:
        """Each rewrite with its finish_reason: "stop", or "length" where it had to fit the video model's limit."""
        loop = asyncio.get_running_loop()
        job = Job(prompt, temperature, max_tokens, n, loop, loop.create_future())
        batcher.submit(job)
        texts = await job.done
        if text_limit is None:
            return [(t, "stop") for t in texts]
        out = []
        for text, fits in zip(texts, text_limit.fits(texts)):
            if not fits:
                app.state.too_long += 1
                log.warning("a rewrite over the video model's %d-token limit was shortened: %r", text_limit.max_tokens,
                            text[:80])
            out.append((text, "stop") if fits else (text_limit.shortened(text, keep=prompt) or prompt, "length"))
        return out

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": model_id, "object": "model", "owned_by": "prompt-a-video"}]}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest) -> dict:
        users = [m for m in body.messages if m.role == "user"]
        if not users:
            raise ServeError(400, "messages hold no user message: the last user message is the prompt to enhance")
        prompt = check_prompt(_text(users[-1]))
        written = await rewrite(prompt, body.temperature, tokens(body.max_completion_tokens or body.max_tokens),
                                body.n)
        tokenizer = batcher.enhancer.tokenizer
        used = [len(tokenizer(t)["input_ids"]) for t, _ in written]
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
                "model": model_id,
                "choices": [{"index": i, "finish_reason": reason, "message": {"role": "assistant", "content": t}}
                            for i, (t, reason) in enumerate(written)],
                "usage": {"prompt_tokens": len(tokenizer(prompt)["input_ids"]), "completion_tokens": sum(used),
                          "total_tokens": len(tokenizer(prompt)["input_ids"]) + sum(used)}}

    @app.post("/v1/enhance")
    async def enhance(body: EnhanceRequest) -> dict:
        prompts = [check_prompt(p) for p in body.prompts]
        max_tokens = tokens(body.max_tokens)
        written = [w[0] for w in await asyncio.gather(*(rewrite(p, body.temperature, max_tokens, 1) for p in prompts))]
        judged = judge.judge(prompts, [t for t, _ in written])
        return {"model": model_id, "rewrites": [
            {"prompt": p, "rewrite": t, "intent": r.intent, "lost": r.lost, "shortened": reason == "length"}
            for p, (t, reason), r in zip(prompts, written, judged)]}

    return app


def serve(model_dir: str, host: str, port: int, device: str, dtype: str, max_batch: int, max_wait_ms: float,
          queue_size: int, api_key_env: str | None, text_limit: TextLimit | None = None) -> None:
    """Run the server in the foreground until SIGINT or SIGTERM (uvicorn shuts down cleanly)."""
    import uvicorn

    api_key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and not api_key:
        raise ValueError(f"--api-key-env {api_key_env}: the variable is not set")
    app = create_app(model_dir, device=device, dtype=dtype, max_batch=max_batch, max_wait_ms=max_wait_ms,
                     queue_size=queue_size, api_key=api_key, batcher_thread=False, text_limit=text_limit)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    # uvicorn installs no signal handlers off the main thread: SIGINT/SIGTERM ask it to shut down
    # gracefully (its lifespan stops the batcher, which then returns here) and the process exits 0.
    def stopped(signum, frame) -> None:
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopped)
    def run_http() -> None:
        try:
            server.run()
        finally:  # also when it could not start (the port is taken): the batcher must not wait forever
            app.state.batcher.stop()

    http = threading.Thread(target=run_http, name="pav-http")
    http.start()
    while not server.started and http.is_alive():
        time.sleep(0.05)
    if server.started:
        print(f"enhancer {model_dir} on http://{host}:{port}/v1 (chat completions, /v1/enhance)", flush=True)
    app.state.batcher.run()
    http.join(30)
    if not server.started:
        raise ValueError(f"could not serve on {host}:{port} (is the port in use?)")
