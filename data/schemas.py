"""Versioned Arrow schemas of every record that flows between stages.

Each Parquet artifact carries `pav.schema` = "<kind>/<version>" in its metadata; to_arrow and from_arrow check it
and the columns, so a foreign or stale file fails with a message naming it. The records that carry scores
(SCORED) have one float column per dimension of the reward suite that judged them: the paper's seven by default
(shown in SCHEMAS), a suite's own otherwise, named in the file's `pav.dimensions` metadata.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import pyarrow as pa

# The paper's seven reward dimensions, in the order of its table.
VIDEO_DIMENSIONS = ("vq", "tc", "dd", "tva", "fc")  # VideoScore: 1-4 band
IMAGE_DIMENSIONS = ("aesthetic", "preference")  # image-level: own band, normalised in aggregation
DIMENSIONS = VIDEO_DIMENSIONS + IMAGE_DIMENSIONS
# An image suite's own dimensions: the image preference models (HPSv2, ImageReward, PickScore) and the aesthetic.
IMAGE_SUITE_DIMENSIONS = ("hps", "image_reward", "pickscore", "aesthetic")
DIMENSION_NAMES = {
    "vq": "visual quality",
    "tc": "temporal consistency",
    "dd": "dynamic degree",
    "tva": "text-video alignment",
    "fc": "factual consistency",
    "aesthetic": "aesthetic",
    "preference": "preference (MPS)",
    "hps": "HPSv2",
    "image_reward": "ImageReward",
    "pickscore": "PickScore",
}

_score_fields = [pa.field(d, pa.float64()) for d in DIMENSIONS]
SCORED = ("scores", "evolution", "pairs", "evaluations")  # kinds with a column per dimension
DIMENSION_NAME = r"[a-z][a-z0-9_]*"  # a dimension's column name (pav.rewards checks a suite's against it)

SCHEMAS: dict[str, tuple[int, pa.Schema]] = {
    # Source prompts of a run.
    "prompts": (1, pa.schema([
        ("prompt_id", pa.string()),  # hash of the text: stable across runs and files
        ("prompt", pa.string()),
        ("source", pa.string()),  # where it came from: "vbench", a file name, ...
    ])),
    # Prompt texts proposed during evolution (round 0 is the original itself).
    "candidates": (1, pa.schema([
        ("candidate_id", pa.string()),  # hash of (prompt_id, text)
        ("prompt_id", pa.string()),
        ("original", pa.string()),
        ("prompt", pa.string()),
        ("parent_id", pa.string()),  # null for the original
        ("round", pa.int32()),
        ("operator", pa.string()),
    ])),
    # Rendered videos; the mp4 lives beside, relative to the store root.
    "videos": (1, pa.schema([
        ("video_id", pa.string()),  # hash of (generator key, prompt text, seed)
        ("prompt", pa.string()),
        ("seed", pa.int64()),
        ("generator", pa.string()),
        ("generator_config", pa.string()),  # JSON of the generator's settings
        ("path", pa.string()),  # mp4, relative to the store root; null when generation failed
        ("content_hash", pa.string()),  # sha256 of the mp4 bytes
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("frames", pa.int32()),
        ("fps", pa.float64()),
        ("seconds", pa.float64()),  # wall time of this video's share of its batch
        ("error", pa.string()),  # null unless generation failed
    ])),
    # Rewards of one video against the ORIGINAL prompt.
    "scores": (1, pa.schema([
        ("video_id", pa.string()),
        ("original", pa.string()),
        ("suite", pa.string()),
        *_score_fields,
        ("error", pa.string()),
    ])),
    # Every evaluated candidate of an evolution run with its scores and what it kept of the original.
    "evolution": (2, pa.schema([
        ("candidate_id", pa.string()),
        ("prompt_id", pa.string()),
        ("original", pa.string()),
        ("prompt", pa.string()),
        ("parent_id", pa.string()),
        ("round", pa.int32()),
        ("operator", pa.string()),
        ("video_id", pa.string()),
        ("seed", pa.int64()),
        *_score_fields,
        ("overall", pa.float64()),
        ("passes", pa.bool_()),  # every dimension reaches its threshold
        ("intent", pa.float64()),  # share of the original's content the prompt keeps (intent judge), 0-1
        ("lost", pa.string()),  # what it lost, comma-separated; empty when nothing
        ("keeps_intent", pa.bool_()),  # intent reaches its threshold: only such prompts become targets
        ("error", pa.string()),
    ])),
    # SFT pairs: TRL's prompt/completion columns plus provenance.
    "pairs": (1, pa.schema([
        ("prompt_id", pa.string()),
        ("prompt", pa.string()),  # the original user prompt
        ("completion", pa.string()),  # the target rewrite
        ("overall", pa.float64()),
        ("original_overall", pa.float64()),
        *_score_fields,
        ("source", pa.string()),
    ])),
    # DPO triplets: TRL's prompt/chosen/rejected columns.
    "triplets": (2, pa.schema([
        ("prompt_id", pa.string()),
        ("prompt", pa.string()),
        ("chosen", pa.string()),
        ("rejected", pa.string()),
        ("chosen_overall", pa.float64()),
        ("rejected_overall", pa.float64()),
        ("chosen_intent", pa.float64()),
        ("rejected_intent", pa.float64()),
        ("round", pa.int32()),
    ])),
    # Evaluation rows: one per (method, prompt, seed).
    "evaluations": (3, pa.schema([
        ("method", pa.string()),
        ("prompt_id", pa.string()),
        ("original", pa.string()),
        ("prompt", pa.string()),  # what the video model was given
        ("seed", pa.int64()),
        ("video_id", pa.string()),
        *_score_fields,
        ("overall", pa.float64()),
        ("intent", pa.float64()),  # share of the original's content the prompt keeps, 0-1
        ("lost", pa.string()),
        ("keeps_intent", pa.bool_()),
        ("error", pa.string()),
        ("evaluated_at", pa.timestamp("us", tz="UTC")),  # when the evaluation was collected: newest wins
    ])),
}


def schema_tag(kind: str) -> str:
    version, _ = SCHEMAS[kind]
    return f"{kind}/{version}"


class ArtifactError(ValueError):
    """A stored artifact is missing, foreign, corrupt or of another schema version."""


def schema_of(kind: str, dimensions: Sequence[str] = DIMENSIONS) -> pa.Schema:
    """The kind's schema; a SCORED kind's dimension columns are `dimensions`, where the seven stand in SCHEMAS."""
    _, schema = SCHEMAS[kind]
    if kind not in SCORED or tuple(dimensions) == DIMENSIONS:
        return schema
    fields = []
    for f in schema:
        if f.name == DIMENSIONS[0]:
            fields += [pa.field(d, pa.float64()) for d in dimensions]
        elif f.name not in DIMENSIONS:
            fields.append(f)
    return pa.schema(fields)


def dimensions_of(kind: str, df: pd.DataFrame) -> tuple[str, ...]:
    """The dimension columns of a SCORED frame read from the store (its columns but the kind's fixed ones)."""
    fixed = set(SCHEMAS[kind][1].names) - set(DIMENSIONS)
    return tuple(c for c in df.columns if c not in fixed)


def empty_frame(kind: str, dimensions: Sequence[str] = DIMENSIONS) -> pd.DataFrame:
    return schema_of(kind, dimensions).empty_table().to_pandas()


def to_arrow(kind: str, df: pd.DataFrame, where: str = "table", dimensions: Sequence[str] = DIMENSIONS) -> pa.Table:
    if kind not in SCHEMAS:
        raise ArtifactError(f"{where}: unknown record kind {kind!r}; known: {sorted(SCHEMAS)}")
    schema = schema_of(kind, dimensions)
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise ArtifactError(f"{where}: {kind} records lack columns {missing}")
    try:
        table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise ArtifactError(f"{where}: {kind} records do not fit their schema ({e})") from e
    metadata = {"pav.schema": schema_tag(kind)}
    if kind in SCORED:
        metadata["pav.dimensions"] = ",".join(dimensions)
    return table.replace_schema_metadata(metadata)


def from_arrow(table: pa.Table, kind: str | None, where: str) -> pd.DataFrame:
    metadata = table.schema.metadata or {}
    tag = metadata.get(b"pav.schema")
    if tag is None:
        raise ArtifactError(f"{where}: not a prompt-a-video artifact (no pav.schema metadata)")
    found_kind, _, version = tag.decode().partition("/")
    if kind is not None and found_kind != kind:
        raise ArtifactError(f"{where}: holds {found_kind} records, expected {kind}")
    if found_kind not in SCHEMAS:
        raise ArtifactError(f"{where}: unknown record kind {found_kind!r}")
    expected_version, _ = SCHEMAS[found_kind]
    if version != str(expected_version):
        raise ArtifactError(
            f"{where}: {found_kind} schema version {version}, this code reads version {expected_version}")
    named = metadata.get(b"pav.dimensions")  # absent in files written before suites had their own dimensions
    schema = schema_of(found_kind, named.decode().split(",") if named else DIMENSIONS)
    missing = [c for c in schema.names if c not in table.schema.names]
    if missing:
        raise ArtifactError(f"{where}: {found_kind} file lacks columns {missing}")
    return table.select(schema.names).to_pandas()
