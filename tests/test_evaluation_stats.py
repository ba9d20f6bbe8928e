"""Evaluation statistics: the paper's table with bootstrap intervals, win rates, stage progress, cross-model gains."""


import numpy as np
import pandas as pd
import pytest

from pav.data.schemas import DIMENSIONS, VIDEO_DIMENSIONS
from pav.rewards.aggregate import AggregationConfig, overall
from pav.rewards.evaluation import (cross_model_matrix, method_table, normalised_table, round_gain, round_verdict,
                                   stage_progress, win_rates)

CFG = AggregationConfig()


def evals(shifts: dict[str, float], prompts: int = 12, seeds: tuple[int, ...] = (0, 1), rs: int = 0) -> pd.DataFrame:
    """Rows of every method on the same (prompt, seed); a method's dims are the shared base plus its shift."""
    rng = np.random.default_rng(rs)
    base = {d: rng.uniform(2.0, 3.0, (prompts, len(seeds))) for d in VIDEO_DIMENSIONS}
    base["aesthetic"] = rng.uniform(3.5, 5.5, (prompts, len(seeds)))
    base["preference"] = rng.uniform(7.0, 12.0, (prompts, len(seeds)))
    rows = []
    for method, shift in shifts.items():
        for p in range(prompts):
            for s, seed in enumerate(seeds):
                row = {"method": method, "prompt_id": f"p{p}", "original": f"prompt {p}", "prompt": f"{method} {p}",
                       "seed": seed, "video_id": f"{method}-{p}-{seed}", "error": None,
                       "intent": 1.0, "lost": "", "keeps_intent": True}
                row.update({d: float(base[d][p, s] + shift) for d in DIMENSIONS})
                rows.append(row)
    frame = pd.DataFrame(rows)
    frame["overall"] = overall(frame, CFG)
    return frame


def test_a_win_that_loses_the_users_intent_is_not_a_kept_win():
    frame = evals({"original": 0.0, "drifter": 0.5, "faithful": 0.2})
    drifting = frame["method"] == "drifter"
    frame.loc[drifting, ["intent", "lost", "keeps_intent"]] = [0.5, "cat", False]
    frame.loc[drifting & (frame["prompt_id"] == "p0"), ["intent", "lost", "keeps_intent"]] = [1.0, "", True]
    wins = win_rates(frame, ["original", "faithful"]).set_index(["method", "against"])
    assert wins.loc[("drifter", "original"), "win"] == 1.0
    assert wins.loc[("drifter", "original"), "kept_win"] == pytest.approx(2 / 24)  # p0 on both seeds
    assert wins.loc[("faithful", "original"), "kept_win"] == wins.loc[("faithful", "original"), "win"] == 1.0
    assert wins.loc[("drifter", "faithful"), "win"] == 1.0 and wins.loc[("drifter", "faithful"), "kept_win"] < 0.1
    table = method_table(frame, CFG, n_boot=100).set_index("method")
    assert table.loc["drifter", "intent"] == pytest.approx((22 * 0.5 + 2) / 24)
    assert table.loc["faithful", "intent"] == 1.0


def test_better_method_wins_everywhere_with_separated_intervals():
    frame = evals({"original": 0.0, "dpo-2": 0.3})
    table = method_table(frame, CFG, n_boot=500).set_index("method")
    assert list(table.index) == ["original", "dpo-2"]
    assert (table["n"] == 24).all()
    for m in [*DIMENSIONS, "average", "overall"]:
        assert table.loc["dpo-2", m] > table.loc["original", m]
    assert table.loc["dpo-2", "overall_lo"] > table.loc["original", "overall"]
    assert table.loc["dpo-2", "vq"] == pytest.approx(frame.loc[frame.method == "dpo-2", "vq"].mean())
    wins = win_rates(frame, ["original"])
    assert wins.to_dict("records") == [
        {"method": "dpo-2", "against": "original", "win": 1.0, "kept_win": 1.0, "tie": 0.0, "loss": 0.0, "n": 24}]


def test_intervals_contain_the_mean_and_are_deterministic_for_a_seed():
    frame = evals({"original": 0.0, "sft": 0.1, "dpo-1": -0.05})
    a = method_table(frame, CFG, n_boot=300, seed=7)
    pd.testing.assert_frame_equal(a, method_table(frame, CFG, n_boot=300, seed=7))
    assert not np.allclose(a["overall_lo"], method_table(frame, CFG, n_boot=300, seed=8)["overall_lo"])
    for m in [*DIMENSIONS, "average", "overall"]:
        assert (a[f"{m}_lo"] <= a[m]).all() and (a[m] <= a[f"{m}_hi"]).all()
        assert (a[f"{m}_hi"] - a[f"{m}_lo"] > 0).all()


