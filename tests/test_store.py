"""The artifact store: schemas, atomic writes, content addressing, local and memory roots, bad files."""

import io
import math
import signal
import subprocess
import sys
import textwrap

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pav.data.schemas import DIMENSIONS, SCHEMAS, SCORED, dimensions_of
from pav.data.store import ArtifactError, ItemCache, Store, content_key


def example(kind: str) -> pd.DataFrame:
    """Two rows of plausible values for every column of a kind."""
    _, schema = SCHEMAS[kind]
    values = {}
    for f in schema:
        if pa.types.is_string(f.type):
            values[f.name] = [f"{f.name}-ä", None if f.name in ("parent_id", "error", "path") else "x"]
        elif pa.types.is_integer(f.type):
            values[f.name] = [1, 2]
        elif pa.types.is_floating(f.type):
            values[f.name] = [1.5, math.nan]
        elif pa.types.is_boolean(f.type):
            values[f.name] = [True, False]
        elif pa.types.is_timestamp(f.type):
            values[f.name] = pd.to_datetime(["2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z"])
    assert set(values) == set(schema.names), f"example() lacks a value for {set(schema.names) - set(values)}"
    return pd.DataFrame(values)


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    return Store(tmp_path / "run") if request.param == "local" else Store(f"memory://store-{tmp_path.name}")


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_record_kind_round_trips(store, kind):
    df = example(kind)
    ref = store.write_table(kind, "stage", content_key(kind), df)
    back = store.read_table(ref)
    pd.testing.assert_frame_equal(back, df[SCHEMAS[kind][1].names], check_dtype=False)
    assert ref.exists() and ref.read().shape == df.shape


def test_artifacts_read_with_plain_pyarrow_and_duckdb(tmp_path):
    store = Store(tmp_path)
    ref = store.write_table("prompts", "prompts", "p", example("prompts"))
    path = tmp_path / ref.path
    assert pq.read_table(path).num_rows == 2
    assert duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0] == 2
    assert pd.read_parquet(path)["prompt"].iloc[0] == "prompt-ä"


def test_content_addressed_hit_and_miss(store):
    name = content_key("prompts", ["a cat"], {"limit": 3})
    assert not store.exists(store.table_path("prompts", "stage", name))
    store.write_table("prompts", "stage", name, example("prompts"))
    assert store.exists(store.table_path("prompts", "stage", content_key("prompts", ["a cat"], {"limit": 3})))
    assert not store.exists(store.table_path("prompts", "stage", content_key("prompts", ["a cat"], {"limit": 4})))


def test_item_cache_returns_only_what_was_put(store):
    cache = ItemCache(store, "cache/things")
    cache.put("a", {"x": 1})
    assert cache.get_many(["a", "b", "a"]) == {"a": {"x": 1}}


def test_missing_columns_and_wrong_types_are_named(store):
    with pytest.raises(ArtifactError, match=r"lack columns \['source'\]"):
        store.write_table("prompts", "s", "n", example("prompts").drop(columns="source"))
    bad = example("videos").assign(seed=["one", "two"])
    with pytest.raises(ArtifactError, match="videos records do not fit"):
        store.write_table("videos", "s", "n", bad)


def test_corrupt_foreign_and_stale_files_name_the_file(tmp_path):
    store = Store(tmp_path)
    store.write_bytes("s/corrupt.parquet", b"PAR1 this is not parquet")
    with pytest.raises(ArtifactError, match=r"s/corrupt\.parquet: not a readable Parquet"):
        store.read_table("s/corrupt.parquet", "prompts")
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1]}), buf)
    store.write_bytes("s/foreign.parquet", buf.getvalue())
    with pytest.raises(ArtifactError, match=r"s/foreign\.parquet: not a prompt-a-video artifact"):
        store.read_table("s/foreign.parquet")
    ref = store.write_table("prompts", "s", "p", example("prompts"))
    with pytest.raises(ArtifactError, match="holds prompts records, expected videos"):
        store.read_table(ref.path, "videos")
    table = pq.read_table(tmp_path / ref.path).replace_schema_metadata({"pav.schema": "prompts/99"})
    pq.write_table(table, tmp_path / "s" / "future.parquet")
    with pytest.raises(ArtifactError, match="schema version 99, this code reads version 1"):
        store.read_table("s/future.parquet")
    table = pq.read_table(tmp_path / ref.path).drop_columns(["source"])
    pq.write_table(table, tmp_path / "s" / "short.parquet")
    with pytest.raises(ArtifactError, match=r"short\.parquet: prompts file lacks columns \['source'\]"):
        store.read_table("s/short.parquet")
    with pytest.raises(ArtifactError, match="no such artifact"):
        store.read_table("s/absent.parquet")


def test_writer_killed_mid_write_leaves_no_visible_file(tmp_path):
    # The writer's file stalls after writing half of the bytes, so the kill lands mid-write for sure.
    writer = textwrap.dedent(f"""
        import time
        from pav.data.store import Store
        store = Store({str(tmp_path)!r})
        real_open = store.fs.open

        class Stalling:
            def __init__(self, f): self.f = f
            def __enter__(self): return self
            def __exit__(self, *exc): self.f.close()
            def write(self, data):
                self.f.write(data[:len(data) // 2]); self.f.flush()
                print("half written", flush=True); time.sleep(600)

        store.fs.open = lambda path, mode="rb", **kw: Stalling(real_open(path, mode, **kw))
        store.write_bytes("videos/big.mp4", b"x" * 4_000_000)
    """)
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half written"
        [partial] = list((tmp_path / "videos").glob(".tmp-*"))
        assert partial.stat().st_size == 2_000_000
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    store = Store(tmp_path)
    assert not store.exists("videos/big.mp4")
    assert store.ls("videos") == []


def test_directories_are_complete_only_after_their_marker(store, tmp_path):
    local = tmp_path / "model"
    (local / "sub").mkdir(parents=True)
    (local / "config.json").write_text("{}")
    (local / "sub" / "w.bin").write_bytes(b"123")
    assert not store.dir_complete("models/m")
    store.put_dir(local, "models/m")
    assert store.dir_complete("models/m")
    copy = store.local_dir("models/m")
    assert (copy / "sub" / "w.bin").read_bytes() == b"123"


@pytest.mark.parametrize("kind", SCORED)
def test_a_scored_kind_keeps_a_suites_own_dimensions_and_reads_old_files_as_the_seven(store, kind):
    own = example(kind).drop(columns=list(DIMENSIONS)).assign(mq=[2.5, 3.0], ta=[1.0, math.nan])
    ref = store.write_table(kind, "own", "t", own, dimensions=["mq", "ta"])
    back = store.read_table(ref)
    assert dimensions_of(kind, back) == ("mq", "ta") and back["mq"].tolist() == [2.5, 3.0]
    with pytest.raises(ArtifactError, match=r"lack columns \['vq'"):  # the seven are not there to write
        store.write_table(kind, "own", "u", own)
    table = pa.Table.from_pandas(example(kind), preserve_index=False).replace_schema_metadata(
        {"pav.schema": f"{kind}/{SCHEMAS[kind][0]}"})  # written before suites named their dimensions
    buf = io.BytesIO()
    pq.write_table(table, buf)
    store.write_bytes("old/t.parquet", buf.getvalue())
    assert dimensions_of(kind, store.read_table("old/t.parquet", kind)) == DIMENSIONS
