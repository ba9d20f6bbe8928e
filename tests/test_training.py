"""SFT and DPO of the enhancer on a tiny Llama: masking, learning, iterative rounds, saved artifacts."""

import logging
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from pav.models.enhancer import Enhancer, chat_messages, instruction_of
from pav.models.llm import generate_chat, load_chat_model
from pav.models.training import (
    DPOSettings,
    LoraSettings,
    SFTSettings,
    sft_trainer,
    train_dpo,
    train_sft,
)
from tiny_models import ENHANCER_STYLE, enhancer_pairs, tiny_chat_model, trained_tiny_enhancer, vbench_prompts

LORA = LoraSettings(r=8, alpha=16, dropout=0.0, modules_to_save=["lm_head"])  # random-init head must learn too


def triplets(n: int = 16) -> pd.DataFrame:
    prompts = vbench_prompts()[:n]
    return pd.DataFrame({"prompt": prompts, "chosen": [f"{p}, {ENHANCER_STYLE}" for p in prompts],
                         "rejected": [f"{p}, blurry low quality shaky footage" for p in prompts]})


def overlap(reply: str, target: str) -> float:
    """Fraction of the target's words that the reply contains."""
    target_words = target.lower().replace(",", " ").split()
    reply_words = set(reply.lower().replace(",", " ").split())
    return sum(w in reply_words for w in target_words) / len(target_words)


