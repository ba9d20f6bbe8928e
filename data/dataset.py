"""The nightly dataset: SFT pairs accumulated night by night, and the prompts already evolved.

Layout under the store: dataset/pairs/NIGHT.parquet (pairs) and dataset/evolved/NIGHT.parquet
(prompts records of the source prompts that night evolved). A night is named by its prompt ids,
so appending the same night twice writes the same files again and adds nothing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pav.data.prompts import clean_prompts, prompt_id
from pav.data.schemas import dimensions_of
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
    return {"pairs": store.write_table("pairs", PAIRS_STAGE, night, pairs, dimensions_of("pairs", pairs)),
            "evolved": store.write_table("prompts", EVOLVED_STAGE, night, evolved)}


def dataset_summary(store: Store) -> dict[str, int]:
    """Nights, evolved source prompts and pairs held so far."""
    return {"nights": len([p for p in store.ls(EVOLVED_STAGE) if p.endswith(".parquet")]),
            "prompts": len(evolved_ids(store)),
            "pairs": len(store.read_tables("pairs", PAIRS_STAGE))}


TRAINED_MARKER = "dataset/trained.json"  # the dataset size and nights at the last training on it
ALL_PAIRS_STAGE = "dataset/all"


def nights(store: Store) -> list[str]:
    """The nights in the dataset (their table names), oldest first."""
    paths = sorted((p for p in store.ls(PAIRS_STAGE) if p.endswith(".parquet")), key=lambda p: store.mtime(p))
    return [Path(p).stem for p in paths]


def dataset_pairs(store: Store) -> ArtifactRef:
    """Every night's pairs as one table, named by the nights it holds (so training on it is cached until a
    night is added)."""
    names = nights(store)
    if not names:
        raise ValueError(f"{store.url(PAIRS_STAGE)} holds no pairs yet: run the nightly data engine first")
    frames = [store.read_table(store.table_path("pairs", PAIRS_STAGE, n), "pairs") for n in names]
    joined = pd.concat(frames, ignore_index=True)  # nights scored by other suites: every night's dimensions
    dimensions = list(dict.fromkeys(d for f in frames for d in dimensions_of("pairs", f)))
    return store.write_table("pairs", ALL_PAIRS_STAGE, content_key("nights", sorted(names)), joined, dimensions)


def latest_pairs(store: Store) -> ArtifactRef:
    """The newest SFT pairs the data engine wrote in this store (evolve/pairs/)."""
    paths = [p for p in store.ls("evolve/pairs") if p.endswith(".parquet")] if store.exists("evolve/pairs") else []
    if not paths:
        raise ValueError(f"{store.url('evolve/pairs')} holds no pairs: run evolve on this store first")
    return ArtifactRef(root=store.root, path=max(paths, key=store.mtime), kind="pairs")


def training_pairs(store: Store, choice: str) -> ArtifactRef:
    """What a training run takes by name: "latest" (the newest evolve pairs), "dataset" (the accumulated
    nightly dataset) or a pairs Parquet path relative to the store."""
    if choice == "latest":
        return latest_pairs(store)
    if choice == "dataset":
        return dataset_pairs(store)
    if not store.exists(choice):
        raise ValueError(f"pairs {choice!r}: no such file in {store.root}; use 'latest', 'dataset' or a path "
                         "relative to the store")
    return ArtifactRef(root=store.root, path=choice, kind="pairs")
