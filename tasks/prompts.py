"""Prompt sets as artifacts, split into shards of round-0 candidates."""

from prefect import task

from pav.data.prompts import PromptSet, load_prompt_sets
from pav.data.store import ArtifactRef, Store, content_key
from pav.data.records import check_disjoint, originals_as_candidates


@task
def load_prompt_set(store_root: str, spec: PromptSet | list[PromptSet], stage: str) -> ArtifactRef:
    """Read and clean a prompt set, or several joined (never cached: a prompt file may change under the same
    name)."""
    store = Store(store_root)
    prompts = load_prompt_sets(spec if isinstance(spec, list) else [spec], store)
    return store.write_table("prompts", stage, content_key(prompts["prompt_id"].tolist()), prompts)


@task
def shard_prompts(prompts: ArtifactRef, shard_size: int, stage: str) -> list[ArtifactRef]:
    """Round-0 candidates in shards of `shard_size` source prompts (content-addressed)."""
    store = Store(prompts.root)
    candidates = originals_as_candidates(prompts.read())
    shards = [candidates.iloc[i:i + shard_size] for i in range(0, len(candidates), shard_size)]
    return [store.write_table("candidates", stage, content_key(s["candidate_id"].tolist()), s) for s in shards]


@task(name="check-held-out", task_run_name="check {what} prompts are held out")
def check_held_out(prompts: ArtifactRef, used: list[ArtifactRef], what: str) -> None:
    """Fail when a prompt of `what` ("evaluation", "validation") was seen by an earlier stage (checked, not
    assumed)."""
    check_disjoint(prompts.read(), [ref.read() for ref in used], what)
