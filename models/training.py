"""SFT and DPO of the enhancer with TRL and a PEFT LoRA: configure the trainers, call them, save adapter + merged."""

from __future__ import annotations

import json
import logging
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from datasets import Dataset
from peft import LoraConfig
from peft.tuners.lora import LoraLayer
from pydantic import BaseModel
from transformers import PrinterCallback, TrainerCallback
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

from pav.models.enhancer import chat_messages, instruction_of, record_instruction
from pav.data.precision import torch_dtype
from pav.models.llm import load_chat_model, report_progress
from pav.models.training_settings import DPOSettings, LoraSettings, SFTSettings

log = logging.getLogger(__name__)


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")
    if frame.empty:
        raise ValueError(f"{what} is empty")
    for column in columns:
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise ValueError(f"{what} column {column!r} is empty in row(s) {list(frame.index[blank][:5])}")


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text.strip()}]


def sft_dataset(pairs: pd.DataFrame, instruction: str = "booster") -> Dataset:
    """prompt/completion pairs as TRL conversational prompt-completion rows."""
    _require_columns(pairs, ("prompt", "completion"), "SFT pairs")
    return Dataset.from_list([{"prompt": chat_messages(p, instruction), "completion": _assistant(c)}
                              for p, c in zip(pairs["prompt"], pairs["completion"])])


def dpo_dataset(triplets: pd.DataFrame, instruction: str = "booster") -> Dataset:
    """prompt/chosen/rejected texts as TRL conversational preference rows."""
    _require_columns(triplets, ("prompt", "chosen", "rejected"), "DPO triplets")
    return Dataset.from_list([{"prompt": chat_messages(p, instruction), "chosen": _assistant(c), "rejected": _assistant(r)}
                              for p, c, r in zip(triplets["prompt"], triplets["chosen"], triplets["rejected"])])


def _lora(settings: LoraSettings) -> LoraConfig:
    return LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=settings.target_modules, modules_to_save=settings.modules_to_save,
                      task_type="CAUSAL_LM")


def _common_args(settings: SFTSettings | DPOSettings, scratch: Path) -> dict[str, Any]:
    on_gpu = torch.cuda.is_available()
    return dict(
        output_dir=str(scratch), num_train_epochs=settings.epochs, max_steps=settings.max_steps,
        learning_rate=settings.learning_rate, warmup_steps=settings.warmup_ratio,  # a float in [0, 1) is a share of the steps
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum, max_length=settings.max_length,
        logging_steps=settings.logging_steps, seed=settings.seed, data_seed=settings.seed,
        bf16=on_gpu and settings.dtype == "bf16", fp16=on_gpu and settings.dtype == "fp16", use_cpu=not on_gpu,
        activation_checkpointing=settings.gradient_checkpointing, save_strategy="no",
        report_to="none", disable_tqdm=True, dataloader_num_workers=0,
    )


def sft_trainer(pairs: pd.DataFrame, base: Path, settings: SFTSettings, scratch: Path) -> SFTTrainer:
    """An SFTTrainer with a fresh LoRA on base; loss on the assistant turn only."""
    model, tokenizer = load_chat_model(base, dtype=settings.dtype)
    args = SFTConfig(**_common_args(settings, scratch), completion_only_loss=True)
    return SFTTrainer(model=model, args=args, train_dataset=sft_dataset(pairs, settings.instruction),
                      processing_class=tokenizer,
                      peft_config=_lora(settings.lora))


def dpo_trainer(triplets: pd.DataFrame, policy: Path, settings: DPOSettings, scratch: Path) -> DPOTrainer:
    """A DPOTrainer with a fresh LoRA on policy; the adapter-disabled policy is the reference."""
    model, tokenizer = load_chat_model(policy, dtype=settings.dtype)
    losses = (dict(loss_type=[settings.loss_type, "sft"], loss_weights=[1.0, settings.sft_weight])
              if settings.sft_weight else dict(loss_type=[settings.loss_type]))
    args = DPOConfig(**_common_args(settings, scratch), beta=settings.beta, ld_alpha=settings.ld_alpha, **losses)
    return DPOTrainer(model=model, ref_model=None, args=args,
                      train_dataset=dpo_dataset(triplets, instruction_of(policy)), processing_class=tokenizer,
                      peft_config=_lora(settings.lora))


def train_sft(pairs: pd.DataFrame, base: Path, out_dir: Path, settings: SFTSettings,
              card: dict | None = None) -> dict:
    """Supervised fine-tuning on (prompt, completion); saves out_dir/adapter and out_dir/merged."""
    return _train("sft", lambda scratch: sft_trainer(pairs, Path(base), settings, scratch),
                  Path(base), Path(out_dir), settings, card or {}, len(pairs), settings.instruction)


def train_dpo(triplets: pd.DataFrame, policy: Path, out_dir: Path, settings: DPOSettings,
              card: dict | None = None) -> dict:
    """One DPO round on (prompt, chosen, rejected) against the frozen policy; saves adapter and merged."""
    return _train("dpo", lambda scratch: dpo_trainer(triplets, Path(policy), settings, scratch),
                  Path(policy), Path(out_dir), settings, card or {}, len(triplets), instruction_of(policy))


