"""Images through the same stages: one-frame items kept as PNG, the simulated image models, the weight-free image
judges with their own dimensions, the bundled PartiPrompts, and the data engine and evaluation of the image-demo
profile end to end on images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pav.config import load_config
from pav.data.prompts import PromptSet, load_prompts, parti_prompts
from pav.data.schemas import IMAGE_SUITE_DIMENSIONS
from pav.data.store import Store
from pav.data.video import VideoDecodeError, decode_clip, encode_clip
from pav.models.generators import load_generator, text_limit
from pav.rewards import load_reward, suite_rewards
from pav.rewards.aggregate import overall

SPLITS = ("evolve.prompts", "train.dpo_prompts", "train.round_gate.prompts", "evaluate.prompts")


def test_one_frame_is_kept_as_a_lossless_png_and_more_frames_as_an_mp4():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (1, 32, 48, 3), dtype=np.uint8)
    data, suffix = encode_clip(image, 1.0)
    assert suffix == "png" and data[:4] == b"\x89PNG"
    frames, _ = decode_clip(data)
    assert np.array_equal(frames, image)  # lossless: judged as rendered
    video = np.repeat(image, 4, axis=0)
    data, suffix = encode_clip(video, 8.0)
    assert suffix == "mp4" and decode_clip(data)[0].shape == (4, 32, 48, 3)
    with pytest.raises(VideoDecodeError, match="PNG"):
        decode_clip(data[:0] + b"\x89PNG\r\n\x1a\n" + b"\0" * 20)


@pytest.mark.parametrize("name, tokens", [("sim-tags", 77), ("sim-prose", 512)])
def test_simulated_image_models_draw_one_deterministic_frame(name, tokens):
    model = load_generator(name)
    one, again, other = model.generate(["a red fox in a snowy field"] * 3, [1, 1, 2])
    assert one.error is None and one.frames.shape == (1, 128, 128, 3)
    assert np.array_equal(one.frames, again.frames) and not np.array_equal(one.frames, other.frames)
    assert text_limit(name).max_tokens == tokens


def image_scores(model: str, prompts: list[str], texts: list[str]) -> pd.Series:
    """Overall of the image-demo profile's judges for each text's image, against its original prompt."""
    cfg = load_config("image-demo")
    images = [v.frames for v in load_generator(model).generate(texts, [1] * len(texts))]
    scores = pd.DataFrame(load_reward("cv-image").score(images, prompts))
    return overall(scores, cfg.rewards.aggregation)


ORIGINALS = ["a corgi", "a tiger", "a man riding a bicycle", "a red fox in a snowy field", "a horse in a field",
             "a yellow school bus on a city street"]
FITTING = ["a corgi, fluffy fur, playful, on a grassy lawn, soft natural light",
           "a tiger, striped orange fur, in a lush jungle, dappled sunlight",
           "a man riding a bicycle, a warm jacket, on a quiet road, golden hour",
           "a red fox in a snowy field, thick red fur, snow-laden pines, low winter sun",
           "a horse in a field, glossy brown coat, flowing mane, wildflowers, golden hour",
           "a yellow school bus on a city street, shiny paint, tall buildings, bright daylight"]


@pytest.mark.parametrize("model", ["sim-tags", "sim-prose"])
def test_the_image_judges_prefer_details_that_fit_to_the_bare_prompt(model):
    bare, fitting = image_scores(model, ORIGINALS, ORIGINALS), image_scores(model, ORIGINALS, FITTING)
    assert fitting.mean() > bare.mean() + 0.5 and (fitting > bare).mean() >= 4 / 6


def test_the_tag_model_loses_what_its_77_token_encoder_cannot_read():
    long = [f"{f}, " + ", ".join(["a quiet scene with many small things in it"] * 12) for f in FITTING]
    assert image_scores("sim-tags", ORIGINALS, long).mean() < image_scores("sim-tags", ORIGINALS, FITTING).mean()


def test_the_image_suite_has_its_own_dimensions_on_published_bands():
    cfg = load_config("image-demo")
    agg = cfg.rewards.aggregation
    assert agg.dimensions == IMAGE_SUITE_DIMENSIONS == cfg.train.dpo_aggregation.dimensions
    assert agg.image_bands["hps"] == (0.20, 0.32) and agg.image_bands["pickscore"] == (17.0, 23.0)
    assert agg.image_bands["aesthetic"] == (1.6, 6.4) and agg.thresholds["aesthetic"] == 2.4  # the profile's
    assert [r.name for r in suite_rewards("cv-image", None, agg.dimensions)] == ["cv-image"]
    with pytest.raises(ValueError, match="suite_dimensions"):
        suite_rewards("cv-image")  # the seven: not what this suite scores


def test_partiprompts_are_bundled_and_the_image_demo_splits_share_no_prompt():
    assert len(parti_prompts()) == 1632 and len(parti_prompts(["Animals"])) == 314
    cfg = load_config("image-demo")
    sets = []
    for path in SPLITS:
        node = cfg
        for part in path.split("."):
            node = getattr(node, part)
        sets.append(load_prompts(node))
    ids = [set(s["prompt_id"]) for s in sets]
    assert all(ids) and sum(map(len, ids)) == len(set().union(*ids))
    with pytest.raises(ValueError):
        PromptSet(source="parti", parti_categories=["Dinosaurs"])


@pytest.fixture(scope="module")
def image_run(prefect_harness, tmp_path_factory):
    from pav.flows.evaluate import evaluate
    from pav.flows.evolve import evolve

    root = str(tmp_path_factory.mktemp("images") / "run")
    cfg = load_config("image-demo", ["evolve.prompts.limit=6", "evolve.rounds=2", "evolve.shard_size=6",
                                     "generator.options={size: 64}", "evaluate.prompts.limit=4",
                                     "evaluate.baselines=[booster]", "evaluate.bootstrap=100", f"store={root}"])
    return cfg, evolve(cfg), evaluate(cfg, enhancers={})


def test_the_data_engine_evolves_image_prompts_on_the_image_suite(image_run):
    cfg, result, _ = image_run
    log, pairs = result["log"].read(), result["pairs"].read()
    dims = list(IMAGE_SUITE_DIMENSIONS)
    assert set(dims) <= set(log.columns) and not {"vq", "tc", "preference"} & set(log.columns)
    assert log[dims].notna().all().all()
    assert len(pairs) >= 1 and (pairs["overall"] > pairs["original_overall"]).all()
    videos = Store(cfg.store).ls("videos")
    assert videos and all(path.endswith(".png") for path in videos)


def test_the_evaluation_and_report_of_images_carry_the_image_dimensions(image_run):
    cfg, _, evaluated = image_run
    evals = evaluated["evaluations"].read()
    assert set(evals["method"]) == {"original", "booster"}
    assert set(IMAGE_SUITE_DIMENSIONS) <= set(evals.columns) and evals["error"].isna().all()
    report = Store(cfg.store).read_bytes(evaluated["report"]["markdown"]).decode()
    assert "PickScore" in report or "PICKSCORE" in report.upper()


def test_the_promptist_baseline_without_its_checkpoint_is_one_clear_error_at_config_time():
    with pytest.raises(ValueError, match="promptist baseline needs evaluate.promptist"):
        load_config("image-demo", ["evaluate.baselines=[booster, promptist]"])
    cfg = load_config("image-demo", ["evaluate.baselines=[promptist]", "evaluate.promptist=/models/Promptist"])
    assert cfg.evaluate.promptist == "/models/Promptist"
