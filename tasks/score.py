"""Paper stage: score each video on the suite's dimensions (the paper's seven by default) against its ORIGINAL
prompt."""

from __future__ import annotations

from prefect import task

from pav.config import RewardConfig
from pav.data.schemas import DIMENSIONS
from pav.data.store import ArtifactRef, Store, content_key
from pav.rewards.scoring import score_videos
from pav.tasks.orchestration import GPU_STAGE_OPTIONS, hold_models, stage_logger


def score(videos: ArtifactRef, candidates: ArtifactRef, rewards: RewardConfig, stage: str) -> ArtifactRef:
    """Scores records for a videos artifact; originals come from the candidates (plain function)."""
    store = Store(videos.root)
    originals = candidates.read()["original"].tolist()
    dimensions = rewards.aggregation.dimensions
    scores, counts = score_videos(store, videos.read(), originals, rewards.suite, rewards.options, dimensions,
                                  log=stage_logger(), before_loading=lambda: hold_models("rewards"))
    stage_logger().info("%s: scored %d videos, reused %d", stage, counts["scored"], counts["reused"])
    name = content_key("scores", videos, originals, rewards.suite, rewards.options,
                       *([dimensions] if dimensions != DIMENSIONS else []))
    return store.write_table("scores", stage, name, scores, dimensions)


score_shard = task(score, name="score", task_run_name="score {stage}", **GPU_STAGE_OPTIONS)
