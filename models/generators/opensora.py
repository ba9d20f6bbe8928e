"""Open-Sora 1.2 through its own checkout and interpreter (it needs colossalai, mmengine and an older torch
than this project, so it never runs inside our environment).

Open-Sora seeds its global RNG once per run and draws each prompt's noise from it in file order, so a video
depends on the prompts before it. By default each (prompt, seed) is therefore its own run, its noise the seed's
first draw wherever it stands in a batch, so the video cache's (prompt, seed) key holds; `batch_per_seed` puts a
seed's prompts in one run instead (T5-XXL, STDiT and the VAE load once, not once per video) at the price of
position-dependent videos, cached apart from the reproducible ones. Open-Sora reads a prompt file line by line
and parses parts of each line (`{...}` or `[...]` as JSON options, a leading `|0|` as a loop schedule), so each
prompt is made plain first (`plain_prompt`); a prompt starting with "-" is never an argument here.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

from pav.models.generators import Video
from pav.models.generators.command import read_video, run_process

_BRACKETS = str.maketrans({"{": "(", "}": ")", "[": "(", "]": ")"})


def plain_prompt(prompt: str) -> str:
    """The prompt as Open-Sora's prompt file keeps it: one line, no JSON or loop syntax, same words."""
    text = re.sub(r"\s+", " ", prompt).strip().translate(_BRACKETS)
    return text.lstrip("|").strip() or "."


class OpenSoraVideo:
    """Open-Sora 1.2's scripts/inference.py in `checkout`, run by `python` (the checkout's interpreter)."""

    name = "opensora"

    def __init__(self, checkout: str, python: str, config: str = "configs/opensora-v1-2/inference/sample.py",
                 num_frames: str = "2s", resolution: str = "720p", aspect_ratio: str = "9:16",
                 extra_args: list[str] | None = None, load_timeout: float = 900.0, video_timeout: float = 900.0,
                 env: dict[str, str] | None = None, batch_per_seed: bool = False):
        self.checkout, self.python = Path(checkout), python
        script = self.checkout / "scripts" / "inference.py"
        if not script.is_file():
            raise ValueError(f"opensora: no {script}; `checkout` must be an Open-Sora 1.2 checkout")
        if not (Path(python).is_file() or "/" not in python):
            raise ValueError(f"opensora: interpreter {python!r} not found; `python` must be the Open-Sora "
                             "environment's interpreter (e.g. /opt/Open-Sora/.venv/bin/python)")
        if min(load_timeout, video_timeout) <= 0:
            raise ValueError("opensora: load_timeout and video_timeout must be positive")
        self.config, self.extra_args, self.env = config, list(extra_args or []), env
        self.shape = {"--num-frames": num_frames, "--resolution": resolution, "--aspect-ratio": aspect_ratio}
        self.load_timeout, self.video_timeout = load_timeout, video_timeout
        self.batch_per_seed = batch_per_seed

    def settings(self) -> dict[str, Any]:
        return {"config": self.config, **{k.lstrip("-"): v for k, v in self.shape.items()},
                "extra_args": self.extra_args, **({"noise": "position-dependent"} if self.batch_per_seed else {})}

    def generate(self, prompts: Sequence[str], seeds: Sequence[int]) -> list[Video]:
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if not self.batch_per_seed:
            return [self._batch([prompt], int(seed))[0] for prompt, seed in zip(prompts, seeds)]
        videos: list[Video | None] = [None] * len(prompts)
        for seed in dict.fromkeys(int(s) for s in seeds):
            batch = [i for i, s in enumerate(seeds) if int(s) == seed]
            for i, video in zip(batch, self._batch([prompts[i] for i in batch], seed)):
                videos[i] = video
        return videos  # type: ignore[return-value]

    def _batch(self, prompts: list[str], seed: int) -> list[Video]:
        """One Open-Sora run of prompts on one seed; what it wrote before a failure is kept."""
        with tempfile.TemporaryDirectory(prefix="pav-opensora-") as scratch:
            prompt_file, out_dir = Path(scratch) / "prompts.txt", Path(scratch) / "out"
            prompt_file.write_text("".join(plain_prompt(p) + "\n" for p in prompts), encoding="utf-8")
            argv = [self.python, "scripts/inference.py", self.config, "--prompt-path", str(prompt_file),
                    "--seed", str(seed), "--save-dir", str(out_dir), "--sample-name", "video",
                    *(x for pair in self.shape.items() for x in pair), *self.extra_args]
            error = run_process(argv, str(self.checkout), self.load_timeout + self.video_timeout * len(prompts),
                                self.env)
            videos = []
            for i in range(len(prompts)):
                written = out_dir / f"video_{i:04d}.mp4"  # Open-Sora names samples <sample-name>_<index>
                if written.is_file():
                    videos.append(read_video(written, "Open-Sora"))
                else:
                    videos.append(Video(frames=None, fps=0.0, error=error or f"Open-Sora wrote no {written.name}"))
            return videos
