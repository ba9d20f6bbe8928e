"""pav (folder pav/): prompt-a-video's configuration, Prefect environment and the `pav` command line."""
