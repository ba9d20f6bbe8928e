"""Text-to-video through an external inference script (Open-Sora 1.2 has no diffusers port).

The command is an argv template; {prompt}, {seed}, {output} and {output_dir} are replaced inside each
argument (never through a shell, so a prompt cannot inject anything). Each video runs in a fresh
directory, {output_dir}; the command must write exactly one .mp4 there ({output} is a ready name for it).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

from pav.data.video import VideoDecodeError, decode_mp4
from pav.models.generators import Video

STDERR_TAIL = 2000  # characters of the script's stderr kept in a failed video's error
_PLACEHOLDER = re.compile(r"\{(?:prompt|seed|output|output_dir)\}")


class CommandVideo:
    """One process per (prompt, seed); a failed run becomes a Video with `error`, the batch goes on."""

    name = "command"

    def __init__(self, command: str | list[str], timeout: float = 1800.0, cwd: str | None = None):
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        joined = " ".join(self.argv)
        missing = [p for p in ("{prompt}", "{seed}") if p not in joined]
        if missing or ("{output}" not in joined and "{output_dir}" not in joined):
            raise ValueError(
                f"command needs the template fields {{prompt}}, {{seed}} and {{output}} or {{output_dir}}; "
                f"missing {missing or ['{output}']} in {joined!r}"
            )
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.timeout, self.cwd = timeout, cwd

    def settings(self) -> dict[str, Any]:
        return {"command": self.argv}

    def generate(self, prompts: Sequence[str], seeds: Sequence[int]) -> list[Video]:
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        return [self._one(prompt, int(seed)) for prompt, seed in zip(prompts, seeds)]

    def _one(self, prompt: str, seed: int) -> Video:
        with tempfile.TemporaryDirectory(prefix="pav-command-") as out_dir:
            values = {"{prompt}": prompt, "{seed}": str(seed), "{output}": str(Path(out_dir) / "video.mp4"),
                      "{output_dir}": out_dir}
            argv = [_fill(arg, values) for arg in self.argv]
            error = run_process(argv, self.cwd, self.timeout)
            if error:
                return Video(frames=None, fps=0.0, error=error)
            written = sorted(Path(out_dir).rglob("*.mp4"))
            if len(written) != 1:
                return Video(frames=None, fps=0.0, error=f"expected one .mp4 from {argv[0]}, found {len(written)}")
            return read_video(written[0], argv[0])

def run_process(argv: list[str], cwd: str | None, timeout: float, env: dict[str, str] | None = None) -> str | None:
    """Run a generator's process; the error text on failure, else None."""
    # Own process group: on timeout the script's children (e.g. torchrun workers) go too.
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=None if env is None else {**os.environ, **env})
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        return f"timed out after {timeout:g}s: {_tail(stderr)}"
    if proc.returncode != 0:
        return f"exit status {proc.returncode}: {_tail(stderr)}"
    return None


def read_video(path: Path, what: str) -> Video:
    """The mp4 at `path` as a Video, or a Video with the reason it could not be read."""
    try:
        frames, fps = decode_mp4(path.read_bytes())
    except (OSError, VideoDecodeError) as err:
        return Video(frames=None, fps=0.0, error=f"unreadable mp4 from {what}: {err}")
    return Video(frames=frames, fps=fps)


def _fill(arg: str, values: dict[str, str]) -> str:
    """Fill the template fields in one pass, so a prompt containing "{seed}" stays as written."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(0)], arg)


def _tail(stderr: bytes) -> str:
    return stderr.decode(errors="replace")[-STDERR_TAIL:].strip()
