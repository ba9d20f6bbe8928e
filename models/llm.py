"""Chat LLMs: loading, batched chat sampling (decoding.py decodes) and cleaning the replies of their scaffolding."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from pav.data.precision import torch_dtype
from pav.models.decoding import SharedPrefix, batch_inputs, decode

_TURN_MARKER = r"<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|</s>|<s>"
_SCAFFOLD_PREFIX = re.compile(rf"^(?:\s*(?:{_TURN_MARKER})|\s*(?:assistant|new prompt)\s*(?::|\n|$))+", re.IGNORECASE)
_QUOTES = "\"'“”‘’`"


PROGRESS = logging.getLogger("pav.progress")  # pav/progress.py shows the latest message in its status line


def report_progress(what: str, done: int, total: int, started: float, extra: str = "") -> None:
    """'sampling 40/480, ETA 2:10' (and `extra`, e.g. the loss) for the status line of a long model stage."""
    if total <= 0 or not PROGRESS.isEnabledFor(logging.INFO):
        return
    left = (time.perf_counter() - started) / max(done, 1) * (total - done)
    minutes, seconds = divmod(int(left), 60)
    PROGRESS.info("%s %d/%d%s, ETA %d:%02d", what, done, total, f", {extra}" if extra else "", minutes, seconds)


def load_chat_model(path: str | Path, device: str = "cpu",
                    dtype: str = "fp32") -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A model dir with merged weights, or a PEFT adapter dir (merged onto its recorded base), plus its tokenizer."""
    torch_type = torch_dtype(dtype, "dtype")
    path = Path(path).resolve() if Path(path).exists() else Path(path)  # adapters record their base's path
    if (path / "adapter_config.json").is_file():
        from peft import AutoPeftModelForCausalLM

        model = AutoPeftModelForCausalLM.from_pretrained(path, dtype=torch_type).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_type)
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
    top_k: int = 0,
    shared_prefix: SharedPrefix | None = None,
) -> list[list[str]]:
    """Sample replies per conversation (temperature 0 = greedy; top_k 0 = off), scaffolding stripped.

    no_repeat_ngram_size > 0 forbids the reply to repeat any of its own n-grams (0 allows it: tagged lists
    repeat their tags); repeating the prompt, and so the original, is always allowed. A batch whose chats
    start with a prefix `shared_prefix` knows (or, for two rows or more, learns) reuses its keys and values.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    torch.manual_seed(seed)
    shared_prefix = shared_prefix or SharedPrefix(model, keep=1)
    stops = stop_token_ids(tokenizer)
    replies: list[list[str]] = []
    started = time.perf_counter()
    for start in range(0, len(conversations), batch_size):
        rows = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
                for c in conversations[start:start + batch_size]]
        rows = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in rows]
        n = shared_prefix.match(rows) or shared_prefix.learn(rows)
        rows = [r for r in rows for _ in range(num_return_sequences)]  # a conversation's samples are adjacent
        batch = batch_inputs(rows, n, tokenizer.pad_token_id, model.device)
        new_tokens = decode(model, batch["input_ids"], batch["attention_mask"], stops, max_new_tokens,
                            temperature, top_p, top_k, no_repeat_ngram_size,
                            cache=shared_prefix.cache_for(rows, n) if n else None)
        decoded = [clean_reply(t) for t in tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]
        replies += [decoded[i:i + num_return_sequences] for i in range(0, len(decoded), num_return_sequences)]
        report_progress("sampling", len(replies) * num_return_sequences, len(conversations) * num_return_sequences,
                        started)
    return replies
