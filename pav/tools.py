"""The commands around the method: render one prompt, score one video, pairs files in the release format, and the
services (`pav server` for Prefect, `pav serve` for the enhancer). cli.py registers them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from pav.console import out, print_evaluation, table


def report(run: Annotated[str, typer.Argument(help="Run root (the store of a finished evaluation)")],
           profile: Annotated[str, typer.Option("--profile", "-p",
                                                help="Profile of the run (its aggregation)")] = "demo",
           ) -> None:
    """Print the evaluation tables of a finished run (and the cross-model matrix) in the terminal."""
    from pav.config import load_config
    from pav.data.store import ArtifactRef, Store
    from pav.rewards.evaluation import cross_model_cells, cross_model_matrix
    from pav.tasks.evaluate import evaluations_by_model

    store = Store(run)
    found = [p for p in store.ls("eval") if "/evaluations/" in p and p.endswith(".parquet")]
    if not found:
        raise typer.BadParameter(f"{run} holds no evaluation (run `pav evaluate` or `pav pipeline` first)")
    cfg = load_config(profile, [f"store={run}"])
    for path in found:
        out.print(f"[bold]{path}[/]")
        print_evaluation(ArtifactRef(root=store.root, path=path, kind="evaluations"), cfg.rewards.aggregation,
                          cfg.evaluate.bootstrap)
    by_model = evaluations_by_model(store)
    if len(by_model) > 1:
        matrix = cross_model_matrix(cross_model_cells(by_model))
        out.print(table("Cross-model: mean overall gain over the original prompts (rows: enhancer, columns: "
                         "video model it was evaluated on)",
                         [{"enhancer": name, **row.to_dict()} for name, row in matrix.iterrows()]))
    for html in (p for p in store.ls("eval") if p.endswith(".html")):
        out.print(f"report -> {store.url(html)}")


def generate(prompt: Annotated[str, typer.Argument(help="Prompt to render")],
             model: Annotated[str, typer.Option("--video-model", help="Video model (registry name)")] = "sim-steady",
             out_dir: Annotated[Path, typer.Option("--out", help="Directory for the mp4 and preview")] = Path("."),
             seed: int = 0,
             option: Annotated[Optional[list[str]], typer.Option("--option", help="Generator option KEY=VALUE")] = None,
             ) -> None:
    """Render one prompt to an mp4 plus a PNG strip of frames to look at."""
    from pav.data.store import Store
    from pav.data.video import preview_png
    from pav.models.generators import load_generator
    from pav.models.rendering import render
    from pav.overrides import dotted

    if not prompt.strip():
        raise typer.BadParameter("the prompt is empty")
    options = dotted(option or [])
    try:
        load_generator(model, options)
    except (ValueError, TypeError) as e:
        raise typer.BadParameter(str(e)) from None
    store = Store(out_dir)
    videos, _ = render(store, model, options, [prompt], [seed])
    row = videos.iloc[0]
    if row["error"]:
        out.print(f"[red]generation failed:[/] {row['error']}")
        raise typer.Exit(1)
    from pav.data.video import decode_mp4

    frames, _ = decode_mp4(store.read_bytes(row["path"]))
    store.write_bytes(f"{row['video_id']}.png", preview_png(frames))
    out.print(f"video   {store.url(row['path'])}\npreview {store.url(row['video_id'] + '.png')}")


def score(path: Annotated[Path, typer.Argument(help="An mp4 file")],
          prompt: Annotated[str, typer.Option("--prompt", help="The ORIGINAL user prompt")],
          profile: Annotated[str, typer.Option("--profile", "-p", help="Profile whose reward suite, its options and "
                                                                       "aggregation score the video")] = "demo",
          suite: Annotated[Optional[str], typer.Option(help="Reward suite, over the profile's")] = None,
          set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field, e.g. "
                                                                          "rewards.options.http.url=...")] = None,
          ) -> None:
    """Score a video on the reward suite's dimensions against the original prompt."""
    from pav.config import load_config
    from pav.data.schemas import DIMENSION_NAMES
    from pav.data.video import VideoDecodeError, decode_mp4
    from pav.report_plots import label
    from pav.rewards.aggregate import normalised, overall, passes
    from pav.rewards import suite_rewards
    import pandas as pd

    if not path.is_file():
        raise typer.BadParameter(f"{path} does not exist")
    try:
        frames, _ = decode_mp4(path.read_bytes())
    except VideoDecodeError as e:
        raise typer.BadParameter(f"{path}: {e}") from None
    rewards = load_config(profile, [*([f"rewards.suite={suite}"] if suite else []), *(set_ or [])]).rewards
    agg = rewards.aggregation
    row: dict = {}
    for reward in suite_rewards(rewards.suite, rewards.options, agg.dimensions):
        row.update(reward.score([frames], [prompt])[0])
    df = pd.DataFrame([row])
    norm = normalised(df, agg).iloc[0]
    table = Table(title=f"{path.name} vs {prompt!r}")
    for col in ("dimension", "score", "on 1-4", "threshold"):
        table.add_column(col, justify="left" if col == "dimension" else "right")
    for d in agg.dimensions:
        table.add_row(DIMENSION_NAMES.get(d, label(d)), f"{row[d]:.3f}", f"{norm[d]:.3f}", f"{agg.thresholds[d]:.2f}")
    table.add_row("[bold]overall[/]", f"{overall(df, agg).iloc[0]:.3f}", "",
                  "passes" if passes(df, agg).iloc[0] else "fails")
    out.print(table)


