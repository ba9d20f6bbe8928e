"""The artifact store: every stage reads and writes through it, never through ad-hoc paths.

A run lives under one root (a local path or an fsspec URL: file://, memory://, s3://, gs://).
Tables are Parquet with a versioned schema; names are content-addressed by the caller's inputs, so
the same inputs find the finished artifact and changed inputs never reuse a stale one. Every write
goes to a hidden temporary name first and is renamed into place, so a writer killed mid-write
leaves nothing visible under the final name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Sequence

import fsspec
import pandas as pd
import pyarrow.parquet as pq
from pydantic import BaseModel

from pav.data.schemas import DIMENSIONS, ArtifactError, empty_frame, from_arrow, to_arrow


def content_key(*parts: Any, length: int = 16) -> str:
    """Stable hash of JSON-able parts (pydantic models are dumped first)."""
    def norm(x: Any) -> Any:
        if isinstance(x, BaseModel):
            return x.model_dump(mode="json")
        if isinstance(x, (list, tuple)):
            return [norm(i) for i in x]
        if isinstance(x, dict):
            return {str(k): norm(v) for k, v in x.items()}
        return x
    blob = json.dumps([norm(p) for p in parts], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


class ArtifactRef(BaseModel):
    """What a stage task returns: where its artifact lives, never the data itself."""

    root: str
    path: str  # relative to root
    kind: str  # a schema kind, or "file" / "dir"
    failed: int = 0  # rows recorded with an error: a stage holding them is redone, never trusted as final

    def exists(self) -> bool:
        store = Store(self.root)
        return store.dir_complete(self.path) if self.kind == "dir" else store.exists(self.path)

    def read(self) -> pd.DataFrame:
        return Store(self.root).read_table(self)


class Store:
    """Artifact IO under one root."""

    def __init__(self, root: str | os.PathLike):
        root = str(root)
        self.fs, base = fsspec.core.url_to_fs(root)
        self.base = base.rstrip("/")
        self.root = root if "://" in root else str(Path(root).resolve())
        if "file" in _protocols(self.fs):
            os.makedirs(self.base, exist_ok=True)

    def __repr__(self) -> str:
        return f"Store({self.root!r})"

    # -- paths -------------------------------------------------------------------------------
    def _abs(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}" if path else self.base

    def url(self, path: str) -> str:
        """Full URL (or local path) of a relative artifact path."""
        return f"{self.root.rstrip('/')}/{path.lstrip('/')}"

    def exists(self, path: str) -> bool:
        return self.fs.exists(self._abs(path))

    def mtime(self, path: str) -> float:
        """When the artifact was last written (seconds since the epoch; 0 where the filesystem does not say)."""
        info = self.fs.info(self._abs(path))
        stamp = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
        return stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)

    def ls(self, prefix: str) -> list[str]:
        """Relative paths of the visible files under a prefix (temporary files are hidden)."""
        target = self._abs(prefix)
        if not self.fs.exists(target):
            return []
        found = self.fs.find(target)
        rel = [f[len(self.base):].lstrip("/") for f in found]
        return sorted(p for p in rel if not Path(p).name.startswith("."))

    def delete(self, path: str) -> None:
        target = self._abs(path)
        if self.fs.exists(target):
            self.fs.rm(target, recursive=True)

    # -- bytes -------------------------------------------------------------------------------
    def write_bytes(self, path: str, data: bytes) -> ArtifactRef:
        """Atomic write: a temporary sibling, then a rename."""
        final = self._abs(path)
        parent = final.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/.tmp-{uuid.uuid4().hex}-{final.rsplit('/', 1)[1]}"
        with self.fs.open(tmp, "wb") as f:
            f.write(data)
        self.fs.mv(tmp, final)
        return ArtifactRef(root=self.root, path=path, kind="file")

    def read_bytes(self, path: str) -> bytes:
        if not self.exists(path):
            raise ArtifactError(f"{self.url(path)}: no such artifact")
        with self.fs.open(self._abs(path), "rb") as f:
            return f.read()

    def write_json(self, path: str, obj: Any) -> ArtifactRef:
        return self.write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())

    def read_json(self, path: str) -> Any:
        return json.loads(self.read_bytes(path))

    # -- directories (model checkpoints) -------------------------------------------------------
    def put_dir(self, local_dir: str | os.PathLike, path: str) -> ArtifactRef:
        """Move a local directory into the store (copy on remote roots); the marker file comes last."""
        local_dir = Path(local_dir)
        self.delete(path)
        if "file" in _protocols(self.fs):
            target = Path(self._abs(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(local_dir), target)
        else:
            for f in sorted(local_dir.rglob("*")):
                if f.is_file():
                    self.write_bytes(f"{path}/{f.relative_to(local_dir).as_posix()}", f.read_bytes())
        self.write_bytes(f"{path}/.complete", b"ok")
        return ArtifactRef(root=self.root, path=path, kind="dir")

    def dir_complete(self, path: str) -> bool:
        return self.fs.exists(self._abs(f"{path}/.complete"))

    def local_dir(self, path: str) -> Path:
        """A local directory holding `path`: the directory itself on a local root, else a copy."""
        if not self.dir_complete(path):
            raise ArtifactError(f"{self.url(path)}: no complete directory artifact")
        if "file" in _protocols(self.fs):
            return Path(self._abs(path))
        dest = Path(tempfile.mkdtemp(prefix="pav-")) / Path(path).name
        for rel in self.ls(path):
            target = dest / rel[len(path):].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.read_bytes(rel))
        return dest

    # -- tables ------------------------------------------------------------------------------
    def table_path(self, kind: str, stage: str, name: str) -> str:
        """Tables of a stage are grouped by kind: <stage>/<kind>/<name>.parquet."""
        return f"{stage.strip('/')}/{kind}/{name}.parquet"

    def write_table(self, kind: str, stage: str, name: str, df: pd.DataFrame,
                    dimensions: Sequence[str] = DIMENSIONS) -> ArtifactRef:
        """Validate against the kind's schema (a scored kind's with these dimension columns) and write
        atomically; the ref counts rows with an error."""
        path = self.table_path(kind, stage, name)
        table = to_arrow(kind, df, where=self.url(path), dimensions=dimensions)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        self.write_bytes(path, buf.getvalue())
        failed = int(df["error"].notna().sum()) if "error" in df.columns else 0
        return ArtifactRef(root=self.root, path=path, kind=kind, failed=failed)

    def read_table(self, ref: ArtifactRef | str, kind: str | None = None) -> pd.DataFrame:
        """Read and check a table: schema tag, version and columns; errors name the file."""
        path = ref.path if isinstance(ref, ArtifactRef) else ref
        kind = kind or (ref.kind if isinstance(ref, ArtifactRef) else None)
        where = self.url(path)
        try:
            table = pq.read_table(io.BytesIO(self.read_bytes(path)))
        except ArtifactError:
            raise
        except Exception as e:  # pyarrow raises several types for damaged files
            raise ArtifactError(f"{where}: not a readable Parquet file ({e})") from e
        return from_arrow(table, kind, where)

    def read_tables(self, kind: str, stage: str) -> pd.DataFrame:
        """All tables of one kind under a stage prefix, concatenated (empty frame if none; a scored kind's
        dimension columns are those of every table)."""
        paths = [p for p in self.ls(self.table_path(kind, stage, "").rsplit("/", 1)[0]) if p.endswith(".parquet")]
        frames = [self.read_table(p, kind) for p in paths]
        if not frames:
            return empty_frame(kind)
        return pd.concat(frames, ignore_index=True)


class ItemCache:
    """Finished per-item results (one JSON record each, e.g. a video or its scores) under a prefix.

    Only successes are put here: a failed item is reported by its stage and tried again next time.
    """

    def __init__(self, store: Store, prefix: str):
        self.store, self.prefix = store, prefix.strip("/")

    def _path(self, key: str) -> str:
        return f"{self.prefix}/{key}.json"

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        return {k: self.store.read_json(self._path(k)) for k in dict.fromkeys(keys) if self.store.exists(self._path(k))}

    def put(self, key: str, record: dict) -> None:
        self.store.write_json(self._path(key), record)


def _protocols(fs) -> tuple[str, ...]:
    p = fs.protocol
    return (p,) if isinstance(p, str) else tuple(p)
