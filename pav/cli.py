"""`pav`: the map of the project. Each subcommand runs a flow, a stage or a service."""

from __future__ import annotations

from pav.environment import apply_defaults

apply_defaults()  # before Prefect or Hugging Face libraries are imported

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, Optional  # noqa: E402

import typer  # noqa: E402

from pav.console import one_line_errors, out, print_evaluation, print_rounds  # noqa: E402
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


Profile = Annotated[str, typer.Option("--profile", "-p", help="Profile: quick (CI-sized) or demo (embedded default)")]
StoreOpt = Annotated[Optional[str], typer.Option("--store", help="Run root: local path or fsspec URL")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config field, e.g. evolve.rounds=2")]
PromptsOpt = Annotated[Optional[Path], typer.Option(
    "--prompts", help="A text file of your own prompts, one a line (instead of the profile's VBench sample)")]


def _prompts(section: str, path: Path | None) -> list[str]:
    """--prompts FILE as an override of a section's prompt set (its offset, limit and stride start afresh); the
    data engine then evolves that file alone, without the profile's extra sets."""
    if not path:
        return []
    extra = ["evolve.extra_prompts=[]"] if section == "evolve" else []
    return [f"{section}.prompts={{source: file, path: {json.dumps(str(path))}}}", *extra]


def _config(profile: str, store: str | None, sets: list[str] | None):
    from pav.config import load_config

    overrides = list(sets or []) + ([f"store={store}"] if store else [])
    try:
        return load_config(profile, overrides)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


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
    _check_prompt_sets(cfg, *cfg.evolve.source_sets)
    with stage_output(cfg.store, "evolve"):
        result = evolve_flow(cfg)
    print_rounds(result["rounds"])
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


def _model_ref(path: str):
    """A stored model directory (with merged/ and adapter/) given as a path or URL."""
    from pav.data.store import ArtifactRef

    root, _, name = path.rstrip("/").rpartition("/")
    ref = ArtifactRef(root=root or ".", path=name, kind="dir")
    if not ref.exists():
        raise typer.BadParameter(f"{path} is not a finished model directory (trained by `pav train`)")
    return ref


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
    _check_prompt_sets(cfg, *([] if pairs else cfg.evolve.source_sets), cfg.train.dpo_prompts, *_gate_prompts(cfg))
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
    from pav.models.enhancer import Enhancer, enhancer_dir

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
    try:
        results = Enhancer.from_pretrained(enhancer_dir(model), device, dtype).enhance(texts, temperature=temperature,
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
    print_evaluation(result["evaluations"], cfg.rewards.aggregation, cfg.evaluate.bootstrap)
    from pav.data.store import Store

    out.print(f"report -> {Store(cfg.store).url(result['report']['html'])}")


@app.command()
def pipeline(profile: Profile = "demo", store: StoreOpt = None, set_: SetOpt = None) -> None:
    """The whole method: evolve -> SFT -> DPO-1 -> DPO-2 -> evaluate, cached and resumable."""
    from pav.data.store import Store
    from pav.flows.pipeline import pipeline as pipeline_flow

    cfg = _config(profile, store, set_)
    _check_prompt_sets(cfg, *cfg.evolve.source_sets, cfg.train.dpo_prompts, *_gate_prompts(cfg), cfg.evaluate.prompts)
    with stage_output(cfg.store, "pipeline"):
        result = pipeline_flow(cfg)
    print_rounds(result["evolve"]["rounds"])
    evaluated = result["evaluate"]
    print_evaluation(evaluated["evaluations"], cfg.rewards.aggregation, cfg.evaluate.bootstrap)
    out.print(f"report -> {Store(cfg.store).url(evaluated['report']['html'])}")


from pav import ops, tools  # noqa: E402

for _command in (tools.report, tools.generate, tools.score, tools.server, tools.serve, ops.deploy, ops.worker,
                 ops.retry):
    app.command()(_command)
pairs_app.command("export")(tools.pairs_export)
pairs_app.command("import")(tools.pairs_import)


for _group in (app, pairs_app):
    for _command in _group.registered_commands:
        _command.callback = one_line_errors(_command.callback)


if __name__ == "__main__":
    sys.exit(app())
