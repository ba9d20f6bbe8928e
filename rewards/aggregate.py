"""The one place where the seven dimensions become an overall score and a pass/fail.

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

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pav.data.schemas import DIMENSIONS, IMAGE_DIMENSIONS


class AggregationConfig(BaseModel):
    """Weights, image-band mapping and pass thresholds of the seven dimensions."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float] = Field(
        default={"vq": 1.0, "tc": 1.0, "fc": 1.0, "tva": 1.0, "dd": 0.5, "aesthetic": 1.0, "preference": 1.0},
        description="Weight of each dimension (on the 1-4 band) in the overall score; every dimension needed.")
    image_bands: dict[str, tuple[float, float]] = Field(
        default={"aesthetic": (1.6, 6.4), "preference": (4.0, 16.0)},
        description="Raw (low, high) band of each image-level dimension, mapped linearly onto 1-4 and clipped.")
    thresholds: dict[str, float] = Field(
        default={"vq": 2.4, "tc": 2.2, "fc": 1.8, "tva": 2.2, "dd": 1.3, "aesthetic": 2.6, "preference": 2.0},
        description="Minimum of each dimension on the 1-4 band (after normalisation) to pass.")

    intent_threshold: float = Field(
        1.0, ge=0, le=1, description="Minimum share of the original's content (intent judge) a prompt must keep "
                                     "to become a pair target, a DPO chosen or a counted win; 1 = all of it")

    @field_validator("weights", "thresholds", "image_bands", mode="before")
    @classmethod
    def _over_defaults(cls, value, info):
        """A partial dict (`--set rewards.aggregation.thresholds.dd=2.2`) overrides only the dimensions it names."""
        if isinstance(value, dict):
            return {**cls.model_fields[info.field_name].default, **value}
        return value

    def model_post_init(self, _context) -> None:
        for field, keys in (("weights", DIMENSIONS), ("thresholds", DIMENSIONS), ("image_bands", IMAGE_DIMENSIONS)):
            got = set(getattr(self, field))
            if got != set(keys):
                raise ValueError(f"{field} must name exactly {list(keys)}; got {sorted(got)}")
        for dim, (lo, hi) in self.image_bands.items():
            if not hi > lo:
                raise ValueError(f"image_bands[{dim!r}] needs low < high, got ({lo}, {hi})")


def normalised(scores: pd.DataFrame, cfg: AggregationConfig) -> pd.DataFrame:
    """The seven DIMENSIONS columns on the 1-4 band (image-level ones mapped from their raw band)."""
    missing = [d for d in DIMENSIONS if d not in scores.columns]
    if missing:
        raise ValueError(f"scores lack dimension columns {missing}")
    out = scores[list(DIMENSIONS)].astype(float).copy()
    for dim, (lo, hi) in cfg.image_bands.items():
        out[dim] = (1 + 3 * (out[dim] - lo) / (hi - lo)).clip(1.0, 4.0)
    return out


def overall(scores: pd.DataFrame, cfg: AggregationConfig) -> pd.Series:
    """Weighted sum of the normalised dimensions; a row with any NaN is NaN."""
    norm = normalised(scores, cfg)
    w = pd.Series(cfg.weights)[list(DIMENSIONS)]
    return norm.mul(w, axis=1).sum(axis=1, skipna=False).rename("overall")


def keeps_intent(intent: pd.Series, cfg: AggregationConfig) -> pd.Series:
    """True where a prompt keeps enough of the original (NaN, e.g. an unjudged row, does not)."""
    return (intent.astype(float) >= cfg.intent_threshold - 1e-9).rename("keeps_intent")


def passes(scores: pd.DataFrame, cfg: AggregationConfig) -> pd.Series:
    """True where every dimension reaches its threshold; NaN fails."""
    norm = normalised(scores, cfg)
    thr = pd.Series(cfg.thresholds)[list(DIMENSIONS)]
    return pd.Series(np.all(norm.to_numpy() >= thr.to_numpy(), axis=1), index=scores.index, name="passes")
