"""Nightly data engine: pick the inbox prompts the dataset lacks, then append the night's pairs."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from pav.data.dataset import append_night, dataset_summary, new_prompts, read_inbox
from pav.data.store import ArtifactRef, Store, content_key
from pav.tasks import artifact_key, stage_logger


@task
def inbox_prompts(store_root: str, inbox: str) -> ArtifactRef | None:
    """The inbox prompts not yet in the dataset as a prompts artifact, or None (never cached: the inbox changes)."""
    store = Store(store_root)
    texts = read_inbox(inbox)
    fresh = new_prompts(store, texts, inbox)
    stage_logger().info("inbox %s: %d prompts, %d new", inbox, len(texts), len(fresh))
    if fresh.empty:
        return None
    return store.write_table("prompts", "nightly/inbox", content_key(fresh["prompt_id"].tolist()), fresh)


@task
def append_to_dataset(log: ArtifactRef, pairs: ArtifactRef) -> dict:
    """Append the night's pairs and evolved prompt ids to the dataset and publish its size."""
    store = Store(log.root)
    refs = append_night(store, log.read(), pairs.read())
    summary = dataset_summary(store)
    create_markdown_artifact(
        key=artifact_key(store.root, "nightly-dataset"),
        markdown=(f"# Nightly dataset\n\n{len(pairs.read())} pairs added tonight.\n\n"
                  f"| nights | source prompts | pairs |\n|---|---|---|\n"
                  f"| {summary['nights']} | {summary['prompts']} | {summary['pairs']} |\n"),
        description=f"{store.url('dataset')}")
    return {**refs, "dataset": summary}
