"""The report's plots as PNG bytes: dimensions on one scale, win rates, evolution rounds, training stages,
cross-model transfer and sample frames (matplotlib's object API, no global state)."""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pav.rewards import sample_frames

LABELS = {"vq": "VQ", "tc": "TC", "dd": "DD", "tva": "TVA", "fc": "FC", "aesthetic": "Aesthetic",
          "preference": "Preference", "average": "Average", "overall": "Overall", "intent": "Intent"}
SUMMARIES = ("average", "overall", "intent")  # a method table's columns after the suite's dimensions


def label(metric: str) -> str:
    """A column's heading: the seven's and the summaries' own, a suite's own dimension in capitals (mq: MQ)."""
    return LABELS.get(metric, metric.upper())


def metrics_of(table: pd.DataFrame) -> list[str]:
    """The metrics of a method table, in order: the suite's dimensions, then average, overall and intent."""
    return [c for c in table.columns if f"{c}_lo" in table.columns]
STRIP_FRAMES = 4
MAX_SAMPLE_PROMPTS = 4
OUTCOME_COLOURS = {"win": "#2e7d32", "tie": "#9e9e9e", "loss": "#c62828"}


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _colours(n: int) -> list:
    return [colormaps["tab10"](i % 10) for i in range(n)]


def dimension_plot(norm: pd.DataFrame) -> bytes:
    metrics = [m for m in metrics_of(norm) if m not in SUMMARIES[1:]]
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(norm)
    x = np.arange(len(metrics))
    for i, (row, colour) in enumerate(zip(norm.itertuples(index=False), _colours(len(norm)))):
        r = row._asdict()
        means = np.array([r[m] for m in metrics])
        err = np.array([[r[m] - r[f"{m}_lo"] for m in metrics], [r[f"{m}_hi"] - r[m] for m in metrics]])
        ax.bar(x + (i - (len(norm) - 1) / 2) * width, means - 1, width, bottom=1, yerr=err, capsize=2,
               color=colour, label=r["method"], error_kw={"elinewidth": 0.8})
    ax.set_xticks(x, [label(m) for m in metrics])
    ax.set_ylim(1, 4)
    ax.set_ylabel("mean score (1-4 band)")
    ax.set_xlabel("dimension")
    ax.set_title("Per-dimension means by method")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="method")
    return _png(fig)


def win_plot(wins: pd.DataFrame) -> bytes:
    fig = Figure(figsize=(8, 0.5 * len(wins) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(wins))[::-1]
    left = np.zeros(len(wins))
    for outcome, colour in OUTCOME_COLOURS.items():
        values = wins[outcome].to_numpy(dtype=float) * 100
        ax.barh(y, values, left=left, color=colour, label=outcome)
        for yi, li, v in zip(y, left, values):
            if v >= 6:
                ax.text(li + v / 2, yi, f"{v:.0f}%", ha="center", va="center", color="white", fontsize=9)
        left += values
    ax.set_yticks(y, wins["method"])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of (prompt, seed) pairs")
    ax.set_ylabel("method")
    ax.set_title("Overall score against the original prompt")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def evolution_plot(rounds: list[dict]) -> bytes:
    for entry in rounds:
        missing = {"round", "original_overall", "best_overall"} - set(entry)
        if missing:
            raise ValueError(f"evolution_rounds entry {entry} lacks keys {sorted(missing)}")
    frame = pd.DataFrame(rounds).sort_values("round")
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(frame["round"], frame["original_overall"], "o--", color="#757575", label="original prompts")
    ax.plot(frame["round"], frame["best_overall"], "o-", color="#1565c0", label="best so far")
    ax.set_xticks(frame["round"])
    return _overall_plot(fig, ax, "evolution round", "Reward across evolution rounds")


def stage_plot(progress: pd.DataFrame) -> bytes:
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(progress))
    ax.plot(x, progress["overall"], "o-", color="#1565c0", label="mean overall")
    for xi, v in zip(x, progress["overall"]):
        ax.annotate(f"{v:.2f}", (xi, v), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=9)
    ax.set_xticks(x, progress["stage"])
    ax.margins(y=0.2)
    return _overall_plot(fig, ax, "stage", "Reward across training stages")


def _overall_plot(fig: Figure, ax, xlabel: str, title: str) -> bytes:
    """A mean-overall-score line plot, labelled, gridded and as PNG bytes."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean overall score")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _png(fig)


def cross_model_plot(matrix: pd.DataFrame) -> bytes:
    values = matrix.to_numpy(dtype=float)
    fig = Figure(figsize=(1.6 * values.shape[1] + 3, 1.0 * values.shape[0] + 2), layout="constrained")
    ax = fig.add_subplot()
    span = (float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0) or 1.0
    image = ax.imshow(values, cmap="RdBu", vmin=-span, vmax=span)
    for (i, j), v in np.ndenumerate(values):
        dark = np.isfinite(v) and abs(v) > 0.6 * span  # white text on the saturated cells
        ax.text(j, i, f"{v:+.2f}" if np.isfinite(v) else "n/a", ha="center", va="center", fontsize=10,
                color="white" if dark else "black")
    ax.set_xticks(range(values.shape[1]), matrix.columns)
    ax.set_yticks(range(values.shape[0]), matrix.index)
    ax.set_xlabel("evaluated on video model")
    ax.set_ylabel("enhancer aligned to")
    ax.set_title("Overall gain over original prompts")
    fig.colorbar(image, ax=ax, label="mean overall gain")
    return _png(fig)


def frames_plot(frames: dict[str, list[tuple[str, np.ndarray | None]]]) -> bytes:
    chosen = list(frames.items())[:MAX_SAMPLE_PROMPTS]
    clips = [clip for _, group in chosen for _, clip in group if clip is not None]
    aspect = clips[0].shape[1] / clips[0].shape[2] if clips else 0.5625
    row_height = 2.4 * aspect + 0.2
    fig = Figure(figsize=(2.4 * STRIP_FRAMES + 1.0, sum(row_height * len(g) + 0.5 for _, g in chosen) + 0.5),
                 layout="constrained")
    fig.suptitle("Sample frames: original vs enhanced prompt", fontweight="bold")
    subfigs = fig.subfigures(len(chosen), 1, squeeze=False, height_ratios=[len(g) + 0.3 for _, g in chosen])
    for subfig, (prompt, group) in zip(subfigs[:, 0], chosen):
        subfig.suptitle(textwrap.shorten(prompt, 100), fontsize=10, x=0.02, ha="left")
        axes = subfig.subplots(len(group), STRIP_FRAMES, squeeze=False)
        for row, (method, clip) in zip(axes, group):
            shown = sample_frames(clip, STRIP_FRAMES) if clip is not None else [None] * STRIP_FRAMES
            for ax, frame in zip(row, shown):
                ax.set_xticks([])
                ax.set_yticks([])
                if frame is None:
                    ax.text(0.5, 0.5, "no video", ha="center", va="center", transform=ax.transAxes)
                else:
                    ax.imshow(frame)
            row[0].set_ylabel(method, fontsize=10)
    return _png(fig)
