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


def test_promptist_rewrites_as_its_released_demo_decodes(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    from tiny_models import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=256, n_embd=32, n_layer=2, n_head=4,
                               eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id)
                    ).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    originals = ["a red cat", "a dog running in the city at night"]
    rewrites = rewrite_prompts(originals, "promptist", promptist=str(tmp_path))
    assert len(rewrites) == 2 and all(isinstance(r, str) and r for r in rewrites)

    # The release: "<prompt> Rephrase:", 8 beams, length penalty -1, the best beam's continuation.
    model = GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    ids = tokenizer("a red cat Rephrase:", return_tensors="pt").input_ids
    with torch.no_grad():
        best = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=75,
                              num_beams=8, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.eos_token_id,
                              length_penalty=-1.0)
    expected = tokenizer.decode(best[0, ids.shape[1]:], skip_special_tokens=True).strip() or "a red cat"
    assert rewrite_prompts(originals[:1], "promptist", promptist=str(tmp_path)) == [expected]
    assert not is_enhancer("promptist")
    with pytest.raises(ValueError, match="evaluate.promptist"):
        rewrite_prompts(originals, "promptist")
