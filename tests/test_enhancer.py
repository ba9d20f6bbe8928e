"""The enhancer on tiny models: batching, sampling shape, stopping, cleanup, fallbacks, both save formats."""

import logging
from pathlib import Path

import pytest
import torch

from pav.models.enhancer import TASK_INSTRUCTION, Enhancer, chat_messages, drop_repeated_phrases, is_degenerate
from pav.models.decoding import SharedPrefix, decode
from pav.models.llm import clean_reply, generate_chat, load_chat_model, stop_token_ids
from tiny_models import ENHANCER_STYLE, tiny_chat_model, trained_tiny_enhancer, vbench_prompts

PROMPTS = ["a cat", "In a still frame, a stop sign", "a person is riding a bike along a quiet river road at dusk"]


@pytest.fixture(scope="module")
def run_dir() -> Path:
    return trained_tiny_enhancer()


@pytest.fixture(scope="module")
def enhancer(run_dir) -> Enhancer:
    return Enhancer.from_pretrained(run_dir / "merged")


def test_batched_greedy_equals_one_by_one_with_left_padding(enhancer):
    model, tokenizer = enhancer.model, enhancer.tokenizer
    conversations = [chat_messages(p) for p in PROMPTS]  # different lengths: the batch needs padding
    batched = generate_chat(model, tokenizer, conversations, temperature=0, max_new_tokens=24, batch_size=3)
    single = [generate_chat(model, tokenizer, [c], temperature=0, max_new_tokens=24)[0] for c in conversations]
    assert batched == single
    assert enhancer.enhance(PROMPTS, temperature=0, max_new_tokens=24) == [
        enhancer.enhance([p], temperature=0, max_new_tokens=24)[0] for p in PROMPTS]


def _rows(tokenizer, prompts):
    texts = [tokenizer.apply_chat_template(chat_messages(p), add_generation_prompt=True, tokenize=False)
             for p in prompts]
    return [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]


def test_shared_instruction_prefix_is_learned_and_computes_what_a_full_prefill_does(enhancer):
    model, tokenizer = enhancer.model, enhancer.tokenizer
    rows = _rows(tokenizer, PROMPTS)
    n = enhancer.shared_prefix.match(rows)
    instruction = len(tokenizer(TASK_INSTRUCTION, add_special_tokens=False)["input_ids"])
    assert n >= instruction  # the whole instruction, learned when the enhancer was built
    assert all(r[:n] == rows[0][:n] for r in rows) and rows[0][n:] != rows[1][n:]
    # The next-token logits of a [prefix][padding][own tokens] row equal an unpadded full prefill (fp32 noise).
    cache = enhancer.shared_prefix.cache_for(rows, n)
    width = max(len(r) for r in rows) - n
    ids = torch.tensor([r[:n] + [tokenizer.pad_token_id] * (width - len(r) + n) + r[n:] for r in rows])
    mask = torch.tensor([[1] * n + [0] * (width - len(r) + n) + [1] * (len(r) - n) for r in rows])
    with torch.no_grad():
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)[:, n:]
        reused = model(input_ids=ids[:, n:], attention_mask=mask, position_ids=position_ids, cache=cache).logits[:, -1]
        for i, row in enumerate(rows):
            full = model(input_ids=torch.tensor([row])).logits[0, -1]
            torch.testing.assert_close(reused[i], full, atol=1e-4, rtol=1e-4)


def test_greedy_replies_are_the_same_with_and_without_the_shared_prefix(enhancer):
    model, tokenizer = enhancer.model, enhancer.tokenizer
    conversations = [chat_messages(p) for p in PROMPTS]
    unshared = SharedPrefix(model)
    unshared.MIN_TOKENS = 10 ** 6  # never long enough: every row prefills its own instruction
    without = generate_chat(model, tokenizer, conversations, temperature=0, max_new_tokens=24, shared_prefix=unshared)
    with_prefix = generate_chat(model, tokenizer, conversations, temperature=0, max_new_tokens=24,
                                shared_prefix=enhancer.shared_prefix)
    assert unshared.match(_rows(tokenizer, PROMPTS)) == 0
    assert with_prefix == without


def test_decode_matches_hf_generate_greedy_and_drops_stopped_rows(enhancer):
    """The reference is transformers' own generate on the same left-padded batch."""
    model, tokenizer = enhancer.model, enhancer.tokenizer
    rows = _rows(tokenizer, PROMPTS + ["a dog"])
    width = max(len(r) for r in rows)
    ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    stops = stop_token_ids(tokenizer)
    ours = decode(model, ids, mask, stops, max_new_tokens=30)
    theirs = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=30, do_sample=False,
                            eos_token_id=stops, pad_token_id=tokenizer.pad_token_id)[:, width:].tolist()
    for mine, reference in zip(ours, theirs):
        first_stop = next((i for i, t in enumerate(reference) if t in stops), len(reference))
        assert mine == reference[:first_stop]
    assert len({len(t) for t in ours}) > 1  # rows stopped at different steps, so some left the batch early


def test_generation_stops_at_the_end_of_turn_and_strips_scaffolding(enhancer):
    reply = enhancer.enhance([vbench_prompts()[0]], temperature=0, max_new_tokens=60)[0]
    # Trained to end with the style then <|im_end|>: without the stop it would run on into another turn.
    assert reply.endswith(ENHANCER_STYLE)
    assert "<|" not in reply and not reply.lower().startswith(("assistant", "new prompt"))


