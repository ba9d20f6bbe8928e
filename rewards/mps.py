"""MPS (Kwai-Kolors, CVPR 2024): CLIP ViT-H/14 with condition-masked cross-attention, "overall" condition.

The module names mirror the released checkpoint (`model.*` = a transformers CLIPModel, `cross_model.layers.N.{0,1}.fn.*`
= the cross-attention / parallel-transformer stack), so its state_dict loads strictly.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoImageProcessor, AutoTokenizer, CLIPConfig, CLIPModel

from pav.rewards import IMAGE_BACKEND, IMAGE_FRAMES, batches, released_frames
from pav.rewards.weights import dtype_from, load_into, load_weights

CHECKPOINT_SOURCE = "https://github.com/Kwai-Kolors/MPS (MPS_overall_checkpoint.pth, converted to safetensors)"
# The "overall" preference condition of the release.
OVERALL_CONDITION = (
    "light, color, clarity, tone, style, ambiance, artistry, shape, face, hair, hands, limbs, structure, "
    "instance, texture, quantity, attributes, position, number, location, word, things."
)
CONDITION_THRESHOLD = 0.3  # text tokens less similar than this to the condition are masked out


class _Residual(nn.Module):
    def __init__(self, fn: nn.Module):
        super().__init__()
        self.fn = fn

    def forward(self, x, *args):
        return self.fn(x, *args) + x


class _SwiGLU(nn.Module):
    def forward(self, x):
        x, gate = x.chunk(2, dim=-1)
        return F.silu(gate) * x


class _Rotary(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim)))

    def forward(self, n: int) -> torch.Tensor:
        freqs = torch.outer(torch.arange(n, device=self.inv_freq.device, dtype=self.inv_freq.dtype), self.inv_freq)
        return torch.cat([freqs, freqs], dim=-1)


def _rotate(t: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    first, second = t.chunk(2, dim=-1)
    return t * pos.cos() + torch.cat([-second, first], dim=-1) * pos.sin()


class _CrossAttention(nn.Module):
    """Image tokens attend to text tokens (multi-query: one key/value head), with a parallel SwiGLU feed-forward."""

    def __init__(self, dim: int, heads: int, dim_head: int, ff_mult: int):
        super().__init__()
        self.heads, self.scale = heads, dim_head**-0.5
        self.norm = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, heads * dim_head, bias=False)
        self.to_kv = nn.Linear(dim, 2 * dim_head, bias=False)
        self.to_out = nn.Linear(heads * dim_head, dim, bias=False)
        self.ff = nn.Sequential(
            nn.Linear(dim, 2 * ff_mult * dim, bias=False), _SwiGLU(), nn.Linear(ff_mult * dim, dim, bias=False)
        )

    def forward(self, x, context, mask):
        x = self.norm(x)
        b, n, _ = x.shape
        q = self.to_q(x).view(b, n, self.heads, -1).transpose(1, 2) * self.scale
        k, v = self.to_kv(context).unsqueeze(1).chunk(2, dim=-1)
        attn = (q @ k.transpose(-1, -2) + mask.unsqueeze(1)).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, -1)
        return self.to_out(out) + self.ff(x)


class _ParallelBlock(nn.Module):
    """Self-attention (multi-query, rotary) and SwiGLU feed-forward from one fused projection."""

    def __init__(self, dim: int, heads: int, dim_head: int, ff_mult: int):
        super().__init__()
        self.heads, self.scale = heads, dim_head**-0.5
        self.split = (heads * dim_head, dim_head, dim_head, 2 * ff_mult * dim)
        self.norm = nn.LayerNorm(dim)
        self.rotary_emb = _Rotary(dim_head)
        self.fused_attn_ff_proj = nn.Linear(dim, sum(self.split), bias=False)
        self.attn_out = nn.Linear(heads * dim_head, dim, bias=False)
        self.ff_out = nn.Sequential(_SwiGLU(), nn.Linear(ff_mult * dim, dim, bias=False))

    def forward(self, x):
        x = self.norm(x)
        b, n, _ = x.shape
        q, k, v, ff = self.fused_attn_ff_proj(x).split(self.split, dim=-1)
        pos = self.rotary_emb(n).to(x.dtype)
        q = _rotate(q.view(b, n, self.heads, -1).transpose(1, 2), pos) * self.scale
        k = _rotate(k, pos).unsqueeze(1)
        attn = (q @ k.transpose(-1, -2)).softmax(dim=-1)
        out = (attn @ v.unsqueeze(1)).transpose(1, 2).reshape(b, n, -1)
        return self.attn_out(out) + self.ff_out(ff)


class CrossModel(nn.Module):
    """The MPS fusion stack: per layer, cross-attention to the text then a parallel transformer block."""

    def __init__(self, dim: int, layers: int = 4, heads: int = 16, dim_head: int = 64, ff_mult: int = 4):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList([
                _Residual(_CrossAttention(dim, heads, dim_head, ff_mult)),
                _Residual(_ParallelBlock(dim, heads, dim_head, ff_mult)),
            ])
            for _ in range(layers)
        )

    def forward(self, image_tokens, text_tokens, mask):
        for cross, block in self.layers:
            image_tokens = block(cross(image_tokens, text_tokens, mask))
        return image_tokens


class MpsModel(nn.Module):
    """CLIP (`model`) + fusion stack (`cross_model`); `forward` is the preference score of image i for text i."""

    def __init__(self, config: CLIPConfig):
        super().__init__()
        self.model = CLIPModel(config)
        self.cross_model = CrossModel(config.projection_dim)

    def text_tokens(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Projected features of every text token and of the end-of-text token."""
        out = self.model.text_model(input_ids=input_ids)
        proj = self.model.text_projection
        return proj(out.last_hidden_state), proj(out.pooler_output)

    def forward(self, pixel_values, input_ids, condition_ids) -> torch.Tensor:
        text_f, text_eos = self.text_tokens(input_ids)
        condition_f, _ = self.text_tokens(condition_ids)
        # Image tokens are projected without CLIP's post-layernorm, as in the release.
        image_f = self.model.visual_projection(self.model.vision_model(pixel_values=pixel_values).last_hidden_state)
        # Keep the text tokens that resemble some condition token; normalised per sample so that batching
        # does not change a score (the release normalises by the batch max and scores one prompt at a time).
        sim = torch.einsum("bid,bjd->bji", text_f, condition_f).amax(dim=1)
        sim = sim / sim.amax(dim=1, keepdim=True)
        mask = torch.zeros_like(sim).masked_fill(sim <= CONDITION_THRESHOLD, float("-inf"))
        mask = mask[:, None, :].expand(-1, image_f.shape[1], -1)
        image = F.normalize(self.cross_model(image_f, text_f, mask)[:, 0, :], dim=-1)
        text = F.normalize(text_eos, dim=-1)
        return self.model.logit_scale.exp() * (image * text).sum(dim=-1)


