"""Paper stage: score each video on the seven dimensions against its ORIGINAL prompt."""

from prefect import task

from data.store import ArtifactRef, Store, content_key
from pav.config import RewardConfig
from rewards.scoring import score_videos
from tasks import STAGE_OPTIONS, stage_logger


def score(videos: ArtifactRef, candidates: ArtifactRef, rewards: RewardConfig, stage: str) -> ArtifactRef:
    """Scores records for a videos artifact; originals come from the candidates (plain function)."""
    store = Store(videos.root)
    originals = candidates.read()["original"].tolist()
    scores, counts = score_videos(store, videos.read(), originals, rewards.suite, rewards.options)
    stage_logger().info("%s: scored %d videos, reused %d", stage, counts["scored"], counts["reused"])
    name = content_key("scores", videos, originals, rewards.suite, rewards.options)
    return store.write_table("scores", stage, name, scores)


score_shard = task(score, name="score", tags=["gpu"], **STAGE_OPTIONS)
