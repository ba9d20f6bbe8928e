"""How many tokens of a prompt a video model's text encoder reads (CogVideoX's T5 226, LTX's 128, Wan's UMT5 512),
and a prompt's count in them. A longer prompt is cut by the model, so whatever the project writes for it (an
evolution variant, a DPO sample, a served rewrite) must fit: over the limit it is a recorded defect, never a
silent cut.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from pydantic import BaseModel, ConfigDict, Field

# Words and single punctuation marks: the count of the simulated models' encoder (and a floor for real ones).
_PIECE = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_PHRASE_BREAK = re.compile(r"\s*[,;]\s*")


class TextLimit(BaseModel):
    """`max_tokens` tokens counted by `tokenizer` (a path or hub id, "::subfolder" after it for a pipeline's
    tokenizer/ folder; None: words and punctuation). A stage gets it as an input, resolved by the flow
    (pav.models.generators.text_limit: the registry), so a stage's code never depends on every generator's."""

    model_config = ConfigDict(frozen=True)
    max_tokens: int = Field(ge=1)
    tokenizer: str | None = None

    def __init__(self, max_tokens: int, tokenizer: str | None = None, **kw):
        super().__init__(max_tokens=max_tokens, tokenizer=tokenizer, **kw)

    def counts(self, texts: Sequence[str]) -> list[int]:
        if self.tokenizer is None:
            return [len(_PIECE.findall(t)) for t in texts]
        return [len(ids) for ids in _tokenizer(self.tokenizer)(list(texts), add_special_tokens=True)["input_ids"]]

    def fits(self, texts: Sequence[str]) -> list[bool]:
        return [n <= self.max_tokens for n in self.counts(texts)]

    def shortened(self, text: str, keep: str = "") -> str | None:
        """`text` without as many trailing comma phrases as it takes to fit, never shorter than `keep` (the
        user's original); None where even that does not fit."""
        # Cut at the phrase breaks themselves, so what stays is the rewrite's own text, punctuation included.
        ends = [len(text)] + [m.start() for m in reversed(list(_PHRASE_BREAK.finditer(text)))]
        for end in ends:
            candidate = text[:end]
            if len(candidate.strip()) < len(keep.strip()):
                return None
            if self.fits([candidate])[0]:
                return candidate
        return None


def read_tokens(text: str, max_tokens: int) -> str:
    """What an encoder that reads `max_tokens` words and punctuation marks sees of `text` (all of a shorter one)."""
    pieces = list(_PIECE.finditer(text))
    return text if len(pieces) <= max_tokens else text[:pieces[max_tokens - 1].end()]


@lru_cache(maxsize=8)
def _tokenizer(spec: str):
    from transformers import AutoTokenizer

    path, _, subfolder = spec.partition("::")
    return AutoTokenizer.from_pretrained(path, **({"subfolder": subfolder} if subfolder else {}))
