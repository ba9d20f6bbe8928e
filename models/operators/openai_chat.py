"""The evolution operator over any OpenAI-compatible chat endpoint (GPT-4o, Azure, GLM-4, vLLM, Ollama)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import openai

from pav.models.operators import MutationRequest, MutationResult
from pav.models.operators.instruction import (
    MalformedAnswer,
    build_messages,
    parse_variants,
    response_format,
    truncate_request,
)

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 60.0


class TransientError(Exception):
    """429, 5xx, a timeout, a broken connection or body: worth sending again."""


class OpenAIChatOperator:
    """Asks a chat model for n refined prompts per request, with bounded retries and a content cache."""

    name = "openai"

    def __init__(
        self,
        model: str = "gpt-4o",
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        api_key: str | None = None,
        temperature: float = 1.0,
        max_tokens: int = 1024,
        structured: bool = True,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        max_malformed_retries: int = 2,
        max_prompt_chars: int = 2000,
        price_in_per_1k: float = 0.0,
        price_out_per_1k: float = 0.0,
        concurrency: int = 4,
        cache_dir: str | None = None,
    ):
        key = api_key or os.environ.get(api_key_env)
        if not key:
            raise ValueError(f"no API key: pass api_key or set the environment variable {api_key_env}")
        for option, value in [("max_retries", max_retries), ("max_malformed_retries", max_malformed_retries)]:
            if value < 0:
                raise ValueError(f"{option} must be >= 0, got {value}")
        for option, value in [("max_prompt_chars", max_prompt_chars), ("concurrency", concurrency),
                              ("timeout_s", timeout_s)]:
            if value <= 0:
                raise ValueError(f"{option} must be > 0, got {value}")
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.structured = structured
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_malformed_retries = max_malformed_retries
        self.max_prompt_chars = max_prompt_chars
        self.price_in_per_1k = price_in_per_1k
        self.price_out_per_1k = price_out_per_1k
        self.concurrency = concurrency
        self.cache_dir = cache_dir
        # Retries are ours (bounded, counted, with our backoff), so the client never retries itself.
        self._client = openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout_s, max_retries=0)

    def settings(self) -> dict[str, Any]:
        """The options that shape the answers and their cost; never the key."""
        return {
            "model": self.model, "base_url": self.base_url, "api_key_env": self.api_key_env,
            "temperature": self.temperature, "max_tokens": self.max_tokens, "structured": self.structured,
            "timeout_s": self.timeout_s, "max_retries": self.max_retries, "backoff_s": self.backoff_s,
            "max_malformed_retries": self.max_malformed_retries, "max_prompt_chars": self.max_prompt_chars,
            "price_in_per_1k": self.price_in_per_1k, "price_out_per_1k": self.price_out_per_1k,
            "concurrency": self.concurrency, "cache_dir": self.cache_dir,
        }

    def __repr__(self) -> str:
        return f"OpenAIChatOperator({self.settings()})"

    def mutate(self, requests: Sequence[MutationRequest]) -> list[MutationResult]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._mutate_one, requests))

    def _mutate_one(self, request: MutationRequest) -> MutationResult:
        request, warnings = truncate_request(request, self.max_prompt_chars)
        result = MutationResult(variants=[], warnings=warnings)
        try:
            messages = build_messages(request, self.structured)
        except ValueError as e:
            result.error = str(e)
            return result
        params = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.structured:
            params["response_format"] = response_format(request.n)
        key = _cache_key(self.model, messages, params)

        cached = self._cache_read(key)
        if cached is not None:
            try:
                result.variants = parse_variants(cached, request.n, self.structured)
                result.cached = 1
                return result
            except MalformedAnswer:
                log.warning("ignoring unusable cache entry %s", key)

        conversation = list(messages)
        for attempt in range(self.max_malformed_retries + 1):
            try:
                answer, refusal = self._send(conversation, params, result)
            except (TransientError, openai.APIError) as e:
                # A server may echo the key in its error text (401): it must not reach the results.
                result.error = f"request failed: {e}".replace(self._client.api_key, "[redacted]")
                return result
            try:
                if refusal:
                    raise MalformedAnswer(f"the model refused: {refusal[:80]!r}")
                result.variants = parse_variants(answer, request.n, self.structured)
            except MalformedAnswer as e:
                result.error = f"malformed answer after {attempt + 1} attempt(s): {e}"
                log.warning("malformed answer (attempt %d of %d): %s",
                            attempt + 1, self.max_malformed_retries + 1, e)
                # Re-ask with the problem named, so a deterministic endpoint can still repair it.
                conversation = [*messages, {"role": "assistant", "content": answer},
                                {"role": "user", "content": f"That answer was unusable ({e}). "
                                 f"Answer again with exactly {request.n} prompts in the required format."}]
                continue
            result.error = None
            self._cache_write(key, {"model": self.model, "messages": messages, "params": params,
                                    "answer": answer})
            return result
        return result

    def _send(self, messages: list[dict], params: dict, result: MutationResult) -> tuple[str, str | None]:
        """One answer's (text, refusal); transient failures are retried max_retries times with backoff."""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(min(self.backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
            result.calls += 1
            try:
                completion = self._client.chat.completions.create(model=self.model, messages=messages, **params)
            # A body that is not JSON comes from a broken proxy or server, not from the model.
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError,
                    json.JSONDecodeError) as e:
                log.warning("transient failure (attempt %d of %d): %s",
                            attempt + 1, self.max_retries + 1, type(e).__name__)
                error = e
                continue
            usage = completion.usage
            if usage is not None:
                result.prompt_tokens += usage.prompt_tokens
                result.completion_tokens += usage.completion_tokens
                result.cost_usd += (usage.prompt_tokens * self.price_in_per_1k
                                    + usage.completion_tokens * self.price_out_per_1k) / 1000
            if not completion.choices:
                return "", None
            message = completion.choices[0].message
            return message.content or "", message.refusal
        raise TransientError(f"gave up after {self.max_retries + 1} attempts: {type(error).__name__}")

    def _cache_read(self, key: str) -> str | None:
        if self.cache_dir is None:
            return None
        path = Path(self.cache_dir) / f"{key}.json"
        return json.loads(path.read_text())["answer"] if path.exists() else None

    def _cache_write(self, key: str, entry: dict) -> None:
        if self.cache_dir is None:
            return
        folder = Path(self.cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent or interrupted run never reads half a file.
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False) as f:
            json.dump(entry, f, ensure_ascii=False, indent=1)
        os.replace(f.name, folder / f"{key}.json")


def _cache_key(model: str, messages: list[dict], params: dict) -> str:
    material = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()
