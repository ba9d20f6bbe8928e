"""The one place where a suite's dimensions become an overall score and a pass/fail: the paper's seven by
default; a suite with its own dimensions (a team's reward server, VideoAlign's VQ/MQ/TA) names them by giving
their weights and thresholds.

Official Prompt-A-Video code (jiyt17/Prompt-A-Video, booster/finetuning/gpt_boost.py) ranks evolution
candidates by VQ + TC + FC + 0.5*DD + TVA + AES*5/8 + MPS/4, i.e. aesthetic mapped linearly from
(1.6, 6.4) and MPS from (4, 16) onto 1-4; those are the defaults below. Its DPO filter
(booster/dpo/filter.py) keeps winners with VQ, TC > 2.6, FC > 2.55, DD > 2.65, TVA > 2.9, AES > 5.5
(3.44 after mapping), MPS > 8.5 (2.13 after mapping). The thresholds here are calibrated for the
weight-free sim suite instead: its video dimensions spread differently (sustained motion is rare in
short prompts, so dd sits lower; its fc dips on camera moves), and the official values would let almost
no original pass. With these, some originals pass and good rewrites do.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pav.data.schemas import DIMENSION_NAME, DIMENSIONS


# Published raw bands of judges whose dimensions are not the seven, mapped onto 1-4 like the seven's image ones
# unless a config gives its own: HPSv2.1 scores sit around 0.20-0.32, ImageReward's are standardised (about -2 to
# 2), PickScore's are 100 x a cosine (about 17-23).
JUDGE_BANDS = {"hps": (0.20, 0.32), "image_reward": (-2.0, 2.0), "pickscore": (17.0, 23.0)}


class AggregationConfig(BaseModel):
    """Weights, raw-band mapping and pass thresholds of the reward suite's dimensions (`dimensions`)."""

    model_config = ConfigDict(extra="forbid")

    suite_dimensions: list[str] | None = Field(
        None, description="The reward suite's own dimensions, e.g. [vq, mq, ta] for VideoAlign; left out: the "
                          "paper's seven")
    weights: dict[str, float] = Field(
        default={"vq": 1.0, "tc": 1.0, "fc": 1.0, "tva": 1.0, "dd": 0.5, "aesthetic": 1.0, "preference": 1.0},
        description="Weight of each dimension (on the 1-4 band) in the overall score")
    image_bands: dict[str, tuple[float, float]] = Field(
        default={"aesthetic": (1.6, 6.4), "preference": (4.0, 16.0)},
        description="Raw (low, high) band of each dimension not scored on 1-4, mapped linearly onto 1-4 and clipped")
    thresholds: dict[str, float] = Field(
        default={"vq": 2.4, "tc": 2.2, "fc": 1.8, "tva": 2.2, "dd": 1.3, "aesthetic": 2.6, "preference": 2.0},
        description="Minimum of each dimension on the 1-4 band (after normalisation) to pass (1: no minimum)")

    intent_threshold: float = Field(
        1.0, ge=0, le=1, description="Minimum share of the original's content (intent judge) a prompt must keep "
                                     "to become a pair target, a DPO chosen or a counted win; 1 = all of it")

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data):
        """A partial dict (`--set rewards.aggregation.thresholds.dd=2.2`) overrides only the dimensions it names,
        over the defaults: the seven's, and for a suite's own dimensions the seven's where it names one of them,
        else weight 1, threshold 1 (none) and its JUDGE_BANDS raw band if it has one."""
        if not isinstance(data, dict):
            return data
        own = data.get("suite_dimensions")
        out = dict(data)
        for field in ("weights", "thresholds", "image_bands"):
            default = cls.model_fields[field].default
            if own is not None:
                if field == "image_bands":
                    bands = {**JUDGE_BANDS, **default}
                    default = {d: bands[d] for d in own if d in bands}
                else:
                    default = {d: default.get(d, 1.0) for d in own}
            given = data.get(field, {})
            out[field] = {**default, **given} if isinstance(given, dict) else given
        return out

    def model_post_init(self, _context) -> None:
        dims = self.dimensions
        bad = [d for d in dims if not re.fullmatch(DIMENSION_NAME, str(d))]
        if bad or len(set(dims)) != len(dims) or not dims:
            raise ValueError(f"suite_dimensions must be distinct lower-case words (letters, digits, _); "
                             f"got {list(dims)}")
        for field, keys in (("weights", dims), ("thresholds", dims)):
            if set(getattr(self, field)) != set(keys):
                raise ValueError(f"{field} must name exactly {list(keys)}; got {sorted(getattr(self, field))}")
        if not set(self.image_bands) <= set(dims):
            raise ValueError(f"image_bands names {sorted(set(self.image_bands) - set(dims))}: not among {list(dims)}")
        for dim, (lo, hi) in self.image_bands.items():
            if not hi > lo:
                raise ValueError(f"image_bands[{dim!r}] needs low < high, got ({lo}, {hi})")

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions scored and weighed: the suite's own, else the paper's seven (in its table's order)."""
        return DIMENSIONS if self.suite_dimensions is None else tuple(self.suite_dimensions)


def normalised(scores: pd.DataFrame, cfg: AggregationConfig) -> pd.DataFrame:
    """The dimension columns on the 1-4 band (those with a raw band mapped from it)."""
    missing = [d for d in cfg.dimensions if d not in scores.columns]
    if missing:
        raise ValueError(f"scores lack dimension columns {missing}")
    out = scores[list(cfg.dimensions)].astype(float).copy()
    for dim, (lo, hi) in cfg.image_bands.items():
        out[dim] = (1 + 3 * (out[dim] - lo) / (hi - lo)).clip(1.0, 4.0)
    return out


def overall(scores: pd.DataFrame, cfg: AggregationConfig) -> pd.Series:
    """Weighted sum of the normalised dimensions; a row with any NaN is NaN."""
    norm = normalised(scores, cfg)
    w = pd.Series(cfg.weights)[list(cfg.dimensions)]
    return norm.mul(w, axis=1).sum(axis=1, skipna=False).rename("overall")


def keeps_intent(intent: pd.Series, cfg: AggregationConfig) -> pd.Series:
    """True where a prompt keeps enough of the original (NaN, e.g. an unjudged row, does not)."""
    return (intent.astype(float) >= cfg.intent_threshold - 1e-9).rename("keeps_intent")


def passes(scores: pd.DataFrame, cfg: AggregationConfig) -> pd.Series:
    """True where every dimension reaches its threshold; NaN fails."""
    norm = normalised(scores, cfg)
    thr = pd.Series(cfg.thresholds)[list(cfg.dimensions)]
    return pd.Series(np.all(norm.to_numpy() >= thr.to_numpy(), axis=1), index=scores.index, name="passes")
