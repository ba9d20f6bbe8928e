"""Record builders shared by every stage: candidate rows, stored video paths, held-out checks."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from pav.data.schemas import SCHEMAS
from pav.data.store import Store, content_key


def candidate_id(prompt_id: str, text: str) -> str:
    return content_key("candidate", prompt_id, text)


def candidates_frame(prompt_ids: Sequence[str], originals: Sequence[str], prompts: Sequence[str], round_: int,
                     operator: str | Sequence[str], parent_ids: Sequence[str | None] | None = None) -> pd.DataFrame:
    """Candidates records: one row per (source prompt, proposed text); one operator for all rows, or one each."""
    prompt_ids, originals, prompts = list(prompt_ids), list(originals), list(prompts)
    if not len(prompt_ids) == len(originals) == len(prompts):
        raise ValueError(f"{len(prompt_ids)} prompt ids, {len(originals)} originals, {len(prompts)} prompts")
    return pd.DataFrame({
        "candidate_id": [candidate_id(p, t) for p, t in zip(prompt_ids, prompts)],
        "prompt_id": prompt_ids, "original": originals, "prompt": prompts,
        "parent_id": list(parent_ids) if parent_ids is not None else [None] * len(prompts),
        "round": round_, "operator": operator if isinstance(operator, str) else list(operator),
    }, columns=SCHEMAS["candidates"][1].names)


def dpo_operator(round_: int, greedy: bool) -> str:
    """Who proposed a DPO candidate: the policy's greedy rewrite (what evaluation and serving decode) or a sample."""
    return f"dpo-{round_}/{'greedy' if greedy else 'sampled'}"


def is_greedy(operators: pd.Series) -> pd.Series:
    """Which candidates are a policy's greedy rewrite."""
    return operators.str.endswith("/greedy")


def originals_as_candidates(prompts: pd.DataFrame) -> pd.DataFrame:
    """Round 0: every source prompt is its own first candidate."""
    return candidates_frame(prompts["prompt_id"], prompts["prompt"], prompts["prompt"], 0, "original")


def video_path(video_id: str, suffix: str = "mp4") -> str:
    """Where a rendered video (mp4) or image (png) lives, relative to the store root (once per model, prompt and
    seed)."""
    return f"videos/{video_id}.{suffix}"


def stored_video(store: Store, video_id: str) -> str:
    """The path of a rendered video or image in `store` (its suffix is not part of its id)."""
    paths = (video_path(video_id), video_path(video_id, "png"))
    return next((p for p in paths if store.exists(p)), paths[0])


def check_disjoint(prompts: pd.DataFrame, used: Sequence[pd.DataFrame], what: str) -> None:
    """Fail when prompts of `what` were also seen by earlier stages (checked, not assumed)."""
    seen = {pid for frame in used for pid in frame["prompt_id"]}
    leaked = set(prompts["prompt_id"]) & seen
    if leaked:
        raise ValueError(f"{len(leaked)} {what} prompts also appear in evolution or training data; "
                         "choose disjoint prompt sets (offset/limit)")
