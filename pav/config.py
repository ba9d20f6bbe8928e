"""Run configuration: pydantic models (the Prefect UI's run forms) and YAML profiles.

This file is the one place that says what a profile contains: the defaults live on the models,
a profile (pav/profiles/NAME.yaml) sets only what differs, and unknown keys are errors. Overrides
apply in order: profile, then PAV_* environment variables, then command-line --set.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pav.data.prompts import PromptSet
from pav.models.generators import GENERATORS, text_limit
from pav.models.operators import OPERATORS
from pav.models.text_limit import TextLimit
from pav.models.training_settings import INSTRUCTION_NAMES, DPOSettings, SFTSettings
from pav.overrides import deep_merge, dotted, env_overrides
from pav.rewards import SUITES, with_own_dimensions
from pav.rewards.aggregate import AggregationConfig
from pav.rewards.evaluation import BASELINES
from pav.rewards.selection import DPOFilter
from pav.rewards.intent import IntentConfig

GeneratorName = Literal[tuple(sorted(GENERATORS))]  # type: ignore[valid-type]
OperatorName = Literal[tuple(sorted(OPERATORS))]  # type: ignore[valid-type]
SuiteName = Literal[tuple(sorted(SUITES))]  # type: ignore[valid-type]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeneratorConfig(Section):
    name: GeneratorName = Field("sim-steady", description="Target video model (registry name)")
    options: dict[str, Any] = Field(default_factory=dict, description="Backend options (model id, size, frames, ...)")
    render_batch: int = Field(16, ge=1, description="Videos handed to the generator at once; each finished batch "
                                                    "is kept before the next starts, so a lost worker loses at most one")
    token_limit: Optional[int] = Field(None, ge=1, description="Most prompt tokens the video model reads (empty: "
                                                             "what its text encoder declares); rewrites must fit")

    def text_limit(self) -> TextLimit | None:
        """What this video model's text encoder reads (its declared limit, token_limit over it); stages get it as
        an input, so their code never depends on every generator's."""
        return text_limit(self.name, self.options, self.token_limit)


class RewardConfig(Section):
    suite: SuiteName = Field("cv", description="Reward suite: cv (weight-free, a judge built for the simulated "
                                               "world), gpu (VideoScore, LAION aesthetic, MPS), http (your reward "
                                               "server: options.http.url, and its dimensions if not the seven) or "
                                               "cv-image (weight-free image judges, for an image model)")
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-reward backend options (weights paths, device, ...)")
    aggregation: AggregationConfig = Field(
        default_factory=AggregationConfig, description="Weights, normalisation and thresholds of the overall score")
    intent: IntentConfig = Field(default_factory=IntentConfig,
                                 description="The text judge: does a rewrite keep what the user asked for?")

    @model_validator(mode="before")
    @classmethod
    def _server_dimensions(cls, data):
        """A suite's own dimensions (an image suite's, a reward server's options.http.dimensions) are the
        aggregation's unless it names them."""
        return with_own_dimensions(data) if isinstance(data, dict) else data


class OperatorConfig(Section):
    name: OperatorName = Field("lexical", description="Evolution operator: lexical (LLM-free), openai, local")
    options: dict[str, Any] = Field(default_factory=dict, description="Operator options (model, base_url, ...)")
    api_key_secret: str | None = Field(
        None, description="Prefect Secret block holding the API key (else the environment variable)")


