"""Prompt sets: the bundled VBench suite, the bundled everyday prompts, the bundled PartiPrompts (images), a text
file, or a prompts artifact -> prompts records."""

from __future__ import annotations

import csv
import logging
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pav.data.store import Store, content_key

log = logging.getLogger(__name__)

VBENCH_LISTS = ("all_dimension",) + tuple(
    p.name.removesuffix(".txt")
    for p in sorted(resources.files("pav.data").joinpath("vbench/prompts_per_dimension").iterdir())
    if p.name.endswith(".txt"))
# Published rewrites of all_dimension.txt, line-aligned with it (evaluation baselines).
VBENCH_REWRITES = {
    "gpt4-upsampler": "all_dimension_gpt_enhanced.txt",
    "wan-extender": "all_dimension_wan_extended.txt",
}
PARTI_CATEGORIES = ("Abstract", "Animals", "Artifacts", "Arts", "Food & Beverage", "Illustrations",
                    "Indoor Scenes", "Outdoor Scenes", "People", "Produce & Plants", "Vehicles", "World Knowledge")


class PromptSet(BaseModel):
    """Which prompts a stage works on."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["vbench", "everyday", "parti", "file", "artifact"] = Field(
        "vbench", description="The bundled VBench suite, the bundled everyday prompts in users' words (for training; "
                              "no evaluation set holds them), the bundled PartiPrompts (image prompts), a text file "
                              "(one prompt a line) or a prompts artifact")
    vbench_list: Literal[VBENCH_LISTS] = Field(  # type: ignore[valid-type]
        "all_dimension", description="VBench list: all_dimension (946 prompts) or one per-dimension list")
    parti_categories: list[Literal[PARTI_CATEGORIES]] | None = Field(  # type: ignore[valid-type]
        None, description="PartiPrompts categories to take, e.g. [Animals, People, Vehicles] (empty: all)")
    path: str | None = Field(None, description="Text file, or Parquet artifact path relative to the store root")
    offset: int = Field(0, ge=0, description="Skip this many prompts (after cleaning)")
    limit: int | None = Field(None, ge=1, description="Keep at most this many prompts")
    stride: int = Field(1, ge=1, description="Take every stride-th prompt (spreads a sample over the suite)")


def prompt_id(text: str) -> str:
    return content_key("prompt", text)


def vbench_text(filename: str) -> str:
    base = resources.files("pav.data").joinpath("vbench")
    target = base.joinpath(filename) if (base / filename).is_file() else base / "prompts_per_dimension" / filename
    return target.read_text(encoding="utf-8")


def parti_prompts(categories: list[str] | None = None) -> list[str]:
    """The bundled PartiPrompts, in file order, of `categories` (None: all)."""
    text = resources.files("pav.data").joinpath("parti", "PartiPrompts.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return [r["Prompt"] for r in rows if categories is None or r["Category"] in categories]


def clean_prompts(lines: list[str], where: str, level: int = logging.WARNING) -> list[str]:
    """Strip, drop blank lines and duplicates (keeping first occurrences), saying how many went."""
    stripped = [line.strip() for line in lines]
    kept = list(dict.fromkeys(s for s in stripped if s))
    blank = sum(1 for s in stripped if not s)
    dupes = len(stripped) - blank - len(kept)
    if blank or dupes:
        log.log(level, "%s: dropped %d blank lines and %d duplicates", where, blank, dupes)
    return kept


def load_prompts(spec: PromptSet, store: Store | None = None) -> pd.DataFrame:
    """Prompts records (prompt_id, prompt, source); an empty set is an error naming its source."""
    if spec.source == "vbench":
        where = f"vbench/{spec.vbench_list}"
        # the bundled suite repeats 2 prompts: known, so not worth a warning on every run
        texts = clean_prompts(vbench_text(f"{spec.vbench_list}.txt").splitlines(), where, logging.INFO)
    elif spec.source == "everyday":
        where = "everyday/train"
        text = resources.files("pav.data").joinpath("everyday", "train.txt").read_text(encoding="utf-8")
        texts = clean_prompts(text.splitlines(), where)
    elif spec.source == "parti":
        where = "parti" + (f"/{'+'.join(spec.parti_categories)}" if spec.parti_categories else "")
        texts = clean_prompts(parti_prompts(spec.parti_categories), where, logging.INFO)
    elif spec.source == "file":
        if not spec.path:
            raise ValueError("prompt set: source 'file' needs a path")
        path = Path(spec.path)
        if not path.is_file():
            raise ValueError(f"prompt file {path} does not exist")
        where = str(path)
        texts = clean_prompts(path.read_text(encoding="utf-8").splitlines(), where)
    else:
        if not spec.path or store is None:
            raise ValueError("prompt set: source 'artifact' needs a path and a store")
        where = store.url(spec.path)
        texts = clean_prompts(store.read_table(spec.path, "prompts")["prompt"].tolist(), where)
    available = len(texts)
    texts = texts[spec.offset::spec.stride]
    if spec.limit is not None:
        texts = texts[:spec.limit]
    log.info("prompt set %s: kept %d of %d prompts (offset %d, stride %d, limit %s)", where, len(texts),
             available, spec.offset, spec.stride, spec.limit)
    if not texts:
        raise ValueError(f"prompt set {where} (offset {spec.offset}, limit {spec.limit}) holds no prompts")
    return pd.DataFrame({"prompt_id": [prompt_id(t) for t in texts], "prompt": texts, "source": where})


def load_prompt_sets(specs: list[PromptSet], store: Store | None = None) -> pd.DataFrame:
    """Several prompt sets as one: each set's records in order, a prompt in an earlier set kept there only."""
    frames = [load_prompts(spec, store) for spec in specs]
    joined = pd.concat(frames, ignore_index=True)
    kept = joined.drop_duplicates("prompt_id").reset_index(drop=True)
    if len(frames) > 1:
        log.info("%d prompt sets: %d prompts (%d in more than one set)", len(frames), len(kept), len(joined) - len(kept))
    return kept


def with_suffix(original: str, suffix: str) -> str:
    """The original with `suffix` appended after a comma (its trailing punctuation dropped); "" leaves it."""
    return f"{' '.join(original.split()).rstrip(' ,.;')}, {suffix}" if suffix else original


def vbench_rewrites(name: str, originals: list[str]) -> list[str]:
    """The published rewrite of each VBench all_dimension prompt (line-aligned files)."""
    base = vbench_text("all_dimension.txt").splitlines()
    rewritten = vbench_text(VBENCH_REWRITES[name]).splitlines()
    lookup = {o.strip(): r.strip() for o, r in zip(base, rewritten)}
    missing = [o for o in originals if o not in lookup]
    if missing:
        raise ValueError(f"{name}: no published rewrite for {len(missing)} prompts, e.g. {missing[0]!r}")
    return [lookup[o] for o in originals]
