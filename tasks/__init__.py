"""pav.tasks (folder tasks/): Prefect tasks, one module per paper stage, each a thin wrapper over plain functions.

What every stage task shares (its cache policy, retries, result storage, logger and which models a worker
process holds) is orchestration policy, in orchestration.py.
"""
