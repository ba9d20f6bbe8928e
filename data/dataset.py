"""The nightly dataset: SFT pairs accumulated night by night, and the prompts already evolved.

Layout under the store: dataset/pairs/NIGHT.parquet (pairs) and dataset/evolved/NIGHT.parquet
(prompts records of the source prompts that night evolved). A night is named by its prompt ids,
so appending the same night twice writes the same files again and adds nothing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pav.data.prompts import clean_prompts, prompt_id
from pav.data.store import ArtifactRef, Store, content_key

PAIRS_STAGE = "dataset/pairs"
EVOLVED_STAGE = "dataset/evolved"


def read_inbox(inbox: str | Path) -> list[str]:
    """The night's prompts: every *.txt of a directory (in name order), or one text file."""
    path = Path(inbox)
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"inbox {path} does not exist (expected a directory of *.txt files or a text file)")
    return clean_prompts([line for f in files for line in f.read_text(encoding="utf-8").splitlines()], str(path))


def evolved_ids(store: Store) -> set[str]:
    """Ids of the source prompts some earlier night already evolved."""
    return set(store.read_tables("prompts", EVOLVED_STAGE)["prompt_id"])


def new_prompts(store: Store, texts: list[str], source: str) -> pd.DataFrame:
    """Prompts records of the texts the dataset does not hold yet (may be empty)."""
    done = evolved_ids(store)
    rows = [(prompt_id(t), t) for t in texts if prompt_id(t) not in done]
    return pd.DataFrame({"prompt_id": [i for i, _ in rows], "prompt": [t for _, t in rows], "source": source})


def append_night(store: Store, log: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, ArtifactRef]:
    """Add a night's pairs and the source prompts its evolution log covers."""
    evolved = (log[["prompt_id", "original"]].drop_duplicates("prompt_id")
               .rename(columns={"original": "prompt"}).assign(source="nightly").sort_values("prompt_id"))
    night = content_key("night", evolved["prompt_id"].tolist())
    # Pairs first: a prompt counts as done only once its pairs are in the dataset.
    return {"pairs": store.write_table("pairs", PAIRS_STAGE, night, pairs),
            "evolved": store.write_table("prompts", EVOLVED_STAGE, night, evolved)}


def dataset_summary(store: Store) -> dict[str, int]:
    """Nights, evolved source prompts and pairs held so far."""
    return {"nights": len([p for p in store.ls(EVOLVED_STAGE) if p.endswith(".parquet")]),
            "prompts": len(evolved_ids(store)),
            "pairs": len(store.read_tables("pairs", PAIRS_STAGE))}
