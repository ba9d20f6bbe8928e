"""Paper stage: render each candidate prompt with the target video model."""

from __future__ import annotations

from prefect import task

from pav.config import GeneratorConfig
from pav.data.store import ArtifactRef, Store, content_key
from pav.models.rendering import render
from pav.tasks.orchestration import GPU_STAGE_OPTIONS, hold_models, stage_logger


def generate(candidates: ArtifactRef, generator: GeneratorConfig, seed: int, stage: str) -> ArtifactRef:
    """Videos records for a candidates artifact (plain function)."""
    store = Store(candidates.root)
    prompts = candidates.read()["prompt"].tolist()
    hold_models("generator")
    videos, counts = render(store, generator.name, generator.options, prompts, [seed] * len(prompts),
                            batch_size=generator.render_batch, log=stage_logger())
    stage_logger().info("%s: rendered %d videos, reused %d", stage, counts["rendered"], counts["reused"])
    return store.write_table("videos", stage, content_key("videos", candidates, generator, seed), videos)


generate_shard = task(generate, name="generate", task_run_name="generate {stage}", **GPU_STAGE_OPTIONS)