def test_bootstrap_resamples_prompts_keeping_seeds_together():
    # One prompt with very different seeds: resampling prompts can only redraw that prompt, so no spread.
    frame = evals({"original": 0.0}, prompts=1, seeds=(0, 1, 2, 3, 4))
    row = method_table(frame, CFG, n_boot=200).iloc[0]
    assert frame["vq"].std() > 0.1
    assert row["vq_lo"] == pytest.approx(row["vq"]) and row["vq_hi"] == pytest.approx(row["vq"])


def test_average_is_the_mean_of_normalised_dims_and_raw_image_means_are_kept():
    frame = evals({"original": 0.0}, prompts=2, seeds=(0,))
    frame[list(VIDEO_DIMENSIONS)] = 2.5
    frame["aesthetic"] = [4.0, 5.2]  # maps to 2.5 and 3.25 on (1.6, 6.4)
    frame["preference"] = [10.0, 13.0]  # maps to 2.5 and 3.25 on (4, 16)
    frame["overall"] = overall(frame, CFG)
    row = method_table(frame, CFG, n_boot=50).iloc[0]
    assert row["aesthetic"] == pytest.approx(4.6)
    assert row["preference"] == pytest.approx(11.5)
    assert row["average"] == pytest.approx((5 * 2.5 + 2 * 2.875) / 7)
    norm = normalised_table(frame, CFG, n_boot=50).iloc[0]
    assert norm["aesthetic"] == pytest.approx(2.875) and norm["vq"] == pytest.approx(2.5)


def test_ties_are_counted_and_nan_rows_leave_n():
    frame = evals({"original": 0.0, "copy": 0.0, "half": 0.0})
    half = frame.index[(frame.method == "half") & frame.prompt_id.isin([f"p{i}" for i in range(6)])]
    frame.loc[half, list(DIMENSIONS)] += 0.2
    failed = frame.index[(frame.method == "copy") & (frame.prompt_id == "p0")]
    frame.loc[failed, [*DIMENSIONS]] = np.nan
    frame["overall"] = overall(frame, CFG)
    wins = win_rates(frame, ["original", "absent"]).set_index(["method", "against"])
    assert wins.loc[("copy", "original")].to_dict() == {"win": 0.0, "kept_win": 0.0, "tie": 1.0, "loss": 0.0, "n": 22}
    assert wins.loc[("half", "original")].to_dict() == {"win": 0.5, "kept_win": 0.5, "tie": 0.5, "loss": 0.0, "n": 24}
    table = method_table(frame, CFG, n_boot=100).set_index("method")
    assert table.loc["copy", "n"] == 22
    assert table.loc["copy", "overall"] == pytest.approx(frame.loc[frame.method == "copy", "overall"].dropna().mean())
    assert np.isfinite(table.loc["copy", ["overall_lo", "overall_hi"]].astype(float)).all()


def test_method_that_never_scored_gets_nan_not_a_crash():
    frame = evals({"original": 0.0, "broken": 0.0}, prompts=3)
    frame.loc[frame.method == "broken", [*DIMENSIONS, "overall"]] = np.nan
    table = method_table(frame, CFG, n_boot=50).set_index("method")
    assert table.loc["broken", "n"] == 0 and np.isnan(table.loc["broken", "overall_hi"])
    assert win_rates(frame, ["original"]).iloc[0]["n"] == 0


def test_win_rates_against_several_references():
    frame = evals({"original": 0.0, "gpt4-upsampler": 0.1, "dpo-2": 0.2})
    wins = win_rates(frame, ["original", "gpt4-upsampler"])
    assert list(zip(wins.method, wins.against)) == [
        ("gpt4-upsampler", "original"), ("dpo-2", "original"), ("original", "gpt4-upsampler"),
        ("dpo-2", "gpt4-upsampler")]
    assert wins.set_index(["method", "against"]).loc[("original", "gpt4-upsampler"), "loss"] == 1.0


def test_stage_progress_follows_stage_order():
    frame = evals({"dpo-2": 0.3, "gpt4-upsampler": 0.5, "original": 0.0, "sft": 0.1})
    progress = stage_progress(frame)
    assert list(progress["stage"]) == ["original", "sft", "dpo-2"]
    means = frame.groupby("method")["overall"].mean()
    assert progress["overall"].tolist() == pytest.approx([means["original"], means["sft"], means["dpo-2"]])
    assert progress["overall"].is_monotonic_increasing


def test_cross_model_matrix_holds_mean_gains():
    wan_on_wan = evals({"original": 0.0, "dpo-2": 0.4})
    wan_on_cog = evals({"original": 0.0, "dpo-2": -0.1}, rs=1)
    cog_on_cog = evals({"original": 0.0, "ours": 0.2}, rs=2)
    matrix = cross_model_matrix({("wan", "wan"): wan_on_wan, ("wan", "cog"): wan_on_cog, ("cog", "cog"): cog_on_cog})
    assert list(matrix.index) == ["wan", "cog"] and list(matrix.columns) == ["wan", "cog"]
    # Shifting every raw dimension by d moves overall by d * (video weights 4.5 + aesthetic 3/4.8 + MPS 3/12).
    per_unit = 4.5 + 3 / 4.8 + 3 / 12
    assert matrix.loc["wan", "wan"] == pytest.approx(per_unit * 0.4)
    assert matrix.loc["wan", "cog"] == pytest.approx(per_unit * -0.1)
    assert matrix.loc["cog", "cog"] == pytest.approx(per_unit * 0.2)
    assert np.isnan(matrix.loc["cog", "wan"])
    with pytest.raises(ValueError, match="exactly one enhancer"):
        cross_model_matrix({("wan", "wan"): evals({"original": 0.0, "sft": 0.1, "dpo-2": 0.2})})


