"""The evolution operator over a local Hugging Face chat model (the same instruction as the openai operator)."""

from __future__ import annotations

import logging
from typing import Sequence

from pav.models.base_model import resolve_base_model
from pav.models.llm import generate_chat, load_chat_model
from pav.models.operators import MutationRequest, MutationResult
from pav.models.operators.instruction import MalformedAnswer, build_messages, parse_variants, truncate_request

log = logging.getLogger(__name__)


class LocalChatOperator:
    """Samples n refined prompts per request from a local chat model, re-sampling malformed answers a few times."""

    name = "local"

    def __init__(
        self,
        model: str = "smollm2-135m",
        device: str = "cpu",
        temperature: float = 0.8,
        top_p: float = 0.95,
        max_new_tokens: int = 512,
        max_malformed_retries: int = 2,
        max_prompt_chars: int = 2000,
        batch_size: int = 4,
    ):
        self.model, self.tokenizer = load_chat_model(resolve_base_model(model), device)
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.max_malformed_retries = max_malformed_retries
        self.max_prompt_chars = max_prompt_chars
        self.batch_size = batch_size

    def mutate(self, requests: Sequence[MutationRequest]) -> list[MutationResult]:
        """One result per request; only the still-malformed requests are sampled again."""
        results = [MutationResult(variants=[]) for _ in requests]
        pending: dict[int, list[dict[str, str]]] = {}
        for i, request in enumerate(requests):
            try:
                request, results[i].warnings = truncate_request(request, self.max_prompt_chars)
                pending[i] = build_messages(request, structured=False)
            except ValueError as e:
                results[i].error = str(e)
        for attempt in range(1 + self.max_malformed_retries):
            if not pending:
                break
            indices = list(pending)
            try:
                replies = generate_chat(
                    self.model, self.tokenizer, [pending[i] for i in indices], temperature=self.temperature,
                    top_p=self.top_p, max_new_tokens=self.max_new_tokens,
                    seed=requests[indices[0]].seed + attempt, batch_size=self.batch_size,
                )
            except RuntimeError as e:  # e.g. out of memory: every pending request fails, none raises
                log.warning("local operator generation failed: %s", e)
                for i in indices:
                    results[i].error = f"generation failed: {e}"
                break
            for i, (reply,) in zip(indices, replies):
                results[i].calls += 1
                try:
                    results[i].variants = parse_variants(reply, requests[i].n, structured=False)
                except MalformedAnswer as e:
                    results[i].error = f"malformed answer after {attempt + 1} tries: {e}"
                    continue
                results[i].error = None
                del pending[i]
        return results
