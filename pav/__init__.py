"""prompt-a-video: configuration, Prefect environment and the `pav` command line."""
