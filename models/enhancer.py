"""The prompt enhancer: a chat LLM that rewrites a short video prompt into a detailed one."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from pav.models.decoding import SharedPrefix
from pav.models.llm import generate_chat, load_chat_model
from pav.models.training_settings import INSTRUCTION_NAMES

log = logging.getLogger(__name__)

# The task instruction of the official Prompt-A-Video booster (booster/inference/inference.py): one user
# turn holding the instruction, the original prompt and a "New prompt:" cue; used for training and inference.
TASK_INSTRUCTION = (
    "You need to refine user's input prompt. The user's input prompt is used for video generation task. "
    "You need to refine the user's prompt to make it more suitable for the task.\n"
    "You will be prompted by people looking to create detailed, amazing videos. The way to accomplish this is "
    "to take their short prompts and make them extremely detailed and descriptive. You will only ever output "
    "a single video description per user request.\n"
    "You should refactor the entire description to integrate the suggestions. Original prompt:\n"
)
SHORT_INSTRUCTION = ("Rewrite the user's video prompt for a text-to-video model: keep everything it says and "
                     "add details that fit it. Reply with the new prompt only.")
# One system line per short instruction: for video models, and for image models (the paper's text-to-image row).
SYSTEM_LINES = {"short": SHORT_INSTRUCTION,
                "short-image": SHORT_INSTRUCTION.replace("video prompt for a text-to-video", "image prompt for a "
                                                         "text-to-image")}
INSTRUCTIONS = INSTRUCTION_NAMES  # booster: the official one, in the user turn; short: a system line
INSTRUCTION_FILE = "enhancer.json"  # in a trained model's dir: the instruction its chats start with
REPEAT_NGRAM = 3
MAX_REPEATED_NGRAM_FRACTION = 0.5


def chat_messages(prompt: str, instruction: str = "booster") -> list[dict[str, str]]:
    """The enhancer's chat for one original prompt, identical at training and inference."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"prompt to enhance is empty: {prompt!r}")
    if instruction in SYSTEM_LINES:  # as the system turn, so the chat template adds no default system text either
        return [{"role": "system", "content": SYSTEM_LINES[instruction]}, {"role": "user", "content": prompt.strip()}]
    if instruction != "booster":
        raise ValueError(f"unknown enhancer instruction {instruction!r}; valid: {', '.join(INSTRUCTIONS)}")
    return [{"role": "user", "content": f"{TASK_INSTRUCTION}{prompt.strip()}\nNew prompt:"}]


def instruction_of(model_dir: str | Path) -> str:
    """The instruction a trained enhancer's chats start with (recorded at training); booster for any other model."""
    recorded = Path(model_dir) / INSTRUCTION_FILE
    if not recorded.is_file():
        return "booster"
    name = json.loads(recorded.read_text())["instruction"]
    if name not in INSTRUCTIONS:
        raise ValueError(f"{recorded}: unknown instruction {name!r}; valid: {', '.join(INSTRUCTIONS)}")
    return name


def record_instruction(model_dir: str | Path, instruction: str) -> None:
    (Path(model_dir) / INSTRUCTION_FILE).write_text(json.dumps({"instruction": instruction}) + "\n")


def is_degenerate(text: str) -> bool:
    """Empty, or a loop: more than half of its word trigrams are repeats of earlier ones."""
    words = text.lower().split()
    if not words:
        return True
    ngrams = [tuple(words[i:i + REPEAT_NGRAM]) for i in range(len(words) - REPEAT_NGRAM + 1)]
    if len(ngrams) < 2:
        return False
    return 1 - len(set(ngrams)) / len(ngrams) > MAX_REPEATED_NGRAM_FRACTION


# Off: banning a rewrite's own 4-grams made the 135M enhancer swerve into garbled words where it meant to say
# a phrase twice ("soft window light, soft windowdresses"); a phrase said twice is dropped after decoding instead
# (drop_repeated_phrases) and a loop with nothing else in it falls back to the original (is_degenerate).
NO_REPEAT_NGRAM = 0
_PHRASE_BREAK = re.compile(r"(\s*[,;]\s*)")
_WORD = re.compile(r"[a-z0-9']+")


def _in_order_within(words: list[str], earlier: list[str]) -> bool:
    """Whether words appear in earlier in the same order (gaps allowed): "soft golden light" in "soft golden
    hour light", but not "a cat chasing a dog" in "a dog chasing a cat"."""
    remaining = iter(earlier)
    return all(any(w == e for e in remaining) for w in words)


