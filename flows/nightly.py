"""The nightly data engine: evolve only the prompts that arrived since the last night, append the pairs,
and once the dataset has grown enough, train on all of it and evaluate.

The nightly flow itself decides when to train (rather than a deployment trigger on its completion): the
night that crossed the threshold shows train and evaluate as its own subflow runs, with the reason in
its log, so the UI tells one story per night.
"""

from prefect import flow, get_run_logger

from pav.config import RunConfig
from pav.data.dataset import dataset_summary
from pav.data.store import Store
from pav.flows import run_name
from pav.flows.evaluate import evaluate
from pav.flows.evolve import evolve
from pav.flows.train import held_by, refused_rounds, train
from pav.tasks.dataset import append_to_dataset, inbox_prompts, mark_trained, training_due_task, training_pairs_task


@flow(name="nightly-evolve", flow_run_name=run_name("nightly-evolve"))
def nightly_evolve(config: RunConfig, inbox: str, train_after_new_pairs: int = 32) -> dict:
    """Evolve the inbox prompts the dataset lacks (`inbox`: a directory of *.txt or a file) and append the pairs;
    when the dataset has `train_after_new_pairs` pairs or more that were never trained on (0: never), train on
    the whole dataset and evaluate."""
    new = inbox_prompts(config.store, inbox)
    if new is None:
        get_run_logger().info("nothing new in %s tonight: every prompt is already in the dataset", inbox)
        return {"new_prompts": 0, "dataset": dataset_summary(Store(config.store)), "trained": False}
    night = config.model_copy(deep=True)
    night.evolve.prompts = config.evolve.prompts.model_copy(
        update={"source": "artifact", "path": new.path, "offset": 0, "stride": 1})
    night.evolve.extra_prompts = []  # tonight's new prompts only, not a profile's extra sets again
    evolved = evolve(night)
    appended = append_to_dataset(evolved["log"], evolved["pairs"])
    due = training_due_task(config.store, train_after_new_pairs)
    result = {"new_prompts": len(new.read()), **appended, "trained": due["due"]}
    if due["due"]:
        data = training_pairs_task(config.store, "dataset")
        trained = train(config, pairs=data)
        nights = f"trained on {due['pairs']} pairs of {len(due['nights'])} nights: " + ", ".join(due["nights"])
        evaluated = evaluate(config, enhancers=trained["models"], used_prompts=[data, *held_by(trained)],
                             note="; ".join(filter(None, [nights, refused_rounds(trained)])))
        mark_trained(config.store, due, trained["models"], evaluated["report"])
        result.update(models=trained["models"], report=evaluated["report"])
    return result
