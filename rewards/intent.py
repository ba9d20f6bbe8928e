"""Intent judges: does a rewrite of a user's prompt keep what the user asked for?

A rewrite that changes the subject ("a black cat" -> "a black bat") is worse than none; a judge lists
the content items of the original that the rewrite lost. A judge is one file and one line in INTENT_JUDGES:
intent_lexical.py needs no weights, intent_llm.py asks an LLM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pav.data.registry import load_class


@dataclass
class IntentResult:
    intent: float  # kept items / items, in [0, 1]; 1.0 when the original names no content
    lost: list[str] = field(default_factory=list)  # items missing from the rewrite, in the original's order
    items: list[str] = field(default_factory=list)  # all content items of the original, as written


@dataclass
class JudgeUsage:
    """What judging cost: requests sent, answers taken from the cache, tokens and money."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, calls: int, cached: int, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        self.calls += calls
        self.cached += cached
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost_usd += cost_usd


class IntentJudge(Protocol):
    name: str
    usage: JudgeUsage

    def judge(self, originals: Sequence[str], rewrites: Sequence[str]) -> list[IntentResult]:
        """One result per (original, rewrite) pair, in order."""


INTENT_JUDGES: dict[str, str] = {
    "lexical": "pav.rewards.intent_lexical:LexicalIntent",
    "llm": "pav.rewards.intent_llm:LLMIntent",
}


class IntentConfig(BaseModel):
    """Which judge checks what a rewrite keeps of the original prompt (pav.config gathers it with every section)."""

    model_config = ConfigDict(extra="forbid")
    judge: Literal[tuple(sorted(INTENT_JUDGES))] = Field(  # type: ignore[valid-type]
        "lexical", description="Judge of what a rewrite keeps of the original prompt: lexical (weight-free: every "
                               "subject, count, colour, action, place, style, number and quoted text must survive) "
                               "or llm (a chat model behind an OpenAI-compatible endpoint lists and checks them)")
    options: dict[str, Any] = Field(default_factory=dict, description="Options of the intent judge (llm: model, "
                                                                      "base_url, api_key_env, cache_dir, prices, ...)")


def intent_columns(judge: IntentJudge, originals: Sequence[str], prompts: Sequence[str]) -> pd.DataFrame:
    """The `intent` and `lost` columns of records, one row per (original, prompt)."""
    results = judge.judge(list(originals), list(prompts))
    return pd.DataFrame({"intent": [r.intent for r in results], "lost": [", ".join(r.lost) for r in results]})


def load_intent_judge(name: str, options: dict[str, Any] | None = None) -> IntentJudge:
    """A registered intent judge by name; an unknown name raises ValueError listing the valid ones."""
    return load_class(INTENT_JUDGES, name, "intent judge")(**(options or {}))
