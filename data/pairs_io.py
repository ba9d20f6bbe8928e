"""SFT pairs in the paper's release format: a JSON list of [original, target]."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pav.data.prompts import prompt_id
from pav.data.schemas import DIMENSIONS
from pav.data.store import ArtifactRef, Store, content_key


def _split(url: str) -> tuple[str, str]:
    root, _, name = str(url).rstrip("/").rpartition("/")
    return root or ".", name


def export_pairs(pairs_url: str, dest: Path) -> int:
    """Write a pairs artifact as [[original, target], ...]; returns the count."""
    root, name = _split(pairs_url)
    pairs = Store(root).read_table(name, "pairs")
    Store(dest.parent).write_bytes(dest.name, json.dumps(
        [[p, c] for p, c in zip(pairs["prompt"], pairs["completion"])], ensure_ascii=False, indent=1).encode())
    return len(pairs)


def parse_release(text: str, where: str) -> pd.DataFrame:
    """Pairs records from the release JSON; malformed entries are errors naming their index."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: not JSON ({e})") from None
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a JSON list of [original, target]")
    rows = []
    for i, item in enumerate(items):
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(s, str) and s.strip() for s in item)):
            raise ValueError(f"{where}: entry {i} is not [original, target] with two non-empty strings")
        original, target = (s.strip() for s in item)
        rows.append({"prompt_id": prompt_id(original), "prompt": original, "completion": target,
                     "overall": float("nan"), "original_overall": float("nan"),
                     **{d: float("nan") for d in DIMENSIONS}, "source": where})
    if not rows:
        raise ValueError(f"{where}: holds no pairs")
    return pd.DataFrame(rows)


def import_pairs(source: Path, store_root: str) -> ArtifactRef:
    """Read release-format pairs into a pairs artifact under `imported/`."""
    if not source.is_file():
        raise ValueError(f"{source} does not exist")
    pairs = parse_release(source.read_text(encoding="utf-8"), str(source))
    return Store(store_root).write_table("pairs", "imported", content_key(pairs["prompt"].tolist(),
                                                                           pairs["completion"].tolist()), pairs)
