"""Real generator backends at tiny size: diffusers pipelines loaded from a local path, and the command backend."""

import json
import sys
import textwrap

import numpy as np
import torch
import pytest

from pav.models.generators import load_generator
from tiny_vision import save_tiny_cogvideox, save_tiny_ltx, save_tiny_wan

PROMPTS = ["a red cat", "a dog running in the city at night", "sea"]
TINY = dict(torch_dtype="fp32", device="cpu", height=16, width=16, num_inference_steps=2,
            call_kwargs={"max_sequence_length": 16})


@pytest.fixture(scope="module")
def cogvideox(tmp_path_factory):
    path = tmp_path_factory.mktemp("cogvideox")
    save_tiny_cogvideox(path)
    return str(path)


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    path = tmp_path_factory.mktemp("wan")
    save_tiny_wan(path)
    return str(path)


def _diff(a, b) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def test_cogvideox_by_local_path(cogvideox):
    batched = load_generator("diffusers", dict(model=cogvideox, num_frames=8, fps=8, batch_size=3, **TINY))
    assert type(batched.pipe).__name__ == "CogVideoXPipeline"  # found through model_index.json
    videos = batched.generate(PROMPTS, [1, 2, 1])
    for v in videos:
        assert v.error is None and v.fps == 8
        assert v.frames.shape == (8, 16, 16, 3) and v.frames.dtype == np.uint8
    assert videos[0].frames.max() > videos[0].frames.min()  # scaled from [0, 1], not all one value

    single = load_generator("diffusers", dict(model=cogvideox, num_frames=8, fps=8, batch_size=1, **TINY))
    one_by_one = single.generate(PROMPTS, [1, 2, 1])
    assert all(_diff(a.frames, b.frames) <= 1 for a, b in zip(videos, one_by_one))  # uint8 rounding at most
    # Bit-equal only where the code promises it: the same batch and seeds again, in the same process.
    again = batched.generate(PROMPTS, [1, 2, 1])
    assert all(_diff(a.frames, b.frames) == 0 for a, b in zip(again, videos))
    other_seed = batched.generate(PROMPTS[:1], [7])[0]
    assert np.abs(other_seed.frames.astype(int) - videos[0].frames.astype(int)).mean() > 1
    other_prompt = videos[2]  # same seed as videos[0], different prompt
    assert np.abs(other_prompt.frames.astype(int) - videos[0].frames.astype(int)).mean() > 0.1


def test_wan_with_explicit_pipeline_class(wan):
    gen = load_generator("diffusers", dict(model=wan, pipeline="WanPipeline", num_frames=9, fps=16, **TINY))
    videos = gen.generate(PROMPTS[:2], [3, 4])
    assert [v.frames.shape for v in videos] == [(9, 16, 16, 3)] * 2 and videos[0].fps == 16
    assert _diff(gen.generate(PROMPTS[:1], [3])[0].frames, videos[0].frames) <= 1  # another batch: rounding at most
    assert all(_diff(a.frames, b.frames) == 0 for a, b in zip(gen.generate(PROMPTS[:2], [3, 4]), videos))


def test_wan_as_recommended_vae_in_fp32_and_its_scheduler_shifted(wan):
    # Wan's VAE decodes better in fp32 than the bf16 of the rest, and its flow shift depends on the resolution.
    options = dict(TINY, torch_dtype="bf16")
    gen = load_generator("diffusers", dict(model=wan, num_frames=5, component_dtypes={"vae": "fp32"},
                                           scheduler={"class": "UniPCMultistepScheduler", "flow_shift": 5.0,
                                                      "prediction_type": "flow_prediction", "use_flow_sigmas": True},
                                           **options))
    assert gen.pipe.vae.dtype == torch.float32 and gen.pipe.transformer.dtype == torch.bfloat16
    assert type(gen.pipe.scheduler).__name__ == "UniPCMultistepScheduler" and gen.pipe.scheduler.config.flow_shift == 5.0
    [video] = gen.generate(PROMPTS[:1], [3])
    assert video.error is None and video.frames.shape == (5, 16, 16, 3)
    assert gen.settings()["component_dtypes"] == {"vae": "fp32"}  # they change the pixels: part of the video key
    with pytest.raises(ValueError, match="has no model component 'vea'"):
        load_generator("diffusers", dict(model=wan, num_frames=5, component_dtypes={"vea": "fp32"}, **TINY))
    with pytest.raises(ValueError, match="takes no flow_shfit"):
        load_generator("diffusers", dict(model=wan, num_frames=5, scheduler={"flow_shfit": 3.0}, **TINY))


