"""deployments/prefect.yaml written from DEPLOYMENTS, so `prefect deploy --all` and `pav deploy` create the same
deployments from one declaration (tests/test_deployments.py checks the file is up to date and deploys it).

    .venv/bin/python -m pav.deployments.prefect_yaml     # rewrites deployments/prefect.yaml
"""

from __future__ import annotations

import json
from pathlib import Path

from pav.deployments import DEPLOYMENTS, HEARTBEAT_S

PATH = Path(__file__).with_name("prefect.yaml")
HEADER = """\
# Written by `python -m pav.deployments.prefect_yaml` from deployments/__init__.py (edit there, not here).
# For the Prefect CLI, from the repository root:
#   pav deploy                                   # creates the pools and applies these from Python, or:
#   prefect work-pool create cpu --type process
#   prefect work-pool create gpu --type process && prefect work-pool set-concurrency-limit gpu 1
#   prefect deploy --all --prefect-file deployments/prefect.yaml
# (pav deploy also creates the automation that marks runs whose heartbeats stopped as Crashed.)
# Workers run flows from the project directory (the one `prefect deploy` was run in) with the
# project's environment, e.g. `pav worker --pool gpu`.
name: prompt-a-video
prefect-version: 3.9.1

definitions:
  pull: &project-dir
    - prefect.deployments.steps.set_working_directory:
        directory: "{{ $PWD }}"
  stage-config: &stage-config
    config:
      store: runs/demo
      dispatch: in-process
  orchestrating-config: &orchestrating-config
    store: runs/demo
    dispatch: deployments
  heartbeat: &heartbeat
    env: {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: "%d"}

deployments:
"""


def render() -> str:
    """The file's text."""
    lines = [HEADER % HEARTBEAT_S]
    for full_name, spec in DEPLOYMENTS.items():
        lines += [f"  - name: {full_name.split('/', 1)[1]}", f"    entrypoint: {spec.entrypoint}",
                  f"    description: {json.dumps(spec.description)}", "    pull: *project-dir",
                  f"    work_pool: {{name: {spec.pool}, job_variables: *heartbeat}}", f"    tags: [{spec.pool}]"]
        if spec.cron:
            lines += ["    schedules:", f'      - cron: "{spec.cron}"', "        timezone: UTC"]
        if spec.dispatch == "in-process":
            lines.append("    parameters: *stage-config")
        elif spec.dispatch:
            lines += ["    parameters:", "      config: *orchestrating-config"]
            if spec.cron:
                lines.append("      inbox: inbox")
        lines[-1] += "\n"
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    PATH.write_text(render())
    print(f"wrote {PATH}")
