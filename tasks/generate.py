"""Paper stage: render each candidate prompt with the target video model."""

from prefect import task

from data.store import ArtifactRef, Store, content_key
from models.generators.render import render
from pav.config import GeneratorConfig
from tasks import STAGE_OPTIONS, stage_logger


def generate(candidates: ArtifactRef, generator: GeneratorConfig, seed: int, stage: str) -> ArtifactRef:
    """Videos records for a candidates artifact (plain function)."""
    store = Store(candidates.root)
    prompts = candidates.read()["prompt"].tolist()
    videos, counts = render(store, generator.name, generator.options, prompts, [seed] * len(prompts),
                            batch_size=int(generator.options.get("batch_size", 16)))
    stage_logger().info("%s: rendered %d videos, reused %d", stage, counts["rendered"], counts["reused"])
    return store.write_table("videos", stage, content_key("videos", candidates, generator, seed), videos)


generate_shard = task(generate, name="generate", tags=["gpu"], **STAGE_OPTIONS)
