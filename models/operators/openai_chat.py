"""The evolution operator over any OpenAI-compatible chat endpoint (GPT-4o, Azure, GLM-4, vLLM, Ollama)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import openai

from pav.data.chat_endpoint import ChatEndpoint, TransientError
from pav.models.operators import MutationRequest, MutationResult
from pav.models.operators.instruction import (
    MalformedAnswer,
    build_messages,
    parse_variants,
    response_format,
    truncate_request,
)

log = logging.getLogger(__name__)


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
        request: str = "refine",
    ):
        if request not in ("refine", "enhance"):
            raise ValueError(f"request must be 'refine' (the paper's instruction with the scored history) or "
                             f"'enhance' (the original alone, to a served enhancer), got {request!r}")
        if max_malformed_retries < 0:
            raise ValueError(f"max_malformed_retries must be >= 0, got {max_malformed_retries}")
        for option, value in [("max_prompt_chars", max_prompt_chars), ("concurrency", concurrency)]:
            if value <= 0:
                raise ValueError(f"{option} must be > 0, got {value}")
        self.endpoint = ChatEndpoint(model, base_url, api_key_env, api_key, timeout_s, max_retries, backoff_s,
                                     price_in_per_1k, price_out_per_1k, cache_dir)
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.structured = structured
        self.max_malformed_retries = max_malformed_retries
        self.max_prompt_chars = max_prompt_chars
        self.concurrency = concurrency
        self.request = request

    def settings(self) -> dict[str, Any]:
        """The options that shape the answers and their cost; never the key."""
        return {**self.endpoint.settings(), "temperature": self.temperature, "max_tokens": self.max_tokens,
                "structured": self.structured, "max_malformed_retries": self.max_malformed_retries,
                "max_prompt_chars": self.max_prompt_chars, "concurrency": self.concurrency, "request": self.request}

    def __repr__(self) -> str:
        return f"OpenAIChatOperator({self.settings()})"

    def mutate(self, requests: Sequence[MutationRequest]) -> list[MutationResult]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._mutate_one, requests))

    def _mutate_one(self, request: MutationRequest) -> MutationResult:
        if self.request == "enhance":
            return self._enhance_one(request)
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
        key = self.endpoint.cache_key(messages, params)

        cached = self.endpoint.cached(key)
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
                [answer, *_], refusal = self.endpoint.send(conversation, params, result)
            except (TransientError, openai.APIError) as e:
                result.error = self.endpoint.redact(f"request failed: {e}")
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
            self.endpoint.remember(key, messages, params, answer)
            return result
        return result

    def _enhance_one(self, request: MutationRequest) -> MutationResult:
        """n samples of a served enhancer (`pav serve`, or vLLM with its checkpoint) for the original alone:
        the enhancer was trained on the original prompt, not on the scored history."""
        result = MutationResult(variants=[])
        messages = [{"role": "user", "content": request.original}]
        params = {"temperature": self.temperature, "max_tokens": self.max_tokens, "n": request.n}
        key = self.endpoint.cache_key(messages, params)
        cached = self.endpoint.cached(key)
        if cached is not None:
            result.variants, result.cached = json.loads(cached), 1
            return result
        try:
            texts, _ = self.endpoint.send(messages, params, result)
        except (TransientError, openai.APIError) as e:
            result.error = self.endpoint.redact(f"request failed: {e}")
            return result
        result.variants = [t.strip() for t in texts if t.strip()]
        if not result.variants:
            result.error = "the enhancer answered with no text"
            return result
        self.endpoint.remember(key, messages, params, json.dumps(result.variants))
        return result
