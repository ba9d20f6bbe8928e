"""The evaluation report: the paper's table, win rates and plots as Markdown plus one self-contained HTML file.

Presentation only: it renders the statistics it is given (rewards.evaluation computes them once).
"""

from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

from pav.data.schemas import DIMENSION_NAMES, DIMENSIONS, VIDEO_DIMENSIONS
from pav.data.store import Store
from pav.rewards.aggregate import AggregationConfig
from pav.report_plots import (LABELS, MAX_SAMPLE_PROMPTS, STRIP_FRAMES, cross_model_plot, dimension_plot,
                              evolution_plot, frames_plot, label, metrics_of, stage_plot, win_plot)
from pav.rewards.evaluation import EvaluationTables

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em}
th{background:#f2f2f2}td{text-align:right}td:first-child{text-align:left}img{max-width:100%}
.caption{color:#555;font-size:.9em}"""


def interval(mean: float, lo: float, hi: float) -> str:
    """'2.41 [2.35, 2.47]', or 'n/a' when there is no finite mean."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.2f} [{lo:.2f}, {hi:.2f}]"


def markdown_table(table: pd.DataFrame) -> str:
    """The paper's table (a method_table) in Markdown: one row per method, means with 95% intervals."""
    headers, rows = _method_rows(table)
    return _markdown(headers, rows)


def markdown_win_rates(wins: pd.DataFrame) -> str:
    """A win_rates frame in Markdown, fractions as percentages."""
    headers, rows = _win_rows(wins)
    return _markdown(headers, rows)


def terminal_rows(table: pd.DataFrame) -> list[dict]:
    """One plain dict per method of a method_table: n and rounded means, for printing."""
    return [{"method": r["method"], "n": int(r["n"]), **{m: round(float(r[m]), 2) for m in metrics_of(table)}}
            for _, r in table.iterrows()]


def write_report(store: Store, stage: str, tables: EvaluationTables, aggregation: AggregationConfig, *, title: str,
                 evolution_rounds: list[dict] | None = None,
                 frames: dict[str, list[tuple[str, np.ndarray | None]]] | None = None,
                 cross_model: pd.DataFrame | None = None, n_boot: int = 1000,
                 too_long: pd.DataFrame | None = None) -> dict[str, str]:
    """Write report.html (self-contained), report.md and the PNGs under `stage`; returns name -> store path.

    `frames` maps an original prompt to the clips to show for it, e.g. [("original", frames), ("dpo-2", frames)];
    the first MAX_SAMPLE_PROMPTS prompts are drawn. `cross_model` is a cross_model_matrix; `too_long` has per method
    its rewrites, those over the video model's token limit and the longest (columns method, rewrites, over, longest,
    limit).
    """
    for prompt, group in (frames or {}).items():
        for method, clip in group:
            if clip is not None and (clip.dtype != np.uint8 or clip.ndim != 4 or clip.shape[-1] != 3):
                raise ValueError(f"frames of {method!r} for {prompt[:40]!r} must be uint8 (T, H, W, 3), "
                                 f"got {clip.dtype} {clip.shape}")
    wins, progress = tables.wins, tables.progress
    sections = [("Per-method scores", _method_rows(tables.methods), _table_caption(aggregation, n_boot), None),
                ("Dimensions on one scale", None, _dimension_caption(aggregation),
                 ("dimensions", dimension_plot(tables.normalised)))]
    if len(wins):
        sections.append(("Win rates against the original prompts and the baselines", _win_rows(wins), _WIN_CAPTION,
                         ("win_rates", win_plot(wins[wins["against"] == "original"]))))
    if len(tables.rewrites):
        sections.append(("What the rewrites kept of the original", _rewrite_rows(tables.rewrites), _REWRITES_CAPTION,
                         None))
    if len(tables.specificity):
        sections.append(("What each method adds, and how much of it is the same for every prompt",
                         _specificity_rows(tables.specificity), _SPECIFICITY_CAPTION, None))
    if too_long is not None and len(too_long):
        rows = (["Method", "Rewrites", "Over the limit", "Longest (tokens)"],
                [[r.method, str(r.rewrites), str(r.over), str(r.longest)] for r in too_long.itertuples()])
        sections.append((f"Rewrites the video model would cut (its encoder reads {int(too_long['limit'].iloc[0])} "
                         "tokens)", rows, _TOO_LONG_CAPTION, None))
    if evolution_rounds:
        sections.append(("Reward across evolution rounds", None, _EVOLUTION_CAPTION,
                         ("evolution", evolution_plot(evolution_rounds))))
    if len(progress) > 1:
        rows = (["Stage", "Overall", "n"], [[s, f"{o:.2f}", str(n)] for s, o, n in progress.itertuples(index=False)])
        sections.append(("Reward across training stages", rows, _STAGE_CAPTION, ("stages", stage_plot(progress))))
    if cross_model is not None:
        sections.append(("Cross-model transfer", _matrix_rows(cross_model), _CROSS_CAPTION,
                         ("cross_model", cross_model_plot(cross_model))))
    if frames:
        sections.append(("Sample frames", None, _SAMPLES_CAPTION, ("samples", frames_plot(frames))))

    written = {}
    for _, _, _, plot in sections:
        if plot:
            written[plot[0]] = store.write_bytes(f"{stage}/{plot[0]}.png", plot[1]).path
    written["markdown"] = store.write_bytes(f"{stage}/report.md", _render_markdown(title, sections).encode()).path
    written["html"] = store.write_bytes(f"{stage}/report.html", _render_html(title, sections).encode()).path
    return written


# -- tables --------------------------------------------------------------------------------------

def _method_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    metrics = metrics_of(table)
    headers = ["Method", "n", *(label(m) for m in metrics)]
    rows = [[r["method"], str(int(r["n"])), *(interval(r[m], r[f"{m}_lo"], r[f"{m}_hi"]) for m in metrics)]
            for _, r in table.iterrows()]
    return headers, rows


def _win_rows(wins: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    pct = (lambda x: f"{100 * x:.0f}%" if np.isfinite(x) else "n/a")
    return (["Method", "Against", "Win", "Win, intent kept", "Tie", "Loss", "n"],
            [[r["method"], r["against"], pct(r["win"]), pct(r["kept_win"]), pct(r["tie"]), pct(r["loss"]),
              str(int(r["n"]))] for _, r in wins.iterrows()])


def _rewrite_rows(rewrites: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    return (["Method", "Original", "Rewrite", "Intent", "Lost"],
            [[r["method"], r["original"], r["prompt"], f"{r['intent']:.2f}", r["lost"] or "-"]
             for _, r in rewrites.iterrows()])


def _specificity_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    return (["Method", "Rewrites", "Distinct additions", "Boilerplate", "Top phrase", "Most common added phrases"],
            [[r["method"], str(r["rewrites"]), str(r["distinct"]), f"{100 * r['boilerplate']:.0f}%",
              f"{100 * r['top_share']:.0f}%", r["top_phrases"] or "-"] for _, r in table.iterrows()])


def _matrix_rows(matrix: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    headers = ["Enhancer \\ video model", *map(str, matrix.columns)]
    return headers, [[str(e), *(f"{v:+.2f}" if np.isfinite(v) else "n/a" for v in row)]
                     for e, row in zip(matrix.index, matrix.to_numpy(dtype=float))]


def _markdown(headers: list[str], rows: list[list[str]]) -> str:
    cell = (lambda s: str(s).replace("|", "\\|").replace("\n", " "))
    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- captions ------------------------------------------------------------------------------------

def _table_caption(aggregation: AggregationConfig, n_boot: int) -> str:
    dims = aggregation.dimensions
    bands = " and ".join(f"{DIMENSION_NAMES.get(d, label(d))} from {lo:g}-{hi:g}"
                         for d, (lo, hi) in aggregation.image_bands.items())
    weights = ", ".join(f"{label(d)} x{aggregation.weights[d]:g}" for d in dims)
    if dims == DIMENSIONS:
        video = ", ".join(f"{LABELS[d]} = {DIMENSION_NAMES[d]}" for d in VIDEO_DIMENSIONS)
        scales = (f"Video dimensions on VideoScore's 1-4 band: {video}. Image dimensions are raw means on their own "
                  f"bands; for the average and overall they are mapped linearly onto 1-4: {bands}.")
    else:
        scales = (f"The reward suite's own dimensions ({', '.join(map(label, dims))}), raw means"
                  + (f"; for the average and overall, {bands} are mapped linearly onto 1-4." if bands else
                     ", all on the 1-4 band."))
    return (f"Mean scores against the original prompt, with 95% bootstrap intervals ({n_boot} resamples of "
            f"prompts, seeds kept together). {scales} Average = mean of the {len(dims)} dimensions on 1-4. "
            f"Overall = weighted sum of the mapped dimensions used to rank prompts ({weights}). "
            f"Intent = mean share of the original's content (subjects, counts, colours, actions, places, styles, "
            f"numbers, quoted text) that the prompt keeps, 1 = all of it. n = scored videos (failed videos are "
            f"excluded).")


def _dimension_caption(aggregation: AggregationConfig) -> str:
    mapped = " and ".join(label(d) for d in aggregation.image_bands)
    mapped = f" ({mapped} mapped from their own bands)" if mapped else ""
    return (f"Every dimension on the 1-4 band{mapped}, so bars share one axis; "
            f"whiskers are 95% bootstrap intervals.")


_WIN_CAPTION = ("Fraction of (prompt, seed) pairs where the method's overall score beats, ties (difference "
                "below 1e-9) or loses to the reference's video from the same seed; pairs with a failed video are "
                "left out of n. 'Win, intent kept' counts a win only when the method's prompt keeps the original's "
                "content (intent at or above its threshold): a better video of another subject is no win. The plot "
                "shows the comparison with the original prompts.")
_REWRITES_CAPTION = ("The first prompts of each method: the user's original, what the method gave the video model, "
                     "the share of the original's content it kept (intent, 0-1) and what it lost, as judged by the "
                     "intent judge.")
_SPECIFICITY_CAPTION = ("What each method appends or adds to the user's prompt, one rewrite per prompt. Distinct "
                        "additions: different sets of added phrases. Boilerplate: rewrites all of whose added phrases "
                        "are on more than 20% of the method's rewrites (a constant suffix is 100%). Top phrase: the "
                        "share of rewrites carrying the most common added phrase.")
_TOO_LONG_CAPTION = ("Each method's rewrites counted in the video model's own tokens: one over the limit is cut by "
                     "the model, so what it renders is not what the method wrote.")
_EVOLUTION_CAPTION = ("Mean overall score per evolution round of the data engine: the original prompts and the "
                      "best prompt found so far for each.")
_STAGE_CAPTION = "Mean overall score of the original prompts and of the enhancer after each training stage."
_CROSS_CAPTION = ("Mean overall gain over the original prompts when an enhancer aligned to one video model "
                  "(row) rewrites prompts for another (column).")
_SAMPLES_CAPTION = (f"{STRIP_FRAMES} evenly spaced frames of the same seed's video for the original prompt and "
                    f"for the enhanced one.")


# -- rendering -----------------------------------------------------------------------------------

def _render_markdown(title: str, sections: list) -> str:
    parts = [f"# {title}\n"]
    for heading, rows, caption, plot in sections:
        parts.append(f"## {heading}\n")
        if rows:
            parts.append(_markdown(*rows))
        if plot:
            parts.append(f"![{heading}]({plot[0]}.png)\n")
        parts.append(f"*{caption}*\n")
    return "\n".join(parts)


def _render_html(title: str, sections: list) -> str:
    body = [f"<h1>{html.escape(title)}</h1>"]
    for heading, rows, caption, plot in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if rows:
            body.append(_html_table(*rows))
        if plot:
            data = base64.b64encode(plot[1]).decode()
            body.append(f'<img alt="{html.escape(heading)}" src="data:image/png;base64,{data}">')
        body.append(f'<p class="caption">{html.escape(caption)}</p>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
