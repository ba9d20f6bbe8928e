"""pav.models.operators: evolution operators, original prompt + scored history -> n refined variants.

Three backends share one batched method: an OpenAI-compatible chat endpoint, a local Hugging Face
chat model, and the LLM-free lexical operator (the embedded default). A backend is one file and
one line in OPERATORS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from pav.data.registry import load_class


@dataclass
class ScoredPrompt:
    """A prompt of the history with its per-dimension scores and overall score."""

    prompt: str
    scores: dict[str, float]
    overall: float


@dataclass
class MutationRequest:
    original: str
    history: list[ScoredPrompt]  # best first; the original is part of it when it was scored
    n: int = 3
    seed: int = 0  # for deterministic operators


@dataclass
class MutationResult:
    variants: list[str]  # empty when the operator failed for this prompt
    error: str | None = None
    calls: int = 0  # requests actually sent (cache hits not counted)
    cached: int = 0  # requests answered from the cache
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    warnings: list[str] = field(default_factory=list)


class Operator(Protocol):
    name: str

    def mutate(self, requests: Sequence[MutationRequest]) -> list[MutationResult]:
        """One result per request, in order; never raises for a single bad answer."""


OPERATORS: dict[str, str] = {
    "openai": "pav.models.operators.openai_chat:OpenAIChatOperator",
    "lexical": "pav.models.operators.lexical:LexicalOperator",
    "local": "pav.models.operators.local_chat:LocalChatOperator",
}


def load_operator(name: str, options: dict[str, Any] | None = None, api_key: str | None = None) -> Operator:
    """The operator `name` with `options`; an API key (from the environment or a secret store) is passed in,
    never stored in the options."""
    return load_class(OPERATORS, name, "operator")(**(options or {}), **({"api_key": api_key} if api_key else {}))
