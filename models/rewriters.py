"""How each evaluated method turns the original prompts into what the video model gets: the original itself, a
constant suffix (best-suffix, booster), a published rewrite of VBench's prompts, an LLM operator's rewrite, Promptist's
(the published image rewriter), or an enhancer's greedy rewrite (the untuned base LLM or one we trained)."""

from __future__ import annotations

from pathlib import Path

from pav.data.prompts import VBENCH_REWRITES, vbench_rewrites, with_suffix
from pav.models.enhancer import Enhancer
from pav.models.operators import MutationRequest, Operator
from pav.models.promptist import promptist_rewrites

SUFFIXES = ("best-suffix", "booster")  # methods that append one constant suffix to every prompt
NOT_AN_ENHANCER = ("original", "openai", "promptist", *SUFFIXES, *VBENCH_REWRITES)


def is_enhancer(method: str) -> bool:
    """Whether `method` is rewritten by an enhancer LLM (trained, or the untuned base)."""
    return method not in NOT_AN_ENHANCER


def rewrite_prompts(originals: list[str], method: str, *, suffix: str | None = None, writer: Operator | None = None,
                    enhancer: Path | None = None, device: str = "cpu", dtype: str = "fp32", max_new_tokens: int = 64,
                    no_repeat_ngram: int = 0, instruction: str | None = None, promptist: str | None = None) -> list[str]:
    """`method`'s prompt for each original, in order. A suffix method needs `suffix`, openai an operator
    `writer`, promptist its checkpoint (`promptist`), an enhancer the directory of its weights (`enhancer`), decoded
    greedily as at inference; `instruction` replaces the one the enhancer was trained with (the untuned LLM's)."""
    if method == "original":
        return list(originals)
    if method in SUFFIXES:
        if suffix is None:
            raise ValueError(f"the {method} baseline needs its suffix")
        return [with_suffix(o, suffix) for o in originals]
    if method in VBENCH_REWRITES:
        return vbench_rewrites(method, originals)
    if method == "openai":
        if writer is None:
            raise ValueError("the openai baseline needs the operator config")
        results = writer.mutate([MutationRequest(o, [], n=1) for o in originals])
        return [r.variants[0] if r.variants else o for r, o in zip(results, originals)]
    if method == "promptist":
        if not promptist:
            raise ValueError("the promptist baseline needs its checkpoint: set evaluate.promptist (microsoft/Promptist "
                             "or a local copy)")
        return promptist_rewrites(originals, promptist, device)
    if enhancer is None:
        raise ValueError(f"method {method!r} needs a trained model or a base model")
    return Enhancer.from_pretrained(enhancer, device, dtype, instruction).enhance(
        originals, temperature=0, max_new_tokens=max_new_tokens, no_repeat_ngram_size=no_repeat_ngram)