class EvolveConfig(Section):
    prompts: PromptSet = Field(default_factory=lambda: PromptSet(limit=48, stride=8), description="Source prompts")
    extra_prompts: list[PromptSet] = Field(
        default_factory=list, description="More source prompt sets evolved beside `prompts`, e.g. "
                                          "[{source: everyday}] (prompts in users' words) or your own file")
    rounds: int = Field(4, ge=0, le=20, description="Refinement rounds after scoring the originals (paper: 4)")

    @property
    def source_sets(self) -> list[PromptSet]:
        """Every prompt set the data engine evolves: `prompts`, then `extra_prompts`."""
        return [self.prompts, *self.extra_prompts]

    variants: int = Field(3, ge=1, le=10, description="Variants the operator writes per prompt and round (paper: 3)")
    top_n: int = Field(3, ge=1, le=10, description="History prompts shown to the operator (paper: top-3)")
    seed: int = Field(0, description="Video seed (the same for every candidate, so prompts are compared fairly)")
    shard_size: int = Field(16, ge=1, description="Source prompts per task")
    targets_per_prompt: int = Field(1, ge=1, le=10, description="SFT pairs per source prompt: its best distinct "
                                                                "rewrites that pass every threshold (paper: 1)")


class SamplingConfig(Section):
    candidates: int = Field(5, ge=2, le=16, description="Candidates per prompt for DPO (paper: 5)")
    greedy_candidate: bool = Field(True, description="One of the candidates is the policy's greedy rewrite, what "
                                                     "evaluation and serving decode: a chosen below it is a rejected")
    # 0.7 keeps a chosen nearer the policy's own best (sim-steady DPO-1: 19.81 at 0.7, 19.63 at 0.9; changelog.md)
    temperature: float = Field(0.7, gt=0, description="Sampling temperature for DPO candidates (lower: candidates "
                                                      "nearer the policy's greedy rewrite)")
    top_p: float = Field(0.9, gt=0, le=1, description="Nucleus sampling for DPO candidates (1 = off)")
    top_k: int = Field(0, ge=0, description="Top-k sampling for DPO candidates (0 = off; released code: 50)")
    max_new_tokens: int = Field(64, ge=8, description="Longest enhancement in tokens (also at evaluation)")
    # 0: the ban garbled the 135M enhancer's words where it meant to repeat a phrase (models/enhancer.py)
    no_repeat_ngram: int = Field(0, ge=0, description="Forbid a rewrite to repeat its own n-grams of this size "
                                                      "(0 = off; repeated phrases are dropped after decoding)")
    device: str = Field("cpu", description="Where the enhancer samples and rewrites: cpu, cuda, cuda:1, ...")
    dtype: Literal["fp32", "bf16", "fp16"] = Field("fp32", description="Enhancer precision at inference "
                                                                      "(bf16 on a GPU)")


class RoundGate(Section):
    """Whether a DPO round's policy replaces the one it started from. Not in the paper: where a round stops
    helping (DPO-1 already near what the rewards can give), the next one moves the policy by noise, and
    users should get the better of the two, so each round is checked on prompts no stage trains on."""

    enabled: bool = Field(True, description="Check each DPO round; off: every round is kept, as in the paper")
    prompts: PromptSet = Field(
        default_factory=lambda: PromptSet(offset=3, limit=32, stride=8),
        description="Validation prompts, apart from the data engine's, DPO's and the evaluation's")
    seeds: list[int] = Field(default_factory=lambda: [1, 2, 3], min_length=1,
                             description="Video seeds per validation prompt (a prompt's seeds are averaged)")
    min_z: float = Field(1.0, ge=0, description="The round is kept when its greedy rewrites gain on overall by "
                                               "more than this many standard errors (over prompts)")
    intent_tolerance: float = Field(0.02, ge=0, le=1, description="... and their mean intent falls by at most this")