class Mps:
    """MPS "overall" preference of 4 uniformly sampled frames against the original prompt, averaged."""

    name = "mps"
    dimensions = ("preference",)

    def __init__(
        self,
        checkpoint: str,
        clip_model: str = "laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
        torch_dtype: str = "bf16",
        device: str = "cuda",
        batch_size: int = 4,
    ):
        self.device, self.batch_size = device, batch_size
        # Only the config, tokenizer and image processor come from the CLIP id: the checkpoint holds all weights.
        self.processor = AutoImageProcessor.from_pretrained(clip_model, backend=IMAGE_BACKEND)
        self.tokenizer = AutoTokenizer.from_pretrained(clip_model)
        self.model = MpsModel(CLIPConfig.from_pretrained(clip_model))
        state = load_weights(checkpoint, "mps checkpoint", CHECKPOINT_SOURCE)
        # Checkpoints saved by older transformers carry the position-id buffers; they are constants.
        state = {k: v for k, v in state.items() if not k.endswith("embeddings.position_ids")}
        load_into(self.model, state, checkpoint)
        self.model.to(device, dtype_from(torch_dtype)).eval()
        self.condition = self._tokenize([OVERALL_CONDITION])

    def _tokenize(self, texts: list[str]) -> torch.Tensor:
        # Padded to the full context as in the release: the padding tokens take part in the masked cross-attention.
        return self.tokenizer(
            texts, padding="max_length", max_length=self.tokenizer.model_max_length, truncation=True,
            return_tensors="pt",
        ).input_ids.to(self.device)

    @torch.no_grad()
    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for chunk, texts in batches(videos, prompts, self.batch_size):
            frames = [f for v in chunk for f in released_frames(v, IMAGE_FRAMES)]
            pixels = self.processor(images=frames, return_tensors="pt")["pixel_values"]
            ids = self._tokenize(texts).repeat_interleave(IMAGE_FRAMES, dim=0)
            scores = self.model(
                pixels.to(self.device, self.model.model.dtype), ids, self.condition.expand(len(ids), -1)
            )
            out += [{"preference": float(s)} for s in scores.float().view(len(chunk), IMAGE_FRAMES).mean(dim=1)]
        return out