def test_clean_reply_strips_roles_markers_and_quotes():
    raw = '<|im_start|>assistant\nNew prompt: "A red fox  runs\nthrough snow."<|im_end|>\n<|im_start|>user\nnext'
    assert clean_reply(raw) == "A red fox runs through snow."
    assert clean_reply("Assistant: 'a cat on a mat'") == "a cat on a mat"
    assert clean_reply("assistants carry trays") == "assistants carry trays"


def test_sampling_returns_n_per_prompt_and_is_deterministic_for_a_seed(enhancer):
    first = enhancer.enhance(PROMPTS[:2], num_return_sequences=5, temperature=1.0, max_new_tokens=16, seed=7)
    again = enhancer.enhance(PROMPTS[:2], num_return_sequences=5, temperature=1.0, max_new_tokens=16, seed=7)
    other = enhancer.enhance(PROMPTS[:2], num_return_sequences=5, temperature=1.0, max_new_tokens=16, seed=8)
    assert [len(r) for r in first] == [5, 5] and all(isinstance(t, str) and t for r in first for t in r)
    assert first == again
    assert first != other


def test_empty_prompt_is_rejected(enhancer):
    with pytest.raises(ValueError, match="empty"):
        enhancer.enhance(["a dog", "   "])
    with pytest.raises(ValueError, match="empty"):
        chat_messages("")


def test_is_degenerate():
    assert is_degenerate("")
    assert is_degenerate("cat the cat the cat the cat the cat the cat the")
    assert not is_degenerate("a cat")
    assert not is_degenerate("A golden retriever runs along a sunny beach, waves rolling in behind it.")


@pytest.mark.parametrize("rewrite, expected", [
    ("a cat on a mat, oil painting, oil painting", "a cat on a mat, oil painting"),
    ("A tranquil restaurant, rich, dark, rich, rich, soft light", "A tranquil restaurant, rich, dark, soft light"),
    ("a fox, soft golden hour light, soft golden light, bright", "a fox, soft golden hour light, bright"),
    ("a cat, Oil Painting; oil painting.", "a cat, Oil Painting."),  # case-blind, and the full stop stays
    ("a black cat jumping onto a windowsill, a black cat", "a black cat jumping onto a windowsill"),
    ("a cat, soft fur, warm lamplight, soft window light, soft wi", "a cat, soft fur, warm lamplight, soft window light"),
    ("a cat, soft fur, warm lamplight, soft window light, soft windo.", "a cat, soft fur, warm lamplight, soft window light."),
    # Kept: a phrase that adds a word or says the words in another order, and the first phrase always.
    ("a dog chasing a cat, a cat chasing a dog", "a dog chasing a cat, a cat chasing a dog"),
    ("a cat, a cat, highly detailed environment, highly detailed surroundings",
     "a cat, highly detailed environment, highly detailed surroundings"),
    ("two dogs, three dogs", "two dogs, three dogs"),
    ("A cat sleeps. The sun sets, warm light, and the cat wakes.", "A cat sleeps. The sun sets, warm light, and the cat wakes."),
])
def test_a_phrase_said_twice_is_said_once(rewrite, expected):
    assert drop_repeated_phrases(rewrite) == expected
    assert Enhancer._checked("a cat", rewrite) == expected  # what every rewrite the enhancer returns goes through


def _looping_model(tmp_path: Path) -> Enhancer:
    """A model that can only say " cat" or " the": its head reads one hidden unit and has two live rows."""
    model, tokenizer = load_chat_model(tiny_chat_model(tmp_path / "looping"))
    cat, the = (tokenizer.encode(w, add_special_tokens=False)[0] for w in (" cat", " the"))
    with torch.no_grad():
        model.model.norm.weight.zero_()
        model.model.norm.weight[0] = 1.0
        model.lm_head.weight.zero_()
        model.lm_head.weight[cat, 0] = 10.0
        model.lm_head.weight[the, 0] = -10.0
    return Enhancer(model, tokenizer)


def test_degenerate_output_falls_back_to_the_original_with_a_warning(tmp_path, caplog):
    looping = _looping_model(tmp_path)
    raw = generate_chat(looping.model, looping.tokenizer, [chat_messages("a dog")], temperature=0, max_new_tokens=30)
    assert set(raw[0][0].split()) <= {"cat", "the"} and is_degenerate(raw[0][0])
    with caplog.at_level(logging.WARNING, logger="pav.models.enhancer"):
        assert looping.enhance(["a dog"], temperature=0, max_new_tokens=30) == ["a dog"]
    assert "degenerate" in caplog.text


def test_empty_output_falls_back_to_the_original(tmp_path, caplog):
    silent = _looping_model(tmp_path)
    with torch.no_grad():
        silent.model.lm_head.weight.zero_()  # all logits equal: greedy picks token 0, a special token
    with caplog.at_level(logging.WARNING, logger="pav.models.enhancer"):
        assert silent.enhance(["a dog"], temperature=0, max_new_tokens=5) == ["a dog"]
    assert "degenerate" in caplog.text


def test_adapter_dir_and_merged_dir_give_the_same_enhancer(run_dir, enhancer):
    from_adapter = Enhancer.from_pretrained(run_dir / "adapter")
    assert from_adapter.enhance(PROMPTS, temperature=0, max_new_tokens=24) == enhancer.enhance(
        PROMPTS, temperature=0, max_new_tokens=24)
