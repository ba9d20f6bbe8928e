"""HPSv2 (v2.1; Wu et al., 2023): an open_clip ViT-H/14 fine-tuned on human preferences between generated images.
As its released scorer (hpsv2/img_score.py): image and prompt embeddings L2-normalised, score = their cosine
(no logit scale; about 0.20-0.32 on real images). The release is open_clip; here its checkpoint is read into
transformers' CLIPModel, whose ViT-H/14 is the same network (the key map is below; a tiny released open_clip model
checks it in the tests). An image is scored as it is; a video's 4 released frames are averaged."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from transformers import AutoImageProcessor, AutoTokenizer, CLIPConfig, CLIPModel

from pav.rewards import IMAGE_BACKEND, batches
from pav.rewards.clip_scores import mean_cosines
from pav.rewards.weights import dtype_from, load_into, load_weights

CHECKPOINT_SOURCE = "https://huggingface.co/xswu/HPSv2 (HPS_v2.1_compressed.pt)"
CLIP = "laion/CLIP-ViT-H-14-laion2B-s32B-b79K"  # the architecture, tokenizer and processor HPSv2 was trained from

# open_clip name -> transformers CLIPModel name, for everything but the fused attention projections.
_TOWERS = {"visual.transformer.resblocks.": "vision_model.encoder.layers.", "transformer.resblocks.":
           "text_model.encoder.layers."}
_BLOCK = {"ln_1.": "layer_norm1.", "ln_2.": "layer_norm2.", "mlp.c_fc.": "mlp.fc1.", "mlp.c_proj.": "mlp.fc2.",
          "attn.out_proj.": "self_attn.out_proj."}
_NAMES = {"visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
          "visual.class_embedding": "vision_model.embeddings.class_embedding",
          "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
          "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight", "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
          "visual.ln_post.weight": "vision_model.post_layernorm.weight",
          "visual.ln_post.bias": "vision_model.post_layernorm.bias",
          "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
          "positional_embedding": "text_model.embeddings.position_embedding.weight",
          "ln_final.weight": "text_model.final_layer_norm.weight", "ln_final.bias": "text_model.final_layer_norm.bias",
          "logit_scale": "logit_scale"}


def open_clip_to_transformers(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An open_clip ViT CLIP state_dict (HPSv2's; under "state_dict" as released) as CLIPModel's."""
    state = state.get("state_dict", state)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    out = {}
    for key, value in state.items():
        if key == "attn_mask":
            continue  # the causal mask, a constant CLIPModel builds itself
        if key in _NAMES:
            out[_NAMES[key]] = value
        elif key in ("visual.proj", "text_projection"):  # x @ proj in open_clip, a Linear (proj transposed) here
            out["visual_projection.weight" if key == "visual.proj" else "text_projection.weight"] = value.T.contiguous()
        else:
            tower = next((t for t in _TOWERS if key.startswith(t)), None)
            if tower is None:
                out[key] = value  # unknown: load_into names it
                continue
            layer, _, rest = key.removeprefix(tower).partition(".")
            prefix = f"{_TOWERS[tower]}{layer}."
            if rest.startswith("attn.in_proj_"):  # q, k and v fused in open_clip (nn.MultiheadAttention)
                kind = rest.removeprefix("attn.in_proj_")
                for name, part in zip(("q_proj", "k_proj", "v_proj"), value.chunk(3, dim=0)):
                    out[f"{prefix}self_attn.{name}.{kind}"] = part.contiguous()
            else:
                block = next((b for b in _BLOCK if rest.startswith(b)), None)
                out[prefix + (_BLOCK[block] + rest.removeprefix(block) if block else rest)] = value
    return out


class Hpsv2:
    """hps of each image (or video, its frames averaged) against its original prompt."""

    name = "hpsv2"
    dimensions = ("hps",)

    def __init__(self, checkpoint: str, clip_model: str = CLIP, torch_dtype: str = "fp32", device: str = "cuda",
                 batch_size: int = 8):
        self.device, self.batch_size = device, batch_size
        # Only the config, tokenizer and image processor come from the CLIP id: the checkpoint holds all weights.
        self.processor = AutoImageProcessor.from_pretrained(clip_model, backend=IMAGE_BACKEND)
        self.tokenizer = AutoTokenizer.from_pretrained(clip_model)
        self.model = CLIPModel(CLIPConfig.from_pretrained(clip_model))
        state = open_clip_to_transformers(load_weights(checkpoint, "hpsv2 checkpoint", CHECKPOINT_SOURCE))
        load_into(self.model, state, checkpoint)
        self.model.to(device, dtype_from(torch_dtype)).eval()

    def text_features(self, texts: list[str]) -> torch.Tensor:
        """open_clip's text embedding: the full context (77 tokens), the final state at the highest token id (the
        end-of-text token; the causal mask keeps the padding after it out), projected. Pooled here, not by the
        config's eos_token_id, so any CLIP config gives open_clip's rule."""
        context = self.model.config.text_config.max_position_embeddings
        ids = self.tokenizer(texts, padding="max_length", truncation=True, max_length=context,
                             return_tensors="pt").input_ids.to(self.device)
        states = self.model.text_model(input_ids=ids).last_hidden_state
        return self.model.text_projection(states[torch.arange(len(ids), device=states.device), ids.argmax(dim=-1)])

    @torch.no_grad()
    def score(self, videos: Sequence[np.ndarray], prompts: Sequence[str]) -> list[dict[str, float]]:
        out = []
        for chunk, texts in batches(videos, prompts, self.batch_size):
            out += [{"hps": c} for c in mean_cosines(self.model, self.processor, chunk, self.text_features(texts))]
        return out