def completion_logprob(model, tokenizer, prompt: str, completion: str, instruction: str = "booster") -> float:
    """Summed log-probability of the assistant turn given the enhancer chat."""
    messages = chat_messages(prompt, instruction)
    context = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": completion}], tokenize=False)
    context_len = len(tokenizer(context, add_special_tokens=False)["input_ids"])
    ids = torch.tensor([tokenizer(full, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        logprobs = model(ids).logits[0, :-1].log_softmax(-1)
    targets = ids[0, 1:]
    return logprobs[torch.arange(len(targets)), targets][context_len - 1:].sum().item()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tiny_chat_model(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="module")
def sft_settings() -> SFTSettings:
    return SFTSettings(max_steps=30, learning_rate=5e-3, batch_size=8, max_length=256, lora=LORA)


@pytest.fixture(scope="module")
def sft_model(base, sft_settings, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sft") / "sft"
    return out, train_sft(enhancer_pairs(), base, out, sft_settings, card={"pairs": "runs/x/pairs.parquet"})


def test_sft_loss_is_on_the_assistant_turn_only(base, sft_settings, tmp_path):
    data = enhancer_pairs(2)
    trainer = sft_trainer(data, base, sft_settings, tmp_path)
    tokenizer = trainer.processing_class
    row = trainer.train_dataset[0]
    rendered_prompt = tokenizer.apply_chat_template(chat_messages(data.prompt[0]), add_generation_prompt=True,
                                                    tokenize=False)
    prompt_ids = tokenizer(rendered_prompt, add_special_tokens=False)["input_ids"]
    labels, input_ids = row["labels"], row["input_ids"]
    assert input_ids[:len(prompt_ids)] == prompt_ids
    assert set(labels[:len(prompt_ids)]) == {-100}  # the instruction and the original prompt are masked
    assert labels[len(prompt_ids):] == input_ids[len(prompt_ids):]
    trained_text = tokenizer.decode(input_ids[len(prompt_ids):])
    assert trained_text.startswith(data.completion[0] + "<|im_end|>")


def test_sft_learns_the_targets_and_saves_adapter_and_merged(base, sft_model):
    out, metrics = sft_model
    assert metrics["steps"] == 30
    assert metrics["loss_last"] < metrics["loss_first"] - 1.0
    data = enhancer_pairs(4)
    conversations = [chat_messages(p) for p in data.prompt]
    before = generate_chat(*load_chat_model(base), conversations, temperature=0, max_new_tokens=24)
    after = generate_chat(*load_chat_model(out / "merged"), conversations, temperature=0, max_new_tokens=24)
    before_overlap = sum(overlap(r[0], t) for r, t in zip(before, data.completion))
    after_overlap = sum(overlap(r[0], t) for r, t in zip(after, data.completion))
    assert after_overlap > before_overlap + 1.0
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert (out / "merged" / "model.safetensors").is_file()
    card = (out / "merged" / "README.md").read_text()
    assert "runs/x/pairs.parquet" in card and str(base.resolve()) in card
    assert not any(p.name.endswith(".partial") for p in out.parent.iterdir())


def test_sft_is_deterministic_for_a_seed_and_says_each_step(base, tmp_path, caplog):
    settings = SFTSettings(max_steps=2, learning_rate=5e-3, batch_size=4, max_length=256, lora=LORA, seed=3,
                           logging_steps=1)
    with caplog.at_level(logging.INFO, logger="pav.progress"):
        train_sft(enhancer_pairs(8), base, tmp_path / "a", settings)
    steps = [r.getMessage() for r in caplog.records if r.name == "pav.progress"]
    assert [m.split(",")[0] for m in steps] == ["sft step 1/2", "sft step 2/2"]  # for the status line
    assert re.fullmatch(r"sft step 2/2, loss \d+\.\d{3}, ETA 0:00", steps[-1])
    train_sft(enhancer_pairs(8), base, tmp_path / "b", settings)
    a = load_file(tmp_path / "a" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "b" / "adapter" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_training_rejects_bad_data(base, sft_settings, tmp_path):
    with pytest.raises(ValueError, match="completion"):
        train_sft(pd.DataFrame({"prompt": ["a cat"]}), base, tmp_path / "x", sft_settings)
    with pytest.raises(ValueError, match="rejected"):
        train_dpo(pd.DataFrame({"prompt": ["a"], "chosen": ["b"], "rejected": ["  "]}), base, tmp_path / "y",
                  DPOSettings(lora=LORA))


def test_iterative_dpo_prefers_chosen_and_round_two_starts_from_round_one(sft_model, tmp_path):
    policy = sft_model[0] / "merged"
    data = triplets(8)
    settings = DPOSettings(max_steps=6, learning_rate=5e-3, batch_size=4, max_length=256, beta=0.1, lora=LORA)

    def margin(model_dir: Path) -> float:
        model, tokenizer = load_chat_model(model_dir)
        return sum(completion_logprob(model, tokenizer, p, c) - completion_logprob(model, tokenizer, p, r)
                   for p, c, r in zip(data.prompt, data.chosen, data.rejected))

    round1 = train_dpo(data, policy, tmp_path / "dpo1", settings, card={"round": 1})
    assert {"rewards/accuracies", "rewards/margins", "loss"} <= set(round1["log"][0])
    assert round1["rewards/margins_last"] > round1["rewards/margins_first"]
    assert round1["rewards/accuracies_last"] > 0.5
    assert margin(tmp_path / "dpo1" / "merged") > margin(policy) + 1.0

    round2 = train_dpo(data, tmp_path / "dpo1" / "merged", tmp_path / "dpo2", settings, card={"round": 2})
    # The reference of round 2 is round 1's merged model: before the first update policy == reference.
    assert round2["log"][0]["rewards/margins"] == pytest.approx(0.0, abs=1e-4)
    assert margin(tmp_path / "dpo2" / "merged") > margin(tmp_path / "dpo1" / "merged")


def test_an_sft_term_keeps_the_chosen_likely_while_dpo_still_separates(sft_model, tmp_path):
    policy = sft_model[0] / "merged"
    data = triplets(8)
    plain = DPOSettings(max_steps=6, learning_rate=5e-3, batch_size=4, max_length=256, beta=0.1, lora=LORA, sft_weight=0.0)

    def chosen_logprob(model_dir: Path) -> float:
        model, tokenizer = load_chat_model(model_dir)
        return sum(completion_logprob(model, tokenizer, p, c) for p, c in zip(data.prompt, data.chosen))

    train_dpo(data, policy, tmp_path / "plain", plain)
    with_sft = train_dpo(data, policy, tmp_path / "rpo", plain.model_copy(update={"sft_weight": 1.0}))
    assert with_sft["rewards/accuracies_last"] > 0.5
    # Summed over 8 chosen answers: the NLL term keeps them far more likely than plain DPO does.
    rpo, dpo = chosen_logprob(tmp_path / "rpo" / "merged"), chosen_logprob(tmp_path / "plain" / "merged")
    assert rpo > dpo + 20  # measured here: -240 against -324


def test_prompts_longer_than_max_length_are_a_clear_error(base, tmp_path):
    settings = SFTSettings(max_steps=1, batch_size=2, max_length=32, lora=LORA)  # the instruction alone is longer
    with pytest.raises(ValueError, match="max_length=32"):
        train_sft(enhancer_pairs(2), base, tmp_path / "short", settings)


def test_dpo_candidates_lead_with_the_greedy_rewrite_that_evaluation_sees(tmp_path):
    from pav.config import SamplingConfig
    from pav.data.store import Store
    from pav.models.enhancer import Enhancer
    from pav.tasks.train import sample

    store = Store(tmp_path / "run")
    # put_dir moves a directory: move a copy, the session's tiny enhancer is shared with other modules
    model = store.put_dir(shutil.copytree(trained_tiny_enhancer(), tmp_path / "sft-tiny"), "models/sft-tiny")
    texts = vbench_prompts()[20:24]
    prompts = store.write_table("prompts", "dpo/prompts", "four", pd.DataFrame(
        {"prompt_id": [f"p{i}" for i in range(4)], "prompt": texts, "source": "test"}))
    sampling = SamplingConfig(candidates=3, temperature=1.5, max_new_tokens=24)
    greedy = Enhancer.from_pretrained(store.local_dir(model.path) / "merged").enhance(
        texts, temperature=0, max_new_tokens=24, no_repeat_ngram_size=sampling.no_repeat_ngram)

    led = sample(model, prompts, [], sampling, 1, "dpo/round-1").read()
    plain = sample(model, prompts, [], sampling.model_copy(update={"greedy_candidate": False}), 1, "dpo/round-1").read()
    for frame in (led, plain):
        assert frame.groupby("prompt_id").size().tolist() == [3] * 4
    assert led.groupby("prompt_id", sort=False)["prompt"].first().tolist() == greedy
    assert led["operator"].tolist() == ["dpo-1/greedy", "dpo-1/sampled", "dpo-1/sampled"] * 4  # DPO's filter reads it
    assert set(plain["operator"]) == {"dpo-1/sampled"}
    assert plain.groupby("prompt_id", sort=False)["prompt"].first().tolist() != greedy  # hot samples differ


def test_the_instruction_a_model_was_trained_with_goes_with_it(base, tmp_path):
    # short: one system line instead of the booster's ~140 tokens in every chat; the next DPO round, evaluation
    # and serving must chat the way the model was trained
    data = enhancer_pairs(8)
    settings = SFTSettings(max_steps=8, learning_rate=5e-3, batch_size=4, max_length=256, lora=LORA, instruction="short")
    train_sft(data, base, tmp_path / "sft", settings)
    assert instruction_of(tmp_path / "sft" / "merged") == instruction_of(tmp_path / "sft" / "adapter") == "short"
    model, tokenizer = load_chat_model(tmp_path / "sft" / "merged")
    short = [completion_logprob(model, tokenizer, p, c, "short") for p, c in zip(data.prompt, data.completion)]
    booster = [completion_logprob(model, tokenizer, p, c) for p, c in zip(data.prompt, data.completion)]
    assert sum(short) > sum(booster)  # it learnt the targets under the chat it was trained with
    dpo = DPOSettings(max_steps=2, learning_rate=5e-3, batch_size=4, max_length=256, lora=LORA)
    train_dpo(triplets(4), tmp_path / "sft" / "merged", tmp_path / "dpo", dpo)
    assert instruction_of(tmp_path / "dpo" / "merged") == "short"
    assert Enhancer.from_pretrained(tmp_path / "dpo" / "merged").instruction == "short"
    assert instruction_of(base) == "booster"  # a model nobody trained here: the paper's instruction
    lengths = {name: len(tokenizer(tokenizer.apply_chat_template(chat_messages("a cat", name), add_generation_prompt=True,
                                                                 tokenize=False))["input_ids"])
               for name in ("booster", "short")}
    assert lengths["short"] < lengths["booster"] / 2, lengths


def test_a_small_lora_update_survives_the_merge_of_a_bf16_policy(base, caplog):
    """DPO at the paper's lr moves a weight by ~1e-5, below bf16's spacing near |w| = 0.02: merged in bf16 the update
    rounds away, so the saved policy is the old one. merge_in_fp32 keeps it, and says a bf16 load would lose it."""
    from peft import LoraConfig, get_peft_model
    from pav.models.training import merge_in_fp32

    def adapted():
        torch.manual_seed(0)
        model, _ = load_chat_model(base, dtype="bf16")
        peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=4, target_modules=["q_proj"], lora_dropout=0.0))
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                torch.nn.init.constant_(param, 1e-5)  # a small update: |B A x| ~ 1e-5
        return peft_model

    policy, _ = load_chat_model(base, dtype="bf16")
    old = policy.model.layers[0].self_attn.q_proj.weight.float()
    weights = old.numel()

    naive = adapted().merge_and_unload()  # the old way: the merge happens in the weights' bf16
    lost = naive.model.layers[0].self_attn.q_proj.weight.float()
    assert (lost != old).sum().item() < 0.2 * weights  # most of the update rounded away

    with caplog.at_level(logging.WARNING, logger="pav.models.training"):
        merged = merge_in_fp32(adapted(), "bf16")
    kept = merged.model.layers[0].self_attn.q_proj.weight
    assert kept.dtype == torch.float32
    delta = kept - old
    assert (delta != 0).float().mean().item() > 0.99  # every weight moved
    assert delta.abs().max().item() < 1e-3 and delta.abs().mean().item() > 1e-7
    assert "a load in bf16 would round" in caplog.text
