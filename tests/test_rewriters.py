"""How each evaluated method rewrites (models/rewriters.py), without Prefect: the constant baselines append their
suffix, the published rewrites are looked up, the openai baseline takes its operator's first variant, and an
enhancer's greedy rewrite is what `pav enhance` gives."""

from __future__ import annotations

import pytest
import torch

from pav.data.prompts import vbench_rewrites
from pav.models.enhancer import Enhancer
from pav.models.operators import load_operator
from pav.models.rewriters import is_enhancer, rewrite_prompts
from tiny_models import ENHANCER_STYLE, trained_tiny_enhancer, vbench_prompts

torch.set_num_threads(1)
ORIGINALS = vbench_prompts()[:3]


def test_constant_and_published_baselines():
    assert rewrite_prompts(ORIGINALS, "original") == ORIGINALS
    assert rewrite_prompts(["a cat."], "booster", suffix="4k") == ["a cat, 4k"]
    with pytest.raises(ValueError, match="best-suffix baseline needs its suffix"):
        rewrite_prompts(ORIGINALS, "best-suffix")
    assert rewrite_prompts(ORIGINALS, "gpt4-upsampler") == vbench_rewrites("gpt4-upsampler", ORIGINALS)
    assert not any(map(is_enhancer, ("original", "booster", "best-suffix", "openai", "wan-extender")))
    assert is_enhancer("dpo-2") and is_enhancer("base")


def test_the_openai_baseline_takes_its_writers_first_variant():
    writer = load_operator("lexical")
    texts = rewrite_prompts(ORIGINALS, "openai", writer=writer)
    assert len(texts) == 3 and all(t.startswith(o.rstrip(".")) and t != o for t, o in zip(texts, ORIGINALS))
    with pytest.raises(ValueError, match="needs the operator config"):
        rewrite_prompts(ORIGINALS, "openai")


def test_an_enhancer_rewrites_greedily_as_pav_enhance_does():
    model = trained_tiny_enhancer() / "merged"
    texts = rewrite_prompts(ORIGINALS, "dpo-2", enhancer=model, max_new_tokens=24)
    assert texts == Enhancer.from_pretrained(model).enhance(ORIGINALS, temperature=0, max_new_tokens=24)
    assert sum(ENHANCER_STYLE.split(",")[0] in t for t in texts) >= 2  # it learnt its pairs' ending
    with pytest.raises(ValueError, match="needs a trained model or a base model"):
        rewrite_prompts(ORIGINALS, "sft")
