"""Promptist (Hao et al., 2023; microsoft/Promptist): a GPT-2 tuned with RL to rewrite Stable Diffusion prompts,
the image rewriter the paper compares against. Decoded as its released demo does: the prompt followed by
" Rephrase:", beam search of 8 with length penalty -1, at most 75 new tokens, the best beam's continuation."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

CUE = " Rephrase:"


@torch.no_grad()
def promptist_rewrites(originals: list[str], model: str, device: str = "cpu", max_new_tokens: int = 75) -> list[str]:
    """Promptist's rewrite of each original (`model`: microsoft/Promptist or a local copy of it)."""
    tokenizer = AutoTokenizer.from_pretrained(model)
    lm = AutoModelForCausalLM.from_pretrained(model).to(device).eval()
    eos = tokenizer.eos_token_id
    out = []
    for original in originals:  # one at a time, as released: beams of prompts of different lengths never mix
        text = original.strip() + CUE
        ids = tokenizer(text, return_tensors="pt").input_ids.to(device)
        beams = lm.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=max_new_tokens,
                            num_beams=8, num_return_sequences=1, eos_token_id=eos, pad_token_id=eos,
                            length_penalty=-1.0)
        rewrite = tokenizer.decode(beams[0, ids.shape[1]:], skip_special_tokens=True).strip()
        out.append(rewrite or original)
    return out
