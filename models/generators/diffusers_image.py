"""Text-to-image with a diffusers pipeline by hub id or local path: any AutoPipelineForText2Image checkpoint (SD 1.5,
SDXL, SD3, FLUX, ...). An image is a video of one frame, so every stage treats it alike (the store keeps it as PNG)."""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import diffusers
import numpy as np
import torch

from pav.data.precision import torch_dtype as to_torch_dtype
from pav.models.generators import Video
from pav.models.generators.diffusers_video import (call_parameters, pipeline_batches, pipeline_class_name,
                                                   rebuilt_scheduler)
from pav.models.text_limit import TextLimit

CLIP_TOKENS = 77  # what a CLIP text encoder reads (SD 1.5, SDXL), and the pooled encoder of SD3 and FLUX


class DiffusersImage:
    """One pipeline per worker process; prompts batched with one seeded generator per prompt."""

    name = "diffusers-image"

    def __init__(self, model: str, pipeline: str | None = None, torch_dtype: str = "bf16", device: str = "cuda",
                 height: int = 512, width: int = 512, num_inference_steps: int = 30, guidance_scale: float = 7.5,
                 batch_size: int = 1, negative_prompt: str = "", enable_model_cpu_offload: bool = False,
                 call_kwargs: dict[str, Any] | None = None, scheduler: dict[str, Any] | None = None):
        """pipeline: a diffusers class name (e.g. StableDiffusionXLPipeline); empty: AutoPipelineForText2Image
        reads it from the checkpoint. scheduler: settings over the checkpoint's scheduler config."""
        for option, value in [("height", height), ("width", width), ("num_inference_steps", num_inference_steps),
                              ("batch_size", batch_size)]:
            if value <= 0:
                raise ValueError(f"{option} must be positive, got {value}")
        self.options = dict(model=model, pipeline=pipeline, torch_dtype=torch_dtype, height=height, width=width,
                            num_inference_steps=num_inference_steps, guidance_scale=guidance_scale,
                            negative_prompt=negative_prompt, call_kwargs=call_kwargs or {}, scheduler=scheduler or {})
        self.device, self.batch_size = device, batch_size
        loader = getattr(diffusers, pipeline, None) if pipeline else diffusers.AutoPipelineForText2Image
        if not (isinstance(loader, type) and hasattr(loader, "from_pretrained")):
            raise ValueError(f"pipeline {pipeline!r} is not a diffusers pipeline class (e.g. StableDiffusionPipeline)")
        self.pipe = loader.from_pretrained(model, dtype=to_torch_dtype(torch_dtype))
        self.pipe.set_progress_bar_config(disable=True)
        if getattr(self.pipe, "safety_checker", None) is not None:
            self.pipe.safety_checker = None  # it blanks images: a reward must see what the model drew
        if scheduler:
            self.pipe.scheduler = rebuilt_scheduler(self.pipe.scheduler, dict(scheduler))
        self.accepted = call_parameters(type(self.pipe))
        if enable_model_cpu_offload:
            self.pipe.enable_model_cpu_offload(device=device)
        else:
            self.pipe.to(device)

    @classmethod
    def text_limit(cls, options: dict[str, Any]) -> TextLimit | None:
        """What the pipeline's text encoder reads: its call's `max_sequence_length` where it has one (SD3 256, FLUX
        512: the T5 encoder, in tokens of tokenizer_2/), else CLIP's 77 tokens (tokenizer/)."""
        class_name = pipeline_class_name(options.get("model", ""), options.get("pipeline"))
        pipeline = getattr(diffusers, class_name, None) if class_name else None
        if pipeline is None:
            return None
        declared = inspect.signature(pipeline.__call__).parameters.get("max_sequence_length")
        if declared is None:
            return TextLimit(CLIP_TOKENS, f"{options['model']}::tokenizer")
        tokens = (options.get("call_kwargs") or {}).get("max_sequence_length") or declared.default
        return TextLimit(tokens, f"{options['model']}::tokenizer_2") if isinstance(tokens, int) else None

    def settings(self) -> dict[str, Any]:
        """Everything that changes the pixels (not device, batch size or offloading)."""
        return dict(self.options)

    @torch.no_grad()
    def generate(self, prompts: Sequence[str], seeds: Sequence[int]) -> list[Video]:
        o = self.options
        call = dict(negative_prompt=o["negative_prompt"], height=o["height"], width=o["width"],
                    num_inference_steps=o["num_inference_steps"], guidance_scale=o["guidance_scale"])
        return [Video(frames=(image[None] * 255).round().clip(0, 255).astype(np.uint8), fps=1.0)
                for out in pipeline_batches(self.pipe, prompts, seeds, self.batch_size, call, self.accepted,
                                            o["call_kwargs"])
                for image in np.asarray(out.images)]