class TrainConfig(Section):
    base_model: str = Field("smollm2-135m", description="Enhancer base: smollm2-135m (bundled), a local path or hub id")
    sft: SFTSettings = Field(default_factory=SFTSettings)
    dpo: DPOSettings = Field(default_factory=DPOSettings)
    dpo_rounds: int = Field(2, ge=0, le=5, description="Iterative DPO rounds (paper: 2)")
    dpo_prompts: PromptSet = Field(
        default_factory=lambda: PromptSet(offset=1, limit=96, stride=8),
        description="Prompts for DPO sampling, apart from SFT's (half to 85% yield a triplet); source everyday "
                    "takes the bundled prompts in users' words")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    dpo_aggregation: AggregationConfig = Field(
        default_factory=AggregationConfig,
        description="Weights and thresholds of the DPO filter: by default the data engine's and the evaluation's, "
                    "so DPO optimises what is measured (the released DPO weighting, dynamic degree 1.1 and "
                    "alignment 1.3, traded the other dimensions for motion here; `preset=paper` has it)")
    dpo_filter: DPOFilter = Field(default_factory=DPOFilter, description="Which scored samples become DPO "
                                  "triplets: the pair rule, the margin, drifting samples as rejecteds, a word cap")
    round_gate: RoundGate = Field(default_factory=RoundGate, description="Keep a DPO round only where its policy "
                                  "beats the previous one on validation prompts; else the next stage gets the previous")


class BestSuffixSearch(Section):
    """How the best-suffix baseline is found: phrases the data engine's evolution found useful, tried as
    constant suffixes on its own source prompts (never an evaluation or validation prompt)."""

    phrases: int = Field(8, ge=1, le=30, description="Phrases, pairs and triples of them to screen, each: those most "
                                                    "source prompts' best rewrites share")
    candidates: int = Field(24, ge=1, le=60, description="Most suffixes screened in all")
    budget_rounds: float = Field(2.0, ge=1.0, le=10.0, description="Render budget, in evolution rounds (source "
                                 "prompts x variants each): half screens, half scores finalists")
    store: str | None = Field(None, description="Run root where the data engine ran, whose newest evolution log "
                                                "the search uses (default: this run's store)")


