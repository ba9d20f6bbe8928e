"""What `pav` prints: rich tables of evolution rounds and evaluations (piped output keeps them whole), and bad input
or an unreachable server as one line instead of a traceback."""

from __future__ import annotations

import contextlib
import functools
import sys

import typer
from rich.console import Console
from rich.table import Table

out = Console(width=None if sys.stdout.isatty() else 160)


def table(title: str, rows: list[dict]) -> Table:
    t = Table(title=title)
    for key in rows[0] if rows else []:
        t.add_column(str(key), justify="right" if isinstance(rows[0][key], (int, float)) else "left")
    for row in rows:
        t.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    return t


def print_rounds(rounds: list[dict]) -> None:
    keys = {"round": "round", "candidates": "videos", "original_overall": "originals", "best_overall": "best so far",
            "improved": "improved", "drifted": "lost intent", "pairs": "pairs", "calls": "op calls",
            "cached": "op cached",
            "prompt_tokens": "tokens in", "completion_tokens": "tokens out", "operator_failures": "op failures",
            "over_token_limit": "too long"}
    out.print(table("Evolution by round: mean overall of each prompt's best so far vs the originals",
                     [{label: r[k] for k, label in keys.items()} for r in rounds]))


def print_evaluation(evaluations_ref, aggregation, n_boot: int) -> None:
    from pav.report import terminal_rows
    from pav.rewards.evaluation import method_table, references, win_rates
    from pav.rewards.specificity import specificity

    evals = evaluations_ref.read()
    dims = "the seven" if aggregation.suite_dimensions is None else f"the {len(aggregation.dimensions)} dimensions"
    out.print(table(f"Per-dimension means by method (average = mean of {dims} on the 1-4 band; intent = share "
                     "of the original's content kept)", terminal_rows(method_table(evals, aggregation, n_boot=n_boot))))
    wins = win_rates(evals, references(evals))
    out.print(table("Win rates on the overall reward (same prompt and seed); 'kept' counts a win only when the "
                     "rewrite keeps the original's intent",
                     [{"method": r["method"], "against": r["against"], "win": r["win"], "win, kept": r["kept_win"],
                       "tie": r["tie"], "loss": r["loss"], "n": int(r["n"])} for _, r in wins.iterrows()]))
    out.print(table("What each method adds: distinct sets of added phrases, boilerplate (rewrites whose every added "
                     "phrase is on more than 20% of the method's rewrites) and the most common added phrases",
                     [{"method": r["method"], "distinct": f"{r['distinct']}/{r['rewrites']}",
                       "boilerplate": round(float(r["boilerplate"]), 2), "top phrase": round(float(r["top_share"]), 2),
                       "most common": r["top_phrases"]} for _, r in specificity(evals).iterrows()]))


def one_line_errors(command):
    """Bad input (a ValueError naming the problem, ArtifactError included) is one line and exit 1, no traceback;
    so is a server that cannot be reached (the Prefect API, an endpoint), named with its address."""
    import httpx

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ValueError as e:
            typer.echo(f"Error: {e}", err=True)
            raise typer.Exit(1) from None
        except (httpx.TransportError, ConnectionError) as e:
            where = None
            with contextlib.suppress(RuntimeError):  # httpx raises when an error carries no request
                where = e.request.url if isinstance(e, httpx.TransportError) else None
            typer.echo(f"Error: cannot reach {where or 'the server'}: {e} (is it running? PREFECT_API_URL says which "
                       "Prefect API pav talks to)", err=True)
            raise typer.Exit(1) from None
    return run
