"""Base model resolution (SmolLM2 from its package, converted once) and the shared chat generation helper."""

import logging
from pathlib import Path

import pytest

from pav.models.base_model import SMOLLM2, cache_root, resolve_base_model
from pav.models.llm import generate_chat, load_chat_model, stop_token_ids
from tiny_models import tiny_chat_model


def test_smollm2_converts_once_then_reuses_and_chats_sensibly(caplog):
    """Slow the first time on a machine (~40 s GGUF dequantisation), a few seconds once cached."""
    with caplog.at_level(logging.INFO, logger="pav.models.base_model"):
        first = resolve_base_model(SMOLLM2)
        weights = first / "model.safetensors"
        stamp = weights.stat().st_mtime_ns
        second = resolve_base_model(SMOLLM2)
    assert second == first and first.parent == cache_root() / "models"
    assert weights.stat().st_mtime_ns == stamp
    assert caplog.text.count("converting") <= 1  # the second call never converts
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no staging dir left behind
    assert not (first / "config.json").read_text().count("gguf")  # a plain safetensors checkpoint

    model, tokenizer = load_chat_model(first)
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in stop_token_ids(tokenizer)
    question = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
    reply = generate_chat(model, tokenizer, [question], temperature=0, max_new_tokens=30)[0][0]
    assert "Paris" in reply
    assert "<|im" not in reply and not reply.lower().startswith("assistant")


def test_other_names_pass_through(tmp_path):
    assert resolve_base_model(str(tmp_path)) == tmp_path
    assert resolve_base_model("HuggingFaceTB/SmolLM2-360M-Instruct") == Path("HuggingFaceTB/SmolLM2-360M-Instruct")


def test_cache_root_prefers_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PAV_CACHE", str(tmp_path / "env"))
    assert cache_root() == tmp_path / "env"
    assert cache_root(tmp_path / "arg") == tmp_path / "arg"


def test_generate_chat_rejects_negative_temperature(tmp_path):
    model, tokenizer = load_chat_model(tiny_chat_model(tmp_path / "m"))
    with pytest.raises(ValueError, match="temperature"):
        generate_chat(model, tokenizer, [[{"role": "user", "content": "a cat"}]], temperature=-1)


def test_the_reply_may_repeat_the_prompt_but_not_itself():
    import torch
    from transformers import NoRepeatNGramLogitsProcessor

    from pav.models.decoding import NoRepeatInReply

    prompt = [5, 1, 2, 3, 9]  # holds the original: "1 2 3"
    ids = torch.tensor([prompt + [1, 2]])  # the reply has begun to repeat the original
    fresh = torch.zeros(1, 12)
    assert torch.isfinite(NoRepeatInReply(3, len(prompt))(ids, fresh.clone())).all()
    assert NoRepeatNGramLogitsProcessor(3)(ids, fresh.clone())[0, 3] == -float("inf")  # the old ban counted the prompt
    looping = torch.tensor([prompt + [7, 8, 4, 7, 8]])  # the reply repeats its own "7 8" -> 4 is banned
    scores = NoRepeatInReply(3, len(prompt))(looping, fresh.clone())
    assert scores[0, 4] == -float("inf") and torch.isfinite(scores[0, [0, 1, 2, 3, 5, 6, 7, 8, 9]]).all()


def test_the_dtype_is_chosen_by_name(tmp_path):
    import torch

    path = tiny_chat_model(tmp_path / "m")
    model, _ = load_chat_model(path, dtype="bf16")
    assert next(model.parameters()).dtype == torch.bfloat16
    with pytest.raises(ValueError, match="unknown dtype 'int3'; valid: fp32, bf16, fp16"):
        load_chat_model(path, dtype="int3")
