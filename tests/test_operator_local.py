"""The local chat-model operator on a tiny model taught one <PROMPT>-tagged answer."""

from pathlib import Path

import pytest
import torch

from pav.models.llm import load_chat_model
from pav.models.operators import MutationRequest, ScoredPrompt, load_operator
from pav.models.operators.instruction import build_messages
from tiny_models import tiny_chat_model

ANSWER = "<PROMPT>a cat, cinematic lighting</PROMPT> <PROMPT>a cat, slow camera pan</PROMPT>"


def requests(n: int = 2) -> list[MutationRequest]:
    history = [ScoredPrompt("a cat", {"vq": 2.0, "tc": 3.0}, 2.5)]
    return [MutationRequest("a cat", history, n=n, seed=1), MutationRequest("a dog running", [], n=n, seed=2)]


@pytest.fixture(scope="module")
def taught_model(tmp_path_factory) -> Path:
    """Full fine-tune of a tiny model until it answers ANSWER to the operator's chats (loss on the answer only)."""
    out = tiny_chat_model(tmp_path_factory.mktemp("operator") / "model")
    model, tokenizer = load_chat_model(out)
    model.train()
    batches = []
    for request in requests():
        messages = build_messages(request, structured=False)
        context = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
        answer_ids = tokenizer(ANSWER + "<|im_end|>", add_special_tokens=False)["input_ids"]
        ids = torch.tensor([context_ids + answer_ids])
        labels = torch.tensor([[-100] * len(context_ids) + answer_ids])
        batches.append((ids, labels))
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(120):
        ids, labels = batches[step % len(batches)]
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def operator(taught_model):
    return load_operator("local", {"model": str(taught_model), "temperature": 0.0, "max_new_tokens": 80})


def test_parses_variants_for_each_request_in_a_batch(operator):
    results = operator.mutate(requests(n=2))
    assert [r.variants for r in results] == [["a cat, cinematic lighting", "a cat, slow camera pan"]] * 2
    assert all(r.error is None and r.calls == 1 for r in results)


def test_malformed_answers_are_resampled_a_bounded_number_of_times(operator):
    results = operator.mutate(requests(n=3))  # the model always gives two variants
    assert all(r.variants == [] for r in results)
    assert all(r.calls == 3 for r in results)  # the first try plus max_malformed_retries=2
    assert all("expected 3 variants, got 2" in r.error for r in results)


def test_a_bad_request_fails_alone(operator):
    bad = MutationRequest("   ", [], n=2)
    results = operator.mutate([bad, *requests(n=2)])
    assert results[0].variants == [] and "empty" in results[0].error and results[0].calls == 0
    assert all(len(r.variants) == 2 for r in results[1:])
