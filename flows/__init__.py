"""Prefect flows: composition of the stage tasks, nothing else."""