def test_ltx_through_the_generic_loader_at_its_own_shapes(tmp_path):
    # LTX renders 8k+1 frames at sizes divisible by 32; its class comes from model_index.json.
    save_tiny_ltx(tmp_path / "ltx")
    options = dict(TINY, height=32, width=32)
    gen = load_generator("diffusers", dict(model=str(tmp_path / "ltx"), num_frames=9, fps=24, **options))
    assert type(gen.pipe).__name__ == "LTXPipeline"
    videos = gen.generate(PROMPTS[:2], [1, 2])
    assert [v.frames.shape for v in videos] == [(9, 32, 32, 3)] * 2 and videos[0].fps == 24
    assert _diff(videos[0].frames, videos[1].frames) > 0  # another prompt and seed, another video
    with pytest.raises(ValueError, match="8n\\+1 frames"):
        load_generator("diffusers", dict(model=str(tmp_path / "ltx"), num_frames=10, **options))
    with pytest.raises(ValueError, match="divisible by 32"):
        load_generator("diffusers", dict(model=str(tmp_path / "ltx"), num_frames=9, **dict(TINY, height=48, width=48)))


def test_diffusers_settings_and_bad_options(cogvideox):
    gen = load_generator("diffusers", dict(model=cogvideox, num_frames=8, **TINY))
    settings = gen.settings()
    json.dumps(settings)
    assert settings["num_frames"] == 8 and settings["call_kwargs"] == {"max_sequence_length": 16}
    assert "device" not in settings and "batch_size" not in settings  # do not change the pixels
    with pytest.raises(ValueError, match="torch_dtype 'int8'"):
        load_generator("diffusers", dict(model=cogvideox, torch_dtype="int8"))
    with pytest.raises(ValueError, match="'CLIPModel' is not a diffusers pipeline"):
        load_generator("diffusers", dict(model=cogvideox, pipeline="CLIPModel"))
    with pytest.raises(ValueError, match="num_frames must be positive"):
        load_generator("diffusers", dict(model=cogvideox, num_frames=0))
    with pytest.raises(ValueError, match="2 prompts but 1 seeds"):
        gen.generate(PROMPTS[:2], [1])


# A stand-in inference script: frame count = prompt length (proves the prompt arrives as one verbatim
# argument), brightness = 10 * seed. Modes make it fail, write nothing, or hang.
SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    from pav.data.video import encode_mp4
    prompt, seed, output, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "fail":
        print("CUDA out of memory while sampling", file=sys.stderr)
        sys.exit(1)
    if mode == "hang":
        time.sleep(30)
    if mode == "ok":
        frames = np.full((len(prompt), 32, 32, 3), 10 * seed, dtype=np.uint8)
        Path(output).write_bytes(encode_mp4(frames, 12))
