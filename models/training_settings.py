"""Training settings (the fields of TRL's configs this project sets), kept free of heavy imports so that
configuration and the CLI load fast. Defaults suit the embedded default (SmolLM2-135M, LoRA, CPU): few
pairs, so a high LoRA learning rate; GPU profiles set the paper's values."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pav.data.precision import PRECISIONS

Precision = Literal[PRECISIONS]  # type: ignore[valid-type]


class LoraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, description="LoRA rank")
    alpha: int = Field(32, ge=1, description="LoRA scaling numerator (scale = alpha / r)")
    dropout: float = Field(0.05, ge=0, lt=1, description="dropout on the LoRA input")
    target_modules: str | list[str] = Field("all-linear", description="modules that get a LoRA ('all-linear' = every linear but the head)")
    modules_to_save: list[str] | None = Field(None, description="modules trained in full, e.g. ['lm_head'] for a random-init base")


class TrainerSettings(BaseModel):
    """What SFT and DPO share; each sets its own defaults below."""

    model_config = ConfigDict(extra="forbid")

    dtype: Precision = Field("fp32", description="weights and compute: fp32 (CPU), bf16 on a GPU (the LoRA is merged "
                                                 "and saved in fp32); training uses a GPU when one is visible")
    gradient_checkpointing: bool = Field(False, description="recompute activations: less GPU memory, slower steps")
    epochs: float = Field(3.0, gt=0, description="passes over the data (ignored when max_steps > 0)")
    max_steps: int = Field(-1, description="optimizer steps; -1 trains for `epochs`")
    learning_rate: float = Field(1e-3, gt=0, description="peak learning rate (linear decay)")
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="share of the steps spent warming the learning rate up")
    batch_size: int = Field(4, ge=1, description="rows per device step")
    grad_accum: int = Field(1, ge=1, description="device steps per optimizer step")
    max_length: int = Field(256, ge=16, description="tokens per chat (prompt + answer); longer ones are truncated")
    lora: LoraSettings = Field(default_factory=LoraSettings)
    seed: int = Field(0, description="seed for LoRA init, shuffling and dropout")
    logging_steps: int = Field(1, ge=1, description="optimizer steps between logged metrics")


INSTRUCTION_NAMES = ("booster", "short", "short-image")  # models/enhancer.py: INSTRUCTIONS


class SFTSettings(TrainerSettings):
    """LoRA SFT on (original, target) pairs (the defaults suit SmolLM2-135M on the CPU)."""

    instruction: Literal[INSTRUCTION_NAMES] = Field(  # type: ignore[valid-type]
        "booster", description="what every chat of the enhancer says before the prompt: booster (the paper's, "
                               "~140 tokens), short (one line, ~30: training and sampling several times cheaper) or "
                               "short-image (the same line for an image model); "
                               "DPO rounds, evaluation and serving use the one the model was trained with")


class DPOSettings(TrainerSettings):
    """One round of DPO on (prompt, chosen, rejected) triplets; the policy is also the frozen reference."""

    beta: float = Field(0.1, gt=0, description="DPO temperature: how far the policy may move from the reference")
    epochs: float = Field(2.0, gt=0, description="passes over the triplets (ignored when max_steps > 0)")
    # 5e-4 (with the NLL term below) for SmolLM2's LoRA: at 5e-5 its ~18 steps a round left the greedy rewrite
    # where SFT put it (sim-steady SFT/DPO-1/DPO-2 18.99/19.08/18.92; at 5e-4: 18.99/19.09/21.09).
    learning_rate: float = Field(5e-4, gt=0, description="peak learning rate (linear decay)")
    loss_type: Literal["sigmoid", "sigmoid_norm"] = Field(
        "sigmoid", description="sigmoid: DPO on summed log-ratios (the paper); sigmoid_norm: on per-token averages, "
                               "so a longer answer is not preferred for its length (raise beta: it scales an average)")
    # SmolLM2 in the demo: overall 19.63 with the NLL term, 19.47 without (changelog.md).
    sft_weight: float = Field(1.0, ge=0, description="weight of a negative log-likelihood term on the chosen beside "
                                                     "the DPO loss (RPO): keeps the chosen likely, so the policy does "
                                                     "not drift into text neither answer holds; 0 = plain DPO")
    ld_alpha: float | None = Field(None, ge=0, le=1, description="LD-DPO: weight of the tokens past the shorter "
                                                                 "answer's length (1 = plain DPO, 0 = ignore them); "
                                                                 "lower values stop rewarding length itself")
