"""Tiny chat models for tests, built locally: a byte-level BPE tokenizer and a 2-layer Llama."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from pav.models.enhancer import TASK_INSTRUCTION
from pav.models.training import LoraSettings, SFTSettings, train_sft

VBENCH = Path(__file__).resolve().parent.parent / "data" / "vbench"
# Token 0 is a special token, so a model whose logits are all equal decodes to nothing.
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def vbench_prompts(name: str = "all_dimension.txt") -> list[str]:
    """The non-empty lines of a VBench prompt file."""
    return [line.strip() for line in (VBENCH / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus() -> list[str]:
    """VBench prompts, their GPT-enhanced versions, the enhancer's instruction and the operators' answer tags."""
    return (TASK_INSTRUCTION.splitlines() * 20 + ["<PROMPT>a prompt</PROMPT>"] * 50 + vbench_prompts()
            + vbench_prompts("all_dimension_gpt_enhanced.txt"))


@functools.cache
def _trained_tokenizer_json(vocab_size: int) -> str:
    # Trained once per test session: several test modules build tiny models.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus(), trainer=trainer)
    return tok.to_str()


def tiny_tokenizer(vocab_size: int = 1024) -> PreTrainedTokenizerFast:
    """A ChatML tokenizer whose end-of-turn token <|im_end|> is also its eos."""
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_trained_tokenizer_json(vocab_size)),
        bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<pad>", unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_chat_model(out_dir: Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """A randomly initialised Llama chat model with the tiny tokenizer, saved as safetensors."""
    tokenizer = tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
        num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
        max_position_embeddings=1024, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


ENHANCER_STYLE = "cinematic lighting, slow camera pan"


def enhancer_pairs(n: int = 16) -> pd.DataFrame:
    """SFT pairs whose targets all end in the same style suffix: quick for a tiny model to learn."""
    prompts = vbench_prompts()[:n]
    return pd.DataFrame({"prompt": prompts, "completion": [f"{p}, {ENHANCER_STYLE}" for p in prompts]})


@functools.cache
def trained_tiny_enhancer() -> Path:
    """A tiny model SFT-trained on enhancer_pairs (once per test session); returns the run dir (adapter/, merged/)."""
    root = Path(tempfile.mkdtemp(prefix="pav-tiny-enhancer-"))
    atexit.register(shutil.rmtree, root, True)
    settings = SFTSettings(max_steps=40, learning_rate=5e-3, batch_size=8, max_length=256,
                           lora=LoraSettings(r=8, alpha=16, dropout=0.0, modules_to_save=["lm_head"]))
    train_sft(enhancer_pairs(), tiny_chat_model(root / "base"), root / "sft", settings)
    return root / "sft"
