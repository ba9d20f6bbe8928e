"""The nightly data engine: evolve only the prompts that arrived since the last night."""

from prefect import flow, get_run_logger

from pav.data.dataset import dataset_summary
from pav.data.store import Store
from pav.flows.evolve import evolve
from pav.config import RunConfig
from pav.tasks.dataset import append_to_dataset, inbox_prompts
from pav.flows import run_name


@flow(name="nightly-evolve", flow_run_name=run_name("nightly-evolve"))
def nightly_evolve(config: RunConfig, inbox: str) -> dict:
    """Evolve the inbox prompts the dataset lacks (`inbox`: a directory of *.txt or a file), then append the pairs."""
    new = inbox_prompts(config.store, inbox)
    if new is None:
        get_run_logger().info("nothing new in %s tonight: every prompt is already in the dataset", inbox)
        return {"new_prompts": 0, "dataset": dataset_summary(Store(config.store))}
    night = config.model_copy(deep=True)
    night.evolve.prompts = config.evolve.prompts.model_copy(
        update={"source": "artifact", "path": new.path, "offset": 0, "stride": 1})
    evolved = evolve(night)
    return {"new_prompts": len(new.read()), **append_to_dataset(evolved["log"], evolved["pairs"])}