""")


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "infer.py"
    path.write_text(SCRIPT)
    return path


def _command(script, mode: str, **options):
    return load_generator("command", dict(command=[sys.executable, str(script), "{prompt}", "{seed}", "{output}", mode],
                                          **options))


def test_command_reads_back_the_mp4(script, tmp_path):
    gen = _command(script, "ok", cwd=str(tmp_path))
    hostile = 'x"; touch PWNED; echo "$(id) {seed}'
    videos = gen.generate(["a cat", hostile], [5, 9])
    assert [v.error for v in videos] == [None, None]
    assert videos[0].frames.shape == (5, 32, 32, 3) and videos[0].frames.dtype == np.uint8
    assert videos[1].frames.shape[0] == len(hostile)  # passed verbatim, "{seed}" inside it left alone
    assert abs(videos[0].frames.mean() - 50) < 3 and abs(videos[1].frames.mean() - 90) < 3
    assert videos[0].fps == pytest.approx(12)
    assert not (tmp_path / "PWNED").exists()
    assert gen.settings() == {"command": [sys.executable, str(script), "{prompt}", "{seed}", "{output}", "ok"]}


def test_command_failures_are_recorded(script):
    failed = _command(script, "fail").generate(["a cat"], [1])[0]
    assert failed.frames is None and "exit status 1" in failed.error and "CUDA out of memory" in failed.error
    nothing = _command(script, "nothing").generate(["a cat"], [1])[0]
    assert nothing.frames is None and "found 0" in nothing.error
    hung = _command(script, "hang", timeout=1).generate(["a cat"], [1])[0]
    assert hung.frames is None and "timed out after 1s" in hung.error


def test_command_template_is_checked(script):
    with pytest.raises(ValueError, match="template fields"):
        load_generator("command", dict(command=f"{sys.executable} {script} {{prompt}} {{output}}"))
    gen = load_generator("command", dict(command=f"{sys.executable} {script} {{prompt}} {{seed}} {{output}} ok"))
    assert gen.generate(["dog"], [2])[0].frames.shape[0] == 3  # a string template is split like a shell would


# A stand-in for an Open-Sora 1.2 checkout: its argument names, its prompt-file parsing (lines stripped,
# "{" or "[" starting JSON options, "|0|" a loop schedule) and its output names. It runs in a separate
# interpreter, as the real one does, and logs each run so batching can be counted.
OPENSORA = r'''
import argparse, json, os, re, sys
import numpy as np
from pav.data.video import encode_mp4
parser = argparse.ArgumentParser()
parser.add_argument("config")
for flag in ("--prompt-path", "--seed", "--save-dir", "--sample-name", "--num-frames", "--resolution",
             "--aspect-ratio"):
    parser.add_argument(flag, required=True)
args = parser.parse_args()
assert os.path.isfile(args.config), args.config  # relative to the checkout: the cwd
prompts = [line.strip() for line in open(args.prompt_path).readlines()]
for prompt in prompts:
    parts = re.split(r"(?=[{\[])", prompt)
    assert len(parts) == 1 and not prompt.startswith("|0|"), f"Invalid prompt: {prompt}"
with open(os.environ["RUNS_LOG"], "a") as log:
    log.write(json.dumps({"seed": args.seed, "prompts": prompts, "python": sys.executable}) + "\n")
os.makedirs(args.save_dir, exist_ok=True)
rng = np.random.default_rng(int(args.seed))  # seeded once per run, one draw per prompt in file order, as Open-Sora
for i, prompt in enumerate(prompts):
    if "CRASH" in prompt:
        sys.exit("RuntimeError: CUDA out of memory")
    noise = int(rng.integers(0, 10))
    frames = np.full((len(prompt) % 7 + 2, 16, 16, 3), int(args.seed) * 20 + noise, dtype=np.uint8)
    with open(os.path.join(args.save_dir, f"{args.sample_name}_{i:04d}.mp4"), "wb") as f:
        f.write(encode_mp4(frames, 8))
'''


@pytest.fixture
def opensora_checkout(tmp_path):
    checkout = tmp_path / "Open-Sora"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "scripts" / "inference.py").write_text(OPENSORA)
    config = checkout / "configs" / "opensora-v1-2" / "inference" / "sample.py"
    config.parent.mkdir(parents=True)
    config.write_text("num_frames = 51\n")
    return checkout


def test_opensora_batched_per_seed_runs_once_per_seed_in_its_own_interpreter_with_any_prompt_text(
        opensora_checkout, tmp_path, monkeypatch):
    from pav.models.generators.opensora import plain_prompt

    monkeypatch.setenv("RUNS_LOG", str(tmp_path / "runs.jsonl"))
    gen = load_generator("opensora", dict(checkout=str(opensora_checkout), python=sys.executable,
                                          batch_per_seed=True))
    hostile = ['-a cat {"reference_path": "x"}', "|0|a dog|1|a fox", "a [red] car\nat night", "a bird"]
    videos = gen.generate(hostile + ["a boat"], [3, 3, 3, 7, 7])
    assert [v.error for v in videos] == [None] * 5
    runs = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [(r["seed"], len(r["prompts"])) for r in runs] == [("3", 3), ("7", 2)]  # models load once per seed
    assert runs[0]["prompts"] == ['-a cat ("reference_path": "x")', "0|a dog|1|a fox", "a (red) car at night"]
    assert [plain_prompt(p) for p in hostile] == runs[0]["prompts"] + runs[1]["prompts"][:1]
    assert [v.frames.shape[0] for v in videos] == [len(plain_prompt(p)) % 7 + 2 for p in hostile + ["a boat"]]
    assert abs(videos[0].frames.mean() - 65) < 8 and abs(videos[4].frames.mean() - 145) < 8  # each its seed's
    assert "seed" not in gen.settings() and gen.settings()["resolution"] == "720p"
    assert gen.settings()["noise"] == "position-dependent"  # never served from the reproducible videos' cache


def test_opensora_video_of_a_prompt_and_seed_is_the_same_wherever_it_stands(opensora_checkout, tmp_path,
                                                                             monkeypatch):
    # Open-Sora draws each prompt's noise from one RNG in file order: batched, "a boat" after "a bird" gets the
    # seed's second draw, alone its first. By default every (prompt, seed) is its own run, so the cache key holds.
    monkeypatch.setenv("RUNS_LOG", str(tmp_path / "runs.jsonl"))
    alone = load_generator("opensora", dict(checkout=str(opensora_checkout), python=sys.executable))
    [boat] = alone.generate(["a boat"], [7])
    after = alone.generate(["a bird", "a boat"], [7, 7])[1]
    assert np.array_equal(boat.frames, after.frames)
    batched = load_generator("opensora", dict(checkout=str(opensora_checkout), python=sys.executable,
                                              batch_per_seed=True)).generate(["a bird", "a boat"], [7, 7])[1]
    assert not np.array_equal(boat.frames, batched.frames)  # what the default avoids
    assert "noise" not in alone.settings()


def test_opensora_keeps_what_it_wrote_before_failing_and_checks_its_setup(opensora_checkout, tmp_path, monkeypatch):
    monkeypatch.setenv("RUNS_LOG", str(tmp_path / "runs.jsonl"))
    gen = load_generator("opensora", dict(checkout=str(opensora_checkout), python=sys.executable))
    videos = gen.generate(["a cat", "CRASH here", "a dog"], [1, 1, 1])  # a run each: one crash, one failed video
    assert [v.error is None for v in videos] == [True, False, True]
    assert "exit status 1" in videos[1].error and "CUDA out of memory" in videos[1].error
    batched = load_generator("opensora", dict(checkout=str(opensora_checkout), python=sys.executable,
                                              batch_per_seed=True))
    videos = batched.generate(["a cat", "CRASH here", "a dog"], [1, 1, 1])
    assert videos[0].error is None and videos[0].frames is not None
    assert all("exit status 1" in v.error and "CUDA out of memory" in v.error for v in videos[1:])
    with pytest.raises(ValueError, match="no .*scripts/inference.py.*Open-Sora 1.2 checkout"):
        load_generator("opensora", dict(checkout=str(tmp_path), python=sys.executable))
    with pytest.raises(ValueError, match="interpreter '/opt/none/bin/python' not found"):
        load_generator("opensora", dict(checkout=str(opensora_checkout), python="/opt/none/bin/python"))


def test_each_pipeline_gets_only_the_arguments_it_takes():
    # HunyuanVideo-1.5 takes guidance from its guider: passing guidance_scale to its call would fail every video
    import diffusers

    from pav.models.generators.diffusers_video import call_parameters
    hunyuan = call_parameters(diffusers.HunyuanVideo15Pipeline)
    assert hunyuan is not None and "guidance_scale" not in hunyuan and {"num_frames", "height"} <= hunyuan
    assert "guidance_scale" in call_parameters(diffusers.WanPipeline)
    assert "guidance_scale" in call_parameters(diffusers.LTXPipeline)


def test_shapes_a_pipeline_would_round_or_reject_are_one_clear_error(wan):
    # Wan renders 4n+1 frames and rounds anything else silently; the check comes before loading the weights
    with pytest.raises(ValueError, match=r"renders 4n\+1 frames; num_frames=10 would silently become 9"):
        load_generator("diffusers", dict(model=wan, num_frames=10, **TINY))  # class read from model_index.json
    with pytest.raises(ValueError, match="divisible by 32, got 480x720"):
        load_generator("diffusers", dict(model=wan, pipeline="LTXPipeline", num_frames=49, height=480, width=720))
    gen = load_generator("diffusers", dict(model=wan, num_frames=5, **TINY))
    assert gen.generate(PROMPTS[:1], [1])[0].frames.shape[0] == 5  # the record's count is the rendered one


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    from tiny_vision import save_tiny_sd

    path = tmp_path_factory.mktemp("sd")
    save_tiny_sd(path)
    return str(path)


def test_an_sd_style_pipeline_renders_images_through_the_generic_image_loader(tiny_sd, tmp_path):
    from pav.data.store import Store
    from pav.models.generators import text_limit
    from pav.models.rendering import render

    options = dict(model=tiny_sd, torch_dtype="fp32", device="cpu", height=32, width=32, num_inference_steps=2,
                   batch_size=2)
    model = load_generator("diffusers-image", options)
    assert type(model.pipe).__name__ == "StableDiffusionPipeline"  # what AutoPipelineForText2Image read
    images = model.generate(PROMPTS, [0, 1, 0])
    assert all(v.error is None and v.frames.shape == (1, 32, 32, 3) and v.frames.dtype == np.uint8 for v in images)
    assert _diff(images[0].frames, images[2].frames) > 0  # the prompt matters
    again = load_generator("diffusers-image", {**options, "batch_size": 1}).generate(PROMPTS[:1], [0])[0]
    assert _diff(again.frames, images[0].frames) <= 2  # a seed's image, whatever the batch (fp32 on one CPU)
    limit = text_limit("diffusers-image", options)
    assert limit.max_tokens == 77 and limit.tokenizer == f"{tiny_sd}::tokenizer"

    # Through the store: kept once as a lossless PNG, read back as rendered.
    frame, counts = render(Store(str(tmp_path)), "diffusers-image", options, PROMPTS[:2], [0, 1])
    assert counts == {"rendered": 2, "reused": 0} and frame["path"].str.endswith(".png").all()
    assert (frame["frames"] == 1).all()
    with pytest.raises(ValueError, match="not a diffusers pipeline class"):
        load_generator("diffusers-image", {**options, "pipeline": "NoSuchPipeline"})
