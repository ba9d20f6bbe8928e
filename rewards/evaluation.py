"""Statistics of the evaluation: the paper's per-method table, win rates, stage progress, cross-model gains.

Intervals are percentile bootstraps over prompts: one resample of prompt ids is shared by every method
(paired), and a prompt's seeds travel with it, so seeds of one prompt are never treated as independent.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pav.rewards.aggregate import AggregationConfig, normalised
from pav.rewards.specificity import specificity

STAGES = ("original", "sft", "dpo-1", "dpo-2")
# Methods that are not trained enhancers: constant suffixes, published rewrites, untuned LLMs.
BASELINES = ("best-suffix", "booster", "gpt4-upsampler", "wan-extender", "base-llm", "openai", "promptist")
TIE = 1e-9  # |overall difference| below this is a tie
_KEY = ["prompt_id", "seed"]


@dataclass
class EvaluationTables:
    """Every statistic the report and the terminal show, computed once per evaluation."""

    methods: pd.DataFrame  # method_table
    normalised: pd.DataFrame  # normalised_table
    wins: pd.DataFrame  # win_rates against the original prompts and each baseline present
    progress: pd.DataFrame  # stage_progress
    rewrites: pd.DataFrame  # rewrite_samples: what a few rewrites of each method kept and lost
    specificity: pd.DataFrame  # specificity: how much of what each method adds is the same for every prompt


def evaluation_tables(evals: pd.DataFrame, aggregation: AggregationConfig, n_boot: int = 1000) -> EvaluationTables:
    return EvaluationTables(methods=method_table(evals, aggregation, n_boot=n_boot),
                            normalised=normalised_table(evals, aggregation, n_boot=n_boot),
                            wins=win_rates(evals, references(evals)), progress=stage_progress(evals),
                            rewrites=rewrite_samples(evals), specificity=specificity(evals))


def rewrite_samples(evals: pd.DataFrame, per_method: int = 6) -> pd.DataFrame:
    """Original -> rewrite with its intent and what it lost, for the first prompts of every method."""
    _check(evals, ["intent", "lost"])
    rows = evals[evals["method"] != "original"].drop_duplicates(["method", "prompt_id"])
    rows = rows.groupby("method", sort=False).head(per_method)
    return rows[["method", "original", "prompt", "intent", "lost"]].reset_index(drop=True)


def references(evals: pd.DataFrame) -> list[str]:
    """What every method is compared with: the original prompts, then each baseline evaluated."""
    methods = _methods(evals)
    return [m for m in ("original", *BASELINES) if m in methods]


def method_table(evals: pd.DataFrame, aggregation: AggregationConfig, n_boot: int = 1000,
                 seed: int = 0) -> pd.DataFrame:
    """The paper's table: raw per-dimension means, normalised average and overall, and the mean intent
    (share of the original's content kept), with 95% intervals."""
    _check(evals, [*aggregation.dimensions, "overall", "intent"])
    values = evals[list(aggregation.dimensions)].astype(float).copy()
    values["average"] = normalised(evals, aggregation).mean(axis=1, skipna=False)
    values["overall"] = evals["overall"].astype(float)
    values["intent"] = evals["intent"].astype(float)
    return _bootstrap_means(evals, values, n_boot, seed)


def normalised_table(evals: pd.DataFrame, aggregation: AggregationConfig, n_boot: int = 1000,
                     seed: int = 0) -> pd.DataFrame:
    """Like method_table but every dimension on the shared 1-4 band (for plots on one axis)."""
    _check(evals, list(aggregation.dimensions))
    values = normalised(evals, aggregation)
    values["average"] = values.mean(axis=1, skipna=False)
    return _bootstrap_means(evals, values, n_boot, seed)


def win_rates(evals: pd.DataFrame, against: list[str]) -> pd.DataFrame:
    """Win/tie/loss fractions on overall of every method against each reference, paired by (prompt, seed).

    `kept_win` counts a win only where the method's prompt keeps the original's intent: a rewrite that
    renders better because it swapped the user's cat for a bat is not a win.
    """
    _check(evals, ["overall", "keeps_intent"])
    methods = _methods(evals)
    rows = []
    for ref in [r for r in against if r in methods]:
        for method in [m for m in methods if m != ref]:
            paired = _paired(evals, method, ref, ("keeps_intent",))
            diff, n = paired["diff"], len(paired)
            frac = (lambda mask: float(mask.sum()) / n if n else np.nan)
            rows.append({"method": method, "against": ref, "win": frac(diff >= TIE),
                         "kept_win": frac((diff >= TIE) & paired["keeps_intent"].astype(bool)),
                         "tie": frac(diff.abs() < TIE), "loss": frac(diff <= -TIE), "n": n})
    return pd.DataFrame(rows, columns=["method", "against", "win", "kept_win", "tie", "loss", "n"])


def stage_progress(evals: pd.DataFrame, stages: tuple[str, ...] = STAGES) -> pd.DataFrame:
    """Mean overall of each training stage present, in stage order."""
    _check(evals, ["overall"])
    present = set(_methods(evals))
    rows = []
    for stage in [s for s in stages if s in present]:
        scores = evals.loc[evals["method"] == stage, "overall"].astype(float).dropna()
        rows.append({"stage": stage, "overall": float(scores.mean()), "n": len(scores)})
    return pd.DataFrame(rows, columns=["stage", "overall", "n"])


def round_gain(evals: pd.DataFrame, policy: str, previous: str) -> dict:
    """What a training round changed: the mean paired gain in overall of `policy` over `previous`, its standard
    error over prompts (a prompt's seeds are averaged first: they share the prompt, so they are not independent
    draws), the prompts compared, and each method's mean intent."""
    _check(evals, ["overall", "intent"])
    a = evals.loc[evals["method"] == policy, [*_KEY, "overall", "intent"]]
    b = evals.loc[evals["method"] == previous, [*_KEY, "overall", "intent"]]
    joined = a.merge(b, on=_KEY, suffixes=("", "_previous"), validate="one_to_one")
    joined["diff"] = joined["overall"].astype(float) - joined["overall_previous"].astype(float)
    per_prompt = joined[np.isfinite(joined["diff"])].groupby("prompt_id")["diff"].mean()
    if len(per_prompt) < 2:
        raise ValueError(f"comparing {policy} with {previous} needs at least 2 prompts that both rendered and "
                         f"scored; found {len(per_prompt)}")
    return {"gain": float(per_prompt.mean()), "stderr": float(per_prompt.std(ddof=1) / np.sqrt(len(per_prompt))),
            "prompts": int(len(per_prompt)), "intent": float(joined["intent"].mean()),
            "intent_previous": float(joined["intent_previous"].mean())}


def round_verdict(stats: dict, min_z: float, intent_tolerance: float) -> tuple[bool, str]:
    """Keep the round when it gains by more than `min_z` standard errors and loses at most `intent_tolerance`
    of mean intent; with the reason in words."""
    measured = (f"overall {stats['gain']:+.3f} +- {stats['stderr']:.3f} on {stats['prompts']} prompts, "
                f"intent {stats['intent_previous']:.3f} -> {stats['intent']:.3f}")
    if stats["intent"] < stats["intent_previous"] - intent_tolerance:
        return False, f"{measured}: intent fell by more than {intent_tolerance}"
    if stats["gain"] <= min_z * stats["stderr"]:
        return False, f"{measured}: not above {min_z:g} standard error(s)"
    return True, measured


def cross_model_matrix(evals_by_cell: dict[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """Mean overall gain over the original prompts: rows = enhancer (trained for X), columns = video model Y.

    Each cell's frame holds the "original" method and exactly one other method: the enhancer's prompts
    rendered and scored on Y.
    """
    gains: dict[tuple[str, str], float] = {}
    for (enhancer, video_model), evals in evals_by_cell.items():
        _check(evals, ["overall"])
        others = [m for m in _methods(evals) if m != "original"]
        if "original" not in set(evals["method"]) or len(others) != 1:
            raise ValueError(f"cross-model cell ({enhancer!r}, {video_model!r}) needs methods 'original' and "
                             f"exactly one enhancer; got {_methods(evals)}")
        gains[(enhancer, video_model)] = float(_paired(evals, others[0], "original")["diff"].mean())
    rows = list(dict.fromkeys(k[0] for k in gains))
    cols = list(dict.fromkeys(k[1] for k in gains))
    matrix = pd.DataFrame(np.nan, index=pd.Index(rows, name="enhancer"),
                          columns=pd.Index(cols, name="video model"))
    for (enhancer, video_model), gain in gains.items():
        matrix.loc[enhancer, video_model] = gain
    return matrix


def cross_model_cells(evals_by_model: dict[str, pd.DataFrame]) -> dict[tuple[str, str], pd.DataFrame]:
    """Cells for cross_model_matrix: every trained enhancer evaluated on each video model, with the originals."""
    cells = {}
    for video_model, evals in evals_by_model.items():
        for method in _methods(evals):
            if method != "original" and method not in BASELINES:
                cells[(method, video_model)] = evals[evals["method"].isin(["original", method])]
    return cells


def _bootstrap_means(evals: pd.DataFrame, values: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Per method: n (rows with every value finite), each column's mean and its percentile 95% interval."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    methods = _methods(evals)
    prompt_codes, prompts = pd.factorize(evals["prompt_id"])
    method_codes = pd.Index(methods).get_indexer(evals["method"])
    metrics = list(values.columns)
    v = values.to_numpy(dtype=float)
    finite = np.isfinite(v)
    # Sums and counts per (method, prompt, metric): a resample then only reweights prompts.
    sums = np.zeros((len(methods), len(prompts), len(metrics)))
    counts = np.zeros_like(sums)
    np.add.at(sums, (method_codes, prompt_codes), np.where(finite, v, 0.0))
    np.add.at(counts, (method_codes, prompt_codes), finite)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(prompts), size=(n_boot, len(prompts)))
    weights = np.zeros((n_boot, len(prompts)))
    np.add.at(weights, (np.arange(n_boot)[:, None], draws), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums.sum(axis=1) / counts.sum(axis=1)
        boot = np.einsum("bp,mpk->bmk", weights, sums) / np.einsum("bp,mpk->bmk", weights, counts)
    lo, hi = _nan_percentiles(boot)
    n_rows = np.bincount(method_codes, weights=finite.all(axis=1), minlength=len(methods))
    table = pd.DataFrame({"method": methods, "n": n_rows.astype(int)})
    for k, metric in enumerate(metrics):
        table[metric] = means[:, k]
        table[f"{metric}_lo"] = lo[:, k]
        table[f"{metric}_hi"] = hi[:, k]
    return table


def _nan_percentiles(boot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles over resamples, skipping resamples that drew no finite value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a method with no finite value: NaN interval
        lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    return lo, hi


def _paired(evals: pd.DataFrame, method: str, ref: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """diff = overall(method) - overall(ref), plus the method's `columns`, on the (prompt, seed) pairs
    where both overall scores are finite."""
    a = evals.loc[evals["method"] == method, [*_KEY, "overall", *columns]]
    b = evals.loc[evals["method"] == ref, [*_KEY, "overall"]]
    joined = a.merge(b, on=_KEY, suffixes=("", "_ref"), validate="one_to_one")
    joined["diff"] = joined["overall"].astype(float) - joined["overall_ref"].astype(float)
    return joined.loc[np.isfinite(joined["diff"]), ["diff", *columns]]


def _methods(evals: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(evals["method"]))


def _check(evals: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in ["method", *_KEY, *columns] if c not in evals.columns]
    if missing:
        raise ValueError(f"evaluation records lack columns {missing}")
    if evals.empty:
        raise ValueError("evaluation records are empty")
    dup = evals.duplicated(["method", *_KEY])
    if dup.any():
        first = evals.loc[dup, ["method", *_KEY]].iloc[0].to_dict()
        raise ValueError(f"evaluation records repeat (method, prompt_id, seed), e.g. {first}")