class EvaluateConfig(Section):
    prompts: PromptSet = Field(
        default_factory=lambda: PromptSet(offset=2, limit=32, stride=8), description="Held-out benchmark prompts")
    seeds: list[int] = Field(default_factory=lambda: [1], description="Video seeds; every method gets the same")
    baselines: list[Literal[BASELINES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["best-suffix", "booster", "gpt4-upsampler", "wan-extender", "base-llm"],
        description="Baselines to compare (best-suffix needs the data engine's evolution log in the store)")
    booster: str = Field("high quality, highly detailed, cinematic lighting, 4k",
                         description="The booster baseline: phrases users append to every prompt by hand")
    promptist: str | None = Field(None, description="Promptist's checkpoint (microsoft/Promptist or a local copy), "
                                                    "for the promptist baseline: the image rewriter the paper beats")
    base_llm_instruction: Literal[INSTRUCTION_NAMES] = Field(  # type: ignore[valid-type]
        "booster", description="What the untuned LLM baseline (base-llm) is told: booster (the paper's video "
                               "instruction), short, or short-image for an image model")
    best_suffix: BestSuffixSearch = Field(default_factory=BestSuffixSearch,
                                          description="The search for the best constant suffix")
    bootstrap: int = Field(1000, ge=100, description="Bootstrap resamples for the 95% intervals")

    @model_validator(mode="after")
    def _promptist_has_a_checkpoint(self):
        """The promptist baseline needs its checkpoint before any stage runs, not after the others have."""
        if "promptist" in self.baselines and not self.promptist:
            raise ValueError("the promptist baseline needs evaluate.promptist: microsoft/Promptist or a local copy")
        return self


class RunConfig(Section):
    """Everything a run needs; the resolved config is saved beside its artifacts."""

    profile: str = Field("demo", description="Profile this config was built from")
    store: str = Field("runs/demo", description="Run root: a local path or an fsspec URL (s3://, gs://, memory://)")
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    rewards: RewardConfig = Field(default_factory=RewardConfig)
    operator: OperatorConfig = Field(default_factory=OperatorConfig)
    evolve: EvolveConfig = Field(default_factory=EvolveConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    dispatch: Literal["in-process", "deployments"] = Field(
        "in-process", description="Run the GPU work (render + score of each shard, sampling, rewriting, training) "
                                  "here one unit after another, or fan it out as concurrent flow runs over the gpu "
                                  "pool (needs `pav deploy` and `pav worker --pool gpu --gpus ...`)")
    gpu_crash_retries: int = Field(2, ge=0, le=10, description="Fan-out: a gpu run that crashed (its worker died) "
                                                               "is submitted again this many times")
    gpu_start_timeout_s: float = Field(3600, gt=0, description="Fan-out: fail when no gpu worker starts a run "
                                                               "within this many seconds")
    gpu_run_timeout_s: float = Field(0, ge=0, description="Fan-out: cancel a gpu run still running after this many "
                                     "seconds (its worker kills the process) and submit it again like a crashed "
                                     "one; 0 = no limit")
    gpu_poll_s: float = Field(2, gt=0, le=60, description="Fan-out: seconds between checks of the gpu runs")

    @model_validator(mode="before")
    @classmethod
    def _dpo_filter_dimensions(cls, data):
        """DPO's filter weighs what the suite scores: a suite's own dimensions are its aggregation's too, unless it
        names its own."""
        if not isinstance(data, dict):
            return data
        rewards = data.get("rewards") or {}
        own = (with_own_dimensions(rewards).get("aggregation") or {}).get("suite_dimensions") \
            if isinstance(rewards, dict) else rewards.aggregation.suite_dimensions
        train = data.get("train") or {}
        dpo = train.get("dpo_aggregation") or {} if isinstance(train, dict) else None
        if own is None or not isinstance(dpo, dict) or "suite_dimensions" in dpo:
            return data
        return {**data, "train": {**train, "dpo_aggregation": {"suite_dimensions": own, **dpo}}}


PROFILES = tuple(sorted(p.name.removesuffix(".yaml") for p in resources.files("pav").joinpath("profiles").iterdir()
                        if p.name.endswith(".yaml")))


PRESETS = tuple(sorted(p.name.removesuffix(".yaml") for p in resources.files("pav").joinpath("profiles/presets").iterdir()
                       if p.name.endswith(".yaml")))


def profile_values(profile: str, seen: tuple[str, ...] = ()) -> dict:
    """A profile's values, over those of the profile it `extends` (a GPU profile for another video model keeps
    the paper's rewards and training): sections merge, but a backend's `options` come whole from the profile
    that sets them, since one model's options never suit another."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    values = yaml.safe_load(resources.files("pav").joinpath(f"profiles/{profile}.yaml").read_text()) or {}
    base = values.pop("extends", None)
    if base is None:
        return values
    if base in (*seen, profile):
        raise ValueError(f"profile {profile!r} extends {base!r}, which extends it back")
    return deep_merge(profile_values(base, (*seen, profile)), values, whole=("options",))


def load_config(profile: str = "demo", overrides: list[str] | None = None,
                environ: dict[str, str] | None = None) -> RunConfig:
    """The profile's config with its training preset, then environment and command-line overrides, applied.

    A profile may name a preset (`preset: ours`) and an override may pick another (`preset=paper`): the
    preset's values go over the profile's, and overrides over both.
    """
    layers = [profile_values(profile),
              dotted(env_overrides({*RunConfig.model_fields, "preset"}, environ)), dotted(overrides or [])]
    preset = next((layer.pop("preset") for layer in reversed(layers) if "preset" in layer), None)
    for layer in layers:
        layer.pop("preset", None)
    values = layers[0]
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
        values = deep_merge(values, yaml.safe_load(
            resources.files("pav").joinpath(f"profiles/presets/{preset}.yaml").read_text()) or {})
    for layer in layers[1:]:
        values = deep_merge(values, layer)
    values["profile"] = profile if preset is None else f"{profile} (preset {preset})"
    try:
        return RunConfig.model_validate(values)
    except ValidationError as e:
        raise ValueError(f"profile {profile!r} with overrides: {e}") from None
