"""Text-to-video with a diffusers pipeline (CogVideoX 2b/5b, Wan 2.1, LTX-Video, ...) by hub id or local path."""

from __future__ import annotations

import inspect
from typing import Any, Iterator, Sequence

import diffusers
import numpy as np
import torch

from pav.data.precision import torch_dtype as to_torch_dtype
from pav.models.generators import Video
from pav.models.text_limit import TextLimit

# Shapes that pipeline families render as asked (diffusers 0.42: Wan and LTX round the frame count silently, their
# check_inputs reject other sizes): class-name prefix -> (frames are k*n + 1 for this k, height and width multiple).
SHAPE_RULES: dict[str, tuple[int, int]] = {"Wan": (4, 16), "LTX": (8, 32), "HunyuanVideo15": (4, 16)}


class DiffusersVideo:
    """One pipeline per worker process; prompts are batched with one seeded generator per prompt."""

    name = "diffusers"

    def __init__(
        self,
        model: str,
        pipeline: str | None = None,
        torch_dtype: str = "bf16",
        device: str = "cuda",
        num_frames: int = 49,
        height: int = 480,
        width: int = 720,
        num_inference_steps: int = 50,
        guidance_scale: float = 6.0,
        fps: float = 8.0,
        batch_size: int = 1,
        negative_prompt: str = "",
        enable_model_cpu_offload: bool = False,
        enable_vae_tiling: bool = False,
        call_kwargs: dict[str, Any] | None = None,
        component_dtypes: dict[str, str] | None = None,
        scheduler: dict[str, Any] | None = None,
    ):
        """component_dtypes: precision of single components over torch_dtype, e.g. {"vae": "fp32"} (Wan decodes
        better in fp32). scheduler: settings over the checkpoint's scheduler config, e.g. {"flow_shift": 3.0}
        (Wan: 3.0 at 480p, 5.0 at 720p); "class" names another diffusers scheduler class."""
        dtype = to_torch_dtype(torch_dtype)
        for option, value in [("num_frames", num_frames), ("height", height), ("width", width),
                              ("num_inference_steps", num_inference_steps), ("batch_size", batch_size), ("fps", fps)]:
            if value <= 0:
                raise ValueError(f"{option} must be positive, got {value}")
        self.options = dict(
            model=model, pipeline=pipeline, torch_dtype=torch_dtype, num_frames=num_frames, height=height,
            width=width, num_inference_steps=num_inference_steps, guidance_scale=guidance_scale, fps=fps,
            negative_prompt=negative_prompt, enable_vae_tiling=enable_vae_tiling, call_kwargs=call_kwargs or {},
            component_dtypes=component_dtypes or {}, scheduler=scheduler or {},
        )
        self.device, self.batch_size = device, batch_size
        check_shape(pipeline_class_name(model, pipeline), num_frames, height, width)  # before loading gigabytes
        self.pipe = _pipeline_class(pipeline).from_pretrained(model, dtype=dtype)
        self.pipe.set_progress_bar_config(disable=True)
        check_shape(type(self.pipe).__name__, num_frames, height, width)
        for name, component_dtype in (component_dtypes or {}).items():
            component = getattr(self.pipe, name, None)
            if not isinstance(component, torch.nn.Module):
                raise ValueError(f"component_dtypes: {type(self.pipe).__name__} has no model component {name!r}")
            component.to(to_torch_dtype(component_dtype))
        if scheduler:
            self.pipe.scheduler = rebuilt_scheduler(self.pipe.scheduler, dict(scheduler))
        self.accepted = call_parameters(type(self.pipe))
        if self.accepted is not None and "guidance_scale" not in self.accepted and "guider" in self.pipe.components:
            # HunyuanVideo-1.5 and modular pipelines take guidance from their guider, not from the call
            self.pipe.register_modules(guider=self.pipe.guider.new(guidance_scale=guidance_scale))
        if enable_model_cpu_offload:
            self.pipe.enable_model_cpu_offload(device=device)
        else:
            self.pipe.to(device)
        if enable_vae_tiling:
            self.pipe.vae.enable_tiling()

    @classmethod
    def text_limit(cls, options: dict[str, Any]) -> TextLimit | None:
        """What the pipeline's text encoder reads: its call's `max_sequence_length` (the option in call_kwargs,
        else the pipeline's default: CogVideoX 226, LTX 128, Wan 512), in tokens of the model's tokenizer/. None
        where the pipeline has no such limit or its class cannot be read here."""
        class_name = pipeline_class_name(options.get("model", ""), options.get("pipeline"))
        pipeline = getattr(diffusers, class_name, None) if class_name else None
        if pipeline is None:
            return None
        declared = inspect.signature(pipeline.__call__).parameters.get("max_sequence_length")
        tokens = (options.get("call_kwargs") or {}).get("max_sequence_length") or (
            declared.default if declared is not None and isinstance(declared.default, int) else None)
        return TextLimit(tokens, f"{options['model']}::tokenizer") if tokens else None

    def settings(self) -> dict[str, Any]:
        """Everything that changes the pixels (not device, batch size or offloading)."""
        return dict(self.options)

    @torch.no_grad()
    def generate(self, prompts: Sequence[str], seeds: Sequence[int]) -> list[Video]:
        o = self.options
        call = dict(negative_prompt=o["negative_prompt"], num_frames=o["num_frames"], height=o["height"],
                    width=o["width"], num_inference_steps=o["num_inference_steps"], guidance_scale=o["guidance_scale"])
        return [Video(frames=(clip * 255).round().clip(0, 255).astype(np.uint8), fps=o["fps"])
                for out in pipeline_batches(self.pipe, prompts, seeds, self.batch_size, call, self.accepted,
                                            o["call_kwargs"])
                for clip in np.asarray(out.frames)]


