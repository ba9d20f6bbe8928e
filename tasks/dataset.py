"""Nightly data engine: pick the inbox prompts the dataset lacks, then append the night's pairs."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact

from pav.data.dataset import (TRAINED_MARKER, append_night, dataset_summary, new_prompts, nights, read_inbox,
                              training_pairs)
from pav.data.store import ArtifactRef, Store, content_key
from pav.tasks.orchestration import artifact_key, stage_logger


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


@task(name="training-pairs", task_run_name="training-pairs {choice}")
def training_pairs_task(store_root: str, choice: str) -> ArtifactRef:
    """The pairs a training run takes: "latest", "dataset" or a path (never cached: the store grows)."""
    return training_pairs(Store(store_root), choice)


def training_due(store: Store, train_after: int) -> dict:
    """Whether the dataset grew by `train_after` pairs or more since it was last trained on (0: never)."""
    summary = dataset_summary(store)
    last = store.read_json(TRAINED_MARKER) if store.exists(TRAINED_MARKER) else {"pairs": 0, "nights": []}
    grown = summary["pairs"] - last["pairs"]
    return {"pairs": summary["pairs"], "new_pairs": grown, "due": train_after > 0 and grown >= train_after,
            "nights": nights(store)}


@task(name="training-due")
def training_due_task(store_root: str, train_after: int) -> dict:
    due = training_due(Store(store_root), train_after)
    stage_logger().info("dataset: %d pairs, %d new since the last training; training %s (threshold %d)",
                        due["pairs"], due["new_pairs"], "starts" if due["due"] else "waits", train_after)
    return due


@task(name="mark-trained")
def mark_trained(store_root: str, due: dict, models: dict[str, ArtifactRef], report: dict[str, str]) -> None:
    """Record what the dataset held when it was trained on, and publish it with the report's link."""
    store = Store(store_root)
    store.write_json(TRAINED_MARKER, {"pairs": due["pairs"], "nights": due["nights"],
                                      "models": {k: v.path for k, v in models.items()}})
    create_markdown_artifact(
        key=artifact_key(store.root, "nightly-training"),
        markdown=(f"# Trained on the nightly dataset\n\n{due['pairs']} pairs from {len(due['nights'])} nights "
                  f"({', '.join(due['nights'])}).\n\nModels: {', '.join(f'{k} -> {v.path}' for k, v in models.items())}"
                  f"\n\nReport: {store.url(report['html'])}\n"),
        description="What the nightly loop trained on")