def test_bad_records_are_named():
    frame = evals({"original": 0.0})
    with pytest.raises(ValueError, match="lack columns \\['tva'\\]"):
        method_table(frame.drop(columns="tva"), CFG)
    with pytest.raises(ValueError, match="repeat"):
        win_rates(pd.concat([frame, frame.head(1)]), ["original"])
    with pytest.raises(ValueError, match="empty"):
        stage_progress(frame.iloc[:0])
    with pytest.raises(ValueError, match="n_boot"):
        method_table(frame, CFG, n_boot=0)


def test_cross_model_cells_pair_each_enhancer_with_the_originals_of_each_video_model():
    from pav.rewards.evaluation import cross_model_cells, cross_model_matrix

    def evals(gains: dict[str, float]) -> pd.DataFrame:
        rows = [{"method": m, "prompt_id": f"p{i}", "seed": 0, "overall": 10.0 + g + i}
                for m, g in {"original": 0.0, **gains}.items() for i in range(4)]
        return pd.DataFrame(rows)

    by_model = {"sim-steady": evals({"gpt4-upsampler": -1.0, "dpo-2": 3.0}),
                "sim-scenic": evals({"gpt4-upsampler": 2.0, "dpo-2": 0.5, "scenic-dpo-2": 4.0})}
    cells = cross_model_cells(by_model)
    assert set(cells) == {("dpo-2", "sim-steady"), ("dpo-2", "sim-scenic"), ("scenic-dpo-2", "sim-scenic")}
    matrix = cross_model_matrix(cells)
    assert matrix.loc["dpo-2", "sim-steady"] == pytest.approx(3.0)
    assert matrix.loc["dpo-2", "sim-scenic"] == pytest.approx(0.5)
    assert np.isnan(matrix.loc["scenic-dpo-2", "sim-steady"])


def test_round_gain_averages_a_prompts_seeds_before_the_standard_error():
    frame = evals({"previous": 0.0, "policy": 0.3}, prompts=10, seeds=(1, 2, 3))
    # seed noise that cancels within each prompt: per prompt the gain stays exactly the shift
    noise = np.tile([0.8, -0.8, 0.0], 10)
    frame.loc[frame["method"] == "policy", "overall"] += noise
    stats = round_gain(frame, "policy", "previous")
    shift = float(overall(evals({"x": 0.3}, prompts=10, seeds=(1, 2, 3)), CFG).mean()
                  - overall(evals({"x": 0.0}, prompts=10, seeds=(1, 2, 3)), CFG).mean())
    assert stats["prompts"] == 10 and stats["gain"] == pytest.approx(shift, abs=1e-9) and shift > 0.1
    assert stats["stderr"] < 1e-6  # per-seed noise treated as independent draws would give ~0.2
    assert stats["intent"] == stats["intent_previous"] == 1.0


def test_round_verdict_keeps_a_clear_gain_and_refuses_noise_or_lost_intent():
    rng = np.random.default_rng(3)
    frame = evals({"previous": 0.0, "policy": 0.0}, prompts=32, seeds=(1,))
    policy = frame["method"] == "policy"
    frame.loc[policy, "overall"] += rng.normal(0.0, 1.0, policy.sum())
    noise = round_gain(frame, "policy", "previous")
    kept, reason = round_verdict(noise, min_z=1.0, intent_tolerance=0.02)
    assert noise["gain"] <= noise["stderr"] and not kept and "standard error" in reason
    frame.loc[policy, "overall"] += 2.0
    clear = round_gain(frame, "policy", "previous")
    assert round_verdict(clear, 1.0, 0.02)[0]
    assert round_verdict(clear, 1e9, 0.02)[0] is False  # the bar is in standard errors
    frame.loc[policy & (frame["prompt_id"].isin(["p0", "p1"])), "intent"] = 0.5
    drifted = round_gain(frame, "policy", "previous")
    kept, reason = round_verdict(drifted, 1.0, 0.02)
    assert drifted["gain"] > drifted["stderr"] and not kept and "intent fell" in reason


def test_round_gain_needs_two_prompts_both_methods_scored():
    frame = evals({"previous": 0.0, "policy": 0.5}, prompts=3, seeds=(1,))
    frame.loc[(frame["method"] == "policy") & (frame["prompt_id"] != "p0"), "overall"] = np.nan
    with pytest.raises(ValueError, match="at least 2 prompts"):
        round_gain(frame, "policy", "previous")
