"""What a method adds to the user's prompt, and how much of it is the same for every prompt.

A rewriter that appends one suffix to everything is a constant, not a description: these statistics say
how often a method's additions repeat across prompts, so a table shows it beside intent.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

_SPLIT = re.compile(r"\s*[,;.]\s*")
COMMON = 0.20  # an added phrase on more than this share of a method's rewrites is boilerplate


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split()).strip(" ,.;")


def added_phrases(prompt: str, original: str) -> list[str]:
    """The phrases (comma, semicolon or full-stop separated) a rewrite adds to its original, in order, once each.
    Where the rewrite starts with the original, what follows it; otherwise every phrase the original lacks."""
    text, head = _norm(prompt), _norm(original)
    if head and text.startswith(head):
        text = text[len(head):]
    have = {s for s in _SPLIT.split(head) if s}
    return list(dict.fromkeys(s for s in _SPLIT.split(text) if s and s not in have))


def specificity(evals: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Per method (not the originals): rewrites (one per prompt), distinct additions (distinct sets of added
    phrases), boilerplate share (rewrites all of whose added phrases are on more than COMMON of the method's
    rewrites), the share of the most common added phrase, and the `top` most common phrases with counts."""
    rows = []
    for method, frame in evals[evals["method"] != "original"].groupby("method", sort=False):
        per_prompt = frame.drop_duplicates("prompt_id")
        added = [added_phrases(p, o) for p, o in zip(per_prompt["prompt"], per_prompt["original"])]
        n = len(added)
        counts = Counter(p for phrases in added for p in phrases)
        common = {p for p, c in counts.items() if c > COMMON * n}
        boiler = sum(bool(a) and all(p in common for p in a) for a in added)
        most = counts.most_common(top)
        rows.append({"method": method, "rewrites": n, "distinct": len({tuple(sorted(a)) for a in added}),
                     "boilerplate": boiler / n if n else float("nan"),
                     "top_share": most[0][1] / n if most else 0.0,
                     "top_phrases": "; ".join(f"{p} ({c})" for p, c in most)})
    return pd.DataFrame(rows, columns=["method", "rewrites", "distinct", "boilerplate", "top_share", "top_phrases"])