def drop_repeated_phrases(text: str) -> str:
    """Drop each comma- or semicolon-separated phrase that says nothing an earlier one did not.

    A 135M enhancer stacks short phrases ("oil painting, oil painting", "rich, dark, rich, rich", "soft golden
    hour light, soft golden light") and, stopped by the token limit inside a repeat, ends on a piece of one
    ("soft fur, soft fu"). A phrase goes when its words appear, in order, within one earlier phrase, and a last
    phrase goes when it is the start of an earlier one; so no word of the rewrite is lost and the first phrase,
    which holds the user's original, always stays.
    """
    parts = _PHRASE_BREAK.split(text)
    kept, earlier = [parts[0]], [_WORD.findall(parts[0].lower())]
    for separator, phrase in zip(parts[1::2], parts[2::2]):
        words = _WORD.findall(phrase.lower())
        cut_repeat = phrase is parts[-1] and words and any(
            " ".join(e).startswith(" ".join(words)) for e in earlier[1:])
        if words and (cut_repeat or any(_in_order_within(words, e) for e in earlier)):
            ending = re.search(r"[.!?]+\s*$", phrase)  # the rewrite's closing full stop stays
            if ending and phrase is parts[-1]:
                kept.append(ending.group().strip())
            continue
        kept += [separator, phrase]
        earlier.append(words)
    return "".join(kept)


def enhancer_dir(model_dir: str | Path) -> Path:
    """The weights directory of an enhancer given as a `pav train` model directory or its merged/ (or an adapter
    directory); a ValueError names a directory that holds none."""
    path = Path(model_dir)
    path = path / "merged" if (path / "merged").is_dir() else path
    if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
        raise ValueError(f"{model_dir} is not a model directory (no merged/, config.json or adapter_config.json)")
    return path


class Enhancer:
    """Batched prompt enhancement with a chat model; degenerate rewrites fall back to the original, and a
    phrase said twice is said once."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, instruction: str = "booster"):
        self.model = model
        self.tokenizer = tokenizer
        self.instruction = instruction
        # Every chat starts with the task instruction: learn its tokens from two unlike prompts, so that a
        # single request (pav serve) reuses the instruction's keys and values too.
        self.shared_prefix = SharedPrefix(model)
        probes = [tokenizer.apply_chat_template(chat_messages(p, instruction), add_generation_prompt=True,
                                                tokenize=False)
                  for p in ("a cat", "Zebras run")]
        self.shared_prefix.learn([tokenizer(text, add_special_tokens=False)["input_ids"] for text in probes])

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", dtype: str = "fp32",
                        instruction: str | None = None) -> Enhancer:
        """Load merged weights or a LoRA adapter dir (on top of its base), with the instruction it was trained
        with (or `instruction`); dtype fp32, bf16 or fp16."""
        return cls(*load_chat_model(path, device, dtype), instruction=instruction or instruction_of(path))

    def enhance(
        self,
        prompts: list[str],
        num_return_sequences: int = 1,
        temperature: float = 0.7,
        top_p: float = 0.9,
        max_new_tokens: int = 200,
        seed: int = 0,
        batch_size: int = 8,
        top_k: int = 0,
        no_repeat_ngram_size: int = NO_REPEAT_NGRAM,
    ) -> list[str] | list[list[str]]:
        """One rewrite per prompt (a list of num_return_sequences rewrites when it is above 1)."""
        conversations = [chat_messages(p, self.instruction) for p in prompts]
        replies = generate_chat(self.model, self.tokenizer, conversations, num_return_sequences=num_return_sequences,
                                temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed,
                                batch_size=batch_size, no_repeat_ngram_size=no_repeat_ngram_size, top_k=top_k,
                                shared_prefix=self.shared_prefix)
        results = [[self._checked(prompt, r) for r in rewrites] for prompt, rewrites in zip(prompts, replies)]
        return [r[0] for r in results] if num_return_sequences == 1 else results

    def candidates(self, prompts: list[str], n: int, greedy_first: bool, seed: int = 0, **decoding) -> list[list[str]]:
        """`n` rewrites of each prompt to choose among (DPO's samples): sampled with `decoding`, and with
        `greedy_first` the first is the greedy rewrite users get, so a preference moves what they see."""
        drawn = n - greedy_first
        sampled = self.enhance(prompts, num_return_sequences=drawn, seed=seed, **decoding)
        sampled = [[s] for s in sampled] if drawn == 1 else sampled
        if not greedy_first:
            return sampled
        fixed = {k: v for k, v in decoding.items() if k in ("max_new_tokens", "no_repeat_ngram_size")}
        return [[greedy, *texts] for greedy, texts in zip(self.enhance(prompts, temperature=0, **fixed), sampled)]

    @staticmethod
    def _checked(prompt: str, rewrite: str) -> str:
        rewrite = drop_repeated_phrases(rewrite)  # first: a list said twice is a rewrite said once, not a loop
        if is_degenerate(rewrite):
            log.warning("degenerate enhancement %r for prompt %r: keeping the original", rewrite[:80], prompt)
            return prompt.strip()
        return rewrite
