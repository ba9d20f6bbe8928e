"""Paper stage: the operator writes refined variants from each prompt's scored history."""

import pandas as pd
from prefect import task

from data.store import ArtifactRef, Store, content_key
from models import load_class
from models.operators import OPERATORS, Operator
from models.operators.propose import propose
from pav.config import OperatorConfig
from tasks import STAGE_OPTIONS, stage_logger


def build_operator(config: OperatorConfig) -> Operator:
    """The configured operator; an API key from a Prefect Secret block is passed in, never stored."""
    cls = load_class(OPERATORS, config.name, "operator")
    if config.api_key_secret:
        from prefect.blocks.system import Secret

        return cls(**config.options, api_key=Secret.load(config.api_key_secret).get())
    return cls(**config.options)


def mutate(logs: list[ArtifactRef], operator: OperatorConfig, top_n: int, variants: int, round_: int,
           seed: int, stage: str) -> dict[str, ArtifactRef]:
    """Candidates of `round_` for one shard from its evolution records so far, and the step's stats."""
    store = Store(logs[0].root)
    log = pd.concat([ref.read() for ref in logs], ignore_index=True)
    candidates, stats = propose(build_operator(operator), log, top_n, variants, round_, seed)
    for failure in stats["failures"]:
        stage_logger().warning("operator failed for prompt %s: %s", failure["prompt_id"], failure["error"])
    for warning in stats["warnings"]:
        stage_logger().warning("%s", warning)
    name = content_key("candidates", logs, operator, top_n, variants, round_, seed)
    return {"candidates": store.write_table("candidates", stage, name, candidates),
            "stats": store.write_json(f"{stage}/mutation-{name}.json", stats)}


mutate_shard = task(mutate, name="mutate", **STAGE_OPTIONS)