def pairs_export(pairs_path: Annotated[str, typer.Argument(help="Pairs Parquet artifact (path or URL)")],
                 dest: Annotated[Path, typer.Argument(help="JSON file to write")]) -> None:
    """Write pairs in the official release format: a JSON list of (original, target) pairs."""
    from pav.data.pairs_io import export_pairs

    n = export_pairs(pairs_path, dest)
    out.print(f"{n} pairs -> {dest}")


def pairs_import(source: Annotated[Path, typer.Argument(help="JSON list of [original, target]")],
                 store: Annotated[str, typer.Option("--store", help="Run root to import into")] = "runs/imported",
                 ) -> None:
    """Read pairs in the release format into a pairs artifact that `pav train --pairs` can use."""
    from pav.data.pairs_io import import_pairs

    ref = import_pairs(source, store)
    out.print(f"{len(ref.read())} pairs -> {ref.root}/{ref.path}")


def server(host: str = "127.0.0.1", port: int = 4200,
           database_url: Annotated[Optional[str], typer.Option(
               help="PostgreSQL URL (postgresql+asyncpg://...); SQLite under PREFECT_HOME by default")] = None,
           ) -> None:
    """Start the Prefect server with its UI in the foreground (Ctrl-C stops it cleanly)."""
    from pav.services import run_server

    raise typer.Exit(run_server(host, port, database_url))


def serve(model: Annotated[str, typer.Option("--model", help="Trained model directory (pav train prints it)")],
          host: str = "127.0.0.1", port: int = 8000,
          device: Annotated[str, typer.Option(help="cpu, cuda, cuda:1, ...")] = "cpu",
          dtype: Annotated[str, typer.Option(help="fp32 (the CPU default), bf16 or fp16 on a GPU")] = "fp32",
          max_batch: Annotated[int, typer.Option(help="Most requests in one generate call")] = 16,
          max_wait_ms: Annotated[float, typer.Option(help="How long the first request waits for company")] = 20,
          queue: Annotated[int, typer.Option(help="Requests that may wait; beyond it a request gets 503")] = 64,
          api_key_env: Annotated[Optional[str], typer.Option(
              help="Environment variable holding the bearer key clients must send (default: no key)")] = None,
          video_model: Annotated[Optional[str], typer.Option(
              "--for-profile", help="Fit rewrites to this profile's video model's token limit (e.g. gpu-ltx)")] = None,
          token_limit: Annotated[Optional[int], typer.Option(
              help="Most tokens a rewrite may take (words and punctuation, or the profile's tokenizer)")] = None,
          ) -> None:
    """Serve a trained enhancer over the OpenAI chat-completions protocol (and /v1/enhance) until SIGTERM."""
    from pav.models.generators import text_limit
    from pav.models.text_limit import TextLimit
    from pav.serve import serve as run

    if min(max_batch, queue) < 1 or max_wait_ms < 0 or (token_limit is not None and token_limit < 1):
        raise typer.BadParameter("--max-batch, --queue and --token-limit must be >= 1 and --max-wait-ms >= 0")
    limit = TextLimit(token_limit) if token_limit else None
    if video_model:
        from pav.config import load_config

        generator = load_config(video_model).generator
        limit = text_limit(generator.name, generator.options, token_limit or generator.token_limit)
    run(model, host, port, device, dtype, max_batch, max_wait_ms, queue, api_key_env, limit)
