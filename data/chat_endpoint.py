"""An OpenAI-compatible chat endpoint: bounded retries with backoff, a content cache, counted tokens and cost.

Shared by the LLM evolution operator (models/) and the LLM intent judge (rewards/). It is IO, so it lives
below both. The API key comes from the environment or the caller, and is never stored, logged or cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import openai

from pav.data.backoff import attempts

log = logging.getLogger(__name__)


class TransientError(Exception):
    """429, 5xx, a timeout, a broken connection or body: worth sending again."""


class Usage(Protocol):
    """What a caller counts: requests sent, tokens and cost (MutationResult, the judge's usage)."""

    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class ChatEndpoint:
    """One model behind an OpenAI-compatible base URL."""

    def __init__(self, model: str, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 api_key: str | None = None, timeout_s: float = 60.0, max_retries: int = 4, backoff_s: float = 1.0,
                 price_in_per_1k: float = 0.0, price_out_per_1k: float = 0.0, cache_dir: str | None = None):
        key = api_key or os.environ.get(api_key_env)
        if not key:
            raise ValueError(f"no API key: pass api_key or set the environment variable {api_key_env}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.model, self.base_url, self.api_key_env = model, base_url, api_key_env
        self.timeout_s, self.max_retries, self.backoff_s = timeout_s, max_retries, backoff_s
        self.price_in_per_1k, self.price_out_per_1k = price_in_per_1k, price_out_per_1k
        self.cache_dir = cache_dir
        # Retries are ours (bounded, counted, with our backoff), so the client never retries itself.
        self._client = openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout_s, max_retries=0)

    def settings(self) -> dict[str, Any]:
        """What shapes the answers and their cost; never the key."""
        return {"model": self.model, "base_url": self.base_url, "api_key_env": self.api_key_env,
                "timeout_s": self.timeout_s, "max_retries": self.max_retries, "backoff_s": self.backoff_s,
                "price_in_per_1k": self.price_in_per_1k, "price_out_per_1k": self.price_out_per_1k,
                "cache_dir": self.cache_dir}

    def redact(self, text: str) -> str:
        """A server may echo the key in its error text (401): it must not reach results or logs."""
        return text.replace(self._client.api_key, "[redacted]")

    def send(self, messages: list[dict], params: dict, usage: Usage) -> tuple[list[str], str | None]:
        """The answer's texts (one per choice; params may ask for n) and the first choice's refusal;
        transient failures are retried max_retries times with backoff.

        Raises TransientError when every attempt failed and openai.APIError for a client error (4xx).
        """
        for attempt in attempts(self.max_retries, self.backoff_s):
            usage.calls += 1
            try:
                completion = self._client.chat.completions.create(model=self.model, messages=messages, **params)
            # A body that is not JSON comes from a broken proxy or server, not from the model.
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError,
                    json.JSONDecodeError) as e:
                log.warning("transient failure (attempt %d of %d): %s",
                            attempt + 1, self.max_retries + 1, type(e).__name__)
                error = e
                continue
            if completion.usage is not None:
                usage.prompt_tokens += completion.usage.prompt_tokens
                usage.completion_tokens += completion.usage.completion_tokens
                usage.cost_usd += (completion.usage.prompt_tokens * self.price_in_per_1k
                                   + completion.usage.completion_tokens * self.price_out_per_1k) / 1000
            if not completion.choices:
                return [""], None
            return [c.message.content or "" for c in completion.choices], completion.choices[0].message.refusal
        raise TransientError(f"gave up after {self.max_retries + 1} attempts: {type(error).__name__}")

    # -- the content cache: one JSON file per (model, messages, params); only usable answers go in ----------
    def cache_key(self, messages: list[dict], params: dict) -> str:
        material = json.dumps({"model": self.model, "messages": messages, "params": params}, sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()

    def cached(self, key: str) -> str | None:
        if self.cache_dir is None:
            return None
        path = Path(self.cache_dir) / f"{key}.json"
        return json.loads(path.read_text())["answer"] if path.exists() else None

    def remember(self, key: str, messages: list[dict], params: dict, answer: str) -> None:
        if self.cache_dir is None:
            return
        folder = Path(self.cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        entry = {"model": self.model, "messages": messages, "params": params, "answer": answer}
        # Write then rename, so a concurrent or interrupted run never reads half a file.
        with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False) as f:
            json.dump(entry, f, ensure_ascii=False, indent=1)
        os.replace(f.name, folder / f"{key}.json")
