"""`pav`: the map of the project. Each subcommand runs a flow, a stage or a service."""

from __future__ import annotations

from pav.environment import apply_defaults

apply_defaults()  # before Prefect or Hugging Face libraries are imported

import contextlib  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pav.progress import stage_output  # noqa: E402

app = typer.Typer(help="prompt-a-video: align a prompt-rewriting LLM to one text-to-video model's preferences "
                       "(Prompt-A-Video, ICCV 2025) as Prefect flows.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
pairs_app = typer.Typer(help="SFT pairs in the paper's release format: a JSON list of (original, target) pairs.",
                        no_args_is_help=True)
app.add_typer(pairs_app, name="pairs")


@app.callback()
def _leave_nothing_behind() -> None:
    """Run as the `pav` command (not inside another program), start the watchdog that ends this command's
    children (Prefect's API server, workers' runs) should it die before it can (pav/reaper.py)."""
    if Path(sys.argv[0]).name in ("pav", "cli.py"):
        from pav.reaper import watch

        watch()


out = Console(width=None if sys.stdout.isatty() else 160)  # piped output: keep the tables whole

Profile = Annotated[str, typer.Option("--profile", "-p", help="Profile: quick (CI-sized) or demo (embedded default)")]
StoreOpt = Annotated[Optional[str], typer.Option("--store", help="Run root: local path or fsspec URL")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field, e.g. evolve.rounds=2")]
PromptsOpt = Annotated[Optional[Path], typer.Option(
    "--prompts", help="A text file of your own prompts, one a line (instead of the profile's VBench sample)")]


def _prompts(section: str, path: Path | None) -> list[str]:
    """--prompts FILE as an override of a section's prompt set (its offset, limit and stride start afresh)."""
    return [f"{section}.prompts={{source: file, path: {json.dumps(str(path))}}}"] if path else []


def _config(profile: str, store: str | None, sets: list[str] | None):
    from pav.config import load_config

    overrides = list(sets or []) + ([f"store={store}"] if store else [])
    try:
        return load_config(profile, overrides)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def _table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title)
    for key in rows[0] if rows else []:
        table.add_column(str(key), justify="right" if isinstance(rows[0][key], (int, float)) else "left")
    for row in rows:
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    return table


@app.command()
def config(profile: Profile = "demo", store: StoreOpt = None, set_: SetOpt = None) -> None:
    """Print the resolved configuration of a profile (with overrides) as YAML."""
    import yaml

    out.print(yaml.safe_dump(_config(profile, store, set_).model_dump(mode="json"), sort_keys=False))


@app.command()
def evolve(profile: Profile = "demo", store: StoreOpt = None, set_: SetOpt = None, prompts: PromptsOpt = None) -> None:
    """Run the data engine: evolve prompts against the video model's rewards, write SFT pairs."""
    from pav.flows.evolve import evolve as evolve_flow

    cfg = _config(profile, store, (set_ or []) + _prompts("evolve", prompts))
    _check_prompt_sets(cfg, cfg.evolve.prompts)
    with stage_output(cfg.store, "evolve"):
        result = evolve_flow(cfg)
    _print_rounds(result["rounds"])
    pairs = result["pairs"].read()
    out.print(f"[bold]{len(pairs)}[/] SFT pairs -> {result['pairs'].root}/{result['pairs'].path}")
    out.print(f"evolution log -> {result['log'].root}/{result['log'].path}")


def _check_prompt_sets(cfg, *specs) -> None:
    """Read each prompt set before a flow starts, so bad input is one message instead of a failed run."""
    from pav.data.prompts import load_prompts
    from pav.data.store import Store

    for spec in specs:
        load_prompts(spec, Store(cfg.store))


def _gate_prompts(cfg) -> list:
    return [cfg.train.round_gate.prompts] if cfg.train.round_gate.enabled and cfg.train.dpo_rounds else []


def _print_rounds(rounds: list[dict]) -> None:
    keys = {"round": "round", "candidates": "videos", "original_overall": "originals", "best_overall": "best so far",
            "improved": "improved", "drifted": "lost intent", "pairs": "pairs", "calls": "op calls",
            "cached": "op cached",
            "prompt_tokens": "tokens in", "completion_tokens": "tokens out", "operator_failures": "op failures"}
    out.print(_table("Evolution by round: mean overall of each prompt's best so far vs the originals",
                     [{label: r[k] for k, label in keys.items()} for r in rounds]))


def _model_ref(path: str):
    """A stored model directory (with merged/ and adapter/) given as a path or URL."""
    from pav.data.store import ArtifactRef

    root, _, name = path.rstrip("/").rpartition("/")
    ref = ArtifactRef(root=root or ".", path=name, kind="dir")
    if not ref.exists():
        raise typer.BadParameter(f"{path} is not a finished model directory (trained by `pav train`)")
    return ref


def _print_evaluation(evaluations_ref, aggregation, n_boot: int) -> None:
    from pav.report import terminal_rows
    from pav.rewards.evaluation import method_table, references, win_rates
    from pav.rewards.specificity import specificity

    evals = evaluations_ref.read()
    out.print(_table("Per-dimension means by method (average = mean of the seven on the 1-4 band; intent = share "
                     "of the original's content kept)", terminal_rows(method_table(evals, aggregation, n_boot=n_boot))))
    wins = win_rates(evals, references(evals))
    out.print(_table("Win rates on the overall reward (same prompt and seed); 'kept' counts a win only when the "
                     "rewrite keeps the original's intent",
                     [{"method": r["method"], "against": r["against"], "win": r["win"], "win, kept": r["kept_win"],
                       "tie": r["tie"], "loss": r["loss"], "n": int(r["n"])} for _, r in wins.iterrows()]))
    out.print(_table("What each method adds: distinct sets of added phrases, boilerplate (rewrites whose every added "
                     "phrase is on more than 20% of the method's rewrites) and the most common added phrases",
                     [{"method": r["method"], "distinct": f"{r['distinct']}/{r['rewrites']}",
                       "boilerplate": round(float(r["boilerplate"]), 2), "top phrase": round(float(r["top_share"]), 2),
                       "most common": r["top_phrases"]} for _, r in specificity(evals).iterrows()]))


@app.command()
def train(profile: Profile = "demo", store: StoreOpt = None, set_: SetOpt = None,
          pairs: Annotated[Optional[str], typer.Option(
              help="Pairs artifact (path relative to the store); default: run the data engine (cached)")] = None,
          ) -> None:
    """Train the enhancer: LoRA SFT on the pairs, then the DPO rounds."""
    from pav.data.store import ArtifactRef, Store
    from pav.flows.evolve import evolve as evolve_flow
    from pav.flows.train import train as train_flow

    cfg = _config(profile, store, set_)
    ref = None
    if pairs:
        ref = ArtifactRef(root=Store(cfg.store).root, path=pairs, kind="pairs")
        if not ref.exists():
            raise typer.BadParameter(f"{Store(cfg.store).url(pairs)} does not exist")
    _check_prompt_sets(cfg, *([] if pairs else [cfg.evolve.prompts]), cfg.train.dpo_prompts, *_gate_prompts(cfg))
    with stage_output(cfg.store, "train"):
        ref = ref if pairs else evolve_flow(cfg)["pairs"]
        result = train_flow(cfg, ref)
    for name, model in result["models"].items():
        metrics = Store(model.root).read_json(f"{model.path}.metrics.json")
        extra = {k: round(v, 3) for k, v in metrics.items() if k.endswith("_last") and isinstance(v, float)}
        out.print(f"[bold]{name}[/] {Store(model.root).url(model.path)}  steps={metrics['steps']} "
                  f"seconds={metrics['seconds']} {extra}")
        gate = result["stages"][name].get("gate")
        if gate:
            out.print(f"  round gate: {'kept' if gate['kept_round'] else '[yellow]refused[/], the previous policy stays'}"
                      f" ({gate['reason']})")


@app.command()
def enhance(prompts: Annotated[Optional[list[str]], typer.Argument(help="Prompts (or --file, or stdin)")] = None,
            model: Annotated[str, typer.Option("--model", help="Trained model directory (pav train prints it)")] = "",
            file: Annotated[Optional[Path], typer.Option("--file", help="Text file, one prompt a line")] = None,
            temperature: Annotated[float, typer.Option(help="0 = greedy")] = 0.0,
            max_new_tokens: int = 160,
            device: Annotated[str, typer.Option(help="cpu, cuda, cuda:1, ...")] = "cpu",
            dtype: Annotated[str, typer.Option(help="fp32, bf16 (on a GPU) or fp16")] = "fp32") -> None:
    """Print the enhanced prompt(s) of a trained model."""
    from pav.models.enhancer import Enhancer

    texts = list(prompts or [])
    if file is not None:
        if not file.is_file():
            raise typer.BadParameter(f"{file} does not exist")
        texts += file.read_text(encoding="utf-8").splitlines()
    if not texts and not sys.stdin.isatty():
        texts = sys.stdin.read().splitlines()
    texts = [t for t in texts if t.strip()] if (file is not None or not prompts) else texts
    if not texts:
        raise typer.BadParameter("no prompt given (arguments, --file or stdin)")
    if not model:
        raise typer.BadParameter("--model is required: a directory written by `pav train`")
    path = Path(model)
    path = path / "merged" if (path / "merged").is_dir() else path
    if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
        raise typer.BadParameter(f"{model} is not a model directory (no merged/, config.json or adapter_config.json)")
    try:
        results = Enhancer.from_pretrained(path, device, dtype).enhance(texts, temperature=temperature,
                                                                        max_new_tokens=max_new_tokens)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    for text in results:
        print(text)


@app.command()
def evaluate(profile: Profile = "demo", store: StoreOpt = None, set_: SetOpt = None,
             model: Annotated[Optional[str], typer.Option(
                 "--video-model", help="Video model to evaluate on (default: the profile's)")] = None,
             enhancer: Annotated[Optional[list[str]], typer.Option(
                 help="NAME=MODEL_DIR of a trained enhancer (repeatable), e.g. for another video model")] = None,
             prompts: PromptsOpt = None,
             ) -> None:
    """Compare original prompts, baselines and enhancers on held-out prompts; write the report."""
    from pav.flows.evaluate import evaluate as evaluate_flow

    cfg = _config(profile, store, (set_ or []) + ([f"generator.name={model}"] if model else [])
                  + _prompts("evaluate", prompts))
    enhancers = {}
    for item in enhancer or []:
        name, sep, path = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--enhancer {item!r}: expected NAME=MODEL_DIR")
        enhancers[name] = _model_ref(path)
    _check_prompt_sets(cfg, cfg.evaluate.prompts)
    with stage_output(cfg.store, "evaluate"):
        result = evaluate_flow(cfg, enhancers)
    _print_evaluation(result["evaluations"], cfg.rewards.aggregation, cfg.evaluate.bootstrap)
    from pav.data.store import Store

    out.print(f"report -> {Store(cfg.store).url(result['report']['html'])}")


@app.command()
def pipeline(profile: Profile = "demo", store: StoreOpt = None, set_: SetOpt = None) -> None:
    """The whole method: evolve -> SFT -> DPO-1 -> DPO-2 -> evaluate, cached and resumable."""
    from pav.data.store import Store
    from pav.flows.pipeline import pipeline as pipeline_flow

    cfg = _config(profile, store, set_)
    _check_prompt_sets(cfg, cfg.evolve.prompts, cfg.train.dpo_prompts, *_gate_prompts(cfg), cfg.evaluate.prompts)
    with stage_output(cfg.store, "pipeline"):
        result = pipeline_flow(cfg)
    _print_rounds(result["evolve"]["rounds"])
    evaluated = result["evaluate"]
    _print_evaluation(evaluated["evaluations"], cfg.rewards.aggregation, cfg.evaluate.bootstrap)
    out.print(f"report -> {Store(cfg.store).url(evaluated['report']['html'])}")


@app.command()
def report(run: Annotated[str, typer.Argument(help="Run root (the store of a finished evaluation)")],
           profile: Profile = "demo") -> None:
    """Print the evaluation tables of a finished run (and the cross-model matrix) in the terminal."""
    from pav.data.store import ArtifactRef, Store
    from pav.rewards.evaluation import cross_model_cells, cross_model_matrix
    from pav.tasks.evaluate import evaluations_by_model

    store = Store(run)
    found = [p for p in store.ls("eval") if "/evaluations/" in p and p.endswith(".parquet")]
    if not found:
        raise typer.BadParameter(f"{run} holds no evaluation (run `pav evaluate` or `pav pipeline` first)")
    cfg = _config(profile, run, None)
    for path in found:
        out.print(f"[bold]{path}[/]")
        _print_evaluation(ArtifactRef(root=store.root, path=path, kind="evaluations"), cfg.rewards.aggregation,
                          cfg.evaluate.bootstrap)
    by_model = evaluations_by_model(store)
    if len(by_model) > 1:
        matrix = cross_model_matrix(cross_model_cells(by_model))
        out.print(_table("Cross-model: mean overall gain over the original prompts (rows: enhancer, columns: "
                         "video model it was evaluated on)",
                         [{"enhancer": name, **row.to_dict()} for name, row in matrix.iterrows()]))
    for html in (p for p in store.ls("eval") if p.endswith(".html")):
        out.print(f"report -> {store.url(html)}")


@app.command()
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
    from pav.tasks.generate import render
    from pav.config import dotted

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


@app.command()
def score(path: Annotated[Path, typer.Argument(help="An mp4 file")],
          prompt: Annotated[str, typer.Option("--prompt", help="The ORIGINAL user prompt")],
          suite: Annotated[str, typer.Option(help="Reward suite")] = "cv") -> None:
    """Score a video on the seven dimensions against the original prompt."""
    from pav.data.schemas import DIMENSION_NAMES, DIMENSIONS
    from pav.data.video import VideoDecodeError, decode_mp4
    from pav.rewards.aggregate import AggregationConfig, normalised, overall, passes
    from pav.rewards import suite_rewards
    import pandas as pd

    if not path.is_file():
        raise typer.BadParameter(f"{path} does not exist")
    try:
        frames, _ = decode_mp4(path.read_bytes())
    except VideoDecodeError as e:
        raise typer.BadParameter(f"{path}: {e}") from None
    row: dict = {}
    for reward in suite_rewards(suite):
        row.update(reward.score([frames], [prompt])[0])
    df = pd.DataFrame([row])
    agg = AggregationConfig()
    norm = normalised(df, agg).iloc[0]
    table = Table(title=f"{path.name} vs {prompt!r}")
    for col in ("dimension", "score", "on 1-4", "threshold"):
        table.add_column(col, justify="left" if col == "dimension" else "right")
    for d in DIMENSIONS:
        table.add_row(DIMENSION_NAMES[d], f"{row[d]:.3f}", f"{norm[d]:.3f}", f"{agg.thresholds.get(d, 0):.2f}")
    table.add_row("[bold]overall[/]", f"{overall(df, agg).iloc[0]:.3f}", "",
                  "passes" if passes(df, agg).iloc[0] else "fails")
    out.print(table)


@pairs_app.command("export")
def pairs_export(pairs_path: Annotated[str, typer.Argument(help="Pairs Parquet artifact (path or URL)")],
                 dest: Annotated[Path, typer.Argument(help="JSON file to write")]) -> None:
    """Write pairs in the official release format: a JSON list of (original, target) pairs."""
    from pav.data.pairs_io import export_pairs

    n = export_pairs(pairs_path, dest)
    out.print(f"{n} pairs -> {dest}")


@pairs_app.command("import")
def pairs_import(source: Annotated[Path, typer.Argument(help="JSON list of [original, target]")],
                 store: Annotated[str, typer.Option("--store", help="Run root to import into")] = "runs/imported",
                 ) -> None:
    """Read pairs in the release format into a pairs artifact that `pav train --pairs` can use."""
    from pav.data.pairs_io import import_pairs

    ref = import_pairs(source, store)
    out.print(f"{len(ref.read())} pairs -> {ref.root}/{ref.path}")


@app.command()
def server(host: str = "127.0.0.1", port: int = 4200,
           database_url: Annotated[Optional[str], typer.Option(
               help="PostgreSQL URL (postgresql+asyncpg://...); SQLite under PREFECT_HOME by default")] = None,
           ) -> None:
    """Start the Prefect server with its UI in the foreground (Ctrl-C stops it cleanly)."""
    from pav.services import run_server

    raise typer.Exit(run_server(host, port, database_url))


@app.command()
def serve(model: Annotated[str, typer.Option("--model", help="Trained model directory (pav train prints it)")],
          host: str = "127.0.0.1", port: int = 8000,
          device: Annotated[str, typer.Option(help="cpu, cuda, cuda:1, ...")] = "cpu",
          dtype: Annotated[str, typer.Option(help="fp32 (the CPU default), bf16 or fp16 on a GPU")] = "fp32",
          max_batch: Annotated[int, typer.Option(help="Most requests in one generate call")] = 16,
          max_wait_ms: Annotated[float, typer.Option(help="How long the first request waits for company")] = 20,
          queue: Annotated[int, typer.Option(help="Requests that may wait; beyond it a request gets 503")] = 64,
          api_key_env: Annotated[Optional[str], typer.Option(
              help="Environment variable holding the bearer key clients must send (default: no key)")] = None,
          ) -> None:
    """Serve a trained enhancer over the OpenAI chat-completions protocol (and /v1/enhance) until SIGTERM."""
    from pav.serve import serve as run

    if min(max_batch, queue) < 1 or max_wait_ms < 0:
        raise typer.BadParameter("--max-batch and --queue must be >= 1 and --max-wait-ms >= 0")
    run(model, host, port, device, dtype, max_batch, max_wait_ms, queue, api_key_env)


from pav import ops  # noqa: E402

app.command("deploy")(ops.deploy)
app.command("worker")(ops.worker)
app.command("retry")(ops.retry)


def _clean_errors(command):
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


for _group in (app, pairs_app):
    for _command in _group.registered_commands:
        _command.callback = _clean_errors(_command.callback)


if __name__ == "__main__":
    sys.exit(app())