class _StepProgress(TrainerCallback):
    """Each optimizer step's count, last logged loss and ETA, for the status line (pav/progress.py)."""

    def __init__(self, method: str):
        self.method, self.started = method, time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        losses = [entry["loss"] for entry in state.log_history if "loss" in entry]
        report_progress(f"{self.method} step", state.global_step, state.max_steps, self.started,
                        f"loss {losses[-1]:.3f}" if losses else "")


def _train(method: str, build, base: Path, out_dir: Path, settings: SFTSettings | DPOSettings, card: dict,
           rows: int, instruction: str) -> dict:
    # Written to a staging dir and renamed, so a killed run never leaves a half-saved model in out_dir.
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    started = time.perf_counter()
    with warnings.catch_warnings():
        # transformers' own deprecation, raised inside PEFT/TRL's gradient checkpointing, not by our code
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        trainer = build(staging / "scratch")
        trainer.remove_callback(PrinterCallback)  # a dict per logging step on stdout; the log history keeps them
        trainer.add_callback(_StepProgress(method))
        kept = len(trainer.train_dataset)  # TRL drops rows whose answer is cut off entirely by max_length
        if kept == 0:
            raise ValueError(f"{method}: every row's prompt fills max_length={settings.max_length}; "
                             "raise max_length")
        if kept < rows:
            log.warning("%s: %d of %d rows dropped: their prompt fills max_length=%d", method, rows - kept, rows,
                        settings.max_length)
        trainer.train()
    metrics = _metrics(trainer.state.log_history, trainer.state.global_step, time.perf_counter() - started)
    tokenizer = trainer.processing_class
    model = trainer.model
    model.save_pretrained(staging / "adapter")
    tokenizer.save_pretrained(staging / "adapter")
    merged = merge_in_fp32(model, settings.dtype)
    merged.save_pretrained(staging / "merged")
    tokenizer.save_pretrained(staging / "merged")
    for saved in ("adapter", "merged"):  # the next round, evaluation and serving chat the way it was trained
        record_instruction(staging / saved, instruction)
    _write_card(staging / "merged" / "README.md", method, base, settings, metrics, card)
    shutil.rmtree(staging / "scratch", ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return metrics


def merge_in_fp32(model, trained_dtype: str):
    """The LoRA merged into its base in fp32, and kept fp32: an update below the spacing of a bf16 weight (about
    1.2e-4 near |w| = 0.02; DPO at lr 5e-6 moves weights by 1e-6 to 1e-5) would round away in a bf16 merge, losing
    what the round learned (the paper's release merges in fp32 too). Where training ran in a lower precision, logs
    how much of the update a load in it would keep, so a user sees when to sample and train in fp32."""
    model = model.to(torch.float32)
    if trained_dtype != "fp32":
        _warn_if_rounded_away(model, trained_dtype)
    return model.merge_and_unload()


@torch.no_grad()
def _warn_if_rounded_away(model, dtype: str) -> None:
    """Count, one layer at a time (no copy of the whole model), the weights the update changes and those it still
    changes once both sides are rounded to `dtype`; warn when fewer than half survive."""
    low = torch_dtype(dtype, "dtype")
    moved = kept = 0
    for layer in model.modules():
        if not isinstance(layer, LoraLayer):
            continue
        weight = layer.get_base_layer().weight
        for name in layer.active_adapters:
            if name in layer.lora_A:
                updated = weight + layer.get_delta_weight(name)
                changed = updated.ne(weight)
                moved += int(changed.sum())
                kept += int((changed & updated.to(low).ne(weight.to(low))).sum())
    if moved and kept < moved / 2:
        log.warning("merged in fp32; a load in %s would round %.0f%% of the changed weights back to the policy's: "
                    "sample and train the next round in fp32 to keep the update", dtype,
                    100 * (1 - kept / moved))


def _metrics(log_history: list[dict], steps: int, seconds: float) -> dict:
    """Per-step logs plus first/last of each logged quantity."""
    logs = [{k: v for k, v in entry.items() if isinstance(v, (int, float))}
            for entry in log_history if "loss" in entry]
    metrics: dict[str, Any] = {"steps": steps, "seconds": round(seconds, 3), "log": logs}
    for key in ("loss", "rewards/accuracies", "rewards/margins", "rewards/chosen", "rewards/rejected"):
        values = [entry[key] for entry in logs if key in entry]
        if values:
            metrics[f"{key}_first"], metrics[f"{key}_last"] = values[0], values[-1]
    return metrics


def _write_card(path: Path, method: str, base: Path, settings: BaseModel, metrics: dict, card: dict) -> None:
    summary = {k: v for k, v in metrics.items() if k != "log"}
    path.write_text(
        f"# Prompt enhancer ({method.upper()}, LoRA merged)\n\n"
        f"- base: `{base}`\n- steps: {metrics['steps']}\n\n"
        f"## Metrics\n\n```json\n{json.dumps(summary, indent=2)}\n```\n\n"
        f"## Settings\n\n```json\n{settings.model_dump_json(indent=2)}\n```\n\n"
        f"## Lineage\n\n```json\n{json.dumps(card, indent=2, default=str)}\n```\n",
        encoding="utf-8",
    )
