"""The LLM-free evolution operator: a genetic operator over descriptor phrases (after EvoPrompt's GA).

A variant is the original prompt (its meaning, never replaced) followed by descriptor phrases.
Phrases are crossed over from the history, weighted towards higher overall scores, then mutated by
inserting, replacing or deleting phrases and dropping a whole kind, so a search can add the kinds a
video model likes, drop those it dislikes, and grow or shrink the prompt: a round's variants take turns
leaning to growing, swapping and shrinking.

Phrases come from two places, as an LLM's would: generic video descriptors (vocabulary.py) and details
drawn for what the prompt so far names, its subject's look, how its action moves, its place's elements
and light, a shot that fits (data/sim_fit.py, the embedded world's knowledge of what fits what).
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Sequence

from pav.data.sim_fit import detail_kind, details_for
from pav.models.operators import MutationRequest, MutationResult
from pav.models.operators.vocabulary import DESCRIPTORS, KIND_OF

_SPLIT = re.compile(r"\s*[,.;]\s*")
ATTEMPTS_PER_VARIANT = 40
# Where the prompt so far has details that fit it (of the kind wanted, if any), the share of new phrases that
# are one of them rather than a generic descriptor: an LLM mostly writes about what the prompt shows.
FITTING_SHARE = 0.7
MAX_EXTRA_MUTATIONS = 3
# Relative odds of the mutations for each of a round's variants in turn: one leans to growing, one to swapping,
# one to shrinking, so every round tries a longer, a reworded and a shorter child and selection picks the
# direction. With one mixed schedule (deleting as likely as adding) a model that wants 40 words of scene detail
# got 14 after 4 rounds, and 16 after 8, on sim-scenic.
DIRECTIONS = (
    {"insert": 6, "replace": 2, "delete": 1, "drop_kind": 0},
    {"insert": 2, "replace": 6, "delete": 2, "drop_kind": 0},
    {"insert": 1, "replace": 2, "delete": 5, "drop_kind": 2},
)


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (Python's hash() of a str is salted)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _head(original: str) -> str:
    return " ".join(original.split()).rstrip(" ,.;")


def _segments(text: str) -> list[str]:
    return [s for s in _SPLIT.split(" ".join(text.split())) if s]


def tail_phrases(prompt: str, head: str) -> list[str]:
    """The phrases a prompt adds to the original: what follows the head, or all its non-head phrases."""
    text = " ".join(prompt.split())
    if text.lower().startswith(head.lower()):
        text = text[len(head):]
    head_segments = {_norm(s) for s in _segments(head)}
    return [s for s in _segments(text) if _norm(s) not in head_segments]


def _dedupe(phrases: list[str]) -> list[str]:
    seen, kept = set(), []
    for p in phrases:
        if _norm(p) not in seen:
            seen.add(_norm(p))
            kept.append(p)
    return kept


def _kind(phrase: str) -> str | None:
    return KIND_OF.get(phrase) or detail_kind(phrase)


def _words(phrases: list[str]) -> int:
    return sum(len(p.split()) for p in phrases)


class LexicalOperator:
    """Crossover of history phrases plus mutation from a video descriptor vocabulary; deterministic per seed."""

    name = "lexical"

    def __init__(self, max_added_words: int = 40, mutation_rate: float = 0.5):
        if max_added_words < 1:
            raise ValueError(f"max_added_words must be >= 1, got {max_added_words}")
        if not 0.0 <= mutation_rate <= 1.0:
            raise ValueError(f"mutation_rate must be in [0, 1], got {mutation_rate}")
        self.max_added_words = max_added_words
        self.mutation_rate = mutation_rate

    def settings(self) -> dict:
        return {"max_added_words": self.max_added_words, "mutation_rate": self.mutation_rate}

    def mutate(self, requests: Sequence[MutationRequest]) -> list[MutationResult]:
        return [self._mutate_one(r) for r in requests]

    def _mutate_one(self, request: MutationRequest) -> MutationResult:
        head = _head(request.original)
        if not head:
            return MutationResult(variants=[], error="original prompt is empty")
        if request.n < 1:
            return MutationResult(variants=[], error=f"n must be >= 1, got {request.n}")
        rng = random.Random(request.seed + stable_hash(request.original))
        ranked = sorted(request.history, key=lambda h: h.overall, reverse=True)
        parents = [tail_phrases(h.prompt, head) for h in ranked] or [[]]
        weights = [len(parents) - rank for rank in range(len(parents))]  # linear rank selection

        known = {_norm(request.original), *(_norm(h.prompt) for h in request.history)}
        fresh: list[str] = []
        repeats: list[str] = []  # distinct children that are already in the history
        for _ in range(ATTEMPTS_PER_VARIANT * request.n):
            mother, father = rng.choices(parents, weights=weights, k=2)
            mutations = DIRECTIONS[len(fresh) % len(DIRECTIONS)]
            child = self._mutated(head, self._crossover(mother, father, rng), rng, mutations)
            if not child:  # the bare original is no variant
                continue
            text = ", ".join([head, *child])
            if _norm(text) in known:
                if text not in repeats:
                    repeats.append(text)
            elif text not in fresh:
                fresh.append(text)
                if len(fresh) == request.n:
                    break
        variants = (fresh + repeats)[:request.n]
        if len(variants) < request.n:
            return MutationResult(variants=[], error=f"found only {len(variants)} distinct variants of {request.n}"
                                  f" (max_added_words={self.max_added_words} leaves too few phrases)")
        warnings = [f"{len(variants) - len(fresh)} variant(s) repeat a prompt of the history"] \
            if len(fresh) < request.n else []
        return MutationResult(variants=variants, warnings=warnings)

    @staticmethod
    def _phrase(head: str, phrases: list[str], kind: str | None, rng: random.Random) -> str:
        """A phrase of `kind` (any kind when None): mostly a detail that fits the prompt so far, else a generic one."""
        fitting = {k: v for k, v in details_for(", ".join([head, *phrases])).items() if v and k == (kind or k)}
        if fitting and rng.random() < FITTING_SHARE:
            return rng.choice(fitting[rng.choice(sorted(fitting))])
        return rng.choice(DESCRIPTORS.get(kind or "") or DESCRIPTORS[rng.choice(sorted(DESCRIPTORS))])

    @staticmethod
    def _crossover(mother: list[str], father: list[str], rng: random.Random) -> list[str]:
        """One-point crossover: a head of one parent's phrases joined to a tail of the other's."""
        return _dedupe(mother[:rng.randint(0, len(mother))] + father[rng.randint(0, len(father)):])

    def _mutated(self, head: str, phrases: list[str], rng: random.Random, mutations: dict[str, int]) -> list[str]:
        phrases = list(phrases)
        steps = 1
        while steps <= MAX_EXTRA_MUTATIONS and rng.random() < self.mutation_rate:
            steps += 1
        for _ in range(steps):
            op = rng.choices(list(mutations), weights=list(mutations.values()))[0]
            present_kinds = sorted({k for k in map(_kind, phrases) if k})
            if not phrases or op == "insert":
                phrases.insert(rng.randint(0, len(phrases)), self._phrase(head, phrases, None, rng))
            elif op == "replace":
                i = rng.randrange(len(phrases))
                phrases[i] = self._phrase(head, phrases[:i] + phrases[i + 1:], _kind(phrases[i]), rng)
            elif op == "delete" or not present_kinds:
                del phrases[rng.randrange(len(phrases))]
            else:  # drop every phrase of one kind
                kind = rng.choice(present_kinds)
                phrases = [p for p in phrases if _kind(p) != kind]
            phrases = _dedupe(phrases)
        while _words(phrases) > self.max_added_words:
            del phrases[rng.randrange(len(phrases))]
        return phrases
