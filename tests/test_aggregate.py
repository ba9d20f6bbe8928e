import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from pav.rewards.aggregate import AggregationConfig, normalised, overall, passes


def row(**kw):
    base = {"vq": 3.0, "tc": 3.0, "dd": 2.0, "tva": 3.0, "fc": 3.0, "aesthetic": 6.4, "preference": 10.0}
    return {**base, **kw}


def test_image_dims_map_linearly_onto_1_4_and_clip():
    cfg = AggregationConfig()
    df = pd.DataFrame([row(aesthetic=1.6, preference=16.0), row(aesthetic=4.0, preference=10.0),
                       row(aesthetic=9.0, preference=0.0)])
    n = normalised(df, cfg)
    assert n.aesthetic.tolist() == pytest.approx([1.0, 2.5, 4.0])
    assert n.preference.tolist() == pytest.approx([4.0, 2.5, 1.0])
    assert n.vq.tolist() == [3.0, 3.0, 3.0]  # video dims untouched


def test_overall_is_the_weighted_sum_and_nan_propagates():
    cfg = AggregationConfig()
    df = pd.DataFrame([row(), row(tc=np.nan)])
    total = overall(df, cfg)
    # paper weights: 4 video dims at 1, dd at 0.5, aesthetic 6.4 -> 4.0, preference 10 -> 2.5
    assert total.iloc[0] == pytest.approx(3 * 4 + 0.5 * 2.0 + 4.0 + 2.5)
    assert np.isnan(total.iloc[1])
    heavier = AggregationConfig(weights={**cfg.weights, "dd": 2.0})
    assert overall(df, heavier).iloc[0] == pytest.approx(total.iloc[0] + 1.5 * 2.0)


def test_passes_needs_every_dimension_and_fails_nan():
    cfg = AggregationConfig()
    df = pd.DataFrame([row(), row(tva=cfg.thresholds["tva"] - 0.01), row(fc=np.nan)])
    assert passes(df, cfg).tolist() == [True, False, False]


def test_config_rejects_unknown_keys_and_bad_bands_and_fills_a_partial_override():
    with pytest.raises(ValidationError):
        AggregationConfig(speed=1)
    with pytest.raises(ValidationError, match="weights must name exactly"):
        AggregationConfig(weights={"vq": 1.0, "speed": 2.0})
    partial = AggregationConfig(weights={"dd": 1.1}, thresholds={"dd": 2.2})  # --set ...thresholds.dd=2.2
    assert partial.weights == {**AggregationConfig().weights, "dd": 1.1}
    assert partial.thresholds == {**AggregationConfig().thresholds, "dd": 2.2}
    with pytest.raises(ValidationError, match="low < high"):
        AggregationConfig(image_bands={"aesthetic": (5, 5), "preference": (4, 16)})
    with pytest.raises(ValueError, match="lack"):
        overall(pd.DataFrame([{"vq": 1.0}]), AggregationConfig())


def test_a_suite_with_its_own_dimensions_weighs_and_thresholds_them():
    """VideoAlign's three (VQ, MQ, TA): a name of the seven keeps its defaults, a new one gets weight 1 and no
    minimum, and no raw band of the seven is kept for a dimension the suite does not have."""
    cfg = AggregationConfig(suite_dimensions=["vq", "mq", "ta"], weights={"ta": 2.0}, thresholds={"ta": 2.5})
    assert cfg.dimensions == ("vq", "mq", "ta") and cfg.image_bands == {}
    assert cfg.weights == {"vq": 1.0, "mq": 1.0, "ta": 2.0} and cfg.thresholds == {"vq": 2.4, "mq": 1.0, "ta": 2.5}
    df = pd.DataFrame([{"vq": 3.0, "mq": 2.0, "ta": 3.0}, {"vq": 3.0, "mq": 2.0, "ta": 2.4}])
    assert overall(df, cfg).tolist() == [11.0, pytest.approx(9.8)]
    assert passes(df, cfg).tolist() == [True, False]
    raw = AggregationConfig(suite_dimensions=["vq", "reward"], image_bands={"reward": (-2.0, 4.0)})  # a raw logit
    assert overall(pd.DataFrame([{"vq": 3.0, "reward": 1.0}]), raw).iloc[0] == pytest.approx(5.5)
    with pytest.raises(ValidationError, match="lower-case words"):
        AggregationConfig(suite_dimensions=["Motion Quality"])
    with pytest.raises(ValidationError, match="weights must name exactly"):
        AggregationConfig(suite_dimensions=["vq", "mq"], weights={"speed": 1.0})
    with pytest.raises(ValidationError, match="image_bands names"):
        AggregationConfig(suite_dimensions=["vq"], image_bands={"aesthetic": (1, 6)})