def pipeline_batches(pipe: Any, prompts: Sequence[str], seeds: Sequence[int], batch_size: int, call: dict[str, Any],
                     accepted: set[str] | None, call_kwargs: dict[str, Any]) -> Iterator[Any]:
    """The pipeline's output for each batch of prompts, with one seeded CPU generator per prompt (the same seed gives
    the same initial noise on any device and in any batch), passing only the arguments of `call` the pipeline takes
    (`accepted`, None: any); an empty negative prompt is none."""
    if len(prompts) != len(seeds):
        raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
    call = {k: v for k, v in call.items() if accepted is None or k in accepted}
    negative = call.pop("negative_prompt", None)
    for start in range(0, len(prompts), batch_size):
        batch = list(prompts[start:start + batch_size])
        generators = [torch.Generator("cpu").manual_seed(int(s)) for s in seeds[start:start + batch_size]]
        yield pipe(prompt=batch, generator=generators, output_type="np", **call, **call_kwargs,
                   **({"negative_prompt": [negative] * len(batch)} if negative else {}))


def check_shape(class_name: str | None, num_frames: int, height: int, width: int) -> None:
    """One clear error where the pipeline family would round the frame count or reject the size."""
    rule = next((r for prefix, r in SHAPE_RULES.items() if class_name and class_name.startswith(prefix)), None)
    if rule is None:
        return
    k, multiple = rule
    if (num_frames - 1) % k:
        fit = (num_frames - 1) // k * k + 1
        raise ValueError(f"{class_name} renders {k}n+1 frames; num_frames={num_frames} would silently become {fit} "
                         f"(set num_frames to {fit} or {fit + k})")
    if height % multiple or width % multiple:
        raise ValueError(f"{class_name} needs height and width divisible by {multiple}, got {height}x{width}")


def pipeline_class_name(model: str, pipeline: str | None) -> str | None:
    """The pipeline class a model will load as, from its model_index.json where that is at hand."""
    if pipeline:
        return pipeline
    try:
        return diffusers.DiffusionPipeline.load_config(model).get("_class_name")
    except Exception:  # not reachable here: from_pretrained says why, and the class is checked after loading
        return None


def rebuilt_scheduler(current: Any, settings: dict[str, Any]) -> Any:
    """The pipeline's scheduler rebuilt from its config with `settings` over it (of class settings["class"])."""
    name = settings.pop("class", None)
    cls = getattr(diffusers, name, None) if name else type(current)
    if not isinstance(cls, type) or not hasattr(cls, "from_config"):
        raise ValueError(f"scheduler: {name!r} is not a diffusers scheduler class (e.g. UniPCMultistepScheduler)")
    unknown = set(settings) - set(inspect.signature(cls.__init__).parameters)
    if unknown:
        raise ValueError(f"scheduler: {cls.__name__} takes no {', '.join(sorted(unknown))}")
    return cls.from_config(current.config, **settings)


def call_parameters(cls: type) -> set[str] | None:
    """The keyword arguments a pipeline's __call__ takes (None: it takes any)."""
    params = inspect.signature(cls.__call__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    return set(params)


def _pipeline_class(name: str | None) -> type[diffusers.DiffusionPipeline]:
    """diffusers.<name>, or DiffusionPipeline (which reads the class from model_index.json) when None."""
    if name is None:
        return diffusers.DiffusionPipeline
    cls = getattr(diffusers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, diffusers.DiffusionPipeline)):
        raise ValueError(f"pipeline {name!r} is not a diffusers pipeline class (e.g. CogVideoXPipeline, WanPipeline)")
    return cls
